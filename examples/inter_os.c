/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inter_os: two "hosts" that share no memory form an access pair group
 * through the fabric driver and copy between them over TCP (libfabric RMA).
 *
 * The hosts are two network namespaces joined by a veth pair, made here
 * and removed on every way out (this needs root). With --loopback both
 * ends run on 127.0.0.1 instead, which any user can do.
 *
 *   this program (the conductor): make hosts h1 and h2, fork the creator
 *   (which forks the joiner), wait for it, remove the hosts
 *
 *   creator (on h1, 10.213.0.1)                joiner (on h2, 10.213.0.2)
 *   ---------------------------                --------------------------
 *   a fabric device listening on h1's address
 *   create group G with a domain id and a token
 *   "G TOKEN DOMAIN ADDRESS" on a pipe ------> read it
 *                                              a fabric device bound to h2's
 *                                              address that joins at ADDRESS
 *                                              allocate an inbox (peers write)
 *                                              and an outbox (peers read)
 *                                              join G; publish "joiner.inbox"
 *   MEMBER_JOINED event                        and "joiner.outbox"
 *   look the two names up
 *   remote -> remote: refused (-ENOTSUP), there is no RMA for it
 *   vchan 0: local -> remote  our data      -> joiner.inbox  (fi_write)
 *   vchan 1: remote -> local  joiner.outbox -> our buffer    (fi_read)
 *   "check" on the pipe ---------------------> check the inbox byte for
 *                                              byte, leave G, exit
 *   MEMBER_LEFT event (printed by the callback)
 *   destroy G, close the device, print the summary
 *
 * The pipe stands for whatever channel the application already has between
 * its hosts ("out of band"): the token never travels through idd, nor on a
 * command line. See doc/inter-os.md.
 *
 * Usage: inter_os [--loopback]
 * Exits 0 when every copy completed and both sides saw the right bytes;
 * 77 when namespaces cannot be made (not root) and --loopback was not given.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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

#define BUF_LEN (16u << 20)     /* each buffer; copies cycle through it */
#define CHUNK_LEN (1u << 20)    /* one copy */
#define TOTAL_LEN (64u << 20)   /* moved per direction */
#define BURST 16                /* copies per submit */
#define RING_SIZE 256
#define WAIT_MS 10000
#define ALARM_S 60              /* a host process that hangs is killed */
#define PORT 7471               /* in the namespaces; random on 127.0.0.1 */
#define CREATOR_SEED 0x33
#define JOINER_SEED 0x44

static const char *role = "inter_os";

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

/* ---- the two hosts ---- */

struct hosts {
	bool netns;          /* false: both on 127.0.0.1 */
	bool made[2];        /* which namespaces exist, for the teardown */
	char ns[2][32];
	char ip[2][16];
};

static struct hosts hosts;
static pid_t conductor;
static volatile pid_t creator_pid; /* ended with the conductor on a signal */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[320];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Remove what hosts_up() made. Only the conductor does, once. */
static void
hosts_down(void)
{
	if (getpid() != conductor)
		return;
	for (int i = 0; i < 2; i++) {
		if (hosts.made[i])
			sh("ip netns del %s 2>/dev/null", hosts.ns[i]);
		hosts.made[i] = false;
	}
}

