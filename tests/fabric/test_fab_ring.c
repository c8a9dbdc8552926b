/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fabric driver's vchan rules, which must be sw's: ring_idx from 0,
 * wrapping at 65535, reset by stop/start; completed() stops before a
 * failure and completed_status() reports it; the fence rule per burst;
 * stop aborts what was only enqueued (USER_ABORT) and keeps it
 * collectable; burst_capacity and vchan_status; and what a fabric device
 * refuses (-ENOTSUP). One process, two devices on 127.0.0.1: a creator and
 * a joiner of its group, the joiner writing into the creator's window.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fab_test.h"

static struct idd_dma_vchan_conf
vconf(enum idd_dma_inter_domain_type type, uint16_t src, uint16_t dst)
{
	struct idd_dma_vchan_conf vc;

	memset(&vc, 0, sizeof(vc));
	vc.direction = IDD_DMA_DIR_MEM_TO_MEM;
	vc.nb_desc = 64;
	vc.domain.type = type;
	vc.domain.src_handler = src;
	vc.domain.dst_handler = dst;
	return vc;
}

static uint16_t
collect(int16_t dev, uint16_t n, enum idd_dma_status_code *st, uint16_t *last)
{
	uint16_t got = 0;

	for (int t = 0; t < 100000 && got < n; t++) {
		uint16_t l;
		uint16_t k = idd_dma_completed_status(dev, 0, (uint16_t)(n - got), &l, st + got);

		if (k != 0)
			*last = l;
		got = (uint16_t)(got + k);
		if (got < n)
			usleep(100);
	}
	return got;
}

