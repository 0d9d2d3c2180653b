/*
 * jsonschema.h: JSON Schema validation, draft 2020-12 and draft-07, as a
 * pure function: a set of schema documents (the resolver for every "$ref"
 * between them) and an instance in, the list of every error out. Nothing
 * is fetched from a network: a "$ref" resolves only to a document added
 * to the set, or to a place inside one.
 *
 * Why our own: no C validator is packaged in Debian (valijson and
 * RapidJSON's are C++, and the service is C), and the service already
 * holds every value as a json-c tree. It covers the core and validation
 * vocabularies: type, enum, const, the numeric and string bounds,
 * pattern (ECMA-262 regexes through PCRE2, which is the closest match
 * packaged), the array, object and combining keywords, if/then/else,
 * $ref/$defs/definitions/$id/$anchor and, in 2020-12,
 * unevaluatedProperties/unevaluatedItems. "format" and the content
 * keywords are annotations, as both drafts have them by default.
 * "$dynamicRef" is not supported: it exists to extend meta-schemas, which
 * device configs do not need, and following it right needs the dynamic
 * scope of every evaluation; jsonschema_check refuses a schema using it.
 *
 * The dialect of a document is its "$schema": draft-07 for
 * "http://json-schema.org/draft-07/schema#", 2020-12 for
 * "https://json-schema.org/draft/2020-12/schema", and the set's default
 * when there is none. Numbers compare exactly by their decimal text
 * (decimal.h), so 1.0 is an integer equal to 1.
 *
 * Bounds: evaluation nesting (JSONSCHEMA_MAX_DEPTH, against "$ref" loops),
 * work per validation (JSONSCHEMA_MAX_STEPS) and PCRE2's match limit; past
 * one, the validation stops with an error saying so. At most
 * JSONSCHEMA_MAX_ERRORS errors are kept; all of them are counted.
 */
#ifndef IOTCONFIG_JSONSCHEMA_H
#define IOTCONFIG_JSONSCHEMA_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONSCHEMA_MAX_ERRORS 500
#define JSONSCHEMA_MAX_DEPTH  200
#define JSONSCHEMA_MAX_STEPS  2000000UL

enum jsonschema_dialect {
	JSONSCHEMA_2020_12 = 1,
	JSONSCHEMA_DRAFT_07 = 2,
};

/* One error. Paths are JSON Pointers (RFC 6901). */
struct jsonschema_error {
	char *instance_path; /* where in the instance ("" for the whole value) */
	char *schema_path;   /* the keyword's place, along the way evaluation took
	                        (through "$ref": ".../$ref/..."), from the schema's root */
	char *keyword;       /* "type", "required", ... ("$ref" for an unresolvable one) */
	char *message;       /* for a person */
};

struct jsonschema_errors {
	struct jsonschema_error *v; /* the first JSONSCHEMA_MAX_ERRORS */
	size_t n, cap;
	size_t total; /* all errors found, n of them kept */
};

void jsonschema_errors_init(struct jsonschema_errors *e);
void jsonschema_errors_clear(struct jsonschema_errors *e);
/* Appends an error (the strings are copied); -1: out of memory. */
int jsonschema_errors_add(struct jsonschema_errors *e, const char *instance_path,
                          const char *schema_path, const char *keyword, const char *message);
/* Errors as a JSON array of {instancePath, schemaPath, keyword, message} (a new reference). */
json_object *jsonschema_errors_json(const struct jsonschema_errors *e);

struct jsonschema_set;

/* An empty set; dialect is what a document without "$schema" is. NULL: out of memory. */
struct jsonschema_set *jsonschema_set_new(enum jsonschema_dialect dialect);
void jsonschema_set_free(struct jsonschema_set *set);

/*
 * Adds a document, known by the absolute URI uri (no fragment) and by any
 * "$id" and anchor inside it, and takes a reference to doc. Problems found
 * in it (a keyword with a value of the wrong kind, a regex that does not
 * compile, an unknown "$schema") are kept for jsonschema_check, and the
 * keyword in question is then ignored. -1: out of memory, a regex to
 * compile and PCRE2 cannot be loaded (errno ELIBACC), or uri is already
 * in the set.
 */
int jsonschema_set_add(struct jsonschema_set *set, const char *uri, json_object *doc);

/*
 * Checks the document added as uri: its own problems, and each "$ref" in
 * it, which must resolve within the set. Errors go to out, their
 * instance_path being the place in the schema. 0: none; 1: some; -1: out
 * of memory or no such document.
 */
int jsonschema_check(struct jsonschema_set *set, const char *uri, struct jsonschema_errors *out);

/* The dialect of the document added as uri (0 when there is none). */
enum jsonschema_dialect jsonschema_dialect_of(struct jsonschema_set *set, const char *uri);

/*
 * Validates instance against the schema at uri (an added document's URI,
 * possibly with a fragment), appending every error to out. 0: valid;
 * 1: invalid; -1: out of memory, or "multipleOf" needed GMP and it
 * cannot be loaded (out may then be incomplete).
 */
int jsonschema_validate(struct jsonschema_set *set, const char *uri, json_object *instance,
                        struct jsonschema_errors *out);

#endif
