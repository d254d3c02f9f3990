#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

struct setting {
    const char *name;
    enum config_type type;
    const char *def;
    long long min, max;
    const char *help;
};

/* The one table. Order matches enum config_id. */
static const struct setting settings[CFG__COUNT] = {
    [CFG_CONFIG] = {"config", CONFIG_STRING, "", 0, 0,
                    "config file to read first (name = value lines)"},
    [CFG_HTTP] = {"http", CONFIG_ADDR, "127.0.0.1:8080", 0, 0,
                  "address:port for the web app, REST API, HLS and WebSocket"},
    [CFG_RTMP] = {"rtmp", CONFIG_ADDR, "127.0.0.1:1935", 0, 0,
                  "address:port for RTMP ingest from OBS"},
    [CFG_DATA] = {"data", CONFIG_STRING, "./data", 0, 0,
                  "directory for the database and generated secrets"},
    [CFG_WEB] = {"web", CONFIG_STRING, "./web", 0, 0,
                 "directory of the browser app's static files"},
    [CFG_WORKERS] = {"workers", CONFIG_INT, "0", 0, 64,
                     "I/O loops (threads); 0 means one per CPU core"},
    [CFG_LOG_LEVEL] = {"log-level", CONFIG_LEVEL, "info", 0, 0, "error, warn, info or debug"},
    [CFG_STORE_THREADS] = {"store-threads", CONFIG_INT, "2", 1, 32,
                           "database threads, each with its own connection"},
    [CFG_STORE_QUEUE_MAX] = {"store-queue-max", CONFIG_INT, "10000", 16, 1000000,
                             "database jobs that may wait; past this requests get 503"},
    [CFG_STORE_BUSY_TIMEOUT_MS] = {"store-busy-timeout-ms", CONFIG_INT, "5000", 0, 600000,
                                   "how long a database write waits for the lock"},
    [CFG_MAX_HEADER_BYTES] = {"max-header-bytes", CONFIG_INT, "16384", 1024, 1048576,
                              "largest request line plus headers; past it: 431"},
    [CFG_MAX_BODY_BYTES] = {"max-body-bytes", CONFIG_INT, "1048576", 1024, 67108864,
                            "largest request body; past it: 413"},
    [CFG_HEADER_TIMEOUT_MS] = {"header-timeout-ms", CONFIG_INT, "10000", 100, 600000,
                               "time a client has to send a whole request once it starts"},
    [CFG_IDLE_TIMEOUT_MS] = {"idle-timeout-ms", CONFIG_INT, "60000", 100, 3600000,
                             "idle keep-alive connections are closed after this"},
    [CFG_MAX_CONNECTIONS] = {"max-connections", CONFIG_INT, "18000", 16, 1000000,
                             "open HTTP connections per process; past it new ones are refused"},
    [CFG_SHUTDOWN_TIMEOUT_MS] = {"shutdown-timeout-ms", CONFIG_INT, "10000", 0, 600000,
                                 "on SIGTERM, how long in-flight requests may take to finish"},
    [CFG_ACCESS_TTL] = {"access-ttl", CONFIG_INT, "900", 1, 86400,
                        "lifetime of an access token, seconds"},
    [CFG_REFRESH_TTL] = {"refresh-ttl", CONFIG_INT, "2592000", 60, 31536000,
                         "lifetime of a refresh token, seconds"},
    [CFG_JWT_SECRET] = {"jwt-secret", CONFIG_STRING, "", 0, 0,
                        "HMAC key for access tokens (>= 32 bytes); empty: generated once "
                        "and kept in <data>/jwt.key"},
    [CFG_LOGIN_MAX_FAILURES] = {"login-max-failures", CONFIG_INT, "5", 1, 1000000,
                                "failed logins per username per window before 429"},
    [CFG_LOGIN_MAX_FAILURES_IP] = {"login-max-failures-ip", CONFIG_INT, "20", 1, 1000000,
                                   "failed logins per client IP per window before 429"},
    [CFG_LOGIN_WINDOW] = {"login-window", CONFIG_INT, "300", 1, 86400,
                          "failed-login window, seconds"},
    [CFG_ARGON2_OPS] = {"argon2-ops", CONFIG_INT, "2", 1, 10, "argon2id passes (time cost)"},
    [CFG_ARGON2_MEM_KIB] = {"argon2-mem-kib", CONFIG_INT, "19456", 8, 4194304,
                            "argon2id memory cost, KiB"},
    [CFG_HLS_SEGMENT_MS] = {"hls-segment-ms", CONFIG_INT, "2000", 500, 10000,
                            "HLS segment target; segments are cut at the first keyframe after it"},
    [CFG_HLS_PART_MS] =
        {"hls-part-ms", CONFIG_INT, "334", 100, 2000,
         "LL-HLS part target; parts never exceed it (334: ten 30 fps frames with ms timestamps)"},
    [CFG_HLS_WINDOW] = {"hls-window", CONFIG_INT, "6", 2, 16,
                        "complete segments kept in memory and listed per stream"},
    [CFG_GRACE_MS] = {"grace-ms", CONFIG_INT, "10000", 0, 600000,
                      "a dropped publisher may come back this long and continue the same playlist"},
    [CFG_RTMP_MAX_MESSAGE] = {"rtmp-max-message", CONFIG_INT, "8388608", 65536, 16777215,
                              "largest RTMP message accepted (one video frame), bytes"},
    [CFG_RTMP_IDLE_TIMEOUT_MS] = {"rtmp-idle-timeout-ms", CONFIG_INT, "15000", 1000, 600000,
                                  "an RTMP client that sends nothing this long is dropped"},
    [CFG_FFMPEG] = {"ffmpeg", CONFIG_STRING, "ffmpeg", 0, 0,
                    "ffmpeg program for thumbnails and transcoding (looked up in PATH)"},
    [CFG_THUMBNAIL_INTERVAL_MS] = {"thumbnail-interval-ms", CONFIG_INT, "15000", 0, 3600000,
                                   "how often a live channel's thumbnail is refreshed; 0: never"},
    [CFG_TRANSCODE_MAX_CHILDREN] = {"transcode-max-children", CONFIG_INT, "4", 1, 256,
                                    "ffmpeg children of each kind (thumbnails, renditions) "
                                    "running at once, at most"},
    [CFG_LADDER] = {"ladder", CONFIG_STRING, "", 0, 0,
                    "ABR renditions made by ffmpeg below the source, e.g. 720p,480p:1200k,360p "
                    "(empty: the source only)"},
    [CFG_RECORD] = {"record", CONFIG_INT, "0", 0, 1,
                    "1: record every broadcast to <data>/recordings as a VOD playlist, served "
                    "at /vod/<channel>/<broadcast>/index.m3u8"},
    [CFG_BANNED_WORDS] = {"banned-words", CONFIG_STRING, "./etc/banned-words.txt", 0, 0,
                          "chat word list (one per line) masked with '*'; reloaded on SIGHUP; "
                          "empty: no filter"},
    [CFG_CHAT_RATE_COUNT] = {"chat-rate-count", CONFIG_INT, "10", 0, 1000000,
                             "chat messages one user may send per chat-rate-window-ms "
                             "(all their connections together); 0: no limit"},
    [CFG_CHAT_RATE_WINDOW_MS] = {"chat-rate-window-ms", CONFIG_INT, "10000", 100, 3600000,
                                 "the window of chat-rate-count, milliseconds"},
    [CFG_CHAT_SEND_QUEUE_BYTES] = {"chat-send-queue-bytes", CONFIG_INT, "1048576", 4096, 67108864,
                                   "unsent bytes a chat connection may have queued; a reader "
                                   "that falls further behind is closed with 1013"},
    [CFG_CHAT_MAX_MESSAGE_BYTES] = {"chat-max-message-bytes", CONFIG_INT, "16384", 1024, 1048576,
                                    "largest WebSocket message a chat client may send (1009 "
                                    "past it)"},
    [CFG_CHAT_ROOM_IDLE_MS] = {"chat-room-idle-ms", CONFIG_INT, "60000", 1000, 86400000,
                               "a chat room nobody has joined this long gives back its memory "
                               "(history is reloaded from the database on next use)"},
    [CFG_MAX_CHARGE] = {"max-charge", CONFIG_INT, "1000000", 1, 1000000000,
                        "most points one payment may charge"},
    [CFG_PAYMENT_TTL_MS] = {"payment-ttl-ms", CONFIG_INT, "900000", 1, 86400000,
                            "a prepared payment must be approved within this long"},
    [CFG_PAYMENT_TEST] = {"payment-test", CONFIG_INT, "1", 0, 1,
                          "1: the built-in test payment provider (points for free: development "
                          "and demos only); 0: off"},
    [CFG_KAKAOPAY_SECRET_KEY] = {"kakaopay-secret-key", CONFIG_STRING, "", 0, 0,
                                 "KakaoPay merchant secret key (never logged); empty: the "
                                 "kakaopay provider is off"},
    [CFG_KAKAOPAY_CID] = {"kakaopay-cid", CONFIG_STRING, "TC0ONETIME", 0, 0,
                          "KakaoPay merchant id (TC0ONETIME: KakaoPay's test merchant)"},
    [CFG_KAKAOPAY_API] = {"kakaopay-api", CONFIG_STRING, "https://open-api.kakaopay.com", 0, 0,
                          "KakaoPay API base URL (https; plain http only to 127.0.0.1)"},
    [CFG_KAKAOPAY_TIMEOUT_MS] = {"kakaopay-timeout-ms", CONFIG_INT, "5000", 100, 60000,
                                 "how long one call to KakaoPay may take"},
    [CFG_PUBLIC_URL] = {"public-url", CONFIG_STRING, "", 0, 0,
                        "how browsers reach onair, e.g. https://onair.example (payment "
                        "return URLs); empty: http:// and the http setting"},
    [CFG_MAX_DONATION] = {"max-donation", CONFIG_INT, "1000000", 1, 1000000000,
                          "most points one donation may give"},
    [CFG_CHAT_FANOUT_DELAY_MS] = {"chat-fanout-delay-ms", CONFIG_INT, "20", 0, 100,
                                  "chat events go to each I/O loop at most once per this "
                                  "many ms, so a subscriber gets several per write (less "
                                  "CPU, more latency)"},
    [CFG_SEARCH_BUDGET_MS] = {"search-budget-ms", CONFIG_INT, "250", 1, 60000,
                              "a chat search working longer than this is stopped and answered "
                              "422 query_too_broad (it would hold a database thread)"},
};

