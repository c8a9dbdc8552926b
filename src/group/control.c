/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread: epoll loop, request queue, timers, deferred work,
 * start on first use, stop at exit, reset in a forked child. See control.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "group/control.h"
#include "group/control_loop.h"

pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t req_done_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	bool started;          /* under start_lock */
	bool stopping;         /* under req_lock */
	pid_t owner_pid;       /* the process that started the thread */
	pthread_t thread;
	int epfd;
	int evfd;
	struct fd_ident epfd_id, evfd_id; /* a forked child checks them */
	struct ctl_req *req_head, *req_tail; /* under req_lock */
	struct ctl_timer *timers;            /* under ctl_lock */
	struct ctl_work *work_head, *work_tail; /* under ctl_lock */
} ctl = {.epfd = -1, .evfd = -1};

static _Thread_local bool on_ctl_thread;

static void wake(void);

/* The eventfd's epoll tag; connections use their struct conn pointer. */
static char wake_tag;

bool
ctl_on_thread(void)
{
	return on_ctl_thread;
}

uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
ctl_epoll_fd(void)
{
	return ctl.epfd;
}

/* ---- timers: an unsorted list; a process has few (handshakes, lookups) ---- */

void
ctl_timer_arm(struct ctl_timer *t, uint64_t delay_ms, void (*fn)(struct ctl_timer *t))
{
	ctl_timer_cancel(t);
	/* +1: the clock is read truncated to the millisecond, and a timer
	 * must never fire before its delay has passed. */
	t->when_ms = ctl_now_ms() + delay_ms + 1;
	t->fn = fn;
	t->armed = true;
	t->prev = NULL;
	t->next = ctl.timers;
	if (ctl.timers != NULL)
		ctl.timers->prev = t;
	ctl.timers = t;
}

void
ctl_timer_cancel(struct ctl_timer *t)
{
	if (!t->armed)
		return;
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		ctl.timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->armed = false;
	t->prev = t->next = NULL;
}

static int
timers_wait_ms(int max_ms)
{
	uint64_t now = ctl_now_ms(), first = UINT64_MAX;

	for (struct ctl_timer *t = ctl.timers; t != NULL; t = t->next)
		if (t->when_ms < first)
			first = t->when_ms;
	if (first == UINT64_MAX)
		return max_ms;
	if (first <= now)
		return 0;
	if (max_ms >= 0 && first - now > (uint64_t)max_ms)
		return max_ms;
	return first - now > INT32_MAX ? INT32_MAX : (int)(first - now);
}

static void
timers_run(void)
{
	uint64_t now = ctl_now_ms();
	bool fired;

	/* A handler may arm or cancel any timer: restart the scan after each. */
	do {
		fired = false;
		for (struct ctl_timer *t = ctl.timers; t != NULL; t = t->next) {
			if (t->when_ms <= now) {
				ctl_timer_cancel(t);
				t->fn(t);
				fired = true;
				break;
			}
		}
	} while (fired);
}

/* ---- deferred work ---- */

void
ctl_post(struct ctl_work *w)
{
	w->next = NULL;
	if (ctl.work_tail != NULL)
		ctl.work_tail->next = w;
	else
		ctl.work_head = w;
	ctl.work_tail = w;
	/* Posted by an API thread (device close): the control thread may be
	 * asleep in epoll. */
	if (!on_ctl_thread && ctl.evfd >= 0)
		wake();
}

static void
work_run(void)
{
	struct ctl_work *w;

	for (;;) {
		pthread_mutex_lock(&ctl_lock);
		w = ctl.work_head;
		if (w != NULL) {
			ctl.work_head = w->next;
			if (ctl.work_head == NULL)
				ctl.work_tail = NULL;
		}
		pthread_mutex_unlock(&ctl_lock);
		if (w == NULL)
			return;
		w->fn(w); /* an event callback: no lock held */
	}
}

/* ---- requests ---- */

void
ctl_complete(struct ctl_req *req, int result)
{
	pthread_mutex_lock(&req_lock);
	req->result = result;
	req->done = true;
	pthread_cond_broadcast(&req_done_cv);
	pthread_mutex_unlock(&req_lock);
}

static bool
req_is_done(struct ctl_req *req)
{
	bool done;

	pthread_mutex_lock(&req_lock);
	done = req->done;
	pthread_mutex_unlock(&req_lock);
	return done;
}

static void
requests_run(void)
{
	struct ctl_req *req;

	for (;;) {
		pthread_mutex_lock(&req_lock);
		req = ctl.req_head;
		if (req != NULL) {
			ctl.req_head = req->next;
			if (ctl.req_head == NULL)
				ctl.req_tail = NULL;
		}
		pthread_mutex_unlock(&req_lock);
		if (req == NULL)
			return;
		win_apply_pending();
		req->fn(req);
	}
}

