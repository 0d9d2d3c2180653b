/*
 * api_firmware.c: firmware images, targets and update states for admins
 * and the page (firmware.h, fwnote.h, fwstatus.h):
 *   GET    /api/firmware                          every model, every device's state
 *   GET    /api/firmware/{model}                  one model: versions, target, devices
 *   GET    /api/firmware/{model}/versions/{version}  one kept version's record
 *   PUT    /api/firmware/{model}/versions/{version}  upload an image (the body,
 *                                                 application/octet-stream)
 *   DELETE /api/firmware/{model}/versions/{version}  remove one (never a target)
 *   GET    /api/firmware/{model}/target           which version devices are to run
 *   PUT    /api/firmware/{model}/target           set it (and a canary)
 *   GET    /api/configs/{mac_address}/firmware    one device's state
 * and iot_firmware_devices{model,state} for /metrics.
 *
 * An upload is a PUT of the raw image with Content-Type
 * application/octet-stream, which no HTML form can send (forms send
 * urlencoded, multipart and text/plain bodies, and only by GET and POST),
 * on top of the same-origin check every change passes (origin.c). The
 * version in the path must be the image's own; it is checked whole
 * (espimage.h) before anything is written. A target change is published
 * on MQTT_FIRMWARE_TOPIC once it is durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api_firmware.h"
#include "espimage.h"
#include "fwstatus.h"
#include "log.h"
#include "mqtt.h"

/* --- JSON shapes ------------------------------------------------------------- */

static json_object *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_object_new_string(s) : NULL;
}

static json_object *
time_or_null(int64_t t)
{
	if (t <= 0)
		return NULL;
	char at[32];
	api_rfc3339(t, at);
	return json_object_new_string(at);
}

static json_object *
version_json(const char *model, const struct firmware_meta *m, const struct firmware_target *t)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	char url[FIRMWARE_MODEL_MAX + FIRMWARE_VERSION_MAX + 32];
	snprintf(url, sizeof url, "/esp32/firmware/%s/%s.bin", model, m->version);
	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "version", json_object_new_string(m->version));
	json_object_object_add(o, "project_name", json_object_new_string(m->project_name));
	json_object_object_add(o, "idf_version", json_object_new_string(m->idf_version));
	json_object_object_add(o, "build_date", json_object_new_string(m->build_date));
	json_object_object_add(o, "build_time", json_object_new_string(m->build_time));
	json_object_object_add(o, "secure_version", json_object_new_int64(m->secure_version));
	json_object_object_add(o, "elf_sha256", json_object_new_string(m->elf_sha256));
	json_object_object_add(o, "chip", json_object_new_string(m->chip));
	json_object_object_add(o, "chip_id", json_object_new_int64(m->chip_id));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
	json_object_object_add(o, "sha256", json_object_new_string(m->sha256));
	json_object_object_add(o, "md5", json_object_new_string(m->md5));
	json_object_object_add(o, "image_sha256", str_or_null(m->image_sha256));
	json_object_object_add(o, "uploaded_at", time_or_null(m->uploaded_at));
	json_object_object_add(o, "uploaded_by", str_or_null(m->uploaded_by));
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(
	        o, "target",
	        json_object_new_boolean(t != NULL && strcmp(t->version, m->version) == 0));
	json_object_object_add(
	        o, "canary",
	        json_object_new_boolean(t != NULL && strcmp(t->canary_version, m->version) == 0));
	return o;
}

static json_object *
target_json(const char *model, const struct firmware_target *t)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "version", str_or_null(t->version));
	json_object *canary = NULL;
	if (t->canary_version[0] != '\0') {
		canary = json_object_new_object();
		json_object *devices = json_object_new_array();
		for (size_t i = 0; devices != NULL && i < t->canary_count; i++)
			json_object_array_add(devices, json_object_new_string(t->canary[i]));
		json_object_object_add(canary, "version",
		                       json_object_new_string(t->canary_version));
		json_object_object_add(canary, "devices", devices);
	}
	json_object_object_add(o, "canary", canary);
	json_object_object_add(o, "changed_at", time_or_null(t->changed_at));
	json_object_object_add(o, "changed_by", str_or_null(t->changed_by));
	return o;
}

