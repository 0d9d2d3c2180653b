/*
 * api_ota.c: what update clients fetch (device routes, like the config's):
 *   GET/HEAD /esp32/firmware/{mac_address}.bin        the device's target image
 *   GET      /esp32/firmware/{mac_address}.json       ESPHome manifest for the device
 *   GET      /esp32/firmware/{model}/manifest.json    ESPHome manifest for the model
 *   GET/HEAD /esp32/firmware/{model}/{version}.bin    one kept version's image
 *
 * An image answer is what ESP-IDF's esp_https_ota, Arduino's HTTPUpdate
 * and ESPHome all take: the exact Content-Length, Content-Type
 * application/octet-stream, Accept-Ranges: bytes, a single Range answered
 * 206 with Content-Range (byterange.h), 416 for one past the end, an ETag
 * that is the SHA-256 of the file (If-None-Match: 304, If-Range), and the
 * version, its MD5 and SHA-256 in headers (x-MD5 is what HTTPUpdate
 * checks the download with). Never compressed, never chunked: the length
 * is always known before the first byte.
 *
 * The device route answers 304 when the device already runs its target,
 * judged from what it sends: If-None-Match with the image's ETag,
 * x-ESP32-sketch-sha256 (HTTPUpdate: the running image's appended
 * SHA-256), x-ESP32-sketch-md5 (older cores: the MD5 of the image),
 * x-ESP32-version (HTTPUpdate's currentVersion), or X-Firmware-Version
 * (ESP-IDF clients, which send nothing by themselves: the application
 * adds its esp_app_get_description()->version). The same headers say what
 * the device runs, for its note (fwnote.h).
 *
 * The bytes: with FIRMWARE_SENDFILE the answer names the file in
 * X-Sendfile and the web server sends it (lighttpd and Apache's
 * mod_xsendfile then answer Range and If-None-Match themselves, with our
 * ETag, which they keep). Only requests whose every condition both would
 * judge alike go that way: a HEAD (no body to send), or any request with
 * If-Modified-Since, If-Unmodified-Since or If-Range (the web server
 * would compare dates with the file's time, which for the device route is
 * not when its target changed) is answered here. Otherwise, and without
 * the setting, the file is streamed from an open descriptor in 64 KiB
 * pieces: never the whole image in memory.
 *
 * Process-owned state: the answer in flight (its open file and what it
 * tells of the device), kept for api_ota_after_answer; one request at a
 * time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "api_firmware.h"
#include "byterange.h"
#include "conditional.h"
#include "fwnote.h"
#include "log.h"
#include "transport.h"

#define STREAM_CHUNK (64 * 1024)

/* The answer in flight (see above). */
static struct {
	bool active;  /* an image or manifest answer was prepared */
	bool counted; /* it carries image bytes (or a 304 for one) */
	enum metrics_fw_result result;
	uint64_t bytes; /* image bytes in the body */
	bool note;      /* a device route: note the device */
	char mac[MAC_CANONICAL_LEN + 1];
	char model[FIRMWARE_MODEL_MAX + 1];
	char reported[FIRMWARE_VERSION_MAX + 1];
	char download[FIRMWARE_VERSION_MAX + 1]; /* "" no image bytes sent */
	bool first_byte, last_byte;
	int fd;               /* the streamed file, -1 none */
	uint64_t offset, len; /* what the stream sends */
} ota = {.fd = -1};

static void
ota_reset(void)
{
	if (ota.fd >= 0)
		close(ota.fd);
	memset(&ota, 0, sizeof ota);
	ota.fd = -1;
}

/* --- the image's bytes ------------------------------------------------------ */

