/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Windows travelling with membership.
 *
 * Our own windows: the memory layer tells us of every window that appears
 * or goes (mem_local_listen()); we keep one exported fd per window and
 * offer it to every group we are in: the creator broadcasts it to its
 * members, a joiner sends it to its creator (once the creator has proved it
 * knows the token; joiner.c), which relays it. Removals travel the same way.
 *
 * Peers' windows: each remote member has a window table (its address
 * space, mem/window_table.h), in which every window it offers is imported
 * (mapped here). The creator also keeps each window's fd, to relay it to
 * members that join later; a joiner closes the fd once the window is
 * mapped. The table belongs to the member's handler entry (group.c): when
 * the member departs, its windows are removed at once (translation then
 * fails, and the unmapping waits for a grace period, so an engine inside a
 * read-side section is never left with a dangling mapping), while the empty
 * table lives on until the data plane releases the handler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "group/control_loop.h"
#include "group/group_internal.h"
#include "mem/mem_local.h"
#include "mem/window_table.h"

_Static_assert(WIRE_PERM_READ == IDD_MEM_PEER_READ && WIRE_PERM_WRITE == IDD_MEM_PEER_WRITE,
	       "window permissions travel with the public values");

/* One of our windows, with the fd we send for it. */
struct own_window {
	struct own_window *next;
	struct mem_window_desc d;
	int fd;
	struct fd_ident fd_id;  /* a forked child checks it (fd_ident.h) */
};

static struct own_window *own;   /* under ctl_lock */

static pthread_mutex_t listen_lock = PTHREAD_MUTEX_INITIALIZER;
static bool listening;

/* ---- peers' windows ---- */

struct mem_wt *
win_space_new(struct group *g, struct member *m)
{
	char name[32];

	struct mem_wt *t;

	snprintf(name, sizeof(name), "g%d.d%d.s%u", g->group_id, g->dev_id, m->slot);
	t = mem_wt_create(name);
	/* A peer may not have more windows than a process may: past that,
	 * its windows are refused (each would cost us a mapping, and the
	 * creator an fd). */
	if (t != NULL)
		t->max_windows = IDD_MEM_MAX_WINDOWS;
	return t;
}

int
win_add(struct group *g, struct member *m, const struct wire_window *w, int fd)
{
	struct window *x;
	int ret;

	for (x = m->windows; x != NULL; x = x->next) {
		/* Overlapping windows of one owner would make translation
		 * ambiguous. */
		if (w->base < x->base + x->len && x->base < w->base + w->len) {
			IDD_LOG(ERR, "group %d: window 0x%llx+%llu of slot %u refused: overlaps "
				     "its window 0x%llx+%llu (withdraw that one first)",
				g->group_id, (unsigned long long)w->base,
				(unsigned long long)w->len, m->slot, (unsigned long long)x->base,
				(unsigned long long)x->len);
			close(fd);
			return -EEXIST;
		}
	}
	x = calloc(1, sizeof(*x));
	if (m->space == NULL && !m->is_self)
		m->space = win_space_new(g, m);
	if (x == NULL || m->space == NULL) {
		IDD_LOG(ERR, "group %d: window 0x%llx+%llu of slot %u not mapped: out of memory",
			g->group_id, (unsigned long long)w->base, (unsigned long long)w->len,
			m->slot);
		close(fd);
		free(x);
		return -ENOMEM;
	}
	/* Checks the seals and the size before mapping: a peer cannot make us
	 * map a file it could shrink under us. Every refusal is logged there,
	 * with the table's name (group, device, slot) and the reason. */
	ret = mem_wt_import(m->space, fd, w->offset, w->base, w->len, w->perms, NULL);
	if (ret != 0) {
		close(fd);
		free(x);
		return ret;
	}
	x->base = w->base;
	x->len = w->len;
	x->offset = w->offset;
	x->perms = w->perms;
	/* Only the creator relays: a joiner needs no fd once it is mapped. */
	if (g->creator) {
		x->fd = fd;
	} else {
		close(fd);
		x->fd = -1;
	}
	x->next = m->windows;
	m->windows = x;
	return 0;
}

