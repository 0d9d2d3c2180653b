/*
 * summary.h: the list-view fields of one config. They come from the file's
 * top-level deviceName (string), deviceEntityId (string) and enableOTA
 * (boolean); a missing field or one of another type is null.
 */
#ifndef IOTCONFIG_SUMMARY_H
#define IOTCONFIG_SUMMARY_H

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"

/*
 * Appends `"mac_address":"<mac>","device_name":…,"device_entity_id":…,
 * "enable_ota":…` (no braces) so callers can close the object or add to it.
 */
int summary_append_fields(struct buf *out, const char *mac, json_object *config);

/* Appends the GET-shape object: summary fields plus "content". */
int summary_append_config(struct buf *out, const char *mac, json_object *config);

/*
 * The same fields kept compactly, as the list cache stores them: only the
 * values that vary, rendered once.
 */
enum summary_ota { SUMMARY_OTA_NULL, SUMMARY_OTA_FALSE, SUMMARY_OTA_TRUE };

/*
 * Appends the JSON text of device_name, then of device_entity_id (each a
 * string or null) and tells the first one's length and enable_ota.
 */
int summary_append_values(struct buf *out, json_object *config, size_t *name_len,
                          enum summary_ota *ota);

/*
 * Appends the fields after enable_ota, `,"saved_at":…,"schema":…,
 * "schema_errors":…`: the file's modification time (saved_ns, nanoseconds
 * since the epoch; 0: unknown, null) in UTC to the second, the name of
 * the schema that applies to the config (a string, or null when none
 * does) and how many errors the config has against it. All of them hold
 * as long as the file and the schemas are unchanged, so the list cache
 * renders them once per file.
 */
int summary_append_tail(struct buf *out, int64_t saved_ns, const char *schema, size_t errors);

/*
 * Appends the list-entry object `{"mac_address":…,…,"schema_errors":…}`
 * from values kept by summary_append_values and summary_append_tail
 * (values holds name_len + id_len + tail_len bytes).
 */
int summary_append_entry(struct buf *out, const char *mac, const char *values, size_t name_len,
                         size_t id_len, size_t tail_len, enum summary_ota ota);

/* The length of what summary_append_entry appends. */
size_t summary_entry_len(size_t name_len, size_t id_len, size_t tail_len, enum summary_ota ota);

#endif
