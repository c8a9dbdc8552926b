/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * group_two_process: two processes form an access pair group and copy in
 * all three inter-domain directions, then print what it cost.
 *
 *   creator                                    joiner (this program again)
 *   -------                                    ---------------------------
 *   start the joiner, a pipe on its stdin
 *   create a device, a domain id, a token
 *   create group G
 *   "G TOKEN DOMAIN NAMESPACE" on the pipe --> read it
 *                                              create a device in NAMESPACE
 *                                              allocate three windows:
 *                                              inbox (peers write), outbox
 *                                              (peers read), mirror (peers write)
 *                                              join G with its own domain id
 *   MEMBER_JOINED event                        publish "joiner.inbox",
 *                                              "joiner.outbox", "joiner.mirror"
 *   look the three names up
 *   handlers: our domain, the joiner's
 *   vchan 0: local -> remote   our data      -> joiner.inbox
 *   vchan 1: remote -> local   joiner.outbox -> our buffer (checked here)
 *   vchan 2: remote -> remote  joiner.outbox -> joiner.mirror (a third-party
 *            copy: both sides are the joiner's memory, we touch neither)
 *   [--hold: stay alive with telemetry on, for idd-ctl]
 *   "check" on the pipe ---------------------> check inbox and mirror byte
 *                                              for byte, leave G, exit
 *   MEMBER_LEFT event (printed by the callback)
 *   destroy G, stop and close the device, print the summary
 *
 * Each direction moves TOTAL_LEN bytes in copies of CHUNK_LEN, enqueued in
 * bursts of BURST and submitted once per burst, the way a real application
 * drives a DMA engine.
 *
 * The pipe stands for whatever channel the application already has between
 * its processes ("out of band"): idd never carries the token for you, and
 * the token never goes on a command line, where any user can read it.
 *
 * Usage: group_two_process [inline|thread] [--hold SECONDS]
 *   inline|thread  the engine both processes use (default inline)
 *   --hold S       after the copies, keep both processes alive for S seconds
 *                  (Enter ends it sooner) with telemetry enabled, copying a
 *                  little every 200 ms, so that idd-ctl can show them
 * The joiner is started by the creator as
 * "group_two_process --joiner ENGINE TELEMETRY".
 *
 * Exits 0 when every copy completed successfully and both sides saw the
 * right bytes.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
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
#include <idd/idd_telemetry.h>

#define BUF_LEN (8u << 20)      /* each buffer; copies cycle through it */
#define CHUNK_LEN (64u << 10)   /* one copy */
#define TOTAL_LEN (64u << 20)   /* moved per direction */
#define BURST 32                /* copies per submit */
#define RING_SIZE 256
#define WAIT_MS 30000           /* generous: a loaded machine, sanitizers */
#define HOLD_MAX_S 3600
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

/* ---- the data path ---- */

/* What one direction moved, for the summary. */
struct tally {
	uint64_t bytes;
	uint64_t copies;
	double seconds;
};

/* Move @total bytes from @src to @dst on @vchan in copies of CHUNK_LEN
 * (cycling through BUF_LEN bytes of both), BURST copies per submit.
 * Returns 0 when every copy completed successfully, else -1 with the
 * reason on stderr (a failed status, or WAIT_MS without any completion). */
static int
move(int16_t dev_id, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint64_t total,
     struct tally *t)
{
	enum idd_dma_status_code status[BURST];
	uint64_t copies = total / CHUNK_LEN, enqueued = 0, done = 0;
	double start = now(), deadline = start + WAIT_MS / 1000.0;

	while (done < copies) {
		unsigned int burst = 0;

		/* Enqueue a burst (less if the ring is full), then submit once. */
		while (enqueued < copies && burst < BURST) {
			uint64_t off = enqueued * CHUNK_LEN % BUF_LEN;
			int idx = idd_dma_copy(dev_id, vchan, src + off, dst + off, CHUNK_LEN, 0);

			if (idx == -ENOSPC)
				break; /* collect completions first */
			if (idx < 0) {
				fprintf(stderr, "%s: idd_dma_copy: %s\n", role, strerror(-idx));
				return -1;
			}
			enqueued++;
			burst++;
		}
		if (burst > 0 && idd_dma_submit(dev_id, vchan) < 0) {
			fprintf(stderr, "%s: idd_dma_submit failed\n", role);
			return -1;
		}

		/* Collect what has finished; each copy reports its status. */
		uint16_t n = idd_dma_completed_status(dev_id, vchan, BURST, NULL, status);
		for (uint16_t i = 0; i < n; i++) {
			if (status[i] != IDD_DMA_STATUS_SUCCESSFUL) {
				fprintf(stderr, "%s: vchan %u: copy %" PRIu64 " failed with status %d\n",
					role, vchan, done + i, (int)status[i]);
				return -1;
			}
		}
		done += n;
		if (n > 0) {
			deadline = now() + WAIT_MS / 1000.0;
		} else if (now() > deadline) {
			fprintf(stderr, "%s: vchan %u: no copy completed for %d ms\n", role, vchan,
				WAIT_MS);
			return -1;
		}
	}
	t->seconds += now() - start;
	t->bytes += copies * CHUNK_LEN;
	t->copies += copies;
	return 0;
}

/* ---- events: the callback prints them and hands them to the main thread ---- */

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
	char who[33];

	(void)dev_id;
	to_hex(domain_id, who);
	pthread_mutex_lock(&ev->lock);
	if (event == IDD_DMA_GROUP_EV_MEMBER_JOINED) {
		ev->joined++;
		printf("creator: event MEMBER_JOINED: domain %.8s... joined group %d\n", who,
		       group_id);
	} else if (event == IDD_DMA_GROUP_EV_MEMBER_LEFT) {
		ev->left++;
		printf("creator: event MEMBER_LEFT: domain %.8s... left group %d; "
		       "its handler is no longer valid\n", who, group_id);
	}
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

/* Check one of our windows against the pattern its writer used. */
static bool
check_buffer(const char *name, const uint8_t *p, unsigned int seed)
{
	long bad = pattern_check(p, BUF_LEN, seed);

	if (bad >= 0) {
		fprintf(stderr, "joiner: %s byte %ld is 0x%02x, want 0x%02x\n", name, bad, p[bad],
			pattern_byte(seed, (size_t)bad));
		return false;
	}
	printf("joiner: %s holds the expected %u bytes, checked byte for byte\n", name, BUF_LEN);
	return true;
}

static int
joiner(const char *engine, bool telemetry)
{
	char line[256], token_hex[33], domain_hex[33], ns[40], args[96];
	idd_uuid_t token, creator_domain, my_domain;
	struct idd_dma_group_member members[4];
	uint8_t *inbox = NULL, *outbox = NULL, *mirror = NULL;
	int16_t dev_id = -1, group_id = -1;
	bool joined = false;
	int ret, n, rc = EXIT_FAILURE;

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
	if (telemetry)
		CHECK(idd_telemetry_enable(ns));

	/* 3. Memory the creator may reach: windows from idd_mem_alloc(). The
	 *    inbox and the mirror are writable by peers, the outbox readable.
	 *    Allocated before the join, they reach the creator with it. */
	inbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_WRITE);
	outbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_READ);
	mirror = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_WRITE);
	if (inbox == NULL || outbox == NULL || mirror == NULL)
		FAIL("idd_mem_alloc: %s", strerror(errno));
	memset(inbox, 0, BUF_LEN);
	memset(mirror, 0, BUF_LEN);
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

	/* 5. Publish the buffers: their addresses are our own pointers. */
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.inbox", inbox, BUF_LEN));
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.outbox", outbox, BUF_LEN));
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.mirror", mirror, BUF_LEN));

	/* 6. Wait for the creator's word, then check what it wrote: the inbox
	 *    holds the creator's bytes, the mirror a copy of our outbox that the
	 *    creator made without touching either. */
	if (fgets(line, sizeof(line), stdin) == NULL || strcmp(line, "check\n") != 0)
		FAIL("the creator did not ask for the check");
	if (!check_buffer("inbox (local -> remote)", inbox, CREATOR_SEED) ||
	    !check_buffer("mirror (remote -> remote)", mirror, JOINER_SEED))
		goto out;
	rc = EXIT_SUCCESS;