static int
stream_image(struct transport *tx, void *arg)
{
	(void)arg;
	static char chunk[STREAM_CHUNK];
	uint64_t off = ota.offset, left = ota.len;
	while (left > 0) {
		size_t want = left < sizeof chunk ? (size_t)left : sizeof chunk;
		ssize_t n = pread(ota.fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_msg(LOG_ERROR, "firmware image read failed offset=%llu errno=\"%s\"",
			        (unsigned long long)off, n < 0 ? strerror(errno) : "end of file");
			return -1;
		}
		if (transport_write(tx, chunk, (size_t)n) != 0)
			return -1;
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	return 0;
}

/* The headers every answer about an image carries, 304 included. */
static void
image_headers(struct api_ctx *ctx, const char *model, const struct firmware_meta *m,
              const char *etag)
{
	struct http_response *res = ctx->res;
	http_header(res, "ETag", "%s", etag);
	http_header(res, "Cache-Control", "no-cache, no-transform");
	http_header(res, "X-Firmware-Model", "%s", model);
	http_header(res, "X-Firmware-Version", "%s", m->version);
	http_header(res, "X-Firmware-SHA256", "%s", m->sha256);
	http_header(res, "X-Firmware-MD5", "%s", m->md5);
	http_header(res, "x-MD5", "%s", m->md5);
}

/* A 416 with its Content-Range (the error's JSON body, made here so that the header stays). */
static int
range_not_satisfiable(struct api_ctx *ctx, uint64_t size)
{
	char message[120];
	snprintf(message, sizeof message, "Range not satisfiable: the image is %llu bytes",
	         (unsigned long long)size);
	api_error_set(&ctx->err, ERR_RANGE_NOT_SATISFIABLE, message,
	              "the Range asks for bytes past the end; ask from 0 to %llu",
	              (unsigned long long)(size - 1));
	http_set_error(ctx->res, &ctx->err, ctx->req->request_id);
	api_error_release(&ctx->err);
	ctx->err.kind = ERR_NONE;
	http_header(ctx->res, "Content-Range", "bytes */%llu", (unsigned long long)size);
	http_header(ctx->res, "Accept-Ranges", "bytes");
	return 0;
}

/* Would the web server judge every condition of this request as we do? */
static bool
sendfile_fits(const struct api_ctx *ctx)
{
	const struct http_request *req = ctx->req;
	return ctx->settings->firmware_sendfile && req->method == HTTP_GET &&
	       req->if_modified_since == NULL && req->if_unmodified_since == NULL &&
	       req->if_range == NULL;
}

/*
 * Answers the image of m (model's) in mfd: 304 when current (the device
 * runs it) or If-None-Match matches, else 200/206/416, by X-Sendfile or
 * streamed. Notes what was sent in ota.
 */
static int
serve_image(struct api_ctx *ctx, const char *model, const struct firmware_meta *m, int mfd,
            bool current)
{
	struct http_request *req = ctx->req;
	struct http_response *res = ctx->res;
	char etag[FIRMWARE_HEX256 + 3];
	snprintf(etag, sizeof etag, "\"%s\"", m->sha256);
	image_headers(ctx, model, m, etag);
	ota.active = true;
	ota.counted = true;
	snprintf(ota.model, sizeof ota.model, "%s", model);

	bool not_modified;
	if (api_conditional_get(ctx, etag, 0, &not_modified) != 0)
		return -1;
	if (not_modified || current) {
		res->status = 304;
		ota.result = METRICS_FW_NOT_MODIFIED;
		return 0;
	}
	uint64_t size = m->size;
	struct byterange br = {0, size - 1};
	enum byterange_kind kind = byterange_parse(req->range, size, &br);
	/* If-Range (RFC 9110 section 13.1.5): the range only for this very image. */
	if (kind != BYTERANGE_NONE && req->if_range != NULL &&
	    !cond_etag_matches(req->if_range, etag, false))
		kind = BYTERANGE_NONE;
	if (kind == BYTERANGE_UNSATISFIABLE) {
		ota.counted = false;
		return range_not_satisfiable(ctx, size);
	}
	bool ranged = kind == BYTERANGE_SINGLE;
	if (!ranged)
		br = (struct byterange){0, size - 1};

	char image[FIRMWARE_HEX256 + 5];
	firmware_image_name(m, image);
	int fd = openat(mfd, image, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		int err = fd < 0 ? errno : EIO;
		if (fd >= 0)
			close(fd);
		ota.counted = false;
		log_msg(LOG_ERROR,
		        "firmware image unusable model=%s version=%s file=%s errno=\"%s\"", model,
		        m->version, image, strerror(err));
		api_error_set(&ctx->err, ERR_STORAGE_ERROR, "Firmware image cannot be read",
		              "the image of version %s of model %s is missing or damaged in the "
		              "config directory",
		              m->version, model);
		return -1;
	}
	res->content_type = "application/octet-stream";
	http_header(res, "Accept-Ranges", "bytes");
	http_header(res, "Content-Disposition", "attachment; filename=\"%s-%s.bin\"", model,
	            m->version);
	uint64_t len = br.last - br.first + 1;
	bool head = req->method == HTTP_HEAD;
	if (!head && sendfile_fits(ctx)) {
		/* The web server sends it, ranges and all: it reads our ETag and Range. */
		close(fd);
		http_header(res, "X-Sendfile", "%s/" FIRMWARE_DIR "/%s/%s",
		            ctx->settings->configs_dir, model, image);
		res->status = 200;
	} else {
		ota.fd = fd;
		ota.offset = br.first;
		ota.len = len;
		res->status = ranged ? 206 : 200;
		if (ranged)
			http_header(res, "Content-Range", "bytes %llu-%llu/%llu",
			            (unsigned long long)br.first, (unsigned long long)br.last,
			            (unsigned long long)size);
		res->stream = stream_image;
		res->stream_arg = NULL;
		res->stream_len = (size_t)len;
	}
	if (head) {
		ota.result = METRICS_FW_COMPLETE;
		ota.counted = false; /* a HEAD carries no bytes: not a download */
		return 0;
	}
	ota.bytes = len;
	ota.result = br.last == size - 1 ? METRICS_FW_COMPLETE : METRICS_FW_PARTIAL;
	snprintf(ota.download, sizeof ota.download, "%s", m->version);
	ota.first_byte = br.first == 0;
	ota.last_byte = br.last == size - 1;
	return 0;
}

/* --- finding the image ------------------------------------------------------ */

static int
no_firmware(struct api_ctx *ctx, const char *fmt_message, const char *what, const char *detail)
{
	char message[200];
	snprintf(message, sizeof message, fmt_message, what);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message, "%s", detail);
	return -1;
}

