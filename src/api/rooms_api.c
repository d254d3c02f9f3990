/*
 * rooms_api.c - user rooms and chat history over HTTP.
 *
 *   POST /api/rooms {"title","private","members":[username...]}  (Bearer)
 *     -> 201 {"room":{"id":"room:17","title","private","owner","created_at"}}
 *     A public room is announced to every WebSocket connection (room_created).
 *   GET /api/rooms  (token optional)
 *     -> {"rooms":[room...]}: public rooms and the caller's private ones.
 *   GET /api/rooms/{room}/messages?before_seq=&limit=
 *     -> {"messages":[event...], "next_before_seq": n|null}
 *   Events oldest first within the page (the shape of WebSocket events);
 *   pass next_before_seq to get the page before. Private rooms: members only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "chat/hub.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "http/json.h"
#include "http/server.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

struct hist_ctx {
    struct http_request *req;
    struct app *app;
    char room[STORE_ROOM_MAX + 1];
    int64_t before, user_id;
    size_t limit;
    int rc;
    struct store_chat_event *evs;
    size_t n;
};

static void hist_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct hist_ctx *h = arg;
    h->rc = api__room_readable(c, b, h->room, h->user_id);
    if (h->rc == 0)
        h->rc = b->chat_history(c, h->room, h->before, h->limit, &h->evs, &h->n);
}

static void hist_done(void *arg)
{
    struct hist_ctx *h = arg;
    if (h->rc) {
        api__room_failed(h->req, h->rc);
    } else {
        /* The store pages newest first; a page reads better oldest first. */
        struct buf out;
        buf_init(&out, 0);
        buf_append_str(&out, "{\"messages\":[");
        for (size_t i = h->n; i-- > 0;) {
            chat_event_json(&out, &h->evs[i]);
            if (i)
                buf_append_str(&out, ",");
        }
        if (h->n == h->limit && h->n > 0)
            buf_printf(&out, "],\"next_before_seq\":%lld}", (long long)h->evs[h->n - 1].seq);
        else
            buf_append_str(&out, "],\"next_before_seq\":null}");
        http_respond(h->req, 200, "application/json", NULL, out.data, out.len);
        buf_free(&out);
    }
    free(h->evs);
    free(h);
}

static void history(struct http_request *req, void *arg)
{
    struct app *app = arg;
    const char *room = http_request_param(req, "room");
    uint64_t before = 0, limit = PAGE_DEFAULT;
    bool has_before, has_limit;
    if (!room || strlen(room) > STORE_ROOM_MAX) {
        http_respond_error(req, 404, "not_found", "no such room");
        return;
    }
    if (!http_query_u64(req->query, "before_seq", &before, &has_before) ||
        !http_query_u64(req->query, "limit", &limit, &has_limit) || limit < 1 || limit > PAGE_MAX) {
        http_respond_error(req, 400, "bad_request",
                           "before_seq must be a number >= 0 and limit 1..200");
        return;
    }
    struct hist_ctx *h = xcalloc(1, sizeof *h);
    h->req = req;
    h->app = app;
    snprintf(h->room, sizeof h->room, "%s", room);
    h->before = (int64_t)before;
    h->limit = (size_t)limit;
    /* Optional token: members of private rooms see their history. */
    if (!api__authenticate_optional(req, app, &h->user_id)) {
        free(h);
        return;
    }
    if (!api__store(req, app, hist_job, hist_done, h))
        free(h);
}

/* ---- POST /api/rooms, GET /api/rooms ---- */

#define UNKNOWN_SHOWN 10 /* unknown members named in a 422, at most */

/* A member as requested: its case-folded username ("" when it can't be
 * one), and the name as given (cut short) for the error message. */
struct member {
    char name[STORE_USERNAME_MAX + 1];
    char shown[STORE_USERNAME_MAX + 9];
    bool unknown;
};

