/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault-injection soak: member processes of access pair groups copy to
 * each other in loops, with verification, while this driver kills random
 * members with SIGKILL and starts new ones, for a set duration.
 *
 * Processes: the driver (this program, not an idd user) and --members
 * member processes (fork + exec of this program with "member ..."), split
 * into --groups groups (default 2; positions lo..hi-1 each). Each group
 * has a creator, never killed (a dead creator ends the group, which is
 * test_dp_kill's subject), and joiners, of which the first is never
 * killed either, so that the leak check covers a joiner that lives
 * through the whole run. Each member sits at a *position* 0..N-1 that the
 * driver gives it; a replacement takes its victim's position with a new
 * domain id. Engines alternate: odd incarnations use engine=thread, even
 * ones engine=inline (creators are started first: one of each). Groups
 * are apart: a member that sees another group's member in its member
 * list, or hears of its departure, counts a failure.
 *
 * What a member does, in a loop: for every other position whose member it
 * knows (member list + the window that member published in the group's
 * directory), two copies of fresh random patterns from private memory into
 * that peer's window, in the region reserved for the writer's position (so
 * no two live writers share bytes), one burst per peer; then the bytes
 * that arrived are copied back into private memory and compared with what
 * was sent. Each peer has two vchans (write: self -> peer, read: peer ->
 * self); a changed peer is set up again (stop, vchan setup, start).
 * A peer that left is still copied to for 50 ms, so that operations naming
 * a departed member are exercised; they must fail with an error status.
 *
 * Checks:
 *   - no crash or hang: every survivor answers pings within 30 s and its
 *     loop makes progress (a member itself gives up, exit 3, if
 *     completions stop coming for 20 s); an unexpected exit fails the run;
 *   - exactly once: per vchan, every enqueued operation is collected once
 *     (completed == submitted, and each collection's last_idx is the
 *     ring_idx the enqueue returned for the last one), successes + error
 *     statuses == submitted, and the vchan's stats (idd_dma_stats_get())
 *     agree with the member's own counts before each re-setup and at the
 *     end; every successful copy's bytes are verified;
 *   - every death is reported: after each kill, every survivor of the
 *     victim's group (all were members before it) must have received
 *     MEMBER_LEFT for the victim's domain (within 10 s, a liveness bound),
 *     and no member of another group may hear of it;
 *   - no leak in survivors: fd count (/proc/self/fd) and VmRSS are taken
 *     at the start of the steady state (after two kill cycles, so that
 *     lazily allocated state exists) and at its end, both times with every
 *     position filled and every member knowing every peer. fds must be
 *     equal. RSS may grow by at most 8 MiB + 10% (allocator caches, the
 *     pages of a replaced peer's window that this member touches, malloc
 *     arena growth of the control thread); under AddressSanitizer or
 *     ThreadSanitizer RSS is only printed (their quarantine and shadow
 *     memory grow by design) and leaks are LeakSanitizer's job when the
 *     survivors exit;
 *   - at the end every joiner leaves and exits 0; the creator destroys the
 *     group (0) and exits 0.
 *
 * Operations are counted by the members alive at the end (a killed
 * member's own counts die with it; its copies into the survivors were
 * verified by itself while it lived, and the survivors' copies into it
 * are among theirs, many with error statuses).
 *
 * Usage: soak [--seconds S] [--members N] [--groups G] [--seed X] [--help]
 * IDD_SOAK_SECONDS, when set, overrides the default duration (25 s).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_log.h>
#include <idd/idd_mem.h>

#include "../lib/agent.h"
#include "../lib/clock.h"
#include "hex.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif
#ifndef SOAK_SANITIZED
#define SOAK_SANITIZED 0
#endif

#define MAX_POS 16
#define REGION (64u * 1024)   /* bytes of a peer's window per writer position */
#define HALF (REGION / 2)      /* one copy's room */
#define COPIES_PER_PEER 2
#define GONE_GRACE_US 50000    /* keep copying to a departed peer this long */
#define CPL_TIMEOUT_US (20u * 1000 * 1000)
#define ANSWER_MS 30000        /* a member that is silent this long hangs */
#define LEFT_MS 10000          /* MEMBER_LEFT must arrive within this */
#define RSS_TOL_KB (8u * 1024)

static uint64_t
rnd(uint64_t *s)
{
	/* splitmix64: a reproducible stream from --seed. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Pattern bytes: a stream seeded per copy, so stale data never matches. */
static void
pattern(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t s = seed;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w = rnd(&s);

		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		uint64_t w = rnd(&s);

		memcpy(p + i, &w, len - i);
	}
}

/* Domain ids: position, incarnation, then a fixed tail that marks ours. */
static void
make_domain(unsigned int pos, unsigned int inc, unsigned char d[16])
{
	for (int i = 0; i < 16; i++)
		d[i] = (unsigned char)(0xa5 ^ (i * 29));
	d[0] = (unsigned char)pos;
	d[1] = (unsigned char)inc;
	d[2] = (unsigned char)(inc >> 8);
	d[3] = (unsigned char)(inc >> 16);
}

static int
domain_pos(const unsigned char d[16])
{
	unsigned char ref[16];

	make_domain(0, 0, ref);
	if (memcmp(d + 4, ref + 4, 12) != 0 || d[0] >= MAX_POS)
		return -1;
	return d[0];
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ======================= member process ======================= */

struct vacct {
	/* Since the vchan's last setup (its stats start there). */
	uint64_t ep_sub, ep_comp, ep_err;
	/* Whole run. */
	uint64_t sub, comp, ok, err;
	uint16_t next_idx;     /* ring_idx the next enqueue must return */
};

struct peer {
	bool set;                 /* vchans set up for this peer */
	bool present;             /* in the member list at the last scan */
	unsigned char dom[16];
	uint64_t win;             /* its window (directory entry) */
	uint64_t gone_at;         /* when we noticed it left (0: not gone) */
	uint64_t seed[COPIES_PER_PEER];
	uint32_t len[COPIES_PER_PEER];
	uint64_t dst[COPIES_PER_PEER];
	bool wrote[COPIES_PER_PEER];
};

static struct {
	unsigned int pos, inc;
	unsigned int lo, hi;    /* our group's positions: lo (its creator) .. hi-1 */
	bool creator;
	int16_t dev, gid;
	unsigned char dom[16], tok[16];
	uint16_t self_h;
	uint8_t *win;
	uint8_t *src, *chk;     /* private: one HALF per copy; chk per position */
	struct peer peer[MAX_POS];
	struct vacct v[2 * MAX_POS];
	uint64_t rng;
	/* failures (each also printed to stderr) */
	uint64_t mismatches, bad_idx, stats_mismatch, enq_fail, setup_fail, foreign;
	uint64_t verified_bytes, verified_ops;
} M;

static atomic_ullong progress;
static atomic_uint foreign_events; /* MEMBER_LEFT about another group's member */
static atomic_bool stop_flag, exit_flag;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
#define MAX_LEFT 4096
static unsigned char left_dom[MAX_LEFT][16];
static unsigned int nb_left;

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&out_lock);
	if (write(1, line, (size_t)n) != n)
		_exit(5); /* the driver is gone */
	pthread_mutex_unlock(&out_lock);
}

