/*
 * settings.c: environment -> struct settings, validated once at start-up.
 * Every rejected value produces one precise message (variable, value,
 * what is accepted) that main.c writes to the web server's error log
 * before exiting with status 78 (EX_CONFIG).
 */
#include "settings.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef IOTCONFIG_SWAGGER_DIR
#define IOTCONFIG_SWAGGER_DIR "/usr/local/share/iotconfig/swagger-ui"
#endif

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static char *
trimmed_copy(const char *start, const char *end)
{
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t n = (size_t)(end - start);
	char *s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, start, n);
	s[n] = '\0';
	return s;
}

static int
push_origin(const char ***list, size_t *count, char *origin, char *err, size_t errlen)
{
	if (origin == NULL) {
		snprintf(err, errlen, "CORS_ORIGINS: out of memory");
		return -1;
	}
	if (origin[0] == '\0') {
		free(origin);
		return 0;
	}
	for (const char *p = origin; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(err, errlen,
			         "CORS_ORIGINS: origin '%.64s' contains a space or control "
			         "character; expected origins like http://localhost:3000",
			         origin);
			free(origin);
			return -1;
		}
	}
	const char **grown = realloc(*list, (*count + 1) * sizeof **list);
	if (grown == NULL) {
		free(origin);
		snprintf(err, errlen, "CORS_ORIGINS: out of memory");
		return -1;
	}
	grown[(*count)++] = origin;
	*list = grown;
	return 0;
}

static void
free_origins(const char ***list, size_t *count)
{
	for (size_t i = 0; i < *count; i++)
		free((char *)(*list)[i]);
	free((void *)*list);
	*list = NULL;
	*count = 0;
}

void
settings_free(struct settings *s)
{
	free_origins(&s->cors_origins, &s->cors_count);
	free_origins(&s->allowed_hosts, &s->allowed_hosts_count);
	free((char *)s->firmware_base_url);
	s->firmware_base_url = NULL;
}

/*
 * One ALLOWED_HOSTS entry, trimmed: "*", a DNS name or IPv4 address, or an
 * IPv6 address with or without brackets. Stored in lower case, without a
 * trailing dot, IPv6 in brackets (as it appears in Host).
 */
