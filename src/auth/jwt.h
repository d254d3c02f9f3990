/*
 * jwt.h - HS256 JSON Web Tokens: the short-lived access tokens.
 *
 * RFC 7519 compact form: base64url(header) "." base64url(payload) "."
 * base64url(HMAC-SHA256(key, header "." payload)), all without padding.
 * Signed tokens carry the header {"alg":"HS256","typ":"JWT"} and the payload
 *   {"sub":"42","name":"alice","sid":"<family>","iat":1700000000,"exp":1700000900}
 * Verification accepts only HS256 (never "none", never another algorithm,
 * whatever the header says), demands every claim above with its exact JSON
 * type, ignores claims it does not know, and rejects duplicate keys and any
 * header that lists "crit" extensions.
 *
 * Ownership: the key, claims and token are borrowed; out buffers belong to
 * the caller. Nothing is allocated that outlives a call.
 * Threads: no global state; any thread may call at any time.
 * Errors: 0 or a negative ONAIR_E* (see each function). Any byte string, of
 * any length, may be handed to auth_jwt_verify: it reads only len bytes and
 * never crashes (it has a libFuzzer target, tests/fuzz/fuzz_jwt.c).
 */
#ifndef ONAIR_AUTH_JWT_H
#define ONAIR_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define AUTH_JWT_MAX 1024  /* longest token accepted or produced, without NUL */
#define AUTH_JWT_ID_MAX 32 /* longest "jti" accepted; optional when verifying */

struct auth_claims {
    int64_t user_id;                       /* "sub" as a decimal string in the JSON, e.g. "42" */
    char username[STORE_USERNAME_MAX + 1]; /* "name" */
    char sid[STORE_KEY_MAX + 1];   /* "sid": the refresh-token family of the login session */
    int64_t iat;                   /* seconds since epoch */
    int64_t exp;                   /* seconds since epoch */
    char jti[AUTH_JWT_ID_MAX + 1]; /* "jti": token id, optional (left out when empty);
                                      a random one makes every token unique */
};

/* Signs claims with the keylen-byte key (use 32 or more random bytes) and
 * writes the NUL-terminated token into out (cap bytes; AUTH_JWT_MAX + 1 is
 * always enough). Returns
 *   0               done
 *   ONAIR_ETOOBIG   cap is too small (out then holds "" if cap > 0)
 *   ONAIR_EINVAL    claims break their contract: user_id < 0, an empty or
 *                   unterminated username or sid, or one that is not UTF-8
 *   ONAIR_ENOMEM    jansson ran out of memory */
int auth_jwt_sign(const uint8_t *key, size_t keylen, const struct auth_claims *claims, char *out,
                  size_t cap);

/* Verifies the len bytes at token (not necessarily NUL-terminated) against
 * key at now_s (seconds since epoch) and fills *out. Returns
 *   0               valid: *out holds the claims
 *   ONAIR_EPROTO    malformed: longer than AUTH_JWT_MAX, not three non-empty
 *                   canonical base64url parts, header or payload not a JSON
 *                   object, alg other than "HS256", a missing or mistyped
 *                   claim ("sub" not a decimal string in 0..INT64_MAX,
 *                   "name" not a string of 1..STORE_USERNAME_MAX bytes,
 *                   "sid" not one of 1..STORE_KEY_MAX bytes, "iat"/"exp" not
 *                   JSON integers)
 *   ONAIR_EDENIED   the signature does not match (compared in constant time)
 *   ONAIR_ESTALE    well-formed and correctly signed, but now_s >= exp
 * On any error *out is zeroed. The header and signature are checked before
 * the payload is parsed, so an unsigned payload never reaches the JSON claim
 * checks (a forged token answers EDENIED, not EPROTO). */
int auth_jwt_verify(const uint8_t *key, size_t keylen, const char *token, size_t len, int64_t now_s,
                    struct auth_claims *out);

#endif