static void __attribute__((format(printf, 1, 2)))
failure(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "soak member pos %u inc %u pid %d: ", M.pos, M.inc, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_event(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
	 enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id, (void)group_id;
	if (event != IDD_DMA_GROUP_EVENT_MEMBER_LEFT)
		return;
	{
		int p = domain_pos(domain_id);

		if (p < (int)M.lo || p >= (int)M.hi)
			atomic_fetch_add(&foreign_events, 1);
	}
	pthread_mutex_lock(&ev_lock);
	if (nb_left < MAX_LEFT)
		memcpy(left_dom[nb_left++], domain_id, 16);
	pthread_cond_broadcast(&ev_cv);
	pthread_mutex_unlock(&ev_lock);
}

static bool
wait_left(const unsigned char d[16], int ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;
	bool found = false;

	pthread_mutex_lock(&ev_lock);
	for (;;) {
		for (unsigned int i = 0; i < nb_left && !found; i++)
			found = memcmp(left_dom[i], d, 16) == 0;
		if (found || mono_us() >= end)
			break;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ev_cv, &ev_lock, &ts);
	}
	pthread_mutex_unlock(&ev_lock);
	return found;
}

static unsigned int
known_peers(void)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < MAX_POS; p++)
		n += M.peer[p].set && M.peer[p].present;
	return n;
}

static atomic_uint peers_now, members_now;

static void *
command_thread(void *arg)
{
	char line[512];

	(void)arg;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char a[64] = "";
		int ms = 0;

		if (strncmp(line, "ping", 4) == 0) {
			say("ok %llu %u %u", (unsigned long long)atomic_load(&progress),
			    atomic_load(&peers_now), atomic_load(&members_now));
		} else if (sscanf(line, "left %63s %d", a, &ms) == 2) {
			unsigned char d[16];

			if (hex_decode(a, d, 16) != 0)
				say("err bad domain");
			else
				say(wait_left(d, ms) ? "ok" : "missing");
		} else if (strncmp(line, "res", 3) == 0) {
			say("ok %d %ld", count_fds(), rss_kb());
		} else if (strncmp(line, "finish", 6) == 0) {
			atomic_store(&stop_flag, true); /* the main thread answers */
		} else if (strncmp(line, "exit", 4) == 0) {
			atomic_store(&exit_flag, true); /* the main thread answers */
			return NULL;
		} else {
			say("err unknown command");
		}
	}
	/* The driver went away: nobody will reap or check us. */
	_exit(4);
}

/* Collect @n completions of vchan @v into @st; the last must have ring_idx
 * @want_last. Exits (a hang) if they do not come. */
static void
collect(uint16_t v, unsigned int n, enum idd_dma_status_code *st)
{
	uint64_t end = mono_us() + CPL_TIMEOUT_US;
	unsigned int got = 0;
	uint16_t last = 0;

	while (got < n) {
		uint16_t k = idd_dma_completed_status(M.dev, v, (uint16_t)(n - got), &last,
						      st + got);

		if (k > 0) {
			/* Reported in order, each once: the last one reported
			 * is the got+k-th enqueued since the previous collect. */
			uint16_t want = (uint16_t)(M.v[v].next_idx - n + got + k - 1);

			if (last != want) {
				M.bad_idx++;
				failure("vchan %u: last_idx %u, expected %u", v, last, want);
			}
			got += k;
			continue;
		}
		if (mono_us() > end) {
			failure("hang: vchan %u: %u of %u completions in %u s", v, got, n,
				CPL_TIMEOUT_US / 1000000);
			_exit(3);
		}
		sched_yield();
	}
	/* More than enqueued must never come. */
	if (idd_dma_completed_status(M.dev, v, 1, &last, st + n) != 0) {
		M.bad_idx++;
		failure("vchan %u: a completion beyond what was enqueued", v);
	}
	for (unsigned int i = 0; i < n; i++) {
		M.v[v].comp++;
		M.v[v].ep_comp++;
		if (st[i] == IDD_DMA_STATUS_SUCCESSFUL) {
			M.v[v].ok++;
		} else {
			M.v[v].err++;
			M.v[v].ep_err++;
		}
	}
}