static void
on_signal(int sig)
{
	if (creator_pid > 0)
		kill(creator_pid, SIGKILL); /* the joiner then sees the pipe close */
	hosts_down();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Two namespaces with a veth pair between them: "eth0" on each side.
 * Names carry our pid, so parallel runs never meet. 0, or -1 when the
 * first namespace cannot be made (not root), or -2 on a later failure. */
static int
hosts_up(void)
{
	unsigned int id = (unsigned int)getpid();

	for (int i = 0; i < 2; i++) {
		snprintf(hosts.ns[i], sizeof(hosts.ns[i]), "idd-demo-%u-h%d", id, i + 1);
		snprintf(hosts.ip[i], sizeof(hosts.ip[i]), "10.213.0.%d", i + 1);
	}
	if (sh("ip netns add %s 2>/dev/null", hosts.ns[0]) != 0)
		return -1;
	hosts.made[0] = true;
	if (sh("ip netns add %s", hosts.ns[1]) != 0)
		return -2;
	hosts.made[1] = true;
	for (int i = 0; i < 2; i++) {
		if (i == 0 && sh("ip -n %s link add eth0 type veth peer name eth0 netns %s",
				 hosts.ns[0], hosts.ns[1]) != 0)
			return -2;
		if (sh("ip -n %s addr add %s/24 dev eth0 && ip -n %s link set eth0 up && "
		       "ip -n %s link set lo up", hosts.ns[i], hosts.ip[i], hosts.ns[i],
		       hosts.ns[i]) != 0)
			return -2;
	}
	hosts.netns = true;
	return 0;
}

/* Move the calling process onto host @i (its network namespace). */
static int
enter_host(int i)
{
	char path[64];
	int fd, ret;

	if (!hosts.netns)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", hosts.ns[i]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
	close(fd);
	return ret;
}

/* ---- helpers ---- */

static idd_iova_t
iova(const void *p)
{
	return (idd_iova_t)(uintptr_t)p;
}

static uint8_t
pattern_byte(unsigned int seed, size_t i)
{
	return (uint8_t)(seed + i * 13 + (i >> 11));
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

struct tally {
	uint64_t bytes;
	uint64_t copies;
	double seconds;
};

/* Move @total bytes from @src to @dst on @vchan in copies of CHUNK_LEN
 * (cycling through BUF_LEN bytes of both), BURST copies per submit. 0 when
 * every copy completed successfully, else -1 with the reason on stderr. */
static int
move(int16_t dev_id, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint64_t total,
     struct tally *t)
{
	enum idd_dma_status_code status[BURST];
	uint64_t copies = total / CHUNK_LEN, enqueued = 0, done = 0;
	double start = now(), deadline = start + WAIT_MS / 1000.0;

	while (done < copies) {
		unsigned int burst = 0;

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
		uint16_t n = idd_dma_completed_status(dev_id, vchan, BURST, NULL, status);
		for (uint16_t i = 0; i < n; i++) {
			if (status[i] != IDD_DMA_STATUS_SUCCESSFUL) {
				fprintf(stderr, "%s: vchan %u: copy %" PRIu64 " failed with status %d\n",
					role, vchan, done + i, (int)status[i]);
				return -1;
			}
		}
		done += n;
		/* Nothing enqueued, nothing finished: the driver's engine
		 * threads move the data, so give them the CPU rather than
		 * spin (here both "hosts" share one machine's cores). */
		if (n == 0 && burst == 0)
			sched_yield();
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

/* ---- events: printed by the callback, counted for the main thread ---- */

struct events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int joined;
	unsigned int left;
};

/* Runs on the device's control thread. */
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
		printf("creator: event MEMBER_LEFT: domain %.8s... left group %d\n", who, group_id);
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

/* ---- the joiner, on host 2 ---- */

static int
joiner(FILE *from_creator)
{
	char line[256], token_hex[33], domain_hex[33], addr[40], args[160];
	idd_uuid_t token, creator_domain, my_domain;
	uint8_t *inbox = NULL, *outbox = NULL;
	int16_t dev_id = -1, group_id = -1;
	bool joined = false;
	int ret, n, rc = EXIT_FAILURE;
	long bad;

	role = "joiner";
	/* 1. What the creator tells us out of band: group id, token, its
	 *    domain id, and the address its device serves groups on. */
	if (fgets(line, sizeof(line), from_creator) == NULL ||
	    sscanf(line, "%d %32s %32s %39s", &n, token_hex, domain_hex, addr) != 4 ||
	    n < 0 || n > INT16_MAX || from_hex(token_hex, token) != 0 ||
	    from_hex(domain_hex, creator_domain) != 0)
		FAIL("no valid group description from the creator");
	group_id = (int16_t)n;
	memset(token_hex, 0, sizeof(token_hex));

	/* 2. A fabric device on our host's address that joins at the
	 *    creator's. It cannot create groups (no listen=). */
	snprintf(args, sizeof(args), "driver=fabric,bind=%s,connect=%s", hosts.ip[1], addr);
	ret = idd_dma_dev_create("joiner", args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;

	/* 3. Windows the creator may reach: registered with libfabric and
	 *    announced to the group with their keys. */
	inbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_WRITE);
	outbox = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_READ);
	if (inbox == NULL || outbox == NULL)
		FAIL("idd_mem_alloc: %s", strerror(errno));
	memset(inbox, 0, BUF_LEN);
	pattern_fill(outbox, BUF_LEN, JOINER_SEED);

	/* 4. Join (challenge-response with the token; it never travels). */
	CHECK(random_id(my_domain));
	CHECK(idd_dma_access_pair_group_join(dev_id, my_domain, token, group_id, NULL));
	joined = true;
	memset(token, 0, sizeof(token));
	printf("joiner: joined group %d at %s from %s\n", group_id, addr, hosts.ip[1]);

	/* 5. Publish the buffers under names: their addresses are our own
	 *    pointers; the creator finds them in the group's directory. */
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.inbox", inbox, BUF_LEN));
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id, "joiner.outbox", outbox, BUF_LEN));

	/* 6. Wait for the creator's word, then check what it wrote. */
	if (fgets(line, sizeof(line), from_creator) == NULL || strcmp(line, "check\n") != 0)
		FAIL("the creator did not ask for the check");
	bad = pattern_check(inbox, BUF_LEN, CREATOR_SEED);
	if (bad >= 0)
		FAIL("inbox byte %ld is 0x%02x, want 0x%02x", bad, inbox[bad],
		     pattern_byte(CREATOR_SEED, (size_t)bad));
	printf("joiner: inbox holds the creator's %u MiB, checked byte for byte\n", BUF_LEN >> 20);
	rc = EXIT_SUCCESS;

out:
	/* 7. Leave: the creator hears MEMBER_LEFT. */
	if (joined && idd_dma_access_pair_group_leave(dev_id, group_id) < 0)
		rc = EXIT_FAILURE;
	if (rc == EXIT_SUCCESS)
		printf("joiner: left group %d, exiting\n", group_id);
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	idd_mem_free(inbox);
	idd_mem_free(outbox);
	return rc;
}

