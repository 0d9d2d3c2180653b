/*
 * fsinfo.c: file system type from fstatfs(2)'s magic number, and the
 * SHARED_FS override. The table names the network and user-space file
 * systems only for the log; what decides is whether a type is in the
 * local list.
 */
#include "fsinfo.h"

#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define ZFS_SUPER_MAGIC 0x2fc12fc1 /* not in linux/magic.h */

static const struct {
	unsigned long magic;
	const char *name;
	bool local;
} fsinfo_types[] = {
        {EXT4_SUPER_MAGIC, "ext4", true}, /* also ext2 and ext3 */
        {XFS_SUPER_MAGIC, "xfs", true},    {BTRFS_SUPER_MAGIC, "btrfs", true},
        {F2FS_SUPER_MAGIC, "f2fs", true},  {ZFS_SUPER_MAGIC, "zfs", true},
        {TMPFS_MAGIC, "tmpfs", true},      {RAMFS_MAGIC, "ramfs", true},
        {NFS_SUPER_MAGIC, "nfs", false},   {CEPH_SUPER_MAGIC, "ceph", false},
        {SMB_SUPER_MAGIC, "smb", false},   {CIFS_SUPER_MAGIC, "cifs", false},
        {SMB2_SUPER_MAGIC, "smb2", false}, {FUSE_SUPER_MAGIC, "fuse", false},
};

static struct {
	enum fsinfo_mode mode;
	bool known; /* dev and shared hold the last answer */
	dev_t dev;
	bool shared;
} fsinfo_state;

void
fsinfo_set_mode(enum fsinfo_mode mode)
{
	fsinfo_state.mode = mode;
	fsinfo_state.known = false;
}

/* Index into fsinfo_types, -1 for a type not listed, -2 when fstatfs fails. */
static int
type_of(int fd, unsigned long *magic)
{
	struct statfs fs;
	if (fstatfs(fd, &fs) != 0)
		return -2;
	*magic = (unsigned long)fs.f_type;
	for (size_t i = 0; i < sizeof fsinfo_types / sizeof *fsinfo_types; i++)
		if (fsinfo_types[i].magic == *magic)
			return (int)i;
	return -1;
}

bool
fsinfo_is_shared(int fd)
{
	if (fsinfo_state.mode != FSINFO_AUTO)
		return fsinfo_state.mode == FSINFO_SHARED;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return true;
	/* A device number names one mounted file system: its type cannot change. */
	if (fsinfo_state.known && fsinfo_state.dev == st.st_dev)
		return fsinfo_state.shared;
	unsigned long magic = 0;
	int t = type_of(fd, &magic);
	if (t == -2)
		return true; /* not remembered: the next call asks again */
	fsinfo_state.known = true;
	fsinfo_state.dev = st.st_dev;
	fsinfo_state.shared = t < 0 || !fsinfo_types[t].local;
	return fsinfo_state.shared;
}

const char *
fsinfo_describe(int fd, char *out, size_t n)
{
	if (fsinfo_state.mode == FSINFO_SHARED)
		return "shared (SHARED_FS=true)";
	if (fsinfo_state.mode == FSINFO_LOCAL)
		return "local (SHARED_FS=false)";
	unsigned long magic = 0;
	int t = type_of(fd, &magic);
	if (t == -2)
		return "shared (file system type unknown)";
	if (t < 0)
		snprintf(out, n, "shared (type 0x%lx)", magic);
	else
		snprintf(out, n, "%s (%s)", fsinfo_types[t].local ? "local" : "shared",
		         fsinfo_types[t].name);
	return out;
}
