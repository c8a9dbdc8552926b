/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Out of file descriptors (RLIMIT_NOFILE lowered in a forked child): a
 * process that receives window fds it cannot hold refuses them cleanly and
 * goes on.
 *  - A creator kept one fd per window of a peer that offers window after
 *    window: when the kernel can no longer give it one, the window is
 *    refused and that peer dropped; the creator serves the next joiner.
 *  - A creator that cannot accept() pauses instead of spinning, and
 *    accepts the waiting joiner once it has fds again.
 *  - A joiner whose window fd is lost goes on without that window (copies
 *    into it fail with an address status) and imports the next one.
 * Children report through their exit status: 0 is success, anything else
 * names the check that failed (see the child functions).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#include "group/group.h"
#include "harness.h"
#include "lim_util.h"

static unsigned char tok[16];

static int
setup(void **state)
{
	(void)state;
	for (int16_t d = 0; d < 4; d++)
		group_dev_close(d);
	harness_new_ns();
	lim_log_reset();
	return 0;
}

/* A child process and two pipes to talk with it. */
struct child {
	pid_t pid;
	int to, from;
};

static void
child_fork(struct child *c, int (*fn)(int in, int out, void *arg), void *arg)
{
	int down[2], up[2];

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		_exit(fn(down[0], up[1], arg));
	}
	close(down[0]);
	close(up[1]);
	c->to = down[1];
	c->from = up[0];
}

static void
child_put(struct child *c, uint64_t v)
{
	assert_int_equal(write(c->to, &v, sizeof(v)), sizeof(v));
}

static uint64_t
child_get(struct child *c)
{
	uint64_t v = UINT64_MAX;

	assert_int_equal(read(c->from, &v, sizeof(v)), sizeof(v));
	return v;
}

static int
child_end(struct child *c)
{
	int status = -1;

	close(c->to);
	close(c->from);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	return status;
}

/* In a child: plain reads and writes, no cmocka. */
static bool
put(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v);
}

static bool
get(int fd, uint64_t *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v);
}

