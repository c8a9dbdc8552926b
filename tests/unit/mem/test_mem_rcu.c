/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Grace periods: a removal waits for readers that might still use the
 * window, and only for those; nesting; deferred work; reader threads
 * coming and going. Then a stress run: readers translate and read real
 * imported windows while a writer imports and removes them; a window
 * unmapped too early would crash a reader, a stale translation would show
 * the wrong bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "mem/window_table.h"
#include "mem_test.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A reader that enters a section, says so, and leaves when told. */
struct held_reader {
	atomic_int inside;
	atomic_int release;
	int nest;
};

static void *
held_reader_main(void *arg)
{
	struct held_reader *r = arg;

	for (int i = 0; i < r->nest; i++)
		mem_rcu_read_lock();
	atomic_store(&r->inside, 1);
	while (!atomic_load(&r->release))
		sleep_ms(1);
	for (int i = 0; i < r->nest; i++) {
		mem_rcu_read_unlock();
		if (i + 1 < r->nest)
			sleep_ms(30); /* still inside: the writer must still wait */
	}
	return NULL;
}

static atomic_int sync_done;

static void *
synchronize_main(void *arg)
{
	(void)arg;
	assert_int_equal(mem_rcu_synchronize(), 0);
	atomic_store(&sync_done, 1);
	return NULL;
}

static void
run_held_reader(int nest)
{
	struct held_reader r = {.nest = nest};
	pthread_t reader, writer;

	atomic_store(&sync_done, 0);
	assert_int_equal(pthread_create(&reader, NULL, held_reader_main, &r), 0);
	while (!atomic_load(&r.inside))
		sleep_ms(1);
	assert_int_equal(pthread_create(&writer, NULL, synchronize_main, NULL), 0);
	sleep_ms(50);
	assert_int_equal(atomic_load(&sync_done), 0); /* waiting for the reader */
	atomic_store(&r.release, 1);
	assert_int_equal(pthread_join(writer, NULL), 0);
	assert_int_equal(atomic_load(&sync_done), 1);
	assert_int_equal(pthread_join(reader, NULL), 0);
}

static void
test_waits_for_reader(void **state)
{
	(void)state;
	run_held_reader(1);
}

static void
test_waits_for_nested_reader(void **state)
{
	(void)state;
	run_held_reader(3);
}

/* A reader that began after the grace period started does not hold it up:
 * a thread that keeps entering and leaving sections never blocks it. */
static atomic_int churn_stop;

static void *
churn_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&churn_stop)) {
		mem_rcu_read_lock();
		mem_rcu_read_unlock();
	}
	return NULL;
}

