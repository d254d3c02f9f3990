/*
 * handshake.h - the server side of the RTMP handshake (C0/C1 -> S0/S1/S2).
 *
 * Purpose: answer a client's C1 in one step. Clients that send a plain
 * (version 0) C1, like OBS's librtmp and ffmpeg, get the plain answer of the
 * RTMP 1.0 spec. Clients that sign C1 the Flash Player way (an HMAC-SHA256
 * digest at one of the two known offset schemes) get a signed S1 and S2,
 * since some of them reject a plain answer. Encryption (RTMPE) is not done.
 *
 * The digest layout: a 1536-byte block holds a 32-byte digest at offset
 *   scheme 1: 12 + (b[8] + b[9] + b[10] + b[11]) % 728
 *   scheme 2: 776 + (b[772] + b[773] + b[774] + b[775]) % 728
 * computed as HMAC-SHA256 over the other 1504 bytes. C1 is keyed with the
 * 30-byte "Genuine Adobe Flash Player 001" prefix of the client key; S1 with
 * the 36-byte "Genuine Adobe Flash Media Server 001" prefix of the server key,
 * at the client's scheme; S2 is random with its last 32 bytes an HMAC of the
 * first 1504 under HMAC(full 68-byte server key, C1's digest).
 *
 * Ownership: the caller owns both buffers. Threading: pure (no globals of
 * ours; libsodium is initialised on first use, which it makes thread-safe),
 * any thread. Errors: none; every C1 gets an answer.
 */
#ifndef ONAIR_RTMP_HANDSHAKE_H
#define ONAIR_RTMP_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTMP_HANDSHAKE_SIZE 1536
#define RTMP_HANDSHAKE_VERSION 3
#define RTMP_HANDSHAKE_DIGEST_SIZE 32

/*
 * Answers a client's C1 (the 1536 bytes after C0). Writes S0 (version 3),
 * S1 and S2 into out (1 + 2 * 1536 bytes). With a valid Flash-style digest
 * in C1, S1 carries the server digest and S2 the response digest, and
 * *digest is set true. Otherwise S1 is the time (4 bytes, ms since an
 * arbitrary point), 4 zero bytes and random bytes, S2 echoes C1, and
 * *digest is false. Returns 0.
 */
int rtmp_handshake_respond(const uint8_t c1[RTMP_HANDSHAKE_SIZE],
                           uint8_t out[1 + 2 * RTMP_HANDSHAKE_SIZE], bool *digest);

/*
 * Where the 32-byte digest sits in a 1536-byte block under scheme 1 or 2
 * (see above), or 0 for another scheme number. Exposed for tests and for a
 * client implementation.
 */
size_t rtmp_handshake_digest_offset(const uint8_t block[RTMP_HANDSHAKE_SIZE], int scheme);

/*
 * Checks that block carries a valid digest under scheme (1 or 2) with the
 * given key (HMAC-SHA256 over the 1504 bytes around the digest).
 */
bool rtmp_handshake_digest_valid(const uint8_t block[RTMP_HANDSHAKE_SIZE], int scheme,
                                 const uint8_t *key, size_t key_len);

/* The well-known keys: 62-byte client (Flash Player) key, 68-byte server key. */
extern const uint8_t rtmp_handshake_client_key[62];
extern const uint8_t rtmp_handshake_server_key[68];
#define RTMP_HANDSHAKE_CLIENT_KEY_PREFIX 30
#define RTMP_HANDSHAKE_SERVER_KEY_PREFIX 36

#endif
