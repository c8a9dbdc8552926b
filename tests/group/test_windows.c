/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Windows travel with membership: a joiner maps the members' windows at
 * join, windows allocated or freed afterwards reach every member, a member
 * that joins later gets everyone's windows (relayed by the creator), and a
 * departed member's windows disappear. Checked by reading the peers' bytes
 * through the window tables, as an engine would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <idd/idd_mem.h>

#include "group/group.h"
#include "harness.h"
#include "mem/window_table.h"

static unsigned char tok[16];
static char tokhex[33];

static uint64_t
pattern(int byte)
{
	uint64_t v;

	memset(&v, byte, sizeof(v));
	return v;
}

static void
windows_travel(void **state)
{
	unsigned char d0[16], d1[16], d2[16];
	char h0[33], h1[33], h2[33], line[256];
	unsigned long long b_addr = 0, v = 0;
	struct agent a, c;
	uint64_t val = 0;
	int16_t gid = -1;
	uint8_t *buf_a, *buf_c;

	(void)state;
	test_uuid(1, d0);
	test_uuid(2, d1);
	test_uuid(3, d2);
	uuid_hex(d0, h0);
	uuid_hex(d1, h1);
	uuid_hex(d2, h2);

	/* A window before the group exists. */
	buf_a = idd_mem_alloc(65536, IDD_MEM_PEER_RW);
	assert_non_null(buf_a);
	memset(buf_a, 0x11, 65536);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);

	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	/* At join the joiner has the creator's windows mapped. */
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "peek 0 %d %s %llu 0 0", gid, h0,
				   (unsigned long long)(uintptr_t)(buf_a + 100)), 0);
	sscanf(line, "ret %*d %llu", &v);
	assert_int_equal(v, pattern(0x11));
	/* Not beyond what exists. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "peek 0 %d %s %llu 0 0", gid, h0, 4096ull),
			 -EFAULT);

	/* The joiner allocates after joining: the creator sees it. */
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "alloc 0 0 65536 0x22"), 0);
	sscanf(line, "ret %*d %llu", &b_addr);
	assert_int_equal(peek_wait(0, gid, d1, b_addr + 8, 0, &val, 2000), 0);
	assert_int_equal(val, pattern(0x22));

	/* The creator allocates a large block (a window of its own) after
	 * the join: the joiner sees it; freed, it goes. */
	buf_c = idd_mem_alloc(8u << 20, IDD_MEM_PEER_RW);
	assert_non_null(buf_c);
	memset(buf_c, 0x33, 8u << 20);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "peek 0 %d %s %llu 0 2000", gid, h0,
				   (unsigned long long)(uintptr_t)(buf_c + (4u << 20))), 0);
	sscanf(line, "ret %*d %llu", &v);
	assert_int_equal(v, pattern(0x33));
	assert_int_equal(idd_mem_free(buf_c), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "peek 0 %d %s %llu %d 2000", gid, h0,
				   (unsigned long long)(uintptr_t)(buf_c + (4u << 20)), -EFAULT),
			 -EFAULT);

	/* A later joiner gets the first joiner's windows, relayed. */
	agent_spawn(&c);
	assert_int_equal(agent_cmd(&c, NULL, 0, "join 0 %d %s %s", gid, h2, tokhex), 0);
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "peek 0 %d %s %llu 0 0", gid, h1,
				   b_addr + 16), 0);
	sscanf(line, "ret %*d %llu", &v);
	assert_int_equal(v, pattern(0x22));
	/* ... and the first joiner gets the newcomer's. */
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "alloc 0 0 4096 0x44"), 0);
	{
		unsigned long long c_addr = 0;

		sscanf(line, "ret %*d %llu", &c_addr);
		assert_int_equal(agent_cmd(&a, line, sizeof(line), "peek 0 %d %s %llu 0 2000", gid,
					   h2, c_addr), 0);
		sscanf(line, "ret %*d %llu", &v);
		assert_int_equal(v, pattern(0x44));
	}

	/* The first joiner leaves: its windows are gone for everyone. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), 0);
	assert_int_equal(peek_u64(0, gid, d1, b_addr, &val), -ENOENT);
	assert_int_equal(agent_cmd(&c, NULL, 0, "peek 0 %d %s %llu %d 2000", gid, h1, b_addr,
				   -ENOENT), -ENOENT);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(agent_cmd(&c, NULL, 0, "leave 0 %d", gid), 0);
	assert_int_equal(agent_exit(&c), 0);
	assert_int_equal(group_destroy(0, gid), 0);
	assert_int_equal(idd_mem_free(buf_a), 0);
}

/* A handler held by the data plane keeps its (emptied) table valid after
 * the member left: translations fail cleanly instead of touching freed
 * memory. */
static void
held_handler_after_departure(void **state)
{
	unsigned char d0[16], d1[16];
	char h1[33], line[256];
	unsigned long long b_addr = 0;
	struct mem_wt *space = NULL;
	struct agent a;
	uint64_t val;
	int16_t gid = -1;
	uint16_t h;

	(void)state;
	test_uuid(11, d0);
	test_uuid(12, d1);
	uuid_hex(d1, h1);
	assert_int_equal(group_create(1, d0, tok, NULL, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "alloc 0 0 4096 0x55"), 0);
	sscanf(line, "ret %*d %llu", &b_addr);
	assert_int_equal(peek_wait(1, gid, d1, b_addr, 0, &val, 2000), 0);
	assert_int_equal(group_handler_get(1, gid, d1, &h), 0);
	assert_int_equal(group_handler_acquire(1, h, &space), 0);
	assert_non_null(space);
	agent_kill(&a);
	assert_int_equal(wait_members(1, gid, 1, 2000), 1);
	assert_int_equal(group_handler_state(1, h), 2);
	{
		struct mem_wt_cache cache;
		void *p;

		mem_wt_cache_init(&cache);
		mem_rcu_read_lock();
		p = mem_wt_translate(space, &cache, b_addr, 8, MEM_ACCESS_READ);
		mem_rcu_read_unlock();
		assert_null(p);
	}
	group_handler_release(1, h);
	assert_int_equal(group_handler_state(1, h), 0);
	assert_int_equal(group_destroy(1, gid), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_travel),
		cmocka_unit_test(held_handler_after_departure),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	test_uuid(0x6001, tok);
	uuid_hex(tok, tokhex);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
