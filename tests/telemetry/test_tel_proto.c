/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The telemetry protocol's checks and the JSON writer and reader, over
 * plain buffers (no socket, no process): every field of a request is
 * checked, every refusal has its reason, and what the writer produces the
 * reader reads back exactly, whatever bytes the strings hold.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "telemetry/json_out.h"
#include "telemetry/proto.h"

static void
make_req(uint8_t out[TEL_REQ_LEN], uint16_t version, uint16_t type, uint32_t id)
{
	struct tel_hdr h = {.version = version, .type = type, .id = id};

	tel_hdr_encode(&h, out);
}

static void
test_request_valid(void **state)
{
	uint8_t req[TEL_REQ_LEN];
	struct tel_hdr h;
	const char *why;

	(void)state;
	for (unsigned int cmd = 1; cmd <= TEL_CMD_MAX; cmd++) {
		make_req(req, TEL_VERSION, (uint16_t)cmd, 0xdeadbeefu);
		assert_int_equal(tel_request_check(req, sizeof(req), &h, &why), 0);
		assert_int_equal(h.type, cmd);
		assert_int_equal(h.id, 0xdeadbeefu);
		assert_int_equal(h.version, TEL_VERSION);
		assert_non_null(tel_cmd_name(cmd));
	}
	/* Little endian on the wire, whatever the host. */
	assert_memory_equal(req, "IDDT\x01\x00\x05\x00\xef\xbe\xad\xde\0\0\0\0", TEL_REQ_LEN);
}

static void
test_request_refused(void **state)
{
	uint8_t req[TEL_REQ_BUF + 1];
	struct tel_hdr h;
	const char *why;

	(void)state;
	memset(req, 0, sizeof(req));
	make_req(req, TEL_VERSION, TEL_CMD_ALL, 1);
	/* Sizes: only exactly 16 bytes. */
	for (size_t len = 0; len < TEL_REQ_LEN; len++) {
		assert_int_equal(tel_request_check(req, len, &h, &why), -EPROTO);
		assert_non_null(why);
	}
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN + 1, &h, &why), -EPROTO);
	assert_int_equal(tel_request_check(req, sizeof(req), &h, &why), -EPROTO);
	/* Magic. */
	req[0] = 'X';
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EPROTO);
	assert_non_null(strstr(why, "magic"));
	/* Version: refused, distinguishable (the server answers it). */
	make_req(req, 2, TEL_CMD_ALL, 7);
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EPROTONOSUPPORT);
	assert_int_equal(h.version, 2);
	make_req(req, 0, TEL_CMD_ALL, 7);
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EPROTONOSUPPORT);
	/* Reserved bytes, each of them. */
	for (int i = 12; i < 16; i++) {
		make_req(req, TEL_VERSION, TEL_CMD_ALL, 7);
		req[i] = 1;
		assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EPROTO);
		assert_non_null(strstr(why, "reserved"));
	}
	/* A reply is not a request. */
	make_req(req, TEL_VERSION, TEL_CMD_ALL | TEL_REPLY, 7);
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EPROTO);
	/* Unknown commands: answered, the id kept for the answer. */
	make_req(req, TEL_VERSION, 0, 9);
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EOPNOTSUPP);
	make_req(req, TEL_VERSION, TEL_CMD_MAX + 1, 9);
	assert_int_equal(tel_request_check(req, TEL_REQ_LEN, &h, &why), -EOPNOTSUPP);
	assert_int_equal(h.id, 9);
	assert_null(tel_cmd_name(0));
	assert_null(tel_cmd_name(TEL_CMD_MAX + 1));
}

static void
test_reply_check(void **state)
{
	uint8_t msg[TEL_HDR_LEN + TEL_CHUNK_MAX + 1];
	struct tel_hdr h = {.version = TEL_VERSION, .type = TEL_CMD_DEVICES | TEL_REPLY, .id = 3,
			    .status = -EACCES, .flags = TEL_FLAG_MORE};
	struct tel_hdr got;
	const char *why;

	(void)state;
	memset(msg, 'x', sizeof(msg));
	tel_hdr_encode(&h, msg);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN + 10, &got, &why), 0);
	assert_int_equal(got.status, -EACCES);
	assert_int_equal(got.flags, TEL_FLAG_MORE);
	assert_int_equal(got.id, 3);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN + TEL_CHUNK_MAX, &got, &why), 0);
	assert_int_equal(tel_reply_check(msg, sizeof(msg), &got, &why), -EPROTO);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN - 1, &got, &why), -EPROTO);
	h.flags = 2;
	tel_hdr_encode(&h, msg);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN, &got, &why), -EPROTO);
	h.flags = 0;
	h.status = 5;
	tel_hdr_encode(&h, msg);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN, &got, &why), -EPROTO);
	h.status = 0;
	h.type = TEL_CMD_DEVICES;
	tel_hdr_encode(&h, msg);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN, &got, &why), -EPROTO);
	h.type = TEL_HELLO;
	h.version = 3;
	tel_hdr_encode(&h, msg);
	assert_int_equal(tel_reply_check(msg, TEL_HDR_LEN, &got, &why), -EPROTONOSUPPORT);
}

