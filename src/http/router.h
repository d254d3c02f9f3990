/*
 * router.h - method + path pattern -> handler, with path parameters.
 *
 * Patterns are literal segments and {name} parameters: "/api/channels/{name}".
 * A parameter matches one non-empty segment; its value is percent-decoded
 * (a bad escape or an encoded NUL or '/' is a 400). HEAD is served by the GET
 * route of the same path unless a HEAD route exists. When a path matches
 * routes but none for the method, the result is 405 with the Allow list.
 * Paths that match no route go to the fallback (static files) for GET/HEAD.
 *
 * The router is built once at startup, then shared read-only by every loop.
 * Each route has an index (0..count-1), used as the metrics label.
 */
#ifndef ONAIR_HTTP_ROUTER_H
#define ONAIR_HTTP_ROUTER_H

#include <http_parser.h>
#include <stddef.h>

#define HTTP_MAX_ROUTES 96
#define HTTP_MAX_PARAMS 4
#define HTTP_PARAM_STORAGE 512

struct http_request;
typedef void (*http_handler_fn)(struct http_request *req, void *ctx);

struct http_router;

/* Pseudo-route indices for metrics, after the real ones. */
enum { HTTP_ROUTE_STATIC = HTTP_MAX_ROUTES, HTTP_ROUTE_UNMATCHED, HTTP_ROUTE__COUNT };

struct http_match {
    int route; /* route index, or HTTP_ROUTE_STATIC / HTTP_ROUTE_UNMATCHED */
    http_handler_fn fn;
    void *ctx;
    unsigned nparams;
    const char *names[HTTP_MAX_PARAMS];
    const char *values[HTTP_MAX_PARAMS]; /* decoded, NUL-terminated, in storage */
    char storage[HTTP_PARAM_STORAGE];
};

struct http_router *http_router_new(void);
void http_router_free(struct http_router *r);

/* Adds a route. Aborts on a malformed pattern or too many routes: both are
 * programming errors caught at startup. */
void http_router_add(struct http_router *r, enum http_method method, const char *pattern,
                     http_handler_fn fn, void *ctx);

/* Handler for GET/HEAD requests that match no route (static files). */
void http_router_set_fallback(struct http_router *r, http_handler_fn fn, void *ctx);

enum http_route_result {
    HTTP_ROUTE_FOUND = 0,
    HTTP_ROUTE_NOT_FOUND = 1,  /* 404 */
    HTTP_ROUTE_BAD_METHOD = 2, /* 405; allow holds "GET, HEAD" etc. */
    HTTP_ROUTE_BAD_PARAM = 3,  /* 400: undecodable parameter */
};

/* Matches path (percent-encoded, no query). Thread-safe (read-only). */
enum http_route_result http_router_match(const struct http_router *r, enum http_method method,
                                         const char *path, struct http_match *out, char *allow,
                                         size_t allowlen);

/* For metrics labels: the pattern and method of route i ("static", "unmatched"
 * for the pseudo-routes, method NULL). */
const char *http_router_route_pattern(const struct http_router *r, int i);
const char *http_router_route_method(const struct http_router *r, int i);
int http_router_count(const struct http_router *r);

/* Percent-decodes src (len bytes) into dst (cap bytes incl. NUL). Fails
 * (-1) on bad escapes, decoded NUL, or when it doesn't fit; decoded '/' is
 * refused when allow_slash is 0. Returns the decoded length. */
int http_percent_decode(const char *src, size_t len, char *dst, size_t cap, int allow_slash);

#endif
