/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Window limits (IDD_MEM_MAX_WINDOWS): the windows of one process, and the
 * windows a group's creator accepts from one peer. Each at the limit
 * (every window works) and one past it (refused with one line that names
 * the limit; the process goes on, and gives every fd back).
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "../lib/sockmsg.h"
#include "group/group.h"
#include "group/rendezvous.h"
#include "harness.h"
#include "lim_util.h"
#include "mem/heap.h"
#include "mem/window_table.h"

static unsigned char tok[16];

/* Windows of this process, private heap segments included. */
static unsigned int
own_windows(void)
{
	return mem_wt_count(mem_local_table());
}

static void
windows_per_process(void **state)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned int have, room;
	uint8_t *small, *map;
	int fd;

	(void)state;
	/* A heap segment with room, so that small blocks still come when the
	 * table is full. */
	small = idd_mem_alloc(64, IDD_MEM_PEER_RW);
	assert_non_null(small);
	have = own_windows();
	assert_true(have >= 1 && have < IDD_MEM_MAX_WINDOWS);
	room = IDD_MEM_MAX_WINDOWS - have;

	/* One memfd, each page registered as a window of its own. */
	fd = lim_memfd(room + 1, 0);
	map = mmap(NULL, (room + 1) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	for (unsigned int i = 0; i < room; i++)
		assert_int_equal(idd_mem_register(map + i * pg, pg, fd, i * pg, IDD_MEM_PEER_RW), 0);
	assert_int_equal(own_windows(), IDD_MEM_MAX_WINDOWS);
	/* Every one of them is a window, the last one too. */
	{
		struct idd_mem_window_info info;

		assert_int_equal(idd_mem_window_get(map + (room - 1) * pg, &info), 0);
		assert_ptr_equal(info.base, map + (room - 1) * pg);
		assert_int_equal(info.len, pg);
	}

	/* One past: a registration, and an allocation that needs a segment. */
	lim_log_reset();
	assert_int_equal(idd_mem_register(map + room * pg, pg, fd, room * pg, IDD_MEM_PEER_RW),
			 -ENOSPC);
	assert_int_equal(lim_log_count("refused: the process has 1024 windows "
				       "(IDD_MEM_MAX_WINDOWS)"), 1);
	errno = 0;
	assert_null(idd_mem_alloc((size_t)16 << 20, IDD_MEM_PEER_RW));
	assert_int_equal(errno, ENOSPC);
	/* One line says so (the segment's own detail is at debug level). */
	assert_int_equal(lim_log_count("alloc of 16777216 bytes failed: a new segment would "
				       "be window 1025 (IDD_MEM_MAX_WINDOWS is the most)"), 1);
	assert_int_equal(lim_log_count("16777216"), 1);
	assert_int_equal(own_windows(), IDD_MEM_MAX_WINDOWS);

	/* Nothing broke: existing segments still serve, and a window given
	 * back makes room for one. */
	{
		uint8_t *b = idd_mem_alloc(128, IDD_MEM_PEER_RW);

		assert_non_null(b);
		memset(b, 0xab, 128);
		idd_mem_free(b);
	}
	assert_int_equal(idd_mem_unregister(map), 0);
	assert_int_equal(idd_mem_register(map + room * pg, pg, fd, room * pg, IDD_MEM_PEER_RW), 0);
	assert_int_equal(own_windows(), IDD_MEM_MAX_WINDOWS);

	for (unsigned int i = 1; i <= room; i++)
		assert_int_equal(idd_mem_unregister(map + i * pg), 0);
	assert_int_equal(own_windows(), have);
	munmap(map, (room + 1) * pg);
	close(fd);
	idd_mem_free(small);
}

/* A real joiner, forked: joins as domain 3, then for each address the
 * parent sends (0 ends) answers with the 8 bytes it reads there in the
 * address space of domain 2, through its own table of that peer's
 * windows (or an error code); an address with bit 0 set waits for that
 * peer to be gone instead. */
