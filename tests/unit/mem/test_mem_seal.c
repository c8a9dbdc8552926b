/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seals: the heap's segments carry F_SEAL_SHRINK | F_SEAL_GROW |
 * F_SEAL_SEAL (truncating or growing them fails), and importing a window
 * refuses, with -EPERM and one log line, any fd a peer could use to make us
 * fault: missing seals, too small, not a memfd. Also the fds idd gives out
 * for a window: read-only ones for read-only windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "mem/mem_local.h"
#include "mem/window_table.h"
#include "mem_test.h"

#define LEN ((size_t)1 << 20)
#define BASE UINT64_C(0x500000000000) /* a peer's address, any will do */

static struct mem_wt *table;

static int
setup(void **state)
{
	(void)state;
	table = mem_wt_create("seal-test");
	assert_non_null(table);
	mem_capture_log();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mem_wt_destroy(table);
	return 0;
}

static int
memfd_sized(unsigned int flags, size_t size, int seals)
{
	int fd = memfd_create("test-seal", MFD_CLOEXEC | flags);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seals != 0)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* Resizes by whole pages of the file (hugetlbfs refuses others with
 * EINVAL before it looks at the seals). */
static void
assert_sealed_fd(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	off_t size = st.st_size, page = st.st_blksize;

	assert_true(size > page);
	assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_int_equal(ftruncate(fd, size - page), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, size + page), -1);
	assert_int_equal(errno, EPERM);
	assert_true(fallocate(fd, 0, size, page) != 0);
	assert_int_equal(errno, EPERM);
	/* No new seal either (F_SEAL_SEAL). */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EPERM);
}

/* Every heap window's fd is sealed, small-block segments and large ones. */
static void
test_heap_segments_sealed(void **state)
{
	(void)state;
	static const size_t sizes[] = {64, 100000, 9 << 20};
	struct idd_mem_window_info info;

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = idd_mem_alloc(sizes[i], IDD_MEM_PEER_RW);

		assert_non_null(p);
		assert_int_equal(idd_mem_window_get(p, &info), 0);
		assert_sealed_fd(info.fd);
		assert_int_equal(idd_mem_free(p), 0);
	}
	assert_no_refusal();
}

static void
test_import_ok(void **state)
{
	(void)state;
	int fd = memfd_sized(MFD_ALLOW_SEALING, LEN, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	unsigned char *own = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct mem_wt_cache c;

	assert_true(own != MAP_FAILED);
	own[LEN - 1] = 0x5a;
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, IDD_MEM_PEER_RW, NULL), 0);
	close(fd); /* the mapping does not need it */
	mem_wt_cache_init(&c);
	mem_rcu_read_lock();
	unsigned char *q = mem_wt_translate(table, &c, BASE + LEN - 1, 1, MEM_ACCESS_READ);
	if (q == NULL) {
		mem_rcu_read_unlock();
		fail_msg("the last byte of the window did not translate");
		return;
	}
	assert_int_equal(*q, 0x5a);
	*q = 0xa5;
	mem_rcu_read_unlock();
	assert_int_equal(own[LEN - 1], 0xa5);
	assert_int_equal(mem_wt_remove(table, BASE), 0);
	munmap(own, LEN);
	assert_no_refusal();
}

static void
test_import_unsealed(void **state)
{
	(void)state;
	static const struct {
		int seals;
		const char *missing;
	} cases[] = {
		{0, "F_SEAL_SHRINK F_SEAL_GROW F_SEAL_SEAL"},
		{F_SEAL_GROW | F_SEAL_SEAL, "F_SEAL_SHRINK"},
		{F_SEAL_SHRINK | F_SEAL_SEAL, "F_SEAL_GROW"},
		{F_SEAL_SHRINK | F_SEAL_GROW, "F_SEAL_SEAL"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = memfd_sized(MFD_ALLOW_SEALING, LEN, cases[i].seals);

		assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, IDD_MEM_PEER_RW, NULL),
				 -EPERM);
		assert_one_refusal(cases[i].missing);
		close(fd);
	}
	/* Without MFD_ALLOW_SEALING a memfd has F_SEAL_SEAL and nothing else. */
	int fd = memfd_sized(0, LEN, 0);
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, IDD_MEM_PEER_READ, NULL), -EPERM);
	assert_one_refusal("lacks F_SEAL_SHRINK F_SEAL_GROW");
	close(fd);
	assert_int_equal(mem_wt_count(table), 0);
}

