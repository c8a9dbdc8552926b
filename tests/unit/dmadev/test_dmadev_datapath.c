/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance suite, data path: the documented refusals of the inline
 * enqueue functions (stopped device, vchan out of range, full ring), the
 * ring_idx and last_idx rules, has_error, the fence rule, statuses of bad
 * operations, stop with work in flight, stats, and a few bytes of copy,
 * copy_sg and fill checked byte for byte. argv[1] is the device argument
 * string (engine=inline or engine=thread).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmadev_test.h"

#define OK IDD_DMA_STATUS_SUCCESSFUL

static uint8_t src[4096], dst[4096];

static void
fill_src(void)
{
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memset(dst, 0, sizeof(dst));
}

/* Every byte of dst outside [off, off+len) is still 0. */
static void
assert_dst_zero_outside(size_t off, size_t len)
{
	for (size_t i = 0; i < sizeof(dst); i++)
		if ((i < off || i >= off + len) && dst[i] != 0)
			fail_msg("dst[%zu] = 0x%02x written outside [%zu, %zu)", i, dst[i], off,
				 off + len);
}

static void
collect_ok(int16_t dev, uint16_t vchan, uint16_t n, uint16_t expect_last)
{
	enum idd_dma_status_code st[256];
	uint16_t last = 0xbeef, got;

	assert_true(n <= 256);
	got = tu_wait_status(dev, vchan, n, &last, st);
	assert_int_equal(got, n);
	for (uint16_t i = 0; i < n; i++)
		if (st[i] != OK)
			fail_msg("operation %u of %u: status %d", i, n, (int)st[i]);
	assert_int_equal(last, expect_last);
}

/* ---- refusals ---- */

static void
test_enqueue_on_stopped_device(void **state)
{
	struct idd_dma_sge s = { TU_IOVA(src), 8 }, d = { TU_IOVA(dst), 8 };
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_create("dp_stopped");
	tu_configure(dev, 2);
	tu_setup_all(dev, 2, tu_nb_desc(dev));

	/* Configured and set up, never started. */
	for (uint16_t v = 0; v < 2; v++) {
		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8,
					  IDD_DMA_OP_FLAG_SUBMIT), -EINVAL);
		assert_errno(idd_dma_fill(dev, v, 1, TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_copy_sg(dev, v, &s, &d, 1, 1, 0), -EINVAL);
		assert_errno(idd_dma_submit(dev, v), -EINVAL);
	}

	/* Started: accepted. Stopped again: refused. */
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	collect_ok(dev, 0, 1, 0);
	assert_errno(idd_dma_stop(dev), 0);
	for (uint16_t v = 0; v < 2; v++) {
		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_fill(dev, v, 1, TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_copy_sg(dev, v, &s, &d, 1, 1, 0), -EINVAL);
		assert_errno(idd_dma_submit(dev, v), -EINVAL);
	}
	/* Nothing was done by the refused calls. */
	assert_memory_equal(dst, src, 8);
	assert_dst_zero_outside(0, 8);
	tu_close(dev);
}

static void
test_vchan_out_of_range(void **state)
{
	static const uint16_t bad[] = { 2, 3, 64, 1000, UINT16_MAX - 1, UINT16_MAX };
	struct idd_dma_sge s = { TU_IOVA(src), 8 }, d = { TU_IOVA(dst), 8 };
	enum idd_dma_status_code st[4];
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_range", 2, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t v = bad[i], last = 0;
		bool err = true;

		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8,
					  IDD_DMA_OP_FLAG_SUBMIT), -EINVAL);
		assert_errno(idd_dma_fill(dev, v, 1, TU_IOVA(dst), 8, 0), -EINVAL);
		assert_errno(idd_dma_copy_sg(dev, v, &s, &d, 1, 1, 0), -EINVAL);
		assert_errno(idd_dma_submit(dev, v), -EINVAL);
		assert_int_equal(idd_dma_completed(dev, v, 4, &last, &err), 0);
		assert_int_equal(idd_dma_completed_status(dev, v, 4, &last, st), 0);
		assert_int_equal(idd_dma_burst_capacity(dev, v), 0);
	}
	assert_dst_zero_outside(0, 0);
	/* The valid vchans are untouched by all that. */
	for (uint16_t v = 0; v < 2; v++) {
		assert_errno(idd_dma_copy(dev, v, TU_IOVA(src), TU_IOVA(dst), 8,
					  IDD_DMA_OP_FLAG_SUBMIT), 0);
		collect_ok(dev, v, 1, 0);
	}
	tu_close(dev);
}

