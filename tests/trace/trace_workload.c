/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the trace test traces: one run through every call that has a trace
 * point, each with arguments the test knows (tests/trace/expected_calls.txt
 * lists the probe firings it must produce), and the three group events.
 * Some calls are refused on purpose, so that their probes carry an error.
 *
 * It links the shared library, the file whose probes the tracer attaches
 * to. Group members are this program re-executed ("join-leave GROUP" and
 * "join-wait GROUP"; by the path /proc/self/exe names, which valgrind
 * reports as the program's, not its own), so they are clean processes
 * with their own pids; the
 * parent prints every pid ("pid N") so that the test keeps only the
 * firings of this run. Exits 0 when every call returned what it should and
 * every byte copied is right.
 */
#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>

/* 16 printable bytes each, so that a trace shows them as text. The token
 * must never appear in a trace; the test looks for it. */
static const unsigned char domain_a[16] = "domain-A-creator";
static const unsigned char domain_b[16] = "domain-B-leaving";
static const unsigned char domain_c[16] = "domain-C-waiting";
static const unsigned char token[16] = "TOKEN-SECRET-123";

#define LEN 4096
#define RING 64
#define WAIT_MS 20000 /* a bound for events, not a timing assertion */

static int failures;

#define EXPECT(call, want)                                                                  \
	do {                                                                                \
		long got_ = (long)(call);                                                   \
		if (got_ != (long)(want)) {                                                 \
			fprintf(stderr, "trace_workload %d: %s returned %ld, expected %ld\n",  \
				(int)getpid(), #call, got_, (long)(want));                  \
			failures++;                                                         \
		}                                                                           \
	} while (0)

static idd_iova_t
iova(const void *p)
{
	return (idd_iova_t)(uintptr_t)p;
}

/* ---- events (the control thread writes, main reads) ---- */

static atomic_int seen_joined_b, seen_left_b, seen_joined_c, seen_destroyed;

static void
note_event(const unsigned char *domain, int ev)
{
	if (ev == IDD_DMA_GROUP_EV_MEMBER_JOINED && memcmp(domain, domain_b, 16) == 0)
		atomic_store(&seen_joined_b, 1);
	if (ev == IDD_DMA_GROUP_EV_MEMBER_LEFT && memcmp(domain, domain_b, 16) == 0)
		atomic_store(&seen_left_b, 1);
	if (ev == IDD_DMA_GROUP_EV_MEMBER_JOINED && memcmp(domain, domain_c, 16) == 0)
		atomic_store(&seen_joined_c, 1);
	if (ev == IDD_DMA_GROUP_EV_GROUP_DESTROYED)
		atomic_store(&seen_destroyed, 1);
}

static void
upstream_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
	    enum idd_dma_access_pair_group_event_type event)
{
	(void)dev_id, (void)group_id;
	note_event(domain_id, (int)event);
}

static void
ext_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
       enum idd_dma_group_event event, void *user_data)
{
	(void)dev_id, (void)group_id, (void)user_data;
	note_event(domain_id, (int)event);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int
wait_flag(atomic_int *flag, const char *what)
{
	for (int ms = 0; ms < WAIT_MS; ms += 5) {
		if (atomic_load(flag))
			return 0;
		sleep_ms(5);
	}
	fprintf(stderr, "trace_workload %d: no %s event\n", (int)getpid(), what);
	failures++;
	return -1;
}

/* ---- group members ---- */

static int
member_join_leave(int16_t group_id)
{
	uint16_t handler = 0;
	int dev = idd_dma_dev_create("trace-b", "engine=inline");

	EXPECT(dev, 0);
	EXPECT(idd_dma_access_pair_group_join(0, (unsigned char *)domain_b,
					      (unsigned char *)token, group_id, NULL), 0);
	EXPECT(idd_dma_access_pair_group_handler_get(0, group_id, (unsigned char *)domain_a,
						     &handler), 0);
	if (handler == 0)
		failures++;
	EXPECT(idd_dma_access_pair_group_leave(0, group_id), 0);
	EXPECT(idd_dma_close(0), 0);
	return failures == 0 ? 0 : 1;
}

static int
member_join_wait(int16_t group_id)
{
	int dev = idd_dma_dev_create("trace-c", "engine=inline");

	EXPECT(dev, 0);
	EXPECT(idd_dma_access_pair_group_join(0, (unsigned char *)domain_c,
					      (unsigned char *)token, group_id, upstream_cb), 0);
	/* The creator closes its device once it has seen us join. */
	wait_flag(&seen_destroyed, "GROUP_DESTROYED");
	EXPECT(idd_dma_close(0), 0);
	return failures == 0 ? 0 : 1;
}

static pid_t
spawn_member(const char *self, const char *mode, int16_t group_id)
{
	char gid[16];
	pid_t pid;

	snprintf(gid, sizeof(gid), "%d", group_id);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl(self, self, mode, gid, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	printf("pid %d\n", (int)pid);
	return pid;
}

static void
reap(pid_t pid, const char *mode)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "trace_workload: member %s (%d) failed (status 0x%x)\n", mode,
			(int)pid, status);
		failures++;
	}
}