/* Opens the model's directory: 404 when it has no firmware. */
static int
open_model(struct api_ctx *ctx, int dirfd, const char *model, int *mfd)
{
	struct store_result r;
	if (firmware_open_model(dirfd, model, mfd, &r) == 0)
		return 0;
	return r.status == STORE_NOT_FOUND ? api_firmware_model_missing(ctx, model)
	                                   : api_store_error(ctx, &r);
}

static int
read_meta(struct api_ctx *ctx, int mfd, const char *model, const char *version,
          struct firmware_meta *m)
{
	struct store_result r;
	if (firmware_read_meta(mfd, version, m, &r) == 0)
		return 0;
	return r.status == STORE_NOT_FOUND ? api_firmware_version_missing(ctx, model, version)
	                                   : api_store_error(ctx, &r);
}

/* The device's config, its model and that model's directory and target for it. */
struct device_target {
	char model[FIRMWARE_MODEL_MAX + 1];
	int mfd;
	struct firmware_meta meta; /* of the target */
};

static int
target_in(struct api_ctx *ctx, int dirfd, struct device_target *dt)
{
	struct store_result r;
	if (store_read(dirfd, ctx->mac, ctx->file, NULL, &r) != 0) {
		if (r.status == STORE_NOT_FOUND)
			return no_firmware(
			        ctx, "Config %s was not found", ctx->mac,
			        "a device's model comes from its config's \"deviceModel\"");
		return api_store_error(ctx, &r);
	}
	if (!firmware_config_model(ctx->file->data, ctx->file->len, dt->model))
		return no_firmware(ctx, "Config %s names no firmware model", ctx->mac,
		                   "its config has no top-level \"deviceModel\" string that is a "
		                   "model name (a-z, 0-9, '.', '_', '-')");
	if (open_model(ctx, dirfd, dt->model, &dt->mfd) != 0)
		return -1;
	struct firmware_target *t = malloc(sizeof *t);
	if (t == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory",
		              "reading a firmware target");
		return -1;
	}
	int rc = firmware_read_target(dt->mfd, t, &r);
	char version[FIRMWARE_VERSION_MAX + 1];
	snprintf(version, sizeof version, "%s", rc == 0 ? firmware_target_for(t, ctx->mac) : "");
	free(t);
	if (rc != 0)
		return api_store_error(ctx, &r);
	if (version[0] == '\0')
		return no_firmware(ctx, "Model %s has no target version", dt->model,
		                   "set one with PUT /api/firmware/{model}/target");
	return read_meta(ctx, dt->mfd, dt->model, version, &dt->meta);
}