static void
test_copy_sg_refusals(void **state)
{
	struct idd_dma_sge s[64], d[64];
	struct idd_dma_info info;
	int16_t dev;
	int ret;

	(void)state;
	fill_src();
	dev = tu_ready("dp_sgref", 1, 0);
	info = tu_info(dev);
	assert_true(info.max_sges >= 1);
	assert_true(info.max_sges < 64);
	for (int i = 0; i < 64; i++) {
		s[i] = (struct idd_dma_sge){ TU_IOVA(src + i), 1 };
		d[i] = (struct idd_dma_sge){ TU_IOVA(dst + i), 1 };
	}
	assert_errno(idd_dma_copy_sg(dev, 0, NULL, d, 1, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, NULL, 1, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, 0, 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, 1, 0, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, (uint16_t)(info.max_sges + 1), 1, 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, 1, (uint16_t)(info.max_sges + 1), 0), -EINVAL);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, UINT16_MAX, UINT16_MAX, 0), -EINVAL);
	assert_dst_zero_outside(0, 0);

	/* max_sges entries on each side are accepted; the refusals above did
	 * not take a ring_idx. */
	ret = idd_dma_copy_sg(dev, 0, s, d, info.max_sges, info.max_sges, IDD_DMA_OP_FLAG_SUBMIT);
	assert_errno(ret, 0);
	collect_ok(dev, 0, 1, 0);
	assert_memory_equal(dst, src, info.max_sges);
	assert_dst_zero_outside(0, info.max_sges);
	tu_close(dev);
}

static void
test_full_ring(void **state)
{
	struct idd_dma_sge s = { TU_IOVA(src), 4 }, d = { TU_IOVA(dst), 4 };
	struct idd_dma_info info;
	uint16_t cap, nb_desc;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_create("dp_full");
	info = tu_info(dev);
	nb_desc = info.min_desc;
	tu_configure(dev, 1);
	tu_setup_all(dev, 1, nb_desc);
	assert_errno(idd_dma_start(dev), 0);

	cap = idd_dma_burst_capacity(dev, 0);
	if (cap < 1 || cap > nb_desc)
		fail_msg("burst_capacity %u on an empty ring of %u", cap, nb_desc);

	/* Without submitting: the ring fills up. */
	for (uint16_t i = 0; i < cap; i++) {
		assert_int_equal(idd_dma_burst_capacity(dev, 0), cap - i);
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + i), TU_IOVA(dst + i), 1, 0), i);
	}
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 1, 0), -ENOSPC);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 1, IDD_DMA_OP_FLAG_SUBMIT),
		     -ENOSPC);
	assert_errno(idd_dma_fill(dev, 0, 0, TU_IOVA(dst), 1, 0), -ENOSPC);
	assert_errno(idd_dma_copy_sg(dev, 0, &s, &d, 1, 1, 0), -ENOSPC);
	assert_errno(idd_dma_submit(dev, 0), 0);
	collect_ok(dev, 0, cap, (uint16_t)(cap - 1));
	assert_memory_equal(dst, src, cap);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap);

	/* Submitted but not collected still occupies the ring. */
	for (uint16_t i = 0; i < cap; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 1,
					  IDD_DMA_OP_FLAG_SUBMIT), cap + i);
	assert_int_equal(tu_wait_idle(dev, 0), IDD_DMA_VCHAN_IDLE);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 1, IDD_DMA_OP_FLAG_SUBMIT),
		     -ENOSPC);
	/* The refused enqueues took no ring_idx. */
	collect_ok(dev, 0, cap, (uint16_t)(2 * cap - 1));
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 1, IDD_DMA_OP_FLAG_SUBMIT),
		     2 * cap);
	collect_ok(dev, 0, 1, (uint16_t)(2 * cap));
	tu_close(dev);
}

/* burst_capacity() is a promise: that many operations fit, whatever kind.
 * Checked with the largest scatter-gather lists the device allows. */
static void
test_burst_capacity_holds_for_copy_sg(void **state)
{
	struct idd_dma_sge s[64], d[64];
	struct idd_dma_info info;
	uint16_t cap, nb_desc, last;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_create("dp_sgcap");
	info = tu_info(dev);
	nb_desc = info.min_desc;
	tu_configure(dev, 1);
	tu_setup_all(dev, 1, nb_desc);
	assert_errno(idd_dma_start(dev), 0);
	assert_true(info.max_sges >= 1 && info.max_sges <= 64);
	for (uint16_t i = 0; i < info.max_sges; i++) {
		s[i] = (struct idd_dma_sge){ TU_IOVA(src + i), 1 };
		d[i] = (struct idd_dma_sge){ TU_IOVA(dst + i), 1 };
	}
	cap = idd_dma_burst_capacity(dev, 0);
	for (uint16_t i = 0; i < cap; i++) {
		int ret = idd_dma_copy_sg(dev, 0, s, d, info.max_sges, info.max_sges, 0);

		if (ret != i)
			fail_msg("copy_sg %u of %u (burst_capacity said %u, %u entries per "
				 "list): %d %s", i, cap, cap, info.max_sges, ret, tu_errname(ret));
	}
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, info.max_sges, info.max_sges, 0), -ENOSPC);
	assert_errno(idd_dma_submit(dev, 0), 0);
	assert_int_equal(tu_wait_completed(dev, 0, cap, &last, &(bool){ false }), cap);
	assert_int_equal(last, cap - 1);
	assert_memory_equal(dst, src, info.max_sges);
	tu_close(dev);
}

