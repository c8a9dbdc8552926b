/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_COMMON_HEX_H
#define IDD_TOOLS_COMMON_HEX_H

/*
 * Bytes as lowercase hex digits: how idd-perf and the multi-process tests
 * pass domain ids and tokens to the processes they start, on a command
 * line.
 */

#include <stddef.h>

/* Write the @n bytes at @b to @out as 2 * @n hex digits and a NUL. */
void hex_encode(const unsigned char *b, size_t n, char *out);

/* Read exactly 2 * @n hex digits (either case) at @s into the @n bytes at
 * @b. Returns 0, or -1 when @s is NULL, has another length, or holds
 * anything but hex digits (then @b may be partly written). */
int hex_decode(const char *s, unsigned char *b, size_t n);

#endif