static void
wake(void)
{
	uint64_t one = 1;

	/* Cannot fail short of a bug: the counter would need 2^64-1 pending
	 * wakeups. */
	if (write(ctl.evfd, &one, sizeof(one)) != sizeof(one))
		IDD_LOG(WARNING, "group: control thread wakeup failed: %s", strerror(errno));
}

/* One pass: wait up to @max_ms (-1: until something happens), then handle
 * I/O, requests and timers under ctl_lock. */
static void
loop_once(int max_ms)
{
	struct epoll_event evs[64];
	int n, timeout;

	pthread_mutex_lock(&ctl_lock);
	timeout = timers_wait_ms(max_ms);
	pthread_mutex_unlock(&ctl_lock);
	n = epoll_wait(ctl.epfd, evs, 64, timeout);
	if (n < 0 && errno != EINTR)
		IDD_LOG(ERR, "group: epoll_wait: %s", strerror(errno));
	pthread_mutex_lock(&ctl_lock);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == &wake_tag) {
			uint64_t v;

			if (read(ctl.evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				IDD_LOG(WARNING, "group: eventfd read: %s", strerror(errno));
			requests_run();
		} else {
			conn_io(evs[i].data.ptr, evs[i].events);
		}
	}
	timers_run();
	/* Requests posted while we handled I/O wait for the next wakeup
	 * anyway (the eventfd stays readable), no need to look here. */
	conn_close_broken();
	conn_reap();
	pthread_mutex_unlock(&ctl_lock);
}

static bool
stopping(void)
{
	bool s;

	pthread_mutex_lock(&req_lock);
	s = ctl.stopping;
	pthread_mutex_unlock(&req_lock);
	return s;
}

static void *
ctl_main(void *arg)
{
	(void)arg;
	on_ctl_thread = true;
	while (!stopping()) {
		loop_once(-1);
		work_run();
	}
	/* Shutdown: close every group (peers see the sockets close, which is
	 * what they would see if we died), refuse queued requests. */
	pthread_mutex_lock(&ctl_lock);
	group_shutdown_all();
	conn_reap();
	pthread_mutex_unlock(&ctl_lock);
	work_run();
	pthread_mutex_lock(&req_lock);
	while (ctl.req_head != NULL) {
		struct ctl_req *req = ctl.req_head;

		ctl.req_head = req->next;
		req->result = -ESHUTDOWN;
		req->done = true;
	}
	ctl.req_tail = NULL;
	pthread_cond_broadcast(&req_done_cv);
	pthread_mutex_unlock(&req_lock);
	return NULL;
}

/* Close the epoll instance and the eventfd. Each number is forgotten
 * before it is closed (see conn_close()). */
static void
fds_close(void)
{
	int evfd = ctl.evfd, epfd = ctl.epfd;

	ctl.evfd = ctl.epfd = -1;
	if (evfd >= 0)
		close(evfd);
	if (epfd >= 0)
		close(epfd);
}

/* How long exit() waits, at each step, for the control thread (or for a
 * lock it may hold) before it gives up the orderly stop. */
#define STOP_WAIT_MS 3000

static void
deadline_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool
lock_within(pthread_mutex_t *m, unsigned int ms)
{
	struct timespec dl;

	deadline_after(&dl, ms);
	return pthread_mutex_timedlock(m, &dl) == 0;
}

static void
stop_skipped(const char *why)
{
	IDD_LOG(ERR, "group: exit without an orderly stop of the groups: %s within %u ms "
		     "(the kernel closes our sockets; peers see this process end)",
		why, STOP_WAIT_MS);
}

/*
 * exit() may come from anywhere, a crash included: a SIGSEGV handler that
 * calls exit() (one that a library loaded by a driver installs) runs this
 * on the thread that crashed, perhaps the control thread inside ctl_lock,
 * or while the control thread is wedged. Waiting for it without a bound
 * would turn the crash into a hang. So every wait here is bounded, and
 * when the control thread or its locks do not answer in time the orderly
 * stop is skipped: the process is ending, the kernel closes its sockets,
 * and every peer sees what it would see if we had been killed.
 */
static void
ctl_stop_at_exit(void)
{
	struct timespec dl;

	/* Answering now means nobody is stuck inside ctl_lock (the memory
	 * layer's listener, below, takes it too). */
	if (!lock_within(&ctl_lock, STOP_WAIT_MS)) {
		stop_skipped("the group lock was not free");
		return;
	}
	pthread_mutex_unlock(&ctl_lock);
	/* No more window events: the memory layer may outlive us at exit. */
	win_listen_stop();
	if (!lock_within(&start_lock, STOP_WAIT_MS)) {
		stop_skipped("the control thread's start lock was not free");
		return;
	}
	if (!ctl.started || ctl.owner_pid != getpid()) {
		pthread_mutex_unlock(&start_lock);
		return;
	}
	if (!lock_within(&req_lock, STOP_WAIT_MS)) {
		pthread_mutex_unlock(&start_lock);
		stop_skipped("the request queue's lock was not free");
		return;
	}
	ctl.stopping = true;
	pthread_mutex_unlock(&req_lock);
	if (on_ctl_thread) {
		/* exit() from an event callback: the thread cannot join itself.
		 * Close the groups here; the process is ending anyway. */
		if (!lock_within(&ctl_lock, STOP_WAIT_MS)) {
			pthread_mutex_unlock(&start_lock);
			stop_skipped("the group lock was not free");
			return;
		}
		group_shutdown_all();
		conn_reap();
		pthread_mutex_unlock(&ctl_lock);
		pthread_mutex_unlock(&start_lock);
		return;
	}
	wake();
	deadline_after(&dl, STOP_WAIT_MS);
	if (pthread_timedjoin_np(ctl.thread, NULL, &dl) != 0) {
		/* It may still be using its fds: leave them to the kernel. */
		pthread_mutex_unlock(&start_lock);
		stop_skipped("the control thread did not stop");
		return;
	}
	ctl.started = false;
	fds_close();
	pthread_mutex_unlock(&start_lock);
}

