/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Throughput of the sw driver against plain memcpy, measured in one run:
 * 64-byte copies in bursts of 32 (inline engine: burst by burst; thread
 * engine: several bursts kept in flight), and large copies. Each case runs
 * with buffers that stay in cache and with buffers rotating through
 * 256 MiB. Not a test: `meson test --benchmark --suite sw -v`, or run
 * bench_sw directly: `bench_sw [seconds per case [label filter]]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idd/idd_dmadev.h>

#include "../../lib/clock.h"

#define MIB (1024ul * 1024ul)
#define ROTATE (256 * MIB) /* src and dst halves of 128 MiB each */
#define BURST 32

static double secs = 0.5;
static const char *filter;
static uint8_t *pool;

static int
wanted(const char *label)
{
	return filter == NULL || strstr(label, filter) != NULL;
}

static int16_t
open_dev(const char *name, const char *args, uint16_t nb_desc)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vc = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = nb_desc};
	int dev = idd_dma_dev_create(name, args);

	if (dev < 0 || idd_dma_configure((int16_t)dev, &conf) != 0 ||
	    idd_dma_vchan_setup((int16_t)dev, 0, &vc) != 0 || idd_dma_start((int16_t)dev) != 0) {
		fprintf(stderr, "cannot set up %s (%s)\n", name, args);
		exit(1);
	}
	return (int16_t)dev;
}

static void
close_dev(int16_t dev)
{
	idd_dma_stop(dev);
	idd_dma_close(dev);
}

/* Offsets of the next copy in the source and destination areas: within
 * @span bytes, stepping by @len. */
struct cursor {
	size_t off, span, len;
};

static inline size_t
next_off(struct cursor *c)
{
	size_t o = c->off;

	c->off += c->len;
	if (c->off + c->len > c->span)
		c->off = 0;
	return o;
}

/* memcpy of @len-byte blocks; returns copies per second. */
static double
bench_memcpy(size_t len, size_t span)
{
	struct cursor c = {0, span, len};
	uint8_t *src = pool, *dst = pool + ROTATE / 2;
	unsigned long n = 0;
	double t0 = mono_s(), t;

	do {
		for (int b = 0; b < 64; b++) {
			for (int i = 0; i < BURST; i++) {
				size_t o = next_off(&c);

				memcpy(dst + o, src + o, len);
			}
			/* keep the compiler from dropping the copies */
			__asm__ volatile("" ::"r"(dst) : "memory");
		}
		n += 64 * BURST;
	} while ((t = mono_s() - t0) < secs);
	return (double)n / t;
}

/* The engine; @inflight bursts may be outstanding at once. */
static double
bench_dma(int16_t dev, size_t len, size_t span, unsigned int inflight)
{
	struct cursor c = {0, span, len};
	uint8_t *src = pool, *dst = pool + ROTATE / 2;
	unsigned long done = 0, issued = 0, polls = 0;
	double t0 = mono_s(), t = 0;
	int stopping = 0;

	for (;;) {
		uint16_t last;
		bool err;

		while (!stopping && issued - done < (unsigned long)inflight * BURST) {
			for (int i = 0; i < BURST; i++) {
				size_t o = next_off(&c);

				if (idd_dma_copy(dev, 0, (idd_iova_t)(uintptr_t)(src + o),
						 (idd_iova_t)(uintptr_t)(dst + o), (uint32_t)len,
						 0) < 0) {
					fprintf(stderr, "enqueue failed\n");
					exit(1);
				}
			}
			idd_dma_submit(dev, 0);
			issued += BURST;
		}
		done += idd_dma_completed(dev, 0, UINT16_MAX, &last, &err);
		if (err) {
			fprintf(stderr, "copy failed\n");
			exit(1);
		}
		/* The clock costs as much as a few copies: look at it rarely. */
		if (!stopping && (++polls & 63) == 0 && (t = mono_s() - t0) >= secs)
			stopping = 1;
		if (stopping && done == issued)
			break;
	}
	return (double)done / (mono_s() - t0);
}

static void
report_small(const char *what, double rate, double ref)
{
	printf("  %-44s %8.1f Mops/s  (memcpy %6.1f Mops/s, ratio %.2f)\n", what, rate / 1e6,
	       ref / 1e6, rate / ref);
}

static void
report_big(const char *what, size_t len, double rate, double ref)
{
	printf("  %-44s %8.2f GB/s    (memcpy %6.2f GB/s,   ratio %.2f)\n", what,
	       rate * (double)len / 1e9, ref * (double)len / 1e9, rate / ref);
}

int
main(int argc, char **argv)
{
	const size_t big[] = {1 * MIB, 4 * MIB, 16 * MIB};
	int16_t inl, thr;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		filter = argv[2];
	pool = aligned_alloc(4096, ROTATE);
	if (pool == NULL)
		return 1;
	memset(pool, 1, ROTATE);
	inl = open_dev("bench-inline", "engine=inline", 1024);
	thr = open_dev("bench-thread", "engine=thread", 1024);

	printf("64-byte copies, bursts of %d\n", BURST);
	for (int rot = 0; rot < 2; rot++) {
		size_t span = rot ? ROTATE / 2 : 16 * 1024;
		const char *where = rot ? "rotating 256 MiB" : "in cache";
		char label[80];
		double ref = bench_memcpy(64, span);

		snprintf(label, sizeof(label), "inline engine, %s", where);
		if (wanted(label))
			report_small(label, bench_dma(inl, 64, span, 1), ref);
		snprintf(label, sizeof(label), "thread engine, 8 bursts in flight, %s", where);
		if (wanted(label))
			report_small(label, bench_dma(thr, 64, span, 8), ref);
		snprintf(label, sizeof(label), "thread engine, 1 burst in flight, %s", where);
		if (wanted(label))
			report_small(label, bench_dma(thr, 64, span, 1), ref);
	}
	printf("large copies\n");
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		for (int rot = 0; rot < 2; rot++) {
			size_t span = rot ? ROTATE / 2 : big[i];
			double ref = bench_memcpy(big[i], span);
			char label[80];

			snprintf(label, sizeof(label), "%zu MiB, inline, %s", big[i] / MIB,
				 rot ? "rotating 256 MiB" : "same buffers");
			if (wanted(label))
				report_big(label, big[i], bench_dma(inl, big[i], span, 1), ref);
			snprintf(label, sizeof(label), "%zu MiB, thread, %s", big[i] / MIB,
				 rot ? "rotating 256 MiB" : "same buffers");
			if (wanted(label))
				report_big(label, big[i], bench_dma(thr, big[i], span, 1), ref);
		}
	}
	close_dev(inl);
	close_dev(thr);
	free(pool);
	return 0;
}
