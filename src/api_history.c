/*
 * api_history.c: the past versions of a config (history.h) and undo.
 *   GET  /api/configs/{mac_address}/history                       newest first
 *   GET  /api/configs/{mac_address}/history/{revision}            its exact bytes
 *   POST /api/configs/{mac_address}/history/{revision}/restore    make it current
 * A restore is a change like a PUT of those bytes: the same preconditions
 * (If-Match, If-None-Match, an optional {"allow_overwrite":false} body),
 * the same validation, and the version it replaces goes into the history.
 * A revision id that is not well formed names no revision: 404 before any
 * file is looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "jsonbody.h"
#include "summary.h"

static int
no_revision(struct api_ctx *ctx)
{
	char message[200];
	snprintf(message, sizeof message, "Revision %.40s of config %s was not found", ctx->param,
	         ctx->mac);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "no such revision in the history (unknown, or pruned: HISTORY_KEEP=%u)",
	              ctx->settings->history_keep);
	return -1;
}

/* One revision as the list shows it; reads its bytes for the ETag. */
static json_object *
revision_json(struct api_ctx *ctx, int dirfd, const struct history_entry *e)
{
	int64_t size = 0;
	struct store_result r;
	if (history_read_entry(dirfd, ctx->mac, e, ctx->file, &size, &r) != 0)
		return NULL; /* pruned meanwhile: left out */
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
	json_object_object_add(o, "replaced_by_change",
	                       e->change[0] ? json_object_new_string(e->change) : NULL);
	return o;
}

int
api_history_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct history_entry *list;
	size_t n;
	struct store_result r;
	if (history_list(dirfd, ctx->mac, ctx->settings->history_keep, &list, &n, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	if (n == 0) {
		/* No past: answer only for a MAC that has a config. */
		int rc = store_read(dirfd, ctx->mac, ctx->file, NULL, &r);
		if (rc != 0) {
			close(dirfd);
			free(list);
			return api_store_error(ctx, &r);
		}
	}
	json_object *revisions = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = revision_json(ctx, dirfd, &list[i]);
		if (o != NULL)
			json_object_array_add(revisions, o);
	}
	close(dirfd);
	free(list);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "mac_address", json_object_new_string(ctx->mac));
	size_t count = json_object_array_length(revisions);
	json_object_object_add(doc, "revisions", revisions);
	json_object_object_add(doc, "count", json_object_new_int64((int64_t)count));
	size_t len;
	const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len);
	int rc = http_set_json(ctx->res, 200, text, len);
	json_object_put(doc);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the history");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

/* Reads revision ctx->param of ctx->mac into ctx->file. */
static int
read_revision(struct api_ctx *ctx)
{
	if (!history_revision_valid(ctx->param))
		return no_revision(ctx);
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct history_entry e;
	struct store_result r;
	int rc = history_read(dirfd, ctx->mac, ctx->param, ctx->settings->history_keep, ctx->file,
	                      &e, &r);
	close(dirfd);
	/* A history file replaced by a symlink or a FIFO is no revision. */
	if (rc != 0)
		return r.status == STORE_NOT_FOUND || r.status == STORE_NOT_REGULAR
		               ? no_revision(ctx)
		               : api_store_error(ctx, &r);
	return 0;
}

int
api_history_get(struct api_ctx *ctx)
{
	if (read_revision(ctx) != 0)
		return -1;
	return api_send_revision(ctx);
}

/*
 * The optional body: {"allow_overwrite": bool}; no body means true. It is
 * application/json, as the router (origin.c) requires of every POST.
 */
static int
restore_options(struct api_ctx *ctx, bool *allow_overwrite)
{
	*allow_overwrite = true;
	const char *cl = ctx->req->content_length;
	if ((cl == NULL || strcmp(cl, "0") == 0) && ctx->req->transfer_encoding == NULL)
		return 0;
	if (http_read_body(ctx->req, ctx->settings->max_body_bytes, &ctx->err) != 0)
		return -1;
	if (ctx->req->body->len == 0)
		return 0;
	json_object *body = NULL, *overwrite = NULL;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->req->body->data, ctx->req->body->len, &body, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid", "%s",
		              je.message);
		return -1;
	}
	int rc = 0;
	if (json_object_object_get_ex(body, "allow_overwrite", &overwrite)) {
		if (!json_object_is_type(overwrite, json_type_boolean)) {
			api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid",
			              "\"allow_overwrite\" must be true or false");
			rc = -1;
		} else {
			*allow_overwrite = json_object_get_boolean(overwrite);
		}
	}
	json_object_put(body);
	return rc;
}

int
api_history_restore(struct api_ctx *ctx)
{
	bool allow_overwrite;
	if (restore_options(ctx, &allow_overwrite) != 0 || read_revision(ctx) != 0)
		return -1;
	/* What a PUT would accept: the size bound and a JSON object. */
	if (ctx->file->len > ctx->settings->max_body_bytes) {
		api_error_set(&ctx->err, ERR_PAYLOAD_TOO_LARGE, "Revision too large to restore",
		              "the revision is %zu bytes; the limit is %zu bytes (MAX_BODY_BYTES)",
		              ctx->file->len, ctx->settings->max_body_bytes);
		return -1;
	}
	json_object *config;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, &config, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Revision is not a valid config",
		              "%s", je.message);
		return -1;
	}
	/* The bytes move to the request body buffer: the response is rendered in ctx->file's. */
	struct buf bytes = *ctx->req->body;
	*ctx->req->body = *ctx->file;
	*ctx->file = bytes;
	ctx->restoring = true;
	const struct buf *b = ctx->req->body;
	int rc = api_store_and_answer(ctx, b->data, b->len, config, allow_overwrite);
	json_object_put(config);
	return rc;
}
