/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry with real processes. A forked "subject" process creates two
 * devices, a group (created on one, joined with the other), a local and an
 * inter-process vchan, copies known amounts, enables telemetry and waits
 * for commands on a pipe. idd-ctl, run as a subprocess (fork + exec; its
 * path comes from IDD_CTL, which meson sets), must list it and show it with
 * the right values (its --json output is parsed here); raw connections
 * check that malformed requests are refused without harming the server;
 * disable, exit and SIGKILL must leave no socket behind, or one that
 * idd-ctl removes.
 *
 * Every test has its own namespace, and the program its own runtime
 * directory, so runs never meet.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_log.h>
#include <idd/idd_mem.h>
#include <idd/idd_telemetry.h>

#include "json.h"
#include "telemetry/proto.h"

/* What the subject does, and the test checks. */
#define COPIES0 10
#define SIZE0 4096
#define COPIES1 5
#define SIZE1 1000
#define RING0 256
#define RING1 512

static char rt_dir[64];
static char ns[64];
static unsigned int ns_counter;

/* ---- the subject process ---- */

struct subject {
	pid_t pid;
	int cmd;    /* commands to it */
	int ans;    /* its answers */
	char log[256];
	/* From its "ready" line. */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t src_addr;
	int gid, h_self, h_peer;
};

static void
sub_reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sub_reply(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static void
uuid_of(unsigned int n, idd_uuid_t u)
{
	for (int i = 0; i < 16; i++)
		u[i] = (unsigned char)(0x10 * n + i);
}

/* Wait until @n operations of @vchan completed, all successfully. */
static int
drain(int16_t dev, uint16_t vchan, unsigned int n)
{
	unsigned int done = 0;

	for (int spin = 0; spin < 20000 && done < n; spin++) {
		enum idd_dma_status_code st[64];
		uint16_t last;
		uint16_t got = idd_dma_completed_status(dev, vchan, 64, &last, st);

		for (uint16_t i = 0; i < got; i++)
			if (st[i] != IDD_DMA_STATUS_SUCCESSFUL)
				return -1;
		done += got;
		if (got == 0)
			usleep(100);
	}
	return done == n ? 0 : -1;
}

/* The subject: exits with 0 after "exit", non-zero when a step failed. */
static void
subject_main(int cmd, int ans, bool by_env)
{
	struct idd_dma_conf conf = {.nb_vchans = 2};
	struct idd_dma_vchan_conf vc0 = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = RING0};
	struct idd_dma_vchan_conf vc1 = {.direction = IDD_DMA_DIR_MEM_TO_MEM, .nb_desc = RING1};
	idd_uuid_t d0, d1, tok;
	uint16_t h_self, h_peer;
	int16_t gid;
	char args[128], path[128], line[128];
	FILE *in;
	int dev0, dev1;
	char *src, *dst;

	if (by_env)
		setenv("IDD_TELEMETRY", "1", 1);
	snprintf(args, sizeof(args), "engine=thread,namespace=%s", ns);
	dev0 = idd_dma_dev_create("tel0", args);
	snprintf(args, sizeof(args), "namespace=%s", ns);
	dev1 = idd_dma_dev_create("tel1", args);
	if (dev0 < 0 || dev1 < 0)
		_exit(10);
	uuid_of(1, d0);
	uuid_of(2, d1);
	uuid_of(9, tok);
	if (idd_dma_access_pair_group_create((int16_t)dev0, d0, tok, &gid, NULL) != 0)
		_exit(11);
	if (idd_dma_access_pair_group_join((int16_t)dev1, d1, tok, gid, NULL) != 0)
		_exit(12);
	if (idd_dma_access_pair_group_handler_get((int16_t)dev0, gid, d0, &h_self) != 0 ||
	    idd_dma_access_pair_group_handler_get((int16_t)dev0, gid, d1, &h_peer) != 0)
		_exit(13);
	vc1.domain.type = IDD_DMA_INTER_PROCESS_DOMAIN;
	vc1.domain.src_handler = h_self;
	vc1.domain.dst_handler = h_peer;
	src = idd_mem_alloc(65536, IDD_MEM_PEER_RW);
	dst = idd_mem_alloc(65536, IDD_MEM_PEER_RW);
	if (src == NULL || dst == NULL)
		_exit(14);
	if (idd_dma_configure((int16_t)dev0, &conf) != 0 ||
	    idd_dma_vchan_setup((int16_t)dev0, 0, &vc0) != 0 ||
	    idd_dma_vchan_setup((int16_t)dev0, 1, &vc1) != 0 || idd_dma_start((int16_t)dev0) != 0)
		_exit(15);
	memset(src, 0x5a, 65536);
	for (int i = 0; i < COPIES0; i++)
		if (idd_dma_copy((int16_t)dev0, 0, (uintptr_t)src, (uintptr_t)dst, SIZE0,
				 IDD_DMA_OP_FLAG_SUBMIT) < 0)
			_exit(16);
	/* The peer side names the joined domain: dst is one of our windows,
	 * which that member (ourselves, through dev1) offers too. */
	for (int i = 0; i < COPIES1; i++)
		if (idd_dma_copy((int16_t)dev0, 1, (uintptr_t)src, (uintptr_t)dst + 8192, SIZE1,
				 IDD_DMA_OP_FLAG_SUBMIT) < 0)
			_exit(17);
	if (drain((int16_t)dev0, 0, COPIES0) != 0 || drain((int16_t)dev0, 1, COPIES1) != 0)
		_exit(18);
	if (!by_env && idd_telemetry_enable(ns) != 0)
		_exit(19);
	if (idd_telemetry_path(path, sizeof(path)) < 0)
		_exit(20);
	sub_reply(ans, "ready %s %" PRIu64 " %d %u %u\n", path, (uint64_t)(uintptr_t)src, gid,
		  h_self, h_peer);

	in = fdopen(cmd, "r");
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		if (strcmp(line, "disable\n") == 0) {
			sub_reply(ans, "ret %d\n", idd_telemetry_disable());
		} else if (strcmp(line, "enable\n") == 0) {
			sub_reply(ans, "ret %d\n", idd_telemetry_enable(ns));
		} else if (strcmp(line, "path\n") == 0) {
			int r = idd_telemetry_path(path, sizeof(path));

			sub_reply(ans, "ret %d %s\n", r, r >= 0 ? path : "-");
		} else if (strcmp(line, "exit\n") == 0) {
			break;
		} else {
			sub_reply(ans, "ret -1 unknown\n");
		}
	}
	/* A clean end: stop, leave, destroy, close. exit() removes the
	 * socket if telemetry is still on. */
	idd_dma_stop((int16_t)dev0);
	idd_dma_access_pair_group_leave((int16_t)dev1, gid);
	idd_dma_access_pair_group_destroy((int16_t)dev0, gid);
	idd_dma_close((int16_t)dev0);
	idd_dma_close((int16_t)dev1);
	idd_mem_free(src);
	idd_mem_free(dst);
	exit(0);
}

