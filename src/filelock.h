/*
 * filelock.h: taking a file's exclusive flock(2) without a writer hanging
 * on a shared file system: the one way the store and the credentials take
 * a per-MAC write lock.
 */
#ifndef IOTCONFIG_FILELOCK_H
#define IOTCONFIG_FILELOCK_H

#include <stdbool.h>

/* How long a writer waits for a lock on a shared file system. */
#define FILELOCK_WAIT_MS 10000

/*
 * Locks fd exclusively. shared: fd is on a shared file system
 * (fsinfo_is_shared). Returns 0, or -1 with errno: EWOULDBLOCK when
 * another holder kept it FILELOCK_WAIT_MS (shared) or at once (!wait),
 * else flock's own error (ESTALE: the file was removed meanwhile).
 */
int filelock_exclusive(int fd, bool shared, bool wait);

#endif
