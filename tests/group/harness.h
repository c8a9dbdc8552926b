/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_GROUP_HARNESS_H
#define IDD_TESTS_GROUP_HARNESS_H

/*
 * Multi-process test harness. A test program re-executes itself as an
 * "agent" (real fork + exec, no mocks): the agent reads one command per
 * line on stdin, runs it against the group API, and answers one line
 * "ret <code> [values...]" on stdout. Events reach the agent's callbacks
 * and are kept with their CLOCK_MONOTONIC time (system-wide, so the parent
 * can compare it with the moment it killed a process).
 *
 * harness_init() gives the program a private runtime directory (mkdtemp)
 * and every test its own namespace, which agents inherit.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <idd/idd_group.h>

#include "../lib/clock.h" /* mono_us(), for the timeouts of the tests */

/* Call first from main(). Returns -1 if this process is the parent (go on
 * with the tests), else the agent's exit status (return it from main). */
int harness_main(int argc, char **argv);

/* A fresh namespace for the next test (IDD_NAMESPACE), inherited by agents
 * spawned afterwards. Returns its name. */
const char *harness_new_ns(void);
const char *harness_runtime_dir(void);

/* Tests run with harness_unit_test() keep the parent's device ids below this. */
#define HARNESS_NB_DEVS 20

/* cmocka setup for a test that the parent runs against groups: a fresh
 * namespace (so no test meets another's groups) and an empty event log
 * (so events_wait() sees only this test's events). */
int harness_test_setup(void **state);
/* cmocka teardown to go with it: closes the parent's devices 0 to
 * HARNESS_NB_DEVS - 1, so that each leaves or ends whatever group it is
 * still in (a failed test leaves none behind) and the next test's devices
 * take its new namespace (a device keeps the one it first used). */
int harness_test_teardown(void **state);
/* A cmocka test run between the two. */
#define harness_unit_test(f)                                                                       \
	cmocka_unit_test_setup_teardown(f, harness_test_setup, harness_test_teardown)

struct agent {
	pid_t pid;
	int to;     /* commands */
	int from;   /* answers */
	char buf[4096];
	size_t len;
};

void agent_spawn(struct agent *a);
/* Send a command (printf format) without waiting for the answer. */
void agent_send(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read the next answer line into @line; returns its code. */
int agent_reply(struct agent *a, char *line, size_t cap);
/* Send and wait: returns the code; extra values are in @line if given. */
int agent_cmd(struct agent *a, char *line, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Ask the agent to exit, reap it; returns its exit status. */
int agent_exit(struct agent *a);
/* SIGKILL it and reap it. Returns the CLOCK_MONOTONIC µs just before. */
uint64_t agent_kill(struct agent *a);

/* Domains and tokens from small numbers, as hex for commands. */
void test_uuid(unsigned int n, unsigned char out[16]);
void uuid_hex(const unsigned char u[16], char out[33]);
/* Both at once: @u from @n, and @u as hex. */
void test_uuid_hex(unsigned int n, unsigned char u[16], char hex[33]);

/* The end of a child forked from a test process: exec /bin/true (or
 * /bin/false when @failed), not _exit(). A child forked while the control
 * thread held a fresh allocation only in its registers inherits the block
 * with no thread to own it; valgrind, following children, would report it
 * as lost at _exit, whereas an exec ends the image unchecked. */
void harness_child_exit(bool failed) __attribute__((noreturn));

/* Event log of this process (the parent uses it too). */
void events_record(int16_t dev_id, int16_t group_id, const unsigned char domain[16], int ev);
/* Upstream callback that records. */
void events_upstream_cb(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
			enum idd_dma_access_pair_group_event_type event);
/* Extended callback that records MEMBER_JOINED only (upstream's two are
 * recorded by events_upstream_cb). */
void events_ext_cb(int16_t dev_id, int16_t group_id, const unsigned char domain_id[16],
		   enum idd_dma_group_event event, void *user_data);
/* Wait for (and consume) an event of type @ev about @domain (NULL: any) on
 * @group_id (-1: any). Returns its time in µs, or 0 on timeout. */
uint64_t events_wait(int ev, const unsigned char *domain, int group_id, int timeout_ms);
void events_clear(void);

/* Read 8 bytes at @addr of member @domain's address space through the
 * window table its handler names on @dev (what an engine does). Returns 0,
 * -ENOENT (no such member), or -EFAULT (no window holds the address). */
int peek_u64(int16_t dev, int16_t gid, const unsigned char domain[16], uint64_t addr,
	     uint64_t *val);
/* Poll peek_u64 until it returns @want (0 or an error), or timeout. */
int peek_wait(int16_t dev, int16_t gid, const unsigned char domain[16], uint64_t addr, int want,
	      uint64_t *val, int timeout_ms);

/* Poll until the device sees @n members in the group (or timeout). */
int wait_members(int16_t dev, int16_t gid, int n, int timeout_ms);

#endif
