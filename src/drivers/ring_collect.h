/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_RING_COLLECT_H
#define IDD_SRC_DRIVERS_RING_COLLECT_H

/*
 * Collecting finished operations from a descriptor ring, for every driver
 * whose vchan follows sw's ring rules (sw_ring.h): free-running 16-bit
 * positions, `finished` published by the engine with a release store,
 * `collected` owned by the producer, and a per-slot status word that is
 * non-zero only while it holds an uncollected failure, with the engine's
 * failure count (fin_errors) against the producer's (coll_errors) telling
 * whether any status word needs reading at all.
 *
 * The sw and fabric drivers keep their own vchan structs (their cache-line
 * layouts differ), so these functions take a ring_collect view: pointers
 * to the fields, built by the driver's macro at each call. Every function
 * is always_inline: the view is taken apart at compile time and the code is
 * the same as if it had been written against the driver's struct, with no
 * call and no indirection added to the fast path.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <idd/idd_dmadev.h>

#define RING_COLLECT_INLINE static inline __attribute__((always_inline))

/* The collecting side's fields of one vchan. */
struct ring_collect {
	_Atomic uint16_t *collected; /* producer: next position to report */
	_Atomic uint16_t *finished;  /* engine: next position not yet done */
	_Atomic uint32_t *fin_errors; /* engine: failures written so far */
	uint32_t *coll_errors;       /* producer: failures reported so far */
	/* The per-slot status words (non-zero: an uncollected failure) and
	 * nb_desc - 1, by address so that they are read only when a failure
	 * is pending: their line is not the producer's. */
	uint16_t *const *status;
	const uint16_t *mask;
	_Atomic uint64_t *n_completed;
	_Atomic uint64_t *n_errors;
};

/* The view of a vchan struct that has fields of these names (sw_vchan,
 * fab_vchan). */
#define RING_COLLECT_OF(vc)                                                                        \
	((struct ring_collect){                                                                    \
		.collected = &(vc)->collected,                                                     \
		.finished = &(vc)->finished,                                                       \
		.fin_errors = &(vc)->fin_errors,                                                   \
		.coll_errors = &(vc)->coll_errors,                                                 \
		.status = &(vc)->status,                                                           \
		.mask = &(vc)->mask,                                                               \
		.n_completed = &(vc)->n_completed,                                                 \
		.n_errors = &(vc)->n_errors,                                                       \
	})

/* Producer-side counter update: the producer is the only writer, so a
 * relaxed load and store (plain moves) suffice; readers on other threads
 * see a value that is at worst one update old. */
RING_COLLECT_INLINE void
ring_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Operations the engine finished and nobody reported yet from @coll, at
 * most @max. */
RING_COLLECT_INLINE uint16_t
ring_ready(struct ring_collect r, uint16_t coll, uint16_t max)
{
	/* Acquire: pairs with the engine's release store of finished; the
	 * data, statuses and fin_errors of [coll, fin) are visible after it. */
	uint16_t fin = atomic_load_explicit(r.finished, memory_order_acquire);
	uint16_t n = (uint16_t)(fin - coll);

	return n < max ? n : max;
}

/* True when a failure may lie in the finished range. fin_errors is read
 * after the acquire of finished, so it counts at least every failure
 * before finished; equality with what was reported means none is pending. */
RING_COLLECT_INLINE bool
ring_failures_pending(struct ring_collect r)
{
	return atomic_load_explicit(r.fin_errors, memory_order_relaxed) != *r.coll_errors;
}

/* Mark @n operations from @coll as reported, @errors of them failed; their
 * slots are free again. Producer only. */
RING_COLLECT_INLINE void
ring_consume(struct ring_collect r, uint16_t coll, uint16_t n, uint32_t errors)
{
	atomic_store_explicit(r.collected, (uint16_t)(coll + n), memory_order_relaxed);
	ring_count(r.n_completed, n);
	if (__builtin_expect(errors != 0, 0)) {
		*r.coll_errors += errors;
		ring_count(r.n_errors, errors);
	}
}

/* completed(): report up to @max successful operations, stopping before
 * the first failure without consuming it (completed_status() reports it
 * with its status); sets *@has_error when it stopped there. */
RING_COLLECT_INLINE uint16_t
ring_completed(struct ring_collect r, uint16_t max, uint16_t *last_idx, bool *has_error)
{
	uint16_t coll = atomic_load_explicit(r.collected, memory_order_relaxed);
	uint16_t n = ring_ready(r, coll, max);

	if (__builtin_expect(ring_failures_pending(r), 0)) {
		for (uint16_t i = 0; i < n; i++) {
			if ((*r.status)[(uint16_t)(coll + i) & *r.mask] != 0) {
				n = i;
				*has_error = true;
				break;
			}
		}
	}
	if (n != 0)
		ring_consume(r, coll, n, 0);
	*last_idx = (uint16_t)(coll + n - 1);
	return n;
}

/* completed_status(): report up to @max operations with their statuses,
 * failures included, and clear the status words of the failed ones. */
RING_COLLECT_INLINE uint16_t
ring_completed_status(struct ring_collect r, uint16_t max, uint16_t *last_idx,
		      enum idd_dma_status_code *status)
{
	uint16_t coll = atomic_load_explicit(r.collected, memory_order_relaxed);
	uint16_t n = ring_ready(r, coll, max);
	uint32_t errors = 0;

	if (__builtin_expect(!ring_failures_pending(r), 1)) {
		if (n != 0)
			memset(status, 0, n * sizeof(*status));
	} else {
		for (uint16_t i = 0; i < n; i++) {
			uint16_t *slot = &(*r.status)[(uint16_t)(coll + i) & *r.mask];

			status[i] = (enum idd_dma_status_code)*slot;
			if (*slot != 0) {
				*slot = 0;
				errors++;
			}
		}
	}
	if (n != 0)
		ring_consume(r, coll, n, errors);
	*last_idx = (uint16_t)(coll + n - 1);
	return n;
}

/* Silent mode: consume everything finished, failures included, without
 * reporting it. Returns how many slots it freed. */
RING_COLLECT_INLINE uint16_t
ring_reclaim(struct ring_collect r)
{
	uint16_t coll = atomic_load_explicit(r.collected, memory_order_relaxed);
	uint16_t n = ring_ready(r, coll, UINT16_MAX);
	uint32_t errors = 0;

	if (n == 0)
		return 0;
	if (__builtin_expect(ring_failures_pending(r), 0)) {
		for (uint16_t i = 0; i < n; i++) {
			uint16_t *slot = &(*r.status)[(uint16_t)(coll + i) & *r.mask];

			if (*slot != 0) {
				*slot = 0;
				errors++;
			}
		}
	}
	ring_consume(r, coll, n, errors);
	return n;
}

/* burst_capacity(): free slots of a ring of @nb_desc between the
 * producer's @head and @collected. */
RING_COLLECT_INLINE uint16_t
ring_free_slots(uint16_t nb_desc, const _Atomic uint16_t *head,
		const _Atomic uint16_t *collected)
{
	return (uint16_t)(nb_desc - (uint16_t)(atomic_load_explicit(head, memory_order_relaxed) -
					       atomic_load_explicit(collected,
								    memory_order_relaxed)));
}

#endif
