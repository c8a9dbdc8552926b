/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_QUERY_H
#define IDD_SRC_GROUP_QUERY_H

/*
 * Read-only snapshots of this process's groups, for observers that are not
 * applications (telemetry). Each call takes ctl_lock once, briefly, and
 * never waits for the control thread; the snapshot belongs to the caller.
 * Tokens are never copied.
 */

#include <stdbool.h>
#include <stdint.h>

#include "group/rendezvous.h"

/* Windows listed per member; beyond, only counted. */
#define GROUP_QUERY_WINDOWS_MAX 64

struct group_query_window {
	uint64_t base, len;
	uint32_t perms;      /* IDD_MEM_PEER_* */
};

struct group_query_member {
	uint16_t slot;
	bool active;         /* creator: its READY was seen; joiner: known */
	bool is_creator, is_self;
	uint8_t domain[16];
	uint32_t pid, uid;   /* SO_PEERCRED, as the creator reported them */
	uint16_t handler;    /* on the group's device; 0 while unassigned */
	unsigned int nb_windows;           /* windows it offers */
	unsigned int nb_listed;            /* of which listed below */
	struct group_query_window windows[GROUP_QUERY_WINDOWS_MAX];
};

struct group_query {
	int16_t dev_id, group_id;
	bool creator;
	const char *state;   /* "joining", "active", "leaving" (static) */
	char ns[RDV_NS_MAX + 1];
	bool abstract;
	uint16_t self_slot;
	unsigned int nb_dir; /* directory entries */
	unsigned int nb_members;
	struct group_query_member *members; /* [nb_members], by slot */
};

/* Snapshot every group of the process (all devices). On success *@out is
 * an array of *@count groups (NULL when 0), to release with
 * group_query_free(). Returns 0 or -ENOMEM. */
int group_query_all(struct group_query **out, unsigned int *count);
void group_query_free(struct group_query *groups, unsigned int count);

/* The namespace device @dev_id uses for its groups (its `namespace=`
 * argument, else IDD_NAMESPACE, else "default"), into @ns. Returns 0, or
 * -ENOENT when the group layer never heard of the device. */
int group_query_dev_namespace(int16_t dev_id, char ns[RDV_NS_MAX + 1]);

#endif