static int
push_host(const char ***list, size_t *count, const char *start, const char *end, char *err,
          size_t errlen)
{
	char *t = trimmed_copy(start, end);
	if (t == NULL) {
		snprintf(err, errlen, "ALLOWED_HOSTS: out of memory");
		return -1;
	}
	size_t n = strlen(t);
	if (n > 0 && t[n - 1] == '.')
		t[--n] = '\0';
	bool v6 = strchr(t, ':') != NULL;
	const char *inner = t;
	size_t inner_len = n;
	if (n >= 2 && t[0] == '[' && t[n - 1] == ']') {
		inner = t + 1;
		inner_len = n - 2;
	}
	bool ok = inner_len > 0 && inner_len < 254;
	for (size_t i = 0; ok && i < inner_len; i++) {
		char c = inner[i];
		if (v6) /* an IPv6 address: hex digits, ':' and an IPv4 tail's '.' */
			ok = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
			     (c >= '0' && c <= '9') || c == ':' || c == '.';
		else
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
	}
	if (strcmp(t, "*") == 0)
		ok = true;
	if (n == 0) {
		free(t);
		return 0;
	}
	if (!ok) {
		snprintf(err, errlen,
		         "ALLOWED_HOSTS: '%.64s' is not a host name or address; expected e.g. "
		         "iot.example.org,192.0.2.10,localhost (no scheme, no port)",
		         t);
		free(t);
		return -1;
	}
	char *stored = malloc(inner_len + 3);
	if (stored == NULL) {
		free(t);
		snprintf(err, errlen, "ALLOWED_HOSTS: out of memory");
		return -1;
	}
	if (v6)
		snprintf(stored, inner_len + 3, "[%.*s]", (int)inner_len, inner);
	else
		snprintf(stored, inner_len + 3, "%s", t);
	for (char *p = stored; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	free(t);
	const char **grown = realloc(*list, (*count + 1) * sizeof **list);
	if (grown == NULL) {
		free(stored);
		snprintf(err, errlen, "ALLOWED_HOSTS: out of memory");
		return -1;
	}
	grown[(*count)++] = stored;
	*list = grown;
	return 0;
}

int
settings_parse_hosts(const char *value, const char ***out, size_t *count, char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	for (const char *p = value; p != NULL && *p != '\0';) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		if (push_host(out, count, p, end, err, errlen) != 0) {
			free_origins(out, count);
			return -1;
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static int
parse_origins(const char *value, const char ***out, size_t *count, char *err, size_t errlen)
{
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		/* Like json_tokener_parse, but text after the array is an error too. */
		struct json_tokener *tok = json_tokener_new();
		json_object *arr = tok ? json_tokener_parse_ex(tok, p, (int)strlen(p)) : NULL;
		const char *rest = p + (tok ? json_tokener_get_parse_end(tok) : 0);
		if (tok != NULL && json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(arr);
			arr = NULL;
		}
		json_tokener_free(tok);
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (arr == NULL || !json_object_is_type(arr, json_type_array) || *rest != '\0') {
			json_object_put(arr);
			snprintf(err, errlen,
			         "CORS_ORIGINS: '%.64s' is not a JSON array of strings; expected "
			         "e.g. [\"http://localhost:3000\"] or a comma-separated list",
			         value);
			return -1;
		}
		size_t n = json_object_array_length(arr);
		for (size_t i = 0; i < n; i++) {
			json_object *item = json_object_array_get_idx(arr, i);
			if (!json_object_is_type(item, json_type_string)) {
				json_object_put(arr);
				snprintf(err, errlen,
				         "CORS_ORIGINS: item %zu of the JSON array is not a string",
				         i);
				return -1;
			}
			const char *s = json_object_get_string(item);
			if (push_origin(out, count, trimmed_copy(s, s + strlen(s)), err, errlen) !=
			    0) {
				json_object_put(arr);
				return -1;
			}
		}
		json_object_put(arr);
		return 0;
	}
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		if (push_origin(out, count, trimmed_copy(p, end), err, errlen) != 0)
			return -1;
		p = comma ? comma + 1 : end;
	}
	return 0;
}

int
settings_parse_origins(const char *value, const char ***out, size_t *count, char *err,
                       size_t errlen)
{
	*out = NULL;
	*count = 0;
	if (value == NULL)
		return 0;
	if (parse_origins(value, out, count, err, errlen) != 0) {
		free_origins(out, count); /* nothing half-parsed is left to the caller */
		return -1;
	}
	return 0;
}

static int
parse_bool(const char *name, const char *value, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "1", "yes", "on", "True", "TRUE"};
	static const char *const no[] = {"false", "0", "no", "off", "False", "FALSE"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: '%.64s' is not a boolean; expected true or false", name, value);
	return -1;
}

static int
parse_size(const char *name, const char *value, size_t min, size_t max, size_t *out, char *err,
           size_t errlen)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || errno != 0 || end == value || *end != '\0' ||
	    v < min || v > max) {
		snprintf(err, errlen,
		         "%s: '%.64s' is not a whole number of bytes between %zu and %zu", name,
		         value, min, max);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

/*
 * A whole number of `what` from 0 to max: HISTORY_KEEP (versions, 0: history
 * off), CHECKIN_INTERVAL (seconds, 0: noting off), CHECKIN_MISSING_MAX
 * (notes, 0: fetches of missing configs are not noted) and
 * DEVICE_SECRET_OVERLAP (seconds, 0: a new device secret replaces the old
 * one at once).
 */
static int
parse_count(const char *name, const char *value, unsigned max, const char *what, unsigned *out,
            char *err, size_t errlen)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || errno != 0 || end == value || *end != '\0' ||
	    v > max) {
		snprintf(err, errlen, "%s: '%.64s' is not a whole number of %s between 0 and %u",
		         name, value, what, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/*
 * FILE_MODE: three or four octal digits ("0640", "600"). Refused: other
 * bits than rwx for owner, group and others; any execute bit (a config is
 * not a program); a mode without owner read and write (the service must
 * read and replace its own files); write for others (anyone on the
 * machine could change a device's config).
 */
static int
parse_file_mode(const char *value, unsigned *out, char *err, size_t errlen)
{
	size_t n = strlen(value);
	bool octal = n == 3 || n == 4;
	for (size_t i = 0; octal && i < n; i++)
		octal = value[i] >= '0' && value[i] <= '7';
	unsigned long v = octal ? strtoul(value, NULL, 8) : 0;
	const char *why = NULL;
	if (!octal || v > 0777)
		why = "is not an octal permission mode like 0640";
	else if ((v & 0002) != 0)
		why = "lets anyone on the machine write";
	else if ((v & 0111) != 0)
		why = "has an execute bit";
	else if ((v & 0600) != 0600)
		why = "lacks owner read and write, which the service needs";
	if (why != NULL) {
		snprintf(err, errlen,
		         "FILE_MODE: '%.64s' %s; expected e.g. 0640 (group read) or 0600", value,
		         why);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* SHARED_FS: "auto", or a boolean (true: always shared, false: always local). */
static int
parse_shared_fs(const char *value, enum fsinfo_mode *out, char *err, size_t errlen)
{
	if (strcmp(value, "auto") == 0) {
		*out = FSINFO_AUTO;
		return 0;
	}
	bool on;
	if (parse_bool("SHARED_FS", value, &on, err, errlen) != 0) {
		snprintf(err, errlen, "SHARED_FS: '%.64s' is not auto, true or false", value);
		return -1;
	}
	*out = on ? FSINFO_SHARED : FSINFO_LOCAL;
	return 0;
}

/*
 * FIRMWARE_BASE_URL: "http://host[:port]" or "https://...", optionally with
 * a path prefix, no query, no trailing slash needed (one is dropped).
 */
static int
parse_base_url(const char *value, const char **out, char *err, size_t errlen)
{
	const char *rest = strncmp(value, "http://", 7) == 0    ? value + 7
	                   : strncmp(value, "https://", 8) == 0 ? value + 8
	                                                        : NULL;
	bool ok = rest != NULL && rest[0] != '\0' && rest[0] != '/' && strlen(value) < 200;
	for (const char *p = value; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && *p != 0x7f && *p != '?' && *p != '#' &&
		     *p != '"' && *p != '\\';
	if (!ok) {
		snprintf(err, errlen,
		         "FIRMWARE_BASE_URL: '%.64s' is not an http:// or https:// URL such as "
		         "http://iot.example.org:8080",
		         value);
		return -1;
	}
	size_t n = strlen(value);
	char *copy = strdup(value);
	if (copy == NULL) {
		snprintf(err, errlen, "FIRMWARE_BASE_URL: out of memory");
		return -1;
	}
	if (n > 0 && copy[n - 1] == '/')
		copy[n - 1] = '\0';
	*out = copy;
	return 0;
}

static const char *const device_auth_names[] = {
        [DEVICE_AUTH_OFF] = "off",
        [DEVICE_AUTH_PER_DEVICE] = "per-device",
        [DEVICE_AUTH_REQUIRED] = "required",
};

const char *
settings_device_auth_name(enum settings_device_auth mode)
{
	return device_auth_names[mode];
}

/* DEVICE_AUTH: off, per-device or required, exactly. */
static int
parse_device_auth(const char *value, enum settings_device_auth *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof device_auth_names / sizeof *device_auth_names; i++) {
		if (strcmp(value, device_auth_names[i]) == 0) {
			*out = (enum settings_device_auth)i;
			return 0;
		}
	}
	snprintf(err, errlen, "DEVICE_AUTH: '%.64s' is not off, per-device or required", value);
	return -1;
}

int
settings_load(struct settings *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->configs_dir = env_nonempty("ESP32_CONFIGS_DIR");
	s->max_body_bytes = SETTINGS_DEFAULT_MAX_BODY;
	s->history_keep = SETTINGS_DEFAULT_HISTORY;
	s->checkin_interval = SETTINGS_DEFAULT_CHECKIN;
	s->checkin_missing_max = SETTINGS_DEFAULT_CHECKIN_MISSING;
	s->file_mode = SETTINGS_DEFAULT_FILE_MODE;
	s->firmware_max_bytes = SETTINGS_DEFAULT_FW_BYTES;
	s->firmware_keep = SETTINGS_DEFAULT_FW_KEEP;
	s->firmware_fail_after = SETTINGS_DEFAULT_FW_FAIL;
	s->device_auth = DEVICE_AUTH_OFF;
	s->secret_overlap = SETTINGS_DEFAULT_OVERLAP;
	s->metrics_file = env_nonempty("METRICS_FILE");
	s->swagger_dir = env_nonempty("SWAGGER_UI_DIR");
	if (s->swagger_dir == NULL)
		s->swagger_dir = IOTCONFIG_SWAGGER_DIR;

	const char *v = env_nonempty("DEBUG");
	if (v != NULL && parse_bool("DEBUG", v, &s->debug, err, errlen) != 0)
		return -1;
	v = env_nonempty("MAX_BODY_BYTES");
	if (v != NULL && parse_size("MAX_BODY_BYTES", v, SETTINGS_MIN_MAX_BODY,
	                            SETTINGS_MAX_MAX_BODY, &s->max_body_bytes, err, errlen) != 0)
		return -1;
	v = env_nonempty("HISTORY_KEEP");
	if (v != NULL && parse_count("HISTORY_KEEP", v, SETTINGS_MAX_HISTORY, "versions",
	                             &s->history_keep, err, errlen) != 0)
		return -1;
	v = env_nonempty("CHECKIN_INTERVAL");
	if (v != NULL && parse_count("CHECKIN_INTERVAL", v, SETTINGS_MAX_CHECKIN, "seconds",
	                             &s->checkin_interval, err, errlen) != 0)
		return -1;
	v = env_nonempty("CHECKIN_MISSING_MAX");
	if (v != NULL && parse_count("CHECKIN_MISSING_MAX", v, SETTINGS_MAX_CHECKIN_MISSING,
	                             "notes", &s->checkin_missing_max, err, errlen) != 0)
		return -1;
	v = env_nonempty("FILE_MODE");
	if (v != NULL && parse_file_mode(v, &s->file_mode, err, errlen) != 0)
		return -1;
	v = env_nonempty("DEVICE_AUTH");
	if (v != NULL && parse_device_auth(v, &s->device_auth, err, errlen) != 0)
		return -1;
	v = env_nonempty("DEVICE_SECRET_OVERLAP");
	if (v != NULL && parse_count("DEVICE_SECRET_OVERLAP", v, SETTINGS_MAX_OVERLAP, "seconds",
	                             &s->secret_overlap, err, errlen) != 0)
		return -1;
	v = env_nonempty("SHARED_FS");
	if (v != NULL && parse_shared_fs(v, &s->shared_fs, err, errlen) != 0)
		return -1;
	v = env_nonempty("FIRMWARE_MAX_BYTES");
	if (v != NULL &&
	    parse_size("FIRMWARE_MAX_BYTES", v, SETTINGS_MIN_FW_BYTES, SETTINGS_MAX_FW_BYTES,
	               &s->firmware_max_bytes, err, errlen) != 0)
		return -1;
	v = env_nonempty("FIRMWARE_KEEP");
	if (v != NULL && (parse_count("FIRMWARE_KEEP", v, SETTINGS_MAX_FW_KEEP, "versions",
	                              &s->firmware_keep, err, errlen) != 0 ||
	                  s->firmware_keep == 0)) {
		snprintf(err, errlen,
		         "FIRMWARE_KEEP: '%.64s' is not a whole number of versions "
		         "between 1 and %u",
		         v, SETTINGS_MAX_FW_KEEP);
		return -1;
	}
	v = env_nonempty("FIRMWARE_FAIL_AFTER");
	if (v != NULL && (parse_count("FIRMWARE_FAIL_AFTER", v, SETTINGS_MAX_FW_FAIL, "seconds",
	                              &s->firmware_fail_after, err, errlen) != 0 ||
	                  s->firmware_fail_after < SETTINGS_MIN_FW_FAIL)) {
		snprintf(err, errlen,
		         "FIRMWARE_FAIL_AFTER: '%.64s' is not a whole number of "
		         "seconds between %u and %u",
		         v, SETTINGS_MIN_FW_FAIL, SETTINGS_MAX_FW_FAIL);
		return -1;
	}
	v = env_nonempty("FIRMWARE_SENDFILE");
	if (v != NULL &&
	    parse_bool("FIRMWARE_SENDFILE", v, &s->firmware_sendfile, err, errlen) != 0)
		return -1;
	v = env_nonempty("FIRMWARE_BASE_URL");
	if (v != NULL && parse_base_url(v, &s->firmware_base_url, err, errlen) != 0)
		return -1;
	if (settings_parse_origins(env_nonempty("CORS_ORIGINS"), &s->cors_origins, &s->cors_count,
	                           err, errlen) != 0)
		return -1;
	if (settings_parse_hosts(env_nonempty("ALLOWED_HOSTS"), &s->allowed_hosts,
	                         &s->allowed_hosts_count, err, errlen) != 0)
		return -1;
	if (mqtt_config_load(&s->mqtt, err, errlen) != 0)
		return -1;
	if (s->configs_dir != NULL && s->configs_dir[0] != '/') {
		snprintf(err, errlen,
		         "ESP32_CONFIGS_DIR: '%.200s' is not an absolute path; the web server's "
		         "working directory is not a reliable base",
		         s->configs_dir);
		return -1;
	}
	return 0;
}
