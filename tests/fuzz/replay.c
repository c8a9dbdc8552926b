/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays inputs through a fuzz target without libFuzzer: linked with one
 * target's LLVMFuzzerTestOneInput(), it calls it once per file, so the
 * committed seed corpus and every past finding run in the normal suite
 * (built by any compiler, under ASan+UBSan or TSan when the build has
 * them). A finding shows as the target's abort() or a sanitizer report;
 * the file being replayed is printed first so that the log names it.
 *
 *   replay CORPUS_DIR [REGRESSION_DIR...]
 *
 * CORPUS_DIR must hold at least one input (a replay of nothing would pass
 * whatever the target does); a regression directory may be absent (a
 * target without findings has none). Files are replayed in name order;
 * names starting with '.' are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

/* The target this program is linked with (see fuzz_target.h). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
skip_dotfiles(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Read the whole of @path into a buffer of exactly its size (ASan then
 * sees a target read one byte past its input). */
static uint8_t *
read_input(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL)
		goto out;
	if (st.st_size > 0 && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*size = (size_t)st.st_size;
out:
	fclose(f);
	return buf;
}

/* Replay every file of @dir; returns how many, or -1 on an error. */
static long
replay_dir(const char *dir, int must_exist)
{
	struct dirent **names;
	long count = 0;
	int n;

	n = scandir(dir, &names, skip_dotfiles, alphasort);
	if (n < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		uint8_t *data;
		size_t size = 0;

		if (count >= 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			data = read_input(path, &size);
			if (data == NULL) {
				fprintf(stderr, "replay: cannot read %s\n", path);
				count = -1;
			} else {
				/* Before the call: after a crash, the log's last line
				 * names the input. */
				printf("replay: %s (%zu bytes)\n", path, size);
				fflush(stdout);
				LLVMFuzzerTestOneInput(data, size);
				free(data);
				count++;
			}
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	long total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [REGRESSION_DIR...]\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n = replay_dir(argv[i], i == 1);

		if (n < 0)
			return 1;
		if (i == 1 && n == 0) {
			fprintf(stderr, "replay: %s holds no input\n", argv[i]);
			return 1;
		}
		printf("replay: %ld inputs from %s\n", n, argv[i]);
		total += n;
	}
	printf("replay: %ld inputs, no finding\n", total);
	return 0;
}
