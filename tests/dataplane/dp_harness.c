/* SPDX-License-Identifier: BSD-3-Clause */
/* Multi-process harness of the data-plane tests: see dp_harness.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
#include "dp_harness.h"

/* Longest wait for one completion; sanitizer builds are slow, and a 64 MiB
 * copy under TSan takes a while. */
#define DP_CPL_TIMEOUT_US (60u * 1000 * 1000)

/* ---- ids, patterns ---- */

void
dp_uuid(unsigned int n, unsigned char out[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = (unsigned char)(0x5a ^ (i * 17));
	out[0] = (unsigned char)n;
	out[1] = (unsigned char)(n >> 8);
}

const char *
dp_hex(unsigned int n)
{
	static __thread char bufs[8][33];
	static __thread unsigned int next;
	char *b = bufs[next++ % 8];
	unsigned char u[16];

	dp_uuid(n, u);
	hex_encode(u, 16, b);
	return b;
}

static int
parse_uuid(const char *s, unsigned char out[16])
{
	return hex_decode(s, out, 16);
}

static inline uint64_t
pattern_word(uint64_t seed, uint64_t k)
{
	/* splitmix64 of (seed, word index): every word differs, so a copy to
	 * the wrong offset never matches by accident. */
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + k * 0xbf58476d1ce4e5b9ull + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint8_t
dp_pattern_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(pattern_word(seed, i >> 3) >> (8 * (i & 7)));
}

void
dp_pattern_fill(uint8_t *p, size_t len, uint64_t seed, uint64_t off)
{
	size_t i = 0;

	for (; i < len && ((off + i) & 7) != 0; i++)
		p[i] = dp_pattern_byte(seed, off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = htole64(pattern_word(seed, (off + i) >> 3));

		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] = dp_pattern_byte(seed, off + i);
}

long long
dp_pattern_check(const uint8_t *p, size_t len, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < len;) {
		if (((off + i) & 7) == 0 && i + 8 <= len) {
			uint64_t w = htole64(pattern_word(seed, (off + i) >> 3)), got;

			memcpy(&got, p + i, 8);
			if (got == w) {
				i += 8;
				continue;
			}
		}
		if (p[i] != dp_pattern_byte(seed, off + i))
			return (long long)i;
		i++;
	}
	return -1;
}

/* ---- this process's state as a member ---- */

static struct {
	int16_t dev;
	bool started;
	uint16_t nb_vchans;
	unsigned int devs_made;
	uint8_t scratch[64];
} me = {.dev = -1};

struct ev_rec {
	int ev;
	unsigned char domain[16];
	bool used;
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
static struct ev_rec evs[256];
static unsigned int nb_evs;
static atomic_uint members_left;

static void
on_group_event(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
	       enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id, (void)group_id;
	pthread_mutex_lock(&ev_lock);
	/* Full (a group with hundreds of arrivals and departures): forget the
	 * events already waited for, else the oldest; tests wait for recent
	 * ones. */
	if (nb_evs == sizeof(evs) / sizeof(evs[0])) {
		unsigned int kept = 0;

		for (unsigned int i = 0; i < nb_evs; i++)
			if (!evs[i].used)
				evs[kept++] = evs[i];
		if (kept == nb_evs)
			memmove(evs, evs + 1, --kept * sizeof(evs[0]));
		nb_evs = kept;
	}
	evs[nb_evs].ev = (int)event;
	memcpy(evs[nb_evs].domain, domain_id, 16);
	evs[nb_evs].used = false;
	nb_evs++;
	/* A departure, for the copy loop: a member left, or the whole group
	 * went with its creator. */
	atomic_fetch_add(&members_left, 1);
	pthread_cond_broadcast(&ev_cv);
	pthread_mutex_unlock(&ev_lock);
}

static int
wait_event(int ev, const unsigned char *domain, int ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;
	int ret = -ETIMEDOUT;

	pthread_mutex_lock(&ev_lock);
	for (;;) {
		for (unsigned int i = 0; i < nb_evs; i++) {
			if (evs[i].used || evs[i].ev != ev)
				continue;
			if (domain != NULL && memcmp(evs[i].domain, domain, 16) != 0)
				continue;
			evs[i].used = true;
			ret = 0;
			goto out;
		}
		if (mono_us() >= end)
			break;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ev_cv, &ev_lock, &ts);
	}
out:
	pthread_mutex_unlock(&ev_lock);
	return ret;
}

