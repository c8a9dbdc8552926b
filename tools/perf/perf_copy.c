/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Case type "copy": copies through sw devices, in one of four directions:
 *   local         both buffers ours, an ordinary vchan;
 *   to-peer       ours -> a peer's window (one vchan per peer);
 *   from-peer     a peer's window -> ours;
 *   peer-to-peer  peer i's window -> peer i+1's (a third-party copy).
 * One device, of the case's engine (the other engine's is closed first, so
 * that no idle worker competes): it creates a group, every pool peer joins
 * it and publishes its window in the group's directory, where we look it
 * up. Consecutive cases of one engine keep the device and reconfigure its
 * vchans.
 *
 * Each (case, size) first checks one copy per lane byte for byte (the
 * pattern is put in place and read back with process_vm_writev/readv when
 * a peer holds it), then measures throughput, latency, and the references:
 * memcpy here and process_vm_* to the same peers (measured once per size
 * and footprint, and shared by the cases that compare with them).
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#include "perf_case.h"
#include "perf_copy.h"
#include "perf_env.h"
#include "perf_measure.h"
#include "perf_report.h"

#define PAGE 4096u
/* How long a fresh peer window may take to reach us. */
#define WINDOW_WAIT_S 5.0

struct engine_dev {
	int16_t dev;            /* -1: not made yet */
	int16_t gid;
	bool started;
	uint16_t self_h;
	uint16_t peer_h[PERF_MAX_PEERS];
	uint64_t peer_buf[PERF_MAX_PEERS]; /* the peer's window, as published */
	uint64_t peer_len[PERF_MAX_PEERS];
};

static struct engine_dev devs[PERF_NB_ENGINES] = {{.dev = -1}, {.dev = -1}};

/* Our own buffers: sources and destinations, @loc_half bytes each. */
static uint8_t *loc_src, *loc_dst;
static size_t loc_page; /* kept after the buffers are freed, for the report */
static uint64_t loc_half;

/* References measured once per (kind, size, span, lanes, burst). */
struct ref {
	int kind; /* -1: memcpy; else the direction of a process_vm_* figure */
	uint32_t size;
	uint64_t span;
	unsigned int lanes, burst;
	double gbps;
};
#define MAX_REFS 512
static struct ref refs[MAX_REFS];
static unsigned int nb_refs;
static bool pvm_refused;

static uint64_t
round_page(uint64_t n)
{
	return (n + PAGE - 1) / PAGE * PAGE;
}

static uint32_t
max_size(const struct perf_case *c)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < c->nb_sizes; i++)
		if (c->sizes[i] > m)
			m = c->sizes[i];
	return m;
}

/* Bytes of one side (sources, or destinations) of a case. */
static uint64_t
half_of(const struct perf_case *c)
{
	uint64_t h = c->footprint / 2;

	return round_page(h > max_size(c) ? h : max_size(c));
}

static unsigned int
copy_lanes(const struct perf_case *c)
{
	return c->dir == PERF_DIR_LOCAL ? 1 : c->peers;
}

static unsigned int
copy_peers_needed(const struct perf_case *c)
{
	return c->dir == PERF_DIR_LOCAL ? 0 : c->peers;
}

/* A peer's window: sources in its first half, destinations in its second. */
static uint64_t
copy_peer_window(const struct perf_case *c)
{
	return c->dir == PERF_DIR_LOCAL ? 0 : 2 * half_of(c);
}

static int
copy_check(const struct perf_case *c, char *why, size_t len)
{
	if (c->dir == PERF_DIR_PEER_TO_PEER && c->peers < 2) {
		snprintf(why, len, "peer-to-peer needs peers >= 2");
		return -EINVAL;
	}
	if (c->burst > c->ring) {
		snprintf(why, len, "burst %u exceeds ring %u", c->burst, c->ring);
		return -EINVAL;
	}
	if (c->kick > c->burst) {
		snprintf(why, len, "kick %u exceeds burst %u", c->kick, c->burst);
		return -EINVAL;
	}
	/* Below two copies per side the walk would reuse one slot, a cached
	 * run under the footprint's name. */
	if (c->footprint != 0 && c->footprint < 4 * (uint64_t)max_size(c)) {
		char fp[24], need[24], size[24];

		perf_format_size(fp, sizeof(fp), c->footprint);
		perf_format_size(need, sizeof(need), 4 * (uint64_t)max_size(c));
		perf_format_size(size, sizeof(size), max_size(c));
		snprintf(why, len,
			 "footprint %s is too small to walk through with %s copies: at least %s "
			 "(two sources, two destinations)",
			 fp, size, need);
		return -EINVAL;
	}
	return 0;
}