out:
	/* 7. Leave (the creator hears MEMBER_LEFT), then close the device. */
	if (joined && !atomic_load(&group_destroyed) &&
	    idd_dma_access_pair_group_leave(dev_id, group_id) < 0)
		rc = EXIT_FAILURE;
	if (rc == EXIT_SUCCESS)
		printf("joiner: left group %d, exiting\n", group_id);
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	idd_mem_free(inbox);
	idd_mem_free(outbox);
	idd_mem_free(mirror);
	return rc;
}

/* ---- the creator ---- */

/* Start this program again as the joiner, with a pipe on its stdin. Done
 * before any idd call, so that no thread exists at the fork. */
static pid_t
start_joiner(const char *engine, bool telemetry, FILE **to_joiner)
{
	char self[4096];
	ssize_t n;
	int fds[2];
	pid_t pid;

	/* Our own path, so that the joiner's process name is ours too (exec of
	 * /proc/self/exe would name it "exe" in ps and idd-ctl). */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || pipe(fds) != 0)
		return -1;
	self[n] = '\0';
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(self, "group_two_process", "--joiner", engine,
		      telemetry ? "1" : "0", (char *)NULL);
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

/* --hold: both processes stay, telemetry on, while the user looks at them
 * with idd-ctl. A little copying every 200 ms keeps the counters moving
 * for `idd-ctl watch`. Ends after @seconds, or on a line on stdin. */