/* Collect @n completions of vchan @v into @st (NULL: count only), waiting
 * at most DP_CPL_TIMEOUT_US. Returns how many came. */
static unsigned int
collect(uint16_t v, unsigned int n, enum idd_dma_status_code *st, unsigned int *ok,
	unsigned int *err, int *first_err)
{
	enum idd_dma_status_code buf[64];
	uint64_t end = mono_us() + DP_CPL_TIMEOUT_US;
	unsigned int got = 0;

	while (got < n) {
		uint16_t want = (uint16_t)(n - got > 64 ? 64 : n - got);
		uint16_t k = idd_dma_completed_status(me.dev, v, want, NULL, buf);

		for (uint16_t i = 0; i < k; i++) {
			if (st != NULL)
				st[got + i] = buf[i];
			if (buf[i] == IDD_DMA_STATUS_SUCCESSFUL) {
				if (ok != NULL)
					(*ok)++;
			} else {
				if (err != NULL)
					(*err)++;
				if (first_err != NULL && *first_err < 0)
					*first_err = (int)buf[i];
			}
		}
		got += k;
		if (k == 0) {
			if (mono_us() > end)
				break;
			sched_yield();
		}
	}
	return got;
}

/* ---- commands ---- */

#define MAX_TOK 80

struct args {
	char *tok[MAX_TOK];
	int n;
};

static uint64_t
num(const struct args *a, int i)
{
	return i < a->n ? strtoull(a->tok[i], NULL, 0) : 0;
}

static int
cmd_dev(const struct args *a, char *out, size_t cap)
{
	struct idd_dma_conf conf = {.nb_vchans = (uint16_t)num(a, 2)};
	char name[32], args[256];
	int dev, ret;

	snprintf(name, sizeof(name), "dp%u", me.devs_made++);
	snprintf(args, sizeof(args), "engine=%s%s%s", a->n > 1 ? a->tok[1] : "inline",
		 a->n > 3 ? "," : "", a->n > 3 ? a->tok[3] : "");
	dev = idd_dma_dev_create(name, args);
	if (dev < 0)
		return dev;
	ret = idd_dma_configure((int16_t)dev, &conf);
	if (ret != 0) {
		idd_dma_close((int16_t)dev);
		return ret;
	}
	me.dev = (int16_t)dev;
	me.started = false;
	me.nb_vchans = conf.nb_vchans;
	snprintf(out, cap, " %d", dev);
	return 0;
}

static int
cmd_close(void)
{
	int ret;

	if (me.started)
		idd_dma_stop(me.dev);
	me.started = false;
	ret = idd_dma_close(me.dev);
	if (ret == 0)
		me.dev = -1;
	return ret;
}

static int
cmd_regwin(const struct args *a, char *out, size_t cap)
{
	size_t pages = num(a, 1), winpage = num(a, 2), page = 4096;
	int fd = memfd_create("dp-window", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	uint8_t *m;
	int ret;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(pages * page)) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	m = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = idd_mem_register(m + winpage * page, page, fd, winpage * page,
			       (unsigned int)num(a, 3));
	close(fd); /* idd keeps its own */
	if (ret != 0)
		return ret;
	snprintf(out, cap, " %llu %llu", (unsigned long long)(uintptr_t)m,
		 (unsigned long long)(uintptr_t)(m + winpage * page));
	return 0;
}

static int
cmd_vsetup(const struct args *a)
{
	struct idd_dma_vchan_conf c = {
		.direction = IDD_DMA_DIR_MEM_TO_MEM,
		.nb_desc = 1024,
	};

	if (me.started) {
		idd_dma_stop(me.dev);
		me.started = false;
	}
	c.domain.type = (enum idd_dma_inter_domain_type)num(a, 2);
	c.domain.src_handler = (uint16_t)num(a, 3);
	c.domain.dst_handler = (uint16_t)num(a, 4);
	return idd_dma_vchan_setup(me.dev, (uint16_t)num(a, 1), &c);
}

