/*
 * fwnote.c: the device notes of fwnote.h. The file format and the state
 * rules are pure functions (unit tested); the files are written like the
 * fetch notes (checkin.c, by notefile.c): one temp name per process,
 * renamed over the note, no fsync, no lock. Notes of one device come from its own requests,
 * which it makes one at a time, so the read-merge-write of one request
 * does not race with another's; where two did (a device on two nodes at
 * once), the later rename wins and the next request notes again.
 */
#include "fwnote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notefile.h"

#define NOTE_MAGIC "iotconfig-firmware 1"
#define NOTE_LINES 8

const char *
fwnote_state_name(enum fwnote_state s)
{
	static const char *const names[FWNOTE_STATE_COUNT] = {
	        [FWNOTE_CURRENT] = "current",         [FWNOTE_BEHIND] = "behind",
	        [FWNOTE_DOWNLOADING] = "downloading", [FWNOTE_FAILED] = "failed",
	        [FWNOTE_UNKNOWN] = "unknown",
	};
	return (unsigned)s < FWNOTE_STATE_COUNT ? names[s] : "unknown";
}

size_t
fwnote_format(const struct fwnote *n, char out[FWNOTE_MAX])
{
	int len = snprintf(out, FWNOTE_MAX, "%s\n%s\n%lld\n%s\n%lld\n%s\n%lld\n%lld\n", NOTE_MAGIC,
	                   n->model, (long long)n->seen_at, n->reported[0] ? n->reported : "-",
	                   (long long)n->reported_at, n->download[0] ? n->download : "-",
	                   (long long)n->started_at, (long long)n->completed_at);
	return len > 0 && len < FWNOTE_MAX ? (size_t)len : 0;
}

