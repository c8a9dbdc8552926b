/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread of a fabric device: accepts joiners on the listening
 * TCP socket and authenticates them, carries membership and window messages
 * of every group, sends keepalives and declares silent peers dead, and
 * delivers the event callbacks (with no lock held). Messages are
 * group/wire.c's, framed by their own length field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drivers/fabric/fab_group.h"

#define FAB_MAX_CONNS 256

uint64_t
fab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct fab_conn **
fab_conns(struct fab_dev *fd)
{
	return &fd->conns;
}

int
fab_send(int fd, const struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_MSG];
	ssize_t len = wire_encode(m, buf, sizeof(buf));
	size_t off = 0;

	if (len < 0)
		return (int)len;
	while (off < (size_t)len) {
		ssize_t n = send(fd, buf + off, (size_t)len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A control message is small; a peer that lets its
			 * socket buffer fill for a second is not reading. */
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (poll(&p, 1, 1000) == 1)
				continue;
		}
		return -EIO;
	}
	return 0;
}

static int
fab_read_full(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		uint64_t now = fab_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) != 1)
			return -ETIMEDOUT;
		n = recv(fd, buf + off, len - off, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

int
fab_recv(int fd, struct wire_msg *m, int timeout_ms)
{
	uint8_t buf[WIRE_MAX_MSG];
	uint64_t deadline = fab_now_ms() + (uint64_t)timeout_ms;
	const char *why = "";
	uint32_t body;
	int ret;

	ret = fab_read_full(fd, buf, WIRE_HDR_LEN, deadline);
	if (ret != 0)
		return ret;
	body = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
	       (uint32_t)buf[11] << 24;
	if (body > WIRE_MAX_MSG - WIRE_HDR_LEN)
		return -EBADMSG;
	ret = fab_read_full(fd, buf + WIRE_HDR_LEN, body, deadline);
	if (ret != 0)
		return ret;
	ret = wire_decode(buf, WIRE_HDR_LEN + body, m, &why);
	if (ret != 0)
		IDD_LOG(ERR, "fabric: control message refused: %s", why);
	return ret;
}

void
fab_ctl_kick(struct fab_dev *fd)
{
	uint64_t one = 1;

	if (fd->ctl_efd >= 0)
		(void)!write(fd->ctl_efd, &one, sizeof(one));
}

static void
fab_ip_str(uint32_t ip, char *out, size_t len)
{
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, out, (socklen_t)len);
}

void
fab_events_deliver(struct fab_dev *fd, struct fab_events *ev)
{
	for (unsigned int i = 0; i < ev->n; i++) {
		struct fab_event *e = &ev->e[i];

		if (e->cb != NULL)
			e->cb(fd->dev_id, e->group_id, e->domain,
			      (enum idd_dma_access_pair_group_event_type)e->ev);
		if (e->ext_cb != NULL)
			e->ext_cb(fd->dev_id, e->group_id, e->domain, e->ev, e->ext_arg);
	}
	ev->n = 0;
}

void
fab_event_add(struct fab_events *ev, struct fab_group *g, const uint8_t *domain,
	      enum idd_dma_group_event type)
{
	idd_dma_access_pair_group_event_cb_t cb =
		type == IDD_DMA_GROUP_EV_MEMBER_JOINED ? NULL : g->cb;

	if (ev == NULL || ev->n == FAB_MAX_EVENTS || (cb == NULL && g->ext_cb == NULL))
		return;
	ev->e[ev->n].group_id = g->id;
	memcpy(ev->e[ev->n].domain, domain, WIRE_UUID_LEN);
	ev->e[ev->n].ev = type;
	ev->e[ev->n].cb = cb;
	ev->e[ev->n].ext_cb = g->ext_cb;
	ev->e[ev->n].ext_arg = g->ext_arg;
	ev->n++;
}

void
fab_member_gone(struct fab_dev *fd, struct fab_group *g, struct fab_peer *p,
		struct fab_events *ev)
{
	atomic_store(&p->gone, true);
	p->nb_win = 0;
	fab_av_remove(fd, p);
	g->m[p->slot] = NULL;
	p->conn = -1;
	fab_dir_forget(g, p->slot);
	atomic_store(&fd->peers_changed, true);
	fab_engine_kick(fd);
	if (ev != NULL)
		fab_event_add(ev, g, p->domain, IDD_DMA_GROUP_EV_MEMBER_LEFT);
	if (!g->creator)
		return;
	/* Tell the others. */
	struct wire_msg m = {.type = WIRE_MEMBER_LEFT};

