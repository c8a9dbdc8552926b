/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_MEM_RCU_H
#define IDD_SRC_MEM_RCU_H

/*
 * Read-copy-update for the window tables.
 *
 * Readers (the engines, on whatever thread runs them) bracket their use of
 * a table with mem_rcu_read_lock()/mem_rcu_read_unlock(). A writer publishes
 * a new version of the data, then calls mem_rcu_synchronize(): it returns
 * once every read-side section that might still see the old version has
 * ended, so the old version (a snapshot, a mapping) can be released.
 *
 * Readers register themselves on their first read_lock (nothing to call
 * beforehand) and are forgotten when their thread exits. The read side is
 * one TLS load, one load of the grace-period counter and one store, with no
 * atomic read-modify-write and no fence: the writer pays instead, with
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED). Where membarrier is missing
 * (old kernels, seccomp, valgrind) readers fall back to a full fence.
 *
 * Rules:
 *  - Read-side sections nest, are short, and never block on anything a
 *    writer might hold (a writer waits for them).
 *  - mem_rcu_synchronize() must not be called inside a read-side section
 *    (it would wait for itself): it refuses with -EDEADLK.
 *  - A fork()ed child starts with no readers but its own thread.
 *
 * Why not liburcu: its read side does the same as this one, but the version
 * Debian ships (0.13) publishes and reads pointers through volatile
 * accesses that ThreadSanitizer cannot see, so every grace period shows up
 * as a data race and the TSan build of the engine would be noise. Here every
 * hand-over is a C11 release/acquire pair that TSan checks.
 */

#include <stdatomic.h>
#include <stdint.h>

#define mem_likely(x) __builtin_expect(!!(x), 1)
#define mem_unlikely(x) __builtin_expect(!!(x), 0)

/* One registered reader. Records are never freed (a writer may be scanning
 * them); a record whose thread exited is reused by the next new reader. */
struct mem_rcu_reader {
	/* 0 outside a read-side section; inside, the grace-period counter
	 * that was current when the section began. Written only by the
	 * owner thread, read by writers. */
	_Atomic uint64_t ctr;
	struct mem_rcu_reader *_Atomic next;
	atomic_int in_use;
} __attribute__((aligned(64)));

struct mem_rcu_tls {
	struct mem_rcu_reader *reader;
	unsigned int nest;
};

extern __thread struct mem_rcu_tls mem_rcu_tls __attribute__((tls_model("initial-exec")));
extern _Atomic uint64_t mem_rcu_gp;
/* True when writers cannot use membarrier: readers then fence themselves. */
extern atomic_int mem_rcu_reader_fence;

void mem_rcu_register_slow(void);

/* Enter a read-side section. Nests.
 * (The TLS variable is used by name, not through a pointer: GCC 12 with
 * -fsanitize=undefined miscompiles the null check of a pointer to it.) */
static inline void
mem_rcu_read_lock(void)
{
	if (mem_rcu_tls.nest++ != 0)
		return;
	if (mem_unlikely(mem_rcu_tls.reader == NULL))
		mem_rcu_register_slow();
	/* Acquire pairs with the writer's fetch_add in mem_rcu_synchronize():
	 * seeing the new counter means seeing everything published before it. */
	uint64_t gp = atomic_load_explicit(&mem_rcu_gp, memory_order_acquire);
	struct mem_rcu_reader *r = mem_rcu_tls.reader;

	/* The store of ctr must be visible before the loads of the section.
	 * The writer's membarrier orders them for us; without membarrier, a
	 * sequentially consistent store (a full barrier) does. Either way the
	 * store releases: a writer that reads it (acquire) also sees that our
	 * previous section is over. */
	if (mem_unlikely(atomic_load_explicit(&mem_rcu_reader_fence, memory_order_relaxed))) {
		atomic_store_explicit(&r->ctr, gp, memory_order_seq_cst);
	} else {
		atomic_store_explicit(&r->ctr, gp, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
	}
}

/* Leave a read-side section. */
static inline void
mem_rcu_read_unlock(void)
{
	if (--mem_rcu_tls.nest != 0)
		return;
	/* Release pairs with the writer's acquire load of ctr: everything this
	 * section read happens before what the writer frees afterwards. */
	atomic_store_explicit(&mem_rcu_tls.reader->ctr, 0, memory_order_release);
}

/* True inside a read-side section on this thread. */
static inline int
mem_rcu_in_read_section(void)
{
	return mem_rcu_tls.nest != 0;
}

/*
 * Wait until every read-side section that began before this call has
 * ended, then run the callbacks deferred before this call.
 * Returns 0, or -EDEADLK (logged) when called inside a read-side section.
 */
int mem_rcu_synchronize(void);

/* Deferred work, embedded in the object it frees. */
struct mem_rcu_head {
	struct mem_rcu_head *next;
	void (*fn)(struct mem_rcu_head *head);
};

/*
 * Queue @fn(@head) to run after the next complete grace period (the next
 * mem_rcu_synchronize() by any thread). Never blocks; may be called inside
 * a read-side section and under any lock.
 */
void mem_rcu_defer(struct mem_rcu_head *head, void (*fn)(struct mem_rcu_head *head));

/* Number of readers currently registered (for tests). */
unsigned int mem_rcu_reader_count(void);

#endif
