/*
 * rules.c - who may say what in a room, and the moderators' actions.
 *
 * Runs on the chat writer thread, in the room's order of events, so a ban
 * takes effect exactly between two messages: every message stored after
 * the ban's event was checked against it. What the writer remembers per
 * user (ban state, last message for slow mode, rate bucket) lives in
 * bounded user tables (user_table.h); bans are also in the store, which
 * is the truth the tables are filled from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/hub_internal.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#define ROOM_USERS_MAX 8192   /* users a room remembers (bans, slow mode) */
#define RATE_USERS_MAX 131072 /* users the rate limiter remembers */

/* Per-user token buckets, all rooms together. Writer only. */
static struct chat_user_table rate_table;

/* ---- what may be forgotten ---- */

/* A room keeps users with a ban or timeout still running, and those whose
 * last message still holds them back in slow mode. */
static bool room_keep(const struct chat_user_state *u, void *arg)
{
    const struct chat_room *r = arg;
    int64_t now = clock_wall_ms();
    if (u->ban_until_ms == CHAT_BAN_FOREVER || u->ban_until_ms > now)
        return true;
    return r->slow_s > 0 && u->last_send_ms + (int64_t)r->slow_s * 1000 > now;
}

static double rate_per_ms(void)
{
    const struct chat_options *o = chat__options();
    return (double)o->rate_count / (double)(o->rate_window_ms ? o->rate_window_ms : 1);
}

/* A bucket that has refilled is the same as no bucket. */
static bool rate_keep(const struct chat_user_state *u, void *arg)
{
    (void)arg;
    double tokens = u->tokens + (double)(clock_wall_ms() - u->refill_ms) * rate_per_ms();
    return tokens < (double)chat__options()->rate_count;
}

void chat__rules_init(void)
{
    chat_user_table_init(&rate_table, RATE_USERS_MAX, rate_keep, NULL);
}

void chat__rules_free(void)
{
    chat_user_table_free(&rate_table);
}

void chat__room_users_init(struct chat_room *r)
{
    chat_user_table_init(&r->users, ROOM_USERS_MAX, room_keep, r);
}

/* ---- roles ---- */

static bool is_moderator(struct store_conn *c, const struct store_backend *b,
                         const struct chat_room *r, int64_t user_id)
{
    if (user_id <= 0)
        return false;
    if (user_id == r->owner_id)
        return true;
    bool mod = false;
    return r->channel_id > 0 && b->moderator_check(c, r->channel_id, user_id, &mod) == 0 && mod;
}

/* The user's ban state in r, from the table or else the store. */
static int64_t ban_until(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                         struct chat_user_state *u, int64_t now)
{
    if (u->ban_until_ms == CHAT_BAN_UNKNOWN) {
        bool banned = false;
        int64_t until = 0;
        if (b->ban_check(c, r->name, u->user_id, now, &banned, &until) != 0)
            return CHAT_BAN_UNKNOWN;
        u->ban_until_ms = !banned ? 0 : until == 0 ? CHAT_BAN_FOREVER : until;
    }
    return u->ban_until_ms;
}

/* ---- admission ---- */

static bool refuse(struct chat_result *res, int rc, const char *code, const char *message)
{
    res->rc = rc;
    res->code = code;
    res->message = message;
    return false;
}

/* Takes one token from the user's bucket, or says when one will be there. */
static bool take_token(int64_t user_id, int64_t now, int64_t *retry_ms)
{
    const struct chat_options *o = chat__options();
    if (o->rate_count == 0)
        return true;
    struct chat_user_state *u = chat_user_table_get(&rate_table, user_id);
    double rate = rate_per_ms();
    if (u->refill_ms == 0)
        u->tokens = o->rate_count;
    else
        u->tokens += (double)(now - u->refill_ms) * rate;
    if (u->tokens > o->rate_count)
        u->tokens = o->rate_count;
    u->refill_ms = now;
    if (u->tokens >= 1.0) {
        u->tokens -= 1.0;
        return true;
    }
    *retry_ms = (int64_t)((1.0 - u->tokens) / rate) + 1;
    return false;
}

