/*
 * checkin.h: what each device last fetched, noted next to the configs.
 *
 * On every device fetch (raw GET/HEAD answered 200, 304, or 404 for a
 * config that does not exist yet) the responder notes, per MAC: when, the
 * ETag the device now holds (none when there was no config), whether the
 * fetch carried the device's secret (access.h), the client's address and
 * its User-Agent. With DEVICE_AUTH on, a device that has a secret is
 * answered only when it sends it, so its note only ever comes from its
 * own authenticated fetches. The notes live in the config directory, in
 * .fetches/<mac> (one small text file per MAC, replaced whole by rename),
 * so every process and every node sharing the directory sees them, and
 * they survive restarts. The list, the count, the files gauge and the
 * history never look there: only names of the form <mac>.json are configs.
 *
 * Writing is rate-limited per process (checkin_due): at most one write per
 * MAC per CHECKIN_INTERVAL seconds, at once when the held ETag changed.
 * Noting never changes the answer to the device: a failure is counted
 * (iot_config_checkin_writes_total{status="error"}) and logged once per
 * interval.
 */
#ifndef IOTCONFIG_CHECKIN_H
#define IOTCONFIG_CHECKIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "mac.h"
#include "store.h"

#define CHECKIN_DIR      ".fetches"
#define CHECKIN_UA_MAX   256          /* bytes of User-Agent kept, cut at a character */
#define CHECKIN_ADDR_MAX 64           /* bytes of REMOTE_ADDR kept */
#define CHECKIN_MAX_AGE  (90 * 86400) /* seconds: older notes are dropped */
/*
 * A fetch of a config that does not exist is noted too (a device waiting
 * for its config), but anyone can ask for any MAC: such notes are kept 7
 * days, and a process writes at most CHECKIN_MISSING_MAX of them per
 * interval, so that guessing MACs cannot fill the directory.
 */
#define CHECKIN_MISSING_MAX_AGE (7 * 86400)
#define CHECKIN_MISSING_MAX     20
#define CHECKIN_TEMP_MAX_AGE    86400  /* seconds before a left temp file is removed */
#define CHECKIN_MEMORY_MAX      131072 /* MACs a process remembers, then starts again */
#define CHECKIN_NOTE_MAX        512    /* bytes of a note file */

/* One device's last fetch. */
struct checkin_note {
	char mac[MAC_CANONICAL_LEN + 1];
	int64_t at;                    /* seconds since the epoch, by the writer's clock */
	bool has_etag;                 /* false: there was no config */
	char etag[DIGEST_HEX_LEN + 1]; /* the held ETag's fingerprint, unquoted */
	bool authenticated;            /* the fetch carried the device's secret */
	char addr[CHECKIN_ADDR_MAX + 1];
	char user_agent[CHECKIN_UA_MAX + 1];
};

/*
 * Copies at most max bytes of in (NULL: "") to out[max + 1] as valid UTF-8
 * without control characters: bytes below 0x20 and 0x7f are removed, every
 * byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) becomes "?", and the text
 * is cut at a character's start. Pure.
 */
void checkin_clean_text(const char *in, size_t max, char *out);

/* The file's bytes for a note; returns their length (< CHECKIN_NOTE_MAX). Pure. */
size_t checkin_format(const struct checkin_note *note, char out[CHECKIN_NOTE_MAX]);

/*
 * Parses a note file's bytes for mac; returns false for anything that is
 * not a complete note. A note of five lines (written before device
 * secrets) is an unauthenticated fetch. Text fields are cleaned again
 * (checkin_clean_text), so a file edited by hand cannot put control bytes
 * in an answer. Pure.
 */
bool checkin_parse(const char *mac, const char *data, size_t len, struct checkin_note *out);

/*
 * The per-process rate limit: is a write due for this MAC, holding
 * etag_hex (NULL: no config), authenticated or not, at now_ms (a monotonic
 * clock)? True the first time, when the held ETag or the authentication
 * differs from the last one written by this process, or when interval_s
 * seconds have passed since; a true answer records the write as made. A
 * process that cannot remember (memory) answers true.
 */
bool checkin_due(uint64_t mac_value, const char *etag_hex, bool authenticated, int64_t now_ms,
                 unsigned interval_s);
/* Forgets everything checkin_due remembered (tests). */
void checkin_forget(void);

/*
 * A device fetch: notes it when due (checkin_due), writing
 * .fetches/<mac> in configs_dir. Never fails the request: a failure is
 * counted in the metrics and logged at most once per interval.
 * interval_s 0: noting is off.
 */
void checkin_seen(const char *configs_dir, unsigned interval_s, const char *mac,
                  const char *etag_hex, bool authenticated, const char *remote_addr,
                  const char *user_agent);

/* Writes one note now (no rate limit). 0, or -1 with r set. */
int checkin_write(int dirfd, const struct checkin_note *note, struct store_result *r);

/* Reads the note of mac: 1 found, 0 none (or dropped as too old), -1 with r set. */
int checkin_read(int dirfd, const char *mac, int64_t now, struct checkin_note *out,
                 struct store_result *r);

/*
 * Calls each(note, arg) for every note, in MAC order, reading one note at
 * a time (memory: 8 bytes per device besides the note being handed over).
 * Notes older than CHECKIN_MAX_AGE at now are removed and skipped, and so
 * are temp files of writers that died (older than CHECKIN_TEMP_MAX_AGE).
 * No .fetches directory: no call. each returns 0 to go on; anything else
 * stops the walk and is returned. 0, or -1 with r set when the notes
 * cannot be listed.
 */
int checkin_each(int dirfd, int64_t now, int (*each)(const struct checkin_note *note, void *arg),
                 void *arg, struct store_result *r);

#endif