	m.u.left.slot = p->slot;
	memcpy(m.u.left.domain, p->domain, WIRE_UUID_LEN);
	for (struct fab_conn *c = fd->conns; c != NULL; c = c->next) {
		if (c->group_id != g->id || c->peer == p || !c->known[p->slot])
			continue;
		c->known[p->slot] = false;
		if (fab_send(c->fd, &m) != 0)
			c->dead = true;
	}
}

void
fab_group_lost(struct fab_dev *fd, struct fab_group *g, struct fab_events *ev)
{
	for (unsigned int s = 0; s < WIRE_MAX_MEMBERS; s++) {
		struct fab_peer *p = g->m[s];

		if (p == NULL)
			continue;
		atomic_store(&p->gone, true);
		p->nb_win = 0;
		fab_av_remove(fd, p);
		g->m[s] = NULL;
	}
	atomic_store(&fd->peers_changed, true);
	fab_engine_kick(fd);
	if (ev != NULL)
		fab_event_add(ev, g, g->domain, IDD_DMA_GROUP_EV_GROUP_DESTROYED);
	if (g->to_creator != NULL) {
		g->to_creator->dead = true;
		g->to_creator->peer = NULL;
	}
	/* The creator's connections to its members (and joiners still in
	 * their handshake) go with the group. */
	for (struct fab_conn *c = fd->conns; c != NULL; c = c->next)
		if (c->group_id == g->id)
			c->dead = true;
	for (unsigned int i = 0; i < FAB_MAX_GROUPS; i++)
		if (fd->groups[i] == g)
			fd->groups[i] = NULL;
	auth_wipe(g->token, sizeof(g->token));
	free(g->dir);
	free(g);
	pthread_cond_broadcast(&fd->cv); /* lookups waiting in it give up */
}

/* Unlink and close a connection; what it carried is gone (mu held). */
void
fab_conn_close(struct fab_dev *fd, struct fab_conn *c)
{
	struct fab_conn **pp;

	for (pp = &fd->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);
	free(c);
}

/* What a dead connection means, then close it (mu held). */
static void
fab_conn_drop(struct fab_dev *fd, struct fab_conn *c, struct fab_events *ev)
{
	struct fab_group *g = fab_group_find(fd, c->group_id);

	if (g != NULL && g->creator && c->peer != NULL && g->m[c->peer->slot] == c->peer)
		fab_member_gone(fd, g, c->peer, c->state == FAB_C_MEMBER ? ev : NULL);
	else if (g != NULL && !g->creator && g->to_creator == c)
		fab_group_lost(fd, g, ev);
	fab_conn_close(fd, c);
}

static void
fab_member_record(const struct fab_peer *p, struct wire_member *w, bool creator)
{
	memset(w, 0, sizeof(*w));
	w->slot = p->slot;
	w->is_creator = creator;
	w->pid = p->ip;
	w->uid = p->port;
	memcpy(w->domain, p->domain, WIRE_UUID_LEN);
}

static int
fab_refuse(struct fab_conn *c, int code)
{
	struct wire_msg m = {.type = WIRE_REFUSE, .u.refuse_code = code};

	(void)fab_send(c->fd, &m);
	return -2; /* refused and logged: drop without another line */
}

/* The creator's side of a join: HELLO, AUTH, INTRO (mu held). */
static int
fab_creator_step(struct fab_dev *fd, struct fab_conn *c, const struct wire_msg *m,
		 struct fab_events *ev)
{
	char ip[INET_ADDRSTRLEN];
	struct fab_group *g;
	struct wire_msg out;

