/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Case type "group": the control plane.
 *   join latency  a pool peer joins and leaves our group `cycles` times and
 *                 times each join call (challenge-response, member table,
 *                 windows and directory sent over): median and p99;
 *   join storm    `storm` fresh processes, started and ready, are told to
 *                 join at once: the time from the first order until every
 *                 one of them has answered that its join returned.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_dmadev.h>

#include "perf_case.h"
#include "perf_env.h"
#include "perf_measure.h"
#include "perf_report.h"

/* Storm processes get peer indices from here on (their domain ids). */
#define STORM_INDEX_BASE 1000

static unsigned int
group_peers_needed(const struct perf_case *c)
{
	return c->cycles > 0 ? 1 : 0;
}

static void
base_row(const struct perf_case *c, struct perf_row *r, const char *what)
{
	perf_row_init(r);
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	snprintf(r->type, sizeof(r->type), "group");
	snprintf(r->direction, sizeof(r->direction), "%s", what);
}

static int
join_latency(const struct perf_case *c, struct perf_env *env, int16_t gid)
{
	struct perf_peer *p = &env->peers[0];
	double *t = calloc(c->cycles, sizeof(*t));
	struct perf_row row;
	char line[64];
	unsigned long n = 0;
	int ret;

	if (t == NULL)
		return perf_case_fail(c, "join latency", -ENOMEM);
	ret = perf_peer_send(p, "joinloop %d %u", gid, c->cycles);
	if (ret == 0)
		ret = perf_peer_wait(p, line, sizeof(line));
	if (ret == 0 && (sscanf(line, "ok %lu", &n) != 1 || n != c->cycles))
		ret = -EPIPE;
	for (unsigned long i = 0; i < n && ret == 0; i++) {
		ret = perf_peer_read_line(p, line, sizeof(line));
		if (ret == 0)
			t[i] = strtod(line, NULL);
	}
	if (ret != 0) {
		free(t);
		return perf_case_fail(c, "a peer's join/leave cycles", ret);
	}
	base_row(c, &row, "join");
	row.size = c->cycles;
	row.ops = c->cycles;
	row.peers = 1;
	perf_percentiles(t, n, &row.lat_p50_ns, &row.lat_p99_ns);
	free(t);
	return perf_report_add(&row) == 0 ? 0 : perf_case_fail(c, "results", -ENOMEM);
}

static int
join_storm(const struct perf_case *c, struct perf_env *env, int16_t gid)
{
	struct perf_peer *s = calloc(c->storm, sizeof(*s));
	struct perf_row row;
	unsigned int started = 0;
	double t0 = 0, t1 = 0;
	char line[64];
	int ret = 0;

	if (s == NULL)
		return perf_case_fail(c, "join storm", -ENOMEM);
	/* Start them all, then wait until each is ready: process start-up is
	 * not what the storm measures. */
	perf_progress("idd-perf: case %u/%u %s: storm: starting %u processes", env->case_no,
		      env->nb_cases, c->name, c->storm);
	for (; started < c->storm && ret == 0; started++)
		ret = perf_peer_spawn(&s[started], STORM_INDEX_BASE + started, 0, env->token,
				      env->self_dom);
	if (ret != 0)
		started--; /* the failed one stopped itself */
	for (unsigned int i = 0; i < started && ret == 0; i++) {
		ret = perf_peer_ready(&s[i]);
		if (ret != 0) /* it stopped itself; keep the others' slots in order */
			s[i].pid = 0;
	}
	if (ret == 0) {
		perf_progress("idd-perf: case %u/%u %s: storm: %u processes joining", env->case_no,
			      env->nb_cases, c->name, c->storm);
		t0 = perf_now();
		for (unsigned int i = 0; i < c->storm && ret == 0; i++)
			ret = perf_peer_send(&s[i], "join %d", gid);
		for (unsigned int i = 0; i < c->storm && ret == 0; i++)
			ret = perf_peer_wait(&s[i], line, sizeof(line));
		t1 = perf_now();
	}
	for (unsigned int i = 0; i < started; i++)
		perf_peer_ask_exit(&s[i]);
	for (unsigned int i = 0; i < started; i++)
		perf_peer_stop(&s[i]);
	free(s);
	if (ret != 0)
		return perf_case_fail(c, "join storm", ret);
	base_row(c, &row, "storm");
	row.size = c->storm;
	row.ops = c->storm;
	row.peers = c->storm;
	row.total_ns = (t1 - t0) * 1e9;
	return perf_report_add(&row) == 0 ? 0 : perf_case_fail(c, "results", -ENOMEM);
}

static int
group_run(const struct perf_case *c, struct perf_env *env)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	int16_t gid;
	int dev, ret;

	dev = idd_dma_dev_create("idd-perf-group", "engine=inline");
	if (dev < 0)
		return perf_case_fail(c, "device create", dev);
	ret = idd_dma_configure((int16_t)dev, &conf);
	if (ret == 0)
		ret = idd_dma_access_pair_group_create((int16_t)dev, env->self_dom, env->token, &gid,
						       NULL);
	if (ret != 0) {
		idd_dma_close((int16_t)dev);
		return perf_case_fail(c, "group create", ret);
	}
	if (c->cycles > 0) {
		perf_progress("idd-perf: case %u/%u %s: join latency, %u cycles", env->case_no,
			      env->nb_cases, c->name, c->cycles);
		ret = join_latency(c, env, gid);
	}
	if (ret == 0 && c->storm > 0)
		ret = join_storm(c, env, gid);
	/* Closing the device ends the group (and any member still in it). */
	idd_dma_close((int16_t)dev);
	return ret;
}

static int
group_check(const struct perf_case *c, char *why, size_t len)
{
	if (c->cycles == 0 && c->storm == 0) {
		snprintf(why, len, "cycles and storm are both 0: nothing to measure");
		return -EINVAL;
	}
	return 0;
}

const struct perf_case_type perf_case_group = {
	.name = "group",
	.summary = "the control plane: join latency (join/leave cycles) and a join storm",
	.keys = PERF_KEY_CYCLES | PERF_KEY_STORM,
	.set_key = NULL,
	.check = group_check,
	.peers_needed = group_peers_needed,
	.peer_window = NULL,
	.run = group_run,
	.cleanup = NULL,
};
