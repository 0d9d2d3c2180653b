/*
 * test_store.c: proves the file-system contract of store.c in throw-away
 * directories under /tmp. Opening and checking the directory report
 * unset, missing, not-a-directory and symlinked directories (never
 * followed) and, with privileges dropped to nobody, a directory this
 * process cannot read or write. A write stores exactly the bytes given,
 * reports whether it created the file, leaves nothing but <mac>.json and
 * its lock file, never writes through a symlink, and on any failure
 * (read-only directory, refused precondition, a directory in the way)
 * leaves the old file untouched and no temp file behind. Reads refuse
 * symlinks, FIFOs (without hanging), directories and oversized files and
 * report the identity stat(2) sees. Preconditions see NULL or the exact
 * current bytes under the lock. The list reports only regular files with
 * canonical names, and the start-up sweep removes temp files nobody can
 * own (lock free, or older than an hour) while keeping those whose MAC lock
 * is held, and never touches a config. New files get FILE_MODE exactly
 * (0640 by default, whatever the umask; lock files less the umask), and a
 * replacement keeps the old file's mode less what FILE_MODE does not grant.
 *
 * A directory fsync that fails is retried; one that keeps failing is
 * STORE_NOT_DURABLE with the new file in place (or the deleted one gone).
 * On a shared file system (forced as SHARED_FS=true does) a read reports
 * no mtime for validators, the list and the delete find a config that a
 * stat by name misses (as an NFS client's attribute cache may, for a file
 * another node just created), and the sweep goes by lock state alone.
 *
 * Writes and deletes go through change_apply() without history (as
 * every write path does), so the lock, the precondition and the file
 * steps are proved together here; test_change.c proves what a change
 * adds to them.
 *
 * Faults are injected by link-time interposition: this file defines
 * fsync() and fstatat(), so the store's calls to them (linked from lib.a)
 * land here; they make the real system call unless a fault is switched on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "change.h"
#include "fsinfo.h"
#include "store.h"
#include "tap.h"

#define MAC     "aa-bb-cc-dd-ee-ff"
#define MAC2    "00-11-22-33-44-55"
#define NOBODY  65534
#define SKIPPED 77 /* child exit status: privileges could not be dropped */

#define TAP_SKIP(name, why)                                                                        \
	do {                                                                                       \
		tap_count++;                                                                       \
		printf("ok %d - %s # SKIP %s\n", tap_count, name, why);                            \
	} while (0)

static char root[64]; /* everything this test creates lives under it */

/* --- injected faults -------------------------------------------------------- */

static int dir_fsync_fails; /* the next N fsyncs of a directory fail with EIO; -1: all */
static int dir_fsyncs;      /* fsyncs of a directory attempted */
static bool stale_stat;     /* fstatat() of a <mac>.json name answers ENOENT */

int
fsync(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir_fsyncs++;
		if (dir_fsync_fails != 0) {
			if (dir_fsync_fails > 0)
				dir_fsync_fails--;
			errno = EIO;
			return -1;
		}
	}
	return (int)syscall(SYS_fsync, fd);
}

int
fstatat(int dirfd, const char *name, struct stat *st, int flags)
{
	size_t n = strlen(name);
	if (stale_stat && name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0) {
		errno = ENOENT;
		return -1;
	}
	return (int)syscall(SYS_newfstatat, dirfd, name, st, flags);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path);
	return unlink(path);
}

static void
cleanup(void)
{
	if (root[0] != '\0') {
		chmod(root, 0755);
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

/* A fresh empty directory under root, mode 0755 (reachable by nobody). */
static void
new_dir(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", root, name);
	if (mkdir(out, 0755) != 0 || chmod(out, 0755) != 0) {
		perror(out);
		exit(2);
	}
}

static int
open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

static void
put_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		perror(name);
		exit(2);
	}
	close(fd);
}

/* The whole file, NUL-terminated, length in *len; NULL when it cannot be read. */
static char *
get_file(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *p = NULL;
	if (fstat(fd, &st) == 0 && (p = malloc((size_t)st.st_size + 1)) != NULL) {
		ssize_t n = read(fd, p, (size_t)st.st_size);
		if (n != st.st_size) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	close(fd);
	return p;
}

static bool
file_is(int dirfd, const char *name, const char *want, size_t want_len)
{
	size_t len = 0;
	char *got = get_file(dirfd, name, &len);
	bool ok = got != NULL && len == want_len && memcmp(got, want, len) == 0;
	free(got);
	return ok;
}

/* Permission bits of name in dirfd, or -1. */
static int
mode_of(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

static bool
exists(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries, sorted, joined by ','. */
static const char *
names_in(const char *path)
{
	static char out[2048];
	char *names[64];
	size_t n = 0;
	out[0] = '\0';
	DIR *d = opendir(path);
	if (d == NULL)
		return "(cannot open)";
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 64) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, ",", sizeof out - strlen(out) - 1);
		strncat(out, names[i], sizeof out - strlen(out) - 1);
		free(names[i]);
	}
	return out;
}

/* Number of entries whose name ends in ".tmp". */
static int
temp_count(const char *path)
{
	int n = 0;
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len >= 4 && strcmp(de->d_name + len - 4, ".tmp") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Runs fn in a child; as root the child first becomes nobody, since root
 * ignores permission bits. Returns 1 when fn passed, 0 when it failed,
 * SKIPPED when privileges could not be dropped.
 */
static int
as_nobody(int (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0))
			_exit(SKIPPED);
		if (geteuid() == 0)
			_exit(SKIPPED);
		int ok = fn(arg);
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return 0;
	if (WEXITSTATUS(status) == SKIPPED)
		return SKIPPED;
	return WEXITSTATUS(status) == 0;
}

#define CHECK_AS_NOBODY(fn, arg, name)                                                             \
	do {                                                                                       \
		int got_ = as_nobody(fn, arg);                                                     \
		if (got_ == SKIPPED)                                                               \
			TAP_SKIP(name, "cannot drop privileges to uid 65534");                     \
		else                                                                               \
			TAP_CHECK(got_ == 1, name);                                                \
	} while (0)

/* --- writes and deletes, as change_apply() makes them without history ---- */

