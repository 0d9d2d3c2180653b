/*
 * api_fleet.c: the record of a fleet change and the write of one device
 * (api_fleet.h).
 */
#include "api_fleet.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const result_names[FLEET_RESULT_COUNT] = {
        "changed", "created",  "deleted", "restored", "unchanged",
        "skipped", "conflict", "missing", "invalid",  "failed",
};

const char *
fleet_result_name(enum fleet_result r)
{
	return r >= 0 && r < FLEET_RESULT_COUNT ? result_names[r] : "failed";
}

int
fleet_begin(struct fleet *f, struct api_ctx *ctx, const char *kind, bool dry_run)
{
	memset(f, 0, sizeof *f);
	f->ctx = ctx;
	f->dirfd = -1;
	f->dry_run = dry_run;
	buf_init(&f->current);
	buf_init(&f->next);
	if (api_open_dir(ctx, &f->dirfd) != 0)
		return -1;
	if (!dry_run)
		changeset_new_id(f->id);
	char now[32];
	api_rfc3339((int64_t)time(NULL), now);
	f->record = json_object_new_object();
	f->devices = json_object_new_array();
	const char *user = ctx->req->remote_user;
	if (f->record == NULL || f->devices == NULL ||
	    json_object_object_add(f->record, "id",
	                           dry_run ? NULL : json_object_new_string(f->id)) != 0 ||
	    json_object_object_add(f->record, "kind", json_object_new_string(kind)) != 0 ||
	    json_object_object_add(f->record, "dry_run", json_object_new_boolean(dry_run)) != 0 ||
	    json_object_object_add(f->record, "created_at", json_object_new_string(now)) != 0 ||
	    json_object_object_add(f->record, "user",
	                           user && user[0] ? json_object_new_string(user) : NULL) != 0 ||
	    /* What each kind sets (the same fields in every record). */
	    json_object_object_add(f->record, "patch", NULL) != 0 ||
	    json_object_object_add(f->record, "q", NULL) != 0 ||
	    json_object_object_add(f->record, "undoes", NULL) != 0 ||
	    json_object_object_add(f->record, "existing", NULL) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "starting the change");
		return -1;
	}
	return 0;
}

json_object *
fleet_device(struct fleet *f, const char *mac)
{
	json_object *dev = json_object_new_object();
	if (dev == NULL ||
	    json_object_object_add(dev, "mac_address", json_object_new_string(mac)) != 0 ||
	    json_object_array_add(f->devices, dev) != 0) {
		json_object_put(dev);
		return NULL;
	}
	return dev;
}

void
fleet_result(struct fleet *f, json_object *dev, enum fleet_result result, const char *message)
{
	json_object_object_add(dev, "result", json_object_new_string(fleet_result_name(result)));
	if (message != NULL)
		json_object_object_add(dev, "message", json_object_new_string(message));
	f->counts[result]++;
}

void
fleet_device_ctx(const struct fleet *f, const char *mac, struct api_ctx *dctx)
{
	*dctx = *f->ctx;
	snprintf(dctx->mac, sizeof dctx->mac, "%s", mac);
	dctx->err.kind = ERR_NONE;
	dctx->err.details = NULL; /* its own, released by fleet_device_done */
	dctx->change_id = f->dry_run ? NULL : f->id;
	dctx->replaced[0] = '\0';
}

void
fleet_device_done(struct api_ctx *dctx)
{
	api_error_release(&dctx->err);
}

/* "error: detail" of a device's failed write. */
static void
error_message(const struct api_ctx *dctx, char *out, size_t n)
{
	if (dctx->err.detail[0] != '\0')
		snprintf(out, n, "%s: %s", dctx->err.message, dctx->err.detail);
	else
		snprintf(out, n, "%s", dctx->err.message);
}

