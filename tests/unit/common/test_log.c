/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The log module: levels, the application's sink, the default stderr sink,
 * long lines, errno preservation, and concurrent logging (run it under TSan).
 * IDD_LOG_LEVEL is tested by test_log_env.c, which needs a fresh process.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

struct capture {
	pthread_mutex_t lock;
	unsigned int lines;
	unsigned int per_level[IDD_LOG_DEBUG + 1];
	enum idd_log_level last_level;
	char last[4096];
};

static struct capture cap = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
capture_sink(enum idd_log_level level, const char *line, void *arg)
{
	struct capture *c = arg;

	pthread_mutex_lock(&c->lock);
	c->lines++;
	if (level >= IDD_LOG_ERR && level <= IDD_LOG_DEBUG)
		c->per_level[level]++;
	c->last_level = level;
	snprintf(c->last, sizeof(c->last), "%s", line);
	pthread_mutex_unlock(&c->lock);
}

static void
capture_reset(void)
{
	pthread_mutex_lock(&cap.lock);
	cap.lines = 0;
	memset(cap.per_level, 0, sizeof(cap.per_level));
	cap.last_level = 0;
	cap.last[0] = '\0';
	pthread_mutex_unlock(&cap.lock);
}

static int
setup(void **state)
{
	(void)state;
	capture_reset();
	idd_log_set_sink(capture_sink, &cap);
	assert_int_equal(idd_log_set_level(IDD_LOG_WARNING), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	idd_log_set_sink(NULL, NULL);
	idd_log_set_level(IDD_LOG_WARNING);
	return 0;
}

static void
test_default_level(void **state)
{
	(void)state;
	/* main() cleared IDD_LOG_LEVEL before the first log call, and nothing
	 * has set a level yet. */
	assert_int_equal(idd_log_get_level(), IDD_LOG_WARNING);
	assert_true(log_enabled(IDD_LOG_WARNING));
	assert_false(log_enabled(IDD_LOG_INFO));
}

static void
test_set_level_refuses_bad_levels(void **state)
{
	(void)state;
	assert_int_equal(idd_log_set_level(IDD_LOG_INFO), 0);
	assert_int_equal(idd_log_set_level((enum idd_log_level)0), -EINVAL);
	assert_int_equal(idd_log_set_level((enum idd_log_level)(IDD_LOG_DEBUG + 1)), -EINVAL);
	assert_int_equal(idd_log_set_level((enum idd_log_level)-1), -EINVAL);
	assert_int_equal(idd_log_set_level((enum idd_log_level)1000), -EINVAL);
	/* A refused level changes nothing, and each refusal said why. */
	assert_int_equal(idd_log_get_level(), IDD_LOG_INFO);
	assert_int_equal(cap.per_level[IDD_LOG_ERR], 4);
	assert_non_null(strstr(cap.last, "level 1000 refused"));
}

static void
test_sink_receives_line(void **state)
{
	(void)state;
	IDD_LOG(ERR, "dev %d (%s): start refused: %s", 3, "dma0", "not configured");
	assert_int_equal(cap.lines, 1);
	assert_int_equal(cap.last_level, IDD_LOG_ERR);
	assert_string_equal(cap.last, "dev 3 (dma0): start refused: not configured");

	IDD_LOG(WARNING, "second %s\n", "line");
	assert_int_equal(cap.lines, 2);
	assert_int_equal(cap.last_level, IDD_LOG_WARNING);
	/* The library adds no newline; what the format has is passed on. */
	assert_string_equal(cap.last, "second line\n");
}

static void
test_sink_arg(void **state)
{
	struct capture other = { .lock = PTHREAD_MUTEX_INITIALIZER };

	(void)state;
	idd_log_set_sink(capture_sink, &other);
	IDD_LOG(ERR, "to the other one");
	assert_int_equal(other.lines, 1);
	assert_string_equal(other.last, "to the other one");
	assert_int_equal(cap.lines, 0);
	pthread_mutex_destroy(&other.lock);
}

static void
emit_all_levels(void)
{
	IDD_LOG(ERR, "e");
	IDD_LOG(WARNING, "w");
	IDD_LOG(INFO, "i");
	IDD_LOG(DEBUG, "d");
}

static void
test_levels_filter(void **state)
{
	static const struct {
		enum idd_log_level level;
		unsigned int lines;
	} cases[] = {
		{ IDD_LOG_ERR, 1 },
		{ IDD_LOG_WARNING, 2 },
		{ IDD_LOG_INFO, 3 },
		{ IDD_LOG_DEBUG, 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		capture_reset();
		assert_int_equal(idd_log_set_level(cases[i].level), 0);
		assert_int_equal(idd_log_get_level(), cases[i].level);
		emit_all_levels();
		assert_int_equal(cap.lines, cases[i].lines);
		for (int l = IDD_LOG_ERR; l <= IDD_LOG_DEBUG; l++)
			assert_int_equal(cap.per_level[l], l <= (int)cases[i].level ? 1 : 0);
		for (int l = IDD_LOG_ERR; l <= IDD_LOG_DEBUG; l++)
			assert_int_equal(log_enabled((enum idd_log_level)l) != 0,
					 l <= (int)cases[i].level);
	}
}

static void
test_errno_preserved(void **state)
{
	(void)state;
	errno = EOWNERDEAD;
	IDD_LOG(ERR, "%s", "emitted");
	assert_int_equal(errno, EOWNERDEAD);
	errno = ENOTRECOVERABLE;
	IDD_LOG(DEBUG, "%s", "filtered");
	assert_int_equal(errno, ENOTRECOVERABLE);
}

/* A sink that logs, or replaces itself, while it handles a line: no
 * deadlock on the lock it runs under; its own lines go to stderr. */
static unsigned int reentrant_calls;

static void
reentrant_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
	reentrant_calls++;
	IDD_LOG(ERR, "a line the sink itself logs");
	assert_int_equal(idd_log_set_level((enum idd_log_level)0), -EINVAL);
	idd_log_set_sink(capture_sink, &cap);
}

static void
test_sink_reentrant(void **state)
{
	(void)state;
	idd_log_set_sink(reentrant_sink, NULL);
	IDD_LOG(ERR, "first");
	assert_int_equal(reentrant_calls, 1);
	/* It replaced itself: the next line reaches the capture sink, and
	 * the lines it caused itself reached neither sink. */
	IDD_LOG(ERR, "second");
	assert_int_equal(reentrant_calls, 1);
	assert_int_equal(cap.lines, 1);
	assert_string_equal(cap.last, "second");
}

static void
test_long_line_truncated(void **state)
{
	static char big[8192];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	IDD_LOG(ERR, "%s", big);
	assert_int_equal(cap.lines, 1);
	/* Cut short, but still one NUL-terminated line of the text. */
	assert_true(strlen(cap.last) > 0);
	assert_true(strlen(cap.last) < sizeof(big) - 1);
	assert_int_equal(strspn(cap.last, "x"), strlen(cap.last));
}

/* NULL restores stderr: the line goes there, not to the old sink. */
static void
test_default_sink_is_stderr(void **state)
{
	char buf[1024];
	FILE *tmp;
	size_t n;
	int saved;

	(void)state;
	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);

	idd_log_set_sink(NULL, NULL);
	IDD_LOG(ERR, "to stderr %d", 42);
	IDD_LOG(DEBUG, "filtered %d", 43);
	fflush(stderr);

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);

	assert_int_equal(cap.lines, 0);
	if (strstr(buf, "to stderr 42\n") == NULL)
		fail_msg("stderr got '%s'", buf);
	assert_null(strstr(buf, "filtered"));
	/* One line. */
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
}

#define LOG_THREADS 4
#define LOG_PER_THREAD 500

static void *
log_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < LOG_PER_THREAD; i++) {
		IDD_LOG(ERR, "thread line %d", i);
		if (i == LOG_PER_THREAD / 2) {
			/* Level changes race with logging; both are allowed. */
			idd_log_set_level(IDD_LOG_WARNING);
		}
	}
	return NULL;
}

static void
test_concurrent_logging(void **state)
{
	pthread_t t[LOG_THREADS];

	(void)state;
	for (int i = 0; i < LOG_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_worker, NULL), 0);
	for (int i = 0; i < LOG_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(cap.lines, LOG_THREADS * LOG_PER_THREAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_level), /* first: before any set_level */
		cmocka_unit_test_setup_teardown(test_set_level_refuses_bad_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_receives_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_arg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_reentrant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_preserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_sink_is_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_logging, setup, teardown),
	};

	/* The environment must not decide the default level checked above. */
	unsetenv("IDD_LOG_LEVEL");
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
