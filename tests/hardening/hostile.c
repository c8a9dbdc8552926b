/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile peers against a group's creator, over the real socket, with raw
 * bytes (the wire codec builds the valid prefixes, auth.h the MACs a
 * token-holding attacker can compute).
 *
 * This process is the creator (a thread-engine device, driven through the
 * data-plane harness's commands on itself, so that its log lines can be
 * captured with a sink); a good member is another process (an agent of the
 * same harness, inline engine). A second good agent joins during the
 * attacks that could block joins. Every attack ends with the same checks:
 *   - the bad connection was closed by the creator (recv() sees the end);
 *   - one log line names the reason (and our pid, for the connections this
 *     process opened);
 *   - the creator and the good member still work: a copy each way between
 *     them, verified byte for byte on the side that owns the bytes, and the
 *     good member still sees the group it saw before.
 * Attacks: garbage, truncated messages, oversized length fields and
 * messages, a wrong version, a message of the wrong direction, a join storm
 * with wrong tokens (below the per-uid cap, continuous; and a burst above
 * it) while a good member joins (within 10 s: a liveness bound, not a
 * timing assertion), a domain id already in the group, windows with an
 * unsealed fd, a too small fd, no fd, a fd that is not a memfd, a window of
 * another member, an attempt to shrink a window that is shared (by
 * announcing it again smaller, and by ftruncate() on the fds we were sent),
 * peers that connect and never speak (or stop half-way), members that leave
 * and never confirm the others' departures, and a member that stops
 * reading while the creator broadcasts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_group.h>
#include <idd/idd_log.h>

#include "../lib/clock.h"
#include "../lib/sockmsg.h"
#include "dp_harness.h"
#include "dp_test.h"
#include "group/auth.h"
#include "group/group.h"
#include "group/rendezvous.h"
#include "group/wire.h"

#define WIN_LEN 65536u
#define COPY_LEN 4096u
#define GOOD_JOIN_BOUND_US (10u * 1000 * 1000) /* liveness, not performance */
#define FAKE_BASE 0x7e5500000000ull            /* a hostile window's address */
/* fds a non-reading member may make the creator hold while one window
 * comes and goes (its queue's), with some room for the test's own. */
#define HOSTILE_MAX_PINNED_FDS 32

enum { D_CREATOR = 1, D_GOOD, D_GOOD2, D_HOSTILE };

static struct dp_proc C, A; /* the creator (this process), the good member */
static int gid, c_dev;
static uint64_t c_win, c_src, a_win, a_src;
static unsigned int round_no;
static unsigned char tok[16];
static char self_exe[4096];

/* ---- captured log ---- */

#define LOG_MAX 65536
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_cv = PTHREAD_COND_INITIALIZER;
static char *log_lines[LOG_MAX];
static unsigned int log_n;

static void
log_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)arg;
	(void)level;
	fprintf(stderr, "[creator log] %s\n", line);
	pthread_mutex_lock(&log_lock);
	if (log_n < LOG_MAX)
		log_lines[log_n++] = strdup(line);
	pthread_cond_broadcast(&log_cv);
	pthread_mutex_unlock(&log_lock);
}

static unsigned int
log_mark(void)
{
	unsigned int n;

	pthread_mutex_lock(&log_lock);
	n = log_n;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* Wait up to @ms for a line after @mark that holds both @a and @b (NULL:
 * anything); fail the test otherwise. */
static void
log_expect(unsigned int mark, const char *a, const char *b, int ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;
	bool found = false;

	pthread_mutex_lock(&log_lock);
	while (!found) {
		for (unsigned int i = mark; i < log_n && !found; i++)
			found = log_lines[i] != NULL && strstr(log_lines[i], a) != NULL &&
				(b == NULL || strstr(log_lines[i], b) != NULL);
		if (found || mono_us() >= end)
			break;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&log_cv, &log_lock, &ts);
	}
	pthread_mutex_unlock(&log_lock);
	if (!found)
		fail_msg("no log line with '%s'%s%s", a, b ? " and " : "", b ? b : "");
}

static const char *
our_pid(void)
{
	static char s[32];

	snprintf(s, sizeof(s), "pid %d ", (int)getpid());
	return s;
}

/* ---- raw protocol ---- */

static int
raw_connect(void)
{
	struct rdv_opts o;
	int fd;

	assert_int_equal(rdv_opts_from_env(&o), 0);
	fd = rdv_connect(&o, gid);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK), 0);
	return fd;
}

/* One message (and its fd, if any, into *rfd). Returns its length, 0 when
 * the creator closed (a reset counts as closed), -ETIMEDOUT. */
static ssize_t
raw_recv(int fd, uint8_t *buf, size_t cap, int *rfd, int timeout_ms)
{
	ssize_t n = sockmsg_recv(fd, buf, cap, rfd, timeout_ms);

	return n == -ECONNRESET ? 0 : n;
}

static void
raw_send_bytes(int fd, const void *buf, size_t len, int pass_fd)
{
	assert_int_equal(sockmsg_send(fd, buf, len, pass_fd), (ssize_t)len);
}

static size_t
encode(const struct wire_msg *m, uint8_t *buf)
{
	ssize_t len = wire_encode(m, buf, WIRE_MAX_MSG);

	assert_true(len > 0);
	return (size_t)len;
}