static int
read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

static void
subject_start(struct subject *s, bool by_env)
{
	int to[2], from[2];
	char line[512];

	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "%s/subject-%s.log", rt_dir, ns);
	assert_int_equal(pipe2(to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from, O_CLOEXEC), 0);
	fflush(NULL);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (log >= 0)
			dup2(log, STDERR_FILENO);
		close(to[1]);
		close(from[0]);
		subject_main(to[0], from[1], by_env);
	}
	close(to[0]);
	close(from[1]);
	s->cmd = to[1];
	s->ans = from[0];
	if (read_line(s->ans, line, sizeof(line), 30000) != 0) {
		int st = 0;

		char logtext[2048] = "";
		FILE *lf;

		waitpid(s->pid, &st, 0);
		/* Its log says which step failed (its exit status names it too). */
		lf = fopen(s->log, "r");
		if (lf != NULL) {
			logtext[fread(logtext, 1, sizeof(logtext) - 1, lf)] = '\0';
			fclose(lf);
		}
		fail_msg("subject did not get ready (exit status %d, signal %d); its log:\n%s",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
			 logtext);
	}
	assert_int_equal(sscanf(line, "ready %107s %" SCNu64 " %d %d %d", s->path, &s->src_addr,
				&s->gid, &s->h_self, &s->h_peer),
			 5);
}

