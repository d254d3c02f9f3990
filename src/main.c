/*
 * main.c - wiring only: settings -> store -> router -> loops -> signals.
 *
 * Shutdown order matters (SIGINT/SIGTERM): stop accepting and let in-flight
 * requests finish (bounded by shutdown-timeout-ms), close what is left,
 * close the store (its last completions still reach running loops), and
 * only then stop the loops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "admin.h"
#include "api/api.h"
#include "api/app.h"
#include "auth/limiter.h"
#include "auth/password.h"
#include "auth/revoked.h"
#include "chat/filter.h"
#include "chat/hub.h"
#include "chat/session.h"
#include "ws/conn.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "hls/record.h"
#include "hls/serve.h"
#include "hls/stream.h"
#include "rtmp/server.h"
#include "store/store.h"
#include "transcode/ladder.h"
#include "transcode/thumbnail.h"

extern char **environ;

struct loop_ctx {
    struct http_server *http;
    struct rtmp_server *rtmp;
};

static void store_metrics(struct buf *out, void *arg)
{
    struct store *s = arg;
    buf_printf(out,
               "# HELP onair_store_queue_depth Database jobs waiting or running.\n"
               "# TYPE onair_store_queue_depth gauge\n"
               "onair_store_queue_depth %u\n",
               store_queue_depth(s));
}

static void remember_revoked(const char *family, void *arg)
{
    struct app *app = arg;
    auth_revoked_add(app->revoked, family, clock_wall_ms() + app->access_ttl_s * 1000);
}

static void load_revoked(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    struct app *app = arg;
    int rc = b->revoked_families_since(conn, clock_wall_ms() - app->access_ttl_s * 1000,
                                       remember_revoked, app);
    if (rc)
        log_warn("auth", "could not load revoked sessions", "err=\"%s\"", onair_strerror(rc));
}

static void on_loop_shutdown(void *arg)
{
    struct loop_ctx *lc = arg;
    if (lc->http)
        http_server_shutdown(lc->http);
}

static void on_loop_close(void *arg)
{
    struct loop_ctx *lc = arg;
    if (lc->http)
        http_server_close(lc->http);
    lc->http = NULL;
    if (lc->rtmp)
        rtmp_server_close(lc->rtmp);
    lc->rtmp = NULL;
}

static void reset_live(struct store_conn *conn, const struct store_backend *b, void *arg)
{
    /* No stream outlives its server: whatever was live before is not now. */
    int rc = b->channels_reset_live(conn);
    if (rc)
        log_warn("main", "could not reset live channels", "err=\"%s\"", onair_strerror(rc));
}

