/*
 * api_changes.c: fleet changes (api_fleet.h).
 *   POST /api/changes                       a merge patch to many devices;
 *                                           "dry_run": true previews it
 *   GET  /api/changes                       the recent changes, newest first
 *   GET  /api/changes/{change_id}           one change, device by device
 *   POST /api/changes/{change_id}/undo      puts back what it replaced
 *
 * A preview answers, per device, the diff of the patch, the ETag of the
 * version it was computed from, and whether anything changes. Applying
 * patches each device again from its current version, and writes it only
 * if that is still the version the client previewed (the ETags it sends
 * back) and still the one just read: a device changed meanwhile is a
 * conflict, never overwritten. Undo restores, device by device, the
 * version each write replaced (from the history), only where the device
 * still has the version the change wrote; it is itself a change, so it
 * can be undone too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_fleet.h"
#include "jsonbody.h"
#include "search.h"

/* One device a change names, with the ETag it was previewed at ("" none). */
struct target {
	char mac[MAC_CANONICAL_LEN + 1];
	char etag[40];
};

static int
invalid(struct api_ctx *ctx, const char *fmt, const char *arg)
{
	api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is invalid", fmt, arg);
	return -1;
}

/* Is t[0..n) already naming mac? (n is bounded by FLEET_MAX_DEVICES: a scan is fine) */
static struct target *
find_target(struct target *t, size_t n, const char *mac)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].mac, mac) == 0)
			return &t[i];
	return NULL;
}

/* "devices": [mac, or {"mac_address": mac, "etag": etag}, ...]. */
static int
targets_from_list(struct api_ctx *ctx, json_object *list, struct target **out, size_t *n)
{
	size_t len = json_object_array_length(list);
	if (len > FLEET_MAX_DEVICES) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Too many devices",
		              "a change names at most %d devices", FLEET_MAX_DEVICES);
		return -1;
	}
	*out = calloc(len ? len : 1, sizeof **out);
	if (*out == NULL) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "reading the devices");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		json_object *item = json_object_array_get_idx(list, i), *mac = item, *etag = NULL;
		if (json_object_is_type(item, json_type_object)) {
			mac = json_object_object_get(item, "mac_address");
			etag = json_object_object_get(item, "etag");
		}
		char canonical[MAC_CANONICAL_LEN + 1];
		const char *text = json_object_get_string(mac);
		if (!json_object_is_type(mac, json_type_string) ||
		    !mac_normalise(text, (size_t)json_object_get_string_len(mac), canonical))
			return invalid(ctx, "\"devices\" holds '%.60s', which is not a MAC address",
			               mac ? json_object_to_json_string(mac) : "null");
		if (etag != NULL && (!json_object_is_type(etag, json_type_string) ||
		                     json_object_get_string_len(etag) >= 40))
			return invalid(ctx, "the etag of %s must be an ETag string", canonical);
		struct target *t = find_target(*out, *n, canonical);
		const char *e = etag ? json_object_get_string(etag) : "";
		if (t != NULL) {
			if (strcmp(t->etag, e) != 0)
				return invalid(ctx, "%s is named twice, with different ETags",
				               canonical);
			continue;
		}
		t = &(*out)[(*n)++];
		memcpy(t->mac, canonical, sizeof t->mac);
		snprintf(t->etag, sizeof t->etag, "%s", e);
	}
	return 0;
}

/* "q": a term or a list of terms (search.h): every config matching all. */
static int
targets_from_search(struct api_ctx *ctx, json_object *q, struct target **out, size_t *n)
{
	struct search s;
	search_init(&s);
	char why[96];
	size_t terms = json_object_is_type(q, json_type_array) ? json_object_array_length(q) : 1;
	for (size_t i = 0; i < terms; i++) {
		json_object *t = json_object_is_type(q, json_type_array)
		                         ? json_object_array_get_idx(q, i)
		                         : q;
		if (!json_object_is_type(t, json_type_string))
			return invalid(ctx, "%s", "\"q\" must be a string or a list of strings");
		if (search_add(&s, json_object_get_string(t), (size_t)json_object_get_string_len(t),
		               why, sizeof why) != 0)
			return invalid(ctx, "\"q\": %s", why);
	}
	char(*macs)[MAC_CANONICAL_LEN + 1];
	size_t found;
	if (api_configs_matching(ctx, &s, FLEET_MAX_DEVICES, &macs, &found) != 0)
		return -1;
	*out = calloc(found ? found : 1, sizeof **out);
	if (*out == NULL) {
		free(macs);
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "reading the devices");
		return -1;
	}
	for (size_t i = 0; i < found; i++)
		memcpy((*out)[i].mac, macs[i], sizeof macs[i]);
	*n = found;
	free(macs);
	return 0;
}

