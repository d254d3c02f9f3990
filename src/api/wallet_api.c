/*
 * wallet_api.c - points and donations over HTTP.
 *
 *   GET  /api/wallet                              -> {"balance"}
 *   POST /api/channels/{name}/donations {"amount","message","idempotency_key"}
 *        -> 201 {"donation":{"id","amount","message","from","to","created_at"},"balance"}
 *   GET  /api/me/donations?direction=sent|received&before_id=&limit=
 *   GET  /api/channels/{name}/donations/top?limit=
 *   GET  /api/channels/{name}/donations?before_id=&limit=   (owner only, with totals)
 *
 * A donation is checked here (amount, message, channel), then handed to the
 * chat writer (chat_hub_donate), which stores it in a group commit with its
 * chat event; the 201 comes only after that commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/internal.h"
#include "chat/filter.h"
#include "chat/hub.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/utf8.h"
#include "http/json.h"
#include "http/server.h"

#define MESSAGE_MAX_CHARS 200
#define PAGE_DEFAULT 20
#define PAGE_MAX 100

struct wallet_ctx {
    struct http_request *req;
    struct app *app;
    struct auth_claims claims;
    int rc;
    bool forbidden;
    int64_t balance;
    struct store_channel channel;
    struct store_donate_req don;
    /* lists */
    bool sent;
    int64_t before_id;
    size_t limit;
    struct store_donation *list;
    size_t n;
    struct store_donor *top;
    int64_t total_amount, total_count;
    char name[STORE_USERNAME_MAX + 1];
};

static struct wallet_ctx *ctx_new(struct http_request *req, struct app *app)
{
    struct wallet_ctx *w = xcalloc(1, sizeof *w);
    w->req = req;
    w->app = app;
    return w;
}

static void ctx_free(struct wallet_ctx *w)
{
    free(w->list);
    free(w->top);
    free(w);
}

static void submit(struct wallet_ctx *w, store_job_fn job, store_done_fn done)
{
    if (!api__store(w->req, w->app, job, done, w))
        ctx_free(w);
}

static json_t *donation_json(const struct store_donation *d)
{
    return json_pack("{s:I,s:I,s:s,s:{s:I,s:s},s:{s:I,s:s},s:o,s:I}", "id", (json_int_t)d->id,
                     "amount", (json_int_t)d->amount, "message", d->message, "from", "id",
                     (json_int_t)d->from_user, "name", d->from_name, "to", "id",
                     (json_int_t)d->to_user, "name", d->to_name, "created_at",
                     api__time_json(d->created_at), "chat_seq", (json_int_t)d->chat_seq);
}

/* ---- GET /api/wallet ---- */

static void balance_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct wallet_ctx *w = arg;
    w->rc = b->wallet_balance(c, w->claims.user_id, &w->balance);
}

static void balance_done(void *arg)
{
    struct wallet_ctx *w = arg;
    if (w->rc)
        api__store_failed(w->req, w->rc);
    else
        http_respond_json(w->req, 200, json_pack("{s:I}", "balance", (json_int_t)w->balance));
    ctx_free(w);
}

static void wallet_get(struct http_request *req, void *arg)
{
    struct wallet_ctx *w = ctx_new(req, arg);
    if (!api__authenticate(req, arg, &w->claims)) {
        ctx_free(w);
        return;
    }
    submit(w, balance_job, balance_done);
}

/* ---- POST /api/channels/{name}/donations ---- */

static void on_donated(void *arg, int rc, const struct store_donate_req *r)
{
    struct wallet_ctx *w = arg;
    if (rc == ONAIR_ENOTFOUND) {
        http_respond_error(w->req, 404, "not_found", "no such channel");
    } else if (rc) {
        api__store_failed(w->req, rc);
    } else if (r->rc == ONAIR_EDENIED) {
        json_t *body =
            json_pack("{s:{s:s,s:s},s:I}", "error", "code", "insufficient_funds", "message",
                      "not enough points for this donation", "balance", (json_int_t)r->balance);
        http_respond_json(w->req, 409, body);
    } else {
        /* A retry with the same key gets the first answer again. */
        http_respond_json(w->req, 201,
                          json_pack("{s:o,s:I,s:b}", "donation", donation_json(&r->donation),
                                    "balance", (json_int_t)r->balance, "replayed", r->replayed));
    }
    ctx_free(w);
}

static void donate_channel_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct wallet_ctx *w = arg;
    w->rc = b->channel_by_name(c, w->name, &w->channel);
}

