/* Unit tests for src/pay/provider.c: the registry, payment ids, URLs and
 * settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "pay/internal.h"

static const uint8_t KEY[32] = "unit-test-server-key-0123456789";

static void test_find(void **state)
{
    (void)state;
    assert_string_equal(pay_provider_find("test")->name, "test");
    assert_string_equal(pay_provider_find("kakaopay")->name, "kakaopay");
    assert_null(pay_provider_find("paypal"));
    assert_null(pay_provider_find(""));
    assert_null(pay_provider_find("TEST"));
}

static void test_ids(void **state)
{
    (void)state;
    char a[STORE_PAYMENT_ID_MAX + 1], b[STORE_PAYMENT_ID_MAX + 1];
    pay_id_new(a);
    pay_id_new(b);
    assert_int_equal(strlen(a), 4 + 24);
    assert_true(strncmp(a, "pay_", 4) == 0);
    assert_true(pay_id_ok(a));
    assert_string_not_equal(a, b);
    assert_true(pay_id_ok("pay_x"));
    assert_true(pay_id_ok("pay_AAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 32 bytes */
    assert_false(pay_id_ok("pay_AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_false(pay_id_ok("pay_"));
    assert_false(pay_id_ok(""));
    assert_false(pay_id_ok("PAY_abc"));
    assert_false(pay_id_ok("pay_a/b"));
    assert_false(pay_id_ok("pay_a b"));
    assert_false(pay_id_ok("pay_<x>"));
    assert_false(pay_id_ok("pay_a&status=approved"));
}

static void test_urls(void **state)
{
    (void)state;
    assert_true(pay__url_ok("https://open-api.kakaopay.com", true));
    assert_true(pay__url_ok("https://example.com/x?y=1", true));
    assert_true(pay__url_ok("http://127.0.0.1:8080", true));
    assert_true(pay__url_ok("http://127.0.0.1/pay", true));
    assert_true(pay__url_ok("http://127.0.0.1", true));
    assert_false(pay__url_ok("http://127.0.0.1.evil.com", true));
    assert_false(pay__url_ok("http://127.0.0.10", true));
    assert_false(pay__url_ok("http://example.com", true));
    assert_true(pay__url_ok("http://example.com", false));
    assert_false(pay__url_ok("javascript:alert(1)", false));
    assert_false(pay__url_ok("ftp://x", false));
    assert_false(pay__url_ok("https://", false));
    assert_false(pay__url_ok("https:///x", false));
    assert_false(pay__url_ok("https://a b", false));
    assert_false(pay__url_ok("https://a\"b", false));
    assert_false(pay__url_ok("https://a\r\nLocation: x", false));
    assert_false(pay__url_ok("https://a<b>", false));
}

static void load(struct config *cfg, struct pay_settings *s, const char *const *kv)
{
    char err[256];
    config_defaults(cfg);
    for (; kv && kv[0]; kv += 2)
        assert_int_equal(config_set(cfg, kv[0], kv[1], err, sizeof err), 0);
    pay_settings_init(s, cfg, KEY, sizeof KEY);
}

static void test_settings(void **state)
{
    (void)state;
    static struct config cfg;
    struct pay_settings s;
    const struct pay_provider *k = pay_provider_find("kakaopay");

    load(&cfg, &s, NULL);
    assert_string_equal(s.public_url, "http://127.0.0.1:8080");
    assert_true(s.test_enabled);
    assert_false(k->available(&s)); /* no key */
    assert_string_equal(s.kakao_cid, "TC0ONETIME");
    assert_string_equal(s.kakao_api, "https://open-api.kakaopay.com");

    const char *a[] = {"http", "0.0.0.0:9000", "kakaopay-secret-key",
                       "sk",   "kakaopay-api", "http://127.0.0.1:5555/",
                       NULL};
    load(&cfg, &s, a);
    assert_string_equal(s.public_url, "http://127.0.0.1:9000");
    assert_string_equal(s.kakao_api, "http://127.0.0.1:5555");
    assert_true(k->available(&s));

    const char *b[] = {"http",
                       "[::]:9000",
                       "public-url",
                       "https://onair.example/",
                       "kakaopay-secret-key",
                       "sk",
                       "kakaopay-api",
                       "http://example.com",
                       NULL};
    load(&cfg, &s, b);
    assert_string_equal(s.public_url, "https://onair.example");
    assert_false(k->available(&s)); /* plain http off loopback */

    const char *c[] = {"public-url", "onair.example", "kakaopay-secret-key", "sk", NULL};
    load(&cfg, &s, c);
    assert_false(s.test_enabled); /* no usable return URL: nothing can be paid */
    assert_false(k->available(&s));

    const char *d[] = {"payment-test", "0", NULL};
    load(&cfg, &s, d);
    assert_false(pay_provider_find("test")->available(&s));

    /* The pg_token key depends on the server key. */
    struct pay_settings s2;
    uint8_t key2[32] = {1};
    config_defaults(&cfg);
    pay_settings_init(&s, &cfg, KEY, sizeof KEY);
    pay_settings_init(&s2, &cfg, key2, sizeof key2);
    assert_memory_not_equal(s.test_key, s2.test_key, PAY_TEST_KEY_LEN);
    assert_memory_not_equal(s.test_key, KEY, PAY_TEST_KEY_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
