/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_MEM_WINDOW_TABLE_H
#define IDD_SRC_MEM_WINDOW_TABLE_H

/*
 * Window tables: one per address space (the local process's windows, and
 * one for each peer whose windows this process has imported), and the
 * address translation the engines run on every operation.
 *
 * A table is published as an immutable snapshot: the window bases in one
 * sorted array (the search touches only this, 8 bytes a window), the hot
 * fields of each window in a second array, the rest in a record per window.
 * Writers build a new snapshot under the table's mutex, publish it with a
 * release store, and free the old one after a grace period (rcu.h).
 * Readers never lock:
 *
 *     mem_rcu_read_lock();
 *     void *p = mem_wt_translate(t, &cache, addr, len, MEM_ACCESS_WRITE);
 *     ...use p, [p, p + len) is mapped...
 *     mem_rcu_read_unlock();
 *
 * A pointer from mem_wt_translate() is valid until the read-side section
 * ends. Removing a window waits for a grace period before it unmaps, so an
 * engine must leave its read-side section at least once per burst.
 *
 * The last-hit cache is the caller's (one per vchan side, say): no shared
 * line is written on a lookup. A cache entry is tagged with the snapshot's
 * generation, unique across all tables and never reused, so a cache can
 * never hit a window that has been removed since, nor one of another table.
 *
 * Lock order: a table's lock, then rcu's locks.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <idd/idd_mem.h>

#include "mem/rcu.h"

/* What the caller wants to do at an address: a window's perms must include
 * it. Same bits as the IDD_MEM_PEER_* permissions. */
#define MEM_ACCESS_READ IDD_MEM_PEER_READ
#define MEM_ACCESS_WRITE IDD_MEM_PEER_WRITE

/* Record flags. */
#define MEM_WIN_HEAP IDD_MEM_WINDOW_HEAP
#define MEM_WIN_REGISTERED IDD_MEM_WINDOW_REGISTERED
#define MEM_WIN_HUGE IDD_MEM_WINDOW_HUGE
#define MEM_WIN_IMPORTED (1u << 8) /* mapped by mem_wt_import(); the table unmaps it */

/* One window, as the table's owner knows it. Stable while the window is in
 * the table: snapshots point at it, and it is released only after the
 * grace period that follows its removal. */
struct mem_wt_rec {
	uint64_t id;          /* unique in the process */
	uint64_t base;        /* owner's address of the first byte */
	uint64_t len;
	uint64_t offset;      /* of base in fd */
	void *local;          /* where the window is mapped here */
	void *map_addr;       /* mapping to undo at release (imported), or NULL */
	size_t map_len;
	size_t page_size;
	int fd;               /* local windows: the window's fd; imported: -1 */
	uint32_t perms;       /* IDD_MEM_PEER_* */
	uint32_t flags;       /* MEM_WIN_* */
	void *owner;          /* the heap segment, for MEM_WIN_HEAP */
	/* Called after the grace period that follows removal; frees the rec. */
	void (*release)(struct mem_wt_rec *rec);
	struct mem_rcu_head rcu;
};

/* Hot part of a window, what translation reads. */
struct mem_wt_entry {
	uint64_t base;
	uint64_t size_m1;     /* len - 1: the last byte is base + size_m1 */
	uint64_t delta;       /* local address = addr + delta (mod 2^64) */
	uint32_t perms;
	uint32_t pad;
};

struct mem_wt_snap {
	uint64_t gen;
	uint32_t n;
	uint32_t shift;                 /* bucket = (addr - lo) >> shift */
	uint64_t lo;                    /* first base */
	uint32_t nb_m1;                 /* buckets - 1 */
	uint32_t pad;
	const uint32_t *bucket;         /* nb + 1 entries, see mem_wt_search() */
	const uint64_t *keys;           /* n bases, ascending, then 7 x UINT64_MAX */
	const struct mem_wt_entry *ent; /* n entries, same order */
	struct mem_wt_rec *const *rec;  /* n records, same order */
	struct mem_rcu_head rcu;
};

