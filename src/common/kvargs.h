/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_COMMON_KVARGS_H
#define IDD_SRC_COMMON_KVARGS_H

/*
 * Parser for driver argument strings: "key=value,key=value". Empty strings
 * and NULL parse to an empty list. Otherwise the text must be, exactly:
 *   - pairs separated by single commas: no leading, trailing or doubled ','
 *     (an empty pair is refused);
 *   - each pair `key=value` with one '=': a key without '=' and a value
 *     containing '=' are refused;
 *   - keys [a-z0-9_]+, 1..KVARGS_KEY_MAX-1 characters;
 *   - values 1..KVARGS_VALUE_MAX-1 printable ASCII characters other than
 *     space, ',' and '=' (0x21..0x7e): nothing is trimmed, and whitespace
 *     anywhere (around keys, values, commas) is refused, as are control
 *     and non-ASCII bytes;
 *   - at most KVARGS_MAX pairs, each key once (keys and values compare
 *     case-sensitively, byte for byte).
 * Every refusal is logged as one line that starts with the caller's context
 * (the device name) and names the argument and the reason, and returns
 * -EINVAL; a refused parse leaves @kv empty. Log lines only print text that
 * passed the character checks, other bytes are shown in hex.
 */

#include <stddef.h>
#include <stdint.h>

#define KVARGS_MAX 16
#define KVARGS_KEY_MAX 32
#define KVARGS_VALUE_MAX 128

struct kvarg {
	char key[KVARGS_KEY_MAX];
	char value[KVARGS_VALUE_MAX];
	int used; /* set by the getters, so kvargs_check_all_used() can name leftovers */
};

struct kvargs {
	const char *context; /* for log lines: e.g. the device name */
	unsigned int count;
	struct kvarg args[KVARGS_MAX];
};

/* Parse @text into @kv. Returns 0 or -EINVAL (logged). */
int kvargs_parse(struct kvargs *kv, const char *context, const char *text);

/* The value of @key, or NULL when absent. Marks the key used. */
const char *kvargs_get(struct kvargs *kv, const char *key);

/* Read @key as a decimal unsigned integer in [min, max]: digits only (no
 * sign, no space, no 0x prefix, no trailing characters; leading zeros are
 * accepted). Absent: *out is left alone and 0 is returned. Malformed or out
 * of range (including above UINT64_MAX): -EINVAL (logged), *out untouched. */
int kvargs_get_uint(struct kvargs *kv, const char *key, uint64_t min, uint64_t max,
		    uint64_t *out);

/* Read @key as a size in bytes in [min, max]: a decimal number as for
 * kvargs_get_uint(), optionally followed by one binary unit letter, K, M or
 * G (either case): "4096", "64K", "16M". Absent: *out left alone, returns
 * 0. Anything else, or a product above UINT64_MAX: -EINVAL (logged). */
int kvargs_get_size(struct kvargs *kv, const char *key, uint64_t min, uint64_t max,
		    uint64_t *out);

/* Read @key as one of @choices (NULL-terminated); *out receives its index.
 * Absent: *out left alone, returns 0. Anything else: -EINVAL (logged). */
int kvargs_get_choice(struct kvargs *kv, const char *key, const char *const choices[],
		      unsigned int *out);

/* -EINVAL (logged, naming the key) if any key was never read by a getter:
 * an unknown key is an error, not something to ignore. */
int kvargs_check_all_used(const struct kvargs *kv);

#endif