static void
test_busy_readers_do_not_block(void **state)
{
	(void)state;
	pthread_t th[2];

	atomic_store(&churn_stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn_main, NULL), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(mem_rcu_synchronize(), 0);
	atomic_store(&churn_stop, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
}

struct deferred {
	struct mem_rcu_head head;
	int ran;
};

static void
deferred_fn(struct mem_rcu_head *h)
{
	((struct deferred *)h)->ran++;
}

static void
test_defer(void **state)
{
	(void)state;
	struct deferred d = {.ran = 0};

	mem_rcu_read_lock();
	mem_rcu_defer(&d.head, deferred_fn); /* allowed inside a section */
	mem_rcu_read_unlock();
	assert_int_equal(d.ran, 0);
	assert_int_equal(mem_rcu_synchronize(), 0);
	assert_int_equal(d.ran, 1);
	assert_int_equal(mem_rcu_synchronize(), 0);
	assert_int_equal(d.ran, 1);
}

static void *
reader_once(void *arg)
{
	(void)arg;
	mem_rcu_read_lock();
	mem_rcu_read_unlock();
	return NULL;
}

/* Readers register on first use; an exited thread's record is reused. */
static void
test_reader_records(void **state)
{
	(void)state;
	pthread_t th;

	mem_rcu_read_lock();
	mem_rcu_read_unlock();
	unsigned int base = mem_rcu_reader_count();
	for (int i = 0; i < 50; i++) {
		assert_int_equal(pthread_create(&th, NULL, reader_once, NULL), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
	}
	assert_int_equal(mem_rcu_reader_count(), base);
	assert_int_equal(mem_rcu_synchronize(), 0);
}

/* --- stress --- */

#define SLOTS 8
#define WIN_LEN ((size_t)64 << 10)
#define BASE UINT64_C(0x400000000000)

static struct mem_wt *stress_table;
static atomic_int stress_stop;
static atomic_ulong stress_hits, stress_misses, stress_bad;

/* Window slot i is either absent or maps a memfd whose bytes are all the
 * tag written in its first 8 bytes: (slot << 32 | generation). */
static void *
stress_reader(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	struct mem_wt_cache c;
	unsigned long hits = 0, misses = 0, bad = 0;

	mem_wt_cache_init(&c);
	while (!atomic_load_explicit(&stress_stop, memory_order_relaxed)) {
		mem_rcu_read_lock();
		for (int i = 0; i < 64; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			unsigned int slot = (unsigned int)(seed >> 33) % SLOTS;
			uint64_t off = ((seed >> 8) % (WIN_LEN / 8)) * 8;
			uint64_t base = BASE + slot * 2 * WIN_LEN;
			const uint64_t *p = mem_wt_translate(stress_table, &c, base + off, 8,
							     MEM_ACCESS_READ);
			if (p == NULL) {
				misses++;
				continue;
			}
			/* The window's first word, through the same mapping. Even
			 * if the writer removed the window since, the mapping
			 * stays until this section ends: an early unmap shows up
			 * as a fault, or as another window's tag if the address
			 * was reused. */
			const uint64_t *head = p - off / 8;
			uint64_t tag = *head;

			for (volatile int spin = 0; spin < 50; spin++)
				;
			if ((tag >> 32) != slot || *p != tag || *head != tag)
				bad++;
			hits++;
		}
		mem_rcu_read_unlock();
	}
	atomic_fetch_add(&stress_hits, hits);
	atomic_fetch_add(&stress_misses, misses);
	atomic_fetch_add(&stress_bad, bad);
	return NULL;
}

static int
tagged_memfd(uint64_t tag)
{
	int fd = memfd_create("stress", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)WIN_LEN), 0);
	uint64_t *p = mmap(NULL, WIN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (size_t i = 0; i < WIN_LEN / 8; i++)
		p[i] = tag;
	munmap(p, WIN_LEN);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	return fd;
}

static void
test_stress_import_remove(void **state)
{
	(void)state;
	enum { READERS = 2, ROUNDS = 400 };
	pthread_t th[READERS];
	int present[SLOTS] = {0};
	uint64_t seed = 42;

	stress_table = mem_wt_create("stress");
	assert_non_null(stress_table);
	atomic_store(&stress_stop, 0);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, stress_reader,
						(void *)(uintptr_t)(i + 1)), 0);
	for (uint64_t round = 1; round <= ROUNDS; round++) {
		seed = seed * 6364136223846793005ull + 1;
		unsigned int slot = (unsigned int)(seed >> 33) % SLOTS;
		uint64_t base = BASE + slot * 2 * WIN_LEN;

		if (present[slot]) {
			assert_int_equal(mem_wt_remove(stress_table, base), 0);
			present[slot] = 0;
		} else {
			int fd = tagged_memfd((uint64_t)slot << 32 | round);

			assert_int_equal(mem_wt_import(stress_table, fd, 0, base, WIN_LEN,
						       IDD_MEM_PEER_READ, NULL), 0);
			close(fd);
			present[slot] = 1;
		}
	}
	atomic_store(&stress_stop, 1);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	mem_wt_destroy(stress_table);
	assert_int_equal(atomic_load(&stress_bad), 0);
	/* The readers did see windows come and go. */
	assert_true(atomic_load(&stress_hits) > 0);
	assert_true(atomic_load(&stress_misses) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_for_reader),
		cmocka_unit_test(test_waits_for_nested_reader),
		cmocka_unit_test(test_busy_readers_do_not_block),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_reader_records),
		cmocka_unit_test(test_stress_import_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
