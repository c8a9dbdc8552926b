/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fabric driver's device: arguments, capabilities, the control ops,
 * and the table that registers it as driver "fabric" (doc/inter-os.md).
 *
 *   driver=fabric
 *   provider=NAME      libfabric provider (default tcp)
 *   listen=IP:PORT     serve this device's groups here; the data endpoint
 *                      binds to IP too
 *   bind=IP            the data endpoint's (and joins') local address, for
 *                      a device that only joins (default: listen's IP)
 *   connect=IP:PORT    where join finds the creator's device
 *   keepalive_ms=N     control keepalive interval, 10..10000 (default 250);
 *                      a peer silent for 4 intervals is dead
 *   stripes=N          spread each copy over N endpoints, each a TCP
 *                      connection of its own, 1..16 (default 1: on a veth
 *                      link with CPU to spare for neither host, more
 *                      connections only cost more; for links where one
 *                      TCP stream is window-bound)
 *   cpu=N              pin the engine thread (which does the data path's
 *                      socket work) to CPU N (default: not pinned)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/fabric/fab_group.h"

static int
fab_parse_ip(const char *dev, const char *key, const char *text, uint32_t *ip, uint16_t *port)
{
	char buf[64];
	const char *colon = strrchr(text, ':');
	struct in_addr a;
	size_t n = port != NULL && colon != NULL ? (size_t)(colon - text) : strlen(text);

	if (n >= sizeof(buf) || (port != NULL && colon == NULL))
		goto bad;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		goto bad;
	*ip = ntohl(a.s_addr);
	if (port != NULL) {
		char *end;
		unsigned long v = strtoul(colon + 1, &end, 10);

		if (*(colon + 1) == '\0' || *end != '\0' || v == 0 || v > 65535)
			goto bad;
		*port = (uint16_t)v;
	}
	return 0;
bad:
	IDD_LOG(ERR, "dev %s: create refused: %s=%s is not %s", dev, key, text,
		port != NULL ? "an IPv4 address and port (A.B.C.D:PORT)" : "an IPv4 address");
	return -EINVAL;
}

static int
fab_info_get(const struct idd_dma_dev *dev, struct idd_dma_info *info)
{
	(void)dev;
	info->dev_capa = IDD_DMA_CAPA_MEM_TO_MEM | IDD_DMA_CAPA_SVA | IDD_DMA_CAPA_HANDLES_ERRORS |
			 IDD_DMA_CAPA_INTER_OS_DOMAIN | IDD_DMA_CAPA_OPS_COPY |
			 IDD_DMA_CAPA_OPS_COPY_SG | IDD_DMA_CAPA_OPS_FILL;
	info->max_vchans = FAB_MAX_VCHANS;
	info->max_desc = FAB_MAX_DESC;
	info->min_desc = FAB_MIN_DESC;
	info->max_sges = FAB_MAX_SGES;
	info->nb_priorities = 0;
	return 0;
}

static void
fab_vchan_free(struct fab_vchan *vc)
{
	free(vc->ring);
	free(vc->status);
	free(vc->sges);
	free(vc->pending);
	free(vc->done);
	for (unsigned int i = 0; i < FAB_FILL_BUFS; i++)
		free(vc->fill_buf[i]);
	memset(vc, 0, sizeof(*vc));
}

static void
fab_vchans_free(struct fab_dev *fd)
{
	for (uint16_t v = 0; v < fd->nb_vchans; v++)
		fab_vchan_free(&fd->vchans[v]);
	free(fd->vchans);
	fd->vchans = NULL;
	fd->nb_vchans = 0;
}

/* Completions of @vc that were never collected (control path). */
static uint16_t
fab_vchan_uncollected(const struct fab_vchan *vc)
{
	return (uint16_t)(atomic_load(&vc->finished) - atomic_load(&vc->collected));
}

static int
fab_configure(struct idd_dma_dev *dev, const struct idd_dma_conf *conf)
{
	struct fab_dev *fd = dev->dev_private;
	unsigned long discarded = 0;
	struct fab_vchan *v;

	if (conf->flags != 0) {
		IDD_LOG(ERR, "dev %s: configure refused: the fabric driver has no silent or "
			     "operation mode", fd->name);
		return -ENOTSUP;
	}
	v = aligned_alloc(FAB_CACHE_LINE, conf->nb_vchans * sizeof(*v));
	if (v == NULL) {
		IDD_LOG(ERR, "dev %s: configure refused: out of memory for %u vchans", fd->name,
			conf->nb_vchans);
		return -ENOMEM;
	}
	memset(v, 0, conf->nb_vchans * sizeof(*v));
	/* Completions of the previous configuration are no longer collectable:
	 * its vchans go. */
	fd->cpl_vchans = 0;
	pthread_mutex_lock(&fd->mu);
	for (uint16_t i = 0; i < fd->nb_vchans; i++)
		discarded += fab_vchan_uncollected(&fd->vchans[i]);
	dma_warn_discarded(fd->name, -1, "configure", discarded);
	fab_vchans_free(fd);
	fd->vchans = v;
	fd->nb_vchans = conf->nb_vchans;
	pthread_mutex_unlock(&fd->mu);
	return 0;
}

static int
fab_vchan_setup(struct idd_dma_dev *dev, uint16_t vchan, const struct idd_dma_vchan_conf *conf)
{
	struct fab_dev *fd = dev->dev_private;
	struct fab_vchan *vc = &fd->vchans[vchan];
	struct fab_peer *src, *dst;
	uint16_t n = conf->nb_desc;

	if (conf->domain.type != IDD_DMA_INTER_OS_DOMAIN) {
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: the fabric driver only carries "
			     "inter-OS vchans (use an sw device for local and inter-process ones)",
			fd->name, vchan);
		return -ENOTSUP;
	}
	if ((n & (n - 1)) != 0) {
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: nb_desc %u is not a power of two",
			fd->name, vchan, n);
		return -EINVAL;
	}
	pthread_mutex_lock(&fd->mu);
	src = fab_handler_peer(fd, conf->domain.src_handler);
	dst = fab_handler_peer(fd, conf->domain.dst_handler);
	bool bad = src == NULL || dst == NULL || atomic_load(&src->gone) || atomic_load(&dst->gone);
	bool both_local = !bad && src->self && dst->self;
	bool both_remote = !bad && !src->self && !dst->self;

	pthread_mutex_unlock(&fd->mu);
	if (bad) {
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: handler %u or %u names no present "
			     "member", fd->name, vchan, conf->domain.src_handler,
			conf->domain.dst_handler);
		return -EINVAL;
	}
	if (both_local || both_remote) {
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: %s", fd->name, vchan,
			both_local ? "both handlers are our own domain: use an sw device"
				   : "remote to remote (third-party) copies have no RMA "
				     "equivalent across hosts");
		return -ENOTSUP;
	}
	dma_warn_discarded(fd->name, vchan, "setup", fab_vchan_uncollected(vc));
	fab_vchan_free(vc);
	vc->ring = calloc(n, sizeof(*vc->ring));
	vc->status = calloc(n, sizeof(*vc->status));
	vc->sges = calloc((size_t)n * FAB_SGE_PER_DESC, sizeof(*vc->sges));
	vc->pending = calloc(n, sizeof(*vc->pending));
	vc->done = calloc(n, 1);
	if (vc->ring == NULL || vc->status == NULL || vc->sges == NULL || vc->pending == NULL ||
	    vc->done == NULL) {
		fab_vchan_free(vc);
		IDD_LOG(ERR, "dev %s: vchan %u setup refused: out of memory for %u descriptors",
			fd->name, vchan, n);
		return -ENOMEM;
	}
	vc->nb_desc = n;
	vc->mask = (uint16_t)(n - 1);
	vc->write = src->self;
	vc->peer = src->self ? dst : src;
	return 0;
}