/* A version line: "-" for none, else a valid version. */
static bool
parse_version(const char *s, size_t n, char out[FIRMWARE_VERSION_MAX + 1])
{
	if (n == 1 && s[0] == '-') {
		out[0] = '\0';
		return true;
	}
	if (n == 0 || n > FIRMWARE_VERSION_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return firmware_version_valid(out);
}

bool
fwnote_parse(const char *mac, const char *data, size_t len, struct fwnote *out)
{
	const char *line[NOTE_LINES];
	size_t llen[NOTE_LINES];
	const char *p = data, *end = data + len;
	for (int i = 0; i < NOTE_LINES; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return false;
		line[i] = p;
		llen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (p != end || llen[0] != strlen(NOTE_MAGIC) || memcmp(line[0], NOTE_MAGIC, llen[0]) != 0)
		return false;
	memset(out, 0, sizeof *out);
	snprintf(out->mac, sizeof out->mac, "%s", mac);
	if (llen[1] == 0 || llen[1] > FIRMWARE_MODEL_MAX)
		return false;
	memcpy(out->model, line[1], llen[1]);
	out->model[llen[1]] = '\0';
	return firmware_model_valid(out->model) && notefile_time(line[2], llen[2], &out->seen_at) &&
	       parse_version(line[3], llen[3], out->reported) &&
	       notefile_time(line[4], llen[4], &out->reported_at) &&
	       parse_version(line[5], llen[5], out->download) &&
	       notefile_time(line[6], llen[6], &out->started_at) &&
	       notefile_time(line[7], llen[7], &out->completed_at);
}

const char *
fwnote_running(const struct fwnote *n)
{
	if (n->reported[0] != '\0')
		return n->reported;
	if (n->download[0] != '\0' && n->completed_at > 0)
		return n->download;
	return "";
}

enum fwnote_state
fwnote_state(const struct fwnote *n, const char *target, int64_t now, unsigned fail_after)
{
	if (n == NULL)
		return FWNOTE_UNKNOWN;
	bool completed = n->download[0] != '\0' && n->completed_at > 0;
	const char *running = fwnote_running(n);
	if (running[0] != '\0' && strcmp(running, target) == 0)
		return FWNOTE_CURRENT;
	if (strcmp(n->download, target) == 0) {
		int64_t since = completed ? n->completed_at : n->started_at;
		if (now - since < (int64_t)fail_after)
			return FWNOTE_DOWNLOADING;
		/* Completed long ago, and no report of the target since. */
		if (completed)
			return FWNOTE_FAILED;
		return FWNOTE_BEHIND; /* a download given up */
	}
	return running[0] != '\0' ? FWNOTE_BEHIND : FWNOTE_UNKNOWN;
}

bool
fwnote_merge(struct fwnote *n, const struct fwnote_event *ev, int64_t now, unsigned interval_s)
{
	struct fwnote before = *n;
	snprintf(n->model, sizeof n->model, "%s", ev->model);
	if (ev->reported != NULL && ev->reported[0] != '\0') {
		snprintf(n->reported, sizeof n->reported, "%s", ev->reported);
		n->reported_at = now;
	}
	if (ev->download != NULL) {
		bool same = strcmp(n->download, ev->download) == 0;
		if (ev->first_byte || !same) {
			snprintf(n->download, sizeof n->download, "%s", ev->download);
			n->started_at = now;
			n->completed_at = 0;
		}
		if (ev->last_byte)
			n->completed_at = now;
	}
	n->seen_at = now;
	bool changed = strcmp(before.model, n->model) != 0 ||
	               strcmp(before.reported, n->reported) != 0 ||
	               strcmp(before.download, n->download) != 0 ||
	               before.started_at != n->started_at || before.completed_at != n->completed_at;
	/* A report after a completed download is news even when its words repeat. */
	bool report_news = ev->reported != NULL && ev->reported[0] != '\0' &&
	                   before.completed_at > 0 && before.reported_at <= before.completed_at;
	return changed || report_news || now - before.seen_at >= (int64_t)interval_s;
}

/* --- files ------------------------------------------------------------- */

static int
fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

static int
open_devices(int dirfd, bool create, struct store_result *r)
{
	int fwfd;
	if (firmware_open_root(dirfd, create, &fwfd, r) != 0)
		return -1;
	int fd =
	        openat(fwfd, FIRMWARE_DEVICES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(fwfd, FIRMWARE_DEVICES_DIR, store_dir_mode()) != 0 && errno != EEXIST) {
			fail(r, "create firmware notes directory");
			close(fwfd);
			return -1;
		}
		fd = openat(fwfd, FIRMWARE_DEVICES_DIR,
		            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			store_result_set(r, STORE_NOT_FOUND, ENOENT,
			                 "open firmware notes directory");
		else
			fail(r, "open firmware notes directory");
	}
	close(fwfd);
	return fd;
}

int
fwnote_read(int dirfd, const char *mac, struct fwnote *out, struct store_result *r)
{
	int fd_dir = open_devices(dirfd, false, r);
	if (fd_dir < 0)
		return r->status == STORE_NOT_FOUND ? (store_result_set(r, STORE_OK, 0, NULL), 0)
		                                    : -1;
	int fd = openat(fd_dir, mac, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(fd_dir);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return store_result_set(r, STORE_OK, 0, NULL), 0;
		return fail(r, "read firmware note");
	}
	char buf[FWNOTE_MAX];
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, buf, sizeof buf);
	close(fd);
	store_result_set(r, STORE_OK, 0, NULL);
	return n > 0 && fwnote_parse(mac, buf, (size_t)n, out) ? 1 : 0;
}

int
fwnote_write(int dirfd, const struct fwnote *n, struct store_result *r)
{
	char text[FWNOTE_MAX];
	size_t len = fwnote_format(n, text);
	int fd_dir = open_devices(dirfd, true, r);
	if (fd_dir < 0)
		return -1;
	int rc = notefile_replace(fd_dir, fd_dir, n->mac, text, len, r);
	close(fd_dir);
	return rc;
}
