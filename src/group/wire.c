/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire codec (see wire.h for the format). The decoder trusts nothing: it
 * reads through a cursor that refuses to run past the buffer, checks the
 * body length against each type's exact size or bounds, and range-checks
 * every field, so the rest of the control plane only ever sees valid
 * messages.
 */
#include <errno.h>
#include <string.h>

#include "group/wire.h"

/* Fixed body sizes (variable types give their minimum). */
#define MEMBER_LEN (2 + 2 + 4 + 4 + WIRE_UUID_LEN)
#define CHALLENGE_LEN (2 + 2 + WIRE_NONCE_LEN) /* u16 version, u16 group, nonce */
#define JOIN_LEN (WIRE_UUID_LEN + WIRE_NONCE_LEN + WIRE_MAC_LEN)
#define WELCOME_MIN (WIRE_MAC_LEN + 2 + 2)
#define LEFT_LEN (2 + WIRE_UUID_LEN)
#define WINDOW_LEN (2 + 2 + 4 + 8 + 8 + 8) /* slot, pad, perms, base, len, offset */
#define WINDOW_REMOVE_LEN (2 + 2 + 8)
#define DIR_PUBLISH_MIN (4 + 8 + 8 + 1)
#define DIR_UNPUBLISH_MIN (4 + 1)
#define DIR_RESULT_LEN (4 + 4)
#define DIR_ENTRY_MIN (2 + 8 + 8 + 1)
#define DIR_REMOVE_MIN (2 + 1)

_Static_assert(WIRE_HDR_LEN + WELCOME_MIN + (WIRE_MAX_MEMBERS - 1) * MEMBER_LEN <= WIRE_MAX_MSG,
	       "a full welcome must fit in one message");

static const char *const type_names[WIRE_TYPE_MAX] = {
	[WIRE_CHALLENGE] = "challenge",
	[WIRE_JOIN] = "join",
	[WIRE_WELCOME] = "welcome",
	[WIRE_REFUSE] = "refuse",
	[WIRE_SYNC] = "sync",
	[WIRE_READY] = "ready",
	[WIRE_ACTIVE] = "active",
	[WIRE_MEMBER_JOINED] = "member-joined",
	[WIRE_MEMBER_LEFT] = "member-left",
	[WIRE_GROUP_DESTROYED] = "group-destroyed",
	[WIRE_LEAVE] = "leave",
	[WIRE_WINDOW_ADD] = "window-add",
	[WIRE_WINDOW_REMOVE] = "window-remove",
	[WIRE_DIR_PUBLISH] = "dir-publish",
	[WIRE_DIR_UNPUBLISH] = "dir-unpublish",
	[WIRE_DIR_RESULT] = "dir-result",
	[WIRE_DIR_ENTRY] = "dir-entry",
	[WIRE_DIR_REMOVE] = "dir-remove",
	[WIRE_KEEPALIVE] = "keepalive",
	[WIRE_LEFT_DONE] = "left-done",
};

