/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvargs: the accepted forms, every refusal of the parser and of the typed
 * getters, and the rule that each refusal logs exactly one error line that
 * starts with the caller's context.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/kvargs.h"
#include "common/log.h"

#define CTX "kvdev"

/* What the log sink saw since the last reset. */
static struct {
	unsigned int lines;
	unsigned int errors;
	char last[512];
} seen;

static void
capture_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)arg;
	seen.lines++;
	if (level == IDD_LOG_ERR)
		seen.errors++;
	snprintf(seen.last, sizeof(seen.last), "%s", line);
}

static void
seen_reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* Exactly one error line, which starts with "kvdev: " and contains @needle
 * (when not NULL). */
static void
assert_one_refusal_line(const char *needle)
{
	assert_int_equal(seen.lines, 1);
	assert_int_equal(seen.errors, 1);
	if (strncmp(seen.last, CTX ": ", strlen(CTX ": ")) != 0)
		fail_msg("log line does not start with the context: '%s'", seen.last);
	if (needle != NULL && strstr(seen.last, needle) == NULL)
		fail_msg("log line '%s' does not mention '%s'", seen.last, needle);
}

static int
setup(void **state)
{
	(void)state;
	idd_log_set_sink(capture_sink, NULL);
	idd_log_set_level(IDD_LOG_WARNING);
	seen_reset();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	idd_log_set_sink(NULL, NULL);
	return 0;
}

/* Refused texts, each with a word its log line must contain. */
static const struct {
	const char *text;
	const char *mention;
} refused[] = {
	{ ",", "empty" },
	{ ",a=1", "empty" },
	{ "a=1,", "empty" },
	{ "a=1,,b=2", "empty" },
	{ "a", "'a'" },
	{ "abc,d=1", "'abc'" },
	{ "a=1,b", "'b'" },
	{ "=1", "empty key" },
	{ "=", "empty key" },
	{ "a=", "empty value" },
	{ "a=,b=1", "empty value" },
	{ "A=1", "0x41" },
	{ "aB=1", "0x42" },
	{ "a-b=1", "0x2d" },
	{ "a.b=1", "0x2e" },
	{ " a=1", "0x20" },
	{ "a =1", "0x20" },
	{ "a= 1", "0x20" },
	{ "a=1 ", "0x20" },
	{ "a=1, b=2", "0x20" },
	{ "a=1 ,b=2", "0x20" },
	{ "a=\t1", "0x09" },
	{ "a=1\n", "0x0a" },
	{ "a=\x01", "0x01" },
	{ "a=\x7f", "0x7f" },
	{ "a=caf\xc3\xa9", "0xc3" },
	{ "\xff=1", "0xff" },
	{ "a=b=c", "0x3d" },
	{ "a==b", "0x3d" },
	{ "a=1,a=2", "twice" },
	{ "a=1,b=2,a=1", "twice" },
};

static void
test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct kvargs kv;
		int ret;

		seen_reset();
		ret = kvargs_parse(&kv, CTX, refused[i].text);
		if (ret != -EINVAL)
			fail_msg("'%s' gave %d, expected -EINVAL", refused[i].text, ret);
		assert_one_refusal_line(refused[i].mention);
		/* A refused parse leaves nothing behind. */
		assert_int_equal(kv.count, 0);
		assert_null(kvargs_get(&kv, "a"));
	}
}

static void
test_empty_and_null(void **state)
{
	struct kvargs kv;

	(void)state;
	assert_int_equal(kvargs_parse(&kv, CTX, NULL), 0);
	assert_int_equal(kv.count, 0);
	assert_int_equal(kvargs_parse(&kv, CTX, ""), 0);
	assert_int_equal(kv.count, 0);
	assert_null(kvargs_get(&kv, "driver"));
	assert_int_equal(kvargs_check_all_used(&kv), 0);
	assert_int_equal(seen.lines, 0);
}

