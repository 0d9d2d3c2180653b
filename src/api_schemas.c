/*
 * api_schemas.c: the JSON Schema routes, and the check every config write
 * passes (api_schemas_guard, called from api_change_config):
 *   GET    /api/schemas                                  the schemas, and the rule
 *   GET    /api/schemas/{name}                           a schema's bytes
 *   PUT    /api/schemas/{name}                           store it; report the configs
 *                                                        that do not match
 *   DELETE /api/schemas/{name}                           204
 *   POST   /api/schemas/{name}/preview                   a PUT that stores nothing
 *   POST   /api/schemas/{name}/validate                  any JSON value against it
 *   GET    /api/schemas/{name}/history[/{revision}]      past versions
 *   POST   /api/schemas/{name}/history/{revision}/restore
 *   GET    /api/configs/{mac_address}/schema             the schema that applies to a
 *                                                        stored config, and its verdict
 *   POST   /api/configs/{mac_address}/validate           a candidate config's verdict
 * Schemas are stored and kept in history like configs (schemas.h): the
 * store and history modules do it, with the schema folder as directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "change.h"
#include "jsonbody.h"
#include "log.h"
#include "schemas.h"

#define REPORT_MAX_CONFIGS 1000 /* failing configs a report lists (all are counted) */
#define REPORT_MAX_ERRORS  5    /* errors shown per config in a report */

static int
answer_json(struct api_ctx *ctx, int status, json_object *doc)
{
	size_t len = 0;
	const char *text =
	        doc ? json_object_to_json_string_length(
	                      doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)
	            : NULL;
	int rc = text ? http_set_json(ctx->res, status, text, len) : -1;
	json_object_put(doc);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the answer");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

static int
out_of_memory(struct api_ctx *ctx, const char *doing)
{
	api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "%s", doing);
	return -1;
}

static json_object *
string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Up to max errors as JSON, all when max is 0. */
static json_object *
errors_json(const struct jsonschema_errors *e, size_t max)
{
	struct jsonschema_errors view = *e;
	if (max > 0 && view.n > max)
		view.n = max;
	return jsonschema_errors_json(&view);
}

/* {"schema", "valid", "error_count", "errors"} added to o. */
static void
add_verdict(json_object *o, const char *schema, int rc, const struct jsonschema_errors *e)
{
	json_object_object_add(o, "schema", string_or_null(schema));
	json_object_object_add(o, "valid", json_object_new_boolean(rc == 0));
	json_object_object_add(o, "error_count", json_object_new_int64((int64_t)e->total));
	json_object_object_add(o, "errors", errors_json(e, 0));
}

/* The config directory and the schemas in it; the caller closes *dirfd. */
static const struct schemas *
load(struct api_ctx *ctx, int *dirfd)
{
	if (api_open_dir(ctx, dirfd) != 0)
		return NULL;
	struct store_result r;
	const struct schemas *s = schemas_load(*dirfd, &r);
	if (s == NULL) {
		close(*dirfd);
		api_store_error(ctx, &r);
	}
	return s;
}

static int
no_schema(struct api_ctx *ctx)
{
	char message[120];
	snprintf(message, sizeof message, "Schema %s was not found", ctx->schema);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "no schema of that name; GET /api/schemas lists them");
	return -1;
}

/* The 400 of a value refused by a schema: every error in details.errors. */
static int
refuse(struct api_ctx *ctx, const char *message, const char *schema, struct jsonschema_errors *e)
{
	const struct jsonschema_error *first = e->n > 0 ? &e->v[0] : NULL;
	api_error_set(&ctx->err, ERR_VALIDATION_FAILED, message,
	              "%zu error%s (details.errors lists %s); the first: %.80s%s%.120s", e->total,
	              e->total == 1 ? "" : "s", e->total == e->n ? "them all" : "the first ones",
	              first ? first->instance_path : "",
	              first && first->instance_path[0] ? ": " : "", first ? first->message : "");
	if (schema != NULL)
		api_error_detail(&ctx->err, "schema", json_object_new_string(schema));
	api_error_detail(&ctx->err, "error_count", json_object_new_int64((int64_t)e->total));
	api_error_detail(&ctx->err, "errors", errors_json(e, 0));
	jsonschema_errors_clear(e);
	return -1;
}