const char *
wire_type_name(unsigned int type)
{
	if (type == 0 || type >= WIRE_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

int
wire_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return 0;
	for (; name[n] != '\0'; n++) {
		if (n >= WIRE_NAME_MAX)
			return 0;
		/* Printable ASCII only, so a name is always safe in a log line. */
		if (name[n] < 0x21 || name[n] > 0x7e)
			return 0;
	}
	return n > 0;
}

/* ---- writing ---- */

struct wcur {
	uint8_t *p;
	size_t left;
	int overflow;
};

static void
put_bytes(struct wcur *c, const void *src, size_t n)
{
	if (c->overflow || n > c->left) {
		c->overflow = 1;
		return;
	}
	memcpy(c->p, src, n);
	c->p += n;
	c->left -= n;
}

static void
put_u8(struct wcur *c, uint8_t v)
{
	put_bytes(c, &v, 1);
}

/* Every integer on the wire is little endian, @n bytes wide. */
static void
put_le(struct wcur *c, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put_bytes(c, b, n);
}

static void
put_u16(struct wcur *c, uint16_t v)
{
	put_le(c, v, 2);
}

static void
put_u32(struct wcur *c, uint32_t v)
{
	put_le(c, v, 4);
}

static void
put_u64(struct wcur *c, uint64_t v)
{
	put_le(c, v, 8);
}

static void
put_member(struct wcur *c, const struct wire_member *m)
{
	put_u16(c, m->slot);
	put_u16(c, m->is_creator);
	put_u32(c, m->pid);
	put_u32(c, m->uid);
	put_bytes(c, m->domain, WIRE_UUID_LEN);
}

static void
put_name(struct wcur *c, const struct wire_dir *d)
{
	put_u8(c, d->name_len);
	put_bytes(c, d->name, d->name_len);
}

/* ---- field checks shared by encoder and decoder ---- */

static int
member_ok(const struct wire_member *m)
{
	if (m->slot >= WIRE_MAX_MEMBERS || m->is_creator > 1)
		return 0;
	/* The creator and only the creator sits in slot 0. */
	return (m->slot == 0) == (m->is_creator == 1);
}

static int
window_ok(const struct wire_window *w)
{
	return w->owner_slot < WIRE_MAX_MEMBERS && w->perms != 0 &&
	       (w->perms & ~WIRE_PERM_ALL) == 0 && w->len != 0 && w->base + w->len > w->base &&
	       w->offset + w->len > w->offset;
}

static int
name_ok(const struct wire_dir *d)
{
	if (d->name_len == 0 || d->name_len > WIRE_NAME_MAX)
		return 0;
	for (unsigned int i = 0; i < d->name_len; i++)
		if (d->name[i] < 0x21 || d->name[i] > 0x7e)
			return 0;
	return 1;
}

static int
welcome_ok(const struct wire_welcome *w)
{
	if (w->slot == 0 || w->slot >= WIRE_MAX_MEMBERS || w->nb_members == 0 ||
	    w->nb_members >= WIRE_MAX_MEMBERS)
		return 0;
	/* The creator comes first; slots are distinct and never the joiner's. */
	if (!w->members[0].is_creator)
		return 0;
	for (unsigned int i = 0; i < w->nb_members; i++) {
		if (!member_ok(&w->members[i]) || w->members[i].slot == w->slot)
			return 0;
		for (unsigned int j = 0; j < i; j++)
			if (w->members[j].slot == w->members[i].slot)
				return 0;
	}
	return 1;
}

ssize_t
wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	struct wcur c = {.p = buf, .left = cap};
	uint8_t *body;
	size_t body_len;

	if (m->type == 0 || m->type >= WIRE_TYPE_MAX)
		return -EINVAL;
	put_u32(&c, WIRE_MAGIC);
	put_u8(&c, WIRE_VERSION);
	put_u8(&c, (uint8_t)m->type);
	put_u16(&c, 0);
	put_u32(&c, 0); /* body length, patched below */
	if (c.overflow)
		return -EMSGSIZE;
	body = c.p;

	switch (m->type) {
	case WIRE_CHALLENGE:
		if (m->u.challenge.group_id > INT16_MAX)
			return -EINVAL;
		put_u16(&c, WIRE_VERSION);
		put_u16(&c, m->u.challenge.group_id);
		put_bytes(&c, m->u.challenge.nonce, WIRE_NONCE_LEN);
		break;
	case WIRE_JOIN:
		put_bytes(&c, m->u.join.domain, WIRE_UUID_LEN);
		put_bytes(&c, m->u.join.nonce, WIRE_NONCE_LEN);
		put_bytes(&c, m->u.join.mac, WIRE_MAC_LEN);
		break;
	case WIRE_WELCOME:
		if (!welcome_ok(&m->u.welcome))
			return -EINVAL;
		put_bytes(&c, m->u.welcome.mac, WIRE_MAC_LEN);
		put_u16(&c, m->u.welcome.slot);
		put_u16(&c, m->u.welcome.nb_members);
		for (unsigned int i = 0; i < m->u.welcome.nb_members; i++)
			put_member(&c, &m->u.welcome.members[i]);
		break;
	case WIRE_REFUSE:
		if (m->u.refuse_code <= 0 || m->u.refuse_code >= WIRE_CODE_MAX)
			return -EINVAL;
		put_u32(&c, (uint32_t)m->u.refuse_code);
		break;
	case WIRE_SYNC:
	case WIRE_READY:
	case WIRE_ACTIVE:
	case WIRE_GROUP_DESTROYED:
	case WIRE_LEAVE:
	case WIRE_KEEPALIVE:
		break;
	case WIRE_MEMBER_JOINED:
		if (!member_ok(&m->u.member) || m->u.member.is_creator)
			return -EINVAL;
		put_member(&c, &m->u.member);
		break;
	case WIRE_MEMBER_LEFT:
	case WIRE_LEFT_DONE:
		if (m->u.left.slot == 0 || m->u.left.slot >= WIRE_MAX_MEMBERS)
			return -EINVAL;
		put_u16(&c, m->u.left.slot);
		put_bytes(&c, m->u.left.domain, WIRE_UUID_LEN);
		break;
	case WIRE_WINDOW_ADD:
		if (!window_ok(&m->u.window))
			return -EINVAL;
		put_u16(&c, m->u.window.owner_slot);
		put_u16(&c, 0);
		put_u32(&c, m->u.window.perms);
		put_u64(&c, m->u.window.base);
		put_u64(&c, m->u.window.len);
		put_u64(&c, m->u.window.offset);
		break;
	case WIRE_WINDOW_REMOVE:
		if (m->u.window_remove.owner_slot >= WIRE_MAX_MEMBERS)
			return -EINVAL;
		put_u16(&c, m->u.window_remove.owner_slot);
		put_u16(&c, 0);
		put_u64(&c, m->u.window_remove.base);
		break;
	case WIRE_DIR_PUBLISH:
		if (!name_ok(&m->u.dir) || m->u.dir.len == 0)
			return -EINVAL;
		put_u32(&c, m->u.dir.req_id);
		put_u64(&c, m->u.dir.addr);
		put_u64(&c, m->u.dir.len);
		put_name(&c, &m->u.dir);
		break;
	case WIRE_DIR_UNPUBLISH:
		if (!name_ok(&m->u.dir))
			return -EINVAL;
		put_u32(&c, m->u.dir.req_id);
		put_name(&c, &m->u.dir);
		break;
	case WIRE_DIR_RESULT:
		if (m->u.dir.code < 0 || m->u.dir.code >= WIRE_CODE_MAX)
			return -EINVAL;
		put_u32(&c, m->u.dir.req_id);
		put_u32(&c, (uint32_t)m->u.dir.code);
		break;
	case WIRE_DIR_ENTRY:
		if (!name_ok(&m->u.dir) || m->u.dir.len == 0 ||
		    m->u.dir.owner_slot >= WIRE_MAX_MEMBERS)
			return -EINVAL;
		put_u16(&c, m->u.dir.owner_slot);
		put_u64(&c, m->u.dir.addr);
		put_u64(&c, m->u.dir.len);
		put_name(&c, &m->u.dir);
		break;
	case WIRE_DIR_REMOVE:
		if (!name_ok(&m->u.dir) || m->u.dir.owner_slot >= WIRE_MAX_MEMBERS)
			return -EINVAL;
		put_u16(&c, m->u.dir.owner_slot);
		put_name(&c, &m->u.dir);
		break;
	default:
		return -EINVAL;
	}
	if (c.overflow)
		return -EMSGSIZE;
	body_len = (size_t)(c.p - body);
	if (WIRE_HDR_LEN + body_len > WIRE_MAX_MSG)
		return -EMSGSIZE;
	for (int i = 0; i < 4; i++)
		buf[8 + i] = (uint8_t)(body_len >> (8 * i));
	return (ssize_t)(WIRE_HDR_LEN + body_len);
}

