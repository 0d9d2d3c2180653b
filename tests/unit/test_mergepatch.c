/*
 * test_mergepatch.c: RFC 7396's own examples (Appendix A) give the same
 * values through mergepatch.c, and the text around what a patch names
 * stays byte for byte: numbers as written (64-bit integers, 0.1, -0.0,
 * -0, 1.50, 1e2), escapes, key order, indentation (two spaces, four,
 * tabs, one line). New members are laid out like their siblings; a
 * removed member takes one separator with it; values set to what they
 * are already change nothing; the diff names each change by JSON Pointer.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"
#include "mergepatch.h"
#include "tap.h"

/* The patched text (malloc'ed), or NULL when the patch was refused. */
static char *
patched(const char *target, const char *patch, char **diff, bool *changed)
{
	json_object *p = NULL;
	struct jsonbody_error e;
	if (jsonbody_parse_value(patch, strlen(patch), &p, &e) != 0)
		return NULL;
	json_object *d = json_object_new_array();
	struct buf out;
	buf_init(&out);
	bool ch = false;
	enum mergepatch_status st = mergepatch_apply(target, strlen(target), p, &out, d, &ch);
	json_object_put(p);
	if (changed)
		*changed = ch;
	if (diff)
		*diff = strdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	if (st != MERGEPATCH_OK) {
		buf_free(&out);
		return NULL;
	}
	if (out.data == NULL)
		return strdup("");
	return out.data;
}

