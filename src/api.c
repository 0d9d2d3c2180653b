/*
 * api.c: pieces the config handlers share: store failures as client
 * errors, validators (ETag, Last-Modified) and conditional requests
 * (RFC 9110 section 13), and the write path common to the wrapped and raw
 * PUT routes.
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "change.h"
#include "checkin.h"
#include "conditional.h"
#include "digest.h"
#include "filelock.h"
#include "jsonbody.h"
#include "log.h"
#include "mqtt.h"
#include "summary.h"

int
api_open_dir(struct api_ctx *ctx, int *dirfd)
{
	struct store_result r;
	if (store_open_dir(ctx->settings->configs_dir, dirfd, &r) != 0)
		return api_store_error(ctx, &r);
	return 0;
}

int
api_store_error(struct api_ctx *ctx, const struct store_result *r)
{
	const char *dir = ctx->settings->configs_dir ? ctx->settings->configs_dir : "(unset)";
	const char *op = r->op ? r->op : "storage";
	const char *why = r->sys_errno ? strerror(r->sys_errno) : store_status_text(r->status);
	char message[200];
	switch (r->status) {
	case STORE_NOT_CONFIGURED:
		api_error_set(&ctx->err, ERR_STORAGE_UNAVAILABLE,
		              "Config storage is not configured", "ESP32_CONFIGS_DIR is not set");
		break;
	case STORE_DIR_MISSING:
	case STORE_DIR_NOT_DIR:
	case STORE_UNREACHABLE: /* the whole directory: 503, as health says */
		snprintf(message, sizeof message, "Config directory %.120s %s", dir,
		         r->sys_errno == ELOOP ? "is a symlink, which is not followed"
		                               : store_status_text(r->status));
		api_error_set(&ctx->err, ERR_STORAGE_UNAVAILABLE, message, "%s: %s", op, why);
		break;
	case STORE_ACCESS: {
		/* The directory as a whole (503, as health says), or one file in it? */
		struct store_result d;
		if (store_check_dir(ctx->settings->configs_dir, &d) == 0) {
			snprintf(message, sizeof message, "Permission denied: %s failed", op);
			api_error_set(&ctx->err, ERR_STORAGE_ERROR, message, "%s of %s: %s", op,
			              ctx->mac[0] ? ctx->mac : "the directory", why);
		} else {
			snprintf(message, sizeof message,
			         "Permission denied on config directory %.120s", dir);
			api_error_set(&ctx->err, ERR_STORAGE_UNAVAILABLE, message, "%s: %s", op,
			              why);
		}
		break;
	}
	case STORE_NOT_FOUND:
		snprintf(message, sizeof message, "Config %s was not found", ctx->mac);
		api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
		              "no file %s.json in the config directory", ctx->mac);
		break;
	case STORE_NOT_REGULAR:
	case STORE_TOO_LARGE:
		snprintf(message, sizeof message, "Config file %s.json cannot be read", ctx->mac);
		api_error_set(&ctx->err, ERR_CONFIG_UNREADABLE, message, "the file %s",
		              store_status_text(r->status));
		break;
	case STORE_NO_SPACE:
		snprintf(message, sizeof message, "No space left to store config %s", ctx->mac);
		api_error_set(&ctx->err, ERR_INSUFFICIENT_STORAGE, message, "%s: %s", op, why);
		break;
	case STORE_NOT_DURABLE:
		/* The change is live: say so, so that a client does not retry blindly. */
		snprintf(message, sizeof message, "Config %s was %s but may not survive a crash",
		         ctx->mac,
		         ctx->req->method == HTTP_DELETE ? "deleted"
		         : ctx->restoring                ? "restored"
		                                         : "saved");
		api_error_set(&ctx->err, ERR_STORAGE_NOT_DURABLE, message,
		              "%s: %s; the %s is in place and served now, but a crash or power "
		              "cut may undo it",
		              op, why,
		              ctx->req->method == HTTP_DELETE ? "deletion" : "new version");
		break;
	case STORE_LOCKED: {
		/* Nothing was changed: a retry is safe, and the holder may be gone by then. */
		char what[96];
		if (strstr(op, "credential") != NULL)
			snprintf(what, sizeof what, "The secret of %s", ctx->mac);
		else if (ctx->mac[0])
			snprintf(what, sizeof what, "Config %s", ctx->mac);
		else if (ctx->schema[0])
			snprintf(what, sizeof what, "Schema %.64s", ctx->schema);
		else if (ctx->model[0])
			snprintf(what, sizeof what, "Firmware model %.64s", ctx->model);
		else
			snprintf(what, sizeof what, "This resource");
		snprintf(message, sizeof message,
		         "%s is being written by another writer; try again", what);
		api_error_set(&ctx->err, ERR_STORAGE_UNAVAILABLE, message,
		              "%s: held by another writer for over %d s", op,
		              FILELOCK_WAIT_MS / 1000);
		ctx->retry_after = 1;
		break;
	}
	case STORE_OK:
	case STORE_PRECONDITION:
	case STORE_IO:
		snprintf(message, sizeof message, "Storage error: %s failed", op);
		api_error_set(&ctx->err, ERR_STORAGE_ERROR, message, "%s: %s", op, why);
		break;
	}
	if (r->status != STORE_NOT_FOUND)
		log_msg(LOG_ERROR, "storage failure mac=%s op=\"%s\" status=\"%s\" errno=\"%s\"",
		        ctx->mac[0] ? ctx->mac : "-", op, store_status_text(r->status), why);
	return -1;
}

