/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device registry and the control path: create, configure, start, stop,
 * close, info and stats. Checks follow upstream's generic layer, in its
 * order, so that a program gets the same error codes from idd as from DPDK.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "dmadev/dmadev_internal.h"
#include "telemetry/telemetry.h"

pthread_mutex_t dmadev_registry_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t dmadev_group_calls_done = PTHREAD_COND_INITIALIZER;

/* Allocated by the first create; dev_max can only be set before that. */
static struct idd_dma_dev *devices;
static size_t dev_max_slots;

void
dmadev_log_refusal(const struct idd_dma_dev *dev, const char *what, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_write(IDD_LOG_ERR, "dev %d (%s): %s refused: %s", dev->dev_id, dev->name, what, why);
}

struct idd_dma_dev *
dmadev_get_locked(int16_t dev_id)
{
	if (dev_id < 0 || devices == NULL || (size_t)dev_id >= dev_max_slots)
		return NULL;
	if (!devices[dev_id].in_use)
		return NULL;
	return &devices[dev_id];
}

struct idd_dma_dev *
dmadev_lookup_locked(int16_t dev_id, const char *what, const void *ptr, const char *ptr_name)
{
	struct idd_dma_dev *dev = dmadev_get_locked(dev_id);

	if (dev == NULL) {
		IDD_LOG(ERR, "dev %d: %s refused: no such device", dev_id, what);
		return NULL;
	}
	if (ptr_name != NULL && ptr == NULL) {
		DMADEV_REFUSE(dev, what, "%s is NULL", ptr_name);
		return NULL;
	}
	return dev;
}

int
dmadev_info_locked(const struct idd_dma_dev *dev, struct idd_dma_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = dev->dev_ops->dev_info_get(dev, info);
	if (ret != 0)
		return ret;
	if ((info->dev_capa & IDD_DMA_CAPA_PRI_POLICY_SP) && info->nb_priorities <= 1) {
		DMADEV_REFUSE(dev, "info_get", "driver reports priority support with %u levels",
			      info->nb_priorities);
		return -EINVAL;
	}
	info->dev_name = dev->name;
	info->numa_node = -1;
	info->nb_vchans = dev->configured ? dev->conf.nb_vchans : 0;
	return 0;
}

static int
registry_prepare_locked(void)
{
	int ret;

	if (devices != NULL)
		return 0;
	if (dev_max_slots == 0)
		dev_max_slots = IDD_DMADEV_DEFAULT_MAX;
	devices = calloc(dev_max_slots, sizeof(*devices));
	if (devices == NULL)
		return -ENOMEM;
	ret = dmadev_fastpath_alloc(dev_max_slots);
	if (ret != 0) {
		free(devices);
		devices = NULL;
		return ret;
	}
	return 0;
}

