/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Striped copies (device argument stripes=N): each copy is cut into pieces
 * that go out over N endpoints, i.e. N TCP connections, and completes when
 * all its pieces did. Two "hosts", network namespaces a and b joined by a
 * veth pair, made here and removed on every way out; both devices use
 * stripes=3, which divides none of the sizes below.
 *
 *   1. b writes blocks of 1 B, 4095 B, 192 KiB + 1, 1 MiB + 4097 and
 *      2 MiB + 12345 at odd offsets into a's window and reads each back
 *      (fi_read, striped too), plus one copy_sg whose lists cut the data
 *      differently (3 source entries, 2 destination entries); b compares
 *      what it read, and a, the owner, checks its window byte for byte,
 *      including the bytes between the blocks (untouched).
 *   2. b's namespace holds at least 3 + 1 established TCP connections to a
 *      (3 data endpoints, 1 control channel): the stripes really are
 *      connections of their own.
 *   3. While b streams 1 MiB + 4097 copies into a (each one 3 pieces on 3
 *      connections), a's link is cut (veth down): every copy b enqueued
 *      completes exactly once (the indexes come back contiguous, none
 *      twice, none after), the first ones successfully, at least one with
 *      DEV_LINK_ERROR (or INVALID_DST_ADDR once a is gone), and the
 *      vchan's counters agree; b gets GROUP_DESTROYED.
 *
 * Before that, on 127.0.0.1 (never skipped): stripes= outside 1..16 and
 * cpu= beyond the CPU set are refused; stripes=16 with cpu=0 is taken and
 * shown by the dump.
 *
 * Skipped (exit 77) where namespaces cannot be made.
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
#define PORT "7473"
#define STRIPES "3"
#define NB_BLOCKS 5

static const uint32_t block_len[NB_BLOCKS] = {1, 4095, 192 * 1024 + 1, MiB + 4097,
					      2 * MiB + 12345};
/* copy_sg: 177782 bytes, cut 100000 + 77777 + 5 at the source and
 * 150000 + 27782 at the destination. */
static const uint32_t sg_src_len[3] = {100000, 77777, 5};
static const uint32_t sg_dst_len[2] = {150000, 27782};
#define SG_LEN 177782u

static struct ft_board *b;
static struct hosts_pair hosts; /* a and b: namespaces and addresses (10.214.0.1, .2) */

/* Steps of the conductor and phases of the hosts. */
enum { S_JOINED = 1, S_WRITTEN, S_CHECKED, S_STREAM, S_DONE };

static int16_t
host_dev(int i, const char *name)
{
	char args[192];

	if (i == 0)
		snprintf(args, sizeof(args),
			 "driver=fabric,listen=%s:" PORT ",keepalive_ms=250,stripes=" STRIPES,
			 hosts.ip[0]);
	else
		snprintf(args, sizeof(args),
			 "driver=fabric,bind=%s,connect=%s:" PORT ",keepalive_ms=250,"
			 "stripes=" STRIPES,
			 hosts.ip[1], hosts.ip[0]);
	int ret = idd_dma_dev_create(name, args);

	CHECK(ret >= 0);
	return (int16_t)ret;
}

/* Where block @k lands in a's window: one after the other, at odd offsets
 * with 7 untouched bytes between them; the copy_sg's data after them. */
static uint64_t
block_off(unsigned int k)
{
	uint64_t off = 3;

	for (unsigned int i = 0; i < k; i++)
		off += block_len[i] + 7;
	return off;
}

static void
role_a(void)
{
	struct ft_host *me = &b->h[0];
	int16_t gid = -1, dev;
	uint8_t *win, *want = malloc(FT_WIN);

	ft_enter(hosts.ns[0]);
	ft_events_to(me);
	dev = host_dev(0, "fstA");
	win = idd_mem_alloc(FT_WIN, IDD_MEM_PEER_RW);
	CHECK(win != NULL && want != NULL);
	memset(win, 0xee, FT_WIN);
	atomic_store(&me->win, (uint64_t)(uintptr_t)win);
	CHECK(idd_dma_access_pair_group_create(dev, me->domain, b->token, &gid, ft_event_cb) == 0);
	atomic_store(&b->group_id, gid);
	atomic_store(&b->ready, 1);
	/* b wrote: what the window must hold now, byte for byte. */
	CHECK(ft_wait_int(&b->step, S_WRITTEN, 60000));
	memset(want, 0xee, FT_WIN);
	for (unsigned int k = 0; k < NB_BLOCKS; k++)
		ft_pattern(want + block_off(k), block_len[k], 100 + k);
	ft_pattern(want + block_off(NB_BLOCKS), SG_LEN, 200);
	CHECK(memcmp(win, want, FT_WIN) == 0);
	atomic_store(&me->phase, S_CHECKED);
	/* The stream into us, and the cut: nothing more to do but wait for the
	 * conductor, which kills us after the cut. */
	for (;;)
		pause();
}

