/*
 * Unit tests for src/chat/filter.c: the banned-word filter. Each test states
 * what a chat user would see: the message before and after masking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "chat/filter.h"

static struct chat_filter *load(const char *list)
{
    char err[256];
    struct chat_filter *f = chat_filter_load(list, strlen(list), err, sizeof err);
    if (f == NULL)
        fail_msg("load failed: %s", err);
    return f;
}

/* Masks text with f into a static buffer; *matches gets the count. */
static const char *mask(const struct chat_filter *f, const char *text, size_t *matches)
{
    static char out[4096];
    size_t len = strlen(text);
    assert_true(len < sizeof out);
    size_t n = chat_filter_mask(f, text, len, out, sizeof out);
    if (matches)
        *matches = n;
    return out;
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

#define assert_masked(f, in, want)                                                                 \
    do {                                                                                           \
        const char *got_ = mask((f), (in), NULL);                                                  \
        if (strcmp(got_, (want)) != 0)                                                             \
            fail_msg("mask(\"%s\") = \"%s\", want \"%s\"", (in), got_, (want));                    \
        assert_int_equal(code_points(got_), code_points(in));                                      \
    } while (0)

static void test_korean_and_english_masked(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\n병신\nshit\nfuck\n");
    assert_int_equal(chat_filter_words(f), 4);
    size_t n;
    assert_string_equal(mask(f, "야 시발 뭐해", &n), "야 ** 뭐해");
    assert_int_equal(n, 1);
    assert_masked(f, "병신", "**");
    assert_masked(f, "this is shit", "this is ****");
    assert_masked(f, "fuck! 시발!", "****! **!");
    assert_masked(f, "shit", "****");
    chat_filter_unref(f);
}

static void test_case_insensitive(void **state)
{
    (void)state;
    struct chat_filter *f = load("shit\nFuCk\n");
    assert_masked(f, "SHIT", "****");
    assert_masked(f, "ShIt happens", "**** happens");
    assert_masked(f, "fuck FUCK Fuck", "**** **** ****");
    chat_filter_unref(f);
}

static void test_separators_between_letters(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\nshit\n");
    /* Separators inside a match are masked too; the length stays. */
    assert_masked(f, "시 발", "***");
    assert_masked(f, "시.발", "***");
    assert_masked(f, "시-_-발", "*****");
    assert_masked(f, "시\u200b발", "***");             /* zero-width space */
    assert_masked(f, "시\u200d발\ufeff", "***\ufeff"); /* ZWJ inside; BOM after */
    assert_masked(f, "시·발", "***");
    assert_masked(f, "시、발。", "***。");
    assert_masked(f, "「시」「발」", "「****」");
    assert_masked(f, "시\n발?", "***?");   /* a line break too */
    assert_masked(f, "시\u3164발", "***"); /* Hangul filler */
    assert_masked(f, "시\u3000발", "***"); /* ideographic space */
    assert_masked(f, "s.h.i.t", "*******");
    assert_masked(f, "S H I T", "*******");
    assert_masked(f, "s-h-i-t!", "*******!");
    assert_masked(f, "s\u0301hit", "*****"); /* a combining accent */
    assert_masked(f, "ｓｈｉｔ", "****");
    assert_masked(f, "ＳＨＩＴ", "****");
    assert_masked(f, "ｓ．ｈ．ｉ．ｔ", "*******");
    /* Separators around a match are kept. */
    assert_masked(f, "  시발  ", "  **  ");
    assert_masked(f, "(shit)", "(****)");
    assert_masked(f, "...s h i t...", "...*******...");
    chat_filter_unref(f);
}

static void test_digits_are_letters(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\n18놈\n88\n");
    assert_masked(f, "시1발", "시1발");
    assert_masked(f, "18놈", "***");
    assert_masked(f, "１８놈", "***"); /* full-width digits */
    assert_masked(f, "1 8 놈", "*****");
    assert_masked(f, "ㅋㅋ18놈아", "ㅋㅋ***아");
    assert_masked(f, "218놈", "218놈"); /* an ASCII end: whole words only */
    assert_masked(f, "88", "**");
    assert_masked(f, "1988", "1988");
    chat_filter_unref(f);
}

static void test_english_whole_words(void **state)
{
    (void)state;
    struct chat_filter *f = load("ass\nshit\n");
    /* Not inside longer English words (the Scunthorpe problem). */
    assert_masked(f, "class", "class");
    assert_masked(f, "assume", "assume");
    assert_masked(f, "bass guitar", "bass guitar");
    assert_masked(f, "ｃass", "ｃass"); /* full-width letters count as letters */
    /* Nor across two words where a letter run goes on. */
    assert_masked(f, "this hit", "this hit");
    assert_masked(f, "push it", "push it");
    assert_masked(f, "he's hit", "he's hit");
    assert_masked(f, "let’s hit it", "let’s hit it");
    /* But as a word of its own, with whatever around it. */
    assert_masked(f, "ass", "***");
    assert_masked(f, "you ass!", "you ***!");
    assert_masked(f, "a.s.s", "*****");
    assert_masked(f, "shit's bad", "****'s bad");
    assert_masked(f, "'shit'", "'****'");
    assert_masked(f, "ass123", "ass123"); /* digits are letters here */
    assert_masked(f, "123ass", "123ass");
    assert_masked(f, "shit야", "****야");
    assert_masked(f, "진짜shit", "진짜****");
    chat_filter_unref(f);
}

static void test_korean_inside_longer_text(void **state)
{
    (void)state;
    struct chat_filter *f = load("개새끼\n시발\n");
    assert_masked(f, "개새끼야", "***야");
    assert_masked(f, "이개새끼가", "이***가");
    assert_masked(f, "와시발진짜", "와**진짜");
    assert_masked(f, "시발점", "**점"); /* the documented price of substrings */
    chat_filter_unref(f);
}

static void test_overlapping_and_adjacent(void **state)
{
    (void)state;
    size_t n;
    struct chat_filter *f = load("가나다\n나다라\n새끼\n개새끼\nshit\nshithead\n");
    assert_string_equal(mask(f, "가나다라", &n), "****");
    assert_int_equal(n, 2);
    assert_string_equal(mask(f, "가 나 다 라", &n), "*******");
    assert_int_equal(n, 2);
    assert_string_equal(mask(f, "마가나다라마", &n), "마****마");
    assert_string_equal(mask(f, "개새끼", &n), "***");
    assert_int_equal(n, 2); /* nested: both words */
    assert_string_equal(mask(f, "shithead", &n), "********");
    assert_int_equal(n, 1); /* "shit" is followed by a letter */
    /* Adjacent matches; the separator between two matches is kept. */
    assert_string_equal(mask(f, "새끼새끼", &n), "****");
    assert_int_equal(n, 2);
    assert_string_equal(mask(f, "새끼 새끼", &n), "** **");
    assert_int_equal(n, 2);
    assert_string_equal(mask(f, "shit shit", &n), "**** ****");
    assert_int_equal(n, 2);
    assert_string_equal(mask(f, "shit,shit", &n), "****,****");
    assert_int_equal(n, 2);
    chat_filter_unref(f);
}

static void test_mask_keeps_code_points(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\nshit\n😀x\n");
    const char *texts[] = {"시발", "시 발 shit",   "a😀x b",
                           "😀😀x",  "ＳＨＩＴ시발", "시\u200b\u200b발"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct chat_filter_result res;
        char out[256];
        chat_filter_mask_ex(f, texts[i], strlen(texts[i]), out, sizeof out, &res);
        assert_true(res.matches > 0);
        assert_int_equal(res.out_len, strlen(out));
        assert_int_equal(code_points(out), code_points(texts[i]));
        assert_true(res.out_len <= strlen(texts[i]));
    }
    assert_masked(f, "a😀x b", "a** b");
    chat_filter_unref(f);
}

static void test_no_match_unchanged(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\nshit\n");
    const char *texts[] = {"안녕하세요 여러분 😀", "hello, world!", "시 바 ㄹ", "s h i p",
                           "\u200b\ufeff",        "ｈｅｌｌｏ",    "시1발",    "shitty"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = 99;
        const char *got = mask(f, texts[i], &n);
        assert_int_equal(n, 0);
        assert_memory_equal(got, texts[i], strlen(texts[i]) + 1);
    }
    /* A NULL filter and an empty list change nothing either. */
    assert_string_equal(mask(NULL, "shit", NULL), "shit");
    struct chat_filter *empty = load("");
    assert_int_equal(chat_filter_words(empty), 0);
    assert_string_equal(mask(empty, "shit", NULL), "shit");
    chat_filter_unref(empty);
    chat_filter_unref(f);
}

static void test_empty_text(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\n");
    char out[4] = "xyz";
    struct chat_filter_result res;
    chat_filter_mask_ex(f, "", 0, out, sizeof out, &res);
    assert_int_equal(res.matches, 0);
    assert_int_equal(res.out_len, 0);
    assert_string_equal(out, "");
    chat_filter_unref(f);
}

static void test_long_message_many_matches(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\nshit\n병신\n");
    /* 20 code points per unit, 25 units: a 500-character message. */
    const char *unit = "시발 hi s.h.i.t 병 신!!", *want_unit = "** hi ******* ***!!";
    char text[2048] = "", want[2048] = "";
    size_t tl = 0, wl = 0;
    for (int i = 0; i < 25; i++) {
        tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s ", unit);
        wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s ", want_unit);
    }
    assert_int_equal(code_points(text), 500);
    size_t n;
    assert_string_equal(mask(f, text, &n), want);
    assert_int_equal(n, 75);
    chat_filter_unref(f);
}

static void test_in_place_and_truncated(void **state)
{
    (void)state;
    struct chat_filter *f = load("시발\n");
    char buf[64] = "야 시발 abc";
    size_t n = chat_filter_mask(f, buf, strlen(buf), buf, sizeof buf);
    assert_int_equal(n, 1);
    assert_string_equal(buf, "야 ** abc");

    /* "야 ** abc" is 10 bytes; 7 bytes of room hold "야 **" and the NUL. */
    char small[7];
    struct chat_filter_result res;
    chat_filter_mask_ex(f, "야 시발 abc", strlen("야 시발 abc"), small, sizeof small, &res);
    assert_string_equal(small, "야 **");
    assert_int_equal(res.out_len, 6);
    /* Unmasked text is cut at a code point boundary too. */
    char tiny[6];
    chat_filter_mask_ex(f, "가나다", strlen("가나다"), tiny, sizeof tiny, &res);
    assert_string_equal(tiny, "가");
    chat_filter_unref(f);
}

static void test_loader_format(void **state)
{
    (void)state;
    /* BOM, comments, blank lines, CRLF, blanks around words, a trailing
     * comment, duplicates (by normalization), a line with no letters. */
    const char *list = "\xef\xbb\xbf# banned words\r\n"
                       "\r\n"
                       "   shit   \r\n"
                       "\t시발\t# a trailing comment\r\n"
                       "#fuck\r\n"
                       "  # indented comment\n"
                       "S.H.I.T\n"
                       "***\n"
                       "fuck you\n"
                       "#\n"
                       "s#x\n";
    struct chat_filter *f = load(list);
    assert_int_equal(chat_filter_words(f), 4); /* shit, 시발, fuckyou, s#x */
    assert_masked(f, "shit", "****");
    assert_masked(f, "시발", "**");
    assert_masked(f, "시발acomment", "**acomment");
    assert_masked(f, "fuck", "fuck");
    assert_masked(f, "fuck you", "********");
    assert_masked(f, "FUCKYOU", "*******");
    assert_masked(f, "sx", "**"); /* '#' inside a word is a separator */
    chat_filter_unref(f);

    f = load("# only comments\n\n   \n");
    assert_int_equal(chat_filter_words(f), 0);
    chat_filter_unref(f);
}

static void expect_reject(const char *list, size_t len, const char *reason)
{
    char err[256] = "";
    struct chat_filter *f = chat_filter_load(list, len, err, sizeof err);
    assert_null(f);
    if (strstr(err, reason) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err, reason);
}

static void test_loader_rejects(void **state)
{
    (void)state;
    expect_reject("ok\n\xff\n", 5, "line 2: invalid UTF-8");
    expect_reject("\xc0\xaf", 2, "invalid UTF-8");     /* overlong '/' */
    expect_reject("\xed\xa0\x80", 3, "invalid UTF-8"); /* a surrogate */
    expect_reject("\xea\xb0", 2, "invalid UTF-8");     /* truncated */
    assert_null(chat_filter_load("\xff", 1, NULL, 0)); /* no room for a reason is fine */

    size_t big = CHAT_FILTER_TEXT_MAX + 1;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++)
        text[i] = i % 2 ? '\n' : 'a';
    expect_reject(text, big, "limit");
    /* CHAT_FILTER_WORDS_MAX words load; one more does not. */
    size_t len = 0;
    for (int i = 0; i <= CHAT_FILTER_WORDS_MAX; i++)
        len += (size_t)snprintf(text + len, big - len, "w%d\n", i);
    expect_reject(text, len, "more than 100000 words");
    size_t last = strlen("w100000\n");
    struct chat_filter *f = chat_filter_load(text, len - last, NULL, 0);
    assert_non_null(f);
    assert_int_equal(chat_filter_words(f), CHAT_FILTER_WORDS_MAX);
    assert_masked(f, "w99999 w100000", "****** w100000");
    chat_filter_unref(f);

    memset(text, 'a', CHAT_FILTER_WORD_MAX + 1);
    expect_reject(text, CHAT_FILTER_WORD_MAX + 1, "line 1: word longer than 200");
    f = chat_filter_load(text, CHAT_FILTER_WORD_MAX, NULL, 0);
    assert_non_null(f);
    chat_filter_unref(f);
    free(text);
}

