/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-ctl: look inside running idd processes through their telemetry
 * sockets (idd_telemetry.h). Commands: list, show PID, watch PID.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_common.h>
#include <idd/idd_log.h>

#include "ctl.h"
#include "telemetry/json_out.h"
#include "telemetry/proto.h"

/* Exit codes (see idd-ctl.1). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage_main[] =
	"Usage: idd-ctl [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"Look inside running idd processes. A process is visible when it enabled\n"
	"telemetry: started with IDD_TELEMETRY=1, or called idd_telemetry_enable().\n"
	"idd-ctl must run as the same user as the process (or as root), with the\n"
	"same runtime directory (IDD_RUNTIME_DIR, else $XDG_RUNTIME_DIR/idd, else\n"
	"/tmp/idd-UID).\n"
	"\n"
	"Commands:\n"
	"  list [--namespace NS | --all] [--json]\n"
	"                  the processes of a namespace: pid, program, counts\n"
	"  show PID [--json]\n"
	"                  one process: devices, vchans, stats, groups, members,\n"
	"                  handlers, windows\n"
	"  watch PID [--interval S] [--count N]\n"
	"                  the stats of one process, refreshed, with rates\n"
	"  help [COMMAND]  this text, or a command's\n"
	"\n"
	"Run 'idd-ctl COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 1 failure (no such process, permission denied,\n"
	"telemetry not enabled, ...), 2 bad usage. Errors go to stderr, one line\n"
	"each; with --json, stdout carries JSON only (nothing when the command\n"
	"fails as a whole).\n";

static const char usage_list[] =
	"Usage: idd-ctl list [--namespace NS | --all] [--json]\n"
	"\n"
	"List the processes that serve telemetry in a namespace: pid, program\n"
	"name, namespace, number of devices, groups and windows.\n"
	"Stale sockets left by processes that died are removed (with a note on\n"
	"stderr).\n"
	"\n"
	"Options:\n"
	"  -n, --namespace NS  the namespace (default: $IDD_NAMESPACE, else\n"
	"                      \"default\")\n"
	"  -a, --all           every namespace\n"
	"  -j, --json          print JSON: {\"namespace\": NS or null, \"processes\":\n"
	"                      [...]}; every entry has the same members: pid, uid,\n"
	"                      namespace, program, idd_version, protocol, devices,\n"
	"                      groups, windows, comm (from /proc) and error: null,\n"
	"                      or why the process could not be asked (then the\n"
	"                      members it did not give are null, and the exit\n"
	"                      status is 1)\n"
	"  -h, --help          this text\n";

static const char usage_show[] =
	"Usage: idd-ctl show PID [--namespace NS] [--json]\n"
	"\n"
	"Show one process: its devices (state, capabilities, counters), their\n"
	"vchans (ring size, direction, domain and handlers, status, counters),\n"
	"its access pair groups and their members (slot, domain id, handler on\n"
	"the group's device, pid, uid, windows), the windows peers offer, and\n"
	"its own windows (base, length, permissions, page size).\n"
	"\n"
	"Options:\n"
	"  -n, --namespace NS  only look for the process in namespace NS (default:\n"
	"                      any namespace)\n"
	"  -j, --json          print the process's answer as JSON, unchanged\n"
	"  -h, --help          this text\n";

static const char usage_watch[] =
	"Usage: idd-ctl watch PID [--interval S] [--count N] [--namespace NS]\n"
	"\n"
	"Show one process's device and vchan counters, refreshed every S seconds,\n"
	"with rates computed from the change since the previous refresh:\n"
	"completed operations, errors and bytes per second. The screen is\n"
	"cleared between refreshes when the output is a terminal. Stop with\n"
	"Ctrl-C.\n"
	"\n"
	"Options:\n"
	"  -i, --interval S    seconds between refreshes, 0.1..3600 (default 1)\n"
	"  -c, --count N       stop after N refreshes (default: until interrupted\n"
	"                      or the process ends)\n"
	"  -n, --namespace NS  only look for the process in namespace NS\n"
	"  -h, --help          this text\n";

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The usage text of command @cmd (NULL: idd-ctl's own); NULL when there
 * is no such command. */
