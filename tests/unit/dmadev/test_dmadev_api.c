/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance suite, control path: every public control function of
 * idd_dmadev.h, each wrong state and bad argument answered with the exact
 * error code that the header documents (and that upstream's generic layer
 * gives, in its order of checks). argv[1] is the device argument string, so
 * the same suite runs on every driver and engine.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmadev_test.h"

/* Ids that never name a device in this program (the table has the default
 * IDD_DMADEV_DEFAULT_MAX slots and fewer devices are ever open). */
static const int16_t bad_ids[] = { -1, -2, INT16_MIN, IDD_DMADEV_DEFAULT_MAX, INT16_MAX };
#define NB_BAD_IDS (sizeof(bad_ids) / sizeof(bad_ids[0]))

static char *
id_str(int16_t id)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%d", id);
	return buf;
}

/* ---- registry ---- */

/* Runs first: idd_dma_dev_max() is only possible before the first create. */
static void
test_dev_max(void **state)
{
	int16_t dev;

	(void)state;
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_refused(idd_dma_dev_max(0), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max((size_t)INT16_MAX + 1), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max(SIZE_MAX), -EINVAL, NULL);

	dev = tu_create("api_max");
	/* The table exists now: any value is refused, even the current one. */
	assert_refused(idd_dma_dev_max(8), -EINVAL, NULL);
	assert_refused(idd_dma_dev_max(IDD_DMADEV_DEFAULT_MAX), -EINVAL, NULL);
	tu_close(dev);
	/* ...and stays refused once every device is closed again. */
	assert_refused(idd_dma_dev_max(8), -EINVAL, NULL);
}

static void
test_create_names(void **state)
{
	char name[IDD_DMA_DEV_NAME_MAX_LEN + 2];
	char huge[1024];
	int16_t dev;

	(void)state;
	assert_refused(idd_dma_dev_create(NULL, tu_args), -EINVAL, NULL);
	assert_refused(idd_dma_dev_create("", tu_args), -EINVAL, NULL);
	memset(name, 'n', IDD_DMA_DEV_NAME_MAX_LEN);
	name[IDD_DMA_DEV_NAME_MAX_LEN] = '\0';
	assert_refused(idd_dma_dev_create(name, tu_args), -EINVAL, NULL);
	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_refused(idd_dma_dev_create(huge, tu_args), -EINVAL, NULL);
	assert_int_equal(idd_dma_count_avail(), 0);

	/* The longest legal name: IDD_DMA_DEV_NAME_MAX_LEN - 1 characters. */
	name[IDD_DMA_DEV_NAME_MAX_LEN - 1] = '\0';
	dev = tu_create(name);
	assert_errno(idd_dma_get_dev_id_by_name(name), dev);
	assert_string_equal(tu_info(dev).dev_name, name);
	tu_close(dev);
}

static void
test_create_duplicate(void **state)
{
	int16_t dev, again;

	(void)state;
	dev = tu_create("api_dup");
	assert_refused(idd_dma_dev_create("api_dup", tu_args), -EEXIST, "api_dup");
	assert_refused(idd_dma_dev_create("api_dup", NULL), -EEXIST, "api_dup");
	assert_int_equal(idd_dma_count_avail(), 1);
	/* Names are compared whole: a prefix or an extension is another name. */
	again = tu_create("api_du");
	tu_close(again);
	again = tu_create("api_dup2");
	tu_close(again);
	tu_close(dev);
	/* Closing frees the name. */
	again = tu_create("api_dup");
	tu_close(again);
}

static void
test_create_bad_args(void **state)
{
	static const char *const bad[] = {
		"engine=warp", "engine=", "engine", "=inline", "bogus=1", "engine=inline,bogus=1",
		"engine=inline,engine=thread", "engine=inline,engine=inline", "engine=inline,",
		",engine=inline", "engine=inline,,cpu=1", "ENGINE=inline", "engine=INLINE",
		" engine=inline", "engine =inline", "engine= inline", "engine=inline ",
		"engine=thread,cpu=abc", "engine=thread,cpu=-1", "engine=thread,cpu=+1",
		"engine=thread,cpu=0x1", "engine=thread,cpu=1k",
		"engine=thread,cpu=99999999999999999999999", "engine=thread,cpu=",
		"driver=", "driver=sw,driver=sw", "driver", "a=b=c",
	};
	char args[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_log_mark();
		int ret = idd_dma_dev_create("api_args", bad[i]);

		if (ret != -EINVAL)
			fail_msg("args \"%s\": %d %s, expected -EINVAL", bad[i], ret,
				 tu_errname(ret));
		tu_log_check(bad[i], "api_args", __FILE__, __LINE__);
		assert_int_equal(idd_dma_count_avail(), 0);
		assert_errno(idd_dma_get_dev_id_by_name("api_args"), -EINVAL);
	}
	/* The suite's own arguments plus an unknown key. */
	snprintf(args, sizeof(args), "%s%sunknown_key=1", tu_args ? tu_args : "",
		 tu_args && tu_args[0] ? "," : "");
	assert_refused(idd_dma_dev_create("api_args", args), -EINVAL, "unknown_key");
	assert_int_equal(idd_dma_count_avail(), 0);
}

static void
test_create_unknown_driver(void **state)
{
	(void)state;
	assert_refused(idd_dma_dev_create("api_drv", "driver=nosuch"), -ENODEV, "nosuch");
	assert_refused(idd_dma_dev_create("api_drv", "driver=SW"), -ENODEV, "SW");
	assert_refused(idd_dma_dev_create("api_drv", "driver=nosuch,engine=inline"), -ENODEV,
		       "nosuch");
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_errno(idd_dma_get_dev_id_by_name("api_drv"), -EINVAL);
}

static void
test_create_default_args(void **state)
{
	int ret;

	(void)state;
	/* NULL and "" mean the defaults: a sw device. */
	ret = idd_dma_dev_create("api_null", NULL);
	assert_true(ret >= 0);
	assert_true(tu_info((int16_t)ret).dev_capa & IDD_DMA_CAPA_OPS_COPY);
	tu_close((int16_t)ret);
	ret = idd_dma_dev_create("api_empty", "");
	assert_true(ret >= 0);
	tu_close((int16_t)ret);
	ret = idd_dma_dev_create("api_sw", "driver=sw");
	assert_true(ret >= 0);
	tu_close((int16_t)ret);
}

