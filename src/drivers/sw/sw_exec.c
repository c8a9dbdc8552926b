/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Performing descriptors: the copy, fill and scatter-gather loops, the
 * per-burst fence rule and status recording. Both engines call sw_run():
 * the inline engine from submit, the thread engine from its worker.
 */
#include <endian.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"
#include "drivers/sw/sw_stream.h"

/* Copies up to this size avoid the call into the C library: a burst of
 * small copies is dominated by per-call overhead, not by bytes moved. */
#define SW_SMALL_COPY 64

static inline __attribute__((always_inline)) void
sw_move16(uint8_t *d, const uint8_t *s)
{
	uint8_t tmp[16];

	memcpy(tmp, s, 16);
	memcpy(d, tmp, 16);
}

/* Overlapping fixed-size moves cover any length in a size class with two
 * or four unaligned loads and stores and no loop. */
static inline __attribute__((always_inline)) void
sw_copy_small(uint8_t *d, const uint8_t *s, uint32_t n)
{
	if (n >= 32) {
		sw_move16(d, s);
		sw_move16(d + 16, s + 16);
		sw_move16(d + n - 32, s + n - 32);
		sw_move16(d + n - 16, s + n - 16);
	} else if (n >= 16) {
		sw_move16(d, s);
		sw_move16(d + n - 16, s + n - 16);
	} else if (n >= 8) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else {
		uint8_t a = s[0], b = s[n / 2], c = s[n - 1];

		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

/* @stream_above: the vchan's, or UINT64_MAX for an operation with the LLC
 * hint (sw_stream_above()). */
static inline __attribute__((always_inline)) void
sw_copy_bytes(void *dst, const void *src, size_t n, uint64_t stream_above)
{
	if (sw_likely(n <= SW_SMALL_COPY))
		sw_copy_small(dst, src, (uint32_t)n);
	else if (sw_unlikely(n > stream_above))
		sw_copy_stream(dst, src, n);
	else
		memcpy(dst, src, n);
}

/* Copies longer than this are streamed, for an operation with SW_F_* bits
 * @flags. */
static inline __attribute__((always_inline)) uint64_t
sw_stream_above(const struct sw_vchan *vc, unsigned int flags)
{
	return (flags & SW_F_LLC) ? UINT64_MAX : vc->stream_above;
}

/* @stream_above: as for sw_copy_bytes(). */
static void
sw_fill_bytes(uint8_t *d, uint64_t pattern, size_t n, uint64_t stream_above)
{
	uint64_t le = htole64(pattern);
	uint8_t block[64];

	if (sw_unlikely(n > stream_above)) {
		sw_fill_stream(d, pattern, n);
		return;
	}
	/* A pattern of one repeated byte is a memset, which the C library
	 * does faster than any loop here. */
	if (pattern == (pattern & 0xff) * UINT64_C(0x0101010101010101)) {
		memset(d, (int)(pattern & 0xff), n);
		return;
	}
	for (size_t i = 0; i < sizeof(block); i += 8)
		memcpy(block + i, &le, 8);
	/* Every chunk starts at a multiple of 8 bytes from d, so each one
	 * starts with byte 0 of the pattern. */
	while (n >= sizeof(block)) {
		memcpy(d, block, sizeof(block));
		d += sizeof(block);
		n -= sizeof(block);
	}
	memcpy(d, block, n);
}

/* Bytes a non-local burst may move inside one RCU read-side section before
 * the engine passes a quiescent point: a departing member's windows are
 * unmapped only after every section that may use them ended, and the
 * control thread waits for that (holding the group lock), so a burst of
 * many large copies must not keep it waiting for the whole burst. */
#define SW_RCU_SECTION_BYTES (4u << 20)

/* A read-side section begins (a burst, or the rest of one after a
 * quiescent point): each peer side will use the windows of its table's
 * snapshot as of now. Within the section that snapshot's mappings stay
 * mapped (a removal waits for the section to end), so the side's cache
 * can be trusted for the whole burst after one check of the generation
 * here, instead of one per operation. */
static inline void
sw_side_enter(struct sw_side *side)
{
	/* Acquire pairs with the release store that published the snapshot
	 * (window_table.c): its windows are initialised before we use them. */
	if (side->table != NULL)
		side->gen = atomic_load_explicit(&side->table->snap, memory_order_acquire)->gen;
}

static inline void
sw_sides_enter(struct sw_xdom *xd)
{
	sw_side_enter(&xd->src);
	sw_side_enter(&xd->dst);
}

/* The cache missed: a full translation (mem_wt_translate() refills the
 * cache on success, from the table's current snapshot, which may be newer
 * than the section's: follow it). Out of line, so that the hit path below
 * stays a handful of instructions. */
static __attribute__((noinline)) void *
sw_xlate_miss(struct sw_side *side, uint64_t addr, uint64_t len, uint32_t access)
{
	void *p = mem_wt_translate(side->table, &side->cache, addr, len, access);

	if (p != NULL)
		side->gen = side->cache.gen;
	return p;
}

/* An address of the caller's own, used as it is if
 * dma_own_range_valid() (@len >= 1); NULL: refused. */
static inline __attribute__((always_inline)) void *
sw_own_ptr(uint64_t addr, uint64_t len)
{
	if (sw_unlikely(!dma_own_range_valid(addr, len)))
		return NULL;
	return (void *)(uintptr_t)addr;
}

/* An address of one side of an inter-domain vchan, as a pointer here. The
 * caller's own side goes through sw_own_ptr(); a peer's goes through its window
 * table: the side's last-hit cache, else mem_wt_translate(). No permission
 * check on a hit: the cache is only ever filled by a translation with this
 * side's access (read for a source, write for a destination). NULL: not
 * accessible. Inside a read-side section (sw_run()). */
static inline __attribute__((always_inline)) void *
sw_xlate(struct sw_side *side, uint64_t addr, uint64_t len, uint32_t access)
{
	const struct mem_wt_cache *c = &side->cache;
	uint64_t off = addr - c->base;

	if (side->table == NULL)
		return sw_own_ptr(addr, len);
	/* As in mem_wt_translate(): nothing computes addr + len, which may
	 * wrap; len 0 wraps len - 1 and fails. */
	if (sw_likely(c->gen == side->gen && off <= c->size_m1 && len - 1 <= c->size_m1 - off))
		return (void *)(uintptr_t)(addr + c->delta);
	return sw_xlate_miss(side, addr, len, access);
}

/* The source and destination of an operation as pointers here; NULL: not
 * accessible (the operation fails with INVALID_SRC_ADDR or _DST_ADDR).
 * A local vchan's addresses are all the caller's own. */
static inline __attribute__((always_inline)) void *
sw_src_ptr(struct sw_xdom *xd, bool local, uint64_t addr, uint64_t len)
{
	if (sw_likely(local))
		return sw_own_ptr(addr, len);
	return sw_xlate(&xd->src, addr, len, MEM_ACCESS_READ);
}

static inline __attribute__((always_inline)) void *
sw_dst_ptr(struct sw_xdom *xd, bool local, uint64_t addr, uint64_t len)
{
	if (sw_likely(local))
		return sw_own_ptr(addr, len);
	return sw_xlate(&xd->dst, addr, len, MEM_ACCESS_WRITE);
}

/* Copy the concatenation of one list to that of the other. The lists are
 * entries src_pos.. and dst_pos.. of @base, positions taken modulo
 * @sge_mask + 1 (the sge ring wraps). The caller checked that the totals
 * are equal and non-zero. Each entry is translated on its own, so entries
 * may lie in different windows (never across two: a window boundary is
 * where one mapping ends). On success adds the bytes copied to *@bytes. */
static uint16_t
sw_exec_sg(struct sw_xdom *xd, bool local, const struct idd_dma_sge *base, uint32_t src_pos,
	   unsigned int nb_src, uint32_t dst_pos, unsigned int nb_dst, uint32_t sge_mask,
	   uint64_t stream_above, uint64_t *bytes)
{
	const uint8_t *sp = NULL;
	uint8_t *dp = NULL;
	uint32_t sl = 0, dl = 0;
	unsigned int si = 0, di = 0;
	uint64_t moved = 0;

	for (;;) {
		uint32_t n;

		while (sl == 0) {
			const struct idd_dma_sge *e;

			if (si == nb_src)
				goto done;
			e = &base[(src_pos + si++) & sge_mask];
			if (e->length == 0)
				continue;
			sp = sw_src_ptr(xd, local, e->addr, e->length);
			if (sw_unlikely(sp == NULL))
				return IDD_DMA_STATUS_INVALID_SRC_ADDR;
			sl = e->length;
		}
		while (dl == 0) {
			const struct idd_dma_sge *e;

			if (di == nb_dst)
				goto done;
			e = &base[(dst_pos + di++) & sge_mask];
			if (e->length == 0)
				continue;
			dp = sw_dst_ptr(xd, local, e->addr, e->length);
			if (sw_unlikely(dp == NULL))
				return IDD_DMA_STATUS_INVALID_DST_ADDR;
			dl = e->length;
		}
		n = sl < dl ? sl : dl;
		sw_copy_bytes(dp, sp, n, stream_above);
		sp += n;
		dp += n;
		sl -= n;
		dl -= n;
		moved += n;
	}
done:
	*bytes += moved;
	return IDD_DMA_STATUS_SUCCESSFUL;
}

/* An application's op (enq/deq mode): its segment list is its own memory,
 * so the length rule is checked here rather than at enqueue; the addresses
 * in it belong to the vchan's domains like any others. */
static uint16_t
sw_exec_op(const struct sw_vchan *vc, struct sw_xdom *xd, bool local, struct idd_dma_op *op,
	   uint64_t *bytes)
{
	const struct idd_dma_sge *seg = op->src_dst_seg;
	uint64_t src_total = 0, dst_total = 0;
	uint16_t st;

	/* The same bound as copy_sg's (idd_dma_info::max_sges): an op with
	 * longer lists is refused as a whole, before any byte moves. */
	if (op->nb_src > SW_MAX_SGES || op->nb_dst > SW_MAX_SGES)
		return IDD_DMA_STATUS_INVALID_LENGTH;
	for (unsigned int i = 0; i < op->nb_src; i++)
		src_total += seg[i].length;
	for (unsigned int i = 0; i < op->nb_dst; i++)
		dst_total += seg[op->nb_src + i].length;
	if (src_total == 0 || src_total != dst_total)
		return IDD_DMA_STATUS_INVALID_LENGTH;
	st = sw_exec_sg(xd, local, seg, 0, op->nb_src, op->nb_src, op->nb_dst, UINT32_MAX,
			sw_stream_above(vc, SW_DESC_FLAGS(op->flags)), bytes);
	if (st == IDD_DMA_STATUS_SUCCESSFUL)
		op->status = IDD_DMA_STATUS_SUCCESSFUL;
	return st;
}

/* Perform one operation: @flags is its op_flags byte, @o its operands
 * (read from the descriptor before any byte moves: the copy's stores could
 * alias the ring as far as the compiler knows). */
static inline __attribute__((always_inline)) uint16_t
sw_exec(const struct sw_vchan *vc, struct sw_xdom *xd, unsigned int flags,
	const struct sw_operands o, bool local, uint64_t *bytes)
{
	const uint32_t len = o.len;
	void *dp;
	const void *sp;

	switch (__builtin_expect(sw_opcode_of(flags), SW_OP_COPY)) {
	case SW_OP_COPY:
		if (sw_unlikely(len == 0))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		sp = sw_src_ptr(xd, local, o.a, len);
		if (sw_unlikely(sp == NULL))
			return IDD_DMA_STATUS_INVALID_SRC_ADDR;
		dp = sw_dst_ptr(xd, local, o.b, len);
		if (sw_unlikely(dp == NULL))
			return IDD_DMA_STATUS_INVALID_DST_ADDR;
		sw_copy_bytes(dp, sp, len, sw_stream_above(vc, flags));
		*bytes += len;
		return IDD_DMA_STATUS_SUCCESSFUL;
	case SW_OP_FILL:
		if (sw_unlikely(len == 0))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		dp = sw_dst_ptr(xd, local, o.b, len);
		if (sw_unlikely(dp == NULL))
			return IDD_DMA_STATUS_INVALID_DST_ADDR;
		sw_fill_bytes(dp, o.a, len, sw_stream_above(vc, flags));
		*bytes += len;
		return IDD_DMA_STATUS_SUCCESSFUL;
	/* The out-of-line cases count into a variable of their own, so that
	 * the loop's byte count never has its address taken and stays in a
	 * register on the copy path. */
	case SW_OP_COPY_SG: {
		uint64_t n = 0;
		uint16_t st;

		if (sw_unlikely(flags & SW_F_BAD_LEN))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		st = sw_exec_sg(xd, local, vc->sges, (uint32_t)o.a, o.b & 0xffff,
				(uint32_t)o.a + (o.b & 0xffff), (unsigned int)(o.b >> 16),
				vc->sge_mask, sw_stream_above(vc, flags), &n);
		*bytes += n;
		return st;
	}
	case SW_OP_OPS: {
		uint64_t n = 0;
		uint16_t st = sw_exec_op(vc, xd, local, (struct idd_dma_op *)(uintptr_t)o.a, &n);

		*bytes += n;
		return st;
	}
	}
	return IDD_DMA_STATUS_INVALID_OPCODE;
}

void
sw_record_failure(struct sw_vchan *vc, uint16_t pos, uint16_t status)
{
	const unsigned int slot = pos & vc->mask;
	struct idd_dma_op *op;

	if (sw_opcode_of(sw_slot_op_flags(vc->ring, slot, vc->packed)) != SW_OP_OPS) {
		vc->status[slot] = status;
		return;
	}
	op = (struct idd_dma_op *)(uintptr_t)sw_slot_operands(vc->ring, vc->wide, slot, vc->packed).a;
	op->status = (enum idd_dma_status_code)status;
}

/* The fence rule, before an operation: false when it must not be attempted
 * (an earlier operation of its burst failed and it, or one before it in
 * the burst, carries the fence). */
static inline __attribute__((always_inline)) bool
sw_fence_admits(unsigned int *state, unsigned int flags)
{
	if (sw_unlikely(*state != SW_BURST_OK) && (flags & SW_F_FENCE))
		*state = SW_BURST_SKIPPED;
	return sw_likely(*state != SW_BURST_SKIPPED);
}

/* After an operation: record a failure, and end the burst's fence state at
 * its last operation. */
static inline __attribute__((always_inline)) void
sw_settle(struct sw_vchan *vc, unsigned int i, unsigned int flags, uint16_t st,
	  unsigned int *state, uint32_t *failed)
{
	if (sw_unlikely(st != IDD_DMA_STATUS_SUCCESSFUL)) {
		sw_record_failure(vc, (uint16_t)i, st);
		(*failed)++;
		if (*state == SW_BURST_OK)
			*state = SW_BURST_FAILED;
	}
	if (flags & SW_F_BURST_END)
		*state = SW_BURST_OK;
}

/* Bytes after which a run hands over what it has finished so far instead
 * of waiting for its end: the worker runs up to SW_WORKER_BATCH operations
 * at a time, and 64 large copies would otherwise hold back the completion
 * of the first until the last is done. Small operations never reach it
 * within a batch, so they are still published once per run; the test per
 * operation is one compare against a register. */
#define SW_PUBLISH_BYTES (256u << 10)

/* Hand [.., to) over to the completion calls. */
static inline __attribute__((always_inline)) void
sw_publish(struct sw_vchan *vc, uint16_t to, unsigned int state, uint32_t failed, uint64_t bytes)
{
	vc->fence_state = (uint8_t)state;
	if (sw_unlikely(failed != 0))
		atomic_store_explicit(&vc->fin_errors,
				      atomic_load_explicit(&vc->fin_errors, memory_order_relaxed) +
					      failed,
				      memory_order_relaxed);
	atomic_store_explicit(&vc->n_bytes,
			      atomic_load_explicit(&vc->n_bytes, memory_order_relaxed) + bytes,
			      memory_order_relaxed);
	/* Release: the data moved and the statuses and fin_errors written
	 * above become visible before the new position. Pairs with the acquire
	 * loads of finished in sw_completion.c, sw_ops.c and sw_vchan.c. */
	atomic_store_explicit(&vc->finished, to, memory_order_release);
}

/* Mid-run: publish up to and including operation @i, which moved the
 * run's byte count to @bytes; the next publication is due
 * SW_PUBLISH_BYTES later. *@next_publish - SW_PUBLISH_BYTES is always
 * what the run has published so far. */
static __attribute__((noinline)) void
sw_publish_part(struct sw_vchan *vc, unsigned int i, unsigned int state, uint32_t *failed,
		uint64_t bytes, uint64_t *next_publish)
{
	sw_publish(vc, (uint16_t)(i + 1), state, *failed,
		   bytes - (*next_publish - SW_PUBLISH_BYTES));
	*failed = 0;
	*next_publish = bytes + SW_PUBLISH_BYTES;
}

/* A vchan whose both sides are this process: no translation, no read-side
 * section. @packed: the ring's format, a constant in each caller. */
static inline __attribute__((always_inline)) void
sw_run_local(struct sw_vchan *vc, uint16_t from, uint16_t to, bool packed)
{
	const void *ring = vc->ring;
	const struct sw_operands *wide = vc->wide;
	const unsigned int mask = vc->mask;
	unsigned int state = vc->fence_state;
	uint32_t failed = 0;
	uint64_t bytes = 0, next_publish = SW_PUBLISH_BYTES;

	/* A native-width counter: ring positions are taken modulo 2^16 only
	 * where they are stored or masked. */
	for (unsigned int i = from, n = (uint16_t)(to - from); n != 0; n--, i++) {
		const unsigned int slot = i & mask;
		const unsigned int flags = sw_slot_op_flags(ring, slot, packed);
		uint16_t st = IDD_DMA_STATUS_NOT_ATTEMPTED;

		if (sw_fence_admits(&state, flags))
			st = sw_exec(vc, NULL, flags, sw_slot_operands(ring, wide, slot, packed), true,
				     &bytes);
		sw_settle(vc, i, flags, st, &state, &failed);
		if (sw_unlikely(bytes >= next_publish))
			sw_publish_part(vc, i, state, &failed, bytes, &next_publish);
	}
	sw_publish(vc, to, state, failed, bytes - (next_publish - SW_PUBLISH_BYTES));
}

/* A peer side's translation (its table is not NULL). */
static inline __attribute__((always_inline)) void *
sw_xlate_peer(struct sw_side *side, uint64_t addr, uint64_t len, uint32_t access)
{
	const struct mem_wt_cache *c = &side->cache;
	uint64_t off = addr - c->base;

	if (sw_likely(c->gen == side->gen && off <= c->size_m1 && len - 1 <= c->size_m1 - off))
		return (void *)(uintptr_t)(addr + c->delta);
	return sw_xlate_miss(side, addr, len, access);
}

/* A copy of a peer vchan: translated and performed at once. @src_peer and
 * @dst_peer are constants in each caller, so that the local side costs
 * only sw_own_ptr()'s two compares. Other operations go through sw_exec(). */
static inline __attribute__((always_inline)) uint16_t
sw_exec_peer(const struct sw_vchan *vc, struct sw_xdom *xd, unsigned int flags,
	     const struct sw_operands o, bool src_peer, bool dst_peer, uint64_t *bytes)
{
	const uint32_t len = o.len;
	void *sp, *dp;

	if (sw_unlikely(sw_opcode_of(flags) != SW_OP_COPY || len == 0))
		return sw_exec(vc, xd, flags, o, false, bytes);
	sp = src_peer ? sw_xlate_peer(&xd->src, o.a, len, MEM_ACCESS_READ) : sw_own_ptr(o.a, len);
	if (sw_unlikely(sp == NULL))
		return IDD_DMA_STATUS_INVALID_SRC_ADDR;
	dp = dst_peer ? sw_xlate_peer(&xd->dst, o.b, len, MEM_ACCESS_WRITE) : sw_own_ptr(o.b, len);
	if (sw_unlikely(dp == NULL))
		return IDD_DMA_STATUS_INVALID_DST_ADDR;
	sw_copy_bytes(dp, sp, len, sw_stream_above(vc, flags));
	*bytes += len;
	return IDD_DMA_STATUS_SUCCESSFUL;
}

/* A vchan with a peer on at least one side. Peers' windows are only used
 * inside a read-side section: a departing member's windows are unmapped
 * after every section that may have translated into them has ended
 * (mem/rcu.h). The section covers the burst, so the inline engine pays for
 * it once per submit and the worker once per batch; neither blocks inside
 * it. A burst of large copies passes a quiescent point every
 * SW_RCU_SECTION_BYTES, between two operations: no translated pointer
 * lives from one operation to the next, and the side caches hold values,
 * not pointers. */
static inline __attribute__((always_inline)) void
sw_run_peer(struct sw_vchan *vc, uint16_t from, uint16_t to, bool src_peer, bool dst_peer,
	    bool packed)
{
	const void *ring = vc->ring;
	const struct sw_operands *wide = vc->wide;
	const unsigned int mask = vc->mask;
	struct sw_xdom *xd = vc->xd;
	unsigned int state = vc->fence_state;
	uint32_t failed = 0;
	uint64_t bytes = 0, section_end = SW_RCU_SECTION_BYTES, next_publish = SW_PUBLISH_BYTES;

	mem_rcu_read_lock();
	sw_sides_enter(xd);
	for (unsigned int i = from, n = (uint16_t)(to - from); n != 0; n--, i++) {
		const unsigned int slot = i & mask;
		const unsigned int flags = sw_slot_op_flags(ring, slot, packed);
		uint16_t st = IDD_DMA_STATUS_NOT_ATTEMPTED;

		if (sw_fence_admits(&state, flags))
			st = sw_exec_peer(vc, xd, flags, sw_slot_operands(ring, wide, slot, packed),
					  src_peer, dst_peer, &bytes);
		sw_settle(vc, i, flags, st, &state, &failed);
		if (sw_unlikely(bytes >= next_publish))
			sw_publish_part(vc, i, state, &failed, bytes, &next_publish);
		if (sw_unlikely(bytes >= section_end)) {
			mem_rcu_read_unlock();
			mem_rcu_read_lock();
			sw_sides_enter(xd);
			section_end = bytes + SW_RCU_SECTION_BYTES;
		}
	}
	mem_rcu_read_unlock();
	sw_publish(vc, to, state, failed, bytes - (next_publish - SW_PUBLISH_BYTES));
}

/* One copy of the loop per combination of sides and ring format. */
#define SW_RUN_VARIANTS(fmt, packed)                                                      \
	static void sw_run_local_##fmt(struct sw_vchan *vc, uint16_t from, uint16_t to)   \
	{                                                                                 \
		sw_run_local(vc, from, to, packed);                                       \
	}                                                                                 \
	static void sw_run_to_peer_##fmt(struct sw_vchan *vc, uint16_t from, uint16_t to) \
	{                                                                                 \
		sw_run_peer(vc, from, to, false, true, packed);                           \
	}                                                                                 \
	static void sw_run_from_peer_##fmt(struct sw_vchan *vc, uint16_t from,            \
					   uint16_t to)                                   \
	{                                                                                 \
		sw_run_peer(vc, from, to, true, false, packed);                           \
	}                                                                                 \
	static void sw_run_peer_to_peer_##fmt(struct sw_vchan *vc, uint16_t from,         \
					      uint16_t to)                                \
	{                                                                                 \
		sw_run_peer(vc, from, to, true, true, packed);                            \
	}                                                                                 \
	static void sw_run_##fmt(struct sw_vchan *vc, uint16_t from, uint16_t to)         \
	{                                                                                 \
		if (sw_likely(vc->local))                                                 \
			sw_run_local_##fmt(vc, from, to);                                 \
		else if (vc->xd->src.table == NULL)                                       \
			sw_run_to_peer_##fmt(vc, from, to);                               \
		else if (vc->xd->dst.table == NULL)                                       \
			sw_run_from_peer_##fmt(vc, from, to);                             \
		else                                                                      \
			sw_run_peer_to_peer_##fmt(vc, from, to);                          \
	}

SW_RUN_VARIANTS(full, false)
SW_RUN_VARIANTS(packed, true)

void
sw_run(struct sw_vchan *vc, uint16_t from, uint16_t to)
{
	/* Per format, a local loop and a peer loop (in three variants, by
	 * which sides are peers): for a vchan whose both sides are this
	 * process the local one has no translation at all and needs no
	 * read-side section. */
	if (vc->packed)
		sw_run_packed(vc, from, to);
	else
		sw_run_full(vc, from, to);
}
