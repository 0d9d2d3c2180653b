/*
 * checkin.c: the fetch notes' files (checkin.h).
 *
 * Why one file per MAC, replaced whole by rename, and nothing more:
 *   - A reader opens a name and gets a complete note, old or new, never a
 *     mix: rename(2) replaces the name atomically, on a local disk and on
 *     NFS/CephFS alike, so no lock and no checksum is needed, and no
 *     writer ever waits for another.
 *   - A write reads the note first and changes only its own client's line
 *     (checkin_update). Two writers of one MAC at the same instant: the
 *     last rename wins and the other's change is lost; the loser's client
 *     then finds its line stale at its next fetch and writes it again, so
 *     a lost change costs at most one poll.
 *   - Each note is small and independent: a device is noted without
 *     reading or rewriting anyone else's, and the notes of several nodes
 *     sharing the directory meet in the same files.
 *   - No fsync: a note lost in a crash costs one interval of staleness and
 *     the device's next fetch writes it again.
 *   - The temp file has one name per process (notefile.c: ".tmp-" and a
 *     random token, in .fetches, renamed into the note's own directory),
 *     reused for every write, so a process that dies leaves at most one;
 *     checkin_each removes those older than a day (no writer takes that
 *     long, whatever the clocks of the nodes say).
 *   - A note whose newest fetch is older than 90 days (7 without a config,
 *     which anyone can ask for) is removed when the notes are walked. The
 *     removal races with a write of that MAC only when a device silent for
 *     that long fetches at that instant; it is noted again at its next
 *     fetch.
 *   - The bound of the kinds without a config is a count of names (one
 *     readdir of at most about CHECKIN_MISSING_MAX names, only when a name
 *     is added), and "least recently written" is the files' modification
 *     time, which the file system keeps (on NFS, the server's clock): no
 *     index to keep in step, nothing to repair after a crash.
 *
 * Process-owned state: when the last failure was logged.
 */
#include "checkin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "notefile.h"

/* The directory of each kind, inside .fetches ("" is .fetches itself). */
static const char *const kind_dir[CHECKIN_KINDS] = {"", "waiting", "once"};

void
checkin_fetch_init(struct checkin_fetch *f, const char *mac, const char *etag_hex,
                   bool authenticated, const char *remote_addr, const char *user_agent)
{
	memset(f, 0, sizeof *f);
	snprintf(f->mac, sizeof f->mac, "%s", mac);
	f->has_etag = etag_hex != NULL;
	snprintf(f->etag, sizeof f->etag, "%s", etag_hex != NULL ? etag_hex : "");
	f->authenticated = authenticated;
	checkin_clean_text(remote_addr, CHECKIN_ADDR_MAX, f->addr);
	checkin_clean_text(user_agent, CHECKIN_UA_MAX, f->user_agent);
}

/* --- directories ---------------------------------------------------------- */

static int
fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

/* Opens name under dirfd as a directory (creating it when asked), never through a symlink. */
static int
open_subdir(int dirfd, const char *name, bool create)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, store_dir_mode()) != 0 && errno != EEXIST)
			return -1;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

/* The open directories of one walk or write: .fetches and each kind's (-1: not open). */
struct dirs {
	int top;
	int kind[CHECKIN_KINDS];
};

/* Opens .fetches; 0, or -1 with r set (ENOENT when it is missing and not created). */
static int
dirs_open(int dirfd, bool create, struct dirs *d, struct store_result *r)
{
	d->top = open_subdir(dirfd, CHECKIN_DIR, create);
	for (int k = 0; k < CHECKIN_KINDS; k++)
		d->kind[k] = -1;
	if (d->top < 0)
		return fail(r,
		            create ? "create fetch notes directory" : "open fetch notes directory");
	d->kind[CHECKIN_CONFIGURED] = d->top;
	return 0;
}

/* The directory of kind k, opened (and created when asked) on first use; -1 with errno. */
static int
dirs_kind(struct dirs *d, enum checkin_kind k, bool create)
{
	if (d->kind[k] < 0)
		d->kind[k] = open_subdir(d->top, kind_dir[k], create);
	return d->kind[k];
}

static void
dirs_close(struct dirs *d)
{
	for (int k = 1; k < CHECKIN_KINDS; k++)
		if (d->kind[k] >= 0)
			close(d->kind[k]);
	if (d->top >= 0)
		close(d->top);
}

static int64_t
max_age(enum checkin_kind k)
{
	return k == CHECKIN_CONFIGURED ? CHECKIN_MAX_AGE : CHECKIN_MISSING_MAX_AGE;
}