/* ---- the creator, on host 1 ---- */

/* A device serving groups on host 1: port PORT in the namespaces, a free
 * random port on 127.0.0.1 (where other programs listen too). */
static int
creator_device(char addr[40])
{
	for (int tries = 0; tries < 32; tries++) {
		char args[96];
		uint32_t r = 0;
		int ret;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -EIO;
		snprintf(addr, 40, "%s:%u", hosts.ip[0], hosts.netns ? PORT : 20000u + r % 40000u);
		snprintf(args, sizeof(args), "driver=fabric,listen=%s", addr);
		ret = idd_dma_dev_create("creator", args);
		if (ret != -EADDRINUSE || hosts.netns)
			return ret;
	}
	return -EADDRINUSE;
}

static void
print_summary(const struct tally t[2])
{
	static const char *const names[2] = {"local -> remote", "remote -> local"};
	static const char *const verified[2] = {"joiner's inbox, byte for byte",
						"our buffer, byte for byte"};

	printf("\nsummary: %s, %u MiB per direction in copies of %u KiB, %d per submit\n",
	       hosts.netns ? "two network namespaces over a veth pair" : "both ends on 127.0.0.1",
	       TOTAL_LEN >> 20, CHUNK_LEN >> 10, BURST);
	printf("  %-17s %7s %9s %8s  %s\n", "direction", "copies", "time", "GB/s", "verified");
	for (int i = 0; i < 2; i++) {
		double s = t[i].seconds > 0 ? t[i].seconds : 1e-9;

		printf("  %-17s %7" PRIu64 " %6.1f ms %8.2f  %s\n", names[i], t[i].copies, s * 1e3,
		       (double)t[i].bytes / s / 1e9, verified[i]);
	}
	printf("  %-17s %7s %9s %8s  %s\n", "remote -> remote", "-", "-", "-",
	       "refused (-ENOTSUP) as documented");
}