/* Back to the state right after setup; returns how many completions were
 * never collected. */
static uint16_t
fab_vchan_reset(struct fab_vchan *vc)
{
	uint16_t uncollected = fab_vchan_uncollected(vc);

	atomic_store(&vc->head, 0);
	atomic_store(&vc->collected, 0);
	atomic_store(&vc->submitted, 0);
	atomic_store(&vc->finished, 0);
	atomic_store(&vc->fin_errors, 0);
	vc->coll_errors = 0;
	vc->posted = 0;
	vc->cur_off = 0;
	vc->sg_active = false;
	vc->fence_state = 0;
	vc->burst_failed = false;
	memset(vc->status, 0, vc->nb_desc * sizeof(*vc->status));
	memset(vc->done, 0, vc->nb_desc);
	memset(vc->fill_owner, 0, sizeof(vc->fill_owner));
	return uncollected;
}

static int
fab_start(struct idd_dma_dev *dev)
{
	struct fab_dev *fd = dev->dev_private;
	unsigned long discarded = 0;

	pthread_mutex_lock(&fd->mu);
	for (uint16_t v = 0; v < fd->nb_vchans; v++)
		discarded += fab_vchan_reset(&fd->vchans[v]);
	dma_warn_discarded(fd->name, -1, "start", discarded);
	atomic_store(&fd->engine_run, true);
	pthread_mutex_unlock(&fd->mu);
	fd->cpl_vchans = fd->nb_vchans;
	fd->fp_vchans = fd->nb_vchans;
	return 0;
}

