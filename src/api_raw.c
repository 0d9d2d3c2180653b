/*
 * api_raw.c: what devices fetch and how their file is uploaded as is.
 *   GET /api/configs/{mac}.json   the stored bytes, with ETag/Last-Modified
 *   GET /esp32/config/{mac}.json  the same, at the old static server's path
 *   PUT /api/configs/{mac}.json   the body is stored byte for byte
 * A poll whose If-None-Match matches costs a 304 with headers only.
 */
#include <stdio.h>

#include "api.h"
#include "jsonbody.h"

/* Is the text a JSON object by the same rules as an upload? No allocation. */
static bool
is_json_object(const struct buf *text, struct jsonbody_error *je)
{
	size_t members;
	if (jsonbody_validate(text->data, text->len, &members, je) != 0)
		return false;
	size_t i = 0;
	while (i < text->len && (text->data[i] == ' ' || text->data[i] == '\t' ||
				 text->data[i] == '\n' || text->data[i] == '\r'))
		i++;
	if (i < text->len && text->data[i] == '{')
		return true;
	snprintf(je->message, sizeof je->message, "the JSON value is not an object");
	return false;
}

int
api_raw_get(struct api_ctx *ctx)
{
	struct store_file_info info;
	if (api_read_config(ctx, &info) != 0)
		return -1;
	struct jsonbody_error je;
	if (!is_json_object(ctx->file, &je))
		return api_unreadable(ctx, je.message);
	char etag[40];
	api_etag(ctx->file, etag);
	api_validator_headers(ctx, etag, info.mtime);
	if (api_not_modified(ctx, etag, info.mtime))
		return 0;
	/* Hand the file buffer to the response: swap instead of copying. */
	struct buf tmp = *ctx->res->body;
	*ctx->res->body = *ctx->file;
	*ctx->file = tmp;
	ctx->res->status = 200;
	ctx->res->content_type = "application/json";
	return 0;
}

int
api_raw_put(struct api_ctx *ctx)
{
	const char *ct = ctx->req->content_type;
	if (ct != NULL && ct[0] != '\0' && !http_media_type_is(ct, "application/json")) {
		api_error_set(&ctx->err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type",
			      "send Content-Type: application/json, or no Content-Type, with the "
			      "raw config object");
		return -1;
	}
	json_object *config;
	if (api_read_json_body(ctx, &config) != 0)
		return -1;
	const struct buf *body = ctx->req->body;
	int rc = api_store_and_answer(ctx, body->data, body->len, config, true);
	json_object_put(config);
	return rc;
}
