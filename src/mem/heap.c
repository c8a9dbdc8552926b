/* SPDX-License-Identifier: BSD-3-Clause */
/* idd_mem_alloc() and idd_mem_free(): argument checks, dispatch by size
 * (size classes through the thread cache, page runs, segments of their
 * own), and the errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_mem.h>

#include "common/log.h"
#include "mem/heap.h"

struct mem_arena mem_arenas[MEM_NARENA];
uint32_t mem_heap_gen;

/* What a fork()ed child inherited and no longer uses, kept reachable (it
 * is still mapped and shared with the parent; a leak checker should not
 * call it lost). */
__attribute__((used)) static struct mem_seg *inherited_segs[64];
static unsigned int inherited_count;

static pthread_once_t heap_once = PTHREAD_ONCE_INIT;
/* Set when a segment was added: the table's old snapshot waits for a
 * grace period, which the allocating thread runs once it holds no lock. */
static atomic_int reclaim_pending;

static void
arena_init(struct mem_arena *a, uint32_t perms)
{
	pthread_mutex_init(&a->lock, NULL);
	a->segs = NULL;
	a->perms = perms;
	for (uint32_t c = 0; c < MEM_NCLASS; c++)
		mem_class_init(&a->cls[c], c);
}

/* Fork child: a fresh heap. The parent's segments stay mapped (shared) but
 * are no longer the child's to hand out or free. */
static void
heap_fork_child(void)
{
	mem_heap_gen++;
	for (uint32_t a = 0; a < MEM_NARENA; a++) {
		for (struct mem_seg *s = mem_arenas[a].segs; s != NULL; s = s->next) {
			if (inherited_count < sizeof(inherited_segs) / sizeof(inherited_segs[0]))
				inherited_segs[inherited_count++] = s;
		}
		arena_init(&mem_arenas[a], a);
	}
	atomic_store(&reclaim_pending, 0);
	mem_seg_fork_child();
	mem_tcache_fork_child();
	mem_local_fork_child();
}

static void
heap_init(void)
{
	for (uint32_t a = 0; a < MEM_NARENA; a++)
		arena_init(&mem_arenas[a], a);
	pthread_atfork(NULL, NULL, heap_fork_child);
}

/* After a slow path, with no lock held: tell listeners about new or gone
 * windows, free replaced table snapshots. */
static void
after_slow_path(void)
{
	mem_local_deliver();
	if (atomic_load_explicit(&reclaim_pending, memory_order_relaxed) &&
	    !mem_rcu_in_read_section() && atomic_exchange(&reclaim_pending, 0))
		mem_rcu_synchronize();
}

int
mem_arena_pages(struct mem_arena *a, uint32_t npages, uint32_t align_order,
		struct mem_seg **seg_out, uint32_t *page_out)
{
	struct mem_seg *s;
	uint32_t p = MEM_NIL;
	int err;

	pthread_mutex_lock(&a->lock);
	for (s = a->segs; s != NULL; s = s->next) {
		p = mem_buddy_alloc(s, npages, align_order);
		if (p != MEM_NIL)
			break;
	}
	if (p == MEM_NIL) {
		/* Creating the segment under the arena lock keeps two threads
		 * from both adding one; it happens once per 64 MiB. */
		err = mem_seg_create(a, MEM_SEG_HEAP, MEM_SEG_SIZE, &s);
		if (err != 0) {
			pthread_mutex_unlock(&a->lock);
			return err;
		}
		s->next = a->segs;
		a->segs = s;
		atomic_store(&reclaim_pending, 1);
		p = mem_buddy_alloc(s, npages, align_order);
	}
	pthread_mutex_unlock(&a->lock);
	if (p == MEM_NIL)
		return -ENOMEM; /* more pages than a segment: callers never ask */
	*seg_out = s;
	*page_out = p;
	return 0;
}

static void *
alloc_refused(size_t len, size_t align, unsigned int flags, int err, const char *why)
{
	IDD_LOG(ERR, "mem: alloc of %zu bytes (align %zu, flags 0x%x) refused: %s", len, align,
		flags, why);
	errno = err;
	return NULL;
}

