/*
 * api.h: what every handler receives and the helpers they share. A
 * handler fills ctx->res and returns 0, or fills ctx->err and returns -1;
 * the router turns that error into the response (http_set_error).
 */
#ifndef IOTCONFIG_API_H
#define IOTCONFIG_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "error.h"
#include "firmware.h"
#include "history.h"
#include "http.h"
#include "mac.h"
#include "metrics.h"
#include "schemas.h"
#include "settings.h"
#include "store.h"

struct checkin_fetch;

struct api_ctx {
	const struct settings *settings;
	struct http_request *req;
	struct http_response *res;
	struct api_error err;
	char mac[MAC_CANONICAL_LEN + 1];    /* the route's {mac_address}, normalised */
	char schema[SCHEMA_NAME_MAX + 1];   /* the route's {name} of a schema (schemas.h) */
	char model[FIRMWARE_MODEL_MAX + 1]; /* the route's {model} (firmware.h) */
	char param[128];                    /* the route's other parameter, decoded */
	char version[128];                  /* the page's {version} (api_ui.c), decoded */
	const char *verb;                   /* "get", "save", "delete": for messages */
	struct buf *file;                   /* scratch: a config file's bytes */
	struct buf *scratch;                /* scratch: precondition reads, rendering */
	bool restoring;                     /* the change is a restore (for the history) */
	const char *change_id;              /* the fleet change a write is part of, or NULL */
	char replaced[HISTORY_REV_LEN + 1]; /* out: revision of the version a change
	                                       replaced, "" when none was kept */
	/* A device route's check (access.h): */
	bool device_has_secret;    /* the MAC has a secret */
	bool device_authenticated; /* the request presented it */
	unsigned retry_after;      /* seconds, for a 429 or a 503 of a held lock */
	/*
	 * out: a device fetch to note once the answer has left (its mac set),
	 * or left empty; NULL when the caller notes nothing.
	 */
	struct checkin_fetch *fetch;
};

typedef int (*api_handler)(struct api_ctx *ctx);

/* api_configs.c: the wrapped JSON routes */
int api_configs_list(struct api_ctx *ctx);
struct search;
/* The search of the request's q parameters (search.h); VALIDATION_FAILED for a bad one. */
int api_search_from_query(struct api_ctx *ctx, struct search *s);
/*
 * The MACs of the configs matching s, in MAC order, in a malloc'ed array
 * (*macs, free it); VALIDATION_FAILED when more than max match.
 */
int api_configs_matching(struct api_ctx *ctx, const struct search *s, size_t max,
                         char (**macs)[MAC_CANONICAL_LEN + 1], size_t *n);
int api_config_get(struct api_ctx *ctx);
int api_config_put(struct api_ctx *ctx);
int api_config_delete(struct api_ctx *ctx);
/* api_patch.c: JSON Merge Patch of one config */
int api_config_patch(struct api_ctx *ctx);
/* The request body as a merge patch: a JSON object, or VALIDATION_FAILED. */
int api_read_merge_patch(struct api_ctx *ctx, json_object **patch);
/*
 * Applies patch to current (a config's bytes) into out (mergepatch.h),
 * then checks the result as a PUT would (size, RFC 8259, depth). diff
 * (may be NULL) gets the changes; *changed whether out differs from
 * current; *result (may be NULL) the parsed result. Errors: CONFIG_UNREADABLE
 * (current is not a JSON object), VALIDATION_FAILED, PAYLOAD_TOO_LARGE.
 */
int api_patch_text(struct api_ctx *ctx, const struct buf *current, json_object *patch,
                   struct buf *out, json_object *diff, bool *changed, json_object **result);
