/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The joiner's side: connect, answer the challenge, verify the creator,
 * receive the group's state, send our windows, then follow the group.
 *
 * The link goes through these states:
 *   WAIT_CHALLENGE  connected; waiting for the creator's nonce
 *   WAIT_WELCOME    JOIN sent; waiting for WELCOME or REFUSE
 *   SYNCING         creator verified; receiving members' windows, directory
 *   WAIT_ACTIVE     our windows and READY sent; waiting for ACTIVE
 *   ACTIVE          a member; the join call has returned
 * The whole join has one deadline (JOIN_TIMEOUT_MS). Nothing of ours (no
 * window) is sent before the creator proved it knows the token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "group/group_internal.h"

enum {
	L_WAIT_CHALLENGE = 1,
	L_WAIT_WELCOME,
	L_SYNCING,
	L_WAIT_ACTIVE,
	L_ACTIVE,
};

static void link_msg(struct conn *c, const struct wire_msg *m, int fd);
static void link_close(struct conn *c);

static const struct conn_ops link_ops = {
	.on_msg = link_msg,
	.on_close = link_close,
};

void
joiner_fail(struct group *g, int err)
{
	struct ctl_req *req = g->join_req;

	g->join_req = NULL;
	group_free(g);
	if (req != NULL)
		ctl_complete(req, err);
}

static void connect_now(struct group *g);
static void join_timer(struct ctl_timer *t);

static void
leave_done(struct group *g)
{
	struct ctl_req *req = g->join_req;

	g->join_req = NULL;
	group_free(g);
	if (req != NULL)
		ctl_complete(req, 0);
}

/* Leave synchronously: LEAVE, then wait until the creator closes the link,
 * which it does after removing us and telling the others. So when leave
 * returns, the creator no longer counts us (a destroy that follows is not
 * refused with -EBUSY because of us). Bounded by LEAVE_TIMEOUT_MS. */
void
joiner_leave(struct group *g, struct ctl_req *req)
{
	struct wire_msg m = {.type = WIRE_LEAVE};

	g->state = G_LEAVING;
	g->join_req = req;
	if (conn_send(g->link, &m, -1) != 0 || g->link == NULL) {
		leave_done(g);
		return;
	}
	ctl_timer_arm(&g->jtimer, LEAVE_TIMEOUT_MS, join_timer);
}

static void
join_timer(struct ctl_timer *t)
{
	struct group *g = (struct group *)((char *)t - offsetof(struct group, jtimer));

	if (g->state == G_LEAVING) {
		/* The creator did not confirm in time: we are gone anyway. */
		leave_done(g);
		return;
	}
	if (g->link == NULL && ctl_now_ms() < g->deadline_ms) {
		connect_now(g);
		return;
	}
	IDD_LOG(ERR, "group %d: join by dev %d failed: no answer from the creator within %d ms",
		g->group_id, g->dev_id, JOIN_TIMEOUT_MS);
	joiner_fail(g, -ETIMEDOUT);
}

/* The creator is busy (full backlog, or too many handshakes from our uid):
 * try again a little later, within the join's deadline. */
static void
retry_later(struct group *g)
{
	uint64_t now = ctl_now_ms(), delay = 5u << (g->retries < 6 ? g->retries : 6);

	if (g->link != NULL) {
		g->link->owner = NULL;
		conn_close(g->link);
		g->link = NULL;
	}
	g->retries++;
	if (now + delay >= g->deadline_ms) {
		IDD_LOG(ERR, "group %d: join by dev %d failed: the creator stayed busy",
			g->group_id, g->dev_id);
		joiner_fail(g, -EAGAIN);
		return;
	}
	ctl_timer_arm(&g->jtimer, delay, join_timer);
}

static void
connect_now(struct group *g)
{
	int fd = rdv_connect(&g->opts, g->group_id);

	if (fd == -EAGAIN) {
		retry_later(g);
		return;
	}
	if (fd < 0) {
		/* rdv_connect() logged any other failure itself. */
		if (fd == -ENOENT)
			IDD_LOG(ERR, "group %d: join by dev %d refused: no such group",
				g->group_id, g->dev_id);
		joiner_fail(g, fd);
		return;
	}
	g->link = conn_add(fd, false, &link_ops, g);
	if (g->link == NULL) {
		joiner_fail(g, -ENOMEM);
		return;
	}
	g->link->state = L_WAIT_CHALLENGE;
	ctl_timer_arm(&g->jtimer, g->deadline_ms - ctl_now_ms(), join_timer);
}

void
joiner_start(struct group *g)
{
	g->deadline_ms = ctl_now_ms() + JOIN_TIMEOUT_MS;
	connect_now(g);
}

