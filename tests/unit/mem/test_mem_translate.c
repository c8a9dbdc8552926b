/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation in a window table: the edges of a window, ranges crossing
 * its end, adjacent windows, permissions, arithmetic at the top of the
 * address space, the last-hit cache after changes, and random queries in
 * tables of many shapes checked against a linear scan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "mem/window_table.h"
#include "mem_test.h"

/* Windows here are bookkeeping only (nothing mapped): "local" addresses
 * are base + DELTA, so a hit is easy to check. */
#define DELTA UINT64_C(0x10000)

static void
rec_free(struct mem_wt_rec *rec)
{
	free(rec);
}

static int
add(struct mem_wt *t, uint64_t base, uint64_t len, uint32_t perms)
{
	struct mem_wt_rec *rec = calloc(1, sizeof(*rec));

	assert_non_null(rec);
	*rec = (struct mem_wt_rec){
		.base = base, .len = len, .local = (void *)(uintptr_t)(base + DELTA), .fd = -1,
		.perms = perms, .release = rec_free,
	};
	int err = mem_wt_insert(t, rec);
	if (err != 0)
		free(rec);
	return err;
}

/* Translate with a fresh cache and with a warm one: same answer. */
static uint64_t
xl(struct mem_wt *t, struct mem_wt_cache *warm, uint64_t addr, uint64_t len, uint32_t access)
{
	struct mem_wt_cache cold;

	mem_wt_cache_init(&cold);
	mem_rcu_read_lock();
	void *a = mem_wt_translate(t, &cold, addr, len, access);
	void *b = mem_wt_translate(t, warm, addr, len, access);
	mem_rcu_read_unlock();
	assert_ptr_equal(a, b);
	return (uint64_t)(uintptr_t)a;
}

static struct mem_wt *
table_new(void)
{
	struct mem_wt *t = mem_wt_create("xlate-test");

	assert_non_null(t);
	return t;
}

static void
test_empty(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;

	mem_wt_cache_init(&c);
	assert_int_equal(xl(t, &c, 0, 1, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, 0x1000, 64, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, UINT64_MAX, 1, MEM_ACCESS_READ), 0);
	mem_wt_destroy(t);
}

static void
test_edges(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;
	const uint64_t B = 0x7f0000000000, L = 0x3000;

	mem_wt_cache_init(&c);
	assert_int_equal(add(t, B, L, IDD_MEM_PEER_RW), 0);
	/* first and last byte */
	assert_int_equal(xl(t, &c, B, 1, MEM_ACCESS_READ), B + DELTA);
	assert_int_equal(xl(t, &c, B + L - 1, 1, MEM_ACCESS_WRITE), B + L - 1 + DELTA);
	/* the whole window, and one byte more */
	assert_int_equal(xl(t, &c, B, L, MEM_ACCESS_READ), B + DELTA);
	assert_int_equal(xl(t, &c, B, L + 1, MEM_ACCESS_READ), 0);
	/* a range crossing the end, one crossing the start */
	assert_int_equal(xl(t, &c, B + L - 1, 2, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + L - 64, 65, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B - 1, 2, MEM_ACCESS_READ), 0);
	/* just outside */
	assert_int_equal(xl(t, &c, B - 1, 1, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + L, 1, MEM_ACCESS_READ), 0);
	/* zero length never hits */
	assert_int_equal(xl(t, &c, B, 0, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + 5, 0, MEM_ACCESS_READ), 0);
	mem_wt_destroy(t);
}

static void
test_adjacent(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;
	const uint64_t B = 0x600000000000, L = 0x10000;

	mem_wt_cache_init(&c);
	assert_int_equal(add(t, B, L, IDD_MEM_PEER_RW), 0);
	assert_int_equal(add(t, B + L, L, IDD_MEM_PEER_READ), 0);
	assert_int_equal(add(t, B + 2 * L, L, IDD_MEM_PEER_WRITE), 0);
	assert_int_equal(xl(t, &c, B + L - 1, 1, MEM_ACCESS_READ), B + L - 1 + DELTA);
	assert_int_equal(xl(t, &c, B + L, 1, MEM_ACCESS_READ), B + L + DELTA);
	/* Contiguous in the peer, yet two windows: a range across the seam
	 * is a miss (the local mappings need not be contiguous). */
	assert_int_equal(xl(t, &c, B + L - 1, 2, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + L - 8, 16, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B, 2 * L, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + 2 * L - 1, 2, MEM_ACCESS_WRITE), 0);
	/* Overlaps are refused, however they overlap. */
	assert_int_equal(add(t, B, L, IDD_MEM_PEER_RW), -EEXIST);
	assert_int_equal(add(t, B + 100, 1, IDD_MEM_PEER_RW), -EEXIST);
	assert_int_equal(add(t, B - 0x1000, 0x1001, IDD_MEM_PEER_RW), -EEXIST);
	assert_int_equal(add(t, B + 3 * L - 1, 0x1000, IDD_MEM_PEER_RW), -EEXIST);
	assert_int_equal(add(t, B - 0x1000, 4 * L, IDD_MEM_PEER_RW), -EEXIST);
	assert_int_equal(add(t, B - 0x1000, 0x1000, IDD_MEM_PEER_RW), 0);
	assert_int_equal(add(t, B + 3 * L, 0x1000, IDD_MEM_PEER_RW), 0);
	assert_int_equal(mem_wt_count(t), 5);
	mem_wt_destroy(t);
}