static const char *
usage_of(const char *cmd)
{
	if (cmd == NULL)
		return usage_main;
	if (strcmp(cmd, "list") == 0)
		return usage_list;
	if (strcmp(cmd, "show") == 0)
		return usage_show;
	if (strcmp(cmd, "watch") == 0)
		return usage_watch;
	return NULL;
}

/* One line that names what is wrong, then the synopsis (the usage text's
 * first line) and where the rest is: the whole text would bury the error. */
static int __attribute__((format(printf, 2, 3)))
usage_error(const char *cmd, const char *fmt, ...)
{
	const char *usage = usage_of(cmd);
	va_list ap;

	fprintf(stderr, "idd-ctl: %s%s", cmd != NULL ? cmd : "", cmd != NULL ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%.*s. Try 'idd-ctl%s%s --help'.\n", (int)strcspn(usage, "\n"), usage,
		cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	return EXIT_USAGE;
}

/* getopt_long() returned @opt, '?' or ':'. It said nothing (each option
 * string starts with ':'): its own messages start with argv[0], which is
 * the command word or the program's path, and come with no exit status of
 * ours. */
static int
option_error(const char *cmd, const struct option *opts, int opt, char **argv)
{
	const char *arg = argv[optind - 1]; /* the option word, when it was a long one */
	const struct option *o = opts;

	if (opt == ':' && strncmp(arg, "--", 2) == 0)
		return usage_error(cmd, "option '%s' needs a value", arg);
	if (opt == ':')
		return usage_error(cmd, "option '-%c' needs a value", optopt);
	if (optopt == 0)
		return usage_error(cmd, "unknown option '%s'", arg);
	/* A known option's letter in a '?' is a long option given a value it
	 * does not take (--json=yes). Any other letter is an unknown short
	 * option, which only optopt names: in "-jx" the word is not yet
	 * behind optind. */
	while (o->name != NULL && o->val != optopt)
		o++;
	if (o->name != NULL)
		return usage_error(cmd, "option '--%s' takes no value", o->name);
	return usage_error(cmd, "unknown option '-%c'", optopt);
}

static int
parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 0x7fffffff)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static int
check_ns(const char *ns)
{
	if (ns != NULL && !rdv_ns_valid(ns)) {
		fprintf(stderr, "idd-ctl: bad namespace '%s': want 1..%d characters of "
				"[A-Za-z0-9_-]\n", ns, RDV_NS_MAX);
		return -1;
	}
	return 0;
}

/* 0 with the directory's path in @dir, or -errno (said on stderr). A
 * missing directory is no error: it just holds no socket (ctl_scan()). */
static int
runtime_dir(char *dir, size_t cap)
{
	int ret = ctl_runtime_dir(dir, cap);

	if (ret == -ENOENT)
		return 0;
	if (ret != 0)
		fprintf(stderr, "idd-ctl: no usable runtime directory (%s); see the line above\n",
			strerror(-ret));
	return ret;
}

/* ---- JSON out, for list --json ---- */

static void
emit(struct jw *w, const char *key, const struct json *v)
{
	switch (v->type) {
	case JSON_NULL:
		jw_null(w, key);
		break;
	case JSON_BOOL:
		jw_bool(w, key, v->b);
		break;
	case JSON_NUMBER:
		if (v->is_uint)
			jw_u64(w, key, v->u);
		else
			jw_i64(w, key, (int64_t)v->num);
		break;
	case JSON_STRING:
		jw_strn(w, key, v->str, v->len);
		break;
	case JSON_ARRAY:
		jw_arr(w, key);
		for (size_t i = 0; i < v->n; i++)
			emit(w, NULL, &v->items[i]);
		jw_end(w);
		break;
	case JSON_OBJECT:
		jw_obj(w, key);
		for (size_t i = 0; i < v->n; i++)
			emit(w, v->keys[i], &v->items[i]);
		jw_end(w);
		break;
	}
}

/* One entry of `list --json`. Every entry has the same members, whether
 * the process answered or not, so that a reader never has to guess:
 * LIST_KEYS from the process's answer (null where it could not be asked or
 * did not say), "comm" from /proc, and "error": null, or the sentence that
 * says why the process could not be asked. */
