/*
 * history.c: the past versions of each config (history.h has the layout).
 *
 * Keeping a version is one hard link of the current <mac>.json into the
 * MAC's history directory under a name that carries all its metadata, then
 * an fsync of that directory (history_commit); only then does change.c
 * rename over or remove the config (it commits after the new version's
 * temp file is fsynced, just before the rename). The link shares the inode, so the version
 * is kept byte for byte and with the config's permissions, whoever wrote it, at the cost of one
 * directory fsync; a config whose mode is looser than FILE_MODE is copied instead, with the
 * setting's limits. Where link(2) is not supported (some shared file systems) the bytes are copied
 * to a temp file, fsynced and renamed into place instead. Either way an entry appears whole or not
 * at all, and a crash before the config changes leaves at worst an extra copy of a version that is
 * still current.
 *
 * Every name is resolved relative to a directory descriptor with
 * O_NOFOLLOW, and only names built here (a canonical MAC, a revision id
 * that passed history_revision_valid, an entry name that parsed) are ever
 * opened, so no request reaches a file outside .history/<mac>/.
 *
 * Sequence numbers are kept in the MAC's lock file (store_lock_value),
 * read and set under that lock, so they grow with every change of that
 * MAC on every node sharing the directory, whatever a node's cached
 * listing of the history directory shows; the entries listed only raise
 * the floor (a history from before the lock kept the number, or a value
 * lost in a crash of a local disk, where a listing is never stale). The
 * random part makes ids unguessable from one another.
 */
#include "history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "mac.h"

#define REV_SEQ_DIGITS  10
#define REV_RND_DIGITS  8
#define MAX_TIME_DIGITS 18 /* fits an int64_t whatever the digits */

static int
sys_fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

