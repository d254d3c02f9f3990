/*
 * auth_api.c - signup, login, refresh, logout.
 *
 * Password hashing and checking (argon2id, tens of milliseconds of CPU and
 * memory) run on libuv's worker pool, database work on the store threads;
 * the loop only validates, hands off and answers. Each request carries one
 * heap ctx through its steps and the last step frees it.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <uv.h>

#include "api/internal.h"
#include "auth/limiter.h"
#include "auth/password.h"
#include "auth/revoked.h"
#include "auth/token.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "http/json.h"
#include "http/server.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

struct auth_ctx {
    uv_work_t work;
    struct http_request *req;
    struct app *app;
    char username[STORE_USERNAME_MAX + 1];
    char password[PASSWORD_MAX + 1];
    size_t password_len;
    char pwhash[STORE_PWHASH_MAX + 1];
    bool user_found;
    bool password_ok;
    bool impossible;   /* login input that can't match any account (checked anyway, for timing) */
    bool have_refresh; /* logout: revoke by the refresh token in old_hash */
    int rc;
    struct store_new_user nu;
    char stream_key[AUTH_TOKEN_MAX + 1];
    struct store_user user;
    struct store_channel channel;
    struct store_refresh refresh;
    uint8_t old_hash[STORE_HASH_LEN];
    char sid[STORE_KEY_MAX + 1];
    char access[AUTH_JWT_MAX + 1];
    char refresh_token[AUTH_TOKEN_MAX + 1];
};

static struct auth_ctx *ctx_new(struct http_request *req, struct app *app)
{
    struct auth_ctx *c = xcalloc(1, sizeof *c);
    c->req = req;
    c->app = app;
    return c;
}

static void ctx_free(struct auth_ctx *c)
{
    sodium_memzero(c->password, sizeof c->password);
    free(c);
}

/* Reads {"username","password"} into c; answers the request on failure. */
static bool read_credentials(struct http_request *req, struct auth_ctx *c, bool validate)
{
    json_t *body = http_read_json_object(req);
    if (!body)
        return false;
    const char *u, *p;
    size_t ulen, plen;
    if (!json_get_string(body, "username", &u, &ulen) ||
        !json_get_string(body, "password", &p, &plen)) {
        json_decref(body);
        http_respond_error(req, 400, "bad_request",
                           "username and password are required and must be strings");
        return false;
    }
    bool name_ok = api__normalize_username(u, ulen, c->username);
    bool pw_ok = plen >= PASSWORD_MIN && plen <= PASSWORD_MAX;
    if (validate && !name_ok) {
        json_decref(body);
        http_respond_error(req, 422, "validation_failed",
                           "username must be 3 to 24 characters of a-z, 0-9 and _");
        return false;
    }
    if (validate && !pw_ok) {
        json_decref(body);
        http_respond_error(req, 422, "validation_failed", "password must be 8 to 128 bytes long");
        return false;
    }
    if (!name_ok) { /* a name that can't exist: handled like an unknown user */
        c->username[0] = '\0';
        c->impossible = true;
    }
    if (plen > PASSWORD_MAX) { /* can't match any account; still costs one verify */
        plen = PASSWORD_MAX;
        c->impossible = true;
    }
    memcpy(c->password, p, plen);
    c->password_len = plen;
    json_decref(body);
    return true;
}

/* ---- signup: validate -> hash (worker pool) -> insert (store) -> 201 ---- */

static void signup_insert_done(void *arg)
{
    struct auth_ctx *c = arg;
    if (c->rc == ONAIR_ECONFLICT)
        http_respond_error(c->req, 409, "username_taken", "that username is taken");
    else if (c->rc)
        api__store_failed(c->req, c->rc);
    else
        http_respond_json(c->req, 201,
                          json_pack("{s:{s:I,s:s}}", "user", "id", (json_int_t)c->user.id,
                                    "username", c->user.username));
    ctx_free(c);
}

static void signup_insert(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct auth_ctx *c = arg;
    c->rc = b->user_create(conn, &c->nu, &c->user, &c->channel);
}

static void signup_hash(uv_work_t *w)
{
    struct auth_ctx *c = w->data;
    c->rc = auth_password_hash(c->password, c->password_len, c->pwhash);
}

static void signup_hashed(uv_work_t *w, int status)
{
    struct auth_ctx *c = w->data;
    if (status != 0 || c->rc != 0) {
        api__store_failed(c->req, c->rc ? c->rc : ONAIR_EIO);
        ctx_free(c);
        return;
    }
    auth_token_random(c->stream_key, 24);
    c->nu.username = c->username;
    c->nu.password_hash = c->pwhash;
    c->nu.channel_title = c->username; /* a fresh channel is titled after its owner */
    c->nu.stream_key = c->stream_key;
    auth_token_sha256(c->stream_key, strlen(c->stream_key), c->nu.stream_key_hash);
    c->nu.now = clock_wall_ms();
    if (!api__store(c->req, c->app, signup_insert, signup_insert_done, c))
        ctx_free(c);
}