static bool
expired(const struct checkin_note *note, enum checkin_kind k, int64_t now)
{
	return now - checkin_newest(note) > max_age(k);
}

/* --- one note ---------------------------------------------------------- */

/*
 * Reads <name> in fdir into buf, never through a symlink. A walk reads
 * every note, so this is three system calls and no fstat: whatever is not
 * a regular file fails or reads as no note by itself (a directory:
 * EISDIR; a FIFO, opened without blocking: no bytes; a socket: ENXIO),
 * and a device node there would take root to make.
 */
static int
read_file(int fdir, const char *name, char buf[CHECKIN_NOTE_MAX], size_t *len)
{
	int fd = openat(fdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, CHECKIN_NOTE_MAX);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved == EISDIR || saved == EAGAIN ? EINVAL : saved;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/*
 * Reads mac's note of kind k: 1 found (parsed), 0 none or not a note of
 * ours, -1 with errno for a failure that may pass.
 */
static int
read_kind(struct dirs *d, enum checkin_kind k, const char *mac, struct checkin_note *out)
{
	int fdir = dirs_kind(d, k, false);
	if (fdir < 0)
		return errno == ENOENT ? 0 : -1;
	char buf[CHECKIN_NOTE_MAX];
	size_t len;
	if (read_file(fdir, mac, buf, &len) != 0)
		return errno == ENOENT || errno == EINVAL || errno == ELOOP ? 0 : -1;
	return checkin_parse(mac, buf, len, out) ? 1 : 0;
}

static int
write_note(struct dirs *d, enum checkin_kind k, const struct checkin_note *note,
           struct store_result *r)
{
	char text[CHECKIN_NOTE_MAX];
	size_t len = checkin_format(note, text);
	int fdir = dirs_kind(d, k, true);
	if (fdir < 0)
		return fail(r, "create fetch notes directory");
	return notefile_replace(d->top, fdir, note->mac, text, len, r);
}

int
checkin_write(int dirfd, enum checkin_kind kind, const struct checkin_note *note,
              struct store_result *r)
{
	struct dirs d;
	if (dirs_open(dirfd, true, &d, r) != 0)
		return -1;
	int rc = write_note(&d, kind, note, r);
	dirs_close(&d);
	return rc;
}

/* --- the bound ------------------------------------------------------------ */

/* Is name exactly a canonical MAC ("aa-bb-cc-dd-ee-ff")? */
static bool
is_note_name(const char *name)
{
	char canon[MAC_CANONICAL_LEN + 1];
	size_t n = strlen(name);
	return n == MAC_CANONICAL_LEN && mac_normalise(name, n, canon) && strcmp(canon, name) == 0;
}

/* A temp file of a writer that died long ago? */
static void
sweep_temp(int fdir, const char *name, int64_t now)
{
	struct stat st;
	if (fstatat(fdir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    now - (int64_t)st.st_mtim.tv_sec > CHECKIN_TEMP_MAX_AGE)
		unlinkat(fdir, name, 0);
}

/* One note's name in a listing: the MAC, its kind, and (for the bound) when it was written. */
struct name {
	uint64_t mac;
	int64_t mtime_ns;
	uint8_t kind;
};

struct names {
	struct name *v;
	size_t n, cap;
};

static int
names_add(struct names *l, uint64_t mac, enum checkin_kind k)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct name *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			errno = ENOMEM;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct name){.mac = mac, .kind = (uint8_t)k};
	return 0;
}

/*
 * Appends the notes' names in fdir (of kind k) to l; in .fetches itself
 * also sweeps old temp files when now > 0.
 */
static int
list_names(int fdir, enum checkin_kind k, int64_t now, struct names *l)
{
	int fd = dup(fdir);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		if (de == NULL) {
			rc = errno != 0 ? -1 : 0;
			break;
		}
		if (k == CHECKIN_CONFIGURED && now > 0 && notefile_is_temp(de->d_name)) {
			sweep_temp(fdir, de->d_name, now);
			continue;
		}
		if (is_note_name(de->d_name) && names_add(l, mac_value(de->d_name), k) != 0) {
			rc = -1;
			break;
		}
	}
	int saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

static int
by_age(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return (x->mac > y->mac) - (x->mac < y->mac);
}

/*
 * Keeps the names from start on in l (all in fdir) within max: when there
 * are more, removes the least recently written down to seven eighths of
 * max, and drops them from l. A name gone meanwhile counts as removed.
 */
