/*
 * fuzz_jwt.c - libFuzzer target for auth_jwt_verify (src/auth/jwt.c).
 *
 * Each input is used twice:
 *  1. as a token: auth_jwt_verify must return one of its documented codes
 *     and never crash or read past the input; a token that verifies must
 *     survive re-signing and verifying again with the same claims;
 *  2. as claims: claims built from the bytes are signed, the token must
 *     verify back to exactly those claims, and the same token with any one
 *     byte changed must not verify.
 * Seeds: tests/fuzz/corpus/jwt/ (signed with KEY below).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/err.h"

static const uint8_t KEY[32] = "onair-fuzz-key-0123456789abcdef";
#define NOW 1700000100

static bool same_claims(const struct auth_claims *a, const struct auth_claims *b)
{
    return a->user_id == b->user_id && a->iat == b->iat && a->exp == b->exp &&
           strcmp(a->username, b->username) == 0 && strcmp(a->sid, b->sid) == 0;
}

static uint64_t take_u64(const uint8_t **p, size_t *n)
{
    uint64_t v = 0;
    for (int i = 0; i < 8 && *n > 0; i++, (*p)++, (*n)--)
        v = v << 8 | **p;
    return v;
}

static void take_str(const uint8_t **p, size_t *n, char *dst, size_t cap)
{
    size_t len = *n > 0 ? 1 + **p % (cap - 1) : 1;
    if (*n > 0) {
        (*p)++;
        (*n)--;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = 'a';
        if (*n > 0) {
            c = **p ? **p : 'a'; /* a NUL would end the C string early */
            (*p)++;
            (*n)--;
        }
        dst[i] = (char)c;
    }
    dst[len] = '\0';
}

static void check_as_token(const uint8_t *data, size_t size)
{
    struct auth_claims c, again;
    char tok[AUTH_JWT_MAX + 1];

    int rc = auth_jwt_verify(KEY, sizeof KEY, (const char *)data, size, NOW, &c);
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_EDENIED && rc != ONAIR_ESTALE)
        abort();
    if (rc != 0)
        return;
    if (auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok) != 0)
        abort();
    if (auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &again) != 0)
        abort();
    if (!same_claims(&c, &again))
        abort();
}

static void check_as_claims(const uint8_t *data, size_t size)
{
    struct auth_claims c, got;
    char tok[AUTH_JWT_MAX + 1];
    const uint8_t *p = data;
    size_t n = size;

    memset(&c, 0, sizeof c);
    c.user_id = (int64_t)(take_u64(&p, &n) >> 1);
    c.iat = (int64_t)take_u64(&p, &n);
    c.exp = (int64_t)take_u64(&p, &n);
    uint64_t flip = take_u64(&p, &n);
    take_str(&p, &n, c.username, sizeof c.username);
    take_str(&p, &n, c.sid, sizeof c.sid);

    int rc = auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok);
    if (rc == ONAIR_EINVAL)
        return; /* bytes that are not UTF-8: refused, as documented */
    if (rc != 0)
        abort();
    size_t len = strlen(tok);
    if (len > AUTH_JWT_MAX)
        abort();

    rc = auth_jwt_verify(KEY, sizeof KEY, tok, len, NOW, &got);
    if (NOW >= c.exp) {
        if (rc != ONAIR_ESTALE)
            abort();
    } else if (rc != 0 || !same_claims(&c, &got)) {
        abort();
    }

    /* Any single changed byte breaks the token. */
    size_t at = (size_t)(flip % len);
    uint8_t delta = (uint8_t)(flip >> 32) | 1;
    tok[at] = (char)((uint8_t)tok[at] ^ delta);
    rc = auth_jwt_verify(KEY, sizeof KEY, tok, len, NOW, &got);
    if (rc != ONAIR_EPROTO && rc != ONAIR_EDENIED)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan flags any read past size. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    check_as_token(copy, size);
    check_as_claims(copy, size);
    free(copy);
    return 0;
}