struct mem_wt {
	/* Read by every lookup; written only when a window comes or goes. */
	struct mem_wt_snap *_Atomic snap;
	char pad[64 - sizeof(void *)];
	pthread_mutex_t lock; /* writers */
	char name[32];        /* for log lines */
	/* Most windows the table accepts; 0: no bound. Set once, before the
	 * table is shared: the process's own table and every peer's table
	 * hold at most IDD_MEM_MAX_WINDOWS (a peer cannot make us map, and
	 * keep fds for, more windows than it may have itself). */
	uint32_t max_windows;
};

/* A caller's last-hit cache. Zero-initialise (or mem_wt_cache_init()). */
struct mem_wt_cache {
	uint64_t gen;
	uint64_t base;
	uint64_t size_m1;
	uint64_t delta;
	uint32_t perms;
};

static inline void
mem_wt_cache_init(struct mem_wt_cache *c)
{
	/* No snapshot has generation 0: the first lookup searches. */
	*c = (struct mem_wt_cache){.gen = 0};
}

/*
 * Index of the last window whose base is <= addr, or of some window that
 * cannot hold addr (the caller's range check rejects it). n > 0.
 *
 * A binary search over 1,000 keys is ten dependent loads. The snapshot
 * also cuts the span of its windows into 2^k equal buckets and keeps, for
 * each bucket start, the index of the last window at or below it: addr's
 * window lies between the entries of its bucket and of the next one. The
 * bucket count is chosen when the snapshot is built so that such a range
 * holds at most 8 windows, and then a fixed, branch-free count of 7 keys
 * finds it. Where windows cluster too tightly for that, the range is
 * searched by halving, as before.
 */
static inline uint32_t
mem_wt_search(const struct mem_wt_snap *s, uint64_t addr)
{
	uint64_t b = (addr - s->lo) >> s->shift;

	if (b > s->nb_m1)
		b = s->nb_m1; /* below lo (wrapped) or past the end: no window */
	uint32_t i0 = s->bucket[b];
	uint32_t span = s->bucket[b + 1] - i0;
	const uint64_t *k = s->keys + i0;

	if (mem_likely(span < 8)) {
		/* Keys past the range exceed addr; the padding stops reads at
		 * the end of the array, and the clamp keeps addr = UINT64_MAX
		 * (not below the padding) in the range. */
		uint32_t c = (uint32_t)(k[1] <= addr) + (uint32_t)(k[2] <= addr) +
			     (uint32_t)(k[3] <= addr) + (uint32_t)(k[4] <= addr) +
			     (uint32_t)(k[5] <= addr) + (uint32_t)(k[6] <= addr) +
			     (uint32_t)(k[7] <= addr);
		return i0 + (c < span ? c : span);
	}
	for (uint32_t n = span + 1; n > 1;) {
		uint32_t half = n >> 1;

		k = k[half] <= addr ? k + half : k;
		n -= half;
	}
	return (uint32_t)(k - s->keys);
}

/* Full lookup, cache refill. Out of line in spirit, inline for speed. */
static inline void *
mem_wt_translate_slow(const struct mem_wt_snap *s, struct mem_wt_cache *c, uint64_t addr,
		      uint64_t len, uint32_t access)
{
	if (mem_unlikely(s->n == 0))
		return NULL;
	const struct mem_wt_entry *e = &s->ent[mem_wt_search(s, addr)];
	uint64_t off = addr - e->base;

	/* The window holds [base, base + size_m1]. off wraps when addr < base;
	 * len - 1 wraps when len == 0; neither can pass the checks, and
	 * nothing here computes addr + len, which could overflow. */
	if (off > e->size_m1 || len - 1 > e->size_m1 - off || (access & ~e->perms) != 0)
		return NULL;
	c->gen = s->gen;
	c->base = e->base;
	c->size_m1 = e->size_m1;
	c->delta = e->delta;
	c->perms = e->perms;
	return (void *)(uintptr_t)(addr + e->delta);
}

/*
 * Translate [addr, addr + len) of the table's address space to a local
 * pointer, if the whole range lies in one window whose permissions include
 * @access (MEM_ACCESS_*). NULL otherwise (len 0 included). Call inside a
 * read-side section; the result is valid until it ends.
 */
