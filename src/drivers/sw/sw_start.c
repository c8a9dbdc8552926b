/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * start and stop. Stop finishes what was submitted (the worker drains
 * before it exits; the inline engine has nothing in flight), completes
 * what was only enqueued with USER_ABORT, and leaves every completion in
 * place for the application to collect. Start throws away whatever nobody
 * collected and numbers operations from 0 again.
 */
#include <errno.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"

/* Here rather than beside its callers on the data path: seeing that it
 * returns a constant, a compiler would call it instead of jumping to it,
 * and the caller would need a stack frame (sw_enqueue.c). start and stop
 * decide, through fp_vchans and its siblings, what it refuses. */
int
sw_refuse_fast(const struct sw_dev *sd, uint16_t vchan, const char *what)
{
	IDD_LOG(DEBUG, "dev %s: %s on vchan %u refused: device not started, vchan out of range, "
		       "or wrong mode", sd->name, what, vchan);
	return -EINVAL;
}

uint16_t
sw_vchan_uncollected(const struct sw_vchan *vc)
{
	return (uint16_t)(atomic_load_explicit(&vc->head, memory_order_relaxed) -
			  atomic_load_explicit(&vc->collected, memory_order_relaxed));
}

void
sw_warn_discarded(const struct sw_dev *sd, int vchan, const char *what, unsigned long discarded)
{
	/* Silent mode never collects, so leftovers there are expected. */
	if (!sd->silent)
		dma_warn_discarded(sd->name, vchan, what, discarded);
}

/* Back to the state right after setup; returns how many completions were
 * never collected. */
static uint16_t
sw_vchan_reset(struct sw_vchan *vc)
{
	uint16_t uncollected = sw_vchan_uncollected(vc);

	atomic_store_explicit(&vc->head, 0, memory_order_relaxed);
	atomic_store_explicit(&vc->collected, 0, memory_order_relaxed);
	atomic_store_explicit(&vc->submitted, 0, memory_order_relaxed);
	atomic_store_explicit(&vc->finished, 0, memory_order_relaxed);
	atomic_store_explicit(&vc->fin_errors, 0, memory_order_relaxed);
	vc->coll_errors = 0;
	vc->sge_head = 0;
	vc->fence_state = SW_BURST_OK;
	memset(vc->status, 0, vc->nb_desc * sizeof(*vc->status));
	return uncollected;
}

int
sw_dev_start(struct idd_dma_dev *dev)
{
	struct sw_dev *sd = dev->dev_private;
	unsigned long discarded = 0;
	int ret;

	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		discarded += sw_vchan_reset(&sd->vchans[v]);
	sw_warn_discarded(sd, -1, "start", discarded);
	if (sd->thread_engine) {
		ret = sw_worker_start(sd);
		if (ret != 0)
			return ret;
	}
	sd->cap_vchans = sd->nb_vchans;
	if (sd->ops_mode) {
		sd->ops_vchans = sd->nb_vchans;
		sd->deq_vchans = sd->nb_vchans;
	} else {
		sd->fp_vchans = sd->nb_vchans;
		sd->cpl_vchans = sd->silent ? 0 : sd->nb_vchans;
	}
	return 0;
}

/* Complete every enqueued but unsubmitted operation with USER_ABORT. */
static void
sw_vchan_abort(struct sw_vchan *vc)
{
	uint16_t head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	uint16_t sub = atomic_load_explicit(&vc->submitted, memory_order_relaxed);
	uint16_t n = (uint16_t)(head - sub);

	for (uint16_t i = sub; i != head; i++)
		sw_record_failure(vc, i, IDD_DMA_STATUS_USER_ABORT);
	/* Stop hands them to the engine as aborted: they count as submitted,
	 * so that completed never exceeds submitted (the fabric driver does
	 * the same). */
	atomic_store_explicit(&vc->n_submitted,
			      atomic_load_explicit(&vc->n_submitted, memory_order_relaxed) + n,
			      memory_order_relaxed);
	atomic_store_explicit(&vc->fin_errors,
			      atomic_load_explicit(&vc->fin_errors, memory_order_relaxed) + n,
			      memory_order_relaxed);
	atomic_store_explicit(&vc->submitted, head, memory_order_relaxed);
	/* Release for the completion calls' acquire, like sw_run(); they run
	 * on the application's thread after stop returns. */
	atomic_store_explicit(&vc->finished, head, memory_order_release);
}

int
sw_dev_stop(struct idd_dma_dev *dev)
{
	struct sw_dev *sd = dev->dev_private;

	sd->fp_vchans = 0;
	sd->ops_vchans = 0;
	sd->cap_vchans = 0;
	if (sd->thread_engine)
		sw_worker_stop(sd);
	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		sw_vchan_abort(&sd->vchans[v]);
	return 0;
}