static json_object *
device_json(const struct fwstatus_device *d)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_add(o, "mac_address", json_object_new_string(d->mac));
	json_object_object_add(o, "model", str_or_null(d->model));
	json_object_object_add(o, "target", str_or_null(d->target));
	json_object_object_add(o, "canary", json_object_new_boolean(d->canary));
	json_object_object_add(o, "running", str_or_null(d->running));
	json_object_object_add(o, "state",
	                       d->has_state ? json_object_new_string(fwnote_state_name(d->state))
	                                    : NULL);
	const struct fwnote *n = d->has_note ? &d->note : NULL;
	json_object_object_add(o, "reported", str_or_null(n ? n->reported : NULL));
	json_object_object_add(o, "reported_at",
	                       time_or_null(n && n->reported[0] ? n->reported_at : 0));
	json_object_object_add(o, "last_seen_at", time_or_null(n ? n->seen_at : 0));
	json_object *dl = NULL;
	if (n != NULL && n->download[0] != '\0') {
		dl = json_object_new_object();
		json_object_object_add(dl, "version", json_object_new_string(n->download));
		json_object_object_add(dl, "started_at", time_or_null(n->started_at));
		json_object_object_add(dl, "completed_at", time_or_null(n->completed_at));
	}
	json_object_object_add(o, "download", dl);
	return o;
}

/* Answers o as JSON (taking it); NULL: out of memory. */
static int
answer_json(struct api_ctx *ctx, int status, json_object *o)
{
	int rc = -1;
	if (o != NULL) {
		size_t n = 0;
		const char *s = json_object_to_json_string_length(
		        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		if (s != NULL)
			rc = http_set_json(ctx->res, status, s, n);
		json_object_put(o);
	}
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering firmware");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

/* --- shared steps ------------------------------------------------------------ */

int
api_firmware_model_missing(struct api_ctx *ctx, const char *model)
{
	char message[160];
	snprintf(message, sizeof message, "No firmware for model %s", model);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "no image of this model was uploaded (PUT "
	              "/api/firmware/{model}/versions/{version})");
	return -1;
}

static int
open_model(struct api_ctx *ctx, int *mfd)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	int rc = firmware_open_model(dirfd, ctx->model, mfd, &r);
	close(dirfd);
	if (rc == 0)
		return 0;
	return r.status == STORE_NOT_FOUND ? api_firmware_model_missing(ctx, ctx->model)
	                                   : api_store_error(ctx, &r);
}

static int
version_grammar(struct api_ctx *ctx)
{
	if (firmware_version_valid(ctx->param))
		return 0;
	char shown[48], message[160];
	size_t o = 0;
	for (const char *p = ctx->param; *p && o + 1 < sizeof shown; p++)
		shown[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	shown[o] = '\0';
	snprintf(message, sizeof message, "Firmware version '%s' has invalid format", shown);
	api_error_set(&ctx->err, ERR_INVALID_OPERATION, message,
	              "a version is 1 to %d characters of A-Z, a-z, 0-9, '.', '_', '+' and '-', "
	              "starting with a letter or digit: the image's own (its app descriptor's)",
	              FIRMWARE_VERSION_MAX);
	return -1;
}

int
api_firmware_version_missing(struct api_ctx *ctx, const char *model, const char *version)
{
	char message[256];
	snprintf(message, sizeof message, "Firmware %s of model %s was not found", version, model);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "the model keeps no such version (GET /api/firmware/%s lists them)", model);
	return -1;
}

/* --- the model list and one model ---------------------------------------------- */

struct model_summary {
	char name[FIRMWARE_MODEL_MAX + 1];
	size_t counts[FWNOTE_STATE_COUNT];
	size_t devices;
};

struct listing {
	json_object *devices;
	struct model_summary *models;
	size_t nmodels;
	bool full; /* the whole device record (one model), else the list's */
};

