/*
 * bench.h - the common core of onair-bench: one libuv loop, a shared clock,
 * loopback-only targets, the run's bounds, the progress line and the JSON
 * summary.
 *
 * Every scenario runs on a single libuv loop in the main thread (the tool
 * then costs at most one core, and publishers and viewers share one clock
 * without locks). A scenario registers itself in a table in main.c with a
 * name, a one-line summary and a run function; the run function parses its
 * own options, starts its clients, calls bench_run() and prints its results.
 *
 * Bounds: bench_run() stops the loop after the duration (or earlier, when
 * the scenario calls bench_stop); the scenario's stop hook then closes its
 * handles and the loop is run again for at most a few seconds so that
 * goodbyes (FCUnpublish, closes) go out.
 *
 * Errors: option and address errors print one clear line on stderr and
 * make the run function return 2; runs return 0 when the run happened
 * (whether its targets were met is in the summary), 1 when it could not.
 */
#ifndef ONAIR_BENCH_BENCH_H
#define ONAIR_BENCH_BENCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "stats.h"

/* Monotonic microseconds shared by every client of the run. */
int64_t bench_now_us(void);
/* The tool's own CPU time so far (user + system), microseconds. */
int64_t bench_cpu_us(void);

/* A parsed URL of a loopback target. */
struct bench_url {
    char scheme[8];
    char host[64]; /* as written (for Host: and tcUrl) */
    int port;
    char path[512]; /* "/..." without the query; "/" when none */
    struct sockaddr_storage addr;
};

/*
 * Parses scheme://host[:port][/path] with a numeric host: an IPv4 address in
 * 127.0.0.0/8, [::1], or "localhost" (taken as 127.0.0.1). Anything else is
 * refused with a message on stderr naming the option: the tool only ever
 * loads this machine. Returns 0 or -1.
 */
int bench_url_parse(const char *opt, const char *text, const char *want_scheme, int default_port,
                    struct bench_url *out);

/* Strict number parsing for options: the whole string, within [min, max];
 * prints an error naming opt and returns -1 otherwise. */
int bench_parse_long(const char *opt, const char *text, long min, long max, long *out);
int bench_parse_double(const char *opt, const char *text, double min, double max, double *out);

/* One option of a scenario, for bench_opts_parse. */
enum bench_opt_kind {
    BENCH_OPT_FLAG,   /* no value; *(bool *)dst = true */
    BENCH_OPT_LONG,   /* *(long *)dst, within [min, max] */
    BENCH_OPT_DOUBLE, /* *(double *)dst, within [min, max] */
    BENCH_OPT_STRING, /* *(const char **)dst = the argument (borrowed from argv) */
};

struct bench_opt {
    const char *name; /* without the "--" */
    enum bench_opt_kind kind;
    void *dst;
    double min, max;
    const char *arg;  /* the value's name in --help ("N"); NULL for a flag */
    const char *help; /* one line */
};

/*
 * Parses argv[1..argc) (argv[0]: the scenario's name) against the n options,
 * writing each value where its dst says; options not given keep what the
 * caller put there. --help prints `usage` and the options on stdout and
 * returns 1. Returns 0, or -1 after one line on stderr naming the scenario
 * and the option (unknown option, missing or bad value, a stray argument).
 */
int bench_opts_parse(const char *scenario, const char *usage, const struct bench_opt *opts,
                     size_t n, int argc, char **argv);

/* One row of a table shared by several scenarios of one file: the option
 * applies to the scenarios whose bits (the file's own enum) are in
 * `scenarios`. Two rows may share a name for different scenarios (the same
 * flag with its own bounds or destination in each). */
struct bench_scoped_opt {
    unsigned scenarios;
    struct bench_opt opt;
};

/* Copies the options of scenario `sc` (a bit) from all[0..n) to out, which
 * has room for n; returns how many. */
size_t bench_opts_select(const struct bench_scoped_opt *all, size_t n, unsigned sc,
                         struct bench_opt *out);
/* bench_opts_parse over the options of scenario `sc` in all[0..n). */
int bench_opts_parse_scoped(const char *scenario, const char *usage,
                            const struct bench_scoped_opt *all, size_t n, unsigned sc, int argc,
                            char **argv);

/* Called once a second on the loop; appends the scenario's part of the
 * progress line (after "t=..s"). */
typedef void (*bench_progress_fn)(void *arg, char *line, size_t size);
/* Called once when the run ends (duration reached or bench_stop): close
 * every handle so the loop can finish. */
typedef void (*bench_stop_fn)(void *arg);

struct bench_run {
    uv_loop_t *loop;
    double duration_s;
    bool json;
    bool quiet; /* no progress line */
    bench_progress_fn progress;
    bench_stop_fn stop;
    void *arg;
    /* Filled by bench_run: */
    int64_t started_us, ended_us;
    bool stopping;
};

/* Runs the loop for run->duration_s (progress every second unless quiet),
 * then calls stop and lets the loop drain for at most 5 s. */
void bench_run(struct bench_run *run);
/* Ends the run early (from a callback on the loop). */
void bench_stop(struct bench_run *run);

/* The tool's own CPU since it started: {"user_s","sys_s","cpu_pct" (of one
 * core over wall_s), "max_rss_kib"}. */
json_t *bench_rusage_json(double wall_s);
/* {"n","p50","p90","p95","p99","max","mean"} in the samples' unit, rounded
 * to 0.1; {"n":0} when empty. */
json_t *bench_samples_json(struct bench_samples *s);
/* Prints the summary (compact, one line) on stdout and frees it. */
void bench_json_print(json_t *summary);

/* One key per line, optionally followed by whitespace and the channel the
 * key publishes to ("KEY" alone: the channel is the key, as for nginx-rtmp).
 * Blank lines and lines starting with '#' are skipped. Returns the number of
 * keys read (up to max), or -1 with a message. The strings are malloc'd. */
int bench_keys_load(const char *path, char **keys, char **channels, int max);

#endif
