/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * group_two_process: two processes copy into and out of each other's memory
 * through an access pair group.
 *
 *   creator                                    joiner (this program again)
 *   -------                                    ---------------------------
 *   start the joiner, a pipe on its stdin
 *   create a device, a domain id, a token
 *   create group G
 *   "G TOKEN DOMAIN NAMESPACE" on the pipe --> read it
 *                                              create a device in NAMESPACE
 *                                              allocate an inbox (peers write)
 *                                              and an outbox (peers read)
 *                                              join G with its own domain id
 *   MEMBER_JOINED event                        publish "joiner.inbox", "joiner.outbox"
 *   look both names up in G's directory
 *   handlers: our domain, the joiner's
 *   vchan 0: local -> remote, vchan 1: remote -> local
 *   copy our data into joiner.inbox
 *   copy joiner.outbox here and check it
 *   "check" on the pipe ---------------------> check the inbox, leave G, exit
 *   MEMBER_LEFT event
 *   destroy G, stop and close the device
 *
 * The pipe stands for whatever channel the application already has between
 * its processes ("out of band"): idd never carries the token for you, and
 * the token never goes on a command line, where any user can read it.
 *
 * Usage: group_two_process [inline|thread]
 *   The engine both processes use (default inline). The joiner is started
 *   by the creator as "group_two_process --joiner ENGINE".
 *
 * Exits 0 when every copy completed successfully and both sides saw the
 * right bytes.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#define BUF_LEN (1u << 20)
#define RING_SIZE 64
#define WAIT_MS 10000
#define CREATOR_SEED 0x11
#define JOINER_SEED 0x22

static const char *role = "creator";

#define FAIL(...)                                                                          \
	do {                                                                               \
		fprintf(stderr, "%s: ", role);                                             \
		fprintf(stderr, __VA_ARGS__);                                              \
		fprintf(stderr, "\n");                                                     \
		goto out;                                                                  \
	} while (0)

/* Run an idd call that returns 0 or a negative errno; fail on error. */
#define CHECK(call)                                                                        \
	do {                                                                               \
		int ret_ = (call);                                                         \
		if (ret_ < 0)                                                              \
			FAIL("%s failed: %s", #call, strerror(-ret_));                     \
	} while (0)

/* ---- helpers ---- */

static idd_iova_t
iova(const void *p)
{
	return (idd_iova_t)(uintptr_t)p;
}

static uint8_t
pattern_byte(unsigned int seed, size_t i)
{
	return (uint8_t)(seed + i * 7 + (i >> 9));
}

static void
pattern_fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

/* Offset of the first byte that is not the pattern, or -1. */
static long
pattern_check(const uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, i))
			return (long)i;
	return -1;
}

/* 16 random bytes: a domain id or a token. (uuid_generate_random() from
 * libuuid would do as well: idd_uuid_t has uuid_t's layout.) */
static int
random_id(idd_uuid_t id)
{
	return getrandom(id, sizeof(idd_uuid_t), 0) == (ssize_t)sizeof(idd_uuid_t) ? 0 : -EIO;
}

