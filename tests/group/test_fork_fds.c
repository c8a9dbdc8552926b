/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No fd number outlives its close in the control plane. After many
 * connections came and went (joins and leaves on both sides, refused joins,
 * members killed, groups ended with members in them), the application's
 * fds are its own: pipes it makes reuse the numbers the control plane
 * closed, and neither the control thread (in the parent) nor the fork
 * handler (in a child) may close them. And once every group is gone the
 * process holds exactly the fds it held before.
 *
 * fork_while_a_connection_closes makes the instant that matters happen for
 * sure: this program is linked with close() wrapped (meson.build), and the
 * wrapper holds the control thread right after it closed a connection's
 * socket while this thread makes a pipe, which takes the number just
 * closed, and forks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "group/control.h"
#include "group/group.h"
#include "harness.h"

#define EV_LEFT IDD_DMA_GROUP_EV_MEMBER_LEFT
#define EV_DESTROYED IDD_DMA_GROUP_EV_GROUP_DESTROYED

/* Join/leave cycles per phase. */
#define CYCLES 20
/* Pipes the application makes at each check. */
#define NB_PIPES 12
#define MAX_FDS 256

static unsigned char tok[16], badtok[16];
static char tokhex[33], badtokhex[33];

/* The fd numbers open in this process, sorted; returns how many. */
static int
fd_set_now(int *fds, int cap)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, self;

	assert_non_null(dir);
	self = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == self)
			continue;
		assert_true(n < cap);
		fds[n++] = fd;
	}
	closedir(dir);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int x = fds[j];

			fds[j] = fds[j - 1];
			fds[j - 1] = x;
		}
	return n;
}

static int start_fds[MAX_FDS], nb_start_fds;

static bool
fd_set_is_start(void)
{
	int now[MAX_FDS], n = fd_set_now(now, MAX_FDS);

	return n == nb_start_fds && memcmp(now, start_fds, (size_t)n * sizeof(int)) == 0;
}

/* Once every group is gone, the fd table is what it was: the control
 * thread closes what it held (a connection is closed at the end of the
 * loop pass that ends it, so it may take a moment). 20 s bounds a hang. */
static void
assert_fds_back_to_start(void)
{
	struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};

	for (int i = 0; i < 2000 && !fd_set_is_start(); i++)
		nanosleep(&ts, NULL);
	if (!fd_set_is_start()) {
		int now[MAX_FDS], n = fd_set_now(now, MAX_FDS);

		print_message("fds at start:");
		for (int i = 0; i < nb_start_fds; i++)
			print_message(" %d", start_fds[i]);
		print_message("\nfds now:");
		for (int i = 0; i < n; i++)
			print_message(" %d", now[i]);
		print_message("\n");
		fail_msg("the fd table did not return to its starting set");
	}
}

/* A pipe of ours works: a byte written comes out. */
static int
pipe_works(const int p[2], unsigned char byte)
{
	unsigned char got = 0;

	if (fcntl(p[0], F_GETFD) < 0 || fcntl(p[1], F_GETFD) < 0)
		return -1;
	if (write(p[1], &byte, 1) != 1 || read(p[0], &got, 1) != 1)
		return -1;
	return got == byte ? 0 : -1;
}

struct app_pipes {
	int p[NB_PIPES][2];
};

/* The application makes pipes: they take the lowest free numbers, which
 * are the ones the control plane closed last. */
static void
pipes_make(struct app_pipes *a)
{
	for (int i = 0; i < NB_PIPES; i++)
		assert_int_equal(pipe(a->p[i]), 0);
}

static void
pipes_close(struct app_pipes *a)
{
	for (int i = 0; i < NB_PIPES; i++) {
		assert_int_equal(close(a->p[i][0]), 0);
		assert_int_equal(close(a->p[i][1]), 0);
	}
}

/* Every pipe still open and working here. */
static void
assert_pipes_work(const struct app_pipes *a)
{
	for (int i = 0; i < NB_PIPES; i++) {
		if (pipe_works(a->p[i], (unsigned char)(0x40 + i)) != 0)
			fail_msg("pipe %d (fds %d, %d) was closed under the application", i,
				 a->p[i][0], a->p[i][1]);
	}
}

/* fork(): in the child every pipe is still open and works, and can be
 * dup2'ed as a child about to exec would; the child's exit status counts
 * what failed. */
