/* SPDX-License-Identifier: BSD-3-Clause */
/* Log lines that every driver words the same way. */
#include "common/log.h"
#include "dmadev/dmadev_driver.h"

void
dma_warn_discarded(const char *dev_name, int vchan, const char *what, unsigned long discarded)
{
	if (discarded == 0)
		return;
	if (vchan >= 0)
		IDD_LOG(WARNING, "dev %s: vchan %d %s: discarding %lu completions that were never "
				 "collected", dev_name, vchan, what, discarded);
	else
		IDD_LOG(WARNING, "dev %s: %s: discarding %lu completions that were never collected",
			dev_name, what, discarded);
}
