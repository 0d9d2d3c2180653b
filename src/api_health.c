/*
 * api_health.c: GET /api/health. Healthy means the config directory
 * exists, is a directory (not a symlink) and this process can read and
 * write it; otherwise 503 with the reason, checked afresh on every call so
 * it recovers as soon as the directory is fixed. With MQTT on, the body
 * also says whether this process is connected to the broker: devices can
 * fetch without it, so it never makes the service unhealthy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "mqtt.h"

int
api_health(struct api_ctx *ctx)
{
	struct store_result r;
	const char *dir = ctx->settings->configs_dir;
	const char *mqtt = mqtt_state(); /* extra, never a reason to be unhealthy */
	if (store_check_dir(dir, &r) == 0) {
		char body[64];
		int n = mqtt == NULL ? snprintf(body, sizeof body, "{\"status\":\"healthy\"}")
		                     : snprintf(body, sizeof body,
		                                "{\"status\":\"healthy\",\"mqtt\":\"%s\"}", mqtt);
		return http_set_json(ctx->res, 200, body, (size_t)n) == 0 ? 0 : -1;
	}

	char reason[400];
	switch (r.status) {
	case STORE_NOT_CONFIGURED:
		snprintf(reason, sizeof reason, "not configured: ESP32_CONFIGS_DIR is not set");
		break;
	case STORE_DIR_MISSING:
		snprintf(reason, sizeof reason, "config directory %.300s does not exist", dir);
		break;
	case STORE_DIR_NOT_DIR:
		snprintf(reason, sizeof reason, "config directory %.300s is not a directory%s", dir,
		         r.sys_errno == ELOOP ? " (it is a symlink, which is not followed)" : "");
		break;
	case STORE_ACCESS:
		snprintf(reason, sizeof reason,
		         "permission denied: config directory %.300s is not %s (%s)", dir,
		         strcmp(r.op, "write") == 0 ? "writable" : "readable",
		         strerror(r.sys_errno));
		break;
	default:
		snprintf(reason, sizeof reason, "config directory %.300s: %s", dir,
		         strerror(r.sys_errno));
		break;
	}
	json_object *o = json_object_new_object();
	if (o == NULL)
		return -1;
	json_object_object_add(o, "status", json_object_new_string("unhealthy"));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (mqtt != NULL)
		json_object_object_add(o, "mqtt", json_object_new_string(mqtt));
	size_t n = 0;
	const char *s = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	int rc = s ? http_set_json(ctx->res, 503, s, n) : -1;
	json_object_put(o);
	if (rc != 0)
		api_error_set(&ctx->err, ERR_INTERNAL, "Out of memory", "rendering health");
	return rc;
}
