/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_ENV_H
#define IDD_TOOLS_PERF_ENV_H

/* What every case of one idd-perf run shares. */

#include "perf_case.h"
#include "perf_peers.h"

struct perf_env {
	/* The peer pool, started before the first case: as many peers as the
	 * most demanding case needs, each with a window as large as the
	 * largest any case needs. */
	struct perf_peer peers[PERF_MAX_PEERS];
	unsigned int nb_peers;
	unsigned char token[16];    /* of every group idd-perf creates */
	unsigned char self_dom[16]; /* idd-perf's own domain; peers derive theirs */
	int worker_cpu;             /* the thread engine's worker; -1: not pinned */
	unsigned int case_no, nb_cases; /* for the progress line */
};

#endif
