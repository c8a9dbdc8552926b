/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd's group extensions for fabric devices (idd_group.h): the extended
 * event callback, the member list, and the published-buffer directory.
 * The directory works as on one host: the creator's copy is authoritative
 * (a name is unique per group), joiners publish and withdraw through it and
 * keep a replica that DIR_ENTRY / DIR_REMOVE keep current; a departed
 * member's entries go with it. The public functions check names, pointers
 * and ranges before routing here.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "drivers/fabric/fab_group.h"

/* Bound on a joiner's wait for the creator's answer. */
#define FAB_DIR_TIMEOUT_MS 5000

static struct fab_dir_entry *
dir_find(struct fab_group *g, const char *name)
{
	for (unsigned int i = 0; i < g->nb_dir; i++)
		if (strcmp(g->dir[i].name, name) == 0)
			return &g->dir[i];
	return NULL;
}

static int
dir_add(struct fab_dev *fd, struct fab_group *g, uint16_t owner, const char *name,
	uint64_t addr, uint64_t len)
{
	struct fab_dir_entry *e;

	if (dir_find(g, name) != NULL)
		return EEXIST;
	if (g->nb_dir == IDD_DMA_GROUP_MAX_BUFFERS)
		return ENOSPC;
	e = &g->dir[g->nb_dir++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->owner_slot = owner;
	e->addr = addr;
	e->len = len;
	pthread_cond_broadcast(&fd->cv);
	return 0;
}

static void
dir_del(struct fab_group *g, struct fab_dir_entry *e)
{
	*e = g->dir[--g->nb_dir];
}

void
fab_dir_forget(struct fab_group *g, uint16_t slot)
{
	for (unsigned int i = 0; i < g->nb_dir;) {
		if (g->dir[i].owner_slot == slot)
			dir_del(g, &g->dir[i]);
		else
			i++;
	}
}

static void
dir_msg(struct wire_msg *m, enum wire_type type, const struct fab_dir_entry *e)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->u.dir.owner_slot = e->owner_slot;
	m->u.dir.addr = e->addr;
	m->u.dir.len = e->len;
	m->u.dir.name_len = (uint8_t)strlen(e->name);
	memcpy(m->u.dir.name, e->name, m->u.dir.name_len + 1);
}

/* Tell every member but @except (creator, mu held). */
static void
dir_broadcast(struct fab_dev *fd, struct fab_group *g, const struct wire_msg *m,
	      const struct fab_conn *except)
{
	for (struct fab_conn *c = fd->conns; c != NULL; c = c->next)
		if (c != except && c->group_id == g->id && c->state == FAB_C_MEMBER &&
		    fab_send(c->fd, m) != 0)
			c->dead = true;
}

int
fab_dir_announce(struct fab_group *g, int conn)
{
	struct wire_msg m;

	for (unsigned int i = 0; i < g->nb_dir; i++) {
		dir_msg(&m, WIRE_DIR_ENTRY, &g->dir[i]);
		if (fab_send(conn, &m) != 0)
			return -1;
	}
	return 0;
}

int
fab_dir_message(struct fab_dev *fd, struct fab_group *g, struct fab_conn *c,
		const struct wire_msg *m)
{
	struct wire_msg out;
	struct fab_dir_entry *e;
	int code;

	switch (m->type) {
	case WIRE_DIR_PUBLISH:
	case WIRE_DIR_UNPUBLISH:
		if (!g->creator || c->peer == NULL || c->state != FAB_C_MEMBER)
			return -1;
		if (m->type == WIRE_DIR_PUBLISH) {
			code = dir_add(fd, g, c->peer->slot, m->u.dir.name, m->u.dir.addr,
				       m->u.dir.len);
			e = code == 0 ? &g->dir[g->nb_dir - 1] : NULL;
		} else {
			e = dir_find(g, m->u.dir.name);
			code = e == NULL ? ENOENT : e->owner_slot != c->peer->slot ? EPERM : 0;
		}
		memset(&out, 0, sizeof(out));
		out.type = WIRE_DIR_RESULT;
		out.u.dir.req_id = m->u.dir.req_id;
		out.u.dir.code = code;
		if (fab_send(c->fd, &out) != 0)
			return -1;
		if (code != 0 || e == NULL)
			return 0;
		dir_msg(&out, m->type == WIRE_DIR_PUBLISH ? WIRE_DIR_ENTRY : WIRE_DIR_REMOVE, e);
		dir_broadcast(fd, g, &out, c);
		if (m->type == WIRE_DIR_UNPUBLISH)
			dir_del(g, e);
		return 0;
	case WIRE_DIR_RESULT:
		if (g->creator || m->u.dir.req_id != fd->req_id)
			return -1;
		fd->req_code = m->u.dir.code;
		fd->req_done = true;
		pthread_cond_broadcast(&fd->cv);
		return 0;
	case WIRE_DIR_ENTRY:
		if (g->creator || g->m[m->u.dir.owner_slot] == NULL)
			return -1;
		/* Our own publication is already in (added at its result). */
		(void)dir_add(fd, g, m->u.dir.owner_slot, m->u.dir.name, m->u.dir.addr,
			      m->u.dir.len);
		return 0;
	case WIRE_DIR_REMOVE:
		if (g->creator)
			return -1;
		e = dir_find(g, m->u.dir.name);
		if (e != NULL && e->owner_slot == m->u.dir.owner_slot)
			dir_del(g, e);
		return 0;
	default:
		return -1;
	}
}

