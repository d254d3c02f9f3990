/*
 * alloc.h - allocation that never returns NULL.
 *
 * Running out of heap is not a condition onair tries to limp through: the
 * x* functions abort with the file and line of the caller. Growth that a
 * peer can drive is capped before it reaches these (see buf.h), so an abort
 * here means the machine itself is out of memory.
 */
#ifndef ONAIR_CORE_ALLOC_H
#define ONAIR_CORE_ALLOC_H

#include <stddef.h>

#define xmalloc(n) onair__xmalloc((n), __FILE__, __LINE__)
#define xcalloc(c, n) onair__xcalloc((c), (n), __FILE__, __LINE__)
#define xrealloc(p, n) onair__xrealloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s) onair__xstrdup((s), __FILE__, __LINE__)
#define xstrndup(s, n) onair__xstrndup((s), (n), __FILE__, __LINE__)

void *onair__xmalloc(size_t n, const char *file, int line);
void *onair__xcalloc(size_t count, size_t n, const char *file, int line);
void *onair__xrealloc(void *p, size_t n, const char *file, int line);
char *onair__xstrdup(const char *s, const char *file, int line);
char *onair__xstrndup(const char *s, size_t n, const char *file, int line);

#endif
