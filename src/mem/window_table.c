/* SPDX-License-Identifier: BSD-3-Clause */
/* Window tables: copy-on-write snapshots, import of a peer's window, removal
 * after a grace period. Translation itself is inline in window_table.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "common/log.h"
#include "mem/memfd.h"
#include "mem/window_table.h"

/* Generations and ids start at 1 and are never reused. */
static _Atomic uint64_t next_gen = 1;
static _Atomic uint64_t next_id = 1;

uint64_t
mem_wt_new_id(void)
{
	return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
}

static size_t
round64(size_t v)
{
	return (v + 63) & ~(size_t)63;
}

#define KEY_PAD 7 /* UINT64_MAX keys after the last, for the fixed scan */

/* One allocation: header, keys, entries, records, each 64-byte aligned.
 * The bucket array is built by index_build() once the keys are in. */
static struct mem_wt_snap *
snap_alloc(uint32_t n, uint64_t **keys, struct mem_wt_entry **ent, struct mem_wt_rec ***rec)
{
	size_t hdr = round64(sizeof(struct mem_wt_snap));
	size_t k = round64(((size_t)n + KEY_PAD) * sizeof(uint64_t));
	size_t e = round64((size_t)n * sizeof(struct mem_wt_entry));
	size_t r = round64((size_t)n * sizeof(struct mem_wt_rec *));
	char *mem = aligned_alloc(64, hdr + k + e + r);

	if (mem == NULL)
		return NULL;
	struct mem_wt_snap *s = (struct mem_wt_snap *)mem;
	memset(s, 0, sizeof(*s));
	*keys = (uint64_t *)(mem + hdr);
	*ent = (struct mem_wt_entry *)(mem + hdr + k);
	*rec = (struct mem_wt_rec **)(mem + hdr + k + e);
	for (uint32_t i = 0; i < KEY_PAD; i++)
		(*keys)[n + i] = UINT64_MAX;
	s->n = n;
	s->keys = *keys;
	s->ent = *ent;
	s->rec = *rec;
	s->gen = atomic_fetch_add_explicit(&next_gen, 1, memory_order_relaxed);
	return s;
}

static void
snap_free(struct mem_wt_snap *s)
{
	if (s == NULL)
		return;
	free((void *)s->bucket);
	free(s);
}

static void
snap_free_cb(struct mem_rcu_head *h)
{
	snap_free((struct mem_wt_snap *)((char *)h - offsetof(struct mem_wt_snap, rcu)));
}

static uint32_t
ceil_log2(uint64_t v)
{
	return v <= 1 ? 0 : 64 - (uint32_t)__builtin_clzll(v - 1);
}

/* Fill bucket[0..nb] for 2^m buckets; return the widest bucket range. */
static uint32_t
index_fill(const uint64_t *keys, uint32_t n, uint64_t lo, uint64_t span_m1, uint32_t shift,
	   uint32_t nb, uint32_t *bucket)
{
	uint64_t last_b = span_m1 >> shift; /* buckets past it start past the end */
	uint32_t j = 0, widest = 0;

	for (uint64_t b = 0; b <= nb; b++) {
		if (b > last_b) {
			bucket[b] = n - 1;
		} else {
			uint64_t start = lo + (b << shift);

			while (j + 1 < n && keys[j + 1] <= start)
				j++;
			bucket[b] = j;
		}
		if (b > 0 && bucket[b] - bucket[b - 1] > widest)
			widest = bucket[b] - bucket[b - 1];
	}
	return widest;
}

/* Choose the bucket count (from about one per window up to 8 per window)
 * until every bucket's range is narrow enough for the fixed scan. Returns
 * 0 or -ENOMEM. */
