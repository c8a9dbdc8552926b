/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd_mem_register/unregister/window_get: the application's own memfd
 * mappings as windows. What is accepted (and sealed), every refusal with
 * its error code and one log line, overlap with other windows.
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

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "mem_test.h"

#define LEN ((size_t)1 << 20)

struct region {
	int fd;
	unsigned char *p;
	size_t len;
};

/* A memfd of @size bytes, @len of it mapped shared from @offset. */
static struct region
region_make(unsigned int mfd_flags, size_t size, size_t len, off_t offset, int map_flags)
{
	struct region r = {-1, NULL, len};

	r.fd = memfd_create("test-reg", MFD_CLOEXEC | mfd_flags);
	assert_true(r.fd >= 0);
	assert_int_equal(ftruncate(r.fd, (off_t)size), 0);
	r.p = mmap(NULL, len, PROT_READ | PROT_WRITE, map_flags, r.fd, offset);
	assert_true(r.p != MAP_FAILED);
	return r;
}

static void
region_drop(struct region *r)
{
	munmap(r->p, r->len);
	if (r->fd >= 0)
		close(r->fd);
}

static int
setup(void **state)
{
	(void)state;
	mem_capture_log();
	return 0;
}

static void
test_register_ok(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);
	struct idd_mem_window_info info;

	r.p[0] = 7;
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, IDD_MEM_PEER_RW), 0);
	assert_no_refusal();

	assert_int_equal(idd_mem_window_get(r.p + LEN - 1, &info), 0);
	assert_ptr_equal(info.base, r.p);
	assert_int_equal(info.len, LEN);
	assert_int_equal(info.offset, 0);
	assert_int_equal(info.perms, IDD_MEM_PEER_RW);
	assert_int_equal(info.flags & (IDD_MEM_WINDOW_REGISTERED | IDD_MEM_WINDOW_HEAP),
			 IDD_MEM_WINDOW_REGISTERED);
	assert_true(info.fd >= 0 && info.fd != r.fd);
	assert_int_equal(idd_mem_window_get(r.p + LEN, &info), -ENOENT);

	/* Sealed now: the file can neither shrink nor grow, nor be unsealed. */
	int seals = fcntl(r.fd, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_int_equal(ftruncate(r.fd, 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(r.fd, (off_t)LEN * 2), -1);
	assert_int_equal(errno, EPERM);

	/* idd holds its own fd: the application may close its copy. */
	close(r.fd);
	r.fd = -1;
	assert_int_equal(idd_mem_window_get(r.p, &info), 0);
	assert_int_equal(fcntl(info.fd, F_GET_SEALS) & F_SEAL_SHRINK, F_SEAL_SHRINK);
	int idd_fd = info.fd;

	assert_int_equal(idd_mem_unregister(r.p), 0);
	assert_int_equal(idd_mem_window_get(r.p, &info), -ENOENT);
	/* Its duplicate is closed, the memory (the application's) is not. */
	assert_int_equal(fcntl(idd_fd, F_GETFD), -1);
	assert_int_equal(r.p[0], 7);
	assert_int_equal(idd_mem_unregister(r.p), -ENOENT);
	assert_one_refusal("no window starts there");
	region_drop(&r);
}

/* Part of a file, at an offset, with a file larger than the range. */
static void
test_register_offset(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, 4 * LEN, LEN, (off_t)LEN, MAP_SHARED);
	struct idd_mem_window_info info;

	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 2 * LEN, 0), -EINVAL);
	assert_one_refusal("another offset");
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, LEN, IDD_MEM_PEER_READ), 0);
	assert_int_equal(idd_mem_window_get(r.p, &info), 0);
	assert_int_equal(info.offset, LEN);
	assert_int_equal(info.perms, IDD_MEM_PEER_READ);
	assert_int_equal(idd_mem_unregister(r.p), 0);
	/* A sub-range of the mapping is fine too. */
	assert_int_equal(idd_mem_register(r.p + 8192, 8192, r.fd, LEN + 8192, 0), 0);
	assert_int_equal(idd_mem_unregister(r.p + 8192), 0);
	assert_no_refusal();
	region_drop(&r);
}

/* A window that peers may only read seals its file against writing (its
 * receivers could reopen a read-only fd read-write), while the owner's
 * mapping stays writable; a window that peers may write is refused on such
 * a file, and a read-only one on a file already sealed without it. */