static inline void *
mem_wt_translate(struct mem_wt *t, struct mem_wt_cache *c, uint64_t addr, uint64_t len,
		 uint32_t access)
{
	/* Acquire pairs with the release store that published the snapshot:
	 * its arrays are initialised before we read them. */
	const struct mem_wt_snap *s = atomic_load_explicit(&t->snap, memory_order_acquire);
	uint64_t off = addr - c->base;

	if (mem_likely(c->gen == s->gen && off <= c->size_m1 && len - 1 <= c->size_m1 - off &&
		       (access & ~c->perms) == 0))
		return (void *)(uintptr_t)(addr + c->delta);
	return mem_wt_translate_slow(s, c, addr, len, access);
}

/* Create an empty table; @name appears in log lines. NULL if out of memory.
 * It has no bound on its windows until max_windows is set. */
struct mem_wt *mem_wt_create(const char *name);

/*
 * Remove every window (as mem_wt_remove() does, after one grace period for
 * all) and free the table. No reader may use the table once this starts.
 * Must not be called inside a read-side section.
 */
void mem_wt_destroy(struct mem_wt *t);

/*
 * Import a peer's window: check @fd (seals, size: -EPERM, logged), map
 * [offset, offset + len) of it with the protection @perms allows, and
 * insert it as [base, base + len) of the peer's address space. The caller
 * keeps @fd (the mapping does not need it). @base and @offset must be
 * aligned to the file's page size; @perms must not be 0.
 * Returns 0, -EINVAL, -EBADF, -EPERM, -EEXIST (overlaps a window of the
 * table), -ENOSPC (the table is full: max_windows), -ENOMEM, or the errno
 * of mmap. @id_out, if not NULL, receives the
 * window's id.
 */
int mem_wt_import(struct mem_wt *t, int fd, uint64_t offset, uint64_t base, uint64_t len,
		  uint32_t perms, uint64_t *id_out);

/*
 * Remove the window that starts at @base: after a grace period its
 * mapping is undone (imported) and its record released. Returns 0,
 * -ENOENT, or -EDEADLK inside a read-side section.
 */
int mem_wt_remove(struct mem_wt *t, uint64_t base);

/*
 * Insert a prepared record (local windows: the heap's segments, registered
 * memory). rec->local, base, len, perms and release must be set; the id is
 * assigned here. Never waits: the old snapshot is freed at a later grace
 * period. Returns 0, -EEXIST (overlap, logged by the caller), -ENOSPC (the
 * table holds max_windows windows; logged by the caller) or -ENOMEM.
 */
int mem_wt_insert(struct mem_wt *t, struct mem_wt_rec *rec);

/*
 * Take the window that starts at @base out of the table and return its
 * record, or NULL (none there, or its flags lack some of @need_flags).
 * Never waits: the caller must let a grace period pass
 * (mem_rcu_synchronize()) before it releases what the record describes.
 */
struct mem_wt_rec *mem_wt_unlink(struct mem_wt *t, uint64_t base, uint32_t need_flags);

/*
 * Copy the record of the window holding @addr to *@out (control path).
 * Returns 0 or -ENOENT.
 */
int mem_wt_find(struct mem_wt *t, uint64_t addr, struct mem_wt_rec *out);

/* Copy up to @max records, in address order, to @out; return how many
 * windows the table holds (may be more than @max). */
unsigned int mem_wt_list(struct mem_wt *t, struct mem_wt_rec *out, unsigned int max);

/*
 * A new fd for the window @id, for a peer: read-only when the window's
 * permissions are IDD_MEM_PEER_READ alone (reopened through /proc/self/fd,
 * so the peer cannot map it writable), a duplicate otherwise. Close-on-exec.
 * Returns the fd, -ENOENT (no such window, or not a local one) or -errno.
 */
int mem_wt_export_fd(struct mem_wt *t, uint64_t id);

/* Number of windows. */
unsigned int mem_wt_count(struct mem_wt *t);

/* A new window id (unique in the process). */
uint64_t mem_wt_new_id(void);

#endif
