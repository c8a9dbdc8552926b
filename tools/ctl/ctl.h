/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_CTL_H
#define IDD_TOOLS_CTL_H

/*
 * idd-ctl's parts:
 *   idd_ctl.c     command line, help, the list/show/watch commands
 *   ctl_client.c  finding telemetry sockets, stale ones, the protocol
 *   ctl_table.c   aligned text tables, human-readable numbers
 *   ctl_show.c    the tables of `show` and `watch`
 *   json.c        JSON reader
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/un.h>

#include "group/rendezvous.h"
#include "json.h"

/* ---- ctl_client.c ---- */

/* A telemetry socket found in the runtime directory. */
struct ctl_proc {
	pid_t pid;
	char ns[RDV_NS_MAX + 1];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Seconds a tool waits for an answer. */
#define CTL_TIMEOUT_S 5

/* The runtime directory (same resolution and checks as the library's,
 * but not created), into @dir. 0, -ENOENT when it does not exist (then no
 * process serves telemetry), or another -errno (the library logged why). */
int ctl_runtime_dir(char *dir, size_t cap);

/* The telemetry sockets in @dir, of namespace @ns (NULL: any) and pid
 * @pid (0: any), sorted by pid. Returns the count (the array in *@out, to
 * free()) or -errno; 0 when @dir does not exist. Does not connect: see
 * ctl_connect(). */
int ctl_scan(const char *dir, const char *ns, pid_t pid, struct ctl_proc **out);

struct ctl_conn {
	int fd;
	pid_t pid;
	uint32_t next_id;
	struct json *hello;
};

/* Connect to @p and read its greeting. Returns 0, or:
 *   -ECONNREFUSED  stale socket (nobody listens): removed, with a note on
 *                  stderr unless @quiet;
 *   -ENOENT        gone meanwhile;
 *   -EACCES        not allowed (another user's process);
 *   -ETIMEDOUT     no greeting in time;
 *   -EPROTO, -EPROTONOSUPPORT, -EBUSY, other -errno.
 * @err receives a sentence for the user. */
int ctl_connect(const struct ctl_proc *p, bool quiet, struct ctl_conn *c, char *err,
		size_t errcap);

/* Ask command @cmd (TEL_CMD_*). On success returns 0, the raw text in
 * *@text (NUL-terminated, to free()) and the tree in *@tree (to
 * json_free()); either pointer may be NULL if not wanted. Else -errno and a
 * sentence in @err. */
int ctl_request(struct ctl_conn *c, unsigned int cmd, char **text, struct json **tree,
		char *err, size_t errcap);
void ctl_close(struct ctl_conn *c);

/* The program name of @pid from /proc (its comm), into @out; "?" if
 * unknown. */
void ctl_proc_name(pid_t pid, char *out, size_t cap);
/* True if a process @pid exists (it may belong to another user). */
bool ctl_pid_alive(pid_t pid);

/* ---- ctl_table.c ---- */

#define TABLE_COLS_MAX 16

struct table {
	unsigned int ncols;
	const char *align;   /* per column: 'l' or 'r' */
	char **cells;        /* rows * ncols, row 0 the header */
	size_t nrows, cap;
};

/* @header: column names separated by '|'; @align: "llrr..." */
void table_init(struct table *t, const char *header, const char *align);
/* One row of ncols cells (printf formats one after another are awkward:
 * pass already formatted strings). */
void table_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f, int indent);
void table_free(struct table *t);

/* "1.5 KiB", "64 MiB"; exact integers below 1 KiB. */
void fmt_bytes(uint64_t v, char *out, size_t cap);
/* "12.3 k", "4.56 M" (decimal), for counts and rates. */
void fmt_count(double v, char *out, size_t cap);
void fmt_u64(uint64_t v, char *out, size_t cap);

/* ---- ctl_show.c ---- */

/* The tables of `show` for an "all" answer. */
void show_all(const struct json *all, FILE *f);
/* The `watch` screen: device and vchan counters with rates computed from
 * @prev (NULL the first time) over @dt seconds. */
void show_watch(const struct json *proc, const struct json *now, const struct json *prev,
		double dt, FILE *f);

#endif
