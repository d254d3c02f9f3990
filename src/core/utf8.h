/*
 * utf8.h - strict UTF-8 validation (RFC 3629), whole-buffer or incremental,
 * and character counting.
 *
 * Purpose: text that arrives from peers (WebSocket TEXT frames, which may be
 * split across fragments and socket reads at any byte, chat messages, close
 * reasons) must be checked before anyone else sees it. The incremental form
 * carries the partial character between calls in a 4-byte state, so a caller
 * can check each piece as it arrives and fail on the first bad byte instead
 * of after the whole message.
 *
 * What is rejected: continuation bytes without a lead byte, lead bytes
 * C0/C1/F5..FF (overlong two-byte forms and anything past U+10FFFF, which
 * also covers the old 5- and 6-byte forms), overlong three- and four-byte
 * forms, surrogates U+D800..U+DFFF, code points above U+10FFFF, and a lead
 * byte followed by too few continuation bytes. Noncharacters (U+FFFE, ...)
 * are valid, as RFC 3629 says.
 *
 * Ownership: nothing is allocated; the state is owned by the caller (embed
 * it). Threading: pure, no globals; a state is used by one thread at a time.
 * Errors: predicates return bool; there is nothing else to fail.
 */
#ifndef ONAIR_CORE_UTF8_H
#define ONAIR_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct utf8_state {
    uint32_t state; /* 0 = at a character boundary; otherwise private */
};

/* Starts a new text at a character boundary. */
void utf8_init(struct utf8_state *s);

/* Feeds the next n bytes of a text. Returns false as soon as the bytes fed
 * so far cannot be the start of valid UTF-8; the state then stays failed and
 * every later feed returns false too. A character may be split across calls
 * at any byte. */
bool utf8_feed(struct utf8_state *s, const uint8_t *p, size_t n);

/* True when no feed failed and the bytes fed so far end on a character
 * boundary (nothing fed counts as complete). The text is valid UTF-8 exactly
 * when every feed returned true and this is true at the end. */
bool utf8_complete(const struct utf8_state *s);

/* Whole-buffer check: p[0..n) is valid UTF-8. */
bool utf8_valid(const uint8_t *p, size_t n);

/* Number of code points in p[0..n), which should be valid UTF-8. (For other
 * bytes it is the number of bytes that are not continuation bytes.) */
size_t utf8_count(const uint8_t *p, size_t n);

/* Length of the longest prefix of p[0..n) that is at most max bytes and does
 * not end inside a character, for truncating valid UTF-8 to a byte budget:
 * n itself when n <= max. */
size_t utf8_truncate(const uint8_t *p, size_t n, size_t max);

#endif