static void
reader_child(int16_t gid, int in, int out)
{
	unsigned char d2[16], d3[16];
	uint64_t addr, v;

	test_uuid(2, d2);
	test_uuid(3, d3);
	if (group_join(0, d3, tok, gid, NULL) != 0)
		_exit(10);
	v = 1;
	if (write(out, &v, sizeof(v)) != sizeof(v))
		_exit(11);
	while (read(in, &addr, sizeof(addr)) == sizeof(addr) && addr != 0) {
		/* Bit 0 set: wait for the peer to be gone, not for the window. */
		int want = (addr & 1) ? -ENOENT : 0;
		int ret = peek_wait(0, gid, d2, addr & ~(uint64_t)1, want, &v, 30000);

		if (ret != 0)
			v = (uint64_t)ret;
		if (write(out, &v, sizeof(v)) != sizeof(v))
			_exit(12);
	}
	_exit(group_leave(0, gid) == 0 ? 0 : 13);
}

static uint64_t
ask(int to, int from, uint64_t addr)
{
	uint64_t v = 0;

	assert_int_equal(write(to, &addr, sizeof(addr)), sizeof(addr));
	assert_int_equal(read(from, &v, sizeof(v)), sizeof(v));
	return v;
}

/*
 * A peer (a joiner speaking the protocol by hand) offers the creator
 * IDD_MEM_MAX_WINDOWS windows: all are mapped, readable through the peer's
 * handler, and relayed to another member, which maps all of them too. One
 * more: refused, the peer is dropped, its 1024 fds go back, and the group
 * goes on.
 */
