/*
 * provider.c - the provider registry, settings and payment ids.
 */
#include "pay/provider.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "core/config.h"
#include "core/log.h"
#include "pay/internal.h"

#define ID_RANDOM_BYTES 18 /* 144 bits: 24 URL-safe characters */

_Static_assert(sizeof PAY_ID_PREFIX - 1 + 24 <= STORE_PAYMENT_ID_MAX,
               "a payment id fits the store");

static const struct pay_provider *const providers[] = {
    &pay__test_provider,
    &pay__kakaopay_provider,
};

const struct pay_provider *pay_provider_find(const char *name)
{
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

bool pay_id_ok(const char *id)
{
    size_t n = strlen(id), pn = sizeof PAY_ID_PREFIX - 1;
    if (n <= pn || n > STORE_PAYMENT_ID_MAX || strncmp(id, PAY_ID_PREFIX, pn) != 0)
        return false;
    for (size_t i = pn; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

void pay_id_new(char *out)
{
    char rnd[AUTH_TOKEN_MAX + 1];
    size_t n = auth_token_random(rnd, ID_RANDOM_BYTES), pn = sizeof PAY_ID_PREFIX - 1;
    memcpy(out, PAY_ID_PREFIX, pn);
    memcpy(out + pn, rnd, n + 1);
}

bool pay__url_ok(const char *url, bool loopback_http_only)
{
    size_t n = strlen(url);
    const char *host;
    if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else
        return false;
    if (n > PAY_URL_MAX || *host == '\0' || *host == '/' || *host == ':')
        return false;
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
            c == '`')
            return false;
    }
    if (loopback_http_only && host == url + 7) {
        /* Plain http only to this machine (a local fake of the API). */
        const char *lo = "127.0.0.1";
        size_t ln = strlen(lo);
        if (strncmp(host, lo, ln) != 0 || (host[ln] && host[ln] != ':' && host[ln] != '/'))
            return false;
    }
    return true;
}

/* Copies a base URL without its trailing slashes. */
/* Copies a setting into a field of cap bytes; false (field emptied) if
 * it does not fit. */
static bool copy_setting(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);
    if (n >= cap) {
        dst[0] = '\0';
        return false;
    }
    memcpy(dst, v, n + 1);
    return true;
}

static void copy_base(char *out, size_t cap, const char *url)
{
    snprintf(out, cap, "%s", url);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

void pay_settings_init(struct pay_settings *s, const struct config *cfg, const uint8_t *server_key,
                       size_t server_key_len)
{
    memset(s, 0, sizeof *s);
    if (sodium_init() < 0)
        log_err("pay", "libsodium could not be initialised", NULL);

    /* A key of its own for pg_tokens: HMAC of a fixed label under the
     * server's key, so a pg_token is no use as an access token or the
     * other way round, and stays valid across restarts like tokens do. */
    static const char label[] = "onair pay-test pg_token v1";
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, server_key, server_key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label - 1);
    crypto_auth_hmacsha256_final(&st, s->test_key);
    sodium_memzero(&st, sizeof st);

    s->test_enabled = config_int(cfg, CFG_PAYMENT_TEST) != 0;
    s->timeout_ms = (long)config_int(cfg, CFG_KAKAOPAY_TIMEOUT_MS);

    const char *pub = config_str(cfg, CFG_PUBLIC_URL);
    if (pub[0]) {
        copy_base(s->public_url, sizeof s->public_url, pub);
    } else {
        /* http://host:port of the http setting; a wildcard address is
         * reached on this machine as loopback. */
        const char *h = cfg->host[CFG_HTTP];
        bool v6 = strchr(h, ':') != NULL;
        if (strcmp(h, "0.0.0.0") == 0)
            h = "127.0.0.1";
        else if (strcmp(h, "::") == 0)
            h = "::1";
        snprintf(s->public_url, sizeof s->public_url, "http://%s%s%s:%d", v6 ? "[" : "", h,
                 v6 ? "]" : "", cfg->port[CFG_HTTP]);
    }
    bool public_ok = pay__url_ok(s->public_url, false);
    if (!public_ok)
        log_err("pay", "public-url is not an http(s) URL; payments are off", NULL);

    /* A key or merchant id too long for its field is refused, not cut:
     * a truncated key would only fail later, at the provider. */
    if (!copy_setting(s->kakao_secret, sizeof s->kakao_secret,
                      config_str(cfg, CFG_KAKAOPAY_SECRET_KEY)) ||
        !copy_setting(s->kakao_cid, sizeof s->kakao_cid, config_str(cfg, CFG_KAKAOPAY_CID))) {
        log_err("pay", "kakaopay-secret-key or kakaopay-cid is too long; kakaopay is off", NULL);
        s->kakao_secret[0] = '\0';
    }
    copy_base(s->kakao_api, sizeof s->kakao_api, config_str(cfg, CFG_KAKAOPAY_API));
    s->kakao_api_ok = public_ok && pay__url_ok(s->kakao_api, true);
    if (s->kakao_secret[0])
        pay__kakao_global_init();
    if (s->kakao_secret[0] && !pay__url_ok(s->kakao_api, true))
        log_err("pay", "kakaopay-api must be https (plain http only to 127.0.0.1); kakaopay is off",
                NULL);
    if (!public_ok)
        s->test_enabled = false;
}