/* Phase 3 on b: stream until the cut fails copies, checking that every
 * enqueued copy completes exactly once. */
static void
stream_until_cut(struct ft_host *me, int16_t dev, const uint8_t *src, uint64_t dst)
{
	const uint32_t len = MiB + 4097;
	uint64_t enq = 0, done = 0, ok = 0, failed = 0;
	uint16_t next_idx = 0; /* the ring index the next completion must have */
	enum idd_dma_status_code st[16];
	struct idd_dma_stats stats;
	int idle = 0;

	CHECK(idd_dma_stats_reset(dev, 0) == 0);
	while (done < enq || failed == 0) {
		while (failed == 0 && enq - done < 8) {
			uint64_t off = (enq % 2) * (len + 11);
			int r = idd_dma_copy(dev, 0, (uint64_t)(uintptr_t)src, dst + off, len,
					     IDD_DMA_OP_FLAG_SUBMIT);

			CHECK(r >= 0);
			if (enq == 0)
				next_idx = (uint16_t)r; /* the vchan carried copies before */
			CHECK((uint16_t)r == (uint16_t)(next_idx + (enq - done)));
			enq++;
		}
		uint16_t last = 0;
		uint16_t got = idd_dma_completed_status(dev, 0, 16, &last, st);

		if (got != 0) {
			/* Contiguous: this batch ends where its count says. */
			CHECK(last == (uint16_t)(next_idx + got - 1));
			next_idx = (uint16_t)(last + 1);
		}
		for (uint16_t i = 0; i < got; i++) {
			if (st[i] == IDD_DMA_STATUS_SUCCESSFUL) {
				ok++;
				continue;
			}
			CHECK(st[i] == IDD_DMA_STATUS_DEV_LINK_ERROR ||
			      st[i] == IDD_DMA_STATUS_INVALID_DST_ADDR);
			atomic_store(&me->err_status, (int)st[i]);
			failed++;
		}
		done += got;
		CHECK(done <= enq);
		atomic_store(&me->progress, ok);
		if (got == 0) {
			usleep(100);
			CHECK(++idle < 600000); /* a minute without any completion */
		} else {
			idle = 0;
		}
	}
	/* Everything came back once; nothing comes back twice, however long
	 * we look (a late completion from the provider for a piece that was
	 * failed early must be swallowed). */
	for (int i = 0; i < 20; i++) {
		uint16_t last;

		CHECK(idd_dma_completed_status(dev, 0, 16, &last, st) == 0);
		usleep(50000);
	}
	CHECK(ok >= 10 && failed >= 1);
	CHECK(idd_dma_stats_get(dev, 0, &stats) == 0);
	CHECK(stats.submitted == enq);
	CHECK(stats.completed == enq);
	CHECK(stats.errors == failed);
}