static void
test_accepted_forms(void **state)
{
	struct kvargs kv;

	(void)state;
	assert_int_equal(kvargs_parse(&kv, CTX, "driver=sw,engine=thread,cpu=3"), 0);
	assert_int_equal(kv.count, 3);
	assert_string_equal(kvargs_get(&kv, "driver"), "sw");
	assert_string_equal(kvargs_get(&kv, "engine"), "thread");
	assert_string_equal(kvargs_get(&kv, "cpu"), "3");
	assert_null(kvargs_get(&kv, "Driver"));
	assert_null(kvargs_get(&kv, "drive"));
	assert_int_equal(kvargs_check_all_used(&kv), 0);

	/* Every key character class, and punctuation in values. */
	assert_int_equal(kvargs_parse(&kv, CTX, "_=x,0=y,a_9=/run/idd:ns-1.2~!@#$%^&*()[]{}<>?;'\"|"),
			 0);
	assert_int_equal(kv.count, 3);
	assert_string_equal(kvargs_get(&kv, "_"), "x");
	assert_string_equal(kvargs_get(&kv, "0"), "y");
	assert_string_equal(kvargs_get(&kv, "a_9"), "/run/idd:ns-1.2~!@#$%^&*()[]{}<>?;'\"|");
	/* Values are case-sensitive and kept verbatim. */
	assert_int_equal(kvargs_parse(&kv, CTX, "engine=Thread"), 0);
	assert_string_equal(kvargs_get(&kv, "engine"), "Thread");
	assert_int_equal(seen.lines, 0);
}

static void
test_limits(void **state)
{
	char text[KVARGS_MAX * 8 + KVARGS_VALUE_MAX + 64];
	char key[KVARGS_KEY_MAX + 1];
	char value[KVARGS_VALUE_MAX + 1];
	struct kvargs kv;
	size_t len = 0;

	(void)state;
	/* KVARGS_MAX pairs pass, one more is refused. */
	for (int i = 0; i < KVARGS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%sk%d=%d", i ? "," : "", i,
					i);
	assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
	assert_int_equal(kv.count, KVARGS_MAX);
	assert_string_equal(kvargs_get(&kv, "k15"), "15");
	snprintf(text + len, sizeof(text) - len, ",k%d=%d", KVARGS_MAX, KVARGS_MAX);
	seen_reset();
	assert_int_equal(kvargs_parse(&kv, CTX, text), -EINVAL);
	assert_one_refusal_line("more than");

	/* Key of KVARGS_KEY_MAX - 1 characters passes, one more is refused. */
	memset(key, 'k', KVARGS_KEY_MAX - 1);
	key[KVARGS_KEY_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "%s=1", key);
	seen_reset();
	assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
	assert_string_equal(kvargs_get(&kv, key), "1");
	key[KVARGS_KEY_MAX - 1] = 'k';
	key[KVARGS_KEY_MAX] = '\0';
	snprintf(text, sizeof(text), "%s=1", key);
	assert_int_equal(kvargs_parse(&kv, CTX, text), -EINVAL);
	assert_one_refusal_line("longer than");

	/* Value of KVARGS_VALUE_MAX - 1 characters passes, one more is refused. */
	memset(value, 'v', KVARGS_VALUE_MAX - 1);
	value[KVARGS_VALUE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "a=1,b=%s", value);
	seen_reset();
	assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
	assert_string_equal(kvargs_get(&kv, "b"), value);
	value[KVARGS_VALUE_MAX - 1] = 'v';
	value[KVARGS_VALUE_MAX] = '\0';
	snprintf(text, sizeof(text), "a=1,b=%s", value);
	assert_int_equal(kvargs_parse(&kv, CTX, text), -EINVAL);
	assert_one_refusal_line("longer than");
}

static void
test_null_context(void **state)
{
	struct kvargs kv;

	(void)state;
	/* A NULL context is tolerated: the line still names the problem. */
	assert_int_equal(kvargs_parse(&kv, NULL, "a"), -EINVAL);
	assert_int_equal(seen.errors, 1);
	assert_non_null(strstr(seen.last, "'a'"));
}

