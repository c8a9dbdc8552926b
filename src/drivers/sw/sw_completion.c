/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collecting side of the data path: completed, completed_status,
 * burst_capacity, and the silent-mode reclaim. All of them run on the
 * producer's thread and read the engine's progress with one acquire load.
 * Each entry is its operation, inlined, plus a trace probe that exists only
 * with -Dtrace_fastpath=true.
 */
#include <string.h>

#include "common/trace.h"
#include "drivers/sw/sw_dev.h"

/* Operations the engine finished and nobody reported yet, at most @max. */
static inline uint16_t
sw_ready(struct sw_vchan *vc, uint16_t coll, uint16_t max)
{
	/* Acquire: pairs with the release store of finished in sw_run(); the
	 * data, statuses and fin_errors of [coll, fin) are visible after it. */
	uint16_t fin = atomic_load_explicit(&vc->finished, memory_order_acquire);
	uint16_t n = (uint16_t)(fin - coll);

	return n < max ? n : max;
}

/* True when a failure may lie in the finished range. fin_errors is read
 * after the acquire of finished, so it counts at least every failure
 * before finished; equality with what was reported means none is pending. */
static inline bool
sw_failures_pending(const struct sw_vchan *vc)
{
	return atomic_load_explicit(&vc->fin_errors, memory_order_relaxed) != vc->coll_errors;
}

static inline __attribute__((always_inline)) uint16_t
completed(struct sw_dev *sd, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
	  bool *has_error)
{
	struct sw_vchan *vc;
	uint16_t coll, n;

	if (sw_unlikely(vchan >= sd->cpl_vchans)) {
		sw_refuse_fast(sd, vchan, "completed");
		return 0;
	}
	vc = &sd->vchans[vchan];
	coll = atomic_load_explicit(&vc->collected, memory_order_relaxed);
	n = sw_ready(vc, coll, nb_cpls);
	if (sw_unlikely(sw_failures_pending(vc))) {
		/* Stop before the first failure without consuming it:
		 * completed_status() reports it with its status. */
		for (uint16_t i = 0; i < n; i++) {
			if (vc->status[(uint16_t)(coll + i) & vc->mask] != 0) {
				n = i;
				*has_error = true;
				break;
			}
		}
	}
	if (n != 0)
		sw_consume(vc, coll, n, 0);
	*last_idx = (uint16_t)(coll + n - 1);
	return n;
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
	struct sw_vchan *vc;
	uint32_t errors = 0;
	uint16_t coll, n;

	if (sw_unlikely(vchan >= sd->cpl_vchans)) {
		sw_refuse_fast(sd, vchan, "completed_status");
		return 0;
	}
	vc = &sd->vchans[vchan];
	coll = atomic_load_explicit(&vc->collected, memory_order_relaxed);
	n = sw_ready(vc, coll, nb_cpls);
	if (sw_likely(!sw_failures_pending(vc))) {
		if (n != 0)
			memset(status, 0, n * sizeof(*status));
	} else {
		for (uint16_t i = 0; i < n; i++) {
			uint16_t *slot = &vc->status[(uint16_t)(coll + i) & vc->mask];

			status[i] = (enum idd_dma_status_code)*slot;
			if (*slot != 0) {
				*slot = 0;
				errors++;
			}
		}
	}
	if (n != 0)
		sw_consume(vc, coll, n, errors);
	*last_idx = (uint16_t)(coll + n - 1);
	return n;
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
	uint16_t coll = atomic_load_explicit(&vc->collected, memory_order_relaxed);
	uint16_t n = sw_ready(vc, coll, UINT16_MAX);
	uint32_t errors = 0;

	if (n == 0)
		return 0;
	if (sw_unlikely(sw_failures_pending(vc))) {
		for (uint16_t i = 0; i < n; i++) {
			uint16_t *slot = &vc->status[(uint16_t)(coll + i) & vc->mask];

			if (*slot != 0) {
				*slot = 0;
				errors++;
			}
		}
	}
	sw_consume(vc, coll, n, errors);
	return n;
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
	return (uint16_t)(vc->nb_desc -
			  (uint16_t)(atomic_load_explicit(&vc->head, memory_order_relaxed) -
				     atomic_load_explicit(&vc->collected, memory_order_relaxed)));
}

uint16_t
sw_burst_capacity(const void *dev_private, uint16_t vchan)
{
	const struct sw_dev *sd = dev_private;
	uint16_t ret = burst_capacity(sd, vchan);

	trace_burst_capacity(sd->dev_id, vchan, ret);
	return ret;
}