/* The vchan's stats must agree with what we counted since its setup. */
static void
check_stats(uint16_t v)
{
	struct idd_dma_stats s;
	struct vacct *a = &M.v[v];

	if (idd_dma_stats_get(M.dev, v, &s) != 0) {
		M.stats_mismatch++;
		failure("vchan %u: stats_get failed", v);
		return;
	}
	if (s.submitted != a->ep_sub || s.completed != a->ep_comp || s.errors != a->ep_err) {
		M.stats_mismatch++;
		failure("vchan %u: stats %" PRIu64 "/%" PRIu64 "/%" PRIu64
			" (sub/comp/err), counted %" PRIu64 "/%" PRIu64 "/%" PRIu64,
			v, s.submitted, s.completed, s.errors, a->ep_sub, a->ep_comp, a->ep_err);
	}
}

static int
setup_vchan(uint16_t v, bool inter, uint16_t src_h, uint16_t dst_h)
{
	struct idd_dma_vchan_conf c = {
		.direction = IDD_DMA_DIR_MEM_TO_MEM,
		.nb_desc = 64,
	};
	int ret;

	if (inter) {
		c.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
		c.domain.src_handler = src_h;
		c.domain.dst_handler = dst_h;
	}
	ret = idd_dma_vchan_setup(M.dev, v, &c);
	M.v[v].ep_sub = M.v[v].ep_comp = M.v[v].ep_err = 0;
	return ret;
}

/* Scan the member list; set up vchans for positions whose member changed.
 * Returns true if the device must be restarted. */
static void
rescan(void)
{
	struct idd_dma_group_member list[MAX_POS * 2];
	bool seen[MAX_POS] = {false};
	bool change[MAX_POS] = {false};
	unsigned char ndom[MAX_POS][16];
	uint64_t nwin[MAX_POS] = {0};
	uint16_t nh[MAX_POS] = {0};
	uint64_t now = mono_us();
	bool any = false;
	int n = idd_dma_access_pair_group_members(M.dev, M.gid, list, MAX_POS * 2);

	if (n < 0) {
		failure("member list: %d", n);
		return;
	}
	atomic_store(&members_now, (unsigned int)n);
	for (int i = 0; i < n && i < MAX_POS * 2; i++) {
		int p = domain_pos(list[i].domain_id);
		struct idd_dma_group_buffer b;
		char name[40];

		if (list[i].is_self || p == (int)M.pos)
			continue;
		if (p < (int)M.lo || p >= (int)M.hi) {
			/* Groups are apart: another group's member here is a
			 * bug (or not one of ours at all). */
			M.foreign++;
			failure("member list shows a stranger (position %d)", p);
			continue;
		}
		if (M.peer[p].set && memcmp(M.peer[p].dom, list[i].domain_id, 16) == 0) {
			seen[p] = true; /* the peer we copy to is still here */
			continue;
		}
		name[0] = 'w';
		hex_encode(list[i].domain_id, 16, name + 1);
		if (idd_dma_group_buffer_lookup(M.dev, M.gid, name, 0, &b) != 0)
			continue; /* not published yet: next scan */
		memcpy(ndom[p], list[i].domain_id, 16);
		nwin[p] = b.addr;
		nh[p] = b.handler;
		change[p] = true;
		any = true;
	}
	for (unsigned int p = 0; p < MAX_POS; p++) {
		struct peer *pe = &M.peer[p];

		if (change[p] || !pe->set)
			continue;
		pe->present = seen[p];
		if (seen[p])
			continue;
		/* Gone: copy to it a little longer (those copies must fail),
		 * then drop it. */
		if (pe->gone_at == 0) {
			pe->gone_at = now;
		} else if (now - pe->gone_at > GONE_GRACE_US) {
			change[p] = true;
			any = true;
		}
	}
	if (!any) {
		atomic_store(&peers_now, known_peers());
		return;
	}
	/* Everything enqueued was collected: stop, set the changed positions
	 * up again, start (ring_idx restarts at 0 on every vchan). */
	idd_dma_stop(M.dev);
	for (unsigned int p = 0; p < MAX_POS; p++) {
		struct peer *pe = &M.peer[p];
		uint16_t w = (uint16_t)(2 * p), r = (uint16_t)(2 * p + 1);
		int a, b;

		if (!change[p])
			continue;
		check_stats(w);
		check_stats(r);
		if (nwin[p] != 0) {
			a = setup_vchan(w, true, M.self_h, nh[p]);
			b = setup_vchan(r, true, nh[p], M.self_h);
			if (a != 0 || b != 0) {
				/* The peer left between the lookup and now:
				 * its handler is no longer valid. Next scan. */
				setup_vchan(w, false, 0, 0);
				setup_vchan(r, false, 0, 0);
				pe->set = false;
				pe->present = false;
				pe->gone_at = 0;
				continue;
			}
			memcpy(pe->dom, ndom[p], 16);
			pe->win = nwin[p];
			pe->set = true;
			pe->present = true;
		} else {
			if (setup_vchan(w, false, 0, 0) != 0 || setup_vchan(r, false, 0, 0) != 0) {
				M.setup_fail++;
				failure("local vchan setup for position %u failed", p);
			}
			pe->set = false;
			pe->present = false;
		}
		pe->gone_at = 0;
	}
	if (idd_dma_start(M.dev) != 0) {
		failure("restart failed");
		_exit(3);
	}
	for (unsigned int v = 0; v < 2 * MAX_POS; v++)
		M.v[v].next_idx = 0;
	atomic_store(&peers_now, known_peers());
}

