/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A peer killed with SIGKILL while another member copies into (or out of)
 * its memory in a loop; public API only, once per engine (argv[1]).
 *
 * The copier must: keep running (no crash, no hang, the vchan carries on);
 * get error statuses for the copies that name the dead member, and only
 * errors for those enqueued after it heard MEMBER_LEFT; account for every
 * copy exactly once (submitted == completed == successes + errors), with
 * the device's own counters agreeing. The same when the group's creator is
 * the one killed (GROUP_DESTROYED instead of MEMBER_LEFT).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp_test.h"

static const char *engine = "inline";

#define MIB (1024ull * 1024)

/* P (this process) creates; V is the victim; C copies. With @read_victim,
 * C copies out of V into P's window (a third-party copy whose source
 * dies), else from its own memory into V's window. */
static void
kill_while_copying(bool read_victim, unsigned long long len)
{
	struct dp_proc p, v, c;
	unsigned long long gid, vwin, pwin, csrc, hp, hv, hc;

	dp_new_ns();
	dp_self_init(&p);
	dp_spawn(&v);
	dp_spawn(&c);
	DP_OK(&p, "dev %s 1", engine);
	DP_OK(&v, "dev %s 1", engine);
	DP_OK(&c, "dev %s 2", engine);
	DP_OK(&p, "alloc %llu 3", 2 * MIB);
	pwin = p.val[0];
	DP_OK(&v, "alloc %llu 3", 2 * MIB);
	vwin = v.val[0];
	DP_OK(&v, "fill %llu %llu 12", vwin, 2 * MIB);
	DP_OK(&c, "alloc %llu 0", 2 * MIB);
	csrc = c.val[0];
	DP_OK(&c, "fill %llu %llu 13", csrc, 2 * MIB);
	DP_OK(&p, "create %s %s", dp_hex(1), dp_hex(55));
	gid = p.val[0];
	DP_OK(&v, "join %llu %s %s", gid, dp_hex(2), dp_hex(55));
	DP_OK(&c, "join %llu %s %s", gid, dp_hex(3), dp_hex(55));
	DP_OK(&c, "handler %llu %s", gid, dp_hex(1));
	hp = c.val[0];
	DP_OK(&c, "handler %llu %s", gid, dp_hex(2));
	hv = c.val[0];
	DP_OK(&c, "handler %llu %s", gid, dp_hex(3));
	hc = c.val[0];
	if (read_victim)
		DP_OK(&c, "vsetup 0 %d %llu %llu", DP_INTER, hv, hp);
	else
		DP_OK(&c, "vsetup 0 %d %llu %llu", DP_INTER, hc, hv);
	DP_OK(&c, "vsetup 1 %d %llu %llu", DP_INTER, hv, hc);
	DP_OK(&c, "start");
	/* V joined before C: C has V's windows since its own join. */
	DP_OK(&c, "waitread 1 %llu 5000", vwin);

	/* Loop until 300 ms after MEMBER_LEFT (at most 20 s), kill V meanwhile. */
	if (read_victim)
		dp_send(&c, "loop 0 %llu %llu %llu 300 20000", vwin, pwin, len);
	else
		dp_send(&c, "loop 0 %llu %llu %llu 300 20000", csrc, vwin, len);
	usleep(200 * 1000);
	dp_kill(&v);
	DP_OK(&p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(2));
	if (dp_wait(&c) != 0)
		fail_msg("copier: '%s'", c.last);

	/* SUBMITTED COMPLETED OK ERRORS LEFT_SEEN OK_AFTER_LEFT, then the
	 * device's SUBMITTED COMPLETED ERRORS. */
	unsigned long long sub = c.val[0], comp = c.val[1], ok = c.val[2], err = c.val[3];

	print_message("%s the victim, %llu-byte copies (%s engine): %llu submitted, %llu "
		      "completed, %llu ok, %llu errors\n",
		      read_victim ? "reading" : "writing", len, engine, sub, comp, ok, err);
	assert_int_equal(sub, comp);
	assert_int_equal(ok + err, comp);
	assert_true(ok > 0);
	assert_true(err > 0);
	assert_int_equal(c.val[4], 1);      /* MEMBER_LEFT seen */
	assert_int_equal(c.val[5], 0);      /* nothing succeeded once it was known */
	assert_int_equal(c.val[6], sub);    /* device counters agree */
	assert_int_equal(c.val[7], comp);
	assert_int_equal(c.val[8], err);
	if (read_victim) /* what arrived is the victim's data */
		DP_OK(&p, "check %llu %llu 12", pwin, len);

	/* The copier carries on: the vchan to the dead member fails at once,
	 * and a vchan to a live one works. */
	DP_STATUS(&c, read_victim ? IDD_DMA_STATUS_INVALID_SRC_ADDR :
				    IDD_DMA_STATUS_INVALID_DST_ADDR,
		  "copy 0 %llu %llu 64", read_victim ? vwin : csrc, read_victim ? pwin : vwin);
	DP_EXPECT(&c, -EINVAL, "vsetup 1 %d %llu %llu", DP_INTER, hv, hc);
	DP_OK(&c, "vsetup 1 %d %llu %llu", DP_INTER, hc, hp);
	DP_OK(&c, "start");
	DP_STATUS(&c, IDD_DMA_STATUS_SUCCESSFUL, "copy 1 %llu %llu 4096", csrc, pwin + MIB);
	DP_OK(&p, "check %llu 4096 13", pwin + MIB);

	DP_OK(&c, "leave %llu", gid);
	DP_OK(&p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(3));
	DP_OK(&p, "destroy %llu", gid);
	assert_int_equal(dp_exit(&c), 0);
	assert_int_equal(dp_exit(&p), 0);
}

