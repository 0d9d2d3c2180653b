/*
 * buf.h: the one growable byte buffer used for request bodies, response
 * bodies and file contents. A buf owns its memory; reset keeps the memory
 * for reuse by the next request, shrink gives it back after an unusually
 * large request so the process does not keep its peak size forever.
 */
#ifndef IOTCONFIG_BUF_H
#define IOTCONFIG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated when len < cap; may be NULL when cap == 0 */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
/* Make room for `extra` more bytes plus a NUL. Returns 0, or -1 (ENOMEM). */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Forget the contents, keep the memory (or release it when above keep_max). */
void buf_reset(struct buf *b, size_t keep_max);
void buf_free(struct buf *b);

#endif
