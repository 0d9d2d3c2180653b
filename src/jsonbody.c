/*
 * jsonbody.c: RFC 8259 validator plus the json-c glue around it.
 *
 * The validator is a recursive-descent recogniser bounded by
 * JSONBODY_MAX_DEPTH, so its stack use is fixed; it never allocates. It
 * checks what json-c does not (see jsonbody.h): UTF-8 per RFC 3629 section
 * 4 (no overlong forms, no surrogates, nothing above U+10FFFF), escape
 * pairs per RFC 8259 section 7, integers within int64/uint64 and finite
 * numbers per section 6, and counts object members so that duplicate keys,
 * which json-c folds together, show up as a smaller count in the tree.
 */
#include "jsonbody.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const unsigned char *p;
	const unsigned char *start;
	const unsigned char *end;
	size_t members;
	size_t neg_zeros; /* integers written "-0", which json-c reads as 0 */
	struct jsonbody_error *e;
};

static int
fail(struct scan *s, enum jsonbody_status st, const char *what)
{
	size_t off = (size_t)(s->p - s->start);
	s->e->status = st;
	s->e->offset = off;
	snprintf(s->e->message, sizeof s->e->message, "%s at byte %zu", what, off);
	return -1;
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(struct scan *s, unsigned *out)
{
	if (s->end - s->p < 4)
		return fail(s, JSONBODY_SYNTAX, "truncated \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s->p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return fail(s, JSONBODY_SYNTAX, "invalid \\u escape");
		v = (v << 4) | d;
	}
	s->p += 4;
	*out = v;
	return 0;
}

/* One UTF-8 sequence starting at s->p (first byte >= 0x80), RFC 3629 table. */
static int
utf8_seq(struct scan *s)
{
	const unsigned char *p = s->p;
	size_t left = (size_t)(s->end - p);
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c == 0xe0) {
		n = 3;
		lo = 0xa0;
	} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
		n = 3;
	} else if (c == 0xed) {
		n = 3;
		hi = 0x9f; /* excludes UTF-16 surrogates */
	} else if (c == 0xf0) {
		n = 4;
		lo = 0x90;
	} else if (c >= 0xf1 && c <= 0xf3) {
		n = 4;
	} else if (c == 0xf4) {
		n = 4;
		hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return fail(s, JSONBODY_UTF8, "invalid UTF-8 byte");
	}
	if (left < n)
		return fail(s, JSONBODY_UTF8, "truncated UTF-8 sequence");
	if (p[1] < lo || p[1] > hi)
		return fail(s, JSONBODY_UTF8, "invalid UTF-8 sequence");
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return fail(s, JSONBODY_UTF8, "invalid UTF-8 sequence");
	s->p += n;
	return 0;
}

static int
scan_string(struct scan *s, bool is_key)
{
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(s, JSONBODY_SYNTAX, "control character in string");
		if (c >= 0x80) {
			if (utf8_seq(s) != 0)
				return -1;
			continue;
		}
		if (c != '\\') {
			s->p++;
			continue;
		}
		s->p++;
		if (s->p >= s->end)
			break;
		c = *s->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			continue;
		case 'u':
			break;
		default:
			s->p--;
			return fail(s, JSONBODY_SYNTAX, "invalid escape in string");
		}
		unsigned cp;
		if (hex4(s, &cp) != 0)
			return -1;
		if (cp == 0 && is_key)
			return fail(s, JSONBODY_NUL_KEY, "object key contains \\u0000");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(s, JSONBODY_UTF8, "lone low surrogate escape");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
				return fail(s, JSONBODY_UTF8,
				            "high surrogate escape without its pair");
			s->p += 2;
			unsigned low;
			if (hex4(s, &low) != 0)
				return -1;
			if (low < 0xdc00 || low > 0xdfff)
				return fail(s, JSONBODY_UTF8,
				            "high surrogate escape without its pair");
		}
	}
	return fail(s, JSONBODY_SYNTAX, "unterminated string");
}

/* Integer text must fit int64 when negative, uint64 otherwise. */
static bool
integer_fits(const unsigned char *start, size_t len)
{
	char tmp[24];
	if (len >= sizeof tmp)
		return false;
	memcpy(tmp, start, len);
	tmp[len] = '\0';
	errno = 0;
	char *end = NULL;
	if (tmp[0] == '-')
		(void)strtoll(tmp, &end, 10); /* only the range check matters */
	else
		(void)strtoull(tmp, &end, 10);
	return errno == 0 && end == tmp + len;
}

static bool
float_finite(const unsigned char *start, size_t len)
{
	char tmp[512];
	if (len >= sizeof tmp)
		return false;
	memcpy(tmp, start, len);
	tmp[len] = '\0';
	double d = strtod(tmp, NULL);
	return isfinite(d);
}

