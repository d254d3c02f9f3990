/*
 * Unit tests for src/core/config.c: defaults, the config file syntax,
 * validation of each type, and the file < environment < flags order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"

static int parse(struct config *c, const char *text, char *err, size_t errlen)
{
    return config_parse_text(c, text, strlen(text), "test.conf", err, errlen);
}

/* Writes text to a new temporary file; the caller unlinks path. */
static void write_temp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/onair-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void test_defaults(void **state)
{
    (void)state;
    static struct config c;
    config_defaults(&c);
    assert_string_equal(config_str(&c, CFG_HTTP), "127.0.0.1:8080");
    assert_string_equal(c.host[CFG_HTTP], "127.0.0.1");
    assert_int_equal(c.port[CFG_HTTP], 8080);
    assert_string_equal(config_str(&c, CFG_RTMP), "127.0.0.1:1935");
    assert_string_equal(c.host[CFG_RTMP], "127.0.0.1");
    assert_int_equal(c.port[CFG_RTMP], 1935);
    assert_string_equal(config_str(&c, CFG_DATA), "./data");
    assert_string_equal(config_str(&c, CFG_WEB), "./web");
    assert_int_equal(config_int(&c, CFG_WORKERS), 0);
    assert_string_equal(config_str(&c, CFG_WORKERS), "0");
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "info");
    assert_string_equal(config_str(&c, CFG_CONFIG), "");
    assert_string_equal(config_str(&c, CFG_JWT_SECRET), "");
    assert_int_equal(config_int(&c, CFG_MAX_HEADER_BYTES), 16384);
    assert_int_equal(config_int(&c, CFG_MAX_BODY_BYTES), 1048576);
    assert_int_equal(config_int(&c, CFG_STORE_THREADS), 2);
    assert_int_equal(config_int(&c, CFG_ACCESS_TTL), 900);
    /* Defaults are deterministic. */
    static struct config again;
    config_defaults(&again);
    assert_memory_equal(&c, &again, sizeof c);
}

/* A '#' inside a quoted value belongs to the value; outside, it starts a comment. */
static void test_hash_inside_quotes(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(parse(&c, "data = \"/srv/onair#1\" # where\n", err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_DATA), "/srv/onair#1");
    assert_int_equal(parse(&c, "data = /srv/x#comment\n", err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_DATA), "/srv/x");
}

