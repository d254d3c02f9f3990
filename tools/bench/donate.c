/*
 * donate.c - the donate scenario: donation storms against onair's wallet
 * (docs/API.md "Points and donations", "Payments").
 *
 * Before the loop, over blocking REST calls (chat_setup.h): S streamers and
 * U users are signed up and logged in; every user is charged through the
 * built-in test payment provider the way a browser would (POST
 * /api/payments, POST the test page's form with action=approve, GET the
 * 303's Location asking for JSON), which also says the user's balance; the
 * streamers' balances are read with GET /api/wallet.
 *
 * The loop: C keep-alive connections (http_client.h) each first GET
 * /healthz (so connects are not timed), then, all together, send the N
 * donations, one in flight per connection, each next one as soon as the
 * previous answer came. Donation i comes from user i % U and goes to
 * streamer (i / U + i % U) % S, so every user gives to several streamers;
 * each has its own idempotency_key (run id + i), which makes a resend safe:
 * a request that failed without an answer (connection lost, timeout) is
 * sent again with the same key, up to RETRIES times, and the server answers
 * the first outcome again ("replayed"). Every answer's latency is kept.
 *
 * After the loop every balance is read again and checked exactly: a
 * streamer's rose by the sum of the 201s it received, a user's fell by the
 * sum of its 201s. With --over one user fires N donations worth more than
 * its balance B at once; exactly min(N, floor(B / amount)) may succeed.
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "chat_scan.h"
#include "chat_setup.h"
#include "core/alloc.h"
#include "http_client.h"
#include "scenarios.h"

#define MAX_USERS 100000
#define MAX_STREAMERS 1000
#define MAX_CONNS 15000
#define MAX_DONATIONS 10000000L
#define MAX_SAMPLES (8u * 1024 * 1024)
#define MAX_CHARGE_STEP 1000000 /* the server's default max-charge */
#define TOKEN_MAX 1024
#define RETRIES 3
#define NSTATUS 600

struct dopts {
    long users, streamers, donations, concurrency, amount, charge, timeout_ms, server_pid;
    double duration;
    bool json, quiet, over;
    const char *url, *prefix, *password, *message;
};

struct account {
    char name[32];
    char token[TOKEN_MAX];
    int64_t before, after; /* balances around the storm (after: -1 unread) */
    int64_t moved;         /* points of its 201s: given (users), received (streamers) */
    uint64_t unknown;      /* its donations whose outcome never came back */
};

struct donate;

struct conn {
    struct bench_http *http;
    struct donate *d;
    uint64_t idx; /* the donation in flight */
    int attempts;
    int64_t sent_us;
};

struct donate {
    struct dopts o;
    uv_loop_t loop;
    struct bench_run run;
    struct bench_url url;
    char host[80];
    uint64_t run_id;
    struct account *users, *streamers;
    struct conn *conns;
    uint32_t nconns, warm_left;
    bool firing, done;

    uint64_t next;      /* donations handed to a connection so far */
    uint64_t answered;  /* donations with a definitive answer */
    uint64_t in_flight; /* sent, no answer yet */
    uint64_t by_status[NSTATUS], replayed, retries, unknown, bad_answers;
    int64_t started_us, setup_us, t0, t1, srv0, srv1, tool0, tool1;
    long rss_kib;
    struct bench_samples lat_ms;
    char first_error[160];
    uint64_t last_answered;
};

/* ---- options ---- */

static const char usage[] =
    "usage: onair-bench donate --url http://127.0.0.1:PORT [options]\n\n"
    "Signs up S streamers and U users, charges every user through the test payment\n"
    "provider, then sends N donations (each with its own idempotency_key) over C\n"
    "keep-alive connections, one in flight per connection. Reports donations/s,\n"
    "latency p50/p90/p99/max, the answers by status (201/409/other), checks that\n"
    "every balance moved by exactly the sum of its 201s, and with --server-pid the\n"
    "server's CPU per donation and RSS. Loopback only; bounded by N and --duration.\n";

