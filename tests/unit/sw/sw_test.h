/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_SW_TEST_H
#define IDD_TESTS_SW_TEST_H

/*
 * Helpers shared by the sw driver tests. Programs that run on both engines
 * take the engine name as argv[1] ("inline" or "thread") and call
 * t_parse_engine() first.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_log.h>

/* The driver's advertised max_sges (checked by test_sw_probe). */
#define SW_TEST_MAX_SGES 16

/* "inline" or "thread"; set by t_parse_engine(). */
extern const char *t_engine;

/* Seconds a test waits for the thread engine before it declares a hang.
 * Generous because sanitizer builds are slow. */
#define T_TIMEOUT_S 20

void t_parse_engine(int argc, char **argv);
int t_is_thread(void);

/* Create "name" with "engine=<t_engine>" (plus ",extra" if not NULL),
 * configure @nb_vchans with @flags, set every vchan up with @nb_desc and
 * start. Fails the test on any error. */
int16_t t_dev_open(const char *name, const char *extra, uint16_t nb_vchans, uint16_t nb_desc,
		   uint64_t flags);
/* Stop (if started) and close. */
void t_dev_close(int16_t dev);

/* Collect with completed() until @n operations were reported or the
 * timeout passes; returns the number reported. *last_idx gets the last
 * value seen, *has_error whether any call reported an error. */
unsigned int t_wait_completed(int16_t dev, uint16_t vchan, unsigned int n, uint16_t *last_idx,
			      int *has_error);
/* Same with completed_status(); statuses land in @st[0..n). */
unsigned int t_wait_status(int16_t dev, uint16_t vchan, unsigned int n, uint16_t *last_idx,
			   enum idd_dma_status_code *st);

/* Buffers with a guard zone: t_alloc returns memory with @len usable bytes
 * and 64 guard bytes of 0xA5 on each side; t_free releases it. */
uint8_t *t_alloc(size_t len);
void t_free(uint8_t *p, size_t len);
void t_check_guards(const uint8_t *p, size_t len);

/* Deterministic byte pattern depending on @seed. */
void t_pattern(uint8_t *p, size_t len, uint32_t seed);
/* Assert @a and @b are equal over @len, naming the first difference. */
void t_assert_same(const uint8_t *a, const uint8_t *b, size_t len, const char *what);

/* A small deterministic PRNG (xorshift). */
uint32_t t_rand(uint32_t *state);

/* Log capture: while active, lines are kept (and also printed). */
void t_log_capture_start(void);
void t_log_capture_stop(void);
/* Lines captured whose text contains @needle. */
unsigned int t_log_count(const char *needle);

/*
 * Memory whose first access blocks until the test lets it through
 * (userfaultfd, user-mode faults only, so no privilege is needed): a way
 * to hold the thread engine inside a chosen operation and look at what it
 * has published meanwhile, with no timing involved.
 */
struct t_stall {
	int uffd;
	uint8_t *addr;
	size_t len;
};

/* Map @len bytes (a multiple of the page size) that are not there yet.
 * 0, or -errno when userfaultfd is not available (skip the test). */
int t_stall_open(struct t_stall *s, size_t len);
/* Wait until something blocks on the region; returns the faulting address,
 * or 0 after T_TIMEOUT_S. */
uintptr_t t_stall_wait(struct t_stall *s);
/* Fill the whole region with @src (len bytes) and wake whoever blocked. */
void t_stall_release(struct t_stall *s, const void *src);
void t_stall_close(struct t_stall *s);

#define T_IOVA(p) ((idd_iova_t)(uintptr_t)(p))

#endif
