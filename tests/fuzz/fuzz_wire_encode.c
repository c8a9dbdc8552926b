/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "wire_encode": the other direction of the group wire codec.
 * The input is a message as the program holds it: byte 0 picks the type,
 * the rest fills struct wire_msg's union (host layout, so the fuzzer can set
 * any field to anything). wire.h promises that the encoder checks what the
 * decoder checks, so that we never send what a peer must refuse.
 *
 * Oracles: an encoding that succeeds decodes, and the decoded message
 * encodes to the same bytes; the encoder never writes past the capacity it
 * is given (the output buffer is allocated at exactly that size, so ASan
 * sees an overrun) and reports a buffer one byte short as -EMSGSIZE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "group/wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[WIRE_MAX_MSG], again[WIRE_MAX_MSG];
	struct wire_msg m, back;
	const char *why;
	uint8_t *tight;
	ssize_t n, n2;

	fuzz_quiet_logs();
	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	/* One value past the last type, and 0, stay reachable: both must be
	 * refused. */
	m.type = (enum wire_type)(data[0] % (WIRE_TYPE_MAX + 1));
	memcpy(&m.u, data + 1, size - 1 < sizeof(m.u) ? size - 1 : sizeof(m.u));

	n = wire_encode(&m, out, sizeof(out));
	if (n < 0) {
		if (n != -EINVAL)
			abort();
		return 0;
	}
	if (n < WIRE_HDR_LEN || n > WIRE_MAX_MSG)
		abort();

	tight = malloc((size_t)n);
	if (tight == NULL)
		return 0;
	if (wire_encode(&m, tight, (size_t)n) != n || memcmp(tight, out, (size_t)n) != 0)
		abort();
	if (wire_encode(&m, tight, (size_t)n - 1) != -EMSGSIZE)
		abort();
	free(tight);

	if (wire_decode(out, (size_t)n, &back, &why) != 0)
		abort();
	if (back.type != m.type)
		abort();
	n2 = wire_encode(&back, again, sizeof(again));
	if (n2 != n || memcmp(again, out, (size_t)n) != 0)
		abort();
	return 0;
}
