#include "auth/token.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

_Static_assert(STORE_HASH_LEN == crypto_hash_sha256_BYTES, "a stored digest is one SHA-256");
_Static_assert(AUTH_TOKEN_MAX + 1 ==
                   sodium_base64_ENCODED_LEN(AUTH_TOKEN_BYTES_MAX,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "AUTH_TOKEN_MAX is the encoding of AUTH_TOKEN_BYTES_MAX bytes");
_Static_assert(AUTH_TOKEN_MAX <= STORE_KEY_MAX, "a token fits where the store keeps keys");

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void crypto_init_once(void)
{
    /* sodium_init fails only when the system has no random source at all;
     * nothing in auth can work then, so stop like we do when out of heap. */
    if (sodium_init() < 0) {
        fprintf(stderr, "onair: libsodium could not be initialised\n");
        abort();
    }
}

void auth__crypto_init(void)
{
    pthread_once(&crypto_once, crypto_init_once);
}

size_t auth_token_encoded_len(size_t nbytes)
{
    return nbytes / 3 * 4 + (nbytes % 3 ? nbytes % 3 + 1 : 0);
}

size_t auth_token_random(char *out, size_t nbytes)
{
    assert(nbytes >= 1 && nbytes <= AUTH_TOKEN_BYTES_MAX);
    if (nbytes < 1 || nbytes > AUTH_TOKEN_BYTES_MAX) {
        out[0] = '\0';
        return 0;
    }
    auth__crypto_init();

    uint8_t raw[AUTH_TOKEN_BYTES_MAX];
    size_t len = auth_token_encoded_len(nbytes);
    randombytes_buf(raw, nbytes);
    sodium_bin2base64(out, len + 1, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    assert(out[len] == '\0');
    return len;
}

void auth_token_sha256(const void *data, size_t len, uint8_t out[STORE_HASH_LEN])
{
    auth__crypto_init();
    crypto_hash_sha256(out, data, len);
}

bool auth_token_equal(const void *a, const void *b, size_t n)
{
    if (n == 0)
        return true;
    return sodium_memcmp(a, b, n) == 0;
}
