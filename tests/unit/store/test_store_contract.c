/*
 * test_store_contract.c - what every struct store_backend must do, written
 * against `const struct store_backend *` only, so the same suite runs
 * unchanged against each backend. Each test checks something a user would
 * notice: a lost signup, a title someone else could change, a stolen
 * refresh token that keeps working.
 *
 * The harness (store_fixture.h: backend, fresh_options, drop_options) is the
 * only backend-specific part: today SQLite in a fresh temporary data
 * directory per test; a PostgreSQL run would hand out a fresh database per
 * test instead.
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

#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct store_refresh token(const char *seed, const char *family, int64_t user_id,
                                  int64_t expires_at)
{
    struct store_refresh t = {.user_id = user_id, .expires_at = expires_at};
    fake_hash(t.hash, seed);
    snprintf(t.family, sizeof t.family, "%s", family);
    return t;
}

/* ---- users and channels ---- */

static void test_user_create_returns_user_and_channel(void **state)
{
    struct fx *f = *state;
    struct store_user u;
    struct store_channel ch;
    assert_int_equal(signup(f, "alice", 1000, &u, &ch), 0);
    assert_true(u.id > 0);
    assert_string_equal(u.username, "alice");
    assert_string_equal(u.password_hash, PWHASH);
    assert_int_equal(u.created_at, 1000);
    assert_true(ch.id > 0);
    assert_int_equal(ch.owner_id, u.id);
    assert_string_equal(ch.name, "alice");
    assert_string_equal(ch.title, "alice's stream");
    assert_false(ch.live);
    assert_int_equal(ch.started_at, 0);

    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(f->c, u.id, key), 0);
    assert_string_equal(key, "key-alice");

    uint8_t h[STORE_HASH_LEN];
    fake_hash(h, "key-alice");
    struct store_channel by_key;
    assert_int_equal(B->channel_by_key_hash(f->c, h, &by_key), 0);
    assert_int_equal(by_key.id, ch.id);

    struct store_user bob;
    assert_int_equal(signup(f, "bob", 2000, &bob, NULL), 0);
    assert_true(bob.id != u.id);
}

static void test_duplicate_username_conflicts_and_keeps_first(void **state)
{
    struct fx *f = *state;
    struct store_user u;
    assert_int_equal(signup(f, "alice", 1000, &u, NULL), 0);

    struct store_new_user again = {
        .username = "alice",
        .password_hash = "$argon2id$attacker",
        .channel_title = "pwned",
        .stream_key = "key-attacker",
        .now = 2000,
    };
    fake_hash(again.stream_key_hash, "key-attacker");
    struct store_user u2;
    struct store_channel ch2;
    assert_int_equal(B->user_create(f->c, &again, &u2, &ch2), ONAIR_ECONFLICT);

    struct store_user got;
    assert_int_equal(B->user_by_name(f->c, "alice", &got), 0);
    assert_int_equal(got.id, u.id);
    assert_string_equal(got.password_hash, PWHASH);
    assert_int_equal(got.created_at, 1000);
    struct store_channel ch;
    assert_int_equal(B->channel_by_owner(f->c, u.id, &ch), 0);
    assert_string_equal(ch.title, "alice's stream");
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(f->c, u.id, key), 0);
    assert_string_equal(key, "key-alice");
    /* Nothing of the failed signup is left behind. */
    assert_int_equal(B->channel_by_key_hash(f->c, again.stream_key_hash, &ch), ONAIR_ENOTFOUND);
    struct store_channel *list;
    size_t n;
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 1);
    free(list);
}

/* The user row and the channel row land together or not at all. */
static void test_user_create_is_all_or_nothing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(signup(f, "alice", 1000, NULL, NULL), 0);
    /* bob's user row would insert fine, but his key hash collides with
     * alice's, so the channel insert fails: bob must not exist at all. */
    struct store_new_user in = {
        .username = "bob",
        .password_hash = PWHASH,
        .channel_title = "t",
        .stream_key = "key-bob",
        .now = 2000,
    };
    fake_hash(in.stream_key_hash, "key-alice");
    struct store_user u;
    struct store_channel ch;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), ONAIR_ECONFLICT);
    assert_int_equal(B->user_by_name(f->c, "bob", &u), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_by_name(f->c, "bob", &ch), ONAIR_ENOTFOUND);
    /* ...and can sign up once the conflict is gone. */
    fake_hash(in.stream_key_hash, "key-bob");
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), 0);
}

