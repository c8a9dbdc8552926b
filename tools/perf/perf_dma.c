/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf dma: what a sw device's data path delivers, next to plain memcpy
 * measured in the same run on the same buffers.
 *
 * Each case is one (engine, buffer regime, copy size):
 *   - engine inline: enqueue a burst, submit (the copies happen there),
 *     collect with idd_dma_completed(); one core;
 *   - engine thread: keep the ring full: enqueue whole bursts as capacity
 *     allows, submit each, collect whatever finished; the worker runs on
 *     its own core, the caller on another;
 *   - regime cached: every copy reads the same source and writes the same
 *     destination, so both stay in cache when they fit;
 *   - regime rotating: copies walk through a large working set (half for
 *     sources, half for destinations), so each one misses the cache.
 *
 * Every case checks its data: the first copy alone, with its status, ring
 * index and the bytes around it, before the clock starts; afterwards every
 * destination slot the case wrote. A case that moves garbage fails the run.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>

#include "core_distance.h"
#include "perf.h"
#include "perf_case.h"
#include "perf_measure.h"
#include "perf_report.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

#define MAX_ROUNDS 100
#define SLOT_ALIGN 64              /* every buffer starts on a cache line */
/* Bytes in one burst and in flight for large copies: a burst of 32 copies
 * of 16 MiB would take a second to drain and say nothing more. */
#define BURST_BYTES (32 * MIB)
#define INFLIGHT_BYTES (64 * MIB)
/* Roughly how many bytes to copy between two looks at the clock. */
#define CHECK_BYTES (1 * MIB)
#define CHECK_OPS_MAX 4096
/* How long to wait for an engine that stopped making progress. */
#define STALL_SECONDS 10.0

enum engine { ENGINE_INLINE, ENGINE_THREAD, NB_ENGINES };
enum regime { REGIME_CACHED, REGIME_ROTATING, NB_REGIMES };

static const char *const engine_names[NB_ENGINES] = {"inline", "thread"};
static const char *const regime_names[NB_REGIMES] = {"cached", "rotating"};

#define CPU_AUTO (-2)

struct options {
	bool engines[NB_ENGINES];
	bool regimes[NB_REGIMES];
	uint32_t sizes[PERF_MAX_SIZES];
	unsigned int nb_sizes;
	unsigned int burst;
	unsigned int ring;
	double duration;
	unsigned int rounds;
	uint64_t working_set;
	int cpu;
	int worker_cpu;
	const char *csv;
	bool json;
	bool quiet;
};

/* One started sw device with one vchan. */
struct bench_dev {
	int16_t dev_id;
	enum engine engine;
	uint16_t next_idx; /* ring_idx the next enqueue must return */
	uint16_t next_cpl; /* ring_idx of the next copy to complete */
	uint16_t ring;
};

/* Which source and destination the next copy uses. The loops work on a
 * local copy, so that its fields stay in registers across the calls. */
struct cursor {
	char *src;
	char *dst;
	size_t stride; /* bytes from one slot to the next */
	size_t nslots;
	size_t end;    /* nslots * stride */
	size_t off;    /* offset of the next slot */
	uint64_t used; /* copies issued since the last reset */
};

struct result {
	enum engine engine;
	enum regime regime;
	uint32_t size;
	unsigned int burst;
	uint64_t ops;
	double secs;
	double mops;
	double gbps;
	double memcpy_gbps;
	double ratio;
};

/* Through a volatile pointer so that the compiler calls the library's
 * memcpy as an application would, rather than reasoning about the loop. */
static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

/* ------------------------------------------------------------------------
 * Options
 */

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: idd-perf dma [OPTIONS]\n"
		"\n"
		"Measures copies through sw DMA devices next to plain memcpy, in one run:\n"
		"copy rate (Mops/s), bandwidth (GB/s, 1 GB = 10^9 bytes), memcpy's bandwidth on\n"
		"the same buffers, and the ratio of the two. Every case checks the data it copied.\n"
		"\n"
		"Engines: 'inline' enqueues a burst, submits (the copies run in submit, on the\n"
		"caller's core) and collects; 'thread' keeps the ring full of bursts while the\n"
		"worker thread copies on another core.\n"
		"Regimes: 'cached' copies the same source to the same destination every time;\n"
		"'rotating' walks through the working set, so every copy misses the cache.\n"
		"\n"
		"Options:\n"
		"  -e, --engine inline|thread|both  engines to measure (default both)\n"
		"  -r, --regime cached|rotating|both\n"
		"                                   buffer regimes (default both)\n"
		"  -s, --sizes LIST                 copy sizes: comma-separated sizes or ranges\n"
		"                                   LO-HI (LO, 2*LO, 4*LO, ... up to HI); suffixes\n"
		"                                   K, M, G are powers of 1024 (default\n"
		"                                   64,1K,64K,1M,4M,16M; e.g. 64-4K,1M)\n"
		"  -b, --burst N                    copies per burst, 1..ring (default 32); large\n"
		"                                   copies use smaller bursts so that one burst\n"
		"                                   stays within 32 MiB\n"
		"  -R, --ring N                     descriptors per vchan, a power of two,\n"
		"                                   32..16384 (default 1024); the thread engine\n"
		"                                   keeps at most 64 MiB in flight\n"
		"  -d, --duration SECONDS           measured time per case and per side,\n"
		"                                   0.001..3600 (default 0.25), split into rounds\n"
		"  -n, --rounds N                   rounds per case (default 5): DMA then memcpy,\n"
		"                                   alternating; each figure is the median round\n"
		"  -w, --working-set BYTES          memory the rotating regime walks through,\n"
		"                                   half sources, half destinations; at least four\n"
		"                                   slots of the largest size (default 256M)\n"
		"  -c, --cpu N|none                 pin the calling thread to CPU N (default: the\n"
		"                                   first CPU this process may use)\n"
		"  -W, --worker-cpu N|none          pin the thread engine's worker to CPU N\n"
		"                                   (default: the second CPU this process may use)\n"
		"      --csv FILE                   also write the results as CSV to FILE\n"
		"      --json                       print the results as JSON instead of a table\n"
		"  -q, --quiet                      no progress line on stderr\n"
		"  -h, --help                       this help\n"
		"\n"
		"Exit status: 0 when every case ran and verified its data, 1 on a failure, 2 on\n"
		"bad usage.\n");
}