static int
one_status(uint16_t v, int idx, char *out, size_t cap)
{
	enum idd_dma_status_code st;

	if (idx < 0)
		return idx;
	if (collect(v, 1, &st, NULL, NULL, NULL) != 1)
		return -ETIMEDOUT;
	snprintf(out, cap, " %d", (int)st);
	return 0;
}

static int
cmd_sg(const struct args *a, char *out, size_t cap)
{
	struct idd_dma_sge src[32], dst[32];
	uint16_t v = (uint16_t)num(a, 1);
	int i = 2, ns, nd;

	ns = (int)num(a, i++);
	if (ns > 32)
		return -E2BIG;
	for (int k = 0; k < ns; k++, i += 2) {
		src[k].addr = num(a, i);
		src[k].length = (uint32_t)num(a, i + 1);
	}
	nd = (int)num(a, i++);
	if (nd > 32)
		return -E2BIG;
	for (int k = 0; k < nd; k++, i += 2) {
		dst[k].addr = num(a, i);
		dst[k].length = (uint32_t)num(a, i + 1);
	}
	return one_status(v, idd_dma_copy_sg(me.dev, v, src, dst, (uint16_t)ns, (uint16_t)nd,
					     IDD_DMA_OP_FLAG_SUBMIT),
			  out, cap);
}

static int
cmd_burst(const struct args *a, char *out, size_t cap)
{
	uint16_t v = (uint16_t)num(a, 1);
	unsigned int n = (unsigned int)num(a, 2), ok = 0, err = 0;
	uint64_t src = num(a, 3), sstep = num(a, 4), dst = num(a, 5), dstep = num(a, 6);
	uint32_t len = (uint32_t)num(a, 7);
	int first = -1;

	for (unsigned int i = 0; i < n; i++) {
		int r = idd_dma_copy(me.dev, v, src + i * sstep, dst + i * dstep, len, 0);

		if (r < 0)
			return r;
	}
	idd_dma_submit(me.dev, v);
	if (collect(v, n, NULL, &ok, &err, &first) != n)
		return -ETIMEDOUT;
	snprintf(out, cap, " %u %u %d", ok, err, first);
	return 0;
}

/* waitread V ADDR MS / waitwrite V ADDR MS. A peer's window reaches the
 * other members through the group's creator a little after it was made (or
 * after the peer joined): poll with one-byte copies from it (harmless) or
 * into it (at a byte the test reserved for this). */
