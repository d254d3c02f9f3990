/*
 * Unit tests for src/chat/command.c: what a moderator types and what the
 * server understands (or why it refuses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chat/command.h"

static enum chat_command_parse_result parse(const char *text, struct chat_mod *m, const char **why)
{
    memset(m, 0, sizeof *m);
    return chat_command_parse(text, strlen(text), m, why);
}

static void test_timeout(void **state)
{
    (void)state;
    struct chat_mod m;
    const char *why;
    assert_int_equal(parse("/timeout alice 60 posting links", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.action, CHAT_MOD_TIMEOUT);
    assert_string_equal(m.target, "alice");
    assert_int_equal(m.seconds, 60);
    assert_string_equal(m.reason, "posting links");
    /* No seconds: the default; a reason that starts with a word. */
    assert_int_equal(parse("/timeout @Alice spam  ", &m, &why), CHAT_CMD_OK);
    assert_string_equal(m.target, "alice");
    assert_int_equal(m.seconds, CHAT_TIMEOUT_DEFAULT_S);
    assert_string_equal(m.reason, "spam");
    assert_int_equal(parse("/timeout alice 0", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/timeout alice 1209601", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/timeout alice 99999999999999999999", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/timeout", &m, &why), CHAT_CMD_BAD);
    assert_non_null(strstr(why, "usage"));
    assert_int_equal(parse("/timeout 가나다", &m, &why), CHAT_CMD_BAD);
}

static void test_ban_unban(void **state)
{
    (void)state;
    struct chat_mod m;
    const char *why;
    assert_int_equal(parse("/ban bob 욕설 반복", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.action, CHAT_MOD_BAN);
    assert_string_equal(m.target, "bob");
    assert_string_equal(m.reason, "욕설 반복");
    assert_int_equal(parse("/unban bob", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.action, CHAT_MOD_UNBAN);
    assert_int_equal(parse("/unban bob now", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/ban", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/ban @", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/ban abcdefghijklmnopqrstuvwxyz0123456789", &m, &why), CHAT_CMD_BAD);
}

static void test_slow_clear_delete(void **state)
{
    (void)state;
    struct chat_mod m;
    const char *why;
    assert_int_equal(parse("/slow", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.seconds, CHAT_SLOW_DEFAULT_S);
    assert_int_equal(parse("/slow 5", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.seconds, 5);
    assert_int_equal(parse("/slow off", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.seconds, 0);
    assert_int_equal(parse("/slow 86401", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/slow -1", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/clear", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.action, CHAT_MOD_CLEAR);
    assert_int_equal(parse("/clear everything", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/delete 42", &m, &why), CHAT_CMD_OK);
    assert_int_equal(m.seq, 42);
    assert_int_equal(parse("/delete 0", &m, &why), CHAT_CMD_BAD);
    assert_int_equal(parse("/delete x", &m, &why), CHAT_CMD_BAD);
}

/* Ordinary messages stay messages; an unknown command word is refused. */
static void test_not_commands(void **state)
{
    (void)state;
    struct chat_mod m;
    const char *why;
    assert_int_equal(parse("hello /ban bob", &m, &why), CHAT_CMD_NONE);
    assert_int_equal(parse("/", &m, &why), CHAT_CMD_NONE);
    assert_int_equal(parse("/r/korea", &m, &why), CHAT_CMD_NONE);
    assert_int_equal(parse("/1234", &m, &why), CHAT_CMD_NONE);
    assert_int_equal(parse("/ 띄어쓰기", &m, &why), CHAT_CMD_NONE);
    assert_int_equal(parse("/shrug", &m, &why), CHAT_CMD_BAD);
    assert_non_null(strstr(why, "unknown command"));
}

/* A long reason is cut at the field's end on a character boundary. */
static void test_reason_cut_on_boundary(void **state)
{
    (void)state;
    char text[2048] = "/ban bob ";
    for (int i = 0; i < 200; i++)
        strcat(text, "가");
    struct chat_mod m;
    const char *why;
    assert_int_equal(parse(text, &m, &why), CHAT_CMD_OK);
    size_t n = strlen(m.reason);
    assert_true(n <= STORE_REASON_MAX);
    assert_int_equal(n % 3, 0); /* whole 3-byte characters only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_ban_unban),
        cmocka_unit_test(test_slow_clear_delete),
        cmocka_unit_test(test_not_commands),
        cmocka_unit_test(test_reason_cut_on_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