static int
scan_number(struct scan *s)
{
	const unsigned char *start = s->p;
	bool is_int = true;
	if (*s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return fail(s, JSONBODY_SYNTAX, "truncated number");
	if (*s->p == '0') {
		s->p++;
	} else if (*s->p >= '1' && *s->p <= '9') {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	} else {
		return fail(s, JSONBODY_SYNTAX, "invalid number");
	}
	if (s->p < s->end && *s->p == '.') {
		is_int = false;
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, JSONBODY_SYNTAX, "digit expected after decimal point");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		is_int = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, JSONBODY_SYNTAX, "digit expected in exponent");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	size_t len = (size_t)(s->p - start);
	if (is_int && len == 2 && start[0] == '-')
		s->neg_zeros++;
	if (is_int && !integer_fits(start, len)) {
		s->p = start;
		return fail(s, JSONBODY_NUMBER, "integer outside the 64-bit range");
	}
	if (!is_int && !float_finite(start, len)) {
		s->p = start;
		return fail(s, JSONBODY_NUMBER, "number too large or too long to keep exactly");
	}
	return 0;
}

static int
scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, JSONBODY_SYNTAX, "invalid literal");
	s->p += n;
	return 0;
}

static int scan_value(struct scan *s, int depth);

static int
scan_object(struct scan *s, int depth)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			return fail(s, JSONBODY_SYNTAX, "object key expected");
		if (scan_string(s, true) != 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return fail(s, JSONBODY_SYNTAX, "':' expected");
		s->p++;
		if (scan_value(s, depth) != 0)
			return -1;
		s->members++;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return fail(s, JSONBODY_SYNTAX, "',' or '}' expected");
	}
}

static int
scan_array(struct scan *s, int depth)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (scan_value(s, depth) != 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return fail(s, JSONBODY_SYNTAX, "',' or ']' expected");
	}
}

static int
scan_value(struct scan *s, int depth)
{
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, JSONBODY_SYNTAX, "value expected");
	switch (*s->p) {
	case '{':
		if (depth >= JSONBODY_MAX_DEPTH)
			return fail(s, JSONBODY_DEPTH, "nesting deeper than 32 levels");
		return scan_object(s, depth + 1);
	case '[':
		if (depth >= JSONBODY_MAX_DEPTH)
			return fail(s, JSONBODY_DEPTH, "nesting deeper than 32 levels");
		return scan_array(s, depth + 1);
	case '"':
		return scan_string(s, false);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return fail(s, JSONBODY_SYNTAX, "unexpected character");
	}
}

/* jsonbody_validate, also counting the "-0" integers into *neg_zeros. */
static int
validate(const char *text, size_t len, size_t *members, size_t *neg_zeros, struct jsonbody_error *e)
{
	struct scan s = {
	        .p = (const unsigned char *)text,
	        .start = (const unsigned char *)text,
	        .end = (const unsigned char *)text + len,
	        .members = 0,
	        .neg_zeros = 0,
	        .e = e,
	};
	e->status = JSONBODY_OK;
	e->offset = 0;
	e->message[0] = '\0';
	if (text == NULL) {
		s.p = s.end = s.start;
		return fail(&s, JSONBODY_SYNTAX, "empty body");
	}
	if (scan_value(&s, 0) != 0)
		return -1;
	skip_ws(&s);
	if (s.p != s.end)
		return fail(&s, JSONBODY_SYNTAX, "unexpected data after the JSON value");
	*members = s.members;
	*neg_zeros = s.neg_zeros;
	return 0;
}

int
jsonbody_validate(const char *text, size_t len, size_t *members, struct jsonbody_error *e)
{
	size_t neg_zeros;
	return validate(text, len, members, &neg_zeros, e);
}

/* Members in the tree json-c built; fewer than in the text means duplicates. */
static size_t
tree_members(json_object *o)
{
	size_t n = 0;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, child)
		{
			(void)key;
			n += 1 + tree_members(child);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		size_t len = json_object_array_length(o);
		for (size_t i = 0; i < len; i++)
			n += tree_members(json_object_array_get_idx(o, i));
	}
	return n;
}

