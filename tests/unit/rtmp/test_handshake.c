/*
 * Unit tests for src/rtmp/handshake.c: plain and Flash-digest answers,
 * checked with HMACs computed here from the published key layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "rtmp/handshake.h"

#define HS RTMP_HANDSHAKE_SIZE

static const uint8_t KEY_TAIL[32] = {
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
static const char CLIENT_PREFIX[] = "Genuine Adobe Flash Player 001";
static const char SERVER_PREFIX[] = "Genuine Adobe Flash Media Server 001";

static void hmac(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
                 size_t blen, uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, a, alen);
    crypto_auth_hmacsha256_update(&st, b, blen);
    crypto_auth_hmacsha256_final(&st, out);
}

/* The digest offset, written out from the layout description. */
static size_t offset_of(const uint8_t *blk, int scheme)
{
    size_t at = scheme == 1 ? 8 : 772;
    size_t sum = (size_t)blk[at] + blk[at + 1] + blk[at + 2] + blk[at + 3];
    return sum % 728 + at + 4;
}

static void sign(uint8_t *blk, int scheme, const uint8_t *key, size_t klen)
{
    size_t off = offset_of(blk, scheme);
    hmac(key, klen, blk, off, blk + off + 32, HS - off - 32, blk + off);
}

static bool signed_ok(const uint8_t *blk, int scheme, const uint8_t *key, size_t klen)
{
    uint8_t want[32];
    size_t off = offset_of(blk, scheme);
    hmac(key, klen, blk, off, blk + off + 32, HS - off - 32, want);
    return memcmp(want, blk + off, 32) == 0;
}

static void test_keys(void **state)
{
    (void)state;
    assert_int_equal(strlen(CLIENT_PREFIX), RTMP_HANDSHAKE_CLIENT_KEY_PREFIX);
    assert_int_equal(strlen(SERVER_PREFIX), RTMP_HANDSHAKE_SERVER_KEY_PREFIX);
    assert_memory_equal(rtmp_handshake_client_key, CLIENT_PREFIX, 30);
    assert_memory_equal(rtmp_handshake_client_key + 30, KEY_TAIL, 32);
    assert_memory_equal(rtmp_handshake_server_key, SERVER_PREFIX, 36);
    assert_memory_equal(rtmp_handshake_server_key + 36, KEY_TAIL, 32);
}

static void test_offsets(void **state)
{
    (void)state;
    uint8_t blk[HS];
    memset(blk, 0, sizeof blk);
    assert_int_equal(rtmp_handshake_digest_offset(blk, 1), 12);
    assert_int_equal(rtmp_handshake_digest_offset(blk, 2), 776);
    assert_int_equal(rtmp_handshake_digest_offset(blk, 3), 0);
    memset(blk + 8, 0xFF, 4); /* 1020 % 728 = 292 */
    memset(blk + 772, 0xFF, 4);
    assert_int_equal(rtmp_handshake_digest_offset(blk, 1), 12 + 292);
    assert_int_equal(rtmp_handshake_digest_offset(blk, 2), 776 + 292);
    blk[8] = 0xFF, blk[9] = 0xFF, blk[10] = 0xD9, blk[11] = 0; /* 727: the last one */
    assert_int_equal(rtmp_handshake_digest_offset(blk, 1), 12 + 727);
    /* Both ranges stay inside their half and inside the block. */
    assert_true(12 + 727 + 32 <= 772);
    assert_true(776 + 727 + 32 <= HS);
}

static void test_plain(void **state)
{
    (void)state;
    /* What OBS sends: time, four zero bytes, random. */
    uint8_t c1[HS];
    randombytes_buf(c1, sizeof c1);
    memcpy(c1, "\x00\x01\x02\x03\x00\x00\x00\x00", 8);
    static uint8_t out[1 + 2 * HS];
    bool digest = true;
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_false(digest);
    assert_int_equal(out[0], 3);
    assert_memory_equal(out + 1 + 4, "\x00\x00\x00\x00", 4);
    assert_memory_equal(out + 1 + HS, c1, HS);
    /* S1 is random: two answers differ. */
    static uint8_t out2[1 + 2 * HS];
    assert_int_equal(rtmp_handshake_respond(c1, out2, &digest), 0);
    assert_memory_not_equal(out + 9, out2 + 9, HS - 8);

    /* All zeros and all ones are plain too. */
    memset(c1, 0, sizeof c1);
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_false(digest);
    assert_memory_equal(out + 1 + HS, c1, HS);
    memset(c1, 0xFF, sizeof c1);
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_false(digest);
}

static void check_digest(int scheme)
{
    uint8_t c1[HS];
    randombytes_buf(c1, sizeof c1);
    memcpy(c1 + 4, "\x80\x00\x07\x02", 4); /* a Flash Player version */
    sign(c1, scheme, (const uint8_t *)CLIENT_PREFIX, 30);
    assert_true(rtmp_handshake_digest_valid(c1, scheme, (const uint8_t *)CLIENT_PREFIX, 30));

    static uint8_t out[1 + 2 * HS];
    bool digest = false;
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_true(digest);
    assert_int_equal(out[0], 3);
    const uint8_t *s1 = out + 1, *s2 = out + 1 + HS;

    /* S1: signed with the 36-byte server prefix, at the client's scheme. */
    assert_memory_not_equal(s1 + 4, "\x00\x00\x00\x00", 4);
    assert_true(signed_ok(s1, scheme, (const uint8_t *)SERVER_PREFIX, 36));

    /* S2: last 32 bytes = HMAC(HMAC(68-byte server key, C1 digest), S2[0..1504)). */
    uint8_t full_key[68], key2[32], want[32];
    memcpy(full_key, SERVER_PREFIX, 36);
    memcpy(full_key + 36, KEY_TAIL, 32);
    hmac(full_key, 68, c1 + offset_of(c1, scheme), 32, NULL, 0, key2);
    hmac(key2, 32, s2, HS - 32, NULL, 0, want);
    assert_memory_equal(s2 + HS - 32, want, 32);
    /* Not an echo of C1. */
    assert_memory_not_equal(s2, c1, HS);
}

static void test_digest_scheme1(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++)
        check_digest(1);
}

static void test_digest_scheme2(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++)
        check_digest(2);
}

static void test_wrong_key_is_plain(void **state)
{
    (void)state;
    uint8_t c1[HS];
    randombytes_buf(c1, sizeof c1);
    /* Signed with the server prefix instead: not a Flash client digest. */
    sign(c1, 1, (const uint8_t *)SERVER_PREFIX, 36);
    static uint8_t out[1 + 2 * HS];
    bool digest = true;
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_false(digest);
    assert_memory_equal(out + 1 + HS, c1, HS);
    /* A correct digest with one flipped byte elsewhere. */
    sign(c1, 2, (const uint8_t *)CLIENT_PREFIX, 30);
    size_t off = offset_of(c1, 2);
    c1[off > 800 ? 100 : 1400] ^= 1;
    assert_int_equal(rtmp_handshake_respond(c1, out, &digest), 0);
    assert_false(digest);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_plain),          cmocka_unit_test(test_digest_scheme1),
        cmocka_unit_test(test_digest_scheme2), cmocka_unit_test(test_wrong_key_is_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