static void
test_get_dev_id_by_name(void **state)
{
	char name[IDD_DMA_DEV_NAME_MAX_LEN + 1];
	int16_t a, b;

	(void)state;
	assert_errno(idd_dma_get_dev_id_by_name(NULL), -EINVAL);
	assert_errno(idd_dma_get_dev_id_by_name(""), -EINVAL);
	assert_errno(idd_dma_get_dev_id_by_name("api_none"), -EINVAL);
	memset(name, 'x', IDD_DMA_DEV_NAME_MAX_LEN);
	name[IDD_DMA_DEV_NAME_MAX_LEN] = '\0';
	assert_errno(idd_dma_get_dev_id_by_name(name), -EINVAL);

	a = tu_create("api_a");
	b = tu_create("api_b");
	assert_int_not_equal(a, b);
	assert_errno(idd_dma_get_dev_id_by_name("api_a"), a);
	assert_errno(idd_dma_get_dev_id_by_name("api_b"), b);
	assert_errno(idd_dma_get_dev_id_by_name("api_"), -EINVAL);
	assert_errno(idd_dma_get_dev_id_by_name("API_A"), -EINVAL);
	tu_close(a);
	assert_errno(idd_dma_get_dev_id_by_name("api_a"), -EINVAL);
	assert_errno(idd_dma_get_dev_id_by_name("api_b"), b);
	tu_close(b);
}

static void
test_is_valid(void **state)
{
	int16_t dev;

	(void)state;
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_false(idd_dma_is_valid(bad_ids[i]));
	dev = tu_create("api_valid");
	assert_true(idd_dma_is_valid(dev));
	/* Configured, started, stopped: still valid. */
	tu_configure(dev, 1);
	tu_setup_all(dev, 1, tu_nb_desc(dev));
	assert_errno(idd_dma_start(dev), 0);
	assert_true(idd_dma_is_valid(dev));
	tu_close(dev);
	assert_false(idd_dma_is_valid(dev));
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_false(idd_dma_is_valid(bad_ids[i]));
}

static void
test_count_next_foreach(void **state)
{
	int16_t ids[3], seen[8], dev, t;
	unsigned int n;

	(void)state;
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_int_equal(idd_dma_next_dev(0), -1);
	n = 0;
	IDD_DMA_FOREACH_DEV(dev)
		n++;
	assert_int_equal(n, 0);

	ids[0] = tu_create("api_it0");
	assert_int_equal(idd_dma_count_avail(), 1);
	ids[1] = tu_create("api_it1");
	assert_int_equal(idd_dma_count_avail(), 2);
	ids[2] = tu_create("api_it2");
	assert_int_equal(idd_dma_count_avail(), 3);
	/* Sort: FOREACH visits in increasing id order. */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (ids[j] < ids[i])
				t = ids[i], ids[i] = ids[j], ids[j] = t;

	n = 0;
	IDD_DMA_FOREACH_DEV(dev) {
		assert_true(n < 8);
		seen[n++] = dev;
	}
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(seen[i], ids[i]);

	assert_int_equal(idd_dma_next_dev(0), ids[0]);
	assert_int_equal(idd_dma_next_dev(-5), ids[0]);
	assert_int_equal(idd_dma_next_dev(INT16_MIN), ids[0]);
	assert_int_equal(idd_dma_next_dev(ids[0]), ids[0]);
	assert_int_equal(idd_dma_next_dev((int16_t)(ids[0] + 1)), ids[1]);
	assert_int_equal(idd_dma_next_dev((int16_t)(ids[2] + 1)), -1);
	assert_int_equal(idd_dma_next_dev(INT16_MAX), -1);

	/* A closed device is skipped. */
	tu_close(ids[1]);
	assert_int_equal(idd_dma_count_avail(), 2);
	assert_int_equal(idd_dma_next_dev((int16_t)(ids[0] + 1)), ids[2]);
	n = 0;
	IDD_DMA_FOREACH_DEV(dev) {
		assert_true(n < 8);
		seen[n++] = dev;
	}
	assert_int_equal(n, 2);
	assert_int_equal(seen[0], ids[0]);
	assert_int_equal(seen[1], ids[2]);

	tu_close(ids[0]);
	tu_close(ids[2]);
	assert_int_equal(idd_dma_count_avail(), 0);
	assert_int_equal(idd_dma_next_dev(0), -1);
}

/* ---- info and configure ---- */

static void
test_info_get(void **state)
{
	const uint64_t must = IDD_DMA_CAPA_MEM_TO_MEM | IDD_DMA_CAPA_SVA | IDD_DMA_CAPA_OPS_COPY |
			      IDD_DMA_CAPA_OPS_COPY_SG | IDD_DMA_CAPA_OPS_FILL;
	struct idd_dma_conf conf = { 0 };
	struct idd_dma_info info;
	int16_t dev;

	(void)state;
	dev = tu_create("api_info");
	assert_refused(idd_dma_info_get(dev, NULL), -EINVAL, "api_info");
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_info_get(bad_ids[i], &info), -EINVAL, id_str(bad_ids[i]));

	info = tu_info(dev);
	assert_non_null(info.dev_name);
	assert_string_equal(info.dev_name, "api_info");
	if ((info.dev_capa & must) != must)
		fail_msg("dev_capa 0x%llx lacks 0x%llx", (unsigned long long)info.dev_capa,
			 (unsigned long long)(must & ~info.dev_capa));
	if (tu_is_sw()) {
		/* sw advertises what it really does: no device-side transfers,
		 * no buffer pools, no priorities; inter-domain capabilities come
		 * with the group driver work. */
		const uint64_t never = IDD_DMA_CAPA_MEM_TO_DEV | IDD_DMA_CAPA_DEV_TO_MEM |
				       IDD_DMA_CAPA_DEV_TO_DEV | IDD_DMA_CAPA_M2D_AUTO_FREE |
				       IDD_DMA_CAPA_PRI_POLICY_SP;

		if (info.dev_capa & never)
			fail_msg("sw claims capabilities it lacks: 0x%llx",
				 (unsigned long long)(info.dev_capa & never));
		assert_true(info.min_desc <= 32);
		assert_true(info.max_desc >= 8192);
	}
	assert_true(info.max_vchans >= 16);
	assert_true(info.min_desc >= 1);
	assert_true(info.min_desc <= info.max_desc);
	if (info.dev_capa & IDD_DMA_CAPA_OPS_COPY_SG)
		assert_true(info.max_sges >= 1);
	else
		assert_int_equal(info.max_sges, 0);
	if (info.dev_capa & IDD_DMA_CAPA_PRI_POLICY_SP)
		assert_true(info.nb_priorities > 1);
	else
		assert_int_equal(info.nb_priorities, 0);
	assert_true(info.numa_node >= -1);
	assert_int_equal(info.nb_vchans, 0);

	/* nb_vchans follows configure, and a refused configure changes nothing. */
	tu_configure(dev, 2);
	assert_int_equal(tu_info(dev).nb_vchans, 2);
	tu_configure(dev, info.max_vchans);
	assert_int_equal(tu_info(dev).nb_vchans, info.max_vchans);
	tu_configure(dev, 1);
	assert_int_equal(tu_info(dev).nb_vchans, 1);
	conf.nb_vchans = 0;
	assert_refused(idd_dma_configure(dev, &conf), -EINVAL, "api_info");
	assert_int_equal(tu_info(dev).nb_vchans, 1);
	tu_close(dev);
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_info_get(bad_ids[i], &info), -EINVAL, id_str(bad_ids[i]));
}

