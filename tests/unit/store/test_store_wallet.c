/*
 * test_store_wallet.c - the wallet part of the store contract (store.h,
 * "wallet"): charges credit exactly once, donations move exactly what was
 * given and never overdraw, retries with the same key move nothing, every
 * donation is an event of its channel's chat, and check-ledger sees every
 * invariant. Written against `const struct store_backend *` like the other
 * contract tests (store_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "core/err.h"
#include "store/store.h"
#include "store_fixture.h"

#define NOW 1790000000000LL

static struct store_user user(struct fx *f, const char *name)
{
    struct store_user u;
    assert_int_equal(signup(f, name, NOW, &u, NULL), 0);
    return u;
}

static struct store_payment payment(const char *id, int64_t user_id, int64_t amount)
{
    struct store_payment p;
    memset(&p, 0, sizeof p);
    snprintf(p.id, sizeof p.id, "%s", id);
    p.user_id = user_id;
    snprintf(p.provider, sizeof p.provider, "test");
    p.amount = amount;
    p.created_at = NOW;
    p.expires_at = NOW + 60000;
    return p;
}

/* Charges amount to u through a payment approved at NOW. */
static void charge(struct fx *f, const struct store_user *u, const char *id, int64_t amount)
{
    struct store_payment p = payment(id, u->id, amount), out;
    int64_t bal;
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_approve(f->c, id, amount, NOW, &out, &bal), 0);
}

static int64_t balance(struct fx *f, const struct store_user *u)
{
    int64_t b = -1;
    assert_int_equal(B->wallet_balance(f->c, u->id, &b), 0);
    return b;
}

static void assert_ledger_ok(struct fx *f)
{
    struct store_ledger_report r;
    assert_int_equal(B->ledger_check(f->c, &r), 0);
    if (!r.ok)
        fail_msg("ledger: %s", r.problems);
}

static struct store_donate_req donation(const struct store_user *from, const struct store_user *to,
                                        int64_t amount, const char *key, int64_t room_last_seq)
{
    struct store_donate_req r;
    memset(&r, 0, sizeof r);
    r.from_user = from->id;
    snprintf(r.from_name, sizeof r.from_name, "%s", from->username);
    r.to_user = to->id;
    snprintf(r.to_name, sizeof r.to_name, "%s", to->username);
    r.amount = amount;
    snprintf(r.message, sizeof r.message, "화이팅 %lld", (long long)amount);
    snprintf(r.idempotency_key, sizeof r.idempotency_key, "%s", key);
    r.now = NOW + 1;
    r.room_last_seq = room_last_seq;
    return r;
}

static void test_charge_credits_once(void **state)
{
    struct fx *f = *state;
    struct store_user u = user(f, "viewer");
    assert_int_equal(balance(f, &u), 0);
    struct store_payment p = payment("pay_1", u.id, 5000), out;
    int64_t bal = 0;
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_create(f->c, &p), ONAIR_ECONFLICT);
    assert_int_equal(B->payment_approve(f->c, "pay_1", 5000, NOW, &out, &bal), 0);
    assert_string_equal(out.status, "approved");
    assert_int_equal(bal, 5000);
    /* Twice: nothing more. */
    assert_int_equal(B->payment_approve(f->c, "pay_1", 5000, NOW, &out, &bal), ONAIR_ESTALE);
    assert_int_equal(balance(f, &u), 5000);
    assert_int_equal(B->payment_approve(f->c, "nope", 5000, NOW, &out, &bal), ONAIR_ENOTFOUND);
    assert_ledger_ok(f);
}

