/*
 * changeset.h: the records of fleet changes (one request changing many
 * configs: a merge patch, an import, an undo), kept next to the configs so
 * that a backup of the directory holds them, and every node sharing the
 * directory lists the same ones:
 *   .changes/<id>.json       one record: JSON written by the API layer
 *   .changes/.<id>.<r>.tmp   a record being written
 * A change id is the UTC time it was made and a random part,
 * "YYYYMMDD-HHMMSS-xxxxxxxx", so ids sort by time and cannot be guessed
 * from one another. The same id names the change in the history entries of
 * every version it replaced (history.h).
 *
 * A record is written whole (temp file, fsync, rename, fsync of the
 * directory) or not at all; the newest CHANGESET_KEEP are kept. This
 * module knows nothing of what a record says.
 */
#ifndef IOTCONFIG_CHANGESET_H
#define IOTCONFIG_CHANGESET_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "store.h"

#define CHANGESET_DIR    ".changes"
#define CHANGESET_ID_LEN 24  /* "20260504-110203-9f3a1c2b" */
#define CHANGESET_KEEP   100 /* records kept; older ones are removed */

/* A new id, from the clock and the kernel's random numbers. */
void changeset_new_id(char out[CHANGESET_ID_LEN + 1]);

/* Is s a well-formed id? Checked before any file is looked at. */
bool changeset_id_valid(const char *s);

/* Writes (or replaces) the record of id, durably. */
int changeset_write(int dirfd, const char *id, const void *data, size_t len,
                    struct store_result *r);

/* Reads the record of id into out; STORE_NOT_FOUND when there is none. */
int changeset_read(int dirfd, const char *id, struct buf *out, struct store_result *r);

/*
 * The ids of the records present, newest first, at most max, in a
 * malloc'ed array (*ids, free it); *n = 0 when there are none.
 */
int changeset_list(int dirfd, size_t max, char (**ids)[CHANGESET_ID_LEN + 1], size_t *n,
                   struct store_result *r);

/* Removes all but the newest keep records, and temp files over an hour old. */
void changeset_prune(int dirfd, size_t keep);

#endif
