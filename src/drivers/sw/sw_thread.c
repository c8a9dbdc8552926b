/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The thread engine: one worker per device, created at start and joined at
 * stop. It round-robins over the device's vchans, performing what each one
 * has submitted, spins while work keeps coming, and sleeps in read() on an
 * eventfd once it has been idle for SW_IDLE_NS.
 *
 * Wakeup protocol (a Dekker handshake on two seq_cst variables):
 *
 *   producer (sw_submit_vchan)            worker (sw_worker_sleep)
 *   store submitted = head   (seq_cst)    store sleeping = 1      (seq_cst)
 *   load sleeping            (seq_cst)    load every submitted, stop (seq_cst)
 *   if 1: exchange(sleeping, 0) == 1      if no work: read(efd)
 *         -> write(efd)
 *
 * All four accesses are seq_cst, so they fall in one total order, and in it
 * either the producer's store of submitted precedes the worker's load of it
 * (the worker sees the work and does not sleep), or the worker's store of
 * sleeping precedes the producer's load of it (the producer wakes the
 * worker). A wakeup cannot be lost. A plain release store and acquire load
 * would not do: they let the load pass the store, and both sides could miss
 * each other. Several producers may see sleeping == 1 together; the
 * exchange lets exactly one of them write the eventfd. A wakeup that comes
 * after the worker found work by itself leaves a count in the eventfd,
 * which makes the next sleep return at once: one wasted round, no harm.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "drivers/sw/sw_dev.h"

/* Most operations done on one vchan before moving to the next, so that a
 * busy vchan cannot starve the others, and completions are published
 * while a long burst is still running. */
#define SW_WORKER_BATCH 64
/* Idle time after which the worker sleeps instead of spinning. Long enough
 * to ride out the gap between two bursts of a busy producer, short enough
 * not to burn a core for an idle device. */
#define SW_IDLE_NS 80000
/* Empty rounds between two looks at the clock. */
#define SW_IDLE_ROUNDS_PER_CLOCK 64

static inline void
sw_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

static uint64_t
sw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One pass over every vchan; returns the number of operations performed. */
static unsigned int
sw_worker_round(struct sw_worker *w)
{
	unsigned int done = 0;

	for (uint16_t v = 0; v < w->nb_vchans; v++) {
		struct sw_vchan *vc = &w->vchans[v];
		uint16_t fin = atomic_load_explicit(&vc->finished, memory_order_relaxed);
		/* Acquire: pairs with the seq_cst (release) store of submitted
		 * in sw_submit_vchan(), so the descriptors and sge entries of
		 * [fin, sub) are visible here. */
		uint16_t sub = atomic_load_explicit(&vc->submitted, memory_order_acquire);
		uint16_t n = (uint16_t)(sub - fin);

		if (n == 0)
			continue;
		if (n > SW_WORKER_BATCH)
			n = SW_WORKER_BATCH;
		/* The producer's core wrote these descriptors: fetching all
		 * their lines at once overlaps the transfers instead of
		 * paying them one by one. */
		for (uint16_t i = 0; i < n; i += SW_CACHE_LINE / sizeof(struct sw_desc_packed))
			__builtin_prefetch(&((const struct sw_desc_packed *)
						     vc->ring)[(uint16_t)(fin + i) & vc->mask]);
		sw_run(vc, fin, (uint16_t)(fin + n));
		done += n;
	}
	return done;
}

