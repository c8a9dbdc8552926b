/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Groups in this process: the device table with its handlers, the group
 * list, members, events, and the five upstream calls as requests to the
 * control thread. The creator's protocol is in creator.c, the joiner's in
 * joiner.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kvargs.h"
#include "common/log.h"
#include "common/trace.h"
#include "dmadev/dmadev_driver.h"
#include "group/control_loop.h"
#include "group/group_internal.h"
#include "mem/window_table.h"

struct group *all_groups;
static struct gdev *all_devs;

/* ---- devices and handlers ---- */

struct gdev *
gdev_get(int16_t dev_id, bool create)
{
	struct gdev *d;

	for (d = all_devs; d != NULL; d = d->next)
		if (d->dev_id == dev_id)
			return d;
	if (!create)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->dev_id = dev_id;
	d->next = all_devs;
	all_devs = d;
	return d;
}

/* Destroying a window table waits for an RCU grace period. Never do that
 * under ctl_lock: a thread inside a read-side section that called a group
 * query would wait for the lock while we wait for it. Hand it to the
 * control thread's deferred work instead, which runs with no lock held. */
struct space_work {
	struct ctl_work w;
	struct mem_wt *space;
};

static void
space_destroy_run(struct ctl_work *w)
{
	struct space_work *sw = (struct space_work *)w;

	mem_wt_destroy(sw->space);
	free(sw);
}

static void
space_destroy_later(struct mem_wt *space)
{
	struct space_work *sw = calloc(1, sizeof(*sw));

	if (sw == NULL) {
		/* Leak the table rather than block under the lock. */
		IDD_LOG(WARNING, "group: a window table is kept: out of memory");
		return;
	}
	sw->w.fn = space_destroy_run;
	sw->space = space;
	ctl_post(&sw->w);
}

/* A device goes: its handler table, and the window tables that retired
 * handlers still held (the device's vchans are gone with it). */
static void
gdev_free(struct gdev *d)
{
	for (unsigned int i = 0; i < 65536 / HCHUNK; i++) {
		if (d->chunks[i] == NULL)
			continue;
		for (unsigned int j = 0; j < HCHUNK; j++)
			if (d->chunks[i][j].space != NULL)
				space_destroy_later(d->chunks[i][j].space);
		free(d->chunks[i]);
	}
	free(d);
}

static struct hent *
hent_get(struct gdev *d, uint16_t h, bool create)
{
	struct hent **chunk = &d->chunks[h / HCHUNK];

	if (*chunk == NULL) {
		if (!create)
			return NULL;
		*chunk = calloc(HCHUNK, sizeof(struct hent));
		if (*chunk == NULL)
			return NULL;
	}
	return &(*chunk)[h % HCHUNK];
}

/* A fresh handler. Round robin over 1..65535, so a number just given up
 * comes back only after every other number was handed out: even a handler
 * released at once is not reused for a long time. */
static uint16_t
handler_alloc(struct gdev *d, struct group *g, uint16_t slot)
{
	for (unsigned int tries = 0; tries < 65535; tries++) {
		uint16_t h = (uint16_t)(d->cursor % 65535u + 1u);
		struct hent *e;

		d->cursor = h;
		e = hent_get(d, h, true);
		if (e == NULL)
			return 0;
		if (e->state == H_FREE) {
			e->state = H_LIVE;
			e->refs = 0;
			e->g = g;
			e->slot = slot;
			d->nb_live++;
			return h;
		}
	}
	return 0;
}

struct retire_work {
	struct ctl_work w;
	group_retire_fn fn;
	void *arg;
	int16_t dev_id;
	uint16_t handler;
};

static void
retire_run(struct ctl_work *w)
{
	struct retire_work *r = (struct retire_work *)w;

	r->fn(r->dev_id, r->handler, r->arg);
	free(r);
}

