/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of the telemetry protocol (src/telemetry/proto.h):
 * finding the sockets of a namespace, removing stale ones, asking.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl.h"
#include "telemetry/proto.h"

int
ctl_runtime_dir(char *dir, size_t cap)
{
	/* Found as the library finds it, never created: a tool that only
	 * reads has no business making a directory that processes would
	 * then find in place. */
	return rdv_runtime_dir_lookup(dir, cap);
}

/* "<ns>.telemetry.<pid>.sock" -> ns and pid; false for any other name. */
static bool
parse_name(const char *name, char ns[RDV_NS_MAX + 1], pid_t *pid)
{
	static const char mid[] = ".telemetry.";
	const char *m = strstr(name, mid), *p, *end;
	unsigned long v = 0;
	size_t nslen;

	if (m == NULL)
		return false;
	nslen = (size_t)(m - name);
	if (nslen == 0 || nslen > RDV_NS_MAX)
		return false;
	memcpy(ns, name, nslen);
	ns[nslen] = '\0';
	if (!rdv_ns_valid(ns))
		return false;
	p = m + sizeof(mid) - 1;
	end = strstr(p, ".sock");
	if (end == NULL || strcmp(end, ".sock") != 0 || end == p || end - p > 10)
		return false;
	for (const char *q = p; q < end; q++) {
		if (*q < '0' || *q > '9')
			return false;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v == 0 || v > 0x7fffffff)
		return false;
	*pid = (pid_t)v;
	return true;
}

static int
cmp_proc(const void *a, const void *b)
{
	const struct ctl_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->ns, y->ns);
}

int
ctl_scan(const char *dir, const char *ns, pid_t pid, struct ctl_proc **out)
{
	struct ctl_proc *arr = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*out = NULL;
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno; /* no directory: nobody there */
	while ((de = readdir(d)) != NULL) {
		struct ctl_proc p;
		int len;

		memset(&p, 0, sizeof(p));
		if (!parse_name(de->d_name, p.ns, &p.pid))
			continue;
		if ((ns != NULL && strcmp(ns, p.ns) != 0) || (pid != 0 && pid != p.pid))
			continue;
		len = snprintf(p.path, sizeof(p.path), "%s/%s", dir, de->d_name);
		if (len < 0 || (size_t)len >= sizeof(p.path))
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct ctl_proc *a = realloc(arr, c * sizeof(*a));

			if (a == NULL) {
				free(arr);
				closedir(d);
				return -ENOMEM;
			}
			arr = a;
			cap = c;
		}
		arr[n++] = p;
	}
	closedir(d);
	if (n > 1)
		qsort(arr, n, sizeof(*arr), cmp_proc);
	*out = arr;
	return (int)n;
}

bool
ctl_pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