static void
role_b(void)
{
	struct ft_host *me = &b->h[1];
	uint8_t *buf = malloc(3 * MiB), *back = malloc(3 * MiB);
	int16_t dev;

	CHECK(buf != NULL && back != NULL);
	ft_enter(hosts.ns[1]);
	ft_events_to(me);
	dev = host_dev(1, "fstB");
	CHECK(ft_wait_int(&b->ready, 1, 30000));
	CHECK(idd_dma_access_pair_group_join(dev, me->domain, b->token, b->group_id,
					     ft_event_cb) == 0);
	int16_t gid = b->group_id;
	uint16_t h_b = ft_handler(dev, gid, me->domain), h_a = ft_handler(dev, gid, b->h[0].domain);
	uint16_t src[2] = {h_b, h_a}, dst[2] = {h_a, h_b};

	CHECK(ft_wait_u64(&b->h[0].win, 1, 30000));
	uint64_t wa = atomic_load(&b->h[0].win);

	ft_start(dev, 2, src, dst);
	/* 1. Blocks written, then read back, byte for byte. */
	for (unsigned int k = 0; k < NB_BLOCKS; k++) {
		uint64_t at = wa + block_off(k);

		ft_pattern(buf, block_len[k], 100 + k);
		memset(back, 0, block_len[k]);
		CHECK(ft_op(dev, 0, 'c', (uint64_t)(uintptr_t)buf, at, block_len[k]) ==
		      IDD_DMA_STATUS_SUCCESSFUL);
		CHECK(ft_op(dev, 1, 'c', at, (uint64_t)(uintptr_t)back, block_len[k]) ==
		      IDD_DMA_STATUS_SUCCESSFUL);
		CHECK(ft_pattern_ok(back, block_len[k], 100 + k));
	}
	/* copy_sg: the source list cuts buf one way, the destination list
	 * cuts a's window another way. */
	struct idd_dma_sge s[3], d[2];
	uint64_t at = wa + block_off(NB_BLOCKS), so = 0, dof = 0;
	enum idd_dma_status_code st = IDD_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last;

	ft_pattern(buf, SG_LEN, 200);
	for (int i = 0; i < 3; i++) {
		s[i].addr = (uint64_t)(uintptr_t)buf + so;
		s[i].length = sg_src_len[i];
		so += sg_src_len[i];
	}
	for (int i = 0; i < 2; i++) {
		d[i].addr = at + dof;
		d[i].length = sg_dst_len[i];
		dof += sg_dst_len[i];
	}
	CHECK(so == SG_LEN && dof == SG_LEN);
	CHECK(idd_dma_copy_sg(dev, 0, s, d, 3, 2, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	for (int t = 0; t < 100000 && idd_dma_completed_status(dev, 0, 1, &last, &st) == 0; t++)
		usleep(100);
	CHECK(st == IDD_DMA_STATUS_SUCCESSFUL);
	memset(back, 0, SG_LEN);
	CHECK(ft_op(dev, 1, 'c', at, (uint64_t)(uintptr_t)back, SG_LEN) ==
	      IDD_DMA_STATUS_SUCCESSFUL);
	CHECK(ft_pattern_ok(back, SG_LEN, 200));
	atomic_store(&me->phase, S_WRITTEN);
	/* 3. Stream until the conductor cuts a's link. */
	CHECK(ft_wait_int(&b->step, S_STREAM, 60000));
	ft_pattern(buf, 3 * MiB, 300);
	stream_until_cut(me, dev, buf, wa);
	CHECK(ft_wait_int(&me->destroyed_seen, 1, 30000));
	free(back);
	ft_role_done(dev, -1, NULL, buf, me);
}

/* Established TCP connections in namespace @i towards @ip. */
static int
connections_to(int i, const char *ip)
{
	char cmd[160], line[256];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Htn state established dst %s",
		 hosts.ns[i], ip);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	CHECK(pclose(f) == 0);
	return n;
}

static void
role_args(void)
{
	static const char *const bad[] = {"stripes=0", "stripes=17", "stripes=two",
					  "cpu=1000000"};
	char args[128], dump[4096];
	FILE *f;
	int dev;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "driver=fabric,bind=127.0.0.1,%s", bad[i]);
		CHECK(idd_dma_dev_create("fstBad", args) < 0);
	}
	dev = idd_dma_dev_create("fstMax", "driver=fabric,bind=127.0.0.1,stripes=16,cpu=0");
	CHECK(dev >= 0);
	f = fmemopen(dump, sizeof(dump), "w");
	CHECK(f != NULL);
	CHECK(idd_dma_dump((int16_t)dev, f) == 0);
	fclose(f);
	CHECK(strstr(dump, "16 stripe(s)") != NULL);
	CHECK(idd_dma_close((int16_t)dev) == 0);
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
	pid_t args = ft_spawn_host(role_args, 60);

	CHECK(ft_exited_ok(args));
	printf("ok 0 - stripes= and cpu= out of range refused; stripes=16,cpu=0 taken\n");
	ft_hosts_ok(hosts_pair_up(&hosts, "idd-fst", "10.214.0"));
	b = ft_board_new();
	CHECK(getrandom(b->token, 16, 0) == 16);
	for (int i = 0; i < 2; i++)
		CHECK(getrandom(b->h[i].domain, 16, 0) == 16);

	pid_t a = spawn(role_a), pb = spawn(role_b);

	CHECK(ft_wait_int(&b->h[1].phase, S_WRITTEN, 60000));
	atomic_store(&b->step, S_WRITTEN);
	CHECK(ft_wait_int(&b->h[0].phase, S_CHECKED, 60000));
	printf("ok 1 - striped writes, reads and copy_sg of sizes " STRIPES " does not divide: "
	       "bytes checked by the reader and by the owner\n");
	int n = connections_to(1, hosts.ip[0]);

	if (n < 4) {
		fprintf(stderr, "%d established connections from b to a, want >= 4\n", n);
		exit(1);
	}
	printf("ok 2 - %d connections from b to a (" STRIPES " data endpoints + control)\n", n);
	atomic_store(&b->step, S_STREAM);
	CHECK(ft_wait_u64(&b->h[1].progress, 10, 60000));
	ft_hosts_ok(hosts_cmd("ip -n %s link set eth0 down", hosts.ns[0]));
	CHECK(ft_exited_ok(pb));
	printf("ok 3 - link cut mid-stream: every striped copy completed exactly once, the late "
	       "ones with an error status; GROUP_DESTROYED at b\n");
	kill(a, SIGKILL);
	(void)ft_reap(a);
	hosts_end();
	printf("4 passed, 0 failed\n");
	return 0;
}