static void test_default_list(void **state)
{
    (void)state;
    const char *src = getenv("ONAIR_SOURCE_DIR");
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/etc/banned-words.txt", src ? src : ".");
    struct chat_filter *f = chat_filter_load_file(path, err, sizeof err);
    if (f == NULL)
        fail_msg("%s", err);
    assert_true(chat_filter_words(f) >= 20 && chat_filter_words(f) <= 40);
    print_message("default list: %zu words, %zu bytes\n", chat_filter_words(f),
                  chat_filter_bytes(f));
    assert_true(chat_filter_bytes(f) < 16 * 1024);
    assert_masked(f, "씨발 진짜", "** 진짜");
    assert_masked(f, "이 개새끼야", "이 ***야");
    assert_masked(f, "ㅅㅂ 뭐야", "** 뭐야");
    assert_masked(f, "병 신", "***");
    assert_masked(f, "F U C K", "*******");
    assert_masked(f, "that's bullshit.", "that's ********.");
    assert_masked(f, "a classic assignment", "a classic assignment");
    assert_masked(f, "안녕하세요 반가워요", "안녕하세요 반가워요");

    assert_null(chat_filter_load_file("/nonexistent/banned.txt", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/banned.txt: "));
    chat_filter_unref(f);
}

static void test_holder_refcounts(void **state)
{
    (void)state;
    struct chat_filter_holder h;
    struct chat_filter *a = load("시발\n"), *b = load("shit\n");
    chat_filter_holder_init(&h, a);
    struct chat_filter *got = chat_filter_holder_get(&h);
    assert_ptr_equal(got, a);
    chat_filter_holder_set(&h, b); /* drops the holder's reference to a */
    /* Ours keeps a alive (ASan would flag a use after free here). */
    assert_masked(got, "시발 shit", "** shit");
    chat_filter_unref(got); /* a is freed here (LeakSanitizer checks) */
    got = chat_filter_holder_get(&h);
    assert_ptr_equal(got, b);
    assert_masked(got, "시발 shit", "시발 ****");
    chat_filter_holder_set(&h, NULL);
    assert_null(chat_filter_holder_get(&h));
    chat_filter_holder_set(&h, chat_filter_ref(b));
    chat_filter_holder_free(&h);
    assert_masked(got, "shit", "****"); /* still ours */
    chat_filter_unref(got);

    chat_filter_holder_init(&h, NULL);
    chat_filter_holder_free(&h);
}

struct swap_test {
    struct chat_filter_holder h;
    _Atomic int done;
    _Atomic long reads;
    _Atomic int bad;
};

static void *reader(void *arg)
{
    struct swap_test *t = arg;
    char out[64];
    const char *text = "야 시발 shit";
    while (!atomic_load(&t->done) || atomic_load(&t->reads) < 1000) {
        struct chat_filter *f = chat_filter_holder_get(&t->h);
        chat_filter_mask(f, text, strlen(text), out, sizeof out);
        /* Always one whole filter or the other, never a mix. */
        if (strcmp(out, "야 ** shit") != 0 && strcmp(out, "야 시발 ****") != 0)
            atomic_store(&t->bad, 1);
        chat_filter_unref(f);
        atomic_fetch_add(&t->reads, 1);
    }
    return NULL;
}

static void test_holder_threads(void **state)
{
    (void)state;
    struct swap_test t;
    pthread_t th[4];
    atomic_init(&t.done, 0);
    atomic_init(&t.reads, 0);
    atomic_init(&t.bad, 0);
    chat_filter_holder_init(&t.h, load("시발\n"));
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &t), 0);
    /* Fresh filters each time, so old ones really are freed under readers. */
    for (int i = 0; i < 1000; i++)
        chat_filter_holder_set(&t.h, load(i % 2 ? "시발\n" : "shit\n"));
    atomic_store(&t.done, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&t.bad), 0);
    assert_true(atomic_load(&t.reads) >= 1000);
    chat_filter_holder_free(&t.h);
}

