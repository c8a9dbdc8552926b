/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measuring loops of idd-perf (see perf_measure.h). They look at the
 * clock every few bursts, not every copy, and never allocate inside the
 * timed part.
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>

#include "perf_case.h"
#include "perf_measure.h"
#include "perf_peers.h"
#include "perf_report.h"

/* How long an engine may make no progress before the case fails. */
#define STALL_SECONDS 10.0
/* At most this many latency samples per measurement. */
#define MAX_SAMPLES (1u << 20)
#define MIN_SAMPLES 16
/* process_vm_*: iovecs per call (the kernel's IOV_MAX). */
#define PVM_MAX_IOV 1024

/* Through a volatile pointer so that the compiler calls the library's
 * memcpy as an application would, rather than reasoning about the loop. */
static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

double
perf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned int
perf_burst_for(uint32_t size, unsigned int burst)
{
	uint64_t most = PERF_BURST_BYTES / size;

	if (most == 0)
		most = 1;
	return burst < most ? burst : (unsigned int)most;
}

/* The walk's end: a whole number of copies inside the span, at least one. */
static uint64_t
walk_end(uint64_t span, uint32_t size)
{
	return span >= size ? span / size * size : size;
}

/* Copies between two looks at the clock: about 1 MiB, 1..4096. */
static uint64_t
check_every(uint32_t size)
{
	uint64_t n = (UINT64_C(1) << 20) / size;

	return n == 0 ? 1 : n > 4096 ? 4096 : n;
}

static void
fill_rate(struct perf_rate *out, uint64_t ops, double secs, uint32_t size)
{
	out->ops = ops;
	out->secs = secs;
	out->mops = secs > 0 ? (double)ops / secs / 1e6 : 0;
	out->gbps = secs > 0 ? (double)ops * size / secs / 1e9 : 0;
}

struct lane_state {
	uint64_t off, end;
	uint64_t pos, done; /* copies enqueued, completed */
};

const char *
perf_status_name(enum idd_dma_status_code st)
{
	static const char *const names[] = {
		"successful", "user abort", "not attempted", "invalid source address",
		"invalid destination address", "invalid address", "invalid length",
		"invalid opcode", "bus read error", "bus write error", "bus error",
		"data poisoned", "descriptor read error", "link error", "page fault",
	};

	return (unsigned int)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown error";
}

/* Whether process @pid has died (a zombie not yet reaped counts). */
static bool
pid_gone(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	char *rp;
	bool gone = false;

	if (pid == 0)
		return false;
	if (kill(pid, 0) != 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL && (rp = strrchr(buf, ')')) != NULL)
		gone = rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
	fclose(f);
	return gone;
}

/* Say why a copy on @ln failed (idd_dma_completed() stopped at it). */
static void
report_failure(const struct perf_lane *ln)
{
	enum idd_dma_status_code st = IDD_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last;
	bool gone;

	if (idd_dma_completed_status(ln->dev, ln->vchan, 1, &last, &st) != 1)
		st = IDD_DMA_STATUS_ERROR_UNKNOWN;
	/* A dying peer closes its sockets, which removes its windows and
	 * fails the copy, a moment before the kernel marks it a zombie: give
	 * it a second to get there before saying why. */
	gone = pid_gone(ln->src_pid) || pid_gone(ln->dst_pid);
	for (int i = 0; i < 100 && !gone &&
			(st == IDD_DMA_STATUS_INVALID_SRC_ADDR || st == IDD_DMA_STATUS_INVALID_DST_ADDR);
	     i++) {
		usleep(10000);
		gone = pid_gone(ln->src_pid) || pid_gone(ln->dst_pid);
	}
	perf_progress_clear();
	fprintf(stderr, "idd-perf: a copy on vchan %u failed: %s%s\n", ln->vchan,
		perf_status_name(st), gone ? " (a peer process has died)" : "");
}

/* Collect what finished on every lane; -EIO if a copy failed. */
static int
collect(const struct perf_lane *lanes, struct lane_state *st, unsigned int n, uint64_t *total)
{
	for (unsigned int l = 0; l < n; l++) {
		uint16_t last;
		bool err = false;
		uint16_t got = idd_dma_completed(lanes[l].dev, lanes[l].vchan, UINT16_MAX, &last, &err);

		st[l].done += got;
		*total += got;
		if (err) {
			report_failure(&lanes[l]);
			return -EIO;
		}
	}
	return 0;
}