/* Printable ASCII without '"' and '\\': goes into JSON as it is. */
static bool plain_text(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return false;
    return true;
}

/* Returns 0, 1 (help printed) or -1 (usage error printed). */
static int parse(int argc, char **argv, struct dopts *o)
{
    *o = (struct dopts){.users = -1,
                        .streamers = -1,
                        .donations = -1,
                        .concurrency = -1,
                        .amount = 100,
                        .charge = -1,
                        .timeout_ms = 30000,
                        .duration = 60,
                        .prefix = "don",
                        .password = "bench-password",
                        .message = "bench"};
    const struct bench_opt opts[] = {
        {"url", BENCH_OPT_STRING, &o->url, 0, 0, "URL", "onair's http://127.0.0.1:PORT (required)"},
        {"users", BENCH_OPT_LONG, &o->users, 1, MAX_USERS, "U",
         "users who give (default 100; --over: 1)"},
        {"streamers", BENCH_OPT_LONG, &o->streamers, 1, MAX_STREAMERS, "S",
         "streamers who receive (default 2; --over: 1)"},
        {"donations", BENCH_OPT_LONG, &o->donations, 1, MAX_DONATIONS, "N",
         "donations in all (default 1000; --over: 100)"},
        {"concurrency", BENCH_OPT_LONG, &o->concurrency, 1, MAX_CONNS, "C",
         "connections, each with one donation in flight (default 100; --over: N)"},
        {"amount", BENCH_OPT_LONG, &o->amount, 1, 1e9, "POINTS",
         "points per donation (default 100)"},
        {"charge", BENCH_OPT_LONG, &o->charge, 0, 1e9, "POINTS",
         "points each user is charged before the storm (default: enough for its share; "
         "--over: amount x N/2 + amount/2); 0: none"},
        {"message", BENCH_OPT_STRING, &o->message, 0, 0, "TEXT",
         "the donations' message (default \"bench\")"},
        {"over", BENCH_OPT_FLAG, &o->over, 0, 0, NULL,
         "one user fires N donations at once worth more than its balance: exactly "
         "floor(balance / amount) must succeed"},
        {"duration", BENCH_OPT_DOUBLE, &o->duration, 0.1, 3600, "SECONDS",
         "bound on the loop (connects and donations; default 60)"},
        {"timeout-ms", BENCH_OPT_LONG, &o->timeout_ms, 10, 600000, "MS",
         "bound on one request (default 30000)"},
        {"prefix", BENCH_OPT_STRING, &o->prefix, 0, 0, "NAME",
         "accounts: NAME + u<i> users, NAME + s<i> streamers, NAME + o0 the --over user "
         "(default don)"},
        {"password", BENCH_OPT_STRING, &o->password, 0, 0, "PW",
         "their password (default bench-password)"},
        {"server-pid", BENCH_OPT_LONG, &o->server_pid, 1, 1 << 30, "PID",
         "the server's process: its CPU per donation and RSS from /proc"},
        {"json", BENCH_OPT_FLAG, &o->json, 0, 0, NULL, "print a JSON summary on stdout"},
        {"quiet", BENCH_OPT_FLAG, &o->quiet, 0, 0, NULL, "no progress lines"},
    };
    int rc = bench_opts_parse("donate", usage, opts, sizeof opts / sizeof opts[0], argc, argv);
    if (rc)
        return rc;
    if (!o->url) {
        fprintf(stderr, "onair-bench donate: --url is required (see --help)\n");
        return -1;
    }
    if (strspn(o->prefix, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(o->prefix) ||
        strlen(o->prefix) < 1 || strlen(o->prefix) > 16) {
        fprintf(stderr, "onair-bench donate: --prefix is 1-16 of [a-z0-9_]\n");
        return -1;
    }
    if (strlen(o->message) > 200 || !plain_text(o->message) || !plain_text(o->password) ||
        strlen(o->password) > 128) {
        fprintf(stderr, "onair-bench donate: --message (at most 200) and --password are "
                        "printable ASCII without '\"' or '\\'\n");
        return -1;
    }
    if (o->over) {
        if (o->users > 1) {
            fprintf(stderr, "onair-bench donate: --over has one user\n");
            return -1;
        }
        o->users = 1;
    }
    if (o->users < 0)
        o->users = 100;
    if (o->streamers < 0)
        o->streamers = o->over ? 1 : 2;
    if (o->donations < 0)
        o->donations = o->over ? 100 : 1000;
    if (o->concurrency < 0)
        o->concurrency = o->over ? (o->donations < MAX_CONNS ? o->donations : MAX_CONNS) : 100;
    if (o->concurrency > o->donations)
        o->concurrency = o->donations;
    if (o->charge < 0) {
        long per_user = (o->donations + o->users - 1) / o->users;
        o->charge = o->over ? o->amount * (o->donations / 2) + o->amount / 2 : per_user * o->amount;
    }
    return 0;
}

/* ---- setup (blocking, before the loop) ---- */

static const struct sockaddr *addr_of(const struct donate *d)
{
    return (const struct sockaddr *)&d->url.addr;
}

static void note_error(struct donate *d, const char *what, int status, const char *body)
{
    if (!d->first_error[0])
        snprintf(d->first_error, sizeof d->first_error, "%s: HTTP %d %.100s", what, status, body);
}

/* GET /api/wallet as a; -1 (with a message) when it fails. */
static int64_t wallet_balance(struct donate *d, const struct account *a)
{
    char resp[1024];
    struct bench_rest_req r = {.method = "GET", .path = "/api/wallet", .token = a->token};
    int st = bench_rest(addr_of(d), d->host, &r, resp, sizeof resp, NULL, 0);
    int64_t balance;
    if (st != 200 || !bench_scan_int(resp, strlen(resp), "\"balance\":", &balance)) {
        fprintf(stderr, "onair-bench donate: GET /api/wallet as %s: HTTP %d %.200s\n", a->name, st,
                resp);
        return -1;
    }
    return balance;
}

/*
 * Charges a with `points` through the test provider like a browser does:
 * prepare, submit the provider's form, follow its 303 to the approve URL
 * (asking for JSON, which answers the balance afterwards). Returns the
 * balance, or -1 with a message.
 */
static int64_t charge_once(struct donate *d, struct account *a, long points)
{
    char body[128], resp[4096], path[512], loc[512];
    snprintf(body, sizeof body, "{\"amount\":%ld,\"provider\":\"test\"}", points);
    struct bench_rest_req r = {
        .method = "POST", .path = "/api/payments", .token = a->token, .body = body};
    int st = bench_rest(addr_of(d), d->host, &r, resp, sizeof resp, NULL, 0);
    const char *next;
    size_t len;
    if (st != 201 || !bench_scan_str(resp, strlen(resp), "\"next_url\":", &next, &len)) {
        fprintf(stderr, "onair-bench donate: POST /api/payments as %s: HTTP %d %.200s\n", a->name,
                st, resp);
        return -1;
    }
    /* next_url is absolute (public-url); we talk to --url, so keep its path. */
    const char *p = memmem(next, len, "://", 3);
    p = p ? memchr(p + 3, '/', len - (size_t)(p + 3 - next)) : next;
    if (!p || (size_t)(next + len - p) >= sizeof path) {
        fprintf(stderr, "onair-bench donate: odd next_url %.*s\n", (int)len, next);
        return -1;
    }
    snprintf(path, sizeof path, "%.*s", (int)(next + len - p), p);
    r = (struct bench_rest_req){.method = "POST",
                                .path = path,
                                .content_type = "application/x-www-form-urlencoded",
                                .accept = "text/html",
                                .body = "action=approve"};
    st = bench_rest(addr_of(d), d->host, &r, resp, sizeof resp, loc, sizeof loc);
    if (st != 303 || loc[0] != '/') {
        fprintf(stderr, "onair-bench donate: POST %s: HTTP %d (Location '%s') %.200s\n", path, st,
                loc, resp);
        return -1;
    }
    r = (struct bench_rest_req){.method = "GET", .path = loc};
    st = bench_rest(addr_of(d), d->host, &r, resp, sizeof resp, NULL, 0);
    int64_t balance;
    if (st != 200 || !bench_scan_int(resp, strlen(resp), "\"balance\":", &balance)) {
        fprintf(stderr, "onair-bench donate: GET %s: HTTP %d %.200s\n", loc, st, resp);
        return -1;
    }
    return balance;
}

/* Signs a up and logs in; charges it (users); reads its balance. */
static int setup_account(struct donate *d, struct account *a, long charge)
{
    if (bench_chat_user(addr_of(d), d->host, a->name, d->o.password, a->token, sizeof a->token))
        return -1;
    a->before = -1;
    for (long left = charge; left > 0; left -= MAX_CHARGE_STEP)
        if ((a->before = charge_once(d, a, left < MAX_CHARGE_STEP ? left : MAX_CHARGE_STEP)) < 0)
            return -1;
    if (a->before < 0 && (a->before = wallet_balance(d, a)) < 0)
        return -1;
    a->after = -1;
    return 0;
}

static int setup(struct donate *d)
{
    int64_t t0 = bench_now_us(), next_note = t0 + 1000000;
    long total = d->o.streamers + d->o.users;
    d->streamers = xcalloc((size_t)d->o.streamers, sizeof *d->streamers);
    d->users = xcalloc((size_t)d->o.users, sizeof *d->users);
    for (long i = 0; i < total; i++) {
        bool streamer = i < d->o.streamers;
        struct account *a = streamer ? &d->streamers[i] : &d->users[i - d->o.streamers];
        if (streamer)
            snprintf(a->name, sizeof a->name, "%ss%ld", d->o.prefix, i);
        else
            snprintf(a->name, sizeof a->name, "%s%s%ld", d->o.prefix, d->o.over ? "o" : "u",
                     i - d->o.streamers);
        if (setup_account(d, a, streamer ? 0 : d->o.charge))
            return -1;
        int64_t now = bench_now_us();
        if (!d->o.quiet && now >= next_note) {
            fprintf(stderr, "setup: %ld/%ld accounts (signup, login, charge)\n", i + 1, total);
            next_note += 1000000;
        }
    }
    d->setup_us = bench_now_us() - t0;
    return 0;
}

/* ---- the storm (on the loop) ---- */

static struct account *giver(struct donate *d, uint64_t i)
{
    return &d->users[i % (uint64_t)d->o.users];
}

static struct account *receiver(struct donate *d, uint64_t i)
{
    uint64_t u = (uint64_t)d->o.users, s = (uint64_t)d->o.streamers;
    return &d->streamers[(i / u + i % u) % s];
}

static void on_answer(struct bench_http *h, int status, const struct buf *body, void *arg);

static void send_donation(struct conn *c)
{
    struct donate *d = c->d;
    char target[96], headers[TOKEN_MAX + 128], body[320];
    struct account *from = giver(d, c->idx);
    snprintf(target, sizeof target, "/api/channels/%s/donations", receiver(d, c->idx)->name);
    snprintf(headers, sizeof headers,
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n", from->token);
    int n = snprintf(body, sizeof body,
                     "{\"amount\":%ld,\"message\":\"%s\",\"idempotency_key\":\"%016" PRIx64
                     "-%" PRIu64 "\"}",
                     d->o.amount, d->o.message, d->run_id, c->idx);
    struct bench_http_req r = {.method = "POST",
                               .target = target,
                               .headers = headers,
                               .body = body,
                               .body_len = (size_t)n};
    c->attempts++;
    c->sent_us = bench_now_us();
    int rc = bench_http_request(c->http, &r, (uint64_t)d->o.timeout_ms, on_answer, c);
    assert(rc == 0); /* one request per connection at a time, and ours fit */
    (void)rc;
}

/* Gives c the next donation, if any is left. */
static void send_next(struct conn *c)
{
    struct donate *d = c->d;
    if (d->run.stopping || d->next >= (uint64_t)d->o.donations)
        return;
    c->idx = d->next++;
    c->attempts = 0;
    d->in_flight++;
    send_donation(c);
}

static void fire(struct donate *d)
{
    d->firing = true;
    d->t0 = bench_now_us();
    d->tool0 = bench_cpu_us();
    if (d->o.server_pid)
        d->srv0 = bench_proc_cpu_us(d->o.server_pid);
    for (uint32_t i = 0; i < d->nconns; i++)
        send_next(&d->conns[i]);
}

/* The storm is over (every donation answered, or the run's bound). */
static void finish_storm(struct donate *d)
{
    if (d->done)
        return;
    d->done = true;
    d->t1 = bench_now_us();
    d->tool1 = bench_cpu_us();
    if (d->o.server_pid) {
        d->srv1 = bench_proc_cpu_us(d->o.server_pid);
        d->rss_kib = bench_proc_rss_kib(d->o.server_pid);
    }
}

static void on_answer(struct bench_http *h, int status, const struct buf *body, void *arg)
{
    (void)h;
    struct conn *c = arg;
    struct donate *d = c->d;
    if (status < 0 && c->attempts <= RETRIES && !d->run.stopping) {
        /* No answer: it may or may not have happened. The same key again
         * makes the server say which. */
        d->retries++;
        send_donation(c);
        return;
    }
    d->in_flight--;
    struct account *from = giver(d, c->idx), *to = receiver(d, c->idx);
    if (status < 0) {
        d->unknown++;
        from->unknown++;
        to->unknown++;
        note_error(d, "donation without an answer", status, "");
    } else {
        bench_samples_add(&d->lat_ms, (double)(bench_now_us() - c->sent_us) / 1000.0);
        d->answered++;
        d->by_status[status < NSTATUS ? status : 0]++;
        if (status == 201) {
            from->moved += d->o.amount;
            to->moved += d->o.amount;
            if (memmem(body->data, body->len, "\"replayed\":true", 15))
                d->replayed++;
        } else if (status != 409) {
            note_error(d, "donation", status, body->data ? body->data : "");
        }
    }
    if (d->answered + d->unknown == (uint64_t)d->o.donations) {
        finish_storm(d);
        bench_stop(&d->run);
        return;
    }
    send_next(c);
}

/* The connection is open (its GET /healthz came back, or failed: a failed
 * one opens again with its first donation). */
static void on_warm(struct bench_http *h, int status, const struct buf *body, void *arg)
{
    (void)h;
    (void)body;
    struct conn *c = arg;
    struct donate *d = c->d;
    if (status != 200)
        note_error(d, "GET /healthz", status, "");
    if (--d->warm_left == 0)
        fire(d);
}

static void on_progress(void *arg, char *line, size_t size)
{
    struct donate *d = arg;
    if (!d->firing) {
        snprintf(line, size, "donate: connecting %u/%u", d->nconns - d->warm_left, d->nconns);
        return;
    }
    uint64_t done = d->answered + d->unknown;
    snprintf(line, size,
             "donate: sent=%" PRIu64 " answered=%" PRIu64 "/%ld 201=%" PRIu64 " 409=%" PRIu64
             " other=%" PRIu64 " unknown=%" PRIu64 " %" PRIu64 "/s",
             d->next, done, d->o.donations, d->by_status[201], d->by_status[409],
             d->answered - d->by_status[201] - d->by_status[409], d->unknown,
             done - d->last_answered);
    d->last_answered = done;
}

static void on_stop(void *arg)
{
    struct donate *d = arg;
    finish_storm(d);
    for (uint32_t i = 0; i < d->nconns; i++)
        bench_http_free(d->conns[i].http);
}

static int storm(struct donate *d)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)d->o.concurrency + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)d->o.concurrency + 64) {
            fprintf(stderr,
                    "onair-bench donate: --concurrency %ld needs more open files than "
                    "the limit here\n",
                    d->o.concurrency);
            return -1;
        }
    }
    uv_loop_init(&d->loop);
    d->nconns = d->warm_left = (uint32_t)d->o.concurrency;
    d->conns = xcalloc(d->nconns, sizeof *d->conns);
    for (uint32_t i = 0; i < d->nconns; i++) {
        struct conn *c = &d->conns[i];
        c->d = d;
        c->http = bench_http_new(&d->loop, addr_of(d), d->host);
        bench_http_get(c->http, "/healthz", (uint64_t)d->o.timeout_ms, on_warm, c);
    }
    d->run = (struct bench_run){.loop = &d->loop,
                                .duration_s = d->o.duration,
                                .json = d->o.json,
                                .quiet = d->o.quiet,
                                .progress = on_progress,
                                .stop = on_stop,
                                .arg = d};
    bench_run(&d->run);
    uv_loop_close(&d->loop);
    return 0;
}

