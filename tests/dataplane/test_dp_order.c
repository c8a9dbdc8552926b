/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A member's announcements reach every peer in the order it made them;
 * public API only, once per engine (argv[1]: inline or thread).
 *
 * The application's view: "allocate a window, publish a buffer in it; a
 * peer looks the buffer up and copies at once" must always work, although
 * the window was made after the joins and travels to the peers on its own
 * (through the creator when the publisher is a joiner). Each round a
 * member makes a new window (a registered page, or a large block that is
 * a window of its own and may reuse the address of the one freed the
 * round before), publishes a buffer in it, and the two others, already
 * waiting in a lookup, copy out of it and into it the moment the lookup
 * answers. Every copy must succeed, every byte must be where it belongs.
 * Then the buffer is withdrawn and the window freed, so the next round's
 * window may take the same address: its removal must arrive before it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dp_test.h"

static const char *engine = "inline";

#define MIB (1024ull * 1024)
#define BUF 4096ull
#define HALF (BUF / 2)

enum { N = 3, ROUNDS = 150 };

/* Vchans of member @m towards member @o: 2k reads @o's memory, 2k+1
 * writes it, k being @o's rank among the others. */
static int
vchan_of(int m, int o, bool write)
{
	int k = (o - m + N) % N - 1;

	return 2 * k + (write ? 1 : 0);
}

static void
test_publish_then_copy_at_once(void **state)
{
	struct dp_proc m[N];
	unsigned long long gid, h[N][N], rd[N], wr[N], uses[N][2 * (N - 1)] = {{0}};

	(void)state;
	dp_new_ns();
	dp_self_init(&m[0]);
	for (int i = 1; i < N; i++)
		dp_spawn(&m[i]);
	for (int i = 0; i < N; i++) {
		DP_OK(&m[i], "dev %s %d", engine, 2 * (N - 1));
		/* Private memory on the caller's side: no window needed. */
		DP_OK(&m[i], "alloc %llu 0", BUF);
		rd[i] = m[i].val[0];
		DP_OK(&m[i], "alloc %llu 0", BUF);
		wr[i] = m[i].val[0];
		DP_OK(&m[i], "fill %llu %llu %d", wr[i], HALF, 800 + i);
	}
	gid = dp_group_form(m, N, 88);
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			DP_OK(&m[i], "handler %llu %s", gid, dp_hex(1 + j));
			h[i][j] = m[i].val[0];
		}
		for (int o = 0; o < N; o++) {
			if (o == i)
				continue;
			DP_OK(&m[i], "vsetup %d %d %llu %llu", vchan_of(i, o, false), DP_INTER,
			      h[i][o], h[i][i]);
			DP_OK(&m[i], "vsetup %d %d %llu %llu", vchan_of(i, o, true), DP_INTER,
			      h[i][i], h[i][o]);
		}
		DP_OK(&m[i], "start");
	}

	for (int r = 0; r < ROUNDS; r++) {
		/* Every member publishes, reads and writes in turn. */
		int p = r % N, swap = (r / (2 * N)) % 2;
		int rdr = (p + 1 + swap) % N, wtr = (p + 2 - swap) % N;
		bool registered = (r / N) % 2 == 0;
		unsigned long long win, seed = 7000 + (unsigned long long)r;
		char name[32];

		snprintf(name, sizeof(name), "order-%d", r);
		/* The peers wait for the name before it exists (this process
		 * runs its command when asked for the answer, after the
		 * publish: a lookup that finds the entry at once). */
		dp_send(&m[rdr], "lookcopy %d %llu %s 10000 %llu 0 %llu 0", vchan_of(rdr, p, false),
			gid, name, rd[rdr], HALF);
		dp_send(&m[wtr], "lookcopy %d %llu %s 10000 %llu %llu %llu 1",
			vchan_of(wtr, p, true), gid, name, wr[wtr], HALF, HALF);
		if (registered) {
			DP_OK(&m[p], "regwin 2 1 3");
			win = m[p].val[1];
		} else {
			DP_OK(&m[p], "alloc %llu 3", 9 * MIB);
			win = m[p].val[0];
		}
		DP_OK(&m[p], "fill %llu %llu %llu", win, BUF, seed);
		DP_OK(&m[p], "publish %llu %s %llu %llu", gid, name, win, BUF);

		if (dp_wait(&m[rdr]) != 0 || (int)m[rdr].val[0] != IDD_DMA_STATUS_SUCCESSFUL)
			fail_msg("round %d: member %d reading member %d's new window: '%s'", r, rdr,
				 p, m[rdr].last);
		if (dp_wait(&m[wtr]) != 0 || (int)m[wtr].val[0] != IDD_DMA_STATUS_SUCCESSFUL)
			fail_msg("round %d: member %d writing member %d's new window: '%s'", r, wtr,
				 p, m[wtr].last);
		uses[rdr][vchan_of(rdr, p, false)]++;
		uses[wtr][vchan_of(wtr, p, true)]++;
		assert_int_equal(m[rdr].val[1], win);
		assert_int_equal(m[rdr].val[2], h[rdr][p]);
		assert_int_equal(m[wtr].val[2], h[wtr][p]);
		DP_OK(&m[rdr], "check %llu %llu %llu", rd[rdr], HALF, seed);
		DP_OK(&m[p], "check %llu %llu %llu", win, HALF, seed);
		DP_OK(&m[p], "check %llu %llu %d", win + HALF, HALF, 800 + wtr);

		DP_OK(&m[p], "unpublish %llu %s", gid, name);
		if (registered)
			DP_OK(&m[p], "unreg %llu", win);
		else
			DP_OK(&m[p], "free %llu", win);
	}
	/* Not one error anywhere, and every vchan was used. */
	for (int i = 0; i < N; i++) {
		for (int v = 0; v < 2 * (N - 1); v++) {
			DP_OK(&m[i], "stats %d", v);
			assert_true(uses[i][v] > 0);
			assert_int_equal(m[i].val[1], uses[i][v]);
			assert_int_equal(m[i].val[2], 0);
			assert_int_equal(m[i].val[3], uses[i][v] * HALF);
		}
	}
	dp_group_end(m, N, gid);
}

int
main(int argc, char **argv)
{
	int ret = dp_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_then_copy_at_once),
	};
	char name[64];

	if (ret >= 0)
		return ret;
	if (argc > 1)
		engine = argv[1];
	snprintf(name, sizeof(name), "dataplane, announcement order (%s engine)", engine);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
