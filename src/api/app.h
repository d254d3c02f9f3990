/*
 * app.h - what the API handlers share: settings, the store, auth state.
 *
 * One struct app per process, built by main.c before the loops start and
 * read-only afterwards except for the members that are thread-safe on their
 * own (limiters, revoked set, store). Handlers get it as their ctx.
 */
#ifndef ONAIR_API_APP_H
#define ONAIR_API_APP_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct store;
struct auth_limiter;
struct auth_revoked;
struct chat_filter_holder;

struct app {
    const struct config *cfg;
    struct store *store;
    uint8_t jwt_key[64];
    size_t jwt_key_len;
    int64_t access_ttl_s;
    int64_t refresh_ttl_s;
    struct auth_limiter *login_by_user;
    struct auth_limiter *login_by_ip;
    struct auth_revoked *revoked;      /* logged-out sessions (JWT sid) */
    struct chat_filter_holder *filter; /* banned words, for text shown in chat */
    int rtmp_port;                     /* the RTMP port actually bound */
};

/* Loads the access-token key: the jwt-secret setting if set (>= 32 bytes),
 * else <data>/jwt.key, created with 32 random bytes (mode 0600) on first
 * start so tokens stay valid across restarts. 0 or ONAIR_EIO/EINVAL. */
int app_load_jwt_key(struct app *app, const char *secret, const char *data_dir);

#endif
