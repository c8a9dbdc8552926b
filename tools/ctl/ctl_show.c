/* SPDX-License-Identifier: BSD-3-Clause */
/* The tables of `idd-ctl show` and the `idd-ctl watch` screen. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define CELL 64

static void
cell_u64(const struct json *obj, const char *key, char *out)
{
	const struct json *v = json_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER || !v->is_uint)
		snprintf(out, CELL, "-");
	else
		fmt_u64(v->u, out, CELL);
}

static void
cell_bytes(const struct json *obj, const char *key, char *out)
{
	const struct json *v = json_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER || !v->is_uint)
		snprintf(out, CELL, "-");
	else
		fmt_bytes(v->u, out, CELL);
}

static void
cell_str(const struct json *obj, const char *key, char *out)
{
	snprintf(out, CELL, "%s", json_get_str(obj, key, "-"));
}

static void
heading(FILE *f, const char *what, size_t n)
{
	fprintf(f, "\n%s (%zu)\n", what, n);
	if (n == 0)
		fputs("  (none)\n", f);
}

static void
show_process(const struct json *p, FILE *f)
{
	fprintf(f, "process %" PRIu64 " (%s)  uid %" PRIu64 "  namespace %s  idd %s  protocol %" PRIu64
		   "\n",
		json_get_u64(p, "pid", 0), json_get_str(p, "program", "?"), json_get_u64(p, "uid", 0),
		json_get_str(p, "namespace", "?"), json_get_str(p, "idd_version", "?"),
		json_get_u64(p, "protocol", 0));
}

static void
show_devices(const struct json *devs, FILE *f)
{
	struct table t;
	size_t n = json_len(devs);

	heading(f, "devices", n);
	if (n == 0)
		return;
	table_init(&t, "ID|NAME|DRIVER|STATE|VCHANS|SUBMITTED|COMPLETED|ERRORS|BYTES|CAPABILITIES",
		   "rlllrrrrrl");
	for (size_t i = 0; i < n; i++) {
		const struct json *d = json_at(devs, i), *st = json_get(d, "stats");
		const struct json *caps = json_get(d, "capabilities");
		char c[9][CELL], capa[512] = "";
		const char *row[10];
		size_t used = 0;

		cell_u64(d, "id", c[0]);
		cell_str(d, "name", c[1]);
		cell_str(d, "driver", c[2]);
		snprintf(c[3], CELL, "%s%s", json_get_str(d, "state", "?"),
			 json_get_bool(d, "configured", false) ? "" : " (unconfigured)");
		cell_u64(d, "nb_vchans", c[4]);
		cell_u64(st, "submitted", c[5]);
		cell_u64(st, "completed", c[6]);
		cell_u64(st, "errors", c[7]);
		cell_bytes(st, "bytes", c[8]);
		for (size_t k = 0; k < json_len(caps) && used < sizeof(capa); k++) {
			int w = snprintf(capa + used, sizeof(capa) - used, "%s%s", k ? " " : "",
					 json_str(json_at(caps, k), "?"));

			if (w < 0)
				break;
			used += (size_t)w;
		}
		for (int k = 0; k < 9; k++)
			row[k] = c[k];
		row[9] = capa;
		table_row(&t, row);
	}
	table_print(&t, f, 2);
	table_free(&t);
}

static void
show_vchans(const struct json *devs, FILE *f)
{
	struct table t;
	size_t total = 0;

	for (size_t i = 0; i < json_len(devs); i++)
		total += json_len(json_get(json_at(devs, i), "vchans"));
	heading(f, "vchans", total);
	if (total == 0)
		return;
	table_init(&t, "DEV|VCHAN|RING|DIRECTION|DOMAIN|SRC|DST|STATUS|SUBMITTED|COMPLETED|ERRORS|"
		       "BYTES",
		   "rrrllrrlrrrr");
	for (size_t i = 0; i < json_len(devs); i++) {
		const struct json *d = json_at(devs, i), *vs = json_get(d, "vchans");

		for (size_t k = 0; k < json_len(vs); k++) {
			const struct json *v = json_at(vs, k), *st = json_get(v, "stats");
			const struct json *dom = json_get(v, "domain");
			char c[12][CELL];
			const char *row[12];

			cell_u64(d, "id", c[0]);
			cell_u64(v, "vchan", c[1]);
			if (json_get_bool(v, "ready", false)) {
				cell_u64(v, "ring_size", c[2]);
				cell_str(v, "direction", c[3]);
				cell_str(dom, "type", c[4]);
			} else {
				snprintf(c[2], CELL, "-");
				snprintf(c[3], CELL, "-");
				snprintf(c[4], CELL, "(not set up)");
			}
			cell_u64(dom, "src_handler", c[5]);
			cell_u64(dom, "dst_handler", c[6]);
			cell_str(v, "status", c[7]);
			cell_u64(st, "submitted", c[8]);
			cell_u64(st, "completed", c[9]);
			cell_u64(st, "errors", c[10]);
			cell_bytes(st, "bytes", c[11]);
			for (int m = 0; m < 12; m++)
				row[m] = c[m];
			table_row(&t, row);
		}
	}
	table_print(&t, f, 2);
	table_free(&t);
}

static void
show_groups(const struct json *groups, FILE *f)
{
	struct table t;
	size_t n = json_len(groups), nmembers = 0, npeerwin = 0;

	heading(f, "groups", n);
	if (n == 0)
		return;
	table_init(&t, "ID|DEV|NAMESPACE|ROLE|STATE|MEMBERS|DIRECTORY", "rrlllrr");
	for (size_t i = 0; i < n; i++) {
		const struct json *g = json_at(groups, i);
		char c[7][CELL];
		const char *row[7];

		cell_u64(g, "id", c[0]);
		cell_u64(g, "dev_id", c[1]);
		snprintf(c[2], CELL, "%s%s", json_get_str(g, "namespace", "?"),
			 json_get_bool(g, "abstract_socket", false) ? " (abstract)" : "");
		cell_str(g, "role", c[3]);
		cell_str(g, "state", c[4]);
		fmt_u64(json_len(json_get(g, "members")), c[5], CELL);
		cell_u64(g, "directory_entries", c[6]);
		for (int m = 0; m < 7; m++)
			row[m] = c[m];
		table_row(&t, row);
		nmembers += json_len(json_get(g, "members"));
	}
	table_print(&t, f, 2);
	table_free(&t);

	heading(f, "members", nmembers);
	if (nmembers == 0)
		return;
	table_init(&t, "GROUP|DEV|SLOT|DOMAIN|HANDLER|PID|UID|ROLE|WINDOWS", "rrrlrrrlr");
	for (size_t i = 0; i < n; i++) {
		const struct json *g = json_at(groups, i), *ms = json_get(g, "members");

		for (size_t k = 0; k < json_len(ms); k++) {
			const struct json *m = json_at(ms, k);
			char c[9][CELL];
			const char *row[9];

			cell_u64(g, "id", c[0]);
			cell_u64(g, "dev_id", c[1]);
			cell_u64(m, "slot", c[2]);
			cell_str(m, "domain", c[3]);
			if (json_get_u64(m, "handler", 0) == 0)
				snprintf(c[4], CELL, "-");
			else
				cell_u64(m, "handler", c[4]);
			cell_u64(m, "pid", c[5]);
			cell_u64(m, "uid", c[6]);
			snprintf(c[7], CELL, "%s%s%s", json_get_bool(m, "creator", false) ? "creator"
											   : "member",
				 json_get_bool(m, "self", false) ? ", self" : "",
				 json_get_bool(m, "active", true) ? "" : ", joining");
			/* Our own windows are in the windows table, not here. */
			if (json_get_bool(m, "self", false))
				snprintf(c[8], CELL, "-");
			else
				cell_u64(m, "windows_total", c[8]);
			for (int j = 0; j < 9; j++)
				row[j] = c[j];
			table_row(&t, row);
			if (!json_get_bool(m, "self", false))
				npeerwin += json_len(json_get(m, "windows"));
		}
	}
	table_print(&t, f, 2);
	table_free(&t);

	if (npeerwin == 0)
		return;
	heading(f, "peer windows", npeerwin);
	table_init(&t, "GROUP|SLOT|PID|BASE|LENGTH|PERMS", "rrrrrl");
	for (size_t i = 0; i < n; i++) {
		const struct json *g = json_at(groups, i), *ms = json_get(g, "members");

		for (size_t k = 0; k < json_len(ms); k++) {
			const struct json *m = json_at(ms, k), *ws = json_get(m, "windows");

			if (json_get_bool(m, "self", false))
				continue;
			for (size_t w = 0; w < json_len(ws); w++) {
				const struct json *win = json_at(ws, w);
				char c[6][CELL];
				const char *row[6];

				cell_u64(g, "id", c[0]);
				cell_u64(m, "slot", c[1]);
				cell_u64(m, "pid", c[2]);
				snprintf(c[3], CELL, "0x%016" PRIx64, json_get_u64(win, "base", 0));
				cell_bytes(win, "length", c[4]);
				cell_str(win, "perms", c[5]);
				for (int j = 0; j < 6; j++)
					row[j] = c[j];
				table_row(&t, row);
			}
		}
	}
	table_print(&t, f, 2);
	table_free(&t);
}

