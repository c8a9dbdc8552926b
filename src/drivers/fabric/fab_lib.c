/* SPDX-License-Identifier: BSD-3-Clause */
/* libfabric loaded at first use, signal dispositions kept (fab_lib.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "drivers/fabric/fab_lib.h"

/* The library's ABI name: what a program linked with -lfabric records. */
#define FAB_LIB_NAME "libfabric.so.1"

struct fab_lib fab_lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result;
static char load_error[256];

/* The flags a program sets; the C library adds one of its own (the
 * kernel's SA_RESTORER) to every action it installs, even SIG_DFL. */
#define PROGRAM_FLAGS                                                                      \
	(SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_NOCLDSTOP |  \
	 SA_NOCLDWAIT)

static void *
handler_of(const struct sigaction *sa)
{
	return sa->sa_flags & SA_SIGINFO ? (void *)sa->sa_sigaction : (void *)sa->sa_handler;
}

/* Same handler and flags. The masks are not compared: a library that
 * installs a handler changes the handler too. */
static bool
same_disposition(const struct sigaction *a, const struct sigaction *b)
{
	return handler_of(a) == handler_of(b) &&
	       (a->sa_flags & PROGRAM_FLAGS) == (b->sa_flags & PROGRAM_FLAGS);
}

static bool
catchable(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP;
}

void
fab_signals_save(struct fab_signals *saved)
{
	for (int s = 1; s < FAB_CLASSIC_SIGNALS; s++)
		if (catchable(s))
			sigaction(s, NULL, &saved->sa[s]);
}

void
fab_signals_restore(const struct fab_signals *saved, const char *during)
{
	for (int s = 1; s < FAB_CLASSIC_SIGNALS; s++) {
		struct sigaction now;

		if (!catchable(s) || sigaction(s, NULL, &now) != 0 ||
		    same_disposition(&now, &saved->sa[s]))
			continue;
		sigaction(s, &saved->sa[s], NULL);
		IDD_LOG(DEBUG, "fabric: %s set a handler for signal %d (%s); the previous "
			       "disposition is back", during, s, strsignal(s));
	}
}

static void *
lib_symbol(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (p == NULL && load_error[0] == '\0')
		snprintf(load_error, sizeof(load_error), "%s has no %s", FAB_LIB_NAME, name);
	return p;
}

static void
load(void)
{
	void *lib = dlopen(FAB_LIB_NAME, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		load_result = -ENOTSUP;
		return;
	}
	fab_lib.getinfo = (__typeof__(fab_lib.getinfo))lib_symbol(lib, "fi_getinfo");
	fab_lib.freeinfo = (__typeof__(fab_lib.freeinfo))lib_symbol(lib, "fi_freeinfo");
	fab_lib.dupinfo = (__typeof__(fab_lib.dupinfo))lib_symbol(lib, "fi_dupinfo");
	fab_lib.fabric = (__typeof__(fab_lib.fabric))lib_symbol(lib, "fi_fabric");
	fab_lib.strerror = (__typeof__(fab_lib.strerror))lib_symbol(lib, "fi_strerror");
	if (load_error[0] != '\0') {
		memset(&fab_lib, 0, sizeof(fab_lib));
		load_result = -ENOTSUP;
	}
	/* The library stays loaded for the life of the process: providers
	 * keep threads and state across fabric objects. */
}

int
fab_lib_load(void)
{
	pthread_once(&load_once, load);
	return load_result;
}

const char *
fab_lib_error(void)
{
	return load_error;
}

const char *
fab_strerror(int err)
{
	return fab_lib.strerror != NULL ? fab_lib.strerror(err) : strerror(err);
}
