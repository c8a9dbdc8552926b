/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The creator against misbehaving peers, over real sockets: a connection
 * that never speaks, garbage, oversized messages, stray fds, a flood of bad
 * tokens, a member that stops reading. Also, in one process: groups joined
 * by another device of the same process, group calls made from inside an
 * event callback, and handler retirement.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../lib/sockmsg.h"
#include "group/auth.h"
#include "group/group.h"
#include "group/rendezvous.h"
#include "group/wire.h"
#include "harness.h"

#define HANDSHAKE_DEFAULT_MS 5000

static unsigned char tok[16], badtok[16];

/* A raw client socket to group @gid of our namespace (blocking). */
static int
raw_connect(int gid)
{
	struct rdv_opts o;
	int fd;

	assert_int_equal(rdv_opts_from_env(&o), 0);
	fd = rdv_connect(&o, gid);
	assert_true(fd >= 0);
	/* Blocking sends from here on (receives poll first). */
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK), 0);
	return fd;
}

/* Wait until @fd is readable; then recv: >0 a message, 0 closed. */
static ssize_t
raw_recv(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	return sockmsg_recv(fd, buf, cap, NULL, timeout_ms);
}

static void
raw_send(int fd, const struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_MSG];
	ssize_t len = wire_encode(m, buf, sizeof(buf));

	assert_true(len > 0);
	assert_int_equal(send(fd, buf, (size_t)len, MSG_NOSIGNAL), len);
}

static void
raw_challenge(int fd, struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_MSG];
	const char *why;
	ssize_t n = raw_recv(fd, buf, sizeof(buf), 2000);

	assert_true(n > 0);
	assert_int_equal(wire_decode(buf, (size_t)n, m, &why), 0);
	assert_int_equal(m->type, WIRE_CHALLENGE);
}

/* Answer the challenge as a real joiner would, with @key as token. */
static void
raw_join(int fd, int gid, const unsigned char key[16], const unsigned char domain[16],
	 struct auth_ctx *ctx)
{
	struct wire_msg ch, j = {.type = WIRE_JOIN};

	raw_challenge(fd, &ch);
	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->nonce_c, ch.u.challenge.nonce, WIRE_NONCE_LEN);
	auth_nonce(ctx->nonce_j);
	ctx->group_id = (uint16_t)gid;
	memcpy(ctx->joiner_domain, domain, 16);
	ctx->joiner_uid = (uint32_t)geteuid();
	ctx->creator_uid = (uint32_t)geteuid();
	memcpy(j.u.join.domain, domain, 16);
	memcpy(j.u.join.nonce, ctx->nonce_j, WIRE_NONCE_LEN);
	auth_mac(AUTH_JOINER, key, ctx, j.u.join.mac);
	raw_send(fd, &j);
}

/* Expect the creator to close @fd (after any number of messages). */
static void
expect_closed(int fd, int timeout_ms)
{
	uint8_t buf[WIRE_MAX_MSG + 1];
	ssize_t n;

	do {
		n = raw_recv(fd, buf, sizeof(buf), timeout_ms);
	} while (n > 0);
	assert_int_equal(n, 0);
	close(fd);
}

/* A same-process join through the group's socket must still work. */
static void
good_join_works(int16_t dev, int gid, unsigned int n)
{
	unsigned char d[16];

	/* A join gives up after JOIN_TIMEOUT_MS: success is the liveness
	 * bound; how fast it went is idd-perf's business. */
	test_uuid(n, d);
	assert_int_equal(group_join(dev, d, tok, (int16_t)gid, NULL), 0);
	assert_int_equal(group_leave(dev, (int16_t)gid), 0);
}

