/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "wire": the group wire-protocol decoder (src/group/wire.c)
 * over arbitrary bytes, one message per input, as the control thread calls
 * it on each SOCK_SEQPACKET datagram (the transport has no framing of its
 * own: one datagram is one message, and conn.c refuses a truncated one
 * before decoding).
 *
 * Oracles beyond the sanitizers: a refusal always says why; a message the
 * decoder accepts encodes back to exactly the same bytes (the encoding is
 * canonical, so nothing the decoder let through is outside what the
 * encoder would produce); directory names come out NUL-terminated and
 * valid, because the rest of the control plane prints and compares them as
 * C strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "group/wire.h"

static int
has_name(enum wire_type t)
{
	return t == WIRE_DIR_PUBLISH || t == WIRE_DIR_UNPUBLISH || t == WIRE_DIR_ENTRY ||
	       t == WIRE_DIR_REMOVE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[WIRE_MAX_MSG];
	struct wire_msg m;
	const char *why = NULL;
	ssize_t n;
	int ret;

	fuzz_quiet_logs();
	ret = wire_decode(data, size, &m, &why);
	if (ret != 0) {
		if ((ret != -EBADMSG && ret != -EPROTONOSUPPORT) || why == NULL)
			abort();
		return 0;
	}
	if (m.type == 0 || m.type >= WIRE_TYPE_MAX)
		abort();
	if (has_name(m.type) &&
	    (strlen(m.u.dir.name) != m.u.dir.name_len || !wire_name_valid(m.u.dir.name)))
		abort();
	n = wire_encode(&m, again, sizeof(again));
	if (n != (ssize_t)size || memcmp(again, data, size) != 0)
		abort();
	return 0;
}
