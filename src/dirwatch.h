/*
 * dirwatch.h: which config files in the directory changed since the last
 * look, so the list cache can read those files instead of every file.
 *
 * It uses inotify(7), and only on local file systems (fsinfo.h says which
 * those are; SHARED_FS=true makes none local): there the kernel queues an event for a
 * create, write, truncate, attribute change, rename or delete before the
 * system call that made it returns, so a change made before a request
 * started is always reported to that request. On network file systems
 * (NFS, CephFS, SMB, FUSE) changes made by other machines raise no event,
 * so there, and whenever the events cannot be trusted to be complete (no
 * watch yet, queue overflow, more changed names than the set holds, the
 * directory replaced or removed), the answer is "unknown" and the caller
 * looks at every file.
 *
 * A poll reads the queue until it is empty and hands back the set of
 * changed names; it never remembers anything between polls. A change made
 * after the queue was read (while the caller looks at the files) stays
 * queued and is in the set of the next poll, so the caller looks again.
 *
 * What inotify does not report, and a caller relying on it therefore does
 * not see: writes through a shared mmap(2) of a config file, and writes
 * through a hard link to it that lives in another directory.
 */
#ifndef IOTCONFIG_DIRWATCH_H
#define IOTCONFIG_DIRWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define DIRWATCH_MAX_CHANGES 256 /* more changed names than this: "unknown" */

enum dirwatch_result {
	DIRWATCH_UNKNOWN, /* changes cannot be told: look at every file */
	DIRWATCH_NAMES,   /* every change since the last poll is in the set */
};

/* Config files (<mac>.json) changed since the last poll. */
struct dirwatch_changes {
	size_t n;
	uint64_t mac[DIRWATCH_MAX_CHANGES]; /* mac_value of each name, ascending, distinct */
};

/*
 * Reads every event queued for the directory dirfd (whose fstat is dir)
 * and, with DIRWATCH_NAMES, puts the config file names among them in
 * *out; names of other files (temp files, locks) are left out. The first
 * poll for a directory starts watching it and answers DIRWATCH_UNKNOWN,
 * so the caller's full look happens after the watch exists and nothing
 * that changes meanwhile is missed.
 */
enum dirwatch_result dirwatch_poll(int dirfd, const struct stat *dir, struct dirwatch_changes *out);

/* Stops watching; with false, every later poll answers DIRWATCH_UNKNOWN (tests). */
void dirwatch_enable(bool on);

/* Is a directory being watched right now (tests)? */
bool dirwatch_active(void);

#endif
