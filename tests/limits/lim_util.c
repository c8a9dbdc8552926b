/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the resource-limit tests (lim_util.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_log.h>

#include "../lib/sockmsg.h"
#include "group/rendezvous.h"
#include "harness.h"
#include "lim_util.h"

/* ---- log lines ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char **lines;
static unsigned int nlines, caplines;

static void
sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	fprintf(stderr, "%s\n", line);
	pthread_mutex_lock(&log_lock);
	if (nlines == caplines) {
		unsigned int cap = caplines ? 2 * caplines : 256;
		char **l = realloc(lines, cap * sizeof(*l));

		if (l == NULL) {
			pthread_mutex_unlock(&log_lock);
			return;
		}
		lines = l;
		caplines = cap;
	}
	lines[nlines] = strdup(line);
	if (lines[nlines] != NULL)
		nlines++;
	pthread_mutex_unlock(&log_lock);
}

/* The forked children of these tests log too: never let one inherit
 * log_lock held by a thread of the parent. */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&log_lock);
}

static void
fork_release(void)
{
	pthread_mutex_unlock(&log_lock);
}

static void
register_fork(void)
{
	pthread_atfork(fork_prepare, fork_release, fork_release);
}

void
lim_log_capture(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_fork);
	idd_log_set_sink(sink, NULL);
}

unsigned int
lim_log_count(const char *needle)
{
	unsigned int n = 0;

	pthread_mutex_lock(&log_lock);
	for (unsigned int i = 0; i < nlines; i++)
		n += strstr(lines[i], needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return n;
}

void
lim_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	for (unsigned int i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
	pthread_mutex_unlock(&log_lock);
}

/* ---- file descriptors ---- */

bool
lim_nofile_at_least(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return true;
	if (rl.rlim_cur == RLIM_INFINITY)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		return false;
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

unsigned long
lim_fd_lowest_free(void)
{
	int fd = dup(2);

	assert_true(fd >= 0);
	close(fd);
	return (unsigned long)fd;
}

unsigned long
lim_nofile_set(unsigned long soft)
{
	struct rlimit rl;
	unsigned long old;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	old = (unsigned long)rl.rlim_cur;
	rl.rlim_cur = soft;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	return old;
}

unsigned int
lim_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 3; /* ".", "..", and the directory's own fd */
}

/* ---- raw joiner ---- */

int
raw_send(struct raw_peer *p, const struct wire_msg *m, int fd)
{
	uint8_t buf[WIRE_MAX_MSG];
	ssize_t len = wire_encode(m, buf, sizeof(buf));

	assert_true(len > 0);
	if (sockmsg_send(p->fd, buf, (size_t)len, fd) != len)
		return -errno;
	return 0;
}

int
raw_send_bytes(struct raw_peer *p, const void *buf, size_t len)
{
	if (send(p->fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -errno;
	return 0;
}

int
raw_recv(struct raw_peer *p, struct wire_msg *m, int timeout_ms)
{
	uint8_t buf[WIRE_MAX_MSG + 1];
	const char *why;
	ssize_t n = sockmsg_recv(p->fd, buf, sizeof(buf), NULL, timeout_ms);

	if (n == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (n <= 0)
		return 0; /* closed (or reset) */
	return wire_decode(buf, (size_t)n, m, &why) == 0 ? 1 : -EBADMSG;
}

bool
raw_closed(struct raw_peer *p, int timeout_ms)
{
	struct wire_msg m;
	int ret;

	do {
		ret = raw_recv(p, &m, timeout_ms);
	} while (ret == 1 || ret == -EBADMSG);
	return ret == 0;
}

void
raw_connect(struct raw_peer *p, int gid)
{
	struct rdv_opts o;

	memset(p, 0, sizeof(*p));
	p->gid = gid;
	assert_int_equal(rdv_opts_from_env(&o), 0);
	p->fd = rdv_connect(&o, gid);
	assert_true(p->fd >= 0);
	/* Blocking sends; receives poll first. */
	assert_int_equal(fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) & ~O_NONBLOCK), 0);
}

void
raw_join(struct raw_peer *p, int gid, const unsigned char token[16], unsigned int domain_n)
{
	struct wire_msg m, j = {.type = WIRE_JOIN};
	struct auth_ctx ctx;

	raw_connect(p, gid);
	test_uuid(domain_n, p->domain);
	assert_int_equal(raw_recv(p, &m, 5000), 1);
	assert_int_equal(m.type, WIRE_CHALLENGE);
	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.nonce_c, m.u.challenge.nonce, WIRE_NONCE_LEN);
	auth_nonce(ctx.nonce_j);
	ctx.group_id = (uint16_t)gid;
	memcpy(ctx.joiner_domain, p->domain, 16);
	ctx.joiner_uid = (uint32_t)geteuid();
	ctx.creator_uid = (uint32_t)geteuid();
	memcpy(j.u.join.domain, p->domain, 16);
	memcpy(j.u.join.nonce, ctx.nonce_j, WIRE_NONCE_LEN);
	auth_mac(AUTH_JOINER, token, &ctx, j.u.join.mac);
	assert_int_equal(raw_send(p, &j, -1), 0);
	assert_int_equal(raw_recv(p, &m, 5000), 1);
	assert_int_equal(m.type, WIRE_WELCOME);
	assert_true(auth_verify(AUTH_CREATOR, token, &ctx, m.u.welcome.mac));
	p->slot = m.u.welcome.slot;
	do {
		assert_int_equal(raw_recv(p, &m, 5000), 1);
	} while (m.type != WIRE_SYNC);
}

void
raw_ready(struct raw_peer *p)
{
	struct wire_msg m = {.type = WIRE_READY};

	assert_int_equal(raw_send(p, &m, -1), 0);
	do {
		assert_int_equal(raw_recv(p, &m, 10000), 1);
	} while (m.type != WIRE_ACTIVE);
}

void
raw_close(struct raw_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

int
lim_memfd(unsigned int pages, uint64_t tag)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = (size_t)pages * pg;
	int fd = memfd_create("lim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *map;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	for (unsigned int i = 0; i < pages; i++) {
		uint64_t v = tag + i;

		memset(map + (size_t)i * pg, (int)(i & 0xff), pg);
		memcpy(map + (size_t)i * pg, &v, sizeof(v));
	}
	munmap(map, len);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	return fd;
}

void
raw_window_msg(const struct raw_peer *p, struct wire_msg *m, uint64_t base, unsigned int i)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	memset(m, 0, sizeof(*m));
	m->type = WIRE_WINDOW_ADD;
	m->u.window.owner_slot = p->slot;
	m->u.window.perms = WIRE_PERM_READ | WIRE_PERM_WRITE;
	m->u.window.base = base + i * pg;
	m->u.window.len = pg;
	m->u.window.offset = i * pg;
}
