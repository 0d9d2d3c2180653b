/*
 * test_settings.c: proves that settings.c turns the environment into
 * settings exactly as documented, or refuses it with a message naming the
 * variable. settings_parse_origins reads a JSON array of strings or a
 * comma list (whitespace trimmed, empty items dropped) and refuses
 * invalid JSON, non-string items and origins containing a space or a
 * control character, leaving nothing allocated when it fails.
 * settings_load applies the defaults (no directory, 1048576-byte bodies,
 * debug off, the install-time Swagger UI directory, SHARED_FS auto),
 * parses DEBUG, MAX_BODY_BYTES and SHARED_FS (auto or a boolean)
 * strictly, treats empty variables as unset and refuses a
 * relative ESP32_CONFIGS_DIR. settings_parse_hosts reads ALLOWED_HOSTS
 * (lower case, trailing dot dropped, IPv6 in brackets, "*") and refuses
 * schemes, ports and paths. settings_free releases the lists, so the
 * sanitizer build checks there are no leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "tap.h"

#ifndef IOTCONFIG_SWAGGER_DIR
#define IOTCONFIG_SWAGGER_DIR "/usr/local/share/iotconfig/swagger-ui"
#endif

static const char *const vars[] = {
        "ESP32_CONFIGS_DIR",
        "CORS_ORIGINS",
        "DEBUG",
        "MAX_BODY_BYTES",
        "METRICS_FILE",
        "SWAGGER_UI_DIR",
        "SHARED_FS",
        "HISTORY_KEEP",
        "CHECKIN_INTERVAL",
        "FILE_MODE",
        "CHECKIN_MISSING_MAX",
        "DEVICE_AUTH",
        "DEVICE_SECRET_OVERLAP",
        "FIRMWARE_MAX_BYTES",
        "FIRMWARE_KEEP",
        "FIRMWARE_FAIL_AFTER",
        "FIRMWARE_SENDFILE",
        "FIRMWARE_BASE_URL",
};

static void
clear_env(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

static char err[512];

/* Parses origins; returns the count, or -1 on error. Keeps the list in *list. */
static long
origins(const char *value, struct settings *s)
{
	err[0] = '\0';
	s->cors_origins = (const char **)err; /* must be overwritten */
	s->cors_count = 99;
	if (settings_parse_origins(value, &s->cors_origins, &s->cors_count, err, sizeof err) != 0)
		return s->cors_origins == NULL && s->cors_count == 0 ? -1 : -2;
	return (long)s->cors_count;
}

/* Parses origins, expecting an error naming CORS_ORIGINS; frees on success. */
static bool
origins_refused(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	memset(&s, 0, sizeof s);
	long n = origins(value, &s);
	if (n >= 0)
		settings_free(&s);
	return n == -1 && strncmp(err, "CORS_ORIGINS: ", 14) == 0;
}

/* Loads with one variable set; returns settings_load's result. */
static int
load_with(const char *name, const char *value, struct settings *s)
{
	clear_env();
	if (name != NULL)
		setenv(name, value, 1);
	err[0] = '\0';
	int rc = settings_load(s, err, sizeof err);
	return rc;
}

static bool
max_body_refused(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with("MAX_BODY_BYTES", value, &s);
	settings_free(&s);
	return rc == -1 && strncmp(err, "MAX_BODY_BYTES: ", 16) == 0;
}

static long
max_body(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with("MAX_BODY_BYTES", value, &s);
	settings_free(&s);
	return rc == 0 ? (long)s.max_body_bytes : -1;
}

/* HISTORY_KEEP as loaded, or -1 when refused with a message naming it. */
static long
history_keep_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "HISTORY_KEEP" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "HISTORY_KEEP: ", 14) == 0 ? -1 : -2;
	return (long)s.history_keep;
}

/* CHECKIN_INTERVAL as loaded, or -1 when refused with a message naming it. */
static long
checkin_interval_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "CHECKIN_INTERVAL" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "CHECKIN_INTERVAL: ", 18) == 0 ? -1 : -2;
	return (long)s.checkin_interval;
}

