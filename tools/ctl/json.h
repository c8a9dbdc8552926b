/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_CTL_JSON_H
#define IDD_TOOLS_CTL_JSON_H

/*
 * A small JSON reader for idd-ctl (and its tests): parses a whole text into
 * a tree. Strict RFC 8259 syntax, nesting at most JSON_DEPTH_MAX deep.
 * Non-negative integers are also kept exactly as uint64_t (counters and
 * addresses exceed a double's 53 bits).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	bool b;
	double num;
	bool is_uint;        /* a non-negative integer that fits uint64_t */
	uint64_t u;
	char *str;           /* NUL-terminated (may hold NULs: see len) */
	size_t len;
	struct json *items;  /* array elements or object values [n] */
	char **keys;         /* object keys [n] */
	size_t n;
};

/* Parse @len bytes of @text. Returns the tree (free with json_free()), or
 * NULL with a message in @err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errcap);
void json_free(struct json *v);

/* Lookups; every one accepts NULL and answers NULL (or the default) when
 * the value is missing or of another type. */
const struct json *json_get(const struct json *obj, const char *key);
const struct json *json_at(const struct json *arr, size_t i);
size_t json_len(const struct json *arr);
uint64_t json_u64(const struct json *v, uint64_t dflt);
const char *json_str(const struct json *v, const char *dflt);
bool json_bool(const struct json *v, bool dflt);
/* Shorthands: json_u64(json_get(obj, key), dflt) and so on. */
uint64_t json_get_u64(const struct json *obj, const char *key, uint64_t dflt);
const char *json_get_str(const struct json *obj, const char *key, const char *dflt);
bool json_get_bool(const struct json *obj, const char *key, bool dflt);

#endif