int
api_schemas_guard(struct api_ctx *ctx, int dirfd, const char *bytes, size_t len)
{
	struct store_result r;
	const struct schemas *s = schemas_load(dirfd, &r);
	if (s == NULL)
		return api_store_error(ctx, &r);
	if (s->n == 0)
		return 0; /* no schema, nothing to check */
	json_object *config;
	struct jsonbody_error je;
	if (jsonbody_parse_object(bytes, len, &config, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Config is not a JSON object", "%s",
		              je.message);
		return -1;
	}
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	const char *name = NULL;
	int rc = schemas_check_config(s, config, &name, &e);
	json_object_put(config);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		jsonschema_errors_clear(&e);
		return out_of_memory(ctx, "validating the config");
	}
	char message[200];
	snprintf(message, sizeof message, "Config %s does not match its schema '%s'", ctx->mac,
	         name);
	log_msg(LOG_INFO, "config refused by its schema mac=%s schema=%s errors=%zu", ctx->mac,
	        name, e.total);
	return refuse(ctx, message, name, &e);
}

/* --- reports of the configs a schema change would refuse --------------------- */

struct walk {
	char (*names)[MAC_CANONICAL_LEN + 6];
	size_t n, cap;
};

static int
collect(const char *name, const struct store_file_info *info, void *arg)
{
	(void)info;
	struct walk *w = arg;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		void *v = realloc(w->names, cap * sizeof *w->names);
		if (v == NULL)
			return -1;
		w->names = v;
		w->cap = cap;
	}
	snprintf(w->names[w->n++], sizeof *w->names, "%s", name);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Every config checked against s: {"checked", "failing", "failures":
 * [{"mac_address", "schema", "error_count", "errors"}]}. A file that is not
 * a JSON object is left out (the list leaves it out too).
 */
static json_object *
config_report(struct api_ctx *ctx, int dirfd, const struct schemas *s)
{
	struct walk w = {0};
	struct store_result r;
	if (store_list(dirfd, collect, &w, &r) != 0) {
		free(w.names);
		return NULL;
	}
	if (w.n > 1)
		qsort(w.names, w.n, sizeof *w.names, by_name);
	json_object *failures = json_object_new_array();
	size_t checked = 0, failing = 0;
	for (size_t i = 0; i < w.n && failures != NULL; i++) {
		char mac[MAC_CANONICAL_LEN + 1];
		snprintf(mac, sizeof mac, "%.*s", MAC_CANONICAL_LEN, w.names[i]);
		json_object *config;
		struct jsonbody_error je;
		if (store_read(dirfd, mac, ctx->file, NULL, &r) != 0 ||
		    jsonbody_parse_object(ctx->file->data, ctx->file->len, &config, &je) != 0)
			continue;
		checked++;
		struct jsonschema_errors e;
		jsonschema_errors_init(&e);
		const char *name = NULL;
		int rc = schemas_check_config(s, config, &name, &e);
		json_object_put(config);
		if (rc != 0)
			failing++;
		if (rc != 0 && failing <= REPORT_MAX_CONFIGS) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "mac_address", json_object_new_string(mac));
			json_object_object_add(o, "schema", string_or_null(name));
			json_object_object_add(o, "error_count",
			                       json_object_new_int64((int64_t)e.total));
			json_object_object_add(o, "errors", errors_json(&e, REPORT_MAX_ERRORS));
			json_object_array_add(failures, o);
		}
		jsonschema_errors_clear(&e);
	}
	free(w.names);
	if (failures == NULL)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "checked", json_object_new_int64((int64_t)checked));
	json_object_object_add(o, "failing", json_object_new_int64((int64_t)failing));
	json_object_object_add(o, "failures", failures);
	return o;
}

/* --- the schema routes --------------------------------------------------------- */

static const char *
dialect_name(enum jsonschema_dialect d)
{
	return d == JSONSCHEMA_2020_12 ? "2020-12" : d == JSONSCHEMA_DRAFT_07 ? "draft-07" : NULL;
}

static const char *
dialect_of(const struct schemas *s, const char *name)
{
	char uri[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX];
	schemas_uri(name, uri);
	return dialect_name(jsonschema_dialect_of(s->set, uri));
}

