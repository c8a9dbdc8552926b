/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd_mem_alloc/free: every size range (classes, page runs, own segments),
 * alignment, reuse, the window count staying small, permissions choosing
 * the segment, many threads freeing each other's blocks, fork.
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
#include <sys/wait.h>

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "mem/heap.h"
#include "mem_test.h"

static unsigned int
local_windows(void)
{
	return mem_wt_count(mem_local_table());
}

/* The window holding p must cover [p, p + len) with these perms. */
static void
assert_in_window(const void *p, size_t len, unsigned int perms)
{
	struct idd_mem_window_info info;

	assert_int_equal(idd_mem_window_get(p, &info), 0);
	assert_true((uintptr_t)info.base <= (uintptr_t)p);
	assert_true((uintptr_t)p + len <= (uintptr_t)info.base + info.len);
	assert_int_equal(info.perms, perms);
	assert_true(info.flags & IDD_MEM_WINDOW_HEAP);
	assert_true(info.fd >= 0);
}

/* Marks at the first, middle and last byte; where they coincide, the
 * first one wins. */
static void
fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *b = p;

	b[len - 1] = (unsigned char)(seed * 7 + 1);
	b[len / 2] = (unsigned char)(seed * 13 + 5);
	b[0] = (unsigned char)seed;
}

static void
check(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *b = p;

	assert_int_equal(b[0], (unsigned char)seed);
	if (len / 2 != 0)
		assert_int_equal(b[len / 2], (unsigned char)(seed * 13 + 5));
	if (len - 1 != 0 && len - 1 != len / 2)
		assert_int_equal(b[len - 1], (unsigned char)(seed * 7 + 1));
}

static void
test_sizes(void **state)
{
	(void)state;
	static const size_t sizes[] = {
		1, 2, 63, 64, 65, 127, 128, 129, 500, 512, 513, 640, 641, 1000, 1024, 1025,
		2047, 2048, 4095, 4096, 4097, 5000, 8192, 8193, 16384, 30000, 32767, 32768,
		32769, 40000, 65536, 100000, 1 << 20, (1 << 20) + 1, (4 << 20) - 1, (8 << 20) - 1,
		8 << 20, (8 << 20) + 1, 20 << 20,
	};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	void *p[N];

	mem_capture_log();
	for (unsigned int i = 0; i < N; i++) {
		p[i] = idd_mem_alloc(sizes[i], IDD_MEM_PEER_RW);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % IDD_MEM_ALIGN_MIN, 0);
		assert_in_window(p[i], sizes[i], IDD_MEM_PEER_RW);
		fill(p[i], sizes[i], i);
	}
	/* No block overlaps another: every pattern is intact. */
	for (unsigned int i = 0; i < N; i++)
		check(p[i], sizes[i], i);
	for (unsigned int i = 0; i < N; i++)
		assert_int_equal(idd_mem_free(p[i]), 0);
	assert_no_refusal();
}

static void
test_size_classes(void **state)
{
	(void)state;
	/* Every class boundary maps to the smallest class that holds it. */
	for (size_t len = 1; len <= MEM_SMALL_MAX; len++) {
		uint32_t c = mem_size_class(len);

		assert_true(c < MEM_NCLASS);
		assert_true(mem_class_size[c] >= len);
		if (c > 0)
			assert_true(mem_class_size[c - 1] < len);
		assert_int_equal(mem_class_size[c] % 64, 0);
	}
}

static void
test_alignment(void **state)
{
	(void)state;
	static const size_t lens[] = {1, 100, 4096, 5000, 100000, 3 << 20, 9 << 20};

	mem_capture_log();
	for (size_t align = 1; align <= IDD_MEM_ALIGN_MAX; align <<= 1) {
		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			void *p = idd_mem_alloc_aligned(lens[i], align, IDD_MEM_PEER_READ);
			size_t want = align < IDD_MEM_ALIGN_MIN ? IDD_MEM_ALIGN_MIN : align;

			assert_non_null(p);
			if ((uintptr_t)p % want != 0)
				fail_msg("%zu bytes aligned %zu: got %p", lens[i], align, p);
			assert_in_window(p, lens[i], IDD_MEM_PEER_READ);
			fill(p, lens[i], (unsigned int)align);
			check(p, lens[i], (unsigned int)align);
			assert_int_equal(idd_mem_free(p), 0);
		}
	}
	assert_no_refusal();
}