static struct timespec
deadline_in(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* A joiner's request to the creator; returns its answer (a positive errno
 * or 0), with mu held throughout except while waiting. */
static int
dir_request(struct fab_dev *fd, struct fab_group **gp, int16_t group_id, struct wire_msg *m)
{
	struct timespec until = deadline_in(FAB_DIR_TIMEOUT_MS);
	struct fab_group *g = *gp;

	/* One request at a time per device: wait for the previous one. */
	while (fd->req_id != 0 && !fd->req_done)
		if (pthread_cond_timedwait(&fd->cv, &fd->mu, &until) == ETIMEDOUT)
			return ETIMEDOUT;
	if ((g = fab_group_find(fd, group_id)) == NULL || g->to_creator == NULL)
		return ENOENT;
	static uint32_t next_id;

	fd->req_id = ++next_id ? next_id : ++next_id;
	fd->req_done = false;
	m->u.dir.req_id = fd->req_id;
	if (fab_send(g->to_creator->fd, m) != 0) {
		fd->req_id = 0;
		return EIO;
	}
	while (!fd->req_done) {
		if (pthread_cond_timedwait(&fd->cv, &fd->mu, &until) == ETIMEDOUT ||
		    fab_group_find(fd, group_id) != g) {
			fd->req_id = 0;
			return fab_group_find(fd, group_id) != g ? ENOENT : ETIMEDOUT;
		}
	}
	fd->req_id = 0;
	*gp = g;
	return fd->req_code;
}

static int
fab_dir_publish(struct idd_dma_dev *dev, int16_t group_id, const char *name, uint64_t addr,
		uint64_t len)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_group *g;
	struct wire_msg m;
	int code;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	if (g == NULL) {
		code = ENOENT;
	} else if (g->creator) {
		code = dir_add(fd, g, 0, name, addr, len);
		if (code == 0) {
			dir_msg(&m, WIRE_DIR_ENTRY, &g->dir[g->nb_dir - 1]);
			dir_broadcast(fd, g, &m, NULL);
		}
	} else {
		memset(&m, 0, sizeof(m));
		m.type = WIRE_DIR_PUBLISH;
		m.u.dir.addr = addr;
		m.u.dir.len = len;
		m.u.dir.name_len = (uint8_t)strlen(name);
		memcpy(m.u.dir.name, name, m.u.dir.name_len + 1);
		code = dir_request(fd, &g, group_id, &m);
		if (code == 0)
			(void)dir_add(fd, g, g->my_slot, name, addr, len);
	}
	pthread_mutex_unlock(&fd->mu);
	if (code != 0)
		IDD_LOG(ERR, "group %d: publish of \"%s\" by dev %s refused: %s", group_id, name,
			fd->name, code == ENOENT ? "the device is not in that group"
							: strerror(code));
	return -code;
}

static int
fab_dir_unpublish(struct idd_dma_dev *dev, int16_t group_id, const char *name)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_dir_entry *e;
	struct fab_group *g;
	struct wire_msg m;
	int code;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	e = g != NULL ? dir_find(g, name) : NULL;
	if (g == NULL || e == NULL) {
		code = ENOENT;
	} else if (e->owner_slot != g->my_slot) {
		code = EPERM;
	} else if (g->creator) {
		dir_msg(&m, WIRE_DIR_REMOVE, e);
		dir_broadcast(fd, g, &m, NULL);
		dir_del(g, e);
		code = 0;
	} else {
		memset(&m, 0, sizeof(m));
		m.type = WIRE_DIR_UNPUBLISH;
		m.u.dir.name_len = (uint8_t)strlen(name);
		memcpy(m.u.dir.name, name, m.u.dir.name_len + 1);
		code = dir_request(fd, &g, group_id, &m);
		if (code == 0 && (e = dir_find(g, name)) != NULL)
			dir_del(g, e);
	}
	pthread_mutex_unlock(&fd->mu);
	if (code != 0)
		IDD_LOG(ERR, "group %d: unpublish of \"%s\" by dev %s refused: %s", group_id, name,
			fd->name, code == ENOENT ? "not in that group or not published"
						 : strerror(code));
	return -code;
}

