/*
 * store.c: the config directory's files. All names are resolved relative
 * to a directory descriptor with O_NOFOLLOW, and every name is built from
 * a canonical MAC, so nothing outside the directory is ever read, created
 * or removed. What a change is (its checks, its history) is change.c's;
 * here are only the file steps it takes under the MAC's lock.
 *
 * A write is durable before it is visible: the bytes go to a fresh temp
 * file (O_CREAT|O_EXCL, never a fixed name), which is fsynced, renamed
 * over the target, and then the directory is fsynced so the rename itself
 * survives a power cut. Readers therefore see the old file or the new one,
 * never a mix. When that last fsync fails the new file is already in
 * place: the write is then reported as made but not durable
 * (STORE_NOT_DURABLE), never as failed. Writers of one MAC serialise on
 * flock(2) of its lock file; flock and rename within a directory are what
 * a shared file system (CephFS, NFSv4) must provide for several nodes to
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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filelock.h"
#include "fsinfo.h"
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
	case STORE_LOCKED:
		return "locked by another writer for too long";
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
	info->mode = (unsigned)st->st_mode & 0777;
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
 * store_known_absent), so there are at most as many as MACs ever
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
		int rc = filelock_exclusive(fd, fsinfo_is_shared(dirfd), wait);
		if (rc != 0 && errno == EWOULDBLOCK && wait) {
			result(r, STORE_LOCKED, EWOULDBLOCK, "lock");
			close(fd);
			return -1;
		}
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

int
store_set_mode(int fd, unsigned mode)
{
	if (fchmod(fd, (mode_t)mode) != 0 && errno != EPERM && errno != ENOTSUP &&
	    errno != EOPNOTSUPP)
		return -1;
	return 0;
}

static int
create_temp(int dirfd, const char *mac, unsigned mode, char *name, size_t n, struct store_result *r)
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
			if (store_set_mode(fd, mode) == 0)
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

int
store_lock(int dirfd, const char *mac, struct store_lock *lk, struct store_result *r)
{
	lk->shared = fsinfo_is_shared(dirfd);
	lk->fd = lock_mac(dirfd, mac, true, true, r);
	return lk->fd < 0 ? -1 : result(r, STORE_OK, 0, NULL);
}

void
store_unlock(struct store_lock *lk)
{
	if (lk->fd >= 0)
		unlock_mac(lk->fd);
	lk->fd = -1;
}

#define LOCK_VALUE_DIGITS 10

/*
 * The value is LOCK_VALUE_DIGITS decimal digits and a newline at the start
 * of the lock file; anything else (an empty file, from before the value
 * existed, or an edit by hand) reads as 0.
 */