static int
hold(int16_t dev_id, const char *ns, pid_t joiner_pid, unsigned int seconds,
     const struct idd_dma_group_buffer bufs[3], const uint8_t *data, uint8_t *copy)
{
	struct tally ignored = {0};
	double end = now() + seconds;
	struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};

	printf("creator: holding for %u s (Enter ends it sooner); telemetry is on in "
	       "namespace %s. In another terminal:\n"
	       "    idd-ctl list --namespace %s\n"
	       "    idd-ctl show %d          (the creator)\n"
	       "    idd-ctl show %d          (the joiner)\n"
	       "    idd-ctl watch %d\n",
	       seconds, ns, ns, (int)getpid(), (int)joiner_pid, (int)getpid());
	printf("hold: creator=%d joiner=%d namespace=%s\n", (int)getpid(), (int)joiner_pid, ns);
	while (now() < end) {
		if (move(dev_id, 0, iova(data), bufs[0].addr, 1u << 20, &ignored) != 0 ||
		    move(dev_id, 1, bufs[1].addr, iova(copy), 1u << 20, &ignored) != 0 ||
		    move(dev_id, 2, bufs[1].addr, bufs[2].addr, 1u << 20, &ignored) != 0)
			return -1;
		/* A line on stdin ends the hold; EOF (stdin is /dev/null) does not. */
		int ret = poll(&in, 1, 200);

		if (ret > 0 && (in.revents & POLLIN) != 0) {
			char line[64];

			if (fgets(line, sizeof(line), stdin) != NULL)
				break;
			in.fd = -1; /* EOF: only the time is left */
		}
	}
	printf("creator: hold over\n");
	return 0;
}

static void
print_summary(const char *engine, const struct tally t[3], const char *verified[3])
{
	static const char *const names[3] = {"local -> remote", "remote -> local",
					     "remote -> remote"};

	printf("\nsummary: engine %s, %u MiB per direction in copies of %u KiB, %d per "
	       "submit\n", engine, TOTAL_LEN >> 20, CHUNK_LEN >> 10, BURST);
	printf("  %-17s %7s %9s %8s %11s  %s\n", "direction", "copies", "time", "GB/s",
	       "copies/s", "verified");
	for (int i = 0; i < 3; i++) {
		double s = t[i].seconds > 0 ? t[i].seconds : 1e-9;

		printf("  %-17s %7" PRIu64 " %6.1f ms %8.2f %11.0f  %s\n", names[i], t[i].copies,
		       s * 1e3, (double)t[i].bytes / s / 1e9, (double)t[i].copies / s,
		       verified[i]);
	}
}

