/* SPDX-License-Identifier: BSD-3-Clause */
/* The telemetry protocol's framing and checks: see proto.h. */
#include <errno.h>
#include <string.h>

#include "telemetry/proto.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

void
tel_hdr_encode(const struct tel_hdr *h, uint8_t out[TEL_HDR_LEN])
{
	memcpy(out, TEL_MAGIC, 4);
	put16(out + 4, h->version);
	put16(out + 6, h->type);
	put32(out + 8, h->id);
	put16(out + 12, (uint16_t)h->status);
	put16(out + 14, h->flags);
}

static void
hdr_decode(const uint8_t *p, struct tel_hdr *h)
{
	h->version = get16(p + 4);
	h->type = get16(p + 6);
	h->id = get32(p + 8);
	h->status = (int16_t)get16(p + 12);
	h->flags = get16(p + 14);
}

int
tel_request_check(const void *buf, size_t len, struct tel_hdr *h, const char **why)
{
	const uint8_t *p = buf;

	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (len != TEL_REQ_LEN) {
		*why = len < TEL_REQ_LEN ? "request shorter than its 16-byte header"
					 : "request longer than 16 bytes";
		return -EPROTO;
	}
	if (memcmp(p, TEL_MAGIC, 4) != 0) {
		*why = "bad magic (not a telemetry request)";
		return -EPROTO;
	}
	hdr_decode(p, h);
	if (h->version != TEL_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (h->status != 0 || h->flags != 0) {
		*why = "reserved field not zero";
		return -EPROTO;
	}
	if (h->type & TEL_REPLY) {
		*why = "a reply sent as a request";
		return -EPROTO;
	}
	if (tel_cmd_name(h->type) == NULL) {
		*why = "unknown command";
		return -EOPNOTSUPP;
	}
	return 0;
}

int
tel_reply_check(const void *buf, size_t len, struct tel_hdr *h, const char **why)
{
	const uint8_t *p = buf;

	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (len < TEL_HDR_LEN) {
		*why = "reply shorter than its 16-byte header";
		return -EPROTO;
	}
	if (len > TEL_HDR_LEN + TEL_CHUNK_MAX) {
		*why = "reply message longer than the protocol allows";
		return -EPROTO;
	}
	if (memcmp(p, TEL_MAGIC, 4) != 0) {
		*why = "bad magic (not a telemetry server)";
		return -EPROTO;
	}
	hdr_decode(p, h);
	if (h->version != TEL_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (!(h->type & TEL_REPLY)) {
		*why = "a request sent as a reply";
		return -EPROTO;
	}
	if (h->flags & ~TEL_FLAG_MORE) {
		*why = "unknown reply flags";
		return -EPROTO;
	}
	if (h->status > 0) {
		*why = "positive status";
		return -EPROTO;
	}
	return 0;
}

const char *
tel_cmd_name(unsigned int cmd)
{
	static const char *const names[] = {
		[TEL_CMD_PROCESS] = "process", [TEL_CMD_DEVICES] = "devices",
		[TEL_CMD_GROUPS] = "groups",   [TEL_CMD_WINDOWS] = "windows",
		[TEL_CMD_ALL] = "all",
	};

	if (cmd == 0 || cmd > TEL_CMD_MAX)
		return NULL;
	return names[cmd];
}
