/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Windows across processes: this process (the owner) and mem_peer, a
 * separate program started with fork+exec, exchange window fds over a Unix
 * socket (SCM_RIGHTS) and touch each other's memory through idd's window
 * import and translation. Every check is on bytes: what one process wrote
 * is what the other reads. Also: the seals hold in the other process, an
 * unsealed or short fd is refused there, read-only windows stay read-only.
 *
 * The path of mem_peer comes from the environment (IDD_MEM_PEER), which
 * meson sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <idd/idd_log.h>
#include <idd/idd_mem.h>

#include "mem/mem_local.h"
#include "mem/window_table.h"
#include "mem_peer.h"

struct peer {
	pid_t pid;
	int sock;
};

static int
peer_start(void **state)
{
	const char *path = getenv("IDD_MEM_PEER");
	struct peer *p = calloc(1, sizeof(*p));
	int sv[2];
	char arg[16];

	assert_non_null(path);
	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* Never hang on a dead or stuck peer. */
	struct timeval tv = {10, 0};
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		/* The child's end survives exec; nothing else of ours does. */
		if (fcntl(sv[1], F_SETFD, 0) != 0)
			_exit(126);
		snprintf(arg, sizeof(arg), "%d", sv[1]);
		execl(path, "mem_peer", arg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	p->sock = sv[0];
	*state = p;
	idd_log_set_level(IDD_LOG_ERR);
	return 0;
}

static int
peer_stop(void **state)
{
	struct peer *p = *state;
	struct peer_msg m = {.op = PEER_QUIT};
	int status, fd;

	assert_int_equal(peer_send(p->sock, &m, -1), 0);
	assert_int_equal(peer_recv(p->sock, &m, &fd), 0);
	assert_int_equal(m.result, 0);
	close(p->sock);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(p);
	return 0;
}

/* One request, one reply. */
static struct peer_msg
ask(struct peer *p, struct peer_msg m, int fd, int *reply_fd)
{
	int rfd;

	assert_int_equal(peer_send(p->sock, &m, fd), 0);
	assert_int_equal(peer_recv(p->sock, &m, &rfd), 0);
	if (reply_fd != NULL)
		*reply_fd = rfd;
	else if (rfd >= 0)
		close(rfd);
	return m;
}

/* Our block's window as a PEER_IMPORT_WRITE request, and its fd. */
static struct peer_msg
window_request(const void *block, int *fd)
{
	struct idd_mem_window_info info;

	assert_int_equal(idd_mem_window_get(block, &info), 0);
	*fd = mem_local_export_fd(info.id);
	assert_true(*fd >= 0);
	return (struct peer_msg){
		.op = PEER_IMPORT_WRITE, .perms = info.perms, .base = (uintptr_t)info.base,
		.len = info.len, .offset = info.offset,
	};
}

/* The peer writes into our heap memory; we read what it wrote. */
static void
test_peer_writes_owner_memory(void **state)
{
	struct peer *p = *state;
	unsigned char *b = idd_mem_alloc(4096, IDD_MEM_PEER_RW);
	int fd;

	assert_non_null(b);
	memset(b, 0, 4096);
	b[200] = 0x77;
	struct peer_msg m = window_request(b, &fd);
	m.at = (uintptr_t)b + 100;
	m.at2 = (uintptr_t)b + 200;
	m.access = MEM_ACCESS_WRITE;
	m.value = 0x5c;
	m = ask(p, m, fd, NULL);
	close(fd);
	assert_int_equal(m.result, 0);
	assert_int_equal(m.result2, 0);
	assert_int_equal(b[100], 0x5c);   /* the peer's write, seen here */
	assert_int_equal(m.byte, 0x77);   /* our byte, seen there */
	assert_int_equal(b[99], 0);
	assert_int_equal(b[101], 0);
	assert_int_equal(idd_mem_free(b), 0);
}

/* The reverse: the peer's memory, imported here, read and written here. */
static void
test_owner_uses_peer_memory(void **state)
{
	struct peer *p = *state;
	struct mem_wt *t = mem_wt_create("peer");
	struct mem_wt_cache c;
	int fd;

	assert_non_null(t);
	struct peer_msg m = ask(p, (struct peer_msg){.op = PEER_EXPORT, .len = 8192,
						     .perms = IDD_MEM_PEER_RW, .value = 0x3d},
				-1, &fd);
	assert_int_equal(m.result, 0);
	assert_true(fd >= 0);
	uint64_t block = m.at;
	assert_int_equal(mem_wt_import(t, fd, m.offset, m.base, m.len, m.perms, NULL), 0);
	close(fd);

	mem_wt_cache_init(&c);
	mem_rcu_read_lock();
	unsigned char *first = mem_wt_translate(t, &c, block, 1, MEM_ACCESS_READ);
	unsigned char *last = mem_wt_translate(t, &c, block + 8191, 1, MEM_ACCESS_READ);
	unsigned char *dst = mem_wt_translate(t, &c, block + 1, 1, MEM_ACCESS_WRITE);
	/* Outside the peer's window: a miss, not a crash. */
	void *outside = mem_wt_translate(t, &c, m.base + m.len, 1, MEM_ACCESS_READ);
	int ok = first != NULL && last != NULL && dst != NULL;
	unsigned char f = ok ? *first : 0, l = ok ? *last : 0;
	if (ok)
		*dst = 0x4e;
	mem_rcu_read_unlock();
	assert_true(ok);
	assert_null(outside);
	assert_int_equal(f, 0x3d);
	assert_int_equal(l, 0x3d);

	m = ask(p, (struct peer_msg){.op = PEER_VERIFY, .at = block + 1, .value = 0x4e}, -1, NULL);
	assert_int_equal(m.result, 0);
	m = ask(p, (struct peer_msg){.op = PEER_VERIFY, .at = block + 1, .value = 0x4f}, -1, NULL);
	assert_int_equal(m.result, -EIO); /* the check can fail */
	mem_wt_destroy(t);
}

/* The peer cannot resize our window's file, so it cannot make us fault. */
static void
test_peer_cannot_resize(void **state)
{
	struct peer *p = *state;
	unsigned char *b = idd_mem_alloc(100, IDD_MEM_PEER_RW);
	int fd;

	assert_non_null(b);
	struct peer_msg m = window_request(b, &fd);
	m.op = PEER_TRY_RESIZE;
	m = ask(p, m, fd, NULL);
	close(fd);
	assert_int_equal(m.result, -EPERM);
	assert_int_equal(m.result2, -EPERM);
	b[99] = 1; /* still mapped, still ours */
	assert_int_equal(idd_mem_free(b), 0);
}

/* Fds without the seals, or shorter than the window they claim, are
 * refused by the importing process. */
static void
test_peer_refuses_bad_fds(void **state)
{
	struct peer *p = *state;
	int fd = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65536), 0);
	struct peer_msg m = {.op = PEER_IMPORT_WRITE, .perms = IDD_MEM_PEER_RW,
			     .base = 0x500000000000, .len = 65536, .at = 0x500000000000,
			     .at2 = 0x500000000000, .access = MEM_ACCESS_WRITE, .value = 1};
	struct peer_msg r = ask(p, m, fd, NULL);
	assert_int_equal(r.result, -EPERM);

	/* Sealed, but shorter than claimed. */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	m.len = 65536 + 4096;
	r = ask(p, m, fd, NULL);
	assert_int_equal(r.result, -EPERM);

	/* Right size: accepted, and the write lands in our file. */
	m.len = 65536;
	m.at = 0x500000000000 + 65535;
	r = ask(p, m, fd, NULL);
	assert_int_equal(r.result, 0);
	unsigned char byte;
	assert_int_equal(pread(fd, &byte, 1, 65535), 1);
	assert_int_equal(byte, 1);
	close(fd);
}

