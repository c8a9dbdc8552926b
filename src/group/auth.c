/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Challenge-response MACs and the failed-join throttle (see auth.h). The
 * throttle table is only touched by the control thread, so it has no lock.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "group/auth.h"

_Static_assert(AUTH_TOKEN_LEN >= crypto_generichash_KEYBYTES_MIN,
	       "the token must be usable as a BLAKE2b key");
_Static_assert(WIRE_MAC_LEN >= crypto_generichash_BYTES_MIN &&
		       WIRE_MAC_LEN <= crypto_generichash_BYTES_MAX,
	       "MAC length must be a BLAKE2b output length");

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void
sodium_start(void)
{
	sodium_status = sodium_init() < 0 ? -EIO : 0;
	if (sodium_status != 0)
		IDD_LOG(ERR, "group: libsodium failed to initialise");
}

int
auth_init(void)
{
	pthread_once(&sodium_once, sodium_start);
	return sodium_status;
}

void
auth_nonce(uint8_t nonce[WIRE_NONCE_LEN])
{
	randombytes_buf(nonce, WIRE_NONCE_LEN);
}

static void
le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

void
auth_mac(enum auth_role role, const uint8_t token[AUTH_TOKEN_LEN], const struct auth_ctx *ctx,
	 uint8_t mac[WIRE_MAC_LEN])
{
	/* The label includes its NUL so "joiner" can never be a prefix of a
	 * longer label followed by chosen bytes. */
	static const char joiner[] = "idd-group-v1 joiner";
	static const char creator[] = "idd-group-v1 creator";
	crypto_generichash_state st;
	uint8_t num[2 + 4 + 4];

	crypto_generichash_init(&st, token, AUTH_TOKEN_LEN, WIRE_MAC_LEN);
	if (role == AUTH_JOINER)
		crypto_generichash_update(&st, (const uint8_t *)joiner, sizeof(joiner));
	else
		crypto_generichash_update(&st, (const uint8_t *)creator, sizeof(creator));
	crypto_generichash_update(&st, ctx->nonce_c, WIRE_NONCE_LEN);
	crypto_generichash_update(&st, ctx->nonce_j, WIRE_NONCE_LEN);
	le16(num, ctx->group_id);
	crypto_generichash_update(&st, num, 2);
	crypto_generichash_update(&st, ctx->joiner_domain, WIRE_UUID_LEN);
	le32(num, ctx->joiner_uid);
	le32(num + 4, ctx->creator_uid);
	crypto_generichash_update(&st, num, 8);
	crypto_generichash_final(&st, mac, WIRE_MAC_LEN);
	/* The state holds the keyed chaining value: as secret as the token. */
	sodium_memzero(&st, sizeof(st));
}

bool
auth_verify(enum auth_role role, const uint8_t token[AUTH_TOKEN_LEN], const struct auth_ctx *ctx,
	    const uint8_t mac[WIRE_MAC_LEN])
{
	uint8_t want[WIRE_MAC_LEN];
	bool ok;

	auth_mac(role, token, ctx, want);
	ok = sodium_memcmp(want, mac, WIRE_MAC_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

void
auth_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

/* ---- throttle ---- */

#define THROTTLE_SLOTS 64

struct throttle {
	bool used;
	uint32_t uid;
	unsigned int pending;    /* unauthenticated connections open now */
	unsigned int failures;   /* recent failures */
	uint64_t last_fail_ms;
	uint64_t last_seen;      /* LRU tick */
};

static struct throttle table[THROTTLE_SLOTS];
static uint64_t tick;

static struct throttle *
throttle_find(uint32_t uid, bool create)
{
	struct throttle *victim = NULL;

	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		struct throttle *t = &table[i];

		if (t->used && t->uid == uid) {
			t->last_seen = ++tick;
			return t;
		}
	}
	if (!create)
		return NULL;
	/* A free slot, else the least recently seen one without open
	 * connections (whose counters we can afford to forget). */
	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		struct throttle *t = &table[i];

		if (!t->used) {
			victim = t;
			break;
		}
		if (t->pending == 0 && (victim == NULL || t->last_seen < victim->last_seen))
			victim = t;
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->uid = uid;
	victim->last_seen = ++tick;
	return victim;
}

bool
auth_throttle_admit(uint32_t uid)
{
	struct throttle *t = throttle_find(uid, true);

	/* No slot at all: 64 distinct uids each hold open handshakes. Refuse
	 * rather than lose count. */
	if (t == NULL || t->pending >= AUTH_MAX_PENDING_PER_UID)
		return false;
	t->pending++;
	return true;
}

void
auth_throttle_release(uint32_t uid)
{
	struct throttle *t = throttle_find(uid, false);

	if (t != NULL && t->pending > 0)
		t->pending--;
}

unsigned int
auth_throttle_fail(uint32_t uid, uint64_t now_ms)
{
	struct throttle *t = throttle_find(uid, true);
	unsigned int shift;
	uint64_t delay;

	if (t == NULL)
		return AUTH_DELAY_MAX_MS;
	if (t->failures > 0 && now_ms - t->last_fail_ms > AUTH_FORGET_MS)
		t->failures = 0;
	t->failures++;
	t->last_fail_ms = now_ms;
	shift = t->failures - 1 > 10 ? 10 : t->failures - 1;
	delay = (uint64_t)AUTH_DELAY_BASE_MS << shift;
	return delay > AUTH_DELAY_MAX_MS ? AUTH_DELAY_MAX_MS : (unsigned int)delay;
}

void
auth_throttle_reset(void)
{
	memset(table, 0, sizeof(table));
	tick = 0;
}