bool
history_revision_valid(const char *s)
{
	for (int i = 0; i < REV_SEQ_DIGITS; i++)
		if (!is_digit(s[i]))
			return false;
	if (s[REV_SEQ_DIGITS] != '-')
		return false;
	for (int i = REV_SEQ_DIGITS + 1; i < HISTORY_REV_LEN; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return s[HISTORY_REV_LEN] == '\0';
}

const char *
history_op_name(enum history_op op)
{
	switch (op) {
	case HISTORY_SAVE:
		return "save";
	case HISTORY_DELETE:
		return "delete";
	case HISTORY_RESTORE:
		return "restore";
	}
	return "save";
}

/* A run of 1..MAX_TIME_DIGITS digits ending at `end`; advances *p past it. */
static bool
parse_seconds(const char **p, char end, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	int n = 0;
	while (is_digit(s[n])) {
		if (n >= MAX_TIME_DIGITS)
			return false;
		v = v * 10 + (s[n] - '0');
		n++;
	}
	if (n == 0 || s[n] != end)
		return false;
	*out = v;
	*p = s + n + 1;
	return true;
}

bool
history_parse_name(const char *name, struct history_entry *e)
{
	size_t len = strlen(name);
	if (len >= sizeof e->name || len < HISTORY_REV_LEN + 1)
		return false;
	char rev[HISTORY_REV_LEN + 1];
	memcpy(rev, name, HISTORY_REV_LEN);
	rev[HISTORY_REV_LEN] = '\0';
	if (!history_revision_valid(rev))
		return false;
	const char *p = name + HISTORY_REV_LEN;
	if (p[0] != '.' || (p[1] != 's' && p[1] != 'd' && p[1] != 'r') || p[2] != '.')
		return false;
	e->op = (enum history_op)p[1];
	p += 3;
	if (!parse_seconds(&p, '.', &e->saved_at) || !parse_seconds(&p, '.', &e->replaced_at))
		return false;
	const char *user_end = strchr(p, '.');
	if (user_end == NULL)
		return false;
	/* An entry made by a fleet change names it after the user (history.h). */
	e->change[0] = '\0';
	if (strcmp(user_end, ".json") != 0) {
		const char *change = user_end + 1;
		size_t clen = strspn(change, "0123456789abcdefghijklmnopqrstuvwxyz-");
		if (clen == 0 || clen > HISTORY_CHANGE_MAX || strcmp(change + clen, ".json") != 0)
			return false;
		memcpy(e->change, change, clen);
		e->change[clen] = '\0';
	}
	size_t ulen = (size_t)(user_end - p);
	if (ulen == 1 && p[0] == '-') {
		e->has_user = false;
		e->user[0] = '\0';
	} else {
		if (ulen == 0 || ulen % 2 != 0 || ulen / 2 > HISTORY_USER_MAX)
			return false;
		for (size_t i = 0; i < ulen; i += 2) {
			if (!is_lower_hex(p[i]) || !is_lower_hex(p[i + 1]))
				return false;
			int v = hex_value((unsigned char)p[i]) * 16 +
			        hex_value((unsigned char)p[i + 1]);
			if (v == 0)
				return false;
			e->user[i / 2] = (char)v;
		}
		e->user[ulen / 2] = '\0';
		e->has_user = true;
	}
	memcpy(e->revision, rev, sizeof rev);
	e->seq = strtoull(rev, NULL, 10);
	memcpy(e->name, name, len + 1);
	return true;
}

static void
format_name(char out[256], const char *rev, enum history_op op, int64_t saved, int64_t replaced,
            const char *user, const char *change)
{
	char uhex[2 * HISTORY_USER_MAX + 1] = "-";
	if (user != NULL && user[0] != '\0') {
		static const char digits[] = "0123456789abcdef";
		size_t n = strlen(user);
		if (n > HISTORY_USER_MAX) { /* cut at a UTF-8 character's start */
			n = HISTORY_USER_MAX;
			while (n > 0 && ((unsigned char)user[n] & 0xC0) == 0x80)
				n--;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)user[i];
			uhex[2 * i] = digits[c >> 4];
			uhex[2 * i + 1] = digits[c & 15];
		}
		uhex[2 * n] = '\0';
	}
	bool has_change = change != NULL && change[0] != '\0' &&
	                  strlen(change) <= HISTORY_CHANGE_MAX &&
	                  strspn(change, "0123456789abcdefghijklmnopqrstuvwxyz-") == strlen(change);
	snprintf(out, 256, "%s.%c.%lld.%lld.%s%s%s.json", rev, (char)op,
	         (long long)(saved > 0 ? saved : 0), (long long)(replaced > 0 ? replaced : 0), uhex,
	         has_change ? "." : "", has_change ? change : "");
}

/*
 * Opens (creating when asked) the directory `name` in parent, never through
 * a symlink. A directory just created is made durable in its parent.
 */
static int
open_subdir(int parent, const char *name, bool create, struct store_result *r)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(parent, name, (mode_t)store_dir_mode()) == 0) {
			if (store_sync_dir(parent) != 0) {
				sys_fail(r, "fsync history directory");
				return -1;
			}
		} else if (errno != EEXIST) {
			sys_fail(r, "create history directory");
			return -1;
		}
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			store_result_set(r, STORE_NOT_FOUND, ENOENT, "open history directory");
		else if (errno == ELOOP || errno == ENOTDIR)
			store_result_set(r, STORE_IO, errno, "open history directory");
		else
			sys_fail(r, "open history directory");
		return -1;
	}
	return fd;
}

/* The MAC's history directory, or -1 (STORE_NOT_FOUND when there is none). */
static int
open_mac_dir(int dirfd, const char *mac, bool create, struct store_result *r)
{
	int root = open_subdir(dirfd, HISTORY_DIR, create, r);
	if (root < 0)
		return -1;
	int fd = open_subdir(root, mac, create, r);
	close(root);
	return fd;
}

/*
 * Every entry of an open history directory, in no order, in *out
 * (malloc'ed, with room for one entry more; NULL when there is none).
 * With sweep set (the MAC's lock held, so no copy is under way) the
 * ".tmp-" files a crashed copy left are removed on the way.
 */
