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

/* m[0] creates a group as domain 1 with token @token, and m[1..@n-1] join
 * it as domains 2..@n, one after the other (a group admits one at a time
 * anyway). Returns the group id once every member sees all @n. */
static inline unsigned long long
dp_group_form(struct dp_proc *m, int n, unsigned int token)
{
	unsigned long long gid;

	DP_OK(&m[0], "create %s %s", dp_hex(1), dp_hex(token));
	gid = m[0].val[0];
	for (int i = 1; i < n; i++)
		DP_OK(&m[i], "join %llu %s %s", gid, dp_hex(1 + i), dp_hex(token));
	for (int i = 0; i < n; i++)
		DP_OK(&m[i], "waitmembers %llu %d 5000", gid, n);
	return gid;
}

/* The end of dp_group_form()'s group: m[1..@n-1] leave, m[0] hears each
 * go and destroys the group, and every member exits with status 0. */
static inline void
dp_group_end(struct dp_proc *m, int n, unsigned long long gid)
{
	for (int i = 1; i < n; i++)
		DP_OK(&m[i], "leave %llu", gid);
	for (int i = 1; i < n; i++)
		DP_OK(&m[0], "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(1 + i));
	DP_OK(&m[0], "destroy %llu", gid);
	for (int i = 1; i < n; i++)
		assert_int_equal(dp_exit(&m[i]), 0);
	assert_int_equal(dp_exit(&m[0]), 0);
}

#endif