/* The worker's half of the wakeup protocol (see the file comment). */
static void
sw_worker_sleep(struct sw_worker *w)
{
	uint64_t count;
	bool work = false;

	atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&w->stop, memory_order_seq_cst))
		work = true;
	for (uint16_t v = 0; !work && v < w->nb_vchans; v++) {
		struct sw_vchan *vc = &w->vchans[v];

		work = atomic_load_explicit(&vc->submitted, memory_order_seq_cst) !=
		       atomic_load_explicit(&vc->finished, memory_order_relaxed);
	}
	if (!work) {
		while (read(w->efd, &count, sizeof(count)) < 0 && errno == EINTR)
			;
	}
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void
sw_worker_wake(struct sw_worker *w)
{
	uint64_t one = 1;

	if (atomic_exchange_explicit(&w->sleeping, 0, memory_order_seq_cst) == 0)
		return;
	/* An eventfd write fails only when the counter would overflow, which
	 * still leaves the worker woken. */
	if (write(w->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		IDD_LOG(DEBUG, "dev %s: worker wakeup write failed", w->name);
}

static void *
sw_worker_main(void *arg)
{
	struct sw_worker *w = arg;
	unsigned int empty_rounds = 0;
	uint64_t idle_since = 0;

	for (;;) {
		if (sw_worker_round(w) != 0) {
			empty_rounds = 0;
			idle_since = 0;
			continue;
		}
		/* Acquire: pairs with the seq_cst store in sw_worker_stop(); every
		 * submit that happened before the stop is visible to the final
		 * drain below. */
		if (atomic_load_explicit(&w->stop, memory_order_acquire))
			break;
		if (++empty_rounds < SW_IDLE_ROUNDS_PER_CLOCK) {
			sw_cpu_relax();
			continue;
		}
		empty_rounds = 0;
		if (idle_since == 0) {
			idle_since = sw_now_ns();
			continue;
		}
		if (sw_now_ns() - idle_since < SW_IDLE_NS)
			continue;
		sw_worker_sleep(w);
		idle_since = 0;
	}
	/* Stop promises that every submitted operation is finished. */
	while (sw_worker_round(w) != 0)
		;
	return NULL;
}

static int
sw_worker_pin(struct sw_dev *sd, struct sw_worker *w)
{
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(sd->cpu, &set);
	ret = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: start refused: cannot pin the worker to cpu %d: %s", sd->name,
			sd->cpu, strerror(ret));
		return -ret;
	}
	return 0;
}

static void
sw_worker_free(struct sw_worker *w)
{
	close(w->efd);
	free(w);
}

int
sw_worker_start(struct sw_dev *sd)
{
	struct sw_worker *w;
	char thread_name[16];
	int ret;

	w = aligned_alloc(SW_CACHE_LINE, sizeof(*w));
	if (w == NULL) {
		IDD_LOG(ERR, "dev %s: start refused: out of memory for the worker", sd->name);
		return -ENOMEM;
	}
	memset(w, 0, sizeof(*w));
	w->vchans = sd->vchans;
	w->nb_vchans = sd->nb_vchans;
	w->name = sd->name;
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0) {
		ret = -errno;
		IDD_LOG(ERR, "dev %s: start refused: eventfd: %s", sd->name, strerror(-ret));
		free(w);
		return ret;
	}
	ret = pthread_create(&w->thread, NULL, sw_worker_main, w);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: start refused: cannot create the worker thread: %s", sd->name,
			strerror(ret));
		sw_worker_free(w);
		return -ret;
	}
	snprintf(thread_name, sizeof(thread_name), "idd-sw-%.8s", sd->name);
	(void)pthread_setname_np(w->thread, thread_name);
	sd->worker = w;
	if (sd->cpu >= 0) {
		ret = sw_worker_pin(sd, w);
		if (ret != 0) {
			sw_worker_stop(sd);
			return ret;
		}
	}
	return 0;
}

void
sw_worker_stop(struct sw_dev *sd)
{
	struct sw_worker *w = sd->worker;
	int ret;

	/* seq_cst: release for the worker's acquire load of stop, and part of
	 * the wakeup handshake, like a producer's store of submitted. */
	atomic_store_explicit(&w->stop, true, memory_order_seq_cst);
	sw_worker_wake(w);
	ret = pthread_join(w->thread, NULL);
	if (ret != 0)
		IDD_LOG(ERR, "dev %s: joining the worker failed: %s", sd->name, strerror(ret));
	sw_worker_free(w);
	sd->worker = NULL;
}