/* Values that would not fit the result structs are refused up front, so
 * whatever is stored can always be read back. */
static void test_oversized_fields_are_refused(void **state)
{
    struct fx *f = *state;
    char long_name[STORE_USERNAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char long_title[STORE_TITLE_MAX + 2];
    memset(long_title, 't', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    char long_key[STORE_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';

    struct store_new_user in = {
        .username = long_name,
        .password_hash = PWHASH,
        .channel_title = "t",
        .stream_key = "k",
        .now = 1,
    };
    struct store_user u;
    struct store_channel ch;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), ONAIR_EINVAL);
    in.username = "alice";
    in.channel_title = long_title;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), ONAIR_EINVAL);
    in.channel_title = "t";
    in.stream_key = long_key;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), ONAIR_EINVAL);
    assert_int_equal(B->user_by_name(f->c, "alice", &u), ONAIR_ENOTFOUND);

    /* Exactly at the limits is fine and round-trips. */
    long_name[STORE_USERNAME_MAX] = '\0';
    long_title[STORE_TITLE_MAX] = '\0';
    long_key[STORE_KEY_MAX] = '\0';
    in.username = long_name;
    in.channel_title = long_title;
    in.stream_key = long_key;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), 0);
    struct store_channel got;
    assert_int_equal(B->channel_by_name(f->c, long_name, &got), 0);
    assert_string_equal(got.title, long_title);
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(f->c, u.id, key), 0);
    assert_string_equal(key, long_key);

    long_title[STORE_TITLE_MAX] = 't';
    assert_int_equal(B->channel_set_title(f->c, long_name, u.id, long_title), ONAIR_EINVAL);
    long_key[STORE_KEY_MAX] = 'k';
    uint8_t h[STORE_HASH_LEN];
    fake_hash(h, "other");
    assert_int_equal(B->stream_key_set(f->c, u.id, long_key, h), ONAIR_EINVAL);
    assert_int_equal(B->channel_by_name(f->c, long_name, &got), 0);
    assert_int_equal(strlen(got.title), STORE_TITLE_MAX);
}

static void test_lookups(void **state)
{
    struct fx *f = *state;
    struct store_user alice, bob;
    struct store_channel alice_ch, bob_ch;
    assert_int_equal(signup(f, "alice", 1000, &alice, &alice_ch), 0);
    assert_int_equal(signup(f, "bob", 2000, &bob, &bob_ch), 0);

    struct store_user u;
    assert_int_equal(B->user_by_name(f->c, "bob", &u), 0);
    assert_int_equal(u.id, bob.id);
    assert_string_equal(u.username, "bob");
    assert_int_equal(u.created_at, 2000);
    assert_int_equal(B->user_by_id(f->c, alice.id, &u), 0);
    assert_string_equal(u.username, "alice");
    assert_string_equal(u.password_hash, PWHASH);

    struct store_channel ch;
    assert_int_equal(B->channel_by_name(f->c, "alice", &ch), 0);
    assert_int_equal(ch.id, alice_ch.id);
    assert_int_equal(ch.owner_id, alice.id);
    assert_string_equal(ch.title, "alice's stream");
    assert_int_equal(B->channel_by_owner(f->c, bob.id, &ch), 0);
    assert_int_equal(ch.id, bob_ch.id);
    assert_string_equal(ch.name, "bob");
}

static void test_unknown_is_notfound(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    const int64_t nobody = alice.id + 1000;

    struct store_user u;
    struct store_channel ch;
    char key[STORE_KEY_MAX + 1];
    uint8_t h[STORE_HASH_LEN];
    fake_hash(h, "no-such-key");
    assert_int_equal(B->user_by_name(f->c, "carol", &u), ONAIR_ENOTFOUND);
    assert_int_equal(B->user_by_name(f->c, "", &u), ONAIR_ENOTFOUND);
    assert_int_equal(B->user_by_id(f->c, nobody, &u), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_by_name(f->c, "carol", &ch), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_by_owner(f->c, nobody, &ch), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_by_key_hash(f->c, h, &ch), ONAIR_ENOTFOUND);
    assert_int_equal(B->stream_key_get(f->c, nobody, key), ONAIR_ENOTFOUND);
    assert_int_equal(B->stream_key_set(f->c, nobody, "k", h), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_set_live(f->c, nobody, true, 5), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_set_title(f->c, "carol", alice.id, "x"), ONAIR_ENOTFOUND);
    assert_int_equal(B->refresh_revoke(f->c, h, 5, NULL), ONAIR_ENOTFOUND);
    struct store_refresh next = token("next", "", 0, 99999);
    assert_int_equal(B->refresh_rotate(f->c, h, &next, 5, &u), ONAIR_ENOTFOUND);
}

