/* SPDX-License-Identifier: BSD-3-Clause */
/* Registry snapshots for telemetry: see dmadev_query.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmadev/dmadev_internal.h"
#include "dmadev/dmadev_query.h"

static void
snap_vchans_locked(const struct idd_dma_dev *dev, struct dmadev_snap *s)
{
	const struct dma_dev_ops *ops = dev->dev_ops;

	for (uint16_t v = 0; v < s->nb_vchans; v++) {
		struct dmadev_vchan_snap *vs = &s->vchans[v];
		struct idd_dma_stats st = {0};

		vs->ready = dev->vchan_ready[v];
		if (vs->ready && dev->vchan_conf != NULL)
			vs->conf = dev->vchan_conf[v];
		if (vs->ready && ops->vchan_status != NULL &&
		    ops->vchan_status(dev, v, &vs->status) == 0)
			vs->has_status = true;
		if (s->has_bytes) {
			if (ops->stats_ext_get(dev, v, &vs->stats) != 0)
				memset(&vs->stats, 0, sizeof(vs->stats));
		} else if (ops->stats_get(dev, v, &st) == 0) {
			vs->stats.submitted = st.submitted;
			vs->stats.completed = st.completed;
			vs->stats.errors = st.errors;
		}
	}
}

int
dmadev_query_snap(int16_t dev_id, struct dmadev_snap *s)
{
	struct idd_dma_dev *dev;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_get_locked(dev_id);
	if (dev == NULL) {
		ret = -ENODEV;
		goto out;
	}
	s->dev_id = dev->dev_id;
	snprintf(s->name, sizeof(s->name), "%s", dev->name);
	snprintf(s->driver, sizeof(s->driver), "%s", dev->driver->name);
	s->started = dev->started;
	s->configured = dev->configured;
	if (dev->configured)
		s->conf = dev->conf;
	s->has_info = dmadev_info_locked(dev, &s->info) == 0;
	s->info.dev_name = NULL; /* points into the registry */
	s->has_bytes = dev->dev_ops->stats_ext_get != NULL;
	if (dev->configured && dev->conf.nb_vchans > 0) {
		s->vchans = calloc(dev->conf.nb_vchans, sizeof(*s->vchans));
		if (s->vchans == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		s->nb_vchans = dev->conf.nb_vchans;
		snap_vchans_locked(dev, s);
	}
	for (uint16_t v = 0; v < s->nb_vchans; v++) {
		s->total.submitted += s->vchans[v].stats.submitted;
		s->total.completed += s->vchans[v].stats.completed;
		s->total.errors += s->vchans[v].stats.errors;
		s->total.bytes += s->vchans[v].stats.bytes;
	}
out:
	pthread_mutex_unlock(&dmadev_registry_lock);
	return ret;
}

void
dmadev_query_free(struct dmadev_snap *s)
{
	free(s->vchans);
	s->vchans = NULL;
	s->nb_vchans = 0;
}
