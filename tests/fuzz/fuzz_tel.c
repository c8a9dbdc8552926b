/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "tel": the telemetry server's request check, the client's
 * reply check (src/telemetry/proto.c), and idd-ctl's JSON reader
 * (tools/ctl/json.c), over arbitrary bytes.
 *
 * Oracles beyond the sanitizers: a request the server accepts, or answers
 * as an unknown command, is exactly one header and encodes back to the same
 * 16 bytes; every refusal says why; a reply the client accepts has a
 * header; a text the JSON reader accepts is written back with the
 * library's JSON writer and must read again.
 */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "json.h"
#include "telemetry/json_out.h"
#include "telemetry/proto.h"

static void
emit(struct jw *w, const char *key, const struct json *v)
{
	switch (v->type) {
	case JSON_NULL:
		jw_null(w, key);
		break;
	case JSON_BOOL:
		jw_bool(w, key, v->b);
		break;
	case JSON_NUMBER:
		if (v->is_uint)
			jw_u64(w, key, v->u);
		else
			jw_null(w, key); /* the writer has no floating point */
		break;
	case JSON_STRING:
		jw_strn(w, key, v->str, v->len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (v->type == JSON_ARRAY)
			jw_arr(w, key);
		else
			jw_obj(w, key);
		for (size_t i = 0; i < v->n; i++)
			emit(w, v->type == JSON_OBJECT ? v->keys[i] : NULL, &v->items[i]);
		jw_end(w);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tel_hdr h;
	const char *why;
	struct json *j;
	int ret;

	fuzz_quiet_logs();
	ret = tel_request_check(data, size, &h, &why);
	if (ret == 0 || ret == -EOPNOTSUPP) {
		uint8_t again[TEL_HDR_LEN];

		if (size != TEL_REQ_LEN)
			abort();
		tel_hdr_encode(&h, again);
		if (memcmp(again, data, TEL_HDR_LEN) != 0)
			abort();
	}
	if ((ret != 0) != (why != NULL))
		abort();
	ret = tel_reply_check(data, size, &h, &why);
	if (ret == 0 && size < TEL_HDR_LEN)
		abort();
	if ((ret != 0) != (why != NULL))
		abort();
	j = json_parse((const char *)data, size, NULL, 0);
	if (j != NULL) {
		struct jw w;

		jw_init(&w, 1u << 24);
		emit(&w, NULL, j);
		/* Deeper than the writer allows, or too large: fine, else the
		 * text must read back. */
		if (w.err == 0) {
			struct json *again = json_parse(w.buf, w.len, NULL, 0);

			if (again == NULL)
				abort();
			json_free(again);
		}
		jw_free(&w);
		json_free(j);
	}
	return 0;
}
