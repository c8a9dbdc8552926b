/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf's outputs: the table, CSV, JSON, the gnuplot PNG and the
 * progress line. Rows are kept in one growing array.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "perf_case.h"
#include "perf_report.h"

static struct perf_row *rows;
static size_t nb_rows, cap_rows;

void
perf_row_init(struct perf_row *r)
{
	memset(r, 0, sizeof(*r));
	r->gbps = r->mops = NAN;
	r->lat_p50_ns = r->lat_p99_ns = NAN;
	r->memcpy_gbps = r->vs_memcpy = NAN;
	r->pvm_gbps = r->vs_pvm = NAN;
	r->total_ns = NAN;
}

int
perf_report_add(const struct perf_row *r)
{
	if (nb_rows == cap_rows) {
		size_t cap = cap_rows ? 2 * cap_rows : 64;
		struct perf_row *n = realloc(rows, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		rows = n;
		cap_rows = cap;
	}
	rows[nb_rows++] = *r;
	return 0;
}

/* ------------------------------------------------------------------------
 * Table
 */

/* @v with two decimals and @suffix, or '-'. */
static void
fmt_num(char *buf, size_t len, double v, const char *suffix)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%s", v, suffix);
}

static void
fmt_time(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 10e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 10e6)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%.1f ms", ns / 1e6);
}

static void
fmt_footprint(char *buf, size_t len, uint64_t fp)
{
	if (fp == 0)
		snprintf(buf, len, "cache");
	else
		perf_format_size(buf, len, fp);
}

void
perf_report_table(FILE *f, const char *header)
{
	bool any_copy = false, any_group = false;

	for (size_t i = 0; i < nb_rows; i++) {
		if (strcmp(rows[i].type, "group") == 0)
			any_group = true;
		else
			any_copy = true;
	}
	fprintf(f, "%s\n", header);
	if (any_copy) {
		fprintf(f, "\n%-14s %-12s %-6s %8s %7s %8s %9s %9s %9s %8s %8s %8s %9s\n", "case",
			"direction", "engine", "size", "GB/s", "Mops/s", "lat p50", "lat p99",
			"footprint", "memcpy", "x memcpy", "pvm", "x pvm");
		for (size_t i = 0; i < nb_rows; i++) {
			const struct perf_row *r = &rows[i];
			char size[16], gb[16], mo[16], l50[16], l99[16], fp[16], mc[16], xm[16],
				pv[16], xp[16];

			if (strcmp(r->type, "group") == 0)
				continue;
			perf_format_size(size, sizeof(size), r->size);
			fmt_num(gb, sizeof(gb), r->gbps, "");
			fmt_num(mo, sizeof(mo), r->mops, "");
			fmt_time(l50, sizeof(l50), r->lat_p50_ns);
			fmt_time(l99, sizeof(l99), r->lat_p99_ns);
			fmt_footprint(fp, sizeof(fp), r->footprint);
			fmt_num(mc, sizeof(mc), r->memcpy_gbps, "");
			fmt_num(xm, sizeof(xm), r->vs_memcpy, "x");
			fmt_num(pv, sizeof(pv), r->pvm_gbps, "");
			fmt_num(xp, sizeof(xp), r->vs_pvm, "x");
			fprintf(f, "%-14.14s %-12s %-6s %8s %7s %8s %9s %9s %9s %8s %8s %8s %9s\n",
				r->name, r->direction, r->engine, size, gb, mo, l50, l99, fp, mc, xm,
				pv, xp);
		}
		fprintf(f, "\nGB/s = 10^9 bytes/s. lat: one copy alone, enqueue to completion."
			   " memcpy: in this process, same sizes\nand footprint; pvm: "
			   "process_vm_writev/readv between the same processes, one call per "
			   "burst;\nx = idd's GB/s divided by the reference's.\n");
	}
	if (any_group) {
		fprintf(f, "\n%-14s %-28s %10s %10s\n", "case", "control plane", "median",
			"p99");
		for (size_t i = 0; i < nb_rows; i++) {
			const struct perf_row *r = &rows[i];
			char what[64], a[16], b[16];

			if (strcmp(r->type, "group") != 0)
				continue;
			if (strcmp(r->direction, "join") == 0) {
				snprintf(what, sizeof(what), "join latency, %" PRIu64 " cycles",
					 r->size);
				fmt_time(a, sizeof(a), r->lat_p50_ns);
				fmt_time(b, sizeof(b), r->lat_p99_ns);
				fprintf(f, "%-14.14s %-28s %10s %10s\n", r->name, what, a, b);
			} else {
				snprintf(what, sizeof(what), "join storm, %" PRIu64 " processes",
					 r->size);
				fmt_time(a, sizeof(a), r->total_ns);
				fprintf(f, "%-14.14s %-28s %10s (until all had joined)\n", r->name,
					what, a);
			}
		}
	}
}