/* ---- ring_idx and last_idx ---- */

static void
test_ring_idx_rules(void **state)
{
	struct idd_dma_sge s = { TU_IOVA(src + 32), 8 }, d = { TU_IOVA(dst + 32), 8 };
	enum idd_dma_status_code st[4];
	uint16_t last;
	bool err;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_idx", 2, 0);

	/* Before any operation: nothing, last_idx 65535, no error. */
	last = 0;
	err = true;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_int_equal(last, UINT16_MAX);
	assert_false(err);
	last = 0;
	assert_int_equal(idd_dma_completed_status(dev, 0, 4, &last, st), 0);
	assert_int_equal(last, UINT16_MAX);
	/* NULL out-pointers are allowed. */
	assert_int_equal(idd_dma_completed(dev, 0, 8, NULL, NULL), 0);
	assert_int_equal(idd_dma_completed_status(dev, 0, 4, NULL, st), 0);

	/* One counter per vchan, shared by every kind of operation. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), 0);
	assert_errno(idd_dma_fill(dev, 0, 0x1122334455667788ull, TU_IOVA(dst + 16), 8, 0), 1);
	assert_errno(idd_dma_copy_sg(dev, 0, &s, &d, 1, 1, 0), 2);
	assert_errno(idd_dma_copy(dev, 1, TU_IOVA(src + 64), TU_IOVA(dst + 64), 8,
				  IDD_DMA_OP_FLAG_SUBMIT), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + 48), TU_IOVA(dst + 48), 8,
				  IDD_DMA_OP_FLAG_SUBMIT), 3);
	collect_ok(dev, 0, 4, 3);
	collect_ok(dev, 1, 1, 0);

	/* Nothing new: 0 reported, last_idx stays that of the last reported. */
	last = 0;
	err = true;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_int_equal(last, 3);
	assert_false(err);
	assert_int_equal(idd_dma_completed_status(dev, 1, 4, &last, st), 0);
	assert_int_equal(last, 0);

	/* stop + start: the count restarts at 0 on every vchan. */
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_start(dev), 0);
	last = 0;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_int_equal(last, UINT16_MAX);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	assert_errno(idd_dma_copy(dev, 1, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     1);
	collect_ok(dev, 0, 2, 1);
	collect_ok(dev, 1, 1, 0);
	tu_close(dev);
}

/* ring_idx wraps from 65535 to 0 and completions follow it. */
static void
test_ring_idx_wrap(void **state)
{
	const uint32_t total = 65536 + 3000;
	const uint16_t burst = 256;
	uint32_t done = 0;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_wrap", 1, 1024);
	while (done < total) {
		uint16_t n = (uint16_t)(total - done < burst ? total - done : burst);
		uint16_t last;
		bool err;

		for (uint16_t i = 0; i < n; i++) {
			int ret = idd_dma_copy(dev, 0, TU_IOVA(src + (i % 64)),
					       TU_IOVA(dst + (i % 64)), 8, 0);

			if (ret != (int)((done + i) & 0xffff))
				fail_msg("operation %u: ring_idx %d, expected %u", done + i, ret,
					 (done + i) & 0xffff);
		}
		assert_errno(idd_dma_submit(dev, 0), 0);
		assert_int_equal(tu_wait_completed(dev, 0, n, &last, &err), n);
		assert_false(err);
		assert_int_equal(last, (uint16_t)(done + n - 1));
		done += n;
	}
	tu_close(dev);
}

/* ---- data ---- */

static void
test_copy_bytes(void **state)
{
	static const uint32_t lens[] = { 1, 2, 3, 7, 8, 9, 63, 64, 65, 1000 };
	int16_t dev;
	size_t off = 0;

	(void)state;
	fill_src();
	dev = tu_ready("dp_copy", 1, 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + off), TU_IOVA(dst + off + 1),
					  lens[i], IDD_DMA_OP_FLAG_SUBMIT), (int)i);
		collect_ok(dev, 0, 1, (uint16_t)i);
		assert_memory_equal(dst + off + 1, src + off, lens[i]);
		assert_dst_zero_outside(off + 1, lens[i]);
		memset(dst, 0, sizeof(dst));
		off += 3;
	}
	tu_close(dev);
}

