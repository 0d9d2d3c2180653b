/*
 * access.c: the checks of access.h.
 *
 * Process-owned state: the use of a secret waiting to be noted once the
 * answer is sent (one request at a time), and when a failure to note one
 * was last logged.
 */
#include "access.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authheader.h"
#include "authlimit.h"
#include "credential.h"
#include "log.h"

static struct {
	bool set;
	char mac[MAC_CANONICAL_LEN + 1];
	uint8_t hash[CREDENTIAL_HASH_SIZE];
	char addr[CREDENTIAL_ADDR_MAX + 1];
	int64_t at;
} access_pending;

static int64_t access_note_failed_at; /* seconds; 0: never */

static int
refuse_admin(struct api_ctx *ctx)
{
	api_error_set(&ctx->err, ERR_FORBIDDEN, "Admin credentials required",
	              "DEVICE_AUTH is %s: admin routes need the web server's credentials "
	              "(AUTH_USERS_FILE with AUTH_READS=true, or the read-auth snippets); none "
	              "came with this request",
	              settings_device_auth_name(ctx->settings->device_auth));
	return -1;
}

static const char *const result_words[METRICS_AUTH_COUNT] = {
        [METRICS_AUTH_OK] = "ok",
        [METRICS_AUTH_OPEN] = "open",
        [METRICS_AUTH_MISSING] = "no credentials",
        [METRICS_AUTH_WRONG] = "wrong credentials",
        [METRICS_AUTH_THROTTLED] = "too many wrong secrets",
        [METRICS_AUTH_ERROR] = "error",
};

/* A refused device request: counted, logged once per window, answered 401 or 429. */
static int
refuse_device(struct api_ctx *ctx, enum metrics_auth_result why, uint64_t key, int64_t now)
{
	metrics_device_auth(why);
	if (authlimit_failed(key, now, why == METRICS_AUTH_WRONG))
		log_msg(LOG_WARN,
		        "device authentication failed mac=%s client=%s reason=\"%s\" "
		        "(logged once per %d s for this MAC and client)",
		        ctx->mac, LOG_VALUE(ctx->req->remote_addr), result_words[why],
		        AUTHLIMIT_WINDOW);
	if (why == METRICS_AUTH_THROTTLED) {
		api_error_set(&ctx->err, ERR_TOO_MANY_REQUESTS, "Too many failed attempts",
		              "wait %u s before trying again", ctx->retry_after);
		return -1;
	}
	api_error_set(&ctx->err, ERR_UNAUTHORIZED, "Device authentication required",
	              "send the device's secret: HTTP Basic with the MAC address as user, or "
	              "Authorization: Bearer");
	return -1;
}

/*
 * A device route whose path names no device (a firmware model's image or
 * manifest): the device names itself, by its Basic user or else by the
 * x-ESP32-STA-MAC header Arduino's HTTPUpdate sends, into ctx->mac, and
 * is then checked like any device. Returns 1 when named, 0 when not (no
 * Basic credential, no such header, or a header that is no MAC), -1 when
 * a Basic user is no MAC (the credential is wrong whatever its secret).
 */
static int
name_device(struct api_ctx *ctx)
{
	struct authheader cred;
	int named = 0;
	if (authheader_parse(ctx->req->authorization, &cred) && cred.scheme == AUTHHEADER_BASIC)
		named = mac_normalise(cred.user, cred.user_len, ctx->mac) ? 1 : -1;
	else if (ctx->req->esp32_sta_mac != NULL)
		named = mac_normalise(ctx->req->esp32_sta_mac, strlen(ctx->req->esp32_sta_mac),
		                      ctx->mac)
		                ? 1
		                : 0;
	memset(cred.secret, 0, sizeof cred.secret);
	if (named != 1)
		ctx->mac[0] = '\0';
	return named;
}

