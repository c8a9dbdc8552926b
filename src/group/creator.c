/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The creator's side: accept joiners, authenticate them, keep the member
 * table, relay membership, windows and directory changes to every member.
 *
 * A joiner's connection goes through these states:
 *   CHALLENGED  challenge sent; waiting for JOIN (deadline handshake_ms)
 *   REFUSING    authentication failed; the refusal is held back by the
 *               throttle delay, then sent, then the connection closes
 *   WELCOMED    authenticated; welcome and the group's state sent; waiting
 *               for the joiner's windows and READY (deadline handshake_ms)
 *   ACTIVE      a member: the others were told
 *   DEPARTING   it sent LEAVE: removed (its windows unmapped here), the
 *               others told; the connection stays open until every other
 *               member has answered LEFT_DONE (its windows are unmapped
 *               there too), or LEFT_DONE_MS passed. Its leave returns
 *               when we close: by then nobody copies into its memory.
 *               Its slot may go to a newcomer meanwhile.
 * Until ACTIVE a connection counts against its uid's cap of unauthenticated
 * connections (auth.h); a connection that never speaks only costs a timer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "group/group_internal.h"

unsigned int handshake_ms = HANDSHAKE_MS;

void
group_set_handshake_ms(unsigned int ms)
{
	pthread_mutex_lock(&ctl_lock);
	handshake_ms = ms;
	pthread_mutex_unlock(&ctl_lock);
}

/* How long a creator out of fds (or memory) stops accepting joiners. */
#define ACCEPT_PAUSE_MS 100u

enum {
	P_CHALLENGED = 1,
	P_REFUSING,
	P_WELCOMED,
	P_ACTIVE,
	P_DEPARTING,
};

/* How long a member that left waits, at most, for the others to confirm
 * that they unmapped its windows; well below the leaver's own patience
 * (LEAVE_TIMEOUT_MS), so that its leave still ends with our close. */
#define LEFT_DONE_MS 2000
_Static_assert(LEFT_DONE_MS + 500 <= LEAVE_TIMEOUT_MS, "the leaver must wait for our close");

struct peer_hs {
	struct auth_ctx actx;
	bool counted;          /* holds one of its uid's unauthenticated places */
	int refuse_code;
	const char *refuse_why;
};

/* A member that left, waiting for LEFT_DONE from the connections in
 * @owed: the members', and those of the other members still leaving
 * (their engines may copy until their own leave completes). Connections,
 * not slots: a newcomer may take the leaver's slot meanwhile. A closing
 * connection, whatever its state and whether or not its group still
 * exists, is taken out of every @owed and its own record freed first thing
 * in peer_close() (departing_forget()), so none of these pointers outlives
 * its connection. */
struct departing {
	struct departing *next;
	struct group *g;
	struct conn *c;
	uint16_t slot;
	uint8_t domain[WIRE_UUID_LEN];
	unsigned int nb_owed;
	/* Sized at the departure: the members then, plus the group's other
	 * departing connections, of which there is no fixed bound (each
	 * lingers up to LEFT_DONE_MS, and a member can leave and join again
	 * at once). */
	struct conn *owed[];
};

static struct departing *departing_list; /* under ctl_lock */
/* Counts the records freed: a walk of the list that closed a connection
 * (which may free any record, the one it stands on included) sees that
 * the list changed without touching what it held. */
static unsigned long departing_freed;   /* under ctl_lock */

static void peer_msg(struct conn *c, const struct wire_msg *m, int fd);
static void peer_close(struct conn *c);

static const struct conn_ops peer_ops = {
	.on_msg = peer_msg,
	.on_close = peer_close,
};

static void
uncount(struct conn *c)
{
	struct peer_hs *hs = c->priv;

	if (hs != NULL && hs->counted) {
		auth_throttle_release(c->peer_uid);
		hs->counted = false;
	}
}

static void
refuse_now(struct conn *c, int code, const char *why)
{
	struct group *g = c->owner;
	struct wire_msg m = {.type = WIRE_REFUSE, .u.refuse_code = code};

	struct peer_hs *hs = c->priv;

	IDD_LOG(ERR, "group %d: join from pid %d uid %u refused: %s", g ? g->group_id : -1,
		(int)c->peer_pid, (unsigned int)c->peer_uid, why);
	if (hs != NULL)
		hs->refuse_why = NULL; /* said: peer_close() must not say it again */
	uncount(c);
	conn_send(c, &m, -1);
	conn_close_when_flushed(c);
}

