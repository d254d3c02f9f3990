/*
 * password.h - password hashing with argon2id (libsodium crypto_pwhash).
 *
 * A password never leaves this module in any form but its argon2id encoded
 * string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), which carries its own
 * salt and cost, so hashes made with an older cost keep verifying after the
 * cost changes. Hashing is deliberately slow (tens of milliseconds and
 * memlimit of memory): call it on a store or worker thread, never on an I/O
 * loop.
 *
 * Ownership: strings are borrowed; out buffers belong to the caller; the
 * dummy hash is a static string owned by this module for the process's life.
 * Threads: auth_password_set_cost is called once at startup before other
 * threads run; everything else may be called from any thread concurrently.
 * Errors: auth_password_hash returns 0 or ONAIR_ENOMEM (argon2id could not
 * get its memory); verify answers false for anything malformed.
 */
#ifndef ONAIR_AUTH_PASSWORD_H
#define ONAIR_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* The cost used when auth_password_set_cost was never called: the OWASP
 * minimum for argon2id (2 passes over 19 MiB, one lane). */
#define AUTH_PASSWORD_OPSLIMIT_DEFAULT 2ULL
#define AUTH_PASSWORD_MEMLIMIT_KIB_DEFAULT 19456

/* Sets the cost of later auth_password_hash calls: opslimit passes over
 * memlimit_kib KiB of memory. opslimit >= 1 and memlimit_kib >= 8; smaller
 * values are raised to those minimums (and a memlimit above what libsodium
 * accepts is lowered to its maximum). Call once at startup, before threads. */
void auth_password_set_cost(unsigned long long opslimit, size_t memlimit_kib);

/* Hashes the len bytes at password (any bytes, NUL included; password may be
 * NULL when len is 0) with a fresh random salt and the current cost, and
 * writes the NUL-terminated encoded string into out. 0, ONAIR_ENOMEM, or
 * ONAIR_EINVAL for a NULL password with len > 0. */
int auth_password_hash(const char *password, size_t len, char out[STORE_PWHASH_MAX + 1]);

/* True if the len bytes at password are the password encoded_hash (a
 * NUL-terminated string from auth_password_hash) was made from. False on a
 * mismatch, and for a NULL, overlong or malformed hash or one that is not
 * argon2id. Takes as long as one hash at the cost recorded in encoded_hash. */
bool auth_password_verify(const char *encoded_hash, const char *password, size_t len);

/* True if encoded_hash was made with a different cost than the current one
 * (or is malformed), so it should be replaced after the next successful
 * login. */
bool auth_password_needs_rehash(const char *encoded_hash);

/* A valid hash of a random secret nobody knows, made with the cost in effect
 * at the first call (computed once, then shared; thread-safe). Login for an
 * unknown user verifies against it so it takes as long as for a real user
 * and no password ever matches. Never NULL. */
const char *auth_password_dummy_hash(void);

#endif