static void on_live(const char *channel, int64_t channel_id, bool live, void *arg)
{
    (void)channel_id;
    (void)arg;
    chat_hub_live(channel, live);
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "onair: cannot create data directory %s: %s\n", path, strerror(errno));
    return -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "admin") == 0)
        return admin_main(argc, argv);
    /* libuv's worker pool runs password hashing and payment provider calls
     * (which may wait seconds on the network); 4 threads would let a few
     * slow provider calls hold up every login. Before any libuv use. */
    setenv("UV_THREADPOOL_SIZE", "16", 0);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            config_print_help(stdout);
            return 0;
        }
    }
    static struct config cfg;
    char err[1024];
    config_defaults(&cfg);
    if (config_load(&cfg, argc, argv, 1, environ, err, sizeof err) != 0) {
        fprintf(stderr, "onair: %s\n", err);
        return 2;
    }
    log_set_level((enum log_level)log_level_parse(config_str(&cfg, CFG_LOG_LEVEL)));
    /* Check the ladder spec now, with the other settings (it is configured
     * for real once the RTMP port is bound). */
    if (ladder_configure(config_str(&cfg, CFG_LADDER), config_str(&cfg, CFG_FFMPEG), 0, 1, err,
                         sizeof err) != 0) {
        fprintf(stderr, "onair: %s\n", err);
        return 2;
    }

    /* Signals are taken by sigwait() below; every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    const char *data_dir = config_str(&cfg, CFG_DATA);
    if (make_dir(data_dir) != 0)
        return 1;
    auth_password_set_cost((unsigned long long)config_int(&cfg, CFG_ARGON2_OPS),
                           (size_t)config_int(&cfg, CFG_ARGON2_MEM_KIB));

    static struct app app;
    app.cfg = &cfg;
    app.access_ttl_s = config_int(&cfg, CFG_ACCESS_TTL);
    app.refresh_ttl_s = config_int(&cfg, CFG_REFRESH_TTL);
    if (app_load_jwt_key(&app, config_str(&cfg, CFG_JWT_SECRET), data_dir) != 0)
        return 1;
    int64_t window_ms = config_int(&cfg, CFG_LOGIN_WINDOW) * 1000;
    app.login_by_user =
        auth_limiter_new((unsigned)config_int(&cfg, CFG_LOGIN_MAX_FAILURES), window_ms, 100000);
    app.login_by_ip =
        auth_limiter_new((unsigned)config_int(&cfg, CFG_LOGIN_MAX_FAILURES_IP), window_ms, 100000);
    app.revoked = auth_revoked_new(1000000);

    struct store_options sopt = {
        .data_dir = data_dir,
        .busy_timeout_ms = (int)config_int(&cfg, CFG_STORE_BUSY_TIMEOUT_MS),
        .search_budget_ms = (int)config_int(&cfg, CFG_SEARCH_BUDGET_MS),
    };
    app.store =
        store_open(&store_sqlite_backend, &sopt, (unsigned)config_int(&cfg, CFG_STORE_THREADS),
                   (unsigned)config_int(&cfg, CFG_STORE_QUEUE_MAX));
    if (!app.store) {
        fprintf(stderr, "onair: cannot open the database in %s (see the log above)\n", data_dir);
        return 1;
    }
    store_run_sync(app.store, load_revoked, &app);
    store_run_sync(app.store, reset_live, NULL);

    struct http_router *router = http_router_new();
    api_register(router, &app);
    hls_serve_register(router);
    /* The banned-word list: a missing file means no filter (logged), a bad
     * one refuses to start so the operator notices. */
    static struct chat_filter_holder filter;
    struct chat_filter *f0 = NULL;
    const char *words = config_str(&cfg, CFG_BANNED_WORDS);
    if (words[0]) {
        f0 = chat_filter_load_file(words, err, sizeof err);
        if (!f0) {
            if (access(words, F_OK) == 0) {
                fprintf(stderr, "onair: banned-words %s: %s\n", words, err);
                return 2;
            }
            log_warn("chat", "no banned-word list; chat is unfiltered", "path=%s", words);
        }
    }
    if (!f0)
        f0 = chat_filter_load("", 0, err, sizeof err);
    chat_filter_holder_init(&filter, f0);
    app.filter = &filter;
    struct chat_session_options copt = {
        .filter = &filter,
        .max_message = (size_t)config_int(&cfg, CFG_CHAT_MAX_MESSAGE_BYTES),
        .max_queue = (size_t)config_int(&cfg, CFG_CHAT_SEND_QUEUE_BYTES),
        .rate_count = (unsigned)config_int(&cfg, CFG_CHAT_RATE_COUNT),
        .rate_window_ms = (uint64_t)config_int(&cfg, CFG_CHAT_RATE_WINDOW_MS),
    };
    chat_session_register(router, &app, &copt);
    hls_record_register(router);
    if (config_int(&cfg, CFG_RECORD)) {
        char rdir[CONFIG_VALUE_MAX + 16];
        snprintf(rdir, sizeof rdir, "%s/recordings", data_dir);
        if (hls_record_start(rdir) != 0)
            return 1;
    }
    struct http_static *web = http_static_new(config_str(&cfg, CFG_WEB));
    http_router_set_fallback(router, http_static_handle, web);
    http_metrics_register(router);
    rtmp_metrics_register();
    metrics_register(chat_hub_metrics, NULL);
    metrics_register(ws_metrics, NULL);
    metrics_register(store_metrics, app.store);

    unsigned workers = (unsigned)config_int(&cfg, CFG_WORKERS);
    if (workers == 0)
        workers = uv_available_parallelism();
    struct loop_group *loops = loop_group_new(workers);
    struct loop_ctx *lctx = calloc(workers, sizeof *lctx);
    struct http_server_options hopt = {
        .max_header_bytes = (size_t)config_int(&cfg, CFG_MAX_HEADER_BYTES),
        .max_body_bytes = (size_t)config_int(&cfg, CFG_MAX_BODY_BYTES),
        .header_timeout_ms = (uint64_t)config_int(&cfg, CFG_HEADER_TIMEOUT_MS),
        .idle_timeout_ms = (uint64_t)config_int(&cfg, CFG_IDLE_TIMEOUT_MS),
        .max_connections = (unsigned)config_int(&cfg, CFG_MAX_CONNECTIONS),
    };
    hls_registry_init(loops, hls_serve_wake);
    struct thumbnail_options topt = {
        .ffmpeg = config_str(&cfg, CFG_FFMPEG),
        .interval_ms = (unsigned)config_int(&cfg, CFG_THUMBNAIL_INTERVAL_MS),
        .max_children = (unsigned)config_int(&cfg, CFG_TRANSCODE_MAX_CHILDREN),
        .height = 360,
    };
    thumbnail_configure(&topt);
    struct rtmp_server_options ropt = {
        .store = app.store,
        .hls =
            {
                .part_target = (double)config_int(&cfg, CFG_HLS_PART_MS) / 1000.0,
                .segment_target = (double)config_int(&cfg, CFG_HLS_SEGMENT_MS) / 1000.0,
                .window = (unsigned)config_int(&cfg, CFG_HLS_WINDOW),
            },
        .grace_ms = config_int(&cfg, CFG_GRACE_MS),
        .max_message = (uint32_t)config_int(&cfg, CFG_RTMP_MAX_MESSAGE),
        .handshake_timeout_ms = 10000,
        .on_live = on_live,
        .idle_timeout_ms = (uint64_t)config_int(&cfg, CFG_RTMP_IDLE_TIMEOUT_MS),
    };
    int http_port = cfg.port[CFG_HTTP];
    int rtmp_port = cfg.port[CFG_RTMP];
    for (unsigned i = 0; i < workers; i++) {
        lctx[i].http = http_server_new(&loops->loops[i], router, &hopt);
        /* Port 0 means "any": the first loop picks it, the rest share it. */
        if (http_server_listen(lctx[i].http, cfg.host[CFG_HTTP], http_port, &http_port) != 0) {
            fprintf(stderr, "onair: cannot listen on %s\n", config_str(&cfg, CFG_HTTP));
            return 1;
        }
        lctx[i].rtmp = rtmp_server_new(&loops->loops[i], &ropt);
        if (rtmp_server_listen(lctx[i].rtmp, cfg.host[CFG_RTMP], rtmp_port, &rtmp_port) != 0) {
            fprintf(stderr, "onair: cannot listen on %s\n", config_str(&cfg, CFG_RTMP));
            return 1;
        }
        loop_set_stop_hook(&loops->loops[i], on_loop_close, &lctx[i]);
    }
    /* Renditions publish back to our own RTMP port, known only now. */
    app.rtmp_port = rtmp_port; /* for the dashboard's OBS settings (stream-key answer) */
    if (ladder_configure(config_str(&cfg, CFG_LADDER), config_str(&cfg, CFG_FFMPEG), rtmp_port,
                         (unsigned)config_int(&cfg, CFG_TRANSCODE_MAX_CHILDREN), err,
                         sizeof err) != 0) {
        fprintf(stderr, "onair: %s\n", err);
        return 2;
    }
    struct chat_options chopt = {
        .ring = 1000,
        .replay_max = 10000,
        .queue_max = 100000,
        .batch_max = 512,
        .rate_count = copt.rate_count,
        .rate_window_ms = copt.rate_window_ms,
        .room_idle_ms = (uint64_t)config_int(&cfg, CFG_CHAT_ROOM_IDLE_MS),
        .fanout_delay_ms = (unsigned)config_int(&cfg, CFG_CHAT_FANOUT_DELAY_MS),
    };
    if (chat_hub_start(app.store, loops, &chopt) != 0)
        return 1;
    if (loop_group_start(loops) != 0)
        return 1;

    const char *h = cfg.host[CFG_HTTP];
    bool v6 = strchr(h, ':') != NULL;
    const char *rh = cfg.host[CFG_RTMP];
    bool rv6 = strchr(rh, ':') != NULL;
    printf("onair is running\n"
           "  web:  http://%s%s%s:%d/\n"
           "  rtmp: rtmp://%s%s%s:%d/live  (OBS: Server = this URL, Stream Key = yours)\n"
           "  data: %s (SQLite)\n",
           v6 ? "[" : "", h, v6 ? "]" : "", http_port, rv6 ? "[" : "", rh, rv6 ? "]" : "",
           rtmp_port, data_dir);
    fflush(stdout);
    log_info("main", "started", "http_port=%d rtmp_port=%d workers=%u data=%s", http_port,
             rtmp_port, workers, data_dir);

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            /* Reload the banned words; readers switch over without a pause. */
            if (words[0]) {
                struct chat_filter *nf = chat_filter_load_file(words, err, sizeof err);
                if (nf) {
                    chat_filter_holder_set(&filter, nf);
                    log_info("chat", "banned words reloaded", "words=%zu", chat_filter_words(nf));
                } else {
                    char q[300];
                    log_warn("chat", "banned words not reloaded; keeping the old list", "err=%s",
                             log_quote(q, sizeof q, err));
                }
            }
            continue;
        }
        log_info("main", "shutting down", "signal=%d", sig);
        break;
    }

    for (unsigned i = 0; i < workers; i++)
        loop_post(&loops->loops[i], on_loop_shutdown, &lctx[i]);
    int64_t deadline = clock_mono_ns() + config_int(&cfg, CFG_SHUTDOWN_TIMEOUT_MS) * 1000000LL;
    while (http_server_connections() > 0 && clock_mono_ns() < deadline)
        sleep_ms(20);
    if (http_server_connections() > 0)
        log_warn("main", "closing connections still open at the shutdown timeout", "open=%u",
                 http_server_connections());
    /* The chat writer has its own store connection and posts to the loops:
     * stop it while both still exist. */
    chat_hub_stop();
    store_close(app.store);
    loop_group_stop(loops);
    loop_group_join(loops);
    chat_hub_free();   /* after the loops: their last closes leave rooms */
    hls_record_stop(); /* after the loops: the last segments are queued by then */
    chat_filter_holder_free(&filter);
    free(lctx);
    http_static_free(web);
    http_router_free(router);
    auth_limiter_free(app.login_by_user);
    auth_limiter_free(app.login_by_ip);
    auth_revoked_free(app.revoked);
    log_info("main", "stopped", NULL);
    return 0;
}
