/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access pair groups across hosts: upstream's five calls for the fabric
 * driver. create and destroy act locally (the control thread serves the
 * group); join runs the whole handshake on the caller's thread, with
 * bounded waits, then hands the connection to the control thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/fabric/fab_group.h"

/* Bound on each step of a join. */
#define FAB_JOIN_TIMEOUT_MS 5000

struct fab_group *
fab_group_find(struct fab_dev *fd, int16_t group_id)
{
	for (unsigned int i = 0; i < FAB_MAX_GROUPS; i++)
		if (fd->groups[i] != NULL && fd->groups[i]->id == group_id)
			return fd->groups[i];
	return NULL;
}

struct fab_peer *
fab_peer_new(struct fab_dev *fd, struct fab_group *g, uint16_t slot,
	     const uint8_t domain[WIRE_UUID_LEN])
{
	struct fab_peer *p;

	if (fd->next_handler == 0) {
		IDD_LOG(ERR, "dev %s: group %d: no handler left on this device", fd->name, g->id);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	memcpy(p->domain, domain, WIRE_UUID_LEN);
	p->group_id = g->id;
	p->slot = slot;
	p->conn = -1;
	/* Handlers are never reused on a device: a vchan naming a departed
	 * member can never reach a newcomer. */
	p->handler = fd->next_handler++;
	p->next = fd->peers;
	fd->peers = p;
	g->m[slot] = p;
	return p;
}

struct fab_peer *
fab_handler_peer(struct fab_dev *fd, uint16_t handler)
{
	for (struct fab_peer *p = fd->peers; p != NULL; p = p->next)
		if (p->handler == handler)
			return p;
	return NULL;
}

static int
fab_group_slot(struct fab_dev *fd)
{
	for (int i = 0; i < FAB_MAX_GROUPS; i++)
		if (fd->groups[i] == NULL)
			return i;
	return -1;
}

static struct fab_group *
fab_group_new(struct fab_dev *fd, int16_t id, const uint8_t *domain,
	      idd_dma_access_pair_group_event_cb_t cb)
{
	int i = fab_group_slot(fd);
	struct fab_group *g;

	if (i < 0 || (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->dir = calloc(IDD_DMA_GROUP_MAX_BUFFERS, sizeof(*g->dir));
	if (g->dir == NULL) {
		free(g);
		return NULL;
	}
	g->id = id;
	g->cb = cb;
	memcpy(g->domain, domain, WIRE_UUID_LEN);
	fd->groups[i] = g;
	return g;
}

int
fab_group_create(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		 int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_group *g;
	struct fab_peer *self;
	int16_t id;

	if (fd->listen_port == 0) {
		IDD_LOG(ERR, "dev %s: group create refused: the device has no listen= address "
			     "where joiners could reach the group", fd->name);
		return -ENOTSUP;
	}
	if (auth_init() != 0) {
		IDD_LOG(ERR, "dev %s: group create refused: libsodium could not be initialised",
			fd->name);
		return -EIO;
	}
	pthread_mutex_lock(&fd->mu);
	/* The lowest id not in use on this device. */
	for (id = 0; id < INT16_MAX && fab_group_find(fd, id) != NULL; id++)
		;
	g = fab_group_new(fd, id, domain_id, cb);
	if (g == NULL) {
		pthread_mutex_unlock(&fd->mu);
		IDD_LOG(ERR, "dev %s: group create refused: at most %d groups per device",
			fd->name, FAB_MAX_GROUPS);
		return -ENOSPC;
	}
	g->creator = true;
	memcpy(g->token, token, AUTH_TOKEN_LEN);
	self = fab_peer_new(fd, g, 0, domain_id);
	if (self == NULL) {
		fab_group_lost(fd, g, NULL);
		pthread_mutex_unlock(&fd->mu);
		IDD_LOG(ERR, "dev %s: group create refused: out of memory", fd->name);
		return -ENOMEM;
	}
	self->self = true;
	self->ip = fd->ep_ip;
	self->port = fd->ep_port;
	*group_id = id;
	pthread_mutex_unlock(&fd->mu);
	IDD_LOG(INFO, "dev %s: group %d created, served on port %u", fd->name, id,
		fd->listen_port);
	return 0;
}

static bool
fab_group_has_members(const struct fab_group *g)
{
	for (unsigned int s = 1; s < WIRE_MAX_MEMBERS; s++)
		if (g->m[s] != NULL)
			return true;
	return false;
}

int
fab_group_destroy(struct idd_dma_dev *dev, int16_t group_id)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_group *g;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	if (g == NULL || !g->creator) {
		pthread_mutex_unlock(&fd->mu);
		IDD_LOG(ERR, "dev %s: group %d: destroy refused: %s", fd->name, group_id,
			g == NULL ? "no such group on this device" : "only the creator may destroy");
		return g == NULL ? -ENOENT : -EPERM;
	}
	if (fab_group_has_members(g)) {
		pthread_mutex_unlock(&fd->mu);
		IDD_LOG(ERR, "dev %s: group %d: destroy refused: members remain", fd->name,
			group_id);
		return -EBUSY;
	}
	/* Joiners still in their handshake are turned away. */
	for (struct fab_conn *c = fd->conns; c != NULL; c = c->next)
		if (c->group_id == group_id)
			c->dead = true;
	fab_group_lost(fd, g, NULL);
	pthread_mutex_unlock(&fd->mu);
	fab_ctl_kick(fd);
	return 0;
}

static int
fab_connect(struct fab_dev *fd, int *out)
{
	struct sockaddr_in a = {.sin_family = AF_INET}, b = {.sin_family = AF_INET};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p;
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	if (s < 0)
		return -errno;
	/* From our own address, which is what the creator binds the MAC to. */
	b.sin_addr.s_addr = htonl(fd->bind_ip);
	if (bind(s, (struct sockaddr *)&b, sizeof(b)) != 0) {
		err = -errno;
		close(s);
		return err;
	}
	a.sin_addr.s_addr = htonl(fd->connect_ip);
	a.sin_port = htons(fd->connect_port);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		err = -errno;
		close(s);
		return err;
	}
	p = (struct pollfd){.fd = s, .events = POLLOUT};
	if (poll(&p, 1, FAB_JOIN_TIMEOUT_MS) != 1) {
		close(s);
		return -ETIMEDOUT;
	}
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		close(s);
		return -err;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = s;
	return 0;
}

/* The handshake of a join, on the caller's thread; see fab_group.h. */
static int
fab_join_handshake(struct fab_dev *fd, int s, const uint8_t *domain, const uint8_t *token,
		   int16_t group_id, idd_dma_access_pair_group_event_cb_t cb,
		   struct fab_events *ev)
{
	struct sockaddr_in l, r;
	socklen_t llen = sizeof(l), rlen = sizeof(r);
	struct auth_ctx ctx = {.group_id = (uint16_t)group_id};
	struct wire_msg m = {.type = WIRE_CHALLENGE}, in;
	struct fab_group *g;
	struct fab_conn *c;
	int ret;

	if (getsockname(s, (struct sockaddr *)&l, &llen) != 0 ||
	    getpeername(s, (struct sockaddr *)&r, &rlen) != 0)
		return -EIO;
	ctx.joiner_uid = ntohl(l.sin_addr.s_addr);
	ctx.creator_uid = ntohl(r.sin_addr.s_addr);
	memcpy(ctx.joiner_domain, domain, WIRE_UUID_LEN);
	auth_nonce(ctx.nonce_j);
	m.u.challenge.group_id = (uint16_t)group_id;
	memcpy(m.u.challenge.nonce, ctx.nonce_j, WIRE_NONCE_LEN);
	if (fab_send(s, &m) != 0)
		return -EIO;
	ret = fab_recv(s, &in, FAB_JOIN_TIMEOUT_MS);
	if (ret != 0)
		return ret;
	if (in.type == WIRE_REFUSE)
		return -in.u.refuse_code;
	if (in.type != WIRE_CHALLENGE || in.u.challenge.group_id != (uint16_t)group_id)
		return -EPROTO;
	memcpy(ctx.nonce_c, in.u.challenge.nonce, WIRE_NONCE_LEN);
	memset(&m, 0, sizeof(m));
	m.type = WIRE_JOIN;
	memcpy(m.u.join.domain, domain, WIRE_UUID_LEN);
	memcpy(m.u.join.nonce, ctx.nonce_j, WIRE_NONCE_LEN);
	auth_mac(AUTH_JOINER, token, &ctx, m.u.join.mac);
	if (fab_send(s, &m) != 0)
		return -EIO;
	ret = fab_recv(s, &in, FAB_JOIN_TIMEOUT_MS);
	if (ret != 0)
		return ret;
	if (in.type == WIRE_REFUSE)
		return -in.u.refuse_code;
	if (in.type != WIRE_WELCOME)
		return -EPROTO;
	if (!auth_verify(AUTH_CREATOR, token, &ctx, in.u.welcome.mac)) {
		IDD_LOG(ERR, "dev %s: join of group %d refused: the creator could not prove the "
			     "token", fd->name, group_id);
		return -EACCES;
	}

	/* Authenticated both ways: build the group from the member list. */
	pthread_mutex_lock(&fd->mu);
	if (fab_group_find(fd, group_id) != NULL) {
		pthread_mutex_unlock(&fd->mu);
		return -EEXIST;
	}
	g = fab_group_new(fd, group_id, domain, cb);
	c = calloc(1, sizeof(*c));
	if (g == NULL || c == NULL) {
		if (g != NULL)
			fab_group_lost(fd, g, NULL);
		pthread_mutex_unlock(&fd->mu);
		free(c);
		return -ENOMEM;
	}
	g->my_slot = in.u.welcome.slot;
	c->fd = s;
	c->state = FAB_C_JOINED;
	c->group_id = group_id;
	c->local_ip = ctx.joiner_uid;
	c->remote_ip = ctx.creator_uid;
	c->last_rx_ms = fab_now_ms();
	g->to_creator = c;
	ret = 0;
	for (unsigned int i = 0; i < in.u.welcome.nb_members && ret == 0; i++) {
		const struct wire_member *w = &in.u.welcome.members[i];
		struct fab_peer *p;

		if (g->m[w->slot] != NULL || w->slot == g->my_slot) {
			ret = -EPROTO;
			break;
		}
		p = fab_peer_new(fd, g, w->slot, w->domain);
		if (p == NULL) {
			ret = -ENOMEM;
			break;
		}
		p->ip = w->pid;
		p->port = (uint16_t)w->uid;
		ret = fab_av_insert(fd, p);
	}
	struct fab_peer *self = ret == 0 ? fab_peer_new(fd, g, g->my_slot, domain) : NULL;

	if (self == NULL) {
		fab_group_lost(fd, g, NULL);
		pthread_mutex_unlock(&fd->mu);
		free(c);
		return ret != 0 ? ret : -ENOMEM;
	}
	self->self = true;
	self->ip = fd->ep_ip;
	self->port = fd->ep_port;
	/* Introduce ourselves (our endpoint), offer our windows, ask to be
	 * activated. */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_MEMBER_JOINED;
	m.u.member.slot = g->my_slot;
	m.u.member.pid = fd->ep_ip;
	m.u.member.uid = fd->ep_port;
	memcpy(m.u.member.domain, domain, WIRE_UUID_LEN);
	ret = fab_send(s, &m);
	if (ret == 0)
		ret = fab_windows_announce(fd, s, g->my_slot);
	memset(&m, 0, sizeof(m));
	m.type = WIRE_READY;
	if (ret == 0)
		ret = fab_send(s, &m);
	pthread_mutex_unlock(&fd->mu);

	/* Windows of the others until ACTIVE. The control thread does not know
	 * this connection yet, so nothing else reads it. */
	while (ret == 0) {
		ret = fab_recv(s, &in, FAB_JOIN_TIMEOUT_MS);
		if (ret != 0)
			break;
		if (in.type == WIRE_ACTIVE)
			break;
		pthread_mutex_lock(&fd->mu);
		ret = fab_conn_message(fd, c, &in, ev) == 0 ? 0 : -EPROTO;
		pthread_mutex_unlock(&fd->mu);
	}
	pthread_mutex_lock(&fd->mu);
	if (ret != 0) {
		if (fab_group_find(fd, group_id) == g)
			fab_group_lost(fd, g, NULL);
		pthread_mutex_unlock(&fd->mu);
		free(c);
		return ret;
	}
	c->last_rx_ms = fab_now_ms();
	c->next = fd->conns;
	fd->conns = c;
	pthread_mutex_unlock(&fd->mu);
	fab_ctl_kick(fd);
	return 0;
}

int
fab_group_join(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
	       int16_t group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_events *ev;
	int s = -1, ret;

	if (fd->connect_port == 0) {
		IDD_LOG(ERR, "dev %s: join of group %d refused: the device has no connect= address "
			     "of a creator", fd->name, group_id);
		return -ENOTSUP;
	}
	if (auth_init() != 0) {
		IDD_LOG(ERR, "dev %s: join of group %d refused: libsodium could not be initialised",
			fd->name, group_id);
		return -EIO;
	}
	pthread_mutex_lock(&fd->mu);
	ret = fab_group_find(fd, group_id) != NULL ? -EEXIST : 0;
	pthread_mutex_unlock(&fd->mu);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: join of group %d refused: already in it", fd->name, group_id);
		return ret;
	}
	ret = fab_connect(fd, &s);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: join of group %d refused: cannot reach the creator: %s",
			fd->name, group_id, strerror(-ret));
		return ret == -ECONNREFUSED ? -ENOENT : ret;
	}
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		close(s);
		IDD_LOG(ERR, "dev %s: join of group %d refused: out of memory", fd->name, group_id);
		return -ENOMEM;
	}
	ret = fab_join_handshake(fd, s, domain_id, token, group_id, cb, ev);
	free(ev); /* nothing to deliver before the join returns */
	if (ret != 0) {
		close(s);
		IDD_LOG(ERR, "dev %s: join of group %d refused: %s", fd->name, group_id,
			ret == -EACCES ? "bad token" : strerror(-ret));
	}
	return ret;
}

