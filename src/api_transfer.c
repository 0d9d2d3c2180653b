/*
 * api_transfer.c: the whole fleet out and in (tarball.h).
 *   GET  /api/export   a .tar.gz of every config exactly as stored, one
 *                      <mac>.json per device, streamed as it is made
 *   POST /api/import   such an archive (or a tar of a config directory):
 *                      ?dry_run=true previews, per device; otherwise each
 *                      config is written through the one write path and
 *                      the import is one fleet change (api_fleet.h), undone
 *                      as one; ?existing=overwrite replaces configs that
 *                      differ, the default (skip) leaves them alone.
 * The archive is read whole, and refused whole, before anything is
 * written. Its bounds follow MAX_BODY_BYTES (a config may be that large):
 * the upload and the configs together at most IMPORT_FACTOR times it (and
 * IMPORT_BYTES_MAX), the decompressed stream BOMB_FACTOR times it (and
 * BOMB_MAX), which bounds the work a gzip bomb can cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_fleet.h"
#include "catalog.h"
#include "jsonbody.h"
#include "log.h"
#include "schemas.h"
#include "tarball.h"

#define IMPORT_FACTOR      64u                         /* upload, config bytes: x MAX_BODY_BYTES, */
#define IMPORT_BYTES_MAX   (256u * 1024 * 1024)        /* but at most this */
#define BOMB_FACTOR        1024u                       /* decompressed: x MAX_BODY_BYTES, */
#define BOMB_MAX           (4ull * 1024 * 1024 * 1024) /* but at most this */
#define IMPORT_MAX_ENTRIES 1000000u /* entries of any kind (a directory's history too) */

/* --- export ------------------------------------------------------------------ */

/* Process-owned: the export being sent (one request at a time). */
static struct export_stream {
	const char *dir;
	struct buf *file;
} export_stream;

static int
to_transport(const void *p, size_t n, void *arg)
{
	return transport_write(arg, p, n);
}

/* Writes the archive of every config listed at the request's start. */
static int
write_export(struct transport *tx, void *arg)
{
	struct export_stream *es = arg;
	struct tarball_writer *w = tarball_writer_open(to_transport, tx);
	struct store_result r;
	int dirfd = -1;
	int rc = w != NULL && store_open_dir(es->dir, &dirfd, &r) == 0 ? 0 : -1;
	size_t n = catalog_count(), written = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char mac[MAC_CANONICAL_LEN + 1], name[MAC_CANONICAL_LEN + 6];
		catalog_mac(i, mac);
		struct store_file_info info;
		if (store_read(dirfd, mac, es->file, &info, &r) != 0) {
			if (r.status == STORE_NOT_FOUND)
				continue; /* deleted since the list was made */
			log_msg(LOG_ERROR, "export failed mac=%s op=\"%s\" status=\"%s\"", mac,
			        r.op ? r.op : "read", store_status_text(r.status));
			rc = -1;
			break;
		}
		snprintf(name, sizeof name, "%s.json", mac);
		rc = tarball_writer_add(w, name, es->file->data, es->file->len,
		                        (time_t)(info.mtime_ns / 1000000000), store_file_mode());
		written++;
	}
	if (w != NULL && tarball_writer_close(w, rc) != 0)
		rc = -1;
	if (dirfd >= 0)
		close(dirfd);
	if (rc != 0)
		log_msg(LOG_ERROR, "export ended early after %zu configs: the archive is truncated",
		        written);
	else
		log_msg(LOG_INFO, "export configs=%zu", written);
	return rc;
}

int
api_export(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	const struct schemas *schemas = schemas_load(dirfd, &r);
	int rc = schemas ? catalog_refresh(dirfd, schemas, ctx->file, &r) : -1;
	close(dirfd);
	if (rc != 0)
		return api_store_error(ctx, &r);
	struct http_response *res = ctx->res;
	res->status = 200;
	res->content_type = "application/gzip";
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	http_header(res, "Content-Disposition", "attachment; filename=\"iotconfig-%s.tar.gz\"",
	            stamp);
	http_header(res, "Cache-Control", "no-store");
	export_stream.dir = ctx->settings->configs_dir;
	export_stream.file = ctx->file;
	res->stream = write_export;
	res->stream_arg = &export_stream;
	res->stream_len = HTTP_LENGTH_UNKNOWN;
	return 0;
}

/* --- import ------------------------------------------------------------------ */

/* ?dry_run=true|false and ?existing=skip|overwrite. */
static int
import_options(struct api_ctx *ctx, bool *dry_run, bool *overwrite)
{
	*dry_run = false;
	*overwrite = false;
	char v[32];
	size_t pos = 0, len;
	int got = http_query_param(ctx->req, "dry_run", &pos, v, sizeof v, &len);
	if (got != 0) {
		if (got < 0 || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0))
			goto bad_dry;
		*dry_run = strcmp(v, "true") == 0;
	}
	pos = 0;
	got = http_query_param(ctx->req, "existing", &pos, v, sizeof v, &len);
	if (got != 0) {
		if (got < 0 || (strcmp(v, "skip") != 0 && strcmp(v, "overwrite") != 0)) {
			api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Invalid import options",
			              "existing must be skip or overwrite");
			return -1;
		}
		*overwrite = strcmp(v, "overwrite") == 0;
	}
	return 0;
bad_dry:
	api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Invalid import options",
	              "dry_run must be true or false");
	return -1;
}