static int find(const char *name, size_t len)
{
    for (int i = 0; i < CFG__COUNT; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return i;
    return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ONAIR_EINVAL;
}

/* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0". Port 0 means "any free port". */
static int parse_addr(const char *v, char *host, size_t hostlen, int *port)
{
    const char *colon;
    const char *h = v;
    size_t hl;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return -1;
        h = v + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - v);
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

static int apply(struct config *c, int id, const char *value, char *err, size_t errlen)
{
    const struct setting *s = &settings[id];
    if (strlen(value) >= CONFIG_VALUE_MAX)
        return fail(err, errlen, "%s: value too long", s->name);
    switch (s->type) {
    case CONFIG_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || *end || end == value)
            return fail(err, errlen, "%s: '%s' is not a whole number", s->name, value);
        if (n < s->min || n > s->max) {
            char range[64];
            snprintf(range, sizeof range, "%lld..%lld", s->min, s->max);
            return fail(err, errlen, "%s: must be in %s", s->name, range);
        }
        c->num[id] = n;
        break;
    }
    case CONFIG_ADDR:
        if (parse_addr(value, c->host[id], sizeof c->host[id], &c->port[id]) != 0)
            return fail(err, errlen, "%s: '%s' is not ADDRESS:PORT", s->name, value);
        break;
    case CONFIG_LEVEL:
        if (log_level_parse(value) < 0)
            return fail(err, errlen, "%s: '%s' is not error, warn, info or debug", s->name, value);
        break;
    case CONFIG_STRING:
        break;
    }
    snprintf(c->str[id], CONFIG_VALUE_MAX, "%s", value);
    return 0;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    char err[128];
    for (int i = 0; i < CFG__COUNT; i++) {
        int rc = apply(c, i, settings[i].def, err, sizeof err);
        (void)rc;
    }
}