static bool
wait_log(const char *needle, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 10; i++) {
		if (lim_log_count(needle) > 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- a creator that runs out of fds while a peer offers windows ---- */

/* Child: creates a group with room for about 24 more fds, tells the
 * parent its id, and when told, checks that it logged why it refused. */
static int
creator_child(int in, int out, void *arg)
{
	unsigned char d0[16];
	int16_t gid = -1;
	uint64_t v;

	(void)arg;
	lim_log_capture();
	test_uuid(1, d0);
	if (group_create(0, d0, tok, NULL, &gid) != 0)
		return 10;
	lim_nofile_set(lim_fd_lowest_free() + 24);
	if (!put(out, (uint64_t)gid) || !get(in, &v))
		return 11;
	if (lim_log_count("came without its fd (this process is out of file "
			  "descriptors); member dropped") != 1)
		return 12;
	if (group_destroy(0, gid) != 0)
		return 13;
	return 0;
}

static void
creator_out_of_fds(void **state)
{
	const uint64_t base = 0x600000000000ull;
	unsigned char d2[16];
	struct child c;
	struct raw_peer p;
	struct wire_msg m;
	unsigned int sent = 0;
	int16_t gid;
	int fd;

	(void)state;
	child_fork(&c, creator_child, NULL);
	gid = (int16_t)child_get(&c);
	fd = lim_memfd(200, 0x77);
	raw_join(&p, gid, tok, 2);
	raw_ready(&p);
	/* Window after window, each an fd the creator would keep. */
	for (; sent < 200; sent++) {
		raw_window_msg(&p, &m, base, sent);
		if (raw_send(&p, &m, fd) != 0)
			break;
	}
	assert_true(raw_closed(&p, 10000));
	raw_close(&p);
	close(fd);
	/* It freed what the dropped peer cost: a real joiner gets in. */
	test_uuid(3, d2);
	assert_int_equal(group_join(1, d2, tok, gid, NULL), 0);
	assert_int_equal(group_leave(1, gid), 0);
	child_put(&c, 1);
	assert_int_equal(child_end(&c), 0);
}

/* ---- a creator that cannot accept ---- */

/* Child: creates a group, then allows itself no new fd at all; 'r'
 * restores its limit and reports how many times accept paused and over
 * how many milliseconds. */
static int
accept_child(int in, int out, void *arg)
{
	unsigned char d0[16];
	uint64_t v, t0, elapsed_ms;
	unsigned long old;
	unsigned int paused;
	int16_t gid = -1;

	(void)arg;
	lim_log_capture();
	test_uuid(1, d0);
	if (group_create(0, d0, tok, NULL, &gid) != 0)
		return 20;
	t0 = mono_us();
	old = lim_nofile_set(lim_fd_lowest_free());
	if (!put(out, (uint64_t)gid) || !get(in, &v))
		return 21;
	paused = lim_log_count("joiners wait: accept paused for 100 ms: Too many open files");
	elapsed_ms = (mono_us() - t0) / 1000;
	lim_nofile_set(old);
	if (!put(out, paused) || !put(out, elapsed_ms) || !get(in, &v))
		return 22;
	if (group_destroy(0, gid) != 0)
		return 23;
	return 0;
}

static void
accept_out_of_fds(void **state)
{
	struct child c;
	struct raw_peer p;
	struct wire_msg m;
	uint64_t paused, elapsed_ms;
	int16_t gid;

	(void)state;
	child_fork(&c, accept_child, NULL);
	gid = (int16_t)child_get(&c);
	/* The connection waits in the backlog: no challenge comes. */
	raw_connect(&p, gid);
	assert_int_equal(raw_recv(&p, &m, 500), -ETIMEDOUT);
	child_put(&c, 'r');
	paused = child_get(&c);
	elapsed_ms = child_get(&c);
	/* At least one pause, and no spin: each pause lasts 100 ms (timers
	 * count whole milliseconds, hence the margin), so there is about one
	 * per 100 ms the child spent without fds; a loop spinning on the
	 * pending connection would log thousands. */
	assert_true(paused >= 1);
	assert_true(paused <= elapsed_ms / 90 + 2);
	/* With fds again, the waiting joiner is served. */
	assert_int_equal(raw_recv(&p, &m, 5000), 1);
	assert_int_equal(m.type, WIRE_CHALLENGE);
	raw_close(&p);
	child_put(&c, 1);
	assert_int_equal(child_end(&c), 0);
}

/* ---- a joiner that cannot receive a window's fd ---- */

/* Child: joins the parent's group, allows itself no new fd, and checks
 * that the window at the address the parent names was refused with one
 * line; then gets its fds back and checks that the next window is mapped
 * (its first 8 bytes read back). */
static int
joiner_child(int in, int out, void *arg)
{
	unsigned char d0[16], d1[16];
	int16_t gid = *(int16_t *)arg;
	uint64_t a1, a2, v;
	unsigned long old;

	lim_log_capture();
	test_uuid(1, d0);
	test_uuid(2, d1);
	if (group_join(0, d1, tok, gid, NULL) != 0)
		return 30;
	old = lim_nofile_set(lim_fd_lowest_free());
	if (!put(out, 1) || !get(in, &a1))
		return 31;
	if (!wait_log("not imported: its fd could not be received (this process is out of "
		      "file descriptors)", 10000))
		return 32;
	if (peek_u64(0, gid, d0, a1, &v) != -EFAULT)
		return 33;
	lim_nofile_set(old);
	if (!put(out, 1) || !get(in, &a2))
		return 34;
	if (peek_wait(0, gid, d0, a2, 0, &v, 10000) != 0 || v != 0x5eed5eed5eed5eedull)
		return 35;
	if (peek_u64(0, gid, d0, a1, &v) != -EFAULT)
		return 36;
	if (idd_dma_access_pair_group_members(0, gid, NULL, 0) != 2)
		return 37;
	if (lim_log_count("not imported") != 1)
		return 38;
	if (!put(out, 1) || !get(in, &v))
		return 39;
	return group_leave(0, gid) == 0 ? 0 : 40;
}

static void
joiner_out_of_fds(void **state)
{
	const size_t len = (size_t)16 << 20; /* a window of its own */
	unsigned char d0[16];
	uint64_t *w1, *w2;
	struct child c;
	int16_t gid = -1;

	(void)state;
	test_uuid(1, d0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	child_fork(&c, joiner_child, &gid);
	assert_int_equal(child_get(&c), 1);
	assert_int_equal(wait_members(0, gid, 2, 5000), 2);
	w1 = idd_mem_alloc(len, IDD_MEM_PEER_RW);
	assert_non_null(w1);
	w1[0] = 0x1111;
	child_put(&c, (uintptr_t)w1);
	assert_int_equal(child_get(&c), 1);
	w2 = idd_mem_alloc(len, IDD_MEM_PEER_RW);
	assert_non_null(w2);
	w2[0] = 0x5eed5eed5eed5eedull;
	child_put(&c, (uintptr_t)w2);
	assert_int_equal(child_get(&c), 1);
	/* Still a member all along. */
	assert_int_equal(wait_members(0, gid, 2, 1000), 2);
	child_put(&c, 1);
	assert_int_equal(child_end(&c), 0);
	assert_int_equal(wait_members(0, gid, 1, 5000), 1);
	idd_mem_free(w1);
	idd_mem_free(w2);
	assert_int_equal(group_destroy(0, gid), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(creator_out_of_fds, setup),
		cmocka_unit_test_setup(accept_out_of_fds, setup),
		cmocka_unit_test_setup(joiner_out_of_fds, setup),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	memset(tok, 0x4d, sizeof(tok));
	lim_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