static void
raw_send(int fd, const struct wire_msg *m, int pass_fd)
{
	uint8_t buf[WIRE_MAX_MSG];

	raw_send_bytes(fd, buf, encode(m, buf), pass_fd);
}

static void
expect_msg(int fd, enum wire_type type, struct wire_msg *m, int *rfd)
{
	uint8_t buf[WIRE_MAX_MSG];
	const char *why;
	ssize_t n = raw_recv(fd, buf, sizeof(buf), rfd, 5000);

	if (n <= 0)
		fail_msg("expected %s, got %s", wire_type_name(type),
			 n == 0 ? "the end of the connection" : "nothing");
	assert_int_equal(wire_decode(buf, (size_t)n, m, &why), 0);
	if (m->type != type)
		fail_msg("expected %s, got %s", wire_type_name(type), wire_type_name(m->type));
}

/* A JOIN for the challenge just received, MAC'd with @key. */
static void
build_join(const struct wire_msg *ch, const unsigned char key[16], unsigned int dom,
	   struct auth_ctx *ctx, struct wire_msg *j)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(j, 0, sizeof(*j));
	j->type = WIRE_JOIN;
	memcpy(ctx->nonce_c, ch->u.challenge.nonce, WIRE_NONCE_LEN);
	auth_nonce(ctx->nonce_j);
	ctx->group_id = (uint16_t)gid;
	dp_uuid(dom, ctx->joiner_domain);
	ctx->joiner_uid = (uint32_t)geteuid();
	ctx->creator_uid = (uint32_t)geteuid();
	memcpy(j->u.join.domain, ctx->joiner_domain, 16);
	memcpy(j->u.join.nonce, ctx->nonce_j, WIRE_NONCE_LEN);
	auth_mac(AUTH_JOINER, key, ctx, j->u.join.mac);
}

/* The creator must end the connection (after any number of messages). */
static void
expect_closed(int fd, int timeout_ms)
{
	uint8_t buf[WIRE_MAX_MSG + 1];
	ssize_t n;
	int rfd;

	do {
		n = raw_recv(fd, buf, sizeof(buf), &rfd, timeout_ms);
		if (rfd >= 0)
			close(rfd);
	} while (n > 0);
	if (n != 0)
		fail_msg("the creator did not close the connection (%zd)", n);
	close(fd);
}

/* A raw member that knows the token: join as @dom, read the welcome and the
 * group's state up to SYNC (keeping the window fds it was sent in @fds),
 * then, if @ready, send READY and wait for ACTIVE. Returns the socket. */
static int
raw_member(unsigned int dom, bool ready, int rcvbuf, int *fds, unsigned int *nfds,
	   uint16_t *slot)
{
	struct wire_msg ch, j, m;
	struct auth_ctx ctx;
	int fd = raw_connect(), rfd;

	if (rcvbuf > 0)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
	build_join(&ch, tok, dom, &ctx, &j);
	raw_send(fd, &j, -1);
	expect_msg(fd, WIRE_WELCOME, &m, NULL);
	assert_true(auth_verify(AUTH_CREATOR, tok, &ctx, m.u.welcome.mac));
	*slot = m.u.welcome.slot;
	if (nfds != NULL)
		*nfds = 0;
	for (;;) {
		uint8_t buf[WIRE_MAX_MSG];
		const char *why;
		ssize_t n = raw_recv(fd, buf, sizeof(buf), &rfd, 5000);

		assert_true(n > 0);
		assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
		if (rfd >= 0) {
			if (fds != NULL && nfds != NULL && *nfds < 8)
				fds[(*nfds)++] = rfd;
			else
				close(rfd);
		}
		if (m.type == WIRE_SYNC)
			break;
	}
	if (ready) {
		memset(&m, 0, sizeof(m));
		m.type = WIRE_READY;
		raw_send(fd, &m, -1);
		for (;;) {
			uint8_t buf[WIRE_MAX_MSG];
			const char *why;
			ssize_t n = raw_recv(fd, buf, sizeof(buf), &rfd, 5000);

			assert_true(n > 0);
			if (rfd >= 0)
				close(rfd);
			assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
			if (m.type == WIRE_ACTIVE)
				break;
		}
	}
	return fd;
}

/* A memfd of @size bytes, sealed like idd's own windows if @seal. */
static int
make_memfd(size_t size, bool seal)
{
	int fd = memfd_create("hostile", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
				 0);
	return fd;
}

static void
send_window(int sock, uint16_t slot, uint64_t base, uint64_t len, int wfd)
{
	struct wire_msg m = {.type = WIRE_WINDOW_ADD};

	m.u.window.owner_slot = slot;
	m.u.window.base = base;
	m.u.window.len = len;
	m.u.window.offset = 0;
	m.u.window.perms = WIRE_PERM_READ | WIRE_PERM_WRITE;
	raw_send(sock, &m, wfd);
}

/* ---- the good side ---- */

/* A copy each way between the creator and the good member, verified where
 * the bytes land; the good member still sees @members members. */
