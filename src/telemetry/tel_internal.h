/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_TELEMETRY_INTERNAL_H
#define IDD_SRC_TELEMETRY_INTERNAL_H

/*
 * Shared by the files of src/telemetry/:
 *   api.c     the public calls, IDD_TELEMETRY, the socket's name, exit, fork
 *   server.c  the serving thread: listening socket, connections, framing
 *   report.c  the JSON answers (queries of dmadev, group and mem)
 *   proto.c   the protocol's framing and checks (also used by idd-ctl)
 *   json_out.c  the JSON writer
 */

#include <stdint.h>
#include <sys/types.h>

#include "group/rendezvous.h"
#include "telemetry/json_out.h"

/* Who is serving: fixed from enable to disable. */
struct tel_identity {
	pid_t pid;
	uid_t uid;
	char ns[RDV_NS_MAX + 1];
};

/* report.c: write the answer to command @cmd (TEL_CMD_*) into @w, which
 * must be empty. Returns 0 or the writer's error (-E2BIG, -ENOMEM). */
int tel_report(unsigned int cmd, const struct tel_identity *id, struct jw *w);
/* The HELLO text. */
int tel_report_hello(const struct tel_identity *id, struct jw *w);
/* {"error": msg} */
int tel_report_error(const char *msg, struct jw *w);

/* server.c. Start serving on @listen_fd (listening, non-blocking; the
 * server owns it from now on, also on failure). 0 or -errno. */
int tel_server_start(int listen_fd, const struct tel_identity *id);
/* Stop: wake the thread, join it, close every connection and the
 * listening socket. */
void tel_server_stop(void);
/* Forked child: close the inherited descriptors, forget the state (the
 * thread does not exist here). */
void tel_server_forget(void);

#endif
