/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_CASE_H
#define IDD_TOOLS_PERF_CASE_H

/*
 * What idd-perf runs: cases. A case comes from the command line or from
 * one section of a config file, has a type (copy, group, ...) and the
 * common settings below; its type runs it and reports rows.
 *
 * ADDING A CASE TYPE (the hook, e.g. an inter-OS case over libfabric):
 *
 *   1. In its own file (tools/perf/perf_fabric.c), define
 *        const struct perf_case_type perf_case_fabric = {
 *                .name = "fabric", .summary = "...",
 *                .keys = PERF_KEY_SIZES | PERF_KEY_BURST | ...,
 *                .set_key = fabric_set_key,    (its own keys, or NULL)
 *                .check = fabric_check,        (or NULL)
 *                .peers_needed = ...,          (or NULL: none)
 *                .run = fabric_run,
 *        };
 *      Its own settings live in perf_case::priv (set_key fills them; a
 *      key it does not know: return -ENOENT).
 *   2. Declare it below next to perf_case_copy and add one line to the
 *      table in perf_case.c (perf_case_types[]); add the file to
 *      tools/perf/meson.build.
 *
 * run() sets up its device and vchans, describes them as lanes (struct
 * perf_lane; .unreachable for memory in another OS) and calls
 * perf_copy_measure() (perf_copy.h): the same check, throughput, latency
 * and memcpy loops as the copy case, rows in the same table, CSV, JSON
 * and plot. (Or it measures with perf_measure.h itself and hands rows to
 * perf_report_add().) It may use the peer processes of perf_peers.h or
 * start its own. Config sections then say `type = fabric`; nothing else
 * in idd-perf changes.
 */

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERF_MAX_SIZES 64
#define PERF_MAX_PEERS 16       /* peer processes of one copy case */
#define PERF_MAX_STORM 127      /* a group holds 128 members, creator included */
#define PERF_MAX_COPY (UINT64_C(1) << 30) /* the API's length is 32-bit */
/* The sw driver's ring sizes (its idd_dma_info min_desc and max_desc). */
#define PERF_RING_MIN 32
#define PERF_RING_MAX 16384
#define PERF_NAME_MAX 48

enum perf_dir {
	PERF_DIR_LOCAL,       /* both buffers in this process */
	PERF_DIR_TO_PEER,     /* ours -> a peer's window */
	PERF_DIR_FROM_PEER,   /* a peer's window -> ours */
	PERF_DIR_PEER_TO_PEER, /* one peer's window -> another's (third party) */
	PERF_NB_DIRS
};

enum perf_engine { PERF_ENGINE_INLINE, PERF_ENGINE_THREAD, PERF_NB_ENGINES };

extern const char *const perf_dir_names[PERF_NB_DIRS];
extern const char *const perf_engine_names[PERF_NB_ENGINES];

/* Common keys, as bits: which ones a section (or the command line) set,
 * and which ones a case type accepts. */
enum perf_key {
	PERF_KEY_TYPE = 1u << 0,
	PERF_KEY_DIRECTION = 1u << 1,
	PERF_KEY_ENGINE = 1u << 2,
	PERF_KEY_SIZES = 1u << 3,
	PERF_KEY_BURST = 1u << 4,
	PERF_KEY_KICK = 1u << 5,
	PERF_KEY_RING = 1u << 6,
	PERF_KEY_PEERS = 1u << 7,
	PERF_KEY_DURATION = 1u << 8,
	PERF_KEY_FOOTPRINT = 1u << 9,
	PERF_KEY_CYCLES = 1u << 10,
	PERF_KEY_STORM = 1u << 11,
};

struct perf_case_type;

