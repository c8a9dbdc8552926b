/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DMADEV_QUERY_H
#define IDD_SRC_DMADEV_QUERY_H

/*
 * Read-only snapshots of the device registry, for observers that are not
 * applications (telemetry). A snapshot is taken under the registry lock in
 * one short hold and owned by the caller afterwards: no pointer in it
 * refers to the registry. The data path is never touched (it never takes
 * the registry lock); counters are read the way idd_dma_stats_get() reads
 * them. Nothing is logged: a device that disappears between two calls is
 * simply not found.
 */

#include <stdbool.h>
#include <stdint.h>

#include <idd/idd_dmadev.h>

#define DMADEV_QUERY_DRIVER_MAX 32

struct dmadev_vchan_snap {
	bool ready;                        /* vchan_setup succeeded */
	struct idd_dma_vchan_conf conf;    /* its configuration (ready only) */
	bool has_status;
	enum idd_dma_vchan_status status;
	struct idd_dma_stats_ext stats;    /* bytes valid when the device's has_bytes */
};

struct dmadev_snap {
	int16_t dev_id;
	char name[IDD_DMA_DEV_NAME_MAX_LEN];
	char driver[DMADEV_QUERY_DRIVER_MAX];
	bool started;
	bool configured;
	struct idd_dma_conf conf;          /* configured only */
	struct idd_dma_info info;          /* info.dev_name is NULL (use name) */
	bool has_info;
	bool has_bytes;                    /* the driver counts bytes */
	struct idd_dma_stats_ext total;    /* every vchan together */
	uint16_t nb_vchans;
	struct dmadev_vchan_snap *vchans;  /* [nb_vchans], malloc'd */
};

/* Snapshot device @dev_id (iterate with idd_dma_next_dev()) into @out. Returns 0, -ENODEV when no such
 * device exists, or -ENOMEM. Release with dmadev_query_free(). */
int dmadev_query_snap(int16_t dev_id, struct dmadev_snap *out);
void dmadev_query_free(struct dmadev_snap *s);

#endif