static void test_channel_set_title_owner_only(void **state)
{
    struct fx *f = *state;
    struct store_user alice, bob;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    assert_int_equal(signup(f, "bob", 1000, &bob, NULL), 0);

    assert_int_equal(B->channel_set_title(f->c, "alice", alice.id, "Speedrun night"), 0);
    struct store_channel ch;
    assert_int_equal(B->channel_by_name(f->c, "alice", &ch), 0);
    assert_string_equal(ch.title, "Speedrun night");

    assert_int_equal(B->channel_set_title(f->c, "alice", bob.id, "hijacked"), ONAIR_EDENIED);
    assert_int_equal(B->channel_by_name(f->c, "alice", &ch), 0);
    assert_string_equal(ch.title, "Speedrun night");
    assert_int_equal(B->channel_by_name(f->c, "bob", &ch), 0);
    assert_string_equal(ch.title, "bob's stream");

    assert_int_equal(B->channel_set_title(f->c, "nobody", alice.id, "x"), ONAIR_ENOTFOUND);
    /* Setting the same title again is a success, not "not found". */
    assert_int_equal(B->channel_set_title(f->c, "alice", alice.id, "Speedrun night"), 0);
    assert_int_equal(B->channel_set_title(f->c, "alice", alice.id, ""), 0);
    assert_int_equal(B->channel_by_name(f->c, "alice", &ch), 0);
    assert_string_equal(ch.title, "");
}

static void test_stream_key_rotation(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    struct store_channel alice_ch;
    assert_int_equal(signup(f, "alice", 1000, &alice, &alice_ch), 0);
    assert_int_equal(signup(f, "bob", 1000, NULL, NULL), 0);
    uint8_t old_h[STORE_HASH_LEN], new_h[STORE_HASH_LEN];
    fake_hash(old_h, "key-alice");
    fake_hash(new_h, "key-alice-2");

    assert_int_equal(B->stream_key_set(f->c, alice.id, "key-alice-2", new_h), 0);
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(f->c, alice.id, key), 0);
    assert_string_equal(key, "key-alice-2");
    struct store_channel ch;
    assert_int_equal(B->channel_by_key_hash(f->c, new_h, &ch), 0);
    assert_int_equal(ch.id, alice_ch.id);
    assert_string_equal(ch.name, "alice");
    /* The leaked old key stops working at once. */
    assert_int_equal(B->channel_by_key_hash(f->c, old_h, &ch), ONAIR_ENOTFOUND);

    /* Taking bob's key hash is refused and changes nothing. */
    uint8_t bob_h[STORE_HASH_LEN];
    fake_hash(bob_h, "key-bob");
    assert_int_equal(B->stream_key_set(f->c, alice.id, "key-bob", bob_h), ONAIR_ECONFLICT);
    assert_int_equal(B->stream_key_get(f->c, alice.id, key), 0);
    assert_string_equal(key, "key-alice-2");
    assert_int_equal(B->channel_by_key_hash(f->c, bob_h, &ch), 0);
    assert_string_equal(ch.name, "bob");
}

static void test_channel_list_live_first(void **state)
{
    struct fx *f = *state;
    struct store_channel *list = (void *)1;
    size_t n = 99;
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 0);
    assert_null(list);

    struct store_channel ch[4];
    const char *names[] = {"dave", "alice", "carol", "bob"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(signup(f, names[i], 1000 + i, NULL, &ch[i]), 0);
    /* bob live since 100, dave live since 200 */
    assert_int_equal(B->channel_set_live(f->c, ch[3].id, true, 100), 0);
    assert_int_equal(B->channel_set_live(f->c, ch[0].id, true, 200), 0);

    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 4);
    const char *want[] = {"dave", "bob", "alice", "carol"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i].name, want[i]);
    assert_true(list[0].live);
    assert_int_equal(list[0].started_at, 200);
    assert_true(list[1].live);
    assert_int_equal(list[1].started_at, 100);
    assert_false(list[2].live);
    assert_int_equal(list[2].started_at, 0);
    free(list);

    /* dave goes offline: started_at reads 0 and he sorts by name again. */
    assert_int_equal(B->channel_set_live(f->c, ch[0].id, false, 300), 0);
    struct store_channel d;
    assert_int_equal(B->channel_by_name(f->c, "dave", &d), 0);
    assert_false(d.live);
    assert_int_equal(d.started_at, 0);
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 4);
    const char *want2[] = {"bob", "alice", "carol", "dave"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i].name, want2[i]);
    free(list);

    /* After a restart nothing is live: reset clears every channel. */
    assert_int_equal(B->channels_reset_live(f->c), 0);
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_false(list[i].live);
        assert_int_equal(list[i].started_at, 0);
    }
    free(list);
}