/* ---- the creator's run ---- */

static void
data_path(int16_t dev)
{
	static unsigned char src[LEN], dst[LEN], fill[LEN], sg_dst[LEN];
	struct idd_dma_sge sg_src[2] = {{iova(src), LEN / 2}, {iova(src + LEN / 2), LEN / 2}};
	struct idd_dma_sge sg_out[1] = {{iova(sg_dst), LEN}};
	enum idd_dma_status_code status[RING];
	uint16_t last_idx = 0, done = 0;
	bool has_error = false;

	for (size_t i = 0; i < LEN; i++)
		src[i] = (unsigned char)(i * 13 + 5);
	EXPECT(idd_dma_burst_capacity(dev, 0), RING);
	EXPECT(idd_dma_copy(dev, 0, iova(src), iova(dst), LEN, 0), 0);
	EXPECT(idd_dma_fill(dev, 0, UINT64_C(0x1122334455667788), iova(fill), LEN, 0), 1);
	EXPECT(idd_dma_copy_sg(dev, 0, sg_src, sg_out, 2, 1, 0), 2);
	EXPECT(idd_dma_submit(dev, 0), 0);
	/* The inline engine has done the work in submit. */
	EXPECT(idd_dma_completed(dev, 0, 2, &last_idx, &has_error), 2);
	EXPECT(last_idx, 1);
	EXPECT(has_error, false);
	done = idd_dma_completed_status(dev, 0, RING, &last_idx, status);
	EXPECT(done, 1);
	EXPECT(last_idx, 2);
	EXPECT(status[0], IDD_DMA_STATUS_SUCCESSFUL);
	if (memcmp(src, dst, LEN) != 0 || memcmp(src, sg_dst, LEN) != 0) {
		fprintf(stderr, "trace_workload: copied data differ\n");
		failures++;
	}
	for (size_t i = 0; i < LEN; i++) {
		if (fill[i] != (unsigned char)(UINT64_C(0x1122334455667788) >> (8 * (i % 8)))) {
			fprintf(stderr, "trace_workload: fill byte %zu is 0x%02x\n", i, fill[i]);
			failures++;
			break;
		}
	}
}

static void
ops_path(void)
{
	static unsigned char src[LEN], dst[LEN];
	struct idd_dma_conf conf = {.nb_vchans = 1, .flags = IDD_DMA_CFG_FLAG_ENQ_DEQ};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = RING};
	struct idd_dma_op *op = calloc(1, sizeof(*op) + 2 * sizeof(struct idd_dma_sge));
	struct idd_dma_op *out[4] = {NULL};
	int dev = idd_dma_dev_create("trace-ops", "engine=inline");
	uint16_t got = 0;

	EXPECT(dev, 1);
	if (op == NULL || dev != 1) {
		failures++;
		free(op);
		return;
	}
	memset(src, 0x5a, LEN);
	EXPECT(idd_dma_configure(1, &conf), 0);
	EXPECT(idd_dma_vchan_setup(1, 0, &vconf), 0);
	EXPECT(idd_dma_start(1), 0);
	op->nb_src = 1;
	op->nb_dst = 1;
	op->src_dst_seg[0] = (struct idd_dma_sge){iova(src), LEN};
	op->src_dst_seg[1] = (struct idd_dma_sge){iova(dst), LEN};
	EXPECT(idd_dma_enqueue_ops(1, 0, &op, 1), 1);
	got = idd_dma_dequeue_ops(1, 0, out, 4);
	EXPECT(got, 1);
	EXPECT(out[0] == op, 1);
	EXPECT(op->status, IDD_DMA_STATUS_SUCCESSFUL);
	if (memcmp(src, dst, LEN) != 0) {
		fprintf(stderr, "trace_workload: enqueue_ops copy differs\n");
		failures++;
	}
	EXPECT(idd_dma_stop(1), 0);
	EXPECT(idd_dma_close(1), 0);
	free(op);
}

