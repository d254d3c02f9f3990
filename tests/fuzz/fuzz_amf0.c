/*
 * fuzz_amf0.c - libFuzzer target for the AMF0 decoder and encoders
 * (src/rtmp/amf0.c).
 *
 * The input is decoded as a sequence of AMF0 values. Decoding must return a
 * count or a documented error and never crash, read out of bounds, leak or
 * hang. What decoded is written back with amf0_write_value and decoded
 * again with a second decoder: the same number of values and the same trees
 * must come out, and writing the second trees gives the same bytes as
 * writing the first. The first decoder is then reused on a prefix, to check
 * that one decode does not depend on leftovers of the last.
 * Seeds: tests/fuzz/corpus/amf0/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "rtmp/amf0.h"

#define MAXV 32

static bool same(const struct amf0_value *a, const struct amf0_value *b, unsigned depth)
{
    if (depth > AMF0_MAX_DEPTH + 1 || a->type != b->type)
        return false;
    switch (a->type) {
    case AMF0_NUMBER:
    case AMF0_DATE:
        return memcmp(&a->number, &b->number, sizeof a->number) == 0;
    case AMF0_BOOLEAN:
        return a->boolean == b->boolean;
    case AMF0_STRING:
    case AMF0_LONG_STRING:
        return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case AMF0_NULL:
    case AMF0_UNDEFINED:
        return true;
    case AMF0_OBJECT:
    case AMF0_ECMA_ARRAY:
    case AMF0_STRICT_ARRAY:
        if (a->nprops != b->nprops)
            return false;
        for (uint32_t i = 0; i < a->nprops; i++) {
            if (a->type != AMF0_STRICT_ARRAY) {
                if (a->key_lens[i] != b->key_lens[i] || a->key_lens[i] == 0 ||
                    memcmp(a->keys[i], b->keys[i], a->key_lens[i]) != 0)
                    return false;
                /* Lookup by name finds this property or an earlier twin. */
                if (memchr(a->keys[i], 0, a->key_lens[i]) == NULL && a->key_lens[i] < 64) {
                    char k[64];
                    memcpy(k, a->keys[i], a->key_lens[i]);
                    k[a->key_lens[i]] = '\0';
                    const struct amf0_value *g = amf0_get(a, k);
                    if (g == NULL || g > &a->props[i])
                        abort();
                }
            }
            if (!same(&a->props[i], &b->props[i], depth + 1))
                return false;
        }
        return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan flags any read past size. */
    uint8_t *in = malloc(size ? size : 1);
    memcpy(in, data, size);

    struct amf0_decoder *d1 = amf0_decoder_new();
    struct amf0_decoder *d2 = amf0_decoder_new();
    struct amf0_value v1[MAXV], v2[MAXV];
    struct buf out1, out2;
    buf_init(&out1, 0);
    buf_init(&out2, 0);

    int n = amf0_decode(d1, in, size, v1, MAXV);
    if (n < 0 && n != ONAIR_EPROTO && n != ONAIR_ETOOBIG)
        abort();
    if (n > MAXV)
        abort();
    if (n > 0) {
        for (int i = 0; i < n; i++) {
            if (amf0_write_value(&out1, &v1[i]) != 0)
                abort();
        }
        int m = amf0_decode(d2, (const uint8_t *)out1.data, out1.len, v2, MAXV);
        if (m != n)
            abort();
        for (int i = 0; i < n; i++) {
            if (!same(&v1[i], &v2[i], 0))
                abort();
            if (amf0_write_value(&out2, &v2[i]) != 0)
                abort();
        }
        if (out1.len != out2.len || memcmp(out1.data, out2.data, out1.len) != 0)
            abort();

        /* d1 again (its old trees are now invalid), on the first value of
         * the rewrite alone: it must match d2's tree. */
        int one = amf0_decode(d1, (const uint8_t *)out2.data, out2.len, v1, 1);
        if (one != 1 || !same(&v1[0], &v2[0], 0))
            abort();
    }

    buf_free(&out1);
    buf_free(&out2);
    amf0_decoder_free(d1);
    amf0_decoder_free(d2);
    free(in);
    return 0;
}