static int
creator(FILE *to_joiner, pid_t joiner_pid)
{
	struct events ev = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct idd_dma_conf conf = {.nb_vchans = 2};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM,
					   .nb_desc = RING_SIZE};
	struct idd_dma_group_buffer inbox, outbox;
	struct tally tally[2] = {{0}};
	idd_uuid_t my_domain, token;
	char token_hex[33], domain_hex[33], addr[40];
	uint16_t local, remote;
	uint8_t *data = NULL, *copy = NULL;
	int16_t dev_id = -1, group_id = -1;
	bool started = false, joiner_ok = false;
	int ret, status, rc = EXIT_FAILURE;
	long bad;

	role = "creator";
	/* 1. Local buffers: the local side of a vchan is used as it is, so
	 *    plain malloc() memory will do. */
	data = malloc(BUF_LEN);
	copy = malloc(BUF_LEN);
	if (data == NULL || copy == NULL)
		FAIL("out of memory");
	pattern_fill(data, BUF_LEN, CREATOR_SEED);
	memset(copy, 0, BUF_LEN);

	/* 2. A fabric device that serves groups on our host's address. */
	ret = creator_device(addr);
	if (ret < 0)
		FAIL("cannot create a fabric device listening on %s: %s", addr, strerror(-ret));
	dev_id = (int16_t)ret;

	/* 3. The group: our domain id and a random 128-bit token. */
	CHECK(random_id(my_domain));
	CHECK(random_id(token));
	CHECK(idd_dma_access_pair_group_create(dev_id, my_domain, token, &group_id, NULL));
	CHECK(idd_dma_access_pair_group_event_register(dev_id, group_id, on_group_event, &ev));
	printf("creator: created group %d, served on %s\n", group_id, addr);

	/* 4. Out of band: group id, token, our domain id, the address. */
	to_hex(token, token_hex);
	to_hex(my_domain, domain_hex);
	fprintf(to_joiner, "%d %s %s %s\n", group_id, token_hex, domain_hex, addr);
	fflush(to_joiner);
	memset(token_hex, 0, sizeof(token_hex));
	memset(token, 0, sizeof(token));

	/* 5. The joiner joins from its host and publishes its buffers. */
	if (!wait_event(&ev, &ev.joined))
		FAIL("no member joined within %d ms", WAIT_MS);
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.inbox", WAIT_MS, &inbox));
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "joiner.outbox", WAIT_MS, &outbox));
	if (inbox.len < BUF_LEN || outbox.len < BUF_LEN)
		FAIL("the joiner's buffers are too small");
	printf("creator: found joiner.inbox at %#" PRIx64 ", joiner.outbox at %#" PRIx64
	       " (addresses in the joiner's process)\n",
	       inbox.addr, outbox.addr);

	/* 6. Handlers: ours and the joiner's. */
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, my_domain, &local));
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, inbox.domain_id, &remote));

	/* 7. Remote to remote (both ends the joiner's: a third-party copy) has
	 *    no RMA equivalent across hosts, and the driver says so instead of
	 *    faking it (one log line, -ENOTSUP). Copy through a local buffer
	 *    if you need it. */
	CHECK(idd_dma_configure(dev_id, &conf));
	vconf.domain.type = IDD_DMA_INTER_OS_DOMAIN;
	vconf.domain.src_handler = remote;
	vconf.domain.dst_handler = remote;
	ret = idd_dma_vchan_setup(dev_id, 0, &vconf);
	if (ret != -ENOTSUP)
		FAIL("a remote -> remote vchan returned %d, want -ENOTSUP", ret);
	printf("creator: remote -> remote vchan refused: %s (no RMA for a third-party copy "
	       "between hosts)\n", strerror(-ret));

	/* 8. Inter-OS vchans: 0 writes to the joiner, 1 reads from it. */
	vconf.domain.src_handler = local;
	vconf.domain.dst_handler = remote;
	CHECK(idd_dma_vchan_setup(dev_id, 0, &vconf));
	vconf.domain.src_handler = remote;
	vconf.domain.dst_handler = local;
	CHECK(idd_dma_vchan_setup(dev_id, 1, &vconf));
	CHECK(idd_dma_start(dev_id));
	started = true;

	/* 9. Local to remote: our data into the joiner's inbox. */
	if (move(dev_id, 0, iova(data), inbox.addr, TOTAL_LEN, &tally[0]) != 0)
		FAIL("local-to-remote copies failed");

	/* 10. Remote to local: the joiner's outbox into our buffer. */
	if (move(dev_id, 1, outbox.addr, iova(copy), TOTAL_LEN, &tally[1]) != 0)
		FAIL("remote-to-local copies failed");
	bad = pattern_check(copy, BUF_LEN, JOINER_SEED);
	if (bad >= 0)
		FAIL("byte %ld read from the joiner is 0x%02x, want 0x%02x", bad, copy[bad],
		     pattern_byte(JOINER_SEED, (size_t)bad));
	printf("creator: copied %u MiB each way; the joiner's outbox arrived here intact\n",
	       TOTAL_LEN >> 20);

	/* 11. Let the joiner check its inbox; it leaves when done. */
	fprintf(to_joiner, "check\n");
	fflush(to_joiner);
	if (!wait_event(&ev, &ev.left))
		FAIL("the joiner did not leave within %d ms", WAIT_MS);

	/* 12. Nobody else is in the group: destroy it. */
	CHECK(idd_dma_access_pair_group_destroy(dev_id, group_id));
	rc = EXIT_SUCCESS;

