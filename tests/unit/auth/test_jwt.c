/* Unit tests for src/auth/jwt.c: HS256 signing and strict verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/jwt.h"
#include "core/err.h"

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t OTHER_KEY[32] = "0123456789abcdef0123456789abcdeX";

#define NOW 1700000100
/* An independently computed token (Python hmac/hashlib) for the claims of
 * sample(): fixes the wire format, claim order included. */
static const char VECTOR[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiI0MiIsIm5hbWUiOiJhbGljZSIsInNpZCI6ImZhbTEiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAw"
    "MDkwMH0.otXQBkTFV-5ZIgaOQv27-6qffTyuPg0pfXAcxj8fp0g";

static struct auth_claims sample(void)
{
    struct auth_claims c = {.user_id = 42, .iat = 1700000000, .exp = 1700000900};
    memcpy(c.username, "alice", 6);
    memcpy(c.sid, "fam1", 5);
    return c;
}

static size_t b64(char *out, size_t cap, const void *bin, size_t n)
{
    sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return strlen(out);
}

/* A token over arbitrary header and payload text, correctly signed with key:
 * reaches the checks that come after the signature. */
static void forge(char *out, size_t cap, const uint8_t *key, size_t keylen, const char *header,
                  size_t hlen, const char *payload, size_t plen)
{
    uint8_t sig[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    size_t pos;

    assert_true(cap > 4 * (hlen + plen) / 3 + 64);
    pos = b64(out, cap, header, hlen);
    out[pos++] = '.';
    pos += b64(out + pos, cap - pos, payload, plen);
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)out, pos);
    crypto_auth_hmacsha256_final(&st, sig);
    out[pos++] = '.';
    b64(out + pos, cap - pos, sig, sizeof sig);
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD_PAYLOAD                                                                               \
    "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1700000000,\"exp\":1700000900}"

static int verify_forged(const char *header, const char *payload)
{
    char tok[8192];
    struct auth_claims c;
    forge(tok, sizeof tok, KEY, sizeof KEY, header, strlen(header), payload, strlen(payload));
    return auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &c);
}

static int verify_str(const char *tok)
{
    struct auth_claims c;
    return auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &c);
}

static bool zeroed(const struct auth_claims *c)
{
    static const struct auth_claims zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

static void test_known_vector(void **state)
{
    (void)state;
    struct auth_claims c = sample(), got;
    char tok[AUTH_JWT_MAX + 1];

    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    assert_string_equal(tok, VECTOR);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, VECTOR, strlen(VECTOR), NOW, &got), 0);
    assert_int_equal(got.user_id, 42);
    assert_string_equal(got.username, "alice");
    assert_string_equal(got.sid, "fam1");
    assert_int_equal(got.iat, 1700000000);
    assert_int_equal(got.exp, 1700000900);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct auth_claims c = {.user_id = INT64_MAX, .iat = -5, .exp = INT64_MAX}, got;
    char tok[AUTH_JWT_MAX + 1];

    memset(c.username, 'u', STORE_USERNAME_MAX);
    memset(c.sid, 'S', STORE_KEY_MAX);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), 0);
    assert_memory_equal(&c, &got, sizeof c);

    /* Not NUL-terminated: an exact-size heap copy, so ASan sees any overread. */
    size_t n = strlen(tok);
    char *exact = malloc(n);
    assert_non_null(exact);
    memcpy(exact, tok, n);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, exact, n, NOW, &got), 0);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, exact, n - 1, NOW, &got), ONAIR_EPROTO);
    free(exact);
}

static void test_jti_round_trip(void **state)
{
    (void)state;
    struct auth_claims c = sample(), got;
    char tok[AUTH_JWT_MAX + 1], tok2[AUTH_JWT_MAX + 1];

    memcpy(c.jti, "id-1", 5);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), 0);
    assert_string_equal(got.jti, "id-1");
    /* Same claims, another id: another token. */
    memcpy(c.jti, "id-2", 5);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok2, sizeof tok2), 0);
    assert_string_not_equal(tok, tok2);
    /* A jti of the wrong type or too long is malformed. */
    assert_int_equal(verify_forged(HS256, "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"f\","
                                          "\"iat\":1700000000,\"exp\":1700000900,\"jti\":7}"),
                     ONAIR_EPROTO);
}

