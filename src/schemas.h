/*
 * schemas.h: the service's JSON Schemas and which one applies to a config.
 *
 * Schemas live in the config directory, so every node sharing it sees the
 * same ones, in a hidden folder laid out like the config directory itself,
 * so that the store's atomic writes and locks and the history serve it
 * unchanged:
 *   .schemas/<name>.json          a schema, as stored by PUT
 *   .schemas/.<name>.lock, temps  as for configs (store.h)
 *   .schemas/.history/<name>/     its past versions (history.h)
 * A name is 1 to SCHEMA_NAME_MAX characters of [a-z0-9._-], starting with
 * a letter or digit.
 *
 * The schema that applies to a config: the one named by the config's
 * top-level string "deviceModel" when a schema of that name exists, else
 * the schema named "default" when it exists, else none (the config is
 * then accepted as it is). The config's bytes are never changed for it.
 * Each schema's base URI is iotconfig:/schemas/<name>, so "$ref":
 * "common#/$defs/wifi" in one reaches the schema "common"; nothing else
 * is ever resolved, and nothing fetched.
 *
 * Process-owned state: the schemas as last read and compiled
 * (schemas_cache). schemas_load reads the folder again at every call and
 * compiles again only when a name or a byte changed (by digest), so a
 * change made by any process or node is seen at the next request.
 */
#ifndef IOTCONFIG_SCHEMAS_H
#define IOTCONFIG_SCHEMAS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "digest.h"
#include "jsonschema.h"
#include "store.h"

#define SCHEMAS_DIR     ".schemas"
#define SCHEMA_NAME_MAX 32
#define SCHEMAS_DEFAULT "default"
#define SCHEMAS_URI     "iotconfig:/schemas/"
#define SCHEMAS_MAX     256 /* schemas a directory may hold */
#define SCHEMA_MODEL    "deviceModel"

bool schemas_name_valid(const char *name);

/* "iotconfig:/schemas/<name>" into out. */
void schemas_uri(const char *name, char out[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX]);

/*
 * Opens .schemas in the config directory dirfd, creating it when create
 * is set; STORE_NOT_FOUND when it is missing and create is not.
 */
int schemas_open_dir(int dirfd, bool create, int *sfd, struct store_result *r);

struct schemas_entry {
	char name[SCHEMA_NAME_MAX + 1];
	json_object *doc; /* NULL when the file is not a JSON object */
	char why[160];    /* then: why */
	char etag[40];    /* quoted, of its exact bytes */
	size_t size;
	int64_t mtime_ns;
};

struct schemas {
	char version[DIGEST_HEX_LEN + 1]; /* digest of every name and ETag */
	struct schemas_entry *v;          /* by name */
	size_t n;
	struct jsonschema_set *set; /* every readable schema, as SCHEMAS_URI<name> */
};

/*
 * The schemas as they are in the directory now (none when .schemas is
 * missing). Owned by the cache: valid until the next call. NULL on a
 * storage failure (*r) or when out of memory (STORE_IO, ENOMEM).
 */
const struct schemas *schemas_load(int dirfd, struct store_result *r);

/* The entry named name, or NULL. */
const struct schemas_entry *schemas_find(const struct schemas *s, const char *name);

/*
 * The schemas with name replaced by doc (added when new), or removed when
 * doc is NULL: what a change would make them, for checks and dry runs.
 * A new value of its own (schemas_free it); NULL when out of memory.
 */
struct schemas *schemas_with(const struct schemas *s, const char *name, json_object *doc);
void schemas_free(struct schemas *s);

/* The name of the schema that applies to config (see above), or NULL. */
const char *schemas_applicable(const struct schemas *s, json_object *config);

/*
 * Validates config against the schema that applies; *name (may be NULL)
 * gets its name or NULL. 0: valid (or no schema applies); 1: invalid, the
 * errors in out; -1: out of memory.
 */
int schemas_check_config(const struct schemas *s, json_object *config, const char **name,
                         struct jsonschema_errors *out);

/*
 * Validates any value against the schema name. 0 valid, 1 invalid, -1 out
 * of memory; 2 when there is no such schema.
 */
int schemas_check_value(const struct schemas *s, const char *name, json_object *value,
                        struct jsonschema_errors *out);

/* The problems of schema name itself within s (jsonschema_check). */
int schemas_check_schema(const struct schemas *s, const char *name, struct jsonschema_errors *out);

/* Drops the cache (tests). */
void schemas_clear(void);

#endif
