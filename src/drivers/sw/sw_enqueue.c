/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The enqueue side of the data path: copy, copy_sg, fill and submit. An
 * enqueue writes one descriptor and advances head; submit hands
 * [submitted, head) to the engine: the inline engine performs it right
 * here, the thread engine publishes it to the worker.
 *
 * Each entry (sw_enq_copy, ...) is its operation (enq_one() for copy and
 * fill, enq_copy_sg()), inlined, plus a trace probe that exists only with
 * -Dtrace_fastpath=true (without it, the entry compiles to the operation
 * alone). The slow paths never go back through an entry, so one call
 * fires one probe.
 */
#include <errno.h>

#include "common/trace.h"
#include "drivers/sw/sw_dev.h"
#include "drivers/sw/sw_thread.h"

/* Hides from the compiler how @ptr was computed; emits no instruction.
 * For &sd->vchans[vchan], clang otherwise keeps the array's base and the
 * offset in two registers, to fold them into every access, and runs out of
 * the registers that keep enqueue frameless (see the note below). */
#define sw_opaque(ptr) __asm__("" : "+r"(ptr))

/* No free slot for one more operation. head - collected never exceeds
 * nb_desc, so the ring is full exactly when head is nb_desc ahead; put that
 * way, the test needs no copy of head (one register fewer: the note below). */
static inline bool
sw_ring_full(const struct sw_vchan *vc, uint16_t head)
{
	return (uint16_t)(atomic_load_explicit(&vc->collected, memory_order_relaxed) +
			  vc->nb_desc) == head;
}

/* Ring full: in silent mode nobody collects, so recycle what the engine
 * has finished and try again; otherwise the caller must collect. */
static __attribute__((noinline, cold)) bool
sw_silent_make_room(const struct sw_dev *sd, struct sw_vchan *vc)
{
	return sd->silent && sw_reclaim(vc) != 0;
}

static inline __attribute__((always_inline)) int
enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
	    const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags);

/*
 * The retries below are separate functions so that the fast paths reach
 * them by tail calls and need no stack frame of their own. They take the
 * vchan, not its number, so that the number need not stay in a register
 * through the fast path.
 *
 * For the same reason an enqueue with IDD_DMA_OP_FLAG_SUBMIT takes its own
 * out-of-line path (sw_enq_copy_submit(), ...), and sw_refuse_fast() lives
 * in another file: when the compiler can see that it returns a constant,
 * it calls it instead of jumping to it, and a call needs a frame.
 *
 * Why a frame matters: with one, enqueue saves registers on the stack
 * before it writes the descriptor and reloads them after. On the AMD core
 * this was measured on, whenever the ring's slots and those stack slots
 * happened to sit at addresses the load/store unit confuses (a matter of
 * where the ring and the stack were placed, so it changed from one vchan
 * and one process to the next), every reload waited for the descriptor's
 * stores, and 64-byte copies cost 9.5-11 ns instead of 5.5 on a local
 * vchan, in a third of the placements. Without a frame (gcc 12 and clang
 * 14 compile sw_enq_copy(), sw_enq_fill() and their _packed twins to code
 * with no push; test sw_enqueue_frameless checks it), that slow mode has
 * not been seen (tests/dataplane/bench_xproc, CPU ns per copy).
 */
static inline uint16_t
sw_vchan_number(const struct sw_dev *sd, const struct sw_vchan *vc)
{
	return (uint16_t)(vc - sd->vchans);
}

/* Write an operation (@op_flags) into the free slot @head of @vc, in the
 * ring's format, wide if need be: the paths other than the fast one.
 * Out of line, so that the fast path reaches it by a tail call. */
static __attribute__((noinline)) int
sw_enq_put(struct sw_vchan *vc, uint16_t head, uint64_t a, uint64_t b, uint32_t len,
	   uint8_t op_flags)
{
	sw_slot_put(vc, head, a, b, len, op_flags);
	atomic_store_explicit(&vc->head, (uint16_t)(head + 1), memory_order_relaxed);
	return head;
}