static const char *const list_keys[] = {"pid",     "uid",    "namespace", "program",
					"idd_version", "protocol", "devices", "groups",
					"windows"};

static void
list_entry(struct jw *w, const struct ctl_proc *proc, const char *comm, const struct json *answer,
	   const char *error)
{
	jw_obj(w, NULL);
	for (size_t k = 0; k < sizeof(list_keys) / sizeof(list_keys[0]); k++) {
		const struct json *v = answer != NULL ? json_get(answer, list_keys[k]) : NULL;

		if (v != NULL)
			emit(w, list_keys[k], v);
		else if (strcmp(list_keys[k], "pid") == 0)
			jw_u64(w, "pid", (uint64_t)proc->pid); /* from the socket's name */
		else if (strcmp(list_keys[k], "namespace") == 0)
			jw_str(w, "namespace", proc->ns);
		else
			jw_null(w, list_keys[k]);
	}
	jw_str(w, "comm", comm);
	jw_str(w, "error", error);
	jw_end(w);
}

/* ---- finding one process ---- */

/* Connect to process @pid (in namespace @ns, or any). Returns 0, or prints
 * why not and returns EXIT_FAIL. */
static int
connect_pid(pid_t pid, const char *ns, struct ctl_conn *c, struct ctl_proc *found)
{
	char dir[sizeof(found->path)], err[512], comm[64];
	struct ctl_proc *ps;
	int n, ret = -ENOENT;

	if (runtime_dir(dir, sizeof(dir)) != 0)
		return EXIT_FAIL;
	n = ctl_scan(dir, ns, pid, &ps);
	if (n < 0) {
		fprintf(stderr, "idd-ctl: cannot read %s: %s\n", dir, strerror(-n));
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		ret = ctl_connect(&ps[i], false, c, err, sizeof(err));
		if (ret == 0) {
			*found = ps[i];
			free(ps);
			return 0;
		}
		if (ret != -ECONNREFUSED && ret != -ENOENT) {
			fprintf(stderr, "idd-ctl: %s\n", err);
			free(ps);
			return EXIT_FAIL;
		}
	}
	free(ps);
	if (!ctl_pid_alive(pid)) {
		fprintf(stderr, "idd-ctl: no process with pid %d\n", (int)pid);
		return EXIT_FAIL;
	}
	ctl_proc_name(pid, comm, sizeof(comm));
	fprintf(stderr, "idd-ctl: process %d (%s) does not serve telemetry%s%s: telemetry is not "
			"enabled there (start it with IDD_TELEMETRY=1 or have it call "
			"idd_telemetry_enable()), or it is not an idd process, or it runs as "
			"another user or with another runtime directory (looked in %s)\n",
		(int)pid, comm, ns != NULL ? " in namespace " : "", ns != NULL ? ns : "", dir);
	return EXIT_FAIL;
}

/* ---- list ---- */