/* Reads a device's config into f->current; false (result recorded) when there is none. */
static bool
read_device(struct fleet *f, struct api_ctx *dctx, json_object *dev, char etag[40])
{
	struct store_result r;
	if (store_read(f->dirfd, dctx->mac, &f->current, NULL, &r) == 0) {
		api_etag(&f->current, etag);
		json_object_object_add(dev, "etag", json_object_new_string(etag));
		return true;
	}
	json_object_object_add(dev, "etag", NULL);
	if (r.status == STORE_NOT_FOUND) {
		fleet_result(f, dev, FLEET_MISSING, "there is no config");
		return false;
	}
	api_store_error(dctx, &r);
	char message[600];
	snprintf(message, sizeof message, "%s: %s", dctx->err.message, dctx->err.detail);
	fleet_result(f, dev, FLEET_FAILED, message);
	return false;
}

static void patch_one(struct fleet *f, struct api_ctx *dctx, json_object *dev,
                      const struct target *t, json_object *patch);

static void
patch_device(struct fleet *f, json_object *dev, const struct target *t, json_object *patch)
{
	struct api_ctx dctx;
	fleet_device_ctx(f, t->mac, &dctx);
	patch_one(f, &dctx, dev, t, patch);
	fleet_device_done(&dctx);
}

static void
patch_one(struct fleet *f, struct api_ctx *dctx, json_object *dev, const struct target *t,
          json_object *patch)
{
	char etag[40];
	if (!read_device(f, dctx, dev, etag))
		return;
	if (t->etag[0] != '\0' && strcmp(t->etag, etag) != 0) {
		fleet_result(f, dev, FLEET_CONFLICT,
		             "changed since the version previewed; left as it is");
		return;
	}
	json_object *diff = json_object_new_array();
	json_object_object_add(dev, "diff", diff);
	bool changed = false;
	if (api_patch_text(dctx, &f->current, patch, &f->next, diff, &changed, NULL) != 0) {
		char message[600];
		snprintf(message, sizeof message, "%s: %s", dctx->err.message, dctx->err.detail);
		fleet_result(f, dev, FLEET_INVALID, message);
		return;
	}
	json_object_object_add(dev, "changed", json_object_new_boolean(changed));
	if (!changed) {
		json_object_object_add(dev, "new_etag", json_object_new_string(etag));
		fleet_result(f, dev, FLEET_UNCHANGED, NULL);
		return;
	}
	fleet_write(f, dctx, dev, etag, f->next.data, f->next.len, FLEET_CHANGED);
}