static void
assert_pipes_survive_fork(const struct app_pipes *a)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < NB_PIPES; i++) {
			if (pipe_works(a->p[i], (unsigned char)(0x80 + i)) != 0) {
				fprintf(stderr, "child: pipe %d (fds %d, %d) is closed\n", i,
					a->p[i][0], a->p[i][1]);
				bad++;
				continue;
			}
			/* What a child about to exec does with its pipes. */
			if (dup2(a->p[i][0], 200) != 200 || close(200) != 0) {
				fprintf(stderr, "child: dup2 of fd %d: %s\n", a->p[i][0],
					strerror(errno));
				bad++;
			}
		}
		harness_child_exit(bad != 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The whole check at one point of a test: pipes made now survive a fork
 * and what the control plane does next (@more runs between), then go. */
static void
check_pipes_around(void (*more)(void *arg), void *arg)
{
	struct app_pipes a;

	pipes_make(&a);
	assert_pipes_survive_fork(&a);
	if (more != NULL)
		more(arg);
	assert_pipes_work(&a);
	assert_pipes_survive_fork(&a);
	pipes_close(&a);
}

struct creator_ctx {
	int16_t gid;
	unsigned int next_dom;
};

/* One round of everything that makes and ends connections at a creator:
 * an agent's join/leave cycles, a refused join, a member killed, a member
 * that exits without leaving. */
static void
creator_round(void *arg)
{
	struct creator_ctx *x = arg;
	unsigned char d1[16], d2[16], d3[16];
	char h1[33], h2[33], h3[33], line[256];
	struct agent a, b;

	test_uuid_hex(x->next_dom++, d1, h1);
	test_uuid_hex(x->next_dom++, d2, h2);
	test_uuid_hex(x->next_dom++, d3, h3);
	agent_spawn(&a);
	agent_spawn(&b);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "joinbench 0 %d %s %s %d", x->gid, h1,
				   tokhex, CYCLES),
			 0);
	assert_int_equal(agent_cmd(&b, NULL, 0, "join 0 %d %s %s", x->gid, h2, badtokhex),
			 -EACCES);
	/* Two members, and one leaves while the other is there (the leave
	 * waits for the other's confirmation). */
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", x->gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&b, NULL, 0, "join 0 %d %s %s", x->gid, h2, tokhex), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", x->gid), 0);
	/* b killed as a member: a departure by death. */
	agent_kill(&b);
	assert_true(events_wait(EV_LEFT, d2, x->gid, 10000) != 0);
	/* a joins again and exits without leaving. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", x->gid, h3, tokhex), 0);
	assert_int_equal(agent_exit(&a), 0);
	assert_true(events_wait(EV_LEFT, d3, x->gid, 10000) != 0);
}

/* This process creates; agents join, leave, fail, die; the group ends
 * with members in it (device close). */
static void
creator_side(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33];
	struct creator_ctx x = {.next_dom = 100};
	struct agent a;

	(void)state;
	test_uuid_hex(99, d0, h0);
	test_uuid_hex(98, d1, h1);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &x.gid), 0);
	check_pipes_around(creator_round, &x);
	check_pipes_around(creator_round, &x);
	/* The group ends while a member is in it. */
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", x.gid, h1, tokhex), 0);
	group_dev_close(0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "waitev 0 %d %d %s 10000", x.gid, EV_DESTROYED,
				   h1),
			 0);
	assert_int_equal(agent_exit(&a), 0);
	check_pipes_around(NULL, NULL);
	assert_fds_back_to_start();
}

struct joiner_ctx {
	struct agent *c;
	int16_t gid;
	unsigned char self[16];
	char selfhex[33];
};

/* This process joins and leaves an agent's group, and is refused once. */
static void
joiner_round(void *arg)
{
	struct joiner_ctx *x = arg;

	for (int i = 0; i < CYCLES; i++) {
		assert_int_equal(group_join(1, x->self, tok, x->gid, NULL), 0);
		assert_int_equal(group_leave(1, x->gid), 0);
	}
	assert_int_equal(group_join(1, x->self, badtok, x->gid, NULL), -EACCES);
}

/* An agent creates; this process joins and leaves, is refused, sees its
 * group destroyed and its creator killed. */
