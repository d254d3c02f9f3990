/*
 * search_seed.c - `onair-bench chat-seed`: fills a data directory with chat
 * messages for the search benchmark (see search.h).
 *
 * It opens the directory's database through the store interface, exactly
 * as onair does (store/store.h: open, migrate), signs up --users users
 * (each gets a channel, as signup does; the first --rooms channels are the
 * rooms that are talked in), then appends --messages messages with
 * chat_append in group commits of SEED_BATCH, each room with its own
 * gapless seqs. The server started on the directory afterwards sees the
 * same data as if its chat writer had stored it.
 *
 * What the messages look like (everything drawn from one generator seeded
 * by --seed, so a seed always gives the same log):
 *  - rooms: Zipf-distributed (room i gets a share proportional to 1/(i+1)),
 *    so room 0 is busy and the last room quiet, as on a real site;
 *  - 1 to 8 words from a weighted vocabulary of Korean and English chat
 *    words (ㅋㅋㅋ, 대박, 안녕하세요, lol, GG, ...) and a few emoji, with a
 *    long tail (about one word in five) of random 2-3 syllable Hangul words
 *    and random lowercase nicknames, like names and slang;
 *  - the marker words of search.h, in exactly the counts and rooms the
 *    manifest states; the generator never writes their reserved syllable
 *    (뾰) or letter (q) anywhere else;
 *  - timestamps 50 ms apart from 2026-01-01, authors uniform over the users.
 *
 * Seeding refuses a directory that already has a database. Progress goes to
 * stderr once a second; the manifest is written last.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/password.h"
#include "auth/token.h"
#include "bench.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "scenarios.h"
#include "search.h"
#include "store/store.h"

#define SEED_BATCH 500
#define SEED_TS_BASE 1767225600000LL /* 2026-01-01T00:00:00Z */
#define SEED_TS_STEP 50              /* ms between messages */
#define SEED_PASSWORD "seed-password"

/* ---- the generator: splitmix64, small and good enough for text ---- */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the modulo bias is irrelevant here). */
static uint64_t rnd_below(struct rng *r, uint64_t n)
{
    return rnd(r) % n;
}

/* ---- the markers (see search.h) ---- */

/* Where a marker goes. */
enum marker_room {
    MARKER_ANY,   /* whichever room the message was drawn for */
    MARKER_BIG,   /* the busiest room (room 0) */
    MARKER_SMALL, /* the quietest room (the last one) */
};

static const struct marker {
    const char *text;
    long count;        /* fixed count, or 0 to use per_messages */
    long per_messages; /* one in this many messages (at least one) */
    enum marker_room room;
    bool mixed_case; /* ASCII: written as text, UPPER or Capitalized in turn */
} markers[] = {
    {"뾰로롱", 12, 0, MARKER_ANY, false},     {"뾰잉", 5, 0, MARKER_ANY, false},
    {"뾰롱이", 0, 100000, MARKER_ANY, false}, {"뾰족산", 7, 0, MARKER_BIG, false},
    {"뾰족섬", 3, 0, MARKER_SMALL, false},    {"xyloquartz", 9, 0, MARKER_ANY, true},
};
#define NMARKERS (sizeof markers / sizeof markers[0])

/* How many messages of a seed of `messages` carry marker m. */
static long marker_count(const struct marker *m, long messages)
{
    if (m->count)
        return m->count < messages ? m->count : messages;
    long n = messages / m->per_messages;
    return n > 0 ? n : 1;
}

/* ---- the vocabulary ---- */