/* ---- refresh tokens ---- */

static void must_not_call(const char *family, void *arg)
{
    (void)arg;
    fail_msg("unexpected revoked family %s", family);
}

static void test_refresh_rotate_chain(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);

    /* next's family and user are filled in from the spent token. */
    struct store_refresh t1 = token("t1", "ignored", 0, 200000);
    struct store_user u;
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 2000, &u), 0);
    assert_int_equal(u.id, alice.id);
    assert_string_equal(u.username, "alice");
    assert_string_equal(t1.family, "fam-A");
    assert_int_equal(t1.user_id, alice.id);

    struct store_refresh t2 = token("t2", "", 0, 300000);
    assert_int_equal(B->refresh_rotate(f->c, t1.hash, &t2, 3000, &u), 0);
    assert_string_equal(t2.family, "fam-A");
    struct store_refresh t3 = token("t3", "", 0, 400000);
    assert_int_equal(B->refresh_rotate(f->c, t2.hash, &t3, 4000, &u), 0);
    assert_int_equal(u.id, alice.id);

    /* Nothing reported as revoked on a healthy chain. */
    assert_int_equal(B->revoked_families_since(f->c, 0, must_not_call, NULL), 0);
}

static void test_refresh_reuse_revokes_family(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 100000);
    struct store_refresh other = token("o0", "fam-B", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);
    assert_int_equal(B->refresh_insert(f->c, &other, 1000), 0);

    struct store_user u;
    struct store_refresh t1 = token("t1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 2000, &u), 0);

    /* A thief replays t0: refused, and the family dies with it. */
    struct store_refresh thief = token("thief", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &thief, 3000, &u), ONAIR_ESTALE);
    /* The thief's next token was never stored. */
    struct store_refresh x = token("x", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, thief.hash, &x, 3100, &u), ONAIR_ENOTFOUND);
    /* The legitimate newest token of that family is refused too. */
    int r = B->refresh_rotate(f->c, t1.hash, &x, 3200, &u);
    assert_true(r == ONAIR_ESTALE || r == ONAIR_ENOTFOUND);
    /* Another login's family is unaffected. */
    struct store_refresh o1 = token("o1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, other.hash, &o1, 3300, &u), 0);
    assert_string_equal(o1.family, "fam-B");
}

static void test_refresh_expired_is_notfound(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 5000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);
    struct store_user u;
    struct store_refresh t1 = token("t1", "", 0, 9000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 5000, &u), ONAIR_ENOTFOUND);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 6000, &u), ONAIR_ENOTFOUND);
    /* Expiry spends nothing and revokes nothing. */
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 4999, &u), 0);
}

static void note_family(const char *family, void *arg)
{
    char *seen = arg;
    size_t len = strlen(seen);
    snprintf(seen + len, 256 - len, "%s;", family);
}

