/*
 * api_credential.c: the devices' secrets (credential.h), for admins.
 *   GET    /api/credentials                     every device that has a secret
 *                                               and the DEVICE_AUTH mode
 *   GET    /api/configs/{mac_address}/credential  one device's: what is safe to
 *                                               show, never the secret or its hash
 *   POST   /api/configs/{mac_address}/credential  a new secret, answered once (201);
 *                                               an existing one becomes the
 *                                               previous secret for the overlap
 *   DELETE /api/configs/{mac_address}/credential  revokes both (204)
 * A secret may be made before the device has a config: it then gets 404
 * once authenticated, as any device without a config.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "credential.h"
#include "log.h"

/* Adds "name": RFC 3339 time, or null when t is 0. */
static void
add_time(json_object *o, const char *name, int64_t t)
{
	char text[32];
	if (t == 0) {
		json_object_object_add(o, name, NULL);
		return;
	}
	api_rfc3339(t, text);
	json_object_object_add(o, name, json_object_new_string(text));
}

/* The record a route answers: what the file says, without hashes. */
static json_object *
record_json(const struct credential *c, int64_t now)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	bool pending = credential_previous_valid(c, now);
	json_object_object_add(o, "mac_address", json_object_new_string(c->mac));
	add_time(o, "created_at", c->current.created_at);
	json_object_object_add(o, "in_use",
	                       c->used == CREDENTIAL_NONE
	                               ? NULL
	                               : json_object_new_string(c->used == CREDENTIAL_CURRENT
	                                                                ? "current"
	                                                                : "previous"));
	add_time(o, "last_used_at", c->used != CREDENTIAL_NONE ? c->used_at : 0);
	json_object_object_add(o, "last_used_from",
	                       c->used != CREDENTIAL_NONE ? json_object_new_string(c->used_from)
	                                                  : NULL);
	json_object_object_add(o, "rotation_pending", json_object_new_boolean(pending));
	add_time(o, "previous_created_at", pending ? c->previous.created_at : 0);
	add_time(o, "previous_valid_until", pending ? c->previous_until : 0);
	return o;
}

/* Answers status with o (taken over) as JSON. */
static int
answer(struct api_ctx *ctx, int status, json_object *o)
{
	if (o == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the answer");
		return -1;
	}
	size_t len;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	int rc = http_set_json(ctx->res, status, text, len);
	json_object_put(o);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the answer");
		return -1;
	}
	/* The POST's answer holds a secret: no cache may keep it (RFC 9111 section 5.2.2.5). */
	http_header(ctx->res, "Cache-Control", "no-store");
	return 0;
}

static int
no_secret(struct api_ctx *ctx)
{
	char message[120];
	snprintf(message, sizeof message, "Device %s has no secret", ctx->mac);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message, "POST to this route makes one");
	return -1;
}

/* A change that is made but may not survive a crash: say so, as for configs. */
static int
change_failed(struct api_ctx *ctx, const struct store_result *r, const char *what)
{
	if (r->status != STORE_NOT_DURABLE)
		return api_store_error(ctx, r);
	char message[160];
	snprintf(message, sizeof message, "The secret of %s was %s but may not survive a crash",
	         ctx->mac, what);
	api_error_set(&ctx->err, ERR_STORAGE_NOT_DURABLE, message, "%s: %s", r->op,
	              strerror(r->sys_errno));
	log_msg(LOG_ERROR, "credential change not durable mac=%s op=\"%s\" errno=\"%s\"", ctx->mac,
	        r->op, strerror(r->sys_errno));
	return -1;
}

struct list_walk {
	json_object *array;
	int64_t now;
};

static int
list_one(const struct credential *c, void *arg)
{
	struct list_walk *w = arg;
	json_object *o = record_json(c, w->now);
	if (o == NULL || json_object_array_add(w->array, o) != 0) {
		json_object_put(o);
		return -1;
	}
	return 0;
}

int
api_credentials_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	json_object *root = json_object_new_object();
	struct list_walk w = {.array = json_object_new_array(), .now = (int64_t)time(NULL)};
	struct store_result r = {.status = STORE_OK};
	int rc = root != NULL && w.array != NULL ? credential_each(dirfd, list_one, &w, &r) : -1;
	close(dirfd);
	if (rc != 0) {
		json_object_put(root);
		json_object_put(w.array);
		if (r.status != STORE_OK)
			return api_store_error(ctx, &r);
		return answer(ctx, 200, NULL);
	}
	json_object_object_add(
	        root, "mode",
	        json_object_new_string(settings_device_auth_name(ctx->settings->device_auth)));
	json_object_object_add(root, "overlap_seconds",
	                       json_object_new_int64(ctx->settings->secret_overlap));
	size_t n = json_object_array_length(w.array);
	json_object_object_add(root, "credentials", w.array);
	json_object_object_add(root, "count", json_object_new_int64((int64_t)n));
	return answer(ctx, 200, root);
}

int
api_credential_get(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct credential c;
	struct store_result r;
	int found = credential_read(dirfd, ctx->mac, &c, &r);
	close(dirfd);
	if (found < 0)
		return api_store_error(ctx, &r);
	if (found == 0)
		return no_secret(ctx);
	return answer(ctx, 200, record_json(&c, (int64_t)time(NULL)));
}

int
api_credential_create(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	char secret[CREDENTIAL_SECRET_LEN + 1];
	struct credential c;
	struct store_result r;
	bool rotated;
	int64_t now = (int64_t)time(NULL);
	int rc = credential_create(dirfd, ctx->mac, now, ctx->settings->secret_overlap, secret, &c,
	                           &rotated, &r);
	close(dirfd);
	if (rc != 0 && r.status != STORE_NOT_DURABLE) {
		memset(secret, 0, sizeof secret);
		return api_store_error(ctx, &r);
	}
	log_msg(LOG_INFO, "device secret %s mac=%s user=%s", rotated ? "rotated" : "created",
	        ctx->mac, LOG_VALUE(ctx->req->remote_user));
	if (rc != 0) {
		memset(secret, 0, sizeof secret);
		return change_failed(ctx, &r, rotated ? "rotated" : "made");
	}
	json_object *o = record_json(&c, now);
	if (o != NULL)
		json_object_object_add(o, "secret", json_object_new_string(secret));
	memset(secret, 0, sizeof secret);
	return answer(ctx, 201, o);
}

int
api_credential_revoke(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	int rc = credential_revoke(dirfd, ctx->mac, &r);
	close(dirfd);
	if (rc < 0 && r.status != STORE_NOT_DURABLE)
		return api_store_error(ctx, &r);
	if (rc == 0)
		return no_secret(ctx);
	log_msg(LOG_INFO, "device secret revoked mac=%s user=%s", ctx->mac,
	        LOG_VALUE(ctx->req->remote_user));
	if (rc < 0)
		return change_failed(ctx, &r, "revoked");
	ctx->res->status = 204;
	return 0;
}