/* ---- reading ---- */

struct rcur {
	const uint8_t *p;
	size_t left;
};

static int
get_bytes(struct rcur *c, void *dst, size_t n)
{
	if (n > c->left)
		return -1;
	memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

static uint8_t
get_u8(struct rcur *c, int *bad)
{
	uint8_t b = 0;

	if (get_bytes(c, &b, 1) != 0)
		*bad = 1;
	return b;
}

/* A little-endian integer @n bytes wide; on a short read, 0 and *bad set. */
static uint64_t
get_le(struct rcur *c, size_t n, int *bad)
{
	uint8_t b[8] = {0};
	uint64_t v = 0;

	if (get_bytes(c, b, n) != 0)
		*bad = 1;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint16_t
get_u16(struct rcur *c, int *bad)
{
	return (uint16_t)get_le(c, 2, bad);
}

static uint32_t
get_u32(struct rcur *c, int *bad)
{
	return (uint32_t)get_le(c, 4, bad);
}

static uint64_t
get_u64(struct rcur *c, int *bad)
{
	return get_le(c, 8, bad);
}

static void
get_member(struct rcur *c, struct wire_member *m, int *bad)
{
	m->slot = get_u16(c, bad);
	m->is_creator = get_u16(c, bad);
	m->pid = get_u32(c, bad);
	m->uid = get_u32(c, bad);
	if (get_bytes(c, m->domain, WIRE_UUID_LEN) != 0)
		*bad = 1;
}

static void
get_name(struct rcur *c, struct wire_dir *d, int *bad)
{
	d->name_len = get_u8(c, bad);
	if (*bad || d->name_len == 0 || d->name_len > WIRE_NAME_MAX ||
	    get_bytes(c, d->name, d->name_len) != 0) {
		*bad = 1;
		return;
	}
	d->name[d->name_len] = '\0';
}

#define REFUSE(reason)           \
	do {                     \
		*why = (reason); \
		return -EBADMSG; \
	} while (0)

int
wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m, const char **why)
{
	struct rcur c = {.p = buf, .left = len};
	uint32_t magic, body_len;
	uint8_t version, type;
	uint16_t flags;
	int bad = 0;

	memset(m, 0, sizeof(*m));
	*why = NULL;
	if (len < WIRE_HDR_LEN)
		REFUSE("shorter than a header");
	if (len > WIRE_MAX_MSG)
		REFUSE("longer than the maximum message");
	magic = get_u32(&c, &bad);
	version = get_u8(&c, &bad);
	type = get_u8(&c, &bad);
	flags = get_u16(&c, &bad);
	body_len = get_u32(&c, &bad);
	if (magic != WIRE_MAGIC)
		REFUSE("bad magic");
	if (version != WIRE_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (flags != 0)
		REFUSE("reserved flags set");
	if (body_len != len - WIRE_HDR_LEN)
		REFUSE("body length does not match the message size");
	if (type == 0 || type >= WIRE_TYPE_MAX)
		REFUSE("unknown message type");
	m->type = type;

	switch (type) {
	case WIRE_CHALLENGE: {
		uint16_t v;

		if (body_len != CHALLENGE_LEN)
			REFUSE("challenge: bad length");
		v = get_u16(&c, &bad);
		m->u.challenge.group_id = get_u16(&c, &bad);
		bad |= get_bytes(&c, m->u.challenge.nonce, WIRE_NONCE_LEN) != 0;
		if (v != WIRE_VERSION)
			REFUSE("challenge: unsupported protocol version");
		if (m->u.challenge.group_id > INT16_MAX)
			REFUSE("challenge: group id out of range");
		break;
	}
	case WIRE_JOIN:
		if (body_len != JOIN_LEN)
			REFUSE("join: bad length");
		bad |= get_bytes(&c, m->u.join.domain, WIRE_UUID_LEN) != 0;
		bad |= get_bytes(&c, m->u.join.nonce, WIRE_NONCE_LEN) != 0;
		bad |= get_bytes(&c, m->u.join.mac, WIRE_MAC_LEN) != 0;
		break;
	case WIRE_WELCOME: {
		struct wire_welcome *w = &m->u.welcome;

		if (body_len < WELCOME_MIN)
			REFUSE("welcome: too short");
		bad |= get_bytes(&c, w->mac, WIRE_MAC_LEN) != 0;
		w->slot = get_u16(&c, &bad);
		w->nb_members = get_u16(&c, &bad);
		if (w->nb_members == 0 || w->nb_members >= WIRE_MAX_MEMBERS)
			REFUSE("welcome: member count out of range");
		if (body_len != WELCOME_MIN + (size_t)w->nb_members * MEMBER_LEN)
			REFUSE("welcome: length does not match the member count");
		for (unsigned int i = 0; i < w->nb_members; i++)
			get_member(&c, &w->members[i], &bad);
		if (!bad && !welcome_ok(w))
			REFUSE("welcome: invalid member list");
		break;
	}
	case WIRE_REFUSE:
		if (body_len != 4)
			REFUSE("refuse: bad length");
		m->u.refuse_code = (int32_t)get_u32(&c, &bad);
		if (m->u.refuse_code <= 0 || m->u.refuse_code >= WIRE_CODE_MAX)
			REFUSE("refuse: code out of range");
		break;
	case WIRE_SYNC:
	case WIRE_READY:
	case WIRE_ACTIVE:
	case WIRE_GROUP_DESTROYED:
	case WIRE_LEAVE:
	case WIRE_KEEPALIVE:
		if (body_len != 0)
			REFUSE("unexpected body");
		break;
	case WIRE_MEMBER_JOINED:
		if (body_len != MEMBER_LEN)
			REFUSE("member-joined: bad length");
		get_member(&c, &m->u.member, &bad);
		if (!member_ok(&m->u.member) || m->u.member.is_creator)
			REFUSE("member-joined: bad slot");
		break;
	case WIRE_MEMBER_LEFT:
	case WIRE_LEFT_DONE:
		if (body_len != LEFT_LEN)
			REFUSE("member-left: bad length");
		m->u.left.slot = get_u16(&c, &bad);
		bad |= get_bytes(&c, m->u.left.domain, WIRE_UUID_LEN) != 0;
		if (m->u.left.slot == 0 || m->u.left.slot >= WIRE_MAX_MEMBERS)
			REFUSE("member-left: bad slot");
		break;
	case WIRE_WINDOW_ADD:
		if (body_len != WINDOW_LEN)
			REFUSE("window-add: bad length");
		m->u.window.owner_slot = get_u16(&c, &bad);
		if (get_u16(&c, &bad) != 0)
			REFUSE("window-add: padding not zero");
		m->u.window.perms = get_u32(&c, &bad);
		m->u.window.base = get_u64(&c, &bad);
		m->u.window.len = get_u64(&c, &bad);
		m->u.window.offset = get_u64(&c, &bad);
		if (!window_ok(&m->u.window))
			REFUSE("window-add: bad slot, permissions or range");
		break;
	case WIRE_WINDOW_REMOVE:
		if (body_len != WINDOW_REMOVE_LEN)
			REFUSE("window-remove: bad length");
		m->u.window_remove.owner_slot = get_u16(&c, &bad);
		if (get_u16(&c, &bad) != 0)
			REFUSE("window-remove: padding not zero");
		m->u.window_remove.base = get_u64(&c, &bad);
		if (m->u.window_remove.owner_slot >= WIRE_MAX_MEMBERS)
			REFUSE("window-remove: bad slot");
		break;
	case WIRE_DIR_PUBLISH:
		if (body_len < DIR_PUBLISH_MIN)
			REFUSE("dir-publish: too short");
		m->u.dir.req_id = get_u32(&c, &bad);
		m->u.dir.addr = get_u64(&c, &bad);
		m->u.dir.len = get_u64(&c, &bad);
		get_name(&c, &m->u.dir, &bad);
		if (bad || c.left != 0 || !name_ok(&m->u.dir))
			REFUSE("dir-publish: bad name");
		if (m->u.dir.len == 0)
			REFUSE("dir-publish: zero length");
		break;
	case WIRE_DIR_UNPUBLISH:
		if (body_len < DIR_UNPUBLISH_MIN)
			REFUSE("dir-unpublish: too short");
		m->u.dir.req_id = get_u32(&c, &bad);
		get_name(&c, &m->u.dir, &bad);
		if (bad || c.left != 0 || !name_ok(&m->u.dir))
			REFUSE("dir-unpublish: bad name");
		break;
	case WIRE_DIR_RESULT:
		if (body_len != DIR_RESULT_LEN)
			REFUSE("dir-result: bad length");
		m->u.dir.req_id = get_u32(&c, &bad);
		m->u.dir.code = (int32_t)get_u32(&c, &bad);
		if (m->u.dir.code < 0 || m->u.dir.code >= WIRE_CODE_MAX)
			REFUSE("dir-result: code out of range");
		break;
	case WIRE_DIR_ENTRY:
		if (body_len < DIR_ENTRY_MIN)
			REFUSE("dir-entry: too short");
		m->u.dir.owner_slot = get_u16(&c, &bad);
		m->u.dir.addr = get_u64(&c, &bad);
		m->u.dir.len = get_u64(&c, &bad);
		get_name(&c, &m->u.dir, &bad);
		if (bad || c.left != 0 || !name_ok(&m->u.dir))
			REFUSE("dir-entry: bad name");
		if (m->u.dir.len == 0 || m->u.dir.owner_slot >= WIRE_MAX_MEMBERS)
			REFUSE("dir-entry: bad slot or length");
		break;
	case WIRE_DIR_REMOVE:
		if (body_len < DIR_REMOVE_MIN)
			REFUSE("dir-remove: too short");
		m->u.dir.owner_slot = get_u16(&c, &bad);
		get_name(&c, &m->u.dir, &bad);
		if (bad || c.left != 0 || !name_ok(&m->u.dir))
			REFUSE("dir-remove: bad name");
		if (m->u.dir.owner_slot >= WIRE_MAX_MEMBERS)
			REFUSE("dir-remove: bad slot");
		break;
	default:
		REFUSE("unknown message type");
	}
	if (bad)
		REFUSE("truncated body");
	if (c.left != 0)
		REFUSE("trailing bytes");
	return 0;
}
