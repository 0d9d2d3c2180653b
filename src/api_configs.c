/*
 * api_configs.c: the wrapped JSON routes the admin UI and scripts use:
 *   GET    /api/configs                list of summaries, sorted by MAC, each with
 *                                      its schema's verdict (schemas.h); ?q=… (repeated:
 *                                      AND) only those matching (search.h)
 *   GET    /api/configs/{mac_address}  summary fields plus "content"
 *   PUT    /api/configs/{mac_address}  {"content":{...},"allow_overwrite":bool}
 *   DELETE /api/configs/{mac_address}  204
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "catalog.h"
#include "jsonbody.h"
#include "search.h"
#include "summary.h"

#define LIST_CHUNK 16384 /* bytes of list rendered before each write */

/*
 * Process-owned: the list being answered (one request at a time): its tail
 * and the buffer entries are rendered into, a chunk at a time.
 */
struct list_stream {
	const char *tail;
	struct buf *chunk;
};
static struct list_stream list_stream;

/* Streams the list from the catalog without building it in one buffer. */
static int
write_list(struct transport *tx, void *arg)
{
	const struct list_stream *ls = arg;
	struct buf *chunk = ls->chunk;
	chunk->len = 0;
	if (buf_append(chunk, "{\"configs\":[", 12) != 0)
		return -1;
	size_t n = catalog_count();
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_append(chunk, ",", 1) != 0) ||
		    catalog_append_entry(i, chunk) != 0)
			return -1;
		if (chunk->len >= LIST_CHUNK) {
			if (transport_write(tx, chunk->data, chunk->len) != 0)
				return -1;
			chunk->len = 0;
		}
	}
	if (buf_puts(chunk, ls->tail) != 0)
		return -1;
	return transport_write(tx, chunk->data, chunk->len);
}

int
api_search_from_query(struct api_ctx *ctx, struct search *s)
{
	search_init(s);
	size_t pos = 0, len;
	char term[SEARCH_TERM_MAX + 2], why[96];
	int got;
	while ((got = http_query_param(ctx->req, "q", &pos, term, sizeof term, &len)) != 0) {
		if (got < 0 || search_add(s, term, len, why, sizeof why) != 0) {
			api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Invalid search", "%s",
			              got < 0 ? "a search term is longer than 256 bytes or "
			                        "holds a NUL byte"
			                      : why);
			return -1;
		}
	}
	return 0;
}

/*
 * Does the i-th listed config match the search? It is read and, unless
 * its text rules it out at a glance, parsed and matched. A file that
 * cannot be read or parsed now (removed or replaced since the refresh)
 * does not match.
 */
static bool
listed_matches(struct api_ctx *ctx, int dirfd, const struct search *s, size_t i)
{
	char mac[MAC_CANONICAL_LEN + 1];
	catalog_mac(i, mac);
	struct store_result r;
	if (store_read(dirfd, mac, ctx->file, NULL, &r) != 0 ||
	    !search_may_match(s, ctx->file->data ? ctx->file->data : "", ctx->file->len))
		return false;
	json_object *config = NULL;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, &config, &je) != 0)
		return false;
	bool m = search_matches(s, config);
	json_object_put(config);
	return m;
}

/* The configs matching a search, in MAC order, rendered into the response body. */
static int
list_matching(struct api_ctx *ctx, int dirfd, const struct search *s)
{
	struct http_response *res = ctx->res;
	struct buf *out = res->body;
	out->len = 0;
	int rc = buf_puts(out, "{\"configs\":[");
	size_t n = catalog_count(), found = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!listed_matches(ctx, dirfd, s, i))
			continue;
		if (found++ > 0)
			rc |= buf_puts(out, ",");
		rc |= catalog_append_entry(i, out);
	}
	rc |= buf_printf(out, "],\"count\":%zu}", found);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the list");
		return -1;
	}
	res->status = 200;
	res->content_type = "application/json";
	return 0;
}