static int
list_device(const struct fwstatus_device *d, void *arg)
{
	struct listing *l = arg;
	for (size_t i = 0; i < l->nmodels; i++) {
		if (strcmp(l->models[i].name, d->model) != 0)
			continue;
		l->models[i].devices++;
		if (d->has_state)
			l->models[i].counts[d->state]++;
	}
	json_object *o = device_json(d);
	if (o == NULL || json_object_array_add(l->devices, o) != 0) {
		json_object_put(o);
		return -1;
	}
	return 0;
}

static json_object *
counts_json(const struct model_summary *s)
{
	json_object *o = json_object_new_object();
	for (int i = 0; o != NULL && i < FWNOTE_STATE_COUNT; i++)
		json_object_object_add(o, fwnote_state_name((enum fwnote_state)i),
		                       json_object_new_int64((int64_t)s->counts[i]));
	return o;
}

/* The summary of one model for the list: chip, target, versions kept. */
static json_object *
model_entry(int dirfd, const struct model_summary *s)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	struct store_result r;
	int mfd;
	struct firmware_target *t = calloc(1, sizeof *t);
	struct firmware_meta *kept = NULL;
	size_t n = 0;
	if (t != NULL && firmware_open_model(dirfd, s->name, &mfd, &r) == 0) {
		if (firmware_read_target(mfd, t, &r) != 0)
			memset(t, 0, sizeof *t);
		if (firmware_list_versions(mfd, &kept, &n, &r) != 0)
			n = 0;
		close(mfd);
	}
	json_object_object_add(o, "model", json_object_new_string(s->name));
	json_object_object_add(o, "chip", n > 0 ? json_object_new_string(kept[0].chip) : NULL);
	json_object_object_add(o, "target", t != NULL ? target_json(s->name, t) : NULL);
	json_object_object_add(o, "versions", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "latest", n > 0 ? json_object_new_string(kept[0].version) : NULL);
	json_object_object_add(o, "devices", json_object_new_int64((int64_t)s->devices));
	json_object_object_add(o, "states", counts_json(s));
	free(kept);
	free(t);
	return o;
}

int
api_firmware_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	char(*names)[FIRMWARE_MODEL_MAX + 1] = NULL;
	size_t n = 0;
	if (firmware_list_models(dirfd, &names, &n, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	struct listing l = {.devices = json_object_new_array(),
	                    .models = calloc(n ? n : 1, sizeof *l.models),
	                    .nmodels = n};
	int rc = l.devices != NULL && l.models != NULL ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		snprintf(l.models[i].name, sizeof l.models[i].name, "%s", names[i]);
	if (rc == 0)
		rc = fwstatus_each(dirfd, NULL, (int64_t)time(NULL),
		                   ctx->settings->firmware_fail_after, ctx->file, list_device, &l,
		                   &r);
	json_object *o = NULL;
	if (rc == 0 && (o = json_object_new_object()) != NULL) {
		json_object *models = json_object_new_array();
		for (size_t i = 0; models != NULL && i < n; i++)
			json_object_array_add(models, model_entry(dirfd, &l.models[i]));
		json_object_object_add(o, "models", models);
		json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "devices", l.devices);
		l.devices = NULL;
	}
	close(dirfd);
	json_object_put(l.devices);
	free(l.models);
	free(names);
	if (rc != 0 && r.status != STORE_OK)
		return api_store_error(ctx, &r);
	return answer_json(ctx, 200, o);
}

