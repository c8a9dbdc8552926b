/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One SOCK_SEQPACKET connection on the control loop: receive and decode
 * messages (with at most one fd each), send with a bounded queue, close.
 * Only the control thread touches connections, with ctl_lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "group/control.h"
#include "group/control_loop.h"

struct conn_out {
	struct conn_out *next;
	int fd;                 /* dup'ed, owned by the queue; -1 if none */
	struct fd_ident fd_id;
	/* What a window's removal needs to find its announcement: */
	enum wire_type type;
	uint16_t slot;          /* WINDOW_ADD/REMOVE: owner; MEMBER_LEFT: who */
	uint64_t base;          /* WINDOW_ADD/REMOVE */
	size_t len;
	uint8_t buf[];
};

static struct conn *all_conns;

/* Messages handled per readiness event before the loop serves others. */
#define CONN_RECV_BUDGET 64

static void
peer_creds(struct conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	c->peer_pid = 0;
	c->peer_uid = (uint32_t)-1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->peer_pid = cred.pid;
		c->peer_uid = cred.uid;
	}
}

struct conn *
conn_add(int fd, bool listening, const struct conn_ops *ops, void *owner)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct conn *c = calloc(1, sizeof(*c));
	int err;

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	fd_ident_take(fd, &c->fd_id);
	c->ops = ops;
	c->owner = owner;
	c->listening = listening;
	if (!listening)
		peer_creds(c);
	ev.data.ptr = c;
	if (epoll_ctl(ctl_epoll_fd(), EPOLL_CTL_ADD, fd, &ev) != 0) {
		err = errno;
		IDD_LOG(ERR, "group: epoll_ctl add: %s", strerror(err));
		close(fd);
		free(c);
		return NULL;
	}
	c->next_all = all_conns;
	all_conns = c;
	return c;
}

struct conn *
conn_all(void)
{
	return all_conns;
}

