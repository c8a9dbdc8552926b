/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The leave fence under churn: many members leave at once (each departure
 * waits for the others' LEFT_DONE, the others leaving too), while some are
 * killed or exit without leaving, some re-join at once (taking a departed
 * member's slot), and the creator ends the group with departures still
 * waiting. Run under ASan, this is where a departure that outlives its
 * connection, or one settled twice, shows up; plainly, it checks that
 * every round ends with the creator alone in a group that still works.
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

#include "group/group.h"
#include "harness.h"

#define EV_LEFT IDD_DMA_GROUP_EV_MEMBER_LEFT
#define EV_DESTROYED IDD_DMA_GROUP_EV_GROUP_DESTROYED

#define NB_AGENTS 12
#define ROUNDS 4

static unsigned char tok[16];
static char tokhex[33];

static void
dom_hex(unsigned int n, char hex[33])
{
	unsigned char u[16];

	test_uuid(n, u);
	uuid_hex(u, hex);
}

/* Every agent joins, all at once. */
static void
join_all(struct agent *a, int gid, unsigned int round)
{
	char h[33];

	for (int i = 0; i < NB_AGENTS; i++) {
		dom_hex(1000 + round * 100 + (unsigned int)i, h);
		agent_send(&a[i], "join 0 %d %s %s", gid, h, tokhex);
	}
	for (int i = 0; i < NB_AGENTS; i++)
		assert_int_equal(agent_reply(&a[i], NULL, 0), 0);
}

/* One round: everyone joins; then, at the same moment, most leave, some
 * are killed, one exits without leaving, and two of the leavers join
 * again as soon as their leave returned. */
static void
churn_round(struct agent *a, int gid, unsigned int round)
{
	char h[33];

	join_all(a, gid, round);
	for (int i = 0; i < NB_AGENTS; i++) {
		if (i % 4 == 3 || i == 2)
			continue;
		agent_send(&a[i], "leave 0 %d", gid);
	}
	/* Killed while the others' departures wait for their LEFT_DONE. */
	for (int i = 3; i < NB_AGENTS; i += 4) {
		agent_kill(&a[i]);
		agent_spawn(&a[i]);
	}
	assert_int_equal(agent_exit(&a[2]), 0);
	agent_spawn(&a[2]);
	for (int i = 0; i < NB_AGENTS; i++) {
		if (i % 4 == 3 || i == 2)
			continue;
		assert_int_equal(agent_reply(&a[i], NULL, 0), 0);
	}
	/* Back at once, into slots that may be a departed member's. */
	for (int i = 0; i < 2; i++) {
		dom_hex(5000 + round * 10 + (unsigned int)i, h);
		assert_int_equal(agent_cmd(&a[i], NULL, 0, "join 0 %d %s %s", gid, h, tokhex), 0);
		assert_int_equal(agent_cmd(&a[i], NULL, 0, "leave 0 %d", gid), 0);
	}
	/* Only the creator is left. */
	assert_int_equal(wait_members(0, (int16_t)gid, 1, 20000), 1);
}

static void
leave_storm(void **state)
{
	unsigned char d0[16];
	struct agent a[NB_AGENTS];
	int16_t gid = -1;

	(void)state;
	test_uuid(900, d0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	for (int i = 0; i < NB_AGENTS; i++)
		agent_spawn(&a[i]);
	for (unsigned int r = 0; r < ROUNDS; r++)
		churn_round(a, gid, r);
	for (int i = 0; i < NB_AGENTS; i++)
		assert_int_equal(agent_exit(&a[i]), 0);
	assert_int_equal(group_destroy(0, gid), 0);
}

/* The group ends while departures wait: everyone joins, most leave, and
 * the creator closes its device before they were all let go. Every agent
 * hears of the end or has left; the creator's process goes on. */
static void
end_while_departing(void **state)
{
	unsigned char d0[16];
	struct agent a[NB_AGENTS];
	char line[256], h[33];
	int16_t gid = -1;

	(void)state;
	test_uuid(901, d0);
	for (int i = 0; i < NB_AGENTS; i++)
		agent_spawn(&a[i]);
	for (unsigned int r = 0; r < 2; r++) {
		assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
		join_all(a, gid, 10 + r);
		for (int i = 0; i < NB_AGENTS - 1; i++)
			agent_send(&a[i], "leave 0 %d", gid);
		group_dev_close(0);
		/* A leave ends with 0 whatever the creator does, or -ENOENT
		 * when the end of the group came first. */
		for (int i = 0; i < NB_AGENTS - 1; i++) {
			int ret = agent_reply(&a[i], line, sizeof(line));

			assert_true(ret == 0 || ret == -ENOENT);
		}
		dom_hex(1000 + (10 + r) * 100 + NB_AGENTS - 1, h);
		assert_int_equal(agent_cmd(&a[NB_AGENTS - 1], NULL, 0, "waitev 0 %d %d %s 20000",
					   gid, EV_DESTROYED, h),
				 0);
		assert_int_equal(agent_cmd(&a[NB_AGENTS - 1], NULL, 0, "leave 0 %d", gid), -ENOENT);
	}
	for (int i = 0; i < NB_AGENTS; i++)
		assert_int_equal(agent_exit(&a[i]), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		harness_unit_test(leave_storm),
		harness_unit_test(end_while_departing),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	test_uuid_hex(0x7201, tok, tokhex);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