static void
test_configure(void **state)
{
	struct idd_dma_conf conf = { .nb_vchans = 2 };
	struct idd_dma_info info;
	int16_t dev;

	(void)state;
	dev = tu_create("api_conf");
	info = tu_info(dev);

	assert_refused(idd_dma_configure(dev, NULL), -EINVAL, "api_conf");
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_configure(bad_ids[i], &conf), -EINVAL, id_str(bad_ids[i]));
	assert_int_equal(tu_info(dev).nb_vchans, 0);

	tu_configure(dev, 2);

#define REFUSE_CONF(...)                                                                  \
	do {                                                                              \
		struct idd_dma_conf c_ = { __VA_ARGS__ };                                 \
		assert_refused(idd_dma_configure(dev, &c_), -EINVAL, "api_conf");        \
		assert_int_equal(tu_info(dev).nb_vchans, 2);                              \
	} while (0)

	REFUSE_CONF(.nb_vchans = 0);
	REFUSE_CONF(.nb_vchans = (uint16_t)(info.max_vchans + 1));
	REFUSE_CONF(.nb_vchans = UINT16_MAX);
	if (info.dev_capa & IDD_DMA_CAPA_PRI_POLICY_SP) {
		REFUSE_CONF(.nb_vchans = 1, .priority = info.nb_priorities);
		conf = (struct idd_dma_conf){ .nb_vchans = 2,
					      .priority = (uint16_t)(info.nb_priorities - 1) };
		assert_errno(idd_dma_configure(dev, &conf), 0);
	} else {
		REFUSE_CONF(.nb_vchans = 1, .priority = 1);
		REFUSE_CONF(.nb_vchans = 1, .priority = UINT16_MAX);
	}
	/* Unknown flags. */
	REFUSE_CONF(.nb_vchans = 1, .flags = IDD_BIT64(2));
	REFUSE_CONF(.nb_vchans = 1, .flags = IDD_BIT64(63));
	REFUSE_CONF(.nb_vchans = 1, .flags = ~UINT64_C(0));
	/* Modes only with their capability. */
	conf = (struct idd_dma_conf){ .nb_vchans = 2, .flags = IDD_DMA_CFG_FLAG_SILENT };
	if (info.dev_capa & IDD_DMA_CAPA_SILENT)
		assert_errno(idd_dma_configure(dev, &conf), 0);
	else
		REFUSE_CONF(.nb_vchans = 2, .flags = IDD_DMA_CFG_FLAG_SILENT);
	conf = (struct idd_dma_conf){ .nb_vchans = 2, .flags = IDD_DMA_CFG_FLAG_ENQ_DEQ };
	if (info.dev_capa & IDD_DMA_CAPA_OPS_ENQ_DEQ)
		assert_errno(idd_dma_configure(dev, &conf), 0);
	else
		REFUSE_CONF(.nb_vchans = 2, .flags = IDD_DMA_CFG_FLAG_ENQ_DEQ);
#undef REFUSE_CONF
	/* Both modes at once: the header neither allows nor forbids it; a
	 * refusal must at least be -EINVAL with its log line. */
	if ((info.dev_capa & IDD_DMA_CAPA_SILENT) && (info.dev_capa & IDD_DMA_CAPA_OPS_ENQ_DEQ)) {
		int ret;

		conf = (struct idd_dma_conf){ .nb_vchans = 2,
					      .flags = IDD_DMA_CFG_FLAG_SILENT |
						       IDD_DMA_CFG_FLAG_ENQ_DEQ };
		tu_log_mark();
		ret = idd_dma_configure(dev, &conf);
		if (ret != 0) {
			assert_errno(ret, -EINVAL);
			tu_log_check("configure silent + enq/deq", "api_conf", __FILE__, __LINE__);
			print_message("note: SILENT together with ENQ_DEQ is refused "
				      "(undocumented in idd_dmadev.h)\n");
		}
	}

	/* The extremes are accepted. */
	tu_configure(dev, 1);
	tu_configure(dev, info.max_vchans);
	tu_configure(dev, 2);

	/* Started: -EBUSY, checked before the configuration's content, but
	 * after the NULL pointer (upstream's order). */
	tu_setup_all(dev, 2, tu_nb_desc(dev));
	assert_errno(idd_dma_start(dev), 0);
	conf = (struct idd_dma_conf){ .nb_vchans = 1 };
	assert_refused(idd_dma_configure(dev, &conf), -EBUSY, "api_conf");
	conf.nb_vchans = 0;
	assert_refused(idd_dma_configure(dev, &conf), -EBUSY, "api_conf");
	assert_refused(idd_dma_configure(dev, NULL), -EINVAL, "api_conf");
	assert_int_equal(tu_info(dev).nb_vchans, 2);
	assert_errno(idd_dma_stop(dev), 0);
	tu_configure(dev, 3);
	assert_int_equal(tu_info(dev).nb_vchans, 3);
	tu_close(dev);
}

/* Configure discards every earlier vchan setup. */
static void
test_configure_discards_setup(void **state)
{
	int16_t dev;
	uint16_t nb_desc;

	(void)state;
	dev = tu_create("api_disc");
	nb_desc = tu_nb_desc(dev);
	tu_configure(dev, 2);
	tu_setup_all(dev, 2, nb_desc);
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_stop(dev), 0);
	/* Same configuration again: the setups are gone all the same. */
	tu_configure(dev, 2);
	assert_refused(idd_dma_start(dev), -EINVAL, "api_disc");
	tu_setup_all(dev, 1, nb_desc);
	assert_refused(idd_dma_start(dev), -EINVAL, "api_disc");
	tu_setup_all(dev, 2, nb_desc);
	assert_errno(idd_dma_start(dev), 0);
	tu_close(dev);
}

