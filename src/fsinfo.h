/*
 * fsinfo.h: is the config directory on a file system that only this
 * machine changes (local), or one that other machines change too
 * (shared: NFS, CephFS, SMB, FUSE)? The one definition of "local" for the
 * store and the list cache's change watch.
 *
 * Local means a file system type known to be changed only through this
 * kernel: ext2/3/4, XFS, Btrfs, F2FS, ZFS, tmpfs and ramfs. Every other
 * type is shared, known or not, and so is a directory whose type cannot
 * be read: the safe answer for anything not known to be local. On a
 * shared file system the store decides nothing from cached attributes
 * alone (see store.h) and the list cache looks at every file.
 *
 * SHARED_FS overrides the detection (settings.h): "true" treats every
 * directory as shared (tests exercise that path on a local disk), "false"
 * every one as local (one node alone on a network file system, and nothing
 * else changing the directory).
 *
 * Process-owned state: the mode, set once at start-up, and the answer for
 * the last device asked about (fsinfo_state), so a request costs one
 * fstat(2) rather than an fstatfs(2), which on NFS asks the server.
 */
#ifndef IOTCONFIG_FSINFO_H
#define IOTCONFIG_FSINFO_H

#include <stdbool.h>
#include <stddef.h>

enum fsinfo_mode {
	FSINFO_AUTO = 0, /* from the file system type (the default) */
	FSINFO_SHARED,   /* every directory is shared */
	FSINFO_LOCAL,    /* every directory is local */
};

/* Sets the mode for the life of the process (main.c, from SHARED_FS; tests). */
void fsinfo_set_mode(enum fsinfo_mode mode);

/* Must the directory (or a file) open as fd be treated as shared? */
bool fsinfo_is_shared(int fd);

/*
 * Words for logs: "local (ext4)", "shared (nfs)", "shared (fuse.ceph-fuse)"
 * (a FUSE file system named by the mount table), "shared (type 0x1234)",
 * "shared (SHARED_FS=true)", ... A static string or one in out.
 */
const char *fsinfo_describe(int fd, char *out, size_t n);

#endif
