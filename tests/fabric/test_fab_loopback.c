/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fabric driver on one host (127.0.0.1), so that it is exercised where
 * network namespaces cannot be made: a creator and a joiner process form a
 * group over TCP, copy, fill and copy_sg in both directions with the bytes
 * checked by their owner, ranges outside a window fail with the right
 * status, a wrong token is refused, and a joiner killed mid-transfer is
 * reported MEMBER_LEFT while the creator's operations towards it fail.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fab_test.h"

#define MiB (1u << 20)

static struct ft_board *b;
/* The creator's port, on the board (written before b->ready). */
static char *port_arg;

static void
role_creator(void)
{
	struct ft_host *me = &b->h[0], *peer = &b->h[1];
	uint8_t token[16];
	int16_t gid = -1;
	uint8_t *win, *buf;

	ft_events_to(me);
	unsigned int port;
	int16_t dev = ft_listen_dev("fabA", ",keepalive_ms=250", &port);

	CHECK(dev >= 0);
	struct idd_dma_info info;

	CHECK(idd_dma_info_get(dev, &info) == 0);
	CHECK(info.dev_capa & IDD_DMA_CAPA_INTER_OS_DOMAIN);
	win = idd_mem_alloc(FT_WIN, IDD_MEM_PEER_RW);
	buf = malloc(4 * MiB);
	CHECK(win != NULL && buf != NULL);
	memcpy(token, b->token, 16);
	CHECK(idd_dma_access_pair_group_create(dev, me->domain, token, &gid, ft_event_cb) == 0);
	CHECK(idd_dma_access_pair_group_event_register(dev, gid, ft_ext_cb, me) == 0);
	CHECK(idd_dma_group_buffer_publish(dev, gid, "abuf", win, 4096) == 0);
	atomic_store(&me->win, (uint64_t)(uintptr_t)win);
	atomic_store(&b->group_id, gid);
	snprintf(b->port, sizeof(b->port), "%u", port);
	atomic_store(&b->ready, 1);

	CHECK(ft_wait_int(&peer->phase, 1, 20000));
	uint16_t h_me = ft_handler(dev, gid, me->domain), h_b = ft_handler(dev, gid, peer->domain);
	uint64_t wb = atomic_load(&peer->win);
	uint16_t src[2] = {h_me, h_b}, dst[2] = {h_b, h_me};
	struct idd_dma_group_member mem[4];
	struct idd_dma_group_buffer jb;

	/* Extensions: MEMBER_JOINED, the member list, the directory. */
	CHECK(ft_wait_int(&me->joined_seen, 1, 5000));
	CHECK(idd_dma_access_pair_group_members(dev, gid, mem, 4) == 2);
	CHECK(idd_dma_access_pair_group_members(dev, gid, NULL, 4) == -EINVAL);
	CHECK(idd_dma_access_pair_group_members(dev, gid, NULL, 0) == 2);
	CHECK(mem[0].is_creator && mem[0].is_self && mem[0].handler == h_me);
	CHECK(!mem[1].is_self && mem[1].handler == h_b &&
	      memcmp(mem[1].domain_id, peer->domain, 16) == 0);
	CHECK(idd_dma_group_buffer_lookup(dev, gid, "jbuf", 5000, &jb) == 0);
	CHECK(jb.addr == wb + MiB && jb.len == MiB && jb.handler == h_b);
	CHECK(idd_dma_group_buffer_publish(dev, gid, "abuf", win, 64) == -EEXIST);
	CHECK(idd_dma_group_buffer_unpublish(dev, gid, "jbuf") == -EPERM);

	ft_start(dev, 2, src, dst);
	/* Local to remote: a copy, a fill, a copy_sg. */
	ft_pattern(buf, MiB, 1);
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, wb, MiB) == IDD_DMA_STATUS_SUCCESSFUL);
	CHECK(ft_op(dev, 0, 'f', 0x1122334455667788ull, wb + 2 * MiB, 300 * 1024 + 5) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	ft_pattern(buf + MiB, 3000, 3);
	struct idd_dma_sge s[3] = {{(uintptr_t)buf + MiB, 1000}, {(uintptr_t)buf + MiB + 1000, 1500},
				   {(uintptr_t)buf + MiB + 2500, 500}};
	struct idd_dma_sge d[2] = {{wb + 3 * MiB, 2000}, {wb + 3 * MiB + 2000, 1000}};
	int idx = idd_dma_copy_sg(dev, 0, s, d, 3, 2, IDD_DMA_OP_FLAG_SUBMIT);
	enum idd_dma_status_code st;
	uint16_t last;

	CHECK(idx >= 0);
	while (idd_dma_completed_status(dev, 0, 1, &last, &st) == 0)
		usleep(100);
	CHECK(st == IDD_DMA_STATUS_SUCCESSFUL && last == (uint16_t)idx);
	/* Outside the peer's windows (its heap windows are whole segments,
	 * so take an address no heap uses): refused here, before the wire. */
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, 0x10000, 100) ==
	      IDD_DMA_STATUS_INVALID_DST_ADDR);
	CHECK(ft_op(dev, 1, 'c', 0x10000, (uint64_t)(uintptr_t)buf, 64) ==
	      IDD_DMA_STATUS_INVALID_SRC_ADDR);
	CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, wb, 0) ==
	      IDD_DMA_STATUS_INVALID_LENGTH);
	/* Our own side: NULL, or a range that wraps, fails instead of faulting. */
	CHECK(ft_op(dev, 0, 'c', 0, wb, 64) == IDD_DMA_STATUS_INVALID_SRC_ADDR);
	CHECK(ft_op(dev, 0, 'c', UINT64_MAX - 31, wb, 64) == IDD_DMA_STATUS_INVALID_SRC_ADDR);
	CHECK(ft_op(dev, 1, 'c', wb, 8, 64) == IDD_DMA_STATUS_INVALID_DST_ADDR);
	CHECK(ft_op(dev, 1, 'f', 0x55, 0, 64) == IDD_DMA_STATUS_INVALID_DST_ADDR);
	/* Remote to local: the joiner's pattern at +1 MiB. */
	memset(buf, 0, MiB);
	CHECK(ft_op(dev, 1, 'c', jb.addr, (uint64_t)(uintptr_t)buf, MiB) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	CHECK(ft_pattern_ok(buf, MiB, 2));
	/* Remote to local: copy_sg (two pieces of the joiner's pattern into
	 * three of ours) and a fill of our own memory on that vchan. */
	struct idd_dma_sge rs[2] = {{jb.addr, 4000}, {jb.addr + 4000, 96}};
	struct idd_dma_sge ls[3] = {{(uintptr_t)buf, 1000}, {(uintptr_t)buf + 1000, 3000},
				    {(uintptr_t)buf + 4000, 96}};

	memset(buf, 0, 8192);
	idx = idd_dma_copy_sg(dev, 1, rs, ls, 2, 3, IDD_DMA_OP_FLAG_SUBMIT);
	CHECK(idx >= 0);
	while (idd_dma_completed_status(dev, 1, 1, &last, &st) == 0)
		usleep(100);
	CHECK(st == IDD_DMA_STATUS_SUCCESSFUL && last == (uint16_t)idx);
	CHECK(ft_pattern_ok(buf, 4096, 2));
	CHECK(ft_op(dev, 1, 'f', 0x0102030405060708ull, (uint64_t)(uintptr_t)buf, 4099) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	for (uint32_t i = 0; i < 4099; i++)
		CHECK(buf[i] == (uint8_t)(0x0102030405060708ull >> (8 * (i % 8))));
	CHECK(buf[4099] == 0);
	atomic_store(&me->phase, 1);
	/* The joiner checks, then waits to be killed while we stream to it. */
	CHECK(ft_wait_int(&peer->phase, 2, 20000));
	atomic_store(&me->phase, 2);
	ft_stream_until_gone(dev, 0, (uint64_t)(uintptr_t)buf, wb, me);
	CHECK(ft_wait_int(&me->left_seen, 1, 5000));
	CHECK(ft_wait_int(&me->ext_left_seen, 1, 5000));
	/* What the departed member published went with it. */
	CHECK(idd_dma_group_buffer_lookup(dev, gid, "jbuf", 0, &jb) == -ENOENT);
	CHECK(idd_dma_access_pair_group_members(dev, gid, mem, 4) == 1);
	/* Its handler is gone; then the group can go. */
	uint16_t h;

	CHECK(idd_dma_access_pair_group_handler_get(dev, gid, peer->domain, &h) == -ENOENT);
	ft_role_done(dev, gid, win, buf, me);
}

static void
role_joiner(void)
{
	struct ft_host *me = &b->h[1], *cr = &b->h[0];
	char args[160];
	uint8_t *win;

	ft_events_to(me);
	CHECK(ft_wait_int(&b->ready, 1, 20000)); /* the creator's port is known */
	snprintf(args, sizeof(args),
		 "driver=fabric,bind=127.0.0.1,connect=127.0.0.1:%s,keepalive_ms=250", port_arg);
	int16_t dev = (int16_t)idd_dma_dev_create("fabB", args);

	CHECK(dev >= 0);
	win = idd_mem_alloc(FT_WIN, IDD_MEM_PEER_RW);
	CHECK(win != NULL);
	memset(win, 0, FT_WIN);
	ft_pattern(win + MiB, MiB, 2);
	atomic_store(&me->win, (uint64_t)(uintptr_t)win);
	CHECK(ft_wait_int(&b->ready, 1, 20000));
	CHECK(idd_dma_access_pair_group_join(dev, me->domain, b->token, atomic_load(&b->group_id),
					     ft_event_cb) == 0);
	int16_t gid = atomic_load(&b->group_id);
	struct idd_dma_group_buffer ab;

	CHECK(idd_dma_group_buffer_publish(dev, gid, "jbuf", win + MiB, MiB) == 0);
	CHECK(idd_dma_group_buffer_publish(dev, gid, "abuf", win, 64) == -EEXIST);
	CHECK(idd_dma_group_buffer_lookup(dev, gid, "abuf", 5000, &ab) == 0);
	CHECK(ab.addr == atomic_load(&cr->win) && ab.len == 4096 &&
	      memcmp(ab.domain_id, cr->domain, 16) == 0);
	CHECK(idd_dma_group_buffer_unpublish(dev, gid, "abuf") == -EPERM);
	/* A name published and withdrawn. */
	CHECK(idd_dma_group_buffer_publish(dev, gid, "tmp", win, 8) == 0);
	CHECK(idd_dma_group_buffer_unpublish(dev, gid, "tmp") == 0);
	CHECK(idd_dma_group_buffer_lookup(dev, gid, "tmp", 0, &ab) == -ENOENT);
	atomic_store(&me->phase, 1);
	CHECK(ft_wait_int(&cr->phase, 1, 20000));
	CHECK(ft_pattern_ok(win, MiB, 1));
	for (uint32_t i = 0; i < 300 * 1024 + 5; i++)
		CHECK(win[2 * MiB + i] == (uint8_t)(0x1122334455667788ull >> (8 * (i % 8))));
	CHECK(win[2 * MiB + 300 * 1024 + 5] == 0);
	CHECK(ft_pattern_ok(win + 3 * MiB, 3000, 3));
	atomic_store(&me->phase, 2);
	for (;;)
		pause(); /* killed by the conductor mid-transfer */
}

static void
role_intruder(void)
{
	char args[160];
	uint8_t bad[16], dom[16];

	snprintf(args, sizeof(args),
		 "driver=fabric,bind=127.0.0.1,connect=127.0.0.1:%s,keepalive_ms=250", port_arg);
	int16_t dev = (int16_t)idd_dma_dev_create("fabX", args);

	CHECK(dev >= 0);
	memcpy(bad, b->token, 16);
	bad[7] ^= 0x40;
	CHECK(getrandom(dom, 16, 0) == 16);
	CHECK(idd_dma_access_pair_group_join(dev, dom, bad, atomic_load(&b->group_id),
					     ft_event_cb) == -EACCES);
	/* A group that does not exist. */
	CHECK(idd_dma_access_pair_group_join(dev, dom, b->token, 999, ft_event_cb) == -ENOENT);
	CHECK(idd_dma_close(dev) == 0);
	exit(0);
}

static pid_t
spawn(void (*fn)(void))
{
	return ft_spawn(fn, 120);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	b = ft_board_new();
	port_arg = b->port;
	CHECK(getrandom(b->token, 16, 0) == 16);
	for (int i = 0; i < 2; i++)
		CHECK(getrandom(b->h[i].domain, 16, 0) == 16);

	pid_t a = spawn(role_creator), j = spawn(role_joiner);

	CHECK(ft_wait_int(&b->ready, 1, 20000));
	pid_t x = spawn(role_intruder);

	int xs = ft_reap(x);

	CHECK(WIFEXITED(xs) && WEXITSTATUS(xs) == 0 && printf("ok - wrong token refused (EACCES), unknown group ENOENT\n"));
	CHECK(ft_wait_int(&b->h[0].phase, 2, 60000));
	printf("ok - copy, fill, copy_sg both ways, bytes checked by their owner; bad ranges "
	       "fail with INVALID_*_ADDR; MEMBER_JOINED, member list, directory\n");
	/* Kill the joiner once the stream is well under way. */
	CHECK(ft_wait_u64(&b->h[0].progress, 20, 60000));
	kill(j, SIGKILL);
	ft_reap(j);
	int st = ft_reap(a);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && atomic_load(&b->h[0].result) == 1);
	printf("ok - joiner killed mid-transfer: MEMBER_LEFT, error statuses, group destroyed\n");
	printf("3 passed, 0 failed\n");
	return 0;
}