static void signup(struct http_request *req, void *arg)
{
    struct auth_ctx *c = ctx_new(req, arg);
    if (!read_credentials(req, c, true)) {
        ctx_free(c);
        return;
    }
    c->work.data = c;
    if (uv_queue_work(&req->loop->uv, &c->work, signup_hash, signup_hashed) != 0) {
        api__store_failed(req, ONAIR_EIO);
        ctx_free(c);
    }
}

/* ---- login: limits -> lookup (store) -> verify (worker) -> token (store) -> 200 ---- */

static void login_fail(struct auth_ctx *c)
{
    int64_t now = clock_wall_ms();
    if (c->username[0])
        auth_limiter_fail(c->app->login_by_user, c->username, now);
    auth_limiter_fail(c->app->login_by_ip, c->req->remote_ip, now);
    http_respond_error(c->req, 401, "invalid_credentials", "wrong username or password");
    ctx_free(c);
}

static void login_saved(void *arg)
{
    struct auth_ctx *c = arg;
    if (c->rc) {
        api__store_failed(c->req, c->rc);
    } else {
        auth_limiter_reset(c->app->login_by_user, c->username);
        http_respond_json(c->req, 200, api__token_pair_json(c->app, c->access, c->refresh_token));
    }
    ctx_free(c);
}

static void login_save(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct auth_ctx *c = arg;
    c->rc = b->refresh_insert(conn, &c->refresh, clock_wall_ms());
}

static void login_verify(uv_work_t *w)
{
    struct auth_ctx *c = w->data;
    /* Unknown users are checked against a dummy hash of the same cost, so
     * the answer and its timing don't tell whether a username exists. */
    const char *hash = c->user_found ? c->user.password_hash : auth_password_dummy_hash();
    bool ok = auth_password_verify(hash, c->password, c->password_len);
    c->password_ok = ok && c->user_found;
}

static void login_verified(uv_work_t *w, int status)
{
    struct auth_ctx *c = w->data;
    if (status != 0 || !c->password_ok) {
        login_fail(c);
        return;
    }
    auth_token_random(c->sid, 16);
    api__new_refresh(c->app, c->user.id, c->sid, c->refresh_token, &c->refresh);
    if (api__sign_access(c->app, c->user.id, c->user.username, c->sid, c->access,
                         sizeof c->access) != 0) {
        api__store_failed(c->req, ONAIR_EIO);
        ctx_free(c);
        return;
    }
    if (!api__store(c->req, c->app, login_save, login_saved, c))
        ctx_free(c);
}

static void login_lookup_done(void *arg)
{
    struct auth_ctx *c = arg;
    if (c->rc && c->rc != ONAIR_ENOTFOUND) {
        api__store_failed(c->req, c->rc);
        ctx_free(c);
        return;
    }
    c->user_found = c->rc == 0;
    c->work.data = c;
    if (uv_queue_work(&c->req->loop->uv, &c->work, login_verify, login_verified) != 0) {
        api__store_failed(c->req, ONAIR_EIO);
        ctx_free(c);
    }
}

static void login_lookup(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct auth_ctx *c = arg;
    c->rc = c->impossible ? ONAIR_ENOTFOUND : b->user_by_name(conn, c->username, &c->user);
}

static bool login_blocked(struct http_request *req, struct app *app, const char *username)
{
    int64_t now = clock_wall_ms(), wait_user = 0, wait_ip = 0;
    bool by_user =
        username[0] && auth_limiter_blocked(app->login_by_user, username, now, &wait_user);
    bool by_ip = auth_limiter_blocked(app->login_by_ip, req->remote_ip, now, &wait_ip);
    if (!by_user && !by_ip)
        return false;
    int64_t wait = wait_user > wait_ip ? wait_user : wait_ip;
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Retry-After: %lld\r\n", (long long)((wait + 999) / 1000));
    http_respond_error_headers(req, 429, "rate_limited", "too many failed logins; try again later",
                               hdr);
    return true;
}

static void login(struct http_request *req, void *arg)
{
    struct auth_ctx *c = ctx_new(req, arg);
    if (!read_credentials(req, c, false)) {
        ctx_free(c);
        return;
    }
    if (login_blocked(req, c->app, c->username)) {
        ctx_free(c);
        return;
    }
    if (!api__store(req, c->app, login_lookup, login_lookup_done, c))
        ctx_free(c);
}

/* ---- refresh: rotate (store) -> 200 with a new pair ---- */