static void
win_free(struct member *m, struct window *x)
{
	if (m->space != NULL)
		mem_wt_remove(m->space, x->base);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

void
win_remove(struct group *g, struct member *m, uint64_t base)
{
	(void)g;
	for (struct window **pp = &m->windows; *pp != NULL; pp = &(*pp)->next) {
		struct window *x = *pp;

		if (x->base == base) {
			*pp = x->next;
			win_free(m, x);
			return;
		}
	}
}

void
win_free_member(struct group *g, struct member *m)
{
	(void)g;
	/* Data-plane hook: the handler's retire hook (group.h) runs after
	 * this, on the control thread; engines translating under a read-side
	 * section stay safe meanwhile, since the unmapping waits for a grace
	 * period. */
	while (m->windows != NULL) {
		struct window *x = m->windows;

		m->windows = x->next;
		win_free(m, x);
	}
}

static void
window_msg(struct wire_msg *msg, uint16_t slot, uint64_t base, uint64_t len, uint64_t offset,
	   uint32_t perms)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = WIRE_WINDOW_ADD;
	msg->u.window.owner_slot = slot;
	msg->u.window.base = base;
	msg->u.window.len = len;
	msg->u.window.offset = offset;
	msg->u.window.perms = perms;
}

void
win_send_all(struct group *g, const struct member *m, struct conn *c)
{
	struct wire_msg msg;

	(void)g;
	if (m->is_self) {
		for (const struct own_window *o = own; o != NULL; o = o->next) {
			window_msg(&msg, m->slot, o->d.base, o->d.len, o->d.offset, o->d.perms);
			conn_send(c, &msg, o->fd);
		}
		return;
	}
	for (const struct window *x = m->windows; x != NULL; x = x->next) {
		if (x->fd < 0)
			continue;
		window_msg(&msg, m->slot, x->base, x->len, x->offset, x->perms);
		conn_send(c, &msg, x->fd);
	}
}

/* ---- our own windows ---- */

/* Offer (or withdraw) one of our windows in every group we are in. */
static void
announce(const struct own_window *o, bool added)
{
	struct wire_msg msg;

	for (struct group *g = all_groups; g != NULL; g = g->next) {
		if (added) {
			window_msg(&msg, g->self_slot, o->d.base, o->d.len, o->d.offset,
				   o->d.perms);
		} else {
			memset(&msg, 0, sizeof(msg));
			msg.type = WIRE_WINDOW_REMOVE;
			msg.u.window_remove.owner_slot = g->self_slot;
			msg.u.window_remove.base = o->d.base;
		}
		if (g->creator)
			creator_broadcast(g, &msg, added ? o->fd : -1, NULL);
		else if (g->own_sent && g->link != NULL)
			conn_send(g->link, &msg, added ? o->fd : -1);
		/* A joiner that has not sent its windows yet sends the whole
		 * current list when it does (joiner.c). */
	}
}

static void
own_apply(const struct mem_window_desc *d, bool added)
{
	struct own_window **pp, *o;
	int fd;

	for (pp = &own; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->d.id == d->id)
			break;
	if (!added) {
		o = *pp;
		if (o == NULL)
			return; /* never seen: nothing to withdraw */
		*pp = o->next;
		announce(o, false);
		close(o->fd);
		free(o);
		return;
	}
	if (*pp != NULL)
		return; /* replay and queue both told us */
	fd = mem_local_export_fd(d->id);
	if (fd < 0) {
		/* -ENOENT: gone already, its removal follows. */
		if (fd != -ENOENT)
			IDD_LOG(ERR, "group: window 0x%llx not offered to peers: %s",
				(unsigned long long)d->base, strerror(-fd));
		return;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		IDD_LOG(ERR, "group: window 0x%llx not offered to peers: out of memory",
			(unsigned long long)d->base);
		close(fd);
		return;
	}
	o->d = *d;
	o->fd = fd;
	fd_ident_take(fd, &o->fd_id);
	o->next = own;
	own = o;
	announce(o, true);
}