int
api_changes_apply(struct api_ctx *ctx)
{
	if (!http_media_type_is(ctx->req->content_type, "application/json")) {
		api_error_set(&ctx->err, ERR_UNSUPPORTED_MEDIA, "Unsupported Content-Type",
		              "send Content-Type: application/json");
		return -1;
	}
	json_object *body;
	if (api_read_json_body(ctx, &body) != 0)
		return -1;
	json_object *patch = json_object_object_get(body, "patch");
	json_object *devices = json_object_object_get(body, "devices");
	json_object *q = json_object_object_get(body, "q");
	json_object *dry = json_object_object_get(body, "dry_run");
	struct target *targets = NULL;
	size_t n = 0;
	int rc = -1;
	struct fleet f;
	bool begun = false;
	if (!json_object_is_type(patch, json_type_object)) {
		invalid(ctx, "%s", "\"patch\" is required: a JSON merge patch (an object)");
	} else if ((devices == NULL) == (q == NULL)) {
		invalid(ctx, "%s",
		        "name the devices with either \"devices\" (a list) or \"q\" (a search)");
	} else if (devices != NULL && !json_object_is_type(devices, json_type_array)) {
		invalid(ctx, "%s", "\"devices\" must be a list");
	} else if (dry != NULL && !json_object_is_type(dry, json_type_boolean)) {
		invalid(ctx, "%s", "\"dry_run\" must be true or false");
	} else if ((devices ? targets_from_list(ctx, devices, &targets, &n)
	                    : targets_from_search(ctx, q, &targets, &n)) == 0) {
		begun = true;
		if (fleet_begin(&f, ctx, "patch", dry && json_object_get_boolean(dry)) == 0) {
			json_object_object_add(f.record, "patch", json_object_get(patch));
			json_object *terms = NULL;
			if (json_object_is_type(q, json_type_array)) {
				terms = json_object_get(q);
			} else if (q != NULL) {
				terms = json_object_new_array();
				json_object_array_add(terms, json_object_get(q));
			}
			json_object_object_add(f.record, "q", terms);
			json_object **devs = calloc(n ? n : 1, sizeof *devs);
			bool ok = devs != NULL;
			for (size_t i = 0; ok && i < n; i++)
				ok = (devs[i] = fleet_device(&f, targets[i].mac)) != NULL;
			if (!ok)
				api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory",
				              "the devices");
			else if (fleet_start(&f) == 0) {
				for (size_t i = 0; i < n; i++)
					patch_device(&f, devs[i], &targets[i], patch);
				rc = fleet_finish(&f);
			}
			free(devs);
		}
	}
	if (begun)
		fleet_end(&f);
	free(targets);
	json_object_put(body);
	return rc;
}

/* --- one change, and the list ------------------------------------------------ */

static int
no_change(struct api_ctx *ctx)
{
	char message[160];
	snprintf(message, sizeof message, "Change %.40s was not found", ctx->param);
	api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
	              "no such change (unknown, or one of those beyond the newest %d, which are "
	              "not kept)",
	              CHANGESET_KEEP);
	return -1;
}

/* Reads and parses the record of change id; -1 with ctx->err set. */
static int
read_record(struct api_ctx *ctx, int dirfd, const char *id, json_object **out)
{
	*out = NULL;
	struct store_result r;
	if (!changeset_id_valid(id))
		return no_change(ctx);
	if (changeset_read(dirfd, id, ctx->file, &r) != 0)
		return r.status == STORE_NOT_FOUND || r.status == STORE_NOT_REGULAR
		               ? no_change(ctx)
		               : api_store_error(ctx, &r);
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->file->data, ctx->file->len, out, &je) != 0) {
		api_error_set(&ctx->err, ERR_STORAGE_ERROR, "Change record cannot be read",
		              "the record of %s is not a JSON object: %s", id, je.message);
		return -1;
	}
	return 0;
}

int
api_change_get(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	json_object *record;
	int rc = read_record(ctx, dirfd, ctx->param, &record);
	close(dirfd);
	if (rc != 0)
		return -1;
	json_object_put(record);
	http_header(ctx->res, "Cache-Control", "no-cache");
	return api_send_file(ctx);
}

/* The fields of a record the list shows: all but "devices". */
static json_object *
summary_of(json_object *record)
{
	json_object *s = json_object_new_object();
	json_object_object_foreach(record, key, value)
	{
		if (strcmp(key, "devices") != 0)
			json_object_object_add(s, key, json_object_get(value));
	}
	json_object_object_add(s, "undone_by", json_object_new_array());
	return s;
}

