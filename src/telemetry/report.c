/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON answers. Each part is a snapshot taken under one control-path
 * lock at a time (the registry lock per device, ctl_lock for the groups,
 * the window table's lock), then written out with no lock held. Never a
 * token: the group snapshot does not carry one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_common.h>
#include <idd/idd_dmadev.h>
#include <idd/idd_mem.h>

#include "dmadev/dmadev_query.h"
#include "group/group_query.h"
#include "mem/mem_local.h"
#include "telemetry/proto.h"
#include "telemetry/tel_internal.h"

/* Windows listed at most (more are counted). */
#define WINDOWS_MAX 65536

static const char *const capa_names[64] = {
	[0] = "mem2mem", [1] = "mem2dev", [2] = "dev2mem", [3] = "dev2dev",
	[4] = "sva", [5] = "silent", [6] = "handles_errors", [7] = "m2d_auto_free",
	[8] = "pri_policy_sp", [9] = "inter_process_domain", [10] = "inter_os_domain",
	[32] = "copy", [33] = "copy_sg", [34] = "fill", [35] = "enq_deq",
};

static const char *
perms_name(uint32_t perms)
{
	switch (perms & IDD_MEM_PEER_RW) {
	case IDD_MEM_PEER_RW:
		return "rw";
	case IDD_MEM_PEER_READ:
		return "r";
	case IDD_MEM_PEER_WRITE:
		return "w";
	default:
		return "-";
	}
}

static const char *
direction_name(enum idd_dma_direction d)
{
	switch (d) {
	case IDD_DMA_DIR_MEM_TO_MEM:
		return "mem2mem";
	case IDD_DMA_DIR_MEM_TO_DEV:
		return "mem2dev";
	case IDD_DMA_DIR_DEV_TO_MEM:
		return "dev2mem";
	case IDD_DMA_DIR_DEV_TO_DEV:
		return "dev2dev";
	}
	return "unknown";
}

static const char *
domain_name(enum idd_dma_inter_domain_type t)
{
	switch (t) {
	case IDD_DMA_INTER_DOMAIN_NONE:
		return "none";
	case IDD_DMA_INTER_PROCESS_DOMAIN:
		return "inter-process";
	case IDD_DMA_INTER_OS_DOMAIN:
		return "inter-os";
	}
	return "unknown";
}

static const char *
status_name(enum idd_dma_vchan_status s)
{
	switch (s) {
	case IDD_DMA_VCHAN_IDLE:
		return "idle";
	case IDD_DMA_VCHAN_ACTIVE:
		return "active";
	case IDD_DMA_VCHAN_HALTED_ERROR:
		return "halted";
	}
	return "unknown";
}

static void
uuid_text(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

static void
write_stats(struct jw *w, const struct idd_dma_stats_ext *st, bool has_bytes)
{
	jw_obj(w, "stats");
	jw_u64(w, "submitted", st->submitted);
	jw_u64(w, "completed", st->completed);
	jw_u64(w, "errors", st->errors);
	if (has_bytes)
		jw_u64(w, "bytes", st->bytes);
	else
		jw_null(w, "bytes");
	jw_end(w);
}

static void
write_vchan(struct jw *w, const struct dmadev_snap *s, uint16_t v)
{
	const struct dmadev_vchan_snap *vs = &s->vchans[v];

	jw_obj(w, NULL);
	jw_u64(w, "vchan", v);
	jw_bool(w, "ready", vs->ready);
	if (vs->ready) {
		jw_u64(w, "ring_size", vs->conf.nb_desc);
		jw_str(w, "direction", direction_name(vs->conf.direction));
		jw_obj(w, "domain");
		jw_str(w, "type", domain_name(vs->conf.domain.type));
		if (vs->conf.domain.type != IDD_DMA_INTER_DOMAIN_NONE) {
			jw_u64(w, "src_handler", vs->conf.domain.src_handler);
			jw_u64(w, "dst_handler", vs->conf.domain.dst_handler);
		}
		jw_end(w);
	}
	jw_str(w, "status", vs->has_status ? status_name(vs->status) : NULL);
	write_stats(w, &vs->stats, s->has_bytes);
	jw_end(w);
}

static void
write_device(struct jw *w, const struct dmadev_snap *s)
{
	char ns[RDV_NS_MAX + 1], mask[24];

	jw_obj(w, NULL);
	jw_u64(w, "id", (uint64_t)s->dev_id);
	jw_str(w, "name", s->name);
	jw_str(w, "driver", s->driver);
	jw_str(w, "state", s->started ? "started" : "stopped");
	jw_bool(w, "configured", s->configured);
	jw_str(w, "namespace", group_query_dev_namespace(s->dev_id, ns) == 0 ? ns : NULL);
	if (s->has_info) {
		snprintf(mask, sizeof(mask), "0x%016" PRIx64, s->info.dev_capa);
		jw_str(w, "capa_mask", mask);
		jw_arr(w, "capabilities");
		for (unsigned int bit = 0; bit < 64; bit++) {
			char other[16];

			if (!(s->info.dev_capa & IDD_BIT64(bit)))
				continue;
			if (capa_names[bit] == NULL)
				snprintf(other, sizeof(other), "bit%u", bit);
			jw_str(w, NULL, capa_names[bit] != NULL ? capa_names[bit] : other);
		}
		jw_end(w);
		jw_u64(w, "max_vchans", s->info.max_vchans);
		jw_u64(w, "min_desc", s->info.min_desc);
		jw_u64(w, "max_desc", s->info.max_desc);
		jw_u64(w, "max_sges", s->info.max_sges);
	}
	jw_u64(w, "nb_vchans", s->nb_vchans);
	jw_arr(w, "flags");
	if (s->conf.flags & IDD_DMA_CFG_FLAG_SILENT)
		jw_str(w, NULL, "silent");
	if (s->conf.flags & IDD_DMA_CFG_FLAG_ENQ_DEQ)
		jw_str(w, NULL, "enq_deq");
	jw_end(w);
	write_stats(w, &s->total, s->has_bytes);
	jw_arr(w, "vchans");
	for (uint16_t v = 0; v < s->nb_vchans; v++)
		write_vchan(w, s, v);
	jw_end(w);
	jw_end(w);
}

static int
write_devices(struct jw *w, unsigned int *count)
{
	int ret = 0;

	*count = 0;
	jw_arr(w, "devices");
	for (int16_t id = idd_dma_next_dev(0); id >= 0 && w->err == 0;
	     id = id < INT16_MAX ? idd_dma_next_dev((int16_t)(id + 1)) : -1) {
		struct dmadev_snap s;

		ret = dmadev_query_snap(id, &s);
		if (ret == -ENODEV)
			continue; /* closed meanwhile */
		if (ret != 0)
			break;
		write_device(w, &s);
		dmadev_query_free(&s);
		(*count)++;
	}
	jw_end(w);
	return ret == -ENODEV ? 0 : ret;
}

static void
write_member(struct jw *w, const struct group_query_member *m)
{
	char uuid[37];

	uuid_text(m->domain, uuid);
	jw_obj(w, NULL);
	jw_u64(w, "slot", m->slot);
	jw_str(w, "domain", uuid);
	jw_u64(w, "handler", m->handler);
	jw_u64(w, "pid", m->pid);
	jw_u64(w, "uid", m->uid);
	jw_bool(w, "creator", m->is_creator);
	jw_bool(w, "self", m->is_self);
	jw_bool(w, "active", m->active);
	jw_u64(w, "windows_total", m->nb_windows);
	jw_arr(w, "windows");
	for (unsigned int i = 0; i < m->nb_listed; i++) {
		jw_obj(w, NULL);
		jw_u64(w, "base", m->windows[i].base);
		jw_u64(w, "length", m->windows[i].len);
		jw_str(w, "perms", perms_name(m->windows[i].perms));
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static int
write_groups(struct jw *w, unsigned int *count)
{
	struct group_query *gs;
	unsigned int n;
	int ret;

	ret = group_query_all(&gs, &n);
	if (ret != 0)
		return ret;
	jw_arr(w, "groups");
	for (unsigned int i = 0; i < n; i++) {
		const struct group_query *g = &gs[i];

		jw_obj(w, NULL);
		jw_u64(w, "id", (uint64_t)g->group_id);
		jw_u64(w, "dev_id", (uint64_t)g->dev_id);
		jw_str(w, "namespace", g->ns);
		jw_bool(w, "abstract_socket", g->abstract);
		jw_str(w, "role", g->creator ? "creator" : "member");
		jw_str(w, "state", g->state);
		jw_u64(w, "self_slot", g->self_slot);
		jw_u64(w, "directory_entries", g->nb_dir);
		jw_arr(w, "members");
		for (unsigned int j = 0; j < g->nb_members; j++)
			write_member(w, &g->members[j]);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
	group_query_free(gs, n);
	*count = n;
	return 0;
}

static int
write_windows(struct jw *w, unsigned int *count)
{
	struct mem_window_desc *ws = NULL;
	unsigned int n = mem_local_windows(NULL, 0), got = 0;

	if (n > WINDOWS_MAX)
		n = WINDOWS_MAX;
	if (n > 0) {
		ws = calloc(n, sizeof(*ws));
		if (ws == NULL)
			return -ENOMEM;
		got = mem_local_windows(ws, n);
		if (got > n)
			got = n; /* more appeared meanwhile: the next answer has them */
	}
	jw_arr(w, "windows");
	for (unsigned int i = 0; i < got; i++) {
		jw_obj(w, NULL);
		jw_u64(w, "id", ws[i].id);
		jw_u64(w, "base", ws[i].base);
		jw_u64(w, "length", ws[i].len);
		jw_u64(w, "offset", ws[i].offset);
		jw_str(w, "perms", perms_name(ws[i].perms));
		jw_bool(w, "huge", (ws[i].flags & IDD_MEM_WINDOW_HUGE) != 0);
		jw_str(w, "kind", (ws[i].flags & IDD_MEM_WINDOW_HEAP)         ? "heap"
				  : (ws[i].flags & IDD_MEM_WINDOW_REGISTERED) ? "registered"
									      : "other");
		jw_end(w);
	}
	jw_end(w);
	free(ws);
	*count = got;
	return 0;
}

static void
write_process_fields(struct jw *w, const struct tel_identity *id)
{
	jw_u64(w, "pid", (uint64_t)id->pid);
	jw_u64(w, "uid", (uint64_t)id->uid);
	jw_str(w, "namespace", id->ns);
	jw_str(w, "program", program_invocation_short_name);
	jw_str(w, "idd_version", idd_version());
	jw_u64(w, "protocol", TEL_VERSION);
}

static int
write_process(struct jw *w, const struct tel_identity *id)
{
	struct group_query *gs;
	unsigned int ngroups = 0;
	int ret;

	ret = group_query_all(&gs, &ngroups);
	if (ret != 0)
		return ret;
	group_query_free(gs, ngroups);
	write_process_fields(w, id);
	jw_u64(w, "devices", idd_dma_count_avail());
	jw_u64(w, "groups", ngroups);
	jw_u64(w, "windows", mem_local_windows(NULL, 0));
	return 0;
}

int
tel_report(unsigned int cmd, const struct tel_identity *id, struct jw *w)
{
	unsigned int n;
	int ret = 0;

	jw_obj(w, NULL);
	switch (cmd) {
	case TEL_CMD_PROCESS:
		ret = write_process(w, id);
		break;
	case TEL_CMD_DEVICES:
		ret = write_devices(w, &n);
		break;
	case TEL_CMD_GROUPS:
		ret = write_groups(w, &n);
		break;
	case TEL_CMD_WINDOWS:
		ret = write_windows(w, &n);
		break;
	case TEL_CMD_ALL:
		jw_obj(w, "process");
		ret = write_process(w, id);
		jw_end(w);
		if (ret == 0)
			ret = write_devices(w, &n);
		if (ret == 0)
			ret = write_groups(w, &n);
		if (ret == 0)
			ret = write_windows(w, &n);
		break;
	default:
		ret = -EOPNOTSUPP;
		break;
	}
	jw_end(w);
	return ret != 0 ? ret : w->err;
}

int
tel_report_hello(const struct tel_identity *id, struct jw *w)
{
	jw_obj(w, NULL);
	write_process_fields(w, id);
	jw_end(w);
	return w->err;
}

int
tel_report_error(const char *msg, struct jw *w)
{
	jw_obj(w, NULL);
	jw_str(w, "error", msg);
	jw_end(w);
	return w->err;
}
