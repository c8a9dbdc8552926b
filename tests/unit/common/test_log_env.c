/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IDD_LOG_LEVEL, read once at the first log call. Meson runs this program
 * with the variable set; argv[1] is the level expected ("error", "warning",
 * "info", "debug"), or "set-first" to check that idd_log_set_level() before
 * the first log call wins over the environment.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"

static const char *mode;

static unsigned int lines;

static void
count_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)level, (void)line, (void)arg;
	lines++;
}

static enum idd_log_level
level_by_name(const char *name)
{
	static const char *const names[] = { NULL, "error", "warning", "info", "debug" };

	for (int i = IDD_LOG_ERR; i <= IDD_LOG_DEBUG; i++)
		if (strcmp(names[i], name) == 0)
			return (enum idd_log_level)i;
	fail_msg("unknown expected level '%s'", name);
	return IDD_LOG_ERR;
}

static void
test_env_level(void **state)
{
	enum idd_log_level want;
	int bad_env;

	(void)state;
	assert_non_null(getenv("IDD_LOG_LEVEL"));
	if (strcmp(mode, "set-first") == 0) {
		/* The environment asks for debug; the program's choice wins. */
		assert_int_equal(idd_log_set_level(IDD_LOG_ERR), 0);
		want = IDD_LOG_ERR;
	} else {
		want = level_by_name(mode);
	}
	/* A value that names no level is reported once, through the sink. */
	bad_env = want == IDD_LOG_WARNING && strcmp(getenv("IDD_LOG_LEVEL"), "warning") != 0;
	idd_log_set_sink(count_sink, NULL);
	IDD_LOG(ERR, "first line");
	assert_int_equal(idd_log_get_level(), want);
	IDD_LOG(DEBUG, "debug line");
	assert_int_equal(lines, (want == IDD_LOG_DEBUG ? 2 : 1) + bad_env);
	/* Read once: changing the environment later changes nothing. */
	setenv("IDD_LOG_LEVEL", want == IDD_LOG_ERR ? "debug" : "error", 1);
	IDD_LOG(ERR, "third line");
	assert_int_equal(idd_log_get_level(), want);
	/* And the application can still change it. */
	assert_int_equal(idd_log_set_level(IDD_LOG_INFO), 0);
	assert_int_equal(idd_log_get_level(), IDD_LOG_INFO);
	idd_log_set_sink(NULL, NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_level),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s error|warning|info|debug|set-first\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	return cmocka_run_group_tests_name("log_env", tests, NULL, NULL);
}