static const struct {
    const char *word;
    unsigned weight;
} vocab[] = {
    {"ㅋㅋㅋ", 20}, {"ㅋㅋ", 10},    {"ㅋㅋㅋㅋ", 8},   {"ㅋㅋㅋㅋㅋㅋ", 3},
    {"ㅎㅎ", 8},    {"ㅠㅠ", 6},     {"ㄷㄷ", 4},       {"안녕하세요", 8},
    {"하이", 5},    {"대박", 10},    {"진짜", 10},      {"오늘", 6},
    {"방송", 6},    {"재밌어요", 6}, {"감사합니다", 5}, {"화이팅", 4},
    {"좋아요", 5},  {"와", 8},       {"뭐야", 4},       {"언제", 3},
    {"다음", 3},    {"보스", 3},     {"클리어", 2},     {"축하해요", 3},
    {"구독", 3},    {"했어요", 3},   {"여러분", 4},     {"게임", 5},
    {"노래", 3},    {"하하", 3},     {"헐", 4},         {"레전드", 3},
    {"미쳤다", 3},  {"너무", 5},     {"잘하네", 3},     {"귀여워", 3},
    {"배고파", 2},  {"치킨", 2},     {"몇시", 2},       {"입니다", 2},
    {"그거", 3},    {"아니", 4},     {"맞아", 3},       {"왔어요", 2},
    {"하세요", 2},  {"lol", 5},      {"LOL", 3},        {"gg", 6},
    {"GG", 3},      {"hello", 3},    {"Hello", 2},      {"HELLO", 1},
    {"nice", 4},    {"Nice", 2},     {"wow", 3},        {"omg", 2},
    {"pog", 3},     {"POG", 2},      {"kappa", 2},      {"hi", 3},
    {"good", 2},    {"game", 2},     {"play", 2},       {"what", 2},
    {"is", 2},      {"this", 2},     {"haha", 2},       {"first", 1},
    {"clip", 1},    {"it", 2},       {"1", 2},          {"2", 2},
    {"100", 1},     {"😂", 3},        {"👍", 2},          {"❤️", 1},
    {"🔥", 2},
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

struct seed {
    struct bench_search_opts o;
    struct rng rng;
    unsigned vocab_total;
    double *room_cum; /* cumulative Zipf weights of the rooms */
    int64_t *user_ids;
    char (*user_names)[STORE_USERNAME_MAX + 1];
    int64_t *room_seq; /* last seq given in each room */
    long *room_msgs;
    struct place *places; /* marker placements, sorted by position */
    size_t nplaces;
};

/* One message that carries a marker. */
struct place {
    long pos; /* index of the message in the log */
    unsigned marker;
    unsigned variant; /* case variant of an English marker */
};

static size_t put_cp3(char *out, unsigned cp)
{
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* A long-tail word into out (at least 16 bytes): 2-3 random Hangul
 * syllables, or a 4-8 letter nickname without q, sometimes with digits. */
static size_t tail_word(struct rng *r, char *out)
{
    size_t n = 0;
    if (rnd_below(r, 5) != 0) {
        unsigned k = 2 + (unsigned)rnd_below(r, 3) / 2; /* 2 or 3 syllables, 2 more often */
        for (unsigned i = 0; i < k; i++) {
            unsigned cp = 0xAC00u + (unsigned)rnd_below(r, 11172);
            if (cp == BENCH_SEED_RESERVED_CP)
                cp++;
            n += put_cp3(out + n, cp);
        }
        return n;
    }
    static const char letters[] = "abcdefghijklmnoprstuvwxyz"; /* no q: reserved */
    unsigned k = 4 + (unsigned)rnd_below(r, 5);
    for (unsigned i = 0; i < k; i++)
        out[n++] = letters[rnd_below(r, sizeof letters - 1)];
    if (rnd_below(r, 3) == 0)
        n += (size_t)snprintf(out + n, 4, "%02u", (unsigned)rnd_below(r, 100));
    return n;
}

static const char *vocab_word(struct seed *s)
{
    unsigned x = (unsigned)rnd_below(&s->rng, s->vocab_total);
    for (size_t i = 0; i < NVOCAB; i++) {
        if (x < vocab[i].weight)
            return vocab[i].word;
        x -= vocab[i].weight;
    }
    return vocab[0].word;
}

/* Writes one message's words into out (STORE_TEXT_MAX + 1 bytes; a message
 * is at most ~200 bytes, so nothing is cut). */
static size_t message_text(struct seed *s, char *out)
{
    struct rng *r = &s->rng;
    unsigned nw = 1 + (unsigned)rnd_below(r, 4);
    if (rnd_below(r, 3) == 0)
        nw += (unsigned)rnd_below(r, 5); /* up to 8 */
    size_t n = 0;
    for (unsigned w = 0; w < nw; w++) {
        if (w)
            out[n++] = ' ';
        if (rnd_below(r, 5) == 0) {
            n += tail_word(r, out + n);
        } else {
            const char *word = vocab_word(s);
            size_t len = strlen(word);
            memcpy(out + n, word, len);
            n += len;
        }
    }
    out[n] = '\0';
    return n;
}

/* The marker as written in its variant-th message: English ones cycle
 * through lower, UPPER and Capitalized. */
static void marker_text(const struct marker *m, unsigned variant, char *out, size_t cap)
{
    snprintf(out, cap, "%s", m->text);
    if (!m->mixed_case)
        return;
    for (size_t i = 0; out[i]; i++) {
        bool up = variant % 3 == 1 || (variant % 3 == 2 && i == 0);
        if (up && out[i] >= 'a' && out[i] <= 'z')
            out[i] = (char)(out[i] - 'a' + 'A');
    }
}

static int cmp_place(const void *a, const void *b)
{
    const struct place *x = a, *y = b;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Spreads each marker's messages evenly over the log (one in each of
 * `count` equal strata, at a random place inside it), at most one marker
 * per message, so a marker's count is exact whatever room it lands in. */
static void plan_markers(struct seed *s)
{
    long total = 0, n = s->o.messages;
    for (size_t m = 0; m < NMARKERS; m++)
        total += marker_count(&markers[m], n);
    s->places = xcalloc((size_t)total, sizeof *s->places);
    for (size_t m = 0; m < NMARKERS; m++) {
        long k = marker_count(&markers[m], n), stratum = n / k;
        for (long j = 0; j < k; j++) {
            long pos = j * stratum + (long)rnd_below(&s->rng, (uint64_t)stratum);
            /* total <= n (checked by the caller), so a free slot exists. */
            for (bool taken = true; taken;) {
                taken = false;
                for (size_t i = 0; i < s->nplaces && !taken; i++)
                    taken = s->places[i].pos == pos;
                if (taken)
                    pos = (pos + 1) % n;
            }
            s->places[s->nplaces++] = (struct place){pos, (unsigned)m, (unsigned)j};
        }
    }
    qsort(s->places, s->nplaces, sizeof *s->places, cmp_place);
}

static long pick_room(struct seed *s)
{
    double x = (double)(rnd(&s->rng) >> 11) / 9007199254740992.0 * s->room_cum[s->o.rooms - 1];
    long lo = 0, hi = s->o.rooms - 1;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (s->room_cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void room_name(const struct seed *s, long room, char *out, size_t cap)
{
    snprintf(out, cap, "channel:%s", s->user_names[room]);
}

/* ---- setup ---- */

static int sign_up(struct seed *s, struct store_conn *c)
{
    const struct store_backend *b = &store_sqlite_backend;
    char pwhash[STORE_PWHASH_MAX + 1];
    /* One cheap hash for everyone: seeded users are for reading as. */
    auth_password_set_cost(1, 8);
    if (auth_password_hash(SEED_PASSWORD, strlen(SEED_PASSWORD), pwhash) != 0) {
        fprintf(stderr, "onair-bench chat-seed: cannot hash the password\n");
        return -1;
    }
    for (long i = 0; i < s->o.users; i++) {
        char key[STORE_KEY_MAX + 1];
        struct store_new_user nu = {.username = s->user_names[i],
                                    .password_hash = pwhash,
                                    .channel_title = s->user_names[i],
                                    .stream_key = key,
                                    .now = SEED_TS_BASE};
        snprintf(s->user_names[i], sizeof s->user_names[i], "seed%06ld", i);
        auth_token_random(key, 24);
        auth_token_sha256(key, strlen(key), nu.stream_key_hash);
        struct store_user u;
        struct store_channel ch;
        int rc = b->user_create(c, &nu, &u, &ch);
        if (rc) {
            fprintf(stderr, "onair-bench chat-seed: signing up %s failed: %s\n", s->user_names[i],
                    onair_strerror(rc));
            return -1;
        }
        s->user_ids[i] = u.id;
    }
    return 0;
}

/* ---- the log ---- */

static void progress(const struct seed *s, long done, int64_t t0)
{
    double el = (double)(bench_now_us() - t0) / 1e6;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(s->o.messages - done) / rate : 0;
    fprintf(stderr, "chat-seed: %ld / %ld messages (%.1f%%), %.0f messages/s, %.0f s, eta %.0f s\n",
            done, s->o.messages, 100.0 * (double)done / (double)s->o.messages, rate, el, eta);
}

static int append_all(struct seed *s, struct store_conn *c, double *worst_ms)
{
    const struct store_backend *b = &store_sqlite_backend;
    struct store_chat_event *batch = xcalloc(SEED_BATCH, sizeof *batch);
    size_t next_place = 0, k = 0;
    int64_t t0 = bench_now_us(), last_progress = t0;
    int rc = 0;
    for (long i = 0; i < s->o.messages; i++) {
        const struct place *p = next_place < s->nplaces && s->places[next_place].pos == i
                                    ? &s->places[next_place++]
                                    : NULL;
        const struct marker *m = p ? &markers[p->marker] : NULL;
        long room = m && m->room == MARKER_BIG     ? 0
                    : m && m->room == MARKER_SMALL ? s->o.rooms - 1
                                                   : pick_room(s);
        long user = (long)rnd_below(&s->rng, (uint64_t)s->o.users);
        struct store_chat_event *e = &batch[k++];
        memset(e, 0, sizeof *e);
        room_name(s, room, e->room, sizeof e->room);
        e->seq = ++s->room_seq[room];
        snprintf(e->type, sizeof e->type, "message");
        e->user_id = s->user_ids[user];
        snprintf(e->username, sizeof e->username, "%s", s->user_names[user]);
        e->ts = SEED_TS_BASE + (int64_t)i * SEED_TS_STEP;
        size_t n = message_text(s, e->text);
        if (m) {
            /* At the start or the end of the message: a word of its own. */
            char word[64];
            size_t wl = (size_t)snprintf(word, sizeof word, " ");
            marker_text(m, p->variant, word + wl, sizeof word - wl);
            wl = strlen(word);
            assert(n + wl < sizeof e->text); /* a message is ~200 bytes at most */
            if (p->variant % 2) {
                memcpy(e->text + n, word, wl + 1);
            } else {
                memmove(e->text + wl, e->text, n + 1); /* "marker " + the words */
                memcpy(e->text, word + 1, wl - 1);
                e->text[wl - 1] = ' ';
            }
        }
        s->room_msgs[room]++;
        if (k == SEED_BATCH || i + 1 == s->o.messages) {
            int64_t b0 = bench_now_us();
            if ((rc = b->chat_append(c, batch, k)) != 0) {
                fprintf(stderr, "onair-bench chat-seed: chat_append failed at message %ld: %s\n", i,
                        onair_strerror(rc));
                break;
            }
            double ms = (double)(bench_now_us() - b0) / 1e3;
            if (ms > *worst_ms)
                *worst_ms = ms;
            k = 0;
            if (!s->o.quiet && bench_now_us() - last_progress >= 1000000) {
                last_progress = bench_now_us();
                progress(s, i + 1, t0);
            }
        }
    }
    free(batch);
    return rc ? -1 : 0;
}

/* ---- manifest ---- */

static long long file_size(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static json_t *manifest_json(const struct seed *s, double secs, double worst_ms)
{
    char big[STORE_ROOM_MAX + 1], small[STORE_ROOM_MAX + 1];
    room_name(s, 0, big, sizeof big);
    room_name(s, s->o.rooms - 1, small, sizeof small);
    json_t *list = json_array();
    for (size_t i = 0; i < NMARKERS; i++) {
        const struct marker *m = &markers[i];
        json_t *room = m->room == MARKER_BIG     ? json_string(big)
                       : m->room == MARKER_SMALL ? json_string(small)
                                                 : json_null();
        json_array_append_new(list,
                              json_pack("{s:s,s:I,s:o}", "text", m->text, "count",
                                        (json_int_t)marker_count(m, s->o.messages), "room", room));
    }
    long long db = file_size(s->o.data, "onair.db") + file_size(s->o.data, "onair.db-wal");
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:s,s:I,s:o,s:f,s:f,s:f,s:I}", "scenario",
                     "chat-seed", "messages", (json_int_t)s->o.messages, "rooms",
                     (json_int_t)s->o.rooms, "users", (json_int_t)s->o.users, "seed",
                     (json_int_t)s->o.seed, "batch", (json_int_t)SEED_BATCH, "big_room", big,
                     "big_room_messages", (json_int_t)s->room_msgs[0], "small_room", small,
                     "small_room_messages", (json_int_t)s->room_msgs[s->o.rooms - 1], "markers",
                     list, "seconds", round(secs * 10) / 10, "messages_per_s",
                     secs > 0 ? round((double)s->o.messages / secs) : 0.0, "slowest_batch_ms",
                     round(worst_ms * 10) / 10, "db_bytes", (json_int_t)db);
}

static int write_manifest(const struct seed *s, json_t *m)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", s->o.data, BENCH_SEED_MANIFEST);
    snprintf(path, sizeof path, "%s/%s", s->o.data, BENCH_SEED_MANIFEST);
    if (json_dump_file(m, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) !=
            0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "onair-bench chat-seed: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void seed_free(struct seed *s)
{
    free(s->room_cum);
    free(s->user_ids);
    free(s->user_names);
    free(s->room_seq);
    free(s->room_msgs);
    free(s->places);
}

int bench_scenario_chat_seed(int argc, char **argv)
{
    struct seed s = {0};
    int rc = bench_search_parse(BENCH_CHAT_SEED, argc, argv, &s.o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (!s.o.users)
        s.o.users = s.o.rooms > 1000 ? s.o.rooms : 1000;
    if (file_size(s.o.data, "onair.db") > 0) {
        fprintf(stderr,
                "onair-bench chat-seed: %s already has a database; seed an empty directory\n",
                s.o.data);
        return 2;
    }
    log_set_level(LOG_WARN); /* the store's migration notes are not progress */
    s.rng.s = (uint64_t)s.o.seed * 0x2545F4914F6CDD1Dull + 1;
    for (size_t i = 0; i < NVOCAB; i++)
        s.vocab_total += vocab[i].weight;
    s.room_cum = xcalloc((size_t)s.o.rooms, sizeof *s.room_cum);
    for (long i = 0; i < s.o.rooms; i++)
        s.room_cum[i] = (i ? s.room_cum[i - 1] : 0) + 1.0 / (double)(i + 1);
    s.user_ids = xcalloc((size_t)s.o.users, sizeof *s.user_ids);
    s.user_names = xcalloc((size_t)s.o.users, sizeof *s.user_names);
    s.room_seq = xcalloc((size_t)s.o.rooms, sizeof *s.room_seq);
    s.room_msgs = xcalloc((size_t)s.o.rooms, sizeof *s.room_msgs);
    plan_markers(&s);

    const struct store_backend *b = &store_sqlite_backend;
    struct store_options sopt = {.data_dir = s.o.data, .busy_timeout_ms = 10000};
    struct store_conn *c = NULL;
    int status = 1;
    int64_t t0 = bench_now_us();
    double worst = 0;
    if ((rc = b->open(&sopt, &c)) != 0 || (rc = b->migrate(c)) != 0) {
        fprintf(stderr, "onair-bench chat-seed: cannot open and migrate %s/onair.db: %s\n",
                s.o.data, onair_strerror(rc));
        goto out;
    }
    if (sign_up(&s, c) || append_all(&s, c, &worst))
        goto out;
    b->close(c); /* the last connection: checkpoints the WAL into the file */
    c = NULL;
    double secs = (double)(bench_now_us() - t0) / 1e6;
    json_t *m = manifest_json(&s, secs, worst);
    if (write_manifest(&s, m)) {
        json_decref(m);
        goto out;
    }
    if (!s.o.quiet)
        fprintf(stderr,
                "chat-seed: %ld messages in %ld rooms stored in %.1f s (%.0f messages/s, slowest "
                "batch %.0f ms), database %.1f MiB\n",
                s.o.messages, s.o.rooms, secs, (double)s.o.messages / secs, worst,
                (double)json_integer_value(json_object_get(m, "db_bytes")) / 1048576.0);
    if (s.o.json)
        bench_json_print(m);
    else
        json_decref(m);
    status = 0;
out:
    if (c)
        b->close(c);
    seed_free(&s);
    return status;
}
