/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device limits, each at the limit (works, data checked byte for byte) and
 * one past it (refused with the documented error and one log line naming
 * the device and the reason, and nothing else changes): devices per
 * process, vchans per device, ring size (both ends), scatter-gather
 * entries per operation (copy_sg and enqueue/dequeue ops).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_log.h>

#include "lim_util.h"

static const char *engine_args = "engine=inline";

static int16_t
dev_new(const char *name)
{
	int ret = idd_dma_dev_create(name, engine_args);

	assert_true(ret >= 0);
	return (int16_t)ret;
}

static void
dev_config(int16_t dev, uint16_t nb_vchans, uint16_t nb_desc, uint64_t flags)
{
	struct idd_dma_conf conf = {.nb_vchans = nb_vchans, .flags = flags};
	struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = nb_desc};

	assert_int_equal(idd_dma_configure(dev, &conf), 0);
	for (uint16_t v = 0; v < nb_vchans; v++)
		assert_int_equal(idd_dma_vchan_setup(dev, v, &vc), 0);
	assert_int_equal(idd_dma_start(dev), 0);
}

/* Collect @n completions on @vchan (the thread engine finishes them in
 * its own time; 20 s is a hang, not a timing bound). Returns how many
 * came, with the last ring_idx and whether any failed. */
static uint16_t
collect(int16_t dev, uint16_t vchan, uint16_t n, uint16_t *last, bool *err)
{
	uint16_t got = 0;

	*err = false;
	for (int i = 0; i < 200000 && got < n; i++) {
		bool e = false;
		uint16_t k = idd_dma_completed(dev, vchan, (uint16_t)(n - got), last, &e);

		got = (uint16_t)(got + k);
		*err = *err || e;
		if (k == 0)
			usleep(100);
	}
	return got;
}

/* One copy of @len bytes on @vchan, submitted and collected; checks the
 * bytes. */
static void
copy_check(int16_t dev, uint16_t vchan, size_t len)
{
	uint8_t *src = malloc(len), *dst = calloc(1, len);
	uint16_t last = 0;
	bool err = true;
	int ret;

	assert_non_null(src);
	assert_non_null(dst);
	for (size_t i = 0; i < len; i++)
		src[i] = (uint8_t)(i * 7 + vchan);
	ret = idd_dma_copy(dev, vchan, (uintptr_t)src, (uintptr_t)dst, (uint32_t)len,
			   IDD_DMA_OP_FLAG_SUBMIT);
	assert_true(ret >= 0);
	assert_int_equal(collect(dev, vchan, 1, &last, &err), 1);
	assert_false(err);
	assert_int_equal(last, ret);
	assert_memory_equal(src, dst, len);
	free(src);
	free(dst);
}

static void
devices_per_process(void **state)
{
	char name[32];
	int16_t ids[IDD_DMADEV_DEFAULT_MAX];
	int ret;

	(void)state;
	/* The table's size is fixed before the first device: 1..INT16_MAX. */
	assert_int_equal(idd_dma_dev_max(0), -EINVAL);
	assert_int_equal(idd_dma_dev_max((size_t)INT16_MAX + 1), -EINVAL);
	for (int i = 0; i < IDD_DMADEV_DEFAULT_MAX; i++) {
		snprintf(name, sizeof(name), "lim%d", i);
		ids[i] = dev_new(name);
		assert_int_equal(ids[i], i);
	}
	assert_int_equal(idd_dma_count_avail(), IDD_DMADEV_DEFAULT_MAX);
	lim_log_reset();
	ret = idd_dma_dev_create("one-too-many", engine_args);
	assert_int_equal(ret, -ENOSPC);
	assert_int_equal(lim_log_count("one-too-many create refused: all 64 device slots"), 1);
	assert_int_equal(idd_dma_count_avail(), IDD_DMADEV_DEFAULT_MAX);
	assert_int_equal(idd_dma_get_dev_id_by_name("one-too-many"), -EINVAL);
	/* Once the table exists its size is settled. */
	assert_int_equal(idd_dma_dev_max(128), -EINVAL);

	/* The last device and the first still work. */
	dev_config(ids[IDD_DMADEV_DEFAULT_MAX - 1], 1, 32, 0);
	copy_check(ids[IDD_DMADEV_DEFAULT_MAX - 1], 0, 4096);
	dev_config(ids[0], 1, 32, 0);
	copy_check(ids[0], 0, 100);

	/* A freed slot is taken by the next create. */
	assert_int_equal(idd_dma_close(ids[7]), 0);
	ret = idd_dma_dev_create("again", engine_args);
	assert_int_equal(ret, 7);
	dev_config(7, 1, 32, 0);
	copy_check(7, 0, 64);

	for (int i = 0; i < IDD_DMADEV_DEFAULT_MAX; i++) {
		idd_dma_stop(ids[i]);
		assert_int_equal(idd_dma_close(ids[i]), 0);
	}
	assert_int_equal(idd_dma_count_avail(), 0);
}

