/*
 * test_mac.c: proves the MAC grammar of mac.c. mac_normalise accepts
 * exactly six two-digit hex groups in any letter case, separated
 * throughout by ':' or throughout by '-', and always produces the one
 * canonical lowercase hyphen form; everything else (wrong length, non-hex,
 * mixed or missing separators, "..", "/", an embedded NUL counted in len,
 * trailing characters) is refused, so no request can name a file outside
 * the config directory. mac_is_config_filename accepts only
 * "<canonical>.json", and mac_value orders MACs exactly as their canonical
 * names sort, which is what the list relies on; mac_from_value writes the
 * canonical name back from a value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"
#include "tap.h"

/* Normalises a NUL-terminated string; returns the canonical form or NULL. */
static const char *
norm(const char *in)
{
	static char out[MAC_CANONICAL_LEN + 1];
	memset(out, 'X', sizeof out);
	return mac_normalise(in, strlen(in), out) ? out : NULL;
}

/* True when mac_normalise refuses exactly len bytes of in. */
static int
refused(const char *in, size_t len)
{
	char out[MAC_CANONICAL_LEN + 1];
	return !mac_normalise(in, len, out);
}

static int
cmp_value(const void *a, const void *b)
{
	uint64_t x = mac_value(*(const char *const *)a);
	uint64_t y = mac_value(*(const char *const *)b);
	return (x > y) - (x < y);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(void)
{
	/* accepted forms, canonical output */
	TAP_STREQ(norm("AA:BB:CC:DD:EE:FF"), "aa-bb-cc-dd-ee-ff",
	          "mac: upper case with ':' becomes canonical");
	TAP_STREQ(norm("aa:bb:cc:dd:ee:ff"), "aa-bb-cc-dd-ee-ff",
	          "mac: lower case with ':' becomes canonical");
	TAP_STREQ(norm("aA:Bb:cC:09:eE:f0"), "aa-bb-cc-09-ee-f0",
	          "mac: mixed letter case becomes canonical");
	TAP_STREQ(norm("AA-BB-CC-DD-EE-FF"), "aa-bb-cc-dd-ee-ff",
	          "mac: upper case with '-' becomes canonical");
	TAP_STREQ(norm("aa-bb-cc-dd-ee-ff"), "aa-bb-cc-dd-ee-ff",
	          "mac: canonical form is a fixed point");
	TAP_STREQ(norm("00:11:22:33:44:55"), "00-11-22-33-44-55", "mac: digits are kept");
	{
		char out[MAC_CANONICAL_LEN + 1];
		memset(out, 'X', sizeof out);
		bool ok = mac_normalise("01:23:45:67:89:AB", 17, out);
		TAP_CHECK(ok && out[MAC_CANONICAL_LEN] == '\0' && strlen(out) == MAC_CANONICAL_LEN,
		          "mac: output is NUL-terminated at 17 characters");
	}
	{
		/* len bounds the input: characters after len are not looked at */
		char out[MAC_CANONICAL_LEN + 1];
		TAP_CHECK(mac_normalise("aa:bb:cc:dd:ee:ffZZZ", 17, out) &&
		                  strcmp(out, "aa-bb-cc-dd-ee-ff") == 0,
		          "mac: only len bytes of the input are read");
	}

	/* refused forms */
	TAP_CHECK(norm("aa:bb:cc:dd:ee:f") == NULL, "mac: one digit short is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:fff") == NULL, "mac: one digit too many is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee") == NULL, "mac: five groups are refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:ff:00") == NULL, "mac: seven groups are refused");
	TAP_CHECK(norm("gg:bb:cc:dd:ee:ff") == NULL, "mac: non-hex letter is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:f ") == NULL, "mac: space instead of a digit is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:+f") == NULL, "mac: sign character is refused");
	TAP_CHECK(norm("aa:bb-cc:dd:ee:ff") == NULL, "mac: mixed separators are refused");
	TAP_CHECK(norm("aa-bb-cc-dd-ee:ff") == NULL,
	          "mac: mixed separators are refused (last one differs)");
	TAP_CHECK(norm("aa.bb.cc.dd.ee.ff") == NULL, "mac: '.' separator is refused");
	TAP_CHECK(norm("aa_bb_cc_dd_ee_ff") == NULL, "mac: '_' separator is refused");
	TAP_CHECK(norm("aa/bb/cc/dd/ee/ff") == NULL, "mac: '/' separator is refused");
	TAP_CHECK(norm("aabb:ccdd:eeff:00") == NULL, "mac: wrongly grouped separators are refused");
	TAP_CHECK(norm("") == NULL, "mac: empty string is refused");
	TAP_CHECK(refused("", 0), "mac: zero length is refused");
	TAP_CHECK(refused(NULL, 17), "mac: NULL input is refused");
	TAP_CHECK(norm("..") == NULL, "mac: \"..\" is refused");
	TAP_CHECK(norm("/") == NULL, "mac: \"/\" is refused");
	TAP_CHECK(norm("../../etc/passwd") == NULL, "mac: a path is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee/..") == NULL,
	          "mac: 17 characters ending in a dot segment are refused");
	TAP_CHECK(norm(".................") == NULL, "mac: 17 dots are refused");
	TAP_CHECK(refused("aa:bb:cc\0dd:ee:ff", 17), "mac: embedded NUL covered by len is refused");
	TAP_CHECK(refused("aa:bb:cc:dd:ee:f\0", 17), "mac: trailing NUL covered by len is refused");
	TAP_CHECK(norm("aabbccddeeff") == NULL,
	          "mac: 12 hex digits without separators are refused");
	TAP_CHECK(norm("aabbccddeeff00000") == NULL,
	          "mac: 17 hex digits without separators are refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:ff ") == NULL, "mac: trailing space is refused");
	TAP_CHECK(norm("aa:bb:cc:dd:ee:ff\n") == NULL, "mac: trailing newline is refused");
	TAP_CHECK(norm(" aa:bb:cc:dd:ee:ff") == NULL, "mac: leading space is refused");
	TAP_CHECK(norm("aa-bb-cc-dd-ee-ff.json") == NULL, "mac: trailing \".json\" is refused");
	TAP_CHECK(refused("aa:bb:cc:dd:ee:ff", 16), "mac: len one short is refused");
	TAP_CHECK(refused("aa:bb:cc:dd:ee:ff", 18), "mac: len one long is refused");
	TAP_CHECK(norm("a\xc3\xa1:bb:cc:dd:ee:f") == NULL, "mac: non-ASCII bytes are refused");

	/* config file names */
	TAP_CHECK(mac_is_config_filename("aa-bb-cc-dd-ee-ff.json", 22),
	          "mac: canonical name + .json is a config file name");
	TAP_CHECK(mac_is_config_filename("00-11-22-33-44-55.json", 22),
	          "mac: digits-only canonical name is a config file name");
	TAP_CHECK(!mac_is_config_filename("AA-BB-CC-DD-EE-FF.json", 22),
	          "mac: upper-case file name is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa:bb:cc:dd:ee:ff.json", 22),
	          "mac: ':' file name is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-ff.JSON", 22),
	          "mac: upper-case extension is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-ff.jsonx", 23),
	          "mac: longer extension is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-ff.jso", 21),
	          "mac: shorter extension is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-ff", 17),
	          "mac: bare MAC is not a config file name");
	TAP_CHECK(!mac_is_config_filename(".aa-bb-cc-dd-ee-ff.lock", 23),
	          "mac: lock file is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-ffxjson", 22),
	          "mac: missing dot before json is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc-dd-ee-fg.json", 22),
	          "mac: non-hex in the name is not a config file name");
	TAP_CHECK(!mac_is_config_filename("aa-bb-cc\0dd-ee-ff.json", 22),
	          "mac: embedded NUL is not a config file name");
	TAP_CHECK(!mac_is_config_filename("", 0), "mac: empty name is not a config file name");

	/* sort key */
	TAP_CHECK(mac_value("00-00-00-00-00-00") == 0, "mac: value of all zeros is 0");
	TAP_CHECK(mac_value("ff-ff-ff-ff-ff-ff") == 0xffffffffffffull,
	          "mac: value of all ff is 2^48-1");
	TAP_CHECK(mac_value("01-23-45-67-89-ab") == 0x0123456789abull,
	          "mac: value reads the groups big-endian");
	TAP_CHECK(mac_value("aa-bb-cc-dd-ee-ff.json") == mac_value("aa-bb-cc-dd-ee-ff"),
	          "mac: value of a config file name equals the value of its MAC");
	{
		const char *by_value[] = {
		        "ff-00-00-00-00-00", "00-00-00-00-00-01", "0a-00-00-00-00-00",
		        "00-00-00-00-01-00", "a0-00-00-00-00-00", "00-00-00-00-00-00",
		        "00-ff-ff-ff-ff-ff", "01-00-00-00-00-00", "aa-bb-cc-dd-ee-ff",
		        "aa-bb-cc-dd-ee-fe", "09-ff-ff-ff-ff-ff", "ff-ff-ff-ff-ff-ff",
		};
		enum { N = sizeof by_value / sizeof *by_value };
		const char *by_name[N];
		memcpy(by_name, by_value, sizeof by_value);
		qsort(by_value, N, sizeof *by_value, cmp_value);
		qsort(by_name, N, sizeof *by_name, cmp_name);
		int same = 1;
		for (size_t i = 0; i < N; i++)
			same &= strcmp(by_value[i], by_name[i]) == 0;
		TAP_CHECK(same, "mac: sorting by value is sorting by canonical name");
		int distinct = 1;
		for (size_t i = 1; i < N; i++)
			distinct &= mac_value(by_value[i - 1]) < mac_value(by_value[i]);
		TAP_CHECK(distinct, "mac: distinct MACs have distinct values");
	}
	{
		char out[MAC_CANONICAL_LEN + 1];
		memset(out, 'X', sizeof out);
		mac_from_value(0x0123456789abull, out);
		TAP_STREQ(out, "01-23-45-67-89-ab", "mac: from value writes the canonical form");
		mac_from_value(0, out);
		TAP_STREQ(out, "00-00-00-00-00-00", "mac: from value of 0");
		mac_from_value(0xffffffffffffull, out);
		TAP_STREQ(out, "ff-ff-ff-ff-ff-ff", "mac: from value of 2^48-1");
		/* Every digit position with every digit value, back and forth. */
		int round_trip = 1;
		for (int pos = 0; pos < 12; pos++)
			for (uint64_t d = 0; d < 16; d++) {
				uint64_t v = (d << (4 * pos)) |
				             (0x5a5a5a5a5a5aull & ~(15ull << (4 * pos)));
				mac_from_value(v, out);
				char again[MAC_CANONICAL_LEN + 1];
				round_trip &= mac_normalise(out, strlen(out), again) &&
				              strcmp(out, again) == 0 && mac_value(out) == v;
			}
		TAP_CHECK(round_trip,
		          "mac: from value is canonical and reads back as the same value");
	}
	return tap_done();
}
