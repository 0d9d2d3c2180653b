/*
 * changeset.c: the .changes directory (changeset.h). Every name opened is
 * built here from an id that passed changeset_id_valid, relative to the
 * directory's descriptor, never through a symlink.
 */
#include "changeset.h"

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

#define TEMP_MAX_AGE 3600 /* seconds before a record's temp file is abandoned */

static int
sys_fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

static unsigned
random32(void)
{
	unsigned v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 16);
	}
	return v;
}

/*
 * The hex part starts with the microseconds within the second (20 bits),
 * then 12 random bits: ids sort by time also within one second (a change
 * and its undo), and two made in the same microsecond still differ.
 */
void
changeset_new_id(char out[CHANGESET_ID_LEN + 1])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
	unsigned usec = (unsigned)(ts.tv_nsec / 1000);
	snprintf(out, CHANGESET_ID_LEN + 1, "%.15s-%08x", when,
	         (usec << 12) | (random32() & 0xfffu));
}

bool
changeset_id_valid(const char *s)
{
	static const char shape[] = "dddddddd-dddddd-xxxxxxxx";
	_Static_assert(sizeof shape - 1 == CHANGESET_ID_LEN, "the shape is an id");
	for (size_t i = 0; i < CHANGESET_ID_LEN; i++) {
		char c = s[i];
		bool ok = shape[i] == '-'   ? c == '-'
		          : shape[i] == 'd' ? c >= '0' && c <= '9'
		                            : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		if (!ok)
			return false;
	}
	return s[CHANGESET_ID_LEN] == '\0';
}

/* The .changes directory, created when asked; -1 with STORE_NOT_FOUND when missing. */
static int
open_changes(int dirfd, bool create, struct store_result *r)
{
	int fd = openat(dirfd, CHANGESET_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, CHANGESET_DIR, (mode_t)store_dir_mode()) == 0) {
			if (store_sync_dir(dirfd) != 0) {
				sys_fail(r, "fsync config directory");
				return -1;
			}
		} else if (errno != EEXIST) {
			sys_fail(r, "create changes directory");
			return -1;
		}
		fd = openat(dirfd, CHANGESET_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			store_result_set(r, STORE_NOT_FOUND, ENOENT, "open changes directory");
		else if (errno == ELOOP || errno == ENOTDIR)
			store_result_set(r, STORE_IO, errno, "open changes directory");
		else
			sys_fail(r, "open changes directory");
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
changeset_write(int dirfd, const char *id, const void *data, size_t len, struct store_result *r)
{
	if (!changeset_id_valid(id))
		return store_result_set(r, STORE_NOT_FOUND, 0, "change id");
	int cfd = open_changes(dirfd, true, r);
	if (cfd < 0)
		return -1;
	char temp[64], name[64];
	snprintf(temp, sizeof temp, ".%s.%08x.tmp", id, random32());
	snprintf(name, sizeof name, "%s.json", id);
	int rc = -1;
	int fd = openat(cfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	                (mode_t)store_file_mode());
	if (fd < 0) {
		sys_fail(r, "create change record");
	} else if (store_set_mode(fd, store_file_mode()) != 0 || write_all(fd, data, len) != 0) {
		sys_fail(r, "write change record");
	} else if (fsync(fd) != 0) {
		sys_fail(r, "fsync change record");
	} else if (renameat(cfd, temp, cfd, name) != 0) {
		sys_fail(r, "rename change record");
	} else if (store_sync_dir(cfd) != 0) {
		store_result_set(r, STORE_NOT_DURABLE, errno, "fsync changes directory");
	} else {
		rc = store_result_set(r, STORE_OK, 0, NULL);
	}
	if (fd >= 0)
		close(fd);
	if (rc != 0 && r->status != STORE_NOT_DURABLE)
		unlinkat(cfd, temp, 0);
	close(cfd);
	return rc;
}

int
changeset_read(int dirfd, const char *id, struct buf *out, struct store_result *r)
{
	if (!changeset_id_valid(id))
		return store_result_set(r, STORE_NOT_FOUND, 0, "change id");
	int cfd = open_changes(dirfd, false, r);
	if (cfd < 0)
		return -1;
	char name[64];
	snprintf(name, sizeof name, "%s.json", id);
	int rc = store_read_file(cfd, name, out, NULL, r);
	close(cfd);
	return rc;
}

/* Newest first. */
static int
newest_first(const void *a, const void *b)
{
	return -strcmp(a, b);
}

/* Every record's id in cfd, sorted newest first (*ids malloc'ed). */
static int
read_ids(int cfd, char (**ids)[CHANGESET_ID_LEN + 1], size_t *n, struct store_result *r)
{
	*ids = NULL;
	*n = 0;
	int fd = dup(cfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return sys_fail(r, "list changes directory");
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len != CHANGESET_ID_LEN + 5 ||
		    strcmp(de->d_name + CHANGESET_ID_LEN, ".json") != 0)
			continue;
		char id[CHANGESET_ID_LEN + 1];
		memcpy(id, de->d_name, CHANGESET_ID_LEN);
		id[CHANGESET_ID_LEN] = '\0';
		if (!changeset_id_valid(id))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			char(*grown)[CHANGESET_ID_LEN + 1] = realloc(*ids, cap * sizeof **ids);
			if (grown == NULL) {
				closedir(d);
				free(*ids);
				*ids = NULL;
				*n = 0;
				return store_result_set(r, STORE_IO, ENOMEM,
				                        "list changes directory");
			}
			*ids = grown;
		}
		memcpy((*ids)[(*n)++], id, sizeof id);
	}
	closedir(d);
	if (*n > 1)
		qsort(*ids, *n, sizeof **ids, newest_first);
	return store_result_set(r, STORE_OK, 0, NULL);
}

int
changeset_list(int dirfd, size_t max, char (**ids)[CHANGESET_ID_LEN + 1], size_t *n,
               struct store_result *r)
{
	*ids = NULL;
	*n = 0;
	int cfd = open_changes(dirfd, false, r);
	if (cfd < 0)
		return r->status == STORE_NOT_FOUND ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int rc = read_ids(cfd, ids, n, r);
	close(cfd);
	if (rc == 0 && *n > max)
		*n = max;
	return rc;
}

void
changeset_prune(int dirfd, size_t keep)
{
	struct store_result r;
	int cfd = open_changes(dirfd, false, &r);
	if (cfd < 0)
		return;
	char(*ids)[CHANGESET_ID_LEN + 1];
	size_t n;
	if (read_ids(cfd, &ids, &n, &r) == 0) {
		for (size_t i = keep; i < n; i++) {
			char name[64];
			snprintf(name, sizeof name, "%s.json", ids[i]);
			unlinkat(cfd, name, 0);
		}
		free(ids);
	}
	/* Temp files of writers that died (none lives an hour). */
	int fd = dup(cfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	time_t now = time(NULL);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		if (de->d_name[0] != '.' || len < 5 || strcmp(de->d_name + len - 4, ".tmp") != 0 ||
		    fstatat(cfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (now - st.st_mtime > TEMP_MAX_AGE)
			unlinkat(cfd, de->d_name, 0);
	}
	if (d != NULL)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	close(cfd);
}
