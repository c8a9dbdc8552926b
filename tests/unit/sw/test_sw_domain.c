/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inter-process vchans of the sw driver, inside one process: device A
 * creates a group and device B joins it as another domain, so that A's
 * handler for B names a real peer address space (B's windows, which are
 * this process's, imported and mapped a second time by A). That reaches
 * every engine path quickly, and under ThreadSanitizer (suite 'engine'),
 * without the multi-process machinery of tests/dataplane:
 *   - local->local with the inter-process type, local->peer, peer->local,
 *     peer->peer; copy, fill, copy_sg, enqueue/dequeue ops;
 *   - refused handlers, one log line each; references held until the
 *     vchan is set up again (group_handler_state());
 *   - bytes in idd_dma_stats_ext_get(), reset, errors not counted;
 *   - quiescent points inside a long burst; the peer leaving while the
 *     engine copies into its windows;
 *   - large copies reported complete one by one by the thread engine.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <idd/idd_mem.h>

#include "group/group.h"
#include "sw_test.h"

static const unsigned char dom_a[16] = {0xa1}, dom_b[16] = {0xb2}, token[16] = {7, 7, 7};

struct pair {
	int16_t a, b, gid;
	uint16_t ha_self, ha_b; /* on A: A's own domain, B's */
};

static void
pair_up(struct pair *p, uint16_t nb_vchans)
{
	struct idd_dma_conf conf = {.nb_vchans = nb_vchans};
	char args[64];
	int dev;

	snprintf(args, sizeof(args), "engine=%s", t_engine);
	dev = idd_dma_dev_create("dom-a", args);
	assert_true(dev >= 0);
	p->a = (int16_t)dev;
	dev = idd_dma_dev_create("dom-b", "engine=inline");
	assert_true(dev >= 0);
	p->b = (int16_t)dev;
	assert_int_equal(idd_dma_configure(p->a, &conf), 0);
	assert_int_equal(idd_dma_access_pair_group_create(p->a, (unsigned char *)dom_a,
							  (unsigned char *)token, &p->gid, NULL),
			 0);
	assert_int_equal(idd_dma_access_pair_group_join(p->b, (unsigned char *)dom_b,
							(unsigned char *)token, p->gid, NULL),
			 0);
	assert_int_equal(idd_dma_access_pair_group_handler_get(p->a, p->gid, (unsigned char *)dom_a,
							       &p->ha_self),
			 0);
	assert_int_equal(idd_dma_access_pair_group_handler_get(p->a, p->gid, (unsigned char *)dom_b,
							       &p->ha_b),
			 0);
}

static void
setup(int16_t dev, uint16_t v, enum idd_dma_inter_domain_type type, uint16_t src, uint16_t dst,
      int want)
{
	struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = 256};

	vc.domain.type = type;
	vc.domain.src_handler = src;
	vc.domain.dst_handler = dst;
	assert_int_equal(idd_dma_vchan_setup(dev, v, &vc), want);
}

static void
pair_down(struct pair *p)
{
	enum idd_log_level level = idd_log_get_level();

	idd_log_set_level(IDD_LOG_ERR);
	idd_dma_stop(p->a);
	idd_log_set_level(level);
	assert_int_equal(idd_dma_close(p->b), 0); /* leaves */
	assert_int_equal(idd_dma_close(p->a), 0); /* ends the group */
}

static enum idd_dma_status_code
wait1(int16_t dev, uint16_t v)
{
	enum idd_dma_status_code st = IDD_DMA_STATUS_ERROR_UNKNOWN;

	assert_int_equal(t_wait_status(dev, v, 1, NULL, &st), 1);
	return st;
}

/* B's windows are B's process's windows: here, ours. A window allocated
 * now reaches A's table through the control thread; poll until A can read
 * it through vchan @v (peer -> local). */
static void
wait_reachable(int16_t a, uint16_t v, const void *addr)
{
	uint8_t b;

	for (int i = 0; i < 5000; i++) {
		assert_true(idd_dma_copy(a, v, T_IOVA(addr), T_IOVA(&b), 1, IDD_DMA_OP_FLAG_SUBMIT) >=
			    0);
		if (wait1(a, v) == IDD_DMA_STATUS_SUCCESSFUL)
			return;
		usleep(1000);
	}
	fail_msg("window %p never reached the peer's table", addr);
}

enum { V_L2L, V_L2P, V_P2L, V_P2P, V_NONE, NB_V };

