/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_LIB_AGENT_H
#define IDD_TESTS_LIB_AGENT_H

/*
 * The plumbing of the multi-process test harnesses (tests/group/harness.c,
 * tests/dataplane/dp_harness.c): a test program re-executes itself as an
 * agent (real fork + exec) that reads one command per line on stdin and
 * answers one line on stdout. This file has the parts that do not depend
 * on what the commands are: the private runtime directory, namespaces,
 * starting an agent, writing a command line, reading an answer line with a
 * bound on the wait, and reaping. Each harness keeps its own struct and
 * public functions on top of these.
 *
 * Failures of the plumbing itself (pipe, fork, a short write) end the test
 * program: they are no behaviour of idd's to test.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Resolve this program's path for agent_start() and give the process a
 * private runtime directory: mkdtemp(@tmpl) (e.g. "/tmp/idd-x-XXXXXX",
 * modified in place), IDD_RUNTIME_DIR set to its "run" subdirectory and
 * IDD_ABSTRACT_SOCKETS unset. With @remove_at_exit, the directory and what
 * is left in it go at exit. Returns the runtime directory. */
const char *agent_runtime_init(char *tmpl, bool remove_at_exit);

/* This program's path as agent_runtime_init() resolved it, for a harness
 * that execs its agents with arguments of its own. */
const char *agent_self_exe(void);

/* A fresh namespace "<@prefix><pid>-<n>" in IDD_NAMESPACE, inherited by
 * agents started afterwards. Returns its name (static storage). */
const char *agent_new_ns(const char *prefix);

/* Fork and exec this program as "<@argv0> agent", its stdin and stdout on
 * pipes: *@to takes commands, *@from gives answers. Returns its pid. */
pid_t agent_start(const char *argv0, int *to, int *from);

/* Write @line and a newline to @to. */
void agent_write_line(int to, const char *line);

/* Wait, at most @timeout_ms for each read, until @buf (@cap bytes, @len of
 * them already read from @from) holds a whole line, and NUL-terminate it:
 * the line is then at @buf. Returns 0, or -1 (and says so on stderr with
 * @pid) when the agent closed its end or stayed silent. */
int agent_line_wait(pid_t pid, int from, char *buf, size_t cap, size_t *len, int timeout_ms);

/* Drop the line agent_line_wait() left at the front of @buf. */
void agent_line_drop(char *buf, size_t *len);

/* Close both pipes and reap @pid: returns its exit status, 128 + the
 * signal if a signal ended it. */
int agent_reap(pid_t pid, int to, int from);

/* SIGKILL @pid, reap it, close both pipes. */
void agent_kill_reap(pid_t pid, int to, int from);

#endif