static void
test_import_too_small(void **state)
{
	(void)state;
	int fd = memfd_sized(MFD_ALLOW_SEALING, LEN, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);

	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN + 1, IDD_MEM_PEER_RW, NULL),
			 -EPERM);
	assert_one_refusal("holds 1048576 bytes");
	assert_int_equal(mem_wt_import(table, fd, 4096, BASE, LEN, IDD_MEM_PEER_RW, NULL), -EPERM);
	assert_one_refusal("holds 1048576 bytes");
	assert_int_equal(mem_wt_import(table, fd, 2 * LEN, BASE, 4096, IDD_MEM_PEER_RW, NULL),
			 -EPERM);
	assert_one_refusal("holds 1048576 bytes");
	/* Exactly the size, at an offset: fine. */
	assert_int_equal(mem_wt_import(table, fd, 4096, BASE, LEN - 4096, IDD_MEM_PEER_RW, NULL),
			 0);
	assert_int_equal(mem_wt_remove(table, BASE), 0);
	close(fd);
	assert_no_refusal();
}

static void
test_import_not_memfd(void **state)
{
	(void)state;
	char path[] = "/tmp/idd-test-seal-XXXXXX";
	int fd = mkstemp(path);
	int pipefd[2];

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)LEN), 0);
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, IDD_MEM_PEER_RW, NULL), -EPERM);
	assert_one_refusal("cannot carry seals");
	close(fd);

	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(mem_wt_import(table, pipefd[0], 0, BASE, 4096, IDD_MEM_PEER_READ, NULL),
			 -EPERM);
	assert_one_refusal("cannot carry seals");
	close(pipefd[0]);
	close(pipefd[1]);

	assert_int_equal(mem_wt_import(table, pipefd[0], 0, BASE, 4096, IDD_MEM_PEER_READ, NULL),
			 -EBADF);
	assert_one_refusal("not open");
}

static void
test_import_bad_args(void **state)
{
	(void)state;
	int fd = memfd_sized(MFD_ALLOW_SEALING, LEN, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);

	assert_int_equal(mem_wt_import(table, fd, 0, BASE, 0, IDD_MEM_PEER_RW, NULL), -EINVAL);
	assert_one_refusal("bad range");
	assert_int_equal(mem_wt_import(table, fd, 0, UINT64_MAX - 4095, 8192, IDD_MEM_PEER_RW,
				       NULL), -EINVAL);
	assert_one_refusal("bad range");
	assert_int_equal(mem_wt_import(table, fd, UINT64_MAX - 100, BASE, 4096, IDD_MEM_PEER_RW,
				       NULL), -EINVAL);
	assert_one_refusal("bad range");
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, 0, NULL), -EINVAL);
	assert_one_refusal("permissions");
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, 4, NULL), -EINVAL);
	assert_one_refusal("permissions");
	assert_int_equal(mem_wt_import(table, fd, 0, BASE + 64, 4096, IDD_MEM_PEER_RW, NULL),
			 -EINVAL);
	assert_one_refusal("aligned");
	assert_int_equal(mem_wt_import(table, fd, 100, BASE, 4096, IDD_MEM_PEER_RW, NULL), -EINVAL);
	assert_one_refusal("aligned");

	/* Overlap with an imported window. */
	assert_int_equal(mem_wt_import(table, fd, 0, BASE, LEN, IDD_MEM_PEER_RW, NULL), 0);
	assert_int_equal(mem_wt_import(table, fd, 0, BASE + LEN - 4096, 8192, IDD_MEM_PEER_RW,
				       NULL), -EEXIST);
	assert_one_refusal("overlaps");
	assert_int_equal(mem_wt_import(table, fd, 0, BASE - 4096, 8192, IDD_MEM_PEER_RW, NULL),
			 -EEXIST);
	assert_one_refusal("overlaps");
	assert_int_equal(mem_wt_import(table, fd, 0, BASE + LEN, 8192, IDD_MEM_PEER_RW, NULL), 0);
	assert_int_equal(mem_wt_count(table), 2);
	assert_int_equal(mem_wt_remove(table, BASE + 4096), -ENOENT);
	assert_int_equal(mem_wt_remove(table, BASE), 0);
	assert_int_equal(mem_wt_remove(table, BASE + LEN), 0);
	close(fd);
}

