/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine of a fabric device: one thread, from create to close, the
 * only caller of libfabric's data path. A pass:
 *   1. read the completion queue: a piece of an operation is done (no lock:
 *      posts and the per-slot counts are the engine's alone);
 *   then, under dev->mu (peers and their windows):
 *   2. if a peer went away, fail what is still posted to it;
 *   3. post submitted operations as fi_write (local to remote) or fi_read
 *      (remote to local), in pieces of at most FAB_CHUNK bytes, keeping up
 *      to FAB_MAX_POSTS pieces and FAB_MAX_INFLIGHT_BYTES bytes in flight
 *      for the whole device, which is what fills a link; with stripes=N a
 *      copy is cut into N pieces that go out on the N endpoints in turn
 *      (N TCP connections: one connection's flow control no longer bounds
 *      the copy), and its slot finishes when its last piece does, failed if
 *      any piece failed;
 *   4. publish, per vchan, the contiguous run of finished operations.
 * Each remote range is checked against the peer's announced windows before
 * it is posted. With nothing to do the engine spins briefly, then sleeps on
 * its eventfd and the completion queue's wait fd; it never sleeps longer
 * than FAB_NAP_MS, because the tcp provider progresses the RMA that peers
 * aim at our memory only when we poll (manual data progress). It also
 * sleeps while its own operations are in flight but none moved for a spin:
 * the wait fd covers the sockets (writable again, an acknowledgement in),
 * and on a host with few cores the CPU a spinning engine would burn is what
 * the kernel's TCP work and the application need (a socket-full spin cost
 * about a third of the bandwidth on two cores).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "drivers/fabric/fab_dev.h"

#define FAB_CHUNK (8u << 20)
#define FAB_NAP_MS 1
#define FAB_SPIN_NS 100000

enum { FAB_BURST_OK, FAB_BURST_FAILED, FAB_BURST_SKIPPED };

static uint64_t
fab_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
fab_engine_kick(struct fab_dev *fd)
{
	uint64_t one = 1;

	if (atomic_load_explicit(&fd->engine_sleeping, memory_order_seq_cst) != 0 &&
	    atomic_exchange_explicit(&fd->engine_sleeping, 0, memory_order_seq_cst) != 0)
		(void)!write(fd->engine_efd, &one, sizeof(one));
}

/* First failure of an operation wins; counted when it finishes. */
static void
fab_fail_slot(struct fab_vchan *vc, uint16_t slot, uint16_t status)
{
	if (vc->status[slot] == 0)
		vc->status[slot] = status;
}

static struct fab_post *
fab_post_get(struct fab_dev *fd)
{
	if (fd->nb_posts >= FAB_MAX_POSTS)
		return NULL;
	for (unsigned int i = 0; i < FAB_POST_POOL; i++) {
		struct fab_post *p = &fd->posts[i];

		if (!p->in_use) {
			memset(p, 0, sizeof(*p));
			p->in_use = true;
			fd->nb_posts++;
			return p;
		}
	}
	return NULL;
}

/* A piece finished (ok or not); @p stays allocated if orphaned. */
static void
fab_piece_done(struct fab_dev *fd, struct fab_post *p, bool ok)
{
	if (p->orphan) {
		p->in_use = false;
		return;
	}
	struct fab_vchan *vc = p->vc;
	uint16_t slot = p->idx & vc->mask;

	fd->nb_posts--;
	fd->inflight_bytes -= p->len;
	if (!ok)
		fab_fail_slot(vc, slot, IDD_DMA_STATUS_DEV_LINK_ERROR);
	if (--vc->pending[slot] == 0 && vc->done[slot] == 1)
		vc->done[slot] = 2;
	p->in_use = false;
}