static void
cut_to_bound(int fdir, struct names *l, size_t start, unsigned max)
{
	size_t n = l->n - start;
	if (n <= max)
		return;
	struct name *v = l->v + start;
	for (size_t i = 0; i < n; i++) {
		char mac[MAC_CANONICAL_LEN + 1];
		struct stat st;
		mac_from_value(v[i].mac, mac);
		v[i].mtime_ns =
		        fstatat(fdir, mac, &st, AT_SYMLINK_NOFOLLOW) == 0
		                ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec
		                : INT64_MIN; /* gone: first out */
	}
	qsort(v, n, sizeof *v, by_age);
	size_t keep = max - max / 8, drop = n - keep;
	for (size_t i = 0; i < drop; i++) {
		char mac[MAC_CANONICAL_LEN + 1];
		mac_from_value(v[i].mac, mac);
		unlinkat(fdir, mac, 0);
	}
	memmove(v, v + drop, keep * sizeof *v);
	l->n = start + keep;
}

/* A name was added to kind k: keeps it within max. */
static void
keep_bound(struct dirs *d, enum checkin_kind k, unsigned max)
{
	int fdir = dirs_kind(d, k, false);
	struct names l = {0};
	if (fdir >= 0 && list_names(fdir, k, 0, &l) == 0)
		cut_to_bound(fdir, &l, 0, max);
	free(l.v);
}

/* --- noting a fetch --------------------------------------------------------- */

int
checkin_note_fetch(int dirfd, const struct checkin_limits *lim, const struct checkin_fetch *f,
                   int64_t now, struct store_result *r)
{
	if (lim->interval_s == 0 || (!f->has_etag && lim->missing_max == 0))
		return store_result_set(r, STORE_OK, 0, NULL);
	struct dirs d;
	if (dirs_open(dirfd, true, &d, r) != 0)
		return -1;
	/* Where the MAC's note is: look where it most likely is first. */
	static const enum checkin_kind served[] = {CHECKIN_CONFIGURED, CHECKIN_WAITING,
	                                           CHECKIN_ONCE};
	static const enum checkin_kind missing[] = {CHECKIN_WAITING, CHECKIN_ONCE,
	                                            CHECKIN_CONFIGURED};
	const enum checkin_kind *order = f->has_etag ? served : missing;
	struct checkin_note note;
	int found = -1; /* the kind the note was found in */
	for (int i = 0; i < CHECKIN_KINDS && found < 0; i++) {
		int rc = read_kind(&d, order[i], f->mac, &note);
		if (rc < 0) {
			fail(r, "read fetch note");
			dirs_close(&d);
			return -1;
		}
		if (rc == 1)
			found = (int)order[i];
	}
	if (found < 0 || expired(&note, (enum checkin_kind)found, now)) {
		memset(&note, 0, sizeof note);
		snprintf(note.mac, sizeof note.mac, "%s", f->mac);
	}
	checkin_drop_older(&note, now, CHECKIN_MAX_AGE);
	int who = checkin_update(&note, f, now, lim->interval_s);
	if (who < 0) {
		dirs_close(&d);
		return store_result_set(r, STORE_OK, 0, NULL);
	}
	enum checkin_kind to = CHECKIN_CONFIGURED;
	if (!f->has_etag)
		to = found == CHECKIN_WAITING || checkin_regular(&note.client[who], lim->interval_s)
		             ? CHECKIN_WAITING
		             : CHECKIN_ONCE;
	if (write_note(&d, to, &note, r) != 0) {
		dirs_close(&d);
		return -1;
	}
	if (found >= 0 && found != (int)to)
		unlinkat(d.kind[found], f->mac, 0);
	if (to != CHECKIN_CONFIGURED && found != (int)to)
		keep_bound(&d, to, lim->missing_max);
	dirs_close(&d);
	return 1;
}

/* Failures since the last log line, and when that was (monotonic ms; 0: never). */
static uint64_t fail_unlogged;
static int64_t fail_logged_ms;

void
checkin_seen(const char *configs_dir, const struct checkin_limits *lim,
             const struct checkin_fetch *f)
{
	if (lim->interval_s == 0)
		return;
	struct store_result r;
	int dirfd;
	int rc = store_open_dir(configs_dir, &dirfd, &r);
	if (rc == 0) {
		rc = checkin_note_fetch(dirfd, lim, f, (int64_t)time(NULL), &r);
		close(dirfd);
	}
	if (rc == 0)
		return; /* nothing was due */
	metrics_checkin_write(rc > 0);
	if (rc > 0)
		return;
	fail_unlogged++;
	int64_t now_ms = clock_ms(CLOCK_MONOTONIC);
	if (fail_logged_ms == 0 || now_ms - fail_logged_ms >= (int64_t)lim->interval_s * 1000) {
		log_msg(LOG_WARN,
		        "fetch note not written mac=%s op=\"%s\" errno=\"%s\" failures=%llu "
		        "(the device was answered; logged at most once per %u s)",
		        f->mac, r.op ? r.op : "-", r.sys_errno ? strerror(r.sys_errno) : "-",
		        (unsigned long long)fail_unlogged, lim->interval_s);
		fail_logged_ms = now_ms;
		fail_unlogged = 0;
	}
}

