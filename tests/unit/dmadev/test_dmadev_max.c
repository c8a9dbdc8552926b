/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance suite, the device table: idd_dma_dev_max() before and after
 * the table exists, the registry calls before any device was created, and
 * -ENOSPC when every slot is taken. A program of its own, because the table
 * size can only be chosen once per process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dmadev_test.h"

#define SLOTS 3

static void
test_before_any_device(void **state)
{
	struct idd_dma_info info;

	(void)state;
	/* No table yet: nothing exists, and asking is harmless. */
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_int_equal(idd_dma_next_dev(0), -1);
	assert_false(idd_dma_is_valid(0));
	assert_false(idd_dma_is_valid(-1));
	assert_errno(idd_dma_get_dev_id_by_name("max_a"), -EINVAL);
	assert_refused(idd_dma_info_get(0, &info), -EINVAL, "0");
	assert_refused(idd_dma_close(0), -EINVAL, "0");
	assert_refused(idd_dma_stop(1), -EINVAL, "1");

	/* Out of range. */
	assert_refused(idd_dma_dev_max(0), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max((size_t)INT16_MAX + 1), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max(SIZE_MAX), -EINVAL, NULL);
	/* In range, and may be changed until the first device is created
	 * ("Only possible before the first device is created"): a refused
	 * create creates no device, so it does not end that period. */
	assert_errno(idd_dma_dev_max(INT16_MAX), 0);
	assert_errno(idd_dma_dev_max(1), 0);
	assert_refused(idd_dma_dev_create(NULL, tu_args), -EINVAL, NULL);
	assert_refused(idd_dma_dev_create("", tu_args), -EINVAL, NULL);
	/* (The same value before and after, so that the next test finds
	 * SLOTS slots even where this check fails.) */
	assert_errno(idd_dma_dev_max(SLOTS), 0);
	assert_refused(idd_dma_dev_create("max_a", "bogus_key=1"), -EINVAL, "max_a");
	assert_refused(idd_dma_dev_create("max_a", "driver=nosuch"), -ENODEV, "max_a");
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_errno(idd_dma_dev_max(SLOTS), 0);
}

static void
test_slots_exhausted(void **state)
{
	int16_t dev[SLOTS], again;
	char name[16];

	(void)state;
	for (int i = 0; i < SLOTS; i++) {
		snprintf(name, sizeof(name), "max_%d", i);
		dev[i] = tu_create(name);
		assert_true(dev[i] >= 0 && dev[i] < SLOTS);
	}
	assert_int_equal(idd_dma_count_avail(), SLOTS);
	assert_int_equal(idd_dma_next_dev(SLOTS), -1);
	assert_false(idd_dma_is_valid(SLOTS));

	assert_refused(idd_dma_dev_create("max_x", tu_args), -ENOSPC, "max_x");
	assert_refused(idd_dma_dev_create("max_y", NULL), -ENOSPC, "max_y");
	assert_int_equal(idd_dma_count_avail(), SLOTS);
	assert_errno(idd_dma_get_dev_id_by_name("max_x"), -EINVAL);

	/* The table exists: its size is fixed now. */
	assert_refused(idd_dma_dev_max(SLOTS + 5), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max(SLOTS), -EINVAL, NULL);

	/* A closed slot is reused. */
	tu_close(dev[1]);
	again = tu_create("max_x");
	assert_true(again >= 0 && again < SLOTS);
	assert_refused(idd_dma_dev_create("max_z", tu_args), -ENOSPC, "max_z");
	tu_close(again);
	tu_close(dev[0]);
	tu_close(dev[2]);
	assert_int_equal(idd_dma_count_avail(), 0);
	/* Still fixed with every device closed. */
	assert_refused(idd_dma_dev_max(SLOTS + 5), -EINVAL, NULL);

	/* All slots usable again. */
	for (int i = 0; i < SLOTS; i++) {
		snprintf(name, sizeof(name), "max_%d", i);
		dev[i] = tu_create(name);
	}
	for (int i = 0; i < SLOTS; i++)
		tu_close(dev[i]);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_any_device),
		cmocka_unit_test_teardown(test_slots_exhausted, tu_teardown),
		cmocka_unit_test(test_refusals_were_logged),
	};

	tu_args = argc > 1 ? argv[1] : NULL;
	tu_log_install();
	return cmocka_run_group_tests_name("dmadev_max", tests, NULL, tu_group_teardown);
}
