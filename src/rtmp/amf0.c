/*
 * amf0.c - AMF0 decoder (two passes over the input) and encoders.
 *
 * The decoder runs the same parser twice. The first pass only validates and
 * counts: how many values in all, and, for every object or ECMA array in
 * preorder, how many properties it has (AMF0 does not say up front: objects
 * have no count and an ECMA array's count is not trustworthy). The second
 * pass then carves every child array out of one arena sized by the first
 * pass, so a decode makes at most a few allocations whatever the input, and
 * those are reused by the next decode.
 */
#include "rtmp/amf0.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

enum {
    MARK_NUMBER = 0x00,
    MARK_BOOLEAN = 0x01,
    MARK_STRING = 0x02,
    MARK_OBJECT = 0x03,
    MARK_NULL = 0x05,
    MARK_UNDEFINED = 0x06,
    MARK_ECMA_ARRAY = 0x08,
    MARK_OBJECT_END = 0x09,
    MARK_STRICT_ARRAY = 0x0A,
    MARK_DATE = 0x0B,
    MARK_LONG_STRING = 0x0C,
};

struct amf0_decoder {
    /* Arena: children of every container of the last decode, back to back. */
    struct amf0_value *pool;
    const char **keys;
    uint32_t *key_lens;
    uint32_t pool_cap;
    uint32_t pool_used;
    /* Property counts of objects and ECMA arrays, in preorder (pass 1 writes,
     * pass 2 reads). */
    uint32_t *counts;
    uint32_t counts_cap;
    uint32_t ncounts;
    uint32_t counted; /* ncounts at the end of pass 1 */
    uint32_t nvalues; /* values seen in this pass */
};

struct cursor {
    const uint8_t *p;
    const uint8_t *end;
};

struct amf0_decoder *amf0_decoder_new(void)
{
    return xcalloc(1, sizeof(struct amf0_decoder));
}

void amf0_decoder_free(struct amf0_decoder *d)
{
    if (d == NULL)
        return;
    free(d->pool);
    free(d->keys);
    free(d->key_lens);
    free(d->counts);
    free(d);
}

