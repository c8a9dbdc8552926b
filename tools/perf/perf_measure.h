/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_MEASURE_H
#define IDD_TOOLS_PERF_MEASURE_H

/*
 * The measuring loops, shared by every case type so that their figures
 * compare: DMA throughput over one or more lanes, single-op latency, and
 * the two references (memcpy in this process, process_vm_writev/readv
 * between processes). None of them checks data; the cases do that before
 * they measure.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <idd/idd_dmadev.h>

/* Bytes of one burst (large copies use fewer copies per burst) and bytes in
 * flight at most: a ring full of 16 MiB copies would report in steps of a
 * second and say nothing more. */
#define PERF_BURST_BYTES (UINT64_C(32) << 20)
#define PERF_INFLIGHT_BYTES (UINT64_C(64) << 20)

/* Where one stream of copies goes: a vchan of a started device, and the
 * regions its copies walk, [src, src + span) and [dst, dst + span), in
 * steps of the copy size (span <= size: always the same place). Addresses
 * are in the vchan's source and destination domains. */
struct perf_lane {
	int16_t dev;
	uint16_t vchan;
	uint64_t src, dst;
	uint64_t span;
	/* For process_vm_*: the processes that own src and dst (0: us), and
	 * a private bounce region of ours, span bytes, for a copy between two
	 * other processes. */
	pid_t src_pid, dst_pid;
	uint64_t bounce;
	/* The far side is in another OS: neither process_vm_* nor this
	 * process reaches it (no byte check, no process_vm figure). */
	bool unreachable;
};

/* What a throughput loop did. */
struct perf_rate {
	uint64_t ops;
	double secs;
	double mops; /* millions of copies per second */
	double gbps; /* 10^9 bytes per second */
};

/* Copies per burst for @size: @burst, fewer for large copies. */
unsigned int perf_burst_for(uint32_t size, unsigned int burst);

double perf_now(void);

/* A spin-wait hint for polling loops: lets a sibling hyperthread (or the
 * host, in a VM) have the core while we wait on memory. */
static inline void
perf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* What the measuring thread does when a round found nothing to enqueue and
 * nothing completed. */
enum perf_idle {
	/* Spin with a pause: the sw engines run on our core (inline) or on
	 * a core of their own (the pinned worker). */
	PERF_IDLE_SPIN,
	/* Give the CPU up (sched_yield()), as an application with other
	 * work would: the fabric driver's engine threads, ours and the
	 * target host's, move the data, and in namespaces on one machine
	 * they share its cores with us, which hosts of a real network do
	 * not. A spinning thread there halves what the engines get. */
	PERF_IDLE_YIELD,
};

/* Keep every lane's ring busy with bursts of @burst copies of @size (one
 * submit every @kick enqueues and at the end of each burst) for @secs
 * seconds, waiting as @idle says; count what completed. 0, -EIO if a copy
 * failed, -EINTR if stopped by a signal, -ETIMEDOUT if the engine stalled. */
int perf_measure_dma(const struct perf_lane *lanes, unsigned int nb_lanes, uint32_t size,
		     unsigned int burst, unsigned int kick, double secs, enum perf_idle idle,
		     struct perf_rate *out);

/* Enqueue-to-completion time of single copies of @size on @lane (each
 * submitted alone, waited for before the next) for about @secs seconds:
 * median and 99th percentile in ns. 0 or -errno as above. */
int perf_measure_latency(const struct perf_lane *lane, uint32_t size, double secs, double *p50,
			 double *p99);

/* memcpy() in this process, same walk (lane addresses must be ours). */
int perf_measure_memcpy(const struct perf_lane *lane, uint32_t size, double secs,
			struct perf_rate *out);

/* process_vm_writev (dst in another process), process_vm_readv (src in
 * another process) or both through the bounce region (src and dst in two
 * other processes): one call per burst of copies, lanes round robin.
 * 0, -errno of the system call (-EPERM where ptrace rules forbid it). */
int perf_measure_pvm(const struct perf_lane *lanes, unsigned int nb_lanes, uint32_t size,
		     unsigned int burst, double secs, struct perf_rate *out);

/* A completion status in words. */
const char *perf_status_name(enum idd_dma_status_code st);

/* Median and 99th percentile of @n values (sorts them). */
void perf_percentiles(double *v, size_t n, double *p50, double *p99);

#endif
