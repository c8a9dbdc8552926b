/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_LIB_SOCKMSG_H
#define IDD_TESTS_LIB_SOCKMSG_H

/*
 * One message on a Unix seqpacket socket, with file descriptors riding
 * along (SCM_RIGHTS): what the tests that speak the group wire protocol by
 * hand (hostile peers, protocol and limits tests) send and receive.
 */

#include <stddef.h>
#include <sys/types.h>

/* Send @len bytes of @buf on @sock as one message, with @pass_fd attached
 * unless it is negative; no SIGPIPE. Returns what sendmsg() returns. */
ssize_t sockmsg_send(int sock, const void *buf, size_t len, int pass_fd);

/* Wait at most @timeout_ms for @sock to be readable, then take one message
 * (at most @cap bytes) into @buf without blocking. Of the descriptors that
 * came with it, the first goes to *@rfd (-1 when none came) and the others
 * are closed; with @rfd NULL all are closed. Returns the message's length,
 * 0 when the peer closed, -ETIMEDOUT, or -errno of recvmsg() (a reset
 * connection is -ECONNRESET). */
ssize_t sockmsg_recv(int sock, void *buf, size_t cap, int *rfd, int timeout_ms);

#endif