static void
handler_retire(struct gdev *d, uint16_t h)
{
	struct hent *e = hent_get(d, h, false);

	if (e == NULL || e->state != H_LIVE)
		return;
	e->g = NULL;
	d->nb_live--;
	e->state = e->refs > 0 ? H_RETIRED : H_FREE;
	if (e->state == H_FREE && e->space != NULL) {
		/* Nobody holds it: the (already emptied) table can go. */
		space_destroy_later(e->space);
		e->space = NULL;
	}
	if (d->retire_fn != NULL) {
		struct retire_work *r = calloc(1, sizeof(*r));

		if (r != NULL) {
			r->w.fn = retire_run;
			r->fn = d->retire_fn;
			r->arg = d->retire_arg;
			r->dev_id = d->dev_id;
			r->handler = h;
			ctl_post(&r->w);
		}
	}
}

int
member_assign_handler(struct group *g, struct member *m)
{
	struct hent *e;

	if (m->handler != 0)
		return 0;
	if (!m->is_self && m->space == NULL) {
		m->space = win_space_new(g, m);
		if (m->space == NULL)
			return -ENOMEM;
	}
	m->handler = handler_alloc(g->dev, g, m->slot);
	if (m->handler == 0) {
		IDD_LOG(ERR, "group %d: dev %d has no free handler", g->group_id, g->dev_id);
		return -ENOSPC;
	}
	/* From now on the handler entry owns the table: it outlives the
	 * member while a vchan still holds the handler. */
	e = hent_get(g->dev, m->handler, false);
	if (e != NULL) /* always: handler_alloc() made it */
		e->space = m->space;
	return 0;
}

int
group_handler_acquire(int16_t dev_id, uint16_t handler, struct mem_wt **space)
{
	struct hent *e = NULL;
	struct gdev *d;
	int ret = -EINVAL;

	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, false);
	if (d != NULL && handler != 0)
		e = hent_get(d, handler, false);
	if (e != NULL && e->state == H_LIVE && e->refs < UINT32_MAX) {
		e->refs++;
		if (space != NULL)
			*space = e->space;
		ret = 0;
	}
	pthread_mutex_unlock(&ctl_lock);
	if (ret != 0)
		IDD_LOG(ERR, "dev %d: handler %u refused: it names no present group member",
			dev_id, handler);
	return ret;
}

void
group_handler_release(int16_t dev_id, uint16_t handler)
{
	struct mem_wt *gone = NULL;
	struct hent *e = NULL;
	struct gdev *d;

	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, false);
	if (d != NULL && handler != 0)
		e = hent_get(d, handler, false);
	if (e != NULL && e->state != H_FREE && e->refs > 0) {
		e->refs--;
		if (e->refs == 0 && e->state == H_RETIRED) {
			e->state = H_FREE;
			gone = e->space;
			e->space = NULL;
		}
	}
	pthread_mutex_unlock(&ctl_lock);
	/* Outside the lock: destroying waits for a grace period. */
	if (gone != NULL)
		mem_wt_destroy(gone);
}

void
group_set_retire_hook(int16_t dev_id, group_retire_fn fn, void *arg)
{
	struct gdev *d;

	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, true);
	if (d != NULL) {
		d->retire_fn = fn;
		d->retire_arg = arg;
	}
	pthread_mutex_unlock(&ctl_lock);
}

int
group_handler_state(int16_t dev_id, uint16_t handler)
{
	struct hent *e = NULL;
	struct gdev *d;
	int st = H_FREE;

	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, false);
	if (d != NULL && handler != 0)
		e = hent_get(d, handler, false);
	if (e != NULL)
		st = e->state;
	pthread_mutex_unlock(&ctl_lock);
	return st;
}

/* ---- device options ---- */

int
group_dev_set_options(int16_t dev_id, const char *ns, int abstract)
{
	struct rdv_opts o;
	struct gdev *d;
	int ret;

	ret = rdv_opts_from_env(&o);
	if (ret != 0)
		return ret;
	if (ns != NULL) {
		if (!rdv_ns_valid(ns)) {
			IDD_LOG(ERR, "dev %d: namespace refused: want 1..%d characters of "
				     "[A-Za-z0-9_-]", dev_id, RDV_NS_MAX);
			return -EINVAL;
		}
		snprintf(o.ns, sizeof(o.ns), "%s", ns);
	}
	if (abstract >= 0)
		o.abstract = abstract != 0;
	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, true);
	if (d != NULL) {
		d->opts = o;
		d->opts_set = true;
	}
	pthread_mutex_unlock(&ctl_lock);
	return d != NULL ? 0 : -ENOMEM;
}

