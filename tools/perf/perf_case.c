/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table of case types (the hook for new ones: see perf_case.h) and
 * the value parsers the command line and config files share.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_case.h"
#include "perf_report.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

const char *const perf_dir_names[PERF_NB_DIRS] = {"local", "to-peer", "from-peer",
						  "peer-to-peer"};
const char *const perf_engine_names[PERF_NB_ENGINES] = {"inline", "thread"};

/* Case types, in the order --help lists them. A new type adds its line
 * here (see perf_case.h). */
const struct perf_case_type *const perf_case_types[] = {
	&perf_case_copy,
	&perf_case_group,
#ifdef IDD_PERF_FABRIC
	&perf_case_fabric,
#endif
	NULL,
};

const struct perf_case_type *
perf_case_type_find(const char *name)
{
	for (unsigned int i = 0; perf_case_types[i] != NULL; i++)
		if (strcmp(perf_case_types[i]->name, name) == 0)
			return perf_case_types[i];
	return NULL;
}

int
perf_parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mult = KIB;
		end++;
		break;
	case 'm':
	case 'M':
		mult = MIB;
		end++;
		break;
	case 'g':
	case 'G':
		mult = GIB;
		end++;
		break;
	default:
		break;
	}
	if (mult != 1 && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = (uint64_t)v * mult;
	return 0;
}

int
perf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *
perf_refused_option(char *const argv[], const struct option *longopts, char buf[3])
{
	const char *arg = argv[optind - 1];

	/* optopt is 0 for an unknown long option, the option's value for a
	 * long one given a value it does not take (or none it needs); a
	 * "--..." argument before a short option's cluster is not that. */
	if (strncmp(arg, "--", 2) == 0) {
		size_t n = strcspn(arg + 2, "=");

		if (optopt <= 0 || optopt > 127)
			return arg;
		for (const struct option *o = longopts; o->name != NULL; o++)
			if (o->val == optopt && strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0)
				return arg;
	}
	if (optopt <= 0 || optopt > 127)
		return arg;
	buf[0] = '-';
	buf[1] = (char)optopt;
	buf[2] = '\0';
	return buf;
}

int
perf_parse_ring(const char *s, unsigned int *out, char *why, size_t len)
{
	unsigned long v;

	if (perf_parse_uint(s, PERF_RING_MIN, PERF_RING_MAX, &v) != 0 || (v & (v - 1)) != 0) {
		snprintf(why, len, "'%s' is not a power of two from %d to %d", s, PERF_RING_MIN,
			 PERF_RING_MAX);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

int
perf_parse_cpu(const char *s, int *out)
{
	unsigned long v;

	if (strcmp(s, "none") == 0) {
		*out = PERF_CPU_NONE;
		return 0;
	}
	if (perf_parse_uint(s, 0, CPU_SETSIZE - 1, &v) != 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int
perf_allowed_cpus(cpu_set_t *set, int *first, int *second)
{
	cpu_set_t own;

	if (set == NULL)
		set = &own;
	*first = *second = -1;
	if (sched_getaffinity(0, sizeof(*set), set) != 0)
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && *second < 0; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		if (*first < 0)
			*first = c;
		else
			*second = c;
	}
	return 0;
}

void
perf_format_cpu(char *buf, size_t len, int cpu)
{
	if (cpu >= 0)
		snprintf(buf, len, "on cpu %d", cpu);
	else
		snprintf(buf, len, "not pinned");
}

static int
add_size(uint32_t *sizes, unsigned int *nb, uint64_t size, const char *item, char *why,
	 size_t len)
{
	if (size == 0 || size > PERF_MAX_COPY) {
		snprintf(why, len, "size '%s' out of range (1 byte to 1G)", item);
		return -EINVAL;
	}
	if (*nb == PERF_MAX_SIZES) {
		snprintf(why, len, "more than %d sizes", PERF_MAX_SIZES);
		return -EINVAL;
	}
	sizes[(*nb)++] = (uint32_t)size;
	return 0;
}

int
perf_parse_sizes(const char *s, uint32_t *sizes, unsigned int *nb, char *why, size_t len)
{
	char buf[512];
	char *save = NULL;
	int ret = 0;

	*nb = 0;
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "size list too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *item = strtok_r(buf, ",", &save); item != NULL && ret == 0;
	     item = strtok_r(NULL, ",", &save)) {
		char *dash;
		uint64_t lo, hi;

		while (*item == ' ' || *item == '\t')
			item++;
		item[strcspn(item, " \t")] = '\0';
		dash = strchr(item, '-');
		if (dash == NULL) {
			if (perf_parse_bytes(item, &lo) != 0) {
				snprintf(why, len, "bad size '%s' (want e.g. 64, 4K, 1M)", item);
				ret = -EINVAL;
			} else {
				ret = add_size(sizes, nb, lo, item, why, len);
			}
			continue;
		}
		*dash = '\0';
		if (perf_parse_bytes(item, &lo) != 0 || perf_parse_bytes(dash + 1, &hi) != 0 ||
		    lo == 0 || hi < lo) {
			snprintf(why, len, "bad size range '%s-%s' (want LO-HI with 0 < LO <= HI)",
				 item, dash + 1);
			ret = -EINVAL;
			continue;
		}
		/* A size out of range is one of the ends: name that one. */
		for (uint64_t v = lo; v <= hi && ret == 0; v *= 2)
			ret = add_size(sizes, nb, v, lo > PERF_MAX_COPY ? item : dash + 1, why, len);
	}
	if (ret == 0 && *nb == 0) {
		snprintf(why, len, "empty size list");
		ret = -EINVAL;
	}
	return ret;
}

void
perf_format_size(char *buf, size_t len, uint64_t size)
{
	if (size >= GIB && size % GIB == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", size / GIB);
	else if (size >= MIB && size % MIB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", size / MIB);
	else if (size >= KIB && size % KIB == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", size / KIB);
	else
		snprintf(buf, len, "%" PRIu64 " B", size);
}

int
perf_case_fail(const struct perf_case *c, const char *what, int err)
{
	if (err == -EINTR)
		return err;
	perf_progress_clear();
	fprintf(stderr, "idd-perf: case '%s' (%s): %s: %s\n", c->name, c->where, what,
		strerror(err < 0 ? -err : err));
	return err < 0 ? err : -err;
}