/* ---- the check and the summary ---- */

struct check {
    long checked, wrong, unreadable;
    int64_t given, received;
    char first[200];
};

/* Reads a's balance again and compares it with before + sign * moved. */
static void check_account(struct donate *d, struct account *a, int sign, struct check *k)
{
    a->after = wallet_balance(d, a);
    if (a->after < 0) {
        k->unreadable++;
        return;
    }
    k->checked++;
    int64_t want = a->before + sign * a->moved;
    if (a->after != want && !a->unknown) {
        k->wrong++;
        if (!k->first[0])
            snprintf(k->first, sizeof k->first,
                     "%s: balance %" PRId64 ", expected %" PRId64 " (%" PRId64 " %s %" PRId64
                     " in 201s)",
                     a->name, a->after, want, a->before, sign > 0 ? "+" : "-", a->moved);
    }
}

static json_t *check_json(struct donate *d)
{
    struct check k = {0};
    for (long i = 0; i < d->o.streamers; i++) {
        check_account(d, &d->streamers[i], 1, &k);
        k.received += d->streamers[i].moved;
    }
    for (long i = 0; i < d->o.users; i++) {
        check_account(d, &d->users[i], -1, &k);
        k.given += d->users[i].moved;
    }
    bool exact = k.wrong == 0 && k.unreadable == 0 && d->unknown == 0 && k.given == k.received &&
                 d->answered == (uint64_t)d->o.donations;
    json_t *t =
        json_pack("{s:b,s:i,s:i,s:i,s:I,s:I}", "exact", exact, "accounts_checked", (int)k.checked,
                  "accounts_wrong", (int)k.wrong, "accounts_unreadable", (int)k.unreadable,
                  "points_given", (json_int_t)k.given, "points_received", (json_int_t)k.received);
    if (k.first[0])
        json_object_set_new(t, "first_wrong", json_string(k.first));
    if (d->o.over) {
        /* The user's balance before, in points, allows this many. */
        const struct account *u = &d->users[0];
        int64_t allowed = u->before / d->o.amount;
        if (allowed > d->o.donations)
            allowed = d->o.donations;
        bool ok = (int64_t)d->by_status[201] == allowed &&
                  (int64_t)d->by_status[409] == d->o.donations - allowed;
        json_object_set_new(
            t, "over",
            json_pack("{s:I,s:I,s:I,s:I,s:b,s:b}", "balance_before", (json_int_t)u->before,
                      "allowed", (json_int_t)allowed, "succeeded", (json_int_t)d->by_status[201],
                      "refused", (json_int_t)d->by_status[409], "past_balance",
                      (int64_t)d->o.donations * d->o.amount > u->before, "exact", ok && exact));
    }
    return t;
}

