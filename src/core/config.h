/*
 * config.h - every setting of onair, from one table.
 *
 * The table in config.c (name, type, default, bounds, help) drives all four
 * sources: defaults, the config file, ONAIR_* environment variables and
 * --flags, applied in that order so later sources win. `onair --help` is
 * printed from the same table, so a setting can't exist undocumented.
 *
 * Config file syntax: one `name = value` per line, `#` starts a comment
 * (except inside a double-quoted value), blank lines ignored, values may be
 * wrapped in double quotes.
 * Environment: ONAIR_<NAME> with dashes as underscores (ONAIR_LOG_LEVEL).
 * Flags: --name value or --name=value.
 *
 * A struct config is filled once at startup and read-only afterwards, so any
 * thread may read it.
 */
#ifndef ONAIR_CORE_CONFIG_H
#define ONAIR_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_id {
    CFG_CONFIG,
    CFG_HTTP,
    CFG_RTMP,
    CFG_DATA,
    CFG_WEB,
    CFG_WORKERS,
    CFG_LOG_LEVEL,
    CFG_STORE_THREADS,
    CFG_STORE_QUEUE_MAX,
    CFG_STORE_BUSY_TIMEOUT_MS,
    CFG_MAX_HEADER_BYTES,
    CFG_MAX_BODY_BYTES,
    CFG_HEADER_TIMEOUT_MS,
    CFG_IDLE_TIMEOUT_MS,
    CFG_MAX_CONNECTIONS,
    CFG_SHUTDOWN_TIMEOUT_MS,
    CFG_ACCESS_TTL,
    CFG_REFRESH_TTL,
    CFG_JWT_SECRET,
    CFG_LOGIN_MAX_FAILURES,
    CFG_LOGIN_MAX_FAILURES_IP,
    CFG_LOGIN_WINDOW,
    CFG_ARGON2_OPS,
    CFG_ARGON2_MEM_KIB,
    CFG_HLS_SEGMENT_MS,
    CFG_HLS_PART_MS,
    CFG_HLS_WINDOW,
    CFG_GRACE_MS,
    CFG_RTMP_MAX_MESSAGE,
    CFG_RTMP_IDLE_TIMEOUT_MS,
    CFG_FFMPEG,
    CFG_THUMBNAIL_INTERVAL_MS,
    CFG_TRANSCODE_MAX_CHILDREN,
    CFG_LADDER,
    CFG_RECORD,
    CFG_BANNED_WORDS,
    CFG_CHAT_RATE_COUNT,
    CFG_CHAT_RATE_WINDOW_MS,
    CFG_CHAT_SEND_QUEUE_BYTES,
    CFG_CHAT_MAX_MESSAGE_BYTES,
    CFG_CHAT_ROOM_IDLE_MS,
    CFG_MAX_CHARGE,
    CFG_PAYMENT_TTL_MS,
    CFG_PAYMENT_TEST,
    CFG_KAKAOPAY_SECRET_KEY,
    CFG_KAKAOPAY_CID,
    CFG_KAKAOPAY_API,
    CFG_KAKAOPAY_TIMEOUT_MS,
    CFG_PUBLIC_URL,
    CFG_MAX_DONATION,
    CFG_CHAT_FANOUT_DELAY_MS,
    CFG_SEARCH_BUDGET_MS,
    CFG__COUNT
};

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_ADDR, CONFIG_LEVEL };

#define CONFIG_VALUE_MAX 512

struct config {
    char str[CFG__COUNT][CONFIG_VALUE_MAX]; /* every value, as text */
    long long num[CFG__COUNT];              /* CONFIG_INT values, parsed */
    char host[CFG__COUNT][64];              /* CONFIG_ADDR values, split */
    int port[CFG__COUNT];
};

/* Fills c with the defaults. */
void config_defaults(struct config *c);

/* Applies, in order: the config file named by ONAIR_CONFIG or --config (if
 * any), the ONAIR_* variables of envp, then the flags in argv[first..argc).
 * On error returns ONAIR_EINVAL with a one-line reason in err. Unknown
 * flags, unknown file keys, bad values and out-of-bound numbers are errors. */
int config_load(struct config *c, int argc, char **argv, int first, char **envp, char *err,
                size_t errlen);

/* Parses config-file text (exposed for tests and the fuzzer). `origin`
 * names the source in error messages. */
int config_parse_text(struct config *c, const char *text, size_t len, const char *origin, char *err,
                      size_t errlen);

/* Sets one setting from text, validating it. */
int config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen);

/* The name of setting id ("http", "log-level", ...). */
const char *config_name(enum config_id id);

/* Writes the --help text (every setting, its default and meaning). */
void config_print_help(FILE *out);

static inline const char *config_str(const struct config *c, enum config_id id)
{
    return c->str[id];
}
static inline long long config_int(const struct config *c, enum config_id id)
{
    return c->num[id];
}

#endif
