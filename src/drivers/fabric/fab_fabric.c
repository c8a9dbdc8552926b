/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libfabric objects of a device: its RDM endpoints (fab_rdm.h, one per
 * stripe) bound to the device's address, their completion queue and address
 * vector. Peers are inserted
 * into the AV when they join and removed when they go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "drivers/fabric/fab_dev.h"

static int
fab_fail(struct fab_dev *fd, const char *what, int ret)
{
	IDD_LOG(ERR, "dev %s: create refused: %s failed: %s", fd->name, what,
		fab_strerror(-ret));
	return ret < 0 ? ret : -EIO;
}

int
fab_fabric_open(struct fab_dev *fd, const char *provider)
{
	const char *what;
	int ret = fab_rdm_open(&fd->rdm, provider, fd->bind_ip, fd->stripes, 4 * FAB_MAX_POSTS,
			       FI_WAIT_FD, &what);

	if (ret != 0 && strcmp(what, "loading libfabric") == 0) {
		IDD_LOG(ERR, "dev %s: create refused: the fabric driver cannot load libfabric: %s",
			fd->name, fab_lib_error());
		return ret;
	}
	if (ret != 0 && strcmp(what, "fi_getinfo") == 0) {
		IDD_LOG(ERR, "dev %s: create refused: no libfabric provider \"%s\" with RDM "
			     "endpoints, RMA and IPv4 addresses: %s", fd->name, provider,
			fab_strerror(-ret));
		return -ENODEV;
	}
	if (ret != 0)
		return fab_fail(fd, what, ret);
	if (!(fd->rdm.info->tx_attr->op_flags & FI_DELIVERY_COMPLETE))
		IDD_LOG(WARNING, "dev %s: provider %s does not offer delivery completion: a "
				 "write may be reported before its bytes land", fd->name, provider);
	fd->virt_addr = (fd->rdm.info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;
	fd->prov_key = (fd->rdm.info->domain_attr->mr_mode & FI_MR_PROV_KEY) != 0;
	ret = fab_rdm_name(&fd->rdm, &fd->ep_ip, &fd->ep_port);
	if (ret != 0)
		return fab_fail(fd, "fi_getname", ret);
	IDD_LOG(DEBUG, "dev %s: fabric endpoint %s %u.%u.%u.%u:%u (%s addresses, %s keys), "
		       "%u stripe(s)",
		fd->name, fd->rdm.info->fabric_attr->prov_name, fd->ep_ip >> 24,
		(fd->ep_ip >> 16) & 255, (fd->ep_ip >> 8) & 255, fd->ep_ip & 255, fd->ep_port,
		fd->virt_addr ? "virtual" : "offset", fd->prov_key ? "provider" : "our",
		fd->stripes);
	return 0;
}

void
fab_fabric_close(struct fab_dev *fd)
{
	fab_rdm_close(&fd->rdm);
}

int
fab_av_insert(struct fab_dev *fd, struct fab_peer *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int ret;

	sa.sin_addr.s_addr = htonl(p->ip);
	sa.sin_port = htons(p->port);
	ret = fi_av_insert(fd->rdm.av, &sa, 1, &p->fi_addr, 0, NULL);
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
	fi_av_remove(fd->rdm.av, &p->fi_addr, 1, 0);
	p->av_valid = false;
}
