/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_SPEC_H
#define IDD_TOOLS_PERF_SPEC_H

/*
 * Case specifications: what the command line or one config-file section
 * says, before defaults are filled in. A spec names lists of directions and
 * engines; it expands into one case per (direction, engine).
 *
 * Config file (ini style): '#' or ';' starts a comment line; '[NAME]'
 * starts a case; 'key = value' lines set its keys (the same names as the
 * long options: type, direction, engine, sizes, burst, kick, ring, peers,
 * duration, footprint, cycles, storm, and whatever keys a case type adds).
 */

#include "perf_case.h"

#define PERF_SPEC_EXTRA 8
#define PERF_NB_KEYS 12

struct perf_spec {
	struct perf_case c;  /* the values of the keys set */
	unsigned int set;    /* PERF_KEY_* given */
	unsigned int dirs;   /* bit per enum perf_dir */
	unsigned int engines; /* bit per enum perf_engine */
	unsigned int key_line[PERF_NB_KEYS]; /* config line of each key set */
	/* Keys no common parser knows, for the case type's set_key. */
	struct {
		char key[32];
		char val[256];
		unsigned int line;
	} extra[PERF_SPEC_EXTRA];
	unsigned int nb_extra;
	char file[256];      /* "" on the command line */
	unsigned int line;   /* of the section header */
};

/* An empty spec named @name; @file NULL for the command line. */
void perf_spec_init(struct perf_spec *s, const char *name, const char *file, unsigned int line);

/* Set @key to @val. 0; -EINVAL with @why for a bad value (or a key given
 * twice); -ENOSPC if too many keys unknown to the common parser. Unknown
 * keys are kept for the case type (expand says if it has no such key). */
int perf_spec_set(struct perf_spec *s, const char *key, const char *val, unsigned int line,
		  char *why, size_t len);

/* The name of key bit number @k (PERF_KEY_* == 1 << k). */
const char *perf_spec_key_name(unsigned int k);

/* Whether @key is one of the common keys. */
bool perf_spec_known_key(const char *key);

/* The cases of @s: its keys, else @cli's (where the type takes them), else
 * the defaults. Appends to @out (room for @max, count in *@nb). 0, or
 * -EINVAL after printing "FILE:LINE: reason" (or "idd-perf: reason"). */
int perf_spec_expand(const struct perf_spec *s, const struct perf_spec *cli, struct perf_case *out,
		     unsigned int max, unsigned int *nb);

/* Read a config file into @specs (room for @max). 0, or -EINVAL after
 * printing "FILE:LINE: reason". */
int perf_config_load(const char *path, struct perf_spec *specs, unsigned int max,
		     unsigned int *nb);

#endif
