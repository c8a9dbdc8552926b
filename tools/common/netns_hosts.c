/* SPDX-License-Identifier: BSD-3-Clause */
/* Network namespaces as hosts, and their clean-up (netns_hosts.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_hosts.h"

/* Where ip(8) keeps a named namespace: a bind mount of its nsfs file
 * (iproute2's NETNS_RUN_DIR). */
#define NETNS_DIR "/var/run/netns/"
#define MAX_NS 8
#define MAX_PROCS 16

struct made_ns {
	char name[HOSTS_NAME_MAX];
	char path[sizeof(NETNS_DIR) + HOSTS_NAME_MAX];
};

/* The lists change only with the stop signals blocked (stops_block()), so
 * that the hook never sees half an entry. */
static pid_t owner;
static struct made_ns made[MAX_NS];
static unsigned int nb_made;
static pid_t procs[MAX_PROCS];
static volatile sig_atomic_t stopped_by; /* the signal that ended the hosts */
static char last_error[320];

static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM};
#define NB_STOP_SIGS (sizeof(stop_sigs) / sizeof(stop_sigs[0]))
static struct sigaction prior[NB_STOP_SIGS]; /* what the program had */

static void __attribute__((format(printf, 1, 2)))
set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *
hosts_error(void)
{
	return last_error;
}

