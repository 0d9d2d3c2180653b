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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "checkin.h"

static void
rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

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

static json_object *
text_or_null(const char *s)
{
	return s[0] != '\0' ? json_object_new_string(s) : NULL;
}

static json_object *
note_json(const struct checkin_note *note, bool current)
{
	char at[32], etag[DIGEST_HEX_LEN + 3];
	rfc3339(note->at, at);
	snprintf(etag, sizeof etag, "\"%s\"", note->etag);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "mac_address", json_object_new_string(note->mac));
	json_object_object_add(o, "last_fetch_at", json_object_new_string(at));
	json_object_object_add(o, "etag", note->has_etag ? json_object_new_string(etag) : NULL);
	json_object_object_add(o, "current", json_object_new_boolean(current));
	json_object_object_add(o, "remote_addr", text_or_null(note->addr));
	json_object_object_add(o, "user_agent", text_or_null(note->user_agent));
	return o;
}

static int
answer(struct api_ctx *ctx, json_object *doc)
{
	size_t len;
	const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len);
	int rc = http_set_json(ctx->res, 200, text, len);
	json_object_put(doc);
	if (rc != 0) {
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering fetch notes");
		return -1;
	}
	http_header(ctx->res, "Cache-Control", "no-cache");
	return 0;
}

int
api_fetches_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct checkin_note *notes;
	size_t n;
	struct store_result r;
	if (checkin_list(dirfd, (int64_t)time(NULL), &notes, &n, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	json_object *list = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(
		        list, note_json(&notes[i], is_current(dirfd, &notes[i], ctx->file)));
	close(dirfd);
	free(notes);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "fetches", list);
	json_object_object_add(doc, "count", json_object_new_int64((int64_t)n));
	return answer(ctx, doc);
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
	close(dirfd);
	return answer(ctx, note_json(&note, current));
}

int
api_fetches_metrics(const struct settings *settings, struct buf *out, struct buf *scratch)
{
	struct checkin_note *notes = NULL;
	size_t n = 0, outdated = 0;
	struct store_result r;
	int dirfd;
	if (store_open_dir(settings->configs_dir, &dirfd, &r) == 0) {
		if (checkin_list(dirfd, (int64_t)time(NULL), &notes, &n, &r) == 0) {
			for (size_t i = 0; i < n; i++)
				outdated += is_current(dirfd, &notes[i], scratch) ? 0 : 1;
		}
		close(dirfd);
	}
	int rc = buf_puts(out, "# HELP iot_config_device_last_fetch_timestamp_seconds When each "
	                       "device last fetched its config, seconds since the epoch.\n"
	                       "# TYPE iot_config_device_last_fetch_timestamp_seconds gauge\n");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = buf_printf(
		        out,
		        "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"%s\"} "
		        "%lld\n",
		        notes[i].mac, (long long)notes[i].at);
	if (rc == 0)
		rc = buf_puts(out, "# HELP iot_config_device_fetch_info The User-Agent of each "
		                   "device's last fetch; always 1.\n"
		                   "# TYPE iot_config_device_fetch_info gauge\n");
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = buf_printf(out,
		                "iot_config_device_fetch_info{mac_address=\"%s\",user_agent=\"",
		                notes[i].mac);
		if (rc == 0)
			rc = metrics_append_label_value(out, notes[i].user_agent);
		if (rc == 0)
			rc = buf_puts(out, "\"} 1\n");
	}
	if (rc == 0)
		rc = buf_printf(out,
		                "# HELP iot_config_devices_outdated Devices that do not hold their "
		                "config's current version.\n"
		                "# TYPE iot_config_devices_outdated gauge\n"
		                "iot_config_devices_outdated %zu\n",
		                outdated);
	free(notes);
	return rc;
}
