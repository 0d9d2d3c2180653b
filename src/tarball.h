/*
 * tarball.h: configs in and out of a .tar.gz, through libarchive (no tar
 * reader or writer of our own). No file is ever extracted: an archive is
 * read into memory, entry by entry, and every entry is judged before
 * anything else is done with it.
 *
 * Reading takes a tar (ustar, pax or GNU), gzip-compressed or not, such as
 * GET /api/export gives or `tar czf` makes of a config directory:
 *   - a regular file whose name, after any leading "./" and directories,
 *     is "<mac>.json" (a MAC in any accepted form) is a config;
 *   - a directory, or anything under a name starting with "." (the
 *     directory's own bookkeeping: .history/, .changes/, lock and temp
 *     files), is ignored;
 *   - anything else refuses the whole archive: an absolute name or one
 *     with a ".." component, a hard or symbolic link, a device, FIFO or
 *     socket, a sparse file, another name, two entries for one MAC, a
 *     truncated or corrupt stream, and any bound below passed (an entry
 *     larger than a config may be, too many entries or configs, more
 *     config bytes than allowed, or a stream that expands beyond its
 *     bound: a gzip bomb).
 * Pure apart from memory: unit-tested and fuzzed (tests/fuzz/fuzz_tarball.c).
 */
#ifndef IOTCONFIG_TARBALL_H
#define IOTCONFIG_TARBALL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mac.h"

struct tarball_limits {
	size_t entry_max;        /* bytes of one entry */
	size_t configs_max;      /* configs in one archive */
	size_t entries_max;      /* entries of any kind */
	size_t config_bytes_max; /* bytes of all configs together */
	uint64_t expanded_max;   /* bytes of the tar stream once decompressed */
};

enum tarball_status {
	TARBALL_OK = 0,
	TARBALL_REFUSED,   /* not an archive we take (why says which entry and why) */
	TARBALL_TOO_LARGE, /* a bound was passed (why says which) */
	TARBALL_NOMEM,
};

struct tarball_config {
	char mac[MAC_CANONICAL_LEN + 1];
	char entry[128]; /* its name in the archive (cut to fit), for messages */
	char *data;      /* its bytes, exactly (malloc'ed) */
	size_t len;
	time_t mtime;
};

struct tarball_read {
	struct tarball_config *configs; /* in archive order */
	size_t n;
	size_t ignored; /* entries ignored (directories, bookkeeping) */
	char why[256];  /* a sentence, when not TARBALL_OK */
};

/* Reads the archive data[0..len); on anything but TARBALL_OK out holds no configs. */
enum tarball_status tarball_read(const void *data, size_t len, const struct tarball_limits *lim,
                                 struct tarball_read *out);
void tarball_read_free(struct tarball_read *out);

/* A .tar.gz written as it is made, through write(), which returns 0 or -1. */
struct tarball_writer;
struct tarball_writer *tarball_writer_open(int (*write)(const void *p, size_t n, void *arg),
                                           void *arg);
/* Adds a regular file (pax restricted: plain ustar for names that fit). 0 or -1. */
int tarball_writer_add(struct tarball_writer *w, const char *name, const void *data, size_t len,
                       time_t mtime, unsigned mode);
/*
 * Frees w. With status 0 (every entry was added) it first ends the archive
 * and the gzip stream; otherwise nothing more is written, so a reader
 * finds the stream truncated rather than an archive that looks whole.
 * 0, or -1 when the archive is not complete.
 */
int tarball_writer_close(struct tarball_writer *w, int status);

#endif
