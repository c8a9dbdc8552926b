/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * group_third_party: a remote-to-remote ("third-party") copy. Three
 * processes form an access pair group; one of them moves data from a second
 * process's memory into a third's, and touches none of it itself.
 *
 *   mover (creates the group)   producer (joins)          consumer (joins)
 *   -------------------------   ----------------          ----------------
 *   start producer and consumer, a pipe on each one's stdin
 *   create group G, send "G TOKEN NAMESPACE" to both
 *                               allocate "producer.data"  map a memfd of its own,
 *                               (peers read), fill it     register it as
 *                                                         "consumer.inbox" (peers write)
 *                               join, publish             join, publish
 *   look both names up
 *   vchan: src = producer's handler, dst = consumer's handler
 *   copy producer.data -> consumer.inbox
 *   "check" to the consumer ----------------------------> check the inbox
 *   "done" to both -----------> leave, exit               leave, exit
 *   two MEMBER_LEFT events, destroy G
 *
 * Usage: group_third_party [inline|thread]
 *   The engine every process uses (default inline). The others are started
 *   as "group_third_party --producer ENGINE" and "--consumer ENGINE".
 *
 * Exits 0 when the copy completed successfully and the consumer received
 * the producer's bytes.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#define BUF_LEN (4u << 20)
#define WAIT_MS 10000
#define SEED 0x5a

static const char *role = "mover";

#define FAIL(...)                                                                          \
	do {                                                                               \
		fprintf(stderr, "%s: ", role);                                             \
		fprintf(stderr, __VA_ARGS__);                                              \
		fprintf(stderr, "\n");                                                     \
		goto out;                                                                  \
	} while (0)

