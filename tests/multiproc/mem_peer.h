/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_MEM_PEER_H
#define IDD_TESTS_MEM_PEER_H

/*
 * The conversation between test_mem_xproc (the owner) and mem_peer (a
 * separately exec'd process) over a SOCK_SEQPACKET socket pair: one message
 * per request and per reply, a window fd riding along with SCM_RIGHTS.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

enum peer_op {
	PEER_IMPORT_WRITE = 1, /* import the fd's window, write value at `at`, read `at2` */
	PEER_EXPORT,           /* allocate, fill with value, send the window back */
	PEER_VERIFY,           /* is the byte at `at` of our own memory == value? */
	PEER_TRY_RESIZE,       /* try to shrink and grow the fd; report errno */
	PEER_TRY_MAP_WRITE,    /* try to map the fd writable; report errno */
	PEER_QUIT,
};

struct peer_msg {
	uint32_t op;
	uint32_t perms;
	uint64_t base;
	uint64_t len;
	uint64_t offset;
	uint64_t at;
	uint64_t at2;
	uint32_t access;      /* for translation in PEER_IMPORT_WRITE */
	int32_t result;       /* reply: 0 or -errno */
	int32_t result2;      /* reply: second result where an op has one */
	uint8_t value;
	uint8_t byte;         /* reply: the byte read */
	uint8_t pad[6];
};

/* Send @m, with @fd attached unless it is -1. Returns 0 or -errno. */
static inline int
peer_send(int sock, const struct peer_msg *m, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)m, sizeof(*m)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -errno;
}

/* Receive one message; *fd gets the attached fd or -1. Returns 0 or -errno
 * (-EPROTO for a short message, -ECONNRESET at end of stream). */
static inline int
peer_recv(int sock, struct peer_msg *m, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {m, sizeof(*m)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};

	*fd = -1;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n == (ssize_t)sizeof(*m) ? 0 : -EPROTO;
}

#endif
