/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-temporal copies for large operations (why: sw_stream.h), and the
 * cache size that decides which operations are large.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/sw/sw_stream.h"

/* Bytes up to the destination's next cache line are copied as usual, so
 * that every streaming store is aligned and fills whole lines (a partial
 * line would cost a read of it after all). */
#define STREAM_LINE 64

static size_t
stream_head(void *dst, size_t n)
{
	size_t head = (size_t)(-(uintptr_t)dst & (STREAM_LINE - 1));

	return head < n ? head : n;
}

/*
 * The bodies: as many whole steps of @n bytes from a line-aligned @d as the
 * CPU's streaming stores allow, returning how many bytes they did; the
 * callers do the rest with ordinary stores. stream_fence() orders the
 * streaming stores before the stores that follow it.
 */
#if defined(__x86_64__)
#include <immintrin.h>

/* 128 bytes per iteration: four 32-byte loads in flight before the first
 * store, so the loop waits on memory once per two lines, not per load. */
__attribute__((target("avx2"))) static size_t
copy_body_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t done = 0;

	for (; n - done >= 128; done += 128) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s + done));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + done + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s + done + 64));
		__m256i e = _mm256_loadu_si256((const __m256i *)(const void *)(s + done + 96));

		_mm256_stream_si256((__m256i *)(void *)(d + done), a);
		_mm256_stream_si256((__m256i *)(void *)(d + done + 32), b);
		_mm256_stream_si256((__m256i *)(void *)(d + done + 64), c);
		_mm256_stream_si256((__m256i *)(void *)(d + done + 96), e);
	}
	return done;
}

/* The same with SSE2, which every x86-64 CPU has. */
static size_t
copy_body_sse2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t done = 0;

	for (; n - done >= 64; done += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + done));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + done + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + done + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s + done + 48));

		_mm_stream_si128((__m128i *)(void *)(d + done), a);
		_mm_stream_si128((__m128i *)(void *)(d + done + 16), b);
		_mm_stream_si128((__m128i *)(void *)(d + done + 32), c);
		_mm_stream_si128((__m128i *)(void *)(d + done + 48), e);
	}
	return done;
}

/* Store the 64-byte @block over and over. */
__attribute__((target("avx2"))) static size_t
fill_body_avx2(uint8_t *d, const uint8_t *block, size_t n)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)block);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(block + 32));
	size_t done = 0;

	for (; n - done >= 64; done += 64) {
		_mm256_stream_si256((__m256i *)(void *)(d + done), a);
		_mm256_stream_si256((__m256i *)(void *)(d + done + 32), b);
	}
	return done;
}

static size_t
fill_body_sse2(uint8_t *d, const uint8_t *block, size_t n)
{
	__m128i v[4];
	size_t done = 0;

	for (int i = 0; i < 4; i++)
		v[i] = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * i));
	for (; n - done >= 64; done += 64)
		for (int i = 0; i < 4; i++)
			_mm_stream_si128((__m128i *)(void *)(d + done + 16 * i), v[i]);
	return done;
}

/* Checked per call: a large operation takes milliseconds, the check a few
 * nanoseconds, and no start-up hook is needed. */
static size_t
copy_body(uint8_t *d, const uint8_t *s, size_t n)
{
	return __builtin_cpu_supports("avx2") ? copy_body_avx2(d, s, n) : copy_body_sse2(d, s, n);
}

static size_t
fill_body(uint8_t *d, const uint8_t *block, size_t n)
{
	return __builtin_cpu_supports("avx2") ? fill_body_avx2(d, block, n)
					      : fill_body_sse2(d, block, n);
}

/* Streaming stores are weakly ordered: without the fence, the completion
 * published after an operation could be seen before its data. */
static void
stream_fence(void)
{
	_mm_sfence();
}

#else

/* No streaming stores here: ordinary ones do it all. */
static size_t
copy_body(uint8_t *d, const uint8_t *s, size_t n)
{
	(void)d;
	(void)s;
	(void)n;
	return 0;
}

static size_t
fill_body(uint8_t *d, const uint8_t *block, size_t n)
{
	size_t done = 0;

	for (; n - done >= STREAM_LINE; done += STREAM_LINE)
		memcpy(d + done, block, STREAM_LINE);
	return done;
}

static void
stream_fence(void)
{
}

#endif

void
sw_copy_stream(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t head = stream_head(d, n), body;

	memcpy(d, s, head);
	d += head;
	s += head;
	n -= head;
	body = copy_body(d, s, n);
	memcpy(d + body, s + body, n - body);
	stream_fence();
}

void
sw_fill_stream(void *dst, uint64_t pattern, size_t n)
{
	uint8_t *d = dst, bytes[8], block[STREAM_LINE];
	size_t head = stream_head(d, n), body;

	for (int i = 0; i < 8; i++)
		bytes[i] = (uint8_t)(pattern >> (8 * i));
	for (size_t i = 0; i < head; i++)
		d[i] = bytes[i % 8];
	/* The body starts @head bytes into the pattern; a line is a multiple
	 * of 8 bytes, so one block serves every line, and the tail too. */
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = bytes[(head + i) % 8];
	d += head;
	n -= head;
	body = fill_body(d, block, n);
	memcpy(d + body, block, n - body);
	stream_fence();
}

/* "32768K" or "1M" as sysfs writes cache sizes. */
static uint64_t
cache_size_parse(const char *text)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	if (end == text)
		return 0;
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	else if (*end == 'G')
		v <<= 30;
	return v;
}

static uint64_t
sysfs_cache_size(unsigned int index, unsigned int *level)
{
	char path[96], text[32];
	uint64_t size = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%u/level", index);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%u", level) != 1)
		*level = 0;
	fclose(f);
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%u/size", index);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(text, sizeof(text), f) != NULL)
		size = cache_size_parse(text);
	fclose(f);
	return size;
}

/* Read once per process (sw_llc_size()): the caches do not change while
 * it runs, and each device create would otherwise open up to 32 files. */
static uint64_t llc_size;
static pthread_once_t llc_size_once = PTHREAD_ONCE_INIT;

static void
llc_size_read(void)
{
	unsigned int best_level = 0;
	uint64_t best = 0;

	/* sysfs first: the C library's figure comes from CPUID, which a
	 * hypervisor may fill with the whole host's cache. */
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int level = 0;
		uint64_t size = sysfs_cache_size(i, &level);

		if (size == 0)
			continue;
		if (level > best_level || (level == best_level && size > best)) {
			best_level = level;
			best = size;
		}
	}
#ifdef _SC_LEVEL3_CACHE_SIZE
	if (best == 0) {
		long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
		long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);

		best = (uint64_t)(l3 > 0 ? l3 : l2 > 0 ? l2 : 0);
	}
#endif
	llc_size = best;
}

uint64_t
sw_llc_size(void)
{
	/* pthread_once() orders llc_size_read()'s store before this load. */
	pthread_once(&llc_size_once, llc_size_read);
	return llc_size;
}

uint64_t
sw_stream_min_default(uint64_t llc)
{
	/* Unknown cache: assume a common server's 32 MiB. */
	if (llc == 0)
		llc = UINT64_C(32) << 20;
	/* Source and destination (2n) reaching 3/4 of the cache: n = 3/8. */
	uint64_t min = llc / 8 * 3;

	return min < (UINT64_C(1) << 20) ? UINT64_C(1) << 20 : min;
}