static int
fab_poll_cq(struct fab_dev *fd)
{
	struct fi_cq_entry e[64];
	int work = 0;

	for (;;) {
		ssize_t n = fi_cq_read(fd->rdm.cq, e, 64);

		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				fab_piece_done(fd, e[i].op_context, true);
			work += (int)n;
			continue;
		}
		if (n == -FI_EAVAIL) {
			struct fi_cq_err_entry err = {0};

			if (fi_cq_readerr(fd->rdm.cq, &err, 0) == 1) {
				IDD_LOG(DEBUG, "dev %s: RMA failed: %s", fd->name,
					fab_strerror(err.err));
				if (err.op_context != NULL)
					fab_piece_done(fd, err.op_context, false);
				work++;
			}
			continue;
		}
		return work;
	}
}

/* A peer went away: what is still posted to it completes now with
 * DEV_LINK_ERROR; the provider's own completion for it (an error, once the
 * address is removed) is swallowed later. */
static void
fab_orphan_gone(struct fab_dev *fd)
{
	for (unsigned int i = 0; i < FAB_POST_POOL; i++) {
		struct fab_post *p = &fd->posts[i];

		if (!p->in_use || p->orphan ||
		    !atomic_load_explicit(&p->vc->peer->gone, memory_order_relaxed))
			continue;
		struct fab_vchan *vc = p->vc;
		uint16_t slot = p->idx & vc->mask;

		fab_fail_slot(vc, slot, IDD_DMA_STATUS_DEV_LINK_ERROR);
		p->orphan = true;
		fd->nb_posts--;
		fd->inflight_bytes -= p->len;
		if (--vc->pending[slot] == 0 && vc->done[slot] == 1)
			vc->done[slot] = 2;
	}
}

/* Room for one more piece of @len bytes? */
static bool
fab_room(const struct fab_dev *fd, uint32_t len)
{
	return fd->nb_posts < FAB_MAX_POSTS &&
	       (fd->inflight_bytes == 0 || fd->inflight_bytes + len <= FAB_MAX_INFLIGHT_BYTES);
}

/* Post one piece. Returns 1 posted, 0 try later (queue full), -1 failed. */
static int
fab_post_piece(struct fab_dev *fd, struct fab_vchan *vc, uint16_t idx, uint64_t local,
	       uint64_t remote, uint32_t len, const struct fab_rwin *w)
{
	struct fab_post *p = fab_post_get(fd);
	uint64_t raddr = fd->virt_addr ? remote : remote - w->base;
	ssize_t ret;

	if (p == NULL)
		return 0;
	struct fid_ep *ep = fd->rdm.eps[fd->next_ep];

	p->vc = vc;
	p->idx = idx;
	p->len = len;
	if (vc->write)
		ret = fi_write(ep, (void *)(uintptr_t)local, len, NULL, vc->peer->fi_addr, raddr,
			       w->key, p);
	else
		ret = fi_read(ep, (void *)(uintptr_t)local, len, NULL, vc->peer->fi_addr, raddr,
			      w->key, p);
	if (ret == 0) {
		vc->pending[idx & vc->mask]++;
		fd->inflight_bytes += len;
		/* The next piece, of this operation or the next, goes out on
		 * the next connection. */
		if (++fd->next_ep == fd->rdm.nb_eps)
			fd->next_ep = 0;
		return 1;
	}
	p->in_use = false;
	fd->nb_posts--;
	if (ret == -FI_EAGAIN)
		return 0;
	IDD_LOG(DEBUG, "dev %s: posting RMA failed: %s", fd->name, fab_strerror((int)-ret));
	return -1;
}

/* Check both ranges and post; status on a bad range. @local is the
 * caller's own memory, or a fill's staging buffer. */