int
group_dev_parse_args(int16_t dev_id, struct kvargs *args)
{
	static const char *const bools[] = {"0", "1", NULL};
	unsigned int abstract = 0;
	const char *ns;
	int abs_set, ret;

	ns = kvargs_get(args, "namespace");
	abs_set = kvargs_get(args, "abstract_sockets") != NULL;
	ret = kvargs_get_choice(args, "abstract_sockets", bools, &abstract);
	if (ret != 0)
		return ret;
	return group_dev_set_options(dev_id, ns, abs_set ? (int)abstract : -1);
}

/* The options of a device that never had any set: the environment. */
static int
gdev_opts(struct gdev *d)
{
	int ret;

	if (d->opts_set)
		return 0;
	ret = rdv_opts_from_env(&d->opts);
	if (ret == 0)
		d->opts_set = true;
	return ret;
}

/* ---- groups and members ---- */

struct group *
group_find(int16_t dev_id, int16_t group_id)
{
	for (struct group *g = all_groups; g != NULL; g = g->next)
		if (g->dev_id == dev_id && g->group_id == group_id)
			return g;
	return NULL;
}

struct member *
member_by_domain(struct group *g, const uint8_t domain[WIRE_UUID_LEN])
{
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] != NULL && memcmp(g->m[i]->domain, domain, WIRE_UUID_LEN) == 0)
			return g->m[i];
	return NULL;
}

struct member *
member_new(struct group *g, uint16_t slot, const struct wire_member *wm)
{
	struct member *m;

	if (slot >= WIRE_MAX_MEMBERS || g->m[slot] != NULL)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->slot = slot;
	m->is_creator = wm->is_creator != 0;
	m->pid = wm->pid;
	m->uid = wm->uid;
	memcpy(m->domain, wm->domain, WIRE_UUID_LEN);
	g->m[slot] = m;
	return m;
}

void
wire_member_of(const struct member *m, struct wire_member *wm)
{
	memset(wm, 0, sizeof(*wm));
	wm->slot = m->slot;
	wm->is_creator = m->is_creator;
	wm->pid = m->pid;
	wm->uid = m->uid;
	memcpy(wm->domain, m->domain, WIRE_UUID_LEN);
}

/* ---- events ---- */

struct event_work {
	struct ctl_work w;
	bool cancelled;
	int16_t dev_id, group_id;
	enum idd_dma_group_event ev;
	uint8_t domain[WIRE_UUID_LEN];
	idd_dma_access_pair_group_event_cb_t cb;
	idd_dma_group_event_cb_t ext_cb;
	void *ext_arg;
	struct event_work *next_ev; /* list of queued events, for cancelling */
	struct event_work *prev_ev;
};

static struct event_work *queued_events;

static void
event_unlink(struct event_work *e)
{
	if (e->prev_ev != NULL)
		e->prev_ev->next_ev = e->next_ev;
	else
		queued_events = e->next_ev;
	if (e->next_ev != NULL)
		e->next_ev->prev_ev = e->prev_ev;
}

static void
event_run(struct ctl_work *w)
{
	struct event_work *e = (struct event_work *)w;
	bool cancelled;

	/* Unlink under the lock; a cancel that comes later finds nothing.
	 * Cancels run on this same thread (requests), so none can happen
	 * between this check and the call below. */
	pthread_mutex_lock(&ctl_lock);
	cancelled = e->cancelled;
	event_unlink(e);
	pthread_mutex_unlock(&ctl_lock);
	if (!cancelled) {
		trace_group_event(e->dev_id, e->group_id, e->domain, e->ev);
		/* Upstream's callback only knows upstream's two events. */
		if (e->cb != NULL && e->ev != IDD_DMA_GROUP_EV_MEMBER_JOINED)
			e->cb(e->dev_id, e->group_id, e->domain,
			      (enum idd_dma_access_pair_group_event_type)e->ev);
		if (e->ext_cb != NULL)
			e->ext_cb(e->dev_id, e->group_id, e->domain, e->ev, e->ext_arg);
	}
	free(e);
}

