/*
 * store.c: every file-system call the service makes. All names are
 * resolved relative to a directory descriptor with O_NOFOLLOW, and every
 * name is built from a canonical MAC, so nothing outside the directory is
 * ever read, created or removed.
 *
 * A write is durable before it is visible: the bytes go to a fresh temp
 * file (O_CREAT|O_EXCL, never a fixed name), which is fsynced, renamed
 * over the target, and then the directory is fsynced so the rename itself
 * survives a power cut. Readers therefore see the old file or the new one,
 * never a mix. When that last fsync fails the new file is already in
 * place: the write is then reported as made but not durable
 * (STORE_NOT_DURABLE), never as failed. Writers of one MAC serialise on
 * flock(2) of its lock file, which also makes check-then-write
 * preconditions atomic; flock and rename within a directory are what a
 * shared file system (CephFS, NFSv4) must provide for several nodes to
 * share one directory.
 *
 * On a shared file system (fsinfo.h) a node's cached attributes may be
 * older than another node's change: a name that stat(2) says is missing
 * may exist, and its size and times may be old. What open(2) returns is
 * current (close-to-open consistency on NFS; CephFS is coherent anyway).
 * There the store decides nothing from a stat by name: it opens the file
 * and fstat(2)s what it opened, always takes the lock before saying a
 * config is missing, reports no mtime for HTTP validators (it comes from
 * the server's clock, not this machine's) and removes temp files only
 * when their MAC lock shows nobody is writing.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsinfo.h"
#include "history.h"
#include "mac.h"

/* Process-owned: sequence number making this process's temp names unique. */
static unsigned store_temp_seq;
/* Process-owned: FILE_MODE, set once at start-up. */
static unsigned store_mode = 0640;

void
store_set_file_mode(unsigned mode)
{
	store_mode = mode & 0777;
}

unsigned
store_file_mode(void)
{
	return store_mode;
}

unsigned
store_replace_mode(unsigned existing)
{
	return existing & store_mode;
}

unsigned
store_dir_mode(void)
{
	unsigned m = store_mode;
	return m | ((m & 0444) >> 2);
}

static enum store_status classify(int err);

static int
result(struct store_result *r, enum store_status st, int err, const char *op)
{
	r->status = st;
	r->sys_errno = err;
	r->op = op;
	return st == STORE_OK ? 0 : -1;
}

int
store_result_set(struct store_result *r, enum store_status st, int err, const char *op)
{
	return result(r, st, err, op);
}

enum store_status
store_classify(int err)
{
	return classify(err);
}

static enum store_status
classify(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return STORE_NO_SPACE;
	case EACCES:
	case EPERM:
	case EROFS:
		return STORE_ACCESS;
	case ELOOP:
		return STORE_NOT_REGULAR;
	case ENOTCONN: /* from a file system, not a socket: its daemon is gone */
		return STORE_UNREACHABLE;
	case EFBIG: /* on a write: beyond the file system's (or RLIMIT_FSIZE's) bound */
		return STORE_NO_SPACE;
	default:
		return STORE_IO;
	}
}

static int
sys_fail(struct store_result *r, const char *op)
{
	int err = errno;
	return result(r, classify(err), err, op);
}

const char *
store_status_text(enum store_status st)
{
	switch (st) {
	case STORE_OK:
		return "ok";
	case STORE_NOT_CONFIGURED:
		return "not configured";
	case STORE_DIR_MISSING:
		return "does not exist";
	case STORE_DIR_NOT_DIR:
		return "is not a directory";
	case STORE_ACCESS:
		return "permission denied";
	case STORE_UNREACHABLE:
		return "is unreachable";
	case STORE_NOT_FOUND:
		return "not found";
	case STORE_NOT_REGULAR:
		return "is a symlink or not a regular file (not followed)";
	case STORE_TOO_LARGE:
		return "is too large";
	case STORE_NO_SPACE:
		return "no space left on the file system";
	case STORE_PRECONDITION:
		return "precondition refused";
	case STORE_IO:
		return "input/output error";
	case STORE_NOT_DURABLE:
		return "changed, but the change may not survive a crash";
	}
	return "unknown";
}