static void
refuse_timer(struct ctl_timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
	struct peer_hs *hs = c->priv;

	refuse_now(c, hs->refuse_code, hs->refuse_why);
}

/*
 * The uid's unauthenticated places are all taken: make room by refusing
 * (EAGAIN) its oldest connection that has not answered the challenge, else
 * by sending its oldest pending refusal now rather than after the delay.
 * Without this, a process of the same uid that holds every place with
 * connections that never speak keeps the genuine joiners of that uid out
 * for as long as it likes; a genuine joiner answers within a round trip,
 * so it is never the oldest silent one. Returns whether a place was freed.
 */
static bool
evict_unanswered(uint32_t uid)
{
	struct conn *silent = NULL, *refusing = NULL;

	for (struct conn *c = conn_all(); c != NULL; c = c->next_all) {
		const struct peer_hs *hs = c->priv;

		if (c->ops != &peer_ops || hs == NULL || !hs->counted || c->peer_uid != uid ||
		    c->closing || c->broken)
			continue;
		if (c->state == P_CHALLENGED)
			silent = c; /* newest first: the last one seen is the oldest */
		else if (c->state == P_REFUSING)
			refusing = c;
	}
	if (silent != NULL) {
		/* EAGAIN: a genuine but slow joiner tries again. */
		ctl_timer_cancel(&silent->timer);
		refuse_now(silent, EAGAIN,
			   "it had not answered, and a newer connection needed its place");
		return true;
	}
	if (refusing != NULL) {
		struct peer_hs *hs = refusing->priv;

		ctl_timer_cancel(&refusing->timer);
		refuse_now(refusing, hs->refuse_code, hs->refuse_why);
		return true;
	}
	return false;
}

static void
handshake_timeout(struct ctl_timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
	struct group *g = c->owner;

	IDD_LOG(ERR, "group %d: join from pid %d uid %u refused: handshake timed out",
		g ? g->group_id : -1, (int)c->peer_pid, (unsigned int)c->peer_uid);
	conn_close(c);
}

void
creator_broadcast(struct group *g, const struct wire_msg *m, int fd, const struct member *except)
{
	for (unsigned int i = 1; i < WIRE_MAX_MEMBERS; i++) {
		struct member *x = g->m[i];

		/* Joiners in WELCOMED state are told too: their snapshot was
		 * taken at welcome, and changes after it must reach them. */
		if (x == NULL || x == except || x->conn == NULL || x->conn->closing)
			continue;
		conn_send(x->conn, m, fd);
	}
}

static void
on_accept(struct conn *lc)
{
	struct group *g = lc->owner;

	for (int i = 0; i < 64; i++) {
		struct wire_msg m = {.type = WIRE_CHALLENGE};
		struct peer_hs *hs;
		struct conn *c;
		int fd = accept4(lc->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			int err = errno;

			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
				/* The connection stays pending and would wake
				 * the loop again at once: pause instead of
				 * spinning, and try again later. */
				IDD_LOG(ERR, "group %d: joiners wait: accept paused for %u ms: %s",
					g->group_id, ACCEPT_PAUSE_MS, strerror(err));
				conn_accept_pause(lc, ACCEPT_PAUSE_MS);
			} else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR &&
				   err != ECONNABORTED) {
				IDD_LOG(ERR, "group %d: accept: %s", g->group_id, strerror(err));
			}
			return;
		}
		c = conn_add(fd, false, &peer_ops, g);
		if (c == NULL)
			continue;
		hs = calloc(1, sizeof(*hs));
		if (hs == NULL) {
			conn_close(c);
			continue;
		}
		c->priv = hs;
		if (!auth_throttle_admit(c->peer_uid) &&
		    (!evict_unanswered(c->peer_uid) || !auth_throttle_admit(c->peer_uid))) {
			refuse_now(c, EAGAIN, "too many unauthenticated connections from this uid");
			continue;
		}
		hs->counted = true;
		c->state = P_CHALLENGED;
		auth_nonce(hs->actx.nonce_c);
		m.u.challenge.group_id = (uint16_t)g->group_id;
		memcpy(m.u.challenge.nonce, hs->actx.nonce_c, WIRE_NONCE_LEN);
		/* Armed before sending: a failed send closes the connection,
		 * and a closed connection must hold no armed timer. */
		ctl_timer_arm(&c->timer, handshake_ms, handshake_timeout);
		conn_send(c, &m, -1);
	}
}