static size_t left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static double rd_double(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | p[i];
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Property list of an object or ECMA array, up to and including 00 00 09.
 * out is NULL in the counting pass. */
static int parse_value(struct amf0_decoder *d, struct cursor *c, unsigned depth,
                       struct amf0_value *out);

static int parse_props(struct amf0_decoder *d, struct cursor *c, unsigned depth,
                       struct amf0_value *out)
{
    uint32_t slot = d->ncounts++;
    uint32_t n = 0;

    if (out == NULL) {
        /* Every container is a value, so slots never outnumber values. */
        assert(slot < AMF0_MAX_VALUES);
        if (slot >= d->counts_cap) {
            uint32_t cap = d->counts_cap ? d->counts_cap * 2 : 16;
            d->counts = xrealloc(d->counts, cap * sizeof *d->counts);
            d->counts_cap = cap;
        }
    } else {
        assert(slot < d->counted && d->pool_used + d->counts[slot] <= d->pool_cap);
        out->nprops = d->counts[slot];
        if (out->nprops) {
            out->props = d->pool + d->pool_used;
            out->keys = d->keys + d->pool_used;
            out->key_lens = d->key_lens + d->pool_used;
            d->pool_used += out->nprops;
        }
    }

    for (;;) {
        if (left(c) < 2)
            return ONAIR_EPROTO;
        uint16_t klen = rd16(c->p);
        c->p += 2;
        if (klen == 0) {
            if (left(c) < 1 || *c->p != MARK_OBJECT_END)
                return ONAIR_EPROTO;
            c->p++;
            break;
        }
        if (left(c) < klen)
            return ONAIR_EPROTO;
        const char *key = (const char *)c->p;
        c->p += klen;
        struct amf0_value *child = NULL;
        if (out) {
            /* Pass 2 sees exactly the bytes pass 1 accepted. */
            assert(n < out->nprops);
            out->keys[n] = key;
            out->key_lens[n] = klen;
            child = &out->props[n];
        }
        int rc = parse_value(d, c, depth + 1, child);
        if (rc < 0)
            return rc;
        n++;
    }
    if (out == NULL)
        d->counts[slot] = n;
    return 0;
}

static int parse_value(struct amf0_decoder *d, struct cursor *c, unsigned depth,
                       struct amf0_value *out)
{
    if (++d->nvalues > AMF0_MAX_VALUES)
        return ONAIR_ETOOBIG;
    if (left(c) < 1)
        return ONAIR_EPROTO;
    uint8_t marker = *c->p++;
    if (out)
        memset(out, 0, sizeof *out);

    switch (marker) {
    case MARK_NUMBER:
    case MARK_DATE: {
        size_t need = marker == MARK_DATE ? 10 : 8;
        if (left(c) < need)
            return ONAIR_EPROTO;
        if (out) {
            out->type = marker == MARK_DATE ? AMF0_DATE : AMF0_NUMBER;
            out->number = rd_double(c->p);
        }
        c->p += need;
        return 0;
    }
    case MARK_BOOLEAN:
        if (left(c) < 1)
            return ONAIR_EPROTO;
        if (out) {
            out->type = AMF0_BOOLEAN;
            out->boolean = *c->p != 0;
        }
        c->p++;
        return 0;
    case MARK_STRING:
    case MARK_LONG_STRING: {
        size_t hdr = marker == MARK_STRING ? 2 : 4;
        if (left(c) < hdr)
            return ONAIR_EPROTO;
        uint32_t slen = marker == MARK_STRING ? rd16(c->p) : rd32(c->p);
        c->p += hdr;
        if (left(c) < slen)
            return ONAIR_EPROTO;
        if (out) {
            out->type = marker == MARK_STRING ? AMF0_STRING : AMF0_LONG_STRING;
            out->str = (const char *)c->p;
            out->str_len = slen;
        }
        c->p += slen;
        return 0;
    }
    case MARK_NULL:
    case MARK_UNDEFINED:
        if (out)
            out->type = marker == MARK_NULL ? AMF0_NULL : AMF0_UNDEFINED;
        return 0;
    case MARK_OBJECT:
    case MARK_ECMA_ARRAY:
        if (depth >= AMF0_MAX_DEPTH)
            return ONAIR_ETOOBIG;
        if (marker == MARK_ECMA_ARRAY) {
            if (left(c) < 4)
                return ONAIR_EPROTO;
            c->p += 4; /* the count is a hint only; the end marker decides */
        }
        if (out)
            out->type = marker == MARK_OBJECT ? AMF0_OBJECT : AMF0_ECMA_ARRAY;
        return parse_props(d, c, depth, out);
    case MARK_STRICT_ARRAY: {
        if (depth >= AMF0_MAX_DEPTH)
            return ONAIR_ETOOBIG;
        if (left(c) < 4)
            return ONAIR_EPROTO;
        uint32_t count = rd32(c->p);
        c->p += 4;
        if (out) {
            /* Pass 1 walked all count elements, so they fit in the arena. */
            assert(d->pool_used <= d->pool_cap && count <= d->pool_cap - d->pool_used);
            out->type = AMF0_STRICT_ARRAY;
            out->nprops = count;
            if (count) {
                out->props = d->pool + d->pool_used;
                d->pool_used += count;
            }
        }
        /* A huge count ends in EPROTO (out of bytes: every value takes at
         * least one) or ETOOBIG (out of values) long before it is reached. */
        for (uint32_t i = 0; i < count; i++) {
            int rc = parse_value(d, c, depth + 1, out ? &out->props[i] : NULL);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    default:
        /* Movie clip, reference, object end out of place, unsupported,
         * recordset, XML document, typed object, AMF3: not for us. */
        return ONAIR_EPROTO;
    }
}

static void reserve_pool(struct amf0_decoder *d, uint32_t n)
{
    if (n <= d->pool_cap)
        return;
    d->pool = xrealloc(d->pool, n * sizeof *d->pool);
    d->keys = xrealloc(d->keys, n * sizeof *d->keys);
    d->key_lens = xrealloc(d->key_lens, n * sizeof *d->key_lens);
    d->pool_cap = n;
}

int amf0_decode(struct amf0_decoder *d, const uint8_t *data, size_t len, struct amf0_value *vals,
                unsigned max_values)
{
    if (len == 0 || max_values == 0)
        return 0;

    struct cursor c = {data, data + len};
    unsigned ntop = 0;

    /* Pass 1: validate, count values and properties. */
    d->ncounts = 0;
    d->nvalues = 0;
    while (c.p < c.end && ntop < max_values) {
        int rc = parse_value(d, &c, 0, NULL);
        if (rc < 0)
            return rc;
        ntop++;
    }

    /* Pass 2: fill, carving children out of the arena. */
    uint32_t nested = d->nvalues - ntop;
    reserve_pool(d, nested);
    d->counted = d->ncounts;
    d->pool_used = 0;
    d->ncounts = 0;
    d->nvalues = 0;
    c.p = data;
    for (unsigned i = 0; i < ntop; i++) {
        int rc = parse_value(d, &c, 0, &vals[i]);
        (void)rc;
        assert(rc == 0);
    }
    assert(d->pool_used == nested);
    return (int)ntop;
}

const struct amf0_value *amf0_get(const struct amf0_value *v, const char *key)
{
    if (v == NULL || (v->type != AMF0_OBJECT && v->type != AMF0_ECMA_ARRAY))
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < v->nprops; i++) {
        if (v->key_lens[i] == klen && memcmp(v->keys[i], key, klen) == 0)
            return &v->props[i];
    }
    return NULL;
}

bool amf0_string(const struct amf0_value *v, const char **s, uint32_t *len)
{
    if (v == NULL || (v->type != AMF0_STRING && v->type != AMF0_LONG_STRING))
        return false;
    *s = v->str;
    *len = v->str_len;
    return true;
}

bool amf0_number(const struct amf0_value *v, double *n)
{
    if (v == NULL || v->type != AMF0_NUMBER)
        return false;
    *n = v->number;
    return true;
}

bool amf0_string_eq(const struct amf0_value *v, const char *s)
{
    const char *vs;
    uint32_t vlen;
    if (!amf0_string(v, &vs, &vlen))
        return false;
    size_t n = strlen(s);
    return vlen == n && (n == 0 || memcmp(vs, s, n) == 0);
}

/* ---- encoders ---- */

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr_double(uint8_t *p, double n)
{
    uint64_t bits;
    memcpy(&bits, &n, sizeof bits);
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)bits;
        bits >>= 8;
    }
}

