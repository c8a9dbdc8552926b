/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_SW_DEV_H
#define IDD_SRC_DRIVERS_SW_DEV_H

/*
 * The sw driver's per-device state (dev_private) and the functions its
 * files share. Data-path functions are reached through the fast-path
 * object; control functions through struct dma_dev_ops.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "dmadev/dmadev_driver.h"
#include "drivers/sw/sw_ring.h"

enum sw_engine {
	SW_ENGINE_INLINE,
	SW_ENGINE_THREAD,
};

/* The thread engine's worker; exists from start to stop. */
struct sw_worker {
	/* Non-zero while the worker sleeps (or is about to) in read(efd).
	 * Producers load it after every submit, so it has a line of its own
	 * that the worker writes only around a sleep. */
	_Alignas(SW_CACHE_LINE) _Atomic unsigned int sleeping;

	_Alignas(SW_CACHE_LINE) _Atomic bool stop;
	int efd;
	pthread_t thread;
	struct sw_vchan *vchans;
	uint16_t nb_vchans;
	const char *name;
};

struct sw_dev {
	/* Read by every data-path call; written by the control path only,
	 * which by the API's rules never runs concurrently with the data path
	 * of this device. Each data-path entry checks `vchan < limit`, which
	 * covers both "vchan out of range" and "device not in that state". */
	_Alignas(SW_CACHE_LINE) struct sw_vchan *vchans;
	uint16_t fp_vchans;  /* copy, copy_sg, fill, submit */
	uint16_t cap_vchans; /* burst_capacity */
	uint16_t cpl_vchans; /* completed, completed_status */
	uint16_t ops_vchans; /* enqueue_ops */
	uint16_t deq_vchans; /* dequeue_ops */
	bool thread_engine;
	bool silent;
	struct sw_worker *worker;
	const char *name;
	int16_t dev_id; /* what the data-path trace probes report */

	/* Control path only. */
	_Alignas(SW_CACHE_LINE) uint16_t nb_vchans;
	bool ops_mode;
	int cpu; /* worker's CPU, -1 when not pinned */
	/* stream_min= (sw_stream.h): copies of at least this many bytes are
	 * streamed; 0: never. */
	uint64_t stream_min;
};

/* sw_probe.c */
extern const struct dma_dev_ops sw_dev_ops;

/* sw_vchan.c */
int sw_vchan_setup(struct idd_dma_dev *dev, uint16_t vchan, const struct idd_dma_vchan_conf *conf);
void sw_vchan_free(struct sw_vchan *vc);
int sw_vchan_status(const struct idd_dma_dev *dev, uint16_t vchan,
		    enum idd_dma_vchan_status *status);

/* sw_domain.c: the group ops forward to src/group/; vchan domains. */
int sw_group_create(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		    int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb);
int sw_group_destroy(struct idd_dma_dev *dev, int16_t group_id);
int sw_group_join(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		  int16_t group_id, idd_dma_access_pair_group_event_cb_t cb);
int sw_group_leave(struct idd_dma_dev *dev, int16_t group_id);
int sw_group_handler_get(struct idd_dma_dev *dev, int16_t group_id, idd_uuid_t domain_id,
			 uint16_t *handler);
/* Check and acquire the handlers of an inter-domain vchan configuration;
 * *@out is NULL for domain type NONE. -EINVAL (logged) when a handler
 * names no present member of a group of this device, -ENOMEM. */
int sw_xdom_setup(const struct idd_dma_dev *dev, uint16_t vchan,
		  const struct idd_dma_vchan_conf *conf, struct sw_xdom **out);
/* True when neither side needs translation (NULL included). */
bool sw_xdom_local(const struct sw_xdom *xd);
/* Release the handlers and free; NULL is a no-op. Control path only. */
void sw_xdom_free(struct sw_xdom *xd);
/* The dump line of a vchan's domains. */
void sw_xdom_dump(const struct sw_xdom *xd, FILE *f);

/* sw_start.c */
int sw_dev_start(struct idd_dma_dev *dev);
int sw_dev_stop(struct idd_dma_dev *dev);
/* Completions of @vc that were never collected (control path). */
uint16_t sw_vchan_uncollected(const struct sw_vchan *vc);
/* dma_warn_discarded(), except in silent mode, where nothing is ever
 * collected. */
void sw_warn_discarded(const struct sw_dev *sd, int vchan, const char *what,
		       unsigned long discarded);

/* sw_thread.c */
int sw_worker_start(struct sw_dev *sd);
void sw_worker_stop(struct sw_dev *sd);
void sw_worker_wake(struct sw_worker *w);

/* sw_stats.c */
int sw_stats_get(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats *stats);
int sw_stats_reset(struct idd_dma_dev *dev, uint16_t vchan);
int sw_stats_ext_get(const struct idd_dma_dev *dev, uint16_t vchan,
		     struct idd_dma_stats_ext *stats);

/* sw_dump.c */
int sw_dev_dump(const struct idd_dma_dev *dev, FILE *f);

/* sw_enqueue.c: fast-path entries. copy and fill have one per ring format
 * (sw_desc.h): sw_enq_copy() for the inline engine's full descriptors,
 * sw_enq_copy_packed() for the thread engine's packed ones. */
int sw_enq_copy(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst,
		uint32_t length, uint64_t flags);
int sw_enq_copy_packed(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst,
		       uint32_t length, uint64_t flags);
int sw_enq_fill_packed(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
		       uint32_t length, uint64_t flags);
int sw_enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
		   const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags);
int sw_enq_fill(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
		uint32_t length, uint64_t flags);
int sw_submit(void *dev_private, uint16_t vchan);
void sw_submit_vchan(struct sw_dev *sd, struct sw_vchan *vc);
/* Debug-level log line for a data-path call refused on @vchan; returns
 * -EINVAL. */
int sw_refuse_fast(const struct sw_dev *sd, uint16_t vchan, const char *what)
	__attribute__((cold, noinline));

/* sw_completion.c: fast-path entries */
uint16_t sw_completed(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
		      uint16_t *last_idx, bool *has_error);
uint16_t sw_completed_status(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
			     uint16_t *last_idx, enum idd_dma_status_code *status);
uint16_t sw_burst_capacity(const void *dev_private, uint16_t vchan);
/* Silent mode: treat everything the engine finished as collected. */
uint16_t sw_reclaim(struct sw_vchan *vc);

/* sw_ops.c: fast-path entries */
uint16_t sw_enqueue_ops(void *dev_private, uint16_t vchan, struct idd_dma_op **ops,
			uint16_t nb_ops);
uint16_t sw_dequeue_ops(void *dev_private, uint16_t vchan, struct idd_dma_op **ops,
			uint16_t nb_ops);

#endif
