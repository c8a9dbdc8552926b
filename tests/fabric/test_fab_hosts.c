/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fabric driver across three "hosts": network namespaces a, b and c,
 * each joined by a veth pair to a bridge in a fourth namespace (the
 * switch), all made by this test and removed on every way out. Processes
 * enter their host with setns() after fork.
 *
 *   1. a creates a group; b and c join it from their hosts; an intruder on
 *      c with a wrong token is refused (EACCES).
 *   2. Data in all three directions, checked byte for byte by the owner of
 *      the memory: a writes into b, b writes into c (and fills) at the
 *      address c published in the group's directory, c writes into a and
 *      reads from a; a lists three members.
 *   3. c's link is cut at the switch (veth down) while c streams into a:
 *      a and b get MEMBER_LEFT for c, c gets GROUP_DESTROYED, c's
 *      operations all complete, the late ones with an error status.
 *   4. b's process is killed while a streams into b: a gets MEMBER_LEFT,
 *      a's operations fail with an error status; a destroys the group.
 *
 * Skipped (exit 77) where namespaces cannot be made (not root, no
 * CAP_NET_ADMIN, no ip(8)).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fab_test.h"
#include "netns_hosts.h"

#define MiB (1u << 20)
#define PORT "7471"

static struct ft_board *b;
static char ns_name[4][HOSTS_NAME_MAX]; /* a, b, c, switch */
static char sw_if[3][16];   /* switch side of each host's veth */

static const char *const host_ip[3] = {"10.211.0.1", "10.211.0.2", "10.211.0.3"};

static void
make_hosts(void)
{
	hosts_name(ns_name[3], "idd-fab", "sw");
	ft_hosts_ok(hosts_add(ns_name[3]));
	ft_hosts_ok(hosts_cmd("ip -n %s link add br0 type bridge && ip -n %s link set br0 up",
			      ns_name[3], ns_name[3]));
	for (int i = 0; i < 3; i++) {
		const char tag[2] = {(char)('a' + i), '\0'};

		hosts_name(ns_name[i], "idd-fab", tag);
		/* The switch's end of the veth: a name of its own in the switch's
		 * namespace (the host's end is eth0 in the host's). */
		snprintf(sw_if[i], sizeof(sw_if[i]), "s%c", 'a' + i);
		ft_hosts_ok(hosts_add(ns_name[i]));
		ft_hosts_ok(hosts_cmd("ip -n %s link add eth0 type veth peer name %s netns %s",
				      ns_name[i], sw_if[i], ns_name[3]));
		ft_hosts_ok(hosts_cmd("ip -n %s link set %s master br0 && ip -n %s link set %s up",
				      ns_name[3], sw_if[i], ns_name[3], sw_if[i]));
		ft_hosts_ok(hosts_eth0_up(ns_name[i], host_ip[i]));
	}
}

static int16_t
host_dev(int i, const char *name)
{
	char args[160];

	if (i == 0)
		snprintf(args, sizeof(args), "driver=fabric,listen=%s:" PORT ",keepalive_ms=250",
			 host_ip[0]);
	else
		snprintf(args, sizeof(args),
			 "driver=fabric,bind=%s,connect=%s:" PORT ",keepalive_ms=250", host_ip[i],
			 host_ip[0]);
	int ret = idd_dma_dev_create(name, args);

	CHECK(ret >= 0);
	return (int16_t)ret;
}

/* Each host's window: 4 MiB, zero, with the host's pattern at +1 MiB. */
static uint8_t *
host_window(struct ft_host *me, uint32_t seed)
{
	uint8_t *w = idd_mem_alloc(FT_WIN, IDD_MEM_PEER_RW);

	CHECK(w != NULL);
	memset(w, 0, FT_WIN);
	ft_pattern(w + MiB, MiB, seed);
	atomic_store(&me->win, (uint64_t)(uintptr_t)w);
	return w;
}

/* Steps of the conductor (b->step). */
enum { S_JOINED = 1, S_WRITTEN, S_CHECKED, S_CUT, S_KILL };

/* Host @i's process: into its namespace, its events recorded in its board
 * slot, its device @name, and its window filled with pattern @seed. */
static struct ft_host *
host_up(int i, const char *name, uint32_t seed, int16_t *dev, uint8_t **win)
{
	struct ft_host *me = &b->h[i];

	ft_enter(ns_name[i]);
	ft_events_to(me);
	*dev = host_dev(i, name);
	*win = host_window(me, seed);
	return me;
}