static void test_worst_case_fits(void **state)
{
    (void)state;
    /* Claims whose JSON escapes blow up the most still fit in AUTH_JWT_MAX. */
    struct auth_claims c = {.user_id = INT64_MAX, .iat = INT64_MIN, .exp = INT64_MIN}, got;
    char tok[AUTH_JWT_MAX + 1];

    memset(c.username, 0x01, STORE_USERNAME_MAX);
    memset(c.sid, 0x1f, STORE_KEY_MAX);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    assert_true(strlen(tok) <= AUTH_JWT_MAX);
    /* Signed fine, and already expired for any now. */
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), INT64_MIN, &got),
                     ONAIR_ESTALE);
    c.exp = INT64_MAX;
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), 0);
    assert_memory_equal(&c, &got, sizeof c);
}

static void test_sign_cap(void **state)
{
    (void)state;
    struct auth_claims c = sample();
    char tok[AUTH_JWT_MAX + 1];
    size_t n = strlen(VECTOR);

    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, n + 1), 0);
    assert_string_equal(tok, VECTOR);
    memset(tok, 'Z', sizeof tok);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, n), ONAIR_ETOOBIG);
    assert_string_equal(tok, "");
    assert_int_equal(tok[1], 'Z');
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, 0), ONAIR_ETOOBIG);
    assert_int_equal(tok[1], 'Z');
}

static void test_sign_invalid_claims(void **state)
{
    (void)state;
    struct auth_claims c;
    char tok[AUTH_JWT_MAX + 1];

    c = sample();
    c.user_id = -1;
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
    c = sample();
    c.username[0] = '\0';
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
    c = sample();
    c.sid[0] = '\0';
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
    c = sample();
    memset(c.username, 'a', sizeof c.username); /* not terminated */
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
    c = sample();
    memset(c.sid, 'a', sizeof c.sid);
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
    c = sample();
    c.username[1] = (char)0xff; /* not UTF-8 */
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), ONAIR_EINVAL);
}

static void test_tampered_payload(void **state)
{
    (void)state;
    struct auth_claims c = sample(), got;
    char tok[AUTH_JWT_MAX + 1], evil[AUTH_JWT_MAX + 1];

    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
    /* Someone else's token body with alice's signature. */
    c.user_id = 1;
    assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, evil, sizeof evil), 0);
    char *sig_tok = strrchr(tok, '.'), *sig_evil = strrchr(evil, '.');
    assert_int_equal(strlen(sig_tok), strlen(sig_evil));
    memcpy(sig_evil, sig_tok, strlen(sig_tok));
    memset(&got, 0x55, sizeof got);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, evil, strlen(evil), NOW, &got),
                     ONAIR_EDENIED);
    assert_true(zeroed(&got));

    /* One payload character changed. */
    memcpy(evil, tok, sizeof tok);
    char *p = strchr(evil, '.') + 5;
    *p = *p == 'A' ? 'B' : 'A';
    assert_int_equal(verify_str(evil), ONAIR_EDENIED);

    /* A longer exp spliced in. */
    char body[256];
    size_t hl = strchr(VECTOR, '.') - VECTOR;
    const char *payload = "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1700000000,"
                          "\"exp\":9999999999}";
    size_t bl = b64(body, sizeof body, payload, strlen(payload));
    snprintf(evil, sizeof evil, "%.*s.%.*s%s", (int)hl, VECTOR, (int)bl, body,
             strrchr(VECTOR, '.'));
    assert_int_equal(verify_str(evil), ONAIR_EDENIED);
}

static void test_tampered_signature(void **state)
{
    (void)state;
    char tok[AUTH_JWT_MAX + 1];

    memcpy(tok, VECTOR, sizeof VECTOR);
    char *s = strrchr(tok, '.') + 1;
    s[0] = s[0] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_str(tok), ONAIR_EDENIED);

    /* Signature shortened, lengthened, removed, or non-canonical. */
    memcpy(tok, VECTOR, sizeof VECTOR);
    tok[strlen(tok) - 1] = '\0';
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    snprintf(tok, sizeof tok, "%sA", VECTOR);
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    snprintf(tok, sizeof tok, "%s\n", VECTOR);
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    memcpy(tok, VECTOR, sizeof VECTOR);
    strrchr(tok, '.')[1] = '\0';
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    /* The last of 43 characters carries 4 bits of signature and 2 zero bits:
     * 'g' (100000) -> 'h' (100001) decodes to the same bytes in lax decoders. */
    memcpy(tok, VECTOR, sizeof VECTOR);
    assert_int_equal(tok[strlen(tok) - 1], 'g');
    tok[strlen(tok) - 1] = 'h';
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    /* Padded base64 is not base64url-without-padding. */
    snprintf(tok, sizeof tok, "%s=", VECTOR);
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
}

