/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Case type "fabric": inter-OS copies through the fabric driver, next to a
 * plain libfabric fi_write loop between the same two hosts in the same run.
 *
 * The two hosts are network namespaces joined by a veth pair, made with
 * tools/common/netns_hosts.c and removed before the case returns, or by
 * its hook if a signal ends the run first; where they cannot be made (not
 * root), both ends run on 127.0.0.1 and the case's name in the rows ends
 * with "@lo". Two processes are forked, one per host:
 *   target  creates a fabric device and a group, offers a window, and
 *           also serves a bare libfabric endpoint with a registered buffer
 *           (progressed by a thread of its own) for the reference loop;
 *   source  joins the group, checks one copy of each size byte for byte
 *           (written, then read back), measures idd copies into the
 *           target's window with perf_measure_dma() (the copy case's
 *           loop; it yields the CPU while it waits, see PERF_IDLE_YIELD),
 *           then the fi_write loop with the same bytes in flight
 *           (telling the target over a pipe, so that its progress thread
 *           polls only then and takes no core from the idd measurement).
 *           That loop spins: with the tcp provider's manual progress its
 *           polls move the data (a yield there changed nothing measurable:
 *           2.4 to 3.0 GB/s either way over veth).
 * The source reports its figures through a pipe; two rows per size:
 * direction "to-peer" (idd) and "fi_write" (the reference), with the ratio
 * of the two printed on stderr.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_mem.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "drivers/fabric/fab_rdm.h"
#include "netns_hosts.h"
#include "perf_case.h"
#include "perf_env.h"
#include "perf_measure.h"
#include "perf_report.h"

#define RAW_POSTS 256

/* The case's own keys (perf_case::priv). */
struct fabric_priv {
	unsigned int stripes; /* the device's stripes=; 0: the driver's default */
};

_Static_assert(sizeof(struct fabric_priv) <= sizeof(((struct perf_case *)0)->priv),
	       "fabric_priv fits perf_case::priv");

static int
fabric_set_key(struct perf_case *c, const char *key, const char *val, char *why, size_t len)
{
	struct fabric_priv *fp = (struct fabric_priv *)c->priv.bytes;
	unsigned long v;

	if (strcmp(key, "stripes") != 0)
		return -ENOENT;
	if (perf_parse_uint(val, 1, FAB_RDM_MAX_EPS, &v) != 0) {
		snprintf(why, len, "stripes = %s: not a number in 1..%u", val, FAB_RDM_MAX_EPS);
		return -EINVAL;
	}
	fp->stripes = (unsigned int)v;
	return 0;
}

/* The two hosts: a pair of network namespaces on a veth pair (made and
 * removed by netns_hosts.c, which also removes them if a signal ends the
 * run), or both ends on 127.0.0.1 where namespaces cannot be made. */
struct fab_hosts {
	bool netns;
	struct hosts_pair pair; /* ip[] is 127.0.0.1 twice without namespaces */
};

/* 0 (namespaces or loopback), or -EINTR: a signal stopped the run. */
static int
fab_hosts_up(struct fab_hosts *h)
{
	int ret;

	hosts_own();
	ret = hosts_pair_up(&h->pair, "idd-perf", "10.212.0");
	h->netns = ret == 0;
	if (ret == 0 || ret == -EINTR)
		return ret;
	fprintf(stderr, "idd-perf: fabric: no network namespaces here (%s): both ends on "
			"127.0.0.1\n", hosts_error());
	for (int i = 0; i < 2; i++)
		snprintf(h->pair.ip[i], sizeof(h->pair.ip[i]), "127.0.0.1");
	return 0;
}

static void
fab_hosts_down(struct fab_hosts *h)
{
	if (h->netns)
		hosts_pair_down(&h->pair);
	h->netns = false;
}

/* A host is another machine: its process may use every CPU, not just the
 * one idd-perf pinned itself to (peers of the copy cases are started before
 * that pinning for the same reason). Forked after it, so undo it here. */