int
idd_dma_dev_max(size_t dev_max)
{
	int ret = 0;

	pthread_mutex_lock(&dmadev_registry_lock);
	if (dev_max == 0 || dev_max > INT16_MAX) {
		IDD_LOG(ERR, "dev_max %zu refused: must be 1..%d", dev_max, INT16_MAX);
		ret = -EINVAL;
	} else if (devices != NULL) {
		IDD_LOG(ERR, "dev_max %zu refused: devices already exist (set it before the "
			     "first idd_dma_dev_create)", dev_max);
		ret = -EINVAL;
	} else {
		dev_max_slots = dev_max;
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	return ret;
}

/* @what names the refused request in the log line. */
static int
check_name(const char *name, const char *what)
{
	size_t len;

	if (name == NULL) {
		IDD_LOG(ERR, "%s refused: device name is NULL", what);
		return -EINVAL;
	}
	len = strnlen(name, IDD_DMA_DEV_NAME_MAX_LEN);
	if (len == 0) {
		IDD_LOG(ERR, "%s refused: device name is empty", what);
		return -EINVAL;
	}
	if (len >= IDD_DMA_DEV_NAME_MAX_LEN) {
		IDD_LOG(ERR, "%s refused: device name longer than %d characters", what,
			IDD_DMA_DEV_NAME_MAX_LEN - 1);
		return -EINVAL;
	}
	return 0;
}

static struct idd_dma_dev *
find_by_name_locked(const char *name)
{
	for (size_t i = 0; devices != NULL && i < dev_max_slots; i++)
		if (devices[i].in_use && strcmp(devices[i].name, name) == 0)
			return &devices[i];
	return NULL;
}

static void
slot_release_locked(struct idd_dma_dev *dev)
{
	int16_t id = dev->dev_id;

	dmadev_fastpath_reset(dev->fp_obj);
	free(dev->vchan_ready);
	free(dev->vchan_conf);
	free(dev->dev_private);
	memset(dev, 0, sizeof(*dev));
	dev->dev_id = id;
}

static int
dev_create_locked(const char *name, const char *args)
{
	struct kvargs kv;
	const struct dma_driver *driver;
	const char *driver_name;
	struct idd_dma_dev *dev = NULL;
	size_t priv_size;
	int ret;

	ret = check_name(name, "device create");
	if (ret != 0)
		return ret;
	ret = registry_prepare_locked();
	if (ret != 0) {
		IDD_LOG(ERR, "device %s create refused: out of memory", name);
		return ret;
	}
	if (find_by_name_locked(name) != NULL) {
		IDD_LOG(ERR, "device %s create refused: a device of that name exists", name);
		return -EEXIST;
	}
	for (size_t i = 0; i < dev_max_slots; i++) {
		if (!devices[i].in_use) {
			dev = &devices[i];
			dev->dev_id = (int16_t)i;
			break;
		}
	}
	if (dev == NULL) {
		IDD_LOG(ERR, "device %s create refused: all %zu device slots are taken "
			     "(see idd_dma_dev_max)", name, dev_max_slots);
		return -ENOSPC;
	}

	ret = kvargs_parse(&kv, name, args);
	if (ret != 0)
		return ret;
	driver_name = kvargs_get(&kv, "driver");
	if (driver_name == NULL)
		driver_name = "sw";
	driver = dma_driver_find(driver_name);
	if (driver == NULL) {
		IDD_LOG(ERR, "device %s create refused: no driver named '%s'", name, driver_name);
		return -ENODEV;
	}

	priv_size = (driver->priv_size + 63) & ~(size_t)63;
	dev->dev_private = aligned_alloc(64, priv_size ? priv_size : 64);
	if (dev->dev_private == NULL) {
		IDD_LOG(ERR, "device %s create refused: out of memory", name);
		return -ENOMEM;
	}
	memset(dev->dev_private, 0, priv_size);
	strcpy(dev->name, name);
	dev->driver = driver;
	dev->fp_obj = &idd_dma_fp_objs[dev->dev_id];

	ret = driver->probe(dev, &kv);
	if (ret == 0) {
		ret = kvargs_check_all_used(&kv);
		if (ret != 0)
			dev->dev_ops->dev_close(dev);
	}
	if (ret != 0) {
		slot_release_locked(dev);
		return ret;
	}
	dev->fp_obj->dev_private = dev->dev_private;
	dev->in_use = true;
	IDD_LOG(INFO, "dev %d (%s): created, driver %s", dev->dev_id, name, driver->name);
	return dev->dev_id;
}

int
idd_dma_dev_create(const char *name, const char *args)
{
	bool first = false;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	first = devices == NULL;
	ret = dev_create_locked(name, args);
	if (ret < 0 && first && devices != NULL) {
		/* Only a created device fixes the table's size: after a
		 * refused first create, idd_dma_dev_max() still works. */
		free(devices);
		devices = NULL;
		free(idd_dma_fp_objs);
		idd_dma_fp_objs = NULL;
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_dev_create(name, args, ret);
	if (ret >= 0)
		telemetry_dev_created((int16_t)ret); /* IDD_TELEMETRY=1 (not under the lock) */
	return ret;
}

int
idd_dma_get_dev_id_by_name(const char *name)
{
	struct idd_dma_dev *dev;
	int ret;

	if (check_name(name, "device lookup") != 0)
		return -EINVAL;
	pthread_mutex_lock(&dmadev_registry_lock);
	dev = find_by_name_locked(name);
	ret = dev != NULL ? dev->dev_id : -EINVAL;
	pthread_mutex_unlock(&dmadev_registry_lock);
	return ret;
}

bool
idd_dma_is_valid(int16_t dev_id)
{
	bool valid;

	pthread_mutex_lock(&dmadev_registry_lock);
	valid = dmadev_get_locked(dev_id) != NULL;
	pthread_mutex_unlock(&dmadev_registry_lock);
	return valid;
}

uint16_t
idd_dma_count_avail(void)
{
	uint16_t count = 0;

	pthread_mutex_lock(&dmadev_registry_lock);
	for (size_t i = 0; devices != NULL && i < dev_max_slots; i++)
		count += devices[i].in_use;
	pthread_mutex_unlock(&dmadev_registry_lock);
	return count;
}

int16_t
idd_dma_next_dev(int16_t start_dev_id)
{
	int16_t found = -1;

	if (start_dev_id < 0)
		start_dev_id = 0;
	pthread_mutex_lock(&dmadev_registry_lock);
	for (size_t i = (size_t)start_dev_id; devices != NULL && i < dev_max_slots; i++) {
		if (devices[i].in_use) {
			found = (int16_t)i;
			break;
		}
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	return found;
}

int
idd_dma_info_get(int16_t dev_id, struct idd_dma_info *dev_info)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "info get", dev_info, "dev_info");
	ret = dev == NULL ? -EINVAL : dmadev_info_locked(dev, dev_info);
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_info_get(dev_id, ret == 0 ? dev_info : NULL, ret);
	return ret;
}

static int
configure_locked(struct idd_dma_dev *dev, const struct idd_dma_conf *conf)
{
	const uint64_t known_flags = IDD_DMA_CFG_FLAG_SILENT | IDD_DMA_CFG_FLAG_ENQ_DEQ;
	struct idd_dma_info info;
	struct idd_dma_vchan_conf *vconf;
	bool *ready;
	int ret;

	if (dev->started) {
		DMADEV_REFUSE(dev, "configure", "device is started (stop it first)");
		return -EBUSY;
	}
	ret = dmadev_info_locked(dev, &info);
	if (ret != 0)
		return -EINVAL;
	if (conf->nb_vchans == 0) {
		DMADEV_REFUSE(dev, "configure", "nb_vchans is 0");
		return -EINVAL;
	}
	if (conf->nb_vchans > info.max_vchans) {
		DMADEV_REFUSE(dev, "configure", "nb_vchans %u exceeds max_vchans %u",
			      conf->nb_vchans, info.max_vchans);
		return -EINVAL;
	}
	if (info.dev_capa & IDD_DMA_CAPA_PRI_POLICY_SP) {
		if (conf->priority >= info.nb_priorities) {
			DMADEV_REFUSE(dev, "configure", "priority %u not below %u levels",
				      conf->priority, info.nb_priorities);
			return -EINVAL;
		}
	} else if (conf->priority != 0) {
		DMADEV_REFUSE(dev, "configure", "priority %u set but the device has no "
			      "priority scheduling", conf->priority);
		return -EINVAL;
	}
	if (conf->flags & ~known_flags) {
		DMADEV_REFUSE(dev, "configure", "unknown flags 0x%llx",
			      (unsigned long long)(conf->flags & ~known_flags));
		return -EINVAL;
	}
	if ((conf->flags & IDD_DMA_CFG_FLAG_SILENT) && !(info.dev_capa & IDD_DMA_CAPA_SILENT)) {
		DMADEV_REFUSE(dev, "configure", "silent mode not supported");
		return -EINVAL;
	}
	if ((conf->flags & IDD_DMA_CFG_FLAG_ENQ_DEQ) &&
	    !(info.dev_capa & IDD_DMA_CAPA_OPS_ENQ_DEQ)) {
		DMADEV_REFUSE(dev, "configure", "enqueue/dequeue mode not supported");
		return -EINVAL;
	}

	ready = calloc(conf->nb_vchans, sizeof(*ready));
	vconf = calloc(conf->nb_vchans, sizeof(*vconf));
	if (ready == NULL || vconf == NULL) {
		free(ready);
		free(vconf);
		DMADEV_REFUSE(dev, "configure", "out of memory");
		return -ENOMEM;
	}
	ret = dev->dev_ops->dev_configure(dev, conf);
	if (ret != 0) {
		free(ready);
		free(vconf);
		return ret;
	}
	free(dev->vchan_ready);
	dev->vchan_ready = ready;
	free(dev->vchan_conf);
	dev->vchan_conf = vconf;
	dev->conf = *conf;
	dev->configured = true;
	return 0;
}

int
idd_dma_configure(int16_t dev_id, const struct idd_dma_conf *dev_conf)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "configure", dev_conf, "dev_conf");
	ret = dev == NULL ? -EINVAL : configure_locked(dev, dev_conf);
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_configure(dev_id, dev_conf, ret);
	return ret;
}