static void
test_reuse(void **state)
{
	(void)state;
	void *first = idd_mem_alloc(256, IDD_MEM_PEER_RW);
	unsigned int windows;

	assert_non_null(first);
	assert_int_equal(idd_mem_free(first), 0);
	windows = local_windows();
	/* A freed block is handed out again; nothing grows. */
	for (int i = 0; i < 100000; i++) {
		void *p = idd_mem_alloc(256, IDD_MEM_PEER_RW);

		assert_ptr_equal(p, first);
		assert_int_equal(idd_mem_free(p), 0);
	}
	for (int i = 0; i < 2000; i++) {
		void *p = idd_mem_alloc(200000, IDD_MEM_PEER_RW);

		assert_non_null(p);
		assert_int_equal(idd_mem_free(p), 0);
	}
	assert_int_equal(local_windows(), windows);
}

/* Many buffers, few windows: segments are windows, buffers are not. */
static void
test_window_count(void **state)
{
	(void)state;
	enum { N = 20000 };
	void **p = calloc(N, sizeof(*p));
	unsigned int before = local_windows();

	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		p[i] = idd_mem_alloc((size_t)(64 + (i % 40) * 50), IDD_MEM_PEER_RW);
		assert_non_null(p[i]);
	}
	/* 20000 blocks of at most 2 KiB: under 64 MiB, at most one new segment. */
	assert_true(local_windows() <= before + 1);
	for (int i = 0; i < N; i++)
		assert_int_equal(idd_mem_free(p[i]), 0);
	free(p);
}

/* Page runs merge back: after freeing a segment's worth of runs, one run
 * of half a segment fits without a new segment. */
static void
test_runs_coalesce(void **state)
{
	(void)state;
	enum { N = 200 };
	void *p[N];

	/* Fill whatever segment holds free pages first. */
	for (int i = 0; i < N; i++) {
		p[i] = idd_mem_alloc(100 << 10, IDD_MEM_PEER_WRITE);
		assert_non_null(p[i]);
	}
	unsigned int windows = local_windows();
	for (int i = 0; i < N; i += 2)
		assert_int_equal(idd_mem_free(p[i]), 0);
	for (int i = 1; i < N; i += 2)
		assert_int_equal(idd_mem_free(p[i]), 0);
	void *big = idd_mem_alloc((4 << 20) + 12345, IDD_MEM_PEER_WRITE);
	assert_non_null(big);
	assert_int_equal(local_windows(), windows);
	assert_int_equal(idd_mem_free(big), 0);
}

static void
test_large_own_window(void **state)
{
	(void)state;
	struct idd_mem_window_info info;
	unsigned int before = local_windows();
	size_t len = (10 << 20) + 1;
	unsigned char *p = idd_mem_alloc(len, IDD_MEM_PEER_READ);

	assert_non_null(p);
	assert_int_equal(local_windows(), before + 1);
	assert_int_equal(idd_mem_window_get(p + len - 1, &info), 0);
	assert_ptr_equal(info.base, p);
	assert_true(info.len >= len);
	assert_int_equal(info.perms, IDD_MEM_PEER_READ);
	p[0] = 1;
	p[len - 1] = 2;
	assert_int_equal(idd_mem_free(p), 0);
	assert_int_equal(local_windows(), before);
	assert_int_equal(idd_mem_window_get(p, &info), -ENOENT);
}

static void
test_perms_choose_segment(void **state)
{
	(void)state;
	void *p[4];
	struct idd_mem_window_info info[4];

	for (unsigned int perms = 0; perms < 4; perms++) {
		p[perms] = idd_mem_alloc(1000, perms);
		assert_non_null(p[perms]);
		assert_int_equal(idd_mem_window_get(p[perms], &info[perms]), 0);
		assert_int_equal(info[perms].perms, perms);
	}
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int j = i + 1; j < 4; j++)
			assert_true(info[i].base != info[j].base);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(idd_mem_free(p[i]), 0);
}

/* Threads take turns on shared slots: whoever finds a block checks its
 * pattern and frees it (often not the thread that allocated it). */
#define SLOTS 512
#define THREADS 4
#define ROUNDS 30000

static struct {
	pthread_mutex_t lock;
	void *p;
	size_t len;
	unsigned int seed;
} slots[SLOTS];

static size_t
pick_size(unsigned int *rnd)
{
	unsigned int r = (unsigned int)rand_r(rnd);

	switch ((unsigned int)rand_r(rnd) % 16) {
	case 0:
		return 33000 + r % 300000;           /* page runs */
	case 1:
		return 4096 + r % 28672;             /* big classes */
	default:
		return 1 + r % 4096;                 /* small classes */
	}
}

