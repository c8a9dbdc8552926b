/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver argument strings: "key=value,key=value", parsed strictly (the rules
 * are in kvargs.h). One pass over the text, no allocation, no global state,
 * so that a fuzzer can run it over any NUL-terminated bytes. Every refusal
 * logs one line that starts with the caller's context, and only ever prints
 * text that already passed the character checks (other bytes appear as hex).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvargs.h"
#include "common/log.h"

static int
key_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Printable ASCII without space, ',' and '='. */
static int
value_char_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != ',' && c != '=';
}

static const char *
ctx_of(const struct kvargs *kv)
{
	return kv->context != NULL ? kv->context : "arguments";
}

/* Parse the pair that starts at @p (argument number @n, counted from 1) into
 * @arg. On success *endp points at the ',' or NUL that ends the pair. */
static int
parse_pair(const struct kvargs *kv, unsigned int n, const char *p, struct kvarg *arg,
	   const char **endp)
{
	const char *ctx = ctx_of(kv);
	size_t klen = 0, vlen = 0;

	while (key_char_ok((unsigned char)p[klen])) {
		if (klen == KVARGS_KEY_MAX - 1) {
			IDD_LOG(ERR, "%s: argument %u: key '%.*s...' longer than %d characters",
				ctx, n, (int)klen, p, KVARGS_KEY_MAX - 1);
			return -EINVAL;
		}
		klen++;
	}
	if (klen == 0) {
		if (p[0] == ',' || p[0] == '\0')
			IDD_LOG(ERR, "%s: argument %u is empty (stray ',')", ctx, n);
		else if (p[0] == '=')
			IDD_LOG(ERR, "%s: argument %u has an empty key", ctx, n);
		else
			IDD_LOG(ERR, "%s: argument %u: key starts with byte 0x%02x "
				     "(keys are [a-z0-9_]+)", ctx, n, (unsigned char)p[0]);
		return -EINVAL;
	}
	if (p[klen] == ',' || p[klen] == '\0') {
		IDD_LOG(ERR, "%s: argument %u: key '%.*s' has no '=value'", ctx, n, (int)klen, p);
		return -EINVAL;
	}
	if (p[klen] != '=') {
		IDD_LOG(ERR, "%s: argument %u: key '%.*s' followed by byte 0x%02x "
			     "(keys are [a-z0-9_]+)", ctx, n, (int)klen, p,
			(unsigned char)p[klen]);
		return -EINVAL;
	}
	memcpy(arg->key, p, klen);
	arg->key[klen] = '\0';

	p += klen + 1;
	while (value_char_ok((unsigned char)p[vlen])) {
		if (vlen == KVARGS_VALUE_MAX - 1) {
			IDD_LOG(ERR, "%s: argument %u: value of '%s' longer than %d characters",
				ctx, n, arg->key, KVARGS_VALUE_MAX - 1);
			return -EINVAL;
		}
		vlen++;
	}
	if (p[vlen] != ',' && p[vlen] != '\0') {
		IDD_LOG(ERR, "%s: argument %u: value of '%s' contains byte 0x%02x at offset %zu "
			     "(values are printable, without space, ',' or '=')", ctx, n, arg->key,
			(unsigned char)p[vlen], vlen);
		return -EINVAL;
	}
	if (vlen == 0) {
		IDD_LOG(ERR, "%s: argument %u: key '%s' has an empty value", ctx, n, arg->key);
		return -EINVAL;
	}
	memcpy(arg->value, p, vlen);
	arg->value[vlen] = '\0';
	*endp = p + vlen;
	return 0;
}

