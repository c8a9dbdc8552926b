/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "dmadev_test.h"
#include "../../lib/clock.h"

const char *tu_args;

/* How long the thread engine may take to finish a few operations; generous
 * for sanitizer builds on a loaded machine. */
#define TU_DEADLINE_S 20

const char *
tu_errname(long long v)
{
	switch (v) {
	case 0: return "(0)";
	case -EINVAL: return "(-EINVAL)";
	case -EBUSY: return "(-EBUSY)";
	case -EEXIST: return "(-EEXIST)";
	case -ENOSPC: return "(-ENOSPC)";
	case -ENODEV: return "(-ENODEV)";
	case -ENOMEM: return "(-ENOMEM)";
	case -ENOTSUP: return "(-ENOTSUP)";
	case -ENOENT: return "(-ENOENT)";
	case -EPERM: return "(-EPERM)";
	case -EACCES: return "(-EACCES)";
	default: return "";
	}
}

/* ---- log checks ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int log_errors;  /* error lines since tu_log_mark() */
static char log_last[512];
static unsigned int violations;
static char violation_list[16384];
static struct {
	const char *file;
	int line;
} sites[256];
static unsigned int nb_sites;

static void
tu_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_lock);
	if (level == IDD_LOG_ERR) {
		log_errors++;
		snprintf(log_last, sizeof(log_last), "%s", line);
	}
	pthread_mutex_unlock(&log_lock);
	fprintf(stderr, "  [idd %d] %s\n", (int)level, line);
}

void
tu_log_install(void)
{
	idd_log_set_sink(tu_sink, NULL);
}

