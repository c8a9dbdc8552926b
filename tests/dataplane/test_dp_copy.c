/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inter-process copies through sw vchans, between real processes, public
 * API only; run once per engine (argv[1]: inline or thread). The test
 * process creates the group (P); agents A and B join. Every byte is checked
 * by the process that owns it, with a guard byte on each side of remote
 * destinations.
 *
 *   directions: local->remote, remote->local, remote->remote (third party),
 *               local->local with the inter-process type; 1 B .. 64 MiB
 *   copy_sg:    entries in several windows, each side, every direction
 *   fill:       into a peer's window
 *   refusals:   read-only window as destination, write-only as source,
 *               past a window's end (the next byte untouched), no window
 *   fences:     a failure in a burst, NOT_ATTEMPTED after a fence, the
 *               channel carries on
 *   departure:  leave is a fence: copies in flight complete exactly once,
 *               none touches the departed window after leave returned,
 *               whoever made them (creator or another joiner); destroy
 *               too
 *   handlers:   refused at setup when not present; released on re-setup
 *   stats, dump
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <idd/idd_mem.h>

#include "dp_test.h"

static const char *engine = "inline";

#define MIB (1024ull * 1024)
#define BIG (64 * MIB)

enum { V_L2R, V_R2L, V_R2R, V_L2L, NB_V };

struct trio {
	struct dp_proc p, a, b;
	unsigned long long gid, hp, ha, hb;
};

/* P creates a group, A and B join (with @a_windows/@b_windows already
 * allocated, so that they arrive with the joins), P looks the handlers up
 * and sets up @nb_vchans vchans: P->A, A->P, A->B, P->P, inter-process. */
static void
trio_up(struct trio *t, unsigned int nb_vchans)
{
	dp_new_ns();
	dp_self_init(&t->p);
	dp_spawn(&t->a);
	dp_spawn(&t->b);
	DP_OK(&t->p, "dev %s %u", engine, nb_vchans);
	DP_OK(&t->a, "dev %s 2", engine);
	DP_OK(&t->b, "dev %s 2", engine);
	DP_OK(&t->p, "create %s %s", dp_hex(1), dp_hex(77));
	t->gid = t->p.val[0];
}

static void
trio_join(struct trio *t, unsigned int nb_vchans)
{
	DP_OK(&t->a, "join %llu %s %s", t->gid, dp_hex(2), dp_hex(77));
	DP_OK(&t->b, "join %llu %s %s", t->gid, dp_hex(3), dp_hex(77));
	DP_OK(&t->p, "handler %llu %s", t->gid, dp_hex(1));
	t->hp = t->p.val[0];
	DP_OK(&t->p, "handler %llu %s", t->gid, dp_hex(2));
	t->ha = t->p.val[0];
	DP_OK(&t->p, "handler %llu %s", t->gid, dp_hex(3));
	t->hb = t->p.val[0];
	if (nb_vchans > V_L2R)
		DP_OK(&t->p, "vsetup %d %d %llu %llu", V_L2R, DP_INTER, t->hp, t->ha);
	if (nb_vchans > V_R2L)
		DP_OK(&t->p, "vsetup %d %d %llu %llu", V_R2L, DP_INTER, t->ha, t->hp);
	if (nb_vchans > V_R2R)
		DP_OK(&t->p, "vsetup %d %d %llu %llu", V_R2R, DP_INTER, t->ha, t->hb);
	if (nb_vchans > V_L2L)
		DP_OK(&t->p, "vsetup %d %d %llu %llu", V_L2L, DP_INTER, t->hp, t->hp);
	for (unsigned int v = NB_V; v < nb_vchans; v++)
		DP_OK(&t->p, "vsetup %u 0 0 0", v);
	DP_OK(&t->p, "start");
}

static void
trio_down(struct trio *t)
{
	DP_OK(&t->a, "leave %llu", t->gid);
	DP_OK(&t->b, "leave %llu", t->gid);
	DP_OK(&t->p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(2));
	DP_OK(&t->p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(3));
	DP_OK(&t->p, "destroy %llu", t->gid);
	assert_int_equal(dp_exit(&t->a), 0);
	assert_int_equal(dp_exit(&t->b), 0);
	assert_int_equal(dp_exit(&t->p), 0);
}

