/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access pair groups between real processes (fork + exec of this program as
 * an agent, see harness.h): the upstream flow, eight members, tokens, every
 * error code, deaths by SIGKILL, namespaces, concurrent creation, the
 * directory, device close.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "group/group.h"
#include "harness.h"

#define EV_LEFT IDD_DMA_GROUP_EV_MEMBER_LEFT
#define EV_DESTROYED IDD_DMA_GROUP_EV_GROUP_DESTROYED
#define EV_JOINED IDD_DMA_GROUP_EV_MEMBER_JOINED

/* Deaths are to be noticed within this (issue: 100 ms). */
#define DEATH_US 100000

/* How soon a death was heard of is a figure to print, not to assert (no
 * timing assertions: a loaded or sanitized machine may take longer); that
 * it was heard of, within the wait's generous bound, is asserted. */
static void
death_heard(const char *who, uint64_t t, uint64_t t_kill)
{
	assert_true(t != 0);
	print_message("%s heard of the death %llu us after the kill%s\n", who,
		      (unsigned long long)(t - t_kill), t - t_kill > DEATH_US ? " (over 100 ms)" : "");
}

static unsigned char tok[16], badtok[16];
static char tokhex[33], badtokhex[33];

/* Two processes through upstream's whole flow. */
static void
two_process_flow(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33], line[256];
	uint16_t hp_self = 0, hp_peer = 0;
	unsigned int hc_self = 0, hc_peer = 0;
	struct agent a;
	int16_t gid = -1;

	(void)state;
	test_uuid_hex(1, d0, h0);
	test_uuid_hex(2, d1, h1);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
	assert_int_equal(gid, 0); /* fresh namespace: the lowest id */
	assert_int_equal(idd_dma_access_pair_group_event_register(0, gid, events_ext_cb, NULL), 0);

	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_true(events_wait(EV_JOINED, d1, gid, 2000) != 0);

	/* handler_get both ways, own domain included; 0 never valid. */
	assert_int_equal(group_handler_get(0, gid, d0, &hp_self), 0);
	assert_int_equal(group_handler_get(0, gid, d1, &hp_peer), 0);
	assert_true(hp_self != 0 && hp_peer != 0 && hp_self != hp_peer);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "handler 0 %d %s", gid, h0), 0);
	sscanf(line, "ret %*d %u", &hc_peer);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "handler 0 %d %s", gid, h1), 0);
	sscanf(line, "ret %*d %u", &hc_self);
	assert_true(hc_self != 0 && hc_peer != 0 && hc_self != hc_peer);

	/* Member list from the creator's side. */
	{
		struct idd_dma_group_member m[4];
		int n = idd_dma_access_pair_group_members(0, gid, m, 4);

		assert_int_equal(n, 2);
		assert_true(m[0].is_creator && m[0].is_self);
		assert_memory_equal(m[0].domain_id, d0, 16);
		assert_memory_equal(m[1].domain_id, d1, 16);
		assert_int_equal(m[1].pid, a.pid);
		assert_int_equal(m[1].uid, getuid());
		assert_int_equal(m[1].handler, hp_peer);
	}

	assert_int_equal(group_destroy(0, gid), -EBUSY);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), 0);
	assert_true(events_wait(EV_LEFT, d1, gid, 2000) != 0);
	assert_int_equal(group_handler_get(0, gid, d1, &hp_peer), -ENOENT);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), -ENOENT);
	assert_int_equal(group_destroy(0, gid), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), -ENOENT);
	assert_int_equal(agent_exit(&a), 0);
}

/* Eight processes in one group (the parent creates, seven agents join at
 * once); each finds every other's handler. */