static void
show_windows(const struct json *ws, FILE *f)
{
	struct table t;
	size_t n = json_len(ws);

	heading(f, "windows", n);
	if (n == 0)
		return;
	table_init(&t, "BASE|LENGTH|PERMS|KIND|PAGES", "rrlll");
	for (size_t i = 0; i < n; i++) {
		const struct json *w = json_at(ws, i);
		char c[5][CELL];
		const char *row[5];

		snprintf(c[0], CELL, "0x%016" PRIx64, json_get_u64(w, "base", 0));
		cell_bytes(w, "length", c[1]);
		cell_str(w, "perms", c[2]);
		cell_str(w, "kind", c[3]);
		snprintf(c[4], CELL, "%s", json_get_bool(w, "huge", false) ? "huge" : "normal");
		for (int j = 0; j < 5; j++)
			row[j] = c[j];
		table_row(&t, row);
	}
	table_print(&t, f, 2);
	table_free(&t);
}

void
show_all(const struct json *all, FILE *f)
{
	const struct json *devs = json_get(all, "devices");

	show_process(json_get(all, "process"), f);
	show_devices(devs, f);
	show_vchans(devs, f);
	show_groups(json_get(all, "groups"), f);
	show_windows(json_get(all, "windows"), f);
}

/* The same vchan (or, with vchan -1, device total) in an earlier answer. */
static const struct json *
find_stats(const struct json *devs, const struct json *dev, long vchan)
{
	uint64_t id = json_get_u64(dev, "id", UINT64_MAX);
	const char *name = json_get_str(dev, "name", "");

	for (size_t i = 0; i < json_len(devs); i++) {
		const struct json *d = json_at(devs, i);

		if (json_get_u64(d, "id", UINT64_MAX) != id ||
		    strcmp(json_get_str(d, "name", ""), name) != 0)
			continue;
		if (vchan < 0)
			return json_get(d, "stats");
		return json_get(json_at(json_get(d, "vchans"), (size_t)vchan), "stats");
	}
	return NULL;
}

