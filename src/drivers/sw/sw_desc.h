/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_SW_DESC_H
#define IDD_SRC_DRIVERS_SW_DESC_H

/*
 * The two descriptor formats of a sw vchan's ring, one per engine.
 *
 * - Full (struct sw_desc_full, 32 bytes, two per cache line), for the
 *   inline engine: enqueue and submit run on one core, the lines never
 *   leave it, and operands stored as they are cost no packing work.
 * - Packed (struct sw_desc_packed, 16 bytes, four per line), for the
 *   thread engine: every descriptor line travels from the enqueuing core
 *   to the worker's and back once per lap of the ring, and where the two
 *   cores sit far apart those transfers bound the rate of small copies
 *   (doc/design.md), so the fewer lines an operation takes the better.
 *
 * Both carry the same three operands and op_flags byte:
 *   a: copy source, fill pattern, copy_sg position of the first entry in
 *      the sge FIFO, enqueue_ops the struct idd_dma_op pointer;
 *   b: copy and fill destination, copy_sg nb_src | nb_dst << 16;
 *   len: copy and fill length in bytes.
 */

#include <stdbool.h>
#include <stdint.h>

#include <idd/idd_dmadev.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum sw_opcode {
	SW_OP_COPY,
	SW_OP_FILL,
	SW_OP_COPY_SG,
	SW_OP_OPS, /* an application's struct idd_dma_op (enq/deq mode) */
};

/* The op_flags byte: the opcode in bits 5-6 and these flags. The fence and
 * the LLC hint keep the bits they have in IDD_DMA_OP_FLAG_*, so that
 * enqueue carries them over with one mask. */
#define SW_F_FENCE 0x01     /* IDD_DMA_OP_FLAG_FENCE */
#define SW_F_BURST_END 0x02 /* last operation handed over by one submit */
#define SW_F_LLC 0x04       /* IDD_DMA_OP_FLAG_LLC: never stream (sw_stream.h) */
#define SW_F_BAD_LEN 0x08   /* copy_sg lists with no bytes or unequal totals */
#define SW_F_WIDE 0x10      /* packed only: the operands are in the wide array */
#define SW_OP_SHIFT 5

/* The SW_F_* bits carried over from the IDD_DMA_OP_FLAG_* word @flags. */
#define SW_DESC_FLAGS(flags) ((flags) & (IDD_DMA_OP_FLAG_FENCE | IDD_DMA_OP_FLAG_LLC))

/* The op_flags byte for @op with the SW_DESC_FLAGS() of @flags. */
#define SW_OP_FLAGS(op, flags) ((uint8_t)((op) << SW_OP_SHIFT | SW_DESC_FLAGS(flags)))
_Static_assert(SW_F_FENCE == IDD_DMA_OP_FLAG_FENCE && SW_F_LLC == IDD_DMA_OP_FLAG_LLC,
	       "the fence and LLC bits are shared by both encodings");

static inline unsigned int
sw_opcode_of(unsigned int op_flags)
{
	return op_flags >> SW_OP_SHIFT;
}

/* One operation's operands: the full format's content, a packed
 * descriptor's once decoded, and a wide operation's side entry. */
struct sw_operands {
	uint64_t a;
	uint64_t b;
	uint32_t len;
};

struct sw_desc_full {
	uint64_t a;
	uint64_t b;
	uint32_t len;
	uint8_t op_flags;
	uint8_t pad[11];
};
_Static_assert(sizeof(struct sw_desc_full) == 32, "two full descriptors per cache line");

/*
 * A packed descriptor:
 *
 *   lo: bits 0-15 length bits 0-15, bits 16-63 operand a
 *   hi: bits 0-7 op_flags, bits 8-15 length bits 16-23, bits 16-63 operand b
 *
 * (operands on top, so that one shift decodes each). An operation whose
 * operands do not fit in 48 bits or whose length does not fit in 24 (a
 * fill pattern with high bits set, an address above the user range of
 * today's x86-64 and arm64, a copy of 16 MiB or more) is "wide": its
 * operands go to the slot's entry of the vchan's wide array, and the
 * descriptor carries only op_flags with SW_F_WIDE.
 */
struct sw_desc_packed {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct sw_desc_packed) == 16, "four packed descriptors per cache line");

#define SW_PACKED_BITS 48
#define SW_PACKED_LEN_BITS 24

/* True when @a, @b and @len fit a packed descriptor. Put as one shift of
 * one value, so that the enqueue fast path needs a single scratch register
 * for it. */
static inline bool
sw_packed_fits(uint64_t a, uint64_t b, uint64_t len)
{
	return (a | b | len << (SW_PACKED_BITS - SW_PACKED_LEN_BITS)) >> SW_PACKED_BITS == 0;
}

/* Write an operation that sw_packed_fits(). @len is 64-bit, so that both
 * of its uses share one zero-extended register.
 *
 * One 16-byte store where SSE2 exists: every store waits in the core's
 * store buffer until its line is owned, and the lines of a packed ring
 * were last read by the worker's core, so where that core is far away
 * the buffer fills up. At one entry per descriptor instead of two, a burst
 * of 32 copies holds twice as many lines in flight: 64 B copies through
 * the thread engine went from 44-51 to 54-61 M/s with the two cores on
 * different chiplets. */
static inline void
sw_packed_encode(struct sw_desc_packed *d, uint64_t a, uint64_t b, uint64_t len,
		 uint8_t op_flags)
{
	const uint64_t lo = a << 16 | (len & 0xffff);
	const uint64_t hi = b << 16 | (len >> 8 & 0xff00) | op_flags;
#ifdef __SSE2__
	_mm_store_si128((__m128i *)d, _mm_set_epi64x((long long)hi, (long long)lo));
#else
	d->lo = lo;
	d->hi = hi;
#endif
}

/* The operands of a packed descriptor that is not wide. */
static inline struct sw_operands
sw_packed_decode(const struct sw_desc_packed *d)
{
	const uint64_t lo = d->lo, hi = d->hi;

	return (struct sw_operands){
		.a = lo >> 16,
		.b = hi >> 16,
		.len = (uint32_t)((lo & 0xffff) | (hi & 0xff00) << 8),
	};
}

#endif