static void test_refresh_revoke_and_revoked_families(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh a0 = token("a0", "fam-A", alice.id, 100000);
    struct store_refresh b0 = token("b0", "fam-B", alice.id, 100000);
    struct store_refresh c0 = token("c0", "fam-C", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &a0, 1000), 0);
    assert_int_equal(B->refresh_insert(f->c, &b0, 1000), 0);
    assert_int_equal(B->refresh_insert(f->c, &c0, 1000), 0);

    /* Rotate a0 once so the family has a spent and a live token. */
    struct store_user u;
    struct store_refresh a1 = token("a1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, a0.hash, &a1, 1500, &u), 0);

    /* Logout with the refresh token (by hash) at t=2000. */
    char fam[STORE_KEY_MAX + 1] = "";
    assert_int_equal(B->refresh_revoke(f->c, a1.hash, 2000, fam), 0);
    assert_string_equal(fam, a1.family);
    struct store_refresh n = token("n", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, a1.hash, &n, 2100, &u), ONAIR_ESTALE);
    /* Logging out twice is fine. */
    assert_int_equal(B->refresh_revoke(f->c, a1.hash, 2200, NULL), 0);

    /* Logout with an access token (by family) at t=3000. */
    assert_int_equal(B->refresh_revoke_family(f->c, "fam-B", 3000), 0);
    assert_int_equal(B->refresh_rotate(f->c, b0.hash, &n, 3100, &u), ONAIR_ESTALE);

    char seen[256] = "";
    assert_int_equal(B->revoked_families_since(f->c, 0, note_family, seen), 0);
    assert_string_equal(seen, "fam-A;fam-B;");
    seen[0] = '\0';
    assert_int_equal(B->revoked_families_since(f->c, 2500, note_family, seen), 0);
    assert_string_equal(seen, "fam-B;");
    seen[0] = '\0';
    assert_int_equal(B->revoked_families_since(f->c, 3000, note_family, seen), 0);
    assert_string_equal(seen, "fam-B;");
    seen[0] = '\0';
    assert_int_equal(B->revoked_families_since(f->c, 3001, note_family, seen), 0);
    assert_string_equal(seen, "");

    /* fam-C never logged out and still works. */
    struct store_refresh c1 = token("c1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, c0.hash, &c1, 3200, &u), 0);

    /* Reuse detection shows up as a revoked family as well. */
    assert_int_equal(B->refresh_rotate(f->c, c0.hash, &n, 4000, &u), ONAIR_ESTALE);
    seen[0] = '\0';
    assert_int_equal(B->revoked_families_since(f->c, 4000, note_family, seen), 0);
    assert_string_equal(seen, "fam-C;");
}

/* A token stored into a family after the family was revoked is revoked. */
static void test_refresh_revoked_family_covers_later_tokens(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);
    assert_int_equal(B->refresh_revoke_family(f->c, "fam-A", 2000), 0);
    struct store_refresh late = token("late", "fam-A", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &late, 3000), 0);
    struct store_user u;
    struct store_refresh n = token("n", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, late.hash, &n, 3100, &u), ONAIR_ESTALE);
}

static void test_refresh_insert_errors(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);
    /* Same hash twice. */
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), ONAIR_ECONFLICT);
    /* A user that does not exist. */
    struct store_refresh orphan = token("orphan", "fam-X", alice.id + 1000, 100000);
    assert_int_equal(B->refresh_insert(f->c, &orphan, 1000), ONAIR_ENOTFOUND);
    /* A rotation whose next token collides leaves the old token unspent. */
    struct store_user u;
    struct store_refresh dup = token("t0", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &dup, 2000, &u), ONAIR_ECONFLICT);
    struct store_refresh t1 = token("t1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 2100, &u), 0);
}

/* ---- durability and concurrency ---- */

static void test_data_persists_across_reopen(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    struct store_channel ch;
    assert_int_equal(signup(f, "alice", 1000, &alice, &ch), 0);
    assert_int_equal(B->channel_set_title(f->c, "alice", alice.id, "kept"), 0);
    assert_int_equal(B->channel_set_live(f->c, ch.id, true, 1234), 0);
    struct store_refresh t0 = token("t0", "fam-A", alice.id, 100000);
    assert_int_equal(B->refresh_insert(f->c, &t0, 1000), 0);
    B->close(f->c);
    f->c = NULL;

    assert_int_equal(B->open(&f->opt, &f->c), 0);
    assert_int_equal(B->migrate(f->c), 0);
    struct store_user u;
    assert_int_equal(B->user_by_name(f->c, "alice", &u), 0);
    assert_int_equal(u.id, alice.id);
    assert_string_equal(u.password_hash, PWHASH);
    struct store_channel got;
    assert_int_equal(B->channel_by_name(f->c, "alice", &got), 0);
    assert_string_equal(got.title, "kept");
    assert_true(got.live);
    assert_int_equal(got.started_at, 1234);
    struct store_refresh t1 = token("t1", "", 0, 100000);
    assert_int_equal(B->refresh_rotate(f->c, t0.hash, &t1, 2000, &u), 0);
}

static void test_migrate_twice_is_noop(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    assert_int_equal(B->migrate(f->c), 0);
    assert_int_equal(B->migrate(f->c), 0);
    struct store_user u;
    assert_int_equal(B->user_by_name(f->c, "alice", &u), 0);
    assert_int_equal(u.id, alice.id);
    assert_int_equal(signup(f, "bob", 2000, NULL, NULL), 0);
}