int
kvargs_parse(struct kvargs *kv, const char *context, const char *text)
{
	const char *p = text;
	int ret;

	memset(kv, 0, sizeof(*kv));
	kv->context = context;
	if (text == NULL || text[0] == '\0')
		return 0;

	for (;;) {
		struct kvarg *arg;

		if (kv->count == KVARGS_MAX) {
			IDD_LOG(ERR, "%s: more than %d arguments", ctx_of(kv), KVARGS_MAX);
			ret = -EINVAL;
			goto fail;
		}
		arg = &kv->args[kv->count];
		ret = parse_pair(kv, kv->count + 1, p, arg, &p);
		if (ret != 0)
			goto fail;
		for (unsigned int i = 0; i < kv->count; i++) {
			if (strcmp(kv->args[i].key, arg->key) == 0) {
				IDD_LOG(ERR, "%s: argument %u: key '%s' given twice", ctx_of(kv),
					kv->count + 1, arg->key);
				ret = -EINVAL;
				goto fail;
			}
		}
		kv->count++;
		if (*p == '\0')
			return 0;
		p++; /* the ',': another pair must follow (a trailing ',' is refused) */
	}
fail:
	/* Leave nothing half-parsed behind. */
	memset(kv->args, 0, sizeof(kv->args));
	kv->count = 0;
	return ret;
}

const char *
kvargs_get(struct kvargs *kv, const char *key)
{
	for (unsigned int i = 0; i < kv->count; i++) {
		if (strcmp(kv->args[i].key, key) == 0) {
			kv->args[i].used = 1;
			return kv->args[i].value;
		}
	}
	return NULL;
}

int
kvargs_get_uint(struct kvargs *kv, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *value = kvargs_get(kv, key);
	unsigned long long v;
	char *end;

	if (value == NULL)
		return 0;
	/* strtoull would skip spaces and accept a sign (even '-', negating the
	 * result): demand a digit first. */
	if (value[0] < '0' || value[0] > '9') {
		IDD_LOG(ERR, "%s: %s=%s: not a decimal number", ctx_of(kv), key, value);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(value, &end, 10);
	if (*end != '\0') {
		IDD_LOG(ERR, "%s: %s=%s: not a decimal number", ctx_of(kv), key, value);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		IDD_LOG(ERR, "%s: %s=%s: out of range %llu..%llu", ctx_of(kv), key, value,
			(unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int
kvargs_get_size(struct kvargs *kv, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *value = kvargs_get(kv, key);
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (value == NULL)
		return 0;
	if (value[0] < '0' || value[0] > '9') {
		IDD_LOG(ERR, "%s: %s=%s: not a size (digits, then K, M or G)", ctx_of(kv), key,
			value);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(value, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift != 0)
		end++;
	if (*end != '\0') {
		IDD_LOG(ERR, "%s: %s=%s: not a size (digits, then K, M or G)", ctx_of(kv), key,
			value);
		return -EINVAL;
	}
	if (errno == ERANGE || v > (UINT64_MAX >> shift) || (v << shift) < min ||
	    (v << shift) > max) {
		IDD_LOG(ERR, "%s: %s=%s: out of range %llu..%llu bytes", ctx_of(kv), key, value,
			(unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int
kvargs_get_choice(struct kvargs *kv, const char *key, const char *const choices[],
		  unsigned int *out)
{
	const char *value = kvargs_get(kv, key);
	char list[256];
	size_t len = 0;

	if (value == NULL)
		return 0;
	for (unsigned int i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) == 0) {
			*out = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (unsigned int i = 0; choices[i] != NULL && len < sizeof(list); i++) {
		int n = snprintf(list + len, sizeof(list) - len, "%s%s", i ? "|" : "", choices[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	IDD_LOG(ERR, "%s: %s=%s: expected one of %s", ctx_of(kv), key, value, list);
	return -EINVAL;
}

int
kvargs_check_all_used(const struct kvargs *kv)
{
	char list[KVARGS_MAX * (KVARGS_KEY_MAX + 2)];
	unsigned int unknown = 0;
	size_t len = 0;

	list[0] = '\0';
	for (unsigned int i = 0; i < kv->count; i++) {
		size_t klen;

		if (kv->args[i].used)
			continue;
		klen = strlen(kv->args[i].key);
		if (unknown > 0) {
			memcpy(list + len, ", ", 2);
			len += 2;
		}
		memcpy(list + len, kv->args[i].key, klen);
		len += klen;
		list[len] = '\0';
		unknown++;
	}
	if (unknown == 0)
		return 0;
	IDD_LOG(ERR, "%s: unknown argument%s: %s", ctx_of(kv), unknown > 1 ? "s" : "", list);
	return -EINVAL;
}
