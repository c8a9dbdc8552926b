/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf: benchmarks of idd against the limits that matter (memcpy and
 * process_vm_writev in the same run). This file only picks the subcommand;
 * each subcommand parses its own options.
 *
 *   idd-perf [run|TYPE] [options]   cases (perf_run.c): all of them (the
 *                                   default), or one type's (copy, group...)
 *   idd-perf dma [options]          one device's data path, in rounds
 *   idd-perf mem [options]          shareable memory
 */

#include <stdio.h>
#include <string.h>

#include <idd/idd_common.h>

#include "perf.h"
#include "perf_case.h"
#include "perf_peers.h"

static int
run_all(int argc, char **argv)
{
	return perf_run_main(argc, argv, "run");
}

struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
	{"run", run_all},
	{"dma", perf_dma_main},
#ifndef IDD_PERF_NO_MEM
	{"mem", perf_mem_main},
#endif
};

#define NB_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], PERF_PEER_ARG) == 0)
		return perf_peer_main(argc == 3 ? argv[2] : NULL);
	if (argc >= 2) {
		const char *arg = argv[1];

		for (size_t i = 0; i < NB_SUBCOMMANDS; i++)
			if (strcmp(arg, subcommands[i].name) == 0)
				return subcommands[i].main(argc - 1, argv + 1);
		/* A case type's name (copy, group, ...): cases of that type. */
		if (perf_case_type_find(arg) != NULL)
			return perf_run_main(argc - 1, argv + 1, arg);
#ifdef IDD_PERF_NO_MEM
		if (strcmp(arg, "mem") == 0) {
			fprintf(stderr, "idd-perf: this build has no 'mem' benchmark\n");
			return 2;
		}
#endif
		if (arg[0] != '-') {
			fprintf(stderr, "idd-perf: unknown subcommand '%s' (try --help)\n", arg);
			return 2;
		}
	}
	/* No subcommand: every case, with every argument as an option. */
	return run_all(argc, argv);
}
