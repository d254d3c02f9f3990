/* Unit tests for src/pay/kakaopay.c: reading KakaoPay's answers (the
 * network calls themselves are tested end to end against a fake). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "pay/internal.h"

static int ready(const char *json, struct pay_ready_out *out)
{
    return pay__kakao_ready_parse(json, strlen(json), out);
}

static int approve(const char *json, const char *tid, int64_t *total)
{
    return pay__kakao_approve_parse(json, strlen(json), tid, total);
}

static void test_ready(void **state)
{
    (void)state;
    struct pay_ready_out o;
    assert_int_equal(
        ready("{\"tid\":\"T1234567890\",\"tms_result\":false,"
              "\"next_redirect_app_url\":\"https://online-pay.kakao.com/mockup/v1/x/aInfo\","
              "\"next_redirect_mobile_url\":\"https://online-pay.kakao.com/mockup/v1/x/mInfo\","
              "\"next_redirect_pc_url\":\"https://online-pay.kakao.com/mockup/v1/x/info\","
              "\"android_app_scheme\":\"kakaotalk://kakaopay/pg?url=x\","
              "\"created_at\":\"2026-11-22T12:00:00\"}",
              &o),
        0);
    assert_string_equal(o.tid, "T1234567890");
    assert_string_equal(o.next_url, "https://online-pay.kakao.com/mockup/v1/x/info");
    assert_int_equal(
        ready("{\"tid\":\"T1\",\"next_redirect_pc_url\":\"http://127.0.0.1:9/pay/T1\"}", &o), 0);

    const char *bad[] = {
        "",
        "null",
        "[]",
        "{}",
        "{\"tid\":\"T1\"}",
        "{\"next_redirect_pc_url\":\"https://x\"}",
        "{\"tid\":\"\",\"next_redirect_pc_url\":\"https://x\"}",
        "{\"tid\":5,\"next_redirect_pc_url\":\"https://x\"}",
        "{\"tid\":\"T1\",\"next_redirect_pc_url\":\"javascript:alert(1)\"}",
        "{\"tid\":\"T1\",\"next_redirect_pc_url\":\"http://evil.example/\"}",
        "{\"tid\":\"T1\",\"next_redirect_pc_url\":\"https://x\\u0000y\"}",
        "{\"tid\":\"T1\\u0000\",\"next_redirect_pc_url\":\"https://x\"}",
        "{\"tid\":\"T1\",\"tid\":\"T2\",\"next_redirect_pc_url\":\"https://x\"}",
        "{\"tid\":\"T1\",\"next_redirect_pc_url\":\"https://x\"",
        "{\"tid\":\"TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT\","
        "\"next_redirect_pc_url\":\"https://x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ready(bad[i], &o), ONAIR_EPROTO);
        assert_string_equal(o.tid, "");
        assert_string_equal(o.next_url, "");
    }
}

static void test_approve(void **state)
{
    (void)state;
    int64_t total = 0;
    assert_int_equal(approve("{\"aid\":\"A1\",\"tid\":\"T1\",\"cid\":\"TC0ONETIME\","
                             "\"amount\":{\"total\":15000,\"tax_free\":0,\"vat\":1364,"
                             "\"point\":0,\"discount\":0},\"payment_method_type\":\"MONEY\"}",
                             "T1", &total),
                     0);
    assert_int_equal(total, 15000);
    const char *bad[] = {
        "{\"tid\":\"T2\",\"amount\":{\"total\":1}}", /* another payment's answer */
        "{\"amount\":{\"total\":1}}",
        "{\"tid\":\"T1\"}",
        "{\"tid\":\"T1\",\"amount\":{}}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":0}}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":-5}}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":1.5}}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":\"100\"}}",
        "{\"tid\":\"T1\",\"amount\":100}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":99999999999999999999}}",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        total = 7;
        assert_int_equal(approve(bad[i], "T1", &total), ONAIR_EPROTO);
        assert_int_equal(total, 7);
    }
}

static void test_order(void **state)
{
    (void)state;
    int64_t total = 0;
    const char *paid = "{\"tid\":\"T1\",\"cid\":\"TC0ONETIME\",\"status\":\"SUCCESS_PAYMENT\","
                       "\"partner_order_id\":\"pay_x\",\"amount\":{\"total\":700}}";
    assert_int_equal(pay__kakao_order_parse(paid, strlen(paid), "T1", &total), 0);
    assert_int_equal(total, 700);
    const char *statuses[] = {
        "READY",        "AUTH_PASSWORD", "CANCEL_PAYMENT", "PART_CANCEL_PAYMENT",
        "FAIL_PAYMENT", "QUIT_PAYMENT",  "success_payment"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"tid\":\"T1\",\"status\":\"%s\",\"amount\":{\"total\":700}}",
                 statuses[i]);
        total = 5;
        assert_int_equal(pay__kakao_order_parse(body, strlen(body), "T1", &total), ONAIR_ENOTFOUND);
        assert_int_equal(total, 5);
    }
    const char *bad[] = {
        "{\"tid\":\"T2\",\"status\":\"SUCCESS_PAYMENT\",\"amount\":{\"total\":700}}",
        "{\"tid\":\"T1\",\"amount\":{\"total\":700}}",
        "{\"tid\":\"T1\",\"status\":5,\"amount\":{\"total\":700}}",
        "{\"tid\":\"T1\",\"status\":\"SUCCESS_PAYMENT\"}",
        "{\"tid\":\"T1\",\"status\":\"SUCCESS_PAYMENT\",\"amount\":{\"total\":0}}",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        total = 5;
        assert_int_equal(pay__kakao_order_parse(bad[i], strlen(bad[i]), "T1", &total),
                         ONAIR_EPROTO);
        assert_int_equal(total, 5);
    }
}

static void test_error_reason(void **state)
{
    (void)state;
    char r[128];
    const char *e = "{\"error_code\":-780,\"error_message\":\"approval failure!\"}";
    pay__kakao_error_reason(e, strlen(e), r, sizeof r);
    assert_string_equal(r, "code=-780 msg=\"approval failure!\"");
    const char *old = "{\"code\":-401,\"msg\":\"say \\\"hi\\\"\\n\"}";
    pay__kakao_error_reason(old, strlen(old), r, sizeof r);
    assert_string_equal(r, "code=-401 msg=\"say \\\"hi\\\"\\x0a\"");
    pay__kakao_error_reason("<html>", 6, r, sizeof r);
    assert_string_equal(r, "");
    pay__kakao_error_reason("{}", 2, r, sizeof r);
    assert_string_equal(r, "code=0 msg=\"\"");
    char tiny[4] = "xyz";
    pay__kakao_error_reason(e, strlen(e), tiny, sizeof tiny);
    assert_string_equal(tiny, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready),
        cmocka_unit_test(test_approve),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_error_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