/* One burst on a lane, submitted every @kick copies and at its end. */
static inline int
enqueue_burst(const struct perf_lane *ln, struct lane_state *s, uint32_t size, unsigned int burst,
	      unsigned int kick)
{
	for (unsigned int i = 0; i < burst; i++) {
		if (idd_dma_copy(ln->dev, ln->vchan, ln->src + s->off, ln->dst + s->off, size, 0) <
		    0) {
			fprintf(stderr, "idd-perf: enqueue refused on vchan %u\n", ln->vchan);
			return -EIO;
		}
		s->off += size;
		if (s->off >= s->end)
			s->off = 0;
		if ((i + 1) % kick == 0 || i + 1 == burst)
			idd_dma_submit(ln->dev, ln->vchan);
	}
	s->pos += burst;
	return 0;
}

int
perf_measure_dma(const struct perf_lane *lanes, unsigned int nb_lanes, uint32_t size,
		 unsigned int burst, unsigned int kick, double secs, enum perf_idle idle,
		 struct perf_rate *out)
{
	struct lane_state st[PERF_MAX_PEERS];
	uint64_t in_flight_max, total = 0, seen = 0, counted;
	double t0, t1, deadline, progress_at;
	unsigned int iter = 0;
	int ret = 0;

	if (nb_lanes == 0 || nb_lanes > PERF_MAX_PEERS)
		return -EINVAL;
	burst = perf_burst_for(size, burst);
	if (kick == 0 || kick > burst)
		kick = burst;
	in_flight_max = PERF_INFLIGHT_BYTES / nb_lanes / size;
	if (in_flight_max < burst)
		in_flight_max = burst;
	memset(st, 0, sizeof(st));
	for (unsigned int l = 0; l < nb_lanes; l++)
		st[l].end = walk_end(lanes[l].span, size);

