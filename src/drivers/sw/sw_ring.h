/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_SW_RING_H
#define IDD_SRC_DRIVERS_SW_RING_H

/*
 * Layout of a sw vchan: a ring of nb_desc (a power of two) descriptors and
 * four free-running 16-bit positions. Because nb_desc divides 65536, a
 * position is also the ring_idx of the operation it names, and a slot is
 * `position & mask`:
 *
 *     collected <= finished <= submitted <= head,   head - collected <= nb_desc
 *
 *   [collected, finished)   done by the engine, not yet reported
 *   [finished, submitted)   handed to the engine, not yet done
 *   [submitted, head)       enqueued, waiting for a submit
 *
 * The enqueuing thread (the "producer") owns head, collected and the
 * scatter-gather list ring; the engine owns finished. Only submitted and
 * finished cross threads, each on its own cache line, so that the two
 * sides of the thread engine do not invalidate each other's lines on every
 * operation.
 *
 * Statuses: a slot's status word is non-zero only while it holds a failed
 * operation that nobody has collected yet. The engine counts failures
 * (fin_errors) and the producer counts what it has reported (coll_errors),
 * so the completion calls look at status words only when the two differ.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <idd/idd_dmadev.h>

#include "drivers/ring_collect.h"
#include "mem/window_table.h"

#define SW_CACHE_LINE 64

#define sw_likely(x) __builtin_expect(!!(x), 1)
#define sw_unlikely(x) __builtin_expect(!!(x), 0)

/* Limits advertised by dev_info_get. */
#define SW_MAX_VCHANS 64
#define SW_MIN_DESC 32
#define SW_MAX_DESC 16384
_Static_assert(SW_MAX_DESC <= 32768, "16-bit positions need nb_desc <= 2^15");
#define SW_MAX_SGES 16
/* Scatter-gather entries per ring slot. copy_sg lists are copied into a
 * per-vchan FIFO that is freed in step with the ring, and sized for the
 * worst case, so that a free ring slot always has room for the largest
 * lists: burst_capacity() then holds for copy_sg as for copy. 16 entries
 * per side (what DMA hardware typically offers) keep this at 512 bytes
 * per slot; the FIFO's pages are not touched until copy_sg uses them. */
#define SW_SGE_PER_DESC (2 * SW_MAX_SGES)

enum sw_opcode {
	SW_OP_COPY,
	SW_OP_FILL,
	SW_OP_COPY_SG,
	SW_OP_OPS, /* an application's struct idd_dma_op (enq/deq mode) */
};

/* The op_flags byte of a descriptor: the opcode in bits 5-6 and these
 * flags. The fence and the LLC hint keep the bits they have in
 * IDD_DMA_OP_FLAG_*, so that enqueue carries them over with one mask. */
#define SW_F_FENCE 0x01     /* IDD_DMA_OP_FLAG_FENCE */
#define SW_F_BURST_END 0x02 /* last operation handed over by one submit */
#define SW_F_LLC 0x04       /* IDD_DMA_OP_FLAG_LLC: never stream (sw_stream.h) */
#define SW_F_BAD_LEN 0x08   /* copy_sg lists with no bytes or unequal totals */
#define SW_F_WIDE 0x10      /* the operands are in the slot's struct sw_desc_wide */
#define SW_OP_SHIFT 5

/*
 * One operation in 16 bytes, four per cache line. With the thread engine
 * every descriptor line travels from the producer's core to the worker's
 * and back once per lap of the ring; where the two cores are far apart
 * those transfers bound the rate of small copies, so the fewer lines an
 * operation takes the better (doc/design.md).
 *
 *   lo: bits 0-47 operand a, bits 48-63 length bits 0-15
 *   hi: bits 0-47 operand b, bits 48-55 length bits 16-23, bits 56-63 op_flags
 *
 * a: copy source, fill pattern, copy_sg position of the first entry in
 *    the sge FIFO, enqueue_ops the struct idd_dma_op pointer;
 * b: copy and fill destination, copy_sg nb_src | nb_dst << 16.
 *
 * An operation whose operands do not fit in 48 bits or whose length does
 * not fit in 24 (a fill pattern with high bits set, an address above the
 * user range of today's x86-64 and arm64, a copy of 16 MiB or more) is
 * "wide": its operands and length go to the slot's entry of the vchan's
 * wide array, and the descriptor carries only op_flags with SW_F_WIDE.
 */
struct sw_desc {
	uint64_t lo;
	uint64_t hi;
};
_Static_assert(sizeof(struct sw_desc) == 16, "four descriptors per cache line");
#define SW_DESC_PER_LINE (SW_CACHE_LINE / sizeof(struct sw_desc))

/* The operands of a wide operation, or of any operation once decoded. */
struct sw_desc_wide {
	uint64_t a;
	uint64_t b;
	uint32_t len;
};