static void
test_permissions(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;
	const uint64_t B = 0x100000000;

	mem_wt_cache_init(&c);
	assert_int_equal(add(t, B, 4096, IDD_MEM_PEER_READ), 0);
	assert_int_equal(add(t, B + 8192, 4096, IDD_MEM_PEER_WRITE), 0);
	assert_int_equal(add(t, B + 16384, 4096, 0), 0);
	assert_int_equal(add(t, B + 24576, 4096, IDD_MEM_PEER_RW), 0);

	assert_int_equal(xl(t, &c, B, 8, MEM_ACCESS_READ), B + DELTA);
	assert_int_equal(xl(t, &c, B, 8, MEM_ACCESS_WRITE), 0);
	assert_int_equal(xl(t, &c, B, 8, MEM_ACCESS_READ | MEM_ACCESS_WRITE), 0);
	assert_int_equal(xl(t, &c, B + 8192, 8, MEM_ACCESS_WRITE), B + 8192 + DELTA);
	assert_int_equal(xl(t, &c, B + 8192, 8, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + 16384, 8, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, B + 16384, 8, MEM_ACCESS_WRITE), 0);
	assert_int_equal(xl(t, &c, B + 24576, 8, MEM_ACCESS_READ | MEM_ACCESS_WRITE),
			 B + 24576 + DELTA);
	/* The cache holds the read-only window now; a write there still misses. */
	assert_int_equal(xl(t, &c, B + 1, 1, MEM_ACCESS_READ), B + 1 + DELTA);
	assert_int_equal(xl(t, &c, B + 2, 1, MEM_ACCESS_WRITE), 0);
	mem_wt_destroy(t);
}

/* addr + len must never be computed: near 2^64 it wraps. */
static void
test_overflow(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;
	const uint64_t top = UINT64_MAX - 0x1fff; /* [top, 2^64) */

	mem_wt_cache_init(&c);
	assert_int_equal(add(t, top, 0x2000, IDD_MEM_PEER_RW), 0);
	assert_int_equal(add(t, 0, 0x1000, IDD_MEM_PEER_RW), 0);
	/* A window may not wrap around. */
	assert_int_equal(add(t, top - 0x10000, 0x20000, IDD_MEM_PEER_RW), -EINVAL);

	assert_int_equal(xl(t, &c, UINT64_MAX, 1, MEM_ACCESS_READ), UINT64_MAX + DELTA);
	assert_int_equal(xl(t, &c, top, 0x2000, MEM_ACCESS_READ), top + DELTA);
	assert_int_equal(xl(t, &c, UINT64_MAX, 2, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, top + 1, 0x2000, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, top + 16, UINT64_MAX, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, top, UINT64_MAX, MEM_ACCESS_READ), 0);
	/* A range that wraps to the window at 0 is not in it either. */
	assert_int_equal(xl(t, &c, UINT64_MAX - 15, 32, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, 0, 1, MEM_ACCESS_READ), DELTA);
	assert_int_equal(xl(t, &c, 0, UINT64_MAX, MEM_ACCESS_READ), 0);
	assert_int_equal(xl(t, &c, 0x1000, 1, MEM_ACCESS_READ), 0);
	mem_wt_destroy(t);
}