/* The plain serialisation of text's value (for comparing values). */
static char *
value_of(const char *text)
{
	json_object *o = NULL;
	struct jsonbody_error e;
	if (text == NULL || jsonbody_parse_object(text, strlen(text), &o, &e) != 0)
		return NULL;
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* RFC 7396 Appendix A, objects: same value as the RFC's result, and valid JSON. */
static void
rfc_example(const char *target, const char *patch, const char *want, const char *name)
{
	char *got = patched(target, patch, NULL, NULL);
	char *gv = value_of(got);
	char *wv = value_of(want);
	TAP_STREQ(gv, wv, name);
	free(got);
	free(gv);
	free(wv);
}

static void
exact(const char *target, const char *patch, const char *want, const char *name)
{
	char *got = patched(target, patch, NULL, NULL);
	TAP_STREQ(got, want, name);
	free(got);
}

int
main(void)
{
	/* --- RFC 7396 Appendix A ---------------------------------------------- */
	rfc_example("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}", "rfc 7396 A.1: replace");
	rfc_example("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}",
	            "rfc 7396 A.2: add");
	rfc_example("{\"a\":\"b\"}", "{\"a\":null}", "{}", "rfc 7396 A.3: remove the only member");
	rfc_example("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}",
	            "rfc 7396 A.4: remove one of two");
	rfc_example("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}",
	            "rfc 7396 A.5: an array replaced by a string");
	rfc_example("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}",
	            "rfc 7396 A.6: a string replaced by an array");
	rfc_example("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	            "{\"a\":{\"b\":\"d\"}}", "rfc 7396 A.7: nested replace, null of a missing key");
	rfc_example("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}",
	            "rfc 7396 A.8: arrays are replaced whole");
	rfc_example("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}",
	            "rfc 7396 A.13: a null member of the target stays");
	rfc_example("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}",
	            "rfc 7396 A.15: nulls inside a new object are dropped");
	rfc_example("{\"a\":\"b\"}", "{\"a\":{\"x\":null,\"y\":[null]}}", "{\"a\":{\"y\":[null]}}",
	            "rfc 7396: a null inside an array is a value");
	{
		/* A.9-A.12 and A.14 replace the whole document (the patch or the
		 * target is not an object): a config stays an object. */
		const char *whole[] = {"[\"c\"]", "null", "\"bar\"", "1"};
		bool refused = true;
		for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
			char *got = patched("{\"a\":\"foo\"}", whole[i], NULL, NULL);
			refused = refused && got == NULL;
			free(got);
		}
		TAP_CHECK(refused, "rfc 7396 A.10-A.12: a patch that is not an object is refused");
	}

	/* --- exact text --------------------------------------------------------- */
	static const char pretty[] = "{\n"
	                             "  \"deviceName\": \"kitchen\",\n"
	                             "  \"big\": 9223372036854775807,\n"
	                             "  \"ubig\": 18446744073709551615,\n"
	                             "  \"min\": -9223372036854775808,\n"
	                             "  \"f\": 0.1,\n"
	                             "  \"nz\": -0.0,\n"
	                             "  \"iz\": -0,\n"
	                             "  \"t\": 1.50,\n"
	                             "  \"e\": 1e2,\n"
	                             "  \"esc\": \"caf\\u00e9 \\/ \\\"q\\\"\",\n"
	                             "  \"list\": [1, 2,   3],\n"
	                             "  \"mqtt\": {\n"
	                             "    \"broker\": \"10.0.0.1\",\n"
	                             "    \"port\": 1883\n"
	                             "  }\n"
	                             "}\n";
	{
		char *diff = NULL;
		bool changed = false;
		char *got =
		        patched(pretty, "{\"mqtt\":{\"broker\":\"10.0.20.5\"}}", &diff, &changed);
		TAP_STREQ(got,
		          "{\n"
		          "  \"deviceName\": \"kitchen\",\n"
		          "  \"big\": 9223372036854775807,\n"
		          "  \"ubig\": 18446744073709551615,\n"
		          "  \"min\": -9223372036854775808,\n"
		          "  \"f\": 0.1,\n"
		          "  \"nz\": -0.0,\n"
		          "  \"iz\": -0,\n"
		          "  \"t\": 1.50,\n"
		          "  \"e\": 1e2,\n"
		          "  \"esc\": \"caf\\u00e9 \\/ \\\"q\\\"\",\n"
		          "  \"list\": [1, 2,   3],\n"
		          "  \"mqtt\": {\n"
		          "    \"broker\": \"10.0.20.5\",\n"
		          "    \"port\": 1883\n"
		          "  }\n"
		          "}\n",
		          "exact: only the patched value's bytes change; numbers, escapes, spacing "
		          "stay");
		TAP_CHECK(changed, "exact: a change is reported as one");
		TAP_STREQ(diff,
		          "[{\"op\":\"replace\",\"path\":\"\\/mqtt\\/broker\",\"old\":\"10.0.0.1\","
		          "\"value\":\"10.0.20.5\"}]",
		          "diff: a replace names the pointer, the old and the new value");
		free(diff);
		free(got);
	}
	exact(pretty,
	      "{\"deviceName\":\"kitchen\",\"f\":0.1,\"t\":1.5,\"nz\":-0.0,\"iz\":-0,"
	      "\"esc\":\"caf\xc3\xa9 / \\\"q\\\"\",\"list\":[1,2,3],\"mqtt\":{\"port\":1883}}",
	      "{\n"
	      "  \"deviceName\": \"kitchen\",\n"
	      "  \"big\": 9223372036854775807,\n"
	      "  \"ubig\": 18446744073709551615,\n"
	      "  \"min\": -9223372036854775808,\n"
	      "  \"f\": 0.1,\n"
	      "  \"nz\": -0.0,\n"
	      "  \"iz\": -0,\n"
	      "  \"t\": 1.5,\n"
	      "  \"e\": 1e2,\n"
	      "  \"esc\": \"caf\\u00e9 \\/ \\\"q\\\"\",\n"
	      "  \"list\": [1, 2,   3],\n"
	      "  \"mqtt\": {\n"
	      "    \"broker\": \"10.0.0.1\",\n"
	      "    \"port\": 1883\n"
	      "  }\n"
	      "}\n",
	      "exact: values set to what they are keep their text (1.5 is not 1.50's text)");
	{
		bool changed = true;
		char *diff = NULL;
		char *got = patched(pretty, "{\"mqtt\":{\"port\":1883,\"gone\":null},\"x\":null}",
		                    &diff, &changed);
		TAP_CHECK(got != NULL && strcmp(got, pretty) == 0 && !changed,
		          "exact: a patch that changes nothing gives the same bytes, unchanged");
		TAP_STREQ(diff, "[]", "diff: no change, no entry");
		free(diff);
		free(got);
	}
	{
		char *diff = NULL;
		char *got = patched(pretty,
		                    "{\"mqtt\":{\"tls\":{\"ca\":\"x\",\"no\":null},\"port\":null},"
		                    "\"deviceName\":null,\"new\":[1,{\"a\":null}]}",
		                    &diff, NULL);
		TAP_STREQ(got,
		          "{\n"
		          "  \"big\": 9223372036854775807,\n"
		          "  \"ubig\": 18446744073709551615,\n"
		          "  \"min\": -9223372036854775808,\n"
		          "  \"f\": 0.1,\n"
		          "  \"nz\": -0.0,\n"
		          "  \"iz\": -0,\n"
		          "  \"t\": 1.50,\n"
		          "  \"e\": 1e2,\n"
		          "  \"esc\": \"caf\\u00e9 \\/ \\\"q\\\"\",\n"
		          "  \"list\": [1, 2,   3],\n"
		          "  \"mqtt\": {\n"
		          "    \"broker\": \"10.0.0.1\",\n"
		          "    \"tls\": {\n"
		          "      \"ca\": \"x\"\n"
		          "    }\n"
		          "  },\n"
		          "  \"new\": [\n"
		          "    1,\n"
		          "    {\n"
		          "      \"a\": null\n"
		          "    }\n"
		          "  ]\n"
		          "}\n",
		          "layout: removals take one separator, additions are laid out like "
		          "siblings");
		TAP_STREQ(diff,
		          "[{\"op\":\"add\",\"path\":\"\\/mqtt\\/tls\",\"value\":{\"ca\":\"x\"}},"
		          "{\"op\":\"remove\",\"path\":\"\\/mqtt\\/port\",\"old\":1883},"
		          "{\"op\":\"remove\",\"path\":\"\\/deviceName\",\"old\":\"kitchen\"},"
		          "{\"op\":\"add\",\"path\":\"\\/new\",\"value\":[1,{\"a\":null}]}]",
		          "diff: adds and removes in the patch's order, with pointers");
		free(diff);
		free(got);
	}
	exact("{\n    \"a\": 1,\n    \"b\": {}\n}", "{\"b\":{\"c\":{\"d\":true}},\"z\":2}",
	      "{\n    \"a\": 1,\n    \"b\": {\n        \"c\": {\n            \"d\": true\n        "
	      "}\n"
	      "    },\n    \"z\": 2\n}",
	      "layout: four-space files get four-space additions, also in an empty object");
	exact("{\n\t\"a\": 1\n}", "{\"b\":[true]}", "{\n\t\"a\": 1,\n\t\"b\": [\n\t\ttrue\n\t]\n}",
	      "layout: tab-indented files get tabs");
	exact("{\"a\":1,\"b\":2}", "{\"c\":{\"d\":[1,2]}}", "{\"a\":1,\"b\":2,\"c\":{\"d\":[1,2]}}",
	      "layout: a one-line file stays on one line, with its separators");
	exact("{ \"a\": 1, \"b\": 2 }", "{\"c\":{\"d\":3}}",
	      "{ \"a\": 1, \"b\": 2, \"c\": {\"d\": 3} }",
	      "layout: a one-line file with spaces gets spaces");
	exact("{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":null,\"b\":null}", "{\"c\":3}",
	      "layout: removing the first members keeps the rest");
	exact("{\"a\":1,\"b\":2,\"c\":3}", "{\"b\":null,\"c\":null}", "{\"a\":1}",
	      "layout: removing the last members keeps the first");
	exact("{\"a\":1,\"b\":2,\"c\":3}", "{\"c\":null,\"d\":4}", "{\"a\":1,\"b\":2,\"d\":4}",
	      "layout: a removed last member and an added one");
	exact("{\n  \"a\": 1,\n  \"b\": 2\n}", "{\"a\":null,\"b\":null,\"c\":3,\"d\":4}",
	      "{\n  \"c\": 3,\n  \"d\": 4\n}", "layout: every member replaced by new ones");
	exact("{\n  \"a\": 1\n}", "{\"a\":null}", "{}", "layout: the last member removed: {}");
	exact("{\"a\\u0062\":1,\"c\":2}", "{\"ab\":5}", "{\"a\\u0062\":5,\"c\":2}",
	      "keys: a key written with an escape is the same key");
	exact("{\"a/b\":1,\"m~n\":2}", "{\"a/b\":null}", "{\"m~n\":2}",
	      "keys: a key with a slash is matched");
	{
		char *diff = NULL;
		char *got = patched("{\"a/b\":{\"m~n\":1}}", "{\"a/b\":{\"m~n\":2}}", &diff, NULL);
		TAP_STREQ(
		        diff,
		        "[{\"op\":\"replace\",\"path\":\"\\/a~1b\\/m~0n\",\"old\":1,\"value\":2}]",
		        "diff: pointers escape / and ~ (RFC 6901)");
		free(diff);
		free(got);
	}
	exact("{\"a\":{\"b\":1}}", "{\"a\":5}", "{\"a\":5}", "replace: an object by a number");
	exact("{\"a\":1}", "{\"a\":{\"b\":null,\"c\":-0}}", "{\"a\":{\"c\":-0}}",
	      "replace: a number by an object, nulls dropped, -0 kept");
	exact("{\"a\":{\"b\":1,\"c\":2}}", "{\"a\":{\"c\":2,\"b\":1}}", "{\"a\":{\"b\":1,\"c\":2}}",
	      "same value: member order does not matter");
	exact("{\"a\":\"\\u0078\"}", "{\"a\":\"x\"}", "{\"a\":\"\\u0078\"}",
	      "same value: a string compares by characters, not escapes");
	exact("{\"a\":-0.0}", "{\"a\":0.0}", "{\"a\":0.0}",
	      "numbers: -0.0 and 0.0 are different text");
	return tap_done();
}