static void
test_directions(void **state)
{
	uint8_t *win = idd_mem_alloc(1 << 20, IDD_MEM_PEER_RW);
	uint8_t *loc = t_alloc(1 << 20), *loc2 = t_alloc(1 << 20);
	struct idd_dma_sge src[3], dst[2];
	struct idd_dma_stats_ext st;
	struct pair p;

	(void)state;
	assert_non_null(win);
	pair_up(&p, NB_V);
	setup(p.a, V_L2L, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_self, 0);
	setup(p.a, V_L2P, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	setup(p.a, V_P2L, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_self, 0);
	setup(p.a, V_P2P, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_b, 0);
	setup(p.a, V_NONE, IDD_DMA_INTER_DOMAIN_NONE, 0, 0, 0);
	assert_int_equal(idd_dma_start(p.a), 0);
	wait_reachable(p.a, V_P2L, win);
	assert_int_equal(idd_dma_stats_reset(p.a, IDD_DMA_ALL_VCHAN), 0);

	/* local -> local, typed */
	t_pattern(loc, 4096, 1);
	assert_true(idd_dma_copy(p.a, V_L2L, T_IOVA(loc), T_IOVA(loc2), 4096,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_L2L), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(loc2, loc, 4096, "local->local");
	/* local -> peer, then peer -> peer, then peer -> local */
	assert_true(idd_dma_copy(p.a, V_L2P, T_IOVA(loc), T_IOVA(win + 7), 4096,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_L2P), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(win + 7, loc, 4096, "local->peer");
	assert_true(idd_dma_copy(p.a, V_P2P, T_IOVA(win + 7), T_IOVA(win + 9000), 4096,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_P2P), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(win + 9000, loc, 4096, "peer->peer");
	memset(loc2, 0, 4096);
	assert_true(idd_dma_copy(p.a, V_P2L, T_IOVA(win + 9000), T_IOVA(loc2), 4096,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_P2L), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(loc2, loc, 4096, "peer->local");

	/* fill and copy_sg into the peer */
	assert_true(idd_dma_fill(p.a, V_L2P, 0x1122334455667788ull, T_IOVA(win + 100000), 99,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_L2P), IDD_DMA_STATUS_SUCCESSFUL);
	for (int i = 0; i < 99; i++)
		assert_int_equal(win[100000 + i], (uint8_t)(0x1122334455667788ull >> (8 * (i % 8))));
	src[0] = (struct idd_dma_sge){T_IOVA(loc), 100};
	src[1] = (struct idd_dma_sge){T_IOVA(loc + 100), 0};
	src[2] = (struct idd_dma_sge){T_IOVA(loc + 100), 156};
	dst[0] = (struct idd_dma_sge){T_IOVA(win + 200000), 200};
	dst[1] = (struct idd_dma_sge){T_IOVA(win + 300000), 56};
	assert_true(idd_dma_copy_sg(p.a, V_L2P, src, dst, 3, 2, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_L2P), IDD_DMA_STATUS_SUCCESSFUL);
	t_assert_same(win + 200000, loc, 200, "sg part 1");
	t_assert_same(win + 300000, loc + 200, 56, "sg part 2");

	/* Refusals, the fence rule, and the channel carrying on. */
	assert_true(idd_dma_copy(p.a, V_L2P, T_IOVA(loc), T_IOVA(loc), 64, 0) >= 0); /* not B's */
	assert_true(idd_dma_copy(p.a, V_L2P, T_IOVA(loc), T_IOVA(win), 64, IDD_DMA_OP_FLAG_FENCE) >=
		    0);
	assert_true(idd_dma_copy(p.a, V_L2P, T_IOVA(loc), T_IOVA(win + (1 << 20) - 32), 64, 0) >= 0);
	assert_true(idd_dma_fill(p.a, V_L2P, 0, T_IOVA(loc), 64, 0) >= 0);
	assert_int_equal(idd_dma_submit(p.a, V_L2P), 0);
	{
		enum idd_dma_status_code s4[4];

		assert_int_equal(t_wait_status(p.a, V_L2P, 4, NULL, s4), 4);
		assert_int_equal(s4[0], IDD_DMA_STATUS_INVALID_DST_ADDR);
		assert_int_equal(s4[1], IDD_DMA_STATUS_NOT_ATTEMPTED);
		assert_int_equal(s4[2], IDD_DMA_STATUS_NOT_ATTEMPTED);
		assert_int_equal(s4[3], IDD_DMA_STATUS_NOT_ATTEMPTED);
	}
	assert_true(idd_dma_copy(p.a, V_P2L, T_IOVA(loc), T_IOVA(loc2), 64,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_P2L), IDD_DMA_STATUS_INVALID_SRC_ADDR);
	assert_true(idd_dma_copy(p.a, V_L2P, T_IOVA(loc), T_IOVA(win), 64,
				 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, V_L2P), IDD_DMA_STATUS_SUCCESSFUL);

	/* Bytes: successes only. */
	assert_int_equal(idd_dma_stats_ext_get(p.a, V_L2P, &st), 0);
	assert_int_equal(st.submitted, 8);
	assert_int_equal(st.completed, 8);
	assert_int_equal(st.errors, 4);
	assert_int_equal(st.bytes, 4096 + 99 + 256 + 64);
	assert_int_equal(idd_dma_stats_ext_get(p.a, IDD_DMA_ALL_VCHAN, &st), 0);
	assert_int_equal(st.bytes, 4 * 4096 + 99 + 256 + 64);
	assert_int_equal(st.errors, 5);
	assert_int_equal(st.reserved[0] | st.reserved[3], 0);
	assert_int_equal(idd_dma_stats_reset(p.a, V_L2P), 0);
	assert_int_equal(idd_dma_stats_ext_get(p.a, V_L2P, &st), 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.submitted, 0);
	assert_int_equal(idd_dma_stats_ext_get(p.a, V_L2P, NULL), -EINVAL);
	assert_int_equal(idd_dma_stats_ext_get(p.a, NB_V, &st), -EINVAL);
	assert_int_equal(idd_dma_stats_ext_get(-1, 0, &st), -EINVAL);

	pair_down(&p);
	t_free(loc, 1 << 20);
	t_free(loc2, 1 << 20);
	assert_int_equal(idd_mem_free(win), 0);
}

/* Enqueue/dequeue mode: the op's segments are addresses of the vchan's
 * domains like any others. */
static void
test_ops_mode(void **state)
{
	struct idd_dma_conf conf = {.nb_vchans = 1, .flags = IDD_DMA_CFG_FLAG_ENQ_DEQ};
	uint8_t *win = idd_mem_alloc(65536, IDD_MEM_PEER_RW);
	uint8_t *loc = t_alloc(4096);
	/* An op ends with its segments (a flexible array): allocate each. */
	struct idd_dma_op *o[2], *out[2];
	struct pair p;

	(void)state;
	pair_up(&p, 1);
	assert_int_equal(idd_dma_configure(p.a, &conf), 0);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	assert_int_equal(idd_dma_start(p.a), 0);
	t_pattern(loc, 4096, 5);
	for (int i = 0; i < 2; i++) {
		o[i] = calloc(1, sizeof(*o[i]) + 3 * sizeof(struct idd_dma_sge));
		assert_non_null(o[i]);
	}
	/* The peer's window may not be in A's table yet: retry the first op. */
	for (int tries = 0;; tries++) {
		o[0]->nb_src = 1;
		o[0]->nb_dst = 2;
		o[0]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(loc), 1000};
		o[0]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(win), 500};
		o[0]->src_dst_seg[2] = (struct idd_dma_sge){T_IOVA(win + 30000), 500};
		o[1]->nb_src = 1;
		o[1]->nb_dst = 1;
		o[1]->src_dst_seg[0] = (struct idd_dma_sge){T_IOVA(loc), 10};
		o[1]->src_dst_seg[1] = (struct idd_dma_sge){T_IOVA(loc + 100), 10}; /* not B's */
		assert_int_equal(idd_dma_enqueue_ops(p.a, 0, o, 2), 2);
		unsigned int got = 0;

		/* The worker may take a while under a sanitizer: bounded by time. */
		for (int i = 0; got < 2 && i < T_TIMEOUT_S * 10000; i++) {
			got += idd_dma_dequeue_ops(p.a, 0, out + got, (uint16_t)(2 - got));
			if (got < 2)
				usleep(100);
		}
		assert_int_equal(got, 2);
		assert_ptr_equal(out[0], o[0]);
		if (o[0]->status == IDD_DMA_STATUS_SUCCESSFUL || tries > 5000)
			break;
		usleep(1000);
	}
	assert_int_equal(o[0]->status, IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(o[1]->status, IDD_DMA_STATUS_INVALID_DST_ADDR);
	free(o[0]);
	free(o[1]);
	t_assert_same(win, loc, 500, "op seg 1");
	t_assert_same(win + 30000, loc + 500, 500, "op seg 2");
	pair_down(&p);
	t_free(loc, 4096);
	assert_int_equal(idd_mem_free(win), 0);
}

/* Handlers at setup: refused unless present on this device, one line each;
 * a reference held until the vchan lets it go. */
static void
test_handlers(void **state)
{
	struct pair p;
	uint16_t hb_on_b;

	(void)state;
	pair_up(&p, 2);
	t_log_capture_start();
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, 0, p.ha_b, -EINVAL);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, 0, -EINVAL);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, 65535, -EINVAL);
	t_log_capture_stop();
	assert_int_equal(t_log_count("names no present member"), 3);
	/* B's own handlers are B's: A may not use them (unless they happen to
	 * be A's numbers too, which they are not for B's own domain here). */
	assert_int_equal(idd_dma_access_pair_group_handler_get(p.b, p.gid, (unsigned char *)dom_b,
							       &hb_on_b),
			 0);

	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	setup(p.a, 1, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_b, 0);
	assert_int_equal(group_handler_state(p.a, p.ha_b), 1);
	/* B leaves: the handler is retired but held by two vchans. */
	assert_int_equal(idd_dma_access_pair_group_leave(p.b, p.gid), 0);
	for (int i = 0; i < 2000 && group_handler_state(p.a, p.ha_b) == 1; i++)
		usleep(1000);
	assert_int_equal(group_handler_state(p.a, p.ha_b), 2);
	t_log_capture_start();
	setup(p.a, 1, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_self, -EINVAL);
	t_log_capture_stop();
	assert_int_equal(t_log_count("names no present member"), 1);
	/* A refused setup kept vchan 1's references: still retired. */
	assert_int_equal(group_handler_state(p.a, p.ha_b), 2);
	setup(p.a, 1, IDD_DMA_INTER_DOMAIN_NONE, 0, 0, 0);
	assert_int_equal(group_handler_state(p.a, p.ha_b), 2);
	/* The last holder goes with a reconfigure: the handler is free. */
	{
		struct idd_dma_conf conf = {.nb_vchans = 1};

		assert_int_equal(idd_dma_configure(p.a, &conf), 0);
	}
	assert_int_equal(group_handler_state(p.a, p.ha_b), 0);
	pair_down(&p);
}

static void
test_dump(void **state)
{
	char *buf = NULL, want[160];
	size_t len = 0;
	struct pair p;
	FILE *f;

	(void)state;
	pair_up(&p, 3);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	setup(p.a, 1, IDD_DMA_INTER_DOMAIN_NONE, 0, 0, 0);
	setup(p.a, 2, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_self, 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(idd_dma_dump(p.a, f), 0);
	fclose(f);
	snprintf(want, sizeof(want),
		 "domain: inter-process, src handler %u (local), dst handler %u (remote)",
		 p.ha_self, p.ha_b);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "domain: none (local transfers)"));
	assert_non_null(strstr(buf, "bytes 0"));
	assert_non_null(strstr(buf, "inter_process_domain"));
	free(buf);
	pair_down(&p);
}