/*
 * Our window changes, in the order they happened, waiting to be applied.
 * They must reach every peer before anything we say after them: an
 * application that allocates a window and then publishes a buffer in it
 * expects a peer that finds the buffer to be able to copy at once. So the
 * queue is drained (win_apply_pending()) before every request runs on the
 * control thread (control.c), and ctl_call() first makes the memory layer
 * hand over every change made so far (mem_local_flush()); a deferred work
 * item drains it too, so that changes go out without waiting for the next
 * request. Everything after that is in order by construction: one FIFO
 * socket per member, relayed in arrival order by the creator, applied in
 * arrival order by every member.
 */
struct own_change {
	struct own_change *next;
	struct mem_window_desc d;
	bool added;
};

static struct own_change *pending, **pending_tail = &pending; /* under ctl_lock */
static struct ctl_work drain_work;
static bool drain_posted;                                    /* under ctl_lock */

void
win_apply_pending(void)
{
	while (pending != NULL) {
		struct own_change *c = pending;

		pending = c->next;
		if (pending == NULL)
			pending_tail = &pending;
		own_apply(&c->d, c->added);
		free(c);
	}
}

static void
drain_run(struct ctl_work *w)
{
	(void)w; /* static: nothing to free */
	pthread_mutex_lock(&ctl_lock);
	drain_posted = false;
	win_apply_pending();
	pthread_mutex_unlock(&ctl_lock);
}

/* The memory layer's listener: runs on whichever thread changed a window
 * (or the one that flushed the changes), one change at a time in order,
 * with no lock of ours held. Queue the change for the control thread. */
static void
on_window(void *ctx, const struct mem_window_desc *d, int added)
{
	struct own_change *c = calloc(1, sizeof(*c));

	(void)ctx;
	if (c == NULL) {
		IDD_LOG(ERR, "group: window change 0x%llx lost: out of memory",
			(unsigned long long)d->base);
		return;
	}
	c->d = *d;
	c->added = added != 0;
	pthread_mutex_lock(&ctl_lock);
	*pending_tail = c;
	pending_tail = &c->next;
	if (!drain_posted) {
		drain_posted = true;
		drain_work.fn = drain_run;
		ctl_post(&drain_work);
	}
	pthread_mutex_unlock(&ctl_lock);
}

void
win_flush(void)
{
	mem_local_flush();
}

int
win_listen_start(void)
{
	int ret = 0;

	pthread_mutex_lock(&listen_lock);
	if (!listening) {
		ret = mem_local_listen(on_window, NULL);
		listening = ret == 0;
	}
	pthread_mutex_unlock(&listen_lock);
	return ret;
}

void
win_listen_stop(void)
{
	pthread_mutex_lock(&listen_lock);
	if (listening)
		mem_local_unlisten(on_window, NULL);
	listening = false;
	pthread_mutex_unlock(&listen_lock);
}

static void
pending_drop(void)
{
	while (pending != NULL) {
		struct own_change *c = pending;

		pending = c->next;
		free(c);
	}
	pending_tail = &pending;
}

void
win_shutdown(void)
{
	pending_drop();
	while (own != NULL) {
		struct own_window *o = own;

		own = o->next;
		close(o->fd);
		free(o);
	}
}

/* The parent's list a forked child abandons, still pointed at, as in
 * group_forget_all(): valgrind, which follows forks, then sees it as
 * reachable rather than lost. volatile: the store stays, unread. */
static struct own_window *volatile forgotten_own;

void
win_forget(void)
{
	/* Forked child: the memory layer forgot its listeners, and the
	 * parent's windows are not ours. */
	pthread_mutex_init(&listen_lock, NULL);
	listening = false;
	for (struct own_window *o = own; o != NULL; o = o->next)
		if (fd_ident_is(o->fd, &o->fd_id))
			close(o->fd);
	forgotten_own = own;
	own = NULL;
	/* The queue of deferred work was dropped with the control thread's
	 * state (control.c). */
	pending_drop();
	drain_posted = false;
}
