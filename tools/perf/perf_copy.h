/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_COPY_H
#define IDD_TOOLS_PERF_COPY_H

/*
 * What the copy case type shares with other case types that copy (an
 * inter-OS case over libfabric, say: see the hook in perf_case.h). Such a
 * type sets up its own device and vchans, describes them as lanes, and
 * lets perf_copy_measure() do the rest exactly as the copy case does, so
 * that its rows compare with the copy case's.
 */

#include <stdint.h>

#include "perf_case.h"
#include "perf_env.h"
#include "perf_measure.h"

/* This process's source and destination buffers for @c (each the larger
 * of half the footprint and the largest size; every page touched), shared
 * with the memcpy reference. 0 or -ENOMEM (printed). */
int perf_copy_local(const struct perf_case *c, uint64_t *src, uint64_t *dst);

/* The page size behind those buffers (huge pages where the system has them
 * reserved, as for every idd_mem_alloc() block, the peers' included); 0
 * before any copy case ran. */
size_t perf_copy_page_size(void);

/* For each of @c's sizes: one checked copy per lane (a lane marked
 * unreachable: its status only), throughput over all lanes, latency on the
 * first, the memcpy reference and (every lane reachable) the
 * process_vm_writev/readv one; one row each, typed c->type->name. Lane
 * spans are the caller's (c->footprint / 2 walks, 0 stays in cache).
 * 0, -EINTR when stopped by a signal, else -errno (printed). */
int perf_copy_measure(const struct perf_case *c, struct perf_env *env, const struct perf_lane *lanes,
		      unsigned int nl);

#endif