/* A copy or fill found the ring full. */
static __attribute__((noinline, cold)) int
sw_enq_no_room(struct sw_dev *sd, struct sw_vchan *vc, uint64_t a, uint64_t b, uint32_t len,
	       uint8_t op_flags)
{
	if (!sw_silent_make_room(sd, vc))
		return -ENOSPC;
	return sw_enq_put(vc, atomic_load_explicit(&vc->head, memory_order_relaxed), a, b, len,
			  op_flags);
}

static __attribute__((noinline, cold)) int
sw_enq_copy_sg_no_room(struct sw_dev *sd, struct sw_vchan *vc, const struct idd_dma_sge *src,
		    const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
		    uint64_t flags)
{
	if (!sw_silent_make_room(sd, vc))
		return -ENOSPC;
	return enq_copy_sg(sd, sw_vchan_number(sd, vc), src, dst, nb_src, nb_dst, flags);
}

void
sw_submit_vchan(struct sw_dev *sd, struct sw_vchan *vc)
{
	uint16_t head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	uint16_t sub = atomic_load_explicit(&vc->submitted, memory_order_relaxed);

	if (head == sub)
		return;
	/* The burst boundary travels in the descriptor, so the engine can
	 * apply the fence rule per burst even when it sees several bursts
	 * at once. */
	sw_slot_set_flags(vc, (uint16_t)(head - 1), SW_F_BURST_END);
	sw_count(&vc->n_submitted, (uint16_t)(head - sub));
	if (!sd->thread_engine) {
		atomic_store_explicit(&vc->submitted, head, memory_order_relaxed);
		sw_run(vc, sub, head);
		return;
	}
	/* seq_cst: a release store (the descriptors and sge entries written
	 * before it are visible to the worker's acquire load of submitted in
	 * sw_thread.c) that is also ordered before the load of sleeping in
	 * sw_worker_kick(); see the wakeup protocol in sw_thread.c. */
	atomic_store_explicit(&vc->submitted, head, memory_order_seq_cst);
	sw_worker_kick(sd->worker);
}

static inline __attribute__((always_inline)) int
submit(struct sw_dev *sd, uint16_t vchan)
{
	if (sw_unlikely(vchan >= sd->fp_vchans))
		return sw_refuse_fast(sd, vchan, "submit");
	sw_submit_vchan(sd, &sd->vchans[vchan]);
	return 0;
}

int
sw_submit(void *dev_private, uint16_t vchan)
{
	struct sw_dev *sd = dev_private;
	int ret = submit(sd, vchan);

	trace_submit(sd->dev_id, vchan, ret);
	return ret;
}

/* Take the free slot @head of @vc and write one operation into it (in the
 * packed format it must fit). The slot is taken first, so that head + 1 is
 * stored while head is still in a register and no copy of it stays live
 * (see the no-frame note above). */
static inline __attribute__((always_inline)) void
sw_enq_write(struct sw_vchan *vc, uint16_t head, uint64_t a, uint64_t b, uint64_t len,
	     uint8_t op_flags, bool packed)
{
	atomic_store_explicit(&vc->head, (uint16_t)(head + 1), memory_order_relaxed);
	sw_slot_write(vc->ring, head & vc->mask, a, b, len, op_flags, packed);
}

/* Where @addr of a side probably is in this process, to prefetch it: a
 * peer's address through the side's last-hit cache @c, which submit on
 * this same thread (inline engine) keeps, or the address itself for the
 * caller's own side. Only a guess: the engine translates again inside its
 * read-side section, and a prefetch of an address that is no longer
 * mapped does nothing (it never faults). On a miss, a line of the cache
 * (touched anyway) instead of an address of another process. */
static inline __attribute__((always_inline)) const void *
sw_prefetch_guess(const struct mem_wt_cache *c, uint64_t addr)
{
	if (addr - c->base > c->size_m1)
		return c;
	return (const void *)(uintptr_t)(addr + c->delta);
}