static int
check_device(struct api_ctx *ctx)
{
	const struct settings *s = ctx->settings;
	struct credential c;
	struct store_result r;
	if (s->configs_dir == NULL) {
		store_result_set(&r, STORE_NOT_CONFIGURED, 0, "ESP32_CONFIGS_DIR");
		return api_store_error(ctx, &r);
	}
	if (ctx->mac[0] == '\0') {
		int named = name_device(ctx);
		int64_t now = (int64_t)time(NULL);
		uint64_t key = authlimit_key(ctx->mac, ctx->req->remote_addr);
		if (named < 0)
			return refuse_device(ctx, METRICS_AUTH_WRONG, key, now);
		if (named == 0 && s->device_auth == DEVICE_AUTH_PER_DEVICE) {
			/* Nobody to ask for a secret: what a model serves is the same for all. */
			metrics_device_auth(METRICS_AUTH_OPEN);
			return 0;
		}
		if (named == 0)
			return refuse_device(ctx, METRICS_AUTH_MISSING, key, now);
	}
	int found = credential_read_path(s->configs_dir, ctx->mac, &c, &r);
	if (found < 0) {
		metrics_device_auth(METRICS_AUTH_ERROR);
		return api_store_error(ctx, &r);
	}
	ctx->device_has_secret = found == 1;
	if (found == 0 && s->device_auth == DEVICE_AUTH_PER_DEVICE) {
		metrics_device_auth(METRICS_AUTH_OPEN);
		return 0;
	}
	int64_t now = (int64_t)time(NULL);
	uint64_t key = authlimit_key(ctx->mac, ctx->req->remote_addr);
	struct authheader cred;
	if (!authheader_parse(ctx->req->authorization, &cred))
		return refuse_device(ctx, METRICS_AUTH_MISSING, key, now);
	if (authlimit_throttled(key, now, &ctx->retry_after))
		return refuse_device(ctx, METRICS_AUTH_THROTTLED, key, now);
	enum credential_which which =
	        credential_verify(found == 1 ? &c : NULL, cred.secret, cred.secret_len, now);
	/* Basic names the device: it must be this route's MAC, in any accepted form. */
	char user[MAC_CANONICAL_LEN + 1];
	if (cred.scheme == AUTHHEADER_BASIC &&
	    (!mac_normalise(cred.user, cred.user_len, user) || strcmp(user, ctx->mac) != 0))
		which = CREDENTIAL_NONE;
	memset(cred.secret, 0, sizeof cred.secret);
	if (which == CREDENTIAL_NONE)
		return refuse_device(ctx, METRICS_AUTH_WRONG, key, now);
	ctx->device_authenticated = true;
	metrics_device_auth(METRICS_AUTH_OK);
	if (credential_use_due(&c, which, ctx->req->remote_addr, now)) {
		access_pending.set = true;
		memcpy(access_pending.mac, ctx->mac, sizeof access_pending.mac);
		memcpy(access_pending.hash,
		       which == CREDENTIAL_CURRENT ? c.current.hash : c.previous.hash,
		       CREDENTIAL_HASH_SIZE);
		snprintf(access_pending.addr, sizeof access_pending.addr, "%s",
		         ctx->req->remote_addr != NULL ? ctx->req->remote_addr : "");
		access_pending.at = now;
	}
	return 0;
}

int
access_check(struct api_ctx *ctx, enum access_class cls)
{
	ctx->device_has_secret = false;
	ctx->device_authenticated = false;
	if (ctx->settings->device_auth == DEVICE_AUTH_OFF)
		return 0;
	switch (cls) {
	case ACCESS_PUBLIC:
		return 0;
	case ACCESS_ADMIN:
		if (ctx->req->remote_user == NULL || ctx->req->remote_user[0] == '\0')
			return refuse_admin(ctx);
		return 0;
	case ACCESS_DEVICE:
		return check_device(ctx);
	}
	return 0;
}

void
access_error_headers(struct api_ctx *ctx)
{
	if (ctx->err.kind == ERR_UNAUTHORIZED) {
		/*
		 * Both challenges in one field (RFC 9110 section 11.6.1), as
		 * Apache would merge two anyway; Basic first, since ESP-IDF's
		 * esp_http_client looks at how the field starts.
		 */
		http_header(ctx->res, "WWW-Authenticate",
		            "Basic realm=\"%s\", charset=\"UTF-8\", Bearer realm=\"%s\"",
		            ACCESS_REALM, ACCESS_REALM);
	} else if (ctx->err.kind == ERR_TOO_MANY_REQUESTS) {
		http_header(ctx->res, "Retry-After", "%u", ctx->retry_after);
	} else if (ctx->err.kind == ERR_STORAGE_UNAVAILABLE && ctx->retry_after > 0) {
		http_header(ctx->res, "Retry-After", "%u", ctx->retry_after); /* a held lock */
	}
}

void
access_after_answer(const struct settings *s)
{
	if (!access_pending.set)
		return;
	access_pending.set = false;
	struct store_result r;
	int dirfd;
	int rc = store_open_dir(s->configs_dir, &dirfd, &r);
	if (rc == 0) {
		rc = credential_note_use(dirfd, access_pending.mac, access_pending.hash,
		                         access_pending.addr, access_pending.at, &r);
		close(dirfd);
	}
	if (rc != 0 && access_pending.at - access_note_failed_at >= AUTHLIMIT_WINDOW) {
		access_note_failed_at = access_pending.at;
		log_msg(LOG_WARN,
		        "device secret use not noted mac=%s op=\"%s\" errno=\"%s\" (the device was "
		        "answered; logged at most once a minute)",
		        access_pending.mac, r.op ? r.op : "-",
		        r.sys_errno ? strerror(r.sys_errno) : "-");
	}
}