/* Reads the upload; the bound is the import's, not a config's. */
static int
read_upload(struct api_ctx *ctx, size_t max)
{
	const char *cl = ctx->req->content_length;
	char *end = NULL;
	unsigned long long want = cl ? strtoull(cl, &end, 10) : 0;
	if (cl != NULL && end != cl && *end == '\0' && want > max) {
		if (want <= TRANSPORT_DISCARD_MAX)
			transport_discard(ctx->req->tx, want);
		api_error_set(&ctx->err, ERR_PAYLOAD_TOO_LARGE, "Archive too large",
		              "the archive is %llu bytes; an import takes at most %zu bytes (%u "
		              "times MAX_BODY_BYTES, at most 256 MiB)",
		              want, max, IMPORT_FACTOR);
		return -1;
	}
	if (http_read_body(ctx->req, max, &ctx->err) != 0)
		return -1;
	if (ctx->req->body->len == 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Archive refused",
		              "the body is empty: send a .tar.gz (or .tar) of <mac>.json files");
		return -1;
	}
	return 0;
}

static int
by_mac(const void *a, const void *b)
{
	const struct tarball_config *x = a, *y = b;
	return strcmp(x->mac, y->mac);
}

static void
import_device_one(struct api_ctx *dctx, struct fleet *f, json_object *dev,
                  const struct tarball_config *c, bool overwrite)
{
	json_object *config;
	struct jsonbody_error je;
	if (jsonbody_parse_object(c->data, c->len, &config, &je) != 0) {
		json_object_object_add(dev, "etag", NULL);
		fleet_result(f, dev, FLEET_INVALID, je.message);
		return;
	}
	json_object_put(config);
	struct store_result r;
	char etag[40];
	if (store_read(f->dirfd, c->mac, &f->current, NULL, &r) != 0) {
		json_object_object_add(dev, "etag", NULL);
		if (r.status != STORE_NOT_FOUND) {
			api_store_error(dctx, &r);
			char message[600];
			snprintf(message, sizeof message, "%s: %s", dctx->err.message,
			         dctx->err.detail);
			fleet_result(f, dev, FLEET_FAILED, message);
			return;
		}
		fleet_write(f, dctx, dev, NULL, c->data, c->len, FLEET_CREATED);
		return;
	}
	api_etag(&f->current, etag);
	json_object_object_add(dev, "etag", json_object_new_string(etag));
	if (f->current.len == c->len && memcmp(f->current.data, c->data, c->len) == 0) {
		json_object_object_add(dev, "new_etag", json_object_new_string(etag));
		fleet_result(f, dev, FLEET_UNCHANGED, NULL);
		return;
	}
	if (!overwrite) {
		fleet_result(f, dev, FLEET_SKIPPED, "a different config exists (existing=skip)");
		return;
	}
	fleet_write(f, dctx, dev, etag, c->data, c->len, FLEET_CHANGED);
}

static void
import_device(struct fleet *f, json_object *dev, const struct tarball_config *c, bool overwrite)
{
	struct api_ctx dctx;
	fleet_device_ctx(f, c->mac, &dctx);
	import_device_one(&dctx, f, dev, c, overwrite);
	fleet_device_done(&dctx);
}

int
api_import(struct api_ctx *ctx)
{
	/* Its Content-Type, an archive's, was checked with its origin (origin.h). */
	bool dry_run, overwrite;
	size_t max = ctx->settings->max_body_bytes;
	size_t bytes_max =
	        IMPORT_FACTOR * max < IMPORT_BYTES_MAX ? IMPORT_FACTOR * max : IMPORT_BYTES_MAX;
	uint64_t expanded_max = (uint64_t)BOMB_FACTOR * max;
	if (import_options(ctx, &dry_run, &overwrite) != 0 || read_upload(ctx, bytes_max) != 0)
		return -1;
	struct tarball_limits lim = {
	        .entry_max = max,
	        .configs_max = FLEET_MAX_DEVICES,
	        .entries_max = IMPORT_MAX_ENTRIES,
	        .config_bytes_max = bytes_max,
	        .expanded_max = expanded_max < BOMB_MAX ? expanded_max : BOMB_MAX,
	};
	struct tarball_read t;
	const struct buf *body = ctx->req->body;
	switch (tarball_read(body->data, body->len, &lim, &t)) {
	case TARBALL_OK:
		break;
	case TARBALL_REFUSED:
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Archive refused",
		              "%s; nothing was written", t.why);
		return -1;
	case TARBALL_TOO_LARGE:
		api_error_set(&ctx->err, ERR_PAYLOAD_TOO_LARGE, "Archive too large",
		              "%s; nothing was written", t.why);
		return -1;
	case TARBALL_NOMEM:
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "reading the archive");
		return -1;
	}
	if (t.n > 1)
		qsort(t.configs, t.n, sizeof *t.configs, by_mac);
	struct fleet f;
	int rc = -1;
	if (fleet_begin(&f, ctx, "import", dry_run) == 0) {
		json_object_object_add(f.record, "existing",
		                       json_object_new_string(overwrite ? "overwrite" : "skip"));
		json_object_object_add(f.record, "ignored",
		                       json_object_new_int64((int64_t)t.ignored));
		json_object **devs = calloc(t.n ? t.n : 1, sizeof *devs);
		bool ok = devs != NULL;
		for (size_t i = 0; ok && i < t.n; i++) {
			ok = (devs[i] = fleet_device(&f, t.configs[i].mac)) != NULL;
			if (ok)
				json_object_object_add(devs[i], "entry",
				                       json_object_new_string(t.configs[i].entry));
		}
		if (!ok)
			api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "the devices");
		else if (fleet_start(&f) == 0) {
			for (size_t i = 0; i < t.n; i++)
				import_device(&f, devs[i], &t.configs[i], overwrite);
			rc = fleet_finish(&f);
		}
		free(devs);
	}
	fleet_end(&f);
	tarball_read_free(&t);
	return rc;
}
