/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The thread engine: several vchans driven from several threads at once,
 * wakeups after the worker has gone to sleep, round-robin between vchans,
 * repeated stop/start with work in flight, worker pinning, and large
 * copies reported complete before the worker's batch ends. Also run
 * under ThreadSanitizer (suite 'engine').
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sw_test.h"

enum { MT_THREADS = 4, MT_BURSTS = 2000, MT_MAX_LEN = 512 };

struct mt_arg {
	int16_t dev;
	uint16_t vchan;
	unsigned long ops;
	unsigned long errors;
	const char *failure; /* set instead of asserting: cmocka is not thread-safe */
};

static void *
mt_worker(void *p)
{
	struct mt_arg *a = p;
	uint8_t *src = malloc(32 * MT_MAX_LEN), *dst = malloc(32 * MT_MAX_LEN);
	uint32_t seed = 1000u + a->vchan;
	uint16_t next = 0;

	if (src == NULL || dst == NULL) {
		a->failure = "out of memory";
		goto out;
	}
	t_pattern(src, 32 * MT_MAX_LEN, seed);
	for (unsigned int b = 0; b < MT_BURSTS && a->failure == NULL; b++) {
		enum idd_dma_status_code st[32];
		uint32_t lens[32];
		unsigned int n = 1 + t_rand(&seed) % 32, got = 0;
		uint16_t last = 0;

		memset(dst, 0, 32 * MT_MAX_LEN);
		for (unsigned int i = 0; i < n; i++) {
			uint8_t *s = src + i * MT_MAX_LEN, *d = dst + i * MT_MAX_LEN;
			uint32_t r = t_rand(&seed);
			int idx;

			lens[i] = r % 41 == 0 ? 0 : 1 + (r >> 8) % MT_MAX_LEN;
			if (r % 3 == 0) {
				struct idd_dma_sge ss[2] = {{T_IOVA(s), lens[i] / 2},
							    {T_IOVA(s + lens[i] / 2),
							     lens[i] - lens[i] / 2}};
				struct idd_dma_sge ds = {T_IOVA(d), lens[i]};

				idx = idd_dma_copy_sg(a->dev, a->vchan, ss, &ds, 2, 1, 0);
			} else {
				idx = idd_dma_copy(a->dev, a->vchan, T_IOVA(s), T_IOVA(d), lens[i],
						   0);
			}
			if (idx != next++) {
				a->failure = "unexpected ring_idx";
				goto out;
			}
		}
		if (idd_dma_submit(a->dev, a->vchan) != 0) {
			a->failure = "submit failed";
			goto out;
		}
		for (long spins = 0; got < n; spins++) {
			uint16_t k = idd_dma_completed_status(a->dev, a->vchan, (uint16_t)(n - got),
							      &last, st + got);

			got += k;
			/* More spinning threads than CPUs: let the worker run. */
			if (k == 0)
				sched_yield();
			if (spins > 100000000L) {
				a->failure = "completions never came";
				goto out;
			}
		}
		if (last != (uint16_t)(next - 1)) {
			a->failure = "wrong last_idx";
			goto out;
		}
		for (unsigned int i = 0; i < n; i++) {
			enum idd_dma_status_code want = lens[i] == 0 ? IDD_DMA_STATUS_INVALID_LENGTH
								     : IDD_DMA_STATUS_SUCCESSFUL;

			if (st[i] != want) {
				a->failure = "wrong status";
				goto out;
			}
			a->errors += lens[i] == 0;
			if (memcmp(dst + i * MT_MAX_LEN, src + i * MT_MAX_LEN, lens[i]) != 0) {
				a->failure = "data mismatch";
				goto out;
			}
		}
		a->ops += n;
	}
out:
	free(src);
	free(dst);
	return NULL;
}

static void
test_many_threads(void **state)
{
	int16_t dev = t_dev_open("mt", NULL, MT_THREADS + 1, 128, 0);
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	unsigned long ops = 0, errors = 0;
	struct idd_dma_stats s;

	(void)state;
	for (unsigned int i = 0; i < MT_THREADS; i++) {
		/* vchan 0 stays idle: the worker must skip it cheaply */
		args[i] = (struct mt_arg){.dev = dev, .vchan = (uint16_t)(i + 1)};
		assert_int_equal(pthread_create(&th[i], NULL, mt_worker, &args[i]), 0);
	}
	for (unsigned int i = 0; i < MT_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (args[i].failure != NULL)
			fail_msg("vchan %u: %s", args[i].vchan, args[i].failure);
		ops += args[i].ops;
		errors += args[i].errors;
		assert_int_equal(idd_dma_stats_get(dev, args[i].vchan, &s), 0);
		assert_int_equal(s.submitted, args[i].ops);
		assert_int_equal(s.completed, args[i].ops);
		assert_int_equal(s.errors, args[i].errors);
	}
	assert_int_equal(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, &s), 0);
	assert_int_equal(s.submitted, ops);
	assert_int_equal(s.completed, ops);
	assert_int_equal(s.errors, errors);
	t_dev_close(dev);
}

