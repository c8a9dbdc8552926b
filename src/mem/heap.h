/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_MEM_HEAP_H
#define IDD_SRC_MEM_HEAP_H

/*
 * The idd_mem_alloc() heap (see doc/design.md, "Memory"):
 *
 *   segment.c  memfd segments, the address -> segment map
 *   buddy.c    page runs inside a heap segment (binary buddy, trimmed)
 *   slab.c     size classes: slabs of equal blocks, per-class free lists
 *   tcache.c   per-thread caches of free blocks
 *   heap.c     idd_mem_alloc/free: dispatch by size, checks, errors
 *
 * No allocator metadata lives in the segments: peers may write them, and a
 * peer must not be able to corrupt our free lists. Everything below is in
 * private memory.
 *
 * Lock order: class lock, then arena lock, then the segment map lock, then
 * window-table and rcu locks. The free fast path takes none.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/memfd.h"
#include "mem/rcu.h"
#include "mem/window_table.h"

#define MEM_PAGE_SHIFT 12                      /* heap page: the unit of runs */
#define MEM_PAGE ((size_t)1 << MEM_PAGE_SHIFT)
#define MEM_SEG_SIZE ((size_t)64 << 20)        /* a heap segment */
#define MEM_SEG_PAGES ((uint32_t)(MEM_SEG_SIZE >> MEM_PAGE_SHIFT))
#define MEM_MAX_ORDER 14                       /* 2^14 pages = one segment */
#define MEM_LARGE_MIN ((size_t)8 << 20)        /* from here: a segment of its own */
#define MEM_SMALL_MAX ((size_t)32 << 10)       /* largest size class */
#define MEM_NCLASS 32
#define MEM_NARENA 4                           /* one per permission set */
#define MEM_NIL UINT32_MAX

/* Page states (struct mem_page.state). */
enum {
	MEM_PG_FREE_BODY = 0, /* inside a free buddy block, not its first page */
	MEM_PG_FREE_HEAD,     /* first page of a free block of 2^order pages */
	MEM_PG_RUN_HEAD,      /* first page of a medium block (npages pages) */
	MEM_PG_RUN_BODY,      /* later page of a medium block */
	MEM_PG_SLAB,          /* page of a slab */
};

/* Block states in a slab. */
enum {
	MEM_BLK_FREE = 0,
	MEM_BLK_USED = 1,
};

struct mem_slab;

struct mem_page {
	uint8_t state;
	uint8_t order;     /* FREE_HEAD */
	uint8_t cls;       /* SLAB: the slab's size class */
	uint8_t pad;
	uint32_t npages;   /* RUN_HEAD */
	union {
		struct {
			uint32_t prev, next; /* FREE_HEAD: free list of its order */
		} link;
		struct mem_slab *slab;       /* SLAB */
	} u;
};

enum { MEM_SEG_HEAP = 1, MEM_SEG_LARGE = 2 };

struct mem_arena;

struct mem_seg {
	uintptr_t base;             /* heap: MEM_SEG_SIZE-aligned */
	size_t len;                 /* bytes usable (heap: MEM_SEG_SIZE) */
	uint8_t kind;
	uint8_t perms;
	atomic_uchar large_used;    /* LARGE: 1 while the block is allocated */
	uint32_t gen;               /* mem_heap_gen at creation */
	struct mem_mapping map;
	struct mem_arena *arena;
	struct mem_wt_rec *win;     /* its window in the local table */
	struct mem_seg *next;       /* arena's list */
	struct mem_rcu_head rcu;    /* LARGE: unmapping after a grace period */
	/* HEAP only, under the arena lock (states also read by free) */
	uint32_t free_head[MEM_MAX_ORDER + 1];
	uint32_t free_mask;         /* bit k: free_head[k] is not empty */
	uint32_t free_pages;
	struct mem_page pages[];    /* HEAP: MEM_SEG_PAGES entries */
};

struct mem_class {
	pthread_mutex_t lock;
	struct mem_slab *partial;   /* slabs with free blocks */
	uint32_t nempty;            /* fully free slabs on that list */
	uint32_t size;
	uint32_t magic;             /* ceil(2^32 / size) */
	uint32_t slab_pages;
	uint32_t nblocks;
};

struct mem_arena {
	pthread_mutex_t lock;       /* segments and their pages */
	struct mem_seg *segs;
	uint32_t perms;
	struct mem_class cls[MEM_NCLASS];
};

struct mem_slab {
	/* read by every free */
	uintptr_t base;
	uint32_t size;
	uint32_t magic;
	uint32_t nblocks;
	uint16_t cls;
	uint8_t arena;
	uint8_t on_list;
	/* under the class lock */
	struct mem_slab *prev, *next;   /* class's partial list */
	struct mem_seg *seg;
	uint32_t page;                  /* first page in seg */
	uint32_t nfree;                 /* entries in stack */
	uint16_t *stack;                /* free block indices */
	atomic_uchar state[];           /* MEM_BLK_* per block */
};

extern struct mem_arena mem_arenas[MEM_NARENA];
extern const uint32_t mem_class_size[MEM_NCLASS];

extern const uint8_t mem_class_lut[64];