int
api_firmware_model_get(struct api_ctx *ctx)
{
	int mfd;
	if (open_model(ctx, &mfd) != 0)
		return -1;
	struct store_result r;
	struct firmware_target *t = calloc(1, sizeof *t);
	struct firmware_meta *kept = NULL;
	size_t n = 0;
	int rc = t == NULL ? -1 : 0;
	if (rc == 0 && (firmware_read_target(mfd, t, &r) != 0 ||
	                firmware_list_versions(mfd, &kept, &n, &r) != 0)) {
		close(mfd);
		free(t);
		return api_store_error(ctx, &r);
	}
	close(mfd);
	struct model_summary s = {0};
	snprintf(s.name, sizeof s.name, "%s", ctx->model);
	struct listing l = {.devices = json_object_new_array(), .models = &s, .nmodels = 1};
	int dirfd = -1;
	if (rc == 0 && api_open_dir(ctx, &dirfd) != 0) {
		free(t);
		free(kept);
		json_object_put(l.devices);
		return -1;
	}
	if (rc == 0 && l.devices != NULL)
		rc = fwstatus_each(dirfd, ctx->model, (int64_t)time(NULL),
		                   ctx->settings->firmware_fail_after, ctx->file, list_device, &l,
		                   &r);
	if (dirfd >= 0)
		close(dirfd);
	json_object *o = NULL;
	if (rc == 0 && l.devices != NULL && (o = json_object_new_object()) != NULL) {
		json_object *versions = json_object_new_array();
		for (size_t i = 0; versions != NULL && i < n; i++)
			json_object_array_add(versions, version_json(ctx->model, &kept[i], t));
		json_object_object_add(o, "model", json_object_new_string(ctx->model));
		json_object_object_add(o, "chip",
		                       n > 0 ? json_object_new_string(kept[0].chip) : NULL);
		json_object_object_add(o, "target", target_json(ctx->model, t));
		json_object_object_add(o, "versions", versions);
		json_object_object_add(o, "states", counts_json(&s));
		json_object_object_add(o, "devices", l.devices);
		l.devices = NULL;
	}
	json_object_put(l.devices);
	free(t);
	free(kept);
	if (rc != 0 && r.status != STORE_OK)
		return api_store_error(ctx, &r);
	return answer_json(ctx, 200, o);
}

int
api_firmware_device_get(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct fwstatus_device *d = malloc(sizeof *d);
	struct store_result r;
	int found = d == NULL ? -2
	                      : fwstatus_one(dirfd, ctx->mac, (int64_t)time(NULL),
	                                     ctx->settings->firmware_fail_after, ctx->file, d, &r);
	close(dirfd);
	if (found == -2) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "reading a device");
		return -1;
	}
	if (found < 0) {
		free(d);
		return api_store_error(ctx, &r);
	}
	json_object *o = device_json(d);
	free(d);
	return answer_json(ctx, 200, o);
}

/* --- one version: record, upload, delete --------------------------------------- */

int
api_firmware_version_get(struct api_ctx *ctx)
{
	if (version_grammar(ctx) != 0)
		return -1;
	int mfd;
	if (open_model(ctx, &mfd) != 0)
		return -1;
	struct firmware_meta m;
	struct firmware_target *t = calloc(1, sizeof *t);
	struct store_result r;
	int rc = firmware_read_meta(mfd, ctx->param, &m, &r);
	if (rc == 0 && t != NULL && firmware_read_target(mfd, t, &r) != 0)
		memset(t, 0, sizeof *t);
	close(mfd);
	if (rc != 0) {
		free(t);
		return r.status == STORE_NOT_FOUND
		               ? api_firmware_version_missing(ctx, ctx->model, ctx->param)
		               : api_store_error(ctx, &r);
	}
	char etag[FIRMWARE_HEX256 + 3];
	snprintf(etag, sizeof etag, "\"%s\"", m.sha256);
	json_object *o = version_json(ctx->model, &m, t);
	free(t);
	if (answer_json(ctx, 200, o) != 0)
		return -1;
	http_header(ctx->res, "ETag", "%s", etag);
	return 0;
}

/* The image in the body is no usable image for this URL: 400 with why. */
static int
bad_image(struct api_ctx *ctx, const char *problem, const char *fmt, const char *a, const char *b)
{
	api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Firmware image refused", fmt, a, b);
	api_error_detail(&ctx->err, "problem", json_object_new_string(problem));
	return -1;
}