static int
start_locked(struct idd_dma_dev *dev)
{
	int ret;

	if (!dev->configured) {
		DMADEV_REFUSE(dev, "start", "device is not configured");
		return -EINVAL;
	}
	if (dev->started) {
		IDD_LOG(WARNING, "dev %d (%s): start: already started", dev->dev_id, dev->name);
		return 0;
	}
	for (uint16_t v = 0; v < dev->conf.nb_vchans; v++) {
		if (!dev->vchan_ready[v]) {
			DMADEV_REFUSE(dev, "start", "vchan %u is not set up", v);
			return -EINVAL;
		}
	}
	ret = dev->dev_ops->dev_start(dev);
	if (ret != 0)
		return ret;
	dev->started = true;
	return 0;
}

int
idd_dma_start(int16_t dev_id)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "start", NULL, NULL);
	ret = dev == NULL ? -EINVAL : start_locked(dev);
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_start(dev_id, ret);
	return ret;
}

int
idd_dma_stop(int16_t dev_id)
{
	struct idd_dma_dev *dev;
	int ret = 0;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "stop", NULL, NULL);
	if (dev == NULL) {
		ret = -EINVAL;
	} else if (!dev->started) {
		IDD_LOG(WARNING, "dev %d (%s): stop: already stopped", dev->dev_id, dev->name);
	} else {
		ret = dev->dev_ops->dev_stop(dev);
		if (ret == 0)
			dev->started = false;
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_stop(dev_id, ret);
	return ret;
}

