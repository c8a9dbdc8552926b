/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_LOG_H
#define IDD_LOG_H

/**
 * @file
 * Logging. Every refused request logs one line that names the object and the
 * reason ("dev 0 (dma0): vchan 3 setup refused: nb_desc 20 not a power of two").
 * Lines go to stderr by default; an application may raise or lower the level
 * and install its own sink. The level may also be set with the environment
 * variable IDD_LOG_LEVEL (error, warning, info, debug), read once at the
 * first log call.
 *
 * Thread safety: all functions may be called from any thread. A sink may be
 * called concurrently from several threads (the application's threads and
 * the library's own) and must be thread-safe itself.
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Log levels, most severe first. */
enum idd_log_level {
	IDD_LOG_ERR = 1,   /**< A request was refused or something failed. */
	IDD_LOG_WARNING,   /**< Unexpected but handled (e.g. start of a started device). */
	IDD_LOG_INFO,      /**< Lifecycle events (device created, group joined). */
	IDD_LOG_DEBUG,     /**< Detail for developers (page size chosen, engine state). */
};

/**
 * A log sink: receives one complete line (no trailing newline). Calls are
 * serialised: one line at a time, from whichever thread logged it. A sink
 * may call idd functions, idd_log_set_sink() included; a line that such a
 * call logs goes to stderr, not to the sink again.
 *
 * @param level
 *   The line's level.
 * @param line
 *   NUL-terminated text, valid only during the call.
 * @param arg
 *   The pointer given to idd_log_set_sink().
 */
typedef void (*idd_log_sink_t)(enum idd_log_level level, const char *line, void *arg);

/**
 * Set the most verbose level that is emitted. The default is IDD_LOG_WARNING.
 *
 * @param level
 *   One of enum idd_log_level.
 * @return
 *   0 on success, -EINVAL (logged) if @p level is not a valid level.
 */
int idd_log_set_level(enum idd_log_level level);

/**
 * @return
 *   The current level.
 */
enum idd_log_level idd_log_get_level(void);

/**
 * Install a sink for log lines, or restore the default (stderr) with NULL.
 *
 * @param sink
 *   The function that receives each line, or NULL.
 * @param arg
 *   Passed to @p sink unchanged.
 */
void idd_log_set_sink(idd_log_sink_t sink, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* IDD_LOG_H */
