/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Group limits, each at the limit (works) and one past it (refused with
 * the documented error and one line that says why; the group and the
 * process go on): groups one process is in, members of a group (forked
 * joiner processes), directory entries (and name and range bounds), and
 * the size of a protocol message (past it the connection is dropped).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_group.h>

#include "group/group.h"
#include "group/wire.h"
#include "harness.h"
#include "lim_util.h"

static unsigned char tok[16];
static char tokhex[33];

static int
setup(void **state)
{
	(void)state;
	/* A device keeps the namespace it first used: close ours, so the
	 * test's devices take the new one. */
	for (int16_t d = 0; d < 4; d++)
		group_dev_close(d);
	harness_new_ns();
	lim_log_reset();
	return 0;
}

static void
groups_per_process(void **state)
{
	enum { N = IDD_DMA_GROUP_MAX_PER_PROCESS };
	static int16_t gids[N];
	unsigned char d0[16], d1[16], da[16];
	char line[256], h[33];
	struct agent a;
	int16_t extra = -1;
	int gid_a = -1;

	(void)state;
	test_uuid(1, d0);
	test_uuid(2, d1);
	test_uuid(3, da);
	for (int i = 0; i < N; i++)
		assert_int_equal(group_create(0, d0, tok, NULL, &gids[i]), 0);

	/* One more, created or joined: refused. */
	assert_int_equal(group_create(0, d0, tok, NULL, &extra), -ENOSPC);
	assert_int_equal(extra, -1);
	assert_int_equal(lim_log_count("dev 0: group create refused: this process is in 1024 "
				       "groups (IDD_DMA_GROUP_MAX_PER_PROCESS)"), 1);
	agent_spawn(&a);
	uuid_hex(da, h);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "create 0 0 %s %s", h, tokhex), 0);
	assert_int_equal(sscanf(line, "ret 0 %d", &gid_a), 1);
	assert_int_equal(group_join(1, d1, tok, (int16_t)gid_a, NULL), -ENOSPC);
	assert_int_equal(lim_log_count("join by dev 1 refused: this process is in 1024 groups"),
			 1);

	/* All 1024 are live: the last one still takes a member. */
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 1 %d %s %s", gids[N - 1], h, tokhex), 0);
	assert_int_equal(wait_members(0, gids[N - 1], 2, 5000), 2);
	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 1 %d", gids[N - 1]), 0);

	/* One group fewer makes room again. */
	assert_int_equal(group_destroy(0, gids[0]), 0);
	assert_int_equal(group_join(1, d1, tok, (int16_t)gid_a, NULL), 0);
	assert_int_equal(group_create(0, d0, tok, NULL, &extra), -ENOSPC);
	assert_int_equal(group_leave(1, (int16_t)gid_a), 0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gids[0]), 0);

	assert_int_equal(agent_cmd(&a, NULL, 0, "destroy 0 %d", gid_a), 0);
	assert_int_equal(agent_exit(&a), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(group_destroy(0, gids[i]), 0);
}

/* A joiner process forked from this one: joins as domain @n, writes the
 * result to @res, then obeys one-byte commands on @cmd: 'l' leave, 'x'
 * exit. */
struct joiner {
	pid_t pid;
	int cmd;
};

