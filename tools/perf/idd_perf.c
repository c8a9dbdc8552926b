/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf: benchmarks of idd against the limits that matter (plain memcpy
 * in the same run). This file only picks the subcommand; each subcommand
 * parses its own options.
 *
 *   idd-perf [dma|mem] [options]     (no subcommand: dma)
 */

#include <stdio.h>
#include <string.h>

#include <idd/idd_common.h>

#include "perf.h"

struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"dma", perf_dma_main,
	 "copy rates and bandwidth of sw devices (inline and thread engine) next to memcpy"},
#ifndef IDD_PERF_NO_MEM
	{"mem", perf_mem_main, "shareable memory: allocation, registration, address translation"},
#endif
};

#define NB_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: idd-perf [SUBCOMMAND] [OPTIONS]\n"
		"\n"
		"Benchmarks of the idd library. Without a subcommand, runs 'dma'.\n"
		"\n"
		"Subcommands:\n");
	for (size_t i = 0; i < NB_SUBCOMMANDS; i++)
		fprintf(f, "  %-6s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -h, --help     this help; 'idd-perf SUBCOMMAND --help' for a subcommand's options\n"
		"  -V, --version  print the library version\n");
}

int
main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *arg = argv[1];

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			printf("idd-perf %s\n", idd_version());
			return 0;
		}
		for (size_t i = 0; i < NB_SUBCOMMANDS; i++)
			if (strcmp(arg, subcommands[i].name) == 0)
				return subcommands[i].main(argc - 1, argv + 1);
#ifdef IDD_PERF_NO_MEM
		if (strcmp(arg, "mem") == 0) {
			fprintf(stderr, "idd-perf: this build has no 'mem' benchmark\n");
			return 2;
		}
#endif
		if (arg[0] != '-') {
			fprintf(stderr, "idd-perf: unknown subcommand '%s'\n\n", arg);
			usage(stderr);
			return 2;
		}
	}

	/* No subcommand: the dma suite, with every argument as its option.
	 * argv[0] becomes the subcommand's name, as if it had been given. */
	char dma_name[] = "dma";
	char *saved = argv[0];
	int ret;

	argv[0] = dma_name;
	ret = perf_dma_main(argc, argv);
	argv[0] = saved;
	return ret;
}