/* Make the engine's device and its group; every pool peer joins. */
static int
dev_open(const struct perf_case *c, struct perf_env *env, struct engine_dev *d)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	char args[64], name[32], line[128];
	int dev, ret;

	if (c->engine == PERF_ENGINE_THREAD && env->worker_cpu >= 0)
		snprintf(args, sizeof(args), "engine=thread,cpu=%d", env->worker_cpu);
	else
		snprintf(args, sizeof(args), "engine=%s", perf_engine_names[c->engine]);
	snprintf(name, sizeof(name), "idd-perf-%s", perf_engine_names[c->engine]);
	dev = idd_dma_dev_create(name, args);
	if (dev < 0)
		return perf_case_fail(c, "device create", dev);
	d->dev = (int16_t)dev;
	if ((ret = idd_dma_configure(d->dev, &conf)) != 0)
		return perf_case_fail(c, "configure", ret);
	ret = idd_dma_access_pair_group_create(d->dev, env->self_dom, env->token, &d->gid, NULL);
	if (ret != 0)
		return perf_case_fail(c, "group create", ret);
	if ((ret = idd_dma_access_pair_group_handler_get(d->dev, d->gid, env->self_dom,
							 &d->self_h)) != 0)
		return perf_case_fail(c, "own handler", ret);
	for (unsigned int i = 0; i < env->nb_peers; i++) {
		struct perf_peer *p = &env->peers[i];
		struct idd_dma_group_buffer b;

		snprintf(name, sizeof(name), "peer%u", p->index);
		ret = perf_peer_send(p, "join %d", d->gid);
		if (ret == 0)
			ret = perf_peer_wait(p, line, sizeof(line));
		if (ret != 0)
			return perf_case_fail(c, "a peer's join", ret);
		ret = idd_dma_access_pair_group_handler_get(d->dev, d->gid, p->dom, &d->peer_h[i]);
		if (ret != 0)
			return perf_case_fail(c, "a peer's handler", ret);
		ret = idd_dma_group_buffer_lookup(d->dev, d->gid, name, 5000, &b);
		if (ret != 0)
			return perf_case_fail(c, "a peer's buffer in the group directory", ret);
		d->peer_buf[i] = b.addr;
		d->peer_len[i] = b.len;
	}
	return 0;
}

static void
dev_close(struct engine_dev *d)
{
	if (d->dev < 0)
		return;
	if (d->started)
		idd_dma_stop(d->dev);
	/* Closing the device ends its group; the peers hear of it. */
	idd_dma_close(d->dev);
	d->dev = -1;
	d->started = false;
}

static void
copy_cleanup(void)
{
	for (unsigned int e = 0; e < PERF_NB_ENGINES; e++)
		dev_close(&devs[e]);
	idd_mem_free(loc_src);
	idd_mem_free(loc_dst);
	loc_src = loc_dst = NULL;
	loc_half = 0;
}

/* Vchans for the case's lanes, and the lanes' addresses. */
static int
setup_lanes(const struct perf_case *c, struct perf_env *env, struct engine_dev *d,
	    struct perf_lane *lanes, unsigned int nl)
{
	struct idd_dma_conf conf = {.nb_vchans = (uint16_t)nl};
	int ret;

	if (d->started) {
		idd_dma_stop(d->dev);
		d->started = false;
	}
	if ((ret = idd_dma_configure(d->dev, &conf)) != 0)
		return perf_case_fail(c, "configure", ret);
	for (unsigned int l = 0; l < nl; l++) {
		struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM,
						.nb_desc = (uint16_t)c->ring};
		struct perf_lane *ln = &lanes[l];
		unsigned int next = (l + 1) % nl;
		uint64_t peer_dst = d->peer_buf[l] + d->peer_len[l] / 2;

