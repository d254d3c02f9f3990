/*
 * fuzz_router.c - libFuzzer target for the router and percent-decoding
 * (src/http/router.c), plus the static-file content types.
 *
 * The input is a request path. It is matched, with several methods, against
 * a router shaped like the real API (built once), with a full-size and a
 * tiny Allow buffer, and decoded with http_percent_decode() at several
 * capacities.
 * Invariants (abort() when broken): results are in the enum; a match has a
 * handler and a valid route index; parameter values are NUL-terminated in
 * the match storage and hold no '/' or NUL; the fallback only serves GET and
 * HEAD outside /api/; every non-/api GET is served; HEAD behaves like GET
 * here (no HEAD routes); a 405 lists methods and fits its buffer; the
 * result does not depend on the Allow buffer's size; decoding succeeds or
 * fails the same way at every capacity that fits, never writes past it and
 * never decodes a '/' when slashes are refused; an app page or overlay path
 * maps to index.html or overlay.html and never holds a "." segment.
 * Seeds: tests/fuzz/corpus/router/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "http/static.h"

static void handler(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static void fallback(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static struct http_router *router(void)
{
    static struct http_router *r;
    if (r)
        return r;
    r = http_router_new();
    http_router_add(r, HTTP_GET, "/healthz", handler, NULL);
    http_router_add(r, HTTP_GET, "/metrics", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/me", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/me/stream-key", handler, NULL);
    http_router_add(r, HTTP_POST, "/api/me/stream-key/rotate", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/channels", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/{name}", handler, NULL);
    http_router_add(r, HTTP_PATCH, "/api/channels/{name}", handler, NULL);
    http_router_add(r, HTTP_POST, "/api/auth/signup", handler, NULL);
    http_router_add(r, HTTP_POST, "/api/auth/login", handler, NULL);
    http_router_add(r, HTTP_POST, "/api/auth/refresh", handler, NULL);
    http_router_add(r, HTTP_POST, "/api/auth/logout", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/{name}/videos/{id}", handler, NULL);
    http_router_add(r, HTTP_DELETE, "/api/channels/{name}/videos/{id}", handler, NULL);
    http_router_add(r, HTTP_GET, "/api/{a}/{b}/{c}/{d}", handler, NULL);
    http_router_set_fallback(r, fallback, NULL);
    return r;
}

static const enum http_method methods[] = {HTTP_GET,    HTTP_HEAD,    HTTP_POST, HTTP_PATCH,
                                           HTTP_DELETE, HTTP_OPTIONS, HTTP_PUT};

static bool is_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

static void check_match(const struct http_router *r, enum http_method m, const char *path,
                        enum http_route_result res, const struct http_match *out, const char *allow,
                        size_t allowlen)
{
    if (allowlen && memchr(allow, '\0', allowlen) == NULL)
        abort();
    switch (res) {
    case HTTP_ROUTE_FOUND:
        if (!out->fn)
            abort();
        if (out->route == HTTP_ROUTE_STATIC) {
            if (out->fn != fallback || (m != HTTP_GET && m != HTTP_HEAD) || is_api(path))
                abort();
            if (out->nparams != 0)
                abort();
        } else if (out->route < 0 || out->route >= http_router_count(r)) {
            abort();
        }
        if (out->nparams > HTTP_MAX_PARAMS)
            abort();
        for (unsigned i = 0; i < out->nparams; i++) {
            const char *v = out->values[i];
            if (!out->names[i] || v < out->storage || v >= out->storage + sizeof out->storage)
                abort();
            size_t room = (size_t)(out->storage + sizeof out->storage - v);
            const char *end = memchr(v, '\0', room);
            if (!end || end == v || memchr(v, '/', (size_t)(end - v)))
                abort();
        }
        break;
    case HTTP_ROUTE_NOT_FOUND:
        if (out->route != HTTP_ROUTE_UNMATCHED)
            abort();
        /* With a fallback, a GET outside /api/ is always served. */
        if ((m == HTTP_GET || m == HTTP_HEAD) && !is_api(path))
            abort();
        break;
    case HTTP_ROUTE_BAD_METHOD:
        if (out->route != HTTP_ROUTE_UNMATCHED)
            abort();
        if (allowlen >= 64 && allow[0] == '\0')
            abort();
        break;
    case HTTP_ROUTE_BAD_PARAM:
        break;
    default:
        abort();
    }
}

static void match_all(const char *path)
{
    const struct http_router *r = router();
    static struct http_match out, out_small, out_get;
    char allow[128], small[6];
    enum http_route_result get_res = HTTP_ROUTE_NOT_FOUND;
    for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
        enum http_method m = methods[k];
        enum http_route_result res = http_router_match(r, m, path, &out, allow, sizeof allow);
        check_match(r, m, path, res, &out, allow, sizeof allow);
        enum http_route_result res2 =
            http_router_match(r, m, path, &out_small, small, sizeof small);
        check_match(r, m, path, res2, &out_small, small, sizeof small);
        if (res2 != res || out_small.route != out.route || out_small.nparams != out.nparams)
            abort();
        if (m == HTTP_GET) {
            get_res = res;
            memcpy(&out_get, &out, sizeof out);
        } else if (m == HTTP_HEAD) {
            if (res != get_res || out.route != out_get.route || out.nparams != out_get.nparams)
                abort();
            for (unsigned i = 0; i < out.nparams; i++)
                if (strcmp(out.values[i], out_get.values[i]) != 0)
                    abort();
        }
    }
}

static size_t count(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == c;
    return n;
}

static void decode_all(const char *src, size_t len)
{
    static const size_t caps[] = {0, 1, 2, 8, 64, 4096};
    for (int allow_slash = 0; allow_slash <= 1; allow_slash++) {
        int full = -2;
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            size_t cap = caps[k];
            char *dst = malloc(cap ? cap : 1); /* exact size: ASan sees overflows */
            if (!dst)
                abort();
            int n = http_percent_decode(src, len, dst, cap, allow_slash);
            if (n >= 0) {
                if ((size_t)n >= cap || (size_t)n > len || dst[n] != '\0')
                    abort();
                if (memchr(dst, '\0', (size_t)n))
                    abort();
                /* Literal slashes stay; refused means no decoded (%2F) ones. */
                if (!allow_slash && count(dst, (size_t)n, '/') != count(src, len, '/'))
                    abort();
            } else if (n != -1) {
                abort();
            }
            if (cap == 4096)
                full = n;
            free(dst);
        }
        /* Whether it decodes can't depend on the room when there is enough. */
        if (len < 4096) {
            char *dst = malloc(len + 1);
            if (!dst)
                abort();
            int n = http_percent_decode(src, len, dst, len + 1, allow_slash);
            if (n != full)
                abort();
            free(dst);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size, NUL-terminated copy: the router takes C strings. */
    char *path = malloc(size + 1);
    if (!path)
        abort();
    memcpy(path, data, size);
    path[size] = '\0';

    match_all(path);
    decode_all(path, size); /* raw bytes, NULs included */
    if (http_static_content_type(path) == NULL)
        abort();
    /* App pages and overlays: only ever one of the two documents, and only
     * for paths that could be one (no ".." or "." segment gets through). */
    const char *page = http_static_page_for(path);
    if (page && strcmp(page, "/index.html") != 0 && strcmp(page, "/overlay.html") != 0)
        abort();
    if (page && (strstr(path, "/../") || strstr(path, "/./") || path[0] != '/'))
        abort();
    free(path);
    return 0;
}