const struct conn_ops creator_listen_ops = {
	.on_accept = on_accept,
};

static bool
owes(const struct departing *d, const struct conn *c)
{
	for (unsigned int i = 0; i < d->nb_owed; i++)
		if (d->owed[i] == c)
			return true;
	return false;
}

/* Let @d's leaver go once nobody owes it an answer and it owes nobody one
 * (its process unmaps everything when its leave completes, so it must
 * have answered first). */
static void
departing_maybe_close(struct departing *d)
{
	if (d->nb_owed != 0)
		return;
	for (struct departing *o = departing_list; o != NULL; o = o->next)
		if (o != d && o->g == d->g && owes(o, d->c))
			return;
	conn_close(d->c); /* peer_close() frees @d */
}

/* Let go every leaver of @g that may go. Closing one may let another go,
 * and frees records (any of them: the close settles the others): after a
 * close, look again from the start, touching nothing held from before. */
static void
departing_release(struct group *g)
{
	struct departing *d, *next;

	for (d = departing_list; d != NULL; d = next) {
		unsigned long freed = departing_freed;

		next = d->next;
		if (d->g != g)
			continue;
		departing_maybe_close(d);
		if (departing_freed != freed)
			next = departing_list;
	}
}

/* @from answered LEFT_DONE for the member that left from @slot with
 * @domain. One answer settles one departure: the same domain may have
 * left the same slot twice meanwhile (left, joined again, left again), and
 * @from answers in the order it was told, so the answer is for the oldest
 * of those it still owes (the list is newest first). An answer it does not
 * owe (twice, or for a leaver already let go) changes nothing. */
static void
departing_settle(struct group *g, const struct conn *from, uint16_t slot, const uint8_t *domain)
{
	struct departing *oldest = NULL;

	for (struct departing *d = departing_list; d != NULL; d = d->next) {
		if (d->g == g && d->slot == slot && memcmp(d->domain, domain, WIRE_UUID_LEN) == 0 &&
		    owes(d, from))
			oldest = d;
	}
	if (oldest == NULL)
		return;
	for (unsigned int i = 0; i < oldest->nb_owed; i++) {
		if (oldest->owed[i] == from) {
			oldest->owed[i] = oldest->owed[--oldest->nb_owed];
			break;
		}
	}
	departing_release(g);
}

static void
departing_timeout(struct ctl_timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));
	struct group *g = c->owner;

	IDD_LOG(WARNING, "group %d: member pid %d let go without every member's confirmation "
			 "that its windows are unmapped (%d ms)",
		g != NULL ? g->group_id : -1, (int)c->peer_pid, LEFT_DONE_MS);
	conn_close(c);
}

/* A connection that can still confirm an unmapping. */
static bool
conn_can_answer(const struct conn *c)
{
	return !c->closing && !c->broken;
}

/* LEAVE: remove the member now (its windows unmapped here), tell everyone
 * else, and keep its connection until they have all confirmed. */
