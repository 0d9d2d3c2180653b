/*
 * credential.c: the credential files of credential.h.
 *
 * Why a fast keyed hash and not a password hash (bcrypt, Argon2): those
 * are slow on purpose, to make guessing a low-entropy password from a
 * stolen hash expensive. Here every secret is 192 bits from getrandom:
 * nobody can guess it, with or without the hash, at any speed, so a slow
 * function would buy nothing and would cost every device fetch
 * milliseconds. HMAC-SHA256 keyed with a random salt per secret (nettle,
 * about a microsecond) makes the stored value useless for anything but
 * checking that one secret, and two files never share a value.
 *
 * Comparisons use nettle's memeql_sec, whose time does not depend on where
 * the bytes differ, and credential_verify always does the same work,
 * against a stand-in when there is no secret or no previous one, so the
 * time of an answer tells nothing about which it was.
 *
 * The file, one field per line:
 *   iotconfig-credential 1
 *   current <created> <salt hex> <hash hex>
 *   previous <created> <salt hex> <hash hex> <valid until>   or   previous -
 *   used current|previous <at> <address>                     or   used -
 * Times are seconds since the epoch, by the writer's clock.
 *
 * Process-owned state: none.
 */
#include "credential.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filelock.h"
#include "fsinfo.h"
#include "hex.h"
#include "notefile.h"

#define MAGIC        "iotconfig-credential 1"
#define SECRET_BYTES 24 /* random bytes of a secret: 32 base64url characters */
#define FILE_MODE    0600
#define DIR_MODE     0700
#define TEMP_MAX_AGE 86400 /* seconds before a temp file left by a writer that died goes */

_Static_assert(SECRET_BYTES * 4 / 3 == CREDENTIAL_SECRET_LEN, "no base64 padding");
_Static_assert(SECRET_BYTES * 8 >= 128, "at least 128 random bits");
_Static_assert(CREDENTIAL_HASH_SIZE == SHA256_DIGEST_SIZE, "an HMAC-SHA256");

/* --- pure parts ---------------------------------------------------------- */

static void
hash_secret(const uint8_t salt[CREDENTIAL_SALT_SIZE], const char *secret, size_t len,
            uint8_t out[CREDENTIAL_HASH_SIZE])
{
	struct hmac_sha256_ctx h;
	hmac_sha256_set_key(&h, CREDENTIAL_SALT_SIZE, salt);
	hmac_sha256_update(&h, len, (const uint8_t *)secret);
	hmac_sha256_digest(&h, CREDENTIAL_HASH_SIZE, out);
}

/* Stands in for a missing secret: no secret's HMAC is all zeros. */
static const struct credential_key no_key;

bool
credential_previous_valid(const struct credential *c, int64_t now)
{
	return c->has_previous && now < c->previous_until;
}

enum credential_which
credential_verify(const struct credential *c, const char *secret, size_t len, int64_t now)
{
	const struct credential_key *cur = c != NULL ? &c->current : &no_key;
	const struct credential_key *prev = c != NULL && c->has_previous ? &c->previous : &no_key;
	uint8_t h_cur[CREDENTIAL_HASH_SIZE], h_prev[CREDENTIAL_HASH_SIZE];
	hash_secret(cur->salt, secret, len, h_cur);
	hash_secret(prev->salt, secret, len, h_prev);
	int is_cur = memeql_sec(h_cur, cur->hash, CREDENTIAL_HASH_SIZE);
	int is_prev = memeql_sec(h_prev, prev->hash, CREDENTIAL_HASH_SIZE);
	if (c == NULL)
		return CREDENTIAL_NONE;
	if (is_cur)
		return CREDENTIAL_CURRENT;
	if (is_prev && credential_previous_valid(c, now))
		return CREDENTIAL_PREVIOUS;
	return CREDENTIAL_NONE;
}

/* An address as kept: the characters of IPv4/IPv6 (zone included) and no others. */
static void
clean_addr(const char *in, char out[CREDENTIAL_ADDR_MAX + 1])
{
	size_t o = 0;
	for (const char *p = in != NULL ? in : ""; *p && o < CREDENTIAL_ADDR_MAX; p++) {
		char ch = *p;
		bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') || ch == ':' || ch == '.' || ch == '%' ||
		          ch == '-' || ch == '_';
		if (ok)
			out[o++] = ch;
	}
	if (o == 0)
		out[o++] = '?';
	out[o] = '\0';
}