static int
subject_cmd(struct subject *s, const char *cmd, char *line, size_t cap)
{
	char buf[256];
	int ret;

	assert_int_equal(write(s->cmd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	assert_int_equal(read_line(s->ans, buf, sizeof(buf), 30000), 0);
	assert_int_equal(sscanf(buf, "ret %d", &ret), 1);
	if (line != NULL)
		snprintf(line, cap, "%s", buf);
	return ret;
}

/* Ask it to exit; returns its exit status. */
static int
subject_exit(struct subject *s)
{
	int st;

	assert_int_equal(write(s->cmd, "exit\n", 5), 5);
	close(s->cmd);
	close(s->ans);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
subject_kill(struct subject *s)
{
	kill(s->pid, SIGKILL);
	close(s->cmd);
	close(s->ans);
	waitpid(s->pid, NULL, 0);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* ---- idd-ctl as a subprocess ---- */

struct run {
	int status;     /* exit code, or 128 + signal */
	char *out, *err;
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void
append(char **buf, size_t *len, const char *data, size_t n)
{
	char *b = realloc(*buf, *len + n + 1);

	assert_non_null(b);
	memcpy(b + *len, data, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
}

/* Run idd-ctl with the arguments (NULL-terminated); 20 s at most. */
static struct run
ctl(const char *first, ...)
{
	const char *exe = getenv("IDD_CTL");
	const char *argv[16];
	struct run r = {0};
	size_t olen = 0, elen = 0;
	int out[2], err[2], st, argc = 0;
	va_list ap;
	pid_t pid;
	bool o_open = true, e_open = true;

	assert_non_null(exe);
	argv[argc++] = "idd-ctl";
	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	r.out = calloc(1, 1);
	r.err = calloc(1, 1);
	while (o_open || e_open) {
		struct pollfd p[2] = {{.fd = o_open ? out[0] : -1, .events = POLLIN},
				      {.fd = e_open ? err[0] : -1, .events = POLLIN}};
		char buf[4096];

		if (poll(p, 2, 20000) <= 0) {
			kill(pid, SIGKILL);
			fail_msg("idd-ctl %s: no end after 20 s", first);
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				*(i == 0 ? &o_open : &e_open) = false;
			} else {
				append(i == 0 ? &r.out : &r.err, i == 0 ? &olen : &elen, buf,
				       (size_t)n);
			}
		}
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r;
}

static struct json *
parse_or_fail(const struct run *r)
{
	char err[128];
	struct json *j = json_parse(r->out, strlen(r->out), err, sizeof(err));

	if (j == NULL)
		fail_msg("idd-ctl printed no JSON (%s): %s / %s", err, r->out, r->err);
	return j;
}

/* ---- raw connections ---- */

static int
raw_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Receive one whole answer; returns its status, text in @text (if given).
 * -1000 when the server closed instead. */
static int
raw_answer(int fd, uint16_t type, uint32_t id, char *text, size_t cap)
{
	static uint8_t buf[TEL_HDR_LEN + TEL_CHUNK_MAX];
	size_t used = 0;

	for (;;) {
		struct tel_hdr h;
		const char *why;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return -1000;
		assert_int_equal(tel_reply_check(buf, (size_t)n, &h, &why), 0);
		assert_int_equal(h.type, type);
		assert_int_equal(h.id, id);
		if (text != NULL && used + (size_t)n - TEL_HDR_LEN < cap) {
			memcpy(text + used, buf + TEL_HDR_LEN, (size_t)n - TEL_HDR_LEN);
			used += (size_t)n - TEL_HDR_LEN;
			text[used] = '\0';
		}
		if (!(h.flags & TEL_FLAG_MORE))
			return h.status;
	}
}

static void
raw_send(int fd, uint16_t version, uint16_t type, uint32_t id)
{
	struct tel_hdr h = {.version = version, .type = type, .id = id};
	uint8_t req[TEL_REQ_LEN];

	tel_hdr_encode(&h, req);
	assert_int_equal(send(fd, req, sizeof(req), MSG_NOSIGNAL), (ssize_t)sizeof(req));
}

/* True when the server closed @fd (within the receive timeout). */
static bool
raw_closed(int fd)
{
	char b[64];

	return recv(fd, b, sizeof(b), 0) == 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- fixtures ---- */

static int
new_ns(void **state)
{
	(void)state;
	snprintf(ns, sizeof(ns), "tel%dx%u", (int)getpid(), ++ns_counter);
	return 0;
}

/* ---- tests ---- */

static void
test_list(void **state)
{
	struct subject s;
	struct run r;
	struct json *j;
	const struct json *p;
	char comm[64] = "", prog[64] = "", path[64];
	FILE *f;

	(void)state;
	subject_start(&s, false);
	assert_true(exists(s.path));
	r = ctl("list", "--namespace", ns, "--json", NULL);
	assert_int_equal(r.status, 0);
	j = parse_or_fail(&r);
	assert_string_equal(json_get_str(j, "namespace", ""), ns);
	assert_int_equal(json_len(json_get(j, "processes")), 1);
	p = json_at(json_get(j, "processes"), 0);
	assert_int_equal(json_get_u64(p, "pid", 0), (uint64_t)s.pid);
	assert_int_equal(json_get_u64(p, "uid", 99999), (uint64_t)geteuid());
	assert_string_equal(json_get_str(p, "namespace", ""), ns);
	assert_int_equal(json_get_u64(p, "devices", 0), 2);
	assert_int_equal(json_get_u64(p, "groups", 0), 2); /* created on one, joined with the other */
	assert_true(json_get_u64(p, "windows", 0) >= 1);
	assert_string_equal(json_get_str(p, "idd_version", ""), idd_version());
	assert_int_equal(json_get_u64(p, "protocol", 0), TEL_VERSION);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s.pid);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_string_equal(json_get_str(p, "comm", ""), comm);
	snprintf(prog, sizeof(prog), "%s", json_get_str(p, "program", ""));
	assert_true(prog[0] != '\0');
	json_free(j);
	run_free(&r);

	/* The table: a header and the process's line, whose PROGRAM is the
	 * name the process reports (not comm: under valgrind, comm names
	 * the tool). */
	r = ctl("list", "--namespace", ns, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "PID"));
	assert_non_null(strstr(r.out, prog));
	run_free(&r);

	/* Another namespace shows nothing; --all shows it. */
	r = ctl("list", "--namespace", "tel-nobody-here", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no idd process"));
	run_free(&r);
	r = ctl("list", "--all", "--json", NULL);
	assert_int_equal(r.status, 0);
	j = parse_or_fail(&r);
	assert_true(json_len(json_get(j, "processes")) >= 1);
	json_free(j);
	run_free(&r);

	assert_int_equal(subject_exit(&s), 0);
	/* exit() removed the socket. */
	assert_false(exists(s.path));
}

static const struct json *
find_dev(const struct json *all, const char *name)
{
	const struct json *devs = json_get(all, "devices");

	for (size_t i = 0; i < json_len(devs); i++)
		if (strcmp(json_get_str(json_at(devs, i), "name", ""), name) == 0)
			return json_at(devs, i);
	return NULL;
}

static void
check_stats(const struct json *st, uint64_t ops, uint64_t bytes)
{
	assert_int_equal(json_get_u64(st, "submitted", 0), ops);
	assert_int_equal(json_get_u64(st, "completed", 0), ops);
	assert_int_equal(json_get_u64(st, "errors", 99), 0);
	assert_int_equal(json_get_u64(st, "bytes", 0), bytes);
}

static void
test_show(void **state)
{
	struct subject s;
	struct run r;
	struct json *j;
	const struct json *d0, *d1, *v0, *v1, *gs, *ws;
	char pid[16];
	bool found_window = false;
	int creators = 0, members = 0;

	(void)state;
	subject_start(&s, false);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	r = ctl("show", pid, "--json", NULL);
	assert_int_equal(r.status, 0);
	j = parse_or_fail(&r);

	assert_int_equal(json_get_u64(json_get(j, "process"), "pid", 0), (uint64_t)s.pid);
	assert_string_equal(json_get_str(json_get(j, "process"), "namespace", ""), ns);
	d0 = find_dev(j, "tel0");
	d1 = find_dev(j, "tel1");
	assert_non_null(d0);
	assert_non_null(d1);
	assert_string_equal(json_get_str(d0, "driver", ""), "sw");
	assert_string_equal(json_get_str(d0, "state", ""), "started");
	assert_string_equal(json_get_str(d1, "state", ""), "stopped");
	assert_true(json_get_bool(d0, "configured", false));
	assert_false(json_get_bool(d1, "configured", true));
	assert_string_equal(json_get_str(d0, "namespace", ""), ns);
	assert_int_equal(json_get_u64(d0, "nb_vchans", 0), 2);
	assert_true(json_len(json_get(d0, "capabilities")) > 0);
	check_stats(json_get(d0, "stats"), COPIES0 + COPIES1,
		    (uint64_t)COPIES0 * SIZE0 + (uint64_t)COPIES1 * SIZE1);
	check_stats(json_get(d1, "stats"), 0, 0);
	assert_int_equal(json_len(json_get(d1, "vchans")), 0);

	v0 = json_at(json_get(d0, "vchans"), 0);
	v1 = json_at(json_get(d0, "vchans"), 1);
	assert_true(json_get_bool(v0, "ready", false));
	assert_int_equal(json_get_u64(v0, "ring_size", 0), RING0);
	assert_int_equal(json_get_u64(v1, "ring_size", 0), RING1);
	assert_string_equal(json_get_str(v0, "direction", ""), "mem2mem");
	assert_string_equal(json_get_str(json_get(v0, "domain"), "type", ""), "none");
	assert_string_equal(json_get_str(json_get(v1, "domain"), "type", ""), "inter-process");
	assert_int_equal(json_get_u64(json_get(v1, "domain"), "src_handler", 0), (uint64_t)s.h_self);
	assert_int_equal(json_get_u64(json_get(v1, "domain"), "dst_handler", 0), (uint64_t)s.h_peer);
	assert_string_equal(json_get_str(v0, "status", ""), "idle");
	check_stats(json_get(v0, "stats"), COPIES0, (uint64_t)COPIES0 * SIZE0);
	check_stats(json_get(v1, "stats"), COPIES1, (uint64_t)COPIES1 * SIZE1);

	gs = json_get(j, "groups");
	assert_int_equal(json_len(gs), 2);
	for (size_t i = 0; i < json_len(gs); i++) {
		const struct json *g = json_at(gs, i), *ms = json_get(g, "members");
		bool creator = strcmp(json_get_str(g, "role", ""), "creator") == 0;

		assert_int_equal(json_get_u64(g, "id", 999), (uint64_t)s.gid);
		assert_string_equal(json_get_str(g, "state", ""), "active");
		assert_string_equal(json_get_str(g, "namespace", ""), ns);
		assert_int_equal(json_get_u64(g, "dev_id", 999),
				 json_get_u64(creator ? d0 : d1, "id", 998));
		assert_int_equal(json_len(ms), 2);
		creators += creator;
		members += !creator;
		for (size_t k = 0; k < json_len(ms); k++) {
			const struct json *m = json_at(ms, k);
			bool is_creator = json_get_bool(m, "creator", false);

			assert_int_equal(json_get_u64(m, "pid", 0), (uint64_t)s.pid);
			assert_int_equal(json_get_u64(m, "uid", 99999), (uint64_t)geteuid());
			assert_true(json_get_u64(m, "handler", 0) != 0);
			/* Domain ids as the subject chose them (uuid_of). */
			assert_string_equal(json_get_str(m, "domain", ""),
					    is_creator ? "10111213-1415-1617-1819-1a1b1c1d1e1f"
						       : "20212223-2425-2627-2829-2a2b2c2d2e2f");
			assert_int_equal(json_get_bool(m, "self", false), is_creator == creator);
			if (creator)
				assert_int_equal(json_get_u64(m, "handler", 0),
						 (uint64_t)(is_creator ? s.h_self : s.h_peer));
		}
		/* Never a token, under any name. */
		assert_null(json_get(g, "token"));
	}
	assert_int_equal(creators, 1);
	assert_int_equal(members, 1);
	assert_null(strstr(r.out, "token"));

	ws = json_get(j, "windows");
	for (size_t i = 0; i < json_len(ws); i++) {
		const struct json *w = json_at(ws, i);
		uint64_t base = json_get_u64(w, "base", 0), len = json_get_u64(w, "length", 0);

		if (s.src_addr >= base && s.src_addr - base < len) {
			found_window = true;
			assert_string_equal(json_get_str(w, "perms", ""), "rw");
			assert_string_equal(json_get_str(w, "kind", ""), "heap");
			assert_non_null(json_get(w, "huge"));
		}
	}
	assert_true(found_window);
	json_free(j);
	run_free(&r);

	/* The tables, with the same figures. */
	r = ctl("show", pid, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "devices (2)"));
	assert_non_null(strstr(r.out, "vchans (2)"));
	assert_non_null(strstr(r.out, "groups (2)"));
	assert_non_null(strstr(r.out, "members (4)"));
	assert_non_null(strstr(r.out, "inter-process"));
	assert_non_null(strstr(r.out, "tel0"));
	run_free(&r);

	/* watch: two refreshes, rates from the second. */
	r = ctl("watch", pid, "--interval", "0.2", "--count", "2", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "OPS/S"));
	assert_non_null(strstr(r.out, "rates from the next refresh"));
	assert_non_null(strstr(strstr(r.out, "OPS/S") + 1, "OPS/S"));
	run_free(&r);

	assert_int_equal(subject_exit(&s), 0);
}

static void
test_env(void **state)
{
	struct subject s;
	struct run r;
	struct json *j;
	char pid[16], expect[256];

	(void)state;
	subject_start(&s, true);
	/* IDD_TELEMETRY=1: serving since the first device, in its namespace. */
	snprintf(expect, sizeof(expect), "%s/%s.telemetry.%d.sock", rt_dir, ns, (int)s.pid);
	assert_string_equal(s.path, expect);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	r = ctl("show", pid, "--namespace", ns, "--json", NULL);
	assert_int_equal(r.status, 0);
	j = parse_or_fail(&r);
	assert_int_equal(json_len(json_get(j, "devices")), 2);
	json_free(j);
	run_free(&r);
	/* Enabling again in the same namespace is a no-op. */
	assert_int_equal(subject_cmd(&s, "enable\n", NULL, 0), 0);
	assert_int_equal(subject_exit(&s), 0);
	assert_false(exists(s.path));
}

static void
test_malformed(void **state)
{
	struct subject s;
	struct run r;
	char text[4096], pid[16], *log;
	uint8_t big[300];
	int fd, fds[2];

	(void)state;
	subject_start(&s, false);

	/* Greeting. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "\"protocol\":1"));
	/* Unknown command: an error answer, and the connection stays. */
	raw_send(fd, TEL_VERSION, 77, 5);
	assert_int_equal(raw_answer(fd, 77 | TEL_REPLY, 5, text, sizeof(text)), -EOPNOTSUPP);
	assert_non_null(strstr(text, "unknown command"));
	raw_send(fd, TEL_VERSION, TEL_CMD_PROCESS, 6);
	assert_int_equal(raw_answer(fd, TEL_CMD_PROCESS | TEL_REPLY, 6, text, sizeof(text)), 0);
	/* Garbage of the right size: closed, no answer. */
	assert_int_equal(send(fd, "GET / HTTP/1.0\r\n", 16, MSG_NOSIGNAL), 16);
	assert_true(raw_closed(fd));
	close(fd);

	/* Too short. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, NULL, 0), 0);
	assert_int_equal(send(fd, "hello", 5, MSG_NOSIGNAL), 5);
	assert_true(raw_closed(fd));
	close(fd);

	/* Another version: an error answer naming ours, then closed. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, NULL, 0), 0);
	raw_send(fd, 9, TEL_CMD_ALL, 8);
	assert_int_equal(raw_answer(fd, TEL_CMD_ALL | TEL_REPLY, 8, text, sizeof(text)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(text, "version 1"));
	assert_true(raw_closed(fd));
	close(fd);

	/* Too long. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, NULL, 0), 0);
	memset(big, 0, sizeof(big));
	memcpy(big, "IDDT\x01\x00\x01\x00", 8);
	assert_int_equal(send(fd, big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
	assert_true(raw_closed(fd));
	close(fd);

	/* A reserved field set. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, NULL, 0), 0);
	memcpy(big, "IDDT\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00", 16);
	assert_int_equal(send(fd, big, 16, MSG_NOSIGNAL), 16);
	assert_true(raw_closed(fd));
	close(fd);

	/* A valid request carrying a file descriptor. */
	fd = raw_connect(s.path);
	assert_int_equal(raw_answer(fd, TEL_HELLO, 0, NULL, 0), 0);
	{
		struct tel_hdr h = {.version = TEL_VERSION, .type = TEL_CMD_PROCESS, .id = 1};
		uint8_t req[TEL_REQ_LEN];
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {.iov_base = req, .iov_len = sizeof(req)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		tel_hdr_encode(&h, req);
		c = CMSG_FIRSTHDR(&m);
		assert_non_null(c);
		if (c != NULL) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &(int){STDIN_FILENO}, sizeof(int));
		}
		assert_int_equal(sendmsg(fd, &m, MSG_NOSIGNAL), (ssize_t)sizeof(req));
	}
	assert_true(raw_closed(fd));
	close(fd);

	/* A client that sends nothing is no harm either: open 16, the 17th
	 * is told to come back later. */
	for (int i = 0; i < 16; i++) {
		int c = raw_connect(s.path);

		assert_int_equal(raw_answer(c, TEL_HELLO, 0, NULL, 0), 0);
		if (i == 0)
			fds[0] = c;
		else if (i == 15)
			fds[1] = c;
		else
			close(c);
	}
	/* The closed ones free their slots once the server sees the EOF;
	 * wait for that by asking on a live one (answers are in order). */
	raw_send(fds[0], TEL_VERSION, TEL_CMD_PROCESS, 1);
	assert_int_equal(raw_answer(fds[0], TEL_CMD_PROCESS | TEL_REPLY, 1, NULL, 0), 0);
	close(fds[0]);
	close(fds[1]);

	/* The server is unharmed: idd-ctl still gets everything. */
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	r = ctl("show", pid, "--json", NULL);
	assert_int_equal(r.status, 0);
	json_free(parse_or_fail(&r));
	run_free(&r);
	assert_int_equal(subject_exit(&s), 0);

	/* One log line per refusal, saying why. */
	log = slurp(s.log);
	assert_non_null(strstr(log, "bad magic"));
	assert_non_null(strstr(log, "shorter than its 16-byte header"));
	assert_non_null(strstr(log, "longer than 16 bytes"));
	assert_non_null(strstr(log, "reserved field"));
	assert_non_null(strstr(log, "ancillary data"));
	assert_non_null(strstr(log, "protocol version 9"));
	assert_non_null(strstr(log, "unknown command 77"));
	free(log);
}

static void
test_too_many(void **state)
{
	struct subject s;
	int fds[17];
	char text[512];

	(void)state;
	subject_start(&s, false);
	for (int i = 0; i < 16; i++) {
		fds[i] = raw_connect(s.path);
		assert_int_equal(raw_answer(fds[i], TEL_HELLO, 0, NULL, 0), 0);
	}
	fds[16] = raw_connect(s.path);
	assert_int_equal(raw_answer(fds[16], TEL_HELLO, 0, text, sizeof(text)), -EBUSY);
	assert_true(raw_closed(fds[16]));
	for (int i = 0; i < 17; i++)
		close(fds[i]);
	assert_int_equal(subject_exit(&s), 0);
}

static void
test_disable(void **state)
{
	struct subject s;
	struct run r;
	char pid[16], line[256];

	(void)state;
	subject_start(&s, false);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	assert_true(exists(s.path));
	assert_int_equal(subject_cmd(&s, "disable\n", NULL, 0), 0);
	assert_false(exists(s.path));
	assert_true(subject_cmd(&s, "path\n", line, sizeof(line)) == -ENOENT);
	/* Twice is harmless. */
	assert_int_equal(subject_cmd(&s, "disable\n", NULL, 0), 0);

	r = ctl("show", pid, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "does not serve telemetry"));
	assert_non_null(strstr(r.err, "IDD_TELEMETRY=1"));
	run_free(&r);
	r = ctl("list", "--namespace", ns, "--json", NULL);
	assert_int_equal(r.status, 0);
	{
		struct json *j = parse_or_fail(&r);

		assert_int_equal(json_len(json_get(j, "processes")), 0);
		json_free(j);
	}
	run_free(&r);

	/* And back on. */
	assert_int_equal(subject_cmd(&s, "enable\n", NULL, 0), 0);
	assert_true(exists(s.path));
	r = ctl("show", pid, "--json", NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
	assert_int_equal(subject_exit(&s), 0);
	assert_false(exists(s.path));
}

static void
test_stale(void **state)
{
	struct subject s;
	struct run r;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char pid[16], fake[sizeof(a.sun_path) + 64];
	pid_t dead;
	int fd;

	(void)state;
	/* A SIGKILLed process leaves its socket. */
	subject_start(&s, false);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	subject_kill(&s);
	assert_true(exists(s.path));
	r = ctl("show", pid, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "removed stale"));
	assert_non_null(strstr(r.err, "no process with pid"));
	assert_false(exists(s.path));
	run_free(&r);

	/* A socket nobody listens on, for a pid that is gone: list removes
	 * it, says so, and lists nothing. */
	dead = fork();
	assert_true(dead >= 0);
	if (dead == 0) {
		/* exec rather than _exit: see harness_child_exit() in
		 * tests/group/harness.h (valgrind follows children). */
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(dead, NULL, 0);
	snprintf(fake, sizeof(fake), "%s/%s.telemetry.%d.sock", rt_dir, ns, (int)dead);
	assert_true(strlen(fake) < sizeof(a.sun_path));
	memcpy(a.sun_path, fake, strlen(fake) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
	assert_true(exists(fake));
	r = ctl("list", "--namespace", ns, "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "removed stale"));
	assert_false(exists(fake));
	{
		struct json *j = parse_or_fail(&r);

		assert_int_equal(json_len(json_get(j, "processes")), 0);
		json_free(j);
	}
	run_free(&r);
}

static void
test_errors(void **state)
{
	struct run r;
	char self[16];

	(void)state;
	/* A live process that is not serving (this one). */
	snprintf(self, sizeof(self), "%d", (int)getpid());
	r = ctl("show", self, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "does not serve telemetry"));
	run_free(&r);
	r = ctl("watch", self, "--count", "1", NULL);
	assert_int_equal(r.status, 1);
	run_free(&r);
	/* No such process. */
	r = ctl("show", "2147483600", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no process with pid 2147483600"));
	run_free(&r);
	/* Usage: exit 2, with the command's usage. */
	r = ctl("show", "abc", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "Usage: idd-ctl show"));
	run_free(&r);
	r = ctl("watch", self, "--interval", "0", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = ctl("list", "--all", "--namespace", "x", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = ctl("list", "--namespace", "../etc", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = ctl("frobnicate", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = ctl(NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	/* --help at every level. */
	r = ctl("--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Commands:"));
	run_free(&r);
	r = ctl("list", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: idd-ctl list"));
	run_free(&r);
	r = ctl("show", "-h", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: idd-ctl show"));
	run_free(&r);
	r = ctl("watch", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: idd-ctl watch"));
	run_free(&r);
	r = ctl("help", "watch", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: idd-ctl watch"));
	run_free(&r);
	r = ctl("--version", NULL);
	assert_int_equal(r.status, 0);
	run_free(&r);
}

/* Another user may not read our telemetry: the directory and socket
 * modes say so, and the server checks the peer's uid as well. Needs root
 * (to become someone else). */
static void
test_other_user(void **state)
{
	struct subject s;
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	subject_start(&s, false);
	for (int open_up = 0; open_up < 2; open_up++) {
		if (open_up) {
			/* Let others reach the socket, so that only the
			 * server's own check stands in the way. */
			assert_int_equal(chmod(rt_dir, 0711), 0);
			assert_int_equal(chmod(s.path, 0666), 0);
		}
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct sockaddr_un a = {.sun_family = AF_UNIX};
			uint8_t buf[TEL_HDR_LEN + 512];
			struct tel_hdr h;
			const char *why;
			int fd;
			ssize_t n;

			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(10);
			fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
			snprintf(a.sun_path, sizeof(a.sun_path), "%s", s.path);
			if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
				_exit(errno == EACCES ? 0 : 11);
			if (!open_up)
				_exit(12); /* should not have reached it */
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < TEL_HDR_LEN || tel_reply_check(buf, (size_t)n, &h, &why) != 0)
				_exit(13);
			_exit(h.type == TEL_HELLO && h.status == -EACCES ? 0 : 14);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(chmod(rt_dir, 0700), 0);
	assert_int_equal(subject_exit(&s), 0);
}

/* The library calls on their own, in this process. */
static void
test_api(void **state)
{
	char path[256], tiny[4];
	int len;

	(void)state;
	assert_int_equal(idd_telemetry_path(path, sizeof(path)), -ENOENT);
	assert_int_equal(idd_telemetry_path(NULL, 10), -EINVAL);
	assert_int_equal(idd_telemetry_enable("bad/ns"), -EINVAL);
	assert_int_equal(idd_telemetry_enable(""), -EINVAL);
	assert_int_equal(idd_telemetry_enable("a-namespace-name-longer-than-32-chars"), -EINVAL);
	assert_int_equal(idd_telemetry_enable(ns), 0);
	assert_int_equal(idd_telemetry_enable(ns), 0);
	assert_int_equal(idd_telemetry_enable("elsewhere"), -EBUSY);
	len = idd_telemetry_path(path, sizeof(path));
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(path));
	assert_int_equal(idd_telemetry_path(tiny, sizeof(tiny)), -ENAMETOOLONG);
	assert_true(exists(path));
	assert_int_equal(idd_telemetry_disable(), 0);
	assert_false(exists(path));
	assert_int_equal(idd_telemetry_disable(), 0);
	assert_int_equal(idd_telemetry_path(path, sizeof(path)), -ENOENT);
	/* From the environment: the namespace alone matters (telemetry never
	 * uses abstract sockets, whatever IDD_ABSTRACT_SOCKETS says). */
	setenv("IDD_NAMESPACE", ns, 1);
	setenv("IDD_ABSTRACT_SOCKETS", "yes", 1);
	assert_int_equal(idd_telemetry_enable(NULL), 0);
	assert_int_equal(idd_telemetry_enable(ns), 0);
	assert_int_equal(idd_telemetry_disable(), 0);
	setenv("IDD_NAMESPACE", "bad/ns", 1);
	assert_int_equal(idd_telemetry_enable(NULL), -EINVAL);
	unsetenv("IDD_NAMESPACE");
	unsetenv("IDD_ABSTRACT_SOCKETS");
}

static int
cleanup_dir(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rt_dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_list, new_ns),
		cmocka_unit_test_setup(test_show, new_ns),
		cmocka_unit_test_setup(test_env, new_ns),
		cmocka_unit_test_setup(test_malformed, new_ns),
		cmocka_unit_test_setup(test_too_many, new_ns),
		cmocka_unit_test_setup(test_disable, new_ns),
		cmocka_unit_test_setup(test_stale, new_ns),
		cmocka_unit_test_setup(test_errors, new_ns),
		cmocka_unit_test_setup(test_other_user, new_ns),
		cmocka_unit_test_setup(test_api, new_ns),
	};
	int ret;

	snprintf(rt_dir, sizeof(rt_dir), "/tmp/idd-tel-XXXXXX");
	if (mkdtemp(rt_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("IDD_RUNTIME_DIR", rt_dir, 1);
	unsetenv("IDD_TELEMETRY");
	unsetenv("IDD_NAMESPACE");
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (getenv("TEL_KEEP") == NULL)
		cleanup_dir();
	return ret;
}