void
group_post_event(struct group *g, const uint8_t domain[WIRE_UUID_LEN], enum idd_dma_group_event ev)
{
	struct event_work *e;

	if (g->cb == NULL && g->ext_cb == NULL)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		IDD_LOG(ERR, "group %d: event lost: out of memory", g->group_id);
		return;
	}
	e->w.fn = event_run;
	e->dev_id = g->dev_id;
	e->group_id = g->group_id;
	e->ev = ev;
	memcpy(e->domain, domain, WIRE_UUID_LEN);
	e->cb = g->cb;
	e->ext_cb = g->ext_cb;
	e->ext_arg = g->ext_arg;
	e->next_ev = queued_events;
	if (queued_events != NULL)
		queued_events->prev_ev = e;
	queued_events = e;
	ctl_post(&e->w);
}

/* Cancel queued events of @dev_id (all groups when @group_id < 0). With
 * @ext_only, only the extended callback is dropped. */
static void
events_cancel(int16_t dev_id, int group_id, bool ext_only)
{
	for (struct event_work *e = queued_events; e != NULL; e = e->next_ev) {
		if (e->dev_id != dev_id || (group_id >= 0 && e->group_id != group_id))
			continue;
		if (ext_only)
			e->ext_cb = NULL;
		else
			e->cancelled = true;
	}
}

/* ---- removal ---- */

void
member_remove(struct group *g, struct member *m, bool notify)
{
	uint8_t domain[WIRE_UUID_LEN];

	memcpy(domain, m->domain, WIRE_UUID_LEN);
	win_free_member(g, m);
	dir_remove_owner(g, m->slot);
	if (m->handler != 0)
		handler_retire(g->dev, m->handler);
	if (m->handler == 0 && m->space != NULL)
		space_destroy_later(m->space); /* never handed to a handler */
	g->m[m->slot] = NULL;
	if (m->conn != NULL) {
		m->conn->owner = NULL;
		conn_close(m->conn);
	}
	free(m);
	if (notify)
		group_post_event(g, domain, IDD_DMA_GROUP_EV_MEMBER_LEFT);
}

void
group_free(struct group *g)
{
	for (struct group **pp = &all_groups; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->join_req != NULL) {
		ctl_complete(g->join_req, -ENOENT);
		g->join_req = NULL;
	}
	ctl_timer_cancel(&g->jtimer);
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] != NULL)
			member_remove(g, g->m[i], false);
	dir_free(g);
	if (g->listen != NULL) {
		g->listen->owner = NULL;
		conn_close(g->listen);
		rdv_unlink(&g->opts, g->group_id);
	}
	if (g->link != NULL) {
		g->link->owner = NULL;
		conn_close_when_flushed(g->link);
	}
	/* Handshakes in progress with this group (not members yet). */
	conn_close_owned(g);
	auth_wipe(g->token, sizeof(g->token));
	auth_wipe(&g->actx, sizeof(g->actx));
	free(g);
}

static struct group *
group_new(struct gdev *d, int16_t group_id, bool creator, const uint8_t domain[WIRE_UUID_LEN],
	  const uint8_t token[AUTH_TOKEN_LEN], idd_dma_access_pair_group_event_cb_t cb)
{
	struct group *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->dev = d;
	g->dev_id = d->dev_id;
	g->group_id = group_id;
	g->creator = creator;
	g->opts = d->opts;
	memcpy(g->token, token, AUTH_TOKEN_LEN);
	memcpy(g->self_domain, domain, WIRE_UUID_LEN);
	g->cb = cb;
	g->next_req_id = 1;
	g->next = all_groups;
	all_groups = g;
	return g;
}

/* Refuse a create or join that would put this process in more than
 * IDD_DMA_GROUP_MAX_PER_PROCESS groups (one line, -ENOSPC). */
