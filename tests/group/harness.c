/* SPDX-License-Identifier: BSD-3-Clause */
/* Multi-process harness: see harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_mem.h>

#include "group/group.h"
#include "mem/heap.h"
#include "mem/window_table.h"
#include "../lib/agent.h"
#include "hex.h"
#include "harness.h"

static const char *runtime_dir;

void
harness_child_exit(bool failed)
{
	if (failed)
		execl("/bin/false", "false", (char *)NULL);
	else
		execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

void
test_uuid(unsigned int n, unsigned char out[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = (unsigned char)(0xa0 + i);
	out[0] = (unsigned char)n;
	out[1] = (unsigned char)(n >> 8);
}

void
uuid_hex(const unsigned char u[16], char out[33])
{
	hex_encode(u, 16, out);
}

void
test_uuid_hex(unsigned int n, unsigned char u[16], char hex[33])
{
	test_uuid(n, u);
	uuid_hex(u, hex);
}

static int
hex_uuid(const char *s, unsigned char out[16])
{
	return hex_decode(s, out, 16);
}

/* ---- events ---- */

struct rec {
	int16_t dev, gid;
	int ev;
	unsigned char domain[16];
	uint64_t t;
	bool used;
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
static struct rec recs[1024];
static unsigned int nb_recs;

void
events_record(int16_t dev_id, int16_t group_id, const unsigned char domain[16], int ev)
{
	pthread_mutex_lock(&ev_lock);
	if (nb_recs < 1024) {
		struct rec *r = &recs[nb_recs++];

		r->dev = dev_id;
		r->gid = group_id;
		r->ev = ev;
		memcpy(r->domain, domain, 16);
		r->t = mono_us();
		r->used = false;
	}
	pthread_cond_broadcast(&ev_cv);
	pthread_mutex_unlock(&ev_lock);
}

void
events_upstream_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
		   enum idd_dma_access_pair_group_event_type event)
{
	events_record(dev_id, group_id, domain_id, (int)event);
}

void
events_ext_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	      enum idd_dma_group_event event, void *user_data)
{
	(void)user_data;
	if (event == IDD_DMA_GROUP_EV_MEMBER_JOINED)
		events_record(dev_id, group_id, domain_id, (int)event);
}

uint64_t
events_wait(int ev, const unsigned char *domain, int group_id, int timeout_ms)
{
	struct timespec dl;
	uint64_t t = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ev_lock);
	for (;;) {
		for (unsigned int i = 0; i < nb_recs; i++) {
			struct rec *r = &recs[i];

			if (r->used || r->ev != ev || (group_id >= 0 && r->gid != group_id))
				continue;
			if (domain != NULL && memcmp(r->domain, domain, 16) != 0)
				continue;
			r->used = true;
			t = r->t;
			goto out;
		}
		if (pthread_cond_timedwait(&ev_cv, &ev_lock, &dl) == ETIMEDOUT)
			break;
	}
out:
	pthread_mutex_unlock(&ev_lock);
	return t;
}

void
events_clear(void)
{
	pthread_mutex_lock(&ev_lock);
	nb_recs = 0;
	pthread_mutex_unlock(&ev_lock);
}

int
wait_members(int16_t dev, int16_t gid, int n, int timeout_ms)
{
	uint64_t end = mono_us() + (uint64_t)timeout_ms * 1000u;
	int got;

	for (;;) {
		got = idd_dma_access_pair_group_members(dev, gid, NULL, 0);
		if (got == n || mono_us() > end)
			return got;
		usleep(1000);
	}
}

int
peek_u64(int16_t dev, int16_t gid, const unsigned char domain[16], uint64_t addr, uint64_t *val)
{
	struct mem_wt_cache cache;
	struct mem_wt *space = NULL;
	uint16_t h;
	void *p;
	int ret;

	ret = group_handler_get(dev, gid, domain, &h);
	if (ret != 0)
		return ret;
	ret = group_handler_acquire(dev, h, &space);
	if (ret != 0)
		return -ENOENT;
	if (space == NULL)
		space = mem_local_table();
	mem_wt_cache_init(&cache);
	mem_rcu_read_lock();
	p = mem_wt_translate(space, &cache, addr, sizeof(*val), MEM_ACCESS_READ);
	if (p != NULL)
		memcpy(val, p, sizeof(*val));
	mem_rcu_read_unlock();
	group_handler_release(dev, h);
	return p != NULL ? 0 : -EFAULT;
}

int
peek_wait(int16_t dev, int16_t gid, const unsigned char domain[16], uint64_t addr, int want,
	  uint64_t *val, int timeout_ms)
{
	uint64_t end = mono_us() + (uint64_t)timeout_ms * 1000u;
	int ret;

	for (;;) {
		ret = peek_u64(dev, gid, domain, addr, val);
		if (ret == want || mono_us() > end)
			return ret;
		usleep(1000);
	}
}