	t0 = perf_now();
	deadline = t0 + secs;
	progress_at = t0;
	for (;;) {
		uint64_t before = total;
		bool enqueued = false;

		for (unsigned int l = 0; l < nb_lanes; l++) {
			const struct perf_lane *ln = &lanes[l];
			struct lane_state *s = &st[l];
			uint16_t cap = idd_dma_burst_capacity(ln->dev, ln->vchan);

			/* Top the ring up with whole bursts. */
			for (; cap >= burst && s->pos - s->done + burst <= in_flight_max;
			     cap = (uint16_t)(cap - burst)) {
				if (enqueue_burst(ln, s, size, burst, kick) != 0)
					return -EIO;
				enqueued = true;
			}
		}
		ret = collect(lanes, st, nb_lanes, &total);
		if (ret != 0)
			return ret;
		/* Nothing to do but wait for the engine: wait politely, so
		 * that the lines it writes are not pulled away each time,
		 * or give the CPU to the threads that move the data. */
		if (!enqueued && total == before) {
			if (idle == PERF_IDLE_YIELD)
				sched_yield();
			else
				perf_cpu_relax();
		}
		if ((++iter & 7) != 0)
			continue;
		t1 = perf_now();
		if (total != seen) {
			progress_at = t1;
			seen = total;
		}
		/* Past the deadline with nothing completed (a thread engine
		 * publishes its completions in batches): wait for some. */
		if (t1 >= deadline && total != 0)
			break;
		if (perf_stop_signal)
			return -EINTR;
		if (t1 - progress_at > STALL_SECONDS) {
			fprintf(stderr, "idd-perf: no copy completed for %.0f s\n", STALL_SECONDS);
			return -ETIMEDOUT;
		}
	}
	counted = total;
	/* Drain what the engine still holds, uncounted. */
	progress_at = perf_now();
	for (;;) {
		bool left = false;
		uint64_t before = total;

		for (unsigned int l = 0; l < nb_lanes; l++)
			left |= st[l].pos != st[l].done;
		if (!left)
			break;
		ret = collect(lanes, st, nb_lanes, &total);
		if (ret != 0)
			return ret;
		if (total != before)
			progress_at = perf_now();
		else if (perf_now() - progress_at > STALL_SECONDS)
			return -ETIMEDOUT;
	}
	fill_rate(out, counted, t1 - t0, size);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
perf_percentiles(double *v, size_t n, double *p50, double *p99)
{
	size_t i99;

	if (n == 0) {
		*p50 = *p99 = 0;
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	*p50 = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	/* The smallest value with at least 99 % of the samples at or below. */
	i99 = (n * 99 + 99) / 100;
	*p99 = v[(i99 == 0 ? 1 : i99) - 1];
}

int
perf_measure_latency(const struct perf_lane *lane, uint32_t size, double secs, double *p50,
		     double *p99)
{
	uint64_t end = walk_end(lane->span, size), off = 0;
	double *t = malloc(MAX_SAMPLES * sizeof(*t));
	double deadline, stall_at;
	size_t n = 0;
	int ret = 0;

	if (t == NULL)
		return -ENOMEM;
	deadline = perf_now() + secs;
	while (n < MAX_SAMPLES) {
		double t0 = perf_now(), t1;
		uint16_t last;
		bool err = false;

		if (idd_dma_copy(lane->dev, lane->vchan, lane->src + off, lane->dst + off, size,
				 IDD_DMA_OP_FLAG_SUBMIT) < 0) {
			fprintf(stderr, "idd-perf: enqueue refused on vchan %u\n", lane->vchan);
			ret = -EIO;
			break;
		}
		stall_at = t0 + STALL_SECONDS;
		while (idd_dma_completed(lane->dev, lane->vchan, 1, &last, &err) == 0)
			if (perf_cpu_relax(), perf_now() > stall_at) {
				ret = -ETIMEDOUT;
				break;
			}
		t1 = perf_now();
		if (ret != 0)
			break;
		if (err) {
			report_failure(lane);
			ret = -EIO;
			break;
		}
		t[n++] = (t1 - t0) * 1e9;
		off += size;
		if (off >= end)
			off = 0;
		if (perf_stop_signal) {
			ret = -EINTR;
			break;
		}
		if (t1 >= deadline && n >= MIN_SAMPLES)
			break;
	}
	if (ret == 0)
		perf_percentiles(t, n, p50, p99);
	free(t);
	return ret;
}

int
perf_measure_memcpy(const struct perf_lane *lane, uint32_t size, double secs,
		    struct perf_rate *out)
{
	uint64_t end = walk_end(lane->span, size), off = 0, ops = 0;
	uint64_t every = check_every(size);
	double t0 = perf_now(), t1, deadline = t0 + secs;

	for (;;) {
		memcpy_fn((void *)(uintptr_t)(lane->dst + off),
			  (const void *)(uintptr_t)(lane->src + off), size);
		off += size;
		if (off >= end)
			off = 0;
		if (++ops % every != 0)
			continue;
		t1 = perf_now();
		if (t1 >= deadline)
			break;
		if (perf_stop_signal)
			return -EINTR;
	}
	fill_rate(out, ops, t1 - t0, size);
	return 0;
}

int
perf_measure_pvm(const struct perf_lane *lanes, unsigned int nb_lanes, uint32_t size,
		 unsigned int burst, double secs, struct perf_rate *out)
{
	static struct iovec lv[PVM_MAX_IOV], rv[PVM_MAX_IOV], bv[PVM_MAX_IOV];
	uint64_t off[PERF_MAX_PEERS] = {0}, ops = 0;
	double t0, t1, deadline;
	unsigned int l = 0;

	if (nb_lanes == 0 || nb_lanes > PERF_MAX_PEERS)
		return -EINVAL;
	burst = perf_burst_for(size, burst);
	if (burst > PVM_MAX_IOV)
		burst = PVM_MAX_IOV;
	t0 = perf_now();
	deadline = t0 + secs;
	for (;;) {
		const struct perf_lane *ln = &lanes[l];
		uint64_t end = walk_end(ln->span, size);
		ssize_t want = (ssize_t)size * burst, got;

		for (unsigned int i = 0; i < burst; i++) {
			lv[i].iov_base = (void *)(uintptr_t)(ln->src + off[l]);
			lv[i].iov_len = size;
			rv[i].iov_base = (void *)(uintptr_t)(ln->dst + off[l]);
			rv[i].iov_len = size;
			bv[i].iov_base = (void *)(uintptr_t)(ln->bounce + off[l]);
			bv[i].iov_len = size;
			off[l] += size;
			if (off[l] >= end)
				off[l] = 0;
		}
		if (ln->src_pid != 0 && ln->dst_pid != 0) {
			got = process_vm_readv(ln->src_pid, bv, burst, lv, burst, 0);
			if (got == want)
				got = process_vm_writev(ln->dst_pid, bv, burst, rv, burst, 0);
		} else if (ln->dst_pid != 0) {
			got = process_vm_writev(ln->dst_pid, lv, burst, rv, burst, 0);
		} else if (ln->src_pid != 0) {
			/* The remote side is the source: lv names it. */
			got = process_vm_readv(ln->src_pid, rv, burst, lv, burst, 0);
		} else {
			return -EINVAL;
		}
		if (got != want)
			return got < 0 ? -errno : -EIO;
		ops += burst;
		l = l + 1 == nb_lanes ? 0 : l + 1;
		if (l != 0)
			continue;
		t1 = perf_now();
		if (t1 >= deadline)
			break;
		if (perf_stop_signal)
			return -EINTR;
	}
	fill_rate(out, ops, t1 - t0, size);
	return 0;
}
