/*
 * payments_api.c - charging points through a payment provider (pay/).
 *
 *   POST /api/payments {"amount","provider"}   Bearer -> 201 {"payment","next_url"}
 *   GET  /api/payments?before=&limit=          Bearer -> {"payments","next_before"}
 *   GET  /api/payments/{id}                    Bearer (owner) -> {"payment"}
 *   GET  /api/payments/{id}/approve?pg_token=  -> {"payment","balance"}
 *   GET  /api/payments/{id}/cancel             -> {"payment"}
 *   GET  /api/payments/{id}/fail               -> {"payment"}  (KakaoPay's fail_url)
 *   GET  /pay/test/{id}                        the test provider's page (HTML)
 *   POST /pay/test/{id}  action=approve|cancel 303 to approve (with a pg_token) or cancel
 *
 * approve, cancel and fail are where a provider sends the buyer's browser
 * back, so they take no Bearer token: the payment id (144 random bits) and,
 * for approve, the provider's pg_token are what authorize them. A browser
 * (Accept preferring text/html) gets a 303 to /wallet?payment={id}&status=
 * (approved, cancelled, failed, or the error code) instead of JSON.
 *
 * Money: only store payment_approve credits, with the amount the provider
 * says it took; it compares that with the amount fixed here at creation.
 * Provider calls may block, so they run on libuv's worker pool
 * (uv_queue_work) and every answer is made back on the request's loop.
 * Each request is a chain of steps (store job -> provider call -> store
 * job), each step's callback starting the next or answering.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "api/internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "http/json.h"
#include "http/server.h"
#include "pay/form.h"
#include "pay/provider.h"

#define LIST_DEFAULT 20
#define FORM_TYPE "application/x-www-form-urlencoded"

/* The routes' shared state: read-only once registered. */
struct pay_api {
    struct app *app;
    struct pay_settings settings;
    int64_t max_charge;
    int64_t ttl_ms;
};

struct pay_ctx {
    struct http_request *req;
    struct pay_api *pa;
    uv_work_t work;
    const struct pay_provider *prov;
    struct auth_claims claims;
    struct store_payment pay; /* in and out of the store and provider steps */
    struct pay_ready_out ready;
    char id[STORE_PAYMENT_ID_MAX + 1];
    char token[PAY_TOKEN_MAX + 1];
    const char *close_status; /* cancel / fail: "cancelled" or "failed" */
    bool html;                /* answer a browser with a 303 */
    bool approve_form;        /* the test page: action=approve */
    int64_t approved;         /* what the provider says it took */
    int64_t balance;
    int64_t before;
    size_t limit;
    int rc;  /* store step */
    int prc; /* provider step */
    struct store_payment *list;
    size_t n;
};

static struct pay_ctx *ctx_new(struct http_request *req, struct pay_api *pa)
{
    struct pay_ctx *c = xcalloc(1, sizeof *c);
    c->req = req;
    c->pa = pa;
    c->work.data = c;
    return c;
}

static void ctx_free(struct pay_ctx *c)
{
    free(c->list);
    free(c);
}

static void submit(struct pay_ctx *c, store_job_fn job, store_done_fn done)
{
    if (!api__store(c->req, c->pa->app, job, done, c))
        ctx_free(c);
}

/* Runs work off the loop, then after on the loop; answers 500 itself if the
 * pool refuses. */
static void offload(struct pay_ctx *c, uv_work_cb work, uv_after_work_cb after)
{
    if (uv_queue_work(&c->req->loop->uv, &c->work, work, after) != 0) {
        api__store_failed(c->req, ONAIR_EIO);
        ctx_free(c);
    }
}

/* False, after answering 500 and freeing c, when the store step failed. */
static bool stored(struct pay_ctx *c)
{
    if (c->rc == 0)
        return true;
    api__store_failed(c->req, c->rc);
    ctx_free(c);
    return false;
}