void
api_etag(const struct buf *bytes, char out[40])
{
	uint8_t md[DIGEST_SIZE];
	digest_sha256(bytes->data ? bytes->data : "", bytes->len, md);
	api_etag_of_digest(md, out);
}

void
api_etag_of_digest(const uint8_t md[DIGEST_SIZE], char out[40])
{
	_Static_assert(DIGEST_HEX_LEN + 3 <= 40, "a quoted fingerprint fits");
	out[0] = '"';
	digest_hex(md, out + 1);
	out[1 + DIGEST_HEX_LEN] = '"';
	out[2 + DIGEST_HEX_LEN] = '\0';
}

void
api_rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/*
 * Can the modification time serve as a validator? Last-Modified has one
 * second of resolution: a file changed within the current second may
 * change again within it and keep the same Last-Modified, so such a time
 * (or one in the future) is a weak validator (RFC 9110 section 8.8.2.2)
 * and is not sent; cond_evaluate compares it with neither date field the
 * same way. Once the second is over, any later write gives a later time,
 * so an If-Modified-Since copied from a Last-Modified we sent can never
 * hide a change.
 */

/* Words for the test that refused, as the 412's details.message says them. */
static const char *
refused_text(enum cond_decided_by by)
{
	switch (by) {
	case COND_BY_IF_MATCH:
		return "If-Match does not match the current config";
	case COND_BY_IF_UNMODIFIED_SINCE:
		return "the config was modified after the If-Unmodified-Since date";
	case COND_BY_IF_UNMODIFIED_SINCE_RECENT:
		return "the config was modified within the current second, so If-Unmodified-Since "
		       "cannot hold; retry after it or use If-Match";
	case COND_BY_IF_NONE_MATCH:
		return "If-None-Match matches the current config";
	case COND_BY_IF_MODIFIED_SINCE:
	case COND_BY_NONE:
		break;
	}
	return "a precondition refused the request";
}

static struct cond_fields
request_fields(const struct http_request *req)
{
	return (struct cond_fields){
	        .if_match = req->if_match,
	        .if_unmodified_since = req->if_unmodified_since,
	        .if_none_match = req->if_none_match,
	        .if_modified_since = req->if_modified_since,
	};
}

int
api_conditional_get(struct api_ctx *ctx, const char *etag, time_t mtime, bool *not_modified)
{
	struct cond_fields f = request_fields(ctx->req);
	enum cond_decided_by by;
	*not_modified = false;
	switch (cond_evaluate(&f, true, etag, mtime, time(NULL), &by)) {
	case COND_PROCEED:
		return 0;
	case COND_NOT_MODIFIED:
		ctx->res->status = 304;
		*not_modified = true;
		return 0;
	case COND_FAILED:
		break;
	}
	struct api_precond p = {.refused = ERR_PRECONDITION_FAILED, .refused_by = refused_text(by)};
	return api_precond_error(ctx, &p);
}