/* One case, ready to run: one direction, one engine, many sizes. */
struct perf_case {
	char name[PERF_NAME_MAX];
	const struct perf_case_type *type;
	enum perf_dir dir;
	enum perf_engine engine;
	uint32_t sizes[PERF_MAX_SIZES];
	unsigned int nb_sizes;
	unsigned int burst;     /* copies enqueued per round */
	unsigned int kick;      /* submit after this many enqueues */
	unsigned int ring;      /* descriptors per vchan */
	unsigned int peers;     /* peer processes (lanes) used */
	double duration;        /* seconds per measurement */
	uint64_t footprint;     /* bytes walked (half sources); 0: cache-resident */
	unsigned int cycles;    /* group: join/leave cycles */
	unsigned int storm;     /* group: processes joining at once (0: none) */
	char where[300];        /* "file:line" of its section, or "command line" */
	/* The case type's own settings (set_key writes them). */
	union {
		unsigned char bytes[512];
		uint64_t align;
	} priv;
};

struct perf_env;

/* A kind of case. See the comment at the top of this file. */
struct perf_case_type {
	const char *name;
	const char *summary;
	unsigned int keys; /* PERF_KEY_* it accepts (besides type) */
	/* Its own key: 0 if taken, -ENOENT if unknown, else -EINVAL with a
	 * reason in @why. */
	int (*set_key)(struct perf_case *c, const char *key, const char *val, char *why,
		       size_t len);
	/* Last check once every setting is known: 0, or -EINVAL with @why. */
	int (*check)(const struct perf_case *c, char *why, size_t len);
	/* Peer processes (from the shared pool) it needs, and the window each
	 * one must offer (bytes). */
	unsigned int (*peers_needed)(const struct perf_case *c);
	uint64_t (*peer_window)(const struct perf_case *c);
	/* Run it: 0, or -errno after printing why (the run stops, exit 1). */
	int (*run)(const struct perf_case *c, struct perf_env *env);
	/* Release what run() kept for later cases (devices...), or NULL. */
	void (*cleanup)(void);
};

extern const struct perf_case_type perf_case_copy;
extern const struct perf_case_type perf_case_group;
/* Where libfabric was found (IDD_PERF_FABRIC): tools/perf/perf_fabric.c. */
extern const struct perf_case_type perf_case_fabric;

/* The table of case types, NULL-terminated. */
extern const struct perf_case_type *const perf_case_types[];

const struct perf_case_type *perf_case_type_find(const char *name);

/* Print "idd-perf: case 'NAME' (FILE:LINE): @what: reason" (nothing for
 * -EINTR: a signal stopped the run) and return @err as a negative errno. */
int perf_case_fail(const struct perf_case *c, const char *what, int err);

/* Parsers shared by the command line and the config file. Each returns 0,
 * or -EINVAL with the reason in @why. */
int perf_parse_bytes(const char *s, uint64_t *out);
int perf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int perf_parse_sizes(const char *s, uint32_t *sizes, unsigned int *nb, char *why, size_t len);
/* A ring size: a power of two from PERF_RING_MIN to PERF_RING_MAX. */
int perf_parse_ring(const char *s, unsigned int *out, char *why, size_t len);

/* The option getopt_long() just refused (it returned '?' or ':'), as the
 * user wrote it: "--name" or "--name=value" for a long one, "-c" for a
 * short one, even inside a cluster such as -Zq (argv then names another
 * argument). @buf holds the short form. */
struct option;
const char *perf_refused_option(char *const argv[], const struct option *longopts, char buf[3]);

/* --cpu and --worker-cpu: "none" (PERF_CPU_NONE: no pinning) or a CPU
 * number below CPU_SETSIZE. Returns 0 or -EINVAL; the caller says why. */
#define PERF_CPU_NONE (-1)
int perf_parse_cpu(const char *s, int *out);
/* The CPUs this process may run on (*@set, if not NULL), and the first two
 * of them (-1 where there are fewer). 0, or -errno of sched_getaffinity()
 * (then both are -1). */
int perf_allowed_cpus(cpu_set_t *set, int *first, int *second);
/* "on cpu N", or "not pinned" for PERF_CPU_NONE, for the headers. */
void perf_format_cpu(char *buf, size_t len, int cpu);

void perf_format_size(char *buf, size_t len, uint64_t size);

#endif
