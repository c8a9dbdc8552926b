/* SPDX-License-Identifier: BSD-3-Clause */
/* Application memory as windows (idd_mem_register/unregister), and the
 * window query. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <idd/idd_mem.h>

#include "common/log.h"
#include "mem/heap.h"

static void
registered_release(struct mem_wt_rec *rec)
{
	close(rec->fd);
	free(rec);
}

/*
 * Is [addr, addr + len) a shared mapping of the file (dev, ino) at
 * @offset? Walks /proc/self/maps: 1 yes, 0 no (*why says what), -1 cannot
 * tell (no /proc).
 */
static int
check_mapping(uintptr_t addr, uint64_t len, dev_t dev, ino_t ino, uint64_t offset,
	      const char **why)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	uintptr_t next = addr;
	uint64_t end = addr + len;
	int ok = 0;

	if (f == NULL)
		return -1;
	*why = "not mapped";
	while (next < end && fgets(line, sizeof(line), f) != NULL) {
		unsigned long start, stop, inode;
		unsigned long long off;
		unsigned int maj, min;
		char prot[8];

		if (sscanf(line, "%lx-%lx %7s %llx %x:%x %lu", &start, &stop, prot, &off, &maj,
			   &min, &inode) != 7)
			continue;
		if (stop <= next || start > next)
			continue; /* maps is sorted: skip until the line holding next */
		if (prot[3] != 's') {
			*why = "not a shared mapping (MAP_SHARED)";
			break;
		}
		if (inode != (unsigned long)ino || makedev(maj, min) != dev) {
			*why = "mapped from another file than the fd";
			break;
		}
		if (off + (next - start) != offset + (next - addr)) {
			*why = "mapped from another offset of the fd";
			break;
		}
		next = stop;
	}
	fclose(f);
	if (next >= end)
		ok = 1;
	return ok;
}

int
idd_mem_register(void *addr, size_t len, int fd, uint64_t offset, unsigned int perms)
{
	uintptr_t a = (uintptr_t)addr;
	struct stat st;
	char who[128];
	size_t page;
	int err;

	snprintf(who, sizeof(who), "mem: register of %p+%zu (fd %d, offset %" PRIu64 ")", addr,
		 len, fd, offset);
	if (addr == NULL || len == 0 || len - 1 > UINTPTR_MAX - a || offset > UINT64_MAX - len) {
		IDD_LOG(ERR, "%s refused: %s", who,
			addr == NULL ? "NULL address" : len == 0 ? "zero length" : "range wraps");
		return -EINVAL;
	}
	if (perms & ~(unsigned int)IDD_MEM_PEER_RW) {
		IDD_LOG(ERR, "%s refused: unknown permission bits 0x%x", who, perms);
		return -EINVAL;
	}
	if (fd < 0) {
		IDD_LOG(ERR, "%s refused: bad fd", who);
		return -EBADF;
	}
	/* Everything about the file and the range is checked before it is
	 * sealed: a refusal leaves the application's fd as it was, so that it
	 * can, say, grow the file and try again. */
	err = mem_fd_seal(fd, perms, false, who);
	if (err != 0)
		return err;
	if (fstat(fd, &st) != 0) {
		err = errno;
		IDD_LOG(ERR, "%s refused: fstat: %s", who, strerror(err));
		return -err;
	}
	if ((uint64_t)st.st_size < offset + len) {
		IDD_LOG(ERR, "%s refused: the file holds only %jd bytes", who, (intmax_t)st.st_size);
		return -EINVAL;
	}
	err = mem_fd_fits(fd, offset, len, who, &page);
	if (err != 0)
		return err;
	if (a % page != 0 || offset % page != 0) {
		IDD_LOG(ERR, "%s refused: address or offset not aligned to the page size %zu", who,
			page);
		return -EINVAL;
	}
	const char *why = NULL;
	int mapped = check_mapping(a, len, st.st_dev, st.st_ino, offset, &why);
	if (mapped == 0) {
		IDD_LOG(ERR, "%s refused: the range is %s", who, why);
		return -EINVAL;
	}
	if (mapped < 0)
		IDD_LOG(DEBUG, "%s: /proc/self/maps unreadable, mapping not verified", who);
	err = mem_fd_seal(fd, perms, true, who);
	if (err != 0)
		return err;

	struct mem_wt_rec *rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		IDD_LOG(ERR, "%s failed: out of memory", who);
		return -ENOMEM;
	}
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0) {
		err = errno;
		free(rec);
		IDD_LOG(ERR, "%s failed: dup: %s", who, strerror(err));
		return -err;
	}
	*rec = (struct mem_wt_rec){
		.base = a, .len = len, .offset = offset, .local = addr, .page_size = page,
		.fd = dup, .perms = perms,
		.flags = MEM_WIN_REGISTERED | (page > mem_page_size() ? MEM_WIN_HUGE : 0),
		.release = registered_release,
	};
	err = mem_wt_insert(mem_local_table(), rec);
	if (err != 0) {
		if (err == -ENOSPC)
			IDD_LOG(ERR, "%s refused: the process has %d windows (IDD_MEM_MAX_WINDOWS)",
				who, IDD_MEM_MAX_WINDOWS);
		else
			IDD_LOG(ERR, "%s refused: %s", who,
				err == -EEXIST ? "overlaps a window" : strerror(-err));
		registered_release(rec);
		return err;
	}
	IDD_LOG(DEBUG, "%s: window %" PRIu64 ", perms 0x%x", who, rec->id, perms);
	mem_local_event(rec, 1);
	mem_local_deliver();
	if (!mem_rcu_in_read_section())
		mem_rcu_synchronize(); /* frees the replaced snapshot */
	return 0;
}