/* Wait until a has made the group, then join it. */
static void
host_join(struct ft_host *me, int16_t dev)
{
	CHECK(ft_wait_int(&b->ready, 1, 30000));
	CHECK(idd_dma_access_pair_group_join(dev, me->domain, b->token, b->group_id,
					     ft_event_cb) == 0);
}

static void
role_a(void)
{
	int16_t gid = -1, dev;
	uint8_t *win, *buf = malloc(2 * MiB);
	struct ft_host *me = host_up(0, "fabA", 10, &dev, &win);

	CHECK(buf != NULL);
	CHECK(idd_dma_access_pair_group_create(dev, me->domain, b->token, &gid, ft_event_cb) == 0);
	atomic_store(&b->group_id, gid);
	atomic_store(&b->ready, 1);
	CHECK(ft_wait_int(&b->step, S_JOINED, 30000));
	uint16_t h_a = ft_handler(dev, gid, me->domain), h_b = ft_handler(dev, gid, b->h[1].domain);
	uint16_t src[1] = {h_a}, dst[1] = {h_b};
	struct idd_dma_group_member mem[4];

	(void)ft_handler(dev, gid, b->h[2].domain);
	CHECK(idd_dma_access_pair_group_members(dev, gid, mem, 4) == 3);

	ft_start(dev, 1, src, dst);
	ft_pattern(buf, MiB, 1);
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, atomic_load(&b->h[1].win), MiB) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	atomic_store(&me->phase, S_WRITTEN);
	/* c wrote into us: check once everyone wrote. */
	CHECK(ft_wait_int(&b->step, S_WRITTEN, 30000));
	CHECK(ft_pattern_ok(win + 2 * MiB, MiB, 3));
	atomic_store(&me->phase, S_CHECKED);
	/* Link cut of c: we are told; then b's kill while we stream to b. */
	CHECK(ft_wait_int(&me->left_seen, 1, 30000));
	CHECK(ft_wait_int(&b->step, S_KILL, 30000));
	atomic_store(&me->phase, S_KILL);
	ft_stream_until_gone(dev, 0, (uint64_t)(uintptr_t)buf, atomic_load(&b->h[1].win), me);
	CHECK(ft_wait_int(&me->left_seen, 2, 10000));
	ft_role_done(dev, gid, win, buf, me);
}

static void
role_b(void)
{
	int16_t dev;
	uint8_t *win, *buf = malloc(MiB);
	struct ft_host *me = host_up(1, "fabB", 11, &dev, &win);

	CHECK(buf != NULL);
	host_join(me, dev);
	atomic_store(&me->phase, S_JOINED);
	CHECK(ft_wait_int(&b->step, S_JOINED, 30000));
	int16_t gid = b->group_id;
	uint16_t src[1] = {ft_handler(dev, gid, me->domain)};
	uint16_t dst[1] = {ft_handler(dev, gid, b->h[2].domain)};

	struct idd_dma_group_buffer cw;

	CHECK(idd_dma_group_buffer_lookup(dev, gid, "c-window", 10000, &cw) == 0);
	CHECK(cw.addr == atomic_load(&b->h[2].win) && cw.len == FT_WIN && cw.handler == dst[0]);
	ft_start(dev, 1, src, dst);
	ft_pattern(buf, MiB, 2);
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, cw.addr, MiB) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	CHECK(ft_op(dev, 0, 'f', 0xa5a55a5a01020304ull, atomic_load(&b->h[2].win) + 3 * MiB,
		    64 * 1024 + 3) == IDD_DMA_STATUS_SUCCESSFUL);
	atomic_store(&me->phase, S_WRITTEN);
	CHECK(ft_wait_int(&b->step, S_WRITTEN, 30000));
	CHECK(ft_pattern_ok(win, MiB, 1));
	atomic_store(&me->phase, S_CHECKED);
	/* c's link is cut: the creator tells us. */
	CHECK(ft_wait_int(&me->left_seen, 1, 30000));
	atomic_store(&me->phase, S_CUT);
	for (;;)
		pause(); /* killed by the conductor while a streams into us */
}