int
store_open_dir(const char *dir, int *dirfd, struct store_result *r)
{
	*dirfd = -1;
	if (dir == NULL)
		return result(r, STORE_NOT_CONFIGURED, 0, "ESP32_CONFIGS_DIR");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			return result(r, STORE_DIR_MISSING, err, "open directory");
		if (err == ENOTDIR || err == ELOOP) {
			/* Say "symlink" when that is what it is, as store_check_dir does. */
			struct stat st;
			if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
				err = ELOOP;
			return result(r, STORE_DIR_NOT_DIR, err, "open directory");
		}
		return result(r, classify(err), err, "open directory");
	}
	*dirfd = fd;
	return result(r, STORE_OK, 0, NULL);
}

static void
config_name(char *out, size_t n, const char *mac)
{
	snprintf(out, n, "%s.json", mac);
}

static void
fill_info(struct store_file_info *info, const struct stat *st)
{
	info->ino = (uint64_t)st->st_ino;
	info->size = (int64_t)st->st_size;
	info->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	info->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	info->mtime = st->st_mtim.tv_sec;
}

/*
 * stat(2) of `name` in the directory, never following a symlink. On a
 * shared file system the file is opened and the opened file fstat'ed, so
 * the answer is the server's, not a cached one (a symlink, a FIFO or a
 * name that cannot be opened reads as missing). -1 with errno on failure.
 */
static int
stat_name(int dirfd, const char *name, struct stat *st, bool shared)
{
	if (!shared)
		return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fstat(fd, st);
	int err = errno;
	close(fd);
	errno = err;
	return rc;
}

int
store_read(int dirfd, const char *mac, struct buf *out, struct store_file_info *info,
           struct store_result *r)
{
	char name[64];
	config_name(name, sizeof name, mac);
	return store_read_file(dirfd, name, out, info, r);
}

int
store_read_file(int dirfd, const char *name, struct buf *out, struct store_file_info *info,
                struct store_result *r)
{
	/* O_NONBLOCK: a FIFO planted under a config name must not hang the reader. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return result(r, STORE_NOT_FOUND, ENOENT, "open config");
		return sys_fail(r, "open config");
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		sys_fail(r, "stat config");
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return result(r, STORE_NOT_REGULAR, 0, "open config");
	}
	if ((uint64_t)st.st_size > STORE_READ_MAX) {
		close(fd);
		return result(r, STORE_TOO_LARGE, EFBIG, "read config");
	}
	out->len = 0;
	if (buf_reserve(out, (size_t)st.st_size + 1) != 0) {
		close(fd);
		return result(r, STORE_IO, ENOMEM, "read config");
	}
	for (;;) {
		if (out->len >= STORE_READ_MAX) {
			close(fd);
			return result(r, STORE_TOO_LARGE, EFBIG, "read config");
		}
		if (out->cap - out->len < 2 && buf_reserve(out, 4096) != 0) {
			close(fd);
			return result(r, STORE_IO, ENOMEM, "read config");
		}
		size_t want = out->cap - out->len - 1;
		ssize_t n = read(fd, out->data + out->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sys_fail(r, "read config");
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		/*
		 * A short read ending exactly at the size fstat gave is the end of
		 * the file: no further read(2) only to see it return 0. A file that
		 * grew meanwhile fills the request (there is room for one byte more
		 * than that size) and is read on.
		 */
		if ((size_t)n < want && out->len == (size_t)st.st_size)
			break;
	}
	out->data[out->len] = '\0';
	close(fd);
	if (info != NULL) {
		fill_info(info, &st);
		if (fsinfo_is_shared(dirfd))
			info->mtime = 0; /* the server's clock: no validator for this host */
	}
	return result(r, STORE_OK, 0, NULL);
}

static void
lock_name(char *out, size_t n, const char *mac)
{
	snprintf(out, n, ".%s.lock", mac);
}

/*
 * Takes the MAC's write lock; returns its descriptor (closing it unlocks)
 * or -1. Lock files are never removed by the service: removing a lock file
 * another writer may already have open is a race on NFS (its cached
 * attributes can hide the removal). On a local file system a lock file
 * is only ever created for a MAC that gets a config (see
 * answer_without_lock), so there are at most as many as MACs ever
 * written; on a shared one, also for each MAC a DELETE or a conditional
 * write names. If one is removed by hand while held,
 * the holder check below makes a late waiter start over on the new file.
 */
