/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scale: 64 processes joining one group at the same moment, the join round
 * trip of a group of two, 1000 groups in one process. The figures
 * (join median <= 200 us, 64 joins within 1 s) are printed; the assertions
 * are looser, so that sanitizer and valgrind runs pass too.
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

static unsigned char tok[16];
static char tokhex[33];

static int
setup(void **state)
{
	(void)state;
	/* A device keeps the namespace it first used: close ours, so the
	 * next test's devices take the new one. */
	for (int16_t d = 0; d < 100; d++)
		group_dev_close(d);
	harness_new_ns();
	return 0;
}

static void
sixty_four_at_once(void **state)
{
	enum { N = 64 };
	static struct agent a[N];
	unsigned char d0[16], d[16];
	char h[33];
	int16_t gid = -1;
	uint64_t t0, t1;

	(void)state;
	test_uuid(1, d0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	for (int i = 0; i < N; i++)
		agent_spawn(&a[i]);
	/* Every agent is up (answers a command) before the clock starts. */
	for (int i = 0; i < N; i++)
		assert_int_equal(agent_cmd(&a[i], NULL, 0, "leave 0 %d", gid), -ENOENT);
	t0 = mono_us();
	for (int i = 0; i < N; i++) {
		test_uuid(100 + (unsigned int)i, d);
		uuid_hex(d, h);
		agent_send(&a[i], "join 0 %d %s %s", gid, h, tokhex);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(agent_reply(&a[i], NULL, 0), 0);
	t1 = mono_us();
	assert_int_equal(idd_dma_access_pair_group_members(0, gid, NULL, 0), N + 1);
	print_message("64 simultaneous joins: all in after %llu us\n",
		      (unsigned long long)(t1 - t0));
	assert_true(t1 - t0 < 10000000);
	for (int i = 0; i < N; i++)
		assert_int_equal(agent_exit(&a[i]), 0);
	assert_int_equal(wait_members(0, gid, 1, 5000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
}

static void
join_round_trip(void **state)
{
	unsigned char d0[16], d1[16];
	char h1[33], line[256];
	unsigned long long med = 0;
	struct agent a;
	int16_t gid = -1;

	(void)state;
	test_uuid(1, d0);
	test_uuid(2, d1);
	uuid_hex(d1, h1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "joinbench 0 %d %s %s 101", gid, h1,
				   tokhex), 0);
	sscanf(line, "ret %*d %llu", &med);
	print_message("join round trip, group of 2: median %llu us\n", med);
	assert_true(med > 0 && med < 100000);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(group_destroy(0, gid), 0);
}

static void
thousand_groups(void **state)
{
	enum { N = 1000 };
	unsigned char d0[16];
	static int16_t gids[N];
	uint64_t t0 = mono_us();

	(void)state;
	test_uuid(3, d0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(group_create((int16_t)(i % 100), d0, tok, NULL, &gids[i]), 0);
		for (int j = 0; j < i; j++)
			if (gids[j] == gids[i])
				fail_msg("group id %d given twice", gids[i]);
	}
	print_message("1000 groups created in %llu us\n", (unsigned long long)(mono_us() - t0));
	for (int i = 0; i < N; i++)
		assert_int_equal(group_destroy((int16_t)(i % 100), gids[i]), 0);
	for (int16_t dv = 0; dv < 100; dv++)
		group_dev_close(dv);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(sixty_four_at_once, setup),
		cmocka_unit_test_setup(join_round_trip, setup),
		cmocka_unit_test_setup(thousand_groups, setup),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	test_uuid(0x8001, tok);
	uuid_hex(tok, tokhex);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
