#include "auth/password.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "core/err.h"

_Static_assert(STORE_PWHASH_MAX + 1 >= crypto_pwhash_argon2id_STRBYTES,
               "an encoded argon2id hash fits in the store's column");

#define ARGON2ID_PREFIX "$argon2id$"

/* Written once at startup, read by any thread: atomics keep the reads
 * well-defined even if a caller breaks that rule. */
static _Atomic unsigned long long cost_ops = AUTH_PASSWORD_OPSLIMIT_DEFAULT;
static _Atomic size_t cost_mem_kib = AUTH_PASSWORD_MEMLIMIT_KIB_DEFAULT;

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[STORE_PWHASH_MAX + 1];

void auth_password_set_cost(unsigned long long opslimit, size_t memlimit_kib)
{
    size_t min_kib = crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024;
    size_t max_kib = crypto_pwhash_argon2id_MEMLIMIT_MAX / 1024;

    if (opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN)
        opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
    if (opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
        opslimit = crypto_pwhash_argon2id_OPSLIMIT_MAX;
    if (memlimit_kib < min_kib)
        memlimit_kib = min_kib;
    if (memlimit_kib > max_kib)
        memlimit_kib = max_kib;
    atomic_store(&cost_ops, opslimit);
    atomic_store(&cost_mem_kib, memlimit_kib);
}

int auth_password_hash(const char *password, size_t len, char out[STORE_PWHASH_MAX + 1])
{
    auth__crypto_init();
    if (password == NULL) {
        if (len != 0)
            return ONAIR_EINVAL;
        password = "";
    }
    unsigned long long ops = atomic_load(&cost_ops);
    size_t mem = atomic_load(&cost_mem_kib) * 1024;

    /* out is larger than crypto_pwhash_STRBYTES; libsodium zero-pads its
     * part, the last byte is ours to terminate. */
    out[STORE_PWHASH_MAX] = '\0';
    if (crypto_pwhash_str_alg(out, password, len, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        out[0] = '\0';
        return ONAIR_ENOMEM;
    }
    return 0;
}

/* A hash we are willing to hand to libsodium: NUL-terminated within the
 * column width and argon2id (argon2i hashes are never made here). */
static bool hash_well_formed(const char *encoded_hash)
{
    if (encoded_hash == NULL)
        return false;
    size_t n = strnlen(encoded_hash, STORE_PWHASH_MAX + 1);
    if (n > STORE_PWHASH_MAX || n >= crypto_pwhash_argon2id_STRBYTES)
        return false;
    return strncmp(encoded_hash, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)) == 0;
}

bool auth_password_verify(const char *encoded_hash, const char *password, size_t len)
{
    auth__crypto_init();
    if (!hash_well_formed(encoded_hash))
        return false;
    if (password == NULL) {
        if (len != 0)
            return false;
        password = "";
    }
    /* libsodium reads the string up to its NUL, which hash_well_formed found
     * within crypto_pwhash_STRBYTES; it rejects bad encodings and costs. */
    return crypto_pwhash_argon2id_str_verify(encoded_hash, password, len) == 0;
}

bool auth_password_needs_rehash(const char *encoded_hash)
{
    auth__crypto_init();
    if (!hash_well_formed(encoded_hash))
        return true;
    unsigned long long ops = atomic_load(&cost_ops);
    size_t mem = atomic_load(&cost_mem_kib) * 1024;
    return crypto_pwhash_argon2id_str_needs_rehash(encoded_hash, ops, mem) != 0;
}

static void dummy_init(void)
{
    uint8_t secret[32];

    auth__crypto_init();
    randombytes_buf(secret, sizeof secret);
    int rc = auth_password_hash((const char *)secret, sizeof secret, dummy_hash);
    sodium_memzero(secret, sizeof secret);
    if (rc != 0) {
        /* Same policy as running out of heap: the process can't go on. */
        fprintf(stderr, "onair: %s:%d: out of memory hashing the dummy password\n", __FILE__,
                __LINE__);
        abort();
    }
}

const char *auth_password_dummy_hash(void)
{
    pthread_once(&dummy_once, dummy_init);
    return dummy_hash;
}
