/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sw driver's control path: arguments, capabilities and limits, the
 * checks it adds to the generic layer's (power-of-two rings, mode
 * combinations), reconfiguration, and its dump.
 */
#include <stdlib.h>
#include <string.h>

#include "sw_test.h"

static const struct idd_dma_vchan_conf vconf_32 = {
	.direction = IDD_DMA_DIR_MEM_TO_MEM,
	.nb_desc = 32,
};

static void
test_info(void **state)
{
	const uint64_t want = IDD_DMA_CAPA_MEM_TO_MEM | IDD_DMA_CAPA_SVA |
			      IDD_DMA_CAPA_HANDLES_ERRORS | IDD_DMA_CAPA_SILENT |
			      IDD_DMA_CAPA_INTER_PROCESS_DOMAIN |
			      IDD_DMA_CAPA_OPS_COPY | IDD_DMA_CAPA_OPS_COPY_SG |
			      IDD_DMA_CAPA_OPS_FILL | IDD_DMA_CAPA_OPS_ENQ_DEQ;
	const char *const args[] = {NULL, "", "engine=inline", "engine=thread", "driver=sw",
				    "driver=sw,engine=thread,cpu=0"};
	struct idd_dma_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		int dev = idd_dma_dev_create("info", args[i]);

		assert_true(dev >= 0);
		assert_int_equal(idd_dma_info_get((int16_t)dev, &info), 0);
		assert_int_equal(info.dev_capa, want);
		assert_string_equal(info.dev_name, "info");
		assert_true(info.max_vchans >= 16);
		assert_int_equal(info.min_desc, 32);
		assert_true(info.max_desc >= 8192);
		assert_int_equal(info.max_desc & (info.max_desc - 1), 0);
		assert_int_equal(info.max_sges, SW_TEST_MAX_SGES);
		assert_int_equal(info.nb_priorities, 0);
		assert_int_equal(info.nb_vchans, 0);
		assert_int_equal(idd_dma_close((int16_t)dev), 0);
	}
}

static void
test_bad_args(void **state)
{
	const char *const bad[] = {
		"engine=bogus", "engine=Inline", "engine=thread,engine=inline", "cpu=0",
		"engine=inline,cpu=1", "engine=thread,cpu=99999", "engine=thread,cpu=0x1",
		"engin=thread", "engine=thread,verbose=1", "stream_min=", "stream_min=x",
		"stream_min=-1", "stream_min=4T", "stream_min=4G", "stream_min=1MB",
		"stream_min=99999999999999999999",
	};

	(void)state;
	t_log_capture_start();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (idd_dma_dev_create("badargs", bad[i]) != -EINVAL)
			fail_msg("args '%s' were not refused with -EINVAL", bad[i]);
	}
	t_log_capture_stop();
	/* Each refusal said why. */
	assert_true(t_log_count("badargs") >= sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(idd_dma_count_avail(), 0);
}

static void
test_ring_sizes(void **state)
{
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vc = vconf_32;
	int dev = idd_dma_dev_create("rings", NULL);
	const uint16_t bad[] = {48, 33, 1000, 8191, 12288};

	(void)state;
	assert_true(dev >= 0);
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vc.nb_desc = bad[i];
		t_log_capture_start();
		assert_int_equal(idd_dma_vchan_setup((int16_t)dev, 0, &vc), -EINVAL);
		t_log_capture_stop();
		assert_int_equal(t_log_count("not a power of two"), 1);
	}
	/* Every power of two in range works, and sets the capacity. */
	for (uint32_t nb = 32; nb <= 16384; nb *= 2) {
		vc.nb_desc = (uint16_t)nb;
		assert_int_equal(idd_dma_vchan_setup((int16_t)dev, 0, &vc), 0);
		assert_int_equal(idd_dma_start((int16_t)dev), 0);
		assert_int_equal(idd_dma_burst_capacity((int16_t)dev, 0), nb);
		assert_int_equal(idd_dma_stop((int16_t)dev), 0);
	}
	/* Out of [min_desc, max_desc]: the generic layer refuses. */
	vc.nb_desc = 16;
	assert_int_equal(idd_dma_vchan_setup((int16_t)dev, 0, &vc), -EINVAL);
	vc.nb_desc = 32768;
	assert_int_equal(idd_dma_vchan_setup((int16_t)dev, 0, &vc), -EINVAL);
	assert_int_equal(idd_dma_close((int16_t)dev), 0);
}

static void
test_modes_exclusive(void **state)
{
	struct idd_dma_conf conf = {
		.nb_vchans = 1,
		.flags = IDD_DMA_CFG_FLAG_SILENT | IDD_DMA_CFG_FLAG_ENQ_DEQ,
	};
	int dev = idd_dma_dev_create("modes", NULL);

	(void)state;
	assert_true(dev >= 0);
	t_log_capture_start();
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), -EINVAL);
	t_log_capture_stop();
	assert_int_equal(t_log_count("exclude each other"), 1);
	assert_int_equal(idd_dma_close((int16_t)dev), 0);
}