struct room_ctx {
    struct http_request *req;
    struct app *app;
    struct auth_claims claims;
    int64_t user_id; /* GET: 0 anonymous */
    int rc;
    /* POST */
    char title[STORE_TITLE_MAX + 1];
    bool private_;
    struct member *members;
    size_t nmembers, nunknown;
    struct store_room room;
    /* GET */
    struct store_room *list;
    char (*owners)[STORE_USERNAME_MAX + 1]; /* list[i]'s owner */
    size_t nlist;
};

static void room_ctx_free(struct room_ctx *c)
{
    free(c->members);
    free(c->list);
    free(c->owners);
    free(c);
}

#define ROOM_ID_MAX 32

/* "room:17": how rooms are named everywhere but in the store's rows. */
static void room_id(const struct store_room *r, char out[ROOM_ID_MAX])
{
    snprintf(out, ROOM_ID_MAX, "room:%lld", (long long)r->id);
}

static json_t *room_json(const struct store_room *r, const char *owner)
{
    char id[ROOM_ID_MAX];
    room_id(r, id);
    return json_pack("{s:s,s:s,s:b,s:s,s:o}", "id", id, "title", r->title, "private", r->private_,
                     "owner", owner, "created_at", api__time_json(r->created_at));
}

static void create_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct room_ctx *c = arg;
    int64_t *ids = xcalloc(c->nmembers ? c->nmembers : 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; i < c->nmembers; i++) {
        struct member *m = &c->members[i];
        struct store_user u;
        int rc = m->name[0] ? b->user_by_name(conn, m->name, &u) : ONAIR_ENOTFOUND;
        if (rc == ONAIR_ENOTFOUND) {
            m->unknown = true;
            c->nunknown++;
        } else if (rc) {
            c->rc = rc;
            goto out;
        } else {
            ids[n++] = u.id;
        }
    }
    if (c->nunknown == 0)
        c->rc = b->room_create(conn, c->claims.user_id, c->title, c->private_, ids, n,
                               clock_wall_ms(), &c->room);
out:
    free(ids);
}

/* 422 naming the members that are not users (the first few of them). */
static void respond_unknown(struct room_ctx *c)
{
    struct buf msg;
    buf_init(&msg, 0);
    buf_append_str(&msg, "members that are not users:");
    size_t shown = 0;
    for (size_t i = 0; i < c->nmembers && shown < UNKNOWN_SHOWN; i++) {
        if (!c->members[i].unknown)
            continue;
        buf_printf(&msg, "%s %s", shown ? "," : "", c->members[i].shown);
        shown++;
    }
    if (c->nunknown > shown)
        buf_printf(&msg, " and %zu more", c->nunknown - shown);
    http_respond_error(c->req, 422, "validation_failed", msg.data);
    buf_free(&msg);
}

static void create_done(void *arg)
{
    struct room_ctx *c = arg;
    if (c->rc == ONAIR_ENOTFOUND) {
        /* Every member was found, so the owner is the one missing. */
        http_respond_error(c->req, 401, "unauthorized", "the account no longer exists");
    } else if (c->rc) {
        api__store_failed(c->req, c->rc);
    } else if (c->nunknown) {
        respond_unknown(c);
    } else {
        if (!c->room.private_) {
            char id[ROOM_ID_MAX];
            room_id(&c->room, id);
            chat_hub_room_created(id, c->room.title);
        }
        http_respond_json(c->req, 201,
                          json_pack("{s:o}", "room", room_json(&c->room, c->claims.username)));
    }
    room_ctx_free(c);
}

/* Reads "members" (optional: an array of strings) into c. Answers the
 * request and returns false when it is malformed. */