/* In a forked child the control thread does not exist, yet the child holds
 * copies of the parent's sockets. Those copies must go at once: a
 * listening socket kept open by a child would make a dead creator look
 * alive, and a joiner's socket kept open would hide the joiner's death.
 * The parent's state is abandoned (not freed: it is not ours), and the
 * child starts afresh on its first group call. */
static void
ctl_atfork_child(void)
{
	pthread_mutex_init(&ctl_lock, NULL);
	pthread_mutex_init(&req_lock, NULL);
	pthread_mutex_init(&start_lock, NULL);
	pthread_cond_init(&req_done_cv, NULL);
	if (!ctl.started)
		return;
	group_forget_all();
	conn_forget_all();
	if (fd_ident_is(ctl.evfd, &ctl.evfd_id))
		close(ctl.evfd);
	if (fd_ident_is(ctl.epfd, &ctl.epfd_id))
		close(ctl.epfd);
	memset(&ctl, 0, sizeof(ctl));
	ctl.epfd = ctl.evfd = -1;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
register_process_hooks(void)
{
	pthread_atfork(NULL, NULL, ctl_atfork_child);
	atexit(ctl_stop_at_exit);
}

int
ctl_start(void)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wake_tag};
	int ret = 0, err;

	pthread_once(&atfork_once, register_process_hooks);
	pthread_mutex_lock(&start_lock);
	if (ctl.started) {
		pthread_mutex_unlock(&start_lock);
		return 0;
	}
	pthread_mutex_lock(&req_lock);
	if (ctl.stopping) {
		pthread_mutex_unlock(&req_lock);
		pthread_mutex_unlock(&start_lock);
		return -ESHUTDOWN;
	}
	pthread_mutex_unlock(&req_lock);
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl.epfd < 0) {
		ret = -errno;
		goto fail;
	}
	ctl.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctl.evfd < 0) {
		ret = -errno;
		goto fail;
	}
	if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.evfd, &ev) != 0) {
		ret = -errno;
		goto fail;
	}
	fd_ident_take(ctl.epfd, &ctl.epfd_id);
	fd_ident_take(ctl.evfd, &ctl.evfd_id);
	ctl.owner_pid = getpid();
	err = pthread_create(&ctl.thread, NULL, ctl_main, NULL);
	if (err != 0) {
		ret = -err;
		goto fail;
	}
	ctl.started = true;
	pthread_mutex_unlock(&start_lock);
	return 0;
fail:
	IDD_LOG(ERR, "group: cannot start the control thread: %s", strerror(-ret));
	fds_close();
	pthread_mutex_unlock(&start_lock);
	return ret;
}

int
ctl_call(struct ctl_req *req)
{
	int ret;

	req->done = false;
	req->result = 0;
	req->next = NULL;
	ret = ctl_start();
	if (ret != 0)
		return ret;
	/* Our window changes made before this call go out before anything
	 * the request sends (windows.c). */
	win_flush();
	if (on_ctl_thread) {
		/* From an event callback: run it here. If it waits for the
		 * network, turn the loop ourselves until it is done; callbacks
		 * are not dispatched meanwhile (work_run() is top level only). */
		pthread_mutex_lock(&ctl_lock);
		win_apply_pending();
		req->fn(req);
		pthread_mutex_unlock(&ctl_lock);
		while (!req_is_done(req))
			loop_once(100);
		return req->result;
	}
	pthread_mutex_lock(&req_lock);
	if (ctl.stopping) {
		pthread_mutex_unlock(&req_lock);
		return -ESHUTDOWN;
	}
	if (ctl.req_tail != NULL)
		ctl.req_tail->next = req;
	else
		ctl.req_head = req;
	ctl.req_tail = req;
	pthread_mutex_unlock(&req_lock);
	wake();
	pthread_mutex_lock(&req_lock);
	while (!req->done)
		pthread_cond_wait(&req_done_cv, &req_lock);
	ret = req->result;
	pthread_mutex_unlock(&req_lock);
	return ret;
}
