/*
 * test_jsonbody.c: proves that jsonbody.c stores exactly what was sent or
 * refuses it with the precise reason. The validator accepts RFC 8259 JSON
 * (Unicode, every escape, surrogate pairs, 64-bit integer extremes,
 * "\u0000" in values) and rejects what json-c alone would accept or alter:
 * single quotes, NaN/Infinity, trailing commas, raw control characters,
 * invalid UTF-8 per RFC 3629 (overlong forms, encoded surrogates, code
 * points above U+10FFFF), lone surrogate escapes, integers beyond 64 bits,
 * infinite numbers, nesting beyond 32 levels, duplicate keys (also when
 * spelled differently), keys containing \u0000, non-object top levels,
 * empty input and trailing garbage. It also pins the exact pretty form we
 * store (json-c 0.16: 2-space indent, '/' unescaped, non-ASCII kept,
 * final newline) and that parse -> pretty -> parse keeps every value's
 * text, including float spellings and the digits of big integers.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"
#include "tap.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* Status of jsonbody_validate over text[0..len). */
static enum jsonbody_status
vstatus(const char *text, size_t len)
{
	struct jsonbody_error e;
	size_t members = 0;
	memset(&e, 0x5a, sizeof e);
	int rc = jsonbody_validate(text, len, &members, &e);
	if ((rc == 0) != (e.status == JSONBODY_OK))
		return (enum jsonbody_status) - 1; /* return code and status disagree */
	return e.status;
}

/* Status of jsonbody_parse_object; checks *out is set exactly on success. */
static enum jsonbody_status
pstatus(const char *text, size_t len)
{
	struct jsonbody_error e;
	json_object *o = (json_object *)&e; /* must be overwritten */
	memset(&e, 0x5a, sizeof e);
	int rc = jsonbody_parse_object(text, len, &o, &e);
	if (rc == 0) {
		bool ok = o != NULL && json_object_is_type(o, json_type_object);
		json_object_put(o);
		return ok ? JSONBODY_OK : (enum jsonbody_status) - 1;
	}
	if (o != NULL || e.status == JSONBODY_OK)
		return (enum jsonbody_status) - 1;
	return e.status;
}