static int
creator(const char *engine, unsigned int hold_s)
{
	struct events ev = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct idd_dma_conf conf = {.nb_vchans = 3};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM,
					   .nb_desc = RING_SIZE};
	struct idd_dma_group_buffer bufs[3], inbox, outbox, mirror;
	struct idd_dma_stats_ext stats;
	struct tally tally[3] = {{0}};
	const char *verified[3] = {"?", "?", "?"};
	idd_uuid_t my_domain, token;
	char token_hex[33], domain_hex[33], ns[40], args[96];
	uint16_t local, remote;
	uint8_t *data = NULL, *copy = NULL;
	int16_t dev_id = -1, group_id = -1;
	FILE *to_joiner = NULL;
	pid_t pid;
	bool started = false, joiner_ok = false;
	int ret, status, rc = EXIT_FAILURE;
	long bad;

	pid = start_joiner(engine, hold_s > 0, &to_joiner);
	if (pid < 0 || to_joiner == NULL)
		FAIL("cannot start the joiner: %s", strerror(errno));

	/* 1. Local buffers. The local side of a vchan is used as it is, so
	 *    plain malloc() memory will do here. */
	data = malloc(BUF_LEN);
	copy = malloc(BUF_LEN);
	if (data == NULL || copy == NULL)
		FAIL("out of memory");
	pattern_fill(data, BUF_LEN, CREATOR_SEED);
	memset(copy, 0, BUF_LEN); /* touched now, not during the timed copies */

	/* 2. A device that can do inter-process transfers, in a namespace of
	 *    our own so that parallel runs never meet. */
	snprintf(ns, sizeof(ns), "example-%d", (int)getpid());
	snprintf(args, sizeof(args), "engine=%s,namespace=%s", engine, ns);
	ret = idd_dma_dev_create("creator", args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;
	if (hold_s > 0)
		CHECK(idd_telemetry_enable(ns)); /* or IDD_TELEMETRY=1 in the environment */

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
	memset(token, 0, sizeof(token));

	/* 5. The joiner joins and publishes its buffers; wait for them. The
	 *    entries carry the joiner's own pointers and its handler here. */
	if (!wait_event(&ev, &ev.joined))
		FAIL("no member joined within %d ms", WAIT_MS);
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.inbox", WAIT_MS, &inbox));
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.outbox", WAIT_MS, &outbox));
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.mirror", WAIT_MS, &mirror));
	if (inbox.len < BUF_LEN || outbox.len < BUF_LEN || mirror.len < BUF_LEN)
		FAIL("the joiner's buffers are too small");
	printf("creator: found joiner.inbox at %#" PRIx64 ", joiner.outbox at %#" PRIx64
	       ", joiner.mirror at %#" PRIx64 " (the joiner's own addresses)\n",
	       inbox.addr, outbox.addr, mirror.addr);

	/* 6. Handlers: one for our own domain, one for the joiner's. */
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, my_domain, &local));
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, inbox.domain_id, &remote));

	/* 7. Three vchans, one per direction. */
	CHECK(idd_dma_configure(dev_id, &conf));
	vconf.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
	vconf.domain.src_handler = local; /* 0: local -> remote */
	vconf.domain.dst_handler = remote;
	CHECK(idd_dma_vchan_setup(dev_id, 0, &vconf));
	vconf.domain.src_handler = remote; /* 1: remote -> local */
	vconf.domain.dst_handler = local;
	CHECK(idd_dma_vchan_setup(dev_id, 1, &vconf));
	vconf.domain.src_handler = remote; /* 2: remote -> remote */
	vconf.domain.dst_handler = remote;
	CHECK(idd_dma_vchan_setup(dev_id, 2, &vconf));
	CHECK(idd_dma_start(dev_id));
	started = true;
	printf("creator: handlers: ours %u, the joiner's %u; vchans 0, 1, 2 started\n",
	       local, remote);

	/* 8. Local to remote: our data into the joiner's inbox. The remote
	 *    address is the joiner's own pointer, as published. */
	if (move(dev_id, 0, iova(data), inbox.addr, TOTAL_LEN, &tally[0]) != 0)
		FAIL("local-to-remote copies failed");

	/* 9. Remote to local: the joiner's outbox into our buffer. */
	if (move(dev_id, 1, outbox.addr, iova(copy), TOTAL_LEN, &tally[1]) != 0)
		FAIL("remote-to-local copies failed");
	bad = pattern_check(copy, BUF_LEN, JOINER_SEED);
	if (bad >= 0)
		FAIL("byte %ld read from the joiner is 0x%02x", bad, copy[bad]);
	verified[1] = "our buffer, byte for byte";

	/* 10. Remote to remote: the joiner's outbox into its mirror. Both
	 *     addresses are the joiner's; no byte passes through us. */
	if (move(dev_id, 2, outbox.addr, mirror.addr, TOTAL_LEN, &tally[2]) != 0)
		FAIL("remote-to-remote copies failed");
	printf("creator: copied %u MiB in each direction; the joiner's outbox arrived here "
	       "intact\n", TOTAL_LEN >> 20);

	if (hold_s > 0) {
		bufs[0] = inbox;
		bufs[1] = outbox;
		bufs[2] = mirror;
		if (hold(dev_id, ns, pid, hold_s, bufs, data, copy) != 0)
			FAIL("copies during the hold failed");
	}
	CHECK(idd_dma_stats_ext_get(dev_id, IDD_DMA_ALL_VCHAN, &stats));
	printf("creator: device counters: %" PRIu64 " copies, %" PRIu64 " bytes, %" PRIu64
	       " errors\n", stats.completed, stats.bytes, stats.errors);

	/* 11. Let the joiner check its inbox and mirror; it leaves when done,
	 *     and the callback prints MEMBER_LEFT. */
	fprintf(to_joiner, "check\n");
	fflush(to_joiner);
	if (!wait_event(&ev, &ev.left))
		FAIL("the joiner did not leave within %d ms", WAIT_MS);

	/* 12. Nobody else is in the group: destroy it. */
	CHECK(idd_dma_access_pair_group_destroy(dev_id, group_id));
	group_id = -1;
	rc = EXIT_SUCCESS;

