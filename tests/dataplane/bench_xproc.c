/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inter-process copies with a real peer process: a benchmark, not a test
 * (meson benchmark(); run `meson test -C BUILD --benchmark --suite
 * dataplane -v`, or the program itself: bench_xproc [--repeat N]
 * [--duration S] [--quick] [--only 64|4k|big|lat|inline|thread];
 * bench_xproc --help says what each option does).
 *
 * This process creates a group, a peer process (an agent of dp_harness)
 * joins it and offers its windows; we copy into the peer (local -> remote)
 * and out of it (remote -> local) through sw vchans, with each engine:
 *   - 64 B copies in bursts of 32;
 *   - 4 KiB copies, next to process_vm_writev() between the same two
 *     processes, batched (one call per 32 copies);
 *   - 1 MiB and 16 MiB copies, next to memcpy() inside this process, both
 *     between buffers of our own and into the very pages idd's copies
 *     write (the peer's window as mapped here): where a buffer's physical
 *     pages fall moves a memory-bound copy by 10 to 20 per cent, so only
 *     the second says what idd itself costs;
 *   - one 64 B copy from enqueue to its completion seen here (latency).
 * Buffers either stay in cache (the same source and destination every
 * time) or rotate through 256 MiB (half sources, half destinations), so
 * that every copy misses the cache. Each figure is the best of --repeat
 * runs (default 3): the machine is shared, the best run is the least
 * disturbed one. An ordinary local vchan of the same device is measured
 * alongside, to show what crossing into another process costs. Under the
 * thread engine's 64 B rows, the round trip of a cache line between the
 * caller's CPU and the worker's, before and after them: those rows depend
 * on it more than on anything idd does.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_log.h>
#include <idd/idd_mem.h>

#include "dp_harness.h"
#include "../lib/clock.h"
#include "core_distance.h"
#include "group/group.h"
#include "mem/rcu.h"
#include "mem/window_table.h"

#define MIB (1024ull * 1024)
#define WSET (256 * MIB)
#define BURST 32

static double duration = 0.3;
static int repeat = 3;
static const char *only; /* --only 64|4k|big|lat|inline|thread: one group of cases */

static bool
want(const char *what)
{
	return only == NULL || strcmp(only, what) == 0;
}

/* CPU time of this thread in ns (perf_event_open task clock), -1 if not
 * available. Unlike wall-clock rates it leaves out the time other jobs on
 * the machine took the CPU, so time per copy on the CPU varies much less
 * from run to run and shows what the code costs. (Hardware cycle counters
 * are often missing in VMs; the task clock is a software counter.) */
static int cycles_fd = -1;

static void
cycles_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	cycles_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static double
cycles_now(void)
{
	uint64_t v;

	if (cycles_fd < 0 || read(cycles_fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -1;
	return (double)v;
}

/* CPU ns per copy of the last rate_dma() run on this thread (inline engine
 * only: the thread engine copies on its worker). */
static double last_cpo = -1;

static void
die(const char *what, int err)
{
	fprintf(stderr, "bench_xproc: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Where a run's copies go: [src, src + span) and [dst, dst + span), walked
 * in steps of the copy size (cached: span == size, the same place). */
struct region {
	uint64_t src, dst, span;
};

/* Copies of @size per second through vchan @v, bursts of @burst. The
 * inline engine copies in submit; the thread engine's ring is kept full,
 * and what it completes between the two clock readings is what counts. */
static double
rate_dma(int16_t dev, uint16_t v, bool thread, const struct region *r, uint32_t size,
	 unsigned int burst)
{
	uint64_t span = r->span > size ? r->span / size * size : size;
	uint64_t off = 0, done = 0, pos = 0;
	unsigned int iter = 0;
	double t0, t1, deadline;
	uint16_t last;
	bool err = false;

	double c0 = cycles_now();

	t0 = mono_s();
	deadline = t0 + duration;
	for (;;) {
		/* Inline: one burst, copied in submit. Thread: top the ring up,
		 * with at most 64 MiB in flight: the worker publishes
		 * completions per batch of up to 64 operations, and a ring full
		 * of 16 MiB copies would report in steps of a second. */
		while (!thread || (idd_dma_burst_capacity(dev, v) >= burst &&
				   (pos - done) * size < (64u << 20))) {
			for (unsigned int i = 0; i < burst; i++) {
				if (idd_dma_copy(dev, v, r->src + off, r->dst + off, size, 0) < 0)
					die("copy", EIO);
				off += size;
				if (off == span)
					off = 0;
			}
			pos += burst;
			idd_dma_submit(dev, v);
			if (!thread)
				break;
		}
		done += idd_dma_completed(dev, v, UINT16_MAX, &last, &err);
		if (err)
			die("a copy failed", EIO);
		if (++iter % 16 == 0 && mono_s() >= deadline)
			break;
	}
	t1 = mono_s();
	last_cpo = c0 >= 0 && !thread ? (cycles_now() - c0) / (double)done : -1;
	/* Drain what the worker still holds, uncounted. */
	for (uint64_t left = pos - done; left != 0;) {
		uint16_t n = idd_dma_completed(dev, v, UINT16_MAX, &last, &err);

		left -= n;
	}
	return (double)done / (t1 - t0);
}

/* process_vm_writev with 32 iovecs a call, the same walk. */
static double
rate_pvw(pid_t peer, const struct region *r, uint32_t size)
{
	uint64_t steps = r->span / size, pos = 0;
	struct iovec lv[BURST], rv[BURST];
	double t0 = mono_s(), deadline = t0 + duration;
	uint64_t ops = 0;

	if (steps == 0)
		steps = 1;
	do {
		for (int i = 0; i < BURST; i++) {
			uint64_t off = (pos % steps) * size;

			pos++;
			lv[i].iov_base = (void *)(uintptr_t)(r->src + off);
			lv[i].iov_len = size;
			rv[i].iov_base = (void *)(uintptr_t)(r->dst + off);
			rv[i].iov_len = size;
		}
		if (process_vm_writev(peer, lv, BURST, rv, BURST, 0) != (ssize_t)size * BURST)
			die("process_vm_writev", errno);
		ops += BURST;
	} while ((ops & 1023) != 0 || mono_s() < deadline);
	return (double)ops / (mono_s() - t0);
}

static double
rate_memcpy(const struct region *r, uint32_t size)
{
	uint64_t steps = r->span / size, pos = 0, ops = 0;
	double t0 = mono_s(), deadline = t0 + duration;

	if (steps == 0)
		steps = 1;
	do {
		uint64_t off = (pos++ % steps) * size;

		memcpy((void *)(uintptr_t)(r->dst + off), (const void *)(uintptr_t)(r->src + off),
		       size);
		/* Keep the compiler from folding the copies. */
		__asm__ volatile("" ::: "memory");
		ops++;
	} while ((ops & 15) != 0 || mono_s() < deadline);
	return (double)ops / (mono_s() - t0);
}

/* Median time (ns) of one 64 B copy from enqueue to completion, inline
 * engine: batches of single copies, each waited for before the next. */
static double
latency_ns(int16_t dev, uint16_t v, const struct region *r)
{
	enum { BATCHES = 15, PER = 20000 };
	double t[BATCHES];
	uint64_t span = r->span > 64 ? r->span / 64 * 64 : 64, off = 0;

	for (int b = 0; b < BATCHES; b++) {
		double t0 = mono_s();

		for (int i = 0; i < PER; i++, off = off + 64 == span ? 0 : off + 64) {
			uint16_t last;

			if (idd_dma_copy(dev, v, r->src + off, r->dst + off, 64,
					 IDD_DMA_OP_FLAG_SUBMIT) < 0)
				die("copy", EIO);
			while (idd_dma_completed(dev, v, 1, &last, NULL) == 0)
				;
		}
		t[b] = (mono_s() - t0) * 1e9 / PER;
	}
	for (int i = 1; i < BATCHES; i++)
		for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[BATCHES / 2];
}

static double
best(double a, double b)
{
	return a > b ? a : b;
}

/* One row of byte rates: @cached and @rotating are copies of @size bytes
 * per second. */
static void
print_gbs(const char *label, uint32_t size, double cached, double rotating)
{
	printf("  %-34s %8.2f GB/s %8.2f GB/s\n", label, cached * size / 1e9,
	       rotating * size / 1e9);
}

/* The same for a large size, labelled "<size> MiB <what>". */
static void
print_gbs_mib(uint32_t size, const char *what, double cached, double rotating)
{
	char label[64];

	snprintf(label, sizeof(label), "%u MiB %s", size >> 20, what);
	print_gbs(label, size, cached, rotating);
}

/* Where the peer's window [@addr, @addr + @len) is mapped in this process,
 * through device @dev's handler @h (internal API: a benchmark may look). The
 * handler's reference is kept until exit, and the peer stays, so the
 * mapping does too. */
static uint8_t *
peer_pages(int16_t dev, uint16_t h, uint64_t addr, uint64_t len)
{
	struct mem_wt *space = NULL;
	struct mem_wt_cache cache;
	uint8_t *p;

	if (group_handler_acquire(dev, h, &space) != 0 || space == NULL)
		die("peer's window table", EINVAL);
	mem_wt_cache_init(&cache);
	mem_rcu_read_lock();
	p = mem_wt_translate(space, &cache, addr, len, MEM_ACCESS_WRITE);
	mem_rcu_read_unlock();
	if (p == NULL)
		die("peer's window as mapped here", EFAULT);
	return p;
}

struct setup {
	struct dp_proc peer;
	uint16_t h_self, h_peer;
	uint64_t peer_small, peer_big; /* peer's windows: 64 MiB, 128 MiB */
	uint8_t *loc_small, *loc_big;  /* ours (private): 128 MiB each */
};

/* A device with three vchans: into the peer, out of the peer, local. Its
 * own group (handlers are per device), which the peer joins as domain
 * @peer_dom. */
static int16_t
make_dev(const char *name, const char *args, struct setup *s, unsigned int self_dom,
	 unsigned int peer_dom, int16_t *gid)
{
	struct idd_dma_conf conf = {.nb_vchans = 3};
	struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = 1024};
	unsigned char me[16], peer[16], tok[16];
	int dev = idd_dma_dev_create(name, args);
	int ret;

	if (dev < 0)
		die("dev create", dev);
	if ((ret = idd_dma_configure((int16_t)dev, &conf)) != 0)
		die("configure", ret);
	dp_uuid(self_dom, me);
	dp_uuid(peer_dom, peer);
	dp_uuid(99, tok);
	if ((ret = idd_dma_access_pair_group_create((int16_t)dev, me, tok, gid, NULL)) != 0)
		die("group create", ret);
	if (dp_cmd(&s->peer, "join %d %s %s", *gid, dp_hex(peer_dom), dp_hex(99)) != 0)
		die("peer join", EIO);
	if ((ret = idd_dma_access_pair_group_handler_get((int16_t)dev, *gid, me, &s->h_self)) != 0 ||
	    (ret = idd_dma_access_pair_group_handler_get((int16_t)dev, *gid, peer, &s->h_peer)) != 0)
		die("handler get", ret);
	vc.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
	vc.domain.src_handler = s->h_self;
	vc.domain.dst_handler = s->h_peer;
	if ((ret = idd_dma_vchan_setup((int16_t)dev, 0, &vc)) != 0)
		die("vchan 0 setup", ret);
	vc.domain.src_handler = s->h_peer;
	vc.domain.dst_handler = s->h_self;
	if ((ret = idd_dma_vchan_setup((int16_t)dev, 1, &vc)) != 0)
		die("vchan 1 setup", ret);
	memset(&vc.domain, 0, sizeof(vc.domain));
	if ((ret = idd_dma_vchan_setup((int16_t)dev, 2, &vc)) != 0)
		die("vchan 2 setup", ret);
	if ((ret = idd_dma_start((int16_t)dev)) != 0)
		die("start", ret);
	return (int16_t)dev;
}

static void
usage(FILE *to)
{
	fprintf(to,
		"usage: bench_xproc [--repeat N] [--duration S] [--quick]\n"
		"                   [--only 64|4k|big|lat|inline|thread]\n"
		"Copies between this process and a peer process through idd's sw engines,\n"
		"next to process_vm_writev() and memcpy(); see the comment at the top of\n"
		"tests/dataplane/bench_xproc.c for what each case measures.\n"
		"  --repeat N     runs per case, the best one counts (1-100; default 3)\n"
		"  --duration S   seconds per run (0.01-60; default 0.3)\n"
		"  --quick        one short run per case (a smoke test)\n"
		"  --only GROUP   only the 64 B, 4 KiB, large-copy or latency cases,\n"
		"                 or only one engine\n"
		"  --help         this text\n");
}

static void
bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "bench_xproc: %s '%s' (bench_xproc --help lists the options)\n", what, arg);
	exit(2);
}

/* The value of option @argv[*i], which must exist. */
static const char *
option_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		bad_usage("missing value for", argv[*i]);
	return argv[++*i];
}

static void
parse_args(int argc, char **argv, bool *quick)
{
	static const char *const groups[] = {"64", "4k", "big", "lat", "inline", "thread"};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		char *end;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--quick") == 0) {
			*quick = true;
		} else if (strcmp(a, "--repeat") == 0) {
			v = option_value(argc, argv, &i);
			errno = 0;
			long n = strtol(v, &end, 10);

			if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 100)
				bad_usage("--repeat takes a whole number from 1 to 100, not", v);
			repeat = (int)n;
		} else if (strcmp(a, "--duration") == 0) {
			v = option_value(argc, argv, &i);
			errno = 0;
			duration = strtod(v, &end);
			if (errno != 0 || end == v || *end != '\0' || !(duration >= 0.01) ||
			    duration > 60)
				bad_usage("--duration takes seconds from 0.01 to 60, not", v);
		} else if (strcmp(a, "--only") == 0) {
			v = option_value(argc, argv, &i);
			only = NULL;
			for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
				if (strcmp(v, groups[g]) == 0)
					only = groups[g];
			if (only == NULL)
				bad_usage("--only takes 64, 4k, big, lat, inline or thread, not", v);
		} else {
			bad_usage("unknown argument", a);
		}
	}
}

