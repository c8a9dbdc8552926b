/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access pair groups through the public API only (idd_dmadev.h), between
 * real processes, on sw devices: the whole upstream flow (create, join,
 * handler_get both ways, leave, destroy), every error code the driver
 * answers, the events, and the device arguments namespace= and
 * abstract_sockets=.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dp_test.h"

enum { EV_LEFT = IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
       EV_DESTROYED = IDD_DMA_GROUP_EVENT_GROUP_DESTROYED };

/* Two processes through the upstream flow, with a copy each way to show
 * that the handlers they got are the ones a vchan needs. */
static void
test_two_process_flow(void **state)
{
	struct dp_proc self, peer;
	uint64_t gid, h_self, h_peer, p_self, p_peer, mine, theirs;

	(void)state;
	dp_new_ns();
	dp_self_init(&self);
	dp_spawn(&peer);
	DP_OK(&self, "dev inline 2");
	DP_OK(&peer, "dev thread 2");
	DP_OK(&self, "create %s %s", dp_hex(1), dp_hex(100));
	gid = self.val[0];
	DP_OK(&peer, "join %llu %s %s", (unsigned long long)gid, dp_hex(2), dp_hex(100));

	/* Handlers both ways: each side names itself and the other; 0 is
	 * never one, and each device's two handlers differ. */
	DP_OK(&self, "handler %llu %s", (unsigned long long)gid, dp_hex(1));
	h_self = self.val[0];
	DP_OK(&self, "handler %llu %s", (unsigned long long)gid, dp_hex(2));
	h_peer = self.val[0];
	DP_OK(&peer, "handler %llu %s", (unsigned long long)gid, dp_hex(1));
	p_self = peer.val[0];
	DP_OK(&peer, "handler %llu %s", (unsigned long long)gid, dp_hex(2));
	p_peer = peer.val[0];
	assert_true(h_self != 0 && h_peer != 0 && h_self != h_peer);
	assert_true(p_self != 0 && p_peer != 0 && p_self != p_peer);

	/* One copy each way through those handlers. */
	DP_OK(&self, "alloc 4096 3");
	mine = self.val[0];
	DP_OK(&peer, "alloc 4096 3");
	theirs = peer.val[0];
	DP_OK(&self, "fill %llu 4096 11", (unsigned long long)mine);
	DP_OK(&peer, "fill %llu 4096 22", (unsigned long long)theirs);
	DP_OK(&self, "vsetup 0 %d %llu %llu", DP_INTER, (unsigned long long)h_self,
	      (unsigned long long)h_peer);
	DP_OK(&self, "vsetup 1 %d %llu %llu", DP_INTER, (unsigned long long)h_peer,
	      (unsigned long long)h_self);
	DP_OK(&self, "start");
	/* Windows made after the join reach the other members a little later
	 * (through the creator's relay): wait until the peer's is here. */
	DP_OK(&self, "waitread 1 %llu 5000", (unsigned long long)theirs);
	DP_STATUS(&self, IDD_DMA_STATUS_SUCCESSFUL, "copy 0 %llu %llu 100",
		  (unsigned long long)mine, (unsigned long long)theirs + 1000);
	DP_OK(&peer, "check %llu 1000 22", (unsigned long long)theirs);
	DP_EXPECT(&peer, -EIO, "check %llu 100 22", (unsigned long long)theirs + 1000);
	DP_STATUS(&self, IDD_DMA_STATUS_SUCCESSFUL, "copy 1 %llu %llu 4096",
		  (unsigned long long)theirs, (unsigned long long)mine);
	DP_OK(&self, "check %llu 1000 22", (unsigned long long)mine);

	/* The joiner leaves: the creator hears it, the handler is gone. */
	DP_OK(&peer, "leave %llu", (unsigned long long)gid);
	DP_OK(&self, "waitev %d %s 2000", EV_LEFT, dp_hex(2));
	DP_EXPECT(&self, -ENOENT, "handler %llu %s", (unsigned long long)gid, dp_hex(2));
	DP_EXPECT(&peer, -ENOENT, "handler %llu %s", (unsigned long long)gid, dp_hex(1));
	/* A vchan naming the departed member completes with an error. */
	DP_STATUS(&self, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy 0 %llu %llu 100",
		  (unsigned long long)mine, (unsigned long long)theirs);
	DP_OK(&self, "destroy %llu", (unsigned long long)gid);
	DP_EXPECT(&self, -ENOENT, "handler %llu %s", (unsigned long long)gid, dp_hex(1));
	assert_int_equal(dp_exit(&peer), 0);
	assert_int_equal(dp_exit(&self), 0);
}