static void
to_hex(const idd_uuid_t id, char hex[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

static int
from_hex(const char *hex, idd_uuid_t id)
{
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		id[i] = (unsigned char)b;
	}
	return hex[32] == '\0' ? 0 : -EINVAL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Enqueue one copy, submit it, and wait for its completion. Returns its
 * status, or -1 if it did not complete in time. */
static int
copy_and_wait(int16_t dev_id, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t len)
{
	enum idd_dma_status_code status;
	double deadline = now() + WAIT_MS / 1000.0;
	int idx;

	idx = idd_dma_copy(dev_id, vchan, src, dst, len, IDD_DMA_OP_FLAG_SUBMIT);
	if (idx < 0)
		return -1;
	while (idd_dma_completed_status(dev_id, vchan, 1, NULL, &status) == 0) {
		if (now() > deadline)
			return -1;
	}
	return (int)status;
}

/* ---- events: the callback hands them to the main thread ---- */

struct events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int joined;
	unsigned int left;
};

/* Runs on idd's control thread. It may call idd functions, but should be
 * quick: the control thread serves every group of the process. */
static void
on_group_event(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	       enum idd_dma_group_event event, void *user_data)
{
	struct events *ev = user_data;

	(void)dev_id;
	(void)group_id;
	(void)domain_id;
	pthread_mutex_lock(&ev->lock);
	if (event == IDD_DMA_GROUP_EV_MEMBER_JOINED)
		ev->joined++;
	else if (event == IDD_DMA_GROUP_EV_MEMBER_LEFT)
		ev->left++;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

/* Wait until *counter is non-zero; false after WAIT_MS. */
static bool
wait_event(struct events *ev, const unsigned int *counter)
{
	struct timespec ts;
	bool seen;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&ev->lock);
	while (*counter == 0 && ret == 0)
		ret = pthread_cond_timedwait(&ev->cond, &ev->lock, &ts);
	seen = *counter != 0;
	pthread_mutex_unlock(&ev->lock);
	return seen;
}

/* The joiner's upstream-style callback: no user pointer, so a global. */
static atomic_bool group_destroyed;

static void
on_upstream_event(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
		  enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id;
	(void)group_id;
	(void)domain_id;
	if (event == IDD_DMA_GROUP_EVENT_GROUP_DESTROYED)
		atomic_store(&group_destroyed, true);
}

/* ---- the joiner ---- */

static int
joiner(const char *engine)
{
	char line[256], token_hex[33], domain_hex[33], ns[40], args[96];
	idd_uuid_t token, creator_domain, my_domain;
	struct idd_dma_group_member members[4];
	uint8_t *inbox = NULL, *outbox = NULL;
	int16_t dev_id = -1, group_id = -1;
	bool joined = false;
	int ret, n, rc = EXIT_FAILURE;
	long bad;

	role = "joiner";
	/* 1. What the creator tells us out of band: group id, token, its
	 *    domain id, and the namespace its device uses. */
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    sscanf(line, "%d %32s %32s %39s", &n, token_hex, domain_hex, ns) != 4 ||
	    n < 0 || n > INT16_MAX || from_hex(token_hex, token) != 0 ||
	    from_hex(domain_hex, creator_domain) != 0)
		FAIL("no valid group description on stdin");
	group_id = (int16_t)n;
	memset(token_hex, 0, sizeof(token_hex)); /* keep secrets no longer than needed */

	/* 2. A device in the creator's namespace (groups meet only there). */
	snprintf(args, sizeof(args), "engine=%s,namespace=%s", engine, ns);
	ret = idd_dma_dev_create("joiner", args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;

	/* 3. Memory the creator may reach: windows from idd_mem_alloc(). The
	 *    inbox is writable by peers, the outbox readable. Allocated before
	 *    the join, they reach the creator with it. */
	inbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_WRITE);
	outbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_READ);
	if (inbox == NULL || outbox == NULL)
		FAIL("idd_mem_alloc: %s", strerror(errno));
	memset(inbox, 0, BUF_LEN);
	pattern_fill(outbox, BUF_LEN, JOINER_SEED);

	/* 4. Join with a domain id of our own. */
	CHECK(random_id(my_domain));
	CHECK(idd_dma_access_pair_group_join(dev_id, my_domain, token, group_id,
					     on_upstream_event));
	joined = true;
	memset(token, 0, sizeof(token));
	printf("joiner: joined group %d\n", group_id);

	/* The member list says who is in the group; the creator must be the
	 * domain we were told about. */
	n = idd_dma_access_pair_group_members(dev_id, group_id, members, 4);
	CHECK(n);
	for (int i = 0; i < n && i < 4; i++) {
		if (members[i].is_creator &&
		    memcmp(members[i].domain_id, creator_domain, sizeof(idd_uuid_t)) != 0)
			FAIL("the group's creator is not the domain we were told about");
		printf("joiner: member pid %d%s%s\n", (int)members[i].pid,
		       members[i].is_creator ? " (creator)" : "", members[i].is_self ? " (us)" : "");
	}

	/* 5. Publish the two buffers: their addresses are our own pointers. */
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.inbox", inbox, BUF_LEN));
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.outbox", outbox, BUF_LEN));

	/* 6. Wait for the creator's word, then check what it wrote. */
	if (fgets(line, sizeof(line), stdin) == NULL || strcmp(line, "check\n") != 0)
		FAIL("the creator did not ask for the check");
	bad = pattern_check(inbox, BUF_LEN, CREATOR_SEED);
	if (bad >= 0)
		FAIL("inbox byte %ld is 0x%02x, want 0x%02x", bad, inbox[bad],
		     pattern_byte(CREATOR_SEED, (size_t)bad));
	printf("joiner: the creator's %u bytes arrived in our inbox intact\n", BUF_LEN);
	rc = EXIT_SUCCESS;

