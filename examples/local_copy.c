/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * local_copy: the whole life of an idd DMA device in one small program.
 *
 *   create a software device -> configure one vchan -> start
 *   -> enqueue a copy and a fill -> submit -> poll the completions
 *   -> check the data -> read the counters -> stop -> close
 *
 * Usage: local_copy [DEVICE-ARGS]
 *   DEVICE-ARGS are the driver arguments of idd_dma_dev_create(), for
 *   example "engine=thread,cpu=1"; the default is "engine=inline".
 *
 * Exits 0 when every operation completed successfully and the data is right.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <idd/idd_dmadev.h>

#define COPY_LEN (64 * 1024)
#define FILL_LEN 4096
#define FILL_PATTERN UINT64_C(0x0123456789abcdef)
#define RING_SIZE 64
#define VCHAN 0

/* A device address is a virtual address of this process (IDD_DMA_CAPA_SVA). */
static idd_iova_t
iova(const void *p)
{
	return (idd_iova_t)(uintptr_t)p;
}

static const char *
status_name(enum idd_dma_status_code s)
{
	switch (s) {
	case IDD_DMA_STATUS_SUCCESSFUL:
		return "successful";
	case IDD_DMA_STATUS_USER_ABORT:
		return "user abort";
	case IDD_DMA_STATUS_NOT_ATTEMPTED:
		return "not attempted";
	case IDD_DMA_STATUS_INVALID_LENGTH:
		return "invalid length";
	default:
		return "failed (see enum idd_dma_status_code)";
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Fail with a message naming the call and the error. */
#define CHECK(call)                                                                        \
	do {                                                                               \
		int ret_ = (call);                                                         \
		if (ret_ < 0) {                                                            \
			fprintf(stderr, "local_copy: %s failed: %s\n", #call, strerror(-ret_)); \
			goto out;                                                          \
		}                                                                          \
	} while (0)

#define USAGE "Usage: local_copy [DEVICE-ARGS]   (e.g. engine=thread,cpu=1)\n"

int
main(int argc, char **argv)
{
	const char *args = argc > 1 ? argv[1] : "engine=inline";
	struct idd_dma_info info;
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vconf = {
		.direction = IDD_DMA_DIR_MEM_TO_MEM,
		.nb_desc = RING_SIZE,
	};
	struct idd_dma_stats stats;
	enum idd_dma_vchan_status vstatus;
	enum idd_dma_status_code status[RING_SIZE];
	uint16_t done = 0, last_idx = 0;
	int ret, copy_idx, fill_idx;
	double deadline;
	unsigned char *src = NULL, *dst = NULL, *fill = NULL;
	int16_t dev_id = -1;
	bool started = false;
	int rc = EXIT_FAILURE;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(USAGE, stdout);
		return EXIT_SUCCESS;
	}
	/* Device arguments never start with '-': that is a mistyped option. */
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "local_copy: unexpected argument '%s'\n" USAGE,
			argv[1][0] == '-' ? argv[1] : argv[2]);
		return 2; /* bad usage */
	}

	/* 1. Buffers: an ordinary malloc is fine for a local vchan. */
	src = malloc(COPY_LEN);
	dst = calloc(1, COPY_LEN);
	fill = calloc(1, FILL_LEN);
	if (src == NULL || dst == NULL || fill == NULL) {
		fprintf(stderr, "local_copy: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < COPY_LEN; i++)
		src[i] = (unsigned char)(i * 7 + 1);

	/* 2. Create a software device; the name is ours to choose. */
	ret = idd_dma_dev_create("local_copy", args);
	if (ret < 0) {
		fprintf(stderr, "local_copy: cannot create a device with '%s': %s\n", args,
			strerror(-ret));
		goto out;
	}
	dev_id = (int16_t)ret;
	CHECK(idd_dma_info_get(dev_id, &info));
	printf("device %d '%s' (%s): up to %u vchans, rings of %u..%u descriptors\n", dev_id,
	       info.dev_name, args, info.max_vchans, info.min_desc, info.max_desc);

	/* 3. One memory-to-memory vchan, then start. */
	CHECK(idd_dma_configure(dev_id, &conf));
	CHECK(idd_dma_vchan_setup(dev_id, VCHAN, &vconf));
	CHECK(idd_dma_start(dev_id));
	started = true;

	/* 4. Enqueue a copy and a fill. Each returns its ring index. Nothing
	 *    runs until the submit. */
	copy_idx = idd_dma_copy(dev_id, VCHAN, iova(src), iova(dst), COPY_LEN, 0);
	CHECK(copy_idx);
	fill_idx = idd_dma_fill(dev_id, VCHAN, FILL_PATTERN, iova(fill), FILL_LEN, 0);
	CHECK(fill_idx);
	printf("enqueued: copy of %d bytes as ring_idx %d, fill of %d bytes as ring_idx %d\n",
	       COPY_LEN, copy_idx, FILL_LEN, fill_idx);
	CHECK(idd_dma_submit(dev_id, VCHAN));

	/* 5. Poll until both completed. With the inline engine the work was
	 *    done in submit; with the thread engine a worker is copying now. */
	deadline = now() + 10.0;
	while (done < 2) {
		uint16_t n = idd_dma_completed_status(dev_id, VCHAN, (uint16_t)(RING_SIZE - done),
						      &last_idx, status + done);

		for (uint16_t i = 0; i < n; i++)
			printf("completed: ring_idx %u, status %d (%s)\n",
			       (unsigned int)(uint16_t)(last_idx - n + 1 + i), (int)status[done + i],
			       status_name(status[done + i]));
		done = (uint16_t)(done + n);
		if (done < 2 && now() > deadline) {
			fprintf(stderr, "local_copy: only %u of 2 operations completed in 10 s\n",
				done);
			goto out;
		}
	}
	if (status[0] != IDD_DMA_STATUS_SUCCESSFUL || status[1] != IDD_DMA_STATUS_SUCCESSFUL) {
		fprintf(stderr, "local_copy: an operation failed\n");
		goto out;
	}

	/* 6. Check the data: the copy, and the fill pattern (little-endian). */
	if (memcmp(src, dst, COPY_LEN) != 0) {
		fprintf(stderr, "local_copy: the copy's destination differs from its source\n");
		goto out;
	}
	for (size_t i = 0; i < FILL_LEN; i++) {
		if (fill[i] != (unsigned char)(FILL_PATTERN >> (8 * (i % 8)))) {
			fprintf(stderr, "local_copy: fill byte %zu is 0x%02x\n", i, fill[i]);
			goto out;
		}
	}
	printf("verified: %d bytes copied, %d bytes filled with 0x%016" PRIx64 "\n", COPY_LEN,
	       FILL_LEN, FILL_PATTERN);

	/* 7. Counters, then stop and close. */
	CHECK(idd_dma_stats_get(dev_id, VCHAN, &stats));
	CHECK(idd_dma_vchan_status(dev_id, VCHAN, &vstatus));
	printf("stats: submitted %" PRIu64 ", completed %" PRIu64 ", errors %" PRIu64
	       "; vchan %s\n",
	       stats.submitted, stats.completed, stats.errors,
	       vstatus == IDD_DMA_VCHAN_IDLE ? "idle" : "busy");
	rc = EXIT_SUCCESS;

out:
	if (started && idd_dma_stop(dev_id) < 0)
		rc = EXIT_FAILURE;
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	free(src);
	free(dst);
	free(fill);
	if (rc == EXIT_SUCCESS)
		printf("device stopped and closed: OK\n");
	return rc;
}
