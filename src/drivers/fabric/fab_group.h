/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_FABRIC_GROUP_H
#define IDD_SRC_DRIVERS_FABRIC_GROUP_H

/*
 * Groups across hosts: what fab_group.c (the API calls) and fab_ctl.c (the
 * control thread) share. Everything here is under fab_dev::mu.
 *
 * The wire protocol is group/wire.c's, over TCP, with these differences
 * from one host (doc/inter-os.md has the whole exchange):
 *   - one listening port serves all of a device's groups, so the joiner
 *     opens with a CHALLENGE naming the group and carrying its nonce;
 *   - the MAC's two 32-bit identity fields (uids on one host) are the
 *     joiner's and the creator's IPv4 addresses as each end sees them;
 *   - a member's fabric endpoint travels in wire_member (pid = IPv4
 *     address, uid = port); the joiner introduces itself with a
 *     MEMBER_JOINED after the WELCOME proved the creator;
 *   - a window travels as WINDOW_ADD with the libfabric key in `offset`;
 *   - KEEPALIVE flows both ways; silence for FAB_KEEPALIVE_MISSES
 *     intervals is death.
 */

#include "drivers/fabric/fab_dev.h"
#include "group/auth.h"

enum fab_conn_state {
	FAB_C_HELLO,   /* creator: waits for the joiner's CHALLENGE */
	FAB_C_AUTH,    /* creator: waits for JOIN */
	FAB_C_INTRO,   /* creator: waits for the joiner's MEMBER_JOINED, windows, READY */
	FAB_C_MEMBER,  /* creator: an active member */
	FAB_C_JOINED,  /* joiner: our link to the creator */
};

struct fab_conn {
	struct fab_conn *next;
	int fd;
	enum fab_conn_state state;
	int16_t group_id;
	struct fab_peer *peer;   /* the member at the other end, once known */
	uint32_t local_ip, remote_ip; /* host order */
	uint8_t nonce_c[WIRE_NONCE_LEN];
	uint8_t nonce_j[WIRE_NONCE_LEN];
	uint64_t last_rx_ms;
	bool dead;
	/* Creator: the members this joiner has been told about (WELCOME or
	 * MEMBER_JOINED); only those have windows and departures sent to it. */
	bool known[WIRE_MAX_MEMBERS];
	uint32_t rx_len;
	uint8_t rx[WIRE_MAX_MSG];
};

/* One entry of a group's published-buffer directory. */
struct fab_dir_entry {
	char name[WIRE_NAME_MAX + 1];
	uint16_t owner_slot;
	uint64_t addr, len;
};

struct fab_group {
	int16_t id;
	bool creator;
	uint8_t token[AUTH_TOKEN_LEN]; /* creator only; wiped at destroy */
	uint8_t domain[WIRE_UUID_LEN];
	idd_dma_access_pair_group_event_cb_t cb;
	uint16_t my_slot;
	struct fab_peer *m[WIRE_MAX_MEMBERS];
	struct fab_conn *to_creator;   /* joiner only */
	/* The extended callback (idd_dma_access_pair_group_event_register). */
	idd_dma_group_event_cb_t ext_cb;
	void *ext_arg;
	/* The directory: the creator's is authoritative, each joiner keeps a
	 * replica (IDD_DMA_GROUP_MAX_BUFFERS entries). */
	struct fab_dir_entry *dir;
	unsigned int nb_dir;
};

/* An event to deliver once mu is released. */
struct fab_event {
	int16_t group_id;
	uint8_t domain[WIRE_UUID_LEN];
	enum idd_dma_group_event ev;
	idd_dma_access_pair_group_event_cb_t cb; /* upstream's (not for JOINED) */
	idd_dma_group_event_cb_t ext_cb;
	void *ext_arg;
};
#define FAB_MAX_EVENTS 256
struct fab_events {
	unsigned int n;
	struct fab_event e[FAB_MAX_EVENTS];
};

/* Connections of the device (mu), walked by the control thread. */
struct fab_conn **fab_conns(struct fab_dev *fd);

uint64_t fab_now_ms(void);
/* Encode and send @m on @fd (blocking, bounded). 0 or -errno. */
int fab_send(int fd, const struct wire_msg *m);
/* Receive one whole message within @timeout_ms (blocking joins). */
int fab_recv(int fd, struct wire_msg *m, int timeout_ms);

struct fab_group *fab_group_find(struct fab_dev *fd, int16_t group_id);
struct fab_peer *fab_peer_new(struct fab_dev *fd, struct fab_group *g, uint16_t slot,
			      const uint8_t domain[WIRE_UUID_LEN]);
/* A member is gone: mark it, forget its windows and endpoint, queue the
 * event for @g's callback. mu held. */
void fab_member_gone(struct fab_dev *fd, struct fab_group *g, struct fab_peer *p,
		     struct fab_events *ev);
/* Our link to the creator is gone: every member is gone and the group
 * with them (GROUP_DESTROYED). mu held. */
void fab_group_lost(struct fab_dev *fd, struct fab_group *g, struct fab_events *ev);
/* Handle one message from an established connection (mu held).
 * Returns 0, or -1 to drop the connection. */
int fab_conn_message(struct fab_dev *fd, struct fab_conn *c, const struct wire_msg *m,
		     struct fab_events *ev);
void fab_conn_close(struct fab_dev *fd, struct fab_conn *c);
void fab_events_deliver(struct fab_dev *fd, struct fab_events *ev);
/* Queue @type for @g's callbacks (@ev may be NULL: nobody to tell). */
void fab_event_add(struct fab_events *ev, struct fab_group *g, const uint8_t *domain,
		   enum idd_dma_group_event type);

/* fab_dir.c: the directory's messages (mu held); 0, or -1 to drop. */
int fab_dir_message(struct fab_dev *fd, struct fab_group *g, struct fab_conn *c,
		    const struct wire_msg *m);
/* Send every entry to a joiner finishing its handshake (creator). */
int fab_dir_announce(struct fab_group *g, int conn);
/* Forget what the member at @slot published (it is gone). */
void fab_dir_forget(struct fab_group *g, uint16_t slot);
extern const struct dma_group_ext_ops fab_group_ext_ops;

#endif
