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
 *   IOT_FAULT_STAT_EIO_ONCE=PATH
 *                           the next fstatat(2) of a config name fails with
 *                           EIO, once: while the file PATH exists, and
 *                           removing it (so once across every process that
 *                           has the shim)
 *   IOT_FAULT_STALE_HISTORY=1
 *                           a listing (readdir(3)) of a history directory
 *                           (.history/<mac>) answers the names it held when
 *                           this process first listed it, as an NFS client's
 *                           cached directory may while other nodes add and
 *                           remove entries
 *   IOT_FAULT_NOTE_GATE=PATH  renameat(2) of a fetch note's temp file
 *                           (".tmp-...") into place waits until PATH exists
 *                           (at most 60 s): a note whose write takes as long
 *                           as a test wants, to see what waits for it
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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
	bool config = name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
	if (fault_on("IOT_FAULT_STALE_STAT") && config) {
		errno = ENOENT;
		return -1;
	}
	const char *token = getenv("IOT_FAULT_STAT_EIO_ONCE");
	if (token != NULL && token[0] != '\0' && config && unlink(token) == 0) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_newfstatat, dirfd, name, st, flags);
}

/* --- IOT_FAULT_STALE_HISTORY ------------------------------------------------- */

#define FROZEN_DIRS  16
#define FROZEN_NAMES 256
#define CURSORS      16

/* A history directory's names as first listed. */
static struct {
	char path[512];
	int n;
	char names[FROZEN_NAMES][256];
} frozen[FROZEN_DIRS];
static int nfrozen;

/* Where each open stream of a frozen directory is. */
static struct {
	DIR *d;
	int dir; /* index into frozen */
	int pos;
} cursors[CURSORS];

static struct dirent *(*real_readdir)(DIR *);
static void (*real_rewinddir)(DIR *);
static int (*real_closedir)(DIR *);

static void
find_real(void)
{
	if (real_readdir == NULL) {
		real_readdir = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
		real_rewinddir = (void (*)(DIR *))dlsym(RTLD_NEXT, "rewinddir");
		real_closedir = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
	}
}

static void
forget_cursor(DIR *d)
{
	for (int i = 0; i < CURSORS; i++)
		if (cursors[i].d == d)
			cursors[i].d = NULL;
}

/* The frozen directory d lists, or -1 when d is not a history directory. */
static int
frozen_of(DIR *d)
{
	char link[64], path[512];
	snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd(d));
	ssize_t len = readlink(link, path, sizeof path - 1);
	if (len <= 0)
		return -1;
	path[len] = '\0';
	if (strstr(path, "/.history/") == NULL)
		return -1;
	for (int i = 0; i < nfrozen; i++)
		if (strcmp(frozen[i].path, path) == 0)
			return i;
	if (nfrozen == FROZEN_DIRS)
		return -1;
	int f = nfrozen++;
	snprintf(frozen[f].path, sizeof frozen[f].path, "%s", path);
	struct dirent *de;
	while ((de = real_readdir(d)) != NULL && frozen[f].n < FROZEN_NAMES)
		snprintf(frozen[f].names[frozen[f].n++], 256, "%s", de->d_name);
	return f;
}

struct dirent *
readdir(DIR *d)
{
	find_real();
	if (!fault_on("IOT_FAULT_STALE_HISTORY"))
		return real_readdir(d);
	int c = -1;
	for (int i = 0; i < CURSORS && c < 0; i++)
		if (cursors[i].d == d)
			c = i;
	if (c < 0) {
		int f = frozen_of(d);
		if (f < 0)
			return real_readdir(d);
		for (int i = 0; i < CURSORS && c < 0; i++)
			if (cursors[i].d == NULL)
				c = i;
		if (c < 0)
			return real_readdir(d);
		cursors[c].d = d;
		cursors[c].dir = f;
		cursors[c].pos = 0;
	}
	static struct dirent out;
	if (cursors[c].pos >= frozen[cursors[c].dir].n)
		return NULL;
	memset(&out, 0, sizeof out);
	out.d_type = DT_UNKNOWN;
	snprintf(out.d_name, sizeof out.d_name, "%s",
	         frozen[cursors[c].dir].names[cursors[c].pos++]);
	return &out;
}

void
rewinddir(DIR *d)
{
	find_real();
	forget_cursor(d);
	real_rewinddir(d);
}

int
closedir(DIR *d)
{
	find_real();
	forget_cursor(d);
	return real_closedir(d);
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