/* ------------------------------------------------------------------------
 * CSV and JSON
 */

static void
csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.6g", v);
	fputc(',', f);
}

int
perf_report_csv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "idd-perf: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "case,type,direction,engine,size,burst,kick,ring,peers,footprint,ops,gbps,mops,"
		   "lat_p50_ns,lat_p99_ns,memcpy_gbps,vs_memcpy,pvm_gbps,vs_pvm,total_ns\n");
	for (size_t i = 0; i < nb_rows; i++) {
		const struct perf_row *r = &rows[i];

		/* Names are checked to be free of commas and quotes. */
		fprintf(f, "%s,%s,%s,%s,%" PRIu64 ",%u,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",", r->name,
			r->type, r->direction, r->engine, r->size, r->burst, r->kick, r->ring,
			r->peers, r->footprint, r->ops);
		csv_num(f, r->gbps);
		csv_num(f, r->mops);
		csv_num(f, r->lat_p50_ns);
		csv_num(f, r->lat_p99_ns);
		csv_num(f, r->memcpy_gbps);
		csv_num(f, r->vs_memcpy);
		csv_num(f, r->pvm_gbps);
		csv_num(f, r->vs_pvm);
		if (!isnan(r->total_ns))
			fprintf(f, "%.6g", r->total_ns);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "idd-perf: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int
perf_output_writable(const char *path)
{
	struct stat st;
	int fd;

	if (*path == '\0')
		return -ENOENT;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		return access(path, W_OK) == 0 ? 0 : -errno;
	}
	if (errno != ENOENT)
		return -errno;
	/* access() of the directory would not do: root passes it even where
	 * nothing can be created (/proc). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

static void
json_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, "\"%s\": \"", key);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_num(FILE *f, const char *key, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, ", \"%s\": null", key);
	else
		fprintf(f, ", \"%s\": %.6g", key, v);
}

void
perf_report_json(FILE *f, const char *version, double secs, size_t page_size,
		 const double round_trip_ns[2])
{
	fprintf(f, "{\n  ");
	json_str(f, "tool", "idd-perf");
	fprintf(f, ",\n  ");
	json_str(f, "version", version);
	fprintf(f, ",\n  \"seconds\": %.3f,\n  \"page_size\": %zu,\n  \"round_trip_ns\": ", secs,
		page_size);
	if (round_trip_ns[0] >= 0 && round_trip_ns[1] >= 0)
		fprintf(f, "[%.1f, %.1f]", round_trip_ns[0], round_trip_ns[1]);
	else
		fprintf(f, "null");
	fprintf(f, ",\n  \"rows\": [");
	for (size_t i = 0; i < nb_rows; i++) {
		const struct perf_row *r = &rows[i];

		fprintf(f, "%s\n    {", i ? "," : "");
		json_str(f, "case", r->name);
		fprintf(f, ", ");
		json_str(f, "type", r->type);
		fprintf(f, ", ");
		json_str(f, "direction", r->direction);
		fprintf(f, ", ");
		json_str(f, "engine", r->engine);
		fprintf(f,
			", \"size\": %" PRIu64 ", \"burst\": %u, \"kick\": %u, \"ring\": %u, "
			"\"peers\": %u, \"footprint\": %" PRIu64 ", \"ops\": %" PRIu64,
			r->size, r->burst, r->kick, r->ring, r->peers, r->footprint, r->ops);
		json_num(f, "gbps", r->gbps);
		json_num(f, "mops", r->mops);
		json_num(f, "lat_p50_ns", r->lat_p50_ns);
		json_num(f, "lat_p99_ns", r->lat_p99_ns);
		json_num(f, "memcpy_gbps", r->memcpy_gbps);
		json_num(f, "vs_memcpy", r->vs_memcpy);
		json_num(f, "pvm_gbps", r->pvm_gbps);
		json_num(f, "vs_pvm", r->vs_pvm);
		json_num(f, "total_ns", r->total_ns);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
}

/* ------------------------------------------------------------------------
 * Plot
 */

bool
perf_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (path == NULL || *path == '\0')
		path = "/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && n < sizeof(buf) - 10) {
			snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)n, path);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* A string for gnuplot's single quotes, where '' is a quote. */
