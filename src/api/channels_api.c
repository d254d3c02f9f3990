/*
 * channels_api.c - the signed-in user (/api/me), stream keys and channels.
 */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "auth/token.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "http/json.h"
#include "http/server.h"

#define TITLE_MAX_CHARS 140
#define STREAM_KEY_BYTES 24 /* 192 bits, 32 URL-safe characters */

struct chan_ctx {
    struct http_request *req;
    struct app *app;
    struct auth_claims claims;
    int rc;
    struct store_user user;
    struct store_channel channel;
    struct store_channel *list;
    size_t nlist;
    char name[STORE_USERNAME_MAX + 1];
    char title[STORE_TITLE_MAX + 1];
    char key[STORE_KEY_MAX + 1];
    uint8_t key_hash[STORE_HASH_LEN];
};

static struct chan_ctx *ctx_new(struct http_request *req, struct app *app)
{
    struct chan_ctx *c = xcalloc(1, sizeof *c);
    c->req = req;
    c->app = app;
    return c;
}

static void ctx_free(struct chan_ctx *c)
{
    free(c->list);
    free(c);
}

/* Submits job for c, freeing c if the store can't take it. */
static void submit(struct chan_ctx *c, store_job_fn job, store_done_fn done)
{
    if (!api__store(c->req, c->app, job, done, c))
        ctx_free(c);
}

/* A channel name from the path: the owner's username, so the same rules. */
static bool copy_name(struct http_request *req, char *out)
{
    const char *name = http_request_param(req, "name");
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > STORE_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        out[i] = ch;
    }
    out[n] = '\0';
    return true;
}

/* ---- GET /api/me ---- */

static void me_done(void *arg)
{
    struct chan_ctx *c = arg;
    if (c->rc == ONAIR_ENOTFOUND)
        http_respond_error(c->req, 401, "unauthorized", "the account no longer exists");
    else if (c->rc)
        api__store_failed(c->req, c->rc);
    else
        http_respond_json(c->req, 200,
                          json_pack("{s:{s:I,s:s,s:o},s:o}", "user", "id", (json_int_t)c->user.id,
                                    "username", c->user.username, "created_at",
                                    api__time_json(c->user.created_at), "channel",
                                    api__channel_json(&c->channel)));
    ctx_free(c);
}

static void me_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->user_by_id(conn, c->claims.user_id, &c->user);
    if (c->rc == 0)
        c->rc = b->channel_by_owner(conn, c->claims.user_id, &c->channel);
}

static void me(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    submit(c, me_job, me_done);
}

/* ---- GET /api/me/stream-key, POST /api/me/stream-key/rotate ---- */

static void key_done(void *arg)
{
    struct chan_ctx *c = arg;
    if (c->rc == ONAIR_ENOTFOUND)
        http_respond_error(c->req, 404, "not_found", "no channel for this account");
    else if (c->rc)
        api__store_failed(c->req, c->rc);
    else
        http_respond_json(c->req, 200, json_pack("{s:s}", "stream_key", c->key));
    ctx_free(c);
}

static void key_get_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->stream_key_get(conn, c->claims.user_id, c->key);
}

static void key_set_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->stream_key_set(conn, c->claims.user_id, c->key, c->key_hash);
}

static void stream_key(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    submit(c, key_get_job, key_done);
}

static void stream_key_rotate(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    auth_token_random(c->key, STREAM_KEY_BYTES);
    auth_token_sha256(c->key, strlen(c->key), c->key_hash);
    submit(c, key_set_job, key_done);
}

/* ---- GET /api/channels ---- */

static void list_done(void *arg)
{
    struct chan_ctx *c = arg;
    if (c->rc) {
        api__store_failed(c->req, c->rc);
        ctx_free(c);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < c->nlist; i++)
        json_array_append_new(arr, api__channel_json(&c->list[i]));
    http_respond_json(c->req, 200, json_pack("{s:o}", "channels", arr));
    ctx_free(c);
}

static void list_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->channel_list(conn, &c->list, &c->nlist);
}

static void channels_list(struct http_request *req, void *arg)
{
    submit(ctx_new(req, arg), list_job, list_done);
}

/* ---- GET /api/channels/{name} ---- */

static void get_done(void *arg)
{
    struct chan_ctx *c = arg;
    if (c->rc == ONAIR_ENOTFOUND)
        http_respond_error(c->req, 404, "not_found", "no such channel");
    else if (c->rc == ONAIR_EDENIED)
        http_respond_error(c->req, 403, "forbidden", "only the channel's owner may change it");
    else if (c->rc)
        api__store_failed(c->req, c->rc);
    else
        http_respond_json(c->req, 200, api__channel_json(&c->channel));
    ctx_free(c);
}

static void get_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->channel_by_name(conn, c->name, &c->channel);
}

static void channel_get(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!copy_name(req, c->name)) {
        http_respond_error(req, 404, "not_found", "no such channel");
        ctx_free(c);
        return;
    }
    submit(c, get_job, get_done);
}

/* ---- PATCH /api/channels/{name} {"title"} ---- */

static void patch_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    c->rc = b->channel_set_title(conn, c->name, c->claims.user_id, c->title);
    if (c->rc == 0)
        c->rc = b->channel_by_name(conn, c->name, &c->channel);
}

/* Counts UTF-8 characters (jansson has already validated the encoding)
 * and refuses control characters other than tab: a title is one line. */
static bool title_ok(const char *s, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
        if ((ch & 0xC0) != 0x80)
            chars++;
    }
    return chars >= 1 && chars <= TITLE_MAX_CHARS;
}

static void channel_patch(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->app, &c->claims))
        goto out;
    if (!copy_name(req, c->name)) {
        http_respond_error(req, 404, "not_found", "no such channel");
        goto out;
    }
    json_t *body = http_read_json_object(req);
    if (!body)
        goto out;
    const char *title;
    size_t len;
    if (!json_get_string(body, "title", &title, &len)) {
        json_decref(body);
        http_respond_error(req, 400, "bad_request", "title is required and must be a string");
        goto out;
    }
    if (!title_ok(title, len) || len > STORE_TITLE_MAX) {
        json_decref(body);
        http_respond_error(req, 422, "validation_failed",
                           "title must be 1 to 140 characters with no control characters");
        goto out;
    }
    memcpy(c->title, title, len + 1);
    json_decref(body);
    submit(c, patch_job, get_done);
    return;
out:
    ctx_free(c);
}

void api__register_channels(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/me", me, app);
    http_router_add(r, HTTP_GET, "/api/me/stream-key", stream_key, app);
    http_router_add(r, HTTP_POST, "/api/me/stream-key/rotate", stream_key_rotate, app);
    http_router_add(r, HTTP_GET, "/api/channels", channels_list, app);
    http_router_add(r, HTTP_GET, "/api/channels/{name}", channel_get, app);
    http_router_add(r, HTTP_PATCH, "/api/channels/{name}", channel_patch, app);
}
