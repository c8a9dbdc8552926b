/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_INTERNAL_H
#define IDD_SRC_GROUP_INTERNAL_H

/*
 * State shared by the files of src/group/: devices and their handler
 * tables, groups, members, windows, directory entries. All of it is
 * protected by ctl_lock and changed only by the control thread (see
 * control.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>

#include "group/auth.h"
#include "group/control.h"
#include "group/group.h"
#include "group/rendezvous.h"
#include "group/wire.h"

/* Handshake deadlines. A connection that never speaks costs an fd, a
 * timer and one of its uid's places (auth.h), and blocks nobody; it is
 * dropped after handshake_ms (default HANDSHAKE_MS), generous so that a
 * joiner on an overloaded host still gets in. A join gives up after
 * JOIN_TIMEOUT_MS, longer than the handshake deadline and than the longest
 * refusal delay (AUTH_DELAY_MAX_MS), so that a joiner hears why. */
#define HANDSHAKE_MS 5000
#define JOIN_TIMEOUT_MS 10000
extern unsigned int handshake_ms;
/* How long a leave waits for the creator to confirm (it then returns 0
 * anyway: we are out whatever the creator does). The creator confirms
 * once every member has unmapped our windows (creator.c, at most
 * LEFT_DONE_MS), normally within milliseconds; the bound is for a member
 * that does not answer, or a machine so loaded that a grace period takes
 * a while. */
#define LEAVE_TIMEOUT_MS 3000
/* Directory entries per group. */
#define DIR_MAX_ENTRIES IDD_DMA_GROUP_MAX_BUFFERS

/* The public limits (idd_group.h) are what the protocol and the tables
 * hold: one number each. */
_Static_assert(WIRE_MAX_MEMBERS == IDD_DMA_GROUP_MAX_MEMBERS, "members per group");
_Static_assert(WIRE_NAME_MAX == IDD_DMA_GROUP_NAME_MAX, "directory name length");
_Static_assert(RDV_GROUP_ID_MAX == IDD_DMA_GROUP_ID_MAX, "group ids per namespace");

/* One handler slot of a device. */
enum hstate {
	H_FREE = 0,
	H_LIVE,     /* names a present member */
	H_RETIRED,  /* member gone, still referenced by the data plane */
};

struct mem_wt;

struct hent {
	uint8_t state;
	uint32_t refs;
	struct group *g;  /* H_LIVE only */
	uint16_t slot;
	struct mem_wt *space; /* the member's window table (NULL: our own
			       * domain); owned here once the handler exists,
			       * destroyed when the handler becomes free */
};

#define HCHUNK 256

struct gdev {
	struct gdev *next;
	int16_t dev_id;
	bool opts_set;
	struct rdv_opts opts;
	uint16_t cursor;            /* round-robin handler allocation */
	unsigned int nb_live;
	struct hent *chunks[65536 / HCHUNK];
	group_retire_fn retire_fn;
	void *retire_arg;
};

struct window {
	struct window *next;
	uint64_t base, len, offset;
	uint32_t perms;
	int fd;                     /* creator: kept to relay; joiner: -1 */
};

struct member {
	uint16_t slot;
	bool active;                /* creator: READY seen; joiner view: known */
	bool is_creator, is_self;
	uint8_t domain[WIRE_UUID_LEN];
	uint32_t pid, uid;
	uint16_t handler;           /* 0 until assigned */
	struct conn *conn;          /* creator's side: link to this joiner */
	struct window *windows;
	struct mem_wt *space;       /* remote members: their windows, mapped
				     * here; handed to the handler entry */
};

struct dir_entry {
	struct dir_entry *next;
	char name[WIRE_NAME_MAX + 1];
	uint16_t owner_slot;
	uint64_t addr, len;
};

struct dir_wait;
struct pub_req;

enum gstate {
	G_JOINING,
	G_ACTIVE,
	G_LEAVING, /* joiner: LEAVE sent, waiting for the creator to close */
};

struct group {
	struct group *next;
	struct gdev *dev;
	int16_t dev_id, group_id;
	bool creator;
	enum gstate state;
	struct rdv_opts opts;
	uint8_t token[AUTH_TOKEN_LEN]; /* creator: kept; joiner: wiped after welcome */
	uint8_t self_domain[WIRE_UUID_LEN];
	uint16_t self_slot;
	struct member *m[WIRE_MAX_MEMBERS];
	idd_dma_access_pair_group_event_cb_t cb;
	idd_dma_group_event_cb_t ext_cb;
	void *ext_arg;
	struct conn *listen;        /* creator */
	struct conn *link;          /* joiner */
	bool own_sent;              /* joiner: our windows went to the creator */
	struct dir_entry *dir;
	unsigned int nb_dir;
	struct dir_wait *waits;
	struct pub_req *pubs;
	uint32_t next_req_id;
	/* joiner: the join or leave call waiting for the creator */
	struct ctl_req *join_req;
	struct auth_ctx actx;
	struct ctl_timer jtimer;    /* join deadline, or reconnect after EAGAIN */
	uint64_t deadline_ms;
	unsigned int retries;
};

extern struct group *all_groups;

/* group.c */
struct gdev *gdev_get(int16_t dev_id, bool create);
struct group *group_find(int16_t dev_id, int16_t group_id);
struct member *member_by_domain(struct group *g, const uint8_t domain[WIRE_UUID_LEN]);
struct member *member_new(struct group *g, uint16_t slot, const struct wire_member *wm);
int member_assign_handler(struct group *g, struct member *m);
/* Remove a member: windows, directory entries, handler; the event is
 * posted when @notify. Frees it. */
void member_remove(struct group *g, struct member *m, bool notify);
/* Remove a group from this process: members, handlers, waiters; wipes the
 * token; closes its sockets (unlinking the creator's). Frees it. */
void group_free(struct group *g);
void group_post_event(struct group *g, const uint8_t domain[WIRE_UUID_LEN],
		      enum idd_dma_group_event ev);
void wire_member_of(const struct member *m, struct wire_member *wm);

/* creator.c */
extern const struct conn_ops creator_listen_ops;
void creator_broadcast(struct group *g, const struct wire_msg *m, int fd, const struct member *except);
/* Tell every member the group is gone and drop them (device close, exit). */
void creator_shutdown(struct group *g);
/* Forked child: drop the parent's departures (their connections are the
 * parent's). */
void creator_forget(void);

/* joiner.c */
void joiner_start(struct group *g);
void joiner_leave(struct group *g, struct ctl_req *req);
void joiner_fail(struct group *g, int err);

/* directory.c */
int dir_add(struct group *g, uint16_t owner_slot, const char *name, uint64_t addr, uint64_t len);
int dir_remove(struct group *g, uint16_t owner_slot, const char *name, bool check_owner);
void dir_remove_owner(struct group *g, uint16_t owner_slot);
void dir_free(struct group *g);
void dir_creator_request(struct group *g, struct member *from, const struct wire_msg *m);
void dir_joiner_result(struct group *g, const struct wire_msg *m);

/* windows.c */
struct mem_wt *win_space_new(struct group *g, struct member *m);
int win_listen_start(void);
void win_listen_stop(void);
void win_shutdown(void);
void win_forget(void);
int win_add(struct group *g, struct member *m, const struct wire_window *w, int fd);
void win_remove(struct group *g, struct member *m, uint64_t base);
void win_free_member(struct group *g, struct member *m);
/* Send @m's windows (or ours when @m is self) over @c. */
void win_send_all(struct group *g, const struct member *m, struct conn *c);

#endif