/* Writes data as mac's config; *created (may be NULL) as change_apply says. */
static int
write_config(int dirfd, const char *mac, const void *data, size_t len,
             const struct change_precond *pre, bool *created, struct store_result *r)
{
	struct change_outcome out;
	int rc = change_apply(dirfd, mac, data != NULL ? data : "", len, pre, NULL, &out, r);
	if (created != NULL)
		*created = out.created;
	return rc;
}

static int
delete_config(int dirfd, const char *mac, const struct change_precond *pre, struct store_result *r)
{
	struct change_outcome out;
	return change_apply(dirfd, mac, NULL, 0, pre, NULL, &out, r);
}

/* --- precondition callback -------------------------------------------- */

struct seen {
	int calls;
	bool got_null;
	char bytes[256];
	size_t len;
	int answer;
};

static int
record(const struct buf *current, void *arg)
{
	struct seen *s = arg;
	s->calls++;
	s->got_null = current == NULL;
	s->len = 0;
	if (current != NULL && current->len <= sizeof s->bytes) {
		memcpy(s->bytes, current->data, current->len);
		s->len = current->len;
	}
	return s->answer;
}

/* --- list callback ------------------------------------------------------ */

struct listed {
	int n;
	char names[16][64];
	struct store_file_info info[16];
	int stop_with;
};