static void *
worker(void *arg)
{
	unsigned int rnd = (unsigned int)(uintptr_t)arg;
	int errors = 0;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned int s = (unsigned int)rand_r(&rnd) % SLOTS;
		unsigned int perms = (unsigned int)rand_r(&rnd) % 2 ? IDD_MEM_PEER_RW : 0;

		pthread_mutex_lock(&slots[s].lock);
		if (slots[s].p != NULL) {
			const unsigned char *b = slots[s].p;

			if (b[slots[s].len - 1] != (unsigned char)(slots[s].seed >> 8) ||
			    b[0] != (unsigned char)slots[s].seed)
				errors++;
			if (idd_mem_free(slots[s].p) != 0)
				errors++;
			slots[s].p = NULL;
		} else {
			size_t len = pick_size(&rnd);
			unsigned char *b = idd_mem_alloc(len, perms);

			if (b == NULL) {
				errors++;
			} else {
				slots[s].seed = (unsigned int)rand_r(&rnd);
				/* Same byte when len is 1: make both marks agree. */
				if (len == 1)
					slots[s].seed = (slots[s].seed & ~0xffu) |
							((slots[s].seed >> 8) & 0xffu);
				b[0] = (unsigned char)slots[s].seed;
				b[len - 1] = (unsigned char)(slots[s].seed >> 8);
				slots[s].p = b;
				slots[s].len = len;
			}
		}
		pthread_mutex_unlock(&slots[s].lock);
	}
	return (void *)(intptr_t)errors;
}

static void
test_threads(void **state)
{
	(void)state;
	pthread_t th[THREADS];

	mem_capture_log();
	for (int i = 0; i < SLOTS; i++)
		pthread_mutex_init(&slots[i].lock, NULL);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)), 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_int_equal((intptr_t)ret, 0);
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].p != NULL)
			assert_int_equal(idd_mem_free(slots[i].p), 0);
		slots[i].p = NULL;
		pthread_mutex_destroy(&slots[i].lock);
	}
	assert_no_refusal();
}

static long
meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* Where huge pages are reserved, a large block gets them (and every byte
 * of it can be touched); where none are, it falls back to normal pages.
 * Either way the window says which. */
static void
test_huge_pages(void **state)
{
	(void)state;
	struct idd_mem_window_info info;
	long free_huge = meminfo("HugePages_Free:");
	long huge_kb = meminfo("Hugepagesize:");
	size_t len = 10 << 20;
	unsigned char *p = idd_mem_alloc(len, IDD_MEM_PEER_RW);

	assert_non_null(p);
	assert_int_equal(idd_mem_window_get(p, &info), 0);
	if (free_huge >= (long)(len >> 10) / huge_kb && huge_kb == 2048) {
		assert_true(info.flags & IDD_MEM_WINDOW_HUGE);
		assert_int_equal(info.page_size, 2 << 20);
	} else {
		assert_false(info.flags & IDD_MEM_WINDOW_HUGE);
		assert_int_equal(info.page_size, (size_t)sysconf(_SC_PAGESIZE));
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (unsigned char)i;
	assert_int_equal(idd_mem_free(p), 0);
	if (free_huge < 5)
		skip(); /* the huge-page half of the test did not run here */
}

/* A forked child shares the parent's blocks but does not own them: its
 * frees are refused, its own allocations come from new segments. */
static void
test_fork_child(void **state)
{
	(void)state;
	unsigned char *p = idd_mem_alloc(100, IDD_MEM_PEER_RW);
	int status;

	assert_non_null(p);
	p[0] = 1;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct idd_mem_window_info info;
		int bad = 0;

		idd_log_set_sink(NULL, NULL);
		idd_log_set_level(IDD_LOG_ERR);
		p[0] = 42; /* shared with the parent */
		if (idd_mem_window_get(p, &info) != -ENOENT)
			bad |= 1;
		if (idd_mem_free(p) != -EINVAL)
			bad |= 2;
		unsigned char *q = idd_mem_alloc(100, IDD_MEM_PEER_RW);
		if (q == NULL || q == p || idd_mem_window_get(q, &info) != 0)
			bad |= 4;
		if (q != NULL && idd_mem_free(q) != 0)
			bad |= 8;
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(p[0], 42);
	assert_int_equal(idd_mem_free(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_classes),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_window_count),
		cmocka_unit_test(test_runs_coalesce),
		cmocka_unit_test(test_large_own_window),
		cmocka_unit_test(test_perms_choose_segment),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fork_child),
		cmocka_unit_test(test_huge_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
