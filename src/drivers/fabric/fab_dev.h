/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_FABRIC_DEV_H
#define IDD_SRC_DRIVERS_FABRIC_DEV_H

/*
 * The fabric driver: inter-OS vchans over libfabric RMA, and access pair
 * groups whose members live on other hosts (doc/inter-os.md).
 *
 * Threads of one device, all from create to close:
 *   - the caller's threads: enqueue, submit and collect on a vchan ring
 *     exactly as with sw (same four positions, same status rules), with no
 *     lock and no system call;
 *   - the engine (fab_engine.c): the only thread that calls libfabric's
 *     data path. It posts submitted operations as fi_write/fi_read, reads
 *     the completion queue, and, because the tcp provider's data progress
 *     is manual, also progresses the RMA that peers aim at our memory;
 *   - the control thread (fab_ctl.c): the TCP control channel of every
 *     group (serving joiners when the device listens), keepalives, and the
 *     event callbacks.
 * dev->mu protects groups, peers, handlers and window tables; the engine
 * takes it once per pass over the vchans, never per operation.
 */

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

#include "common/log.h"
#include "dmadev/dmadev_driver.h"
#include "drivers/fabric/fab_lib.h"
#include "drivers/fabric/fab_rdm.h"
#include "group/wire.h"

#define FAB_CACHE_LINE 64
#define fab_likely(x) __builtin_expect(!!(x), 1)
#define fab_unlikely(x) __builtin_expect(!!(x), 0)

#define FAB_MAX_VCHANS 16
#define FAB_MIN_DESC 32
#define FAB_MAX_DESC 4096
#define FAB_MAX_SGES 16
#define FAB_SGE_PER_DESC (2 * FAB_MAX_SGES)
/* Operations (pieces) the engine keeps posted per device: what fills a
 * link, bounded by the provider's transmit queue. */
#define FAB_MAX_POSTS 256
/* Completion contexts: more than FAB_MAX_POSTS, because a context whose
 * operation was failed early (its peer died) stays taken until the
 * provider gives it back. */
#define FAB_POST_POOL 1024
/* Striping: a copy of len bytes goes out in pieces of about len / stripes
 * bytes (4 KiB multiples, at least FAB_STRIPE_MIN), one endpoint (one
 * connection) after the other. Default 1: over veth on two cores, 4
 * stripes moved 1 MiB copies about 30 % slower than 1 (idd-perf, median
 * of 5), every extra connection being per-operation work for the same
 * CPUs; striping is for links where one TCP stream is window-bound. */
#define FAB_STRIPES_DEFAULT 1
#define FAB_STRIPE_MIN (64u << 10)
/* Bytes the engine keeps posted per device. */
#define FAB_MAX_INFLIGHT_BYTES (64u << 20)
/* Fill: the pattern is written into a staging buffer of this size, which
 * is then written to the destination as often as needed. */
#define FAB_FILL_BUF (256u << 10)
#define FAB_FILL_BUFS 4
#define FAB_MAX_GROUPS 16
#define FAB_KEEPALIVE_MS_DEFAULT 250
/* A peer silent for this many keepalive intervals is dead. */
#define FAB_KEEPALIVE_MISSES 4

enum fab_opcode {
	FAB_OP_COPY,
	FAB_OP_FILL,
	FAB_OP_COPY_SG,
};

#define FAB_F_FENCE 0x01
#define FAB_F_BURST_END 0x02
#define FAB_F_BAD_LEN 0x04

struct fab_desc {
	uint64_t src;  /* copy: source; fill: pattern; copy_sg: sge position */
	uint64_t dst;  /* copy, fill: destination; copy_sg: nb_src | nb_dst << 16 */
	uint32_t len;
	uint8_t op;
	uint8_t flags;
	uint16_t pad;
};

/* One window of a peer, as it announced it. */
struct fab_rwin {
	uint64_t base; /* owner's virtual address */
	uint64_t len;
	uint64_t key;  /* libfabric key */
	uint64_t raddr_base; /* what the RMA names for base: base, or 0 (offsets) */
	uint32_t perms;
};

/* A member of one of our groups on another host (or ourselves). Peers are
 * freed only at device close, so vchans and the engine may keep pointers to
 * them; `gone` says the member left or died. */