static int
index_build(struct mem_wt_snap *s)
{
	uint32_t n = s->n;

	if (n == 0)
		return 0;
	const uint64_t *keys = s->keys;
	uint64_t lo = keys[0];
	uint64_t span_m1 = s->ent[n - 1].base + s->ent[n - 1].size_m1 - lo;
	uint32_t bits = span_m1 == 0 ? 0 : 64 - (uint32_t)__builtin_clzll(span_m1);
	uint32_t m0 = ceil_log2(n);
	uint32_t *bucket = NULL;
	uint32_t m, shift = 0;

	for (m = m0; m <= m0 + 3 && m <= 22; m++) {
		uint32_t nb = 1u << m;
		uint32_t *nbk = realloc(bucket, ((size_t)nb + 1) * sizeof(*bucket));

		if (nbk == NULL) {
			free(bucket);
			return -ENOMEM;
		}
		bucket = nbk;
		shift = bits > m ? bits - m : 0;
		if (shift > 63)
			shift = 63;
		if (index_fill(keys, n, lo, span_m1, shift, nb, bucket) < 8 || m == m0 + 3 ||
		    m == 22)
			break;
	}
	s->lo = lo;
	s->shift = shift;
	s->nb_m1 = (1u << m) - 1;
	s->bucket = bucket;
	return 0;
}

static void
fill(uint64_t *keys, struct mem_wt_entry *ent, struct mem_wt_rec **recs, uint32_t i,
     struct mem_wt_rec *rec)
{
	keys[i] = rec->base;
	ent[i] = (struct mem_wt_entry){
		.base = rec->base,
		.size_m1 = rec->len - 1,
		.delta = (uint64_t)(uintptr_t)rec->local - rec->base,
		.perms = rec->perms,
	};
	recs[i] = rec;
}

/* Publish @s as the table's snapshot (caller holds t->lock) and hand the
 * old one to the next grace period. */
static void
publish(struct mem_wt *t, struct mem_wt_snap *s)
{
	struct mem_wt_snap *old = atomic_load_explicit(&t->snap, memory_order_relaxed);

	/* Release pairs with the acquire load in mem_wt_translate(). */
	atomic_store_explicit(&t->snap, s, memory_order_release);
	mem_rcu_defer(&old->rcu, snap_free_cb);
}