static int
lock_mac(int dirfd, const char *mac, bool create, bool wait, struct store_result *r)
{
	char name[64];
	lock_name(name, sizeof name, mac);
	int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0);
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = openat(dirfd, name, flags, (mode_t)store_mode);
		if (fd < 0) {
			/* A symlink here is not a config: report it as a storage error. */
			if (errno == ELOOP)
				result(r, STORE_IO, ELOOP, "open lock file");
			else
				sys_fail(r, "open lock file");
			return -1;
		}
		int rc;
		while ((rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR)
			;
		if (rc != 0 && errno != ESTALE) {
			sys_fail(r, "lock");
			close(fd);
			return -1;
		}
		struct stat held, named;
		if (rc == 0 && fstat(fd, &held) == 0 &&
		    fstatat(dirfd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_ino == named.st_ino && held.st_dev == named.st_dev)
			return fd;
		close(fd); /* removed meanwhile (ESTALE on NFS): take the current one */
	}
	result(r, STORE_IO, EAGAIN, "lock");
	return -1;
}

static void
unlock_mac(int lockfd)
{
	close(lockfd);
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Gives the new temp file its mode: that of the config it replaces less
 * what FILE_MODE does not grant, or FILE_MODE for a new config, whatever
 * the umask took away (store_set_mode).
 */
static int
set_temp_mode(int dirfd, const char *mac, int fd)
{
	char name[64];
	struct stat st;
	config_name(name, sizeof name, mac);
	unsigned mode = store_mode;
	if (stat_name(dirfd, name, &st, fsinfo_is_shared(dirfd)) == 0 && S_ISREG(st.st_mode))
		mode = store_replace_mode((unsigned)st.st_mode & 0777);
	return store_set_mode(fd, mode);
}

int
store_set_mode(int fd, unsigned mode)
{
	if (fchmod(fd, (mode_t)mode) != 0 && errno != EPERM && errno != ENOTSUP &&
	    errno != EOPNOTSUPP)
		return -1;
	return 0;
}

static int
create_temp(int dirfd, const char *mac, char *name, size_t n, struct store_result *r)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		unsigned rnd = 0;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			rnd = (unsigned)ts.tv_nsec ^ (unsigned)attempt;
		}
		snprintf(name, n, ".%s.json.%ld.%u.%08x.tmp", mac, (long)getpid(), ++store_temp_seq,
		         rnd);
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		                (mode_t)store_mode);
		if (fd >= 0) {
			if (set_temp_mode(dirfd, mac, fd) == 0)
				return fd;
			sys_fail(r, "set temp file mode");
			close(fd);
			unlinkat(dirfd, name, 0);
			return -1;
		}
		if (errno != EEXIST) {
			sys_fail(r, "create temp file");
			return -1;
		}
	}
	result(r, STORE_IO, EEXIST, "create temp file");
	return -1;
}

/*
 * Makes the directory entry just changed durable. Called once the change
 * is visible, so a failure cannot undo it: after STORE_DIR_SYNC_TRIES
 * failed attempts (a transient failure such as an interrupted call or a
 * lost round trip to a server gets another chance) the change is reported
 * as STORE_NOT_DURABLE, never as not made.
 */
static int
sync_dir(int dirfd, struct store_result *r)
{
	if (store_sync_dir(dirfd) == 0)
		return 0;
	return result(r, STORE_NOT_DURABLE, errno, "fsync directory");
}

int
store_sync_dir(int fd)
{
	for (int attempt = 0; attempt < STORE_DIR_SYNC_TRIES; attempt++) {
		if (fsync(fd) == 0)
			return 0;
		/* Some file systems cannot fsync a directory; the rename is all they offer. */
		if (errno == EINVAL || errno == ENOTSUP)
			return 0;
	}
	return -1;
}

