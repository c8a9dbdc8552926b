/* SPDX-License-Identifier: BSD-3-Clause */
/* Round trip of a cache line between two CPUs (core_distance.h). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core_distance.h"

#define RUNS 5
#define TRIPS 20000
#define RUN_NS 20e6 /* at most 20 ms per run */
#define CHECK_EVERY 16 /* round trips between two looks at the clock */

/* The line that travels, alone in an aligned pair of lines: the cores
 * fetch lines in pairs, and a flag next to it would travel too. */
struct bounce {
	_Alignas(128) _Atomic int ball; /* 1: with the far side; 0: back here */
	_Alignas(128) _Atomic int stop;
	int cpu;
	_Atomic int pinned; /* the far side: 0 starting, 1 pinned, -1 failed */
};

static int
pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The far side: sends the ball back each time it arrives. */
static void *
far_side(void *arg)
{
	struct bounce *b = arg;

	if (pin_self(b->cpu) != 0) {
		atomic_store(&b->pinned, -1);
		return NULL;
	}
	atomic_store(&b->pinned, 1);
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed))
		if (atomic_load_explicit(&b->ball, memory_order_acquire) == 1)
			atomic_store(&b->ball, 0);
	return NULL;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The near side, on its own thread so that the caller's affinity stays. */
struct near_args {
	struct bounce *b;
	int cpu;
	double result;
};

static void *
near_side(void *arg)
{
	struct near_args *a = arg;
	struct bounce *b = a->b;
	double runs[RUNS];
	pthread_t far;

	a->result = -1;
	if (pin_self(a->cpu) != 0 || pthread_create(&far, NULL, far_side, b) != 0)
		return NULL;
	while (atomic_load(&b->pinned) == 0)
		;
	if (atomic_load(&b->pinned) == 1) {
		for (int r = 0; r < RUNS; r++) {
			double t0 = now_ns(), t = t0;
			int trips = 0;

			/* Bounded in time too: under valgrind, which runs one
			 * thread at a time, a trip takes a time slice. */
			while (trips < TRIPS && t - t0 < RUN_NS) {
				for (int i = 0; i < CHECK_EVERY; i++, trips++) {
					/* seq_cst: the store leaves at once rather
					 * than wait in the store buffer while
					 * this core spins on the line. */
					atomic_store(&b->ball, 1);
					while (atomic_load_explicit(&b->ball, memory_order_acquire) != 0)
						;
				}
				t = now_ns();
			}
			runs[r] = (t - t0) / trips;
		}
		qsort(runs, RUNS, sizeof(runs[0]), compare_double);
		a->result = runs[RUNS / 2];
	}
	atomic_store(&b->stop, 1);
	pthread_join(far, NULL);
	return NULL;
}

double
core_round_trip_ns(int cpu_a, int cpu_b)
{
	struct near_args args;
	struct bounce *b;
	pthread_t near;

	if (cpu_a < 0 || cpu_b < 0 || cpu_a == cpu_b)
		return -1;
	b = aligned_alloc(128, sizeof(*b));
	if (b == NULL)
		return -1;
	atomic_init(&b->ball, 0);
	atomic_init(&b->stop, 0);
	atomic_init(&b->pinned, 0);
	b->cpu = cpu_b;
	args = (struct near_args){.b = b, .cpu = cpu_a, .result = -1};
	if (pthread_create(&near, NULL, near_side, &args) == 0)
		pthread_join(near, NULL);
	free(b);
	return args.result;
}
