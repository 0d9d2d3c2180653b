/*
 * test_change.c: proves what change_apply() adds to the file steps of
 * store.c (test_store.c proves those, and the precondition, through it;
 * test_history.c the entries): a write whose bytes equal the current
 * file's is not made. The file is not rewritten (same inode, same
 * modification time, no temp file), nothing is added to the history, no
 * fsync is paid, and the outcome says "unchanged", not "created"; the
 * precondition is still evaluated first and may refuse it. Bytes that
 * differ in any way (same size included), or a name that is not a
 * regular file, are written as usual.
 *
 * fsync() is interposed (as in test_store.c) to count the syncs a change
 * pays.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change.h"
#include "tap.h"
#define TESTFS_FSYNCS
#include "testfs.h"

#define MAC "aa-bb-cc-dd-ee-01"

/* Files in dir/.history/MAC, or 0 when there is no such directory. */
static int
history_files(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/.history/%s", dir, MAC);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Names in dir ending in ".tmp". */
static int
temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		n += len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0;
	}
	closedir(d);
	return n;
}

static int
save(int dfd, const char *data, size_t len, const struct change_precond *pre,
     struct change_outcome *out, struct store_result *r)
{
	struct history_note note = {.keep = 20, .op = HISTORY_SAVE};
	int rc = change_apply(dfd, MAC, data, len, pre, &note, out, r);
	if (rc == 0 && out->unchanged && note.revision[0] != '\0')
		return -2; /* an unchanged save named a revision */
	return rc;
}

struct seen {
	int calls;
	size_t len;
	int answer;
};

static int
record(const struct buf *current, void *arg)
{
	struct seen *s = arg;
	s->calls++;
	s->len = current != NULL ? current->len : 0;
	return s->answer;
}

int
main(void)
{
	char dir[] = "/tmp/iotconfig-test-change.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[256];
	snprintf(path, sizeof path, "%s/%s.json", dir, MAC);
	struct store_result r;
	struct change_outcome out;
	static const char v1[] = "{\"v\":1}", v2[] = "{\"v\":2}";

	int rc = save(dfd, v1, 7, NULL, &out, &r);
	TAP_CHECK(rc == 0 && out.created && !out.unchanged, "change: a first save creates");
	rc = save(dfd, v2, 7, NULL, &out, &r);
	TAP_CHECK(rc == 0 && !out.created && !out.unchanged && history_files(dir) == 1,
	          "change: a save of other bytes of the same size is made, and keeps one version");

	/* An old modification time, so a rewrite could not keep it by chance. */
	const struct timespec old[2] = {{1700000000, 0}, {1700000000, 0}};
	struct stat before, after;
	int setup = utimensat(dfd, MAC ".json", old, 0) | stat(path, &before);
	fsyncs = 0;
	bool all_unchanged = true;
	for (int i = 0; i < 20; i++) {
		rc = save(dfd, v2, 7, NULL, &out, &r);
		all_unchanged &= rc == 0 && r.status == STORE_OK && out.unchanged && !out.created;
	}
	TAP_CHECK(setup == 0 && all_unchanged,
	          "change: twenty saves of the current bytes answer unchanged, not created");
	TAP_CHECK(history_files(dir) == 1,
	          "change: saves of the current bytes add nothing to the history");
	TAP_CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
	                  after.st_mtim.tv_sec == 1700000000 && after.st_mtim.tv_nsec == 0 &&
	                  temp_files(dir) == 0,
	          "change: the file is not rewritten: same inode, same modification time, no "
	          "temp file");
	TAP_CHECK(fsyncs == 0, "change: a save of the current bytes pays no fsync");

	/* The precondition comes first, and sees the current bytes. */
	struct buf scratch;
	buf_init(&scratch);
	struct seen seen = {.answer = 1};
	struct change_precond pre = {.check = record, .arg = &seen, .scratch = &scratch};
	rc = save(dfd, v2, 7, &pre, &out, &r);
	TAP_CHECK(rc == -1 && r.status == STORE_PRECONDITION && seen.calls == 1 && seen.len == 7 &&
	                  !out.unchanged,
	          "change: a refusing precondition refuses a save of the current bytes too");
	seen = (struct seen){.answer = 0};
	rc = save(dfd, v2, 7, &pre, &out, &r);
	TAP_CHECK(rc == 0 && out.unchanged && seen.calls == 1 && history_files(dir) == 1 &&
	                  stat(path, &after) == 0 && after.st_ino == before.st_ino,
	          "change: an accepting precondition, and the current bytes: unchanged");
	buf_free(&scratch);

	/* Any difference is a change: a longer, a shorter, an empty file. */
	rc = save(dfd, "{\"v\":2} ", 8, NULL, &out, &r);
	TAP_CHECK(rc == 0 && !out.unchanged && history_files(dir) == 2,
	          "change: one more byte is a change");
	rc = save(dfd, v2, 6, NULL, &out, &r);
	TAP_CHECK(rc == 0 && !out.unchanged && history_files(dir) == 3,
	          "change: one byte fewer is a change");
	rc = save(dfd, "", 0, NULL, &out, &r);
	bool emptied = rc == 0 && !out.unchanged;
	rc = save(dfd, "", 0, NULL, &out, &r);
	TAP_CHECK(emptied && rc == 0 && out.unchanged && history_files(dir) == 4,
	          "change: an empty file saved empty again is unchanged");

	/* A large file equal but for its last byte (compared past the first chunk). */
	size_t big_len = 100000;
	char *big = malloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('a' + i % 26);
	rc = save(dfd, big, big_len, NULL, &out, &r);
	big[big_len - 1] = '!';
	int rc2 = save(dfd, big, big_len, NULL, &out, &r);
	TAP_CHECK(rc == 0 && rc2 == 0 && !out.unchanged && history_files(dir) == 6,
	          "change: a large file differing in its last byte is a change");
	rc = save(dfd, big, big_len, NULL, &out, &r);
	TAP_CHECK(rc == 0 && out.unchanged && history_files(dir) == 6,
	          "change: a large file saved again as it is is unchanged");
	free(big);

	/* A symlink holding the same bytes is not the config: it is replaced. */
	char target[256];
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	FILE *f = fopen(target, "w");
	fputs("{\"v\":2}", f);
	fclose(f);
	unlink(path);
	rc = symlink(target, path);
	rc |= save(dfd, v2, 7, NULL, &out, &r);
	struct stat lst;
	TAP_CHECK(rc == 0 && !out.unchanged && !out.created && lstat(path, &lst) == 0 &&
	                  S_ISREG(lst.st_mode),
	          "change: a symlink with the same bytes is replaced by a regular file");

	/* Deletes are not compared: a delete removes. */
	rc = change_apply(dfd, MAC, NULL, 0, NULL, NULL, &out, &r);
	TAP_CHECK(rc == 0 && !out.unchanged && access(path, F_OK) != 0 && errno == ENOENT,
	          "change: a delete removes the config");

	close(dfd);
	rm_tree(dir);
	return tap_done();
}
