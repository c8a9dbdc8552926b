/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON reader: see json.h. Recursive descent over the text. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *p, *end;
	char *err;
	size_t errcap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	if (ps->err == NULL || ps->errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errcap, fmt, ap);
	va_end(ap);
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool
literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

/* Append @n bytes to a growing string. */
static bool
sb_put(struct parser *ps, char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		char *b;

		while (c < *len + n + 1)
			c *= 2;
		b = realloc(*buf, c);
		if (b == NULL) {
			fail(ps, "out of memory");
			return false;
		}
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

static int
hex4(struct parser *ps, unsigned int *out)
{
	unsigned int v = 0;

	if (ps->end - ps->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
utf8_encode(unsigned int cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote. */
static char *
parse_string(struct parser *ps, size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	ps->p++;
	if (!sb_put(ps, &buf, &len, &cap, "", 0))
		return NULL;
	for (;;) {
		const char *run = ps->p;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (!sb_put(ps, &buf, &len, &cap, run, (size_t)(ps->p - run)))
			goto bad;
		if (ps->p >= ps->end) {
			fail(ps, "unterminated string");
			goto bad;
		}
		if (*ps->p == '"') {
			ps->p++;
			*out_len = len;
			return buf;
		}
		if (*ps->p != '\\') {
			fail(ps, "control character in a string");
			goto bad;
		}
		ps->p++;
		if (ps->p >= ps->end) {
			fail(ps, "unterminated escape");
			goto bad;
		}
		char c = *ps->p++, one[4];
		size_t n = 1;
		unsigned int cp, lo;

		switch (c) {
		case '"': one[0] = '"'; break;
		case '\\': one[0] = '\\'; break;
		case '/': one[0] = '/'; break;
		case 'b': one[0] = '\b'; break;
		case 'f': one[0] = '\f'; break;
		case 'n': one[0] = '\n'; break;
		case 'r': one[0] = '\r'; break;
		case 't': one[0] = '\t'; break;
		case 'u':
			if (hex4(ps, &cp) != 0) {
				fail(ps, "bad \\u escape");
				goto bad;
			}
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
					fail(ps, "lone surrogate in \\u escape");
					goto bad;
				}
				ps->p += 2;
				if (hex4(ps, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
					fail(ps, "bad surrogate pair in \\u escape");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				fail(ps, "lone surrogate in \\u escape");
				goto bad;
			}
			n = utf8_encode(cp, one);
			break;
		default:
			fail(ps, "unknown escape \\%c", c);
			goto bad;
		}
		if (!sb_put(ps, &buf, &len, &cap, one, n))
			goto bad;
	}
bad:
	free(buf);
	return NULL;
}

static bool
parse_number(struct parser *ps, struct json *v)
{
	const char *start = ps->p;
	bool neg = false, integral = true;
	char tmp[64];
	size_t n;

	if (ps->p < ps->end && *ps->p == '-') {
		neg = true;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
		fail(ps, "bad number");
		return false;
	}
	if (*ps->p == '0') {
		ps->p++;
	} else {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		integral = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "bad number");
			return false;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "bad number");
			return false;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = (size_t)(ps->p - start);
	if (n >= sizeof(tmp)) {
		fail(ps, "number too long");
		return false;
	}
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	v->type = JSON_NUMBER;
	v->num = strtod(tmp, NULL);
	if (integral && !neg) {
		errno = 0;
		v->u = strtoull(tmp, NULL, 10);
		v->is_uint = errno == 0;
	}
	return true;
}

static bool parse_value(struct parser *ps, struct json *v, unsigned int depth);
static void json_clear(struct json *v);

static bool
push(struct parser *ps, struct json *v, size_t *cap, struct json *item, char *key)
{
	if (v->n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		struct json *items = realloc(v->items, c * sizeof(*items));

		if (items == NULL) {
			fail(ps, "out of memory");
			return false;
		}
		v->items = items;
		if (v->type == JSON_OBJECT) {
			char **keys = realloc(v->keys, c * sizeof(*keys));

			if (keys == NULL) {
				fail(ps, "out of memory");
				return false;
			}
			v->keys = keys;
		}
		*cap = c;
	}
	v->items[v->n] = *item;
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->n++;
	return true;
}

static bool
parse_container(struct parser *ps, struct json *v, unsigned int depth, bool obj)
{
	size_t cap = 0;

	v->type = obj ? JSON_OBJECT : JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
		ps->p++;
		return true;
	}
	for (;;) {
		struct json item;
		char *key = NULL;
		size_t klen;

		memset(&item, 0, sizeof(item));
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a key");
				return false;
			}
			key = parse_string(ps, &klen);
			if (key == NULL)
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				return false;
			}
			ps->p++;
		}
		if (!parse_value(ps, &item, depth + 1) || !push(ps, v, &cap, &item, key)) {
			free(key);
			json_clear(&item); /* its children; item itself is on the stack */
			return false;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
			ps->p++;
			return true;
		}
		fail(ps, "expected ',' or '%c'", obj ? '}' : ']');
		return false;
	}
}