#define SW_NARROW_BITS 48
#define SW_NARROW_MASK ((UINT64_C(1) << SW_NARROW_BITS) - 1)
#define SW_NARROW_LEN_BITS 24

/* The SW_F_* bits carried over from the IDD_DMA_OP_FLAG_* word @flags. */
#define SW_DESC_FLAGS(flags) ((flags) & (IDD_DMA_OP_FLAG_FENCE | IDD_DMA_OP_FLAG_LLC))

/* The op_flags byte for @op with the SW_DESC_FLAGS() of @flags. */
#define SW_OP_FLAGS(op, flags) ((uint8_t)((op) << SW_OP_SHIFT | SW_DESC_FLAGS(flags)))
_Static_assert(SW_F_FENCE == IDD_DMA_OP_FLAG_FENCE && SW_F_LLC == IDD_DMA_OP_FLAG_LLC,
	       "the fence and LLC bits are shared by both encodings");

/* True when @a, @b and @len fit a descriptor without a wide entry. Put as
 * one shift of one value, so that the enqueue fast path needs a single
 * scratch register for it. */
static inline bool
sw_desc_narrow(uint64_t a, uint64_t b, uint64_t len)
{
	return (a | b | len << (SW_NARROW_BITS - SW_NARROW_LEN_BITS)) >>
		       SW_NARROW_BITS ==
	       0;
}

/* Write a narrow operation (sw_desc_narrow() holds). @len is 64-bit, so
 * that both of its uses share one zero-extended register. */
static inline void
sw_desc_encode(struct sw_desc *d, uint64_t a, uint64_t b, uint64_t len, uint8_t op_flags)
{
	d->lo = a | len << SW_NARROW_BITS;
	d->hi = b | (len >> 16) << SW_NARROW_BITS | (uint64_t)op_flags << 56;
}

/* The op_flags byte of a descriptor whose hi word is @hi. */
static inline unsigned int
sw_desc_op_flags(uint64_t hi)
{
	return (unsigned int)(hi >> 56);
}

static inline unsigned int
sw_desc_opcode(unsigned int op_flags)
{
	return op_flags >> SW_OP_SHIFT;
}

/* Set SW_F_* bits in a written descriptor (producer only). */
static inline void
sw_desc_set_flags(struct sw_desc *d, uint8_t bits)
{
	d->hi |= (uint64_t)bits << 56;
}

/*
 * The address space one side of an inter-domain vchan lives in, fixed at
 * vchan setup from its handler. table == NULL is the caller's own address
 * space: addresses are used as they are. Otherwise the table is the peer's
 * (mem/window_table.h) and every address range is translated through it,
 * with this side's last-hit cache; a range that is not inside one of the
 * peer's windows with the needed permission translates to NULL and the
 * operation completes with INVALID_SRC_ADDR or INVALID_DST_ADDR. When the
 * peer departs, the group layer empties its table (unmapping after a grace
 * period), so later operations fail that same way.
 *
 * The cache and gen are written by whoever runs the engine for this vchan
 * (one thread at a time), inside a mem RCU read-side section.
 */
struct sw_side {
	struct mem_wt *table;
	struct mem_wt_cache cache;
	/* Generation of the snapshot the current read-side section uses
	 * (sw_exec.c); a cache entry hits only with this generation. */
	uint64_t gen;
	uint16_t handler; /* as given to vchan setup; its reference is held */
	bool held;        /* a reference on handler is held (released at free) */
};

/* Inter-domain state of a vchan (NULL for domain type NONE). Allocated at
 * setup, out of the vchan's four lines so that the local fast path does
 * not pay for it. */
struct sw_xdom {
	struct sw_side src;
	struct sw_side dst;
	enum idd_dma_inter_domain_type type;
	int16_t dev_id; /* for releasing the handlers */
};

/* Cores fetch lines in aligned pairs (the adjacent-line prefetcher), so
 * fields that one side writes and the other must not touch are kept a pair
 * apart, not just a line (doc/design.md, "vchan layout"). */
#define SW_PAIR_ALIGN (2 * SW_CACHE_LINE)

/* Four groups of two cache lines, so that indexing the vchan array is a
 * shift. */
struct sw_vchan {
	/* Written by vchan setup and start/stop only; read by both sides.
	 * The stats baselines share the line: only stats_reset writes them. */
	_Alignas(SW_PAIR_ALIGN) struct sw_desc *ring;
	uint16_t *status;         /* per slot, see the file comment */
	struct idd_dma_sge *sges; /* copy_sg lists: a FIFO of sge_mask + 1 entries */
	uint32_t sge_mask;
	uint16_t nb_desc;
	uint16_t mask;
	bool local; /* both sides are the caller's: the engine translates nothing */
	bool prefetch;      /* enqueue prefetches (inline engine), local vchan */
	bool prefetch_peer; /* the same for a peer vchan, through pf_src and pf_dst */
	uint64_t base_submitted;
	uint64_t base_completed;
	uint64_t base_errors;