		memset(ln, 0, sizeof(*ln));
		ln->dev = d->dev;
		ln->vchan = (uint16_t)l;
		ln->bounce = (uintptr_t)loc_dst;
		vc.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
		switch (c->dir) {
		case PERF_DIR_LOCAL:
			vc.domain.type = IDD_DMA_INTER_DOMAIN_NONE;
			ln->src = (uintptr_t)loc_src;
			ln->dst = (uintptr_t)loc_dst;
			break;
		case PERF_DIR_TO_PEER:
			vc.domain.src_handler = d->self_h;
			vc.domain.dst_handler = d->peer_h[l];
			ln->src = (uintptr_t)loc_src;
			ln->dst = peer_dst;
			ln->dst_pid = env->peers[l].pid;
			break;
		case PERF_DIR_FROM_PEER:
			vc.domain.src_handler = d->peer_h[l];
			vc.domain.dst_handler = d->self_h;
			ln->src = d->peer_buf[l];
			ln->dst = (uintptr_t)loc_dst;
			ln->src_pid = env->peers[l].pid;
			break;
		default: /* peer to peer */
			vc.domain.src_handler = d->peer_h[l];
			vc.domain.dst_handler = d->peer_h[next];
			ln->src = d->peer_buf[l];
			ln->dst = d->peer_buf[next] + d->peer_len[next] / 2;
			ln->src_pid = env->peers[l].pid;
			ln->dst_pid = env->peers[next].pid;
			break;
		}
		if ((ret = idd_dma_vchan_setup(d->dev, (uint16_t)l, &vc)) != 0) {
			char what[64];

			snprintf(what, sizeof(what), "vchan %u setup (ring %u)", l, c->ring);
			return perf_case_fail(c, what, ret);
		}
	}
	if ((ret = idd_dma_start(d->dev)) != 0)
		return perf_case_fail(c, "start", ret);
	d->started = true;
	return 0;
}