static void
test_get_marks_used(void **state)
{
	struct kvargs kv;

	(void)state;
	assert_int_equal(kvargs_parse(&kv, CTX, "a=1,bogus=2,c=3,zz=4"), 0);
	assert_string_equal(kvargs_get(&kv, "a"), "1");
	assert_null(kvargs_get(&kv, "b"));
	assert_string_equal(kvargs_get(&kv, "c"), "3");
	assert_int_equal(seen.lines, 0);
	assert_int_equal(kvargs_check_all_used(&kv), -EINVAL);
	assert_one_refusal_line("bogus");
	if (strstr(seen.last, "zz") == NULL)
		fail_msg("every unknown key is named: '%s'", seen.last);
	if (strstr(seen.last, "'a'") != NULL || strstr(seen.last, " c") != NULL)
		fail_msg("used keys are not named: '%s'", seen.last);
	/* Reading the rest makes the list clean. */
	kvargs_get(&kv, "bogus");
	kvargs_get(&kv, "zz");
	seen_reset();
	assert_int_equal(kvargs_check_all_used(&kv), 0);
	assert_int_equal(seen.lines, 0);
}

static void
test_get_size(void **state)
{
	static const struct {
		const char *value;
		uint64_t expect;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "64k", 64 << 10 },
		{ "64K", 64 << 10 },
		{ "3m", UINT64_C(3) << 20 },
		{ "16M", UINT64_C(16) << 20 },
		{ "2G", UINT64_C(2) << 30 },
		{ "17179869183G", UINT64_C(17179869183) << 30 },
	};
	static const struct {
		const char *value;
		uint64_t max;
		const char *mention;
	} bad[] = {
		{ "", UINT64_MAX, "not a size" },
		{ "k", UINT64_MAX, "not a size" },
		{ "-1", UINT64_MAX, "not a size" },
		{ "1KB", UINT64_MAX, "not a size" },
		{ "1T", UINT64_MAX, "not a size" },
		{ "1 M", UINT64_MAX, "not a size" },
		{ "0x10", UINT64_MAX, "not a size" },
		{ "17179869184G", UINT64_MAX, "out of range" },
		{ "99999999999999999999", UINT64_MAX, "out of range" },
		{ "5G", UINT32_MAX, "out of range" },
		{ "4097", 4096, "out of range" },
	};
	struct kvargs kv;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t out = 12345;

		snprintf(text, sizeof(text), "n=%s", good[i].value);
		assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
		assert_int_equal(kvargs_get_size(&kv, "n", 0, UINT64_MAX, &out), 0);
		assert_int_equal(out, good[i].expect);
	}
	assert_int_equal(seen.lines, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t out = 12345;
		int ret;

		snprintf(text, sizeof(text), "n=%s", bad[i].value);
		if (kvargs_parse(&kv, CTX, text) != 0)
			continue; /* refused by the parser already ("n="): fine */
		seen_reset();
		ret = kvargs_get_size(&kv, "n", 0, bad[i].max, &out);
		if (ret != -EINVAL)
			fail_msg("n=%s up to %llu gave %d, expected -EINVAL", bad[i].value,
				 (unsigned long long)bad[i].max, ret);
		assert_one_refusal_line(bad[i].mention);
		assert_int_equal(out, 12345);
	}
}

