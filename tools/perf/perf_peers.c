/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer processes of idd-perf: starting, talking to and stopping them on
 * this side; the peer's own loop at the bottom. See perf_peers.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#include "hex.h"
#include "perf_peers.h"
#include "perf_report.h"

_Atomic int perf_stop_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomics");

/* Every peer pid still to be reaped, for the signal handler, which may
 * run on any thread (lock-free atomics are async-signal-safe). */
#define MAX_LIVE 512
static _Atomic pid_t live_pids[MAX_LIVE];

static void
live_add(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_LIVE; i++)
		if (atomic_load_explicit(&live_pids[i], memory_order_relaxed) == 0) {
			atomic_store(&live_pids[i], pid);
			return;
		}
}

static void
live_del(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_LIVE; i++)
		if (atomic_load_explicit(&live_pids[i], memory_order_relaxed) == pid)
			atomic_store(&live_pids[i], 0);
}

static void
on_stop_signal(int sig)
{
	int none = 0;

	/* kill() is async-signal-safe; reaping happens on the normal exit
	 * path, which the main loop reaches once it sees the flag. */
	for (unsigned int i = 0; i < MAX_LIVE; i++) {
		pid_t pid = atomic_load(&live_pids[i]);

		if (pid > 0)
			kill(pid, SIGKILL);
	}
	/* The first signal handled is reported (and gives the exit status);
	 * two handlers may run at once on different threads. */
	atomic_compare_exchange_strong(&perf_stop_signal, &none, sig);
}

void
perf_peers_install_signals(void)
{
	struct sigaction sa;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read of a peer's answer returns EINTR.
	 * No SA_RESETHAND either: timeout(1) sends SIGTERM to idd-perf and
	 * then to its whole process group, and a second signal that killed
	 * idd-perf outright would leave its runtime directory behind. Every
	 * loop checks perf_stop_signal, so the orderly stop is quick anyway. */
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void
perf_peer_dom(const unsigned char base[16], unsigned int index, unsigned char out[16])
{
	memcpy(out, base, 16);
	out[14] ^= (unsigned char)((index + 1) >> 8);
	out[15] ^= (unsigned char)(index + 1);
}

int
perf_peer_send(struct perf_peer *p, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (p->to == NULL)
		return -EPIPE;
	va_start(ap, fmt);
	ret = vfprintf(p->to, fmt, ap);
	va_end(ap);
	if (ret < 0 || fputc('\n', p->to) == EOF || fflush(p->to) != 0)
		return -EPIPE;
	return 0;
}

int
perf_peer_read_line(struct perf_peer *p, char *line, size_t len)
{
	if (p->from == NULL)
		return -EPIPE;
	if (fgets(line, (int)len, p->from) == NULL)
		return perf_stop_signal ? -EINTR : -EPIPE;
	line[strcspn(line, "\n")] = '\0';
	return 0;
}

int
perf_peer_wait(struct perf_peer *p, char *line, size_t len)
{
	int ret = perf_peer_read_line(p, line, len);
	int err;

	if (ret != 0)
		return ret;
	if (strncmp(line, "ok", 2) == 0 || strncmp(line, "ready", 5) == 0)
		return 0;
	if (sscanf(line, "err %d", &err) == 1 && err < 0)
		return err;
	return -EPIPE;
}

/* Our own binary. readlink, not the magic link itself: under a tool such
 * as valgrind, exec of /proc/self/exe would start the tool's binary, while
 * readlink of it names ours. */
static const char *
self_path(void)
{
	static char path[4096];
	ssize_t n;

	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(path) - 1)
		snprintf(path, sizeof(path), "/proc/self/exe");
	else
		path[n] = '\0';
	return path;
}

