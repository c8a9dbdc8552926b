/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Case specifications and the config-file reader (see perf_spec.h). Every
 * complaint names where the bad value came from: FILE:LINE for a config
 * file, the option for the command line.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_spec.h"

/* Defaults (also the default suite's settings). */
#define DEF_SIZES "64,4K,1M"
#define DEF_BURST 32
#define DEF_RING 1024
#define DEF_DURATION 1.0
#define DEF_CYCLES 200
#define DEF_STORM 32

static const char *const key_names[PERF_NB_KEYS] = {
	"type", "direction", "engine", "sizes", "burst", "kick",
	"ring", "peers", "duration", "footprint", "cycles", "storm",
};

static int
key_index(const char *key)
{
	for (int i = 0; i < PERF_NB_KEYS; i++)
		if (strcmp(key_names[i], key) == 0)
			return i;
	return -1;
}

const char *
perf_spec_key_name(unsigned int k)
{
	return k < PERF_NB_KEYS ? key_names[k] : "?";
}

bool
perf_spec_known_key(const char *key)
{
	return key_index(key) >= 0;
}

void
perf_spec_init(struct perf_spec *s, const char *name, const char *file, unsigned int line)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->c.name, sizeof(s->c.name), "%s", name);
	if (file != NULL)
		snprintf(s->file, sizeof(s->file), "%s", file);
	s->line = line;
}

/* A comma-separated list of names from @names (and the word @all for every
 * one of them) as bits. */
static int
parse_list(const char *val, const char *const *names, unsigned int n, const char *all,
	   unsigned int *out, char *why, size_t len)
{
	char buf[256];
	char *save = NULL;

	*out = 0;
	snprintf(buf, sizeof(buf), "%s", val);
	for (char *item = strtok_r(buf, ", \t", &save); item != NULL;
	     item = strtok_r(NULL, ", \t", &save)) {
		unsigned int i;

		if (strcmp(item, all) == 0) {
			*out |= (1u << n) - 1;
			continue;
		}
		for (i = 0; i < n && strcmp(item, names[i]) != 0; i++)
			;
		if (i == n) {
			int k = snprintf(why, len, "unknown value '%s' (want", item);

			for (i = 0; i < n && k > 0 && (size_t)k < len; i++)
				k += snprintf(why + k, len - (size_t)k, " %s,", names[i]);
			if (k > 0 && (size_t)k < len)
				snprintf(why + k, len - (size_t)k, " or %s)", all);
			return -EINVAL;
		}
		*out |= 1u << i;
	}
	if (*out == 0) {
		snprintf(why, len, "empty list");
		return -EINVAL;
	}
	return 0;
}

