/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON text writer: see json_out.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/json_out.h"

void
jw_init(struct jw *w, size_t limit)
{
	memset(w, 0, sizeof(*w));
	w->limit = limit;
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w, w->limit);
}

void
jw_reset(struct jw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	if (w->buf != NULL)
		w->buf[0] = '\0';
}

static void
put(struct jw *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n + 1 > w->limit) {
		w->err = -E2BIG;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *p;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (cap > w->limit)
			cap = w->limit;
		p = realloc(w->buf, cap);
		if (p == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
puts_(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_string(struct jw *w, const char *s, size_t n)
{
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else if (c == '\t') {
			put(w, "\\t", 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		}
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

/* The comma and key before a value. */
static void
member(struct jw *w, const char *key)
{
	if (w->err != 0)
		return;
	if (w->depth == 0) {
		/* One top-level value only. */
		if (key != NULL || w->len != 0)
			w->err = -EINVAL;
		return;
	}
	if (w->is_obj[w->depth - 1] != (key != NULL)) {
		w->err = -EINVAL;
		return;
	}
	if (!w->first[w->depth - 1])
		put(w, ",", 1);
	w->first[w->depth - 1] = false;
	if (key != NULL) {
		put_string(w, key, strlen(key));
		put(w, ":", 1);
	}
}

static void
open_(struct jw *w, const char *key, bool obj)
{
	member(w, key);
	if (w->err != 0)
		return;
	if (w->depth >= JW_DEPTH_MAX) {
		w->err = -EINVAL;
		return;
	}
	put(w, obj ? "{" : "[", 1);
	w->is_obj[w->depth] = obj;
	w->first[w->depth] = true;
	w->depth++;
}

void
jw_obj(struct jw *w, const char *key)
{
	open_(w, key, true);
}

void
jw_arr(struct jw *w, const char *key)
{
	open_(w, key, false);
}

void
jw_end(struct jw *w)
{
	if (w->err != 0)
		return;
	if (w->depth == 0) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	put(w, w->is_obj[w->depth] ? "}" : "]", 1);
}

void
jw_strn(struct jw *w, const char *key, const char *v, size_t n)
{
	member(w, key);
	if (v == NULL)
		puts_(w, "null");
	else
		put_string(w, v, n);
}

void
jw_str(struct jw *w, const char *key, const char *v)
{
	jw_strn(w, key, v, v != NULL ? strlen(v) : 0);
}

void
jw_u64(struct jw *w, const char *key, uint64_t v)
{
	char num[24];

	member(w, key);
	snprintf(num, sizeof(num), "%" PRIu64, v);
	puts_(w, num);
}

void
jw_i64(struct jw *w, const char *key, int64_t v)
{
	char num[24];

	member(w, key);
	snprintf(num, sizeof(num), "%" PRId64, v);
	puts_(w, num);
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	member(w, key);
	puts_(w, v ? "true" : "false");
}

void
jw_null(struct jw *w, const char *key)
{
	member(w, key);
	puts_(w, "null");
}