static void
good_copies(unsigned int members)
{
	unsigned int r = ++round_no;
	uint64_t off = (r % 8) * COPY_LEN;

	DP_OK(&C, "fill %llu %u %u", (unsigned long long)c_src, COPY_LEN, 1000 + r);
	DP_STATUS(&C, 0, "copy 0 %llu %llu %u", (unsigned long long)c_src,
		  (unsigned long long)(a_win + off), COPY_LEN);
	DP_OK(&A, "check %llu %u %u", (unsigned long long)(a_win + off), COPY_LEN, 1000 + r);
	DP_OK(&A, "fill %llu %u %u", (unsigned long long)a_src, COPY_LEN, 2000 + r);
	DP_STATUS(&A, 0, "copy 0 %llu %llu %u", (unsigned long long)a_src,
		  (unsigned long long)(c_win + off), COPY_LEN);
	DP_OK(&C, "check %llu %u %u", (unsigned long long)(c_win + off), COPY_LEN, 2000 + r);
	DP_OK(&A, "waitmembers %d %u 5000", gid, members);
	DP_OK(&C, "waitmembers %d %u 5000", gid, members);
}

/* The creator must have dropped the connection @fd, logged a line after
 * @mark that names our pid and says @why, and gone on serving: the good
 * member's copies still work. */
static void
expect_dropped(int fd, unsigned int mark, const char *why)
{
	expect_closed(fd, 5000);
	log_expect(mark, our_pid(), why, 2000);
	good_copies(2);
}

/* Read the challenge on @fd and encode a valid JOIN (right token) of
 * D_HOSTILE to it into @buf, for the caller to spoil. Returns its length. */
static size_t
valid_join_bytes(int fd, uint8_t *buf)
{
	struct wire_msg ch, j;
	struct auth_ctx ctx;

	expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
	build_join(&ch, tok, D_HOSTILE, &ctx, &j);
	return encode(&j, buf);
}

/* Another good process joins (in bounded time), copies, leaves. */
static void
good_join(unsigned int dom)
{
	struct dp_proc B;
	uint64_t t0;
	int ret;

	dp_spawn(&B);
	DP_OK(&B, "dev inline 1");
	t0 = mono_us();
	ret = dp_cmd(&B, "join %d %s %s", gid, dp_hex(dom), dp_hex(0x7001));
	if (ret != 0)
		fail_msg("good join: %s", B.last);
	if (mono_us() - t0 > GOOD_JOIN_BOUND_US)
		fail_msg("good join took %llu ms", (unsigned long long)(mono_us() - t0) / 1000);
	DP_OK(&B, "leave %d", gid);
	assert_int_equal(dp_exit(&B), 0);
}