/* ---- vchan setup ---- */

static void
test_vchan_setup_state(void **state)
{
	struct idd_dma_vchan_conf conf;
	int16_t dev;

	(void)state;
	dev = tu_create("api_vs");
	conf = tu_vchan_conf(tu_nb_desc(dev));

	/* Not configured. */
	assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vs");
	assert_refused(idd_dma_vchan_setup(dev, 0, NULL), -EINVAL, "api_vs");
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_vchan_setup(bad_ids[i], 0, &conf), -EINVAL,
			       id_str(bad_ids[i]));

	tu_configure(dev, 2);
	assert_refused(idd_dma_vchan_setup(dev, 0, NULL), -EINVAL, "api_vs");
	assert_refused(idd_dma_vchan_setup(dev, 2, &conf), -EINVAL, "api_vs");
	assert_refused(idd_dma_vchan_setup(dev, 1000, &conf), -EINVAL, "api_vs");
	assert_refused(idd_dma_vchan_setup(dev, UINT16_MAX, &conf), -EINVAL, "api_vs");
	assert_errno(idd_dma_vchan_setup(dev, 0, &conf), 0);
	assert_errno(idd_dma_vchan_setup(dev, 1, &conf), 0);
	/* A stopped device's vchan may be set up again. */
	assert_errno(idd_dma_vchan_setup(dev, 1, &conf), 0);

	/* Started: -EBUSY before any check of the configuration's content,
	 * -EINVAL for a NULL one (upstream's order). */
	assert_errno(idd_dma_start(dev), 0);
	assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EBUSY, "api_vs");
	conf.direction = (enum idd_dma_direction)9;
	assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EBUSY, "api_vs");
	conf = tu_vchan_conf(3);
	assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EBUSY, "api_vs");
	assert_refused(idd_dma_vchan_setup(dev, 0, NULL), -EINVAL, "api_vs");
	assert_errno(idd_dma_stop(dev), 0);
	conf = tu_vchan_conf(tu_nb_desc(dev));
	assert_errno(idd_dma_vchan_setup(dev, 0, &conf), 0);
	assert_errno(idd_dma_start(dev), 0);
	tu_close(dev);
}

enum mutation {
	M_DIR_4, M_DIR_NEG,
	M_SRC_PCIE, M_DST_PCIE, M_SRC_TYPE_2, M_DST_TYPE_99,
	M_M2D_NO_DST_PORT, M_M2D_SRC_PORT_TOO, M_D2M_NO_SRC_PORT, M_D2D_NO_SRC_PORT,
	M_D2D_NO_DST_PORT,
	M_SRC_RSV0, M_SRC_RSV1, M_DST_RSV0, M_DST_RSV1, M_AF_RSV0, M_AF_RSV1,
	M_DOM_RSV0, M_DOM_RSV1, M_DOM_RSV_PROC,
	M_DOM_TYPE_3, M_DOM_TYPE_7, M_DOM_TYPE_NEG, M_DOM_PROC_M2D, M_DOM_OS_D2M,
	M_DESC_0, M_DESC_MIN_1, M_DESC_MAX_1, M_DESC_U16,
	M_NB_MUTATIONS,
};

static const char *const mutation_names[M_NB_MUTATIONS] = {
	"direction 4", "direction -1",
	"mem2mem with src PCIe port", "mem2mem with dst PCIe port", "src port type 2",
	"dst port type 99", "mem2dev without dst port", "mem2dev with a src port too",
	"dev2mem without src port", "dev2dev without src port", "dev2dev without dst port",
	"src_port.reserved[0]", "src_port.reserved[1]", "dst_port.reserved[0]",
	"dst_port.reserved[1]", "auto_free.reserved[0]", "auto_free.reserved[1]",
	"domain.reserved[0]", "domain.reserved[1]", "domain.reserved[0] with inter-process",
	"domain type 3", "domain type 7", "domain type -1", "inter-process with mem2dev",
	"inter-OS with dev2mem", "nb_desc 0", "nb_desc min-1", "nb_desc max+1", "nb_desc 65535",
};

/* Returns false when the mutation does not apply to this device. */
static bool
mutate(struct idd_dma_vchan_conf *c, enum mutation m, const struct idd_dma_info *info)
{
	switch (m) {
	case M_DIR_4: c->direction = (enum idd_dma_direction)4; break;
	case M_DIR_NEG: c->direction = (enum idd_dma_direction)-1; break;
	case M_SRC_PCIE: c->src_port.port_type = IDD_DMA_PORT_PCIE; break;
	case M_DST_PCIE: c->dst_port.port_type = IDD_DMA_PORT_PCIE; break;
	case M_SRC_TYPE_2: c->src_port.port_type = (enum idd_dma_port_type)2; break;
	case M_DST_TYPE_99: c->dst_port.port_type = (enum idd_dma_port_type)99; break;
	case M_M2D_NO_DST_PORT: c->direction = IDD_DMA_DIR_MEM_TO_DEV; break;
	case M_M2D_SRC_PORT_TOO:
		c->direction = IDD_DMA_DIR_MEM_TO_DEV;
		c->src_port.port_type = IDD_DMA_PORT_PCIE;
		c->dst_port.port_type = IDD_DMA_PORT_PCIE;
		break;
	case M_D2M_NO_SRC_PORT: c->direction = IDD_DMA_DIR_DEV_TO_MEM; break;
	case M_D2D_NO_SRC_PORT:
		c->direction = IDD_DMA_DIR_DEV_TO_DEV;
		c->dst_port.port_type = IDD_DMA_PORT_PCIE;
		break;
	case M_D2D_NO_DST_PORT:
		c->direction = IDD_DMA_DIR_DEV_TO_DEV;
		c->src_port.port_type = IDD_DMA_PORT_PCIE;
		break;
	case M_SRC_RSV0: c->src_port.reserved[0] = 1; break;
	case M_SRC_RSV1: c->src_port.reserved[1] = UINT64_MAX; break;
	case M_DST_RSV0: c->dst_port.reserved[0] = 1; break;
	case M_DST_RSV1: c->dst_port.reserved[1] = IDD_BIT64(63); break;
	case M_AF_RSV0: c->auto_free.reserved[0] = 1; break;
	case M_AF_RSV1: c->auto_free.reserved[1] = 2; break;
	case M_DOM_RSV0: c->domain.reserved[0] = 1; break;
	case M_DOM_RSV1: c->domain.reserved[1] = 1; break;
	case M_DOM_RSV_PROC:
		/* Reserved words are checked whatever the type (upstream). */
		c->domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
		c->domain.reserved[0] = 1;
		break;
	case M_DOM_TYPE_3: c->domain.type = (enum idd_dma_inter_domain_type)3; break;
	case M_DOM_TYPE_7: c->domain.type = (enum idd_dma_inter_domain_type)7; break;
	case M_DOM_TYPE_NEG: c->domain.type = (enum idd_dma_inter_domain_type)-1; break;
	case M_DOM_PROC_M2D:
		c->direction = IDD_DMA_DIR_MEM_TO_DEV;
		c->dst_port.port_type = IDD_DMA_PORT_PCIE;
		c->domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
		break;
	case M_DOM_OS_D2M:
		c->direction = IDD_DMA_DIR_DEV_TO_MEM;
		c->src_port.port_type = IDD_DMA_PORT_PCIE;
		c->domain.type = IDD_DMA_INTER_OS_DOMAIN;
		break;
	case M_DESC_0: c->nb_desc = 0; break;
	case M_DESC_MIN_1:
		if (info->min_desc == 0)
			return false;
		c->nb_desc = (uint16_t)(info->min_desc - 1);
		break;
	case M_DESC_MAX_1:
		if (info->max_desc == UINT16_MAX)
			return false;
		c->nb_desc = (uint16_t)(info->max_desc + 1);
		break;
	case M_DESC_U16:
		if (info->max_desc == UINT16_MAX)
			return false;
		c->nb_desc = UINT16_MAX;
		break;
	case M_NB_MUTATIONS: return false;
	}
	return true;
}