struct fab_peer {
	struct fab_peer *next;   /* all peers of the device */
	uint8_t domain[WIRE_UUID_LEN];
	int16_t group_id;
	uint16_t slot;
	uint16_t handler;
	bool self;               /* our own domain in that group */
	bool active;             /* creator: finished its join (READY) */
	_Atomic bool gone;
	bool av_valid;
	fi_addr_t fi_addr;
	uint32_t ip;             /* endpoint address, host order */
	uint16_t port;
	/* Window table, sorted by base (dev->mu). */
	struct fab_rwin *win;
	unsigned int nb_win, cap_win;
	/* Creator side: the control connection of this joiner (-1 if none). */
	int conn;
};

struct fab_vchan;

/* One posted fi_write/fi_read; its address is the completion context. */
struct fab_post {
	struct fi_context2 ctx;
	struct fab_vchan *vc;
	uint16_t idx;           /* ring position of its operation */
	bool in_use;
	bool orphan;            /* its operation was completed without it */
	uint32_t len;
};

struct fab_vchan {
	/* Setup-time, read by all. */
	_Alignas(FAB_CACHE_LINE) struct fab_desc *ring;
	uint16_t *status;
	struct idd_dma_sge *sges;
	uint32_t sge_mask;
	uint16_t nb_desc;
	uint16_t mask;
	bool write;              /* local to remote (fi_write), else fi_read */
	struct fab_peer *peer;
	uint64_t base_submitted, base_completed, base_errors, base_bytes;

	/* Producer. */
	_Alignas(FAB_CACHE_LINE) _Atomic uint16_t head;
	_Atomic uint16_t collected;
	uint32_t coll_errors;
	uint32_t sge_head;
	_Atomic uint64_t n_submitted;
	_Atomic uint64_t n_completed;
	_Atomic uint64_t n_errors;

	/* Producer to engine. */
	_Alignas(FAB_CACHE_LINE) _Atomic uint16_t submitted;

	/* Engine. */
	_Alignas(FAB_CACHE_LINE) _Atomic uint16_t finished;
	_Atomic uint32_t fin_errors;
	_Atomic uint64_t n_bytes;
	uint16_t posted;         /* next operation to post */
	uint8_t fence_state;     /* as sw: 0 ok, 2 skipping the rest of the burst */
	bool burst_failed;       /* an operation of the current burst failed */
	uint32_t cur_off;        /* bytes of the operation at `posted` already posted */
	uint16_t *pending;       /* per slot: pieces still in flight */
	uint8_t *done;           /* per slot: posted fully and nothing pending */
	uint32_t unit;           /* piece size of the operation being posted */
	uint32_t sg_pos[2];      /* copy_sg being posted: entry and offset */
	uint32_t sg_off[2];
	bool sg_active;
	uint8_t *fill_buf[FAB_FILL_BUFS];
	uint16_t fill_owner[FAB_FILL_BUFS]; /* slot + 1 using it, 0 free */
};

struct fab_group;
struct fab_conn;

struct fab_dev {
	/* Fast path (read by the data-path calls). */
	_Alignas(FAB_CACHE_LINE) struct fab_vchan *vchans;
	uint16_t fp_vchans;
	uint16_t cpl_vchans;
	const char *name;
	int16_t dev_id;
	uint16_t nb_vchans;

	/* libfabric. */
	struct fab_rdm rdm;
	bool virt_addr;          /* RMA addresses are virtual, not offsets */
	bool prov_key;
	uint32_t ep_ip;          /* our endpoint, host order */
	uint16_t ep_port;

	/* Arguments. */
	uint32_t bind_ip;        /* host order */
	uint32_t listen_ip;
	uint16_t listen_port;    /* 0: does not serve groups */
	uint32_t connect_ip;
	uint16_t connect_port;   /* 0: cannot join */
	unsigned int keepalive_ms;
	int engine_cpu;          /* -1: the engine thread is not pinned */
	unsigned int stripes;    /* endpoints a copy is spread over */

	/* Engine thread. */
	pthread_t engine;
	_Atomic bool engine_stop;
	_Atomic bool engine_run;   /* vchans may be polled (started) */
	_Atomic unsigned int engine_sleeping;
	_Atomic bool peers_changed; /* a peer went away: fail its work */
	int engine_efd;
	struct fab_post posts[FAB_POST_POOL];
	unsigned int nb_posts;
	unsigned int next_ep;    /* the endpoint the next piece goes out on */
	uint64_t inflight_bytes;