/* The channel exists: check who gives to whom, then queue it for the writer. */
static void donate_channel_done(void *arg)
{
    struct wallet_ctx *w = arg;
    if (w->rc == ONAIR_ENOTFOUND) {
        http_respond_error(w->req, 404, "not_found", "no such channel");
    } else if (w->rc) {
        api__store_failed(w->req, w->rc);
    } else if (w->channel.owner_id == w->claims.user_id) {
        http_respond_error(w->req, 422, "validation_failed", "you can't donate to yourself");
    } else {
        w->don.to_user = w->channel.owner_id;
        snprintf(w->don.to_name, sizeof w->don.to_name, "%s", w->channel.name);
        w->don.now = clock_wall_ms();
        if (chat_hub_donate(w->req->loop, &w->don, on_donated, w) != 0) {
            http_respond_error(w->req, 503, "unavailable", "too busy; try again");
        } else {
            return;
        }
    }
    ctx_free(w);
}

/* Fills w->don from the body, or answers 4xx and returns false. */
static bool read_donation(struct wallet_ctx *w, json_t *body)
{
    struct store_donate_req *d = &w->don;
    json_t *amount = json_object_get(body, "amount");
    json_t *msg = json_object_get(body, "message");
    json_t *key = json_object_get(body, "idempotency_key");
    long long max = config_int(w->app->cfg, CFG_MAX_DONATION);
    const char *why = NULL;
    if (!json_is_integer(amount))
        why = "amount must be an integer number of points";
    else if (json_integer_value(amount) <= 0 || json_integer_value(amount) > max)
        why = "amount must be at least 1 and at most max-donation";
    else if (msg && !json_is_null(msg) && !json_is_string(msg))
        why = "message must be a string";
    else if (key && !json_is_null(key) &&
             (!json_is_string(key) || json_string_length(key) == 0 ||
              json_string_length(key) > STORE_KEY_MAX))
        why = "idempotency_key must be a string of 1 to 64 bytes";
    const char *text = json_is_string(msg) ? json_string_value(msg) : "";
    size_t len = json_is_string(msg) ? json_string_length(msg) : 0;
    if (!why &&
        (memchr(text, '\0', len) || utf8_count((const uint8_t *)text, len) > MESSAGE_MAX_CHARS ||
         len > STORE_MESSAGE_MAX))
        why = "message must be at most 200 characters";
    if (why) {
        http_respond_error(w->req, 422, "validation_failed", why);
        return false;
    }
    d->amount = json_integer_value(amount);
    d->from_user = w->claims.user_id;
    snprintf(d->from_name, sizeof d->from_name, "%s", w->claims.username);
    /* Shown in chat and on the overlay: banned words are masked there too. */
    struct chat_filter *f = w->app->filter ? chat_filter_holder_get(w->app->filter) : NULL;
    if (f) {
        chat_filter_mask(f, text, len, d->message, sizeof d->message);
        chat_filter_unref(f);
    } else {
        memcpy(d->message, text, len);
        d->message[len] = '\0';
    }
    if (json_is_string(key)) {
        snprintf(d->idempotency_key, sizeof d->idempotency_key, "%s", json_string_value(key));
    } else {
        /* No key: a donation of its own that no retry can match. */
        unsigned char rnd[16];
        char hex[2 * sizeof rnd + 1];
        randombytes_buf(rnd, sizeof rnd);
        sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
        /* '~': a client's key can't be mistaken for one of ours. */
        snprintf(d->idempotency_key, sizeof d->idempotency_key, "~%s", hex);
    }
    return true;
}

static void donate(struct http_request *req, void *arg)
{
    struct wallet_ctx *w = ctx_new(req, arg);
    if (!api__authenticate(req, arg, &w->claims)) {
        ctx_free(w);
        return;
    }
    if (!api__channel_param(req, w->name)) {
        ctx_free(w);
        return;
    }
    json_t *body = http_read_json_object(req);
    if (!body) {
        ctx_free(w);
        return;
    }
    bool ok = read_donation(w, body);
    json_decref(body);
    if (!ok) {
        ctx_free(w);
        return;
    }
    submit(w, donate_channel_job, donate_channel_done);
}

/* ---- lists ---- */

/* before_id and limit from the query, or a 400. */
static bool read_page(struct wallet_ctx *w)
{
    uint64_t before = 0, limit = PAGE_DEFAULT;
    bool has;
    if (!http_query_u64(w->req->query, "before_id", &before, &has) ||
        !http_query_u64(w->req->query, "limit", &limit, &has) || limit < 1 || limit > PAGE_MAX ||
        before > INT64_MAX) {
        http_respond_error(w->req, 400, "bad_request",
                           "before_id must be a number and limit 1..100");
        return false;
    }
    w->before_id = (int64_t)before;
    w->limit = (size_t)limit;
    return true;
}

static void respond_list(struct wallet_ctx *w, json_t *body)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < w->n; i++)
        json_array_append_new(arr, donation_json(&w->list[i]));
    json_object_set_new(body, "donations", arr);
    json_object_set_new(body, "next_before_id",
                        w->n == w->limit ? json_integer(w->list[w->n - 1].id) : json_null());
    http_respond_json(w->req, 200, body);
}