void
ctl_proc_name(pid_t pid, char *out, size_t cap)
{
	char path[64];
	FILE *f;

	snprintf(out, cap, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(out, (int)cap, f) == NULL)
		snprintf(out, cap, "?");
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Nobody listens on @p: its process died without removing it. Remove it,
 * unless it was replaced meanwhile (a new process of the same pid). */
static void
remove_stale(const struct ctl_proc *p, const struct stat *before, bool quiet)
{
	struct stat now;

	if (lstat(p->path, &now) != 0 || now.st_ino != before->st_ino ||
	    now.st_dev != before->st_dev)
		return;
	if (unlink(p->path) != 0) {
		if (!quiet)
			fprintf(stderr, "idd-ctl: stale telemetry socket %s (pid %d is gone): "
					"cannot remove it: %s\n", p->path, (int)p->pid,
				strerror(errno));
		return;
	}
	if (!quiet)
		fprintf(stderr, "idd-ctl: removed stale telemetry socket %s (pid %d %s)\n",
			p->path, (int)p->pid,
			ctl_pid_alive(p->pid) ? "no longer serves it" : "is gone");
}

/* Receive one reply message into @buf (@cap bytes). Returns its length or
 * -errno with @err set. */
static ssize_t
recv_msg(struct ctl_conn *c, uint8_t *buf, size_t cap, char *err, size_t errcap)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t r;

	do
		r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = errno;

		if (e == EAGAIN || e == EWOULDBLOCK) {
			snprintf(err, errcap, "process %d did not answer within %d s (stopped, or "
					      "very busy?)", (int)c->pid, CTL_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		snprintf(err, errcap, "process %d: %s", (int)c->pid, strerror(e));
		return -e;
	}
	if (r == 0) {
		snprintf(err, errcap, "process %d closed the connection (it exited, or disabled "
				      "telemetry)", (int)c->pid);
		return -ECONNRESET;
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		snprintf(err, errcap, "process %d sent a message the protocol does not allow",
			 (int)c->pid);
		return -EPROTO;
	}
	return r;
}

/* Read one whole answer (all its messages) to request @id of type @type.
 * On success *@text holds the JSON text and *@status the answer's status. */
static int
read_answer(struct ctl_conn *c, uint16_t type, uint32_t id, char **text, size_t *len,
	    int *status, char *err, size_t errcap)
{
	size_t cap = TEL_HDR_LEN + TEL_CHUNK_MAX + 1;
	uint8_t *buf = malloc(cap);
	char *acc = NULL;
	size_t n = 0;
	int ret = 0;

	if (buf == NULL) {
		snprintf(err, errcap, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		struct tel_hdr h;
		const char *why;
		ssize_t r = recv_msg(c, buf, cap, err, errcap);
		size_t body;
		char *a;

		if (r < 0) {
			ret = (int)r;
			break;
		}
		ret = tel_reply_check(buf, (size_t)r, &h, &why);
		if (ret != 0) {
			snprintf(err, errcap, "process %d: bad answer: %s", (int)c->pid, why);
			break;
		}
		if (h.type != type || h.id != id) {
			snprintf(err, errcap, "process %d: answer to another request (type 0x%x id "
					      "%u, expected 0x%x id %u)", (int)c->pid, h.type, h.id,
				 type, id);
			ret = -EPROTO;
			break;
		}
		body = (size_t)r - TEL_HDR_LEN;
		if (n + body > TEL_REPLY_MAX) {
			snprintf(err, errcap, "process %d: answer larger than %u bytes", (int)c->pid,
				 TEL_REPLY_MAX);
			ret = -EPROTO;
			break;
		}
		a = realloc(acc, n + body + 1);
		if (a == NULL) {
			snprintf(err, errcap, "out of memory");
			ret = -ENOMEM;
			break;
		}
		acc = a;
		memcpy(acc + n, buf + TEL_HDR_LEN, body);
		n += body;
		acc[n] = '\0';
		if (!(h.flags & TEL_FLAG_MORE)) {
			*status = h.status;
			break;
		}
	}
	free(buf);
	if (ret != 0) {
		free(acc);
		return ret;
	}
	if (acc == NULL)
		acc = calloc(1, 1);
	if (acc == NULL) {
		snprintf(err, errcap, "out of memory");
		return -ENOMEM;
	}
	*text = acc;
	*len = n;
	return 0;
}

/* The sentence for an error answer: its "error" text if any. */
static void
answer_error(const struct ctl_conn *c, const char *text, size_t len, int status, char *err,
	     size_t errcap)
{
	struct json *j = json_parse(text, len, NULL, 0);
	const char *msg = json_get_str(j, "error", NULL);

	snprintf(err, errcap, "process %d: %s", (int)c->pid, msg != NULL ? msg : strerror(-status));
	json_free(j);
}

int
ctl_connect(const struct ctl_proc *p, bool quiet, struct ctl_conn *c, char *err, size_t errcap)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_S};
	struct stat before;
	char *text = NULL;
	size_t len;
	int status = 0, ret;
	char jerr[128];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->pid = p->pid;
	c->next_id = 1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", p->path);
	if (lstat(p->path, &before) != 0) {
		snprintf(err, errcap, "process %d: no telemetry socket any more", (int)p->pid);
		return -ENOENT;
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		snprintf(err, errcap, "socket: %s", strerror(-ret));
		return ret;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		ret = -errno;
		switch (ret) {
		case -ECONNREFUSED:
			remove_stale(p, &before, quiet);
			snprintf(err, errcap, "process %d does not serve telemetry any more (stale "
					      "socket removed)", (int)p->pid);
			break;
		case -EACCES:
		case -EPERM:
			ret = -EACCES;
			snprintf(err, errcap, "process %d: permission denied (its telemetry socket "
					      "%s belongs to another user; run idd-ctl as that user "
					      "or as root)", (int)p->pid, p->path);
			break;
		case -ENOENT:
			snprintf(err, errcap, "process %d: its telemetry socket disappeared",
				 (int)p->pid);
			break;
		case -EAGAIN:
			snprintf(err, errcap, "process %d is not accepting connections (backlog "
					      "full); try again", (int)p->pid);
			break;
		default:
			snprintf(err, errcap, "process %d: connect %s: %s", (int)p->pid, p->path,
				 strerror(-ret));
			break;
		}
		ctl_close(c);
		return ret;
	}
	ret = read_answer(c, TEL_HELLO, 0, &text, &len, &status, err, errcap);
	if (ret == 0 && status != 0) {
		answer_error(c, text, len, status, err, errcap);
		ret = status == -EACCES ? -EACCES : status;
	}
	if (ret == 0) {
		c->hello = json_parse(text, len, jerr, sizeof(jerr));
		if (c->hello == NULL || c->hello->type != JSON_OBJECT) {
			snprintf(err, errcap, "process %d: bad greeting: %s", (int)p->pid,
				 c->hello == NULL ? jerr : "not an object");
			ret = -EPROTO;
		}
	}
	free(text);
	if (ret != 0)
		ctl_close(c);
	return ret;
}

int
ctl_request(struct ctl_conn *c, unsigned int cmd, char **text_out, struct json **tree_out,
	    char *err, size_t errcap)
{
	struct tel_hdr h = {.version = TEL_VERSION, .type = (uint16_t)cmd, .id = c->next_id++};
	uint8_t req[TEL_REQ_LEN];
	char *text = NULL, jerr[128];
	struct json *tree = NULL;
	size_t len;
	int status = 0, ret;
	ssize_t r;

	tel_hdr_encode(&h, req);
	do
		r = send(c->fd, req, sizeof(req), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(req)) {
		ret = r < 0 ? -errno : -EIO;
		snprintf(err, errcap, "process %d: cannot send the request: %s", (int)c->pid,
			 strerror(-ret));
		return ret;
	}
	ret = read_answer(c, (uint16_t)(cmd | TEL_REPLY), h.id, &text, &len, &status, err, errcap);
	if (ret != 0)
		return ret;
	if (status != 0) {
		answer_error(c, text, len, status, err, errcap);
		free(text);
		return status;
	}
	if (tree_out != NULL) {
		tree = json_parse(text, len, jerr, sizeof(jerr));
		if (tree == NULL) {
			snprintf(err, errcap, "process %d: bad answer: %s", (int)c->pid, jerr);
			free(text);
			return -EPROTO;
		}
		*tree_out = tree;
	}
	if (text_out != NULL)
		*text_out = text;
	else
		free(text);
	return 0;
}

void
ctl_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	json_free(c->hello);
	c->hello = NULL;
}
