/*
 * metrics.h: Prometheus metrics shared by every responder process of one
 * service instance. Counters and histograms live in one fixed-layout file
 * mapped by all processes and updated with C11 atomics: no locks, no
 * allocation per request, and a respawned process keeps the totals.
 */
#ifndef IOTCONFIG_METRICS_H
#define IOTCONFIG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum metrics_op {
	METRICS_OP_NONE = -1,
	METRICS_OP_LIST = 0,
	METRICS_OP_GET,
	METRICS_OP_SAVE,
	METRICS_OP_DELETE,
	METRICS_OP_GET_RAW,
	METRICS_OP_SAVE_RAW,
	METRICS_OP_HISTORY,
	METRICS_OP_GET_REVISION,
	METRICS_OP_RESTORE,
	METRICS_OP_LIST_FETCHES,
	METRICS_OP_GET_FETCH,
	METRICS_OP_LIST_SCHEMAS,
	METRICS_OP_GET_SCHEMA,
	METRICS_OP_SAVE_SCHEMA,
	METRICS_OP_DELETE_SCHEMA,
	METRICS_OP_VALIDATE,
	METRICS_OP_GET_SCHEMA_OF,
	METRICS_OP_PATCH,
	METRICS_OP_CHANGE,
	METRICS_OP_LIST_CHANGES,
	METRICS_OP_GET_CHANGE,
	METRICS_OP_UNDO,
	METRICS_OP_EXPORT,
	METRICS_OP_IMPORT,
	METRICS_OP_LIST_FIRMWARE,
	METRICS_OP_GET_FIRMWARE,
	METRICS_OP_SAVE_FIRMWARE,
	METRICS_OP_DELETE_FIRMWARE,
	METRICS_OP_GET_TARGET,
	METRICS_OP_SET_TARGET,
	METRICS_OP_GET_FIRMWARE_STATE,
	METRICS_OP_DOWNLOAD_FIRMWARE,
	METRICS_OP_GET_MANIFEST,
	METRICS_OP_GET_FILE,
	METRICS_OP_LIST_CREDENTIALS,
	METRICS_OP_GET_CREDENTIAL,
	METRICS_OP_CREATE_CREDENTIAL,
	METRICS_OP_REVOKE_CREDENTIAL,
	METRICS_OP_COUNT
};

#define METRICS_MAX_ROUTES 64 /* route label slots; the router has fewer */

/* Outcomes of an MQTT notification (iot_mqtt_publish_total's status). */
enum metrics_mqtt_status {
	METRICS_MQTT_SUCCESS = 0, /* acknowledged by the broker */
	METRICS_MQTT_ERROR,       /* not queued, or refused by the broker */
	METRICS_MQTT_DROPPED,     /* the queue was full */
	METRICS_MQTT_COUNT
};
#define METRICS_MQTT_PROCS 64 /* processes iot_mqtt_connected can count */

/* Outcomes of a device route's check (iot_device_auth_total's result; access.h). */
enum metrics_auth_result {
	METRICS_AUTH_OK = 0,    /* the device's secret */
	METRICS_AUTH_OPEN,      /* per-device: no secret, served without one */
	METRICS_AUTH_MISSING,   /* no usable credentials where a secret is needed */
	METRICS_AUTH_WRONG,     /* credentials that are not the device's secret */
	METRICS_AUTH_THROTTLED, /* refused unchecked after too many wrong ones */
	METRICS_AUTH_ERROR,     /* the secret could not be read */
	METRICS_AUTH_COUNT
};

/*
 * Maps the shared file: `path`, or when NULL a default that is distinct per
 * web server instance and config directory. Returns true when shared; on
 * any problem logs a warning and falls back to this process's memory.
 * route_templates names the route labels, index = router's route index.
 */
bool metrics_open(const char *path, const char *configs_dir, const char *const *route_templates,
                  int route_count);
/* Where the shared file is, or NULL when metrics are per process. */
const char *metrics_file(void);

void metrics_observe_op(enum metrics_op op, bool success, uint64_t duration_ns);
/* route: the router's route index, or -1 for a request no route matched. */
void metrics_observe_request(int method_index, int route, int status);

void metrics_mqtt_publish(enum metrics_mqtt_status status);
/* This process is now connected to the broker (true) or not (false). */
void metrics_mqtt_connected(bool connected);
/* Is MQTT configured (iot_mqtt_enabled)? Set once at start. */
void metrics_mqtt_enabled(bool enabled);

/* A fetch note was written (ok) or could not be (iot_config_checkin_writes_total). */
void metrics_checkin_write(bool ok);

/* How an answer carrying firmware image bytes ended (iot_firmware_downloads_total). */
enum metrics_fw_result {
	METRICS_FW_COMPLETE = 0, /* the image to its last byte (a whole one, or the last range) */
	METRICS_FW_PARTIAL,      /* a range short of the end: one chunk of a download */
	METRICS_FW_NOT_MODIFIED, /* 304: the device runs it already */
	METRICS_FW_ABORTED,      /* the body could not be handed over */
	METRICS_FW_COUNT
};
/* One such answer, with the image bytes it held (0 for HEAD and 304). */
void metrics_firmware_download(enum metrics_fw_result result, uint64_t bytes);
/* A device route's check ended so (iot_device_auth_total). */
void metrics_device_auth(enum metrics_auth_result result);

/*
 * Appends the exposition text (format 0.0.4). files_count is the files
 * gauge, always present: the caller gives 0 when the directory cannot be
 * used, as no config can then be served.
 */
int metrics_render(struct buf *out, size_t files_count);

/* Label value escaping of the text format: \\, \" and \n. Exposed for tests. */
int metrics_append_label_value(struct buf *out, const char *value);

#endif
