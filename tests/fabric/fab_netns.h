/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_FABRIC_FAB_NETNS_H
#define IDD_TESTS_FABRIC_FAB_NETNS_H

/*
 * The "hosts" of a multi-host fabric test: network namespaces made with
 * ip(8), and the child processes that play the hosts. The process that
 * calls ft_netns_begin() (the conductor) owns them: ft_netns_end(), which
 * also runs at its exit and on SIGINT, SIGTERM and SIGALRM, kills the
 * children and deletes the namespaces, so that nothing is left behind
 * whatever way the test ends.
 */

#include <stdbool.h>
#include <sys/types.h>

/* Become the conductor: install the exit and signal hooks. */
void ft_netns_begin(void);

/* Kill the children still listed, reap them, delete the namespaces made.
 * Does nothing in any process but the conductor. */
void ft_netns_end(void);

/* system(@cmd): its exit status, or -1. */
int ft_run(const char *cmd);

/* Run the printf-style command or end the test (exit 1) naming it. */
void ft_must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Make namespace @name and remember it for ft_netns_end(). The first one a
 * test makes may fail where namespaces cannot be made (not root, no
 * CAP_NET_ADMIN, no ip(8)): the test is then skipped (exit 77, with a line
 * that says why). Later failures end it (exit 1). */
void ft_netns_add(const char *name);

/* Move this process into namespace @name (setns); ends it (exit 1) if
 * that fails. For the host processes. */
void ft_netns_enter(const char *name);

/* List child @pid for ft_netns_end() / take it off (it was reaped). */
void ft_kid_add(pid_t pid);
void ft_kid_gone(pid_t pid);

#endif
