/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast-path table: one cache line per device slot. A slot without a
 * device points at the stubs below, so the inline data-path functions never
 * test for NULL; the stubs refuse quietly (debug level only), since logging
 * at full rate on a data path would bury the one line that matters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmadev/dmadev_internal.h"

struct idd_dma_fp_object *idd_dma_fp_objs;

static int
stub_copy(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t length,
	  uint64_t flags)
{
	(void)dev_private, (void)vchan, (void)src, (void)dst, (void)length, (void)flags;
	IDD_LOG(DEBUG, "copy refused: no such device");
	return -EINVAL;
}

static int
stub_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
	     const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	(void)dev_private, (void)vchan, (void)src, (void)dst, (void)nb_src, (void)nb_dst,
		(void)flags;
	IDD_LOG(DEBUG, "copy_sg refused: no such device");
	return -EINVAL;
}

static int
stub_fill(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst, uint32_t length,
	  uint64_t flags)
{
	(void)dev_private, (void)vchan, (void)pattern, (void)dst, (void)length, (void)flags;
	IDD_LOG(DEBUG, "fill refused: no such device");
	return -EINVAL;
}

static int
stub_submit(void *dev_private, uint16_t vchan)
{
	(void)dev_private, (void)vchan;
	IDD_LOG(DEBUG, "submit refused: no such device");
	return -EINVAL;
}

static uint16_t
stub_completed(void *dev_private, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
	       bool *has_error)
{
	(void)dev_private, (void)vchan, (void)nb_cpls, (void)last_idx, (void)has_error;
	return 0;
}

static uint16_t
stub_completed_status(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
		      uint16_t *last_idx, enum idd_dma_status_code *status)
{
	(void)dev_private, (void)vchan, (void)nb_cpls, (void)last_idx, (void)status;
	return 0;
}

static uint16_t
stub_burst_capacity(const void *dev_private, uint16_t vchan)
{
	(void)dev_private, (void)vchan;
	return 0;
}

static uint16_t
stub_ops(void *dev_private, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	(void)dev_private, (void)vchan, (void)ops, (void)nb_ops;
	return 0;
}

void
dmadev_fastpath_reset(struct idd_dma_fp_object *obj)
{
	obj->dev_private = NULL;
	obj->copy = stub_copy;
	obj->copy_sg = stub_copy_sg;
	obj->fill = stub_fill;
	obj->submit = stub_submit;
	obj->completed = stub_completed;
	obj->completed_status = stub_completed_status;
	obj->burst_capacity = stub_burst_capacity;
	obj->enqueue = stub_ops;
	obj->dequeue = stub_ops;
}

int
dmadev_fastpath_alloc(size_t dev_max)
{
	struct idd_dma_fp_object *objs;

	objs = aligned_alloc(64, dev_max * sizeof(*objs));
	if (objs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < dev_max; i++)
		dmadev_fastpath_reset(&objs[i]);
	idd_dma_fp_objs = objs;
	return 0;
}