static json_t *payment_json(const struct store_payment *p)
{
    return json_pack("{s:s,s:I,s:s,s:s,s:o,s:o,s:o}", "id", p->id, "amount", (json_int_t)p->amount,
                     "status", p->status, "provider", p->provider, "created_at",
                     api__time_json(p->created_at), "expires_at", api__time_json(p->expires_at),
                     "approved_at", api__time_json(p->approved_at));
}

/* A browser goes to the wallet page with the outcome; anything else gets
 * the status and JSON. Takes body (may be NULL for errors). */
static void reply(struct pay_ctx *c, int status, const char *code, const char *message,
                  json_t *body)
{
    if (c->html) {
        char loc[160];
        if (pay_id_ok(c->id))
            snprintf(loc, sizeof loc, "Location: /wallet?payment=%s&status=%s\r\n", c->id, code);
        else
            snprintf(loc, sizeof loc, "Location: /wallet?status=%s\r\n", code);
        strncat(loc, "Cache-Control: no-store\r\n", sizeof loc - strlen(loc) - 1);
        http_respond(c->req, 303, "text/plain; charset=utf-8", loc, NULL, 0);
        json_decref(body);
    } else if (body) {
        http_respond_json(c->req, status, body);
    } else {
        http_respond_error(c->req, status, code, message);
    }
    ctx_free(c);
}

/* The 409/410 for a payment that can't be approved or closed any more. */
static void reply_not_ready(struct pay_ctx *c, int64_t now)
{
    const char *s = c->pay.status;
    if (strcmp(s, "approved") == 0)
        reply(c, 409, "already_approved", "this payment was already approved", NULL);
    else if (strcmp(s, "cancelled") == 0)
        reply(c, 409, "cancelled", "this payment was cancelled", NULL);
    else if (strcmp(s, "failed") == 0)
        reply(c, 409, "failed", "this payment failed and can't be approved", NULL);
    else if (now >= c->pay.expires_at)
        reply(c, 410, "expired", "this payment expired before it was approved", NULL);
    else
        reply(c, 500, "internal", "the payment is in an unexpected state", NULL);
}

static void reply_provider_error(struct pay_ctx *c)
{
    reply(c, 502, "provider_error",
          "the payment provider failed or did not answer in time; "
          "nothing was charged here",
          NULL);
}

/* The {id} path parameter; false (and a 404 answered) if it can't be ours. */
static bool take_id(struct pay_ctx *c)
{
    const char *id = http_request_param(c->req, "id");
    if (id && pay_id_ok(id)) {
        snprintf(c->id, sizeof c->id, "%s", id);
        return true;
    }
    reply(c, 404, "not_found", "no such payment", NULL);
    return false;
}

static void get_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_get(conn, c->id, &c->pay);
}

static void close_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_close(conn, c->id, c->close_status, &c->pay);
}

/* ---- POST /api/payments ---- */

static void created(struct pay_ctx *c)
{
    reply(c, 201, "ready", NULL,
          json_pack("{s:o,s:s}", "payment", payment_json(&c->pay), "next_url", c->ready.next_url));
}

static void create_failed_closed(void *arg)
{
    struct pay_ctx *c = arg;
    if (c->rc)
        log_warn("pay", "could not mark a payment failed", "payment=%s err=\"%s\"", c->id,
                 onair_strerror(c->rc));
    reply_provider_error(c);
}

static void tid_saved(void *arg)
{
    struct pay_ctx *c = arg;
    if (!stored(c))
        return;
    snprintf(c->pay.provider_tid, sizeof c->pay.provider_tid, "%s", c->ready.tid);
    created(c);
}

static void tid_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_set_tid(conn, c->id, c->ready.tid);
}

static void ready_work(uv_work_t *w)
{
    struct pay_ctx *c = w->data;
    c->prc = c->prov->ready(&c->pa->settings, &c->pay, &c->ready);
}

