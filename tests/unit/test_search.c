/*
 * test_search.c: what a search term matches (search.h): text inside keys
 * and values at any depth, ASCII case ignored, numbers as written, the
 * words true/false/null; JSON Pointers with and without a value, with
 * RFC 6901 escapes and array indexes; AND of terms; the bounds on terms;
 * and that the quick look at the text never rules out a config that
 * matches (escapes in the text make it say "parse and see").
 */
#include <string.h>

#include "jsonbody.h"
#include "search.h"
#include "tap.h"

static const char config_text[] =
        "{\"deviceName\":\"Kitchen Light\",\"mqtt\":{\"broker\":\"mqtts://10.0.20.5\","
        "\"port\":8883,\"tls\":true},\"pins\":[4,{\"gpio\":12.50}],\"a/b\":{\"m~n\":\"x\"},"
        "\"nothing\":null,\"esc\":\"\\u004Bey\",\"neg\":-0}";

/* Does the config match the terms (NULL-terminated)? */
static bool
match(const char *const *terms)
{
	struct search s;
	search_init(&s);
	char why[96];
	for (; *terms; terms++)
		if (search_add(&s, *terms, strlen(*terms), why, sizeof why) != 0)
			return false;
	json_object *o = NULL;
	struct jsonbody_error e;
	if (jsonbody_parse_object(config_text, sizeof config_text - 1, &o, &e) != 0)
		return false;
	bool m = search_matches(&s, o);
	bool may = search_may_match(&s, config_text, sizeof config_text - 1);
	json_object_put(o);
	return m && may; /* the quick look must never rule out a match */
}

#define MATCH(...) match((const char *const[]){__VA_ARGS__, NULL})

int
main(void)
{
	TAP_CHECK(MATCH("kitchen"), "text: a value, another case");
	TAP_CHECK(MATCH("DEVICENAME"), "text: a key, another case");
	TAP_CHECK(MATCH("10.0.20"), "text: inside a nested value");
	TAP_CHECK(MATCH("883"), "text: a number as written");
	TAP_CHECK(MATCH("12.50"), "text: a float as written, trailing zero and all");
	TAP_CHECK(MATCH("gpio"), "text: a key inside an array's object");
	TAP_CHECK(MATCH("true"), "text: true");
	TAP_CHECK(MATCH("null"), "text: null");
	TAP_CHECK(MATCH("key"), "text: a string written with an escape, by its characters");
	TAP_CHECK(MATCH("-0"), "text: -0 as written");
	TAP_CHECK(!MATCH("12.5,"), "text: no match across values");
	TAP_CHECK(!MATCH("bedroom"), "text: no match");
	TAP_CHECK(MATCH("/mqtt/port=8883"), "pointer: a number by its text");
	TAP_CHECK(!MATCH("/mqtt/port=8884"), "pointer: another number");
	TAP_CHECK(MATCH("/deviceName=Kitchen Light"), "pointer: a string exactly");
	TAP_CHECK(!MATCH("/deviceName=kitchen light"), "pointer: case counts");
	TAP_CHECK(!MATCH("/deviceName=Kitchen"), "pointer: a part is not the value");
	TAP_CHECK(MATCH("/mqtt/tls=true"), "pointer: true");
	TAP_CHECK(MATCH("/nothing=null"), "pointer: null");
	TAP_CHECK(MATCH("/nothing"), "pointer: a null member exists");
	TAP_CHECK(MATCH("/pins/1/gpio=12.50"), "pointer: through an array index");
	TAP_CHECK(MATCH("/a~1b/m~0n=x"), "pointer: ~1 and ~0 (RFC 6901)");
	TAP_CHECK(MATCH("/esc=Key"), "pointer: an escaped string by its characters");
	TAP_CHECK(!MATCH("/mqtt=x"), "pointer: an object is no scalar value");
	TAP_CHECK(!MATCH("/mqtt/nope"), "pointer: a missing member");
	TAP_CHECK(MATCH("/mqtt"), "pointer: an object exists");
	TAP_CHECK(MATCH("kitchen", "/mqtt/port=8883", "TLS"), "and: all terms match");
	TAP_CHECK(!MATCH("kitchen", "/mqtt/port=1883"), "and: one term fails");
	{
		struct search s;
		search_init(&s);
		char why[96] = "";
		TAP_CHECK(search_add(&s, "", 0, why, sizeof why) != 0 && why[0] != '\0',
		          "bounds: an empty term is refused, with a reason");
		char big[SEARCH_TERM_MAX + 2];
		memset(big, 'a', sizeof big);
		TAP_CHECK(search_add(&s, big, sizeof big, why, sizeof why) != 0,
		          "bounds: a term over the limit is refused");
		TAP_CHECK(search_add(&s, big, SEARCH_TERM_MAX, why, sizeof why) == 0,
		          "bounds: a term at the limit is taken");
		TAP_CHECK(search_add(&s, "a\0b", 3, why, sizeof why) != 0,
		          "bounds: a NUL byte is refused");
		int added = 1;
		while (search_add(&s, "x", 1, why, sizeof why) == 0)
			added++;
		TAP_CHECK(added == SEARCH_TERMS_MAX, "bounds: at most SEARCH_TERMS_MAX terms");
	}
	{
		struct search s;
		search_init(&s);
		char why[96];
		search_add(&s, "Broker", 6, why, sizeof why);
		static const char plain[] = "{\"a\":\"b\"}";
		static const char escaped[] = "{\"a\":\"\\u0042roker\"}";
		TAP_CHECK(!search_may_match(&s, plain, sizeof plain - 1),
		          "quick look: text without the term and without escapes is ruled out");
		TAP_CHECK(search_may_match(&s, escaped, sizeof escaped - 1),
		          "quick look: text with an escape is parsed");
	}
	return tap_done();
}
