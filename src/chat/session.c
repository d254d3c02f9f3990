#include "chat/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "auth/jwt.h"
#include "auth/revoked.h"
#include "chat/command.h"
#include "chat/filter.h"
#include "chat/hub.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/utf8.h"
#include "http/json.h"
#include "http/router.h"
#include "http/server.h"
#include "ws/conn.h"

#define MAX_ROOMS 8 /* rooms one connection may be in at once */
#define TEXT_MAX_CHARS 500

static struct chat_session_options sopt;
static struct app *g_app;

/* A connection's place in a room. Allocated per join (a viewer in one room
 * pays for one), freed on leave, or when its join completes if it was left
 * while joining: the hub holds &sub until then. */
struct membership {
    struct chat_sub sub; /* first: deliver() gets it and finds the session */
    struct session *s;
    char room[STORE_ROOM_MAX + 1];
    bool joining; /* the hub's answer to the join is still to come */
    bool left;    /* left (or closed) while joining: free when it comes */
};

struct session {
    int refs; /* the connection + each pending join/send; loop-only */
    struct ws_conn *ws;
    struct loop *loop;
    bool gone;
    int64_t user_id;
    char username[STORE_USERNAME_MAX + 1];
    double tokens;
    int64_t refill_ms;
    struct membership *rooms[MAX_ROOMS];
    struct membership lobby; /* notices for every connection (room_created) */
};

static void session_unref(struct session *s)
{
    if (--s->refs == 0)
        free(s);
}

static void send_json(struct session *s, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text && !s->gone)
        ws_conn_send_text(s->ws, text, strlen(text));
    free(text);
}

static void send_error(struct session *s, const char *code, const char *message,
                       const char *client_id)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", message);
    if (client_id)
        json_object_set_new(o, "client_id", json_string(client_id));
    send_json(s, o);
}

static void deliver(struct chat_sub *sub, struct bytes **frames, size_t n)
{
    struct membership *m = (struct membership *)sub;
    if (!m->s->gone)
        ws_conn_send_frames(m->s->ws, frames, n);
}

static struct membership *find_room(struct session *s, const char *room)
{
    for (int i = 0; i < MAX_ROOMS; i++)
        if (s->rooms[i] && strcmp(s->rooms[i]->room, room) == 0)
            return s->rooms[i];
    return NULL;
}

