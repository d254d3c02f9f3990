#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "api/api.h"
#include "api/internal.h"
#include "auth/revoked.h"
#include "auth/token.h"
#include "chat/hub.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "http/json.h"
#include "http/server.h"

#define TITLE_MAX_CHARS 140

bool api__authenticate(struct http_request *req, struct app *app, struct auth_claims *claims)
{
    const char *h = http_request_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        http_respond_error_headers(req, 401, "unauthorized", "a Bearer access token is required",
                                   "WWW-Authenticate: Bearer\r\n");
        return false;
    }
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    int64_t now_ms = clock_wall_ms();
    int rc =
        auth_jwt_verify(app->jwt_key, app->jwt_key_len, tok, strlen(tok), now_ms / 1000, claims);
    if (rc == ONAIR_ESTALE) {
        http_respond_error_headers(req, 401, "token_expired", "the access token has expired",
                                   "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
        return false;
    }
    if (rc != 0 || auth_revoked_has(app->revoked, claims->sid, now_ms)) {
        http_respond_error_headers(req, 401, "unauthorized", "the access token is not valid",
                                   "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
        return false;
    }
    return true;
}

bool api__authenticate_optional(struct http_request *req, struct app *app, int64_t *user_id)
{
    *user_id = 0;
    if (!http_request_header(req, "Authorization"))
        return true;
    struct auth_claims c;
    if (!api__authenticate(req, app, &c))
        return false;
    *user_id = c.user_id;
    return true;
}

bool api__normalize_username(const char *name, size_t len, char *out)
{
    if (len < 3 || len > STORE_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = (char)tolower((unsigned char)name[i]);
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
        out[i] = ch;
    }
    out[len] = '\0';
    return true;
}

bool api__channel_param(struct http_request *req, char *out)
{
    const char *name = http_request_param(req, "name");
    if (name && api__normalize_username(name, strlen(name), out))
        return true;
    http_respond_error(req, 404, "not_found", "no such channel");
    return false;
}

bool api__title_ok(const char *s, size_t len)
{
    if (len > STORE_TITLE_MAX)
        return false;
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
        if ((ch & 0xC0) != 0x80)
            chars++;
    }
    return chars >= 1 && chars <= TITLE_MAX_CHARS;
}

int api__room_readable(struct store_conn *c, const struct store_backend *b, const char *room,
                       int64_t user_id)
{
    if (strncmp(room, "channel:", 8) == 0) {
        struct store_channel ch;
        return b->channel_by_name(c, room + 8, &ch);
    }
    uint64_t id;
    if (strncmp(room, "room:", 5) != 0 || !http_parse_u64(room + 5, strlen(room + 5), &id) ||
        id == 0)
        return ONAIR_ENOTFOUND;
    struct store_room r;
    int rc = b->room_get(c, (int64_t)id, &r);
    if (rc || !r.private_)
        return rc;
    bool member = false;
    if (user_id > 0 && (rc = b->room_is_member(c, (int64_t)id, user_id, &member)) != 0)
        return rc;
    return member ? 0 : ONAIR_EDENIED;
}

bool api__store(struct http_request *req, struct app *app, store_job_fn job, store_done_fn done,
                void *ctx)
{
    int rc = store_submit(app->store, req->loop, job, done, ctx);
    if (rc == 0)
        return true;
    http_respond_error_headers(req, 503, "unavailable", "the server is busy; try again shortly",
                               "Retry-After: 1\r\n");
    return false;
}

void api__store_failed(struct http_request *req, int rc)
{
    log_err("api", "store operation failed", "path=%s err=\"%s\"", req->path, onair_strerror(rc));
    http_respond_error(req, 500, "internal", "the server could not complete the request");
}

void api__room_failed(struct http_request *req, int rc)
{
    if (rc == ONAIR_ENOTFOUND)
        http_respond_error(req, 404, "not_found", "no such room");
    else if (rc == ONAIR_EDENIED)
        http_respond_error(req, 403, "forbidden", "this room is private");
    else
        api__store_failed(req, rc);
}

