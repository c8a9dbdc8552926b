/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TELEMETRY_H
#define IDD_TELEMETRY_H

/**
 * @file
 * Telemetry: let `idd-ctl` look inside a running process.
 *
 * A process that enables telemetry serves a Unix socket on which a tool of
 * the same user (`idd-ctl list`, `idd-ctl show PID`, `idd-ctl watch PID`)
 * asks for a read-only description of the process's idd state, answered as
 * JSON text:
 *   - the process: pid, uid, namespace, program name, idd version;
 *   - its devices: id, name, driver, state, capabilities, configuration,
 *     and for each vchan its ring size, transfer direction, domain type and
 *     handlers, status and counters (submitted, completed, errors, bytes);
 *   - its access pair groups: id, device, role (creator or member), state
 *     and members (slot, domain id, handler, pid, uid, the windows each
 *     offers);
 *   - its own windows (idd_mem.h): base, length, permissions, huge pages.
 * Group tokens are never part of any answer, nor is anything derived from
 * them.
 *
 * Enabling: set the environment variable `IDD_TELEMETRY=1` (read once, at
 * the process's first idd_dma_dev_create(); the socket then belongs to that
 * device's namespace), or call idd_telemetry_enable() at any time, devices
 * or not. idd_telemetry_disable() stops serving; so does the process's
 * exit() (the socket file is removed then). A process that dies without
 * exit() (a signal, _exit()) leaves a stale socket behind, which `idd-ctl`
 * recognises (nobody listens) and removes.
 *
 * Where: `<runtime dir>/<namespace>.telemetry.<pid>.sock`, in the runtime
 * directory that access pair groups use ($IDD_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/idd, else `/tmp/idd-<uid>`), with the same checks (a real
 * directory, owned by the user, not writable by others). Telemetry never
 * uses the abstract socket namespace, even with IDD_ABSTRACT_SOCKETS=1.
 *
 * Who may ask: only the process's own user and root (checked with
 * SO_PEERCRED on every connection, in addition to the directory's
 * permissions); anyone else is answered "permission denied" and
 * disconnected.
 *
 * Cost: the answers are built on a thread of idd's own, which wakes only
 * when a tool connects or asks. It reads the device registry, the group
 * tables and the window table under their control-path locks, each held
 * briefly; the data path (enqueue, submit, completions) takes none of
 * those locks and is never slowed or blocked by telemetry. A tool that
 * sends malformed requests, stops reading or stays idle is disconnected;
 * at most 16 tools are served at once.
 *
 * Thread safety: the functions below may be called from any thread,
 * including an idd event callback.
 *
 * fork(): a child created by fork() (without exec) does not serve the
 * parent's socket; it starts with telemetry disabled. It may call
 * idd_telemetry_enable() for a socket of its own, and with IDD_TELEMETRY=1
 * its first device creation enables it.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the telemetry protocol that this library serves. */
#define IDD_TELEMETRY_PROTOCOL_VERSION 1

/**
 * Start serving telemetry.
 *
 * The socket is ready when this function returns.
 *
 * @param ns
 *   The namespace to appear in (`idd-ctl list --namespace NS`): 1..32
 *   characters of [A-Za-z0-9_-]; NULL means the environment variable
 *   IDD_NAMESPACE, else "default". Only the listing depends on it: the
 *   answers describe every device and group of the process, whatever their
 *   namespace.
 * @return
 *   0 on success, also when telemetry is already served in that namespace;
 *   -EINVAL for a malformed namespace (or IDD_NAMESPACE);
 *   -EBUSY if telemetry is already served in another namespace (disable it
 *   first);
 *   -EADDRINUSE if a live socket of that name exists (a process of the same
 *   pid in another pid namespace sharing the runtime directory);
 *   -ENAMETOOLONG if the socket path does not fit in a Unix socket address;
 *   -EPERM, -ENOTDIR if the runtime directory fails its checks;
 *   other negative errno values from creating the runtime directory (e.g.
 *   -ENOENT: its parent is missing; -EACCES), from socket(), bind(),
 *   listen() or thread creation. Every failure logs one line saying why.
 */
int idd_telemetry_enable(const char *ns);

/**
 * Stop serving telemetry: close every tool's connection, remove the
 * socket, end the serving thread. When this returns, no telemetry code
 * runs any more. Calling it when telemetry is not enabled does nothing.
 *
 * @return
 *   0.
 */
int idd_telemetry_disable(void);

/**
 * The path of the socket this process serves.
 *
 * @param buf
 *   Receives the NUL-terminated path.
 * @param size
 *   Room in @p buf.
 * @return
 *   The path's length (without the NUL) on success;
 *   -ENOENT if telemetry is not enabled;
 *   -EINVAL if @p buf is NULL;
 *   -ENAMETOOLONG if @p size is too small (nothing is written then).
 */
int idd_telemetry_path(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* IDD_TELEMETRY_H */