/* Guard bytes on both sides of a remote destination range. */
static void
guard_set(struct dp_proc *owner, unsigned long long addr, unsigned long long len)
{
	DP_OK(owner, "set %llu 1 238", addr - 1);
	DP_OK(owner, "set %llu 1 238", addr + len);
}

static void
guard_check(struct dp_proc *owner, unsigned long long addr, unsigned long long len)
{
	DP_OK(owner, "checkbyte %llu 1 238", addr - 1);
	DP_OK(owner, "checkbyte %llu 1 238", addr + len);
}

/* All three inter-domain directions plus local->local, sizes 1 B..64 MiB,
 * at odd offsets; bytes counted per vchan. */
static void
test_directions_and_sizes(void **state)
{
	static const unsigned long long sizes[] = {1, 3, 63, 64, 65, 4096, 65537, MIB + 13, BIG};
	unsigned long long aw, bw, l1, l2, bytes = 0;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	DP_OK(&t.a, "alloc %llu 3", BIG + 4096);
	aw = t.a.val[0];
	DP_OK(&t.b, "alloc %llu 3", BIG + 4096);
	bw = t.b.val[0];
	/* P's side is private memory: the caller's own addresses need no
	 * window. */
	DP_OK(&t.p, "alloc %llu 0", BIG + 4096);
	l1 = t.p.val[0];
	DP_OK(&t.p, "alloc %llu 0", BIG + 4096);
	l2 = t.p.val[0];
	trio_join(&t, NB_V);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long long n = sizes[i], o1 = 1 + i % 7, o2 = 9 + i, o3 = 1 + (i * 5) % 11;
		unsigned long long seed = 1000 + i;

		/* local -> remote */
		DP_OK(&t.p, "fill %llu %llu %llu", l1 + o1, n, seed);
		guard_set(&t.a, aw + o2, n);
		DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu %llu", V_L2R, l1 + o1,
			  aw + o2, n);
		DP_OK(&t.a, "check %llu %llu %llu", aw + o2, n, seed);
		guard_check(&t.a, aw + o2, n);

		/* remote -> local */
		DP_OK(&t.a, "fill %llu %llu %llu", aw + o3, n, seed + 500);
		DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu %llu", V_R2L, aw + o3,
			  l2 + o1, n);
		DP_OK(&t.p, "check %llu %llu %llu", l2 + o1, n, seed + 500);

		/* remote -> remote: neither side is the caller */
		guard_set(&t.b, bw + o2, n);
		DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu %llu", V_R2R, aw + o3,
			  bw + o2, n);
		DP_OK(&t.b, "check %llu %llu %llu", bw + o2, n, seed + 500);
		guard_check(&t.b, bw + o2, n);

		/* local -> local, with the inter-process type set */
		DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu %llu", V_L2L, l2 + o1,
			  l1 + o3, n);
		DP_OK(&t.p, "check %llu %llu %llu", l1 + o3, n, seed + 500);
		bytes += n;
	}
	for (int v = 0; v < NB_V; v++) {
		DP_OK(&t.p, "stats %d", v);
		assert_int_equal(t.p.val[0], sizeof(sizes) / sizeof(sizes[0]));
		assert_int_equal(t.p.val[1], sizeof(sizes) / sizeof(sizes[0]));
		assert_int_equal(t.p.val[2], 0);
		assert_int_equal(t.p.val[3], bytes);
	}
	trio_down(&t);
}