static void
gp_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* Is row @i the first of its series (copy rows of one case, direction and
 * engine)? */
static bool
series_first(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(rows[j].type, "group") != 0 && strcmp(rows[j].name, rows[i].name) == 0 &&
		    strcmp(rows[j].direction, rows[i].direction) == 0 &&
		    strcmp(rows[j].engine, rows[i].engine) == 0)
			return false;
	return true;
}

static bool
same_series(size_t a, size_t b)
{
	return strcmp(rows[a].name, rows[b].name) == 0 &&
	       strcmp(rows[a].direction, rows[b].direction) == 0 &&
	       strcmp(rows[a].engine, rows[b].engine) == 0;
}

#define MAX_MEMCPY_SERIES 8

int
perf_report_plot(const char *path)
{
	const char *tmp = getenv("TMPDIR");
	char data[300];
	int fd;
	FILE *df, *gp;
	unsigned int nb_series = 0, nb_memcpy = 0;
	uint64_t memcpy_fp[MAX_MEMCPY_SERIES];
	uint64_t lo = UINT64_MAX, hi = 0; /* the sizes drawn */
	int status, ret = 0;

	if (tmp == NULL || *tmp != '/' || strlen(tmp) > sizeof(data) - 32)
		tmp = "/tmp";
	snprintf(data, sizeof(data), "%s/idd-perf-plot-XXXXXX", tmp);
	fd = mkstemp(data);
	if (fd < 0) {
		fprintf(stderr, "idd-perf: --plot: temporary file: %s\n", strerror(errno));
		return -errno;
	}
	df = fdopen(fd, "w");
	if (df == NULL) {
		close(fd);
		unlink(data);
		return -ENOMEM;
	}
	/* One data block per series, then memcpy's per footprint. */
	for (size_t i = 0; i < nb_rows; i++) {
		if (strcmp(rows[i].type, "group") == 0 || !series_first(i))
			continue;
		fprintf(df, "# %s %s %s\n", rows[i].name, rows[i].direction, rows[i].engine);
		for (size_t j = i; j < nb_rows; j++)
			if (strcmp(rows[j].type, "group") != 0 && same_series(i, j) &&
			    !isnan(rows[j].gbps)) {
				fprintf(df, "%" PRIu64 " %.6g\n", rows[j].size, rows[j].gbps);
				lo = rows[j].size < lo ? rows[j].size : lo;
				hi = rows[j].size > hi ? rows[j].size : hi;
			}
		fprintf(df, "\n\n");
		nb_series++;
	}
	/* The memcpy reference, one series per footprint. */
	for (size_t i = 0; i < nb_rows; i++) {
		bool first = true;
		uint64_t last = 0;

		if (strcmp(rows[i].type, "group") == 0 || isnan(rows[i].memcpy_gbps))
			continue;
		for (size_t j = 0; j < i && first; j++)
			if (strcmp(rows[j].type, "group") != 0 && !isnan(rows[j].memcpy_gbps) &&
			    rows[j].footprint == rows[i].footprint)
				first = false;
		if (!first)
			continue;
		/* Its sizes in ascending order, each once. */
		for (;;) {
			uint64_t next = UINT64_MAX;
			double g = NAN;

			for (size_t j = 0; j < nb_rows; j++)
				if (strcmp(rows[j].type, "group") != 0 && !isnan(rows[j].memcpy_gbps) &&
				    rows[j].footprint == rows[i].footprint && rows[j].size > last &&
				    rows[j].size < next) {
					next = rows[j].size;
					g = rows[j].memcpy_gbps;
				}
			if (next == UINT64_MAX)
				break;
			fprintf(df, "%" PRIu64 " %.6g\n", next, g);
			last = next;
		}
		fprintf(df, "\n\n");
		memcpy_fp[nb_memcpy++] = rows[i].footprint;
		if (nb_memcpy == MAX_MEMCPY_SERIES)
			break;
	}
	if (nb_series == 0) {
		fclose(df);
		unlink(data);
		fprintf(stderr, "idd-perf: --plot: no bandwidth figures to draw\n");
		return -EINVAL;
	}
	fclose(df);

	fflush(NULL);
	gp = popen("gnuplot", "w");
	if (gp == NULL) {
		unlink(data);
		fprintf(stderr, "idd-perf: --plot: cannot run gnuplot: %s\n", strerror(errno));
		return -errno;
	}
	fprintf(gp, "set terminal pngcairo size 1100,700 noenhanced\nset output ");
	gp_quoted(gp, path);
	fprintf(gp, "\nset title 'idd-perf: bandwidth against copy size'\n"
		    "set logscale x 2\nset format x '%%.0b%%BB'\nset xlabel 'copy size (bytes)'\n"
		    "set ylabel 'GB/s (10^9 bytes/s)'\nset key outside right top\nset grid\n");
	/* One size alone: gnuplot would widen the empty x range itself, and
	 * say so on stderr. */
	if (lo == hi)
		fprintf(gp, "set xrange [%" PRIu64 ":%" PRIu64 "]\n", lo / 2, hi * 2);
	fprintf(gp, "plot ");
	{
		unsigned int k = 0;

		for (size_t i = 0; i < nb_rows; i++) {
			char title[128];

			if (strcmp(rows[i].type, "group") == 0 || !series_first(i))
				continue;
			snprintf(title, sizeof(title), "%s %s %s", rows[i].name, rows[i].direction,
				 rows[i].engine);
			fprintf(gp, "%s", k ? ", " : "");
			gp_quoted(gp, data);
			fprintf(gp, " index %u using 1:2 with linespoints title ", k);
			gp_quoted(gp, title);
			k++;
		}
	}
	for (unsigned int m = 0; m < nb_memcpy; m++) {
		char title[64], fp[16];

		fmt_footprint(fp, sizeof(fp), memcpy_fp[m]);
		snprintf(title, sizeof(title), "memcpy, footprint %s", fp);
		fprintf(gp, ", ");
		gp_quoted(gp, data);
		fprintf(gp, " index %u using 1:2 with lines dashtype 2 lw 2 title ", nb_series + m);
		gp_quoted(gp, title);
	}
	fprintf(gp, "\n");
	status = pclose(gp);
	unlink(data);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "idd-perf: --plot: gnuplot failed%s\n",
			WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not installed?)" : "");
		ret = -EIO;
	}
	return ret;
}

/* ------------------------------------------------------------------------
 * Progress line
 */

static bool progress_on;
static int progress_len;

void
perf_progress_enable(bool on)
{
	progress_on = on;
}

void
perf_progress(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	if (!progress_on)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	/* Pad over what the previous line left. */
	fprintf(stderr, "\r%s%*s", line, progress_len > n ? progress_len - n : 0, "");
	fflush(stderr);
	progress_len = n;
}

void
perf_progress_clear(void)
{
	if (!progress_on || progress_len == 0)
		return;
	fprintf(stderr, "\r%*s\r", progress_len, "");
	fflush(stderr);
	progress_len = 0;
}