/* The creator itself is killed while a member copies into its window:
 * the member hears GROUP_DESTROYED instead, with the same guarantees. */
static void
test_kill_creator(void **state)
{
	struct dp_proc v, c;
	unsigned long long gid, vwin, csrc, hv, hc;

	(void)state;
	dp_new_ns();
	dp_spawn(&v);
	dp_spawn(&c);
	DP_OK(&v, "dev %s 1", engine);
	DP_OK(&c, "dev %s 1", engine);
	DP_OK(&v, "alloc %llu 3", 2 * MIB);
	vwin = v.val[0];
	DP_OK(&c, "alloc %llu 0", 2 * MIB);
	csrc = c.val[0];
	DP_OK(&v, "create %s %s", dp_hex(1), dp_hex(56));
	gid = v.val[0];
	DP_OK(&c, "join %llu %s %s", gid, dp_hex(2), dp_hex(56));
	DP_OK(&c, "handler %llu %s", gid, dp_hex(1));
	hv = c.val[0];
	DP_OK(&c, "handler %llu %s", gid, dp_hex(2));
	hc = c.val[0];
	DP_OK(&c, "vsetup 0 %d %llu %llu", DP_INTER, hc, hv);
	DP_OK(&c, "start");
	dp_send(&c, "loop 0 %llu %llu 4096 300 20000", csrc, vwin);
	usleep(200 * 1000);
	dp_kill(&v);
	if (dp_wait(&c) != 0)
		fail_msg("copier: '%s'", c.last);
	print_message("creator killed, 4096-byte copies (%s engine): %llu submitted, %llu ok, "
		      "%llu errors\n", engine, (unsigned long long)c.val[0],
		      (unsigned long long)c.val[2], (unsigned long long)c.val[3]);
	assert_int_equal(c.val[0], c.val[1]);
	assert_int_equal(c.val[2] + c.val[3], c.val[1]);
	assert_true(c.val[2] > 0);
	assert_true(c.val[3] > 0);
	assert_int_equal(c.val[4], 1);
	assert_int_equal(c.val[5], 0);
	assert_int_equal(c.val[6], c.val[0]);
	assert_int_equal(c.val[7], c.val[1]);
	assert_int_equal(c.val[8], c.val[3]);
	DP_OK(&c, "waitev %d %s 100", IDD_DMA_GROUP_EVENT_GROUP_DESTROYED, dp_hex(2));
	DP_STATUS(&c, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy 0 %llu %llu 64", csrc, vwin);
	DP_EXPECT(&c, -ENOENT, "handler %llu %s", gid, dp_hex(2));
	assert_int_equal(dp_exit(&c), 0);
}

static void
test_kill_destination_small(void **state)
{
	(void)state;
	kill_while_copying(false, 64);
}

static void
test_kill_destination_large(void **state)
{
	(void)state;
	kill_while_copying(false, MIB);
}

static void
test_kill_source_third_party(void **state)
{
	(void)state;
	kill_while_copying(true, 64 * 1024);
}

int
main(int argc, char **argv)
{
	int ret = dp_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_destination_small),
		cmocka_unit_test(test_kill_destination_large),
		cmocka_unit_test(test_kill_source_third_party),
		cmocka_unit_test(test_kill_creator),
	};
	char name[64];

	if (ret >= 0)
		return ret;
	if (argc > 1)
		engine = argv[1];
	snprintf(name, sizeof(name), "dataplane, peer killed (%s engine)", engine);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