bool chat__admit(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                 const struct chat_send *m, int64_t now, struct chat_result *res)
{
    /* Donations are paid for and system notices come from the server. */
    if (m->type[0] && strcmp(m->type, "message") != 0)
        return true;
    struct chat_user_state *u = chat_user_table_get(&r->users, m->user_id);
    int64_t until = ban_until(c, b, r, u, now);
    if (until == CHAT_BAN_UNKNOWN)
        return refuse(res, ONAIR_EIO, "internal", "the chat store is unavailable");
    if (until == CHAT_BAN_FOREVER) {
        res->until_ms = 0;
        return refuse(res, ONAIR_EDENIED, "banned", "you are banned from this room");
    }
    if (until > now) {
        res->until_ms = until;
        res->retry_after_ms = until - now;
        return refuse(res, ONAIR_EDENIED, "banned", "you are timed out in this room");
    }
    int64_t slow_ms = (int64_t)r->slow_s * 1000;
    if (slow_ms > 0 && u->last_send_ms + slow_ms > now && !is_moderator(c, b, r, m->user_id)) {
        res->retry_after_ms = u->last_send_ms + slow_ms - now;
        return refuse(res, ONAIR_EAGAIN, "rate_limited", "slow mode is on in this room");
    }
    int64_t retry = 0;
    if (!take_token(m->user_id, now, &retry)) {
        res->retry_after_ms = retry;
        return refuse(res, ONAIR_EAGAIN, "rate_limited", "you are sending too fast");
    }
    u->last_send_ms = now;
    return true;
}

/* ---- moderation ---- */

static void reply_seq(struct req *q, int64_t seq)
{
    chat__reply(q, &(struct chat_result){.seq = seq});
}

/* Stores and publishes a "system" notice of action about target (may be
 * NULL), then answers q with its seq. */
static void notice(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                   struct req *q, const char *action, const struct store_user *target,
                   int64_t seconds, const char *text)
{
    struct store_chat_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.type, sizeof ev.type, "system");
    snprintf(ev.action, sizeof ev.action, "%s", action);
    if (target) {
        ev.user_id = target->id;
        snprintf(ev.username, sizeof ev.username, "%s", target->username);
    }
    ev.amount = seconds;
    snprintf(ev.text, sizeof ev.text, "%s", text);
    int rc = chat__append(c, b, r, &ev);
    if (rc)
        chat__reply_err(q, rc, "internal", "the action was done but its notice was not stored");
    else
        reply_seq(q, ev.seq);
}

static void mod_delete(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                       struct req *q)
{
    const struct chat_mod *m = q->mod;
    struct store_chat_event *evs = NULL;
    size_t n = 0;
    if (m->seq <= 0 || m->seq > r->last_seq ||
        b->chat_since(c, r->name, m->seq - 1, 1, &evs, &n) != 0 || n != 1 || evs[0].seq != m->seq ||
        (strcmp(evs[0].type, "message") != 0 && strcmp(evs[0].type, "donation") != 0) ||
        evs[0].deleted) {
        free(evs);
        chat__reply_err(q, ONAIR_ENOTFOUND, "not_found", "no such message in this room");
        return;
    }
    struct store_chat_event del;
    memset(&del, 0, sizeof del);
    snprintf(del.type, sizeof del.type, "deleted");
    del.ref_seq = m->seq;
    del.user_id = m->actor_id;
    snprintf(del.username, sizeof del.username, "%s", m->actor_name);
    int rc = chat__append(c, b, r, &del);
    if (rc == 0) {
        /* Replays from memory must not bring the text back. */
        evs[0].deleted = true;
        evs[0].text[0] = '\0';
        chat__ring_replace(r, &evs[0]);
        reply_seq(q, del.seq);
    } else {
        chat__reply_err(q, rc, "internal", "the message was not deleted");
    }
    free(evs);
}

/* Timeout, ban and unban: the target must exist and be fair game. */
static bool mod_target(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                       struct req *q, struct store_user *target)
{
    const struct chat_mod *m = q->mod;
    if (b->user_by_name(c, m->target, target) != 0) {
        chat__reply_err(q, ONAIR_ENOTFOUND, "not_found", "no such user");
        return false;
    }
    if (m->action == CHAT_MOD_UNBAN)
        return true;
    if (target->id == r->owner_id) {
        chat__reply_err(q, ONAIR_EDENIED, "forbidden", "the room's owner can't be banned");
        return false;
    }
    if (m->actor_id != r->owner_id && is_moderator(c, b, r, target->id)) {
        chat__reply_err(q, ONAIR_EDENIED, "forbidden", "only the owner can ban a moderator");
        return false;
    }
    return true;
}