/* The one line of a failed allocation (the layers below log their detail
 * at debug level). */
static void *
alloc_failed(size_t len, int err)
{
	if (err == ENOSPC)
		IDD_LOG(ERR, "mem: alloc of %zu bytes failed: a new segment would be window %d "
			     "(IDD_MEM_MAX_WINDOWS is the most)", len, IDD_MEM_MAX_WINDOWS + 1);
	else
		IDD_LOG(ERR, "mem: alloc of %zu bytes failed: %s", len, strerror(err));
	errno = err;
	return NULL;
}

/* Out of line, so that the fast path needs no saved registers. */
__attribute__((noinline)) static void *
small_alloc_slow(uint32_t arena, uint32_t cls, size_t len)
{
	struct mem_tcache *tc;
	struct mem_tc_entry one;
	void *p = NULL;

	pthread_once(&heap_once, heap_init);
	tc = mem_tls_cache[arena];
	if (tc == NULL)
		tc = mem_tcache_create(arena);
	if (tc != NULL) {
		struct mem_tc_bin *bin = &tc->bin[cls];
		unsigned int got = mem_class_take(&mem_arenas[arena], cls, bin->e, bin->cap / 2);

		if (got > 0) {
			bin->n = got - 1;
			p = bin->e[got - 1].p;
			atomic_store_explicit(bin->e[got - 1].state, MEM_BLK_USED,
					      memory_order_relaxed);
		}
	} else if (mem_class_take(&mem_arenas[arena], cls, &one, 1) == 1) {
		p = one.p;
		atomic_store_explicit(one.state, MEM_BLK_USED, memory_order_relaxed);
	}
	int err = errno;
	after_slow_path();
	if (p == NULL)
		return alloc_failed(len, err != 0 ? err : ENOMEM);
	return p;
}

static void *
alloc_pages(size_t len, size_t align, uint32_t arena)
{
	uint32_t npages = (uint32_t)((len + MEM_PAGE - 1) >> MEM_PAGE_SHIFT);
	uint32_t align_order = 0;
	struct mem_seg *s;
	uint32_t page;

	while (((size_t)MEM_PAGE << align_order) < align)
		align_order++;
	int err = mem_arena_pages(&mem_arenas[arena], npages, align_order, &s, &page);
	after_slow_path();
	if (err != 0)
		return alloc_failed(len, -err);
	return (void *)(s->base + ((uintptr_t)page << MEM_PAGE_SHIFT));
}

static void *
alloc_large(size_t len, uint32_t arena)
{
	struct mem_seg *s;
	int err = mem_seg_create(&mem_arenas[arena], MEM_SEG_LARGE, len, &s);

	if (err == 0)
		atomic_store(&reclaim_pending, 1);
	after_slow_path();
	if (err != 0)
		return alloc_failed(len, -err);
	/* Segments are MEM_MAP_ALIGN (= IDD_MEM_ALIGN_MAX) aligned. */
	return (void *)s->base;
}

/* Every request but the cached fast path: checks, then by size. */
__attribute__((noinline)) static void *
alloc_general(size_t len, size_t align, unsigned int flags)
{
	if (len == 0)
		return alloc_refused(len, align, flags, EINVAL, "zero length");
	if (flags & ~(unsigned int)IDD_MEM_PEER_RW)
		return alloc_refused(len, align, flags, EINVAL, "unknown flag");
	if (align == 0 || (align & (align - 1)) != 0 || align > IDD_MEM_ALIGN_MAX)
		return alloc_refused(len, align, flags, EINVAL,
				     "alignment not a power of two up to 2 MiB");
	if (len > (SIZE_MAX >> 2))
		return alloc_refused(len, align, flags, ENOMEM, "too large");
	pthread_once(&heap_once, heap_init);
	if (align < IDD_MEM_ALIGN_MIN)
		align = IDD_MEM_ALIGN_MIN;

	if (len >= MEM_LARGE_MIN)
		return alloc_large(len, flags);
	if (align == IDD_MEM_ALIGN_MIN && len <= MEM_SMALL_MAX)
		return idd_mem_alloc(len, flags);
	if (align <= MEM_PAGE && len <= MEM_PAGE) {
		/* Power-of-two classes hold blocks aligned to their size. */
		size_t size = len > align ? len : align;
		size_t pow2 = IDD_MEM_ALIGN_MIN;

		while (pow2 < size)
			pow2 <<= 1;
		return idd_mem_alloc(pow2, flags);
	}
	return alloc_pages(len, align, flags);
}

