/*
 * test_authlimit.c: the table of failed device authentications
 * (authlimit.c). Keys differ by MAC, by client and by seed and are never
 * 0; a pair is throttled after AUTHLIMIT_WRONG_MAX wrong secrets in a
 * window, not before, not for failures without a secret, not for another
 * client of the same MAC nor another MAC of the same client, and not in
 * the next window; Retry-After counts to the window's end; only the first
 * failure of a pair in a window is handed out for logging; a pair taking
 * over a slot starts from nothing.
 */
#include <string.h>

#include "authlimit.h"
#include "tap.h"

static struct authlimit_table table_a, table_b;

int
main(void)
{
	memset(table_a.seed, 1, sizeof table_a.seed);
	memset(table_b.seed, 2, sizeof table_b.seed);
	authlimit_use(&table_a);
	const char *mac = "aa-bb-cc-dd-ee-ff";
	uint64_t k = authlimit_key(mac, "192.0.2.1");
	uint64_t other_client = authlimit_key(mac, "192.0.2.2");
	uint64_t other_mac = authlimit_key("aa-bb-cc-dd-ee-fe", "192.0.2.1");
	TAP_CHECK(k != 0 && k != other_client && k != other_mac &&
	                  k == authlimit_key(mac, "192.0.2.1"),
	          "authlimit: the key depends on MAC and client, and on nothing else");
	authlimit_use(&table_b);
	TAP_CHECK(authlimit_key(mac, "192.0.2.1") != k, "authlimit: another seed, other keys");
	authlimit_use(&table_a);

	int64_t t = 6000000; /* the start of a window */
	unsigned retry = 0;
	bool log_first = authlimit_failed(k, t, true);
	bool log_more = false, early = false;
	for (int i = 1; i < AUTHLIMIT_WRONG_MAX - 1; i++) {
		log_more |= authlimit_failed(k, t + 1, true);
		early |= authlimit_throttled(k, t + 1, &retry);
	}
	TAP_CHECK(log_first && !log_more, "authlimit: only a pair's first failure in a window is "
	                                  "logged");
	for (int i = 0; i < 5; i++)
		authlimit_failed(k, t + 2, false);
	TAP_CHECK(!early && !authlimit_throttled(k, t + 2, &retry),
	          "authlimit: fewer wrong secrets than the limit, and failures without one, do "
	          "not throttle");
	authlimit_failed(k, t + 3, true);
	TAP_CHECK(authlimit_throttled(k, t + 10, &retry) && retry == AUTHLIMIT_WINDOW - 10,
	          "authlimit: the limit's wrong secret throttles the pair until the window ends");
	TAP_CHECK(!authlimit_throttled(other_client, t + 10, &retry) &&
	                  !authlimit_throttled(other_mac, t + 10, &retry),
	          "authlimit: the same MAC from another client, and another MAC, go on");
	TAP_CHECK(!authlimit_throttled(k, t + AUTHLIMIT_WINDOW, &retry) &&
	                  authlimit_failed(k, t + AUTHLIMIT_WINDOW, true),
	          "authlimit: the next window starts afresh, and logs again");

	/* Another key on the same slot takes it over from nothing. */
	uint64_t same_slot = (k & (AUTHLIMIT_SLOTS - 1)) | 0x1234000000000000ull;
	for (int i = 0; i < AUTHLIMIT_WRONG_MAX; i++)
		authlimit_failed(k, t + 2 * AUTHLIMIT_WINDOW, true);
	TAP_CHECK(authlimit_throttled(k, t + 2 * AUTHLIMIT_WINDOW, &retry) &&
	                  !authlimit_throttled(same_slot, t + 2 * AUTHLIMIT_WINDOW, &retry) &&
	                  authlimit_failed(same_slot, t + 2 * AUTHLIMIT_WINDOW, true) &&
	                  !authlimit_throttled(same_slot, t + 2 * AUTHLIMIT_WINDOW, &retry),
	          "authlimit: a pair taking over a slot does not inherit its count");
	return tap_done();
}
