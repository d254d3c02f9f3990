/*
 * fuzz_filter.c - libFuzzer target for the banned-word filter (src/chat/filter.c).
 *
 * Input: a word list, a NUL byte, then a message. Without a NUL the same
 * bytes are both the list and the message (so the message holds the words).
 * The list is loaded (NULL must come with a reason); the message is masked
 * and, when it is valid UTF-8, checked:
 *  - the output has the input's code points, each either unchanged or '*';
 *  - no match means the output is the input byte for byte;
 *  - the scan took a linear number of automaton steps;
 *  - masking in place and into a short buffer give the same bytes (a prefix);
 *  - when list and message hold only ASCII and Hangul syllables, the output
 *    and the match count equal a naive reference of the documented rules.
 * Invalid UTF-8 is masked too, only to show it never crashes or overruns.
 * Seeds: tests/fuzz/corpus/filter/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/filter.h"

#define REF_SEP 0xFFFFFFFFu
#define REF_OTHER 0xFFFFFFFEu
#define REF_WORDS 64
#define REF_TEXT 4096

/* Decodes strict UTF-8; 0 if invalid. */
static size_t dec(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, v = c & 0x1Fu, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, v = c & 0x0Fu, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, v = c & 0x07u, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return k;
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = dec(s + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* The documented normalization, for the code points the reference knows. */
static uint32_t ref_fold(uint32_t c)
{
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z')
            return c + 32;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            return c;
        return REF_SEP;
    }
    if (c >= 0xAC00 && c <= 0xD7A3)
        return c;
    return REF_OTHER;
}

static bool ref_alpha(uint32_t c)
{
    uint32_t f = ref_fold(c);
    return (f >= 'a' && f <= 'z') || (f >= '0' && f <= '9');
}

struct ref_word {
    uint32_t cp[CHAT_FILTER_WORD_MAX];
    size_t len;
};

static struct ref_word ref_words[REF_WORDS];

/* Parses the list the documented way; false if it is out of the
 * reference's reach (other code points, too many or too long words). */
static bool ref_parse(const uint8_t *s, size_t n, size_t *nwords)
{
    size_t nw = 0;
    for (size_t start = 0; start <= n;) {
        const uint8_t *nl = memchr(s + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - s) : n;
        struct ref_word w;
        bool after_blank = true;
        w.len = 0;
        for (size_t i = start; i < end;) {
            uint32_t cp;
            size_t k = dec(s + i, end - i, &cp);
            if (k == 0)
                return false;
            if (cp == '#' && after_blank)
                break;
            after_blank = cp == ' ' || cp == '\t' || cp == '\r' || cp == '\v' || cp == '\f';
            uint32_t f = ref_fold(cp);
            if (f == REF_OTHER)
                return false;
            if (f != REF_SEP) {
                if (w.len == CHAT_FILTER_WORD_MAX)
                    return false;
                w.cp[w.len++] = f;
            }
            i += k;
        }
        if (w.len > 0) {
            bool dup = false;
            for (size_t j = 0; j < nw && !dup; j++)
                dup = ref_words[j].len == w.len && !memcmp(ref_words[j].cp, w.cp, w.len * 4);
            if (!dup) {
                if (nw == REF_WORDS)
                    return false;
                ref_words[nw++] = w;
            }
        }
        if (nl == NULL)
            break;
        start = end + 1;
    }
    *nwords = nw;
    return true;
}

static uint32_t raw[REF_TEXT], letters[REF_TEXT];
static size_t off[REF_TEXT + 1], at[REF_TEXT];
static bool masked[REF_TEXT];

/* Masks text naively into out (len + 1 bytes); returns false if the text is
 * out of reach, else the match count in *matches. */
static bool ref_mask(size_t nwords, const uint8_t *s, size_t n, uint8_t *out, size_t *outlen,
                     size_t *matches)
{
    size_t m = 0, nl = 0, count = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = dec(s + i, n - i, &cp);
        if (k == 0 || m == REF_TEXT || ref_fold(cp) == REF_OTHER)
            return false;
        off[m] = i;
        raw[m] = cp;
        masked[m] = false;
        if (ref_fold(cp) != REF_SEP) {
            letters[nl] = ref_fold(cp);
            at[nl++] = m;
        }
        m++;
        i += k;
    }
    off[m] = n;
    for (size_t w = 0; w < nwords; w++) {
        const struct ref_word *rw = &ref_words[w];
        for (size_t st = 0; st + rw->len <= nl; st++) {
            if (memcmp(letters + st, rw->cp, rw->len * 4) != 0)
                continue;
            size_t rs = at[st], re = at[st + rw->len - 1];
            bool first_ascii = ref_alpha(rw->cp[0]);
            bool last_ascii = ref_alpha(rw->cp[rw->len - 1]);
            if (first_ascii && rs > 0 &&
                (ref_alpha(raw[rs - 1]) ||
                 (raw[rs - 1] == '\'' && rs > 1 && ref_alpha(raw[rs - 2]))))
                continue;
            if (last_ascii && re + 1 < m && ref_alpha(raw[re + 1]))
                continue;
            count++;
            for (size_t r = rs; r <= re; r++)
                masked[r] = true;
        }
    }
    size_t q = 0;
    for (size_t r = 0; r < m; r++) {
        if (masked[r]) {
            out[q++] = '*';
        } else {
            memcpy(out + q, s + off[r], off[r + 1] - off[r]);
            q += off[r + 1] - off[r];
        }
    }
    *outlen = q;
    *matches = count;
    return true;
}