static int worker_status(const char *comm, const char *field, char *out, size_t size);

/* Work submitted while the worker sleeps must wake it, every time. */
static void
test_wakeups(void **state)
{
	int16_t dev = t_dev_open("wake", NULL, 2, 64, 0);
	uint8_t src[64], dst[64];
	struct timespec pause = {0, 300 * 1000}; /* above the worker's idle time */

	(void)state;
	t_pattern(src, sizeof(src), 9);
	for (unsigned int i = 0; i < 300; i++) {
		uint16_t vchan = i % 2, last;
		int has_error;

		nanosleep(&pause, NULL);
		memset(dst, 0, sizeof(dst));
		assert_true(idd_dma_copy(dev, vchan, T_IOVA(src), T_IOVA(dst), 1 + i % 64,
					 IDD_DMA_OP_FLAG_SUBMIT) >= 0);
		assert_int_equal(t_wait_completed(dev, vchan, 1, &last, &has_error), 1);
		t_assert_same(dst, src, 1 + i % 64, "after wakeup");
	}
	/* The worker went to sleep between the copies: each sleep is a
	 * voluntary context switch. */
	{
		char val[64];

		assert_true(worker_status("idd-sw-wake", "voluntary_ctxt_switches", val,
					  sizeof(val)));
		if (strtoul(val, NULL, 10) < 100)
			fail_msg("worker slept only %s times in 300 idle gaps", val);
	}
	t_dev_close(dev);
}

/* A vchan with a long backlog does not hold back another one. */
static void
test_round_robin(void **state)
{
	enum { LEN = 256 * 1024, OPS = 8192, DSTS = 8 };
	int16_t dev = t_dev_open("rr", NULL, 2, 8192, 0);
	uint8_t *src = t_alloc(LEN), *dst = t_alloc((size_t)DSTS * LEN);
	uint8_t a[16] = "round robin", b[16];
	enum idd_dma_vchan_status vst;
	uint16_t last;

	(void)state;
	memset(src, 3, LEN);
	for (unsigned int i = 0; i < OPS; i++)
		assert_true(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst + (size_t)(i % DSTS) * LEN),
					 LEN, 0) >= 0);
	/* Back to back, so that the worker sees vchan 1's work while vchan
	 * 0's backlog is still long. */
	assert_true(idd_dma_copy(dev, 1, T_IOVA(a), T_IOVA(b), sizeof(a), 0) >= 0);
	assert_int_equal(idd_dma_submit(dev, 0), 0);
	assert_int_equal(idd_dma_submit(dev, 1), 0);
	assert_int_equal(t_wait_completed(dev, 1, 1, &last, NULL), 1);
	/* 2 GiB of copying on vchan 0 (some 60 ms even in cache) is far from
	 * done; the worker visits vchan 1 after at most one batch. */
	assert_int_equal(idd_dma_vchan_status(dev, 0, &vst), 0);
	assert_int_equal(vst, IDD_DMA_VCHAN_ACTIVE);
	t_assert_same(b, a, sizeof(a), "small copy");
	/* Stop drains the backlog. */
	assert_int_equal(idd_dma_stop(dev), 0);
	assert_int_equal(idd_dma_completed(dev, 0, UINT16_MAX, &last, NULL), OPS);
	assert_int_equal(idd_dma_close(dev), 0);
	t_free(src, LEN);
	t_free(dst, (size_t)DSTS * LEN);
}

/* Stop and start again and again with work in flight: nothing is lost,
 * nothing is reported twice, numbering restarts at 0. */
