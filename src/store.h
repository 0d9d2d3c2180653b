/*
 * store.h: the config directory. List, read, durable atomic write, delete,
 * per-MAC locks for conditional writes, start-up sweep of abandoned temp
 * files, and the health check. Knows nothing about HTTP: results are
 * store_status values with the errno and the step that failed.
 *
 * On a shared file system (fsinfo.h: NFS, CephFS, SMB, FUSE, or
 * SHARED_FS=true) nothing is decided from a cached stat: files are opened
 * and then fstat'ed, a missing config is only ever reported from under its
 * lock, no mtime is reported for HTTP validators, and temp files are swept
 * by the state of their lock alone.
 *
 * Names in the directory:
 *   <mac>.json                     a config (the only names ever listed)
 *   .<mac>.lock                    lock file, held with flock(2) by writers
 *   .<mac>.json.<pid>.<n>.<r>.tmp  a write in progress
 *   .history/<mac>/                past versions (history.h), never listed
 */
#ifndef IOTCONFIG_STORE_H
#define IOTCONFIG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define STORE_READ_MAX       (64u * 1024u * 1024u) /* sanity bound for a config file */
#define STORE_TEMP_MAX_AGE   3600                  /* seconds before any temp file is stale */
#define STORE_DIR_SYNC_TRIES 3                     /* attempts at the directory fsync */

enum store_status {
	STORE_OK = 0,
	STORE_NOT_CONFIGURED, /* no directory configured */
	STORE_DIR_MISSING,    /* the directory does not exist */
	STORE_DIR_NOT_DIR,    /* it is a file, or a symlink (not followed) */
	STORE_ACCESS,         /* permission denied or read-only file system */
	STORE_UNREACHABLE,    /* the file system's client lost its server (ENOTCONN:
	                         a network file system's FUSE daemon died) */
	STORE_NOT_FOUND,      /* no such config */
	STORE_NOT_REGULAR,    /* the config name is a symlink or not a regular file */
	STORE_TOO_LARGE,      /* larger than the read bound */
	STORE_NO_SPACE,       /* ENOSPC or EDQUOT */
	STORE_PRECONDITION,   /* the caller's precondition refused the change */
	STORE_IO,             /* any other system error */
	STORE_NOT_DURABLE,    /* the change is made and visible, but the directory fsync
	                         failed: it may not survive a crash */
};

struct store_result {
	enum store_status status;
	int sys_errno;  /* errno of the failing call, 0 when none */
	const char *op; /* the failing step, e.g. "fsync temp file" */
};

/* Identity of a file version, as the list cache keys it. */
struct store_file_info {
	uint64_t ino;
	int64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	time_t mtime; /* seconds, by this machine's clock; 0 on a shared file system */
};

/*
 * Precondition evaluated with the per-MAC lock held, before a write or
 * delete. `current` is the file's bytes, or NULL when there is none;
 * when current is not NULL and `info` is set, *info is the identity of the
 * file those bytes were read from (its modification time included). A
 * non-zero return refuses the change (the store reports STORE_PRECONDITION
 * and the caller knows its own reason from arg).
 */
struct store_precond {
	int (*check)(const struct buf *current, void *arg);
	void *arg;
	struct buf *scratch;          /* holds current; reused across requests */
	struct store_file_info *info; /* may be NULL; else current's identity */
};

/*
 * Permission bits of the files the service creates in the directory
 * (FILE_MODE, settings.h; 0640 until set). Set once at start-up, before
 * any request; store_file_mode() is what every module creating a file
 * there uses (history, and any later per-MAC file).
 */
void store_set_file_mode(unsigned mode);
unsigned store_file_mode(void);

/*
 * The mode a replacement of a file with mode `existing` gets: the existing
 * permission bits less any the setting does not grant. So a file tightened
 * by hand (0600) stays so, and a looser one (0644, from before the
 * setting) is brought down to it.
 */
unsigned store_replace_mode(unsigned existing);

/* The mode of a directory the service creates: the file mode, searchable where readable. */
unsigned store_dir_mode(void);