/* A signup whose call returned 0 is still there after the process that made
 * it is killed with SIGKILL right after the acknowledgement. */
static void test_acknowledged_write_survives_kill9(void **state)
{
    struct fx *f = *state;
    /* No connection may be open across fork(). */
    B->close(f->c);
    f->c = NULL;

    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        struct fx child = *f;
        char ok = 'n';
        if (B->open(&child.opt, &child.c) == 0 && B->migrate(child.c) == 0 &&
            signup(&child, "alice", 1000, NULL, NULL) == 0)
            ok = 'y';
        if (write(p[1], &ok, 1) != 1)
            _exit(1);
        for (;;)
            pause(); /* killed here, connection still open */
    }
    close(p[1]);
    char ack = 0;
    assert_int_equal(read(p[0], &ack, 1), 1);
    close(p[0]);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(ack, 'y');

    assert_int_equal(B->open(&f->opt, &f->c), 0);
    assert_int_equal(B->migrate(f->c), 0);
    struct store_user u;
    assert_int_equal(B->user_by_name(f->c, "alice", &u), 0);
    struct store_channel ch;
    assert_int_equal(B->channel_by_owner(f->c, u.id, &ch), 0);
    assert_string_equal(ch.title, "alice's stream");
}

#define WRITES_PER_CONN 40

struct writer {
    struct fx *f;
    struct store_conn *c;
    const char *prefix;
    int failures;
};

static void *write_users(void *arg)
{
    struct writer *w = arg;
    struct fx view = *w->f;
    view.c = w->c;
    for (int i = 0; i < WRITES_PER_CONN; i++) {
        char name[STORE_USERNAME_MAX + 1];
        snprintf(name, sizeof name, "%s_%03d", w->prefix, i);
        if (signup(&view, name, 1000 + i, NULL, NULL) != 0)
            w->failures++;
        /* Refresh rotation is the other multi-statement writer. */
        struct store_user u;
        if (B->user_by_name(w->c, name, &u) != 0) {
            w->failures++;
            continue;
        }
        char seed[64];
        snprintf(seed, sizeof seed, "%s-t0", name);
        struct store_refresh t0 = token(seed, name, u.id, 100000);
        snprintf(seed, sizeof seed, "%s-t1", name);
        struct store_refresh t1 = token(seed, "", 0, 100000);
        if (B->refresh_insert(w->c, &t0, 1000) != 0 ||
            B->refresh_rotate(w->c, t0.hash, &t1, 2000, &u) != 0)
            w->failures++;
    }
    return NULL;
}

/* Two connections on the same data, writing at the same time from two
 * threads: both succeed because writers wait for each other. */
static void test_two_connections_write_concurrently(void **state)
{
    struct fx *f = *state;
    struct store_conn *c2;
    assert_int_equal(B->open(&f->opt, &c2), 0);
    assert_int_equal(B->migrate(c2), 0);

    struct writer a = {.f = f, .c = f->c, .prefix = "a"};
    struct writer b = {.f = f, .c = c2, .prefix = "b"};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, write_users, &b), 0);
    write_users(&a);
    assert_int_equal(pthread_join(th, NULL), 0);
    B->close(c2);
    assert_int_equal(a.failures, 0);
    assert_int_equal(b.failures, 0);

    struct store_channel *list;
    size_t n;
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 2 * WRITES_PER_CONN);
    free(list);
}

#define ROTATIONS_PER_CONN 150

struct rotator {
    struct store_conn *c;
    int64_t user_id;
    const char *family;
    pthread_barrier_t *start;
    int failures;
};

/* Walks one refresh chain: every rotation reads the token, then writes
 * two rows, the shape that deadlocks if the read runs before the write
 * lock is taken. */
static void *rotate_chain(void *arg)
{
    struct rotator *r = arg;
    char seed[64];
    snprintf(seed, sizeof seed, "%s-0", r->family);
    struct store_refresh cur = token(seed, r->family, r->user_id, INT64_MAX);
    if (B->refresh_insert(r->c, &cur, 1) != 0)
        r->failures++;
    pthread_barrier_wait(r->start);
    for (int i = 1; i <= ROTATIONS_PER_CONN; i++) {
        snprintf(seed, sizeof seed, "%s-%d", r->family, i);
        struct store_refresh next = token(seed, "", 0, INT64_MAX);
        struct store_user u;
        if (B->refresh_rotate(r->c, cur.hash, &next, 1000 + i, &u) != 0 || u.id != r->user_id)
            r->failures++;
        cur = next;
    }
    return NULL;
}

