/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_MEM_MEM_LOCAL_H
#define IDD_SRC_MEM_MEM_LOCAL_H

/*
 * This process's windows, for the control plane that offers them to peers:
 * a listing, change events, and an fd to send for each.
 *
 *   mem_local_listen(on_window, ctx);      // replays current windows
 *   ...on_window(ctx, &w, 1): send w and mem_local_export_fd(w.id)
 *   ...on_window(ctx, &w, 0): tell peers to drop w.id
 *
 * Only windows with permissions (perms != 0) are reported: private memory
 * is never offered.
 */

#include <stdint.h>

struct mem_window_desc {
	uint64_t id;      /* unique in the process, never reused */
	uint64_t base;    /* the address peers use */
	uint64_t len;
	uint64_t offset;  /* of base in the fd */
	uint32_t perms;   /* IDD_MEM_PEER_* */
	uint32_t flags;   /* IDD_MEM_WINDOW_* */
};

/*
 * Window events. @added is 1 when the window appeared, 0 when it went.
 * Called on the thread that added or removed the window, after idd's heap
 * and table locks are released, one event at a time and in the order the
 * changes happened. A listener may call idd_mem_* functions (events they
 * cause are delivered after it returns). It may see an "added" twice for
 * one id (once from the replay at mem_local_listen(), once queued), and a
 * "removed" for an id it never saw added: both are to be ignored.
 */
typedef void (*mem_window_listener_t)(void *ctx, const struct mem_window_desc *w, int added);

/* Add a listener (at most 8) and replay the current windows to it as
 * "added", on the calling thread. Returns 0, or -ENOSPC. It waits while
 * another thread delivers events: do not call it holding a lock that a
 * listener takes. */
int mem_local_listen(mem_window_listener_t fn, void *ctx);

/* Deliver every window event queued so far, including those another
 * thread has taken and is delivering: when this returns, the listeners
 * have seen every change that happened before the call (a listener that
 * wants to act on them in order before something else, e.g. announce a
 * window before a message that names an address in it, calls this
 * first). Waits for another thread's delivery; do not call it holding a
 * lock that a listener takes. Inside a listener it returns at once (the
 * changes it makes are delivered after it returns). */
void mem_local_flush(void);

/* Remove a listener; when this returns, it is not running and will not be
 * called again (unless called from the listener itself). */
void mem_local_unlisten(mem_window_listener_t fn, void *ctx);

/* Copy up to @max current windows with permissions to @out; return how
 * many there are. */
unsigned int mem_local_windows(struct mem_window_desc *out, unsigned int max);

/*
 * A new close-on-exec fd for window @id, to send to a peer (SCM_RIGHTS) and
 * close: read-only when the window is IDD_MEM_PEER_READ only. Returns the
 * fd, -ENOENT if the window is gone or private, or -errno.
 */
int mem_local_export_fd(uint64_t id);

#endif
