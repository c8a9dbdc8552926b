/* SPDX-License-Identifier: BSD-3-Clause */
/* Grace periods for the window tables: reader registry, membarrier-based
 * synchronize, deferred callbacks. See rcu.h. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>

#include "common/log.h"
#include "mem/rcu.h"

__thread struct mem_rcu_tls mem_rcu_tls __attribute__((tls_model("initial-exec")));
/* Starts at 1 so that a reader's ctr of 0 always means "outside". */
_Atomic uint64_t mem_rcu_gp = 1;
atomic_int mem_rcu_reader_fence;

/* Lock order: gp_lock, then reg_lock, then defer_lock. */
static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;     /* one grace period at a time */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;    /* reader registration */
static pthread_mutex_t defer_lock = PTHREAD_MUTEX_INITIALIZER;  /* the deferred list */

static struct mem_rcu_reader *_Atomic readers;  /* push-only list */
static struct mem_rcu_head *deferred;           /* under defer_lock */
static int use_membarrier;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t reader_key;

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static int
membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static int
membarrier_setup(void)
{
	int cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return -1;
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
		return -1;
	return 0;
}

static void
reader_exit(void *arg)
{
	struct mem_rcu_reader *r = arg;

	/* A thread cannot exit inside a section; ctr is 0 already. */
	atomic_store_explicit(&r->ctr, 0, memory_order_release);
	atomic_store_explicit(&r->in_use, 0, memory_order_release);
	mem_rcu_tls.reader = NULL;
}

static void
atfork_prepare(void)
{
	pthread_mutex_lock(&gp_lock);
	pthread_mutex_lock(&reg_lock);
	pthread_mutex_lock(&defer_lock);
}

static void
atfork_parent(void)
{
	pthread_mutex_unlock(&defer_lock);
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&gp_lock);
}

/* The child has one thread: every other reader is gone, possibly in the
 * middle of a section that will never end. Membarrier registration does not
 * survive fork either. */
static void
atfork_child(void)
{
	struct mem_rcu_reader *self = mem_rcu_tls.reader;

	for (struct mem_rcu_reader *r = atomic_load(&readers); r != NULL; r = atomic_load(&r->next)) {
		if (r == self)
			continue;
		atomic_store(&r->ctr, 0);
		atomic_store(&r->in_use, 0);
	}
	if (use_membarrier && membarrier_setup() != 0) {
		use_membarrier = 0;
		atomic_store(&mem_rcu_reader_fence, 1);
	}
	pthread_mutex_unlock(&defer_lock);
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&gp_lock);
}

static void
rcu_init(void)
{
	use_membarrier = membarrier_setup() == 0;
	atomic_store(&mem_rcu_reader_fence, !use_membarrier);
	if (pthread_key_create(&reader_key, reader_exit) != 0)
		abort(); /* only fails when the process is out of keys at start */
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	IDD_LOG(DEBUG, "mem: grace periods use %s",
		use_membarrier ? "membarrier (readers do not fence)" : "reader-side fences");
}

void
mem_rcu_register_slow(void)
{
	struct mem_rcu_reader *r;

	pthread_once(&init_once, rcu_init);
	pthread_mutex_lock(&reg_lock);
	for (r = atomic_load(&readers); r != NULL; r = atomic_load(&r->next))
		if (atomic_load_explicit(&r->in_use, memory_order_acquire) == 0)
			break;
	if (r == NULL) {
		r = aligned_alloc(64, sizeof(*r));
		if (r == NULL)
			abort(); /* 64 bytes; no way to report from a read lock */
		memset(r, 0, sizeof(*r));
		atomic_store_explicit(&r->next, atomic_load(&readers), memory_order_relaxed);
		/* Release: a writer that walks the list sees an initialised record. */
		atomic_store_explicit(&readers, r, memory_order_release);
	}
	atomic_store_explicit(&r->in_use, 1, memory_order_relaxed);
	pthread_mutex_unlock(&reg_lock);
	pthread_setspecific(reader_key, r);
	mem_rcu_tls.reader = r;
}

static void
wait_for_reader(struct mem_rcu_reader *r, uint64_t gp)
{
	for (unsigned int spins = 0;; spins++) {
		/* Pairs with the reader's stores of ctr: acquire for their
		 * release; sequentially consistent, after our seq_cst
		 * fetch_add, for the fallback without membarrier. */
		uint64_t v = atomic_load_explicit(&r->ctr, memory_order_seq_cst);

		if (v == 0 || v >= gp)
			return;
		if (spins < 64) {
			cpu_relax();
		} else if (spins < 1024) {
			sched_yield();
		} else {
			struct timespec ts = {0, 50 * 1000};
			nanosleep(&ts, NULL);
		}
	}
}

int
mem_rcu_synchronize(void)
{
	struct mem_rcu_head *todo;

	if (mem_rcu_in_read_section()) {
		IDD_LOG(ERR, "mem: grace period refused: caller is inside a read-side section");
		return -EDEADLK;
	}
	pthread_once(&init_once, rcu_init);
	pthread_mutex_lock(&gp_lock);

	/* Callbacks queued before this point are covered by this grace period. */
	pthread_mutex_lock(&defer_lock);
	todo = deferred;
	deferred = NULL;
	pthread_mutex_unlock(&defer_lock);

	/* Every section that loads the counter after this sees what the
	 * caller published before calling us (pairs with read_lock's acquire). */
	uint64_t gp = atomic_fetch_add(&mem_rcu_gp, 1) + 1;

	/* Make each running reader's ctr store visible and order it before
	 * its later loads, as if each had fenced. */
	if (use_membarrier && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		IDD_LOG(WARNING, "mem: membarrier failed (%s); readers fence from now on",
			strerror(errno));
		atomic_store(&mem_rcu_reader_fence, 1);
		use_membarrier = 0;
		/* Readers that began before they saw the flag did not fence:
		 * wait for every current section, whatever its counter. */
		gp = UINT64_MAX;
	}
	for (struct mem_rcu_reader *r = atomic_load_explicit(&readers, memory_order_acquire); r != NULL;
	     r = atomic_load_explicit(&r->next, memory_order_acquire))
		wait_for_reader(r, gp);
	pthread_mutex_unlock(&gp_lock);

	while (todo != NULL) {
		struct mem_rcu_head *next = todo->next;

		todo->fn(todo);
		todo = next;
	}
	return 0;
}

void
mem_rcu_defer(struct mem_rcu_head *head, void (*fn)(struct mem_rcu_head *head))
{
	head->fn = fn;
	pthread_mutex_lock(&defer_lock);
	head->next = deferred;
	deferred = head;
	pthread_mutex_unlock(&defer_lock);
}

unsigned int
mem_rcu_reader_count(void)
{
	unsigned int n = 0;

	for (struct mem_rcu_reader *r = atomic_load(&readers); r != NULL; r = atomic_load(&r->next))
		n += atomic_load(&r->in_use) != 0;
	return n;
}
