/*
 * summary.h: the list-view fields of one config. They come from the file's
 * top-level deviceName (string), deviceEntityId (string) and enableOTA
 * (boolean); a missing field or one of another type is null.
 */
#ifndef IOTCONFIG_SUMMARY_H
#define IOTCONFIG_SUMMARY_H

#include <json-c/json.h>

#include "buf.h"

/*
 * Appends `"mac_address":"<mac>","device_name":…,"device_entity_id":…,
 * "enable_ota":…` (no braces) so callers can close the object or add to it.
 */
int summary_append_fields(struct buf *out, const char *mac, json_object *config);

/* Appends the GET-shape object: summary fields plus "content". */
int summary_append_config(struct buf *out, const char *mac, json_object *config);

#endif