static int
collect(const char *name, const struct store_file_info *info, void *arg)
{
	struct listed *l = arg;
	if (l->n < 16) {
		snprintf(l->names[l->n], sizeof l->names[l->n], "%s", name);
		l->info[l->n] = *info;
	}
	l->n++;
	return l->stop_with;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* --- children running as nobody ------------------------------------------- */

struct ro_case {
	int dirfd;
	const char *dir;
	enum store_status want;
	const char *want_op;
};

static int
child_write_fails(void *arg)
{
	struct ro_case *c = arg;
	struct store_result r;
	bool created = true;
	int rc = write_config(c->dirfd, MAC, "{\"new\":1}", 9, NULL, &created, &r);
	bool ok = rc == -1 && r.status == c->want && r.sys_errno == EACCES &&
	          strcmp(r.op, c->want_op) == 0;
	if (!ok)
		printf("#   child: rc=%d status=%d errno=%d op=%s\n", rc, r.status, r.sys_errno,
		       r.op ? r.op : "(null)");
	return ok;
}

static int
child_delete_fails(void *arg)
{
	struct ro_case *c = arg;
	struct store_result r;
	return delete_config(c->dirfd, MAC, NULL, &r) == -1 && r.status == c->want;
}

static int
child_check_dir(void *arg)
{
	struct ro_case *c = arg;
	struct store_result r;
	int rc = store_check_dir(c->dir, &r);
	bool ok = rc == -1 && r.status == c->want && r.op != NULL && strcmp(r.op, c->want_op) == 0;
	if (!ok)
		printf("#   child: rc=%d status=%d op=%s\n", rc, r.status, r.op ? r.op : "(null)");
	return ok;
}

static int
child_check_dir_ok(void *arg)
{
	struct ro_case *c = arg;
	struct store_result r;
	return store_check_dir(c->dir, &r) == 0 && r.status == STORE_OK;
}

int
main(void)
{
	snprintf(root, sizeof root, "/tmp/iotconfig-test-store.XXXXXX");
	if (mkdtemp(root) == NULL || chmod(root, 0755) != 0) {
		perror("mkdtemp");
		return 2;
	}
	struct store_result r;
	struct buf b;
	buf_init(&b);
	char dir[256], path[512];

	/* --- store_open_dir ------------------------------------------------ */
	{
		int fd = 123;
		TAP_CHECK(store_open_dir(NULL, &fd, &r) == -1 && r.status == STORE_NOT_CONFIGURED &&
		                  fd == -1,
		          "store: open of an unset directory is STORE_NOT_CONFIGURED");
		snprintf(path, sizeof path, "%s/missing", root);
		TAP_CHECK(store_open_dir(path, &fd, &r) == -1 && r.status == STORE_DIR_MISSING &&
		                  r.sys_errno == ENOENT,
		          "store: open of a missing directory is STORE_DIR_MISSING");
		new_dir(dir, sizeof dir, "open");
		int dfd = open_dir(dir);
		put_file(dfd, "file", "x", 1, 0644);
		close(dfd);
		snprintf(path, sizeof path, "%s/file", dir);
		TAP_CHECK(store_open_dir(path, &fd, &r) == -1 && r.status == STORE_DIR_NOT_DIR,
		          "store: open of a regular file is STORE_DIR_NOT_DIR");
		snprintf(path, sizeof path, "%s/link", dir);
		if (symlink(dir, path) != 0)
			perror("symlink");
		TAP_CHECK(store_open_dir(path, &fd, &r) == -1 && r.status == STORE_DIR_NOT_DIR &&
		                  fd == -1,
		          "store: open of a symlink to a directory is STORE_DIR_NOT_DIR");
		TAP_CHECK(store_open_dir(dir, &fd, &r) == 0 && r.status == STORE_OK && fd >= 0 &&
		                  r.op == NULL,
		          "store: open of a directory succeeds");
		if (fd >= 0)
			close(fd);
	}

	/* --- writes, reads and deletes -------------------------------------- */
	new_dir(dir, sizeof dir, "rw");
	int dfd = open_dir(dir);
	{
		static const char data[] = "{\n  \"a\": \"\xc3\xa9\\u0000\"\n}\n\0binary\xff";
		bool created = false;
		int rc = write_config(dfd, MAC, data, sizeof data - 1, NULL, &created, &r);
		TAP_CHECK(rc == 0 && r.status == STORE_OK && created,
		          "store: first write succeeds and reports created");
		TAP_CHECK(file_is(dfd, MAC ".json", data, sizeof data - 1),
		          "store: the file holds exactly the bytes written");
		TAP_STREQ(names_in(dir), "." MAC ".lock," MAC ".json",
		          "store: after a write only <mac>.json and .<mac>.lock exist");
		struct stat st;
		TAP_CHECK(fstatat(dfd, MAC ".json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		                  S_ISREG(st.st_mode),
		          "store: the config is a regular file");

		created = true;
		rc = write_config(dfd, MAC, "{}", 2, NULL, &created, &r);
		TAP_CHECK(rc == 0 && !created, "store: second write reports not created");
		TAP_CHECK(file_is(dfd, MAC ".json", "{}", 2),
		          "store: second write replaces the content entirely");
		TAP_STREQ(names_in(dir), "." MAC ".lock," MAC ".json",
		          "store: after a rewrite no temp file is left");

		rc = write_config(dfd, MAC2, "", 0, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && file_is(dfd, MAC2 ".json", "", 0),
		          "store: an empty write creates an empty file (created may be NULL)");
		size_t big_len = 1u << 20;
		char *big = malloc(big_len);
		for (size_t i = 0; i < big_len; i++)
			big[i] = (char)(i * 7 + 3);
		rc = write_config(dfd, MAC2, big, big_len, NULL, &created, &r);
		TAP_CHECK(rc == 0 && file_is(dfd, MAC2 ".json", big, big_len),
		          "store: a 1 MiB write is stored exactly");
		buf_puts(&b, "stale contents that must be replaced");
		struct store_file_info info;
		rc = store_read(dfd, MAC2, &b, &info, &r);
		TAP_CHECK(rc == 0 && b.len == big_len && memcmp(b.data, big, big_len) == 0 &&
		                  b.data[b.len] == '\0',
		          "store: read returns exactly the bytes, NUL-terminated, replacing the "
		          "buffer");
		free(big);
	}
	{
		struct store_file_info info;
		memset(&info, 0, sizeof info);
		struct stat st;
		int rc = store_read(dfd, MAC, &b, &info, &r);
		fstatat(dfd, MAC ".json", &st, AT_SYMLINK_NOFOLLOW);
		TAP_CHECK(rc == 0 && b.len == 2 && memcmp(b.data, "{}", 2) == 0,
		          "store: read of an existing config");
		int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		int64_t ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
		TAP_CHECK(info.size == st.st_size && info.mtime == st.st_mtim.tv_sec &&
		                  info.mtime_ns == mtime_ns && info.ctime_ns == ctime_ns &&
		                  info.ino == (uint64_t)st.st_ino,
		          "store: read info (size, mtime, ctime, inode) matches stat");
		TAP_CHECK(store_read(dfd, MAC, &b, NULL, &r) == 0,
		          "store: read without info succeeds");
	}
	{
		int rc = store_read(dfd, "11-11-11-11-11-11", &b, NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND,
		          "store: read of a missing config is STORE_NOT_FOUND");
	}
	{
		/* a symlink under a config name is never followed */
		new_dir(path, sizeof path, "outside");
		int ofd = open_dir(path);
		put_file(ofd, "secret", "TARGET-BYTES", 12, 0644);
		close(ofd);
		char target[600];
		snprintf(target, sizeof target, "%s/secret", path);
		if (symlinkat(target, dfd, "22-22-22-22-22-22.json") != 0)
			perror("symlinkat");
		b.len = 0;
		int rc = store_read(dfd, "22-22-22-22-22-22", &b, NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_REGULAR,
		          "store: read of a symlink named <mac>.json is STORE_NOT_REGULAR");
		TAP_CHECK(b.len == 0 || memmem(b.data, b.len, "TARGET", 6) == NULL,
		          "store: the symlink's target is not read");

		bool created = true;
		rc = write_config(dfd, "22-22-22-22-22-22", "{\"mine\":1}", 10, NULL, &created, &r);
		ofd = open_dir(path);
		TAP_CHECK(rc == 0 && file_is(ofd, "secret", "TARGET-BYTES", 12),
		          "store: a write never writes through a symlink named <mac>.json");
		close(ofd);
		struct stat st;
		TAP_CHECK(fstatat(dfd, "22-22-22-22-22-22.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		                  S_ISREG(st.st_mode) && !created,
		          "store: the write replaced the symlink itself with a regular file");

		/* a symlinked lock file is not followed either */
		snprintf(target, sizeof target, "%s/planted-lock", path);
		if (symlinkat(target, dfd, ".33-33-33-33-33-33.lock") != 0)
			perror("symlinkat");
		rc = write_config(dfd, "33-33-33-33-33-33", "{}", 2, NULL, NULL, &r);
		ofd = open_dir(path);
		TAP_CHECK(rc == -1 && r.status == STORE_IO && r.sys_errno == ELOOP &&
		                  !exists(ofd, "planted-lock") &&
		                  !exists(dfd, "33-33-33-33-33-33.json"),
		          "store: a symlinked lock file is refused and never followed");
		close(ofd);
	}
	{
		if (mkfifoat(dfd, "44-44-44-44-44-44.json", 0644) != 0)
			perror("mkfifoat");
		alarm(10); /* a hang here fails the test instead of blocking CI */
		int rc = store_read(dfd, "44-44-44-44-44-44", &b, NULL, &r);
		alarm(0);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_REGULAR,
		          "store: read of a FIFO is STORE_NOT_REGULAR without hanging");
	}
	{
		if (mkdirat(dfd, "55-55-55-55-55-55.json", 0755) != 0)
			perror("mkdirat");
		int rc = store_read(dfd, "55-55-55-55-55-55", &b, NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_REGULAR,
		          "store: read of a directory named <mac>.json is STORE_NOT_REGULAR");
		rc = write_config(dfd, "55-55-55-55-55-55", "{}", 2, NULL, NULL, &r);
		TAP_CHECK(rc == -1 && r.status != STORE_OK && temp_count(dir) == 0,
		          "store: a write onto a directory fails and leaves no temp file");
	}
	{
		int fd =
		        openat(dfd, "66-66-66-66-66-66.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		int t = fd >= 0 ? ftruncate(fd, (off_t)STORE_READ_MAX + 1) : -1;
		if (fd >= 0)
			close(fd);
		int rc = store_read(dfd, "66-66-66-66-66-66", &b, NULL, &r);
		TAP_CHECK(t == 0 && rc == -1 && r.status == STORE_TOO_LARGE,
		          "store: read of a file over the bound is STORE_TOO_LARGE");
		unlinkat(dfd, "66-66-66-66-66-66.json", 0);
	}
	{
		int rc = delete_config(dfd, "77-77-77-77-77-77", NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND,
		          "store: delete of a missing config is STORE_NOT_FOUND");
		rc = delete_config(dfd, MAC2, NULL, &r);
		TAP_CHECK(rc == 0 && r.status == STORE_OK && !exists(dfd, MAC2 ".json"),
		          "store: delete removes the config");
		TAP_CHECK(store_read(dfd, MAC2, &b, NULL, &r) == -1 && r.status == STORE_NOT_FOUND,
		          "store: a deleted config reads as STORE_NOT_FOUND");
	}

	/* --- file modes (FILE_MODE) ------------------------------------------------ */
	{
		char mdir[256];
		new_dir(mdir, sizeof mdir, "modes");
		int mfd = open_dir(mdir);
		TAP_CHECK(store_file_mode() == 0640 && store_dir_mode() == 0750,
		          "store: the default file mode is 0640, directories 0750");
		mode_t old = umask(0);
		int rc = write_config(mfd, MAC, "{}", 2, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, MAC ".json") == 0640,
		          "store: a new config is 0640 under umask 0 (never world-readable)");
		TAP_CHECK(mode_of(mfd, "." MAC ".lock") == 0640, "store: a new lock file is 0640");
		umask(077);
		rc = write_config(mfd, MAC2, "{}", 2, NULL, NULL, &r);
		TAP_CHECK(
		        rc == 0 && mode_of(mfd, MAC2 ".json") == 0640,
		        "store: a new config is exactly 0640 whatever the umask (group read kept)");
		TAP_CHECK(mode_of(mfd, "." MAC2 ".lock") == 0600,
		          "store: a lock file's mode is FILE_MODE less the umask");
		umask(022);
		rc = fchmodat(mfd, MAC ".json", 0600, 0);
		rc |= write_config(mfd, MAC, "{\"a\":1}", 7, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, MAC ".json") == 0600 &&
		                  file_is(mfd, MAC ".json", "{\"a\":1}", 7),
		          "store: a config tightened to 0600 keeps its mode when replaced");
		rc = fchmodat(mfd, MAC ".json", 0644, 0);
		rc |= write_config(mfd, MAC, "{}", 2, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, MAC ".json") == 0640,
		          "store: a world-readable config (0644) is brought down to 0640 when "
		          "replaced");
		rc = fchmodat(mfd, MAC ".json", 0660, 0);
		rc |= write_config(mfd, MAC, "{\"b\":2}", 7, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, MAC ".json") == 0640,
		          "store: a group-writable config loses the write bit FILE_MODE lacks");
		store_set_file_mode(0600);
		TAP_CHECK(
		        store_file_mode() == 0600 && store_dir_mode() == 0700 &&
		                store_replace_mode(0640) == 0600 &&
		                store_replace_mode(0400) == 0400,
		        "store: FILE_MODE 0600 gives directories 0700, replacements at most 0600");
		rc = write_config(mfd, "11-22-33-44-55-66", "{}", 2, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, "11-22-33-44-55-66.json") == 0600 &&
		                  mode_of(mfd, ".11-22-33-44-55-66.lock") == 0600,
		          "store: with FILE_MODE 0600 a new config and its lock are 0600");
		rc = write_config(mfd, MAC2, "{\"c\":3}", 7, NULL, NULL, &r);
		TAP_CHECK(rc == 0 && mode_of(mfd, MAC2 ".json") == 0600,
		          "store: with FILE_MODE 0600 a 0640 config is replaced as 0600");
		store_set_file_mode(0640);
		umask(old);
		close(mfd);
	}

	/* --- preconditions ---------------------------------------------------- */
	{
		struct buf scratch;
		buf_init(&scratch);
		struct seen seen;
		memset(&seen, 0, sizeof seen);
		struct change_precond pre = {record, &seen, &scratch, NULL};
		static const char v1[] = "{\"v\":1}\0tail";

		bool created = false;
		int rc = write_config(dfd, "88-88-88-88-88-88", v1, sizeof v1 - 1, &pre, &created,
		                      &r);
		/* Asked once before the lock file exists, once more under the lock. */
		TAP_CHECK(rc == 0 && created && seen.calls >= 1 && seen.got_null,
		          "store: the precondition sees NULL when there is no file");

		memset(&seen, 0, sizeof seen);
		seen.answer = 1;
		rc = write_config(dfd, "88-88-88-88-88-88", "{\"v\":2}", 7, &pre, &created, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_PRECONDITION,
		          "store: a refusing precondition fails the write with STORE_PRECONDITION");
		TAP_CHECK(seen.calls == 1 && !seen.got_null && seen.len == sizeof v1 - 1 &&
		                  memcmp(seen.bytes, v1, seen.len) == 0,
		          "store: the precondition sees the exact current bytes");
		TAP_CHECK(file_is(dfd, "88-88-88-88-88-88.json", v1, sizeof v1 - 1) &&
		                  temp_count(dir) == 0,
		          "store: a refused write leaves the old file untouched and no temp file");

		/* Asked for, the identity of the file the current bytes came from. */
		struct store_file_info held;
		memset(&held, 0, sizeof held);
		const struct timespec fixed[2] = {{1700000000, 0}, {1700000000, 0}};
		utimensat(dfd, "88-88-88-88-88-88.json", fixed, 0);
		pre.info = &held;
		memset(&seen, 0, sizeof seen);
		seen.answer = 1;
		rc = write_config(dfd, "88-88-88-88-88-88", "{\"v\":2}", 7, &pre, &created, &r);
		TAP_CHECK(rc == -1 && held.mtime == 1700000000 &&
		                  held.size == (int64_t)(sizeof v1 - 1),
		          "store: the precondition is given the current file's modification time");
		pre.info = NULL;

		memset(&seen, 0, sizeof seen);
		seen.answer = 1;
		rc = delete_config(dfd, "88-88-88-88-88-88", &pre, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_PRECONDITION && seen.calls == 1 &&
		                  seen.len == sizeof v1 - 1,
		          "store: a refusing precondition fails the delete with "
		          "STORE_PRECONDITION");
		TAP_CHECK(file_is(dfd, "88-88-88-88-88-88.json", v1, sizeof v1 - 1),
		          "store: a refused delete leaves the file untouched");

		memset(&seen, 0, sizeof seen);
		rc = write_config(dfd, "88-88-88-88-88-88", "{\"v\":3}", 7, &pre, &created, &r);
		TAP_CHECK(rc == 0 && !created &&
		                  file_is(dfd, "88-88-88-88-88-88.json", "{\"v\":3}", 7),
		          "store: an accepting precondition lets the write through");
		memset(&seen, 0, sizeof seen);
		rc = delete_config(dfd, "88-88-88-88-88-88", &pre, &r);
		TAP_CHECK(rc == 0 && seen.calls == 1 && seen.len == 7 &&
		                  !exists(dfd, "88-88-88-88-88-88.json"),
		          "store: an accepting precondition lets the delete through");

		memset(&seen, 0, sizeof seen);
		seen.answer = 1;
		rc = delete_config(dfd, "88-88-88-88-88-88", &pre, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_PRECONDITION && seen.got_null,
		          "store: a delete's precondition sees NULL when there is no file");

		char target[600];
		snprintf(target, sizeof target, "%s/outside/secret", root);
		if (symlinkat(target, dfd, "99-99-99-99-99-99.json") != 0)
			perror("symlinkat");
		memset(&seen, 0, sizeof seen);
		rc = write_config(dfd, "99-99-99-99-99-99", "{}", 2, &pre, NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_REGULAR && seen.calls == 0,
		          "store: a precondition over a symlink fails STORE_NOT_REGULAR without a "
		          "call");
		buf_free(&scratch);
	}
	close(dfd);

	/* --- read-only directory (as nobody) ---------------------------------- */
	{
		new_dir(dir, sizeof dir, "ro");
		dfd = open_dir(dir);
		put_file(dfd, MAC ".json", "{\"old\":1}", 9, 0666);
		put_file(dfd, "." MAC ".lock", "", 0, 0666); /* lockable by anyone */
		chmod(dir, 0555);
		struct ro_case c = {dfd, dir, STORE_ACCESS, "create temp file"};
		CHECK_AS_NOBODY(child_write_fails, &c,
		                "store: write into a read-only directory is STORE_ACCESS "
		                "(create temp file)");
		TAP_CHECK(file_is(dfd, MAC ".json", "{\"old\":1}", 9) && temp_count(dir) == 0,
		          "store: the failed write left the old file and no temp file");
		struct ro_case d = {dfd, dir, STORE_ACCESS, NULL};
		CHECK_AS_NOBODY(child_delete_fails, &d,
		                "store: delete in a read-only directory is STORE_ACCESS");
		TAP_CHECK(exists(dfd, MAC ".json"), "store: the failed delete left the file");
		unlinkat(dfd, "." MAC ".lock", 0);
		struct ro_case e = {dfd, dir, STORE_ACCESS, "open lock file"};
		CHECK_AS_NOBODY(child_write_fails, &e,
		                "store: write without a creatable lock file is STORE_ACCESS "
		                "(open lock file)");
		TAP_STREQ(names_in(dir), MAC ".json",
		          "store: the failed writes created nothing in the directory");
		chmod(dir, 0755);
		close(dfd);
	}

	/* --- store_list -------------------------------------------------------- */
	{
		new_dir(dir, sizeof dir, "list");
		dfd = open_dir(dir);
		put_file(dfd, "aa-bb-cc-dd-ee-01.json", "{\"a\":1}", 7, 0644);
		put_file(dfd, "aa-bb-cc-dd-ee-08.json", "{}", 2, 0644);
		put_file(dfd, "AA-BB-CC-DD-EE-02.json", "{}", 2, 0644);
		put_file(dfd, "aa:bb:cc:dd:ee:03.json", "{}", 2, 0644);
		put_file(dfd, ".aa-bb-cc-dd-ee-01.lock", "", 0, 0600);
		put_file(dfd, ".aa-bb-cc-dd-ee-01.json.1.2.0000abcd.tmp", "{}", 2, 0644);
		put_file(dfd, "aa-bb-cc-dd-ee-01.json.tmp", "{}", 2, 0644);
		put_file(dfd, "notes.txt", "hi", 2, 0644);
		put_file(dfd, "aa-bb-cc-dd-ee-09.JSON", "{}", 2, 0644);
		if (symlinkat("aa-bb-cc-dd-ee-01.json", dfd, "aa-bb-cc-dd-ee-04.json") != 0)
			perror("symlinkat");
		if (mkdirat(dfd, "aa-bb-cc-dd-ee-05.json", 0755) != 0)
			perror("mkdirat");
		if (mkfifoat(dfd, "aa-bb-cc-dd-ee-06.json", 0644) != 0)
			perror("mkfifoat");

		struct listed l;
		memset(&l, 0, sizeof l);
		int rc = store_list(dfd, collect, &l, &r);
		qsort(l.names, (size_t)(l.n < 16 ? l.n : 16), sizeof l.names[0], cmp_name);
		TAP_CHECK(rc == 0 && r.status == STORE_OK, "store: list succeeds");
		TAP_CHECK(l.n == 2 && strcmp(l.names[0], "aa-bb-cc-dd-ee-01.json") == 0 &&
		                  strcmp(l.names[1], "aa-bb-cc-dd-ee-08.json") == 0,
		          "store: list reports only regular files with canonical names (skips "
		          "upper case, ':' names, .lock, .tmp, symlinks, dirs, FIFOs, notes.txt)");
		{
			memset(&l, 0, sizeof l);
			store_list(dfd, collect, &l, &r);
			struct stat st;
			bool ok = l.n == 2;
			for (int i = 0; ok && i < l.n; i++)
				ok = fstatat(dfd, l.names[i], &st, 0) == 0 &&
				     l.info[i].size == st.st_size &&
				     l.info[i].ino == (uint64_t)st.st_ino &&
				     l.info[i].mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 +
				                                   st.st_mtim.tv_nsec;
			TAP_CHECK(ok, "store: list info matches stat");
		}
		{
			/* the walk starts from the top whatever the descriptor's position */
			memset(&l, 0, sizeof l);
			store_list(dfd, collect, &l, &r);
			TAP_CHECK(l.n == 2,
			          "store: a second list over the same descriptor sees all");
		}
		{
			memset(&l, 0, sizeof l);
			l.stop_with = 7;
			memset(&r, 0x5a, sizeof r); /* the caller's struct may hold anything */
			rc = store_list(dfd, collect, &l, &r);
			TAP_CHECK(rc == 7 && l.n == 1,
			          "store: a non-zero callback result stops the walk and is "
			          "returned");
			TAP_CHECK(r.status == STORE_IO && r.op != NULL &&
			                  strcmp(r.op, "list callback") == 0,
			          "store: a stopped walk reports STORE_IO \"list callback\"");
		}
		{
			int empty_fd;
			char empty[256];
			new_dir(empty, sizeof empty, "empty");
			empty_fd = open_dir(empty);
			memset(&l, 0, sizeof l);
			rc = store_list(empty_fd, collect, &l, &r);
			TAP_CHECK(rc == 0 && l.n == 0 && r.status == STORE_OK,
			          "store: list of an empty directory calls nothing");
			close(empty_fd);
		}
		close(dfd);
	}

	/* --- store_sweep_temps -------------------------------------------------- */
	{
		new_dir(dir, sizeof dir, "sweep");
		dfd = open_dir(dir);
		/* no lock file at all: nobody ever wrote, nobody owns the temp */
		put_file(dfd, ".01-00-00-00-00-01.json.100.1.00000001.tmp", "t", 1, 0644);
		put_file(dfd, "01-00-00-00-00-01.json", "{\"keep\":1}", 10, 0644);
		/* lock file present and free */
		put_file(dfd, ".02-00-00-00-00-02.lock", "", 0, 0600);
		put_file(dfd, ".02-00-00-00-00-02.json.100.2.00000002.tmp", "t", 1, 0644);
		put_file(dfd, "02-00-00-00-00-02.json", "{\"keep\":2}", 10, 0644);
		/* lock held by a live writer (this process): fresh temp kept, stale one removed */
		put_file(dfd, ".03-00-00-00-00-03.lock", "", 0, 0600);
		put_file(dfd, ".03-00-00-00-00-03.json.100.3.00000003.tmp", "t", 1, 0644);
		put_file(dfd, ".03-00-00-00-00-03.json.100.4.00000004.tmp", "t", 1, 0644);
		put_file(dfd, "03-00-00-00-00-03.json", "{\"keep\":3}", 10, 0644);
		struct timespec old[2];
		clock_gettime(CLOCK_REALTIME, &old[0]);
		old[0].tv_sec -= STORE_TEMP_MAX_AGE + 600;
		old[1] = old[0];
		int u = utimensat(dfd, ".03-00-00-00-00-03.json.100.4.00000004.tmp", old, 0);
		/* not temp files of ours: never touched */
		put_file(dfd, ".AA-00-00-00-00-04.json.100.5.00000005.tmp", "t", 1, 0644);
		put_file(dfd, "notes.tmp", "t", 1, 0644);
		put_file(dfd, ".05-00-00-00-00-05.json.tmp", "t", 1, 0644);
		if (mkdirat(dfd, ".06-00-00-00-00-06.json.100.6.00000006.tmp", 0755) != 0)
			perror("mkdirat");
		int u2 = utimensat(dfd, "01-00-00-00-00-01.json", old, 0); /* old config */

		/* flock locks belong to the open file description: open our own */
		int held = openat(dfd, ".03-00-00-00-00-03.lock", O_RDWR | O_CLOEXEC);
		int lk = held >= 0 ? flock(held, LOCK_EX | LOCK_NB) : -1;

		unsigned removed = 99;
		alarm(10); /* the sweep must never wait for a lock */
		int rc = store_sweep_temps(dfd, &removed, &r);
		alarm(0);
		TAP_CHECK(u == 0 && u2 == 0 && lk == 0 && rc == 0 && r.status == STORE_OK,
		          "store: sweep succeeds without waiting for a held lock");
		TAP_CHECK(!exists(dfd, ".01-00-00-00-00-01.json.100.1.00000001.tmp"),
		          "store: sweep removes a temp file whose MAC has no lock file");
		TAP_CHECK(!exists(dfd, ".02-00-00-00-00-02.json.100.2.00000002.tmp"),
		          "store: sweep removes a temp file whose MAC lock is free");
		TAP_CHECK(exists(dfd, ".03-00-00-00-00-03.json.100.3.00000003.tmp"),
		          "store: sweep keeps a fresh temp file whose MAC lock is held");
		TAP_CHECK(!exists(dfd, ".03-00-00-00-00-03.json.100.4.00000004.tmp"),
		          "store: sweep removes a temp file older than an hour even with the lock "
		          "held");
		TAP_CHECK(removed == 3, "store: sweep counts what it removed");
		TAP_CHECK(file_is(dfd, "01-00-00-00-00-01.json", "{\"keep\":1}", 10) &&
		                  file_is(dfd, "02-00-00-00-00-02.json", "{\"keep\":2}", 10) &&
		                  file_is(dfd, "03-00-00-00-00-03.json", "{\"keep\":3}", 10),
		          "store: sweep never touches <mac>.json, however old");
		TAP_CHECK(exists(dfd, ".02-00-00-00-00-02.lock") &&
		                  exists(dfd, ".03-00-00-00-00-03.lock"),
		          "store: sweep leaves lock files in place");
		TAP_CHECK(exists(dfd, ".AA-00-00-00-00-04.json.100.5.00000005.tmp") &&
		                  exists(dfd, "notes.tmp") &&
		                  exists(dfd, ".05-00-00-00-00-05.json.tmp") &&
		                  exists(dfd, ".06-00-00-00-00-06.json.100.6.00000006.tmp"),
		          "store: sweep ignores names that are not our temp files, and "
		          "directories");
		if (held >= 0)
			close(held); /* releases the lock */
		rc = store_sweep_temps(dfd, &removed, &r);
		TAP_CHECK(rc == 0 && removed == 1 &&
		                  !exists(dfd, ".03-00-00-00-00-03.json.100.3.00000003.tmp"),
		          "store: once the lock is released the temp file is swept");
		close(dfd);
	}

	/* --- the directory fsync fails ------------------------------------------- */
	{
		new_dir(dir, sizeof dir, "dirsync");
		dfd = open_dir(dir);
		put_file(dfd, MAC ".json", "{\"v\":1}", 7, 0644);
		bool created = true;
		dir_fsyncs = 0;
		dir_fsync_fails = STORE_DIR_SYNC_TRIES - 1;
		int rc = write_config(dfd, MAC, "{\"v\":2}", 7, NULL, &created, &r);
		TAP_CHECK(rc == 0 && r.status == STORE_OK && !created &&
		                  dir_fsyncs == STORE_DIR_SYNC_TRIES &&
		                  file_is(dfd, MAC ".json", "{\"v\":2}", 7),
		          "store: a directory fsync that fails and then works is retried: the "
		          "write succeeds");
		dir_fsyncs = 0;
		dir_fsync_fails = -1;
		rc = write_config(dfd, MAC, "{\"v\":3}", 7, NULL, &created, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_DURABLE && r.sys_errno == EIO &&
		                  r.op != NULL && strcmp(r.op, "fsync directory") == 0 && !created,
		          "store: a directory fsync failing every time is STORE_NOT_DURABLE (EIO, "
		          "fsync directory)");
		TAP_CHECK(dir_fsyncs == STORE_DIR_SYNC_TRIES,
		          "store: the directory fsync was tried STORE_DIR_SYNC_TRIES times");
		TAP_CHECK(file_is(dfd, MAC ".json", "{\"v\":3}", 7) && temp_count(dir) == 0,
		          "store: after STORE_NOT_DURABLE the config on disk is the new version, "
		          "and no temp file is left");
		rc = write_config(dfd, MAC2, "{}", 2, NULL, &created, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_DURABLE && created &&
		                  file_is(dfd, MAC2 ".json", "{}", 2),
		          "store: a new config not made durable is in place, reported as created");
		rc = delete_config(dfd, MAC, NULL, &r);
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_DURABLE && !exists(dfd, MAC ".json"),
		          "store: a delete whose directory fsync fails is STORE_NOT_DURABLE, and "
		          "the config is gone");
		dir_fsync_fails = 0;
		close(dfd);
	}

	/* --- shared file system ------------------------------------------------------ */
	{
		new_dir(dir, sizeof dir, "shared");
		dfd = open_dir(dir);
		fsinfo_set_mode(FSINFO_AUTO);
		int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		TAP_CHECK(proc >= 0 && fsinfo_is_shared(proc) && shm >= 0 && !fsinfo_is_shared(shm),
		          "store: detection: an unlisted type (proc) is shared, tmpfs is local");
		close(proc);
		close(shm);

		/* mtime: the server's clock on a shared file system */
		put_file(dfd, MAC ".json", "{\"a\":1}", 7, 0644);
		struct timespec old[2];
		clock_gettime(CLOCK_REALTIME, &old[0]);
		old[0].tv_sec -= 3600;
		old[1] = old[0];
		utimensat(dfd, MAC ".json", old, 0);
		struct stat st;
		fstatat(dfd, MAC ".json", &st, AT_SYMLINK_NOFOLLOW);
		struct store_file_info info;
		fsinfo_set_mode(FSINFO_LOCAL);
		int rc = store_read(dfd, MAC, &b, &info, &r);
		TAP_CHECK(rc == 0 && info.mtime == st.st_mtim.tv_sec,
		          "store: on a local file system a read reports the mtime");
		fsinfo_set_mode(FSINFO_SHARED);
		rc = store_read(dfd, MAC, &b, &info, &r);
		TAP_CHECK(rc == 0 && info.mtime == 0 &&
		                  info.mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 +
		                                           st.st_mtim.tv_nsec &&
		                  b.len == 7,
		          "store: on a shared file system a read reports no mtime for validators, "
		          "and the identity still");

		/* a config another node just created; stat by name still says "missing" */
		fsinfo_set_mode(FSINFO_LOCAL);
		put_file(dfd, "11-11-11-11-11-11.json", "{\"n\":1}", 7, 0644);
		stale_stat = true;
		rc = delete_config(dfd, "11-11-11-11-11-11", NULL, &r);
		stale_stat = false;
		TAP_CHECK(rc == -1 && r.status == STORE_NOT_FOUND &&
		                  exists(dfd, "11-11-11-11-11-11.json"),
		          "store: (the fault bites) on a local file system the delete trusts the "
		          "stale stat and answers NOT_FOUND");
		fsinfo_set_mode(FSINFO_SHARED);
		stale_stat = true;
		struct listed l = {0};
		rc = store_list(dfd, collect, &l, &r);
		bool listed = false;
		for (int i = 0; i < l.n && i < 16; i++)
			listed |= strcmp(l.names[i], "11-11-11-11-11-11.json") == 0 &&
			          l.info[i].size == 7;
		TAP_CHECK(rc == 0 && l.n == 2 && listed,
		          "store: on a shared file system the list opens each file: a config a "
		          "stale stat misses is listed, with its size");
		TAP_CHECK(store_stat_config(dfd, "11-11-11-11-11-11.json", &info) ==
		                          STORE_PRESENT &&
		                  info.size == 7,
		          "store: on a shared file system store_stat_config opens the file");
		struct seen seen = {.answer = 0};
		struct change_precond pre = {.check = record, .arg = &seen, .scratch = &b};
		rc = write_config(dfd, "11-11-11-11-11-11", "{\"n\":2}", 7, &pre, NULL, &r);
		TAP_CHECK(rc == 0 && seen.calls == 1 && !seen.got_null && seen.len == 7,
		          "store: on a shared file system a precondition sees a config a stale "
		          "stat misses");
		stale_stat = false;
		put_file(dfd, "12-12-12-12-12-12.json", "{\"n\":1}", 7, 0644);
		stale_stat = true;
		rc = delete_config(dfd, "12-12-12-12-12-12", NULL, &r);
		stale_stat = false;
		TAP_CHECK(rc == 0 && r.status == STORE_OK && !exists(dfd, "12-12-12-12-12-12.json"),
		          "store: on a shared file system the delete of a config a stale stat "
		          "misses removes it");

		/* the sweep goes by lock state only */
		put_file(dfd, ".21-00-00-00-00-01.lock", "", 0, 0600);
		put_file(dfd, ".21-00-00-00-00-01.json.100.1.00000001.tmp", "t", 1, 0644);
		utimensat(dfd, ".21-00-00-00-00-01.json.100.1.00000001.tmp", old, 0);
		old[0].tv_sec -= STORE_TEMP_MAX_AGE;
		old[1] = old[0];
		utimensat(dfd, ".21-00-00-00-00-01.json.100.1.00000001.tmp", old, 0);
		put_file(dfd, ".22-00-00-00-00-02.json.100.2.00000002.tmp", "t", 1, 0644);
		put_file(dfd, ".23-00-00-00-00-03.lock", "", 0, 0600);
		put_file(dfd, ".23-00-00-00-00-03.json.100.3.00000003.tmp", "t", 1, 0644);
		int held = openat(dfd, ".21-00-00-00-00-01.lock", O_RDWR | O_CLOEXEC);
		int lk = held >= 0 ? flock(held, LOCK_EX | LOCK_NB) : -1;
		unsigned removed = 99;
		rc = store_sweep_temps(dfd, &removed, &r);
		TAP_CHECK(lk == 0 && rc == 0 && removed == 1 &&
		                  !exists(dfd, ".23-00-00-00-00-03.json.100.3.00000003.tmp"),
		          "store: on a shared file system the sweep removes a temp file whose lock "
		          "is free");
		TAP_CHECK(
		        exists(dfd, ".21-00-00-00-00-01.json.100.1.00000001.tmp"),
		        "store: on a shared file system the sweep keeps a temp file whose lock is "
		        "held, however old by this clock");
		TAP_CHECK(exists(dfd, ".22-00-00-00-00-02.json.100.2.00000002.tmp"),
		          "store: on a shared file system the sweep keeps a temp file without a "
		          "lock file (no such file may be a cached answer)");
		if (held >= 0)
			close(held);
		rc = store_sweep_temps(dfd, &removed, &r);
		TAP_CHECK(
		        rc == 0 && removed == 1 &&
		                !exists(dfd, ".21-00-00-00-00-01.json.100.1.00000001.tmp"),
		        "store: on a shared file system the temp file goes once its lock is free");
		unlinkat(dfd, ".22-00-00-00-00-02.json.100.2.00000002.tmp", 0);
		fsinfo_set_mode(FSINFO_AUTO);
		close(dfd);
	}

	/* --- store_check_dir ---------------------------------------------------- */
	{
		new_dir(dir, sizeof dir, "check");
		TAP_CHECK(store_check_dir(dir, &r) == 0 && r.status == STORE_OK,
		          "store: check of a usable directory is STORE_OK");
		TAP_CHECK(store_check_dir(NULL, &r) == -1 && r.status == STORE_NOT_CONFIGURED,
		          "store: check of an unset directory is STORE_NOT_CONFIGURED");
		snprintf(path, sizeof path, "%s/nope", dir);
		TAP_CHECK(store_check_dir(path, &r) == -1 && r.status == STORE_DIR_MISSING,
		          "store: check of a missing directory is STORE_DIR_MISSING");
		dfd = open_dir(dir);
		put_file(dfd, "plain", "x", 1, 0644);
		close(dfd);
		snprintf(path, sizeof path, "%s/plain", dir);
		TAP_CHECK(store_check_dir(path, &r) == -1 && r.status == STORE_DIR_NOT_DIR,
		          "store: check of a regular file is STORE_DIR_NOT_DIR");
		snprintf(path, sizeof path, "%s/plain/sub", dir);
		TAP_CHECK(store_check_dir(path, &r) == -1 && r.status == STORE_DIR_MISSING,
		          "store: check of a path under a regular file is STORE_DIR_MISSING");
		snprintf(path, sizeof path, "%s/link", dir);
		if (symlink(dir, path) != 0)
			perror("symlink");
		TAP_CHECK(store_check_dir(path, &r) == -1 && r.status == STORE_DIR_NOT_DIR &&
		                  strcmp(r.op, "symlink") == 0,
		          "store: check of a symlink to a directory is STORE_DIR_NOT_DIR "
		          "(symlink)");

		struct ro_case ok = {-1, dir, STORE_OK, NULL};
		chmod(dir, 0777);
		CHECK_AS_NOBODY(child_check_dir_ok, &ok,
		                "store: check as nobody of a world-writable directory is STORE_OK");
		chmod(dir, 0555);
		struct ro_case ro = {-1, dir, STORE_ACCESS, "write"};
		CHECK_AS_NOBODY(child_check_dir, &ro,
		                "store: check of a directory nobody cannot write is STORE_ACCESS "
		                "(write)");
		chmod(dir, 0333);
		struct ro_case wo = {-1, dir, STORE_ACCESS, "read"};
		CHECK_AS_NOBODY(child_check_dir, &wo,
		                "store: check of a directory nobody cannot read is STORE_ACCESS "
		                "(read)");
		chmod(dir, 0755);
	}

	/* --- the lock's value --------------------------------------------------------- */
	{
		new_dir(dir, sizeof dir, "lockvalue");
		dfd = open_dir(dir);
		struct store_lock lk;
		int rc = store_lock(dfd, MAC, &lk, &r);
		TAP_CHECK(rc == 0 && store_lock_value(&lk) == 0, "store: a new lock's value is 0");
		rc = store_lock_set_value(&lk, 42, &r);
		TAP_CHECK(rc == 0 && store_lock_value(&lk) == 42 &&
		                  file_is(dfd, "." MAC ".lock", "0000000042\n", 11),
		          "store: the lock's value is ten digits and a newline in the lock file");
		store_unlock(&lk);
		rc = store_lock(dfd, MAC, &lk, &r);
		TAP_CHECK(rc == 0 && store_lock_value(&lk) == 42,
		          "store: the lock's value outlasts the lock");
		rc = store_lock_set_value(&lk, 7, &r);
		TAP_CHECK(rc == 0 && file_is(dfd, "." MAC ".lock", "0000000007\n", 11),
		          "store: a smaller value replaces the whole of the old one");
		store_unlock(&lk);
		static const char *const junk[] = {"", "12345678901\n", "00000000x2\n", "42\n",
		                                   "0000000042"};
		bool all_zero = true;
		for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
			put_file(dfd, "." MAC ".lock", junk[i], strlen(junk[i]), 0600);
			rc = store_lock(dfd, MAC, &lk, &r);
			all_zero &= rc == 0 && store_lock_value(&lk) == 0;
			store_unlock(&lk);
		}
		TAP_CHECK(all_zero, "store: a lock file holding anything else has the value 0");
		close(dfd);
	}

	/* --- status words ---------------------------------------------------------- */
	{
		bool ok = true;
		for (int st = STORE_OK; st <= STORE_NOT_DURABLE; st++) {
			const char *t = store_status_text((enum store_status)st);
			ok &= t != NULL && t[0] != '\0' && strcmp(t, "unknown") != 0;
		}
		TAP_CHECK(ok, "store: every status has its own words");
	}

	buf_free(&b);
	cleanup();
	struct stat st;
	TAP_CHECK(stat(root, &st) != 0 && errno == ENOENT, "store: the test left nothing behind");
	return tap_done();
}
