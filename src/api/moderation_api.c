/*
 * moderation_api.c - the moderators' actions over HTTP; the same as the
 * chat commands (/delete, /timeout, /ban, /unban, /slow, /clear), run by
 * the chat writer in the room's order of events (chat_hub_moderate).
 *
 *   DELETE /api/rooms/{room}/messages/{seq}        -> {"room","seq","event_seq"}
 *   POST   /api/rooms/{room}/bans {"username","seconds"?,"reason"?}
 *                                                  -> 201 {"ban":{"username","until"},"event_seq"}
 *   DELETE /api/rooms/{room}/bans/{username}       -> {"event_seq"}
 *   PUT    /api/rooms/{room}/slow {"seconds"}      -> {"slow","event_seq"}
 *   POST   /api/rooms/{room}/clear                 -> {"event_seq"}
 *
 * Bearer; the room's owner or (channel rooms) a moderator of the channel.
 * event_seq is the seq of the "deleted" or "system" event that records
 * the action in the room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "chat/hub.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "http/json.h"
#include "http/server.h"

struct mod_ctx {
    struct http_request *req;
    struct chat_mod mod;
    int64_t until_ms; /* bans: when it ends (0: a ban) */
};

static int status_of(const char *code)
{
    if (strcmp(code, "not_found") == 0)
        return 404;
    if (strcmp(code, "forbidden") == 0)
        return 403;
    if (strcmp(code, "bad_request") == 0)
        return 422;
    if (strcmp(code, "unavailable") == 0)
        return 503;
    return 500;
}

static void on_done(void *arg, const struct chat_result *r)
{
    struct mod_ctx *x = arg;
    const struct chat_mod *m = &x->mod;
    if (r->rc != 0) {
        const char *code = r->code ? r->code : "internal";
        http_respond_error(x->req, status_of(code), code, r->message ? r->message : "failed");
    } else if (m->action == CHAT_MOD_DELETE) {
        http_respond_json(x->req, 200,
                          json_pack("{s:s,s:I,s:I}", "room", m->room, "seq", (json_int_t)m->seq,
                                    "event_seq", (json_int_t)r->seq));
    } else if (m->action == CHAT_MOD_TIMEOUT || m->action == CHAT_MOD_BAN) {
        http_respond_json(x->req, 201,
                          json_pack("{s:{s:s,s:o},s:I}", "ban", "username", m->target, "until",
                                    api__time_json(x->until_ms), "event_seq", (json_int_t)r->seq));
    } else if (m->action == CHAT_MOD_SLOW) {
        http_respond_json(x->req, 200,
                          json_pack("{s:I,s:I}", "slow", (json_int_t)m->seconds, "event_seq",
                                    (json_int_t)r->seq));
    } else {
        http_respond_json(x->req, 200, json_pack("{s:I}", "event_seq", (json_int_t)r->seq));
    }
    free(x);
}

/* Authenticates, fills the room and actor, and leaves the rest to the
 * caller; NULL if the request was answered (401, 404). */
static struct mod_ctx *begin(struct http_request *req, struct app *app, enum chat_mod_action action)
{
    struct auth_claims c;
    if (!api__authenticate(req, app, &c))
        return NULL;
    const char *room = http_request_param(req, "room");
    if (!room || strlen(room) > STORE_ROOM_MAX ||
        (strncmp(room, "channel:", 8) != 0 && strncmp(room, "room:", 5) != 0)) {
        http_respond_error(req, 404, "not_found", "no such room");
        return NULL;
    }
    struct mod_ctx *x = xcalloc(1, sizeof *x);
    x->req = req;
    x->mod.action = action;
    snprintf(x->mod.room, sizeof x->mod.room, "%s", room);
    x->mod.actor_id = c.user_id;
    snprintf(x->mod.actor_name, sizeof x->mod.actor_name, "%s", c.username);
    return x;
}

/* begin() for actions with a JSON body: *body gets it (the caller owns it). */
static struct mod_ctx *begin_with_body(struct http_request *req, struct app *app,
                                       enum chat_mod_action action, json_t **body)
{
    struct mod_ctx *x = begin(req, app, action);
    if (x && !(*body = http_read_json_object(req))) {
        free(x);
        return NULL;
    }
    return x;
}

