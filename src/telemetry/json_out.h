/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_TELEMETRY_JSON_OUT_H
#define IDD_SRC_TELEMETRY_JSON_OUT_H

/*
 * A JSON text writer into a growable buffer with a size limit. Commas and
 * nesting are tracked for the caller; errors are sticky (check jw.err once
 * at the end): -ENOMEM, -E2BIG past the limit, -EINVAL for misnesting.
 * Strings are escaped so that the text is valid JSON and plain ASCII
 * whatever the bytes: control characters (and DEL), quotes and backslashes as
 * escapes, bytes 0x80-0xff as \u0080-\u00ff.
 *
 *   jw_obj(&w, NULL);            {
 *   jw_str(&w, "name", "x");       "name":"x",
 *   jw_arr(&w, "list");            "list":[
 *   jw_u64(&w, NULL, 1);             1
 *   jw_end(&w);                    ]
 *   jw_end(&w);                  }
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_DEPTH_MAX 16

struct jw {
	char *buf;       /* NUL-terminated while err == 0 */
	size_t len, cap, limit;
	int err;
	unsigned int depth;
	bool is_obj[JW_DEPTH_MAX];
	bool first[JW_DEPTH_MAX];
};

void jw_init(struct jw *w, size_t limit);
void jw_free(struct jw *w);
/* Empty the text, keep the buffer. */
void jw_reset(struct jw *w);

/* @key is required inside an object, must be NULL elsewhere. */
void jw_obj(struct jw *w, const char *key);
void jw_arr(struct jw *w, const char *key);
void jw_end(struct jw *w);
/* @v NULL writes null. */
void jw_str(struct jw *w, const char *key, const char *v);
void jw_strn(struct jw *w, const char *key, const char *v, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);

#endif
