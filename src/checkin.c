/*
 * checkin.c: the fetch notes of checkin.h, and the per-process memory that
 * keeps writing them rare.
 *
 * Why one file per MAC, replaced whole by rename, and nothing more:
 *   - A reader opens a name and gets a complete note, old or new, never a
 *     mix: rename(2) replaces the name atomically, on a local disk and on
 *     NFS/CephFS alike, so no lock and no checksum is needed, and no
 *     writer ever waits for another (the last rename wins; all of them
 *     carry the same kind of truth, so any winner is right).
 *   - Each note is small and independent: a device is noted without
 *     reading or rewriting anyone else's, and the notes of several nodes
 *     sharing the directory meet in the same files.
 *   - No fsync: a note lost in a crash costs one interval of staleness and
 *     the device's next fetch writes it again. The device's answer never
 *     waits for the disk.
 *   - The temp file has one name per process (".tmp-" and a random token),
 *     reused for every write, so a process that dies leaves at most one;
 *     checkin_each removes those older than a day (no writer takes that
 *     long, whatever the clocks of the nodes say).
 *   - A note older than 90 days (7 for a fetch of a missing config, which
 *     anyone can make for any MAC) is removed when the notes are listed. The
 *     removal races with a write of that MAC only when a device silent for
 *     90 days fetches at that instant; its note then comes back at its
 *     next write (within one interval).
 *
 * The rate limit is per process (checkin_due): an open-addressing table of
 * MAC -> (time of the last write, ETag written). Every doubt means "write":
 * a process that just started, a MAC it forgot (the table starts again
 * beyond CHECKIN_MEMORY_MAX), a held ETag other than the one it wrote.
 * The time is the monotonic clock's, so a clock step neither stops noting
 * nor makes it write at every fetch.
 *
 * Process-owned state: that table, the temp name, when the last failure
 * was logged, and how many fetches of missing configs this interval noted.
 */
#include "checkin.h"

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

#include "log.h"
#include "metrics.h"

#define NOTE_MAGIC "iotconfig-fetch 1"

/* --- text ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 (RFC 3629 section 4). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong form */
		if (c == 0xED)
			hi = 0x9F; /* no surrogate */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90; /* no overlong form */
		if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

void
checkin_clean_text(const char *in, size_t max, char *out)
{
	const unsigned char *p = (const unsigned char *)(in != NULL ? in : "");
	size_t n = strlen((const char *)p), o = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			i++;
			continue;
		}
		size_t len = utf8_len(p + i, n - i);
		const char *piece = len > 0 ? (const char *)p + i : "?";
		size_t plen = len > 0 ? len : 1;
		if (o + plen > max)
			break; /* never half a character */
		memcpy(out + o, piece, plen);
		o += plen;
		i += len > 0 ? len : 1;
	}
	out[o] = '\0';
}

size_t
checkin_format(const struct checkin_note *note, char out[CHECKIN_NOTE_MAX])
{
	_Static_assert(sizeof NOTE_MAGIC + 21 + DIGEST_HEX_LEN + CHECKIN_ADDR_MAX + CHECKIN_UA_MAX +
	                               sizeof "authenticated" + 6 <
	                       CHECKIN_NOTE_MAX,
	               "a note always fits");
	int n = snprintf(out, CHECKIN_NOTE_MAX, "%s\n%lld\n%s\n%s\n%s\n%s\n", NOTE_MAGIC,
	                 (long long)note->at, note->has_etag ? note->etag : "-", note->addr,
	                 note->user_agent, note->authenticated ? "authenticated" : "-");
	return n > 0 ? (size_t)n : 0;
}

