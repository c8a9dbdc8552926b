/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Windows travelling with membership. Each member's windows are kept on its
 * member entry, with the fd that came by SCM_RIGHTS; the creator relays
 * them (creator.c), and every member sends its own after the creator has
 * proved itself (joiner.c).
 *
 * Open (waits for the memory layer's headers, src/mem/): importing a
 * received window into that member's address space (window table), and
 * sending our own windows: win_send_all() for ourselves sends nothing yet,
 * and win_add() keeps the fd without mapping it.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "group/group_internal.h"

int
win_add(struct group *g, struct member *m, const struct wire_window *w, int fd)
{
	struct window *x;

	(void)g;
	for (x = m->windows; x != NULL; x = x->next) {
		/* Overlapping windows of one owner would make translation
		 * ambiguous. */
		if (w->base < x->base + x->len && x->base < w->base + w->len) {
			close(fd);
			return -EEXIST;
		}
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		close(fd);
		return -ENOMEM;
	}
	x->base = w->base;
	x->len = w->len;
	x->perms = w->perms;
	x->fd = fd;
	x->next = m->windows;
	m->windows = x;
	return 0;
}

static void
win_free(struct window *x)
{
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
			win_free(x);
			return;
		}
	}
}

void
win_free_member(struct group *g, struct member *m)
{
	(void)g;
	while (m->windows != NULL) {
		struct window *x = m->windows;

		m->windows = x->next;
		win_free(x);
	}
}

void
win_send_all(struct group *g, const struct member *m, struct conn *c)
{
	(void)g;
	for (const struct window *x = m->windows; x != NULL; x = x->next) {
		struct wire_msg msg = {.type = WIRE_WINDOW_ADD};

		if (x->fd < 0)
			continue;
		msg.u.window.owner_slot = m->slot;
		msg.u.window.base = x->base;
		msg.u.window.len = x->len;
		msg.u.window.perms = x->perms;
		conn_send(c, &msg, x->fd);
	}
}
