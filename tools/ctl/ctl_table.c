/* SPDX-License-Identifier: BSD-3-Clause */
/* Aligned text tables and human-readable numbers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void
oom(void)
{
	fputs("idd-ctl: out of memory\n", stderr);
	exit(1);
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		oom();
	return d;
}

void
table_init(struct table *t, const char *header, const char *align)
{
	const char *cells[TABLE_COLS_MAX];
	char *copy = xstrdup(header), *save = NULL;

	memset(t, 0, sizeof(*t));
	t->align = align;
	for (char *tok = strtok_r(copy, "|", &save); tok != NULL && t->ncols < TABLE_COLS_MAX;
	     tok = strtok_r(NULL, "|", &save))
		cells[t->ncols++] = tok;
	table_row(t, cells);
	free(copy);
}

void
table_row(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 8;
		char **a = realloc(t->cells, c * t->ncols * sizeof(*a));

		if (a == NULL)
			oom();
		t->cells = a;
		t->cap = c;
	}
	for (unsigned int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i]);
	t->nrows++;
}

void
table_print(const struct table *t, FILE *f, int indent)
{
	size_t w[TABLE_COLS_MAX] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (unsigned int i = 0; i < t->ncols; i++) {
			size_t l = strlen(t->cells[r * t->ncols + i]);

			if (l > w[i])
				w[i] = l;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fprintf(f, "%*s", indent, "");
		for (unsigned int i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];
			bool right = t->align != NULL && t->align[i] == 'r';
			bool last = i + 1 == t->ncols;

			if (right)
				fprintf(f, "%*s", (int)w[i], cell);
			else if (last)
				fputs(cell, f);
			else
				fprintf(f, "%-*s", (int)w[i], cell);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void
fmt_bytes(uint64_t v, char *out, size_t cap)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(out, cap, "%" PRIu64 " B", v);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (d == (double)(uint64_t)d)
		snprintf(out, cap, "%.0f %s", d, units[u]);
	else
		snprintf(out, cap, "%.1f %s", d, units[u]);
}

void
fmt_count(double v, char *out, size_t cap)
{
	if (v < 1000)
		snprintf(out, cap, v == (double)(uint64_t)v ? "%.0f" : "%.1f", v);
	else if (v < 1e6)
		snprintf(out, cap, "%.1f k", v / 1e3);
	else if (v < 1e9)
		snprintf(out, cap, "%.2f M", v / 1e6);
	else
		snprintf(out, cap, "%.2f G", v / 1e9);
}

void
fmt_u64(uint64_t v, char *out, size_t cap)
{
	snprintf(out, cap, "%" PRIu64, v);
}