static void
unpin(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t all;

	CPU_ZERO(&all);
	for (long c = 0; c < n && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	if (sched_setaffinity(0, sizeof(all), &all) != 0)
		fprintf(stderr, "idd-perf: fabric: cannot unpin a host: %s\n", strerror(errno));
}

static int
enter(const struct fab_hosts *h, int i)
{
	return h->netns ? hosts_enter(h->pair.ns[i]) : 0;
}

/* ---- the bare libfabric endpoint (both ends) ---- */

struct raw {
	struct fab_rdm rdm; /* the driver's own endpoint, so that the comparison is fair */
	struct fid_mr *mr;
	uint16_t port;
};

static int
raw_open(struct raw *r, const char *ip)
{
	struct in_addr a;
	const char *what;
	uint32_t ep_ip;
	int ret;

	memset(r, 0, sizeof(*r));
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	/* No wait object: the progress thread and the loop poll. */
	ret = fab_rdm_open(&r->rdm, "tcp", ntohl(a.s_addr), 1, 4 * RAW_POSTS, FI_WAIT_NONE,
			   &what);
	if (ret == 0)
		ret = fab_rdm_name(&r->rdm, &ep_ip, &r->port);
	return ret;
}

static void
raw_close(struct raw *r)
{
	if (r->mr != NULL)
		fi_close(&r->mr->fid);
	r->mr = NULL;
	fab_rdm_close(&r->rdm);
}

/* 0 idle, 1 serving the fi_write loop, 2 stop; mode_cv signals a change. */
static _Atomic int target_mode;
static pthread_mutex_t mode_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mode_cv = PTHREAD_COND_INITIALIZER;

static void
set_mode(int m)
{
	pthread_mutex_lock(&mode_mu);
	atomic_store(&target_mode, m);
	pthread_cond_signal(&mode_cv);
	pthread_mutex_unlock(&mode_mu);
}

static void *
raw_progress(void *arg)
{
	struct raw *r = arg;
	struct fi_cq_entry e[16];

	/* Manual data progress: the target must poll for RMA to land. Only
	 * while the reference loop runs; otherwise it blocks, so that it takes
	 * no CPU at all from the idd measurement (a 1 ms nap loop cost a
	 * tenth of a core in a VM). */
	for (;;) {
		int m = atomic_load(&target_mode);

		if (m == 2)
			break;
		if (m == 1) {
			(void)fi_cq_read(r->rdm.cq, e, 16);
			continue;
		}
		pthread_mutex_lock(&mode_mu);
		while (atomic_load(&target_mode) == 0)
			pthread_cond_wait(&mode_cv, &mode_mu);
		pthread_mutex_unlock(&mode_mu);
	}
	return NULL;
}

/* fi_write loop: @size bytes from @buf to the target's buffer, the same
 * bytes in flight as the idd loop, for @secs. Returns GB/s or -1. */
static double
raw_measure(struct raw *r, fi_addr_t peer, uint64_t raddr, uint64_t key, void *buf,
	    uint32_t size, double secs)
{
	static struct fi_context2 ctx[RAW_POSTS];
	uint64_t max = PERF_INFLIGHT_BYTES / size, posted = 0, done = 0, at_end = 0;
	struct fi_cq_entry e[64];
	double t0 = perf_now(), t1;

	if (max > RAW_POSTS)
		max = RAW_POSTS;
	if (max == 0)
		max = 1;
	for (;;) {
		while (posted - done < max) {
			ssize_t ret = fi_write(r->rdm.ep, buf, size, NULL, peer, raddr, key,
					       &ctx[posted % RAW_POSTS]);

			if (ret == -FI_EAGAIN)
				break;
			if (ret != 0)
				return -1;
			posted++;
		}
		ssize_t n = fi_cq_read(r->rdm.cq, e, 64);

		if (n > 0) {
			done += (uint64_t)n;
		} else if (n == -FI_EAVAIL) {
			return -1;
		}
		t1 = perf_now();
		if (t1 - t0 >= secs && at_end == 0) {
			at_end = done;
			break;
		}
	}
	/* Let the rest land; count only what completed in the window. */
	while (done < posted) {
		ssize_t n = fi_cq_read(r->rdm.cq, e, 64);

		if (n > 0)
			done += (uint64_t)n;
		else if (n == -FI_EAVAIL)
			return -1;
	}
	return (double)at_end * size / (t1 - t0) / 1e9;
}

/* ---- the two processes ---- */

struct target_info {
	int16_t gid;
	uint64_t win, raw_buf, raw_key;
	uint16_t raw_port;
	int virt;
};

static int
write_all(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : -EIO;
}

static int
read_all(int fd, void *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = read(fd, (char *)p + off, n - off);

		if (r <= 0)
			return -EIO;
		off += (size_t)r;
	}
	return 0;
}