static void mod_ban(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                    struct req *q)
{
    const struct chat_mod *m = q->mod;
    struct store_user target;
    if (m->action == CHAT_MOD_TIMEOUT && (m->seconds < 1 || m->seconds > CHAT_TIMEOUT_MAX_S)) {
        chat__reply_err(q, ONAIR_EINVAL, "bad_request", "a timeout is 1 to 1209600 seconds");
        return;
    }
    if (!mod_target(c, b, r, q, &target))
        return;
    int64_t until = m->action == CHAT_MOD_TIMEOUT ? clock_wall_ms() + m->seconds * 1000 : 0;
    int rc = b->ban_set(c, r->name, target.id, until, m->reason[0] ? m->reason : NULL);
    if (rc) {
        chat__reply_err(q, rc, "internal", "the ban was not stored");
        return;
    }
    chat_user_table_get(&r->users, target.id)->ban_until_ms = until ? until : CHAT_BAN_FOREVER;
    char text[128];
    if (until)
        snprintf(text, sizeof text, "%s was timed out for %lld s", target.username,
                 (long long)m->seconds);
    else
        snprintf(text, sizeof text, "%s was banned", target.username);
    notice(c, b, r, q, until ? "timeout" : "ban", &target, until ? m->seconds : 0, text);
}

static void mod_unban(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                      struct req *q)
{
    struct store_user target;
    if (!mod_target(c, b, r, q, &target))
        return;
    int rc = b->ban_clear(c, r->name, target.id);
    if (rc == ONAIR_ENOTFOUND) {
        chat__reply_err(q, rc, "not_found", "that user is not banned here");
        return;
    }
    if (rc) {
        chat__reply_err(q, rc, "internal", "the ban was not lifted");
        return;
    }
    chat_user_table_get(&r->users, target.id)->ban_until_ms = 0;
    char text[128];
    snprintf(text, sizeof text, "%s was unbanned", target.username);
    notice(c, b, r, q, "unban", &target, 0, text);
}

static void mod_slow(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                     struct req *q)
{
    int64_t s = q->mod->seconds;
    if (s < 0 || s > STORE_SLOW_MAX) {
        chat__reply_err(q, ONAIR_EINVAL, "bad_request", "slow mode is 0 to 86400 seconds");
        return;
    }
    int rc = b->room_slow_set(c, r->name, (int)s);
    if (rc) {
        chat__reply_err(q, rc, "internal", "slow mode was not changed");
        return;
    }
    r->slow_s = (int)s;
    char text[96];
    if (s)
        snprintf(text, sizeof text, "slow mode: one message every %lld s", (long long)s);
    else
        snprintf(text, sizeof text, "slow mode is off");
    notice(c, b, r, q, "slow", NULL, s, text);
}

static void mod_clear(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                      struct req *q)
{
    int rc = b->chat_clear(c, r->name);
    if (rc) {
        chat__reply_err(q, rc, "internal", "the room was not cleared");
        return;
    }
    chat__ring_reload(c, b, r); /* replays now show the messages as deleted */
    notice(c, b, r, q, "clear", NULL, 0, "the chat was cleared");
}

void chat__moderate(struct store_conn *c, const struct store_backend *b, struct req *q)
{
    const struct chat_mod *m = q->mod;
    struct chat_room *r = chat__room_load(c, b, m->room);
    if (!r)
        chat__reply_err(q, ONAIR_ENOTFOUND, "not_found", "no such room");
    else if (!is_moderator(c, b, r, m->actor_id))
        chat__reply_err(q, ONAIR_EDENIED, "forbidden", "only the owner and moderators can do that");
    else if (m->action == CHAT_MOD_DELETE)
        mod_delete(c, b, r, q);
    else if (m->action == CHAT_MOD_TIMEOUT || m->action == CHAT_MOD_BAN)
        mod_ban(c, b, r, q);
    else if (m->action == CHAT_MOD_UNBAN)
        mod_unban(c, b, r, q);
    else if (m->action == CHAT_MOD_SLOW)
        mod_slow(c, b, r, q);
    else
        mod_clear(c, b, r, q);
    free(q->mod);
    free(q);
}
