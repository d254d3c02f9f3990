/*
 * Unit tests for src/http/router.c: method + path -> handler, {params},
 * 404/405 with Allow, the static fallback, and http_percent_decode().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

/* Handlers are never called here; only their identity matters. */
static void h_healthz(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_me(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_channel_get(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_channel_patch(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_login(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_video(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_static(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}
static void h_head(struct http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static int ctx_static, ctx_channel;

enum { R_HEALTHZ, R_ME, R_CHANNELS, R_CHANNEL_GET, R_CHANNEL_PATCH, R_LOGIN, R_VIDEO };

/* The shape of the real API (src/api/), built fresh for each test. */
static int setup(void **state)
{
    struct http_router *r = http_router_new();
    http_router_add(r, HTTP_GET, "/healthz", h_healthz, NULL);
    http_router_add(r, HTTP_GET, "/api/me", h_me, NULL);
    http_router_add(r, HTTP_GET, "/api/channels", h_me, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/{name}", h_channel_get, &ctx_channel);
    http_router_add(r, HTTP_PATCH, "/api/channels/{name}", h_channel_patch, &ctx_channel);
    http_router_add(r, HTTP_POST, "/api/auth/login", h_login, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/{name}/videos/{id}", h_video, NULL);
    http_router_set_fallback(r, h_static, &ctx_static);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    http_router_free(*state);
    return 0;
}

static enum http_route_result match(struct http_router *r, enum http_method m, const char *path,
                                    struct http_match *out, char *allow, size_t allowlen)
{
    return http_router_match(r, m, path, out, allow, allowlen);
}

static void test_literal_route(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    assert_int_equal(match(r, HTTP_GET, "/healthz", &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_HEALTHZ);
    assert_ptr_equal(m.fn, h_healthz);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match(r, HTTP_GET, "/api/me", &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_ME);
    assert_ptr_equal(m.fn, h_me);
    assert_int_equal(match(r, HTTP_POST, "/api/auth/login", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_LOGIN);
    /* Literal segments compare exactly: no prefix or case folding. */
    assert_int_equal(match(r, HTTP_GET, "/api/mex", &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, "/api/m", &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, "/api/ME", &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, "/api/me/extra", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(m.route, HTTP_ROUTE_UNMATCHED);
}

static void test_param_route(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    assert_int_equal(match(r, HTTP_GET, "/api/channels/alice", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_CHANNEL_GET);
    assert_ptr_equal(m.fn, h_channel_get);
    assert_ptr_equal(m.ctx, &ctx_channel);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.names[0], "name");
    assert_string_equal(m.values[0], "alice");

    assert_int_equal(match(r, HTTP_PATCH, "/api/channels/bob", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_CHANNEL_PATCH);
    assert_ptr_equal(m.fn, h_channel_patch);
    assert_string_equal(m.values[0], "bob");

    assert_int_equal(match(r, HTTP_GET, "/api/channels/alice/videos/42", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_VIDEO);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.names[0], "name");
    assert_string_equal(m.values[0], "alice");
    assert_string_equal(m.names[1], "id");
    assert_string_equal(m.values[1], "42");

    /* The literal route with fewer segments is a different route. */
    assert_int_equal(match(r, HTTP_GET, "/api/channels", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_CHANNELS);
    assert_int_equal(m.nparams, 0);
}

static void test_param_percent_decoded(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    static const struct {
        const char *path, *value;
    } cases[] = {
        {"/api/channels/%ED%95%9C%EA%B8%80", "한글"},
        {"/api/channels/%ed%95%9c%ea%b8%80", "한글"},
        {"/api/channels/한글", "한글"}, /* raw UTF-8 passes through */
        {"/api/channels/a%20b", "a b"},
        {"/api/channels/a+b", "a+b"}, /* + is not a space in a path */
        {"/api/channels/100%25", "100%"},
        {"/api/channels/%3Fq%3D1%23x", "?q=1#x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(match(r, HTTP_GET, cases[i].path, &m, allow, sizeof allow),
                         HTTP_ROUTE_FOUND);
        assert_int_equal(m.route, R_CHANNEL_GET);
        assert_string_equal(m.values[0], cases[i].value);
    }
    /* Two parameters, both decoded, neither overwriting the other. */
    assert_int_equal(match(r, HTTP_GET, "/api/channels/%EB%AF%BC%EC%88%98/videos/%31%32", &m, allow,
                           sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_string_equal(m.values[0], "민수");
    assert_string_equal(m.values[1], "12");
}

static void test_param_bad(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    static const char *const bad[] = {
        "/api/channels/a%2Fb", "/api/channels/a%2fb",  "/api/channels/%00",  "/api/channels/a%00b",
        "/api/channels/%zz",   "/api/channels/%4",     "/api/channels/abc%", "/api/channels/%g1",
        "/api/channels/%%41",  "/api/channels/%2F%2F",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(match(r, HTTP_GET, bad[i], &m, allow, sizeof allow), HTTP_ROUTE_BAD_PARAM);
        assert_int_equal(match(r, HTTP_PATCH, bad[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_BAD_PARAM);
        assert_int_equal(match(r, HTTP_HEAD, bad[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_BAD_PARAM);
    }
    /* Any bad parameter spoils the match, not just the first. */
    assert_int_equal(match(r, HTTP_GET, "/api/channels/x/videos/%00", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_PARAM);
    assert_int_equal(match(r, HTTP_GET, "/api/channels/x/videos/1%2F2", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_PARAM);
    /* A parameter too long for the match storage is refused, not truncated. */
    char path[2048];
    size_t o = (size_t)snprintf(path, sizeof path, "/api/channels/");
    memset(path + o, 'n', 1000);
    path[o + 1000] = '\0';
    assert_int_not_equal(match(r, HTTP_GET, path, &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
}

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; (p = strstr(p, tok)) != NULL; p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static void test_wrong_method(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];

    assert_int_equal(match(r, HTTP_DELETE, "/api/channels/alice", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    assert_int_equal(m.route, HTTP_ROUTE_UNMATCHED);
    assert_true(has_token(allow, "GET"));
    assert_true(has_token(allow, "PATCH"));
    assert_true(has_token(allow, "HEAD")); /* GET exists, so HEAD works too */
    assert_false(has_token(allow, "DELETE"));
    assert_false(has_token(allow, "POST"));
    /* Each method once, in http_parser's method order. */
    assert_string_equal(allow, "GET, HEAD, PATCH");

    assert_int_equal(match(r, HTTP_POST, "/api/me", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD");

    /* No GET route: no HEAD either. */
    assert_int_equal(match(r, HTTP_GET, "/api/auth/login", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(match(r, HTTP_HEAD, "/api/auth/login", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST");

    /* A 405 outside /api/ too, rather than the static fallback. */
    assert_int_equal(match(r, HTTP_POST, "/healthz", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD");

    /* A bad parameter in a path only other methods take is still a 405. */
    assert_int_equal(match(r, HTTP_DELETE, "/api/channels/a%2Fb", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
}

static void test_allow_small_buffer(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    for (size_t len = 0; len <= 20; len++) {
        char allow[32];
        memset(allow, '#', sizeof allow);
        assert_int_equal(match(r, HTTP_DELETE, "/api/channels/alice", &m, allow, len),
                         HTTP_ROUTE_BAD_METHOD);
        for (size_t i = len; i < sizeof allow; i++)
            assert_int_equal(allow[i], '#'); /* nothing written past allowlen */
        if (len > 0)
            assert_non_null(memchr(allow, '\0', len));
    }
}

static void test_head_served_by_get(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    assert_int_equal(match(r, HTTP_HEAD, "/api/me", &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_ME);
    assert_ptr_equal(m.fn, h_me);
    assert_int_equal(match(r, HTTP_HEAD, "/api/channels/alice", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, R_CHANNEL_GET);
    assert_string_equal(m.values[0], "alice");
}

static void test_trailing_slash(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    assert_int_equal(match(r, HTTP_GET, "/api/me/", &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    /* An empty segment is not a parameter value. */
    assert_int_equal(match(r, HTTP_GET, "/api/channels/", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, "/api/channels//videos/1", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, "/api/channels/alice/", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
    /* Outside /api/ it is not the route either; it goes to the static files. */
    assert_int_equal(match(r, HTTP_GET, "/healthz/", &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, HTTP_ROUTE_STATIC);
    assert_ptr_equal(m.fn, h_static);
}

static void test_unknown_api_not_found(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    static const char *const paths[] = {
        "/api", "/api/", "/api/nope", "/api/channels/a/b", "/api/auth/login/x", "/api/index.html",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(match(r, HTTP_GET, paths[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_NOT_FOUND);
        assert_int_equal(m.route, HTTP_ROUTE_UNMATCHED);
        assert_null(m.fn);
        assert_int_equal(match(r, HTTP_HEAD, paths[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_NOT_FOUND);
        assert_int_equal(match(r, HTTP_POST, paths[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_NOT_FOUND);
    }
}

static void test_fallback(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    static const char *const paths[] = {
        "/", "/index.html", "/assets/app.3f2a.js", "/channel/alice", "/apix", "/api-docs",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(match(r, HTTP_GET, paths[i], &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
        assert_int_equal(m.route, HTTP_ROUTE_STATIC);
        assert_ptr_equal(m.fn, h_static);
        assert_ptr_equal(m.ctx, &ctx_static);
        assert_int_equal(m.nparams, 0);
        assert_int_equal(match(r, HTTP_HEAD, paths[i], &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
        assert_int_equal(m.route, HTTP_ROUTE_STATIC);
        /* Static files are read-only. */
        assert_int_equal(match(r, HTTP_POST, paths[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_NOT_FOUND);
        assert_int_equal(match(r, HTTP_DELETE, paths[i], &m, allow, sizeof allow),
                         HTTP_ROUTE_NOT_FOUND);
    }
    /* Without a fallback, the same paths are 404s. */
    struct http_router *bare = http_router_new();
    http_router_add(bare, HTTP_GET, "/healthz", h_healthz, NULL);
    assert_int_equal(http_router_match(bare, HTTP_GET, "/index.html", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(http_router_match(bare, HTTP_GET, "/healthz", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    http_router_free(bare);
}

static void test_odd_paths(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    /* Not a path at all (OPTIONS *): no route, no fallback. */
    assert_int_equal(match(r, HTTP_OPTIONS, "*", &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    /* More segments than any route can have. */
    char deep[256] = "/api";
    for (int i = 0; i < 30; i++)
        strcat(deep, "/x");
    assert_int_equal(match(r, HTTP_GET, deep, &m, allow, sizeof allow), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match(r, HTTP_GET, deep + 4, &m, allow, sizeof allow), HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, HTTP_ROUTE_STATIC);
    /* Encoded literal segments are not decoded for matching. */
    assert_int_equal(match(r, HTTP_GET, "/api/m%65", &m, allow, sizeof allow),
                     HTTP_ROUTE_NOT_FOUND);
}

static void test_route_labels(void **state)
{
    struct http_router *r = *state;
    assert_int_equal(http_router_count(r), 7);
    assert_string_equal(http_router_route_pattern(r, R_CHANNEL_GET), "/api/channels/{name}");
    assert_string_equal(http_router_route_method(r, R_CHANNEL_GET), "GET");
    assert_string_equal(http_router_route_method(r, R_CHANNEL_PATCH), "PATCH");
    assert_string_equal(http_router_route_pattern(r, HTTP_ROUTE_STATIC), "static");
    assert_null(http_router_route_method(r, HTTP_ROUTE_STATIC));
    assert_string_equal(http_router_route_pattern(r, HTTP_ROUTE_UNMATCHED), "unmatched");
    assert_null(http_router_route_method(r, HTTP_ROUTE_UNMATCHED));
    assert_string_equal(http_router_route_pattern(r, -1), "unmatched");
}

static void test_percent_decode(void **state)
{
    (void)state;
    char out[16];
    static const struct {
        const char *in;
        int allow_slash;
        const char *want; /* NULL: must fail */
    } cases[] = {
        {"", 0, ""},           {"abc", 0, "abc"},   {"%41%42", 0, "AB"},
        {"%e2%82%ac", 0, "€"}, {"a%20b", 0, "a b"}, {"%2F", 1, "/"},
        {"%2f", 0, NULL},      {"a/b", 0, "a/b"}, /* a literal slash is not an escape */
        {"%", 0, NULL},        {"%4", 0, NULL},     {"a%", 0, NULL},
        {"ab%4", 0, NULL},     {"%zz", 0, NULL},    {"%4g", 0, NULL},
        {"%g4", 0, NULL},      {"% 41", 0, NULL},   {"%00", 1, NULL},
        {"%-1", 0, NULL},      {"%%", 0, NULL},     {"%25%32%46", 0, "%2F"}, /* decoded once only */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, '#', sizeof out);
        int n = http_percent_decode(cases[i].in, strlen(cases[i].in), out, sizeof out,
                                    cases[i].allow_slash);
        if (cases[i].want == NULL) {
            assert_int_equal(n, -1);
        } else {
            assert_int_equal(n, (int)strlen(cases[i].want));
            assert_string_equal(out, cases[i].want);
        }
    }
    /* A raw NUL inside the given length is refused. */
    assert_int_equal(http_percent_decode("a\0b", 3, out, sizeof out, 1), -1);
    /* Only len bytes are read. */
    assert_int_equal(http_percent_decode("abcdef", 3, out, sizeof out, 0), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(http_percent_decode("%41%42", 4, out, sizeof out, 0), -1);
}

static void test_percent_decode_capacity(void **state)
{
    (void)state;
    char out[8];
    /* cap counts the NUL: 3 characters need 4 bytes. */
    memset(out, '#', sizeof out);
    assert_int_equal(http_percent_decode("abc", 3, out, 4, 0), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(out[4], '#');
    memset(out, '#', sizeof out);
    assert_int_equal(http_percent_decode("abc", 3, out, 3, 0), -1);
    assert_int_equal(out[3], '#');
    assert_int_equal(http_percent_decode("%41%42%43", 9, out, 4, 0), 3);
    assert_string_equal(out, "ABC");
    assert_int_equal(http_percent_decode("%41%42%43", 9, out, 3, 0), -1);
    /* Nothing at all fits in 0 bytes; the empty string fits in 1. */
    memset(out, '#', sizeof out);
    assert_int_equal(http_percent_decode("", 0, out, 0, 0), -1);
    assert_int_equal(http_percent_decode("a", 1, out, 0, 0), -1);
    assert_int_equal(out[0], '#');
    assert_int_equal(http_percent_decode("", 0, out, 1, 0), 0);
    assert_int_equal(out[0], '\0');
    assert_int_equal(http_percent_decode("a", 1, out, 1, 0), -1);
    for (size_t cap = 0; cap <= 4; cap++) {
        memset(out, '#', sizeof out);
        int n = http_percent_decode("%41%42%43%44", 12, out, cap, 0);
        assert_int_equal(n, -1);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], '#');
    }
}

/*
 * Regression: router.h says "HEAD is served by the GET route of the same
 * path unless a HEAD route exists", but the first route in table order used
 * to win, so a HEAD route added after the GET route was never used.
 */
static void test_head_route_preferred(void **state)
{
    (void)state;
    struct http_router *r = http_router_new();
    http_router_add(r, HTTP_GET, "/hls/{name}/index.m3u8", h_channel_get, NULL);
    http_router_add(r, HTTP_HEAD, "/hls/{name}/index.m3u8", h_head, NULL);
    struct http_match m;
    char allow[64];
    assert_int_equal(http_router_match(r, HTTP_GET, "/hls/a/index.m3u8", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(m.route, 0);
    assert_int_equal(http_router_match(r, HTTP_HEAD, "/hls/a/index.m3u8", &m, allow, sizeof allow),
                     HTTP_ROUTE_FOUND);
    assert_string_equal(m.values[0], "a");
    assert_int_equal(m.route, 1);
    assert_ptr_equal(m.fn, h_head);
    http_router_free(r);
}

static int count_token(const char *list, const char *tok)
{
    int n = 0;
    size_t len = strlen(tok);
    for (const char *p = list; (p = strstr(p, tok)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ','))
            n++;
    return n;
}

/*
 * Regression: the Allow list of a 405 once named a method once per matching
 * route and appended HEAD whenever GET was there, repeating methods. Routes
 * GET and HEAD on
 * "/hls/{name}/index.m3u8", POST /hls/a/index.m3u8 -> Allow "GET, HEAD, HEAD";
 * routes GET "/api/channels/live" and GET "/api/channels/{name}", POST
 * /api/channels/live -> Allow "GET, GET, HEAD". Expected: each method once.
 */
static int setup_overlapping(void **state)
{
    struct http_router *r = http_router_new();
    http_router_add(r, HTTP_GET, "/hls/{name}/index.m3u8", h_channel_get, NULL);
    http_router_add(r, HTTP_HEAD, "/hls/{name}/index.m3u8", h_head, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/live", h_me, NULL);
    http_router_add(r, HTTP_GET, "/api/channels/{name}", h_channel_get, NULL);
    *state = r;
    return 0;
}

static void test_allow_lists_each_method_once(void **state)
{
    struct http_router *r = *state;
    struct http_match m;
    char allow[64];
    assert_int_equal(http_router_match(r, HTTP_POST, "/hls/a/index.m3u8", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    print_message("Allow: %s\n", allow);
    assert_int_equal(count_token(allow, "GET"), 1);
    assert_int_equal(count_token(allow, "HEAD"), 1);
    assert_int_equal(http_router_match(r, HTTP_POST, "/api/channels/live", &m, allow, sizeof allow),
                     HTTP_ROUTE_BAD_METHOD);
    print_message("Allow: %s\n", allow);
    assert_int_equal(count_token(allow, "GET"), 1);
    assert_int_equal(count_token(allow, "HEAD"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_param_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_param_percent_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_param_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_small_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_served_by_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_api_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_labels, setup, teardown),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_percent_decode_capacity),
        cmocka_unit_test(test_head_route_preferred),
        /* Known bug, see above: fails until router.c is fixed. */
        cmocka_unit_test_setup_teardown(test_allow_lists_each_method_once, setup_overlapping,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