static void test_charge_refusals_credit_nothing(void **state)
{
    struct fx *f = *state;
    struct store_user u = user(f, "viewer");
    struct store_payment out;
    int64_t bal;
    /* Tampered amount: refused and the payment can never credit. */
    struct store_payment p = payment("pay_t", u.id, 1000);
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_approve(f->c, "pay_t", 100000, NOW, &out, &bal), ONAIR_ECONFLICT);
    assert_string_equal(out.status, "failed");
    assert_int_equal(B->payment_approve(f->c, "pay_t", 1000, NOW, &out, &bal), ONAIR_EDENIED);
    /* Expired. */
    p = payment("pay_e", u.id, 1000);
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_approve(f->c, "pay_e", 1000, p.expires_at, &out, &bal),
                     ONAIR_EDENIED);
    /* Cancelled, then approve. */
    p = payment("pay_c", u.id, 1000);
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_close(f->c, "pay_c", "cancelled", &out), 0);
    assert_int_equal(B->payment_close(f->c, "pay_c", "failed", &out), ONAIR_ESTALE);
    assert_string_equal(out.status, "cancelled");
    assert_int_equal(B->payment_approve(f->c, "pay_c", 1000, NOW, &out, &bal), ONAIR_EDENIED);
    assert_int_equal(balance(f, &u), 0);
    /* The provider's transaction id is kept, and unique. */
    p = payment("pay_k", u.id, 1000);
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_set_tid(f->c, "pay_k", "T123"), 0);
    assert_int_equal(B->payment_get(f->c, "pay_k", &out), 0);
    assert_string_equal(out.provider_tid, "T123");
    p = payment("pay_k2", u.id, 1000);
    assert_int_equal(B->payment_create(f->c, &p), 0);
    assert_int_equal(B->payment_set_tid(f->c, "pay_k2", "T123"), ONAIR_ECONFLICT);
    struct store_payment *list;
    size_t n;
    assert_int_equal(B->payment_list(f->c, u.id, 0, 10, &list, &n), 0);
    assert_int_equal(n, 5);
    free(list);
    assert_ledger_ok(f);
}

static void test_donations_move_exactly_and_never_overdraw(void **state)
{
    struct fx *f = *state;
    struct store_user giver = user(f, "giver"), streamer = user(f, "streamer");
    charge(f, &giver, "pay_g", 350);
    /* Five of 100 against 350 points, in one batch: exactly three go through. */
    struct store_donate_req r[5];
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        r[i] = donation(&giver, &streamer, 100, key, 7);
    }
    assert_int_equal(B->donate_batch(f->c, r, 5), 0);
    int ok = 0;
    for (int i = 0; i < 5; i++) {
        if (r[i].rc == 0) {
            ok++;
            assert_int_equal(r[i].donation.chat_seq, 7 + ok); /* gapless after the room's last */
        } else {
            assert_int_equal(r[i].rc, ONAIR_EDENIED);
        }
    }
    assert_int_equal(ok, 3);
    assert_int_equal(r[4].balance, 50);
    assert_int_equal(balance(f, &giver), 50);
    assert_int_equal(balance(f, &streamer), 300);
    int64_t total, count;
    assert_int_equal(B->donation_totals(f->c, streamer.id, &total, &count), 0);
    assert_int_equal(total, 300);
    assert_int_equal(count, 3);
    /* Each one is an event of the channel's chat with its amount. */
    struct store_chat_event *evs;
    size_t n;
    assert_int_equal(B->chat_since(f->c, "channel:streamer", 0, 100, &evs, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(evs[0].type, "donation");
    assert_int_equal(evs[0].seq, 8);
    assert_int_equal(evs[0].amount, 100);
    assert_string_equal(evs[0].username, "giver");
    assert_string_equal(evs[0].text, "화이팅 100");
    free(evs);
    assert_ledger_ok(f);
}

static void test_same_key_returns_the_first_donation(void **state)
{
    struct fx *f = *state;
    struct store_user giver = user(f, "giver"), streamer = user(f, "streamer");
    charge(f, &giver, "pay_g", 1000);
    struct store_donate_req r[2] = {donation(&giver, &streamer, 300, "same", 0),
                                    donation(&giver, &streamer, 300, "same", 0)};
    assert_int_equal(B->donate_batch(f->c, r, 2), 0);
    assert_int_equal(r[0].rc, 0);
    assert_false(r[0].replayed);
    assert_true(r[1].replayed);
    assert_int_equal(r[1].donation.id, r[0].donation.id);
    /* And later, in another batch. */
    struct store_donate_req again = donation(&giver, &streamer, 300, "same", 1);
    assert_int_equal(B->donate_batch(f->c, &again, 1), 0);
    assert_true(again.replayed);
    assert_int_equal(again.donation.chat_seq, 1);
    assert_int_equal(again.balance, 700);
    assert_int_equal(balance(f, &streamer), 300);
    /* The key is per giver: another user may use it. */
    struct store_user other = user(f, "other");
    charge(f, &other, "pay_o", 10);
    struct store_donate_req theirs = donation(&other, &streamer, 10, "same", 1);
    assert_int_equal(B->donate_batch(f->c, &theirs, 1), 0);
    assert_false(theirs.replayed);
    assert_int_equal(theirs.donation.chat_seq, 2);
    assert_ledger_ok(f);
}

static void test_bad_donations_store_nothing(void **state)
{
    struct fx *f = *state;
    struct store_user giver = user(f, "giver"), streamer = user(f, "streamer");
    charge(f, &giver, "pay_g", 1000);
    struct store_donate_req r[2] = {donation(&giver, &streamer, 10, "a", 0),
                                    donation(&giver, &giver, 10, "b", 0)};
    assert_int_equal(B->donate_batch(f->c, r, 2), ONAIR_EINVAL); /* to yourself */
    r[1] = donation(&giver, &streamer, 0, "b", 0);
    assert_int_equal(B->donate_batch(f->c, r, 2), ONAIR_EINVAL);
    r[1] = donation(&giver, &streamer, -5, "b", 0);
    assert_int_equal(B->donate_batch(f->c, r, 2), ONAIR_EINVAL);
    /* A taken chat seq undoes the whole batch. */
    struct store_chat_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.room, sizeof ev.room, "channel:streamer");
    ev.seq = 1;
    snprintf(ev.type, sizeof ev.type, "message");
    snprintf(ev.text, sizeof ev.text, "hi");
    ev.ts = NOW;
    assert_int_equal(B->chat_append(f->c, &ev, 1), 0);
    r[1] = donation(&giver, &streamer, 10, "b", 0); /* stale: the room's last is 1 */
    assert_int_equal(B->donate_batch(f->c, r, 2), ONAIR_ECONFLICT);
    assert_int_equal(balance(f, &giver), 1000);
    assert_int_equal(balance(f, &streamer), 0);
    assert_ledger_ok(f);
}

