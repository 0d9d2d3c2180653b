/*
 * notefile.c: writing the service's small notes whole, and reading the
 * times in them (notefile.h). The fetch notes (checkin.c) and the
 * firmware notes (fwnote.c) say why these files need neither a lock nor
 * an fsync; device secrets (credential.c) are made durable their own way
 * and share only the time format.
 *
 * Process-owned state: the temp name, made once.
 */
#include "notefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define TEMP_PREFIX ".tmp-"

/* ".tmp-" and 16 hex digits, the same for the life of the process, so a
 * process that dies leaves at most one temp file per directory. */
static const char *
temp_name(void)
{
	static char name[32];
	if (name[0] == '\0') {
		uint64_t v = 0;
		if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
			v = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
		snprintf(name, sizeof name, TEMP_PREFIX "%016llx", (unsigned long long)v);
	}
	return name;
}

bool
notefile_is_temp(const char *name)
{
	return strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0;
}

int
notefile_replace(int tmpdir, int dir, const char *name, const char *text, size_t len,
                 struct store_result *r)
{
	const char *tmp = temp_name();
	int fd = openat(tmpdir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	                store_file_mode());
	if (fd < 0) {
		int err = errno;
		return store_result_set(r, store_classify(err), err, "create note");
	}
	const char *op = NULL;
	ssize_t w;
	/* FILE_MODE exactly, as for configs: not less the umask, and a temp
	 * file left from before a change of the setting gets it too. */
	if (store_set_mode(fd, store_file_mode()) != 0) {
		op = "set note mode";
	} else if ((w = write(fd, text, len)) != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC; /* a short write of a few hundred bytes: the disk is full */
		op = "write note";
	}
	if (close(fd) != 0 && op == NULL)
		op = "close note";
	if (op == NULL && renameat(tmpdir, tmp, dir, name) != 0)
		op = "rename note";
	if (op == NULL)
		return store_result_set(r, STORE_OK, 0, NULL);
	int err = errno;
	unlinkat(tmpdir, tmp, 0);
	return store_result_set(r, store_classify(err), err, op);
}

bool
notefile_time(const char *s, size_t n, int64_t *out)
{
	char num[24];
	if (n == 0 || n >= sizeof num || s[0] < '0' || s[0] > '9')
		return false;
	memcpy(num, s, n);
	num[n] = '\0';
	char *end = NULL;
	errno = 0;
	long long v = strtoll(num, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}