/*
 * fchmod(fd, mode), where a file system that keeps no modes (EPERM,
 * ENOTSUP from fchmod, as some network mounts answer) decides them
 * itself: 0, or -1 with errno for any other failure.
 */
int store_set_mode(int fd, unsigned mode);

/*
 * fsync(2) of a directory, tried STORE_DIR_SYNC_TRIES times (a transient
 * failure gets another chance); 0 also where the file system cannot fsync
 * a directory (EINVAL, ENOTSUP). -1 with errno set otherwise.
 */
int store_sync_dir(int fd);

/* Opens the directory (O_NOFOLLOW on its last component). */
int store_open_dir(const char *dir, int *dirfd, struct store_result *r);

/* Reads <mac>.json into out (replacing its contents), never following a symlink. */
int store_read(int dirfd, const char *mac, struct buf *out, struct store_file_info *info,
               struct store_result *r);

/* Reads the regular file `name` in dirfd the same way (history entries). */
int store_read_file(int dirfd, const char *name, struct buf *out, struct store_file_info *info,
                    struct store_result *r);

struct history_note;

/*
 * store_write (data != NULL) or store_delete (data == NULL), keeping the
 * version it replaces in the history first (history.h) when note is not
 * NULL and note->keep > 0; note->revision then names that version. A
 * failure to keep it fails the change, which is then not made.
 */
int store_change(int dirfd, const char *mac, const void *data, size_t len,
                 const struct store_precond *pre, struct history_note *note, bool *created,
                 struct store_result *r);

/*
 * Replaces <mac>.json with data: temp file (O_EXCL), fsync, rename, fsync
 * directory. *created tells whether there was no file before. The new
 * file gets store_file_mode(), or store_replace_mode() of the file it
 * replaces, exactly (fchmod, whatever the umask); a lock file is created
 * with store_file_mode() less the umask.
 *
 * STORE_NOT_DURABLE: the rename was made, so <mac>.json is the new file
 * and readers see it, but the directory fsync failed STORE_DIR_SYNC_TRIES
 * times, so after a crash the previous file may be back. *created is set.
 * On any other failure the previous file is untouched and no temp file is
 * left.
 */
int store_write(int dirfd, const char *mac, const void *data, size_t len,
                const struct store_precond *pre, bool *created, struct store_result *r);

/*
 * Removes <mac>.json (under the same lock and precondition as writes).
 * STORE_NOT_DURABLE: it is removed, but the directory fsync failed, so
 * after a crash it may be back.
 */
int store_delete(int dirfd, const char *mac, const struct store_precond *pre,
                 struct store_result *r);

/*
 * Calls each() for every regular file named <canonical-mac>.json, in
 * directory order, with its identity. A non-zero return from each() stops
 * the walk and is returned.
 */
int store_list(int dirfd,
               int (*each)(const char *name, const struct store_file_info *info, void *arg),
               void *arg, struct store_result *r);

/*
 * Identity of the file `name` in the directory (a config file name), never
 * following a symlink. False when it does not exist or is not a regular
 * file (the list then leaves it out).
 */
bool store_stat_config(int dirfd, const char *name, struct store_file_info *info);

/*
 * Removes temp files no writer can still own: those whose MAC lock is
 * free right now (a live writer holds it from before it creates its temp
 * file until after it renames or removes it) and, on a local file system
 * only, those older than STORE_TEMP_MAX_AGE by this machine's clock or
 * whose MAC has no lock file. Counts what it removed in *removed.
 */
int store_sweep_temps(int dirfd, unsigned *removed, struct store_result *r);

/* Exists, is a directory, readable and writable by this process. */
int store_check_dir(const char *dir, struct store_result *r);

/* Sets *r; returns 0 for STORE_OK, else -1. */
int store_result_set(struct store_result *r, enum store_status st, int err, const char *op);
/* The status an errno stands for (ENOSPC: STORE_NO_SPACE, ...). */
enum store_status store_classify(int err);

/* Plain words for a status ("does not exist", "permission denied", ...). */
const char *store_status_text(enum store_status st);

#endif
