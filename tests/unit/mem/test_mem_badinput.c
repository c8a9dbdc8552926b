/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bad input to the allocator: every refusal returns the documented error,
 * logs exactly one line that says why, and changes nothing (the heap goes
 * on working, the block that was wrongly freed is still usable).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "mem_test.h"

static int
setup(void **state)
{
	(void)state;
	mem_capture_log();
	return 0;
}

static void
test_zero_length(void **state)
{
	(void)state;
	errno = 0;
	assert_null(idd_mem_alloc(0, IDD_MEM_PEER_RW));
	assert_int_equal(errno, EINVAL);
	assert_one_refusal("zero length");
	errno = 0;
	assert_null(idd_mem_alloc_aligned(0, 4096, 0));
	assert_int_equal(errno, EINVAL);
	assert_one_refusal("zero length");
}

static void
test_bad_flags(void **state)
{
	(void)state;
	errno = 0;
	assert_null(idd_mem_alloc(64, 1u << 7));
	assert_int_equal(errno, EINVAL);
	assert_one_refusal("unknown flag");
	errno = 0;
	assert_null(idd_mem_alloc(1 << 20, ~0u));
	assert_int_equal(errno, EINVAL);
	assert_one_refusal("unknown flag");
}

static void
test_bad_alignment(void **state)
{
	(void)state;
	static const size_t bad[] = {0, 3, 96, 4097, IDD_MEM_ALIGN_MAX * 2, SIZE_MAX};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(idd_mem_alloc_aligned(100, bad[i], IDD_MEM_PEER_READ));
		assert_int_equal(errno, EINVAL);
		assert_one_refusal("alignment");
	}
}

static void
test_too_large(void **state)
{
	(void)state;
	errno = 0;
	assert_null(idd_mem_alloc(SIZE_MAX, 0));
	assert_int_equal(errno, ENOMEM);
	assert_one_refusal("too large");
	errno = 0;
	assert_null(idd_mem_alloc(SIZE_MAX - 4095, IDD_MEM_PEER_RW));
	assert_int_equal(errno, ENOMEM);
	assert_one_refusal("too large");
}

static void
test_free_null(void **state)
{
	(void)state;
	assert_int_equal(idd_mem_free(NULL), 0);
	assert_no_refusal();
}