/* The cache never outlives a change that could make it wrong. */
static void
test_cache_invalidation(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();
	struct mem_wt *other = table_new();
	struct mem_wt_cache c;
	const uint64_t B = 0x200000000;

	mem_wt_cache_init(&c);
	assert_int_equal(add(t, B, 0x10000, IDD_MEM_PEER_RW), 0);
	mem_rcu_read_lock();
	assert_non_null(mem_wt_translate(t, &c, B + 10, 4, MEM_ACCESS_READ));
	/* Same cache on another table: no hit from the first one's window. */
	assert_null(mem_wt_translate(other, &c, B + 10, 4, MEM_ACCESS_READ));
	assert_non_null(mem_wt_translate(t, &c, B + 10, 4, MEM_ACCESS_READ));
	mem_rcu_read_unlock();

	assert_int_equal(mem_wt_remove(t, B), 0);
	mem_rcu_read_lock();
	assert_null(mem_wt_translate(t, &c, B + 10, 4, MEM_ACCESS_READ));
	mem_rcu_read_unlock();

	/* A new window at the same address with other permissions. */
	assert_int_equal(add(t, B, 0x10000, IDD_MEM_PEER_READ), 0);
	mem_rcu_read_lock();
	assert_non_null(mem_wt_translate(t, &c, B + 10, 4, MEM_ACCESS_READ));
	mem_rcu_read_unlock();
	assert_int_equal(mem_wt_remove(t, B), 0);
	assert_int_equal(add(t, B, 0x1000, IDD_MEM_PEER_RW), 0);
	mem_rcu_read_lock();
	assert_null(mem_wt_translate(t, &c, B + 0x1000, 4, MEM_ACCESS_READ));
	assert_null(mem_wt_translate(t, &c, B + 10, 4, MEM_ACCESS_WRITE | 0x100));
	mem_rcu_read_unlock();
	assert_int_equal(mem_wt_remove(t, B + 1), -ENOENT);
	mem_wt_destroy(t);
	mem_wt_destroy(other);
}

static void
test_remove_in_read_section(void **state)
{
	(void)state;
	struct mem_wt *t = table_new();

	mem_capture_log();
	assert_int_equal(add(t, 0x1000, 0x1000, IDD_MEM_PEER_RW), 0);
	mem_rcu_read_lock();
	assert_int_equal(mem_wt_remove(t, 0x1000), -EDEADLK);
	assert_one_refusal("read-side section");
	assert_int_equal(mem_rcu_synchronize(), -EDEADLK);
	assert_one_refusal("read-side section");
	mem_rcu_read_unlock();
	assert_int_equal(mem_wt_remove(t, 0x1000), 0);
	mem_wt_destroy(t);
}

/* --- random tables against a linear scan --- */

struct win {
	uint64_t base, len;
	uint32_t perms;
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
scan(const struct win *w, unsigned int n, uint64_t addr, uint64_t len, uint32_t access)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = addr - w[i].base;

		if (addr >= w[i].base && off < w[i].len && len >= 1 && len - 1 < w[i].len - off)
			return (access & ~w[i].perms) ? 0 : addr + DELTA;
	}
	return 0;
}

/* Shapes: uniform gaps, tight clusters far apart, one window among
 * thousands of tiny ones, the whole 64-bit span. */
static unsigned int
make_shape(int shape, struct win *w, unsigned int max, uint64_t *seed)
{
	unsigned int n = 0;
	uint64_t at;

	switch (shape) {
	case 0: /* uniform */
		at = 0x7f0000000000;
		for (; n < max; n++) {
			at += (rnd(seed) % 64) << 12;
			w[n] = (struct win){at, (1 + rnd(seed) % 256) << 12, (uint32_t)(rnd(seed) % 4)};
			at += w[n].len;
		}
		break;
	case 1: /* clusters of adjacent small windows, far apart */
		at = 0x1000;
		for (; n < max; n++) {
			if (n % 50 == 0)
				at += UINT64_C(1) << (30 + rnd(seed) % 10);
			w[n] = (struct win){at, 64 + rnd(seed) % 4096, (uint32_t)(rnd(seed) % 4)};
			at += w[n].len;
		}
		break;
	case 2: /* tiny windows, then a huge one at the top */
		at = 0x10000;
		for (; n + 1 < max; n++) {
			w[n] = (struct win){at, 1 + rnd(seed) % 16, IDD_MEM_PEER_RW};
			at += w[n].len + rnd(seed) % 3;
		}
		w[n++] = (struct win){UINT64_C(1) << 63, UINT64_C(1) << 62, IDD_MEM_PEER_READ};
		break;
	case 3: /* clusters of 1, 2, ... 17 adjacent windows, far apart: every
		 * bucket width around the fixed scan's limit of 8 */
		at = 0x100000;
		for (unsigned int k = 1; n < max; k = k % 17 + 1) {
			at += UINT64_C(1) << 36;
			for (unsigned int i = 0; i < k && n < max; i++, n++) {
				w[n] = (struct win){at, 4096, IDD_MEM_PEER_RW};
				at += 4096;
			}
		}
		break;
	default: /* spread over the whole 64-bit space, the last one ending at 2^64 */
		for (; n + 1 < max; n++) {
			uint64_t slot = UINT64_MAX / max;

			w[n] = (struct win){n * slot + (rnd(seed) % (slot / 2)), 1 + rnd(seed) % 65536,
					    (uint32_t)(rnd(seed) % 4)};
		}
		w[n++] = (struct win){UINT64_MAX - 4095, 4096, IDD_MEM_PEER_RW};
		break;
	}
	return n;
}