/* copy_sg with entries spread over several windows on either side. */
static void
test_scatter_gather(void **state)
{
	unsigned long long a1, a2, b1, b2, ro, l, a1_end, a2_end, b1_end;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	/* 8 MiB and more: a segment, hence a window, of its own each. */
	DP_OK(&t.a, "alloc %llu 3", 8 * MIB);
	a1 = t.a.val[0];
	DP_OK(&t.a, "alloc %llu 3", 9 * MIB);
	a2 = t.a.val[0];
	DP_OK(&t.a, "alloc %llu 1", 8 * MIB);
	ro = t.a.val[0];
	DP_OK(&t.b, "alloc %llu 3", 8 * MIB);
	b1 = t.b.val[0];
	DP_OK(&t.b, "alloc %llu 3", 10 * MIB);
	b2 = t.b.val[0];
	DP_OK(&t.p, "alloc %llu 0", MIB);
	l = t.p.val[0];
	DP_OK(&t.a, "wininfo %llu", a1);
	a1_end = t.a.val[0] + t.a.val[1];
	DP_OK(&t.a, "wininfo %llu", a2);
	a2_end = t.a.val[0] + t.a.val[1];
	DP_OK(&t.b, "wininfo %llu", b1);
	b1_end = t.b.val[0] + t.b.val[1];
	trio_join(&t, NB_V);

	/* local -> remote: three local entries, two windows of A. */
	DP_OK(&t.p, "fill %llu 4096 41", l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "sg %d 3 %llu 1000 %llu 3000 %llu 96 2 %llu 2000 %llu 2096",
		  V_L2R, l, l + 1000, l + 4000, a1 + 100, a2 + 7);
	DP_OK(&t.a, "check %llu 2000 41 0", a1 + 100);
	DP_OK(&t.a, "check %llu 2096 41 2000", a2 + 7);

	/* remote -> local: entries alternating between A's two windows. */
	DP_OK(&t.a, "fill %llu 1000 42 0", a1 + 5000);
	DP_OK(&t.a, "fill %llu 1000 42 1000", a2 + 3);
	DP_OK(&t.a, "fill %llu 1000 42 2000", a1 + 9999);
	DP_OK(&t.a, "fill %llu 1000 42 3000", a2 + 70000);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL,
		  "sg %d 4 %llu 1000 %llu 1000 %llu 1000 %llu 1000 1 %llu 4000", V_R2L, a1 + 5000,
		  a2 + 3, a1 + 9999, a2 + 70000, l + 100000);
	DP_OK(&t.p, "check %llu 4000 42", l + 100000);

	/* remote -> remote: A's two windows to B's two windows, with the
	 * entry boundaries of the two lists at different places. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL,
		  "sg %d 4 %llu 1000 %llu 1000 %llu 1000 %llu 1000 3 %llu 1500 %llu 1 %llu 2499",
		  V_R2R, a1 + 5000, a2 + 3, a1 + 9999, a2 + 70000, b2 + 64, b1_end - 1, b1 + 11);
	DP_OK(&t.b, "check %llu 1500 42 0", b2 + 64);
	DP_OK(&t.b, "check %llu 1 42 1500", b1_end - 1);
	DP_OK(&t.b, "check %llu 2499 42 1501", b1 + 11);

	/* The most entries on each side (16), alternating windows. */
	{
		char cmd[1500];
		size_t n = 0;

		DP_OK(&t.p, "fill %llu 16000 43", l);
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "sg %d 16", V_L2R);
		for (int i = 0; i < 16; i++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %llu 1000", l + 1000ull * i);
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " 16");
		for (int i = 0; i < 16; i++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %llu 1000",
					      (i % 2 ? a2 : a1) + 200000 + 1000ull * i);
		DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "%s", cmd);
		for (int i = 0; i < 16; i++)
			DP_OK(&t.a, "check %llu 1000 43 %d", (i % 2 ? a2 : a1) + 200000 + 1000ull * i,
			      1000 * i);
	}

	/* Refusals: an entry past A's window, an entry in a read-only window as
	 * destination, totals that differ. The channel carries on. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "sg %d 1 %llu 200 2 %llu 100 %llu 100",
		  V_L2R, l, a1, a1_end - 50);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "sg %d 1 %llu 200 2 %llu 100 %llu 100",
		  V_L2R, l, a1, ro);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "sg %d 2 %llu 100 %llu 100 1 %llu 200",
		  V_R2L, ro, a2_end - 99, l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_LENGTH, "sg %d 1 %llu 200 1 %llu 100", V_L2R, l,
		  a1);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "sg %d 2 %llu 100 %llu 100 1 %llu 200", V_R2L,
		  ro, a2, l);
	trio_down(&t);
}

/* Fill into a peer's window, from the caller and as a third party;
 * refused into a read-only one or outside the windows. */
