/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generic part of the access-pair-group calls: upstream's checks in
 * upstream's order (device, out-pointer, inter-domain capability, driver
 * support), then the driver does the rest. One helper does the checks for
 * all five calls.
 *
 * The driver op runs WITHOUT the registry lock: a group call may wait for
 * idd's control thread (a join waits for the creator's answer), and that
 * thread runs event callbacks that may call any idd_dma_* function. Holding
 * the lock across the op could deadlock the two. Instead the call holds a
 * reference on the device (group_calls), and idd_dma_close() waits until no
 * group call is running on it.
 */
#include <errno.h>

#include "common/trace.h"
#include "dmadev/dmadev_internal.h"

/* Resolve @dev_id for a group call named @what, whose out-pointer is @out
 * (checked when @needs_out). Returns the device with a group-call reference
 * held, or NULL with *err set. @has_op tells whether the driver implements
 * the call. */
static struct idd_dma_dev *
group_call_begin(int16_t dev_id, const void *out, bool needs_out, const char *what,
		 bool (*has_op)(const struct dma_dev_ops *ops), int *err)
{
	struct idd_dma_info info;
	struct idd_dma_dev *dev;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, what, out, needs_out ? "output pointer" : NULL);
	if (dev == NULL) {
		*err = -EINVAL;
	} else if (dmadev_info_locked(dev, &info) != 0) {
		*err = -EINVAL;
	} else if (!(info.dev_capa &
		     (IDD_DMA_CAPA_INTER_PROCESS_DOMAIN | IDD_DMA_CAPA_INTER_OS_DOMAIN))) {
		DMADEV_REFUSE(dev, what, "device has no inter-process or inter-OS capability");
		*err = -EINVAL;
	} else if (!has_op(dev->dev_ops)) {
		DMADEV_REFUSE(dev, what, "driver %s does not implement groups", dev->driver->name);
		*err = -ENOTSUP;
	} else {
		dev->group_calls++;
		pthread_mutex_unlock(&dmadev_registry_lock);
		return dev;
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	return NULL;
}

static int
group_call_end(struct idd_dma_dev *dev, int ret)
{
	pthread_mutex_lock(&dmadev_registry_lock);
	if (--dev->group_calls == 0)
		pthread_cond_broadcast(&dmadev_group_calls_done);
	pthread_mutex_unlock(&dmadev_registry_lock);
	return ret;
}

struct idd_dma_dev *
dmadev_group_ext_begin(int16_t dev_id)
{
	struct idd_dma_dev *dev;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_get_locked(dev_id);
	if (dev != NULL && dev->dev_ops != NULL && dev->dev_ops->group_ext != NULL)
		dev->group_calls++;
	else
		dev = NULL;
	pthread_mutex_unlock(&dmadev_registry_lock);
	return dev;
}

int
dmadev_group_ext_end(struct idd_dma_dev *dev, int ret)
{
	return group_call_end(dev, ret);
}

static bool
has_create(const struct dma_dev_ops *o)
{
	return o->access_pair_group_create != NULL;
}

static bool
has_destroy(const struct dma_dev_ops *o)
{
	return o->access_pair_group_destroy != NULL;
}

static bool
has_join(const struct dma_dev_ops *o)
{
	return o->access_pair_group_join != NULL;
}

static bool
has_leave(const struct dma_dev_ops *o)
{
	return o->access_pair_group_leave != NULL;
}

static bool
has_handler_get(const struct dma_dev_ops *o)
{
	return o->access_pair_group_handler_get != NULL;
}

int
idd_dma_access_pair_group_create(int16_t dev_id, idd_uuid_t domain_id, idd_uuid_t token,
				 int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	struct idd_dma_dev *dev;
	int err;

	dev = group_call_begin(dev_id, group_id, true, "group create", has_create, &err);
	if (dev != NULL)
		err = group_call_end(dev, dev->dev_ops->access_pair_group_create(dev, domain_id,
									    token, group_id, cb));
	trace_group_create(dev_id, domain_id, err == 0 ? *group_id : -1, err);
	return err;
}

int
idd_dma_access_pair_group_destroy(int16_t dev_id, int16_t group_id)
{
	struct idd_dma_dev *dev;
	int err;

	dev = group_call_begin(dev_id, NULL, false, "group destroy", has_destroy, &err);
	if (dev != NULL)
		err = group_call_end(dev, dev->dev_ops->access_pair_group_destroy(dev, group_id));
	trace_group_destroy(dev_id, group_id, err);
	return err;
}

int
idd_dma_access_pair_group_join(int16_t dev_id, idd_uuid_t domain_id, idd_uuid_t token,
			       int16_t group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	struct idd_dma_dev *dev;
	int err;

	dev = group_call_begin(dev_id, NULL, false, "group join", has_join, &err);
	if (dev != NULL)
		err = group_call_end(dev, dev->dev_ops->access_pair_group_join(dev, domain_id, token,
									  group_id, cb));
	trace_group_join(dev_id, domain_id, group_id, err);
	return err;
}

int
idd_dma_access_pair_group_leave(int16_t dev_id, int16_t group_id)
{
	struct idd_dma_dev *dev;
	int err;

	dev = group_call_begin(dev_id, NULL, false, "group leave", has_leave, &err);
	if (dev != NULL)
		err = group_call_end(dev, dev->dev_ops->access_pair_group_leave(dev, group_id));
	trace_group_leave(dev_id, group_id, err);
	return err;
}

int
idd_dma_access_pair_group_handler_get(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
				      uint16_t *handler)
{
	struct idd_dma_dev *dev;
	int err;

	dev = group_call_begin(dev_id, handler, true, "group handler get", has_handler_get, &err);
	if (dev != NULL)
		err = group_call_end(dev, dev->dev_ops->access_pair_group_handler_get(dev, group_id,
										 domain_id,
										 handler));
	trace_group_handler_get(dev_id, group_id, domain_id, err == 0 ? *handler : 0, err);
	return err;
}