int
api_schemas_list(struct api_ctx *ctx)
{
	int dirfd;
	const struct schemas *s = load(ctx, &dirfd);
	if (s == NULL)
		return -1;
	close(dirfd);
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < s->n && list != NULL; i++) {
		const struct schemas_entry *e = &s->v[i];
		struct jsonschema_errors p;
		jsonschema_errors_init(&p);
		int problems = e->doc ? schemas_check_schema(s, e->name, &p) : 1;
		jsonschema_errors_clear(&p);
		char saved[32];
		api_rfc3339(e->mtime_ns / 1000000000, saved);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(e->name));
		json_object_object_add(o, "etag", json_object_new_string(e->etag));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
		json_object_object_add(o, "saved_at", json_object_new_string(saved));
		json_object_object_add(o, "dialect", string_or_null(dialect_of(s, e->name)));
		json_object_object_add(o, "valid", json_object_new_boolean(problems == 0));
		json_object_array_add(list, o);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "schemas", list);
	json_object_object_add(doc, "count", json_object_new_int64((int64_t)s->n));
	json_object_object_add(
	        doc, "default_schema",
	        schemas_find(s, SCHEMAS_DEFAULT) ? json_object_new_string(SCHEMAS_DEFAULT) : NULL);
	json_object_object_add(doc, "model_property", json_object_new_string(SCHEMA_MODEL));
	json_object_object_add(doc, "base_uri", json_object_new_string(SCHEMAS_URI));
	return answer_json(ctx, 200, doc);
}

/* Opens the schema folder (creating it when create), or sets the error. */
static int
open_schemas(struct api_ctx *ctx, int dirfd, bool create, int *sfd)
{
	struct store_result r;
	if (schemas_open_dir(dirfd, create, sfd, &r) == 0)
		return 0;
	return r.status == STORE_NOT_FOUND ? no_schema(ctx) : api_store_error(ctx, &r);
}

int
api_schema_get(struct api_ctx *ctx)
{
	int dirfd, sfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = open_schemas(ctx, dirfd, false, &sfd);
	close(dirfd);
	if (rc != 0)
		return -1;
	struct store_file_info info;
	struct store_result r;
	rc = store_read(sfd, ctx->schema, ctx->file, &info, &r);
	close(sfd);
	if (rc != 0)
		return r.status == STORE_NOT_FOUND ? no_schema(ctx) : api_store_error(ctx, &r);
	char etag[40];
	api_etag(ctx->file, etag);
	api_validator_headers(ctx, etag, info.mtime);
	bool not_modified;
	if (api_conditional_get(ctx, etag, info.mtime, &not_modified) != 0)
		return -1;
	if (not_modified)
		return 0;
	return api_send_file(ctx);
}

static int
schema_change_error(struct api_ctx *ctx, const struct store_result *r,
                    const struct api_precond *pre)
{
	if (r->status == STORE_NOT_FOUND)
		return no_schema(ctx);
	if (r->status != STORE_PRECONDITION)
		return api_store_error(ctx, r);
	char message[120];
	snprintf(message, sizeof message, "Precondition failed for schema %s", ctx->schema);
	api_error_set(&ctx->err, ERR_PRECONDITION_FAILED, message, "%s",
	              pre->refused_by ? pre->refused_by : "a precondition refused the change");
	return -1;
}

/*
 * Writes (bytes != NULL) or removes ctx->schema in the schema folder under
 * its lock, with the request's preconditions, keeping the version it
 * replaces in the history.
 */
