/*
 * chat/filter.h - banned words masked with '*', linear in the message length.
 *
 * A filter is an Aho-Corasick automaton over normalized code points, built
 * once from a word list (etc/banned-words.txt by default). Masking a message
 * is one pass over it plus a little bookkeeping: O(len + matches), and the
 * matches at any position are bounded by CHAT_FILTER_WORD_MAX, so the time
 * never depends on how many words the list holds.
 *
 * Normalization (the same for the word list and for messages):
 *  - ASCII A-Z and full-width forms fold to ASCII: "ＳＨＩＴ" -> "shit",
 *    "１８" -> "18". Digits are letters.
 *  - Separators are skipped, so they may sit anywhere between the letters of
 *    a word: spaces and controls, ASCII punctuation (this includes '*', so a
 *    masked message holds no letters where it was masked), Latin-1 symbols,
 *    combining diacritics, the whole General Punctuation block (Unicode spaces,
 *    zero-width characters U+200B..U+200D, dashes, quotes, bullets, ellipsis,
 *    bidi controls, word joiner), BOM U+FEFF, variation selectors, the Hangul
 *    fillers (U+115F, U+1160, U+3164, U+FFA0), CJK and Korean punctuation
 *    (U+3000..U+3004, brackets U+3008..U+3020, "·" U+00B7, "・" U+30FB,
 *    half-width U+FF61..U+FF65, full-width punctuation) and the CJK
 *    compatibility and small form variants.
 *  - Everything else is a letter and matches only itself: Hangul syllables,
 *    Hangul compatibility jamo, other scripts, emoji. A word spelled with jamo
 *    ("ㅅㅂ") matches jamo text only; syllables are not decomposed, so
 *    "ㅅㅣㅂㅏㄹ" does not match "시발" unless listed itself.
 *
 * Which occurrences count:
 *  - English words match as whole words. A word whose normalized form starts
 *    with an ASCII letter or digit matches only where the code point just
 *    before its first letter, in the original text, is not one (nor an
 *    apostrophe right after one, so "he's hit" does not hold "shit");
 *    likewise at its end. So "ass" masks "ass", "a.s.s" and "ass!" but not
 *    "class", "assume" or "ass1", and "88" does not mask "1988": this avoids
 *    the Scunthorpe problem, at the price that "shitty" needs its own line.
 *  - Other ends match anywhere: Korean words are masked inside longer text
 *    ("개새끼야" -> "***야"), the usual behaviour for Korean, where particles
 *    attach to words. (The price: "시발점" is masked when "시발" is listed.)
 *  - Separators are skipped even between two words, so "s hit" holds
 *    "shit"; the whole-word rule keeps that to spaced-out spellings.
 *
 * Masking: every letter of a match becomes '*', and so does every separator
 * between two letters of the same match ("시 발" -> "***", "s.h.i.t" ->
 * "*******"); separators before or after a match, or between two different
 * matches ("shit shit" -> "**** ****"), are kept. Overlapping matches are all
 * masked. The output has as many code points as the input.
 *
 * Memory: a trie node per distinct prefix (at most one per letter of the
 * list) at 20 bytes plus 8 per edge: the default list takes about 3.5 KB, a
 * full 1 MiB list of ASCII at most 28 MiB (about twice that while building).
 * Masking uses 5 bytes per byte of text beyond 2 KB of stack, on the heap.
 *
 * Ownership and threads: a struct chat_filter is immutable after
 * chat_filter_load and may be used by many threads at once; it is
 * refcounted (atomic). Reloading builds a new one and swaps it in with a
 * chat_filter_holder, so readers never block and never see a half-built
 * filter.
 * Errors: the loaders return NULL and write a reason into err; masking
 * cannot fail. Out of heap aborts (core/alloc.h).
 */
#ifndef ONAIR_CHAT_FILTER_H
#define ONAIR_CHAT_FILTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_FILTER_WORDS_MAX 100000          /* word lines a list may hold */
#define CHAT_FILTER_TEXT_MAX (1024 * 1024)    /* bytes a list may hold */
#define CHAT_FILTER_WORD_MAX 200              /* code points of one normalized word */
#define CHAT_FILTER_MASK_MAX (UINT32_MAX - 1) /* longest text chat_filter_mask filters */

struct chat_filter;