static void ready_done(uv_work_t *w, int status)
{
    struct pay_ctx *c = w->data;
    if (status != 0 || c->prc != 0) {
        /* The provider has no usable record of it: it can never be paid. */
        c->close_status = "failed";
        submit(c, close_job, create_failed_closed);
    } else if (c->ready.tid[0]) {
        submit(c, tid_job, tid_saved);
    } else {
        created(c);
    }
}

static void create_done(void *arg)
{
    struct pay_ctx *c = arg;
    if (!stored(c))
        return;
    offload(c, ready_work, ready_done);
}

static void create_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_create(conn, &c->pay);
}

static void payment_create(struct http_request *req, void *arg)
{
    struct pay_ctx *c = ctx_new(req, arg);
    struct pay_api *pa = c->pa;
    if (!api__authenticate(req, pa->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    json_t *body = http_read_json_object(req);
    if (!body) {
        ctx_free(c);
        return;
    }
    json_t *amount = json_object_get(body, "amount");
    const char *provider = json_string_value(json_object_get(body, "provider"));
    c->prov = provider ? pay_provider_find(provider) : NULL;
    char msg[96];
    if (!json_is_integer(amount) || json_integer_value(amount) < 1 ||
        json_integer_value(amount) > pa->max_charge) {
        snprintf(msg, sizeof msg, "amount must be a whole number of points from 1 to %" PRId64,
                 pa->max_charge);
        http_respond_error(req, 422, "validation_failed", msg);
    } else if (!c->prov) {
        http_respond_error(req, 422, "validation_failed",
                           "provider must be \"test\" or \"kakaopay\"");
    } else if (!c->prov->available(&pa->settings)) {
        http_respond_error(req, 422, "provider_unavailable",
                           "this payment provider is not configured on this server");
    } else {
        int64_t now = clock_wall_ms();
        struct store_payment *p = &c->pay;
        pay_id_new(c->id);
        snprintf(p->id, sizeof p->id, "%s", c->id);
        p->user_id = c->claims.user_id;
        snprintf(p->provider, sizeof p->provider, "%s", c->prov->name);
        p->amount = (int64_t)json_integer_value(amount);
        snprintf(p->status, sizeof p->status, "ready");
        p->created_at = now;
        p->expires_at = now + pa->ttl_ms;
        json_decref(body);
        submit(c, create_job, create_done);
        return;
    }
    json_decref(body);
    ctx_free(c);
}

/* ---- GET /api/payments/{id}/approve?pg_token= ---- */

static void refund_work(uv_work_t *w)
{
    struct pay_ctx *c = w->data;
    c->prc = c->prov->refund(&c->pa->settings, &c->pay, c->approved);
}

/* The answer to an approve the store refused, after the refund. */
static void approve_refused(struct pay_ctx *c)
{
    if (c->rc == ONAIR_ENOTFOUND)
        reply(c, 404, "not_found", "no such payment", NULL);
    else if (c->rc == ONAIR_ECONFLICT)
        reply(c, 422, "amount_mismatch",
              "the provider approved another amount than this payment's; it is marked failed "
              "and nothing was credited",
              NULL);
    else
        reply_not_ready(c, clock_wall_ms());
}

static void refund_done(uv_work_t *w, int status)
{
    struct pay_ctx *c = w->data;
    if (status != 0 || c->prc != 0)
        log_err("pay", "refund failed: the provider keeps money we did not credit",
                "payment=%s provider=%s tid=%s amount=%" PRId64, c->id, c->prov->name,
                c->pay.provider_tid, c->approved);
    else
        log_info("pay", "approval refunded", "payment=%s provider=%s amount=%" PRId64, c->id,
                 c->prov->name, c->approved);
    approve_refused(c);
}

static void approve_stored(void *arg)
{
    struct pay_ctx *c = arg;
    if (c->rc == 0) {
        log_info("pay", "payment approved",
                 "payment=%s provider=%s user=%" PRId64 " amount=%" PRId64, c->id, c->prov->name,
                 c->pay.user_id, c->pay.amount);
        reply(c, 200, "approved", NULL,
              json_pack("{s:o,s:I}", "payment", payment_json(&c->pay), "balance",
                        (json_int_t)c->balance));
    } else if (c->rc == ONAIR_ECONFLICT || c->rc == ONAIR_EDENIED) {
        /* The provider took money we won't credit: give it back first. */
        log_warn("pay", "approval not credited",
                 "payment=%s provider=%s approved=%" PRId64 " prepared=%" PRId64 " err=\"%s\"",
                 c->id, c->prov->name, c->approved, c->pay.amount, onair_strerror(c->rc));
        offload(c, refund_work, refund_done);
    } else if (c->rc == ONAIR_ESTALE || c->rc == ONAIR_ENOTFOUND) {
        approve_refused(c);
    } else {
        log_err("pay", "approved by the provider but not stored", "payment=%s provider=%s tid=%s",
                c->id, c->prov->name, c->pay.provider_tid);
        stored(c); /* answers 500 */
    }
}

static void approve_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_approve(conn, c->id, c->approved, clock_wall_ms(), &c->pay, &c->balance);
}

static void approve_work(uv_work_t *w)
{
    struct pay_ctx *c = w->data;
    c->prc = c->prov->approve(&c->pa->settings, &c->pay, c->token, &c->approved);
}

static void approve_done(uv_work_t *w, int status)
{
    struct pay_ctx *c = w->data;
    if (status == 0 && c->prc == ONAIR_EINVAL)
        reply(c, 400, "bad_token", "the pg_token is not valid for this payment", NULL);
    else if (status != 0 || c->prc != 0)
        reply_provider_error(c);
    else
        submit(c, approve_job, approve_stored);
}

static void approve_found(void *arg)
{
    struct pay_ctx *c = arg;
    int64_t now = clock_wall_ms();
    if (c->rc == ONAIR_ENOTFOUND) {
        reply(c, 404, "not_found", "no such payment", NULL);
    } else if (!stored(c)) {
        return;
    } else if (strcmp(c->pay.status, "ready") != 0 || now >= c->pay.expires_at) {
        reply_not_ready(c, now);
    } else if (!(c->prov = pay_provider_find(c->pay.provider)) ||
               !c->prov->available(&c->pa->settings)) {
        reply(c, 422, "provider_unavailable", "this payment's provider is not configured now",
              NULL);
    } else {
        offload(c, approve_work, approve_done);
    }
}

/* Starts a return URL (approve, cancel, fail): they change state, so a
 * HEAD, which the router hands to the GET route, is refused, not run. */
static struct pay_ctx *return_url(struct http_request *req, struct pay_api *pa)
{
    if (req->method == HTTP_HEAD) {
        http_respond_error_headers(req, 405, "method_not_allowed",
                                   "the payment return URLs answer GET only", "Allow: GET\r\n");
        return NULL;
    }
    struct pay_ctx *c = ctx_new(req, pa);
    c->html = pay_accept_prefers_html(http_request_header(req, "Accept"));
    return take_id(c) ? c : NULL;
}

static void payment_approve(struct http_request *req, void *arg)
{
    struct pay_ctx *c = return_url(req, arg);
    if (!c)
        return;
    bool present = false;
    if (!http_query_str(req->query, "pg_token", c->token, sizeof c->token, &present) || !present ||
        !c->token[0]) {
        reply(c, 400, "bad_token", "a pg_token from the payment provider is required", NULL);
        return;
    }
    submit(c, get_job, approve_found);
}

/* ---- GET /api/payments/{id}/cancel and /fail ---- */

static void closed(void *arg)
{
    struct pay_ctx *c = arg;
    if (c->rc == ONAIR_ENOTFOUND)
        reply(c, 404, "not_found", "no such payment", NULL);
    else if (c->rc == ONAIR_ESTALE)
        reply_not_ready(c, clock_wall_ms());
    else if (stored(c))
        reply(c, 200, c->close_status, NULL, json_pack("{s:o}", "payment", payment_json(&c->pay)));
}

static void close_route(struct http_request *req, struct pay_api *pa, const char *status)
{
    struct pay_ctx *c = return_url(req, pa);
    if (c) {
        c->close_status = status;
        submit(c, close_job, closed);
    }
}

static void payment_cancel(struct http_request *req, void *arg)
{
    close_route(req, arg, "cancelled");
}

static void payment_fail(struct http_request *req, void *arg)
{
    close_route(req, arg, "failed");
}

/* ---- GET /api/payments/{id} (owner) ---- */

static void got_own(void *arg)
{
    struct pay_ctx *c = arg;
    /* Someone else's payment is as unknown as one that doesn't exist. */
    if (c->rc == ONAIR_ENOTFOUND || (c->rc == 0 && c->pay.user_id != c->claims.user_id))
        reply(c, 404, "not_found", "no such payment", NULL);
    else if (stored(c))
        reply(c, 200, "ok", NULL, json_pack("{s:o}", "payment", payment_json(&c->pay)));
}

static void payment_show(struct http_request *req, void *arg)
{
    struct pay_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->pa->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    if (take_id(c))
        submit(c, get_job, got_own);
}

/* ---- GET /api/payments?before=&limit= ---- */

static void listed(void *arg)
{
    struct pay_ctx *c = arg;
    if (!stored(c))
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++)
        json_array_append_new(arr, payment_json(&c->list[i]));
    json_t *next =
        c->n == c->limit ? json_integer((json_int_t)c->list[c->n - 1].created_at) : json_null();
    reply(c, 200, "ok", NULL, json_pack("{s:o,s:o}", "payments", arr, "next_before", next));
}

