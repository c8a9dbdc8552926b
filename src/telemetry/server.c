/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The serving thread: one epoll loop over the listening socket, an eventfd
 * (stop) and at most TEL_MAX_CONNS tool connections. Everything is
 * non-blocking; a connection has at most one answer in flight, and is not
 * read while that answer is being sent, so a tool can make us hold one
 * answer's memory and no more. Only this thread touches the connections;
 * their descriptors are also read (atomically) by the fork-child handler.
 *
 * Why a thread of its own and not the group control thread's loop: that
 * loop only carries group-protocol connections (conn.c decodes every
 * message with the group wire codec), and its handlers run with ctl_lock
 * held, while an answer here needs the dmadev registry lock, which comes
 * before ctl_lock in the lock order. A separate thread takes each lock on
 * its own, briefly, and sleeps in epoll_wait() the rest of the time.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "telemetry/proto.h"
#include "telemetry/tel_internal.h"

#define TEL_MAX_CONNS 16
/* A tool that asks nothing for this long is disconnected. */
#define TEL_IDLE_MS 60000
/* A tool that does not read its answer for this long is disconnected. */
#define TEL_STALL_MS 10000
/* After EMFILE on accept, stop accepting for this long. */
#define TEL_ACCEPT_PAUSE_MS 1000
/* An answer buffer above this is freed after sending. */
#define TEL_KEEP_BUF (256u << 10)

#define TAG_LISTEN 1000u
#define TAG_WAKE 1001u

struct tconn {
	int fd;               /* -1: free slot (atomic accesses: see file comment) */
	pid_t pid;
	uid_t uid;
	uint64_t last_ms;     /* last request, or last progress sending */
	bool sending;         /* an answer is in flight */
	bool close_after;     /* close once it is sent */
	struct tel_hdr rh;    /* the answer's header (flags set per message) */
	struct jw body;
	size_t off;           /* bytes of body sent */
};

struct server {
	int listen_fd, epfd, evfd;
	bool running;
	atomic_bool stop;
	pthread_t thread;
	struct tel_identity id;
	uint64_t accept_paused_until;
	struct tconn conns[TEL_MAX_CONNS];
};

static struct server srv = {.listen_fd = -1, .epfd = -1, .evfd = -1};
/* A forked child's copy of the parent's server, kept reachable (not ours
 * to free: the parent's thread may have been in the middle of it). */
__attribute__((used)) static struct server inherited;

static int
fd_peek(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
fd_put(int *p, int fd)
{
	__atomic_store_n(p, fd, __ATOMIC_RELAXED);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
conn_close(struct tconn *c)
{
	int fd = fd_peek(&c->fd);

	/* Free the slot before closing, so that a fork in between never
	 * leaves the child a number that may already name another file. */
	fd_put(&c->fd, -1);
	epoll_ctl(srv.epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	jw_free(&c->body);
	c->sending = false;
	c->close_after = false;
}

static void
conn_watch(struct tconn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)(c - srv.conns)};

	epoll_ctl(srv.epfd, EPOLL_CTL_MOD, fd_peek(&c->fd), &ev);
}

/* Send what can be sent of the answer in flight. Returns false when the
 * connection was closed. */
static bool
conn_flush(struct tconn *c)
{
	while (c->sending) {
		size_t left = c->body.len - c->off;
		size_t n = left < TEL_CHUNK_MAX ? left : TEL_CHUNK_MAX;
		uint8_t hdr[TEL_HDR_LEN];
		struct iovec iov[2];
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n > 0 ? 2 : 1};
		ssize_t r;

		c->rh.flags = left > n ? TEL_FLAG_MORE : 0;
		tel_hdr_encode(&c->rh, hdr);
		iov[0] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
		iov[1] = (struct iovec){.iov_base = c->body.buf + c->off, .iov_len = n};
		r = sendmsg(fd_peek(&c->fd), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			int err = errno;

			if (err == EAGAIN || err == EWOULDBLOCK) {
				conn_watch(c, EPOLLOUT);
				return true;
			}
			if (err != EPIPE && err != ECONNRESET)
				IDD_LOG(WARNING, "telemetry: answer to pid %d: %s; connection closed",
					(int)c->pid, strerror(err));
			conn_close(c);
			return false;
		}
		c->off += n;
		c->last_ms = now_ms();
		if (c->off < c->body.len)
			continue;
		c->sending = false;
		if (c->body.cap > TEL_KEEP_BUF)
			jw_free(&c->body);
		if (c->close_after) {
			conn_close(c);
			return false;
		}
		conn_watch(c, EPOLLIN);
	}
	return true;
}