/* The request's device's target: 0 with dt->mfd open, or -1 with ctx->err set and nothing open. */
static int
device_target(struct api_ctx *ctx, struct device_target *dt)
{
	dt->mfd = -1;
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = target_in(ctx, dirfd, dt);
	close(dirfd);
	if (rc != 0 && dt->mfd >= 0) {
		close(dt->mfd);
		dt->mfd = -1;
	}
	return rc;
}

/* Is s (case-insensitively) the hex digest want? */
static bool
hex_equal(const char *s, const char *want)
{
	return s != NULL && want[0] != '\0' && strlen(s) == strlen(want) &&
	       strcasecmp(s, want) == 0;
}

/* The first quoted tag of an If-None-Match, unquoted, into out (or ""). */
static void
first_tag(const char *field, char out[FIRMWARE_HEX256 + 1])
{
	out[0] = '\0';
	const char *q = field != NULL ? strchr(field, '"') : NULL;
	const char *e = q != NULL ? strchr(q + 1, '"') : NULL;
	if (e != NULL && (size_t)(e - q - 1) == FIRMWARE_HEX256) {
		memcpy(out, q + 1, FIRMWARE_HEX256);
		out[FIRMWARE_HEX256] = '\0';
	}
}

/* Does the image m match any digest the device sent? */
static bool
digests_match(const struct firmware_meta *m, const char *sha256, const char *md5, const char *tag)
{
	return hex_equal(sha256, m->image_sha256) || hex_equal(sha256, m->sha256) ||
	       hex_equal(md5, m->md5) || hex_equal(tag, m->sha256);
}

/*
 * What the device says it runs: a kept version its digests name, else the
 * version it names; into reported ("" when it says nothing). *current:
 * that is its target.
 */
static void
identify(struct api_ctx *ctx, int mfd, const struct firmware_meta *target,
         char reported[FIRMWARE_VERSION_MAX + 1], bool *current)
{
	const struct http_request *req = ctx->req;
	char tag[FIRMWARE_HEX256 + 1];
	first_tag(req->if_none_match, tag);
	const char *sha = req->esp32_sketch_sha256, *md5 = req->esp32_sketch_md5;
	const char *named =
	        req->firmware_version != NULL ? req->firmware_version : req->esp32_version;
	reported[0] = '\0';
	*current = false;
	bool digests = sha != NULL || md5 != NULL || tag[0] != '\0';
	if (digests && digests_match(target, sha, md5, tag)) {
		snprintf(reported, FIRMWARE_VERSION_MAX + 1, "%s", target->version);
		*current = true;
		return;
	}
	if (digests) {
		struct firmware_meta *kept;
		size_t n;
		struct store_result r;
		if (firmware_list_versions(mfd, &kept, &n, &r) == 0) {
			for (size_t i = 0; i < n && reported[0] == '\0'; i++)
				if (digests_match(&kept[i], sha, md5, tag))
					snprintf(reported, FIRMWARE_VERSION_MAX + 1, "%s",
					         kept[i].version);
			free(kept);
		}
		if (reported[0] != '\0')
			return;
	}
	if (named != NULL && firmware_version_valid(named)) {
		snprintf(reported, FIRMWARE_VERSION_MAX + 1, "%s", named);
		*current = strcmp(named, target->version) == 0;
	}
}

