/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_COMMON_LOG_H
#define IDD_SRC_COMMON_LOG_H

#include <idd/idd_log.h>

/* Internal logging entry point; use the IDD_LOG macro. */
void log_write(enum idd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));

/* True when a line at @level would be emitted: lets callers skip work that
 * only feeds a log line. */
int log_enabled(enum idd_log_level level);

#define IDD_LOG(level, ...) log_write(IDD_LOG_##level, __VA_ARGS__)

#endif
