/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire codec: every message type round-trips; truncated, oversized, padded
 * and garbage input is refused; every bounded field is checked on both
 * sides.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "group/wire.h"

static void
fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static struct wire_msg
sample(enum wire_type t)
{
	struct wire_msg m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	switch (t) {
	case WIRE_CHALLENGE:
		m.u.challenge.group_id = 4321;
		fill(m.u.challenge.nonce, WIRE_NONCE_LEN, 1);
		break;
	case WIRE_JOIN:
		fill(m.u.join.domain, WIRE_UUID_LEN, 2);
		fill(m.u.join.nonce, WIRE_NONCE_LEN, 3);
		fill(m.u.join.mac, WIRE_MAC_LEN, 4);
		break;
	case WIRE_WELCOME:
		fill(m.u.welcome.mac, WIRE_MAC_LEN, 5);
		m.u.welcome.slot = 3;
		m.u.welcome.nb_members = 3;
		for (int i = 0; i < 3; i++) {
			struct wire_member *x = &m.u.welcome.members[i];

			x->slot = (uint16_t)(i == 0 ? 0 : i == 1 ? 1 : 7);
			x->is_creator = i == 0;
			x->pid = 1000u + (uint32_t)i;
			x->uid = 500;
			fill(x->domain, WIRE_UUID_LEN, (uint8_t)(10 + i));
		}
		break;
	case WIRE_REFUSE:
		m.u.refuse_code = EACCES;
		break;
	case WIRE_MEMBER_JOINED:
		m.u.member.slot = 9;
		m.u.member.pid = 77;
		m.u.member.uid = 0xfffffffe;
		fill(m.u.member.domain, WIRE_UUID_LEN, 6);
		break;
	case WIRE_MEMBER_LEFT:
	case WIRE_LEFT_DONE:
		m.u.left.slot = 127;
		fill(m.u.left.domain, WIRE_UUID_LEN, 8);
		break;
	case WIRE_WINDOW_ADD:
		m.u.window.owner_slot = 2;
		m.u.window.perms = WIRE_PERM_READ | WIRE_PERM_WRITE;
		m.u.window.base = 0x7f0000001000ull;
		m.u.window.len = 1ull << 21;
		m.u.window.offset = 1ull << 30;
		break;
	case WIRE_WINDOW_REMOVE:
		m.u.window_remove.owner_slot = 5;
		m.u.window_remove.base = 0xdeadbeef000ull;
		break;
	case WIRE_DIR_PUBLISH:
	case WIRE_DIR_ENTRY:
		m.u.dir.req_id = t == WIRE_DIR_PUBLISH ? 42 : 0;
		m.u.dir.owner_slot = t == WIRE_DIR_ENTRY ? 4 : 0;
		m.u.dir.addr = 0x1234567890ull;
		m.u.dir.len = 4096;
		m.u.dir.name_len = 6;
		memcpy(m.u.dir.name, "ring-0", 7);
		break;
	case WIRE_DIR_UNPUBLISH:
	case WIRE_DIR_REMOVE:
		m.u.dir.req_id = t == WIRE_DIR_UNPUBLISH ? 43 : 0;
		m.u.dir.owner_slot = t == WIRE_DIR_REMOVE ? 4 : 0;
		m.u.dir.name_len = WIRE_NAME_MAX;
		memset(m.u.dir.name, 'x', WIRE_NAME_MAX);
		break;
	case WIRE_DIR_RESULT:
		m.u.dir.req_id = 44;
		m.u.dir.code = EEXIST;
		break;
	default:
		break;
	}
	return m;
}

static void
roundtrip_all(void **state)
{
	(void)state;
	for (int t = 1; t < WIRE_TYPE_MAX; t++) {
		struct wire_msg in = sample((enum wire_type)t), out;
		uint8_t buf[WIRE_MAX_MSG];
		const char *why;
		ssize_t len = wire_encode(&in, buf, sizeof(buf));

		assert_true(len >= WIRE_HDR_LEN);
		assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), 0);
		assert_int_equal(out.type, t);
		/* Decoded fields equal the encoded ones (the union was zeroed
		 * on both sides, names are NUL-terminated on both). */
		assert_memory_equal(&in.u, &out.u, sizeof(in.u));

		/* Every strict prefix is refused. */
		for (ssize_t cut = 0; cut < len; cut++)
			assert_int_equal(wire_decode(buf, (size_t)cut, &out, &why), -EBADMSG);
		/* A trailing byte is refused too (length field mismatch). */
		buf[len] = 0;
		assert_int_equal(wire_decode(buf, (size_t)len + 1, &out, &why), -EBADMSG);
	}
}