/*
 * Builds a filter from a word list: UTF-8 text, one word or phrase per line;
 * a line whose first non-blank character is '#' is a comment, and a '#'
 * after whitespace starts a comment to the end of the line (a word cannot
 * contain '#': it is a separator). Blank lines are ignored, surrounding
 * whitespace, CR of CRLF line ends and a leading BOM are dropped. Words are
 * normalized like messages (see above); a line with no letters is ignored;
 * duplicates are merged. At most CHAT_FILTER_WORDS_MAX word lines, each of
 * at most CHAT_FILTER_WORD_MAX letters, in CHAT_FILTER_TEXT_MAX bytes.
 * Returns a filter holding one reference (drop it with chat_filter_unref),
 * or NULL with a reason in err (errlen bytes, NUL-terminated; err may be
 * NULL) when the list is not valid UTF-8 or is too big. An empty list is
 * valid and matches nothing. text is borrowed.
 */
struct chat_filter *chat_filter_load(const char *text, size_t len, char *err, size_t errlen);

/* chat_filter_load on the contents of the file at path; a file that cannot
 * be read gives NULL with "path: reason" in err. */
struct chat_filter *chat_filter_load_file(const char *path, char *err, size_t errlen);

/* Takes another reference to f and returns it. NULL is passed through. */
struct chat_filter *chat_filter_ref(struct chat_filter *f);

/* Drops a reference; the last one frees f. NULL is fine. Any thread. */
void chat_filter_unref(struct chat_filter *f);

/* The number of distinct words (after normalization) f matches. */
size_t chat_filter_words(const struct chat_filter *f);

/* The bytes f occupies on the heap (automaton and struct). */
size_t chat_filter_bytes(const struct chat_filter *f);

/*
 * Masks every occurrence of a banned word in text (UTF-8, len bytes) into
 * out, as described above: each masked code point becomes one '*', the
 * others are copied as they are. The result is never longer than text, so
 * outcap >= len + 1 always holds it and its terminating NUL; a smaller
 * outcap truncates it at a code point boundary (and still NUL-terminates
 * when outcap > 0). out may be text itself (masking in place). f may be
 * NULL (nothing is masked). Bytes that are not valid UTF-8 are copied and
 * never match. A text longer than CHAT_FILTER_MASK_MAX bytes is copied
 * unfiltered (chat messages are capped far below that).
 * Returns the number of matches: pairs (word, position), so overlapping
 * matches each count.
 */
size_t chat_filter_mask(const struct chat_filter *f, const char *text, size_t len, char *out,
                        size_t outcap);

/* What chat_filter_mask_ex reports besides the output. */
struct chat_filter_result {
    size_t matches; /* as returned by chat_filter_mask */
    size_t out_len; /* bytes written to out, not counting the NUL */
    size_t steps;   /* automaton steps taken: transitions tried, failure links
                     * and output links followed. At most 3 * len plus the word
                     * occurrences examined (the matches, and the English ones
                     * the whole-word rule refused), which the tests check to
                     * show the scan is linear */
};

/* chat_filter_mask, reporting the output length (text may hold U+0000) and
 * the work done in *res. */
void chat_filter_mask_ex(const struct chat_filter *f, const char *text, size_t len, char *out,
                         size_t outcap, struct chat_filter_result *res);

/*
 * An atomically swappable current filter (for SIGHUP reload).
 *
 * Readers (chat_filter_holder_get, any thread, any number) never lock and
 * never wait for a writer. The classic hazard is a reader that loads cur,
 * is preempted, and takes its reference after a writer has swapped cur and
 * dropped the last reference to the old filter. It is closed with two
 * reader counters selected by the parity of an epoch (a tiny RCU): a reader
 * announces itself in readers[epoch & 1], checks that the epoch has not
 * moved (else retries), then loads cur and takes its reference, and leaves.
 * A writer swaps cur, advances the epoch, and waits until the counter of the
 * old parity drains before dropping the old filter: every reader that could
 * have loaded the old pointer is counted there, and readers arriving after
 * the advance use the other counter, so the wait is bounded by the few
 * instructions of readers already inside (writers never starve). Writers
 * are serialized by wlock.
 */
struct chat_filter_holder {
    _Atomic(struct chat_filter *) cur;
    atomic_ullong epoch;
    atomic_ulong readers[2];
    pthread_mutex_t wlock; /* serializes set and free */
};

/* Makes h hold f, taking over the caller's reference (f may be NULL). */
void chat_filter_holder_init(struct chat_filter_holder *h, struct chat_filter *f);

/* Returns a new reference to the current filter (or NULL if none); drop it
 * with chat_filter_unref. Lock-free, any thread. */
struct chat_filter *chat_filter_holder_get(struct chat_filter_holder *h);

/* Installs f, taking over the caller's reference, and drops the holder's
 * reference to the old one (readers holding their own keep it alive). Any
 * thread; may yield briefly while readers that saw the old filter finish
 * taking their reference. */
void chat_filter_holder_set(struct chat_filter_holder *h, struct chat_filter *f);

/* Drops the holder's reference. No other thread may be using h. */
void chat_filter_holder_free(struct chat_filter_holder *h);

#endif
