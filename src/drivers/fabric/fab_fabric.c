/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libfabric objects of a device: one RDM endpoint bound to the device's
 * address, its completion queue and address vector. Peers are inserted
 * into the AV when they join and removed when they go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "drivers/fabric/fab_dev.h"

static int
fab_fail(struct fab_dev *fd, const char *what, int ret)
{
	IDD_LOG(ERR, "dev %s: create refused: %s failed: %s", fd->name, what,
		fi_strerror(-ret));
	return ret < 0 ? ret : -EIO;
}

int
fab_fabric_open(struct fab_dev *fd, const char *provider)
{
	struct fi_info *hints = fi_allocinfo();
	struct sockaddr_in src = {.sin_family = AF_INET};
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT, .wait_obj = FI_WAIT_FD,
				     .size = 4 * FAB_MAX_POSTS};
	struct fi_av_attr av_attr = {.type = FI_AV_MAP};
	struct sockaddr_in name;
	size_t len = sizeof(name);
	int ret;

	if (hints == NULL)
		return -ENOMEM;
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
	src.sin_addr.s_addr = htonl(fd->bind_ip);
	hints->src_addr = malloc(sizeof(src));
	if (hints->fabric_attr->prov_name == NULL || hints->src_addr == NULL) {
		fi_freeinfo(hints);
		return -ENOMEM;
	}
	memcpy(hints->src_addr, &src, sizeof(src));
	hints->src_addrlen = sizeof(src);

	ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &fd->info);
	fi_freeinfo(hints);
	if (ret != 0) {
		IDD_LOG(ERR, "dev %s: create refused: no libfabric provider \"%s\" with RDM "
			     "endpoints, RMA and IPv4 addresses: %s", fd->name, provider,
			fi_strerror(-ret));
		return -ENODEV;
	}
	if (!(fd->info->tx_attr->op_flags & FI_DELIVERY_COMPLETE))
		IDD_LOG(WARNING, "dev %s: provider %s does not offer delivery completion: a "
				 "write may be reported before its bytes land", fd->name, provider);
	fd->virt_addr = (fd->info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;
	fd->prov_key = (fd->info->domain_attr->mr_mode & FI_MR_PROV_KEY) != 0;

	ret = fi_fabric(fd->info->fabric_attr, &fd->fabric, NULL);
	if (ret != 0)
		return fab_fail(fd, "fi_fabric", ret);
	ret = fi_domain(fd->fabric, fd->info, &fd->domain, NULL);
	if (ret != 0)
		return fab_fail(fd, "fi_domain", ret);
	ret = fi_cq_open(fd->domain, &cq_attr, &fd->cq, NULL);
	if (ret != 0) {
		/* No wait object: the engine polls and naps instead. */
		cq_attr.wait_obj = FI_WAIT_NONE;
		ret = fi_cq_open(fd->domain, &cq_attr, &fd->cq, NULL);
	}
	if (ret != 0)
		return fab_fail(fd, "fi_cq_open", ret);
	ret = fi_av_open(fd->domain, &av_attr, &fd->av, NULL);
	if (ret != 0)
		return fab_fail(fd, "fi_av_open", ret);
	ret = fi_endpoint(fd->domain, fd->info, &fd->ep, NULL);
	if (ret != 0)
		return fab_fail(fd, "fi_endpoint", ret);
	ret = fi_ep_bind(fd->ep, &fd->cq->fid, FI_TRANSMIT | FI_RECV);
	if (ret == 0)
		ret = fi_ep_bind(fd->ep, &fd->av->fid, 0);
	if (ret != 0)
		return fab_fail(fd, "fi_ep_bind", ret);
	ret = fi_enable(fd->ep);
	if (ret != 0)
		return fab_fail(fd, "fi_enable", ret);
	ret = fi_getname(&fd->ep->fid, &name, &len);
	if (ret != 0 || name.sin_family != AF_INET)
		return fab_fail(fd, "fi_getname", ret != 0 ? ret : -FI_EINVAL);
	fd->ep_ip = ntohl(name.sin_addr.s_addr);
	fd->ep_port = ntohs(name.sin_port);
	IDD_LOG(DEBUG, "dev %s: fabric endpoint %s %u.%u.%u.%u:%u (%s addresses, %s keys)",
		fd->name, fd->info->fabric_attr->prov_name, fd->ep_ip >> 24,
		(fd->ep_ip >> 16) & 255, (fd->ep_ip >> 8) & 255, fd->ep_ip & 255, fd->ep_port,
		fd->virt_addr ? "virtual" : "offset", fd->prov_key ? "provider" : "our");
	return 0;
}

void
fab_fabric_close(struct fab_dev *fd)
{
	if (fd->ep != NULL)
		fi_close(&fd->ep->fid);
	if (fd->av != NULL)
		fi_close(&fd->av->fid);
	if (fd->cq != NULL)
		fi_close(&fd->cq->fid);
	if (fd->domain != NULL)
		fi_close(&fd->domain->fid);
	if (fd->fabric != NULL)
		fi_close(&fd->fabric->fid);
	if (fd->info != NULL)
		fi_freeinfo(fd->info);
	fd->ep = NULL;
	fd->av = NULL;
	fd->cq = NULL;
	fd->domain = NULL;
	fd->fabric = NULL;
	fd->info = NULL;
}

int
fab_av_insert(struct fab_dev *fd, struct fab_peer *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int ret;

	sa.sin_addr.s_addr = htonl(p->ip);
	sa.sin_port = htons(p->port);
	ret = fi_av_insert(fd->av, &sa, 1, &p->fi_addr, 0, NULL);
	if (ret != 1) {
		IDD_LOG(ERR, "dev %s: group %d: member slot %u: endpoint address refused by "
			     "libfabric", fd->name, p->group_id, p->slot);
		return -EINVAL;
	}
	p->av_valid = true;
	return 0;
}

void
fab_av_remove(struct fab_dev *fd, struct fab_peer *p)
{
	if (!p->av_valid)
		return;
	/* Removing the address makes the provider drop its connection to the
	 * peer, which fails what is still posted to it. */
	fi_av_remove(fd->av, &p->fi_addr, 1, 0);
	p->av_valid = false;
}