static void check_mask(const struct chat_filter *f, const uint8_t *text, size_t len, bool have_ref,
                       size_t nwords)
{
    struct chat_filter_result res;
    char *out = malloc(len + 1);
    if (out == NULL)
        return;
    chat_filter_mask_ex(f, (const char *)text, len, out, len + 1, &res);
    if (res.out_len > len || out[res.out_len] != '\0')
        abort();
    if (!valid_utf8(text, len)) {
        free(out);
        return;
    }

    /* Same code points, each kept or '*'. */
    size_t i = 0, j = 0, letters_in = 0;
    const uint8_t *o = (const uint8_t *)out;
    while (i < len) {
        uint32_t a, b;
        size_t ka = dec(text + i, len - i, &a);
        if (j >= res.out_len)
            abort();
        size_t kb = dec(o + j, res.out_len - j, &b);
        if (ka == 0 || kb == 0)
            abort();
        if (b != a && b != '*')
            abort();
        i += ka;
        j += kb;
        letters_in++;
    }
    if (j != res.out_len)
        abort();
    if (res.matches == 0 && (res.out_len != len || memcmp(out, text, len) != 0))
        abort();
    /* Linear: at most 3 steps a code point, plus the words examined at each
     * letter (never more than the longest word allows). */
    if (res.steps > (3 + CHAT_FILTER_WORD_MAX) * letters_in)
        abort();

    /* In place gives the same bytes. */
    char *inplace = malloc(len + 1);
    if (inplace != NULL) {
        memcpy(inplace, text, len);
        inplace[len] = '\0';
        struct chat_filter_result r2;
        chat_filter_mask_ex(f, inplace, len, inplace, len + 1, &r2);
        if (r2.matches != res.matches || r2.out_len != res.out_len ||
            memcmp(inplace, out, res.out_len) != 0)
            abort();
        free(inplace);
    }

    /* A short buffer gets a prefix, cut at a code point boundary. */
    if (res.out_len > 0) {
        size_t cap = 1 + (len * 7 + 3) % res.out_len; /* 1 .. out_len */
        char *shortbuf = malloc(cap);
        if (shortbuf != NULL) {
            struct chat_filter_result r3;
            chat_filter_mask_ex(f, (const char *)text, len, shortbuf, cap, &r3);
            if (r3.out_len >= cap || shortbuf[r3.out_len] != '\0' ||
                memcmp(shortbuf, out, r3.out_len) != 0)
                abort();
            uint32_t cp;
            size_t k = dec(o + r3.out_len, res.out_len - r3.out_len, &cp);
            if (k == 0 || r3.out_len + k + 1 <= cap)
                abort(); /* the next code point would have fit */
            free(shortbuf);
        }
    }

    if (have_ref && len <= REF_TEXT && nwords * len <= 200000) {
        uint8_t *want = malloc(len + 1);
        size_t want_len, want_matches;
        if (want != NULL && ref_mask(nwords, text, len, want, &want_len, &want_matches)) {
            if (want_matches != res.matches || want_len != res.out_len ||
                memcmp(want, out, want_len) != 0)
                abort();
        }
        free(want);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t list_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *text = nul ? nul + 1 : data;
    size_t text_len = nul ? size - list_len - 1 : size;

    /* Exact-size copies so ASan flags any read past either part. */
    uint8_t *list = malloc(list_len ? list_len : 1);
    uint8_t *msg = malloc(text_len ? text_len : 1);
    if (list == NULL || msg == NULL) {
        free(list);
        free(msg);
        return 0;
    }
    memcpy(list, data, list_len);
    memcpy(msg, text, text_len);

    char err[256];
    err[0] = '\0';
    struct chat_filter *f = chat_filter_load((const char *)list, list_len, err, sizeof err);
    if (f == NULL) {
        if (err[0] == '\0')
            abort();
    } else {
        size_t nwords = 0;
        bool have_ref = ref_parse(list, list_len, &nwords);
        if (have_ref && nwords != chat_filter_words(f))
            abort();
        check_mask(f, msg, text_len, have_ref, nwords);
        chat_filter_unref(f);
    }
    free(list);
    free(msg);
    return 0;
}
