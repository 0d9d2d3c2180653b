/*
 * summary.c: renders summaries straight into a buffer. Strings are
 * escaped by json-c (the config's own string objects are serialised, so no
 * new objects are allocated per field). The field names below are the
 * only place the summary's shape is spelled.
 */
#include "summary.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "mac.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define F_MAC    "\"mac_address\":\""
#define F_NAME   "\",\"device_name\":"
#define F_ID     ",\"device_entity_id\":"
#define F_OTA    ",\"enable_ota\":"
#define F_SAVED  ",\"saved_at\":"
#define F_SCHEMA ",\"schema\":"
#define F_ERRORS ",\"schema_errors\":"
#define LEN(s)   (sizeof s - 1)

static const char *const ota_text[] = {"null", "false", "true"};
static const size_t ota_len[] = {4, 5, 4};

static int
append_typed(struct buf *out, json_object *config, const char *key, enum json_type type)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(config, key, &v) || !json_object_is_type(v, type))
		return buf_append(out, "null", 4);
	size_t n = 0;
	const char *s = json_object_to_json_string_length(v, JSON_FLAGS, &n);
	return s ? buf_append(out, s, n) : -1;
}

int
summary_append_fields(struct buf *out, const char *mac, json_object *config)
{
	if (buf_puts(out, F_MAC) != 0 || buf_puts(out, mac) != 0 || buf_puts(out, F_NAME) != 0 ||
	    append_typed(out, config, "deviceName", json_type_string) != 0 ||
	    buf_puts(out, F_ID) != 0 ||
	    append_typed(out, config, "deviceEntityId", json_type_string) != 0 ||
	    buf_puts(out, F_OTA) != 0 ||
	    append_typed(out, config, "enableOTA", json_type_boolean) != 0)
		return -1;
	return 0;
}

int
summary_append_values(struct buf *out, json_object *config, size_t *name_len, enum summary_ota *ota)
{
	size_t start = out->len;
	if (append_typed(out, config, "deviceName", json_type_string) != 0)
		return -1;
	*name_len = out->len - start;
	json_object *v = NULL;
	*ota = SUMMARY_OTA_NULL;
	if (json_object_object_get_ex(config, "enableOTA", &v) &&
	    json_object_is_type(v, json_type_boolean))
		*ota = json_object_get_boolean(v) ? SUMMARY_OTA_TRUE : SUMMARY_OTA_FALSE;
	return append_typed(out, config, "deviceEntityId", json_type_string);
}

/*
 * The JSON text of a modification time, "\"2026-05-04T10:11:12Z\"" (UTC,
 * RFC 3339), or null when there is none (0) or it cannot be shown; returns
 * its length.
 */
static size_t
saved_text(int64_t saved_ns, char out[40])
{
	time_t sec = (time_t)(saved_ns / 1000000000);
	struct tm tm;
	size_t n = 0;
	if (saved_ns > 0 && gmtime_r(&sec, &tm) != NULL)
		n = strftime(out, 40, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	if (n == 0) {
		memcpy(out, "null", 5);
		n = 4;
	}
	return n;
}

int
summary_append_tail(struct buf *out, int64_t saved_ns, const char *schema, size_t errors)
{
	char saved[40];
	size_t saved_len = saved_text(saved_ns, saved);
	if (buf_puts(out, F_SAVED) != 0 || buf_append(out, saved, saved_len) != 0 ||
	    buf_puts(out, F_SCHEMA) != 0)
		return -1;
	if (schema == NULL) {
		if (buf_puts(out, "null") != 0)
			return -1;
	} else {
		json_object *name = json_object_new_string(schema);
		size_t n = 0;
		const char *text =
		        name ? json_object_to_json_string_length(name, JSON_FLAGS, &n) : NULL;
		int rc = text ? buf_append(out, text, n) : -1;
		json_object_put(name);
		if (rc != 0)
			return -1;
	}
	return buf_printf(out, F_ERRORS "%zu", errors);
}

int
summary_append_entry(struct buf *out, const char *mac, const char *values, size_t name_len,
                     size_t id_len, size_t tail_len, enum summary_ota ota)
{
	if (buf_reserve(out, summary_entry_len(name_len, id_len, tail_len, ota)) != 0)
		return -1;
	char *p = out->data + out->len;
#define PUT(s, n) (memcpy(p, s, n), p += (n))
	PUT("{" F_MAC, 1 + LEN(F_MAC));
	PUT(mac, MAC_CANONICAL_LEN);
	PUT(F_NAME, LEN(F_NAME));
	PUT(values, name_len);
	PUT(F_ID, LEN(F_ID));
	PUT(values + name_len, id_len);
	PUT(F_OTA, LEN(F_OTA));
	PUT(ota_text[ota], ota_len[ota]);
	PUT(values + name_len + id_len, tail_len);
	PUT("}", 1);
#undef PUT
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	return 0;
}

size_t
summary_entry_len(size_t name_len, size_t id_len, size_t tail_len, enum summary_ota ota)
{
	return 1 + LEN(F_MAC) + MAC_CANONICAL_LEN + LEN(F_NAME) + name_len + LEN(F_ID) + id_len +
	       LEN(F_OTA) + ota_len[ota] + tail_len + 1;
}

int
summary_append_config(struct buf *out, const char *mac, json_object *config)
{
	size_t n = 0;
	if (buf_append(out, "{", 1) != 0 || summary_append_fields(out, mac, config) != 0 ||
	    buf_puts(out, ",\"content\":") != 0)
		return -1;
	const char *s = json_object_to_json_string_length(config, JSON_FLAGS, &n);
	if (s == NULL || buf_append(out, s, n) != 0)
		return -1;
	return buf_append(out, "}", 1);
}