void *
idd_mem_alloc(size_t len, unsigned int flags)
{
	/* Fast path: 1..32 KiB with known flags, from this thread's cache. */
	if (mem_likely(len - 1 < MEM_SMALL_MAX && flags < MEM_NARENA)) {
		uint32_t cls = mem_size_class(len);
		struct mem_tcache *tc = mem_tls_cache[flags];

		if (mem_likely(tc != NULL)) {
			struct mem_tc_bin *bin = &tc->bin[cls];
			uint32_t n = bin->n;

			if (mem_likely(n != 0)) {
				struct mem_tc_entry *e = &bin->e[n - 1];

				bin->n = n - 1;
				/* Relaxed: the block is this thread's alone
				 * until the application hands it over. */
				atomic_store_explicit(e->state, MEM_BLK_USED, memory_order_relaxed);
				return e->p;
			}
		}
		return small_alloc_slow(flags, cls, len);
	}
	return alloc_general(len, IDD_MEM_ALIGN_MIN, flags);
}

void *
idd_mem_alloc_aligned(size_t len, size_t align, unsigned int flags)
{
	if (align <= IDD_MEM_ALIGN_MIN && align != 0 && (align & (align - 1)) == 0)
		return idd_mem_alloc(len, flags);
	return alloc_general(len, align, flags);
}

__attribute__((cold, noinline)) static int
free_refused(const void *addr, const char *why)
{
	IDD_LOG(ERR, "mem: free of %p refused: %s", addr, why);
	return -EINVAL;
}

static int
free_run(struct mem_seg *s, uintptr_t a)
{
	uint32_t page = (uint32_t)((a - s->base) >> MEM_PAGE_SHIFT);
	int ret = 0;

	if ((a & (MEM_PAGE - 1)) != 0)
		return free_refused((void *)a, "not the start of a block");
	pthread_mutex_lock(&s->arena->lock);
	switch (s->pages[page].state) {
	case MEM_PG_RUN_HEAD:
		mem_buddy_free(s, page);
		break;
	case MEM_PG_RUN_BODY:
		ret = 1;
		break;
	default:
		ret = 2;
		break;
	}
	pthread_mutex_unlock(&s->arena->lock);
	if (ret == 1)
		return free_refused((void *)a, "not the start of a block");
	if (ret == 2)
		return free_refused((void *)a, "not allocated (double free?)");
	return 0;
}

static int
free_large(struct mem_seg *s, uintptr_t a)
{
	if (a - s->base >= s->len)
		return free_refused((void *)a, "not memory from idd_mem_alloc()");
	if (a != s->base)
		return free_refused((void *)a, "not the start of a block");
	if (atomic_exchange(&s->large_used, 0) != 1)
		return free_refused((void *)a, "already free (double free)");
	mem_seg_destroy(s);
	after_slow_path();
	return 0;
}

/* Everything idd_mem_free() does not do inline: NULL, foreign pointers,
 * page runs, large blocks, misaligned pointers into slabs. */
__attribute__((noinline)) static int
free_slow(void *addr, struct mem_seg *s)
{
	uintptr_t a = (uintptr_t)addr;

	if (addr == NULL)
		return 0;
	if (s == NULL)
		return free_refused(addr, "not memory from idd_mem_alloc()");
	if (s->gen != mem_heap_gen)
		return free_refused(addr, "memory the parent process allocated (before fork)");
	if (s->kind != MEM_SEG_HEAP)
		return free_large(s, a);
	if (s->pages[(a >> MEM_PAGE_SHIFT) & (MEM_SEG_PAGES - 1)].state != MEM_PG_SLAB)
		return free_run(s, a);
	return free_refused(addr, "not the start of a block");
}

