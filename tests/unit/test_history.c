/*
 * test_history.c: proves the history contract of history.c through
 * change_apply() in throw-away directories under /tmp. Revision ids and
 * entry names follow a strict grammar (nothing else is ever opened); each
 * change keeps the version it replaces byte for byte (an API write or a
 * hand edit in place) with its metadata in its name, with the config's
 * permissions less what FILE_MODE does not grant (a looser config is
 * copied, not linked; history directories 0750); HISTORY_KEEP bounds the entries, newest kept; 0
 * keeps nothing; a change that is refused or fails leaves no entry; a symlink in place of the
 * history directory is never followed.
 *
 * Sequence numbers never repeat within a MAC, even when a listing of the
 * history directory is stale (another node's newest entries not yet in
 * it, as an NFS client's cached directory may be): they come from the
 * MAC's lock file, so the newest version stays first and pruning removes
 * only older ones.
 *
 * A change lists the MAC's history directory once: the sequence number,
 * the pruning and the removal of a crashed copy's temp file all come from
 * that one listing, taken under the lock.
 *
 * fsync(), linkat(), renameat(), fdopendir() and readdir() are interposed
 * (as in test_store.c) so that a failing fsync of a regular file (the
 * config's temp file), a file system without hard links (the copy path)
 * and a stale listing can be injected, and listings counted.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "change.h"
#include "history.h"
#include "store.h"
#include "tap.h"
#include "testfs.h"

#define MAC "aa-bb-cc-dd-ee-ff"

static int fail_file_fsync; /* fsync of a regular file fails with EIO */
static int no_links;        /* linkat fails with EPERM, as on a file system without links */
/* Order of the steps: was the history directory fsynced after the last entry was linked? */
static int entry_pending;   /* an entry was linked and its directory not fsynced since */
static int renamed_pending; /* a config was renamed into place while one was pending */

static bool
is_history_dir(int fd)
{
	char link[64], path[512];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	return strstr(path, "/.history/" MAC) != NULL;
}

int
fsync(int fd)
{
	struct stat st;
	if (fail_file_fsync && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	int rc = (int)syscall(SYS_fsync, fd);
	if (rc == 0 && is_history_dir(fd))
		entry_pending = 0;
	return rc;
}

int
linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (no_links) {
		errno = EPERM;
		return -1;
	}
	int rc = (int)syscall(SYS_linkat, olddirfd, oldpath, newdirfd, newpath, flags);
	if (rc == 0 && is_history_dir(newdirfd))
		entry_pending = 1;
	return rc;
}

int
renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	if (strcmp(newpath, MAC ".json") == 0 && entry_pending)
		renamed_pending = 1;
	return (int)syscall(SYS_renameat, olddirfd, oldpath, newdirfd, newpath);
}

/*
 * A stale listing: entries with a sequence number at or above hide_from
 * are left out of listings of the history directory (0: none are).
 */
static uint64_t hide_from;

struct dirent *
readdir(DIR *d)
{
	static struct dirent *(*real)(DIR *);
	if (real == NULL)
		real = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
	struct dirent *de;
	while ((de = real(d)) != NULL) {
		struct history_entry e;
		if (hide_from == 0 || !is_history_dir(dirfd(d)) ||
		    !history_parse_name(de->d_name, &e) || e.seq < hide_from)
			return de;
	}
	return NULL;
}

/* Listings of the MAC's history directory (directory streams opened on it). */
static int history_listings;

DIR *
fdopendir(int fd)
{
	static DIR *(*real)(int);
	if (real == NULL)
		real = (DIR * (*)(int)) dlsym(RTLD_NEXT, "fdopendir");
	if (is_history_dir(fd))
		history_listings++;
	return real(fd);
}

static char *
make_dir(void)
{
	static char tmpl[64];
	snprintf(tmpl, sizeof tmpl, "/tmp/iotconfig-test-history.XXXXXX");
	return mkdtemp(tmpl);
}

