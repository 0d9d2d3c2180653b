/*
 * checkin_note.h: one device's fetch note as a value, without files.
 *
 * A note keeps, per MAC, the last fetch of up to CHECKIN_CLIENTS distinct
 * clients (a client is its address, its User-Agent and whether the fetch
 * was authenticated), so that one read by another client never replaces
 * what the device itself last fetched. Which client is the device is a
 * rule (checkin_device_client): the one that fetches regularly.
 *
 * Everything here is pure: the bytes of a note file both ways, the rule,
 * and the update a fetch makes. checkin.h keeps the files.
 */
#ifndef IOTCONFIG_CHECKIN_NOTE_H
#define IOTCONFIG_CHECKIN_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "mac.h"

#define CHECKIN_UA_MAX   256  /* bytes of User-Agent kept, cut at a character */
#define CHECKIN_ADDR_MAX 64   /* bytes of REMOTE_ADDR kept */
#define CHECKIN_CLIENTS  4    /* distinct clients kept per MAC */
#define CHECKIN_NOTE_MAX 2048 /* bytes of a note file; a longer file is not a note */

/* One client's last fetch of one MAC. */
struct checkin_client {
	int64_t at;                    /* its last noted fetch, seconds since the epoch */
	int64_t first_at;              /* its first noted fetch */
	bool has_etag;                 /* false: there was no config */
	char etag[DIGEST_HEX_LEN + 1]; /* the held ETag's fingerprint, unquoted */
	bool authenticated;            /* the fetch carried the device's credentials */
	char addr[CHECKIN_ADDR_MAX + 1];
	char user_agent[CHECKIN_UA_MAX + 1];
};

/* The note of one MAC. */
struct checkin_note {
	char mac[MAC_CANONICAL_LEN + 1];
	size_t n; /* clients, 0 to CHECKIN_CLIENTS */
	struct checkin_client client[CHECKIN_CLIENTS];
};

/* A fetch to note, as the request gave it (text already cleaned). */
struct checkin_fetch {
	char mac[MAC_CANONICAL_LEN + 1];
	bool has_etag; /* false: a fetch of a config that does not exist */
	char etag[DIGEST_HEX_LEN + 1];
	/*
	 * The fetch proved it is the device's (its credentials). Notes keep
	 * such clients apart from others, and the rule prefers them.
	 */
	bool authenticated;
	char addr[CHECKIN_ADDR_MAX + 1];
	char user_agent[CHECKIN_UA_MAX + 1];
};

/*
 * Copies at most max bytes of in (NULL: "") to out[max + 1] as valid UTF-8
 * without control characters: bytes below 0x20 and 0x7f are removed, every
 * byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) becomes "?", and the text
 * is cut at a character's start.
 */
void checkin_clean_text(const char *in, size_t max, char *out);

/* The file's bytes for a note; returns their length (< CHECKIN_NOTE_MAX). */
size_t checkin_format(const struct checkin_note *note, char out[CHECKIN_NOTE_MAX]);

/*
 * Parses a note file's bytes for mac; returns false for anything that is
 * not a complete note. Reads both the current form and the first one (one
 * client, written before notes kept several). Text fields are cleaned
 * again (checkin_clean_text), so a file edited by hand cannot put control
 * bytes in an answer.
 */
bool checkin_parse(const char *mac, const char *data, size_t len, struct checkin_note *out);

/*
 * Has client c fetched regularly: noted at least twice, at least
 * interval_s seconds apart? A device polls; a person's or a scanner's
 * single read is not regular.
 */
bool checkin_regular(const struct checkin_client *c, unsigned interval_s);

/*
 * Which client is the device (an index below note->n; -1 when n is 0);
 * secret: the device has a secret that its fetches are checked against
 * (DEVICE_AUTH on):
 *   - with secret, when a client fetched authenticated, only those are
 *     candidates (without: every client is, since an authenticated fetch
 *     from before a revocation, or from before DEVICE_AUTH was turned
 *     off, proves nothing about who fetches now);
 *   - of the candidates that fetch regularly (checkin_regular), the one
 *     that fetched last: a device that changed its address or firmware is
 *     followed once its new client is regular too;
 *   - when none is regular yet, the one seen first: a read by someone
 *     else after the device's first fetch does not replace it.
 */
int checkin_device_client(const struct checkin_note *note, unsigned interval_s, bool secret);

/* The newest fetch of any client of the note (0 when it has none). */
int64_t checkin_newest(const struct checkin_note *note);

/*
 * Applies fetch f at now (seconds since the epoch) to note: returns the
 * index of the fetch's client when the note changed enough to be written,
 * else -1 (note left as it was). The fetch's client is
 * found by address, User-Agent and authentication. A write is due when
 * the client is new, holds another ETag than noted (or now none, or now
 * one), or its last noted fetch is more than interval_s seconds away
 * from now (either way: the note may come from another node's clock; in
 * whole seconds, so a write is never early). A new client takes a free
 * place, or replaces one: never the device's (checkin_device_client, with
 * a secret when f is authenticated), first
 * those not regular, the oldest first.
 */
int checkin_update(struct checkin_note *note, const struct checkin_fetch *f, int64_t now,
                   unsigned interval_s);

/* Removes the clients whose last fetch is older than max_age seconds at now. */
void checkin_drop_older(struct checkin_note *note, int64_t now, int64_t max_age);

#endif