/* A read-only fd cannot back a writable window. */
static void
test_import_readonly_fd(void **state)
{
	(void)state;
	int fd = memfd_sized(MFD_ALLOW_SEALING, LEN, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_int_equal(mem_wt_import(table, ro, 0, BASE, LEN, IDD_MEM_PEER_WRITE, NULL), -EPERM);
	assert_one_refusal("does not allow write");
	assert_int_equal(mem_wt_import(table, ro, 0, BASE, LEN, IDD_MEM_PEER_READ, NULL), 0);
	assert_int_equal(mem_wt_remove(table, BASE), 0);
	close(ro);
	close(fd);
}

/* What idd hands a peer for its own windows. */
static void
test_export_fd(void **state)
{
	(void)state;
	struct idd_mem_window_info info;
	void *r = idd_mem_alloc(64, IDD_MEM_PEER_READ);
	void *rw = idd_mem_alloc(64, IDD_MEM_PEER_RW);
	void *priv = idd_mem_alloc(64, 0);

	assert_non_null(r);
	assert_non_null(rw);
	assert_non_null(priv);

	/* Read-only window: a read-only fd, which cannot be mapped writable. */
	assert_int_equal(idd_mem_window_get(r, &info), 0);
	int fd = mem_local_export_fd(info.id);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m == MAP_FAILED);
	assert_int_equal(errno, EACCES);
	assert_int_equal(mem_wt_import(table, fd, 0, (uintptr_t)info.base, info.len,
				       IDD_MEM_PEER_READ, NULL), 0);
	assert_int_equal(mem_wt_remove(table, (uintptr_t)info.base), 0);
	/* Nor through a read-write fd its receiver opens anew (a memfd is
	 * mode 0777): the file is sealed against writing, while the owner's
	 * own mapping stays writable. */
	{
		char path[64];
		char byte = 'x';
		int rw_again;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rw_again = open(path, O_RDWR | O_CLOEXEC);
		assert_true(rw_again >= 0);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw_again, 0);
		assert_true(m == MAP_FAILED);
		assert_int_equal(errno, EPERM);
		assert_int_equal(pwrite(rw_again, &byte, 1, 0), -1);
		assert_int_equal(errno, EPERM);
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rw_again, 0);
		assert_true(m != MAP_FAILED);
		assert_int_equal(mprotect(m, 4096, PROT_READ | PROT_WRITE), -1);
		munmap(m, 4096);
		close(rw_again);
		memset(r, 0x5a, 64);
		assert_int_equal(((volatile char *)r)[63], 0x5a);
	}
	close(fd);

	/* Read-write window: a read-write fd. */
	assert_int_equal(idd_mem_window_get(rw, &info), 0);
	fd = mem_local_export_fd(info.id);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);

	/* Private memory is never given out; nor are unknown ids. */
	assert_int_equal(idd_mem_window_get(priv, &info), 0);
	assert_int_equal(mem_local_export_fd(info.id), -ENOENT);
	assert_int_equal(mem_local_export_fd(UINT64_MAX), -ENOENT);

	assert_int_equal(idd_mem_free(r), 0);
	assert_int_equal(idd_mem_free(rw), 0);
	assert_int_equal(idd_mem_free(priv), 0);
	assert_no_refusal();
}

/* Window events for the control plane: replay at listen, then one event
 * per change, private windows left out. */
struct seen_events {
	unsigned int added, removed;
	uint64_t last_id;
	int last_added;
};

static void
on_window(void *ctx, const struct mem_window_desc *w, int added)
{
	struct seen_events *s = ctx;

	assert_true(w->perms != 0);
	if (added)
		s->added++;
	else
		s->removed++;
	s->last_id = w->id;
	s->last_added = added;
}

static void
test_window_events(void **state)
{
	(void)state;
	struct seen_events ev = {0};
	struct idd_mem_window_info info;
	void *keep = idd_mem_alloc(64, IDD_MEM_PEER_RW);

	assert_non_null(keep);
	unsigned int shared = mem_local_windows(NULL, 0);
	assert_true(shared >= 1);
	assert_int_equal(mem_local_listen(on_window, &ev), 0);
	assert_int_equal(ev.added, shared);

	memset(&ev, 0, sizeof(ev));
	void *big = idd_mem_alloc(9 << 20, IDD_MEM_PEER_WRITE);
	assert_non_null(big);
	assert_int_equal(idd_mem_window_get(big, &info), 0);
	assert_int_equal(ev.added, 1);
	assert_int_equal(ev.last_id, info.id);
	assert_int_equal(idd_mem_free(big), 0);
	assert_int_equal(ev.removed, 1);
	assert_int_equal(ev.last_id, info.id);
	assert_int_equal(ev.last_added, 0);

	/* Private large block: no event. */
	void *hidden = idd_mem_alloc(9 << 20, 0);
	assert_non_null(hidden);
	assert_int_equal(idd_mem_free(hidden), 0);
	assert_int_equal(ev.added, 1);
	assert_int_equal(ev.removed, 1);

	mem_local_unlisten(on_window, &ev);
	big = idd_mem_alloc(9 << 20, IDD_MEM_PEER_WRITE);
	assert_non_null(big);
	assert_int_equal(idd_mem_free(big), 0);
	assert_int_equal(ev.added, 1);
	assert_int_equal(idd_mem_free(keep), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heap_segments_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_unsealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_not_memfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_readonly_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