/* Rate of @key between @old and @now over @dt seconds; "-" when there is
 * no earlier value or the counter went back (a reset). */
static void
cell_rate(const struct json *now, const struct json *old, const char *key, double dt,
	  bool bytes, char *out)
{
	const struct json *a = json_get(old, key), *b = json_get(now, key);
	double r;

	if (a == NULL || b == NULL || !a->is_uint || !b->is_uint || b->u < a->u || dt <= 0) {
		snprintf(out, CELL, "-");
		return;
	}
	r = (double)(b->u - a->u) / dt;
	if (bytes) {
		fmt_bytes((uint64_t)(r + 0.5), out, CELL);
		strncat(out, "/s", CELL - strlen(out) - 1);
	} else {
		fmt_count(r, out, CELL);
	}
}

static void
watch_row(struct table *t, const struct json *d, const struct json *st, const struct json *old,
	  const char *vchan, const char *status, double dt)
{
	char c[11][CELL];
	const char *row[11];

	cell_u64(d, "id", c[0]);
	cell_str(d, "name", c[1]);
	snprintf(c[2], CELL, "%s", vchan);
	snprintf(c[3], CELL, "%s", status);
	cell_u64(st, "submitted", c[4]);
	cell_u64(st, "completed", c[5]);
	cell_u64(st, "errors", c[6]);
	cell_bytes(st, "bytes", c[7]);
	cell_rate(st, old, "completed", dt, false, c[8]);
	cell_rate(st, old, "errors", dt, false, c[9]);
	cell_rate(st, old, "bytes", dt, true, c[10]);
	for (int j = 0; j < 11; j++)
		row[j] = c[j];
	table_row(t, row);
}

void
show_watch(const struct json *proc, const struct json *now, const struct json *prev, double dt,
	   FILE *f)
{
	const struct json *devs = json_get(now, "devices");
	const struct json *old_devs = json_get(prev, "devices");
	struct table t;

	fprintf(f, "process %" PRIu64 " (%s), namespace %s: %zu device(s)%s\n",
		json_get_u64(proc, "pid", 0), json_get_str(proc, "program", "?"),
		json_get_str(proc, "namespace", "?"), json_len(devs),
		prev == NULL ? "; rates from the next refresh" : "");
	if (json_len(devs) == 0)
		return;
	fputc('\n', f);
	table_init(&t, "DEV|NAME|VCHAN|STATUS|SUBMITTED|COMPLETED|ERRORS|BYTES|OPS/S|ERRORS/S|"
		       "BYTES/S",
		   "rlrlrrrrrrr");
	for (size_t i = 0; i < json_len(devs); i++) {
		const struct json *d = json_at(devs, i), *vs = json_get(d, "vchans");

		watch_row(&t, d, json_get(d, "stats"), find_stats(old_devs, d, -1), "all",
			  json_get_str(d, "state", "?"), dt);
		for (size_t k = 0; k < json_len(vs); k++) {
			const struct json *v = json_at(vs, k);
			char idx[16];

			snprintf(idx, sizeof(idx), "%" PRIu64, json_get_u64(v, "vchan", k));
			watch_row(&t, d, json_get(v, "stats"), find_stats(old_devs, d, (long)k), idx,
				  json_get_str(v, "status", "-"), dt);
		}
	}
	table_print(&t, f, 2);
	table_free(&t);
}
