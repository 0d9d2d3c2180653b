/*
 * test_summary.c: proves the list-view fields rendered by summary.c. The
 * exact text of summary_append_fields and summary_append_config is pinned:
 * deviceName and deviceEntityId are copied when they are strings,
 * enableOTA when it is a boolean, and each is null when missing or of any
 * other type (a number for deviceName, the string "true" for enableOTA,
 * null, objects, nested look-alikes). Strings are escaped as JSON (quotes,
 * backslashes, control characters, \u0000) while '/' and non-ASCII text are
 * kept as sent, and output is appended to whatever the buffer holds.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"
#include "summary.h"
#include "tap.h"

#define MAC "aa-bb-cc-dd-ee-ff"

static struct buf out;

/* Fields of the config text (parsed strictly), or NULL. */
static const char *
fields(const char *text)
{
	json_object *o = NULL;
	struct jsonbody_error e;
	out.len = 0;
	if (jsonbody_parse_object(text, strlen(text), &o, &e) != 0)
		return NULL;
	int rc = summary_append_fields(&out, MAC, o);
	json_object_put(o);
	return rc == 0 ? out.data : NULL;
}

static const char *
config(const char *text)
{
	json_object *o = NULL;
	struct jsonbody_error e;
	out.len = 0;
	if (jsonbody_parse_object(text, strlen(text), &o, &e) != 0)
		return NULL;
	int rc = summary_append_config(&out, MAC, o);
	json_object_put(o);
	return rc == 0 ? out.data : NULL;
}

/* Parses the rendered summary object and checks it is valid strict JSON. */
static bool
is_valid_object(const char *text)
{
	json_object *o = NULL;
	struct jsonbody_error e;
	if (text == NULL || jsonbody_parse_object(text, strlen(text), &o, &e) != 0)
		return false;
	json_object_put(o);
	return true;
}

int
main(void)
{
	buf_init(&out);

	TAP_STREQ(fields("{\"deviceName\":\"Kitchen\",\"deviceEntityId\":\"sensor.kitchen\","
	                 "\"enableOTA\":true}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"Kitchen\","
	          "\"device_entity_id\":\"sensor.kitchen\",\"enable_ota\":true",
	          "summary: strings and boolean are copied");
	TAP_STREQ(fields("{\"enableOTA\":false,\"deviceEntityId\":\"e\",\"deviceName\":\"n\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"n\","
	          "\"device_entity_id\":\"e\",\"enable_ota\":false",
	          "summary: false is copied and the field order is fixed");
	TAP_STREQ(fields("{}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: missing fields are null");
	TAP_STREQ(fields("{\"deviceName\":42,\"deviceEntityId\":\"id\",\"enableOTA\":\"true\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":\"id\",\"enable_ota\":null",
	          "summary: number for deviceName and string \"true\" for enableOTA are null");
	TAP_STREQ(fields("{\"deviceName\":null,\"deviceEntityId\":{\"a\":\"b\"},\"enableOTA\":1}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: null, object and number 1 are null");
	TAP_STREQ(fields("{\"deviceName\":[\"x\"],\"deviceEntityId\":true,\"enableOTA\":null}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: array, boolean and null of the wrong kind are null");
	TAP_STREQ(fields("{\"config\":{\"deviceName\":\"inner\",\"enableOTA\":true}}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: nested fields of the same name are not used");
	TAP_STREQ(fields("{\"devicename\":\"x\",\"EnableOTA\":true}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: field names are case-sensitive");
	TAP_STREQ(fields("{\"deviceName\":\"\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"\","
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: empty string stays an empty string");

	/* escaping */
	TAP_STREQ(fields("{\"deviceName\":\"say \\\"hi\\\"\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"say \\\"hi\\\"\","
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: quotes in deviceName are escaped");
	TAP_STREQ(fields("{\"deviceName\":\"C:\\\\dev\\\\x\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"C:\\\\dev\\\\x\","
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: backslashes in deviceName are escaped");
	TAP_STREQ(fields("{\"deviceName\":\"a\\nb\\tc\\rd\\u0001e\\u001fz\\u0000\"}"),
	          "\"mac_address\":\"" MAC "\","
	          "\"device_name\":\"a\\nb\\tc\\rd\\u0001e\\u001fz\\u0000\","
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: control characters and \\u0000 in deviceName are escaped");
	TAP_STREQ(fields("{\"deviceName\":\"K\\u00fcche \xe2\x82\xac \\ud83d\\ude00 a/b\"}"),
	          "\"mac_address\":\"" MAC "\",\"device_name\":\"K\xc3\xbc"
	          "che \xe2\x82\xac \xf0\x9f\x98\x80 a/b\","
	          "\"device_entity_id\":null,\"enable_ota\":null",
	          "summary: unicode is kept as UTF-8 and '/' is not escaped");
	{
		const char *f = fields("{\"deviceName\":\"\\\"}{\\\\\\n\\u0002\","
		                       "\"deviceEntityId\":\"\\u2028\",\"enableOTA\":true}");
		char obj[512];
		snprintf(obj, sizeof obj, "{%s}", f ? f : "");
		TAP_CHECK(f != NULL && is_valid_object(obj),
		          "summary: escaped fields form a valid JSON object");
	}

	/* the GET-shape object */
	TAP_STREQ(config("{\"deviceName\":\"n\",\"enableOTA\":true,\"url\":\"http://h/p\","
	                 "\"n\":[1,0.10,{}]}"),
	          "{\"mac_address\":\"" MAC "\",\"device_name\":\"n\","
	          "\"device_entity_id\":null,\"enable_ota\":true,"
	          "\"content\":{\"deviceName\":\"n\",\"enableOTA\":true,\"url\":\"http://h/p\","
	          "\"n\":[1,0.10,{}]}}",
	          "summary: config object is the fields plus the compact content");
	TAP_STREQ(config("{}"),
	          "{\"mac_address\":\"" MAC "\",\"device_name\":null,"
	          "\"device_entity_id\":null,\"enable_ota\":null,\"content\":{}}",
	          "summary: config object of an empty config");
	TAP_CHECK(is_valid_object(config("{\"deviceName\":\"q\\\"\\\\\\u0000\",\"x\":[\"\\n\"]}")),
	          "summary: config object with escapes is valid JSON");

	/* appends */
	{
		json_object *o = json_object_new_object();
		json_object_object_add(o, "deviceName", json_object_new_string("d"));
		out.len = 0;
		buf_puts(&out, "[");
		int rc = summary_append_config(&out, MAC, o);
		rc |= buf_puts(&out, ",");
		rc |= summary_append_config(&out, "00-11-22-33-44-55", o);
		rc |= buf_puts(&out, "]");
		TAP_STREQ(rc == 0 ? out.data : NULL,
		          "[{\"mac_address\":\"" MAC "\",\"device_name\":\"d\","
		          "\"device_entity_id\":null,\"enable_ota\":null,"
		          "\"content\":{\"deviceName\":\"d\"}},"
		          "{\"mac_address\":\"00-11-22-33-44-55\",\"device_name\":\"d\","
		          "\"device_entity_id\":null,\"enable_ota\":null,"
		          "\"content\":{\"deviceName\":\"d\"}}]",
		          "summary: output is appended after existing content");
		json_object_put(o);
	}

	buf_free(&out);
	return tap_done();
}