static void list_job(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct pay_ctx *c = arg;
    c->rc = b->payment_list(conn, c->claims.user_id, c->before, c->limit, &c->list, &c->n);
}

static void payments_list(struct http_request *req, void *arg)
{
    struct pay_ctx *c = ctx_new(req, arg);
    if (!api__authenticate(req, c->pa->app, &c->claims)) {
        ctx_free(c);
        return;
    }
    uint64_t before = 0, limit = LIST_DEFAULT;
    bool has_before, has_limit;
    if (!http_query_u64(req->query, "before", &before, &has_before) ||
        !http_query_u64(req->query, "limit", &limit, &has_limit) || limit < 1 ||
        limit > STORE_WALLET_PAGE_MAX || (has_before && before == 0)) {
        reply(c, 400, "bad_request",
              "before is a created_at in unix ms (from next_before); limit is 1..100", NULL);
        return;
    }
    c->before = (int64_t)before;
    c->limit = (size_t)limit;
    submit(c, list_job, listed);
}

/* ---- the test provider's page: GET and POST /pay/test/{id} ---- */

static bool test_payment(struct pay_ctx *c)
{
    if (c->rc == 0 && strcmp(c->pay.provider, "test") == 0)
        return true;
    if (c->rc == ONAIR_ENOTFOUND || stored(c))
        reply(c, 404, "not_found", "no such test payment", NULL);
    return false;
}