out:
	if (to_joiner != NULL)
		fclose(to_joiner); /* on failure, the joiner sees EOF and gives up */
	if (pid > 0) {
		if (waitpid(pid, &status, 0) != pid) {
			fprintf(stderr, "creator: waitpid for the joiner: %s\n", strerror(errno));
			rc = EXIT_FAILURE;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			joiner_ok = true;
		} else {
			if (WIFSIGNALED(status))
				fprintf(stderr, "creator: the joiner failed (signal %d)\n",
					WTERMSIG(status));
			else
				fprintf(stderr, "creator: the joiner failed (exit status %d)\n",
					WEXITSTATUS(status));
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
	if (rc == EXIT_SUCCESS && joiner_ok) {
		verified[0] = "joiner's inbox, byte for byte";
		verified[2] = "joiner's mirror, byte for byte";
		print_summary(engine, tally, verified);
		printf("group destroyed, device closed: OK\n");
	}
	return rc;
}

static int
usage(FILE *out, int status)
{
	fprintf(out, "Usage: group_two_process [inline|thread] [--hold SECONDS]\n");
	return status;
}

int
main(int argc, char **argv)
{
	const char *engine = "inline";
	unsigned long hold_s = 0;

	/* Whole lines, so that the two processes' output interleaves cleanly. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "--joiner") == 0)
		return joiner(argv[2], strcmp(argv[3], "1") == 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "inline") == 0 || strcmp(argv[i], "thread") == 0) {
			engine = argv[i];
		} else if (strcmp(argv[i], "--help") == 0) {
			return usage(stdout, EXIT_SUCCESS);
		} else if (strcmp(argv[i], "--hold") == 0) {
			const char *s = i + 1 < argc ? argv[++i] : "";
			char *end;

			errno = 0;
			hold_s = strtoul(s, &end, 10);
			if (errno != 0 || *end != '\0' || s[0] == '-' || hold_s == 0 ||
			    hold_s > HOLD_MAX_S) {
				fprintf(stderr, "group_two_process: bad --hold '%s' (want 1..%d "
						"seconds)\n", s, HOLD_MAX_S);
				return usage(stderr, 2); /* 2: bad usage */
			}
		} else {
			fprintf(stderr, "group_two_process: unexpected argument '%s'\n", argv[i]);
			return usage(stderr, 2);
		}
	}
	return creator(engine, (unsigned int)hold_s);
}