/* Start the answer @type/@id with @status: the report (or the greeting)
 * when @status is 0, else {"error": @msg}. */
static bool
conn_answer(struct tconn *c, uint16_t type, uint32_t id, int status, const char *msg)
{
	int ret;

	jw_reset(&c->body); /* keeps the buffer of the previous answer */
	if (status == 0) {
		ret = type == TEL_HELLO ? tel_report_hello(&srv.id, &c->body)
					: tel_report(type & ~TEL_REPLY, &srv.id, &c->body);
		if (ret != 0) {
			status = ret;
			msg = ret == -E2BIG ? "answer larger than the protocol allows"
					    : "out of memory while building the answer";
			IDD_LOG(WARNING, "telemetry: %s answer to pid %d failed: %s",
				tel_cmd_name(type & ~TEL_REPLY) ? tel_cmd_name(type & ~TEL_REPLY)
								: "hello",
				(int)c->pid, msg);
		}
	}
	if (status != 0) {
		jw_reset(&c->body);
		if (tel_report_error(msg, &c->body) != 0)
			jw_reset(&c->body); /* even that failed: an empty text */
	}
	c->rh = (struct tel_hdr){
		.version = TEL_VERSION, .type = type, .id = id, .status = (int16_t)status,
	};
	c->off = 0;
	c->sending = true;
	return conn_flush(c);
}

/* Refuse a connection that gets no slot: one HELLO with an error, then
 * close. Best effort: the socket is new, so its buffer has room. */
static void
refuse_now(int fd, int status, const char *msg)
{
	char text[160];
	uint8_t hdr[TEL_HDR_LEN];
	struct tel_hdr h = {.version = TEL_VERSION, .type = TEL_HELLO, .status = (int16_t)status};
	struct jw w;
	struct iovec iov[2];
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};

	jw_init(&w, sizeof(text));
	tel_report_error(msg, &w);
	tel_hdr_encode(&h, hdr);
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
	iov[1] = (struct iovec){.iov_base = w.buf, .iov_len = w.err == 0 ? w.len : 0};
	if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		IDD_LOG(DEBUG, "telemetry: refusal not sent: %s", strerror(errno));
	jw_free(&w);
	close(fd);
}

