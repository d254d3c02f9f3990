/*
 * channels_api.c - the signed-in user (/api/me), stream keys, channels and
 * their moderators.
 *
 *   POST   /api/channels/{name}/moderators {"username"}  owner only
 *   DELETE /api/channels/{name}/moderators/{username}    owner only
 *   GET    /api/channels/{name}/moderators               owner and moderators
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
    struct store_user *mods;
    size_t nmods;
    bool added;          /* moderator_add: not a moderator before */
    bool owner_self;     /* moderator_add: the owner named themself */
    const char *missing; /* ENOTFOUND: "no such channel", "no such user"... */
    char name[STORE_USERNAME_MAX + 1];
    char username[STORE_USERNAME_MAX + 1]; /* "" when the request's can't exist */
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
    free(c->mods);
    free(c);
}

/* Submits job for c, freeing c if the store can't take it. */
static void submit(struct chan_ctx *c, store_job_fn job, store_done_fn done)
{
    if (!api__store(c->req, c->app, job, done, c))
        ctx_free(c);
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
        http_respond_json(
            c->req, 200,
            json_pack("{s:s,s:i}", "stream_key", c->key, "rtmp_port", c->app->rtmp_port));
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
    if (!api__channel_param(req, c->name)) {
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

static void channel_patch(struct http_request *req, void *arg)
{
    struct chan_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->app, &c->claims))
        goto out;
    if (!api__channel_param(req, c->name)) {
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
    if (!api__title_ok(title, len)) {
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

/* ---- channel moderators ---- */

/* The channel c->name, and whether the caller owns it (or, when mods_may,
 * moderates it). Leaves c->rc at 0 when the caller may go on. */
static bool mod_channel(struct chan_ctx *c, struct store_conn *conn, const struct store_backend *b,
                        bool mods_may)
{
    c->missing = "no such channel";
    if ((c->rc = b->channel_by_name(conn, c->name, &c->channel)) != 0)
        return false;
    if (c->channel.owner_id == c->claims.user_id)
        return true;
    bool mod = false;
    if (mods_may && (c->rc = b->moderator_check(conn, c->channel.id, c->claims.user_id, &mod)))
        return false;
    if (!mod)
        c->rc = ONAIR_EDENIED;
    return mod;
}

/* The user c->username, after the channel check (a stranger learns nothing
 * about users from a 404 here). */
static bool mod_user(struct chan_ctx *c, struct store_conn *conn, const struct store_backend *b)
{
    c->missing = "no such user";
    c->rc = c->username[0] ? b->user_by_name(conn, c->username, &c->user) : ONAIR_ENOTFOUND;
    return c->rc == 0;
}

static void mod_add_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    if (!mod_channel(c, conn, b, false) || !mod_user(c, conn, b))
        return;
    if (c->user.id == c->channel.owner_id) {
        c->owner_self = true;
        return;
    }
    bool was = false;
    if ((c->rc = b->moderator_check(conn, c->channel.id, c->user.id, &was)) == 0)
        c->rc = b->moderator_add(conn, c->channel.id, c->user.id);
    c->added = !was;
}

static void mod_remove_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    if (!mod_channel(c, conn, b, false) || !mod_user(c, conn, b))
        return;
    c->missing = "this user is not a moderator of the channel";
    c->rc = b->moderator_remove(conn, c->channel.id, c->user.id);
}

static void mod_list_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct chan_ctx *c = arg;
    if (mod_channel(c, conn, b, true))
        c->rc = b->moderator_list(conn, c->channel.id, &c->mods, &c->nmods);
}

/* Answers a moderator request: the error, or what `ok` makes of c. */
static void mod_answer(struct chan_ctx *c, void (*ok)(struct chan_ctx *c))
{
    if (c->rc == ONAIR_ENOTFOUND)
        http_respond_error(c->req, 404, "not_found", c->missing);
    else if (c->rc == ONAIR_EDENIED)
        http_respond_error(
            c->req, 403, "forbidden",
            "only the channel's owner (or, to list them, its moderators) may do this");
    else if (c->owner_self)
        http_respond_error(c->req, 422, "validation_failed",
                           "the channel's owner can't be made its moderator");
    else if (c->rc)
        api__store_failed(c->req, c->rc);
    else
        ok(c);
    ctx_free(c);
}