static void
full_welcome(void **state)
{
	struct wire_msg m, out;
	uint8_t buf[WIRE_MAX_MSG];
	const char *why;
	ssize_t len;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = WIRE_WELCOME;
	m.u.welcome.slot = WIRE_MAX_MEMBERS - 1;
	m.u.welcome.nb_members = WIRE_MAX_MEMBERS - 1;
	for (int i = 0; i < WIRE_MAX_MEMBERS - 1; i++) {
		m.u.welcome.members[i].slot = (uint16_t)i;
		m.u.welcome.members[i].is_creator = i == 0;
	}
	len = wire_encode(&m, buf, sizeof(buf));
	assert_true(len > 0 && len <= WIRE_MAX_MSG);
	assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), 0);
	assert_int_equal(out.u.welcome.nb_members, WIRE_MAX_MEMBERS - 1);
	/* One more member does not exist: 128 others plus the joiner. */
	m.u.welcome.nb_members = WIRE_MAX_MEMBERS;
	assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
}

static void
header_checks(void **state)
{
	struct wire_msg m = sample(WIRE_JOIN), out;
	uint8_t buf[WIRE_MAX_MSG + 16], bad[WIRE_MAX_MSG + 16];
	const char *why;
	ssize_t len;

	(void)state;
	len = wire_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);

	memcpy(bad, buf, (size_t)len);
	bad[0] ^= 1; /* magic */
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);
	assert_non_null(why);

	memcpy(bad, buf, (size_t)len);
	bad[4] = WIRE_VERSION + 1;
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EPROTONOSUPPORT);

	memcpy(bad, buf, (size_t)len);
	bad[6] = 1; /* flags */
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);

	memcpy(bad, buf, (size_t)len);
	bad[5] = 0; /* type 0 */
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);
	bad[5] = WIRE_TYPE_MAX;
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);

	/* Length field saying more, or less, than what arrived. */
	memcpy(bad, buf, (size_t)len);
	bad[8]++;
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);
	memcpy(bad, buf, (size_t)len);
	bad[8]--;
	assert_int_equal(wire_decode(bad, (size_t)len, &out, &why), -EBADMSG);

	/* Oversized: refused before anything is read. */
	memset(bad, 0, sizeof(bad));
	assert_int_equal(wire_decode(bad, WIRE_MAX_MSG + 1, &out, &why), -EBADMSG);

	/* Encoding into too small a buffer. */
	assert_int_equal(wire_encode(&m, buf, (size_t)len - 1), -EMSGSIZE);
	assert_int_equal(wire_encode(&m, buf, 3), -EMSGSIZE);
}

/* Patch one body byte of an encoded sample and expect a refusal. */
static void
expect_refused(enum wire_type t, size_t body_off, uint8_t val)
{
	struct wire_msg m = sample(t), out;
	uint8_t buf[WIRE_MAX_MSG];
	const char *why = NULL;
	ssize_t len = wire_encode(&m, buf, sizeof(buf));

	assert_true(len > 0);
	assert_true(WIRE_HDR_LEN + body_off < (size_t)len);
	buf[WIRE_HDR_LEN + body_off] = val;
	assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), -EBADMSG);
	assert_non_null(why);
}