static void test_linear_time(void **state)
{
    (void)state;
    /* Words a^k b that a naive matcher would try at every position. */
    size_t cap = 64 * 1024;
    char *list = malloc(cap), *text = malloc(300 * 1024 + 1), *out = malloc(300 * 1024 + 1);
    size_t ll = 0;
    for (int k = 1; k < CHAT_FILTER_WORD_MAX; k++) {
        memset(list + ll, 'a', (size_t)k);
        ll += (size_t)k;
        list[ll++] = 'b';
        list[ll++] = '\n';
    }
    char err[128];
    struct chat_filter *f = chat_filter_load(list, ll, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(chat_filter_words(f), CHAT_FILTER_WORD_MAX - 1);

    size_t n = 100 * 1024;
    memset(text, 'a', n);
    struct chat_filter_result res;
    chat_filter_mask_ex(f, text, n, out, n + 1, &res);
    assert_int_equal(res.matches, 0);
    assert_true(res.steps <= 3 * n);
    assert_memory_equal(out, text, n);
    /* Ending in 'b': every word ends there, but all are inside one long
     * English letter run, so none counts; examining them is still bounded. */
    text[n - 1] = 'b';
    chat_filter_mask_ex(f, text, n, out, n + 1, &res);
    assert_int_equal(res.matches, 0);
    assert_true(res.steps <= 3 * n + CHAT_FILTER_WORD_MAX);
    text[n - 1] = 'a';
    chat_filter_unref(f);

    /* The same in Hangul, where words match inside longer text: the last
     * 200 characters are masked, in one pass. */
    ll = 0;
    for (int k = 1; k < CHAT_FILTER_WORD_MAX; k++) {
        for (int i = 0; i < k; i++) {
            memcpy(list + ll, "가", 3);
            ll += 3;
        }
        memcpy(list + ll, "나\n", 4);
        ll += 4;
    }
    f = chat_filter_load(list, ll, err, sizeof err);
    assert_non_null(f);
    size_t chars = 100 * 1024;
    for (size_t i = 0; i < chars - 1; i++)
        memcpy(text + 3 * i, "가", 3);
    memcpy(text + 3 * (chars - 1), "나", 3);
    n = 3 * chars;
    chat_filter_mask_ex(f, text, n, out, n + 1, &res);
    assert_int_equal(res.matches, CHAT_FILTER_WORD_MAX - 1);
    assert_true(res.steps <= 3 * chars + res.matches);
    assert_int_equal(res.out_len, 3 * (chars - CHAT_FILTER_WORD_MAX) + CHAT_FILTER_WORD_MAX);
    assert_memory_equal(out, text, 3 * (chars - CHAT_FILTER_WORD_MAX));
    for (size_t i = 3 * (chars - CHAT_FILTER_WORD_MAX); i < res.out_len; i++)
        assert_int_equal(out[i], '*');
    chat_filter_unref(f);

    /* Many words ending everywhere: the work is the matches themselves. */
    f = load(
        "가\n가가\n가가가\n가가가가\n가가가가가\n가가가가가가\n가가가가가가가\n가가가가가가가가\n"
        "가가가가가가가가가\n가가가가가가가가가가\n");
    chars = 1000;
    for (size_t i = 0; i < chars; i++)
        memcpy(text + 3 * i, "가", 3);
    chat_filter_mask_ex(f, text, 3 * chars, out, 3 * chars + 1, &res);
    assert_int_equal(res.matches, 10 * chars - 45);
    assert_true(res.steps <= 3 * chars + res.matches);
    assert_int_equal(res.out_len, chars);
    chat_filter_unref(f);
    free(list);
    free(text);
    free(out);
}

/*
 * Against a naive implementation of the documented rules, on random word
 * lists and messages over a small alphabet that makes words overlap, share
 * prefixes and suffixes, and meet separators and apostrophes.
 */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned next_rand(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const alphabet[] = {"a", "b", "A", "가", "나", " ", ".", "'", "1"};
#define NALPHA (sizeof alphabet / sizeof alphabet[0])

/* Normalized letter of alphabet symbol i, or 0 for a separator. */
static const char *sym_letter(unsigned i)
{
    static const char *const letters[] = {"a", "b", "a", "가", "나", NULL, NULL, NULL, "1"};
    return letters[i];
}

static void test_matches_naive_reference(void **state)
{
    (void)state;
    for (int iter = 0; iter < 3000; iter++) {
        /* Up to 5 words of 1-4 symbols; keep their normalized forms. */
        char list[256] = "", words[5][32];
        unsigned nw = 1 + next_rand(5), real = 0;
        size_t ll = 0;
        for (unsigned w = 0; w < nw; w++) {
            unsigned len = 1 + next_rand(4);
            words[real][0] = '\0';
            for (unsigned i = 0; i < len; i++) {
                unsigned s = next_rand(NALPHA);
                ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s", alphabet[s]);
                size_t wl = strlen(words[real]);
                if (sym_letter(s))
                    snprintf(words[real] + wl, sizeof words[real] - wl, "%s", sym_letter(s));
            }
            list[ll++] = '\n';
            list[ll] = '\0';
            bool dup = words[real][0] == '\0';
            for (unsigned j = 0; j < real && !dup; j++)
                dup = strcmp(words[j], words[real]) == 0;
            if (!dup)
                real++;
        }
        struct chat_filter *f = load(list);
        assert_int_equal(chat_filter_words(f), real);

        /* A message of up to 24 symbols. */
        unsigned syms[24], m = next_rand(25);
        char text[128] = "";
        size_t tl = 0, off[25];
        for (unsigned i = 0; i < m; i++) {
            syms[i] = next_rand(NALPHA);
            off[i] = tl;
            tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s", alphabet[syms[i]]);
        }
        off[m] = tl;

        /* Naive: try every word at every letter. */
        bool masked[24] = {false};
        size_t want_matches = 0;
        for (unsigned w = 0; w < real; w++) {
            for (unsigned st = 0; st < m; st++) {
                if (!sym_letter(syms[st]))
                    continue;
                /* Walk letters from st, skipping separators. */
                const char *p = words[w];
                unsigned i = st, last = st;
                while (*p && i < m) {
                    const char *l = sym_letter(syms[i]);
                    if (l) {
                        if (strncmp(p, l, strlen(l)) != 0)
                            break;
                        p += strlen(l);
                        last = i;
                    }
                    i++;
                }
                if (*p)
                    continue;
                char c0 = words[w][0], c1 = words[w][strlen(words[w]) - 1];
                bool ascii_first = c0 == 'a' || c0 == 'b' || c0 == '1';
                bool ascii_last = c1 == 'a' || c1 == 'b' || c1 == '1';
#define IS_AL(k) (syms[k] <= 2 || syms[k] == 8)
                if (ascii_first && st > 0 &&
                    (IS_AL(st - 1) || (syms[st - 1] == 7 && st > 1 && IS_AL(st - 2))))
                    continue;
                if (ascii_last && last + 1 < m && IS_AL(last + 1))
                    continue;
#undef IS_AL
                want_matches++;
                for (unsigned k = st; k <= last; k++)
                    masked[k] = true;
            }
        }
        char want[128];
        size_t wl = 0;
        for (unsigned i = 0; i < m; i++) {
            if (masked[i]) {
                want[wl++] = '*';
            } else {
                memcpy(want + wl, text + off[i], off[i + 1] - off[i]);
                wl += off[i + 1] - off[i];
            }
        }
        want[wl] = '\0';

        size_t got_matches;
        const char *got = mask(f, text, &got_matches);
        if (strcmp(got, want) != 0 || got_matches != want_matches)
            fail_msg("list \"%s\" text \"%s\": got \"%s\" (%zu), want \"%s\" (%zu)", list, text,
                     got, got_matches, want, want_matches);
        chat_filter_unref(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_korean_and_english_masked),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_separators_between_letters),
        cmocka_unit_test(test_digits_are_letters),
        cmocka_unit_test(test_english_whole_words),
        cmocka_unit_test(test_korean_inside_longer_text),
        cmocka_unit_test(test_overlapping_and_adjacent),
        cmocka_unit_test(test_mask_keeps_code_points),
        cmocka_unit_test(test_no_match_unchanged),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_long_message_many_matches),
        cmocka_unit_test(test_in_place_and_truncated),
        cmocka_unit_test(test_loader_format),
        cmocka_unit_test(test_loader_rejects),
        cmocka_unit_test(test_default_list),
        cmocka_unit_test(test_holder_refcounts),
        cmocka_unit_test(test_holder_threads),
        cmocka_unit_test(test_linear_time),
        cmocka_unit_test(test_matches_naive_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