/* A read-only window reaches the peer as a read-only fd: it can read the
 * bytes, but neither map nor import it writable, nor translate a write. */
static void
test_read_only_window(void **state)
{
	struct peer *p = *state;
	unsigned char *b = idd_mem_alloc(1000, IDD_MEM_PEER_READ);
	int fd;

	assert_non_null(b);
	b[10] = 0x99;
	struct peer_msg req = window_request(b, &fd);
	assert_int_equal(req.perms, IDD_MEM_PEER_READ);

	struct peer_msg m = req;
	m.op = PEER_TRY_MAP_WRITE;
	m = ask(p, m, fd, NULL);
	assert_int_equal(m.result, -EACCES);

	m = req;
	m.perms = IDD_MEM_PEER_RW; /* a peer lying about the permissions */
	m.at = m.at2 = (uintptr_t)b + 10;
	m.access = MEM_ACCESS_WRITE;
	m = ask(p, m, fd, NULL);
	assert_int_equal(m.result, -EPERM);

	m = req;
	m.at = m.at2 = (uintptr_t)b + 10;
	m.access = MEM_ACCESS_WRITE;
	m = ask(p, m, fd, NULL);
	assert_int_equal(m.result, -EFAULT); /* imported, but a write does not translate */
	assert_int_equal(m.result2, 0);
	assert_int_equal(m.byte, 0x99);      /* a read does */
	assert_int_equal(b[10], 0x99);
	close(fd);
	assert_int_equal(idd_mem_free(b), 0);
}

/* Memory the application registered travels like heap memory. */
static void
test_registered_window(void **state)
{
	struct peer *p = *state;
	const size_t len = 1 << 16;
	int mfd = memfd_create("app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int fd;

	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, (off_t)len * 2), 0);
	unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, (off_t)len);
	assert_true(a != MAP_FAILED);
	assert_int_equal(idd_mem_register(a, len, mfd, len, IDD_MEM_PEER_WRITE), 0);
	close(mfd);

	struct peer_msg m = window_request(a, &fd);
	assert_int_equal(m.offset, len);
	m.at = (uintptr_t)a + len - 1;
	m.at2 = (uintptr_t)a;
	m.access = MEM_ACCESS_WRITE;
	m.value = 0xee;
	m = ask(p, m, fd, NULL);
	close(fd);
	assert_int_equal(m.result, 0);
	assert_int_equal(m.result2, -EFAULT); /* write-only window: no reads */
	assert_int_equal(a[len - 1], 0xee);
	assert_int_equal(idd_mem_unregister(a), 0);
	munmap(a, len);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peer_writes_owner_memory, peer_start,
						peer_stop),
		cmocka_unit_test_setup_teardown(test_owner_uses_peer_memory, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_peer_cannot_resize, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_peer_refuses_bad_fds, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_read_only_window, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_registered_window, peer_start, peer_stop),
	};

	if (getenv("IDD_MEM_PEER") == NULL) {
		fprintf(stderr, "IDD_MEM_PEER (path of mem_peer) is not set\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
