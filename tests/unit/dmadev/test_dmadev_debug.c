/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data-path argument checks that IDD_DMADEV_DEBUG (meson option
 * fastpath_debug) compiles into the inline functions, as upstream's
 * RTE_DMADEV_DEBUG does: a bad device, a length of 0, NULL lists or empty
 * ones are refused before the driver sees them, and take no ring slot.
 * The checks live in the header, so this one program defines the macro
 * itself; the library is the ordinary one.
 */
#define IDD_DMADEV_DEBUG 1

#include <errno.h>
#include <string.h>

#include "dmadev_test.h"

/* A device id in range that no device has. */
#define UNUSED_DEV 60

static uint8_t src[64], dst[64];

static void
test_bad_device(void **state)
{
	struct idd_dma_sge s = {TU_IOVA(src), 8}, d = {TU_IOVA(dst), 8};
	enum idd_dma_status_code st[1];
	struct idd_dma_op *ops[1] = {NULL};
	uint16_t last = 7;
	bool err = false;

	(void)state;
	assert_errno(idd_dma_copy(UNUSED_DEV, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(UNUSED_DEV, 0, &s, &d, 1, 1, 0), -EINVAL);
	assert_errno(idd_dma_fill(UNUSED_DEV, 0, 1, TU_IOVA(dst), 8, 0), -EINVAL);
	assert_errno(idd_dma_submit(UNUSED_DEV, 0), -EINVAL);
	assert_errno(idd_dma_completed(UNUSED_DEV, 0, 1, &last, &err), 0);
	assert_errno(idd_dma_completed_status(UNUSED_DEV, 0, 1, &last, st), 0);
	assert_errno(idd_dma_burst_capacity(UNUSED_DEV, 0), 0);
	assert_errno(idd_dma_enqueue_ops(UNUSED_DEV, 0, ops, 1), 0);
	assert_errno(idd_dma_dequeue_ops(UNUSED_DEV, 0, ops, 1), 0);
}

static void
test_bad_arguments(void **state)
{
	struct idd_dma_sge s = {TU_IOVA(src), 8}, d = {TU_IOVA(dst), 8};
	enum idd_dma_status_code st[2];
	uint16_t cap, last = 0;
	int16_t dev;

	(void)state;
	dev = tu_ready("debug", 1, 0);
	cap = idd_dma_burst_capacity(dev, 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 0, 0), -EINVAL);
	assert_errno(idd_dma_fill(dev, 0, 1, TU_IOVA(dst), 0, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, NULL, &d, 1, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, &s, NULL, 1, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, &s, &d, 0, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, &s, &d, 1, 0, 0), -EINVAL);
	assert_errno(idd_dma_completed_status(dev, 0, 1, &last, NULL), 0);
	assert_errno(idd_dma_completed(dev, 0, 0, &last, NULL), 0);
	/* None took a ring slot: the next operations are the vchan's first. */
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap);
	memset(src, 0x3c, sizeof(src));
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), 0);
	assert_errno(idd_dma_fill(dev, 0, 0x5a5a5a5a5a5a5a5aull, TU_IOVA(dst + 8), 8, IDD_DMA_OP_FLAG_SUBMIT), 1);
	assert_int_equal(tu_wait_status(dev, 0, 2, &last, st), 2);
	assert_int_equal(last, 1);
	assert_int_equal(st[0], IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(st[1], IDD_DMA_STATUS_SUCCESSFUL);
	assert_memory_equal(dst, src, 8);
	for (int i = 8; i < 16; i++)
		assert_int_equal(dst[i], 0x5a);
	tu_close(dev);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_device),
		cmocka_unit_test_teardown(test_bad_arguments, tu_teardown),
		cmocka_unit_test(test_refusals_were_logged),
	};

	tu_args = argc > 1 ? argv[1] : NULL;
	tu_log_install();
	return cmocka_run_group_tests_name("dmadev_debug", tests, NULL, tu_group_teardown);
}
