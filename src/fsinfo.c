/*
 * fsinfo.c: file system type from fstatfs(2)'s magic number, and the
 * SHARED_FS override. The table names the network and user-space file
 * systems only for the log; what decides is whether a type is in the
 * local list.
 *
 * Every FUSE file system has the one magic number: ceph-fuse, sshfs,
 * s3fs and GlusterFS's client alike, most of them network clients whose
 * other nodes' changes this kernel never sees. So FUSE is shared,
 * whatever the daemon. Only the mount table knows which daemon it is
 * ("fuse.ceph-fuse"); the log line names it from there, once at start.
 */
#include "fsinfo.h"

#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/*
 * The type the mount table gives the file system of device dev (for FUSE:
 * "fuse.<daemon>"), copied into out; false when it cannot be found. A
 * line of /proc/self/mountinfo is "id parent major:minor root mountpoint
 * options [optional fields] - type source super-options" (proc(5)).
 */
static bool
mount_type(dev_t dev, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned maj, min;
		if (sscanf(line, "%*s %*s %u:%u", &maj, &min) != 2 || maj != major(dev) ||
		    min != minor(dev))
			continue;
		const char *sep = strstr(line, " - ");
		if (sep == NULL)
			continue;
		size_t len = strcspn(sep + 3, " \n");
		if (len > 0 && len < n) {
			memcpy(out, sep + 3, len);
			out[len] = '\0';
			found = true;
		}
	}
	fclose(f);
	return found;
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
	char mtype[64];
	struct stat st;
	if (t < 0)
		snprintf(out, n, "shared (type 0x%lx)", magic);
	else if (magic == FUSE_SUPER_MAGIC && fstat(fd, &st) == 0 &&
	         mount_type(st.st_dev, mtype, sizeof mtype))
		snprintf(out, n, "shared (%s)", mtype);
	else
		snprintf(out, n, "%s (%s)", fsinfo_types[t].local ? "local" : "shared",
		         fsinfo_types[t].name);
	return out;
}