static void
control_path(int16_t dev)
{
	struct idd_dma_info info;
	struct idd_dma_conf conf = {.nb_vchans = 1};
	struct idd_dma_vchan_conf vconf = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = RING};
	struct idd_dma_stats stats;
	struct idd_dma_stats_ext ext;
	enum idd_dma_vchan_status vstatus;
	FILE *devnull = fopen("/dev/null", "w");

	EXPECT(idd_dma_info_get(dev, &info), 0);
	EXPECT(idd_dma_info_get(99, &info), -EINVAL);
	EXPECT(idd_dma_configure(dev, &conf), 0);
	EXPECT(idd_dma_vchan_setup(dev, 0, &vconf), 0);
	EXPECT(idd_dma_vchan_setup(dev, 5, &vconf), -EINVAL);
	EXPECT(idd_dma_start(dev), 0);
	data_path(dev);
	EXPECT(idd_dma_stats_get(dev, 0, &stats), 0);
	EXPECT(stats.submitted, 3);
	EXPECT(stats.completed, 3);
	EXPECT(idd_dma_stats_ext_get(dev, 0, &ext), 0);
	EXPECT(ext.bytes, 3 * LEN);
	EXPECT(idd_dma_vchan_status(dev, 0, &vstatus), 0);
	EXPECT(vstatus, IDD_DMA_VCHAN_IDLE);
	EXPECT(idd_dma_dump(dev, devnull), 0);
	EXPECT(idd_dma_stats_reset(dev, 0), 0);
	EXPECT(idd_dma_stop(dev), 0);
	EXPECT(idd_dma_start(dev), 0);
	if (devnull != NULL)
		fclose(devnull);
}

static void
groups(const char *self, int16_t dev)
{
	int16_t g1 = -1, g2 = -1;
	uint16_t handler = 0;
	pid_t pid;
	int marker = 0;

	EXPECT(idd_dma_access_pair_group_create(dev, (unsigned char *)domain_a,
						(unsigned char *)token, &g1, upstream_cb), 0);
	EXPECT(idd_dma_access_pair_group_event_register(dev, g1, ext_cb, &marker), 0);
	EXPECT(idd_dma_access_pair_group_leave(dev, g1), -EPERM);
	EXPECT(idd_dma_access_pair_group_handler_get(dev, g1, (unsigned char *)domain_a,
						     &handler), 0);
	pid = spawn_member(self, "join-leave", g1);
	wait_flag(&seen_joined_b, "MEMBER_JOINED");
	wait_flag(&seen_left_b, "MEMBER_LEFT");
	reap(pid, "join-leave");
	EXPECT(idd_dma_access_pair_group_destroy(dev, g1), 0);

	EXPECT(idd_dma_access_pair_group_create(dev, (unsigned char *)domain_a,
						(unsigned char *)token, &g2, upstream_cb), 0);
	EXPECT(idd_dma_access_pair_group_event_register(dev, g2, ext_cb, &marker), 0);
	pid = spawn_member(self, "join-wait", g2);
	wait_flag(&seen_joined_c, "MEMBER_JOINED");
	/* Closing the creator's device ends the group: GROUP_DESTROYED there. */
	EXPECT(idd_dma_stop(dev), 0);
	EXPECT(idd_dma_close(dev), 0);
	reap(pid, "join-wait");
}

static char runtime_dir[] = "/tmp/idd-trace-XXXXXX";

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	char ns[64], self[4096];
	ssize_t len;
	int dev;

	if (argc == 3 && strcmp(argv[1], "join-leave") == 0)
		return member_join_leave((int16_t)atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "join-wait") == 0)
		return member_join_wait((int16_t)atoi(argv[2]));
	if (argc != 1) {
		fprintf(stderr, "usage: trace_workload (the members are started by it)\n");
		return 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d\n", (int)getpid());
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	self[len] = '\0';
	if (mkdtemp(runtime_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(ns, sizeof(ns), "trace-%d", (int)getpid());
	setenv("IDD_RUNTIME_DIR", runtime_dir, 1);
	setenv("IDD_NAMESPACE", ns, 1);

	EXPECT(idd_dma_dev_create("trace-bad", "driver=nosuch"), -ENODEV);
	dev = idd_dma_dev_create("trace-a", "engine=inline");
	EXPECT(dev, 0);
	EXPECT(idd_dma_start(99), -EINVAL);
	if (dev == 0) {
		control_path(0);
		ops_path();
		groups(self, 0);
	}
	nftw(runtime_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	printf("workload %s (%d failures)\n", failures == 0 ? "passed" : "FAILED", failures);
	return failures == 0 ? 0 : 1;
}