static void refresh_done(void *arg)
{
    struct auth_ctx *c = arg;
    if (c->rc == ONAIR_ESTALE) {
        /* Reuse means a copy of the token leaked: the family is revoked in
         * the store; refuse its access tokens here too until they expire. */
        if (c->refresh.family[0])
            auth_revoked_add(c->app->revoked, c->refresh.family,
                             clock_wall_ms() + c->app->access_ttl_s * 1000);
        log_warn("auth", "refresh token reused; session revoked", NULL);
        http_respond_error(c->req, 401, "token_reused",
                           "this refresh token was already used; the session is revoked");
    } else if (c->rc == ONAIR_ENOTFOUND) {
        http_respond_error(c->req, 401, "invalid_token", "unknown or expired refresh token");
    } else if (c->rc) {
        api__store_failed(c->req, c->rc);
    } else if (api__sign_access(c->app, c->user.id, c->user.username, c->refresh.family, c->access,
                                sizeof c->access) != 0) {
        api__store_failed(c->req, ONAIR_EIO);
    } else {
        http_respond_json(c->req, 200, api__token_pair_json(c->app, c->access, c->refresh_token));
    }
    ctx_free(c);
}

static void refresh_rotate(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct auth_ctx *c = arg;
    c->rc = b->refresh_rotate(conn, c->old_hash, &c->refresh, clock_wall_ms(), &c->user);
}

static void refresh(struct http_request *req, void *arg)
{
    struct auth_ctx *c = ctx_new(req, arg);
    json_t *body = http_read_json_object(req);
    if (!body) {
        ctx_free(c);
        return;
    }
    const char *tok;
    size_t len;
    if (!json_get_string(body, "refresh_token", &tok, &len)) {
        json_decref(body);
        ctx_free(c);
        http_respond_error(req, 400, "bad_request", "refresh_token is required");
        return;
    }
    auth_token_sha256(tok, len, c->old_hash);
    json_decref(body);
    /* The next token is made here so the store can save its hash atomically
     * with spending the old one. */
    api__new_refresh(c->app, 0, "", c->refresh_token, &c->refresh);
    if (!api__store(req, c->app, refresh_rotate, refresh_done, c))
        ctx_free(c);
}

/* ---- logout: revoke the session (store) -> 204 ---- */

static void logout_done(void *arg)
{
    struct auth_ctx *c = arg;
    if (c->rc && c->rc != ONAIR_ENOTFOUND) {
        api__store_failed(c->req, c->rc);
    } else {
        if (c->sid[0])
            auth_revoked_add(c->app->revoked, c->sid,
                             clock_wall_ms() + c->app->access_ttl_s * 1000);
        http_respond(c->req, 204, NULL, NULL, NULL, 0);
    }
    ctx_free(c);
}

static void logout_revoke(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct auth_ctx *c = arg;
    int64_t now = clock_wall_ms();
    c->rc = 0;
    if (c->sid[0])
        c->rc = b->refresh_revoke_family(conn, c->sid, now);
    if (c->have_refresh) {
        /* The refresh token names the session too: its access tokens go. */
        char family[STORE_KEY_MAX + 1] = "";
        int rc = b->refresh_revoke(conn, c->old_hash, now, family);
        if (rc == 0 && !c->sid[0])
            memcpy(c->sid, family, sizeof c->sid);
        if (rc && rc != ONAIR_ENOTFOUND)
            c->rc = rc;
    }
}

static void logout(struct http_request *req, void *arg)
{
    struct app *app = arg;
    struct auth_ctx *c = ctx_new(req, app);
    if (req->body_len > 0) {
        json_t *body = http_read_json_object(req);
        if (!body) {
            ctx_free(c);
            return;
        }
        const char *tok;
        size_t len;
        if (json_object_get(body, "refresh_token")) {
            if (!json_get_string(body, "refresh_token", &tok, &len)) {
                json_decref(body);
                ctx_free(c);
                http_respond_error(req, 400, "bad_request", "refresh_token must be a string");
                return;
            }
            auth_token_sha256(tok, len, c->old_hash);
            c->have_refresh = true;
        }
        json_decref(body);
    }
    if (http_request_header(req, "Authorization")) {
        struct auth_claims claims;
        if (!api__authenticate(req, app, &claims)) {
            ctx_free(c);
            return;
        }
        memcpy(c->sid, claims.sid, sizeof c->sid);
    }
    if (!c->sid[0] && !c->have_refresh) {
        ctx_free(c);
        http_respond_error(req, 401, "unauthorized",
                           "send the refresh_token or a Bearer access token to log out");
        return;
    }
    if (!api__store(req, app, logout_revoke, logout_done, c))
        ctx_free(c);
}

void api__register_auth(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_POST, "/api/auth/signup", signup, app);
    http_router_add(r, HTTP_POST, "/api/auth/login", login, app);
    http_router_add(r, HTTP_POST, "/api/auth/refresh", refresh, app);
    http_router_add(r, HTTP_POST, "/api/auth/logout", logout, app);
}
