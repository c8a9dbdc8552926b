/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DMADEV_INTERNAL_H
#define IDD_SRC_DMADEV_INTERNAL_H

/*
 * Shared by the files of the generic device layer only. The registry lock
 * serialises every control-path call; the data path never takes it.
 */

#include <pthread.h>

#include "common/log.h"
#include "dmadev/dmadev_driver.h"

extern pthread_mutex_t dmadev_registry_lock;
/* Signalled (under the registry lock) when a device's group_calls drops to 0. */
extern pthread_cond_t dmadev_group_calls_done;

/* Under the lock: the device if @dev_id names an existing one, else NULL. */
struct idd_dma_dev *dmadev_get_locked(int16_t dev_id);

/* Under the lock: the device for the control call @what, or NULL after
 * logging why (no such device, or the pointer argument @ptr_name is NULL;
 * pass ptr_name NULL when the call has no such argument). */
struct idd_dma_dev *dmadev_lookup_locked(int16_t dev_id, const char *what, const void *ptr,
					 const char *ptr_name);

/* Under the lock: the driver's info plus the generic fields. */
int dmadev_info_locked(const struct idd_dma_dev *dev, struct idd_dma_info *info);

/* Upstream's checks of a vchan configuration that need no device state
 * (vchan_check.c). Logs and returns -EINVAL on the first violation. */
int dmadev_check_vchan_conf(const struct idd_dma_dev *dev, const struct idd_dma_vchan_conf *conf);

/* Fast-path table (fastpath.c). */
int dmadev_fastpath_alloc(size_t dev_max);
void dmadev_fastpath_reset(struct idd_dma_fp_object *obj);

/* One refusal, one line: "dev 3 (dma0): <what> refused: <why>". */
#define DMADEV_REFUSE(dev, what, ...) \
	dmadev_log_refusal((dev), (what), __VA_ARGS__)

void dmadev_log_refusal(const struct idd_dma_dev *dev, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));

#endif
