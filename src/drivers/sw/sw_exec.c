/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Performing descriptors: the copy, fill and scatter-gather loops, the
 * per-burst fence rule and status recording. Both engines call sw_run():
 * the inline engine from submit, the thread engine from its worker.
 */
#include <endian.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"

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

static inline __attribute__((always_inline)) void
sw_copy_bytes(void *dst, const void *src, size_t n)
{
	if (sw_likely(n <= SW_SMALL_COPY))
		sw_copy_small(dst, src, (uint32_t)n);
	else
		memcpy(dst, src, n);
}

static void
sw_fill_bytes(uint8_t *d, uint64_t pattern, size_t n)
{
	uint64_t le = htole64(pattern);
	uint8_t block[64];

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

/* An address of one side of an inter-domain vchan, as a pointer here. The
 * caller's own side is used as it is; a peer's goes through its window
 * table (one translation per range, usually a hit in the side's cache).
 * NULL: not accessible. Inside a read-side section (sw_run()). */
static inline __attribute__((always_inline)) void *
sw_xlate(struct sw_side *side, uint64_t addr, uint64_t len, uint32_t access)
{
	if (side->table == NULL)
		return (void *)(uintptr_t)addr;
	return mem_wt_translate(side->table, &side->cache, addr, len, access);
}

/* A local vchan's address is used as it is, NULL included: like memcpy, the
 * engine does not second-guess the caller's own pointers. Only an
 * inter-domain side can say that an address is not valid. */
static inline __attribute__((always_inline)) void *
sw_src_ptr(struct sw_xdom *xd, bool local, uint64_t addr, uint64_t len)
{
	if (sw_likely(local))
		return (void *)(uintptr_t)addr;
	return sw_xlate(&xd->src, addr, len, MEM_ACCESS_READ);
}

static inline __attribute__((always_inline)) void *
sw_dst_ptr(struct sw_xdom *xd, bool local, uint64_t addr, uint64_t len)
{
	if (sw_likely(local))
		return (void *)(uintptr_t)addr;
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
	   uint64_t *bytes)
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
			if (!local && sw_unlikely(sp == NULL))
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
			if (!local && sw_unlikely(dp == NULL))
				return IDD_DMA_STATUS_INVALID_DST_ADDR;
			dl = e->length;
		}
		n = sl < dl ? sl : dl;
		sw_copy_bytes(dp, sp, n);
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
sw_exec_op(struct sw_xdom *xd, bool local, struct idd_dma_op *op, uint64_t *bytes)
{
	const struct idd_dma_sge *seg = op->src_dst_seg;
	uint64_t src_total = 0, dst_total = 0;
	uint16_t st;

	for (unsigned int i = 0; i < op->nb_src; i++)
		src_total += seg[i].length;
	for (unsigned int i = 0; i < op->nb_dst; i++)
		dst_total += seg[op->nb_src + i].length;
	if (src_total == 0 || src_total != dst_total)
		return IDD_DMA_STATUS_INVALID_LENGTH;
	st = sw_exec_sg(xd, local, seg, 0, op->nb_src, op->nb_src, op->nb_dst, UINT32_MAX, bytes);
	if (st == IDD_DMA_STATUS_SUCCESSFUL)
		op->status = IDD_DMA_STATUS_SUCCESSFUL;
	return st;
}

