/*
 * fuzz_config.c - libFuzzer target for the settings parser (src/core/config.c).
 *
 * Each input is used twice:
 *  1. as config-file text, given to config_parse_text() on a config filled
 *     with config_defaults();
 *  2. as a command line: each line becomes one argument, except lines
 *     starting with ONAIR_, which become environment entries, and it goes
 *     through config_load() (never with a config file: arguments or
 *     variables naming one are dropped, so no file is ever opened).
 * Invariants (abort() when broken): the result is 0 or ONAIR_EINVAL; an
 * error comes with a message; every stored value is NUL-terminated within
 * its field; and any config that was accepted holds only values that
 * config_set() accepts again, giving the same parsed numbers and addresses.
 * Seeds: tests/fuzz/corpus/config/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"

static struct config defaults;

static void check_accepted(const struct config *c)
{
    static struct config again;
    char err[1024];
    memcpy(&again, &defaults, sizeof again);
    for (int id = 0; id < CFG__COUNT; id++) {
        if (memchr(c->str[id], '\0', CONFIG_VALUE_MAX) == NULL)
            abort();
        if (memchr(c->host[id], '\0', sizeof c->host[id]) == NULL)
            abort();
        if (config_set(&again, config_name((enum config_id)id), c->str[id], err, sizeof err) != 0)
            abort();
        if (again.num[id] != c->num[id] || again.port[id] != c->port[id] ||
            strcmp(again.host[id], c->host[id]) != 0 || strcmp(again.str[id], c->str[id]) != 0)
            abort();
        if (c->port[id] < 0 || c->port[id] > 65535)
            abort();
    }
}

static void check_failed(int rc, const char *err)
{
    if (rc != ONAIR_EINVAL)
        abort();
    if (err[0] == '\0')
        abort();
}

static void as_file(const char *text, size_t len)
{
    static struct config c;
    char err[256];
    memcpy(&c, &defaults, sizeof c);
    err[0] = '\0';
    int rc = config_parse_text(&c, text, len, "fuzz.conf", err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        abort();
    if (rc == 0)
        check_accepted(&c);
    else
        check_failed(rc, err);
}

static void as_command_line(const char *text, size_t len)
{
    enum { MAX_ARGS = 32 };
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *argv[MAX_ARGS + 2], *envp[MAX_ARGS + 1];
    int argc = 0, envc = 0;
    argv[argc++] = "onair";
    for (char *line = copy; line && argc <= MAX_ARGS && envc < MAX_ARGS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr(line, "config") == NULL && strstr(line, "CONFIG") == NULL) {
            if (strncmp(line, "ONAIR_", 6) == 0)
                envp[envc++] = line;
            else
                argv[argc++] = line;
        }
        line = nl ? nl + 1 : NULL;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;

    static struct config c;
    char err[256];
    memcpy(&c, &defaults, sizeof c);
    err[0] = '\0';
    int rc = config_load(&c, argc, argv, 1, envp, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        abort();
    if (rc == 0)
        check_accepted(&c);
    else
        check_failed(rc, err);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        config_defaults(&defaults);
        check_accepted(&defaults);
        ready = 1;
    }
    /* An exact-size copy so ASan flags any read past size. */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    as_file(text, size);
    as_command_line(text, size);
    free(text);
    return 0;
}
