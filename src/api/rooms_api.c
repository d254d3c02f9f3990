/*
 * rooms_api.c - chat history over HTTP.
 *
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
#include "core/err.h"
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
    bool forbidden;
    struct store_chat_event *evs;
    size_t n;
};

static void hist_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct hist_ctx *h = arg;
    if (strncmp(h->room, "room:", 5) == 0) {
        struct store_room r;
        long long id = strtoll(h->room + 5, NULL, 10);
        h->rc = b->room_get(c, id, &r);
        if (h->rc)
            return;
        if (r.private_) {
            bool member = false;
            if (!h->user_id || b->room_is_member(c, id, h->user_id, &member) != 0 || !member) {
                h->forbidden = true;
                return;
            }
        }
    } else if (strncmp(h->room, "channel:", 8) == 0) {
        struct store_channel ch;
        h->rc = b->channel_by_name(c, h->room + 8, &ch);
        if (h->rc)
            return;
    } else {
        h->rc = ONAIR_ENOTFOUND;
        return;
    }
    h->rc = b->chat_history(c, h->room, h->before, h->limit, &h->evs, &h->n);
}

static void hist_done(void *arg)
{
    struct hist_ctx *h = arg;
    if (h->forbidden) {
        http_respond_error(h->req, 403, "forbidden", "this room is private");
    } else if (h->rc == ONAIR_ENOTFOUND) {
        http_respond_error(h->req, 404, "not_found", "no such room");
    } else if (h->rc) {
        api__store_failed(h->req, h->rc);
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
    if (http_request_header(req, "Authorization")) {
        struct auth_claims c;
        if (!api__authenticate(req, app, &c)) {
            free(h);
            return;
        }
        h->user_id = c.user_id;
    }
    if (!api__store(req, app, hist_job, hist_done, h))
        free(h);
}

void api__register_rooms(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/rooms/{room}/messages", history, app);
}
