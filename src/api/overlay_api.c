/*
 * overlay_api.c - the overlay key of a channel (issue 6): what the pages
 * that OBS's browser source shows (alerts, chat) are opened with.
 *
 *   GET  /api/channels/{name}/overlay          owner: the key (made on first call) and URLs
 *   POST /api/channels/{name}/overlay/rotate   owner: a new key; the old one stops at once
 *   GET  /api/overlay/{name}?key=              no login: checks a key, says which room to join
 *
 * The key is not the stream key and not a login: it only says that the
 * channel's owner made this URL. It is "ov_" + 32 URL-safe characters (192
 * random bits from the same generator as stream keys), compared in
 * constant time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "auth/token.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "http/json.h"
#include "http/server.h"

#define OVERLAY_KEY_PREFIX "ov_"
#define OVERLAY_KEY_PREFIX_LEN 3
#define OVERLAY_KEY_BYTES 24     /* 192 bits, 32 URL-safe characters */
#define OVERLAY_KEY_MIN_CHARS 24 /* after the prefix: what a presented key must have */
#define OVERLAY_KEY_MAX_CHARS 61 /* ... at most (prefix included it fits STORE_KEY_MAX) */
#define OVERLAY_KEY_ATTEMPTS 3   /* fresh keys tried when one is, impossibly, taken */

_Static_assert(OVERLAY_KEY_PREFIX_LEN + OVERLAY_KEY_MAX_CHARS <= STORE_KEY_MAX, "key fits");

struct overlay_ctx {
    struct http_request *req;
    struct app *app;
    struct auth_claims claims;
    int rc;
    bool rotate;
    struct store_channel channel;
    char name[STORE_USERNAME_MAX + 1];
    char key[STORE_KEY_MAX + 1];    /* presented (check) or the channel's (owner) */
    char stored[STORE_KEY_MAX + 1]; /* check: the channel's key, "" if none */
};

static struct overlay_ctx *ctx_new(struct http_request *req, struct app *app)
{
    struct overlay_ctx *o = xcalloc(1, sizeof *o);
    o->req = req;
    o->app = app;
    return o;
}

static void submit(struct overlay_ctx *o, store_job_fn job, store_done_fn done)
{
    if (!api__store(o->req, o->app, job, done, o))
        free(o);
}

static void new_key(char *out)
{
    memcpy(out, OVERLAY_KEY_PREFIX, OVERLAY_KEY_PREFIX_LEN);
    auth_token_random(out + OVERLAY_KEY_PREFIX_LEN, OVERLAY_KEY_BYTES);
}

/* "ov_" and OVERLAY_KEY_MIN_CHARS..MAX_CHARS of [A-Za-z0-9_-]: the shape of
 * every key this server makes (any length change stays inside it). */
static bool key_well_formed(const char *k)
{
    if (strncmp(k, OVERLAY_KEY_PREFIX, OVERLAY_KEY_PREFIX_LEN) != 0)
        return false;
    size_t n = 0;
    for (const char *p = k + OVERLAY_KEY_PREFIX_LEN; *p; p++, n++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok || n >= OVERLAY_KEY_MAX_CHARS)
            return false;
    }
    return n >= OVERLAY_KEY_MIN_CHARS;
}

static json_t *urls_json(const char *name, const char *key)
{
    /* Names are [a-z0-9_] and keys URL-safe: nothing to escape. */
    char alerts[128], chat[128];
    snprintf(alerts, sizeof alerts, "/overlay/%s?key=%s", name, key);
    snprintf(chat, sizeof chat, "/overlay/%s/chat?key=%s", name, key);
    return json_pack("{s:{s:s,s:s,s:s}}", "overlay", "key", key, "alerts_url", alerts, "chat_url",
                     chat);
}

/* ---- GET /api/channels/{name}/overlay, POST .../overlay/rotate ---- */

