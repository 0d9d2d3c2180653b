/*
 * testfs.h: what the unit tests that work in a scratch directory share:
 * removing the directory with all it holds, and (with TESTFS_FSYNCS
 * defined before the include) fsync(2) counted in `fsyncs`, for tests
 * that prove a write is or is not made durable.
 */
#ifndef IOTCONFIG_TESTFS_H
#define IOTCONFIG_TESTFS_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
testfs_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything below it, never following a symlink. */
static void
rm_tree(const char *dir)
{
	nftw(dir, testfs_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#ifdef TESTFS_FSYNCS
static int fsyncs; /* fsync(2) calls made */

int
fsync(int fd)
{
	fsyncs++;
	return (int)syscall(SYS_fsync, fd);
}
#endif

#endif