static uint64_t
probe_addr(const struct win *w, unsigned int n, uint64_t *seed)
{
	const struct win *x = &w[rnd(seed) % n];

	switch (rnd(seed) % 6) {
	case 0:
		return x->base;
	case 1:
		return x->base + x->len - 1;
	case 2:
		return x->base + x->len;         /* just past: gap or next window */
	case 3:
		return x->base - 1;
	case 4:
		return rnd(seed);                /* anywhere */
	default:
		return x->base + rnd(seed) % x->len;
	}
}

static void
test_random_vs_scan(void **state)
{
	(void)state;
	enum { MAX = 2000 };
	struct win *w = calloc(MAX, sizeof(*w));
	uint64_t seed = 88172645463325252ull;
	static const unsigned int sizes[] = {1, 2, 3, 7, 8, 9, 64, 1000, MAX};

	assert_non_null(w);
	for (int shape = 0; shape < 5; shape++) {
		for (unsigned int si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			struct mem_wt *t = table_new();
			struct mem_wt_cache c;
			unsigned int n = make_shape(shape, w, sizes[si], &seed);

			for (unsigned int i = 0; i < n; i++)
				assert_int_equal(add(t, w[i].base, w[i].len, w[i].perms), 0);
			mem_wt_cache_init(&c);
			mem_rcu_read_lock();
			/* Every window's first and last byte, and the bytes around. */
			for (unsigned int i = 0; i < n; i++) {
				static const int64_t at[] = {-1, 0, 1};

				for (int e = 0; e < 3; e++) {
					uint64_t a1 = w[i].base + (uint64_t)at[e];
					uint64_t a2 = w[i].base + w[i].len - 1 + (uint64_t)at[e];

					if (scan(w, n, a1, 1, 1) !=
					    (uintptr_t)mem_wt_translate(t, &c, a1, 1, 1) ||
					    scan(w, n, a2, 1, 1) !=
					    (uintptr_t)mem_wt_translate(t, &c, a2, 1, 1))
						fail_msg("shape %d, %u windows: window %u edge %d "
							 "wrong", shape, n, i, e);
				}
			}
			for (int q = 0; q < (n > 100 ? 4000 : 20000); q++) {
				uint64_t addr = probe_addr(w, n, &seed);
				uint64_t len = rnd(&seed) % 4 == 0 ? rnd(&seed) : 1 + rnd(&seed) % 128;
				uint32_t access = 1 + (uint32_t)(rnd(&seed) % 3);
				uint64_t want = scan(w, n, addr, len, access);
				uint64_t got = (uintptr_t)mem_wt_translate(t, &c, addr, len, access);

				if (got != want)
					fail_msg("shape %d, %u windows: 0x%jx+%ju (access %u): "
						 "got 0x%jx, want 0x%jx", shape, n, (uintmax_t)addr,
						 (uintmax_t)len, access, (uintmax_t)got,
						 (uintmax_t)want);
			}
			mem_rcu_read_unlock();
			mem_wt_destroy(t);
		}
	}
	free(w);
}

/* Removal keeps the rest intact: remove every other window, check all. */
static void
test_remove_pattern(void **state)
{
	(void)state;
	enum { N = 500 };
	struct win w[N];
	uint64_t seed = 1234567;
	struct mem_wt *t = table_new();
	struct mem_wt_cache c;
	unsigned int n = make_shape(0, w, N, &seed);

	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(add(t, w[i].base, w[i].len, IDD_MEM_PEER_RW), 0);
	for (unsigned int i = 0; i < n; i += 2)
		assert_int_equal(mem_wt_remove(t, w[i].base), 0);
	assert_int_equal(mem_wt_count(t), n / 2);
	mem_wt_cache_init(&c);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = (i % 2) ? w[i].base + 3 + DELTA : 0;

		assert_int_equal(xl(t, &c, w[i].base + 3, 1, MEM_ACCESS_READ), want);
	}
	mem_wt_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_adjacent),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_cache_invalidation),
		cmocka_unit_test(test_remove_in_read_section),
		cmocka_unit_test(test_random_vs_scan),
		cmocka_unit_test(test_remove_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