/* With the lock held: read the current file and let the caller decide. */
static int
check_precondition(int dirfd, const char *mac, const struct store_precond *pre, bool *exists,
                   struct store_result *r)
{
	if (pre == NULL || pre->check == NULL) {
		char name[64];
		struct stat st;
		config_name(name, sizeof name, mac);
		*exists = stat_name(dirfd, name, &st, fsinfo_is_shared(dirfd)) == 0;
		return result(r, STORE_OK, 0, NULL);
	}
	struct store_result rr;
	const struct buf *current = pre->scratch;
	if (store_read(dirfd, mac, pre->scratch, pre->info, &rr) != 0) {
		if (rr.status != STORE_NOT_FOUND) {
			*r = rr;
			return -1;
		}
		current = NULL;
	}
	*exists = current != NULL;
	if (pre->check(current, pre->arg) != 0)
		return result(r, STORE_PRECONDITION, 0, "precondition");
	return result(r, STORE_OK, 0, NULL);
}

/*
 * With neither the config nor its lock file present, a change that needs
 * a config is answered without creating the lock file (so requests for
 * random MACs leave nothing behind): a precondition that refuses a missing
 * config, or a delete. Returns true when it answered (r says how). A
 * writer creating the config meanwhile is ordered after this answer.
 * Never on a shared file system, where "missing" may be a cached answer
 * older than another node's write: there the answer comes from under the
 * lock.
 */
static bool
answer_without_lock(int dirfd, const char *mac, const struct store_precond *pre, bool deleting,
                    struct store_result *r)
{
	if (fsinfo_is_shared(dirfd))
		return false;
	char name[64];
	struct stat st;
	config_name(name, sizeof name, mac);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return false;
	lock_name(name, sizeof name, mac);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return false;
	if (pre != NULL && pre->check != NULL && pre->check(NULL, pre->arg) != 0) {
		result(r, STORE_PRECONDITION, 0, "precondition");
		return true;
	}
	if (deleting) {
		result(r, STORE_NOT_FOUND, ENOENT, "remove config");
		return true;
	}
	return false;
}

/* Locks the MAC and checks the precondition; returns the lock, or -1. */
static int
begin_change(int dirfd, const char *mac, const struct store_precond *pre, bool deleting,
             bool *exists, struct store_result *r)
{
	if (answer_without_lock(dirfd, mac, pre, deleting, r))
		return -1;
	int lockfd = lock_mac(dirfd, mac, true, true, r);
	if (lockfd < 0)
		return -1;
	if (check_precondition(dirfd, mac, pre, exists, r) != 0) {
		unlock_mac(lockfd);
		return -1;
	}
	return lockfd;
}

/*
 * With the lock held: keeps the current version in the history before a
 * change replaces it. The entry is durable before the change is made, so
 * a crash in between leaves at worst an extra copy of a version that is
 * still current, never a missing one.
 */
static int
keep_history(int dirfd, const char *mac, bool exists, struct history_note *note, int *hfd,
             char hname[256], struct store_result *r)
{
	*hfd = -1;
	hname[0] = '\0';
	if (note == NULL)
		return 0;
	note->revision[0] = '\0';
	if (note->keep == 0 || !exists)
		return 0;
	return history_keep_current(dirfd, mac, note, hfd, hname, r);
}

/* After the change: prune the history, or drop the entry of a change not made. */
static void
end_history(int hfd, const char *hname, struct history_note *note, bool made)
{
	if (hfd < 0)
		return;
	if (made) {
		history_prune(hfd, note->keep);
	} else {
		history_forget(hfd, hname);
		note->revision[0] = '\0';
	}
	close(hfd);
}

/*
 * Writes the new version to a temp file, fsyncs it, makes the history
 * entry (hfd, when there is one) durable, then renames and fsyncs the
 * directory.
 */
