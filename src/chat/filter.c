#include "chat/filter.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/*
 * The automaton. Nodes are numbered in the order the trie was built; node 0
 * is the root. The edges leaving node u are ecp/eto[u.edge .. u.edge +
 * u.nedge), sorted by code point, so a transition is a binary search over
 * the few children a node has (no per-node tables: the alphabet is Unicode).
 * Invariants: fail(v) is a proper suffix of v (so nearer the root); out(v)
 * is the longest proper suffix of v that ends a word, or NONE, so walking
 * v, out(v), out(out(v)), ... visits every word ending at a position,
 * longest first.
 */
#define NONE UINT32_MAX
#define SEP UINT32_MAX     /* fold() of a separator */
#define BAD_BYTE 0x110000u /* a byte that is not UTF-8: a letter no word holds */
#define STACK_LETTERS 2048 /* texts up to this many bytes mask without malloc */

/* How the word ending at a node meets the whole-word rule. */
#define W_FIRST_ASCII 1 /* starts with an ASCII letter or digit: needs none before it */
#define W_LAST_ASCII 2  /* ends with an ASCII letter or digit: needs none after it */

/* Per-letter flags while masking. */
#define L_PREV_WORD 1 /* the code point before it is an ASCII letter or digit, or "x'" */
#define L_NEXT_WORD 2 /* the code point after it is an ASCII letter or digit */
#define L_MASKED 4    /* this letter becomes '*' */
#define L_LINK 8      /* separators between it and the next letter become '*' */

struct node {
    uint32_t edge;  /* first outgoing edge */
    uint32_t nedge; /* outgoing edges */
    uint32_t fail;
    uint32_t out;
    uint16_t wlen;   /* letters of the word ending here; 0 if none does */
    uint16_t wflags; /* W_* */
};

struct chat_filter {
    atomic_size_t refs;
    size_t words;
    uint32_t nnodes;
    uint32_t nedges;
    struct node *nodes;
    uint32_t *ecp; /* edge labels (normalized code points) */
    uint32_t *eto; /* edge targets */
};

/* ---- text ---------------------------------------------------------------- */

/* Decodes the code point at s[0..n), n >= 1, into *cp. Returns its length in
 * bytes, or 0 if the bytes there are not UTF-8 (bad lead or continuation,
 * truncated, overlong, surrogate, above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2, v = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        k = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
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

/* Non-ASCII separators (see filter.h), sorted, inclusive. */
static const uint32_t sep_ranges[][2] = {
    {0x0080, 0x00BF},   {0x00D7, 0x00D7},   {0x00F7, 0x00F7}, {0x0300, 0x036F}, {0x115F, 0x1160},
    {0x180E, 0x180E},   {0x2000, 0x206F},   {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0x3008, 0x3020},
    {0x3030, 0x3030},   {0x303D, 0x303F},   {0x30FB, 0x30FB}, {0x3164, 0x3164}, {0xFE00, 0xFE1F},
    {0xFE30, 0xFE6F},   {0xFEFF, 0xFEFF},   {0xFF5F, 0xFF65}, {0xFFA0, 0xFFA0}, {0xFFE0, 0xFFEE},
    {0xE0000, 0xE007F}, {0xE0100, 0xE01EF},
};

