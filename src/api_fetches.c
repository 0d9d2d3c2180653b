/*
 * api_fetches.c: the fleet view built from the fetch notes (checkin.h).
 *   GET /api/fetches                    every device's last fetch, by MAC
 *   GET /api/configs/{mac_address}/fetch  one device's
 * and the device gauges of GET /metrics (api_fetches_metrics).
 *
 * `current` compares the ETag the device holds with the config's ETag now,
 * read from the file at each request, so it is right whichever node or
 * process changed the config. No config is a state too: a device that
 * fetched while there was none holds "no config" (etag null), which is
 * current while there is still none; a device holding an ETag is not
 * current once its config is deleted. A config that cannot be read counts
 * as not current: nothing proves the device holds it.
 *
 * `authenticated` says whether the noted fetch carried the device's
 * secret, `has_secret` whether the device has one now: a device that has
 * one and whose note is not authenticated has not fetched with it yet
 * (the note is from before), since with DEVICE_AUTH on nobody is answered
 * on its behalf without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "checkin.h"
#include "credential.h"

/* Does the device of note hold its config's current version? */
static bool
is_current(int dirfd, const struct checkin_note *note, struct buf *scratch)
{
	struct store_result r;
	if (store_read(dirfd, note->mac, scratch, NULL, &r) != 0)
		return r.status == STORE_NOT_FOUND && !note->has_etag;
	if (!note->has_etag)
		return false;
	uint8_t md[DIGEST_SIZE];
	digest_sha256(scratch->data ? scratch->data : "", scratch->len, md);
	char hex[DIGEST_HEX_LEN + 1];
	digest_hex(md, hex);
	return strcmp(hex, note->etag) == 0;
}

/* Appends s as a JSON string, or null when empty. s is clean (checkin_clean_text). */
static int
json_text(struct buf *out, const char *s)
{
	if (s[0] == '\0')
		return buf_puts(out, "null");
	int rc = buf_puts(out, "\"");
	for (const char *p = s; *p && rc == 0; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			rc = buf_printf(out, "\\%c", c);
		else if (c < 0x20)
			rc = buf_printf(out, "\\u%04x", c);
		else
			rc = buf_append(out, p, 1);
	}
	return rc == 0 ? buf_puts(out, "\"") : -1;
}

/*
 * Appends one note as the JSON object the routes answer; has_secret: the
 * device has a secret now (credential.h).
 */
static int
note_json(struct buf *out, const struct checkin_note *note, bool current, bool has_secret)
{
	char at[32];
	api_rfc3339(note->at, at);
	int rc = buf_printf(
	        out, "{\"mac_address\":\"%s\",\"last_fetch_at\":\"%s\",\"etag\":", note->mac, at);
	if (rc == 0)
		rc = note->has_etag ? buf_printf(out, "\"\\\"%s\\\"\"", note->etag)
		                    : buf_puts(out, "null");
	if (rc == 0)
		rc = buf_printf(out,
		                ",\"current\":%s,\"remote_addr\":", current ? "true" : "false");
	if (rc == 0)
		rc = json_text(out, note->addr);
	if (rc == 0)
		rc = buf_puts(out, ",\"user_agent\":");
	if (rc == 0)
		rc = json_text(out, note->user_agent);
	if (rc == 0)
		rc = buf_printf(out, ",\"authenticated\":%s,\"has_secret\":%s",
		                note->authenticated ? "true" : "false",
		                has_secret ? "true" : "false");
	return rc == 0 ? buf_puts(out, "}") : -1;
}

static int
answer(struct api_ctx *ctx, int rc)
{
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering fetch notes");
		return -1;
	}
	ctx->res->status = 200;
	ctx->res->content_type = "application/json";
	ctx->res->stream = NULL;
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

/* The walk over the notes (checkin_each) that GET /api/fetches and /metrics share. */
struct walk {
	int dirfd;
	struct buf *scratch; /* a config's bytes */
	struct buf *out;
	size_t count, outdated;
	bool labels; /* /metrics: the info series, else JSON */
};