static int
groups_full(struct ctl_req *req, const char *what, int group_id, int16_t dev_id)
{
	unsigned int n = 0;

	for (const struct group *g = all_groups; g != NULL; g = g->next)
		n++;
	if (n < IDD_DMA_GROUP_MAX_PER_PROCESS)
		return 0;
	if (group_id < 0)
		IDD_LOG(ERR, "dev %d: group %s refused: this process is in %u groups "
			     "(IDD_DMA_GROUP_MAX_PER_PROCESS)", dev_id, what, n);
	else
		IDD_LOG(ERR, "group %d: %s by dev %d refused: this process is in %u groups "
			     "(IDD_DMA_GROUP_MAX_PER_PROCESS)", group_id, what, dev_id, n);
	ctl_complete(req, -ENOSPC);
	return -ENOSPC;
}

/* ---- create ---- */

struct create_req {
	struct ctl_req req;
	int16_t dev_id;
	const uint8_t *domain, *token;
	idd_dma_access_pair_group_event_cb_t cb;
	int16_t group_id;
};

/* Ids that a group of this very process holds in the same namespace:
 * skipping them saves a connect probe each. A bitmap, built once per
 * create, so that a process with many groups creates the next one in time
 * linear in their number. */
struct skip_arg {
	uint8_t bits[(RDV_GROUP_ID_MAX + 1) / 8];
};

static bool
skip_own(int id, void *arg)
{
	const struct skip_arg *sa = arg;

	return (sa->bits[id / 8] >> (id % 8)) & 1;
}

static struct skip_arg *
own_ids(const struct rdv_opts *o)
{
	struct skip_arg *sa = calloc(1, sizeof(*sa));

	if (sa == NULL)
		return NULL;
	for (struct group *g = all_groups; g != NULL; g = g->next)
		if (g->group_id >= 0 && g->opts.abstract == o->abstract &&
		    strcmp(g->opts.ns, o->ns) == 0)
			sa->bits[g->group_id / 8] |= (uint8_t)(1u << (g->group_id % 8));
	return sa;
}

static void
create_run(struct ctl_req *req)
{
	struct create_req *r = (struct create_req *)req;
	struct wire_member self = {.slot = 0, .is_creator = 1};
	struct skip_arg *sa;
	struct group *g;
	struct member *m;
	struct gdev *d;
	int fd, gid = -1, ret;

	if (groups_full(req, "create", -1, r->dev_id) != 0)
		return;
	d = gdev_get(r->dev_id, true);
	if (d == NULL) {
		ctl_complete(req, -ENOMEM);
		return;
	}
	ret = gdev_opts(d);
	if (ret != 0) {
		ctl_complete(req, ret);
		return;
	}
	sa = own_ids(&d->opts);
	if (sa == NULL) {
		ctl_complete(req, -ENOMEM);
		return;
	}
	fd = rdv_listen(&d->opts, skip_own, sa, &gid);
	free(sa);
	if (fd < 0) {
		/* rdv_listen() logged the one line that says why. */
		ctl_complete(req, fd);
		return;
	}
	g = group_new(d, (int16_t)gid, true, r->domain, r->token, r->cb);
	if (g == NULL) {
		close(fd);
		rdv_unlink(&d->opts, gid);
		ctl_complete(req, -ENOMEM);
		return;
	}
	g->state = G_ACTIVE;
	g->self_slot = 0;
	self.pid = (uint32_t)getpid();
	self.uid = (uint32_t)geteuid();
	memcpy(self.domain, r->domain, WIRE_UUID_LEN);
	m = member_new(g, 0, &self);
	if (m != NULL) {
		m->is_self = true;
		m->active = true;
	}
	g->listen = conn_add(fd, true, &creator_listen_ops, g);
	if (m == NULL || g->listen == NULL || member_assign_handler(g, m) != 0) {
		group_free(g);
		ctl_complete(req, -ENOMEM);
		return;
	}
	IDD_LOG(INFO, "group %d: created by dev %d in namespace %s", gid, r->dev_id, g->opts.ns);
	r->group_id = (int16_t)gid;
	ctl_complete(req, 0);
}