static void
vchans_per_device(void **state)
{
	struct idd_dma_info info;
	struct idd_dma_conf conf = {0};
	int16_t dev = dev_new("vchans");

	(void)state;
	assert_int_equal(idd_dma_info_get(dev, &info), 0);
	assert_int_equal(info.max_vchans, 64);
	dev_config(dev, info.max_vchans, 32, 0);
	copy_check(dev, 0, 256);
	copy_check(dev, (uint16_t)(info.max_vchans - 1), 256);
	assert_int_equal(idd_dma_stop(dev), 0);

	lim_log_reset();
	conf.nb_vchans = (uint16_t)(info.max_vchans + 1);
	assert_int_equal(idd_dma_configure(dev, &conf), -EINVAL);
	assert_int_equal(lim_log_count("(vchans): configure refused: nb_vchans 65 exceeds "
				       "max_vchans 64"), 1);
	/* The refused configure changed nothing: all 64 vchans still run. */
	assert_int_equal(idd_dma_info_get(dev, &info), 0);
	assert_int_equal(info.nb_vchans, 64);
	assert_int_equal(idd_dma_start(dev), 0);
	copy_check(dev, 63, 256);
	assert_int_equal(idd_dma_stop(dev), 0);
	assert_int_equal(idd_dma_close(dev), 0);
}

/* Fill a vchan of @nb_desc slots completely, then one more is refused;
 * collect everything, check every byte. */
static void
ring_full_cycle(int16_t dev, uint16_t nb_desc)
{
	enum { LEN = 64 };
	uint8_t *src = malloc((size_t)nb_desc * LEN), *dst = calloc(nb_desc, LEN);
	uint16_t last = 0, done = 0;
	bool err = false;

	assert_non_null(src);
	assert_non_null(dst);
	for (size_t i = 0; i < (size_t)nb_desc * LEN; i++)
		src[i] = (uint8_t)(i ^ (i >> 8));
	assert_int_equal(idd_dma_burst_capacity(dev, 0), nb_desc);
	for (unsigned int i = 0; i < nb_desc; i++)
		assert_int_equal(idd_dma_copy(dev, 0, (uintptr_t)(src + i * LEN),
					      (uintptr_t)(dst + i * LEN), LEN, 0),
				 (int)i);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 0);
	assert_int_equal(idd_dma_copy(dev, 0, (uintptr_t)src, (uintptr_t)dst, LEN, 0), -ENOSPC);
	assert_int_equal(idd_dma_submit(dev, 0), 0);
	done = collect(dev, 0, nb_desc, &last, &err);
	assert_int_equal(done, nb_desc);
	assert_false(err);
	assert_int_equal(last, nb_desc - 1);
	assert_memory_equal(src, dst, (size_t)nb_desc * LEN);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), nb_desc);
	free(src);
	free(dst);
}

