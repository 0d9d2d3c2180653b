/*
 * api_patch.c: PATCH /api/configs/{mac_address} with a JSON Merge Patch
 * (RFC 7396, Content-Type: application/merge-patch+json), and the step
 * every patch of a config shares with fleet changes (api_patch_text).
 *
 * The patch is applied to the file's text (mergepatch.h), so what it does
 * not name keeps its bytes. The result is written through the one write
 * path (api_change_config_from): only if the file is still the version
 * the patch was applied to. A config changed in between is patched again
 * from its new version (a few times), unless the client sent If-Match,
 * which then no longer holds: 412. The answer is the PUT's.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "jsonbody.h"
#include "mergepatch.h"
#include "summary.h"

#define PATCH_TRIES 3 /* patches of a config that keeps changing meanwhile */

int
api_patch_text(struct api_ctx *ctx, const struct buf *current, json_object *patch, struct buf *out,
               json_object *diff, bool *changed, json_object **result)
{
	*changed = false;
	if (result != NULL)
		*result = NULL;
	json_object *config = NULL;
	struct jsonbody_error je;
	if (jsonbody_parse_object(current->data, current->len, &config, &je) != 0)
		return api_unreadable(ctx, je.message);
	json_object_put(config);
	out->len = 0;
	switch (mergepatch_apply(current->data, current->len, patch, out, diff, changed)) {
	case MERGEPATCH_OK:
		break;
	case MERGEPATCH_NOT_OBJECT:
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Merge patch is not an object",
		              "a merge patch of a config must be a JSON object; any other value "
		              "would replace the whole config (use PUT for that)");
		return -1;
	case MERGEPATCH_NOMEM:
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "applying the merge patch");
		return -1;
	}
	/* What a PUT would accept: the size bound, and RFC 8259 within our depth. */
	if (out->len > ctx->settings->max_body_bytes) {
		api_error_set(&ctx->err, ERR_PAYLOAD_TOO_LARGE, "Patched config too large",
		              "the patched config would be %zu bytes; the limit is %zu bytes "
		              "(MAX_BODY_BYTES)",
		              out->len, ctx->settings->max_body_bytes);
		return -1;
	}
	if (jsonbody_parse_object(out->data, out->len, &config, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Patched config is invalid", "%s",
		              je.message);
		return -1;
	}
	if (result != NULL)
		*result = config;
	else
		json_object_put(config);
	return 0;
}

/* The patch in the request body: a JSON object, or VALIDATION_FAILED. */
int
api_read_merge_patch(struct api_ctx *ctx, json_object **patch)
{
	*patch = NULL;
	if (http_read_body(ctx->req, ctx->settings->max_body_bytes, &ctx->err) != 0)
		return -1;
	const struct buf *body = ctx->req->body;
	struct jsonbody_error je;
	if (body->len == 0 || jsonbody_parse_value(body->data, body->len, patch, &je) != 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is not valid JSON",
		              "%s",
		              body->len == 0 ? "send a JSON merge patch (an object)" : je.message);
		return -1;
	}
	if (!json_object_is_type(*patch, json_type_object)) {
		json_object_put(*patch);
		*patch = NULL;
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Merge patch is not an object",
		              "a merge patch of a config must be a JSON object; any other value "
		              "would replace the whole config (use PUT for that)");
		return -1;
	}
	return 0;
}

/* Answers 200 in the GET shape with the ETag of bytes. */
static int
answer(struct api_ctx *ctx, const struct buf *bytes, json_object *config)
{
	char etag[40];
	api_etag(bytes, etag);
	struct http_response *res = ctx->res;
	res->body->len = 0;
	if (summary_append_config(res->body, ctx->mac, config) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the config");
		return -1;
	}
	res->status = 200;
	res->content_type = "application/json";
	http_header(res, "ETag", "%s", etag);
	return 0;
}

/* One attempt: 0 done, -1 failed, 1 the config changed meanwhile (try again). */
static int
patch_once(struct api_ctx *ctx, json_object *patch, struct buf *next)
{
	struct store_file_info info;
	if (api_read_config(ctx, &info) != 0)
		return -1;
	/* The request's own conditions, against the version the patch applies to. */
	struct api_precond pre = {
	        .if_match = ctx->req->if_match,
	        .if_unmodified_since = ctx->req->if_unmodified_since,
	        .if_none_match = ctx->req->if_none_match,
	        .current = info,
	        .allow_overwrite = true,
	};
	if (api_precond_check(ctx->file, &pre) != 0)
		return api_precond_error(ctx, &pre);
	bool changed;
	json_object *config;
	if (api_patch_text(ctx, ctx->file, patch, next, NULL, &changed, &config) != 0)
		return -1;
	int rc;
	if (!changed) {
		/* Nothing to write: the config already is what the patch asks for. */
		rc = answer(ctx, ctx->file, config);
	} else {
		char etag[40];
		api_etag(ctx->file, etag);
		rc = api_change_config_from(ctx, etag, next->data, next->len, NULL);
		if (rc != 0 && ctx->err.kind == ERR_PRECONDITION_FAILED &&
		    ctx->req->if_match == NULL) {
			ctx->err.kind = ERR_NONE;
			rc = 1;
		} else if (rc == 0) {
			rc = answer(ctx, next, config);
		}
	}
	json_object_put(config);
	return rc;
}

int
api_config_patch(struct api_ctx *ctx)
{
	if (!http_media_type_is(ctx->req->content_type, "application/merge-patch+json")) {
		api_error_set(&ctx->err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type",
		              "send Content-Type: application/merge-patch+json with a JSON merge "
		              "patch (RFC 7396)");
		return -1;
	}
	json_object *patch;
	if (api_read_merge_patch(ctx, &patch) != 0)
		return -1;
	struct buf next;
	buf_init(&next);
	int rc = 1;
	for (int i = 0; i < PATCH_TRIES && rc == 1; i++)
		rc = patch_once(ctx, patch, &next);
	if (rc == 1) {
		char message[160];
		snprintf(message, sizeof message, "Config %s kept changing", ctx->mac);
		api_error_set(&ctx->err, ERR_PRECONDITION_FAILED, message,
		              "it was changed by others %d times while the patch was applied; "
		              "nothing was written by this request",
		              PATCH_TRIES);
		rc = -1;
	}
	buf_free(&next);
	json_object_put(patch);
	return rc;
}