static int
fab_post_range(struct fab_dev *fd, struct fab_vchan *vc, uint16_t idx, uint64_t local,
	       uint64_t remote, uint32_t len)
{
	uint16_t slot = idx & vc->mask;
	const struct fab_rwin *w;
	int ret;

	if (!dma_own_range_valid(local, len)) {
		fab_fail_slot(vc, slot, vc->write ? IDD_DMA_STATUS_INVALID_SRC_ADDR
						  : IDD_DMA_STATUS_INVALID_DST_ADDR);
		return -1;
	}
	if (!vc->peer->av_valid) {
		w = NULL;
	} else {
		w = fab_peer_lookup(vc->peer, remote, len,
				    vc->write ? WIRE_PERM_WRITE : WIRE_PERM_READ);
	}
	if (w == NULL) {
		fab_fail_slot(vc, slot, vc->write ? IDD_DMA_STATUS_INVALID_DST_ADDR
						  : IDD_DMA_STATUS_INVALID_SRC_ADDR);
		return -1;
	}
	ret = fab_post_piece(fd, vc, idx, local, remote, len, w);
	if (ret < 0)
		fab_fail_slot(vc, slot, IDD_DMA_STATUS_DEV_LINK_ERROR);
	return ret;
}

/* Piece size for an operation of @len bytes: one stripe per endpoint, in
 * 4 KiB multiples, no smaller than FAB_STRIPE_MIN, no larger than
 * FAB_CHUNK. With one endpoint: FAB_CHUNK. */
static uint32_t
fab_stripe_unit(const struct fab_dev *fd, uint64_t len)
{
	uint64_t unit;

	if (fd->rdm.nb_eps <= 1)
		return FAB_CHUNK;
	unit = (len + fd->rdm.nb_eps - 1) / fd->rdm.nb_eps;
	unit = (unit + 4095) & ~UINT64_C(4095);
	if (unit < FAB_STRIPE_MIN)
		unit = FAB_STRIPE_MIN;
	return unit > FAB_CHUNK ? FAB_CHUNK : (uint32_t)unit;
}

static uint8_t *
fab_fill_buf(struct fab_vchan *vc, uint16_t slot, uint64_t pattern)
{
	for (unsigned int i = 0; i < FAB_FILL_BUFS; i++)
		if (vc->fill_owner[i] == slot + 1)
			return vc->fill_buf[i];
	for (unsigned int i = 0; i < FAB_FILL_BUFS; i++) {
		if (vc->fill_owner[i] != 0)
			continue;
		if (vc->fill_buf[i] == NULL && (vc->fill_buf[i] = malloc(FAB_FILL_BUF)) == NULL)
			return NULL;
		for (uint32_t b = 0; b < FAB_FILL_BUF; b++)
			vc->fill_buf[i][b] = (uint8_t)(pattern >> (8 * (b % 8)));
		vc->fill_owner[i] = (uint16_t)(slot + 1);
		return vc->fill_buf[i];
	}
	return NULL;
}

static void
fab_fill_release(struct fab_vchan *vc, uint16_t slot)
{
	for (unsigned int i = 0; i < FAB_FILL_BUFS; i++)
		if (vc->fill_owner[i] == slot + 1)
			vc->fill_owner[i] = 0;
}

/* Post what remains of the operation at vc->posted. Returns true when it is
 * wholly posted (or failed), false to come back later. vc->cur_off keeps
 * how far a partly posted operation got. */