static void
target_main(const struct fab_hosts *h, const struct perf_env *env, const uint8_t *dom,
	    uint64_t span, int out, int stop)
{
	struct target_info ti = {0};
	struct raw r;
	char args[160];
	pthread_t prog;
	int dev;
	char c;

	unpin();
	if (enter(h, 1) != 0)
		_exit(2);
	snprintf(args, sizeof(args), "driver=fabric,listen=%s:%u", h->pair.ip[1],
		 20000u + (unsigned int)getpid() % 30000u);
	dev = idd_dma_dev_create("idd-perf-fab-t", args);
	void *win = idd_mem_alloc(span, IDD_MEM_PEER_RW);
	void *raw_buf = malloc(span);

	if (dev < 0 || win == NULL || raw_buf == NULL ||
	    idd_dma_access_pair_group_create((int16_t)dev, (unsigned char *)dom,
					     (unsigned char *)env->token, &ti.gid, NULL) != 0 ||
	    raw_open(&r, h->pair.ip[1]) != 0 ||
	    fi_mr_reg(r.rdm.domain, raw_buf, span, FI_REMOTE_WRITE, 0, 1, 0, &r.mr, NULL) != 0)
		_exit(3);
	ti.win = (uint64_t)(uintptr_t)win;
	ti.raw_buf = (uint64_t)(uintptr_t)raw_buf;
	ti.raw_key = fi_mr_key(r.mr);
	ti.raw_port = r.port;
	ti.virt = (r.rdm.info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;
	if (pthread_create(&prog, NULL, raw_progress, &r) != 0 ||
	    write_all(out, &ti, sizeof(ti)) != 0)
		_exit(4);
	/* The source says when its fi_write loop runs ('r') and when it is
	 * over ('i'); end of file: done. */
	while (read(stop, &c, 1) == 1)
		set_mode(c == 'r' ? 1 : 0);
	set_mode(2);
	pthread_join(prog, NULL);
	idd_dma_close((int16_t)dev);
	raw_close(&r);
	_exit(0);
}

struct source_result {
	int status; /* 0, or -errno */
	double gbps, mops, raw_gbps;
	uint64_t ops;
};

static int
source_check(int16_t dev, uint8_t *src, uint8_t *back, uint64_t win, uint32_t size)
{
	enum idd_dma_status_code st;
	uint16_t last;

	for (uint32_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i * 7 + size);
	memset(back, 0, size);
	if (idd_dma_copy(dev, 0, (uintptr_t)src, win, size, IDD_DMA_OP_FLAG_SUBMIT) < 0 ||
	    idd_dma_copy(dev, 1, win, (uintptr_t)back, size, 0) < 0)
		return -EIO;
	/* The read back waits for the write: submit it once the write is in. */
	for (double t0 = perf_now(); idd_dma_completed_status(dev, 0, 1, &last, &st) == 0;)
		if (perf_now() - t0 > 10)
			return -ETIMEDOUT;
	if (st != IDD_DMA_STATUS_SUCCESSFUL)
		return -EIO;
	idd_dma_submit(dev, 1);
	for (double t0 = perf_now(); idd_dma_completed_status(dev, 1, 1, &last, &st) == 0;)
		if (perf_now() - t0 > 10)
			return -ETIMEDOUT;
	return st == IDD_DMA_STATUS_SUCCESSFUL && memcmp(src, back, size) == 0 ? 0 : -EIO;
}

static void
source_main(const struct perf_case *c, const struct fab_hosts *h, const struct perf_env *env,
	    const uint8_t *tdom, const uint8_t *sdom, const struct target_info *ti,
	    uint16_t listen_port, uint64_t span, int out, int mode)
{
	struct source_result res[PERF_MAX_SIZES];
	char args[160];
	uint16_t h_self, h_peer;
	struct raw r;
	fi_addr_t peer;
	int dev;

	memset(res, 0, sizeof(res));
	unpin();
	if (enter(h, 0) != 0)
		_exit(2);
	const struct fabric_priv *fp = (const struct fabric_priv *)c->priv.bytes;
	int n = snprintf(args, sizeof(args), "driver=fabric,bind=%s,connect=%s:%u", h->pair.ip[0],
			 h->pair.ip[1], listen_port);

	if (fp->stripes != 0)
		snprintf(args + n, sizeof(args) - (size_t)n, ",stripes=%u", fp->stripes);
	dev = idd_dma_dev_create("idd-perf-fab-s", args);
	uint8_t *src = idd_mem_alloc(span, IDD_MEM_PEER_RW), *back = malloc(span);
	struct idd_dma_conf conf = {.nb_vchans = 2};
	struct idd_dma_vchan_conf vc;

	if (dev < 0 || src == NULL || back == NULL ||
	    idd_dma_access_pair_group_join((int16_t)dev, (unsigned char *)sdom,
					   (unsigned char *)env->token, ti->gid, NULL) != 0 ||
	    idd_dma_access_pair_group_handler_get((int16_t)dev, ti->gid, (unsigned char *)sdom,
						  &h_self) != 0 ||
	    idd_dma_access_pair_group_handler_get((int16_t)dev, ti->gid, (unsigned char *)tdom,
						  &h_peer) != 0 ||
	    idd_dma_configure((int16_t)dev, &conf) != 0)
		_exit(3);
	for (uint16_t v = 0; v < 2; v++) {
		memset(&vc, 0, sizeof(vc));
		vc.direction = IDD_DMA_DIR_MEM_TO_MEM;
		vc.nb_desc = (uint16_t)(c->ring < 4096 ? c->ring : 4096);
		vc.domain.type = IDD_DMA_INTER_OS_DOMAIN;
		vc.domain.src_handler = v == 0 ? h_self : h_peer;
		vc.domain.dst_handler = v == 0 ? h_peer : h_self;
		if (idd_dma_vchan_setup((int16_t)dev, v, &vc) != 0)
			_exit(3);
	}
	if (idd_dma_start((int16_t)dev) != 0 || raw_open(&r, h->pair.ip[0]) != 0)
		_exit(3);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(ti->raw_port)};

	inet_pton(AF_INET, h->pair.ip[1], &sa.sin_addr);
	if (fi_av_insert(r.rdm.av, &sa, 1, &peer, 0, NULL) != 1)
		_exit(3);
	for (unsigned int i = 0; i < c->nb_sizes; i++) {
		uint32_t size = c->sizes[i];
		struct perf_lane lane = {.dev = (int16_t)dev, .vchan = 0,
					 .src = (uintptr_t)src, .dst = ti->win, .span = size};
		struct perf_rate rate;

		res[i].status = source_check((int16_t)dev, src, back, ti->win, size);
		if (res[i].status == 0)
			res[i].status = perf_measure_dma(&lane, 1, size, c->burst, c->kick,
							 c->duration, PERF_IDLE_YIELD, &rate);
		if (res[i].status != 0)
			break;
		res[i].gbps = rate.gbps;
		res[i].mops = rate.mops;
		res[i].ops = rate.ops;
		if (write_all(mode, "r", 1) != 0)
			_exit(4);
		usleep(10000);
		res[i].raw_gbps = raw_measure(&r, peer, ti->virt ? ti->raw_buf : 0, ti->raw_key,
					      src, size, c->duration);
		if (write_all(mode, "i", 1) != 0)
			_exit(4);
	}
	idd_dma_stop((int16_t)dev);
	idd_dma_close((int16_t)dev);
	raw_close(&r);
	_exit(write_all(out, res, sizeof(res)) == 0 ? 0 : 4);
}