out:
	/* 7. Leave (the creator hears MEMBER_LEFT), then close the device. */
	if (joined && !atomic_load(&group_destroyed) &&
	    idd_dma_access_pair_group_leave(dev_id, group_id) < 0)
		rc = EXIT_FAILURE;
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	idd_mem_free(inbox);
	idd_mem_free(outbox);
	return rc;
}

/* ---- the creator ---- */

/* Start this program again as the joiner, with a pipe on its stdin. Done
 * before any idd call, so that no thread exists at the fork. */
static pid_t
start_joiner(const char *engine, FILE **to_joiner)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/proc/self/exe", "group_two_process", "--joiner", engine, (char *)NULL);
		perror("group_two_process: exec");
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	*to_joiner = fdopen(fds[1], "w");
	return pid;
}

static int
creator(const char *engine)
{
	struct events ev = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct idd_dma_conf conf = {.nb_vchans = 2};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM,
					   .nb_desc = RING_SIZE};
	struct idd_dma_group_buffer inbox, outbox;
	struct idd_dma_stats_ext stats;
	idd_uuid_t my_domain, token;
	char token_hex[33], domain_hex[33], ns[40], args[96];
	uint16_t local, remote;
	uint8_t *data = NULL, *copy = NULL;
	int16_t dev_id = -1, group_id = -1;
	FILE *to_joiner = NULL;
	pid_t pid;
	bool started = false;
	int ret, status, rc = EXIT_FAILURE;
	double t0;
	long bad;

	pid = start_joiner(engine, &to_joiner);
	if (pid < 0 || to_joiner == NULL)
		FAIL("cannot start the joiner: %s", strerror(errno));

	/* 1. Local buffers. The local side of a vchan is used as it is, so
	 *    plain malloc() memory will do here. */
	data = malloc(BUF_LEN);
	copy = calloc(1, BUF_LEN);
	if (data == NULL || copy == NULL)
		FAIL("out of memory");
	pattern_fill(data, BUF_LEN, CREATOR_SEED);

	/* 2. A device that can do inter-process transfers, in a namespace of
	 *    our own so that parallel runs never meet. */
	snprintf(ns, sizeof(ns), "example-%d", (int)getpid());
	snprintf(args, sizeof(args), "engine=%s,namespace=%s", engine, ns);
	ret = idd_dma_dev_create("creator", args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;

	/* 3. Create the group: our domain id and a random 128-bit token. */
	CHECK(random_id(my_domain));
	CHECK(random_id(token));
	CHECK(idd_dma_access_pair_group_create(dev_id, my_domain, token, &group_id, NULL));
	CHECK(idd_dma_access_pair_group_event_register(dev_id, group_id, on_group_event, &ev));
	printf("creator: created group %d in namespace %s\n", group_id, ns);

	/* 4. Out of band: group id, token, our domain id, the namespace. */
	to_hex(token, token_hex);
	to_hex(my_domain, domain_hex);
	fprintf(to_joiner, "%d %s %s %s\n", group_id, token_hex, domain_hex, ns);
	fflush(to_joiner);
	memset(token_hex, 0, sizeof(token_hex));

	/* 5. The joiner joins and publishes its buffers; wait for both. */
	if (!wait_event(&ev, &ev.joined))
		FAIL("no member joined within %d ms", WAIT_MS);
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.inbox", WAIT_MS, &inbox));
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.outbox", WAIT_MS, &outbox));
	if (inbox.len < BUF_LEN || outbox.len < BUF_LEN)
		FAIL("the joiner's buffers are too small");

	/* 6. Handlers: one for our own domain, one for the joiner's. */
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, my_domain, &local));
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, inbox.domain_id, &remote));

	/* 7. Two vchans: 0 writes into the joiner, 1 reads from it. */
	CHECK(idd_dma_configure(dev_id, &conf));
	vconf.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
	vconf.domain.src_handler = local;
	vconf.domain.dst_handler = remote;
	CHECK(idd_dma_vchan_setup(dev_id, 0, &vconf));
	vconf.domain.src_handler = remote;
	vconf.domain.dst_handler = local;
	CHECK(idd_dma_vchan_setup(dev_id, 1, &vconf));
	CHECK(idd_dma_start(dev_id));
	started = true;

	/* 8. Local to remote: our data into the joiner's inbox. The remote
	 *    address is the joiner's own pointer, as published. */
	t0 = now();
	ret = copy_and_wait(dev_id, 0, iova(data), inbox.addr, BUF_LEN);
	if (ret != IDD_DMA_STATUS_SUCCESSFUL)
		FAIL("local-to-remote copy: status %d", ret);

	/* 9. Remote to local: the joiner's outbox into our buffer. */
	ret = copy_and_wait(dev_id, 1, outbox.addr, iova(copy), BUF_LEN);
	if (ret != IDD_DMA_STATUS_SUCCESSFUL)
		FAIL("remote-to-local copy: status %d", ret);
	printf("creator: copied %u bytes each way in %.1f ms\n", BUF_LEN, (now() - t0) * 1e3);
	bad = pattern_check(copy, BUF_LEN, JOINER_SEED);
	if (bad >= 0)
		FAIL("byte %ld read from the joiner is 0x%02x", bad, copy[bad]);
	printf("creator: the joiner's outbox arrived here intact\n");
	CHECK(idd_dma_stats_ext_get(dev_id, IDD_DMA_ALL_VCHAN, &stats));
	printf("creator: %" PRIu64 " copies, %" PRIu64 " bytes, %" PRIu64 " errors\n",
	       stats.completed, stats.bytes, stats.errors);

	/* 10. Let the joiner check its inbox; it leaves when done. */
	fprintf(to_joiner, "check\n");
	fflush(to_joiner);
	if (!wait_event(&ev, &ev.left))
		FAIL("the joiner did not leave within %d ms", WAIT_MS);
	printf("creator: the joiner left\n");

	/* 11. Nobody else is in the group: destroy it. */
	CHECK(idd_dma_access_pair_group_destroy(dev_id, group_id));
	group_id = -1;
	rc = EXIT_SUCCESS;

out:
	if (to_joiner != NULL)
		fclose(to_joiner); /* on failure, the joiner sees EOF and gives up */
	if (pid > 0) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "creator: the joiner failed\n");
			rc = EXIT_FAILURE;
		}
	}
	if (started && idd_dma_stop(dev_id) < 0)
		rc = EXIT_FAILURE;
	/* Closing the device also ends a group it still hosts. */
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	free(data);
	free(copy);
	if (rc == EXIT_SUCCESS)
		printf("creator: group destroyed, device closed: OK\n");
	return rc;
}

int
main(int argc, char **argv)
{
	/* Whole lines, so that the two processes' output interleaves cleanly. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--joiner") == 0)
		return joiner(argv[2]);
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "inline") != 0 &&
			 strcmp(argv[1], "thread") != 0)) {
		fprintf(stderr, "Usage: group_two_process [inline|thread]\n");
		return EXIT_FAILURE;
	}
	return creator(argc == 2 ? argv[1] : "inline");
}