/* Whitespace of validated text. */
static const char *
skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A validated string token: returns the byte after its closing quote. */
static const char *
skip_string_token(const char *p)
{
	for (p++; *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

/*
 * Walks validated text and the tree json-c built from it side by side
 * (objects keep their members in the order of the text, as duplicates are
 * refused) and gives each integer written "-0" a serializer that writes it
 * so: json-c keeps every other number's text (int64, uint64, and doubles
 * with their original string), but reads "-0" as the integer 0.
 */
static const char *
restore_neg_zeros(const char *p, json_object *o)
{
	p = skip_blank(p);
	if (*p == '{') {
		p = skip_blank(p + 1);
		struct lh_entry *e = lh_table_head(json_object_get_object(o));
		while (*p != '}') {
			p = skip_blank(skip_string_token(p)) + 1; /* the key and ':' */
			p = skip_blank(restore_neg_zeros(p, (json_object *)lh_entry_v(e)));
			e = lh_entry_next(e);
			if (*p == ',')
				p = skip_blank(p + 1);
		}
		return p + 1;
	}
	if (*p == '[') {
		p = skip_blank(p + 1);
		for (size_t i = 0; *p != ']'; i++) {
			p = skip_blank(restore_neg_zeros(p, json_object_array_get_idx(o, i)));
			if (*p == ',')
				p = skip_blank(p + 1);
		}
		return p + 1;
	}
	if (*p == '"')
		return skip_string_token(p);
	const char *start = p;
	while (*p != '\0' && strchr("-+.0123456789eEtrufalsn", *p) != NULL)
		p++;
	if (p - start == 2 && start[0] == '-' && start[1] == '0') {
		char *text = strdup("-0");
		if (text != NULL)
			json_object_set_serializer(o, json_object_userdata_to_json_string, text,
			                           json_object_free_userdata);
	}
	return p;
}

/*
 * Process-owned: one tokener, made at the first parse and reset for each
 * one after, instead of allocated and freed per parse; it keeps the
 * buffer of the longest string it has read until jsonbody_release().
 */
static struct json_tokener *jsonbody_tok;

void
jsonbody_release(void)
{
	if (jsonbody_tok != NULL)
		json_tokener_free(jsonbody_tok);
	jsonbody_tok = NULL;
}

/*
 * Builds the tree of validated text (members: its object member count,
 * neg_zeros: its integers written -0); a JSON null is *out == NULL.
 */
static int
build_tree(const char *text, size_t len, size_t members, size_t neg_zeros, json_object **out,
           struct jsonbody_error *e)
{
	/* Depth margin: our own limit above is the binding one. */
	struct json_tokener *tok = jsonbody_tok;
	if (tok == NULL) {
		tok = json_tokener_new_ex(JSONBODY_MAX_DEPTH + 2);
		if (tok == NULL) {
			e->status = JSONBODY_NOMEM;
			snprintf(e->message, sizeof e->message, "out of memory");
			return -1;
		}
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		jsonbody_tok = tok;
	}
	json_tokener_reset(tok);
	json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) /* a top-level number: its end is the text's */
		obj = json_tokener_parse_ex(tok, "", 1);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		e->status = JSONBODY_SYNTAX;
		snprintf(e->message, sizeof e->message, "invalid JSON: %s",
		         json_tokener_error_desc(jerr));
		return -1;
	}
	if (tree_members(obj) != members) {
		json_object_put(obj);
		e->status = JSONBODY_DUPLICATE;
		snprintf(e->message, sizeof e->message, "an object repeats a key");
		return -1;
	}
	if (neg_zeros > 0 && obj != NULL) {
		/* The walk reads up to a NUL: a copy ends the text with one. */
		char *copy = strndup(text, len);
		if (copy == NULL) {
			json_object_put(obj);
			e->status = JSONBODY_NOMEM;
			snprintf(e->message, sizeof e->message, "out of memory");
			return -1;
		}
		restore_neg_zeros(copy, obj);
		free(copy);
	}
	*out = obj;
	return 0;
}

int
jsonbody_parse_object(const char *text, size_t len, json_object **out, struct jsonbody_error *e)
{
	*out = NULL;
	size_t members = 0, neg_zeros = 0;
	if (validate(text, len, &members, &neg_zeros, e) != 0)
		return -1;
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i >= len || text[i] != '{') {
		e->status = JSONBODY_NOT_OBJECT;
		e->offset = i;
		snprintf(e->message, sizeof e->message, "the JSON value is not an object");
		return -1;
	}
	return build_tree(text, len, members, neg_zeros, out, e);
}

int
jsonbody_parse_value(const char *text, size_t len, json_object **out, struct jsonbody_error *e)
{
	*out = NULL;
	size_t members = 0, neg_zeros = 0;
	if (validate(text, len, &members, &neg_zeros, e) != 0)
		return -1;
	return build_tree(text, len, members, neg_zeros, out, e);
}

int
jsonbody_append_pretty(struct buf *out, json_object *obj)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(
	        obj,
	        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
	        &n);
	if (s == NULL)
		return -1;
	if (buf_append(out, s, n) != 0)
		return -1;
	return buf_append(out, "\n", 1);
}
