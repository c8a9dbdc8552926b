/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The caller's side of a fabric vchan: enqueue, submit, collect. Same ring,
 * positions and status rules as sw's thread engine (sw_ring.h): the caller
 * writes descriptors and publishes `submitted`; the engine publishes
 * `finished`; a slot's status word is non-zero only while it holds an
 * uncollected failure. Collecting is therefore sw's code too
 * (drivers/ring_collect.h). No lock, no allocation, and a system call only
 * to wake a sleeping engine.
 */
#include <errno.h>

#include "drivers/fabric/fab_dev.h"
#include "drivers/ring_collect.h"

static int
fab_refuse_fast(const struct fab_dev *fd, uint16_t vchan, const char *what)
{
	IDD_LOG(DEBUG, "dev %s: %s on vchan %u refused: device not started or vchan out of range",
		fd->name, what, vchan);
	return -EINVAL;
}

static inline bool
fab_full(const struct fab_vchan *vc, uint16_t head)
{
	return (uint16_t)(head - atomic_load_explicit(&vc->collected, memory_order_relaxed)) >=
	       vc->nb_desc;
}

static void
fab_submit_vchan(struct fab_dev *fd, struct fab_vchan *vc)
{
	uint16_t head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	uint16_t sub = atomic_load_explicit(&vc->submitted, memory_order_relaxed);

	if (head == sub)
		return;
	vc->ring[(uint16_t)(head - 1) & vc->mask].flags |= FAB_F_BURST_END;
	ring_count(&vc->n_submitted, (uint16_t)(head - sub));
	/* seq_cst: releases the descriptors to the engine and is ordered
	 * before the load of engine_sleeping in fab_engine_kick(). */
	atomic_store_explicit(&vc->submitted, head, memory_order_seq_cst);
	fab_engine_kick(fd);
}

int
fab_submit(void *dev_private, uint16_t vchan)
{
	struct fab_dev *fd = dev_private;

	if (fab_unlikely(vchan >= fd->fp_vchans))
		return fab_refuse_fast(fd, vchan, "submit");
	fab_submit_vchan(fd, &fd->vchans[vchan]);
	return 0;
}

static inline int
fab_enq_finish(struct fab_dev *fd, struct fab_vchan *vc, uint16_t head, uint64_t flags)
{
	atomic_store_explicit(&vc->head, (uint16_t)(head + 1), memory_order_relaxed);
	if (flags & IDD_DMA_OP_FLAG_SUBMIT)
		fab_submit_vchan(fd, vc);
	return head;
}

int
fab_enq_copy(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t length,
	     uint64_t flags)
{
	struct fab_dev *fd = dev_private;
	struct fab_vchan *vc;
	struct fab_desc *d;
	uint16_t head;

	if (fab_unlikely(vchan >= fd->fp_vchans))
		return fab_refuse_fast(fd, vchan, "copy");
	vc = &fd->vchans[vchan];
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	if (fab_unlikely(fab_full(vc, head)))
		return -ENOSPC;
	d = &vc->ring[head & vc->mask];
	d->src = src;
	d->dst = dst;
	d->len = length;
	d->op = FAB_OP_COPY;
	d->flags = (uint8_t)(flags & IDD_DMA_OP_FLAG_FENCE ? FAB_F_FENCE : 0);
	return fab_enq_finish(fd, vc, head, flags);
}

int
fab_enq_fill(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
	     uint32_t length, uint64_t flags)
{
	struct fab_dev *fd = dev_private;
	struct fab_vchan *vc;
	struct fab_desc *d;
	uint16_t head;

	if (fab_unlikely(vchan >= fd->fp_vchans))
		return fab_refuse_fast(fd, vchan, "fill");
	vc = &fd->vchans[vchan];
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	if (fab_unlikely(fab_full(vc, head)))
		return -ENOSPC;
	d = &vc->ring[head & vc->mask];
	d->src = pattern;
	d->dst = dst;
	d->len = length;
	d->op = FAB_OP_FILL;
	d->flags = (uint8_t)(flags & IDD_DMA_OP_FLAG_FENCE ? FAB_F_FENCE : 0);
	return fab_enq_finish(fd, vc, head, flags);
}

int
fab_enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
		const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	struct fab_dev *fd = dev_private;
	struct fab_vchan *vc;
	struct fab_desc *d;
	uint64_t tsrc = 0, tdst = 0;
	uint16_t head;

	if (fab_unlikely(vchan >= fd->fp_vchans))
		return fab_refuse_fast(fd, vchan, "copy_sg");
	if (src == NULL || dst == NULL || nb_src == 0 || nb_dst == 0 || nb_src > FAB_MAX_SGES ||
	    nb_dst > FAB_MAX_SGES) {
		IDD_LOG(DEBUG, "dev %s: copy_sg on vchan %u refused: NULL list or count not in "
			       "1..%u", fd->name, vchan, FAB_MAX_SGES);
		return -EINVAL;
	}
	vc = &fd->vchans[vchan];
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	if (fab_unlikely(fab_full(vc, head)))
		return -ENOSPC;
	d = &vc->ring[head & vc->mask];
	/* Each slot owns FAB_SGE_PER_DESC entries of the list area, so a free
	 * slot always has room: burst_capacity holds for copy_sg too. */
	struct idd_dma_sge *area = &vc->sges[(uint32_t)(head & vc->mask) * FAB_SGE_PER_DESC];

	for (uint16_t i = 0; i < nb_src; i++) {
		area[i] = src[i];
		tsrc += src[i].length;
	}
	for (uint16_t i = 0; i < nb_dst; i++) {
		area[FAB_MAX_SGES + i] = dst[i];
		tdst += dst[i].length;
	}
	d->src = (uint64_t)(head & vc->mask) * FAB_SGE_PER_DESC;
	d->dst = (uint64_t)nb_src | (uint64_t)nb_dst << 16;
	d->len = 0;
	d->op = FAB_OP_COPY_SG;
	d->flags = (uint8_t)((flags & IDD_DMA_OP_FLAG_FENCE ? FAB_F_FENCE : 0) |
			     (tsrc != tdst || tsrc == 0 ? FAB_F_BAD_LEN : 0));
	return fab_enq_finish(fd, vc, head, flags);
}

uint16_t
fab_completed(void *dev_private, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
	      bool *has_error)
{
	struct fab_dev *fd = dev_private;

	if (fab_unlikely(vchan >= fd->cpl_vchans)) {
		fab_refuse_fast(fd, vchan, "completed");
		return 0;
	}
	return ring_completed(RING_COLLECT_OF(&fd->vchans[vchan]), nb_cpls, last_idx, has_error);
}

uint16_t
fab_completed_status(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
		     uint16_t *last_idx, enum idd_dma_status_code *status)
{
	struct fab_dev *fd = dev_private;

	if (fab_unlikely(vchan >= fd->cpl_vchans)) {
		fab_refuse_fast(fd, vchan, "completed_status");
		return 0;
	}
	return ring_completed_status(RING_COLLECT_OF(&fd->vchans[vchan]), nb_cpls, last_idx,
				     status);
}

uint16_t
fab_burst_capacity(const void *dev_private, uint16_t vchan)
{
	const struct fab_dev *fd = dev_private;
	const struct fab_vchan *vc;

	if (fab_unlikely(vchan >= fd->cpl_vchans)) {
		fab_refuse_fast(fd, vchan, "burst_capacity");
		return 0;
	}
	vc = &fd->vchans[vchan];
	return ring_free_slots(vc->nb_desc, &vc->head, &vc->collected);
}