static int
group_setup(void **state)
{
	uint16_t hc, ha;

	(void)state;
	dp_uuid(0x7001, tok);
	dp_self_init(&C);
	dp_spawn(&A);
	if (dp_cmd(&C, "dev thread 2") != 0)
		return -1;
	c_dev = (int)C.val[0];
	if (dp_cmd(&C, "alloc %u 3", WIN_LEN) != 0)
		return -1;
	c_win = C.val[0];
	if (dp_cmd(&C, "alloc %u 3", WIN_LEN) != 0)
		return -1;
	c_src = C.val[0];
	if (dp_cmd(&C, "create %s %s", dp_hex(D_CREATOR), dp_hex(0x7001)) != 0)
		return -1;
	gid = (int)C.val[0];
	if (dp_cmd(&A, "dev inline 2") != 0 || dp_cmd(&A, "alloc %u 3", WIN_LEN) != 0)
		return -1;
	a_win = A.val[0];
	if (dp_cmd(&A, "alloc %u 3", WIN_LEN) != 0)
		return -1;
	a_src = A.val[0];
	if (dp_cmd(&A, "join %d %s %s", gid, dp_hex(D_GOOD), dp_hex(0x7001)) != 0)
		return -1;
	if (dp_cmd(&C, "waitmembers %d 2 5000", gid) != 0 ||
	    dp_cmd(&C, "handler %d %s", gid, dp_hex(D_CREATOR)) != 0)
		return -1;
	hc = (uint16_t)C.val[0];
	if (dp_cmd(&C, "handler %d %s", gid, dp_hex(D_GOOD)) != 0)
		return -1;
	ha = (uint16_t)C.val[0];
	if (dp_cmd(&C, "vsetup 0 %d %u %u", (int)DP_INTER, hc, ha) != 0 ||
	    dp_cmd(&C, "vsetup 1 %d %u %u", (int)DP_INTER, ha, hc) != 0 ||
	    dp_cmd(&C, "start") != 0)
		return -1;
	if (dp_cmd(&A, "handler %d %s", gid, dp_hex(D_CREATOR)) != 0)
		return -1;
	hc = (uint16_t)A.val[0];
	if (dp_cmd(&A, "handler %d %s", gid, dp_hex(D_GOOD)) != 0)
		return -1;
	ha = (uint16_t)A.val[0];
	if (dp_cmd(&A, "vsetup 0 %d %u %u", (int)DP_INTER, ha, hc) != 0 ||
	    dp_cmd(&A, "vsetup 1 %d %u %u", (int)DP_INTER, hc, ha) != 0 ||
	    dp_cmd(&A, "start") != 0)
		return -1;
	/* The creator's window reaches the member with the welcome; wait for
	 * it to be usable all the same. */
	if (dp_cmd(&A, "waitwrite 0 %llu 5000", (unsigned long long)(c_win + WIN_LEN - 1)) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (dp_cmd(&A, "leave %d", gid) != 0 || dp_exit(&A) != 0)
		return -1;
	if (dp_cmd(&C, "destroy %d", gid) != 0)
		return -1;
	return dp_exit(&C);
}

/* ---- attacks ---- */

static void
malformed_bytes(void **state)
{
	struct wire_msg ch, j;
	struct auth_ctx ctx;
	uint8_t buf[WIRE_MAX_MSG + 512];
	size_t len;
	unsigned int mark;
	int fd;

	(void)state;
	/* Garbage, without even reading the challenge. */
	mark = log_mark();
	fd = raw_connect();
	for (size_t i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	raw_send_bytes(fd, buf, 64, -1);
	expect_dropped(fd, mark, "dropped: malformed message: bad magic");

	/* Shorter than a header. */
	mark = log_mark();
	fd = raw_connect();
	expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
	raw_send_bytes(fd, "IDDG\1", 5, -1);
	expect_dropped(fd, mark, "malformed message: shorter than a header");

	/* A JOIN cut short: the header promises more than comes. */
	mark = log_mark();
	fd = raw_connect();
	len = valid_join_bytes(fd, buf);
	raw_send_bytes(fd, buf, len - 40, -1);
	expect_dropped(fd, mark, "malformed message: body length does not match");

	/* A valid JOIN whose length field claims 4 GiB. */
	mark = log_mark();
	fd = raw_connect();
	len = valid_join_bytes(fd, buf);
	memset(buf + 8, 0xff, 4);
	raw_send_bytes(fd, buf, len, -1);
	expect_dropped(fd, mark, "malformed message: body length does not match");

	/* A message longer than the protocol allows, its length field
	 * consistent with it. */
	mark = log_mark();
	fd = raw_connect();
	len = valid_join_bytes(fd, buf);
	memset(buf + len, 0x5a, sizeof(buf) - len);
	{
		uint32_t bl = (uint32_t)(sizeof(buf) - WIRE_HDR_LEN);

		buf[8] = (uint8_t)bl;
		buf[9] = (uint8_t)(bl >> 8);
		buf[10] = (uint8_t)(bl >> 16);
		buf[11] = (uint8_t)(bl >> 24);
	}
	raw_send_bytes(fd, buf, sizeof(buf), -1);
	expect_dropped(fd, mark, "message longer than the protocol allows");

	/* A valid JOIN (right token!) of another protocol version. */
	mark = log_mark();
	fd = raw_connect();
	len = valid_join_bytes(fd, buf);
	buf[4] = WIRE_VERSION + 1;
	raw_send_bytes(fd, buf, len, -1);
	expect_dropped(fd, mark, "unsupported protocol version");

	/* A creator's message from a joiner. */
	mark = log_mark();
	fd = raw_connect();
	expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
	raw_send(fd, &ch, -1);
	expect_dropped(fd, mark, "dropped: unexpected challenge message");

	/* A JOIN with a fd riding along. */
	mark = log_mark();
	fd = raw_connect();
	expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
	build_join(&ch, tok, D_HOSTILE, &ctx, &j);
	raw_send(fd, &j, 0);
	expect_dropped(fd, mark, "fd attached to a message that carries none");
}

static void
duplicate_domain(void **state)
{
	static const unsigned int doms[] = {D_GOOD, D_CREATOR};

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		struct wire_msg ch, j, m;
		struct auth_ctx ctx;
		unsigned int mark = log_mark();
		int fd = raw_connect();

		expect_msg(fd, WIRE_CHALLENGE, &ch, NULL);
		build_join(&ch, tok, doms[i], &ctx, &j);
		raw_send(fd, &j, -1);
		expect_msg(fd, WIRE_REFUSE, &m, NULL);
		assert_int_equal(m.u.refuse_code, EEXIST);
		expect_dropped(fd, mark, "refused: that domain id is already a member");
	}
}

/* Windows a member (it knows the token) must not get past the creator.
 * Before READY: nobody else knew it; after: the others hear it left. */
static void
bad_windows(void **state)
{
	/* @why: the line with the reason; @peer: the line that names the
	 * peer (our pid) and says it was dropped. */
	struct {
		const char *what, *why, *peer;
		bool active;
	} cases[] = {
		{"unsealed", "lacks F_SEAL_SHRINK F_SEAL_GROW F_SEAL_SEAL", "window", false},
		{"small", "holds 4096 bytes, the window needs 8192", "window", false},
		{"nofd", "came without an fd", "window", false},
		{"pipe", "cannot carry seals", "window", false},
		{"foreign", "unexpected window-add message", "dropped", false},
		{"unsealed", "lacks F_SEAL_SHRINK F_SEAL_GROW F_SEAL_SEAL", "window", true},
		{"small", "holds 4096 bytes, the window needs 8192", "window", true},
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int mark = log_mark(), dom = D_HOSTILE + 1 + i;
		uint16_t slot;
		int sock = raw_member(dom, cases[i].active, 0, NULL, NULL, &slot);
		int wfd = -1, pfd[2] = {-1, -1};

		if (cases[i].active)
			DP_OK(&A, "waitmembers %d 3 5000", gid);
		if (strcmp(cases[i].what, "unsealed") == 0) {
			wfd = make_memfd(8192, false);
		} else if (strcmp(cases[i].what, "small") == 0) {
			wfd = make_memfd(4096, true);
		} else if (strcmp(cases[i].what, "pipe") == 0) {
			assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
			wfd = pfd[0];
		} else if (strcmp(cases[i].what, "foreign") == 0) {
			wfd = make_memfd(8192, true);
			slot = 0; /* the creator's */
		}
		send_window(sock, slot, FAKE_BASE, 8192, wfd);
		expect_closed(sock, 5000);
		log_expect(mark, cases[i].why, NULL, 2000);
		log_expect(mark, our_pid(), cases[i].peer, 2000);
		if (cases[i].active)
			DP_OK(&A, "waitev %d %s 5000", (int)IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
			      dp_hex(dom));
		if (wfd >= 0)
			close(wfd);
		if (pfd[1] >= 0)
			close(pfd[1]);
		good_copies(2);
	}
}

/* A member shares a window, then tries to make it smaller: by announcing
 * it again shorter (refused, dropped), and by shrinking the fds it was
 * sent of the others' windows (the kernel refuses: they are sealed). */
static void
shrink_window(void **state)
{
	int fds[8], wfd, small, sock;
	unsigned int nfds = 0, mark;
	uint16_t slot;

	(void)state;
	sock = raw_member(D_HOSTILE + 20, false, 0, fds, &nfds, &slot);
	/* The creator's windows (ours: heap segments) and the good member's. */
	assert_true(nfds >= 2);
	for (unsigned int i = 0; i < nfds; i++) {
		struct stat st;

		assert_int_equal(fstat(fds[i], &st), 0);
		assert_true(st.st_size > 0);
		errno = 0;
		assert_int_equal(ftruncate(fds[i], 0), -1);
		assert_int_equal(errno, EPERM);
		assert_int_equal(ftruncate(fds[i], st.st_size + 4096), -1);
		assert_int_equal(errno, EPERM);
		assert_int_equal(fcntl(fds[i], F_ADD_SEALS, F_SEAL_WRITE), -1);
		assert_int_equal(errno, EPERM);
		assert_int_equal(fallocate(fds[i], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					   st.st_size),
				 0); /* allowed, but only zeroes pages: nothing unmapped */
		close(fds[i]);
	}
	/* Whatever was in those pages is gone (we just punched them): write
	 * fresh data before the next check. */
	good_copies(2);

	wfd = make_memfd(16384, true);
	send_window(sock, slot, FAKE_BASE, 16384, wfd);
	close(wfd);
	{
		struct wire_msg m = {.type = WIRE_READY};

		raw_send(sock, &m, -1);
		expect_msg(sock, WIRE_ACTIVE, &m, NULL);
	}
	DP_OK(&A, "waitmembers %d 3 5000", gid);
	good_copies(3);

	/* A legitimate shrink: withdraw, then offer a smaller one. */
	{
		struct wire_msg m = {.type = WIRE_WINDOW_REMOVE};

		m.u.window_remove.owner_slot = slot;
		m.u.window_remove.base = FAKE_BASE;
		raw_send(sock, &m, -1);
	}
	wfd = make_memfd(8192, true);
	send_window(sock, slot, FAKE_BASE, 8192, wfd);
	close(wfd);
	good_copies(3);

	/* The same window announced again, smaller, while it is shared. */
	mark = log_mark();
	small = make_memfd(4096, true);
	send_window(sock, slot, FAKE_BASE, 4096, small);
	close(small);
	expect_closed(sock, 5000);
	log_expect(mark, "overlaps its window", NULL, 2000);
	log_expect(mark, our_pid(), "window", 2000);
	DP_OK(&A, "waitev %d %s 5000", (int)IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
	      dp_hex(D_HOSTILE + 20));
	good_copies(2);
}

/* Peers that connect and never speak, or stop half-way, block nobody and
 * are dropped at the handshake deadline. */
static void
silent_peers(void **state)
{
	struct wire_msg ch;
	unsigned int mark = log_mark();
	uint16_t slot;
	int mute, deaf, halfway;

	(void)state;
	group_set_handshake_ms(3000);
	deaf = raw_connect();                 /* not even reads the challenge */
	mute = raw_connect();
	expect_msg(mute, WIRE_CHALLENGE, &ch, NULL);
	halfway = raw_member(D_HOSTILE + 30, false, 0, NULL, NULL, &slot); /* no READY */
	good_join(D_GOOD2);
	good_copies(2);
	expect_closed(deaf, 10000);
	expect_closed(mute, 10000);
	expect_closed(halfway, 10000);
	group_set_handshake_ms(5000);
	log_expect(mark, our_pid(), "refused: handshake timed out", 2000);
	{
		/* Three of them. */
		unsigned int n = 0;

		pthread_mutex_lock(&log_lock);
		for (unsigned int i = mark; i < log_n; i++)
			n += strstr(log_lines[i], "handshake timed out") != NULL;
		pthread_mutex_unlock(&log_lock);
		assert_int_equal(n, 3);
	}
	good_copies(2);
}

/* A process of our own uid, without the token, takes every place for
 * unauthenticated connections and never answers (a handshake deadline
 * long enough to hold them through the whole join): a genuine joiner of
 * the same uid still gets in, at once, in the place of the oldest silent
 * one. */
static void
silent_holders(void **state)
{
	enum { N = AUTH_MAX_PENDING_PER_UID };
	static int socks[N];
	unsigned int mark = log_mark(), refused = 0;
	struct wire_msg ch;

	(void)state;
	group_set_handshake_ms(60000);
	for (int i = 0; i < N; i++) {
		socks[i] = raw_connect();
		expect_msg(socks[i], WIRE_CHALLENGE, &ch, NULL); /* counted, and silent */
	}
	good_join(D_GOOD2);
	log_expect(mark, our_pid(), "a newer connection needed its place", 2000);
	for (int i = 0, open_seen = -1; i < N; i++) {
		struct pollfd p = {.fd = socks[i], .events = POLLIN};
		uint8_t buf[WIRE_MAX_MSG];
		struct wire_msg m;
		const char *why;
		ssize_t n;

		/* The oldest went first, refused with EAGAIN (try again): the
		 * refused ones come before any open one. */
		n = poll(&p, 1, 0) == 1 ? recv(socks[i], buf, sizeof(buf), MSG_DONTWAIT) : -1;
		if (n > 0) {
			assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
			assert_int_equal(m.type, WIRE_REFUSE);
			assert_int_equal(m.u.refuse_code, EAGAIN);
			if (open_seen >= 0)
				fail_msg("silent connection %d refused, older %d still open", i,
					 open_seen);
			refused++;
		} else if (open_seen < 0) {
			open_seen = i;
		}
		close(socks[i]);
	}
	assert_true(refused >= 1);
	group_set_handshake_ms(5000);
	good_copies(2);
}

/* Members that leave and never confirm the others' departures: each
 * lingers at the creator until LEFT_DONE_MS, and every later departure
 * owes an answer to each of them as well as to the members. Three
 * hundred of them within that time once overflowed the creator's record
 * of what a departure waits for (a fixed 256). Now they cost it memory
 * for two seconds, and the group works throughout. */
static void
departures_never_confirmed(void **state)
{
	enum { BATCHES = 3, BATCH = 100 };
	static int socks[BATCHES * BATCH];
	unsigned int n = 0;
	uint16_t slot;

	(void)state;
	for (int b = 0; b < BATCHES; b++) {
		for (int i = 0; i < BATCH; i++)
			socks[n++] = raw_member(D_HOSTILE + 100 + (unsigned int)(b * BATCH + i), true,
						0, NULL, NULL, &slot);
		for (unsigned int i = n - BATCH; i < n; i++) {
			struct wire_msg m = {.type = WIRE_LEAVE};

			raw_send(socks[i], &m, -1); /* and never LEFT_DONE */
		}
	}
	good_copies(2);
	good_join(D_GOOD2);
	/* Each let go after the wait (the warning that says so is below the
	 * harness's log level). */
	for (unsigned int i = 0; i < n; i++)
		expect_closed(socks[i], 10000);
	good_copies(2);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* A member that stops reading while another member's windows come and go:
 * every window relayed to it would wait in its queue with a dup of the
 * window's fd. A window withdrawn before its announcement left the queue
 * takes the announcement with it, so the creator holds no more fds than
 * windows exist, however long the churn; when the member reads again it
 * learns exactly the windows that exist (no removal of a window it never
 * heard of, no window twice). */
static void
stops_reading_windows(void **state)
{
	enum { CHURN = 3000 };
	uint16_t slot_x, slot_y;
	int x, y, base, peak, members = 4, i, wfd, present = 0, last_fd = -1;
	uint64_t marker = 0x5eed5eed5eed5eedull;

	(void)state;
	x = raw_member(D_HOSTILE + 50, true, 4096, NULL, NULL, &slot_x);
	y = raw_member(D_HOSTILE + 51, true, 0, NULL, NULL, &slot_y);
	DP_OK(&A, "waitmembers %d 4 5000", gid);
	base = peak = count_fds();
	for (i = 0; i < CHURN; i++) {
		struct wire_msg m = {.type = WIRE_WINDOW_REMOVE};

		wfd = make_memfd(4096, true);
		send_window(y, slot_y, FAKE_BASE, 4096, wfd);
		close(wfd);
		m.u.window_remove.owner_slot = slot_y;
		m.u.window_remove.base = FAKE_BASE;
		raw_send(y, &m, -1);
		if (i % 64 == 0) {
			int n = count_fds();

			peak = n > peak ? n : peak;
		}
	}
	/* One that stays, with something in it. */
	wfd = make_memfd(4096, true);
	assert_int_equal(pwrite(wfd, &marker, sizeof(marker), 0), (ssize_t)sizeof(marker));
	send_window(y, slot_y, FAKE_BASE, 4096, wfd);
	close(wfd);
	good_copies(4);
	members = idd_dma_access_pair_group_members((int16_t)c_dev, (int16_t)gid, NULL, 0);
	fprintf(stderr, "non-reader: %d window changes; creator fds %d, at most %d\n", 2 * CHURN,
		base, peak);
	assert_int_equal(members, 4);
	assert_true(peak - base <= HOSTILE_MAX_PINNED_FDS);

	/* It reads again: the windows it hears of add up. */
	for (;;) {
		uint8_t buf[WIRE_MAX_MSG];
		struct wire_msg m;
		const char *why;
		int rfd;
		ssize_t n = raw_recv(x, buf, sizeof(buf), &rfd, 500);

		if (n == -ETIMEDOUT)
			break;
		assert_true(n > 0);
		assert_int_equal(wire_decode(buf, (size_t)n, &m, &why), 0);
		if (m.type == WIRE_WINDOW_ADD && m.u.window.owner_slot == slot_y) {
			assert_int_equal(present, 0);
			assert_true(rfd >= 0);
			present = 1;
			if (last_fd >= 0)
				close(last_fd);
			last_fd = rfd;
			rfd = -1;
		} else if (m.type == WIRE_WINDOW_REMOVE && m.u.window_remove.owner_slot == slot_y) {
			assert_int_equal(present, 1);
			present = 0;
		}
		if (rfd >= 0)
			close(rfd);
	}
	assert_int_equal(present, 1);
	{
		uint64_t got = 0;

		assert_int_equal(pread(last_fd, &got, sizeof(got), 0), (ssize_t)sizeof(got));
		assert_true(got == marker);
		close(last_fd);
	}
	/* Both leave properly. */
	for (int k = 0; k < 2; k++) {
		struct wire_msg m = {.type = WIRE_LEAVE};
		int s = k == 0 ? x : y;

		raw_send(s, &m, -1);
		expect_closed(s, 10000);
		DP_OK(&A, "waitev %d %s 5000", (int)IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
		      dp_hex(D_HOSTILE + 50 + k));
	}
	good_copies(2);
}

/* ---- the join storm: another process ---- */

/* storm GID N MS CONTINUOUS: N connections at once, each answering its
 * challenge with a JOIN under a wrong token; with CONTINUOUS, each one
 * refused is replaced until MS passed. Prints "storm CONNECTS EACCES
 * EAGAIN OTHER". */
static int
storm_main(char **argv)
{
	unsigned int n = (unsigned int)strtoul(argv[3], NULL, 0);
	uint64_t end = mono_us() + strtoull(argv[4], NULL, 0) * 1000u;
	bool continuous = strtoul(argv[5], NULL, 0) != 0;
	unsigned long connects = 0, eacces = 0, eagain = 0, other = 0;
	struct pollfd *p = calloc(n, sizeof(*p));
	unsigned char bad[16];
	struct rdv_opts o;
	bool any = true;

	gid = (int)strtol(argv[2], NULL, 0);
	if (p == NULL || rdv_opts_from_env(&o) != 0 || auth_init() != 0)
		return 1;
	dp_uuid(0x6666, bad);
	for (unsigned int i = 0; i < n; i++)
		p[i].fd = -1;
	while (any) {
		uint64_t now = mono_us();

		if (now > end + 30u * 1000 * 1000) {
			other++; /* the creator stopped answering */
			break;
		}
		any = false;
		for (unsigned int i = 0; i < n; i++) {
			if (p[i].fd < 0 && (connects < n || (continuous && now < end))) {
				int fd = rdv_connect(&o, gid);

				if (fd >= 0) {
					p[i].fd = fd;
					p[i].events = POLLIN;
					connects++;
				}
			}
			any |= p[i].fd >= 0;
		}
		if (!any && continuous && now < end) {
			any = true;
			usleep(1000);
			continue;
		}
		if (poll(p, n, 100) < 0)
			break;
		for (unsigned int i = 0; i < n; i++) {
			uint8_t buf[WIRE_MAX_MSG];
			struct wire_msg m, j;
			struct auth_ctx ctx;
			const char *why;
			ssize_t len;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			len = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (len < 0 && errno == EAGAIN)
				continue;
			if (len > 0 && wire_decode(buf, (size_t)len, &m, &why) == 0 &&
			    m.type == WIRE_CHALLENGE) {
				build_join(&m, bad, 0x6000 + i, &ctx, &j);
				len = wire_encode(&j, buf, sizeof(buf));
				if (len > 0 && send(p[i].fd, buf, (size_t)len, MSG_NOSIGNAL) == len)
					continue;
			} else if (len > 0 && wire_decode(buf, (size_t)len, &m, &why) == 0 &&
				   m.type == WIRE_REFUSE) {
				eacces += m.u.refuse_code == EACCES;
				eagain += m.u.refuse_code == EAGAIN;
				other += m.u.refuse_code != EACCES && m.u.refuse_code != EAGAIN;
			} else if (len < 0 && errno == ECONNRESET) {
				/* Its place went to a newer connection, and the
				 * EAGAIN refusal crossed its JOIN. */
				eagain++;
			} else if (len != 0) {
				other++;
			}
			close(p[i].fd);
			p[i].fd = -1;
		}
	}
	printf("storm %lu %lu %lu %lu\n", connects, eacces, eagain, other);
	free(p);
	return 0;
}

static void
storm(unsigned int n, unsigned int ms, bool continuous, const char *log_why)
{
	char a_gid[16], a_n[16], a_ms[16], line[256] = "";
	unsigned long connects = 0, eacces = 0, eagain = 0, other = 0;
	unsigned int mark = log_mark();
	int out[2], status;
	FILE *f;
	pid_t pid;

	snprintf(a_gid, sizeof(a_gid), "%d", gid);
	snprintf(a_n, sizeof(a_n), "%u", n);
	snprintf(a_ms, sizeof(a_ms), "%u", ms);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		execl(self_exe, "hostile-storm", "storm", a_gid, a_n, a_ms,
		      continuous ? "1" : "0", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	/* Let it get going, then a good member joins through it. */
	usleep(300 * 1000);
	good_join(D_GOOD2);
	good_copies(2);
	f = fdopen(out[0], "r");
	assert_non_null(f);
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sscanf(line, "storm %lu %lu %lu %lu", &connects, &eacces, &eagain, &other),
			 4);
	fprintf(stderr, "storm of %u: %lu connections, %lu refused EACCES, %lu EAGAIN, %lu other\n",
		n, connects, eacces, eagain, other);
	assert_true(connects >= n);
	assert_true(eacces > 0);
	assert_int_equal(other, 0);
	{
		char p[32];

		snprintf(p, sizeof(p), "pid %d ", (int)pid);
		log_expect(mark, p, log_why, 5000);
	}
	good_copies(2);
}

static void
join_storm(void **state)
{
	(void)state;
	/* 200 at a time (under the per-uid cap), each refused one replaced
	 * at once, for 6 s. */
	storm(200, 6000, true, "refused: bad token");
}

static void
join_burst_over_cap(void **state)
{
	(void)state;
	/* More at once than the per-uid cap admits: each newcomer over it
	 * takes the place of the oldest connection that has not answered, or
	 * that is being refused (whose refusal goes out at once); the good
	 * joiner gets in all the same. */
	storm(AUTH_MAX_PENDING_PER_UID + 100, 0, false, "refused");
}

/* A member that stops reading while the creator broadcasts: dropped once
 * its queue is full; the creator never waits for it. */
static void
stops_reading(void **state)
{
	static char buf[64];
	unsigned int mark = log_mark();
	uint16_t slot;
	int sock, i, members = 3;

	(void)state;
	sock = raw_member(D_HOSTILE + 40, true, 4096, NULL, NULL, &slot);
	DP_OK(&A, "waitmembers %d 3 5000", gid);
	/* Fill its socket buffer (and some of its queue at the creator). */
	for (i = 0; i < 300; i++) {
		assert_int_equal(idd_dma_group_buffer_publish((int16_t)c_dev, (int16_t)gid,
							      "churn", buf, sizeof(buf)),
				 0);
		assert_int_equal(idd_dma_group_buffer_unpublish((int16_t)c_dev, (int16_t)gid, "churn"), 0);
	}
	/* Meanwhile everything else goes on. */
	good_copies(3);
	good_join(D_GOOD2);
	/* Until the creator gives up on it. */
	for (i = 0; i < 40000 && members == 3; i++) {
		assert_int_equal(idd_dma_group_buffer_publish((int16_t)c_dev, (int16_t)gid, "churn", buf,
							      sizeof(buf)),
				 0);
		assert_int_equal(idd_dma_group_buffer_unpublish((int16_t)c_dev, (int16_t)gid, "churn"), 0);
		members = idd_dma_access_pair_group_members((int16_t)c_dev, (int16_t)gid, NULL, 0);
	}
	assert_int_equal(members, 2);
	log_expect(mark, our_pid(), "dropped: it stopped reading", 2000);
	DP_OK(&A, "waitev %d %s 5000", (int)IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
	      dp_hex(D_HOSTILE + 40));
	expect_closed(sock, 10000);
	good_copies(2);
}

/* The fd budget of a member's queue grows with the group's windows: a
 * joiner whose snapshot holds many more window fds than the socket buffer
 * takes is welcome (it reads; it just cannot read in the same instant). */
static void
big_snapshot(void **state)
{
	enum { NWIN = 600 };
	unsigned int mark;

	(void)state;
	for (int i = 0; i < NWIN; i++)
		DP_OK(&A, "regwin 1 0 3");
	/* The creator has them all (it relays them). */
	for (int tries = 0; tries < 500; tries++) {
		if (count_fds() >= NWIN)
			break;
		usleep(10000);
	}
	assert_true(count_fds() >= NWIN);
	mark = log_mark();
	good_join(D_GOOD2);
	good_copies(2);
	{
		/* Nobody was dropped for not reading. */
		unsigned int n = 0;

		pthread_mutex_lock(&log_lock);
		for (unsigned int i = mark; i < log_n; i++)
			n += strstr(log_lines[i], "stopped reading") != NULL;
		pthread_mutex_unlock(&log_lock);
		assert_int_equal(n, 0);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_bytes),
		cmocka_unit_test(duplicate_domain),
		cmocka_unit_test(bad_windows),
		cmocka_unit_test(shrink_window),
		cmocka_unit_test(silent_peers),
		cmocka_unit_test(departures_never_confirmed),
		cmocka_unit_test(silent_holders),
		cmocka_unit_test(stops_reading),
		cmocka_unit_test(stops_reading_windows),
		cmocka_unit_test(join_storm),
		cmocka_unit_test(join_burst_over_cap),
		cmocka_unit_test(big_snapshot),
	};
	ssize_t n;
	int ret;

	if (argc >= 2 && strcmp(argv[1], "storm") == 0)
		return argc >= 6 ? storm_main(argv) : 2;
	ret = dp_main(argc, argv);
	if (ret >= 0)
		return ret;
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	signal(SIGPIPE, SIG_IGN);
	idd_log_set_sink(log_sink, NULL);
	ret = cmocka_run_group_tests(tests, group_setup, group_teardown);
	idd_log_set_sink(NULL, NULL);
	pthread_mutex_lock(&log_lock);
	for (unsigned int i = 0; i < log_n; i++)
		free(log_lines[i]);
	log_n = 0;
	pthread_mutex_unlock(&log_lock);
	return ret;
}