/* The page sizes behind the rotating buffers: with huge pages reserved
 * (/proc/sys/vm/nr_hugepages) a walk through 256 MiB takes far fewer TLB
 * misses, which moves the rotating large-copy figures. */
static void
print_pages(struct setup *st)
{
	struct idd_mem_window_info wi;
	size_t here = idd_mem_window_get(st->loc_big, &wi) == 0 ? wi.page_size : 0;

	if (dp_cmd(&st->peer, "wininfo %llu", (unsigned long long)st->peer_big) != 0)
		die("peer wininfo", EIO);
	printf("pages: %zu KiB here, %llu KiB in the peer's windows%s\n", here >> 10,
	       (unsigned long long)(st->peer.val[3] >> 10),
	       here == (size_t)sysconf(_SC_PAGESIZE) ? " (no huge pages available)" : "");
}

int
main(int argc, char **argv)
{
	static const uint32_t big_sizes[] = {1 << 20, 16 << 20};
	char args[64];
	struct setup s;
	bool quick = false;
	cpu_set_t cpus;
	int ret;

	/* The peer is this program again, started as "bench_xproc agent". */
	if (argc < 2 || strcmp(argv[1], "agent") != 0)
		parse_args(argc, argv, &quick);
	ret = dp_main(argc, argv);
	if (ret >= 0)
		return ret;
	if (quick) {
		repeat = 1;
		duration = 0.05;
	}
	cycles_open();
	/* Caller on the first CPU, worker on the second (as idd-perf does). */
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	int c0 = -1, c1 = -1;

	for (int c = 0; c < CPU_SETSIZE && c1 < 0; c++)
		if (CPU_ISSET(c, &cpus)) {
			if (c0 < 0)
				c0 = c;
			else
				c1 = c;
		}

	/* The peer: its windows exist before it joins, so they arrive with
	 * the join. */
	dp_spawn(&s.peer);
	if (dp_cmd(&s.peer, "dev inline 1") != 0 || dp_cmd(&s.peer, "alloc %llu 3", 64 * MIB) != 0)
		die("peer setup", EIO);
	s.peer_small = s.peer.val[0];
	if (dp_cmd(&s.peer, "alloc %llu 3", WSET / 2) != 0)
		die("peer window", ENOMEM);
	s.peer_big = s.peer.val[0];
	dp_cmd(&s.peer, "set %llu %llu 1", (unsigned long long)s.peer_big, WSET / 2);
	dp_cmd(&s.peer, "set %llu %llu 2", (unsigned long long)s.peer_small, 64 * MIB);
	s.loc_small = idd_mem_alloc(WSET / 2, 0);
	s.loc_big = idd_mem_alloc(WSET / 2, 0);
	if (s.loc_small == NULL || s.loc_big == NULL)
		die("alloc", ENOMEM);
	memset(s.loc_small, 3, WSET / 2);
	memset(s.loc_big, 4, WSET / 2);

	printf("bench_xproc: idd %s, peer pid %d, best of %d runs of %.2f s per case\n",
	       idd_version(), (int)s.peer.pid, repeat, duration);
	printf("caller on cpu %d, thread engine worker on cpu %d; rotating working set %llu MiB\n",
	       c0, c1, (unsigned long long)(WSET / MIB));
	print_pages(&s);
	if (c0 >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(c0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}

	for (int e = 0; e < 2; e++) {
		bool thread = e == 1;
		int16_t dev, gid = -1;

		if (thread && c1 >= 0)
			snprintf(args, sizeof(args), "engine=thread,cpu=%d", c1);
		else
			snprintf(args, sizeof(args), "engine=%s", thread ? "thread" : "inline");
		dev = make_dev(thread ? "bench-thread" : "bench-inline", args, &s, 10 + (unsigned)e,
			       20 + (unsigned)e, &gid);

		const char *eng = thread ? "thread" : "inline";
		struct region c_in = {(uintptr_t)s.loc_small, s.peer_small, 0};
		struct region c_out = {s.peer_small, (uintptr_t)s.loc_small, 0};
		struct region c_loc = {(uintptr_t)s.loc_small, (uintptr_t)s.loc_small + 64 * MIB, 0};
		struct region r_in = {(uintptr_t)s.loc_big, s.peer_big, WSET / 2};
		struct region r_out = {s.peer_big, (uintptr_t)s.loc_big, WSET / 2};
		struct region r_loc = {(uintptr_t)s.loc_big, (uintptr_t)s.loc_small, WSET / 2};

		printf("\n%s engine\n", eng);
		printf("  %-34s %12s %12s\n", "case", "cached", "rotating");
		/* 64 B, bursts of 32. */
		if (want("64") || want(eng)) {
			double in_c = 0, in_r = 0, out_c = 0, out_r = 0, l_c = 0, l_r = 0;
			double cy[6] = {1e18, 1e18, 1e18, 1e18, 1e18, 1e18};
			/* The thread engine's small copies depend on this more
			 * than on anything else (doc/guide.md, chapter 9). */
			double trip0 = thread ? core_round_trip_ns(c0, c1) : -1, trip1;

			c_in.span = c_out.span = c_loc.span = 64;
#define RUN64(var, k, ...) \
	do { \
		var = best(var, rate_dma(__VA_ARGS__)); \
		if (last_cpo >= 0 && last_cpo < cy[k]) \
			cy[k] = last_cpo; \
	} while (0)
			for (int k = 0; k < repeat; k++) {
				RUN64(in_c, 0, dev, 0, thread, &c_in, 64, BURST);
				RUN64(in_r, 1, dev, 0, thread, &r_in, 64, BURST);
				RUN64(out_c, 2, dev, 1, thread, &c_out, 64, BURST);
				RUN64(out_r, 3, dev, 1, thread, &r_out, 64, BURST);
				RUN64(l_c, 4, dev, 2, thread, &c_loc, 64, BURST);
				RUN64(l_r, 5, dev, 2, thread, &r_loc, 64, BURST);
			}
#undef RUN64
			printf("  %-34s %9.1f M/s %9.1f M/s\n", "64 B into peer, burst 32", in_c / 1e6,
			       in_r / 1e6);
			printf("  %-34s %9.1f M/s %9.1f M/s\n", "64 B out of peer, burst 32",
			       out_c / 1e6, out_r / 1e6);
			printf("  %-34s %9.1f M/s %9.1f M/s\n", "64 B local vchan (reference)",
			       l_c / 1e6, l_r / 1e6);
			trip1 = thread ? core_round_trip_ns(c0, c1) : -1;
			if (trip0 >= 0 && trip1 >= 0)
				printf("    cache line round trip, cpu %d to %d and back: %.0f ns before "
				       "these rows, %.0f ns after\n",
				       c0, c1, trip0, trip1);
			if (!thread && cy[0] < 1e17)
				printf("  %-34s %6.2f/%.2f/%.2f %5.2f/%.2f/%.2f\n",
				       "  CPU ns/copy: into/out/local", cy[0], cy[2], cy[4], cy[1],
				       cy[3], cy[5]);
		}
		/* 4 KiB, against process_vm_writev. */
		if (want("4k") || want(eng)) {
			double in_c = 0, in_r = 0, out_c = 0, out_r = 0, p_c = 0, p_r = 0;

			c_in.span = c_out.span = 4096;
			for (int k = 0; k < repeat; k++) {
				in_c = best(in_c, rate_dma(dev, 0, thread, &c_in, 4096, BURST));
				in_r = best(in_r, rate_dma(dev, 0, thread, &r_in, 4096, BURST));
				out_c = best(out_c, rate_dma(dev, 1, thread, &c_out, 4096, BURST));
				out_r = best(out_r, rate_dma(dev, 1, thread, &r_out, 4096, BURST));
				if (!thread) {
					p_c = best(p_c, rate_pvw(s.peer.pid, &c_in, 4096));
					p_r = best(p_r, rate_pvw(s.peer.pid, &r_in, 4096));
				}
			}
			print_gbs("4 KiB into peer, burst 32", 4096, in_c, in_r);
			print_gbs("4 KiB out of peer, burst 32", 4096, out_c, out_r);
			if (!thread) {
				print_gbs("4 KiB process_vm_writev x32/call", 4096, p_c, p_r);
				printf("  %-34s %11.1fx %11.1fx\n", "  idd into peer / process_vm_writev",
				       in_c / p_c, in_r / p_r);
			}
		}
		/* Large copies against memcpy in this process. */
		for (size_t i = 0; (want("big") || want(eng)) && i < sizeof(big_sizes) / sizeof(big_sizes[0]);
		     i++) {
			uint32_t sz = big_sizes[i];
			double in_c = 0, in_r = 0, out_c = 0, out_r = 0, m_c = 0, m_r = 0;
			double pi_c = 0, pi_r = 0, po_c = 0, po_r = 0;
			unsigned int b = sz >= (16u << 20) ? 2 : 8;
			/* The same walks as idd's, by memcpy over the same pages. */
			uint8_t *small_here = peer_pages(dev, s.h_peer, s.peer_small, 64 * MIB);
			uint8_t *big_here = peer_pages(dev, s.h_peer, s.peer_big, WSET / 2);
			struct region c_pin = {(uintptr_t)s.loc_small, (uintptr_t)small_here, sz};
			struct region c_pout = {(uintptr_t)small_here, (uintptr_t)s.loc_small, sz};
			struct region r_pin = {(uintptr_t)s.loc_big, (uintptr_t)big_here, WSET / 2};
			struct region r_pout = {(uintptr_t)big_here, (uintptr_t)s.loc_big, WSET / 2};

			c_in.span = c_out.span = c_loc.span = sz;
			for (int k = 0; k < repeat; k++) {
				in_c = best(in_c, rate_dma(dev, 0, thread, &c_in, sz, b));
				in_r = best(in_r, rate_dma(dev, 0, thread, &r_in, sz, b));
				out_c = best(out_c, rate_dma(dev, 1, thread, &c_out, sz, b));
				out_r = best(out_r, rate_dma(dev, 1, thread, &r_out, sz, b));
				m_c = best(m_c, rate_memcpy(&c_loc, sz));
				m_r = best(m_r, rate_memcpy(&r_loc, sz));
				pi_c = best(pi_c, rate_memcpy(&c_pin, sz));
				pi_r = best(pi_r, rate_memcpy(&r_pin, sz));
				po_c = best(po_c, rate_memcpy(&c_pout, sz));
				po_r = best(po_r, rate_memcpy(&r_pout, sz));
			}
			print_gbs_mib(sz, "into peer", in_c, in_r);
			print_gbs_mib(sz, "out of peer", out_c, out_r);
			print_gbs_mib(sz, "memcpy, own buffers", m_c, m_r);
			print_gbs_mib(sz, "memcpy into peer's pages", pi_c, pi_r);
			print_gbs_mib(sz, "memcpy out of them", po_c, po_r);
			printf("  %-34s %12.2f %12.2f\n", "  into peer / memcpy, own buffers",
			       in_c / m_c, in_r / m_r);
			printf("  %-34s %12.2f %12.2f\n", "  into peer / memcpy, same pages",
			       in_c / pi_c, in_r / pi_r);
			printf("  %-34s %12.2f %12.2f\n", "  out of peer / memcpy, same pages",
			       out_c / po_c, out_r / po_r);
		}
		if (!thread && (want("lat") || want(eng))) {
			double lc = 1e9, lr = 1e9, ll = 1e9;

			c_in.span = 64;
			for (int k = 0; k < repeat; k++) {
				double x = latency_ns(dev, 0, &c_in), y = latency_ns(dev, 0, &r_in);
				double z = latency_ns(dev, 2, &c_loc);

				lc = x < lc ? x : lc;
				lr = y < lr ? y : lr;
				ll = z < ll ? z : ll;
			}
			printf("  %-34s %10.0f ns %10.0f ns\n", "64 B latency into peer (median)", lc,
			       lr);
			printf("  %-34s %10.0f ns\n", "64 B latency, local vchan", ll);
		}
		idd_dma_stop(dev);
		dp_cmd(&s.peer, "leave %d", gid);
		idd_dma_access_pair_group_destroy(dev, gid);
		idd_dma_close(dev);
	}
	dp_exit(&s.peer);
	idd_mem_free(s.loc_small);
	idd_mem_free(s.loc_big);
	return 0;
}
