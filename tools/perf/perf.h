/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_H
#define IDD_TOOLS_PERF_H

/* idd-perf subcommands; each parses its own options after the subcommand
 * name (argv[0] is the subcommand) and returns the process exit status. */
int perf_dma_main(int argc, char **argv);
int perf_mem_main(int argc, char **argv);

/* The case runner (perf_run.c): @mode "run" (every case: the default
 * suite or a config file) or the name of a case type (that type only). */
int perf_run_main(int argc, char **argv, const char *mode);

#endif
