/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sw driver: its table entry, argument parsing, capabilities,
 * configure and close.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"
#include "drivers/sw/sw_stream.h"
#include "group/group.h"

static int
sw_dev_info_get(const struct idd_dma_dev *dev, struct idd_dma_info *info)
{
	(void)dev;
	/* What the engine really does, nothing more: it moves bytes between
	 * virtual addresses, its own process's or (through access pair groups
	 * and their windows) other processes', reports failures per
	 * operation, and supports silent and enqueue/dequeue modes. */
	info->dev_capa = IDD_DMA_CAPA_MEM_TO_MEM | IDD_DMA_CAPA_SVA |
			 IDD_DMA_CAPA_HANDLES_ERRORS | IDD_DMA_CAPA_SILENT |
			 IDD_DMA_CAPA_INTER_PROCESS_DOMAIN |
			 IDD_DMA_CAPA_OPS_COPY | IDD_DMA_CAPA_OPS_COPY_SG |
			 IDD_DMA_CAPA_OPS_FILL | IDD_DMA_CAPA_OPS_ENQ_DEQ;
	info->max_vchans = SW_MAX_VCHANS;
	info->min_desc = SW_MIN_DESC;
	info->max_desc = SW_MAX_DESC;
	info->max_sges = SW_MAX_SGES;
	info->nb_priorities = 0;
	return 0;
}

static void
sw_vchans_free(struct sw_dev *sd)
{
	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		sw_vchan_free(&sd->vchans[v]);
	free(sd->vchans);
	sd->vchans = NULL;
	sd->nb_vchans = 0;
}

static int
sw_dev_configure(struct idd_dma_dev *dev, const struct idd_dma_conf *conf)
{
	struct sw_dev *sd = dev->dev_private;
	size_t size = (size_t)conf->nb_vchans * sizeof(struct sw_vchan);
	unsigned long discarded = 0;
	struct sw_vchan *vchans;

	/* Silent mode never reports, and enq/deq mode reports by handing the
	 * ops back: together they would never return the application's ops. */
	if ((conf->flags & IDD_DMA_CFG_FLAG_SILENT) && (conf->flags & IDD_DMA_CFG_FLAG_ENQ_DEQ)) {
		IDD_LOG(ERR, "dev %s: configure refused: silent mode and enq/deq mode exclude "
			     "each other", dev->name);
		return -EINVAL;
	}
	vchans = aligned_alloc(_Alignof(struct sw_vchan), size);
	if (vchans == NULL) {
		IDD_LOG(ERR, "dev %s: configure refused: out of memory for %u vchans", dev->name,
			conf->nb_vchans);
		return -ENOMEM;
	}
	memset(vchans, 0, size);
	for (uint16_t v = 0; v < sd->nb_vchans; v++)
		discarded += sw_vchan_uncollected(&sd->vchans[v]);
	sw_warn_discarded(sd, -1, "configure", discarded);
	sw_vchans_free(sd);
	sd->vchans = vchans;
	sd->nb_vchans = conf->nb_vchans;
	sd->silent = conf->flags & IDD_DMA_CFG_FLAG_SILENT;
	sd->ops_mode = conf->flags & IDD_DMA_CFG_FLAG_ENQ_DEQ;
	/* Nothing to collect until the next start. */
	sd->cpl_vchans = 0;
	sd->deq_vchans = 0;
	return 0;
}

static int
sw_dev_close(struct idd_dma_dev *dev)
{
	/* The vchans first: they give their handler references back while
	 * the device's handler table still exists. Then the groups: the
	 * device leaves those it joined and ends those it created. */
	sw_vchans_free(dev->dev_private);
	group_dev_close(dev->dev_id);
	return 0;
}

const struct dma_dev_ops sw_dev_ops = {
	.dev_info_get = sw_dev_info_get,
	.dev_configure = sw_dev_configure,
	.dev_start = sw_dev_start,
	.dev_stop = sw_dev_stop,
	.dev_close = sw_dev_close,
	.vchan_setup = sw_vchan_setup,
	.stats_get = sw_stats_get,
	.stats_reset = sw_stats_reset,
	.stats_ext_get = sw_stats_ext_get,
	.vchan_status = sw_vchan_status,
	.dev_dump = sw_dev_dump,
	.access_pair_group_create = sw_group_create,
	.access_pair_group_destroy = sw_group_destroy,
	.access_pair_group_join = sw_group_join,
	.access_pair_group_leave = sw_group_leave,
	.access_pair_group_handler_get = sw_group_handler_get,
};

static int
sw_probe(struct idd_dma_dev *dev, struct kvargs *args)
{
	static const char *const engines[] = {"inline", "thread", NULL};
	struct sw_dev *sd = dev->dev_private;
	unsigned int engine = SW_ENGINE_INLINE;
	uint64_t cpu = UINT64_MAX;
	uint64_t stream_min = sw_stream_min_default(sw_llc_size());
	int ret;

	ret = kvargs_get_choice(args, "engine", engines, &engine);
	if (ret != 0)
		return ret;
	ret = kvargs_get_uint(args, "cpu", 0, CPU_SETSIZE - 1, &cpu);
	if (ret != 0)
		return ret;
	if (cpu != UINT64_MAX && engine != SW_ENGINE_THREAD) {
		IDD_LOG(ERR, "dev %s: create refused: cpu=%llu needs engine=thread (the inline "
			     "engine runs on the caller's thread)", dev->name,
			(unsigned long long)cpu);
		return -EINVAL;
	}

	ret = kvargs_get_size(args, "stream_min", 0, UINT32_MAX, &stream_min);
	if (ret != 0)
		return ret;

	/* namespace= and abstract_sockets=: where this device's groups meet. */
	ret = group_dev_parse_args(dev->dev_id, args);
	if (ret != 0) {
		group_dev_close(dev->dev_id);
		return ret;
	}

	sd->name = dev->name;
	sd->dev_id = dev->dev_id;
	sd->thread_engine = engine == SW_ENGINE_THREAD;
	sd->cpu = cpu == UINT64_MAX ? -1 : (int)cpu;
	sd->stream_min = stream_min;

	dev->dev_ops = &sw_dev_ops;
	dev->fp_obj->copy = sd->thread_engine ? sw_enq_copy_packed : sw_enq_copy;
	dev->fp_obj->copy_sg = sw_enq_copy_sg;
	dev->fp_obj->fill = sd->thread_engine ? sw_enq_fill_packed : sw_enq_fill;
	dev->fp_obj->submit = sw_submit;
	dev->fp_obj->completed = sw_completed;
	dev->fp_obj->completed_status = sw_completed_status;
	dev->fp_obj->burst_capacity = sw_burst_capacity;
	dev->fp_obj->enqueue = sw_enqueue_ops;
	dev->fp_obj->dequeue = sw_dequeue_ops;
	return 0;
}

const struct dma_driver dma_driver_sw = {
	.name = "sw",
	.priv_size = sizeof(struct sw_dev),
	.probe = sw_probe,
};
