/*
 * change.h: one change of a config, the way every write path makes it
 * (wrapped PUT, raw PUT, restore, DELETE). With the MAC's lock held it
 * evaluates the caller's precondition against the current bytes, leaves
 * everything as it is when a write's bytes equal them, keeps the current
 * version in the history, then writes or removes the config and prunes
 * the history. This module owns the order of those steps and nothing
 * else: store.h does the file steps, history.h the entries, and it knows
 * nothing about HTTP.
 */
#ifndef IOTCONFIG_CHANGE_H
#define IOTCONFIG_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "history.h"
#include "store.h"

/*
 * Precondition evaluated with the MAC's lock held, before the change.
 * `current` is the file's bytes, or NULL when there is none; when current
 * is not NULL and `info` is set, *info is the identity of the file those
 * bytes were read from (its modification time included). A non-zero
 * return refuses the change (STORE_PRECONDITION; the caller knows its own
 * reason from arg).
 */
struct change_precond {
	int (*check)(const struct buf *current, void *arg);
	void *arg;
	struct buf *scratch;          /* holds current; reused across requests */
	struct store_file_info *info; /* may be NULL; else current's identity */
};

/* What a change did, when it returned 0 or STORE_NOT_DURABLE. */
struct change_outcome {
	bool created;   /* a write where there was no config before */
	bool unchanged; /* a write of exactly the current bytes: nothing was written */
};

/*
 * Writes data as <mac>.json (data != NULL), or removes it (data == NULL),
 * when pre (may be NULL) accepts the current bytes.
 *
 * A write whose bytes equal the current file's is not made: the file is
 * not rewritten (so its inode, modification time and mode stay), nothing
 * is added to the history, and out->unchanged says so. The precondition
 * is evaluated first all the same.
 *
 * Otherwise, when note is not NULL and note->keep > 0, the version the
 * change replaces is kept in the history first, and note->revision names
 * it ("" when none); a failure to keep it fails the change, which is then
 * not made. On any failure but STORE_NOT_DURABLE (store.h) the previous
 * file is untouched and no temp file is left.
 */
int change_apply(int dirfd, const char *mac, const void *data, size_t len,
                 const struct change_precond *pre, struct history_note *note,
                 struct change_outcome *out, struct store_result *r);

#endif
