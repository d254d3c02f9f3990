/* Unit tests for src/pay/testpay.c: the test provider's pg_token and page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "pay/provider.h"

static const uint8_t KEY[32] = "unit-test-server-key-0123456789";
static const char *ID = "pay_AbCdEfGhIjKlMnOpQrStUvWx";

static void settings(struct pay_settings *s, const uint8_t *key)
{
    static struct config cfg;
    config_defaults(&cfg);
    pay_settings_init(s, &cfg, key, 32);
}

static void test_token_roundtrip(void **state)
{
    (void)state;
    struct pay_settings s;
    settings(&s, KEY);
    char tok[PAY_TOKEN_MAX + 1];
    int64_t amounts[] = {1, 7, 5000, 1000000, 999999999999999};
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        pay_test_token(&s, ID, amounts[i], tok);
        int64_t got = -1;
        assert_int_equal(pay_test_token_verify(&s, ID, tok, &got), 0);
        assert_int_equal(got, amounts[i]);
    }
    pay_test_token(&s, ID, 5000, tok);
    assert_true(strncmp(tok, "5000.", 5) == 0);
    assert_int_equal(strlen(tok), 5 + 43);
    /* Deterministic: the same payment and amount give the same token. */
    char again[PAY_TOKEN_MAX + 1];
    pay_test_token(&s, ID, 5000, again);
    assert_string_equal(tok, again);
}

static void test_token_tampering(void **state)
{
    (void)state;
    struct pay_settings s, other;
    settings(&s, KEY);
    uint8_t key2[32];
    memcpy(key2, KEY, 32);
    key2[0] ^= 1;
    settings(&other, key2);
    char tok[PAY_TOKEN_MAX + 1], edited[PAY_TOKEN_MAX + 8];
    int64_t got = 42;
    pay_test_token(&s, ID, 5000, tok);

    /* Another amount with the same MAC. */
    snprintf(edited, sizeof edited, "6%s", tok + 1);
    assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    snprintf(edited, sizeof edited, "1%s", tok + 4);
    assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    /* Every single changed character of the MAC. */
    for (size_t i = 5; i < strlen(tok); i++) {
        snprintf(edited, sizeof edited, "%s", tok);
        edited[i] = edited[i] == 'A' ? 'B' : 'A';
        assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    }
    /* Another payment, another server key. */
    assert_int_equal(pay_test_token_verify(&s, "pay_AbCdEfGhIjKlMnOpQrStUvWy", tok, &got),
                     ONAIR_EINVAL);
    assert_int_equal(pay_test_token_verify(&other, ID, tok, &got), ONAIR_EINVAL);
    /* Malformed. */
    const char *bad[] = {"",        ".",      "5000", "5000.",   ".abc",
                         "05000.x", "-5.x",   "+5.x", "5000x.y", "1234567890123456.x",
                         " 5000.x", "5000..x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pay_test_token_verify(&s, ID, bad[i], &got), ONAIR_EINVAL);
    snprintf(edited, sizeof edited, "0%s", tok);
    assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    snprintf(edited, sizeof edited, "%sA", tok);
    assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    snprintf(edited, sizeof edited, "%s", tok);
    edited[strlen(edited) - 1] = '\0';
    assert_int_equal(pay_test_token_verify(&s, ID, edited, &got), ONAIR_EINVAL);
    assert_int_equal(got, 42); /* untouched on failure */
}

static void payment(struct store_payment *p, const char *status, int64_t expires_at)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", ID);
    snprintf(p->status, sizeof p->status, "%s", status);
    snprintf(p->provider, sizeof p->provider, "test");
    p->amount = 12345;
    p->expires_at = expires_at;
}

static void test_page(void **state)
{
    (void)state;
    struct store_payment p;
    struct buf b;
    payment(&p, "ready", 2000);
    buf_init(&b, 0);
    pay_test_page(&p, 1000, &b);
    assert_non_null(strstr(b.data, "12345 points"));
    assert_non_null(strstr(b.data, "<form method=\"post\" action=\"/pay/test/"
                                   "pay_AbCdEfGhIjKlMnOpQrStUvWx\">"));
    assert_non_null(strstr(b.data, "name=\"amount\" value=\"12345\""));
    assert_non_null(strstr(b.data, "value=\"approve\""));
    assert_non_null(strstr(b.data, "value=\"cancel\""));
    buf_reset(&b);

    /* Expired or done: no form, and says why. */
    pay_test_page(&p, 2000, &b);
    assert_null(strstr(b.data, "<form"));
    assert_non_null(strstr(b.data, "expired"));
    buf_reset(&b);
    payment(&p, "approved", 2000);
    pay_test_page(&p, 1000, &b);
    assert_null(strstr(b.data, "<form"));
    assert_non_null(strstr(b.data, "approved"));
    buf_reset(&b);

    /* Everything from the record is escaped. */
    payment(&p, "ready", 2000);
    snprintf(p.id, sizeof p.id, "pay_<b>\"'&");
    pay_test_page(&p, 1000, &b);
    assert_null(strstr(b.data, "<b>"));
    assert_non_null(strstr(b.data, "pay_&lt;b&gt;&quot;&#39;&amp;"));
    buf_free(&b);
}

static void test_provider_ready(void **state)
{
    (void)state;
    struct pay_settings s;
    settings(&s, KEY);
    const struct pay_provider *t = pay_provider_find("test");
    assert_non_null(t);
    assert_true(t->available(&s));
    struct store_payment p;
    payment(&p, "ready", 2000);
    struct pay_ready_out out;
    assert_int_equal(t->ready(&s, &p, &out), 0);
    assert_string_equal(out.tid, "");
    assert_string_equal(out.next_url,
                        "http://127.0.0.1:8080/pay/test/pay_AbCdEfGhIjKlMnOpQrStUvWx");
    char tok[PAY_TOKEN_MAX + 1];
    int64_t approved = 0;
    pay_test_token(&s, p.id, 99, tok);
    assert_int_equal(t->approve(&s, &p, tok, &approved), 0);
    assert_int_equal(approved, 99);
    assert_int_equal(t->approve(&s, &p, "99.x", &approved), ONAIR_EINVAL);
    assert_int_equal(t->refund(&s, &p, 99), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_roundtrip),
        cmocka_unit_test(test_token_tampering),
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_provider_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
