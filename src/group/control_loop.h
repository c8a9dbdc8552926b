/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_CONTROL_LOOP_H
#define IDD_SRC_GROUP_CONTROL_LOOP_H

/*
 * What the loop in control.c calls in the other files of src/group/. Not for
 * use outside the control thread.
 */

#include <stdint.h>

struct conn;

/* conn.c: handle epoll @events on @c. */
void conn_io(struct conn *c, uint32_t events);
/* conn.c: close the connections marked broken (with their on_close). */
void conn_close_broken(void);
/* conn.c: free the connections closed during this pass. */
void conn_reap(void);
/* conn.c: forked child: close every connection's fd, drop the list. */
void conn_forget_all(void);
/* control.c: the epoll instance connections register with. */
int ctl_epoll_fd(void);

/* windows.c: stop hearing of our windows (exit). */
void win_listen_stop(void);
/* windows.c: make the memory layer hand over every change of our windows
 * made so far (by any thread), to be sent before the request that follows.
 * No lock held. */
void win_flush(void);
/* windows.c: send the window changes handed over so far, in order
 * (control thread, ctl_lock held). Runs before every request, so that
 * nothing a request sends overtakes them. */
void win_apply_pending(void);

/* group.c: close every group of this process (exit). */
void group_shutdown_all(void);
/* group.c: forked child: drop the parent's groups without touching their
 * sockets' names. */
void group_forget_all(void);

#endif