static void page_found(void *arg)
{
    struct pay_ctx *c = arg;
    if (!test_payment(c))
        return;
    struct buf page;
    buf_init(&page, 0);
    pay_test_page(&c->pay, clock_wall_ms(), &page);
    /* Framing is refused (no clickjacking of the Approve button); the id in
     * the URL goes to no other site. */
    http_respond(c->req, 200, "text/html; charset=utf-8",
                 "Cache-Control: no-store\r\nX-Frame-Options: DENY\r\n"
                 "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
                 "form-action 'self'; frame-ancestors 'none'\r\n"
                 "Referrer-Policy: no-referrer\r\n",
                 page.data, page.len);
    buf_free(&page);
    ctx_free(c);
}

static void test_page(struct http_request *req, void *arg)
{
    struct pay_ctx *c = ctx_new(req, arg);
    if (take_id(c))
        submit(c, get_job, page_found);
}

static void submit_found(void *arg)
{
    struct pay_ctx *c = arg;
    if (!test_payment(c))
        return;
    char loc[PAY_TOKEN_MAX + STORE_PAYMENT_ID_MAX + 96];
    if (c->approve_form) {
        /* The "provider" approves the amount on its form: normally the
         * payment's own; a tampered form makes a token for another amount,
         * which approve then refuses. */
        int64_t amount = c->approved > 0 ? c->approved : c->pay.amount;
        pay_test_token(&c->pa->settings, c->id, amount, c->token);
        snprintf(loc, sizeof loc, "Location: /api/payments/%s/approve?pg_token=%s\r\n", c->id,
                 c->token);
    } else {
        snprintf(loc, sizeof loc, "Location: /api/payments/%s/cancel\r\n", c->id);
    }
    http_respond(c->req, 303, "text/plain; charset=utf-8", loc, NULL, 0);
    ctx_free(c);
}

