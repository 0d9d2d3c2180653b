/*
 * store.h: the config directory as files. List, read, compare, durable
 * atomic replace (a temp file installed by rename), remove, per-MAC locks,
 * start-up sweep of abandoned temp files, and the health check. It knows
 * nothing about HTTP, and nothing about what a change means: the checks
 * and the history that go with one are change.h's, which holds the MAC's
 * lock around the steps here. Results are store_status values with the
 * errno and the step that failed.
 *
 * On a shared file system (fsinfo.h: NFS, CephFS, SMB, FUSE, or
 * SHARED_FS=true) nothing is decided from a cached stat: files are opened
 * and then fstat'ed, a missing config is only ever reported from under its
 * lock, no mtime is reported for HTTP validators, and temp files are swept
 * by the state of their lock alone.
 *
 * Names in the directory:
 *   <mac>.json                     a config (the only names ever listed)
 *   .<mac>.lock                    lock file, held with flock(2) by writers;
 *                                  it also holds the lock's value (store_lock_value)
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
	STORE_LOCKED,         /* another writer held the config's lock longer than a
	                         writer waits (FILELOCK_WAIT_MS, shared file systems) */
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
	time_t mtime;  /* seconds, by this machine's clock; 0 on a shared file system */
	unsigned mode; /* permission bits */
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

/* Is data exactly the bytes of <mac>.json? (compares, never follows a symlink) */
struct store_compare {
	bool exists; /* something has the config's name (a symlink, a FIFO, ... too) */
	bool same;   /* it is a regular file holding exactly the bytes compared */
	int mode;    /* its permission bits when it is a regular file, else -1 */
};

/*
 * Compares <mac>.json with data: reads nothing when the sizes differ. A
 * name that cannot be opened or read for any reason but ENOENT exists
 * and is not the same (the caller then writes, and meets the error there).
 */
void store_compare(int dirfd, const char *mac, const void *data, size_t len,
                   struct store_compare *out);

/*
 * True when, on a local file system, neither <mac>.json nor its lock file
 * exists: a change that needs a config can then be refused without
 * creating a lock file (so requests for random MACs leave nothing
 * behind). A writer creating the config meanwhile is ordered after that
 * answer. Always false on a shared file system, where "missing" may be a
 * cached answer older than another node's write: there the answer must
 * come from under the lock.
 */
bool store_known_absent(int dirfd, const char *mac);

/*
 * A MAC's write lock: flock(2) of .<mac>.lock, seen by every process and,
 * on CephFS and NFSv4, every node. Writers of one MAC serialise on it.
 */
struct store_lock {
	int fd;
	bool shared; /* on a shared file system */
};

/* Takes the lock, waiting for it; creates the lock file when missing. */
int store_lock(int dirfd, const char *mac, struct store_lock *lk, struct store_result *r);

/* Releases it. */
void store_unlock(struct store_lock *lk);

/*
 * A number kept in the lock file for whoever holds the lock (the history's
 * sequence numbers). It is as current as the lock on every file system:
 * taking a lock makes NFS revalidate that file's cached data, and CephFS
 * is coherent, where a directory listing may be older than another node's
 * change. 0 when none was ever set.
 */
uint64_t store_lock_value(const struct store_lock *lk);

/*
 * Sets it (below 10^10). On a shared file system it is also flushed to the
 * server before this returns, so no node can see anything made after it
 * without it.
 */
int store_lock_set_value(struct store_lock *lk, uint64_t v, struct store_result *r);

/*
 * A new version of <mac>.json in a temp file beside it, not yet in place.
 * The steps below are for a caller holding the MAC's lock (change.h).
 */
struct store_temp {
	char name[128];
};

/*
 * Writes data to a fresh temp file (O_EXCL, never a fixed name) and
 * fsyncs it. It gets store_replace_mode(replaced_mode), the permission
 * bits of the regular config it will replace (the caller looked at it
 * under the MAC's lock), or store_file_mode() when replaced_mode is -1
 * (there is none), exactly (fchmod, whatever the umask). On failure
 * nothing is left.
 */
int store_temp_write(int dirfd, const char *mac, const void *data, size_t len, int replaced_mode,
                     struct store_temp *t, struct store_result *r);

/*
 * Renames the temp file over <mac>.json, then fsyncs the directory so the
 * rename survives a power cut; readers see the old file or the new one,
 * never a mix. STORE_NOT_DURABLE: the new file is in place and served,
 * but the directory fsync failed STORE_DIR_SYNC_TRIES times, so after a
 * crash the previous file may be back. When the rename fails, the temp
 * file is removed and the previous file is untouched.
 */
int store_temp_install(int dirfd, const char *mac, struct store_temp *t, struct store_result *r);

/*
 * Writes data as the file `name` in dirfd, durably and atomically, for
 * files other than configs (firmware images and their records): a fresh
 * temp file ".<name>.<pid>.<n>.<random>.tmp" beside it (O_EXCL, mode
 * FILE_MODE exactly), written and fsynced, renamed over name, then the
 * directory fsynced. Readers see the old file or the new one. On failure
 * before the rename nothing is left and any previous file is untouched;
 * STORE_NOT_DURABLE as for store_temp_install. The caller holds whatever
 * lock orders the writers of name.
 */
int store_write_file(int dirfd, const char *name, const void *data, size_t len,
                     struct store_result *r);

/* Is name one of store_write_file's temp files (".<...>.tmp")? */
bool store_is_temp_name(const char *name);

/* Removes a temp file that will not be installed. */
void store_temp_discard(int dirfd, struct store_temp *t);

/*
 * Removes <mac>.json and fsyncs the directory: STORE_NOT_FOUND when there
 * is none; STORE_NOT_DURABLE when it is removed but the fsync failed, so
 * after a crash it may be back.
 */
int store_remove(int dirfd, const char *mac, struct store_result *r);

/*
 * Calls each() for every file named <canonical-mac>.json that is or may be
 * a regular file, in directory order, with its identity; info is NULL
 * when the file could not be looked at for a reason that may pass (an
 * I/O error, EMFILE, ...; errno says which): the caller should look again
 * later, not take it as gone. A non-zero return from each() stops the
 * walk and is returned.
 */
int store_list(int dirfd,
               int (*each)(const char *name, const struct store_file_info *info, void *arg),
               void *arg, struct store_result *r);

/* What a look at a config file found. */
enum store_presence {
	STORE_ABSENT,  /* no such name (ENOENT), or not a regular file */
	STORE_PRESENT, /* a regular file; the identity is filled in */
	STORE_UNKNOWN, /* the look failed otherwise (EIO, EMFILE, ESTALE, ...): look again */
};

/*
 * Identity of the file `name` in the directory (a config file name), never
 * following a symlink. STORE_UNKNOWN leaves errno set.
 */
enum store_presence store_stat_config(int dirfd, const char *name, struct store_file_info *info);

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