/* Every code the driver answers, each through the public call. */
static void
test_error_codes(void **state)
{
	struct dp_proc self, a, b;
	unsigned long long gid;

	(void)state;
	dp_new_ns();
	dp_self_init(&self);
	dp_spawn(&a);
	dp_spawn(&b);
	DP_OK(&self, "dev inline 1");
	DP_OK(&a, "dev inline 1");
	DP_OK(&b, "dev inline 1");

	/* No group yet. */
	DP_EXPECT(&a, -ENOENT, "join 0 %s %s", dp_hex(2), dp_hex(7));
	DP_EXPECT(&self, -ENOENT, "destroy 0");
	DP_EXPECT(&self, -ENOENT, "leave 0");
	DP_EXPECT(&self, -ENOENT, "handler 0 %s", dp_hex(1));

	DP_OK(&self, "create %s %s", dp_hex(1), dp_hex(7));
	gid = self.val[0];
	/* Wrong token, then the right one. */
	DP_EXPECT(&a, -EACCES, "join %llu %s %s", gid, dp_hex(2), dp_hex(8));
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(7));
	/* Unknown group. */
	DP_EXPECT(&b, -ENOENT, "join %llu %s %s", gid + 1, dp_hex(3), dp_hex(7));
	/* Joining twice: the same device, or the same domain from another. */
	DP_EXPECT(&a, -EEXIST, "join %llu %s %s", gid, dp_hex(2), dp_hex(7));
	DP_EXPECT(&a, -EEXIST, "join %llu %s %s", gid, dp_hex(9), dp_hex(7));
	DP_EXPECT(&b, -EEXIST, "join %llu %s %s", gid, dp_hex(2), dp_hex(7));
	/* Unknown domain, unknown group, for handler_get. */
	DP_EXPECT(&a, -ENOENT, "handler %llu %s", gid, dp_hex(3));
	DP_EXPECT(&a, -ENOENT, "handler %llu %s", gid + 1, dp_hex(1));
	DP_EXPECT(&b, -ENOENT, "handler %llu %s", gid, dp_hex(1));
	/* Roles: only the creator destroys; the creator may not leave. */
	DP_EXPECT(&a, -EPERM, "destroy %llu", gid);
	DP_EXPECT(&self, -EPERM, "leave %llu", gid);
	/* Members remain. */
	DP_EXPECT(&self, -EBUSY, "destroy %llu", gid);
	/* b joins too; destroy is refused until both are gone. */
	DP_OK(&b, "join %llu %s %s", gid, dp_hex(3), dp_hex(7));
	DP_OK(&a, "leave %llu", gid);
	DP_OK(&self, "waitev %d %s 2000", EV_LEFT, dp_hex(2));
	DP_OK(&b, "waitev %d %s 2000", EV_LEFT, dp_hex(2));
	DP_EXPECT(&a, -ENOENT, "leave %llu", gid);
	DP_EXPECT(&self, -EBUSY, "destroy %llu", gid);
	/* A member that closes its device leaves. */
	DP_OK(&b, "close");
	DP_OK(&self, "waitev %d %s 2000", EV_LEFT, dp_hex(3));
	DP_OK(&self, "destroy %llu", gid);
	DP_EXPECT(&self, -ENOENT, "destroy %llu", gid);
	DP_EXPECT(&a, -ENOENT, "join %llu %s %s", gid, dp_hex(2), dp_hex(7));

	assert_int_equal(dp_exit(&a), 0);
	assert_int_equal(dp_exit(&b), 0);
	assert_int_equal(dp_exit(&self), 0);
}

