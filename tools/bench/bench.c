/*
 * bench.c - the common core (see bench.h).
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/alloc.h"

int64_t bench_now_us(void)
{
    return (int64_t)(uv_hrtime() / 1000);
}

/* ---- options ---- */

int bench_parse_long(const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "onair-bench: %s wants a whole number in %ld..%ld, not '%s'\n", opt, min,
                max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int bench_parse_double(const char *opt, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= min && v <= max)) {
        fprintf(stderr, "onair-bench: %s wants a number in %g..%g, not '%s'\n", opt, min, max,
                text);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- option tables ---- */

static void opts_help(const char *usage, const struct bench_opt *opts, size_t n)
{
    printf("%s\noptions:\n", usage);
    for (size_t i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        printf("  %-24s %s\n", left, opts[i].help);
    }
    printf("  %-24s %s\n", "--help", "this text");
}

int bench_opts_parse(const char *scenario, const char *usage, const struct bench_opt *opts,
                     size_t n, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            opts_help(usage, opts, n);
            return 1;
        }
        /* --name value or --name=value */
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const struct bench_opt *o = NULL;
        for (size_t k = 0; a[0] == '-' && a[1] == '-' && k < n && !o; k++)
            if (strlen(opts[k].name) == len - 2 && strncmp(opts[k].name, a + 2, len - 2) == 0)
                o = &opts[k];
        if (!o) {
            fprintf(stderr, "onair-bench %s: unknown option or argument '%s' (see --help)\n",
                    scenario, a);
            return -1;
        }
        if (o->kind == BENCH_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "onair-bench %s: --%s takes no value\n", scenario, o->name);
                return -1;
            }
            *(bool *)o->dst = true;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "onair-bench %s: --%s wants a value\n", scenario, o->name);
            return -1;
        }
        char opt[48];
        snprintf(opt, sizeof opt, "--%s", o->name);
        if (o->kind == BENCH_OPT_STRING)
            *(const char **)o->dst = v;
        else if (o->kind == BENCH_OPT_LONG &&
                 bench_parse_long(opt, v, (long)o->min, (long)o->max, (long *)o->dst) < 0)
            return -1;
        else if (o->kind == BENCH_OPT_DOUBLE &&
                 bench_parse_double(opt, v, o->min, o->max, (double *)o->dst) < 0)
            return -1;
    }
    return 0;
}

size_t bench_opts_select(const struct bench_scoped_opt *all, size_t n, unsigned sc,
                         struct bench_opt *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].scenarios & sc)
            out[k++] = all[i].opt;
    return k;
}

int bench_opts_parse_scoped(const char *scenario, const char *usage,
                            const struct bench_scoped_opt *all, size_t n, unsigned sc, int argc,
                            char **argv)
{
    struct bench_opt *opts = xmalloc((n ? n : 1) * sizeof *opts);
    size_t k = bench_opts_select(all, n, sc, opts);
    int rc = bench_opts_parse(scenario, usage, opts, k, argc, argv);
    free(opts);
    return rc;
}

/* ---- loopback URLs ---- */

static bool loopback_v4(const struct in_addr *a)
{
    return (ntohl(a->s_addr) >> 24) == 127;
}

int bench_url_parse(const char *opt, const char *text, const char *want_scheme, int default_port,
                    struct bench_url *out)
{
    memset(out, 0, sizeof *out);
    const char *sep = strstr(text, "://");
    if (!sep || (size_t)(sep - text) >= sizeof out->scheme) {
        fprintf(stderr, "onair-bench: %s: '%s' is not a URL (%s://127.0.0.1:PORT/...)\n", opt, text,
                want_scheme);
        return -1;
    }
    memcpy(out->scheme, text, (size_t)(sep - text));
    if (strcmp(out->scheme, want_scheme) != 0) {
        fprintf(stderr, "onair-bench: %s: wants a %s:// URL, not '%s'\n", opt, want_scheme, text);
        return -1;
    }
    const char *h = sep + 3, *hend;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend)
            goto bad;
        hend++;
    } else {
        hend = h + strcspn(h, ":/?#");
    }
    if (hend == h || (size_t)(hend - h) >= sizeof out->host)
        goto bad;
    memcpy(out->host, h, (size_t)(hend - h));
    const char *p = hend;
    out->port = default_port;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535)
            goto bad;
        out->port = (int)port;
        p = end;
    }
    size_t plen = strcspn(p, "?#");
    if (plen >= sizeof out->path)
        goto bad;
    if (plen == 0 || *p != '/') {
        if (plen != 0)
            goto bad;
        snprintf(out->path, sizeof out->path, "/");
    } else {
        memcpy(out->path, p, plen);
    }

    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (strcmp(out->host, "localhost") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v4->sin_port = htons((uint16_t)out->port);
        return 0;
    }
    if (inet_pton(AF_INET, out->host, &v4->sin_addr) == 1) {
        if (!loopback_v4(&v4->sin_addr))
            goto remote;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)out->port);
        return 0;
    }
    if (out->host[0] == '[') {
        char inner[64];
        snprintf(inner, sizeof inner, "%.*s", (int)strlen(out->host) - 2, out->host + 1);
        if (inet_pton(AF_INET6, inner, &v6->sin6_addr) != 1)
            goto bad;
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
            goto remote;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)out->port);
        return 0;
    }
