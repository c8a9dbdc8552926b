/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data movement of the sw driver, byte for byte: copy, copy_sg and fill
 * from 1 byte to 16 MiB, odd sizes, unaligned addresses, guard bytes
 * around every destination. Run as `test_sw_copy inline|thread`.
 */
#include <stdlib.h>
#include <string.h>

#include "sw_test.h"

#define MIB (1024u * 1024u)

static int16_t dev;

static int
setup(void **state)
{
	(void)state;
	dev = t_dev_open("copy", NULL, 2, 1024, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	t_dev_close(dev);
	return 0;
}

/* Wait for the one outstanding operation of @vchan and return its status. */
static enum idd_dma_status_code
one_status(uint16_t vchan, uint16_t expect_idx)
{
	enum idd_dma_status_code st = IDD_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last = 0;

	assert_int_equal(t_wait_status(dev, vchan, 1, &last, &st), 1);
	assert_int_equal(last, expect_idx);
	return st;
}

/* Copy @len bytes from offset @so of a source to offset @dso of a
 * destination; bytes of the destination outside the copy must not change. */
static void
copy_case_flags(size_t len, size_t so, size_t dso, uint64_t flags)
{
	uint8_t *src = t_alloc(len + 128), *dst = t_alloc(len + 128);
	int idx;

	t_pattern(src, len + 128, (uint32_t)len);
	memset(dst, 0, len + 128);
	idx = idd_dma_copy(dev, 0, T_IOVA(src + so), T_IOVA(dst + dso), (uint32_t)len,
			   IDD_DMA_OP_FLAG_SUBMIT | flags);
	assert_true(idx >= 0);
	assert_int_equal(one_status(0, (uint16_t)idx), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(dst + dso, src + so, len, "copy");
	for (size_t i = 0; i < dso; i++)
		assert_int_equal(dst[i], 0);
	for (size_t i = dso + len; i < len + 128; i++)
		assert_int_equal(dst[i], 0);
	t_free(src, len + 128);
	t_free(dst, len + 128);
}

static void
copy_case(size_t len, size_t so, size_t dso)
{
	copy_case_flags(len, so, dso, 0);
}

static const size_t big_sizes[] = {
	255, 256, 257, 511, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 65535, 65536, 65537,
	MIB - 1, MIB, MIB + 7, 3 * MIB + 5,
};

static void
test_copy_sizes(void **state)
{
	(void)state;
	for (size_t len = 1; len <= 200; len++) {
		copy_case(len, 0, 0);
		copy_case(len, 1, 3);
		copy_case(len, 7, 5);
		copy_case(len, 3, 0);
	}
	for (size_t i = 0; i < sizeof(big_sizes) / sizeof(big_sizes[0]); i++) {
		copy_case(big_sizes[i], 0, 0);
		copy_case(big_sizes[i], 5, 3);
	}
	copy_case(16 * MIB, 1, 6);
}

/* Many small copies in one burst, each to its own place. */
static void
test_copy_burst(void **state)
{
	enum { N = 500 };
	size_t total = (size_t)N * (N + 1) / 2;
	uint8_t *src = t_alloc(total), *dst = t_alloc(total);
	enum idd_dma_status_code st[N];
	size_t off = 0;
	uint16_t last;

	(void)state;
	t_pattern(src, total, 99);
	memset(dst, 0, total);
	for (unsigned int i = 1; i <= N; i++) {
		assert_true(idd_dma_copy(dev, 1, T_IOVA(src + off), T_IOVA(dst + off), i, 0) >= 0);
		off += i;
	}
	assert_int_equal(idd_dma_submit(dev, 1), 0);
	assert_int_equal(t_wait_status(dev, 1, N, &last, st), N);
	for (unsigned int i = 0; i < N; i++)
		assert_int_equal(st[i], IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(dst, src, total, "burst");
	t_free(src, total);
	t_free(dst, total);
}

/* Cut @total into @nb lengths (some may be 0) summing to @total. */
static void
split(uint32_t *seed, size_t total, unsigned int nb, size_t *lens)
{
	size_t cuts[SW_TEST_MAX_SGES + 1];

	cuts[0] = 0;
	cuts[nb] = total;
	for (unsigned int i = 1; i < nb; i++)
		cuts[i] = total == 0 ? 0 : t_rand(seed) % (total + 1);
	/* insertion sort of the inner cuts */
	for (unsigned int i = 2; i < nb; i++)
		for (unsigned int j = i; j > 1 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	for (unsigned int i = 0; i < nb; i++)
		lens[i] = cuts[i + 1] - cuts[i];
}

/* Lay @nb segments of @lens out in @buf with gaps of 1..7 bytes; returns
 * the bytes used. */
static size_t
layout(uint32_t *seed, uint8_t *buf, unsigned int nb, const size_t *lens,
       struct idd_dma_sge *sge)
{
	size_t off = 0;

	for (unsigned int i = 0; i < nb; i++) {
		off += 1 + t_rand(seed) % 7;
		sge[i].addr = T_IOVA(buf + off);
		sge[i].length = (uint32_t)lens[i];
		off += lens[i];
	}
	return off + 8;
}

static void
sg_case(size_t total, unsigned int nb_src, unsigned int nb_dst, uint32_t seed)
{
	size_t slen[SW_TEST_MAX_SGES], dlen[SW_TEST_MAX_SGES];
	struct idd_dma_sge src[SW_TEST_MAX_SGES], dst[SW_TEST_MAX_SGES];
	size_t room = total + 8 * (SW_TEST_MAX_SGES + 2);
	uint8_t *sbuf = t_alloc(room), *dbuf = t_alloc(room), *expect = t_alloc(room);
	size_t pos = 0;
	int idx;

	split(&seed, total, nb_src, slen);
	split(&seed, total, nb_dst, dlen);
	layout(&seed, sbuf, nb_src, slen, src);
	layout(&seed, dbuf, nb_dst, dlen, dst);
	t_pattern(sbuf, room, seed);
	memset(dbuf, 0, room);
	/* The expected destination: zero except the destination segments,
	 * which receive the source segments' bytes in order. */
	memset(expect, 0, room);
	{
		uint8_t *cat = malloc(total ? total : 1);

		assert_non_null(cat);
		for (unsigned int i = 0; i < nb_src; i++) {
			memcpy(cat + pos, (uint8_t *)(uintptr_t)src[i].addr, src[i].length);
			pos += src[i].length;
		}
		pos = 0;
		for (unsigned int i = 0; i < nb_dst; i++) {
			memcpy(expect + ((uint8_t *)(uintptr_t)dst[i].addr - dbuf), cat + pos,
			       dst[i].length);
			pos += dst[i].length;
		}
		free(cat);
	}

	idx = idd_dma_copy_sg(dev, 0, src, dst, (uint16_t)nb_src, (uint16_t)nb_dst, 0);
	assert_true(idx >= 0);
	/* The lists belong to the caller again as soon as the call returns. */
	memset(src, 0xEE, sizeof(src));
	memset(dst, 0xEE, sizeof(dst));
	assert_int_equal(idd_dma_submit(dev, 0), 0);
	assert_int_equal(one_status(0, (uint16_t)idx), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(dbuf, expect, room, "copy_sg");
	t_free(sbuf, room);
	t_free(dbuf, room);
	t_free(expect, room);
}

static void
test_copy_sg(void **state)
{
	uint32_t seed = 7;

	(void)state;
	sg_case(1, 1, 1, 1);
	sg_case(2, 1, 2, 2);
	sg_case(2, 2, 1, 3);
	sg_case(100, SW_TEST_MAX_SGES, SW_TEST_MAX_SGES, 4);
	sg_case(100, SW_TEST_MAX_SGES, 1, 5);
	sg_case(4097, 7, 3, 6);
	for (unsigned int i = 0; i < 200; i++) {
		size_t total = 1 + t_rand(&seed) % 5000;

		sg_case(total, 1 + t_rand(&seed) % SW_TEST_MAX_SGES,
			1 + t_rand(&seed) % SW_TEST_MAX_SGES, 100 + i);
	}
	sg_case(MIB + 3, SW_TEST_MAX_SGES, 5, 8);
	sg_case(16 * MIB, SW_TEST_MAX_SGES, SW_TEST_MAX_SGES, 9);
}

static void
test_copy_sg_refused(void **state)
{
	struct idd_dma_sge a[SW_TEST_MAX_SGES + 1], b[1];
	uint8_t x[16], y[16];

	(void)state;
	memset(a, 0, sizeof(a));
	a[0].addr = T_IOVA(x);
	a[0].length = 16;
	b[0].addr = T_IOVA(y);
	b[0].length = 16;
	assert_int_equal(idd_dma_copy_sg(dev, 0, a, b, 0, 1, 0), -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, a, b, 1, 0, 0), -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, NULL, b, 1, 1, 0), -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, a, NULL, 1, 1, 0), -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, a, b, SW_TEST_MAX_SGES + 1, 1, 0), -EINVAL);
	assert_int_equal(idd_dma_copy_sg(dev, 0, b, a, 1, SW_TEST_MAX_SGES + 1, 0), -EINVAL);
	/* None of them took a ring slot. */
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 1024);
}

