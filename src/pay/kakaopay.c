/*
 * kakaopay.c - the "kakaopay" provider: KakaoPay's online single payment
 * (ready, approve, cancel) over HTTPS with libcurl.
 *
 * An approve that fails or times out is followed by an order inquiry: if
 * KakaoPay says the order is paid (its answer to an earlier approve was
 * lost), that counts as the approval, so money taken is never left
 * uncredited by a timeout.
 *
 * Each call is one blocking libcurl easy transfer on the calling thread
 * (callers are off the I/O loops, see provider.h), bounded by timeout_ms as
 * a whole, with no redirects followed, only the configured scheme allowed,
 * and the answer capped at PAY_KAKAO_ANSWER_MAX bytes. Requests are JSON
 * with "Authorization: SECRET_KEY <key>"; the key is never logged (libcurl's
 * verbose mode, which would print it, is never turned on).
 *
 * Mapping of outcomes: transport failures, timeouts and 5xx are EIO (the
 * outcome is unknown), 4xx EDENIED (refused), anything else that isn't the
 * expected 200 with the expected fields EPROTO.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "pay/internal.h"

#define CONNECT_TIMEOUT_MS 3000L
#define ITEM_NAME "onair points"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        log_err("pay", "libcurl could not be initialised; kakaopay calls will fail", NULL);
}

void pay__kakao_global_init(void)
{
    pthread_once(&curl_once, curl_init_once);
}

/* ---- answers (pure; unit-tested and fuzzed) ---- */

