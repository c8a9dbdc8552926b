/* SPDX-License-Identifier: BSD-3-Clause */
/* Group snapshots for telemetry: see group_query.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group/group_internal.h"
#include "group/group_query.h"

static const char *
state_name(enum gstate s)
{
	switch (s) {
	case G_JOINING:
		return "joining";
	case G_ACTIVE:
		return "active";
	case G_LEAVING:
		return "leaving";
	}
	return "unknown";
}

static void
member_snap(const struct member *m, struct group_query_member *o)
{
	o->slot = m->slot;
	o->active = m->active;
	o->is_creator = m->is_creator;
	o->is_self = m->is_self;
	memcpy(o->domain, m->domain, sizeof(o->domain));
	o->pid = m->pid;
	o->uid = m->uid;
	o->handler = m->handler;
	for (const struct window *w = m->windows; w != NULL; w = w->next) {
		if (o->nb_listed < GROUP_QUERY_WINDOWS_MAX) {
			struct group_query_window *ow = &o->windows[o->nb_listed++];

			ow->base = w->base;
			ow->len = w->len;
			ow->perms = w->perms;
		}
		o->nb_windows++;
	}
}

/* ctl_lock held. */
static int
group_snap(const struct group *g, struct group_query *o)
{
	unsigned int n = 0;

	o->dev_id = g->dev_id;
	o->group_id = g->group_id;
	o->creator = g->creator;
	o->state = state_name(g->state);
	snprintf(o->ns, sizeof(o->ns), "%s", g->opts.ns);
	o->abstract = g->opts.abstract;
	o->self_slot = g->self_slot;
	o->nb_dir = g->nb_dir;
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++)
		n += g->m[i] != NULL;
	if (n == 0)
		return 0;
	o->members = calloc(n, sizeof(*o->members));
	if (o->members == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] != NULL)
			member_snap(g->m[i], &o->members[o->nb_members++]);
	return 0;
}

int
group_query_all(struct group_query **out, unsigned int *count)
{
	struct group_query *arr = NULL;
	unsigned int n = 0, i = 0;
	int ret = 0;

	*out = NULL;
	*count = 0;
	pthread_mutex_lock(&ctl_lock);
	for (const struct group *g = all_groups; g != NULL; g = g->next)
		n++;
	if (n > 0) {
		arr = calloc(n, sizeof(*arr));
		if (arr == NULL)
			ret = -ENOMEM;
	}
	for (const struct group *g = all_groups; ret == 0 && g != NULL; g = g->next, i++)
		ret = group_snap(g, &arr[i]);
	pthread_mutex_unlock(&ctl_lock);
	if (ret != 0) {
		group_query_free(arr, n);
		return ret;
	}
	*out = arr;
	*count = n;
	return 0;
}

void
group_query_free(struct group_query *groups, unsigned int count)
{
	if (groups == NULL)
		return;
	for (unsigned int i = 0; i < count; i++)
		free(groups[i].members);
	free(groups);
}

int
group_query_dev_namespace(int16_t dev_id, char ns[RDV_NS_MAX + 1])
{
	const struct gdev *d;
	int ret = -ENOENT;

	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, false);
	if (d != NULL && d->opts_set) {
		snprintf(ns, RDV_NS_MAX + 1, "%s", d->opts.ns);
		ret = 0;
	}
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}