/* "channel:{name}" (a username) or "room:{id}". */
static bool room_name_ok(const char *r)
{
    const char *p;
    if (strncmp(r, "channel:", 8) == 0) {
        p = r + 8;
        size_t n = strlen(p);
        if (n < 3 || n > STORE_USERNAME_MAX)
            return false;
        for (; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                return false;
        return true;
    }
    if (strncmp(r, "room:", 5) == 0) {
        p = r + 5;
        if (!*p || strlen(p) > 18 || *p == '0')
            return false;
        for (; *p; p++)
            if (*p < '0' || *p > '9')
                return false;
        return true;
    }
    return false;
}

static bool authenticate(const char *token, struct app *app, struct auth_claims *c, bool *expired)
{
    int64_t now = clock_wall_ms();
    int rc = auth_jwt_verify(app->jwt_key, app->jwt_key_len, token, strlen(token), now / 1000, c);
    *expired = rc == ONAIR_ESTALE;
    return rc == 0 && !auth_revoked_has(app->revoked, c->sid, now);
}

/* ---- join / leave ---- */

/* Takes m out of the session's rooms. */
static void forget_room(struct session *s, struct membership *m)
{
    for (int i = 0; i < MAX_ROOMS; i++)
        if (s->rooms[i] == m)
            s->rooms[i] = NULL;
}

/* Leaves the room now (the hub unlinks it at once); m is freed now, or when
 * its pending join completes. */
static void leave_room(struct session *s, struct membership *m)
{
    chat_hub_leave(s->loop, &m->sub);
    forget_room(s, m);
    if (m->joining)
        m->left = true;
    else
        free(m);
}

static void on_joined(struct chat_sub *sub, const struct chat_joined *j, void *arg)
{
    struct membership *m = arg;
    struct session *s = m->s;
    m->joining = false;
    if (m->left) {
        /* Left or closed meanwhile; the hub already undid the join. */
        free(m);
    } else if (j->rc != 0) {
        forget_room(s, m);
        free(m);
        if (!s->gone)
            send_error(s,
                       j->rc == ONAIR_EDENIED     ? "forbidden"
                       : j->rc == ONAIR_ENOTFOUND ? "not_found"
                                                  : "unavailable",
                       j->rc == ONAIR_EDENIED     ? "this room is private"
                       : j->rc == ONAIR_ENOTFOUND ? "no such room"
                                                  : "the chat store is unavailable; try again",
                       NULL);
    } else {
        send_json(s, json_pack("{s:s,s:s,s:I,s:i}", "type", "joined", "room", m->room, "last_seq",
                               (json_int_t)j->last_seq, "viewers", (int)j->viewers));
        if (j->reset)
            send_json(s, json_pack("{s:s,s:s,s:I}", "type", "reset", "room", m->room, "last_seq",
                                   (json_int_t)j->last_seq));
        for (size_t i = 0; i < j->nreplay; i++)
            ws_conn_send_frame(s->ws, j->replay[i]);
    }
    (void)sub;
    session_unref(s);
}

static void do_join(struct session *s, json_t *msg)
{
    const char *room;
    if (!json_get_string(msg, "room", &room, NULL) || !room_name_ok(room)) {
        send_error(s, "bad_request", "join needs a room like channel:alice or room:17", NULL);
        return;
    }
    json_t *sv = json_object_get(msg, "since");
    int64_t since = -1;
    if (sv && !json_is_null(sv)) {
        if (!json_is_integer(sv) || json_integer_value(sv) < 0) {
            send_error(s, "bad_request", "since must be a non-negative integer", NULL);
            return;
        }
        since = json_integer_value(sv);
    }
    /* "viewer": false follows the room without counting as a viewer (an
     * overlay in OBS, the streamer's dashboard). */
    json_t *vv = json_object_get(msg, "viewer");
    if (vv && !json_is_boolean(vv)) {
        send_error(s, "bad_request", "viewer must be true or false", NULL);
        return;
    }
    bool viewer = !vv || json_is_true(vv);
    if (find_room(s, room)) {
        send_error(s, "bad_request", "already in that room", NULL);
        return;
    }
    int slot = -1;
    for (int i = 0; i < MAX_ROOMS && slot < 0; i++)
        if (!s->rooms[i])
            slot = i;
    if (slot < 0) {
        send_error(s, "too_many_rooms", "leave a room before joining another", NULL);
        return;
    }
    struct membership *m = xcalloc(1, sizeof *m);
    m->s = s;
    m->joining = true;
    snprintf(m->room, sizeof m->room, "%s", room);
    m->sub.deliver = deliver;
    s->rooms[slot] = m;
    s->refs++;
    if (chat_hub_join(s->loop, &m->sub, room, s->user_id, since, viewer, on_joined, m) != 0) {
        s->refs--;
        s->rooms[slot] = NULL;
        free(m);
        send_error(s, "unavailable", "the server is busy; try again", NULL);
    }
}

static void leave_all(struct session *s)
{
    for (int i = 0; i < MAX_ROOMS; i++)
        if (s->rooms[i])
            leave_room(s, s->rooms[i]);
}

/* ---- send ---- */

struct pending_send {
    struct session *s;
    char client_id[STORE_KEY_MAX + 1];
    bool has_client_id;
};

/* An error for the client, from a hub result (code, message, timing). */
static void send_result_error(struct session *s, const struct chat_result *r, const char *client_id)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", r->code ? r->code : "internal",
                          "message", r->message ? r->message : "failed");
    if (r->retry_after_ms > 0)
        json_object_set_new(o, "retry_after_ms", json_integer(r->retry_after_ms));
    if (r->code && strcmp(r->code, "banned") == 0)
        json_object_set_new(o, "until", r->until_ms ? json_integer(r->until_ms) : json_null());
    if (client_id)
        json_object_set_new(o, "client_id", json_string(client_id));
    send_json(s, o);
}

static void on_sent(void *arg, const struct chat_result *r)
{
    struct pending_send *p = arg;
    struct session *s = p->s;
    if (!s->gone) {
        if (r->rc == 0) {
            json_t *o = json_pack("{s:s,s:I}", "type", "ack", "seq", (json_int_t)r->seq);
            json_object_set_new(o, "client_id",
                                p->has_client_id ? json_string(p->client_id) : json_null());
            send_json(s, o);
        } else {
            send_result_error(s, r, p->has_client_id ? p->client_id : NULL);
        }
    }
    session_unref(s);
    free(p);
}