static void
test_get_uint(void **state)
{
	static const struct {
		const char *value;
		uint64_t min, max, expect;
	} good[] = {
		{ "0", 0, 10, 0 },
		{ "10", 0, 10, 10 },
		{ "5", 5, 5, 5 },
		{ "007", 0, 10, 7 },
		{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX },
	};
	static const struct {
		const char *value;
		uint64_t min, max;
		const char *mention;
	} bad[] = {
		{ "-1", 0, UINT64_MAX, "not a decimal" },
		{ "+1", 0, UINT64_MAX, "not a decimal" },
		{ "1a", 0, UINT64_MAX, "not a decimal" },
		{ "0x10", 0, UINT64_MAX, "not a decimal" },
		{ "1.5", 0, UINT64_MAX, "not a decimal" },
		{ "1e3", 0, UINT64_MAX, "not a decimal" },
		{ "abc", 0, UINT64_MAX, "not a decimal" },
		{ "18446744073709551616", 0, UINT64_MAX, "out of range" },
		{ "99999999999999999999999", 0, UINT64_MAX, "out of range" },
		{ "11", 0, 10, "out of range" },
		{ "4", 5, 10, "out of range" },
		{ "0", 1, 10, "out of range" },
	};
	struct kvargs kv;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t out = 12345;

		snprintf(text, sizeof(text), "n=%s", good[i].value);
		assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
		assert_int_equal(kvargs_get_uint(&kv, "n", good[i].min, good[i].max, &out), 0);
		assert_int_equal(out, good[i].expect);
		assert_int_equal(kvargs_check_all_used(&kv), 0);
	}
	assert_int_equal(seen.lines, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t out = 12345;
		int ret;

		snprintf(text, sizeof(text), "n=%s", bad[i].value);
		assert_int_equal(kvargs_parse(&kv, CTX, text), 0);
		seen_reset();
		ret = kvargs_get_uint(&kv, "n", bad[i].min, bad[i].max, &out);
		if (ret != -EINVAL)
			fail_msg("n=%s in %llu..%llu gave %d, expected -EINVAL", bad[i].value,
				 (unsigned long long)bad[i].min, (unsigned long long)bad[i].max, ret);
		assert_one_refusal_line(bad[i].mention);
		if (strstr(seen.last, "n=") == NULL)
			fail_msg("log line does not name the key: '%s'", seen.last);
		assert_int_equal(out, 12345);
	}

	/* Absent: 0, *out untouched, no log line. */
	{
		uint64_t out = 777;

		assert_int_equal(kvargs_parse(&kv, CTX, "m=1"), 0);
		seen_reset();
		assert_int_equal(kvargs_get_uint(&kv, "n", 0, 10, &out), 0);
		assert_int_equal(out, 777);
		assert_int_equal(seen.lines, 0);
		assert_int_equal(kvargs_check_all_used(&kv), -EINVAL);
	}
}

static void
test_get_choice(void **state)
{
	static const char *const engines[] = { "inline", "thread", NULL };
	struct kvargs kv;
	unsigned int out;

	(void)state;
	out = 99;
	assert_int_equal(kvargs_parse(&kv, CTX, "engine=thread"), 0);
	assert_int_equal(kvargs_get_choice(&kv, "engine", engines, &out), 0);
	assert_int_equal(out, 1);
	assert_int_equal(kvargs_check_all_used(&kv), 0);

	out = 99;
	assert_int_equal(kvargs_parse(&kv, CTX, "engine=inline"), 0);
	assert_int_equal(kvargs_get_choice(&kv, "engine", engines, &out), 0);
	assert_int_equal(out, 0);
	assert_int_equal(seen.lines, 0);

	/* Anything else, including a prefix or another case, is refused. */
	static const char *const wrong[] = { "engine=Thread", "engine=inlin", "engine=inlinex",
					     "engine=threads", "engine=1" };
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		out = 99;
		assert_int_equal(kvargs_parse(&kv, CTX, wrong[i]), 0);
		seen_reset();
		assert_int_equal(kvargs_get_choice(&kv, "engine", engines, &out), -EINVAL);
		assert_one_refusal_line("inline|thread");
		assert_int_equal(out, 99);
	}

	/* Absent: 0 and *out untouched. */
	out = 99;
	assert_int_equal(kvargs_parse(&kv, CTX, "cpu=1"), 0);
	seen_reset();
	assert_int_equal(kvargs_get_choice(&kv, "engine", engines, &out), 0);
	assert_int_equal(out, 99);
	assert_int_equal(seen.lines, 0);
}

/* The parser keeps no state between calls: a struct may be reused, and a
 * failed parse after a good one empties it. */
static void
test_reuse(void **state)
{
	struct kvargs kv;

	(void)state;
	assert_int_equal(kvargs_parse(&kv, CTX, "a=1,b=2"), 0);
	kvargs_get(&kv, "a");
	assert_int_equal(kvargs_parse(&kv, CTX, "b=3"), 0);
	assert_int_equal(kv.count, 1);
	assert_null(kvargs_get(&kv, "a"));
	assert_string_equal(kvargs_get(&kv, "b"), "3");
	assert_int_equal(kvargs_parse(&kv, CTX, "b=3,"), -EINVAL);
	assert_int_equal(kv.count, 0);
	assert_null(kvargs_get(&kv, "b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_and_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_marks_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_uint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_choice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
	};

	return cmocka_run_group_tests_name("kvargs", tests, NULL, NULL);
}
