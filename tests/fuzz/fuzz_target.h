/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_FUZZ_FUZZ_TARGET_H
#define IDD_TESTS_FUZZ_FUZZ_TARGET_H

/*
 * What every fuzz target in this directory provides, and what it shares.
 *
 * A target is one file with LLVMFuzzerTestOneInput(). It is linked twice:
 * with libFuzzer (clang, -Dfuzzing=true: fuzz_<target>) to search for
 * inputs, and with replay.c (any compiler, every build: the meson test
 * fuzz_replay_<target>) to run the committed corpus and regression inputs
 * in the normal suite, under the sanitizers when the build has them.
 *
 * A target signals a finding by crashing: abort() when an oracle fails
 * (a decoded message that does not encode back to the same bytes, ...),
 * or a sanitizer report.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <idd/idd_log.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Refusals log a line each; a fuzzer makes millions. The lines are still
 * formatted (their format strings print input bytes, which is worth
 * fuzzing too) and read to the end here, then dropped. */
static volatile size_t fuzz_log_bytes;

static void
fuzz_log_sink(enum idd_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	fuzz_log_bytes += strlen(line);
}

static inline void
fuzz_quiet_logs(void)
{
	static int done;

	if (!done) {
		idd_log_set_sink(fuzz_log_sink, NULL);
		done = 1;
	}
}

#endif
