/*
 * test_store_chat.c - the chat part of the store contract (store.h, "chat"):
 * the event log of every room (group commit, replay, history), search,
 * user rooms, moderators, bans and slow mode. Written against
 * `const struct store_backend *` only, like test_store_contract.c, with the
 * same harness (store_fixture.h), so it runs unchanged against each backend.
 * Each test checks something a user would notice: a message lost or shown
 * twice, a deleted message still found, a private room listed to a
 * stranger, a timeout that never ends.
 *
 * ONAIR_STORE_BENCH=1 also runs test_bench_insert_and_search, which stores
 * 1,000,000 messages (or as many as the variable says, if that is 1000 or
 * more) in batches of 500 and prints how long inserting and searching take.
 * It asserts only correctness; `make test` does not set the variable. Build
 * optimized to measure (the default RelWithDebInfo).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/err.h"
#include "store/store.h"
#include "store_fixture.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static struct store_chat_event event(const char *room, int64_t seq, const char *type,
                                     int64_t user_id, const char *username, const char *text)
{
    struct store_chat_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.room, sizeof e.room, "%s", room);
    e.seq = seq;
    snprintf(e.type, sizeof e.type, "%s", type);
    e.user_id = user_id;
    snprintf(e.username, sizeof e.username, "%s", username ? username : "");
    snprintf(e.text, sizeof e.text, "%s", text ? text : "");
    e.ts = 1700000000000 + seq;
    return e;
}

static struct store_chat_event msg(const char *room, int64_t seq, const char *text)
{
    return event(room, seq, "message", 7, "alice", text);
}

static struct store_chat_event deletion(const char *room, int64_t seq, int64_t ref_seq)
{
    struct store_chat_event e = event(room, seq, "deleted", 0, NULL, NULL);
    e.ref_seq = ref_seq;
    return e;
}

static int append1(struct fx *f, struct store_chat_event e)
{
    return B->chat_append(f->c, &e, 1);
}

static int64_t last_seq(struct fx *f, const char *room)
{
    int64_t v = -1;
    assert_int_equal(B->chat_last_seq(f->c, room, &v), 0);
    return v;
}

/* The seqs of room's whole history, oldest first, as "1,2,3". */
static void seqs_of(struct fx *f, const char *room, char *out, size_t cap)
{
    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, room, 0, STORE_CHAT_PAGE_MAX, &ev, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)ev[i].seq);
    }
    free(ev);
}

/* Searches and returns the hits' texts newest first as "a|b|c" (and the
 * hits themselves if hits_out is not NULL; free them). */
static void search(struct fx *f, const char *q, const char *room, int64_t before_id, size_t limit,
                   char *out, size_t cap, struct store_search_hit **hits_out, size_t *n_out)
{
    struct store_search_hit *h;
    size_t n;
    assert_int_equal(B->chat_search(f->c, q, room, before_id, limit, &h, &n), 0);
    assert_true(n <= limit);
    assert_true(n > 0 || h == NULL);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i ? "|" : "", h[i].ev.text);
        if (i)
            assert_true(h[i].id < h[i - 1].id); /* newest first */
        if (before_id > 0)
            assert_true(h[i].id < before_id);
        assert_false(h[i].ev.deleted);
    }
    if (hits_out) {
        *hits_out = h;
        *n_out = n;
    } else {
        free(h);
    }
}

/* ---- the event log ---- */