static void
depart(struct group *g, struct member *me, struct conn *c)
{
	struct wire_msg m = {.type = WIRE_MEMBER_LEFT};
	struct departing *d;
	size_t most = 0;

	for (unsigned int i = 1; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] != NULL && g->m[i] != me && g->m[i]->conn != NULL &&
		    conn_can_answer(g->m[i]->conn))
			most++;
	for (struct departing *o = departing_list; o != NULL; o = o->next)
		if (o->g == g && conn_can_answer(o->c))
			most++;
	d = calloc(1, sizeof(*d) + most * sizeof(d->owed[0]));
	IDD_LOG(INFO, "group %d: member pid %d left", g->group_id, (int)c->peer_pid);
	uncount(c);
	me->conn = NULL; /* stays open: member_remove() must not close it */
	m.u.left.slot = me->slot;
	memcpy(m.u.left.domain, me->domain, WIRE_UUID_LEN);
	member_remove(g, me, true);
	if (d == NULL) {
		/* Cannot wait for the others: let it go at once. */
		creator_broadcast(g, &m, -1, NULL);
		conn_close(c);
		return;
	}
	d->g = g;
	d->c = c;
	d->slot = m.u.left.slot;
	memcpy(d->domain, m.u.left.domain, WIRE_UUID_LEN);
	creator_broadcast(g, &m, -1, NULL);
	for (unsigned int i = 1; i < WIRE_MAX_MEMBERS; i++) {
		struct member *x = g->m[i];

		if (x != NULL && x->conn != NULL && conn_can_answer(x->conn) && d->nb_owed < most)
			d->owed[d->nb_owed++] = x->conn;
	}
	/* The other departing members may still be copying, too. */
	for (struct departing *o = departing_list; o != NULL; o = o->next) {
		if (o->g != g || !conn_can_answer(o->c))
			continue;
		if (conn_send(o->c, &m, -1) == 0 && d->nb_owed < most)
			d->owed[d->nb_owed++] = o->c;
	}
	d->next = departing_list;
	departing_list = d;
	c->state = P_DEPARTING;
	ctl_timer_arm(&c->timer, LEFT_DONE_MS, departing_timeout);
	departing_maybe_close(d);
}

/* @c is closing: free its own record, if it left, and take it out of what
 * the others wait for. Whatever its state or its group's: a pointer kept
 * past this would outlive the connection (freed at the end of the pass). */
static void
departing_forget(struct conn *c)
{
	struct departing **pp = &departing_list;

	while (*pp != NULL) {
		struct departing *d = *pp;

		if (d->c == c) {
			*pp = d->next;
			free(d);
			departing_freed++;
			continue;
		}
		for (unsigned int i = 0; i < d->nb_owed; i++) {
			if (d->owed[i] == c) {
				d->owed[i] = d->owed[--d->nb_owed];
				break;
			}
		}
		pp = &d->next;
	}
}

static int
free_slot(struct group *g)
{
	for (int i = 1; i < WIRE_MAX_MEMBERS; i++)
		if (g->m[i] == NULL)
			return i;
	return -1;
}

/* Send a newly welcomed joiner everything it must know before it counts
 * as a member: the other members' windows and the directory. */
static void
send_snapshot(struct group *g, struct conn *c)
{
	struct wire_msg m;

	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++) {
		struct member *x = g->m[i];

		if (x != NULL && x->active)
			win_send_all(g, x, c);
	}
	for (struct dir_entry *e = g->dir; e != NULL; e = e->next) {
		memset(&m, 0, sizeof(m));
		m.type = WIRE_DIR_ENTRY;
		m.u.dir.owner_slot = e->owner_slot;
		m.u.dir.addr = e->addr;
		m.u.dir.len = e->len;
		m.u.dir.name_len = (uint8_t)strlen(e->name);
		memcpy(m.u.dir.name, e->name, m.u.dir.name_len);
		conn_send(c, &m, -1);
	}
	memset(&m, 0, sizeof(m));
	m.type = WIRE_SYNC;
	conn_send(c, &m, -1);
}

static void
on_join(struct conn *c, const struct wire_join *j)
{
	struct group *g = c->owner;
	struct peer_hs *hs = c->priv;
	struct wire_msg w;
	struct wire_member wm = {0};
	struct member *nm;
	int slot;

	hs->actx.group_id = (uint16_t)g->group_id;
	memcpy(hs->actx.nonce_j, j->nonce, WIRE_NONCE_LEN);
	memcpy(hs->actx.joiner_domain, j->domain, WIRE_UUID_LEN);
	hs->actx.joiner_uid = c->peer_uid;
	hs->actx.creator_uid = (uint32_t)geteuid();
	if (!auth_verify(AUTH_JOINER, g->token, &hs->actx, j->mac)) {
		unsigned int delay = auth_throttle_fail(c->peer_uid, ctl_now_ms());

		/* Hold the answer back, on a timer: the loop goes on serving
		 * everyone else meanwhile. */
		c->state = P_REFUSING;
		hs->refuse_code = EACCES;
		hs->refuse_why = "bad token";
		ctl_timer_arm(&c->timer, delay, refuse_timer);
		return;
	}
	if (member_by_domain(g, j->domain) != NULL) {
		refuse_now(c, EEXIST, "that domain id is already a member");
		return;
	}
	slot = free_slot(g);
	if (slot < 0) {
		refuse_now(c, ENOSPC, "the group is full");
		return;
	}
	uncount(c);
	wm.slot = (uint16_t)slot;
	wm.pid = (uint32_t)c->peer_pid;
	wm.uid = c->peer_uid;
	memcpy(wm.domain, j->domain, WIRE_UUID_LEN);
	nm = member_new(g, (uint16_t)slot, &wm);
	if (nm == NULL) {
		refuse_now(c, ENOMEM, "out of memory");
		return;
	}
	nm->conn = c;
	c->slot = (uint16_t)slot;

	memset(&w, 0, sizeof(w));
	w.type = WIRE_WELCOME;
	auth_mac(AUTH_CREATOR, g->token, &hs->actx, w.u.welcome.mac);
	w.u.welcome.slot = (uint16_t)slot;
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS; i++) {
		struct member *x = g->m[i];

		if (x != NULL && x->active)
			wire_member_of(x, &w.u.welcome.members[w.u.welcome.nb_members++]);
	}
	auth_wipe(&hs->actx, sizeof(hs->actx));
	c->state = P_WELCOMED;
	ctl_timer_arm(&c->timer, handshake_ms, handshake_timeout);
	if (conn_send(c, &w, -1) == 0)
		send_snapshot(g, c);
}