void
api_validator_headers(struct api_ctx *ctx, const char *etag, time_t mtime)
{
	http_header(ctx->res, "ETag", "%s", etag);
	if (cond_mtime_usable(mtime, time(NULL))) {
		char date[HTTP_DATE_LEN + 1];
		cond_format_http_date(mtime, date);
		http_header(ctx->res, "Last-Modified", "%s", date);
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
}

bool
api_precond_needed(const struct api_precond *p)
{
	return p->if_match != NULL || p->if_unmodified_since != NULL || p->if_none_match != NULL ||
	       !p->allow_overwrite;
}

int
api_precond_check(const struct buf *current, void *arg)
{
	struct api_precond *p = arg;
	char etag[40];
	if (current != NULL)
		api_etag(current, etag);
	const char *cur = current ? etag : NULL;
	time_t mtime = current != NULL ? p->current.mtime : 0;
	struct cond_fields f = {
	        .if_match = p->if_match,
	        .if_unmodified_since = p->if_unmodified_since,
	        .if_none_match = p->if_none_match,
	};
	enum cond_decided_by by;
	if (cond_evaluate(&f, false, cur, mtime, time(NULL), &by) != COND_PROCEED) {
		p->refused = ERR_PRECONDITION_FAILED;
		p->refused_by = refused_text(by);
		return -1;
	}
	if (!p->allow_overwrite && current != NULL) {
		p->refused = ERR_RECORD_EXISTS;
		return -1;
	}
	return 0;
}

int
api_precond_error(struct api_ctx *ctx, const struct api_precond *p)
{
	char message[160];
	if (p->refused == ERR_RECORD_EXISTS) {
		snprintf(message, sizeof message, "Config %s already exists", ctx->mac);
		api_error_set(&ctx->err, ERR_RECORD_EXISTS, message,
		              "allow_overwrite is false and the config exists");
	} else {
		snprintf(message, sizeof message, "Precondition failed for config %s", ctx->mac);
		api_error_set(&ctx->err, ERR_PRECONDITION_FAILED, message, "%s",
		              p->refused_by ? p->refused_by : "a precondition refused the change");
	}
	return -1;
}

int
api_read_json_body(struct api_ctx *ctx, json_object **out)
{
	*out = NULL;
	if (http_read_body(ctx->req, ctx->settings->max_body_bytes, &ctx->err) != 0)
		return -1;
	const struct buf *body = ctx->req->body;
	if (body->len == 0) {
		api_error_set(&ctx->err, ERR_VALIDATION_FAILED, "Request body is empty",
		              "send a JSON object");
		return -1;
	}
	struct jsonbody_error je;
	if (jsonbody_parse_object(body->data, body->len, out, &je) != 0) {
		enum api_error_kind kind =
		        je.status == JSONBODY_NOMEM ? ERR_INTERNAL : ERR_VALIDATION_FAILED;
		api_error_set(&ctx->err, kind,
		              je.status == JSONBODY_NOT_OBJECT ? "Request body is not a JSON object"
		                                               : "Request body is not valid JSON",
		              "%s", je.message);
		return -1;
	}
	return 0;
}

/* The audit line of a change: what, who, and the revision it replaced. */
static void
log_change(const struct api_ctx *ctx, const char *bytes, size_t len,
           const struct change_outcome *out)
{
	/* The user name is the client's: quoted when it could pass for fields. */
	const char *user = LOG_VALUE(ctx->req->remote_user);
	const char *replaced = ctx->replaced[0] ? ctx->replaced : "-";
	const char *created = out->created ? "true" : "false";
	if (bytes == NULL)
		log_msg(LOG_INFO, "config deleted mac=%s user=%s replaced=%s", ctx->mac, user,
		        replaced);
	else if (out->unchanged && ctx->restoring)
		log_msg(LOG_INFO, "config unchanged mac=%s revision=%s bytes=%zu user=%s", ctx->mac,
		        LOG_VALUE(ctx->param), len, user);
	else if (out->unchanged)
		log_msg(LOG_INFO, "config unchanged mac=%s bytes=%zu user=%s", ctx->mac, len, user);
	else if (ctx->restoring)
		log_msg(LOG_INFO,
		        "config restored mac=%s revision=%s bytes=%zu created=%s user=%s "
		        "replaced=%s",
		        ctx->mac, LOG_VALUE(ctx->param), len, created, user, replaced);
	else
		log_msg(LOG_INFO, "config saved mac=%s bytes=%zu created=%s user=%s replaced=%s",
		        ctx->mac, len, created, user, replaced);
}

int
api_change_config(struct api_ctx *ctx, const char *bytes, size_t len, bool allow_overwrite,
                  bool *created)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	/* Every write, whichever route, matches its schema or is not made. */
	if (bytes != NULL && api_schemas_guard(ctx, dirfd, bytes, len) != 0) {
		close(dirfd);
		return -1;
	}
	struct api_precond pre = {
	        .if_match = ctx->req->if_match,
	        .if_unmodified_since = ctx->req->if_unmodified_since,
	        .if_none_match = ctx->req->if_none_match,
	        .allow_overwrite = allow_overwrite,
	        .refused = ERR_NONE,
	};
	struct change_precond cp = {.check = api_precond_check,
	                            .arg = &pre,
	                            .scratch = ctx->scratch,
	                            .info = &pre.current};
	const struct change_precond *use = api_precond_needed(&pre) ? &cp : NULL;
	struct history_note note = {
	        .keep = ctx->settings->history_keep,
	        .user = ctx->req->remote_user,
	        .change = ctx->change_id,
	        .op = bytes == NULL    ? HISTORY_DELETE
	              : ctx->restoring ? HISTORY_RESTORE
	                               : HISTORY_SAVE,
	};
	ctx->replaced[0] = '\0';
	struct store_result r;
	struct change_outcome out;
	int rc = change_apply(dirfd, ctx->mac, bytes, len, use, &note, &out, &r);
	/* A deleted config's device is retired: the fleet view forgets it (its
	 * next fetch, if any, is noted as a fetch of a missing config). */
	struct store_result dropped;
	if (bytes == NULL && (rc == 0 || r.status == STORE_NOT_DURABLE) &&
	    checkin_drop(dirfd, ctx->mac, &dropped) != 0)
		log_msg(LOG_WARN, "fetch note of a deleted config not removed mac=%s errno=\"%s\"",
		        ctx->mac, strerror(dropped.sys_errno));
	close(dirfd);
	memcpy(ctx->replaced, note.revision, sizeof ctx->replaced);
	if (created != NULL)
		*created = out.created;
	/*
	 * A change that is in place but not durable is live all the same:
	 * log it and tell subscribers, then answer the error. A save of the
	 * current bytes changed nothing: it is logged, and nobody is told.
	 */
	if (rc == 0 || r.status == STORE_NOT_DURABLE) {
		log_change(ctx, bytes, len, &out);
		if (mqtt_enabled() && !out.unchanged) {
			char etag[40];
			struct buf stored = {.data = (char *)bytes, .len = len, .cap = len};
			if (bytes != NULL)
				api_etag(&stored, etag);
			mqtt_notify(ctx->mac, bytes != NULL ? etag : NULL);
		}
	}
	if (rc != 0) {
		if (r.status == STORE_PRECONDITION)
			return api_precond_error(ctx, &pre);
		return api_store_error(ctx, &r);
	}
	return 0;
}

