/* SPDX-License-Identifier: BSD-3-Clause */
/* vchan setup: ring, status words, sge FIFO and domains; vchan_status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"

void
sw_vchan_free(struct sw_vchan *vc)
{
	free(vc->ring);
	free(vc->status);
	free(vc->sges);
	free(vc->wide);
	sw_xdom_free(vc->xd);
	vc->ring = NULL;
	vc->status = NULL;
	vc->sges = NULL;
	vc->wide = NULL;
	vc->xd = NULL;
}

static void *
sw_zalloc_aligned(size_t size)
{
	void *p = aligned_alloc(SW_CACHE_LINE, (size + SW_CACHE_LINE - 1) & ~(size_t)(SW_CACHE_LINE - 1));

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/* The prefetch guess for a side in the caller's own address space: every
 * address is where it is. */
static const struct mem_wt_cache sw_own_space = {.size_m1 = UINT64_MAX};

static const struct mem_wt_cache *
sw_prefetch_cache(const struct sw_side *side)
{
	return side->table == NULL ? &sw_own_space : &side->cache;
}

int
sw_vchan_setup(struct idd_dma_dev *dev, uint16_t vchan, const struct idd_dma_vchan_conf *conf)
{
	struct sw_dev *sd = dev->dev_private;
	struct sw_vchan *vc = &sd->vchans[vchan];
	uint32_t nb_sges = (uint32_t)conf->nb_desc * SW_SGE_PER_DESC;
	struct sw_vchan fresh;
	int ret;

	if ((conf->nb_desc & (conf->nb_desc - 1)) != 0) {
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: nb_desc %u is not a power of two",
			dev->name, vchan, conf->nb_desc);
		return -EINVAL;
	}

	memset(&fresh, 0, sizeof(fresh));
	/* Handlers first: a refused one is the likelier failure, and it must
	 * leave the vchan's previous setup (and its references) untouched. */
	ret = sw_xdom_setup(dev, vchan, conf, &fresh.xd);
	if (ret != 0)
		return ret;
	fresh.packed = sd->thread_engine;
	fresh.ring = sw_zalloc_aligned(conf->nb_desc * (fresh.packed ? sizeof(struct sw_desc_packed)
								     : sizeof(struct sw_desc_full)));
	fresh.status = sw_zalloc_aligned(conf->nb_desc * sizeof(*fresh.status));
	/* These two are not zeroed: an entry is always written before it is
	 * read. */
	fresh.sges = aligned_alloc(SW_CACHE_LINE, nb_sges * sizeof(*fresh.sges));
	if (fresh.packed)
		fresh.wide = aligned_alloc(SW_CACHE_LINE, conf->nb_desc * sizeof(*fresh.wide));
	if (fresh.ring == NULL || fresh.status == NULL || fresh.sges == NULL ||
	    (fresh.packed && fresh.wide == NULL)) {
		sw_vchan_free(&fresh);
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: out of memory for %u descriptors",
			dev->name, vchan, conf->nb_desc);
		return -ENOMEM;
	}
	fresh.nb_desc = conf->nb_desc;
	fresh.mask = (uint16_t)(conf->nb_desc - 1);
	fresh.sge_mask = nb_sges - 1;
	/* The engine's fast loop, with no translation and no read-side
	 * section, serves every vchan whose both sides are this process:
	 * ordinary ones, and inter-process ones whose handlers both name our
	 * own domain. */
	fresh.local = sw_xdom_local(fresh.xd);
	/* The inline engine copies on this core at the next submit, so that
	 * enqueue's prefetches overlap the misses of a burst; the worker's
	 * core would not benefit. */
	fresh.prefetch = fresh.local && !sd->thread_engine;
	fresh.prefetch_peer = !fresh.local && !sd->thread_engine;
	if (!fresh.local) {
		fresh.pf_src = sw_prefetch_cache(&fresh.xd->src);
		fresh.pf_dst = sw_prefetch_cache(&fresh.xd->dst);
	}
	/* Lengths are 32-bit: "above UINT32_MAX" is never. */
	fresh.stream_above = sd->stream_min == 0 ? UINT32_MAX : (uint32_t)(sd->stream_min - 1);

	/* What the previous setup completed and nobody collected goes with
	 * it, as at start. */
	sw_warn_discarded(sd, vchan, "setup", sw_vchan_uncollected(vc));
	sw_vchan_free(vc);
	*vc = fresh;
	return 0;
}

int
sw_vchan_status(const struct idd_dma_dev *dev, uint16_t vchan, enum idd_dma_vchan_status *status)
{
	const struct sw_dev *sd = dev->dev_private;
	struct sw_vchan *vc = &sd->vchans[vchan];

	/* Acquire: pairs with the release store of finished in sw_run(), so
	 * that IDLE also means the data is visible to the caller; in silent
	 * mode this is how an application learns that its copies landed. */
	uint16_t fin = atomic_load_explicit(&vc->finished, memory_order_acquire);

	*status = atomic_load_explicit(&vc->submitted, memory_order_relaxed) != fin
			  ? IDD_DMA_VCHAN_ACTIVE
			  : IDD_DMA_VCHAN_IDLE;
	return 0;
}
