/* SPDX-License-Identifier: BSD-3-Clause */
/* Heap segments: a sealed memfd mapping each, entered as a window in the
 * local table and in the address -> segment map that idd_mem_free() uses. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "mem/heap.h"

mem_seg_slot *_Atomic mem_seg_map[1u << MEM_TOP_BITS];
static pthread_mutex_t seg_map_lock = PTHREAD_MUTEX_INITIALIZER;

static int
seg_map_set(uintptr_t base, size_t len, struct mem_seg *s)
{
	uintptr_t first = base >> MEM_CHUNK_SHIFT;
	uintptr_t last = (base + len - 1) >> MEM_CHUNK_SHIFT;

	if ((base + len - 1) >> MEM_ADDR_BITS)
		return -ENOMEM;
	pthread_mutex_lock(&seg_map_lock);
	for (uintptr_t c = first; c <= last; c++) {
		mem_seg_slot *leaf = atomic_load_explicit(&mem_seg_map[c >> MEM_LEAF_BITS], memory_order_relaxed);

		if (leaf == NULL) {
			if (s == NULL)
				continue;
			leaf = calloc((size_t)1 << MEM_LEAF_BITS, sizeof(*leaf));
			if (leaf == NULL) {
				pthread_mutex_unlock(&seg_map_lock);
				return -ENOMEM; /* entries set so far are cleared by the caller */
			}
			atomic_store_explicit(&mem_seg_map[c >> MEM_LEAF_BITS], leaf, memory_order_release);
		}
		atomic_store_explicit(&leaf[c & ((1u << MEM_LEAF_BITS) - 1)], s, memory_order_release);
	}
	pthread_mutex_unlock(&seg_map_lock);
	return 0;
}

static void
window_release(struct mem_wt_rec *rec)
{
	free(rec);
}

int
mem_seg_create(struct mem_arena *a, int kind, size_t len, struct mem_seg **out)
{
	static const char *const names[MEM_NARENA] = {
		"idd-heap-private", "idd-heap-r", "idd-heap-w", "idd-heap-rw"};
	size_t npages = kind == MEM_SEG_HEAP ? MEM_SEG_PAGES : 0;
	struct mem_seg *s = calloc(1, sizeof(*s) + npages * sizeof(s->pages[0]));
	int err;

	if (s == NULL)
		return -ENOMEM;
	s->kind = (uint8_t)kind;
	s->perms = (uint8_t)a->perms;
	s->gen = mem_heap_gen;
	s->arena = a;
	s->map.fd = -1;
	/* Huge pages for anything of at least one huge page. A heap segment
	 * is aligned to its size, so its first byte is addr & ~(size - 1). */
	err = mem_memfd_map(names[a->perms], len, len >= MEM_MAP_ALIGN,
			    kind == MEM_SEG_HEAP ? MEM_SEG_SIZE : MEM_MAP_ALIGN,
			    a->perms == IDD_MEM_PEER_READ ? MEM_SEAL_PEER_READ_ONLY : 0, &s->map);
	if (err != 0)
		goto fail_logged; /* mem_memfd_map() said why */
	s->base = (uintptr_t)s->map.addr;
	s->len = kind == MEM_SEG_HEAP ? MEM_SEG_SIZE : s->map.len;

	s->win = calloc(1, sizeof(*s->win));
	if (s->win == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	*s->win = (struct mem_wt_rec){
		.base = s->base, .len = s->len, .offset = 0, .local = s->map.addr,
		.page_size = s->map.page_size, .fd = s->map.fd, .perms = a->perms,
		.flags = MEM_WIN_HEAP | (s->map.huge ? MEM_WIN_HUGE : 0), .owner = s,
		.release = window_release,
	};
	if (kind == MEM_SEG_HEAP)
		mem_buddy_init(s);
	else
		atomic_init(&s->large_used, 1);

	err = seg_map_set(s->base, s->len, s);
	if (err != 0) {
		seg_map_set(s->base, s->len, NULL);
		goto fail;
	}
	err = mem_wt_insert(mem_local_table(), s->win);
	if (err == -ENOSPC) {
		seg_map_set(s->base, s->len, NULL);
		IDD_LOG(DEBUG, "mem: new %s segment of %zu bytes refused: the process has %d "
			     "windows (IDD_MEM_MAX_WINDOWS)",
			kind == MEM_SEG_HEAP ? "heap" : "large-block", len, IDD_MEM_MAX_WINDOWS);
		goto fail_logged;
	}
	if (err != 0) {
		/* -EEXIST cannot happen: the range is a fresh mapping. */
		seg_map_set(s->base, s->len, NULL);
		goto fail;
	}
	mem_local_event(s->win, 1);
	*out = s;
	return 0;
fail:
	IDD_LOG(DEBUG, "mem: new %s segment of %zu bytes failed: %s",
		kind == MEM_SEG_HEAP ? "heap" : "large-block", len, strerror(-err));
fail_logged:
	free(s->win);
	mem_memfd_unmap(&s->map);
	free(s);
	return err;
}

static void
seg_release(struct mem_rcu_head *h)
{
	struct mem_seg *s = (struct mem_seg *)((char *)h - offsetof(struct mem_seg, rcu));

	mem_memfd_unmap(&s->map);
	s->win->release(s->win);
	free(s);
}

/* Large segments only (heap segments live as long as the process). The
 * caller has taken the block (large_used 1 -> 0). Returns after the
 * segment is unmapped, unless called inside a read-side section: then the
 * unmapping waits for the next grace period. */
void
mem_seg_destroy(struct mem_seg *s)
{
	if (mem_wt_unlink(mem_local_table(), s->base, MEM_WIN_HEAP) == NULL) {
		/* Out of memory for a smaller table: the window must stay, so
		 * the mapping stays too (leaked, but never a dangling window). */
		IDD_LOG(ERR, "mem: segment %p kept mapped: its window could not be removed",
			(void *)s->base);
		seg_map_set(s->base, s->len, NULL);
		return;
	}
	seg_map_set(s->base, s->len, NULL);
	mem_local_event(s->win, 0);
	/* No local engine may still be reading the block when it goes away. */
	mem_rcu_defer(&s->rcu, seg_release);
	if (!mem_rcu_in_read_section())
		mem_rcu_synchronize();
}

/* Fork child: the map stays (lookups of inherited segments find them, and
 * their generation says they are not ours); only its lock is re-made, as
 * the parent may have held it. */
void
mem_seg_fork_child(void)
{
	pthread_mutex_init(&seg_map_lock, NULL);
}
