/*
 * tarball.c: reading and writing archives of configs with libarchive
 * (tarball.h). The reader supports the tar formats and the gzip filter
 * only (no other format or compressor reaches libarchive's code), reads
 * from memory, and judges each header before it reads a byte of data.
 */
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum tarball_status fail(struct tarball_read *out, enum tarball_status st, const char *fmt,
                                ...) __attribute__((format(printf, 3, 4)));

static enum tarball_status
fail(struct tarball_read *out, enum tarball_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof out->why, fmt, ap);
	va_end(ap);
	return st;
}

/* A name as a message may quote it: printable ASCII, cut to fit. */
static void
shown(char *dst, size_t cap, const char *name)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 1 < cap; p++)
		dst[o++] = (*p >= 0x20 && *p < 0x7f && *p != '\'') ? (char)*p : '?';
	if (name[0] != '\0' && o + 1 >= cap && o >= 3)
		memcpy(dst + o - 3, "...", 3);
	dst[o] = '\0';
}

enum kind { KIND_CONFIG, KIND_IGNORED, KIND_BAD_PATH, KIND_OTHER_NAME };

/*
 * What a name stands for; for a config, *base is its last component.
 * A leading "./" (any number) is dropped, empty components skipped.
 */
static enum kind
classify_name(const char *name, const char **base)
{
	if (name[0] == '/')
		return KIND_BAD_PATH;
	bool hidden = false;
	const char *last = NULL;
	for (const char *p = name; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return KIND_BAD_PATH;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (p[0] == '.')
				hidden = true;
			last = p;
		}
		p += n + (slash ? 1 : 0);
	}
	if (hidden || last == NULL)
		return KIND_IGNORED;
	*base = last;
	return KIND_CONFIG;
}

/* "<mac>.json" as the last component: the canonical MAC into mac. */
static bool
config_mac(const char *base, char mac[MAC_CANONICAL_LEN + 1])
{
	size_t n = strlen(base);
	if (strchr(base, '/') != NULL || n < 6 || strcmp(base + n - 5, ".json") != 0)
		return false;
	return mac_normalise(base, n - 5, mac);
}

static enum tarball_status
read_config(struct archive *a, struct archive_entry *e, const char *name, size_t size,
            struct tarball_read *out, const struct tarball_limits *lim, size_t *cap)
{
	char where[128];
	shown(where, sizeof where, name);
	const char *base = NULL;
	struct tarball_config c;
	memset(&c, 0, sizeof c);
	classify_name(name, &base);
	if (!config_mac(base, c.mac))
		return fail(out, TARBALL_REFUSED,
		            "entry '%s' is not named <mac>.json (a MAC address, then .json)",
		            where);
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->configs[i].mac, c.mac) == 0)
			return fail(out, TARBALL_REFUSED,
			            "entries '%s' and '%s' are both the config of %s",
			            out->configs[i].entry, where, c.mac);
	if (out->n >= lim->configs_max)
		return fail(out, TARBALL_TOO_LARGE, "the archive holds more than %zu configs",
		            lim->configs_max);
	snprintf(c.entry, sizeof c.entry, "%s", where);
	c.mtime = archive_entry_mtime(e);
	c.data = malloc(size + 1);
	if (c.data == NULL)
		return TARBALL_NOMEM;
	while (c.len < size) {
		la_ssize_t got = archive_read_data(a, c.data + c.len, size - c.len);
		if (got <= 0) {
			free(c.data);
			return fail(
			        out, TARBALL_REFUSED, "entry '%s' cannot be read whole: %s", where,
			        got < 0 ? archive_error_string(a) : "the archive ends inside it");
		}
		c.len += (size_t)got;
	}
	c.data[c.len] = '\0';
	if (out->n == *cap) {
		size_t grown = *cap ? *cap * 2 : 64;
		struct tarball_config *v = realloc(out->configs, grown * sizeof *v);
		if (v == NULL) {
			free(c.data);
			return TARBALL_NOMEM;
		}
		out->configs = v;
		*cap = grown;
	}
	out->configs[out->n++] = c;
	return TARBALL_OK;
}