static void
test_vchan_setup_conf(void **state)
{
	struct idd_dma_vchan_conf conf;
	struct idd_dma_info info;
	uint16_t nb_desc;
	int16_t dev;
	int pool;

	(void)state;
	dev = tu_create("api_vconf");
	tu_configure(dev, 2);
	info = tu_info(dev);
	nb_desc = tu_nb_desc(dev);

	for (int m = 0; m < M_NB_MUTATIONS; m++) {
		conf = tu_vchan_conf(nb_desc);
		if (!mutate(&conf, (enum mutation)m, &info))
			continue;
		tu_log_mark();
		int ret = idd_dma_vchan_setup(dev, 0, &conf);

		if (ret != -EINVAL)
			fail_msg("vchan setup with %s: %d %s, expected -EINVAL", mutation_names[m],
				 ret, tu_errname(ret));
		tu_log_check(mutation_names[m], "api_vconf", __FILE__, __LINE__);
	}

	/* Directions the device lacks, each with the right ports. */
	static const struct {
		enum idd_dma_direction dir;
		uint64_t capa;
		bool src_dev, dst_dev;
	} dirs[] = {
		{ IDD_DMA_DIR_MEM_TO_DEV, IDD_DMA_CAPA_MEM_TO_DEV, false, true },
		{ IDD_DMA_DIR_DEV_TO_MEM, IDD_DMA_CAPA_DEV_TO_MEM, true, false },
		{ IDD_DMA_DIR_DEV_TO_DEV, IDD_DMA_CAPA_DEV_TO_DEV, true, true },
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (info.dev_capa & dirs[i].capa)
			continue;
		conf = tu_vchan_conf(nb_desc);
		conf.direction = dirs[i].dir;
		if (dirs[i].src_dev)
			conf.src_port.port_type = IDD_DMA_PORT_PCIE;
		if (dirs[i].dst_dev)
			conf.dst_port.port_type = IDD_DMA_PORT_PCIE;
		assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
	}

	/* Capabilities the device lacks: auto-free pool, domain types. */
	if (!(info.dev_capa & IDD_DMA_CAPA_M2D_AUTO_FREE)) {
		conf = tu_vchan_conf(nb_desc);
		conf.auto_free.m2d.pool = &pool;
		assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
	}
	if (!(info.dev_capa & IDD_DMA_CAPA_INTER_PROCESS_DOMAIN)) {
		conf = tu_vchan_conf(nb_desc);
		conf.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
		conf.domain.src_handler = 1;
		conf.domain.dst_handler = 2;
		assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
	} else {
		/* With the capability, the handlers must name members of a
		 * group of this device: this one is in none, so no handler
		 * (0 included) is valid. */
		static const uint16_t handlers[][2] = { { 0, 0 }, { 1, 2 }, { 7, 7 },
							{ UINT16_MAX, 1 } };

		for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
			conf = tu_vchan_conf(nb_desc);
			conf.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
			conf.domain.src_handler = handlers[i][0];
			conf.domain.dst_handler = handlers[i][1];
			assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
		}
	}
	if (!(info.dev_capa & IDD_DMA_CAPA_INTER_OS_DOMAIN)) {
		conf = tu_vchan_conf(nb_desc);
		conf.domain.type = IDD_DMA_INTER_OS_DOMAIN;
		conf.domain.src_handler = 1;
		conf.domain.dst_handler = 2;
		assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
	}

	/* sw rings are powers of two. */
	if (tu_is_sw()) {
		static const uint16_t odd[] = { 33, 48, 100, 1000, 8191 };

		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			if (odd[i] < info.min_desc || odd[i] > info.max_desc)
				continue;
			conf = tu_vchan_conf(odd[i]);
			assert_refused(idd_dma_vchan_setup(dev, 0, &conf), -EINVAL, "api_vconf");
		}
	}

	/* Accepted: the smallest and largest rings; with type NONE the
	 * handlers are ignored whatever they hold. */
	conf = tu_vchan_conf(info.min_desc);
	assert_errno(idd_dma_vchan_setup(dev, 0, &conf), 0);
	conf = tu_vchan_conf(info.max_desc);
	assert_errno(idd_dma_vchan_setup(dev, 1, &conf), 0);
	conf = tu_vchan_conf(nb_desc);
	conf.domain.src_handler = 77;
	conf.domain.dst_handler = UINT16_MAX;
	assert_errno(idd_dma_vchan_setup(dev, 0, &conf), 0);
	assert_errno(idd_dma_start(dev), 0);
	tu_close(dev);
}

/* ---- start, stop, close ---- */

