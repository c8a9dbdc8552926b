/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_SW_STREAM_H
#define IDD_SRC_DRIVERS_SW_STREAM_H

/*
 * Copies written around the caches. A copy whose source and destination
 * together do not fit in the last-level cache gains nothing from storing
 * through it: each destination line is first read from memory (to own
 * it), then evicts a source line before anyone reads it. Non-temporal
 * stores skip that read and leave the cache to the source, which is how
 * a hardware copy engine writing to memory behaves. The C library's
 * memcpy() makes the same choice only from a threshold derived from what
 * the CPU reports, which on virtual machines can be ten times the real
 * cache (so it never does for the sizes an application copies).
 *
 * The sw engine streams copies and fills of at least the device's
 * stream_min bytes (sw_probe.c) unless the operation carries
 * IDD_DMA_OP_FLAG_LLC.
 */

#include <stddef.h>
#include <stdint.h>

/* Copy @n bytes from @src to @dst with non-temporal stores where the CPU
 * has them (memcpy() elsewhere). The stores are fenced before it returns,
 * so a later release store orders them like ordinary ones. The ranges must
 * not overlap. */
void sw_copy_stream(void *dst, const void *src, size_t n);

/* Fill @n bytes at @dst with the 8-byte @pattern as the fill operation does
 * (byte i gets byte i % 8 of its little-endian encoding), with
 * non-temporal stores where the CPU has them; fenced as sw_copy_stream(). */
void sw_fill_stream(void *dst, uint64_t pattern, size_t n);

/* Size of the largest cache of CPU 0 (bytes) as the kernel describes it in
 * sysfs, else as the C library reports it; 0 when neither knows. Read on
 * the first call; later calls, from any thread, return the same value. */
uint64_t sw_llc_size(void);

/* The default stream_min for a last-level cache of @llc bytes: copies from
 * this size on would, with their source, fill three quarters of it. */
uint64_t sw_stream_min_default(uint64_t llc);

#endif
