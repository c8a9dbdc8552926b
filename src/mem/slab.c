/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Size classes (64 B .. 32 KiB): each class carves runs of pages ("slabs")
 * into equal blocks. A slab's free blocks are a stack of indices and its
 * block states a byte array, both in private memory beside the slab
 * descriptor. The per-class lock covers the slabs' stacks and the class's
 * list of slabs with free blocks; the thread caches (tcache.c) come here in
 * batches, so the lock is taken once per batch, not once per block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/heap.h"

#define SLAB_BYTES ((size_t)64 << 10) /* classes up to 8 KiB */
#define SLAB_MIN_BLOCKS 8             /* larger classes: 8 blocks a slab */

const uint32_t mem_class_size[MEM_NCLASS] = {
	64, 128, 192, 256, 320, 384, 448, 512,
	640, 768, 896, 1024, 1280, 1536, 1792, 2048,
	2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192,
	10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768,
};

/* mem_class_lut[(len - 1) >> 6]: the class of len <= 4096. */
const uint8_t mem_class_lut[64] = {
	0, 1, 2, 3, 4, 5, 6, 7,                 /* 64 .. 512 */
	8, 8, 9, 9, 10, 10, 11, 11,             /* 640, 768, 896, 1024 */
	12, 12, 12, 12, 13, 13, 13, 13,         /* 1280, 1536 */
	14, 14, 14, 14, 15, 15, 15, 15,         /* 1792, 2048 */
	16, 16, 16, 16, 16, 16, 16, 16,         /* 2560 */
	17, 17, 17, 17, 17, 17, 17, 17,         /* 3072 */
	18, 18, 18, 18, 18, 18, 18, 18,         /* 3584 */
	19, 19, 19, 19, 19, 19, 19, 19,         /* 4096 */
};

void
mem_class_init(struct mem_class *c, uint32_t cls)
{
	uint32_t size = mem_class_size[cls];
	size_t bytes = SLAB_BYTES;

	if ((size_t)size * SLAB_MIN_BLOCKS > bytes)
		bytes = (size_t)size * SLAB_MIN_BLOCKS;
	pthread_mutex_init(&c->lock, NULL);
	c->partial = NULL;
	c->nempty = 0;
	c->size = size;
	/* ceil(2^32 / size): (off * magic) >> 32 == off / size for every
	 * block start off (index < 2^12, error < size < 2^16). */
	c->magic = (uint32_t)(((UINT64_C(1) << 32) + size - 1) / size);
	c->slab_pages = (uint32_t)((bytes + MEM_PAGE - 1) >> MEM_PAGE_SHIFT);
	c->nblocks = (uint32_t)(((size_t)c->slab_pages << MEM_PAGE_SHIFT) / size);
}

static void
list_add(struct mem_class *c, struct mem_slab *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial != NULL)
		c->partial->prev = s;
	c->partial = s;
	s->on_list = 1;
}

static void
list_del(struct mem_class *c, struct mem_slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->on_list = 0;
}

/* A new slab, all blocks free, on the class list. Class lock held. */
static struct mem_slab *
slab_new(struct mem_arena *a, struct mem_class *c, uint32_t cls)
{
	size_t n = c->nblocks;
	/* Block states follow the descriptor (free reads them), the stack of
	 * free indices follows the states, 2-byte aligned. */
	size_t states = (n + 1) & ~(size_t)1;
	struct mem_slab *s = malloc(sizeof(*s) + states + n * sizeof(uint16_t));
	struct mem_seg *seg;
	uint32_t page;

	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	int err = mem_arena_pages(a, c->slab_pages, 0, &seg, &page);
	if (err != 0) {
		free(s);
		errno = -err;
		return NULL;
	}
	s->seg = seg;
	s->page = page;
	s->base = seg->base + ((uintptr_t)page << MEM_PAGE_SHIFT);
	s->size = c->size;
	s->magic = c->magic;
	s->nblocks = (uint32_t)n;
	s->cls = (uint16_t)cls;
	s->arena = (uint8_t)a->perms;
	s->on_list = 0;
	s->stack = (uint16_t *)((char *)s->state + states);
	/* Lowest addresses first. */
	for (size_t i = 0; i < n; i++) {
		s->stack[i] = (uint16_t)(n - 1 - i);
		atomic_init(&s->state[i], MEM_BLK_FREE);
	}
	s->nfree = (uint32_t)n;
	/* Publish the page states last: idd_mem_free() reads them unlocked,
	 * and the blocks reach other threads only through this lock or the
	 * application's own synchronisation. */
	pthread_mutex_lock(&a->lock);
	mem_buddy_mark_slab(seg, page, c->slab_pages, s, cls);
	pthread_mutex_unlock(&a->lock);
	list_add(c, s);
	c->nempty++;
	return s;
}

static void
slab_release(struct mem_arena *a, struct mem_class *c, struct mem_slab *s)
{
	list_del(c, s);
	c->nempty--;
	pthread_mutex_lock(&a->lock);
	mem_buddy_free(s->seg, s->page);
	pthread_mutex_unlock(&a->lock);
	free(s);
}

unsigned int
mem_class_take(struct mem_arena *a, uint32_t cls, struct mem_tc_entry *out, unsigned int want)
{
	struct mem_class *c = &a->cls[cls];
	unsigned int got = 0;

	pthread_mutex_lock(&c->lock);
	while (got < want) {
		struct mem_slab *s = c->partial;

		if (s == NULL) {
			s = slab_new(a, c, cls);
			if (s == NULL)
				break;
		}
		if (s->nfree == s->nblocks)
			c->nempty--;
		while (got < want && s->nfree > 0) {
			uint16_t idx = s->stack[--s->nfree];

			out[got].p = (void *)(s->base + (uintptr_t)idx * s->size);
			out[got].state = &s->state[idx];
			got++;
		}
		if (s->nfree == 0)
			list_del(c, s);
	}
	pthread_mutex_unlock(&c->lock);
	return got;
}

void
mem_class_give(struct mem_arena *a, uint32_t cls, const struct mem_tc_entry *in, unsigned int n)
{
	struct mem_class *c = &a->cls[cls];

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < n; i++) {
		struct mem_seg *seg = mem_seg_lookup((uintptr_t)in[i].p);

		if (seg == NULL)
			abort(); /* a cached block outside every segment: heap corrupted */
		struct mem_slab *s =
			seg->pages[((uintptr_t)in[i].p >> MEM_PAGE_SHIFT) & (MEM_SEG_PAGES - 1)].u.slab;

		s->stack[s->nfree++] = (uint16_t)(in[i].state - s->state);
		if (s->nfree == 1)
			list_add(c, s);
		if (s->nfree == s->nblocks) {
			/* Keep one empty slab per class for the next burst. */
			if (c->nempty >= 1) {
				c->nempty++;
				slab_release(a, c, s);
			} else {
				c->nempty++;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
}
