/* Unit tests for src/pay/form.c: urlencoded form bodies and Accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "pay/form.h"

static int get(const char *body, const char *key, char *out, size_t cap)
{
    return pay_form_get(body, strlen(body), key, out, cap);
}

static void test_form_finds_and_decodes(void **state)
{
    (void)state;
    char v[64];
    assert_int_equal(get("action=approve&amount=5000", "action", v, sizeof v), 0);
    assert_string_equal(v, "approve");
    assert_int_equal(get("action=approve&amount=5000", "amount", v, sizeof v), 0);
    assert_string_equal(v, "5000");
    assert_int_equal(get("a=hello+world%21%2B", "a", v, sizeof v), 0);
    assert_string_equal(v, "hello world!+");
    /* Keys are decoded too, and empty pairs are skipped. */
    assert_int_equal(get("&&act%69on=cancel&", "action", v, sizeof v), 0);
    assert_string_equal(v, "cancel");
    /* A key without '=' has an empty value. */
    assert_int_equal(get("x&action", "action", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(get("action=", "action", v, sizeof v), 0);
    assert_string_equal(v, "");
    /* UTF-8 passes through. */
    assert_int_equal(get("m=%ED%95%9C", "m", v, sizeof v), 0);
    assert_string_equal(v, "\xed\x95\x9c");
}

static void test_form_missing(void **state)
{
    (void)state;
    char v[8] = "junk";
    assert_int_equal(get("", "action", v, sizeof v), ONAIR_ENOTFOUND);
    assert_string_equal(v, "");
    assert_int_equal(get("actions=1&xaction=2&action_=3", "action", v, sizeof v), ONAIR_ENOTFOUND);
    assert_int_equal(pay_form_get(NULL, 0, "action", v, sizeof v), ONAIR_ENOTFOUND);
}

static void test_form_malformed(void **state)
{
    (void)state;
    char v[64];
    const char *bad[] = {
        "action=%",      "action=%4",   "action=%zz",        "action=approve%",
        "a%=1&action=x", "action=%00",  "action=a&action=b", "act%69on=a&action=b",
        "action=a\nb",   "action=\x7f", "x=%g0&action=a",    "x=\x01&action=a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(get(bad[i], "action", v, sizeof v), ONAIR_EPROTO);
    /* A NUL byte inside the body, not just an escaped one. */
    static const char nul[] = "action=ap\0prove";
    assert_int_equal(pay_form_get(nul, sizeof nul - 1, "action", v, sizeof v), ONAIR_EPROTO);
    /* A value cut short by a bad escape comes back empty (found by the fuzzer). */
    memset(v, 'X', sizeof v);
    assert_int_equal(get("a=1\xa1"
                         "c=%E%6D9%9C",
                         "a", v, sizeof v),
                     ONAIR_EPROTO);
    assert_string_equal(v, "");
    /* The length is honoured: bytes past it are not read. */
    assert_int_equal(pay_form_get("action=approve%zz", 14, "action", v, sizeof v), 0);
    assert_string_equal(v, "approve");
}

static void test_form_limits(void **state)
{
    (void)state;
    char v[8];
    assert_int_equal(get("action=approved", "action", v, sizeof v), ONAIR_ETOOBIG);
    assert_int_equal(get("action=approve", "action", v, sizeof v), 0);
    /* A bad escape after a too-long value is still malformed. */
    assert_int_equal(get("action=approved&x=%", "action", v, sizeof v), ONAIR_EPROTO);
    /* Long keys are never ours but are checked. */
    char body[512];
    memset(body, 'k', 200);
    strcpy(body + 200, "=1&action=ok");
    assert_int_equal(get(body, "action", v, sizeof v), 0);
    body[10] = '%';
    assert_int_equal(get(body, "action", v, sizeof v), ONAIR_EPROTO);
    /* At most PAY_FORM_MAX_PAIRS pairs. */
    char many[PAY_FORM_MAX_PAIRS * 4 + 32] = "";
    for (int i = 0; i < PAY_FORM_MAX_PAIRS; i++)
        strcat(many, "a=1&");
    assert_int_equal(get(many, "a", v, sizeof v), ONAIR_EPROTO); /* repeated anyway */
    many[0] = '\0';
    for (int i = 0; i < PAY_FORM_MAX_PAIRS - 1; i++)
        strcat(many, "b=1&");
    strcat(many, "a=1");
    assert_int_equal(get(many, "a", v, sizeof v), 0);
    strcat(many, "&c=1");
    assert_int_equal(get(many, "a", v, sizeof v), ONAIR_EPROTO);
}

static void test_accept(void **state)
{
    (void)state;
    assert_false(pay_accept_prefers_html(NULL));
    assert_false(pay_accept_prefers_html(""));
    assert_false(pay_accept_prefers_html("*/*"));
    assert_false(pay_accept_prefers_html("application/json"));
    assert_false(pay_accept_prefers_html("application/json, text/html"));
    assert_false(pay_accept_prefers_html("text/html;q=0.5, application/json"));
    assert_false(pay_accept_prefers_html("text/html;q=0"));
    assert_false(pay_accept_prefers_html("text/html;q=0.8, */*"));
    assert_true(pay_accept_prefers_html("text/html"));
    assert_true(pay_accept_prefers_html("TEXT/HTML"));
    assert_true(pay_accept_prefers_html("text/*"));
    assert_true(
        pay_accept_prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
    assert_true(pay_accept_prefers_html(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"));
    assert_true(pay_accept_prefers_html("application/json;q=0.5, text/html"));
    assert_true(pay_accept_prefers_html(" text/html ; q=1.000 , application/*;q=0.999"));
    /* The most specific range decides: text/html;q=0 wins over text/any. */
    assert_false(pay_accept_prefers_html("text/*, text/html;q=0"));
    /* Malformed q values skip their range. */
    assert_false(pay_accept_prefers_html("text/html;q=2"));
    assert_false(pay_accept_prefers_html("text/html;q=1.5"));
    assert_false(pay_accept_prefers_html("text/html;q=0.12345"));
    assert_false(pay_accept_prefers_html("text/html;q=x"));
    assert_false(pay_accept_prefers_html("text/html;q="));
    assert_true(pay_accept_prefers_html("text/html;q=x, text/*;q=0.9"));
    assert_false(pay_accept_prefers_html(",,,;;;/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_finds_and_decodes),
        cmocka_unit_test(test_form_missing),
        cmocka_unit_test(test_form_malformed),
        cmocka_unit_test(test_form_limits),
        cmocka_unit_test(test_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