/* Appends a header and a body as one unit: all or nothing. */
static int append2(struct buf *out, const void *hdr, size_t hlen, const void *body, size_t blen)
{
    size_t mark = out->len;
    int rc = buf_append(out, hdr, hlen);
    if (rc == 0 && blen)
        rc = buf_append(out, body, blen);
    if (rc < 0 && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

int amf0_write_number(struct buf *out, double n)
{
    uint8_t b[9] = {MARK_NUMBER};
    wr_double(b + 1, n);
    return buf_append(out, b, sizeof b);
}

int amf0_write_date(struct buf *out, double ms)
{
    uint8_t b[11] = {MARK_DATE};
    wr_double(b + 1, ms);
    return buf_append(out, b, sizeof b);
}

int amf0_write_bool(struct buf *out, bool v)
{
    uint8_t b[2] = {MARK_BOOLEAN, v ? 1 : 0};
    return buf_append(out, b, sizeof b);
}

int amf0_write_long_string(struct buf *out, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return ONAIR_EINVAL;
    uint8_t h[5] = {MARK_LONG_STRING};
    wr32(h + 1, (uint32_t)len);
    return append2(out, h, sizeof h, s, len);
}

int amf0_write_string(struct buf *out, const char *s, size_t len)
{
    if (len > 0xFFFF)
        return amf0_write_long_string(out, s, len);
    uint8_t h[3] = {MARK_STRING};
    wr16(h + 1, (uint16_t)len);
    return append2(out, h, sizeof h, s, len);
}

int amf0_write_null(struct buf *out)
{
    uint8_t b = MARK_NULL;
    return buf_append(out, &b, 1);
}

int amf0_write_undefined(struct buf *out)
{
    uint8_t b = MARK_UNDEFINED;
    return buf_append(out, &b, 1);
}

int amf0_write_object_begin(struct buf *out)
{
    uint8_t b = MARK_OBJECT;
    return buf_append(out, &b, 1);
}

int amf0_write_prop_name_len(struct buf *out, const char *name, size_t len)
{
    /* An empty name would read as the end marker. */
    if (len == 0 || len > 0xFFFF)
        return ONAIR_EINVAL;
    uint8_t h[2];
    wr16(h, (uint16_t)len);
    return append2(out, h, sizeof h, name, len);
}

int amf0_write_prop_name(struct buf *out, const char *name)
{
    return amf0_write_prop_name_len(out, name, strlen(name));
}

int amf0_write_object_end(struct buf *out)
{
    static const uint8_t end[3] = {0, 0, MARK_OBJECT_END};
    return buf_append(out, end, sizeof end);
}

int amf0_write_ecma_begin(struct buf *out, uint32_t count)
{
    uint8_t b[5] = {MARK_ECMA_ARRAY};
    wr32(b + 1, count);
    return buf_append(out, b, sizeof b);
}

int amf0_write_strict_array_begin(struct buf *out, uint32_t count)
{
    uint8_t b[5] = {MARK_STRICT_ARRAY};
    wr32(b + 1, count);
    return buf_append(out, b, sizeof b);
}

static int write_tree(struct buf *out, const struct amf0_value *v)
{
    int rc;
    switch (v->type) {
    case AMF0_NUMBER:
        return amf0_write_number(out, v->number);
    case AMF0_BOOLEAN:
        return amf0_write_bool(out, v->boolean);
    case AMF0_STRING:
        return amf0_write_string(out, v->str, v->str_len);
    case AMF0_LONG_STRING:
        return amf0_write_long_string(out, v->str, v->str_len);
    case AMF0_NULL:
        return amf0_write_null(out);
    case AMF0_UNDEFINED:
        return amf0_write_undefined(out);
    case AMF0_DATE:
        return amf0_write_date(out, v->number);
    case AMF0_OBJECT:
    case AMF0_ECMA_ARRAY:
        rc = v->type == AMF0_OBJECT ? amf0_write_object_begin(out)
                                    : amf0_write_ecma_begin(out, v->nprops);
        for (uint32_t i = 0; rc == 0 && i < v->nprops; i++) {
            rc = amf0_write_prop_name_len(out, v->keys[i], v->key_lens[i]);
            if (rc == 0)
                rc = write_tree(out, &v->props[i]);
        }
        return rc ? rc : amf0_write_object_end(out);
    case AMF0_STRICT_ARRAY:
        rc = amf0_write_strict_array_begin(out, v->nprops);
        for (uint32_t i = 0; rc == 0 && i < v->nprops; i++)
            rc = write_tree(out, &v->props[i]);
        return rc;
    }
    return ONAIR_EINVAL;
}

int amf0_write_value(struct buf *out, const struct amf0_value *v)
{
    size_t mark = out->len;
    int rc = write_tree(out, v);
    if (rc < 0 && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}
