/* SPDX-License-Identifier: BSD-3-Clause */
/* idd_dma_dump(): the generic part (identity, state, capabilities,
 * configuration); the driver adds its engine and per-vchan state. */
#include <errno.h>

#include "common/trace.h"
#include "dmadev/dmadev_internal.h"

static const char *const capa_names[64] = {
	[0] = "mem2mem", [1] = "mem2dev", [2] = "dev2mem", [3] = "dev2dev",
	[4] = "sva", [5] = "silent", [6] = "handles_errors", [7] = "m2d_auto_free",
	[8] = "pri_policy_sp", [9] = "inter_process_domain", [10] = "inter_os_domain",
	[32] = "copy", [33] = "copy_sg", [34] = "fill", [35] = "enq_deq",
};

static void
dump_capabilities(FILE *f, uint64_t capa)
{
	fprintf(f, "  capabilities: 0x%016llx", (unsigned long long)capa);
	for (unsigned int bit = 0; bit < 64; bit++) {
		if (!(capa & IDD_BIT64(bit)))
			continue;
		if (capa_names[bit] != NULL)
			fprintf(f, " %s", capa_names[bit]);
		else
			fprintf(f, " bit%u", bit);
	}
	fputc('\n', f);
}

int
idd_dma_dump(int16_t dev_id, FILE *f)
{
	struct idd_dma_info info;
	struct idd_dma_dev *dev;
	int ret = -EINVAL;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "dump", f, "file");
	if (dev == NULL)
		goto out;
	if (dmadev_info_locked(dev, &info) != 0)
		goto out;
	fprintf(f, "dma dev %d '%s' [%s], driver %s\n", dev->dev_id, dev->name,
		dev->started ? "started" : "stopped", dev->driver->name);
	dump_capabilities(f, info.dev_capa);
	fprintf(f, "  max_vchans: %u  vchans configured: %u\n", info.max_vchans, info.nb_vchans);
	fprintf(f, "  ring sizes: %u..%u  max_sges: %u\n", info.min_desc, info.max_desc,
		info.max_sges);
	fprintf(f, "  silent mode: %s  enq/deq mode: %s\n",
		dev->conf.flags & IDD_DMA_CFG_FLAG_SILENT ? "on" : "off",
		dev->conf.flags & IDD_DMA_CFG_FLAG_ENQ_DEQ ? "on" : "off");
	ret = dev->dev_ops->dev_dump != NULL ? dev->dev_ops->dev_dump(dev, f) : 0;
out:
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_dump(dev_id, f, ret);
	return ret;
}