/* READY: the joiner has verified us and sent its windows. Make it a
 * member and tell everyone, then tell it. */
static void
on_ready(struct conn *c)
{
	struct group *g = c->owner;
	struct member *nm = g->m[c->slot];
	struct wire_msg m = {.type = WIRE_MEMBER_JOINED};

	ctl_timer_cancel(&c->timer);
	if (member_assign_handler(g, nm) != 0) {
		refuse_now(c, ENOSPC, "no handler left on the creator's device");
		return;
	}
	nm->active = true;
	c->state = P_ACTIVE;
	wire_member_of(nm, &m.u.member);
	creator_broadcast(g, &m, -1, nm);
	for (struct window *w = nm->windows; w != NULL; w = w->next) {
		struct wire_msg wm = {.type = WIRE_WINDOW_ADD};

		wm.u.window.owner_slot = nm->slot;
		wm.u.window.base = w->base;
		wm.u.window.len = w->len;
		wm.u.window.offset = w->offset;
		wm.u.window.perms = w->perms;
		creator_broadcast(g, &wm, w->fd, nm);
	}
	memset(&m, 0, sizeof(m));
	m.type = WIRE_ACTIVE;
	conn_send(c, &m, -1);
	IDD_LOG(INFO, "group %d: member pid %d uid %u joined (slot %u)", g->group_id,
		(int)c->peer_pid, (unsigned int)c->peer_uid, nm->slot);
	group_post_event(g, nm->domain, IDD_DMA_GROUP_EV_MEMBER_JOINED);
}

static void
protocol_error(struct conn *c, const struct wire_msg *m)
{
	struct group *g = c->owner;

	IDD_LOG(ERR, "group %d: connection from pid %d uid %u dropped: unexpected %s message",
		g->group_id, (int)c->peer_pid, (unsigned int)c->peer_uid,
		wire_type_name(m->type));
	conn_close(c);
}