static void
note_device(struct api_ctx *ctx, const char *model, const char *reported)
{
	if (ctx->req->sec_fetch_mode != NULL)
		return; /* a browser (the page), not a device */
	ota.active = true;
	ota.note = true;
	snprintf(ota.mac, sizeof ota.mac, "%s", ctx->mac);
	snprintf(ota.model, sizeof ota.model, "%s", model);
	snprintf(ota.reported, sizeof ota.reported, "%s", reported);
}

int
api_ota_device_image(struct api_ctx *ctx)
{
	ota_reset();
	struct device_target dt;
	if (device_target(ctx, &dt) != 0)
		return -1;
	char reported[FIRMWARE_VERSION_MAX + 1];
	bool current;
	identify(ctx, dt.mfd, &dt.meta, reported, &current);
	int rc = serve_image(ctx, dt.model, &dt.meta, dt.mfd, current);
	close(dt.mfd);
	if (rc == 0)
		note_device(ctx, dt.model, reported);
	return rc;
}

int
api_ota_version_image(struct api_ctx *ctx)
{
	ota_reset();
	if (!firmware_version_valid(ctx->param))
		return no_firmware(ctx, "Firmware of model %s was not found: no such version",
		                   ctx->model,
		                   "a version is 1 to 32 characters of A-Z, a-z, 0-9, '.', '_', "
		                   "'+' and '-', starting with a letter or digit");
	int dirfd, mfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = open_model(ctx, dirfd, ctx->model, &mfd);
	close(dirfd);
	if (rc != 0)
		return -1;
	struct firmware_meta m;
	rc = read_meta(ctx, mfd, ctx->model, ctx->param, &m);
	if (rc == 0)
		rc = serve_image(ctx, ctx->model, &m, mfd, false);
	close(mfd);
	return rc;
}

/* --- ESPHome manifests ------------------------------------------------------ */

/*
 * The ESP Web Tools manifest with the "ota" block ESPHome's http_request
 * update platform reads: name, version, and one build for the image's
 * chip (chipFamily as ESPHome spells it) with the image's path on this
 * server, its MD5 (required by ESPHome) and SHA-256, and a summary.
 */
static int
manifest(struct api_ctx *ctx, const char *model, const struct firmware_meta *m, const char *path)
{
	json_object *o = json_object_new_object(), *builds = json_object_new_array(),
	            *build = json_object_new_object(), *ota_o = json_object_new_object();
	int rc = -1;
	if (o != NULL && builds != NULL && build != NULL && ota_o != NULL) {
		char summary[160];
		snprintf(summary, sizeof summary, "%s %s (%s, ESP-IDF %s)", m->project_name,
		         m->version, model, m->idf_version);
		json_object_object_add(ota_o, "path", json_object_new_string(path));
		json_object_object_add(ota_o, "md5", json_object_new_string(m->md5));
		json_object_object_add(ota_o, "sha256", json_object_new_string(m->sha256));
		json_object_object_add(ota_o, "summary", json_object_new_string(summary));
		json_object_object_add(build, "chipFamily", json_object_new_string(m->chip));
		json_object_object_add(build, "ota", ota_o);
		ota_o = NULL;
		json_object_array_add(builds, build);
		build = NULL;
		json_object_object_add(o, "name", json_object_new_string(model));
		json_object_object_add(o, "version", json_object_new_string(m->version));
		json_object_object_add(o, "builds", builds);
		builds = NULL;
		size_t n = 0;
		const char *s = json_object_to_json_string_length(
		        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		if (s != NULL)
			rc = http_set_json(ctx->res, 200, s, n);
	}
	json_object_put(ota_o);
	json_object_put(build);
	json_object_put(builds);
	json_object_put(o);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering a manifest");
		return -1;
	}
	char etag[40];
	api_etag(ctx->res->body, etag);
	api_validator_headers(ctx, etag, 0);
	bool not_modified;
	if (api_conditional_get(ctx, etag, 0, &not_modified) != 0)
		return -1;
	if (not_modified)
		ctx->res->body->len = 0;
	return 0;
}

