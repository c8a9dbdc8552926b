/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_DMADEV_CORE_H
#define IDD_DMADEV_CORE_H

/**
 * @file
 * The per-device fast-path object behind the inline data-path functions of
 * idd_dmadev.h. Applications do not use it directly; it is public only
 * because the inline functions need it. A device that does not exist has
 * stub functions here that refuse every call, so the inline functions never
 * test for NULL.
 */

#include <stdbool.h>
#include <stdint.h>

#include <idd/idd_common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct idd_dma_sge;
struct idd_dma_op;
enum idd_dma_status_code;

/** Driver's copy (see idd_dma_copy()). */
typedef int (*idd_dma_copy_t)(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst,
			      uint32_t length, uint64_t flags);
/** Driver's scatter-gather copy (see idd_dma_copy_sg()). */
typedef int (*idd_dma_copy_sg_t)(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
				 const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst,
				 uint64_t flags);
/** Driver's fill (see idd_dma_fill()). */
typedef int (*idd_dma_fill_t)(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
			      uint32_t length, uint64_t flags);
/** Driver's submit (see idd_dma_submit()). */
typedef int (*idd_dma_submit_t)(void *dev_private, uint16_t vchan);
/** Driver's completed (see idd_dma_completed()). */
typedef uint16_t (*idd_dma_completed_t)(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
					uint16_t *last_idx, bool *has_error);
/** Driver's completed_status (see idd_dma_completed_status()). */
typedef uint16_t (*idd_dma_completed_status_t)(void *dev_private, uint16_t vchan,
					       const uint16_t nb_cpls, uint16_t *last_idx,
					       enum idd_dma_status_code *status);
/** Driver's burst_capacity (see idd_dma_burst_capacity()). */
typedef uint16_t (*idd_dma_burst_capacity_t)(const void *dev_private, uint16_t vchan);
/** Driver's enqueue_ops (see idd_dma_enqueue_ops()). */
typedef uint16_t (*idd_dma_enqueue_ops_t)(void *dev_private, uint16_t vchan,
					  struct idd_dma_op **ops, uint16_t nb_ops);
/** Driver's dequeue_ops (see idd_dma_dequeue_ops()). */
typedef uint16_t (*idd_dma_dequeue_ops_t)(void *dev_private, uint16_t vchan,
					  struct idd_dma_op **ops, uint16_t nb_ops);

/** One device's data-path entry points; one cache line per device. */
struct idd_dma_fp_object {
	/** The driver's per-device data, passed to every function below. */
	_Alignas(64) void *dev_private;
	idd_dma_copy_t copy;                         /**< copy */
	idd_dma_copy_sg_t copy_sg;                   /**< copy_sg */
	idd_dma_fill_t fill;                         /**< fill */
	idd_dma_submit_t submit;                     /**< submit */
	idd_dma_completed_t completed;               /**< completed */
	idd_dma_completed_status_t completed_status; /**< completed_status */
	idd_dma_burst_capacity_t burst_capacity;     /**< burst_capacity */
	idd_dma_enqueue_ops_t enqueue;               /**< enqueue_ops */
	idd_dma_dequeue_ops_t dequeue;               /**< dequeue_ops */
};

/** The fast-path objects, indexed by dev_id. */
extern struct idd_dma_fp_object *idd_dma_fp_objs;

#ifdef __cplusplus
}
#endif

#endif /* IDD_DMADEV_CORE_H */