static void
test_fill(void **state)
{
	unsigned long long aw, ro, bw;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	DP_OK(&t.a, "alloc %llu 3", 2 * MIB);
	aw = t.a.val[0];
	DP_OK(&t.a, "alloc %llu 1", 9 * MIB);
	ro = t.a.val[0];
	DP_OK(&t.a, "set %llu 64 0", ro);
	DP_OK(&t.b, "alloc %llu 3", 2 * MIB);
	bw = t.b.val[0];
	trio_join(&t, NB_V);

	/* Remote to remote: the destination is B's, the caller is P. */
	guard_set(&t.b, bw + 5, 3000);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "fillop %d 0x0102030405060708 %llu 3000", V_R2R,
		  bw + 5);
	DP_OK(&t.b, "checkpat %llu 3000 0x0102030405060708", bw + 5);
	guard_check(&t.b, bw + 5, 3000);
	/* Outside B's windows. (Not A's address: without ASLR, as under
	 * ThreadSanitizer, A's and B's windows may lie at the same place.) */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "fillop %d 0x1111111111111111 %llu 64",
		  V_R2R, 4096ull);

	guard_set(&t.a, aw + 3, 1001);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "fillop %d 0x0807060504030201 %llu 1001", V_L2R,
		  aw + 3);
	DP_OK(&t.a, "checkpat %llu 1001 0x0807060504030201", aw + 3);
	guard_check(&t.a, aw + 3, 1001);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "fillop %d 0x5555555555555555 %llu %llu", V_L2R,
		  aw + 4096, MIB);
	DP_OK(&t.a, "checkbyte %llu %llu 85", aw + 4096, MIB);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "fillop %d 0x1111111111111111 %llu 64",
		  V_L2R, ro);
	DP_OK(&t.a, "checkbyte %llu 64 0", ro);
	trio_down(&t);
}

/* Permissions and bounds. */
static void
test_refusals(void **state)
{
	unsigned long long ro, wo, map, win, l;
	const unsigned long long page = 4096;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	DP_OK(&t.a, "alloc %llu 1", 9 * MIB); /* read-only for peers */
	ro = t.a.val[0];
	DP_OK(&t.a, "alloc %llu 2", 9 * MIB); /* write-only for peers */
	wo = t.a.val[0];
	/* Three pages of one memfd mapping; only the middle one is a window. */
	DP_OK(&t.a, "regwin 3 1 3");
	map = t.a.val[0];
	win = t.a.val[1];
	DP_OK(&t.a, "fill %llu 4096 5", ro);
	DP_OK(&t.a, "set %llu %llu 119", map, 3 * page);
	DP_OK(&t.p, "alloc 65536 0");
	l = t.p.val[0];
	DP_OK(&t.p, "fill %llu 65536 6", l);
	trio_join(&t, NB_V);

	/* A copy into a read-only window is refused, nothing written; reading
	 * it is fine. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 100", V_L2R, l, ro);
	DP_OK(&t.a, "check %llu 4096 5", ro);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu 4096", V_R2L, ro, l);
	DP_OK(&t.p, "check %llu 4096 5", l);
	/* A write-only window is no source; it is a destination. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 100", V_R2L, wo, l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 100", V_R2R, wo, wo);
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu 100", V_L2R, l, wo);

	/* Past the window's end, by one byte or by many: refused, and the
	 * next byte (same file, outside the window) is untouched. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 16", V_L2R, l,
		  win + page - 8);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 4097", V_L2R, l, win);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 1", V_L2R, l,
		  win + page);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 2", V_L2R, l, win - 1);
	DP_OK(&t.a, "checkbyte %llu %llu 119", map, 3 * page);
	/* Up to the last byte exactly: fine, and still nothing beyond. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_SUCCESSFUL, "copy %d %llu %llu 16", V_L2R, l + 32768,
		  win + page - 16);
	DP_OK(&t.a, "check %llu 16 6 32768", win + page - 16);
	DP_OK(&t.a, "checkbyte %llu 1 119", win + page);
	DP_OK(&t.a, "checkbyte %llu %llu 119", win + page, page);
	DP_OK(&t.a, "checkbyte %llu %llu 119", map, page);
	/* Reading past the end, or where A has no window at all. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 16", V_R2L,
		  win + page - 8, l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 16", V_R2L, map, l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 16", V_R2L, 4096ull, l);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 16", V_R2R, win,
		  0xfffffffffff0ull);
	/* Address ranges that wrap around. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 32", V_L2R, l,
		  0xfffffffffffffff0ull);
	/* The caller's own side: a NULL pointer, or a range that wraps, fails
	 * with a status instead of faulting. */
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 16", V_L2R, 0ull, win);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_SRC_ADDR, "copy %d %llu %llu 32", V_L2R,
		  0xfffffffffffffff0ull, win);
	DP_STATUS(&t.p, IDD_DMA_STATUS_INVALID_DST_ADDR, "copy %d %llu %llu 16", V_R2L, ro, 8ull);
	DP_OK(&t.a, "checkbyte %llu %llu 119", win, page - 16);
	DP_OK(&t.p, "stats %d", V_L2R);
	assert_int_equal(t.p.val[2], 8); /* errors */
	trio_down(&t);
}