static void
eight_processes(void **state)
{
	struct agent a[7];
	unsigned char d[8][16];
	char h[8][33], line[256];
	int16_t gid = -1;

	(void)state;
	for (int i = 0; i < 8; i++)
		test_uuid_hex(10 + (unsigned int)i, d[i], h[i]);
	assert_int_equal(group_create(1, d[0], tok, events_upstream_cb, &gid), 0);
	for (int i = 0; i < 7; i++)
		agent_spawn(&a[i]);
	for (int i = 0; i < 7; i++)
		agent_send(&a[i], "join 3 %d %s %s", gid, h[i + 1], tokhex);
	for (int i = 0; i < 7; i++)
		assert_int_equal(agent_reply(&a[i], NULL, 0), 0);
	assert_int_equal(wait_members(1, gid, 8, 3000), 8);
	for (int i = 0; i < 7; i++)
		assert_int_equal(agent_cmd(&a[i], NULL, 0, "waitmembers 3 %d 8 3000", gid), 8);
	for (int i = 0; i < 7; i++) {
		unsigned int seen[8];

		for (int j = 0; j < 8; j++) {
			assert_int_equal(agent_cmd(&a[i], line, sizeof(line), "handler 3 %d %s", gid,
						   h[j]), 0);
			sscanf(line, "ret %*d %u", &seen[j]);
			assert_true(seen[j] != 0);
			for (int k = 0; k < j; k++)
				assert_true(seen[k] != seen[j]);
		}
	}
	for (int j = 0; j < 8; j++) {
		uint16_t hh;

		assert_int_equal(group_handler_get(1, gid, d[j], &hh), 0);
	}
	for (int i = 0; i < 7; i++)
		assert_int_equal(agent_cmd(&a[i], NULL, 0, "leave 3 %d", gid), 0);
	assert_int_equal(wait_members(1, gid, 1, 2000), 1);
	assert_int_equal(group_destroy(1, gid), 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(agent_exit(&a[i]), 0);
}

/* A wrong token is refused, the right one then accepted. */
static void
wrong_token(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33];
	struct agent a;
	int16_t gid = -1;

	(void)state;
	test_uuid_hex(20, d0, h0);
	test_uuid_hex(21, d1, h1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, badtokhex), -EACCES);
	assert_int_equal(agent_cmd(&a, NULL, 0, "handler 0 %d %s", gid, h0), -ENOENT);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "handler 0 %d %s", gid, h0), 0);
	/* In-process too: a second device of ours with a bad token. */
	assert_int_equal(group_join(2, d0, badtok, gid, NULL), -EACCES);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(wait_members(0, gid, 1, 2000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
}

/* Every error code of the upstream calls. */
static void
error_codes(void **state)
{
	unsigned char d0[16], d1[16], d9[16];
	char h0[33], h1[33], h9[33];
	struct agent a;
	int16_t gid = -1, gid2 = -1;
	uint16_t h;

	(void)state;
	test_uuid_hex(30, d0, h0);
	test_uuid_hex(31, d1, h1);
	test_uuid_hex(39, d9, h9);
	assert_int_equal(group_create(0, d0, tok, NULL, NULL), -EINVAL);
	assert_int_equal(group_handler_get(0, 0, d0, NULL), -EINVAL);
	/* Nothing exists yet. */
	assert_int_equal(group_join(0, d1, tok, 5, NULL), -ENOENT);
	assert_int_equal(group_join(0, d1, tok, -1, NULL), -ENOENT);
	assert_int_equal(group_leave(0, 5), -ENOENT);
	assert_int_equal(group_destroy(0, 5), -ENOENT);
	assert_int_equal(group_handler_get(0, 5, d0, &h), -ENOENT);

	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	assert_int_equal(group_leave(0, gid), -EPERM);   /* creator may not leave */
	assert_int_equal(group_handler_get(0, gid, d9, &h), -ENOENT); /* unknown domain */
	assert_int_equal(group_handler_get(1, gid, d0, &h), -ENOENT); /* device not in it */

	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h9, tokhex), -EEXIST);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 1 %d %s %s", gid, h1, tokhex), -EEXIST);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 1 %d %s %s", gid, h0, tokhex), -EEXIST);
	assert_int_equal(agent_cmd(&a, NULL, 0, "destroy 0 %d", gid), -EPERM);
	assert_int_equal(group_destroy(0, gid), -EBUSY);
	assert_int_equal(group_destroy(1, gid), -ENOENT);
	/* A second group, so ids differ and each keeps its own rules. */
	assert_int_equal(group_create(1, d9, tok, NULL, &gid2), 0);
	assert_true(gid2 != gid);
	assert_int_equal(agent_cmd(&a, NULL, 0, "destroy 0 %d", gid2), -ENOENT);
	assert_int_equal(group_destroy(1, gid2), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), 0);
	assert_int_equal(wait_members(0, gid, 1, 2000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
	assert_int_equal(group_destroy(0, gid), -ENOENT);
	assert_int_equal(agent_exit(&a), 0);
}

/* A joiner killed: the creator and the other joiner hear of it (how soon is printed). */
static void
joiner_killed(void **state)
{
	unsigned char d0[16], d1[16], d2[16];
	char h0[33], h1[33], h2[33], line[256];
	unsigned long long t_b = 0;
	struct agent a, b;
	uint64_t t_kill, t_c;
	int16_t gid = -1;

	(void)state;
	test_uuid_hex(40, d0, h0);
	test_uuid_hex(41, d1, h1);
	test_uuid_hex(42, d2, h2);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
	agent_spawn(&a);
	agent_spawn(&b);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&b, NULL, 0, "join 0 %d %s %s", gid, h2, tokhex), 0);
	assert_int_equal(agent_cmd(&b, NULL, 0, "waitmembers 0 %d 3 2000", gid), 3);
	t_kill = agent_kill(&a);
	t_c = events_wait(EV_LEFT, d1, gid, 2000);
	death_heard("the creator", t_c, t_kill);
	assert_int_equal(agent_cmd(&b, line, sizeof(line), "waitev 0 %d %d %s 2000", gid, EV_LEFT,
				   h1), 0);
	sscanf(line, "ret %*d %llu", &t_b);
	death_heard("another member", t_b, t_kill);
	assert_int_equal(agent_cmd(&b, NULL, 0, "handler 0 %d %s", gid, h1), -ENOENT);
	assert_int_equal(agent_exit(&b), 0);
	/* b exited without leaving: that is a departure too. */
	assert_true(events_wait(EV_LEFT, d2, gid, 2000) != 0);
	assert_int_equal(group_destroy(0, gid), 0);
}