static void
joiner_side(void **state)
{
	unsigned char dc[16];
	char hc[33], line[256];
	struct agent c;
	struct joiner_ctx x = {.c = &c};
	int gid = -1;

	(void)state;
	test_uuid_hex(200, dc, hc);
	test_uuid_hex(201, x.self, x.selfhex);
	agent_spawn(&c);
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "create 0 0 %s %s", hc, tokhex), 0);
	sscanf(line, "ret %*d %d", &gid);
	x.gid = (int16_t)gid;
	check_pipes_around(joiner_round, &x);
	check_pipes_around(joiner_round, &x);
	/* The creator ends the group while we are in it. */
	assert_int_equal(group_join(1, x.self, tok, x.gid, events_upstream_cb), 0);
	assert_int_equal(agent_cmd(&c, NULL, 0, "close 0"), 0);
	assert_true(events_wait(EV_DESTROYED, NULL, x.gid, 10000) != 0);
	check_pipes_around(NULL, NULL);
	/* The creator is killed while we are in its group. */
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "create 0 0 %s %s", hc, tokhex), 0);
	sscanf(line, "ret %*d %d", &gid);
	assert_int_equal(group_join(1, x.self, tok, (int16_t)gid, events_upstream_cb), 0);
	agent_kill(&c);
	assert_true(events_wait(EV_DESTROYED, NULL, gid, 10000) != 0);
	check_pipes_around(NULL, NULL);
	assert_fds_back_to_start();
}

/* ---- close() wrapped: hold the control thread after a socket's close ---- */

int __real_close(int fd);
int __wrap_close(int fd);

static atomic_bool close_armed;
static atomic_int closed_fd = -1;
static sem_t closed_sem, forked_sem;

static void
deadline_in(struct timespec *ts, int s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += s;
}

int
__wrap_close(int fd)
{
	struct stat st;
	bool sock = atomic_load(&close_armed) && ctl_on_thread() && fstat(fd, &st) == 0 &&
		    S_ISSOCK(st.st_mode);
	int ret = __real_close(fd), err = errno;

	if (sock && atomic_exchange(&close_armed, false)) {
		struct timespec dl;

		atomic_store(&closed_fd, fd);
		sem_post(&closed_sem);
		/* Until the test thread has forked; bounded, so that a fork
		 * that waits for this thread (a library that serialised fork
		 * with its control thread) cannot hang the test. */
		deadline_in(&dl, 2);
		while (sem_timedwait(&forked_sem, &dl) != 0 && errno == EINTR)
			;
	}
	errno = err;
	return ret;
}

/* A member is killed: the control thread closes its connection, and is
 * held right after the close() while this thread makes pipes until one
 * takes the number just closed, and forks. The child's pipes all work;
 * so do the parent's after the control thread went on. */
static void
fork_while_a_connection_closes(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33];
	int p[64][2], nb = 0, status = -1;
	bool hit = false;
	struct timespec dl;
	struct agent a;
	int16_t gid = -1;
	pid_t pid;

	(void)state;
	test_uuid_hex(300, d0, h0);
	test_uuid_hex(301, d1, h1);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	atomic_store(&close_armed, true);
	agent_kill(&a);
	deadline_in(&dl, 20);
	while (sem_timedwait(&closed_sem, &dl) != 0)
		assert_int_equal(errno, EINTR);
	while (!hit && nb < 64) {
		assert_int_equal(pipe(p[nb]), 0);
		hit = p[nb][0] == atomic_load(&closed_fd) || p[nb][1] == atomic_load(&closed_fd);
		nb++;
	}
	assert_true(hit);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < nb; i++) {
			if (pipe_works(p[i], (unsigned char)i) != 0) {
				fprintf(stderr, "child: pipe %d (fds %d, %d) is closed\n", i,
					p[i][0], p[i][1]);
				bad++;
			}
		}
		harness_child_exit(bad != 0);
	}
	sem_post(&forked_sem);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(events_wait(EV_LEFT, d1, gid, 10000) != 0);
	for (int i = 0; i < nb; i++) {
		assert_int_equal(pipe_works(p[i], (unsigned char)i), 0);
		close(p[i][0]);
		close(p[i][1]);
	}
	assert_int_equal(group_destroy(0, gid), 0);
	assert_fds_back_to_start();
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		harness_unit_test(creator_side),
		harness_unit_test(joiner_side),
		harness_unit_test(fork_while_a_connection_closes),
	};
	int ret = harness_main(argc, argv);
	unsigned char d[16];
	int16_t gid = -1;

	if (ret >= 0)
		return ret;
	if (sem_init(&closed_sem, 0, 0) != 0 || sem_init(&forked_sem, 0, 0) != 0)
		return 1;
	test_uuid_hex(0x7101, tok, tokhex);
	test_uuid_hex(0x7102, badtok, badtokhex);
	/* The control thread's own fds (its epoll and eventfd) are there
	 * from its start on: the starting set is taken once it runs. */
	harness_new_ns();
	test_uuid(0x7103, d);
	if (group_create(3, d, d, NULL, &gid) != 0 || group_destroy(3, gid) != 0)
		return 1;
	nb_start_fds = fd_set_now(start_fds, MAX_FDS);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