static int
upload_refused(struct api_ctx *ctx, const struct firmware_upload *u)
{
	char message[200];
	switch (u->refused) {
	case FIRMWARE_WRONG_CHIP:
		return bad_image(ctx, "wrong chip",
		                 "the image is for %s; the images kept for this model are for %s "
		                 "(delete them all first to change the model's chip)",
		                 u->meta.chip, u->other);
	case FIRMWARE_VERSION_TAKEN:
		snprintf(message, sizeof message, "Firmware %s of model %s exists with other bytes",
		         u->meta.version, ctx->model);
		api_error_set(&ctx->err, ERR_RECORD_EXISTS, message,
		              "a version names one image: delete the kept one first, or build the "
		              "new image with another version");
		return -1;
	case FIRMWARE_NO_ROOM:
		snprintf(message, sizeof message, "No room for another version of model %s",
		         ctx->model);
		api_error_set(&ctx->err, ERR_FIRMWARE_IN_USE, message,
		              "FIRMWARE_KEEP=%u versions are kept and none can go: each is the "
		              "target or the canary's",
		              ctx->settings->firmware_keep);
		return -1;
	default:
		break;
	}
	api_error_set(&ctx->err, ERR_INTERNAL, "Internal error", "upload refused for no reason");
	return -1;
}

int
api_firmware_version_put(struct api_ctx *ctx)
{
	if (version_grammar(ctx) != 0)
		return -1;
	if (!http_media_type_is(ctx->req->content_type, "application/octet-stream")) {
		api_error_set(&ctx->err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type",
		              "send the image (the .bin) as the body with Content-Type: "
		              "application/octet-stream");
		return -1;
	}
	if (http_read_body_limit(ctx->req, ctx->settings->firmware_max_bytes, "FIRMWARE_MAX_BYTES",
	                         &ctx->err) != 0)
		return -1;
	const struct buf *body = ctx->req->body;
	struct espimage_info info;
	char why[256];
	enum espimage_status st =
	        espimage_parse((const uint8_t *)body->data, body->len, &info, why, sizeof why);
	if (st != ESPIMAGE_OK)
		return bad_image(ctx, espimage_status_text(st), "%s%s", why, "");
	if (!firmware_version_valid(info.version))
		return bad_image(
		        ctx, "bad version",
		        "the image's version '%s' cannot name a file: 1 to 32 characters of "
		        "A-Z, a-z, 0-9, '.', '_', '+' and '-' only%s",
		        info.version, "");
	if (strcmp(info.version, ctx->param) != 0)
		return bad_image(ctx, "version mismatch",
		                 "the image's version is '%s', not '%s' as the URL says",
		                 info.version, ctx->param);
	struct firmware_upload *u = calloc(1, sizeof *u);
	if (u == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "upload");
		return -1;
	}
	u->data = (const uint8_t *)body->data;
	u->len = body->len;
	u->keep = ctx->settings->firmware_keep;
	firmware_meta_from_image(&info, u->data, u->len, (int64_t)time(NULL), ctx->req->remote_user,
	                         &u->meta);
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0) {
		free(u);
		return -1;
	}
	struct store_result r;
	int rc = firmware_install(dirfd, ctx->model, u, &r);
	close(dirfd);
	if (rc != 0) {
		rc = r.status == STORE_PRECONDITION ? upload_refused(ctx, u)
		                                    : api_store_error(ctx, &r);
		free(u);
		return rc;
	}
	log_msg(LOG_INFO,
	        "firmware %s model=%s version=%s chip=%s bytes=%zu sha256=%s pruned=%zu user=%s",
	        u->created ? "uploaded" : "unchanged", ctx->model, u->meta.version, u->meta.chip,
	        u->len, u->meta.sha256, u->pruned, LOG_VALUE(ctx->req->remote_user));
	json_object *o = version_json(ctx->model, &u->meta, NULL);
	if (o != NULL) {
		json_object *pruned = json_object_new_array();
		for (size_t i = 0; pruned != NULL && i < u->pruned && i < 8; i++)
			json_object_array_add(pruned,
			                      json_object_new_string(u->pruned_versions[i]));
		json_object_object_add(o, "pruned", pruned);
	}
	bool created = u->created;
	char etag[FIRMWARE_HEX256 + 3];
	snprintf(etag, sizeof etag, "\"%s\"", u->meta.sha256);
	free(u);
	if (answer_json(ctx, created ? 201 : 200, o) != 0)
		return -1;
	http_header(ctx->res, "ETag", "%s", etag);
	if (created)
		http_header(ctx->res, "Location", "/api/firmware/%s/versions/%s", ctx->model,
		            ctx->param);
	return 0;
}