/* This thread has no cache for the arena yet (or cannot have one). */
__attribute__((noinline)) static int
free_no_cache(struct mem_slab *sl, atomic_uchar *state, void *addr)
{
	struct mem_tcache *tc = mem_tcache_create(sl->arena);
	struct mem_tc_entry e = {addr, state};

	if (tc == NULL) {
		mem_class_give(&mem_arenas[sl->arena], sl->cls, &e, 1);
		return 0;
	}
	tc->bin[sl->cls].e[0] = e;
	tc->bin[sl->cls].n = 1;
	return 0;
}

/* The cache's bin is full: half of it goes back to the class. */
__attribute__((noinline)) static int
free_bin_full(struct mem_tc_bin *bin, struct mem_slab *sl, atomic_uchar *state, void *addr)
{
	mem_tcache_flush(bin, sl->arena, sl->cls, bin->cap / 2);
	bin->e[bin->n].p = addr;
	bin->e[bin->n].state = state;
	bin->n++;
	return 0;
}

int
idd_mem_free(void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	uintptr_t seg_base = a & ~(uintptr_t)(MEM_SEG_SIZE - 1);
	struct mem_seg *s;

	if (mem_likely(seg_base == mem_tls_seg.base)) {
		s = mem_tls_seg.seg;
	} else {
		s = mem_seg_lookup(a); /* NULL for NULL: chunk 0 is never ours */
		if (mem_unlikely(s == NULL || s->kind != MEM_SEG_HEAP || s->gen != mem_heap_gen))
			return free_slow(addr, s);
		mem_tls_seg = (struct mem_seg_hint){seg_base, s};
	}
	/* A heap segment is aligned to its size: the page index needs no
	 * load of the segment's base, and the class (which picks the cache
	 * bin) is in the page entry, one load from the address. */
	const struct mem_page *pg = &s->pages[(a >> MEM_PAGE_SHIFT) & (MEM_SEG_PAGES - 1)];
	if (mem_unlikely(pg->state != MEM_PG_SLAB))
		return free_slow(addr, s);
	uint32_t cls = pg->cls;
	struct mem_slab *sl = pg->u.slab;
	uint32_t off = (uint32_t)(a - sl->base);
	uint32_t idx = (uint32_t)(((uint64_t)off * sl->magic) >> 32);
	if (mem_unlikely(idx >= sl->nblocks || idx * sl->size != off))
		return free_slow(addr, s);

	atomic_uchar *state = &sl->state[idx];
	/* A load and a store, not an exchange: a locked instruction would
	 * double the cost of a free. A second free of the block after this
	 * one (on any thread that learnt of the first through the
	 * application's synchronisation) sees FREE; two frees racing each
	 * other are undefined, as for free(). Relaxed: the block's content is
	 * the application's business; our bookkeeping hands over under the
	 * class lock. */
	if (mem_unlikely(atomic_load_explicit(state, memory_order_relaxed) != MEM_BLK_USED))
		return free_refused(addr, "already free (double free)");
	atomic_store_explicit(state, MEM_BLK_FREE, memory_order_relaxed);

	struct mem_tcache *tc = mem_tls_cache[s->perms];
	if (mem_unlikely(tc == NULL))
		return free_no_cache(sl, state, addr);
	struct mem_tc_bin *bin = &tc->bin[cls];
	uint32_t n = bin->n;
	if (mem_unlikely(n == bin->cap))
		return free_bin_full(bin, sl, state, addr);
	/* Two 8-byte stores: a 16-byte one would stall the next alloc's
	 * 8-byte loads of the same entry (no store forwarding). */
	bin->e[n].p = addr;
	bin->e[n].state = state;
	bin->n = n + 1;
	return 0;
}
