#include "auth/jwt.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "auth/token.h"

#include "core/err.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIG_LEN crypto_auth_hmacsha256_BYTES /* 32 */
#define SIG_B64_LEN 43                       /* 32 bytes as unpadded base64 */

/* base64url of {"alg":"HS256","typ":"JWT"}: the only header we sign. */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static void hmac(const uint8_t *key, size_t keylen, const char *msg, size_t len,
                 uint8_t out[SIG_LEN])
{
    static const uint8_t no_key[1];
    crypto_auth_hmacsha256_state st;

    /* libsodium declares key nonnull even when keylen is 0. */
    crypto_auth_hmacsha256_init(&st, keylen > 0 ? key : no_key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

/* Length of a NUL-terminated string that must fit in a cap-byte field:
 * 1..cap-1, or 0 when it is empty or not terminated inside the field. */
static size_t field_len(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    return n < cap ? n : 0;
}

static int set_string(json_t *obj, const char *name, const char *s, size_t n)
{
    json_t *v = json_stringn(s, n); /* NULL when s is not valid UTF-8 */
    if (v == NULL)
        return ONAIR_EINVAL;
    return json_object_set_new(obj, name, v) == 0 ? 0 : ONAIR_ENOMEM;
}

static int set_int(json_t *obj, const char *name, int64_t i)
{
    json_t *v = json_integer((json_int_t)i);
    if (v == NULL)
        return ONAIR_ENOMEM;
    return json_object_set_new(obj, name, v) == 0 ? 0 : ONAIR_ENOMEM;
}

/* The compact JSON payload for claims, malloc'd by jansson (free() it). */
static int payload_json(const struct auth_claims *c, char **out)
{
    size_t name_len = field_len(c->username, sizeof c->username);
    size_t sid_len = field_len(c->sid, sizeof c->sid);
    size_t jti_len = field_len(c->jti, sizeof c->jti);
    char sub[24];
    int rc;

    *out = NULL;
    if (c->user_id < 0 || name_len == 0 || sid_len == 0)
        return ONAIR_EINVAL;
    int sub_len = snprintf(sub, sizeof sub, "%" PRId64, c->user_id);
    assert(sub_len > 0 && (size_t)sub_len < sizeof sub);

    json_t *obj = json_object();
    if (obj == NULL)
        return ONAIR_ENOMEM;
    if ((rc = set_string(obj, "sub", sub, (size_t)sub_len)) != 0 ||
        (rc = set_string(obj, "name", c->username, name_len)) != 0 ||
        (rc = set_string(obj, "sid", c->sid, sid_len)) != 0 ||
        (rc = set_int(obj, "iat", c->iat)) != 0 || (rc = set_int(obj, "exp", c->exp)) != 0 ||
        (jti_len && (rc = set_string(obj, "jti", c->jti, jti_len)) != 0))
        goto out_obj;
    *out = json_dumps(obj, JSON_COMPACT); /* keeps insertion order */
    rc = *out ? 0 : ONAIR_ENOMEM;
out_obj:
    json_decref(obj);
    return rc;
}

int auth_jwt_sign(const uint8_t *key, size_t keylen, const struct auth_claims *claims, char *out,
                  size_t cap)
{
    char *payload;
    int rc;

    assert(key != NULL || keylen == 0);
    auth__crypto_init();
    if (cap > 0)
        out[0] = '\0';
    if ((rc = payload_json(claims, &payload)) != 0)
        return rc;

    size_t plen = strlen(payload);
    size_t hlen = sizeof header_b64 - 1;
    size_t p64 = auth_token_encoded_len(plen);
    size_t total = hlen + 1 + p64 + 1 + SIG_B64_LEN;
    if (total > AUTH_JWT_MAX || total >= cap) {
        rc = ONAIR_ETOOBIG;
        goto out_payload;
    }

    size_t pos = 0;
    memcpy(out, header_b64, hlen);
    pos += hlen;
    out[pos++] = '.';
    sodium_bin2base64(out + pos, p64 + 1, (const unsigned char *)payload, plen, B64);
    pos += p64;

    uint8_t sig[SIG_LEN];
    hmac(key, keylen, out, pos, sig);
    out[pos++] = '.';
    sodium_bin2base64(out + pos, SIG_B64_LEN + 1, sig, sizeof sig, B64);
    pos += SIG_B64_LEN;
    assert(pos == total && out[pos] == '\0');
    rc = 0;
out_payload:
    free(payload);
    return rc;
}

static bool b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Decodes one non-empty part. libsodium insists on the whole input being
 * consumed and on zero trailing bits; the alphabet is checked here first
 * because libsodium 1.0.18 decodes every byte >= 0x80 as '_' (found by
 * fuzz_jwt). Together they give each value exactly one encoding, so a token
 * cannot be rewritten into another string that still verifies. */
static bool part_decode(const char *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen)
{
    if (inlen == 0)
        return false;
    for (size_t i = 0; i < inlen; i++)
        if (!b64url_char((unsigned char)in[i]))
            return false;
    return sodium_base642bin(out, cap, in, inlen, NULL, outlen, NULL, B64) == 0;
}

/* Parses a decoded part as a JSON object. NUL bytes are refused up front so
 * that jansson sees exactly the bytes that were signed. */
static json_t *object_parse(const uint8_t *buf, size_t n)
{
    json_error_t err;

    if (memchr(buf, '\0', n) != NULL)
        return NULL;
    json_t *v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &err);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

static bool string_is(const json_t *v, const char *want)
{
    size_t n = strlen(want);
    return json_is_string(v) && json_string_length(v) == n &&
           memcmp(json_string_value(v), want, n) == 0;
}

static bool header_ok(const uint8_t *buf, size_t n)
{
    json_t *h = object_parse(buf, n);
    if (h == NULL)
        return false;

    bool ok = string_is(json_object_get(h, "alg"), "HS256");
    /* "typ" is optional; when present it names this media type, which
     * RFC 7519 5.1 compares case-insensitively. */
    const json_t *typ = json_object_get(h, "typ");
    if (typ != NULL)
        ok = ok && json_is_string(typ) && json_string_length(typ) == 3 &&
             strncasecmp(json_string_value(typ), "JWT", 3) == 0;
    /* We implement no extensions, so a token that demands one is refused
     * (RFC 7515 4.1.11). */
    if (json_object_get(h, "crit") != NULL)
        ok = false;
    json_decref(h);
    return ok;
}

/* Copies a JSON string of 1..cap-1 bytes into dst (cap bytes). */
static bool string_copy(const json_t *v, char *dst, size_t cap)
{
    if (!json_is_string(v))
        return false;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n >= cap || memchr(s, '\0', n) != NULL)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* "sub": canonical decimal digits (no sign, no leading zeros) in 0..INT64_MAX. */
static bool sub_parse(const json_t *v, int64_t *out)
{
    if (!json_is_string(v))
        return false;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
        return false;
    uint64_t acc = 0; /* 19 digits stay below 2^64 */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        acc = acc * 10 + (uint64_t)(s[i] - '0');
    }
    if (acc > INT64_MAX)
        return false;
    *out = (int64_t)acc;
    return true;
}

static bool int_get(const json_t *v, int64_t *out)
{
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool claims_parse(const uint8_t *buf, size_t n, struct auth_claims *out)
{
    json_t *p = object_parse(buf, n);
    if (p == NULL)
        return false;
    bool ok = sub_parse(json_object_get(p, "sub"), &out->user_id) &&
              string_copy(json_object_get(p, "name"), out->username, sizeof out->username) &&
              string_copy(json_object_get(p, "sid"), out->sid, sizeof out->sid) &&
              int_get(json_object_get(p, "iat"), &out->iat) &&
              int_get(json_object_get(p, "exp"), &out->exp);
    /* jti is optional; when present it must be a short string. */
    json_t *jti = json_object_get(p, "jti");
    if (ok && jti)
        ok = string_copy(jti, out->jti, sizeof out->jti);
    json_decref(p);
    return ok;
}

int auth_jwt_verify(const uint8_t *key, size_t keylen, const char *token, size_t len, int64_t now_s,
                    struct auth_claims *out)
{
    /* Decoded parts are 3/4 of their text, so AUTH_JWT_MAX bytes always fit. */
    uint8_t head[AUTH_JWT_MAX], body[AUTH_JWT_MAX], sig[SIG_LEN], want[SIG_LEN];
    size_t head_len, body_len, sig_len;
    int rc = ONAIR_EPROTO;

    assert(key != NULL || keylen == 0);
    memset(out, 0, sizeof *out);
    if (token == NULL || len == 0 || len > AUTH_JWT_MAX)
        return ONAIR_EPROTO;
    auth__crypto_init();

    /* Exactly two dots: header.payload.signature. */
    const char *end = token + len;
    const char *dot1 = memchr(token, '.', len);
    if (dot1 == NULL)
        return ONAIR_EPROTO;
    const char *dot2 = memchr(dot1 + 1, '.', (size_t)(end - (dot1 + 1)));
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - (dot2 + 1))) != NULL)
        return ONAIR_EPROTO;

    const char *sig_text = dot2 + 1;
    size_t sig_text_len = (size_t)(end - sig_text);
    if (!part_decode(token, (size_t)(dot1 - token), head, sizeof head, &head_len) ||
        !part_decode(dot1 + 1, (size_t)(dot2 - (dot1 + 1)), body, sizeof body, &body_len) ||
        sig_text_len != SIG_B64_LEN ||
        !part_decode(sig_text, sig_text_len, sig, sizeof sig, &sig_len) || sig_len != SIG_LEN)
        goto out;

    if (!header_ok(head, head_len))
        goto out;

    hmac(key, keylen, token, (size_t)(dot2 - token), want);
    if (!auth_token_equal(sig, want, SIG_LEN)) {
        rc = ONAIR_EDENIED;
        goto out;
    }

    if (!claims_parse(body, body_len, out))
        goto out;
    if (now_s >= out->exp) {
        rc = ONAIR_ESTALE;
        goto out;
    }
    return 0;

out:
    memset(out, 0, sizeof *out);
    return rc;
}
