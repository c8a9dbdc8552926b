/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hosts of the multi-host tests and of idd-perf's fabric case
 * (tools/common/netns_hosts.c), checked on their own:
 *
 *   1. A pair of hosts carries TCP from a's address to b's over its veth
 *      pair, each end in its namespace; a namespace the owner did not make
 *      cannot be entered; a step that fails is named, and leaves nothing
 *      of its pair; hosts_pair_down() removes both namespaces.
 *   2. An owner with a SIGTERM handler of its own: on SIGTERM, its hosts
 *      and host process are gone before its handler runs, and it makes no
 *      more hosts (-EINTR).
 *   3. An owner without one: a host process killed by SIGTERM removes
 *      nothing; nor does SIGHUP, which the owner ignores (nohup); SIGINT
 *      to the owner kills it (of SIGINT, as without the hook) and removes
 *      its hosts.
 *   4. An owner that exits with its hosts up leaves none behind.
 *
 * Skipped (exit 77) where namespaces cannot be made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fab_test.h"
#include "netns_hosts.h"

#define PORT 7479

/* What an owner child tells the conductor. */
struct owner_board {
	struct hosts_pair pair;
	_Atomic pid_t host;
	_Atomic int ready;
	_Atomic int go_exit; /* the conductor's word to an END_EXIT owner */
};

static struct hosts_pair pair;
static struct owner_board *ob;
static _Atomic int *server_ready;

static bool
ns_exists(const char *name)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return stat(path, &st) == 0;
}

static struct sockaddr_in
addr_of(const char *ip)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};

	CHECK(inet_pton(AF_INET, ip, &sa.sin_addr) == 1);
	return sa;
}

static void
role_server(void)
{
	struct sockaddr_in sa = addr_of(pair.ip[1]);
	int s, c;
	char x;

	ft_enter(pair.ns[1]);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(s, 1) == 0);
	atomic_store(server_ready, 1);
	c = accept(s, NULL, NULL);
	CHECK(c >= 0 && read(c, &x, 1) == 1 && x == 'h');
	exit(0);
}

static void
role_client(void)
{
	struct sockaddr_in to = addr_of(pair.ip[1]), me;
	socklen_t len = sizeof(me);
	char ip[16];
	int s;

	ft_enter(pair.ns[0]);
	CHECK(ft_wait_int(server_ready, 1, 20000));
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0 && connect(s, (struct sockaddr *)&to, sizeof(to)) == 0);
	/* It left from a's own address: the veth pair, not some other route. */
	CHECK(getsockname(s, (struct sockaddr *)&me, &len) == 0);
	CHECK(inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip)) != NULL && strcmp(ip, pair.ip[0]) == 0);
	CHECK(write(s, "h", 1) == 1);
	exit(0);
}

static void
pair_and_failures(void)
{
	struct hosts_pair bad;

	ft_hosts_ok(hosts_pair_up(&pair, "idd-nht", "10.215.0"));
	CHECK(ns_exists(pair.ns[0]) && ns_exists(pair.ns[1]));
	pid_t s = ft_spawn_host(role_server, 30), c = ft_spawn_host(role_client, 30);

	CHECK(ft_exited_ok(c) && ft_exited_ok(s));
	CHECK(hosts_enter("idd-nht-not-made") == -ENOENT);
	/* 10.215.0.256 is no address: the pair gets as far as that step. */
	CHECK(hosts_pair_up(&bad, "idd-nht-bad", "10.215.0.256") == -EIO);
	CHECK(strstr(hosts_error(), "addr add 10.215.0.256.1/24") != NULL);
	CHECK(!ns_exists(bad.ns[0]) && !ns_exists(bad.ns[1]));
	hosts_pair_down(&pair);
	CHECK(!ns_exists(pair.ns[0]) && !ns_exists(pair.ns[1]));
}

static void
host_sleeps(void)
{
	for (;;)
		pause();
}

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	got_term = sig;
}

enum owner_end { END_HANDLER, END_DEFAULT, END_EXIT };

/* An owner of its own (forked by the conductor): a pair and one host
 * process, then it waits for the way it ends. */