#define CHECK(call)                                                                        \
	do {                                                                               \
		int ret_ = (call);                                                         \
		if (ret_ < 0)                                                              \
			FAIL("%s failed: %s", #call, strerror(-ret_));                     \
	} while (0)

static uint8_t
pattern_byte(size_t i)
{
	return (uint8_t)(SEED + i * 13 + (i >> 11));
}

static int
random_id(idd_uuid_t id)
{
	return getrandom(id, sizeof(idd_uuid_t), 0) == (ssize_t)sizeof(idd_uuid_t) ? 0 : -EIO;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read one line from the mover; true if it is @want. */
static bool
read_word(const char *want)
{
	char line[64];

	return fgets(line, sizeof(line), stdin) != NULL && strncmp(line, want, strlen(want)) == 0 &&
	       line[strlen(want)] == '\n';
}

/* ---- producer and consumer: the two joiners ---- */

/* The consumer brings memory of its own: a memfd it maps itself, made a
 * window with idd_mem_register(). Returns the mapping, or NULL. */
static uint8_t *
map_own_memfd(size_t len, int *fd_out)
{
	void *p;
	int fd;

	/* MFD_ALLOW_SEALING: idd seals the file so that it can never shrink
	 * under a peer's mapping. */
	fd = memfd_create("consumer-inbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)len) != 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	*fd_out = fd;
	return p;
}

static int
member(const char *engine, bool producer)
{
	char line[128], token_hex[33], ns[40], args[96];
	idd_uuid_t token, my_domain;
	uint8_t *buf = NULL;
	int16_t dev_id = -1, group_id = -1;
	bool joined = false, registered = false;
	int ret, n, fd = -1, rc = EXIT_FAILURE;

	role = producer ? "producer" : "consumer";
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    sscanf(line, "%d %32s %39s", &n, token_hex, ns) != 3 || n < 0 || n > INT16_MAX ||
	    strlen(token_hex) != 32)
		FAIL("no valid group description on stdin");
	group_id = (int16_t)n;
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		if (sscanf(token_hex + 2 * i, "%2x", &b) != 1)
			FAIL("bad token");
		token[i] = (unsigned char)b;
	}
	snprintf(args, sizeof(args), "engine=%s,namespace=%s", engine, ns);
	ret = idd_dma_dev_create(role, args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;

	/* The producer offers heap memory to read; the consumer offers its
	 * own memfd to write. Either way, before the join. */
	if (producer) {
		buf = idd_mem_alloc(BUF_LEN, IDD_MEM_PEER_READ);
		if (buf == NULL)
			FAIL("idd_mem_alloc: %s", strerror(errno));
		for (size_t i = 0; i < BUF_LEN; i++)
			buf[i] = pattern_byte(i);
	} else {
		buf = map_own_memfd(BUF_LEN, &fd);
		if (buf == NULL)
			FAIL("cannot map a memfd: %s", strerror(errno));
		CHECK(idd_mem_register(buf, BUF_LEN, fd, 0, IDD_MEM_PEER_WRITE));
		registered = true;
		close(fd); /* idd keeps its own duplicate */
		fd = -1;
	}

	CHECK(random_id(my_domain));
	CHECK(idd_dma_access_pair_group_join(dev_id, my_domain, token, group_id, NULL));
	joined = true;
	CHECK(idd_dma_group_buffer_publish(dev_id, group_id,
					   producer ? "producer.data" : "consumer.inbox", buf,
					   BUF_LEN));
	printf("%s: joined group %d, published %u bytes at %p\n", role, group_id, BUF_LEN,
	       (void *)buf);

	if (!producer) {
		if (!read_word("check"))
			FAIL("the mover did not ask for the check");
		for (size_t i = 0; i < BUF_LEN; i++)
			if (buf[i] != pattern_byte(i))
				FAIL("inbox byte %zu is 0x%02x, want 0x%02x", i, buf[i],
				     pattern_byte(i));
		printf("consumer: the producer's bytes are in our inbox\n");
	}
	if (!read_word("done"))
		FAIL("the mover did not say done");
	rc = EXIT_SUCCESS;

out:
	if (joined && idd_dma_access_pair_group_leave(dev_id, group_id) < 0)
		rc = EXIT_FAILURE;
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	if (producer) {
		idd_mem_free(buf);
	} else {
		/* Unregister first: it returns once no engine here uses the
		 * window; then the memory is ours to unmap. */
		if (registered && idd_mem_unregister(buf) < 0)
			rc = EXIT_FAILURE;
		if (buf != NULL)
			munmap(buf, BUF_LEN);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

/* ---- the mover: creates the group, copies between the other two ---- */

struct departures {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int left;
};

static void
on_event(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	 enum idd_dma_group_event event, void *user_data)
{
	struct departures *d = user_data;

	(void)dev_id;
	(void)group_id;
	(void)domain_id;
	if (event != IDD_DMA_GROUP_EV_MEMBER_LEFT)
		return;
	pthread_mutex_lock(&d->lock);
	d->left++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static pid_t
start(const char *which, const char *engine, FILE **pipe_out)
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
		execl("/proc/self/exe", "group_third_party", which, engine, (char *)NULL);
		perror("group_third_party: exec");
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return -1;
	}
	*pipe_out = fdopen(fds[1], "w");
	return pid;
}

static int
mover(const char *engine)
{
	struct departures dep = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = 32};
	struct idd_dma_group_buffer data, inbox;
	enum idd_dma_status_code status;
	idd_uuid_t my_domain, token;
	uint16_t from, to;
	char token_hex[33], ns[40], args[96];
	FILE *pipes[2] = {NULL, NULL};
	pid_t pids[2];
	int16_t dev_id = -1, group_id = -1;
	bool started = false;
	int ret, idx, rc = EXIT_FAILURE;
	double deadline;
	struct timespec ts;

	pids[0] = start("--producer", engine, &pipes[0]);
	pids[1] = start("--consumer", engine, &pipes[1]);
	if (pids[0] < 0 || pids[1] < 0 || pipes[0] == NULL || pipes[1] == NULL)
		FAIL("cannot start the other processes: %s", strerror(errno));

	snprintf(ns, sizeof(ns), "example-%d", (int)getpid());
	snprintf(args, sizeof(args), "engine=%s,namespace=%s", engine, ns);
	ret = idd_dma_dev_create("mover", args);
	if (ret < 0)
		FAIL("cannot create a device with '%s': %s", args, strerror(-ret));
	dev_id = (int16_t)ret;
	CHECK(random_id(my_domain));
	CHECK(random_id(token));
	CHECK(idd_dma_access_pair_group_create(dev_id, my_domain, token, &group_id, NULL));
	CHECK(idd_dma_access_pair_group_event_register(dev_id, group_id, on_event, &dep));
	for (int i = 0; i < 16; i++)
		snprintf(token_hex + 2 * i, 3, "%02x", token[i]);
	for (int i = 0; i < 2; i++) {
		fprintf(pipes[i], "%d %s %s\n", group_id, token_hex, ns);
		fflush(pipes[i]);
	}

	/* Both buffers, from the directory: each entry names its publisher,
	 * whose handler the vchan needs. */
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "producer.data", WAIT_MS, &data));
	CHECK(idd_dma_group_buffer_lookup(dev_id, group_id, "consumer.inbox", WAIT_MS, &inbox));
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, data.domain_id, &from));
	CHECK(idd_dma_access_pair_group_handler_get(dev_id, group_id, inbox.domain_id, &to));

	/* Remote to remote: neither side of the vchan is our own domain. */
	CHECK(idd_dma_configure(dev_id, &conf));
	vconf.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
	vconf.domain.src_handler = from;
	vconf.domain.dst_handler = to;
	CHECK(idd_dma_vchan_setup(dev_id, 0, &vconf));
	CHECK(idd_dma_start(dev_id));
	started = true;

	idx = idd_dma_copy(dev_id, 0, data.addr, inbox.addr, BUF_LEN, IDD_DMA_OP_FLAG_SUBMIT);
	CHECK(idx);
	deadline = now() + WAIT_MS / 1000.0;
	while (idd_dma_completed_status(dev_id, 0, 1, NULL, &status) == 0)
		if (now() > deadline)
			FAIL("the copy did not complete");
	if (status != IDD_DMA_STATUS_SUCCESSFUL)
		FAIL("the copy failed with status %d", (int)status);
	printf("mover: copied %u bytes from the producer to the consumer\n", BUF_LEN);

	fprintf(pipes[1], "check\n");
	fflush(pipes[1]);
	for (int i = 0; i < 2; i++) {
		fprintf(pipes[i], "done\n");
		fflush(pipes[i]);
	}

	/* Both leave; then the group can go. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&dep.lock);
	ret = 0;
	while (dep.left < 2 && ret == 0)
		ret = pthread_cond_timedwait(&dep.cond, &dep.lock, &ts);
	pthread_mutex_unlock(&dep.lock);
	CHECK(idd_dma_access_pair_group_destroy(dev_id, group_id));
	rc = EXIT_SUCCESS;

out:
	for (int i = 0; i < 2; i++) {
		int st;

		if (pipes[i] != NULL)
			fclose(pipes[i]);
		if (pids[i] > 0 && (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
				    WEXITSTATUS(st) != 0)) {
			fprintf(stderr, "mover: the %s failed\n", i == 0 ? "producer" : "consumer");
			rc = EXIT_FAILURE;
		}
	}
	if (started && idd_dma_stop(dev_id) < 0)
		rc = EXIT_FAILURE;
	if (dev_id >= 0 && idd_dma_close(dev_id) < 0)
		rc = EXIT_FAILURE;
	if (rc == EXIT_SUCCESS)
		printf("mover: group destroyed, device closed: OK\n");
	return rc;
}

#define USAGE "Usage: group_third_party [inline|thread]\n"

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--producer") == 0)
		return member(argv[2], true);
	if (argc == 3 && strcmp(argv[1], "--consumer") == 0)
		return member(argv[2], false);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(USAGE, stdout);
		return EXIT_SUCCESS;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "inline") != 0 &&
			 strcmp(argv[1], "thread") != 0)) {
		fprintf(stderr, "group_third_party: unexpected argument '%s'\n" USAGE,
			argv[argc - 1]);
		return 2; /* bad usage */
	}
	return mover(argc == 2 ? argv[1] : "inline");
}
