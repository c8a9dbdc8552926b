/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_GROUP_H
#define IDD_GROUP_H

/**
 * @file
 * Access pair groups: idd's extensions to the upstream group API.
 *
 * The five upstream calls (idd_dma_access_pair_group_create(), _join(),
 * _leave(), _destroy(), _handler_get(), in idd_dmadev.h) are kept exactly.
 * This header adds what upstream's reviewers asked for:
 *   - event registration with a user_data pointer, and a MEMBER_JOINED event;
 *   - listing a group's members;
 *   - a per-group directory of named buffers, so that members exchange
 *     addresses without IPC of their own.
 *
 * How groups work. No daemon: the creating process serves its group on a
 * Unix socket in the runtime directory ($IDD_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/idd, else `/tmp/idd-<uid>`; mode 0700, or 1770 to share
 * between the users of one Unix group), named by namespace ($IDD_NAMESPACE
 * or the device argument `namespace=`, default "default") and group id.
 * With $IDD_ABSTRACT_SOCKETS=1 (or the device argument
 * `abstract_sockets=1`) the socket lives in Linux's abstract namespace
 * instead, for containers that share a network namespace but no
 * filesystem: there any local user can bind any name, so a stranger may
 * take a group id first (the join then fails: a squatter cannot prove it
 * knows the token) and nothing but the token protects the group.
 *
 * Joining is a mutual challenge-response: each side proves it knows the
 * token with a keyed MAC over fresh nonces, the group id, the joiner's
 * domain id and both ends' uids; the token never travels. Failed attempts
 * from one uid are answered later and later (20 ms doubling, at most 2 s).
 *
 * Membership: the creator relays every change to every member: joins,
 * departures (a leave, a device close, an exit or a SIGKILL all close the
 * member's socket; the others hear of it within milliseconds), windows and
 * directory entries. The creator's death or destroy ends the group for
 * everyone. A group holds at most IDD_DMA_GROUP_MAX_MEMBERS members.
 *
 * Device close: closing a device leaves every group it joined (the others
 * get MEMBER_LEFT) and ends every group it created, members or not (the
 * members get GROUP_DESTROYED, as if the creator had exited). No event is
 * delivered to the closed device's own callbacks afterwards.
 *
 * Threads. Every function here may be called from any thread, including
 * from an event callback. Event callbacks (upstream's and the extended one)
 * run on idd's control thread, one at a time, never inside the call that
 * registered them, never for a call that failed. A callback may call any
 * idd function; it should return quickly, since the control thread serves
 * every group of the process meanwhile (a blocking callback delays other
 * members' joins, not the data path).
 *
 * Handlers. A handler is a device-local number for one member's address
 * space (0 is never one). A departed member's handler is never handed to a
 * newcomer while anything may still use it: handlers are allocated round
 * robin over 1..65535, and one still referenced by a vchan stays retired
 * until that vchan lets it go.
 *
 * Errors every call here (and the group calls of idd_dmadev.h) may return
 * besides those listed with it: -ESHUTDOWN once the process has begun to
 * exit (the control thread is gone); -ENOMEM, or the error of
 * epoll_create1(), eventfd() or pthread_create(), when the control thread
 * cannot be started. Each logs one line.
 */

#include <stddef.h>
#include <stdint.h>

#include <idd/idd_common.h>
#include <idd/idd_dmadev.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most members of one group, creator included: a join past it fails
 *  with -ENOSPC. */
#define IDD_DMA_GROUP_MAX_MEMBERS 128

/** Most groups one process is in at once, created and joined together,
 *  whatever the devices and namespaces: a create or join past it fails
 *  with -ENOSPC. Each created group holds a listening socket and one
 *  socket per member, each joined group one socket (see doc/limits.md). */
#define IDD_DMA_GROUP_MAX_PER_PROCESS 1024

/** Group ids of one namespace are 0..IDD_DMA_GROUP_ID_MAX. */
#define IDD_DMA_GROUP_ID_MAX 32767

/** Longest directory name, without the terminating NUL. Names are 1 to this
 *  many printable ASCII characters other than space. */
#define IDD_DMA_GROUP_NAME_MAX 63

/** Most directory entries of one group, all publishers together: a
 *  publish past it fails with -ENOSPC. */
#define IDD_DMA_GROUP_MAX_BUFFERS 256

/** Group events for the extended callback: upstream's two plus MEMBER_JOINED. */
enum idd_dma_group_event {
	/** A member left or died (told to every other member, creator
	 *  included); domain_id is the one that left. */
	IDD_DMA_GROUP_EV_MEMBER_LEFT = IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
	/** The group was destroyed or its creator died (told to each joiner);
	 *  domain_id is the joiner's own. */
	IDD_DMA_GROUP_EV_GROUP_DESTROYED = IDD_DMA_GROUP_EVENT_GROUP_DESTROYED,
	/** A member joined (told to every other member, creator included);
	 *  domain_id is the newcomer's. Its handler is valid from now on. */
	IDD_DMA_GROUP_EV_MEMBER_JOINED,
};

/**
 * Extended event callback.
 *
 * @param dev_id
 *   The device the group was created or joined with.
 * @param group_id
 *   The group.
 * @param domain_id
 *   The member concerned (see enum idd_dma_group_event).
 * @param event
 *   What happened.
 * @param user_data
 *   The pointer given at registration.
 */
