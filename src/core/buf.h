/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer a peer can grow has a cap; an append that would pass it
 * returns ONAIR_ETOOBIG and leaves the buffer as it was, so the caller can
 * answer the peer with a clear error. The contents are always followed by a
 * NUL byte (not counted in len) so text can be used as a C string.
 * A buf is owned by whoever embeds it; not thread-safe.
 */
#ifndef ONAIR_CORE_BUF_H
#define ONAIR_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* most bytes len may reach; 0 means no limit (our own output only) */
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
/* Drops the contents, keeps the memory. */
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Makes room for extra more bytes now (one allocation instead of several
 * doublings). ONAIR_ETOOBIG past the limit. */
int buf_reserve(struct buf *b, size_t extra);
/* Hands the bytes to the caller (free() them) and resets b to empty. */
char *buf_take(struct buf *b, size_t *len);

#endif
