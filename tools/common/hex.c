/* SPDX-License-Identifier: BSD-3-Clause */
/* Bytes as hex digits and back (hex.h), by libsodium's codec. */
#include <string.h>

#include <sodium.h>

#include "hex.h"

void
hex_encode(const unsigned char *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

int
hex_decode(const char *s, unsigned char *b, size_t n)
{
	const char *end;
	size_t len, got;

	if (s == NULL || (len = strlen(s)) != 2 * n)
		return -1;
	/* With @end given, sodium stops at the first non-digit and says
	 * where: all of @s must have been digits. */
	if (sodium_hex2bin(b, n, s, len, NULL, &got, &end) != 0 || got != n || end != s + len)
		return -1;
	return 0;
}