static int
cmd_waitrw(const struct args *a, bool write)
{
	uint16_t v = (uint16_t)num(a, 1);
	uint64_t end = mono_us() + num(a, 3) * 1000u;

	for (;;) {
		enum idd_dma_status_code st;
		uint64_t src = write ? (uintptr_t)me.scratch : num(a, 2);
		uint64_t dst = write ? num(a, 2) : (uintptr_t)me.scratch;
		int idx = idd_dma_copy(me.dev, v, src, dst, 1, IDD_DMA_OP_FLAG_SUBMIT);

		if (idx < 0)
			return idx;
		if (collect(v, 1, &st, NULL, NULL, NULL) != 1)
			return -ETIMEDOUT;
		if (st == IDD_DMA_STATUS_SUCCESSFUL)
			return 0;
		if (mono_us() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

static int
cmd_multi(const struct args *a, char *out, size_t cap)
{
	unsigned int rounds = (unsigned int)num(a, 1), n = (unsigned int)num(a, 4);
	uint32_t len = (uint32_t)num(a, 2);
	uint64_t src = num(a, 3);
	unsigned int ok = 0, err = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int k = 0; k < n; k++) {
			int idx = idd_dma_copy(me.dev, (uint16_t)num(a, 5 + 2 * (int)k), src,
					       num(a, 6 + 2 * (int)k), len,
					       IDD_DMA_OP_FLAG_SUBMIT);

			if (idx < 0)
				return idx;
		}
		for (unsigned int k = 0; k < n; k++)
			if (collect((uint16_t)num(a, 5 + 2 * (int)k), 1, NULL, &ok, &err, NULL) != 1)
				return -ETIMEDOUT;
	}
	snprintf(out, cap, " %u %u", ok, err);
	return 0;
}

static int
cmd_loop(const struct args *a, char *out, size_t cap)
{
	uint16_t v = (uint16_t)num(a, 1);
	uint64_t src = num(a, 2), dst = num(a, 3);
	uint32_t len = (uint32_t)num(a, 4);
	uint64_t after_us = num(a, 5) * 1000u, max_us = num(a, 6) * 1000u;
	uint64_t t0 = mono_us(), left_at = 0;
	unsigned long long submitted = 0, completed = 0, ok = 0, err = 0, ok_after = 0;
	unsigned int left0 = atomic_load(&members_left);
	struct idd_dma_stats stats;

	for (;;) {
		enum idd_dma_status_code st[8];
		uint64_t now = mono_us();
		unsigned int n = 0, got;
		bool after;

		if (left_at == 0 && atomic_load(&members_left) != left0)
			left_at = now;
		if ((left_at != 0 && now - left_at >= after_us) || now - t0 >= max_us)
			break;
		/* Enqueued once the departure was known: must fail. */
		after = left_at != 0;
		for (; n < 8; n++)
			if (idd_dma_copy(me.dev, v, src, dst, len, 0) < 0)
				break;
		submitted += n;
		idd_dma_submit(me.dev, v);
		got = collect(v, n, st, NULL, NULL, NULL);
		completed += got;
		for (unsigned int i = 0; i < got; i++) {
			if (st[i] == IDD_DMA_STATUS_SUCCESSFUL) {
				ok++;
				ok_after += after;
			} else {
				err++;
			}
		}
		if (got != n)
			break;
	}
	if (idd_dma_stats_get(me.dev, v, &stats) != 0)
		memset(&stats, 0xff, sizeof(stats));
	snprintf(out, cap, " %llu %llu %llu %llu %d %llu %llu %llu %llu", submitted, completed, ok,
		 err, left_at != 0, ok_after, (unsigned long long)stats.submitted,
		 (unsigned long long)stats.completed, (unsigned long long)stats.errors);
	return 0;
}

static int
cmd_check(const struct args *a, char *out, size_t cap, bool bytewise)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)num(a, 1);
	size_t len = num(a, 2);
	long long off = -1;

	if (bytewise) {
		uint8_t b = (uint8_t)num(a, 3);

		for (size_t i = 0; i < len; i++)
			if (p[i] != b) {
				off = (long long)i;
				break;
			}
	} else {
		off = dp_pattern_check(p, len, num(a, 3), num(a, 4));
	}
	if (off < 0)
		return 0;
	snprintf(out, cap, " %lld", off);
	return -EIO;
}

/* seq V N (SRC DST LEN FLAGS)*N: one burst of copies with their own flags;
 * answers each status, in order. */
static int
cmd_seq(const struct args *a, char *out, size_t cap)
{
	enum idd_dma_status_code st[DP_MAX_VALS];
	uint16_t v = (uint16_t)num(a, 1);
	unsigned int n = (unsigned int)num(a, 2);
	size_t used = 0;

	if (n > DP_MAX_VALS)
		return -E2BIG;
	for (unsigned int i = 0; i < n; i++) {
		int b = 3 + 4 * (int)i;
		int r = idd_dma_copy(me.dev, v, num(a, b), num(a, b + 1), (uint32_t)num(a, b + 2),
				     num(a, b + 3) & ~IDD_DMA_OP_FLAG_SUBMIT);

		if (r < 0)
			return r;
	}
	idd_dma_submit(me.dev, v);
	if (collect(v, n, st, NULL, NULL, NULL) != n)
		return -ETIMEDOUT;
	for (unsigned int i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, " %d", (int)st[i]);
	return 0;
}

/* floodleave V SRC DST LEN N GID: N copies in one burst, then at once leave
 * the group; then collect every completion. -> OK ERRORS LEAVE_RET */