static json_t *parse_object(const char *body, size_t len)
{
    json_error_t e;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* Copies string field key of o into out (cap bytes); false when missing,
 * not a string, empty, holding a NUL, or too long. */
static bool copy_field(json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return false;
    size_t n = json_string_length(v);
    if (n == 0 || n >= cap || memchr(json_string_value(v), '\0', n))
        return false;
    memcpy(out, json_string_value(v), n + 1);
    return true;
}

int pay__kakao_ready_parse(const char *body, size_t len, struct pay_ready_out *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = parse_object(body, len);
    bool ok = o && copy_field(o, "tid", out->tid, sizeof out->tid) &&
              copy_field(o, "next_redirect_pc_url", out->next_url, sizeof out->next_url) &&
              pay__url_ok(out->next_url, true);
    json_decref(o);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok ? 0 : ONAIR_EPROTO;
}

/* amount.total of an answer about tid: true when the answer is about tid
 * and the total is a positive integer. */
static bool read_total(json_t *o, const char *tid, int64_t *total)
{
    char got[STORE_TID_MAX + 1];
    json_t *t = json_object_get(json_object_get(o, "amount"), "total");
    if (!o || !copy_field(o, "tid", got, sizeof got) || strcmp(got, tid) != 0 ||
        !json_is_integer(t) || json_integer_value(t) <= 0)
        return false;
    *total = (int64_t)json_integer_value(t);
    return true;
}

int pay__kakao_approve_parse(const char *body, size_t len, const char *tid, int64_t *total)
{
    json_t *o = parse_object(body, len);
    bool ok = read_total(o, tid, total);
    json_decref(o);
    return ok ? 0 : ONAIR_EPROTO;
}

int pay__kakao_order_parse(const char *body, size_t len, const char *tid, int64_t *total)
{
    json_t *o = parse_object(body, len);
    char status[32];
    int64_t t = 0;
    int rc = ONAIR_EPROTO;
    if (o && copy_field(o, "status", status, sizeof status) && read_total(o, tid, &t))
        rc = strcmp(status, "SUCCESS_PAYMENT") == 0 ? 0 : ONAIR_ENOTFOUND;
    if (rc == 0)
        *total = t;
    json_decref(o);
    return rc;
}

void pay__kakao_error_reason(const char *body, size_t len, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    json_t *o = parse_object(body, len);
    if (!o || cap < 16)
        goto done;
    json_t *code = json_object_get(o, "error_code");
    json_t *msg = json_object_get(o, "error_message");
    if (!code && !msg) {
        code = json_object_get(o, "code");
        msg = json_object_get(o, "msg");
    }
    char q[256] = "\"\"";
    if (json_is_string(msg))
        log_quote(q, sizeof q, json_string_value(msg));
    snprintf(out, cap, "code=%" PRId64 " msg=%s",
             json_is_integer(code) ? (int64_t)json_integer_value(code) : 0, q);
done:
    json_decref(o);
}

/* ---- calls ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    /* A full buffer answers 0, which ends the transfer (CURLE_WRITE_ERROR). */
    return buf_append(arg, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* POSTs req (JSON) to the API path; on a 200 the answer is in *body (the
 * caller frees it). Logs failures with `what` and the provider's reason. */
static int call(const struct pay_settings *s, const char *what, const char *path, json_t *req,
                struct buf *body)
{
    pay__kakao_global_init();
    buf_init(body, PAY_KAKAO_ANSWER_MAX);
    char url[PAY_URL_MAX + 64];
    snprintf(url, sizeof url, "%s%s", s->kakao_api, path);
    char *payload = json_dumps(req, JSON_COMPACT);
    char auth[PAY_SECRET_MAX + 32];
    snprintf(auth, sizeof auth, "Authorization: SECRET_KEY %s", s->kakao_secret);
    struct curl_slist *headers = NULL, *h1, *h2, *h3;
    h1 = curl_slist_append(headers, auth);
    h2 = h1 ? curl_slist_append(h1, "Content-Type: application/json") : NULL;
    h3 = h2 ? curl_slist_append(h2, "Accept: application/json") : NULL;
    headers = h3 ? h3 : h2 ? h2 : h1;
    CURL *h = curl_easy_init();
    char err[CURL_ERROR_SIZE] = "";
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    long status = 0;
    if (h && payload && h3) {
        long connect_ms = s->timeout_ms < CONNECT_TIMEOUT_MS ? s->timeout_ms : CONNECT_TIMEOUT_MS;
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
                         strncmp(url, "https://", 8) == 0 ? "https" : "http");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* we are one thread of many */
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
        curl_easy_setopt(h, CURLOPT_USERAGENT, "onair");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    sodium_memzero(auth, sizeof auth);
    free(payload);

    int rc = 0;
    char reason[320] = "", q[CURL_ERROR_SIZE + 8];
    if (cc == CURLE_WRITE_ERROR) {
        rc = ONAIR_EPROTO;
        snprintf(reason, sizeof reason, "answer over %d bytes", PAY_KAKAO_ANSWER_MAX);
    } else if (cc != CURLE_OK) {
        rc = ONAIR_EIO;
        snprintf(reason, sizeof reason, "%s", err[0] ? err : curl_easy_strerror(cc));
    } else if (status != 200) {
        rc = status >= 500 ? ONAIR_EIO : status >= 400 ? ONAIR_EDENIED : ONAIR_EPROTO;
        pay__kakao_error_reason(body->data ? body->data : "", body->len, reason, sizeof reason);
    }
    if (rc) {
        log_warn("pay", "kakaopay call failed", "call=%s status=%ld err=\"%s\" %s", what, status,
                 onair_strerror(rc), cc == CURLE_OK ? reason : log_quote(q, sizeof q, reason));
        buf_free(body);
    }
    return rc;
}

static void urls(const struct pay_settings *s, const char *id, char *out, size_t cap,
                 const char *action)
{
    snprintf(out, cap, "%s/api/payments/%s/%s", s->public_url, id, action);
}

static bool kakao_available(const struct pay_settings *s)
{
    return s->kakao_secret[0] && s->kakao_api_ok;
}

static int kakao_ready(const struct pay_settings *s, const struct store_payment *p,
                       struct pay_ready_out *out)
{
    char approval[PAY_URL_MAX + 64], cancel[PAY_URL_MAX + 64], fail[PAY_URL_MAX + 64];
    urls(s, p->id, approval, sizeof approval, "approve");
    urls(s, p->id, cancel, sizeof cancel, "cancel");
    urls(s, p->id, fail, sizeof fail, "fail");
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, p->user_id);
    json_t *req =
        json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:i,s:s,s:s,s:s}", "cid", s->kakao_cid,
                  "partner_order_id", p->id, "partner_user_id", user, "item_name", ITEM_NAME,
                  "quantity", 1, "total_amount", (json_int_t)p->amount, "tax_free_amount", 0,
                  "approval_url", approval, "cancel_url", cancel, "fail_url", fail);
    struct buf body;
    int rc = call(s, "ready", "/online/v1/payment/ready", req, &body);
    json_decref(req);
    if (rc)
        return rc;
    rc = pay__kakao_ready_parse(body.data ? body.data : "", body.len, out);
    if (rc)
        log_warn("pay", "kakaopay ready answer not understood", "payment=%s", p->id);
    buf_free(&body);
    return rc;
}

