/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of a vchan configuration that depend on the structure alone:
 * direction, ports, reserved words, domain type. Upstream runs them before
 * looking at the device's capabilities; so do we, so that a program sees the
 * same error for the same mistake.
 */
#include <errno.h>

#include "dmadev/dmadev_internal.h"

static bool
reserved_zero(const uint64_t reserved[2])
{
	return reserved[0] == 0 && reserved[1] == 0;
}

static int
check_port(const struct idd_dma_dev *dev, const char *side,
	   const struct idd_dma_port_param *port, bool side_is_device)
{
	if (port->port_type != IDD_DMA_PORT_NONE && port->port_type != IDD_DMA_PORT_PCIE) {
		DMADEV_REFUSE(dev, "vchan setup", "%s port type %d unknown", side,
			      (int)port->port_type);
		return -EINVAL;
	}
	if (!reserved_zero(port->reserved)) {
		DMADEV_REFUSE(dev, "vchan setup", "%s port reserved words not zero", side);
		return -EINVAL;
	}
	if ((port->port_type == IDD_DMA_PORT_NONE) == side_is_device) {
		DMADEV_REFUSE(dev, "vchan setup", "%s port type %s for this direction", side,
			      side_is_device ? "missing" : "set");
		return -EINVAL;
	}
	return 0;
}

int
dmadev_check_vchan_conf(const struct idd_dma_dev *dev, const struct idd_dma_vchan_conf *conf)
{
	enum idd_dma_direction dir = conf->direction;
	int ret;

	if (dir != IDD_DMA_DIR_MEM_TO_MEM && dir != IDD_DMA_DIR_MEM_TO_DEV &&
	    dir != IDD_DMA_DIR_DEV_TO_MEM && dir != IDD_DMA_DIR_DEV_TO_DEV) {
		DMADEV_REFUSE(dev, "vchan setup", "direction %d unknown", (int)dir);
		return -EINVAL;
	}
	ret = check_port(dev, "source", &conf->src_port,
			 dir == IDD_DMA_DIR_DEV_TO_MEM || dir == IDD_DMA_DIR_DEV_TO_DEV);
	if (ret != 0)
		return ret;
	ret = check_port(dev, "destination", &conf->dst_port,
			 dir == IDD_DMA_DIR_MEM_TO_DEV || dir == IDD_DMA_DIR_DEV_TO_DEV);
	if (ret != 0)
		return ret;
	if (!reserved_zero(conf->auto_free.reserved)) {
		DMADEV_REFUSE(dev, "vchan setup", "auto_free reserved words not zero");
		return -EINVAL;
	}
	if (conf->domain.type != IDD_DMA_INTER_DOMAIN_NONE &&
	    conf->domain.type != IDD_DMA_INTER_PROCESS_DOMAIN &&
	    conf->domain.type != IDD_DMA_INTER_OS_DOMAIN) {
		DMADEV_REFUSE(dev, "vchan setup", "domain type %d unknown", (int)conf->domain.type);
		return -EINVAL;
	}
	if (!reserved_zero(conf->domain.reserved)) {
		DMADEV_REFUSE(dev, "vchan setup", "domain reserved words not zero");
		return -EINVAL;
	}
	if (conf->domain.type != IDD_DMA_INTER_DOMAIN_NONE && dir != IDD_DMA_DIR_MEM_TO_MEM) {
		DMADEV_REFUSE(dev, "vchan setup", "inter-domain transfers must be mem-to-mem");
		return -EINVAL;
	}
	return 0;
}