static int
cmd_floodleave(const struct args *a, char *out, size_t cap)
{
	uint16_t v = (uint16_t)num(a, 1);
	unsigned int n = (unsigned int)num(a, 5), ok = 0, err = 0;
	int leave;

	for (unsigned int i = 0; i < n; i++) {
		int r = idd_dma_copy(me.dev, v, num(a, 2), num(a, 3), (uint32_t)num(a, 4), 0);

		if (r < 0)
			return r;
	}
	idd_dma_submit(me.dev, v);
	leave = idd_dma_access_pair_group_leave(me.dev, (int16_t)num(a, 6));
	if (collect(v, n, NULL, &ok, &err, NULL) != n)
		return -ETIMEDOUT;
	snprintf(out, cap, " %u %u %d", ok, err, leave);
	return 0;
}

/* lookcopy V GID NAME MS LOCAL OFF LEN WRITE: look NAME up (waiting up to
 * MS), then at once one copy of LEN bytes between the buffer's byte OFF
 * and LOCAL: from the buffer (WRITE 0) or into it (WRITE 1). No pause
 * between the two: what a lookup returns must be usable at once.
 * -> STATUS ADDR HANDLER */
static int
cmd_lookcopy(const struct args *a, char *out, size_t cap)
{
	uint16_t v = (uint16_t)num(a, 1);
	struct idd_dma_group_buffer b;
	uint64_t local = num(a, 5), off = num(a, 6);
	uint32_t len = (uint32_t)num(a, 7);
	enum idd_dma_status_code st;
	int ret, idx;

	if (a->n < 9)
		return -EPROTO;
	ret = idd_dma_group_buffer_lookup(me.dev, (int16_t)num(a, 2), a->tok[3], (int)num(a, 4),
					  &b);
	if (ret != 0)
		return ret;
	if (num(a, 8) != 0)
		idx = idd_dma_copy(me.dev, v, local, b.addr + off, len, IDD_DMA_OP_FLAG_SUBMIT);
	else
		idx = idd_dma_copy(me.dev, v, b.addr + off, local, len, IDD_DMA_OP_FLAG_SUBMIT);
	if (idx < 0)
		return idx;
	if (collect(v, 1, &st, NULL, NULL, NULL) != 1)
		return -ETIMEDOUT;
	snprintf(out, cap, " %d %llu %u", (int)st, (unsigned long long)b.addr, b.handler);
	return 0;
}

/* flood V SRC DST LEN N: N copies in one burst, submitted, not waited for
 * (collect them with collectn). -> N */
static int
cmd_flood(const struct args *a, char *out, size_t cap)
{
	uint16_t v = (uint16_t)num(a, 1);
	unsigned int n = (unsigned int)num(a, 5);

	for (unsigned int i = 0; i < n; i++) {
		int r = idd_dma_copy(me.dev, v, num(a, 2), num(a, 3), (uint32_t)num(a, 4), 0);

		if (r < 0)
			return r;
	}
	idd_dma_submit(me.dev, v);
	snprintf(out, cap, " %u", n);
	return 0;
}

/* collectn V N: collect N completions -> OK ERRORS FIRST_ERROR_STATUS */
static int
cmd_collectn(const struct args *a, char *out, size_t cap)
{
	unsigned int n = (unsigned int)num(a, 2), ok = 0, err = 0;
	int first = -1;

	if (collect((uint16_t)num(a, 1), n, NULL, &ok, &err, &first) != n)
		return -ETIMEDOUT;
	snprintf(out, cap, " %u %u %d", ok, err, first);
	return 0;
}

/* dumpcheck NEEDLE...: does idd_dma_dump() print this text? (Underscores
 * in the needle stand for spaces.) */
static int
cmd_dumpcheck(const struct args *a)
{
	char needle[256], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	snprintf(needle, sizeof(needle), "%s", a->n > 1 ? a->tok[1] : "");
	for (char *c = needle; *c != '\0'; c++)
		if (*c == '_')
			*c = ' ';
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return -ENOMEM;
	ret = idd_dma_dump(me.dev, f);
	fclose(f);
	if (ret == 0 && strstr(buf, needle) == NULL) {
		fprintf(stderr, "dump lacks '%s':\n%s", needle, buf);
		ret = -ENOENT;
	}
	free(buf);
	return ret;
}

