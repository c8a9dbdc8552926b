/* SPDX-License-Identifier: BSD-3-Clause */
/* The drivers idd_dma_dev_create() can instantiate, chosen by `driver=`. */
#include <string.h>

#include "dmadev/dmadev_driver.h"

static const struct dma_driver *const drivers[] = {
	&dma_driver_sw,
#ifdef IDD_HAVE_FABRIC
	&dma_driver_fabric,
#endif
};

const struct dma_driver *
dma_driver_find(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}
