/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_CONTROL_H
#define IDD_SRC_GROUP_CONTROL_H

/*
 * The control thread: one per process, started on first use. It runs an
 * epoll loop over the groups' sockets, an eventfd for requests from API
 * threads, and timers; it is the only thread that changes group state, and
 * the thread on which event callbacks run.
 *
 * Locks (order: the dmadev registry lock, then ctl_lock; nothing is taken
 * while holding ctl_lock except the request-queue lock and the log's):
 *   - ctl_lock protects all group, member, handler and directory state.
 *     The control thread holds it while it handles I/O, timers and
 *     requests, never while it waits in epoll or runs a callback. API
 *     threads take it briefly for read-only queries (handler_get, member
 *     lists, handler acquire/release), which therefore never wait for the
 *     control thread.
 *   - the request-queue lock protects the queue and the completion flags.
 *
 * A request (create, join, leave, ...) is posted by ctl_call(), which waits
 * until the control thread completes it. Called on the control thread
 * itself (from an event callback), ctl_call() runs the request inline, and
 * if the request must wait for the network (join, a joiner's publish), runs
 * the loop nested until it completes. Callbacks are never dispatched from a
 * nested loop, only from the top level, so they do not recurse.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "group/fd_ident.h"
#include "group/wire.h"

extern pthread_mutex_t ctl_lock;

/* ---- requests ---- */

struct ctl_req {
	/* Runs on the control thread with ctl_lock held. Must end with
	 * ctl_complete(), now or later (from an I/O or timer handler). */
	void (*fn)(struct ctl_req *req);
	int result;
	bool done;
	struct ctl_req *next;
};

/* Run @req on the control thread and wait for it. Returns req->result, or
 * -ESHUTDOWN when the library is shutting down (the request did not run),
 * or another -errno if the control thread could not be started. */
int ctl_call(struct ctl_req *req);

/* Complete @req with @result (ctl_lock held, control thread). */
void ctl_complete(struct ctl_req *req, int result);

/* Start the control thread if needed. 0 or -errno. */
int ctl_start(void);

/* True on the control thread. */
bool ctl_on_thread(void);

/* Monotonic milliseconds. */
uint64_t ctl_now_ms(void);

/* ---- timers (control thread, ctl_lock held) ---- */

struct ctl_timer {
	uint64_t when_ms;
	void (*fn)(struct ctl_timer *t);
	bool armed;
	struct ctl_timer *prev, *next;
};

void ctl_timer_arm(struct ctl_timer *t, uint64_t delay_ms, void (*fn)(struct ctl_timer *t));
void ctl_timer_cancel(struct ctl_timer *t);

/* ---- deferred work outside the lock ---- */

/* A piece of work run by the control thread at the top level, with no lock
 * held: event callbacks and notifications to drivers. Posted with ctl_lock
 * held. */
struct ctl_work {
	void (*fn)(struct ctl_work *w); /* must free @w if it was allocated */
	struct ctl_work *next;
};

void ctl_post(struct ctl_work *w);

/* ---- connections ---- */

struct conn;

/* on_msg's fd when the peer sent one that we could not receive: this
 * process is out of file descriptors (RLIMIT_NOFILE), and the kernel
 * dropped it (MSG_CTRUNC with no fd). The handler refuses what the fd was
 * for, the connection goes on. */
#define CONN_FD_LOST (-2)

struct conn_ops {
	/* A decoded message, with the fd that came alongside (-1 if none,
	 * CONN_FD_LOST if it could not be received); the handler owns it. */
	void (*on_msg)(struct conn *c, const struct wire_msg *m, int fd);
	/* The connection is closing (peer closed, error, protocol violation,
	 * or conn_close()); called once. */
	void (*on_close)(struct conn *c);
	/* The listening socket is readable (LISTEN connections only). */
	void (*on_accept)(struct conn *c);
};

struct conn_out; /* queued message (conn.c) */

struct conn {
	int fd;                 /* -1 from the moment it is closed */
	struct fd_ident fd_id;  /* what @fd names (a forked child checks) */
	const struct conn_ops *ops;
	void *owner;            /* the group (or other owner) */
	int state;              /* owner's state machine */
	uint16_t slot;          /* creator side: the member slot */
	pid_t peer_pid;         /* from SO_PEERCRED */
	uint32_t peer_uid;
	bool listening;
	bool closing;           /* on_close ran; freed at the end of the loop pass */
	bool broken;            /* a send failed or overflowed: closed at the end
				 * of the pass, never inside conn_send(), whose
				 * caller may still be using the owner */
	bool close_after_flush; /* close once the out queue is empty */
	bool epollout;          /* EPOLLOUT is armed */
	struct ctl_timer timer; /* owner's use (handshake deadline, delayed refusal) */
	struct conn_out *out_head, *out_tail;
	unsigned int out_count;
	size_t out_bytes;
	struct conn *next_all;
	void *priv;             /* owner's handshake data */
};

/* Bounds on what a peer that does not read may make us hold. */
#define CONN_MAX_QUEUED 8192
#define CONN_MAX_QUEUED_BYTES (4u << 20)

/* Wrap @fd (non-blocking, CLOEXEC) and add it to the loop. On failure the
 * fd is closed and NULL returned. SO_PEERCRED is read for stream peers. */
struct conn *conn_add(int fd, bool listening, const struct conn_ops *ops, void *owner);

/* Send @m (with @fd by SCM_RIGHTS when >= 0; the fd stays the caller's).
 * Queues when the peer's buffer is full; marks the connection broken
 * (logging why) if it is not being read and the queue overflows, or if the
 * send fails. A broken connection is closed, with its on_close, at the end
 * of the loop pass: never from inside conn_send(), so a caller may go on
 * using the group and member it was sending for. Returns 0, or -ECONNRESET
 * when the connection is closed or broken. */
int conn_send(struct conn *c, const struct wire_msg *m, int fd);

/* Close now: calls on_close, stops I/O; memory goes at the end of the pass. */
void conn_close(struct conn *c);

/* Every connection of the loop, newest first, linked by next_all
 * (control thread only; closing ones included). */
struct conn *conn_all(void);

/* Close every connection whose owner is @owner (a group going away). */
void conn_close_owned(void *owner);

/* Close once everything queued is sent (a refusal then EOF). */
void conn_close_when_flushed(struct conn *c);

/* A listening connection stops accepting for @ms, then goes on (accept()
 * failed for want of fds or memory: the pending connection would wake the
 * loop again at once). Uses the connection's timer. */
void conn_accept_pause(struct conn *lc, unsigned int ms);

#endif