static void test_lists_and_top(void **state)
{
    struct fx *f = *state;
    struct store_user a = user(f, "alice"), b = user(f, "bob"), s = user(f, "streamer");
    charge(f, &a, "pay_a", 1000);
    charge(f, &b, "pay_b", 1000);
    int64_t seq = 0;
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof key, "a%d", i);
        struct store_donate_req r = donation(&a, &s, 10 * (i + 1), key, seq);
        assert_int_equal(B->donate_batch(f->c, &r, 1), 0);
        seq = r.donation.chat_seq;
    }
    struct store_donate_req rb = donation(&b, &s, 500, "b0", seq);
    assert_int_equal(B->donate_batch(f->c, &rb, 1), 0);
    struct store_donor *top;
    size_t n;
    assert_int_equal(B->donation_top(f->c, s.id, 10, &top, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(top[0].name, "bob");
    assert_int_equal(top[0].total, 500);
    assert_int_equal(top[1].total, 100);
    assert_int_equal(top[1].count, 4);
    free(top);
    struct store_donation *d;
    assert_int_equal(B->donation_list(f->c, a.id, true, 0, 3, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(d[0].amount, 40); /* newest first */
    int64_t cursor = d[2].id;
    free(d);
    assert_int_equal(B->donation_list(f->c, a.id, true, cursor, 3, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].amount, 10);
    free(d);
    assert_int_equal(B->donation_list(f->c, s.id, false, 0, 100, &d, &n), 0);
    assert_int_equal(n, 5);
    free(d);
}

/* check-ledger notices tampering with the database behind the store's back. */
static void test_ledger_check_finds_violations(void **state)
{
    struct fx *f = *state;
    struct store_user giver = user(f, "giver"), streamer = user(f, "streamer");
    charge(f, &giver, "pay_g", 1000);
    struct store_donate_req r = donation(&giver, &streamer, 100, "x", 0);
    assert_int_equal(B->donate_batch(f->c, &r, 1), 0);
    assert_ledger_ok(f);
    char path[256];
    snprintf(path, sizeof path, "%s/onair.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE accounts SET balance = balance + 1 WHERE id = 'user:1'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct store_ledger_report rep;
    assert_int_equal(B->ledger_check(f->c, &rep), 0);
    assert_false(rep.ok);
    assert_non_null(strstr(rep.problems, "differs from the sum of their ledger entries"));
    assert_non_null(strstr(rep.problems, "differ from the approved charges"));
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE accounts SET balance = balance - 1 WHERE id = 'user:1';"
                                  "DELETE FROM chat_events WHERE type = 'donation'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(B->ledger_check(f->c, &rep), 0);
    assert_false(rep.ok);
    assert_non_null(strstr(rep.problems, "donations without their chat event"));
    sqlite3_close(db);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_charge_credits_once),
        T(test_charge_refusals_credit_nothing),
        T(test_donations_move_exactly_and_never_overdraw),
        T(test_same_key_returns_the_first_donation),
        T(test_bad_donations_store_nothing),
        T(test_lists_and_top),
        T(test_ledger_check_finds_violations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