int
main(void)
{
	char args[160];
	unsigned int port;
	uint8_t token[16], dom_a[16], dom_b[16];
	int16_t gid;
	enum idd_dma_status_code st[64];
	uint16_t last = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(getrandom(token, 16, 0) == 16 && getrandom(dom_a, 16, 0) == 16 &&
	      getrandom(dom_b, 16, 0) == 16);
	int16_t a = ft_listen_dev("fabA", "", &port);

	snprintf(args, sizeof(args), "driver=fabric,bind=127.0.0.1,connect=127.0.0.1:%u", port);
	int16_t b = (int16_t)idd_dma_dev_create("fabB", args);

	CHECK(a >= 0 && b >= 0);
	/* Unknown keys and bad addresses are refused at create. */
	CHECK(idd_dma_dev_create("bad1", "driver=fabric,listen=127.0.0.1") == -EINVAL);
	CHECK(idd_dma_dev_create("bad2", "driver=fabric,bind=127.0.0.1,colour=red") == -EINVAL);
	CHECK(idd_dma_dev_create("bad3", "driver=fabric") == -EINVAL);
	/* A device without listen= cannot create; without connect=, join. */
	CHECK(idd_dma_access_pair_group_create(b, dom_b, token, &gid, NULL) == -ENOTSUP);
	CHECK(idd_dma_access_pair_group_join(a, dom_a, token, 0, NULL) == -ENOTSUP);

	uint8_t *win = idd_mem_alloc(1u << 20, IDD_MEM_PEER_RW);
	uint8_t *loc = malloc(1u << 20);

	CHECK(win != NULL && loc != NULL);
	CHECK(idd_dma_access_pair_group_create(a, dom_a, token, &gid, NULL) == 0);
	CHECK(idd_dma_access_pair_group_join(b, dom_b, token, gid, NULL) == 0);
	CHECK(idd_dma_access_pair_group_join(b, dom_b, token, gid, NULL) == -EEXIST);
	CHECK(idd_dma_access_pair_group_leave(a, gid) == -EPERM);
	uint16_t hb_self = ft_handler(b, gid, dom_b), hb_a = ft_handler(b, gid, dom_a);
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vc;

	CHECK(idd_dma_configure(b, &conf) == 0);
	/* What a fabric device refuses. */
	vc = vconf(IDD_DMA_INTER_DOMAIN_NONE, 0, 0);
	CHECK(idd_dma_vchan_setup(b, 0, &vc) == -ENOTSUP);
	vc = vconf(IDD_DMA_INTER_OS_DOMAIN, hb_self, hb_self);
	CHECK(idd_dma_vchan_setup(b, 0, &vc) == -ENOTSUP);
	vc = vconf(IDD_DMA_INTER_OS_DOMAIN, hb_self, 999);
	CHECK(idd_dma_vchan_setup(b, 0, &vc) == -EINVAL);
	vc = vconf(IDD_DMA_INTER_OS_DOMAIN, hb_self, hb_a);
	CHECK(idd_dma_vchan_setup(b, 0, &vc) == 0);
	CHECK(idd_dma_start(b) == 0);
	printf("ok 1 - arguments, roles and refusals\n");

	/* ring_idx: from 0, one per operation, wrapping at 65535. */
	for (uint32_t i = 0; i < 64; i++)
		loc[i] = (uint8_t)i;
	uint32_t next = 0;

	while (next < 70000) {
		uint16_t burst = idd_dma_burst_capacity(b, 0);

		CHECK(burst <= 64);
		for (uint16_t k = 0; k < burst && next < 70000; k++, next++) {
			int idx = idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win + (next % 1024) * 64,
					       64, 0);

			CHECK(idx == (int)(uint16_t)next);
		}
		CHECK(idd_dma_submit(b, 0) == 0);
		bool err = false;
		uint16_t n;

		while ((n = idd_dma_completed(b, 0, 64, &last, &err)) == 0)
			usleep(50);
		CHECK(!err);
	}
	for (;;) {
		bool err = false;
		enum idd_dma_vchan_status vs;

		(void)idd_dma_completed(b, 0, 64, &last, &err);
		CHECK(!err);
		CHECK(idd_dma_vchan_status(b, 0, &vs) == 0);
		if (last == (uint16_t)(70000 - 1) && vs == IDD_DMA_VCHAN_IDLE)
			break;
		usleep(100);
	}
	CHECK(memcmp(win + 1023 * 64, loc, 64) == 0);
	printf("ok 2 - ring_idx wraps at 65535 over 70000 copies\n");

	/* completed() stops before a failure; completed_status() reports it.
	 * Fence: after a failure in a burst, the fenced op and the rest of the
	 * burst are NOT_ATTEMPTED; the next burst runs. */
	uint16_t base = (uint16_t)70000;

	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, 0) == base);
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, 0x10000, 64, 0) == (uint16_t)(base + 1));
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, IDD_DMA_OP_FLAG_FENCE) ==
	      (uint16_t)(base + 2));
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, IDD_DMA_OP_FLAG_SUBMIT) ==
	      (uint16_t)(base + 3));
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 0, IDD_DMA_OP_FLAG_SUBMIT) ==
	      (uint16_t)(base + 4));
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64,
			   IDD_DMA_OP_FLAG_SUBMIT | IDD_DMA_OP_FLAG_FENCE) == (uint16_t)(base + 5));
	{
		bool err = false;
		uint16_t n = 0;

		for (int t = 0; t < 100000 && n == 0; t++) {
			n = idd_dma_completed(b, 0, 64, &last, &err);
			if (n == 0 && !err)
				usleep(100);
			else
				break;
		}
		CHECK(n == 1 && last == base);
		CHECK(idd_dma_completed(b, 0, 64, &last, &err) == 0 && err);
	}
	CHECK(collect(b, 5, st, &last) == 5 && last == (uint16_t)(base + 5));
	CHECK(st[0] == IDD_DMA_STATUS_INVALID_DST_ADDR);
	CHECK(st[1] == IDD_DMA_STATUS_NOT_ATTEMPTED && st[2] == IDD_DMA_STATUS_NOT_ATTEMPTED);
	CHECK(st[3] == IDD_DMA_STATUS_INVALID_LENGTH);
	/* The fence of the last burst waits for the length failure of the
	 * previous burst, which is another burst: it runs. */
	CHECK(st[4] == IDD_DMA_STATUS_SUCCESSFUL);
	struct idd_dma_stats stats;

	CHECK(idd_dma_stats_get(b, 0, &stats) == 0);
	CHECK(stats.submitted == 70006 && stats.completed == 70006 && stats.errors == 4);
	printf("ok 3 - failures stop completed(); fence per burst; statuses; stats\n");

	/* Stop: unsubmitted operations complete USER_ABORT and stay
	 * collectable; start resets ring_idx to 0. */
	for (int i = 0; i < 3; i++)
		CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, 0) ==
		      (uint16_t)(base + 6 + i));
	CHECK(idd_dma_stop(b) == 0);
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, 0) == -EINVAL);
	CHECK(collect(b, 3, st, &last) == 3 && last == (uint16_t)(base + 8));
	CHECK(st[0] == IDD_DMA_STATUS_USER_ABORT && st[2] == IDD_DMA_STATUS_USER_ABORT);
	CHECK(idd_dma_start(b) == 0);
	CHECK(idd_dma_copy(b, 0, (uintptr_t)loc, (uintptr_t)win, 64, IDD_DMA_OP_FLAG_SUBMIT) == 0);
	CHECK(collect(b, 1, st, &last) == 1 && last == 0 && st[0] == IDD_DMA_STATUS_SUCCESSFUL);
	printf("ok 4 - stop aborts the unsubmitted, start resets ring_idx\n");

	CHECK(idd_dma_stop(b) == 0);
	CHECK(idd_dma_access_pair_group_destroy(a, gid) == -EBUSY);
	CHECK(idd_dma_access_pair_group_leave(b, gid) == 0);
	/* The creator hears of the leave on its control thread. */
	for (int t = 0; t < 5000 && idd_dma_access_pair_group_destroy(a, gid) == -EBUSY; t++)
		usleep(1000);
	CHECK(idd_dma_close(b) == 0);
	CHECK(idd_dma_close(a) == 0);
	idd_mem_free(win);
	free(loc);
	printf("ok 5 - leave, destroy, close\n");
	printf("5 passed, 0 failed\n");
	return 0;
}