bool
credential_use_due(const struct credential *c, enum credential_which which, const char *addr,
                   int64_t now)
{
	if (which == CREDENTIAL_NONE)
		return false;
	if (which == CREDENTIAL_CURRENT && c->has_previous)
		return true;
	char clean[CREDENTIAL_ADDR_MAX + 1];
	clean_addr(addr, clean);
	if (c->used != which || strcmp(c->used_from, clean) != 0)
		return true;
	return now - c->used_at >= CREDENTIAL_USE_EVERY;
}

static void
put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool
get_hex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value((unsigned char)s[2 * i]);
		int lo = hex_value((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
		    (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
			return false;
		out[i] = (uint8_t)(hi * 16 + lo);
	}
	return true;
}

size_t
credential_format(const struct credential *c, char out[CREDENTIAL_FILE_MAX])
{
	char salt[2 * CREDENTIAL_SALT_SIZE + 1], hash[2 * CREDENTIAL_HASH_SIZE + 1];
	char psalt[2 * CREDENTIAL_SALT_SIZE + 1], phash[2 * CREDENTIAL_HASH_SIZE + 1];
	char prev[200], used[120];
	put_hex(salt, c->current.salt, CREDENTIAL_SALT_SIZE);
	put_hex(hash, c->current.hash, CREDENTIAL_HASH_SIZE);
	if (c->has_previous) {
		put_hex(psalt, c->previous.salt, CREDENTIAL_SALT_SIZE);
		put_hex(phash, c->previous.hash, CREDENTIAL_HASH_SIZE);
		snprintf(prev, sizeof prev, "%lld %s %s %lld", (long long)c->previous.created_at,
		         psalt, phash, (long long)c->previous_until);
	} else {
		snprintf(prev, sizeof prev, "-");
	}
	if (c->used != CREDENTIAL_NONE) {
		char addr[CREDENTIAL_ADDR_MAX + 1];
		clean_addr(c->used_from, addr);
		snprintf(used, sizeof used, "%s %lld %s",
		         c->used == CREDENTIAL_CURRENT ? "current" : "previous",
		         (long long)c->used_at, addr);
	} else {
		snprintf(used, sizeof used, "-");
	}
	int n = snprintf(out, CREDENTIAL_FILE_MAX, "%s\ncurrent %lld %s %s\nprevious %s\nused %s\n",
	                 MAGIC, (long long)c->current.created_at, salt, hash, prev, used);
	return n > 0 && n < CREDENTIAL_FILE_MAX ? (size_t)n : 0;
}

/* Splits line (n bytes) at single spaces into at most max words; returns how many. */
static size_t
split_words(const char *line, size_t n, const char *word[], size_t wlen[], size_t max)
{
	size_t count = 0, i = 0;
	while (i <= n) {
		size_t start = i;
		while (i < n && line[i] != ' ')
			i++;
		if (count == max)
			return max + 1;
		word[count] = line + start;
		wlen[count++] = i - start;
		i++;
	}
	return count;
}

static bool
word_is(const char *w, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

static bool
get_key(const char *w[], const size_t wl[], struct credential_key *k)
{
	return notefile_time(w[1], wl[1], &k->created_at) &&
	       get_hex(w[2], wl[2], k->salt, CREDENTIAL_SALT_SIZE) &&
	       get_hex(w[3], wl[3], k->hash, CREDENTIAL_HASH_SIZE);
}

bool
credential_parse(const char *mac, const char *data, size_t len, struct credential *out)
{
	const char *line[4];
	size_t llen[4];
	const char *p = data, *end = data + len;
	for (int i = 0; i < 4; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return false;
		line[i] = p;
		llen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (p != end || !word_is(line[0], llen[0], MAGIC))
		return false;
	memset(out, 0, sizeof *out);
	snprintf(out->mac, sizeof out->mac, "%s", mac);
	const char *w[6];
	size_t wl[6];
	if (split_words(line[1], llen[1], w, wl, 6) != 4 || !word_is(w[0], wl[0], "current") ||
	    !get_key(w, wl, &out->current))
		return false;
	size_t n = split_words(line[2], llen[2], w, wl, 6);
	if (n < 2 || !word_is(w[0], wl[0], "previous"))
		return false;
	if (n == 2 && word_is(w[1], wl[1], "-")) {
		out->has_previous = false;
	} else if (n == 5 && get_key(w, wl, &out->previous) &&
	           notefile_time(w[4], wl[4], &out->previous_until)) {
		out->has_previous = true;
	} else {
		return false;
	}
	n = split_words(line[3], llen[3], w, wl, 6);
	if (n < 2 || !word_is(w[0], wl[0], "used"))
		return false;
	if (n == 2 && word_is(w[1], wl[1], "-")) {
		out->used = CREDENTIAL_NONE;
	} else if (n == 4 && notefile_time(w[2], wl[2], &out->used_at) &&
	           wl[3] <= CREDENTIAL_ADDR_MAX) {
		if (word_is(w[1], wl[1], "current"))
			out->used = CREDENTIAL_CURRENT;
		else if (word_is(w[1], wl[1], "previous"))
			out->used = CREDENTIAL_PREVIOUS;
		else
			return false;
		char addr[CREDENTIAL_ADDR_MAX + 1];
		memcpy(addr, w[3], wl[3]);
		addr[wl[3]] = '\0';
		clean_addr(addr, out->used_from);
	} else {
		return false;
	}
	return true;
}

/* --- the files ------------------------------------------------------------- */

static int
fail(struct store_result *r, const char *op)
{
	int err = errno;
	return store_result_set(r, store_classify(err), err, op);
}

/*
 * Opens .credentials, never through a symlink. For a write (create), makes
 * it when missing and sets its mode 0700 either way: a directory restored
 * from a backup or made by hand is made private by the next secret written.
 */
static int
open_dir(int dirfd, bool create, struct store_result *r)
{
	int fd = openat(dirfd, CREDENTIAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, CREDENTIAL_DIR, DIR_MODE) != 0 && errno != EEXIST)
			return fail(r, "create credentials directory");
		fd = openat(dirfd, CREDENTIAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return fail(r, "open credentials directory");
	if (create && store_set_mode(fd, DIR_MODE) != 0) {
		fail(r, "set credentials directory mode");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads mac's credential at name relative to at (or name itself, when
 * absolute): 1 found (and parsed), 0 none, -1 with r set. Three system
 * calls, since a device fetch pays for them: no fstat, as nothing but a
 * regular file of ours reads as a credential (a directory fails the read,
 * a FIFO opened without blocking reads nothing, and neither parses).
 */
static int
read_at(int at, const char *name, const char *mac, struct credential *out, struct store_result *r)
{
	int fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return store_result_set(r, STORE_OK, 0, NULL);
		return fail(r, "open credential");
	}
	char buf[CREDENTIAL_FILE_MAX];
	ssize_t n = read(fd, buf, sizeof buf);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return fail(r, "read credential");
	}
	/*
	 * A file that is not ours is a storage error, never "no secret": in
	 * per-device mode that would open the device to anyone.
	 */
	if (!credential_parse(mac, buf, (size_t)n, out))
		return store_result_set(r, STORE_IO, EINVAL, "parse credential");
	store_result_set(r, STORE_OK, 0, NULL);
	return 1;
}

/* Reads cdir/<mac>. */
static int
read_in(int cdir, const char *mac, struct credential *out, struct store_result *r)
{
	return read_at(cdir, mac, mac, out, r);
}

int
credential_read(int dirfd, const char *mac, struct credential *out, struct store_result *r)
{
	char name[sizeof CREDENTIAL_DIR + MAC_CANONICAL_LEN + 1];
	snprintf(name, sizeof name, "%s/%s", CREDENTIAL_DIR, mac);
	return read_at(dirfd, name, mac, out, r);
}

int
credential_read_path(const char *configs_dir, const char *mac, struct credential *out,
                     struct store_result *r)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s/%s", configs_dir, CREDENTIAL_DIR, mac);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return fail(r, "open credential");
	}
	return read_at(AT_FDCWD, path, mac, out, r);
}

