/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The public telemetry calls (idd_telemetry.h), IDD_TELEMETRY, the socket's
 * name, exit and fork.
 *
 * The socket appears atomically: it is bound and made listening under a
 * temporary name, then renamed to "<ns>.telemetry.<pid>.sock". So a socket
 * of that name that refuses connections is stale (its process died without
 * removing it), never one still being set up, and idd-ctl may remove it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <idd/idd_telemetry.h>

#include "common/log.h"
#include "group/group_query.h"
#include "group/rendezvous.h"
#include "telemetry/tel_internal.h"
#include "telemetry/telemetry.h"

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* Serialises enable, disable and path; never held while serving. */
static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	bool enabled;
	struct tel_identity id;
	char path[SUN_PATH_MAX];
	dev_t dev;       /* the socket file's identity, to remove only ours */
	ino_t ino;
} tel;

/* IDD_TELEMETRY is read at the first device creation of a process (of a
 * forked child too). */
static atomic_bool env_checked;

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void
at_exit(void)
{
	idd_telemetry_disable();
}

static void
atfork_child(void)
{
	/* The serving thread does not exist here, and the socket is the
	 * parent's: close our copies (a copy kept open would make a dead
	 * parent look alive) and start with telemetry disabled. */
	pthread_mutex_init(&api_lock, NULL);
	if (tel.enabled)
		tel_server_forget();
	memset(&tel, 0, sizeof(tel));
	atomic_store(&env_checked, false);
}

static void
register_hooks(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
	atexit(at_exit);
}

/* 1 if something listens at @addr, 0 if not (stale or absent), <0 error. */
static int
probe(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ret, err;

	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	err = errno;
	close(fd);
	if (ret == 0 || err == EAGAIN)
		return 1;
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	return -err;
}