/*
 * One firmware setting as loaded: which 0 FIRMWARE_MAX_BYTES, 1
 * FIRMWARE_KEEP, 2 FIRMWARE_FAIL_AFTER, 3 FIRMWARE_SENDFILE (0 or 1); -1
 * when refused with a message naming it.
 */
static long
firmware_of(int which, const char *value)
{
	static const char *const names[] = {"FIRMWARE_MAX_BYTES", "FIRMWARE_KEEP",
	                                    "FIRMWARE_FAIL_AFTER", "FIRMWARE_SENDFILE"};
	struct settings s;
	int rc = load_with(value ? names[which] : NULL, value ? value : "", &s);
	long got = which == 0   ? (long)s.firmware_max_bytes
	           : which == 1 ? (long)s.firmware_keep
	           : which == 2 ? (long)s.firmware_fail_after
	                        : (long)s.firmware_sendfile;
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, names[which], strlen(names[which])) == 0 ? -1 : -2;
	return got;
}

/* FIRMWARE_BASE_URL as loaded into out ("" unset); -1 when refused naming it. */
static int
base_url_of(const char *value, char *out, size_t cap)
{
	struct settings s;
	int rc = load_with(value ? "FIRMWARE_BASE_URL" : NULL, value ? value : "", &s);
	snprintf(out, cap, "%s", rc == 0 && s.firmware_base_url ? s.firmware_base_url : "");
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "FIRMWARE_BASE_URL: ", 19) == 0 ? -1 : -2;
	return 0;
}

/* DEVICE_AUTH as loaded, or -1 when refused with a message naming it. */
static long
device_auth_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "DEVICE_AUTH" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "DEVICE_AUTH: ", 13) == 0 ? -1 : -2;
	return (long)s.device_auth;
}

/* DEVICE_SECRET_OVERLAP as loaded, or -1 when refused with a message naming it. */
static long
overlap_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "DEVICE_SECRET_OVERLAP" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "DEVICE_SECRET_OVERLAP: ", 23) == 0 ? -1 : -2;
	return (long)s.secret_overlap;
}

/* CHECKIN_MISSING_MAX as loaded, or -1 when refused with a message naming it. */
static long
checkin_missing_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "CHECKIN_MISSING_MAX" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "CHECKIN_MISSING_MAX: ", 21) == 0 ? -1 : -2;
	return (long)s.checkin_missing_max;
}

/* FILE_MODE as loaded, or -1 when refused with a message naming it. */
static long
file_mode_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with(value ? "FILE_MODE" : NULL, value ? value : "", &s);
	settings_free(&s);
	if (rc != 0)
		return strncmp(err, "FILE_MODE: ", 11) == 0 ? -1 : -2;
	return (long)s.file_mode;
}

/* SHARED_FS as loaded: the fsinfo_mode, or -1 when refused. */
static int
shared_fs_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with("SHARED_FS", value, &s);
	settings_free(&s);
	return rc != 0 ? -1 : (int)s.shared_fs;
}

static int
debug_of(const char *value)
{
	struct settings s = {0}; /* settings_free reads every field it owns */
	int rc = load_with("DEBUG", value, &s);
	settings_free(&s);
	return rc != 0 ? -1 : s.debug ? 1 : 0;
}