static void
role_c(void)
{
	int16_t dev;
	uint8_t *win, *buf = malloc(MiB);
	struct ft_host *me = host_up(2, "fabC", 12, &dev, &win);

	CHECK(buf != NULL);
	host_join(me, dev);
	/* b finds where to write through the group's directory. */
	CHECK(idd_dma_group_buffer_publish(dev, b->group_id, "c-window", win, FT_WIN) == 0);
	atomic_store(&me->phase, S_JOINED);
	CHECK(ft_wait_int(&b->step, S_JOINED, 30000));
	int16_t gid = b->group_id;
	uint16_t h_c = ft_handler(dev, gid, me->domain), h_a = ft_handler(dev, gid, b->h[0].domain);
	uint16_t src[2] = {h_c, h_a}, dst[2] = {h_a, h_c};
	uint64_t wa = atomic_load(&b->h[0].win);

	ft_start(dev, 2, src, dst);
	ft_pattern(buf, MiB, 3);
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, wa + 2 * MiB, MiB) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	memset(buf, 0, MiB);
	CHECK(ft_op(dev, 1, 'c', wa + MiB, (uint64_t)(uintptr_t)buf, MiB) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	CHECK(ft_pattern_ok(buf, MiB, 10));
	atomic_store(&me->phase, S_WRITTEN);
	CHECK(ft_wait_int(&b->step, S_WRITTEN, 30000));
	CHECK(ft_pattern_ok(win, MiB, 2));
	for (uint32_t i = 0; i < 64 * 1024 + 3; i++)
		CHECK(win[3 * MiB + i] == (uint8_t)(0xa5a55a5a01020304ull >> (8 * (i % 8))));
	CHECK(win[3 * MiB + 64 * 1024 + 3] == 0);
	atomic_store(&me->phase, S_CHECKED);
	/* Stream into a until the conductor cuts our link. */
	CHECK(ft_wait_int(&b->step, S_CHECKED, 30000));
	ft_stream_until_gone(dev, 0, (uint64_t)(uintptr_t)buf, wa, me);
	CHECK(ft_wait_int(&me->destroyed_seen, 1, 10000));
	ft_role_done(dev, -1, win, buf, me);
}

static void
role_intruder(void)
{
	uint8_t bad[16], dom[16];

	ft_enter(ns_name[2]);
	int16_t dev = host_dev(2, "fabX");

	memcpy(bad, b->token, 16);
	bad[0] ^= 1;
	CHECK(getrandom(dom, 16, 0) == 16);
	CHECK(idd_dma_access_pair_group_join(dev, dom, bad, b->group_id, ft_event_cb) ==
	      -EACCES);
	CHECK(idd_dma_close(dev) == 0);
	exit(0);
}

static pid_t
spawn(void (*fn)(void))
{
	return ft_spawn_host(fn, 150);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	ft_hosts_own();
	alarm(170);
	make_hosts();
	b = ft_board_new();
	CHECK(getrandom(b->token, 16, 0) == 16);
	for (int i = 0; i < 3; i++)
		CHECK(getrandom(b->h[i].domain, 16, 0) == 16);

	pid_t a = spawn(role_a), pb = spawn(role_b), c = spawn(role_c);

	CHECK(ft_wait_int(&b->h[1].phase, S_JOINED, 60000));
	CHECK(ft_wait_int(&b->h[2].phase, S_JOINED, 60000));
	CHECK(ft_exited_ok(spawn(role_intruder)));
	printf("ok 1 - three hosts in one group; a wrong token is refused\n");
	atomic_store(&b->step, S_JOINED);
	for (int i = 0; i < 3; i++)
		CHECK(ft_wait_int(&b->h[i].phase, S_WRITTEN, 60000));
	atomic_store(&b->step, S_WRITTEN);
	for (int i = 0; i < 3; i++)
		CHECK(ft_wait_int(&b->h[i].phase, S_CHECKED, 60000));
	printf("ok 2 - a->b, b->c (copy, fill; c's buffer found in the directory), c->a (copy, "
	       "read): bytes checked by their owner\n");
	atomic_store(&b->step, S_CHECKED);
	CHECK(ft_wait_u64(&b->h[2].progress, 20, 60000));
	ft_hosts_ok(hosts_cmd("ip -n %s link set %s down", ns_name[3], sw_if[2]));
	CHECK(ft_exited_ok(c));
	CHECK(ft_wait_int(&b->h[1].phase, S_CUT, 30000));
	printf("ok 3 - link of c cut mid-transfer: MEMBER_LEFT at a and b, GROUP_DESTROYED "
	       "and error statuses at c\n");
	atomic_store(&b->step, S_KILL);
	CHECK(ft_wait_int(&b->h[0].phase, S_KILL, 30000));
	CHECK(ft_wait_u64(&b->h[0].progress, 20, 60000));
	kill(pb, SIGKILL);
	CHECK(!ft_exited_ok(pb));
	CHECK(ft_exited_ok(a));
	printf("ok 4 - b killed mid-transfer: MEMBER_LEFT and error statuses at a; group "
	       "destroyed\n");
	hosts_end();
	printf("4 passed, 0 failed\n");
	return 0;
}
