/*
 * internal.h - helpers shared by the API handler files (api__ prefix).
 */
#ifndef ONAIR_API_INTERNAL_H
#define ONAIR_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/app.h"
#include "auth/jwt.h"
#include "http/router.h"
#include "store/store.h"

struct http_request;

/* Checks the Bearer access token. On success fills *claims and returns true;
 * otherwise answers 401 (unauthorized or token_expired) and returns false. */
bool api__authenticate(struct http_request *req, struct app *app, struct auth_claims *claims);

/* Submits a store job for req; if the store can't take it, answers 503 and
 * returns false (then neither callback runs and the caller frees its ctx). */
bool api__store(struct http_request *req, struct app *app, store_job_fn job, store_done_fn done,
                void *ctx);

/* For routes where the token is optional: with no Authorization header,
 * *user_id is 0 (anonymous) and true is returned; with one, it must be
 * valid (as api__authenticate, which answers 401 and returns false). */
bool api__authenticate_optional(struct http_request *req, struct app *app, int64_t *user_id);

/* Lower-cases name (len bytes) into out (STORE_USERNAME_MAX + 1 bytes) and
 * checks [a-z0-9_]{3,24}. */
bool api__normalize_username(const char *name, size_t len, char *out);

/* The {name} path parameter as a channel name (the owner's username, so
 * the same rules) into out (STORE_USERNAME_MAX + 1 bytes). Not one:
 * answers 404 not_found and returns false. */
bool api__channel_param(struct http_request *req, char *out);

/* A channel or room title: 1..140 UTF-8 characters (already validated by
 * jansson), at most STORE_TITLE_MAX bytes, no control characters but tab. */
bool api__title_ok(const char *s, size_t len);

/* On a store thread: whether room ("channel:{name}" or "room:{id}") exists
 * and user_id (0: anonymous) may read it. 0; ONAIR_ENOTFOUND for no such
 * room or a malformed name; ONAIR_EDENIED for a private room user_id is not
 * a member of; or the store's error. */
int api__room_readable(struct store_conn *c, const struct store_backend *b, const char *room,
                       int64_t user_id);

/* Answers 500 for a store failure (logged by the backend). */
void api__store_failed(struct http_request *req, int rc);
/* Answers a failed api__room_readable (or a store failure after it): 404,
 * 403 or 500. */
void api__room_failed(struct http_request *req, int rc);

/* {"name","title","live","viewers","started_at"} */
json_t *api__channel_json(const struct store_channel *ch);
/* {"id","name"}: a user as other users see them. */
json_t *api__user_json(int64_t id, const char *name);
/* "2026-11-22T03:40:00.123Z" for unix ms, or JSON null for 0. */
json_t *api__time_json(int64_t ms);

/* Signs an access token for user in session (refresh family) sid. */
int api__sign_access(struct app *app, int64_t user_id, const char *username, const char *sid,
                     char *out, size_t cap);
/* Makes a new refresh token: the secret text (AUTH_TOKEN_MAX + 1 bytes) to
 * out, its record (hash, family sid, user, expiry) to *rec. */
void api__new_refresh(struct app *app, int64_t user_id, const char *sid, char *out,
                      struct store_refresh *rec);

/* The token pair response {"access_token","refresh_token","expires_in","token_type"}. */
json_t *api__token_pair_json(struct app *app, const char *access, const char *refresh);

void api__register_auth(struct http_router *r, struct app *app);
void api__register_channels(struct http_router *r, struct app *app);
void api__register_system(struct http_router *r, struct app *app);
void api__register_rooms(struct http_router *r, struct app *app);
void api__register_search(struct http_router *r, struct app *app);
void api__register_moderation(struct http_router *r, struct app *app);
void api__register_wallet(struct http_router *r, struct app *app);
void api__register_payments(struct http_router *r, struct app *app);
void api__register_overlay(struct http_router *r, struct app *app);

#endif