static void
test_stop_start_cycles(void **state)
{
	enum { LEN = 64 * 1024 };
	int16_t dev = t_dev_open("cycles", NULL, 2, 256, 0);
	uint8_t *src = t_alloc(LEN), *dst = t_alloc(LEN);
	enum idd_dma_status_code st[256];
	uint32_t seed = 4;

	(void)state;
	memset(src, 1, LEN);
	for (unsigned int cycle = 0; cycle < 100; cycle++) {
		unsigned int sub = t_rand(&seed) % 200, unsub = t_rand(&seed) % 50;
		unsigned int early = 0, got;
		uint16_t last = 0;

		if (cycle != 0)
			assert_int_equal(idd_dma_start(dev), 0);
		for (unsigned int i = 0; i < sub + unsub; i++) {
			if (i == sub)
				assert_int_equal(idd_dma_submit(dev, 0), 0);
			assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), LEN, 0),
					 (int)i);
		}
		if (unsub == 0)
			assert_int_equal(idd_dma_submit(dev, 0), 0);
		early = idd_dma_completed_status(dev, 0, 256, &last, st);
		assert_int_equal(idd_dma_stop(dev), 0);
		got = idd_dma_completed_status(dev, 0, 256, &last, st + early);
		assert_int_equal(early + got, sub + unsub);
		assert_int_equal(last, (uint16_t)(sub + unsub - 1));
		for (unsigned int i = 0; i < sub + unsub; i++)
			assert_int_equal(st[i], i < sub ? IDD_DMA_STATUS_SUCCESSFUL
							: IDD_DMA_STATUS_USER_ABORT);
		assert_int_equal(idd_dma_completed_status(dev, 0, 256, &last, st), 0);
	}
	assert_int_equal(idd_dma_close(dev), 0);
	t_free(src, LEN);
	t_free(dst, LEN);
}

/* Find the thread named @comm and copy the value of @field from its
 * /proc status into @out; returns 0 if there is no such thread. */
static int
worker_status(const char *comm, const char *field, char *out, size_t size)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int found = 0;

	assert_non_null(dir);
	while (!found && (e = readdir(dir)) != NULL) {
		char path[300], line[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL && strncmp(line, comm, strlen(comm)) == 0 &&
		    line[strlen(comm)] == '\n')
			found = 1;
		fclose(f);
		if (!found)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':') {
				snprintf(out, size, "%s", line + strlen(field) + 1 +
								 strspn(line + strlen(field) + 1,
									" \t"));
				out[strcspn(out, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return found;
}

static int
worker_cpus(const char *comm, char *cpus, size_t size)
{
	return worker_status(comm, "Cpus_allowed_list", cpus, size);
}

/* True once no thread named @comm is listed. pthread_join() returns when
 * the kernel clears the thread's tid, which is before the exiting task is
 * released, so /proc may still list it for a moment: poll, bounded. */
static int
worker_gone(const char *comm)
{
	char cpus[256];

	for (int i = 0; i < 2000; i++) {
		if (!worker_cpus(comm, cpus, sizeof(cpus)))
			return 1;
		usleep(1000);
	}
	return 0;
}

static void
test_pin(void **state)
{
	int16_t dev = t_dev_open("pin0", "cpu=0", 1, 32, 0);
	char cpus[256] = "";
	uint8_t a[8] = "pinned", b[8];
	uint16_t last;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_true(worker_cpus("idd-sw-pin0", cpus, sizeof(cpus)));
	assert_string_equal(cpus, "0");
	assert_true(idd_dma_copy(dev, 0, T_IOVA(a), T_IOVA(b), 8, IDD_DMA_OP_FLAG_SUBMIT) >= 0);
	assert_int_equal(t_wait_completed(dev, 0, 1, &last, NULL), 1);
	t_assert_same(b, a, 8, "pinned copy");
	assert_non_null(f);
	assert_int_equal(idd_dma_dump(dev, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "engine: thread, worker pinned to cpu 0"));
	free(buf);
	t_dev_close(dev);
	/* Joined at stop: the thread is gone. */
	assert_true(worker_gone("idd-sw-pin0"));
}

static void
test_pin_refused(void **state)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = 32};
	char cpus[256];
	int dev;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_CONF) >= 1024)
		skip();
	/* In range for the argument parser, but no such CPU: start fails. */
	dev = idd_dma_dev_create("pinbad", "engine=thread,cpu=1023");
	assert_true(dev >= 0);
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), 0);
	assert_int_equal(idd_dma_vchan_setup((int16_t)dev, 0, &vconf), 0);
	t_log_capture_start();
	assert_int_equal(idd_dma_start((int16_t)dev), -EINVAL);
	t_log_capture_stop();
	assert_int_equal(t_log_count("cannot pin the worker to cpu 1023"), 1);
	assert_true(worker_gone("idd-sw-pinbad"));
	/* Still stopped: the data path refuses, close works. */
	assert_int_equal(idd_dma_copy((int16_t)dev, 0, T_IOVA(cpus), T_IOVA(cpus + 8), 8, 0),
			 -EINVAL);
	assert_int_equal(idd_dma_close((int16_t)dev), 0);

	/* Out of range, malformed, or with the inline engine: create fails. */
	t_log_capture_start();
	assert_int_equal(idd_dma_dev_create("pinbad", "engine=thread,cpu=1024"), -EINVAL);
	assert_int_equal(idd_dma_dev_create("pinbad", "engine=thread,cpu=-1"), -EINVAL);
	assert_int_equal(idd_dma_dev_create("pinbad", "engine=thread,cpu=one"), -EINVAL);
	assert_int_equal(idd_dma_dev_create("pinbad", "engine=inline,cpu=0"), -EINVAL);
	assert_int_equal(idd_dma_dev_create("pinbad", "cpu=0"), -EINVAL);
	t_log_capture_stop();
	assert_int_equal(t_log_count("needs engine=thread"), 2);
	assert_int_equal(idd_dma_get_dev_id_by_name("pinbad"), -EINVAL);
}