	fab_ip_str(c->remote_ip, ip, sizeof(ip));
	switch (c->state) {
	case FAB_C_HELLO:
		if (m->type != WIRE_CHALLENGE)
			return -1;
		g = fab_group_find(fd, (int16_t)m->u.challenge.group_id);
		if (g == NULL || !g->creator) {
			IDD_LOG(ERR, "dev %s: join of group %u from %s refused: no such group here",
				fd->name, m->u.challenge.group_id, ip);
			return fab_refuse(c, ENOENT);
		}
		c->group_id = g->id;
		memcpy(c->nonce_j, m->u.challenge.nonce, WIRE_NONCE_LEN);
		auth_nonce(c->nonce_c);
		memset(&out, 0, sizeof(out));
		out.type = WIRE_CHALLENGE;
		out.u.challenge.group_id = (uint16_t)g->id;
		memcpy(out.u.challenge.nonce, c->nonce_c, WIRE_NONCE_LEN);
		c->state = FAB_C_AUTH;
		return fab_send(c->fd, &out) == 0 ? 0 : -1;
	case FAB_C_AUTH: {
		struct auth_ctx ctx = {.group_id = (uint16_t)c->group_id,
				       .joiner_uid = c->remote_ip, .creator_uid = c->local_ip};
		unsigned int slot;

		g = fab_group_find(fd, c->group_id);
		if (m->type != WIRE_JOIN || g == NULL ||
		    memcmp(m->u.join.nonce, c->nonce_j, WIRE_NONCE_LEN) != 0)
			return -1;
		memcpy(ctx.nonce_c, c->nonce_c, WIRE_NONCE_LEN);
		memcpy(ctx.nonce_j, c->nonce_j, WIRE_NONCE_LEN);
		memcpy(ctx.joiner_domain, m->u.join.domain, WIRE_UUID_LEN);
		if (!auth_verify(AUTH_JOINER, g->token, &ctx, m->u.join.mac)) {
			IDD_LOG(ERR, "group %d: join from %s refused: bad token (or the addresses "
				     "the two ends see differ: a relay or NAT)", g->id, ip);
			return fab_refuse(c, EACCES);
		}
		for (slot = 0; slot < WIRE_MAX_MEMBERS; slot++) {
			if (g->m[slot] != NULL &&
			    memcmp(g->m[slot]->domain, m->u.join.domain, WIRE_UUID_LEN) == 0) {
				IDD_LOG(ERR, "group %d: join from %s refused: that domain is already a "
					     "member", g->id, ip);
				return fab_refuse(c, EEXIST);
			}
		}
		for (slot = 1; slot < WIRE_MAX_MEMBERS && g->m[slot] != NULL; slot++)
			;
		if (slot == WIRE_MAX_MEMBERS) {
			IDD_LOG(ERR, "group %d: join from %s refused: group full", g->id, ip);
			return fab_refuse(c, ENOSPC);
		}
		c->peer = fab_peer_new(fd, g, (uint16_t)slot, m->u.join.domain);
		if (c->peer == NULL)
			return fab_refuse(c, ENOMEM);
		c->peer->conn = c->fd;
		memset(&out, 0, sizeof(out));
		out.type = WIRE_WELCOME;
		auth_mac(AUTH_CREATOR, g->token, &ctx, out.u.welcome.mac);
		out.u.welcome.slot = (uint16_t)slot;
		for (unsigned int s = 0; s < WIRE_MAX_MEMBERS; s++) {
			struct fab_peer *p = g->m[s];

			if (p == NULL || (!p->self && !p->active))
				continue;
			fab_member_record(p, &out.u.welcome.members[out.u.welcome.nb_members++],
					  s == 0);
			c->known[s] = true;
		}
		c->state = FAB_C_INTRO;
		return fab_send(c->fd, &out) == 0 ? 0 : -1;
	}
	case FAB_C_INTRO:
		g = fab_group_find(fd, c->group_id);
		if (g == NULL)
			return -1;
		if (m->type == WIRE_MEMBER_JOINED) {
			if (m->u.member.slot != c->peer->slot || c->peer->av_valid)
				return -1;
			c->peer->ip = m->u.member.pid;
			c->peer->port = (uint16_t)m->u.member.uid;
			return fab_av_insert(fd, c->peer) == 0 ? 0 : -1;
		}
		if (m->type == WIRE_WINDOW_ADD || m->type == WIRE_WINDOW_REMOVE ||
		    m->type == WIRE_KEEPALIVE)
			return fab_conn_message(fd, c, m, NULL);
		if (m->type != WIRE_READY || !c->peer->av_valid)
			return -1;
		/* Everything the newcomer must know, then ACTIVE; then tell the
		 * others about it. */
		if (fab_windows_announce(fd, c->fd, 0) != 0)
			return -1;
		for (unsigned int s = 1; s < WIRE_MAX_MEMBERS; s++) {
			struct fab_peer *p = g->m[s];

			if (p == NULL || p == c->peer || !c->known[s])
				continue;
			for (unsigned int i = 0; i < p->nb_win; i++) {
				memset(&out, 0, sizeof(out));
				out.type = WIRE_WINDOW_ADD;
				out.u.window.owner_slot = p->slot;
				out.u.window.perms = p->win[i].perms;
				out.u.window.base = p->win[i].base;
				out.u.window.len = p->win[i].len;
				out.u.window.offset = p->win[i].key;
				if (fab_send(c->fd, &out) != 0)
					return -1;
			}
		}
		if (fab_dir_announce(g, c->fd) != 0)
			return -1;
		memset(&out, 0, sizeof(out));
		out.type = WIRE_ACTIVE;
		if (fab_send(c->fd, &out) != 0)
			return -1;
		fab_event_add(ev, g, c->peer->domain, IDD_DMA_GROUP_EV_MEMBER_JOINED);
		c->state = FAB_C_MEMBER;
		c->peer->active = true;
		/* Members hear of the newcomer with its windows; joiners still
		 * in their handshake hear of it now and get its windows (the
		 * current table) at their READY. */
		for (struct fab_conn *o = fd->conns; o != NULL; o = o->next) {
			if (o == c || o->group_id != g->id ||
			    (o->state != FAB_C_MEMBER && o->state != FAB_C_INTRO))
				continue;
			memset(&out, 0, sizeof(out));
			out.type = WIRE_MEMBER_JOINED;
			fab_member_record(c->peer, &out.u.member, false);
			o->known[c->peer->slot] = true;
			if (fab_send(o->fd, &out) != 0) {
				o->dead = true;
				continue;
			}
			if (o->state != FAB_C_MEMBER)
				continue;
			for (unsigned int i = 0; i < c->peer->nb_win; i++) {
				memset(&out, 0, sizeof(out));
				out.type = WIRE_WINDOW_ADD;
				out.u.window.owner_slot = c->peer->slot;
				out.u.window.perms = c->peer->win[i].perms;
				out.u.window.base = c->peer->win[i].base;
				out.u.window.len = c->peer->win[i].len;
				out.u.window.offset = c->peer->win[i].key;
				if (fab_send(o->fd, &out) != 0)
					o->dead = true;
			}
		}
		IDD_LOG(INFO, "dev %s: group %d: member from %s joined (slot %u)", fd->name, g->id,
			ip, c->peer->slot);
		return 0;
	default:
		return -1;
	}
}

