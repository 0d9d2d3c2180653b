/*
 * summary.c: renders summaries straight into a buffer. Strings are
 * escaped by json-c (the config's own string objects are serialised, so no
 * new objects are allocated per field).
 */
#include "summary.h"

#include <stdbool.h>
#include <string.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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
	if (buf_printf(out, "\"mac_address\":\"%s\",\"device_name\":", mac) != 0 ||
	    append_typed(out, config, "deviceName", json_type_string) != 0 ||
	    buf_puts(out, ",\"device_entity_id\":") != 0 ||
	    append_typed(out, config, "deviceEntityId", json_type_string) != 0 ||
	    buf_puts(out, ",\"enable_ota\":") != 0 ||
	    append_typed(out, config, "enableOTA", json_type_boolean) != 0)
		return -1;
	return 0;
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
