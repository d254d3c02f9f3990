/*
 * command.c - see command.h.
 */
#include "chat/command.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A cursor over the command's words. */
struct words {
    const char *p, *end;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The next word (up to a space), or false at the end. */
static bool next_word(struct words *w, const char **word, size_t *n)
{
    while (w->p < w->end && is_space(*w->p))
        w->p++;
    if (w->p == w->end)
        return false;
    *word = w->p;
    while (w->p < w->end && !is_space(*w->p))
        w->p++;
    *n = (size_t)(w->p - *word);
    return true;
}

static bool word_is(const char *word, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(word, lit, n) == 0;
}

static bool all_digits(const char *word, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (word[i] < '0' || word[i] > '9')
            return false;
    return n > 0;
}

/* A decimal number within 0..max, all digits. */
static bool parse_number(const char *word, size_t n, int64_t max, int64_t *out)
{
    if (n == 0 || n > 12)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (word[i] < '0' || word[i] > '9')
            return false;
        v = v * 10 + (word[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* A username (optionally "@name"), folded to lower case. */
static bool parse_name(const char *word, size_t n, char *out, size_t cap)
{
    if (n > 0 && word[0] == '@') {
        word++;
        n--;
    }
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = word[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
        out[i] = c;
    }
    out[n] = '\0';
    return true;
}

/* The rest of the line (trimmed) as the reason. */
static void take_reason(struct words *w, char *out, size_t cap)
{
    while (w->p < w->end && is_space(*w->p))
        w->p++;
    const char *end = w->end;
    while (end > w->p && is_space(end[-1]))
        end--;
    size_t n = (size_t)(end - w->p);
    if (n >= cap)
        n = cap - 1;
    /* Cut on a character boundary: never leave half a UTF-8 sequence. */
    while (n > 0 && n < (size_t)(end - w->p) && ((unsigned char)w->p[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, w->p, n);
    out[n] = '\0';
}

static enum chat_command_parse_result bad(const char **why, const char *usage)
{
    *why = usage;
    return CHAT_CMD_BAD;
}

enum chat_command_parse_result chat_command_parse(const char *text, size_t len, struct chat_mod *m,
                                                  const char **why)
{
    *why = NULL;
    if (len < 2 || text[0] != '/' ||
        !((text[1] >= 'a' && text[1] <= 'z') || (text[1] >= 'A' && text[1] <= 'Z')))
        return CHAT_CMD_NONE;
    struct words w = {text + 1, text + len};
    const char *cmd = NULL, *arg = NULL;
    size_t cn = 0, an = 0;
    next_word(&w, &cmd, &cn);
    for (size_t i = 0; i < cn; i++) /* "/r/korea", "/hi!": not a command word */
        if (!((cmd[i] >= 'a' && cmd[i] <= 'z') || (cmd[i] >= 'A' && cmd[i] <= 'Z')))
            return CHAT_CMD_NONE;
    m->target[0] = '\0';
    m->reason[0] = '\0';
    m->seconds = 0;
    m->seq = 0;
    if (word_is(cmd, cn, "timeout")) {
        m->action = CHAT_MOD_TIMEOUT;
        if (!next_word(&w, &arg, &an) || !parse_name(arg, an, m->target, sizeof m->target))
            return bad(why, "usage: /timeout name [seconds] [reason]");
        m->seconds = CHAT_TIMEOUT_DEFAULT_S;
        struct words after_name = w;
        bool more = next_word(&w, &arg, &an);
        if (more && all_digits(arg, an)) {
            if (!parse_number(arg, an, CHAT_TIMEOUT_MAX_S, &m->seconds) || m->seconds < 1)
                return bad(why, "a timeout is 1 to 1209600 seconds");
        } else {
            w = after_name; /* no number: a reason may start here */
        }
        take_reason(&w, m->reason, sizeof m->reason);
    } else if (word_is(cmd, cn, "ban")) {
        m->action = CHAT_MOD_BAN;
        if (!next_word(&w, &arg, &an) || !parse_name(arg, an, m->target, sizeof m->target))
            return bad(why, "usage: /ban name [reason]");
        take_reason(&w, m->reason, sizeof m->reason);
    } else if (word_is(cmd, cn, "unban")) {
        m->action = CHAT_MOD_UNBAN;
        if (!next_word(&w, &arg, &an) || !parse_name(arg, an, m->target, sizeof m->target) ||
            next_word(&w, &arg, &an))
            return bad(why, "usage: /unban name");
    } else if (word_is(cmd, cn, "slow")) {
        m->action = CHAT_MOD_SLOW;
        m->seconds = CHAT_SLOW_DEFAULT_S;
        if (next_word(&w, &arg, &an)) {
            if (word_is(arg, an, "off"))
                m->seconds = 0;
            else if (!parse_number(arg, an, STORE_SLOW_MAX, &m->seconds))
                return bad(why, "usage: /slow [seconds 0-86400 | off]");
            if (next_word(&w, &arg, &an))
                return bad(why, "usage: /slow [seconds 0-86400 | off]");
        }
    } else if (word_is(cmd, cn, "clear")) {
        m->action = CHAT_MOD_CLEAR;
        if (next_word(&w, &arg, &an))
            return bad(why, "usage: /clear");
    } else if (word_is(cmd, cn, "delete")) {
        m->action = CHAT_MOD_DELETE;
        if (!next_word(&w, &arg, &an) || !parse_number(arg, an, INT64_MAX / 16, &m->seq) ||
            m->seq < 1 || next_word(&w, &arg, &an))
            return bad(why, "usage: /delete seq");
    } else {
        return bad(why, "unknown command; try /timeout, /ban, /unban, /slow, /clear or /delete");
    }
    return CHAT_CMD_OK;
}