/* n nested containers: an object, then n-1 arrays inside it. */
static char *
nested(int n)
{
	size_t len = 6 + 2 * (size_t)n + 1;
	char *s = malloc(len);
	if (s == NULL)
		abort();
	size_t o = 0;
	memcpy(s + o, "{\"a\":", 5);
	o += 5;
	for (int i = 1; i < n; i++)
		s[o++] = '[';
	for (int i = 1; i < n; i++)
		s[o++] = ']';
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

/* n nested objects {"a":{"a":...{}...}}. */
static char *
nested_objects(int n)
{
	size_t len = (size_t)n * 6 + 3;
	char *s = malloc(len);
	if (s == NULL)
		abort();
	size_t o = 0;
	for (int i = 1; i < n; i++) {
		memcpy(s + o, "{\"a\":", 5);
		o += 5;
	}
	s[o++] = '{';
	s[o++] = '}';
	for (int i = 1; i < n; i++)
		s[o++] = '}';
	s[o] = '\0';
	return s;
}

/* Pretty form of text, or NULL; *plain gets the compact json-c form. */
static char *
pretty_of(const char *text, size_t len, char **plain)
{
	json_object *o = NULL;
	struct jsonbody_error e;
	if (plain != NULL)
		*plain = NULL;
	if (jsonbody_parse_object(text, len, &o, &e) != 0)
		return NULL;
	struct buf b;
	buf_init(&b);
	if (jsonbody_append_pretty(&b, o) != 0) {
		buf_free(&b);
		json_object_put(o);
		return NULL;
	}
	if (plain != NULL)
		*plain = strdup(json_object_to_json_string_ext(
		        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return b.data;
}

int
main(void)
{
	/* --- accepted ---------------------------------------------------- */
	TAP_CHECK(vstatus(LIT("{}")) == JSONBODY_OK, "jsonbody: empty object is valid");
	TAP_CHECK(vstatus(LIT(" \t\r\n{ \"a\" : 1 } \n")) == JSONBODY_OK,
	          "jsonbody: whitespace around tokens is valid");
	TAP_CHECK(vstatus(LIT("{\"a\":[1,-2,3.5,true,false,null,\"s\",{},[]]}")) == JSONBODY_OK,
	          "jsonbody: every value type is valid");
	TAP_CHECK(vstatus(LIT("{\"name\":\"Gr\xc3\xbc\xc3\x9f"
	                      "e \xe2\x82\xac \xf0\x9f\x98\x80\"}")) == JSONBODY_OK,
	          "jsonbody: 2-, 3- and 4-byte UTF-8 is valid");
	TAP_CHECK(vstatus(LIT("{\"\xef\xbf\xbf\":\"\xf4\x8f\xbf\xbf\"}")) == JSONBODY_OK,
	          "jsonbody: U+FFFF and U+10FFFF are valid");
	TAP_CHECK(vstatus(LIT("{\"e\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uFFFD\"}")) ==
	                  JSONBODY_OK,
	          "jsonbody: every escape is valid");
	TAP_CHECK(vstatus(LIT("{\"s\":\"\\ud83d\\ude00\"}")) == JSONBODY_OK,
	          "jsonbody: surrogate pair escape is valid");
	TAP_CHECK(vstatus(LIT("{\"s\":\"\\uDBFF\\uDFFF\"}")) == JSONBODY_OK,
	          "jsonbody: highest surrogate pair (upper-case hex) is valid");
	TAP_CHECK(vstatus(LIT("{\"f\":0.1}")) == JSONBODY_OK, "jsonbody: 0.1 is valid");
	TAP_CHECK(vstatus(LIT("{\"f\":-1.5e-3,\"g\":1E+2,\"h\":0e0}")) == JSONBODY_OK,
	          "jsonbody: exponent forms are valid");
	TAP_CHECK(vstatus(LIT("{\"i\":-9223372036854775808}")) == JSONBODY_OK,
	          "jsonbody: int64 minimum is valid");
	TAP_CHECK(vstatus(LIT("{\"u\":18446744073709551615}")) == JSONBODY_OK,
	          "jsonbody: uint64 maximum is valid");
	TAP_CHECK(vstatus(LIT("{\"z\":\"a\\u0000b\"}")) == JSONBODY_OK,
	          "jsonbody: \\u0000 inside a value is valid");
	TAP_CHECK(vstatus(LIT("[1,2]")) == JSONBODY_OK,
	          "jsonbody: a top-level array is valid JSON for the validator");
	TAP_CHECK(vstatus(LIT("\"s\"")) == JSONBODY_OK,
	          "jsonbody: a top-level string is valid JSON for the validator");
	{
		size_t members = 99;
		struct jsonbody_error e;
		int rc = jsonbody_validate(LIT("{\"a\":{\"b\":1,\"c\":[{\"d\":2},{}]},\"e\":[]}"),
		                           &members, &e);
		TAP_CHECK(rc == 0 && members == 5, "jsonbody: validate counts object members");
	}
	TAP_CHECK(pstatus(LIT("{\"a\":\"\xc3\xa9\\ud83d\\ude00\",\"b\":0.1,"
	                      "\"c\":-9223372036854775808,\"d\":18446744073709551615,"
	                      "\"e\":\"x\\u0000y\"}")) == JSONBODY_OK,
	          "jsonbody: parse_object builds the tree for a valid object");

	/* --- syntax ------------------------------------------------------ */
	TAP_CHECK(vstatus(LIT("{'a':1}")) == JSONBODY_SYNTAX,
	          "jsonbody: single-quoted key is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":'x'}")) == JSONBODY_SYNTAX,
	          "jsonbody: single-quoted value is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":NaN}")) == JSONBODY_SYNTAX, "jsonbody: NaN is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":Infinity}")) == JSONBODY_SYNTAX,
	          "jsonbody: Infinity is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":-Infinity}")) == JSONBODY_SYNTAX,
	          "jsonbody: -Infinity is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1,}")) == JSONBODY_SYNTAX,
	          "jsonbody: trailing comma in an object is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":[1,]}")) == JSONBODY_SYNTAX,
	          "jsonbody: trailing comma in an array is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"x\ty\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: raw tab in a string is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"x\ny\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: raw newline in a string is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"x\x01y\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: raw control character in a string is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"x\0y\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: raw NUL byte in a string is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\x41\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: unknown escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\u12G4\"}")) == JSONBODY_SYNTAX,
	          "jsonbody: non-hex \\u escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\u12")) == JSONBODY_SYNTAX,
	          "jsonbody: truncated \\u escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"abc")) == JSONBODY_SYNTAX,
	          "jsonbody: unterminated string is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":01}")) == JSONBODY_SYNTAX,
	          "jsonbody: leading zero is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":+1}")) == JSONBODY_SYNTAX,
	          "jsonbody: leading plus is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":.5}")) == JSONBODY_SYNTAX,
	          "jsonbody: missing integer part is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1.}")) == JSONBODY_SYNTAX,
	          "jsonbody: missing fraction digits are refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1e}")) == JSONBODY_SYNTAX,
	          "jsonbody: missing exponent digits are refused");
	TAP_CHECK(vstatus(LIT("{\"a\":0x10}")) == JSONBODY_SYNTAX,
	          "jsonbody: hex number is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":True}")) == JSONBODY_SYNTAX,
	          "jsonbody: capitalised literal is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":tru}")) == JSONBODY_SYNTAX,
	          "jsonbody: truncated literal is refused");
	TAP_CHECK(vstatus(LIT("{a:1}")) == JSONBODY_SYNTAX, "jsonbody: unquoted key is refused");
	TAP_CHECK(vstatus(LIT("{\"a\" 1}")) == JSONBODY_SYNTAX,
	          "jsonbody: missing colon is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1 \"b\":2}")) == JSONBODY_SYNTAX,
	          "jsonbody: missing comma is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1/*c*/}")) == JSONBODY_SYNTAX,
	          "jsonbody: comment is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":1")) == JSONBODY_SYNTAX,
	          "jsonbody: unclosed object is refused");
	TAP_CHECK(vstatus(LIT("")) == JSONBODY_SYNTAX, "jsonbody: empty input is refused");
	TAP_CHECK(vstatus(LIT(" \n\t ")) == JSONBODY_SYNTAX,
	          "jsonbody: whitespace-only input is refused");
	TAP_CHECK(vstatus(NULL, 0) == JSONBODY_SYNTAX, "jsonbody: NULL input is refused");
	TAP_CHECK(pstatus(LIT("")) == JSONBODY_SYNTAX,
	          "jsonbody: parse_object refuses empty input as syntax");
	TAP_CHECK(vstatus(LIT("{} x")) == JSONBODY_SYNTAX,
	          "jsonbody: garbage after the value is refused");
	TAP_CHECK(vstatus(LIT("{}{}")) == JSONBODY_SYNTAX,
	          "jsonbody: a second value after the first is refused");
	TAP_CHECK(vstatus(LIT("{}\0")) == JSONBODY_SYNTAX,
	          "jsonbody: a NUL byte after the value is refused");
	TAP_CHECK(pstatus(LIT("{\"a\":1} ,")) == JSONBODY_SYNTAX,
	          "jsonbody: parse_object refuses garbage after the value");
	TAP_CHECK(pstatus(LIT("{'a':1}")) == JSONBODY_SYNTAX,
	          "jsonbody: parse_object refuses single quotes");
	{
		struct jsonbody_error e;
		size_t m;
		int rc = jsonbody_validate(LIT("{\"a\":1,}"), &m, &e);
		TAP_CHECK(rc != 0 && e.offset == 7 && strstr(e.message, "byte 7") != NULL,
		          "jsonbody: the error names the offending byte offset");
	}

	/* --- UTF-8 ------------------------------------------------------- */
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xc0\xaf\"}")) == JSONBODY_UTF8,
	          "jsonbody: overlong 2-byte UTF-8 (C0 AF) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xc1\xbf\"}")) == JSONBODY_UTF8,
	          "jsonbody: overlong 2-byte UTF-8 (C1 BF) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xe0\x80\xaf\"}")) == JSONBODY_UTF8,
	          "jsonbody: overlong 3-byte UTF-8 (E0 80 AF) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xf0\x80\x80\xaf\"}")) == JSONBODY_UTF8,
	          "jsonbody: overlong 4-byte UTF-8 (F0 80 80 AF) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xed\xa0\x80\"}")) == JSONBODY_UTF8,
	          "jsonbody: UTF-16 surrogate encoded in UTF-8 (ED A0 80) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xed\xbf\xbf\"}")) == JSONBODY_UTF8,
	          "jsonbody: low surrogate encoded in UTF-8 (ED BF BF) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xf4\x90\x80\x80\"}")) == JSONBODY_UTF8,
	          "jsonbody: code point above U+10FFFF (F4 90 80 80) is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xf5\x80\x80\x80\"}")) == JSONBODY_UTF8,
	          "jsonbody: lead byte F5 is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xff\"}")) == JSONBODY_UTF8,
	          "jsonbody: byte FF is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\x80\"}")) == JSONBODY_UTF8,
	          "jsonbody: lone continuation byte is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xc3\"}")) == JSONBODY_UTF8,
	          "jsonbody: lead byte without its continuation is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\xe2\x82")) == JSONBODY_UTF8,
	          "jsonbody: UTF-8 sequence cut by the end of input is refused");
	TAP_CHECK(vstatus(LIT("{\"\xc0\xaf\":1}")) == JSONBODY_UTF8,
	          "jsonbody: invalid UTF-8 in a key is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ud83d\"}")) == JSONBODY_UTF8,
	          "jsonbody: lone high surrogate escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ud83dx\"}")) == JSONBODY_UTF8,
	          "jsonbody: high surrogate escape followed by a character is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ud83d\\u0041\"}")) == JSONBODY_UTF8,
	          "jsonbody: high surrogate escape followed by a non-surrogate escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ud83d\\ud83d\"}")) == JSONBODY_UTF8,
	          "jsonbody: two high surrogate escapes are refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ude00\"}")) == JSONBODY_UTF8,
	          "jsonbody: lone low surrogate escape is refused");
	TAP_CHECK(vstatus(LIT("{\"a\":\"\\ude00\\ud83d\"}")) == JSONBODY_UTF8,
	          "jsonbody: reversed surrogate pair is refused");
	TAP_CHECK(pstatus(LIT("{\"a\":\"\xed\xa0\x80\"}")) == JSONBODY_UTF8,
	          "jsonbody: parse_object refuses encoded surrogates");

	/* --- numbers ----------------------------------------------------- */
	TAP_CHECK(vstatus(LIT("{\"a\":18446744073709551616}")) == JSONBODY_NUMBER,
	          "jsonbody: uint64 maximum + 1 is refused as a number");
	TAP_CHECK(vstatus(LIT("{\"a\":-9223372036854775809}")) == JSONBODY_NUMBER,
	          "jsonbody: int64 minimum - 1 is refused as a number");
	TAP_CHECK(vstatus(LIT("{\"a\":123456789012345678901234567890}")) == JSONBODY_NUMBER,
	          "jsonbody: 30-digit integer is refused as a number");
	TAP_CHECK(vstatus(LIT("{\"a\":1e400}")) == JSONBODY_NUMBER,
	          "jsonbody: 1e400 is refused as a number");
	TAP_CHECK(vstatus(LIT("{\"a\":-1.5e400}")) == JSONBODY_NUMBER,
	          "jsonbody: -1.5e400 is refused as a number");
	TAP_CHECK(pstatus(LIT("{\"a\":18446744073709551616}")) == JSONBODY_NUMBER,
	          "jsonbody: parse_object refuses integers beyond 64 bits");
	{
		struct jsonbody_error e;
		size_t m;
		int rc = jsonbody_validate(LIT("{\"a\": 1e400}"), &m, &e);
		TAP_CHECK(rc != 0 && e.offset == 6,
		          "jsonbody: a number error points at the number");
	}

	/* --- depth ------------------------------------------------------- */
	{
		char *s32 = nested(32), *s33 = nested(33);
		char *o32 = nested_objects(32), *o33 = nested_objects(33);
		TAP_CHECK(vstatus(s32, strlen(s32)) == JSONBODY_OK,
		          "jsonbody: 32 levels (object + arrays) pass validation");
		TAP_CHECK(pstatus(s32, strlen(s32)) == JSONBODY_OK,
		          "jsonbody: 32 levels (object + arrays) parse");
		TAP_CHECK(vstatus(s33, strlen(s33)) == JSONBODY_DEPTH,
		          "jsonbody: 33 levels (object + arrays) are refused as depth");
		TAP_CHECK(pstatus(o32, strlen(o32)) == JSONBODY_OK,
		          "jsonbody: 32 nested objects parse");
		TAP_CHECK(pstatus(o33, strlen(o33)) == JSONBODY_DEPTH,
		          "jsonbody: 33 nested objects are refused as depth");
		free(s32);
		free(s33);
		free(o32);
		free(o33);
		char *deep = nested(100000);
		TAP_CHECK(vstatus(deep, strlen(deep)) == JSONBODY_DEPTH,
		          "jsonbody: 100000 levels are refused without exhausting the stack");
		free(deep);
	}

	/* --- duplicates and keys ----------------------------------------- */
	TAP_CHECK(pstatus(LIT("{\"a\":1,\"a\":2}")) == JSONBODY_DUPLICATE,
	          "jsonbody: duplicate key at top level is refused");
	TAP_CHECK(pstatus(LIT("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}")) == JSONBODY_DUPLICATE,
	          "jsonbody: duplicate key in a nested object is refused");
	TAP_CHECK(pstatus(LIT("{\"x\":[{\"k\":1},{\"k\":1,\"k\":1}]}")) == JSONBODY_DUPLICATE,
	          "jsonbody: duplicate key in an object inside an array is refused");
	TAP_CHECK(pstatus(LIT("{\"a\":1,\"\\u0061\":2}")) == JSONBODY_DUPLICATE,
	          "jsonbody: \"a\" and \"\\u0061\" are a duplicate key");
	TAP_CHECK(pstatus(LIT("{\"\\/\":1,\"/\":2}")) == JSONBODY_DUPLICATE,
	          "jsonbody: \"\\/\" and \"/\" are a duplicate key");
	TAP_CHECK(pstatus(LIT("{\"a\":{\"k\":1},\"b\":{\"k\":1}}")) == JSONBODY_OK,
	          "jsonbody: the same key in sibling objects is not a duplicate");
	TAP_CHECK(pstatus(LIT("{\"a\":1,\"A\":2}")) == JSONBODY_OK,
	          "jsonbody: keys differing in case are not duplicates");
	TAP_CHECK(vstatus(LIT("{\"a\\u0000b\":1}")) == JSONBODY_NUL_KEY,
	          "jsonbody: key containing \\u0000 is refused");
	TAP_CHECK(vstatus(LIT("{\"x\":{\"\\u0000\":1}}")) == JSONBODY_NUL_KEY,
	          "jsonbody: nested key containing \\u0000 is refused");
	TAP_CHECK(pstatus(LIT("{\"a\\u0000\":1,\"a\":2}")) == JSONBODY_NUL_KEY,
	          "jsonbody: parse_object refuses a \\u0000 key before json-c truncates it");

	/* --- top level --------------------------------------------------- */
	TAP_CHECK(pstatus(LIT("[1,2]")) == JSONBODY_NOT_OBJECT,
	          "jsonbody: parse_object refuses a top-level array");
	TAP_CHECK(pstatus(LIT("\"s\"")) == JSONBODY_NOT_OBJECT,
	          "jsonbody: parse_object refuses a top-level string");
	TAP_CHECK(pstatus(LIT(" 42 ")) == JSONBODY_NOT_OBJECT,
	          "jsonbody: parse_object refuses a top-level number");
	TAP_CHECK(pstatus(LIT("null")) == JSONBODY_NOT_OBJECT,
	          "jsonbody: parse_object refuses a top-level null");
	TAP_CHECK(pstatus(LIT("\n {\"a\":1}")) == JSONBODY_OK,
	          "jsonbody: parse_object accepts an object after leading whitespace");

	/* --- pretty form -------------------------------------------------- */
	{
		char *p = pretty_of(LIT("{\"name\":\"caf\xc3\xa9 \\u00e9 \xe2\x82\xac\","
		                        "\"url\":\"http://x/y\",\"n\":[1,{\"b\":true}],"
		                        "\"e\":{},\"z\":null}"),
		                    NULL);
		TAP_STREQ(p,
		          "{\n"
		          "  \"name\": \"caf\xc3\xa9 \xc3\xa9 \xe2\x82\xac\",\n"
		          "  \"url\": \"http://x/y\",\n"
		          "  \"n\": [\n"
		          "    1,\n"
		          "    {\n"
		          "      \"b\": true\n"
		          "    }\n"
		          "  ],\n"
		          "  \"e\": {\n"
		          "  },\n"
		          "  \"z\": null\n"
		          "}\n",
		          "jsonbody: pretty form is json-c's 2-space layout, '/' unescaped, "
		          "non-ASCII kept, final newline");
		free(p);
	}
	{
		char *p = pretty_of(LIT("{}"), NULL);
		TAP_STREQ(p, "{\n}\n", "jsonbody: pretty form of an empty object");
		free(p);
	}
	{
		char *p = pretty_of(LIT("{\"q\":\"a\\\"b\\\\c\\nd\\u0001\\u0000\"}"), NULL);
		TAP_STREQ(p, "{\n  \"q\": \"a\\\"b\\\\c\\nd\\u0001\\u0000\"\n}\n",
		          "jsonbody: pretty form escapes quotes, backslashes and controls, keeps "
		          "\\u0000");
		free(p);
	}
	{
		struct buf b;
		buf_init(&b);
		buf_puts(&b, "prefix:");
		json_object *o = NULL;
		struct jsonbody_error e;
		int rc = jsonbody_parse_object(LIT("{\"a\":1}"), &o, &e);
		if (rc == 0)
			rc = jsonbody_append_pretty(&b, o);
		TAP_STREQ(rc == 0 ? b.data : NULL, "prefix:{\n  \"a\": 1\n}\n",
		          "jsonbody: pretty form is appended after existing content");
		json_object_put(o);
		buf_free(&b);
	}

	/* --- round trip --------------------------------------------------- */
	{
		static const char text[] =
		        "{\"f\":0.1,\"g\":1.0e2,\"h\":-2.50E-3,\"big\":18446744073709551615,"
		        "\"min\":-9223372036854775808,\"tiny\":1e-300,\"s\":\"\\ud83d\\ude00/\","
		        "\"nested\":{\"a\":[0.10,100,{\"z\":\"\\u0000\"}]}}";
		char *plain1 = NULL, *plain2 = NULL;
		char *pretty1 = pretty_of(text, sizeof text - 1, &plain1);
		char *pretty2 = pretty1 ? pretty_of(pretty1, strlen(pretty1), &plain2) : NULL;
		TAP_CHECK(pretty1 != NULL && pretty2 != NULL,
		          "jsonbody: the pretty form parses again");
		TAP_STREQ(plain2, plain1,
		          "jsonbody: parse -> pretty -> parse gives the same serialisation");
		TAP_STREQ(pretty2, pretty1, "jsonbody: pretty form is a fixed point");
		TAP_STREQ(plain1,
		          "{\"f\":0.1,\"g\":1.0e2,\"h\":-2.50E-3,\"big\":18446744073709551615,"
		          "\"min\":-9223372036854775808,\"tiny\":1e-300,"
		          "\"s\":\"\xf0\x9f\x98\x80/\","
		          "\"nested\":{\"a\":[0.10,100,{\"z\":\"\\u0000\"}]}}",
		          "jsonbody: float spellings and big-integer digits keep their text");
		TAP_CHECK(pretty2 != NULL && strstr(pretty2, "\"f\": 0.1,") != NULL &&
		                  strstr(pretty2, "\"g\": 1.0e2,") != NULL &&
		                  strstr(pretty2, "\"big\": 18446744073709551615,") != NULL,
		          "jsonbody: 0.1, 1.0e2 and uint64 max survive two round trips");
		free(plain1);
		free(plain2);
		free(pretty1);
		free(pretty2);
	}

	/* --- "-0" and values of any type -------------------------------------- */
	{
		json_object *o = NULL;
		struct jsonbody_error e;
		int rc = jsonbody_parse_object(
		        LIT("{\"z\":-0,\"a\":[-0, 0, -0.0],\"n\":{\"m\":-0}}"), &o, &e);
		TAP_STREQ(rc == 0 ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)
		                  : NULL,
		          "{\"z\":-0,\"a\":[-0,0,-0.0],\"n\":{\"m\":-0}}",
		          "jsonbody: an integer written -0 keeps its sign, at every depth");
		json_object *copy = NULL;
		if (rc == 0)
			json_object_deep_copy(o, &copy, NULL);
		TAP_STREQ(copy ? json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN)
		               : NULL,
		          "{\"z\":-0,\"a\":[-0,0,-0.0],\"n\":{\"m\":-0}}",
		          "jsonbody: a deep copy keeps -0 too");
		json_object_put(copy);
		json_object_put(o);
		o = NULL;
		rc = jsonbody_parse_value(LIT("1883"), &o, &e);
		TAP_STREQ(rc == 0 ? json_object_to_json_string(o) : NULL, "1883",
		          "jsonbody: a lone number is a value");
		json_object_put(o);
		o = (json_object *)&e;
		rc = jsonbody_parse_value(LIT(" null "), &o, &e);
		TAP_CHECK(rc == 0 && o == NULL, "jsonbody: null is a value, given as NULL");
		rc = jsonbody_parse_value(LIT("\"a\\u0041\""), &o, &e);
		TAP_STREQ(rc == 0 ? json_object_get_string(o) : NULL, "aA",
		          "jsonbody: a string value is decoded");
		json_object_put(o);
		rc = jsonbody_parse_value(LIT("-0"), &o, &e);
		TAP_STREQ(rc == 0 ? json_object_to_json_string(o) : NULL, "-0",
		          "jsonbody: a lone -0 keeps its sign");
		json_object_put(o);
		rc = jsonbody_parse_value(LIT("[1,]"), &o, &e);
		TAP_CHECK(rc != 0 && o == NULL && e.status == JSONBODY_SYNTAX,
		          "jsonbody: a value is validated like an object");
	}
	return tap_done();
}
