/*
 * jsonschema_impl.h: what the two halves of the validator share, and
 * nothing else includes. jsonschema_doc.c owns the set: documents, the
 * compiled form of each schema object (a node), the names "$id" and
 * anchors give them, and "$ref" resolution. jsonschema.c evaluates an
 * instance against nodes.
 */
#ifndef IOTCONFIG_JSONSCHEMA_IMPL_H
#define IOTCONFIG_JSONSCHEMA_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "jsonschema.h"

/* The keywords a node keeps, in no particular order. */
enum js_kw {
	KW_SCHEMA,
	KW_ID,
	KW_ANCHOR,
	KW_DYNAMIC_ANCHOR,
	KW_REF,
	KW_DYNAMIC_REF,
	KW_DEFS,
	KW_DEFINITIONS,
	KW_ALL_OF,
	KW_ANY_OF,
	KW_ONE_OF,
	KW_NOT,
	KW_IF,
	KW_THEN,
	KW_ELSE,
	KW_DEPENDENT_SCHEMAS,
	KW_PREFIX_ITEMS,
	KW_ITEMS,
	KW_ADDITIONAL_ITEMS,
	KW_CONTAINS,
	KW_PROPERTIES,
	KW_PATTERN_PROPERTIES,
	KW_ADDITIONAL_PROPERTIES,
	KW_PROPERTY_NAMES,
	KW_DEPENDENCIES,
	KW_UNEVALUATED_ITEMS,
	KW_UNEVALUATED_PROPERTIES,
	KW_TYPE,
	KW_ENUM,
	KW_CONST,
	KW_MULTIPLE_OF,
	KW_MAXIMUM,
	KW_EXCLUSIVE_MAXIMUM,
	KW_MINIMUM,
	KW_EXCLUSIVE_MINIMUM,
	KW_MAX_LENGTH,
	KW_MIN_LENGTH,
	KW_PATTERN,
	KW_MAX_ITEMS,
	KW_MIN_ITEMS,
	KW_UNIQUE_ITEMS,
	KW_MAX_CONTAINS,
	KW_MIN_CONTAINS,
	KW_MAX_PROPERTIES,
	KW_MIN_PROPERTIES,
	KW_REQUIRED,
	KW_DEPENDENT_REQUIRED,
	KW_COUNT
};
_Static_assert(KW_COUNT <= 64, "presence is a 64-bit mask");

/* JSON types as "type" names them, as bits. */
enum js_type {
	JT_NULL = 1,
	JT_BOOLEAN = 2,
	JT_OBJECT = 4,
	JT_ARRAY = 8,
	JT_NUMBER = 16,
	JT_STRING = 32,
	JT_INTEGER = 64,
};

struct js_doc;

/* One schema object or boolean schema, compiled. */
struct js_node {
	json_object *schema;
	struct js_doc *doc;
	const char *base; /* its base URI, no fragment (owned by the set) */
	enum jsonschema_dialect dialect;
	int boolean;               /* -1: an object; 0: false; 1: true */
	uint64_t has;              /* bit k: keyword k is present and well formed */
	json_object *kw[KW_COUNT]; /* its value ("const": null is NULL with the bit set) */
	unsigned types;            /* "type" as js_type bits */
	pcre2_code *pattern;
	pcre2_code **pprops; /* one per patternProperties member, in order (NULL: bad) */
	size_t npprops;
	char *pointer;       /* its place in its document, a JSON Pointer */
	struct js_node *ref; /* "$ref" resolved, once ref_state is 1 */
	int ref_state;       /* 0: not yet; 1: resolved; 2: cannot be */
};

static inline int
js_has(const struct js_node *n, enum js_kw k)
{
	return (n->has >> k) & 1u;
}

/* The node of a schema value of the set (compiled on first use, with
 * the base and dialect of `like`); NULL when it is no schema or out of memory. */
struct js_node *js_node_of(struct jsonschema_set *set, json_object *schema,
                           const struct js_node *like);

/* The node n's "$ref" (or "$dynamicRef") points to; NULL when it does not resolve. */
struct js_node *js_ref_target(struct jsonschema_set *set, struct js_node *n);

/* The node an absolute URI (with fragment) names; NULL when none. */
struct js_node *js_lookup(struct jsonschema_set *set, const char *uri);

/* Regex matching (re compiled for set): 1 match, 0 no match, -1 gave up (PCRE2's limits). */
int js_regex_match(struct jsonschema_set *set, pcre2_code *re, const char *s, size_t len);

/*
 * Compiles an ECMA-262 regex as PCRE2 reads it closest, for matching in
 * set, into *re. 0: done; 1: not a regex (message in why); -1: out of
 * memory, or PCRE2 cannot be loaded (errno ELIBACC).
 */
int js_regex_compile(struct jsonschema_set *set, const char *pattern, size_t len, pcre2_code **re,
                     char *why, size_t why_len);

/* Appends "/" and the RFC 6901 escape of s[0..n) to a malloc'ed path string. */
int js_pointer_push(char **path, size_t *len, size_t *cap, const char *s, size_t n);

#endif