static void
test_register_read_only(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, 2 * LEN, 2 * LEN, 0, MAP_SHARED);
	struct region w = region_make(MFD_ALLOW_SEALING, 2 * LEN, 2 * LEN, 0, MAP_SHARED);
	char byte = 1;

	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, IDD_MEM_PEER_READ), 0);
	assert_int_equal(fcntl(r.fd, F_GET_SEALS) & F_SEAL_FUTURE_WRITE, F_SEAL_FUTURE_WRITE);
	assert_true(mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0) == MAP_FAILED);
	assert_int_equal(pwrite(r.fd, &byte, 1, 0), -1);
	r.p[0] = 9; /* the owner's mapping is as it was */
	assert_int_equal(r.p[0], 9);
	assert_int_equal(idd_mem_register(r.p + LEN, LEN, r.fd, LEN, IDD_MEM_PEER_RW), -EPERM);
	assert_one_refusal("sealed against writing");
	assert_int_equal(idd_mem_unregister(r.p), 0);

	/* A file with a window peers may write gets no read-only one. */
	assert_int_equal(idd_mem_register(w.p, LEN, w.fd, 0, IDD_MEM_PEER_WRITE), 0);
	assert_int_equal(idd_mem_register(w.p + LEN, LEN, w.fd, LEN, IDD_MEM_PEER_READ), -EPERM);
	assert_one_refusal("needs a file of its own");
	assert_int_equal(fcntl(w.fd, F_GET_SEALS) & F_SEAL_FUTURE_WRITE, 0);
	/* Private and read-write ones are fine. */
	assert_int_equal(idd_mem_register(w.p + LEN, LEN, w.fd, LEN, 0), 0);
	assert_int_equal(idd_mem_unregister(w.p + LEN), 0);
	assert_int_equal(idd_mem_unregister(w.p), 0);
	assert_no_refusal();
	region_drop(&r);
	region_drop(&w);
}

/* A refusal leaves the fd as it was: the application can mend what was
 * wrong (here, grow the file) and register again. */
static void
test_register_refusal_leaves_fd(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, 4096, LEN, 0, MAP_SHARED);

	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, IDD_MEM_PEER_READ), -EINVAL);
	assert_one_refusal("holds only");
	assert_int_equal(fcntl(r.fd, F_GET_SEALS), 0);
	assert_int_equal(ftruncate(r.fd, (off_t)LEN), 0);
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, IDD_MEM_PEER_READ), 0);
	assert_int_equal(idd_mem_unregister(r.p), 0);
	assert_no_refusal();
	region_drop(&r);
}

static void
test_register_bad_args(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);

	assert_int_equal(idd_mem_register(NULL, LEN, r.fd, 0, 0), -EINVAL);
	assert_one_refusal("NULL");
	assert_int_equal(idd_mem_register(r.p, 0, r.fd, 0, 0), -EINVAL);
	assert_one_refusal("zero length");
	assert_int_equal(idd_mem_register(r.p, SIZE_MAX, r.fd, 0, 0), -EINVAL);
	assert_one_refusal("wraps");
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, UINT64_MAX - 10, 0), -EINVAL);
	assert_one_refusal("wraps");
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, 0x10), -EINVAL);
	assert_one_refusal("permission");
	assert_int_equal(idd_mem_register(r.p, LEN, -1, 0, 0), -EBADF);
	assert_one_refusal("bad fd");
	assert_int_equal(idd_mem_register(r.p + 64, LEN - 4096, r.fd, 64, 0), -EINVAL);
	assert_one_refusal("aligned");
	assert_int_equal(idd_mem_register(r.p, LEN - 4096, r.fd, 1000, 0), -EINVAL);
	assert_one_refusal("aligned");
	/* Larger than the file. */
	assert_int_equal(idd_mem_register(r.p, LEN + 4096, r.fd, 0, 0), -EINVAL);
	assert_one_refusal("holds only");
	/* A closed fd. */
	int spare = dup(r.fd);
	close(spare);
	assert_int_equal(idd_mem_register(r.p, LEN, spare, 0, 0), -EBADF);
	assert_one_refusal("not open");
	region_drop(&r);
}