static void
test_fill_bytes(void **state)
{
	const uint64_t pattern = 0x0123456789abcdefull;
	static const uint32_t lens[] = { 1, 5, 8, 13, 16, 100 };
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_fill", 1, 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(dst, 0, sizeof(dst));
		assert_errno(idd_dma_fill(dev, 0, pattern, TU_IOVA(dst + 3), lens[i],
					  IDD_DMA_OP_FLAG_SUBMIT), (int)i);
		collect_ok(dev, 0, 1, (uint16_t)i);
		/* Byte k is byte k % 8 of the pattern, least significant first. */
		for (uint32_t k = 0; k < lens[i]; k++) {
			uint8_t want = (uint8_t)(pattern >> (8 * (k % 8)));

			if (dst[3 + k] != want)
				fail_msg("fill of %u: byte %u is 0x%02x, expected 0x%02x", lens[i],
					 k, dst[3 + k], want);
		}
		assert_dst_zero_outside(3, lens[i]);
	}
	tu_close(dev);
}

static void
test_copy_sg_bytes(void **state)
{
	struct idd_dma_sge s[3], d[2];
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_sg", 1, 0);
	/* 5 + 10 + 17 source bytes into 20 + 12 destination bytes. */
	s[0] = (struct idd_dma_sge){ TU_IOVA(src + 100), 5 };
	s[1] = (struct idd_dma_sge){ TU_IOVA(src + 7), 10 };
	s[2] = (struct idd_dma_sge){ TU_IOVA(src + 500), 17 };
	d[0] = (struct idd_dma_sge){ TU_IOVA(dst + 1000), 20 };
	d[1] = (struct idd_dma_sge){ TU_IOVA(dst + 10), 12 };
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, 3, 2, 0), 0);
	/* The lists may be reused as soon as the call returns. */
	memset(s, 0, sizeof(s));
	memset(d, 0xff, sizeof(d));
	assert_errno(idd_dma_submit(dev, 0), 0);
	collect_ok(dev, 0, 1, 0);

	uint8_t want[32];

	memcpy(want, src + 100, 5);
	memcpy(want + 5, src + 7, 10);
	memcpy(want + 15, src + 500, 17);
	assert_memory_equal(dst + 1000, want, 20);
	assert_memory_equal(dst + 10, want + 20, 12);
	for (size_t i = 0; i < sizeof(dst); i++)
		if (!((i >= 1000 && i < 1020) || (i >= 10 && i < 22)) && dst[i] != 0)
			fail_msg("dst[%zu] written outside the destination segments", i);
	tu_close(dev);
}

/* ---- statuses ---- */

static void
test_bad_length_statuses(void **state)
{
	enum idd_dma_status_code st[8];
	struct idd_dma_sge s[2], d[1];
	uint16_t last;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_len", 1, 0);
	s[0] = (struct idd_dma_sge){ TU_IOVA(src), 4 };
	s[1] = (struct idd_dma_sge){ TU_IOVA(src + 4), 4 };
	d[0] = (struct idd_dma_sge){ TU_IOVA(dst), 7 };
	/* Length 0 and unequal scatter-gather totals are accepted, and
	 * complete with INVALID_LENGTH; the vchan carries on. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 0, 0), 0);
	assert_errno(idd_dma_fill(dev, 0, 7, TU_IOVA(dst), 0, 0), 1);
	assert_errno(idd_dma_copy_sg(dev, 0, s, d, 2, 1, 0), 2);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 100), 4,
				  IDD_DMA_OP_FLAG_SUBMIT), 3);
	assert_int_equal(tu_wait_status(dev, 0, 4, &last, st), 4);
	assert_int_equal(st[0], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[1], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[2], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[3], OK);
	assert_int_equal(last, 3);
	assert_memory_equal(dst + 100, src, 4);
	assert_dst_zero_outside(100, 4);
	tu_close(dev);
}

static void
test_has_error(void **state)
{
	enum idd_dma_status_code st[8];
	struct idd_dma_stats stats;
	uint16_t last;
	bool err;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_err", 1, 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 8), 0, 0), 1);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + 16), TU_IOVA(dst + 16), 8,
				  IDD_DMA_OP_FLAG_SUBMIT), 2);

	/* completed() reports the success and stops at the failure... */
	assert_int_equal(tu_wait_completed(dev, 0, 8, &last, &err), 1);
	assert_true(err);
	assert_int_equal(last, 0);
	/* ...which it does not consume: asked again, it stops there again. */
	last = 0xbeef;
	err = false;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_true(err);
	assert_int_equal(last, 0);
	/* completed_status() collects the failure and what follows. */
	assert_int_equal(tu_wait_status(dev, 0, 2, &last, st), 2);
	assert_int_equal(st[0], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[1], OK);
	assert_int_equal(last, 2);
	last = 0xbeef;
	err = true;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_false(err);
	assert_int_equal(last, 2);
	assert_memory_equal(dst, src, 8);
	assert_memory_equal(dst + 16, src + 16, 8);

	assert_errno(idd_dma_stats_get(dev, 0, &stats), 0);
	assert_int_equal(stats.submitted, 3);
	assert_int_equal(stats.completed, 3);
	assert_int_equal(stats.errors, 1);
	tu_close(dev);
}