enum fleet_result
fleet_write(struct fleet *f, struct api_ctx *dctx, json_object *dev, const char *etag,
            const char *bytes, size_t len, enum fleet_result result)
{
	char new_etag[40] = "";
	if (bytes != NULL) {
		struct buf b = {.data = (char *)bytes, .len = len, .cap = len};
		api_etag(&b, new_etag);
	}
	json_object_object_add(dev, "new_etag",
	                       bytes != NULL ? json_object_new_string(new_etag) : NULL);
	char message[600];
	if (f->dry_run) {
		/* What the write path would refuse first: a config against its schema. */
		int dirfd = -1;
		bool refused = bytes != NULL && (api_open_dir(dctx, &dirfd) != 0 ||
		                                 api_schemas_guard(dctx, dirfd, bytes, len) != 0);
		if (dirfd >= 0)
			close(dirfd);
		if (refused) {
			json_object_object_add(dev, "new_etag", NULL);
			error_message(dctx, message, sizeof message);
			enum fleet_result r = dctx->err.kind == ERR_VALIDATION_FAILED
			                              ? FLEET_INVALID
			                              : FLEET_FAILED;
			fleet_result(f, dev, r, message);
			return r;
		}
		fleet_result(f, dev, result, NULL);
		return result;
	}
	dctx->err.kind = ERR_NONE;
	int rc = api_change_config_from(dctx, etag, bytes, len, NULL);
	if (rc == 0 || dctx->err.kind == ERR_STORAGE_NOT_DURABLE) {
		json_object_object_add(dev, "revision",
		                       dctx->replaced[0] ? json_object_new_string(dctx->replaced)
		                                         : NULL);
		error_message(dctx, message, sizeof message);
		fleet_result(f, dev, result, rc == 0 ? NULL : message);
		return result;
	}
	json_object_object_add(dev, "new_etag", NULL);
	error_message(dctx, message, sizeof message);
	switch (dctx->err.kind) {
	case ERR_PRECONDITION_FAILED:
		fleet_result(f, dev, FLEET_CONFLICT,
		             etag != NULL
		                     ? "changed since the version the change was computed from; "
		                       "left as it is"
		                     : "a config was made meanwhile; left as it is");
		return FLEET_CONFLICT;
	case ERR_VALIDATION_FAILED:
	case ERR_PAYLOAD_TOO_LARGE:
		fleet_result(f, dev, FLEET_INVALID, message);
		return FLEET_INVALID;
	default:
		fleet_result(f, dev, FLEET_FAILED, message);
		return FLEET_FAILED;
	}
}

/* Writes the record with the state given; ctx->err on failure. */
static int
write_record(struct fleet *f, const char *state)
{
	json_object_object_add(f->record, "state", json_object_new_string(state));
	size_t len;
	const char *text = json_object_to_json_string_length(
	        f->record, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	struct store_result r;
	if (text == NULL) {
		api_error_set(&f->ctx->err, ERR_INTERNAL, "Out of memory", "rendering the change");
		return -1;
	}
	if (changeset_write(f->dirfd, f->id, text, len, &r) != 0 && r.status != STORE_NOT_DURABLE)
		return api_store_error(f->ctx, &r);
	return 0;
}

int
fleet_start(struct fleet *f)
{
	if (f->dry_run)
		return 0;
	if (json_object_object_get(f->record, "devices") == NULL)
		json_object_object_add(f->record, "devices", json_object_get(f->devices));
	return write_record(f, "applying");
}

int
fleet_finish(struct fleet *f)
{
	json_object *summary = json_object_new_object();
	size_t written = 0;
	for (int i = 0; i < FLEET_RESULT_COUNT; i++) {
		json_object_object_add(summary, result_names[i],
		                       json_object_new_int64((int64_t)f->counts[i]));
		if (i <= FLEET_RESTORED)
			written += f->counts[i];
	}
	json_object_object_add(
	        f->record, "count",
	        json_object_new_int64((int64_t)json_object_array_length(f->devices)));
	json_object_object_add(f->record, "summary", summary);
	if (json_object_object_get(f->record, "devices") == NULL)
		json_object_object_add(f->record, "devices", json_object_get(f->devices));
	struct api_ctx *ctx = f->ctx;
	if (!f->dry_run) {
		const char *kind =
		        json_object_get_string(json_object_object_get(f->record, "kind"));
		log_msg(LOG_INFO,
		        "fleet change id=%s kind=%s devices=%zu written=%zu conflicts=%zu user=%s",
		        f->id, kind, json_object_array_length(f->devices), written,
		        f->counts[FLEET_CONFLICT], LOG_VALUE(ctx->req->remote_user));
		if (write_record(f, "done") != 0) {
			char message[200];
			snprintf(message, sizeof message,
			         "Change %s was applied (%zu devices written) but its record could "
			         "not "
			         "be saved",
			         f->id, written);
			snprintf(ctx->err.message, sizeof ctx->err.message, "%s", message);
			return -1;
		}
		changeset_prune(f->dirfd, CHANGESET_KEEP);
	} else {
		json_object_object_add(f->record, "state", json_object_new_string("preview"));
	}
	size_t len;
	const char *text = json_object_to_json_string_length(
	        f->record, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL || http_set_json(ctx->res, 200, text, len) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the change");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-store");
	return 0;
}

void
fleet_end(struct fleet *f)
{
	if (f->dirfd >= 0)
		close(f->dirfd);
	f->dirfd = -1;
	json_object_put(f->record);
	json_object_put(f->devices);
	f->record = f->devices = NULL;
	buf_free(&f->current);
	buf_free(&f->next);
}