static int
joiner_fork(struct joiner *j, int16_t gid, unsigned int n)
{
	int res[2], cmd[2], ret = -EIO;
	pid_t pid;

	assert_int_equal(pipe(res), 0);
	assert_int_equal(pipe(cmd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char d[16];
		char c;

		close(res[0]);
		close(cmd[1]);
		test_uuid(n, d);
		ret = group_join(0, d, tok, gid, NULL);
		if (write(res[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(2);
		close(res[1]);
		while (read(cmd[0], &c, 1) == 1) {
			if (c == 'l' && group_leave(0, gid) != 0)
				_exit(3);
			if (c == 'x')
				harness_child_exit(false);
		}
		harness_child_exit(false); /* the parent is gone */
	}
	close(res[1]);
	close(cmd[0]);
	if (read(res[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -EIO;
	close(res[0]);
	j->pid = pid;
	j->cmd = cmd[1];
	return ret;
}

static int
joiner_end(struct joiner *j, char how)
{
	int status = -1;

	if (how != 0)
		assert_int_equal(write(j->cmd, &how, 1), 1);
	close(j->cmd);
	assert_int_equal(waitpid(j->pid, &status, 0), j->pid);
	return status;
}

static void
joiner_cmd(struct joiner *j, char c)
{
	assert_int_equal(write(j->cmd, &c, 1), 1);
}

static void
members_per_group(void **state)
{
	enum { N = IDD_DMA_GROUP_MAX_MEMBERS };
	static struct joiner js[N + 2];
	unsigned char d0[16];
	int16_t gid = -1;

	(void)state;
	test_uuid(1, d0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	/* 127 joiner processes: with the creator, a full group. The last
	 * one's welcome lists 127 members, the longest message there is. */
	for (int i = 1; i < N; i++)
		assert_int_equal(joiner_fork(&js[i], gid, 100u + (unsigned int)i), 0);
	assert_int_equal(wait_members(0, gid, N, 10000), N);

	/* The 129th member: refused, and nobody else is disturbed. */
	assert_int_equal(joiner_fork(&js[N], gid, 1000), -ENOSPC);
	assert_int_equal(lim_log_count("refused: the group is full"), 1);
	assert_int_equal(joiner_end(&js[N], 'x'), 0);
	assert_int_equal(idd_dma_access_pair_group_members(0, gid, NULL, 0), N);

	/* A departure makes room for one. */
	joiner_cmd(&js[5], 'l');
	assert_int_equal(wait_members(0, gid, N - 1, 10000), N - 1);
	assert_int_equal(joiner_fork(&js[N + 1], gid, 1001), 0);
	assert_int_equal(wait_members(0, gid, N, 10000), N);
	assert_int_equal(joiner_fork(&js[N], gid, 1002), -ENOSPC);
	assert_int_equal(joiner_end(&js[N], 'x'), 0);

	for (int i = 1; i <= N + 1; i++)
		if (i != N)
			assert_int_equal(joiner_end(&js[i], 'x'), 0);
	assert_int_equal(wait_members(0, gid, 1, 10000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
}

static void
directory_entries(void **state)
{
	enum { N = IDD_DMA_GROUP_MAX_BUFFERS };
	char name[80], line[256], h[33];
	struct idd_dma_group_buffer out;
	unsigned char d0[16], da[16];
	struct agent a;
	int16_t gid = -1;

	(void)state;
	test_uuid(1, d0);
	test_uuid(2, da);
	uuid_hex(da, h);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	agent_spawn(&a);
	assert_int_equal(agent_cmd(&a, NULL, 0, "join 0 %d %s %s", gid, h, tokhex), 0);

	/* 255 entries by the creator, the 256th by the member. */
	for (int i = 0; i < N - 1; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(idd_dma_group_buffer_publish(0, gid, name,
							      (void *)(uintptr_t)(0x10000 * (i + 1)),
							      64),
				 0);
	}
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d a0 0x7000 4096", gid), 0);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "a0", 5000, &out), 0);
	assert_int_equal(out.addr, 0x7000);
	assert_memory_equal(out.domain_id, da, 16);

	/* The 257th: refused whoever asks, with the reason on both sides. */
	lim_log_reset();
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d a1 0x9000 4096", gid), -ENOSPC);
	assert_int_equal(lim_log_count("publish of \"a1\" by pid"), 1);
	assert_int_equal(lim_log_count("refused: the directory is full "
				       "(IDD_DMA_GROUP_MAX_BUFFERS entries)"), 1);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "c-last", (void *)0x1000, 64), -ENOSPC);
	assert_int_equal(lim_log_count("refused: the directory is full"), 2);
	/* Every entry is still there, on both sides. */
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "c254", 0, &out), 0);
	assert_int_equal(out.addr, 0x10000 * 255);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "lookup 0 %d c0 1000", gid), 0);

	/* One withdrawn: room for one. */
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "c0"), 0);
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d a1 0x9000 4096", gid), 0);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "c0", (void *)0x1000, 64), -ENOSPC);

	/* Names: IDD_DMA_GROUP_NAME_MAX characters, not one more. */
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "c1"), 0);
	assert_int_equal(idd_dma_group_buffer_unpublish(0, gid, "c2"), 0);
	memset(name, 'n', sizeof(name));
	name[IDD_DMA_GROUP_NAME_MAX + 1] = '\0';
	lim_log_reset();
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, name, (void *)0x1000, 64), -EINVAL);
	assert_int_equal(lim_log_count("refused: name longer than 63 characters (a name is "
				       "1..63 printable characters"), 1);
	lim_log_reset();
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "tab\there", (void *)0x1000, 64),
			 -EINVAL);
	assert_int_equal(lim_log_count("refused: byte 0x09 at position 3 of the name"), 1);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "", (void *)0x1000, 64), -EINVAL);
	assert_int_equal(lim_log_count("refused: empty name"), 1);
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d %s 0x1000 64", gid, name), -EINVAL);
	name[IDD_DMA_GROUP_NAME_MAX] = '\0';
	assert_int_equal(agent_cmd(&a, NULL, 0, "publish 0 %d %s 0x1000 64", gid, name), 0);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, name, 5000, &out), 0);
	assert_int_equal(out.len, 64);

	/* The value, a range: 1 byte at least, up to the very end of the
	 * address space, not around it. */
	lim_log_reset();
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "zero", (void *)0x1000, 0), -EINVAL);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "wraps",
						      (void *)(uintptr_t)(UINTPTR_MAX - 4094), 4096),
			 -EINVAL);
	assert_int_equal(lim_log_count("refused: the range wraps around the address space"), 1);
	assert_int_equal(idd_dma_group_buffer_publish(0, gid, "top",
						      (void *)(uintptr_t)(UINTPTR_MAX - 4095), 4096),
			 0);
	assert_int_equal(agent_cmd(&a, line, sizeof(line), "lookup 0 %d top 5000", gid), 0);

	assert_int_equal(agent_cmd(&a, NULL, 0, "leave 0 %d", gid), 0);
	assert_int_equal(agent_exit(&a), 0);
	assert_int_equal(group_destroy(0, gid), 0);
}

