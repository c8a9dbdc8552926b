/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_COMMON_TRACE_H
#define IDD_SRC_COMMON_TRACE_H

/*
 * USDT trace points, provider "idd" (doc/tracing.md lists them for users).
 *
 * One inline function per probe, so that every call site passes the same
 * arguments with the same types: a probe's argument formats (size and
 * signedness, as readelf -n shows them) come from the parameter types
 * here, and tests/trace/expected_probes.txt holds them to it.
 *
 * The arguments follow upstream's dmadev trace points (rte_dmadev_trace.h,
 * rte_dmadev_trace_fp.h) in order, with these rules:
 * - every call probe ends with the call's return value, success or not,
 *   so a refused request shows up as well as an accepted one;
 * - where upstream emits an out-pointer to get at its value (last_idx,
 *   has_error, vchan status, group id, handler) we pass the value, read
 *   after the call (zero when the call failed);
 * - a domain id is passed as a pointer to its 16 bytes;
 * - a group token is never passed, in any form, not even a pointer: a
 *   trace must not be a way to read it.
 *
 * A probe is one nop plus an ELF note: it costs nothing until a tracer
 * (perf, bpftrace) puts a breakpoint on it. Probes on the data path exist
 * only with -Dtrace_fastpath=true (TRACE_FASTPATH=1); without it their
 * functions are empty and the compiled code is what it was before them.
 *
 * TRACE_HAVE_SDT is 1 when <sys/sdt.h> (systemtap-sdt-dev) was found;
 * without it every probe is empty.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>

#ifndef TRACE_HAVE_SDT
#define TRACE_HAVE_SDT 0
#endif
#ifndef TRACE_FASTPATH
#define TRACE_FASTPATH 0
#endif

#if TRACE_HAVE_SDT
#include <sys/sdt.h>
/* TRACE_PROBE(number of arguments, probe name, arguments...) */
#define TRACE_PROBE(n, name, ...) STAP_PROBE##n(idd, name, __VA_ARGS__)
#else
/* Uses the arguments (no unused-parameter warnings) and compiles to nothing. */
static inline void
trace_discard(int n, ...)
{
	(void)n;
}
#define TRACE_PROBE(n, name, ...) trace_discard(n, __VA_ARGS__)
#endif

/* ---- devices (src/dmadev/) ---- */

/* @ret is the new dev_id, or a negative errno. */
static inline void
trace_dev_create(const char *name, const char *args, int ret)
{
	TRACE_PROBE(3, dev_create, name, args, ret);
}

/* @info is NULL when the call failed: the fields are then zero. */
static inline void
trace_info_get(int16_t dev_id, const struct idd_dma_info *info, int ret)
{
	static const struct idd_dma_info none;
	const char *dev_name;
	uint64_t dev_capa;
	uint16_t max_vchans, max_desc, min_desc, max_sges, nb_vchans, nb_priorities;
	int16_t numa_node;

	if (info == NULL)
		info = &none;
	dev_name = info->dev_name;
	dev_capa = info->dev_capa;
	max_vchans = info->max_vchans;
	max_desc = info->max_desc;
	min_desc = info->min_desc;
	max_sges = info->max_sges;
	numa_node = (int16_t)info->numa_node;
	nb_vchans = info->nb_vchans;
	nb_priorities = info->nb_priorities;
	TRACE_PROBE(11, info_get, dev_id, dev_name, dev_capa, max_vchans, max_desc, min_desc,
		    max_sges, numa_node, nb_vchans, nb_priorities, ret);
}

/* @conf may be NULL (a refused call): the fields are then zero. */
static inline void
trace_configure(int16_t dev_id, const struct idd_dma_conf *conf, int ret)
{
	uint16_t nb_vchans = conf != NULL ? conf->nb_vchans : 0;
	uint16_t priority = conf != NULL ? conf->priority : 0;
	uint64_t flags = conf != NULL ? conf->flags : 0;

	TRACE_PROBE(5, configure, dev_id, nb_vchans, priority, flags, ret);
}

/*
 * @conf may be NULL (a refused call): the fields are then zero. Upstream
 * also carries the auto-free pool pointer; a USDT probe carries at most 12
 * arguments, and no idd driver supports auto-free, so it is left out.
 */
