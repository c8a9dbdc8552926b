/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TOOLS_PERF_PEERS_H
#define IDD_TOOLS_PERF_PEERS_H

/*
 * Peer processes: idd-perf re-executes itself (posix_spawn of its own
 * binary, as readlink of /proc/self/exe names it, with PERF_PEER_ARG and
 * its own pid) so that every peer starts with a clean library. A peer creates an inline sw device,
 * allocates one window (peers may read and write it) and waits for
 * commands on its stdin, answering one line each on its stdout:
 *
 *   hello INDEX WINDOW TOKEN DOMAIN -> ready ADDR   (always the first line)
 *   join GID     join the group, publish "peer<INDEX>" (its window) in
 *                the group's directory                 -> ok | err -ERRNO
 *   leave GID                                          -> ok | err -ERRNO
 *   joinloop GID N   N cycles of join (timed) and leave
 *                                     -> ok N, then N lines of nanoseconds
 *   exit, or end of input: the peer exits.
 *
 * Every peer dies with idd-perf: it asks the kernel for SIGKILL when its
 * parent dies (PR_SET_PDEATHSIG), idd-perf stops and reaps its peers on
 * every normal exit path, and its SIGINT/SIGTERM/SIGHUP handler kills them
 * at once.
 */

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PERF_PEER_ARG "--peer-process"

struct perf_peer {
	pid_t pid;             /* 0: not running */
	FILE *to, *from;
	unsigned int index;
	uint64_t window;       /* bytes of its window (0: none) */
	uint64_t window_addr;  /* its address, in the peer */
	unsigned char dom[16]; /* its domain id */
	int status;            /* wait status, once stopped */
};

/* The signal that asked idd-perf to stop (0: none). Long loops check it.
 * Atomic, not just volatile: idd's threads do not block the stop signals,
 * so handlers may run on two threads at once. */
extern _Atomic int perf_stop_signal;

/* Handlers for SIGINT, SIGTERM and SIGHUP (kill every peer, set
 * perf_stop_signal to the first such signal; a repeated one does the
 * same again), SIGPIPE ignored. */
void perf_peers_install_signals(void);

/* The domain id of peer @index, derived from idd-perf's own @base. */
void perf_peer_dom(const unsigned char base[16], unsigned int index, unsigned char out[16]);

/* Start a peer and wait until its window exists. 0 or -errno (printed). */
int perf_peer_start(struct perf_peer *p, unsigned int index, uint64_t window,
		    const unsigned char token[16], const unsigned char base_dom[16]);

/* Send a command line (no newline). 0 or -EPIPE. */
int perf_peer_send(struct perf_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read the answer line to @line: 0 for "ok ...", the error for "err N",
 * -EPIPE if the peer died or said something else. */
int perf_peer_wait(struct perf_peer *p, char *line, size_t len);

/* Read one more line of an answer (joinloop's numbers). 0 or -EPIPE. */
int perf_peer_read_line(struct perf_peer *p, char *line, size_t len);

/* The two halves of perf_peer_start(), to start many peers at once:
 * fork, exec and greet; then wait for its window. On failure each stops
 * the peer itself. */
int perf_peer_spawn(struct perf_peer *p, unsigned int index, uint64_t window,
		    const unsigned char token[16], const unsigned char base_dom[16]);
int perf_peer_ready(struct perf_peer *p);

/* Tell the peer to exit without waiting (perf_peer_stop() reaps it). */
void perf_peer_ask_exit(struct perf_peer *p);

/* Tell the peer to exit, reap it (SIGKILL after two seconds). */
void perf_peer_stop(struct perf_peer *p);

/* SIGKILL and reap every peer still running (any exit path). */
void perf_peers_kill_all(void);

/* The peer's main(), in the re-executed child; @parent is idd-perf's pid
 * as its command line says. */
int perf_peer_main(const char *parent);

#endif
