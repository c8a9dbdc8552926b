/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-group directory of named buffers. The creator holds the
 * authoritative copy and decides (a name is taken once per group); every
 * member keeps a replica, updated by DIR_ENTRY/DIR_REMOVE in the same
 * ordered stream as membership, so lookups are local and a lookup that
 * waits is woken by the replica's update. Entries of a departed member are
 * dropped by every member when it hears MEMBER_LEFT, so no message is
 * needed for them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dmadev/dmadev_driver.h"
#include "group/group_internal.h"

/* A lookup waiting for a name. */
struct dir_wait {
	struct ctl_req req;
	struct dir_wait *next;
	int16_t dev_id, group_id;
	const char *name;
	int timeout_ms;
	struct idd_dma_group_buffer *out;
	struct ctl_timer timer;
	struct group *g;
};

/* A joiner's publish or unpublish waiting for the creator's answer. */
struct pub_req {
	struct ctl_req req;
	struct pub_req *next;
	int16_t dev_id, group_id;
	bool publish;
	const char *name;
	uint64_t addr, len;
	uint32_t id;
	struct group *g;
};

static struct dir_entry *
dir_find(struct group *g, const char *name)
{
	for (struct dir_entry *e = g->dir; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void
fill_out(struct group *g, const struct dir_entry *e, struct idd_dma_group_buffer *out)
{
	const struct member *m = g->m[e->owner_slot];

	memset(out, 0, sizeof(*out));
	if (m != NULL) {
		memcpy(out->domain_id, m->domain, WIRE_UUID_LEN);
		out->handler = m->handler;
	}
	out->addr = e->addr;
	out->len = e->len;
}

static void
wait_unlink(struct group *g, struct dir_wait *w)
{
	for (struct dir_wait **pp = &g->waits; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

int
dir_add(struct group *g, uint16_t owner_slot, const char *name, uint64_t addr, uint64_t len)
{
	struct dir_entry *e;
	struct dir_wait *w, *next;

	if (dir_find(g, name) != NULL)
		return -EEXIST;
	if (g->nb_dir >= DIR_MAX_ENTRIES)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->owner_slot = owner_slot;
	e->addr = addr;
	e->len = len;
	e->next = g->dir;
	g->dir = e;
	g->nb_dir++;
	for (w = g->waits; w != NULL; w = next) {
		next = w->next;
		if (strcmp(w->name, name) != 0)
			continue;
		fill_out(g, e, w->out);
		wait_unlink(g, w);
		ctl_timer_cancel(&w->timer);
		ctl_complete(&w->req, 0);
	}
	return 0;
}

int
dir_remove(struct group *g, uint16_t owner_slot, const char *name, bool check_owner)
{
	for (struct dir_entry **pp = &g->dir; *pp != NULL; pp = &(*pp)->next) {
		struct dir_entry *e = *pp;

		if (strcmp(e->name, name) != 0)
			continue;
		if (check_owner && e->owner_slot != owner_slot)
			return -EPERM;
		*pp = e->next;
		free(e);
		g->nb_dir--;
		return 0;
	}
	return -ENOENT;
}

void
dir_remove_owner(struct group *g, uint16_t owner_slot)
{
	struct dir_entry **pp = &g->dir;

	while (*pp != NULL) {
		struct dir_entry *e = *pp;

		if (e->owner_slot == owner_slot) {
			*pp = e->next;
			free(e);
			g->nb_dir--;
		} else {
			pp = &e->next;
		}
	}
}

void
dir_free(struct group *g)
{
	while (g->dir != NULL) {
		struct dir_entry *e = g->dir;

		g->dir = e->next;
		free(e);
	}
	g->nb_dir = 0;
	/* Waiters learn that the group is gone. */
	while (g->waits != NULL) {
		struct dir_wait *w = g->waits;

		g->waits = w->next;
		ctl_timer_cancel(&w->timer);
		ctl_complete(&w->req, -ENOENT);
	}
	while (g->pubs != NULL) {
		struct pub_req *p = g->pubs;

		g->pubs = p->next;
		ctl_complete(&p->req, -ENOENT);
	}
}

/* Why the creator refused a change, for the log line of either side. */
static const char *
refusal(int err, bool publish)
{
	switch (err) {
	case ENOSPC:
		return "the directory is full (IDD_DMA_GROUP_MAX_BUFFERS entries)";
	case EEXIST:
		return "the name is taken";
	case EINVAL:
		return "the range wraps around the address space";
	case EPERM:
		return "another member published it";
	case ENOENT:
		return publish ? "no such member" : "the name is not published";
	default:
		return strerror(err);
	}
}

/* The creator applies a change (its own or a member's) and tells everyone. */
static int
creator_apply(struct group *g, uint16_t slot, bool publish, const char *name, uint64_t addr,
	      uint64_t len)
{
	struct wire_msg m = {.type = publish ? WIRE_DIR_ENTRY : WIRE_DIR_REMOVE};
	int ret;

	/* The wire checks len > 0; a member's range must not wrap either. */
	if (publish && len - 1 > UINT64_MAX - addr)
		return -EINVAL;
	ret = publish ? dir_add(g, slot, name, addr, len) : dir_remove(g, slot, name, true);
	if (ret != 0)
		return ret;
	m.u.dir.owner_slot = slot;
	m.u.dir.addr = addr;
	m.u.dir.len = len;
	m.u.dir.name_len = (uint8_t)strlen(name);
	memcpy(m.u.dir.name, name, m.u.dir.name_len);
	creator_broadcast(g, &m, -1, NULL);
	return 0;
}

void
dir_creator_request(struct group *g, struct member *from, const struct wire_msg *m)
{
	struct wire_msg r = {.type = WIRE_DIR_RESULT};
	bool publish = m->type == WIRE_DIR_PUBLISH;
	int ret;

	ret = creator_apply(g, from->slot, publish, m->u.dir.name, m->u.dir.addr, m->u.dir.len);
	if (ret != 0)
		IDD_LOG(ERR, "group %d: %s of \"%s\" by pid %u refused: %s", g->group_id,
			publish ? "publish" : "unpublish", m->u.dir.name, from->pid,
			refusal(-ret, publish));
	r.u.dir.req_id = m->u.dir.req_id;
	r.u.dir.code = -ret;
	if (from->conn != NULL)
		conn_send(from->conn, &r, -1);
}

void
dir_joiner_result(struct group *g, const struct wire_msg *m)
{
	for (struct pub_req **pp = &g->pubs; *pp != NULL; pp = &(*pp)->next) {
		struct pub_req *p = *pp;

		if (p->id != m->u.dir.req_id)
			continue;
		*pp = p->next;
		if (m->u.dir.code != 0)
			IDD_LOG(ERR, "group %d: %s of \"%s\" by dev %d refused by the creator: %s",
				g->group_id, p->publish ? "publish" : "unpublish", p->name,
				g->dev_id, refusal(m->u.dir.code, p->publish));
		ctl_complete(&p->req, -m->u.dir.code);
		return;
	}
}

/* ---- public calls ---- */

static void
pub_run(struct ctl_req *req)
{
	struct pub_req *p = (struct pub_req *)req;
	struct group *g = group_find(p->dev_id, p->group_id);
	struct wire_msg m;
	int ret;

	if (g == NULL || g->state != G_ACTIVE) {
		IDD_LOG(ERR, "group %d: %s by dev %d refused: the device is not in that group",
			p->group_id, p->publish ? "publish" : "unpublish", p->dev_id);
		ctl_complete(req, -ENOENT);
		return;
	}
	if (g->creator) {
		ret = creator_apply(g, 0, p->publish, p->name, p->addr, p->len);
		if (ret != 0)
			IDD_LOG(ERR, "group %d: %s of \"%s\" by dev %d refused: %s", g->group_id,
				p->publish ? "publish" : "unpublish", p->name, p->dev_id,
				refusal(-ret, p->publish));
		ctl_complete(req, ret);
		return;
	}
	/* A joiner asks the creator, which alone decides who gets a name. */
	memset(&m, 0, sizeof(m));
	m.type = p->publish ? WIRE_DIR_PUBLISH : WIRE_DIR_UNPUBLISH;
	p->id = g->next_req_id++;
	m.u.dir.req_id = p->id;
	m.u.dir.addr = p->addr;
	m.u.dir.len = p->len;
	m.u.dir.name_len = (uint8_t)strlen(p->name);
	memcpy(m.u.dir.name, p->name, m.u.dir.name_len);
	p->g = g;
	p->next = g->pubs;
	g->pubs = p;
	/* If the send fails the link is closing: group_free() completes us. */
	conn_send(g->link, &m, -1);
}

static int
check_name(int16_t dev_id, int16_t group_id, const char *name, const char *what)
{
	char why[64];
	size_t n = 0;

	if (wire_name_valid(name))
		return 0;
	/* Say what is wrong, without printing the name itself: it may hold
	 * anything, and be of any length. */
	if (name == NULL) {
		snprintf(why, sizeof(why), "NULL name");
	} else {
		while (name[n] != '\0' && n <= WIRE_NAME_MAX &&
		       (unsigned char)name[n] >= 0x21 && (unsigned char)name[n] <= 0x7e)
			n++;
		if (n == 0 && name[0] == '\0')
			snprintf(why, sizeof(why), "empty name");
		else if (n > WIRE_NAME_MAX)
			snprintf(why, sizeof(why), "name longer than %d characters",
				 WIRE_NAME_MAX);
		else
			snprintf(why, sizeof(why), "byte 0x%02x at position %zu of the name",
				 (unsigned char)name[n], n);
	}
	IDD_LOG(ERR, "group %d: %s by dev %d refused: %s (a name is 1..%d printable "
		     "characters, no space)", group_id, what, dev_id, why, WIRE_NAME_MAX);
	return -EINVAL;
}

int
idd_dma_group_buffer_publish(int16_t dev_id, int16_t group_id, const char *name, const void *addr,
			     size_t len)
{
	struct pub_req p = {.req.fn = pub_run, .dev_id = dev_id, .group_id = group_id,
			    .publish = true, .name = name, .addr = (uint64_t)(uintptr_t)addr,
			    .len = len};
	int ret = check_name(dev_id, group_id, name, "publish");

	if (ret != 0)
		return ret;
	if (addr == NULL || len == 0 || len - 1 > UINTPTR_MAX - (uintptr_t)addr) {
		IDD_LOG(ERR, "group %d: publish of \"%s\" by dev %d refused: %s", group_id, name,
			dev_id, addr == NULL ? "NULL address" : len == 0 ? "zero length"
					     : "the range wraps around the address space");
		return -EINVAL;
	}
	struct idd_dma_dev *xd = dmadev_group_ext_begin(dev_id); /* groups of another driver */

	if (xd != NULL)
		return dmadev_group_ext_end(xd, xd->dev_ops->group_ext->publish(
							xd, group_id, name, p.addr, len));
	return ctl_call(&p.req);
}

int
idd_dma_group_buffer_unpublish(int16_t dev_id, int16_t group_id, const char *name)
{
	struct pub_req p = {.req.fn = pub_run, .dev_id = dev_id, .group_id = group_id,
			    .publish = false, .name = name};
	int ret = check_name(dev_id, group_id, name, "unpublish");

	if (ret != 0)
		return ret;
	struct idd_dma_dev *xd = dmadev_group_ext_begin(dev_id); /* groups of another driver */

	if (xd != NULL)
		return dmadev_group_ext_end(xd, xd->dev_ops->group_ext->unpublish(xd, group_id, name));
	return ctl_call(&p.req);
}

static void
wait_timer(struct ctl_timer *t)
{
	struct dir_wait *w = (struct dir_wait *)((char *)t - offsetof(struct dir_wait, timer));

	wait_unlink(w->g, w);
	ctl_complete(&w->req, -ETIMEDOUT);
}

static void
wait_run(struct ctl_req *req)
{
	struct dir_wait *w = (struct dir_wait *)req;
	struct group *g = group_find(w->dev_id, w->group_id);
	struct dir_entry *e;

	if (g == NULL || g->state != G_ACTIVE) {
		ctl_complete(req, -ENOENT);
		return;
	}
	e = dir_find(g, w->name);
	if (e != NULL) {
		fill_out(g, e, w->out);
		ctl_complete(req, 0);
		return;
	}
	w->g = g;
	w->next = g->waits;
	g->waits = w;
	if (w->timeout_ms > 0)
		ctl_timer_arm(&w->timer, (uint64_t)w->timeout_ms, wait_timer);
}

int
idd_dma_group_buffer_lookup(int16_t dev_id, int16_t group_id, const char *name, int timeout_ms,
			    struct idd_dma_group_buffer *out)
{
	struct dir_wait w = {.req.fn = wait_run, .dev_id = dev_id, .group_id = group_id,
			     .name = name, .timeout_ms = timeout_ms, .out = out};
	struct dir_entry *e = NULL;
	struct group *g;
	bool in_group;
	int ret = check_name(dev_id, group_id, name, "lookup");

	if (ret != 0)
		return ret;
	if (out == NULL || timeout_ms < -1) {
		IDD_LOG(ERR, "group %d: lookup by dev %d refused: %s", group_id, dev_id,
			out == NULL ? "output pointer is NULL" : "timeout below -1");
		return -EINVAL;
	}
	struct idd_dma_dev *xd = dmadev_group_ext_begin(dev_id); /* groups of another driver */

	if (xd != NULL)
		return dmadev_group_ext_end(xd, xd->dev_ops->group_ext->lookup(xd, group_id, name,
									       timeout_ms, out));
	/* The replica is local: answer without the control thread when we can. */
	pthread_mutex_lock(&ctl_lock);
	g = group_find(dev_id, group_id);
	in_group = g != NULL && g->state == G_ACTIVE;
	if (in_group) {
		e = dir_find(g, name);
		if (e != NULL)
			fill_out(g, e, out);
	}
	pthread_mutex_unlock(&ctl_lock);
	if (!in_group) {
		IDD_LOG(ERR, "group %d: lookup by dev %d refused: the device is not in that group",
			group_id, dev_id);
		return -ENOENT;
	}
	if (e != NULL)
		return 0;
	if (timeout_ms == 0)
		return -ENOENT;
	return ctl_call(&w.req);
}