static int
read_entries(int hfd, bool sweep, struct history_entry **out, size_t *n, struct store_result *r)
{
	*out = NULL;
	*n = 0;
	int fd = dup(hfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		sys_fail(r, "list history");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	size_t cap = 0;
	struct history_entry *list = NULL;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = sys_fail(r, "list history");
			break;
		}
		if (sweep && strncmp(de->d_name, ".tmp-", 5) == 0) {
			unlinkat(hfd, de->d_name, 0);
			continue;
		}
		struct history_entry e;
		if (!history_parse_name(de->d_name, &e))
			continue;
		if (*n + 1 >= cap) { /* room for this one and one more */
			size_t ncap = cap ? cap * 2 : 32;
			struct history_entry *grown = realloc(list, ncap * sizeof *list);
			if (grown == NULL) {
				rc = store_result_set(r, STORE_IO, ENOMEM, "list history");
				break;
			}
			list = grown;
			cap = ncap;
		}
		list[(*n)++] = e;
	}
	closedir(d);
	if (rc != 0) {
		free(list);
		*n = 0;
		return -1;
	}
	*out = list;
	return 0;
}

/*
 * Newest first: by sequence (never repeated within a MAC), then by id, so
 * that entries made before that held are still in a fixed order.
 */
static int
newest_first(const void *a, const void *b)
{
	const struct history_entry *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? 1 : -1;
	return -strcmp(x->revision, y->revision);
}

static void
sort_newest_first(struct history_entry *list, size_t n)
{
	if (n > 1) /* list is NULL while empty; qsort(NULL, 0) is undefined */
		qsort(list, n, sizeof *list, newest_first);
}

static void
random_hex(char out[REV_RND_DIGITS + 1])
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid();
	}
	snprintf(out, REV_RND_DIGITS + 1, "%08x", v);
}

/*
 * Copies the open file `src` to `name` in hfd: temp, fsync, rename. The
 * copy gets the config's permissions less what FILE_MODE does not grant,
 * whatever the umask took away.
 */
static int
copy_in(int hfd, int src, const struct stat *st, const char *name, struct store_result *r)
{
	char tmp[32], rnd[REV_RND_DIGITS + 1];
	random_hex(rnd);
	snprintf(tmp, sizeof tmp, ".tmp-%s", rnd);
	mode_t mode = (mode_t)store_replace_mode((unsigned)st->st_mode & 0777);
	int fd = openat(hfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return sys_fail(r, "create history copy");
	if (store_set_mode(fd, (unsigned)mode) != 0) {
		sys_fail(r, "create history copy");
		close(fd);
		unlinkat(hfd, tmp, 0);
		return -1;
	}
	const char *failed = NULL;
	char chunk[8192];
	off_t off = 0;
	for (;;) {
		ssize_t got = pread(src, chunk, sizeof chunk, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			failed = "read config for history";
			break;
		}
		if (got == 0)
			break;
		off += got;
		for (ssize_t done = 0; done < got;) {
			ssize_t w = write(fd, chunk + done, (size_t)(got - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				failed = "write history copy";
				break;
			}
			done += w;
		}
		if (failed != NULL)
			break;
	}
	if (failed == NULL && fsync(fd) != 0)
		failed = "fsync history copy";
	int err = failed ? errno : 0;
	if (close(fd) != 0 && failed == NULL) {
		failed = "close history copy";
		err = errno;
	}
	if (failed == NULL && renameat(hfd, tmp, hfd, name) != 0) {
		failed = "rename history copy";
		err = errno;
	}
	if (failed != NULL) {
		unlinkat(hfd, tmp, 0);
		return store_result_set(r, store_classify(err), err, failed);
	}
	return 0;
}

/* Links (or copies) the open config `src` into hfd as `name`. */
static int
add_entry(int dirfd, const char *cfg, int hfd, int src, const struct stat *st, const char *name,
          struct store_result *r)
{
	/*
	 * The live file has another name already (an entry left by a crash
	 * between link and rename, or a link made by hand): an in-place edit
	 * of it would change a linked entry too, so keep a copy instead.
	 */
	if (st->st_nlink > 1)
		return copy_in(hfd, src, st, name, r);
	/*
	 * A config looser than FILE_MODE (made by hand, or before the
	 * setting): a link would keep its mode in the history; a copy gets
	 * FILE_MODE's limits.
	 */
	if (((unsigned)st->st_mode & 0777) != store_replace_mode((unsigned)st->st_mode & 0777))
		return copy_in(hfd, src, st, name, r);
	if (linkat(dirfd, cfg, hfd, name, 0) != 0) {
		if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV ||
		    errno == EMLINK)
			return copy_in(hfd, src, st, name, r);
		return sys_fail(r, "link config into history");
	}
	/*
	 * Hand edits do not take the lock: make sure the link is the file we
	 * looked at. Opened and fstat'ed, not stat'ed by name, which a shared
	 * file system may answer from a stale cache.
	 */
	struct stat linked;
	int fd = openat(hfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &linked) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		unlinkat(hfd, name, 0);
		if (err == ELOOP) /* replaced by a symlink meanwhile: copy what we opened */
			return copy_in(hfd, src, st, name, r);
		return store_result_set(r, store_classify(err), err, "open history entry");
	}
	close(fd);
	if (linked.st_ino != st->st_ino || linked.st_dev != st->st_dev ||
	    !S_ISREG(linked.st_mode)) {
		unlinkat(hfd, name, 0);
		return copy_in(hfd, src, st, name, r);
	}
	return 0;
}