int config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen)
{
    int id = find(name, strlen(name));
    if (id < 0)
        return fail(err, errlen, "unknown setting '%s'", name);
    return apply(c, id, value, err, errlen);
}

static const char *trim(char *s, char **end)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    *end = e;
    return s;
}

int config_parse_text(struct config *c, const char *text, size_t len, const char *origin, char *err,
                      size_t errlen)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        size_t eol = pos;
        while (eol < len && text[eol] != '\n')
            eol++;
        lineno++;
        char line[CONFIG_VALUE_MAX + 128];
        char where[300];
        snprintf(where, sizeof where, "%s:%d", origin, lineno);
        if (eol - pos >= sizeof line)
            return fail(err, errlen, "%s: line too long", where);
        memcpy(line, text + pos, eol - pos);
        line[eol - pos] = '\0';
        pos = eol + 1;
        /* An embedded NUL simply ends the line for the string functions below. */
        /* '#' starts a comment, except inside a double-quoted value. */
        bool quoted = false;
        for (char *q = line; *q; q++) {
            if (*q == '"')
                quoted = !quoted;
            else if (*q == '#' && !quoted) {
                *q = '\0';
                break;
            }
        }
        char *end;
        const char *l = trim(line, &end);
        if (*l == '\0')
            continue;
        const char *eq = strchr(l, '=');
        if (!eq)
            return fail(err, errlen, "%s: expected 'name = value'", where);
        size_t nlen = (size_t)(eq - l);
        while (nlen && (l[nlen - 1] == ' ' || l[nlen - 1] == '\t'))
            nlen--;
        int id = find(l, nlen);
        if (id < 0 || id == CFG_CONFIG) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(nlen < 60 ? nlen : 60), l);
            return fail(err, errlen, "%s: unknown setting '%s'", where, name);
        }
        char *v = (char *)eq + 1;
        char *vend;
        v = (char *)trim(v, &vend);
        if (vend - v >= 2 && v[0] == '"' && vend[-1] == '"') {
            vend[-1] = '\0';
            v++;
        }
        char sub[CONFIG_VALUE_MAX + 64];
        if (apply(c, id, v, sub, sizeof sub) != 0)
            return fail(err, errlen, "%s: %s", where, sub);
    }
    return 0;
}

