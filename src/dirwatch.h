/*
 * dirwatch.h: which names in the config directory changed since the last
 * look, so the list cache can check those files instead of every file.
 *
 * It uses inotify(7), and only on local file systems (ext2/3/4, XFS,
 * Btrfs, F2FS, ZFS, tmpfs, ramfs): there the kernel queues an event for a
 * create, write, truncate, attribute change, rename or delete before the
 * system call that made it returns, so a change made before a request
 * started is always reported to that request. On network file systems
 * (NFS, CephFS, SMB, FUSE) changes made by other machines raise no event,
 * so there, and whenever the events cannot be trusted to be complete (no
 * watch yet, queue overflow, the directory replaced or removed), the
 * answer is "unknown" and the caller looks at every file.
 *
 * What inotify does not report, and a caller relying on it therefore does
 * not see: writes through a shared mmap(2) of a config file, and writes
 * through a hard link to it that lives in another directory.
 */
#ifndef IOTCONFIG_DIRWATCH_H
#define IOTCONFIG_DIRWATCH_H

#include <stdbool.h>
#include <sys/stat.h>

enum dirwatch_result {
	DIRWATCH_UNKNOWN, /* changes cannot be told: look at every file */
	DIRWATCH_NAMES,   /* every change since the last call was reported by name */
};

/*
 * Reports the names changed in the directory dirfd (whose fstat is dir)
 * since the previous call, each through changed(). A non-zero return from
 * changed() makes the result DIRWATCH_UNKNOWN (the caller prefers to look
 * at everything); the remaining events are consumed either way. The first
 * call for a directory starts watching it and answers DIRWATCH_UNKNOWN, so
 * the caller's full look happens after the watch exists and nothing that
 * changes meanwhile is missed. A name may be reported more than once.
 */
enum dirwatch_result dirwatch_poll(int dirfd, const struct stat *dir,
                                   int (*changed)(const char *name, void *arg), void *arg);

/* Stops watching; with false, every later poll answers DIRWATCH_UNKNOWN (tests). */
void dirwatch_enable(bool on);

/* Is a directory being watched right now (tests)? */
bool dirwatch_active(void);

#endif