out:
	fclose(to_joiner); /* on failure, the joiner sees EOF and gives up */
	if (waitpid(joiner_pid, &status, 0) == joiner_pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		joiner_ok = true;
	else
		rc = EXIT_FAILURE;
	if (started && idd_dma_stop(dev_id) < 0)
		rc = EXIT_FAILURE;
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	free(data);
	free(copy);
	if (rc == EXIT_SUCCESS && joiner_ok) {
		print_summary(tally);
		printf("group destroyed, device closed: OK\n");
	}
	return rc;
}

/* ---- the conductor ---- */

/* The creator's process: onto host 1, then start the joiner (onto host 2)
 * with a pipe between them, before any idd call so that no thread exists
 * at the fork. */
static int
creator_process(void)
{
	int fds[2];
	pid_t pid;
	FILE *end;

	if (enter_host(0) != 0 || pipe(fds) != 0) {
		fprintf(stderr, "creator: cannot enter host 1\n");
		return EXIT_FAILURE;
	}
	pid = fork();
	if (pid == 0) {
		alarm(ALARM_S); /* a child does not inherit its parent's alarm */
		close(fds[1]);
		end = fdopen(fds[0], "r");
		if (end == NULL || enter_host(1) != 0) {
			fprintf(stderr, "joiner: cannot enter host 2\n");
			_exit(EXIT_FAILURE);
		}
		_exit(joiner(end));
	}
	close(fds[0]);
	end = pid > 0 ? fdopen(fds[1], "w") : NULL;
	if (end == NULL) {
		fprintf(stderr, "creator: cannot start the joiner: %s\n", strerror(errno));
		close(fds[1]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return EXIT_FAILURE;
	}
	return creator(end, pid);
}

#define USAGE "Usage: inter_os [--loopback]\n"

int
main(int argc, char **argv)
{
	int status = 0, rc = EXIT_FAILURE;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines from all three processes */
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--loopback") != 0)) {
		fprintf(stderr, "inter_os: unexpected argument '%s'\n" USAGE, argv[argc - 1]);
		return 2; /* bad usage */
	}
	conductor = getpid();

	/* 1. The hosts: two namespaces and a veth pair, or 127.0.0.1. They are
	 *    removed however we end: return, exit, or a signal. */
	if (argc == 2) {
		snprintf(hosts.ip[0], sizeof(hosts.ip[0]), "127.0.0.1");
		snprintf(hosts.ip[1], sizeof(hosts.ip[1]), "127.0.0.1");
		printf("inter_os: both ends on 127.0.0.1 (--loopback)\n");
	} else {
		atexit(hosts_down);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		int ret = hosts_up();

		if (ret == -1) {
			printf("SKIP: cannot create network namespaces (needs root or CAP_NET_ADMIN "
			       "and ip(8) from iproute2); try --loopback\n");
			return 77;
		}
		if (ret != 0) {
			fprintf(stderr, "inter_os: cannot set up the veth pair between %s and %s\n",
				hosts.ns[0], hosts.ns[1]);
			return EXIT_FAILURE;
		}
		printf("inter_os: host 1 = namespace %s (%s), host 2 = namespace %s (%s), "
		       "joined by a veth pair\n", hosts.ns[0], hosts.ip[0], hosts.ns[1],
		       hosts.ip[1]);
	}

	/* 2. The creator (which starts the joiner), on its own host. A host
	 *    process that hangs is killed by its alarm. */
	pid = fork();
	if (pid == 0) {
		alarm(ALARM_S);
		_exit(creator_process());
	}
	creator_pid = pid;
	if (pid < 0)
		perror("inter_os: fork");
	else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		 WEXITSTATUS(status) == 0)
		rc = EXIT_SUCCESS;
	else if (WIFSIGNALED(status))
		fprintf(stderr, "inter_os: the creator died of signal %d\n", WTERMSIG(status));

	/* 3. The hosts go, whatever happened. */
	hosts_down();
	printf("inter_os: %s%s\n", rc == EXIT_SUCCESS ? "OK" : "FAILED",
	       hosts.netns ? ", namespaces removed" : "");
	return rc;
}