static void
enqueue(uint16_t v, uint64_t src, uint64_t dst, uint32_t len)
{
	int idx = idd_dma_copy(M.dev, v, src, dst, len, 0);

	if (idx < 0) {
		M.enq_fail++;
		failure("vchan %u: enqueue refused: %d", v, idx);
		return;
	}
	if ((uint16_t)idx != M.v[v].next_idx) {
		M.bad_idx++;
		failure("vchan %u: enqueue gave ring_idx %d, expected %u", v, idx, M.v[v].next_idx);
	}
	M.v[v].next_idx = (uint16_t)(idx + 1);
	M.v[v].sub++;
	M.v[v].ep_sub++;
}

/* One round: writes to every known peer, then read-backs and checks. */
static void
round_once(void)
{
	enum idd_dma_status_code st[COPIES_PER_PEER + 1];
	unsigned int nw[MAX_POS] = {0}, nr[MAX_POS] = {0};

	for (unsigned int p = 0; p < MAX_POS; p++) {
		struct peer *pe = &M.peer[p];
		uint16_t w = (uint16_t)(2 * p);

		if (!pe->set)
			continue;
		for (unsigned int k = 0; k < COPIES_PER_PEER; k++) {
			uint32_t len = 1 + (uint32_t)(rnd(&M.rng) % HALF);
			uint32_t off = (uint32_t)(rnd(&M.rng) % (HALF - len + 1));
			uint64_t before = M.v[w].sub;
			uint8_t *src = M.src + (p * COPIES_PER_PEER + k) * HALF;

			pe->seed[k] = rnd(&M.rng);
			pe->len[k] = len;
			pe->dst[k] = pe->win + M.pos * REGION + k * HALF + off;
			pattern(src, len, pe->seed[k]);
			enqueue(w, (uintptr_t)src, pe->dst[k], len);
			nw[p] += M.v[w].sub != before;
		}
		idd_dma_submit(M.dev, w);
	}
	for (unsigned int p = 0; p < MAX_POS; p++) {
		struct peer *pe = &M.peer[p];
		uint16_t r = (uint16_t)(2 * p + 1);

		if (nw[p] == 0)
			continue;
		collect((uint16_t)(2 * p), nw[p], st);
		for (unsigned int k = 0; k < COPIES_PER_PEER; k++) {
			uint64_t before = M.v[r].sub;

			pe->wrote[k] = k < nw[p] && st[k] == IDD_DMA_STATUS_SUCCESSFUL;
			if (!pe->wrote[k])
				continue;
			enqueue(r, pe->dst[k], (uintptr_t)(M.chk + (p * COPIES_PER_PEER + k) * HALF),
				pe->len[k]);
			if (M.v[r].sub == before)
				pe->wrote[k] = false;
			else
				nr[p]++;
		}
		if (nr[p] > 0)
			idd_dma_submit(M.dev, r);
	}
	for (unsigned int p = 0; p < MAX_POS; p++) {
		struct peer *pe = &M.peer[p];
		unsigned int i = 0;

		if (nr[p] == 0)
			continue;
		collect((uint16_t)(2 * p + 1), nr[p], st);
		for (unsigned int k = 0; k < COPIES_PER_PEER; k++) {
			static uint8_t want[HALF];
			const uint8_t *got = M.chk + (p * COPIES_PER_PEER + k) * HALF;

			if (!pe->wrote[k])
				continue;
			if (st[i++] != IDD_DMA_STATUS_SUCCESSFUL)
				continue; /* the peer left in between */
			pattern(want, pe->len[k], pe->seed[k]);
			if (memcmp(want, got, pe->len[k]) != 0) {
				M.mismatches++;
				failure("data mismatch: %u bytes at 0x%" PRIx64 " of position %u",
					pe->len[k], pe->dst[k], p);
			} else {
				M.verified_ops++;
				M.verified_bytes += pe->len[k];
			}
		}
	}
}

static void
finish_report(void)
{
	uint64_t sub = 0, comp = 0, ok = 0, err = 0;
	unsigned int left;

	pthread_mutex_lock(&ev_lock);
	left = nb_left;
	pthread_mutex_unlock(&ev_lock);

	for (unsigned int v = 0; v < 2 * MAX_POS; v++) {
		struct vacct *a = &M.v[v];

		check_stats((uint16_t)v);
		if (a->comp != a->sub || a->ok + a->err != a->sub) {
			M.bad_idx++;
			failure("vchan %u: submitted %" PRIu64 " completed %" PRIu64 " ok %" PRIu64
				" errors %" PRIu64, v, a->sub, a->comp, a->ok, a->err);
		}
		sub += a->sub;
		comp += a->comp;
		ok += a->ok;
		err += a->err;
	}
	M.foreign += atomic_load(&foreign_events);
	say("done %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %" PRIu64,
	    sub, comp, ok, err, M.verified_ops, M.verified_bytes, M.mismatches, M.bad_idx,
	    M.stats_mismatch, M.enq_fail, M.setup_fail, left, M.foreign);
}