static void
test_fence(void **state)
{
	enum idd_dma_status_code st[8];
	uint16_t last;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_fence", 1, 0);
	/* A failure, then a fenced op: it and the rest of the burst are not
	 * attempted. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 0, 0), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 8), 8,
				  IDD_DMA_OP_FLAG_FENCE), 1);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 16), 8, 0), 2);
	assert_errno(idd_dma_submit(dev, 0), 0);
	assert_int_equal(tu_wait_status(dev, 0, 3, &last, st), 3);
	assert_int_equal(st[0], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[1], IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(st[2], IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(last, 2);
	assert_dst_zero_outside(0, 0);

	/* The next burst starts afresh. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 8), 8,
				  IDD_DMA_OP_FLAG_FENCE | IDD_DMA_OP_FLAG_SUBMIT), 3);
	collect_ok(dev, 0, 1, 3);
	assert_memory_equal(dst + 8, src, 8);

	/* A fence without an earlier failure changes nothing. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 32), 8, 0), 4);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(dst + 32), TU_IOVA(dst + 40), 8,
				  IDD_DMA_OP_FLAG_FENCE | IDD_DMA_OP_FLAG_SUBMIT), 5);
	collect_ok(dev, 0, 2, 5);
	/* The fenced copy read what the earlier one wrote. */
	assert_memory_equal(dst + 40, src, 8);
	tu_close(dev);
}

/* ---- stop with work in flight ---- */

static void
test_stop_completes_everything(void **state)
{
	enum idd_dma_status_code st[8];
	struct idd_dma_stats stats;
	uint16_t last;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_stop", 1, 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + 8), TU_IOVA(dst + 8), 8,
				  IDD_DMA_OP_FLAG_SUBMIT), 1);
	/* Enqueued, never submitted. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + 16), TU_IOVA(dst + 16), 8, 0), 2);
	assert_errno(idd_dma_stop(dev), 0);

	/* Collectable after stop: the submitted ones finished, the other
	 * aborted, each reported once. */
	assert_int_equal(tu_wait_status(dev, 0, 3, &last, st), 3);
	assert_int_equal(st[0], OK);
	assert_int_equal(st[1], OK);
	assert_int_equal(st[2], IDD_DMA_STATUS_USER_ABORT);
	assert_int_equal(last, 2);
	assert_memory_equal(dst, src, 16);
	assert_dst_zero_outside(0, 16);
	assert_int_equal(idd_dma_completed_status(dev, 0, 8, &last, st), 0);
	/* The aborted one counts as submitted too: completed never exceeds
	 * submitted. */
	assert_errno(idd_dma_stats_get(dev, 0, &stats), 0);
	assert_int_equal(stats.submitted, 3);
	assert_int_equal(stats.completed, 3);
	assert_int_equal(stats.errors, 1);

	/* Restart: ring_idx from 0 again. */
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst + 100), 8,
				  IDD_DMA_OP_FLAG_SUBMIT), 0);
	collect_ok(dev, 0, 1, 0);
	tu_close(dev);
}

/* Stop right after submitting a ring of large copies: each one is reported
 * once, the submitted ones done, the rest aborted and not performed. */
static void
test_stop_with_large_work_in_flight(void **state)
{
	const uint32_t len = 64 * 1024;
	enum idd_dma_status_code st[64];
	uint8_t *big_src, *big_dst;
	uint16_t n, half, last;
	int16_t dev;

	(void)state;
	dev = tu_ready("dp_stopbig", 1, 64);
	n = idd_dma_burst_capacity(dev, 0);
	assert_true(n >= 2);
	if (n > 64)
		n = 64;
	half = n / 2;
	big_src = malloc((size_t)n * len);
	big_dst = calloc(n, len);
	assert_non_null(big_src);
	assert_non_null(big_dst);
	for (size_t i = 0; i < (size_t)n * len; i++)
		big_src[i] = (uint8_t)(i * 13 + i / 4093);
	for (uint16_t i = 0; i < n; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(big_src + (size_t)i * len),
					  TU_IOVA(big_dst + (size_t)i * len), len,
					  i == half - 1 ? IDD_DMA_OP_FLAG_SUBMIT : 0), i);
	assert_errno(idd_dma_stop(dev), 0);
	assert_int_equal(tu_wait_status(dev, 0, n, &last, st), n);
	assert_int_equal(last, n - 1);
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = big_dst + (size_t)i * len;

		if (i < half) {
			assert_int_equal(st[i], OK);
			assert_memory_equal(d, big_src + (size_t)i * len, len);
		} else {
			assert_int_equal(st[i], IDD_DMA_STATUS_USER_ABORT);
			for (uint32_t k = 0; k < len; k++)
				if (d[k] != 0)
					fail_msg("aborted op %u wrote byte %u", i, k);
		}
	}
	assert_int_equal(idd_dma_completed_status(dev, 0, 64, &last, st), 0);
	tu_close(dev);
	free(big_src);
	free(big_dst);
}

