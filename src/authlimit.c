/*
 * authlimit.c: the table of authlimit.h.
 *
 * A slot is two words. `key` names the pair (MAC, client) that owns it.
 * `state` is the count for the current window:
 *   bits 63..32  the window: seconds since the epoch / AUTHLIMIT_WINDOW
 *   bits 31..16  a tag: the key's top 16 bits
 *   bit  15      the first failure of the window was handed out for logging
 *   bits 14..0   wrong secrets in the window (saturating)
 * The tag ties the state to its key: a pair taking over a slot stores its
 * key and then swaps the state in, and a reader that sees the new key with
 * the old state finds the old tag and takes it for an empty slot, never
 * for a count of its own. Every change is one compare-and-swap of `state`,
 * retried a few times and then given up (lossy, as the header says).
 *
 * The key is an HMAC-SHA256 of the pair under the table's seed (nettle),
 * cut to 64 bits: without the seed, nobody can pick a MAC whose key lands
 * on a device's slot and fill it with failures of their own.
 *
 * Process-owned state: which table is used (the shared one once
 * metrics_open has mapped it, else a private one).
 */
#include "authlimit.h"

#include <nettle/hmac.h>
#include <string.h>

#define WRONG_MASK 0x7fffu
#define LOGGED_BIT 0x8000u
#define TRIES      8

static struct authlimit_table authlimit_private;
static struct authlimit_table *authlimit_table = &authlimit_private;

void
authlimit_use(struct authlimit_table *table)
{
	authlimit_table = table != NULL ? table : &authlimit_private;
}

uint64_t
authlimit_key(const char *mac, const char *addr)
{
	struct hmac_sha256_ctx h;
	uint8_t md[SHA256_DIGEST_SIZE];
	const char *a = addr != NULL ? addr : "";
	hmac_sha256_set_key(&h, AUTHLIMIT_SEED_SIZE, authlimit_table->seed);
	hmac_sha256_update(&h, strlen(mac) + 1, (const uint8_t *)mac);
	hmac_sha256_update(&h, strlen(a), (const uint8_t *)a);
	hmac_sha256_digest(&h, sizeof md, md);
	uint64_t key = 0;
	for (int i = 0; i < 8; i++)
		key = key << 8 | md[i];
	return key != 0 ? key : 1;
}

static uint64_t
state_of(uint64_t window, uint64_t key, bool logged, unsigned wrong)
{
	return window << 32 | (key >> 48) << 16 | (logged ? LOGGED_BIT : 0) | (wrong & WRONG_MASK);
}

/* Is state the count of key in window? */
static bool
owns(uint64_t state, uint64_t key, uint64_t window)
{
	return state >> 32 == window && ((state >> 16) & 0xffffu) == key >> 48;
}

static struct authlimit_slot *
slot_of(uint64_t key)
{
	return &authlimit_table->slots[key & (AUTHLIMIT_SLOTS - 1)];
}

bool
authlimit_throttled(uint64_t key, int64_t now, unsigned *retry_after)
{
	struct authlimit_slot *s = slot_of(key);
	uint64_t window = (uint64_t)now / AUTHLIMIT_WINDOW;
	if (atomic_load_explicit(&s->key, memory_order_acquire) != key)
		return false;
	uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (!owns(st, key, window) || (st & WRONG_MASK) < AUTHLIMIT_WRONG_MAX)
		return false;
	*retry_after = (unsigned)(AUTHLIMIT_WINDOW - (uint64_t)now % AUTHLIMIT_WINDOW);
	return true;
}

bool
authlimit_failed(uint64_t key, int64_t now, bool wrong)
{
	struct authlimit_slot *s = slot_of(key);
	uint64_t window = (uint64_t)now / AUTHLIMIT_WINDOW;
	for (int i = 0; i < TRIES; i++) {
		uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		bool mine = atomic_load_explicit(&s->key, memory_order_acquire) == key &&
		            owns(st, key, window);
		uint64_t next;
		if (mine) {
			unsigned n = (unsigned)(st & WRONG_MASK);
			if (wrong && n < WRONG_MASK)
				n++;
			next = state_of(window, key, true, n);
		} else {
			atomic_store_explicit(&s->key, key, memory_order_release);
			next = state_of(window, key, true, wrong ? 1 : 0);
		}
		if (atomic_compare_exchange_weak_explicit(
		            &s->state, &st, next, memory_order_acq_rel, memory_order_acquire))
			return !mine || (st & LOGGED_BIT) == 0;
	}
	return false;
}