static inline void
trace_vchan_setup(int16_t dev_id, uint16_t vchan, const struct idd_dma_vchan_conf *conf, int ret)
{
	static const struct idd_dma_vchan_conf none;
	int direction, src_port_type, dst_port_type, domain_type;
	uint64_t src_pcie, dst_pcie;
	uint16_t nb_desc, src_handler, dst_handler;

	if (conf == NULL)
		conf = &none;
	direction = (int)conf->direction;
	nb_desc = conf->nb_desc;
	src_port_type = (int)conf->src_port.port_type;
	src_pcie = conf->src_port.pcie.val;
	dst_port_type = (int)conf->dst_port.port_type;
	dst_pcie = conf->dst_port.pcie.val;
	domain_type = (int)conf->domain.type;
	src_handler = conf->domain.src_handler;
	dst_handler = conf->domain.dst_handler;
	TRACE_PROBE(12, vchan_setup, dev_id, vchan, direction, nb_desc, src_port_type, src_pcie,
		    dst_port_type, dst_pcie, domain_type, src_handler, dst_handler, ret);
}

static inline void
trace_start(int16_t dev_id, int ret)
{
	TRACE_PROBE(2, start, dev_id, ret);
}

static inline void
trace_stop(int16_t dev_id, int ret)
{
	TRACE_PROBE(2, stop, dev_id, ret);
}

static inline void
trace_close(int16_t dev_id, int ret)
{
	TRACE_PROBE(2, close, dev_id, ret);
}

/* @stats is NULL when the call failed: the counters are then zero. */
static inline void
trace_stats_get(int16_t dev_id, uint16_t vchan, const struct idd_dma_stats *stats, int ret)
{
	uint64_t submitted = stats != NULL ? stats->submitted : 0;
	uint64_t completed = stats != NULL ? stats->completed : 0;
	uint64_t errors = stats != NULL ? stats->errors : 0;

	TRACE_PROBE(6, stats_get, dev_id, vchan, submitted, completed, errors, ret);
}

/* idd's extension: stats_get's arguments plus the byte count. */
static inline void
trace_stats_ext_get(int16_t dev_id, uint16_t vchan, const struct idd_dma_stats_ext *stats,
		    int ret)
{
	uint64_t submitted = stats != NULL ? stats->submitted : 0;
	uint64_t completed = stats != NULL ? stats->completed : 0;
	uint64_t errors = stats != NULL ? stats->errors : 0;
	uint64_t bytes = stats != NULL ? stats->bytes : 0;

	TRACE_PROBE(7, stats_ext_get, dev_id, vchan, submitted, completed, errors, bytes, ret);
}

static inline void
trace_stats_reset(int16_t dev_id, uint16_t vchan, int ret)
{
	TRACE_PROBE(3, stats_reset, dev_id, vchan, ret);
}

/* @status is NULL when the call failed: the status is then 0. Upstream
 * counts this probe as a data-path one; here vchan_status takes the
 * registry lock, so it is a control call and its probe is always there. */
static inline void
trace_vchan_status(int16_t dev_id, uint16_t vchan, const enum idd_dma_vchan_status *status,
		   int ret)
{
	int value = status != NULL ? (int)*status : 0;

	TRACE_PROBE(4, vchan_status, dev_id, vchan, value, ret);
}

static inline void
trace_dump(int16_t dev_id, const FILE *f, int ret)
{
	TRACE_PROBE(3, dump, dev_id, f, ret);
}

/* ---- access pair groups (src/dmadev/access_pair.c, src/group/) ---- */

/* @group_id is the created group, -1 when the call failed. No token. */
static inline void
trace_group_create(int16_t dev_id, const uint8_t *domain_id, int16_t group_id, int ret)
{
	TRACE_PROBE(4, access_pair_group_create, dev_id, domain_id, group_id, ret);
}

static inline void
trace_group_destroy(int16_t dev_id, int16_t group_id, int ret)
{
	TRACE_PROBE(3, access_pair_group_destroy, dev_id, group_id, ret);
}

/* No token. */
static inline void
trace_group_join(int16_t dev_id, const uint8_t *domain_id, int16_t group_id, int ret)
{
	TRACE_PROBE(4, access_pair_group_join, dev_id, domain_id, group_id, ret);
}

static inline void
trace_group_leave(int16_t dev_id, int16_t group_id, int ret)
{
	TRACE_PROBE(3, access_pair_group_leave, dev_id, group_id, ret);
}

/* @handler is the handler found, 0 when the call failed. */
static inline void
trace_group_handler_get(int16_t dev_id, int16_t group_id, const uint8_t *domain_id,
			uint16_t handler, int ret)
{
	TRACE_PROBE(5, access_pair_group_handler_get, dev_id, group_id, domain_id, handler, ret);
}

/* idd's extension: the extended event callback registered (NULL: removed). */
static inline void
trace_group_event_register(int16_t dev_id, int16_t group_id, const void *cb,
			   const void *user_data, int ret)
{
	TRACE_PROBE(5, access_pair_group_event_register, dev_id, group_id, cb, user_data, ret);
}

/*
 * An event about to be delivered to the group's callbacks, on idd's
 * control thread; @domain_id is the member concerned (our own domain for
 * GROUP_DESTROYED). One probe per event type, so a tracer can pick one.
 */
