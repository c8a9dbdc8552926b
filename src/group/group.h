/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_GROUP_H
#define IDD_SRC_GROUP_GROUP_H

/*
 * The driver-independent access-pair-group engine, for drivers to call from
 * their dev_ops (a driver's access_pair_group_* ops can simply forward
 * here). Devices are named by dev_id only; nothing here looks into the
 * device registry, so these functions may be called with or without the
 * registry lock... except those marked "not under the registry lock",
 * which wait for the control thread, whose callbacks may take that lock.
 *
 * Error codes are the ones idd_dmadev.h documents for the public calls;
 * every refusal is logged once, naming the group and the reason.
 */

#include <stdint.h>

#include <idd/idd_common.h>
#include <idd/idd_dmadev.h>

struct kvargs;

/* Group settings of a device: namespace and abstract sockets. Read by a
 * driver's probe from its arguments (`namespace=NAME`, `abstract_sockets=0|1`)
 * with group_dev_parse_args(), which falls back to IDD_NAMESPACE and
 * IDD_ABSTRACT_SOCKETS. Returns 0 or -EINVAL (logged). A device whose
 * driver never calls it uses the environment, read at its first group
 * call. */
int group_dev_parse_args(int16_t dev_id, struct kvargs *args);
int group_dev_set_options(int16_t dev_id, const char *ns, int abstract);

/* The five upstream calls. Not under the registry lock. */
int group_create(int16_t dev_id, const unsigned char domain_id[16],
		 const unsigned char token[16], idd_dma_access_pair_group_event_cb_t cb,
		 int16_t *group_id);
int group_join(int16_t dev_id, const unsigned char domain_id[16], const unsigned char token[16],
	       int16_t group_id, idd_dma_access_pair_group_event_cb_t cb);
int group_leave(int16_t dev_id, int16_t group_id);
int group_destroy(int16_t dev_id, int16_t group_id);
/* Takes only the group lock: safe anywhere. */
int group_handler_get(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
		      uint16_t *handler);

/* The device is closing (call from dev_close; not under the registry
 * lock... the dmadev layer calls dev_close under it, so this one does not
 * wait for the control thread when called there: see group.c). Leaves
 * every group the device joined, ends every group it created, drops its
 * handler table and its pending events. */
void group_dev_close(int16_t dev_id);

/*
 * Handlers and the data plane. A vchan that uses a handler holds a
 * reference from vchan setup until it is released (vchan reconfigured or
 * device closed), so the handler is not reused meanwhile.
 *
 * group_handler_acquire(): take a reference on a live handler of @dev_id;
 * returns 0, or -EINVAL if it does not name a present member. *@space (if
 * not NULL) receives the member's window table (mem/window_table.h), in
 * which its windows are mapped here, or NULL when the handler names our own
 * domain (then use mem_local_table()). The table stays valid until the
 * reference is released; after the member departs it is empty, so
 * translations fail (and the data plane reports an invalid address).
 * group_handler_release(): drop it. A retired handler (member gone) with
 * no reference left becomes free.
 * group_set_retire_hook(): @fn(dev_id, handler, arg) runs on the control
 * thread, with no lock held, each time a handler of @dev_id stops naming a
 * present member (left, died, group ended): the data plane then stops using
 * it (completes its operations with an error, quiesces, unmaps the member's
 * windows) and releases its references.
 * Acquire/release take only the group lock: safe under the registry lock.
 * Release may wait for an RCU grace period (when it frees a departed
 * member's table), and no group function may be called inside a mem RCU
 * read-side section.
 */
typedef void (*group_retire_fn)(int16_t dev_id, uint16_t handler, void *arg);

struct mem_wt;
int group_handler_acquire(int16_t dev_id, uint16_t handler, struct mem_wt **space);
void group_handler_release(int16_t dev_id, uint16_t handler);
void group_set_retire_hook(int16_t dev_id, group_retire_fn fn, void *arg);

/* For tests: the creator's deadline for a joiner's handshake (default
 * 5000 ms). */
void group_set_handshake_ms(unsigned int ms);

/* For tests: the state of a handler (0 free, 1 live, 2 retired). */
int group_handler_state(int16_t dev_id, uint16_t handler);

#endif
