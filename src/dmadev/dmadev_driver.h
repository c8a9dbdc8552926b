/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DMADEV_DRIVER_H
#define IDD_SRC_DMADEV_DRIVER_H

/*
 * What a driver implements and what the generic device layer keeps for each
 * device. Application code never sees this header.
 *
 * The generic layer (src/dmadev/) does every check that upstream's generic
 * layer does, before calling a driver op, and keeps the state machine
 * (configured, started). A driver op is only called with a valid device and
 * in a legal state; vchan numbers given to control ops are in range.
 *
 * Control ops run under the registry lock (see dmadev.c), so they never run
 * concurrently with each other. The access-pair-group ops are the exception:
 * they run without it (see access_pair.c), may run concurrently with each
 * other and with the control ops of other devices, and must do their own
 * locking; dev_close is not called while one of them runs on the device.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>

#include "common/kvargs.h"

struct idd_dma_dev;

/* Lowest address of the caller's own memory that a driver accepts: the
 * first page is never mapped (Linux keeps at least mmap_min_addr free), so
 * an address below this is a NULL pointer, or a field of one. */
#define DMA_OWN_ADDR_MIN 4096u

/*
 * Whether [@addr, @addr + @len) (@len >= 1) may be a range of the caller's
 * own memory: it does not start in the first page and does not wrap
 * around the address space. Drivers use the caller's own addresses as
 * they are; these checks catch the invalid ones an application is likely
 * to pass by mistake (and upstream's test suite passes on purpose to a
 * device with IDD_DMA_CAPA_HANDLES_ERRORS), so that the operation fails
 * with INVALID_SRC_ADDR or _DST_ADDR instead of faulting. Any other bad
 * pointer faults, as it would in memcpy().
 */
static inline bool
dma_own_range_valid(uint64_t addr, uint32_t len)
{
	const uint64_t last = (uint64_t)len - 1;

	/* One compare where a pointer is 64 bits (the first clause then
	 * always holds): addr - DMA_OWN_ADDR_MIN wraps to a huge value for
	 * an address in the first page. */
	return last <= (uint64_t)UINTPTR_MAX - DMA_OWN_ADDR_MIN &&
	       addr - DMA_OWN_ADDR_MIN <= (uint64_t)UINTPTR_MAX - DMA_OWN_ADDR_MIN - last;
}

/* idd's group extensions (idd_group.h) for a driver whose groups are its
 * own rather than src/group's (the fabric driver). The public calls route
 * to these when dma_dev_ops::group_ext is set, after their argument checks;
 * they run like the group ops (no registry lock, a group-call reference
 * held). */
struct dma_group_ext_ops {
	int (*event_register)(struct idd_dma_dev *dev, int16_t group_id,
			      idd_dma_group_event_cb_t cb, void *user_data);
	int (*members)(struct idd_dma_dev *dev, int16_t group_id,
		       struct idd_dma_group_member *members, unsigned int max);
	int (*publish)(struct idd_dma_dev *dev, int16_t group_id, const char *name,
		       uint64_t addr, uint64_t len);
	int (*unpublish)(struct idd_dma_dev *dev, int16_t group_id, const char *name);
	int (*lookup)(struct idd_dma_dev *dev, int16_t group_id, const char *name,
		      int timeout_ms, struct idd_dma_group_buffer *out);
};

struct dma_dev_ops {
	/* Fill capabilities and limits. dev_name, numa_node and nb_vchans are
	 * filled by the generic layer afterwards. */
	int (*dev_info_get)(const struct idd_dma_dev *dev, struct idd_dma_info *info);
	/* Called stopped; conf already validated against dev_info_get. */
	int (*dev_configure)(struct idd_dma_dev *dev, const struct idd_dma_conf *conf);
	/* Called stopped, configured, with every vchan set up. Must reset every
	 * vchan's ring_idx to 0 and discard uncollected completions (logging
	 * how many it discarded at warning level). */
	int (*dev_start)(struct idd_dma_dev *dev);
	/* Called started. Must finish every submitted operation, complete the
	 * enqueued-but-unsubmitted ones with USER_ABORT, leave all of them
	 * collectable by completed/completed_status, and make further enqueues
	 * and submits return -EINVAL until the next start. */
	int (*dev_stop)(struct idd_dma_dev *dev);
	/* Called stopped. Frees everything the driver allocated; dev_private
	 * itself is freed by the generic layer. */
	int (*dev_close)(struct idd_dma_dev *dev);
	/* Called stopped, configured, vchan < nb_vchans, conf passed the generic
	 * checks (direction, ports, reserved words, capabilities, nb_desc
	 * within [min_desc, max_desc]). The driver checks the rest (power of
	 * two, handlers). */
	int (*vchan_setup)(struct idd_dma_dev *dev, uint16_t vchan,
			   const struct idd_dma_vchan_conf *conf);
	/* vchan < nb_vchans or IDD_DMA_ALL_VCHAN; stats zeroed by the caller. */
	int (*stats_get)(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats *stats);
	int (*stats_reset)(struct idd_dma_dev *dev, uint16_t vchan);
	/* As stats_get, with bytes (idd extension); NULL means -ENOTSUP. */
	int (*stats_ext_get)(const struct idd_dma_dev *dev, uint16_t vchan,
			     struct idd_dma_stats_ext *stats);
	int (*vchan_status)(const struct idd_dma_dev *dev, uint16_t vchan,
			    enum idd_dma_vchan_status *status);
	/* Driver part of idd_dma_dump(), after the generic lines. */
	int (*dev_dump)(const struct idd_dma_dev *dev, FILE *f);

