/*
 * checkin.h: what each device last fetched, noted next to the configs.
 *
 * On every device fetch (raw GET/HEAD answered 200, 304, or 404 for a
 * config that does not exist yet) the responder notes, per MAC and client
 * (checkin_note.h): when, the ETag the client now holds (none when there
 * was no config), its address and User-Agent. It does so after the answer
 * has left (main.c), so the device never waits for it. The notes live in
 * the config directory, under .fetches (one small text file per MAC,
 * replaced whole by rename), so every process and every node sharing the
 * directory sees them, and they survive restarts. The list, the count, the
 * files gauge and the history never look there.
 *
 * Three kinds of note, a directory each:
 *   .fetches/<mac>           the MAC had a config when it was noted
 *   .fetches/waiting/<mac>   no config, and a client fetched it regularly
 *                            (checkin_regular): a device waiting for its
 *                            first config
 *   .fetches/once/<mac>      no config, fetched once (or only within one
 *                            interval): a new device, or someone guessing
 * Anyone can ask for any MAC, so the last two are each bounded by
 * CHECKIN_MISSING_MAX notes, a bound every process, node and CGI request
 * keeps alike since it is the count of files in the shared directory:
 * whoever adds a note to a full one removes the least recently written
 * (down to seven eighths, so that the count is not taken at every
 * addition), and so does a walk that finds more. A scan of many MACs
 * fills and churns "once" alone; a device that polls moves to "waiting"
 * at its first fetch an interval after its first, out of the scan's reach.
 *
 * Whether a write is due is decided from the note on disk, for every fetch
 * (checkin_update): a client's first fetch, a change of the ETag it holds,
 * or CHECKIN_INTERVAL seconds since its last noted fetch. Noting never
 * changes the answer to the device: a failure is counted
 * (iot_config_checkin_writes_total{status="error"}) and logged at most
 * once per interval.
 */
#ifndef IOTCONFIG_CHECKIN_H
#define IOTCONFIG_CHECKIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checkin_note.h"
#include "store.h"

#define CHECKIN_DIR             ".fetches"
#define CHECKIN_MAX_AGE         (90 * 86400) /* seconds: older notes are dropped */
#define CHECKIN_MISSING_MAX_AGE (7 * 86400)  /* the same for notes of MACs without a config */
#define CHECKIN_TEMP_MAX_AGE    86400        /* seconds before a left temp file is removed */

/* Where a note lives (the order is the precedence when a MAC is in two). */
enum checkin_kind {
	CHECKIN_CONFIGURED, /* .fetches/<mac> */
	CHECKIN_WAITING,    /* .fetches/waiting/<mac> */
	CHECKIN_ONCE,       /* .fetches/once/<mac> */
};
#define CHECKIN_KINDS 3

/* The settings noting follows. */
struct checkin_limits {
	unsigned interval_s;  /* CHECKIN_INTERVAL; 0: noting is off */
	unsigned missing_max; /* CHECKIN_MISSING_MAX: notes per kind without a config */
};

/*
 * Fills f for a fetch of mac holding etag_hex (NULL: no config), from the
 * client's remote_addr and user_agent as sent (cleaned here), with
 * authenticated as the caller proved it.
 */
void checkin_fetch_init(struct checkin_fetch *f, const char *mac, const char *etag_hex,
                        bool authenticated, const char *remote_addr, const char *user_agent);

/*
 * A device fetch, after its answer: notes it when due, in configs_dir.
 * Never fails: a failure is counted in the metrics and logged at most once
 * per interval.
 */
void checkin_seen(const char *configs_dir, const struct checkin_limits *lim,
                  const struct checkin_fetch *f);

/*
 * checkin_seen's work at time now (seconds since the epoch): 1 written,
 * 0 not due (or not to be noted), -1 with r set.
 */
int checkin_note_fetch(int dirfd, const struct checkin_limits *lim, const struct checkin_fetch *f,
                       int64_t now, struct store_result *r);

/* Writes one note of the given kind now (no rule). 0, or -1 with r set. */
int checkin_write(int dirfd, enum checkin_kind kind, const struct checkin_note *note,
                  struct store_result *r);

/*
 * Reads the note of mac, of whichever kind: 1 found, 0 none (or too old),
 * -1 with r set. *kind (may be NULL) tells which.
 */
int checkin_read(int dirfd, const char *mac, int64_t now, struct checkin_note *out,
                 enum checkin_kind *kind, struct store_result *r);

/* Removes every note of mac (its config was deleted). 0, or -1 with r set. */
int checkin_drop(int dirfd, const char *mac, struct store_result *r);

/*
 * Calls each(note, arg) for every note, in MAC order, reading one note at
 * a time (memory: 24 bytes per device besides the note being handed
 * over). On the way it keeps the notes in bounds: notes too old are
 * removed and skipped, a kind without a config holding more than
 * missing_max notes is cut down as an addition would, temp files of
 * writers that died are removed, and a note in .fetches whose clients
 * hold no ETag (a fetch of a missing config noted before the kinds
 * existed) is moved to "once". No .fetches directory: no call.
 * each returns 0 to go on; anything else stops the walk and is returned.
 * 0, or -1 with r set when the notes cannot be listed.
 */
int checkin_each(int dirfd, int64_t now, unsigned missing_max,
                 int (*each)(const struct checkin_note *note, void *arg), void *arg,
                 struct store_result *r);

#endif