static void
test_copy_sg_bad_length(void **state)
{
	uint8_t x[64], y[64], y0[64];
	struct idd_dma_sge s[2] = {{T_IOVA(x), 10}, {T_IOVA(x + 20), 10}};
	struct idd_dma_sge d[1] = {{T_IOVA(y), 19}};
	struct idd_dma_sge z[1] = {{T_IOVA(y), 0}};
	enum idd_dma_status_code st[3];
	uint16_t last;
	int idx;

	(void)state;
	t_pattern(x, sizeof(x), 1);
	memset(y, 0x11, sizeof(y));
	memcpy(y0, y, sizeof(y));
	idx = idd_dma_copy_sg(dev, 0, s, d, 2, 1, 0);
	assert_true(idx >= 0);
	assert_true(idd_dma_copy_sg(dev, 0, z, z, 1, 1, 0) >= 0);
	/* The vchan carries on after the failures. */
	d[0].length = 20;
	assert_true(idd_dma_copy_sg(dev, 0, s, d, 2, 1, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(t_wait_status(dev, 0, 3, &last, st), 3);
	assert_int_equal(last, (uint16_t)(idx + 2));
	assert_int_equal(st[0], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[1], IDD_DMA_STATUS_INVALID_LENGTH);
	assert_int_equal(st[2], IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(y, x, 10, "sg first part");
	t_assert_same(y + 10, x + 20, 10, "sg second part");
	t_assert_same(y + 20, y0 + 20, sizeof(y) - 20, "sg beyond the copy");
}

/* Addresses of the caller's own that cannot be valid (the first page, a
 * range that wraps around the address space) fail with a status, as a
 * device with IDD_DMA_CAPA_HANDLES_ERRORS must, instead of faulting; the
 * operations around them run, and the vchan carries on. */
static void
test_copy_bad_own_address(void **state)
{
	const uint64_t wraps = UINT64_MAX - 31;
	uint8_t x[64], y[64];
	struct idd_dma_sge good_src = {T_IOVA(x), 64}, good_dst = {T_IOVA(y), 64};
	struct idd_dma_sge null_src[2] = {{T_IOVA(x), 32}, {0, 32}};
	struct idd_dma_sge null_dst[2] = {{T_IOVA(y), 32}, {8, 32}};
	static const enum idd_dma_status_code want[] = {
		IDD_DMA_STATUS_INVALID_SRC_ADDR, /* copy from NULL */
		IDD_DMA_STATUS_INVALID_DST_ADDR, /* copy to NULL + 8 */
		IDD_DMA_STATUS_INVALID_SRC_ADDR, /* copy from the last byte of the first page */
		IDD_DMA_STATUS_INVALID_SRC_ADDR, /* source range wraps */
		IDD_DMA_STATUS_INVALID_DST_ADDR, /* destination range wraps */
		IDD_DMA_STATUS_INVALID_DST_ADDR, /* fill NULL */
		IDD_DMA_STATUS_INVALID_SRC_ADDR, /* copy_sg, second source segment NULL */
		IDD_DMA_STATUS_INVALID_DST_ADDR, /* copy_sg, second destination segment at 8 */
		IDD_DMA_STATUS_SUCCESSFUL,       /* a good copy_sg */
		IDD_DMA_STATUS_SUCCESSFUL,       /* a good copy */
	};
	enum idd_dma_status_code st[10];
	struct idd_dma_stats stats;
	uint16_t last;
	int first;

	(void)state;
	t_pattern(x, sizeof(x), 7);
	memset(y, 0x11, sizeof(y));
	assert_int_equal(idd_dma_stats_reset(dev, 1), 0);
	first = idd_dma_copy(dev, 1, 0, T_IOVA(y), 64, 0);
	assert_true(first >= 0);
	assert_true(idd_dma_copy(dev, 1, T_IOVA(x), 8, 64, 0) >= 0);
	assert_true(idd_dma_copy(dev, 1, 4095, T_IOVA(y), 1, 0) >= 0);
	assert_true(idd_dma_copy(dev, 1, wraps, T_IOVA(y), 64, 0) >= 0);
	assert_true(idd_dma_copy(dev, 1, T_IOVA(x), wraps, 64, 0) >= 0);
	assert_true(idd_dma_fill(dev, 1, 0x5a, 0, 64, 0) >= 0);
	assert_true(idd_dma_copy_sg(dev, 1, null_src, &good_dst, 2, 1, 0) >= 0);
	assert_true(idd_dma_copy_sg(dev, 1, &good_src, null_dst, 1, 2, 0) >= 0);
	/* Nothing reached y so far but the first half of the last copy_sg. */
	assert_true(idd_dma_copy_sg(dev, 1, &good_src, &good_dst, 1, 1, 0) >= 0);
	assert_true(idd_dma_copy(dev, 1, T_IOVA(x), T_IOVA(y), 64, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(t_wait_status(dev, 1, 10, &last, st), 10);
	assert_int_equal(last, (uint16_t)(first + 9));
	for (unsigned int i = 0; i < 10; i++) {
		if (st[i] != want[i])
			fail_msg("operation %u: status %d, want %d", i, st[i], want[i]);
	}
	t_assert_same(y, x, sizeof(y), "the good copies");
	assert_int_equal(idd_dma_stats_get(dev, 1, &stats), 0);
	assert_int_equal(stats.submitted, 10);
	assert_int_equal(stats.completed, 10);
	assert_int_equal(stats.errors, 8);
	/* The vchan goes on. */
	memset(y, 0, sizeof(y));
	assert_true(idd_dma_copy(dev, 1, T_IOVA(x), T_IOVA(y), 64, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(t_wait_status(dev, 1, 1, &last, st), 1);
	assert_int_equal(st[0], IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(y, x, sizeof(y), "the copy after the failures");
}

/* copy_sg lists are copied into a FIFO that is sized so that
 * burst_capacity() holds for copy_sg with the largest lists too; its
 * positions wrap many times, and lists are never overwritten while their
 * operation is still pending. */
static void
test_copy_sg_fifo(void **state)
{
	enum { N = SW_TEST_MAX_SGES, NB = 32 };
	int16_t d2;
	struct idd_dma_sge s[N], d[NB][N];
	uint8_t *src = t_alloc(N * 64), *dst = t_alloc((size_t)NB * N * 64);
	enum idd_dma_status_code st[NB];
	uint16_t last, cap;

	(void)state;
	d2 = t_dev_open("sgfifo", NULL, 1, NB, 0);
	for (unsigned int i = 0; i < N; i++) {
		s[i].addr = T_IOVA(src + i * 64);
		s[i].length = 64;
	}
	/* Each operation of a round writes its own area, entries reversed. */
	for (unsigned int k = 0; k < NB; k++)
		for (unsigned int i = 0; i < N; i++) {
			d[k][i].addr = T_IOVA(dst + ((size_t)k * N + (N - 1 - i)) * 64);
			d[k][i].length = 64;
		}
	for (unsigned int round = 0; round < 40; round++) {
		/* a partial round first shifts the FIFO positions */
		unsigned int n = round % 3 == 0 ? 1 + round % NB : NB;

		t_pattern(src, N * 64, round);
		memset(dst, 0, (size_t)NB * N * 64);
		cap = idd_dma_burst_capacity(d2, 0);
		assert_int_equal(cap, NB);
		for (unsigned int k = 0; k < n; k++)
			assert_true(idd_dma_copy_sg(d2, 0, s, d[k], N, N, 0) >= 0);
		if (n == NB)
			assert_int_equal(idd_dma_copy_sg(d2, 0, s, d[0], N, N, 0), -ENOSPC);
		assert_int_equal(idd_dma_burst_capacity(d2, 0), NB - n);
		assert_int_equal(idd_dma_submit(d2, 0), 0);
		assert_int_equal(t_wait_status(d2, 0, n, &last, st), n);
		for (unsigned int k = 0; k < n; k++) {
			assert_int_equal(st[k], IDD_DMA_STATUS_SUCCESSFUL);
			for (unsigned int i = 0; i < N; i++)
				t_assert_same(dst + ((size_t)k * N + (N - 1 - i)) * 64,
					      src + i * 64, 64, "sg fifo");
		}
	}
	t_dev_close(d2);
	t_free(src, N * 64);
	t_free(dst, (size_t)NB * N * 64);
}

static void
fill_case_flags(size_t len, size_t off, uint64_t pattern, uint64_t flags)
{
	uint8_t *dst = t_alloc(len + 16);
	int idx;

	memset(dst, 0x5A, len + 16);
	idx = idd_dma_fill(dev, 1, pattern, T_IOVA(dst + off), (uint32_t)len,
			   IDD_DMA_OP_FLAG_SUBMIT | flags);
	assert_true(idx >= 0);
	assert_int_equal(one_status(1, (uint16_t)idx), IDD_DMA_STATUS_SUCCESSFUL);
	for (size_t i = 0; i < off; i++)
		assert_int_equal(dst[i], 0x5A);
	for (size_t i = 0; i < len; i++) {
		uint8_t want = (uint8_t)(pattern >> (8 * (i % 8)));

		if (dst[off + i] != want)
			fail_msg("fill len %zu: byte %zu is 0x%02x, want 0x%02x", len, i,
				 dst[off + i], want);
	}
	for (size_t i = off + len; i < len + 16; i++)
		assert_int_equal(dst[i], 0x5A);
	t_free(dst, len + 16);
}

static void
fill_case(size_t len, size_t off, uint64_t pattern)
{
	fill_case_flags(len, off, pattern, 0);
}

static void
test_fill(void **state)
{
	static const uint64_t patterns[] = {
		UINT64_C(0x0123456789abcdef), UINT64_C(0x4242424242424242), 0,
		UINT64_C(0xff00000000000001),
	};

	(void)state;
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		for (size_t len = 1; len <= 200; len++)
			fill_case(len, len % 8, patterns[p]);
		for (size_t i = 0; i < sizeof(big_sizes) / sizeof(big_sizes[0]); i++)
			fill_case(big_sizes[i], i % 8, patterns[p]);
	}
	fill_case(16 * MIB, 3, patterns[0]);
}

/* Every copy and fill above 64 bytes streamed past the caches
 * (stream_min=65: the smallest size that takes the streaming path), or none
 * (stream_min=0), and operations with the LLC hint, which never stream: the
 * same bytes must land, whatever the alignment of either side and the
 * length's remainder modulo the 64- and 128-byte steps of the streaming
 * loops. */
static void
stream_cases(const char *args, uint64_t flags)
{
	int16_t saved = dev;
	uint32_t seed = 21;

	dev = t_dev_open("stream", args, 2, 1024, 0);
	for (size_t len = 60; len <= 600; len++)
		copy_case_flags(len, len % 67, (len * 7) % 64, flags);
	for (size_t i = 0; i < sizeof(big_sizes) / sizeof(big_sizes[0]); i++) {
		copy_case_flags(big_sizes[i], 0, 0, flags);
		copy_case_flags(big_sizes[i], 5, 3, flags);
		copy_case_flags(big_sizes[i], 64, 33, flags);
	}
	for (unsigned int i = 0; i < 50; i++) {
		size_t total = 1 + t_rand(&seed) % 20000;

		sg_case(total, 1 + t_rand(&seed) % SW_TEST_MAX_SGES,
			1 + t_rand(&seed) % SW_TEST_MAX_SGES, 300 + i);
	}
	/* Fills: every phase of the pattern against the line boundary. */
	for (size_t len = 60; len <= 300; len++)
		fill_case_flags(len, len % 16, UINT64_C(0x0123456789abcdef), flags);
	for (size_t i = 0; i < sizeof(big_sizes) / sizeof(big_sizes[0]); i++)
		fill_case_flags(big_sizes[i], i % 16, UINT64_C(0xfedcba9876543210), flags);
	t_dev_close(dev);
	dev = saved;
}

/* Operations on both sides of the descriptor's narrow limits (a length of
 * 2^24, operands of 2^48: src/drivers/sw/sw_desc.h), interleaved in one
 * burst: each must do exactly its own work, in order. */
static void
test_descriptor_widths(void **state)
{
	enum { NB = 6 };
	const size_t big = (size_t)1 << 24;
	const uint64_t narrow_pattern = (UINT64_C(1) << 48) - 1, wide_pattern = UINT64_C(1) << 48;
	uint8_t *src = t_alloc(big + 1), *dst = t_alloc(2 * big + 64);
	enum idd_dma_status_code st[NB];
	uint16_t last;
	int idx[NB];

	(void)state;
	t_pattern(src, big + 1, 24);
	memset(dst, 0, 2 * big + 64);
	idx[0] = idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), (uint32_t)big - 1, 0);
	idx[1] = idd_dma_fill(dev, 0, wide_pattern, T_IOVA(dst + 2 * big), 16, 0);
	idx[2] = idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst + big), (uint32_t)big, 0);
	idx[3] = idd_dma_fill(dev, 0, narrow_pattern, T_IOVA(dst + 2 * big + 16), 16, 0);
	idx[4] = idd_dma_copy(dev, 0, T_IOVA(src + big), T_IOVA(dst + 2 * big + 32), 1, 0);
	idx[5] = idd_dma_fill(dev, 0, 0, T_IOVA(dst + 2 * big + 40), 0, IDD_DMA_OP_FLAG_SUBMIT);
	for (int i = 1; i < NB; i++)
		assert_int_equal(idx[i], (uint16_t)(idx[0] + i));
	assert_int_equal(t_wait_status(dev, 0, NB, &last, st), NB);
	assert_int_equal(last, (uint16_t)idx[NB - 1]);
	for (int i = 0; i < NB - 1; i++)
		assert_int_equal(st[i], IDD_DMA_STATUS_SUCCESSFUL);
	/* A zero length travels in the descriptor like any other. */
	assert_int_equal(st[NB - 1], IDD_DMA_STATUS_INVALID_LENGTH);
	t_assert_same(dst, src, big - 1, "narrow copy of 2^24 - 1 bytes");
	assert_int_equal(dst[big - 1], 0);
	t_assert_same(dst + big, src, big, "wide copy of 2^24 bytes");
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(dst[2 * big + i], (uint8_t)(wide_pattern >> (8 * (i % 8))));
		assert_int_equal(dst[2 * big + 16 + i], (uint8_t)(narrow_pattern >> (8 * (i % 8))));
	}
	assert_int_equal(dst[2 * big + 32], src[big]);
	for (size_t i = 2 * big + 33; i < 2 * big + 64; i++)
		assert_int_equal(dst[i], 0);
	t_free(src, big + 1);
	t_free(dst, 2 * big + 64);
}

static void
test_copy_streamed(void **state)
{
	(void)state;
	stream_cases("stream_min=65", 0);
	stream_cases("stream_min=65", IDD_DMA_OP_FLAG_LLC);
	stream_cases("stream_min=0", 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_sizes),
		cmocka_unit_test(test_copy_burst),
		cmocka_unit_test(test_copy_sg),
		cmocka_unit_test(test_copy_sg_refused),
		cmocka_unit_test(test_copy_sg_bad_length),
		cmocka_unit_test(test_copy_bad_own_address),
		cmocka_unit_test(test_copy_sg_fifo),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_copy_streamed),
		cmocka_unit_test(test_descriptor_widths),
	};

	t_parse_engine(argc, argv);
	return cmocka_run_group_tests_name(t_engine, tests, setup, teardown);
}
