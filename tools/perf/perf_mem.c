/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idd-perf mem: the shareable-memory figures.
 *
 *  - idd_mem_alloc/idd_mem_free against glibc malloc/free, same sizes, same
 *    patterns, same run: ns per alloc+free pair and the ratio;
 *  - address translation in a table of N windows (default 1,000): random
 *    addresses across all windows, consecutive lookups in one window, and
 *    misses, in ns per lookup.
 *
 * The translation figures use the engine's own code: the inline
 * mem_wt_translate() on a table built by mem_wt_insert(), inside one
 * read-side section (an engine takes one per burst).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_log.h>
#include <idd/idd_mem.h>

#include "mem/window_table.h"
#include "perf.h"
#include "perf_case.h"
#include "perf_measure.h"

struct opts {
	uint64_t iters;     /* alloc+free pairs per case */
	uint64_t lookups;   /* translations per case */
	unsigned int windows;
	unsigned int batch;
	unsigned int threads;
	unsigned int repeat;
	uint32_t sizes[PERF_MAX_SIZES];
	unsigned int nsizes;
	int csv;
};

static void *volatile sink;
static volatile uint64_t sink64;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: idd-perf mem [options]\n"
		"\n"
		"Measures idd's shareable memory:\n"
		"  alloc   idd_mem_alloc+idd_mem_free against malloc+free, in ns per pair,\n"
		"          for each size, in two patterns: 'pair' (free right after alloc)\n"
		"          and 'batch' (alloc --batch blocks, then free them all);\n"
		"          ratio = idd / glibc (below 1: idd is faster).\n"
		"  xlate   translation of (address, 64 bytes) in a table of --windows\n"
		"          windows, in ns per lookup: random addresses over all windows,\n"
		"          consecutive addresses in one window (the last-hit cache), and\n"
		"          addresses in no window (misses).\n"
		"\n"
		"options (N may end in K, M or G: 1024, 1024^2, 1024^3):\n"
		"  --iters N      alloc+free pairs per case, --batch..2^40 (default 1000000)\n"
		"  --lookups N    translations per case, 1..2^40 (default 10000000)\n"
		"  --windows N    windows in the translation table, 1..1000000\n"
		"                 (default 1000)\n"
		"  --batch N      blocks per batch in the 'batch' pattern, 1..1000000\n"
		"                 (default 256)\n"
		"  --sizes LIST   allocation sizes: SIZE or LO-HI (LO, 2*LO, ... up to HI),\n"
		"                 comma-separated, 1 byte to 1G (default 64,256,1K,4K)\n"
		"  --threads N    run the alloc cases on N threads at once, 1..1024;\n"
		"                 figures are per thread (default 1)\n"
		"  --repeat N     run every case N times, 1..1000, idd and glibc in turn,\n"
		"                 and report the fastest run of each (default 5): the\n"
		"                 figure least disturbed by other work on the machine\n"
		"  --csv          print CSV (test,size,pattern,threads,idd_ns,glibc_ns,ratio)\n"
		"  -h, --help     this text\n");
}