int
api_firmware_version_delete(struct api_ctx *ctx)
{
	if (version_grammar(ctx) != 0)
		return -1;
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	enum firmware_refusal refused;
	int rc = firmware_remove(dirfd, ctx->model, ctx->param, &refused, &r);
	close(dirfd);
	if (rc != 0 && refused == FIRMWARE_IN_USE) {
		char message[256];
		snprintf(message, sizeof message, "Firmware %s of model %s is in use", ctx->param,
		         ctx->model);
		api_error_set(&ctx->err, ERR_FIRMWARE_IN_USE, message,
		              "it is the model's target or its canary's: set another target first");
		return -1;
	}
	if (rc != 0 && r.status == STORE_NOT_FOUND)
		return api_firmware_version_missing(ctx, ctx->model, ctx->param);
	if (rc != 0 && r.status != STORE_NOT_DURABLE)
		return api_store_error(ctx, &r);
	log_msg(LOG_INFO, "firmware deleted model=%s version=%s user=%s", ctx->model, ctx->param,
	        LOG_VALUE(ctx->req->remote_user));
	if (rc != 0)
		return api_store_error(ctx, &r);
	ctx->res->status = 204;
	return 0;
}

/* --- targets ----------------------------------------------------------------- */

int
api_firmware_target_get(struct api_ctx *ctx)
{
	int mfd;
	if (open_model(ctx, &mfd) != 0)
		return -1;
	struct firmware_target *t = malloc(sizeof *t);
	struct store_result r;
	int rc = t != NULL ? firmware_read_target(mfd, t, &r) : -1;
	close(mfd);
	if (t == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "reading a target");
		return -1;
	}
	if (rc != 0) {
		free(t);
		return api_store_error(ctx, &r);
	}
	json_object *o = target_json(ctx->model, t);
	free(t);
	return answer_json(ctx, 200, o);
}

static int
target_invalid(struct api_ctx *ctx, const char *detail)
{
	api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Invalid firmware target", "%s", detail);
	return -1;
}

