/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_REPORT_H
#define IDD_TOOLS_PERF_REPORT_H

/*
 * Results of idd-perf: one row per case and size (or per control-plane
 * figure), printed as a table, CSV, JSON and a gnuplot PNG; and the
 * progress line on stderr. A figure that does not apply is NaN (a '-' in
 * the table, an empty CSV field, null in JSON).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct perf_row {
	char name[48];       /* the case */
	char type[16];       /* copy, group, ... */
	char direction[16];  /* copy: local, to-peer...; group: join, storm */
	char engine[16];     /* inline, thread, or "" */
	uint64_t size;       /* bytes per copy; group: cycles or processes */
	unsigned int burst, kick, ring, peers;
	uint64_t footprint;  /* 0: cache-resident */
	uint64_t ops;
	double gbps, mops;
	double lat_p50_ns, lat_p99_ns;
	double memcpy_gbps, vs_memcpy; /* in-process memcpy, same sizes and footprint */
	double pvm_gbps, vs_pvm;       /* process_vm_writev/readv, one call per burst */
	double total_ns;               /* group storm: until every process joined */
};

/* A row with every figure NaN. */
void perf_row_init(struct perf_row *r);

/* Keep a copy of @r for the outputs. 0 or -ENOMEM. */
int perf_report_add(const struct perf_row *r);

/* The outputs, from every row added. @header is printed above the table;
 * @page_size is the copy buffers' (perf_copy_page_size()); @round_trip_ns
 * the caller-to-worker cache line round trip before and after the cases
 * (core_distance.h), negative when not measured. */
void perf_report_table(FILE *f, const char *header);
int perf_report_csv(const char *path);
void perf_report_json(FILE *f, const char *version, double secs, size_t page_size,
		      const double round_trip_ns[2]);
/* 0, or -errno after printing why. */
int perf_report_plot(const char *path);

/* Whether @path can be written as an output file, checked before a run
 * rather than after it: an existing file must be writable (and not a
 * directory); a new one is created and removed again. 0 or -errno. */
int perf_output_writable(const char *path);

/* Whether gnuplot is on PATH. */
bool perf_have_gnuplot(void);

/* The progress line: on when enabled and not quiet. */
void perf_progress_enable(bool on);
void perf_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void perf_progress_clear(void);

#endif
