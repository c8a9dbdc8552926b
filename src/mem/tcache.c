/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread caches of free blocks, one stack per (arena, size class), as
 * in glibc's tcache or jemalloc's: idd_mem_alloc() pops, idd_mem_free()
 * pushes, with no lock and no atomic read-modify-write but the free's
 * double-free check. An empty stack is refilled, and a full one half
 * emptied, in one batch under the class lock. A thread's caches go back to
 * their classes when it exits.
 *
 * The stacks hold pointers in private memory, never links inside the free
 * blocks, which peers may be allowed to write.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem/heap.h"

__thread struct mem_tcache *mem_tls_cache[MEM_NARENA] __attribute__((tls_model("initial-exec")));
__thread struct mem_seg_hint mem_tls_seg __attribute__((tls_model("initial-exec"))) = {1, NULL};

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static uint32_t
bin_cap(uint32_t size)
{
	if (size <= 1024)
		return 64;
	if (size <= 4096)
		return 16;
	return 4;
}

/* Give back all but the @keep most recently freed blocks (the top of the
 * stack, the likeliest to be in the CPU cache) and keep those. */
void
mem_tcache_flush(struct mem_tc_bin *bin, uint32_t arena, uint32_t cls, unsigned int keep)
{
	if (bin->n <= keep)
		return;
	unsigned int give = bin->n - keep;

	mem_class_give(&mem_arenas[arena], cls, bin->e, give);
	memmove(bin->e, bin->e + give, keep * sizeof(bin->e[0]));
	bin->n = keep;
}

/* Thread exit: every cached block goes back to its class. Runs on the
 * exiting thread, whose TLS is still there. */
static void
thread_exit(void *unused)
{
	(void)unused;
	for (uint32_t a = 0; a < MEM_NARENA; a++) {
		struct mem_tcache *tc = mem_tls_cache[a];

		if (tc == NULL)
			continue;
		for (uint32_t c = 0; c < MEM_NCLASS; c++)
			mem_tcache_flush(&tc->bin[c], a, c, 0);
		mem_tls_cache[a] = NULL;
		free(tc);
	}
}

static void
exit_key_create(void)
{
	if (pthread_key_create(&exit_key, thread_exit) != 0)
		exit_key = (pthread_key_t)-1;
}

struct mem_tcache *
mem_tcache_create(uint32_t arena)
{
	size_t entries = 0;

	pthread_once(&exit_once, exit_key_create);
	if (exit_key == (pthread_key_t)-1)
		return NULL; /* no way to give the blocks back at exit: no cache */
	for (uint32_t c = 0; c < MEM_NCLASS; c++)
		entries += bin_cap(mem_class_size[c]);
	struct mem_tcache *tc = calloc(1, sizeof(*tc) + entries * sizeof(struct mem_tc_entry));
	if (tc == NULL)
		return NULL;
	struct mem_tc_entry *e = (struct mem_tc_entry *)(tc + 1);
	for (uint32_t c = 0; c < MEM_NCLASS; c++) {
		tc->bin[c].cap = bin_cap(mem_class_size[c]);
		tc->bin[c].e = e;
		e += tc->bin[c].cap;
	}
	/* Any non-NULL value makes the destructor run at thread exit. */
	if (pthread_setspecific(exit_key, tc) != 0) {
		free(tc);
		return NULL;
	}
	mem_tls_cache[arena] = tc;
	return tc;
}

/* Fork child: the caches name blocks of segments the child has forgotten.
 * Kept reachable, not reused. */
__attribute__((used)) static struct mem_tcache *inherited[MEM_NARENA];

void
mem_tcache_fork_child(void)
{
	for (uint32_t a = 0; a < MEM_NARENA; a++) {
		if (mem_tls_cache[a] != NULL)
			inherited[a] = mem_tls_cache[a];
		mem_tls_cache[a] = NULL;
	}
	mem_tls_seg = (struct mem_seg_hint){1, NULL};
}
