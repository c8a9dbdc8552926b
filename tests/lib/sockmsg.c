/* SPDX-License-Identifier: BSD-3-Clause */
/* Messages with descriptors on a Unix socket: see sockmsg.h. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockmsg.h"

/* The group protocol passes at most one descriptor a message; room for a
 * few more so that a hostile sender's extras are received (and closed),
 * not silently truncated. */
#define SOCKMSG_MAX_FDS 4

ssize_t
sockmsg_send(int sock, const void *buf, size_t len, int pass_fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctrl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.space;
		mh.msg_controllen = sizeof(ctrl.space);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

ssize_t
sockmsg_recv(int sock, void *buf, size_t cap, int *rfd, int timeout_ms)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(SOCKMSG_MAX_FDS * sizeof(int))];
	} ctrl;
	struct pollfd p = {.fd = sock, .events = POLLIN};
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.space,
			    .msg_controllen = sizeof(ctrl.space)};
	ssize_t n;

	if (rfd != NULL)
		*rfd = -1;
	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k; i++) {
			int got;

			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (rfd != NULL && *rfd < 0)
				*rfd = got;
			else
				close(got);
		}
	}
	return n;
}