/* Large copies: the worker hands each one over as soon as it is done,
 * not at the end of its batch. The second copy's source blocks the worker
 * (userfaultfd) until the test lets it go; meanwhile the first copy, long
 * finished, must already be reported complete, with its bytes. */
static void
test_early_completions(void **state)
{
	const size_t len = 1 << 20;
	uint8_t *src = t_alloc(len), *dst1 = t_alloc(len), *dst2 = t_alloc(len);
	uint8_t *later = t_alloc(len), *small = t_alloc(512);
	struct t_stall stall;
	uint16_t last = 0;
	bool has_error = false;
	int16_t dev;
	int ret;

	(void)state;
	ret = t_stall_open(&stall, len);
	if (ret != 0) {
		print_message("userfaultfd not available (%s): skipped\n", strerror(-ret));
		t_free(src, len);
		t_free(dst1, len);
		t_free(dst2, len);
		t_free(later, len);
		t_free(small, 512);
		skip();
	}
	t_pattern(src, len, 71);
	t_pattern(later, len, 72);
	dev = t_dev_open("early", NULL, 1, 64, 0);
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst1), (uint32_t)len, 0), 0);
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(stall.addr), T_IOVA(dst2), (uint32_t)len, 0),
			 1);
	/* Small copies after it: held back until the stall ends. (Into a
	 * buffer of their own: the test reads dst1 meanwhile, and nothing
	 * that ThreadSanitizer can see orders that read before the worker's
	 * writes after the stall.) */
	for (int i = 0; i < 8; i++)
		assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src + 64 * i), T_IOVA(small + 64 * i),
					      64, 0),
				 2 + i);
	assert_int_equal(idd_dma_submit(dev, 0), 0);

	/* The worker is stuck inside the second copy. */
	assert_true(t_stall_wait(&stall) != 0);
	assert_int_equal(idd_dma_completed(dev, 0, 10, &last, &has_error), 1);
	assert_int_equal(last, 0);
	assert_false(has_error);
	t_assert_same(dst1, src, len, "first copy, reported while the worker is stuck");
	assert_int_equal(idd_dma_completed(dev, 0, 10, &last, &has_error), 0);

	t_stall_release(&stall, later);
	assert_int_equal(t_wait_completed(dev, 0, 9, &last, NULL), 9);
	assert_int_equal(last, 9);
	t_assert_same(dst2, later, len, "second copy");
	t_assert_same(small, src, 512, "small copies");
	t_check_guards(dst1, len);
	t_check_guards(dst2, len);
	t_dev_close(dev);
	t_stall_close(&stall);
	t_free(src, len);
	t_free(dst1, len);
	t_free(dst2, len);
	t_free(later, len);
	t_free(small, 512);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_threads),     cmocka_unit_test(test_wakeups),
		cmocka_unit_test(test_round_robin),      cmocka_unit_test(test_stop_start_cycles),
		cmocka_unit_test(test_pin),              cmocka_unit_test(test_pin_refused),
		cmocka_unit_test(test_early_completions),
	};

	t_engine = "thread";
	return cmocka_run_group_tests_name("thread engine", tests, NULL, NULL);
}