static int
schema_change(struct api_ctx *ctx, int dirfd, const char *bytes, size_t len, bool *created)
{
	int sfd;
	if (open_schemas(ctx, dirfd, bytes != NULL, &sfd) != 0)
		return -1;
	struct api_precond pre = {
	        .if_match = ctx->req->if_match,
	        .if_unmodified_since = ctx->req->if_unmodified_since,
	        .if_none_match = ctx->req->if_none_match,
	        .allow_overwrite = true,
	        .refused = ERR_NONE,
	};
	struct change_precond sp = {.check = api_precond_check,
	                            .arg = &pre,
	                            .scratch = ctx->scratch,
	                            .info = &pre.current};
	struct history_note note = {
	        .keep = ctx->settings->history_keep,
	        .user = ctx->req->remote_user,
	        .op = bytes == NULL    ? HISTORY_DELETE
	              : ctx->restoring ? HISTORY_RESTORE
	                               : HISTORY_SAVE,
	};
	struct store_result r;
	struct change_outcome out;
	int rc = change_apply(sfd, ctx->schema, bytes, len, api_precond_needed(&pre) ? &sp : NULL,
	                      &note, &out, &r);
	close(sfd);
	if (created != NULL)
		*created = out.created;
	if (rc == 0 || r.status == STORE_NOT_DURABLE)
		log_msg(LOG_INFO, "schema %s name=%s bytes=%zu user=%s replaced=%s",
		        bytes == NULL    ? "deleted"
		        : out.unchanged  ? "unchanged"
		        : ctx->restoring ? "restored"
		                         : "saved",
		        ctx->schema, len, LOG_VALUE(ctx->req->remote_user),
		        note.revision[0] ? note.revision : "-");
	return rc == 0 ? 0 : schema_change_error(ctx, &r, &pre);
}

/*
 * PUT, dry run and restore: the schema doc (bytes as given) is checked
 * within the schemas it would join; unless dry, it is stored. Either way
 * the answer reports every config that would not match.
 */
static int
schema_write(struct api_ctx *ctx, const char *bytes, size_t len, json_object *doc, bool dry)
{
	int dirfd;
	const struct schemas *s = load(ctx, &dirfd);
	if (s == NULL)
		return -1;
	bool exists = schemas_find(s, ctx->schema) != NULL;
	if (!exists && s->n >= SCHEMAS_MAX && !dry) {
		close(dirfd);
		api_error_set(&ctx->err, ERR_INSUFFICIENT_STORAGE, "No room for another schema",
		              "the directory holds %d schemas, the most it may", SCHEMAS_MAX);
		return -1;
	}
	struct schemas *with = schemas_with(s, ctx->schema, doc);
	if (with == NULL) {
		close(dirfd);
		return out_of_memory(ctx, "compiling the schemas");
	}
	struct jsonschema_errors p;
	jsonschema_errors_init(&p);
	int problems = schemas_check_schema(with, ctx->schema, &p);
	if (problems != 0) {
		schemas_free(with);
		close(dirfd);
		if (problems < 0) {
			jsonschema_errors_clear(&p);
			return out_of_memory(ctx, "checking the schema");
		}
		char message[120];
		snprintf(message, sizeof message, "Schema %s is not a valid JSON Schema",
		         ctx->schema);
		return refuse(ctx, message, NULL, &p);
	}
	bool created = !exists;
	if (!dry && schema_change(ctx, dirfd, bytes, len, &created) != 0) {
		schemas_free(with);
		close(dirfd);
		return -1;
	}
	json_object *report = config_report(ctx, dirfd, with);
	close(dirfd);
	char uri[sizeof SCHEMAS_URI + SCHEMA_NAME_MAX];
	schemas_uri(ctx->schema, uri);
	const char *dialect = dialect_name(jsonschema_dialect_of(with->set, uri));
	schemas_free(with);
	if (report == NULL)
		return out_of_memory(ctx, "checking the configs");
	struct buf stored = {.data = (char *)bytes, .len = len, .cap = len};
	char etag[40];
	api_etag(&stored, etag);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ctx->schema));
	json_object_object_add(o, "etag", json_object_new_string(etag));
	json_object_object_add(o, "dialect", string_or_null(dialect));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
	json_object_object_add(o, "created", json_object_new_boolean(created));
	json_object_object_add(o, "configs", report);
	if (!dry)
		http_header(ctx->res, "ETag", "%s", etag);
	return answer_json(ctx, !dry && created ? 201 : 200, o);
}

static int
schema_body(struct api_ctx *ctx, bool dry)
{
	json_object *doc;
	if (api_read_json_body(ctx, &doc) != 0)
		return -1;
	const struct buf *b = ctx->req->body;
	int rc = schema_write(ctx, b->data, b->len, doc, dry);
	json_object_put(doc);
	return rc;
}