static void
accept_one(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct tconn *c = NULL;
	struct epoll_event ev = {.events = EPOLLIN};

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		IDD_LOG(WARNING, "telemetry: connection refused: SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	if (cr.uid != srv.id.uid && cr.uid != 0) {
		IDD_LOG(WARNING, "telemetry: connection from pid %d refused: uid %u is neither "
				 "ours (%u) nor root", (int)cr.pid, (unsigned int)cr.uid,
			(unsigned int)srv.id.uid);
		refuse_now(fd, -EACCES, "permission denied: only the process's own user and "
					"root may read its telemetry");
		return;
	}
	for (unsigned int i = 0; i < TEL_MAX_CONNS; i++) {
		if (fd_peek(&srv.conns[i].fd) < 0) {
			c = &srv.conns[i];
			break;
		}
	}
	if (c == NULL) {
		IDD_LOG(WARNING, "telemetry: connection from pid %d refused: %d tools already "
				 "connected", (int)cr.pid, TEL_MAX_CONNS);
		refuse_now(fd, -EBUSY, "too many telemetry connections; try again");
		return;
	}
	ev.data.u64 = (uint64_t)(c - srv.conns);
	if (epoll_ctl(srv.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		IDD_LOG(WARNING, "telemetry: connection from pid %d refused: epoll: %s",
			(int)cr.pid, strerror(errno));
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	jw_init(&c->body, TEL_REPLY_MAX);
	fd_put(&c->fd, fd);
	c->pid = cr.pid;
	c->uid = cr.uid;
	c->last_ms = now_ms();
	IDD_LOG(DEBUG, "telemetry: tool pid %d (uid %u) connected", (int)cr.pid,
		(unsigned int)cr.uid);
	conn_answer(c, TEL_HELLO, 0, 0, NULL);
}

static void
accept_all(void)
{
	for (;;) {
		int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			accept_one(fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		default: {
			/* EMFILE and the like: the listening socket stays
			 * readable, so stop watching it for a while. */
			struct epoll_event ev = {.events = 0, .data.u64 = TAG_LISTEN};

			IDD_LOG(WARNING, "telemetry: accept: %s; pausing for %d ms",
				strerror(errno), TEL_ACCEPT_PAUSE_MS);
			epoll_ctl(srv.epfd, EPOLL_CTL_MOD, srv.listen_fd, &ev);
			srv.accept_paused_until = now_ms() + TEL_ACCEPT_PAUSE_MS;
			return;
		}
		}
	}
}

static void
conn_refuse(struct tconn *c, const char *why)
{
	IDD_LOG(WARNING, "telemetry: request from pid %d (uid %u) refused, connection "
			 "closed: %s", (int)c->pid, (unsigned int)c->uid, why);
	conn_close(c);
}

static void
conn_read(struct tconn *c)
{
	uint8_t buf[TEL_REQ_BUF];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct tel_hdr h;
	const char *why;
	ssize_t r;
	int ret;

	if (c->sending)
		return; /* one answer at a time; EPOLLIN is off meanwhile */
	r = recvmsg(fd_peek(&c->fd), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (r < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return;
		if (err != ECONNRESET)
			IDD_LOG(WARNING, "telemetry: connection of pid %d: %s; closed", (int)c->pid,
				strerror(err));
		conn_close(c);
		return;
	}
	if (r == 0) {
		/* The tool closed (SEQPACKET: end of file, or an empty message,
		 * which is no request either). */
		IDD_LOG(DEBUG, "telemetry: tool pid %d disconnected", (int)c->pid);
		conn_close(c);
		return;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		/* Descriptors or credentials came along; the kernel dropped them
		 * (no control buffer was given). */
		conn_refuse(c, "ancillary data (file descriptors?) attached to a request");
		return;
	}
	ret = tel_request_check(buf, (msg.msg_flags & MSG_TRUNC) ? sizeof(buf) + 1 : (size_t)r,
				&h, &why);
	if (ret == -EPROTO) {
		conn_refuse(c, why);
		return;
	}
	c->last_ms = now_ms();
	if (ret == -EPROTONOSUPPORT) {
		char text[96];

		IDD_LOG(WARNING, "telemetry: request from pid %d refused: protocol version %u "
				 "(this process speaks %d); connection closed",
			(int)c->pid, h.version, TEL_VERSION);
		snprintf(text, sizeof(text), "protocol version %u not supported; this process "
					     "speaks version %d", h.version, TEL_VERSION);
		c->close_after = true;
		conn_answer(c, (uint16_t)(h.type | TEL_REPLY), h.id, -EPROTONOSUPPORT, text);
		return;
	}
	if (ret == -EOPNOTSUPP) {
		IDD_LOG(WARNING, "telemetry: request from pid %d refused: unknown command %u",
			(int)c->pid, h.type);
		conn_answer(c, (uint16_t)(h.type | TEL_REPLY), h.id, -EOPNOTSUPP,
			    "unknown command");
		return;
	}
	conn_answer(c, (uint16_t)(h.type | TEL_REPLY), h.id, 0, NULL);
}

static void
sweep(void)
{
	uint64_t now = now_ms();

	if (srv.accept_paused_until != 0 && now >= srv.accept_paused_until) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};

		srv.accept_paused_until = 0;
		epoll_ctl(srv.epfd, EPOLL_CTL_MOD, srv.listen_fd, &ev);
	}
	for (unsigned int i = 0; i < TEL_MAX_CONNS; i++) {
		struct tconn *c = &srv.conns[i];

		if (fd_peek(&c->fd) < 0)
			continue;
		if (c->sending && now - c->last_ms > TEL_STALL_MS) {
			IDD_LOG(WARNING, "telemetry: tool pid %d does not read its answer; "
					 "connection closed", (int)c->pid);
			conn_close(c);
		} else if (!c->sending && now - c->last_ms > TEL_IDLE_MS) {
			IDD_LOG(DEBUG, "telemetry: tool pid %d idle; connection closed",
				(int)c->pid);
			conn_close(c);
		}
	}
}

static void *
serve(void *arg)
{
	struct epoll_event evs[TEL_MAX_CONNS + 2];

	(void)arg;
	while (!atomic_load_explicit(&srv.stop, memory_order_acquire)) {
		int n = epoll_wait(srv.epfd, evs, TEL_MAX_CONNS + 2, 1000);

		if (n < 0 && errno != EINTR) {
			IDD_LOG(ERR, "telemetry: epoll_wait: %s; serving stops", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			struct tconn *c;

			if (tag == TAG_WAKE)
				continue; /* the loop condition sees the stop */
			if (tag == TAG_LISTEN) {
				accept_all();
				continue;
			}
			if (tag >= TEL_MAX_CONNS)
				continue;
			c = &srv.conns[tag];
			if (fd_peek(&c->fd) < 0)
				continue; /* closed earlier in this batch */
			if (evs[i].events & EPOLLOUT) {
				if (!conn_flush(c))
					continue;
			}
			if (evs[i].events & EPOLLIN) {
				conn_read(c);
				continue;
			}
			if (evs[i].events & (EPOLLHUP | EPOLLERR))
				conn_close(c);
		}
		sweep();
	}
	return NULL;
}

/* The number is forgotten before it is closed: a fork by another thread in
 * between must not give the child a number the application may reuse at
 * once (the child's atfork handler closes what it finds here). */
static void
server_fd_close(int *p)
{
	int fd = fd_peek(p);

	fd_put(p, -1);
	if (fd >= 0)
		close(fd);
}

static void
close_all(void)
{
	for (unsigned int i = 0; i < TEL_MAX_CONNS; i++)
		if (fd_peek(&srv.conns[i].fd) >= 0)
			conn_close(&srv.conns[i]);
	server_fd_close(&srv.listen_fd);
	server_fd_close(&srv.evfd);
	server_fd_close(&srv.epfd);
}

int
tel_server_start(int listen_fd, const struct tel_identity *id)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t all, old;
	int err;

	memset(&srv, 0, sizeof(srv));
	for (unsigned int i = 0; i < TEL_MAX_CONNS; i++)
		fd_put(&srv.conns[i].fd, -1);
	fd_put(&srv.listen_fd, listen_fd);
	fd_put(&srv.evfd, -1);
	srv.id = *id;
	atomic_init(&srv.stop, false);
	fd_put(&srv.epfd, epoll_create1(EPOLL_CLOEXEC));
	if (srv.epfd < 0)
		goto fail;
	fd_put(&srv.evfd, eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	if (srv.evfd < 0)
		goto fail;
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.listen_fd, &ev) != 0)
		goto fail;
	ev.data.u64 = TAG_WAKE;
	if (epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.evfd, &ev) != 0)
		goto fail;
	/* The thread takes no signal: those are the application's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&srv.thread, NULL, serve, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		goto fail;
	}
	pthread_setname_np(srv.thread, "idd-telemetry");
	srv.running = true;
	return 0;
fail:
	err = errno;
	IDD_LOG(ERR, "telemetry: cannot start serving: %s", strerror(err));
	close_all();
	return -err;
}

void
tel_server_stop(void)
{
	uint64_t one = 1;

	if (!srv.running)
		return;
	atomic_store_explicit(&srv.stop, true, memory_order_release);
	if (write(srv.evfd, &one, sizeof(one)) != sizeof(one))
		IDD_LOG(WARNING, "telemetry: wakeup failed: %s", strerror(errno));
	pthread_join(srv.thread, NULL);
	close_all();
	srv.running = false;
}

void
tel_server_forget(void)
{
	if (!srv.running)
		return;
	for (unsigned int i = 0; i < TEL_MAX_CONNS; i++) {
		int fd = fd_peek(&srv.conns[i].fd);

		if (fd >= 0)
			close(fd);
	}
	close(fd_peek(&srv.listen_fd));
	close(fd_peek(&srv.evfd));
	close(fd_peek(&srv.epfd));
	inherited = srv;
	memset(&srv, 0, sizeof(srv));
	srv.listen_fd = srv.epfd = srv.evfd = -1;
}
