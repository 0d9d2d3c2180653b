/*
 * search.h: searching inside configs, for GET /api/configs?q=… and for
 * the devices of a fleet change. A search is a list of terms, all of
 * which must match (AND):
 *   text            some key or some value inside the config contains the
 *                   text, ASCII letters in either case: strings by their
 *                   characters (escapes decoded), numbers as written,
 *                   true, false and null as those words;
 *   /pointer=value  the JSON Pointer (RFC 6901) names a value that is
 *                   exactly value: a string equal to it, or a number,
 *                   true, false or null written so (case counts);
 *   /pointer        the pointer names a value, whatever it is.
 * A term starting with '/' is a pointer; its first '=' ends the pointer
 * (so a key holding '=' cannot be named in one). Pure functions, no I/O;
 * fuzzed by tests/fuzz/fuzz_search.c.
 */
#ifndef IOTCONFIG_SEARCH_H
#define IOTCONFIG_SEARCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define SEARCH_TERMS_MAX 16  /* terms in one search */
#define SEARCH_TERM_MAX  256 /* bytes of one term */

struct search_term {
	bool pointer;                   /* a "/pointer[=value]" term */
	bool has_value;                 /* pointer terms: "=value" was given */
	char text[SEARCH_TERM_MAX + 1]; /* text terms: lowercased; pointer terms: the pointer */
	char value[SEARCH_TERM_MAX + 1];
	size_t text_len, value_len;
};

struct search {
	size_t n;
	struct search_term terms[SEARCH_TERMS_MAX];
};

void search_init(struct search *s);

/*
 * Adds a term (len bytes, any bytes but NUL). Returns 0, or -1 with a
 * sentence in why (an empty term, one too long, too many terms).
 */
int search_add(struct search *s, const char *term, size_t len, char *why, size_t why_len);

/* Does config (a parsed config, json-c) match every term? No terms: true. */
bool search_matches(const struct search *s, json_object *config);

/*
 * A quick look at a config's text before it is parsed: false only when
 * the config certainly does not match (a text term, or a pointer term's
 * value, is nowhere in text, which holds no escape that could spell it
 * differently). True means "parse and see".
 */
bool search_may_match(const struct search *s, const char *text, size_t len);

#endif
