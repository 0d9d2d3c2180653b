/*
 * api_raw.c: what devices fetch and how their file is uploaded as is.
 *   GET /api/configs/{mac_address}.json   the stored bytes, with ETag/Last-Modified
 *   GET /esp32/config/{mac_address}.json  the same, at the old static server's path
 *   GET /api/configs/{mac_address}/file   the same for admins and the page: an
 *                                         admin route (access.h), never noted
 *   PUT /api/configs/{mac_address}.json   the body is stored byte for byte
 * A poll whose If-None-Match matches costs a 304 with headers only; the
 * other preconditions (If-Match, If-Unmodified-Since, If-Modified-Since)
 * are evaluated with it in the order of RFC 9110 section 13.2.2.
 *
 * A stored file is served only when it is a JSON object by the same rules
 * as an upload (jsonbody_parse_object: duplicate keys, numbers that cannot
 * be kept exactly and the rest are refused), so the raw routes, the
 * wrapped GET and the list agree on which files are valid.
 *
 * Process-owned state: digests of contents already found to be JSON
 * objects (raw_valid), so that the full parse is paid once per content and
 * a device polling a file that did not change does not have it parsed
 * again. They are keyed by the SHA-256 of the bytes just read, which the
 * ETag needs anyway, never by file identity: the same digest means the
 * same bytes, so a hit is exact whatever happened to the file.
 * Direct-mapped and bounded (64 KiB).
 *
 * Every fetch answered 200 or 304, and every fetch of a config that does
 * not exist (404), is handed to main.c to be noted for the fleet view
 * (checkin.h) once the answer has left; the note never changes that
 * answer. On a 304 the device holds the current ETag (If-None-Match
 * matched it, or If-Modified-Since proved it unchanged), so both note the
 * current one. A read that says it is a person's or a tool's is answered
 * the same and not noted: the query parameter `peek` or the header
 * X-Iotconfig-Peek (which the web page, its copied curl command and the
 * documented examples send), or Sec-Fetch-Mode, which browsers send on
 * their own where the page is served from a trustworthy origin. Nothing
 * of this is proof: a device can be mimicked; checkin_note.h's rule keeps
 * an unmarked read by another client from replacing the device's own.
 * The proof is the device's secret (access.h): a fetch that carried it is
 * noted as authenticated, and with DEVICE_AUTH on, a device that has one
 * gets here only with it, so nobody else's read is noted for it at all.
 */
#include <string.h>

#include "api.h"
#include "checkin.h"
#include "jsonbody.h"

#define RAW_VALID_SLOTS 2048 /* a power of two */

static struct {
	uint8_t md[RAW_VALID_SLOTS][DIGEST_SIZE];
	bool used[RAW_VALID_SLOTS];
} raw_valid;

static size_t
valid_slot(const uint8_t md[DIGEST_SIZE])
{
	return ((size_t)md[0] | (size_t)md[1] << 8) & (RAW_VALID_SLOTS - 1);
}

/* Does the request say it is a person's or a tool's read, not a device's? */
static bool
marked_not_device(const struct http_request *req)
{
	return req->sec_fetch_mode != NULL || req->peek != NULL || http_query_has(req, "peek");
}

/*
 * Hands this fetch over to be noted after the answer; etag is the quoted
 * ETag the device holds now, or NULL.
 */
static void
note_fetch(struct api_ctx *ctx, const char *etag)
{
	if (ctx->fetch == NULL || ctx->settings->checkin_interval == 0 ||
	    marked_not_device(ctx->req))
		return;
	char hex[DIGEST_HEX_LEN + 1];
	if (etag != NULL) {
		memcpy(hex, etag + 1, DIGEST_HEX_LEN); /* without the quotes */
		hex[DIGEST_HEX_LEN] = '\0';
	}
	checkin_fetch_init(ctx->fetch, ctx->mac, etag != NULL ? hex : NULL,
	                   ctx->device_authenticated, ctx->req->remote_addr, ctx->req->user_agent);
}

/* The stored bytes with their validators; device: a device's fetch, noted. */
static int
serve_file(struct api_ctx *ctx, bool device)
{
	struct store_file_info info;
	if (api_read_config(ctx, &info) != 0) {
		if (device && ctx->err.kind == ERR_RECORD_NOT_FOUND)
			note_fetch(ctx, NULL);
		return -1;
	}
	uint8_t md[DIGEST_SIZE];
	digest_sha256(ctx->file->data, ctx->file->len, md);
	size_t slot = valid_slot(md);
	bool known = raw_valid.used[slot] && memcmp(raw_valid.md[slot], md, DIGEST_SIZE) == 0;
	if (!known) {
		json_object *config;
		struct jsonbody_error je;
		if (jsonbody_parse_object(ctx->file->data, ctx->file->len, &config, &je) != 0)
			return api_unreadable(ctx, je.message);
		json_object_put(config);
	}
	memcpy(raw_valid.md[slot], md, DIGEST_SIZE);
	raw_valid.used[slot] = true;
	char etag[40];
	api_etag_of_digest(md, etag);
	api_validator_headers(ctx, etag, info.mtime);
	bool not_modified;
	if (api_conditional_get(ctx, etag, info.mtime, &not_modified) != 0)
		return -1;
	if (device)
		note_fetch(ctx, etag);
	if (not_modified)
		return 0;
	return api_send_file(ctx);
}

int
api_raw_get(struct api_ctx *ctx)
{
	return serve_file(ctx, true);
}

int
api_file_get(struct api_ctx *ctx)
{
	return serve_file(ctx, false);
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