static int
run(struct args *a, char *vals, size_t cap)
{
	const char *c = a->tok[0];
	unsigned char dom[16], tok[16];
	int ret;

	vals[0] = '\0';
	if (strcmp(c, "dev") == 0)
		return cmd_dev(a, vals, cap);
	if (strcmp(c, "close") == 0)
		return cmd_close();
	if (strcmp(c, "create") == 0) {
		int16_t gid = -1;

		if (parse_uuid(a->tok[1], dom) != 0 || parse_uuid(a->n > 2 ? a->tok[2] : NULL, tok))
			return -EPROTO;
		ret = idd_dma_access_pair_group_create(me.dev, dom, tok, &gid, on_group_event);
		snprintf(vals, cap, " %d", gid);
		return ret;
	}
	if (strcmp(c, "join") == 0) {
		if (parse_uuid(a->n > 2 ? a->tok[2] : NULL, dom) != 0 ||
		    parse_uuid(a->n > 3 ? a->tok[3] : NULL, tok) != 0)
			return -EPROTO;
		return idd_dma_access_pair_group_join(me.dev, dom, tok, (int16_t)num(a, 1),
						      on_group_event);
	}
	if (strcmp(c, "leave") == 0)
		return idd_dma_access_pair_group_leave(me.dev, (int16_t)num(a, 1));
	if (strcmp(c, "destroy") == 0)
		return idd_dma_access_pair_group_destroy(me.dev, (int16_t)num(a, 1));
	if (strcmp(c, "handler") == 0) {
		uint16_t h = 0;

		if (parse_uuid(a->n > 2 ? a->tok[2] : NULL, dom) != 0)
			return -EPROTO;
		ret = idd_dma_access_pair_group_handler_get(me.dev, (int16_t)num(a, 1), dom, &h);
		snprintf(vals, cap, " %u", h);
		return ret;
	}
	if (strcmp(c, "alloc") == 0) {
		void *p = idd_mem_alloc(num(a, 1), (unsigned int)num(a, 2));

		if (p == NULL)
			return -errno;
		snprintf(vals, cap, " %llu", (unsigned long long)(uintptr_t)p);
		return 0;
	}
	if (strcmp(c, "free") == 0)
		return idd_mem_free((void *)(uintptr_t)num(a, 1));
	if (strcmp(c, "unreg") == 0)
		return idd_mem_unregister((void *)(uintptr_t)num(a, 1));
	if (strcmp(c, "publish") == 0)
		return a->n < 5 ? -EPROTO
				: idd_dma_group_buffer_publish(me.dev, (int16_t)num(a, 1), a->tok[2],
							       (const void *)(uintptr_t)num(a, 3),
							       num(a, 4));
	if (strcmp(c, "unpublish") == 0)
		return a->n < 3 ? -EPROTO
				: idd_dma_group_buffer_unpublish(me.dev, (int16_t)num(a, 1),
								 a->tok[2]);
	if (strcmp(c, "lookcopy") == 0)
		return cmd_lookcopy(a, vals, cap);
	if (strcmp(c, "flood") == 0)
		return cmd_flood(a, vals, cap);
	if (strcmp(c, "collectn") == 0)
		return cmd_collectn(a, vals, cap);
	if (strcmp(c, "regwin") == 0)
		return cmd_regwin(a, vals, cap);
	if (strcmp(c, "fill") == 0) {
		dp_pattern_fill((uint8_t *)(uintptr_t)num(a, 1), num(a, 2), num(a, 3), num(a, 4));
		return 0;
	}
	if (strcmp(c, "check") == 0)
		return cmd_check(a, vals, cap, false);
	if (strcmp(c, "checkpat") == 0) {
		/* checkpat ADDR LEN PATTERN: what a fill with PATTERN writes. */
		const uint8_t *p = (const uint8_t *)(uintptr_t)num(a, 1);
		uint64_t pat = num(a, 3);

		for (size_t i = 0; i < num(a, 2); i++)
			if (p[i] != (uint8_t)(pat >> (8 * (i % 8)))) {
				snprintf(vals, cap, " %zu", i);
				return -EIO;
			}
		return 0;
	}
	if (strcmp(c, "wininfo") == 0) {
		struct idd_mem_window_info wi;

		ret = idd_mem_window_get((const void *)(uintptr_t)num(a, 1), &wi);
		if (ret == 0)
			snprintf(vals, cap, " %llu %llu %u %zu", (unsigned long long)(uintptr_t)wi.base,
				 (unsigned long long)wi.len, wi.perms, wi.page_size);
		return ret;
	}
	if (strcmp(c, "waitmembers") == 0) {
		/* waitmembers GID N MS: a member hears of later joiners a little
		 * after they joined (the creator relays). */
		uint64_t end = mono_us() + num(a, 3) * 1000u;

		for (;;) {
			ret = idd_dma_access_pair_group_members(me.dev, (int16_t)num(a, 1), NULL, 0);
			if (ret < 0 || (uint64_t)ret == num(a, 2))
				return ret < 0 ? ret : 0;
			if (mono_us() > end)
				return -ETIMEDOUT;
			usleep(1000);
		}
	}
	if (strcmp(c, "seq") == 0)
		return cmd_seq(a, vals, cap);
	if (strcmp(c, "floodleave") == 0)
		return cmd_floodleave(a, vals, cap);
	if (strcmp(c, "dumpcheck") == 0)
		return cmd_dumpcheck(a);
	if (strcmp(c, "set") == 0) {
		memset((void *)(uintptr_t)num(a, 1), (int)num(a, 3), num(a, 2));
		return 0;
	}
	if (strcmp(c, "checkbyte") == 0)
		return cmd_check(a, vals, cap, true);
	if (strcmp(c, "vsetup") == 0)
		return cmd_vsetup(a);
	if (strcmp(c, "start") == 0) {
		ret = idd_dma_start(me.dev);
		me.started = ret == 0;
		return ret;
	}
	if (strcmp(c, "stop") == 0) {
		me.started = false;
		return idd_dma_stop(me.dev);
	}
	if (strcmp(c, "copy") == 0) {
		uint16_t v = (uint16_t)num(a, 1);

		return one_status(v, idd_dma_copy(me.dev, v, num(a, 2), num(a, 3),
						  (uint32_t)num(a, 4),
						  num(a, 5) | IDD_DMA_OP_FLAG_SUBMIT),
				  vals, cap);
	}
	if (strcmp(c, "fillop") == 0) {
		uint16_t v = (uint16_t)num(a, 1);

		return one_status(v, idd_dma_fill(me.dev, v, num(a, 2), num(a, 3),
						  (uint32_t)num(a, 4), IDD_DMA_OP_FLAG_SUBMIT),
				  vals, cap);
	}
	if (strcmp(c, "sg") == 0)
		return cmd_sg(a, vals, cap);
	if (strcmp(c, "burst") == 0)
		return cmd_burst(a, vals, cap);
	if (strcmp(c, "waitread") == 0)
		return cmd_waitrw(a, false);
	if (strcmp(c, "waitwrite") == 0)
		return cmd_waitrw(a, true);
	if (strcmp(c, "multi") == 0)
		return cmd_multi(a, vals, cap);
	if (strcmp(c, "loop") == 0)
		return cmd_loop(a, vals, cap);
	if (strcmp(c, "stats") == 0) {
		struct idd_dma_stats_ext s;

		ret = idd_dma_stats_ext_get(me.dev, (uint16_t)num(a, 1), &s);
		if (ret == 0)
			snprintf(vals, cap, " %llu %llu %llu %llu", (unsigned long long)s.submitted,
				 (unsigned long long)s.completed, (unsigned long long)s.errors,
				 (unsigned long long)s.bytes);
		return ret;
	}
	if (strcmp(c, "dump") == 0)
		return idd_dma_dump(me.dev, stderr);
	if (strcmp(c, "waitev") == 0) {
		bool any = a->n > 2 && strcmp(a->tok[2], "any") == 0;

		if (!any && parse_uuid(a->n > 2 ? a->tok[2] : NULL, dom) != 0)
			return -EPROTO;
		return wait_event((int)num(a, 1), any ? NULL : dom, (int)num(a, 3));
	}
	return -ENOSYS;
}

