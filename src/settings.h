/*
 * settings.h: the process's settings, read once from the environment the
 * web server gives it (lighttpd bin-environment, Apache FcgidInitialEnv)
 * and never changed afterwards.
 */
#ifndef IOTCONFIG_SETTINGS_H
#define IOTCONFIG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "fsinfo.h"
#include "mqtt_config.h"

#define SETTINGS_DEFAULT_FW_BYTES        (8u * 1024u * 1024u)
#define SETTINGS_MIN_FW_BYTES            (64u * 1024u)
#define SETTINGS_MAX_FW_BYTES            (64u * 1024u * 1024u)
#define SETTINGS_DEFAULT_FW_KEEP         5u
#define SETTINGS_MAX_FW_KEEP             100u /* FIRMWARE_KEEP_MAX */
#define SETTINGS_DEFAULT_FW_FAIL         900u
#define SETTINGS_MIN_FW_FAIL             10u
#define SETTINGS_MAX_FW_FAIL             604800u /* a week */
#define SETTINGS_DEFAULT_MAX_BODY        1048576u
#define SETTINGS_MIN_MAX_BODY            1024u
#define SETTINGS_MAX_MAX_BODY            (64u * 1024u * 1024u)
#define SETTINGS_DEFAULT_HISTORY         20u
#define SETTINGS_MAX_HISTORY             1000u /* HISTORY_KEEP_MAX */
#define SETTINGS_DEFAULT_FILE_MODE       0640u /* owner read-write, group read */
#define SETTINGS_DEFAULT_CHECKIN         60u
#define SETTINGS_MAX_CHECKIN             86400u /* one day */
#define SETTINGS_DEFAULT_CHECKIN_MISSING 1000u
#define SETTINGS_MAX_CHECKIN_MISSING     100000u
#define SETTINGS_DEFAULT_OVERLAP         604800u  /* seven days */
#define SETTINGS_MAX_OVERLAP             7776000u /* ninety days */

/* DEVICE_AUTH: what the device routes ask of a device (access.h). */
enum settings_device_auth {
	DEVICE_AUTH_OFF = 0,    /* nothing: anyone who knows a MAC reads its config */
	DEVICE_AUTH_PER_DEVICE, /* a device that has a secret must present it */
	DEVICE_AUTH_REQUIRED,   /* every device must present its secret */
};

struct settings {
	const char *configs_dir;   /* ESP32_CONFIGS_DIR; NULL when unset or empty */
	const char **cors_origins; /* CORS_ORIGINS entries; "*" allows any origin */
	size_t cors_count;
	/*
	 * ALLOWED_HOSTS: the host names (no port) requests may address, lower
	 * case, IPv6 addresses in brackets; "*" or none: any (origin.c).
	 */
	const char **allowed_hosts;
	size_t allowed_hosts_count;
	bool debug;                   /* DEBUG */
	size_t max_body_bytes;        /* MAX_BODY_BYTES */
	const char *metrics_file;     /* METRICS_FILE; NULL: metrics.c picks a default */
	const char *swagger_dir;      /* SWAGGER_UI_DIR, or the install location */
	enum fsinfo_mode shared_fs;   /* SHARED_FS: auto (FSINFO_AUTO), true, false */
	unsigned history_keep;        /* HISTORY_KEEP: past versions kept per MAC, 0: none */
	unsigned checkin_interval;    /* CHECKIN_INTERVAL: seconds between fetch notes of a
	                                 client of a MAC (sooner when its ETag changes), 0: off */
	unsigned checkin_missing_max; /* CHECKIN_MISSING_MAX: fetch notes of MACs without a
	                                 config kept per kind (checkin.h), 0: none */
	/*
	 * FILE_MODE: permission bits of every file the service creates in the
	 * config directory (configs, lock and temp files, history); never
	 * world-writable, never executable, always owner read-write. main.c
	 * hands it to store_set_file_mode(), where other modules read it.
	 */
	unsigned file_mode;
	enum settings_device_auth device_auth; /* DEVICE_AUTH: off, per-device, required */
	unsigned secret_overlap;               /* DEVICE_SECRET_OVERLAP: seconds a replaced device
	                                          secret keeps working, unless the device uses the
	                                          new one sooner */

	/* Firmware updates (firmware.h, api_ota.c): */
	size_t firmware_max_bytes;     /* FIRMWARE_MAX_BYTES: the largest image upload */
	unsigned firmware_keep;        /* FIRMWARE_KEEP: versions kept per model */
	unsigned firmware_fail_after;  /* FIRMWARE_FAIL_AFTER: seconds after a complete download
	                                  until a device still on its old version has failed */
	bool firmware_sendfile;        /* FIRMWARE_SENDFILE: the web server sends image bodies
	                                  (X-Sendfile), configured to accept it from us */
	const char *firmware_base_url; /* FIRMWARE_BASE_URL: scheme and authority devices reach
	                                  the service at (MQTT payloads), or NULL */

	struct mqtt_settings mqtt; /* MQTT_*: change notifications */
};

/*
 * Reads the environment into *s. Returns 0, or -1 with a message naming
 * the variable and the accepted values in err. Strings in *s stay valid
 * for the life of the process.
 */
int settings_load(struct settings *s, char *err, size_t errlen);

/* "off", "per-device", "required": DEVICE_AUTH as the setting spells it. */
const char *settings_device_auth_name(enum settings_device_auth mode);

/*
 * Parses one CORS_ORIGINS value (JSON array or comma list); exposed for
 * tests. On failure *out is NULL and *count 0 (nothing is left allocated).
 */
int settings_parse_origins(const char *value, const char ***out, size_t *count, char *err,
                           size_t errlen);

/*
 * Parses one ALLOWED_HOSTS value (comma list of host names or addresses);
 * exposed for tests. On failure *out is NULL and *count 0.
 */
int settings_parse_hosts(const char *value, const char ***out, size_t *count, char *err,
                         size_t errlen);

/* Frees what settings_load allocated (the lists); safe after a failed load. */
void settings_free(struct settings *s);

#endif