/* The creator's death and its device's close end the group for everyone. */
static void
test_group_destroyed(void **state)
{
	struct dp_proc creator, a, b;
	unsigned long long gid;

	(void)state;
	dp_new_ns();
	dp_spawn(&creator);
	dp_spawn(&a);
	dp_spawn(&b);
	DP_OK(&creator, "dev inline 1");
	DP_OK(&a, "dev inline 1");
	DP_OK(&b, "dev thread 1");
	DP_OK(&creator, "create %s %s", dp_hex(1), dp_hex(5));
	gid = creator.val[0];
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(5));
	DP_OK(&b, "join %llu %s %s", gid, dp_hex(3), dp_hex(5));
	dp_kill(&creator);
	DP_OK(&a, "waitev %d %s 2000", EV_DESTROYED, dp_hex(2));
	DP_OK(&b, "waitev %d %s 2000", EV_DESTROYED, dp_hex(3));
	DP_EXPECT(&a, -ENOENT, "handler %llu %s", gid, dp_hex(1));
	DP_EXPECT(&a, -ENOENT, "leave %llu", gid);

	/* Now a creator that closes its device while a member is in. */
	DP_OK(&a, "create %s %s", dp_hex(4), dp_hex(6));
	gid = a.val[0];
	DP_OK(&b, "join %llu %s %s", gid, dp_hex(3), dp_hex(6));
	DP_OK(&a, "close");
	DP_OK(&b, "waitev %d %s 2000", EV_DESTROYED, dp_hex(3));
	assert_int_equal(dp_exit(&a), 0);
	assert_int_equal(dp_exit(&b), 0);
}

/* namespace= as a device argument: devices of different namespaces never
 * see each other's groups, whatever IDD_NAMESPACE says; bad values are
 * refused at create. abstract_sockets=1 works the same way. */
static void
test_device_arguments(void **state)
{
	struct dp_proc self, a;
	unsigned long long gid;

	(void)state;
	dp_new_ns();
	dp_self_init(&self);
	dp_spawn(&a);
	DP_EXPECT(&self, -EINVAL, "dev inline 1 namespace=bad/name");
	DP_EXPECT(&self, -EINVAL, "dev inline 1 namespace=");
	DP_EXPECT(&self, -EINVAL,
		  "dev inline 1 namespace=0123456789012345678901234567890123456789");
	DP_EXPECT(&self, -EINVAL, "dev inline 1 abstract_sockets=2");
	DP_EXPECT(&self, -EINVAL, "dev inline 1 abstract_sockets=yes");

	DP_OK(&self, "dev inline 1 namespace=dp-ns-a-%d", (int)getpid());
	DP_OK(&self, "create %s %s", dp_hex(1), dp_hex(5));
	gid = self.val[0];
	DP_OK(&a, "dev inline 1 namespace=dp-ns-b-%d", (int)getpid());
	DP_EXPECT(&a, -ENOENT, "join %llu %s %s", gid, dp_hex(2), dp_hex(5));
	DP_OK(&a, "close");
	DP_OK(&a, "dev inline 1 namespace=dp-ns-a-%d", (int)getpid());
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(5));
	DP_OK(&a, "leave %llu", gid);
	DP_OK(&self, "waitev %d %s 2000", EV_LEFT, dp_hex(2));
	DP_OK(&self, "destroy %llu", gid);
	DP_OK(&self, "close");
	DP_OK(&a, "close");

	/* Abstract sockets: same flow, no file in the runtime directory. */
	DP_OK(&self, "dev inline 1 abstract_sockets=1,namespace=dp-abs-%d", (int)getpid());
	DP_OK(&self, "create %s %s", dp_hex(1), dp_hex(5));
	gid = self.val[0];
	DP_OK(&a, "dev inline 1 abstract_sockets=0,namespace=dp-abs-%d", (int)getpid());
	DP_EXPECT(&a, -ENOENT, "join %llu %s %s", gid, dp_hex(2), dp_hex(5));
	DP_OK(&a, "close");
	DP_OK(&a, "dev inline 1 abstract_sockets=1,namespace=dp-abs-%d", (int)getpid());
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(5));
	DP_OK(&a, "leave %llu", gid);
	DP_OK(&self, "waitev %d %s 2000", EV_LEFT, dp_hex(2));
	DP_OK(&self, "destroy %llu", gid);
	assert_int_equal(dp_exit(&a), 0);
	assert_int_equal(dp_exit(&self), 0);
}

int
main(int argc, char **argv)
{
	int ret = dp_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_process_flow),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_group_destroyed),
		cmocka_unit_test(test_device_arguments),
	};

	if (ret >= 0)
		return ret;
	return cmocka_run_group_tests_name("dataplane groups (public API)", tests, NULL, NULL);
}