static bool
fab_post_op(struct fab_dev *fd, struct fab_vchan *vc, const struct fab_desc *d, uint16_t idx)
{
	uint16_t slot = idx & vc->mask;

	if (d->op == FAB_OP_COPY || d->op == FAB_OP_FILL) {
		uint8_t *fill = NULL;

		if (d->len == 0) {
			fab_fail_slot(vc, slot, IDD_DMA_STATUS_INVALID_LENGTH);
			return true;
		}
		if (d->op == FAB_OP_FILL && !vc->write) {
			/* A fill into our own memory needs no fabric. */
			if (!dma_own_range_valid(d->dst, d->len)) {
				fab_fail_slot(vc, slot, IDD_DMA_STATUS_INVALID_DST_ADDR);
				return true;
			}
			for (uint32_t b = 0; b < d->len; b++)
				((uint8_t *)(uintptr_t)d->dst)[b] = (uint8_t)(d->src >> (8 * (b % 8)));
			return true;
		}
		if (d->op == FAB_OP_FILL && (fill = fab_fill_buf(vc, slot, d->src)) == NULL)
			return false; /* every staging buffer busy: wait */
		if (vc->cur_off == 0) {
			vc->unit = fab_stripe_unit(fd, d->len);
			if (fill != NULL && vc->unit > FAB_FILL_BUF)
				vc->unit = FAB_FILL_BUF;
		}
		while (vc->cur_off < d->len) {
			uint32_t piece = d->len - vc->cur_off;
			uint64_t local, remote;
			int ret;

			if (piece > vc->unit)
				piece = vc->unit;
			if (!fab_room(fd, piece))
				return false;
			if (fill != NULL)
				local = (uint64_t)(uintptr_t)fill;
			else
				local = (vc->write ? d->src : d->dst) + vc->cur_off;
			remote = (vc->write ? d->dst : d->src) + vc->cur_off;
			ret = fab_post_range(fd, vc, idx, local, remote, piece);
			if (ret == 0)
				return false;
			if (ret < 0)
				return true;
			vc->cur_off += piece;
		}
		return true;
	}
	/* copy_sg: walk both lists; a piece ends where either entry ends. */
	if (d->flags & FAB_F_BAD_LEN) {
		fab_fail_slot(vc, slot, IDD_DMA_STATUS_INVALID_LENGTH);
		return true;
	}
	const struct idd_dma_sge *src = &vc->sges[d->src];
	const struct idd_dma_sge *dst = &vc->sges[d->src + FAB_MAX_SGES];
	uint16_t nb_src = (uint16_t)(d->dst & 0xffff), nb_dst = (uint16_t)(d->dst >> 16);

	if (!vc->sg_active) {
		uint64_t total = 0;

		for (uint16_t i = 0; i < nb_src; i++)
			total += src[i].length;
		vc->unit = fab_stripe_unit(fd, total);
		vc->sg_pos[0] = vc->sg_pos[1] = 0;
		vc->sg_off[0] = vc->sg_off[1] = 0;
		vc->sg_active = true;
	}
	while (vc->sg_pos[0] < nb_src && vc->sg_pos[1] < nb_dst) {
		const struct idd_dma_sge *s = &src[vc->sg_pos[0]], *t = &dst[vc->sg_pos[1]];
		uint32_t piece = s->length - vc->sg_off[0];
		uint64_t local, remote;
		int ret;

		if (t->length - vc->sg_off[1] < piece)
			piece = t->length - vc->sg_off[1];
		if (piece > vc->unit)
			piece = vc->unit;
		if (piece != 0) {
			if (!fab_room(fd, piece))
				return false;
			local = vc->write ? s->addr + vc->sg_off[0] : t->addr + vc->sg_off[1];
			remote = vc->write ? t->addr + vc->sg_off[1] : s->addr + vc->sg_off[0];
			ret = fab_post_range(fd, vc, idx, local, remote, piece);
			if (ret == 0)
				return false;
			if (ret < 0)
				break;
		}
		vc->sg_off[0] += piece;
		vc->sg_off[1] += piece;
		if (vc->sg_off[0] == s->length) {
			vc->sg_pos[0]++;
			vc->sg_off[0] = 0;
		}
		if (vc->sg_off[1] == t->length) {
			vc->sg_pos[1]++;
			vc->sg_off[1] = 0;
		}
	}
	vc->sg_active = false;
	return true;
}

