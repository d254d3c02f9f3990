/*
 * Unit tests for src/chat/user_table.c: what the chat writer remembers per
 * user (bans, slow mode, rate buckets) stays findable, stays bounded, and
 * when it must forget, keeps what the caller says matters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chat/user_table.h"

static void test_get_adds_once_with_defaults(void **state)
{
    (void)state;
    struct chat_user_table t;
    chat_user_table_init(&t, 1024, NULL, NULL);
    assert_null(chat_user_table_find(&t, 7));
    struct chat_user_state *u = chat_user_table_get(&t, 7);
    assert_int_equal(u->user_id, 7);
    assert_int_equal(u->ban_until_ms, CHAT_BAN_UNKNOWN);
    assert_int_equal(u->last_send_ms, 0);
    u->last_send_ms = 1234;
    assert_ptr_equal(chat_user_table_find(&t, 7), u);
    assert_int_equal(chat_user_table_get(&t, 7)->last_send_ms, 1234);
    assert_int_equal(t.count, 1);
    chat_user_table_free(&t);
}

/* Sequential ids (how users are numbered) all stay findable through growth. */
static void test_grows_and_finds_everyone(void **state)
{
    (void)state;
    struct chat_user_table t;
    chat_user_table_init(&t, 1 << 16, NULL, NULL);
    for (int64_t id = 1; id <= 10000; id++)
        chat_user_table_get(&t, id)->last_send_ms = id * 10;
    assert_int_equal(t.count, 10000);
    assert_true(t.cap <= 1 << 16);
    for (int64_t id = 1; id <= 10000; id++) {
        struct chat_user_state *u = chat_user_table_find(&t, id);
        assert_non_null(u);
        assert_int_equal(u->last_send_ms, id * 10);
    }
    assert_null(chat_user_table_find(&t, 10001));
    assert_null(chat_user_table_find(&t, 0));
    chat_user_table_free(&t);
}

static bool keep_banned(const struct chat_user_state *u, void *arg)
{
    (void)arg;
    return u->ban_until_ms > 0;
}

/* Full at its cap: banned users are kept, the rest forgotten; memory stays bounded. */
static void test_full_keeps_what_matters(void **state)
{
    (void)state;
    struct chat_user_table t;
    chat_user_table_init(&t, 64, keep_banned, NULL);
    chat_user_table_get(&t, 5)->ban_until_ms = CHAT_BAN_FOREVER;
    for (int64_t id = 100; id < 100000; id++) {
        chat_user_table_get(&t, id)->ban_until_ms = 0;
        assert_true(t.cap <= 64);
        assert_true(t.count * 4 <= t.cap * 3);
    }
    struct chat_user_state *u = chat_user_table_find(&t, 5);
    assert_non_null(u);
    assert_int_equal(u->ban_until_ms, CHAT_BAN_FOREVER);
    assert_non_null(chat_user_table_find(&t, 99999)); /* the newest is always there */
    chat_user_table_free(&t);
}

/* If everything is worth keeping, it still can't grow past the cap. */
static void test_full_of_keepers_forgets_all(void **state)
{
    (void)state;
    struct chat_user_table t;
    chat_user_table_init(&t, 16, keep_banned, NULL);
    for (int64_t id = 1; id <= 100; id++) {
        chat_user_table_get(&t, id)->ban_until_ms = 99;
        assert_true(t.cap == 16 && t.count <= 12);
        assert_int_equal(chat_user_table_find(&t, id)->ban_until_ms, 99);
    }
    chat_user_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_adds_once_with_defaults),
        cmocka_unit_test(test_grows_and_finds_everyone),
        cmocka_unit_test(test_full_keeps_what_matters),
        cmocka_unit_test(test_full_of_keepers_forgets_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