void
tu_log_mark(void)
{
	pthread_mutex_lock(&log_lock);
	log_errors = 0;
	log_last[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

void
tu_log_check(const char *what, const char *mention, const char *file, int line)
{
	char msg[768];
	int bad = 0;

	pthread_mutex_lock(&log_lock);
	if (log_errors != 1) {
		snprintf(msg, sizeof(msg), "%s:%d: %s: %u error lines (expected 1)%s%s\n", file,
			 line, what, log_errors, log_errors ? ", last: " : "", log_last);
		bad = 1;
	} else if (mention != NULL && strstr(log_last, mention) == NULL) {
		snprintf(msg, sizeof(msg), "%s:%d: %s: line '%s' does not name '%s'\n", file, line,
			 what, log_last, mention);
		bad = 1;
	}
	pthread_mutex_unlock(&log_lock);
	if (!bad)
		return;
	/* Report each call site once (loops repeat the same mistake). */
	for (unsigned int i = 0; i < nb_sites; i++)
		if (sites[i].file == file && sites[i].line == line)
			return;
	if (nb_sites < sizeof(sites) / sizeof(sites[0])) {
		sites[nb_sites].file = file;
		sites[nb_sites].line = line;
		nb_sites++;
	}
	violations++;
	print_message("LOG RULE: %s", msg);
	if (strlen(violation_list) + strlen(msg) < sizeof(violation_list))
		strcat(violation_list, msg);
}

unsigned int
tu_log_violations(void)
{
	return violations;
}

void
test_refusals_were_logged(void **state)
{
	(void)state;
	if (violations != 0)
		fail_msg("%u call sites where a refusal did not log exactly one line naming "
			 "the device:\n%s",
			 violations, violation_list);
}

/* ---- devices ---- */

int
tu_is_sw(void)
{
	const char *d = tu_args != NULL ? strstr(tu_args, "driver=") : NULL;

	return d == NULL || strncmp(d, "driver=sw", 9) == 0;
}

int16_t
tu_create(const char *name)
{
	int ret = idd_dma_dev_create(name, tu_args);

	if (ret < 0)
		fail_msg("idd_dma_dev_create(\"%s\", \"%s\") = %d %s", name,
			 tu_args ? tu_args : "(null)", ret, tu_errname(ret));
	return (int16_t)ret;
}

struct idd_dma_info
tu_info(int16_t dev)
{
	struct idd_dma_info info;

	memset(&info, 0, sizeof(info));
	assert_errno(idd_dma_info_get(dev, &info), 0);
	return info;
}

uint16_t
tu_nb_desc(int16_t dev)
{
	struct idd_dma_info info = tu_info(dev);
	uint16_t n = 64;

	if (n < info.min_desc)
		n = info.min_desc;
	if (n > info.max_desc)
		n = info.max_desc;
	return n;
}

struct idd_dma_vchan_conf
tu_vchan_conf(uint16_t nb_desc)
{
	struct idd_dma_vchan_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.direction = IDD_DMA_DIR_MEM_TO_MEM;
	conf.nb_desc = nb_desc;
	conf.src_port.port_type = IDD_DMA_PORT_NONE;
	conf.dst_port.port_type = IDD_DMA_PORT_NONE;
	conf.domain.type = IDD_DMA_INTER_DOMAIN_NONE;
	return conf;
}

void
tu_configure(int16_t dev, uint16_t nb_vchans)
{
	struct idd_dma_conf conf = { .nb_vchans = nb_vchans };

	assert_errno(idd_dma_configure(dev, &conf), 0);
}

void
tu_setup_all(int16_t dev, uint16_t nb_vchans, uint16_t nb_desc)
{
	struct idd_dma_vchan_conf conf = tu_vchan_conf(nb_desc);

	for (uint16_t v = 0; v < nb_vchans; v++)
		assert_errno(idd_dma_vchan_setup(dev, v, &conf), 0);
}

int16_t
tu_ready(const char *name, uint16_t nb_vchans, uint16_t nb_desc)
{
	int16_t dev = tu_create(name);

	if (nb_desc == 0)
		nb_desc = tu_nb_desc(dev);
	tu_configure(dev, nb_vchans);
	tu_setup_all(dev, nb_vchans, nb_desc);
	assert_errno(idd_dma_start(dev), 0);
	return dev;
}

void
tu_close(int16_t dev)
{
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_close(dev), 0);
}

static unsigned int
close_leftovers(void)
{
	unsigned int n = 0;
	int16_t dev;

	IDD_DMA_FOREACH_DEV(dev) {
		idd_dma_stop(dev);
		idd_dma_close(dev);
		n++;
	}
	return n;
}

int
tu_teardown(void **state)
{
	unsigned int left;

	(void)state;
	left = close_leftovers();
	if (left != 0) {
		print_error("teardown: closed %u device(s) left open (normal after a failed "
			    "assertion; a bug in the test otherwise)\n", left);
		return -1;
	}
	return 0;
}

int
tu_group_teardown(void **state)
{
	(void)state;
	if (idd_dma_count_avail() != 0 || close_leftovers() != 0) {
		print_error("devices remain at the end of the suite\n");
		return -1;
	}
	return 0;
}

/* ---- completions ---- */

uint16_t
tu_wait_status(int16_t dev, uint16_t vchan, uint16_t n, uint16_t *last_idx,
	       enum idd_dma_status_code *status)
{
	double deadline = mono_s() + TU_DEADLINE_S;
	uint16_t got = 0;

	while (got < n) {
		uint16_t k = idd_dma_completed_status(dev, vchan, (uint16_t)(n - got), last_idx,
						      status + got);

		if (k > n - got)
			fail_msg("completed_status reported %u, asked for at most %u", k, n - got);
		got = (uint16_t)(got + k);
		if (k == 0) {
			if (mono_s() > deadline)
				break;
			sched_yield();
		}
	}
	return got;
}

uint16_t
tu_wait_completed(int16_t dev, uint16_t vchan, uint16_t n, uint16_t *last_idx, bool *has_error)
{
	double deadline = mono_s() + TU_DEADLINE_S;
	uint16_t got = 0;

	*has_error = false;
	while (got < n) {
		bool err = false;
		uint16_t k = idd_dma_completed(dev, vchan, (uint16_t)(n - got), last_idx, &err);

		if (k > n - got)
			fail_msg("completed reported %u, asked for at most %u", k, n - got);
		got = (uint16_t)(got + k);
		if (err) {
			*has_error = true;
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

enum idd_dma_vchan_status
tu_wait_idle(int16_t dev, uint16_t vchan)
{
	double deadline = mono_s() + TU_DEADLINE_S;
	enum idd_dma_vchan_status st = IDD_DMA_VCHAN_ACTIVE;

	for (;;) {
		assert_errno(idd_dma_vchan_status(dev, vchan, &st), 0);
		if (st != IDD_DMA_VCHAN_ACTIVE || mono_s() > deadline)
			return st;
		sched_yield();
	}
}