static void owner_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct overlay_ctx *o = arg;
    if ((o->rc = b->channel_by_name(c, o->name, &o->channel)) != 0)
        return;
    if (o->channel.owner_id != o->claims.user_id) {
        o->rc = ONAIR_EDENIED;
        return;
    }
    /* A clash with another channel's key would take 2^96 keys to expect:
     * still, answer with a fresh key rather than an error. */
    for (int i = 0; i < OVERLAY_KEY_ATTEMPTS; i++) {
        char key[STORE_KEY_MAX + 1];
        new_key(key);
        int64_t now = clock_wall_ms();
        if (o->rotate) {
            o->rc = b->overlay_key_set(c, o->channel.id, key, now);
            if (o->rc == 0)
                memcpy(o->key, key, sizeof key);
        } else {
            o->rc = b->overlay_key_ensure(c, o->channel.id, key, now, o->key);
        }
        if (o->rc != ONAIR_ECONFLICT)
            return;
    }
}

static void owner_done(void *arg)
{
    struct overlay_ctx *o = arg;
    if (o->rc == ONAIR_ENOTFOUND)
        http_respond_error(o->req, 404, "not_found", "no such channel");
    else if (o->rc == ONAIR_EDENIED)
        http_respond_error(o->req, 403, "forbidden",
                           "only the channel's owner may see or change its overlay key");
    else if (o->rc)
        api__store_failed(o->req, o->rc);
    else
        http_respond_json(o->req, 200, urls_json(o->channel.name, o->key));
    free(o);
}

static void owner_request(struct http_request *req, struct app *app, bool rotate)
{
    struct overlay_ctx *o = ctx_new(req, app);
    o->rotate = rotate;
    if (!api__authenticate(req, app, &o->claims)) {
        free(o);
        return;
    }
    if (!api__channel_param(req, o->name)) {
        free(o);
        return;
    }
    submit(o, owner_job, owner_done);
}

static void overlay_get(struct http_request *req, void *arg)
{
    owner_request(req, arg, false);
}

static void overlay_rotate(struct http_request *req, void *arg)
{
    owner_request(req, arg, true);
}

/* ---- GET /api/overlay/{name}?key= ---- */

static void check_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct overlay_ctx *o = arg;
    if ((o->rc = b->channel_by_name(c, o->name, &o->channel)) != 0)
        return;
    o->rc = b->overlay_key_get(c, o->channel.id, o->stored);
    if (o->rc == ONAIR_ENOTFOUND) {
        o->stored[0] = '\0'; /* no key yet: every key is wrong */
        o->rc = 0;
    }
}

static void check_done(void *arg)
{
    struct overlay_ctx *o = arg;
    size_t n = strlen(o->key);
    /* Lengths are not secret; the bytes are compared in constant time. */
    bool match = o->stored[0] && strlen(o->stored) == n && auth_token_equal(o->stored, o->key, n);
    if (o->rc == ONAIR_ENOTFOUND) {
        http_respond_error(o->req, 404, "not_found", "no such channel");
    } else if (o->rc) {
        api__store_failed(o->req, o->rc);
    } else if (!match) {
        http_respond_error(o->req, 403, "forbidden",
                           "this overlay key is wrong or was replaced: copy the overlay URL from "
                           "the dashboard again");
    } else {
        char room[STORE_ROOM_MAX + 1];
        snprintf(room, sizeof room, "channel:%s", o->channel.name);
        http_respond_json(o->req, 200,
                          json_pack("{s:s,s:s,s:s,s:b}", "channel", o->channel.name, "room", room,
                                    "title", o->channel.title, "live", o->channel.live));
    }
    free(o);
}

static void overlay_check(struct http_request *req, void *arg)
{
    struct overlay_ctx *o = ctx_new(req, arg);
    bool present = false;
    if (!http_query_str(req->query, "key", o->key, sizeof o->key, &present) || !present ||
        !key_well_formed(o->key)) {
        http_respond_error(req, 400, "bad_request",
                           "key is required: \"ov_\" and 24 to 61 URL-safe characters");
        free(o);
        return;
    }
    if (!api__channel_param(req, o->name)) {
        free(o);
        return;
    }
    submit(o, check_job, check_done);
}

void api__register_overlay(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/channels/{name}/overlay", overlay_get, app);
    http_router_add(r, HTTP_POST, "/api/channels/{name}/overlay/rotate", overlay_rotate, app);
    http_router_add(r, HTTP_GET, "/api/overlay/{name}", overlay_check, app);
}
