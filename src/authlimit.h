/*
 * authlimit.h: failed device authentications, counted where every process
 * of the service instance sees them (a table in the shared metrics file,
 * metrics.h), per MAC and client address together.
 *
 * Two uses:
 *   - slowing guessing down: after AUTHLIMIT_WRONG_MAX wrong secrets for
 *     one MAC from one client within a window of AUTHLIMIT_WINDOW seconds,
 *     that client's further attempts at that MAC are refused unchecked
 *     (429) until the window ends. Keyed by MAC and client together, so an
 *     attacker elsewhere can never make the device itself wait: the
 *     device's own address has a slot of its own;
 *   - logging a failure once per window per MAC and client, not once per
 *     request.
 *
 * The table is lossy by design: AUTHLIMIT_SLOTS slots, direct-mapped by a
 * keyed hash (a random seed made with the file, so nobody can aim two keys
 * at one slot), a new key taking over a slot. Losing a slot only forgets
 * failures (one more window of attempts, one more log line); it never
 * refuses anyone who has not failed. Updates are single compare-and-swaps
 * on one 64-bit word, so a process that dies mid-way leaves nothing held.
 * Several nodes sharing a directory each count their own attempts.
 */
#ifndef IOTCONFIG_AUTHLIMIT_H
#define IOTCONFIG_AUTHLIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define AUTHLIMIT_SLOTS     4096 /* a power of two */
#define AUTHLIMIT_WINDOW    60   /* seconds */
#define AUTHLIMIT_WRONG_MAX 10   /* wrong secrets per MAC and client per window */
#define AUTHLIMIT_SEED_SIZE 32

struct authlimit_slot {
	_Atomic uint64_t key;   /* authlimit_key(); 0: free */
	_Atomic uint64_t state; /* window << 32 | logged << 31 | wrong (see authlimit.c) */
};

/* The shared table; metrics.c makes its seed with the file. */
struct authlimit_table {
	uint8_t seed[AUTHLIMIT_SEED_SIZE];
	struct authlimit_slot slots[AUTHLIMIT_SLOTS];
};

/* Points the module at the table (metrics_open does, once per process). */
void authlimit_use(struct authlimit_table *table);

/* The key of a MAC (canonical) and a client address; never 0. */
uint64_t authlimit_key(const char *mac, const char *addr);

/*
 * Is the pair refused unchecked at now (seconds since the epoch)? When it
 * is, *retry_after gets the seconds until its window ends.
 */
bool authlimit_throttled(uint64_t key, int64_t now, unsigned *retry_after);

/*
 * Counts a failure at now: wrong is a secret that did not match (what
 * counts towards AUTHLIMIT_WRONG_MAX); otherwise no usable credentials,
 * or a refusal while throttled. Returns true for the first failure of the
 * pair in its window: the one to log.
 */
bool authlimit_failed(uint64_t key, int64_t now, bool wrong);

#endif