static int
parse_cpu(const char *arg, const char *opt, int *out)
{
	if (perf_parse_cpu(arg, out) != 0) {
		fprintf(stderr, "idd-perf dma: %s wants a CPU number below %d or 'none', not '%s'\n",
			opt, CPU_SETSIZE, arg);
		return -EINVAL;
	}
	return 0;
}

static int
parse_choice(const char *arg, const char *opt, const char *const names[2], bool out[2])
{
	if (strcmp(arg, "both") == 0) {
		out[0] = out[1] = true;
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (strcmp(arg, names[i]) == 0) {
			out[0] = out[1] = false;
			out[i] = true;
			return 0;
		}
	}
	fprintf(stderr, "idd-perf dma: %s wants %s, %s or both, not '%s'\n", opt, names[0],
		names[1], arg);
	return -EINVAL;
}

/* Whether the working set holds the slots of the largest size. */
static int
check_working_set(const struct options *o)
{
	uint64_t max_stride = 0, need;

	for (unsigned int i = 0; i < o->nb_sizes; i++) {
		uint64_t s = ((uint64_t)o->sizes[i] + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;

		if (s > max_stride)
			max_stride = s;
	}
	/* Cached: one slot per side; rotating: at least two. */
	need = (o->regimes[REGIME_ROTATING] ? 4 : 2) * max_stride;
	if (o->working_set < need) {
		char have[32], want[32];

		perf_format_size(have, sizeof(have), o->working_set);
		perf_format_size(want, sizeof(want), need);
		fprintf(stderr,
			"idd-perf dma: --working-set %s is too small for the largest size: "
			"needs at least %s\n",
			have, want);
		return -EINVAL;
	}
	return 0;
}

/* Pick the caller's and the worker's CPUs among those this process may
 * use; a CPU it may not use is bad usage. */
static int
pick_cpus(struct options *o)
{
	cpu_set_t set;
	int first, second, ret = perf_allowed_cpus(&set, &first, &second);

	if (ret != 0) {
		fprintf(stderr, "idd-perf dma: sched_getaffinity: %s\n", strerror(-ret));
		return -EINVAL;
	}
	if (o->cpu == CPU_AUTO)
		o->cpu = first;
	if (o->worker_cpu == CPU_AUTO) {
		o->worker_cpu = o->cpu == second || second < 0 ? first : second;
		if (o->worker_cpu == o->cpu)
			o->worker_cpu = PERF_CPU_NONE;
	}
	if (o->cpu >= 0 && !CPU_ISSET(o->cpu, &set)) {
		fprintf(stderr, "idd-perf dma: --cpu %d: not a CPU this process may run on\n",
			o->cpu);
		return -EINVAL;
	}
	if (o->worker_cpu >= 0 && !CPU_ISSET(o->worker_cpu, &set)) {
		fprintf(stderr,
			"idd-perf dma: --worker-cpu %d: not a CPU this process may run on\n",
			o->worker_cpu);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0 to go on, 1 when --help was handled, -EINVAL on bad usage. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CSV = 256, OPT_JSON };
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"regime", required_argument, NULL, 'r'},
		{"sizes", required_argument, NULL, 's'},
		{"burst", required_argument, NULL, 'b'},
		{"ring", required_argument, NULL, 'R'},
		{"duration", required_argument, NULL, 'd'},
		{"rounds", required_argument, NULL, 'n'},
		{"working-set", required_argument, NULL, 'w'},
		{"cpu", required_argument, NULL, 'c'},
		{"worker-cpu", required_argument, NULL, 'W'},
		{"csv", required_argument, NULL, OPT_CSV},
		{"json", no_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const uint32_t default_sizes[] = {64, 1 * KIB, 64 * KIB, 1 * MIB, 4 * MIB, 16 * MIB};
	char why[160], shortopt[3];
	unsigned long v;
	char *end;
	int c;

	*o = (struct options){
		.engines = {true, true},
		.regimes = {true, true},
		.burst = 32,
		.ring = 1024,
		.duration = 0.25,
		.rounds = 5,
		.working_set = 256 * MIB,
		.cpu = CPU_AUTO,
		.worker_cpu = CPU_AUTO,
	};
	for (size_t i = 0; i < sizeof(default_sizes) / sizeof(default_sizes[0]); i++)
		o->sizes[o->nb_sizes++] = default_sizes[i];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:r:s:b:R:d:n:w:c:W:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (parse_choice(optarg, "--engine", engine_names, o->engines) != 0)
				return -EINVAL;
			break;
		case 'r':
			if (parse_choice(optarg, "--regime", regime_names, o->regimes) != 0)
				return -EINVAL;
			break;
		case 's':
			if (perf_parse_sizes(optarg, o->sizes, &o->nb_sizes, why, sizeof(why)) != 0) {
				fprintf(stderr, "idd-perf dma: --sizes: %s\n", why);
				return -EINVAL;
			}
			break;
		case 'b':
			if (perf_parse_uint(optarg, 1, PERF_RING_MAX, &v) != 0) {
				fprintf(stderr, "idd-perf dma: bad --burst '%s' (1..%d, at most the ring)\n",
					optarg, PERF_RING_MAX);
				return -EINVAL;
			}
			o->burst = (unsigned int)v;
			break;
		case 'R':
			if (perf_parse_ring(optarg, &o->ring, why, sizeof(why)) != 0) {
				fprintf(stderr, "idd-perf dma: --ring: %s\n", why);
				return -EINVAL;
			}
			break;
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			/* The main command's range: below a millisecond the clock
			 * reads would be most of what is measured. */
			if (errno != 0 || end == optarg || *end != '\0' || !isfinite(o->duration) ||
			    o->duration < 0.001 || o->duration > 3600) {
				fprintf(stderr,
					"idd-perf dma: bad --duration '%s' (seconds, 0.001 to 3600)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			if (perf_parse_uint(optarg, 1, MAX_ROUNDS, &v) != 0) {
				fprintf(stderr, "idd-perf dma: bad --rounds '%s' (1..%d)\n", optarg,
					MAX_ROUNDS);
				return -EINVAL;
			}
			o->rounds = (unsigned int)v;
			break;
		case 'w':
			if (perf_parse_bytes(optarg, &o->working_set) != 0 || o->working_set == 0) {
				fprintf(stderr, "idd-perf dma: bad --working-set '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'c':
			if (parse_cpu(optarg, "--cpu", &o->cpu) != 0)
				return -EINVAL;
			break;
		case 'W':
			if (parse_cpu(optarg, "--worker-cpu", &o->worker_cpu) != 0)
				return -EINVAL;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "idd-perf dma: option '%s' needs a value\n",
				perf_refused_option(argv, longopts, shortopt));
			return -EINVAL;
		default:
			fprintf(stderr, "idd-perf dma: unknown option '%s'\n",
				perf_refused_option(argv, longopts, shortopt));
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "idd-perf dma: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->burst > o->ring) {
		fprintf(stderr, "idd-perf dma: --burst %u is larger than --ring %u\n", o->burst,
			o->ring);
		return -EINVAL;
	}
	if (check_working_set(o) != 0 || pick_cpus(o) != 0)
		return -EINVAL;
	/* Before the run, not after minutes of it. */
	c = o->csv != NULL ? perf_output_writable(o->csv) : 0;
	if (c != 0) {
		fprintf(stderr, "idd-perf dma: --csv: cannot write '%s': %s\n", o->csv,
			strerror(-c));
		return -EINVAL;
	}
	return 0;
}

/* Pin the caller to the CPU pick_cpus() chose. */
static int
setup_cpus(const struct options *o)
{
	cpu_set_t set;

	if (o->engines[ENGINE_THREAD] && (o->worker_cpu < 0 || o->worker_cpu == o->cpu))
		fprintf(stderr,
			"idd-perf dma: warning: the thread engine's worker has no core of its own; "
			"its figures will be poor\n");
	if (o->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			int err = errno;

			fprintf(stderr, "idd-perf dma: cannot pin to CPU %d: %s\n", o->cpu,
				strerror(err));
			return -err;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Devices
 */

static int
dev_open(struct bench_dev *bd, enum engine engine, const struct options *o)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vconf = {
		.direction = IDD_DMA_DIR_MEM_TO_MEM,
		.nb_desc = (uint16_t)o->ring,
	};
	struct idd_dma_info info;
	char name[32], args[64];
	int ret;

	snprintf(name, sizeof(name), "idd-perf-%s", engine_names[engine]);
	if (engine == ENGINE_THREAD && o->worker_cpu >= 0)
		snprintf(args, sizeof(args), "engine=thread,cpu=%d", o->worker_cpu);
	else
		snprintf(args, sizeof(args), "engine=%s", engine_names[engine]);

	ret = idd_dma_dev_create(name, args);
	if (ret < 0) {
		fprintf(stderr, "idd-perf dma: cannot create device '%s' (%s): %s\n", name, args,
			strerror(-ret));
		return ret;
	}
	bd->dev_id = (int16_t)ret;
	bd->engine = engine;
	bd->next_idx = 0;
	bd->next_cpl = 0;
	bd->ring = (uint16_t)o->ring;

	ret = idd_dma_info_get(bd->dev_id, &info);
	if (ret < 0) {
		fprintf(stderr, "idd-perf dma: %s: info_get: %s\n", name, strerror(-ret));
		goto fail;
	}
	if (!(info.dev_capa & IDD_DMA_CAPA_OPS_COPY) || !(info.dev_capa & IDD_DMA_CAPA_MEM_TO_MEM)) {
		fprintf(stderr, "idd-perf dma: %s cannot copy memory to memory\n", name);
		ret = -ENOTSUP;
		goto fail;
	}
	if (o->ring < info.min_desc || o->ring > info.max_desc) {
		fprintf(stderr, "idd-perf dma: --ring %u outside the device's range %u..%u\n",
			o->ring, info.min_desc, info.max_desc);
		ret = -EINVAL;
		goto fail;
	}
	ret = idd_dma_configure(bd->dev_id, &conf);
	if (ret < 0) {
		fprintf(stderr, "idd-perf dma: %s: configure: %s\n", name, strerror(-ret));
		goto fail;
	}
	ret = idd_dma_vchan_setup(bd->dev_id, 0, &vconf);
	if (ret < 0) {
		fprintf(stderr, "idd-perf dma: %s: vchan setup (ring %u): %s\n", name, o->ring,
			strerror(-ret));
		goto fail;
	}
	ret = idd_dma_start(bd->dev_id);
	if (ret < 0) {
		fprintf(stderr, "idd-perf dma: %s: start: %s\n", name, strerror(-ret));
		goto fail;
	}
	return 0;

fail:
	idd_dma_close(bd->dev_id);
	bd->dev_id = -1;
	return ret;
}

static int
dev_close(struct bench_dev *bd)
{
	int ret = 0, r;

	if (bd->dev_id < 0)
		return 0;
	r = idd_dma_stop(bd->dev_id);
	if (r < 0) {
		fprintf(stderr, "idd-perf dma: stop %s device: %s\n", engine_names[bd->engine],
			strerror(-r));
		ret = r;
	}
	r = idd_dma_close(bd->dev_id);
	if (r < 0) {
		fprintf(stderr, "idd-perf dma: close %s device: %s\n", engine_names[bd->engine],
			strerror(-r));
		ret = r;
	}
	bd->dev_id = -1;
	return ret;
}

/* ------------------------------------------------------------------------
 * The measured loops
 */

static inline void
cursor_reset(struct cursor *cu)
{
	cu->off = 0;
	cu->used = 0;
}

static inline idd_iova_t
cursor_src(const struct cursor *cu)
{
	return (idd_iova_t)(uintptr_t)(cu->src + cu->off);
}

static inline idd_iova_t
cursor_dst(const struct cursor *cu)
{
	return (idd_iova_t)(uintptr_t)(cu->dst + cu->off);
}

static inline void
cursor_advance(struct cursor *cu)
{
	cu->off += cu->stride;
	if (cu->off == cu->end)
		cu->off = 0;
	cu->used++;
}

/* Slots written since the last reset. */
static inline size_t
cursor_touched(const struct cursor *cu)
{
	return cu->used < cu->nslots ? (size_t)cu->used : cu->nslots;
}

/* Called when idd_dma_completed() stopped at a failed operation: fetch its
 * status and report it. Always returns -EIO. */
static int __attribute__((cold))
report_failure(const struct bench_dev *bd)
{
	enum idd_dma_status_code status[1];
	uint16_t last = 0;
	uint16_t n = idd_dma_completed_status(bd->dev_id, 0, 1, &last, status);

	if (n == 1)
		fprintf(stderr, "idd-perf dma: %s engine: copy %u completed with status %d\n",
			engine_names[bd->engine], last, (int)status[0]);
	else
		fprintf(stderr,
			"idd-perf dma: %s engine: completed() reported an error that "
			"completed_status() does not show\n",
			engine_names[bd->engine]);
	return -EIO;
}

/* Say why an enqueue did not return the expected ring_idx. Returns 0 for
 * a full ring, else a negative errno. */
static int __attribute__((cold, noinline))
enqueue_refused(const struct bench_dev *bd, int ret, uint16_t expected, uint32_t size)
{
	if (ret == -ENOSPC)
		return 0;
	if (ret < 0)
		fprintf(stderr, "idd-perf dma: %s engine: enqueue of a %" PRIu32 "-byte copy: %s\n",
			engine_names[bd->engine], size, strerror(-ret));
	else
		fprintf(stderr, "idd-perf dma: %s engine: copy got ring_idx %d, expected %u\n",
			engine_names[bd->engine], ret, expected);
	return ret < 0 ? ret : -EPROTO;
}

/* Enqueue one copy; checks the ring_idx it gets. Returns 1 when the copy
 * was enqueued, 0 when the ring is full, a negative errno on failure. */
static int
enqueue_one(struct bench_dev *bd, struct cursor *cu, uint32_t size)
{
	int ret = idd_dma_copy(bd->dev_id, 0, cursor_src(cu), cursor_dst(cu), size, 0);

	if (ret != bd->next_idx)
		return enqueue_refused(bd, ret, bd->next_idx, size);
	bd->next_idx++;
	cursor_advance(cu);
	return 1;
}

static inline int
submit(const struct bench_dev *bd)
{
	int ret = idd_dma_submit(bd->dev_id, 0);

	if (__builtin_expect(ret != 0, 0))
		fprintf(stderr, "idd-perf dma: %s engine: submit: %s\n", engine_names[bd->engine],
			strerror(ret < 0 ? -ret : ret));
	return ret;
}

/* Collect finished copies and check that they are the next ones in ring
 * order. Returns how many, or a negative errno; adds them to *done. */
static inline int
collect(struct bench_dev *bd, uint64_t *done)
{
	uint16_t last = 0;
	bool err = false;
	uint16_t n = idd_dma_completed(bd->dev_id, 0, bd->ring, &last, &err);

	if (__builtin_expect(err, 0) && n == 0)
		return report_failure(bd);
	if (n == 0)
		return 0;
	if (__builtin_expect(last != (uint16_t)(bd->next_cpl + n - 1), 0)) {
		fprintf(stderr,
			"idd-perf dma: %s engine: %u completions ended at ring_idx %u, expected "
			"%u\n",
			engine_names[bd->engine], n, last, (uint16_t)(bd->next_cpl + n - 1));
		return -EPROTO;
	}
	bd->next_cpl = (uint16_t)(bd->next_cpl + n);
	*done += n;
	return n;
}

struct loop_params {
	uint32_t size;
	unsigned int burst;     /* copies per submit */
	uint64_t inflight_max;  /* thread engine: most copies outstanding */
	unsigned int iters_per_check;
};

/*
 * Run copies for @duration seconds (then drain what is in flight) and
 * report how many completed and how long it took, drain included.
 */
static int
dma_loop(struct bench_dev *bd, struct cursor *cursor, const struct loop_params *p,
	 double duration, uint64_t *ops, double *secs)
{
	struct cursor cu = *cursor;
	const int16_t dev_id = bd->dev_id;
	const uint32_t size = p->size;
	const unsigned int burst = p->burst;
	const bool fill = bd->engine == ENGINE_THREAD;
	uint16_t idx = bd->next_idx;
	uint64_t enq = 0, done = 0;
	double t0 = perf_now(), deadline = t0 + duration, t1;
	int ret = 0;

	for (;;) {
		for (unsigned int it = 0; it < p->iters_per_check; it++) {
			uint64_t room = burst;

			if (fill) {
				uint64_t cap = idd_dma_burst_capacity(dev_id, 0);
				uint64_t space = p->inflight_max - (enq - done);

				room = cap < space ? cap : space;
				/* Whole bursts only, unless nothing is in flight. */
				if (room >= burst || enq != done)
					room -= room % burst;
			}
			while (room != 0) {
				unsigned int n = room < burst ? (unsigned int)room : burst, j;

				for (j = 0; j < n; j++) {
					ret = idd_dma_copy(dev_id, 0, cursor_src(&cu), cursor_dst(&cu),
							   size, 0);
					if (__builtin_expect(ret != idx, 0))
						break;
					idx++;
					cursor_advance(&cu);
				}
				enq += j;
				if (j != 0 && submit(bd) != 0)
					return -EIO;
				if (j != n) {
					ret = enqueue_refused(bd, ret, idx, size);
					if (ret < 0)
						return ret;
					break; /* ring full: collect first */
				}
				room -= n;
			}
			bd->next_idx = idx;
			ret = collect(bd, &done);
			if (ret < 0)
				return ret;
			/* Nothing to do but wait for the worker: wait politely, so
			 * that the lines it writes are not pulled away each time. */
			if (ret == 0 && room == 0)
				perf_cpu_relax();
		}
		if (perf_now() >= deadline)
			break;
	}
	/* Drain. Every enqueued copy was submitted. */
	while (done != enq) {
		ret = collect(bd, &done);
		if (ret < 0)
			return ret;
		if (ret == 0 && perf_now() > deadline + STALL_SECONDS) {
			fprintf(stderr,
				"idd-perf dma: %s engine: %" PRIu64 " of %" PRIu64
				" copies still not complete after %.0f s\n",
				engine_names[bd->engine], enq - done, enq, STALL_SECONDS);
			return -ETIMEDOUT;
		}
	}
	t1 = perf_now();
	*cursor = cu;
	*ops = done;
	*secs = t1 - t0;
	return 0;
}

static void
memcpy_loop(struct cursor *cursor, const struct loop_params *p, double duration, uint64_t *ops,
	    double *secs)
{
	struct cursor cu = *cursor;
	const unsigned int per_check = p->iters_per_check * p->burst;
	const size_t size = p->size;
	uint64_t n = 0;
	double t0 = perf_now(), deadline = t0 + duration, t1;

	for (;;) {
		for (unsigned int i = 0; i < per_check; i++) {
			memcpy_fn(cu.dst + cu.off, cu.src + cu.off, size);
			cursor_advance(&cu);
		}
		n += per_check;
		t1 = perf_now();
		if (t1 >= deadline)
			break;
	}
	*cursor = cu;
	*ops = n;
	*secs = t1 - t0;
}

/* ------------------------------------------------------------------------
 * Data checks
 */

static uint8_t
fill_byte(unsigned int case_no)
{
	/* Never equal for two consecutive cases. */
	return (uint8_t)(0x5a ^ (case_no * 0x25u));
}

/* Every destination slot written since the last reset equals its source,
 * and the gap after it (when the stride leaves one) still holds @fill. */
static int
verify_slots(const struct cursor *cu, uint32_t size, uint8_t fill, const char *what)
{
	size_t touched = cursor_touched(cu);

	for (size_t s = 0; s < touched; s++) {
		const char *src = cu->src + s * cu->stride;
		const char *dst = cu->dst + s * cu->stride;

		if (memcmp(src, dst, size) != 0) {
			size_t i = 0;

			while (src[i] == dst[i])
				i++;
			fprintf(stderr,
				"idd-perf dma: %s: destination slot %zu differs from its source at "
				"byte %zu (0x%02x, expected 0x%02x)\n",
				what, s, i, (unsigned char)dst[i], (unsigned char)src[i]);
			return -EIO;
		}
		if (cu->stride > size && (uint8_t)dst[size] != fill) {
			fprintf(stderr,
				"idd-perf dma: %s: a %" PRIu32 "-byte copy wrote past its end "
				"(slot %zu)\n",
				what, size, s);
			return -EIO;
		}
	}
	return 0;
}

/* The first copy of a case, alone, checked before the clock starts. */
static int
first_copy(struct bench_dev *bd, struct cursor *cu, uint32_t size, uint8_t fill)
{
	enum idd_dma_status_code status[1];
	uint16_t idx = bd->next_idx, last = 0;
	double deadline = perf_now() + STALL_SECONDS;
	uint16_t n;
	int ret;

	ret = enqueue_one(bd, cu, size);
	if (ret == 0) {
		fprintf(stderr, "idd-perf dma: %s engine: ring full before the first copy\n",
			engine_names[bd->engine]);
		return -ENOSPC;
	}
	if (ret < 0)
		return ret;
	if (submit(bd) != 0)
		return -EIO;
	while ((n = idd_dma_completed_status(bd->dev_id, 0, 1, &last, status)) == 0) {
		if (perf_now() > deadline) {
			fprintf(stderr, "idd-perf dma: %s engine: first copy not complete after %.0f s\n",
				engine_names[bd->engine], STALL_SECONDS);
			return -ETIMEDOUT;
		}
	}
	if (last != idx || status[0] != IDD_DMA_STATUS_SUCCESSFUL) {
		fprintf(stderr,
			"idd-perf dma: %s engine: first copy (ring_idx %u) completed as ring_idx "
			"%u with status %d\n",
			engine_names[bd->engine], idx, last, (int)status[0]);
		return -EIO;
	}
	bd->next_cpl = (uint16_t)(idx + 1);
	return verify_slots(cu, size, fill, "first copy");
}

/* ------------------------------------------------------------------------
 * Cases
 */

struct bench {
	struct options opt;
	struct bench_dev devs[NB_ENGINES];
	char *mem;
	size_t mem_len;
	char *src;  /* first half of mem */
	char *dst;  /* second half */
	size_t half;
	struct result *results;
	unsigned int nb_cases;
	unsigned int nb_done;
	/* Cache line round trip between the caller's and the worker's CPU,
	 * just before and just after the thread engine's cases (-1: not
	 * measured). */
	double round_trip_ns[2];
};

static struct loop_params
loop_params(const struct options *o, uint32_t size)
{
	struct loop_params p = {.size = size};
	uint64_t burst_max = BURST_BYTES / size;
	uint64_t check_ops = CHECK_BYTES / size;
	uint64_t inflight = INFLIGHT_BYTES / size;

	p.burst = o->burst;
	if (burst_max == 0)
		burst_max = 1;
	if (p.burst > burst_max)
		p.burst = (unsigned int)burst_max;
	if (inflight < 2 * (uint64_t)p.burst)
		inflight = 2 * (uint64_t)p.burst;
	if (inflight > o->ring)
		inflight = o->ring;
	p.inflight_max = inflight;
	if (check_ops > CHECK_OPS_MAX)
		check_ops = CHECK_OPS_MAX;
	p.iters_per_check = (unsigned int)(check_ops / p.burst);
	if (p.iters_per_check == 0)
		p.iters_per_check = 1;
	return p;
}

static void
progress(const struct bench *b, unsigned int case_no, const struct result *r)
{
	char size[32];

	if (b->opt.quiet)
		return;
	perf_format_size(size, sizeof(size), r->size);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K[case %u/%u] %s engine, %s, %s copies ...", case_no + 1,
			b->nb_cases, engine_names[r->engine], regime_names[r->regime], size);
	else
		fprintf(stderr, "[case %u/%u] %s engine, %s, %s copies\n", case_no + 1,
			b->nb_cases, engine_names[r->engine], regime_names[r->regime], size);
	fflush(stderr);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One case: rounds of (DMA, then memcpy) on the same buffers, in the same
 * order, so that both sides see the same machine; each side's figure is the
 * median of its rounds. Before every DMA round the destinations are reset,
 * and after it every slot it wrote is checked, before memcpy (which writes
 * the same, correct, bytes) could hide a wrong one.
 */
static int
run_case(struct bench *b, unsigned int case_no, struct result *r)
{
	const struct options *o = &b->opt;
	struct bench_dev *bd = &b->devs[r->engine];
	struct loop_params p = loop_params(o, r->size);
	size_t stride = ((size_t)r->size + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
	size_t nslots = r->regime == REGIME_CACHED ? 1 : b->half / stride;
	struct cursor cu = {
		.src = b->src,
		.dst = b->dst,
		.stride = stride,
		.nslots = nslots,
		.end = nslots * stride,
	};
	double round_secs = o->duration / o->rounds;
	double warm = o->duration / 10 < 0.01 ? 0.01 : o->duration / 10;
	double dma_rate[MAX_ROUNDS], mem_rate[MAX_ROUNDS];
	uint8_t fill = fill_byte(case_no);
	size_t dirty = cu.nslots; /* slots to reset: all, the first time */
	uint64_t ops;
	double secs;
	int ret = 0;

	r->burst = p.burst;
	progress(b, case_no, r);

	for (unsigned int round = 0; round < o->rounds && ret == 0; round++) {
		/* Fresh destinations, so that stale data cannot pass the checks. */
		memset(cu.dst, fill, dirty * cu.stride);
		cursor_reset(&cu);
		if (round == 0) {
			ret = first_copy(bd, &cu, r->size, fill);
			if (ret == 0)
				ret = dma_loop(bd, &cu, &p, warm, &ops, &secs);
		}
		if (ret == 0)
			ret = dma_loop(bd, &cu, &p, round_secs, &ops, &secs);
		if (ret == 0)
			ret = verify_slots(&cu, r->size, fill, "after a measured run");
		if (ret != 0)
			break;
		dma_rate[round] = (double)ops / secs;
		r->ops += ops;
		r->secs += secs;
		dirty = cursor_touched(&cu);

		cursor_reset(&cu);
		if (round == 0)
			memcpy_loop(&cu, &p, warm, &ops, &secs);
		memcpy_loop(&cu, &p, round_secs, &ops, &secs);
		mem_rate[round] = (double)ops / secs;
		if (cursor_touched(&cu) > dirty)
			dirty = cursor_touched(&cu);
	}
	if (ret != 0) {
		char size[32];

		perf_format_size(size, sizeof(size), r->size);
		fprintf(stderr, "idd-perf dma: case %u (%s engine, %s, %s) failed\n", case_no + 1,
			engine_names[r->engine], regime_names[r->regime], size);
		return ret;
	}
	r->mops = median(dma_rate, o->rounds) / 1e6;
	r->gbps = r->mops * 1e6 * r->size / 1e9;
	r->memcpy_gbps = median(mem_rate, o->rounds) * r->size / 1e9;
	r->ratio = r->gbps / r->memcpy_gbps;
	return 0;
}

static int
alloc_memory(struct bench *b)
{
	const struct options *o = &b->opt;
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	if (o->working_set > SIZE_MAX / 2) {
		fprintf(stderr, "idd-perf dma: --working-set too large\n");
		return -EINVAL;
	}
	b->half = (size_t)(o->working_set / 2) / SLOT_ALIGN * SLOT_ALIGN;
	b->mem_len = 2 * b->half;
	b->mem = mmap(NULL, b->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->mem == MAP_FAILED) {
		int err = errno;
		char have[32];

		b->mem = NULL;
		perf_format_size(have, sizeof(have), b->mem_len);
		fprintf(stderr, "idd-perf dma: cannot map %s of buffers: %s\n", have,
			strerror(err));
		return -err;
	}
	/* A hint only: huge pages help memcpy and the engine alike. */
	(void)madvise(b->mem, b->mem_len, MADV_HUGEPAGE);
	b->src = b->mem;
	b->dst = b->mem + b->half;

	/* Sources: pseudo-random bytes (xorshift64), touched once here. */
	for (size_t off = 0; off < b->half; off += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b->src + off, &x, sizeof(x));
	}
	memset(b->dst, 0, b->half);
	return 0;
}

/* ------------------------------------------------------------------------
 * Output
 */

static void
print_table(const struct bench *b, FILE *f)
{
	const struct options *o = &b->opt;
	char ws[32], cpu[24], wcpu[24];

	perf_format_size(ws, sizeof(ws), o->working_set);
	perf_format_cpu(cpu, sizeof(cpu), o->cpu);
	perf_format_cpu(wcpu, sizeof(wcpu), o->worker_cpu);
	fprintf(f,
		"idd-perf dma, idd %s: ring %u, burst %u, %g s per case and side in %u round%s "
		"(median)\n",
		idd_version(), o->ring, o->burst, o->duration, o->rounds, o->rounds == 1 ? "" : "s");
	/* The working set means nothing to the cached regime alone. */
	fprintf(f, "caller %s, thread engine worker %s%s%s\n", cpu, wcpu,
		o->regimes[REGIME_ROTATING] ? ", rotating working set " : "",
		o->regimes[REGIME_ROTATING] ? ws : "");
	if (b->round_trip_ns[0] >= 0 && b->round_trip_ns[1] >= 0)
		fprintf(f,
			"cache line round trip between cpu %d and cpu %d: %.0f ns before the "
			"thread engine's cases, %.0f ns after\n",
			o->cpu, o->worker_cpu, b->round_trip_ns[0], b->round_trip_ns[1]);
	fprintf(f, "GB/s = 10^9 bytes per second; ratio = GB/s / memcpy GB/s on the same buffers\n\n");
	fprintf(f, "%4s  %-6s  %-8s  %8s  %5s  %9s  %8s  %11s  %6s\n", "case", "engine", "regime",
		"size", "burst", "Mops/s", "GB/s", "memcpy GB/s", "ratio");
	for (unsigned int i = 0; i < b->nb_done; i++) {
		const struct result *r = &b->results[i];
		char size[32];

		perf_format_size(size, sizeof(size), r->size);
		fprintf(f, "%4u  %-6s  %-8s  %8s  %5u  %9.*f  %8.2f  %11.2f  %6.3f\n", i + 1,
			engine_names[r->engine], regime_names[r->regime], size, r->burst,
			r->mops >= 10 ? 2 : 4, r->mops, r->gbps, r->memcpy_gbps, r->ratio);
	}
}

/* The speed targets of the foundation issue, against this run's figures. */
static void
print_targets(const struct bench *b, FILE *f)
{
	static const double mops_target[NB_ENGINES] = {100.0, 40.0};
	const double ratio_target = 0.9;
	bool header = false;

	for (int e = 0; e < NB_ENGINES; e++) {
		for (int g = 0; g < NB_REGIMES; g++) {
			for (unsigned int i = 0; i < b->nb_done; i++) {
				const struct result *r = &b->results[i];

				if (r->size != 64 || (int)r->engine != e || (int)r->regime != g ||
				    r->burst != 32)
					continue;
				if (!header)
					fprintf(f, "\nTargets:\n");
				header = true;
				fprintf(f,
					"  64 B copies, %-6s engine, %-8s  %7.1f Mops/s  (target %.0f; "
					"memcpy %.1f): %s\n",
					engine_names[e], regime_names[g], r->mops, mops_target[e],
					r->memcpy_gbps * 1e9 / 64 / 1e6,
					r->mops >= mops_target[e] ? "met" : "MISSED");
			}
		}
	}
	for (int e = 0; e < NB_ENGINES; e++) {
		for (int g = 0; g < NB_REGIMES; g++) {
			const struct result *worst = NULL;

			for (unsigned int i = 0; i < b->nb_done; i++) {
				const struct result *r = &b->results[i];

				if (r->size < MIB || (int)r->engine != e || (int)r->regime != g)
					continue;
				if (worst == NULL || r->ratio < worst->ratio)
					worst = r;
			}
			if (worst == NULL)
				continue;
			if (!header)
				fprintf(f, "\nTargets:\n");
			header = true;
			{
				char size[32];

				perf_format_size(size, sizeof(size), worst->size);
				fprintf(f,
					"  >= 1 MiB copies, %-6s engine, %-8s  lowest ratio %.3f at "
					"%s  (target %.1f): %s\n",
					engine_names[e], regime_names[g], worst->ratio, size,
					ratio_target, worst->ratio >= ratio_target ? "met" : "MISSED");
			}
		}
	}
}

static int
write_csv(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");
	int err;

	if (f == NULL) {
		err = errno;
		fprintf(stderr, "idd-perf dma: cannot open %s: %s\n", path, strerror(err));
		return -err;
	}
	fprintf(f, "case,engine,regime,size,burst,ring,ops,seconds,mops,gbps,memcpy_gbps,ratio\n");
	for (unsigned int i = 0; i < b->nb_done; i++) {
		const struct result *r = &b->results[i];

		fprintf(f, "%u,%s,%s,%" PRIu32 ",%u,%u,%" PRIu64 ",%.6f,%.4f,%.4f,%.4f,%.4f\n",
			i + 1, engine_names[r->engine], regime_names[r->regime], r->size, r->burst,
			b->opt.ring, r->ops, r->secs, r->mops, r->gbps, r->memcpy_gbps, r->ratio);
	}
	if (ferror(f)) {
		fclose(f);
		fprintf(stderr, "idd-perf dma: error writing %s\n", path);
		return -EIO;
	}
	if (fclose(f) != 0) {
		err = errno;
		fprintf(stderr, "idd-perf dma: error writing %s: %s\n", path, strerror(err));
		return -err;
	}
	return 0;
}

static void
print_json(const struct bench *b, FILE *f)
{
	const struct options *o = &b->opt;

	fprintf(f, "{\n  \"tool\": \"idd-perf\",\n  \"subcommand\": \"dma\",\n");
	fprintf(f, "  \"version\": \"%s\",\n", idd_version());
	fprintf(f,
		"  \"params\": {\"ring\": %u, \"burst\": %u, \"duration\": %g, \"rounds\": %u, "
		"\"working_set\": %" PRIu64 ", \"cpu\": %d, \"worker_cpu\": %d},\n",
		o->ring, o->burst, o->duration, o->rounds, o->working_set, o->cpu, o->worker_cpu);
	fprintf(f, "  \"round_trip_ns\": ");
	if (b->round_trip_ns[0] >= 0 && b->round_trip_ns[1] >= 0)
		fprintf(f, "[%.1f, %.1f],\n", b->round_trip_ns[0], b->round_trip_ns[1]);
	else
		fprintf(f, "null,\n");
	fprintf(f, "  \"results\": [");
	for (unsigned int i = 0; i < b->nb_done; i++) {
		const struct result *r = &b->results[i];

		fprintf(f,
			"%s\n    {\"case\": %u, \"engine\": \"%s\", \"regime\": \"%s\", "
			"\"size\": %" PRIu32 ", \"burst\": %u, \"ops\": %" PRIu64
			", \"seconds\": %.6f, \"mops\": %.4f, \"gbps\": %.4f, "
			"\"memcpy_gbps\": %.4f, \"ratio\": %.4f}",
			i == 0 ? "" : ",", i + 1, engine_names[r->engine], regime_names[r->regime],
			r->size, r->burst, r->ops, r->secs, r->mops, r->gbps, r->memcpy_gbps,
			r->ratio);
	}
	fprintf(f, "\n  ]\n}\n");
}

/* ------------------------------------------------------------------------
 * Entry point
 */

int
perf_dma_main(int argc, char **argv)
{
	struct bench b = {.devs = {{.dev_id = -1}, {.dev_id = -1}}, .round_trip_ns = {-1, -1}};
	struct options *o = &b.opt;
	int ret;

	ret = parse_options(argc, argv, o);
	if (ret > 0)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "Try 'idd-perf dma --help'.\n");
		return 2;
	}

	for (int e = 0; e < NB_ENGINES; e++)
		for (int g = 0; g < NB_REGIMES; g++)
			if (o->engines[e] && o->regimes[g])
				b.nb_cases += o->nb_sizes;
	b.results = calloc(b.nb_cases, sizeof(*b.results));
	if (b.results == NULL) {
		fprintf(stderr, "idd-perf dma: out of memory\n");
		return 1;
	}

	ret = setup_cpus(o);
	if (ret == 0)
		ret = alloc_memory(&b);
	/* One device at a time, so that an idle worker thread never competes
	 * with the inline engine's cases. */
	for (int e = 0; e < NB_ENGINES && ret == 0; e++) {
		if (!o->engines[e])
			continue;
		/* Every descriptor of the thread engine travels between these
		 * two CPUs: on a virtual machine their distance can change
		 * during the run, so it is taken on both sides of the cases. */
		if (e == ENGINE_THREAD)
			b.round_trip_ns[0] = core_round_trip_ns(o->cpu, o->worker_cpu);
		ret = dev_open(&b.devs[e], (enum engine)e, o);
		for (int g = 0; g < NB_REGIMES && ret == 0; g++) {
			if (!o->regimes[g])
				continue;
			for (unsigned int s = 0; s < o->nb_sizes && ret == 0; s++) {
				struct result *r = &b.results[b.nb_done];

				r->engine = (enum engine)e;
				r->regime = (enum regime)g;
				r->size = o->sizes[s];
				ret = run_case(&b, b.nb_done, r);
				if (ret == 0)
					b.nb_done++;
			}
		}
		if (dev_close(&b.devs[e]) != 0 && ret == 0)
			ret = -EIO;
		if (e == ENGINE_THREAD && ret == 0)
			b.round_trip_ns[1] = core_round_trip_ns(o->cpu, o->worker_cpu);
	}
	if (!o->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");

	for (int e = 0; e < NB_ENGINES; e++)
		if (dev_close(&b.devs[e]) != 0 && ret == 0)
			ret = -EIO;
	if (b.mem != NULL)
		munmap(b.mem, b.mem_len);

	if (ret == 0) {
		if (o->json) {
			print_json(&b, stdout);
		} else {
			print_table(&b, stdout);
			print_targets(&b, stdout);
		}
		if (o->csv != NULL)
			ret = write_csv(&b, o->csv);
	}
	free(b.results);
	if (fflush(stdout) != 0 && ret == 0) {
		fprintf(stderr, "idd-perf dma: error writing the results: %s\n", strerror(errno));
		ret = -EIO;
	}
	if (ret != 0) {
		fprintf(stderr, "idd-perf dma: FAILED\n");
		return 1;
	}
	return 0;
}