/* Ranges that are not a shared mapping of the fd at that offset. */
static void
test_register_wrong_mapping(void **state)
{
	(void)state;
	struct region priv = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_PRIVATE);
	struct region a = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);
	struct region b = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);

	assert_int_equal(idd_mem_register(priv.p, LEN, priv.fd, 0, 0), -EINVAL);
	assert_one_refusal("MAP_SHARED");
	assert_int_equal(idd_mem_register(a.p, LEN, b.fd, 0, 0), -EINVAL);
	assert_one_refusal("another file");

	/* Unmapped hole in the middle of the range. */
	assert_int_equal(munmap(a.p + 4 * 4096, 4096), 0);
	assert_int_equal(idd_mem_register(a.p, LEN, a.fd, 0, 0), -EINVAL);
	assert_one_refusal("not mapped");
	/* Heap memory is not the application's fd's either. */
	void *h = idd_mem_alloc(64, 0);
	assert_non_null(h);
	assert_int_equal(idd_mem_register((void *)((uintptr_t)h & ~(uintptr_t)4095), 4096, b.fd, 0,
					  0), -EINVAL);
	assert_one_refusal("another file");
	assert_int_equal(idd_mem_free(h), 0);
	region_drop(&priv);
	munmap(a.p, 4 * 4096);
	munmap(a.p + 5 * 4096, LEN - 5 * 4096);
	close(a.fd);
	region_drop(&b);
}

/* Files that cannot carry the seals. */
static void
test_register_unsealable(void **state)
{
	(void)state;
	/* A memfd without MFD_ALLOW_SEALING starts with F_SEAL_SEAL. */
	struct region r = region_make(0, LEN, LEN, 0, MAP_SHARED);
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, 0), -EPERM);
	assert_one_refusal("can no longer be");
	region_drop(&r);

	/* Sealed by the application with F_SEAL_SEAL only. */
	r = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);
	assert_int_equal(fcntl(r.fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, 0), -EPERM);
	assert_one_refusal("F_SEAL_SHRINK");
	region_drop(&r);

	/* Already carrying all three: accepted as is. */
	r = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);
	assert_int_equal(fcntl(r.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, IDD_MEM_PEER_WRITE), 0);
	assert_int_equal(idd_mem_unregister(r.p), 0);
	region_drop(&r);

	/* A regular file. */
	char path[] = "/tmp/idd-test-reg-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)LEN), 0);
	void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(idd_mem_register(p, LEN, fd, 0, 0), -EPERM);
	assert_one_refusal("cannot carry seals");
	munmap(p, LEN);
	close(fd);
}

static void
test_register_overlap(void **state)
{
	(void)state;
	struct region r = region_make(MFD_ALLOW_SEALING, LEN, LEN, 0, MAP_SHARED);
	struct idd_mem_window_info info;

	assert_int_equal(idd_mem_register(r.p + LEN / 2, LEN / 2, r.fd, LEN / 2, 0), 0);
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, 0), -EEXIST);
	assert_one_refusal("overlaps");
	assert_int_equal(idd_mem_register(r.p + LEN / 2, 4096, r.fd, LEN / 2, 0), -EEXIST);
	assert_one_refusal("overlaps");
	/* Adjacent is fine. */
	assert_int_equal(idd_mem_register(r.p, LEN / 2, r.fd, 0, 0), 0);
	/* Only a window's first byte names it. */
	assert_int_equal(idd_mem_unregister(r.p + 4096), -ENOENT);
	assert_one_refusal("no window starts there");
	assert_int_equal(idd_mem_unregister(r.p + LEN / 2), 0);
	assert_int_equal(idd_mem_unregister(r.p), 0);

	/* The heap's windows: registering one again overlaps, and
	 * unregistering one is refused. */
	void *h = idd_mem_alloc(64, IDD_MEM_PEER_RW);
	assert_non_null(h);
	assert_int_equal(idd_mem_window_get(h, &info), 0);
	assert_int_equal(idd_mem_register(info.base, info.len, info.fd, 0, 0), -EEXIST);
	assert_one_refusal("overlaps");
	assert_int_equal(idd_mem_unregister(info.base), -EINVAL);
	assert_one_refusal("idd_mem_free");
	assert_int_equal(idd_mem_free(h), 0);
	/* Nor is registered memory the heap's to free. */
	assert_int_equal(idd_mem_register(r.p, LEN, r.fd, 0, 0), 0);
	assert_int_equal(idd_mem_free(r.p), -EINVAL);
	assert_one_refusal("not memory from idd_mem_alloc()");
	assert_int_equal(idd_mem_unregister(r.p), 0);
	region_drop(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_ok, setup),
		cmocka_unit_test_setup(test_register_offset, setup),
		cmocka_unit_test_setup(test_register_read_only, setup),
		cmocka_unit_test_setup(test_register_refusal_leaves_fd, setup),
		cmocka_unit_test_setup(test_register_bad_args, setup),
		cmocka_unit_test_setup(test_register_wrong_mapping, setup),
		cmocka_unit_test_setup(test_register_unsealable, setup),
		cmocka_unit_test_setup(test_register_overlap, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