static void
owner_run(enum owner_end how)
{
	/* SIGINT as the conductor left it (the default, and the hook with
	 * it, inherited); SIGTERM with a handler of our own; SIGHUP ignored. */
	if (how == END_DEFAULT)
		signal(SIGHUP, SIG_IGN);
	if (how == END_HANDLER) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		CHECK(sigaction(SIGTERM, &sa, NULL) == 0);
	}
	hosts_own();
	ft_hosts_ok(hosts_pair_up(&ob->pair, "idd-nho", "10.215.1"));
	atomic_store(&ob->host, ft_spawn_host(host_sleeps, 60));
	atomic_store(&ob->ready, 1);
	if (how == END_EXIT) {
		CHECK(ft_wait_int(&ob->go_exit, 1, 30000));
		exit(0);
	}
	while (!got_term)
		usleep(1000);
	/* Our handler runs after the hook: the hosts are gone already. */
	CHECK(!ns_exists(ob->pair.ns[0]) && !ns_exists(ob->pair.ns[1]));
	CHECK(waitpid(atomic_load(&ob->host), NULL, WNOHANG) == -1 && errno == ECHILD);
	CHECK(hosts_add("idd-nho-late") == -EINTR);
	CHECK(strstr(hosts_error(), "stopped by signal 15") != NULL);
	exit(0);
}

static void
owner_handler(void)
{
	owner_run(END_HANDLER);
}

static void
owner_default(void)
{
	owner_run(END_DEFAULT);
}

static void
owner_exits(void)
{
	owner_run(END_EXIT);
}

/* Start an owner; once its hosts are up, hand back its pid. */
static pid_t
owner_start(void (*fn)(void))
{
	memset(ob, 0, sizeof(*ob));
	pid_t p = ft_spawn(fn, 60);

	CHECK(ft_wait_int(&ob->ready, 1, 30000));
	CHECK(ns_exists(ob->pair.ns[0]) && ns_exists(ob->pair.ns[1]));
	return p;
}

/* Dead and not yet reaped (by its owner, whose child it is). */
static bool
is_zombie(pid_t p)
{
	char path[64], state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fscanf(f, "%*d %*s %c", &state) != 1)
		state = '?';
	fclose(f);
	return state == 'Z';
}

int
main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(150);
	ob = mmap(NULL, sizeof(*ob) + sizeof(int), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ob != MAP_FAILED);
	server_ready = (_Atomic int *)(ob + 1);
	ft_hosts_own();
	pair_and_failures();
	printf("ok 1 - TCP from a's address to b's over the pair; unknown namespace refused; "
	       "a failed step named and nothing of its pair left; pair removed\n");

	pid_t p = owner_start(owner_handler);
	int st;

	kill(p, SIGTERM);
	st = ft_reap(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("ok 2 - SIGTERM: hosts and host process gone before the owner's handler runs\n");

	p = owner_start(owner_default);
	kill(atomic_load(&ob->host), SIGTERM);
	for (int t = 0; t < 10000 && !is_zombie(atomic_load(&ob->host)); t++)
		ft_sleep_ms(1);
	CHECK(is_zombie(atomic_load(&ob->host)));
	CHECK(ns_exists(ob->pair.ns[0]) && ns_exists(ob->pair.ns[1]));
	kill(p, SIGHUP);
	ft_sleep_ms(200);
	CHECK(kill(p, 0) == 0 && !is_zombie(p));
	CHECK(ns_exists(ob->pair.ns[0]) && ns_exists(ob->pair.ns[1]));
	kill(p, SIGINT);
	st = ft_reap(p);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
	CHECK(!ns_exists(ob->pair.ns[0]) && !ns_exists(ob->pair.ns[1]));
	printf("ok 3 - a host process's death and an ignored SIGHUP remove nothing; SIGINT kills "
	       "the owner as before and removes its hosts\n");

	p = owner_start(owner_exits);
	atomic_store(&ob->go_exit, 1);
	st = ft_reap(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(!ns_exists(ob->pair.ns[0]) && !ns_exists(ob->pair.ns[1]));
	printf("ok 4 - the owner's exit removes its hosts\n");
	printf("4 passed, 0 failed\n");
	return 0;
}