static void
on_challenge(struct group *g, struct conn *c, const struct wire_challenge *ch)
{
	struct wire_msg m = {.type = WIRE_JOIN};

	if (ch->group_id != (uint16_t)g->group_id) {
		IDD_LOG(ERR, "group %d: join by dev %d failed: the socket answers for group %u",
			g->group_id, g->dev_id, ch->group_id);
		joiner_fail(g, -EPROTO);
		return;
	}
	memcpy(g->actx.nonce_c, ch->nonce, WIRE_NONCE_LEN);
	auth_nonce(g->actx.nonce_j);
	g->actx.group_id = (uint16_t)g->group_id;
	memcpy(g->actx.joiner_domain, g->self_domain, WIRE_UUID_LEN);
	g->actx.joiner_uid = (uint32_t)geteuid();
	g->actx.creator_uid = c->peer_uid;
	memcpy(m.u.join.domain, g->self_domain, WIRE_UUID_LEN);
	memcpy(m.u.join.nonce, g->actx.nonce_j, WIRE_NONCE_LEN);
	auth_mac(AUTH_JOINER, g->token, &g->actx, m.u.join.mac);
	c->state = L_WAIT_WELCOME;
	conn_send(c, &m, -1);
}

static void
on_welcome(struct group *g, struct conn *c, const struct wire_welcome *w)
{
	struct wire_member self = {0};
	struct member *m;

	if (!auth_verify(AUTH_CREATOR, g->token, &g->actx, w->mac)) {
		/* Whoever holds this socket does not know the token (a name
		 * squatter), or sits between us and the creator as another
		 * user. Say nothing more to it. */
		IDD_LOG(ERR, "group %d: join by dev %d failed: the group's socket (pid %d uid %u) "
			     "could not prove it knows the token",
			g->group_id, g->dev_id, (int)c->peer_pid, (unsigned int)c->peer_uid);
		joiner_fail(g, -EACCES);
		return;
	}
	/* The token has done its job on this side. */
	auth_wipe(g->token, sizeof(g->token));
	auth_wipe(&g->actx, sizeof(g->actx));
	for (unsigned int i = 0; i < w->nb_members; i++) {
		m = member_new(g, w->members[i].slot, &w->members[i]);
		if (m == NULL || member_assign_handler(g, m) != 0) {
			joiner_fail(g, -ENOMEM);
			return;
		}
		m->active = true;
	}
	self.slot = w->slot;
	self.pid = (uint32_t)getpid();
	self.uid = (uint32_t)geteuid();
	memcpy(self.domain, g->self_domain, WIRE_UUID_LEN);
	m = member_new(g, w->slot, &self);
	if (m == NULL) {
		joiner_fail(g, -ENOMEM);
		return;
	}
	m->is_self = true;
	if (member_assign_handler(g, m) != 0) {
		joiner_fail(g, -ENOMEM);
		return;
	}
	m->active = true;
	g->self_slot = w->slot;
	c->state = L_SYNCING;
}

static void
on_member_joined(struct group *g, const struct wire_member *wm)
{
	struct member *m;

	if (wm->slot == g->self_slot || g->m[wm->slot] != NULL) {
		IDD_LOG(ERR, "group %d: creator announced a member in a taken slot %u",
			g->group_id, wm->slot);
		return;
	}
	m = member_new(g, wm->slot, wm);
	if (m == NULL || member_assign_handler(g, m) != 0) {
		if (m != NULL)
			member_remove(g, m, false);
		return;
	}
	m->active = true;
	if (g->state == G_ACTIVE)
		group_post_event(g, m->domain, IDD_DMA_GROUP_EV_MEMBER_JOINED);
}

/* A member is gone. Its windows are unmapped here before member_remove()
 * returns (after a grace period: no engine of ours touches them any more);
 * then we say so, and the creator lets a member that left go only once
 * every other member has: leave is a fence for everyone's copies, not
 * only the creator's. Answered in every state, leaving included (our
 * engine may still be copying until our own leave completes). */
static void
on_member_left(struct group *g, const struct wire_left *l)
{
	struct member *m = g->m[l->slot];
	struct wire_msg done = {.type = WIRE_LEFT_DONE};

	if (m == NULL || m->is_self || memcmp(m->domain, l->domain, WIRE_UUID_LEN) != 0)
		return;
	member_remove(g, m, g->state == G_ACTIVE);
	done.u.left = *l;
	if (g->link != NULL)
		conn_send(g->link, &done, -1);
}

static void
group_gone(struct group *g, const char *how)
{
	uint8_t self[WIRE_UUID_LEN];

	if (g->state != G_ACTIVE) {
		IDD_LOG(ERR, "group %d: join by dev %d failed: the group %s during the join",
			g->group_id, g->dev_id, how);
		joiner_fail(g, -ENOENT);
		return;
	}
	IDD_LOG(INFO, "group %d: %s (dev %d)", g->group_id, how, g->dev_id);
	memcpy(self, g->self_domain, WIRE_UUID_LEN);
	group_post_event(g, self, IDD_DMA_GROUP_EV_GROUP_DESTROYED);
	group_free(g);
}

static bool
known_other(struct group *g, uint16_t slot)
{
	return slot != g->self_slot && g->m[slot] != NULL;
}