int
group_create(int16_t dev_id, const unsigned char domain_id[16], const unsigned char token[16],
	     idd_dma_access_pair_group_event_cb_t cb, int16_t *group_id)
{
	struct create_req r = {.req.fn = create_run, .dev_id = dev_id, .domain = domain_id,
			       .token = token, .cb = cb};
	int ret;

	if (group_id == NULL || domain_id == NULL || token == NULL) {
		IDD_LOG(ERR, "dev %d: group create refused: %s is NULL", dev_id,
			group_id == NULL ? "group_id" : domain_id == NULL ? "domain_id" : "token");
		return -EINVAL;
	}
	ret = auth_init();
	if (ret == 0)
		ret = ctl_start();
	if (ret == 0)
		ret = win_listen_start();
	if (ret != 0)
		return ret;
	ret = ctl_call(&r.req);
	if (ret == 0)
		*group_id = r.group_id;
	return ret;
}

/* ---- join ---- */

struct join_req {
	struct ctl_req req;
	int16_t dev_id, group_id;
	const uint8_t *domain, *token;
	idd_dma_access_pair_group_event_cb_t cb;
};

static void
join_run(struct ctl_req *req)
{
	struct join_req *r = (struct join_req *)req;
	struct group *g;
	struct gdev *d;
	int ret;

	if (group_find(r->dev_id, r->group_id) != NULL) {
		IDD_LOG(ERR, "group %d: join by dev %d refused: the device is already a member",
			r->group_id, r->dev_id);
		ctl_complete(req, -EEXIST);
		return;
	}
	if (groups_full(req, "join", r->group_id, r->dev_id) != 0)
		return;
	d = gdev_get(r->dev_id, true);
	if (d == NULL) {
		ctl_complete(req, -ENOMEM);
		return;
	}
	ret = gdev_opts(d);
	if (ret != 0) {
		ctl_complete(req, ret);
		return;
	}
	g = group_new(d, r->group_id, false, r->domain, r->token, r->cb);
	if (g == NULL) {
		ctl_complete(req, -ENOMEM);
		return;
	}
	g->state = G_JOINING;
	g->join_req = req;
	joiner_start(g);
}

int
group_join(int16_t dev_id, const unsigned char domain_id[16], const unsigned char token[16],
	   int16_t group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	struct join_req r = {.req.fn = join_run, .dev_id = dev_id, .group_id = group_id,
			     .domain = domain_id, .token = token, .cb = cb};
	int ret;

	if (domain_id == NULL || token == NULL) {
		IDD_LOG(ERR, "group %d: join by dev %d refused: %s is NULL", group_id, dev_id,
			domain_id == NULL ? "domain_id" : "token");
		return -EINVAL;
	}
	if (group_id < 0) {
		IDD_LOG(ERR, "group %d: join by dev %d refused: no such group", group_id, dev_id);
		return -ENOENT;
	}
	ret = auth_init();
	if (ret == 0)
		ret = ctl_start();
	if (ret == 0)
		ret = win_listen_start();
	if (ret != 0)
		return ret;
	return ctl_call(&r.req);
}

/* ---- leave, destroy ---- */

struct simple_req {
	struct ctl_req req;
	int16_t dev_id, group_id;
};

static struct group *
find_or_refuse(struct ctl_req *req, int16_t dev_id, int16_t group_id, const char *what)
{
	struct group *g = group_find(dev_id, group_id);

	if (g == NULL || g->state != G_ACTIVE) {
		IDD_LOG(ERR, "group %d: %s by dev %d refused: the device is not in that group",
			group_id, what, dev_id);
		ctl_complete(req, -ENOENT);
		return NULL;
	}
	return g;
}

static void
leave_run(struct ctl_req *req)
{
	struct simple_req *r = (struct simple_req *)req;
	struct group *g = find_or_refuse(req, r->dev_id, r->group_id, "leave");

	if (g == NULL)
		return;
	if (g->creator) {
		IDD_LOG(ERR, "group %d: leave by dev %d refused: the creator may not leave "
			     "(destroy the group instead)", r->group_id, r->dev_id);
		ctl_complete(req, -EPERM);
		return;
	}
	IDD_LOG(INFO, "group %d: dev %d leaves", g->group_id, g->dev_id);
	joiner_leave(g, req);
}