static void mod_added(struct chan_ctx *c)
{
    /* Adding is idempotent: 201 the first time, 200 with the same body after. */
    http_respond_json(
        c->req, c->added ? 201 : 200,
        json_pack("{s:o}", "moderator", api__user_json(c->user.id, c->user.username)));
}

static void mod_removed(struct chan_ctx *c)
{
    http_respond(c->req, 204, NULL, NULL, NULL, 0);
}

static void mod_listed(struct chan_ctx *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->nmods; i++)
        json_array_append_new(arr, api__user_json(c->mods[i].id, c->mods[i].username));
    http_respond_json(c->req, 200, json_pack("{s:o}", "moderators", arr));
}

static void mod_add_done(void *arg)
{
    mod_answer(arg, mod_added);
}

static void mod_remove_done(void *arg)
{
    mod_answer(arg, mod_removed);
}

static void mod_list_done(void *arg)
{
    mod_answer(arg, mod_listed);
}

/* The common start of a moderator request: the caller and the channel.
 * NULL when it has been answered already. */
static struct chan_ctx *mod_begin(struct http_request *req, struct app *app)
{
    struct chan_ctx *c = ctx_new(req, app);
    if (!api__authenticate(req, app, &c->claims)) {
        ctx_free(c);
        return NULL;
    }
    if (!api__channel_param(req, c->name)) {
        ctx_free(c);
        return NULL;
    }
    return c;
}

/* A username that can't exist stays "": the job answers 404 for it after
 * the ownership check. */
static void set_username(struct chan_ctx *c, const char *name, size_t len)
{
    if (!api__normalize_username(name, len, c->username))
        c->username[0] = '\0';
}

static void moderator_add(struct http_request *req, void *arg)
{
    struct chan_ctx *c = mod_begin(req, arg);
    if (!c)
        return;
    json_t *body = http_read_json_object(req);
    if (!body) {
        ctx_free(c);
        return;
    }
    const char *name;
    size_t len;
    if (!json_get_string(body, "username", &name, &len)) {
        json_decref(body);
        http_respond_error(req, 400, "bad_request", "username is required and must be a string");
        ctx_free(c);
        return;
    }
    set_username(c, name, len);
    json_decref(body);
    submit(c, mod_add_job, mod_add_done);
}

static void moderator_remove(struct http_request *req, void *arg)
{
    struct chan_ctx *c = mod_begin(req, arg);
    if (!c)
        return;
    const char *name = http_request_param(req, "username");
    set_username(c, name, strlen(name));
    submit(c, mod_remove_job, mod_remove_done);
}

static void moderators_list(struct http_request *req, void *arg)
{
    struct chan_ctx *c = mod_begin(req, arg);
    if (c)
        submit(c, mod_list_job, mod_list_done);
}

void api__register_channels(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/me", me, app);
    http_router_add(r, HTTP_GET, "/api/me/stream-key", stream_key, app);
    http_router_add(r, HTTP_POST, "/api/me/stream-key/rotate", stream_key_rotate, app);
    http_router_add(r, HTTP_GET, "/api/channels", channels_list, app);
    http_router_add(r, HTTP_GET, "/api/channels/{name}", channel_get, app);
    http_router_add(r, HTTP_PATCH, "/api/channels/{name}", channel_patch, app);
    http_router_add(r, HTTP_GET, "/api/channels/{name}/moderators", moderators_list, app);
    http_router_add(r, HTTP_POST, "/api/channels/{name}/moderators", moderator_add, app);
    http_router_add(r, HTTP_DELETE, "/api/channels/{name}/moderators/{username}", moderator_remove,
                    app);
}
