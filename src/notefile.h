/*
 * notefile.h: the small notes the service keeps beside the configs (a
 * device's fetches, its firmware), written whole by renaming a temp file
 * over the name, and the decimal times in their lines.
 */
#ifndef IOTCONFIG_NOTEFILE_H
#define IOTCONFIG_NOTEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Writes len bytes of text as name in dir: a temp file in tmpdir (this
 * process's one name, ".tmp-" and 16 hex digits, reused for every write),
 * FILE_MODE exactly, then renamed over name. No fsync: a note lost in a
 * crash is written again at the device's next request. 0, or -1 with r
 * set and no temp file left behind.
 */
int notefile_replace(int tmpdir, int dir, const char *name, const char *text, size_t len,
                     struct store_result *r);

/* Does name look like a temp file of notefile_replace? */
bool notefile_is_temp(const char *name);

/* A time in a note: n bytes of decimal digits, no sign, that fit in int64. */
bool notefile_time(const char *s, size_t n, int64_t *out);

#endif