/* Many large copies in one burst: the engine passes quiescent points
 * inside it (every 4 MiB), so B's leave (which unmaps its windows after a
 * grace period) does not wait for the whole burst; every copy completes
 * once, successfully or not. Under TSan this also checks the engine's
 * read side against the control thread's unmapping. */
static void
test_leave_during_burst(void **state)
{
	const size_t sz = 1 << 20;
	uint8_t *win = idd_mem_alloc(4 * sz, IDD_MEM_PEER_RW);
	uint8_t *loc = t_alloc(sz);
	enum idd_dma_status_code st[200];
	unsigned int ok = 0, bad = 0;
	struct idd_dma_stats_ext s;
	struct pair p;

	(void)state;
	pair_up(&p, 2);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	setup(p.a, 1, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_self, 0);
	assert_int_equal(idd_dma_start(p.a), 0);
	wait_reachable(p.a, 1, win);
	t_pattern(loc, sz, 9);
	for (int i = 0; i < 200; i++)
		assert_true(idd_dma_copy(p.a, 0, T_IOVA(loc), T_IOVA(win + (size_t)(i % 4) * sz),
					 (uint32_t)sz, 0) >= 0);
	assert_int_equal(idd_dma_submit(p.a, 0), 0);
	/* Inline: all done in submit. Thread: the worker is at it now. */
	assert_int_equal(idd_dma_access_pair_group_leave(p.b, p.gid), 0);
	assert_int_equal(t_wait_status(p.a, 0, 200, NULL, st), 200);
	for (int i = 0; i < 200; i++) {
		if (st[i] == IDD_DMA_STATUS_SUCCESSFUL)
			ok++;
		else if (st[i] == IDD_DMA_STATUS_INVALID_DST_ADDR)
			bad++;
	}
	assert_int_equal(ok + bad, 200);
	/* After the leave, copies fail at once. */
	assert_true(idd_dma_copy(p.a, 0, T_IOVA(loc), T_IOVA(win), 64, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(wait1(p.a, 0), IDD_DMA_STATUS_INVALID_DST_ADDR);
	assert_int_equal(idd_dma_stats_ext_get(p.a, 0, &s), 0);
	assert_int_equal(s.bytes, (uint64_t)ok * sz);
	assert_int_equal(s.errors, bad + 1);
	print_message("leave during 200 x 1 MiB (%s): %u before, %u failed\n", t_engine, ok, bad);
	pair_down(&p);
	t_free(loc, sz);
	assert_int_equal(idd_mem_free(win), 0);
}

/* The thread engine hands a peer vchan's large copies over one by one, as
 * the local loop does (test_sw_thread): while the worker is held inside
 * the second copy (its local source blocks, userfaultfd), the first one,
 * into the peer's window, is already reported complete. */
static void
test_early_completions(void **state)
{
	const size_t sz = 1 << 20;
	uint8_t *win = idd_mem_alloc(2 * sz, IDD_MEM_PEER_RW);
	uint8_t *loc = t_alloc(sz), *later = t_alloc(sz);
	struct t_stall stall;
	uint16_t last = 0;
	bool has_error = true;
	struct pair p;
	int ret;

	(void)state;
	assert_non_null(win);
	ret = t_is_thread() ? t_stall_open(&stall, sz) : -ENOTSUP;
	if (ret != 0) {
		print_message("%s: skipped\n", ret == -ENOTSUP ? "the inline engine copies in submit"
								 : "userfaultfd not available");
		t_free(loc, sz);
		t_free(later, sz);
		assert_int_equal(idd_mem_free(win), 0);
		skip();
	}
	pair_up(&p, 2);
	setup(p.a, 0, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_self, p.ha_b, 0);
	setup(p.a, 1, IDD_DMA_INTER_PROCESS_DOMAIN, p.ha_b, p.ha_self, 0);
	assert_int_equal(idd_dma_start(p.a), 0);
	wait_reachable(p.a, 1, win);
	t_pattern(loc, sz, 81);
	t_pattern(later, sz, 82);
	assert_int_equal(idd_dma_copy(p.a, 0, T_IOVA(loc), T_IOVA(win), (uint32_t)sz, 0), 0);
	assert_int_equal(idd_dma_copy(p.a, 0, T_IOVA(stall.addr), T_IOVA(win + sz), (uint32_t)sz,
				      0),
			 1);
	assert_int_equal(idd_dma_submit(p.a, 0), 0);
	assert_true(t_stall_wait(&stall) != 0);
	assert_int_equal(idd_dma_completed(p.a, 0, 4, &last, &has_error), 1);
	assert_int_equal(last, 0);
	assert_false(has_error);
	t_assert_same(win, loc, sz, "first copy, reported while the worker is stuck");
	t_stall_release(&stall, later);
	assert_int_equal(t_wait_completed(p.a, 0, 1, &last, NULL), 1);
	assert_int_equal(last, 1);
	t_assert_same(win + sz, later, sz, "second copy");
	pair_down(&p);
	t_stall_close(&stall);
	t_free(loc, sz);
	t_free(later, sz);
	assert_int_equal(idd_mem_free(win), 0);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/idd-sw-domain-XXXXXX", dir[64], ns[32];
	struct dirent *e;
	DIR *d;
	int ret;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_ops_mode),
		cmocka_unit_test(test_handlers),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_leave_during_burst),
		cmocka_unit_test(test_early_completions),
	};

	t_parse_engine(argc, argv);
	/* Our own runtime directory and namespace: nobody else's groups. */
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/run", tmpl);
	snprintf(ns, sizeof(ns), "swdom%d", (int)getpid());
	setenv("IDD_RUNTIME_DIR", dir, 1);
	setenv("IDD_NAMESPACE", ns, 1);
	unsetenv("IDD_ABSTRACT_SOCKETS");
	idd_log_set_level(IDD_LOG_ERR);
	ret = cmocka_run_group_tests_name("sw inter-process vchans", tests, NULL, NULL);
	/* Leave nothing in /tmp: namespace lock files, then the directories. */
	d = opendir(dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
	rmdir(tmpl);
	return ret;
}
