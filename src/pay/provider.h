/*
 * provider.h - payment providers: how a prepared charge becomes money that
 * a provider says it took, behind one interface.
 *
 * The flow (docs/API.md, "Payments"):
 *   1. onair fixes the amount and stores a "ready" payment (store.h);
 *   2. ready():   the provider registers it and says where to send the
 *                 buyer (next_url), maybe with its own transaction id (tid);
 *   3. the buyer approves (or cancels) at the provider, which sends the
 *      browser back to /api/payments/{id}/approve?pg_token=... (or cancel);
 *   4. approve(): the provider confirms with the pg_token and says which
 *                 amount it took; only store payment_approve, given that
 *                 amount, credits points, and only if it equals the amount
 *                 prepared in step 1 (else the payment fails);
 *   5. refund():  gives back an approval we did not credit (amount
 *                 mismatch, or the payment expired or was closed meanwhile).
 *
 * Providers: "test" (built in; no money moves: its next_url is our own page
 * /pay/test/{id}, and its pg_token is an HMAC that binds the payment id and
 * the amount "approved") and "kakaopay" (KakaoPay's online single payment,
 * over HTTPS with libcurl).
 *
 * Threads: ready, approve and refund may block on the network for up to the
 * configured timeout, so callers run them off the I/O loops (the API runs
 * them with uv_queue_work); any thread may call them, concurrently. The
 * settings are filled once at startup (pay_settings_init) and read-only
 * afterwards. Nothing here touches the store or keeps state between calls.
 *
 * Errors: 0, or
 *   ONAIR_EINVAL  the pg_token is malformed or not valid for this payment;
 *   ONAIR_EIO     the provider could not be reached, timed out or answered
 *                 5xx (the outcome is unknown: nothing is credited, the
 *                 payment stays ready);
 *   ONAIR_EDENIED the provider refused (4xx: bad key, unknown tid, already
 *                 approved, ...);
 *   ONAIR_EPROTO  the provider's answer made no sense (not JSON, fields
 *                 missing, another tid).
 * Each failure is logged once here with the provider's own reason; secrets
 * (the secret key, pg_tokens) are never logged.
 */
#ifndef ONAIR_PAY_PROVIDER_H
#define ONAIR_PAY_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct buf;
struct config;

#define PAY_URL_MAX 512      /* next_url, base URLs */
#define PAY_TOKEN_MAX 128    /* a pg_token we accept, bytes */
#define PAY_SECRET_MAX 256   /* the KakaoPay secret key */
#define PAY_TEST_KEY_LEN 32  /* HMAC-SHA-256 key of the test provider */
#define PAY_ID_PREFIX "pay_" /* payment ids: PAY_ID_PREFIX + 24 URL-safe random characters */

/* What the providers need to know, from the settings table. */
struct pay_settings {
    bool test_enabled;
    uint8_t test_key[PAY_TEST_KEY_LEN];    /* derived from the server's key, never stored */
    char public_url[PAY_URL_MAX + 1];      /* how browsers reach us, no trailing '/' */
    char kakao_secret[PAY_SECRET_MAX + 1]; /* "" = kakaopay off */
    char kakao_cid[STORE_TID_MAX + 1];
    char kakao_api[PAY_URL_MAX + 1]; /* base URL, no trailing '/' */
    bool kakao_api_ok;               /* https, or http to 127.0.0.1 only */
    long timeout_ms;                 /* one provider call, whole */
};

/* Fills s from the settings (public-url, kakaopay-*, payment-test) and
 * derives the test provider's key from server_key (the access-token key),
 * so pg_tokens survive restarts and are useless as anything else. http_host
 * and http_port make the default public URL. A bad kakaopay-api or
 * public-url is logged and leaves the provider it concerns unavailable. */
void pay_settings_init(struct pay_settings *s, const struct config *cfg, const uint8_t *server_key,
                       size_t server_key_len);

struct pay_ready_out {
    char tid[STORE_TID_MAX + 1];    /* "" when the provider has none (test) */
    char next_url[PAY_URL_MAX + 1]; /* where the buyer goes next (absolute) */
};

struct pay_provider {
    const char *name; /* "test", "kakaopay": store_payment.provider */

    /* Whether the settings allow it now (a missing key means no). */
    bool (*available)(const struct pay_settings *s);
    /* Registers p (status ready, amount fixed) with the provider. */
    int (*ready)(const struct pay_settings *s, const struct store_payment *p,
                 struct pay_ready_out *out);
    /* Asks the provider to approve p with the buyer's pg_token. *approved
     * gets the amount the provider says it took, which the caller must not
     * trust to equal p->amount (store payment_approve compares). A failed
     * or timed-out approve is followed by asking the provider whether the
     * order is paid after all (its earlier answer lost), which then counts
     * as the approval; so this may take twice the timeout. */
    int (*approve)(const struct pay_settings *s, const struct store_payment *p,
                   const char *pg_token, int64_t *approved);
    /* Gives amount of p's approval back to the buyer (p was approved at the
     * provider but not credited here). */
    int (*refund)(const struct pay_settings *s, const struct store_payment *p, int64_t amount);
};

/* The provider called name, or NULL. */
const struct pay_provider *pay_provider_find(const char *name);

/* Whether id looks like a payment id we make (PAY_ID_PREFIX, URL-safe,
 * at most STORE_PAYMENT_ID_MAX bytes): anything else is unknown without a
 * lookup, and ids are safe to put into URLs as they are. */
bool pay_id_ok(const char *id);
/* A fresh random payment id into out (STORE_PAYMENT_ID_MAX + 1 bytes). */
void pay_id_new(char *out);

/* ---- the test provider's pieces, for its page (/pay/test/{id}) ---- */

/* The pg_token for "the test provider approved `amount` of payment id":
 * "<amount>.<HMAC-SHA-256 of id and amount, URL-safe base64>" into out
 * (PAY_TOKEN_MAX + 1 bytes). amount >= 0. */
void pay_test_token(const struct pay_settings *s, const char *id, int64_t amount, char *out);
/* Checks a pg_token for payment id: 0 and *amount, or ONAIR_EINVAL for a
 * malformed or forged token, or one made for another payment. Constant time
 * in the MAC. */
int pay_test_token_verify(const struct pay_settings *s, const char *id, const char *token,
                          int64_t *amount);
/* Appends the test provider's page for p as HTML (everything escaped) to
 * out, a buffer without a limit: the amount, the state, and while p is
 * ready and unexpired at now, a form posting action=approve or
 * action=cancel (with the amount, as a real provider would charge it) to
 * /pay/test/{id}. */
void pay_test_page(const struct store_payment *p, int64_t now, struct buf *out);

#endif