static int
by_mac(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Reads {"version": …, "canary": null | {"version": …, "devices": [...]}} into *t. */
static int
parse_target(struct api_ctx *ctx, json_object *body, struct firmware_target *t)
{
	json_object *v = NULL, *canary = NULL, *devices = NULL;
	if (!json_object_object_get_ex(body, "version", &v) ||
	    (v != NULL && !json_object_is_type(v, json_type_string)))
		return target_invalid(
		        ctx, "\"version\" must be a kept version's name, or null for none");
	const char *version = v != NULL ? json_object_get_string(v) : "";
	if (v != NULL && !firmware_version_valid(version))
		return target_invalid(ctx, "\"version\" is not a version name");
	snprintf(t->version, sizeof t->version, "%s", version);
	if (!json_object_object_get_ex(body, "canary", &canary) || canary == NULL)
		return 0;
	if (!json_object_is_type(canary, json_type_object) ||
	    !json_object_object_get_ex(canary, "version", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !firmware_version_valid(json_object_get_string(v)) ||
	    !json_object_object_get_ex(canary, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array))
		return target_invalid(ctx,
		                      "\"canary\" must be null or {\"version\": a kept version, "
		                      "\"devices\": [MAC addresses]}");
	snprintf(t->canary_version, sizeof t->canary_version, "%s", json_object_get_string(v));
	size_t n = json_object_array_length(devices);
	if (n == 0 || n > FIRMWARE_CANARY_MAX)
		return target_invalid(ctx, "a canary names 1 to 256 devices");
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		char mac[MAC_CANONICAL_LEN + 1];
		const char *s =
		        json_object_is_type(d, json_type_string) ? json_object_get_string(d) : "";
		if (!json_object_is_type(d, json_type_string) || !mac_normalise(s, strlen(s), mac))
			return target_invalid(ctx, "a canary device is a MAC address such as "
			                           "AA:BB:CC:DD:EE:FF");
		bool dup = false;
		for (size_t k = 0; k < t->canary_count && !dup; k++)
			dup = strcmp(t->canary[k], mac) == 0;
		if (!dup)
			memcpy(t->canary[t->canary_count++], mac, sizeof mac);
	}
	if (strcmp(t->canary_version, t->version) == 0)
		return target_invalid(ctx, "the canary's version is the target itself: set it for "
		                           "all (canary null) instead");
	qsort(t->canary, t->canary_count, sizeof t->canary[0], by_mac);
	return 0;
}

/* Where devices reach an image: FIRMWARE_BASE_URL, else the address this request used. */
static void
image_url(struct api_ctx *ctx, const char *model, const char *version, char *out, size_t n)
{
	const char *base = ctx->settings->firmware_base_url;
	const char *host = ctx->req->host;
	bool tls = ctx->req->https != NULL && strcasecmp(ctx->req->https, "on") == 0;
	/* Host was checked against ALLOWED_HOSTS when that is set (origin.c); quoted
	 * characters never reach a URL here. */
	bool host_ok = host != NULL && host[0] != '\0' && strpbrk(host, "\"\\/ ") == NULL;
	if (base != NULL)
		snprintf(out, n, "%s/esp32/firmware/%s/%s.bin", base, model, version);
	else if (host_ok)
		snprintf(out, n, "%s://%s/esp32/firmware/%s/%s.bin", tls ? "https" : "http", host,
		         model, version);
	else
		snprintf(out, n, "/esp32/firmware/%s/%s.bin", model, version);
}

/* Publishes one target (the model's, or the canary's with its devices). */
static void
publish_target(struct api_ctx *ctx, const char *version, const struct firmware_target *t,
               bool canary)
{
	int dirfd, mfd;
	struct store_result r;
	struct firmware_meta m;
	if (store_open_dir(ctx->settings->configs_dir, &dirfd, &r) != 0)
		return;
	int rc = firmware_open_model(dirfd, ctx->model, &mfd, &r);
	close(dirfd);
	if (rc != 0)
		return;
	rc = firmware_read_meta(mfd, version, &m, &r);
	close(mfd);
	if (rc != 0)
		return;
	char url[512];
	image_url(ctx, ctx->model, version, url, sizeof url);
	const char *devices[FIRMWARE_CANARY_MAX];
	for (size_t i = 0; canary && i < t->canary_count; i++)
		devices[i] = t->canary[i];
	struct buf payload;
	buf_init(&payload);
	char what[96];
	snprintf(what, sizeof what, "model=%s version=%s", ctx->model, version);
	if (mqtt_firmware_payload_build(&payload, ctx->model, version, m.sha256, m.md5, m.size, url,
	                                canary ? devices : NULL, canary ? t->canary_count : 0) == 0)
		mqtt_publish(ctx->settings->mqtt.firmware_topic, &payload, what);
	buf_free(&payload);
}

static bool
same_canary(const struct firmware_target *a, const struct firmware_target *b)
{
	if (strcmp(a->canary_version, b->canary_version) != 0 || a->canary_count != b->canary_count)
		return false;
	for (size_t i = 0; i < a->canary_count; i++)
		if (strcmp(a->canary[i], b->canary[i]) != 0)
			return false;
	return true;
}

int
api_firmware_target_put(struct api_ctx *ctx)
{
	json_object *body;
	if (api_read_json_body(ctx, &body) != 0)
		return -1;
	struct firmware_target *t = calloc(2, sizeof *t);
	if (t == NULL) {
		json_object_put(body);
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "setting a target");
		return -1;
	}
	struct firmware_target *previous = t + 1;
	int rc = parse_target(ctx, body, t);
	json_object_put(body);
	if (rc != 0) {
		free(t);
		return -1;
	}
	t->changed_at = (int64_t)time(NULL);
	const char *user = ctx->req->remote_user;
	size_t o = 0;
	for (const char *p = user ? user : ""; *p && o < FIRMWARE_USER_MAX; p++)
		t->changed_by[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	t->changed_by[o] = '\0';
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0) {
		free(t);
		return -1;
	}
	struct store_result r;
	enum firmware_refusal refused;
	char bad[FIRMWARE_VERSION_MAX + 1];
	rc = firmware_set_target(dirfd, ctx->model, t, previous, &refused, bad, &r);
	close(dirfd);
	if (rc != 0 && r.status != STORE_NOT_DURABLE) {
		free(t);
		if (refused == FIRMWARE_UNKNOWN_VERSION) {
			char detail[160];
			snprintf(detail, sizeof detail,
			         "model %s keeps no version %s (upload it first)", ctx->model, bad);
			return target_invalid(ctx, detail);
		}
		return r.status == STORE_NOT_FOUND ? api_firmware_model_missing(ctx, ctx->model)
		                                   : api_store_error(ctx, &r);
	}
	/* In place (durable or not): log it, tell the devices, answer. */
	log_msg(LOG_INFO,
	        "firmware target set model=%s version=%s canary=%s canary_devices=%zu user=%s",
	        ctx->model, t->version[0] ? t->version : "-",
	        t->canary_version[0] ? t->canary_version : "-", t->canary_count, LOG_VALUE(user));
	if (mqtt_enabled()) {
		if (t->version[0] != '\0' && strcmp(t->version, previous->version) != 0)
			publish_target(ctx, t->version, t, false);
		if (t->canary_version[0] != '\0' && !same_canary(t, previous))
			publish_target(ctx, t->canary_version, t, true);
	}
	json_object *out = target_json(ctx->model, t);
	free(t);
	if (rc != 0) {
		json_object_put(out);
		return api_store_error(ctx, &r);
	}
	return answer_json(ctx, 200, out);
}