int
idd_mem_unregister(void *addr)
{
	struct mem_wt *t = mem_local_table();
	struct mem_wt_rec found;

	if (mem_wt_find(t, (uintptr_t)addr, &found) != 0 || found.base != (uintptr_t)addr) {
		IDD_LOG(ERR, "mem: unregister of %p refused: no window starts there", addr);
		return -ENOENT;
	}
	if (!(found.flags & MEM_WIN_REGISTERED)) {
		IDD_LOG(ERR, "mem: unregister of %p refused: the heap's window (use idd_mem_free())",
			addr);
		return -EINVAL;
	}
	if (mem_rcu_in_read_section()) {
		IDD_LOG(ERR, "mem: unregister of %p refused: inside a read-side section", addr);
		return -EDEADLK;
	}
	struct mem_wt_rec *rec = mem_wt_unlink(t, (uintptr_t)addr, MEM_WIN_REGISTERED);
	if (rec == NULL) {
		IDD_LOG(ERR, "mem: unregister of %p refused: no window starts there", addr);
		return -ENOENT; /* removed meanwhile by another thread */
	}
	mem_local_event(rec, 0);
	mem_local_deliver();
	mem_rcu_synchronize();
	rec->release(rec);
	return 0;
}

int
idd_mem_window_get(const void *addr, struct idd_mem_window_info *info)
{
	struct mem_wt_rec rec;

	if (info == NULL) {
		IDD_LOG(ERR, "mem: window query for %p refused: NULL info", addr);
		return -EINVAL;
	}
	if (mem_wt_find(mem_local_table(), (uintptr_t)addr, &rec) != 0)
		return -ENOENT;
	*info = (struct idd_mem_window_info){
		.base = (void *)(uintptr_t)rec.base, .len = (size_t)rec.len, .offset = rec.offset,
		.page_size = rec.page_size, .fd = rec.fd, .perms = rec.perms,
		.flags = rec.flags & (MEM_WIN_HEAP | MEM_WIN_REGISTERED | MEM_WIN_HUGE),
		.id = rec.id,
	};
	return 0;
}