typedef void (*idd_dma_group_event_cb_t)(int16_t dev_id, int16_t group_id,
					 const unsigned char domain_id[16],
					 enum idd_dma_group_event event, void *user_data);

/**
 * Register (or replace, or with @p cb NULL remove) the extended event
 * callback of a group on a device. It runs in addition to the callback given
 * to create or join, which keeps receiving upstream's two events.
 *
 * When this function returns after removing or replacing a callback, the
 * old one is not running and will not be called again (unless this is
 * called from that very callback, which then simply finishes).
 *
 * @param dev_id
 *   A device that created or joined the group.
 * @param group_id
 *   The group.
 * @param cb
 *   The callback, or NULL to remove.
 * @param user_data
 *   Passed to @p cb unchanged.
 * @return
 *   0 on success; -ENOENT if the device is not in that group.
 */
int idd_dma_access_pair_group_event_register(int16_t dev_id, int16_t group_id,
					     idd_dma_group_event_cb_t cb, void *user_data);

/** One member of a group, as idd_dma_access_pair_group_members() lists it. */
struct idd_dma_group_member {
	idd_uuid_t domain_id;  /**< The member's domain. */
	uint16_t handler;      /**< Its handler on the querying device. */
	uint8_t is_creator;    /**< 1 for the group's creator. */
	uint8_t is_self;       /**< 1 for the querying device's own domain. */
	int32_t pid;           /**< Process id, as the kernel reported it. */
	uint32_t uid;          /**< User id, as the kernel reported it. */
	uint32_t reserved[3];  /**< Zero. */
};

/**
 * List a group's present members, the caller's own domain included.
 *
 * @param dev_id
 *   A device that created or joined the group.
 * @param group_id
 *   The group.
 * @param[out] members
 *   Filled with up to @p max entries, creator first; may be NULL if @p max
 *   is 0.
 * @param max
 *   Room in @p members.
 * @return
 *   The number of members (which may exceed @p max: then only @p max were
 *   written); -EINVAL if @p members is NULL and @p max is not 0; -ENOENT if
 *   the device is not in that group.
 */
int idd_dma_access_pair_group_members(int16_t dev_id, int16_t group_id,
				      struct idd_dma_group_member *members, unsigned int max);

/**
 * Publish a named buffer in a group's directory, for every member to find.
 * The entry disappears when unpublished or when its publisher leaves.
 * The buffer is normally inside one of the publisher's windows (idd_mem.h),
 * so that peers can reach it; idd does not check that here. Windows made
 * before the call reach every member before the entry does, so a member
 * that finds the entry can copy to or from the buffer at once.
 *
 * @param dev_id
 *   A device in the group.
 * @param group_id
 *   The group.
 * @param name
 *   1..IDD_DMA_GROUP_NAME_MAX printable ASCII characters, no space.
 * @param addr
 *   The buffer's address in the publisher's address space.
 * @param len
 *   Its length, > 0; @p addr + @p len must not wrap around the address
 *   space.
 * @return
 *   0 on success (every member's copy of the directory is being updated,
 *   and the publisher's own lookups see the entry at once);
 *   -EINVAL for a bad name, a NULL address, a zero length or a range that
 *   wraps;
 *   -ENOENT if the device is not in that group;
 *   -EEXIST if the name is taken in that group;
 *   -ENOSPC if the directory holds IDD_DMA_GROUP_MAX_BUFFERS entries.
 */
int idd_dma_group_buffer_publish(int16_t dev_id, int16_t group_id, const char *name,
				 const void *addr, size_t len);

/**
 * Withdraw a buffer that this device's domain published.
 *
 * @param dev_id
 *   The device that published it.
 * @param group_id
 *   The group.
 * @param name
 *   The name it was published under.
 * @return
 *   0 on success; -EINVAL for a bad name; -ENOENT if the device is not in
 *   that group or the name is not published; -EPERM if another member
 *   published it.
 */
int idd_dma_group_buffer_unpublish(int16_t dev_id, int16_t group_id, const char *name);

/** A directory entry, as idd_dma_group_buffer_lookup() returns it. */
struct idd_dma_group_buffer {
	idd_uuid_t domain_id;  /**< The publisher. */
	uint16_t handler;      /**< The publisher's handler on the querying device. */
	uint16_t reserved16;   /**< Zero. */
	uint32_t reserved32;   /**< Zero. */
	idd_iova_t addr;       /**< Address in the publisher's address space. */
	uint64_t len;          /**< Length in bytes. */
};

/**
 * Look a name up in a group's directory, optionally waiting for it.
 *
 * @param dev_id
 *   A device in the group.
 * @param group_id
 *   The group.
 * @param name
 *   The name.
 * @param timeout_ms
 *   0: answer at once; > 0: wait up to that many milliseconds for the name
 *   to appear; -1: wait as long as the group lasts.
 * @param[out] out
 *   The entry.
 * @return
 *   0 on success; -EINVAL for a bad name, a NULL @p out or a timeout below
 *   -1; -ENOENT if the device is not in that group, if the name is not
 *   published (timeout 0), or if the group ended while waiting;
 *   -ETIMEDOUT if the name did not appear in time.
 */
int idd_dma_group_buffer_lookup(int16_t dev_id, int16_t group_id, const char *name,
				int timeout_ms, struct idd_dma_group_buffer *out);

#ifdef __cplusplus
}
#endif

#endif /* IDD_GROUP_H */
