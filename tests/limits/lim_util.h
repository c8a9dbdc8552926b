/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_LIMITS_LIM_UTIL_H
#define IDD_TESTS_LIMITS_LIM_UTIL_H

/*
 * Helpers for the resource-limit tests: a log sink that keeps the lines,
 * so a test can check that a refusal said why; the fd budget; and a raw
 * joiner that speaks the group protocol by hand (a peer that asks for more
 * than idd allows).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "group/auth.h"
#include "group/wire.h"

/* ---- log lines ---- */

/* Keep every idd log line of this process from now on (also printed to
 * stderr, so a failing run shows them). */
void lim_log_capture(void);
/* Lines seen since the last lim_log_reset() that contain @needle. */
unsigned int lim_log_count(const char *needle);
void lim_log_reset(void);

/* ---- file descriptors ---- */

/* Raise the soft RLIMIT_NOFILE to at least @need (up to the hard limit).
 * Returns false if the hard limit is lower. */
bool lim_nofile_at_least(unsigned long need);
/* Open fds of this process (/proc/self/fd). */
unsigned int lim_fd_count(void);
/* The lowest fd number free now: a soft RLIMIT_NOFILE of this value
 * leaves no room for a new fd (as long as none below it is closed). */
unsigned long lim_fd_lowest_free(void);
/* Set the soft RLIMIT_NOFILE; returns the old soft value. */
unsigned long lim_nofile_set(unsigned long soft);

/* ---- a joiner speaking the protocol by hand ---- */

struct raw_peer {
	int fd;
	uint16_t slot;
	int gid;
	unsigned char domain[16];
};

/* Connect to group @gid of our namespace; expect CHALLENGE within 5 s. */
void raw_connect(struct raw_peer *p, int gid);
/* Send @m, with @fd as SCM_RIGHTS when >= 0. Returns 0 or -errno. */
int raw_send(struct raw_peer *p, const struct wire_msg *m, int fd);
/* Send @len raw bytes as one message. */
int raw_send_bytes(struct raw_peer *p, const void *buf, size_t len);
/* Receive and decode one message within @timeout_ms (fds that come along
 * are closed). Returns 1, 0 when the creator closed the link, -ETIMEDOUT,
 * or -EBADMSG. */
int raw_recv(struct raw_peer *p, struct wire_msg *m, int timeout_ms);
/* Read until the creator closes the link: true if it did in @timeout_ms. */
bool raw_closed(struct raw_peer *p, int timeout_ms);
/* Full join as domain @domain_n (test_uuid): CHALLENGE, JOIN, WELCOME,
 * the group's state up to SYNC. Leaves the peer WELCOMED: it may send its
 * windows, then raw_ready(). */
void raw_join(struct raw_peer *p, int gid, const unsigned char token[16], unsigned int domain_n);
/* READY, and wait for ACTIVE. */
void raw_ready(struct raw_peer *p);
void raw_close(struct raw_peer *p);

/* A sealed memfd of @pages pages, page i filled with the byte (i & 0xff)
 * and its first 8 bytes holding @tag + i. */
int lim_memfd(unsigned int pages, uint64_t tag);
/* A WINDOW_ADD from @p: page @i of a lim_memfd() at @base + i * page. */
void raw_window_msg(const struct raw_peer *p, struct wire_msg *m, uint64_t base, unsigned int i);

#endif
