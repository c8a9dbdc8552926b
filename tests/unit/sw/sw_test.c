/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sw_test.h"
#include "../../lib/clock.h"

const char *t_engine = "inline";

void
t_parse_engine(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "inline") == 0 || strcmp(argv[1], "thread") == 0)) {
		t_engine = argv[1];
		return;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: %s [inline|thread]\n", argv[0]);
		exit(2);
	}
}

int
t_is_thread(void)
{
	return strcmp(t_engine, "thread") == 0;
}

int16_t
t_dev_open(const char *name, const char *extra, uint16_t nb_vchans, uint16_t nb_desc,
	   uint64_t flags)
{
	struct idd_dma_conf conf = {.nb_vchans = nb_vchans, .flags = flags};
	struct idd_dma_vchan_conf vconf = {
		.direction = IDD_DMA_DIR_MEM_TO_MEM,
		.nb_desc = nb_desc,
	};
	char args[128];
	int dev;

	snprintf(args, sizeof(args), "engine=%s%s%s", t_engine, extra ? "," : "",
		 extra ? extra : "");
	dev = idd_dma_dev_create(name, args);
	assert_true(dev >= 0);
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), 0);
	for (uint16_t v = 0; v < nb_vchans; v++)
		assert_int_equal(idd_dma_vchan_setup((int16_t)dev, v, &vconf), 0);
	assert_int_equal(idd_dma_start((int16_t)dev), 0);
	return (int16_t)dev;
}

void
t_dev_close(int16_t dev)
{
	/* Stopping a stopped device only warns; keep test output quiet. */
	enum idd_log_level level = idd_log_get_level();

	idd_log_set_level(IDD_LOG_ERR);
	assert_int_equal(idd_dma_stop(dev), 0);
	idd_log_set_level(level);
	assert_int_equal(idd_dma_close(dev), 0);
}

unsigned int
t_wait_completed(int16_t dev, uint16_t vchan, unsigned int n, uint16_t *last_idx, int *has_error)
{
	double deadline = mono_s() + T_TIMEOUT_S;
	unsigned int got = 0;

	if (has_error != NULL)
		*has_error = 0;
	while (got < n) {
		uint16_t want = n - got > UINT16_MAX ? UINT16_MAX : (uint16_t)(n - got);
		bool err = false;
		uint16_t k = idd_dma_completed(dev, vchan, want, last_idx, &err);

		got += k;
		if (err) {
			if (has_error != NULL)
				*has_error = 1;
			break;
		}
		if (k == 0) {
			if (mono_s() > deadline)
				break;
			sched_yield();
		}
	}
	return got;
}

unsigned int
t_wait_status(int16_t dev, uint16_t vchan, unsigned int n, uint16_t *last_idx,
	      enum idd_dma_status_code *st)
{
	double deadline = mono_s() + T_TIMEOUT_S;
	unsigned int got = 0;

	while (got < n) {
		uint16_t want = n - got > UINT16_MAX ? UINT16_MAX : (uint16_t)(n - got);
		uint16_t k = idd_dma_completed_status(dev, vchan, want, last_idx, st + got);

		got += k;
		if (k == 0) {
			if (mono_s() > deadline)
				break;
			sched_yield();
		}
	}
	return got;
}

#define T_GUARD 64

uint8_t *
t_alloc(size_t len)
{
	uint8_t *p = aligned_alloc(64, (len + 2 * T_GUARD + 63) & ~(size_t)63);

	assert_non_null(p);
	memset(p, 0xA5, T_GUARD);
	memset(p + T_GUARD + len, 0xA5, T_GUARD);
	return p + T_GUARD;
}

void
t_check_guards(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < T_GUARD; i++) {
		if (p[-1 - (ptrdiff_t)i] != 0xA5)
			fail_msg("guard byte %zu before the buffer overwritten", i);
		if (p[len + i] != 0xA5)
			fail_msg("guard byte %zu after the buffer (len %zu) overwritten", i, len);
	}
}

void
t_free(uint8_t *p, size_t len)
{
	t_check_guards(p, len);
	free(p - T_GUARD);
}

void
t_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t s = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		p[i] = (uint8_t)s;
	}
}

void
t_assert_same(const uint8_t *a, const uint8_t *b, size_t len, const char *what)
{
	if (memcmp(a, b, len) == 0)
		return;
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			fail_msg("%s: first difference at byte %zu of %zu: 0x%02x != 0x%02x", what,
				 i, len, a[i], b[i]);
}

uint32_t
t_rand(uint32_t *state)
{
	uint32_t s = *state ? *state : 1;

	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	*state = s;
	return s;
}

#define T_LOG_LINES 256

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[T_LOG_LINES][512];
static unsigned int log_nb;

static void
t_log_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "[log %d] %s\n", (int)level, line);
	pthread_mutex_lock(&log_lock);
	if (log_nb < T_LOG_LINES)
		snprintf(log_lines[log_nb++], sizeof(log_lines[0]), "%s", line);
	pthread_mutex_unlock(&log_lock);
}

void
t_log_capture_start(void)
{
	pthread_mutex_lock(&log_lock);
	log_nb = 0;
	pthread_mutex_unlock(&log_lock);
	idd_log_set_sink(t_log_sink, NULL);
}

void
t_log_capture_stop(void)
{
	idd_log_set_sink(NULL, NULL);
}

unsigned int
t_log_count(const char *needle)
{
	unsigned int n = 0;

	pthread_mutex_lock(&log_lock);
	for (unsigned int i = 0; i < log_nb; i++)
		n += strstr(log_lines[i], needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* ---- stalls ---- */

int
t_stall_open(struct t_stall *s, size_t len)
{
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg = {.mode = UFFDIO_REGISTER_MODE_MISSING};
	int err;

	memset(s, 0, sizeof(*s));
	s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (s->uffd < 0)
		return -errno;
	if (ioctl(s->uffd, UFFDIO_API, &api) != 0)
		goto fail;
	s->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->addr == MAP_FAILED) {
		s->addr = NULL;
		goto fail;
	}
	s->len = len;
	reg.range.start = (uintptr_t)s->addr;
	reg.range.len = len;
	if (ioctl(s->uffd, UFFDIO_REGISTER, &reg) != 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	t_stall_close(s);
	return err;
}

uintptr_t
t_stall_wait(struct t_stall *s)
{
	struct pollfd pfd = {.fd = s->uffd, .events = POLLIN};
	struct uffd_msg msg;

	if (poll(&pfd, 1, T_TIMEOUT_S * 1000) != 1)
		return 0;
	if (read(s->uffd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	return (uintptr_t)msg.arg.pagefault.address;
}

void
t_stall_release(struct t_stall *s, const void *src)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)s->addr, .src = (uintptr_t)src, .len = s->len, .mode = 0,
	};

	/* Maps every page of the region at once and wakes the faulting
	 * threads. */
	if (ioctl(s->uffd, UFFDIO_COPY, &c) != 0)
		fail_msg("UFFDIO_COPY: %s", strerror(errno));
}

void
t_stall_close(struct t_stall *s)
{
	if (s->addr != NULL)
		munmap(s->addr, s->len);
	if (s->uffd >= 0)
		close(s->uffd);
	s->addr = NULL;
	s->uffd = -1;
}