int
idd_dma_close(int16_t dev_id)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	for (;;) {
		dev = dmadev_lookup_locked(dev_id, "close", NULL, NULL);
		if (dev == NULL) {
			ret = -EINVAL;
			goto out;
		}
		if (dev->started) {
			DMADEV_REFUSE(dev, "close", "device is started (stop it first)");
			ret = -EBUSY;
			goto out;
		}
		if (dev->group_calls == 0)
			break;
		/* A group call on another thread still uses the device; the
		 * wait drops the lock, so look the device up again after it. */
		pthread_cond_wait(&dmadev_group_calls_done, &dmadev_registry_lock);
	}
	ret = dev->dev_ops->dev_close(dev);
	if (ret == 0) {
		IDD_LOG(INFO, "dev %d (%s): closed", dev->dev_id, dev->name);
		slot_release_locked(dev);
	}
out:
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_close(dev_id, ret);
	return ret;
}

static int
vchan_setup_locked(struct idd_dma_dev *dev, uint16_t vchan, const struct idd_dma_vchan_conf *conf)
{
	struct idd_dma_info info;
	static const struct {
		enum idd_dma_direction dir;
		uint64_t capa;
		const char *name;
	} dir_capa[] = {
		{ IDD_DMA_DIR_MEM_TO_MEM, IDD_DMA_CAPA_MEM_TO_MEM, "mem-to-mem" },
		{ IDD_DMA_DIR_MEM_TO_DEV, IDD_DMA_CAPA_MEM_TO_DEV, "mem-to-dev" },
		{ IDD_DMA_DIR_DEV_TO_MEM, IDD_DMA_CAPA_DEV_TO_MEM, "dev-to-mem" },
		{ IDD_DMA_DIR_DEV_TO_DEV, IDD_DMA_CAPA_DEV_TO_DEV, "dev-to-dev" },
	};
	int ret;

	if (dev->started) {
		DMADEV_REFUSE(dev, "vchan setup", "device is started (stop it first)");
		return -EBUSY;
	}
	ret = dmadev_check_vchan_conf(dev, conf);
	if (ret != 0)
		return ret;
	if (dmadev_info_locked(dev, &info) != 0)
		return -EINVAL;
	if (!dev->configured) {
		DMADEV_REFUSE(dev, "vchan setup", "device is not configured");
		return -EINVAL;
	}
	if (vchan >= info.nb_vchans) {
		DMADEV_REFUSE(dev, "vchan setup", "vchan %u out of range (%u configured)", vchan,
			      info.nb_vchans);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(dir_capa) / sizeof(dir_capa[0]); i++) {
		if (conf->direction == dir_capa[i].dir && !(info.dev_capa & dir_capa[i].capa)) {
			DMADEV_REFUSE(dev, "vchan setup", "vchan %u: %s transfers not supported",
				      vchan, dir_capa[i].name);
			return -EINVAL;
		}
	}
	if (conf->nb_desc < info.min_desc || conf->nb_desc > info.max_desc) {
		DMADEV_REFUSE(dev, "vchan setup", "vchan %u: nb_desc %u outside %u..%u", vchan,
			      conf->nb_desc, info.min_desc, info.max_desc);
		return -EINVAL;
	}
	if (conf->auto_free.m2d.pool != NULL && !(info.dev_capa & IDD_DMA_CAPA_M2D_AUTO_FREE)) {
		DMADEV_REFUSE(dev, "vchan setup", "vchan %u: auto-free not supported", vchan);
		return -EINVAL;
	}
	if (conf->domain.type == IDD_DMA_INTER_OS_DOMAIN &&
	    !(info.dev_capa & IDD_DMA_CAPA_INTER_OS_DOMAIN)) {
		DMADEV_REFUSE(dev, "vchan setup", "vchan %u: inter-OS domain not supported", vchan);
		return -EINVAL;
	}
	if (conf->domain.type == IDD_DMA_INTER_PROCESS_DOMAIN &&
	    !(info.dev_capa & IDD_DMA_CAPA_INTER_PROCESS_DOMAIN)) {
		DMADEV_REFUSE(dev, "vchan setup", "vchan %u: inter-process domain not supported",
			      vchan);
		return -EINVAL;
	}
	ret = dev->dev_ops->vchan_setup(dev, vchan, conf);
	if (ret == 0) {
		dev->vchan_ready[vchan] = true;
		dev->vchan_conf[vchan] = *conf;
	}
	return ret;
}

