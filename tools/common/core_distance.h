/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_COMMON_CORE_DISTANCE_H
#define IDD_TOOLS_COMMON_CORE_DISTANCE_H

/*
 * How far apart two CPUs are, as the time a cache line takes to go from one
 * to the other and back. The thread engine hands every descriptor from the
 * caller's core to its worker's, so for small copies this distance sets the
 * rate more than anything idd does (doc/guide.md, chapter 9): idd-perf and
 * bench_xproc print it next to their figures, so that a reader can tell a
 * worker on a near core from one on another chiplet. On virtual machines
 * it can change while a benchmark runs, as the hypervisor moves vCPUs.
 */

/*
 * Median round trip, in nanoseconds, of one cache line between a thread
 * pinned to @cpu_a and one pinned to @cpu_b (five runs of 20000 round
 * trips or 20 ms, whichever ends first: 5 to 100 ms in all).
 * The caller's own affinity is not touched. Returns -1 when @cpu_a or
 * @cpu_b is negative, when they are equal, or when a thread cannot be
 * started or pinned.
 */
double core_round_trip_ns(int cpu_a, int cpu_b);

#endif