/* ---- agent side ---- */

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int
agent_loop(void)
{
	char line[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char cmd[32], a1[128], a2[128], a3[128], a4[128];
		unsigned char dom[16], tok[16];
		int d = 0, g = 0, n;

		a1[0] = a2[0] = a3[0] = a4[0] = '\0';
		n = sscanf(line, "%31s %d %d %127s %127s %127s", cmd, &d, &g, a1, a2, a3);
		if (n < 1)
			continue;
		if (strcmp(cmd, "exit") == 0) {
			reply("ret 0");
			return 0;
		} else if (strcmp(cmd, "create") == 0) {
			/* create D DOM TOK (g unused: the line has "create D 0 DOM TOK") */
			int16_t gid = -1;
			int ret;

			hex_uuid(a1, dom);
			hex_uuid(a2, tok);
			ret = group_create((int16_t)d, dom, tok, events_upstream_cb, &gid);
			if (ret == 0)
				idd_dma_access_pair_group_event_register((int16_t)d, gid,
									 events_ext_cb, NULL);
			reply("ret %d %d", ret, gid);
		} else if (strcmp(cmd, "createmany") == 0) {
			/* createmany D K DOM TOK: K groups with devices D..D+K-1 */
			char out[400] = "";
			int ret = 0;

			hex_uuid(a1, dom);
			hex_uuid(a2, tok);
			for (int i = 0; i < g && ret == 0; i++) {
				int16_t gid = -1;
				size_t l = strlen(out);

				ret = group_create((int16_t)(d + i), dom, tok, NULL, &gid);
				snprintf(out + l, sizeof(out) - l, " %d", gid);
			}
			reply("ret %d%s", ret, out);
		} else if (strcmp(cmd, "join") == 0) {
			int ret;

			hex_uuid(a1, dom);
			hex_uuid(a2, tok);
			ret = group_join((int16_t)d, dom, tok, (int16_t)g, events_upstream_cb);
			if (ret == 0)
				idd_dma_access_pair_group_event_register((int16_t)d, (int16_t)g,
									 events_ext_cb, NULL);
			reply("ret %d", ret);
		} else if (strcmp(cmd, "leave") == 0) {
			reply("ret %d", group_leave((int16_t)d, (int16_t)g));
		} else if (strcmp(cmd, "destroy") == 0) {
			reply("ret %d", group_destroy((int16_t)d, (int16_t)g));
		} else if (strcmp(cmd, "close") == 0) {
			group_dev_close((int16_t)d);
			reply("ret 0");
		} else if (strcmp(cmd, "ns") == 0) {
			/* ns D 0 NAME */
			reply("ret %d", group_dev_set_options((int16_t)d, a1, -1));
		} else if (strcmp(cmd, "handler") == 0) {
			uint16_t h = 0;
			int ret;

			hex_uuid(a1, dom);
			ret = group_handler_get((int16_t)d, (int16_t)g, dom, &h);
			reply("ret %d %u", ret, h);
		} else if (strcmp(cmd, "waitmembers") == 0) {
			/* waitmembers D G N TIMEOUT */
			reply("ret %d", wait_members((int16_t)d, (int16_t)g, atoi(a1), atoi(a2)));
		} else if (strcmp(cmd, "waitev") == 0) {
			/* waitev 0 G EV DOM TIMEOUT */
			uint64_t t;

			hex_uuid(a2, dom);
			t = events_wait(atoi(a1), dom, g, atoi(a3));
			reply("ret %d %llu", t ? 0 : -ETIMEDOUT, (unsigned long long)t);
		} else if (strcmp(cmd, "publish") == 0) {
			/* publish D G NAME ADDR LEN */
			reply("ret %d", idd_dma_group_buffer_publish(
						(int16_t)d, (int16_t)g, a1,
						(void *)(uintptr_t)strtoull(a2, NULL, 0),
						strtoull(a3, NULL, 0)));
		} else if (strcmp(cmd, "alloc") == 0) {
			/* alloc 0 0 LEN BYTE: a window filled with BYTE */
			size_t len = strtoull(a1, NULL, 0);
			void *p = idd_mem_alloc(len, IDD_MEM_PEER_RW);

			if (p != NULL)
				memset(p, (int)strtol(a2, NULL, 0), len);
			reply("ret %d %llu", p != NULL ? 0 : -errno,
			      (unsigned long long)(uintptr_t)p);
		} else if (strcmp(cmd, "joinbench") == 0) {
			/* joinbench D G DOM TOK N: median join time in µs
			 * (each join followed by a leave) */
			uint64_t t[256];
			int iters = atoi(a3), ret = 0;

			hex_uuid(a1, dom);
			hex_uuid(a2, tok);
			if (iters > 256)
				iters = 256;
			for (int i = 0; i < iters && ret == 0; i++) {
				uint64_t t0 = mono_us();

				ret = group_join((int16_t)d, dom, tok, (int16_t)g, NULL);
				t[i] = mono_us() - t0;
				if (ret == 0)
					ret = group_leave((int16_t)d, (int16_t)g);
			}
			for (int i = 1; i < iters; i++)
				for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
					uint64_t x = t[j];

					t[j] = t[j - 1];
					t[j - 1] = x;
				}
			reply("ret %d %llu", ret, ret == 0 ? (unsigned long long)t[iters / 2] : 0ull);
		} else if (strcmp(cmd, "forksleep") == 0) {
			/* forksleep: a child without exec that outlives us a
			 * little; it must hold none of our group sockets.
			 * It also proves a forked child starts afresh. */
			pid_t pid = fork();

			if (pid == 0) {
				unsigned char cd[16];
				int16_t cg = -1;
				int r;

				test_uuid(0xc0de, cd);
				r = group_create(50, cd, cd, NULL, &cg);
				if (r == 0)
					r = group_destroy(50, cg);
				reply("ret %d child", r);
				sleep(1);
				_exit(r == 0 ? 0 : 1);
			}
			reply("ret %d %d", pid > 0 ? 0 : -errno, (int)pid);
		} else if (strcmp(cmd, "free") == 0) {
			reply("ret %d", idd_mem_free((void *)(uintptr_t)strtoull(a1, NULL, 0)));
		} else if (strcmp(cmd, "peek") == 0) {
			/* peek D G DOM ADDR WANT TIMEOUT (a4 read below) */
			uint64_t v = 0;
			int ret;

			sscanf(line, "%*s %*d %*d %*s %*s %*s %127s", a4);
			hex_uuid(a1, dom);
			ret = peek_wait((int16_t)d, (int16_t)g, dom, strtoull(a2, NULL, 0), atoi(a3),
					&v, atoi(a4));
			reply("ret %d %llu", ret, (unsigned long long)v);
		} else if (strcmp(cmd, "unpublish") == 0) {
			reply("ret %d", idd_dma_group_buffer_unpublish((int16_t)d, (int16_t)g, a1));
		} else if (strcmp(cmd, "lookup") == 0) {
			/* lookup D G NAME TIMEOUT */
			struct idd_dma_group_buffer b;
			int ret = idd_dma_group_buffer_lookup((int16_t)d, (int16_t)g, a1, atoi(a2),
							      &b);

			reply("ret %d %llu %llu %u", ret, ret == 0 ? (unsigned long long)b.addr : 0,
			      ret == 0 ? (unsigned long long)b.len : 0, ret == 0 ? b.handler : 0);
		} else {
			reply("ret %d unknown-command", -ENOSYS);
		}
	}
	return 0;
}