static void
windows_from_a_peer(void **state)
{
	const uint64_t base = 0x500000000000ull, tag = 0x1d0000000000ull;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char d0[16], dgood[16];
	struct raw_peer p;
	struct wire_msg m;
	int down[2], up[2], status = -1;
	unsigned int fds0;
	int16_t gid = -1;
	uint64_t v = 0;
	pid_t reader;
	int fd;

	(void)state;
	test_uuid(1, d0);
	test_uuid(4, dgood);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	fd = lim_memfd(IDD_MEM_MAX_WINDOWS + 1, tag);

	/* A reader that will receive every window relayed. */
	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		close(down[1]);
		close(up[0]);
		close(fd);
		reader_child(gid, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	assert_int_equal(read(up[0], &v, sizeof(v)), sizeof(v));
	fds0 = lim_fd_count();

	/* A member first (the handshake has a deadline), then its windows. */
	raw_join(&p, gid, tok, 2);
	raw_ready(&p);
	assert_int_equal(wait_members(0, gid, 3, 5000), 3);
	for (unsigned int i = 0; i < IDD_MEM_MAX_WINDOWS; i++) {
		raw_window_msg(&p, &m, base, i);
		assert_int_equal(raw_send(&p, &m, fd), 0);
	}
	/* The creator maps each one: last (in order, so all came), first,
	 * one between. */
	assert_int_equal(peek_wait(0, gid, p.domain, base + (IDD_MEM_MAX_WINDOWS - 1) * pg, 0, &v,
				   30000), 0);
	assert_int_equal(peek_u64(0, gid, p.domain, base, &v), 0);
	assert_int_equal(v, tag);
	assert_int_equal(peek_u64(0, gid, p.domain, base + 517 * pg, &v), 0);
	assert_int_equal(v, tag + 517);
	assert_int_equal(peek_u64(0, gid, p.domain, base + (IDD_MEM_MAX_WINDOWS - 1) * pg, &v), 0);
	assert_int_equal(v, tag + IDD_MEM_MAX_WINDOWS - 1);
	/* It keeps one fd per window, to relay them to later joiners. */
	assert_true(lim_fd_count() >= fds0 + IDD_MEM_MAX_WINDOWS);
	/* The other member mapped all 1024 as well. */
	assert_int_equal(ask(down[1], up[0], base + (IDD_MEM_MAX_WINDOWS - 1) * pg),
			 tag + IDD_MEM_MAX_WINDOWS - 1);
	assert_int_equal(ask(down[1], up[0], base), tag);
	assert_int_equal(ask(down[1], up[0], base + 300 * pg), tag + 300);

	lim_log_reset();
	raw_window_msg(&p, &m, base, IDD_MEM_MAX_WINDOWS);
	assert_int_equal(raw_send(&p, &m, fd), 0);
	assert_true(raw_closed(&p, 5000));
	raw_close(&p);
	assert_int_equal(lim_log_count("the peer offers 1024 windows already "
				       "(IDD_MEM_MAX_WINDOWS)"), 1);
	assert_int_equal(lim_log_count("member dropped"), 1);
	assert_int_equal(wait_members(0, gid, 2, 5000), 2);
	/* The reader lost them too, with the peer. */
	assert_int_equal(ask(down[1], up[0], base | 1), (uint64_t)-ENOENT);
	/* Its windows are gone from the creator, and so are their fds. */
	assert_int_equal(peek_wait(0, gid, p.domain, base, -ENOENT, &v, 5000), -ENOENT);
	for (int i = 0; i < 500 && lim_fd_count() > fds0; i++)
		usleep(10000);
	assert_int_equal(lim_fd_count(), fds0);

	/* The group goes on. */
	assert_int_equal(group_join(1, dgood, tok, gid, NULL), 0);
	assert_int_equal(wait_members(0, gid, 3, 5000), 3);
	assert_int_equal(group_leave(1, gid), 0);
	v = 0;
	assert_int_equal(write(down[1], &v, sizeof(v)), sizeof(v));
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_int_equal(status, 0);
	close(down[1]);
	close(up[0]);
	assert_int_equal(wait_members(0, gid, 1, 5000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
	close(fd);
}

/* ---- a creator that offers one window too many ---- */

static int
send_msg(int sock, const struct wire_msg *m, int fd)
{
	uint8_t buf[WIRE_MAX_MSG];
	ssize_t len = wire_encode(m, buf, sizeof(buf));

	if (len <= 0)
		return -1;
	return sockmsg_send(sock, buf, (size_t)len, fd) == len ? 0 : -1;
}

static int
recv_msg(int sock, struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctrl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.space,
			    .msg_controllen = sizeof(ctrl.space)};
	const char *why;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
	return wire_decode(buf, (size_t)n, m, &why);
}

/* Child: a creator speaking the protocol by hand. It binds a group id,
 * tells the parent, welcomes one joiner (domain 6), offers it
 * IDD_MEM_MAX_WINDOWS + 1 windows of its own before SYNC, completes the
 * join, and waits for the joiner to leave. Exit status: 0, or the step
 * that failed. */
static int
hostile_creator(int out, uint64_t base, uint64_t tag)
{
	struct wire_msg m, w = {.type = WIRE_WELCOME};
	struct auth_ctx ctx;
	struct rdv_opts o;
	int lfd, sock, gid = -1, fd;
	uint64_t v;

	if (rdv_opts_from_env(&o) != 0)
		return 20;
	lfd = rdv_listen(&o, NULL, NULL, &gid);
	if (lfd < 0 || fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK) != 0)
		return 21;
	fd = lim_memfd(IDD_MEM_MAX_WINDOWS + 1, tag);
	v = (uint64_t)gid;
	if (write(out, &v, sizeof(v)) != sizeof(v))
		return 22;
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sock < 0)
		return 23;
	memset(&ctx, 0, sizeof(ctx));
	memset(&m, 0, sizeof(m));
	m.type = WIRE_CHALLENGE;
	m.u.challenge.group_id = (uint16_t)gid;
	auth_nonce(m.u.challenge.nonce);
	memcpy(ctx.nonce_c, m.u.challenge.nonce, WIRE_NONCE_LEN);
	if (send_msg(sock, &m, -1) != 0 || recv_msg(sock, &m) != 0 || m.type != WIRE_JOIN)
		return 24;
	memcpy(ctx.nonce_j, m.u.join.nonce, WIRE_NONCE_LEN);
	memcpy(ctx.joiner_domain, m.u.join.domain, 16);
	ctx.group_id = (uint16_t)gid;
	ctx.joiner_uid = ctx.creator_uid = (uint32_t)geteuid();
	if (!auth_verify(AUTH_JOINER, tok, &ctx, m.u.join.mac))
		return 25;
	auth_mac(AUTH_CREATOR, tok, &ctx, w.u.welcome.mac);
	w.u.welcome.slot = 1;
	w.u.welcome.nb_members = 1;
	w.u.welcome.members[0].slot = 0;
	w.u.welcome.members[0].is_creator = 1;
	w.u.welcome.members[0].pid = (uint32_t)getpid();
	w.u.welcome.members[0].uid = (uint32_t)geteuid();
	test_uuid(5, w.u.welcome.members[0].domain);
	if (send_msg(sock, &w, -1) != 0)
		return 26;
	for (unsigned int i = 0; i <= IDD_MEM_MAX_WINDOWS; i++) {
		struct raw_peer me = {.slot = 0};

		raw_window_msg(&me, &m, base, i);
		if (send_msg(sock, &m, fd) != 0)
			return 27;
	}
	memset(&m, 0, sizeof(m));
	m.type = WIRE_SYNC;
	if (send_msg(sock, &m, -1) != 0)
		return 28;
	do {
		if (recv_msg(sock, &m) != 0)
			return 29;
	} while (m.type != WIRE_READY);
	memset(&m, 0, sizeof(m));
	m.type = WIRE_ACTIVE;
	if (send_msg(sock, &m, -1) != 0)
		return 30;
	do {
		if (recv_msg(sock, &m) != 0)
			return 31;
	} while (m.type != WIRE_LEAVE);
	close(sock);
	close(lfd);
	close(fd);
	rdv_unlink(&o, gid);
	return 0;
}

