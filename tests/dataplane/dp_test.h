/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_DATAPLANE_TEST_H
#define IDD_TESTS_DATAPLANE_TEST_H

/* Assertions over harness commands, for the cmocka test programs. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <idd/idd_dmadev.h>

#include "dp_harness.h"

/* Run a command and require the answer code @want; on failure the message
 * names the command and the whole answer. */
#define DP_EXPECT(p, want, ...)                                                           \
	do {                                                                              \
		int dp_code_ = dp_cmd((p), __VA_ARGS__);                                  \
		if (dp_code_ != (want))                                                   \
			fail_msg("%s:%d: %s: answer '%s', expected %d", __FILE__,         \
				 __LINE__, #__VA_ARGS__, (p)->last, (int)(want));         \
	} while (0)

#define DP_OK(p, ...) DP_EXPECT(p, 0, __VA_ARGS__)

/* A copy-like command that must succeed with status @st. */
#define DP_STATUS(p, st, ...)                                                             \
	do {                                                                              \
		DP_OK(p, __VA_ARGS__);                                                    \
		if ((int)(p)->val[0] != (int)(st))                                        \
			fail_msg("%s:%d: %s: status %d, expected %d", __FILE__, __LINE__, \
				 #__VA_ARGS__, (int)(p)->val[0], (int)(st));              \
	} while (0)

#define DP_INTER IDD_DMA_INTER_PROCESS_DOMAIN

#endif