static void test_one_encoding_only(void **state)
{
    (void)state;
    /* libsodium 1.0.18 reads any byte >= 0x80 as '_' (fuzz_jwt found it):
     * a '_' in a signed token swapped for such a byte must not verify. */
    struct auth_claims c = sample(), got;
    char tok[AUTH_JWT_MAX + 1];
    char *under = NULL;
    for (c.user_id = 1; under == NULL; c.user_id++) {
        assert_int_equal(auth_jwt_sign(KEY, sizeof KEY, &c, tok, sizeof tok), 0);
        under = strchr(strrchr(tok, '.'), '_');
    }
    size_t n = strlen(tok);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, n, NOW, &got), 0);
    const unsigned char subst[] = {0x80, 0xb8, 0xdf, 0xff, '/', '+', '=', ' ', '\0'};
    for (size_t i = 0; i < sizeof subst; i++) {
        *under = (char)subst[i];
        assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, n, NOW, &got), ONAIR_EPROTO);
    }
    *under = '_';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, n, NOW, &got), 0);

    /* The same inside the header text. */
    char hdr[AUTH_JWT_MAX + 1];
    memcpy(hdr, VECTOR, sizeof VECTOR);
    hdr[5] = (char)0xc1;
    assert_int_equal(verify_str(hdr), ONAIR_EPROTO);
}

static void test_wrong_key(void **state)
{
    (void)state;
    struct auth_claims got;

    assert_int_equal(
        auth_jwt_verify(OTHER_KEY, sizeof OTHER_KEY, VECTOR, strlen(VECTOR), NOW, &got),
        ONAIR_EDENIED);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY - 1, VECTOR, strlen(VECTOR), NOW, &got),
                     ONAIR_EDENIED);
    assert_int_equal(auth_jwt_verify(NULL, 0, VECTOR, strlen(VECTOR), NOW, &got), ONAIR_EDENIED);

    /* Any key length works, as long as both sides use the same one. */
    struct auth_claims c = sample();
    char tok[AUTH_JWT_MAX + 1];
    uint8_t longkey[200];
    memset(longkey, 7, sizeof longkey);
    assert_int_equal(auth_jwt_sign(longkey, sizeof longkey, &c, tok, sizeof tok), 0);
    assert_int_equal(auth_jwt_verify(longkey, sizeof longkey, tok, strlen(tok), NOW, &got), 0);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), ONAIR_EDENIED);
}

static void test_expired(void **state)
{
    (void)state;
    struct auth_claims got;
    size_t n = strlen(VECTOR);

    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, VECTOR, n, 1700000899, &got), 0);
    memset(&got, 0x55, sizeof got);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, VECTOR, n, 1700000900, &got), ONAIR_ESTALE);
    assert_true(zeroed(&got));
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, VECTOR, n, INT64_MAX, &got), ONAIR_ESTALE);
    /* A bad signature is reported as such even when expired too. */
    assert_int_equal(auth_jwt_verify(OTHER_KEY, sizeof OTHER_KEY, VECTOR, n, INT64_MAX, &got),
                     ONAIR_EDENIED);
}

static void test_alg(void **state)
{
    (void)state;
    char tok[1024];

    /* "none", unsigned as attackers send it, and even with a valid MAC. */
    const char *none_h = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    size_t pos = b64(tok, sizeof tok, none_h, strlen(none_h));
    tok[pos++] = '.';
    pos += b64(tok + pos, sizeof tok - pos, GOOD_PAYLOAD, strlen(GOOD_PAYLOAD));
    tok[pos++] = '.';
    tok[pos] = '\0';
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    tok[pos - 1] = '\0'; /* two parts */
    assert_int_equal(verify_str(tok), ONAIR_EPROTO);
    assert_int_equal(verify_forged(none_h, GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"None\"}", GOOD_PAYLOAD), ONAIR_EPROTO);

    assert_int_equal(verify_forged("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", GOOD_PAYLOAD),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", GOOD_PAYLOAD),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"hs256\"}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256 \"}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256\\u0000\"}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":[\"HS256\"]}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":null}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"typ\":\"JWT\"}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256\",\"alg\":\"none\"}", GOOD_PAYLOAD),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", GOOD_PAYLOAD),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", GOOD_PAYLOAD),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged("{\"alg\":\"HS256\",\"typ\":7}", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("[\"HS256\"]", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("\"HS256\"", GOOD_PAYLOAD), ONAIR_EPROTO);
    assert_int_equal(verify_forged("", GOOD_PAYLOAD), ONAIR_EPROTO);

    /* What other libraries legitimately send is accepted. */
    assert_int_equal(verify_forged("{\"alg\":\"HS256\"}", GOOD_PAYLOAD), 0);
    assert_int_equal(verify_forged("{\"typ\":\"jwt\",\"alg\":\"HS256\"}", GOOD_PAYLOAD), 0);
    assert_int_equal(verify_forged("{ \"alg\" : \"HS256\", \"kid\": \"k1\" }\n", GOOD_PAYLOAD), 0);
}