int
fab_group_leave(struct idd_dma_dev *dev, int16_t group_id)
{
	struct fab_dev *fd = dev->dev_private;
	struct wire_msg m = {.type = WIRE_LEAVE};
	struct fab_group *g;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	if (g == NULL || g->creator) {
		pthread_mutex_unlock(&fd->mu);
		IDD_LOG(ERR, "dev %s: group %d: leave refused: %s", fd->name, group_id,
			g == NULL ? "not a member" : "the creator may not leave");
		return g == NULL ? -ENOENT : -EPERM;
	}
	if (g->to_creator != NULL) {
		(void)fab_send(g->to_creator->fd, &m);
		shutdown(g->to_creator->fd, SHUT_WR);
	}
	fab_group_lost(fd, g, NULL);
	pthread_mutex_unlock(&fd->mu);
	fab_ctl_kick(fd);
	return 0;
}

int
fab_group_handler_get(struct idd_dma_dev *dev, int16_t group_id, idd_uuid_t domain_id,
		      uint16_t *handler)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_group *g;
	int ret = -ENOENT;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	for (unsigned int s = 0; g != NULL && s < WIRE_MAX_MEMBERS; s++) {
		struct fab_peer *p = g->m[s];

		if (p != NULL && memcmp(p->domain, domain_id, WIRE_UUID_LEN) == 0 &&
		    (p->self || p->av_valid)) {
			*handler = p->handler;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&fd->mu);
	if (ret != 0)
		IDD_LOG(ERR, "dev %s: group %d: handler refused: %s", fd->name, group_id,
			g == NULL ? "not a member" : "no such member domain");
	return ret;
}

void
fab_groups_close(struct fab_dev *fd)
{
	struct wire_msg m = {.type = WIRE_LEAVE};

	pthread_mutex_lock(&fd->mu);
	for (unsigned int i = 0; i < FAB_MAX_GROUPS; i++) {
		struct fab_group *g = fd->groups[i];

		if (g == NULL)
			continue;
		if (!g->creator && g->to_creator != NULL)
			(void)fab_send(g->to_creator->fd, &m);
		fab_group_lost(fd, g, NULL);
	}
	while (fd->peers != NULL) {
		struct fab_peer *p = fd->peers;

		fd->peers = p->next;
		free(p->win);
		free(p);
	}
	pthread_mutex_unlock(&fd->mu);
}