	/* Access pair groups; NULL means -ENOTSUP. */
	int (*access_pair_group_create)(struct idd_dma_dev *dev, idd_uuid_t domain_id,
					idd_uuid_t token, int16_t *group_id,
					idd_dma_access_pair_group_event_cb_t cb);
	int (*access_pair_group_destroy)(struct idd_dma_dev *dev, int16_t group_id);
	int (*access_pair_group_join)(struct idd_dma_dev *dev, idd_uuid_t domain_id,
				      idd_uuid_t token, int16_t group_id,
				      idd_dma_access_pair_group_event_cb_t cb);
	int (*access_pair_group_leave)(struct idd_dma_dev *dev, int16_t group_id);
	int (*access_pair_group_handler_get)(struct idd_dma_dev *dev, int16_t group_id,
					     idd_uuid_t domain_id, uint16_t *handler);
	/* NULL: src/group serves idd's group extensions for this device. */
	const struct dma_group_ext_ops *group_ext;
};

struct dma_driver {
	const char *name;
	/* Bytes of dev_private, allocated zeroed and 64-byte aligned by the
	 * generic layer before probe. */
	size_t priv_size;
	/* Read the driver's keys from @args (every key it does not read is
	 * refused afterwards by the generic layer), set dev->dev_ops, and fill
	 * every function of dev->fp_obj except dev_private (the generic layer
	 * sets that). On failure, free what it allocated and return -errno. */
	int (*probe)(struct idd_dma_dev *dev, struct kvargs *args);
};

/* One device slot. */
struct idd_dma_dev {
	char name[IDD_DMA_DEV_NAME_MAX_LEN];
	int16_t dev_id;
	bool in_use;
	bool started;
	bool configured;            /* idd_dma_configure() succeeded since create */
	struct idd_dma_conf conf;   /* last successful configuration */
	bool *vchan_ready;          /* [conf.nb_vchans]: vchan_setup succeeded */
	/* [conf.nb_vchans]: each ready vchan's last successful setup, kept for
	 * observers (dmadev_query.h); drivers keep their own copy. */
	struct idd_dma_vchan_conf *vchan_conf;
	const struct dma_driver *driver;
	const struct dma_dev_ops *dev_ops;
	struct idd_dma_fp_object *fp_obj;
	void *dev_private;
	unsigned int group_calls;   /* group ops running now (access_pair.c) */
};

/* The device @dev_id when its driver has group_ext, with a group-call
 * reference held (idd_dma_close() waits for it), else NULL; give the
 * reference back with dmadev_group_ext_end(), which returns @ret
 * (access_pair.c). */
struct idd_dma_dev *dmadev_group_ext_begin(int16_t dev_id);
int dmadev_group_ext_end(struct idd_dma_dev *dev, int ret);

/* Start, vchan setup and configure throw away the completions nobody
 * collected (idd_dmadev.h): the warning that says so, naming the device,
 * the vchan (@vchan; -1 for the whole device), the call (@what) and the
 * count; nothing when @discarded is 0 (dmadev/driver_log.c). */
void dma_warn_discarded(const char *dev_name, int vchan, const char *what,
			unsigned long discarded);

/* The drivers idd knows, by name (dmadev/driver_list.c). */
const struct dma_driver *dma_driver_find(const char *name);

/* Driver table entries (defined by each driver). */
extern const struct dma_driver dma_driver_sw;
/* Only where libfabric was found (IDD_HAVE_FABRIC). */
extern const struct dma_driver dma_driver_fabric;

#endif
