/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_TELEMETRY_PROTO_H
#define IDD_SRC_TELEMETRY_PROTO_H

/*
 * The telemetry protocol (version 1): framing and checks, no I/O. Shared by
 * the server (src/telemetry/server.c) and the client (tools/ctl), and
 * testable over plain buffers.
 *
 * One SOCK_SEQPACKET message per protocol message. Every message starts
 * with a 16-byte header, little endian:
 *
 *   offset  size  request                   reply
 *   0       4     magic "IDDT"              magic "IDDT"
 *   4       2     version (1)               version (1)
 *   6       2     command (TEL_CMD_*)       command | TEL_REPLY (TEL_HELLO)
 *   8       4     request id (any)          the request's id (0 for HELLO)
 *   12      2     reserved, 0               status: 0 or -errno
 *   14      2     reserved, 0               flags: TEL_FLAG_MORE
 *
 * A request is the header alone: exactly TEL_REQ_LEN bytes, no file
 * descriptors. A reply is the header followed by JSON text (UTF-8, no NUL);
 * a long reply is cut into several messages, every one but the last
 * flagged TEL_FLAG_MORE, each carrying at most TEL_CHUNK_MAX bytes of text.
 * The whole text of one reply is at most TEL_REPLY_MAX bytes. An error
 * reply (status < 0) carries {"error": "..."}.
 *
 * On connect, before any request, the server sends a HELLO reply: status 0
 * and {"protocol":1,"pid":...,"namespace":...,"idd_version":...}, or
 * status -EACCES (not our user) or -EBUSY (too many tools) and a close.
 * The server answers requests in order, one at a time.
 *
 * What the server does with a bad request:
 *   - wrong size, wrong magic, non-zero reserved field, file descriptors:
 *     malformed; it logs one line and closes the connection, no reply;
 *   - a version it does not speak: an error reply (-EPROTONOSUPPORT) that
 *     names the version it does speak, then a close;
 *   - an unknown command: an error reply (-EOPNOTSUPP); the connection
 *     stays open (a newer tool can fall back).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEL_MAGIC "IDDT"
#define TEL_VERSION 1
#define TEL_HDR_LEN 16
#define TEL_REQ_LEN TEL_HDR_LEN
/* The server reads requests into a buffer this large, so that an oversized
 * one is seen whole enough to be refused (MSG_TRUNC tells the rest). */
#define TEL_REQ_BUF 256
#define TEL_CHUNK_MAX 32768
#define TEL_REPLY_MAX (16u << 20)

#define TEL_REPLY 0x8000u
#define TEL_HELLO TEL_REPLY
#define TEL_FLAG_MORE 0x0001u

enum tel_cmd {
	TEL_CMD_PROCESS = 1, /* pid, uid, namespace, program, version, counts */
	TEL_CMD_DEVICES = 2, /* devices, vchans, stats */
	TEL_CMD_GROUPS = 3,  /* groups and members (with their windows) */
	TEL_CMD_WINDOWS = 4, /* this process's windows */
	TEL_CMD_ALL = 5,     /* all four in one object */
	TEL_CMD_MAX = TEL_CMD_ALL,
};

struct tel_hdr {
	uint16_t version;
	uint16_t type;   /* command, or command | TEL_REPLY */
	uint32_t id;
	int16_t status;  /* replies */
	uint16_t flags;  /* replies */
};

/* Write @h as the 16 header bytes at @out. */
void tel_hdr_encode(const struct tel_hdr *h, uint8_t out[TEL_HDR_LEN]);

/* Check one received request of @len bytes (@len may exceed the buffer
 * when the message was truncated; pass the real length). Returns:
 *   0                 valid: *@h filled;
 *   -EPROTO           malformed (close without reply);
 *   -EPROTONOSUPPORT  another version (error reply, then close);
 *   -EOPNOTSUPP       unknown command (error reply; h->id and h->type set).
 * *@why gets a static explanation for the log when non-zero. */
int tel_request_check(const void *buf, size_t len, struct tel_hdr *h, const char **why);

/* Check one received reply message of @len bytes. Returns 0 with *@h
 * filled and the text at buf + TEL_HDR_LEN (len - TEL_HDR_LEN bytes), or
 * -EPROTO / -EPROTONOSUPPORT with *@why set. */
int tel_reply_check(const void *buf, size_t len, struct tel_hdr *h, const char **why);

/* "process", "devices", ...; NULL for an unknown command. */
const char *tel_cmd_name(unsigned int cmd);

#endif