static void
ring_size(void **state)
{
	static const uint16_t refused[] = {0, 16, 31, 48, 16385, 32768, 65535};
	struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM};
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_info info;
	int16_t dev = dev_new("ring");

	(void)state;
	assert_int_equal(idd_dma_info_get(dev, &info), 0);
	assert_int_equal(info.min_desc, 32);
	assert_int_equal(info.max_desc, 16384);

	/* At both ends: the whole ring, every byte. */
	dev_config(dev, 1, info.min_desc, 0);
	ring_full_cycle(dev, info.min_desc);
	assert_int_equal(idd_dma_stop(dev), 0);
	dev_config(dev, 1, info.max_desc, 0);
	ring_full_cycle(dev, info.max_desc);
	assert_int_equal(idd_dma_stop(dev), 0);

	/* Past them (and between them, not a power of two): refused, and the
	 * vchan keeps its previous setup. */
	assert_int_equal(idd_dma_configure(dev, &conf), 0);
	vc.nb_desc = 64;
	assert_int_equal(idd_dma_vchan_setup(dev, 0, &vc), 0);
	for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char want[96];

		lim_log_reset();
		vc.nb_desc = refused[i];
		assert_int_equal(idd_dma_vchan_setup(dev, 0, &vc), -EINVAL);
		if (refused[i] == 48)
			snprintf(want, sizeof(want), "vchan 0 setup refused: nb_desc 48 is not a "
				 "power of two");
		else
			snprintf(want, sizeof(want), "(ring): vchan setup refused: vchan 0: nb_desc "
				 "%u outside 32..16384", refused[i]);
		assert_int_equal(lim_log_count(want), 1);
	}
	assert_int_equal(idd_dma_start(dev), 0);
	ring_full_cycle(dev, 64);
	assert_int_equal(idd_dma_stop(dev), 0);
	assert_int_equal(idd_dma_close(dev), 0);
}

/* Lists of @n entries of 100 bytes each side, scattered differently. */
static void
sg_lists(struct idd_dma_sge *s, struct idd_dma_sge *d, uint8_t *src, uint8_t *dst, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		s[i] = (struct idd_dma_sge){.addr = (uintptr_t)(src + i * 300), .length = 100};
		d[i] = (struct idd_dma_sge){.addr = (uintptr_t)(dst + (n - 1 - i) * 200),
					    .length = 100};
	}
}

static void
sg_check(const uint8_t *src, const uint8_t *dst, unsigned int n)
{
	/* Source entry i's bytes land in destination entry i. */
	for (unsigned int i = 0; i < n; i++)
		assert_memory_equal(src + i * 300, dst + (n - 1 - i) * 200, 100);
}

static void
sges_per_copy(void **state)
{
	enum { MAXS = 16 };
	struct idd_dma_sge s[MAXS + 1], d[MAXS + 1];
	static uint8_t src[(MAXS + 1) * 300], dst[(MAXS + 1) * 200];
	struct idd_dma_info info;
	uint16_t last = 0;
	bool err = true;
	int16_t dev = dev_new("sges");
	int ret;

	(void)state;
	assert_int_equal(idd_dma_info_get(dev, &info), 0);
	assert_int_equal(info.max_sges, MAXS);
	dev_config(dev, 1, 32, 0);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13);

	sg_lists(s, d, src, dst, MAXS);
	ret = idd_dma_copy_sg(dev, 0, s, d, MAXS, MAXS, IDD_DMA_OP_FLAG_SUBMIT);
	assert_int_equal(ret, 0);
	assert_int_equal(collect(dev, 0, 1, &last, &err), 1);
	assert_false(err);
	sg_check(src, dst, MAXS);

	/* One entry past, on either side: refused at enqueue, no ring slot
	 * taken, nothing written. */
	memset(dst, 0, sizeof(dst));
	sg_lists(s, d, src, dst, MAXS + 1);
	assert_int_equal(idd_dma_copy_sg(dev, 0, s, d, MAXS + 1, MAXS, IDD_DMA_OP_FLAG_SUBMIT),
			 -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, s, d, MAXS, MAXS + 1, IDD_DMA_OP_FLAG_SUBMIT),
			 -EINVAL);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 32);
	assert_int_equal(idd_dma_completed(dev, 0, 4, &last, &err), 0);
	for (size_t i = 0; i < sizeof(dst); i++)
		assert_int_equal(dst[i], 0);

	/* The vchan goes on: the next operation gets the next ring_idx. */
	sg_lists(s, d, src, dst, MAXS);
	assert_int_equal(idd_dma_copy_sg(dev, 0, s, d, MAXS, MAXS, IDD_DMA_OP_FLAG_SUBMIT), 1);
	assert_int_equal(collect(dev, 0, 1, &last, &err), 1);
	assert_false(err);
	sg_check(src, dst, MAXS);
	assert_int_equal(idd_dma_stop(dev), 0);
	assert_int_equal(idd_dma_close(dev), 0);
}

