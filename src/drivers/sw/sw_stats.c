/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics. The operation counters belong to the producer thread and the
 * byte counter to the engine (the worker, for the thread engine), each
 * updated by its single writer with plain (relaxed) stores; a reset from
 * the control path records a baseline instead of writing them, so no
 * update can be lost to a race between the two.
 */
#include "drivers/sw/sw_dev.h"

static void
sw_stats_add(const struct sw_vchan *vc, struct idd_dma_stats_ext *stats)
{
	stats->bytes += atomic_load_explicit(&vc->n_bytes, memory_order_relaxed) - vc->base_bytes;
	stats->submitted += atomic_load_explicit(&vc->n_submitted, memory_order_relaxed) -
			    vc->base_submitted;
	stats->completed += atomic_load_explicit(&vc->n_completed, memory_order_relaxed) -
			    vc->base_completed;
	stats->errors += atomic_load_explicit(&vc->n_errors, memory_order_relaxed) -
			 vc->base_errors;
}

int
sw_stats_ext_get(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats_ext *stats)
{
	const struct sw_dev *sd = dev->dev_private;

	if (vchan != IDD_DMA_ALL_VCHAN) {
		sw_stats_add(&sd->vchans[vchan], stats);
		return 0;
	}
	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		sw_stats_add(&sd->vchans[v], stats);
	return 0;
}

int
sw_stats_get(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats *stats)
{
	struct idd_dma_stats_ext ext = {0};

	sw_stats_ext_get(dev, vchan, &ext);
	stats->submitted = ext.submitted;
	stats->completed = ext.completed;
	stats->errors = ext.errors;
	return 0;
}

static void
sw_stats_rebase(struct sw_vchan *vc)
{
	vc->base_submitted = atomic_load_explicit(&vc->n_submitted, memory_order_relaxed);
	vc->base_completed = atomic_load_explicit(&vc->n_completed, memory_order_relaxed);
	vc->base_errors = atomic_load_explicit(&vc->n_errors, memory_order_relaxed);
	vc->base_bytes = atomic_load_explicit(&vc->n_bytes, memory_order_relaxed);
}

int
sw_stats_reset(struct idd_dma_dev *dev, uint16_t vchan)
{
	struct sw_dev *sd = dev->dev_private;

	if (vchan != IDD_DMA_ALL_VCHAN) {
		sw_stats_rebase(&sd->vchans[vchan]);
		return 0;
	}
	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		sw_stats_rebase(&sd->vchans[v]);
	return 0;
}