/* Relay a member's window message to the other members (creator). */
static void
fab_relay(struct fab_dev *fd, struct fab_conn *from, const struct wire_msg *m)
{
	for (struct fab_conn *o = fd->conns; o != NULL; o = o->next)
		if (o != from && o->group_id == from->group_id && o->state == FAB_C_MEMBER &&
		    fab_send(o->fd, m) != 0)
			o->dead = true;
}

int
fab_conn_message(struct fab_dev *fd, struct fab_conn *c, const struct wire_msg *m,
		 struct fab_events *ev)
{
	struct fab_group *g = fab_group_find(fd, c->group_id);
	struct fab_peer *p;

	if (g == NULL)
		return -1;
	switch (m->type) {
	case WIRE_KEEPALIVE:
	case WIRE_SYNC:
		return 0;
	case WIRE_WINDOW_ADD:
	case WIRE_WINDOW_REMOVE: {
		uint16_t slot = m->type == WIRE_WINDOW_ADD ? m->u.window.owner_slot
							   : m->u.window_remove.owner_slot;

		if (g->creator && (c->peer == NULL || slot != c->peer->slot))
			return -1; /* a member speaks only for itself */
		if (slot >= WIRE_MAX_MEMBERS || (p = g->m[slot]) == NULL || p->self)
			return -1;
		if (m->type == WIRE_WINDOW_ADD) {
			int ret = fab_peer_window_add(p, &m->u.window);

			if (ret != 0) {
				IDD_LOG(ERR, "dev %s: group %d: window 0x%llx+%llu of slot %u "
					     "refused, connection dropped: %s",
					fd->name, g->id, (unsigned long long)m->u.window.base,
					(unsigned long long)m->u.window.len, slot,
					ret == -EINVAL ? "it overlaps one of the member's windows"
						       : "out of memory");
				return -2;
			}
		} else {
			fab_peer_window_remove(p, m->u.window_remove.base);
		}
		if (g->creator && c->state == FAB_C_MEMBER)
			fab_relay(fd, c, m);
		return 0;
	}
	case WIRE_LEAVE:
		if (!g->creator || c->peer == NULL)
			return -1;
		IDD_LOG(INFO, "dev %s: group %d: member slot %u left", fd->name, g->id,
			c->peer->slot);
		fab_member_gone(fd, g, c->peer, ev);
		c->peer = NULL;
		return -1; /* close it */
	case WIRE_MEMBER_JOINED:
		if (g->creator || m->u.member.slot == 0 || g->m[m->u.member.slot] != NULL)
			return -1;
		p = fab_peer_new(fd, g, m->u.member.slot, m->u.member.domain);
		if (p == NULL)
			return -1;
		p->ip = m->u.member.pid;
		p->port = (uint16_t)m->u.member.uid;
		if (fab_av_insert(fd, p) != 0)
			return -1;
		fab_event_add(ev, g, p->domain, IDD_DMA_GROUP_EV_MEMBER_JOINED);
		return 0;
	case WIRE_DIR_PUBLISH:
	case WIRE_DIR_UNPUBLISH:
	case WIRE_DIR_RESULT:
	case WIRE_DIR_ENTRY:
	case WIRE_DIR_REMOVE:
		return fab_dir_message(fd, g, c, m);
	case WIRE_MEMBER_LEFT:
		if (g->creator || m->u.left.slot >= WIRE_MAX_MEMBERS)
			return -1;
		p = g->m[m->u.left.slot];
		if (p != NULL && !p->self)
			fab_member_gone(fd, g, p, ev);
		return 0;
	case WIRE_GROUP_DESTROYED:
		if (g->creator)
			return -1;
		fab_group_lost(fd, g, ev);
		return -1;
	default:
		return -1;
	}
}

