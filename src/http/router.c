#include "http/router.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define MAX_SEGMENTS 12

struct route {
    enum http_method method;
    char *pattern;
    unsigned nseg;
    char *seg[MAX_SEGMENTS]; /* literal text, or the param name when is_param */
    int is_param[MAX_SEGMENTS];
    http_handler_fn fn;
    void *ctx;
};

struct http_router {
    struct route routes[HTTP_MAX_ROUTES];
    int count;
    http_handler_fn fallback;
    void *fallback_ctx;
};

struct http_router *http_router_new(void)
{
    return xcalloc(1, sizeof(struct http_router));
}

void http_router_free(struct http_router *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->count; i++) {
        for (unsigned s = 0; s < r->routes[i].nseg; s++)
            free(r->routes[i].seg[s]);
        free(r->routes[i].pattern);
    }
    free(r);
}

void http_router_add(struct http_router *r, enum http_method method, const char *pattern,
                     http_handler_fn fn, void *ctx)
{
    if (r->count == HTTP_MAX_ROUTES || pattern[0] != '/') {
        fprintf(stderr, "onair: bad route %s\n", pattern);
        abort();
    }
    struct route *rt = &r->routes[r->count++];
    rt->method = method;
    rt->pattern = xstrdup(pattern);
    rt->fn = fn;
    rt->ctx = ctx;
    const char *p = pattern + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (rt->nseg == MAX_SEGMENTS || len == 0) {
            fprintf(stderr, "onair: bad route %s\n", pattern);
            abort();
        }
        if (p[0] == '{' && p[len - 1] == '}') {
            rt->is_param[rt->nseg] = 1;
            rt->seg[rt->nseg] = xstrndup(p + 1, len - 2);
        } else {
            rt->seg[rt->nseg] = xstrndup(p, len);
        }
        rt->nseg++;
        p += len;
        if (*p == '/')
            p++;
    }
}

void http_router_set_fallback(struct http_router *r, http_handler_fn fn, void *ctx)
{
    r->fallback = fn;
    r->fallback_ctx = ctx;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_percent_decode(const char *src, size_t len, char *dst, size_t cap, int allow_slash)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
            if (c == '\0' || (c == '/' && !allow_slash))
                return -1;
        } else if (c == '\0') {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        dst[o++] = c;
    }
    if (o >= cap)
        return -1;
    dst[o] = '\0';
    return (int)o;
}

/* Splits path into segments (pointers into path, with lengths). A trailing
 * slash makes an empty last segment, so "/api/me/" does not match "/api/me". */
static int split(const char *path, const char *seg[], size_t len[], unsigned *n)
{
    *n = 0;
    if (path[0] != '/')
        return -1;
    const char *p = path + 1;
    if (*p == '\0')
        return 0;
    for (;;) {
        if (*n == MAX_SEGMENTS)
            return -1;
        const char *end = strchr(p, '/');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        seg[*n] = p;
        len[*n] = l;
        (*n)++;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static const char *method_name(enum http_method m)
{
    return http_method_str(m);
}

enum http_route_result http_router_match(const struct http_router *r, enum http_method method,
                                         const char *path, struct http_match *out, char *allow,
                                         size_t allowlen)
{
    const char *seg[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    unsigned n;
    memset(out, 0, offsetof(struct http_match, storage));
    if (allowlen)
        allow[0] = '\0';
    if (split(path, seg, len, &n) != 0)
        goto unmatched;

    bool path_matched = false;
    uint64_t allowed = 0; /* bit per http_method seen on this path, for Allow */
    const struct route *found = NULL, *get_for_head = NULL;
    for (int i = 0; i < r->count; i++) {
        const struct route *rt = &r->routes[i];
        if (rt->nseg != n)
            continue;
        unsigned s;
        for (s = 0; s < n; s++) {
            if (rt->is_param[s]) {
                if (len[s] == 0)
                    break;
            } else if (strlen(rt->seg[s]) != len[s] || memcmp(rt->seg[s], seg[s], len[s]) != 0) {
                break;
            }
        }
        if (s != n)
            continue;
        path_matched = true;
        if (rt->method == method) {
            found = rt; /* an exact method wins over HEAD-via-GET */
            break;
        }
        if (method == HTTP_HEAD && rt->method == HTTP_GET && !get_for_head)
            get_for_head = rt;
        if ((unsigned)rt->method < 64)
            allowed |= 1ull << rt->method;
    }
    if (!found)
        found = get_for_head;
    if (found) {
        /* Decode parameters into out->storage. */
        size_t used = 0;
        out->route = (int)(found - r->routes);
        out->fn = found->fn;
        out->ctx = found->ctx;
        for (unsigned s = 0; s < n; s++) {
            if (!found->is_param[s])
                continue;
            if (out->nparams == HTTP_MAX_PARAMS)
                return HTTP_ROUTE_BAD_PARAM;
            int d = http_percent_decode(seg[s], len[s], out->storage + used,
                                        sizeof out->storage - used, 0);
            if (d < 0)
                return HTTP_ROUTE_BAD_PARAM;
            out->names[out->nparams] = found->seg[s];
            out->values[out->nparams] = out->storage + used;
            out->nparams++;
            used += (size_t)d + 1;
        }
        if (allowlen)
            allow[0] = '\0';
        return HTTP_ROUTE_FOUND;
    }
    if (path_matched) {
        /* Each method once, in enum order; GET implies HEAD. */
        if (allowed & (1ull << HTTP_GET))
            allowed |= 1ull << HTTP_HEAD;
        size_t alen = 0;
        for (unsigned m = 0; m < 64; m++) {
            if (!(allowed & (1ull << m)))
                continue;
            int w = snprintf(allow + alen, allowlen > alen ? allowlen - alen : 0, "%s%s",
                             alen ? ", " : "", method_name((enum http_method)m));
            if (w > 0 && alen + (size_t)w < allowlen)
                alen += (size_t)w;
        }
        out->route = HTTP_ROUTE_UNMATCHED;
        return HTTP_ROUTE_BAD_METHOD;
    }

unmatched:
    if (r->fallback && (method == HTTP_GET || method == HTTP_HEAD) &&
        strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
        out->route = HTTP_ROUTE_STATIC;
        out->fn = r->fallback;
        out->ctx = r->fallback_ctx;
        return HTTP_ROUTE_FOUND;
    }
    out->route = HTTP_ROUTE_UNMATCHED;
    return HTTP_ROUTE_NOT_FOUND;
}

const char *http_router_route_pattern(const struct http_router *r, int i)
{
    if (i == HTTP_ROUTE_STATIC)
        return "static";
    if (i >= 0 && i < r->count)
        return r->routes[i].pattern;
    return "unmatched";
}

const char *http_router_route_method(const struct http_router *r, int i)
{
    if (i >= 0 && i < r->count)
        return method_name(r->routes[i].method);
    return NULL;
}

int http_router_count(const struct http_router *r)
{
    return r->count;
}