static bool
is_etag_hex(const char *s, size_t n)
{
	if (n != DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool
checkin_parse(const char *mac, const char *data, size_t len, struct checkin_note *out)
{
	/*
	 * Six lines, each ended by '\n', nothing after the sixth; or five,
	 * written before device secrets (an unauthenticated fetch).
	 */
	const char *line[6];
	size_t llen[6];
	const char *p = data, *end = data + len;
	int lines = 0;
	for (; lines < 6 && p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return false;
		line[lines] = p;
		llen[lines] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (lines < 5 || p != end || llen[0] != strlen(NOTE_MAGIC) ||
	    memcmp(line[0], NOTE_MAGIC, llen[0]) != 0)
		return false;
	memset(out, 0, sizeof *out);
	if (lines == 6) {
		if (llen[5] == strlen("authenticated") &&
		    memcmp(line[5], "authenticated", llen[5]) == 0)
			out->authenticated = true;
		else if (llen[5] != 1 || line[5][0] != '-')
			return false;
	}
	snprintf(out->mac, sizeof out->mac, "%s", mac);
	char num[24];
	if (llen[1] == 0 || llen[1] >= sizeof num)
		return false;
	memcpy(num, line[1], llen[1]);
	num[llen[1]] = '\0';
	char *e = NULL;
	errno = 0;
	long long at = strtoll(num, &e, 10);
	if (errno != 0 || *e != '\0' || num[0] < '0' || num[0] > '9')
		return false;
	out->at = at;
	if (llen[2] == 1 && line[2][0] == '-') {
		out->has_etag = false;
	} else if (is_etag_hex(line[2], llen[2])) {
		out->has_etag = true;
		memcpy(out->etag, line[2], DIGEST_HEX_LEN);
		out->etag[DIGEST_HEX_LEN] = '\0';
	} else {
		return false;
	}
	char text[CHECKIN_NOTE_MAX];
	if (llen[3] >= sizeof text || llen[4] >= sizeof text)
		return false;
	memcpy(text, line[3], llen[3]);
	text[llen[3]] = '\0';
	checkin_clean_text(text, CHECKIN_ADDR_MAX, out->addr);
	memcpy(text, line[4], llen[4]);
	text[llen[4]] = '\0';
	checkin_clean_text(text, CHECKIN_UA_MAX, out->user_agent);
	return true;
}

/* --- the per-process rate limit -------------------------------------- */

struct seen {
	uint64_t key; /* the MAC's value + 1; 0: a free slot */
	int64_t at_ms;
	bool has_etag;
	bool authenticated;
	char etag[DIGEST_HEX_LEN + 1];
};

static struct seen *seen_table;
static size_t seen_cap, seen_used; /* cap: a power of two, or 0 */

void
checkin_forget(void)
{
	free(seen_table);
	seen_table = NULL;
	seen_cap = seen_used = 0;
}

static size_t
seen_slot(const struct seen *t, size_t cap, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
	while (t[i].key != 0 && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Doubles the table (or makes the first); false when memory is short. */
static bool
seen_grow(void)
{
	size_t cap = seen_cap ? seen_cap * 2 : 256;
	struct seen *t = calloc(cap, sizeof *t);
	if (t == NULL)
		return false;
	for (size_t i = 0; i < seen_cap; i++)
		if (seen_table[i].key != 0)
			t[seen_slot(t, cap, seen_table[i].key)] = seen_table[i];
	free(seen_table);
	seen_table = t;
	seen_cap = cap;
	return true;
}

bool
checkin_due(uint64_t mac_value, const char *etag_hex, bool authenticated, int64_t now_ms,
            unsigned interval_s)
{
	uint64_t key = mac_value + 1;
	if (seen_used >= CHECKIN_MEMORY_MAX)
		checkin_forget(); /* start again: the worst is one more write per MAC */
	if (2 * (seen_used + 1) > seen_cap && !seen_grow())
		return true;
	struct seen *s = &seen_table[seen_slot(seen_table, seen_cap, key)];
	if (s->key == key) {
		bool same = (etag_hex == NULL ? !s->has_etag
		                              : s->has_etag && strcmp(s->etag, etag_hex) == 0) &&
		            s->authenticated == authenticated;
		if (same && now_ms - s->at_ms < (int64_t)interval_s * 1000)
			return false;
	} else {
		s->key = key;
		seen_used++;
	}
	s->at_ms = now_ms;
	s->has_etag = etag_hex != NULL;
	s->authenticated = authenticated;
	snprintf(s->etag, sizeof s->etag, "%s", etag_hex != NULL ? etag_hex : "");
	return true;
}

/* --- the files --------------------------------------------------------- */

static int
fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

/* Opens .fetches (creating it when asked), never through a symlink. */
static int
open_fetches(int dirfd, bool create, struct store_result *r)
{
	int fd = openat(dirfd, CHECKIN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, CHECKIN_DIR, store_dir_mode()) != 0 && errno != EEXIST)
			return fail(r, "create fetch notes directory");
		fd = openat(dirfd, CHECKIN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return fail(r, "open fetch notes directory");
	return fd;
}

/* ".tmp-" and 16 hex digits, the same for the life of the process. */
static const char *
temp_name(void)
{
	static char name[32];
	if (name[0] == '\0') {
		uint64_t v = 0;
		if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
			v = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
		snprintf(name, sizeof name, ".tmp-%016llx", (unsigned long long)v);
	}
	return name;
}

int
checkin_write(int dirfd, const struct checkin_note *note, struct store_result *r)
{
	char text[CHECKIN_NOTE_MAX];
	size_t len = checkin_format(note, text);
	int fdir = open_fetches(dirfd, true, r);
	if (fdir < 0)
		return -1;
	const char *tmp = temp_name();
	int fd = openat(fdir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	                store_file_mode());
	if (fd < 0) {
		fail(r, "create fetch note");
		close(fdir);
		return -1;
	}
	const char *op = NULL;
	/* FILE_MODE exactly, as for configs: not less the umask, and a
	 * reused temp file from before a change of the setting gets it too. */
	ssize_t w;
	if (store_set_mode(fd, store_file_mode()) != 0) {
		op = "set fetch note mode";
	} else if ((w = write(fd, text, len)) != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC; /* a short write of a few hundred bytes: the disk is full */
		op = "write fetch note";
	}
	if (close(fd) != 0 && op == NULL)
		op = "close fetch note";
	if (op == NULL && renameat(fdir, tmp, fdir, note->mac) != 0)
		op = "rename fetch note";
	if (op != NULL) {
		fail(r, op);
		int saved = errno;
		unlinkat(fdir, tmp, 0);
		errno = saved;
		close(fdir);
		return -1;
	}
	close(fdir);
	return store_result_set(r, STORE_OK, 0, NULL);
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Failures since the last log line, and when that was (monotonic ms; 0: never). */
static uint64_t fail_unlogged;
static int64_t fail_logged_ms;
/* Notes of fetches of missing configs written since missing_since_ms. */
static unsigned missing_written;
static int64_t missing_since_ms;

void
checkin_seen(const char *configs_dir, unsigned interval_s, const char *mac, const char *etag_hex,
             bool authenticated, const char *remote_addr, const char *user_agent)
{
	if (interval_s == 0)
		return;
	int64_t now_ms = monotonic_ms();
	if (etag_hex == NULL) { /* a fetch of a missing config: see CHECKIN_MISSING_MAX */
		if (missing_since_ms == 0 ||
		    now_ms - missing_since_ms >= (int64_t)interval_s * 1000) {
			missing_since_ms = now_ms;
			missing_written = 0;
		}
		if (missing_written >= CHECKIN_MISSING_MAX)
			return;
	}
	if (!checkin_due(mac_value(mac), etag_hex, authenticated, now_ms, interval_s))
		return;
	if (etag_hex == NULL)
		missing_written++;
	struct checkin_note note;
	memset(&note, 0, sizeof note);
	snprintf(note.mac, sizeof note.mac, "%s", mac);
	note.at = (int64_t)time(NULL);
	note.has_etag = etag_hex != NULL;
	note.authenticated = authenticated;
	if (etag_hex != NULL)
		snprintf(note.etag, sizeof note.etag, "%s", etag_hex);
	checkin_clean_text(remote_addr, CHECKIN_ADDR_MAX, note.addr);
	checkin_clean_text(user_agent, CHECKIN_UA_MAX, note.user_agent);

	struct store_result r;
	int dirfd;
	int rc = store_open_dir(configs_dir, &dirfd, &r);
	if (rc == 0) {
		rc = checkin_write(dirfd, &note, &r);
		close(dirfd);
	}
	metrics_checkin_write(rc == 0);
	if (rc == 0)
		return;
	fail_unlogged++;
	if (fail_logged_ms == 0 || now_ms - fail_logged_ms >= (int64_t)interval_s * 1000) {
		log_msg(LOG_WARN,
		        "fetch note not written mac=%s op=\"%s\" errno=\"%s\" failures=%llu "
		        "(the device was answered; logged at most once per %u s)",
		        mac, r.op ? r.op : "-", r.sys_errno ? strerror(r.sys_errno) : "-",
		        (unsigned long long)fail_unlogged, interval_s);
		fail_logged_ms = now_ms;
		fail_unlogged = 0;
	}
}

/* Is the note too old to keep: 90 days, or 7 for a fetch of a missing config? */
static bool
expired(const struct checkin_note *note, int64_t now)
{
	return now - note->at > (note->has_etag ? CHECKIN_MAX_AGE : CHECKIN_MISSING_MAX_AGE);
}

/* Reads .fetches/<name> (a regular file, not through a symlink) into buf. */
static int
read_note(int fdir, const char *name, char buf[CHECKIN_NOTE_MAX], size_t *len)
{
	int fd = openat(fdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	ssize_t n = read(fd, buf, CHECKIN_NOTE_MAX);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int
checkin_read(int dirfd, const char *mac, int64_t now, struct checkin_note *out,
             struct store_result *r)
{
	int fdir = open_fetches(dirfd, false, r);
	if (fdir < 0)
		return r->sys_errno == ENOENT ? (store_result_set(r, STORE_OK, 0, NULL), 0) : -1;
	char buf[CHECKIN_NOTE_MAX];
	size_t len;
	int rc = read_note(fdir, mac, buf, &len);
	if (rc != 0) {
		int err = errno;
		close(fdir);
		if (err == ENOENT || err == EINVAL || err == ELOOP)
			return 0; /* no note (or not one of ours) */
		errno = err;
		return fail(r, "read fetch note");
	}
	close(fdir);
	if (!checkin_parse(mac, buf, len, out) || expired(out, now))
		return 0;
	return 1;
}

static int
by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

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

/* The MACs that have a note in fdir, sorted, into *out (malloc'ed) and *n. */
static int
note_macs(int fdir, int64_t now, uint64_t **out, size_t *n, struct store_result *r)
{
	*out = NULL;
	*n = 0;
	int fd = dup(fdir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		fail(r, "list fetch notes");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint64_t *macs = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = fail(r, "list fetch notes");
			break;
		}
		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			sweep_temp(fdir, de->d_name, now);
			continue;
		}
		if (!is_note_name(de->d_name))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			uint64_t *grown = realloc(macs, ncap * sizeof *macs);
			if (grown == NULL) {
				errno = ENOMEM;
				rc = fail(r, "list fetch notes");
				break;
			}
			macs = grown;
			cap = ncap;
		}
		macs[count++] = mac_value(de->d_name);
	}
	closedir(d);
	if (rc != 0) {
		free(macs);
		return -1;
	}
	if (count > 1)
		qsort(macs, count, sizeof *macs, by_value);
	*out = macs;
	*n = count;
	return 0;
}

int
checkin_each(int dirfd, int64_t now, int (*each)(const struct checkin_note *note, void *arg),
             void *arg, struct store_result *r)
{
	int fdir = open_fetches(dirfd, false, r);
	if (fdir < 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	uint64_t *macs;
	size_t n;
	if (note_macs(fdir, now, &macs, &n, r) != 0) {
		close(fdir);
		return -1;
	}
	store_result_set(r, STORE_OK, 0, NULL);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char mac[MAC_CANONICAL_LEN + 1], buf[CHECKIN_NOTE_MAX];
		size_t len;
		struct checkin_note note;
		mac_from_value(macs[i], mac);
		if (read_note(fdir, mac, buf, &len) != 0 || !checkin_parse(mac, buf, len, &note))
			continue; /* gone meanwhile, or not a note of ours */
		if (expired(&note, now)) {
			unlinkat(fdir, mac, 0);
			continue;
		}
		rc = each(&note, arg);
	}
	free(macs);
	close(fdir);
	return rc;
}
