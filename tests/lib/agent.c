/* SPDX-License-Identifier: BSD-3-Clause */
/* Agent process plumbing shared by the multi-process harnesses: see agent.h. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static char self_exe[4096];
static char run_dir[300], tmp_dir[300];
static char ns_name[64];
static unsigned int ns_counter;

/* Leave nothing behind in /tmp: the runtime directory is ours alone, and
 * once the test is over what is left there (namespace lock files) is
 * garbage. Best effort; agents never run this (they exec, not return). */
static void
remove_dirs(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(run_dir);
	rmdir(tmp_dir);
}

const char *
agent_runtime_init(char *tmpl, bool remove_at_exit)
{
	/* Resolved now, not at exec time: under valgrind, /proc/self/exe
	 * itself names the tool, while readlink() is answered for the
	 * program. */
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	if (n <= 0) {
		perror("readlink");
		exit(1);
	}
	self_exe[n] = '\0';
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", tmpl);
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmpl);
	setenv("IDD_RUNTIME_DIR", run_dir, 1);
	unsetenv("IDD_ABSTRACT_SOCKETS");
	if (remove_at_exit)
		atexit(remove_dirs);
	return run_dir;
}

const char *
agent_self_exe(void)
{
	return self_exe;
}

const char *
agent_new_ns(const char *prefix)
{
	snprintf(ns_name, sizeof(ns_name), "%s%d-%u", prefix, (int)getpid(), ns_counter++);
	setenv("IDD_NAMESPACE", ns_name, 1);
	return ns_name;
}

pid_t
agent_start(const char *argv0, int *to, int *from)
{
	int cmd[2], ans[2];
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(ans, O_CLOEXEC) != 0) {
		perror("pipe2");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(cmd[0], 0);
		dup2(ans[1], 1);
		execl(self_exe, argv0, "agent", (char *)NULL);
		_exit(127);
	}
	close(cmd[0]);
	close(ans[1]);
	*to = cmd[1];
	*from = ans[0];
	return pid;
}

void
agent_write_line(int to, const char *line)
{
	size_t len = strlen(line);
	struct iovec iov[2] = {{.iov_base = (void *)line, .iov_len = len},
			       {.iov_base = (void *)"\n", .iov_len = 1}};

	if (writev(to, iov, 2) != (ssize_t)(len + 1)) {
		perror("write to agent");
		exit(1);
	}
}

int
agent_line_wait(pid_t pid, int from, char *buf, size_t cap, size_t *len, int timeout_ms)
{
	char *nl;

	while ((nl = memchr(buf, '\n', *len)) == NULL) {
		struct pollfd p = {.fd = from, .events = POLLIN};
		ssize_t n = -1;

		/* Bounded, so that a dead or stuck agent fails the test
		 * instead of hanging it. */
		if (poll(&p, 1, timeout_ms) == 1)
			n = read(from, buf + *len, cap - 1 - *len);
		if (n <= 0) {
			fprintf(stderr, "agent %d: no answer\n", (int)pid);
			return -1;
		}
		*len += (size_t)n;
	}
	*nl = '\0';
	return 0;
}

void
agent_line_drop(char *buf, size_t *len)
{
	size_t used = strlen(buf) + 1;

	*len -= used;
	memmove(buf, buf + used, *len);
}

int
agent_reap(pid_t pid, int to, int from)
{
	int status = 0;

	close(to);
	close(from);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void
agent_kill_reap(pid_t pid, int to, int from)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(to);
	close(from);
}