/*
 * A joiner bounds what a creator may make it map: a (hostile) creator
 * offers IDD_MEM_MAX_WINDOWS + 1 windows of its own. The joiner maps the
 * first 1024, refuses the last with one line, and stays in the group.
 */
static void
joiner_bounds_a_creator(void **state)
{
	const uint64_t base = 0x580000000000ull, tag = 0x2e0000000000ull;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char dc[16], dj[16];
	int up[2], status = -1;
	uint64_t v = 0;
	int16_t gid;
	pid_t pid;

	(void)state;
	test_uuid(5, dc);
	test_uuid(6, dj);
	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		_exit(hostile_creator(up[1], base, tag));
	}
	close(up[1]);
	assert_int_equal(read(up[0], &v, sizeof(v)), sizeof(v));
	gid = (int16_t)v;
	lim_log_reset();
	assert_int_equal(group_join(0, dj, tok, gid, NULL), 0);
	assert_int_equal(peek_u64(0, gid, dc, base + (IDD_MEM_MAX_WINDOWS - 1) * pg, &v), 0);
	assert_int_equal(v, tag + IDD_MEM_MAX_WINDOWS - 1);
	assert_int_equal(peek_u64(0, gid, dc, base, &v), 0);
	assert_int_equal(v, tag);
	assert_int_equal(peek_u64(0, gid, dc, base + IDD_MEM_MAX_WINDOWS * pg, &v), -EFAULT);
	assert_int_equal(lim_log_count("the peer offers 1024 windows already "
				       "(IDD_MEM_MAX_WINDOWS)"), 1);
	assert_int_equal(idd_dma_access_pair_group_members(0, gid, NULL, 0), 2);
	assert_int_equal(group_leave(0, gid), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	close(up[0]);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_per_process),
		cmocka_unit_test(windows_from_a_peer),
		cmocka_unit_test(joiner_bounds_a_creator),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	/* 1024 windows kept by the creator, plus ours. */
	if (!lim_nofile_at_least(3 * IDD_MEM_MAX_WINDOWS)) {
		fprintf(stderr, "RLIMIT_NOFILE hard limit below %d: skipped\n",
			3 * IDD_MEM_MAX_WINDOWS);
		return 77;
	}
	memset(tok, 0x5c, sizeof(tok));
	lim_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
