/*
 * hub_internal.h - what the chat writer's parts share (chat__ prefix):
 * hub.c (queue, writer loop, rooms, joins, fan-out, group commit) and
 * rules.c (who may send: bans, slow mode, rate limit; moderation actions).
 * Everything here runs on the writer thread unless it says otherwise.
 */
#ifndef ONAIR_CHAT_HUB_INTERNAL_H
#define ONAIR_CHAT_HUB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "chat/hub.h"
#include "chat/user_table.h"
#include "store/store.h"

#define MAX_LOOPS 64

struct ring_ev {
    int64_t seq;
    struct bytes *frame;
};

struct chat_room {
    struct chat_room *next;       /* registry list */
    struct chat_room *index_next; /* chain in the registry's name index */
    char name[STORE_ROOM_MAX + 1];
    /* Writer thread only: */
    bool loaded, exists, private_;
    int64_t room_id;              /* room:{id} rooms */
    int64_t channel_id;           /* channel:{name} rooms */
    int64_t owner_id;             /* the channel's or the room's owner */
    int slow_s;                   /* slow mode, seconds (0: off) */
    struct chat_user_table users; /* bans and last messages of this room */
    int64_t last_seq;             /* stored and published */
    int64_t assigned_seq;         /* given to an event of the batch being stored (>= last_seq) */
    struct ring_ev *ring;
    unsigned ring_head, ring_count;
    unsigned presence_sent;
    int64_t idle_since_ms; /* no viewers since (0: has viewers) */
    /* Shared: */
    atomic_uint subs_on[MAX_LOOPS]; /* live subscribers per loop */
    atomic_uint viewers;
    /* Set by the writer while the room is loaded, exists and is public: a
     * loop may then join a sub without the writer (chat_hub_join), reading
     * pub_seq, which the writer stores before it looks at subs_on. */
    atomic_bool fast_join;
    atomic_int_fast64_t pub_seq; /* last_seq, for the loops */
    /* Loop-owned: subs[i] is touched only by loop i. */
    struct chat_sub *subs[MAX_LOOPS];
    /* Freeing: loops yet to pass the room's retire post (see retire_unused). */
    atomic_uint retire_left;
};

enum req_kind { REQ_SEND, REQ_JOIN, REQ_LIVE, REQ_MOD, REQ_DONATE };

struct req {
    struct req *next;
    enum req_kind kind;
    struct loop *loop;
    struct chat_send send;
    struct chat_mod *mod;         /* REQ_MOD */
    struct store_donate_req *don; /* REQ_DONATE */
    chat_donated_fn donated;
    chat_done_fn done;
    struct chat_sub *sub;
    int64_t user_id, since;
    chat_join_fn joined;
    void *arg;
    bool live;
    bool viewer; /* REQ_JOIN: counted in the room's viewers */
    int64_t enqueued_ns;
};

const struct chat_options *chat__options(void);

/* The room, loaded (existence, owner, slow mode, last seq, recent history)
 * on first use; NULL if it does not exist or the store failed. */
struct chat_room *chat__room_load(struct store_conn *c, const struct store_backend *b,
                                  const char *name);

/* Gives ev (room r) the room's next seq, stores it alone, and publishes
 * it; ev->seq and ev->ts are set. 0 or the store's error. Only between
 * group commits (the writer flushes pending sends before other work). */
int chat__append(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                 struct store_chat_event *ev);

/* Reloads r's history ring from the store (after a clear hid messages). */
void chat__ring_reload(struct store_conn *c, const struct store_backend *b, struct chat_room *r);
/* Replaces the ring's frame of ev->seq, if it is still there, with ev's. */
void chat__ring_replace(struct chat_room *r, const struct store_chat_event *ev);

/* Posts a result to the requester's loop. */
void chat__reply(struct req *q, const struct chat_result *res);
void chat__reply_err(struct req *q, int rc, const char *code, const char *message);

/* ---- rules.c ---- */

void chat__rules_init(void);
void chat__rules_free(void);
/* Sets up a newly loaded room's user table. */
void chat__room_users_init(struct chat_room *r);
/* Whether the "message" q may be stored now (ban, slow mode, rate limit);
 * if not, fills *res. Accepting records it (slow mode, bucket). */
bool chat__admit(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                 const struct chat_send *m, int64_t now_ms, struct chat_result *res);
/* Runs a REQ_MOD request and replies. */
void chat__moderate(struct store_conn *c, const struct store_backend *b, struct req *q);

#endif
