/*
 * chat_setup.h - what the chat (and donate) scenarios do before and around
 * their loop: users over onair's REST API, and the server's CPU and RSS from
 * /proc.
 *
 * The REST calls are blocking (one short-lived connection each, a 10 s
 * timeout) and run before the loop starts, so they are never part of what
 * a scenario measures.
 *
 * Errors: -1 with one line on stderr naming what failed.
 */
#ifndef ONAIR_BENCH_CHAT_SETUP_H
#define ONAIR_BENCH_CHAT_SETUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One blocking request (Connection: close). body NULL: none; content_type
 * defaults to application/json and accept to application/json; token: a
 * Bearer access token, or NULL. */
struct bench_rest_req {
    const char *method, *path, *token, *content_type, *accept, *body;
};

/*
 * Sends r to addr and waits (10 s at most) for the answer. Returns its
 * status (-1 on I/O failure or an unreadable answer); copies the body into
 * out (NUL-terminated, cut at out_size - 1; out_size 0: not wanted) and the
 * Location header's value into location (empty when there is none;
 * location_size 0: not wanted). host: for the Host header.
 */
int bench_rest(const struct sockaddr *addr, const char *host, const struct bench_rest_req *r,
               char *out, size_t out_size, char *location, size_t location_size);

/*
 * Makes sure user `name` exists (POST /api/auth/signup; 409 means it does)
 * and, when token is not NULL, logs in (POST /api/auth/login) and copies
 * the access token into token (token_size bytes). host: for the Host header.
 */
int bench_chat_user(const struct sockaddr *addr, const char *host, const char *name,
                    const char *password, char *token, size_t token_size);

/* utime + stime of a process in microseconds, or -1 (no such process). */
int64_t bench_proc_cpu_us(long pid);
/* VmRSS of a process in KiB, or -1. */
long bench_proc_rss_kib(long pid);

#endif
