/*
 * fwnote.h: what each device runs and downloads, noted from its requests
 * on the firmware device routes, and the update state that follows.
 *
 * A note per MAC in .firmware/.devices/<mac> (a few lines of text,
 * replaced whole by rename, no fsync: a note lost in a crash costs one
 * interval of staleness, like the fetch notes of checkin.h), so every
 * process and node sharing the directory sees every device. It holds the
 * device's model as of its last request, when it was last seen, the
 * version it last reported running (from its request headers) and when,
 * and its last download of an image: which version, when it started (a
 * response holding the image's first byte) and when it completed (a
 * response holding its last byte, handed over whole).
 *
 * The state of a device against its target (fwnote_state):
 *   current      it runs the target: it said so, or, for a device that
 *                never reports a version (ESPHome), its last complete
 *                download was the target
 *   downloading  it is getting the target: a download started and not
 *                completed within FIRMWARE_FAIL_AFTER, or completed less
 *                than FIRMWARE_FAIL_AFTER ago (installing, rebooting)
 *   failed       it completed the download of the target more than
 *                FIRMWARE_FAIL_AFTER ago and has not reported running it
 *                since: the update failed or was rolled back
 *   behind       it runs (or last downloaded) another version
 *   unknown      nothing is known of what it runs
 * A device of a model without a target has no state.
 */
#ifndef IOTCONFIG_FWNOTE_H
#define IOTCONFIG_FWNOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"
#include "store.h"

#define FWNOTE_MAX 512 /* bytes of a note file */

struct fwnote {
	char mac[MAC_CANONICAL_LEN + 1];
	char model[FIRMWARE_MODEL_MAX + 1];
	int64_t seen_at;                         /* seconds since the epoch */
	char reported[FIRMWARE_VERSION_MAX + 1]; /* "" never */
	int64_t reported_at;
	char download[FIRMWARE_VERSION_MAX + 1]; /* "" never */
	int64_t started_at;
	int64_t completed_at; /* 0: not completed */
};

enum fwnote_state {
	FWNOTE_CURRENT = 0,
	FWNOTE_BEHIND,
	FWNOTE_DOWNLOADING,
	FWNOTE_FAILED,
	FWNOTE_UNKNOWN,
	FWNOTE_STATE_COUNT
};

const char *fwnote_state_name(enum fwnote_state s);

/* The note file's bytes; returns their length (< FWNOTE_MAX). Pure. */
size_t fwnote_format(const struct fwnote *n, char out[FWNOTE_MAX]);
/* Parses a note file's bytes for mac; false for anything else. Pure. */
bool fwnote_parse(const char *mac, const char *data, size_t len, struct fwnote *out);

/*
 * The version the device runs as far as is known: the one it last
 * reported, else (a device that never reports one) its last complete
 * download; "" when nothing is known. Pure.
 */
const char *fwnote_running(const struct fwnote *n);

/* Its state against target (not ""), at now. n may be NULL (no note). Pure. */
enum fwnote_state fwnote_state(const struct fwnote *n, const char *target, int64_t now,
                               unsigned fail_after);

/* 1 found, 0 none, -1 with r set. */
int fwnote_read(int dirfd, const char *mac, struct fwnote *out, struct store_result *r);
int fwnote_write(int dirfd, const struct fwnote *n, struct store_result *r);

/* What one request tells of a device, merged into its note after the answer. */
struct fwnote_event {
	const char *model;
	const char *reported; /* a version the device says it runs, or NULL */
	const char *download; /* the version whose bytes were sent, or NULL */
	bool first_byte;      /* the answer held the image's first byte */
	bool last_byte;       /* ... and its last, delivered whole */
};

/*
 * The note after ev at now: whether it must be written (anything but the
 * time seen changed, a report newer than a completed download, or seen_at
 * older than interval_s). Pure.
 */
bool fwnote_merge(struct fwnote *n, const struct fwnote_event *ev, int64_t now,
                  unsigned interval_s);

#endif
