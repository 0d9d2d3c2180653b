/*
 * jsonbody.h: strict JSON for request bodies and stored files.
 *
 * json-c builds the tree, but even in its strict mode it accepts text that
 * RFC 8259 forbids (single quotes, NaN, raw control characters, overlong
 * UTF-8), silently clamps integers beyond 64 bits, replaces lone surrogate
 * escapes, truncates keys at \u0000 and keeps only the last of duplicate
 * keys. Each of those would store something other than what was sent, so
 * a small validator runs first and rejects them with a precise reason.
 */
#ifndef IOTCONFIG_JSONBODY_H
#define IOTCONFIG_JSONBODY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define JSONBODY_MAX_DEPTH 32 /* arrays + objects, counted from the top level */

enum jsonbody_status {
	JSONBODY_OK = 0,
	JSONBODY_SYNTAX,     /* not RFC 8259 JSON */
	JSONBODY_UTF8,       /* invalid UTF-8 or lone surrogate escape */
	JSONBODY_DEPTH,      /* nested deeper than JSONBODY_MAX_DEPTH */
	JSONBODY_NUMBER,     /* number that cannot be kept exactly */
	JSONBODY_DUPLICATE,  /* an object repeats a key */
	JSONBODY_NUL_KEY,    /* key containing \u0000 */
	JSONBODY_NOT_OBJECT, /* top-level value is not an object */
	JSONBODY_NOMEM,
};

struct jsonbody_error {
	enum jsonbody_status status;
	size_t offset;     /* byte offset of the problem in the text */
	char message[160]; /* human sentence naming the problem and offset */
};

/*
 * Checks text[0..len) without allocating. On success stores the total
 * number of object members in *members (used to detect duplicate keys
 * after json-c has built the tree) and returns 0; otherwise fills *e.
 */
int jsonbody_validate(const char *text, size_t len, size_t *members, struct jsonbody_error *e);

/*
 * Validates, then builds the tree with json-c. The top-level value must be
 * an object. On success *out owns one reference; on failure *out is NULL.
 */
int jsonbody_parse_object(const char *text, size_t len, json_object **out,
                          struct jsonbody_error *e);

/*
 * The same for any JSON value (a null value gives *out NULL). Numbers keep
 * their text when serialised again (json-c keeps int64 and uint64 exact
 * and the string of each double; an integer written "-0" gets its own
 * serializer).
 */
int jsonbody_parse_value(const char *text, size_t len, json_object **out, struct jsonbody_error *e);

/* Frees the parser's buffers (the next parse makes them again): for an idle process. */
void jsonbody_release(void);

/* Appends the pretty form we store: 2-space indent, '/' unescaped, final newline. */
int jsonbody_append_pretty(struct buf *out, json_object *obj);

#endif