/* Post what the caller submitted, in order, applying the fence rule. */
static int
fab_post_vchan(struct fab_dev *fd, struct fab_vchan *vc)
{
	uint16_t sub = atomic_load_explicit(&vc->submitted, memory_order_acquire);
	int work = 0;

	while (vc->posted != sub) {
		uint16_t idx = vc->posted, slot = idx & vc->mask;
		const struct fab_desc *d = &vc->ring[slot];

		if (vc->cur_off == 0 && !vc->sg_active) {
			if ((d->flags & FAB_F_FENCE) && vc->fence_state == FAB_BURST_OK) {
				/* Wait for everything before it to finish, to know
				 * whether its burst failed. */
				if (atomic_load_explicit(&vc->finished, memory_order_relaxed) != idx)
					return work;
				if (vc->burst_failed)
					vc->fence_state = FAB_BURST_SKIPPED;
			}
			if (vc->fence_state == FAB_BURST_SKIPPED) {
				fab_fail_slot(vc, slot, IDD_DMA_STATUS_NOT_ATTEMPTED);
				vc->done[slot] = 2;
				goto next;
			}
		}
		if (!fab_post_op(fd, vc, d, idx))
			return work;
		vc->done[slot] = vc->pending[slot] == 0 ? 2 : 1;
	next:
		if (d->flags & FAB_F_BURST_END) {
			vc->fence_state = FAB_BURST_OK;
		}
		vc->cur_off = 0;
		vc->posted = (uint16_t)(idx + 1);
		work++;
	}
	return work;
}

/* Publish the contiguous run of finished operations. */
static int
fab_retire_vchan(struct fab_vchan *vc)
{
	uint16_t fin = atomic_load_explicit(&vc->finished, memory_order_relaxed);
	uint16_t start = fin;
	uint32_t errors = 0;
	uint64_t bytes = 0;

	while (fin != vc->posted) {
		uint16_t slot = fin & vc->mask;
		const struct fab_desc *d = &vc->ring[slot];

		if (vc->done[slot] != 2)
			break;
		vc->done[slot] = 0;
		if (d->op == FAB_OP_FILL)
			fab_fill_release(vc, slot);
		if (vc->status[slot] != 0) {
			errors++;
			vc->burst_failed = true;
		} else if (d->op != FAB_OP_COPY_SG) {
			bytes += d->len;
		} else {
			const struct idd_dma_sge *s = &vc->sges[d->src];

			for (uint16_t i = 0; i < (d->dst & 0xffff); i++)
				bytes += s[i].length;
		}
		/* The fence rule looks at failures of the current burst only. */
		if (d->flags & FAB_F_BURST_END)
			vc->burst_failed = false;
		fin++;
	}
	if (fin == start)
		return 0;
	if (errors != 0)
		atomic_store_explicit(&vc->fin_errors,
				      atomic_load_explicit(&vc->fin_errors, memory_order_relaxed) +
					      errors,
				      memory_order_relaxed);
	atomic_store_explicit(&vc->n_bytes,
			      atomic_load_explicit(&vc->n_bytes, memory_order_relaxed) + bytes,
			      memory_order_relaxed);
	/* Release: the data, statuses and fin_errors before it are visible to
	 * whoever acquires finished. */
	atomic_store_explicit(&vc->finished, fin, memory_order_release);
	return (uint16_t)(fin - start);
}

static bool
fab_has_submitted(struct fab_dev *fd)
{
	if (!atomic_load_explicit(&fd->engine_run, memory_order_acquire))
		return false;
	for (uint16_t v = 0; v < fd->nb_vchans; v++) {
		struct fab_vchan *vc = &fd->vchans[v];

		if (atomic_load_explicit(&vc->submitted, memory_order_seq_cst) != vc->posted)
			return true;
	}
	return false;
}