/* Entries of the MAC's history directory (names parsed), -1 when it is missing. */
static int
count_entries(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/.history/%s", dir, MAC);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
change(int dfd, const char *data, unsigned keep, enum history_op op, const char *user,
       char rev[HISTORY_REV_LEN + 1], struct store_result *r)
{
	struct history_note note = {.keep = keep, .user = user, .op = op};
	struct change_outcome out;
	int rc = change_apply(dfd, MAC, data, data ? strlen(data) : 0, NULL, &note, &out, r);
	if (rev != NULL)
		memcpy(rev, note.revision, HISTORY_REV_LEN + 1);
	return rc;
}

static bool
bytes_are(int dfd, const struct history_entry *e, const char *want)
{
	struct buf b = {0};
	struct store_result r;
	int64_t size = -1;
	bool ok = history_read_entry(dfd, MAC, e, &b, &size, &r) == 0 && b.len == strlen(want) &&
	          memcmp(b.data, want, b.len) == 0 && size == (int64_t)b.len;
	free(b.data);
	return ok;
}

static int
refuse_all(const struct buf *current, void *arg)
{
	(void)current;
	(void)arg;
	return -1;
}

int
main(void)
{
	/* --- grammar --------------------------------------------------------- */
	TAP_CHECK(history_revision_valid("0000000001-0123abcd"),
	          "history: a revision id is 10 digits, '-', 8 lowercase hex digits");
	TAP_CHECK(!history_revision_valid("") && !history_revision_valid("0000000001-0123abc") &&
	                  !history_revision_valid("0000000001-0123abcde") &&
	                  !history_revision_valid("0000000001-0123ABCD") &&
	                  !history_revision_valid("000000001x-0123abcd") &&
	                  !history_revision_valid("0000000001_0123abcd") &&
	                  !history_revision_valid("../../aa-bb-cc-dd-ee-ff.json") &&
	                  !history_revision_valid("0000000001-0123abcd.s.1.1.-.json") &&
	                  !history_revision_valid("..") && !history_revision_valid("/etc/passwd"),
	          "history: anything else is not a revision id (length, case, separators, paths)");
	{
		struct history_entry e;
		bool ok = history_parse_name(
		        "0000000042-0123abcd.d.1700000000.1700000100.616c696365.json", &e);
		TAP_CHECK(ok && strcmp(e.revision, "0000000042-0123abcd") == 0 && e.seq == 42 &&
		                  e.op == HISTORY_DELETE && e.saved_at == 1700000000 &&
		                  e.replaced_at == 1700000100 && e.has_user &&
		                  strcmp(e.user, "alice") == 0,
		          "history: an entry name carries revision, operation, times and user");
		ok = history_parse_name("0000000001-0123abcd.s.0.5.-.json", &e);
		TAP_CHECK(ok && !e.has_user && e.op == HISTORY_SAVE,
		          "history: '-' in an entry name is no user");
		TAP_CHECK(
		        !history_parse_name("0000000001-0123abcd.x.0.5.-.json", &e) &&
		                !history_parse_name("0000000001-0123abcd.s.0.5.-.json.tmp", &e) &&
		                !history_parse_name("0000000001-0123abcd.s..5.-.json", &e) &&
		                !history_parse_name("0000000001-0123abcd.s.0.5.6.json", &e) &&
		                !history_parse_name("0000000001-0123abcd.s.0.5.00.json", &e) &&
		                !history_parse_name("0000000001-0123abcd.s.0.5.4G.json", &e) &&
		                !history_parse_name(
		                        "0000000001-0123abcd.s.1234567890123456789.5.-.json", &e) &&
		                !history_parse_name(".tmp-0123abcd", &e) &&
		                !history_parse_name("aa-bb-cc-dd-ee-ff.json", &e),
		        "history: other names in a history directory are not entries");
		ok = history_parse_name(
		        "0000000007-0123abcd.s.1.2.616c696365.20260504-110203-9f3a1c2b.json", &e);
		TAP_CHECK(
		        ok && strcmp(e.change, "20260504-110203-9f3a1c2b") == 0 && e.has_user &&
		                strcmp(e.user, "alice") == 0 && e.replaced_at == 2,
		        "history: an entry made by a fleet change names the change after the user");
		ok = history_parse_name("0000000007-0123abcd.s.1.2.-.json", &e);
		TAP_CHECK(ok && e.change[0] == '\0',
		          "history: an entry of another change names none");
		TAP_CHECK(!history_parse_name("0000000007-0123abcd.s.1.2.-.Change.json", &e) &&
		                  !history_parse_name("0000000007-0123abcd.s.1.2.-..json", &e) &&
		                  !history_parse_name("0000000007-0123abcd.s.1.2.-.a.b.json", &e) &&
		                  !history_parse_name("0000000007-0123abcd.s.1.2.-."
		                                      "0123456789012345678901234567890123.json",
		                                      &e),
		          "history: a change field of other characters or length is no entry");
	}

	/* --- keeping versions -------------------------------------------------- */
	char *dir = make_dir();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct store_result r;
	char rev[HISTORY_REV_LEN + 1];
	{
		int rc = change(dfd, "{\"v\":1}", 20, HISTORY_SAVE, "alice", rev, &r);
		TAP_CHECK(rc == 0 && rev[0] == '\0' && count_entries(dir) == -1,
		          "history: creating a config keeps nothing (there was no version)");
		rc = change(dfd, "{\"v\":2}", 20, HISTORY_SAVE, "alice", rev, &r);
		TAP_CHECK(rc == 0 && history_revision_valid(rev) && count_entries(dir) == 1,
		          "history: replacing a config keeps the old version under a revision id");
		/* A hand edit in place of {"v":2}, then a change through the store. */
		char path[256];
		snprintf(path, sizeof path, "%s/%s.json", dir, MAC);
		FILE *f = fopen(path, "r+");
		fputs("{\"v\":\"by hand\" }", f);
		fclose(f);
		chmod(path, 0640);
		rc = change(dfd, "{\"v\":3}", 20, HISTORY_SAVE, NULL, rev, &r);
		rc |= change(dfd, NULL, 20, HISTORY_DELETE, "bob", NULL, &r);
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		TAP_CHECK(rc == 0 && n == 3, "history: three changes of a config, three versions");
		TAP_CHECK(
		        !renamed_pending && !entry_pending,
		        "history: each entry's directory is fsynced before the config is replaced");
		TAP_CHECK(
		        n == 3 && bytes_are(dfd, &list[0], "{\"v\":3}") &&
		                bytes_are(dfd, &list[1], "{\"v\":\"by hand\" }") &&
		                bytes_are(dfd, &list[2], "{\"v\":1}"),
		        "history: newest first, each version byte for byte, a hand edit included");
		TAP_CHECK(n == 3 && list[0].op == HISTORY_DELETE && list[0].has_user &&
		                  strcmp(list[0].user, "bob") == 0 && list[1].op == HISTORY_SAVE &&
		                  !list[1].has_user && strcmp(list[1].revision, rev) == 0 &&
		                  list[2].has_user && strcmp(list[2].user, "alice") == 0 &&
		                  list[0].seq > list[1].seq && list[1].seq > list[2].seq,
		          "history: each entry says what replaced it and who; ids grow");
		struct stat st;
		char epath[512];
		snprintf(epath, sizeof epath, "%s/.history/%s/%s", dir, MAC,
		         n == 3 ? list[1].name : "x");
		TAP_CHECK(stat(epath, &st) == 0 && (st.st_mode & 0777) == 0640,
		          "history: an entry keeps the permissions the config had");
		time_t now = time(NULL);
		TAP_CHECK(n == 3 && list[0].replaced_at <= now && list[0].replaced_at > now - 60 &&
		                  list[2].saved_at <= list[2].replaced_at &&
		                  list[2].saved_at > now - 60,
		          "history: saved_at and replaced_at are this change's times");
		struct buf b = {0};
		struct history_entry e;
		rc = history_read(dfd, MAC, n == 3 ? list[1].revision : "", 20, &b, &e, &r);
		TAP_CHECK(rc == 0 && b.len == 16 && memcmp(b.data, "{\"v\":\"by hand\" }", 16) == 0,
		          "history: a revision is read by its id");
		rc = history_read(dfd, MAC, "0000000099-0123abcd", 20, &b, &e, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND,
		          "history: an unknown revision is not found");
		rc = history_read(dfd, MAC, "../../" MAC, 20, &b, &e, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND && r.sys_errno == 0,
		          "history: a malformed id is refused before any file is opened");
		rc = history_read(dfd, MAC, n == 3 ? list[2].revision : "", 2, &b, &e, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND,
		          "history: a revision beyond HISTORY_KEEP is not found");
		free(b.data);
		free(list);
	}
	{
		/* Five more changes with HISTORY_KEEP=3: exactly the three newest stay. */
		int rc = 0;
		char v[32];
		for (int i = 10; i < 16; i++) {
			snprintf(v, sizeof v, "{\"v\":%d}", i);
			rc |= change(dfd, v, 3, HISTORY_SAVE, NULL, NULL, &r);
		}
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		TAP_CHECK(rc == 0 && count_entries(dir) == 3 && n == 3 &&
		                  bytes_are(dfd, &list[0], "{\"v\":14}") &&
		                  bytes_are(dfd, &list[1], "{\"v\":13}") &&
		                  bytes_are(dfd, &list[2], "{\"v\":12}"),
		          "history: HISTORY_KEEP=3 keeps the three newest versions on disk");
		free(list);
		rc = change(dfd, "{\"v\":16}", 0, HISTORY_SAVE, NULL, rev, &r);
		TAP_CHECK(rc == 0 && rev[0] == '\0' && count_entries(dir) == 3,
		          "history: HISTORY_KEEP=0 keeps nothing more");
		rc = history_list(dfd, MAC, 0, &list, &n, &r);
		TAP_CHECK(rc == 0 && n == 0, "history: HISTORY_KEEP=0 lists nothing");
		free(list);
	}
	{
		/* A refused and a failed change leave the history as it was. */
		struct change_precond pre = {.check = refuse_all, .scratch = &(struct buf){0}};
		struct history_note note = {.keep = 20, .op = HISTORY_SAVE};
		struct change_outcome out;
		int rc = change_apply(dfd, MAC, "{}", 2, &pre, &note, &out, &r);
		free(pre.scratch->data);
		TAP_CHECK(rc == -1 && r.status == STORE_PRECONDITION && note.revision[0] == '\0' &&
		                  count_entries(dir) == 3,
		          "history: a refused change keeps nothing");
		fail_file_fsync = 1;
		rc = change(dfd, "{\"v\":17}", 20, HISTORY_SAVE, NULL, rev, &r);
		fail_file_fsync = 0;
		struct buf b = {0};
		int rrc = store_read(dfd, MAC, &b, NULL, &r);
		TAP_CHECK(
		        rc == -1 && rev[0] == '\0' && count_entries(dir) == 3 && rrc == 0 &&
		                b.len == 8 && memcmp(b.data, "{\"v\":16}", 8) == 0,
		        "history: a change that fails removes the entry it made; the config stays");
		free(b.data);
	}
	{
		/* Without hard links: a copy, with the same bytes and permissions, no temp left. */
		char path[256];
		snprintf(path, sizeof path, "%s/%s.json", dir, MAC);
		chmod(path, 0600);
		mode_t old = umask(077);
		no_links = 1;
		int rc = change(dfd, "{\"v\":18}", 20, HISTORY_SAVE, "carol", rev, &r);
		no_links = 0;
		umask(old);
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		struct stat st, cst;
		char epath[512];
		snprintf(epath, sizeof epath, "%s/.history/%s/%s", dir, MAC,
		         n > 0 ? list[0].name : "x");
		TAP_CHECK(rc == 0 && n == 4 && strcmp(list[0].revision, rev) == 0 &&
		                  bytes_are(dfd, &list[0], "{\"v\":16}") && stat(epath, &st) == 0 &&
		                  (st.st_mode & 0777) == 0600 && stat(path, &cst) == 0 &&
		                  st.st_ino != cst.st_ino && count_entries(dir) == 4,
		          "history: without hard links the version is copied, byte for byte, with "
		          "the config's permissions");
		char hdir[256];
		snprintf(hdir, sizeof hdir, "%s/.history/%s", dir, MAC);
		DIR *d = opendir(hdir);
		int temps = 0;
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL)
			temps += strncmp(de->d_name, ".tmp-", 5) == 0;
		if (d != NULL)
			closedir(d);
		TAP_CHECK(temps == 0, "history: the copy leaves no temp file");
		free(list);
	}
	{
		/*
		 * A live file with a second name (an entry left by a crash between
		 * link and rename, or a link made by hand) is copied, not linked:
		 * an in-place edit through that name must not change the entry.
		 */
		char path[256], extra[256];
		snprintf(path, sizeof path, "%s/%s.json", dir, MAC);
		snprintf(extra, sizeof extra, "%s/second-name", dir);
		int rc = link(path, extra);
		rc |= change(dfd, "{\"v\":19}", 20, HISTORY_SAVE, "dave", rev, &r);
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		struct stat st, xst;
		char epath[512];
		snprintf(epath, sizeof epath, "%s/.history/%s/%s", dir, MAC,
		         n > 0 ? list[0].name : "x");
		TAP_CHECK(rc == 0 && n == 5 && bytes_are(dfd, &list[0], "{\"v\":18}") &&
		                  stat(epath, &st) == 0 && stat(extra, &xst) == 0 &&
		                  st.st_ino != xst.st_ino,
		          "history: a config with a second name is kept as a copy, not a link");
		unlink(extra);
		free(list);
	}
	{
		/*
		 * A config looser than FILE_MODE (0644, made by hand): its entry is
		 * a copy limited to 0640, not a link that would keep it readable by
		 * anyone; the history directories are 0750.
		 */
		char path[256], hdir[256];
		snprintf(path, sizeof path, "%s/%s.json", dir, MAC);
		chmod(path, 0644);
		mode_t old = umask(0);
		int rc = change(dfd, "{\"v\":20}", 20, HISTORY_SAVE, NULL, rev, &r);
		umask(old);
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		struct stat st, cst, hst;
		char epath[512];
		snprintf(epath, sizeof epath, "%s/.history/%s/%s", dir, MAC,
		         n > 0 ? list[0].name : "x");
		snprintf(hdir, sizeof hdir, "%s/.history/%s", dir, MAC);
		TAP_CHECK(rc == 0 && n == 6 && bytes_are(dfd, &list[0], "{\"v\":19}") &&
		                  stat(epath, &st) == 0 && (st.st_mode & 0777) == 0640 &&
		                  stat(path, &cst) == 0 && (cst.st_mode & 0777) == 0640 &&
		                  st.st_ino != cst.st_ino,
		          "history: a 0644 config is kept as a 0640 copy; the new config is 0640");
		TAP_CHECK(stat(hdir, &hst) == 0 && (hst.st_mode & 0777) == 0750 &&
		                  stat(strcat(strcpy(epath, dir), "/.history"), &hst) == 0 &&
		                  (hst.st_mode & 0777) == 0750,
		          "history: the history directories are 0750 (FILE_MODE 0640)");
		free(list);
	}
	close(dfd);
	rm_tree(dir);
	{
		/*
		 * Another node's newest entries missing from this node's listing:
		 * v1..v5 keep entries 1..4, of which KEEP=3 leaves 2..4; then a
		 * listing that still shows the history as it was before entry 3.
		 */
		dir = make_dir();
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		int rc = 0;
		char v[32];
		for (int i = 1; i <= 5; i++) {
			snprintf(v, sizeof v, "{\"v\":%d}", i);
			rc |= change(dfd, v, 3, HISTORY_SAVE, NULL, NULL, &r);
		}
		hide_from = 3;
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 3, &list, &n, &r);
		TAP_CHECK(
		        rc == 0 && n == 1 && list[0].seq == 2,
		        "history: (the fault bites) the stale listing shows entry 2 as the newest");
		free(list);
		rc = change(dfd, "{\"v\":6}", 3, HISTORY_SAVE, NULL, rev, &r);
		hide_from = 0;
		rc |= history_list(dfd, MAC, 3, &list, &n, &r);
		TAP_CHECK(rc == 0 && n == 3 && strncmp(rev, "0000000005-", 11) == 0 &&
		                  bytes_are(dfd, &list[0], "{\"v\":5}") &&
		                  bytes_are(dfd, &list[1], "{\"v\":4}") &&
		                  bytes_are(dfd, &list[2], "{\"v\":3}") && list[0].seq == 5 &&
		                  list[1].seq == 4 && list[2].seq == 3,
		          "history: a change made with a stale listing takes the next number "
		          "after the newest entry, not after the newest listed");
		free(list);
		rc = change(dfd, "{\"v\":7}", 3, HISTORY_SAVE, NULL, NULL, &r);
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		TAP_CHECK(rc == 0 && n == 3 && count_entries(dir) == 3 &&
		                  bytes_are(dfd, &list[0], "{\"v\":6}") &&
		                  bytes_are(dfd, &list[1], "{\"v\":5}") &&
		                  bytes_are(dfd, &list[2], "{\"v\":4}"),
		          "history: pruning then keeps the three newest versions");
		free(list);
		char lock[256], text[32] = "";
		snprintf(lock, sizeof lock, "%s/.%s.lock", dir, MAC);
		FILE *f = fopen(lock, "r");
		size_t got = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
		if (f != NULL)
			fclose(f);
		TAP_CHECK(got == 11 && strcmp(text, "0000000006\n") == 0,
		          "history: the MAC's lock file holds the last sequence number");
		/* A lock file that knows a higher number (another node's) wins over the listing. */
		f = fopen(lock, "w");
		fputs("0000000100\n", f);
		fclose(f);
		rc = change(dfd, "{\"v\":8}", 3, HISTORY_SAVE, NULL, rev, &r);
		TAP_CHECK(rc == 0 && strncmp(rev, "0000000101-", 11) == 0,
		          "history: the next number follows the lock file's when it is higher");
		/* One from before the lock file kept it (empty): the listing's. */
		f = fopen(lock, "w");
		fclose(f);
		rc = change(dfd, "{\"v\":9}", 3, HISTORY_SAVE, NULL, rev, &r);
		TAP_CHECK(rc == 0 && strncmp(rev, "0000000102-", 11) == 0,
		          "history: an empty lock file leaves the number to the listing");
		close(dfd);
		rm_tree(dir);
	}
	{
		/*
		 * One listing per change, whatever it has to prune: KEEP=20 for
		 * 30 changes, then KEEP=5 (one change removes sixteen), then many
		 * more changes; on disk, exactly the newest KEEP entries remain,
		 * each holding the version it names. A temp file a crashed copy
		 * left is removed by the next change, from that same listing.
		 */
		dir = make_dir();
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		int rc = 0;
		char v[32];
		for (int i = 1; i <= 30; i++) {
			snprintf(v, sizeof v, "{\"v\":%d}", i);
			rc |= change(dfd, v, 20, HISTORY_SAVE, NULL, NULL, &r);
		}
		TAP_CHECK(rc == 0 && count_entries(dir) == 20,
		          "history: (setup) 30 changes with HISTORY_KEEP=20 keep 20");
		char tmp[256];
		snprintf(tmp, sizeof tmp, "%s/.history/%s/.tmp-0123abcd", dir, MAC);
		FILE *f = fopen(tmp, "w");
		if (f != NULL)
			fclose(f);
		history_listings = 0;
		rc = change(dfd, "{\"v\":31}", 5, HISTORY_SAVE, NULL, rev, &r);
		struct stat st;
		TAP_CHECK(rc == 0 && history_listings == 1,
		          "history: a change that prunes lists the history directory once");
		TAP_CHECK(
		        rc == 0 && count_entries(dir) == 5 && stat(tmp, &st) != 0 &&
		                errno == ENOENT,
		        "history: lowering HISTORY_KEEP to 5 leaves the 5 newest after one change, "
		        "and no temp file");
		history_listings = 0;
		for (int i = 32; i <= 60; i++) {
			snprintf(v, sizeof v, "{\"v\":%d}", i);
			rc |= change(dfd, v, 5, HISTORY_SAVE, NULL, NULL, &r);
		}
		struct history_entry *list;
		size_t n;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		bool newest = rc == 0 && n == 5 && count_entries(dir) == 5;
		for (size_t i = 0; newest && i < n; i++) {
			snprintf(v, sizeof v, "{\"v\":%d}", 59 - (int)i);
			newest = list[i].seq == 59 - i && bytes_are(dfd, &list[i], v);
		}
		TAP_CHECK(newest,
		          "history: after 60 changes, the 5 newest versions (59..55) are on "
		          "disk, newest first, and nothing else");
		TAP_CHECK(history_listings == 29 + 1, "history: 29 changes listed the history "
		                                      "directory 29 times (+1 to list it)");
		free(list);
		close(dfd);
		rm_tree(dir);
	}
	{
		/* A history directory emptied by hand lists nothing (and sorts nothing). */
		dir = make_dir();
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		char hdir[256];
		snprintf(hdir, sizeof hdir, "%s/.history", dir);
		int rc = mkdir(hdir, 0750);
		snprintf(hdir, sizeof hdir, "%s/.history/%s", dir, MAC);
		rc |= mkdir(hdir, 0750);
		struct history_entry *list;
		size_t n = 99;
		rc |= history_list(dfd, MAC, 20, &list, &n, &r);
		TAP_CHECK(rc == 0 && n == 0, "history: an empty history directory lists nothing");
		free(list);
		close(dfd);
		rm_tree(dir);
	}
	{
		/* .history as a symlink to elsewhere: never followed. */
		dir = make_dir();
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		char elsewhere[256], link[256];
		snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
		snprintf(link, sizeof link, "%s/.history", dir);
		mkdir(elsewhere, 0755);
		int rc = symlink(elsewhere, link);
		rc |= change(dfd, "{\"v\":1}", 20, HISTORY_SAVE, NULL, NULL, &r);
		TAP_CHECK(rc == 0, "history: (setup) a config beside a symlinked .history");
		rc = change(dfd, "{\"v\":2}", 20, HISTORY_SAVE, NULL, rev, &r);
		DIR *d = opendir(elsewhere);
		int n = 0;
		while (d != NULL && readdir(d) != NULL)
			n++;
		if (d != NULL)
			closedir(d);
		struct buf b = {0};
		int rrc = store_read(dfd, MAC, &b, NULL, &r);
		TAP_CHECK(rc == -1 && n == 2 && rrc == 0 && b.len == 7 &&
		                  memcmp(b.data, "{\"v\":1}", 7) == 0,
		          "history: a symlink in place of .history is not followed and the change "
		          "is not made");
		free(b.data);
		close(dfd);
		rm_tree(dir);
	}
	{
		/* A change made as part of a fleet change: its entry names it. */
		char *cdir = make_dir();
		int cfd = open(cdir, O_RDONLY | O_DIRECTORY);
		struct store_result cr;
		struct history_note note = {
		        .keep = 5, .op = HISTORY_SAVE, .change = "20260504-110203-9f3a1c2b"};
		struct change_outcome out;
		int rc = change_apply(cfd, MAC, "{\"v\":1}", 7, NULL, &note, &out, &cr);
		rc |= change_apply(cfd, MAC, "{\"v\":2}", 7, NULL, &note, &out, &cr);
		struct history_entry *list = NULL;
		size_t n = 0;
		rc |= history_list(cfd, MAC, 5, &list, &n, &cr);
		TAP_CHECK(rc == 0 && n == 1 &&
		                  strcmp(list[0].change, "20260504-110203-9f3a1c2b") == 0 &&
		                  strstr(list[0].name, ".-.20260504-110203-9f3a1c2b.json") != NULL,
		          "history: a version replaced by a fleet change records its id");
		free(list);
		close(cfd);
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", cdir);
		TAP_CHECK(system(cmd) == 0, "history: temp dir removed");
	}
	return tap_done();
}