static void my_list_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct wallet_ctx *w = arg;
    w->rc =
        b->donation_list(c, w->claims.user_id, w->sent, w->before_id, w->limit, &w->list, &w->n);
}

static void my_list_done(void *arg)
{
    struct wallet_ctx *w = arg;
    if (w->rc)
        api__store_failed(w->req, w->rc);
    else
        respond_list(w, json_object());
    ctx_free(w);
}

static void my_donations(struct http_request *req, void *arg)
{
    struct wallet_ctx *w = ctx_new(req, arg);
    if (!api__authenticate(req, arg, &w->claims)) {
        ctx_free(w);
        return;
    }
    const char *dir = strstr(req->query, "direction=");
    w->sent = true;
    if (dir && (dir == req->query || dir[-1] == '&')) {
        size_t n = strcspn(dir + 10, "&");
        if (n == 8 && strncmp(dir + 10, "received", 8) == 0)
            w->sent = false;
        else if (!(n == 4 && strncmp(dir + 10, "sent", 4) == 0)) {
            http_respond_error(req, 400, "bad_request", "direction is sent or received");
            ctx_free(w);
            return;
        }
    }
    if (!read_page(w)) {
        ctx_free(w);
        return;
    }
    submit(w, my_list_job, my_list_done);
}

static void channel_job(struct store_conn *c, const struct store_backend *b, void *arg,
                        bool owner_only)
{
    struct wallet_ctx *w = arg;
    w->rc = b->channel_by_name(c, w->name, &w->channel);
    if (w->rc)
        return;
    if (owner_only && w->channel.owner_id != w->claims.user_id) {
        w->forbidden = true;
        return;
    }
    if (owner_only) {
        w->rc = b->donation_list(c, w->channel.owner_id, false, w->before_id, w->limit, &w->list,
                                 &w->n);
        if (!w->rc)
            w->rc = b->donation_totals(c, w->channel.owner_id, &w->total_amount, &w->total_count);
    } else {
        w->rc = b->donation_top(c, w->channel.owner_id, w->limit, &w->top, &w->n);
    }
}

static void top_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    channel_job(c, b, arg, false);
}

static void received_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    channel_job(c, b, arg, true);
}

static bool channel_failed(struct wallet_ctx *w)
{
    if (w->rc == ONAIR_ENOTFOUND)
        http_respond_error(w->req, 404, "not_found", "no such channel");
    else if (w->forbidden)
        http_respond_error(w->req, 403, "forbidden", "only the channel's owner sees this");
    else if (w->rc)
        api__store_failed(w->req, w->rc);
    else
        return false;
    return true;
}

static void top_done(void *arg)
{
    struct wallet_ctx *w = arg;
    if (!channel_failed(w)) {
        json_t *arr = json_array();
        for (size_t i = 0; i < w->n; i++)
            json_array_append_new(
                arr, json_pack("{s:{s:I,s:s},s:I,s:I}", "user", "id", (json_int_t)w->top[i].user_id,
                               "name", w->top[i].name, "total", (json_int_t)w->top[i].total,
                               "count", (json_int_t)w->top[i].count));
        http_respond_json(w->req, 200, json_pack("{s:o}", "top", arr));
    }
    ctx_free(w);
}

static void received_done(void *arg)
{
    struct wallet_ctx *w = arg;
    if (!channel_failed(w))
        respond_list(w, json_pack("{s:I,s:I}", "total_amount", (json_int_t)w->total_amount, "count",
                                  (json_int_t)w->total_count));
    ctx_free(w);
}

static void channel_top(struct http_request *req, void *arg)
{
    struct wallet_ctx *w = ctx_new(req, arg);
    if (!api__channel_param(w->req, w->name) || !read_page(w)) {
        ctx_free(w);
        return;
    }
    submit(w, top_job, top_done);
}

static void channel_received(struct http_request *req, void *arg)
{
    struct wallet_ctx *w = ctx_new(req, arg);
    if (!api__authenticate(req, arg, &w->claims) || !api__channel_param(w->req, w->name) ||
        !read_page(w)) {
        ctx_free(w);
        return;
    }
    submit(w, received_job, received_done);
}

void api__register_wallet(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/wallet", wallet_get, app);
    http_router_add(r, HTTP_GET, "/api/me/donations", my_donations, app);
    http_router_add(r, HTTP_POST, "/api/channels/{name}/donations", donate, app);
    http_router_add(r, HTTP_GET, "/api/channels/{name}/donations", channel_received, app);
    http_router_add(r, HTTP_GET, "/api/channels/{name}/donations/top", channel_top, app);
}