static bool form_type(const char *ct)
{
    size_t n = strlen(FORM_TYPE);
    return ct && strncasecmp(ct, FORM_TYPE, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

static void test_submit(struct http_request *req, void *arg)
{
    struct pay_ctx *c = ctx_new(req, arg);
    if (!take_id(c))
        return;
    if (!form_type(http_request_header(req, "Content-Type"))) {
        reply(c, 415, "unsupported_media_type", "send the form as " FORM_TYPE, NULL);
        return;
    }
    char action[16], amount[24];
    int arc = pay_form_get(req->body, req->body_len, "action", action, sizeof action);
    int mrc = pay_form_get(req->body, req->body_len, "amount", amount, sizeof amount);
    uint64_t v = 0;
    if (arc == ONAIR_EPROTO || mrc == ONAIR_EPROTO) {
        reply(c, 400, "bad_request", "the form body is malformed", NULL);
    } else if (arc != 0 || (strcmp(action, "approve") != 0 && strcmp(action, "cancel") != 0)) {
        reply(c, 400, "bad_request", "action must be approve or cancel", NULL);
    } else if (mrc != ONAIR_ENOTFOUND &&
               (mrc != 0 || !http_parse_u64(amount, strlen(amount), &v) || v == 0)) {
        reply(c, 400, "bad_request", "amount must be a positive whole number", NULL);
    } else {
        c->approve_form = strcmp(action, "approve") == 0;
        c->approved = (int64_t)v;
        submit(c, get_job, submit_found);
    }
}

void api__register_payments(struct http_router *r, struct app *app)
{
    static struct pay_api pa;
    pa.app = app;
    pa.max_charge = config_int(app->cfg, CFG_MAX_CHARGE);
    pa.ttl_ms = config_int(app->cfg, CFG_PAYMENT_TTL_MS);
    pay_settings_init(&pa.settings, app->cfg, app->jwt_key, app->jwt_key_len);
    http_router_add(r, HTTP_POST, "/api/payments", payment_create, &pa);
    http_router_add(r, HTTP_GET, "/api/payments", payments_list, &pa);
    http_router_add(r, HTTP_GET, "/api/payments/{id}", payment_show, &pa);
    http_router_add(r, HTTP_GET, "/api/payments/{id}/approve", payment_approve, &pa);
    http_router_add(r, HTTP_GET, "/api/payments/{id}/cancel", payment_cancel, &pa);
    http_router_add(r, HTTP_GET, "/api/payments/{id}/fail", payment_fail, &pa);
    http_router_add(r, HTTP_GET, "/pay/test/{id}", test_page, &pa);
    http_router_add(r, HTTP_POST, "/pay/test/{id}", test_submit, &pa);
}