static void
set_epollout(struct conn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.ptr = c};

	if (c->epollout == on)
		return;
	if (epoll_ctl(ctl_epoll_fd(), EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->epollout = on;
}

void
conn_close(struct conn *c)
{
	int fd = c->fd;

	if (c->closing)
		return;
	c->closing = true;
	ctl_timer_cancel(&c->timer);
	epoll_ctl(ctl_epoll_fd(), EPOLL_CTL_DEL, fd, NULL);
	/* The number is forgotten before it is closed: from the close on it
	 * is the application's to reuse, and a fork by another thread at
	 * that instant must not give the child a copy of state that still
	 * names it (the child would close the application's new fd).
	 * Close the socket now, not at reap: the peer learns at once. */
	c->fd = -1;
	close(fd);
	if (c->ops->on_close != NULL)
		c->ops->on_close(c);
}

void
conn_close_owned(void *owner)
{
	for (struct conn *c = all_conns; c != NULL; c = c->next_all) {
		if (c->owner == owner && !c->closing) {
			c->owner = NULL;
			conn_close(c);
		}
	}
}

static void
out_free_all(struct conn *c)
{
	while (c->out_head != NULL) {
		struct conn_out *o = c->out_head;

		c->out_head = o->next;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	c->out_tail = NULL;
	c->out_count = 0;
	c->out_bytes = 0;
}

void
conn_reap(void)
{
	struct conn **pp = &all_conns;

	while (*pp != NULL) {
		struct conn *c = *pp;

		if (c->closing) {
			*pp = c->next_all;
			/* An owner may have armed it after the close. */
			ctl_timer_cancel(&c->timer);
			out_free_all(c);
			free(c->priv);
			free(c);
		} else {
			pp = &c->next_all;
		}
	}
}

/* The parent's connections a forked child abandons, still pointed at, as in
 * group_forget_all(): valgrind, which follows forks, then sees them as
 * reachable rather than lost. volatile: the store stays, unread. */
static struct conn *volatile forgotten_conns;

void
conn_forget_all(void)
{
	/* Only what still names our file: see fd_ident.h. */
	for (struct conn *c = all_conns; c != NULL; c = c->next_all) {
		if (fd_ident_is(c->fd, &c->fd_id))
			close(c->fd);
		for (struct conn_out *o = c->out_head; o != NULL; o = o->next)
			if (fd_ident_is(o->fd, &o->fd_id))
				close(o->fd);
	}
	forgotten_conns = all_conns;
	all_conns = NULL;
}

/* One sendmsg. Returns 0 sent, 1 would block, -errno failed. */
static int
send_one(int sock, const uint8_t *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctrl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.space;
		mh.msg_controllen = sizeof(ctrl.space);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return 1;
	return -errno;
}

static void
flush(struct conn *c)
{
	while (c->out_head != NULL) {
		struct conn_out *o = c->out_head;
		int ret = send_one(c->fd, o->buf, o->len, o->fd);

		if (ret == 1) {
			set_epollout(c, true);
			return;
		}
		if (ret < 0) {
			IDD_LOG(DEBUG, "group: send to pid %d: %s", (int)c->peer_pid,
				strerror(-ret));
			conn_close(c);
			return;
		}
		c->out_head = o->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_count--;
		c->out_bytes -= o->len;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	set_epollout(c, false);
	if (c->close_after_flush)
		conn_close(c);
}

/* A window is withdrawn while its announcement still waits in the queue:
 * the peer never hears of either, and the queue lets go of the window's
 * fd. So a peer that does not read while windows come and go costs us at
 * most one queued fd per window that exists (which we hold anyway), not
 * one per change. Only the last queued message about that owner's window
 * counts: an earlier one may be about a departed member whose slot was
 * given again. */
static bool
cancel_queued_add(struct conn *c, uint16_t slot, uint64_t base)
{
	struct conn_out *last = NULL, *last_prev = NULL, *prev = NULL;

	for (struct conn_out *o = c->out_head; o != NULL; prev = o, o = o->next) {
		bool about = ((o->type == WIRE_WINDOW_ADD || o->type == WIRE_WINDOW_REMOVE) &&
			      o->slot == slot && o->base == base) ||
			     (o->type == WIRE_MEMBER_LEFT && o->slot == slot);

		if (about) {
			last = o;
			last_prev = prev;
		}
	}
	/* Everything queued is unsent (SEQPACKET sends whole messages). */
	if (last == NULL || last->type != WIRE_WINDOW_ADD)
		return false;
	if (last_prev != NULL)
		last_prev->next = last->next;
	else
		c->out_head = last->next;
	if (c->out_tail == last)
		c->out_tail = last_prev;
	c->out_count--;
	c->out_bytes -= last->len;
	if (last->fd >= 0)
		close(last->fd);
	free(last);
	return true; /* an emptied queue: the next flush() disarms EPOLLOUT */
}

int
conn_send(struct conn *c, const struct wire_msg *m, int fd)
{
	uint8_t buf[WIRE_MAX_MSG];
	struct conn_out *o;
	ssize_t len;
	int ret;

	if (c->closing || c->broken)
		return -ECONNRESET;
	len = wire_encode(m, buf, sizeof(buf));
	if (len < 0) {
		/* Our own bug: we never build what a peer must refuse. */
		IDD_LOG(ERR, "group: cannot encode %s: %s", wire_type_name(m->type),
			strerror((int)-len));
		return (int)len;
	}
	if (c->out_head == NULL) {
		ret = send_one(c->fd, buf, (size_t)len, fd);
		if (ret == 0)
			return 0;
		if (ret < 0) {
			IDD_LOG(DEBUG, "group: send to pid %d: %s", (int)c->peer_pid,
				strerror(-ret));
			c->broken = true;
			return -ECONNRESET;
		}
	}
	/* The peer's buffer is full. Queue, within bounds: a member that stops
	 * reading must not make us hold unbounded memory (nor fds). */
	if (m->type == WIRE_WINDOW_REMOVE &&
	    cancel_queued_add(c, m->u.window_remove.owner_slot, m->u.window_remove.base))
		return 0;
	if (c->out_count >= CONN_MAX_QUEUED || c->out_bytes + (size_t)len > CONN_MAX_QUEUED_BYTES) {
		IDD_LOG(ERR, "group: peer pid %d uid %u dropped: it stopped reading "
			     "(%u messages queued)",
			(int)c->peer_pid, (unsigned int)c->peer_uid, c->out_count);
		c->broken = true;
		return -ECONNRESET;
	}
	o = malloc(sizeof(*o) + (size_t)len);
	if (o == NULL) {
		c->broken = true;
		return -ECONNRESET;
	}
	o->next = NULL;
	o->type = m->type;
	o->slot = 0;
	o->base = 0;
	if (m->type == WIRE_WINDOW_ADD) {
		o->slot = m->u.window.owner_slot;
		o->base = m->u.window.base;
	} else if (m->type == WIRE_WINDOW_REMOVE) {
		o->slot = m->u.window_remove.owner_slot;
		o->base = m->u.window_remove.base;
	} else if (m->type == WIRE_MEMBER_LEFT) {
		o->slot = m->u.left.slot;
	}
	o->len = (size_t)len;
	memcpy(o->buf, buf, (size_t)len);
	o->fd = -1;
	if (fd >= 0) {
		o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (o->fd < 0) {
			int err = errno;

			IDD_LOG(ERR, "group: cannot keep a window fd for pid %d: %s",
				(int)c->peer_pid, strerror(err));
			free(o);
			c->broken = true;
			return -ECONNRESET;
		}
	}
	if (c->out_tail != NULL)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_count++;
	c->out_bytes += o->len;
	set_epollout(c, true);
	return 0;
}

void
conn_close_broken(void)
{
	bool again;

	/* An on_close may break other connections (a broadcast to a dead
	 * peer): repeat until none is left. */
	do {
		again = false;
		for (struct conn *c = all_conns; c != NULL; c = c->next_all) {
			if (c->broken && !c->closing) {
				conn_close(c);
				again = true;
			}
		}
	} while (again);
}

void
conn_close_when_flushed(struct conn *c)
{
	if (c->closing)
		return;
	if (c->out_head == NULL) {
		conn_close(c);
		return;
	}
	c->close_after_flush = true;
}

/* Close every fd that came in a control message. */
static void
close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/* The single fd of a message, -1 if none, CONN_FD_LOST if the kernel
 * dropped it (we are out of fds: truncated, and nothing came), -3 if the
 * ancillary data is anything but at most one SCM_RIGHTS fd (then every fd
 * is closed). */
#define FD_BAD (-3)
static int
take_fd(struct msghdr *mh)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	int fd;

	if (mh->msg_flags & MSG_CTRUNC) {
		if (cm == NULL)
			return CONN_FD_LOST;
		close_fds(mh);
		return FD_BAD;
	}
	if (cm == NULL)
		return -1;
	if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(mh, cm) != NULL) {
		close_fds(mh);
		return FD_BAD;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void
drop(struct conn *c, const char *why, const char *detail)
{
	IDD_LOG(ERR, "group: connection from pid %d uid %u dropped: %s%s%s", (int)c->peer_pid,
		(unsigned int)c->peer_uid, why, detail ? ": " : "", detail ? detail : "");
	conn_close(c);
}

static void
receive(struct conn *c)
{
	/* Room for one message more than the maximum, so that an oversized
	 * one shows up as MSG_TRUNC rather than passing for a valid one. */
	uint8_t buf[WIRE_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctrl;

	for (int i = 0; i < CONN_RECV_BUDGET && !c->closing; i++) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctrl.space,
				    .msg_controllen = sizeof(ctrl.space)};
		struct wire_msg m;
		const char *why;
		ssize_t n;
		int fd, ret;

		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK)
				return;
			IDD_LOG(DEBUG, "group: recv from pid %d: %s", (int)c->peer_pid,
				strerror(err));
			conn_close(c);
			return;
		}
		fd = take_fd(&mh);
		if (n == 0 && fd == -1) {
			conn_close(c); /* orderly close by the peer */
			return;
		}
		if (fd == FD_BAD) {
			drop(c, "unexpected ancillary data", NULL);
			return;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			char limit[32];

			if (fd >= 0)
				close(fd);
			snprintf(limit, sizeof(limit), "over %d bytes", WIRE_MAX_MSG);
			drop(c, "message longer than the protocol allows", limit);
			return;
		}
		ret = wire_decode(buf, (size_t)n, &m, &why);
		if (ret != 0) {
			if (fd >= 0)
				close(fd);
			drop(c, "malformed message", why);
			return;
		}
		if (fd != -1 && m.type != WIRE_WINDOW_ADD) {
			if (fd >= 0)
				close(fd);
			drop(c, "fd attached to a message that carries none", wire_type_name(m.type));
			return;
		}
		c->ops->on_msg(c, &m, fd);
	}
}

