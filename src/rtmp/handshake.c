/*
 * handshake.c - plain and Flash-digest RTMP handshake answers.
 */
#include "rtmp/handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/clock.h"

#define DIGEST RTMP_HANDSHAKE_DIGEST_SIZE

/* "Genuine Adobe Flash Player 001" followed by 32 fixed bytes. */
const uint8_t rtmp_handshake_client_key[62] = {
    'G',  'e',  'n',  'u',  'i',  'n',  'e',  ' ',  'A',  'd',  'o',  'b',  'e',  ' ',  'F',  'l',
    'a',  's',  'h',  ' ',  'P',  'l',  'a',  'y',  'e',  'r',  ' ',  '0',  '0',  '1',  0xF0, 0xEE,
    0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC,
    0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};

/* "Genuine Adobe Flash Media Server 001" followed by the same 32 bytes. */
const uint8_t rtmp_handshake_server_key[68] = {
    'G',  'e',  'n',  'u',  'i',  'n',  'e',  ' ',  'A',  'd',  'o',  'b',  'e',  ' ',
    'F',  'l',  'a',  's',  'h',  ' ',  'M',  'e',  'd',  'i',  'a',  ' ',  'S',  'e',
    'r',  'v',  'e',  'r',  ' ',  '0',  '0',  '1',  0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68,
    0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D,
    0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};

_Static_assert(DIGEST == crypto_auth_hmacsha256_BYTES, "the digest is one HMAC-SHA256");

size_t rtmp_handshake_digest_offset(const uint8_t block[RTMP_HANDSHAKE_SIZE], int scheme)
{
    /* The four bytes that pick the offset come just before the 764-byte half
     * the digest lives in; 728 = 764 - 32 - 4 keeps it inside that half. */
    size_t base;
    if (scheme == 1)
        base = 8;
    else if (scheme == 2)
        base = 772;
    else
        return 0;
    unsigned sum = (unsigned)block[base] + block[base + 1] + block[base + 2] + block[base + 3];
    return base + 4 + sum % 728;
}

/* HMAC-SHA256 of block without its 32 digest bytes at off. */
static void block_hmac(const uint8_t block[RTMP_HANDSHAKE_SIZE], size_t off, const uint8_t *key,
                       size_t key_len, uint8_t out[DIGEST])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, block, off);
    crypto_auth_hmacsha256_update(&st, block + off + DIGEST, RTMP_HANDSHAKE_SIZE - off - DIGEST);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

bool rtmp_handshake_digest_valid(const uint8_t block[RTMP_HANDSHAKE_SIZE], int scheme,
                                 const uint8_t *key, size_t key_len)
{
    size_t off = rtmp_handshake_digest_offset(block, scheme);
    if (off == 0)
        return false;
    uint8_t want[DIGEST];
    block_hmac(block, off, key, key_len, want);
    return sodium_memcmp(want, block + off, DIGEST) == 0;
}

static void crypto_ready(void)
{
    /* Idempotent and thread-safe; fails only without any random source,
     * where no handshake could be answered safely. */
    if (sodium_init() < 0) {
        fprintf(stderr, "onair: libsodium could not be initialised\n");
        abort();
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int rtmp_handshake_respond(const uint8_t c1[RTMP_HANDSHAKE_SIZE],
                           uint8_t out[1 + 2 * RTMP_HANDSHAKE_SIZE], bool *digest)
{
    uint8_t *s1 = out + 1;
    uint8_t *s2 = out + 1 + RTMP_HANDSHAKE_SIZE;
    int scheme = 0;

    crypto_ready();
    out[0] = RTMP_HANDSHAKE_VERSION;
    for (int s = 1; s <= 2 && !scheme; s++) {
        if (rtmp_handshake_digest_valid(c1, s, rtmp_handshake_client_key,
                                        RTMP_HANDSHAKE_CLIENT_KEY_PREFIX))
            scheme = s;
    }

    randombytes_buf(s1, RTMP_HANDSHAKE_SIZE);
    put32(s1, (uint32_t)(clock_mono_ns() / 1000000));

    if (!scheme) {
        memset(s1 + 4, 0, 4);
        memcpy(s2, c1, RTMP_HANDSHAKE_SIZE);
        *digest = false;
        return 0;
    }

    /* A nonzero version tells the client that S1 is signed. */
    static const uint8_t server_version[4] = {0x04, 0x05, 0x00, 0x01};
    memcpy(s1 + 4, server_version, 4);
    size_t off = rtmp_handshake_digest_offset(s1, scheme);
    block_hmac(s1, off, rtmp_handshake_server_key, RTMP_HANDSHAKE_SERVER_KEY_PREFIX, s1 + off);

    /* S2 answers the client's digest: its last 32 bytes are signed with a
     * key derived from that digest. */
    size_t coff = rtmp_handshake_digest_offset(c1, scheme);
    uint8_t key[DIGEST];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, rtmp_handshake_server_key, sizeof rtmp_handshake_server_key);
    crypto_auth_hmacsha256_update(&st, c1 + coff, DIGEST);
    crypto_auth_hmacsha256_final(&st, key);
    randombytes_buf(s2, RTMP_HANDSHAKE_SIZE - DIGEST);
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, s2, RTMP_HANDSHAKE_SIZE - DIGEST);
    crypto_auth_hmacsha256_final(&st, s2 + RTMP_HANDSHAKE_SIZE - DIGEST);
    sodium_memzero(&st, sizeof st);
    *digest = true;
    return 0;
}
