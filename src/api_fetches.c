/*
 * api_fetches.c: the fleet view built from the fetch notes (checkin.h).
 *   GET /api/fetches                    every device's last fetch, by MAC
 *   GET /api/configs/{mac_address}/fetch  one device's, with every client
 * and the device gauges of GET /metrics (api_fetches_metrics).
 *
 * A note keeps several clients of one MAC; what the view says of the
 * device (its time, ETag, address, User-Agent, and `current`) is the
 * client checkin_device_client picks, so a read by someone else does not
 * change it.
 *
 * `current` compares the ETag the device holds with the config's ETag
 * now. The list and /metrics take that ETag from the list cache
 * (catalog.h), which reads a config again only when it changed, so
 * neither reads nor hashes configs at every request; the one-device route
 * reads its one config. Either way it is right whichever node or process
 * changed the config. No config is a state too: a device that fetched
 * while there was none holds "no config" (etag null), which is current
 * while there is still none; a device holding an ETag is not current once
 * its config is gone. A config that cannot be read counts as not current:
 * nothing proves the device holds it.
 *
 * Device secrets (access.h): each fetch says whether it was
 * `authenticated` (carried the device's secret); `has_secret` says whether
 * the device has one now, `last_authenticated_fetch_at` when it last
 * fetched with it (any client's, null: never). While DEVICE_AUTH is on and
 * the device has a secret, only its authenticated clients can be the
 * device (checkin_device_client), and nobody else's fetch is noted for it
 * at all (a fetch without the secret is refused). Which devices have one
 * is read once per walk, from one listing of .credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "catalog.h"
#include "checkin.h"
#include "credential.h"

/* Is the config's ETag (have: 1 known, 0 no config, -1 unknown) what client c holds? */
static bool
holds_current(const struct checkin_client *c, int have, const char *hex)
{
	if (have < 0)
		return false;
	if (have == 0)
		return !c->has_etag;
	return c->has_etag && strcmp(hex, c->etag) == 0;
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

/* Appends the fields of one client's fetch (no braces). */
static int
client_fields(struct buf *out, const struct checkin_client *c, bool current)
{
	char at[32];
	api_rfc3339(c->at, at);
	int rc = buf_printf(out, "\"last_fetch_at\":\"%s\",\"etag\":", at);
	if (rc == 0)
		rc = c->has_etag ? buf_printf(out, "\"\\\"%s\\\"\"", c->etag)
		                 : buf_puts(out, "null");
	if (rc == 0)
		rc = buf_printf(out,
		                ",\"current\":%s,\"remote_addr\":", current ? "true" : "false");
	if (rc == 0)
		rc = json_text(out, c->addr);
	if (rc == 0)
		rc = buf_puts(out, ",\"user_agent\":");
	if (rc == 0)
		rc = json_text(out, c->user_agent);
	return rc == 0 ? buf_printf(out, ",\"authenticated\":%s",
	                            c->authenticated ? "true" : "false")
	               : -1;
}

/* Appends when any client of note last fetched authenticated, or null. */
static int
last_authenticated(struct buf *out, const struct checkin_note *note)
{
	int64_t t = -1;
	for (size_t i = 0; i < note->n; i++)
		if (note->client[i].authenticated && note->client[i].at > t)
			t = note->client[i].at;
	if (t < 0)
		return buf_puts(out, "null");
	char at[32];
	api_rfc3339(t, at);
	return buf_printf(out, "\"%s\"", at);
}

/*
 * Appends one note as the JSON object the routes answer: the device's
 * fetch, whether it has a secret now, and with all set every client's
 * fetch too.
 */
static int
note_json(struct buf *out, const struct checkin_note *note, int device, int have, const char *hex,
          bool has_secret, bool all)
{
	const struct checkin_client *d = &note->client[device];
	int rc = buf_printf(out, "{\"mac_address\":\"%s\",", note->mac);
	if (rc == 0)
		rc = client_fields(out, d, holds_current(d, have, hex));
	if (rc == 0)
		rc = buf_printf(out, ",\"has_secret\":%s,\"last_authenticated_fetch_at\":",
		                has_secret ? "true" : "false");
	if (rc == 0)
		rc = last_authenticated(out, note);
	if (rc == 0 && all) {
		rc = buf_puts(out, ",\"clients\":[");
		for (size_t i = 0; i < note->n && rc == 0; i++) {
			const struct checkin_client *c = &note->client[i];
			char first[32];
			api_rfc3339(c->first_at, first);
			rc = buf_printf(out, "%s{\"first_fetch_at\":\"%s\",", i > 0 ? "," : "",
			                first);
			if (rc == 0)
				rc = client_fields(out, c, holds_current(c, have, hex));
			if (rc == 0)
				rc = buf_printf(out, ",\"device\":%s}",
				                (int)i == device ? "true" : "false");
		}
		if (rc == 0)
			rc = buf_puts(out, "]");
	}
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

static struct checkin_limits
limits_of(const struct settings *s)
{
	return (struct checkin_limits){.interval_s = s->checkin_interval,
	                               .missing_max = s->checkin_missing_max};
}

/*
 * The interval that tells a regular client: the setting, or its default
 * when noting is off (the notes made before still say who polled).
 */
static unsigned
rule_interval(const struct settings *s)
{
	return s->checkin_interval > 0 ? s->checkin_interval : SETTINGS_DEFAULT_CHECKIN;
}

/* The walk over the notes (checkin_each) that GET /api/fetches and /metrics share. */
struct walk {
	unsigned interval_s;
	bool checked;      /* DEVICE_AUTH is on: secrets are asked for */
	uint64_t *secrets; /* the MACs that have a secret (credential_macs) */
	size_t secrets_n;
	struct buf *out;  /* JSON, or the timestamp series */
	struct buf *info; /* /metrics: the info series, appended after the walk */
	size_t count, outdated;
};

/* Does the device of note have a secret? */
static bool
walk_has_secret(const struct walk *w, const struct checkin_note *note)
{
	return credential_in(w->secrets, w->secrets_n, mac_value(note->mac));
}

static int
list_one(const struct checkin_note *note, void *arg)
{
	struct walk *w = arg;
	bool has_secret = walk_has_secret(w, note);
	int device = checkin_device_client(note, w->interval_s, w->checked && has_secret);
	if (device < 0)
		return 0;
	char hex[DIGEST_HEX_LEN + 1];
	int have = catalog_etag(mac_value(note->mac), hex);
	int rc = w->count > 0 ? buf_puts(w->out, ",") : 0;
	w->count++;
	return rc == 0 ? note_json(w->out, note, device, have, hex, has_secret, false) : -1;
}

/* The list cache, fresh, for each device's current ETag. */
static int
refresh_catalog(int dirfd, struct buf *scratch, struct store_result *r)
{
	const struct schemas *schemas = schemas_load(dirfd, r);
	return schemas != NULL ? catalog_refresh(dirfd, schemas, scratch, r) : -1;
}

int
api_fetches_list(struct api_ctx *ctx)
{
	int dirfd;
	if (api_open_dir(ctx, &dirfd) != 0)
		return -1;
	struct store_result r;
	if (refresh_catalog(dirfd, ctx->file, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	struct buf *out = ctx->res->body;
	out->len = 0;
	struct walk w = {.interval_s = rule_interval(ctx->settings),
	                 .checked = ctx->settings->device_auth != DEVICE_AUTH_OFF,
	                 .out = out};
	if (credential_macs(dirfd, &w.secrets, &w.secrets_n, &r) != 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	int rc = buf_puts(out, "{\"fetches\":[");
	if (rc == 0)
		rc = checkin_each(dirfd, (int64_t)time(NULL), ctx->settings->checkin_missing_max,
		                  list_one, &w, &r);
	close(dirfd);
	free(w.secrets);
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
	int found = checkin_read(dirfd, ctx->mac, (int64_t)time(NULL), &note, NULL, &r);
	bool has_secret = credential_exists(dirfd, ctx->mac);
	bool checked = ctx->settings->device_auth != DEVICE_AUTH_OFF;
	int device = found == 1 ? checkin_device_client(&note, rule_interval(ctx->settings),
	                                                checked && has_secret)
	                        : -1;
	if (found < 0) {
		close(dirfd);
		return api_store_error(ctx, &r);
	}
	if (device < 0) {
		close(dirfd);
		char message[120];
		snprintf(message, sizeof message, "No fetch of config %s was noted", ctx->mac);
		api_error_set(&ctx->err, ERR_RECORD_NOT_FOUND, message,
		              "the device with this MAC has not fetched its config in the last 90 "
		              "days (or noting is off: CHECKIN_INTERVAL=0)");
		return -1;
	}
	/* One config: read and fingerprint it here rather than refresh the whole cache. */
	char hex[DIGEST_HEX_LEN + 1];
	int have = 1;
	if (store_read(dirfd, ctx->mac, ctx->file, NULL, &r) == 0) {
		uint8_t md[DIGEST_SIZE];
		digest_sha256(ctx->file->data ? ctx->file->data : "", ctx->file->len, md);
		digest_hex(md, hex);
	} else {
		have = r.status == STORE_NOT_FOUND ? 0 : -1;
	}
	close(dirfd);
	ctx->res->body->len = 0;
	return answer(ctx, note_json(ctx->res->body, &note, device, have, hex, has_secret, true));
}

/* One device's series: its timestamp, and its info line kept for later. */
static int
metrics_one(const struct checkin_note *note, void *arg)
{
	struct walk *w = arg;
	int device =
	        checkin_device_client(note, w->interval_s, w->checked && walk_has_secret(w, note));
	if (device < 0)
		return 0;
	const struct checkin_client *d = &note->client[device];
	char hex[DIGEST_HEX_LEN + 1];
	w->outdated += holds_current(d, catalog_etag(mac_value(note->mac), hex), hex) ? 0 : 1;
	w->count++;
	int rc = buf_printf(w->out,
	                    "iot_config_device_last_fetch_timestamp_seconds{mac_address=\"%s\"} "
	                    "%lld\n",
	                    note->mac, (long long)d->at);
	if (rc == 0)
		rc = buf_printf(w->info,
		                "iot_config_device_fetch_info{mac_address=\"%s\",user_agent=\"",
		                note->mac);
	if (rc == 0)
		rc = metrics_append_label_value(w->info, d->user_agent);
	return rc == 0 ? buf_puts(w->info, "\"} 1\n") : -1;
}

int
api_fetches_metrics(const struct settings *settings, struct buf *out, struct buf *scratch)
{
	/* One walk; each family's samples stay together, the info lines in scratch until the end.
	 */
	struct store_result r;
	int dirfd;
	bool usable = store_open_dir(settings->configs_dir, &dirfd, &r) == 0;
	if (usable && refresh_catalog(dirfd, scratch, &r) != 0) {
		close(dirfd);
		usable = false; /* an unreadable directory just shows no device */
	}
	scratch->len = 0;
	struct walk w = {.interval_s = rule_interval(settings),
	                 .checked = settings->device_auth != DEVICE_AUTH_OFF,
	                 .out = out,
	                 .info = scratch};
	if (usable && w.checked && credential_macs(dirfd, &w.secrets, &w.secrets_n, &r) != 0)
		w.secrets_n = 0; /* unreadable: every device shown by the rule without secrets */
	struct checkin_limits lim = limits_of(settings);
	int rc = buf_puts(out, "# HELP iot_config_device_last_fetch_timestamp_seconds When each "
	                       "device last fetched its config, seconds since the epoch.\n"
	                       "# TYPE iot_config_device_last_fetch_timestamp_seconds gauge\n");
	if (rc == 0 && usable &&
	    checkin_each(dirfd, (int64_t)time(NULL), lim.missing_max, metrics_one, &w, &r) != 0 &&
	    r.status == STORE_OK)
		rc = -1; /* out of memory */
	if (rc == 0)
		rc = buf_puts(out, "# HELP iot_config_device_fetch_info The User-Agent of each "
		                   "device's last fetch; always 1.\n"
		                   "# TYPE iot_config_device_fetch_info gauge\n");
	if (rc == 0)
		rc = buf_append(out, scratch->data ? scratch->data : "", scratch->len);
	if (rc == 0)
		rc = buf_printf(out,
		                "# HELP iot_config_devices_outdated Devices that do not hold their "
		                "config's current version.\n"
		                "# TYPE iot_config_devices_outdated gauge\n"
		                "iot_config_devices_outdated %zu\n",
		                w.outdated);
	if (usable)
		close(dirfd);
	free(w.secrets);
	return rc;
}