int
main(void)
{
	struct settings s = {0}; /* settings_free reads every field it owns */

	/* --- settings_parse_hosts ------------------------------------------ */
	{
		const char **h = NULL;
		size_t n = 0;
		TAP_CHECK(settings_parse_hosts(" IoT.Example.org. , 192.0.2.1,::1,[fe80::1],*,", &h,
		                               &n, err, sizeof err) == 0 &&
		                  n == 5 && strcmp(h[0], "iot.example.org") == 0 &&
		                  strcmp(h[1], "192.0.2.1") == 0 && strcmp(h[2], "[::1]") == 0 &&
		                  strcmp(h[3], "[fe80::1]") == 0 && strcmp(h[4], "*") == 0,
		          "settings: ALLOWED_HOSTS lower-cased, trimmed, IPv6 bracketed");
		s.allowed_hosts = h;
		s.allowed_hosts_count = n;
		s.cors_origins = NULL;
		s.cors_count = 0;
		settings_free(&s);
		const char *bad[] = {"http://iot.example", "iot.example:8080", "iot/x", "a b"};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			TAP_CHECK(settings_parse_hosts(bad[i], &h, &n, err, sizeof err) == -1 &&
			                  h == NULL && n == 0 &&
			                  strncmp(err, "ALLOWED_HOSTS: ", 15) == 0,
			          "settings: ALLOWED_HOSTS refuses a scheme, port, path or space");
		}
	}

	/* --- settings_parse_origins --------------------------------------- */
	memset(&s, 0, sizeof s);
	TAP_CHECK(origins("[\"http://localhost:3000\", \"https://app.example.com\"]", &s) == 2 &&
	                  strcmp(s.cors_origins[0], "http://localhost:3000") == 0 &&
	                  strcmp(s.cors_origins[1], "https://app.example.com") == 0,
	          "settings: origins from a JSON array");
	settings_free(&s);
	TAP_CHECK(s.cors_origins == NULL && s.cors_count == 0,
	          "settings: settings_free empties the origins list");
	TAP_CHECK(origins("  [\" http://a \"]", &s) == 1 &&
	                  strcmp(s.cors_origins[0], "http://a") == 0,
	          "settings: JSON array after leading spaces, items trimmed");
	settings_free(&s);
	TAP_CHECK(origins("[]", &s) == 0 && s.cors_origins == NULL,
	          "settings: an empty JSON array is no origins");
	settings_free(&s);
	TAP_CHECK(origins("[\"\", \"http://a\", \"  \"]", &s) == 1 &&
	                  strcmp(s.cors_origins[0], "http://a") == 0,
	          "settings: empty JSON items are dropped");
	settings_free(&s);
	TAP_CHECK(origins("http://a, http://b:8080 ,\thttps://c", &s) == 3 &&
	                  strcmp(s.cors_origins[0], "http://a") == 0 &&
	                  strcmp(s.cors_origins[1], "http://b:8080") == 0 &&
	                  strcmp(s.cors_origins[2], "https://c") == 0,
	          "settings: comma list with spaces and tabs is trimmed");
	settings_free(&s);
	TAP_CHECK(origins("http://a,,http://b,", &s) == 2,
	          "settings: empty comma items are dropped");
	settings_free(&s);
	TAP_CHECK(origins("*", &s) == 1 && strcmp(s.cors_origins[0], "*") == 0,
	          "settings: \"*\" is kept as an origin");
	settings_free(&s);
	TAP_CHECK(origins("", &s) == 0 && s.cors_origins == NULL,
	          "settings: empty value is no origins");
	settings_free(&s);
	TAP_CHECK(origins(" , ", &s) == 0 && s.cors_origins == NULL,
	          "settings: a list of blanks is no origins");
	settings_free(&s);
	TAP_CHECK(origins(NULL, &s) == 0 && s.cors_origins == NULL, "settings: NULL is no origins");
	settings_free(&s);
	TAP_CHECK(origins_refused("[\"http://a\""), "settings: unterminated JSON array is refused");
	TAP_CHECK(origins_refused("[http://a]"), "settings: invalid JSON is refused");
	TAP_CHECK(origins_refused("[\"http://a\"] junk"),
	          "settings: garbage after the JSON array is refused");
	TAP_CHECK(origins_refused("[\"http://a\"], http://b"),
	          "settings: a JSON array followed by a comma list is refused");
	TAP_CHECK(origins_refused("[\"http://a\", 1]"),
	          "settings: JSON array with a non-string item is refused");
	TAP_CHECK(strstr(err, "item 1") != NULL, "settings: the refusal names the bad item");
	TAP_CHECK(origins_refused("[\"http://a\", null]"),
	          "settings: JSON array with a null item is refused");
	TAP_CHECK(origins_refused("[[\"http://a\"]]"), "settings: nested JSON array is refused");
	TAP_CHECK(origins_refused("[\"http://a b\"]"),
	          "settings: origin with an inner space (JSON) is refused");
	TAP_CHECK(origins_refused("http://a b, http://c"),
	          "settings: origin with an inner space (list) is refused");
	TAP_CHECK(origins_refused("http://ok, http://a\x01"),
	          "settings: origin with a control character is refused");
	TAP_CHECK(origins_refused("[\"http://ok\", \"http://a\\u0007\"]"),
	          "settings: JSON origin with an escaped control character is refused");
	TAP_CHECK(origins_refused("http://ok,http://a\x7f"),
	          "settings: origin with DEL is refused");
	TAP_CHECK(origins_refused("http://ok,http://a\nhttp://b"),
	          "settings: origins separated by a newline are refused");

	/* --- settings_load ------------------------------------------------ */
	{
		int rc = load_with(NULL, NULL, &s);
		TAP_CHECK(rc == 0, "settings: an empty environment loads");
		TAP_CHECK(s.configs_dir == NULL, "settings: default directory is unset (NULL)");
		TAP_CHECK(s.max_body_bytes == 1048576,
		          "settings: default MAX_BODY_BYTES is 1048576");
		TAP_CHECK(!s.debug, "settings: default DEBUG is false");
		TAP_CHECK(s.cors_count == 0 && s.cors_origins == NULL,
		          "settings: default CORS_ORIGINS is none");
		TAP_CHECK(s.metrics_file == NULL, "settings: default METRICS_FILE is NULL");
		TAP_STREQ(s.swagger_dir, IOTCONFIG_SWAGGER_DIR,
		          "settings: default SWAGGER_UI_DIR is the install location");
		settings_free(&s);
	}
	{
		clear_env();
		setenv("ESP32_CONFIGS_DIR", "", 1);
		setenv("DEBUG", "", 1);
		setenv("MAX_BODY_BYTES", "", 1);
		setenv("CORS_ORIGINS", "", 1);
		setenv("METRICS_FILE", "", 1);
		setenv("SWAGGER_UI_DIR", "", 1);
		int rc = settings_load(&s, err, sizeof err);
		TAP_CHECK(rc == 0 && s.configs_dir == NULL,
		          "settings: empty ESP32_CONFIGS_DIR is NULL");
		TAP_CHECK(rc == 0 && !s.debug && s.max_body_bytes == 1048576 && s.cors_count == 0 &&
		                  s.metrics_file == NULL &&
		                  strcmp(s.swagger_dir, IOTCONFIG_SWAGGER_DIR) == 0,
		          "settings: empty variables are treated as unset");
		settings_free(&s);
	}
	TAP_CHECK(load_with("ESP32_CONFIGS_DIR", "/srv/iot/configs", &s) == 0 &&
	                  strcmp(s.configs_dir, "/srv/iot/configs") == 0,
	          "settings: absolute ESP32_CONFIGS_DIR is used");
	settings_free(&s);
	TAP_CHECK(load_with("ESP32_CONFIGS_DIR", "data/configs", &s) == -1 &&
	                  strncmp(err, "ESP32_CONFIGS_DIR: ", 19) == 0,
	          "settings: relative ESP32_CONFIGS_DIR is refused, naming the variable");
	settings_free(&s);
	TAP_CHECK(load_with("ESP32_CONFIGS_DIR", "./configs", &s) == -1,
	          "settings: ./ ESP32_CONFIGS_DIR is refused");
	settings_free(&s);
	TAP_CHECK(load_with("METRICS_FILE", "/run/iot.metrics", &s) == 0 &&
	                  strcmp(s.metrics_file, "/run/iot.metrics") == 0,
	          "settings: METRICS_FILE is used");
	settings_free(&s);
	TAP_CHECK(load_with("SWAGGER_UI_DIR", "/opt/swagger", &s) == 0 &&
	                  strcmp(s.swagger_dir, "/opt/swagger") == 0,
	          "settings: SWAGGER_UI_DIR overrides the install location");
	settings_free(&s);

	TAP_CHECK(debug_of("true") == 1, "settings: DEBUG=true is on");
	TAP_CHECK(debug_of("1") == 1 && debug_of("yes") == 1 && debug_of("on") == 1 &&
	                  debug_of("True") == 1 && debug_of("TRUE") == 1,
	          "settings: DEBUG=1/yes/on/True/TRUE are on");
	TAP_CHECK(debug_of("false") == 0, "settings: DEBUG=false is off");
	TAP_CHECK(debug_of("0") == 0 && debug_of("no") == 0 && debug_of("off") == 0 &&
	                  debug_of("False") == 0 && debug_of("FALSE") == 0,
	          "settings: DEBUG=0/no/off/False/FALSE are off");
	TAP_CHECK(debug_of("garbage") == -1 && strncmp(err, "DEBUG: ", 7) == 0,
	          "settings: DEBUG=garbage is refused, naming the variable");
	TAP_CHECK(debug_of("tRuE") == -1, "settings: DEBUG=tRuE is refused");
	TAP_CHECK(debug_of(" true") == -1, "settings: DEBUG with a leading space is refused");

	TAP_CHECK(history_keep_of(NULL) == 20, "settings: default HISTORY_KEEP is 20");
	TAP_CHECK(history_keep_of("0") == 0, "settings: HISTORY_KEEP=0 (history off) is accepted");
	TAP_CHECK(history_keep_of("3") == 3, "settings: HISTORY_KEEP=3 is used");
	TAP_CHECK(history_keep_of("1000") == 1000,
	          "settings: HISTORY_KEEP maximum 1000 is accepted");
	TAP_CHECK(device_auth_of(NULL) == DEVICE_AUTH_OFF, "settings: default DEVICE_AUTH is off");
	TAP_CHECK(device_auth_of("off") == DEVICE_AUTH_OFF &&
	                  device_auth_of("per-device") == DEVICE_AUTH_PER_DEVICE &&
	                  device_auth_of("required") == DEVICE_AUTH_REQUIRED,
	          "settings: DEVICE_AUTH off, per-device and required are used");
	TAP_CHECK(device_auth_of("on") == -1 && device_auth_of("Required") == -1 &&
	                  device_auth_of("per_device") == -1 && device_auth_of("false") == -1,
	          "settings: any other DEVICE_AUTH is refused, naming it");
	TAP_CHECK(strcmp(settings_device_auth_name(DEVICE_AUTH_PER_DEVICE), "per-device") == 0,
	          "settings: the mode's name is the setting's spelling");
	TAP_CHECK(overlap_of(NULL) == 604800, "settings: default DEVICE_SECRET_OVERLAP is 7 days");
	TAP_CHECK(overlap_of("0") == 0 && overlap_of("7776000") == 7776000,
	          "settings: DEVICE_SECRET_OVERLAP 0 and the maximum of 90 days are used");
	TAP_CHECK(overlap_of("7776001") == -1 && overlap_of("-1") == -1 && overlap_of("7d") == -1,
	          "settings: DEVICE_SECRET_OVERLAP above 90 days or not a number is refused");
	TAP_CHECK(firmware_of(0, NULL) == 8388608 && firmware_of(1, NULL) == 5 &&
	                  firmware_of(2, NULL) == 900 && firmware_of(3, NULL) == 0,
	          "settings: firmware defaults: 8 MiB uploads, 5 versions, 900 s, no X-Sendfile");
	TAP_CHECK(firmware_of(0, "65536") == 65536 && firmware_of(1, "100") == 100 &&
	                  firmware_of(2, "10") == 10 && firmware_of(3, "true") == 1,
	          "settings: FIRMWARE_* values within bounds are used");
	TAP_CHECK(firmware_of(0, "65535") == -1 && firmware_of(0, "67108865") == -1 &&
	                  firmware_of(1, "0") == -1 && firmware_of(1, "101") == -1 &&
	                  firmware_of(2, "9") == -1 && firmware_of(2, "604801") == -1 &&
	                  firmware_of(3, "yes please") == -1,
	          "settings: FIRMWARE_* out of bounds or not a value is refused, naming it");
	{
		char url[256];
		TAP_CHECK(base_url_of(NULL, url, sizeof url) == 0 && url[0] == '\0' &&
		                  base_url_of("http://iot.example.org:8080/", url, sizeof url) ==
		                          0 &&
		                  strcmp(url, "http://iot.example.org:8080") == 0,
		          "settings: FIRMWARE_BASE_URL is used without its trailing slash");
		TAP_CHECK(base_url_of("ftp://x", url, sizeof url) == -1 &&
		                  base_url_of("http://", url, sizeof url) == -1 &&
		                  base_url_of("http://a/?q", url, sizeof url) == -1,
		          "settings: a FIRMWARE_BASE_URL that is no http(s) URL is refused");
	}
	TAP_CHECK(checkin_interval_of(NULL) == 60, "settings: default CHECKIN_INTERVAL is 60");
	TAP_CHECK(checkin_interval_of("0") == 0,
	          "settings: CHECKIN_INTERVAL=0 (noting off) is accepted");
	TAP_CHECK(checkin_interval_of("5") == 5 && checkin_interval_of("86400") == 86400,
	          "settings: CHECKIN_INTERVAL 5 and the maximum 86400 are used");
	TAP_CHECK(checkin_interval_of("86401") == -1 && checkin_interval_of("-1") == -1 &&
	                  checkin_interval_of("1m") == -1 && checkin_interval_of(" 5") == -1 &&
	                  checkin_interval_of("99999999999999999999") == -1,
	          "settings: CHECKIN_INTERVAL above 86400, negative or not a number is refused, "
	          "naming it");
	TAP_CHECK(checkin_missing_of(NULL) == 1000,
	          "settings: default CHECKIN_MISSING_MAX is 1000");
	TAP_CHECK(
	        checkin_missing_of("0") == 0 && checkin_missing_of("20") == 20 &&
	                checkin_missing_of("100000") == 100000,
	        "settings: CHECKIN_MISSING_MAX 0 (none noted), 20 and the maximum 100000 are used");
	TAP_CHECK(
	        checkin_missing_of("100001") == -1 && checkin_missing_of("-1") == -1 &&
	                checkin_missing_of("1k") == -1,
	        "settings: CHECKIN_MISSING_MAX above 100000, negative or not a number is refused, "
	        "naming it");
	TAP_CHECK(history_keep_of("1001") == -1 && history_keep_of("-1") == -1 &&
	                  history_keep_of("3x") == -1 && history_keep_of(" 3") == -1 &&
	                  history_keep_of("99999999999999999999") == -1,
	          "settings: HISTORY_KEEP above 1000, negative or not a number is refused, naming "
	          "the variable");
	TAP_CHECK(file_mode_of(NULL) == 0640, "settings: default FILE_MODE is 0640");
	TAP_CHECK(file_mode_of("0600") == 0600 && file_mode_of("600") == 0600,
	          "settings: FILE_MODE=0600 and 600 are owner-only");
	TAP_CHECK(file_mode_of("0660") == 0660 && file_mode_of("0644") == 0644,
	          "settings: FILE_MODE with group write or world read is accepted");
	TAP_CHECK(file_mode_of("0666") == -1 && strstr(err, "lets anyone") != NULL &&
	                  file_mode_of("0642") == -1,
	          "settings: a world-writable FILE_MODE is refused, naming the variable");
	TAP_CHECK(file_mode_of("0740") == -1 && file_mode_of("0650") == -1 &&
	                  strstr(err, "execute") != NULL,
	          "settings: a FILE_MODE with an execute bit is refused");
	TAP_CHECK(file_mode_of("0440") == -1 && file_mode_of("0240") == -1 &&
	                  strstr(err, "owner read and write") != NULL,
	          "settings: a FILE_MODE without owner read-write is refused");
	TAP_CHECK(file_mode_of("4640") == -1 && file_mode_of("1640") == -1 &&
	                  file_mode_of("0648") == -1 && file_mode_of("64") == -1 &&
	                  file_mode_of("00640") == -1 && file_mode_of("rw-r-----") == -1 &&
	                  file_mode_of(" 640") == -1 && file_mode_of("0x1a0") == -1,
	          "settings: FILE_MODE other than 3-4 octal permission digits is refused");
	TAP_CHECK(max_body("2048") == 2048, "settings: MAX_BODY_BYTES=2048 is used");
	TAP_CHECK(max_body("1024") == 1024, "settings: MAX_BODY_BYTES minimum 1024 is accepted");
	TAP_CHECK(max_body("67108864") == 67108864,
	          "settings: MAX_BODY_BYTES maximum 67108864 is accepted");
	TAP_CHECK(max_body_refused("0"), "settings: MAX_BODY_BYTES=0 is refused");
	TAP_CHECK(max_body_refused("1023"), "settings: MAX_BODY_BYTES below 1024 is refused");
	TAP_CHECK(max_body_refused("abc"), "settings: MAX_BODY_BYTES=abc is refused");
	TAP_CHECK(max_body_refused("-1"), "settings: MAX_BODY_BYTES=-1 is refused");
	TAP_CHECK(max_body_refused("+2048"), "settings: MAX_BODY_BYTES with a sign is refused");
	TAP_CHECK(max_body_refused("67108865"), "settings: MAX_BODY_BYTES above 64 MiB is refused");
	TAP_CHECK(max_body_refused("99999999999999999999999"),
	          "settings: MAX_BODY_BYTES beyond 64 bits is refused");
	TAP_CHECK(max_body_refused("2k"), "settings: MAX_BODY_BYTES with a unit is refused");
	TAP_CHECK(max_body_refused(" 2048"),
	          "settings: MAX_BODY_BYTES with a leading space is refused");
	TAP_CHECK(max_body_refused("2048 "),
	          "settings: MAX_BODY_BYTES with a trailing space is refused");

	TAP_CHECK(load_with(NULL, NULL, &s) == 0 && s.shared_fs == FSINFO_AUTO,
	          "settings: default SHARED_FS is auto");
	settings_free(&s);
	TAP_CHECK(shared_fs_of("auto") == FSINFO_AUTO, "settings: SHARED_FS=auto detects");
	TAP_CHECK(shared_fs_of("true") == FSINFO_SHARED && shared_fs_of("1") == FSINFO_SHARED &&
	                  shared_fs_of("yes") == FSINFO_SHARED,
	          "settings: SHARED_FS=true/1/yes treats the directory as shared");
	TAP_CHECK(shared_fs_of("false") == FSINFO_LOCAL && shared_fs_of("0") == FSINFO_LOCAL &&
	                  shared_fs_of("off") == FSINFO_LOCAL,
	          "settings: SHARED_FS=false/0/off treats the directory as local");
	TAP_CHECK(shared_fs_of("nfs") == -1 &&
	                  strcmp(err, "SHARED_FS: 'nfs' is not auto, true or false") == 0,
	          "settings: SHARED_FS=nfs is refused, naming the variable and the values");
	TAP_CHECK(shared_fs_of("Auto") == -1, "settings: SHARED_FS=Auto is refused");

	TAP_CHECK(load_with("CORS_ORIGINS", "http://a, http://b", &s) == 0 && s.cors_count == 2 &&
	                  strcmp(s.cors_origins[1], "http://b") == 0,
	          "settings: CORS_ORIGINS is parsed by settings_load");
	settings_free(&s);
	TAP_CHECK(load_with("CORS_ORIGINS", "[\"http://a\", 5]", &s) == -1 &&
	                  strncmp(err, "CORS_ORIGINS: ", 14) == 0 && s.cors_origins == NULL,
	          "settings: a bad CORS_ORIGINS fails settings_load with nothing allocated");
	settings_free(&s);
	{
		/* origins parsed, then the directory refused: settings_free releases them */
		clear_env();
		setenv("CORS_ORIGINS", "http://a,http://b", 1);
		setenv("ESP32_CONFIGS_DIR", "relative", 1);
		int rc = settings_load(&s, err, sizeof err);
		TAP_CHECK(rc == -1 && strncmp(err, "ESP32_CONFIGS_DIR: ", 19) == 0,
		          "settings: a later refusal still names its variable");
		settings_free(&s);
		TAP_CHECK(s.cors_origins == NULL && s.cors_count == 0,
		          "settings: settings_free is safe after a failed load");
	}
	clear_env();
	return tap_done();
}
