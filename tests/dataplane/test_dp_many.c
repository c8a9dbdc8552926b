/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Many processes copying at once, public API only; run once per engine
 * (argv[1]: inline or thread).
 *
 *   three processes, each copying between the other two (remote to remote,
 *   a third party to both ends), all at the same time;
 *   eight processes copying all-to-all at the same time: each writes its
 *   pattern into its own slot of every other member's window, repeatedly,
 *   and each checks every slot of its window byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dp_test.h"

static const char *engine = "inline";

#define MIB (1024ull * 1024)

/* Three members P (this process, creator), A and B. Member i copies, with
 * a third-party vchan, member (i+1)'s source region into member (i+2)'s
 * destination region, which then holds (i+1)'s pattern. */
static void
test_three_remote_to_remote(void **state)
{
	enum { N = 3 };
	struct dp_proc m[N];
	unsigned long long gid, win[N], h[N][N];
	const unsigned long long region = MIB, chunk = 64 * 1024;

	(void)state;
	dp_new_ns();
	dp_self_init(&m[0]);
	for (int i = 1; i < N; i++)
		dp_spawn(&m[i]);
	for (int i = 0; i < N; i++) {
		DP_OK(&m[i], "dev %s 3", engine);
		/* [0, 1 MiB): source, own pattern; [1 MiB, 2 MiB): destination. */
		DP_OK(&m[i], "alloc %llu 3", 2 * region + 4096);
		win[i] = m[i].val[0];
		DP_OK(&m[i], "fill %llu %llu %d", win[i], region, 300 + i);
		DP_OK(&m[i], "set %llu %llu 0", win[i] + region, region);
	}
	gid = dp_group_form(m, N, 33);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			DP_OK(&m[i], "handler %llu %s", gid, dp_hex(1 + j));
			h[i][j] = m[i].val[0];
		}
	for (int i = 0; i < N; i++) {
		int s = (i + 1) % N, d = (i + 2) % N;

		DP_OK(&m[i], "vsetup 0 %d %llu %llu", DP_INTER, h[i][s], h[i][d]);
		/* Probe vchans: either end's window, read into our memory. */
		DP_OK(&m[i], "vsetup 1 %d %llu %llu", DP_INTER, h[i][d], h[i][i]);
		DP_OK(&m[i], "vsetup 2 %d %llu %llu", DP_INTER, h[i][s], h[i][i]);
		DP_OK(&m[i], "start");
	}
	/* Windows of later joiners reach earlier ones through the creator:
	 * wait until each copier can reach both of its ends. */
	for (int i = 0; i < N; i++) {
		DP_OK(&m[i], "waitread 1 %llu 5000", win[(i + 2) % N]);
		DP_OK(&m[i], "waitread 2 %llu 5000", win[(i + 1) % N]);
	}
	/* All at once: 16 chunks per burst, the whole region. */
	for (int i = N - 1; i >= 0; i--) {
		int s = (i + 1) % N, d = (i + 2) % N;

		dp_send(&m[i], "burst 0 %llu %llu %llu %llu %llu %llu", region / chunk, win[s], chunk,
			win[d] + region, chunk, chunk);
	}
	for (int i = 0; i < N; i++) {
		int code = dp_wait(&m[i]);

		if (code != 0 || m[i].val[0] != region / chunk)
			fail_msg("member %d: burst answered '%s'", i, m[i].last);
	}
	for (int i = 0; i < N; i++) {
		int s = (i + N - 1) % N; /* who wrote into i: member i-2's source is i-1 */

		DP_OK(&m[i], "check %llu %llu %d", win[i] + region, region, 300 + s);
		/* and its own source region is intact */
		DP_OK(&m[i], "check %llu %llu %d", win[i], region, 300 + i);
	}
	dp_group_end(m, N, gid);
}

/* Eight members, each writing its pattern into its slot of every other
 * member's window, ROUNDS times, all at once. */
static void
test_eight_all_to_all(void **state)
{
	enum { N = 8, ROUNDS = 20 };
	const unsigned long long slot = 64 * 1024;
	struct dp_proc m[N];
	unsigned long long gid, win[N], src[N], h[N][N];

	(void)state;
	dp_new_ns();
	dp_self_init(&m[0]);
	for (int i = 1; i < N; i++)
		dp_spawn(&m[i]);
	for (int i = 0; i < N; i++) {
		DP_OK(&m[i], "dev %s %d", engine, N);
		/* N slots and a spare byte per slot for the reachability probe. */
		DP_OK(&m[i], "alloc %llu 3", (N + 1) * slot);
		win[i] = m[i].val[0];
		DP_OK(&m[i], "set %llu %llu 0", win[i], N * slot);
		DP_OK(&m[i], "alloc %llu 0", slot);
		src[i] = m[i].val[0];
		DP_OK(&m[i], "fill %llu %llu %d", src[i], slot, 500 + i);
	}
	/* The joins come one after the other; the copying is what runs at once. */
	gid = dp_group_form(m, N, 44);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			DP_OK(&m[i], "handler %llu %s", gid, dp_hex(1 + j));
			h[i][j] = m[i].val[0];
		}
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++)
			DP_OK(&m[i], "vsetup %d %d %llu %llu", j, DP_INTER, h[i][i],
			      j == i ? h[i][i] : h[i][j]);
		DP_OK(&m[i], "start");
		for (int j = 0; j < N; j++)
			if (j != i)
				DP_OK(&m[i], "waitwrite %d %llu 5000", j, win[j] + N * slot + i);
	}
	for (int i = N - 1; i >= 0; i--) {
		char cmd[1024];
		size_t n = 0;

		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "multi %d %llu %llu %d", ROUNDS,
				      slot, src[i], N - 1);
		for (int j = 0; j < N; j++)
			if (j != i)
				n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " %d %llu", j,
						      win[j] + (unsigned long long)i * slot);
		dp_send(&m[i], "%s", cmd);
	}
	for (int i = 0; i < N; i++) {
		int code = dp_wait(&m[i]);

		if (code != 0 || m[i].val[0] != (unsigned long long)ROUNDS * (N - 1) ||
		    m[i].val[1] != 0)
			fail_msg("member %d: multi answered '%s'", i, m[i].last);
	}
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			if (j == i)
				DP_OK(&m[i], "checkbyte %llu %llu 0", win[i] + j * slot, slot);
			else
				DP_OK(&m[i], "check %llu %llu %d", win[i] + j * slot, slot, 500 + j);
		}
		/* Bytes: every copy of every round. */
		for (int j = 0; j < N; j++) {
			DP_OK(&m[i], "stats %d", j);
			assert_int_equal(m[i].val[3], j == i ? 0 : ROUNDS * slot + 1);
		}
	}
	dp_group_end(m, N, gid);
}

int
main(int argc, char **argv)
{
	int ret = dp_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_remote_to_remote),
		cmocka_unit_test(test_eight_all_to_all),
	};
	char name[64];

	if (ret >= 0)
		return ret;
	if (argc > 1)
		engine = argv[1];
	snprintf(name, sizeof(name), "dataplane, many processes (%s engine)", engine);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
