/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the fabric tests (fab_test.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fab_test.h"
#include "netns_hosts.h"

struct ft_board *
ft_board_new(void)
{
	void *p = mmap(NULL, sizeof(struct ft_board), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	memset(p, 0, sizeof(struct ft_board));
	return p;
}

int16_t
ft_listen_dev(const char *name, const char *extra, unsigned int *port)
{
	char args[200];

	for (int tries = 0; tries < 64; tries++) {
		uint32_t r;
		int dev;

		CHECK(getrandom(&r, sizeof(r), 0) == sizeof(r));
		*port = 20000u + r % 40000u;
		snprintf(args, sizeof(args), "driver=fabric,listen=127.0.0.1:%u%s", *port, extra);
		dev = idd_dma_dev_create(name, args);
		if (dev >= 0)
			return (int16_t)dev;
		CHECK(dev == -EADDRINUSE);
	}
	CHECK(!"no free port");
	return -1;
}

void
ft_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

pid_t
ft_spawn(void (*fn)(void), unsigned int alarm_s)
{
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0) {
		alarm(alarm_s);
		fn();
		_exit(70); /* a role that forgot to exit: never its parent's code */
	}
	return p;
}

bool
ft_wait_int(_Atomic int *v, int want, int ms)
{
	for (int t = 0; t < ms; t++) {
		if (atomic_load(v) >= want)
			return true;
		ft_sleep_ms(1);
	}
	return atomic_load(v) >= want;
}

bool
ft_wait_u64(_Atomic uint64_t *v, uint64_t want, int ms)
{
	for (int t = 0; t < ms; t++) {
		if (atomic_load(v) >= want)
			return true;
		ft_sleep_ms(1);
	}
	return atomic_load(v) >= want;
}

static struct ft_host *ev_self;

void
ft_events_to(struct ft_host *self)
{
	ev_self = self;
}

void
ft_event_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
	    enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id, (void)group_id, (void)domain_id;
	if (ev_self == NULL)
		return;
	if (event == IDD_DMA_GROUP_EVENT_MEMBER_LEFT)
		atomic_fetch_add(&ev_self->left_seen, 1);
	else if (event == IDD_DMA_GROUP_EVENT_GROUP_DESTROYED)
		atomic_fetch_add(&ev_self->destroyed_seen, 1);
}

void
ft_ext_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	  enum idd_dma_group_event event, void *user_data)
{
	struct ft_host *h = user_data;

	(void)dev_id, (void)group_id, (void)domain_id;
	if (event == IDD_DMA_GROUP_EV_MEMBER_JOINED)
		atomic_fetch_add(&h->joined_seen, 1);
	else if (event == IDD_DMA_GROUP_EV_MEMBER_LEFT)
		atomic_fetch_add(&h->ext_left_seen, 1);
}

uint16_t
ft_handler(int16_t dev, int16_t group, const uint8_t domain[16])
{
	uint16_t h = 0;

	for (int t = 0; t < 10000; t++) {
		if (idd_dma_access_pair_group_handler_get(dev, group, (unsigned char *)domain,
							  &h) == 0)
			return h;
		ft_sleep_ms(1);
	}
	CHECK(!"handler never appeared");
	return 0;
}

void
ft_start(int16_t dev, unsigned int n, const uint16_t *src, const uint16_t *dst)
{
	struct idd_dma_conf conf = {.nb_vchans = (uint16_t)n};

	CHECK(idd_dma_configure(dev, &conf) == 0);
	for (unsigned int v = 0; v < n; v++) {
		struct idd_dma_vchan_conf vc;

		memset(&vc, 0, sizeof(vc));
		vc.direction = IDD_DMA_DIR_MEM_TO_MEM;
		vc.nb_desc = 256;
		vc.domain.type = IDD_DMA_INTER_OS_DOMAIN;
		vc.domain.src_handler = src[v];
		vc.domain.dst_handler = dst[v];
		CHECK(idd_dma_vchan_setup(dev, (uint16_t)v, &vc) == 0);
	}
	CHECK(idd_dma_start(dev) == 0);
}