static int
replace_config(int dirfd, const char *mac, const void *data, size_t len, int hfd,
               struct store_result *r)
{
	char tmp[128];
	int fd = create_temp(dirfd, mac, tmp, sizeof tmp, r);
	if (fd < 0)
		return -1;
	const char *failed = NULL;
	int err = 0;
	if (write_all(fd, data, len) != 0)
		failed = "write temp file";
	else if (fsync(fd) != 0)
		failed = "fsync temp file";
	if (failed != NULL)
		err = errno;
	/* close() reports deferred write errors on network file systems. */
	if (close(fd) != 0 && failed == NULL) {
		failed = "close temp file";
		err = errno;
	}
	struct store_result hr;
	if (failed == NULL && hfd >= 0 && history_commit(hfd, &hr) != 0) {
		failed = hr.op;
		err = hr.sys_errno;
	}
	char name[64];
	config_name(name, sizeof name, mac);
	if (failed == NULL && renameat(dirfd, tmp, dirfd, name) != 0) {
		failed = "rename temp file";
		err = errno;
	}
	if (failed != NULL) {
		/* Best effort: the temp file is ours; the start-up sweep catches a failure here. */
		if (unlinkat(dirfd, tmp, 0) != 0 && errno != ENOENT)
			err = err ? err : errno;
		return result(r, classify(err), err, failed);
	}
	return sync_dir(dirfd, r);
}

/* Makes the history entry (hfd, when there is one) durable, then removes the config. */
static int
remove_config(int dirfd, const char *mac, int hfd, struct store_result *r)
{
	if (hfd >= 0 && history_commit(hfd, r) != 0)
		return -1;
	char name[64];
	config_name(name, sizeof name, mac);
	if (unlinkat(dirfd, name, 0) != 0) {
		int err = errno;
		if (err == ENOENT)
			return result(r, STORE_NOT_FOUND, err, "remove config");
		return result(r, classify(err), err, "remove config");
	}
	return sync_dir(dirfd, r);
}

int
store_change(int dirfd, const char *mac, const void *data, size_t len,
             const struct store_precond *pre, struct history_note *note, bool *created,
             struct store_result *r)
{
	bool exists = false;
	if (note != NULL)
		note->revision[0] = '\0';
	int lockfd = begin_change(dirfd, mac, pre, data == NULL, &exists, r);
	if (lockfd < 0)
		return -1;
	int hfd;
	char hname[256];
	if (keep_history(dirfd, mac, exists, note, &hfd, hname, r) != 0) {
		unlock_mac(lockfd);
		return -1;
	}
	int rc = data != NULL ? replace_config(dirfd, mac, data, len, hfd, r)
	                      : remove_config(dirfd, mac, hfd, r);
	/* STORE_NOT_DURABLE: the change is made (and visible), so its history stays. */
	bool made = rc == 0 || r->status == STORE_NOT_DURABLE;
	end_history(hfd, hname, note, made);
	unlock_mac(lockfd);
	if (created != NULL && made && data != NULL)
		*created = !exists;
	if (rc != 0)
		return -1;
	return result(r, STORE_OK, 0, NULL);
}

int
store_write(int dirfd, const char *mac, const void *data, size_t len,
            const struct store_precond *pre, bool *created, struct store_result *r)
{
	return store_change(dirfd, mac, data != NULL ? data : "", len, pre, NULL, created, r);
}

int
store_delete(int dirfd, const char *mac, const struct store_precond *pre, struct store_result *r)
{
	return store_change(dirfd, mac, NULL, 0, pre, NULL, NULL, r);
}

/* A directory stream over dirfd (a duplicate, read from the top). */
static DIR *
open_stream(int dirfd, const char *op, struct store_result *r)
{
	int fd = dup(dirfd);
	if (fd < 0) {
		sys_fail(r, op);
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		sys_fail(r, op);
		close(fd);
		return NULL;
	}
	/* The duplicate shares dirfd's offset: start from the top. */
	rewinddir(d);
	return d;
}

static bool
stat_config(int dirfd, const char *name, struct store_file_info *info, bool shared)
{
	struct stat st;
	if (stat_name(dirfd, name, &st, shared) != 0 || !S_ISREG(st.st_mode))
		return false;
	fill_info(info, &st);
	return true;
}

bool
store_stat_config(int dirfd, const char *name, struct store_file_info *info)
{
	return stat_config(dirfd, name, info, fsinfo_is_shared(dirfd));
}