static int
fab_stop(struct idd_dma_dev *dev)
{
	struct fab_dev *fd = dev->dev_private;

	fd->fp_vchans = 0;
	/* Finish everything submitted (a dead peer's operations fail within
	 * the keepalive bound), then abort what was only enqueued. */
	fab_engine_drain(fd);
	pthread_mutex_lock(&fd->mu);
	atomic_store(&fd->engine_run, false);
	for (uint16_t v = 0; v < fd->nb_vchans; v++) {
		struct fab_vchan *vc = &fd->vchans[v];
		uint16_t sub = atomic_load(&vc->submitted), head = atomic_load(&vc->head);

		if (sub == head)
			continue;
		for (uint16_t i = sub; i != head; i++)
			vc->status[i & vc->mask] = IDD_DMA_STATUS_USER_ABORT;
		atomic_store(&vc->n_submitted, atomic_load(&vc->n_submitted) + (uint16_t)(head - sub));
		atomic_store(&vc->fin_errors, atomic_load(&vc->fin_errors) + (uint16_t)(head - sub));
		vc->posted = head;
		atomic_store(&vc->submitted, head);
		atomic_store_explicit(&vc->finished, head, memory_order_release);
	}
	pthread_mutex_unlock(&fd->mu);
	return 0;
}

static int
fab_close(struct idd_dma_dev *dev)
{
	struct fab_dev *fd = dev->dev_private;

	fab_windows_stop(fd);
	fab_groups_close(fd);
	fab_ctl_stop(fd);
	fab_engine_stop(fd);
	fab_vchans_free(fd);
	fab_fabric_close(fd);
	pthread_mutex_destroy(&fd->mu);
	pthread_mutex_destroy(&fd->deliver_mu);
	pthread_cond_destroy(&fd->cv);
	return 0;
}

static int
fab_stats_ext_get(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats_ext *st)
{
	const struct fab_dev *fd = dev->dev_private;

	for (uint16_t v = 0; v < fd->nb_vchans; v++) {
		struct fab_vchan *vc = &fd->vchans[v];

		if (vchan != IDD_DMA_ALL_VCHAN && v != vchan)
			continue;
		st->submitted += atomic_load(&vc->n_submitted) - vc->base_submitted;
		st->completed += atomic_load(&vc->n_completed) - vc->base_completed;
		st->errors += atomic_load(&vc->n_errors) - vc->base_errors;
		st->bytes += atomic_load(&vc->n_bytes) - vc->base_bytes;
	}
	return 0;
}

static int
fab_stats_get(const struct idd_dma_dev *dev, uint16_t vchan, struct idd_dma_stats *stats)
{
	struct idd_dma_stats_ext ext = {0};

	fab_stats_ext_get(dev, vchan, &ext);
	stats->submitted = ext.submitted;
	stats->completed = ext.completed;
	stats->errors = ext.errors;
	return 0;
}

static int
fab_stats_reset(struct idd_dma_dev *dev, uint16_t vchan)
{
	struct fab_dev *fd = dev->dev_private;

	for (uint16_t v = 0; v < fd->nb_vchans; v++) {
		struct fab_vchan *vc = &fd->vchans[v];

		if (vchan != IDD_DMA_ALL_VCHAN && v != vchan)
			continue;
		vc->base_submitted = atomic_load(&vc->n_submitted);
		vc->base_completed = atomic_load(&vc->n_completed);
		vc->base_errors = atomic_load(&vc->n_errors);
		vc->base_bytes = atomic_load(&vc->n_bytes);
	}
	return 0;
}

static int
fab_vchan_status(const struct idd_dma_dev *dev, uint16_t vchan,
		 enum idd_dma_vchan_status *status)
{
	const struct fab_dev *fd = dev->dev_private;
	struct fab_vchan *vc = &fd->vchans[vchan];

	*status = atomic_load_explicit(&vc->finished, memory_order_acquire) ==
				  atomic_load_explicit(&vc->submitted, memory_order_relaxed)
			  ? IDD_DMA_VCHAN_IDLE
			  : IDD_DMA_VCHAN_ACTIVE;
	return 0;
}

static int
fab_dump(const struct idd_dma_dev *dev, FILE *f)
{
	const struct fab_dev *fd = dev->dev_private;

	fprintf(f, "  fabric: provider %s, endpoint %u.%u.%u.%u:%u, %u stripe(s), listen port %u, "
		   "keepalive %u ms\n",
		fd->rdm.info->fabric_attr->prov_name, fd->ep_ip >> 24, (fd->ep_ip >> 16) & 255,
		(fd->ep_ip >> 8) & 255, fd->ep_ip & 255, fd->ep_port, fd->stripes,
		fd->listen_port, fd->keepalive_ms);
	for (uint16_t v = 0; v < fd->nb_vchans; v++) {
		struct fab_vchan *vc = &fd->vchans[v];

		if (vc->ring == NULL)
			continue;
		fprintf(f, "  vchan %u: %s peer handler %u%s, head %u submitted %u finished %u "
			   "collected %u\n",
			v, vc->write ? "write to" : "read from", vc->peer->handler,
			atomic_load(&vc->peer->gone) ? " (gone)" : "", atomic_load(&vc->head),
			atomic_load(&vc->submitted), atomic_load(&vc->finished),
			atomic_load(&vc->collected));
	}
	return 0;
}