int
api_schema_put(struct api_ctx *ctx)
{
	return schema_body(ctx, false);
}

int
api_schema_dry_run(struct api_ctx *ctx)
{
	return schema_body(ctx, true);
}

int
api_schema_delete(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = schema_change(ctx, dirfd, NULL, 0, NULL);
	close(dirfd);
	if (rc != 0)
		return -1;
	ctx->res->status = 204;
	return 0;
}

int
api_schema_validate(struct api_ctx *ctx)
{
	if (http_read_body(ctx->req, ctx->settings->max_body_bytes, &ctx->err) != 0)
		return -1;
	json_object *value;
	struct jsonbody_error je;
	const struct buf *b = ctx->req->body;
	if (jsonbody_parse_value(b->data ? b->data : "", b->len, &value, &je) != 0) {
		api_error_set(&ctx->err,
		              je.status == JSONBODY_NOMEM ? ERR_INTERNAL : ERR_VALIDATION_FAILED,
		              b->len == 0 ? "Request body is empty"
		                          : "Request body is not valid JSON",
		              "%s", b->len == 0 ? "send the JSON value to check" : je.message);
		return -1;
	}
	int dirfd;
	const struct schemas *s = load(ctx, &dirfd);
	if (s == NULL) {
		json_object_put(value);
		return -1;
	}
	close(dirfd);
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	int rc = schemas_check_value(s, ctx->schema, value, &e);
	json_object_put(value);
	if (rc == 2 || rc < 0) {
		jsonschema_errors_clear(&e);
		return rc == 2 ? no_schema(ctx) : out_of_memory(ctx, "validating");
	}
	json_object *o = json_object_new_object();
	add_verdict(o, ctx->schema, rc, &e);
	jsonschema_errors_clear(&e);
	return answer_json(ctx, 200, o);
}

/* --- history --------------------------------------------------------------------- */

static int
no_revision(struct api_ctx *ctx)
{
	char message[200];
	snprintf(message, sizeof message, "Revision %.40s of schema %s was not found", ctx->param,
	         ctx->schema);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "no such revision in the history (unknown, or pruned: HISTORY_KEEP=%u)",
	              ctx->settings->history_keep);
	return -1;
}

int
api_schema_history_list(struct api_ctx *ctx)
{
	int dirfd, sfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = open_schemas(ctx, dirfd, false, &sfd);
	close(dirfd);
	if (rc != 0)
		return -1;
	struct history_entry *list;
	size_t n;
	struct store_result r;
	if (history_list(sfd, ctx->schema, ctx->settings->history_keep, &list, &n, &r) != 0) {
		close(sfd);
		return r.status == STORE_NOT_FOUND ? no_schema(ctx) : api_store_error(ctx, &r);
	}
	/* No past: answer only for a schema that exists. */
	if (n == 0 && store_read(sfd, ctx->schema, ctx->file, NULL, &r) != 0) {
		free(list);
		close(sfd);
		return r.status == STORE_NOT_FOUND ? no_schema(ctx) : api_store_error(ctx, &r);
	}
	json_object *revisions = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct history_entry *e = &list[i];
		int64_t size = 0;
		if (history_read_entry(sfd, ctx->schema, e, ctx->file, &size, &r) != 0)
			continue; /* pruned meanwhile */
		char etag[40], saved[32], replaced[32];
		api_etag(ctx->file, etag);
		api_rfc3339(e->saved_at, saved);
		api_rfc3339(e->replaced_at, replaced);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "revision", json_object_new_string(e->revision));
		json_object_object_add(o, "etag", json_object_new_string(etag));
		json_object_object_add(o, "size", json_object_new_int64(size));
		json_object_object_add(o, "saved_at", json_object_new_string(saved));
		json_object_object_add(o, "replaced_at", json_object_new_string(replaced));
		json_object_object_add(o, "replaced_by",
		                       e->has_user ? json_object_new_string(e->user) : NULL);
		json_object_object_add(o, "replaced_by_operation",
		                       json_object_new_string(history_op_name(e->op)));
		/* The shape of a config's entry; no fleet change writes a schema. */
		json_object_object_add(o, "replaced_by_change",
		                       e->change[0] ? json_object_new_string(e->change) : NULL);
		json_object_array_add(revisions, o);
	}
	close(sfd);
	free(list);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "name", json_object_new_string(ctx->schema));
	json_object_object_add(doc, "count",
	                       json_object_new_int64((int64_t)json_object_array_length(revisions)));
	json_object_object_add(doc, "revisions", revisions);
	return answer_json(ctx, 200, doc);
}