static int load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
    /* Config files are small; anything past 1 MiB is a mistake, not a config. */
    static char buf[(1 << 20) + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    int too_big = n > (1 << 20);
    fclose(f);
    if (too_big)
        return fail(err, errlen, "config file %s is larger than 1 MiB", path);
    return config_parse_text(c, buf, n, path, err, errlen);
}

static void env_name(const char *name, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "ONAIR_");
    for (; *name && o + 1 < n; name++)
        out[o++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
    out[o] = '\0';
}

static const char *env_get(char **envp, const char *key)
{
    size_t kl = strlen(key);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=')
            return *e + kl + 1;
    return NULL;
}

int config_load(struct config *c, int argc, char **argv, int first, char **envp, char *err,
                size_t errlen)
{
    /* The config file comes first, so find its name before anything else. */
    char key[96];
    env_name("config", key, sizeof key);
    const char *file = env_get(envp, key);
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file) {
        int rc = load_file(c, file, err, errlen);
        if (rc)
            return rc;
        snprintf(c->str[CFG_CONFIG], CONFIG_VALUE_MAX, "%s", file);
    }
    for (int id = 0; id < CFG__COUNT; id++) {
        env_name(settings[id].name, key, sizeof key);
        const char *v = env_get(envp, key);
        if (v && id != CFG_CONFIG) {
            char sub[CONFIG_VALUE_MAX + 64];
            if (apply(c, id, v, sub, sizeof sub) != 0)
                return fail(err, errlen, "%s: %s", key, sub);
        }
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0)
            return fail(err, errlen, "unexpected argument '%s'", a);
        a += 2;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        int id = find(a, nlen);
        if (id < 0)
            return fail(err, errlen, "unknown option '%s' (see --help)", argv[i]);
        const char *v;
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc)
                return fail(err, errlen, "option --%s needs a value", settings[id].name);
            v = argv[++i];
        }
        char sub[CONFIG_VALUE_MAX + 64];
        if (apply(c, id, v, sub, sizeof sub) != 0)
            return fail(err, errlen, "--%s", sub);
    }
    return 0;
}

const char *config_name(enum config_id id)
{
    return (unsigned)id < CFG__COUNT ? settings[id].name : "";
}

void config_print_help(FILE *out)
{
    fprintf(out, "usage: onair [--name value]...\n"
                 "       onair admin <command> [--name value]...\n\n"
                 "Settings are read from the config file, then ONAIR_<NAME> environment\n"
                 "variables, then flags; later sources win.\n\n");
    for (int i = 0; i < CFG__COUNT; i++) {
        const struct setting *s = &settings[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s %s", s->name,
                 s->type == CONFIG_INT     ? "N"
                 : s->type == CONFIG_ADDR  ? "ADDR:PORT"
                 : s->type == CONFIG_LEVEL ? "LEVEL"
                                           : (i == CFG_CONFIG ? "FILE" : "VALUE"));
        fprintf(out, "  %-32s %s", flag, s->help);
        if (s->def[0])
            fprintf(out, " (default: %s)", s->def);
        if (s->type == CONFIG_INT)
            fprintf(out, " [%lld..%lld]", s->min, s->max);
        fputc('\n', out);
    }
    fprintf(out, "  %-32s %s\n", "--help", "print this help and exit");
}
