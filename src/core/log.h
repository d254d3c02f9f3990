/*
 * log.h - one-line structured logs (logfmt) on stderr.
 *
 * Each call writes exactly one line with a single write(2), so lines from
 * different threads never interleave:
 *   ts=2026-11-22T03:40:00.123Z level=info subsys=http msg="listening" addr=...
 * The macros test the level before evaluating their arguments, so a debug
 * line on a hot path costs one branch when debug is off. Secrets (passwords,
 * tokens, stream keys) are never passed to these functions.
 * Thread-safe: the level is an atomic; any thread may log.
 */
#ifndef ONAIR_CORE_LOG_H
#define ONAIR_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the lowest level that is written (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
bool log_enabled(enum log_level level);

/* msg is a short human text; fmt, if not NULL, appends extra key=value pairs
 * (the caller quotes values that may hold spaces, see log_quote). */
void log_write(enum log_level level, const char *subsys, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies s into out (capacity n) as a logfmt-quoted value: "..." with
 * quotes, backslashes and control bytes escaped, truncated to fit. Returns out. */
const char *log_quote(char *out, unsigned n, const char *s);

#define LOG__AT(lvl, subsys, msg, ...)                                                             \
    do {                                                                                           \
        if (log_enabled(lvl))                                                                      \
            log_write(lvl, subsys, msg, __VA_ARGS__);                                              \
    } while (0)

/* log_info("http", "listening", "addr=%s", addr); pass NULL for no extra pairs. */
#define log_err(subsys, msg, ...) LOG__AT(LOG_ERR, subsys, msg, __VA_ARGS__)
#define log_warn(subsys, msg, ...) LOG__AT(LOG_WARN, subsys, msg, __VA_ARGS__)
#define log_info(subsys, msg, ...) LOG__AT(LOG_INFO, subsys, msg, __VA_ARGS__)
#define log_debug(subsys, msg, ...) LOG__AT(LOG_DEBUG, subsys, msg, __VA_ARGS__)

#endif