bool
credential_exists(int dirfd, const char *mac)
{
	char path[sizeof CREDENTIAL_DIR + MAC_CANONICAL_LEN + 1];
	snprintf(path, sizeof path, "%s/%s", CREDENTIAL_DIR, mac);
	struct stat st;
	return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* Takes mac's lock in cdir; returns its descriptor (closing it unlocks) or -1. */
static int
lock_mac(int cdir, const char *mac, struct store_result *r)
{
	char name[MAC_CANONICAL_LEN + 8];
	snprintf(name, sizeof name, ".%s.lock", mac);
	int fd = openat(cdir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return fail(r, "open credential lock");
	if (filelock_exclusive(fd, fsinfo_is_shared(cdir), true) != 0) {
		if (errno == EWOULDBLOCK)
			store_result_set(r, STORE_LOCKED, EWOULDBLOCK, "lock credential");
		else
			fail(r, "lock credential");
		close(fd);
		return -1;
	}
	return fd;
}

static int
random_bytes(void *out, size_t n)
{
	/* Up to 256 bytes come whole once the pool is ready (getrandom(2)). */
	ssize_t got;
	while ((got = getrandom(out, n, 0)) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)n) {
		if (got >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Replaces cdir/<mac> with c: a temp file (0600), written, fsync'ed when
 * durable, renamed over the name, and the directory fsync'ed when durable.
 */
static int
write_in(int cdir, const struct credential *c, bool durable, struct store_result *r)
{
	char text[CREDENTIAL_FILE_MAX];
	size_t len = credential_format(c, text);
	uint64_t token;
	if (len == 0 || random_bytes(&token, sizeof token) != 0) {
		errno = len == 0 ? EINVAL : errno;
		return fail(r, "format credential");
	}
	char tmp[64];
	snprintf(tmp, sizeof tmp, ".%s.tmp-%016llx", c->mac, (unsigned long long)token);
	int fd = openat(cdir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return fail(r, "create credential");
	const char *op = NULL;
	ssize_t w;
	if (store_set_mode(fd, FILE_MODE) != 0) {
		op = "set credential mode";
	} else if ((w = write(fd, text, len)) != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC;
		op = "write credential";
	} else if (durable && fsync(fd) != 0) {
		op = "fsync credential";
	}
	if (close(fd) != 0 && op == NULL)
		op = "close credential";
	if (op == NULL && renameat(cdir, tmp, cdir, c->mac) != 0)
		op = "rename credential";
	if (op != NULL) {
		fail(r, op);
		int saved = errno;
		unlinkat(cdir, tmp, 0);
		errno = saved;
		return -1;
	}
	if (durable && store_sync_dir(cdir) != 0) {
		int err = errno;
		return store_result_set(r, STORE_NOT_DURABLE, err, "fsync credentials directory");
	}
	return store_result_set(r, STORE_OK, 0, NULL);
}

static int
encode_secret(const uint8_t bytes[SECRET_BYTES], char out[CREDENTIAL_SECRET_LEN + 1])
{
	struct base64_encode_ctx b64;
	base64url_encode_init(&b64);
	char text[BASE64_ENCODE_LENGTH(SECRET_BYTES) + BASE64_ENCODE_FINAL_LENGTH];
	size_t n = base64_encode_update(&b64, text, SECRET_BYTES, bytes);
	n += base64_encode_final(&b64, text + n);
	if (n != CREDENTIAL_SECRET_LEN)
		return -1;
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}

int
credential_create(int dirfd, const char *mac, int64_t now, unsigned overlap_s,
                  char secret_out[CREDENTIAL_SECRET_LEN + 1], struct credential *out, bool *rotated,
                  struct store_result *r)
{
	*rotated = false;
	uint8_t bytes[SECRET_BYTES];
	struct credential_key key = {.created_at = now};
	if (random_bytes(bytes, sizeof bytes) != 0 || random_bytes(key.salt, sizeof key.salt) != 0)
		return fail(r, "make secret");
	if (encode_secret(bytes, secret_out) != 0) {
		errno = EINVAL;
		return fail(r, "encode secret");
	}
	memset(bytes, 0, sizeof bytes);
	hash_secret(key.salt, secret_out, CREDENTIAL_SECRET_LEN, key.hash);

	int cdir = open_dir(dirfd, true, r);
	if (cdir < 0)
		return -1;
	int lockfd = lock_mac(cdir, mac, r);
	if (lockfd < 0) {
		close(cdir);
		return -1;
	}
	struct credential old;
	int found = read_in(cdir, mac, &old, r);
	int rc = -1;
	if (found >= 0) {
		memset(out, 0, sizeof *out);
		snprintf(out->mac, sizeof out->mac, "%s", mac);
		out->current = key;
		if (found == 1) {
			*rotated = true;
			/*
			 * The secret kept for the overlap is the one the device
			 * uses: the previous one when that is what it presented
			 * last (a second rotation before it took up the first),
			 * else the current one.
			 */
			bool on_previous = old.used == CREDENTIAL_PREVIOUS &&
			                   credential_previous_valid(&old, now);
			if (overlap_s > 0) {
				out->has_previous = true;
				out->previous = on_previous ? old.previous : old.current;
				out->previous_until = now + (int64_t)overlap_s;
			}
			if (old.used != CREDENTIAL_NONE && out->has_previous &&
			    (old.used == CREDENTIAL_CURRENT || on_previous)) {
				out->used = CREDENTIAL_PREVIOUS;
				out->used_at = old.used_at;
				memcpy(out->used_from, old.used_from, sizeof out->used_from);
			}
		}
		rc = write_in(cdir, out, true, r);
	}
	close(lockfd);
	close(cdir);
	return rc;
}

int
credential_revoke(int dirfd, const char *mac, struct store_result *r)
{
	int cdir = open_dir(dirfd, false, r);
	if (cdir < 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int lockfd = lock_mac(cdir, mac, r);
	if (lockfd < 0) {
		close(cdir);
		return -1;
	}
	int rc = 1;
	if (unlinkat(cdir, mac, 0) != 0)
		rc = errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL)
		                     : fail(r, "remove credential");
	else if (store_sync_dir(cdir) != 0)
		rc = store_result_set(r, STORE_NOT_DURABLE, errno, "fsync credentials directory");
	else
		store_result_set(r, STORE_OK, 0, NULL);
	close(lockfd);
	close(cdir);
	return rc;
}

int
credential_note_use(int dirfd, const char *mac, const uint8_t hash[CREDENTIAL_HASH_SIZE],
                    const char *addr, int64_t now, struct store_result *r)
{
	int cdir = open_dir(dirfd, false, r);
	if (cdir < 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int lockfd = lock_mac(cdir, mac, r);
	if (lockfd < 0) {
		close(cdir);
		return -1;
	}
	struct credential c;
	int rc = read_in(cdir, mac, &c, r);
	if (rc == 1) {
		enum credential_which which = CREDENTIAL_NONE;
		if (memeql_sec(hash, c.current.hash, CREDENTIAL_HASH_SIZE))
			which = CREDENTIAL_CURRENT;
		else if (c.has_previous && memeql_sec(hash, c.previous.hash, CREDENTIAL_HASH_SIZE))
			which = CREDENTIAL_PREVIOUS;
		rc = 0;
		/* Replaced, revoked or already noted by someone else meanwhile: nothing to do. */
		if (credential_use_due(&c, which, addr, now)) {
			if (which == CREDENTIAL_CURRENT || !credential_previous_valid(&c, now))
				c.has_previous = false;
			c.used = which;
			c.used_at = now;
			clean_addr(addr, c.used_from);
			rc = write_in(cdir, &c, false, r);
		}
	}
	close(lockfd);
	close(cdir);
	return rc;
}

static int
by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool
is_mac_name(const char *name)
{
	char canon[MAC_CANONICAL_LEN + 1];
	size_t n = strlen(name);
	return n == MAC_CANONICAL_LEN && mac_normalise(name, n, canon) && strcmp(canon, name) == 0;
}

/* A temp file of a writer that died long ago? */
static void
sweep_temp(int cdir, const char *name)
{
	struct stat st;
	if (strstr(name, ".tmp-") != NULL && fstatat(cdir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && time(NULL) - st.st_mtim.tv_sec > TEMP_MAX_AGE)
		unlinkat(cdir, name, 0);
}

/* The sorted MACs of cdir's credential files, sweeping dead writers' temp files. */
static int
list_macs(int cdir, uint64_t **out, size_t *n, struct store_result *r)
{
	*out = NULL;
	*n = 0;
	int fd = dup(cdir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return fail(r, "list credentials");
	}
	uint64_t *macs = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = fail(r, "list credentials");
			break;
		}
		if (de->d_name[0] == '.') {
			sweep_temp(cdir, de->d_name);
			continue;
		}
		if (!is_mac_name(de->d_name))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint64_t *grown = realloc(macs, ncap * sizeof *macs);
			if (grown == NULL) {
				errno = ENOMEM;
				rc = fail(r, "list credentials");
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
	return store_result_set(r, STORE_OK, 0, NULL);
}

int
credential_macs(int dirfd, uint64_t **macs, size_t *count, struct store_result *r)
{
	*macs = NULL;
	*count = 0;
	int cdir = open_dir(dirfd, false, r);
	if (cdir < 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	int rc = list_macs(cdir, macs, count, r);
	close(cdir);
	return rc;
}

bool
credential_in(const uint64_t *macs, size_t count, uint64_t mac)
{
	return count > 0 && bsearch(&mac, macs, count, sizeof *macs, by_value) != NULL;
}

int
credential_each(int dirfd, int (*each)(const struct credential *c, void *arg), void *arg,
                struct store_result *r)
{
	int cdir = open_dir(dirfd, false, r);
	if (cdir < 0)
		return r->sys_errno == ENOENT ? store_result_set(r, STORE_OK, 0, NULL) : -1;
	uint64_t *macs;
	size_t count;
	int rc = list_macs(cdir, &macs, &count, r);
	for (size_t i = 0; i < count && rc == 0; i++) {
		char mac[MAC_CANONICAL_LEN + 1];
		struct credential c;
		struct store_result ignored;
		mac_from_value(macs[i], mac);
		if (read_in(cdir, mac, &c, &ignored) == 1)
			rc = each(&c, arg);
	}
	free(macs);
	close(cdir);
	return rc;
}