static bool is_sep_wide(uint32_t c)
{
    size_t lo = 0, hi = sizeof sep_ranges / sizeof sep_ranges[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < sep_ranges[mid][0])
            hi = mid;
        else if (c > sep_ranges[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* The normalized form of code point c: a folded letter, or SEP. */
static uint32_t fold(uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E)
        c -= 0xFF01 - 0x21; /* full-width ASCII */
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z')
            return c + ('a' - 'A');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            return c;
        return SEP;
    }
    if (c >= 0xAC00 && c <= 0xD7A3)
        return c; /* Hangul syllables: the common case, skip the search */
    return is_sep_wide(c) ? SEP : c;
}

/* ASCII letters and digits (after folding): what English words are made of,
 * for the whole-word rule. */
static bool is_word_char(uint32_t folded)
{
    return (folded >= 'a' && folded <= 'z') || (folded >= '0' && folded <= '9');
}

static bool is_apostrophe(uint32_t c)
{
    return c == '\'' || c == 0x2019 || c == 0xFF07;
}

/* Blanks for trimming list lines (and before a trailing '#'). */
static bool is_blank(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == 0x3000 ||
           c == 0xFEFF || c == 0x00A0;
}

/* ---- the automaton ------------------------------------------------------- */

/* The child of node u along c, or NONE. */
static uint32_t child(const struct chat_filter *f, uint32_t u, uint32_t c)
{
    uint32_t lo = f->nodes[u].edge, hi = lo + f->nodes[u].nedge;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->ecp[mid] < c)
            lo = mid + 1;
        else if (f->ecp[mid] > c)
            hi = mid;
        else
            return f->eto[mid];
    }
    return NONE;
}

struct word {
    const uint32_t *cp;
    uint32_t len;
};