int
idd_dma_vchan_setup(int16_t dev_id, uint16_t vchan, const struct idd_dma_vchan_conf *conf)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "vchan setup", conf, "conf");
	ret = dev == NULL ? -EINVAL : vchan_setup_locked(dev, vchan, conf);
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_vchan_setup(dev_id, vchan, conf, ret);
	return ret;
}

/* vchan must name a configured vchan, or be IDD_DMA_ALL_VCHAN when allowed. */
static bool
vchan_in_range(const struct idd_dma_dev *dev, uint16_t vchan, bool all_allowed)
{
	uint16_t nb = dev->configured ? dev->conf.nb_vchans : 0;

	return vchan < nb || (all_allowed && vchan == IDD_DMA_ALL_VCHAN);
}

int
idd_dma_stats_get(int16_t dev_id, uint16_t vchan, struct idd_dma_stats *stats)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "stats get", stats, "stats");
	if (dev == NULL) {
		ret = -EINVAL;
	} else if (!vchan_in_range(dev, vchan, true)) {
		DMADEV_REFUSE(dev, "stats get", "vchan %u out of range", vchan);
		ret = -EINVAL;
	} else {
		memset(stats, 0, sizeof(*stats));
		ret = dev->dev_ops->stats_get(dev, vchan, stats);
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_stats_get(dev_id, vchan, ret == 0 ? stats : NULL, ret);
	return ret;
}

int
idd_dma_stats_ext_get(int16_t dev_id, uint16_t vchan, struct idd_dma_stats_ext *stats)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "stats ext get", stats, "stats");
	if (dev == NULL) {
		ret = -EINVAL;
	} else if (!vchan_in_range(dev, vchan, true)) {
		DMADEV_REFUSE(dev, "stats ext get", "vchan %u out of range", vchan);
		ret = -EINVAL;
	} else if (dev->dev_ops->stats_ext_get == NULL) {
		DMADEV_REFUSE(dev, "stats ext get", "driver %s does not count bytes",
			      dev->driver->name);
		ret = -ENOTSUP;
	} else {
		memset(stats, 0, sizeof(*stats));
		ret = dev->dev_ops->stats_ext_get(dev, vchan, stats);
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_stats_ext_get(dev_id, vchan, ret == 0 ? stats : NULL, ret);
	return ret;
}

int
idd_dma_stats_reset(int16_t dev_id, uint16_t vchan)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "stats reset", NULL, NULL);
	if (dev == NULL) {
		ret = -EINVAL;
	} else if (!vchan_in_range(dev, vchan, true)) {
		DMADEV_REFUSE(dev, "stats reset", "vchan %u out of range", vchan);
		ret = -EINVAL;
	} else {
		ret = dev->dev_ops->stats_reset(dev, vchan);
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_stats_reset(dev_id, vchan, ret);
	return ret;
}

int
idd_dma_vchan_status(int16_t dev_id, uint16_t vchan, enum idd_dma_vchan_status *status)
{
	struct idd_dma_dev *dev;
	int ret;

	pthread_mutex_lock(&dmadev_registry_lock);
	dev = dmadev_lookup_locked(dev_id, "vchan status", status, "status");
	if (dev == NULL) {
		ret = -EINVAL;
	} else if (!vchan_in_range(dev, vchan, false)) {
		DMADEV_REFUSE(dev, "vchan status", "vchan %u out of range", vchan);
		ret = -EINVAL;
	} else if (dev->dev_ops->vchan_status == NULL) {
		ret = -ENOTSUP;
	} else {
		ret = dev->dev_ops->vchan_status(dev, vchan, status);
	}
	pthread_mutex_unlock(&dmadev_registry_lock);
	trace_vchan_status(dev_id, vchan, ret == 0 ? status : NULL, ret);
	return ret;
}
