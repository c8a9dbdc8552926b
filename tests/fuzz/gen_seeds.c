/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the seed corpus of the fuzz targets: real messages made with the
 * codecs themselves, so the fuzzers start from inputs that pass the
 * decoders' outer checks and reach every message type.
 *
 *   gen_seeds OUTDIR     writes OUTDIR/<target>/<name> for each target
 *
 * tests/fuzz/corpus/ was made with `gen_seeds tests/fuzz/corpus`; run it
 * again after a change of the wire or telemetry format (the old seeds stay
 * valid inputs, only less useful). Every wire seed is decoded again here
 * and must be accepted, every kvargs seed named ok-* must parse, so a
 * seed that no longer means what its name says fails this program (and
 * the meson test fuzz_gen_seeds that runs it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <idd/idd_log.h>

#include "common/kvargs.h"
#include "group/wire.h"
#include "telemetry/proto.h"

static const char *outdir;

static void
fail(const char *what, const char *name)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", name, what);
	exit(1);
}

static void
write_seed(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		fail(strerror(errno), path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail("cannot write", path);
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Encode @m, check it decodes, write it for "wire", and its struct form
 * (type byte + union, see fuzz_wire_encode.c) for "wire_encode". */
static void
wire_seed(const char *name, const struct wire_msg *m)
{
	uint8_t buf[WIRE_MAX_MSG], raw[1 + sizeof(m->u)];
	struct wire_msg back;
	const char *why;
	ssize_t n;

	n = wire_encode(m, buf, sizeof(buf));
	if (n < 0)
		fail("wire_encode refused it", name);
	if (wire_decode(buf, (size_t)n, &back, &why) != 0)
		fail(why, name);
	write_seed("wire", name, buf, (size_t)n);
	raw[0] = (uint8_t)m->type;
	memcpy(raw + 1, &m->u, sizeof(m->u));
	write_seed("wire_encode", name, raw, sizeof(raw));
}

static void
dir_name(struct wire_dir *d, const char *name)
{
	d->name_len = (uint8_t)strlen(name);
	memcpy(d->name, name, d->name_len + 1);
}

static void
wire_seeds(void)
{
	static const enum wire_type empty[] = {WIRE_SYNC, WIRE_READY, WIRE_ACTIVE,
					       WIRE_GROUP_DESTROYED, WIRE_LEAVE,
					       WIRE_KEEPALIVE};
	static const unsigned int welcome_sizes[] = {1, 3, WIRE_MAX_MEMBERS - 1};
	struct wire_msg m;
	char name[64];

	memset(&m, 0, sizeof(m));
	m.type = WIRE_CHALLENGE;
	m.u.challenge.group_id = 42;
	fill(m.u.challenge.nonce, WIRE_NONCE_LEN, 1);
	wire_seed("challenge", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_JOIN;
	fill(m.u.join.domain, WIRE_UUID_LEN, 2);
	fill(m.u.join.nonce, WIRE_NONCE_LEN, 3);
	fill(m.u.join.mac, WIRE_MAC_LEN, 4);
	wire_seed("join", &m);

	for (size_t k = 0; k < sizeof(welcome_sizes) / sizeof(welcome_sizes[0]); k++) {
		unsigned int nb = welcome_sizes[k];

		memset(&m, 0, sizeof(m));
		m.type = WIRE_WELCOME;
		fill(m.u.welcome.mac, WIRE_MAC_LEN, 5);
		m.u.welcome.slot = (uint16_t)nb;
		m.u.welcome.nb_members = (uint16_t)nb;
		for (unsigned int i = 0; i < nb; i++) {
			struct wire_member *w = &m.u.welcome.members[i];

			/* The joiner takes the slot after the last member. */
			w->slot = (uint16_t)i;
			w->is_creator = i == 0;
			w->pid = 1000 + i;
			w->uid = 1000;
			fill(w->domain, WIRE_UUID_LEN, (uint8_t)(16 * i));
		}
		snprintf(name, sizeof(name), "welcome-%u", nb);
		wire_seed(name, &m);
	}

	memset(&m, 0, sizeof(m));
	m.type = WIRE_REFUSE;
	m.u.refuse_code = EACCES;
	wire_seed("refuse", &m);

	for (size_t k = 0; k < sizeof(empty) / sizeof(empty[0]); k++) {
		memset(&m, 0, sizeof(m));
		m.type = empty[k];
		wire_seed(wire_type_name(empty[k]), &m);
	}

	memset(&m, 0, sizeof(m));
	m.type = WIRE_MEMBER_JOINED;
	m.u.member.slot = 5;
	m.u.member.pid = 4321;
	m.u.member.uid = 1000;
	fill(m.u.member.domain, WIRE_UUID_LEN, 6);
	wire_seed("member-joined", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_MEMBER_LEFT;
	m.u.left.slot = 5;
	fill(m.u.left.domain, WIRE_UUID_LEN, 6);
	wire_seed("member-left", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_WINDOW_ADD;
	m.u.window.owner_slot = 2;
	m.u.window.perms = WIRE_PERM_READ | WIRE_PERM_WRITE;
	m.u.window.base = 0x7f0000200000ull;
	m.u.window.len = 2u << 20;
	m.u.window.offset = 4096;
	wire_seed("window-add", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_WINDOW_REMOVE;
	m.u.window_remove.owner_slot = 2;
	m.u.window_remove.base = 0x7f0000200000ull;
	wire_seed("window-remove", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_DIR_PUBLISH;
	m.u.dir.req_id = 7;
	m.u.dir.addr = 0x7f0000201000ull;
	m.u.dir.len = 4096;
	dir_name(&m.u.dir, "ring0");
	wire_seed("dir-publish", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_DIR_UNPUBLISH;
	m.u.dir.req_id = 8;
	dir_name(&m.u.dir, "ring0");
	wire_seed("dir-unpublish", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_DIR_RESULT;
	m.u.dir.req_id = 7;
	m.u.dir.code = EEXIST;
	wire_seed("dir-result", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_DIR_ENTRY;
	m.u.dir.owner_slot = 3;
	m.u.dir.addr = 0x7f0000201000ull;
	m.u.dir.len = 4096;
	/* The longest name the protocol allows. */
	dir_name(&m.u.dir, "a-name-of-the-maximum-length-sixty-three-bytes-0123456789abcdef");
	if (m.u.dir.name_len != WIRE_NAME_MAX)
		fail("not WIRE_NAME_MAX long", "dir-entry");
	wire_seed("dir-entry", &m);

	memset(&m, 0, sizeof(m));
	m.type = WIRE_DIR_REMOVE;
	m.u.dir.owner_slot = 3;
	dir_name(&m.u.dir, "ring0");
	wire_seed("dir-remove", &m);
}

static void
kvargs_seed(const char *name, const char *text)
{
	struct kvargs kv;

	if ((kvargs_parse(&kv, "seed", text) == 0) != (strncmp(name, "ok-", 3) == 0))
		fail("parses otherwise than its name says", name);
	write_seed("kvargs", name, text, strlen(text));
}

static void
kvargs_seeds(void)
{
	char text[KVARGS_MAX * 8 + 1];
	size_t len = 0;

	kvargs_seed("ok-empty", "");
	kvargs_seed("ok-engine", "engine=thread,cpu=1");
	kvargs_seed("ok-group", "driver=sw,namespace=team_a,abstract_sockets=1");
	kvargs_seed("ok-long",
		    "k234567890123456789012345678901=v2345678901234567890123456789012345678901"
		    "234567890123456789012345678901234567890123456789012345678901234567");
	kvargs_seed("ok-uint-overflow", "cpu=18446744073709551616");
	kvargs_seed("ok-uint-signs", "cpu=+1,n=-0,x=0x10");
	kvargs_seed("bad-space", "engine= thread");
	kvargs_seed("bad-twice", "cpu=1,cpu=2");
	kvargs_seed("bad-trailing", "cpu=1,");
	/* KVARGS_MAX pairs exactly. */
	for (int i = 0; i < KVARGS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%sk%02d=%d", i ? "," : "",
					i, i);
	kvargs_seed("ok-max", text);
}

static void
tel_seeds(void)
{
	static const char *const names[] = {NULL, "process", "devices", "groups", "windows",
					    "all"};
	static const char reply_text[] =
		"{\"protocol\":1,\"pid\":1234,\"namespace\":\"default\",\"idd_version\":\"0.1.0\","
		"\"devices\":[{\"id\":0,\"name\":\"dma0\",\"vchans\":[{\"submitted\":18446744073709551615,"
		"\"errors\":0}],\"busy\":false,\"note\":null,\"ratio\":-1.5e3,\"s\":\"a\\u00e9\\n\"}]}";
	uint8_t buf[TEL_HDR_LEN + sizeof(reply_text)];
	struct tel_hdr h;
	char name[64];

	for (unsigned int cmd = TEL_CMD_PROCESS; cmd <= TEL_CMD_MAX; cmd++) {
		memset(&h, 0, sizeof(h));
		h.version = TEL_VERSION;
		h.type = (uint16_t)cmd;
		h.id = cmd * 11;
		tel_hdr_encode(&h, buf);
		snprintf(name, sizeof(name), "request-%s", names[cmd]);
		write_seed("tel", name, buf, TEL_HDR_LEN);
	}
	memset(&h, 0, sizeof(h));
	h.version = TEL_VERSION;
	h.type = TEL_HELLO;
	tel_hdr_encode(&h, buf);
	memcpy(buf + TEL_HDR_LEN, reply_text, sizeof(reply_text) - 1);
	write_seed("tel", "reply-hello", buf, TEL_HDR_LEN + sizeof(reply_text) - 1);
	write_seed("tel", "json", reply_text, sizeof(reply_text) - 1);
	h.type = TEL_CMD_DEVICES | TEL_REPLY;
	h.status = -EOPNOTSUPP;
	h.flags = TEL_FLAG_MORE;
	tel_hdr_encode(&h, buf);
	memcpy(buf + TEL_HDR_LEN, "{\"error\":\"x\"}", 13);
	write_seed("tel", "reply-error", buf, TEL_HDR_LEN + 13);
}

static void
drop_log(enum idd_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
		fail(strerror(errno), outdir);
	/* The kvargs seeds named bad-* are refused on purpose: their log
	 * lines are expected, not news. */
	idd_log_set_sink(drop_log, NULL);
	wire_seeds();
	kvargs_seeds();
	tel_seeds();
	printf("gen_seeds: wrote %s/{wire,wire_encode,kvargs,tel}\n", outdir);
	return 0;
}