static void
misbehaving_peers(void **state)
{
	unsigned char d0[16], dx[16];
	struct auth_ctx ctx;
	struct wire_msg ch;
	int16_t gid = -1;
	int silent, fd;

	(void)state;
	test_uuid(1, d0);
	test_uuid(2, dx);
	group_set_handshake_ms(10000);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);

	/* A connection that never speaks blocks nobody: the good join is
	 * done while the silent one is still connected (the creator drops
	 * it only at its 10 s deadline), so it did not wait for that. */
	silent = raw_connect(gid);
	raw_challenge(silent, &ch);
	good_join_works(1, gid, 10);
	{
		uint8_t b[16];

		assert_int_equal(raw_recv(silent, b, sizeof(b), 0), -ETIMEDOUT);
	}
	close(silent);
	group_set_handshake_ms(1000);
	silent = raw_connect(gid);
	raw_challenge(silent, &ch);

	/* Garbage instead of JOIN. */
	fd = raw_connect(gid);
	raw_challenge(fd, &ch);
	assert_int_equal(send(fd, "hello, creator", 14, MSG_NOSIGNAL), 14);
	expect_closed(fd, 2000);

	/* A valid message of the wrong type for the state. */
	fd = raw_connect(gid);
	raw_challenge(fd, &ch);
	{
		struct wire_msg m = {.type = WIRE_READY};

		raw_send(fd, &m);
	}
	expect_closed(fd, 2000);

	/* Oversized. */
	fd = raw_connect(gid);
	raw_challenge(fd, &ch);
	{
		static uint8_t big[WIRE_MAX_MSG + 100];

		memset(big, 0x5a, sizeof(big));
		assert_int_equal(send(fd, big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
	}
	expect_closed(fd, 2000);

	/* An fd riding along a JOIN. */
	fd = raw_connect(gid);
	{
		struct wire_msg j = {.type = WIRE_JOIN};
		uint8_t buf[WIRE_MAX_MSG];
		ssize_t len;
		int passed = 0; /* stdin */

		raw_challenge(fd, &ch);
		len = wire_encode(&j, buf, sizeof(buf));
		assert_int_equal(sockmsg_send(fd, buf, (size_t)len, passed), len);
	}
	expect_closed(fd, 2000);

	/* The silent one is dropped after the handshake deadline. */
	expect_closed(silent, 3000);
	group_set_handshake_ms(HANDSHAKE_DEFAULT_MS);
	good_join_works(1, gid, 11);
	assert_int_equal(group_destroy(0, gid), 0);
	(void)ctx;
	(void)dx;
}

/* Ten bad joins at once; a good join goes through while their refusals are
 * still held back; the refusals come, growing. */
static void
bad_token_flood(void **state)
{
	enum { N = 10 };
	unsigned char d0[16], dx[16];
	struct auth_ctx ctx;
	int16_t gid = -1;
	int fds[N];
	uint64_t t0;

	(void)state;
	test_uuid(3, d0);
	test_uuid(4, dx);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	t0 = mono_us();
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect(gid);
		raw_join(fds[i], gid, badtok, dx, &ctx);
	}
	good_join_works(1, gid, 12);
	/* The first refusal: EACCES, not before the base delay. */
	{
		uint8_t buf[WIRE_MAX_MSG];
		struct wire_msg m;
		const char *why;
		ssize_t n = raw_recv(fds[0], buf, sizeof(buf), 3000);

		assert_true(n > 0);
		assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
		assert_int_equal(m.type, WIRE_REFUSE);
		assert_int_equal(m.u.refuse_code, EACCES);
		assert_true(mono_us() - t0 >= AUTH_DELAY_BASE_MS * 1000);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* A right token from the same uid is still welcome. */
	{
		int fd = raw_connect(gid);
		uint8_t buf[WIRE_MAX_MSG];
		struct wire_msg m;
		const char *why;
		ssize_t n;

		raw_join(fd, gid, tok, dx, &ctx);
		n = raw_recv(fd, buf, sizeof(buf), 2000);
		assert_true(n > 0);
		assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
		assert_int_equal(m.type, WIRE_WELCOME);
		assert_true(auth_verify(AUTH_CREATOR, tok, &ctx, m.u.welcome.mac));
		/* ... and a joiner that checked a wrong creator MAC would
		 * have stopped here; the creator's MAC is not the joiner's. */
		assert_false(auth_verify(AUTH_JOINER, tok, &ctx, m.u.welcome.mac));
		close(fd);
	}
	assert_int_equal(group_destroy(0, gid), 0);
}

/* A member that stops reading is dropped, the group goes on. */
static void
slow_reader(void **state)
{
	unsigned char d0[16], dx[16];
	struct auth_ctx ctx;
	int16_t gid = -1;
	static char buf[64];
	int fd, rcv = 4096;

	(void)state;
	test_uuid(5, d0);
	test_uuid(6, dx);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
	fd = raw_connect(gid);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	raw_join(fd, gid, tok, dx, &ctx);
	{
		/* Read WELCOME ... SYNC, then READY, then ACTIVE. */
		uint8_t b[WIRE_MAX_MSG];
		struct wire_msg m = {.type = WIRE_READY};
		const char *why;
		ssize_t n;

		do {
			n = raw_recv(fd, b, sizeof(b), 2000);
			assert_true(n > 0);
			assert_int_equal(wire_decode(b, (size_t)n, &m, &why), 0);
		} while (m.type != WIRE_SYNC);
		memset(&m, 0, sizeof(m));
		m.type = WIRE_READY;
		raw_send(fd, &m);
		n = raw_recv(fd, b, sizeof(b), 2000);
		assert_true(n > 0);
		assert_int_equal(wire_decode(b, (size_t)n, &m, &why), 0);
		assert_int_equal(m.type, WIRE_ACTIVE);
	}
	assert_int_equal(wait_members(0, gid, 2, 1000), 2);
	/* Now it reads nothing while the directory churns. */
	for (int i = 0; i < 20000 && idd_dma_access_pair_group_members(0, gid, NULL, 0) == 2; i++) {
		assert_int_equal(idd_dma_group_buffer_publish(0, gid, "churn", buf, sizeof(buf)), 0);
		assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "churn"), 0);
	}
	assert_true(events_wait(IDD_DMA_GROUP_EV_MEMBER_LEFT, dx, gid, 2000) != 0);
	close(fd);
	good_join_works(1, gid, 13);
	assert_int_equal(group_destroy(0, gid), 0);
}

/* ---- one process: callbacks calling back in, handler retirement ---- */