static int word_cmp(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    for (uint32_t i = 0; i < n; i++) {
        if (x->cp[i] != y->cp[i])
            return x->cp[i] < y->cp[i] ? -1 : 1;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Builds the automaton from words[0..nwords) holding total letters. The
 * words are sorted first: then the children of a node are created in
 * increasing code point order, and a word that shares a prefix with earlier
 * ones finds the node to follow as its parent's most recent child, so the
 * trie needs no lookup structure while it grows and its edges come out
 * sorted once grouped by parent.
 */
static void build(struct chat_filter *f, struct word *words, size_t nwords, size_t total)
{
    size_t cap = total + 1;
    uint32_t *parent = xmalloc(cap * sizeof *parent);
    uint32_t *incp = xmalloc(cap * sizeof *incp);
    uint32_t *last = xmalloc(cap * sizeof *last); /* most recent child, NONE if none */
    struct node *nodes = xcalloc(cap, sizeof *nodes);
    uint32_t n = 1;

    if (nwords > 0)
        qsort(words, nwords, sizeof *words, word_cmp);
    last[0] = NONE;
    for (size_t w = 0; w < nwords; w++) {
        uint32_t u = 0;
        for (uint32_t i = 0; i < words[w].len; i++) {
            uint32_t c = words[w].cp[i];
            if (last[u] != NONE && incp[last[u]] == c) {
                u = last[u];
                continue;
            }
            assert(n < cap);
            parent[n] = u;
            incp[n] = c;
            last[n] = NONE;
            last[u] = n;
            u = n++;
        }
        if (nodes[u].wlen == 0) { /* else a duplicate */
            nodes[u].wlen = (uint16_t)words[w].len;
            nodes[u].wflags = (uint16_t)((is_word_char(words[w].cp[0]) ? W_FIRST_ASCII : 0) |
                                         (is_word_char(incp[u]) ? W_LAST_ASCII : 0));
            f->words++;
        }
    }

    /* Group the edges by parent; creation order keeps each group sorted. */
    f->nnodes = n;
    f->nedges = n - 1;
    f->ecp = xmalloc((n > 1 ? n - 1 : 1) * sizeof *f->ecp);
    f->eto = xmalloc((n > 1 ? n - 1 : 1) * sizeof *f->eto);
    for (uint32_t v = 1; v < n; v++)
        nodes[parent[v]].nedge++;
    uint32_t at = 0;
    for (uint32_t u = 0; u < n; u++) {
        nodes[u].edge = at;
        at += nodes[u].nedge;
        last[u] = nodes[u].edge; /* reused: next free slot of u's group */
    }
    for (uint32_t v = 1; v < n; v++) {
        uint32_t slot = last[parent[v]]++;
        f->ecp[slot] = incp[v];
        f->eto[slot] = v;
    }
    f->nodes = xrealloc(nodes, n * sizeof *nodes);

    /* Failure and output links, breadth first so fail(v) is done before v. */
    uint32_t *queue = parent; /* reused */
    uint32_t head = 0, tail = 0;
    f->nodes[0].fail = 0;
    f->nodes[0].out = NONE;
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t u = queue[head++];
        const struct node *nu = &f->nodes[u];
        for (uint32_t e = nu->edge; e < nu->edge + nu->nedge; e++) {
            uint32_t c = f->ecp[e], v = f->eto[e], fl = 0;
            if (u != 0) {
                uint32_t s = nu->fail;
                for (;;) {
                    uint32_t t = child(f, s, c);
                    if (t != NONE) {
                        fl = t;
                        break;
                    }
                    if (s == 0)
                        break;
                    s = f->nodes[s].fail;
                }
            }
            f->nodes[v].fail = fl;
            f->nodes[v].out = f->nodes[fl].wlen ? fl : f->nodes[fl].out;
            queue[tail++] = v;
        }
    }
    assert(tail == n);
    free(parent);
    free(incp);
    free(last);
}

/* ---- loading ------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

struct chat_filter *chat_filter_load(const char *text, size_t len, char *err, size_t errlen)
{
    const unsigned char *s = (const unsigned char *)text;
    struct chat_filter *f = NULL;
    uint32_t *letters = NULL;
    struct word *words = NULL;
    size_t nwords = 0, wcap = 0, total = 0, line = 1;
    uint32_t cp;

    set_err(err, errlen, "%s", "");
    if (len > CHAT_FILTER_TEXT_MAX) {
        set_err(err, errlen, "word list is %zu bytes; the limit is %d", len, CHAT_FILTER_TEXT_MAX);
        return NULL;
    }
    for (size_t i = 0; i < len;) {
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            set_err(err, errlen, "line %zu: invalid UTF-8 at byte %zu", line, i);
            return NULL;
        }
        line += s[i] == '\n';
        i += k;
    }

    letters = xmalloc((len ? len : 1) * sizeof *letters); /* letters <= bytes */
    line = 0;
    for (size_t start = 0; start < len;) {
        const unsigned char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t off = total;
        bool after_blank = true; /* a '#' here starts a comment */
        line++;
        for (size_t i = start; i < end;) {
            size_t k = utf8_decode(s + i, end - i, &cp);
            assert(k > 0); /* validated above, and '\n' never splits a sequence */
            if (cp == '#' && after_blank)
                break;
            after_blank = is_blank(cp);
            uint32_t c = fold(cp);
            if (c != SEP) {
                if (total - off == CHAT_FILTER_WORD_MAX) {
                    set_err(err, errlen, "line %zu: word longer than %d letters", line,
                            CHAT_FILTER_WORD_MAX);
                    goto fail;
                }
                letters[total++] = c;
            }
            i += k;
        }
        if (total > off) {
            if (nwords == CHAT_FILTER_WORDS_MAX) {
                set_err(err, errlen, "line %zu: more than %d words", line, CHAT_FILTER_WORDS_MAX);
                goto fail;
            }
            if (nwords == wcap) {
                wcap = wcap ? 2 * wcap : 64;
                words = xrealloc(words, wcap * sizeof *words);
            }
            /* letters does not move any more: point into it directly. */
            words[nwords].cp = letters + off;
            words[nwords].len = (uint32_t)(total - off);
            nwords++;
        }
        start = end + 1;
    }

    f = xcalloc(1, sizeof *f);
    atomic_init(&f->refs, 1);
    build(f, words, nwords, total);
fail:
    free(words);
    free(letters);
    return f;
}

struct chat_filter *chat_filter_load_file(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = xmalloc(CHAT_FILTER_TEXT_MAX + 1);
    struct chat_filter *f = NULL;
    size_t n = fread(text, 1, CHAT_FILTER_TEXT_MAX + 1, fp);
    if (ferror(fp)) {
        set_err(err, errlen, "%s: read error", path);
    } else if (n > CHAT_FILTER_TEXT_MAX) {
        set_err(err, errlen, "%s: word list is over %d bytes", path, CHAT_FILTER_TEXT_MAX);
    } else {
        f = chat_filter_load(text, n, err, errlen);
        if (f == NULL && err != NULL && errlen > 0) {
            char reason[256];
            snprintf(reason, sizeof reason, "%s", err);
            set_err(err, errlen, "%s: %s", path, reason);
        }
    }
    free(text);
    fclose(fp);
    return f;
}