static void
test_start_stop(void **state)
{
	struct idd_dma_vchan_conf conf;
	int16_t dev;

	(void)state;
	for (size_t i = 0; i < NB_BAD_IDS; i++) {
		assert_refused(idd_dma_start(bad_ids[i]), -EINVAL, id_str(bad_ids[i]));
		assert_refused(idd_dma_stop(bad_ids[i]), -EINVAL, id_str(bad_ids[i]));
	}
	dev = tu_create("api_ss");
	conf = tu_vchan_conf(tu_nb_desc(dev));
	assert_refused(idd_dma_start(dev), -EINVAL, "api_ss");
	/* Stopping a device that never started is a no-op. */
	assert_errno(idd_dma_stop(dev), 0);

	tu_configure(dev, 3);
	assert_refused(idd_dma_start(dev), -EINVAL, "api_ss");
	assert_errno(idd_dma_vchan_setup(dev, 0, &conf), 0);
	assert_errno(idd_dma_vchan_setup(dev, 2, &conf), 0);
	/* vchan 1 was not set up. */
	assert_refused(idd_dma_start(dev), -EINVAL, "api_ss");
	assert_errno(idd_dma_vchan_setup(dev, 1, &conf), 0);
	assert_errno(idd_dma_start(dev), 0);
	/* Twice: no-op, 0. */
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_stop(dev), 0);
	/* Restart without reconfiguring. */
	assert_errno(idd_dma_start(dev), 0);
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_start(dev), 0);
	tu_close(dev);
}

static void
test_close(void **state)
{
	struct idd_dma_vchan_conf vconf;
	struct idd_dma_conf conf = { .nb_vchans = 1 };
	struct idd_dma_stats stats;
	enum idd_dma_vchan_status vst;
	struct idd_dma_info info;
	uint64_t buf = 0;
	int16_t dev, again;

	(void)state;
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_close(bad_ids[i]), -EINVAL, id_str(bad_ids[i]));

	/* A device that was never configured closes. */
	dev = tu_create("api_close");
	assert_errno(idd_dma_close(dev), 0);

	dev = tu_ready("api_close", 1, 0);
	vconf = tu_vchan_conf(tu_nb_desc(dev));
	assert_refused(idd_dma_close(dev), -EBUSY, "api_close");
	/* Still there and working. */
	assert_true(idd_dma_is_valid(dev));
	assert_errno(idd_dma_get_dev_id_by_name("api_close"), dev);
	assert_errno(idd_dma_stats_get(dev, 0, &stats), 0);
	assert_errno(idd_dma_stop(dev), 0);
	assert_errno(idd_dma_close(dev), 0);

	/* Gone: every call on its id is refused. */
	assert_false(idd_dma_is_valid(dev));
	assert_errno(idd_dma_get_dev_id_by_name("api_close"), -EINVAL);
	assert_refused(idd_dma_close(dev), -EINVAL, id_str(dev));
	assert_refused(idd_dma_info_get(dev, &info), -EINVAL, id_str(dev));
	assert_refused(idd_dma_configure(dev, &conf), -EINVAL, id_str(dev));
	assert_refused(idd_dma_vchan_setup(dev, 0, &vconf), -EINVAL, id_str(dev));
	assert_refused(idd_dma_start(dev), -EINVAL, id_str(dev));
	assert_refused(idd_dma_stop(dev), -EINVAL, id_str(dev));
	assert_refused(idd_dma_stats_get(dev, 0, &stats), -EINVAL, id_str(dev));
	assert_refused(idd_dma_stats_reset(dev, IDD_DMA_ALL_VCHAN), -EINVAL, id_str(dev));
	assert_refused(idd_dma_vchan_status(dev, 0, &vst), -EINVAL, id_str(dev));
	assert_refused(idd_dma_dump(dev, stderr), -EINVAL, id_str(dev));
	/* The data path of a closed slot refuses too. */
	assert_errno(idd_dma_copy(dev, 0, TU_IOVA(&buf), TU_IOVA(&buf), 8, 0), -EINVAL);
	assert_errno(idd_dma_fill(dev, 0, 0, TU_IOVA(&buf), 8, 0), -EINVAL);
	assert_errno(idd_dma_submit(dev, 0), -EINVAL);
	assert_int_equal(idd_dma_completed(dev, 0, 4, NULL, NULL), 0);
	assert_int_equal(idd_dma_burst_capacity(dev, 0), 0);

	/* The name is free again. */
	again = tu_create("api_close");
	assert_true(idd_dma_is_valid(again));
	assert_int_equal(tu_info(again).nb_vchans, 0);
	tu_close(again);
}

/* ---- stats, vchan status, dump ---- */

static void
test_stats_args(void **state)
{
	struct idd_dma_stats stats;
	int16_t dev;

	(void)state;
	dev = tu_create("api_stats");
	for (size_t i = 0; i < NB_BAD_IDS; i++) {
		assert_refused(idd_dma_stats_get(bad_ids[i], 0, &stats), -EINVAL,
			       id_str(bad_ids[i]));
		assert_refused(idd_dma_stats_get(bad_ids[i], IDD_DMA_ALL_VCHAN, &stats), -EINVAL,
			       id_str(bad_ids[i]));
		assert_refused(idd_dma_stats_reset(bad_ids[i], 0), -EINVAL, id_str(bad_ids[i]));
		assert_refused(idd_dma_stats_reset(bad_ids[i], IDD_DMA_ALL_VCHAN), -EINVAL,
			       id_str(bad_ids[i]));
	}
	/* Not configured: no vchan is in range. */
	assert_refused(idd_dma_stats_get(dev, 0, &stats), -EINVAL, "api_stats");
	assert_refused(idd_dma_stats_reset(dev, 0), -EINVAL, "api_stats");

	tu_configure(dev, 2);
	tu_setup_all(dev, 2, tu_nb_desc(dev));
	assert_refused(idd_dma_stats_get(dev, 0, NULL), -EINVAL, "api_stats");
	assert_refused(idd_dma_stats_get(dev, IDD_DMA_ALL_VCHAN, NULL), -EINVAL, "api_stats");
	static const uint16_t out[] = { 2, 3, 1000, IDD_DMA_ALL_VCHAN - 1 };
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		assert_refused(idd_dma_stats_get(dev, out[i], &stats), -EINVAL, "api_stats");
		assert_refused(idd_dma_stats_reset(dev, out[i]), -EINVAL, "api_stats");
	}

	/* In range: zeroed counters, before and after start. */
	for (int started = 0; started < 2; started++) {
		uint16_t vch[] = { 0, 1, IDD_DMA_ALL_VCHAN };

		for (size_t i = 0; i < 3; i++) {
			memset(&stats, 0xa5, sizeof(stats));
			assert_errno(idd_dma_stats_get(dev, vch[i], &stats), 0);
			assert_int_equal(stats.submitted, 0);
			assert_int_equal(stats.completed, 0);
			assert_int_equal(stats.errors, 0);
			assert_errno(idd_dma_stats_reset(dev, vch[i]), 0);
		}
		if (!started)
			assert_errno(idd_dma_start(dev), 0);
	}
	/* Started, out of range is still refused. */
	assert_refused(idd_dma_stats_get(dev, 2, &stats), -EINVAL, "api_stats");
	tu_close(dev);
}