static void test_file_syntax(void **state)
{
    (void)state;
    static struct config c;
    char err[256] = "";
    config_defaults(&c);
    const char *text = "# onair test config\n"
                       "\n"
                       "http = 0.0.0.0:9090\n"
                       "   \t  \n"
                       "  workers=4   # four loops\n"
                       "data = \"/var/lib/onair data\"\n"
                       "log-level\t=\tdebug\r\n"
                       "web = \"./my web\"  \r\n"
                       "#max-body-bytes = 2048\n"
                       "jwt-secret = \"\"\n"
                       "rtmp =[::1]:1936"; /* no newline at the end */
    assert_int_equal(parse(&c, text, err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_HTTP), "0.0.0.0:9090");
    assert_string_equal(c.host[CFG_HTTP], "0.0.0.0");
    assert_int_equal(c.port[CFG_HTTP], 9090);
    assert_int_equal(config_int(&c, CFG_WORKERS), 4);
    assert_string_equal(config_str(&c, CFG_DATA), "/var/lib/onair data");
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "debug");
    assert_string_equal(config_str(&c, CFG_WEB), "./my web");
    assert_int_equal(config_int(&c, CFG_MAX_BODY_BYTES), 1048576); /* commented out */
    assert_string_equal(config_str(&c, CFG_JWT_SECRET), "");
    assert_string_equal(c.host[CFG_RTMP], "::1");
    assert_int_equal(c.port[CFG_RTMP], 1936);

    /* Empty text and comment-only text change nothing. */
    assert_int_equal(parse(&c, "", err, sizeof err), 0);
    assert_int_equal(parse(&c, "\n\n# nothing\n   # here\n", err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 4);

    /* A later line wins over an earlier one. */
    assert_int_equal(parse(&c, "workers = 1\nworkers = 2\n", err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 2);
    /* A single quote character is a value, not an empty quoted one. */
    assert_int_equal(parse(&c, "data = \"\n", err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_DATA), "\"");
}

static void test_file_errors(void **state)
{
    (void)state;
    static struct config c;
    static const struct {
        const char *text;
        const char *where; /* what the error must mention */
        const char *what;
    } cases[] = {
        {"workers = 2\n\nbogus = 1\n", "test.conf:3", "bogus"},
        {"# c\nhttp 127.0.0.1:80\n", "test.conf:2", NULL},
        {"workers = four\n", "test.conf:1", "workers"},
        {"workers = 4x\n", "test.conf:1", "workers"},
        {"workers =\n", "test.conf:1", "workers"},
        {"workers = 65\n", "test.conf:1", "workers"},
        {"workers = -1\n", "test.conf:1", "workers"},
        {"\n\n\n\nmax-body-bytes = 10\n", "test.conf:5", "max-body-bytes"},
        {"http = 127.0.0.1\n", "test.conf:1", "http"},
        {"log-level = loud\n", "test.conf:1", "log-level"},
        {"config = other.conf\n", "test.conf:1", "config"}, /* no nesting */
        {"= 5\n", "test.conf:1", NULL},
        {"Workers = 4\n", "test.conf:1", "Workers"}, /* names are case-sensitive */
        {"--workers = 4\n", "test.conf:1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        config_defaults(&c);
        assert_int_equal(parse(&c, cases[i].text, err, sizeof err), ONAIR_EINVAL);
        if (!strstr(err, cases[i].where) || (cases[i].what && !strstr(err, cases[i].what)))
            print_error("error for case %zu: '%s'\n", i, err);
        assert_non_null(strstr(err, cases[i].where));
        if (cases[i].what)
            assert_non_null(strstr(err, cases[i].what));
    }

    /* A line longer than any value can be. */
    char *text = malloc(4096);
    assert_non_null(text);
    memset(text, 'x', 4095);
    memcpy(text, "data = ", 7);
    text[4095] = '\0';
    char err[256];
    config_defaults(&c);
    assert_int_equal(parse(&c, text, err, sizeof err), ONAIR_EINVAL);
    assert_non_null(strstr(err, "test.conf:1"));
    assert_string_equal(config_str(&c, CFG_DATA), "./data");
    free(text);

    /* A tiny error buffer is not overrun. */
    char small[8];
    memset(small, '#', sizeof small);
    assert_int_equal(config_parse_text(&c, "nope = 1", 8, "test.conf", small, 4), ONAIR_EINVAL);
    assert_int_equal(small[3], '\0');
    assert_int_equal(small[4], '#');
}

static void test_int_bounds(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    static const struct {
        const char *name, *value;
        int ok;
        long long want;
    } cases[] = {
        {"workers", "0", 1, 0},
        {"workers", "64", 1, 64},
        {"workers", "65", 0, 0},
        {"workers", "-1", 0, 0},
        {"workers", "", 0, 0},
        {"workers", "1.5", 0, 0},
        {"workers", "0x10", 0, 0},
        {"workers", "99999999999999999999999", 0, 0},
        {"max-body-bytes", "1024", 1, 1024},
        {"max-body-bytes", "1023", 0, 0},
        {"max-body-bytes", "67108864", 1, 67108864},
        {"max-body-bytes", "67108865", 0, 0},
        {"store-threads", "0", 0, 0},
        {"argon2-mem-kib", "4194304", 1, 4194304},
        {"refresh-ttl", "59", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static struct config before;
        memcpy(&before, &c, sizeof c);
        int rc = config_set(&c, cases[i].name, cases[i].value, err, sizeof err);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, ONAIR_EINVAL);
            assert_non_null(strstr(err, cases[i].name));
            /* A rejected value leaves the setting as it was. */
            assert_memory_equal(&before, &c, sizeof c);
        }
    }
    assert_int_equal(config_set(&c, "workers", "12", err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 12);
    assert_string_equal(config_str(&c, CFG_WORKERS), "12");
}

static void test_addresses(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    static const struct {
        const char *value, *host;
        int port; /* -1: must be rejected */
    } cases[] = {
        {"127.0.0.1:8080", "127.0.0.1", 8080},
        {"0.0.0.0:0", "0.0.0.0", 0},
        {"[::1]:8080", "::1", 8080},
        {"[::]:443", "::", 443},
        {"localhost:65535", "localhost", 65535},
        {"127.0.0.1", NULL, -1},
        {"host:99999", NULL, -1},
        {"host:65536", NULL, -1},
        {"host:-1", NULL, -1},
        {"host:", NULL, -1},
        {":8080", NULL, -1},
        {"host:80x", NULL, -1},
        {"host:http", NULL, -1},
        {"[::1]", NULL, -1},
        {"[::1]8080", NULL, -1},
        {"[]:80", NULL, -1},
        {"[::1:80", NULL, -1},
        {"", NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config_defaults(&c);
        int rc = config_set(&c, "http", cases[i].value, err, sizeof err);
        if (cases[i].port < 0) {
            if (rc == 0)
                print_error("accepted http = '%s'\n", cases[i].value);
            assert_int_equal(rc, ONAIR_EINVAL);
            assert_non_null(strstr(err, "http"));
            assert_string_equal(config_str(&c, CFG_HTTP), "127.0.0.1:8080");
            assert_string_equal(c.host[CFG_HTTP], "127.0.0.1");
            assert_int_equal(c.port[CFG_HTTP], 8080);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(c.host[CFG_HTTP], cases[i].host);
            assert_int_equal(c.port[CFG_HTTP], cases[i].port);
            assert_string_equal(config_str(&c, CFG_HTTP), cases[i].value);
        }
    }
    /* A host too long for the host field. */
    char longhost[128];
    memset(longhost, 'h', 100);
    memcpy(longhost + 100, ":80", 4);
    config_defaults(&c);
    assert_int_equal(config_set(&c, "rtmp", longhost, err, sizeof err), ONAIR_EINVAL);
}

static void test_log_level(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    static const char *const good[] = {"error", "warn", "info", "debug"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(config_set(&c, "log-level", good[i], err, sizeof err), 0);
        assert_string_equal(config_str(&c, CFG_LOG_LEVEL), good[i]);
    }
    static const char *const bad[] = {"verbose", "DEBUG", "", "warning", "info ", "3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(config_set(&c, "log-level", bad[i], err, sizeof err), ONAIR_EINVAL);
        assert_non_null(strstr(err, "log-level"));
    }
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "debug");
}

static void test_set_misc(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "no-such-setting", "1", err, sizeof err), ONAIR_EINVAL);
    assert_non_null(strstr(err, "no-such-setting"));
    assert_int_equal(config_set(&c, "", "1", err, sizeof err), ONAIR_EINVAL);
    assert_int_equal(config_set(&c, "work", "1", err, sizeof err), ONAIR_EINVAL);

    /* Strings: anything up to the size limit, stored exactly. */
    assert_int_equal(
        config_set(&c, "jwt-secret", "s3cr3t with spaces = and # too", err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_JWT_SECRET), "s3cr3t with spaces = and # too");
    char big[CONFIG_VALUE_MAX + 1];
    memset(big, 'v', sizeof big - 1);
    big[CONFIG_VALUE_MAX - 1] = '\0';
    assert_int_equal(config_set(&c, "data", big, err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_DATA), big);
    big[CONFIG_VALUE_MAX - 1] = 'v';
    big[CONFIG_VALUE_MAX] = '\0';
    assert_int_equal(config_set(&c, "data", big, err, sizeof err), ONAIR_EINVAL);
    assert_int_equal(strlen(config_str(&c, CFG_DATA)), CONFIG_VALUE_MAX - 1);

    /* The help text names every setting. */
    char *help = NULL;
    size_t helplen = 0;
    FILE *f = open_memstream(&help, &helplen);
    assert_non_null(f);
    config_print_help(f);
    fclose(f);
    static const char *const names[] = {"--http",       "--rtmp",      "--data",
                                        "--workers",    "--log-level", "--max-body-bytes",
                                        "--jwt-secret", "--config"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(strstr(help, names[i]));
    free(help);
}

static void test_load_precedence(void **state)
{
    (void)state;
    static struct config c;
    char path[64], err[512] = "";
    write_temp(path, sizeof path,
               "# from the file\n"
               "workers = 1\n"
               "data = /from/file\n"
               "log-level = warn\n"
               "http = 10.0.0.1:81\n");
    char env_config[128];
    snprintf(env_config, sizeof env_config, "ONAIR_CONFIG=%s", path);
    char *envp[] = {"PATH=/usr/bin",
                    env_config,
                    "ONAIR_WORKERS=2",
                    "ONAIR_DATA=/from/env",
                    "ONAIR_MAX_BODY_BYTES=4096",
                    "ONAIR_WORKERSX=9",
                    "XONAIR_WEB=/nope",
                    NULL};
    char *argv[] = {"onair", "--workers", "3", "--rtmp=0.0.0.0:1936", NULL};

    config_defaults(&c);
    assert_int_equal(config_load(&c, 4, argv, 1, envp, err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 3);           /* flag beats env and file */
    assert_string_equal(config_str(&c, CFG_DATA), "/from/env"); /* env beats file */
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "warn"); /* file beats default */
    assert_string_equal(c.host[CFG_HTTP], "10.0.0.1");
    assert_int_equal(c.port[CFG_HTTP], 81);
    assert_int_equal(config_int(&c, CFG_MAX_BODY_BYTES), 4096);
    assert_int_equal(c.port[CFG_RTMP], 1936);
    assert_string_equal(config_str(&c, CFG_WEB), "./web"); /* near-miss env names ignored */
    assert_string_equal(config_str(&c, CFG_CONFIG), path);

    /* --config names the file too, and wins over ONAIR_CONFIG. */
    char path2[64];
    write_temp(path2, sizeof path2, "workers = 7\nweb = /from/file2\n");
    char *argv2[] = {"onair", "--config", path2, NULL};
    config_defaults(&c);
    assert_int_equal(config_load(&c, 3, argv2, 1, envp, err, sizeof err), 0);
    assert_string_equal(config_str(&c, CFG_WEB), "/from/file2");
    assert_int_equal(config_int(&c, CFG_WORKERS), 2); /* env still beats the file */
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "info");

    char flag[128];
    snprintf(flag, sizeof flag, "--config=%s", path2);
    char *argv3[] = {"onair", flag, NULL};
    char *noenv[] = {NULL};
    config_defaults(&c);
    assert_int_equal(config_load(&c, 2, argv3, 1, noenv, err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 7);

    /* No file, no env, no flags: defaults stay. */
    config_defaults(&c);
    assert_int_equal(config_load(&c, 1, argv, 1, noenv, err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 0);
    assert_int_equal(config_load(&c, 1, argv, 1, NULL, err, sizeof err), 0);

    unlink(path);
    unlink(path2);
}

static void test_load_flag_forms(void **state)
{
    (void)state;
    static struct config c;
    char err[512];
    char *noenv[] = {NULL};
    char *argv[] = {"onair", "--workers=5",        "--data", "/d d", "--log-level",
                    "debug", "--jwt-secret=a=b=c", "--web=", NULL};
    config_defaults(&c);
    assert_int_equal(config_load(&c, 8, argv, 1, noenv, err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 5);
    assert_string_equal(config_str(&c, CFG_DATA), "/d d");
    assert_string_equal(config_str(&c, CFG_LOG_LEVEL), "debug");
    assert_string_equal(config_str(&c, CFG_JWT_SECRET), "a=b=c"); /* split at the first '=' */
    assert_string_equal(config_str(&c, CFG_WEB), "");

    /* `first` skips a subcommand ("onair admin ..."). */
    char *argv2[] = {"onair", "admin", "--workers", "6", NULL};
    config_defaults(&c);
    assert_int_equal(config_load(&c, 4, argv2, 2, noenv, err, sizeof err), 0);
    assert_int_equal(config_int(&c, CFG_WORKERS), 6);
}

static void test_load_errors(void **state)
{
    (void)state;
    static struct config c;
    char *noenv[] = {NULL};
    static const struct {
        int argc;
        char *argv[4];
        const char *mention;
    } cases[] = {
        {2, {"onair", "--bogus", NULL}, "--bogus"},
        {3, {"onair", "--bogus", "1", NULL}, "--bogus"},
        {2, {"onair", "--bogus=1", NULL}, "--bogus"},
        {2, {"onair", "--workers", NULL}, "workers"},     /* missing value */
        {3, {"onair", "--data", "x", "--workers"}, NULL}, /* argc cuts it */
        {2, {"onair", "workers=3", NULL}, "workers=3"},   /* not a flag */
        {2, {"onair", "-w", NULL}, "-w"},
        {2, {"onair", "--", NULL}, NULL},
        {2, {"onair", "--workers=100", NULL}, "workers"},
        {3, {"onair", "--http", "nowhere", NULL}, "http"},
        {2, {"onair", "--log-level=loud", NULL}, "log-level"},
        {2, {"onair", "--config=/nonexistent/onair.conf", NULL}, "/nonexistent/onair.conf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        config_defaults(&c);
        int rc = config_load(&c, cases[i].argc, (char **)cases[i].argv, 1, noenv, err, sizeof err);
        if (i == 4) { /* "--workers" is past argc: not an error, never seen */
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, ONAIR_EINVAL);
        assert_true(err[0] != '\0');
        if (cases[i].mention)
            assert_non_null(strstr(err, cases[i].mention));
    }

    /* A bad environment value names the variable. */
    char *envp[] = {"ONAIR_WORKERS=lots", NULL};
    char *argv[] = {"onair", NULL};
    char err[512] = "";
    config_defaults(&c);
    assert_int_equal(config_load(&c, 1, argv, 1, envp, err, sizeof err), ONAIR_EINVAL);
    assert_non_null(strstr(err, "ONAIR_WORKERS"));

    /* A bad line in the file names the file and the line. */
    char path[64];
    write_temp(path, sizeof path, "workers = 2\nnope = 1\n");
    char flag[128];
    snprintf(flag, sizeof flag, "--config=%s", path);
    char *argv2[] = {"onair", flag, NULL};
    config_defaults(&c);
    assert_int_equal(config_load(&c, 2, argv2, 1, NULL, err, sizeof err), ONAIR_EINVAL);
    char where[96];
    snprintf(where, sizeof where, "%s:2", path);
    assert_non_null(strstr(err, where));
    assert_non_null(strstr(err, "nope"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),           cmocka_unit_test(test_file_syntax),
        cmocka_unit_test(test_hash_inside_quotes), cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_int_bounds),         cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_log_level),          cmocka_unit_test(test_set_misc),
        cmocka_unit_test(test_load_precedence),    cmocka_unit_test(test_load_flag_forms),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