static bool read_members(struct http_request *req, json_t *body, struct room_ctx *c)
{
    json_t *arr = json_object_get(body, "members");
    if (!arr)
        return true;
    if (!json_is_array(arr)) {
        http_respond_error(req, 400, "bad_request", "members must be an array of usernames");
        return false;
    }
    size_t n = json_array_size(arr);
    if (n > STORE_ROOM_MEMBERS_MAX) {
        http_respond_error(req, 422, "validation_failed", "a room takes at most 1000 members");
        return false;
    }
    c->members = xcalloc(n ? n : 1, sizeof *c->members);
    c->nmembers = n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            http_respond_error(req, 400, "bad_request", "members must be an array of usernames");
            return false;
        }
        const char *name = json_string_value(v);
        size_t len = json_string_length(v);
        struct member *m = &c->members[i];
        if (!api__normalize_username(name, len, m->name))
            m->name[0] = '\0';
        size_t keep = utf8_truncate((const uint8_t *)name, len, sizeof m->shown - 4);
        snprintf(m->shown, sizeof m->shown, "%.*s%s", (int)keep, name, keep < len ? "..." : "");
    }
    return true;
}

static void room_create(struct http_request *req, void *arg)
{
    struct room_ctx *c = xcalloc(1, sizeof *c);
    c->req = req;
    c->app = arg;
    json_t *body = NULL;
    if (!api__authenticate(req, c->app, &c->claims))
        goto fail;
    if (!(body = http_read_json_object(req)))
        goto fail;
    const char *title;
    size_t len;
    json_t *priv = json_object_get(body, "private");
    if (!json_get_string(body, "title", &title, &len) || (priv && !json_is_boolean(priv))) {
        http_respond_error(req, 400, "bad_request",
                           "title is required and must be a string; private must be a boolean");
        goto fail;
    }
    if (!api__title_ok(title, len)) {
        http_respond_error(req, 422, "validation_failed",
                           "title must be 1 to 140 characters with no control characters");
        goto fail;
    }
    memcpy(c->title, title, len + 1);
    c->private_ = priv && json_is_true(priv);
    if (!read_members(req, body, c))
        goto fail;
    json_decref(body);
    if (!api__store(req, c->app, create_job, create_done, c))
        room_ctx_free(c);
    return;
fail:
    json_decref(body);
    room_ctx_free(c);
}

static void list_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct room_ctx *c = arg;
    if ((c->rc = b->room_list(conn, c->user_id, &c->list, &c->nlist)) != 0 || c->nlist == 0)
        return;
    c->owners = xcalloc(c->nlist, sizeof *c->owners);
    for (size_t i = 0; i < c->nlist; i++) {
        /* Owners repeat: look each one up once (at most STORE_ROOM_LIST_MAX). */
        size_t j = 0;
        while (j < i && c->list[j].owner_id != c->list[i].owner_id)
            j++;
        if (j < i) {
            memcpy(c->owners[i], c->owners[j], sizeof c->owners[i]);
            continue;
        }
        struct store_user u;
        if ((c->rc = b->user_by_id(conn, c->list[i].owner_id, &u)) != 0)
            return;
        memcpy(c->owners[i], u.username, sizeof c->owners[i]);
    }
}

static void list_done(void *arg)
{
    struct room_ctx *c = arg;
    if (c->rc) {
        api__store_failed(c->req, c->rc);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < c->nlist; i++)
            json_array_append_new(arr, room_json(&c->list[i], c->owners[i]));
        http_respond_json(c->req, 200, json_pack("{s:o}", "rooms", arr));
    }
    room_ctx_free(c);
}

static void rooms_list(struct http_request *req, void *arg)
{
    struct room_ctx *c = xcalloc(1, sizeof *c);
    c->req = req;
    c->app = arg;
    if (!api__authenticate_optional(req, c->app, &c->user_id) ||
        !api__store(req, c->app, list_job, list_done, c))
        room_ctx_free(c);
}

void api__register_rooms(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/rooms", rooms_list, app);
    http_router_add(r, HTTP_POST, "/api/rooms", room_create, app);
    http_router_add(r, HTTP_GET, "/api/rooms/{room}/messages", history, app);
}