static int
member_main(int argc, char **argv)
{
	struct idd_dma_conf conf = {.nb_vchans = 2 * MAX_POS};
	char name[40], args[64];
	pthread_t th;
	int ret, dev;

	/* member POS INC GID TOKHEX SEED LO HI (LO: our group's creator) */
	if (argc < 9 || hex_decode(argv[5], M.tok, 16) != 0)
		return 2;
	M.pos = (unsigned int)strtoul(argv[2], NULL, 0);
	M.inc = (unsigned int)strtoul(argv[3], NULL, 0);
	M.gid = (int16_t)strtol(argv[4], NULL, 0);
	M.rng = strtoull(argv[6], NULL, 0) ^ ((uint64_t)M.pos << 40) ^ ((uint64_t)M.inc << 20);
	M.lo = (unsigned int)strtoul(argv[7], NULL, 0);
	M.hi = (unsigned int)strtoul(argv[8], NULL, 0);
	M.creator = M.pos == M.lo;
	make_domain(M.pos, M.inc, M.dom);
	idd_log_set_level(IDD_LOG_ERR);

	M.win = idd_mem_alloc((size_t)MAX_POS * REGION, IDD_MEM_PEER_READ | IDD_MEM_PEER_WRITE);
	M.src = aligned_alloc(64, (size_t)MAX_POS * COPIES_PER_PEER * HALF);
	M.chk = aligned_alloc(64, (size_t)MAX_POS * COPIES_PER_PEER * HALF);
	if (M.win == NULL || M.src == NULL || M.chk == NULL) {
		failure("out of memory");
		return 2;
	}
	snprintf(name, sizeof(name), "soak%u", M.pos);
	snprintf(args, sizeof(args), "engine=%s", M.inc & 1 ? "thread" : "inline");
	dev = idd_dma_dev_create(name, args);
	if (dev < 0 || idd_dma_configure((int16_t)dev, &conf) != 0) {
		failure("device: %d", dev);
		return 2;
	}
	M.dev = (int16_t)dev;
	for (uint16_t v = 0; v < 2 * MAX_POS; v++)
		if (setup_vchan(v, false, 0, 0) != 0) {
			failure("vchan %u setup failed", v);
			return 2;
		}
	if (M.creator)
		ret = idd_dma_access_pair_group_create(M.dev, M.dom, M.tok, &M.gid, on_event);
	else
		ret = idd_dma_access_pair_group_join(M.dev, M.dom, M.tok, M.gid, on_event);
	if (ret != 0) {
		failure("%s: %d", M.creator ? "create" : "join", ret);
		return 2;
	}
	name[0] = 'w';
	hex_encode(M.dom, 16, name + 1);
	ret = idd_dma_group_buffer_publish(M.dev, M.gid, name, M.win, (size_t)MAX_POS * REGION);
	if (ret == 0)
		ret = idd_dma_access_pair_group_handler_get(M.dev, M.gid, M.dom, &M.self_h);
	if (ret == 0)
		ret = idd_dma_start(M.dev);
	if (ret != 0) {
		failure("publish/handler/start: %d", ret);
		return 2;
	}
	if (pthread_create(&th, NULL, command_thread, NULL) != 0)
		return 2;
	pthread_detach(th);
	say("ready %d", M.gid);

	while (!atomic_load(&stop_flag)) {
		rescan();
		round_once();
		atomic_fetch_add(&progress, 1);
	}
	idd_dma_stop(M.dev);
	finish_report();
	while (!atomic_load(&exit_flag))
		usleep(1000);
	if (M.creator) {
		/* The joiners left before we were told to exit; their departures
		 * may still be on their way through our control thread. */
		uint64_t end = mono_us() + 10u * 1000 * 1000;

		while ((ret = idd_dma_access_pair_group_destroy(M.dev, M.gid)) == -EBUSY &&
		       mono_us() < end)
			usleep(1000);
	} else {
		ret = idd_dma_access_pair_group_leave(M.dev, M.gid);
	}
	if (ret == 0)
		ret = idd_dma_close(M.dev);
	if (ret == 0)
		ret = idd_mem_free(M.win);
	free(M.src);
	free(M.chk);
	say("bye %d", ret);
	return ret == 0 ? 0 : 1;
}

/* ======================= driver ======================= */

struct mproc {
	pid_t pid;
	int to, from;
	char buf[4096];
	size_t len;
	unsigned int pos, inc;
	unsigned char dom[16];
	bool alive;
	unsigned long long progress;
	uint64_t progress_at;
	bool base;              /* alive at the start of the steady state */
	int fd0;
	long rss0;
};

static struct mproc P[MAX_POS];
static unsigned int nb_pos, nb_groups, next_inc;
static int16_t gids[MAX_POS];
static char tokhex[MAX_POS][33];

/* Group g holds positions group_lo(g) .. group_lo(g + 1) - 1; the first is
 * its creator, the second a joiner that is never killed either. */
static unsigned int
group_lo(unsigned int g)
{
	return g * nb_pos / nb_groups;
}

static unsigned int
group_of(unsigned int pos)
{
	unsigned int g = 0;

	while (g + 1 < nb_groups && pos >= group_lo(g + 1))
		g++;
	return g;
}

static unsigned int
group_size(unsigned int g)
{
	return group_lo(g + 1) - group_lo(g);
}

static bool
may_kill(unsigned int pos)
{
	return pos >= group_lo(group_of(pos)) + 2;
}
static unsigned long long seed;
static bool failed;

static struct {
	unsigned int killed, started, midjoin_killed, deaths_reported;
	uint64_t ops, ok, errors, verified_ops, verified_bytes;
	int fd_delta;           /* summed over the survivors measured */
	long rss_delta_kb;      /* summed */
	long rss_delta_max_kb;
	unsigned int measured;
} F;

static void __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "soak: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed = true;
}

