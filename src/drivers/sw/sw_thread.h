/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_SW_THREAD_H
#define IDD_SRC_DRIVERS_SW_THREAD_H

#include "drivers/sw/sw_dev.h"

/*
 * After a submit's seq_cst store of submitted: wake the worker if it sleeps.
 * The common case (worker busy or spinning) costs one load of a line the
 * worker rarely writes. See the wakeup protocol in sw_thread.c.
 */
static inline void
sw_worker_kick(struct sw_worker *w)
{
	if (sw_unlikely(atomic_load_explicit(&w->sleeping, memory_order_seq_cst) != 0))
		sw_worker_wake(w);
}

#endif
