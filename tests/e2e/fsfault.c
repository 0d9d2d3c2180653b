/*
 * fsfault.c: file-system faults a local disk never shows, injected into
 * the responder with LD_PRELOAD by the end-to-end tests (fsfault.bash
 * builds it). Each is off unless its variable is set; everything else
 * goes to the real system call.
 *
 *   IOT_FAULT_DIR_FSYNC=1   every fsync(2) of a directory fails with EIO
 *   IOT_FAULT_STALE_STAT=1  fstatat(2) of a config name (<mac>.json) answers
 *                           ENOENT, as an NFS client's cached lookup may for
 *                           a file another node has just created, while
 *                           open(2) finds the file
 *   IOT_FAULT_NOTE_GATE=PATH  renameat(2) of a fetch note's temp file
 *                           (".tmp-...") into place waits until PATH exists
 *                           (at most 60 s): a note whose write takes as long
 *                           as a test wants, to see what waits for it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool
fault_on(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && strcmp(v, "1") == 0;
}

int
fsync(int fd)
{
	struct stat st;
	if (fault_on("IOT_FAULT_DIR_FSYNC") && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

int
fstatat(int dirfd, const char *name, struct stat *st, int flags)
{
	size_t n = strlen(name);
	if (fault_on("IOT_FAULT_STALE_STAT") && name[0] != '.' && n > 5 &&
	    strcmp(name + n - 5, ".json") == 0) {
		errno = ENOENT;
		return -1;
	}
	return (int)syscall(SYS_newfstatat, dirfd, name, st, flags);
}

int
renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
	const char *gate = getenv("IOT_FAULT_NOTE_GATE");
	if (gate != NULL && gate[0] != '\0' && strncmp(oldname, ".tmp-", 5) == 0) {
		struct timespec tick = {0, 10 * 1000 * 1000};
		for (int i = 0; i < 6000 && access(gate, F_OK) != 0; i++)
			nanosleep(&tick, NULL);
	}
	return (int)syscall(SYS_renameat2, olddirfd, oldname, newdirfd, newname, 0);
}