struct chat_filter *chat_filter_ref(struct chat_filter *f)
{
    if (f != NULL)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void chat_filter_unref(struct chat_filter *f)
{
    if (f == NULL)
        return;
    size_t before = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    assert(before > 0);
    if (before != 1)
        return;
    free(f->nodes);
    free(f->ecp);
    free(f->eto);
    free(f);
}

size_t chat_filter_words(const struct chat_filter *f)
{
    return f ? f->words : 0;
}

size_t chat_filter_bytes(const struct chat_filter *f)
{
    if (f == NULL)
        return 0;
    size_t edges = f->nedges ? f->nedges : 1;
    return sizeof *f + f->nnodes * sizeof *f->nodes + 2 * edges * sizeof(uint32_t);
}

/* ---- masking ------------------------------------------------------------- */

/* One code point of text at i: its length (an invalid byte is one) and its
 * normalized form (BAD_BYTE for an invalid byte). */
static size_t next_cp(const unsigned char *s, size_t len, size_t i, uint32_t *raw, uint32_t *c)
{
    size_t k = utf8_decode(s + i, len - i, raw);
    if (k == 0) {
        *raw = *c = BAD_BYTE;
        return 1;
    }
    *c = fold(*raw);
    return k;
}

/* Copies text to out unchanged, truncated at a code point boundary to fit. */
static size_t copy_text(const char *text, size_t len, char *out, size_t outcap)
{
    if (outcap == 0)
        return 0;
    size_t n = len;
    if (n + 1 > outcap) {
        uint32_t raw, c;
        n = 0;
        for (;;) {
            size_t k = next_cp((const unsigned char *)text, len, n, &raw, &c);
            if (n + k + 1 > outcap)
                break;
            n += k;
        }
    }
    memmove(out, text, n);
    out[n] = '\0';
    return n;
}

void chat_filter_mask_ex(const struct chat_filter *f, const char *text, size_t len, char *out,
                         size_t outcap, struct chat_filter_result *res)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t st_cps[STACK_LETTERS];
    uint8_t st_fl[STACK_LETTERS];
    uint32_t *cps = st_cps, raw, c;
    uint8_t *fl = st_fl;
    size_t n = 0, matches = 0, steps = 0;

    memset(res, 0, sizeof *res);
    if (f == NULL || f->words == 0 || len > CHAT_FILTER_MASK_MAX) {
        res->out_len = copy_text(text, len, out, outcap);
        return;
    }
    if (len > STACK_LETTERS) {
        cps = xmalloc(len * sizeof *cps);
        fl = xmalloc(len);
    }

    /* 1. The letters, normalized, with what surrounds each in the text. */
    bool prev_alpha = false, prev_word = false, prev_letter = false;
    for (size_t i = 0; i < len;) {
        i += next_cp(s, len, i, &raw, &c);
        bool alpha = is_word_char(c);
        if (c != SEP) {
            if (alpha && prev_letter)
                fl[n - 1] |= L_NEXT_WORD;
            cps[n] = c;
            fl[n] = prev_word ? L_PREV_WORD : 0;
            n++;
        }
        prev_letter = c != SEP;
        prev_word = alpha || (prev_alpha && is_apostrophe(raw));
        prev_alpha = alpha;
    }