/* The inline engine copies on this core at the next submit: start
 * fetching the first lines of a copy at its enqueue, so that the misses of
 * a burst overlap. */
static inline __attribute__((always_inline)) void
sw_enq_prefetch(const struct sw_vchan *vc, uint64_t src, uint64_t dst)
{
	if (vc->prefetch) {
		__builtin_prefetch((const void *)(uintptr_t)src, 0);
		__builtin_prefetch((const void *)(uintptr_t)dst, 1);
	} else if (vc->prefetch_peer) {
		__builtin_prefetch(sw_prefetch_guess(vc->pf_src, src), 0);
		__builtin_prefetch(sw_prefetch_guess(vc->pf_dst, dst), 1);
	}
}

static __attribute__((noinline)) int
sw_enq_copy_submit(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
		   uint64_t flags);
static __attribute__((noinline)) int
sw_enq_fill_submit(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
		   uint64_t flags);

/* Copy (a: source, b: destination) and fill (a: pattern, b: destination)
 * share one enqueue; @op and @packed are constants in each entry. */
static inline __attribute__((always_inline)) int
enq_one(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
	uint64_t flags, enum sw_opcode op, bool packed)
{
	struct sw_dev *sd = dev_private;
	struct sw_vchan *vc;
	uint16_t head;

	if (flags & IDD_DMA_OP_FLAG_SUBMIT)
		return op == SW_OP_COPY ? sw_enq_copy_submit(dev_private, vchan, a, b, length, flags)
					: sw_enq_fill_submit(dev_private, vchan, a, b, length, flags);
	if (sw_unlikely(vchan >= sd->fp_vchans))
		return sw_refuse_fast(sd, vchan, op == SW_OP_COPY ? "copy" : "fill");
	vc = &sd->vchans[vchan];
	sw_opaque(vc);
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	if (sw_unlikely(sw_ring_full(vc, head)))
		return sw_enq_no_room(sd, vc, a, b, length, SW_OP_FLAGS(op, flags));
	/* Packed format: operands that do not fit a descriptor (sw_desc.h). */
	if (packed && sw_unlikely(!sw_packed_fits(a, b, length)))
		return sw_enq_put(vc, head, a, b, length, SW_OP_FLAGS(op, flags));
	sw_enq_write(vc, head, a, b, length, SW_OP_FLAGS(op, flags), packed);
	/* After the descriptor, when its values no longer need registers.
	 * Only the inline engine (full format) copies on this core. */
	if (!packed && op == SW_OP_COPY)
		sw_enq_prefetch(vc, a, b);
	return head;
}

/* An enqueue with IDD_DMA_OP_FLAG_SUBMIT, and the submit: out of line, so
 * that the fast path needs no register for a test of the flag at its end
 * (see the no-frame note above). */
static inline __attribute__((always_inline)) int
enq_one_submit(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
	       uint64_t flags, enum sw_opcode op)
{
	struct sw_dev *sd = dev_private;
	const uint64_t f = flags & ~IDD_DMA_OP_FLAG_SUBMIT;
	int ret = sd->thread_engine ? enq_one(sd, vchan, a, b, length, f, op, true)
				    : enq_one(sd, vchan, a, b, length, f, op, false);

	if (ret >= 0)
		sw_submit_vchan(sd, &sd->vchans[vchan]);
	return ret;
}

static __attribute__((noinline)) int
sw_enq_copy_submit(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
		   uint64_t flags)
{
	return enq_one_submit(dev_private, vchan, a, b, length, flags, SW_OP_COPY);
}

static __attribute__((noinline)) int
sw_enq_fill_submit(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
		   uint64_t flags)
{
	return enq_one_submit(dev_private, vchan, a, b, length, flags, SW_OP_FILL);
}

