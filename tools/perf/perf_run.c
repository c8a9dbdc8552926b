/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf's main mode: read the cases (command line or --config), start
 * the peer processes, run every case, print the results. Also `idd-perf
 * copy` (copy cases only) and `idd-perf group` (the control plane only).
 *
 * Every exit path stops the peers: the normal one reaps them, a signal
 * kills them from its handler, and the kernel kills them if idd-perf
 * itself is killed (see perf_peers.h). Groups meet in a private runtime
 * directory, removed at exit.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <idd/idd_common.h>
#include <idd/idd_log.h>

#include "core_distance.h"
#include "perf.h"
#include "perf_copy.h"
#include "perf_env.h"
#include "perf_measure.h"
#include "perf_report.h"
#include "perf_spec.h"

#define MAX_SPECS 64
#define MAX_CASES 256
#define CPU_AUTO (-2)

struct run_opts {
	const struct perf_case_type *only; /* `idd-perf TYPE`: that type alone */
	const char *config;
	const char *csv;
	const char *plot;
	bool json, quiet, progress, list;
	int cpu, worker_cpu;
	struct perf_spec cli;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: idd-perf [run|TYPE] [OPTIONS]\n"
		"       idd-perf dma|mem [OPTIONS]     (see 'idd-perf dma --help', 'mem --help')\n"
		"\n"
		"Measures idd's copies between processes and its control plane, each figure next\n"
		"to the same run's in-process memcpy and process_vm_writev/readv. idd-perf starts\n"
		"its peer processes itself and stops them on every exit, Ctrl-C included.\n"
		"\n"
		"With no arguments it runs the default suite (well under two minutes): copies\n"
		"local, to-peer and from-peer with both engines at 64 B, 4 KiB and 1 MiB, then\n"
		"the join latency and a join storm of 32 processes. 'idd-perf TYPE' runs the\n"
		"cases of one type below: 'copy' the copies, 'group' the control plane.\n"
		"Options given on the command line change every case that uses them; with\n"
		"--direction or --engine only copy cases run.\n"
		"\n"
		"Case types (a config section's 'type = ...'):\n");
	for (unsigned int i = 0; perf_case_types[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", perf_case_types[i]->name, perf_case_types[i]->summary);
	fprintf(f,
		"\n"
		"Cases:\n"
		"  -c, --config FILE        run the cases of an ini-style FILE: '[NAME]' starts\n"
		"                           a case, 'key = value' lines set its keys (the long\n"
		"                           option names below, plus 'type = TYPE');\n"
		"                           command-line options fill the keys a case leaves out\n"
		"  -D, --direction LIST     local, to-peer, from-peer, peer-to-peer (a copy\n"
		"                           between two peers, none of it ours), or all\n"
		"                           (default local,to-peer,from-peer)\n"
		"  -e, --engine LIST        inline (copies run in submit, on our core), thread\n"
		"                           (a worker thread copies on its own core), or both\n"
		"                           (default both)\n"
		"  -s, --sizes LIST         copy sizes: SIZE or LO-HI (LO, 2*LO, ... up to HI),\n"
		"                           comma-separated; K, M, G = 1024, 1024^2, 1024^3;\n"
		"                           1 byte to 1G, at most 64 sizes (default 64,4K,1M)\n"
		"  -b, --burst N            copies enqueued per round and per vchan, 1..16384 and\n"
		"                           at most the ring (default 32; large copies use fewer,\n"
		"                           at most 32 MiB per burst)\n"
		"  -k, --kick N             submit after every N enqueues, at most the burst\n"
		"                           (default: the burst)\n"
		"  -R, --ring N             descriptors per vchan, a power of two, 32..16384\n"
		"                           (default 1024)\n"
		"  -p, --peers N            peer processes a copy case spreads over, one vchan\n"
		"                           each, 1..16 (default 1; peer-to-peer: 2)\n"
		"  -d, --duration SECONDS   time of each measurement, 0.001..3600 (default 1):\n"
		"                           throughput, memcpy and process_vm each take this\n"
		"                           long, latency half of it\n"
		"  -f, --footprint cache|BYTES\n"
		"                           'cache': every copy uses the same buffers (they stay\n"
		"                           in cache); BYTES: copies walk through that much memory,\n"
		"                           half sources, half destinations (e.g. 256M), up to\n"
		"                           64G and at least 4 times the largest size\n"
		"                           (default cache)\n"
		"      --cycles N           group: join/leave cycles timed, 0..100000\n"
		"                           (default 200; 0: none)\n"
		"      --storm N            group: processes that join at once, 0..127\n"
		"                           (default 32; 0: none)\n"
		"\n"
		"Run:\n"
		"      --cpu N|none         pin idd-perf to CPU N (default: the first CPU it may\n"
		"                           use)\n"
		"      --worker-cpu N|none  pin the thread engine's worker to CPU N (default: the\n"
		"                           second CPU idd-perf may use)\n"
		"      --list               print the cases, each with the settings its type\n"
		"                           takes and where it was defined, and exit\n"
		"\n"
		"Output (the table goes to stdout unless --json):\n"
		"      --csv FILE           also write every row to FILE as CSV\n"
		"      --json               print the rows as JSON instead of the table\n"
		"      --plot FILE.png      draw GB/s against copy size (log scale) for every\n"
		"                           case, direction and engine; needs gnuplot\n"
		"      --progress           show the progress line even when stderr is no\n"
		"                           terminal (it shows by default on a terminal)\n"
		"  -q, --quiet              no progress line\n"
		"  -h, --help               this help\n"
		"  -V, --version            print the version\n"
		"\n"
		"Examples:\n"
		"  idd-perf\n"
		"  idd-perf copy -D to-peer -e thread -s 64-1M -f 256M --plot bw.png\n"
		"  idd-perf -D peer-to-peer -p 2 -s 4K,1M --json > p2p.json\n"
		"  idd-perf group --cycles 1000 --storm 100\n"
		"  idd-perf --config cases.ini --csv out.csv\n"
		"\n"
		"A config file:\n"
		"  [small]\n"
		"  direction = to-peer, from-peer\n"
		"  engine = inline\n"
		"  sizes = 64-4K\n"
		"  burst = 64\n"
		"  [control]\n"
		"  type = group\n"
		"  storm = 64\n"
		"\n"
		"Exit status: 0 success, 1 a case failed (wrong data, an engine error, a peer\n"
		"died), 2 bad usage or config, 128+N when stopped by signal N.\n");
}

static int
parse_cpu(const char *arg, const char *opt, int *out)
{
	if (perf_parse_cpu(arg, out) != 0) {
		fprintf(stderr, "idd-perf: %s: '%s' is not a CPU number or 'none'\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int
check_output(const char *opt, const char *path)
{
	int ret = path != NULL ? perf_output_writable(path) : 0;

	if (ret != 0)
		fprintf(stderr, "idd-perf: %s: cannot write '%s': %s\n", opt, path, strerror(-ret));
	return ret;
}

/* 0, 1 to exit 0 (help, version), -EINVAL for bad usage. */
static int
parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_CYCLES = 256, OPT_STORM, OPT_CPU, OPT_WORKER_CPU, OPT_LIST, OPT_CSV, OPT_JSON,
	       OPT_PLOT, OPT_PROGRESS };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"direction", required_argument, NULL, 'D'},
		{"engine", required_argument, NULL, 'e'},
		{"sizes", required_argument, NULL, 's'},
		{"burst", required_argument, NULL, 'b'},
		{"kick", required_argument, NULL, 'k'},
		{"ring", required_argument, NULL, 'R'},
		{"peers", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"footprint", required_argument, NULL, 'f'},
		{"cycles", required_argument, NULL, OPT_CYCLES},
		{"storm", required_argument, NULL, OPT_STORM},
		{"cpu", required_argument, NULL, OPT_CPU},
		{"worker-cpu", required_argument, NULL, OPT_WORKER_CPU},
		{"list", no_argument, NULL, OPT_LIST},
		{"csv", required_argument, NULL, OPT_CSV},
		{"json", no_argument, NULL, OPT_JSON},
		{"plot", required_argument, NULL, OPT_PLOT},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	perf_spec_init(&o->cli, "cli", NULL, 0);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:D:e:s:b:k:R:p:d:f:qhV", longopts, NULL)) != -1) {
		const char *key = NULL;
		char why[256], shortopt[3];

		switch (opt) {
		case 'c':
			o->config = optarg;
			break;
		case 'D':
			key = "direction";
			break;
		case 'e':
			key = "engine";
			break;
		case 's':
			key = "sizes";
			break;
		case 'b':
			key = "burst";
			break;
		case 'k':
			key = "kick";
			break;
		case 'R':
			key = "ring";
			break;
		case 'p':
			key = "peers";
			break;
		case 'd':
			key = "duration";
			break;
		case 'f':
			key = "footprint";
			break;
		case OPT_CYCLES:
			key = "cycles";
			break;
		case OPT_STORM:
			key = "storm";
			break;
		case OPT_CPU:
			if (parse_cpu(optarg, "--cpu", &o->cpu) != 0)
				return -EINVAL;
			break;
		case OPT_WORKER_CPU:
			if (parse_cpu(optarg, "--worker-cpu", &o->worker_cpu) != 0)
				return -EINVAL;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PLOT:
			o->plot = optarg;
			break;
		case OPT_PROGRESS:
			o->progress = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("idd-perf %s\n", idd_version());
			return 1;
		case ':':
			fprintf(stderr, "idd-perf: option %s needs a value\n",
				perf_refused_option(argv, longopts, shortopt));
			return -EINVAL;
		default:
			fprintf(stderr, "idd-perf: unknown option '%s' (try --help)\n",
				perf_refused_option(argv, longopts, shortopt));
			return -EINVAL;
		}
		if (key != NULL && perf_spec_set(&o->cli, key, optarg, 0, why, sizeof(why)) != 0) {
			fprintf(stderr, "idd-perf: --%s: %s\n", key, why);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "idd-perf: unexpected argument '%s' (try --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->plot != NULL && !perf_have_gnuplot()) {
		fprintf(stderr, "idd-perf: --plot needs gnuplot, which is not on PATH "
				"(Debian: apt install gnuplot-nox)\n");
		return -EINVAL;
	}
	if (o->plot != NULL) {
		size_t n = strlen(o->plot);

		if (n < 4 || strcmp(o->plot + n - 4, ".png") != 0) {
			fprintf(stderr, "idd-perf: --plot: '%s' should end in .png\n", o->plot);
			return -EINVAL;
		}
		if (n == 4 || o->plot[n - 5] == '/') {
			fprintf(stderr, "idd-perf: --plot: '%s': the name before .png is empty\n",
				o->plot);
			return -EINVAL;
		}
	}
	/* Before the run, not after minutes of it. */
	if (check_output("--csv", o->csv) != 0 || check_output("--plot", o->plot) != 0)
		return -EINVAL;
	return 0;
}

/* The cases to run. 0 or -EINVAL (printed). */
static int
build_cases(struct run_opts *o, struct perf_case *cases, unsigned int *nb)
{
	static struct perf_spec specs[MAX_SPECS];
	unsigned int nb_specs = 0, used = 0;
	const struct perf_case_type *only = o->only;
	int ret;

	*nb = 0;
	if (o->config != NULL) {
		if (only != NULL) {
			fprintf(stderr, "idd-perf: --config goes with plain 'idd-perf' (or 'run'); "
					"the file says each case's type\n");
			return -EINVAL;
		}
		ret = perf_config_load(o->config, specs, MAX_SPECS, &nb_specs);
		if (ret != 0)
			return ret;
	} else {
		bool copy_only = (o->cli.set & (PERF_KEY_DIRECTION | PERF_KEY_ENGINE)) != 0;

		if (only == NULL || only == &perf_case_copy) {
			perf_spec_init(&specs[nb_specs++], "copy", NULL, 0);
		}
		if ((only == NULL && !copy_only) || only == &perf_case_group) {
			perf_spec_init(&specs[nb_specs], "group", NULL, 0);
			specs[nb_specs].set |= PERF_KEY_TYPE;
			specs[nb_specs++].c.type = &perf_case_group;
		}
		if (only != NULL && only != &perf_case_copy && only != &perf_case_group) {
			/* Another type, named as a subcommand: one case of it. */
			perf_spec_init(&specs[nb_specs], only->name, NULL, 0);
			specs[nb_specs].set |= PERF_KEY_TYPE;
			specs[nb_specs++].c.type = only;
		}
		if (only != NULL && copy_only &&
		    (only->keys & (PERF_KEY_DIRECTION | PERF_KEY_ENGINE)) == 0) {
			fprintf(stderr, "idd-perf: --direction and --engine are for copy cases\n");
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < nb_specs; i++) {
		const struct perf_case_type *t =
			specs[i].set & PERF_KEY_TYPE ? specs[i].c.type : &perf_case_copy;

		used |= t->keys;
		ret = perf_spec_expand(&specs[i], &o->cli, cases, MAX_CASES, nb);
		if (ret != 0)
			return ret;
	}
	/* An option no case takes is a mistake worth saying. */
	for (unsigned int k = 1; k < PERF_NB_KEYS; k++)
		if ((o->cli.set & (1u << k)) && !(used & (1u << k))) {
			fprintf(stderr, "idd-perf: --%s does not apply to any case here\n",
				perf_spec_key_name(k));
			return -EINVAL;
		}
	return 0;
}

static void
list_cases(const struct perf_case *cases, unsigned int nb)
{
	for (unsigned int i = 0; i < nb; i++) {
		const struct perf_case *c = &cases[i];
		char fp[24];

		if (c->footprint == 0)
			snprintf(fp, sizeof(fp), "cache");
		else
			perf_format_size(fp, sizeof(fp), c->footprint);
		printf("%-16s type=%s", c->name, c->type->name);
		if (c->type->keys & PERF_KEY_DIRECTION)
			printf(" direction=%s", perf_dir_names[c->dir]);
		if (c->type->keys & PERF_KEY_ENGINE)
			printf(" engine=%s", perf_engine_names[c->engine]);
		for (unsigned int s = 0; (c->type->keys & PERF_KEY_SIZES) && s < c->nb_sizes; s++)
			printf("%s%u", s ? "," : " sizes=", c->sizes[s]);
		/* Only the keys its type takes (fabric has no peers, no
		 * footprint), and the peers as the rows count them: none for a
		 * local copy. */
		if (c->type->keys & PERF_KEY_BURST)
			printf(" burst=%u", c->burst);
		if (c->type->keys & PERF_KEY_KICK)
			printf(" kick=%u", c->kick);
		if (c->type->keys & PERF_KEY_RING)
			printf(" ring=%u", c->ring);
		if (c->type->keys & PERF_KEY_PEERS)
			printf(" peers=%u", c->type->peers_needed ? c->type->peers_needed(c) : 0);
		if (c->type->keys & PERF_KEY_DURATION)
			printf(" duration=%g", c->duration);
		if (c->type->keys & PERF_KEY_FOOTPRINT)
			printf(" footprint=%s", fp);
		if (c->type->keys & PERF_KEY_CYCLES)
			printf(" cycles=%u", c->cycles);
		if (c->type->keys & PERF_KEY_STORM)
			printf(" storm=%u", c->storm);
		printf("  (%s)\n", c->where);
	}
}

/* The private runtime directory of our groups. */
static char run_dir[256];

static int
make_run_dir(void)
{
	char ns[40];

	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp != '/' || strlen(tmp) > sizeof(run_dir) - 24)
		tmp = "/tmp";
	snprintf(run_dir, sizeof(run_dir), "%s/idd-perf-XXXXXX", tmp);
	if (mkdtemp(run_dir) == NULL) {
		fprintf(stderr, "idd-perf: mkdtemp: %s\n", strerror(errno));
		run_dir[0] = '\0';
		return -errno;
	}
	snprintf(ns, sizeof(ns), "idd-perf-%d", (int)getpid());
	/* Peers inherit both. */
	setenv("IDD_RUNTIME_DIR", run_dir, 1);
	setenv("IDD_NAMESPACE", ns, 1);
	return 0;
}

static void
remove_run_dir(void)
{
	DIR *d;
	struct dirent *e;

	if (run_dir[0] == '\0')
		return;
	d = opendir(run_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(run_dir);
	run_dir[0] = '\0';
}

static int
start_pool(struct perf_env *env, const struct perf_case *cases, unsigned int nb)
{
	unsigned int want = 0;
	uint64_t window = 0;

	for (unsigned int i = 0; i < nb; i++) {
		const struct perf_case_type *t = cases[i].type;
		unsigned int n = t->peers_needed ? t->peers_needed(&cases[i]) : 0;
		uint64_t w = t->peer_window ? t->peer_window(&cases[i]) : 0;

		want = n > want ? n : want;
		window = w > window ? w : window;
	}
	if (want == 0)
		return 0;
	/* All at once, then wait for each one's window. */
	perf_progress("idd-perf: starting %u peer process(es)", want);
	for (unsigned int i = 0; i < want; i++) {
		int ret = perf_peer_spawn(&env->peers[i], i, window, env->token, env->self_dom);

		if (ret != 0)
			return ret;
		env->nb_peers++;
	}
	for (unsigned int i = 0; i < want; i++) {
		int ret = perf_peer_ready(&env->peers[i]);

		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Run the cases; *@secs is the time it took, @round_trip_ns the cache
 * line round trip between the caller's and the worker's CPU before and
 * after the cases (-1: not measured). */
static int
run_cases(struct run_opts *o, struct perf_case *cases, unsigned int nb, double *secs,
	  double round_trip_ns[2])
{
	static struct perf_env env;
	int first, second, ret = 0;
	double t0 = perf_now();

	memset(&env, 0, sizeof(env));
	(void)perf_allowed_cpus(NULL, &first, &second); /* none known: not pinned */
	if (o->cpu == CPU_AUTO)
		o->cpu = first;
	if (o->worker_cpu == CPU_AUTO)
		o->worker_cpu = second;
	env.worker_cpu = o->worker_cpu;
	env.nb_cases = nb;
	if (getrandom(env.token, sizeof(env.token), 0) != (ssize_t)sizeof(env.token) ||
	    getrandom(env.self_dom, sizeof(env.self_dom), 0) != (ssize_t)sizeof(env.self_dom)) {
		fprintf(stderr, "idd-perf: getrandom: %s\n", strerror(errno));
		return 1;
	}
	perf_peers_install_signals();
	if (make_run_dir() != 0)
		return 1;
	/* Peers start before we pin ourselves: they inherit no pinning. */
	ret = start_pool(&env, cases, nb);
	if (ret == 0 && o->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(o->cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0)
			fprintf(stderr, "idd-perf: cannot pin to cpu %d: %s\n", o->cpu,
				strerror(errno));
	}
	/* Before and after: on a virtual machine the distance between the
	 * two vCPUs can change during the run. */
	round_trip_ns[0] = round_trip_ns[1] = -1;
	if (ret == 0)
		round_trip_ns[0] = core_round_trip_ns(o->cpu, o->worker_cpu);
	for (unsigned int i = 0; i < nb && ret == 0 && !perf_stop_signal; i++) {
		env.case_no = i + 1;
		ret = cases[i].type->run(&cases[i], &env);
	}
	if (ret == 0 && !perf_stop_signal)
		round_trip_ns[1] = core_round_trip_ns(o->cpu, o->worker_cpu);
	perf_progress_clear();
	for (unsigned int t = 0; perf_case_types[t] != NULL; t++)
		if (perf_case_types[t]->cleanup != NULL)
			perf_case_types[t]->cleanup();
	for (unsigned int i = 0; i < env.nb_peers; i++)
		perf_peer_ask_exit(&env.peers[i]);
	for (unsigned int i = 0; i < env.nb_peers; i++)
		perf_peer_stop(&env.peers[i]);
	perf_peers_kill_all();
	remove_run_dir();
	*secs = perf_now() - t0;
	if (perf_stop_signal) {
		fprintf(stderr, "idd-perf: stopped by signal %d; peers stopped\n",
			(int)perf_stop_signal);
		return 128 + perf_stop_signal;
	}
	return ret == 0 ? 0 : 1;
}

int
perf_run_main(int argc, char **argv, const char *mode)
{
	static struct perf_case cases[MAX_CASES];
	struct run_opts o;
	unsigned int nb = 0;
	double secs = 0;
	char header[400], pages[80] = "", trip[160] = "", cpu[24], wcpu[24];
	double round_trip_ns[2];
	size_t page;
	int ret;

	memset(&o, 0, sizeof(o));
	o.only = strcmp(mode, "run") == 0 ? NULL : perf_case_type_find(mode);
	o.cpu = o.worker_cpu = CPU_AUTO;
	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	if (build_cases(&o, cases, &nb) != 0)
		return 2;
	if (o.list) {
		list_cases(cases, nb);
		return 0;
	}
	perf_progress_enable(!o.quiet && (o.progress || isatty(STDERR_FILENO)));
	/* idd's own log: errors only, unless the user asked for more. */
	if (getenv("IDD_LOG_LEVEL") == NULL)
		idd_log_set_level(IDD_LOG_ERR);
	ret = run_cases(&o, cases, nb, &secs, round_trip_ns);
	if (ret != 0)
		return ret;
	if (round_trip_ns[0] >= 0 && round_trip_ns[1] >= 0)
		snprintf(trip, sizeof(trip),
			 "\ncache line round trip between cpu %d and cpu %d: %.0f ns before the "
			 "cases, %.0f ns after",
			 o.cpu, o.worker_cpu, round_trip_ns[0], round_trip_ns[1]);
	page = perf_copy_page_size();
	if (page != 0)
		snprintf(pages, sizeof(pages), "; buffers on %zu KiB pages%s", page >> 10,
			 page == (size_t)sysconf(_SC_PAGESIZE) ? " (no huge pages available)"
								: "");
	perf_format_cpu(cpu, sizeof(cpu), o.cpu);
	perf_format_cpu(wcpu, sizeof(wcpu), o.worker_cpu);
	snprintf(header, sizeof(header),
		 "idd-perf %s: %u case(s) in %.1f s; caller %s, thread engine's worker %s%s%s",
		 idd_version(), nb, secs, cpu, wcpu, pages, trip);
	if (o.json)
		perf_report_json(stdout, idd_version(), secs, page, round_trip_ns);
	else
		perf_report_table(stdout, header);
	fflush(stdout);
	if (o.csv != NULL && perf_report_csv(o.csv) != 0)
		ret = 1;
	if (o.plot != NULL && perf_report_plot(o.plot) != 0)
		ret = 1;
	return ret;
}
