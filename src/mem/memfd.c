/* SPDX-License-Identifier: BSD-3-Clause */
/* Sealed memfds: create and map the heap's segments (huge pages when they
 * can be reserved), check and seal fds that come from elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <idd/idd_mem.h>

#include "common/log.h"
#include "mem/memfd.h"

size_t
mem_page_size(void)
{
	/* Threads may compute it at once (the control thread importing a
	 * peer's window, an application thread allocating); they store the
	 * same value, and the atomic makes that race a defined one. */
	static _Atomic size_t page;
	size_t p = atomic_load_explicit(&page, memory_order_relaxed);

	if (p == 0) {
		long v = sysconf(_SC_PAGESIZE);

		p = v > 0 ? (size_t)v : 4096;
		atomic_store_explicit(&page, p, memory_order_relaxed);
	}
	return p;
}

static size_t
align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int
mem_map_aligned(int fd, uint64_t offset, size_t len, int prot, size_t align, void **out)
{
	size_t span = len + align;
	int err;

	if (span < len)
		return -ENOMEM;
	/* Reserve enough address space to find an aligned start, then put the
	 * file there and give back the slack on both sides. */
	char *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return -errno;
	char *start = (char *)align_up((uintptr_t)res, align);
	void *p = mmap(start, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		err = errno;
		munmap(res, span);
		return -err;
	}
	if (start > res)
		munmap(res, (size_t)(start - res));
	if (res + span > start + len)
		munmap(start + len, (size_t)(res + span - (start + len)));
	*out = start;
	return 0;
}

static int
seal_new(int fd, int extra_seals)
{
	return fcntl(fd, F_ADD_SEALS, MEM_SEALS_REQUIRED | extra_seals) == 0 ? 0 : -errno;
}

/* Huge pages: memfd_create(MFD_HUGETLB) and ftruncate() succeed whether or
 * not the pool has pages; the shared mmap is what reserves them (we never
 * pass MAP_NORESERVE), so a failure there means "not enough huge pages" and
 * a success means no fault will ever SIGBUS for want of one. */
static int
map_huge(const char *name, size_t len, size_t align, int extra_seals, struct mem_mapping *out)
{
	struct stat st;
	int fd, err;
	void *addr;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (fd < 0) {
		err = errno;
		IDD_LOG(DEBUG, "mem: %s: no hugetlb memfd (%s)", name, strerror(err));
		return -err;
	}
	if (fstat(fd, &st) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	if (st.st_blksize <= 0 || ((size_t)st.st_blksize & ((size_t)st.st_blksize - 1)) != 0) {
		close(fd);
		return -EINVAL;
	}
	size_t hpage = (size_t)st.st_blksize;
	size_t maplen = align_up(len, hpage);
	if (hpage > align)
		align = hpage;

	if (ftruncate(fd, (off_t)maplen) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	err = mem_map_aligned(fd, 0, maplen, PROT_READ | PROT_WRITE, align, &addr);
	if (err != 0) {
		IDD_LOG(DEBUG, "mem: %s: %zu huge pages of %zu KiB not available (mmap: %s)", name,
			maplen / hpage, hpage >> 10, strerror(-err));
		close(fd);
		return err;
	}
	err = seal_new(fd, extra_seals);
	if (err != 0) {
		munmap(addr, maplen);
		close(fd);
		return err;
	}
	*out = (struct mem_mapping){
		.addr = addr, .len = maplen, .page_size = hpage, .fd = fd, .huge = 1};
	return 0;
}

static int
map_normal(const char *name, size_t len, size_t align, int extra_seals, struct mem_mapping *out)
{
	size_t page = mem_page_size();
	size_t maplen = align_up(len, page);
	int fd, err;
	void *addr;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		err = errno;
		IDD_LOG(DEBUG, "mem: %s: memfd_create failed: %s", name, strerror(err));
		return -err;
	}
	if (ftruncate(fd, (off_t)maplen) != 0) {
		err = errno;
		IDD_LOG(DEBUG, "mem: %s: sizing memfd to %zu bytes failed: %s", name, maplen,
			strerror(err));
		close(fd);
		return -err;
	}
	err = mem_map_aligned(fd, 0, maplen, PROT_READ | PROT_WRITE, align, &addr);
	if (err != 0) {
		IDD_LOG(DEBUG, "mem: %s: mapping %zu bytes failed: %s", name, maplen, strerror(-err));
		close(fd);
		return err;
	}
	err = seal_new(fd, extra_seals);
	if (err != 0) {
		IDD_LOG(DEBUG, "mem: %s: sealing failed: %s", name, strerror(-err));
		munmap(addr, maplen);
		close(fd);
		return err;
	}
	*out = (struct mem_mapping){
		.addr = addr, .len = maplen, .page_size = page, .fd = fd, .huge = 0};
	return 0;
}

int
mem_memfd_map(const char *name, size_t len, int allow_huge, size_t align, int extra_seals,
	      struct mem_mapping *out)
{
	if (len == 0 || len > (SIZE_MAX >> 2))
		return -ENOMEM;
	if (align < MEM_MAP_ALIGN)
		align = MEM_MAP_ALIGN;
	if (allow_huge && map_huge(name, len, align, extra_seals, out) == 0) {
		IDD_LOG(DEBUG, "mem: %s: %zu bytes on %zu KiB huge pages at %p", name, out->len,
			out->page_size >> 10, out->addr);
		return 0;
	}
	int err = map_normal(name, len, align, extra_seals, out);
	if (err == 0)
		IDD_LOG(DEBUG, "mem: %s: %zu bytes on %zu KiB pages at %p", name, out->len,
			out->page_size >> 10, out->addr);
	return err;
}

void
mem_memfd_unmap(struct mem_mapping *m)
{
	if (m->addr != NULL)
		munmap(m->addr, m->len);
	if (m->fd >= 0)
		close(m->fd);
	m->addr = NULL;
	m->fd = -1;
}

static const char *
seal_names(int missing, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", (missing & F_SEAL_SHRINK) ? " F_SEAL_SHRINK" : "",
		 (missing & F_SEAL_GROW) ? " F_SEAL_GROW" : "",
		 (missing & F_SEAL_SEAL) ? " F_SEAL_SEAL" : "",
		 (missing & F_SEAL_FUTURE_WRITE) ? " F_SEAL_FUTURE_WRITE" : "");
	return buf;
}