/* A count from 1 to @max; the size suffixes are allowed (1M pairs). */
static int
parse_count(const char *opt, const char *arg, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (perf_parse_bytes(arg, &v) != 0 || v < 1 || v > max) {
		fprintf(stderr, "idd-perf mem: --%s: '%s' is not a number from 1 to %" PRIu64 "\n",
			opt, arg, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* --- allocator --- */

struct alloc_case {
	const struct opts *o;
	size_t size;
	int batch;       /* 0: pair pattern */
	int use_idd;
	pthread_barrier_t *start;
	double ns;       /* out: per pair */
	int failed;
};

static void *
run_alloc_case(void *arg)
{
	struct alloc_case *c = arg;
	unsigned int batch = c->batch ? c->o->batch : 1;
	uint64_t rounds = c->o->iters / batch;
	void **blocks = malloc(batch * sizeof(*blocks));

	if (blocks == NULL || rounds == 0) {
		c->failed = 1;
		free(blocks);
		return NULL;
	}
	/* Warm up: segments, slabs, caches, glibc's arenas. */
	for (unsigned int i = 0; i < batch; i++) {
		blocks[i] = c->use_idd ? idd_mem_alloc(c->size, IDD_MEM_PEER_RW) : malloc(c->size);
		if (blocks[i] == NULL)
			c->failed = 1;
	}
	for (unsigned int i = 0; i < batch; i++) {
		if (c->use_idd)
			idd_mem_free(blocks[i]);
		else
			free(blocks[i]);
	}
	if (c->start != NULL)
		pthread_barrier_wait(c->start);
	double t0 = perf_now();
	if (c->use_idd) {
		for (uint64_t r = 0; r < rounds; r++) {
			for (unsigned int i = 0; i < batch; i++)
				blocks[i] = idd_mem_alloc(c->size, IDD_MEM_PEER_RW);
			sink = blocks[0];
			for (unsigned int i = 0; i < batch; i++)
				idd_mem_free(blocks[i]);
		}
	} else {
		for (uint64_t r = 0; r < rounds; r++) {
			for (unsigned int i = 0; i < batch; i++)
				blocks[i] = malloc(c->size);
			sink = blocks[0];
			for (unsigned int i = 0; i < batch; i++)
				free(blocks[i]);
		}
	}
	c->ns = (perf_now() - t0) * 1e9 / (double)(rounds * batch);
	free(blocks);
	return NULL;
}

/* Run one case on o->threads threads; the per-thread mean. */
static int
alloc_case(const struct opts *o, size_t size, int batch, int use_idd, double *ns)
{
	unsigned int n = o->threads;
	struct alloc_case *cases = calloc(n, sizeof(*cases));
	pthread_t *th = calloc(n, sizeof(*th));
	pthread_barrier_t start;
	int ret = 0;

	if (cases == NULL || th == NULL) {
		free(cases);
		free(th);
		return -1;
	}
	pthread_barrier_init(&start, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		cases[i] = (struct alloc_case){o, size, batch, use_idd, n > 1 ? &start : NULL, 0, 0};
		if (n == 1)
			run_alloc_case(&cases[0]);
		else if (pthread_create(&th[i], NULL, run_alloc_case, &cases[i]) != 0)
			abort(); /* the barrier would wait forever */
	}
	*ns = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (n > 1)
			pthread_join(th[i], NULL);
		if (cases[i].failed)
			ret = -1;
		*ns += cases[i].ns / n;
	}
	pthread_barrier_destroy(&start);
	free(cases);
	free(th);
	return ret;
}

static int
bench_alloc(const struct opts *o)
{
	static const char *const pattern[] = {"pair", "batch"};

	if (!o->csv)
		printf("alloc+free, ns per pair (%u thread%s)\n"
		       "  %8s  %-6s  %9s  %9s  %9s\n", o->threads, o->threads > 1 ? "s" : "",
		       "size", "pattern", "idd", "glibc", "idd/glibc");
	for (unsigned int s = 0; s < o->nsizes; s++) {
		for (int b = 0; b < 2; b++) {
			double idd = 0, glibc = 0;

			for (unsigned int r = 0; r < o->repeat; r++) {
				double i_ns, g_ns;

				if (alloc_case(o, o->sizes[s], b, 1, &i_ns) != 0 ||
				    alloc_case(o, o->sizes[s], b, 0, &g_ns) != 0) {
					fprintf(stderr,
						"idd-perf mem: allocation of %" PRIu32 " bytes failed\n",
						o->sizes[s]);
					return -1;
				}
				if (r == 0 || i_ns < idd)
					idd = i_ns;
				if (r == 0 || g_ns < glibc)
					glibc = g_ns;
			}
			if (o->csv)
				printf("alloc,%" PRIu32 ",%s,%u,%.2f,%.2f,%.3f\n", o->sizes[s], pattern[b],
				       o->threads, idd, glibc, idd / glibc);
			else
				printf("  %8" PRIu32 "  %-6s  %9.2f  %9.2f  %9.2f\n", o->sizes[s],
				       pattern[b], idd, glibc, idd / glibc);
		}
	}
	return 0;
}

/* --- translation --- */

#define NADDR (1u << 16) /* precomputed addresses, cycled */

static uint64_t
rnd64(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
rec_free(struct mem_wt_rec *rec)
{
	free(rec);
}

/* Windows of 4 KiB..1 MiB at random gaps, as a peer's address space might
 * look; nothing is mapped (translation never touches the memory). */
static struct mem_wt *
build_table(unsigned int n, uint64_t *base, uint64_t *len, uint64_t *seed)
{
	struct mem_wt *t = mem_wt_create("perf");
	uint64_t at = UINT64_C(0x7f0000000000);

	if (t == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		struct mem_wt_rec *rec = calloc(1, sizeof(*rec));

		if (rec == NULL)
			goto fail;
		at += (1 + rnd64(seed) % 64) << 12;            /* gap */
		base[i] = at;
		len[i] = (1 + rnd64(seed) % 256) << 12;        /* 4 KiB .. 1 MiB */
		at += len[i];
		*rec = (struct mem_wt_rec){
			.base = base[i], .len = len[i],
			.local = (void *)(uintptr_t)(base[i] - UINT64_C(0x100000000000)),
			.fd = -1, .perms = IDD_MEM_PEER_RW, .release = rec_free,
		};
		if (mem_wt_insert(t, rec) != 0) {
			free(rec);
			goto fail;
		}
	}
	mem_rcu_synchronize(); /* free the snapshots replaced while building */
	return t;
fail:
	mem_wt_destroy(t);
	return NULL;
}

static double
time_lookups_once(struct mem_wt *t, const uint64_t *addr, uint64_t lookups, uint64_t *hits)
{
	struct mem_wt_cache cache;
	uint64_t sum = 0, hit = 0;

	mem_wt_cache_init(&cache);
	mem_rcu_read_lock();
	double t0 = perf_now();
	for (uint64_t i = 0; i < lookups; i++) {
		void *p = mem_wt_translate(t, &cache, addr[i & (NADDR - 1)], 64, MEM_ACCESS_WRITE);

		sum += (uintptr_t)p;
		hit += p != NULL;
	}
	double ns = (perf_now() - t0) * 1e9 / (double)lookups;
	mem_rcu_read_unlock();
	sink64 = sum;
	*hits = hit;
	return ns;
}

static double
time_lookups(const struct opts *o, struct mem_wt *t, const uint64_t *addr, uint64_t *hits)
{
	double best = 0;

	for (unsigned int r = 0; r < o->repeat; r++) {
		double ns = time_lookups_once(t, addr, o->lookups, hits);

		if (r == 0 || ns < best)
			best = ns;
	}
	return best;
}

static int
bench_translate(const struct opts *o)
{
	unsigned int n = o->windows;
	uint64_t *base = calloc(n, sizeof(*base));
	uint64_t *len = calloc(n, sizeof(*len));
	uint64_t *addr = calloc(NADDR, sizeof(*addr));
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
	struct mem_wt *t = NULL;
	uint64_t hits;
	int ret = -1;

	if (base == NULL || len == NULL || addr == NULL)
		goto out;
	t = build_table(n, base, len, &seed);
	if (t == NULL) {
		fprintf(stderr, "idd-perf mem: building a table of %u windows failed\n", n);
		goto out;
	}
	if (!o->csv)
		printf("translation of 64-byte ranges, %u windows, ns per lookup\n", n);

	/* Random window, random offset: the cache misses nearly always. */
	for (unsigned int i = 0; i < NADDR; i++) {
		unsigned int w = (unsigned int)(rnd64(&seed) % n);

		addr[i] = base[w] + rnd64(&seed) % (len[w] - 63);
	}
	double random_ns = time_lookups(o, t, addr, &hits);
	if (hits != o->lookups) {
		fprintf(stderr, "idd-perf mem: %" PRIu64 " random lookups missed\n",
			o->lookups - hits);
		goto out;
	}

	/* One window, random offsets: the last-hit cache. */
	unsigned int w = n / 2;
	for (unsigned int i = 0; i < NADDR; i++)
		addr[i] = base[w] + rnd64(&seed) % (len[w] - 63);
	double same_ns = time_lookups(o, t, addr, &hits);
	if (hits != o->lookups) {
		fprintf(stderr, "idd-perf mem: same-window lookups missed\n");
		goto out;
	}

	/* Ranges that cross a window's end: full search, then a miss. */
	for (unsigned int i = 0; i < NADDR; i++) {
		unsigned int k = (unsigned int)(rnd64(&seed) % n);

		addr[i] = base[k] + len[k] - 32;
	}
	double miss_ns = time_lookups(o, t, addr, &hits);
	if (hits != 0) {
		fprintf(stderr, "idd-perf mem: a range crossing a window's end was translated\n");
		goto out;
	}
	if (o->csv) {
		printf("xlate,64,random,1,%.2f,,\n", random_ns);
		printf("xlate,64,same-window,1,%.2f,,\n", same_ns);
		printf("xlate,64,miss,1,%.2f,,\n", miss_ns);
	} else {
		printf("  random addresses   %6.2f\n", random_ns);
		printf("  same window        %6.2f\n", same_ns);
		printf("  misses             %6.2f\n", miss_ns);
	}
	ret = 0;
out:
	if (t != NULL)
		mem_wt_destroy(t);
	free(base);
	free(len);
	free(addr);
	return ret;
}

int
perf_mem_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"iters", required_argument, NULL, 'i'},
		{"lookups", required_argument, NULL, 'l'},
		{"windows", required_argument, NULL, 'w'},
		{"batch", required_argument, NULL, 'b'},
		{"sizes", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'},
		{"repeat", required_argument, NULL, 'r'},
		{"csv", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {
		.iters = 1000000, .lookups = 10000000, .windows = 1000, .batch = 256,
		.threads = 1, .repeat = 5, .sizes = {64, 256, 1024, 4096}, .nsizes = 4,
	};
	uint64_t v = 0;
	char why[160], shortopt[3];
	int c, ret = 0;

	optind = 1;
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ret = parse_count("iters", optarg, UINT64_C(1) << 40, &o.iters);
			break;
		case 'l':
			ret = parse_count("lookups", optarg, UINT64_C(1) << 40, &o.lookups);
			break;
		case 'w':
			ret = parse_count("windows", optarg, 1000000, &v);
			o.windows = (unsigned int)v;
			break;
		case 'b':
			ret = parse_count("batch", optarg, 1000000, &v);
			o.batch = (unsigned int)v;
			break;
		case 't':
			ret = parse_count("threads", optarg, 1024, &v);
			o.threads = (unsigned int)v;
			break;
		case 'r':
			ret = parse_count("repeat", optarg, 1000, &v);
			o.repeat = (unsigned int)v;
			break;
		case 's':
			ret = perf_parse_sizes(optarg, o.sizes, &o.nsizes, why, sizeof(why));
			if (ret != 0)
				fprintf(stderr, "idd-perf mem: --sizes: %s\n", why);
			break;
		case 'c':
			o.csv = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "idd-perf mem: option '%s' needs a value\n",
				perf_refused_option(argv, longopts, shortopt));
			ret = -EINVAL;
			break;
		default:
			fprintf(stderr, "idd-perf mem: unknown option '%s'\n",
				perf_refused_option(argv, longopts, shortopt));
			ret = -EINVAL;
			break;
		}
	}
	if (ret == 0 && optind < argc) {
		fprintf(stderr, "idd-perf mem: unexpected argument '%s'\n", argv[optind]);
		ret = -EINVAL;
	}
	if (ret == 0 && o.iters < o.batch) {
		fprintf(stderr, "idd-perf mem: --iters %" PRIu64 " is below --batch %u\n", o.iters,
			o.batch);
		ret = -EINVAL;
	}
	if (ret != 0) {
		fprintf(stderr, "Try 'idd-perf mem --help'.\n");
		return 2;
	}
	if (o.csv)
		printf("test,size,pattern,threads,idd_ns,glibc_ns,ratio\n");
	if (bench_alloc(&o) != 0 || bench_translate(&o) != 0)
		return 1;
	return 0;
}