/* ---- parent side ---- */

int
harness_main(int argc, char **argv)
{
	char tmpl[] = "/tmp/idd-group-test-XXXXXX";

	if (argc >= 2 && strcmp(argv[1], "agent") == 0)
		return agent_loop();
	runtime_dir = agent_runtime_init(tmpl, false);
	harness_new_ns();
	return -1;
}

const char *
harness_runtime_dir(void)
{
	return runtime_dir != NULL ? runtime_dir : "";
}

const char *
harness_new_ns(void)
{
	return agent_new_ns("t");
}

int
harness_test_setup(void **state)
{
	(void)state;
	harness_new_ns();
	events_clear();
	return 0;
}

int
harness_test_teardown(void **state)
{
	(void)state;
	for (int16_t d = 0; d < HARNESS_NB_DEVS; d++)
		group_dev_close(d);
	return 0;
}

void
agent_spawn(struct agent *a)
{
	memset(a, 0, sizeof(*a));
	a->pid = agent_start("group-agent", &a->to, &a->from);
}

void
agent_send(struct agent *a, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	agent_write_line(a->to, line);
}

int
agent_reply(struct agent *a, char *line, size_t cap)
{
	int code = -9999;

	if (agent_line_wait(a->pid, a->from, a->buf, sizeof(a->buf), &a->len, 60000) != 0)
		return -9999;
	sscanf(a->buf, "ret %d", &code);
	if (line != NULL)
		snprintf(line, cap, "%s", a->buf);
	agent_line_drop(a->buf, &a->len);
	return code;
}

int
agent_cmd(struct agent *a, char *line, size_t cap, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	agent_send(a, "%s", cmd);
	return agent_reply(a, line, cap);
}

int
agent_exit(struct agent *a)
{
	agent_cmd(a, NULL, 0, "exit");
	return agent_reap(a->pid, a->to, a->from);
}

uint64_t
agent_kill(struct agent *a)
{
	uint64_t t = mono_us();

	agent_kill_reap(a->pid, a->to, a->from);
	return t;
}
