#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(size_t n, const char *file, int line)
{
    fprintf(stderr, "onair: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
    abort();
}

void *onair__xmalloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(n, file, line);
    return p;
}

void *onair__xcalloc(size_t count, size_t n, const char *file, int line)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        die(count * n, file, line);
    return p;
}

void *onair__xrealloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die(n, file, line);
    return q;
}

char *onair__xstrdup(const char *s, const char *file, int line)
{
    return onair__xstrndup(s, strlen(s), file, line);
}

char *onair__xstrndup(const char *s, size_t n, const char *file, int line)
{
    char *p = onair__xmalloc(n + 1, file, line);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