static void
field_checks(void **state)
{
	(void)state;
	/* challenge: protocol version inside, group id above INT16_MAX */
	expect_refused(WIRE_CHALLENGE, 0, 9);
	expect_refused(WIRE_CHALLENGE, 3, 0x80);
	/* welcome: joiner slot 0, member count 0, creator not first,
	 * duplicate slot, the joiner's own slot in the list */
	expect_refused(WIRE_WELCOME, WIRE_MAC_LEN + 0, 0);
	expect_refused(WIRE_WELCOME, WIRE_MAC_LEN + 2, 0);
	expect_refused(WIRE_WELCOME, WIRE_MAC_LEN + 4 + 2, 0);
	expect_refused(WIRE_WELCOME, WIRE_MAC_LEN + 4 + 28, 0);
	expect_refused(WIRE_WELCOME, WIRE_MAC_LEN + 4 + 56, 3);
	/* refuse: code 0 */
	expect_refused(WIRE_REFUSE, 0, 0);
	/* member-joined: slot 0 (creator's), slot out of range, creator flag */
	expect_refused(WIRE_MEMBER_JOINED, 0, 0);
	expect_refused(WIRE_MEMBER_JOINED, 0, 200);
	expect_refused(WIRE_MEMBER_JOINED, 2, 1);
	/* member-left: slot 0 or out of range */
	expect_refused(WIRE_MEMBER_LEFT, 0, 0);
	expect_refused(WIRE_MEMBER_LEFT, 0, 128);
	expect_refused(WIRE_LEFT_DONE, 0, 0);
	expect_refused(WIRE_LEFT_DONE, 0, 128);
	/* window-add: slot, padding, perms 0, unknown perm bit, len 0,
	 * base + len overflowing */
	expect_refused(WIRE_WINDOW_ADD, 0, 128);
	expect_refused(WIRE_WINDOW_ADD, 2, 1);
	expect_refused(WIRE_WINDOW_ADD, 4, 0);
	expect_refused(WIRE_WINDOW_ADD, 4, 7);
	{
		struct wire_msg m = sample(WIRE_WINDOW_ADD), out;
		uint8_t buf[WIRE_MAX_MSG];
		const char *why;
		ssize_t len;

		m.u.window.len = 0;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
		m.u.window.len = 16;
		m.u.window.base = UINT64_MAX - 8;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
		m.u.window.base = 0;
		m.u.window.offset = UINT64_MAX - 8;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
		m.u.window.offset = 0;
		len = wire_encode(&m, buf, sizeof(buf));
		assert_true(len > 0);
		memset(buf + WIRE_HDR_LEN + 8, 0xff, 8); /* base = ~0 */
		assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), -EBADMSG);
		memset(buf + WIRE_HDR_LEN + 8, 0, 8);
		assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), 0);
		memset(buf + WIRE_HDR_LEN + 24, 0xff, 8); /* offset = ~0 */
		assert_int_equal(wire_decode(buf, (size_t)len, &out, &why), -EBADMSG);
	}
	/* window-remove: slot, padding */
	expect_refused(WIRE_WINDOW_REMOVE, 0, 200);
	expect_refused(WIRE_WINDOW_REMOVE, 3, 1);
	/* directory: name length 0 or too long, bad characters, zero length */
	expect_refused(WIRE_DIR_PUBLISH, 20, 0);
	expect_refused(WIRE_DIR_PUBLISH, 20, 64);
	expect_refused(WIRE_DIR_PUBLISH, 21, ' ');
	expect_refused(WIRE_DIR_PUBLISH, 22, 0);
	expect_refused(WIRE_DIR_PUBLISH, 22, 0x7f);
	expect_refused(WIRE_DIR_ENTRY, 0, 200);
	expect_refused(WIRE_DIR_UNPUBLISH, 4, 0);
	expect_refused(WIRE_DIR_REMOVE, 1, 1);
	expect_refused(WIRE_DIR_RESULT, 7, 0x80);
	{
		struct wire_msg m = sample(WIRE_DIR_PUBLISH);
		uint8_t buf[WIRE_MAX_MSG];

		m.u.dir.len = 0;
		assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
		m = sample(WIRE_DIR_PUBLISH);
		m.u.dir.name[2] = '\n';
		assert_int_equal(wire_encode(&m, buf, sizeof(buf)), -EINVAL);
	}
	/* Empty-bodied types refuse a body. */
	{
		struct wire_msg m = sample(WIRE_SYNC), out;
		uint8_t buf[WIRE_MAX_MSG];
		const char *why;
		ssize_t len = wire_encode(&m, buf, sizeof(buf));

		assert_int_equal(len, WIRE_HDR_LEN);
		buf[8] = 1;
		buf[WIRE_HDR_LEN] = 0;
		assert_int_equal(wire_decode(buf, WIRE_HDR_LEN + 1, &out, &why), -EBADMSG);
	}
}

static void
names(void **state)
{
	char longname[WIRE_NAME_MAX + 2];

	(void)state;
	assert_true(wire_name_valid("a"));
	assert_true(wire_name_valid("ring/0:rx"));
	assert_false(wire_name_valid(""));
	assert_false(wire_name_valid(NULL));
	assert_false(wire_name_valid("a b"));
	assert_false(wire_name_valid("tab\t"));
	assert_false(wire_name_valid("\xc3\xa9"));
	memset(longname, 'n', sizeof(longname));
	longname[WIRE_NAME_MAX] = '\0';
	assert_true(wire_name_valid(longname));
	longname[WIRE_NAME_MAX] = 'n';
	longname[WIRE_NAME_MAX + 1] = '\0';
	assert_false(wire_name_valid(longname));
	assert_string_equal(wire_type_name(WIRE_JOIN), "join");
	assert_string_equal(wire_type_name(0), "unknown");
	assert_string_equal(wire_type_name(999), "unknown");
}

/* Random bytes with a valid header must never crash the decoder nor be
 * accepted with a field out of range; a light in-tree fuzz until the real
 * fuzzer exists. */
static void
garbage(void **state)
{
	uint8_t buf[WIRE_MAX_MSG];
	unsigned int seed = 12345;
	struct wire_msg out;
	const char *why;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = WIRE_HDR_LEN + (size_t)(rand_r(&seed) % 160);
		uint32_t body = (uint32_t)(len - WIRE_HDR_LEN);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		buf[0] = 'I';
		buf[1] = 'D';
		buf[2] = 'D';
		buf[3] = 'G';
		buf[4] = WIRE_VERSION;
		buf[5] = (uint8_t)(1 + rand_r(&seed) % (WIRE_TYPE_MAX - 1));
		buf[6] = buf[7] = 0;
		for (int i = 0; i < 4; i++)
			buf[8 + i] = (uint8_t)(body >> (8 * i));
		if (wire_decode(buf, len, &out, &why) == 0) {
			/* Whatever was accepted re-encodes to the same bytes. */
			uint8_t again[WIRE_MAX_MSG];
			ssize_t n = wire_encode(&out, again, sizeof(again));

			assert_int_equal(n, (ssize_t)len);
			assert_memory_equal(again, buf, len);
		} else {
			assert_non_null(why);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_all),
		cmocka_unit_test(full_welcome),
		cmocka_unit_test(header_checks),
		cmocka_unit_test(field_checks),
		cmocka_unit_test(names),
		cmocka_unit_test(garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
