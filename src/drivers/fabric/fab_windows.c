/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Windows across hosts. Ours: every window of the process (idd_mem_alloc,
 * idd_mem_register) is registered with the device's libfabric domain, with
 * remote access as its permissions allow, and announced to every group as
 * (address, length, key, permissions). A peer's: a sorted table that the
 * engine checks each operation against before posting it, so a range
 * outside the peer's windows fails here with INVALID_SRC/DST_ADDR and never
 * reaches the wire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_mem.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_errno.h>

#include "drivers/fabric/fab_group.h"
#include "mem/mem_local.h"

static void
fab_window_msg(struct wire_msg *m, uint16_t slot, const struct fab_lwin *w)
{
	memset(m, 0, sizeof(*m));
	m->type = WIRE_WINDOW_ADD;
	m->u.window.owner_slot = slot;
	m->u.window.perms = w->perms & WIRE_PERM_ALL;
	m->u.window.base = w->base;
	m->u.window.len = w->len;
	m->u.window.offset = w->key; /* the key rides in the offset field */
}

/* Tell every group about a window that came or went (mu held). */
static void
fab_windows_broadcast(struct fab_dev *fd, const struct fab_lwin *w, bool added)
{
	struct wire_msg m;

	for (unsigned int i = 0; i < FAB_MAX_GROUPS; i++) {
		struct fab_group *g = fd->groups[i];

		if (g == NULL)
			continue;
		if (added) {
			fab_window_msg(&m, g->my_slot, w);
		} else {
			memset(&m, 0, sizeof(m));
			m.type = WIRE_WINDOW_REMOVE;
			m.u.window_remove.owner_slot = g->my_slot;
			m.u.window_remove.base = w->base;
		}
		if (!g->creator) {
			if (g->to_creator != NULL && fab_send(g->to_creator->fd, &m) != 0)
				g->to_creator->dead = true;
			continue;
		}
		for (struct fab_conn *c = fd->conns; c != NULL; c = c->next)
			if (c->group_id == g->id && c->state == FAB_C_MEMBER &&
			    fab_send(c->fd, &m) != 0)
				c->dead = true;
	}
	fab_ctl_kick(fd);
}

static void
fab_window_event(void *ctx, const struct mem_window_desc *d, int added)
{
	struct fab_dev *fd = ctx;
	struct fab_lwin *w = NULL;
	uint64_t access = 0;
	int ret;

	pthread_mutex_lock(&fd->mu);
	for (unsigned int i = 0; i < fd->nb_lwin; i++)
		if (fd->lwin[i].id == d->id)
			w = &fd->lwin[i];
	if (!added) {
		if (w != NULL) {
			struct fab_lwin gone = *w;

			fab_windows_broadcast(fd, &gone, false);
			fi_close(&gone.mr->fid);
			*w = fd->lwin[--fd->nb_lwin];
		}
		pthread_mutex_unlock(&fd->mu);
		return;
	}
	if (w != NULL || d->perms == 0)
		goto out;
	if (fd->nb_lwin == fd->cap_lwin) {
		unsigned int cap = fd->cap_lwin ? 2 * fd->cap_lwin : 16;
		struct fab_lwin *n = realloc(fd->lwin, cap * sizeof(*n));

		if (n == NULL)
			goto nomem;
		fd->lwin = n;
		fd->cap_lwin = cap;
	}
	w = &fd->lwin[fd->nb_lwin];
	memset(w, 0, sizeof(*w));
	w->id = d->id;
	w->base = d->base;
	w->len = d->len;
	w->perms = d->perms;
	if (d->perms & IDD_MEM_PEER_READ)
		access |= FI_REMOTE_READ;
	if (d->perms & IDD_MEM_PEER_WRITE)
		access |= FI_REMOTE_WRITE;
	ret = fi_mr_reg(fd->rdm.domain, (void *)(uintptr_t)d->base, d->len, access, 0, d->id, 0,
			&w->mr, NULL);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: window at 0x%llx (%llu bytes) not offered to peers on other "
			     "hosts: registration failed: %s", fd->name,
			(unsigned long long)d->base, (unsigned long long)d->len,
			fab_strerror(-ret));
		goto out;
	}
	w->key = fd->prov_key ? fi_mr_key(w->mr) : d->id;
	fd->nb_lwin++;
	fab_windows_broadcast(fd, w, true);
out:
	pthread_mutex_unlock(&fd->mu);
	return;
nomem:
	IDD_LOG(ERR, "dev %s: window at 0x%llx not offered to peers: out of memory", fd->name,
		(unsigned long long)d->base);
	pthread_mutex_unlock(&fd->mu);
}

int
fab_windows_start(struct fab_dev *fd)
{
	int ret = mem_local_listen(fab_window_event, fd);

	if (ret == 0)
		fd->listening_mem = true;
	else
		IDD_LOG(ERR, "dev %s: create refused: cannot follow this process's windows (%s): "
			     "too many fabric devices", fd->name, strerror(-ret));
	return ret;
}

void
fab_windows_stop(struct fab_dev *fd)
{
	if (fd->listening_mem)
		mem_local_unlisten(fab_window_event, fd);
	fd->listening_mem = false;
	for (unsigned int i = 0; i < fd->nb_lwin; i++)
		fi_close(&fd->lwin[i].mr->fid);
	free(fd->lwin);
	fd->lwin = NULL;
	fd->nb_lwin = fd->cap_lwin = 0;
}

int
fab_windows_announce(struct fab_dev *fd, int conn, uint16_t slot)
{
	struct wire_msg m;

	for (unsigned int i = 0; i < fd->nb_lwin; i++) {
		fab_window_msg(&m, slot, &fd->lwin[i]);
		if (fab_send(conn, &m) != 0)
			return -EIO;
	}
	return 0;
}

int
fab_peer_window_add(struct fab_peer *p, const struct wire_window *w)
{
	unsigned int i;

	/* Overlapping an existing window is a peer's mistake or lie: refuse. */
	for (i = 0; i < p->nb_win; i++) {
		const struct fab_rwin *o = &p->win[i];

		if (w->base < o->base + o->len && o->base < w->base + w->len)
			return -EINVAL;
	}
	if (p->nb_win == p->cap_win) {
		unsigned int cap = p->cap_win ? 2 * p->cap_win : 8;
		struct fab_rwin *n = realloc(p->win, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		p->win = n;
		p->cap_win = cap;
	}
	for (i = p->nb_win; i > 0 && p->win[i - 1].base > w->base; i--)
		p->win[i] = p->win[i - 1];
	p->win[i] = (struct fab_rwin){.base = w->base, .len = w->len, .key = w->offset,
				      .perms = w->perms};
	p->nb_win++;
	return 0;
}

void
fab_peer_window_remove(struct fab_peer *p, uint64_t base)
{
	for (unsigned int i = 0; i < p->nb_win; i++) {
		if (p->win[i].base != base)
			continue;
		memmove(&p->win[i], &p->win[i + 1], (p->nb_win - i - 1) * sizeof(p->win[0]));
		p->nb_win--;
		return;
	}
}

const struct fab_rwin *
fab_peer_lookup(const struct fab_peer *p, uint64_t addr, uint64_t len, uint32_t perm)
{
	unsigned int lo = 0, hi = p->nb_win;

	/* The last window whose base is <= addr. */
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (p->win[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct fab_rwin *w = &p->win[lo - 1];
	uint64_t off = addr - w->base;

	/* Whole range inside, computed without addr + len (which may wrap). */
	if (off >= w->len || len > w->len - off || (w->perms & perm) != perm)
		return NULL;
	return w;
}