json_t *api__time_json(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char out[96];
    snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return json_string(out);
}

json_t *api__user_json(int64_t id, const char *name)
{
    return json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", name);
}

json_t *api__channel_json(const struct store_channel *ch)
{
    /* Viewers: connections joined to the channel's chat room right now. */
    char room[STORE_USERNAME_MAX + 16];
    snprintf(room, sizeof room, "channel:%s", ch->name);
    return json_pack("{s:I,s:s,s:s,s:b,s:i,s:o}", "id", (json_int_t)ch->id, "name", ch->name,
                     "title", ch->title, "live", ch->live, "viewers", (int)chat_hub_viewers(room),
                     "started_at", api__time_json(ch->live ? ch->started_at : 0));
}

int api__sign_access(struct app *app, int64_t user_id, const char *username, const char *sid,
                     char *out, size_t cap)
{
    struct auth_claims c;
    memset(&c, 0, sizeof c);
    c.user_id = user_id;
    snprintf(c.username, sizeof c.username, "%s", username);
    snprintf(c.sid, sizeof c.sid, "%s", sid);
    c.iat = clock_wall_ms() / 1000;
    c.exp = c.iat + app->access_ttl_s;
    /* A random id: a token refreshed within the same second still differs. */
    auth_token_random(c.jti, 16);
    return auth_jwt_sign(app->jwt_key, app->jwt_key_len, &c, out, cap);
}

void api__new_refresh(struct app *app, int64_t user_id, const char *sid, char *out,
                      struct store_refresh *rec)
{
    /* 32 random bytes; the secret itself only ever travels in the response. */
    auth_token_random(out, 32);
    memset(rec, 0, sizeof *rec);
    auth_token_sha256(out, strlen(out), rec->hash);
    snprintf(rec->family, sizeof rec->family, "%s", sid);
    rec->user_id = user_id;
    rec->expires_at = clock_wall_ms() + app->refresh_ttl_s * 1000;
}

json_t *api__token_pair_json(struct app *app, const char *access, const char *refresh)
{
    return json_pack("{s:s,s:s,s:I,s:s}", "access_token", access, "refresh_token", refresh,
                     "expires_in", (json_int_t)app->access_ttl_s, "token_type", "Bearer");
}

int app_load_jwt_key(struct app *app, const char *secret, const char *data_dir)
{
    if (secret && *secret) {
        size_t n = strlen(secret);
        if (n < 32) {
            log_err("auth", "jwt-secret must be at least 32 bytes", NULL);
            return ONAIR_EINVAL;
        }
        /* Longer secrets are folded to 32 bytes so any length works as a key. */
        auth_token_sha256(secret, n, app->jwt_key);
        app->jwt_key_len = 32;
        return 0;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/jwt.key", data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, app->jwt_key, 32);
        close(fd);
        if (n != 32) {
            log_err("auth", "jwt.key is damaged (expected 32 bytes)", "path=%s", path);
            return ONAIR_EIO;
        }
        app->jwt_key_len = 32;
        return 0;
    }
    if (errno != ENOENT) {
        log_err("auth", "cannot read jwt.key", "path=%s err=\"%s\"", path, strerror(errno));
        return ONAIR_EIO;
    }
    randombytes_buf(app->jwt_key, 32);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, app->jwt_key, 32) != 32 || fsync(fd) != 0) {
        log_err("auth", "cannot write jwt.key", "path=%s err=\"%s\"", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ONAIR_EIO;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        log_err("auth", "cannot write jwt.key", "path=%s err=\"%s\"", path, strerror(errno));
        return ONAIR_EIO;
    }
    app->jwt_key_len = 32;
    return 0;
}

void api_register(struct http_router *r, struct app *app)
{
    api__register_system(r, app);
    api__register_auth(r, app);
    api__register_channels(r, app);
    api__register_rooms(r, app);
    api__register_search(r, app);
    api__register_moderation(r, app);
    api__register_wallet(r, app);
    api__register_payments(r, app);
    api__register_overlay(r, app);
}