static int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"namespace", required_argument, NULL, 'n'},
		{"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ns = NULL;
	bool all = false, json = false;
	char dir[sizeof(((struct ctl_proc *)0)->path)];
	struct ctl_proc *ps;
	struct table t;
	struct jw w;
	size_t shown = 0;
	int n, opt, status = EXIT_OK;

	optind = 0; /* 0: glibc re-reads the option string (permutation on) */
	while ((opt = getopt_long(argc, argv, ":n:ajh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ns = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_list, stdout);
			return EXIT_OK;
		default:
			return option_error("list", opts, opt, argv);
		}
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (all && ns != NULL)
		return usage_error("list", "--all and --namespace exclude each other");
	if (!all && ns == NULL) {
		ns = getenv("IDD_NAMESPACE");
		if (ns == NULL || ns[0] == '\0')
			ns = RDV_DEFAULT_NS;
	}
	if (check_ns(ns) != 0)
		return EXIT_USAGE;
	if (runtime_dir(dir, sizeof(dir)) != 0)
		return EXIT_FAIL;
	n = ctl_scan(dir, all ? NULL : ns, 0, &ps);
	if (n < 0) {
		fprintf(stderr, "idd-ctl: cannot read %s: %s\n", dir, strerror(-n));
		return EXIT_FAIL;
	}

	jw_init(&w, 64u << 20);
	jw_obj(&w, NULL);
	jw_str(&w, "namespace", all ? NULL : ns);
	jw_arr(&w, "processes");
	table_init(&t, "PID|PROGRAM|NAMESPACE|UID|DEVICES|GROUPS|WINDOWS|IDD", "rllrrrrl");
	for (int i = 0; i < n; i++) {
		struct ctl_conn c;
		struct json *p = NULL;
		char err[512], comm[64], cell[6][32];
		const char *row[8];
		int ret;

		ret = ctl_connect(&ps[i], false, &c, err, sizeof(err));
		if (ret == -ECONNREFUSED || ret == -ENOENT)
			continue; /* stale (removed) or gone */
		if (ret == 0) {
			ret = ctl_request(&c, TEL_CMD_PROCESS, NULL, &p, err, sizeof(err));
			ctl_close(&c);
		}
		ctl_proc_name(ps[i].pid, comm, sizeof(comm));
		if (ret != 0) {
			fprintf(stderr, "idd-ctl: %s\n", err);
			status = EXIT_FAIL;
			list_entry(&w, &ps[i], comm, NULL, err);
			snprintf(cell[0], sizeof(cell[0]), "%d", (int)ps[i].pid);
			for (int k = 1; k < 6; k++)
				snprintf(cell[k], sizeof(cell[k]), "?");
		} else {
			list_entry(&w, &ps[i], comm, p, NULL);
			snprintf(cell[0], sizeof(cell[0]), "%" PRIu64, json_get_u64(p, "pid", 0));
			snprintf(cell[1], sizeof(cell[1]), "%" PRIu64, json_get_u64(p, "uid", 0));
			snprintf(cell[2], sizeof(cell[2]), "%" PRIu64, json_get_u64(p, "devices", 0));
			snprintf(cell[3], sizeof(cell[3]), "%" PRIu64, json_get_u64(p, "groups", 0));
			snprintf(cell[4], sizeof(cell[4]), "%" PRIu64, json_get_u64(p, "windows", 0));
			snprintf(cell[5], sizeof(cell[5]), "%s", json_get_str(p, "idd_version", "?"));
		}
		row[0] = cell[0];
		/* The program's own name when it answered: comm is cut at 15
		 * characters. */
		row[1] = ret == 0 ? json_get_str(p, "program", comm) : comm;
		row[2] = ps[i].ns;
		row[3] = cell[1];
		row[4] = cell[2];
		row[5] = cell[3];
		row[6] = cell[4];
		row[7] = cell[5];
		table_row(&t, row);
		json_free(p);
		shown++;
	}
	jw_end(&w);
	jw_end(&w);
	if (json) {
		if (w.err != 0) {
			fprintf(stderr, "idd-ctl: cannot write JSON: %s\n", strerror(-w.err));
			status = EXIT_FAIL;
		} else {
			printf("%s\n", w.buf);
		}
	} else if (shown == 0) {
		printf("no idd process serves telemetry %s%s (runtime directory %s)\n",
		       all ? "in any namespace" : "in namespace ", all ? "" : ns, dir);
	} else {
		table_print(&t, stdout, 0);
	}
	table_free(&t);
	jw_free(&w);
	free(ps);
	return status;
}

/* ---- show ---- */

static int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"namespace", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ns = NULL;
	bool json = false;
	struct ctl_conn c;
	struct ctl_proc p;
	struct json *tree = NULL;
	char *text = NULL, err[512];
	pid_t pid;
	int opt, ret;

	optind = 0; /* 0: glibc re-reads the option string (permutation on) */
	while ((opt = getopt_long(argc, argv, ":n:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ns = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_show, stdout);
			return EXIT_OK;
		default:
			return option_error("show", opts, opt, argv);
		}
	}
	if (optind >= argc)
		return usage_error("show", "which PID?");
	if (parse_pid(argv[optind], &pid) != 0)
		return usage_error("show", "'%s' is not a pid", argv[optind]);
	if (optind + 1 < argc)
		return usage_error("show", "unexpected argument '%s'", argv[optind + 1]);
	if (check_ns(ns) != 0)
		return EXIT_USAGE;
	ret = connect_pid(pid, ns, &c, &p);
	if (ret != 0)
		return ret;
	ret = ctl_request(&c, TEL_CMD_ALL, &text, json ? NULL : &tree, err, sizeof(err));
	ctl_close(&c);
	if (ret != 0) {
		fprintf(stderr, "idd-ctl: %s\n", err);
		return EXIT_FAIL;
	}
	if (json)
		printf("%s\n", text);
	else
		show_all(tree, stdout);
	free(text);
	json_free(tree);
	return EXIT_OK;
}

/* ---- watch ---- */

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep @s seconds unless interrupted. */
static void
nap(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"namespace", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ns = NULL;
	double interval = 1.0, t_prev = 0;
	unsigned long count = 0;
	struct ctl_conn c;
	struct ctl_proc p;
	struct json *prev = NULL;
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa;
	char *end, err[512];
	pid_t pid;
	int opt, ret, status = EXIT_OK;

	optind = 0; /* 0: glibc re-reads the option string (permutation on) */
	while ((opt = getopt_long(argc, argv, ":i:c:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(interval >= 0.1) ||
			    interval > 3600)
				return usage_error("watch", "bad interval '%s' (want 0.1..3600 "
							    "seconds)", optarg);
			break;
		case 'c':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || count == 0 ||
			    optarg[0] == '-')
				return usage_error("watch", "bad count '%s' (want a positive "
							    "number)", optarg);
			break;
		case 'n':
			ns = optarg;
			break;
		case 'h':
			fputs(usage_watch, stdout);
			return EXIT_OK;
		default:
			return option_error("watch", opts, opt, argv);
		}
	}
	if (optind >= argc)
		return usage_error("watch", "which PID?");
	if (parse_pid(argv[optind], &pid) != 0)
		return usage_error("watch", "'%s' is not a pid", argv[optind]);
	if (optind + 1 < argc)
		return usage_error("watch", "unexpected argument '%s'", argv[optind + 1]);
	if (check_ns(ns) != 0)
		return EXIT_USAGE;
	ret = connect_pid(pid, ns, &c, &p);
	if (ret != 0)
		return ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (unsigned long i = 0; !interrupted && (count == 0 || i < count); i++) {
		struct json *now = NULL;
		double t;
		time_t wall = time(NULL);
		char stamp[32];

		if (i > 0)
			nap(interval);
		if (interrupted)
			break;
		ret = ctl_request(&c, TEL_CMD_DEVICES, NULL, &now, err, sizeof(err));
		if (ret == -ECONNRESET || ret == -EPIPE || ret == -ETIMEDOUT) {
			/* Dropped (idle too long, or a hiccup): once more. */
			ctl_close(&c);
			if (ctl_connect(&p, true, &c, err, sizeof(err)) == 0)
				ret = ctl_request(&c, TEL_CMD_DEVICES, NULL, &now, err, sizeof(err));
		}
		if (ret != 0) {
			fprintf(stderr, "idd-ctl: %s\n", err);
			status = EXIT_FAIL;
			break;
		}
		t = mono_s();
		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&wall));
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (i > 0)
			fputs("\n", stdout);
		printf("idd-ctl watch: every %.1f s, %s\n", interval, stamp);
		show_watch(c.hello, now, prev, prev != NULL ? t - t_prev : 0, stdout);
		fflush(stdout);
		json_free(prev);
		prev = now;
		t_prev = t;
	}
	json_free(prev);
	ctl_close(&c);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd;
	int opt;

	/* The library's own lines (runtime directory refused, ...) are
	 * errors worth seeing; nothing chattier. */
	idd_log_set_level(IDD_LOG_ERR);
	while ((opt = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_main, stdout);
			return EXIT_OK;
		case 'V':
			printf("idd-ctl %s (telemetry protocol %d)\n", idd_version(), TEL_VERSION);
			return EXIT_OK;
		default:
			return option_error(NULL, opts, opt, argv);
		}
	}
	if (optind >= argc)
		return usage_error(NULL, "which command?");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		const char *what = argc > 1 ? argv[1] : NULL;

		if (usage_of(what) == NULL)
			return usage_error(NULL, "help: no command '%s'", what);
		fputs(usage_of(what), stdout);
		return EXIT_OK;
	}
	return usage_error(NULL, "no command '%s'", cmd);
}