/* The fence rule holds across address errors, and the channel carries on. */
static void
test_fences(void **state)
{
	unsigned long long aw, l;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	DP_OK(&t.a, "alloc 65536 3");
	aw = t.a.val[0];
	DP_OK(&t.p, "alloc 65536 0");
	l = t.p.val[0];
	DP_OK(&t.p, "fill %llu 65536 8", l);
	trio_join(&t, NB_V);

	/* ok, bad address, ok (no fence: attempted), fenced (not attempted),
	 * ok after it (rest of the burst: not attempted). */
	DP_OK(&t.p, "seq %d 5 %llu %llu 64 0 %llu %llu 64 0 %llu %llu 64 0 %llu %llu 64 1 %llu %llu 64 0",
	      V_L2R, l, aw, l, 8ull, l + 64, aw + 64, l + 128, aw + 128, l + 192, aw + 192);
	assert_int_equal(t.p.val[0], IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(t.p.val[1], IDD_DMA_STATUS_INVALID_DST_ADDR);
	assert_int_equal(t.p.val[2], IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(t.p.val[3], IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(t.p.val[4], IDD_DMA_STATUS_NOT_ATTEMPTED);
	DP_OK(&t.a, "check %llu 64 8 0", aw);
	DP_OK(&t.a, "check %llu 64 8 64", aw + 64);
	/* The next burst starts afresh, fenced first operation included. */
	DP_OK(&t.p, "seq %d 2 %llu %llu 64 1 %llu %llu 64 0", V_L2R, l + 128, aw + 128, l + 192,
	      aw + 192);
	assert_int_equal(t.p.val[0], IDD_DMA_STATUS_SUCCESSFUL);
	assert_int_equal(t.p.val[1], IDD_DMA_STATUS_SUCCESSFUL);
	DP_OK(&t.a, "check %llu 256 8 0", aw);
	/* A source error on the remote-to-local channel, then a fence. */
	DP_OK(&t.p, "seq %d 3 %llu %llu 64 0 %llu %llu 64 1 %llu %llu 64 0", V_R2L, 64ull, l,
	      aw, l, aw, l + 64);
	assert_int_equal(t.p.val[0], IDD_DMA_STATUS_INVALID_SRC_ADDR);
	assert_int_equal(t.p.val[1], IDD_DMA_STATUS_NOT_ATTEMPTED);
	assert_int_equal(t.p.val[2], IDD_DMA_STATUS_NOT_ATTEMPTED);
	DP_OK(&t.p, "stats %d", V_L2R);
	assert_int_equal(t.p.val[0], 7);
	assert_int_equal(t.p.val[1], 7);
	assert_int_equal(t.p.val[2], 3);
	assert_int_equal(t.p.val[3], 4 * 64);
	trio_down(&t);
}

/* Leave is a fence: a joiner floods copies into the creator's window and
 * leaves at once. Every copy completes exactly once (succeeded before the
 * leave, or failed), and once leave has returned nothing touches the
 * creator's window: it stays as the creator sets it afterwards. */
static void
test_leave_is_a_fence(void **state)
{
	struct dp_proc p, a;
	unsigned long long gid, pw, asrc, hp, ha, ok, err;
	const unsigned int n = 1000;

	(void)state;
	dp_new_ns();
	dp_self_init(&p);
	dp_spawn(&a);
	DP_OK(&p, "dev %s 1", engine);
	DP_OK(&a, "dev %s 1", engine);
	DP_OK(&p, "alloc %llu 3", 2 * MIB);
	pw = p.val[0];
	DP_OK(&a, "alloc %llu 0", 2 * MIB);
	asrc = a.val[0];
	DP_OK(&a, "fill %llu %llu 9", asrc, 2 * MIB);
	DP_OK(&p, "create %s %s", dp_hex(1), dp_hex(66));
	gid = p.val[0];
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(66));
	DP_OK(&a, "handler %llu %s", gid, dp_hex(1));
	hp = a.val[0];
	DP_OK(&a, "handler %llu %s", gid, dp_hex(2));
	ha = a.val[0];
	DP_OK(&a, "vsetup 0 %d %llu %llu", DP_INTER, ha, hp);
	DP_OK(&a, "start");
	/* P's window was there before A joined: A has it since its join. */
	DP_OK(&a, "floodleave 0 %llu %llu %llu %u %llu", asrc, pw, MIB, n, gid);
	ok = a.val[0];
	err = a.val[1];
	assert_int_equal(a.val[2], 0);
	assert_int_equal(ok + err, n);
	/* After leave returned: nothing of A's may land here any more. */
	DP_OK(&p, "set %llu %llu 0", pw, 2 * MIB);
	usleep(100 * 1000);
	DP_OK(&p, "checkbyte %llu %llu 0", pw, 2 * MIB);
	DP_OK(&a, "stats 0");
	assert_int_equal(a.val[0], n);
	assert_int_equal(a.val[1], n);
	assert_int_equal(a.val[2], err);
	assert_int_equal(a.val[3], ok * MIB);
	print_message("leave during %u copies of 1 MiB (%s engine): %llu done before, %llu failed\n",
		      n, engine, ok, err);
	/* The departed handler: refused for a new setup. */
	DP_EXPECT(&a, -EINVAL, "vsetup 0 %d %llu %llu", DP_INTER, ha, hp);
	DP_OK(&p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(2));
	DP_OK(&p, "destroy %llu", gid);
	assert_int_equal(dp_exit(&a), 0);
	assert_int_equal(dp_exit(&p), 0);
}

/* Leave is a fence for every member, not only for the leaver and the
 * creator: P (the creator) and B (another joiner, a third party to the
 * creator's bookkeeping) both flood copies into A's window; A leaves
 * meanwhile. Once A's leave has returned, nothing of either may land in
 * A's memory any more, and each copier accounts for every copy once. */
static void
test_leave_fences_every_member(void **state)
{
	unsigned long long aw, pl, bl, hb_a, hb_b;
	const unsigned int n = 600;
	struct trio t;

	(void)state;
	trio_up(&t, NB_V);
	DP_OK(&t.a, "alloc %llu 3", 2 * MIB);
	aw = t.a.val[0];
	DP_OK(&t.p, "alloc %llu 0", MIB);
	pl = t.p.val[0];
	DP_OK(&t.p, "fill %llu %llu 61", pl, MIB);
	DP_OK(&t.b, "alloc %llu 0", MIB);
	bl = t.b.val[0];
	DP_OK(&t.b, "fill %llu %llu 62", bl, MIB);
	trio_join(&t, NB_V);
	DP_OK(&t.b, "handler %llu %s", t.gid, dp_hex(2));
	hb_a = t.b.val[0];
	DP_OK(&t.b, "handler %llu %s", t.gid, dp_hex(3));
	hb_b = t.b.val[0];
	DP_OK(&t.b, "vsetup 0 %d %llu %llu", DP_INTER, hb_b, hb_a);
	DP_OK(&t.b, "vsetup 1 0 0 0");
	DP_OK(&t.b, "start");
	/* A joined before B: B has A's window since its join. */
	DP_OK(&t.p, "flood %d %llu %llu %llu %u", V_L2R, pl, aw, MIB, n);
	DP_OK(&t.b, "flood 0 %llu %llu %llu %u", bl, aw + MIB, MIB, n);
	DP_OK(&t.a, "leave %llu", t.gid);
	/* After leave returned: A's memory is A's alone. */
	DP_OK(&t.a, "set %llu %llu 0", aw, 2 * MIB);
	usleep(200 * 1000);
	DP_OK(&t.a, "checkbyte %llu %llu 0", aw, 2 * MIB);
	DP_OK(&t.p, "collectn %d %u", V_L2R, n);
	assert_int_equal(t.p.val[0] + t.p.val[1], n);
	DP_OK(&t.b, "collectn 0 %u", n);
	assert_int_equal(t.b.val[0] + t.b.val[1], n);
	print_message("A left while P and B copied %u x 1 MiB each into it (%s engine): P %llu "
		      "done before, B %llu\n", n, engine, (unsigned long long)t.p.val[0],
		      (unsigned long long)t.b.val[0]);
	DP_OK(&t.p, "stats %d", V_L2R);
	assert_int_equal(t.p.val[0], n);
	assert_int_equal(t.p.val[1], n);
	DP_OK(&t.b, "stats 0");
	assert_int_equal(t.b.val[0], n);
	assert_int_equal(t.b.val[1], n);
	DP_OK(&t.b, "leave %llu", t.gid);
	DP_OK(&t.p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(2));
	DP_OK(&t.p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(3));
	DP_OK(&t.p, "destroy %llu", t.gid);
	assert_int_equal(dp_exit(&t.a), 0);
	assert_int_equal(dp_exit(&t.b), 0);
	assert_int_equal(dp_exit(&t.p), 0);
}

/* Destroy is a fence too. A closes its device, which leaves without
 * waiting for anyone, while the creator floods copies into A's window;
 * the creator destroys the group once it has heard A leave. When destroy
 * has returned, nothing lands in A's memory any more, and every copy was
 * reported once. */
static void
test_destroy_is_a_fence(void **state)
{
	struct dp_proc p, a;
	unsigned long long gid, aw, pl, hp, ha;
	const unsigned int n = 600;

	(void)state;
	dp_new_ns();
	dp_self_init(&p);
	dp_spawn(&a);
	DP_OK(&p, "dev %s 1", engine);
	DP_OK(&a, "dev %s 1", engine);
	DP_OK(&a, "alloc %llu 3", MIB);
	aw = a.val[0];
	DP_OK(&p, "alloc %llu 0", MIB);
	pl = p.val[0];
	DP_OK(&p, "fill %llu %llu 63", pl, MIB);
	DP_OK(&p, "create %s %s", dp_hex(1), dp_hex(67));
	gid = p.val[0];
	DP_OK(&a, "join %llu %s %s", gid, dp_hex(2), dp_hex(67));
	DP_OK(&p, "handler %llu %s", gid, dp_hex(1));
	hp = p.val[0];
	DP_OK(&p, "handler %llu %s", gid, dp_hex(2));
	ha = p.val[0];
	DP_OK(&p, "vsetup 0 %d %llu %llu", DP_INTER, hp, ha);
	DP_OK(&p, "start");
	DP_OK(&p, "waitwrite 0 %llu 5000", aw);
	DP_OK(&p, "flood 0 %llu %llu %llu %u", pl, aw, MIB, n);
	DP_OK(&a, "close");
	DP_OK(&p, "waitev %d %s 5000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(2));
	DP_OK(&p, "destroy %llu", gid);
	DP_OK(&a, "set %llu %llu 0", aw, MIB);
	usleep(200 * 1000);
	DP_OK(&a, "checkbyte %llu %llu 0", aw, MIB);
	DP_OK(&p, "collectn 0 %u", n);
	assert_int_equal(p.val[0] + p.val[1], n);
	DP_OK(&p, "stats 0");
	assert_int_equal(p.val[0], n + 1);
	assert_int_equal(p.val[1], n + 1);
	assert_int_equal(dp_exit(&a), 0);
	assert_int_equal(dp_exit(&p), 0);
}

/* Handlers at setup: present members only, of this device's groups; a
 * re-setup gives the old handler back (the departed member's handler then
 * stops being held). Dump names domains and handlers. */
static void
test_handlers_and_dump(void **state)
{
	char text[200];
	struct trio t;

	(void)state;
	trio_up(&t, NB_V + 1);
	trio_join(&t, NB_V + 1);
	/* Not handlers of this device. */
	DP_EXPECT(&t.p, -EINVAL, "vsetup 0 %d 0 %llu", DP_INTER, t.ha);
	DP_EXPECT(&t.p, -EINVAL, "vsetup 0 %d %llu 0", DP_INTER, t.hp);
	DP_EXPECT(&t.p, -EINVAL, "vsetup 0 %d %llu %llu", DP_INTER, t.hp, t.hb + 1000);
	DP_EXPECT(&t.p, -EINVAL, "vsetup 0 %d %u %llu", DP_INTER, 65535u, t.ha);
	/* A refused setup left vchan 0 as it was. */
	DP_OK(&t.p, "start");
	snprintf(text, sizeof(text), "vchan_0:");
	DP_OK(&t.p, "dumpcheck %s", text);
	snprintf(text, sizeof(text), "domain:_inter-process,_src_handler_%llu_(local),_dst_handler_%llu_(remote)",
		 t.hp, t.ha);
	DP_OK(&t.p, "dumpcheck %s", text);
	snprintf(text, sizeof(text), "domain:_inter-process,_src_handler_%llu_(remote),_dst_handler_%llu_(remote)",
		 t.ha, t.hb);
	DP_OK(&t.p, "dumpcheck %s", text);
	DP_OK(&t.p, "dumpcheck domain:_none");

	/* B leaves: its handler is no longer valid for a setup, dump says the
	 * vchan's side departed; copies through it fail. */
	DP_OK(&t.b, "leave %llu", t.gid);
	DP_OK(&t.p, "waitev %d %s 2000", IDD_DMA_GROUP_EVENT_MEMBER_LEFT, dp_hex(3));
	snprintf(text, sizeof(text), "dst_handler_%llu_(departed)", t.hb);
	DP_OK(&t.p, "dumpcheck %s", text);
	DP_EXPECT(&t.p, -EINVAL, "vsetup %d %d %llu %llu", V_R2R, DP_INTER, t.ha, t.hb);
	DP_OK(&t.p, "vsetup %d %d %llu %llu", V_R2R, DP_INTER, t.ha, t.hp);
	/* Joining anew gives B a new handler, never the old one. */
	DP_OK(&t.b, "join %llu %s %s", t.gid, dp_hex(3), dp_hex(77));
	DP_OK(&t.p, "handler %llu %s", t.gid, dp_hex(3));
	assert_true(t.p.val[0] != t.hb);
	t.hb = t.p.val[0];
	DP_OK(&t.p, "vsetup %d %d %llu %llu", V_R2R, DP_INTER, t.ha, t.hb);
	DP_OK(&t.p, "start");
	trio_down(&t);
}

int
main(int argc, char **argv)
{
	int ret = dp_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directions_and_sizes),
		cmocka_unit_test(test_scatter_gather),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fences),
		cmocka_unit_test(test_leave_is_a_fence),
		cmocka_unit_test(test_leave_fences_every_member),
		cmocka_unit_test(test_destroy_is_a_fence),
		cmocka_unit_test(test_handlers_and_dump),
	};
	char name[64];

	if (ret >= 0)
		return ret;
	if (argc > 1)
		engine = argv[1];
	snprintf(name, sizeof(name), "dataplane copies (%s engine)", engine);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