/* A member that forked (without exec) and is then killed is still seen
 * leaving at once: the child closed its copies of the group's sockets. The
 * child itself can create a group of its own. */
static void
forked_child_holds_nothing(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33], line[256];
	struct agent a;
	uint64_t t_kill, t;
	int child = 0;

	(void)state;
	test_uuid_hex(45, d0, h0);
	test_uuid_hex(46, d1, h1);
	{
		int16_t gid = -1;

		assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
		agent_spawn(&a);
		assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
		assert_int_equal(agent_cmd(&a, line, sizeof(line), "forksleep"), 0);
		sscanf(line, "ret %*d %d", &child);
		assert_true(child > 0);
		/* The child's own group came and went. */
		assert_int_equal(agent_reply(&a, line, sizeof(line)), 0);
		t_kill = agent_kill(&a);
		t = events_wait(EV_LEFT, d1, gid, 2000);
		death_heard("the creator", t, t_kill);
		assert_int_equal(group_destroy(0, gid), 0);
	}
}

/* The creator killed: every joiner is told GROUP_DESTROYED (how soon is printed). */
static void
creator_killed(void **state)
{
	unsigned char d0[16], d1[16], d2[16];
	char h0[33], h1[33], h2[33], line[256];
	struct agent c, a, b;
	unsigned long long t;
	uint64_t t_kill;
	int gid = -1;

	(void)state;
	test_uuid_hex(50, d0, h0);
	test_uuid_hex(51, d1, h1);
	test_uuid_hex(52, d2, h2);
	agent_spawn(&c);
	agent_spawn(&a);
	agent_spawn(&b);
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "create 0 0 %s %s", h0, tokhex), 0);
	sscanf(line, "ret %*d %d", &gid);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&b, NULL, 0, "join 0 %d %s %s", gid, h2, tokhex), 0);
	/* The parent joins too, with its own device. */
	assert_int_equal(group_join(4, d2, tok, (int16_t)gid, events_upstream_cb), -EEXIST);
	{
		unsigned char d3[16];

		test_uuid(53, d3);
		assert_int_equal(group_join(4, d3, tok, (int16_t)gid, events_upstream_cb), 0);
	}
	t_kill = agent_kill(&c);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "waitev 0 %d %d %s 2000", gid,
				   EV_DESTROYED, h1), 0);
	sscanf(line, "ret %*d %llu", &t);
	death_heard("a member", t, t_kill);
	assert_int_equal(agent_cmd(&b, line, sizeof(line), "waitev 0 %d %d %s 2000", gid,
				   EV_DESTROYED, h2), 0);
	sscanf(line, "ret %*d %llu", &t);
	death_heard("another member", t, t_kill);
	t = events_wait(EV_DESTROYED, NULL, gid, 2000);
	death_heard("this process's member", t, t_kill);
	/* Every handler of the group is gone; leaving is moot. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "handler 0 %d %s", gid, h0), -ENOENT);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), -ENOENT);
	/* The dead creator's socket is stale: the id is reused. */
	{
		int16_t again = -1;

		assert_int_equal(group_create(0, d0, tok, NULL, &again), 0);
		assert_int_equal(again, gid);
		assert_int_equal(group_destroy(0, again), 0);
	}
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(agent_exit(&b), 0);
}