int
perf_peer_spawn(struct perf_peer *p, unsigned int index, uint64_t window,
		const unsigned char token[16], const unsigned char base_dom[16])
{
	int to[2], from[2];
	char tok_hex[33], dom_hex[33], parent[24];
	char *argv[] = {(char *)"idd-perf", (char *)PERF_PEER_ARG, parent, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl, none;
	int ret;

	memset(p, 0, sizeof(*p));
	p->index = index;
	p->window = window;
	perf_peer_dom(base_dom, index, p->dom);
	if (pipe2(to, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(from, O_CLOEXEC) != 0) {
		ret = -errno;
		close(to[0]);
		close(to[1]);
		return ret;
	}
	/* posix_spawn, not fork: the child runs no pthread_atfork handler
	 * (idd's would tidy up a copy of our library state that the exec
	 * throws away anyway), and nothing of ours runs between fork and
	 * exec. The peer asks for PR_SET_PDEATHSIG itself, then checks that
	 * its parent is still @parent. */
	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to[0], 0);
	posix_spawn_file_actions_adddup2(&fa, from[1], 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	fflush(NULL);
	ret = posix_spawn(&p->pid, self_path(), &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(to[0]);
	close(from[1]);
	if (ret != 0) {
		close(to[1]);
		close(from[0]);
		p->pid = 0;
		fprintf(stderr, "idd-perf: cannot start a peer process: %s\n", strerror(ret));
		return -ret;
	}
	live_add(p->pid);
	p->to = fdopen(to[1], "w");
	p->from = fdopen(from[0], "r");
	if (p->to == NULL || p->from == NULL) {
		if (p->to == NULL)
			close(to[1]);
		if (p->from == NULL)
			close(from[0]);
		perf_peer_stop(p);
		return -ENOMEM;
	}
	hex_encode(token, 16, tok_hex);
	hex_encode(p->dom, 16, dom_hex);
	ret = perf_peer_send(p, "hello %u %" PRIu64 " %s %s", index, window, tok_hex, dom_hex);
	if (ret != 0) {
		fprintf(stderr, "idd-perf: peer %u did not start (it exited)\n", index);
		perf_peer_stop(p);
	}
	return ret;
}

int
perf_peer_ready(struct perf_peer *p)
{
	char line[128];
	int ret = perf_peer_wait(p, line, sizeof(line));

	if (ret == 0 && sscanf(line, "ready %" SCNx64, &p->window_addr) != 1)
		ret = -EPIPE;
	if (ret != 0) {
		perf_peer_stop(p);
		perf_progress_clear();
		if (ret == -EPIPE && WIFSIGNALED(p->status))
			fprintf(stderr, "idd-perf: peer %u did not start (killed by signal %d)\n",
				p->index, WTERMSIG(p->status));
		else if (ret == -EPIPE)
			fprintf(stderr, "idd-perf: peer %u did not start (exit status %d)\n",
				p->index, WEXITSTATUS(p->status));
		else if (ret != -EINTR)
			fprintf(stderr, "idd-perf: peer %u did not start (%s)\n", p->index,
				strerror(-ret));
	}
	return ret;
}

int
perf_peer_start(struct perf_peer *p, unsigned int index, uint64_t window,
		const unsigned char token[16], const unsigned char base_dom[16])
{
	int ret = perf_peer_spawn(p, index, window, token, base_dom);

	return ret != 0 ? ret : perf_peer_ready(p);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
perf_peer_ask_exit(struct perf_peer *p)
{
	if (p->to != NULL) {
		perf_peer_send(p, "exit");
		fclose(p->to);
		p->to = NULL;
	}
}

void
perf_peer_stop(struct perf_peer *p)
{
	perf_peer_ask_exit(p);
	if (p->from != NULL) {
		fclose(p->from);
		p->from = NULL;
	}
	if (p->pid > 0) {
		double deadline = now_s() + 2.0;
		int status;

		status = 0;
		while (waitpid(p->pid, &status, WNOHANG) == 0) {
			if (now_s() > deadline) {
				kill(p->pid, SIGKILL);
				waitpid(p->pid, &status, 0);
				break;
			}
			usleep(1000);
		}
		p->status = status;
		live_del(p->pid);
		p->pid = 0;
	}
}

void
perf_peers_kill_all(void)
{
	for (unsigned int i = 0; i < MAX_LIVE; i++) {
		pid_t pid = live_pids[i];

		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			live_pids[i] = 0;
		}
	}
}

/* ------------------------------------------------------------------------
 * The peer itself.
 */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct peer_state {
	int16_t dev;
	unsigned int index;
	unsigned char tok[16], dom[16];
	void *buf;
	uint64_t len;
};

static int
peer_join(struct peer_state *s, int16_t gid)
{
	char name[32];
	int ret = idd_dma_access_pair_group_join(s->dev, s->dom, s->tok, gid, NULL);

	if (ret != 0 || s->buf == NULL)
		return ret;
	snprintf(name, sizeof(name), "peer%u", s->index);
	return idd_dma_group_buffer_publish(s->dev, gid, name, s->buf, s->len);
}

static int
peer_joinloop(struct peer_state *s, int16_t gid, unsigned long n)
{
	uint64_t *t = calloc(n, sizeof(*t));
	int ret = 0;

	if (t == NULL)
		return -ENOMEM;
	for (unsigned long i = 0; i < n && ret == 0; i++) {
		uint64_t t0 = now_ns();

		ret = idd_dma_access_pair_group_join(s->dev, s->dom, s->tok, gid, NULL);
		t[i] = now_ns() - t0;
		if (ret == 0)
			ret = idd_dma_access_pair_group_leave(s->dev, gid);
	}
	if (ret == 0) {
		printf("ok %lu\n", n);
		for (unsigned long i = 0; i < n; i++)
			printf("%" PRIu64 "\n", t[i]);
	} else {
		printf("err %d\n", ret);
	}
	free(t);
	return 0;
}

int
perf_peer_main(const char *parent)
{
	struct peer_state s = {.dev = -1};
	struct idd_dma_conf conf = {.nb_vchans = 1};
	char line[256], tok_hex[64], dom_hex[64];
	int dev, ret;

	/* Die with idd-perf, even if it is killed; if it died already, we
	 * were handed to another parent and go at once. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (parent == NULL || atoi(parent) != (int)getppid())
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    sscanf(line, "hello %u %" SCNu64 " %63s %63s", &s.index, &s.len, tok_hex, dom_hex) != 4 ||
	    hex_decode(tok_hex, s.tok, 16) != 0 || hex_decode(dom_hex, s.dom, 16) != 0) {
		fprintf(stderr, "idd-perf: %s is for idd-perf's own peer processes\n",
			PERF_PEER_ARG);
		return 2;
	}
	dev = idd_dma_dev_create("idd-perf-peer", "engine=inline");
	if (dev < 0 || (ret = idd_dma_configure((int16_t)dev, &conf)) != 0) {
		printf("err %d\n", dev < 0 ? dev : ret);
		return 1;
	}
	s.dev = (int16_t)dev;
	if (s.len != 0) {
		s.buf = idd_mem_alloc_aligned(s.len, 4096, IDD_MEM_PEER_RW);
		if (s.buf == NULL) {
			printf("err %d\n", -errno);
			return 1;
		}
		/* Touch every page now, not during a measurement. */
		memset(s.buf, 0x5a, s.len);
	}
	printf("ready %" PRIx64 "\n", (uint64_t)(uintptr_t)s.buf);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		int gid;
		unsigned long n;

		if (sscanf(line, "join %d", &gid) == 1)
			ret = peer_join(&s, (int16_t)gid);
		else if (sscanf(line, "leave %d", &gid) == 1)
			ret = idd_dma_access_pair_group_leave(s.dev, (int16_t)gid);
		else if (sscanf(line, "joinloop %d %lu", &gid, &n) == 2)
			ret = peer_joinloop(&s, (int16_t)gid, n) == 0 ? 1 : -ENOMEM;
		else if (strncmp(line, "exit", 4) == 0)
			break;
		else
			ret = -EINVAL;
		if (ret == 0)
			printf("ok\n");
		else if (ret < 0)
			printf("err %d\n", ret);
	}
	idd_dma_close(s.dev);
	idd_mem_free(s.buf);
	return 0;
}