static void
test_vchan_status_args(void **state)
{
	enum idd_dma_vchan_status st;
	int16_t dev;

	(void)state;
	dev = tu_create("api_vst");
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_vchan_status(bad_ids[i], 0, &st), -EINVAL,
			       id_str(bad_ids[i]));
	assert_refused(idd_dma_vchan_status(dev, 0, &st), -EINVAL, "api_vst");

	tu_configure(dev, 2);
	tu_setup_all(dev, 2, tu_nb_desc(dev));
	assert_refused(idd_dma_vchan_status(dev, 0, NULL), -EINVAL, "api_vst");
	assert_refused(idd_dma_vchan_status(dev, 2, &st), -EINVAL, "api_vst");
	/* ALL_VCHAN is for stats only. */
	assert_refused(idd_dma_vchan_status(dev, IDD_DMA_ALL_VCHAN, &st), -EINVAL, "api_vst");

	/* A configured idle vchan: stopped, then started. */
	st = (enum idd_dma_vchan_status)-1;
	assert_errno(idd_dma_vchan_status(dev, 1, &st), 0);
	assert_int_equal(st, IDD_DMA_VCHAN_IDLE);
	assert_errno(idd_dma_start(dev), 0);
	st = (enum idd_dma_vchan_status)-1;
	assert_errno(idd_dma_vchan_status(dev, 0, &st), 0);
	assert_int_equal(st, IDD_DMA_VCHAN_IDLE);
	assert_refused(idd_dma_vchan_status(dev, 2, &st), -EINVAL, "api_vst");
	tu_close(dev);
}

/* The dump as a string (caller frees). */
static char *
dump_to_string(int16_t dev)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_errno(idd_dma_dump(dev, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	return text;
}

static void
test_dump(void **state)
{
	int16_t dev;
	char *text;

	(void)state;
	dev = tu_create("api_dump_dev");
	assert_refused(idd_dma_dump(dev, NULL), -EINVAL, "api_dump_dev");
	for (size_t i = 0; i < NB_BAD_IDS; i++)
		assert_refused(idd_dma_dump(bad_ids[i], stderr), -EINVAL, id_str(bad_ids[i]));

	/* Before configure, configured, started, stopped. */
	text = dump_to_string(dev);
	assert_non_null(strstr(text, "api_dump_dev"));
	assert_non_null(strstr(text, "stopped"));
	free(text);

	tu_configure(dev, 2);
	tu_setup_all(dev, 2, tu_nb_desc(dev));
	text = dump_to_string(dev);
	assert_non_null(strstr(text, "api_dump_dev"));
	assert_non_null(strstr(text, "stopped"));
	free(text);

	assert_errno(idd_dma_start(dev), 0);
	text = dump_to_string(dev);
	assert_non_null(strstr(text, "api_dump_dev"));
	assert_non_null(strstr(text, "started"));
	free(text);

	assert_errno(idd_dma_stop(dev), 0);
	text = dump_to_string(dev);
	assert_non_null(strstr(text, "stopped"));
	free(text);
	tu_close(dev);
	assert_refused(idd_dma_dump(dev, stderr), -EINVAL, id_str(dev));
}

/* ---- access pair groups: the generic layer's checks ---- */

static unsigned int cb_calls;

static void
group_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
	 enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id, (void)group_id, (void)domain_id, (void)event;
	__atomic_add_fetch(&cb_calls, 1, __ATOMIC_RELAXED);
}

static void
test_group_calls_generic_checks(void **state)
{
	idd_uuid_t domain = { 1, 2, 3 }, token = { 9, 8, 7 };
	int16_t dev, gid;
	uint16_t handler;
	bool inter;

	(void)state;
	dev = tu_create("api_grp");
	inter = (tu_info(dev).dev_capa &
		 (IDD_DMA_CAPA_INTER_PROCESS_DOMAIN | IDD_DMA_CAPA_INTER_OS_DOMAIN)) != 0;

	/* The device id is checked first. */
	for (size_t i = 0; i < NB_BAD_IDS; i++) {
		int16_t bad = bad_ids[i];
		const char *s = id_str(bad);

		assert_refused(idd_dma_access_pair_group_create(bad, domain, token, &gid, group_cb),
			       -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_create(bad, domain, token, NULL, NULL),
			       -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_destroy(bad, 0), -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_join(bad, domain, token, 0, group_cb),
			       -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_leave(bad, 0), -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_handler_get(bad, 0, domain, &handler),
			       -EINVAL, s);
		assert_refused(idd_dma_access_pair_group_handler_get(bad, 0, domain, NULL),
			       -EINVAL, s);
	}
	/* Then the out-pointers of create and handler_get. */
	assert_refused(idd_dma_access_pair_group_create(dev, domain, token, NULL, group_cb),
		       -EINVAL, "api_grp");
	assert_refused(idd_dma_access_pair_group_handler_get(dev, 0, domain, NULL), -EINVAL,
		       "api_grp");
	/* Then the inter-domain capability. */
	if (!inter) {
		gid = 1234;
		handler = 4321;
		assert_refused(idd_dma_access_pair_group_create(dev, domain, token, &gid, group_cb),
			       -EINVAL, "api_grp");
		assert_refused(idd_dma_access_pair_group_destroy(dev, 0), -EINVAL, "api_grp");
		assert_refused(idd_dma_access_pair_group_join(dev, domain, token, 0, group_cb),
			       -EINVAL, "api_grp");
		assert_refused(idd_dma_access_pair_group_leave(dev, 0), -EINVAL, "api_grp");
		assert_refused(idd_dma_access_pair_group_handler_get(dev, 0, domain, &handler),
			       -EINVAL, "api_grp");
	} else {
		/* Past the generic checks, the driver answers; for a device in
		 * no group that is -ENOENT (the multi-process tests in
		 * tests/dataplane check every other code). */
		assert_refused(idd_dma_access_pair_group_destroy(dev, 0), -ENOENT, "refused");
		assert_refused(idd_dma_access_pair_group_leave(dev, 0), -ENOENT, "refused");
		assert_refused(idd_dma_access_pair_group_handler_get(dev, 0, domain, &handler),
			       -ENOENT, "refused");
	}
	/* Same answers whatever the device's state. */
	tu_configure(dev, 1);
	tu_setup_all(dev, 1, tu_nb_desc(dev));
	assert_errno(idd_dma_start(dev), 0);
	assert_refused(idd_dma_access_pair_group_create(dev, domain, token, NULL, NULL), -EINVAL,
		       "api_grp");
	if (!inter)
		assert_refused(idd_dma_access_pair_group_leave(dev, 3), -EINVAL, "api_grp");
	tu_close(dev);
	/* A closed device is a bad id like any other. */
	assert_refused(idd_dma_access_pair_group_destroy(dev, 0), -EINVAL, id_str(dev));
	assert_refused(idd_dma_access_pair_group_handler_get(dev, 0, domain, &handler), -EINVAL,
		       id_str(dev));
	/* A refused call never fires its callback. */
	assert_int_equal(__atomic_load_n(&cb_calls, __ATOMIC_RELAXED), 0);
}