static void submit(struct mod_ctx *x)
{
    if (chat_hub_moderate(x->req->loop, &x->mod, on_done, x) != 0) {
        http_respond_error(x->req, 503, "unavailable", "the chat is busy; try again");
        free(x);
    }
}

static void delete_message(struct http_request *req, void *arg)
{
    struct mod_ctx *x = begin(req, arg, CHAT_MOD_DELETE);
    if (!x)
        return;
    uint64_t seq;
    const char *s = http_request_param(req, "seq");
    if (!s || !http_parse_u64(s, strlen(s), &seq) || seq < 1 || seq > INT64_MAX / 2) {
        http_respond_error(req, 404, "not_found", "no such message in this room");
        free(x);
        return;
    }
    x->mod.seq = (int64_t)seq;
    submit(x);
}

static void ban(struct http_request *req, void *arg)
{
    json_t *body;
    struct mod_ctx *x = begin_with_body(req, arg, CHAT_MOD_BAN, &body);
    if (!x)
        return;
    const char *name, *reason = NULL;
    size_t len = 0, rlen = 0;
    json_t *secs = json_object_get(body, "seconds");
    json_t *rv = json_object_get(body, "reason");
    const char *why = NULL;
    if (!json_get_string(body, "username", &name, &len) || len == 0 || len >= sizeof x->mod.target)
        why = "username must be a user's name";
    else if (secs && !json_is_null(secs) &&
             (!json_is_integer(secs) || json_integer_value(secs) < 1 ||
              json_integer_value(secs) > CHAT_TIMEOUT_MAX_S))
        why = "seconds (a timeout) must be an integer from 1 to 1209600";
    else if (rv && !json_is_null(rv) &&
             (!json_get_string(body, "reason", &reason, &rlen) || rlen > STORE_REASON_MAX))
        why = "reason must be a string of at most 400 bytes";
    if (why) {
        json_decref(body);
        free(x);
        http_respond_error(req, 422, "validation_failed", why);
        return;
    }
    snprintf(x->mod.target, sizeof x->mod.target, "%s", name);
    if (reason)
        snprintf(x->mod.reason, sizeof x->mod.reason, "%s", reason);
    if (secs && json_is_integer(secs)) {
        x->mod.action = CHAT_MOD_TIMEOUT;
        x->mod.seconds = json_integer_value(secs);
        x->until_ms = clock_wall_ms() + x->mod.seconds * 1000;
    }
    json_decref(body);
    submit(x);
}

static void unban(struct http_request *req, void *arg)
{
    struct mod_ctx *x = begin(req, arg, CHAT_MOD_UNBAN);
    if (!x)
        return;
    const char *name = http_request_param(req, "username");
    if (!name || !name[0] || strlen(name) >= sizeof x->mod.target) {
        http_respond_error(req, 404, "not_found", "no such user");
        free(x);
        return;
    }
    snprintf(x->mod.target, sizeof x->mod.target, "%s", name);
    submit(x);
}

static void slow(struct http_request *req, void *arg)
{
    json_t *body;
    struct mod_ctx *x = begin_with_body(req, arg, CHAT_MOD_SLOW, &body);
    if (!x)
        return;
    json_t *secs = json_object_get(body, "seconds");
    bool ok = json_is_integer(secs) && json_integer_value(secs) >= 0 &&
              json_integer_value(secs) <= STORE_SLOW_MAX;
    if (ok)
        x->mod.seconds = json_integer_value(secs);
    json_decref(body);
    if (!ok) {
        free(x);
        http_respond_error(req, 422, "validation_failed",
                           "seconds must be an integer from 0 (off) to 86400");
        return;
    }
    submit(x);
}

static void clear(struct http_request *req, void *arg)
{
    struct mod_ctx *x = begin(req, arg, CHAT_MOD_CLEAR);
    if (x)
        submit(x);
}

void api__register_moderation(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_DELETE, "/api/rooms/{room}/messages/{seq}", delete_message, app);
    http_router_add(r, HTTP_POST, "/api/rooms/{room}/bans", ban, app);
    http_router_add(r, HTTP_DELETE, "/api/rooms/{room}/bans/{username}", unban, app);
    http_router_add(r, HTTP_PUT, "/api/rooms/{room}/slow", slow, app);
    http_router_add(r, HTTP_POST, "/api/rooms/{room}/clear", clear, app);
}