static void
fab_sleep(struct fab_dev *fd)
{
	struct pollfd pfd[2] = {{.fd = fd->engine_efd, .events = POLLIN}, {.fd = -1}};
	struct fid *fids[1] = {&fd->rdm.cq->fid};
	int cq_fd = -1;
	uint64_t v;

	atomic_store_explicit(&fd->engine_sleeping, 1, memory_order_seq_cst);
	pthread_mutex_lock(&fd->mu);
	bool busy = fab_has_submitted(fd);
	pthread_mutex_unlock(&fd->mu);
	if (busy || atomic_load_explicit(&fd->engine_stop, memory_order_relaxed))
		goto out;
	if (fi_control(&fd->rdm.cq->fid, FI_GETWAIT, &cq_fd) == 0) {
		/* Not FI_SUCCESS: the provider has something to progress now. */
		if (fi_trywait(fd->rdm.fabric, fids, 1) != FI_SUCCESS)
			goto out;
		pfd[1].fd = cq_fd;
		pfd[1].events = POLLIN;
	} else if (fd->nb_posts != 0) {
		goto out; /* nothing would wake us when our operations progress */
	}
	if (poll(pfd, 2, FAB_NAP_MS) > 0 && (pfd[0].revents & POLLIN))
		(void)!read(fd->engine_efd, &v, sizeof(v));
out:
	atomic_store_explicit(&fd->engine_sleeping, 0, memory_order_relaxed);
}

static void *
fab_engine_main(void *arg)
{
	struct fab_dev *fd = arg;
	uint64_t idle_since = 0;

	while (!atomic_load_explicit(&fd->engine_stop, memory_order_acquire)) {
		int work;

		/* Completions and the provider's progress (which may move many
		 * bytes) touch only the engine's own state: outside the lock,
		 * so the control thread is never starved of it. */
		work = fab_poll_cq(fd);
		pthread_mutex_lock(&fd->mu);
		if (atomic_exchange_explicit(&fd->peers_changed, false, memory_order_acq_rel))
			fab_orphan_gone(fd);
		if (atomic_load_explicit(&fd->engine_run, memory_order_acquire)) {
			for (uint16_t v = 0; v < fd->nb_vchans; v++) {
				struct fab_vchan *vc = &fd->vchans[v];

				work += fab_post_vchan(fd, vc);
				work += fab_retire_vchan(vc);
				/* A fence waiting on retirement may go now. */
				work += fab_post_vchan(fd, vc);
			}
		}
		pthread_mutex_unlock(&fd->mu);
		if (work != 0) {
			idle_since = 0;
			continue;
		}
		if (idle_since == 0) {
			idle_since = fab_now_ns();
			continue;
		}
		if (fab_now_ns() - idle_since > FAB_SPIN_NS)
			fab_sleep(fd);
	}
	return NULL;
}

int
fab_engine_start(struct fab_dev *fd)
{
	int ret;

	fd->engine_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd->engine_efd < 0)
		return -errno;
	atomic_store(&fd->engine_stop, false);
	ret = pthread_create(&fd->engine, NULL, fab_engine_main, fd);
	if (ret != 0) {
		close(fd->engine_efd);
		fd->engine_efd = -1;
		return -ret;
	}
	if (fd->engine_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(fd->engine_cpu, &set);
		ret = pthread_setaffinity_np(fd->engine, sizeof(set), &set);
		if (ret != 0) {
			IDD_LOG(ERR, "dev %s: create refused: cannot pin the engine to cpu %d: %s",
				fd->name, fd->engine_cpu, strerror(ret));
			fab_engine_stop(fd);
			return -ret;
		}
	}
	return 0;
}

void
fab_engine_stop(struct fab_dev *fd)
{
	uint64_t one = 1;

	if (fd->engine_efd < 0)
		return;
	atomic_store(&fd->engine_stop, true);
	(void)!write(fd->engine_efd, &one, sizeof(one));
	pthread_join(fd->engine, NULL);
	close(fd->engine_efd);
	fd->engine_efd = -1;
}

void
fab_engine_drain(struct fab_dev *fd)
{
	for (;;) {
		bool busy = false;

		pthread_mutex_lock(&fd->mu);
		for (uint16_t v = 0; v < fd->nb_vchans; v++) {
			struct fab_vchan *vc = &fd->vchans[v];

			if (atomic_load(&vc->finished) != atomic_load(&vc->submitted))
				busy = true;
		}
		pthread_mutex_unlock(&fd->mu);
		if (!busy)
			return;
		fab_engine_kick(fd);
		usleep(100);
	}
}
