/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_WIRE_H
#define IDD_SRC_GROUP_WIRE_H

/*
 * The access-pair-group wire protocol: encoding and decoding of one message
 * to and from a byte buffer. No I/O happens here, so the same code serves
 * the Unix-socket transport, a future TCP transport (which will add its own
 * framing on top of the length field) and a fuzzer driving wire_decode()
 * over arbitrary memory.
 *
 * Every message is a 12-byte header followed by a body:
 *
 *   offset 0  u32 magic      WIRE_MAGIC ("IDDG")
 *   offset 4  u8  version    WIRE_VERSION
 *   offset 5  u8  type       enum wire_type
 *   offset 6  u16 flags      0 (reserved; non-zero is refused)
 *   offset 8  u32 body_len   bytes after the header
 *
 * All integers are little-endian whatever the host, so two hosts of
 * different byte order can talk once a network transport exists. A whole
 * message is at most WIRE_MAX_MSG bytes; each type's body has an exact size
 * or, for the variable ones, bounds that wire_decode() checks, together with
 * every field's range. A message that fails any check is refused as a whole:
 * the transport then drops the connection (see control.c).
 *
 * A window's fd does not travel in the bytes: it rides alongside the
 * WIRE_WINDOW_ADD message as SCM_RIGHTS ancillary data.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WIRE_MAGIC 0x47444449u /* "IDDG" read as little-endian bytes */
#define WIRE_VERSION 1
#define WIRE_HDR_LEN 12
/* Largest message, header included. The biggest body is a full WELCOME. */
#define WIRE_MAX_MSG 4096

#define WIRE_NONCE_LEN 32
#define WIRE_MAC_LEN 32
#define WIRE_UUID_LEN 16
/* Members of one group, creator included. Slots are 0..WIRE_MAX_MEMBERS-1;
 * the creator always has slot 0. */
#define WIRE_MAX_MEMBERS 128
/* Directory names: 1..WIRE_NAME_MAX bytes of printable ASCII, no NUL. */
#define WIRE_NAME_MAX 63

/* Window permissions as they travel (same values as the public
 * IDD_MEM_PEER_READ/WRITE, checked in group code). */
#define WIRE_PERM_READ 0x1u
#define WIRE_PERM_WRITE 0x2u
#define WIRE_PERM_ALL (WIRE_PERM_READ | WIRE_PERM_WRITE)

/* Refusal codes are positive errno values below this bound. */
#define WIRE_CODE_MAX 4096

enum wire_type {
	WIRE_CHALLENGE = 1,  /* creator -> joiner: version, group id, creator nonce */
	WIRE_JOIN,           /* joiner -> creator: domain, joiner nonce, joiner MAC */
	WIRE_WELCOME,        /* creator -> joiner: creator MAC, slot, member list */
	WIRE_REFUSE,         /* creator -> joiner: errno-like code, then close */
	WIRE_SYNC,           /* creator -> joiner: end of the initial state */
	WIRE_READY,          /* joiner -> creator: own windows sent, activate me */
	WIRE_ACTIVE,         /* creator -> joiner: others told, join complete */
	WIRE_MEMBER_JOINED,  /* creator -> members: a member became active */
	WIRE_MEMBER_LEFT,    /* creator -> members: a member left or died */
	WIRE_GROUP_DESTROYED, /* creator -> members: the group is gone */
	WIRE_LEAVE,          /* joiner -> creator: I leave */
	WIRE_WINDOW_ADD,     /* both ways (relayed): a window, fd alongside */
	WIRE_WINDOW_REMOVE,  /* both ways (relayed): a window is gone */
	WIRE_DIR_PUBLISH,    /* joiner -> creator: publish name -> addr, len */
	WIRE_DIR_UNPUBLISH,  /* joiner -> creator: withdraw a name */
	WIRE_DIR_RESULT,     /* creator -> joiner: outcome of a publish/unpublish */
	WIRE_DIR_ENTRY,      /* creator -> members: a name appeared */
	WIRE_DIR_REMOVE,     /* creator -> members: a name disappeared */
	WIRE_KEEPALIVE,      /* either way, ignored: reserved for transports
			      * without close detection (TCP) */
	WIRE_LEFT_DONE,      /* joiner -> creator: after MEMBER_LEFT, the member's
			      * windows are unmapped here (the creator lets a
			      * leaver go once everyone has said so) */
	WIRE_TYPE_MAX,
};

