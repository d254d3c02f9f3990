/*
 * testpay.c - the built-in "test" provider: no money moves.
 *
 * Its next_url is our own page /pay/test/{id} (the routes are in
 * api/payments_api.c); approving there makes a pg_token
 * "<amount>.<mac>", mac = HMAC-SHA-256(test key, id "\n" amount) in URL-safe
 * base64. The token carries the amount the "provider" approved (the page's
 * form field, normally the payment's amount) and is bound to one payment,
 * so a token can't be forged, moved to another payment, or edited to say
 * another amount; an approval of another amount (a tampered form) is
 * caught by store payment_approve like any provider's would be.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "pay/internal.h"

#define MAC_B64_LEN 43 /* 32 bytes in URL-safe base64 without padding */
#define AMOUNT_DIGITS_MAX 15

_Static_assert(AMOUNT_DIGITS_MAX + 1 + MAC_B64_LEN <= PAY_TOKEN_MAX, "a pg_token fits");

static void mac_b64(const struct pay_settings *s, const char *id, int64_t amount,
                    char out[MAC_B64_LEN + 1])
{
    char msg[STORE_PAYMENT_ID_MAX + 32];
    int n = snprintf(msg, sizeof msg, "%s\n%" PRId64, id, amount);
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, s->test_key);
    sodium_bin2base64(out, MAC_B64_LEN + 1, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void pay_test_token(const struct pay_settings *s, const char *id, int64_t amount, char *out)
{
    char mac[MAC_B64_LEN + 1];
    mac_b64(s, id, amount, mac);
    snprintf(out, PAY_TOKEN_MAX + 1, "%" PRId64 ".%s", amount, mac);
}

int pay_test_token_verify(const struct pay_settings *s, const char *id, const char *token,
                          int64_t *amount)
{
    /* Canonical decimal only ("007" is not 7), so each amount has one token. */
    size_t digits = strspn(token, "0123456789");
    if (digits == 0 || digits > AMOUNT_DIGITS_MAX || (digits > 1 && token[0] == '0') ||
        token[digits] != '.' || strlen(token + digits + 1) != MAC_B64_LEN)
        return ONAIR_EINVAL;
    int64_t v = 0;
    for (size_t i = 0; i < digits; i++)
        v = v * 10 + (token[i] - '0');
    char want[MAC_B64_LEN + 1];
    mac_b64(s, id, v, want);
    if (sodium_memcmp(want, token + digits + 1, MAC_B64_LEN) != 0)
        return ONAIR_EINVAL;
    *amount = v;
    return 0;
}

/* Text into HTML, escaped for element content and quoted attributes. */
static void html_text(struct buf *out, const char *s)
{
    static const char *const esc[256] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
    };
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (esc[*p])
            buf_append_str(out, esc[*p]);
        else
            buf_append(out, p, 1);
    }
}

void pay_test_page(const struct store_payment *p, int64_t now, struct buf *out)
{
    bool open = strcmp(p->status, "ready") == 0 && now < p->expires_at;
    const char *state = open                              ? "waiting for you"
                        : strcmp(p->status, "ready") == 0 ? "expired"
                                                          : p->status;
    char amount[32];
    snprintf(amount, sizeof amount, "%" PRId64, p->amount);
    buf_append_str(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                        "<title>onair test payment</title><style>"
                        "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;"
                        "padding:0 1rem}.amount{font-size:2rem;font-weight:600}"
                        "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}"
                        "</style></head><body><main><h1>Test payment</h1>"
                        "<p>onair's built-in test provider: no real money moves.</p>"
                        "<p class=\"amount\">");
    html_text(out, amount);
    buf_append_str(out, " points</p><p>Payment <code>");
    html_text(out, p->id);
    buf_append_str(out, "</code>: ");
    html_text(out, state);
    buf_append_str(out, "</p>");
    if (open) {
        buf_append_str(out, "<form method=\"post\" action=\"/pay/test/");
        html_text(out, p->id);
        buf_append_str(out, "\"><input type=\"hidden\" name=\"amount\" value=\"");
        html_text(out, amount);
        buf_append_str(out, "\"><button name=\"action\" value=\"approve\">Approve</button>"
                            "<button name=\"action\" value=\"cancel\">Cancel</button></form>");
    }
    buf_append_str(out, "</main></body></html>\n");
}

/* ---- the provider ---- */

static bool test_available(const struct pay_settings *s)
{
    return s->test_enabled;
}

static int test_ready(const struct pay_settings *s, const struct store_payment *p,
                      struct pay_ready_out *out)
{
    out->tid[0] = '\0';
    int n = snprintf(out->next_url, sizeof out->next_url, "%s/pay/test/%s", s->public_url, p->id);
    return n > 0 && (size_t)n < sizeof out->next_url ? 0 : ONAIR_ETOOBIG;
}

static int test_approve(const struct pay_settings *s, const struct store_payment *p,
                        const char *pg_token, int64_t *approved)
{
    return pay_test_token_verify(s, p->id, pg_token, approved);
}

static int test_refund(const struct pay_settings *s, const struct store_payment *p, int64_t amount)
{
    (void)s;
    (void)p;
    (void)amount;
    return 0; /* nothing was taken */
}

const struct pay_provider pay__test_provider = {
    .name = "test",
    .available = test_available,
    .ready = test_ready,
    .approve = test_approve,
    .refund = test_refund,
};