/* api_changes.c: fleet changes (api_fleet.h) */
int api_changes_apply(struct api_ctx *ctx);
int api_changes_list(struct api_ctx *ctx);
int api_change_get(struct api_ctx *ctx);
int api_change_undo(struct api_ctx *ctx);
/* api_transfer.c: export and import of the whole fleet (tarball.h) */
int api_export(struct api_ctx *ctx);
int api_import(struct api_ctx *ctx);
/* api_raw.c: what devices fetch */
int api_raw_get(struct api_ctx *ctx);
int api_raw_put(struct api_ctx *ctx);
/* The exact bytes of a config for admins and the page (no device check, no fetch note). */
int api_file_get(struct api_ctx *ctx);
/* api_credential.c: the devices' secrets (credential.h) */
int api_credentials_list(struct api_ctx *ctx);
int api_credential_get(struct api_ctx *ctx);
int api_credential_create(struct api_ctx *ctx);
int api_credential_revoke(struct api_ctx *ctx);
/* api_history.c: past versions, restore */
int api_history_list(struct api_ctx *ctx);
int api_history_get(struct api_ctx *ctx);
int api_history_restore(struct api_ctx *ctx);
/* api_schemas.c: JSON Schemas (schemas.h) */
int api_schemas_list(struct api_ctx *ctx);
int api_schema_get(struct api_ctx *ctx);
int api_schema_put(struct api_ctx *ctx);
int api_schema_delete(struct api_ctx *ctx);
int api_schema_dry_run(struct api_ctx *ctx);
int api_schema_validate(struct api_ctx *ctx);
int api_schema_history_list(struct api_ctx *ctx);
int api_schema_history_get(struct api_ctx *ctx);
int api_schema_history_restore(struct api_ctx *ctx);
int api_config_schema(struct api_ctx *ctx);
int api_config_validate(struct api_ctx *ctx);
/*
 * The check every config write passes (api_change_config): the bytes must
 * match the schema that applies to them; otherwise VALIDATION_FAILED with
 * every error in details.errors. dirfd is the config directory, which the
 * caller opened for the write.
 */
int api_schemas_guard(struct api_ctx *ctx, int dirfd, const char *bytes, size_t len);
/* api_fetches.c: what each device last fetched (checkin.h) */
int api_fetches_list(struct api_ctx *ctx);
int api_fetch_get(struct api_ctx *ctx);
/* Appends the device gauges of /metrics, read from the fetch notes. */
int api_fetches_metrics(const struct settings *settings, struct buf *out, struct buf *scratch);
/* api_firmware.c: firmware images, targets and update states (firmware.h, fwnote.h) */
int api_firmware_list(struct api_ctx *ctx);
int api_firmware_model_get(struct api_ctx *ctx);
int api_firmware_version_get(struct api_ctx *ctx);
int api_firmware_version_put(struct api_ctx *ctx);
int api_firmware_version_delete(struct api_ctx *ctx);
int api_firmware_target_get(struct api_ctx *ctx);
int api_firmware_target_put(struct api_ctx *ctx);
int api_firmware_device_get(struct api_ctx *ctx);
/* Appends iot_firmware_devices{model,state} to /metrics. */
int api_firmware_metrics(const struct settings *settings, struct buf *out, struct buf *scratch);
/* api_ota.c: what update clients fetch */
int api_ota_device_image(struct api_ctx *ctx);
int api_ota_device_manifest(struct api_ctx *ctx);
int api_ota_model_manifest(struct api_ctx *ctx);
int api_ota_version_image(struct api_ctx *ctx);
/*
 * Once the answer is sent (delivered: its bytes were handed over): counts
 * a firmware download and notes the device's request (fwnote.h). No-op
 * after any other request.
 */
void api_ota_after_answer(const struct settings *settings, bool delivered);
/* Is there a device note to write after the answer (api_ota_after_answer)? */
bool api_ota_pending(void);
/* api_health.c, api_metrics.c, api_docs.c */
int api_health(struct api_ctx *ctx);
int api_metrics(struct api_ctx *ctx);
int api_docs_redirect(struct api_ctx *ctx);
int api_docs_openapi(struct api_ctx *ctx);
int api_docs_swagger(struct api_ctx *ctx);
/* api_ui.c: the web page */
int api_ui_redirect(struct api_ctx *ctx);
int api_ui_page(struct api_ctx *ctx);
int api_ui_asset(struct api_ctx *ctx);