/* Feed received bytes to the connection's message parser (mu held). */
static void
fab_conn_input(struct fab_dev *fd, struct fab_conn *c, struct fab_events *ev)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len,
				 MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->dead = true;
			return;
		}
		if (n < 0)
			break;
		c->rx_len += (uint32_t)n;
		c->last_rx_ms = fab_now_ms();
		while (c->rx_len >= WIRE_HDR_LEN) {
			uint32_t body = (uint32_t)c->rx[8] | (uint32_t)c->rx[9] << 8 |
					(uint32_t)c->rx[10] << 16 | (uint32_t)c->rx[11] << 24;
			const char *why = "";
			struct wire_msg m;
			int ret;

			if (body > WIRE_MAX_MSG - WIRE_HDR_LEN) {
				IDD_LOG(ERR, "dev %s: control message refused, connection dropped: "
					     "%u bytes, above the protocol's %u", fd->name,
					(unsigned int)body, (unsigned int)(WIRE_MAX_MSG - WIRE_HDR_LEN));
				c->dead = true;
				return;
			}
			if (c->rx_len < WIRE_HDR_LEN + body)
				break;
			ret = wire_decode(c->rx, WIRE_HDR_LEN + body, &m, &why);
			if (ret != 0) {
				IDD_LOG(ERR, "dev %s: control message refused, connection dropped: %s",
					fd->name, why);
				c->dead = true;
				return;
			}
			if (c->state == FAB_C_JOINED || c->state == FAB_C_MEMBER)
				ret = fab_conn_message(fd, c, &m, ev);
			else
				ret = fab_creator_step(fd, c, &m, ev);
			if (ret != 0) {
				if (ret != -2 && c->state != FAB_C_JOINED && m.type != WIRE_LEAVE &&
				    m.type != WIRE_GROUP_DESTROYED)
					IDD_LOG(ERR, "dev %s: group %d: %s message out of place, "
						     "connection dropped", fd->name, c->group_id,
						wire_type_name(m.type));
				c->dead = true;
				return;
			}
			memmove(c->rx, c->rx + WIRE_HDR_LEN + body, c->rx_len - WIRE_HDR_LEN - body);
			c->rx_len -= WIRE_HDR_LEN + body;
		}
	}
}

