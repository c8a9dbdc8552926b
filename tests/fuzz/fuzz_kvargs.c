/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "kvargs": the driver-argument parser (src/common/kvargs.c)
 * and its typed getters, over arbitrary bytes. The text ends at the first
 * NUL or at the end of the input, as a C string from an application would.
 *
 * Oracles beyond the sanitizers, from the rules in kvargs.h:
 *   - a refused text leaves an empty list;
 *   - an accepted text holds at most KVARGS_MAX pairs with distinct keys of
 *     [a-z0-9_] and values of 0x21..0x7e without ',' and '=', each within
 *     its length bound, and joining them back with '=' and ',' gives the
 *     text exactly (nothing trimmed, nothing skipped);
 *   - kvargs_get_uint() agrees with a reference decimal reader (digits
 *     only, no overflow, within the bounds) and leaves *out alone on
 *     refusal; kvargs_get_size() agrees with the same reader followed by
 *     an optional K, M or G; kvargs_get_choice() agrees with a plain
 *     comparison;
 *   - kvargs_check_all_used() refuses while any key is unread, accepts
 *     once all were read.
 * The getters are called the way the drivers call them (engine=, cpu=,
 * stream_min=, namespace=, abstract_sockets=), then on every key.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvargs.h"
#include "fuzz_target.h"

static int
key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int
value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ',' && c != '=';
}

/* The reference: 1 and *v when @s is a decimal number <= UINT64_MAX. */
static int
ref_uint(const char *s, uint64_t *v)
{
	uint64_t acc = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (acc > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return 0;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	*v = acc;
	return 1;
}

/* The size reference: a decimal number as ref_uint(), then at most one
 * unit letter, the product <= UINT64_MAX. */
static int
ref_size(const char *s, uint64_t *v)
{
	static const char units[] = "kKmMgG";
	char digits[KVARGS_VALUE_MAX];
	size_t n = strlen(s);
	unsigned int shift = 0;
	const char *unit;

	if (n == 0 || n >= sizeof(digits))
		return 0;
	unit = strchr(units, s[n - 1]);
	if (unit != NULL && *unit != '\0') {
		shift = 10 * (1 + (unsigned int)(unit - units) / 2);
		n--;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (!ref_uint(digits, v) || *v > (UINT64_MAX >> shift))
		return 0;
	*v <<= shift;
	return 1;
}

typedef int (*number_getter)(struct kvargs *kv, const char *key, uint64_t min, uint64_t max,
			     uint64_t *out);

/* A number getter on @key against its reference: absent leaves *out alone
 * and succeeds, a value the reference reads within the bounds is returned,
 * anything else is refused with *out untouched. */
static void
check_number(struct kvargs *kv, const char *key, uint64_t min, uint64_t max, number_getter get,
	     int (*ref)(const char *s, uint64_t *v))
{
	const uint64_t untouched = 0x5a5a5a5a5a5a5a5aull;
	const char *value = NULL;
	uint64_t out = untouched, want;
	int ret;

	for (unsigned int i = 0; i < kv->count; i++)
		if (strcmp(kv->args[i].key, key) == 0)
			value = kv->args[i].value;
	ret = get(kv, key, min, max, &out);
	if (value == NULL) {
		if (ret != 0 || out != untouched)
			abort();
	} else if (ref(value, &want) && want >= min && want <= max) {
		if (ret != 0 || out != want)
			abort();
	} else if (ret != -EINVAL || out != untouched) {
		abort();
	}
}

static void
check_uint(struct kvargs *kv, const char *key, uint64_t min, uint64_t max)
{
	check_number(kv, key, min, max, kvargs_get_uint, ref_uint);
}

static void
check_size(struct kvargs *kv, const char *key, uint64_t min, uint64_t max)
{
	check_number(kv, key, min, max, kvargs_get_size, ref_size);
}

/* kvargs_get_choice on @key against strcmp over @choices. */
static void
check_choice(struct kvargs *kv, const char *key, const char *const choices[])
{
	const char *value = NULL;
	unsigned int out = 999, want = 999;
	int ret;

	for (unsigned int i = 0; i < kv->count; i++)
		if (strcmp(kv->args[i].key, key) == 0)
			value = kv->args[i].value;
	if (value != NULL)
		for (unsigned int i = 0; choices[i] != NULL; i++)
			if (strcmp(choices[i], value) == 0 && want == 999)
				want = i;
	ret = kvargs_get_choice(kv, key, choices, &out);
	if (value != NULL && want == 999) {
		if (ret != -EINVAL || out != 999)
			abort();
	} else if (ret != 0 || out != want) {
		abort();
	}
}

/* The parsed list must obey kvargs.h and rebuild @text exactly. */
static void
check_list(const struct kvargs *kv, const char *text)
{
	size_t pos = 0;

	if (kv->count > KVARGS_MAX)
		abort();
	for (unsigned int i = 0; i < kv->count; i++) {
		const struct kvarg *a = &kv->args[i];
		size_t klen = strlen(a->key), vlen = strlen(a->value);

		if (klen == 0 || klen >= KVARGS_KEY_MAX || vlen == 0 || vlen >= KVARGS_VALUE_MAX)
			abort();
		for (size_t k = 0; k < klen; k++)
			if (!key_char((unsigned char)a->key[k]))
				abort();
		for (size_t k = 0; k < vlen; k++)
			if (!value_char((unsigned char)a->value[k]))
				abort();
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(kv->args[j].key, a->key) == 0)
				abort();
		if (i > 0 && text[pos++] != ',')
			abort();
		if (strncmp(text + pos, a->key, klen) != 0 || text[pos + klen] != '=')
			abort();
		pos += klen + 1;
		if (strncmp(text + pos, a->value, vlen) != 0)
			abort();
		pos += vlen;
	}
	if (text[pos] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const engines[] = {"inline", "thread", NULL};
	static const char *const bools[] = {"0", "1", NULL};
	struct kvargs kv;
	char *text;
	int ret;

	fuzz_quiet_logs();
	/* Exactly the input and its NUL, so that ASan sees any read past it. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ret = kvargs_parse(&kv, "fuzz", text);
	if (ret != 0) {
		if (ret != -EINVAL || kv.count != 0)
			abort();
		goto out;
	}
	check_list(&kv, text);
	if ((kvargs_check_all_used(&kv) == 0) != (kv.count == 0))
		abort();

	/* As dmadev.c, the sw driver and the group code read them. */
	(void)kvargs_get(&kv, "driver");
	check_choice(&kv, "engine", engines);
	check_uint(&kv, "cpu", 0, CPU_SETSIZE - 1);
	check_size(&kv, "stream_min", 0, UINT32_MAX);
	(void)kvargs_get(&kv, "namespace");
	check_choice(&kv, "abstract_sockets", bools);
	/* Then every key, with bounds that vary with its position. */
	for (unsigned int i = 0; i < kv.count; i++) {
		char key[KVARGS_KEY_MAX];

		memcpy(key, kv.args[i].key, sizeof(key));
		if (i % 4 == 0)
			check_uint(&kv, key, 0, UINT64_MAX);
		else if (i % 4 == 1)
			check_uint(&kv, key, 1, 4096);
		else if (i % 4 == 2)
			check_size(&kv, key, 1, UINT64_MAX);
		else
			check_choice(&kv, key, engines);
	}
	if (kvargs_check_all_used(&kv) != 0)
		abort();
out:
	free(text);
	return 0;
}