int
api_changes_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	char(*ids)[CHANGESET_ID_LEN + 1];
	size_t n;
	struct store_result r;
	if (changeset_list(dirfd, CHANGESET_KEEP, &ids, &n, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	json_object *changes = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *record;
		/* A record pruned or unreadable meanwhile is left out. */
		if (read_record(ctx, dirfd, ids[i], &record) != 0) {
			ctx->err.kind = ERR_NONE;
			continue;
		}
		json_object_array_add(changes, summary_of(record));
		json_object_put(record);
	}
	close(dirfd);
	free(ids);
	/* Each undo names the change it undid: the list says it the other way too. */
	size_t count = json_object_array_length(changes);
	for (size_t i = 0; i < count; i++) {
		json_object *undoes =
		        json_object_object_get(json_object_array_get_idx(changes, i), "undoes");
		if (undoes == NULL)
			continue;
		for (size_t j = 0; j < count; j++) {
			json_object *c = json_object_array_get_idx(changes, j);
			const char *id = json_object_get_string(json_object_object_get(c, "id"));
			const char *undone = json_object_get_string(undoes);
			/* A record without an id (not one the service wrote) undoes nothing. */
			if (id != NULL && undone != NULL && strcmp(id, undone) == 0)
				json_object_array_add(
				        json_object_object_get(c, "undone_by"),
				        json_object_get(json_object_object_get(
				                json_object_array_get_idx(changes, i), "id")));
		}
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "changes", changes);
	json_object_object_add(doc, "count", json_object_new_int64((int64_t)count));
	size_t len;
	const char *text = json_object_to_json_string_length(
	        doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int rc = text ? http_set_json(ctx->res, 200, text, len) : -1;
	json_object_put(doc);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the changes");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

/* --- undo ----------------------------------------------------------------------- */

/* A string member, or NULL. */
static const char *
string_of(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The optional body of an undo: {"dry_run": bool}. */
static int
undo_options(struct api_ctx *ctx, bool *dry_run)
{
	*dry_run = false;
	if (http_read_body(ctx->req, ctx->settings->max_body_bytes, &ctx->err) != 0)
		return -1;
	if (ctx->req->body->len == 0)
		return 0;
	json_object *body, *dry;
	struct jsonbody_error je;
	if (jsonbody_parse_object(ctx->req->body->data, ctx->req->body->len, &body, &je) != 0)
		return invalid(ctx, "%s", je.message);
	int rc = 0;
	if ((dry = json_object_object_get(body, "dry_run")) != NULL) {
		if (json_object_is_type(dry, json_type_boolean))
			*dry_run = json_object_get_boolean(dry);
		else
			rc = invalid(ctx, "%s", "\"dry_run\" must be true or false");
	}
	json_object_put(body);
	return rc;
}

/*
 * Puts back, for one device of the change undone (was), what its write
 * replaced, if the device still has the version that write made.
 */
static void
undo_device_one(struct api_ctx *dctx, struct fleet *f, json_object *dev, json_object *was)
{
	const char *mac = string_of(was, "mac_address");
	const char *result = string_of(was, "result");
	const char *before = string_of(was, "etag");       /* the version the change replaced */
	const char *made = string_of(was, "new_etag");     /* the version it wrote */
	const char *revision = string_of(was, "revision"); /* the replaced one, in the history */
	bool removed = strcmp(result, "deleted") == 0;
	char etag[40] = "";
	struct store_result r;
	bool exists = store_read(f->dirfd, mac, &f->current, NULL, &r) == 0;
	if (!exists && r.status != STORE_NOT_FOUND) {
		read_device(f, dctx, dev, etag); /* records the failure */
		return;
	}
	if (exists)
		api_etag(&f->current, etag);
	json_object_object_add(dev, "etag", exists ? json_object_new_string(etag) : NULL);
	/* Already as before the change: nothing to do. */
	if (removed ? exists && before && strcmp(etag, before) == 0
	            : (before == NULL ? !exists : exists && strcmp(etag, before) == 0)) {
		fleet_result(f, dev, FLEET_UNCHANGED, "already as it was before the change");
		return;
	}
	if (removed ? exists : !exists || made == NULL || strcmp(etag, made) != 0) {
		fleet_result(f, dev, FLEET_CONFLICT,
		             "changed since the change was made; left as it is");
		return;
	}
	if (strcmp(result, "created") == 0) {
		fleet_write(f, dctx, dev, etag, NULL, 0, FLEET_DELETED);
		return;
	}
	struct history_entry e;
	if (revision == NULL || !history_revision_valid(revision) ||
	    history_read(f->dirfd, mac, revision, f->ctx->settings->history_keep, &f->next, &e,
	                 &r) != 0) {
		char message[200];
		snprintf(message, sizeof message,
		         "the version before the change (%s) is no longer in the history",
		         revision ? revision : "none kept");
		fleet_result(f, dev, FLEET_MISSING, message);
		return;
	}
	json_object *config;
	struct jsonbody_error je;
	if (f->next.len > f->ctx->settings->max_body_bytes ||
	    jsonbody_parse_object(f->next.data, f->next.len, &config, &je) != 0) {
		fleet_result(f, dev, FLEET_INVALID,
		             "the version before the change is not a config a PUT would accept");
		return;
	}
	json_object_put(config);
	dctx->restoring = true;
	snprintf(dctx->param, sizeof dctx->param, "%s", revision);
	fleet_write(f, dctx, dev, removed ? NULL : etag, f->next.data, f->next.len,
	            removed ? FLEET_CREATED : FLEET_RESTORED);
}

static void
undo_device(struct fleet *f, json_object *dev, json_object *was)
{
	struct api_ctx dctx;
	fleet_device_ctx(f, string_of(was, "mac_address"), &dctx);
	undo_device_one(&dctx, f, dev, was);
	fleet_device_done(&dctx);
}

/* Did the change's write of this device make something an undo can take back? */
static bool
undoable(json_object *was)
{
	const char *result = string_of(was, "result");
	const char *mac = string_of(was, "mac_address");
	char canonical[MAC_CANONICAL_LEN + 1];
	return result != NULL && mac != NULL && mac_normalise(mac, strlen(mac), canonical) &&
	       strcmp(mac, canonical) == 0 &&
	       (strcmp(result, "changed") == 0 || strcmp(result, "restored") == 0 ||
	        strcmp(result, "created") == 0 || strcmp(result, "deleted") == 0);
}

int
api_change_undo(struct api_ctx *ctx)
{
	bool dry_run;
	if (undo_options(ctx, &dry_run) != 0)
		return -1;
	char id[CHANGESET_ID_LEN + 1];
	if (!changeset_id_valid(ctx->param))
		return no_change(ctx);
	memcpy(id, ctx->param, sizeof id);
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	json_object *record;
	int rc = read_record(ctx, dirfd, ctx->param, &record);
	close(dirfd);
	if (rc != 0)
		return -1;
	const char *state = string_of(record, "state");
	if (state == NULL || strcmp(state, "done") != 0) {
		char message[160];
		snprintf(message, sizeof message, "Change %s cannot be undone as a whole", id);
		api_error_set(&ctx->err, ERR_PRECONDITION_FAILED, message,
		              "it did not finish (the service stopped while applying it), so what "
		              "it wrote is not known; restore its devices one by one from their "
		              "history, where its entries name it (replaced_by_change)");
		json_object_put(record);
		return -1;
	}
	json_object *was = json_object_object_get(record, "devices");
	size_t n = json_object_is_type(was, json_type_array) ? json_object_array_length(was) : 0;
	struct fleet f;
	rc = -1;
	if (fleet_begin(&f, ctx, "undo", dry_run) == 0) {
		json_object_object_add(f.record, "undoes", json_object_new_string(id));
		json_object **devs = calloc(n ? n : 1, sizeof *devs);
		bool ok = devs != NULL;
		for (size_t i = 0; ok && i < n; i++) {
			json_object *w = json_object_array_get_idx(was, i);
			if (undoable(w))
				ok = (devs[i] = fleet_device(&f, string_of(w, "mac_address"))) !=
				     NULL;
		}
		if (!ok)
			api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "the devices");
		else if (fleet_start(&f) == 0) {
			for (size_t i = 0; i < n; i++)
				if (devs[i] != NULL)
					undo_device(&f, devs[i], json_object_array_get_idx(was, i));
			rc = fleet_finish(&f);
		}
		free(devs);
	}
	fleet_end(&f);
	json_object_put(record);
	return rc;
}
