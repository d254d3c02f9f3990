/*
 * token.h - random secrets and their digests.
 *
 * Refresh tokens, stream keys and session ids are random bytes written as
 * URL-safe base64 without padding, so they can go in URLs, cookies and JSON
 * without escaping. Only their SHA-256 digest is stored (store.h), and a
 * presented secret is compared with what is expected in constant time.
 *
 * Ownership: every function writes into buffers the caller owns; nothing here
 * allocates or keeps state besides libsodium's random generator.
 * Threads: every function may be called from any thread at any time.
 * Errors: none can happen at run time; a call outside the contract (nbytes out
 * of range) is a bug and trips an assert (returns 0 in release builds).
 */
#ifndef ONAIR_AUTH_TOKEN_H
#define ONAIR_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define AUTH_TOKEN_MAX 64       /* longest encoded token this module produces, without NUL */
#define AUTH_TOKEN_BYTES_MAX 48 /* the most random bytes one token carries (encodes to 64) */

/* Fills out with nbytes (1..AUTH_TOKEN_BYTES_MAX) fresh random bytes written
 * as URL-safe base64 without padding ([A-Za-z0-9_-]) and a NUL. out must hold
 * at least auth_token_encoded_len(nbytes) + 1 bytes. Returns the string
 * length, which is auth_token_encoded_len(nbytes). */
size_t auth_token_random(char *out, size_t nbytes);

/* Length of nbytes bytes as URL-safe base64 without padding, without the NUL
 * (ceil(4 * nbytes / 3): 32 bytes -> 43 characters, 48 -> 64). */
size_t auth_token_encoded_len(size_t nbytes);

/* SHA-256 of len bytes at data into out. */
void auth_token_sha256(const void *data, size_t len, uint8_t out[STORE_HASH_LEN]);

/* True if the n-byte buffers a and b hold the same bytes. Takes the same
 * time wherever they differ (n itself is not secret). n == 0 is true. */
bool auth_token_equal(const void *a, const void *b, size_t n);

/* Shared inside src/auth: initialises libsodium once (sodium_init), aborting
 * the process if the system has no usable random source. Every auth module
 * calls it before its first libsodium call; calling it again is cheap. */
void auth__crypto_init(void);

#endif