static void
test_start_discards_uncollected(void **state)
{
	uint16_t last;
	bool err;
	int16_t dev;

	(void)state;
	fill_src();
	uint16_t cap;

	dev = tu_ready("dp_disc", 1, 0);
	cap = idd_dma_burst_capacity(dev, 0);
	for (int i = 0; i < 3; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8,
					  IDD_DMA_OP_FLAG_SUBMIT), i);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), 3);
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_start(dev), 0);
	/* Nothing left to collect, and the ring is whole again. */
	last = 0;
	err = true;
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_int_equal(last, UINT16_MAX);
	assert_false(err);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	collect_ok(dev, 0, 1, 0);
	tu_close(dev);
}

/* ---- stats and vchan status ---- */

static void
test_stats_counts(void **state)
{
	enum idd_dma_status_code st[8];
	struct idd_dma_stats s;
	uint16_t last;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_stats", 2, 0);
	for (int i = 0; i < 4; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, 0), i);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 0, 0), 4);
	/* Enqueued, not submitted: not counted. */
	assert_errno(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, 0);
	assert_errno(idd_dma_submit(dev, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_errno(idd_dma_copy(dev, 1, TU_IOVA(src), TU_IOVA(dst + 64), 8, 0), i);
	assert_errno(idd_dma_submit(dev, 1), 0);

	/* Submitted, not yet reported. */
	assert_errno(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, 5);
	assert_int_equal(s.completed, 0);
	assert_int_equal(s.errors, 0);

	assert_int_equal(tu_wait_status(dev, 0, 5, &last, st), 5);
	assert_int_equal(tu_wait_status(dev, 1, 3, &last, st), 3);
	assert_errno(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, 5);
	assert_int_equal(s.completed, 5);
	assert_int_equal(s.errors, 1);
	assert_errno(idd_dma_stats_get(dev, 1, &s), 0);
	assert_int_equal(s.submitted, 3);
	assert_int_equal(s.completed, 3);
	assert_int_equal(s.errors, 0);
	assert_errno(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, 8);
	assert_int_equal(s.completed, 8);
	assert_int_equal(s.errors, 1);

	/* Reset one vchan, then all. */
	assert_errno(idd_dma_stats_reset(dev, 0), 0);
	assert_errno(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, 0);
	assert_int_equal(s.completed, 0);
	assert_int_equal(s.errors, 0);
	assert_errno(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, 3);
	assert_int_equal(s.completed, 3);
	assert_errno(idd_dma_stats_reset(dev, IDD_DMA_ALL_VCHAN), 0);
	assert_errno(idd_dma_stats_get(dev, 1, &s), 0);
	assert_int_equal(s.submitted, 0);
	assert_int_equal(s.completed, 0);
	assert_errno(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, 0);

	/* Counting goes on after a reset. */
	assert_errno(idd_dma_copy(dev, 1, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     3);
	collect_ok(dev, 1, 1, 3);
	assert_errno(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, 1);
	assert_int_equal(s.completed, 1);
	tu_close(dev);
}

static void
test_vchan_status_idle_after_work(void **state)
{
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_vst", 1, 0);
	for (int i = 0; i < 16; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 256, 0), i);
	assert_errno(idd_dma_submit(dev, 0), 0);
	/* Everything submitted gets processed: the vchan goes idle (before
	 * anyone collects), and never reports a halt. */
	assert_int_equal(tu_wait_idle(dev, 0), IDD_DMA_VCHAN_IDLE);
	collect_ok(dev, 0, 16, 15);
	assert_int_equal(tu_wait_idle(dev, 0), IDD_DMA_VCHAN_IDLE);
	tu_close(dev);
}

/* ---- operation mode ---- */

static void
test_enq_deq_ops(void **state)
{
	struct idd_dma_conf conf = { .nb_vchans = 1, .flags = IDD_DMA_CFG_FLAG_ENQ_DEQ };
	struct idd_dma_op *ops[4], *out[8];
	struct idd_dma_vchan_conf vconf;
	unsigned int got = 0;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_create("dp_ops");
	if (!(tu_info(dev).dev_capa & IDD_DMA_CAPA_OPS_ENQ_DEQ)) {
		assert_refused(idd_dma_configure(dev, &conf), -EINVAL, "dp_ops");
		tu_close(dev);
		skip();
	}
	assert_errno(idd_dma_configure(dev, &conf), 0);
	vconf = tu_vchan_conf(tu_nb_desc(dev));
	assert_errno(idd_dma_vchan_setup(dev, 0, &vconf), 0);
	assert_errno(idd_dma_start(dev), 0);
	for (int i = 0; i < 4; i++) {
		ops[i] = calloc(1, sizeof(struct idd_dma_op) + 2 * sizeof(struct idd_dma_sge));
		assert_non_null(ops[i]);
		ops[i]->nb_src = 1;
		ops[i]->nb_dst = 1;
		ops[i]->user_meta = 100 + (uint64_t)i;
		ops[i]->status = (enum idd_dma_status_code)0x55;
		ops[i]->src_dst_seg[0] = (struct idd_dma_sge){ TU_IOVA(src + 16 * i), 16 };
		ops[i]->src_dst_seg[1] = (struct idd_dma_sge){ TU_IOVA(dst + 16 * i), 16 };
	}
	assert_int_equal(idd_dma_enqueue_ops(dev, 0, ops, 4), 4);
	for (int tries = 0; got < 4 && tries < 2000000; tries++)
		got += idd_dma_dequeue_ops(dev, 0, out + got, (uint16_t)(8 - got));
	assert_int_equal(got, 4);
	for (int i = 0; i < 4; i++) {
		assert_ptr_equal(out[i], ops[i]);
		assert_int_equal(out[i]->status, OK);
		assert_int_equal(out[i]->user_meta, 100 + (uint64_t)i);
	}
	assert_memory_equal(dst, src, 64);
	assert_dst_zero_outside(0, 64);
	assert_int_equal(idd_dma_dequeue_ops(dev, 0, out, 8), 0);
	/* vchan out of range: nothing accepted. */
	assert_int_equal(idd_dma_enqueue_ops(dev, 1, ops, 4), 0);
	assert_int_equal(idd_dma_dequeue_ops(dev, 1, out, 8), 0);
	tu_close(dev);
	for (int i = 0; i < 4; i++)
		free(ops[i]);
}

/* Completions come out in ring order, at most nb_cpls per call. */
static void
test_partial_collection(void **state)
{
	enum idd_dma_status_code st[4];
	uint16_t last, cap;
	bool err;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_part", 1, 0);
	cap = idd_dma_burst_capacity(dev, 0);
	for (int i = 0; i < 7; i++)
		assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src + 8 * i), TU_IOVA(dst + 8 * i), 8,
					  i == 6 ? IDD_DMA_OP_FLAG_SUBMIT : IDD_DMA_OP_FLAG_LLC), i);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap - 7);
	assert_int_equal(tu_wait_idle(dev, 0), IDD_DMA_VCHAN_IDLE);
	assert_int_equal(idd_dma_completed(dev, 0, 2, &last, &err), 2);
	assert_int_equal(last, 1);
	assert_false(err);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap - 5);
	assert_int_equal(idd_dma_completed_status(dev, 0, 3, &last, st), 3);
	assert_int_equal(last, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(st[i], OK);
	assert_int_equal(idd_dma_completed(dev, 0, 1, &last, &err), 1);
	assert_int_equal(last, 5);
	assert_int_equal(idd_dma_completed(dev, 0, 100, &last, &err), 1);
	assert_int_equal(last, 6);
	assert_int_equal(idd_dma_completed(dev, 0, 100, &last, &err), 0);
	assert_int_equal(last, 6);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), cap);
	assert_memory_equal(dst, src, 56);
	assert_dst_zero_outside(0, 56);
	tu_close(dev);
}