static void
test_json_roundtrip(void **state)
{
	static const char weird[] = "q\"b\\s/\n\t\x01\x1f\x7f\xc3\xa9\xff end";
	struct jw w;
	struct json *j;
	char err[128];

	(void)state;
	jw_init(&w, 1 << 20);
	jw_obj(&w, NULL);
	jw_str(&w, "s", weird);
	jw_u64(&w, "big", UINT64_MAX);
	jw_u64(&w, "addr", 0x00007f1234567000ull);
	jw_i64(&w, "neg", -42);
	jw_bool(&w, "t", true);
	jw_null(&w, "n");
	jw_str(&w, "nul", NULL);
	jw_arr(&w, "a");
	jw_u64(&w, NULL, 1);
	jw_obj(&w, NULL);
	jw_end(&w);
	jw_arr(&w, NULL);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	assert_int_equal(w.err, 0);
	/* Plain ASCII whatever the bytes. */
	for (size_t i = 0; i < w.len; i++)
		assert_true((unsigned char)w.buf[i] >= 0x20 && (unsigned char)w.buf[i] < 0x7f);

	j = json_parse(w.buf, w.len, err, sizeof(err));
	assert_non_null(j);
	/* Bytes >= 0x80 come back as U+0080..U+00FF in UTF-8: compare the
	 * ASCII part, and the re-encoded é (0xc3 -> U+00C3 -> c3 83). */
	const char *s = json_get_str(j, "s", NULL);
	assert_non_null(s);
	assert_memory_equal(s, "q\"b\\s/\n\t\x01\x1f\x7f", 11);
	assert_memory_equal(s + 11, "\xc3\x83\xc2\xa9\xc3\xbf end", 10);
	assert_true(json_get(j, "big")->is_uint);
	assert_int_equal(json_get_u64(j, "big", 0), UINT64_MAX);
	assert_int_equal(json_get_u64(j, "addr", 0), 0x00007f1234567000ull);
	assert_false(json_get(j, "neg")->is_uint);
	assert_true(json_get(j, "neg")->num == -42.0);
	assert_true(json_get_bool(j, "t", false));
	assert_int_equal(json_get(j, "n")->type, JSON_NULL);
	assert_int_equal(json_get(j, "nul")->type, JSON_NULL);
	assert_int_equal(json_len(json_get(j, "a")), 3);
	assert_int_equal(json_at(json_get(j, "a"), 1)->type, JSON_OBJECT);
	assert_null(json_at(json_get(j, "a"), 3));
	assert_null(json_get(j, "missing"));
	assert_int_equal(json_get_u64(j, "missing", 77), 77);
	json_free(j);
	jw_free(&w);
}

static void
test_json_writer_errors(void **state)
{
	struct jw w;

	(void)state;
	/* A key inside an array, none inside an object, closing too much. */
	jw_init(&w, 1024);
	jw_arr(&w, NULL);
	jw_u64(&w, "k", 1);
	assert_int_equal(w.err, -EINVAL);
	jw_free(&w);
	jw_obj(&w, NULL);
	jw_u64(&w, NULL, 1);
	assert_int_equal(w.err, -EINVAL);
	jw_free(&w);
	jw_end(&w);
	assert_int_equal(w.err, -EINVAL);
	jw_free(&w);
	/* Too deep. */
	for (int i = 0; i <= JW_DEPTH_MAX; i++)
		jw_arr(&w, NULL);
	assert_int_equal(w.err, -EINVAL);
	jw_free(&w);
	/* The limit, sticky. */
	jw_init(&w, 64);
	jw_arr(&w, NULL);
	for (int i = 0; i < 100; i++)
		jw_str(&w, NULL, "0123456789");
	assert_int_equal(w.err, -E2BIG);
	assert_true(w.len < 64);
	jw_free(&w);
}

static void
test_json_reader_refuses(void **state)
{
	static const char *const bad[] = {
		"", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]",
		"[1e]", "[-]", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"a\nb\"", "tru", "nul", "[1] 2", "{\"a\":1,}", "[\"\\ud800\\u0041\"]",
	};
	char err[128], deep[300];
	struct json *j;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		j = json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
		if (j != NULL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* Nesting beyond the limit, then just within. */
	memset(deep, '[', 200);
	memset(deep + 200, ']', 100);
	assert_null(json_parse(deep, 200, err, sizeof(err)));
	memset(deep, '[', JSON_DEPTH_MAX);
	memset(deep + JSON_DEPTH_MAX, ']', JSON_DEPTH_MAX);
	j = json_parse(deep, 2 * JSON_DEPTH_MAX, err, sizeof(err));
	assert_non_null(j);
	json_free(j);
	/* Surrogate pairs and escapes decode to UTF-8. */
	j = json_parse("\"\\ud83d\\ude00\\u00e9\\/\"", 22, err, sizeof(err));
	assert_non_null(j);
	assert_string_equal(j->str, "\xf0\x9f\x98\x80\xc3\xa9/");
	json_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_valid),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_reply_check),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_writer_errors),
		cmocka_unit_test(test_json_reader_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