/* The socket's final name, or (@tmp) the name it is set up under. */
static int
path_of(struct sockaddr_un *a, const char *dir, const char *ns, bool tmp)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (tmp)
		n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/.%s.telemetry.%d.tmp", dir, ns,
			     (int)getpid());
	else
		n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s.telemetry.%d.sock", dir, ns,
			     (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(a->sun_path)) {
		IDD_LOG(ERR, "telemetry: enable refused: socket path under %s too long for a Unix "
			     "socket (%zu bytes at most); choose a shorter IDD_RUNTIME_DIR",
			dir, sizeof(a->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Bind and listen under a temporary name, then rename into place. Returns
 * the listening fd or -errno (logged). */
static int
open_socket(const char *ns, char path[SUN_PATH_MAX], dev_t *dev, ino_t *ino)
{
	char dir[SUN_PATH_MAX];
	struct sockaddr_un final, tmp;
	struct stat st;
	const char *step;
	int fd, ret, err;

	ret = rdv_runtime_dir(dir, sizeof(dir));
	if (ret != 0)
		return ret;
	ret = path_of(&final, dir, ns, false);
	if (ret == 0)
		ret = path_of(&tmp, dir, ns, true);
	if (ret != 0)
		return ret;
	ret = probe(&final);
	if (ret > 0) {
		IDD_LOG(ERR, "telemetry: enable refused: %s is served by a live process (same pid "
			     "in another pid namespace?)", final.sun_path);
		return -EADDRINUSE;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		step = "socket";
		goto fail;
	}
	/* A leftover temporary name can only be ours or a dead process's of
	 * our pid: nobody else uses this pid while we live. */
	unlink(tmp.sun_path);
	step = "bind";
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0)
		goto fail;
	/* Connecting needs write permission on the socket: ours only (root
	 * passes anyway). The directory is private already; this also holds
	 * in a group-shared (0770) one. */
	step = "chmod";
	if (chmod(tmp.sun_path, 0600) != 0)
		goto fail_unlink;
	step = "listen";
	if (listen(fd, 16) != 0)
		goto fail_unlink;
	step = "stat";
	if (stat(tmp.sun_path, &st) != 0)
		goto fail_unlink;
	step = "rename";
	if (rename(tmp.sun_path, final.sun_path) != 0)
		goto fail_unlink;
	snprintf(path, SUN_PATH_MAX, "%s", final.sun_path);
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
fail_unlink:
	err = errno;
	unlink(tmp.sun_path);
	errno = err;
fail:
	err = errno;
	IDD_LOG(ERR, "telemetry: enable refused: %s %s: %s", step,
		strcmp(step, "rename") == 0 ? final.sun_path : tmp.sun_path, strerror(err));
	if (fd >= 0)
		close(fd);
	return -err;
}

/* Remove our socket file, unless it is not ours any more. */
static void
remove_socket(void)
{
	struct stat st;

	if (stat(tel.path, &st) == 0 && st.st_dev == tel.dev && st.st_ino == tel.ino)
		unlink(tel.path);
}

int
idd_telemetry_enable(const char *ns)
{
	char env_ns[RDV_NS_MAX + 1];
	struct tel_identity id;
	int fd, ret;

	pthread_once(&hooks_once, register_hooks);
	if (ns == NULL) {
		/* The namespace only: telemetry never uses abstract sockets,
		 * whatever IDD_ABSTRACT_SOCKETS says. Refusal logged there. */
		ret = rdv_ns_from_env(env_ns);
		if (ret != 0)
			return ret;
		ns = env_ns;
	} else if (!rdv_ns_valid(ns)) {
		IDD_LOG(ERR, "telemetry: enable refused: namespace must be 1..%d characters of "
			     "[A-Za-z0-9_-]", RDV_NS_MAX);
		return -EINVAL;
	}
	pthread_mutex_lock(&api_lock);
	if (tel.enabled) {
		ret = strcmp(tel.id.ns, ns) == 0 ? 0 : -EBUSY;
		if (ret != 0)
			IDD_LOG(ERR, "telemetry: enable in namespace %s refused: already served in "
				     "namespace %s (disable it first)", ns, tel.id.ns);
		pthread_mutex_unlock(&api_lock);
		return ret;
	}
	memset(&id, 0, sizeof(id));
	id.pid = getpid();
	id.uid = geteuid();
	snprintf(id.ns, sizeof(id.ns), "%s", ns);
	fd = open_socket(ns, tel.path, &tel.dev, &tel.ino);
	if (fd < 0) {
		pthread_mutex_unlock(&api_lock);
		return fd;
	}
	ret = tel_server_start(fd, &id);
	if (ret != 0) {
		remove_socket();
		pthread_mutex_unlock(&api_lock);
		return ret;
	}
	tel.id = id;
	tel.enabled = true;
	IDD_LOG(INFO, "telemetry: serving %s", tel.path);
	pthread_mutex_unlock(&api_lock);
	return 0;
}

int
idd_telemetry_disable(void)
{
	pthread_mutex_lock(&api_lock);
	if (tel.enabled) {
		/* Name first: from now on a tool finds nothing rather than a
		 * socket that refuses it. */
		remove_socket();
		tel_server_stop();
		tel.enabled = false;
		IDD_LOG(INFO, "telemetry: stopped serving %s", tel.path);
	}
	pthread_mutex_unlock(&api_lock);
	return 0;
}

int
idd_telemetry_path(char *buf, size_t size)
{
	int ret;

	if (buf == NULL) {
		IDD_LOG(ERR, "telemetry: path refused: buffer is NULL");
		return -EINVAL;
	}
	pthread_mutex_lock(&api_lock);
	if (!tel.enabled) {
		ret = -ENOENT;
	} else {
		size_t len = strlen(tel.path);

		if (len >= size) {
			ret = -ENAMETOOLONG;
		} else {
			memcpy(buf, tel.path, len + 1);
			ret = (int)len;
		}
	}
	pthread_mutex_unlock(&api_lock);
	return ret;
}

void
telemetry_dev_created(int16_t dev_id)
{
	char ns[RDV_NS_MAX + 1];
	const char *v;
	int ret;

	if (atomic_exchange(&env_checked, true))
		return;
	v = getenv("IDD_TELEMETRY");
	if (v == NULL || v[0] == '\0' || strcmp(v, "0") == 0)
		return;
	if (strcmp(v, "1") != 0) {
		IDD_LOG(WARNING, "telemetry: IDD_TELEMETRY=%s ignored: want 0 or 1", v);
		return;
	}
	ret = idd_telemetry_enable(group_query_dev_namespace(dev_id, ns) == 0 ? ns : NULL);
	if (ret != 0 && ret != -EBUSY)
		IDD_LOG(WARNING, "dev %d: IDD_TELEMETRY=1, but telemetry could not be enabled: %s",
			dev_id, strerror(-ret));
}