static void
fab_accept(struct fab_dev *fd)
{
	struct sockaddr_in a, l;
	socklen_t alen = sizeof(a), llen = sizeof(l);
	int s = accept4(fd->listen_fd, (struct sockaddr *)&a, &alen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct fab_conn *c;
	int one = 1;

	if (s < 0)
		return;
	if (a.sin_family != AF_INET || getsockname(s, (struct sockaddr *)&l, &llen) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(s);
		return;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = s;
	c->state = FAB_C_HELLO;
	c->group_id = -1;
	c->remote_ip = ntohl(a.sin_addr.s_addr);
	c->local_ip = ntohl(l.sin_addr.s_addr);
	c->last_rx_ms = fab_now_ms();
	c->next = fd->conns;
	fd->conns = c;
}

static void *
fab_ctl_main(void *arg)
{
	struct fab_dev *fd = arg;
	struct fab_events *ev = calloc(1, sizeof(*ev));
	struct pollfd pfd[FAB_MAX_CONNS + 2];
	struct fab_conn *who[FAB_MAX_CONNS + 2];
	uint64_t next_tick = 0;

	if (ev == NULL)
		return NULL;
	while (!atomic_load(&fd->ctl_stop)) {
		unsigned int n = 0;
		uint64_t now;

		pthread_mutex_lock(&fd->mu);
		pfd[n] = (struct pollfd){.fd = fd->ctl_efd, .events = POLLIN};
		who[n++] = NULL;
		if (fd->listen_fd >= 0) {
			pfd[n] = (struct pollfd){.fd = fd->listen_fd, .events = POLLIN};
			who[n++] = NULL;
		}
		for (struct fab_conn *c = fd->conns; c != NULL && n < FAB_MAX_CONNS + 2; c = c->next) {
			pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN};
			who[n++] = c;
		}
		pthread_mutex_unlock(&fd->mu);

		poll(pfd, n, (int)(fd->keepalive_ms / 2 ? fd->keepalive_ms / 2 : 1));

		pthread_mutex_lock(&fd->deliver_mu);
		pthread_mutex_lock(&fd->mu);
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			(void)!read(fd->ctl_efd, &v, sizeof(v));
		}
		for (unsigned int i = 1; i < n; i++) {
			if (who[i] == NULL && (pfd[i].revents & POLLIN))
				fab_accept(fd);
			if (who[i] == NULL || pfd[i].revents == 0)
				continue;
			/* The connection may have been closed meanwhile by a
			 * group call: look it up again. */
			for (struct fab_conn *c = fd->conns; c != NULL; c = c->next)
				if (c == who[i] && c->fd == pfd[i].fd && !c->dead)
					fab_conn_input(fd, c, ev);
		}
		now = fab_now_ms();
		if (now >= next_tick) {
			struct wire_msg ka = {.type = WIRE_KEEPALIVE};
			uint64_t limit = (uint64_t)FAB_KEEPALIVE_MISSES * fd->keepalive_ms;

			next_tick = now + fd->keepalive_ms;
			for (struct fab_conn *c = fd->conns; c != NULL; c = c->next) {
				if (now - c->last_rx_ms > limit) {
					char ip[INET_ADDRSTRLEN];

					fab_ip_str(c->remote_ip, ip, sizeof(ip));
					IDD_LOG(WARNING, "dev %s: group %d: peer %s silent for %llu ms: "
							 "declared dead", fd->name, c->group_id, ip,
						(unsigned long long)(now - c->last_rx_ms));
					c->dead = true;
					continue;
				}
				if ((c->state == FAB_C_MEMBER || c->state == FAB_C_JOINED) &&
				    fab_send(c->fd, &ka) != 0)
					c->dead = true;
			}
		}
		for (struct fab_conn *c = fd->conns, *next; c != NULL; c = next) {
			next = c->next;
			if (c->dead)
				fab_conn_drop(fd, c, ev);
		}
		pthread_mutex_unlock(&fd->mu);
		fab_events_deliver(fd, ev);
		pthread_mutex_unlock(&fd->deliver_mu);
	}
	free(ev);
	return NULL;
}

int
fab_ctl_start(struct fab_dev *fd)
{
	int ret;

	fd->listen_fd = -1;
	fd->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd->ctl_efd < 0)
		return -errno;
	if (fd->listen_port != 0) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		int one = 1;

		a.sin_addr.s_addr = htonl(fd->listen_ip);
		a.sin_port = htons(fd->listen_port);
		fd->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd->listen_fd < 0)
			return -errno;
		setsockopt(fd->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    listen(fd->listen_fd, 64) != 0) {
			ret = -errno;
			IDD_LOG(ERR, "dev %s: create refused: cannot listen on port %u: %s",
				fd->name, fd->listen_port, strerror(-ret));
			return ret;
		}
	}
	ret = pthread_create(&fd->ctl, NULL, fab_ctl_main, fd);
	if (ret != 0)
		return -ret;
	fd->ctl_running = true;
	return 0;
}

void
fab_ctl_stop(struct fab_dev *fd)
{
	if (fd->ctl_running) {
		atomic_store(&fd->ctl_stop, true);
		fab_ctl_kick(fd);
		pthread_join(fd->ctl, NULL);
		fd->ctl_running = false;
	}
	while (fd->conns != NULL)
		fab_conn_close(fd, fd->conns);
	if (fd->listen_fd >= 0)
		close(fd->listen_fd);
	if (fd->ctl_efd >= 0)
		close(fd->ctl_efd);
	fd->listen_fd = -1;
	fd->ctl_efd = -1;
}