/* One member as the member list and MEMBER_JOINED carry it. */
struct wire_member {
	uint16_t slot;
	uint16_t is_creator; /* 0 or 1 */
	uint32_t pid;
	uint32_t uid;
	uint8_t domain[WIRE_UUID_LEN];
};

struct wire_challenge {
	uint16_t group_id;     /* 0..INT16_MAX */
	uint8_t nonce[WIRE_NONCE_LEN];
};

struct wire_join {
	uint8_t domain[WIRE_UUID_LEN];
	uint8_t nonce[WIRE_NONCE_LEN];
	uint8_t mac[WIRE_MAC_LEN];
};

struct wire_welcome {
	uint8_t mac[WIRE_MAC_LEN];
	uint16_t slot;         /* the joiner's slot, 1..WIRE_MAX_MEMBERS-1 */
	uint16_t nb_members;   /* 1..WIRE_MAX_MEMBERS-1 active members, creator first */
	struct wire_member members[WIRE_MAX_MEMBERS];
};

struct wire_left {
	uint16_t slot;
	uint8_t domain[WIRE_UUID_LEN];
};

struct wire_window {
	uint16_t owner_slot;   /* from a joiner: its own slot; relayed as is */
	uint32_t perms;        /* WIRE_PERM_* bits, at least one */
	uint64_t base;         /* owner's virtual address */
	uint64_t len;          /* > 0, base + len does not overflow */
	uint64_t offset;       /* of base in the fd; offset + len does not overflow */
};

struct wire_window_remove {
	uint16_t owner_slot;
	uint64_t base;
};

struct wire_dir {
	uint32_t req_id;       /* PUBLISH/UNPUBLISH/RESULT: matches answer to request */
	uint16_t owner_slot;   /* ENTRY: the publisher */
	int32_t code;          /* RESULT: 0 or a positive errno */
	uint64_t addr;         /* PUBLISH/ENTRY */
	uint64_t len;          /* PUBLISH/ENTRY: > 0 */
	uint8_t name_len;      /* 1..WIRE_NAME_MAX (not for RESULT) */
	char name[WIRE_NAME_MAX + 1]; /* NUL-terminated after decode */
};

struct wire_msg {
	enum wire_type type;
	union {
		struct wire_challenge challenge;
		struct wire_join join;
		struct wire_welcome welcome;
		int32_t refuse_code;   /* 1..WIRE_CODE_MAX-1 */
		struct wire_member member;  /* MEMBER_JOINED */
		struct wire_left left;      /* MEMBER_LEFT, LEFT_DONE */
		struct wire_window window;  /* WINDOW_ADD */
		struct wire_window_remove window_remove;
		struct wire_dir dir;        /* DIR_* */
	} u;
};

/* Encode @m into @buf (at most @cap bytes). Returns the message length, or
 * -EINVAL if a field is out of range (the encoder checks what the decoder
 * checks, so we never send what a peer must refuse), -EMSGSIZE if @cap is
 * too small. */
ssize_t wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap);

/* Decode the message of exactly @len bytes at @buf into @m. Returns 0, or
 * -EBADMSG with *why pointing at a static reason for the log line, or
 * -EPROTONOSUPPORT for a version other than WIRE_VERSION. */
int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m, const char **why);

/* A short name of a message type, for log lines ("join", "welcome", ...). */
const char *wire_type_name(unsigned int type);

/* True when @name (NUL-terminated) is a valid directory name. */
int wire_name_valid(const char *name);

#endif