int
store_list(int dirfd, int (*each)(const char *name, const struct store_file_info *info, void *arg),
           void *arg, struct store_result *r)
{
	DIR *d = open_stream(dirfd, "list directory", r);
	if (d == NULL)
		return -1;
	bool shared = fsinfo_is_shared(dirfd);
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				sys_fail(r, "list directory");
				rc = -1;
			}
			break;
		}
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		size_t n = strlen(de->d_name);
		if (!mac_is_config_filename(de->d_name, n))
			continue;
		struct store_file_info info;
		if (!stat_config(dirfd, de->d_name, &info, shared))
			continue; /* removed meanwhile, or not a regular file */
		rc = each(de->d_name, &info, arg);
		if (rc != 0) {
			result(r, STORE_IO, 0, "list callback");
			break;
		}
	}
	closedir(d);
	if (rc == 0)
		result(r, STORE_OK, 0, NULL);
	return rc;
}

/* ".<canonical-mac>.json.<...>.tmp" -> mac copied into out. */
static bool
temp_file_mac(const char *name, char out[MAC_CANONICAL_LEN + 1])
{
	size_t n = strlen(name);
	if (n < 1 + MAC_CANONICAL_LEN + 6 + 4 || name[0] != '.' ||
	    strcmp(name + n - 4, ".tmp") != 0 ||
	    strncmp(name + 1 + MAC_CANONICAL_LEN, ".json.", 6) != 0)
		return false;
	char candidate[MAC_CANONICAL_LEN + 6];
	memcpy(candidate, name + 1, MAC_CANONICAL_LEN + 5);
	candidate[MAC_CANONICAL_LEN + 5] = '\0';
	if (!mac_is_config_filename(candidate, MAC_CANONICAL_LEN + 5))
		return false;
	memcpy(out, candidate, MAC_CANONICAL_LEN);
	out[MAC_CANONICAL_LEN] = '\0';
	return true;
}

int
store_sweep_temps(int dirfd, unsigned *removed, struct store_result *r)
{
	*removed = 0;
	DIR *d = open_stream(dirfd, "sweep directory", r);
	if (d == NULL)
		return -1;
	/* A shared file system's times come from another clock: go by the lock alone. */
	bool by_age = !fsinfo_is_shared(dirfd);
	time_t now = time(NULL);
	for (;;) {
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		char mac[MAC_CANONICAL_LEN + 1];
		if (!temp_file_mac(de->d_name, mac))
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		bool stale = by_age && now - st.st_mtim.tv_sec > STORE_TEMP_MAX_AGE;
		int lockfd = -1;
		if (!stale) {
			struct store_result lr;
			lockfd = lock_mac(dirfd, mac, false, false, &lr);
			/*
			 * No lock file means no writer ever took it: nobody owns the
			 * temp. Not on a shared file system, where "no such file" may
			 * be a cached answer: there only a lock taken says so.
			 */
			stale = lockfd >= 0 || (by_age && lr.sys_errno == ENOENT);
		}
		if (stale && unlinkat(dirfd, de->d_name, 0) == 0)
			(*removed)++;
		if (lockfd >= 0)
			unlock_mac(lockfd);
	}
	closedir(d);
	return result(r, STORE_OK, 0, NULL);
}

int
store_check_dir(const char *dir, struct store_result *r)
{
	if (dir == NULL)
		return result(r, STORE_NOT_CONFIGURED, 0, "ESP32_CONFIGS_DIR");
	struct stat st;
	if (lstat(dir, &st) != 0) {
		int err = errno;
		if (err == ENOENT)
			return result(r, STORE_DIR_MISSING, err, "stat directory");
		if (err == ENOTDIR)
			return result(r, STORE_DIR_MISSING, err, "stat directory");
		return result(r, classify(err), err, "stat directory");
	}
	if (S_ISLNK(st.st_mode))
		return result(r, STORE_DIR_NOT_DIR, ELOOP, "symlink");
	if (!S_ISDIR(st.st_mode))
		return result(r, STORE_DIR_NOT_DIR, ENOTDIR, "stat directory");
	if (faccessat(AT_FDCWD, dir, R_OK | X_OK, AT_EACCESS) != 0)
		return result(r, STORE_ACCESS, errno, "read");
	if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) != 0)
		return result(r, STORE_ACCESS, errno, "write");
	return result(r, STORE_OK, 0, NULL);
}