/* A host's pipe failed: -EIO with @what, or -EINTR, silently, when a stop
 * signal ended the hosts (idd-perf then says it was stopped). */
static int
host_failed(const struct perf_case *c, const char *what)
{
	if (perf_stop_signal)
		return -EINTR;
	fprintf(stderr, "idd-perf: case '%s': %s\n", c->name, what);
	return -EIO;
}

static uint64_t
fabric_window(const struct perf_case *c)
{
	uint64_t m = 4096;

	for (unsigned int i = 0; i < c->nb_sizes; i++)
		if (c->sizes[i] > m)
			m = c->sizes[i];
	return m;
}

static int
fabric_run(const struct perf_case *c, struct perf_env *env)
{
	int tp[2] = {-1, -1}, stop[2] = {-1, -1}, sp[2] = {-1, -1};
	struct source_result res[PERF_MAX_SIZES];
	uint8_t tdom[16], sdom[16];
	struct target_info ti;
	struct fab_hosts h;
	pid_t t = -1, s = -1;
	uint64_t span = fabric_window(c);
	int ret = 0, st;

	if (getrandom(tdom, 16, 0) != 16 || getrandom(sdom, 16, 0) != 16)
		return -EIO;
	perf_progress("idd-perf: case %u/%u %s: setting up two hosts", env->case_no, env->nb_cases,
		      c->name);
	if (fab_hosts_up(&h) != 0)
		return -EINTR;
	if (pipe2(tp, O_CLOEXEC) != 0 || pipe2(stop, O_CLOEXEC) != 0 || pipe2(sp, O_CLOEXEC) != 0) {
		ret = -errno;
		goto out;
	}
	t = fork();
	if (t == 0) {
		close(stop[1]); /* or it would never see the end of file */
		target_main(&h, env, tdom, span, tp[1], stop[0]);
	}
	if (t > 0)
		(void)hosts_proc_add(t); /* killed with the hosts on a signal; 2 of 16 slots */
	if (t < 0 || read_all(tp[0], &ti, sizeof(ti)) != 0) {
		ret = host_failed(c, "the target host did not start");
		goto out;
	}
	/* The target's listening port: the same rule as in target_main. */
	uint16_t port = (uint16_t)(20000u + (unsigned int)t % 30000u);

	perf_progress("idd-perf: case %u/%u %s: measuring", env->case_no, env->nb_cases, c->name);
	s = fork();
	if (s == 0)
		source_main(c, &h, env, tdom, sdom, &ti, port, span, sp[1], stop[1]);
	if (s > 0)
		(void)hosts_proc_add(s);
	if (s < 0 || read_all(sp[0], res, sizeof(res)) != 0) {
		ret = host_failed(c, "the source host failed");
		goto out;
	}
	for (unsigned int i = 0; i < c->nb_sizes; i++) {
		struct perf_row row;
		char sz[32];

		if (res[i].status != 0) {
			fprintf(stderr, "idd-perf: case '%s': size %u: %s\n", c->name, c->sizes[i],
				strerror(-res[i].status));
			ret = -EIO;
			break;
		}
		for (int k = 0; k < 2; k++) {
			perf_row_init(&row);
			snprintf(row.name, sizeof(row.name), "%.36s%s", c->name,
				 h.netns ? "" : "@lo"); /* both ends on 127.0.0.1 */
			snprintf(row.type, sizeof(row.type), "fabric");
			snprintf(row.direction, sizeof(row.direction), "%s",
				 k == 0 ? "to-peer" : "fi_write");
			row.size = c->sizes[i];
			row.burst = c->burst;
			row.kick = c->kick;
			row.ring = c->ring;
			row.peers = 1;
			row.gbps = k == 0 ? res[i].gbps : res[i].raw_gbps;
			row.mops = k == 0 ? res[i].mops : row.gbps * 1e3 / c->sizes[i];
			row.ops = k == 0 ? res[i].ops : 0;
			if (perf_report_add(&row) != 0)
				ret = -ENOMEM;
		}
		perf_format_size(sz, sizeof(sz), c->sizes[i]);
		fprintf(stderr, "idd-perf: fabric %s: idd %.3f GB/s, fi_write %.3f GB/s: %.2f of "
				"fi_write\n", sz, res[i].gbps, res[i].raw_gbps,
			res[i].raw_gbps > 0 ? res[i].gbps / res[i].raw_gbps : 0.0);
	}
out:
	/* After a stop signal the hosts' hook has killed and reaped both
	 * already: these waitpid() calls then fail, harmlessly. */
	if (s > 0) {
		waitpid(s, &st, 0);
		hosts_proc_gone(s);
	}
	if (stop[1] >= 0)
		close(stop[1]); /* the target ends (the source's copy closed at its exit) */
	if (t > 0) {
		waitpid(t, &st, 0);
		hosts_proc_gone(t);
	}
	for (int i = 0; i < 2; i++) {
		if (tp[i] >= 0)
			close(tp[i]);
		if (sp[i] >= 0)
			close(sp[i]);
		if (i == 0 && stop[0] >= 0)
			close(stop[0]);
	}
	fab_hosts_down(&h);
	return ret;
}

const struct perf_case_type perf_case_fabric = {
	.name = "fabric",
	.summary = "inter-OS copies over the fabric driver between two network namespaces, "
		   "next to a plain libfabric fi_write loop",
	.keys = PERF_KEY_SIZES | PERF_KEY_BURST | PERF_KEY_KICK | PERF_KEY_RING |
		PERF_KEY_DURATION,
	.set_key = fabric_set_key,
	.check = NULL,
	.peers_needed = NULL,
	.peer_window = NULL,
	.run = fabric_run,
	.cleanup = NULL,
};
