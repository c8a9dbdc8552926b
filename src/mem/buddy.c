/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page runs inside a heap segment: a binary buddy allocator over 4 KiB
 * pages (Knowlton/Knuth), with the tail of each block trimmed: a request
 * for n pages takes a block of 2^k >= n pages and gives the 2^k - n pages
 * at its end straight back as smaller aligned blocks, so a run wastes less
 * than a page. Freeing a run frees it as the aligned power-of-two pieces it
 * is made of; each piece merges with its buddy as usual.
 *
 * All state is in the segment's private page array, never in the segment's
 * memory. Caller holds the arena lock.
 */
#include "mem/heap.h"

static uint32_t
ceil_log2(uint32_t n)
{
	return n <= 1 ? 0 : 32 - (uint32_t)__builtin_clz(n - 1);
}

static uint32_t
floor_log2(uint32_t n)
{
	return 31 - (uint32_t)__builtin_clz(n);
}

static void
list_push(struct mem_seg *s, uint32_t p, uint32_t order)
{
	struct mem_page *pg = &s->pages[p];
	uint32_t head = s->free_head[order];

	pg->state = MEM_PG_FREE_HEAD;
	pg->order = (uint8_t)order;
	pg->u.link.prev = MEM_NIL;
	pg->u.link.next = head;
	if (head != MEM_NIL)
		s->pages[head].u.link.prev = p;
	s->free_head[order] = p;
	s->free_mask |= 1u << order;
}

static void
list_unlink(struct mem_seg *s, uint32_t p)
{
	struct mem_page *pg = &s->pages[p];
	uint32_t order = pg->order;

	if (pg->u.link.prev != MEM_NIL)
		s->pages[pg->u.link.prev].u.link.next = pg->u.link.next;
	else
		s->free_head[order] = pg->u.link.next;
	if (pg->u.link.next != MEM_NIL)
		s->pages[pg->u.link.next].u.link.prev = pg->u.link.prev;
	if (s->free_head[order] == MEM_NIL)
		s->free_mask &= ~(1u << order);
	pg->state = MEM_PG_FREE_BODY;
}

/* Free the aligned block [p, p + 2^order), merging with free buddies. The
 * block's pages are already in a non-allocated state. */
static void
free_block(struct mem_seg *s, uint32_t p, uint32_t order)
{
	while (order < MEM_MAX_ORDER) {
		uint32_t buddy = p ^ (1u << order);
		struct mem_page *b = &s->pages[buddy];

		if (b->state != MEM_PG_FREE_HEAD || b->order != order)
			break;
		list_unlink(s, buddy);
		p &= ~(1u << order);
		order++;
	}
	list_push(s, p, order);
}

/* Free [p, p + n) as the largest aligned pieces it splits into. */
static void
free_range(struct mem_seg *s, uint32_t p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		s->pages[p + i].state = MEM_PG_FREE_BODY;
	s->free_pages += n;
	while (n > 0) {
		uint32_t order = floor_log2(n);

		if (p != 0 && (uint32_t)__builtin_ctz(p) < order)
			order = (uint32_t)__builtin_ctz(p);
		free_block(s, p, order);
		p += 1u << order;
		n -= 1u << order;
	}
}

void
mem_buddy_init(struct mem_seg *s)
{
	for (uint32_t k = 0; k <= MEM_MAX_ORDER; k++)
		s->free_head[k] = MEM_NIL;
	s->free_mask = 0;
	s->free_pages = 0;
	free_range(s, 0, MEM_SEG_PAGES);
}

uint32_t
mem_buddy_alloc(struct mem_seg *s, uint32_t npages, uint32_t align_order)
{
	uint32_t k = ceil_log2(npages);

	if (k < align_order)
		k = align_order;
	if (k > MEM_MAX_ORDER)
		return MEM_NIL;
	uint32_t avail = s->free_mask & ~((1u << k) - 1);
	if (avail == 0)
		return MEM_NIL;
	uint32_t j = (uint32_t)__builtin_ctz(avail);
	uint32_t p = s->free_head[j];

	list_unlink(s, p);
	s->free_pages -= 1u << j;
	/* Split down to 2^k, keeping the lower half each time. */
	while (j > k) {
		j--;
		list_push(s, p + (1u << j), j);
		s->free_pages += 1u << j;
	}
	s->pages[p].state = MEM_PG_RUN_HEAD;
	s->pages[p].npages = npages;
	for (uint32_t i = 1; i < npages; i++)
		s->pages[p + i].state = MEM_PG_RUN_BODY;
	/* Trim: the unused tail goes straight back. */
	if (npages < (1u << k))
		free_range(s, p + npages, (1u << k) - npages);
	return p;
}

void
mem_buddy_free(struct mem_seg *s, uint32_t p)
{
	free_range(s, p, s->pages[p].npages);
}

void
mem_buddy_mark_slab(struct mem_seg *s, uint32_t p, uint32_t npages, struct mem_slab *slab,
		    uint32_t cls)
{
	for (uint32_t i = 0; i < npages; i++) {
		s->pages[p + i].state = MEM_PG_SLAB;
		s->pages[p + i].cls = (uint8_t)cls;
		s->pages[p + i].u.slab = slab;
	}
	/* mem_buddy_free() of the slab's run reads the head's count. */
	s->pages[p].npages = npages;
}
