/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Silent mode (the ring recycles itself, nobody collects) and enqueue/
 * dequeue mode (application-owned struct idd_dma_op). Run as
 * `test_sw_modes inline|thread`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_test.h"

static void
wait_idle(int16_t dev, uint16_t vchan)
{
	enum idd_dma_vchan_status st;
	time_t deadline = time(NULL) + T_TIMEOUT_S;

	do {
		assert_int_equal(idd_dma_vchan_status(dev, vchan, &st), 0);
		if (time(NULL) > deadline)
			fail_msg("vchan %u never went idle", vchan);
	} while (st != IDD_DMA_VCHAN_IDLE);
}

/* Enqueue, retrying while the ring is full (the thread engine may still be
 * working on what the ring holds). */
#define RETRY(call)                                                                              \
	({                                                                                       \
		int r_;                                                                          \
		time_t deadline_ = time(NULL) + T_TIMEOUT_S;                                     \
		while ((r_ = (call)) == -ENOSPC && time(NULL) <= deadline_)                       \
			;                                                                        \
		r_;                                                                              \
	})

static void
test_silent(void **state)
{
	enum { LEN = 256, ROUNDS = 2000 };
	int16_t dev = t_dev_open("silent", NULL, 1, 32, IDD_DMA_CFG_FLAG_SILENT);
	uint8_t *src = t_alloc(LEN * 32), *dst = t_alloc(LEN * 32);
	struct idd_dma_stats s;
	struct idd_dma_info info;
	enum idd_dma_status_code st[4];
	uint32_t seed = 77;
	unsigned long ops = 0, errors = 0;
	uint16_t next = 0, last = 0;
	bool err = false;

	(void)state;
	assert_int_equal(idd_dma_info_get(dev, &info), 0);
	assert_true(info.dev_capa & IDD_DMA_CAPA_SILENT);
	t_pattern(src, LEN * 32, 1);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int n = 1 + t_rand(&seed) % 32;

		for (unsigned int i = 0; i < n; i++) {
			uint32_t len = (next % 97 == 0) ? 0 : LEN;

			assert_int_equal(RETRY(idd_dma_copy(dev, 0, T_IOVA(src + i * LEN),
							    T_IOVA(dst + i * LEN), len, 0)),
					 next);
			next++;
			errors += len == 0;
		}
		assert_int_equal(idd_dma_submit(dev, 0), 0);
		ops += n;
	}
	/* Scatter-gather entries are recycled too. */
	{
		struct idd_dma_sge ss[SW_TEST_MAX_SGES], ds[SW_TEST_MAX_SGES];

		for (unsigned int i = 0; i < SW_TEST_MAX_SGES; i++) {
			ss[i] = (struct idd_dma_sge){T_IOVA(src + i * LEN), LEN};
			ds[i] = (struct idd_dma_sge){T_IOVA(dst + i * LEN), LEN};
		}
		for (unsigned int r = 0; r < 100; r++) {
			assert_int_equal(RETRY(idd_dma_copy_sg(dev, 0, ss, ds, SW_TEST_MAX_SGES,
							       SW_TEST_MAX_SGES,
							       IDD_DMA_OP_FLAG_SUBMIT)),
					 next);
			next++;
			ops++;
		}
	}
	/* No completions in silent mode. */
	assert_int_equal(idd_dma_completed(dev, 0, 32, &last, &err), 0);
	assert_int_equal(idd_dma_completed_status(dev, 0, 4, &last, st), 0);
	wait_idle(dev, 0);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 32);
	assert_int_equal(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, ops);
	assert_int_equal(s.completed, ops);
	assert_int_equal(s.errors, errors);
	/* A last burst, checked byte for byte. */
	memset(dst, 0, LEN * 32);
	for (unsigned int i = 0; i < 32; i++)
		assert_true(idd_dma_copy(dev, 0, T_IOVA(src + i * LEN), T_IOVA(dst + i * LEN), LEN,
					 0) >= 0);
	assert_int_equal(idd_dma_submit(dev, 0), 0);
	wait_idle(dev, 0);
	t_assert_same(dst, src, LEN * 32, "silent copy");
	/* Nobody collects in silent mode: start does not warn about it. */
	assert_int_equal(idd_dma_stop(dev), 0);
	t_log_capture_start();
	assert_int_equal(idd_dma_start(dev), 0);
	t_log_capture_stop();
	assert_int_equal(t_log_count("discarding"), 0);
	t_dev_close(dev);
	t_free(src, LEN * 32);
	t_free(dst, LEN * 32);
}

static struct idd_dma_op *
op_new(uint16_t nb_src, uint16_t nb_dst, uint64_t flags, uint64_t meta)
{
	struct idd_dma_op *op =
		calloc(1, sizeof(*op) + (size_t)(nb_src + nb_dst) * sizeof(op->src_dst_seg[0]));

	assert_non_null(op);
	op->flags = flags;
	op->nb_src = nb_src;
	op->nb_dst = nb_dst;
	op->user_meta = meta;
	op->status = IDD_DMA_STATUS_ERROR_UNKNOWN;
	return op;
}

static unsigned int
dequeue_all(int16_t dev, uint16_t vchan, struct idd_dma_op **ops, unsigned int n)
{
	time_t deadline = time(NULL) + T_TIMEOUT_S;
	unsigned int got = 0;

	while (got < n && time(NULL) <= deadline)
		got += idd_dma_dequeue_ops(dev, vchan, ops + got, (uint16_t)(n - got));
	return got;
}

