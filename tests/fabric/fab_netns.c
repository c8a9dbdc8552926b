/* SPDX-License-Identifier: BSD-3-Clause */
/* Namespaces and host processes of a multi-host test (fab_netns.h). */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fab_netns.h"

#define MAX_NS 8
#define MAX_KIDS 16

static pid_t conductor;
static char ns[MAX_NS][32];
static unsigned int nb_ns;
static pid_t kids[MAX_KIDS];

int
ft_run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
ft_must(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (ft_run(cmd) != 0) {
		fprintf(stderr, "setup failed: %s\n", cmd);
		exit(1);
	}
}

void
ft_netns_end(void)
{
	char cmd[128];

	if (conductor == 0 || getpid() != conductor)
		return;
	for (unsigned int i = 0; i < MAX_KIDS; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	memset(kids, 0, sizeof(kids));
	while (nb_ns > 0) {
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns[--nb_ns]);
		ft_run(cmd);
	}
}

static void
on_signal(int sig)
{
	ft_netns_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
ft_netns_begin(void)
{
	conductor = getpid();
	atexit(ft_netns_end);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
}

void
ft_netns_add(const char *name)
{
	char cmd[128];

	if (nb_ns == MAX_NS || strlen(name) >= sizeof(ns[0])) {
		fprintf(stderr, "setup failed: namespace %s: too many or too long a name\n", name);
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "ip netns add %s 2>/dev/null", name);
	if (ft_run(cmd) != 0) {
		if (nb_ns == 0) {
			printf("SKIP: cannot create network namespaces (needs root or "
			       "CAP_NET_ADMIN and ip(8) from iproute2)\n");
			exit(77);
		}
		fprintf(stderr, "setup failed: ip netns add %s\n", name);
		exit(1);
	}
	snprintf(ns[nb_ns++], sizeof(ns[0]), "%s", name);
}

void
ft_netns_enter(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "host %d: cannot enter namespace %s\n", (int)getpid(), name);
		exit(1);
	}
	close(fd);
}

void
ft_kid_add(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_KIDS; i++)
		if (kids[i] <= 0) {
			kids[i] = pid;
			return;
		}
	fprintf(stderr, "setup failed: more than %d host processes\n", MAX_KIDS);
	exit(1);
}

void
ft_kid_gone(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_KIDS; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}