/* Token bucket: rate_count messages per window, refilled continuously. */
static bool take_token(struct session *s, int64_t *retry_ms)
{
    if (sopt.rate_count == 0)
        return true;
    int64_t now = clock_wall_ms();
    double rate = (double)sopt.rate_count / (double)sopt.rate_window_ms;
    s->tokens += (double)(now - s->refill_ms) * rate;
    if (s->tokens > sopt.rate_count)
        s->tokens = sopt.rate_count;
    s->refill_ms = now;
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
        return true;
    }
    *retry_ms = (int64_t)((1.0 - s->tokens) / rate) + 1;
    return false;
}

/* The hub's send request for a chat message: banned words become '*'
 * (same number of characters), in linear time. */
static void message_of(const struct session *s, const char *room, const char *text, size_t len,
                       const char *client_id, struct chat_send *cs)
{
    memset(cs, 0, sizeof *cs);
    snprintf(cs->room, sizeof cs->room, "%s", room);
    cs->user_id = s->user_id;
    snprintf(cs->username, sizeof cs->username, "%s", s->username);
    struct chat_filter *f = sopt.filter ? chat_filter_holder_get(sopt.filter) : NULL;
    if (f) {
        chat_filter_mask(f, text, len, cs->text, sizeof cs->text);
        chat_filter_unref(f);
    } else {
        memcpy(cs->text, text, len);
        cs->text[len] = '\0';
    }
    if (client_id)
        snprintf(cs->client_id, sizeof cs->client_id, "%s", client_id);
    snprintf(cs->type, sizeof cs->type, "message");
}

static void do_send(struct session *s, json_t *msg)
{
    const char *room, *text, *client_id = NULL;
    size_t len = 0;
    json_t *cid = json_object_get(msg, "client_id");
    if (cid && !json_is_null(cid)) {
        if (!json_is_string(cid) || json_string_length(cid) > STORE_KEY_MAX) {
            send_error(s, "bad_request", "client_id must be a string of at most 64 bytes", NULL);
            return;
        }
        client_id = json_string_value(cid);
    }
    if (!s->user_id) {
        send_error(s, "unauthorized", "log in to chat", client_id);
        return;
    }
    if (!json_get_string(msg, "room", &room, NULL) || !json_get_string(msg, "text", &text, &len)) {
        send_error(s, "bad_request", "send needs room and text strings", client_id);
        return;
    }
    struct membership *m = find_room(s, room);
    if (!m || !m->sub.active) {
        send_error(s, "forbidden", "join the room before sending to it", client_id);
        return;
    }
    size_t chars = utf8_count((const uint8_t *)text, len);
    if (chars == 0 || memchr(text, '\0', len)) {
        send_error(s, "bad_request", "text must not be empty", client_id);
        return;
    }
    if (chars > TEXT_MAX_CHARS || len > STORE_TEXT_MAX) {
        send_error(s, "too_long", "a message is at most 500 characters", client_id);
        return;
    }
    int64_t retry;
    if (!take_token(s, &retry)) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "type", "error", "code", "rate_limited",
                              "message", "slow down", "retry_after_ms", (json_int_t)retry);
        if (client_id)
            json_object_set_new(o, "client_id", json_string(client_id));
        send_json(s, o);
        return;
    }
    struct chat_mod mod;
    const char *why;
    enum chat_command_parse_result cmd = chat_command_parse(text, len, &mod, &why);
    if (cmd == CHAT_CMD_BAD) {
        send_error(s, "bad_request", why, client_id);
        return;
    }
    struct pending_send *p = xcalloc(1, sizeof *p);
    p->s = s;
    if (client_id) {
        snprintf(p->client_id, sizeof p->client_id, "%s", client_id);
        p->has_client_id = true;
    }
    int rc;
    s->refs++;
    if (cmd == CHAT_CMD_OK) {
        snprintf(mod.room, sizeof mod.room, "%s", room);
        mod.actor_id = s->user_id;
        snprintf(mod.actor_name, sizeof mod.actor_name, "%s", s->username);
        rc = chat_hub_moderate(s->loop, &mod, on_sent, p);
    } else {
        struct chat_send cs;
        message_of(s, room, text, len, client_id, &cs);
        rc = chat_hub_send(s->loop, &cs, on_sent, p);
    }
    if (rc != 0) {
        s->refs--;
        free(p);
        send_error(s, "unavailable", "the server is busy; try again", client_id);
    }
}

