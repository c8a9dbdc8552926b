/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem_peer: the other process in test_mem_xproc. Exec'd with the number of
 * its socket; answers one request at a time (mem_peer.h) until PEER_QUIT or
 * the socket closes. Exit status 0 only after a clean PEER_QUIT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <idd/idd_log.h>
#include <idd/idd_mem.h>

#include "mem/mem_local.h"
#include "mem/window_table.h"
#include "mem_peer.h"

static void *own_block;   /* from PEER_EXPORT */

static void
do_import_write(struct mem_wt *t, struct peer_msg *m, int fd)
{
	struct mem_wt_cache c;

	m->result = mem_wt_import(t, fd, m->offset, m->base, m->len, m->perms, NULL);
	if (m->result != 0)
		return;
	mem_wt_cache_init(&c);
	mem_rcu_read_lock();
	unsigned char *w = mem_wt_translate(t, &c, m->at, 1, m->access);
	unsigned char *r = mem_wt_translate(t, &c, m->at2, 1, MEM_ACCESS_READ);
	if (w == NULL) {
		m->result = -EFAULT;
	} else if (m->access & MEM_ACCESS_WRITE) {
		*w = m->value;
	}
	m->result2 = r == NULL ? -EFAULT : 0;
	if (r != NULL)
		m->byte = *r;
	mem_rcu_read_unlock();
	/* Unmapping waits for a grace period; then the window is gone here
	 * (not in the owner). */
	int err = mem_wt_remove(t, m->base);
	if (err != 0 && m->result == 0)
		m->result = err;
}

static int
do_export(struct peer_msg *m)
{
	struct idd_mem_window_info info;
	size_t len = (size_t)m->len;

	own_block = idd_mem_alloc(len, m->perms);
	if (own_block == NULL) {
		m->result = -errno;
		return -1;
	}
	unsigned char *b = own_block;
	b[0] = m->value;
	b[len - 1] = m->value;
	m->result = idd_mem_window_get(own_block, &info);
	if (m->result != 0)
		return -1;
	m->base = (uintptr_t)info.base;
	m->len = info.len;
	m->offset = info.offset;
	m->perms = info.perms;
	m->at = (uintptr_t)own_block;
	int fd = mem_local_export_fd(info.id);
	if (fd < 0)
		m->result = fd;
	return fd;
}

/* By whole pages of the file: hugetlbfs refuses other sizes with EINVAL
 * before it looks at the seals. */
static void
do_try_resize(struct peer_msg *m, int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		m->result = m->result2 = -errno;
		return;
	}
	off_t page = st.st_blksize;
	m->result = ftruncate(fd, st.st_size > page ? st.st_size - page : 0) == 0 ? 0 : -errno;
	m->result2 = ftruncate(fd, st.st_size + page) == 0 ? 0 : -errno;
}

static void
do_try_map_write(struct peer_msg *m, int fd)
{
	void *p = mmap(NULL, (size_t)m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)m->offset);

	if (p == MAP_FAILED) {
		m->result = -errno;
	} else {
		m->result = 0;
		munmap(p, (size_t)m->len);
	}
}

int
main(int argc, char **argv)
{
	struct mem_wt *t = mem_wt_create("owner");
	struct peer_msg m;
	int sock, fd;

	if (argc != 2 || t == NULL) {
		fprintf(stderr, "usage: mem_peer <socket fd>\n");
		return 2;
	}
	sock = atoi(argv[1]);
	idd_log_set_level(IDD_LOG_ERR);
	for (;;) {
		int err = peer_recv(sock, &m, &fd);

		if (err != 0) {
			fprintf(stderr, "mem_peer: receive failed: %s\n", strerror(-err));
			return 1;
		}
		int reply_fd = -1;
		switch (m.op) {
		case PEER_IMPORT_WRITE:
			do_import_write(t, &m, fd);
			break;
		case PEER_EXPORT:
			reply_fd = do_export(&m);
			break;
		case PEER_VERIFY:
			m.result = ((unsigned char *)(uintptr_t)m.at)[0] == m.value ? 0 : -EIO;
			break;
		case PEER_TRY_RESIZE:
			do_try_resize(&m, fd);
			break;
		case PEER_TRY_MAP_WRITE:
			do_try_map_write(&m, fd);
			break;
		case PEER_QUIT:
			m.result = own_block != NULL ? idd_mem_free(own_block) : 0;
			peer_send(sock, &m, -1);
			mem_wt_destroy(t);
			return m.result == 0 ? 0 : 1;
		default:
			m.result = -EINVAL;
			break;
		}
		if (fd >= 0)
			close(fd);
		err = peer_send(sock, &m, reply_fd);
		if (reply_fd >= 0)
			close(reply_fd);
		if (err != 0) {
			fprintf(stderr, "mem_peer: send failed: %s\n", strerror(-err));
			return 1;
		}
	}
}
