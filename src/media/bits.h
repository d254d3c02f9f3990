/*
 * bits.h - a bounded MSB-first bit reader with exp-Golomb codes, for the
 * H.264 parameter-set parsers in media/avc.c.
 *
 * The reader borrows the bytes it walks; it never reads past data + len.
 * Reading past the end does not fail on the spot: the read returns zeros
 * and sets the sticky `err` flag, so a parser can read a run of fields and
 * check once (bits_ok) before it trusts any of them. Malformed exp-Golomb
 * codes (more than 31 leading zeros) set the same flag.
 *
 * With `epb` set the reader walks a NAL unit's payload and drops
 * emulation-prevention bytes on the fly (the 0x03 in 00 00 03), so an RBSP
 * never needs to be copied out first.
 *
 * Pure, header-only; any thread.
 */
#ifndef ONAIR_MEDIA_BITS_H
#define ONAIR_MEDIA_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bits {
    const uint8_t *data;
    size_t len;     /* bytes in data */
    size_t pos;     /* index of the byte being read */
    unsigned bit;   /* bits of data[pos] already consumed, 0..7 */
    unsigned zeros; /* 0x00 bytes just consumed in a row, saturating at 2 */
    bool epb;       /* skip emulation-prevention bytes */
    bool err;       /* sticky: overrun or malformed code */
};

/* Starts reading data[0..len); epb as above. */
static inline void bits_init(struct bits *b, const uint8_t *data, size_t len, bool epb)
{
    b->data = data;
    b->len = len;
    b->pos = 0;
    b->bit = 0;
    b->zeros = 0;
    b->epb = epb;
    b->err = false;
}

/* True while no read has gone wrong. */
static inline bool bits_ok(const struct bits *b)
{
    return !b->err;
}

/* Bits left, not counting emulation-prevention bytes not yet reached (so an
 * upper bound in epb mode). */
static inline size_t bits_left(const struct bits *b)
{
    if (b->pos >= b->len)
        return 0;
    return (b->len - b->pos) * 8 - b->bit;
}

static inline unsigned bits_read1(struct bits *b)
{
    if (b->pos >= b->len) {
        b->err = true;
        return 0;
    }
    uint8_t byte = b->data[b->pos];
    unsigned v = (byte >> (7 - b->bit)) & 1u;
    if (++b->bit == 8) {
        b->bit = 0;
        b->pos++;
        b->zeros = byte == 0 ? (b->zeros < 2 ? b->zeros + 1 : 2) : 0;
        /* 00 00 03: the 03 was inserted by the encoder; the next byte
         * starts afresh (it may itself be 00). */
        if (b->epb && b->zeros == 2 && b->pos < b->len && b->data[b->pos] == 0x03) {
            b->pos++;
            b->zeros = 0;
        }
    }
    return v;
}

/* Reads n bits (0..32) as an unsigned big-endian number. */
static inline uint32_t bits_read(struct bits *b, unsigned n)
{
    uint32_t v = 0;
    if (n > 32) {
        b->err = true;
        return 0;
    }
    for (unsigned i = 0; i < n; i++)
        v = (v << 1) | bits_read1(b);
    return v;
}

/* Skips n bits. */
static inline void bits_skip(struct bits *b, unsigned n)
{
    for (unsigned i = 0; i < n && !b->err; i++)
        (void)bits_read1(b);
}

/* ue(v): unsigned exp-Golomb. At most 31 leading zeros, so the value fits
 * in 32 bits (<= 2^32 - 2); more is malformed. */
static inline uint32_t bits_read_ue(struct bits *b)
{
    unsigned zeros = 0;
    while (bits_read1(b) == 0) {
        if (b->err || ++zeros > 31) {
            b->err = true;
            return 0;
        }
    }
    if (zeros == 0)
        return 0;
    return ((UINT32_C(1) << zeros) - 1) + bits_read(b, zeros);
}

/* se(v): signed exp-Golomb, mapped 1, -1, 2, -2, ... */
static inline int32_t bits_read_se(struct bits *b)
{
    uint32_t k = bits_read_ue(b);
    if (k & 1u)
        return (int32_t)((k >> 1) + 1); /* <= 2^31 - 1 */
    return -(int32_t)(k >> 1);
}

#endif
