/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libfabric and the program's signals (src/drivers/fabric/fab_lib.h).
 * Loading libfabric loads its providers' libraries, and on Debian one of
 * them installs handlers for SIGINT, SIGTERM, SIGSEGV, SIGBUS, SIGABRT and
 * SIGILL. This program checks that:
 *   - before any fabric device exists, libfabric is not loaded and no
 *     signal has a handler from it: linking libidd changes nothing;
 *   - creating a fabric device loads libfabric (and, where Debian's psm
 *     provider is installed, libinfinipath with it) and leaves every
 *     disposition as the program set it: its own SIGTERM handler, SIGINT
 *     ignored, SIGSEGV and the rest at their defaults;
 *   - a second device loads nothing again and changes nothing either.
 */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fab_test.h"

#define CLASSIC_SIGNALS 32
/* The flags a program sets (the C library adds one of its own to every
 * action it installs). */
#define PROGRAM_FLAGS                                                                      \
	(SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_NOCLDSTOP |  \
	 SA_NOCLDWAIT)

static void
on_term(int sig)
{
	(void)sig;
}

static int
find_object(struct dl_phdr_info *info, size_t size, void *name)
{
	(void)size;
	return info->dlpi_name != NULL && strstr(info->dlpi_name, name) != NULL;
}

/* Whether a shared object named @lib is mapped in this process. */
static bool
loaded(const char *lib)
{
	return dl_iterate_phdr(find_object, (void *)lib) != 0;
}

/* A handler in libfabric or one of the libraries it loads. (Sanitizer
 * runtimes have handlers of their own: those are the program's.) */
static bool
handler_from_fabric(const struct sigaction *sa)
{
	Dl_info where;

	if (sa->sa_handler == SIG_DFL || sa->sa_handler == SIG_IGN ||
	    dladdr((void *)sa->sa_handler, &where) == 0 || where.dli_fname == NULL)
		return false;
	return strstr(where.dli_fname, "fabric") != NULL ||
	       strstr(where.dli_fname, "ipath") != NULL || strstr(where.dli_fname, "psm") != NULL;
}

/* Every classic signal's disposition into @out. */
static void
snapshot(struct sigaction out[CLASSIC_SIGNALS])
{
	for (int s = 1; s < CLASSIC_SIGNALS; s++)
		if (s != SIGKILL && s != SIGSTOP)
			CHECK(sigaction(s, NULL, &out[s]) == 0);
}

/* The same handlers and flags as @want; names the first that differs. */
static void
check_same(const struct sigaction want[CLASSIC_SIGNALS], const char *when)
{
	struct sigaction now[CLASSIC_SIGNALS];

	snapshot(now);
	for (int s = 1; s < CLASSIC_SIGNALS; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (now[s].sa_handler != want[s].sa_handler ||
		    (now[s].sa_flags & PROGRAM_FLAGS) != (want[s].sa_flags & PROGRAM_FLAGS)) {
			fprintf(stderr, "signal %d (%s) changed %s\n", s, strsignal(s), when);
			CHECK(!"a signal disposition changed");
		}
	}
}

int
main(void)
{
	struct sigaction want[CLASSIC_SIGNALS], term = {.sa_handler = on_term};
	unsigned int port;
	int16_t a, b;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(!loaded("libfabric.so.1") && !loaded("libinfinipath.so.4"));
	snapshot(want);
	for (int s = 1; s < CLASSIC_SIGNALS; s++)
		if (s != SIGKILL && s != SIGSTOP)
			CHECK(!handler_from_fabric(&want[s]));
	printf("ok - libidd linked, no fabric device: libfabric not loaded, no handler of its\n");

	sigemptyset(&term.sa_mask);
	CHECK(sigaction(SIGTERM, &term, NULL) == 0);
	CHECK(signal(SIGINT, SIG_IGN) != SIG_ERR);
	snapshot(want);
	a = ft_listen_dev("sigA", "", &port);
	CHECK(a >= 0);
	CHECK(loaded("libfabric.so.1"));
	check_same(want, "by the first fabric device");
	printf("ok - first fabric device: libfabric loaded%s, every disposition as it was\n",
	       loaded("libinfinipath.so.4") ? " (libinfinipath too)" : "");

	b = ft_listen_dev("sigB", "", &port);
	CHECK(b >= 0);
	check_same(want, "by the second fabric device");
	printf("ok - second fabric device: dispositions unchanged\n");
	CHECK(idd_dma_close(b) == 0 && idd_dma_close(a) == 0);
	check_same(want, "by closing the devices");
	printf("ok - devices closed, dispositions unchanged\n");
	return 0;
}