static int
list_one(const struct checkin_note *note, void *arg)
{
	struct walk *w = arg;
	bool current = is_current(w->dirfd, note, w->scratch);
	int rc = w->count > 0 ? buf_puts(w->out, ",") : 0;
	w->count++;
	return rc == 0 ? note_json(w->out, note, current, credential_exists(w->dirfd, note->mac))
	               : -1;
}

int
api_fetches_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct buf *out = ctx->res->body;
	out->len = 0;
	struct walk w = {.dirfd = dirfd, .scratch = ctx->file, .out = out};
	struct store_result r = {.status = STORE_OK};
	int rc = buf_puts(out, "{\"fetches\":[");
	if (rc == 0)
		rc = checkin_each(dirfd, (int64_t)time(NULL), list_one, &w, &r);
	close(dirfd);
	if (rc != 0 && r.status != STORE_OK)
		return api_store_error(ctx, &r);
	if (rc == 0)
		rc = buf_printf(out, "],\"count\":%zu}", w.count);
	return answer(ctx, rc);
}

int
api_fetch_get(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct checkin_note note;
	struct store_result r;
	int found = checkin_read(dirfd, ctx->mac, (int64_t)time(NULL), &note, &r);
	if (found < 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	if (found == 0) {
		close(dirfd);
		char message[120];
		snprintf(message, sizeof message, "No fetch of config %s was noted", ctx->mac);
		api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
		              "the device with this MAC has not fetched its config in the last 90 "
		              "days (or noting is off: CHECKIN_INTERVAL=0)");
		return -1;
	}
	bool current = is_current(dirfd, &note, ctx->file);
	bool has_secret = credential_exists(dirfd, ctx->mac);
	close(dirfd);
	ctx->res->body->len = 0;
	return answer(ctx, note_json(ctx->res->body, &note, current, has_secret));
}

/* One device's timestamp series, counting the outdated ones. */
static int
gauge_one(const struct checkin_note *note, void *arg)
{
	struct walk *w = arg;
	w->outdated += is_current(w->dirfd, note, w->scratch) ? 0 : 1;
	w->count++;
	return buf_printf(w->out,
	                  "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"%s\"} "
	                  "%lld\n",
	                  note->mac, (long long)note->at);
}

static int
info_one(const struct checkin_note *note, void *arg)
{
	struct walk *w = arg;
	int rc = buf_printf(w->out, "iot_config_device_fetch_info{mac_address=\"%s\",user_agent=\"",
	                    note->mac);
	if (rc == 0)
		rc = metrics_append_label_value(w->out, note->user_agent);
	return rc == 0 ? buf_puts(w->out, "\"} 1\n") : -1;
}

int
api_fetches_metrics(const struct settings *settings, struct buf *out, struct buf *scratch)
{
	/* Two walks, so that each family's samples stay together without holding the notes. */
	struct walk w = {.dirfd = -1, .scratch = scratch, .out = out};
	struct store_result r;
	bool usable = store_open_dir(settings->configs_dir, &w.dirfd, &r) == 0;
	int64_t now = (int64_t)time(NULL);
	int rc = buf_puts(out, "# HELP iot_config_device_last_fetch_timestamp_seconds When each "
	                       "device last fetched its config, seconds since the epoch.\n"
	                       "# TYPE iot_config_device_last_fetch_timestamp_seconds gauge\n");
	if (rc == 0 && usable && checkin_each(w.dirfd, now, gauge_one, &w, &r) != 0 &&
	    r.status == STORE_OK)
		rc = -1; /* out of memory; an unreadable directory just shows no device */
	if (rc == 0)
		rc = buf_puts(out, "# HELP iot_config_device_fetch_info The User-Agent of each "
		                   "device's last fetch; always 1.\n"
		                   "# TYPE iot_config_device_fetch_info gauge\n");
	if (rc == 0 && usable && checkin_each(w.dirfd, now, info_one, &w, &r) != 0 &&
	    r.status == STORE_OK)
		rc = -1;
	if (rc == 0)
		rc = buf_printf(out,
		                "# HELP iot_config_devices_outdated Devices that do not hold their "
		                "config's current version.\n"
		                "# TYPE iot_config_devices_outdated gauge\n"
		                "iot_config_devices_outdated %zu\n",
		                w.outdated);
	if (usable)
		close(w.dirfd);
	return rc;
}