/* ---- control path from several threads ---- */

#define CTL_THREADS 4
#define CTL_ROUNDS 25

static void *
ctl_worker(void *arg)
{
	intptr_t me = (intptr_t)arg;
	struct idd_dma_conf conf = { .nb_vchans = 1 };
	enum idd_dma_status_code st;
	char name[32], src[64], dst[64];
	intptr_t failures = 0;

	snprintf(name, sizeof(name), "api_thr%d", (int)me);
	memset(src, (int)me + 1, sizeof(src));
	for (int r = 0; r < CTL_ROUNDS; r++) {
		struct idd_dma_vchan_conf vconf;
		struct idd_dma_info info;
		uint16_t last;
		int dev = idd_dma_dev_create(name, tu_args);

		if (dev < 0) {
			failures++;
			continue;
		}
		failures += idd_dma_info_get((int16_t)dev, &info) != 0;
		vconf = tu_vchan_conf(info.min_desc);
		failures += idd_dma_configure((int16_t)dev, &conf) != 0;
		failures += idd_dma_vchan_setup((int16_t)dev, 0, &vconf) != 0;
		failures += idd_dma_start((int16_t)dev) != 0;
		memset(dst, 0, sizeof(dst));
		failures += idd_dma_copy((int16_t)dev, 0, TU_IOVA(src), TU_IOVA(dst), sizeof(dst),
					 IDD_DMA_OP_FLAG_SUBMIT) != 0;
		failures += tu_wait_status((int16_t)dev, 0, 1, &last, &st) != 1;
		failures += st != IDD_DMA_STATUS_SUCCESSFUL || memcmp(src, dst, sizeof(dst)) != 0;
		failures += idd_dma_stop((int16_t)dev) != 0;
		failures += idd_dma_close((int16_t)dev) != 0;
	}
	return (void *)failures;
}

static void
test_control_path_threads(void **state)
{
	pthread_t t[CTL_THREADS];

	(void)state;
	for (intptr_t i = 0; i < CTL_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ctl_worker, (void *)i), 0);
	for (int i = 0; i < CTL_THREADS; i++) {
		void *failures;

		assert_int_equal(pthread_join(t[i], &failures), 0);
		assert_int_equal((intptr_t)failures, 0);
	}
	assert_int_equal(idd_dma_count_avail(), 0);
}

/* engine=thread: cpu=N pins the worker. A CPU the process may not use is
 * refused at create (-EINVAL) or at start (a negative errno); either way
 * the device is left stopped and closable. */
static void
test_thread_engine_cpu(void **state)
{
	char args[256];
	int ret;

	(void)state;
	if (tu_args == NULL || strstr(tu_args, "engine=thread") == NULL)
		skip();
	snprintf(args, sizeof(args), "%s,cpu=0", tu_args);
	ret = idd_dma_dev_create("api_cpu", args);
	assert_true(ret >= 0);
	tu_configure((int16_t)ret, 1);
	tu_setup_all((int16_t)ret, 1, tu_nb_desc((int16_t)ret));
	if (sched_getcpu() >= 0) {
		cpu_set_t set;

		/* Only if CPU 0 is ours. */
		if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set))
			assert_errno(idd_dma_start((int16_t)ret), 0);
	}
	tu_close((int16_t)ret);

	snprintf(args, sizeof(args), "%s,cpu=%d", tu_args, CPU_SETSIZE);
	assert_refused(idd_dma_dev_create("api_cpu", args), -EINVAL, "api_cpu");

	snprintf(args, sizeof(args), "%s,cpu=%d", tu_args, CPU_SETSIZE - 1);
	tu_log_mark();
	ret = idd_dma_dev_create("api_cpu", args);
	if (ret < 0) {
		assert_errno(ret, -EINVAL);
		tu_log_check("create with cpu=CPU_SETSIZE-1", "api_cpu", __FILE__, __LINE__);
		return;
	}
	tu_configure((int16_t)ret, 1);
	tu_setup_all((int16_t)ret, 1, tu_nb_desc((int16_t)ret));
	tu_log_mark();
	int st = idd_dma_start((int16_t)ret);

	if (st == 0)
		fail_msg("start with the worker pinned to CPU %d (not ours) returned 0",
			 CPU_SETSIZE - 1);
	tu_log_check("start pinned to a CPU we may not use", "api_cpu", __FILE__, __LINE__);
	assert_true(idd_dma_is_valid((int16_t)ret));
	assert_errno(idd_dma_close((int16_t)ret), 0);
}

#define T(f) cmocka_unit_test_teardown(f, tu_teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_dev_max), /* must stay first */
		T(test_create_names),
		T(test_create_duplicate),
		T(test_create_bad_args),
		T(test_create_unknown_driver),
		T(test_create_default_args),
		T(test_get_dev_id_by_name),
		T(test_is_valid),
		T(test_count_next_foreach),
		T(test_info_get),
		T(test_configure),
		T(test_configure_discards_setup),
		T(test_vchan_setup_state),
		T(test_vchan_setup_conf),
		T(test_start_stop),
		T(test_close),
		T(test_stats_args),
		T(test_vchan_status_args),
		T(test_dump),
		T(test_group_calls_generic_checks),
		T(test_control_path_threads),
		T(test_thread_engine_cpu),
		cmocka_unit_test(test_refusals_were_logged), /* must stay last */
	};
	char group[128];

	tu_args = argc > 1 ? argv[1] : NULL;
	tu_log_install();
	snprintf(group, sizeof(group), "dmadev_api(%s)", tu_args ? tu_args : "defaults");
	return cmocka_run_group_tests_name(group, tests, NULL, tu_group_teardown);
}