/* Copy @len bytes between us and process @pid (0: us). */
static int
xfer(pid_t pid, uint64_t remote, void *local, size_t len, bool write)
{
	struct iovec l = {local, len}, r = {(void *)(uintptr_t)remote, len};
	ssize_t n;

	if (pid == 0) {
		if (write)
			memcpy((void *)(uintptr_t)remote, local, len);
		else
			memcpy(local, (const void *)(uintptr_t)remote, len);
		return 0;
	}
	n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) : process_vm_readv(pid, &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* One copy of @size on the lane, checked byte for byte where we can see
 * both ends; retried while a fresh peer window has not reached us. */
static int
verify_lane(const struct perf_case *c, const struct perf_lane *ln, uint32_t size, unsigned int seed)
{
	uint8_t *want = malloc(size), *got = malloc(size);
	double give_up = perf_now() + WINDOW_WAIT_S;
	bool can_check = true;
	int ret = 0;

	if (want == NULL || got == NULL) {
		free(want);
		free(got);
		return perf_case_fail(c, "check buffers", -ENOMEM);
	}
	for (uint32_t i = 0; i < size; i++)
		want[i] = (uint8_t)(seed * 37 + i * 131 + (i >> 8));
	memset(got, 0, size);
	if (ln->unreachable ||
	    xfer(ln->src_pid, ln->src, want, size, true) != 0 ||
	    xfer(ln->dst_pid, ln->dst, got, size, true) != 0)
		can_check = false; /* process_vm_* refused: status only */
	for (;;) {
		enum idd_dma_status_code st = IDD_DMA_STATUS_SUCCESSFUL;
		uint16_t last;
		double stall = perf_now() + 10.0;

		if (idd_dma_copy(ln->dev, ln->vchan, ln->src, ln->dst, size,
				 IDD_DMA_OP_FLAG_SUBMIT) < 0) {
			ret = perf_case_fail(c, "check copy: enqueue", -EIO);
			break;
		}
		while (idd_dma_completed_status(ln->dev, ln->vchan, 1, &last, &st) == 0)
			if (perf_now() > stall) {
				st = IDD_DMA_STATUS_DEV_LINK_ERROR;
				break;
			}
		if (st == IDD_DMA_STATUS_SUCCESSFUL)
			break;
		if ((st != IDD_DMA_STATUS_INVALID_SRC_ADDR && st != IDD_DMA_STATUS_INVALID_DST_ADDR) ||
		    perf_now() > give_up) {
			char what[64];

			snprintf(what, sizeof(what), "check copy on vchan %u: %s", ln->vchan,
				 perf_status_name(st));
			ret = perf_case_fail(c, what, -EIO);
			break;
		}
		usleep(1000);
	}
	if (ret == 0 && can_check) {
		if (xfer(ln->dst_pid, ln->dst, got, size, false) != 0) {
			ret = perf_case_fail(c, "check copy: read back", -EIO);
		} else if (memcmp(want, got, size) != 0) {
			uint32_t i = 0;

			while (want[i] == got[i])
				i++;
			fprintf(stderr,
				"idd-perf: case '%s': %" PRIu32 "-byte copy on vchan %u: wrong data "
				"at byte %" PRIu32 "\n",
				c->name, size, ln->vchan, i);
			ret = -EIO;
		}
	}
	free(want);
	free(got);
	return ret;
}

static struct ref *
ref_find(int kind, uint32_t size, uint64_t span, unsigned int lanes, unsigned int burst)
{
	for (unsigned int i = 0; i < nb_refs; i++)
		if (refs[i].kind == kind && refs[i].size == size && refs[i].span == span &&
		    refs[i].lanes == lanes && refs[i].burst == burst)
			return &refs[i];
	return NULL;
}

static void
ref_add(int kind, uint32_t size, uint64_t span, unsigned int lanes, unsigned int burst, double g)
{
	if (nb_refs < MAX_REFS)
		refs[nb_refs++] = (struct ref){kind, size, span, lanes, burst, g};
}

static int
memcpy_ref(const struct perf_case *c, uint32_t size, uint64_t span, double *gbps)
{
	struct perf_lane ln = {.src = (uintptr_t)loc_src, .dst = (uintptr_t)loc_dst, .span = span};
	struct ref *r = ref_find(-1, size, span, 1, 0);
	struct perf_rate rate;
	int ret;

	if (r != NULL) {
		*gbps = r->gbps;
		return 0;
	}
	ret = perf_measure_memcpy(&ln, size, c->duration, &rate);
	if (ret != 0)
		return ret;
	ref_add(-1, size, span, 1, 0, rate.gbps);
	*gbps = rate.gbps;
	return 0;
}

static int
pvm_ref(const struct perf_case *c, const struct perf_lane *lanes, unsigned int nl, uint32_t size,
	uint64_t span, double *gbps)
{
	struct ref *r = ref_find((int)c->dir, size, span, nl, c->burst);
	struct perf_rate rate;
	int ret;

	*gbps = NAN;
	if (c->dir == PERF_DIR_LOCAL || pvm_refused)
		return 0;
	if (r != NULL) {
		*gbps = r->gbps;
		return 0;
	}
	ret = perf_measure_pvm(lanes, nl, size, c->burst, c->duration, &rate);
	if (ret == -EPERM || ret == -ENOSYS) {
		fprintf(stderr, "idd-perf: process_vm_writev/readv refused (%s); no pvm figures\n",
			strerror(-ret));
		pvm_refused = true;
		return 0;
	}
	if (ret != 0)
		return perf_case_fail(c, "process_vm_writev/readv", ret);
	ref_add((int)c->dir, size, span, nl, c->burst, rate.gbps);
	*gbps = rate.gbps;
	return 0;
}

static int
ensure_local(const struct perf_case *c, uint64_t half)
{
	if (loc_half >= half)
		return 0;
	idd_mem_free(loc_src);
	idd_mem_free(loc_dst);
	loc_src = idd_mem_alloc_aligned(half, PAGE, 0);
	loc_dst = idd_mem_alloc_aligned(half, PAGE, 0);
	if (loc_src == NULL || loc_dst == NULL) {
		idd_mem_free(loc_src);
		idd_mem_free(loc_dst);
		loc_src = loc_dst = NULL;
		loc_half = 0;
		return perf_case_fail(c, "local buffers", -ENOMEM);
	}
	struct idd_mem_window_info wi;

	if (idd_mem_window_get(loc_src, &wi) == 0)
		loc_page = wi.page_size;
	/* Touch every page now, not during a measurement. */
	memset(loc_src, 0x3c, half);
	memset(loc_dst, 0xc3, half);
	loc_half = half;
	return 0;
}

size_t
perf_copy_page_size(void)
{
	return loc_page;
}

int
perf_copy_local(const struct perf_case *c, uint64_t *src, uint64_t *dst)
{
	int ret = ensure_local(c, half_of(c));

	*src = (uintptr_t)loc_src;
	*dst = (uintptr_t)loc_dst;
	return ret;
}

int
perf_copy_measure(const struct perf_case *c, struct perf_env *env, const struct perf_lane *lanes,
		  unsigned int nl)
{
	uint64_t span = c->footprint / 2;
	bool reachable = true;
	int ret;

	if ((ret = ensure_local(c, half_of(c))) != 0)
		return ret;
	for (unsigned int l = 0; l < nl; l++)
		reachable &= !lanes[l].unreachable;
	for (unsigned int i = 0; i < c->nb_sizes; i++) {
		uint32_t size = c->sizes[i];
		struct perf_row row;
		struct perf_rate rate;
		char sz[16];
		double p50, p99, mc, pv = NAN;

		perf_format_size(sz, sizeof(sz), size);
#define PROGRESS(what) \
	perf_progress("idd-perf: case %u/%u %s: %s %s %s: %s", env->case_no, env->nb_cases, \
		      c->name, perf_dir_names[c->dir], perf_engine_names[c->engine], sz, what)
		PROGRESS("check");
		for (unsigned int l = 0; l < nl && ret == 0; l++)
			ret = verify_lane(c, &lanes[l], size, i + l + 1);
		if (ret != 0)
			return ret;
		PROGRESS("throughput");
		/* A short warm-up first: caches, the worker's first wake-up. */
		ret = perf_measure_dma(lanes, nl, size, c->burst, c->kick,
				       c->duration / 5 < 0.1 ? c->duration / 5 : 0.1,
				       PERF_IDLE_SPIN, &rate);
		if (ret == 0)
			ret = perf_measure_dma(lanes, nl, size, c->burst, c->kick, c->duration,
					       PERF_IDLE_SPIN, &rate);
		if (ret != 0)
			return perf_case_fail(c, "throughput", ret);
		PROGRESS("latency");
		ret = perf_measure_latency(&lanes[0], size, c->duration / 2, &p50, &p99);
		if (ret != 0)
			return perf_case_fail(c, "latency", ret);
		PROGRESS("memcpy");
		if ((ret = memcpy_ref(c, size, span, &mc)) != 0)
			return ret;
		/* Local copies have no pvm figure: no phase to show. */
		if (reachable && c->dir != PERF_DIR_LOCAL)
			PROGRESS("process_vm");
		if (reachable && (ret = pvm_ref(c, lanes, nl, size, span, &pv)) != 0)
			return ret;
#undef PROGRESS

		perf_row_init(&row);
		snprintf(row.name, sizeof(row.name), "%s", c->name);
		snprintf(row.type, sizeof(row.type), "%s", c->type->name);
		snprintf(row.direction, sizeof(row.direction), "%s", perf_dir_names[c->dir]);
		snprintf(row.engine, sizeof(row.engine), "%s", perf_engine_names[c->engine]);
		row.size = size;
		row.burst = perf_burst_for(size, c->burst);
		row.kick = c->kick < row.burst ? c->kick : row.burst;
		row.ring = c->ring;
		row.peers = c->dir == PERF_DIR_LOCAL ? 0 : nl;
		row.footprint = c->footprint;
		row.ops = rate.ops;
		row.gbps = rate.gbps;
		row.mops = rate.mops;
		row.lat_p50_ns = p50;
		row.lat_p99_ns = p99;
		row.memcpy_gbps = mc;
		row.vs_memcpy = mc > 0 ? rate.gbps / mc : NAN;
		row.pvm_gbps = pv;
		row.vs_pvm = pv > 0 ? rate.gbps / pv : NAN;
		if (perf_report_add(&row) != 0)
			return perf_case_fail(c, "results", -ENOMEM);
	}
	return 0;
}

static int
copy_run(const struct perf_case *c, struct perf_env *env)
{
	struct engine_dev *d = &devs[c->engine];
	struct perf_lane lanes[PERF_MAX_PEERS];
	unsigned int nl = copy_lanes(c);
	int ret;

	if ((ret = ensure_local(c, half_of(c))) != 0)
		return ret;
	/* One device at a time: an idle worker thread must not compete with
	 * the inline engine's cases (a new group costs a millisecond). */
	for (unsigned int e = 0; e < PERF_NB_ENGINES; e++)
		if (e != (unsigned int)c->engine)
			dev_close(&devs[e]);
	if (d->dev < 0 && (ret = dev_open(c, env, d)) != 0)
		return ret;
	if ((ret = setup_lanes(c, env, d, lanes, nl)) != 0)
		return ret;
	for (unsigned int l = 0; l < nl; l++)
		lanes[l].span = c->footprint / 2;
	return perf_copy_measure(c, env, lanes, nl);
}

const struct perf_case_type perf_case_copy = {
	.name = "copy",
	.summary = "copies through sw devices: bandwidth, rate, latency, next to memcpy and "
		   "process_vm_writev/readv",
	.keys = PERF_KEY_DIRECTION | PERF_KEY_ENGINE | PERF_KEY_SIZES | PERF_KEY_BURST |
		PERF_KEY_KICK | PERF_KEY_RING | PERF_KEY_PEERS | PERF_KEY_DURATION |
		PERF_KEY_FOOTPRINT,
	.set_key = NULL,
	.check = copy_check,
	.peers_needed = copy_peers_needed,
	.peer_window = copy_peer_window,
	.run = copy_run,
	.cleanup = copy_cleanup,
};
