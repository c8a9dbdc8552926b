/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_FABRIC_FAB_TEST_H
#define IDD_TESTS_FABRIC_FAB_TEST_H

/*
 * Helpers of the fabric driver's tests: real processes (fork) that talk
 * over TCP and libfabric, a shared page (the "board") on which they post
 * what a real application would pass out of band (group id, token, domain
 * ids, buffer addresses) and their progress, and checks that fail loudly.
 * Only the public API is used by the roles.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <idd/idd_dmadev.h>
#include <idd/idd_group.h>
#include <idd/idd_mem.h>

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "[%d] %s:%d: check failed: %s\n", (int)getpid(),   \
				__FILE__, __LINE__, #cond);                                \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

#define FT_MAX_HOSTS 4
#define FT_WIN (4u << 20)

struct ft_host {
	uint8_t domain[16];
	_Atomic uint64_t win;         /* its window (IDD_MEM_PEER_RW), 0 until made */
	_Atomic int phase;            /* how far its role got (role-defined) */
	_Atomic uint64_t progress;    /* operations completed in a long transfer */
	_Atomic int left_seen;        /* MEMBER_LEFT events received */
	_Atomic int destroyed_seen;   /* GROUP_DESTROYED events received */
	_Atomic int joined_seen;      /* MEMBER_JOINED (extended callback) */
	_Atomic int ext_left_seen;    /* MEMBER_LEFT (extended callback) */
	_Atomic int err_status;       /* an error status seen in a long transfer */
	_Atomic int result;           /* 1 ok, -1 failed (set by the role at exit) */
};

struct ft_board {
	_Atomic int16_t group_id;
	_Atomic int ready;            /* the group exists */
	uint8_t token[16];
	char port[16];                /* the creator's port (loopback tests) */
	_Atomic int step;             /* the conductor's step, roles wait for it */
	struct ft_host h[FT_MAX_HOSTS];
};

/* The board, shared by every process forked after ft_board_new(). */
struct ft_board *ft_board_new(void);

/* Wait (up to @ms) until *@v >= @want; false on timeout. */
bool ft_wait_int(_Atomic int *v, int want, int ms);
bool ft_wait_u64(_Atomic uint64_t *v, uint64_t want, int ms);
void ft_sleep_ms(int ms);

/* Fork a child that runs @fn (which ends it with exit()) under an alarm of
 * @alarm_s seconds, so that a stuck role dies instead of hanging the test.
 * Returns the child's pid. */
pid_t ft_spawn(void (*fn)(void), unsigned int alarm_s);

/* Record upstream events into @self (this process's host record). */
void ft_events_to(struct ft_host *self);
void ft_event_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
		 enum idd_dma_access_pair_group_event_type event);

/* Extended callback (idd_dma_access_pair_group_event_register); the user
 * pointer is the host record to count into. */
void ft_ext_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
	       enum idd_dma_group_event event, void *user_data);

/* The handler of @domain in @group, waiting up to 10 s for it to appear. */
uint16_t ft_handler(int16_t dev, int16_t group, const uint8_t domain[16]);

/* A fabric device listening on 127.0.0.1 at a free port, tried at random
 * among 20000..59999 (another program may hold one); @extra is appended
 * to its arguments. Returns the device; *port receives the port. */
int16_t ft_listen_dev(const char *name, const char *extra, unsigned int *port);

/* Configure @dev with one vchan per (src, dst) pair and start it. */
void ft_start(int16_t dev, unsigned int n, const uint16_t *src, const uint16_t *dst);

/* One operation, waited for (10 s at most); returns its status. kind: 'c'
 * copy, 'f' fill (src is the pattern). */
int ft_op(int16_t dev, uint16_t vchan, char kind, uint64_t src, uint64_t dst, uint32_t len);

/* Fill @p with a pattern seeded by @seed / check it. */
void ft_pattern(uint8_t *p, size_t len, uint32_t seed);
bool ft_pattern_ok(const uint8_t *p, size_t len, uint32_t seed);

/* Stream 256 KiB copies from local @src into a peer's window at @dst
 * (FT_WIN bytes), up to 32 in flight, counting into self->progress, until
 * the peer is gone (its link cut or its process killed by the conductor):
 * ends the test unless some copies then failed, all collected, with
 * DEV_LINK_ERROR or INVALID_DST_ADDR (once the peer's windows are dropped). */
void ft_stream_until_gone(int16_t dev, uint16_t vchan, uint64_t src, uint64_t dst,
			  struct ft_host *self);

/* The end of a role that passed: stop @dev, destroy group @destroy_gid
 * (the creator's; -1: none), close @dev, free @win (from idd_mem_alloc())
 * and @buf (malloc), mark self->result and exit(0). */
void ft_role_done(int16_t dev, int16_t destroy_gid, void *win, void *buf,
		  struct ft_host *self) __attribute__((noreturn));

/* Wait for child @pid to end and take it off the hosts' list (if it was
 * on it): its wait status / whether it exited with 0. */
int ft_reap(pid_t pid);
bool ft_exited_ok(pid_t pid);

/* Hosts as network namespaces (tools/common/netns_hosts.h), for the tests
 * that need more than one. */

/* The conductor's hosts_own(), with SIGINT and SIGTERM at their defaults
 * first, whatever the process inherited: a stop signal ends the test, its
 * roles included, by that signal, once the hosts are removed. */
void ft_hosts_own(void);

/* End the test if setting up hosts failed (@ret from netns_hosts.h): skip
 * (exit 77, saying why) where namespaces cannot be made at all, fail (exit
 * 1, naming the step) otherwise. */
void ft_hosts_ok(int ret);

/* Move this host process into namespace @ns, or end it (exit 1). */
void ft_enter(const char *ns);

/* ft_spawn() with the child listed for hosts_end(), which kills it if the
 * conductor ends first. */
pid_t ft_spawn_host(void (*fn)(void), unsigned int alarm_s);

#endif
