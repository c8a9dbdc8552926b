/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_MEM_TEST_H
#define IDD_TESTS_MEM_TEST_H

/* Helpers shared by the mem tests: a log sink that counts lines, and the
 * "exactly one refusal line mentioning X" assertion. Header-only: each test
 * program includes it once. Include after <cmocka.h>. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <idd/idd_log.h>

static struct {
	pthread_mutex_t lock;
	unsigned int errors;
	unsigned int lines;
	char last[512];
} mem_seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, ""};

static void
mem_test_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mem_seen.lock);
	if (level == IDD_LOG_ERR) {
		mem_seen.errors++;
		snprintf(mem_seen.last, sizeof(mem_seen.last), "%s", line);
	}
	mem_seen.lines++;
	pthread_mutex_unlock(&mem_seen.lock);
	if (getenv("MEM_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  [log %d] %s\n", (int)level, line);
}

static inline void
mem_seen_reset(void)
{
	pthread_mutex_lock(&mem_seen.lock);
	mem_seen.errors = 0;
	mem_seen.lines = 0;
	mem_seen.last[0] = '\0';
	pthread_mutex_unlock(&mem_seen.lock);
}

/* Capture warnings and errors (not debug lines) from here on. */
static inline void
mem_capture_log(void)
{
	idd_log_set_level(IDD_LOG_WARNING);
	idd_log_set_sink(mem_test_sink, NULL);
	mem_seen_reset();
}

/* Exactly one error line since the last reset, containing @needle. */
#define assert_one_refusal(needle)                                                            \
	do {                                                                                  \
		if (mem_seen.errors != 1)                                                     \
			fail_msg("expected one error line, got %u (last: '%s')",              \
				 mem_seen.errors, mem_seen.last);                             \
		if (strstr(mem_seen.last, (needle)) == NULL)                                  \
			fail_msg("error line '%s' does not mention '%s'", mem_seen.last,      \
				 (needle));                                                   \
		mem_seen_reset();                                                             \
	} while (0)

#define assert_no_refusal()                                                                   \
	do {                                                                                  \
		if (mem_seen.errors != 0)                                                     \
			fail_msg("unexpected error line: '%s'", mem_seen.last);               \
	} while (0)

#endif