int
group_leave(int16_t dev_id, int16_t group_id)
{
	struct simple_req r = {.req.fn = leave_run, .dev_id = dev_id, .group_id = group_id};

	return ctl_call(&r.req);
}

static void
destroy_run(struct ctl_req *req)
{
	struct simple_req *r = (struct simple_req *)req;
	struct group *g = find_or_refuse(req, r->dev_id, r->group_id, "destroy");
	unsigned int others = 0;

	if (g == NULL)
		return;
	if (!g->creator) {
		IDD_LOG(ERR, "group %d: destroy by dev %d refused: only the creator may destroy",
			r->group_id, r->dev_id);
		ctl_complete(req, -EPERM);
		return;
	}
	for (unsigned int i = 1; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] != NULL && g->m[i]->active)
			others++;
	if (others > 0) {
		IDD_LOG(ERR, "group %d: destroy by dev %d refused: %u member%s still in it",
			r->group_id, r->dev_id, others, others == 1 ? " is" : "s are");
		ctl_complete(req, -EBUSY);
		return;
	}
	/* Joiners still in their handshake are told, like members would be. */
	creator_shutdown(g);
	IDD_LOG(INFO, "group %d: destroyed by dev %d", r->group_id, r->dev_id);
	group_free(g);
	ctl_complete(req, 0);
}

int
group_destroy(int16_t dev_id, int16_t group_id)
{
	struct simple_req r = {.req.fn = destroy_run, .dev_id = dev_id, .group_id = group_id};

	return ctl_call(&r.req);
}

/* ---- queries ---- */

int
group_handler_get(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
		  uint16_t *handler)
{
	struct member *m = NULL;
	struct group *g;
	int ret = -ENOENT;

	if (handler == NULL || domain_id == NULL) {
		IDD_LOG(ERR, "group %d: handler get by dev %d refused: %s is NULL", group_id,
			dev_id, handler == NULL ? "handler" : "domain_id");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctl_lock);
	g = group_find(dev_id, group_id);
	if (g != NULL && g->state == G_ACTIVE)
		m = member_by_domain(g, domain_id);
	if (m != NULL && m->active && m->handler != 0) {
		*handler = m->handler;
		ret = 0;
	}
	pthread_mutex_unlock(&ctl_lock);
	if (ret != 0)
		IDD_LOG(ERR, "group %d: handler get by dev %d refused: %s", group_id, dev_id,
			g == NULL ? "the device is not in that group" : "no such member domain");
	return ret;
}

int
idd_dma_access_pair_group_members(int16_t dev_id, int16_t group_id,
				  struct idd_dma_group_member *members, unsigned int max)
{
	struct group *g;
	int n = 0;

	if (members == NULL && max != 0) {
		IDD_LOG(ERR, "group %d: member list for dev %d refused: NULL members with max %u",
			group_id, dev_id, max);
		return -EINVAL;
	}
	struct idd_dma_dev *xd = dmadev_group_ext_begin(dev_id); /* groups of another driver */

	if (xd != NULL)
		return dmadev_group_ext_end(xd, xd->dev_ops->group_ext->members(xd, group_id, members,
										max));
	pthread_mutex_lock(&ctl_lock);
	g = group_find(dev_id, group_id);
	if (g == NULL || g->state != G_ACTIVE) {
		pthread_mutex_unlock(&ctl_lock);
		IDD_LOG(ERR, "group %d: member list by dev %d refused: the device is not in "
			     "that group", group_id, dev_id);
		return -ENOENT;
	}
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++) {
		const struct member *m = g->m[i];

		if (m == NULL || !m->active)
			continue;
		if ((unsigned int)n < max) {
			struct idd_dma_group_member *o = &members[n];

			memset(o, 0, sizeof(*o));
			memcpy(o->domain_id, m->domain, WIRE_UUID_LEN);
			o->handler = m->handler;
			o->is_creator = m->is_creator;
			o->is_self = m->is_self;
			o->pid = (int32_t)m->pid;
			o->uid = m->uid;
		}
		n++;
	}
	pthread_mutex_unlock(&ctl_lock);
	return n;
}

/* ---- extended event registration ---- */

