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
 * finished cross threads, each on its own pair of cache lines, so that the
 * two sides of the thread engine do not invalidate each other's lines on
 * every operation.
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
#include "drivers/sw/sw_desc.h"
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
	_Alignas(SW_PAIR_ALIGN) void *ring; /* struct sw_desc_full or _packed */
	uint16_t *status;         /* per slot, see the file comment */
	struct idd_dma_sge *sges; /* copy_sg lists: a FIFO of sge_mask + 1 entries */
	uint32_t sge_mask;
	uint16_t nb_desc;
	uint16_t mask;
	bool local; /* both sides are the caller's: the engine translates nothing */
	bool prefetch;      /* enqueue prefetches (inline engine), local vchan */
	bool prefetch_peer; /* the same for a peer vchan, through pf_src and pf_dst */
	bool packed;        /* ring format (sw_desc.h): packed for the thread engine */
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
	/* Packed format: per slot, the operands of a wide operation; set at
	 * vchan setup, written by the producer, read by the engine. */
	struct sw_operands *wide;
};
_Static_assert(sizeof(struct sw_vchan) == 4 * SW_PAIR_ALIGN, "vchan is four pairs of lines");

/* Per-burst fence rule, kept by the engine across calls because the thread
 * engine may process one burst in several pieces. */
enum sw_fence_state {
	SW_BURST_OK,      /* nothing of this burst failed */
	SW_BURST_FAILED,  /* something failed; the next fenced op stops the burst */
	SW_BURST_SKIPPED, /* the rest of this burst is NOT_ATTEMPTED */
};

/*
 * Access to the descriptor in slot @slot of a ring, in the format @packed.
 * In the fast paths @packed is a constant, so that each engine's code
 * handles its own format only; elsewhere it is vc->packed.
 */
static inline __attribute__((always_inline)) unsigned int
sw_slot_op_flags(const void *ring, unsigned int slot, bool packed)
{
	if (packed)
		return (uint8_t)((const struct sw_desc_packed *)ring)[slot].hi;
	return ((const struct sw_desc_full *)ring)[slot].op_flags;
}

/* @wide: the vchan's wide array (packed format). */
static inline __attribute__((always_inline)) struct sw_operands
sw_slot_operands(const void *ring, const struct sw_operands *wide, unsigned int slot,
		 bool packed)
{
	const struct sw_desc_full *f = &((const struct sw_desc_full *)ring)[slot];
	const struct sw_desc_packed *p = &((const struct sw_desc_packed *)ring)[slot];

	if (!packed)
		return (struct sw_operands){.a = f->a, .b = f->b, .len = f->len};
	if (sw_unlikely((uint8_t)p->hi & SW_F_WIDE))
		return wide[slot];
	return sw_packed_decode(p);
}

/* Write an operation into slot @slot; in the packed format it must fit
 * (sw_packed_fits()). The enqueue fast paths. */
static inline __attribute__((always_inline)) void
sw_slot_write(void *ring, unsigned int slot, uint64_t a, uint64_t b, uint64_t len,
	      uint8_t op_flags, bool packed)
{
	struct sw_desc_full *f = &((struct sw_desc_full *)ring)[slot];

	if (packed) {
		sw_packed_encode(&((struct sw_desc_packed *)ring)[slot], a, b, len, op_flags);
		return;
	}
	f->a = a;
	f->b = b;
	f->len = (uint32_t)len;
	f->op_flags = op_flags;
}

/* Write any operation into the slot of position @pos of @vc, in its format,
 * wide if need be. */
static inline void
sw_slot_put(struct sw_vchan *vc, uint16_t pos, uint64_t a, uint64_t b, uint32_t len,
	    uint8_t op_flags)
{
	const unsigned int slot = pos & vc->mask;

	if (!vc->packed) {
		sw_slot_write(vc->ring, slot, a, b, len, op_flags, false);
	} else if (sw_packed_fits(a, b, len)) {
		sw_slot_write(vc->ring, slot, a, b, len, op_flags, true);
	} else {
		vc->wide[slot] = (struct sw_operands){.a = a, .b = b, .len = len};
		sw_slot_write(vc->ring, slot, 0, 0, 0, (uint8_t)(op_flags | SW_F_WIDE), true);
	}
}

/* Set SW_F_* bits in the written descriptor of position @pos (producer). */
static inline void
sw_slot_set_flags(struct sw_vchan *vc, uint16_t pos, uint8_t bits)
{
	const unsigned int slot = pos & vc->mask;

	if (vc->packed)
		((struct sw_desc_packed *)vc->ring)[slot].hi |= bits;
	else
		((struct sw_desc_full *)vc->ring)[slot].op_flags |= bits;
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

/* Record the failed (or aborted) operation of position @pos's status
 * (sw_exec.c). */
void sw_record_failure(struct sw_vchan *vc, uint16_t pos, uint16_t status);

#endif