static void
spawn(struct mproc *m, unsigned int pos)
{
	int to[2], from[2];
	char a_pos[16], a_inc[16], a_gid[16], a_seed[32], a_lo[16], a_hi[16];
	unsigned int g = group_of(pos);

	if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
		perror("pipe2");
		exit(1);
	}
	memset(m, 0, sizeof(*m));
	m->pos = pos;
	m->inc = next_inc++;
	make_domain(pos, m->inc, m->dom);
	snprintf(a_pos, sizeof(a_pos), "%u", pos);
	snprintf(a_inc, sizeof(a_inc), "%u", m->inc);
	snprintf(a_gid, sizeof(a_gid), "%d", gids[g]);
	snprintf(a_lo, sizeof(a_lo), "%u", group_lo(g));
	snprintf(a_hi, sizeof(a_hi), "%u", group_lo(g + 1));
	snprintf(a_seed, sizeof(a_seed), "%llu", seed);
	m->pid = fork();
	if (m->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (m->pid == 0) {
		/* Die with the driver: no orphan keeps copying. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(to[0], 0);
		dup2(from[1], 1);
		execl(agent_self_exe(), "soak-member", "member", a_pos, a_inc, a_gid, tokhex[g], a_seed,
		      a_lo, a_hi, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	m->to = to[1];
	m->from = from[0];
	m->alive = true;
	m->progress_at = mono_us();
	F.started++;
}

static void __attribute__((format(printf, 2, 3)))
msend(struct mproc *m, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	if (write(m->to, line, (size_t)n) != n)
		fail("position %u pid %d: cannot write to it: %s", m->pos, (int)m->pid,
		     strerror(errno));
}

static void
reap_dead(struct mproc *m, const char *why)
{
	int status = 0;

	waitpid(m->pid, &status, 0);
	fail("position %u (pid %d, incarnation %u) %s: %s %d", m->pos, (int)m->pid, m->inc, why,
	     WIFSIGNALED(status) ? "killed by signal" : "exit status",
	     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	close(m->to);
	close(m->from);
	m->alive = false;
}

/* The next answer line of @m, waiting at most @ms. false: it died or hung
 * (the run has failed then). */
static bool
mline(struct mproc *m, char *out, size_t cap, int ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;
	char *nl;

	while ((nl = memchr(m->buf, '\n', m->len)) == NULL) {
		struct pollfd pfd = {.fd = m->from, .events = POLLIN};
		int64_t left = (int64_t)(end - mono_us()) / 1000;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
			if (mono_us() < end)
				continue;
			fail("position %u (pid %d) hangs: no answer in %d ms", m->pos, (int)m->pid,
			     ms);
			kill(m->pid, SIGKILL);
			reap_dead(m, "hung");
			return false;
		}
		n = read(m->from, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
		if (n <= 0) {
			reap_dead(m, "died");
			return false;
		}
		m->len += (size_t)n;
	}
	*nl = '\0';
	{
		size_t l = (size_t)(nl - m->buf);

		if (l >= cap)
			l = cap - 1;
		memcpy(out, m->buf, l);
		out[l] = '\0';
	}
	m->len -= (size_t)(nl + 1 - m->buf);
	memmove(m->buf, nl + 1, m->len);
	return true;
}

static void
kill_one(struct mproc *m)
{
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	close(m->to);
	close(m->from);
	m->alive = false;
}

static bool
wait_ready(struct mproc *m)
{
	char line[256];
	int g = -1;

	if (!mline(m, line, sizeof(line), ANSWER_MS))
		return false;
	if (sscanf(line, "ready %d", &g) != 1 ||
	    (m->pos != group_lo(group_of(m->pos)) && g != gids[group_of(m->pos)])) {
		fail("position %u: '%s' instead of ready", m->pos, line);
		return false;
	}
	gids[group_of(m->pos)] = (int16_t)g;
	return true;
}

/* Ping everyone: each must answer, and its loop must have moved within
 * ANSWER_MS. With @want_peers, also returns whether every member knows
 * every peer. */
static bool
ping_all(bool *all_know)
{
	char line[256];
	bool know = true;

	for (unsigned int i = 0; i < nb_pos; i++)
		if (P[i].alive)
			msend(&P[i], "ping");
	for (unsigned int i = 0; i < nb_pos; i++) {
		struct mproc *m = &P[i];
		unsigned long long prog;
		unsigned int peers, members;

		if (!m->alive)
			continue;
		if (!mline(m, line, sizeof(line), ANSWER_MS))
			return false;
		if (sscanf(line, "ok %llu %u %u", &prog, &peers, &members) != 3) {
			fail("position %u: ping answer '%s'", m->pos, line);
			return false;
		}
		if (prog != m->progress) {
			m->progress = prog;
			m->progress_at = mono_us();
		} else if (mono_us() - m->progress_at > (uint64_t)ANSWER_MS * 1000u) {
			fail("position %u (pid %d) hangs: its copy loop stopped", m->pos,
			     (int)m->pid);
			return false;
		}
		know = know && peers == group_size(group_of(m->pos)) - 1 &&
		       members == group_size(group_of(m->pos));
	}
	if (all_know != NULL)
		*all_know = know;
	return true;
}

/* Let the members copy for @ms, pinging them now and then. */
static bool
run_for(unsigned int ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;

	do {
		uint64_t left = end > mono_us() ? end - mono_us() : 0;

		usleep((useconds_t)(left < 200000 ? left : 200000));
		if (!ping_all(NULL))
			return false;
	} while (mono_us() < end);
	return true;
}

/* Until every member knows every other (after joins). */
static bool
wait_steady(void)
{
	uint64_t end = mono_us() + (uint64_t)ANSWER_MS * 1000u;
	bool know = false;

	while (!know) {
		if (!ping_all(&know))
			return false;
		if (!know && mono_us() > end) {
			fail("members do not all know each other after %d ms", ANSWER_MS);
			return false;
		}
		if (!know)
			usleep(10000);
	}
	return true;
}

static bool
measure(bool start)
{
	char line[256];

	for (unsigned int i = 0; i < nb_pos; i++)
		if (P[i].alive && (start || P[i].base))
			msend(&P[i], "res");
	for (unsigned int i = 0; i < nb_pos; i++) {
		struct mproc *m = &P[i];
		int fds;
		long rss;

		if (!m->alive || !(start || m->base))
			continue;
		if (!mline(m, line, sizeof(line), ANSWER_MS))
			return false;
		if (sscanf(line, "ok %d %ld", &fds, &rss) != 2) {
			fail("position %u: res answer '%s'", m->pos, line);
			return false;
		}
		if (start) {
			m->base = true;
			m->fd0 = fds;
			m->rss0 = rss;
		} else {
			long tol = RSS_TOL_KB + m->rss0 / 10;

			printf("soak:   position %u (incarnation %u): fds %d -> %d (delta %d), "
			       "RSS %ld -> %ld kB (delta %+ld kB)\n",
			       m->pos, m->inc, m->fd0, fds, fds - m->fd0, m->rss0, rss,
			       rss - m->rss0);
			F.fd_delta += fds - m->fd0;
			F.rss_delta_kb += rss - m->rss0;
			if (F.measured++ == 0 || rss - m->rss0 > F.rss_delta_max_kb)
				F.rss_delta_max_kb = rss - m->rss0;
			if (fds != m->fd0)
				fail("position %u: fd count %d at start, %d at end", m->pos, m->fd0,
				     fds);
			if (!SOAK_SANITIZED && rss - m->rss0 > tol)
				fail("position %u: RSS grew by %ld kB (tolerance %ld kB)", m->pos,
				     rss - m->rss0, tol);
		}
	}
	return true;
}

/* Kill 1 or 2 joiners; every survivor must hear of each; replace them. */
static bool
kill_cycle(uint64_t *rng)
{
	unsigned int victims[2], eligible[MAX_POS], ne = 0, nv;
	char line[256];

	/* A group's creator and its first joiner are never victims: they
	 * live through the whole run, so the leak check covers both sides of
	 * the protocol. */
	for (unsigned int i = 0; i < nb_pos; i++)
		if (may_kill(i))
			eligible[ne++] = i;
	nv = ne > 1 && rnd(rng) % 4 == 0 ? 2 : 1;
	{
		unsigned int k = (unsigned int)(rnd(rng) % ne);

		victims[0] = eligible[k];
		victims[1] = eligible[(k + 1) % ne]; /* another one */
	}
	for (unsigned int k = 0; k < nv; k++) {
		kill_one(&P[victims[k]]);
		P[victims[k]].base = false;
		F.killed++;
	}
	for (unsigned int k = 0; k < nv; k++) {
		char dh[33];

		unsigned int g = group_of(victims[k]);

		/* Everyone in its group hears it; the other groups' members
		 * must not (they count such events, checked at the end). */
		hex_encode(P[victims[k]].dom, 16, dh);
		for (unsigned int i = 0; i < nb_pos; i++)
			if (P[i].alive && group_of(i) == g)
				msend(&P[i], "left %s %d", dh, LEFT_MS);
		for (unsigned int i = 0; i < nb_pos; i++) {
			if (!P[i].alive || group_of(i) != g)
				continue;
			if (!mline(&P[i], line, sizeof(line), ANSWER_MS))
				return false;
			if (strcmp(line, "ok") != 0) {
				fail("position %u (incarnation %u) was not told that position %u "
				     "(incarnation %u) died: '%s'",
				     i, P[i].inc, victims[k], P[victims[k]].inc, line);
				return false;
			}
			F.deaths_reported++;
		}
	}
	for (unsigned int k = 0; k < nv; k++) {
		struct mproc *m = &P[victims[k]];

		/* Now and then a newcomer dies in the middle of its join. It
		 * is not checked for MEMBER_LEFT (the others may never have
		 * heard of it); the group must just carry on. */
		if (rnd(rng) % 6 == 0) {
			spawn(m, victims[k]);
			usleep((useconds_t)(rnd(rng) % 30000));
			kill_one(m);
			F.midjoin_killed++;
		}
		spawn(m, victims[k]);
		if (!wait_ready(m))
			return false;
	}
	return true;
}

static bool
finish_all(void)
{
	char line[512];
	bool ok = true;

	for (unsigned int i = 0; i < nb_pos; i++)
		if (P[i].alive)
			msend(&P[i], "finish");
	for (unsigned int i = 0; i < nb_pos; i++) {
		struct mproc *m = &P[i];
		unsigned long long sub, comp, okc, err, vops, vbytes, mism, badidx, stm, enqf, setf,
			foreign;
		unsigned int left;

		if (!m->alive)
			continue;
		if (!mline(m, line, sizeof(line), ANSWER_MS))
			return false;
		if (sscanf(line,
			   "done %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %u %llu",
			   &sub, &comp, &okc, &err, &vops, &vbytes, &mism, &badidx, &stm, &enqf,
			   &setf, &left, &foreign) != 13) {
			fail("position %u: finish answer '%s'", m->pos, line);
			return false;
		}
		printf("soak:   group %u position %u (incarnation %u, %s): %llu operations, %llu ok, "
		       "%llu errors, %llu verified (%llu bytes), %u departures heard\n",
		       group_of(m->pos), m->pos, m->inc,
		       m->inc & 1 ? "thread" : "inline", sub, okc, err, vops,
		       vbytes, left);
		if (comp != sub || okc + err != sub || mism || badidx || stm || enqf || setf ||
		    foreign) {
			fail("position %u: submitted %llu completed %llu ok %llu errors %llu; "
			     "data mismatches %llu, index/count faults %llu, stats mismatches "
			     "%llu, refused enqueues %llu, setup failures %llu, other groups' "
			     "members seen %llu",
			     m->pos, sub, comp, okc, err, mism, badidx, stm, enqf, setf, foreign);
			ok = false;
		}
		F.ops += sub;
		F.ok += okc;
		F.errors += err;
		F.verified_ops += vops;
		F.verified_bytes += vbytes;
	}
	/* Joiners leave first, then the creators destroy their groups. */
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < nb_pos; i++) {
			struct mproc *m = &P[i];
			bool creator = i == group_lo(group_of(i));
			int status = 0, r = -1;

			if (!m->alive || creator != (pass == 1))
				continue;
			msend(m, "exit");
			if (!mline(m, line, sizeof(line), ANSWER_MS))
				return false;
			if (sscanf(line, "bye %d", &r) != 1 || r != 0) {
				fail("position %u: %s at exit: '%s'", m->pos,
				     creator ? "destroy/close" : "leave/close", line);
				ok = false;
			}
			close(m->to);
			close(m->from);
			waitpid(m->pid, &status, 0);
			m->alive = false;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fail("position %u exited with status 0x%x", m->pos, status);
				ok = false;
			}
		}
	}
	return ok;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: soak [--seconds S] [--members N] [--groups G] [--seed X] [--help]\n"
		"  N member processes (default 8, at most %d) form G groups (default 2, at\n"
		"  least 3 members each). In each group, members copy to each other with\n"
		"  verification while members are SIGKILLed and replaced, for S seconds\n"
		"  (default 25, or IDD_SOAK_SECONDS). A group's creator and its first\n"
		"  joiner are never killed. Exit status 0 when every check held.\n",
		MAX_POS);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/idd-soak-XXXXXX", ns[64];
	unsigned int seconds = 25, members = 8, groups = 2;
	uint64_t rng, t0, deadline, steady_at = 0;
	const char *env = getenv("IDD_SOAK_SECONDS");

	if (argc >= 2 && strcmp(argv[1], "member") == 0)
		return member_main(argc, argv);
	seed = (unsigned long long)time(NULL);
	if (env != NULL && *env != '\0')
		seconds = (unsigned int)strtoul(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--seconds") == 0 && v != NULL) {
			seconds = (unsigned int)strtoul(v, NULL, 0);
			i++;
		} else if (strcmp(argv[i], "--members") == 0 && v != NULL) {
			members = (unsigned int)strtoul(v, NULL, 0);
			i++;
		} else if (strcmp(argv[i], "--groups") == 0 && v != NULL) {
			groups = (unsigned int)strtoul(v, NULL, 0);
			i++;
		} else if (strcmp(argv[i], "--seed") == 0 && v != NULL) {
			seed = strtoull(v, NULL, 0);
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (members > MAX_POS || groups < 1 || members < 3 * groups || seconds < 5) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	agent_runtime_init(tmpl, true);
	snprintf(ns, sizeof(ns), "soak%d", (int)getpid());
	setenv("IDD_NAMESPACE", ns, 1);
	rng = seed;
	for (unsigned int g = 0; g < groups; g++) {
		unsigned char tok[16];

		for (int i = 0; i < 16; i++)
			tok[i] = (unsigned char)rnd(&rng);
		hex_encode(tok, 16, tokhex[g]);
	}
	printf("soak: %u members in %u groups, %u s, seed %llu%s\n", members, groups, seconds,
	       seed, SOAK_SANITIZED ? " (sanitizer build: RSS printed, not checked)" : "");

	t0 = mono_us();
	deadline = t0 + (uint64_t)seconds * 1000000u;
	nb_pos = members;
	nb_groups = groups;
	/* Creators first (their groups' ids go to the joiners). */
	for (unsigned int g = 0; g < nb_groups; g++) {
		spawn(&P[group_lo(g)], group_lo(g));
		if (!wait_ready(&P[group_lo(g)]))
			goto out;
	}
	for (unsigned int i = 0; i < nb_pos; i++)
		if (i != group_lo(group_of(i)))
			spawn(&P[i], i);
	for (unsigned int i = 0; i < nb_pos; i++)
		if (i != group_lo(group_of(i)) && !wait_ready(&P[i]))
			goto out;
	if (!wait_steady() || !run_for(500))
		goto out;
	/* Two cycles of warm-up: whatever a departure allocates lazily the
	 * first time is there before the baseline. */
	for (int w = 0; w < 2; w++)
		if (!kill_cycle(&rng) || !run_for(200))
			goto out;
	if (!wait_steady() || !measure(true))
		goto out;
	steady_at = mono_us();
	while (mono_us() < deadline) {
		if (!run_for(100 + (unsigned int)(rnd(&rng) % 400)) || !kill_cycle(&rng))
			goto out;
	}
	if (!wait_steady() || !run_for(500))
		goto out;
	printf("soak: steady state %.1f s; resources of the members that lived through it:\n",
	       (double)(mono_us() - steady_at) / 1e6);
	if (!measure(false))
		goto out;
	finish_all();
out:
	for (unsigned int i = 0; i < nb_pos; i++)
		if (P[i].alive)
			kill_one(&P[i]);
	printf("soak: duration %.1f s\n"
	       "soak: members killed %u (%u of them while joining), members started %u\n"
	       "soak: operations checked %" PRIu64 " (%" PRIu64 " successful, %" PRIu64
	       " verified byte for byte, %.1f MiB)\n"
	       "soak: error statuses seen %" PRIu64 "\n"
	       "soak: deaths reported %u (every survivor, every death)\n"
	       "soak: fd delta %d, RSS delta %+ld kB in all (largest %+ld kB), over %u "
	       "survivors of the steady state\n",
	       (double)(mono_us() - t0) / 1e6, F.killed + F.midjoin_killed, F.midjoin_killed,
	       F.started, F.ops, F.ok, F.verified_ops, (double)F.verified_bytes / 1048576.0,
	       F.errors, F.deaths_reported, F.fd_delta, F.rss_delta_kb, F.rss_delta_max_kb,
	       F.measured);
	printf("soak: %s\n", failed ? "FAILED" : "passed");
	return failed ? 1 : 0;
}