static void
stops_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NB_STOP_SIGS; i++)
		sigaddset(&set, stop_sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
stops_unblock(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* What `ip netns del` does, in calls a signal handler may make: detach
 * the bind mount and remove its file. The namespace, and the veth ends in
 * it, go once no process is left inside. */
static void
delete_ns(const struct made_ns *m)
{
	umount2(m->path, MNT_DETACH);
	unlink(m->path);
}

void
hosts_end(void)
{
	if (owner == 0 || getpid() != owner)
		return;
	for (unsigned int i = 0; i < MAX_PROCS; i++)
		if (procs[i] > 0)
			kill(procs[i], SIGKILL);
	for (unsigned int i = 0; i < MAX_PROCS; i++) {
		while (procs[i] > 0 && waitpid(procs[i], NULL, 0) < 0 && errno == EINTR)
			;
		procs[i] = 0;
	}
	while (nb_made > 0)
		delete_ns(&made[--nb_made]);
}

static void
on_stop(int sig)
{
	int saved_errno = errno;

	if (owner != 0 && getpid() == owner) {
		stopped_by = sig;
		hosts_end();
	}
	/* The program's own disposition back, and the signal again: it is
	 * delivered as it would have been without us once this returns (it is
	 * blocked until then). */
	for (size_t i = 0; i < NB_STOP_SIGS; i++)
		if (stop_sigs[i] == sig)
			sigaction(sig, &prior[i], NULL);
	raise(sig);
	errno = saved_errno;
}

void
hosts_own(void)
{
	static bool at_exit;
	struct sigaction sa;

	if (owner != getpid()) {
		/* A new owner, perhaps forked from another: what it inherited
		 * is its parent's to remove, not its own. */
		owner = getpid();
		nb_made = 0;
		memset(procs, 0, sizeof(procs));
		stopped_by = 0;
	}
	if (!at_exit) {
		atexit(hosts_end); /* inherited by a forked owner: once is enough */
		at_exit = true;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	/* One clean-up at a time: the other stop signals wait for it. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NB_STOP_SIGS; i++)
		sigaddset(&sa.sa_mask, stop_sigs[i]);
	for (size_t i = 0; i < NB_STOP_SIGS; i++) {
		struct sigaction now;

		/* Ours already (hosts_own() again, or inherited from an owner
		 * that forked us): what it saved is still the program's. An
		 * ignored signal (SIGHUP under nohup) stays ignored: it ends
		 * nothing, so it must not end the hosts either. */
		sigaction(stop_sigs[i], NULL, &now);
		if (now.sa_handler == on_stop || now.sa_handler == SIG_IGN)
			continue;
		prior[i] = now;
		/* Restart system calls exactly when the program's handler did:
		 * idd-perf relies on a read of a host's pipe failing with EINTR. */
		sa.sa_flags = now.sa_flags & SA_RESTART;
		sigaction(stop_sigs[i], &sa, NULL);
	}
}

void
hosts_name(char *out, const char *prefix, const char *tag)
{
	snprintf(out, HOSTS_NAME_MAX, "%s-%u-%s", prefix,
		 (unsigned int)(owner != 0 ? owner : getpid()), tag);
}

/* Run @cmd with its output (both streams) read into last_error: its exit
 * status, or -1 if it could not run or died of a signal. */
static int
run(const char *cmd)
{
	char line[256], first[256] = "";
	char shell_cmd[400];
	FILE *f;
	int st;

	snprintf(shell_cmd, sizeof(shell_cmd), "exec 2>&1; %s", cmd);
	f = popen(shell_cmd, "r");
	if (f == NULL) {
		set_error("%s: %s", cmd, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", line);
	st = pclose(f);
	first[strcspn(first, "\n")] = '\0';
	if (st == -1 || !WIFEXITED(st)) {
		set_error("%s: did not finish", cmd);
		return -1;
	}
	if (WEXITSTATUS(st) != 0)
		set_error("%s: %s", cmd, first[0] != '\0' ? first : "failed");
	return WEXITSTATUS(st);
}

static int
check_stopped(void)
{
	if (stopped_by == 0)
		return 0;
	set_error("stopped by signal %d; the hosts are gone", (int)stopped_by);
	return -EINTR;
}

int
hosts_cmd(const char *fmt, ...)
{
	char cmd[320];
	sigset_t old;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (check_stopped() != 0)
		return -EINTR;
	stops_block(&old);
	st = run(cmd);
	stops_unblock(&old);
	return st == 0 ? 0 : -EIO;
}

int
hosts_add(const char *name)
{
	char cmd[64 + HOSTS_NAME_MAX];
	sigset_t old;
	int st;

	if (check_stopped() != 0)
		return -EINTR;
	if (nb_made == MAX_NS || strlen(name) >= HOSTS_NAME_MAX) {
		set_error("namespace %s: more than %d namespaces or a name of %d bytes or more",
			  name, MAX_NS, HOSTS_NAME_MAX);
		return -ENOSPC;
	}
	snprintf(cmd, sizeof(cmd), "ip netns add %s", name);
	/* Made and listed with no signal in between: the hook then finds
	 * either no namespace or a listed one. */
	stops_block(&old);
	st = run(cmd);
	if (st == 0) {
		struct made_ns *m = &made[nb_made];

		snprintf(m->name, sizeof(m->name), "%s", name);
		snprintf(m->path, sizeof(m->path), NETNS_DIR "%s", name);
		nb_made++;
	}
	stops_unblock(&old);
	/* A stop signal taken by another thread of the program while this
	 * one had them blocked: its hook may have missed this namespace. */
	if (stopped_by != 0) {
		hosts_end();
		return check_stopped();
	}
	if (st != 0 && nb_made == 0) {
		/* The first one: namespaces cannot be made here at all. */
		if (st == 127)
			set_error("no ip(8): install iproute2");
		else if (geteuid() != 0)
			set_error("needs root");
		return -ENOTSUP;
	}
	if (st != 0)
		return -EIO;
	return hosts_cmd("ip -n %s link set lo up", name);
}

/* The entry of namespace @name, or NULL if this process did not make it. */
static struct made_ns *
find_made(const char *name)
{
	for (unsigned int i = 0; i < nb_made; i++)
		if (strcmp(made[i].name, name) == 0)
			return &made[i];
	return NULL;
}

void
hosts_del(const char *name)
{
	struct made_ns *m;
	sigset_t old;

	stops_block(&old);
	m = find_made(name);
	if (m != NULL) {
		delete_ns(m);
		*m = made[--nb_made];
	}
	stops_unblock(&old);
}

int
hosts_eth0_up(const char *ns, const char *ip)
{
	return hosts_cmd("ip -n %s addr add %s/24 dev eth0 && ip -n %s link set eth0 up", ns, ip,
			 ns);
}

int
hosts_enter(const char *name)
{
	/* A host process has the owner's list: it was forked after the
	 * namespace was made. */
	const struct made_ns *m = find_made(name);
	int fd, ret = 0;

	if (m == NULL)
		return -ENOENT;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

int
hosts_proc_add(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_PROCS; i++)
		if (procs[i] <= 0) {
			procs[i] = pid;
			return 0;
		}
	set_error("more than %d host processes", MAX_PROCS);
	return -ENOSPC;
}

void
hosts_proc_gone(pid_t pid)
{
	for (unsigned int i = 0; i < MAX_PROCS; i++)
		if (procs[i] == pid)
			procs[i] = 0;
}

int
hosts_pair_up(struct hosts_pair *p, const char *prefix, const char *net)
{
	int ret;

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 2; i++) {
		hosts_name(p->ns[i], prefix, i == 0 ? "a" : "b");
		snprintf(p->ip[i], sizeof(p->ip[i]), "%s.%d", net, i + 1);
	}
	ret = hosts_add(p->ns[0]);
	if (ret == 0)
		ret = hosts_add(p->ns[1]);
	if (ret == 0)
		ret = hosts_cmd("ip -n %s link add eth0 type veth peer name eth0 netns %s", p->ns[0],
				p->ns[1]);
	for (int i = 0; i < 2 && ret == 0; i++)
		ret = hosts_eth0_up(p->ns[i], p->ip[i]);
	if (ret != 0)
		hosts_pair_down(p);
	return ret;
}

void
hosts_pair_down(struct hosts_pair *p)
{
	for (int i = 0; i < 2; i++)
		hosts_del(p->ns[i]);
}