static const struct dma_dev_ops fab_dev_ops = {
	.dev_info_get = fab_info_get,
	.dev_configure = fab_configure,
	.dev_start = fab_start,
	.dev_stop = fab_stop,
	.dev_close = fab_close,
	.vchan_setup = fab_vchan_setup,
	.stats_get = fab_stats_get,
	.stats_reset = fab_stats_reset,
	.stats_ext_get = fab_stats_ext_get,
	.vchan_status = fab_vchan_status,
	.dev_dump = fab_dump,
	.access_pair_group_create = fab_group_create,
	.access_pair_group_destroy = fab_group_destroy,
	.access_pair_group_join = fab_group_join,
	.access_pair_group_leave = fab_group_leave,
	.access_pair_group_handler_get = fab_group_handler_get,
	.group_ext = &fab_group_ext_ops,
};

static int
fab_probe(struct idd_dma_dev *dev, struct kvargs *args)
{
	struct fab_dev *fd = dev->dev_private;
	const char *provider = kvargs_get(args, "provider");
	const char *listen = kvargs_get(args, "listen");
	const char *bind = kvargs_get(args, "bind");
	const char *connect = kvargs_get(args, "connect");
	uint64_t ka = FAB_KEEPALIVE_MS_DEFAULT, cpu = UINT64_MAX, stripes = FAB_STRIPES_DEFAULT;
	int ret;

	fd->name = dev->name;
	fd->dev_id = dev->dev_id;
	fd->engine_efd = -1;
	fd->ctl_efd = -1;
	fd->listen_fd = -1;
	fd->next_handler = 1;
	ret = kvargs_get_uint(args, "keepalive_ms", 10, 10000, &ka);
	if (ret != 0)
		return ret;
	fd->keepalive_ms = (unsigned int)ka;
	ret = kvargs_get_uint(args, "cpu", 0, CPU_SETSIZE - 1, &cpu);
	if (ret != 0)
		return ret;
	fd->engine_cpu = cpu == UINT64_MAX ? -1 : (int)cpu;
	ret = kvargs_get_uint(args, "stripes", 1, FAB_RDM_MAX_EPS, &stripes);
	if (ret != 0)
		return ret;
	fd->stripes = (unsigned int)stripes;
	if (listen != NULL &&
	    (ret = fab_parse_ip(dev->name, "listen", listen, &fd->listen_ip, &fd->listen_port)) != 0)
		return ret;
	if (connect != NULL && (ret = fab_parse_ip(dev->name, "connect", connect, &fd->connect_ip,
						   &fd->connect_port)) != 0)
		return ret;
	fd->bind_ip = fd->listen_ip;
	if (bind != NULL && (ret = fab_parse_ip(dev->name, "bind", bind, &fd->bind_ip, NULL)) != 0)
		return ret;
	if (listen == NULL && bind == NULL) {
		IDD_LOG(ERR, "dev %s: create refused: the fabric driver needs listen=IP:PORT or "
			     "bind=IP (the address of its endpoint)", dev->name);
		return -EINVAL;
	}
	pthread_mutex_init(&fd->mu, NULL);
	pthread_mutex_init(&fd->deliver_mu, NULL);
	pthread_cond_init(&fd->cv, NULL);
	ret = fab_fabric_open(fd, provider != NULL ? provider : "tcp");
	if (ret == 0)
		ret = fab_engine_start(fd);
	if (ret == 0)
		ret = fab_ctl_start(fd);
	if (ret == 0)
		ret = fab_windows_start(fd);
	if (ret != 0) {
		fab_windows_stop(fd);
		fab_ctl_stop(fd);
		fab_engine_stop(fd);
		fab_fabric_close(fd);
		pthread_mutex_destroy(&fd->mu);
		pthread_mutex_destroy(&fd->deliver_mu);
		pthread_cond_destroy(&fd->cv);
		return ret;
	}
	dev->dev_ops = &fab_dev_ops;
	dev->fp_obj->copy = fab_enq_copy;
	dev->fp_obj->copy_sg = fab_enq_copy_sg;
	dev->fp_obj->fill = fab_enq_fill;
	dev->fp_obj->submit = fab_submit;
	dev->fp_obj->completed = fab_completed;
	dev->fp_obj->completed_status = fab_completed_status;
	dev->fp_obj->burst_capacity = fab_burst_capacity;
	return 0;
}

const struct dma_driver dma_driver_fabric = {
	.name = "fabric",
	.priv_size = sizeof(struct fab_dev),
	.probe = fab_probe,
};