/* One entry: judged by its header, then read, ignored, or the archive refused. */
static enum tarball_status
take_entry(struct archive *a, struct archive_entry *e, struct tarball_read *out,
           const struct tarball_limits *lim, size_t *cap, size_t *config_bytes)
{
	const char *name = archive_entry_pathname(e);
	if (name == NULL || name[0] == '\0')
		return fail(out, TARBALL_REFUSED, "an entry has no name that can be read");
	char where[128];
	shown(where, sizeof where, name);
	const char *base = NULL;
	enum kind kind = classify_name(name, &base);
	if (kind == KIND_BAD_PATH)
		return fail(out, TARBALL_REFUSED,
		            "entry '%s' has an absolute name or a '..' component", where);
	if (archive_entry_hardlink(e) != NULL)
		return fail(out, TARBALL_REFUSED, "entry '%s' is a hard link", where);
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFLNK || archive_entry_symlink(e) != NULL)
		return fail(out, TARBALL_REFUSED, "entry '%s' is a symbolic link", where);
	if (type == AE_IFDIR)
		return (out->ignored++, TARBALL_OK);
	if (type != AE_IFREG)
		return fail(out, TARBALL_REFUSED, "entry '%s' is a device, FIFO or socket", where);
	if (archive_entry_sparse_count(e) > 0)
		return fail(out, TARBALL_REFUSED, "entry '%s' is a sparse file", where);
	int64_t size = archive_entry_size(e);
	if (!archive_entry_size_is_set(e) || size < 0)
		return fail(out, TARBALL_REFUSED, "entry '%s' has no size", where);
	if ((uint64_t)size > lim->entry_max)
		return fail(out, TARBALL_TOO_LARGE,
		            "entry '%s' is %lld bytes; a config is at most %zu bytes", where,
		            (long long)size, lim->entry_max);
	if (kind == KIND_IGNORED) {
		out->ignored++;
		return archive_read_data_skip(a) == ARCHIVE_OK
		               ? TARBALL_OK
		               : fail(out, TARBALL_REFUSED, "entry '%s' cannot be read: %s", where,
		                      archive_error_string(a));
	}
	*config_bytes += (size_t)size;
	if (*config_bytes > lim->config_bytes_max)
		return fail(out, TARBALL_TOO_LARGE, "the configs add up to more than %zu bytes",
		            lim->config_bytes_max);
	return read_config(a, e, name, (size_t)size, out, lim, cap);
}

enum tarball_status
tarball_read(const void *data, size_t len, const struct tarball_limits *lim,
             struct tarball_read *out)
{
	memset(out, 0, sizeof *out);
	struct archive *a = archive_read_new();
	if (a == NULL)
		return TARBALL_NOMEM;
	enum tarball_status st = TARBALL_OK;
	/* gzip through zlib (ARCHIVE_WARN would mean an external program: refused). */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_none(a) != ARCHIVE_OK) {
		st = fail(out, TARBALL_NOMEM, "libarchive cannot read tar.gz here");
	} else if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		st = fail(out, TARBALL_REFUSED, "not a tar or tar.gz archive: %s",
		          archive_error_string(a) ? archive_error_string(a) : "unknown format");
	}
	size_t cap = 0, entries = 0, config_bytes = 0;
	while (st == TARBALL_OK) {
		struct archive_entry *e;
		int rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			st = fail(out, TARBALL_REFUSED,
			          "the archive cannot be read after %zu entries: %s", entries,
			          archive_error_string(a) ? archive_error_string(a) : "?");
			break;
		}
		if (++entries > lim->entries_max) {
			st = fail(out, TARBALL_TOO_LARGE, "the archive holds more than %zu entries",
			          lim->entries_max);
			break;
		}
		st = take_entry(a, e, out, lim, &cap, &config_bytes);
		if (st == TARBALL_OK && (uint64_t)archive_filter_bytes(a, 0) > lim->expanded_max)
			st = fail(out, TARBALL_TOO_LARGE,
			          "the archive expands to more than %llu bytes",
			          (unsigned long long)lim->expanded_max);
	}
	archive_read_free(a);
	if (st != TARBALL_OK) {
		if (st == TARBALL_NOMEM && out->why[0] == '\0')
			snprintf(out->why, sizeof out->why, "out of memory");
		tarball_read_free(out);
	}
	return st;
}

void
tarball_read_free(struct tarball_read *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->configs[i].data);
	free(out->configs);
	out->configs = NULL;
	out->n = 0;
}

/* --- writing ------------------------------------------------------------------ */

struct tarball_writer {
	struct archive *a;
	int (*write)(const void *p, size_t n, void *arg);
	void *arg;
	bool failed;
};

static la_ssize_t
write_cb(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	struct tarball_writer *w = arg;
	if (w->failed || w->write(p, n, w->arg) != 0) {
		w->failed = true;
		return -1;
	}
	return (la_ssize_t)n;
}

struct tarball_writer *
tarball_writer_open(int (*write)(const void *p, size_t n, void *arg), void *arg)
{
	struct tarball_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->write = write;
	w->arg = arg;
	w->a = archive_write_new();
	if (w->a == NULL || archive_write_add_filter_gzip(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		if (w->a != NULL)
			archive_write_free(w->a);
		free(w);
		return NULL;
	}
	return w;
}

int
tarball_writer_add(struct tarball_writer *w, const char *name, const void *data, size_t len,
                   time_t mtime, unsigned mode)
{
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return -1;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)(mode & 0777));
	archive_entry_set_mtime(e, mtime, 0);
	int rc =
	        archive_write_header(w->a, e) == ARCHIVE_OK &&
	                        (len == 0 || archive_write_data(w->a, data, len) == (la_ssize_t)len)
	                ? 0
	                : -1;
	archive_entry_free(e);
	return rc;
}

int
tarball_writer_close(struct tarball_writer *w, int status)
{
	int rc = status == 0 && !w->failed && archive_write_close(w->a) == ARCHIVE_OK ? 0 : -1;
	/* archive_write_free() would end the archive itself: it must write nothing now. */
	if (rc != 0)
		w->failed = true;
	archive_write_free(w->a);
	free(w);
	return rc;
}