static void
link_msg(struct conn *c, const struct wire_msg *m, int fd)
{
	struct group *g = c->owner;
	struct wire_msg out;

	if (g == NULL || g->state == G_LEAVING) {
		/* Leaving: nothing the group says matters to us any more,
		 * except that a departed member's windows must go now. */
		if (fd >= 0)
			close(fd);
		if (g != NULL && m->type == WIRE_MEMBER_LEFT)
			on_member_left(g, &m->u.left);
		return;
	}
	if (m->type == WIRE_REFUSE &&
	    (c->state == L_WAIT_CHALLENGE || c->state == L_WAIT_WELCOME)) {
		if (m->u.refuse_code == EAGAIN) {
			retry_later(g);
			return;
		}
		IDD_LOG(ERR, "group %d: join by dev %d refused by the creator: %s", g->group_id,
			g->dev_id, strerror(m->u.refuse_code));
		joiner_fail(g, -m->u.refuse_code);
		return;
	}
	switch (c->state) {
	case L_WAIT_CHALLENGE:
		if (m->type == WIRE_CHALLENGE) {
			on_challenge(g, c, &m->u.challenge);
			return;
		}
		break;
	case L_WAIT_WELCOME:
		if (m->type == WIRE_WELCOME) {
			on_welcome(g, c, &m->u.welcome);
			return;
		}
		break;
	case L_SYNCING:
	case L_WAIT_ACTIVE:
	case L_ACTIVE:
		switch (m->type) {
		case WIRE_SYNC:
			if (c->state != L_SYNCING)
				break;
			/* Only now, with the creator verified, do our windows go. */
			win_send_all(g, g->m[g->self_slot], c);
			g->own_sent = true;
			memset(&out, 0, sizeof(out));
			out.type = WIRE_READY;
			c->state = L_WAIT_ACTIVE;
			conn_send(c, &out, -1);
			return;
		case WIRE_ACTIVE:
			if (c->state != L_WAIT_ACTIVE)
				break;
			c->state = L_ACTIVE;
			g->state = G_ACTIVE;
			ctl_timer_cancel(&g->jtimer);
			IDD_LOG(INFO, "group %d: dev %d joined (slot %u)", g->group_id, g->dev_id,
				g->self_slot);
			if (g->join_req != NULL) {
				ctl_complete(g->join_req, 0);
				g->join_req = NULL;
			}
			return;
		case WIRE_MEMBER_JOINED:
			on_member_joined(g, &m->u.member);
			return;
		case WIRE_MEMBER_LEFT:
			on_member_left(g, &m->u.left);
			return;
		case WIRE_GROUP_DESTROYED:
			group_gone(g, "was destroyed by its creator");
			return;
		case WIRE_WINDOW_ADD:
			if (fd == CONN_FD_LOST && known_other(g, m->u.window.owner_slot)) {
				/* Refused, not fatal: copies that name the
				 * window fail with an address status. */
				IDD_LOG(ERR, "group %d: window 0x%llx of slot %u not imported: its "
					     "fd could not be received (this process is out of "
					     "file descriptors)", g->group_id,
					(unsigned long long)m->u.window.base,
					m->u.window.owner_slot);
				return;
			}
			if (fd < 0 || !known_other(g, m->u.window.owner_slot))
				break;
			/* A refusal is logged by win_add(); the member's
			 * other windows stay usable. */
			(void)win_add(g, g->m[m->u.window.owner_slot], &m->u.window, fd);
			return;
		case WIRE_WINDOW_REMOVE:
			if (!known_other(g, m->u.window_remove.owner_slot))
				break;
			win_remove(g, g->m[m->u.window_remove.owner_slot], m->u.window_remove.base);
			return;
		case WIRE_DIR_ENTRY:
			if (g->m[m->u.dir.owner_slot] == NULL)
				break;
			dir_add(g, m->u.dir.owner_slot, m->u.dir.name, m->u.dir.addr, m->u.dir.len);
			return;
		case WIRE_DIR_REMOVE:
			dir_remove(g, m->u.dir.owner_slot, m->u.dir.name, false);
			return;
		case WIRE_DIR_RESULT:
			dir_joiner_result(g, m);
			return;
		case WIRE_KEEPALIVE:
			return;
		default:
			break;
		}
		break;
	default:
		break;
	}
	if (fd >= 0)
		close(fd);
	IDD_LOG(ERR, "group %d: dev %d dropped the creator's connection: unexpected %s message",
		g->group_id, g->dev_id, wire_type_name(m->type));
	if (g->state != G_ACTIVE) {
		joiner_fail(g, -EPROTO);
		return;
	}
	group_gone(g, "connection to the creator failed");
}

static void
link_close(struct conn *c)
{
	struct group *g = c->owner;

	if (g == NULL)
		return;
	g->link = NULL;
	c->owner = NULL;
	if (g->state == G_LEAVING) {
		leave_done(g);
		return;
	}
	if (g->state == G_JOINING && (c->state == L_WAIT_CHALLENGE || c->state == L_WAIT_WELCOME)) {
		/* Closed in the handshake: the creator gave our place to a
		 * newer connection (its EAGAIN refusal crossed our JOIN and
		 * was lost with the reset), or it is gone. Another try, within
		 * the join's deadline, tells which. */
		retry_later(g);
		return;
	}
	group_gone(g, "ended: its creator is gone");
}
