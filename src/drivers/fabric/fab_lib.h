/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_FABRIC_FAB_LIB_H
#define IDD_SRC_DRIVERS_FABRIC_FAB_LIB_H

/*
 * libfabric, loaded with dlopen() when the first fabric endpoint is opened
 * rather than linked into libidd.
 *
 * Why: loading libfabric loads its providers' libraries, and on Debian one
 * of them (libinfinipath, under the psm provider) installs handlers for
 * SIGINT, SIGTERM, SIGSEGV, SIGBUS, SIGABRT and SIGILL from its
 * constructor; they print a backtrace or call exit() inside the handler.
 * Linked, that happened in every program that used libidd, fabric driver
 * or not, before main() ran. Loaded here, it happens only where a fabric
 * device is made, and every signal disposition that the load, or the
 * opening of an endpoint (where providers initialize), changed is put
 * back (fab_signals_save() / fab_signals_restore()). A signal that arrives
 * in that window meets the provider's handler; a handler that another
 * thread installs for the same signal in that window is undone.
 *
 * Only the functions that libfabric exports are reached through struct
 * fab_lib; the rest of its API (fi_domain(), fi_write(), fi_close()...) is
 * inline in its headers and calls through the objects these return.
 */

#include <signal.h>

#include <rdma/fabric.h>

struct fab_lib {
	__typeof__(fi_getinfo) *getinfo;
	__typeof__(fi_freeinfo) *freeinfo;
	__typeof__(fi_dupinfo) *dupinfo;
	__typeof__(fi_fabric) *fabric;
	__typeof__(fi_strerror) *strerror;
};

/* Filled by fab_lib_load(); read-only afterwards. */
extern struct fab_lib fab_lib;

/*
 * Load libfabric once per process (later calls return the first result).
 * It does not put signal dispositions back: its one caller,
 * fab_rdm_open(), does that for the load and the endpoint's opening
 * together. Returns 0, or -ENOTSUP when the library or one of its
 * functions is missing (fab_lib_error() says what).
 */
int fab_lib_load(void);

/* Why fab_lib_load() failed, or "" if it did not. */
const char *fab_lib_error(void);

/* The classic signals, 1 to 31: the real-time ones are the application's. */
#define FAB_CLASSIC_SIGNALS 32

/* Their dispositions, as fab_signals_save() found them. */
struct fab_signals {
	struct sigaction sa[FAB_CLASSIC_SIGNALS];
};

void fab_signals_save(struct fab_signals *saved);

/* Put back every disposition that differs from @saved (handler or flags),
 * with a debug log line that names @during and the signal. */
void fab_signals_restore(const struct fab_signals *saved, const char *during);

/* fi_strerror() once libfabric is loaded, strerror() before. */
const char *fab_strerror(int err);

#endif