static double r1(double x)
{
    return round(x * 10) / 10;
}

static json_t *summary(struct donate *d)
{
    double wall = d->t1 > d->t0 && d->firing ? (double)(d->t1 - d->t0) / 1e6 : 0;
    json_t *s =
        json_pack("{s:s,s:s,s:i,s:i,s:I,s:i,s:I,s:I,s:f}", "scenario", "donate", "mode",
                  d->o.over ? "over" : "storm", "users", (int)d->o.users, "streamers",
                  (int)d->o.streamers, "donations", (json_int_t)d->o.donations, "concurrency",
                  (int)d->o.concurrency, "amount", (json_int_t)d->o.amount, "charge",
                  (json_int_t)d->o.charge, "setup_s", r1((double)d->setup_us / 1e6));
    json_t *st = json_object();
    for (int i = 0; i < NSTATUS; i++)
        if (d->by_status[i]) {
            char k[8];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(st, k, json_integer((json_int_t)d->by_status[i]));
        }
    uint64_t other = d->answered - d->by_status[201] - d->by_status[409];
    json_object_set_new(s, "results",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "sent",
                                  (json_int_t)d->next, "answered", (json_int_t)d->answered,
                                  "created", (json_int_t)d->by_status[201], "insufficient_funds",
                                  (json_int_t)d->by_status[409], "other", (json_int_t)other,
                                  "unknown", (json_int_t)d->unknown, "unanswered",
                                  (json_int_t)d->in_flight, "replayed", (json_int_t)d->replayed,
                                  "retries", (json_int_t)d->retries, "by_status", st));
    json_object_set_new(s, "wall_s", json_real(round((wall)*1000) / 1000));
    json_object_set_new(s, "donations_per_s",
                        json_real(wall > 0 ? r1((double)d->answered / wall) : 0));
    json_object_set_new(s, "latency_ms", bench_samples_json(&d->lat_ms));
    json_object_set_new(s, "totals", check_json(d));
    if (d->o.server_pid) {
        double cpu = d->srv0 >= 0 && d->srv1 >= 0 ? (double)(d->srv1 - d->srv0) / 1e6 : -1;
        json_t *sv = json_pack("{s:i,s:f,s:f,s:i}", "pid", (int)d->o.server_pid, "cpu_s",
                               round(cpu * 1000) / 1000, "cpu_pct",
                               wall > 0 ? r1(100 * cpu / wall) : 0.0, "rss_kib", (int)d->rss_kib);
        if (cpu >= 0 && d->answered)
            json_object_set_new(sv, "cpu_us_per_donation",
                                json_real(r1(cpu * 1e6 / (double)d->answered)));
        json_object_set_new(s, "server", sv);
    }
    /* The tool shares the machine: its CPU over the storm, and in all. */
    json_t *tool = bench_rusage_json((double)(bench_now_us() - d->started_us) / 1e6);
    double tool_s = (double)(d->tool1 - d->tool0) / 1e6;
    json_object_set_new(tool, "storm_cpu_s", json_real(round(tool_s * 1000) / 1000));
    json_object_set_new(tool, "storm_cpu_pct", json_real(wall > 0 ? r1(100 * tool_s / wall) : 0));
    json_object_set_new(s, "tool", tool);
    if (d->first_error[0])
        json_object_set_new(s, "first_error", json_string(d->first_error));
    return s;
}

int bench_scenario_donate(int argc, char **argv)
{
    struct donate d = {0};
    int rc = parse(argc, argv, &d.o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (bench_url_parse("--url", d.o.url, "http", 8080, &d.url) < 0)
        return 2;
    snprintf(d.host, sizeof d.host, "%s:%d", d.url.host, d.url.port);
    d.started_us = bench_now_us();
    d.run_id = ((uint64_t)d.started_us << 16) ^ (uint64_t)getpid();
    bench_samples_init(&d.lat_ms, MAX_SAMPLES);
    rc = 1;
    if (setup(&d) || storm(&d))
        goto out;
    json_t *s = summary(&d);
    if (d.o.json) {
        bench_json_print(s);
    } else {
        char *text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (text)
            puts(text);
        free(text);
        json_decref(s);
    }
    rc = 0;
out:
    free(d.conns);
    free(d.users);
    free(d.streamers);
    bench_samples_free(&d.lat_ms);
    return rc;
}