static inline __attribute__((always_inline)) uint16_t
sw_exec(const struct sw_vchan *vc, struct sw_xdom *xd, const struct sw_desc *d, bool local,
	uint64_t *bytes)
{
	void *dp;
	const void *sp;

	switch (__builtin_expect(d->op, SW_OP_COPY)) {
	case SW_OP_COPY:
		if (sw_unlikely(d->len == 0))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		sp = sw_src_ptr(xd, local, d->src, d->len);
		if (!local && sw_unlikely(sp == NULL))
			return IDD_DMA_STATUS_INVALID_SRC_ADDR;
		dp = sw_dst_ptr(xd, local, d->dst, d->len);
		if (!local && sw_unlikely(dp == NULL))
			return IDD_DMA_STATUS_INVALID_DST_ADDR;
		sw_copy_bytes(dp, sp, d->len);
		*bytes += d->len;
		return IDD_DMA_STATUS_SUCCESSFUL;
	case SW_OP_FILL:
		if (sw_unlikely(d->len == 0))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		dp = sw_dst_ptr(xd, local, d->dst, d->len);
		if (!local && sw_unlikely(dp == NULL))
			return IDD_DMA_STATUS_INVALID_DST_ADDR;
		sw_fill_bytes(dp, d->src, d->len);
		*bytes += d->len;
		return IDD_DMA_STATUS_SUCCESSFUL;
	case SW_OP_COPY_SG:
		if (sw_unlikely(d->flags & SW_F_BAD_LEN))
			return IDD_DMA_STATUS_INVALID_LENGTH;
		return sw_exec_sg(xd, local, vc->sges, (uint32_t)d->src, d->dst & 0xffff,
				  (uint32_t)d->src + (d->dst & 0xffff), (unsigned int)(d->dst >> 16),
				  vc->sge_mask, bytes);
	case SW_OP_OPS:
		return sw_exec_op(xd, local, (struct idd_dma_op *)(uintptr_t)d->src, bytes);
	}
	return IDD_DMA_STATUS_INVALID_OPCODE;
}

void
sw_record_failure(struct sw_vchan *vc, const struct sw_desc *d, uint16_t idx, uint16_t status)
{
	if (d->op == SW_OP_OPS)
		((struct idd_dma_op *)(uintptr_t)d->src)->status = (enum idd_dma_status_code)status;
	else
		vc->status[idx & vc->mask] = status;
}

static inline __attribute__((always_inline)) void
sw_run_loop(struct sw_vchan *vc, uint16_t from, uint16_t to, bool local)
{
	const struct sw_desc *ring = vc->ring;
	const unsigned int mask = vc->mask;
	struct sw_xdom *xd = vc->xd;
	unsigned int state = vc->fence_state;
	uint32_t failed = 0;
	uint64_t bytes = 0, section_start = 0;

	/* A native-width counter: ring positions are taken modulo 2^16 only
	 * where they are stored or masked. */
	for (unsigned int i = from, n = (uint16_t)(to - from); n != 0; n--, i++) {
		const struct sw_desc *d = &ring[i & mask];
		const unsigned int flags = d->flags;
		uint16_t st;

		if (sw_unlikely(state != SW_BURST_OK) && (flags & SW_F_FENCE))
			state = SW_BURST_SKIPPED;
		if (sw_likely(state != SW_BURST_SKIPPED))
			st = sw_exec(vc, xd, d, local, &bytes);
		else
			st = IDD_DMA_STATUS_NOT_ATTEMPTED;
		if (sw_unlikely(st != IDD_DMA_STATUS_SUCCESSFUL)) {
			sw_record_failure(vc, d, (uint16_t)i, st);
			failed++;
			if (state == SW_BURST_OK)
				state = SW_BURST_FAILED;
		}
		if (flags & SW_F_BURST_END)
			state = SW_BURST_OK;
		/* A quiescent point between two operations (see
		 * SW_RCU_SECTION_BYTES); no pointer from a translation lives
		 * across it, and the side caches hold values, not pointers. */
		if (!local && sw_unlikely(bytes - section_start >= SW_RCU_SECTION_BYTES)) {
			mem_rcu_read_unlock();
			mem_rcu_read_lock();
			section_start = bytes;
		}
	}
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

void
sw_run(struct sw_vchan *vc, uint16_t from, uint16_t to)
{
	/* Two copies of the loop: for a vchan whose both sides are local the
	 * compiler drops every translation, and no read-side section is
	 * needed since no peer mapping is touched. */
	if (sw_likely(vc->local)) {
		sw_run_loop(vc, from, to, true);
		return;
	}
	/* Peers' windows are only used inside a read-side section: a departing
	 * member's windows are unmapped after every section that may have
	 * translated into them has ended (mem/rcu.h). The section covers the
	 * burst, so the inline engine pays for it once per submit and the
	 * worker once per batch; neither blocks inside it. */
	mem_rcu_read_lock();
	sw_run_loop(vc, from, to, false);
	mem_rcu_read_unlock();
}