static void
accept_resume(struct ctl_timer *t)
{
	struct conn *lc = (struct conn *)((char *)t - offsetof(struct conn, timer));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = lc};

	if (!lc->closing)
		epoll_ctl(ctl_epoll_fd(), EPOLL_CTL_MOD, lc->fd, &ev);
}

void
conn_accept_pause(struct conn *lc, unsigned int ms)
{
	struct epoll_event ev = {.events = 0, .data.ptr = lc};

	if (lc->closing || lc->timer.armed)
		return;
	epoll_ctl(ctl_epoll_fd(), EPOLL_CTL_MOD, lc->fd, &ev);
	ctl_timer_arm(&lc->timer, ms, accept_resume);
}

void
conn_io(struct conn *c, uint32_t events)
{
	if (c->closing)
		return;
	if (c->listening) {
		if (events & EPOLLIN)
			c->ops->on_accept(c);
		return;
	}
	if ((events & EPOLLOUT) && !c->closing)
		flush(c);
	/* Read before acting on a hangup: a peer that sent LEAVE (or a
	 * refusal) and closed must still be heard. */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closing)
		receive(c);
	if ((events & (EPOLLHUP | EPOLLERR)) && !c->closing) {
		/* Everything readable was read (or the budget ran out: then
		 * the data stays and EPOLLIN comes again; HUP is sticky). */
		int pending = 0;

		if (recv(c->fd, &pending, sizeof(pending), MSG_PEEK | MSG_DONTWAIT) <= 0)
			conn_close(c);
	}
}
