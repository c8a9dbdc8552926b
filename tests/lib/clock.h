/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_LIB_CLOCK_H
#define IDD_TESTS_LIB_CLOCK_H

/*
 * The monotonic clock, as the tests and benchmarks read it: deadlines and
 * timeouts in microseconds, rates in seconds. CLOCK_MONOTONIC does not jump
 * when someone sets the date, so a timeout can neither fire early nor hang.
 */

#include <stdint.h>
#include <time.h>

/* Microseconds since an arbitrary fixed point. */
static inline uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Seconds since the same point, with nanosecond resolution. */
static inline double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