static inline void
trace_group_event(int16_t dev_id, int16_t group_id, const uint8_t *domain_id,
		  enum idd_dma_group_event ev)
{
	switch (ev) {
	case IDD_DMA_GROUP_EV_MEMBER_JOINED:
		TRACE_PROBE(3, event_member_joined, dev_id, group_id, domain_id);
		break;
	case IDD_DMA_GROUP_EV_MEMBER_LEFT:
		TRACE_PROBE(3, event_member_left, dev_id, group_id, domain_id);
		break;
	case IDD_DMA_GROUP_EV_GROUP_DESTROYED:
		TRACE_PROBE(3, event_group_destroyed, dev_id, group_id, domain_id);
		break;
	}
}

/* ---- data path (src/drivers/sw/), only with -Dtrace_fastpath=true ---- */

#if TRACE_FASTPATH
#define TRACE_FP_PROBE TRACE_PROBE
#else
/* No probe, no note, no argument evaluated that the caller would not
 * compute anyway: the functions below are empty. */
#define TRACE_FP_PROBE(n, name, ...) ((void)0)
#endif

static inline void
trace_copy(int16_t dev_id, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t length,
	   uint64_t flags, int ret)
{
	TRACE_FP_PROBE(7, copy, dev_id, vchan, src, dst, length, flags, ret);
	(void)dev_id, (void)vchan, (void)src, (void)dst, (void)length, (void)flags, (void)ret;
}

static inline void
trace_copy_sg(int16_t dev_id, uint16_t vchan, const struct idd_dma_sge *src,
	      const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags,
	      int ret)
{
	TRACE_FP_PROBE(8, copy_sg, dev_id, vchan, src, dst, nb_src, nb_dst, flags, ret);
	(void)dev_id, (void)vchan, (void)src, (void)dst, (void)nb_src, (void)nb_dst,
		(void)flags, (void)ret;
}

static inline void
trace_fill(int16_t dev_id, uint16_t vchan, uint64_t pattern, idd_iova_t dst, uint32_t length,
	   uint64_t flags, int ret)
{
	TRACE_FP_PROBE(7, fill, dev_id, vchan, pattern, dst, length, flags, ret);
	(void)dev_id, (void)vchan, (void)pattern, (void)dst, (void)length, (void)flags,
		(void)ret;
}

static inline void
trace_submit(int16_t dev_id, uint16_t vchan, int ret)
{
	TRACE_FP_PROBE(3, submit, dev_id, vchan, ret);
	(void)dev_id, (void)vchan, (void)ret;
}

/* @last_idx and @has_error are the values the call left behind. */
static inline void
trace_completed(int16_t dev_id, uint16_t vchan, uint16_t nb_cpls, uint16_t last_idx,
		bool has_error, uint16_t ret)
{
	TRACE_FP_PROBE(6, completed, dev_id, vchan, nb_cpls, last_idx, has_error, ret);
	(void)dev_id, (void)vchan, (void)nb_cpls, (void)last_idx, (void)has_error, (void)ret;
}

/* @status is the caller's array; its first @ret entries are filled in. */
static inline void
trace_completed_status(int16_t dev_id, uint16_t vchan, uint16_t nb_cpls, uint16_t last_idx,
		       const enum idd_dma_status_code *status, uint16_t ret)
{
	TRACE_FP_PROBE(6, completed_status, dev_id, vchan, nb_cpls, last_idx, status, ret);
	(void)dev_id, (void)vchan, (void)nb_cpls, (void)last_idx, (void)status, (void)ret;
}

static inline void
trace_burst_capacity(int16_t dev_id, uint16_t vchan, uint16_t ret)
{
	TRACE_FP_PROBE(3, burst_capacity, dev_id, vchan, ret);
	(void)dev_id, (void)vchan, (void)ret;
}

/* @nb_ops is what was offered, @ret what was taken (or handed back). */
static inline void
trace_enqueue_ops(int16_t dev_id, uint16_t vchan, struct idd_dma_op *const *ops,
		  uint16_t nb_ops, uint16_t ret)
{
	TRACE_FP_PROBE(5, enqueue_ops, dev_id, vchan, ops, nb_ops, ret);
	(void)dev_id, (void)vchan, (void)ops, (void)nb_ops, (void)ret;
}

static inline void
trace_dequeue_ops(int16_t dev_id, uint16_t vchan, struct idd_dma_op *const *ops,
		  uint16_t nb_ops, uint16_t ret)
{
	TRACE_FP_PROBE(5, dequeue_ops, dev_id, vchan, ops, nb_ops, ret);
	(void)dev_id, (void)vchan, (void)ops, (void)nb_ops, (void)ret;
}

#endif