/* A member that wants to publish a wrapping range over the wire (the
 * creator's own check, whatever the member's library says). */
static void
directory_wrap_over_wire(void **state)
{
	struct idd_dma_group_buffer out;
	unsigned char d0[16];
	struct raw_peer p;
	struct wire_msg m = {.type = WIRE_DIR_PUBLISH};
	int16_t gid = -1;

	(void)state;
	test_uuid(1, d0);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	raw_join(&p, gid, tok, 2);
	raw_ready(&p);
	m.u.dir.req_id = 7;
	m.u.dir.addr = UINT64_MAX - 10;
	m.u.dir.len = 4096;
	m.u.dir.name_len = 4;
	memcpy(m.u.dir.name, "wrap", 5);
	assert_int_equal(raw_send(&p, &m, -1), 0);
	do {
		assert_int_equal(raw_recv(&p, &m, 5000), 1);
	} while (m.type != WIRE_DIR_RESULT);
	assert_int_equal(m.u.dir.req_id, 7);
	assert_int_equal(m.u.dir.code, EINVAL);
	assert_int_equal(idd_dma_group_buffer_lookup(0, gid, "wrap", 0, &out), -ENOENT);
	raw_close(&p);
	assert_int_equal(wait_members(0, gid, 1, 5000), 1);
	assert_int_equal(group_destroy(0, gid), 0);
}