/* api.c: shared pieces */
/* Opens the config directory or sets the matching error. */
int api_open_dir(struct api_ctx *ctx, int *dirfd);
/* Maps a store failure to the error a client sees. */
int api_store_error(struct api_ctx *ctx, const struct store_result *r);
/* Quoted strong ETag of exact bytes: "\"<32 hex>\"". */
void api_etag(const struct buf *bytes, char out[40]);
/* The same ETag from the bytes' digest_sha256. */
void api_etag_of_digest(const uint8_t md[DIGEST_SIZE], char out[40]);
/* Seconds since the epoch as an RFC 3339 UTC time, "2026-05-04T11:02:03Z". */
void api_rfc3339(int64_t t, char out[32]);
/*
 * Evaluates the request's preconditions for a GET/HEAD of a config whose
 * current ETag and modification time are given, in the order of RFC 9110
 * section 13.2.2 (cond_evaluate). Returns -1 with a 412 in ctx->err when
 * If-Match or If-Unmodified-Since fails; otherwise 0, with
 * *not_modified true when it answered 304.
 */
int api_conditional_get(struct api_ctx *ctx, const char *etag, time_t mtime, bool *not_modified);
/*
 * ETag, Last-Modified (when mtime > 0 and before the current second: a
 * later one is a weak validator) and Cache-Control for a config.
 */
void api_validator_headers(struct api_ctx *ctx, const char *etag, time_t mtime);
/* Answers 200 with the bytes in ctx->file as JSON, handing the buffer over (no copy). */
int api_send_file(struct api_ctx *ctx);
/*
 * Answers a past version read into ctx->file: its ETag, no-cache, and 304
 * or 412 as its preconditions say, else its bytes (api_send_file).
 */
int api_send_revision(struct api_ctx *ctx);
/*
 * Precondition for PUT/DELETE from If-Match / If-Unmodified-Since /
 * If-None-Match / allow_overwrite, checked under the MAC's lock.
 */
struct api_precond {
	const char *if_match;
	const char *if_unmodified_since;
	const char *if_none_match;
	struct store_file_info current; /* the store fills it: the current file's identity */
	bool allow_overwrite;
	enum api_error_kind refused; /* set when the check refuses */
	const char *refused_by;      /* which header refused, for the message */
};
int api_precond_check(const struct buf *current, void *arg);
bool api_precond_needed(const struct api_precond *p);
/* Sets the 412/409 error for a refused precondition. */
int api_precond_error(struct api_ctx *ctx, const struct api_precond *p);
/*
 * Writes bytes (already validated) as ctx->mac's config, or removes the
 * config when bytes is NULL, honouring If-Match / If-Unmodified-Since /
 * If-None-Match and allow_overwrite under the MAC's lock (change.h).
 * *created (writes only, may be NULL) tells whether there was no config
 * before. The version replaced goes into the history (HISTORY_KEEP);
 * ctx->replaced names it. Bytes that do not match their schema are
 * refused first (api_schemas_guard), whichever route writes them. A write
 * of the current bytes changes nothing: no history entry, no rewrite, no
 * change notification; its log line says "unchanged".
 */
int api_change_config(struct api_ctx *ctx, const char *bytes, size_t len, bool allow_overwrite,
                      bool *created);
/*
 * api_change_config for a change computed from a version of the config
 * the caller read: made only if the config is still that version (etag,
 * a quoted ETag), or, with etag NULL, only if there is still none. The
 * request's own preconditions are the caller's to have checked. A
 * refusal is PRECONDITION_FAILED.
 */
int api_change_config_from(struct api_ctx *ctx, const char *etag, const char *bytes, size_t len,
                           bool *created);
/* Reads ctx->mac's config file into ctx->file. */
int api_read_config(struct api_ctx *ctx, struct store_file_info *info);
/* Sets CONFIG_UNREADABLE for a stored file that is not a JSON object. */
int api_unreadable(struct api_ctx *ctx, const char *why);
/* Stores bytes (already validated) under ctx->mac and answers the GET shape. */
int api_store_and_answer(struct api_ctx *ctx, const char *bytes, size_t len, json_object *config,
                         bool allow_overwrite);
/* Reads and validates the request body as a JSON object. */
int api_read_json_body(struct api_ctx *ctx, json_object **out);

#endif