static void
peer_msg(struct conn *c, const struct wire_msg *m, int fd)
{
	struct group *g = c->owner;
	struct member *me;

	if (g == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	switch (c->state) {
	case P_CHALLENGED:
		if (m->type != WIRE_JOIN)
			break;
		on_join(c, &m->u.join);
		return;
	case P_REFUSING:
		return; /* it will hear the refusal; nothing it says matters */
	case P_DEPARTING:
		/* It may still answer for the others that left. */
		if (m->type == WIRE_LEFT_DONE) {
			departing_settle(g, c, m->u.left.slot, m->u.left.domain);
			return;
		}
		if (fd >= 0)
			close(fd);
		return;
	case P_WELCOMED:
	case P_ACTIVE:
		me = g->m[c->slot];
		if (m->type == WIRE_WINDOW_ADD || m->type == WIRE_WINDOW_REMOVE) {
			uint16_t owner = m->type == WIRE_WINDOW_ADD ? m->u.window.owner_slot
								    : m->u.window_remove.owner_slot;

			/* A member speaks for its own windows only. */
			if (owner != c->slot)
				break;
			if (m->type == WIRE_WINDOW_ADD) {
				if (fd < 0 || win_add(g, me, &m->u.window, fd) != 0) {
					/* A member whose window we cannot keep
					 * cannot be relayed: it is dropped. */
					/* win_add() logged why it refused; this
					 * line says what follows from it. */
					IDD_LOG(ERR, "group %d: a window of pid %d %s; member dropped",
						g->group_id, (int)c->peer_pid,
						fd == CONN_FD_LOST
							? "came without its fd (this process "
							  "is out of file descriptors)"
						: fd < 0 ? "came without an fd"
							 : "could not be mapped");
					conn_close(c);
					return;
				}
				if (me->active)
					creator_broadcast(g, m, fd, me);
			} else {
				win_remove(g, me, m->u.window_remove.base);
				if (me->active)
					creator_broadcast(g, m, -1, me);
			}
			return;
		}
		if (c->state == P_WELCOMED) {
			if (m->type != WIRE_READY)
				break;
			on_ready(c);
			return;
		}
		switch (m->type) {
		case WIRE_LEAVE:
			depart(g, me, c);
			return;
		case WIRE_DIR_PUBLISH:
		case WIRE_DIR_UNPUBLISH:
			dir_creator_request(g, me, m);
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
	if (m->type == WIRE_LEFT_DONE && (c->state == P_WELCOMED || c->state == P_ACTIVE)) {
		departing_settle(g, c, m->u.left.slot, m->u.left.domain);
		return;
	}
	if (fd >= 0)
		close(fd);
	protocol_error(c, m);
}

static void
peer_close(struct conn *c)
{
	struct group *g = c->owner;
	struct member *me;
	struct wire_msg m = {.type = WIRE_MEMBER_LEFT};

	uncount(c);
	/* Gone (all answered, timed out, or it hung up), or a member whose
	 * process is gone or leaving: nothing of it copies any more, and it
	 * owes no answer. */
	departing_forget(c);
	if (c->state == P_DEPARTING) {
		if (g != NULL)
			departing_release(g);
		return;
	}
	if (g == NULL)
		return;
	if (c->state == P_REFUSING) {
		struct peer_hs *hs = c->priv;

		/* It hung up before its delayed refusal: still one line. */
		if (hs == NULL || hs->refuse_why == NULL)
			return;
		IDD_LOG(ERR, "group %d: join from pid %d uid %u refused: %s", g->group_id,
			(int)c->peer_pid, (unsigned int)c->peer_uid, hs->refuse_why);
		return;
	}
	if (c->state != P_WELCOMED && c->state != P_ACTIVE)
		return;
	me = g->m[c->slot];
	if (me == NULL || me->conn != c)
		return;
	me->conn = NULL; /* closing already */
	if (c->state == P_ACTIVE) {
		/* Departure, whatever its cause (LEAVE, close, exit, kill):
		 * the socket closing is the signal. */
		m.u.left.slot = me->slot;
		memcpy(m.u.left.domain, me->domain, WIRE_UUID_LEN);
		IDD_LOG(INFO, "group %d: member pid %d (slot %u) is gone", g->group_id,
			(int)c->peer_pid, me->slot);
		member_remove(g, me, true);
		creator_broadcast(g, &m, -1, NULL);
	} else {
		/* Nobody knew it yet. */
		member_remove(g, me, false);
	}
	/* What it owed was forgotten above: others may go now. */
	departing_release(g);
}

/* The parent's departures, abandoned by a forked child but still pointed
 * at, as group.c does with the rest of its state: a leak checker in the
 * child then sees them as reachable, and a real leak stays visible. */
static struct departing *volatile departing_forgotten;

void
creator_forget(void)
{
	/* Abandoned like the rest of the parent's state (group.c). */
	departing_forgotten = departing_list;
	departing_list = NULL;
	departing_freed = 0;
}

void
creator_shutdown(struct group *g)
{
	struct wire_msg m = {.type = WIRE_GROUP_DESTROYED};

	for (unsigned int i = 1; i < WIRE_MAX_MEMBERS; i++) {
		struct member *x = g->m[i];

		if (x == NULL || x->conn == NULL)
			continue;
		x->conn->owner = NULL;
		conn_send(x->conn, &m, -1);
		conn_close_when_flushed(x->conn);
		x->conn = NULL;
	}
}