/* 64 vchans, each with its own ring; reconfiguring drops the old ones. */
static void
test_many_vchans(void **state)
{
	struct idd_dma_conf conf = {.nb_vchans = 64};
	uint8_t src[64], dst[64][64];
	int dev = idd_dma_dev_create("many", NULL);
	uint16_t last;

	(void)state;
	assert_true(dev >= 0);
	conf.nb_vchans = 65;
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), -EINVAL);
	conf.nb_vchans = 64;
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), 0);
	for (uint16_t v = 0; v < 64; v++)
		assert_int_equal(idd_dma_vchan_setup((int16_t)dev, v, &vconf_32), 0);
	assert_int_equal(idd_dma_start((int16_t)dev), 0);
	t_pattern(src, sizeof(src), 1);
	for (uint16_t v = 0; v < 64; v++)
		assert_int_equal(idd_dma_copy((int16_t)dev, v, T_IOVA(src), T_IOVA(dst[v]), 1 + v,
					      IDD_DMA_OP_FLAG_SUBMIT),
				 0);
	for (uint16_t v = 0; v < 64; v++) {
		assert_int_equal(idd_dma_completed((int16_t)dev, v, 4, &last, NULL), 1);
		assert_int_equal(last, 0);
		t_assert_same(dst[v], src, 1 + v, "vchan copy");
	}
	assert_int_equal(idd_dma_stop((int16_t)dev), 0);

	conf.nb_vchans = 2;
	assert_int_equal(idd_dma_configure((int16_t)dev, &conf), 0);
	/* Set up anew after configure: start refuses until then. */
	assert_int_equal(idd_dma_start((int16_t)dev), -EINVAL);
	for (uint16_t v = 0; v < 2; v++)
		assert_int_equal(idd_dma_vchan_setup((int16_t)dev, v, &vconf_32), 0);
	assert_int_equal(idd_dma_start((int16_t)dev), 0);
	assert_int_equal(idd_dma_copy((int16_t)dev, 2, T_IOVA(src), T_IOVA(dst[2]), 8, 0),
			 -EINVAL);
	assert_int_equal(idd_dma_copy((int16_t)dev, 1, T_IOVA(src), T_IOVA(dst[1]), 8, 0), 0);
	assert_int_equal(idd_dma_stop((int16_t)dev), 0);
	/* Closing a device whose vchans still hold uncollected work frees all. */
	assert_int_equal(idd_dma_close((int16_t)dev), 0);
}

static void
test_dump(void **state)
{
	int16_t dev;
	uint8_t src[16], dst[16];
	uint16_t last;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	dev = t_dev_open("dumped", NULL, 2, 32, 0);
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), 8, 0), 0);
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), 8, 0), 1);
	assert_int_equal(idd_dma_submit(dev, 0), 0);
	assert_int_equal(idd_dma_copy(dev, 0, T_IOVA(src), T_IOVA(dst), 8, 0), 2);
	assert_int_equal(idd_dma_completed(dev, 0, 1, &last, NULL), 1);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(idd_dma_dump(dev, f), 0);
	fclose(f);
	fputs(buf, stdout);
	assert_non_null(strstr(buf, "sw engine: inline"));
	assert_non_null(strstr(buf, "vchan 0: nb_desc 32, ring positions enqueued 3 submitted 2 "
				    "finished 2 collected 1"));
	assert_non_null(strstr(buf, "submitted 2 completed 1 errors 0"));
	assert_non_null(strstr(buf, "vchan 1: nb_desc 32"));
	/* The default: copies from some size on bypass the caches. */
	assert_non_null(strstr(buf, "bytes and more bypass the caches"));
	free(buf);
	t_dev_close(dev);

	/* stream_min= in bytes, with a unit, and turned off. */
	static const struct {
		const char *arg, *says;
	} streams[] = {
		{"stream_min=4096", "copies and fills of 4096 bytes and more bypass the caches"},
		{"stream_min=3m", "copies and fills of 3145728 bytes and more bypass the caches"},
		{"stream_min=1G", "copies and fills of 1073741824 bytes and more bypass the caches"},
		{"stream_min=0", "copies and fills never bypass the caches"},
	};
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		buf = NULL;
		dev = t_dev_open("dumped", streams[i].arg, 1, 32, 0);
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(idd_dma_dump(dev, f), 0);
		fclose(f);
		if (strstr(buf, streams[i].says) == NULL)
			fail_msg("%s: dump does not say '%s':\n%s", streams[i].arg, streams[i].says,
				 buf);
		free(buf);
		t_dev_close(dev);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),        cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_ring_sizes),  cmocka_unit_test(test_modes_exclusive),
		cmocka_unit_test(test_many_vchans), cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests_name("sw control path", tests, NULL, NULL);
}