/* After a reconfiguration the data path follows the new vchan count. */
static void
test_reconfigure(void **state)
{
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_ready("dp_reconf", 3, 0);
	assert_errno(idd_dma_copy(dev, 2, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	collect_ok(dev, 2, 1, 0);
	assert_errno(idd_dma_stop(dev), 0);
	tu_configure(dev, 1);
	tu_setup_all(dev, 1, tu_info(dev).min_desc);
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_copy(dev, 1, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     -EINVAL);
	assert_errno(idd_dma_copy(dev, 2, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     -EINVAL);
	assert_int_equal(idd_dma_burst_capacity(dev, 2), 0);
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(src), TU_IOVA(dst), 8, IDD_DMA_OP_FLAG_SUBMIT),
		     0);
	collect_ok(dev, 0, 1, 0);
	tu_close(dev);
}

/* Silent mode: nothing to collect, the ring never stays full, and stop
 * finishes everything submitted. */
static void
test_silent_mode(void **state)
{
	struct idd_dma_conf conf = { .nb_vchans = 1, .flags = IDD_DMA_CFG_FLAG_SILENT };
	struct idd_dma_vchan_conf vconf;
	struct idd_dma_info info;
	static uint8_t big_dst[4096];
	unsigned int done = 0, full = 0;
	int16_t dev;

	(void)state;
	fill_src();
	dev = tu_create("dp_silent");
	info = tu_info(dev);
	if (!(info.dev_capa & IDD_DMA_CAPA_SILENT)) {
		tu_close(dev);
		skip();
	}
	assert_errno(idd_dma_configure(dev, &conf), 0);
	vconf = tu_vchan_conf(info.min_desc);
	assert_errno(idd_dma_vchan_setup(dev, 0, &vconf), 0);
	assert_errno(idd_dma_start(dev), 0);
	memset(big_dst, 0, sizeof(big_dst));
	/* Eight rings' worth, each op copying one distinct byte. */
	while (done < 8u * info.min_desc) {
		unsigned int i = done % sizeof(big_dst);
		int ret = idd_dma_copy(dev, 0, TU_IOVA(src + i), TU_IOVA(big_dst + i), 1,
				       IDD_DMA_OP_FLAG_SUBMIT);

		if (ret == -ENOSPC) {
			/* Only while the engine catches up. */
			assert_true(++full < 100000000);
			continue;
		}
		assert_errno(ret, (int)(done & 0xffff));
		done++;
	}
	assert_errno(idd_dma_stop(dev), 0);
	assert_memory_equal(big_dst, src, done < sizeof(big_dst) ? done : sizeof(big_dst));
	assert_errno(idd_dma_close(dev), 0);
}

/* Different vchans may be driven by different threads at once. */
#define PAR_VCHANS 4
#define PAR_OPS 20000

struct par_arg {
	int16_t dev;
	uint16_t vchan;
	uint8_t *s, *d;
	unsigned int bad;
};

static void *
par_worker(void *p)
{
	struct par_arg *a = p;
	enum idd_dma_status_code st[32];
	unsigned int sent = 0, got = 0;

	while (got < PAR_OPS) {
		uint16_t last;

		while (sent < PAR_OPS && sent - got < 32) {
			unsigned int slot = sent % 32;
			int ret;

			a->s[slot * 8] = (uint8_t)sent;
			ret = idd_dma_copy(a->dev, a->vchan, TU_IOVA(a->s + slot * 8),
					   TU_IOVA(a->d + slot * 8), 8, IDD_DMA_OP_FLAG_SUBMIT);
			if (ret == -ENOSPC)
				break;
			if (ret != (int)(sent & 0xffff)) {
				a->bad++;
				return NULL;
			}
			sent++;
		}
		uint16_t n = idd_dma_completed_status(a->dev, a->vchan, 32, &last, st);

		for (uint16_t i = 0; i < n; i++) {
			unsigned int slot = (got + i) % 32;

			if (st[i] != OK || a->d[slot * 8] != (uint8_t)(got + i))
				a->bad++;
		}
		got += n;
		if (a->bad)
			return NULL;
	}
	return NULL;
}

static void
test_vchans_in_parallel_threads(void **state)
{
	static uint8_t bufs[PAR_VCHANS][2][256];
	struct par_arg args[PAR_VCHANS];
	pthread_t t[PAR_VCHANS];
	struct idd_dma_stats s;
	int16_t dev;

	(void)state;
	dev = tu_ready("dp_par", PAR_VCHANS, 0);
	for (uint16_t v = 0; v < PAR_VCHANS; v++) {
		args[v] = (struct par_arg){ dev, v, bufs[v][0], bufs[v][1], 0 };
		assert_int_equal(pthread_create(&t[v], NULL, par_worker, &args[v]), 0);
	}
	for (uint16_t v = 0; v < PAR_VCHANS; v++) {
		assert_int_equal(pthread_join(t[v], NULL), 0);
		assert_int_equal(args[v].bad, 0);
	}
	assert_errno(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, PAR_VCHANS * PAR_OPS);
	assert_int_equal(s.completed, PAR_VCHANS * PAR_OPS);
	assert_int_equal(s.errors, 0);
	tu_close(dev);
}

#define T(f) cmocka_unit_test_teardown(f, tu_teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_enqueue_on_stopped_device),
		T(test_vchan_out_of_range),
		T(test_copy_sg_refusals),
		T(test_full_ring),
		T(test_burst_capacity_holds_for_copy_sg),
		T(test_ring_idx_rules),
		T(test_ring_idx_wrap),
		T(test_copy_bytes),
		T(test_fill_bytes),
		T(test_copy_sg_bytes),
		T(test_bad_length_statuses),
		T(test_has_error),
		T(test_fence),
		T(test_stop_completes_everything),
		T(test_stop_with_large_work_in_flight),
		T(test_start_discards_uncollected),
		T(test_stats_counts),
		T(test_vchan_status_idle_after_work),
		T(test_enq_deq_ops),
		T(test_partial_collection),
		T(test_reconfigure),
		T(test_silent_mode),
		T(test_vchans_in_parallel_threads),
		cmocka_unit_test(test_refusals_were_logged), /* must stay last */
	};
	char group[128];

	tu_args = argc > 1 ? argv[1] : NULL;
	tu_log_install();
	snprintf(group, sizeof(group), "dmadev_datapath(%s)", tu_args ? tu_args : "defaults");
	return cmocka_run_group_tests_name(group, tests, NULL, tu_group_teardown);
}
