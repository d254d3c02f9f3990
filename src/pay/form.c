/*
 * form.c - urlencoded form bodies and Accept preference (see form.h).
 */
#include "pay/form.h"

#include <string.h>
#include <strings.h>

#include "core/err.h"

#define DECODE_BAD (-1)
#define DECODE_FULL (-2)

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes n bytes of form encoding into out (cap bytes incl. NUL), or only
 * checks them when out is NULL. Returns the decoded length, DECODE_BAD for
 * a bad escape, a raw control byte or a NUL, DECODE_FULL when it does not
 * fit (the rest is still checked). Invariant: o < cap whenever out is set. */
static long decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    bool full = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return DECODE_BAD;
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0)
                return DECODE_BAD;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        } else if (c < 0x20 || c == 0x7f) {
            return DECODE_BAD;
        }
        if (!out || full)
            continue;
        if (o + 1 >= cap) {
            full = true;
            continue;
        }
        out[o++] = (char)c;
    }
    if (out && cap)
        out[o] = '\0';
    return full ? DECODE_FULL : (long)o;
}

static int form_get(const char *body, size_t len, const char *key, char *out, size_t cap)
{
    bool found = false, too_big = false;
    unsigned pairs = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *seg = body + pos;
        const char *amp = memchr(seg, '&', len - pos);
        size_t n = amp ? (size_t)(amp - seg) : len - pos;
        pos += n + 1;
        if (n == 0)
            continue;
        if (++pairs > PAY_FORM_MAX_PAIRS)
            return ONAIR_EPROTO;
        const char *eq = memchr(seg, '=', n);
        size_t kn = eq ? (size_t)(eq - seg) : n;
        const char *val = eq ? eq + 1 : seg + n;
        size_t vn = eq ? n - kn - 1 : 0;

        char k[PAY_FORM_KEY_MAX + 1];
        long kl = decode(seg, kn, k, sizeof k);
        if (kl == DECODE_BAD)
            return ONAIR_EPROTO;
        bool ours = kl >= 0 && strcmp(k, key) == 0;
        if (ours && found)
            return ONAIR_EPROTO; /* action=cancel&action=approve means nothing */
        long vl = decode(val, vn, ours ? out : NULL, cap);
        if (vl == DECODE_BAD)
            return ONAIR_EPROTO;
        if (ours) {
            found = true;
            too_big = vl == DECODE_FULL;
        }
    }
    if (!found)
        return ONAIR_ENOTFOUND;
    return too_big ? ONAIR_ETOOBIG : 0;
}

int pay_form_get(const char *body, size_t len, const char *key, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    int rc = form_get(body, len, key, out, cap);
    /* A value cut short by a bad escape is not a value. */
    if (rc == ONAIR_EPROTO && cap)
        out[0] = '\0';
    return rc;
}

/* ---- Accept ---- */

/* q of one media range's parameters ("; q=0.8; level=1"), 0..1000, or -1
 * when its q is malformed (the range is then skipped). */
static int q_of(const char *p, size_t n)
{
    int q = 1000;
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ';' || p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t start = i;
        while (i < n && p[i] != ';')
            i++;
        size_t end = i;
        while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        if (end - start < 2 || (p[start] | 0x20) != 'q' || p[start + 1] != '=')
            continue;
        const char *v = p + start + 2;
        size_t vn = end - start - 2;
        if (vn == 0 || vn > 5 || (v[0] != '0' && v[0] != '1'))
            return -1;
        q = (v[0] - '0') * 1000;
        if (vn == 1)
            continue;
        if (v[1] != '.')
            return -1;
        int scale = 100;
        for (size_t j = 2; j < vn; j++, scale /= 10) {
            if (v[j] < '0' || v[j] > '9')
                return -1;
            q += (v[j] - '0') * scale;
        }
        if (q > 1000)
            return -1;
    }
    return q;
}

/* How specifically range (type/subtype, n bytes) names type/sub: 3 exactly,
 * 2 type/ *, 1 * / *, 0 not at all. */
static int specificity(const char *range, size_t n, const char *type, const char *sub)
{
    const char *slash = memchr(range, '/', n);
    if (!slash)
        return 0;
    size_t tn = (size_t)(slash - range), sn = n - tn - 1;
    if (tn == 1 && range[0] == '*')
        return sn == 1 && slash[1] == '*' ? 1 : 0;
    if (tn != strlen(type) || strncasecmp(range, type, tn) != 0)
        return 0;
    if (sn == 1 && slash[1] == '*')
        return 2;
    return sn == strlen(sub) && strncasecmp(slash + 1, sub, sn) == 0 ? 3 : 0;
}

bool pay_accept_prefers_html(const char *accept)
{
    if (!accept)
        return false;
    int html_spec = 0, html_q = 0, json_spec = 0, json_q = 0;
    const char *p = accept;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *r = p;
        p += n;
        if (*p == ',')
            p++;
        while (n && (*r == ' ' || *r == '\t'))
            r++, n--;
        size_t tn = strcspn(r, ";,");
        if (tn > n)
            tn = n;
        size_t type_end = tn;
        while (type_end && (r[type_end - 1] == ' ' || r[type_end - 1] == '\t'))
            type_end--;
        int q = q_of(r + tn, n - tn);
        if (q < 0)
            continue;
        int hs = specificity(r, type_end, "text", "html");
        if (hs > html_spec) {
            html_spec = hs;
            html_q = q;
        }
        int js = specificity(r, type_end, "application", "json");
        if (js > json_spec) {
            json_spec = js;
            json_q = q;
        }
    }
    /* * / * alone says nothing about HTML: it is what fetch and curl send. */
    return html_spec >= 2 && html_q > json_q;
}
