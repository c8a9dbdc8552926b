/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>

#include "common/log.h"

static atomic_int log_level;          /* 0 until the first use reads the environment */
static pthread_once_t log_env_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool env_warning_pending;
static char bad_env_value[64];
static idd_log_sink_t log_sink;
static void *log_sink_arg;

static const char *const level_names[] = {
	[IDD_LOG_ERR] = "error",
	[IDD_LOG_WARNING] = "warning",
	[IDD_LOG_INFO] = "info",
	[IDD_LOG_DEBUG] = "debug",
};

static void
log_read_env(void)
{
	const char *env = getenv("IDD_LOG_LEVEL");
	int level = IDD_LOG_WARNING;

	bool bad_env = false;

	if (env != NULL) {
		bad_env = true;
		for (int i = IDD_LOG_ERR; i <= IDD_LOG_DEBUG; i++) {
			if (strcmp(env, level_names[i]) == 0) {
				level = i;
				bad_env = false;
			}
		}
	}
	/* An explicit idd_log_set_level() before the first log call wins. */
	int expected = 0;
	atomic_compare_exchange_strong(&log_level, &expected, level);
	if (bad_env) {
		snprintf(bad_env_value, sizeof(bad_env_value), "%s", env);
		atomic_store(&env_warning_pending, true);
	}
}

/* The warning about a bad IDD_LOG_LEVEL goes through the sink like any
 * line, so it is emitted after the once-routine, by whoever logs first. */
static void
log_env_warning(void)
{
	if (atomic_load_explicit(&env_warning_pending, memory_order_relaxed) &&
	    atomic_exchange(&env_warning_pending, false))
		log_write(IDD_LOG_WARNING, "IDD_LOG_LEVEL='%s' ignored: want error, warning, "
					   "info or debug", bad_env_value);
}

int
log_enabled(enum idd_log_level level)
{
	pthread_once(&log_env_once, log_read_env);
	log_env_warning();
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

int
idd_log_set_level(enum idd_log_level level)
{
	if (level < IDD_LOG_ERR || level > IDD_LOG_DEBUG) {
		log_write(IDD_LOG_ERR, "log: level %d refused: want IDD_LOG_ERR (%d) to "
				       "IDD_LOG_DEBUG (%d)", (int)level, IDD_LOG_ERR, IDD_LOG_DEBUG);
		return -EINVAL;
	}
	atomic_store(&log_level, (int)level);
	pthread_once(&log_env_once, log_read_env);
	return 0;
}

enum idd_log_level
idd_log_get_level(void)
{
	pthread_once(&log_env_once, log_read_env);
	return (enum idd_log_level)atomic_load(&log_level);
}

/* fork(): a child must not inherit sink_lock held by a thread of the
 * parent that was writing a line at that instant (the child's first line
 * would wait forever). Held across fork, released on both sides. */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void
sink_fork_prepare(void)
{
	pthread_mutex_lock(&sink_lock);
}

static void
sink_fork_release(void)
{
	pthread_mutex_unlock(&sink_lock);
}

static void
sink_fork_register(void)
{
	pthread_atfork(sink_fork_prepare, sink_fork_release, sink_fork_release);
}

/* This thread is running the sink (and holds sink_lock): a sink that logs,
 * or calls an idd function that does, or replaces itself, must not wait
 * for the lock it holds. */
static _Thread_local bool in_sink;

void
idd_log_set_sink(idd_log_sink_t sink, void *arg)
{
	pthread_once(&fork_once, sink_fork_register);
	if (!in_sink)
		pthread_mutex_lock(&sink_lock);
	log_sink = sink;
	log_sink_arg = arg;
	if (!in_sink)
		pthread_mutex_unlock(&sink_lock);
}

void
log_write(enum idd_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int saved_errno = errno;

	if (!log_enabled(level)) {
		errno = saved_errno;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (in_sink) {
		/* A line the sink itself caused: to stderr, not to the sink
		 * again (which could loop). */
		fprintf(stderr, "idd %s: %s\n", level_names[level], line);
		errno = saved_errno;
		return;
	}
	pthread_once(&fork_once, sink_fork_register);
	pthread_mutex_lock(&sink_lock);
	if (log_sink != NULL) {
		in_sink = true;
		log_sink(level, line, log_sink_arg);
		in_sink = false;
	} else {
		fprintf(stderr, "idd %s: %s\n", level_names[level], line);
	}
	pthread_mutex_unlock(&sink_lock);
	errno = saved_errno;
}
