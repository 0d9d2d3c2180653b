/*
 * catalog.h: this process's cache of list entries. Each config file is kept
 * as the values of its list entry, keyed by MAC, with the file's identity
 * (inode, size, mtime and ctime in nanoseconds) as last read. A refresh
 * looks at each file that may have changed once, reads it again or drops
 * it, so out-of-band edits, renames and deletes are seen at the next
 * request. Which files it looks at comes from dirwatch: on a local file
 * system only those the kernel reported changed since the last refresh
 * (an unchanged directory costs one inotify read), elsewhere every file (a
 * directory walk with one stat per file, reading those whose identity
 * changed). A file changed while a refresh looks at it is looked at again
 * by the next refresh. Each entry also carries the verdict of the config's
 * schema (schemas.h), judged again whenever the schemas change.
 */
#ifndef IOTCONFIG_CATALOG_H
#define IOTCONFIG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "mac.h"
#include "schemas.h"
#include "store.h"

/*
 * Brings the cache in line with the directory; scratch holds file
 * contents. Each entry carries its config's verdict against schemas (the
 * schema that applies and its error count; NULL: there are no schemas).
 * A verdict holds for the file's identity and the schemas' version: when
 * the version differs from the one the entries were judged by, every file
 * is read and judged again.
 */
int catalog_refresh(int dirfd, const struct schemas *schemas, struct buf *scratch,
                    struct store_result *r);

/* Valid configs after the last refresh. */
size_t catalog_count(void);

/* Appends the i-th valid entry in MAC order (0 <= i < catalog_count()) as JSON. */
int catalog_append_entry(size_t i, struct buf *out);

/* The MAC of the i-th valid entry, canonical. */
void catalog_mac(size_t i, char out[MAC_CANONICAL_LEN + 1]);

/* Sum of the lengths of all valid entries as catalog_append_entry writes them. */
size_t catalog_bytes(void);

/*
 * The ETag fingerprint (digest.h) of mac's config as last read, into hex:
 * 1, or 0 when there is no such config file, or -1 when its last read
 * failed (nothing is known of its bytes). As of the last refresh.
 */
int catalog_etag(uint64_t mac, char hex[DIGEST_HEX_LEN + 1]);

/* Full directory walks since the last clear (tests). */
unsigned long catalog_walks(void);

/*
 * Calls hook(name) right after each look at a file by a refresh, so tests
 * can change the file at that moment (NULL: none).
 */
void catalog_set_look_hook(void (*hook)(const char *name));

/* Drops everything (tests; also used when the directory is replaced). */
void catalog_clear(void);

#endif
