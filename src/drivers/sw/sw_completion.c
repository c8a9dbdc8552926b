/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collecting side of the data path: completed, completed_status,
 * burst_capacity, and the silent-mode reclaim. All of them run on the
 * producer's thread and read the engine's progress with one acquire load.
 * Each entry is its operation, inlined, plus a trace probe that exists only
 * with -Dtrace_fastpath=true. The ring rules themselves are shared with the
 * fabric driver (drivers/ring_collect.h).
 */
#include "common/trace.h"
#include "drivers/ring_collect.h"
#include "drivers/sw/sw_dev.h"

static inline __attribute__((always_inline)) uint16_t
completed(struct sw_dev *sd, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
	  bool *has_error)
{
	if (sw_unlikely(vchan >= sd->cpl_vchans)) {
		sw_refuse_fast(sd, vchan, "completed");
		return 0;
	}
	return ring_completed(RING_COLLECT_OF(&sd->vchans[vchan]), nb_cpls, last_idx, has_error);
}

uint16_t
sw_completed(void *dev_private, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
	     bool *has_error)
{
	struct sw_dev *sd = dev_private;
	uint16_t ret = completed(sd, vchan, nb_cpls, last_idx, has_error);

	trace_completed(sd->dev_id, vchan, nb_cpls, *last_idx, *has_error, ret);
	return ret;
}

static inline __attribute__((always_inline)) uint16_t
completed_status(struct sw_dev *sd, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
		 enum idd_dma_status_code *status)
{
	if (sw_unlikely(vchan >= sd->cpl_vchans)) {
		sw_refuse_fast(sd, vchan, "completed_status");
		return 0;
	}
	return ring_completed_status(RING_COLLECT_OF(&sd->vchans[vchan]), nb_cpls, last_idx,
				     status);
}

uint16_t
sw_completed_status(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
		    uint16_t *last_idx, enum idd_dma_status_code *status)
{
	struct sw_dev *sd = dev_private;
	uint16_t ret = completed_status(sd, vchan, nb_cpls, last_idx, status);

	trace_completed_status(sd->dev_id, vchan, nb_cpls, *last_idx, status, ret);
	return ret;
}

uint16_t
sw_reclaim(struct sw_vchan *vc)
{
	return ring_reclaim(RING_COLLECT_OF(vc));
}

static inline __attribute__((always_inline)) uint16_t
burst_capacity(const struct sw_dev *sd, uint16_t vchan)
{
	struct sw_vchan *vc;

	if (sw_unlikely(vchan >= sd->cap_vchans)) {
		sw_refuse_fast(sd, vchan, "burst_capacity");
		return 0;
	}
	vc = &sd->vchans[vchan];
	if (sd->silent)
		sw_reclaim(vc);
	return ring_free_slots(vc->nb_desc, &vc->head, &vc->collected);
}

uint16_t
sw_burst_capacity(const void *dev_private, uint16_t vchan)
{
	const struct sw_dev *sd = dev_private;
	uint16_t ret = burst_capacity(sd, vchan);

	trace_burst_capacity(sd->dev_id, vchan, ret);
	return ret;
}