void
dp_exec(const char *line, char *out, size_t cap)
{
	char copy[2048], vals[512];
	struct args a = {.n = 0};
	char *save = NULL;
	int ret;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok_r(copy, " \t\n", &save); t != NULL && a.n < MAX_TOK;
	     t = strtok_r(NULL, " \t\n", &save))
		a.tok[a.n++] = t;
	if (a.n == 0) {
		snprintf(out, cap, "ret %d", -EPROTO);
		return;
	}
	ret = run(&a, vals, sizeof(vals));
	snprintf(out, cap, "ret %d%s", ret, vals);
}

static int
agent_loop(void)
{
	char line[2048], out[1024];

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Refusals are part of several tests; keep the error lines, drop the
	 * information ones that would bury them. */
	idd_log_set_level(IDD_LOG_ERR);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "exit", 4) == 0) {
			if (me.dev >= 0)
				cmd_close();
			puts("ret 0");
			fflush(stdout);
			return 0;
		}
		dp_exec(line, out, sizeof(out));
		puts(out);
		fflush(stdout);
	}
	return 0;
}

/* ---- the test process ---- */

int
dp_main(int argc, char **argv)
{
	char tmpl[] = "/tmp/idd-dp-test-XXXXXX";

	if (argc >= 2 && strcmp(argv[1], "agent") == 0)
		return agent_loop();
	/* A private runtime directory and namespace: parallel test runs (and
	 * the other suites) never meet our groups. */
	agent_runtime_init(tmpl, true);
	dp_new_ns();
	idd_log_set_level(IDD_LOG_ERR);
	return -1;
}

