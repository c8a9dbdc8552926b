/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exit() never waits forever for the control thread. A crash on the
 * control thread inside ctl_lock, with a SIGSEGV handler that calls exit()
 * (as one a driver's library installs does), and an exit() while the
 * control thread is wedged inside ctl_lock, both end the process with the
 * status exit() was given, instead of hanging in the library's atexit
 * handler. Each case runs in a forked child; the parent bounds the wait
 * (a hang fails the test, it does not hang the suite).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "group/control.h"

/* A hang bound for the child, well past the library's own bounds. */
#define CHILD_BOUND_S 60

static void
on_segv(int sig)
{
	(void)sig;
	exit(3);
}

/* On the control thread, at the top level (no lock held): take the lock
 * as the loop does, then crash inside it. */
static void
crash_in_lock(struct ctl_work *w)
{
	(void)w;
	pthread_mutex_lock(&ctl_lock);
	raise(SIGSEGV);
	pthread_mutex_unlock(&ctl_lock);
}

static atomic_bool wedged;

/* On the control thread: take the lock and never come back. */
static void
wedge_in_lock(struct ctl_work *w)
{
	(void)w;
	pthread_mutex_lock(&ctl_lock);
	atomic_store(&wedged, true);
	for (;;)
		pause();
}

static struct ctl_work work;

static void
post_on_control_thread(void (*fn)(struct ctl_work *w))
{
	assert_int_equal(ctl_start(), 0);
	work.fn = fn;
	pthread_mutex_lock(&ctl_lock);
	ctl_post(&work);
	pthread_mutex_unlock(&ctl_lock);
}

/* Run @body in a child; its exit status, or -1 if it had to be killed. */
static int
child_status(void (*body)(void))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		body();
		_exit(100); /* not reached */
	}
	for (int i = 0; i < CHILD_BOUND_S * 100; i++) {
		struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
		pid_t r = waitpid(pid, &status, WNOHANG);

		assert_true(r >= 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void
crash_body(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	post_on_control_thread(crash_in_lock);
	for (;;)
		pause(); /* the crash handler ends us */
}

static void
crash_on_control_thread(void **state)
{
	(void)state;
	assert_int_equal(child_status(crash_body), 3);
}

static void
wedged_body(void)
{
	struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};

	post_on_control_thread(wedge_in_lock);
	/* Let it take the lock: an exit before that is no test. */
	while (!atomic_load(&wedged))
		nanosleep(&ts, NULL);
	exit(4);
}

static void
exit_while_control_thread_wedged(void **state)
{
	(void)state;
	assert_int_equal(child_status(wedged_body), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crash_on_control_thread),
		cmocka_unit_test(exit_while_control_thread_wedged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