struct mem_wt *
mem_wt_create(const char *name)
{
	struct mem_wt *t = aligned_alloc(64, round64(sizeof(*t)));
	uint64_t *keys;
	struct mem_wt_entry *ent;
	struct mem_wt_rec **rec;

	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	struct mem_wt_snap *s = snap_alloc(0, &keys, &ent, &rec);
	if (s == NULL) {
		free(t);
		return NULL;
	}
	atomic_init(&t->snap, s);
	pthread_mutex_init(&t->lock, NULL);
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Position of the first key > base (the insertion point). */
static uint32_t
upper_bound(const struct mem_wt_snap *s, uint64_t base)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->keys[mid] <= base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
mem_wt_insert(struct mem_wt *t, struct mem_wt_rec *rec)
{
	uint64_t *keys;
	struct mem_wt_entry *ent;
	struct mem_wt_rec **recs;
	uint64_t last = rec->base + rec->len - 1;

	if (rec->len == 0 || last < rec->base)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *old = atomic_load_explicit(&t->snap, memory_order_relaxed);
	uint32_t pos = upper_bound(old, rec->base);

	if (t->max_windows != 0 && old->n >= t->max_windows) {
		pthread_mutex_unlock(&t->lock);
		return -ENOSPC;
	}

	/* Windows of one address space never overlap: check both neighbours. */
	if ((pos > 0 && old->ent[pos - 1].base + old->ent[pos - 1].size_m1 >= rec->base) ||
	    (pos < old->n && old->keys[pos] <= last)) {
		pthread_mutex_unlock(&t->lock);
		return -EEXIST;
	}
	struct mem_wt_snap *s = snap_alloc(old->n + 1, &keys, &ent, &recs);
	if (s == NULL) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	rec->id = mem_wt_new_id();
	for (uint32_t i = 0, j = 0; i < s->n; i++) {
		if (i == pos) {
			fill(keys, ent, recs, i, rec);
		} else {
			keys[i] = old->keys[j];
			ent[i] = old->ent[j];
			recs[i] = old->rec[j];
			j++;
		}
	}
	if (index_build(s) != 0) {
		snap_free(s);
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	publish(t, s);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

struct mem_wt_rec *
mem_wt_unlink(struct mem_wt *t, uint64_t base, uint32_t need_flags)
{
	uint64_t *keys;
	struct mem_wt_entry *ent;
	struct mem_wt_rec **recs;

	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *old = atomic_load_explicit(&t->snap, memory_order_relaxed);
	uint32_t pos = upper_bound(old, base);

	if (pos == 0 || old->keys[pos - 1] != base ||
	    (old->rec[pos - 1]->flags & need_flags) != need_flags) {
		pthread_mutex_unlock(&t->lock);
		return NULL;
	}
	pos--;
	struct mem_wt_snap *s = snap_alloc(old->n - 1, &keys, &ent, &recs);
	if (s == NULL) {
		/* Cannot shrink without memory: hide the window in place would
		 * need writing a published snapshot. Fail instead. */
		pthread_mutex_unlock(&t->lock);
		IDD_LOG(ERR, "mem: table %s: removal of window 0x%" PRIx64 " failed: out of memory",
			t->name, base);
		return NULL;
	}
	struct mem_wt_rec *rec = old->rec[pos];
	for (uint32_t i = 0, j = 0; j < old->n; j++) {
		if (j == pos)
			continue;
		keys[i] = old->keys[j];
		ent[i] = old->ent[j];
		recs[i] = old->rec[j];
		i++;
	}
	if (index_build(s) != 0) {
		snap_free(s);
		pthread_mutex_unlock(&t->lock);
		IDD_LOG(ERR, "mem: table %s: removal of window 0x%" PRIx64 " failed: out of memory",
			t->name, base);
		return NULL;
	}
	publish(t, s);
	pthread_mutex_unlock(&t->lock);
	return rec;
}

int
mem_wt_remove(struct mem_wt *t, uint64_t base)
{
	if (mem_rcu_in_read_section()) {
		IDD_LOG(ERR, "mem: table %s: removal of window 0x%" PRIx64
			" refused: caller is inside a read-side section", t->name, base);
		return -EDEADLK;
	}
	struct mem_wt_rec *rec = mem_wt_unlink(t, base, 0);
	if (rec == NULL)
		return -ENOENT;
	mem_rcu_synchronize();
	rec->release(rec);
	return 0;
}

void
mem_wt_destroy(struct mem_wt *t)
{
	uint64_t *keys;
	struct mem_wt_entry *ent;
	struct mem_wt_rec **recs;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *old = atomic_load_explicit(&t->snap, memory_order_relaxed);
	struct mem_wt_snap *empty = snap_alloc(0, &keys, &ent, &recs);
	if (empty != NULL)
		atomic_store_explicit(&t->snap, empty, memory_order_release);
	pthread_mutex_unlock(&t->lock);

	mem_rcu_synchronize();
	for (uint32_t i = 0; i < old->n; i++)
		old->rec[i]->release(old->rec[i]);
	snap_free(old);
	snap_free(empty);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void
imported_release(struct mem_wt_rec *rec)
{
	munmap(rec->map_addr, rec->map_len);
	free(rec);
}

int
mem_wt_import(struct mem_wt *t, int fd, uint64_t offset, uint64_t base, uint64_t len,
	      uint32_t perms, uint64_t *id_out)
{
	char who[128];
	size_t page;
	int err;

	snprintf(who, sizeof(who), "mem: table %s: import of window 0x%" PRIx64 "+%" PRIu64,
		 t->name, base, len);
	if (len == 0 || len - 1 > UINT64_MAX - base || len > SIZE_MAX / 2 ||
	    offset > UINT64_MAX - len) {
		IDD_LOG(ERR, "%s refused: bad range (offset %" PRIu64 ")", who, offset);
		return -EINVAL;
	}
	if (perms == 0 || (perms & ~(uint32_t)IDD_MEM_PEER_RW) != 0) {
		IDD_LOG(ERR, "%s refused: bad permissions 0x%x", who, perms);
		return -EINVAL;
	}
	err = mem_fd_check(fd, offset, len, who, &page);
	if (err != 0)
		return err;
	if (base % page != 0 || offset % page != 0) {
		IDD_LOG(ERR, "%s refused: base or offset %" PRIu64 " not aligned to the page size %zu",
			who, offset, page);
		return -EINVAL;
	}
	size_t maplen = (size_t)((len + page - 1) & ~(uint64_t)(page - 1));
	int prot = ((perms & IDD_MEM_PEER_READ) ? PROT_READ : 0) |
		   ((perms & IDD_MEM_PEER_WRITE) ? PROT_WRITE : 0);
	void *map = mmap(NULL, maplen, prot, MAP_SHARED, fd, (off_t)offset);
	if (map == MAP_FAILED) {
		err = errno;
		if (err == EACCES) {
			IDD_LOG(ERR, "%s refused: fd %d does not allow %s access", who, fd,
				(perms & IDD_MEM_PEER_WRITE) ? "write" : "read");
			return -EPERM;
		}
		IDD_LOG(ERR, "%s failed: mmap: %s", who, strerror(err));
		return -err;
	}
	struct mem_wt_rec *rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		munmap(map, maplen);
		IDD_LOG(ERR, "%s failed: out of memory", who);
		return -ENOMEM;
	}
	*rec = (struct mem_wt_rec){
		.base = base, .len = len, .offset = offset, .local = map, .map_addr = map,
		.map_len = maplen, .page_size = page, .fd = -1, .perms = perms,
		.flags = MEM_WIN_IMPORTED | (page > mem_page_size() ? MEM_WIN_HUGE : 0),
		.release = imported_release,
	};
	err = mem_wt_insert(t, rec);
	if (err != 0) {
		if (err == -ENOSPC)
			IDD_LOG(ERR, "%s refused: the peer offers %u windows already "
				     "(IDD_MEM_MAX_WINDOWS)", who, t->max_windows);
		else
			IDD_LOG(ERR, "%s refused: %s", who,
				err == -EEXIST ? "overlaps a window already imported"
					       : strerror(-err));
		munmap(map, maplen);
		free(rec);
		return err;
	}
	if (id_out != NULL)
		*id_out = rec->id;
	IDD_LOG(DEBUG, "%s: mapped at %p (%s)", who, map,
		(perms == IDD_MEM_PEER_RW) ? "read-write" :
		(perms & IDD_MEM_PEER_READ) ? "read-only" : "write-only");
	/* Free the replaced snapshot now rather than at some later removal. */
	if (!mem_rcu_in_read_section())
		mem_rcu_synchronize();
	return 0;
}

int
mem_wt_find(struct mem_wt *t, uint64_t addr, struct mem_wt_rec *out)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *s = atomic_load_explicit(&t->snap, memory_order_relaxed);
	if (s->n > 0) {
		uint32_t i = mem_wt_search(s, addr);

		if (addr - s->ent[i].base <= s->ent[i].size_m1) {
			*out = *s->rec[i];
			ret = 0;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

unsigned int
mem_wt_list(struct mem_wt *t, struct mem_wt_rec *out, unsigned int max)
{
	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *s = atomic_load_explicit(&t->snap, memory_order_relaxed);
	unsigned int n = s->n;

	for (unsigned int i = 0; i < n && i < max; i++)
		out[i] = *s->rec[i];
	pthread_mutex_unlock(&t->lock);
	return n;
}

int
mem_wt_export_fd(struct mem_wt *t, uint64_t id)
{
	int ret = -ENOENT;

	/* Under the lock the window cannot be unlinked, so its fd (closed
	 * only after unlinking) stays open while we duplicate it. */
	pthread_mutex_lock(&t->lock);
	struct mem_wt_snap *s = atomic_load_explicit(&t->snap, memory_order_relaxed);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct mem_wt_rec *rec = s->rec[i];

		if (rec->id != id)
			continue;
		if (rec->fd < 0 || rec->perms == 0)
			break; /* imported, or private: not ours to give */
		if (rec->perms == IDD_MEM_PEER_READ) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/self/fd/%d", rec->fd);
			ret = open(path, O_RDONLY | O_CLOEXEC);
			if (ret >= 0)
				break;
			IDD_LOG(WARNING, "mem: window %" PRIu64 " (0x%" PRIx64 "): no read-only fd "
				"(%s: %s); the peer gets a read-write one and only idd's checks "
				"keep it from writing", id, rec->base, path, strerror(errno));
		}
		ret = fcntl(rec->fd, F_DUPFD_CLOEXEC, 0);
		if (ret < 0)
			ret = -errno;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

unsigned int
mem_wt_count(struct mem_wt *t)
{
	pthread_mutex_lock(&t->lock);
	unsigned int n = atomic_load_explicit(&t->snap, memory_order_relaxed)->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}