	/* Control thread. */
	pthread_t ctl;
	_Atomic bool ctl_stop;
	bool ctl_running;
	int ctl_efd;
	int listen_fd;

	/* Held by the control thread from reading messages until their events
	 * are delivered, so that replacing a callback waits for the old one. */
	pthread_mutex_t deliver_mu;
	/* Shared state (mu). */
	pthread_mutex_t mu;
	/* Signalled (with mu) when a directory entry arrives, a request is
	 * answered, or a group goes. */
	pthread_cond_t cv;
	/* A joiner's directory request waiting for its DIR_RESULT (mu). */
	uint32_t req_id;
	bool req_done;
	int req_code;
	struct fab_peer *peers;
	struct fab_group *groups[FAB_MAX_GROUPS];
	struct fab_conn *conns;
	uint16_t next_handler;
	/* Our windows, registered with libfabric. */
	struct fab_lwin *lwin;
	unsigned int nb_lwin, cap_lwin;
	bool listening_mem;
};

/* One of our windows, registered. */
struct fab_lwin {
	uint64_t id;
	uint64_t base;
	uint64_t len;
	uint32_t perms;
	struct fid_mr *mr;
	uint64_t key;
};

/* fab_fabric.c */
int fab_fabric_open(struct fab_dev *fd, const char *provider);
void fab_fabric_close(struct fab_dev *fd);
int fab_av_insert(struct fab_dev *fd, struct fab_peer *p);
void fab_av_remove(struct fab_dev *fd, struct fab_peer *p);

/* fab_windows.c */
int fab_windows_start(struct fab_dev *fd);
void fab_windows_stop(struct fab_dev *fd);
/* Send our windows to @conn for the member at @slot (mu held). */
int fab_windows_announce(struct fab_dev *fd, int conn, uint16_t slot);
int fab_peer_window_add(struct fab_peer *p, const struct wire_window *w);
void fab_peer_window_remove(struct fab_peer *p, uint64_t base);
/* The window of @p holding [addr, addr + len) with @perm, or NULL (mu held). */
const struct fab_rwin *fab_peer_lookup(const struct fab_peer *p, uint64_t addr, uint64_t len,
				       uint32_t perm);

/* fab_fast.c: the fast-path object's functions */
int fab_enq_copy(void *dev_private, uint16_t vchan, idd_iova_t src, idd_iova_t dst,
		 uint32_t length, uint64_t flags);
int fab_enq_copy_sg(void *dev_private, uint16_t vchan, const struct idd_dma_sge *src,
		    const struct idd_dma_sge *dst, uint16_t nb_src, uint16_t nb_dst, uint64_t flags);
int fab_enq_fill(void *dev_private, uint16_t vchan, uint64_t pattern, idd_iova_t dst,
		 uint32_t length, uint64_t flags);
int fab_submit(void *dev_private, uint16_t vchan);
uint16_t fab_completed(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
		       uint16_t *last_idx, bool *has_error);
uint16_t fab_completed_status(void *dev_private, uint16_t vchan, const uint16_t nb_cpls,
			      uint16_t *last_idx, enum idd_dma_status_code *status);
uint16_t fab_burst_capacity(const void *dev_private, uint16_t vchan);

/* fab_engine.c */
int fab_engine_start(struct fab_dev *fd);
void fab_engine_stop(struct fab_dev *fd);
void fab_engine_kick(struct fab_dev *fd);
/* Wait until the engine finished everything submitted on every vchan. */
void fab_engine_drain(struct fab_dev *fd);

/* fab_ctl.c */
int fab_ctl_start(struct fab_dev *fd);
void fab_ctl_stop(struct fab_dev *fd);
void fab_ctl_kick(struct fab_dev *fd);

/* fab_group.c: the access-pair-group ops */
int fab_group_create(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		     int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb);
int fab_group_destroy(struct idd_dma_dev *dev, int16_t group_id);
int fab_group_join(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		   int16_t group_id, idd_dma_access_pair_group_event_cb_t cb);
int fab_group_leave(struct idd_dma_dev *dev, int16_t group_id);
int fab_group_handler_get(struct idd_dma_dev *dev, int16_t group_id, idd_uuid_t domain_id,
			  uint16_t *handler);
/* The peer a handler names, or NULL (mu held). */
struct fab_peer *fab_handler_peer(struct fab_dev *fd, uint16_t handler);
void fab_groups_close(struct fab_dev *fd);

#endif