/* Two namespaces do not see each other's groups. */
static void
namespaces(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33], line[256];
	struct agent a;
	int16_t gid = -1;
	int other = -1;

	(void)state;
	test_uuid_hex(60, d0, h0);
	test_uuid_hex(61, d1, h1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	assert_int_equal(gid, 0);
	/* The agent's namespace differs from ours. */
	harness_new_ns();
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), -ENOENT);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "create 0 0 %s %s", h1, tokhex), 0);
	sscanf(line, "ret %*d %d", &other);
	assert_int_equal(other, 0); /* its own id 0 */
	/* A device given the agent's namespace by option sees its group. */
	assert_int_equal(group_dev_set_options(5, getenv("IDD_NAMESPACE"), -1), 0);
	assert_int_equal(group_join(5, d0, tok, 0, NULL), 0);
	assert_int_equal(group_leave(5, 0), 0);
	assert_int_equal(group_dev_set_options(5, "bad/ns", -1), -EINVAL);
	assert_int_equal(agent_cmd(&a, NULL, 0, "destroy 0 0"), 0);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(group_destroy(0, gid), 0);
	group_dev_close(5);
}

/* Lock files in the runtime directory. */
static int
count_lock_files(void)
{
	DIR *d = opendir(harness_runtime_dir());
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 5 && strcmp(e->d_name + len - 5, ".lock") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Several processes create groups at the same moment: all ids distinct. */
static void
create_race(void **state)
{
	enum { NPROC = 6, PER = 5 };
	struct agent a[NPROC];
	int ids[NPROC * PER], n = 0;
	unsigned char d0[16];
	char h0[33];

	(void)state;
	test_uuid_hex(70, d0, h0);
	for (int i = 0; i < NPROC; i++)
		agent_spawn(&a[i]);
	for (int i = 0; i < NPROC; i++)
		agent_send(&a[i], "createmany 0 %d %s %s", PER, h0, tokhex);
	for (int i = 0; i < NPROC; i++) {
		char line[512], *p;

		assert_int_equal(agent_reply(&a[i], line, sizeof(line)), 0);
		p = line + 6; /* after "ret 0" */
		for (int k = 0; k < PER; k++)
			ids[n++] = (int)strtol(p, &p, 10);
	}
	for (int i = 0; i < n; i++) {
		assert_true(ids[i] >= 0 && ids[i] < n);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	/* The namespace's lock file went with the last allocation. */
	assert_int_equal(count_lock_files(), 0);
	for (int i = 0; i < NPROC; i++)
		assert_int_equal(agent_exit(&a[i]), 0);
}

/* The directory: publish, look up (also waiting), duplicates, owners,
 * entries of a departed member disappear. */
static void
directory(void **state)
{
	unsigned char d0[16], d1[16];
	char h0[33], h1[33], line[256];
	struct idd_dma_group_buffer b;
	unsigned long long addr = 0, len = 0;
	struct agent a;
	int16_t gid = -1;
	static char buf[4096];

	(void)state;
	test_uuid_hex(80, d0, h0);
	test_uuid_hex(81, d1, h1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "creator-buf", buf, sizeof(buf)), 0);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "creator-buf", buf, 1), -EEXIST);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "bad name", buf, 1), -EINVAL);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "x", NULL, 1), -EINVAL);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "x", buf, 0), -EINVAL);
	assert_int_equal(idd_dma_group_buffer_publish(3, gid, "x", buf, 1), -ENOENT);

	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h1, tokhex), 0);
	/* The joiner received the directory with the group's state. */
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "lookup 0 %d creator-buf 0", gid), 0);
	sscanf(line, "ret %*d %llu %llu", &addr, &len);
	assert_int_equal(addr, (uintptr_t)buf);
	assert_int_equal(len, sizeof(buf));
	assert_int_equal(agent_cmd(&a, NULL, 0, "lookup 0 %d nothing 0", gid), -ENOENT);
	assert_int_equal(agent_cmd(&a, NULL, 0, "lookup 0 %d nothing 50", gid), -ETIMEDOUT);
	assert_int_equal(agent_cmd(&a, NULL, 0, "unpublish 0 %d creator-buf", gid), -EPERM);
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d creator-buf 4096 1", gid), -EEXIST);

	/* A lookup that waits for the name, then the joiner publishes it. */
	agent_send(&a, "lookup 0 %d later 5000", gid);
	{
		struct agent a2;

		agent_spawn(&a2);
		/* a2 is not a member: it cannot publish. */
		assert_int_equal(agent_cmd(&a2, NULL, 0, "publish 0 %d later 4096 1", gid),
				 -ENOENT);
		assert_int_equal(agent_exit(&a2), 0);
	}
	usleep(20000);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "later", buf + 64, 64), 0);
	assert_int_equal(agent_reply(&a, line, sizeof(line)), 0);
	sscanf(line, "ret %*d %llu %llu", &addr, &len);
	assert_int_equal(addr, (uintptr_t)(buf + 64));
	assert_int_equal(len, 64);

	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d joiner-buf 0x10000 8192", gid), 0);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "joiner-buf", 2000, &b), 0);
	assert_int_equal(b.addr, 0x10000);
	assert_int_equal(b.len, 8192);
	assert_memory_equal(b.domain_id, d1, 16);
	assert_true(b.handler != 0);
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "joiner-buf"), -EPERM);
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "later"), 0);
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "later"), -ENOENT);

	/* The joiner leaves: its entry goes. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), 0);
	assert_int_equal(wait_members(0, gid, 1, 2000), 1);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "joiner-buf", 0, &b), -ENOENT);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "creator-buf", 0, &b), 0);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(group_destroy(0, gid), 0);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "creator-buf", 0, &b), -ENOENT);
}

/* Device close: a joiner's close is a departure; a creator's close ends
 * the group for its members. */