static void test_append_since_history_order_and_limits(void **state)
{
    struct fx *f = *state;
    /* One batch spanning two rooms, as the writer's group commit does. */
    struct store_chat_event batch[13];
    size_t k = 0;
    for (int i = 1; i <= 10; i++) {
        char text[32];
        snprintf(text, sizeof text, "a%d", i);
        batch[k++] = msg("channel:alice", i, text);
        if (i % 4 == 0) {
            snprintf(text, sizeof text, "b%d", i / 4);
            batch[k++] = msg("room:1", i / 4, text);
        }
    }
    batch[k] = event("room:1", 3, "donation", 9, "bob", "for you");
    batch[k].amount = 1000;
    snprintf(batch[k].client_id, sizeof batch[k].client_id, "c-42");
    k++;
    assert_int_equal(k, 13);
    assert_int_equal(B->chat_append(f->c, batch, k), 0);

    assert_int_equal(last_seq(f, "channel:alice"), 10);
    assert_int_equal(last_seq(f, "room:1"), 3);
    assert_int_equal(last_seq(f, "channel:nobody"), 0);

    /* Replay after seq 7, oldest first. */
    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:alice", 7, 100, &ev, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ev[i].seq, 8 + (int64_t)i);
    assert_string_equal(ev[0].text, "a8");
    assert_string_equal(ev[0].type, "message");
    assert_string_equal(ev[0].room, "channel:alice");
    assert_int_equal(ev[0].user_id, 7);
    assert_string_equal(ev[0].username, "alice");
    assert_int_equal(ev[0].ts, 1700000000008);
    assert_false(ev[0].deleted);
    free(ev);
    /* The limit cuts the replay, oldest kept. */
    assert_int_equal(B->chat_since(f->c, "channel:alice", 0, 3, &ev, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].seq, 1);
    assert_int_equal(ev[2].seq, 3);
    free(ev);
    /* Nothing after the newest. */
    ev = (void *)1;
    assert_int_equal(B->chat_since(f->c, "channel:alice", 10, 100, &ev, &n), 0);
    assert_int_equal(n, 0);
    assert_null(ev);

    /* History pages newest first. */
    assert_int_equal(B->chat_history(f->c, "channel:alice", 0, 4, &ev, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ev[0].seq, 10);
    assert_int_equal(ev[3].seq, 7);
    free(ev);
    assert_int_equal(B->chat_history(f->c, "channel:alice", 7, 4, &ev, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ev[0].seq, 6);
    assert_int_equal(ev[3].seq, 3);
    free(ev);
    assert_int_equal(B->chat_history(f->c, "channel:alice", 3, 100, &ev, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ev[1].seq, 1);
    free(ev);

    /* The other room is separate, and its donation round-trips. */
    assert_int_equal(B->chat_history(f->c, "room:1", 0, 100, &ev, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ev[0].type, "donation");
    assert_int_equal(ev[0].amount, 1000);
    assert_string_equal(ev[0].username, "bob");
    assert_string_equal(ev[0].client_id, "c-42");
    assert_string_equal(ev[1].text, "b2");
    assert_string_equal(ev[1].client_id, "");
    free(ev);

    /* Limits outside 1..STORE_CHAT_PAGE_MAX are refused. */
    assert_int_equal(B->chat_since(f->c, "channel:alice", 0, 0, &ev, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_since(f->c, "channel:alice", 0, STORE_CHAT_PAGE_MAX + 1, &ev, &n),
                     ONAIR_EINVAL);
    assert_int_equal(B->chat_history(f->c, "channel:alice", 0, 0, &ev, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_since(f->c, "", 0, 10, &ev, &n), ONAIR_EINVAL);
    /* An empty batch is nothing to do. */
    assert_int_equal(B->chat_append(f->c, NULL, 0), 0);
}

static void test_full_page_of_since(void **state)
{
    struct fx *f = *state;
    enum { N = STORE_CHAT_PAGE_MAX + 5 };
    struct store_chat_event *batch = xcalloc(N, sizeof *batch);
    for (int i = 0; i < N; i++)
        batch[i] = msg("channel:big", i + 1, "x");
    assert_int_equal(B->chat_append(f->c, batch, N), 0);
    free(batch);
    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:big", 0, STORE_CHAT_PAGE_MAX, &ev, &n), 0);
    assert_int_equal(n, STORE_CHAT_PAGE_MAX);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ev[i].seq, (int64_t)i + 1);
    free(ev);
    assert_int_equal(B->chat_since(f->c, "channel:big", STORE_CHAT_PAGE_MAX, 100, &ev, &n), 0);
    assert_int_equal(n, 5);
    free(ev);
}

/* A batch with a seq that is taken stores nothing at all: the writer can
 * nack every message of it and nobody sees half a batch. */
static void test_seq_conflict_stores_nothing_of_the_batch(void **state)
{
    struct fx *f = *state;
    struct store_chat_event first[3] = {msg("channel:a", 1, "one"), msg("channel:a", 2, "two"),
                                        msg("channel:a", 3, "three")};
    assert_int_equal(B->chat_append(f->c, first, 3), 0);

    struct store_chat_event bad[3] = {msg("channel:b", 1, "other room"),
                                      msg("channel:a", 4, "four"),
                                      msg("channel:a", 3, "three again")};
    assert_int_equal(B->chat_append(f->c, bad, 3), ONAIR_ECONFLICT);
    char seqs[256];
    seqs_of(f, "channel:a", seqs, sizeof seqs);
    assert_string_equal(seqs, "1,2,3");
    assert_int_equal(last_seq(f, "channel:b"), 0);
    char got[256];
    search(f, "four", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    search(f, "other room", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");

    /* The same seq twice inside one batch conflicts too. */
    struct store_chat_event twice[2] = {msg("channel:a", 4, "x"), msg("channel:a", 4, "y")};
    assert_int_equal(B->chat_append(f->c, twice, 2), ONAIR_ECONFLICT);
    assert_int_equal(last_seq(f, "channel:a"), 3);

    /* Within a room seqs only grow: an old seq never stored is refused as
     * well. Gaps are stored as they come. */
    assert_int_equal(append1(f, msg("channel:c", 5, "five")), 0);
    assert_int_equal(append1(f, msg("channel:c", 2, "two")), ONAIR_ECONFLICT);
    assert_int_equal(append1(f, msg("channel:c", 5, "five again")), ONAIR_ECONFLICT);
    assert_int_equal(append1(f, msg("channel:c", 6, "six")), 0);
    seqs_of(f, "channel:c", seqs, sizeof seqs);
    assert_string_equal(seqs, "5,6");

    /* The corrected batch goes through. */
    bad[2] = msg("channel:a", 5, "five");
    assert_int_equal(B->chat_append(f->c, bad, 3), 0);
    seqs_of(f, "channel:a", seqs, sizeof seqs);
    assert_string_equal(seqs, "1,2,3,4,5");
    assert_int_equal(last_seq(f, "channel:b"), 1);
}

/* Events the contract does not allow are refused before anything is
 * written, so a batch is never half-stored for that reason either. */
static void test_invalid_events_store_nothing(void **state)
{
    struct fx *f = *state;
    struct store_chat_event b[2] = {msg("channel:a", 1, "fine"), msg("channel:a", 2, "x")};

    snprintf(b[1].type, sizeof b[1].type, "bogus");
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = msg("channel:a", 0, "seq 0");
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = msg("channel:a", 2, "x");
    b[1].amount = -5;
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = deletion("channel:a", 2, 0);
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = deletion("channel:a", 2, 2);
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = msg("", 2, "no room");
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    /* Fields that are not NUL-terminated inside their arrays. */
    b[1] = msg("channel:a", 2, "x");
    memset(b[1].text, 'x', sizeof b[1].text);
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = msg("channel:a", 2, "x");
    memset(b[1].room, 'r', sizeof b[1].room);
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    b[1] = msg("channel:a", 2, "x");
    memset(b[1].client_id, 'c', sizeof b[1].client_id);
    assert_int_equal(B->chat_append(f->c, b, 2), ONAIR_EINVAL);
    assert_int_equal(B->chat_append(f->c, NULL, 1), ONAIR_EINVAL);
    assert_int_equal(last_seq(f, "channel:a"), 0);

    /* Exactly at the limits is fine and round-trips. */
    b[1] = msg("channel:a", 2, "x");
    memset(b[1].text, 'x', STORE_TEXT_MAX);
    b[1].text[STORE_TEXT_MAX] = '\0';
    memset(b[1].client_id, 'c', STORE_KEY_MAX);
    b[1].client_id[STORE_KEY_MAX] = '\0';
    assert_int_equal(B->chat_append(f->c, b, 2), 0);
    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_history(f->c, "channel:a", 0, 1, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(ev[0].text), STORE_TEXT_MAX);
    assert_int_equal(strlen(ev[0].client_id), STORE_KEY_MAX);
    free(ev);
}

/* A deletion hides the message everywhere: history and replay say it was
 * deleted (without its text) and search no longer finds it. */
/* SQLite only: the search index agrees with the rows it indexes (FTS5's
 * integrity-check against its content view). The writer indexes a batch's
 * rows at its end, so a deletion inside the batch must index first. */
static void assert_search_index_consistent(struct fx *f)
{
    if (strcmp(B->name, "sqlite") != 0)
        return;
    char path[192];
    snprintf(path, sizeof path, "%s/onair.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char *msg = NULL;
    int rc = sqlite3_exec(db, "INSERT INTO chat_fts (chat_fts) VALUES ('integrity-check')", NULL,
                          NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("chat_fts integrity-check: %s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_close(db);
}

static void test_deleted_event_hides_the_message(void **state)
{
    struct fx *f = *state;
    struct store_chat_event b[3] = {msg("channel:a", 1, "hello world"),
                                    msg("channel:a", 2, "hello again"),
                                    msg("channel:a", 3, "rude hello")};
    assert_int_equal(B->chat_append(f->c, b, 3), 0);
    char got[256];
    search(f, "hello", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "rude hello|hello again|hello world");

    assert_int_equal(append1(f, deletion("channel:a", 4, 3)), 0);
    search(f, "hello", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "hello again|hello world");
    search(f, "rude", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    search(f, "ru", "channel:a", 0, 10, got, sizeof got, NULL, NULL); /* short query path */
    assert_string_equal(got, "");

    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:a", 0, 10, &ev, &n), 0);
    assert_int_equal(n, 4);
    assert_false(ev[1].deleted);
    assert_string_equal(ev[1].text, "hello again");
    assert_true(ev[2].deleted);
    assert_string_equal(ev[2].text, "");
    assert_string_equal(ev[2].username, "alice"); /* who said it stays */
    assert_string_equal(ev[3].type, "deleted");
    assert_int_equal(ev[3].ref_seq, 3);
    assert_false(ev[3].deleted);
    free(ev);

    /* A message and its deletion in the same batch. */
    struct store_chat_event b2[2] = {msg("channel:a", 5, "spam spam"), deletion("channel:a", 6, 5)};
    assert_int_equal(B->chat_append(f->c, b2, 2), 0);
    search(f, "spam", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");

    /* Deleting twice, or deleting what is not a message, changes nothing
     * and is stored as an event like any other. */
    assert_int_equal(append1(f, deletion("channel:a", 7, 3)), 0);
    assert_int_equal(append1(f, deletion("channel:a", 8, 4)), 0);
    /* A deletion in another room with the same seq leaves this one alone. */
    assert_int_equal(append1(f, msg("channel:b", 1, "hello from b")), 0);
    assert_int_equal(append1(f, deletion("channel:b", 2, 1)), 0);
    search(f, "hello", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "hello again|hello world");
    assert_int_equal(last_seq(f, "channel:a"), 8);

    /* Several messages and deletions interleaved in one batch. */
    struct store_chat_event b3[6] = {
        msg("channel:a", 9, "keep one"),  msg("channel:a", 10, "drop one"),
        deletion("channel:a", 11, 10),    msg("channel:a", 12, "keep two"),
        msg("channel:a", 13, "drop two"), deletion("channel:a", 14, 13),
    };
    assert_int_equal(B->chat_append(f->c, b3, 6), 0);
    search(f, "one", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "keep one");
    search(f, "two", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "keep two");
    search(f, "drop", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    assert_search_index_consistent(f);
}

/* ---- search ---- */

static void test_search_korean_and_english_substrings(void **state)
{
    struct fx *f = *state;
    struct store_chat_event b[4] = {
        msg("channel:a", 1, "안녕하세요 여러분"), msg("channel:a", 2, "Hello there"),
        msg("channel:a", 3, "방송 재밌어요 ㅋㅋㅋ"), msg("channel:a", 4, "nothing to see")};
    assert_int_equal(B->chat_append(f->c, b, 4), 0);

    struct store_search_hit *h;
    size_t n;
    char got[512];
    search(f, "하세요", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "안녕하세요 여러분");
    assert_string_equal(h[0].snippet, "안녕\x02하세요\x03 여러분");
    assert_string_equal(h[0].ev.room, "channel:a");
    assert_int_equal(h[0].ev.seq, 1);
    free(h);
    /* Two characters: no trigram, still found. */
    search(f, "여러", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "안녕하세요 여러분");
    assert_string_equal(h[0].snippet, "안녕하세요 \x02여러\x03분");
    free(h);
    search(f, "여러", "channel:a", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "안녕하세요 여러분");
    search(f, "안녕하세요 여러분", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "안녕하세요 여러분");
    /* English: a substring inside a word, any ASCII case. */
    search(f, "ell", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "Hello there");
    assert_string_equal(h[0].snippet, "H\x02"
                                      "ell\x03o there");
    free(h);
    search(f, "HELLO", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "Hello there");
    assert_string_equal(h[0].snippet, "\x02Hello\x03 there");
    free(h);
    search(f, "he", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "Hello there");
    assert_string_equal(h[0].snippet, "\x02He\x03llo t\x02he\x03re");
    free(h);
    search(f, "ㅋㅋ", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "방송 재밌어요 ㅋㅋㅋ");
    /* Not there. */
    search(f, "하세여", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    search(f, "xyz", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    search(f, "q", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
}

static void test_search_room_filter_newest_first_and_paging(void **state)
{
    struct fx *f = *state;
    /* Alternating rooms, in storage order 1..10. */
    struct store_chat_event b[10];
    for (int i = 0; i < 10; i++) {
        char text[32];
        snprintf(text, sizeof text, "match %d", i + 1);
        b[i] = msg(i % 2 ? "channel:b" : "channel:a", i / 2 + 1, text);
    }
    assert_int_equal(B->chat_append(f->c, b, 10), 0);
    assert_int_equal(append1(f, msg("channel:a", 6, "unrelated")), 0);

    char got[512];
    search(f, "match", NULL, 0, 100, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "match 10|match 9|match 8|match 7|match 6|match 5|match 4|"
                             "match 3|match 2|match 1");
    search(f, "match", "channel:a", 0, 100, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "match 9|match 7|match 5|match 3|match 1");
    search(f, "match", "channel:nobody", 0, 100, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");

    /* Paging by the last hit's id, in every mode: long and short queries,
     * all rooms and one room. Pages never overlap or skip. */
    static const struct {
        const char *q, *room, *want;
    } modes[] = {
        {"match", NULL,
         "match 10|match 9|match 8|match 7|match 6|match 5|match 4|match 3|"
         "match 2|match 1"},
        {"ma", NULL,
         "match 10|match 9|match 8|match 7|match 6|match 5|match 4|match 3|"
         "match 2|match 1"},
        {"match", "channel:b", "match 10|match 8|match 6|match 4|match 2"},
        {"ch", "channel:b", "match 10|match 8|match 6|match 4|match 2"},
    };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char all[1024] = "";
        int64_t cursor = 0;
        for (int page = 0; page < 10; page++) {
            struct store_search_hit *h;
            size_t n;
            search(f, modes[m].q, modes[m].room, cursor, 3, got, sizeof got, &h, &n);
            if (n == 0)
                break;
            size_t len = strlen(all);
            snprintf(all + len, sizeof all - len, "%s%s", len ? "|" : "", got);
            cursor = h[n - 1].id;
            free(h);
        }
        assert_string_equal(all, modes[m].want);
    }

    /* A cursor taken from an all-rooms search still pages one room right. */
    struct store_search_hit *h;
    size_t n;
    search(f, "match", NULL, 0, 2, got, sizeof got, &h, &n); /* 10 (room b), 9 (room a) */
    int64_t cursor = h[1].id;
    free(h);
    search(f, "ma", "channel:b", cursor, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "match 8|match 6|match 4|match 2");
    search(f, "match", "channel:b", cursor, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "match 8|match 6|match 4|match 2");
}

/* What people type is what is searched: no wildcards, no operators, no
 * quotes breaking out. */
/* Appends n filler messages to room from seq first on, in one batch. */
static void filler(struct fx *f, const char *room, int64_t first, int n)
{
    struct store_chat_event *b = xcalloc((size_t)n, sizeof *b);
    for (int i = 0; i < n; i++)
        b[i] = msg(room, first + i, "filler text");
    assert_int_equal(B->chat_append(f->c, b, (size_t)n), 0);
    free(b);
}

/* 1-2 character queries find old messages too, not only recent ones,
 * including a match at the very end of a text, and page across the
 * boundary between what is scanned and what the index answers. */
static void test_search_short_queries_reach_old_messages(void **state)
{
    struct fx *f = *state;
    struct store_chat_event old[3] = {msg("channel:a", 1, "와 대박"),
                                      msg("channel:a", 2, "대박 사건"),
                                      msg("channel:b", 1, "여기도 대박이다")};
    assert_int_equal(B->chat_append(f->c, old, 3), 0);
    filler(f, "channel:a", 3, STORE_SEARCH_SHORT_WINDOW + 50);
    struct store_chat_event recent[2] = {msg("channel:b", 2, "방금 대박"),
                                         msg("channel:a", STORE_SEARCH_SHORT_WINDOW + 53, "대박!")};
    assert_int_equal(B->chat_append(f->c, recent, 2), 0);

    char got[512];
    struct store_search_hit *h;
    size_t n;
    search(f, "대박", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "대박!|방금 대박|여기도 대박이다|대박 사건|와 대박");
    assert_string_equal(h[4].snippet, "와 \x02대박\x03");
    free(h);
    search(f, "대박", "channel:a", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "대박!|대박 사건|와 대박");
    search(f, "박", "channel:b", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "방금 대박|여기도 대박이다");
    search(f, "와", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "와 대박");

    /* Two per page: the first page comes from the newest events, the next
     * ones from the index; nothing is skipped or repeated. */
    char all[1024] = "";
    int64_t cursor = 0;
    for (int page = 0; page < 10; page++) {
        search(f, "대박", NULL, cursor, 2, got, sizeof got, &h, &n);
        if (n == 0)
            break;
        size_t len = strlen(all);
        snprintf(all + len, sizeof all - len, "%s%s", len ? "|" : "", got);
        cursor = h[n - 1].id;
        free(h);
    }
    assert_string_equal(all, "대박!|방금 대박|여기도 대박이다|대박 사건|와 대박");

    /* Deleted old messages are gone from that path too. */
    assert_int_equal(append1(f, deletion("channel:a", STORE_SEARCH_SHORT_WINDOW + 54, 2)), 0);
    search(f, "대박", "channel:a", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "대박!|와 대박");
}

/* A 1-character string with more continuations than the index expansion
 * takes is answered from the newest events only (store.h). */
static void test_search_very_common_short_query_sees_recent_window(void **state)
{
    struct fx *f = *state;
    enum { OLD = STORE_SEARCH_SHORT_TERMS + 20 };
    struct store_chat_event *b = xcalloc(OLD, sizeof *b);
    for (int i = 0; i < OLD; i++) {
        char text[32];
        /* "ㅋ" followed by OLD different syllables */
        unsigned cp = 0xAC00 + (unsigned)i;
        snprintf(text, sizeof text, "ㅋ%c%c%c", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F),
                 0x80 | (cp & 0x3F));
        b[i] = msg("channel:a", i + 1, text);
    }
    assert_int_equal(B->chat_append(f->c, b, OLD), 0);
    free(b);
    filler(f, "channel:a", OLD + 1, STORE_SEARCH_SHORT_WINDOW);
    assert_int_equal(append1(f, msg("channel:a", OLD + STORE_SEARCH_SHORT_WINDOW + 1, "ㅋ 최근")),
                     0);
    char got[4096];
    search(f, "ㅋ", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "ㅋ 최근");
    /* A longer query still finds the old ones through the index. */
    search(f, "ㅋ가", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "ㅋ가");
    search(f, "ㅋ가나", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
}

static void test_search_query_is_literal(void **state)
{
    struct fx *f = *state;
    static const char *const texts[] = {
        "100% sure",      "50 percent", "a_b",       "axb",         "back\\slash",
        "say \"hi\" now", "x OR y",     "xyz OR ab", "NEAR(a b)",   "it's fine",
        "star * here",    "col:umn",    "^caret",    "minus -sign", "plain text",
    };
    enum { N = sizeof texts / sizeof texts[0] };
    struct store_chat_event b[N];
    for (int i = 0; i < N; i++)
        b[i] = msg("channel:a", i + 1, texts[i]);
    assert_int_equal(B->chat_append(f->c, b, N), 0);

    static const struct {
        const char *q, *want;
    } cases[] = {
        {"%", "100% sure"},
        {"_", "a_b"},
        {"a_", "a_b"},
        {"%%", ""},
        {"\\", "back\\slash"},
        {"0%", "100% sure"},
        {"0% s", "100% sure"},
        {"\"hi\"", "say \"hi\" now"},
        {"\"", "say \"hi\" now"},
        {"\"\"\"", ""},
        {"x OR y", "x OR y"},
        {"OR", "xyz OR ab|x OR y"},
        {"NEAR(a", "NEAR(a b)"},
        {"*", "star * here"},
        {"t*", ""},
        {"col:", "col:umn"},
        {"^ca", "^caret"},
        {"-si", "minus -sign"},
        {"'s", "it's fine"},
        {"' OR '1'='1", ""},
        {"'); DROP TABLE chat_events;--", ""},
    };
    char got[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        search(f, cases[i].q, NULL, 0, 10, got, sizeof got, NULL, NULL);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("query [%s]: got [%s], want [%s]", cases[i].q, got, cases[i].want);
        search(f, cases[i].q, "channel:a", 0, 10, got, sizeof got, NULL, NULL);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("query [%s] in room: got [%s], want [%s]", cases[i].q, got, cases[i].want);
    }
    /* Still all there. */
    assert_int_equal(last_seq(f, "channel:a"), N);
}

static void test_search_snippet_markers(void **state)
{
    struct fx *f = *state;
    char marked[64];
    snprintf(marked, sizeof marked, "a%cb%cc abc", STORE_HL_OPEN, STORE_HL_CLOSE);
    char many[STORE_TEXT_MAX + 1];
    for (size_t i = 0; i + 2 <= STORE_TEXT_MAX; i += 2)
        memcpy(many + i, "a ", 2);
    many[STORE_TEXT_MAX] = '\0';
    struct store_chat_event b[3] = {msg("channel:a", 1, "ㅋㅋㅋㅋㅋ 대박 ㅋㅋㅋ"),
                                    msg("channel:a", 2, marked), msg("channel:a", 3, many)};
    assert_int_equal(B->chat_append(f->c, b, 3), 0);

    struct store_search_hit *h;
    size_t n;
    char got[STORE_TEXT_MAX * 2];
    /* Overlapping matches make one span. */
    search(f, "ㅋㅋㅋ", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].snippet, "\x02ㅋㅋㅋㅋㅋ\x03 대박 \x02ㅋㅋㅋ\x03");
    free(h);
    /* Marker bytes typed into a message never pass for ours. */
    search(f, "abc", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].snippet, "a b c \x02"
                                      "abc\x03");
    free(h);
    /* A thousand matches: the snippet ends early but well-formed. */
    search(f, "a", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].ev.seq, 3);
    size_t len = strlen(h[0].snippet);
    assert_true(len < sizeof h[0].snippet);
    assert_true(len > STORE_TEXT_MAX / 2);
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (h[0].snippet[i] == STORE_HL_OPEN)
            assert_int_equal(depth++, 0);
        else if (h[0].snippet[i] == STORE_HL_CLOSE)
            assert_int_equal(depth--, 1);
    }
    assert_int_equal(depth, 0);
    free(h);
}

static void test_search_covers_donations_not_system_notices(void **state)
{
    struct fx *f = *state;
    struct store_chat_event b[3] = {
        event("channel:a", 1, "donation", 9, "bob", "응원합니다 화이팅"),
        event("channel:a", 2, "system", 0, NULL, "chat was cleared"),
        msg("channel:a", 3, "화이팅 화이팅")};
    b[0].amount = 5000;
    assert_int_equal(B->chat_append(f->c, b, 3), 0);
    struct store_search_hit *h;
    size_t n;
    char got[256];
    search(f, "화이팅", NULL, 0, 10, got, sizeof got, &h, &n);
    assert_string_equal(got, "화이팅 화이팅|응원합니다 화이팅");
    assert_string_equal(h[1].ev.type, "donation");
    assert_int_equal(h[1].ev.amount, 5000);
    free(h);
    search(f, "cleared", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    search(f, "ch", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
}

static void test_search_argument_errors(void **state)
{
    struct fx *f = *state;
    struct store_search_hit *h = (void *)1;
    size_t n = 9;
    char long_q[STORE_SEARCH_QUERY_MAX + 2];
    memset(long_q, 'q', sizeof long_q - 1);
    long_q[sizeof long_q - 1] = '\0';
    char long_room[STORE_ROOM_MAX + 2];
    memset(long_room, 'r', sizeof long_room - 1);
    long_room[sizeof long_room - 1] = '\0';
    assert_int_equal(B->chat_search(f->c, "", NULL, 0, 10, &h, &n), ONAIR_EINVAL);
    assert_null(h);
    assert_int_equal(n, 0);
    assert_int_equal(B->chat_search(f->c, NULL, NULL, 0, 10, &h, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_search(f->c, long_q, NULL, 0, 10, &h, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_search(f->c, "abc", NULL, 0, 0, &h, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_search(f->c, "abc", NULL, 0, STORE_SEARCH_PAGE_MAX + 1, &h, &n),
                     ONAIR_EINVAL);
    assert_int_equal(B->chat_search(f->c, "abc", long_room, 0, 10, &h, &n), ONAIR_EINVAL);
    assert_int_equal(B->chat_search(f->c, "abc", "", 0, 10, &h, &n), ONAIR_EINVAL);
    /* At the limits it works (and finds nothing in an empty store). */
    long_q[STORE_SEARCH_QUERY_MAX] = '\0';
    assert_int_equal(B->chat_search(f->c, long_q, NULL, 0, STORE_SEARCH_PAGE_MAX, &h, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(B->chat_search(f->c, "a", "channel:x", 0, 1, &h, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(B->chat_search(f->c, "a", NULL, 5, 1, &h, &n), 0);
    assert_int_equal(n, 0);
}

/* ---- clear ---- */

static void test_chat_clear(void **state)
{
    struct fx *f = *state;
    /* More than one chunk of a clear. */
    enum { N = 2500 };
    struct store_chat_event *b = xcalloc(N, sizeof *b);
    for (int i = 0; i < N; i++)
        b[i] = msg("channel:a", i + 1, i % 2 ? "odd words" : "even words");
    b[N - 2] = event("channel:a", N - 1, "donation", 9, "bob", "donation words");
    b[N - 2].amount = 100;
    b[N - 1] = event("channel:a", N, "system", 0, NULL, "stream started");
    assert_int_equal(B->chat_append(f->c, b, N), 0);
    free(b);
    assert_int_equal(append1(f, msg("channel:b", 1, "words in b")), 0);

    assert_int_equal(B->chat_clear(f->c, "channel:a"), 0);
    char got[256];
    search(f, "words", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "words in b");
    search(f, "wo", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "words in b");

    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:a", 0, STORE_CHAT_PAGE_MAX, &ev, &n), 0);
    assert_int_equal(n, STORE_CHAT_PAGE_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_true(ev[i].deleted);
        assert_string_equal(ev[i].text, "");
    }
    free(ev);
    assert_int_equal(B->chat_history(f->c, "channel:a", 0, 2, &ev, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[0].type, "system"); /* notices are not cleared */
    assert_false(ev[0].deleted);
    assert_string_equal(ev[0].text, "stream started");
    assert_true(ev[1].deleted);
    free(ev);

    /* The writer's notice, then chat goes on, and a second clear takes
     * only what came since. */
    struct store_chat_event after[2] = {event("channel:a", N + 1, "system", 0, NULL, "cleared"),
                                        msg("channel:a", N + 2, "fresh words")};
    assert_int_equal(B->chat_append(f->c, after, 2), 0);
    search(f, "words", "channel:a", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "fresh words");
    assert_int_equal(B->chat_clear(f->c, "channel:a"), 0);
    search(f, "words", "channel:a", 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "");
    assert_int_equal(B->chat_clear(f->c, "channel:a"), 0);
    assert_int_equal(B->chat_clear(f->c, "channel:empty"), 0);
    assert_int_equal(B->chat_clear(f->c, ""), ONAIR_EINVAL);
    /* A deletion of a cleared message is harmless. */
    assert_int_equal(append1(f, deletion("channel:a", N + 3, 5)), 0);
    assert_int_equal(last_seq(f, "channel:a"), N + 3);
    search(f, "words", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "words in b");
    assert_search_index_consistent(f);
}

/* ---- user rooms ---- */

static void test_rooms_public_private_and_members(void **state)
{
    struct fx *f = *state;
    struct store_user alice, bob, carol;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    assert_int_equal(signup(f, "bob", 1000, &bob, NULL), 0);
    assert_int_equal(signup(f, "carol", 1000, &carol, NULL), 0);

    struct store_room lobby, secret, mine;
    assert_int_equal(B->room_create(f->c, alice.id, "Lobby", false, NULL, 0, 2000, &lobby), 0);
    assert_true(lobby.id > 0);
    assert_string_equal(lobby.title, "Lobby");
    assert_false(lobby.private_);
    assert_int_equal(lobby.owner_id, alice.id);
    assert_int_equal(lobby.created_at, 2000);
    /* Members may repeat and include the owner. */
    int64_t members[] = {bob.id, bob.id, alice.id};
    assert_int_equal(B->room_create(f->c, alice.id, "Secret", true, members, 3, 3000, &secret), 0);
    assert_true(secret.private_);
    assert_true(secret.id != lobby.id);
    assert_int_equal(B->room_create(f->c, carol.id, "Carol's own", true, NULL, 0, 4000, &mine), 0);

    struct store_room got;
    assert_int_equal(B->room_get(f->c, secret.id, &got), 0);
    assert_string_equal(got.title, "Secret");
    assert_true(got.private_);
    assert_int_equal(got.owner_id, alice.id);
    assert_int_equal(got.created_at, 3000);
    assert_int_equal(B->room_get(f->c, mine.id + 100, &got), ONAIR_ENOTFOUND);

    bool is;
    assert_int_equal(B->room_is_member(f->c, secret.id, bob.id, &is), 0);
    assert_true(is);
    assert_int_equal(B->room_is_member(f->c, secret.id, alice.id, &is), 0);
    assert_true(is);
    assert_int_equal(B->room_is_member(f->c, secret.id, carol.id, &is), 0);
    assert_false(is);
    assert_int_equal(B->room_is_member(f->c, mine.id + 100, carol.id, &is), 0);
    assert_false(is);

    /* Lists, newest first. */
    struct store_room *list;
    size_t n;
    assert_int_equal(B->room_list(f->c, bob.id, &list, &n), 0); /* member */
    assert_int_equal(n, 2);
    assert_string_equal(list[0].title, "Secret");
    assert_string_equal(list[1].title, "Lobby");
    free(list);
    assert_int_equal(B->room_list(f->c, alice.id, &list, &n), 0); /* owner */
    assert_int_equal(n, 2);
    free(list);
    assert_int_equal(B->room_list(f->c, carol.id, &list, &n), 0); /* stranger to Secret */
    assert_int_equal(n, 2);
    assert_string_equal(list[0].title, "Carol's own");
    assert_string_equal(list[1].title, "Lobby");
    free(list);
    assert_int_equal(B->room_list(f->c, 0, &list, &n), 0); /* anonymous */
    assert_int_equal(n, 1);
    assert_string_equal(list[0].title, "Lobby");
    assert_int_equal(list[0].id, lobby.id);
    free(list);

    /* An unknown member or owner creates nothing. */
    int64_t ghost[] = {bob.id, carol.id + 1000};
    assert_int_equal(B->room_create(f->c, alice.id, "Ghost", false, ghost, 2, 5000, &got),
                     ONAIR_ENOTFOUND);
    assert_int_equal(B->room_create(f->c, carol.id + 1000, "Ghost", false, NULL, 0, 5000, &got),
                     ONAIR_ENOTFOUND);
    assert_int_equal(B->room_list(f->c, 0, &list, &n), 0);
    assert_int_equal(n, 1);
    free(list);
    /* Bad arguments. */
    assert_int_equal(B->room_create(f->c, alice.id, "", false, NULL, 0, 5000, &got), ONAIR_EINVAL);
    assert_int_equal(B->room_create(f->c, alice.id, "t", false, NULL, 1, 5000, &got), ONAIR_EINVAL);
    assert_int_equal(
        B->room_create(f->c, alice.id, "t", false, members, STORE_ROOM_MEMBERS_MAX + 1, 5000, &got),
        ONAIR_EINVAL);
}

/* ---- moderators ---- */

static void test_moderators(void **state)
{
    struct fx *f = *state;
    struct store_user alice, bob, carol;
    struct store_channel ch, other;
    assert_int_equal(signup(f, "alice", 1000, &alice, &ch), 0);
    assert_int_equal(signup(f, "carol", 1000, &carol, &other), 0);
    assert_int_equal(signup(f, "bob", 1000, &bob, NULL), 0);

    bool is;
    assert_int_equal(B->moderator_check(f->c, ch.id, bob.id, &is), 0);
    assert_false(is);
    assert_int_equal(B->moderator_add(f->c, ch.id, bob.id), 0);
    assert_int_equal(B->moderator_add(f->c, ch.id, bob.id), 0); /* idempotent */
    assert_int_equal(B->moderator_add(f->c, ch.id, carol.id), 0);
    assert_int_equal(B->moderator_check(f->c, ch.id, bob.id, &is), 0);
    assert_true(is);
    /* Per channel, and the owner is not one unless added. */
    assert_int_equal(B->moderator_check(f->c, other.id, bob.id, &is), 0);
    assert_false(is);
    assert_int_equal(B->moderator_check(f->c, ch.id, alice.id, &is), 0);
    assert_false(is);

    struct store_user *list;
    size_t n;
    assert_int_equal(B->moderator_list(f->c, ch.id, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].username, "bob");
    assert_int_equal(list[0].id, bob.id);
    assert_string_equal(list[1].username, "carol");
    assert_string_equal(list[0].password_hash, ""); /* never handed out */
    free(list);
    list = (void *)1;
    assert_int_equal(B->moderator_list(f->c, other.id, &list, &n), 0);
    assert_int_equal(n, 0);
    assert_null(list);

    assert_int_equal(B->moderator_remove(f->c, ch.id, bob.id), 0);
    assert_int_equal(B->moderator_remove(f->c, ch.id, bob.id), ONAIR_ENOTFOUND);
    assert_int_equal(B->moderator_check(f->c, ch.id, bob.id, &is), 0);
    assert_false(is);
    assert_int_equal(B->moderator_list(f->c, ch.id, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].username, "carol");
    free(list);

    assert_int_equal(B->moderator_add(f->c, ch.id, bob.id + 1000), ONAIR_ENOTFOUND);
    assert_int_equal(B->moderator_add(f->c, ch.id + 1000, bob.id), ONAIR_ENOTFOUND);
}

/* ---- bans, timeouts, slow mode ---- */

static void test_bans_and_timeouts(void **state)
{
    struct fx *f = *state;
    struct store_user bob, carol;
    assert_int_equal(signup(f, "bob", 1000, &bob, NULL), 0);
    assert_int_equal(signup(f, "carol", 1000, &carol, NULL), 0);
    bool banned = true;
    int64_t until = -1;

    assert_int_equal(B->ban_check(f->c, "channel:a", bob.id, 1000, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(until, 0);

    /* A ban holds at any time, only in its room. */
    assert_int_equal(B->ban_set(f->c, "channel:a", bob.id, 0, "spam"), 0);
    assert_int_equal(B->ban_check(f->c, "channel:a", bob.id, INT64_MAX, &banned, &until), 0);
    assert_true(banned);
    assert_int_equal(until, 0);
    assert_int_equal(B->ban_check(f->c, "channel:b", bob.id, 1000, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(B->ban_check(f->c, "channel:a", carol.id, 1000, &banned, &until), 0);
    assert_false(banned);

    /* A timeout ends by itself. */
    assert_int_equal(B->ban_set(f->c, "channel:b", carol.id, 61000, NULL), 0);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 1000, &banned, &until), 0);
    assert_true(banned);
    assert_int_equal(until, 61000);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 60999, &banned, &until), 0);
    assert_true(banned);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 61000, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(until, 0);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 99000, &banned, &until), 0);
    assert_false(banned);

    /* A new ban replaces the old one either way. */
    assert_int_equal(B->ban_set(f->c, "channel:a", bob.id, 5000, "shorter now"), 0);
    assert_int_equal(B->ban_check(f->c, "channel:a", bob.id, 6000, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(B->ban_set(f->c, "channel:b", carol.id, 0, "for good"), 0);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 99000, &banned, &until), 0);
    assert_true(banned);
    assert_int_equal(until, 0);

    /* Unban. */
    assert_int_equal(B->ban_clear(f->c, "channel:b", carol.id), 0);
    assert_int_equal(B->ban_check(f->c, "channel:b", carol.id, 99000, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(B->ban_clear(f->c, "channel:b", carol.id), ONAIR_ENOTFOUND);
    assert_int_equal(B->ban_clear(f->c, "channel:b", bob.id), ONAIR_ENOTFOUND);

    /* Errors. */
    assert_int_equal(B->ban_set(f->c, "channel:a", carol.id + 1000, 0, NULL), ONAIR_ENOTFOUND);
    assert_int_equal(B->ban_set(f->c, "channel:a", bob.id, -1, NULL), ONAIR_EINVAL);
    assert_int_equal(B->ban_set(f->c, "", bob.id, 0, NULL), ONAIR_EINVAL);
    char long_reason[STORE_REASON_MAX + 2];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    assert_int_equal(B->ban_set(f->c, "channel:a", bob.id, 0, long_reason), ONAIR_EINVAL);
    long_reason[STORE_REASON_MAX] = '\0';
    assert_int_equal(B->ban_set(f->c, "channel:a", bob.id, 0, long_reason), 0);
}

static void test_slow_mode(void **state)
{
    struct fx *f = *state;
    int secs = -1;
    assert_int_equal(B->room_slow_get(f->c, "channel:a", &secs), 0);
    assert_int_equal(secs, 0);
    assert_int_equal(B->room_slow_set(f->c, "channel:a", 5), 0);
    assert_int_equal(B->room_slow_set(f->c, "room:3", STORE_SLOW_MAX), 0);
    assert_int_equal(B->room_slow_get(f->c, "channel:a", &secs), 0);
    assert_int_equal(secs, 5);
    assert_int_equal(B->room_slow_get(f->c, "room:3", &secs), 0);
    assert_int_equal(secs, STORE_SLOW_MAX);
    assert_int_equal(B->room_slow_get(f->c, "channel:b", &secs), 0);
    assert_int_equal(secs, 0);
    assert_int_equal(B->room_slow_set(f->c, "channel:a", 0), 0);
    assert_int_equal(B->room_slow_get(f->c, "channel:a", &secs), 0);
    assert_int_equal(secs, 0);
    assert_int_equal(B->room_slow_set(f->c, "channel:a", -1), ONAIR_EINVAL);
    assert_int_equal(B->room_slow_set(f->c, "channel:a", STORE_SLOW_MAX + 1), ONAIR_EINVAL);
    /* Slow mode and a clear of the same room do not step on each other. */
    assert_int_equal(B->room_slow_set(f->c, "room:3", 30), 0);
    assert_int_equal(append1(f, msg("room:3", 1, "hi")), 0);
    assert_int_equal(B->chat_clear(f->c, "room:3"), 0);
    assert_int_equal(B->room_slow_get(f->c, "room:3", &secs), 0);
    assert_int_equal(secs, 30);
}

/* ---- durability and fidelity ---- */

static void test_everything_survives_reopen(void **state)
{
    struct fx *f = *state;
    struct store_user alice, bob;
    struct store_channel ch;
    assert_int_equal(signup(f, "alice", 1000, &alice, &ch), 0);
    assert_int_equal(signup(f, "bob", 1000, &bob, NULL), 0);
    struct store_chat_event b[3] = {msg("channel:alice", 1, "오래 남을 메시지"),
                                    msg("channel:alice", 2, "지워질 메시지"),
                                    deletion("channel:alice", 3, 2)};
    assert_int_equal(B->chat_append(f->c, b, 3), 0);
    struct store_room room;
    int64_t members[] = {bob.id};
    assert_int_equal(B->room_create(f->c, alice.id, "Kept", true, members, 1, 2000, &room), 0);
    assert_int_equal(B->moderator_add(f->c, ch.id, bob.id), 0);
    assert_int_equal(B->ban_set(f->c, "channel:alice", bob.id, 90000, "timeout"), 0);
    assert_int_equal(B->room_slow_set(f->c, "channel:alice", 10), 0);

    reopen(f);

    assert_int_equal(last_seq(f, "channel:alice"), 3);
    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:alice", 0, 10, &ev, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ev[0].text, "오래 남을 메시지");
    assert_true(ev[1].deleted);
    free(ev);
    char got[256];
    search(f, "메시지", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "오래 남을 메시지");
    search(f, "메시", NULL, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, "오래 남을 메시지");
    struct store_room r;
    assert_int_equal(B->room_get(f->c, room.id, &r), 0);
    assert_string_equal(r.title, "Kept");
    bool is;
    assert_int_equal(B->room_is_member(f->c, room.id, bob.id, &is), 0);
    assert_true(is);
    assert_int_equal(B->moderator_check(f->c, ch.id, bob.id, &is), 0);
    assert_true(is);
    int64_t until;
    assert_int_equal(B->ban_check(f->c, "channel:alice", bob.id, 5000, &is, &until), 0);
    assert_true(is);
    assert_int_equal(until, 90000);
    int secs;
    assert_int_equal(B->room_slow_get(f->c, "channel:alice", &secs), 0);
    assert_int_equal(secs, 10);
    /* And the log goes on where it was. */
    assert_int_equal(append1(f, msg("channel:alice", 3, "dup")), ONAIR_ECONFLICT);
    assert_int_equal(append1(f, msg("channel:alice", 4, "next")), 0);
}

static void test_text_round_trips_exactly(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    static const char nasty[] = "Robert'); DROP TABLE chat_events;-- \"q\" \\ % _ 🎮 \t\n end";
    static const char room[] = "room:1' OR '1'='1";
    struct store_chat_event e = msg(room, 1, nasty);
    snprintf(e.client_id, sizeof e.client_id, "c-'\";--");
    snprintf(e.username, sizeof e.username, "o'brien\"x");
    /* 500 characters of Korean plus change fit the text field. */
    struct store_chat_event k = msg(room, 2, "");
    for (int i = 0; i < 682; i++)
        memcpy(k.text + 3 * i, "한", 3);
    k.text[3 * 682] = '\0';
    struct store_chat_event both[2] = {e, k};
    assert_int_equal(B->chat_append(f->c, both, 2), 0);

    struct store_chat_event *ev;
    size_t n;
    assert_int_equal(B->chat_since(f->c, room, 0, 10, &ev, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[0].text, nasty);
    assert_string_equal(ev[0].room, room);
    assert_string_equal(ev[0].client_id, e.client_id);
    assert_string_equal(ev[0].username, e.username);
    assert_string_equal(ev[1].text, k.text);
    free(ev);
    /* A room name that looks like SQL is just a room nobody else is in. */
    assert_int_equal(last_seq(f, "room:1"), 0);

    char got[4096];
    search(f, "DROP TABLE", room, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, nasty);
    search(f, "한한한", room, 0, 10, got, sizeof got, NULL, NULL);
    assert_string_equal(got, k.text);

    struct store_room r;
    assert_int_equal(B->room_create(f->c, alice.id, nasty, false, NULL, 0, 1, &r), 0);
    assert_int_equal(B->room_get(f->c, r.id, &r), 0);
    assert_string_equal(r.title, nasty);
    assert_int_equal(B->ban_set(f->c, room, alice.id, 0, nasty), 0);
    bool banned;
    int64_t until;
    assert_int_equal(B->ban_check(f->c, room, alice.id, 1, &banned, &until), 0);
    assert_true(banned);
    assert_int_equal(B->ban_check(f->c, "room:1", alice.id, 1, &banned, &until), 0);
    assert_false(banned);
    assert_int_equal(B->room_slow_set(f->c, room, 7), 0);
    int secs;
    assert_int_equal(B->room_slow_get(f->c, "room:1", &secs), 0);
    assert_int_equal(secs, 0);
}

/* ---- concurrency ---- */

#define WRITER_BATCHES 60
#define WRITER_BATCH 50

struct reader {
    struct fx *f;
    atomic_bool *stop;
    int failures;
    long reads;
};

/* Reads history and searches on its own connection while the writer
 * commits: every page it sees is whole and in order. */
static void *read_while_writing(void *arg)
{
    struct reader *r = arg;
    struct store_conn *c;
    if (B->open(&r->f->opt, &c) != 0 || B->migrate(c) != 0) {
        r->failures++;
        return NULL;
    }
    do {
        struct store_chat_event *ev;
        size_t n;
        if (B->chat_history(c, "channel:busy", 0, 100, &ev, &n) != 0) {
            r->failures++;
            continue;
        }
        /* Batches are all or nothing: the newest seq ends a batch. */
        if (n > 0 && ev[0].seq % WRITER_BATCH != 0)
            r->failures++;
        for (size_t i = 1; i < n; i++)
            if (ev[i].seq != ev[i - 1].seq - 1)
                r->failures++;
        free(ev);
        struct store_search_hit *h;
        if (B->chat_search(c, "busy", "channel:busy", 0, 20, &h, &n) != 0)
            r->failures++;
        else
            free(h);
        r->reads++;
    } while (!atomic_load(r->stop));
    B->close(c);
    return NULL;
}

static void test_readers_see_whole_batches_while_writer_commits(void **state)
{
    struct fx *f = *state;
    atomic_bool stop = false;
    struct reader r = {.f = f, .stop = &stop};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_while_writing, &r), 0);
    struct store_chat_event *b = xcalloc(WRITER_BATCH, sizeof *b);
    int64_t seq = 0;
    for (int i = 0; i < WRITER_BATCHES; i++) {
        for (int j = 0; j < WRITER_BATCH; j++)
            b[j] = msg("channel:busy", ++seq, "busy busy");
        assert_int_equal(B->chat_append(f->c, b, WRITER_BATCH), 0);
    }
    free(b);
    atomic_store(&stop, true);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.failures, 0);
    assert_true(r.reads > 0);
    assert_int_equal(last_seq(f, "channel:busy"), WRITER_BATCHES * WRITER_BATCH);
}

/* ---- measurement (ONAIR_STORE_BENCH=1 only) ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs q `runs` times (first page, all rooms or one room) and prints
 * p50/p95 and what the first page held. */
static void time_search(struct fx *f, const char *label, const char *q, const char *room,
                        size_t limit)
{
    enum { RUNS = 200 };
    double t[RUNS];
    size_t hits = 0;
    for (int i = 0; i < RUNS; i++) {
        struct store_search_hit *h;
        double t0 = now_ms();
        assert_int_equal(B->chat_search(f->c, q, room, 0, limit, &h, &hits), 0);
        t[i] = now_ms() - t0;
        free(h);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("  search %-28s %-16s p50 %7.2f ms  p95 %7.2f ms  (%zu hits on the page)\n", label,
           room ? room : "(all rooms)", t[RUNS / 2], t[RUNS * 95 / 100], hits);
}

static void test_bench_insert_and_search(void **state)
{
    struct fx *f = *state;
    const char *env = getenv("ONAIR_STORE_BENCH");
    if (!env || !*env)
        skip();
    long total = strtol(env, NULL, 10);
    if (total < 1000)
        total = 1000000;
    enum { BATCH = 500, ROOMS = 100 };
    static const char *const words[] = {
        "안녕하세요", "여러분", "방송",   "재밌어요",   "ㅋㅋㅋ", "ㅎㅎ",   "대박",
        "진짜",       "오늘",   "게임",   "감사합니다", "화이팅", "좋아요", "와",
        "lol",        "gg",     "hello",  "nice",       "ㅠㅠ",   "뭐야",   "언제",
        "다음",       "보스",   "클리어", "축하해요",   "구독",   "했어요", "하하"};
    enum { NWORDS = sizeof words / sizeof words[0] };
    struct store_chat_event *b = xcalloc(BATCH, sizeof *b);
    int64_t seqs[ROOMS] = {0};
    long rare = 0;
    double t0 = now_ms(), worst = 0;
    for (long done_n = 0; done_n < total; done_n += BATCH) {
        for (int j = 0; j < BATCH; j++) {
            int r = (int)(rnd() % ROOMS);
            char room[32];
            snprintf(room, sizeof room, "channel:c%d", r);
            char text[256];
            size_t len = 0;
            int nw = 2 + (int)(rnd() % 6);
            for (int w = 0; w < nw; w++) {
                const char *word = words[rnd() % NWORDS];
                char buf[32];
                /* A long tail of random syllables, like names and slang. */
                if (rnd() % 4 == 0) {
                    unsigned cp = 0xAC00 + (unsigned)(rnd() % 11172);
                    unsigned cp2 = 0xAC00 + (unsigned)(rnd() % 11172);
                    snprintf(buf, sizeof buf, "%c%c%c%c%c%c", 0xE0 | (cp >> 12),
                             0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F), 0xE0 | (cp2 >> 12),
                             0x80 | ((cp2 >> 6) & 0x3F), 0x80 | (cp2 & 0x3F));
                    word = buf;
                }
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", w ? " " : "", word);
            }
            if (rnd() % 10000 == 0) { /* about 100 per million */
                snprintf(text + len, sizeof text - len, " 뾰로롱");
                rare++;
            }
            b[j] = event(room, ++seqs[r], "message", 1 + (int64_t)(rnd() % 5000), "viewer", text);
        }
        double t1 = now_ms();
        assert_int_equal(B->chat_append(f->c, b, BATCH), 0);
        double dt = now_ms() - t1;
        if (dt > worst)
            worst = dt;
    }
    double elapsed = now_ms() - t0;
    free(b);
    printf("  inserted %ld messages in batches of %d: %.1f s (%.0f messages/s), slowest batch "
           "%.1f ms; %ld carry the rare word\n",
           total, BATCH, elapsed / 1e3, total / (elapsed / 1e3), worst, rare);

    time_search(f, "common 3 chars 하세요", "하세요", NULL, 20);
    time_search(f, "common 3 chars 하세요", "하세요", "channel:c7", 20);
    time_search(f, "common 3 chars ㅋㅋㅋ", "ㅋㅋㅋ", NULL, 50);
    time_search(f, "rare 3 chars 뾰로롱", "뾰로롱", NULL, 20);
    time_search(f, "rare 3 chars 뾰로롱", "뾰로롱", "channel:c7", 20);
    time_search(f, "absent 3 chars 없는말", "없는말", NULL, 20);
    time_search(f, "common 2 chars 대박", "대박", NULL, 20);
    time_search(f, "rare 2 chars 뾰로", "뾰로", NULL, 20);
    time_search(f, "rare 2 chars 뾰로", "뾰로", "channel:c7", 20);
    time_search(f, "5 chars 안녕하세요", "안녕하세요", NULL, 20);
    /* A small room inside the big store: what is common elsewhere is not
     * in it. */
    struct store_chat_event small[100];
    for (int i = 0; i < 100; i++)
        small[i] =
            msg("channel:small", i + 1, i == 50 ? "small room 하세요 once" : "small room talk");
    assert_int_equal(B->chat_append(f->c, small, 100), 0);
    time_search(f, "common 3 chars 하세요", "하세요", "channel:small", 20);
    time_search(f, "common 3 chars ㅋㅋㅋ", "ㅋㅋㅋ", "channel:small", 20);
    time_search(f, "own 3 chars tal", "tal", "channel:small", 20);
    time_search(f, "common 2 chars 대박", "대박", "channel:small", 20);

    /* The rare word is found everywhere, page after page. */
    long found = 0;
    int64_t cursor = 0;
    for (;;) {
        struct store_search_hit *h;
        size_t n;
        assert_int_equal(B->chat_search(f->c, "뾰로롱", NULL, cursor, 20, &h, &n), 0);
        if (n == 0)
            break;
        found += (long)n;
        cursor = h[n - 1].id;
        free(h);
    }
    assert_int_equal(found, rare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_append_since_history_order_and_limits),
        T(test_full_page_of_since),
        T(test_seq_conflict_stores_nothing_of_the_batch),
        T(test_invalid_events_store_nothing),
        T(test_deleted_event_hides_the_message),
        T(test_search_korean_and_english_substrings),
        T(test_search_room_filter_newest_first_and_paging),
        T(test_search_short_queries_reach_old_messages),
        T(test_search_very_common_short_query_sees_recent_window),
        T(test_search_query_is_literal),
        T(test_search_snippet_markers),
        T(test_search_covers_donations_not_system_notices),
        T(test_search_argument_errors),
        T(test_chat_clear),
        T(test_rooms_public_private_and_members),
        T(test_moderators),
        T(test_bans_and_timeouts),
        T(test_slow_mode),
        T(test_everything_survives_reopen),
        T(test_text_round_trips_exactly),
        T(test_readers_see_whole_batches_while_writer_commits),
        T(test_bench_insert_and_search),
#undef T
    };
    char name[64];
    snprintf(name, sizeof name, "%s_chat", B->name);
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
