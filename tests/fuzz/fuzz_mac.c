/*
 * fuzz_mac.c: libFuzzer harness for the MAC grammar (src/mac.h). Any byte
 * string goes to mac_normalise; when it is accepted, the result must be a
 * canonical name that the directory listing recognises, normalising it
 * again must give itself, and it must spell the same six bytes as the
 * input. Independently, every name mac_is_config_filename accepts must be
 * the canonical form of its own MAC.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "mac.h"

static void
check_accepted(const uint8_t *in, const char *out)
{
	FUZZ_CHECK(strlen(out) == MAC_CANONICAL_LEN, "canonical MAC has 17 characters");
	char name[MAC_CANONICAL_LEN + 6];
	memcpy(name, out, MAC_CANONICAL_LEN);
	memcpy(name + MAC_CANONICAL_LEN, ".json", 6);
	FUZZ_CHECK(mac_is_config_filename(name, MAC_CANONICAL_LEN + 5),
	           "canonical MAC + .json is a config file name");

	char again[MAC_CANONICAL_LEN + 1];
	FUZZ_CHECK(mac_normalise(out, MAC_CANONICAL_LEN, again), "canonical form is accepted");
	FUZZ_CHECK(memcmp(again, out, sizeof again) == 0, "normalising is idempotent");

	static const char digits[] = "0123456789abcdef";
	uint64_t want = 0;
	for (size_t i = 0; i < MAC_CANONICAL_LEN; i++) {
		if (i % 3 == 2) {
			FUZZ_CHECK(in[i] == ':' || in[i] == '-', "separator was ':' or '-'");
			FUZZ_CHECK(in[i] == in[2], "one separator throughout");
			continue;
		}
		FUZZ_CHECK(isxdigit(in[i]), "only hex digits are accepted");
		FUZZ_CHECK(out[i] == tolower(in[i]), "digit kept, lowercased");
		want = (want << 4) | (uint64_t)(strchr(digits, out[i]) - digits);
	}
	FUZZ_CHECK(mac_value(out) == want, "mac_value is the 48-bit number");
	FUZZ_CHECK(mac_value(name) == want, "mac_value reads a file name too");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MAC_CANONICAL_LEN + 1];
	if (mac_normalise((const char *)data, size, out))
		check_accepted(data, out);

	if (mac_is_config_filename((const char *)data, size)) {
		char canon[MAC_CANONICAL_LEN + 1];
		FUZZ_CHECK(mac_normalise((const char *)data, MAC_CANONICAL_LEN, canon),
		           "a config file name starts with a valid MAC");
		FUZZ_CHECK(memcmp(canon, data, MAC_CANONICAL_LEN) == 0,
		           "a config file name is already canonical");
	}
	return 0;
}