static void
test_enq_deq(void **state)
{
	enum { N = 8 };
	int16_t dev = t_dev_open("enqdeq", NULL, 2, 32, IDD_DMA_CFG_FLAG_ENQ_DEQ);
	uint8_t src[4096], dst[4096];
	struct idd_dma_op *ops[N], *out[N];
	struct idd_dma_stats s;
	uint16_t last;
	bool err;

	(void)state;
	t_pattern(src, sizeof(src), 8);
	memset(dst, 0, sizeof(dst));
	/* Not the copy API in this mode. */
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), 8, 0), -EINVAL);
	assert_int_equal(idd_dma_submit(dev, 0), -EINVAL);
	assert_int_equal(idd_dma_completed(dev, 0, 8, &last, &err), 0);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 32);

	/* 0: one segment each side; 1: 3 -> 2 segments; 2: totals differ;
	 * 3: no source segment; 4: fenced after failures: not attempted;
	 * 5: after the fence, also not attempted. */
	ops[0] = op_new(1, 1, 0, 100);
	ops[0]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src), 100};
	ops[0]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst), 100};
	ops[1] = op_new(3, 2, 0, 101);
	ops[1]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src + 200), 10};
	ops[1]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(src + 300), 1000};
	ops[1]->src_dst_seg[2] = (struct idd_dma_sge){T_IOVA(src + 1500), 7};
	ops[1]->src_dst_seg[3] = (struct idd_dma_sge){T_IOVA(dst + 200), 500};
	ops[1]->src_dst_seg[4] = (struct idd_dma_sge){T_IOVA(dst + 800), 517};
	ops[2] = op_new(1, 1, 0, 102);
	ops[2]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src), 10};
	ops[2]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst + 2000), 11};
	ops[3] = op_new(0, 1, 0, 103);
	ops[3]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(dst + 2100), 11};
	ops[4] = op_new(1, 1, IDD_DMA_OP_FLAG_FENCE, 104);
	ops[4]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src), 10};
	ops[4]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst + 2200), 10};
	ops[5] = op_new(1, 1, 0, 105);
	ops[5]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src), 10};
	ops[5]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst + 2300), 10};
	assert_int_equal(idd_dma_enqueue_ops(dev, 0, ops, 6), 6);
	/* 6: a new call is a new burst: its fence does not skip it. */
	ops[6] = op_new(1, 1, IDD_DMA_OP_FLAG_FENCE, 106);
	ops[6]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src + 3000), 64};
	ops[6]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst + 3000), 64};
	assert_int_equal(idd_dma_enqueue_ops(dev, 0, ops + 6, 1), 1);

	assert_int_equal(dequeue_all(dev, 0, out, 7), 7);
	for (unsigned int i = 0; i < 7; i++) {
		assert_ptr_equal(out[i], ops[i]);
		assert_int_equal(out[i]->user_meta, 100 + i);
	}
	assert_int_equal(ops[0]->status, IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(ops[1]->status, IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(ops[2]->status, IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(ops[3]->status, IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(ops[4]->status, IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(ops[5]->status, IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(ops[6]->status, IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(dst, src, 100, "op 0");
	t_assert_same(dst + 200, src + 200, 10, "op 1 a");
	t_assert_same(dst + 210, src + 300, 490, "op 1 b");
	t_assert_same(dst + 800, src + 790, 510, "op 1 c");
	t_assert_same(dst + 1310, src + 1500, 7, "op 1 d");
	for (unsigned int i = 2000; i < 2400; i++)
		assert_int_equal(dst[i], 0);
	t_assert_same(dst + 3000, src + 3000, 64, "op 6");
	assert_int_equal(idd_dma_stats_get(dev, 0, &s), 0);
	assert_int_equal(s.submitted, 7);
	assert_int_equal(s.completed, 7);
	assert_int_equal(s.errors, 4);
	assert_int_equal(idd_dma_dequeue_ops(dev, 0, out, N), 0);

	/* A full ring accepts what fits; the rest is refused, not lost. */
	{
		struct idd_dma_op *many[40], *back[40];

		for (unsigned int i = 0; i < 40; i++) {
			many[i] = op_new(1, 1, 0, i);
			many[i]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(src + i), 1};
			many[i]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(dst + 3500 + i), 1};
		}
		assert_int_equal(idd_dma_enqueue_ops(dev, 1, many, 40), 32);
		assert_int_equal(idd_dma_enqueue_ops(dev, 1, many + 32, 8), 0);
		assert_int_equal(dequeue_all(dev, 1, back, 10), 10);
		assert_int_equal(idd_dma_enqueue_ops(dev, 1, many + 32, 8), 8);
		/* Stop, then collect the rest: still in order. */
		wait_idle(dev, 1);
		assert_int_equal(idd_dma_stop(dev), 0);
		assert_int_equal(idd_dma_enqueue_ops(dev, 1, many, 1), 0);
		assert_int_equal(dequeue_all(dev, 1, back + 10, 30), 30);
		for (unsigned int i = 0; i < 40; i++) {
			assert_ptr_equal(back[i], many[i]);
			assert_int_equal(many[i]->status, IDD_DMA_STATUS_SUCCESSFUL);
			free(many[i]);
		}
		t_assert_same(dst + 3500, src, 40, "many");
	}
	for (unsigned int i = 0; i < 7; i++)
		free(ops[i]);
	assert_int_equal(idd_dma_close(dev), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_enq_deq),
	};

	t_parse_engine(argc, argv);
	return cmocka_run_group_tests_name(t_engine, tests, NULL, NULL);
}