int
api_change_config_from(struct api_ctx *ctx, const char *etag, const char *bytes, size_t len,
                       bool *created)
{
	/* The one write path, with the version read as the only precondition. */
	struct http_request *sent = ctx->req;
	struct http_request req = *sent;
	req.if_match = etag;
	req.if_none_match = etag == NULL ? "*" : NULL;
	req.if_unmodified_since = NULL;
	req.if_modified_since = NULL;
	if (bytes == NULL)
		req.method = HTTP_DELETE; /* for the words of an error */
	ctx->req = &req;
	int rc = api_change_config(ctx, bytes, len, true, created);
	ctx->req = sent;
	return rc;
}

int
api_read_config(struct api_ctx *ctx, struct store_file_info *info)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	int rc = store_read(dirfd, ctx->mac, ctx->file, info, &r);
	close(dirfd);
	return rc == 0 ? 0 : api_store_error(ctx, &r);
}

int
api_unreadable(struct api_ctx *ctx, const char *why)
{
	char message[160];
	snprintf(message, sizeof message, "Config file %s.json is not a valid JSON object",
	         ctx->mac);
	api_error_set(&ctx->err, ERR_CONFIG_UNREADABLE, message, "%s", why);
	log_msg(LOG_WARN, "unreadable config file=%s.json reason=\"%s\"", ctx->mac, why);
	return -1;
}

int
api_store_and_answer(struct api_ctx *ctx, const char *bytes, size_t len, json_object *config,
                     bool allow_overwrite)
{
	bool created = false;
	if (api_change_config(ctx, bytes, len, allow_overwrite, &created) != 0)
		return -1;
	struct buf stored = {.data = (char *)bytes, .len = len, .cap = len};
	char etag[40];
	api_etag(&stored, etag);
	struct http_response *res = ctx->res;
	res->body->len = 0;
	if (summary_append_config(res->body, ctx->mac, config) != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering the response");
		return -1;
	}
	res->status = 200;
	res->content_type = "application/json";
	http_header(res, "ETag", "%s", etag);
	return 0;
}

int
api_send_file(struct api_ctx *ctx)
{
	struct buf tmp = *ctx->res->body;
	*ctx->res->body = *ctx->file;
	*ctx->file = tmp;
	ctx->res->status = 200;
	ctx->res->content_type = "application/json";
	return 0;
}

int
api_send_revision(struct api_ctx *ctx)
{
	char etag[40];
	api_etag(ctx->file, etag);
	http_header(ctx->res, "ETag", "%s", etag);
	http_header(ctx->res, "Cache-Control", "no-cache");
	bool not_modified;
	if (api_conditional_get(ctx, etag, 0, &not_modified) != 0)
		return -1;
	if (not_modified)
		return 0;
	return api_send_file(ctx);
}