int
history_keep_current(int dirfd, const char *mac, struct store_lock *lk, struct history_note *note,
                     struct history_change *hc, struct store_result *r)
{
	hc->hfd = -1;
	hc->name[0] = '\0';
	hc->listed = NULL;
	hc->n_listed = 0;
	note->revision[0] = '\0';
	char cfg[256]; /* "<name>.json": a MAC, or a schema name (schemas.h) */
	snprintf(cfg, sizeof cfg, "%s.json", mac);
	int src = openat(dirfd, cfg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (src < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return store_result_set(r, STORE_OK, 0, NULL); /* nothing to keep */
		return sys_fail(r, "open config for history");
	}
	struct stat st;
	if (fstat(src, &st) != 0) {
		sys_fail(r, "stat config for history");
		close(src);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(src); /* never served, so nothing to keep */
		return store_result_set(r, STORE_OK, 0, NULL);
	}
	int fd = open_mac_dir(dirfd, mac, true, r);
	if (fd < 0) {
		close(src);
		return -1;
	}
	/* The one listing of this change: prune() decides from it too. */
	struct history_entry *list;
	size_t n;
	if (read_entries(fd, true, &list, &n, r) != 0) {
		close(src);
		close(fd);
		return -1;
	}
	uint64_t seq = store_lock_value(lk);
	for (size_t i = 0; i < n; i++)
		if (list[i].seq > seq)
			seq = list[i].seq;
	seq = (seq + 1) % 10000000000ull;
	int rc = store_lock_set_value(lk, seq, r);
	/* The same name by chance (EEXIST): another random part. */
	for (int attempt = 0; rc == 0 && attempt < 8; attempt++) {
		char rnd[REV_RND_DIGITS + 1];
		random_hex(rnd);
		snprintf(note->revision, sizeof note->revision, "%010llu-%s",
		         (unsigned long long)seq, rnd);
		format_name(hc->name, note->revision, note->op, (int64_t)st.st_mtim.tv_sec,
		            (int64_t)time(NULL), note->user, note->change);
		if (add_entry(dirfd, cfg, fd, src, &st, hc->name, r) == 0)
			break;
		if (r->sys_errno != EEXIST || attempt == 7)
			rc = -1;
	}
	close(src);
	if (rc != 0) {
		note->revision[0] = '\0';
		hc->name[0] = '\0';
		free(list);
		close(fd);
		return -1;
	}
	hc->hfd = fd;
	hc->listed = list;
	hc->n_listed = n;
	return store_result_set(r, STORE_OK, 0, NULL);
}

int
history_commit(struct history_change *hc, struct store_result *r)
{
	if (hc->hfd < 0)
		return store_result_set(r, STORE_OK, 0, NULL);
	/*
	 * Unlike the config's own directory fsync, this one comes before the
	 * change: when it keeps failing the change is refused, since the
	 * entry might not outlive a crash that the new config survives.
	 */
	if (store_sync_dir(hc->hfd) != 0)
		return sys_fail(r, "fsync history directory");
	return store_result_set(r, STORE_OK, 0, NULL);
}

/*
 * Removes all but the newest keep entries. The directory holds what the
 * listing of history_keep_current() showed plus this change's entry, so
 * no second listing is needed: that listing was taken with the MAC's lock
 * held, which is still held, and every change of the MAC (the only writer
 * of its history directory) takes that lock first. A stale listing (an
 * NFS client's cached view) misses only entries another node made since,
 * all newer than the ones listed (their numbers come from the lock file):
 * what is removed here is then older than keep entries all the same, and
 * what is left over a later change removes.
 */
static void
prune(struct history_change *hc, unsigned keep)
{
	/* With this change's entry at most keep (change.c keeps nothing with 0). */
	if (hc->listed == NULL || hc->n_listed < keep)
		return;
	struct history_entry *list = hc->listed;
	size_t n = hc->n_listed;
	if (history_parse_name(hc->name, &list[n])) /* read_entries left room for it */
		n++;
	sort_newest_first(list, n);
	for (size_t i = keep; i < n; i++)
		unlinkat(hc->hfd, list[i].name, 0);
}

void
history_end(struct history_change *hc, bool made, unsigned keep)
{
	if (hc->hfd < 0)
		return;
	if (made)
		prune(hc, keep);
	else if (hc->name[0] != '\0')
		unlinkat(hc->hfd, hc->name, 0);
	free(hc->listed);
	hc->listed = NULL;
	hc->n_listed = 0;
	close(hc->hfd);
	hc->hfd = -1;
}

int
history_list(int dirfd, const char *mac, unsigned keep, struct history_entry **out, size_t *n,
             struct store_result *r)
{
	*out = NULL;
	*n = 0;
	if (keep == 0)
		return store_result_set(r, STORE_OK, 0, NULL);
	int fd = open_mac_dir(dirfd, mac, false, r);
	if (fd < 0)
		return r->status == STORE_NOT_FOUND ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int rc = read_entries(fd, false, out, n, r);
	close(fd);
	if (rc != 0)
		return -1;
	sort_newest_first(*out, *n);
	if (*n > keep)
		*n = keep;
	return store_result_set(r, STORE_OK, 0, NULL);
}

int
history_read_entry(int dirfd, const char *mac, const struct history_entry *e, struct buf *out,
                   int64_t *size, struct store_result *r)
{
	int fd = open_mac_dir(dirfd, mac, false, r);
	if (fd < 0)
		return -1;
	struct store_file_info info;
	int rc = store_read_file(fd, e->name, out, &info, r);
	close(fd);
	if (rc == 0 && size != NULL)
		*size = info.size;
	return rc;
}

int
history_read(int dirfd, const char *mac, const char *rev, unsigned keep, struct buf *out,
             struct history_entry *e, struct store_result *r)
{
	if (!history_revision_valid(rev))
		return store_result_set(r, STORE_NOT_FOUND, 0, "revision id");
	struct history_entry *list;
	size_t n;
	if (history_list(dirfd, mac, keep, &list, &n, r) != 0)
		return -1;
	size_t i = 0;
	while (i < n && strcmp(list[i].revision, rev) != 0)
		i++;
	if (i == n) {
		free(list);
		return store_result_set(r, STORE_NOT_FOUND, ENOENT, "find revision");
	}
	*e = list[i];
	free(list);
	int rc = history_read_entry(dirfd, mac, e, out, NULL, r);
	if (rc != 0 && r->status == STORE_NOT_FOUND)
		r->op = "find revision"; /* pruned meanwhile */
	return rc;
}
