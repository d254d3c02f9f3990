/*
 * chat_setup.h - what the chat scenarios do before and around their loop:
 * users over onair's REST API, and the server's CPU and RSS from /proc.
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