remote:
    fprintf(stderr,
            "onair-bench: %s: %s is not a loopback address; onair-bench only loads this machine "
            "(127.0.0.0/8, [::1] or localhost)\n",
            opt, out->host);
    return -1;
bad:
    fprintf(stderr, "onair-bench: %s: cannot parse the URL '%s'\n", opt, text);
    return -1;
}

/* ---- keys ---- */

int bench_keys_load(const char *path, char **keys, char **channels, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "onair-bench: --keys: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        size_t klen = strcspn(p, " \t\r\n");
        char *c = p + klen + strspn(p + klen, " \t");
        size_t clen = strcspn(c, " \t\r\n");
        keys[n] = xstrndup(p, klen);
        channels[n] = clen ? xstrndup(c, clen) : xstrndup(p, klen);
        n++;
    }
    fclose(f);
    return n;
}

/* ---- the run ---- */

struct run_state {
    struct bench_run *run;
    uv_timer_t tick;
    uv_timer_t end;
    int64_t last_cpu_us, last_wall_us;
};

int64_t bench_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static void on_tick(uv_timer_t *t)
{
    struct run_state *rs = t->data;
    struct bench_run *run = rs->run;
    int64_t now = bench_now_us(), cpu = bench_cpu_us();
    double pct = 100.0 * (double)(cpu - rs->last_cpu_us) / (double)(now - rs->last_wall_us + 1);
    rs->last_cpu_us = cpu;
    rs->last_wall_us = now;
    if (run->quiet)
        return;
    char line[512] = "";
    if (run->progress)
        run->progress(run->arg, line, sizeof line);
    fprintf(stderr, "t=%3.0fs %s tool-cpu=%.0f%%\n", (double)(now - run->started_us) / 1e6, line,
            pct);
}

static void on_end(uv_timer_t *t)
{
    struct run_state *rs = t->data;
    uv_stop(rs->run->loop);
}

void bench_stop(struct bench_run *run)
{
    uv_stop(run->loop);
}

static void on_close_noop(uv_handle_t *h)
{
    (void)h;
}

void bench_run(struct bench_run *run)
{
    struct run_state rs = {.run = run};
    uv_timer_init(run->loop, &rs.tick);
    uv_timer_init(run->loop, &rs.end);
    rs.tick.data = rs.end.data = &rs;
    run->started_us = rs.last_wall_us = bench_now_us();
    rs.last_cpu_us = bench_cpu_us();
    uv_timer_start(&rs.tick, on_tick, 1000, 1000);
    uv_timer_start(&rs.end, on_end, (uint64_t)(run->duration_s * 1000), 0);
    uv_run(run->loop, UV_RUN_DEFAULT);
    run->ended_us = bench_now_us();
    run->stopping = true;
    uv_close((uv_handle_t *)&rs.tick, on_close_noop);
    if (run->stop)
        run->stop(run->arg);
    /* Let goodbyes and closes finish, bounded: a peer that never answers
     * must not keep the tool alive. */
    uv_timer_start(&rs.end, on_end, 5000, 0);
    uv_unref((uv_handle_t *)&rs.end);
    uv_run(run->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&rs.end, on_close_noop);
    uv_run(run->loop, UV_RUN_NOWAIT);
}

/* ---- JSON ---- */

static double round1(double x)
{
    return round(x * 10) / 10;
}

json_t *bench_rusage_json(double wall_s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return json_pack("{s:f,s:f,s:f,s:I}", "user_s", round1(user), "sys_s", round1(sys), "cpu_pct",
                     wall_s > 0 ? round1(100 * (user + sys) / wall_s) : 0.0, "max_rss_kib",
                     (json_int_t)ru.ru_maxrss);
}

json_t *bench_samples_json(struct bench_samples *s)
{
    if (s->n == 0)
        return json_pack("{s:i}", "n", 0);
    json_t *o = json_pack(
        "{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "n", (json_int_t)s->n, "p50",
        round1(bench_samples_percentile(s, 50)), "p90", round1(bench_samples_percentile(s, 90)),
        "p95", round1(bench_samples_percentile(s, 95)), "p99",
        round1(bench_samples_percentile(s, 99)), "max", round1(bench_samples_percentile(s, 100)),
        "mean", round1(bench_samples_mean(s)));
    if (s->dropped)
        json_object_set_new(o, "not_kept", json_integer((json_int_t)s->dropped));
    return o;
}

void bench_json_print(json_t *summary)
{
    char *text = json_dumps(summary, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(text);
    }
    json_decref(summary);
}