static int
fab_dir_lookup(struct idd_dma_dev *dev, int16_t group_id, const char *name, int timeout_ms,
	       struct idd_dma_group_buffer *out)
{
	struct fab_dev *fd = dev->dev_private;
	struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
	struct fab_dir_entry *e = NULL;
	struct fab_group *g;
	int ret = 0;

	pthread_mutex_lock(&fd->mu);
	for (;;) {
		g = fab_group_find(fd, group_id);
		if (g == NULL) {
			ret = -ENOENT;
			break;
		}
		e = dir_find(g, name);
		if (e != NULL || timeout_ms == 0)
			break;
		if (timeout_ms < 0)
			pthread_cond_wait(&fd->cv, &fd->mu);
		else if (pthread_cond_timedwait(&fd->cv, &fd->mu, &until) == ETIMEDOUT)
			timeout_ms = 0; /* one last look */
	}
	if (e != NULL && g->m[e->owner_slot] != NULL) {
		memset(out, 0, sizeof(*out));
		memcpy(out->domain_id, g->m[e->owner_slot]->domain, WIRE_UUID_LEN);
		out->handler = g->m[e->owner_slot]->handler;
		out->addr = e->addr;
		out->len = e->len;
	} else if (ret == 0) {
		ret = timeout_ms != 0 ? -ETIMEDOUT : -ENOENT;
	}
	pthread_mutex_unlock(&fd->mu);
	if (ret == -ENOENT && g == NULL)
		IDD_LOG(ERR, "group %d: lookup by dev %s refused: the device is not in that group",
			group_id, fd->name);
	return ret;
}

static int
fab_members(struct idd_dma_dev *dev, int16_t group_id, struct idd_dma_group_member *members,
	    unsigned int max)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_group *g;
	int n = 0;

	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	for (unsigned int s = 0; g != NULL && s < WIRE_MAX_MEMBERS; s++) {
		const struct fab_peer *p = g->m[s];

		if (p == NULL || (g->creator && !p->self && !p->active))
			continue;
		if ((unsigned int)n < max) {
			struct idd_dma_group_member *o = &members[n];

			/* No pid or uid across hosts: zero. */
			memset(o, 0, sizeof(*o));
			memcpy(o->domain_id, p->domain, WIRE_UUID_LEN);
			o->handler = p->handler;
			o->is_creator = s == 0;
			o->is_self = p->self;
		}
		n++;
	}
	pthread_mutex_unlock(&fd->mu);
	if (g == NULL) {
		IDD_LOG(ERR, "group %d: member list by dev %s refused: the device is not in that "
			     "group", group_id, fd->name);
		return -ENOENT;
	}
	return n;
}

static int
fab_event_register(struct idd_dma_dev *dev, int16_t group_id, idd_dma_group_event_cb_t cb,
		   void *user_data)
{
	struct fab_dev *fd = dev->dev_private;
	bool on_ctl = fd->ctl_running && pthread_equal(pthread_self(), fd->ctl);
	struct fab_group *g;

	/* Off the control thread, wait until it delivers nothing: then the
	 * old callback is not running and will not be called again. */
	if (!on_ctl)
		pthread_mutex_lock(&fd->deliver_mu);
	pthread_mutex_lock(&fd->mu);
	g = fab_group_find(fd, group_id);
	if (g != NULL) {
		g->ext_cb = cb;
		g->ext_arg = user_data;
	}
	pthread_mutex_unlock(&fd->mu);
	if (!on_ctl)
		pthread_mutex_unlock(&fd->deliver_mu);
	if (g == NULL) {
		IDD_LOG(ERR, "group %d: event registration by dev %s refused: the device is not "
			     "in that group", group_id, fd->name);
		return -ENOENT;
	}
	return 0;
}

const struct dma_group_ext_ops fab_group_ext_ops = {
	.event_register = fab_event_register,
	.members = fab_members,
	.publish = fab_dir_publish,
	.unpublish = fab_dir_unpublish,
	.lookup = fab_dir_lookup,
};