/* The fd's seals, or -errno (logged: @who, refused). */
static int
fd_seals(int fd, const char *who)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0)
		return seals;
	if (errno == EBADF) {
		IDD_LOG(ERR, "%s refused: fd %d is not open", who, fd);
		return -EBADF;
	}
	IDD_LOG(ERR, "%s refused: fd %d cannot carry seals (not a memfd?): %s", who, fd,
		strerror(errno));
	return -EPERM;
}

int
mem_fd_check(int fd, uint64_t offset, uint64_t len, const char *who, size_t *page_size)
{
	char names[64];
	int seals = fd_seals(fd, who);

	if (seals < 0)
		return seals;
	if ((seals & MEM_SEALS_REQUIRED) != MEM_SEALS_REQUIRED) {
		IDD_LOG(ERR, "%s refused: fd %d lacks%s", who, fd,
			seal_names(MEM_SEALS_REQUIRED & ~seals, names, sizeof(names)));
		return -EPERM;
	}
	return mem_fd_fits(fd, offset, len, who, page_size);
}

int
mem_fd_fits(int fd, uint64_t offset, uint64_t len, const char *who, size_t *page_size)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		if (errno == EBADF) {
			IDD_LOG(ERR, "%s refused: fd %d is not open", who, fd);
			return -EBADF;
		}
		IDD_LOG(ERR, "%s refused: fstat of fd %d failed: %s", who, fd, strerror(errno));
		return -EPERM;
	}
	if (!S_ISREG(st.st_mode)) {
		IDD_LOG(ERR, "%s refused: fd %d is not a regular file", who, fd);
		return -EPERM;
	}
	uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (offset > size || len > size - offset) {
		IDD_LOG(ERR, "%s refused: fd %d holds %ju bytes, the window needs %ju at offset %ju",
			who, fd, (uintmax_t)size, (uintmax_t)len, (uintmax_t)offset);
		return -EPERM;
	}
	size_t page = mem_page_size();
	if (st.st_blksize > 0 && (size_t)st.st_blksize > page &&
	    ((size_t)st.st_blksize & ((size_t)st.st_blksize - 1)) == 0)
		page = (size_t)st.st_blksize;
	*page_size = page;
	return 0;
}

int
mem_fd_seal(int fd, uint32_t perms, bool apply, const char *who)
{
	const int no_writes = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	char names[64];
	int seals = fd_seals(fd, who), missing;

	if (seals < 0)
		return seals;
	if ((perms & IDD_MEM_PEER_WRITE) && (seals & no_writes)) {
		IDD_LOG(ERR, "%s refused: fd %d is sealed against writing, so peers could not map "
			     "the window to write it", who, fd);
		return -EPERM;
	}
	missing = MEM_SEALS_REQUIRED & ~seals;
	if (perms == IDD_MEM_PEER_READ && !(seals & no_writes))
		missing |= MEM_SEAL_PEER_READ_ONLY;
	if (missing == 0)
		return 0;
	if (seals & F_SEAL_SEAL) {
		/* Every window's file carries F_SEAL_SEAL: one that had a window
		 * peers may write (or a private one) gets no read-only one. */
		IDD_LOG(ERR, "%s refused: fd %d is sealed without%s and can no longer be%s", who,
			fd, seal_names(missing, names, sizeof(names)),
			missing == MEM_SEAL_PEER_READ_ONLY
				? " (a window that peers may only read needs a file of its own, or "
				  "one whose windows all are)"
				: "");
		return -EPERM;
	}
	if (apply && fcntl(fd, F_ADD_SEALS, missing) != 0) {
		int err = errno;

		IDD_LOG(ERR, "%s refused: sealing fd %d failed: %s", who, fd, strerror(err));
		return -EPERM;
	}
	return 0;
}