/* --- metrics ------------------------------------------------------------------ */

struct gauge_walk {
	struct model_summary *models;
	size_t n;
};

static int
gauge_device(const struct fwstatus_device *d, void *arg)
{
	struct gauge_walk *w = arg;
	for (size_t i = 0; i < w->n; i++)
		if (d->has_state && strcmp(w->models[i].name, d->model) == 0)
			w->models[i].counts[d->state]++;
	return 0;
}

int
api_firmware_metrics(const struct settings *settings, struct buf *out, struct buf *scratch)
{
	int rc = buf_puts(out, "# HELP iot_firmware_devices Devices of each firmware model by "
	                       "update state against the model's target.\n"
	                       "# TYPE iot_firmware_devices gauge\n");
	struct store_result r;
	int dirfd;
	if (rc != 0 || store_open_dir(settings->configs_dir, &dirfd, &r) != 0)
		return rc; /* an unusable directory shows no device */
	char(*names)[FIRMWARE_MODEL_MAX + 1] = NULL;
	size_t n = 0;
	struct gauge_walk w = {0};
	if (firmware_list_models(dirfd, &names, &n, &r) == 0 && n > 0 &&
	    (w.models = calloc(n, sizeof *w.models)) != NULL) {
		w.n = n;
		for (size_t i = 0; i < n; i++)
			snprintf(w.models[i].name, sizeof w.models[i].name, "%s", names[i]);
		if (fwstatus_each(dirfd, NULL, (int64_t)time(NULL), settings->firmware_fail_after,
		                  scratch, gauge_device, &w, &r) != 0 &&
		    r.status == STORE_OK)
			rc = -1;
		for (size_t i = 0; rc == 0 && i < n; i++)
			for (int s = 0; rc == 0 && s < FWNOTE_STATE_COUNT; s++)
				rc = buf_printf(
				        out,
				        "iot_firmware_devices{model=\"%s\",state=\"%s\"} %zu\n",
				        w.models[i].name, fwnote_state_name((enum fwnote_state)s),
				        w.models[i].counts[s]);
	}
	free(w.models);
	free(names);
	close(dirfd);
	return rc;
}