/* Size class of 1 <= len <= MEM_SMALL_MAX. Classes are multiples of 64:
 * 64..512 by 64, then four per doubling up to 32 KiB; up to 4 KiB a table
 * lookup, since every class there is a multiple of 64. */
static inline uint32_t
mem_size_class(size_t len)
{
	if (mem_likely(len <= 4096))
		return mem_class_lut[(len - 1) >> 6];
	size_t x = len - 1;
	uint32_t lg = 63 - (uint32_t)__builtin_clzll(x);      /* >= 12 */
	return 8 + (lg - 9) * 4 + (uint32_t)((x >> (lg - 2)) & 3);
}

/* Bumped in a fork()ed child: segments of an older generation were
 * inherited from the parent and are not the child's to use or free. */
extern uint32_t mem_heap_gen;

/* segment.c */
int mem_seg_create(struct mem_arena *a, int kind, size_t len, struct mem_seg **out);
void mem_seg_destroy(struct mem_seg *s);
void mem_seg_fork_child(void);

/*
 * Address -> segment map: two levels over the 48-bit user address space in
 * MEM_MAP_ALIGN (2 MiB) chunks. Every segment starts on a chunk boundary, so
 * a chunk belongs to at most one segment. Leaves are allocated on demand and
 * never freed; entries are published with release stores and read with
 * acquire loads, so a lookup never takes a lock.
 */
#define MEM_CHUNK_SHIFT 21
#define MEM_ADDR_BITS 48
#define MEM_LEAF_BITS 14
#define MEM_TOP_BITS (MEM_ADDR_BITS - MEM_CHUNK_SHIFT - MEM_LEAF_BITS)

typedef struct mem_seg *_Atomic mem_seg_slot;
extern mem_seg_slot *_Atomic mem_seg_map[1u << MEM_TOP_BITS];

/* The segment whose chunks include @addr, or NULL. A heap segment covers
 * all of its chunks; a large one may end inside its last chunk. */
static inline struct mem_seg *
mem_seg_lookup(uintptr_t addr)
{
	uintptr_t chunk = addr >> MEM_CHUNK_SHIFT;

	if (mem_unlikely(addr >> MEM_ADDR_BITS))
		return NULL;
	/* Acquire pairs with the release stores in segment.c. */
	mem_seg_slot *leaf = atomic_load_explicit(&mem_seg_map[chunk >> MEM_LEAF_BITS],
						  memory_order_acquire);
	if (mem_unlikely(leaf == NULL))
		return NULL;
	return atomic_load_explicit(&leaf[chunk & ((1u << MEM_LEAF_BITS) - 1)],
				    memory_order_acquire);
}

/* buddy.c (arena lock held) */
void mem_buddy_init(struct mem_seg *s);
uint32_t mem_buddy_alloc(struct mem_seg *s, uint32_t npages, uint32_t align_order);
void mem_buddy_free(struct mem_seg *s, uint32_t page);
void mem_buddy_mark_slab(struct mem_seg *s, uint32_t page, uint32_t npages, struct mem_slab *slab,
			 uint32_t cls);

/* Allocate @npages pages aligned to 2^@align_order pages from the arena,
 * creating a segment if needed; *@seg_out, page index and 0, or -errno. */
int mem_arena_pages(struct mem_arena *a, uint32_t npages, uint32_t align_order,
		    struct mem_seg **seg_out, uint32_t *page_out);

/* slab.c */
void mem_class_init(struct mem_class *c, uint32_t cls);
/* Take up to @want free blocks of class @cls; returns how many (0: errno). */
struct mem_tc_entry;
unsigned int mem_class_take(struct mem_arena *a, uint32_t cls, struct mem_tc_entry *out,
			    unsigned int want);
/* Give blocks back (already marked free). */
void mem_class_give(struct mem_arena *a, uint32_t cls, const struct mem_tc_entry *in,
		    unsigned int n);

/* tcache.c */
struct mem_tc_entry {
	void *p;
	atomic_uchar *state;
};

struct mem_tc_bin {
	uint32_t n;
	uint32_t cap;
	struct mem_tc_entry *e;
};

struct mem_tcache {
	struct mem_tc_bin bin[MEM_NCLASS];
};

extern __thread struct mem_tcache *mem_tls_cache[MEM_NARENA]
	__attribute__((tls_model("initial-exec")));

/* The heap segment this thread last freed into: most frees hit it, and
 * then need no walk of the segment map. Heap segments live as long as the
 * process, so the pointer never dangles. base is 1 (no segment) at start. */
struct mem_seg_hint {
	uintptr_t base;
	struct mem_seg *seg;
};
extern __thread struct mem_seg_hint mem_tls_seg __attribute__((tls_model("initial-exec")));

struct mem_tcache *mem_tcache_create(uint32_t arena);
void mem_tcache_flush(struct mem_tc_bin *bin, uint32_t arena, uint32_t cls, unsigned int keep);
void mem_tcache_fork_child(void);

/* local.c */
struct mem_wt *mem_local_table(void);
/* Window events for the control plane (see mem_local.h). */
void mem_local_event(const struct mem_wt_rec *rec, int added);
void mem_local_deliver(void);
void mem_local_fork_child(void);

#endif