static void
device_close(void **state)
{
	unsigned char d0[16], d1[16], d2[16];
	char h0[33], h1[33], h2[33], line[256];
	struct agent a, c;
	int16_t gid = -1;
	int gid2 = -1;

	(void)state;
	test_uuid_hex(90, d0, h0);
	test_uuid_hex(91, d1, h1);
	test_uuid_hex(92, d2, h2);
	assert_int_equal(group_create(0, d0, tok, events_upstream_cb, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 2 %d %s %s", gid, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "close 2"), 0);
	assert_true(events_wait(EV_LEFT, d1, gid, 2000) != 0);
	assert_int_equal(group_destroy(0, gid), 0);

	agent_spawn(&c);
	assert_int_equal(agent_cmd(&c, line, sizeof(line), "create 1 0 %s %s", h2, tokhex), 0);
	sscanf(line, "ret %*d %d", &gid2);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid2, h1, tokhex), 0);
	assert_int_equal(agent_cmd(&c, NULL, 0, "close 1"), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "waitev 0 %d %d %s 2000", gid2, EV_DESTROYED, h1),
			 0);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(agent_exit(&c), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		harness_unit_test(two_process_flow),
		harness_unit_test(eight_processes),
		harness_unit_test(wrong_token),
		harness_unit_test(error_codes),
		harness_unit_test(joiner_killed),
		harness_unit_test(forked_child_holds_nothing),
		harness_unit_test(creator_killed),
		harness_unit_test(namespaces),
		harness_unit_test(create_race),
		harness_unit_test(directory),
		harness_unit_test(device_close),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	test_uuid_hex(0x7001, tok, tokhex);
	test_uuid_hex(0x7002, badtok, badtokhex);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