static void
message_size(void **state)
{
	static uint8_t big[WIRE_MAX_MSG + 1], huge[65536];
	unsigned char d0[16], d1[16];
	struct wire_msg m, back;
	struct raw_peer p;
	const char *why;
	int16_t gid = -1;
	ssize_t len;

	(void)state;
	/* The codec: the longest message there is (a welcome into a full
	 * group) fits, a longer member list is refused by the encoder. */
	memset(&m, 0, sizeof(m));
	m.type = WIRE_WELCOME;
	m.u.welcome.slot = WIRE_MAX_MEMBERS - 1;
	m.u.welcome.nb_members = WIRE_MAX_MEMBERS - 1;
	for (unsigned int i = 0; i < WIRE_MAX_MEMBERS - 1; i++) {
		m.u.welcome.members[i].slot = (uint16_t)i;
		m.u.welcome.members[i].is_creator = i == 0;
		test_uuid(500 + i, m.u.welcome.members[i].domain);
	}
	len = wire_encode(&m, big, WIRE_MAX_MSG);
	assert_true(len > 0 && len <= WIRE_MAX_MSG);
	assert_int_equal(wire_decode(big, (size_t)len, &back, &why), 0);
	assert_int_equal(back.u.welcome.nb_members, WIRE_MAX_MEMBERS - 1);
	m.u.welcome.nb_members = WIRE_MAX_MEMBERS;
	assert_int_equal(wire_encode(&m, big, WIRE_MAX_MSG), -EINVAL);

	/* Over a socket: WIRE_MAX_MSG bytes are read whole and judged by
	 * what they say (here: garbage); one byte more is refused for its
	 * length; a far longer one is cut by the receive buffer and refused
	 * unread. Each time the connection is dropped and the creator goes
	 * on. */
	test_uuid(1, d0);
	test_uuid(2, d1);
	assert_int_equal(group_create(0, d0, tok, NULL, &gid), 0);
	memset(huge, 0x5a, sizeof(huge));
	for (int i = 0; i < 3; i++) {
		static const size_t sizes[] = {WIRE_MAX_MSG, WIRE_MAX_MSG + 1, sizeof(huge)};
		static const char *const reason[] = {
			"dropped: malformed message: bad magic",
			"dropped: malformed message: longer than the maximum message",
			"dropped: message longer than the protocol allows: over 4096 bytes",
		};

		lim_log_reset();
		raw_connect(&p, gid);
		assert_int_equal(raw_recv(&p, &m, 5000), 1);
		assert_int_equal(m.type, WIRE_CHALLENGE);
		assert_int_equal(raw_send_bytes(&p, huge, sizes[i]), 0);
		assert_true(raw_closed(&p, 5000));
		raw_close(&p);
		assert_int_equal(lim_log_count(reason[i]), 1);
		assert_int_equal(group_join(1, d1, tok, gid, NULL), 0);
		assert_int_equal(group_leave(1, gid), 0);
	}
	assert_int_equal(group_destroy(0, gid), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(groups_per_process, setup),
		cmocka_unit_test_setup(members_per_group, setup),
		cmocka_unit_test_setup(directory_entries, setup),
		cmocka_unit_test_setup(directory_wrap_over_wire, setup),
		cmocka_unit_test_setup(message_size, setup),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	/* 1024 listening sockets, and the joiners' pipes. */
	if (!lim_nofile_at_least(2 * IDD_DMA_GROUP_MAX_PER_PROCESS)) {
		fprintf(stderr, "RLIMIT_NOFILE hard limit below %d: skipped\n",
			2 * IDD_DMA_GROUP_MAX_PER_PROCESS);
		return 77;
	}
	memset(tok, 0x3e, sizeof(tok));
	uuid_hex(tok, tokhex);
	lim_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