static int
parse_num(const char *val, unsigned long min, unsigned long max, unsigned int *out, char *why,
	  size_t len)
{
	unsigned long v;

	if (perf_parse_uint(val, min, max, &v) != 0) {
		snprintf(why, len, "'%s' is not a whole number from %lu to %lu", val, min, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

int
perf_spec_set(struct perf_spec *s, const char *key, const char *val, unsigned int line,
	      char *why, size_t len)
{
	int k = key_index(key);
	struct perf_case *c = &s->c;
	int ret = 0;

	if (k < 0) {
		for (unsigned int i = 0; i < s->nb_extra; i++)
			if (strcmp(s->extra[i].key, key) == 0) {
				snprintf(why, len, "'%s' given twice", key);
				return -EINVAL;
			}
		if (s->nb_extra == PERF_SPEC_EXTRA || strlen(key) >= sizeof(s->extra[0].key) ||
		    strlen(val) >= sizeof(s->extra[0].val)) {
			snprintf(why, len, "unknown key '%s'", key);
			return -EINVAL;
		}
		snprintf(s->extra[s->nb_extra].key, sizeof(s->extra[0].key), "%s", key);
		snprintf(s->extra[s->nb_extra].val, sizeof(s->extra[0].val), "%s", val);
		s->extra[s->nb_extra++].line = line;
		return 0;
	}
	if (s->set & (1u << k)) {
		snprintf(why, len, "'%s' given twice", key);
		return -EINVAL;
	}
	switch (1u << k) {
	case PERF_KEY_TYPE:
		c->type = perf_case_type_find(val);
		if (c->type == NULL) {
			int n = snprintf(why, len, "unknown case type '%s' (want", val);

			for (unsigned int i = 0; perf_case_types[i] != NULL && n > 0 && (size_t)n < len;
			     i++)
				n += snprintf(why + n, len - (size_t)n, "%s %s", i ? "," : "",
					      perf_case_types[i]->name);
			if (n > 0 && (size_t)n < len)
				snprintf(why + n, len - (size_t)n, ")");
			ret = -EINVAL;
		}
		break;
	case PERF_KEY_DIRECTION:
		ret = parse_list(val, perf_dir_names, PERF_NB_DIRS, "all", &s->dirs, why, len);
		break;
	case PERF_KEY_ENGINE:
		ret = parse_list(val, perf_engine_names, PERF_NB_ENGINES, "both", &s->engines, why,
				 len);
		break;
	case PERF_KEY_SIZES:
		ret = perf_parse_sizes(val, c->sizes, &c->nb_sizes, why, len);
		break;
	case PERF_KEY_BURST:
		ret = parse_num(val, 1, PERF_RING_MAX, &c->burst, why, len);
		break;
	case PERF_KEY_KICK:
		ret = parse_num(val, 1, PERF_RING_MAX, &c->kick, why, len);
		break;
	case PERF_KEY_RING:
		ret = perf_parse_ring(val, &c->ring, why, len);
		break;
	case PERF_KEY_PEERS:
		ret = parse_num(val, 1, PERF_MAX_PEERS, &c->peers, why, len);
		break;
	case PERF_KEY_DURATION: {
		char *end;

		c->duration = strtod(val, &end);
		if (end == val || *end != '\0' || !(c->duration >= 0.001 && c->duration <= 3600)) {
			snprintf(why, len, "'%s' is not a number of seconds from 0.001 to 3600", val);
			ret = -EINVAL;
		}
		break;
	}
	case PERF_KEY_FOOTPRINT:
		if (strcmp(val, "cache") == 0) {
			c->footprint = 0;
		} else if (perf_parse_bytes(val, &c->footprint) != 0 || c->footprint == 0 ||
			   c->footprint > (UINT64_C(64) << 30)) {
			/* 0 would silently mean 'cache'. */
			snprintf(why, len,
				 "'%s' is neither 'cache' nor a size from 1 byte to 64G (e.g. 256M)",
				 val);
			ret = -EINVAL;
		}
		break;
	case PERF_KEY_CYCLES:
		ret = parse_num(val, 0, 100000, &c->cycles, why, len);
		break;
	default: /* PERF_KEY_STORM */
		ret = parse_num(val, 0, PERF_MAX_STORM, &c->storm, why, len);
		break;
	}
	if (ret == 0) {
		s->set |= 1u << k;
		s->key_line[k] = line;
	}
	return ret;
}

/* Print a complaint about @s (at @line, or its header's line). */
static int complain(const struct perf_spec *s, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
complain(const struct perf_spec *s, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (s->file[0] != '\0')
		fprintf(stderr, "%s:%u: ", s->file, line ? line : s->line);
	else
		fprintf(stderr, "idd-perf: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Take key @bit's value from @from into @c. */
static void
take(struct perf_case *c, const struct perf_spec *from, unsigned int bit)
{
	const struct perf_case *f = &from->c;

	switch (bit) {
	case PERF_KEY_SIZES:
		memcpy(c->sizes, f->sizes, sizeof(c->sizes));
		c->nb_sizes = f->nb_sizes;
		break;
	case PERF_KEY_BURST:
		c->burst = f->burst;
		break;
	case PERF_KEY_KICK:
		c->kick = f->kick;
		break;
	case PERF_KEY_RING:
		c->ring = f->ring;
		break;
	case PERF_KEY_PEERS:
		c->peers = f->peers;
		break;
	case PERF_KEY_DURATION:
		c->duration = f->duration;
		break;
	case PERF_KEY_FOOTPRINT:
		c->footprint = f->footprint;
		break;
	case PERF_KEY_CYCLES:
		c->cycles = f->cycles;
		break;
	case PERF_KEY_STORM:
		c->storm = f->storm;
		break;
	default:
		break;
	}
}

int
perf_spec_expand(const struct perf_spec *s, const struct perf_spec *cli, struct perf_case *out,
		 unsigned int max, unsigned int *nb)
{
	const struct perf_case_type *type = s->set & PERF_KEY_TYPE ? s->c.type : &perf_case_copy;
	struct perf_case base;
	unsigned int dirs, engines, from_cli = 0;
	char why[256];

	memset(&base, 0, sizeof(base));
	snprintf(base.name, sizeof(base.name), "%s", s->c.name);
	if (s->file[0] != '\0')
		snprintf(base.where, sizeof(base.where), "%s:%u", s->file, s->line);
	else
		snprintf(base.where, sizeof(base.where), "command line");
	base.type = type;
	/* Keys the type does not take. */
	for (unsigned int k = 1; k < PERF_NB_KEYS; k++)
		if ((s->set & (1u << k)) && !(type->keys & (1u << k)))
			return complain(s, s->key_line[k], "key '%s' does not apply to type %s",
					key_names[k], type->name);
	/* Defaults, then the command line's keys, then the section's own. */
	base.burst = DEF_BURST;
	base.ring = DEF_RING;
	base.duration = DEF_DURATION;
	base.cycles = DEF_CYCLES;
	base.storm = DEF_STORM;
	perf_parse_sizes(DEF_SIZES, base.sizes, &base.nb_sizes, why, sizeof(why));
	dirs = (1u << PERF_DIR_LOCAL) | (1u << PERF_DIR_TO_PEER) | (1u << PERF_DIR_FROM_PEER);
	engines = (1u << PERF_NB_ENGINES) - 1;
	if (cli != NULL && cli != s) {
		from_cli = cli->set & type->keys;
		for (unsigned int k = 1; k < PERF_NB_KEYS; k++)
			if (from_cli & (1u << k))
				take(&base, cli, 1u << k);
		if (from_cli & PERF_KEY_DIRECTION)
			dirs = cli->dirs;
		if (from_cli & PERF_KEY_ENGINE)
			engines = cli->engines;
	}
	for (unsigned int k = 1; k < PERF_NB_KEYS; k++)
		if (s->set & (1u << k))
			take(&base, s, 1u << k);
	if (s->set & PERF_KEY_DIRECTION)
		dirs = s->dirs;
	if (s->set & PERF_KEY_ENGINE)
		engines = s->engines;
	if (!((s->set | from_cli) & PERF_KEY_KICK))
		base.kick = base.burst;
	for (unsigned int i = 0; i < s->nb_extra; i++) {
		int ret = type->set_key == NULL ? -ENOENT
						: type->set_key(&base, s->extra[i].key,
								s->extra[i].val, why, sizeof(why));

		if (ret == -ENOENT)
			return complain(s, s->extra[i].line, "unknown key '%s'%s", s->extra[i].key,
					s->file[0] ? "" : " (option)");
		if (ret != 0)
			return complain(s, s->extra[i].line, "%s", why);
	}
	if (!(type->keys & PERF_KEY_DIRECTION))
		dirs = 1;
	if (!(type->keys & PERF_KEY_ENGINE))
		engines = 1;
	for (unsigned int d = 0; d < PERF_NB_DIRS; d++) {
		if (!(dirs & (1u << d)))
			continue;
		for (unsigned int e = 0; e < PERF_NB_ENGINES; e++) {
			struct perf_case *c;

			if (!(engines & (1u << e)))
				continue;
			if (*nb == max)
				return complain(s, 0, "more than %u cases", max);
			c = &out[(*nb)++];
			*c = base;
			c->dir = (enum perf_dir)d;
			c->engine = (enum perf_engine)e;
			if (c->peers == 0)
				c->peers = d == PERF_DIR_PEER_TO_PEER ? 2 : 1;
			if (type->check != NULL && type->check(c, why, sizeof(why)) != 0)
				return complain(s, 0, "case [%s]: %s", c->name, why);
		}
	}
	return 0;
}

/* Strip blanks at both ends, in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool
good_name(const char *n)
{
	if (*n == '\0' || strlen(n) >= PERF_NAME_MAX)
		return false;
	for (; *n != '\0'; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '-' || *n == '_' || *n == '.'))
			return false;
	return true;
}

int
perf_config_load(const char *path, struct perf_spec *specs, unsigned int max, unsigned int *nb)
{
	FILE *f = fopen(path, "r");
	char buf[1024], why[256];
	unsigned int line = 0;
	struct perf_spec *cur = NULL;
	int ret = 0;

	*nb = 0;
	if (f == NULL) {
		fprintf(stderr, "idd-perf: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	while (ret == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		char *s, *eq;

		line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "%s:%u: line longer than %zu characters\n", path, line,
				sizeof(buf) - 2);
			ret = -EINVAL;
			break;
		}
		s = trim(buf);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close == NULL || *trim(close + 1) != '\0') {
				fprintf(stderr, "%s:%u: a section header is '[NAME]' alone\n", path,
					line);
				ret = -EINVAL;
				break;
			}
			*close = '\0';
			s = trim(s + 1);
			if (!good_name(s)) {
				fprintf(stderr,
					"%s:%u: bad case name '%s' (1 to %d of A-Z a-z 0-9 . _ -)\n",
					path, line, s, PERF_NAME_MAX - 1);
				ret = -EINVAL;
				break;
			}
			for (unsigned int i = 0; i < *nb; i++)
				if (strcmp(specs[i].c.name, s) == 0) {
					fprintf(stderr, "%s:%u: case [%s] defined twice (first at line %u)\n",
						path, line, s, specs[i].line);
					ret = -EINVAL;
				}
			if (ret != 0)
				break;
			if (*nb == max) {
				fprintf(stderr, "%s:%u: more than %u cases\n", path, line, max);
				ret = -EINVAL;
				break;
			}
			cur = &specs[(*nb)++];
			perf_spec_init(cur, s, path, line);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "%s:%u: expected '[NAME]' or 'key = value', got '%s'\n", path,
				line, s);
			ret = -EINVAL;
			break;
		}
		if (cur == NULL) {
			fprintf(stderr, "%s:%u: 'key = value' before the first [case] section\n", path,
				line);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		if (*trim(s) == '\0' || *trim(eq + 1) == '\0') {
			fprintf(stderr, "%s:%u: empty key or value\n", path, line);
			ret = -EINVAL;
			break;
		}
		if (perf_spec_set(cur, trim(s), trim(eq + 1), line, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s:%u: %s: %s\n", path, line, trim(s), why);
			ret = -EINVAL;
		}
	}
	if (ret == 0 && ferror(f)) {
		fprintf(stderr, "idd-perf: %s: read error\n", path);
		ret = -EINVAL;
	}
	fclose(f);
	if (ret == 0 && *nb == 0) {
		fprintf(stderr, "%s: no [case] section\n", path);
		ret = -EINVAL;
	}
	return ret;
}
