/* SPDX-License-Identifier: BSD-3-Clause */
/* The sw part of idd_dma_dump(): engine and per-vchan ring state. */
#include "drivers/sw/sw_dev.h"

int
sw_dev_dump(const struct idd_dma_dev *dev, FILE *f)
{
	const struct sw_dev *sd = dev->dev_private;

	fprintf(f, "  sw engine: %s", sd->thread_engine ? "thread" : "inline");
	if (sd->cpu >= 0)
		fprintf(f, ", worker pinned to cpu %d", sd->cpu);
	else if (sd->thread_engine)
		fprintf(f, ", worker not pinned");
	fprintf(f, "%s\n", sd->thread_engine && sd->worker != NULL ? " (running)" : "");
	if (sd->stream_min != 0)
		fprintf(f, "  copies and fills of %llu bytes and more bypass the caches\n",
			(unsigned long long)sd->stream_min);
	else
		fprintf(f, "  copies and fills never bypass the caches\n");
	for (uint16_t v = 0; v < sd->nb_vchans; v++) {
		const struct sw_vchan *vc = &sd->vchans[v];
		struct idd_dma_stats_ext st = {0};

		if (vc->ring == NULL) {
			fprintf(f, "  vchan %u: not set up\n", v);
			continue;
		}
		sw_stats_ext_get(dev, v, &st);
		fprintf(f,
			"  vchan %u: nb_desc %u, ring positions enqueued %u submitted %u "
			"finished %u collected %u\n"
			"    submitted %llu completed %llu errors %llu bytes %llu\n",
			v, vc->nb_desc, atomic_load_explicit(&vc->head, memory_order_relaxed),
			atomic_load_explicit(&vc->submitted, memory_order_relaxed),
			atomic_load_explicit(&vc->finished, memory_order_relaxed),
			atomic_load_explicit(&vc->collected, memory_order_relaxed),
			(unsigned long long)st.submitted, (unsigned long long)st.completed,
			(unsigned long long)st.errors, (unsigned long long)st.bytes);
		sw_xdom_dump(vc->xd, f);
	}
	return 0;
}
