/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_COMMON_NETNS_HOSTS_H
#define IDD_TOOLS_COMMON_NETNS_HOSTS_H

/*
 * "Hosts" on one machine: network namespaces made with ip(8), joined by
 * veth pairs, and the processes that play the hosts. idd-perf's fabric case
 * and the fabric tests (tests/fabric) use it to run the inter-OS driver
 * between two or more "OS instances" without a second machine.
 *
 * One process, the owner (hosts_own()), makes the namespaces and forks the
 * host processes; it alone removes them. hosts_end() kills and reaps the
 * host processes still listed and deletes every namespace still made (the
 * veth devices in them go with them). It runs at the owner's exit and on
 * SIGINT, SIGTERM, SIGHUP and SIGALRM, so that nothing is left behind
 * whatever way the owner ends, short of SIGKILL.
 *
 * Signals: hosts_own() puts its hook in front of what the program had for
 * those signals. The hook removes the hosts, puts the program's own
 * disposition back and raises the signal again: a program without a handler
 * dies of it as before (a test), one with a handler gets it as before
 * (idd-perf stops its run and says so). A signal the program ignores is
 * left alone. In any other process (a host process forked by the owner)
 * the hook removes nothing. A program installs its own handlers first: one
 * installed after hosts_own() replaces the hook.
 *
 * Names are "<prefix>-<owner's pid>-<tag>" (hosts_name()): unique among
 * the processes that run at the same time, so parallel tests and idd-perf
 * do not clash.
 *
 * Errors: every call that can fail returns 0 or a negative errno and leaves
 * one line saying what failed and why in hosts_error(): the command and
 * what ip(8) printed. -ENOTSUP means "no namespaces here at all" (the first
 * namespace of this process could not be made: not root, no ip(8), no
 * network namespace support); the reason says which, for the caller's skip
 * or fall-back message. -EINTR: a signal already removed the hosts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest namespace name, with its NUL. */
#define HOSTS_NAME_MAX 32

/* Become the owner: hosts_end() at exit and the signal hooks (see above).
 * Calling it again, e.g. for each run of a benchmark case, is harmless; a
 * process forked from an owner that calls it starts with nothing listed. */
void hosts_own(void);

/* Kill and reap the listed host processes, delete the namespaces made.
 * Does nothing in any process but the owner; async-signal-safe. */
void hosts_end(void);

/* "<prefix>-<owner's pid>-<tag>" into @out (HOSTS_NAME_MAX bytes). */
void hosts_name(char *out, const char *prefix, const char *tag);

/* Make namespace @name, listed for hosts_end(), with its loopback up. */
int hosts_add(const char *name);

/* Delete namespace @name now (one that hosts_add() made). */
void hosts_del(const char *name);

/* In namespace @ns, give eth0 address @ip/24 and bring it up. */
int hosts_eth0_up(const char *ns, const char *ip);

/* Run a shell command (printf-style); 0 if it exits with 0. Its output
 * goes to hosts_error() when it fails. */
int hosts_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Move the calling process into namespace @name (setns): 0 or -errno
 * (-ENOENT: not one the owner made). For host processes, forked by the
 * owner after it made @name. */
int hosts_enter(const char *name);

/* List host process @pid for hosts_end() / take it off (it was reaped). */
int hosts_proc_add(pid_t pid);
void hosts_proc_gone(pid_t pid);

/* What the last failed call failed at, one line. */
const char *hosts_error(void);

/* Two hosts, a and b, on one veth pair: namespaces hosts_name(@prefix,
 * "a") and (..., "b"), each with eth0 at @net.1 and @net.2 (@net is three
 * octets, "10.212.0") and lo up. On failure nothing of the pair is left. */
struct hosts_pair {
	char ns[2][HOSTS_NAME_MAX];
	char ip[2][16];
};

int hosts_pair_up(struct hosts_pair *p, const char *prefix, const char *net);
void hosts_pair_down(struct hosts_pair *p);

#endif