/* Reads revision ctx->param of ctx->schema into ctx->file. */
static int
read_revision(struct api_ctx *ctx)
{
	if (!history_revision_valid(ctx->param))
		return no_revision(ctx);
	int dirfd, sfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = open_schemas(ctx, dirfd, false, &sfd);
	close(dirfd);
	if (rc != 0)
		return ctx->err.kind == ERR_RECORD_NOT_FOUND ? no_revision(ctx) : -1;
	struct history_entry e;
	struct store_result r;
	rc = history_read(sfd, ctx->schema, ctx->param, ctx->settings->history_keep, ctx->file, &e,
	                  &r);
	close(sfd);
	if (rc != 0)
		return r.status == STORE_NOT_FOUND || r.status == STORE_NOT_REGULAR
		               ? no_revision(ctx)
		               : api_store_error(ctx, &r);
	return 0;
}

int
api_schema_history_get(struct api_ctx *ctx)
{
	if (read_revision(ctx) != 0)
		return -1;
	return api_send_revision(ctx);
}

int
api_schema_history_restore(struct api_ctx *ctx)
{
	if (read_revision(ctx) != 0)
		return -1;
	json_object *doc;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, &doc, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Revision is not a valid schema",
		              "%s", je.message);
		return -1;
	}
	/* The bytes move to the request body buffer: config_report reads into ctx->file. */
	struct buf bytes = *ctx->req->body;
	*ctx->req->body = *ctx->file;
	*ctx->file = bytes;
	ctx->restoring = true;
	const struct buf *b = ctx->req->body;
	int rc = schema_write(ctx, b->data, b->len, doc, false);
	json_object_put(doc);
	return rc;
}

/* --- a config's schema ----------------------------------------------------------- */

int
api_config_schema(struct api_ctx *ctx)
{
	if (api_read_config(ctx, NULL) != 0)
		return -1;
	json_object *config;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, &config, &je) != 0)
		return api_unreadable(ctx, je.message);
	int dirfd;
	const struct schemas *s = load(ctx, &dirfd);
	if (s == NULL) {
		json_object_put(config);
		return -1;
	}
	close(dirfd);
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	const char *name = NULL;
	int rc = schemas_check_config(s, config, &name, &e);
	json_object *model = NULL;
	if (json_object_object_get_ex(config, SCHEMA_MODEL, &model) &&
	    !json_object_is_type(model, json_type_string))
		model = NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "mac_address", json_object_new_string(ctx->mac));
	json_object_object_add(o, "device_model", json_object_get(model));
	json_object_put(config);
	if (rc < 0) {
		json_object_put(o);
		jsonschema_errors_clear(&e);
		return out_of_memory(ctx, "validating the config");
	}
	add_verdict(o, name, rc, &e);
	const struct schemas_entry *entry = name ? schemas_find(s, name) : NULL;
	json_object_object_add(o, "schema_etag", string_or_null(entry ? entry->etag : NULL));
	json_object_object_add(o, "document", entry ? json_object_get(entry->doc) : NULL);
	jsonschema_errors_clear(&e);
	return answer_json(ctx, 200, o);
}

int
api_config_validate(struct api_ctx *ctx)
{
	json_object *config;
	if (api_read_json_body(ctx, &config) != 0)
		return -1;
	int dirfd;
	const struct schemas *s = load(ctx, &dirfd);
	if (s == NULL) {
		json_object_put(config);
		return -1;
	}
	close(dirfd);
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	const char *name = NULL;
	int rc = schemas_check_config(s, config, &name, &e);
	json_object_put(config);
	if (rc < 0) {
		jsonschema_errors_clear(&e);
		return out_of_memory(ctx, "validating the config");
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "mac_address", json_object_new_string(ctx->mac));
	add_verdict(o, name, rc, &e);
	jsonschema_errors_clear(&e);
	return answer_json(ctx, 200, o);
}
