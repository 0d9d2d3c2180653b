/*
 * history.h: past versions of each config, kept next to the configs so
 * that a backup of the directory is a backup of its history too.
 *
 * Every version a change replaces or deletes is kept as it was, byte for
 * byte, in .history/<mac>/ inside the config directory. change.c calls
 * history_keep_current() with the MAC's lock held, before the change
 * itself, and history_end() after it; the routes only read. This module
 * uses store.h for files and knows nothing of changes.
 *
 * One file per past version, its metadata in its name, so that one
 * link(2) (or one rename(2) of a copy) creates a complete entry and no
 * crash can leave half of one:
 *   <revision>.<op>.<saved_at>.<replaced_at>.<user>.json
 *     revision     <10 decimal digits: sequence>-<8 hex digits: random>;
 *                  the sequence orders the entries, newest highest, and
 *                  is never repeated within a MAC (see history_keep_current)
 *     op           s (save), d (delete) or r (restore): what replaced it
 *     saved_at     seconds since the epoch when it was written (its mtime)
 *     replaced_at  seconds since the epoch when it was replaced
 *     user         REMOTE_USER of the replacing request as lowercase hex
 *                  (its first HISTORY_USER_MAX bytes), or "-" for none
 * and, for a version replaced by a fleet change (changeset.h), that
 * change's id as one more field before ".json":
 *   <revision>.<op>.<saved_at>.<replaced_at>.<user>.<change>.json
 *     change       1 to HISTORY_CHANGE_MAX of [0-9a-z-]
 * (entries without it, as every earlier version wrote them, still parse)
 * plus ".tmp-<hex>" files while a copy is made (where link(2) is not
 * supported), which the next change of that MAC removes.
 */
#ifndef IOTCONFIG_HISTORY_H
#define IOTCONFIG_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define HISTORY_DIR        ".history"
#define HISTORY_REV_LEN    19 /* "0000000001-0123abcd" */
#define HISTORY_USER_MAX   64 /* bytes of REMOTE_USER kept */
#define HISTORY_KEEP_MAX   1000
#define HISTORY_CHANGE_MAX 32 /* characters of a fleet change's id */

enum history_op {
	HISTORY_SAVE = 's',
	HISTORY_DELETE = 'd',
	HISTORY_RESTORE = 'r',
};

/* What a change tells the history; revision is filled in. */
struct history_note {
	unsigned keep;      /* versions kept per MAC; 0: history off (change.c) */
	const char *user;   /* REMOTE_USER, or NULL */
	const char *change; /* the fleet change making it (changeset.h), or NULL */
	enum history_op op;
	char revision[HISTORY_REV_LEN + 1]; /* out: id the replaced version got, "" if none */
};

/* One past version. */
struct history_entry {
	char revision[HISTORY_REV_LEN + 1];
	uint64_t seq;
	enum history_op op;
	int64_t saved_at;
	int64_t replaced_at;
	bool has_user;
	char user[HISTORY_USER_MAX + 1];
	char change[HISTORY_CHANGE_MAX + 1]; /* the fleet change that replaced it, "" if none */
	char name[256];                      /* its file name in .history/<mac>/ */
};

/* Is s a well-formed revision id? Checked before any file is looked at. */
bool history_revision_valid(const char *s);

/* Parses an entry's file name; false for anything else. */
bool history_parse_name(const char *name, struct history_entry *e);

/* "save", "delete", "restore". */
const char *history_op_name(enum history_op op);

/* An entry made for a change that is under way. */
struct history_change {
	int hfd;                      /* the MAC's history directory, -1 when nothing was kept */
	char name[256];               /* the entry's file name */
	struct history_entry *listed; /* the directory's entries before it was made */
	size_t n_listed;
};

/*
 * With the MAC's lock (lk) held, before a change: makes the current
 * <mac>.json (when it is a regular file) a history entry, and puts its
 * revision id into note->revision ("" when there was nothing to keep).
 *
 * Its sequence number is one more than the highest one known, which is
 * the larger of the lock's value (store_lock_value) and the highest entry
 * listed; the lock's value is set to it before the entry exists. A
 * directory listing on a shared file system may be older than another
 * node's last change (NFS caches it), the lock's value cannot be, so two
 * entries of a MAC never share a number, whichever node made them.
 *
 * The history directory is listed once, here: the number, the pruning
 * in history_end() and the removal of a crashed copy's temp file all
 * come from that listing (history.c says why it is enough).
 *
 * Nothing is left behind on failure. The entry is durable only once
 * history_commit() succeeded, which must come before the change is made;
 * history_end() follows in every case (with hc->hfd -1 it does nothing).
 */
int history_keep_current(int dirfd, const char *mac, struct store_lock *lk,
                         struct history_note *note, struct history_change *hc,
                         struct store_result *r);

/* Makes the entry durable (fsync of its directory, retried); 0 when there is none. */
int history_commit(struct history_change *hc, struct store_result *r);

/*
 * After the change, lock still held: when it was made, removes all but
 * the newest keep entries; when not, the entry made for it. Closes hc.
 */
void history_end(struct history_change *hc, bool made, unsigned keep);

/*
 * The newest (at most keep) entries of a MAC, newest first, in a malloc'ed
 * array (*out, free it); *n = 0 when the MAC has no history.
 */
int history_list(int dirfd, const char *mac, unsigned keep, struct history_entry **out, size_t *n,
                 struct store_result *r);

/*
 * Reads revision rev (one of the newest keep) into out; STORE_NOT_FOUND
 * when there is no such revision.
 */
int history_read(int dirfd, const char *mac, const char *rev, unsigned keep, struct buf *out,
                 struct history_entry *e, struct store_result *r);

/* Reads entry e of a list into out. */
int history_read_entry(int dirfd, const char *mac, const struct history_entry *e, struct buf *out,
                       int64_t *size, struct store_result *r);

#endif
