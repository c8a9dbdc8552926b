/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening and closing one RDM endpoint (fab_rdm.h): the libfabric calls in
 * the order they depend on each other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "drivers/fabric/fab_lib.h"
#include "drivers/fabric/fab_rdm.h"

static struct fi_info *
rdm_hints(const char *provider, uint32_t ip)
{
	struct fi_info *hints = fab_lib.dupinfo(NULL);
	struct sockaddr_in src = {.sin_family = AF_INET};

	if (hints == NULL)
		return NULL;
	hints->caps = FI_RMA | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
	hints->ep_attr->type = FI_EP_RDM;
	hints->addr_format = FI_SOCKADDR_IN;
	/* What we can cope with: virtual addresses or offsets, our keys or the
	 * provider's. FI_MR_LOCAL is not offered: local buffers are the
	 * application's own memory, not registered (doc/inter-os.md). */
	hints->domain_attr->mr_mode = FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	hints->domain_attr->threading = FI_THREAD_SAFE;
	hints->mode = FI_CONTEXT | FI_CONTEXT2;
	/* A write completes once its bytes are in the target's memory, not
	 * when they left ours: a status SUCCESSFUL means the data landed, as
	 * with sw. */
	hints->tx_attr->op_flags = FI_DELIVERY_COMPLETE;
	hints->fabric_attr->prov_name = strdup(provider);
	src.sin_addr.s_addr = htonl(ip);
	hints->src_addr = malloc(sizeof(src));
	if (hints->fabric_attr->prov_name == NULL || hints->src_addr == NULL) {
		fab_lib.freeinfo(hints);
		return NULL;
	}
	memcpy(hints->src_addr, &src, sizeof(src));
	hints->src_addrlen = sizeof(src);
	return hints;
}

static int
rdm_open(struct fab_rdm *r, const char *provider, uint32_t ip, unsigned int nb_eps,
	 size_t cq_size, enum fi_wait_obj cq_wait, const char **what)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT, .wait_obj = cq_wait,
				     .size = cq_size};
	struct fi_av_attr av_attr = {.type = FI_AV_MAP};
	struct fi_info *hints;
	int ret;

	memset(r, 0, sizeof(*r));
	*what = "loading libfabric";
	ret = fab_lib_load();
	if (ret != 0)
		return ret;
	hints = rdm_hints(provider, ip);
	*what = "fi_allocinfo";
	if (hints == NULL)
		return -FI_ENOMEM;
	if (nb_eps == 0 || nb_eps > FAB_RDM_MAX_EPS) {
		fab_lib.freeinfo(hints);
		*what = "endpoint count";
		return -FI_EINVAL;
	}
	*what = "fi_getinfo";
	ret = fab_lib.getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &r->info);
	fab_lib.freeinfo(hints);
	if (ret != 0)
		return ret;
	*what = "fi_fabric";
	ret = fab_lib.fabric(r->info->fabric_attr, &r->fabric, NULL);
	if (ret != 0)
		return ret;
	*what = "fi_domain";
	ret = fi_domain(r->fabric, r->info, &r->domain, NULL);
	if (ret != 0)
		return ret;
	*what = "fi_cq_open";
	ret = fi_cq_open(r->domain, &cq_attr, &r->cq, NULL);
	if (ret != 0 && cq_wait != FI_WAIT_NONE) {
		/* No wait object: the caller polls and naps instead. */
		cq_attr.wait_obj = FI_WAIT_NONE;
		ret = fi_cq_open(r->domain, &cq_attr, &r->cq, NULL);
	}
	if (ret != 0)
		return ret;
	*what = "fi_av_open";
	ret = fi_av_open(r->domain, &av_attr, &r->av, NULL);
	if (ret != 0)
		return ret;
	for (unsigned int i = 0; i < nb_eps; i++) {
		*what = "fi_endpoint";
		ret = fi_endpoint(r->domain, r->info, &r->eps[i], NULL);
		if (ret != 0)
			return ret;
		r->nb_eps = i + 1;
		r->ep = r->eps[0];
		*what = "fi_ep_bind";
		ret = fi_ep_bind(r->eps[i], &r->cq->fid, FI_TRANSMIT | FI_RECV);
		if (ret == 0)
			ret = fi_ep_bind(r->eps[i], &r->av->fid, 0);
		if (ret != 0)
			return ret;
		*what = "fi_enable";
		ret = fi_enable(r->eps[i]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
fab_rdm_open(struct fab_rdm *r, const char *provider, uint32_t ip, unsigned int nb_eps,
	     size_t cq_size, enum fi_wait_obj cq_wait, const char **what)
{
	struct fab_signals saved;
	int ret;

	/* Loading libfabric (at the first call) and the providers'
	 * initialization at their first use both install signal handlers
	 * with one of Debian's providers (fab_lib.h). */
	fab_signals_save(&saved);
	ret = rdm_open(r, provider, ip, nb_eps, cq_size, cq_wait, what);
	fab_signals_restore(&saved, "opening a libfabric endpoint");
	return ret;
}

int
fab_rdm_name(const struct fab_rdm *r, uint32_t *ip, uint16_t *port)
{
	struct sockaddr_in name;
	size_t len = sizeof(name);
	int ret = fi_getname(&r->ep->fid, &name, &len);

	if (ret != 0)
		return ret;
	if (name.sin_family != AF_INET)
		return -FI_EINVAL;
	*ip = ntohl(name.sin_addr.s_addr);
	*port = ntohs(name.sin_port);
	return 0;
}

void
fab_rdm_close(struct fab_rdm *r)
{
	for (unsigned int i = r->nb_eps; i-- > 0;)
		fi_close(&r->eps[i]->fid);
	if (r->av != NULL)
		fi_close(&r->av->fid);
	if (r->cq != NULL)
		fi_close(&r->cq->fid);
	if (r->domain != NULL)
		fi_close(&r->domain->fid);
	if (r->fabric != NULL)
		fi_close(&r->fabric->fid);
	if (r->info != NULL)
		fab_lib.freeinfo(r->info);
	memset(r, 0, sizeof(*r));
}