static void
test_free_foreign(void **state)
{
	(void)state;
	char on_stack[64];
	void *from_malloc = malloc(64);
	static char in_data[64];

	assert_non_null(from_malloc);
	assert_int_equal(idd_mem_free(from_malloc), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	assert_int_equal(idd_mem_free(on_stack), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	assert_int_equal(idd_mem_free(in_data), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	assert_int_equal(idd_mem_free((void *)(uintptr_t)UINT64_C(0xffff800000000000)), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	assert_int_equal(idd_mem_free((void *)(uintptr_t)4096), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	free(from_malloc);
}

/* Pointers inside idd memory that are not the start of a block: refused,
 * and the block itself is untouched and frees fine afterwards. */
static void
test_free_interior(void **state)
{
	(void)state;
	static const size_t sizes[] = {64, 640, 5000, 40000, 1 << 20, 9 << 20};

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = idd_mem_alloc(sizes[i], IDD_MEM_PEER_RW);

		assert_non_null(p);
		memset(p, 0xa5, sizes[i]);
		assert_int_equal(idd_mem_free(p + 1), -EINVAL);
		assert_one_refusal("not the start of a block");
		assert_int_equal(idd_mem_free(p + sizes[i] / 2 + 1), -EINVAL);
		assert_one_refusal("not the start of a block");
		if (sizes[i] >= 8192) {
			/* a page boundary inside the block */
			assert_int_equal(idd_mem_free(p + 4096), -EINVAL);
			assert_one_refusal("not the start of a block");
		}
		assert_int_equal(p[0], 0xa5);
		assert_int_equal(p[sizes[i] - 1], 0xa5);
		assert_int_equal(idd_mem_free(p), 0);
		assert_no_refusal();
	}
}

/* Free space in a segment: pages no block owns, and the tail of a slab
 * that is too short for a block. */
static void
test_free_unallocated(void **state)
{
	(void)state;
	unsigned char *p = idd_mem_alloc(40000, IDD_MEM_PEER_WRITE);
	struct idd_mem_window_info info;

	assert_non_null(p);
	assert_int_equal(idd_mem_window_get(p, &info), 0);
	/* The last page of the segment is free in a fresh heap segment. */
	unsigned char *last = (unsigned char *)info.base + info.len - 4096;
	assert_int_equal(idd_mem_free(last), -EINVAL);
	assert_one_refusal("not allocated");
	assert_int_equal(idd_mem_free(p), 0);

	/* 5120-byte blocks: 12 in a 64 KiB slab, then 4 KiB that is no block. */
	unsigned char *q = idd_mem_alloc(5000, IDD_MEM_PEER_WRITE);
	assert_non_null(q);
	uintptr_t slab = (uintptr_t)q & ~(uintptr_t)0xffff;
	assert_int_equal(idd_mem_free((void *)(slab + 12 * 5120)), -EINVAL);
	assert_one_refusal("not the start of a block");
	assert_int_equal(idd_mem_free(q), 0);
}

static void
test_double_free(void **state)
{
	(void)state;
	static const size_t sizes[] = {64, 4096, 32768, 40000, 3 << 20, 9 << 20};

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = idd_mem_alloc(sizes[i], IDD_MEM_PEER_READ);

		assert_non_null(p);
		assert_int_equal(idd_mem_free(p), 0);
		assert_int_equal(idd_mem_free(p), -EINVAL);
		/* Small blocks and page runs say "free"; a large block's
		 * segment is gone, so its address is simply not ours. */
		if (sizes[i] >= (8 << 20))
			assert_one_refusal("not memory from idd_mem_alloc()");
		else
			assert_one_refusal("free");
	}
	/* The heap still works, and hands out what was freed. */
	void *a = idd_mem_alloc(64, IDD_MEM_PEER_READ);
	assert_non_null(a);
	assert_int_equal(idd_mem_free(a), 0);
	assert_no_refusal();
}

/* Double frees of blocks sitting in the thread cache and of blocks that
 * went back to their class (the cache flushes when full). */
static void
test_double_free_many(void **state)
{
	(void)state;
	enum { N = 1000 };
	void *p[N];

	for (int i = 0; i < N; i++) {
		p[i] = idd_mem_alloc(128, 0);
		assert_non_null(p[i]);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(idd_mem_free(p[i]), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(idd_mem_free(p[i]), -EINVAL);
		assert_one_refusal("already free");
	}
}

/* Out of file descriptors: a new segment cannot be made. The call fails
 * with the errno of memfd_create, the heap stays usable, and what was
 * allocated frees. In a child, so the limit stays there. */
static void
test_out_of_fds(void **state)
{
	(void)state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		void *blocks[64];
		int n = 0, bad = 0;

		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(100);
		int fd = dup(0); /* the lowest free fd: everything below is open */
		close(fd);
		rl.rlim_cur = (rlim_t)fd + 4;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(101);
		for (; n < 64; n++) {
			errno = 0;
			blocks[n] = idd_mem_alloc(8 << 20, IDD_MEM_PEER_RW);
			if (blocks[n] == NULL)
				break;
		}
		if (n == 0 || n == 64)
			bad |= 1;           /* some fit, then the limit */
		if (n < 64 && errno != EMFILE)
			bad |= 2;
		for (int i = 0; i < n; i++)
			if (idd_mem_free(blocks[i]) != 0)
				bad |= 4;
		/* Fds are back: one more large block works again. */
		void *again = idd_mem_alloc(8 << 20, IDD_MEM_PEER_RW);
		if (again == NULL || idd_mem_free(again) != 0)
			bad |= 8;
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	mem_seen_reset();
}

/* The window query: an address in no window, and a NULL result. */
static void
test_window_query_bad(void **state)
{
	(void)state;
	struct idd_mem_window_info info;
	int x = 0;

	assert_int_equal(idd_mem_window_get(&x, &info), -ENOENT);
	assert_no_refusal();
	void *p = idd_mem_alloc(64, 0);
	assert_non_null(p);
	assert_int_equal(idd_mem_window_get(p, NULL), -EINVAL);
	assert_one_refusal("NULL");
	assert_int_equal(idd_mem_free(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_zero_length, setup),
		cmocka_unit_test_setup(test_bad_flags, setup),
		cmocka_unit_test_setup(test_bad_alignment, setup),
		cmocka_unit_test_setup(test_too_large, setup),
		cmocka_unit_test_setup(test_free_null, setup),
		cmocka_unit_test_setup(test_free_foreign, setup),
		cmocka_unit_test_setup(test_free_interior, setup),
		cmocka_unit_test_setup(test_free_unallocated, setup),
		cmocka_unit_test_setup(test_double_free, setup),
		cmocka_unit_test_setup(test_double_free_many, setup),
		cmocka_unit_test_setup(test_window_query_bad, setup),
		cmocka_unit_test_setup(test_out_of_fds, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
