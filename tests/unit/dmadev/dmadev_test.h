/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_DMADEV_TEST_H
#define IDD_TESTS_DMADEV_TEST_H

/*
 * Helpers shared by the conformance programs: error-code assertions that
 * print errno names, a log sink that checks the "one refusal, one log line"
 * rule, device set-up shortcuts and completion polling with a deadline (the
 * thread engine completes asynchronously).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_log.h>

/* The device arguments the programs run with (argv[1]), e.g. "engine=thread". */
extern const char *tu_args;

/* "-EINVAL" for -EINVAL, "0" for 0, "" for other values. */
const char *tu_errname(long long v);

/* The call returns exactly @expected (a return value or a negative errno). */
#define assert_errno(expr, expected)                                                      \
	do {                                                                              \
		long long tu_a_ = (long long)(expr);                                      \
		long long tu_e_ = (long long)(expected);                                  \
		if (tu_a_ != tu_e_)                                                       \
			fail_msg("%s = %lld %s, expected %lld %s", #expr, tu_a_,          \
				 tu_errname(tu_a_), tu_e_, tu_errname(tu_e_));            \
	} while (0)

/*
 * A refused control-path call: it returns exactly @expected, and (checked
 * without stopping the test; see tu_log_violations()) it logs exactly one
 * error line, which contains @mention unless @mention is NULL. The header's
 * rule: "Every refused control-path request logs one line naming the device
 * and the reason".
 */
#define assert_refused(expr, expected, mention)                                           \
	do {                                                                              \
		tu_log_mark();                                                            \
		assert_errno(expr, expected);                                             \
		tu_log_check(#expr, (mention), __FILE__, __LINE__);                       \
	} while (0)

/* Install the counting log sink (it forwards every line to stderr). */
void tu_log_install(void);
void tu_log_mark(void);
void tu_log_check(const char *what, const char *mention, const char *file, int line);
/* Refusals seen so far that did not log exactly one fitting line. */
unsigned int tu_log_violations(void);
/* A final test: fails, listing them, if there were any. */
void test_refusals_were_logged(void **state);

/* True when tu_args selects the sw driver (explicitly or by default). */
int tu_is_sw(void);

/* Create a device with tu_args; fails the test unless that works. */
int16_t tu_create(const char *name);
struct idd_dma_info tu_info(int16_t dev);
/* A ring size every device accepts: 64 clamped to [min_desc, max_desc]. */
uint16_t tu_nb_desc(int16_t dev);
/* A valid memory-to-memory vchan configuration. */
struct idd_dma_vchan_conf tu_vchan_conf(uint16_t nb_desc);
void tu_configure(int16_t dev, uint16_t nb_vchans);
void tu_setup_all(int16_t dev, uint16_t nb_vchans, uint16_t nb_desc);
/* Create, configure @nb_vchans vchans of @nb_desc (0: tu_nb_desc), start. */
int16_t tu_ready(const char *name, uint16_t nb_vchans, uint16_t nb_desc);
/* Stop and close; fails the test unless both return 0. */
void tu_close(int16_t dev);

/* Per-test teardown: closes whatever a (failed) test left behind and fails
 * if there was anything. */
int tu_teardown(void **state);
/* Group teardown: no device may remain. */
int tu_group_teardown(void **state);

/* Collect @n completions with their status into @status (polling up to a
 * deadline); returns how many were collected. */
uint16_t tu_wait_status(int16_t dev, uint16_t vchan, uint16_t n, uint16_t *last_idx,
			enum idd_dma_status_code *status);
/* Poll idd_dma_completed() until @n successes were reported, it reports an
 * error, or the deadline passes; returns the successes reported. */
uint16_t tu_wait_completed(int16_t dev, uint16_t vchan, uint16_t n, uint16_t *last_idx,
			   bool *has_error);
/* Poll idd_dma_vchan_status() until IDLE; returns the last status seen. */
enum idd_dma_vchan_status tu_wait_idle(int16_t dev, uint16_t vchan);

/* An address for the data path. */
#define TU_IOVA(p) ((idd_iova_t)(uintptr_t)(p))

#endif
