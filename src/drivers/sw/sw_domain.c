/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sw driver's inter-process side: its access-pair-group ops (the
 * driver-independent control plane in src/group/ does the work), and the
 * domains of a vchan: the handlers it names, acquired at setup and held
 * until the vchan is set up again, reconfigured or closed.
 *
 * Why the references are held that long: the group layer never hands a
 * referenced handler to a newcomer, so a vchan set up for a member that
 * has since left can never reach another member's memory. The departed
 * member's window table stays allocated (empty) meanwhile; translations
 * through it fail, which is how operations naming a departed member get
 * their error status, with no event to chase and no race with close.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sw/sw_dev.h"
#include "group/group.h"

/* group_handler_state()'s answer for a handler that names a present member. */
#define SW_HANDLER_LIVE 1

/* ---- access pair groups ---- */

int
sw_group_create(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token,
		int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb)
{
	return group_create(dev->dev_id, domain_id, token, cb, group_id);
}

int
sw_group_destroy(struct idd_dma_dev *dev, int16_t group_id)
{
	return group_destroy(dev->dev_id, group_id);
}

int
sw_group_join(struct idd_dma_dev *dev, idd_uuid_t domain_id, idd_uuid_t token, int16_t group_id,
	      idd_dma_access_pair_group_event_cb_t cb)
{
	return group_join(dev->dev_id, domain_id, token, group_id, cb);
}

int
sw_group_leave(struct idd_dma_dev *dev, int16_t group_id)
{
	return group_leave(dev->dev_id, group_id);
}

int
sw_group_handler_get(struct idd_dma_dev *dev, int16_t group_id, idd_uuid_t domain_id,
		     uint16_t *handler)
{
	return group_handler_get(dev->dev_id, group_id, domain_id, handler);
}

/* ---- vchan domains ---- */

/* Take a reference on @handler for one side of a vchan. The state check
 * first, so that a refusal is one log line that names the vchan (acquire
 * would log its own, vaguer one); acquire can then only fail if the member
 * departed in between, and logs that itself. */
static int
sw_side_acquire(const struct idd_dma_dev *dev, uint16_t vchan, const char *which,
		uint16_t handler, struct sw_side *side)
{
	struct mem_wt *table = NULL;

	if (handler == 0 || group_handler_state(dev->dev_id, handler) != SW_HANDLER_LIVE) {
		IDD_LOG(ERR, "dev %d (%s): vchan %u setup refused: %s_handler %u names no present "
			     "member of a group of this device", dev->dev_id, dev->name, vchan,
			which, handler);
		return -EINVAL;
	}
	if (group_handler_acquire(dev->dev_id, handler, &table) != 0)
		return -EINVAL;
	side->handler = handler;
	side->held = true;
	/* NULL: the handler names our own domain, whose addresses need no
	 * translation. */
	side->table = table;
	mem_wt_cache_init(&side->cache);
	return 0;
}

int
sw_xdom_setup(const struct idd_dma_dev *dev, uint16_t vchan,
	      const struct idd_dma_vchan_conf *conf, struct sw_xdom **out)
{
	struct sw_xdom *xd;
	int ret;

	*out = NULL;
	if (conf->domain.type == IDD_DMA_INTER_DOMAIN_NONE)
		return 0;
	if (conf->domain.type != IDD_DMA_INTER_PROCESS_DOMAIN) {
		/* The generic layer refuses types the device has no capability
		 * for; this is a guard should sw ever claim more. */
		IDD_LOG(ERR, "dev %d (%s): vchan %u setup refused: domain type %d is not "
			     "supported by sw", dev->dev_id, dev->name, vchan,
			(int)conf->domain.type);
		return -EINVAL;
	}
	xd = aligned_alloc(SW_CACHE_LINE, (sizeof(*xd) + SW_CACHE_LINE - 1) &
						  ~(size_t)(SW_CACHE_LINE - 1));
	if (xd == NULL) {
		IDD_LOG(ERR, "dev %d (%s): vchan %u setup refused: out of memory", dev->dev_id,
			dev->name, vchan);
		return -ENOMEM;
	}
	memset(xd, 0, sizeof(*xd));
	xd->type = conf->domain.type;
	xd->dev_id = dev->dev_id;
	ret = sw_side_acquire(dev, vchan, "src", conf->domain.src_handler, &xd->src);
	if (ret == 0)
		ret = sw_side_acquire(dev, vchan, "dst", conf->domain.dst_handler, &xd->dst);
	if (ret != 0) {
		sw_xdom_free(xd);
		return ret;
	}
	*out = xd;
	return 0;
}

bool
sw_xdom_local(const struct sw_xdom *xd)
{
	return xd == NULL || (xd->src.table == NULL && xd->dst.table == NULL);
}

void
sw_xdom_free(struct sw_xdom *xd)
{
	if (xd == NULL)
		return;
	/* Control path, outside any read-side section: a release may wait for
	 * a grace period (the last reference to a departed member's table). */
	if (xd->src.held)
		group_handler_release(xd->dev_id, xd->src.handler);
	if (xd->dst.held)
		group_handler_release(xd->dev_id, xd->dst.handler);
	free(xd);
}

static const char *
sw_side_desc(const struct sw_xdom *xd, const struct sw_side *side)
{
	if (group_handler_state(xd->dev_id, side->handler) != SW_HANDLER_LIVE)
		return "departed";
	return side->table == NULL ? "local" : "remote";
}

void
sw_xdom_dump(const struct sw_xdom *xd, FILE *f)
{
	if (xd == NULL) {
		fprintf(f, "    domain: none (local transfers)\n");
		return;
	}
	fprintf(f, "    domain: inter-process, src handler %u (%s), dst handler %u (%s)\n",
		xd->src.handler, sw_side_desc(xd, &xd->src), xd->dst.handler,
		sw_side_desc(xd, &xd->dst));
}