static bool
parse_value(struct parser *ps, struct json *v, unsigned int depth)
{
	if (depth > JSON_DEPTH_MAX) {
		fail(ps, "nested deeper than %d", JSON_DEPTH_MAX);
		return false;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of text");
		return false;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, v, depth, true);
	case '[':
		return parse_container(ps, v, depth, false);
	case '"':
		v->type = JSON_STRING;
		v->str = parse_string(ps, &v->len);
		return v->str != NULL;
	case 't':
	case 'f':
	case 'n':
		if (literal(ps, "true")) {
			v->type = JSON_BOOL;
			v->b = true;
		} else if (literal(ps, "false")) {
			v->type = JSON_BOOL;
		} else if (literal(ps, "null")) {
			v->type = JSON_NULL;
		} else {
			fail(ps, "unknown literal");
			return false;
		}
		return true;
	default:
		return parse_number(ps, v);
	}
}

/* Free what @v owns, not @v itself. */
static void
json_clear(struct json *v)
{
	for (size_t i = 0; i < v->n; i++) {
		json_clear(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

struct json *
json_parse(const char *text, size_t len, char *err, size_t errcap)
{
	struct parser ps = {.p = text, .end = text + len, .err = err, .errcap = errcap};
	struct json *v = calloc(1, sizeof(*v));

	if (v == NULL) {
		fail(&ps, "out of memory");
		return NULL;
	}
	if (parse_value(&ps, v, 0)) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			return v;
		fail(&ps, "trailing characters after the value");
	}
	json_clear(v);
	free(v);
	return NULL;
}

void
json_free(struct json *v)
{
	if (v == NULL)
		return;
	json_clear(v);
	free(v);
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

const struct json *
json_at(const struct json *arr, size_t i)
{
	if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->n)
		return NULL;
	return &arr->items[i];
}

size_t
json_len(const struct json *arr)
{
	return arr != NULL && arr->type == JSON_ARRAY ? arr->n : 0;
}

uint64_t
json_u64(const struct json *v, uint64_t dflt)
{
	return v != NULL && v->type == JSON_NUMBER && v->is_uint ? v->u : dflt;
}

const char *
json_str(const struct json *v, const char *dflt)
{
	return v != NULL && v->type == JSON_STRING ? v->str : dflt;
}

bool
json_bool(const struct json *v, bool dflt)
{
	return v != NULL && v->type == JSON_BOOL ? v->b : dflt;
}

uint64_t
json_get_u64(const struct json *obj, const char *key, uint64_t dflt)
{
	return json_u64(json_get(obj, key), dflt);
}

const char *
json_get_str(const struct json *obj, const char *key, const char *dflt)
{
	return json_str(json_get(obj, key), dflt);
}

bool
json_get_bool(const struct json *obj, const char *key, bool dflt)
{
	return json_bool(json_get(obj, key), dflt);
}