/* An enqueue/dequeue op with @nsrc/@ndst entries (100 bytes each). */
static struct idd_dma_op *
op_new(uint8_t *src, uint8_t *dst, unsigned int nsrc, unsigned int ndst)
{
	struct idd_dma_op *op = calloc(1, sizeof(*op) + (nsrc + ndst) * sizeof(struct idd_dma_sge));
	struct idd_dma_sge s[32], d[32];
	unsigned int n = nsrc > ndst ? nsrc : ndst;

	assert_non_null(op);
	sg_lists(s, d, src, dst, n);
	op->nb_src = (uint16_t)nsrc;
	op->nb_dst = (uint16_t)ndst;
	memcpy(op->src_dst_seg, s, nsrc * sizeof(s[0]));
	memcpy(op->src_dst_seg + nsrc, d + (n - ndst), ndst * sizeof(d[0]));
	op->status = IDD_DMA_STATUS_ERROR_UNKNOWN;
	return op;
}

/* Dequeue @n ops from vchan 0 (20 s is a hang). */
static uint16_t
dequeue(int16_t dev, struct idd_dma_op **back, uint16_t n)
{
	uint16_t got = 0;

	for (int i = 0; i < 200000 && got < n; i++) {
		uint16_t k = idd_dma_dequeue_ops(dev, 0, back + got, (uint16_t)(n - got));

		got = (uint16_t)(got + k);
		if (k == 0)
			usleep(100);
	}
	return got;
}

static void
sges_per_op(void **state)
{
	enum { MAXS = 16 };
	static uint8_t src[(MAXS + 1) * 300], dst[(MAXS + 1) * 200];
	struct idd_dma_op *ops[3], *back[3];
	int16_t dev = dev_new("sgops");
	uint16_t n = 0;

	(void)state;
	dev_config(dev, 1, 32, IDD_DMA_CFG_FLAG_ENQ_DEQ);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 29 + 1);
	ops[0] = op_new(src, dst, MAXS, MAXS);        /* at the limit */
	ops[1] = op_new(src, dst, MAXS + 1, MAXS + 1); /* past it */
	ops[2] = op_new(src, dst, MAXS, MAXS);        /* the vchan goes on */
	assert_int_equal(idd_dma_enqueue_ops(dev, 0, ops, 1), 1);
	n = dequeue(dev, back, 1);
	assert_int_equal(n, 1);
	assert_ptr_equal(back[0], ops[0]);
	assert_int_equal(ops[0]->status, IDD_DMA_STATUS_SUCCESSFUL);
	sg_check(src, dst, MAXS);

	memset(dst, 0, sizeof(dst));
	assert_int_equal(idd_dma_enqueue_ops(dev, 0, ops + 1, 2), 2);
	n = dequeue(dev, back, 2);
	assert_int_equal(n, 2);
	assert_ptr_equal(back[0], ops[1]);
	assert_int_equal(ops[1]->status, IDD_DMA_STATUS_INVALID_LENGTH);
	assert_ptr_equal(back[1], ops[2]);
	assert_int_equal(ops[2]->status, IDD_DMA_STATUS_SUCCESSFUL);
	sg_check(src, dst, MAXS);
	/* The refused op moved nothing: entry 16 of its lists, which only it
	 * names, is untouched. */
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(dst[(size_t)MAXS * 200 + i], 0);
	for (int i = 0; i < 3; i++)
		free(ops[i]);
	assert_int_equal(idd_dma_stop(dev), 0);
	assert_int_equal(idd_dma_close(dev), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(devices_per_process),
		cmocka_unit_test(vchans_per_device),
		cmocka_unit_test(ring_size),
		cmocka_unit_test(sges_per_copy),
		cmocka_unit_test(sges_per_op),
	};

	if (argc > 1)
		engine_args = argv[1];
	lim_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