int
ft_op(int16_t dev, uint16_t vchan, char kind, uint64_t src, uint64_t dst, uint32_t len)
{
	enum idd_dma_status_code st = IDD_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last = 0;
	int idx;

	if (kind == 'f')
		idx = idd_dma_fill(dev, vchan, src, dst, len, IDD_DMA_OP_FLAG_SUBMIT);
	else
		idx = idd_dma_copy(dev, vchan, src, dst, len, IDD_DMA_OP_FLAG_SUBMIT);
	CHECK(idx >= 0);
	for (int t = 0; t < 100000; t++) {
		if (idd_dma_completed_status(dev, vchan, 1, &last, &st) == 1) {
			CHECK(last == (uint16_t)idx);
			return (int)st;
		}
		usleep(100);
	}
	CHECK(!"operation never completed");
	return -1;
}

void
ft_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

bool
ft_pattern_ok(const uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		if (p[i] != (uint8_t)(x >> 16)) {
			fprintf(stderr, "[%d] byte %zu differs\n", (int)getpid(), i);
			return false;
		}
	}
	return true;
}

void
ft_stream_until_gone(int16_t dev, uint16_t vchan, uint64_t src, uint64_t dst, struct ft_host *self)
{
	const uint32_t len = 256 * 1024;
	const unsigned int depth = 32;
	uint64_t posted = 0, done = 0, failed = 0;
	enum idd_dma_status_code st[64];
	int idle = 0;

	while (done < posted || failed == 0) {
		while (failed == 0 && posted - done < depth) {
			uint64_t off = (posted * len) % (FT_WIN - len + 1);
			int r = idd_dma_copy(dev, vchan, src, dst + off, len, IDD_DMA_OP_FLAG_SUBMIT);

			CHECK(r >= 0 || r == -ENOSPC);
			if (r < 0)
				break;
			posted++;
		}
		uint16_t last;
		uint16_t got = idd_dma_completed_status(dev, vchan, 64, &last, st);

		for (uint16_t i = 0; i < got; i++) {
			if (st[i] != IDD_DMA_STATUS_SUCCESSFUL) {
				failed++;
				atomic_store(&self->err_status, (int)st[i]);
			}
		}
		done += got;
		atomic_store(&self->progress, done);
		if (got == 0) {
			usleep(100);
			CHECK(++idle < 600000); /* a minute without any completion */
		} else {
			idle = 0;
		}
	}
	int es = atomic_load(&self->err_status);

	CHECK(es == IDD_DMA_STATUS_DEV_LINK_ERROR || es == IDD_DMA_STATUS_INVALID_DST_ADDR);
}

void
ft_role_done(int16_t dev, int16_t destroy_gid, void *win, void *buf, struct ft_host *self)
{
	CHECK(idd_dma_stop(dev) == 0);
	if (destroy_gid >= 0)
		CHECK(idd_dma_access_pair_group_destroy(dev, destroy_gid) == 0);
	CHECK(idd_dma_close(dev) == 0);
	idd_mem_free(win);
	free(buf);
	atomic_store(&self->result, 1);
	exit(0);
}

int
ft_reap(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	hosts_proc_gone(pid);
	return st;
}

bool
ft_exited_ok(pid_t pid)
{
	int st = ft_reap(pid);

	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void
ft_hosts_own(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	hosts_own();
}

void
ft_hosts_ok(int ret)
{
	if (ret == 0)
		return;
	if (ret == -ENOTSUP) {
		printf("SKIP: cannot create network namespaces: %s\n", hosts_error());
		exit(77);
	}
	fprintf(stderr, "setup failed: %s\n", hosts_error());
	exit(1);
}

void
ft_enter(const char *ns)
{
	int ret = hosts_enter(ns);

	if (ret != 0) {
		fprintf(stderr, "host %d: cannot enter namespace %s: %s\n", (int)getpid(), ns,
			strerror(-ret));
		exit(1);
	}
}

pid_t
ft_spawn_host(void (*fn)(void), unsigned int alarm_s)
{
	pid_t p = ft_spawn(fn, alarm_s);

	CHECK(hosts_proc_add(p) == 0);
	return p;
}
