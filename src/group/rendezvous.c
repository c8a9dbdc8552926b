/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rendezvous: the runtime directory, socket names, group id allocation by
 * atomic bind, stale socket replacement. See rendezvous.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "group/rendezvous.h"

bool
rdv_ns_valid(const char *ns)
{
	size_t n;

	if (ns == NULL)
		return false;
	for (n = 0; ns[n] != '\0'; n++) {
		char ch = ns[n];

		if (n >= RDV_NS_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return n > 0;
}

int
rdv_ns_from_env(char ns[RDV_NS_MAX + 1])
{
	const char *env = getenv("IDD_NAMESPACE");

	if (env == NULL || env[0] == '\0')
		env = RDV_DEFAULT_NS;
	if (!rdv_ns_valid(env)) {
		IDD_LOG(ERR, "group: IDD_NAMESPACE refused: want 1..%d characters of "
			     "[A-Za-z0-9_-]", RDV_NS_MAX);
		return -EINVAL;
	}
	snprintf(ns, RDV_NS_MAX + 1, "%s", env);
	return 0;
}

int
rdv_opts_from_env(struct rdv_opts *o)
{
	const char *abs = getenv("IDD_ABSTRACT_SOCKETS");
	int ret;

	memset(o, 0, sizeof(*o));
	ret = rdv_ns_from_env(o->ns);
	if (ret != 0)
		return ret;
	if (abs != NULL && abs[0] != '\0') {
		if (strcmp(abs, "1") == 0) {
			o->abstract = true;
		} else if (strcmp(abs, "0") != 0) {
			IDD_LOG(ERR, "group: IDD_ABSTRACT_SOCKETS=%s refused: want 0 or 1", abs);
			return -EINVAL;
		}
	}
	return 0;
}

/* Check an existing runtime directory; see rendezvous.h for the rules. */
static bool
in_our_groups(gid_t gid)
{
	gid_t groups[256];
	int n;

	if (gid == getegid())
		return true;
	n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* A missing directory is -ENOENT, logged unless @missing_ok: a reader
 * that finds none has simply found no process. */
static int
check_dir(const char *dir, bool missing_ok)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		int err = errno;

		if (!(missing_ok && err == ENOENT))
			IDD_LOG(ERR, "group: runtime directory %s: %s", dir, strerror(err));
		return -err;
	}
	if (S_ISLNK(st.st_mode)) {
		IDD_LOG(ERR, "group: runtime directory %s refused: it is a symbolic link", dir);
		return -EPERM;
	}
	if (!S_ISDIR(st.st_mode)) {
		IDD_LOG(ERR, "group: runtime directory %s refused: not a directory", dir);
		return -ENOTDIR;
	}
	/* Someone else's directory is acceptable only as a shared one: its
	 * group is one of ours and has been given access (0770), so only the
	 * owner and that group's members can place sockets in it. */
	if (st.st_uid != geteuid() && !(in_our_groups(st.st_gid) && (st.st_mode & S_IRWXG))) {
		IDD_LOG(ERR, "group: runtime directory %s refused: owned by uid %u, not by us (%u), "
			     "and not shared with a group of ours (mode %04o, gid %u)",
			dir, (unsigned int)st.st_uid, (unsigned int)geteuid(),
			(unsigned int)(st.st_mode & 07777), (unsigned int)st.st_gid);
		return -EPERM;
	}
	if (st.st_mode & S_IWOTH) {
		IDD_LOG(ERR, "group: runtime directory %s refused: writable by others (mode %04o); "
			     "use 0700, or 1770 to share with the directory's group",
			dir, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	/* Shared with a group: only the sticky bit keeps one member of that
	 * group from renaming another's socket and binding its own there. */
	if ((st.st_mode & S_IWGRP) && !(st.st_mode & S_ISVTX)) {
		IDD_LOG(ERR, "group: runtime directory %s refused: writable by its group without "
			     "the sticky bit (mode %04o); use 1770, so that the group's members "
			     "cannot replace each other's sockets",
			dir, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int
rdv_runtime_dir_lookup(char *dir, size_t cap)
{
	const char *env = getenv("IDD_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(dir, cap, "%s", env);
	else if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(dir, cap, "%s/idd", xdg);
	else
		n = snprintf(dir, cap, "/tmp/idd-%u", (unsigned int)geteuid());
	if (n < 0 || (size_t)n >= cap) {
		IDD_LOG(ERR, "group: runtime directory path too long");
		return -ENAMETOOLONG;
	}
	return check_dir(dir, true);
}

int
rdv_runtime_dir(char *dir, size_t cap)
{
	int ret = rdv_runtime_dir_lookup(dir, cap);

	if (ret != -ENOENT)
		return ret;
	if (mkdir(dir, 0700) != 0) {
		int err = errno;

		if (err != EEXIST) {
			IDD_LOG(ERR, "group: cannot create runtime directory %s: %s", dir,
				strerror(err));
			return -err;
		}
	}
	/* Whether we just made it or a racing creator did: a squatter must
	 * not slip past the checks. */
	return check_dir(dir, false);
}

int
rdv_addr(const struct rdv_opts *o, int group_id, struct sockaddr_un *addr, socklen_t *addr_len)
{
	char dir[sizeof(addr->sun_path)];
	int n, ret;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (o->abstract) {
		/* Leading NUL: the abstract namespace. The name's length is
		 * part of the address, so no trailing NUL is counted. */
		n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "idd/%s.%d", o->ns,
			     group_id);
		if (n < 0 || (size_t)n >= sizeof(addr->sun_path) - 1)
			return -ENAMETOOLONG;
		*addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
		return 0;
	}
	/* Lookup only: a joiner has nothing to create (a missing directory
	 * serves no group: -ENOENT), and a creator made it when it took the
	 * namespace's lock. */
	ret = rdv_runtime_dir_lookup(dir, sizeof(dir));
	if (ret != 0)
		return ret;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.%d.sock", dir, o->ns,
		     group_id);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path)) {
		IDD_LOG(ERR, "group: socket path under %s too long for a Unix socket "
			     "(%zu bytes at most); choose a shorter IDD_RUNTIME_DIR",
			dir, sizeof(addr->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	*addr_len = (socklen_t)sizeof(*addr);
	return 0;
}

static int
new_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		int err = errno;

		IDD_LOG(ERR, "group: socket: %s", strerror(err));
		return -err;
	}
	return fd;
}

/* Is somebody listening at @addr? 1 yes, 0 no (stale or absent), <0 error.
 * A blocking connect on a Unix socket returns at once: accepted into the
 * backlog, or refused. */
static int
probe(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ret, err;

	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)addr, len);
	err = errno;
	close(fd);
	if (ret == 0 || err == EAGAIN)
		return 1; /* alive (EAGAIN: alive with a full backlog) */
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	/* Another user's socket, in a shared directory, that we may not use:
	 * theirs, whether alive or not. */
	if (err == EACCES || err == EPERM)
		return 1;
	return -err;
}

/*
 * Lock file per namespace around group id allocation (bind, stale socket
 * replacement, listen). Its holder removes it before releasing it, so that
 * a directory does not collect one file per namespace ever used (test runs
 * use a fresh namespace each). A process that waited on the lock of a file
 * removed meanwhile finds, once it holds it, that the path names another
 * file or none, and starts over: only the holder of the file that the path
 * names holds the lock. @path receives the file's name for unlock_ns().
 */
static int
lock_ns(const struct rdv_opts *o, char *path, size_t path_size)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, ret;

	ret = rdv_runtime_dir(dir, sizeof(dir));
	if (ret != 0)
		return ret;
	snprintf(path, path_size, "%s/%s.lock", dir, o->ns);
	for (;;) {
		struct stat held, named;

		/* Read-only is enough for flock(), and lets the other users of
		 * a shared directory take a lock file one of them made. */
		fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			int err = errno;

			IDD_LOG(ERR, "group: lock file %s: %s", path, strerror(err));
			return -err;
		}
		while (flock(fd, LOCK_EX) != 0) {
			int err = errno;

			if (err != EINTR) {
				IDD_LOG(ERR, "group: flock %s: %s", path, strerror(err));
				close(fd);
				return -err;
			}
		}
		if (fstat(fd, &held) == 0 && lstat(path, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			return fd;
		close(fd); /* removed by its last holder: take the new one */
	}
}

static void
unlock_ns(int fd, const char *path)
{
	unlink(path);
	close(fd); /* releases the flock */
}

/* Try to own group @id with socket @fd. 0 on success, 1 when taken, <0 error. */
static int
try_bind(const struct rdv_opts *o, int fd, int id)
{
	struct sockaddr_un addr;
	socklen_t len;
	int ret, err;

	ret = rdv_addr(o, id, &addr, &len);
	if (ret != 0)
		return ret;
	if (bind(fd, (struct sockaddr *)&addr, len) == 0)
		return 0;
	err = errno;
	if (err != EADDRINUSE) {
		IDD_LOG(ERR, "group: bind %s%s: %s", o->abstract ? "@" : "",
			addr.sun_path[0] ? addr.sun_path : addr.sun_path + 1, strerror(err));
		return -err;
	}
	if (o->abstract)
		return 1; /* abstract names vanish with their socket: never stale */
	ret = probe(&addr, len);
	if (ret != 0)
		return ret < 0 ? ret : 1;
	/* Stale: its creator died without unlinking. We hold the namespace
	 * lock, and so does anyone else who would replace it, so the file we
	 * remove is the stale one and not a competitor's fresh socket. */
	if (unlink(addr.sun_path) != 0 && errno != ENOENT) {
		err = errno;
		if (err == EPERM || err == EACCES) {
			/* Another user's, in a shared (sticky) directory: that
			 * id stays theirs. */
			IDD_LOG(DEBUG, "group: stale socket %s is another user's: id skipped",
				addr.sun_path);
			return 1;
		}
		IDD_LOG(ERR, "group: cannot remove stale socket %s: %s", addr.sun_path,
			strerror(err));
		return -err;
	}
	IDD_LOG(INFO, "group: replaced stale socket %s", addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, len) == 0)
		return 0;
	err = errno;
	return err == EADDRINUSE ? 1 : -err;
}

int
rdv_listen(const struct rdv_opts *o, bool (*skip)(int id, void *arg), void *arg, int *group_id)
{
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + RDV_NS_MAX + 16];
	int lock_fd = -1, fd, ret = 1;

	/* Binding plus listening must be atomic for other allocators: a
	 * socket bound but not yet listening refuses connections and would
	 * look stale to a prober. Serialising allocators on the lock closes
	 * that window (a creator that dies releases its flock). */
	if (!o->abstract) {
		lock_fd = lock_ns(o, lock_path, sizeof(lock_path));
		if (lock_fd < 0)
			return lock_fd;
	}
	fd = new_socket();
	if (fd < 0)
		goto out;
	for (int id = 0; id <= RDV_GROUP_ID_MAX; id++) {
		if (skip != NULL && skip(id, arg))
			continue;
		ret = try_bind(o, fd, id);
		if (ret < 0)
			break;
		if (ret > 0)
			continue;
		if (listen(fd, SOMAXCONN) != 0) {
			ret = -errno;
			IDD_LOG(ERR, "group %d: listen: %s", id, strerror(-ret));
			rdv_unlink(o, id);
			break;
		}
		*group_id = id;
		break;
	}
	if (ret > 0) {
		IDD_LOG(ERR, "group: create refused: every group id of namespace %s is taken",
			o->ns);
		ret = -ENOSPC;
	}
	if (ret != 0) {
		close(fd);
		fd = ret;
	}
out:
	if (lock_fd >= 0)
		unlock_ns(lock_fd, lock_path);
	return fd;
}

void
rdv_unlink(const struct rdv_opts *o, int group_id)
{
	struct sockaddr_un addr;
	socklen_t len;

	if (o->abstract)
		return;
	if (rdv_addr(o, group_id, &addr, &len) == 0)
		unlink(addr.sun_path);
}

int
rdv_connect(const struct rdv_opts *o, int group_id)
{
	struct sockaddr_un addr;
	socklen_t len;
	int fd, ret, err;

	ret = rdv_addr(o, group_id, &addr, &len);
	if (ret != 0)
		return ret;
	fd = new_socket();
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&addr, len) == 0)
		return fd;
	err = errno;
	close(fd);
	if (err == ECONNREFUSED || err == ENOENT)
		return -ENOENT; /* nobody serves it: the caller says so */
	if (err == EAGAIN)
		return -EAGAIN; /* full backlog: the caller retries */
	IDD_LOG(ERR, "group %d: connect %s: %s", group_id,
		addr.sun_path[0] ? addr.sun_path : addr.sun_path + 1, strerror(err));
	return -err;
}