static void do_auth(struct session *s, json_t *msg)
{
    const char *token;
    struct auth_claims c;
    bool expired;
    if (!json_get_string(msg, "token", &token, NULL)) {
        send_error(s, "bad_request", "auth needs a token", NULL);
        return;
    }
    if (!authenticate(token, g_app, &c, &expired)) {
        send_error(s, "unauthorized", expired ? "the token has expired" : "invalid token", NULL);
        return;
    }
    s->user_id = c.user_id;
    snprintf(s->username, sizeof s->username, "%s", c.username);
    send_json(s, json_pack("{s:s,s:{s:I,s:s}}", "type", "authed", "user", "id",
                           (json_int_t)c.user_id, "name", c.username));
}

/* ---- the connection ---- */

static void on_text(void *user, const char *text, size_t len)
{
    struct session *s = user;
    bool malformed;
    json_t *msg = http_json_parse_object(text, len, &malformed);
    const char *type;
    if (!msg || !json_get_string(msg, "type", &type, NULL)) {
        send_error(s, "bad_request", msg ? "a message needs a type" : "not a JSON object", NULL);
        json_decref(msg);
        return;
    }
    if (strcmp(type, "send") == 0)
        do_send(s, msg);
    else if (strcmp(type, "join") == 0)
        do_join(s, msg);
    else if (strcmp(type, "leave") == 0) {
        const char *room;
        struct membership *m =
            json_get_string(msg, "room", &room, NULL) ? find_room(s, room) : NULL;
        if (!m) {
            send_error(s, "not_found", "not in that room", NULL);
        } else {
            send_json(s, json_pack("{s:s,s:s}", "type", "left", "room", room));
            leave_room(s, m);
        }
    } else if (strcmp(type, "auth") == 0)
        do_auth(s, msg);
    else if (strcmp(type, "ping") == 0)
        send_json(s, json_pack("{s:s}", "type", "pong"));
    else
        send_error(s, "bad_request", "unknown message type", NULL);
    json_decref(msg);
}

static void on_close(void *user)
{
    struct session *s = user;
    s->gone = true;
    leave_all(s);
    chat_hub_detach(s->loop, &s->lobby.sub);
    session_unref(s);
}

static const struct ws_conn_ops ws_ops = {on_text, on_close};

static void ws_handler(struct http_request *req, void *arg)
{
    struct app *app = arg;
    struct session *s = xcalloc(1, sizeof *s);
    s->refs = 1;
    s->loop = req->loop;
    s->tokens = sopt.rate_count;
    s->refill_ms = clock_wall_ms();
    /* ?token=... authenticates at connect; a bad one is refused before the
     * upgrade so the client sees why. */
    const char *q = strstr(req->query, "token=");
    if (q && (q == req->query || q[-1] == '&')) {
        char token[AUTH_JWT_MAX + 1];
        size_t n = strcspn(q + 6, "&");
        struct auth_claims c;
        bool expired;
        if (n > AUTH_JWT_MAX ||
            (memcpy(token, q + 6, n), token[n] = '\0', !authenticate(token, app, &c, &expired))) {
            free(s);
            http_respond_error(req, 401,
                               n <= AUTH_JWT_MAX && expired ? "token_expired" : "unauthorized",
                               "the token is not valid");
            return;
        }
        s->user_id = c.user_id;
        snprintf(s->username, sizeof s->username, "%s", c.username);
    }
    struct ws_conn_options wo = {.max_message = sopt.max_message,
                                 .max_queue = sopt.max_queue,
                                 .ping_ms = 25000,
                                 .idle_ms = 60000};
    s->ws = ws_conn_accept(req, &wo, &ws_ops, s);
    if (!s->ws) {
        free(s);
        return;
    }
    s->lobby.s = s;
    s->lobby.sub.deliver = deliver;
    chat_hub_attach(s->loop, &s->lobby.sub);
}

void chat_session_register(struct http_router *r, struct app *app,
                           const struct chat_session_options *opt)
{
    sopt = *opt;
    g_app = app;
    http_router_add(r, HTTP_GET, "/ws", ws_handler, app);
}