uint64_t
store_lock_value(const struct store_lock *lk)
{
	char text[LOCK_VALUE_DIGITS + 1];
	ssize_t n;
	while ((n = pread(lk->fd, text, sizeof text, 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof text || text[LOCK_VALUE_DIGITS] != '\n')
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < LOCK_VALUE_DIGITS; i++) {
		if (text[i] < '0' || text[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	return v;
}

int
store_lock_set_value(struct store_lock *lk, uint64_t v, struct store_result *r)
{
	char text[LOCK_VALUE_DIGITS + 2];
	snprintf(text, sizeof text, "%010llu\n", (unsigned long long)(v % 10000000000ull));
	ssize_t n;
	while ((n = pwrite(lk->fd, text, LOCK_VALUE_DIGITS + 1, 0)) < 0 && errno == EINTR)
		;
	if (n != LOCK_VALUE_DIGITS + 1)
		return n < 0 ? sys_fail(r, "write lock file")
		             : result(r, STORE_IO, EIO, "write lock file");
	/*
	 * A local file system's readers see the value at once, and a crash
	 * that loses it loses nothing the directory does not show anyway; a
	 * shared one's server has it only once flushed.
	 */
	if (lk->shared && fdatasync(lk->fd) != 0)
		return sys_fail(r, "fsync lock file");
	return result(r, STORE_OK, 0, NULL);
}

bool
store_known_absent(int dirfd, const char *mac)
{
	if (fsinfo_is_shared(dirfd))
		return false;
	char name[64];
	struct stat st;
	config_name(name, sizeof name, mac);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return false;
	lock_name(name, sizeof name, mac);
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

void
store_compare(int dirfd, const char *mac, const void *data, size_t len, struct store_compare *out)
{
	char name[64];
	config_name(name, sizeof name, mac);
	out->exists = true;
	out->same = false;
	out->mode = -1;
	/* Opened, not stat'ed by name: on a shared file system this is the server's answer. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		out->exists = errno != ENOENT;
		return;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	out->mode = (int)(st.st_mode & 0777);
	if ((uint64_t)st.st_size != len) {
		close(fd);
		return;
	}
	const char *want = data;
	char chunk[8192];
	size_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, chunk, sizeof chunk, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (size_t)n > len - off || memcmp(chunk, want + off, (size_t)n) != 0)
			break;
		if (n == 0) {
			out->same = off == len;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
}

int
store_temp_write(int dirfd, const char *mac, const void *data, size_t len, int replaced_mode,
                 struct store_temp *t, struct store_result *r)
{
	unsigned mode =
	        replaced_mode < 0 ? store_mode : store_replace_mode((unsigned)replaced_mode);
	int fd = create_temp(dirfd, mac, mode, t->name, sizeof t->name, r);
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
	if (failed != NULL) {
		store_temp_discard(dirfd, t);
		return result(r, classify(err), err, failed);
	}
	return result(r, STORE_OK, 0, NULL);
}

int
store_write_file(int dirfd, const char *name, const void *data, size_t len, struct store_result *r)
{
	char tmp[320];
	int fd = -1;
	for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
		unsigned rnd = 0;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			rnd = (unsigned)attempt ^ (unsigned)getpid();
		int n = snprintf(tmp, sizeof tmp, ".%s.%ld.%u.%08x.tmp", name, (long)getpid(),
		                 ++store_temp_seq, rnd);
		if (n < 0 || (size_t)n >= sizeof tmp)
			return result(r, STORE_IO, ENAMETOOLONG, "create temp file");
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            (mode_t)store_mode);
		if (fd < 0 && errno != EEXIST)
			return sys_fail(r, "create temp file");
	}
	if (fd < 0)
		return result(r, STORE_IO, EEXIST, "create temp file");
	const char *failed = NULL;
	if (store_set_mode(fd, store_mode) != 0)
		failed = "set temp file mode";
	else if (write_all(fd, data, len) != 0)
		failed = "write temp file";
	else if (fsync(fd) != 0)
		failed = "fsync temp file";
	int err = failed != NULL ? errno : 0;
	if (close(fd) != 0 && failed == NULL) {
		failed = "close temp file";
		err = errno;
	}
	if (failed == NULL && renameat(dirfd, tmp, dirfd, name) != 0) {
		failed = "rename temp file";
		err = errno;
	}
	if (failed != NULL) {
		unlinkat(dirfd, tmp, 0);
		return result(r, classify(err), err, failed);
	}
	if (sync_dir(dirfd, r) != 0)
		return -1;
	return result(r, STORE_OK, 0, NULL);
}

bool
store_is_temp_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] == '.' && strcmp(name + n - 4, ".tmp") == 0;
}

void
store_temp_discard(int dirfd, struct store_temp *t)
{
	/* Best effort: the temp file is ours; the start-up sweep catches a failure here. */
	if (t->name[0] != '\0')
		unlinkat(dirfd, t->name, 0);
	t->name[0] = '\0';
}

int
store_temp_install(int dirfd, const char *mac, struct store_temp *t, struct store_result *r)
{
	char name[64];
	config_name(name, sizeof name, mac);
	if (renameat(dirfd, t->name, dirfd, name) != 0) {
		int err = errno;
		store_temp_discard(dirfd, t);
		return result(r, classify(err), err, "rename temp file");
	}
	t->name[0] = '\0';
	return sync_dir(dirfd, r);
}

int
store_remove(int dirfd, const char *mac, struct store_result *r)
{
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

/*
 * Looks at a config file. Only "no such name" and "not a regular file"
 * mean absent; any other failure is a doubt, which the caller resolves by
 * looking again later, never by dropping what it knew.
 */
static enum store_presence
stat_config(int dirfd, const char *name, struct store_file_info *info, bool shared)
{
	struct stat st;
	if (stat_name(dirfd, name, &st, shared) != 0)
		/* ELOOP: a symlink, which the shared path's open(2) refuses. */
		return errno == ENOENT || errno == ELOOP ? STORE_ABSENT : STORE_UNKNOWN;
	if (!S_ISREG(st.st_mode))
		return STORE_ABSENT;
	fill_info(info, &st);
	return STORE_PRESENT;
}

enum store_presence
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
		enum store_presence p = stat_config(dirfd, de->d_name, &info, shared);
		if (p == STORE_ABSENT)
			continue; /* removed meanwhile, or not a regular file */
		rc = each(de->d_name, p == STORE_PRESENT ? &info : NULL, arg);
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