/* Token refreshes from two connections at once never fail with "busy". */
static void test_concurrent_rotations(void **state)
{
    struct fx *f = *state;
    struct store_user alice;
    assert_int_equal(signup(f, "alice", 1000, &alice, NULL), 0);
    struct store_conn *c2;
    assert_int_equal(B->open(&f->opt, &c2), 0);
    assert_int_equal(B->migrate(c2), 0);

    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
    struct rotator a = {.c = f->c, .user_id = alice.id, .family = "fam-a", .start = &start};
    struct rotator b = {.c = c2, .user_id = alice.id, .family = "fam-b", .start = &start};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rotate_chain, &b), 0);
    rotate_chain(&a);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&start);
    B->close(c2);
    assert_int_equal(a.failures, 0);
    assert_int_equal(b.failures, 0);
    /* No reuse was ever detected along the way. */
    assert_int_equal(B->revoked_families_since(f->c, 0, must_not_call, NULL), 0);
}

/* ---- text fidelity ---- */

static void test_text_round_trips_exactly(void **state)
{
    struct fx *f = *state;
    static const char title[] = "안녕하세요 '방송' \"test\"; DROP TABLE users;--";
    static const char title2[] = "Robert'); DROP TABLE channels;-- \\ % _ 🎮 \t end";
    struct store_new_user in = {
        .username = "o_brien",
        .password_hash = "$argon2id$v=19$m=65536,t=2,p=1$'\"$;--",
        .channel_title = title,
        .stream_key = "live_AbC-123_x'y\"z",
        .now = 1000,
    };
    fake_hash(in.stream_key_hash, "quoted");
    struct store_user u;
    struct store_channel ch;
    assert_int_equal(B->user_create(f->c, &in, &u, &ch), 0);
    assert_string_equal(ch.title, title);

    struct store_channel got;
    assert_int_equal(B->channel_by_name(f->c, "o_brien", &got), 0);
    assert_string_equal(got.title, title);
    assert_int_equal(memcmp(got.title, title, sizeof title), 0);
    struct store_user gu;
    assert_int_equal(B->user_by_id(f->c, u.id, &gu), 0);
    assert_string_equal(gu.password_hash, in.password_hash);
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(f->c, u.id, key), 0);
    assert_string_equal(key, in.stream_key);

    assert_int_equal(B->channel_set_title(f->c, "o_brien", u.id, title2), 0);
    struct store_channel *list;
    size_t n;
    assert_int_equal(B->channel_list(f->c, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].title, title2);
    free(list);

    /* The tables the titles talk about are still there. */
    assert_int_equal(B->user_by_name(f->c, "o_brien", &gu), 0);
    assert_int_equal(signup(f, "alice", 2000, NULL, NULL), 0);

    /* A name with a quote is just a name that does not exist. */
    assert_int_equal(B->user_by_name(f->c, "x' OR '1'='1", &gu), ONAIR_ENOTFOUND);
    assert_int_equal(B->channel_set_title(f->c, "x' OR '1'='1", u.id, "t"), ONAIR_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_user_create_returns_user_and_channel),
        T(test_duplicate_username_conflicts_and_keeps_first),
        T(test_user_create_is_all_or_nothing),
        T(test_oversized_fields_are_refused),
        T(test_lookups),
        T(test_unknown_is_notfound),
        T(test_channel_set_title_owner_only),
        T(test_stream_key_rotation),
        T(test_channel_list_live_first),
        T(test_refresh_rotate_chain),
        T(test_refresh_reuse_revokes_family),
        T(test_refresh_expired_is_notfound),
        T(test_refresh_revoke_and_revoked_families),
        T(test_refresh_revoked_family_covers_later_tokens),
        T(test_refresh_insert_errors),
        T(test_data_persists_across_reopen),
        T(test_migrate_twice_is_noop),
        T(test_acknowledged_write_survives_kill9),
        T(test_two_connections_write_concurrently),
        T(test_concurrent_rotations),
        T(test_text_round_trips_exactly),
#undef T
    };
    return cmocka_run_group_tests_name(B->name, tests, NULL, NULL);
}