    /* 2. The scan. cps[i] is consumed at step i, so it is overwritten with
     * the smallest start of a match ending at letter i (NONE if none). */
    uint32_t state = 0;
    for (size_t i = 0; i < n; i++) {
        c = cps[i];
        for (;;) {
            steps++;
            uint32_t t = child(f, state, c);
            if (t != NONE) {
                state = t;
                break;
            }
            if (state == 0)
                break;
            state = f->nodes[state].fail;
            steps++;
        }
        uint32_t best = NONE;
        uint32_t o = f->nodes[state].wlen ? state : f->nodes[state].out;
        for (; o != NONE; o = f->nodes[o].out) {
            const struct node *w = &f->nodes[o];
            steps++;
            assert(w->wlen > 0 && w->wlen <= i + 1);
            size_t start = i + 1 - w->wlen;
            if ((w->wflags & W_FIRST_ASCII) && (fl[start] & L_PREV_WORD))
                continue;
            if ((w->wflags & W_LAST_ASCII) && (fl[i] & L_NEXT_WORD))
                continue;
            matches++;
            if (start < best)
                best = (uint32_t)start;
        }
        cps[i] = best;
    }
    res->matches = matches;
    res->steps = steps;
    if (matches == 0) {
        res->out_len = copy_text(text, len, out, outcap);
        goto done;
    }

    /* 3. Coverage, backwards: cur is the smallest start among matches ending
     * at or after the current letter, so the letter is covered iff cur <= it,
     * and the gap after it iff that held before it was taken in. */
    uint32_t cur = NONE;
    for (size_t e = n; e-- > 0;) {
        if (cur <= e)
            fl[e] |= L_LINK;
        if (cps[e] < cur)
            cur = cps[e];
        if (cur <= e)
            fl[e] |= L_MASKED;
    }

    /* 4. The output. It never runs ahead of the input (a '*' replaces at
     * least one byte), so out may be text. */
    size_t q = 0, li = 0;
    for (size_t i = 0; i < len && outcap > 0;) {
        size_t k = next_cp(s, len, i, &raw, &c);
        bool star;
        if (c != SEP)
            star = fl[li++] & L_MASKED;
        else
            star = li > 0 && li < n && (fl[li - 1] & L_LINK);
        size_t w = star ? 1 : k;
        if (q + w + 1 > outcap)
            break;
        if (star)
            out[q] = '*';
        else
            memmove(out + q, text + i, k);
        q += w;
        i += k;
    }
    if (outcap > 0)
        out[q] = '\0';
    res->out_len = q;
done:
    if (cps != st_cps) {
        free(cps);
        free(fl);
    }
}

size_t chat_filter_mask(const struct chat_filter *f, const char *text, size_t len, char *out,
                        size_t outcap)
{
    struct chat_filter_result res;
    chat_filter_mask_ex(f, text, len, out, outcap, &res);
    return res.matches;
}

/* ---- the holder ---------------------------------------------------------- */

void chat_filter_holder_init(struct chat_filter_holder *h, struct chat_filter *f)
{
    atomic_init(&h->cur, f);
    atomic_init(&h->epoch, 0);
    atomic_init(&h->readers[0], 0);
    atomic_init(&h->readers[1], 0);
    pthread_mutex_init(&h->wlock, NULL);
}

struct chat_filter *chat_filter_holder_get(struct chat_filter_holder *h)
{
    /* All sequentially consistent: the argument in filter.h relies on one
     * total order of the epoch, counter and cur operations. */
    for (;;) {
        unsigned long long e = atomic_load(&h->epoch);
        atomic_fetch_add(&h->readers[e & 1], 1);
        if (atomic_load(&h->epoch) == e) {
            struct chat_filter *f = chat_filter_ref(atomic_load(&h->cur));
            atomic_fetch_sub(&h->readers[e & 1], 1);
            return f;
        }
        /* A writer advanced the epoch in between: it may not be waiting for
         * this counter, so do not load cur under it. */
        atomic_fetch_sub(&h->readers[e & 1], 1);
    }
}

void chat_filter_holder_set(struct chat_filter_holder *h, struct chat_filter *f)
{
    pthread_mutex_lock(&h->wlock);
    struct chat_filter *old = atomic_exchange(&h->cur, f);
    unsigned long long e = atomic_fetch_add(&h->epoch, 1);
    while (atomic_load(&h->readers[e & 1]) != 0)
        sched_yield();
    pthread_mutex_unlock(&h->wlock);
    chat_filter_unref(old);
}

void chat_filter_holder_free(struct chat_filter_holder *h)
{
    chat_filter_unref(atomic_exchange(&h->cur, NULL));
    pthread_mutex_destroy(&h->wlock);
}