struct register_req {
	struct ctl_req req;
	int16_t dev_id, group_id;
	idd_dma_group_event_cb_t cb;
	void *arg;
};

static void
register_run(struct ctl_req *req)
{
	struct register_req *r = (struct register_req *)req;
	struct group *g = find_or_refuse(req, r->dev_id, r->group_id, "event register");

	if (g == NULL)
		return;
	/* Running on the control thread, so no callback of this group is
	 * running now (unless we are inside it); events already queued for
	 * the old callback are dropped. */
	events_cancel(r->dev_id, r->group_id, true);
	g->ext_cb = r->cb;
	g->ext_arg = r->arg;
	ctl_complete(req, 0);
}

int
idd_dma_access_pair_group_event_register(int16_t dev_id, int16_t group_id,
					 idd_dma_group_event_cb_t cb, void *user_data)
{
	struct register_req r = {.req.fn = register_run, .dev_id = dev_id, .group_id = group_id,
				 .cb = cb, .arg = user_data};
	struct idd_dma_dev *xd = dmadev_group_ext_begin(dev_id); /* groups of another driver */
	int ret = xd != NULL ? dmadev_group_ext_end(xd, xd->dev_ops->group_ext->event_register(
								    xd, group_id, cb, user_data))
			     : ctl_call(&r.req);

	trace_group_event_register(dev_id, group_id, (const void *)cb, user_data, ret);
	return ret;
}

/* ---- device close, exit, fork ---- */

void
group_dev_close(int16_t dev_id)
{
	struct group *next;
	struct gdev **pp, *d;

	/* Runs on the caller's thread under ctl_lock, not as a request: the
	 * dmadev layer calls dev_close under its registry lock, and a request
	 * would wait for a control thread that may itself be waiting for
	 * that lock inside a callback. Nothing here waits for a peer. */
	pthread_mutex_lock(&ctl_lock);
	d = gdev_get(dev_id, false);
	if (d != NULL)
		d->retire_fn = NULL; /* the driver is tearing the device down itself */
	for (struct group *g = all_groups; g != NULL; g = next) {
		next = g->next;
		if (g->dev_id != dev_id)
			continue;
		if (g->creator) {
			creator_shutdown(g);
			IDD_LOG(INFO, "group %d: ended by the close of its creator dev %d",
				g->group_id, dev_id);
		} else if (g->state == G_ACTIVE) {
			struct wire_msg m = {.type = WIRE_LEAVE};

			conn_send(g->link, &m, -1);
			IDD_LOG(INFO, "group %d: dev %d left (device closed)", g->group_id, dev_id);
		}
		group_free(g);
	}
	events_cancel(dev_id, -1, false);
	for (pp = &all_devs; (d = *pp) != NULL; pp = &d->next) {
		if (d->dev_id == dev_id) {
			*pp = d->next;
			gdev_free(d);
			break;
		}
	}
	pthread_mutex_unlock(&ctl_lock);
}

void
group_shutdown_all(void)
{
	while (all_groups != NULL) {
		struct group *g = all_groups;

		if (g->creator)
			creator_shutdown(g);
		group_free(g);
	}
	while (all_devs != NULL) {
		struct gdev *d = all_devs;

		all_devs = d->next;
		gdev_free(d);
	}
	win_shutdown();
}

/* What a forked child abandoned of its parent's state, still pointed at: a
 * leak checker in the child (valgrind follows forks) then sees it as
 * reachable, not lost, and a real leak stays visible. volatile: the stores
 * stay, though nothing reads them. */
static volatile struct {
	struct group *groups;
	struct gdev *devs;
	struct event_work *events;
} forgotten;

void
group_forget_all(void)
{
	/* The sockets are closed by conn_forget_all(); the names stay, they
	 * are the parent's. Memory is abandoned: the child may not know what
	 * else the parent's other threads were doing with it. */
	for (struct group *g = all_groups; g != NULL; g = g->next)
		auth_wipe(g->token, sizeof(g->token));
	forgotten.groups = all_groups;
	forgotten.devs = all_devs;
	forgotten.events = queued_events;
	all_groups = NULL;
	all_devs = NULL;
	queued_events = NULL;
	creator_forget();
	win_forget();
}
