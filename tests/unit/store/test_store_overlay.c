/*
 * test_store_overlay.c - the overlay part of the store contract (store.h,
 * "overlays"): a channel has no key until one is made, the first key made
 * stays (a second "first request" gets the same one), a rotation replaces
 * it at once, keys are unique across channels and survive a restart, and
 * bad input is refused. Written against `const struct store_backend *` like
 * the other contract tests (store_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "store/store.h"
#include "store_fixture.h"

#define NOW 1790000000000LL

static struct store_channel channel(struct fx *f, const char *name)
{
    struct store_channel ch;
    assert_int_equal(signup(f, name, NOW, NULL, &ch), 0);
    return ch;
}

static void test_no_key_until_made(void **state)
{
    struct fx *f = *state;
    struct store_channel ch = channel(f, "alice");
    char key[STORE_KEY_MAX + 1] = "junk";
    assert_int_equal(B->overlay_key_get(f->c, ch.id, key), ONAIR_ENOTFOUND);
    assert_string_equal(key, "");
}

static void test_first_key_stays(void **state)
{
    struct fx *f = *state;
    struct store_channel ch = channel(f, "alice");
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->overlay_key_ensure(f->c, ch.id, "ov_first", NOW, key), 0);
    assert_string_equal(key, "ov_first");
    /* A second first request (another tab, a retry) keeps the first key. */
    assert_int_equal(B->overlay_key_ensure(f->c, ch.id, "ov_second", NOW + 1, key), 0);
    assert_string_equal(key, "ov_first");
    assert_int_equal(B->overlay_key_get(f->c, ch.id, key), 0);
    assert_string_equal(key, "ov_first");
}

static void test_rotate_replaces_at_once(void **state)
{
    struct fx *f = *state;
    struct store_channel ch = channel(f, "alice");
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->overlay_key_ensure(f->c, ch.id, "ov_old", NOW, key), 0);
    assert_int_equal(B->overlay_key_set(f->c, ch.id, "ov_new", NOW + 1), 0);
    assert_int_equal(B->overlay_key_get(f->c, ch.id, key), 0);
    assert_string_equal(key, "ov_new");
    /* Rotating a channel that never had a key makes its first. */
    struct store_channel bob = channel(f, "bob");
    assert_int_equal(B->overlay_key_set(f->c, bob.id, "ov_bob", NOW), 0);
    assert_int_equal(B->overlay_key_get(f->c, bob.id, key), 0);
    assert_string_equal(key, "ov_bob");
    /* The old key is free again. */
    assert_int_equal(B->overlay_key_set(f->c, bob.id, "ov_old", NOW + 2), 0);
}

static void test_keys_are_unique_and_checked(void **state)
{
    struct fx *f = *state;
    struct store_channel a = channel(f, "alice"), b = channel(f, "bob");
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->overlay_key_ensure(f->c, a.id, "ov_same", NOW, key), 0);
    assert_int_equal(B->overlay_key_ensure(f->c, b.id, "ov_same", NOW, key), ONAIR_ECONFLICT);
    assert_int_equal(B->overlay_key_set(f->c, b.id, "ov_same", NOW), ONAIR_ECONFLICT);
    assert_int_equal(B->overlay_key_get(f->c, b.id, key), ONAIR_ENOTFOUND);
    /* Unknown channel, empty or over-long keys. */
    assert_int_equal(B->overlay_key_ensure(f->c, 9999, "ov_x", NOW, key), ONAIR_ENOTFOUND);
    assert_int_equal(B->overlay_key_set(f->c, 9999, "ov_x", NOW), ONAIR_ENOTFOUND);
    assert_int_equal(B->overlay_key_set(f->c, a.id, "", NOW), ONAIR_EINVAL);
    char longkey[STORE_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(B->overlay_key_set(f->c, a.id, longkey, NOW), ONAIR_EINVAL);
    assert_int_equal(B->overlay_key_ensure(f->c, b.id, longkey, NOW, key), ONAIR_EINVAL);
    /* A key of exactly STORE_KEY_MAX bytes fits and reads back whole. */
    longkey[STORE_KEY_MAX] = '\0';
    assert_int_equal(B->overlay_key_set(f->c, a.id, longkey, NOW), 0);
    assert_int_equal(B->overlay_key_get(f->c, a.id, key), 0);
    assert_string_equal(key, longkey);
}

static void test_key_survives_restart(void **state)
{
    struct fx *f = *state;
    struct store_channel ch = channel(f, "alice");
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->overlay_key_ensure(f->c, ch.id, "ov_kept", NOW, key), 0);
    reopen(f);
    assert_int_equal(B->overlay_key_get(f->c, ch.id, key), 0);
    assert_string_equal(key, "ov_kept");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_no_key_until_made),       T(test_first_key_stays),
        T(test_rotate_replaces_at_once), T(test_keys_are_unique_and_checked),
        T(test_key_survives_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
