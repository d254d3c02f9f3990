#include "core/utf8.h"

#include <string.h>

/*
 * The state between characters is 0. Inside a character it records what the
 * next byte must be: bits 0-7 the lowest allowed byte, bits 8-15 the highest,
 * bits 16-17 how many continuation bytes are still missing. Only the first
 * continuation byte has a range narrower than 80..BF; that narrower range is
 * what excludes overlongs (E0, F0), surrogates (ED) and values past U+10FFFF
 * (F4), so one state word covers every rule.
 */
#define ST(need, lo, hi) (((uint32_t)(need) << 16) | ((uint32_t)(hi) << 8) | (uint32_t)(lo))
#define ST_FAILED UINT32_MAX

/* State after lead byte c (c >= 0x80), or ST_FAILED if c cannot start a
 * character. */
static uint32_t lead_state(uint8_t c)
{
    if (c < 0xC2) /* 80..BF continuation without a lead; C0, C1 always overlong */
        return ST_FAILED;
    if (c <= 0xDF)
        return ST(1, 0x80, 0xBF);
    if (c == 0xE0) /* E0 80..9F would be overlong */
        return ST(2, 0xA0, 0xBF);
    if (c == 0xED) /* ED A0..BF would be a surrogate */
        return ST(2, 0x80, 0x9F);
    if (c <= 0xEF)
        return ST(2, 0x80, 0xBF);
    if (c == 0xF0) /* F0 80..8F would be overlong */
        return ST(3, 0x90, 0xBF);
    if (c <= 0xF3)
        return ST(3, 0x80, 0xBF);
    if (c == 0xF4) /* F4 90.. would be past U+10FFFF */
        return ST(3, 0x80, 0x8F);
    return ST_FAILED; /* F5..FF: past U+10FFFF, including 5- and 6-byte forms */
}

void utf8_init(struct utf8_state *s)
{
    s->state = 0;
}

bool utf8_feed(struct utf8_state *s, const uint8_t *p, size_t n)
{
    uint32_t st = s->state;
    size_t i = 0;

    if (st == ST_FAILED)
        return false;
    while (i < n) {
        if (st == 0) {
            /* Between characters: skip ASCII eight bytes at a time, since
             * almost all chat text is mostly ASCII. */
            while (n - i >= 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            if (i == n)
                break;
            uint8_t c = p[i++];
            if (c < 0x80)
                continue;
            st = lead_state(c);
            if (st == ST_FAILED)
                break;
        } else {
            uint8_t c = p[i++];
            uint32_t need = st >> 16;
            if (c < (st & 0xFF) || c > ((st >> 8) & 0xFF)) {
                st = ST_FAILED;
                break;
            }
            st = need > 1 ? ST(need - 1, 0x80, 0xBF) : 0;
        }
    }
    s->state = st;
    return st != ST_FAILED;
}

bool utf8_complete(const struct utf8_state *s)
{
    return s->state == 0;
}

bool utf8_valid(const uint8_t *p, size_t n)
{
    struct utf8_state s;
    utf8_init(&s);
    return utf8_feed(&s, p, n) && utf8_complete(&s);
}

size_t utf8_count(const uint8_t *p, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (p[i] & 0xC0) != 0x80;
    return count;
}

size_t utf8_truncate(const uint8_t *p, size_t n, size_t max)
{
    if (n <= max)
        return n;
    /* p[max] exists; back up while it is a continuation byte, so the cut
     * lands before the lead byte of the character it would split. */
    size_t i = max;
    while (i > 0 && (p[i] & 0xC0) == 0x80)
        i--;
    return i;
}