	/* Producer: the thread that enqueues, submits and collects. head and
	 * the counters are atomics only because dump and stats_get read them
	 * from another thread; the producer uses relaxed loads and stores. */
	_Alignas(SW_PAIR_ALIGN) _Atomic uint16_t head;
	_Atomic uint16_t collected;
	uint32_t coll_errors; /* failures reported so far (wraps) */
	uint32_t sge_head;    /* next free sge FIFO position */
	_Atomic uint64_t n_submitted;
	_Atomic uint64_t n_completed;
	_Atomic uint64_t n_errors;
	uint64_t base_bytes; /* stats_reset's baseline of n_bytes (control path) */
	/* With prefetch_peer: where enqueue guesses that a side's address is in
	 * this process. A peer side's last-hit cache (struct sw_side), which
	 * the inline engine keeps on this same thread; for the caller's own
	 * side a cache that maps every address to itself. Set at setup. */
	const struct mem_wt_cache *pf_src;
	const struct mem_wt_cache *pf_dst;

	/* Producer to engine. */
	_Alignas(SW_PAIR_ALIGN) _Atomic uint16_t submitted;

	/* Engine to producer, and the engine's own state. */
	_Alignas(SW_PAIR_ALIGN) _Atomic uint16_t finished;
	_Atomic uint32_t fin_errors; /* failures written so far (wraps) */
	uint8_t fence_state;         /* engine only: enum sw_fence_state */
	/* Copies and fills longer than this are streamed past the caches
	 * unless they carry the LLC hint (sw_stream.h); set at vchan setup. */
	uint32_t stream_above;
	/* Bytes moved by successful operations; the engine is the only writer
	 * (relaxed), stats read it from other threads. */
	_Atomic uint64_t n_bytes;
	/* Set up at vchan setup, NULL for an ordinary vchan; the engine reads
	 * it only when !local. */
	struct sw_xdom *xd;
	/* Per slot, the operands of a wide operation (struct sw_desc); set at
	 * vchan setup, written by the producer, read by the engine. */
	struct sw_desc_wide *wide;
};
_Static_assert(sizeof(struct sw_vchan) == 4 * SW_PAIR_ALIGN, "vchan is four pairs of lines");

/* Per-burst fence rule, kept by the engine across calls because the thread
 * engine may process one burst in several pieces. */
enum sw_fence_state {
	SW_BURST_OK,      /* nothing of this burst failed */
	SW_BURST_FAILED,  /* something failed; the next fenced op stops the burst */
	SW_BURST_SKIPPED, /* the rest of this burst is NOT_ATTEMPTED */
};

/* The operands of the descriptor @d of @vc, narrow or wide. */
static inline __attribute__((always_inline)) struct sw_desc_wide
sw_desc_decode(const struct sw_vchan *vc, const struct sw_desc *d)
{
	const uint64_t lo = d->lo, hi = d->hi;

	if (sw_unlikely(sw_desc_op_flags(hi) & SW_F_WIDE))
		return vc->wide[d - vc->ring];
	return (struct sw_desc_wide){
		.a = lo & SW_NARROW_MASK,
		.b = hi & SW_NARROW_MASK,
		.len = (uint32_t)(lo >> SW_NARROW_BITS | (hi >> SW_NARROW_BITS & 0xff) << 16),
	};
}

/* Write an operation into the slot of @vc at position @pos, narrow or wide
 * (the enqueue fast paths write narrow ones themselves). */
static inline void
sw_desc_put(struct sw_vchan *vc, uint16_t pos, uint64_t a, uint64_t b, uint32_t len,
	    uint8_t op_flags)
{
	struct sw_desc *d = &vc->ring[pos & vc->mask];

	if (sw_desc_narrow(a, b, len)) {
		sw_desc_encode(d, a, b, len, op_flags);
		return;
	}
	vc->wide[pos & vc->mask] = (struct sw_desc_wide){.a = a, .b = b, .len = len};
	sw_desc_encode(d, 0, 0, 0, (uint8_t)(op_flags | SW_F_WIDE));
}

/* Producer-side counter update (ring_collect.h). */
static inline void
sw_count(_Atomic uint64_t *counter, uint64_t n)
{
	ring_count(counter, n);
}

/* Mark @n operations from @coll as reported; their slots (and sge FIFO
 * entries) are free again. Producer only. */
static inline void
sw_consume(struct sw_vchan *vc, uint16_t coll, uint16_t n, uint32_t errors)
{
	ring_consume(RING_COLLECT_OF(vc), coll, n, errors);
}

/* Perform the operations [from, to) of @vc, record failures, and publish
 * @to as the new finished position (sw_exec.c). */
void sw_run(struct sw_vchan *vc, uint16_t from, uint16_t to);

/* Record a failed (or aborted) operation's status (sw_exec.c). */
void sw_record_failure(struct sw_vchan *vc, const struct sw_desc *d, uint16_t idx,
		       uint16_t status);

#endif
