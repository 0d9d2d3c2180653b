/*
 * test_notefile.c: proves notefile.c. A note is written whole under its
 * name with FILE_MODE, the one temp name is reused and never left behind,
 * a failed write reports its step and leaves the old note; a time is
 * decimal digits only, without sign or space, and must fit in int64.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notefile.h"
#include "tap.h"

/* Whole contents of name in dir, NUL-terminated (static), or NULL. */
static const char *
slurp(int dir, const char *name)
{
	static char buf[256];
	int fd = openat(dir, name, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Names in dir other than "." and "..". */
static int
entries(int dir)
{
	DIR *d = fdopendir(dup(dir));
	int n = 0;
	if (d != NULL)
		rewinddir(d); /* the dup shares the offset an earlier listing left at the end */
	for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (d != NULL)
		closedir(d);
	return n;
}

static int
time_is(const char *s, long long want)
{
	int64_t v = -1;
	return notefile_time(s, strlen(s), &v) && v == want;
}

static int
time_refused(const char *s)
{
	int64_t v = 7;
	return !notefile_time(s, strlen(s), &v) && v == 7;
}

int
main(void)
{
	char top[] = "/tmp/iotconfig-notefile.XXXXXX";
	if (mkdtemp(top) == NULL)
		return 1;
	char sub[sizeof top + 8];
	snprintf(sub, sizeof sub, "%s/notes", top);
	mkdir(sub, 0700);
	int tdir = open(top, O_RDONLY | O_DIRECTORY);
	int ndir = open(sub, O_RDONLY | O_DIRECTORY);
	struct store_result r;

	memset(&r, 0, sizeof r);
	int rc = notefile_replace(tdir, ndir, "aa-bb", "one\n", 4, &r);
	TAP_CHECK(rc == 0 && r.status == STORE_OK, "notefile: a note is written");
	TAP_STREQ(slurp(ndir, "aa-bb"), "one\n", "notefile: the note holds its bytes");
	struct stat st;
	TAP_CHECK(fstatat(ndir, "aa-bb", &st, 0) == 0 && (st.st_mode & 07777) == store_file_mode(),
	          "notefile: the note has FILE_MODE");
	rc = notefile_replace(tdir, ndir, "aa-bb", "two, longer\n", 12, &r);
	TAP_STREQ(rc == 0 ? slurp(ndir, "aa-bb") : NULL, "two, longer\n",
	          "notefile: a second write replaces the note whole");
	TAP_CHECK(entries(tdir) == 1 && entries(ndir) == 1,
	          "notefile: no temp file is left beside the notes");

	/* The rename fails (the target is a directory): the step is named, the
	 * temp file removed. */
	mkdirat(ndir, "dir", 0700);
	memset(&r, 0, sizeof r);
	rc = notefile_replace(tdir, ndir, "dir", "x\n", 2, &r);
	TAP_CHECK(rc == -1 && r.status != STORE_OK && r.op != NULL &&
	                  strcmp(r.op, "rename note") == 0,
	          "notefile: a failed rename is reported with its step");
	TAP_CHECK(entries(tdir) == 1, "notefile: a failed write leaves no temp file");
	TAP_STREQ(slurp(ndir, "aa-bb"), "two, longer\n",
	          "notefile: a failed write leaves other notes");

	TAP_CHECK(notefile_is_temp(".tmp-0123456789abcdef") && !notefile_is_temp("aa-bb") &&
	                  !notefile_is_temp("tmp-1"),
	          "notefile: temp names are told from notes");

	TAP_CHECK(time_is("0", 0) && time_is("1796583765", 1796583765LL) &&
	                  time_is("9223372036854775807", 9223372036854775807LL),
	          "notefile: times from 0 to the int64 maximum are read");
	TAP_CHECK(time_refused("") && time_refused("-1") && time_refused("+1") &&
	                  time_refused(" 1") && time_refused("1 ") && time_refused("12a") &&
	                  time_refused("9223372036854775808") &&
	                  time_refused("123456789012345678901234"),
	          "notefile: signs, spaces, letters and overflow are refused");
	{
		int64_t v = -1;
		TAP_CHECK(notefile_time("123456", 3, &v) && v == 123,
		          "notefile: a time is read from its n bytes only");
	}

	unlinkat(ndir, "aa-bb", 0);
	unlinkat(ndir, "dir", AT_REMOVEDIR);
	close(ndir);
	close(tdir);
	rmdir(sub);
	rmdir(top);
	return tap_done();
}