int
api_ota_device_manifest(struct api_ctx *ctx)
{
	ota_reset();
	struct device_target dt;
	if (device_target(ctx, &dt) != 0)
		return -1;
	close(dt.mfd);
	char path[64];
	snprintf(path, sizeof path, "/esp32/firmware/%s.bin", ctx->mac);
	int rc = manifest(ctx, dt.model, &dt.meta, path);
	if (rc == 0)
		note_device(ctx, dt.model, "");
	return rc;
}

int
api_ota_model_manifest(struct api_ctx *ctx)
{
	ota_reset();
	int dirfd, mfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	int rc = open_model(ctx, dirfd, ctx->model, &mfd);
	close(dirfd);
	if (rc != 0)
		return -1;
	struct firmware_target *t = malloc(sizeof *t);
	struct store_result r;
	struct firmware_meta m;
	if (t == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory",
		              "reading a firmware target");
		rc = -1;
	} else if (firmware_read_target(mfd, t, &r) != 0) {
		rc = api_store_error(ctx, &r);
	} else if (t->version[0] == '\0') {
		rc = no_firmware(ctx, "Model %s has no target version", ctx->model,
		                 "set one with PUT /api/firmware/{model}/target");
	} else if ((rc = read_meta(ctx, mfd, ctx->model, t->version, &m)) == 0) {
		char path[FIRMWARE_MODEL_MAX + FIRMWARE_VERSION_MAX + 32];
		snprintf(path, sizeof path, "/esp32/firmware/%s/%s.bin", ctx->model, m.version);
		rc = manifest(ctx, ctx->model, &m, path);
	}
	free(t);
	close(mfd);
	return rc;
}

/* --- after the answer ------------------------------------------------------- */

bool
api_ota_pending(void)
{
	return ota.active && ota.note;
}

void
api_ota_after_answer(const struct settings *settings, bool delivered)
{
	if (!ota.active) {
		ota_reset();
		return;
	}
	if (ota.counted) {
		enum metrics_fw_result result = delivered ? ota.result : METRICS_FW_ABORTED;
		metrics_firmware_download(result, ota.bytes);
	}
	if (ota.note && settings->checkin_interval > 0) {
		struct fwnote_event ev = {
		        .model = ota.model,
		        .reported = ota.reported[0] ? ota.reported : NULL,
		        .download = ota.download[0] ? ota.download : NULL,
		        .first_byte = ota.first_byte,
		        .last_byte = ota.last_byte && delivered,
		};
		struct store_result r;
		int dirfd;
		if (store_open_dir(settings->configs_dir, &dirfd, &r) == 0) {
			struct fwnote n;
			int found = fwnote_read(dirfd, ota.mac, &n, &r);
			if (found <= 0) {
				memset(&n, 0, sizeof n);
				snprintf(n.mac, sizeof n.mac, "%s", ota.mac);
			}
			if (found >= 0 &&
			    fwnote_merge(&n, &ev, (int64_t)time(NULL),
			                 settings->checkin_interval) &&
			    fwnote_write(dirfd, &n, &r) != 0)
				log_msg(LOG_WARN,
				        "firmware note not written mac=%s op=\"%s\" errno=\"%s\"",
				        ota.mac, r.op ? r.op : "-",
				        r.sys_errno ? strerror(r.sys_errno) : "-");
			close(dirfd);
		}
	}
	ota_reset();
}