int
api_configs_matching(struct api_ctx *ctx, const struct search *s, size_t max,
                     char (**macs)[MAC_CANONICAL_LEN + 1], size_t *n)
{
	*macs = NULL;
	*n = 0;
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	const struct schemas *schemas = schemas_load(dirfd, &r);
	if (schemas == NULL || catalog_refresh(dirfd, schemas, ctx->file, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	size_t count = catalog_count();
	for (size_t i = 0; i < count; i++) {
		if (!listed_matches(ctx, dirfd, s, i))
			continue;
		if (*n == max) {
			free(*macs);
			*macs = NULL;
			*n = 0;
			close(dirfd);
			api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Too many devices",
			              "the search matches more than %zu configs; a change takes at "
			              "most that many",
			              max);
			return -1;
		}
		if (*n % 256 == 0) {
			char(*grown)[MAC_CANONICAL_LEN + 1] =
			        realloc(*macs, (*n + 256) * sizeof **macs);
			if (grown == NULL) {
				free(*macs);
				*macs = NULL;
				*n = 0;
				close(dirfd);
				api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory",
				              "searching");
				return -1;
			}
			*macs = grown;
		}
		catalog_mac(i, (*macs)[(*n)++]);
	}
	close(dirfd);
	return 0;
}

int
api_configs_list(struct api_ctx *ctx)
{
	struct search search;
	if (api_search_from_query(ctx, &search) != 0)
		return -1;
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	const struct schemas *schemas = schemas_load(dirfd, &r);
	int rc = schemas ? catalog_refresh(dirfd, schemas, ctx->file, &r) : -1;
	if (rc == 0 && search.n > 0) {
		rc = list_matching(ctx, dirfd, &search);
		close(dirfd);
		return rc;
	}
	close(dirfd);
	if (rc != 0)
		return api_store_error(ctx, &r);
	/* The tail lives in the response body buffer until the stream is written. */
	struct http_response *res = ctx->res;
	res->body->len = 0;
	size_t n = catalog_count();
	if (buf_printf(res->body, "],\"count\":%zu}", n) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the list");
		return -1;
	}
	res->status = 200;
	res->content_type = "application/json";
	list_stream.tail = res->body->data;
	list_stream.chunk = ctx->scratch;
	res->stream = write_list;
	res->stream_arg = &list_stream;
	res->stream_len = 12 + catalog_bytes() + (n > 0 ? n - 1 : 0) + res->body->len;
	return 0;
}

/* Reads and parses the config; a file that is not a JSON object is CONFIG_UNREADABLE. */
static int
load_config(struct api_ctx *ctx, struct store_file_info *info, json_object **out)
{
	*out = NULL;
	if (api_read_config(ctx, info) != 0)
		return -1;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, out, &je) != 0)
		return api_unreadable(ctx, je.message);
	return 0;
}

int
api_config_get(struct api_ctx *ctx)
{
	struct store_file_info info;
	json_object *config;
	if (load_config(ctx, &info, &config) != 0)
		return -1;
	char etag[40];
	api_etag(ctx->file, etag);
	api_validator_headers(ctx, etag, info.mtime);
	bool not_modified;
	if (api_conditional_get(ctx, etag, info.mtime, &not_modified) != 0 || not_modified) {
		json_object_put(config);
		return not_modified ? 0 : -1;
	}
	struct http_response *res = ctx->res;
	res->body->len = 0;
	int rc = summary_append_config(res->body, ctx->mac, config);
	json_object_put(config);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the config");
		return -1;
	}
	res->status = 200;
	res->content_type = "application/json";
	return 0;
}

int
api_config_put(struct api_ctx *ctx)
{
	if (!http_media_type_is(ctx->req->content_type, "application/json")) {
		api_error_set(&ctx->err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type",
		              "send Content-Type: application/json with a JSON body");
		return -1;
	}
	json_object *body;
	if (api_read_json_body(ctx, &body) != 0)
		return -1;
	json_object *content = NULL, *overwrite = NULL;
	bool allow_overwrite = true;
	int rc = -1;
	if (!json_object_object_get_ex(body, "content", &content)) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid",
		              "\"content\" is required");
	} else if (!json_object_is_type(content, json_type_object)) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid",
		              "\"content\" must be a JSON object");
	} else if (json_object_object_get_ex(body, "allow_overwrite", &overwrite) &&
	           !json_object_is_type(overwrite, json_type_boolean)) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid",
		              "\"allow_overwrite\" must be true or false");
	} else {
		if (overwrite != NULL)
			allow_overwrite = json_object_get_boolean(overwrite);
		ctx->file->len = 0;
		if (jsonbody_append_pretty(ctx->file, content) != 0)
			api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory",
			              "rendering the config");
		else
			rc = api_store_and_answer(ctx, ctx->file->data, ctx->file->len, content,
			                          allow_overwrite);
	}
	json_object_put(body);
	return rc;
}

int
api_config_delete(struct api_ctx *ctx)
{
	if (api_change_config(ctx, NULL, 0, true, NULL) != 0)
		return -1;
	ctx->res->status = 204;
	return 0;
}