/* --- reading ------------------------------------------------------------------ */

int
checkin_read(int dirfd, const char *mac, int64_t now, struct checkin_note *out,
             enum checkin_kind *kind, struct store_result *r)
{
	struct dirs d;
	if (dirs_open(dirfd, false, &d, r) != 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int rc = 0;
	for (int k = 0; k < CHECKIN_KINDS && rc == 0; k++) {
		rc = read_kind(&d, (enum checkin_kind)k, mac, out);
		if (rc < 0)
			fail(r, "read fetch note");
		else if (rc == 1 && expired(out, (enum checkin_kind)k, now))
			rc = 0;
		else if (rc == 1 && kind != NULL)
			*kind = (enum checkin_kind)k;
	}
	dirs_close(&d);
	return rc < 0 ? -1 : (store_result_set(r, STORE_OK, 0, NULL), rc);
}

int
checkin_drop(int dirfd, const char *mac, struct store_result *r)
{
	struct dirs d;
	if (dirs_open(dirfd, false, &d, r) != 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int rc = 0;
	for (int k = 0; k < CHECKIN_KINDS; k++) {
		int fdir = dirs_kind(&d, (enum checkin_kind)k, false);
		if ((fdir < 0 && errno != ENOENT) ||
		    (fdir >= 0 && unlinkat(fdir, mac, 0) != 0 && errno != ENOENT))
			rc = fail(r, "remove fetch note");
	}
	dirs_close(&d);
	return rc < 0 ? -1 : store_result_set(r, STORE_OK, 0, NULL);
}

static int
by_mac_kind(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	if (x->mac != y->mac)
		return x->mac < y->mac ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/* Does any client of the note hold an ETag? */
static bool
holds_etag(const struct checkin_note *note)
{
	for (size_t i = 0; i < note->n; i++)
		if (note->client[i].has_etag)
			return true;
	return false;
}

/* Every note's name, kinds without a config cut to their bound, sorted by MAC. */
static int
walk_names(struct dirs *d, int64_t now, unsigned missing_max, struct names *l)
{
	if (list_names(d->top, CHECKIN_CONFIGURED, now, l) != 0)
		return -1;
	for (int k = CHECKIN_WAITING; k < CHECKIN_KINDS; k++) {
		int fdir = dirs_kind(d, (enum checkin_kind)k, false);
		if (fdir < 0 && errno == ENOENT)
			continue;
		size_t start = l->n;
		if (fdir < 0 || list_names(fdir, (enum checkin_kind)k, now, l) != 0)
			return -1;
		cut_to_bound(fdir, l, start, missing_max);
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, by_mac_kind);
	return 0;
}

int
checkin_each(int dirfd, int64_t now, unsigned missing_max,
             int (*each)(const struct checkin_note *note, void *arg), void *arg,
             struct store_result *r)
{
	struct dirs d;
	if (dirs_open(dirfd, false, &d, r) != 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	struct names l = {0};
	if (walk_names(&d, now, missing_max, &l) != 0) {
		fail(r, "list fetch notes");
		free(l.v);
		dirs_close(&d);
		return -1;
	}
	store_result_set(r, STORE_OK, 0, NULL);
	int rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		if (i > 0 && l.v[i].mac == l.v[i - 1].mac)
			continue; /* in two kinds for a moment: the first one holds */
		enum checkin_kind k = (enum checkin_kind)l.v[i].kind;
		char mac[MAC_CANONICAL_LEN + 1];
		struct checkin_note note;
		mac_from_value(l.v[i].mac, mac);
		if (read_kind(&d, k, mac, &note) != 1)
			continue; /* gone meanwhile, or not a note of ours */
		if (expired(&note, k, now)) {
			unlinkat(d.kind[k], mac, 0);
			continue;
		}
		if (k == CHECKIN_CONFIGURED && !holds_etag(&note)) {
			/* A fetch of a missing config noted before the kinds existed. */
			int once = dirs_kind(&d, CHECKIN_ONCE, true);
			if (once >= 0 && renameat(d.top, mac, once, mac) == 0)
				continue; /* counted with "once" from the next walk on */
		}
		rc = each(&note, arg);
	}
	free(l.v);
	dirs_close(&d);
	return rc;
}
