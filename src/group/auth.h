/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_AUTH_H
#define IDD_SRC_GROUP_AUTH_H

/*
 * Mutual challenge-response and the throttling of failed joins.
 *
 * Both MACs are BLAKE2b (crypto_generichash) keyed with the 16-byte group
 * token, over:
 *
 *   role label | creator nonce | joiner nonce | group id (le16) |
 *   joiner domain id | joiner uid (le32) | creator uid (le32)
 *
 * The joiner's label is "idd-group-v1 joiner", the creator's
 * "idd-group-v1 creator", so one side's MAC can never be replayed as the
 * other's. Each side takes the other's uid from SO_PEERCRED and its own from
 * geteuid(): a relay run by a third user makes the two sides disagree about
 * the uids, and the MACs then fail.
 *
 * The token is only ever an input to the keyed hash: it never travels, is
 * never logged, and every copy is wiped with sodium_memzero().
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "group/wire.h"

#define AUTH_TOKEN_LEN 16

enum auth_role {
	AUTH_JOINER,
	AUTH_CREATOR,
};

struct auth_ctx {
	uint8_t nonce_c[WIRE_NONCE_LEN];
	uint8_t nonce_j[WIRE_NONCE_LEN];
	uint16_t group_id;
	uint8_t joiner_domain[WIRE_UUID_LEN];
	uint32_t joiner_uid;
	uint32_t creator_uid;
};

/* Initialise libsodium once. Returns 0 or -EIO. */
int auth_init(void);

/* Fill @nonce with fresh random bytes. */
void auth_nonce(uint8_t nonce[WIRE_NONCE_LEN]);

/* Compute the MAC of @role over @ctx with @token. */
void auth_mac(enum auth_role role, const uint8_t token[AUTH_TOKEN_LEN],
	      const struct auth_ctx *ctx, uint8_t mac[WIRE_MAC_LEN]);

/* Verify @mac in constant time. */
bool auth_verify(enum auth_role role, const uint8_t token[AUTH_TOKEN_LEN],
		 const struct auth_ctx *ctx, const uint8_t mac[WIRE_MAC_LEN]);

/* Wipe a secret. */
void auth_wipe(void *p, size_t n);

/*
 * Throttling, per peer uid, for the creator. Counts are kept in a small
 * table; the least recently seen uid is forgotten when it fills.
 *
 * auth_throttle_admit(): may a new unauthenticated connection from @uid be
 * kept? False once AUTH_MAX_PENDING_PER_UID of them are open.
 * auth_throttle_release(): such a connection ended (authenticated or not).
 * auth_throttle_fail(): a failed attempt; returns how long (ms) to hold the
 * refusal back: AUTH_DELAY_BASE_MS doubling with each recent failure, at
 * most AUTH_DELAY_MAX_MS. Failures are forgotten AUTH_FORGET_MS after the
 * last one. A success does not reset the count (a guesser could otherwise
 * interleave good joins), it only ages out.
 */
#define AUTH_MAX_PENDING_PER_UID 256
#define AUTH_DELAY_BASE_MS 20
#define AUTH_DELAY_MAX_MS 2000
#define AUTH_FORGET_MS 60000

bool auth_throttle_admit(uint32_t uid);
void auth_throttle_release(uint32_t uid);
unsigned int auth_throttle_fail(uint32_t uid, uint64_t now_ms);
/* Forget everything (tests, fork child). */
void auth_throttle_reset(void);

#endif