/* enq_one() and its trace probe (see the file comment). */
static inline __attribute__((always_inline)) int
enq_one_traced(void *dev_private, uint16_t vchan, uint64_t a, uint64_t b, uint32_t length,
	       uint64_t flags, enum sw_opcode op, bool packed)
{
	int16_t dev_id = ((struct sw_dev *)dev_private)->dev_id;
	int ret = enq_one(dev_private, vchan, a, b, length, flags, op, packed);

	if (op == SW_OP_COPY)
		trace_copy(dev_id, vchan, a, b, length, flags, ret);
	else
		trace_fill(dev_id, vchan, a, b, length, flags, ret);
	return ret;
}

/* The entries, one per ring format (sw_desc.h): the inline engine's
 * devices get the full one, the thread engine's the packed one. */
int
sw_enq_copy(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t length,
	    uint64_t flags)
{
	return enq_one_traced(dev_private, vchan, src, dst, length, flags, SW_OP_COPY, false);
}

int
sw_enq_copy_packed(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst,
		   uint32_t length, uint64_t flags)
{
	return enq_one_traced(dev_private, vchan, src, dst, length, flags, SW_OP_COPY, true);
}

int
sw_enq_fill(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst, uint32_t length,
	    uint64_t flags)
{
	return enq_one_traced(dev_private, vchan, pattern, dst, length, flags, SW_OP_FILL, false);
}

int
sw_enq_fill_packed(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
		   uint32_t length, uint64_t flags)
{
	return enq_one_traced(dev_private, vchan, pattern, dst, length, flags, SW_OP_FILL, true);
}

/* Copy one list into the sge ring at @pos; returns its total length. */
static uint64_t
sw_sge_push(struct sw_vchan *vc, uint32_t pos, const struct idd_dma_sge *list, uint16_t nb)
{
	uint64_t total = 0;

	for (uint16_t i = 0; i < nb; i++) {
		vc->sges[(pos + i) & vc->sge_mask] = list[i];
		total += list[i].length;
	}
	return total;
}

static inline __attribute__((always_inline)) int
enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
	    const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	struct sw_dev *sd = dev_private;
	uint64_t src_total, dst_total;
	struct sw_vchan *vc;
	uint8_t op_flags;
	uint16_t head;
	uint32_t pos;

	if (sw_unlikely(vchan >= sd->fp_vchans))
		return sw_refuse_fast(sd, vchan, "copy_sg");
	if (sw_unlikely(src == NULL || dst == NULL || nb_src == 0 || nb_dst == 0 ||
			nb_src > SW_MAX_SGES || nb_dst > SW_MAX_SGES)) {
		IDD_LOG(DEBUG, "dev %s: copy_sg on vchan %u refused: lists %p/%p with %u/%u entries "
			       "(1..%u each)", sd->name, vchan, (const void *)src,
			(const void *)dst, nb_src, nb_dst, SW_MAX_SGES);
		return -EINVAL;
	}
	vc = &sd->vchans[vchan];
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	/* A free slot implies room in the sge FIFO (see SW_SGE_PER_DESC). */
	if (sw_unlikely(sw_ring_full(vc, head)))
		return sw_enq_copy_sg_no_room(sd, vc, src, dst, nb_src, nb_dst, flags);
	pos = vc->sge_head;
	src_total = sw_sge_push(vc, pos, src, nb_src);
	dst_total = sw_sge_push(vc, pos + nb_src, dst, nb_dst);
	vc->sge_head = pos + nb_src + nb_dst;

	op_flags = SW_OP_FLAGS(SW_OP_COPY_SG, flags);
	if (src_total == 0 || src_total != dst_total)
		op_flags |= SW_F_BAD_LEN;
	sw_enq_put(vc, head, pos, nb_src | (uint32_t)nb_dst << 16, 0, op_flags);
	if (flags & IDD_DMA_OP_FLAG_SUBMIT)
		sw_submit_vchan(sd, vc);
	return head;
}

int
sw_enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
	       const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	int ret = enq_copy_sg(dev_private, vchan, src, dst, nb_src, nb_dst, flags);

	trace_copy_sg(((struct sw_dev *)dev_private)->dev_id, vchan, src, dst, nb_src, nb_dst,
		      flags, ret);
	return ret;
}