static void test_missing_claims(void **state)
{
    (void)state;
    assert_int_equal(verify_forged(HS256, GOOD_PAYLOAD), 0);
    assert_int_equal(verify_forged(HS256, "{\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1,"
                                          "\"exp\":1700000900}"),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged(HS256, "{\"sub\":\"42\",\"sid\":\"fam1\",\"iat\":1,"
                                          "\"exp\":1700000900}"),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged(HS256, "{\"sub\":\"42\",\"name\":\"alice\",\"iat\":1,"
                                          "\"exp\":1700000900}"),
                     ONAIR_EPROTO);
    assert_int_equal(verify_forged(HS256, "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\","
                                          "\"exp\":1700000900}"),
                     ONAIR_EPROTO);
    assert_int_equal(
        verify_forged(HS256, "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1}"),
        ONAIR_EPROTO);
    assert_int_equal(verify_forged(HS256, "{}"), ONAIR_EPROTO);
    /* Unknown claims are ignored. */
    assert_int_equal(verify_forged(HS256, "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\","
                                          "\"iat\":1,\"exp\":1700000900,\"admin\":true}"),
                     0);
}

#define WITH(sub, name, sid, iat, exp)                                                             \
    "{\"sub\":" sub ",\"name\":" name ",\"sid\":" sid ",\"iat\":" iat ",\"exp\":" exp "}"

static void test_wrong_types(void **state)
{
    (void)state;
    const char *bad[] = {
        WITH("42", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"-1\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"+1\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"042\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"4a\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\" 42\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"9223372036854775808\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"99999999999999999999\"", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("null", "\"alice\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"42\"", "7", "\"fam1\"", "1", "1700000900"),
        WITH("\"42\"", "\"\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"42\"", "\"abcdefghijklmnopqrstuvwxy\"", "\"fam1\"", "1", "1700000900"), /* 25 */
        WITH("\"42\"", "\"a\\u0000b\"", "\"fam1\"", "1", "1700000900"),
        WITH("\"42\"", "[\"alice\"]", "\"fam1\"", "1", "1700000900"),
        WITH("\"42\"", "\"alice\"", "{}", "1", "1700000900"),
        WITH("\"42\"", "\"alice\"", "\"\"", "1", "1700000900"),
        WITH("\"42\"", "\"alice\"",
             "\"0123456789012345678901234567890123456789012345678901234567890123x\"", "1",
             "1700000900"), /* 65 */
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "\"1\"", "1700000900"),
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "1.0", "1700000900"),
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "1", "1700000900.5"),
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "1", "\"1700000900\""),
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "1", "true"),
        WITH("\"42\"", "\"alice\"", "\"fam1\"", "1", "99999999999999999999999"),
        "{\"sub\":\"42\",\"sub\":\"1\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1,"
        "\"exp\":1700000900}",
        "[1,2,3]",
        "\"just a string\"",
        "42",
        "null",
        "",
        "{",
        GOOD_PAYLOAD "x",
        GOOD_PAYLOAD GOOD_PAYLOAD,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = verify_forged(HS256, bad[i]);
        if (rc != ONAIR_EPROTO)
            fail_msg("payload %zu (%s): got %d", i, bad[i], rc);
    }

    /* The edges that are fine. */
    assert_int_equal(
        verify_forged(HS256, WITH("\"0\"", "\"alice\"", "\"fam1\"", "1", "1700000900")), 0);
    assert_int_equal(
        verify_forged(HS256, WITH("\"9223372036854775807\"", "\"abcdefghijklmnopqrstuvwx\"",
                                  "\"0123456789012345678901234567890123456789012345"
                                  "678901234567890123\"",
                                  "-1", "1700000900")),
        0);
    /* Trailing whitespace is still one JSON object. */
    assert_int_equal(verify_forged(HS256, GOOD_PAYLOAD " \n"), 0);
}

static void test_nul_in_parts(void **state)
{
    (void)state;
    char tok[2048];
    struct auth_claims got;
    const char payload[] = GOOD_PAYLOAD "\0garbage";

    forge(tok, sizeof tok, KEY, sizeof KEY, HS256, strlen(HS256), payload, sizeof payload - 1);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), ONAIR_EPROTO);
    const char header[] = HS256 "\0";
    forge(tok, sizeof tok, KEY, sizeof KEY, header, sizeof header - 1, GOOD_PAYLOAD,
          strlen(GOOD_PAYLOAD));
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), ONAIR_EPROTO);

    /* A raw NUL byte inside the token text. */
    char raw[AUTH_JWT_MAX + 1];
    size_t n = strlen(VECTOR);
    memcpy(raw, VECTOR, n);
    raw[40] = '\0';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, raw, n, NOW, &got), ONAIR_EPROTO);
}