static int16_t cb_gid;
static int cb_join_ret = 1, cb_handler_ret = 1, cb_members = -1;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;

static void
reentrant_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	     enum idd_dma_group_event event, void *user_data)
{
	unsigned char d9[16];
	uint16_t h;
	int j, hr, mr;

	(void)dev_id;
	(void)user_data;
	if (event != IDD_DMA_GROUP_EV_MEMBER_JOINED)
		return;
	test_uuid(9, d9);
	if (memcmp(domain_id, d9, 16) == 0)
		return; /* the one we joined ourselves */
	/* On the control thread: these run inline, and the join, whose
	 * creator is this very process, turns the loop nested. */
	hr = group_handler_get(0, group_id, domain_id, &h);
	mr = idd_dma_access_pair_group_members(0, group_id, NULL, 0);
	j = group_join(9, d9, tok, group_id, NULL);
	pthread_mutex_lock(&cb_lock);
	cb_handler_ret = hr;
	cb_members = mr;
	cb_join_ret = j;
	pthread_mutex_unlock(&cb_lock);
}

static void
callbacks_call_in(void **state)
{
	unsigned char d0[16], d1[16];
	int16_t gid = -1;
	int j;

	(void)state;
	test_uuid(20, d0);
	test_uuid(21, d1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	cb_gid = gid;
	assert_int_equal(idd_dma_access_pair_group_event_register(0, gid, reentrant_cb, NULL), 0);
	assert_int_equal(group_join(1, d1, tok, gid, NULL), 0);
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&cb_lock);
		j = cb_join_ret;
		pthread_mutex_unlock(&cb_lock);
		if (j != 1)
			break;
		usleep(5000);
	}
	assert_int_equal(cb_join_ret, 0);
	assert_int_equal(cb_handler_ret, 0);
	assert_int_equal(cb_members, 2);
	assert_int_equal(wait_members(0, gid, 3, 1000), 3);
	assert_int_equal(idd_dma_access_pair_group_event_register(0, gid, NULL, NULL), 0);
	assert_int_equal(idd_dma_access_pair_group_event_register(7, gid, NULL, NULL), -ENOENT);
}

static int retired_calls;
static uint16_t retired_last;

static void
retire_hook(int16_t dev_id, uint16_t handler, void *arg)
{
	(void)dev_id;
	(void)arg;
	pthread_mutex_lock(&cb_lock);
	retired_calls++;
	retired_last = handler;
	pthread_mutex_unlock(&cb_lock);
}

static void
handler_retirement(void **state)
{
	unsigned char d0[16], d1[16], d2[16];
	uint16_t h_self, h1, h2;
	int16_t gid = -1;

	(void)state;
	test_uuid(30, d0);
	test_uuid(31, d1);
	test_uuid(32, d2);
	group_set_retire_hook(0, retire_hook, NULL);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	assert_int_equal(group_handler_get(0, gid, d0, &h_self), 0);
	assert_int_equal(group_join(1, d1, tok, gid, NULL), 0);
	assert_int_equal(wait_members(0, gid, 2, 1000), 2);
	assert_int_equal(group_handler_get(0, gid, d1, &h1), 0);
	assert_true(h_self != 0 && h1 != 0 && h_self != h1);
	assert_int_equal(group_handler_state(0, h1), 1);

	/* A vchan holds it; the member leaves: retired, not free. */
	assert_int_equal(group_handler_acquire(0, h1, NULL), 0);
	assert_int_equal(group_leave(1, gid), 0);
	assert_int_equal(wait_members(0, gid, 1, 1000), 1);
	assert_int_equal(group_handler_state(0, h1), 2);
	assert_int_equal(group_handler_acquire(0, h1, NULL), -EINVAL);
	assert_int_equal(group_handler_acquire(0, 0, NULL), -EINVAL);
	for (int i = 0; i < 200; i++) {
		int n;

		pthread_mutex_lock(&cb_lock);
		n = retired_calls;
		pthread_mutex_unlock(&cb_lock);
		if (n > 0)
			break;
		usleep(5000);
	}
	assert_int_equal(retired_calls, 1);
	assert_int_equal(retired_last, h1);

	/* A newcomer never gets it, even with the same domain id. */
	assert_int_equal(group_join(2, d1, tok, gid, NULL), 0);
	assert_int_equal(wait_members(0, gid, 2, 1000), 2);
	assert_int_equal(group_handler_get(0, gid, d1, &h2), 0);
	assert_int_not_equal(h2, h1);
	group_handler_release(0, h1);
	assert_int_equal(group_handler_state(0, h1), 0);
	assert_int_equal(group_leave(2, gid), 0);
	assert_int_equal(wait_members(0, gid, 1, 1000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
	/* Ours too once the group is gone. */
	assert_int_equal(group_handler_state(0, h_self), 0);
	(void)d2;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		harness_unit_test(misbehaving_peers),
		harness_unit_test(bad_token_flood),
		harness_unit_test(slow_reader),
		harness_unit_test(callbacks_call_in),
		harness_unit_test(handler_retirement),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	test_uuid(0x5001, tok);
	test_uuid(0x5002, badtok);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
