/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_RENDEZVOUS_H
#define IDD_SRC_GROUP_RENDEZVOUS_H

/*
 * Where a group's creator can be found: one SOCK_SEQPACKET Unix socket per
 * group, named "<runtime dir>/<namespace>.<group id>.sock" (or the same
 * name, prefixed "idd/", in the abstract namespace when opted in).
 *
 * Runtime directory: $IDD_RUNTIME_DIR, else $XDG_RUNTIME_DIR/idd, else
 * /tmp/idd-<uid>. A creator makes it with mode 0700 when missing; joiners
 * and readers such as idd-ctl only look it up (rdv_runtime_dir_lookup()):
 * where it is missing, no group is served. An existing
 * one must be a real directory (not a symlink), owned by us (or by another
 * user and shared with a group of ours), writable by nobody outside its
 * owner and group, and sticky if its group may write it: 1770 is how users
 * of one Unix group share groups. Anything else is refused with a log line
 * that says what is wrong, because whoever can write that directory could
 * replace a creator's socket by their own.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Namespace names: 1..RDV_NS_MAX characters of [A-Za-z0-9_-], so that a
 * namespace can never climb out of the runtime directory. */
#define RDV_NS_MAX 32
#define RDV_DEFAULT_NS "default"
/* Group ids handed out: 0..RDV_GROUP_ID_MAX. */
#define RDV_GROUP_ID_MAX INT16_MAX

struct rdv_opts {
	char ns[RDV_NS_MAX + 1];
	bool abstract;
};

/* True when @ns is a valid namespace name. */
bool rdv_ns_valid(const char *ns);

/* Fill @o from the environment: IDD_NAMESPACE (default "default") and
 * IDD_ABSTRACT_SOCKETS=1. Returns 0, or -EINVAL (logged) for a bad
 * namespace or a value of IDD_ABSTRACT_SOCKETS other than 0 or 1. */
int rdv_opts_from_env(struct rdv_opts *o);

/* Only the namespace of rdv_opts_from_env(), for users of the runtime
 * directory that never use abstract sockets (telemetry). */
int rdv_ns_from_env(char ns[RDV_NS_MAX + 1]);

/* Resolve, create if needed and check the runtime directory. Writes its
 * path into @dir (@cap bytes). Returns 0 or -errno (logged). */
int rdv_runtime_dir(char *dir, size_t cap);

/* The same without creating it: resolve, and check it when it exists.
 * Returns 0, -ENOENT (not logged; @dir still holds the path) when it does
 * not exist, or another -errno (logged). */
int rdv_runtime_dir_lookup(char *dir, size_t cap);

/* The socket address of group @group_id. Returns 0 or -errno (logged):
 * -ENAMETOOLONG when the path does not fit in sun_path. */
int rdv_addr(const struct rdv_opts *o, int group_id, struct sockaddr_un *addr,
	     socklen_t *addr_len);

/* Bind and listen on the lowest free group id (a dead creator's stale
 * socket counts as free and is replaced). Concurrent allocators in other
 * processes never get the same id: binding is atomic, and the only
 * non-atomic step (removing a stale socket) runs under an flock'd lock
 * file per namespace. @skip(id, arg) lets the caller skip ids it knows are
 * taken in this process. On success returns the listening fd
 * (non-blocking, CLOEXEC) and sets *group_id. */
int rdv_listen(const struct rdv_opts *o, bool (*skip)(int id, void *arg), void *arg,
	       int *group_id);

/* Remove the socket file of our group (not for abstract sockets). */
void rdv_unlink(const struct rdv_opts *o, int group_id);

/* Start connecting to group @group_id: returns a non-blocking CLOEXEC
 * SEQPACKET fd, or -ENOENT when nobody serves that group (no socket, or a
 * stale one), -EAGAIN when the creator's backlog is full, other -errno. */
int rdv_connect(const struct rdv_opts *o, int group_id);

#endif