static void test_oversize(void **state)
{
    (void)state;
    char payload[2048], tok[4096];
    struct auth_claims got;

    /* Correctly signed, but padded with an extra claim past AUTH_JWT_MAX. */
    int pad = 640;
    snprintf(payload, sizeof payload,
             "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1,\"exp\":1700000900,"
             "\"pad\":\"%0*d\"}",
             pad, 0);
    forge(tok, sizeof tok, KEY, sizeof KEY, HS256, strlen(HS256), payload, strlen(payload));
    assert_true(strlen(tok) > AUTH_JWT_MAX);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), ONAIR_EPROTO);

    /* The same shape just under the limit is accepted. */
    pad = 640 - (int)((strlen(tok) - AUTH_JWT_MAX) * 3 / 4) - 4;
    snprintf(payload, sizeof payload,
             "{\"sub\":\"42\",\"name\":\"alice\",\"sid\":\"fam1\",\"iat\":1,\"exp\":1700000900,"
             "\"pad\":\"%0*d\"}",
             pad, 0);
    forge(tok, sizeof tok, KEY, sizeof KEY, HS256, strlen(HS256), payload, strlen(payload));
    assert_true(strlen(tok) <= AUTH_JWT_MAX);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), NOW, &got), 0);
}

static void test_huge_base64(void **state)
{
    (void)state;
    struct auth_claims got;
    size_t n = 1 << 20;
    char *big = malloc(n); /* no NUL: only len bytes may be read */
    assert_non_null(big);

    memset(big, 'A', n);
    big[100] = '.';
    big[n - 100] = '.';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, big, n, NOW, &got), ONAIR_EPROTO);

    /* Exactly AUTH_JWT_MAX of base64 in three parts: within the limit, so
     * every part is decoded, and still refused. */
    size_t m = AUTH_JWT_MAX;
    memset(big, 'A', m);
    big[3] = '.';
    big[m - 44] = '.';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, big, m, NOW, &got), ONAIR_EPROTO);
    memset(big, 'A', m);
    big[m - 45] = '.';
    big[m - 44] = '.';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, big, m, NOW, &got), ONAIR_EPROTO);
    memset(big, 'e', m);
    big[1] = '.';
    big[2] = '.';
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, big, m, NOW, &got), ONAIR_EPROTO);
    free(big);
}

static void test_garbage(void **state)
{
    (void)state;
    struct auth_claims got;
    const char *cases[] = {
        "",
        ".",
        "..",
        "...",
        "....",
        "a.b.c",
        "a..c",
        ".b.c",
        "a.b.",
        "a.b.c.d",
        "not a token",
        "Bearer x.y.z",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9.",
        "eyJhbGciOiJIUzI1NiJ9..",
        "%%%.%%%.%%%",
        "\xff\xfe.\x80.\x01",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&got, 0x55, sizeof got);
        assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, cases[i], strlen(cases[i]), NOW, &got),
                         ONAIR_EPROTO);
        assert_true(zeroed(&got));
    }
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, NULL, 0, NOW, &got), ONAIR_EPROTO);
    assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, VECTOR, 0, NOW, &got), ONAIR_EPROTO);

    /* Random bytes of every length up to past the limit, each in an
     * exact-size heap buffer; a fixed seed keeps failures reproducible. */
    uint32_t x = 2463534242u;
    for (size_t len = 1; len <= AUTH_JWT_MAX + 8; len++) {
        char *buf = malloc(len);
        assert_non_null(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (char)(x & 0xff);
            /* Sprinkle dots so the three-part path is taken often. */
            if ((x >> 8) % 97 == 0)
                buf[i] = '.';
        }
        assert_int_equal(auth_jwt_verify(KEY, sizeof KEY, buf, len, NOW, &got), ONAIR_EPROTO);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vector),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_jti_round_trip),    cmocka_unit_test(test_worst_case_fits),
        cmocka_unit_test(test_sign_cap),          cmocka_unit_test(test_sign_invalid_claims),
        cmocka_unit_test(test_tampered_payload),  cmocka_unit_test(test_tampered_signature),
        cmocka_unit_test(test_one_encoding_only), cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_expired),           cmocka_unit_test(test_alg),
        cmocka_unit_test(test_missing_claims),    cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_nul_in_parts),      cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_huge_base64),       cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