static bool token_ok(const char *t)
{
    size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    return n > 0 && n <= PAY_TOKEN_MAX && t[n] == '\0';
}

/* Whether KakaoPay holds tid as paid (order inquiry): 0 and *total when
 * its status is SUCCESS_PAYMENT, else an error. */
static int kakao_paid(const struct pay_settings *s, const struct store_payment *p, int64_t *total)
{
    json_t *req = json_pack("{s:s,s:s}", "cid", s->kakao_cid, "tid", p->provider_tid);
    struct buf body;
    int rc = call(s, "order", "/online/v1/payment/order", req, &body);
    json_decref(req);
    if (rc)
        return rc;
    rc = pay__kakao_order_parse(body.data ? body.data : "", body.len, p->provider_tid, total);
    buf_free(&body);
    return rc;
}

static int kakao_approve(const struct pay_settings *s, const struct store_payment *p,
                         const char *pg_token, int64_t *approved)
{
    if (!token_ok(pg_token))
        return ONAIR_EINVAL;
    if (!p->provider_tid[0]) {
        log_warn("pay", "kakaopay payment has no tid", "payment=%s", p->id);
        return ONAIR_EPROTO;
    }
    char user[24];
    snprintf(user, sizeof user, "%" PRId64, p->user_id);
    json_t *req =
        json_pack("{s:s,s:s,s:s,s:s,s:s}", "cid", s->kakao_cid, "tid", p->provider_tid,
                  "partner_order_id", p->id, "partner_user_id", user, "pg_token", pg_token);
    struct buf body;
    int rc = call(s, "approve", "/online/v1/payment/approve", req, &body);
    json_decref(req);
    if (rc == ONAIR_EIO || rc == ONAIR_EDENIED) {
        /* The approval may have happened with its answer lost (a timeout),
         * and then KakaoPay refuses every later approve as already done:
         * ask it what it holds, so a paid order is credited, never lost.
         * Crediting stays once-only: store payment_approve decides. */
        if (kakao_paid(s, p, approved) == 0) {
            log_info("pay", "kakaopay says the order is paid", "payment=%s", p->id);
            return 0;
        }
        return rc;
    }
    if (rc)
        return rc;
    rc = pay__kakao_approve_parse(body.data ? body.data : "", body.len, p->provider_tid, approved);
    if (rc)
        log_warn("pay", "kakaopay approve answer not understood", "payment=%s", p->id);
    buf_free(&body);
    return rc;
}

static int kakao_refund(const struct pay_settings *s, const struct store_payment *p, int64_t amount)
{
    json_t *req = json_pack("{s:s,s:s,s:I,s:i}", "cid", s->kakao_cid, "tid", p->provider_tid,
                            "cancel_amount", (json_int_t)amount, "cancel_tax_free_amount", 0);
    struct buf body;
    int rc = call(s, "cancel", "/online/v1/payment/cancel", req, &body);
    json_decref(req);
    if (rc == 0)
        buf_free(&body);
    return rc;
}

const struct pay_provider pay__kakaopay_provider = {
    .name = "kakaopay",
    .available = kakao_available,
    .ready = kakao_ready,
    .approve = kakao_approve,
    .refund = kakao_refund,
};