const char *
dp_new_ns(void)
{
	return agent_new_ns("dp");
}

void
dp_self_init(struct dp_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = 0;
	p->to = p->from = -1;
}

void
dp_spawn(struct dp_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = agent_start("dp-agent", &p->to, &p->from);
}

static void
parse_reply(struct dp_proc *p, const char *line)
{
	const char *s = line + 4; /* after "ret " */
	char *end;

	snprintf(p->last, sizeof(p->last), "%s", line);
	p->nval = 0;
	strtol(s, &end, 10);
	s = end;
	while (*s == ' ' && p->nval < DP_MAX_VALS) {
		p->val[p->nval++] = (uint64_t)strtoll(s, &end, 0);
		if (end == s)
			break;
		s = end;
	}
}

static int
reply_code(const char *line)
{
	int code = -9999;

	sscanf(line, "ret %d", &code);
	return code;
}

static char pending[2048];

void
dp_send(struct dp_proc *p, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (p->pid == 0) {
		/* Ourselves: run it now, answer on dp_wait(). */
		snprintf(pending, sizeof(pending), "%s", line);
		return;
	}
	agent_write_line(p->to, line);
}

int
dp_wait(struct dp_proc *p)
{
	int code;

	if (p->pid == 0) {
		char out[1024];

		dp_exec(pending, out, sizeof(out));
		parse_reply(p, out);
		return reply_code(out);
	}
	if (agent_line_wait(p->pid, p->from, p->buf, sizeof(p->buf), &p->len, 120000) != 0) {
		snprintf(p->last, sizeof(p->last), "(no answer)");
		return -9999;
	}
	parse_reply(p, p->buf);
	code = reply_code(p->buf);
	agent_line_drop(p->buf, &p->len);
	return code;
}

int
dp_cmd(struct dp_proc *p, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dp_send(p, "%s", line);
	return dp_wait(p);
}

int
dp_exit(struct dp_proc *p)
{
	int status;

	if (p->pid == 0) {
		if (me.dev >= 0)
			cmd_close();
		return 0;
	}
	dp_cmd(p, "exit");
	status = agent_reap(p->pid, p->to, p->from);
	p->pid = -1;
	return status;
}

void
dp_kill(struct dp_proc *p)
{
	agent_kill_reap(p->pid, p->to, p->from);
	p->pid = -1;
}
