/*
 * hub.h - chat rooms: sequence numbers, durable storage, fan-out, replay.
 *
 * One chat writer thread owns every room's state changes. Loops hand it
 * requests through a bounded queue; it answers by posting to the loops:
 *  - send: gives the event the room's next seq, stores a batch of events in
 *    one transaction (group commit), then acks each sender and publishes the
 *    event: its JSON is framed once as a WebSocket frame (struct bytes) and
 *    posted to each loop with subscribers of the room, which write the same
 *    bytes to all of them.
 *  - join: loads the room if needed (last seq, recent history), takes a
 *    snapshot (events after `since`, from memory or the store) and posts it
 *    to the joining loop before any later event of that room. Because one
 *    thread produces both, and posts to a loop are FIFO, a subscriber sees
 *    the replay and then the live events, gapless and without duplicates.
 *
 * Subscribers (struct chat_sub) belong to their connection's loop and are
 * touched only there. A room's memory is bounded by its history ring; a
 * room without viewers for room_idle_ms gives the ring back, and is freed
 * once nobody is subscribed to it (its state is in the store).
 */
#ifndef ONAIR_CHAT_HUB_H
#define ONAIR_CHAT_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/bytes.h"
#include "store/store.h"

struct loop;
struct loop_group;
struct store;
struct chat_room;

struct chat_options {
    unsigned ring;       /* events of recent history kept per room in memory */
    unsigned replay_max; /* `since` further back than this: reset */
    unsigned queue_max;  /* requests waiting for the writer */
    unsigned batch_max;  /* events per store transaction */
    unsigned rate_count; /* messages one user may send per rate_window_ms, all
                          * connections and rooms together; 0: no limit */
    uint64_t rate_window_ms;
    uint64_t room_idle_ms; /* a room without viewers this long is unloaded */
    unsigned
        fanout_delay_ms; /* at most one fan-out post per this many ms: events of a busy
                            room wait for later ones to share writes; a quiet room's go at once */
};

/* A connection's membership in a room; owned by the caller, on its loop. */
struct chat_sub {
    struct chat_sub *next;   /* private: in the room's list for this loop */
    struct chat_sub **pprev; /* private: what points at this one in that list */
    struct chat_room *room;  /* private */
    int64_t last_seq;        /* last event seq delivered */
    bool active;             /* private: receiving live events */
    bool counted;            /* private: counted in the room's viewers */
    /* Delivers n (1..256) buffers of framed events of the room, in order, to
     * be written together; a buffer holds one or more whole WebSocket frames
     * back to back (the callee adds its own references if it keeps them). */
    void (*deliver)(struct chat_sub *sub, struct bytes **frames, size_t n);
};

int chat_hub_start(struct store *store, struct loop_group *loops, const struct chat_options *opt);
/* Finishes queued work and stops the writer (shutdown, after the loops stopped
 * taking requests). */
void chat_hub_stop(void);
/* Frees the rooms: after the loops have stopped (loop_group_join), since a
 * connection still open at shutdown leaves its rooms when its loop closes it. */
void chat_hub_free(void);

/* Result of a join, posted back to the joining loop. */
struct chat_joined {
    int rc;     /* 0, ONAIR_ENOTFOUND (no such room), ONAIR_EDENIED (private) */
    bool reset; /* since was older than what is kept: only the newest follow */
    int64_t last_seq;
    unsigned viewers;
    struct bytes **replay; /* framed events after since, oldest first */
    size_t nreplay;
};
typedef void (*chat_join_fn)(struct chat_sub *sub, const struct chat_joined *j, void *arg);

/* Joins sub (on loop l) to room for user_id (0: anonymous). since < 0: no
 * replay. viewer: counted in the room's viewers (false for an overlay or a
 * dashboard that follows the room without watching). done runs on l, later
 * (through the writer), or before this returns when the loop can join
 * alone (a loaded public room, nothing to replay); with rc 0 the sub is
 * live from then on. */
int chat_hub_join(struct loop *l, struct chat_sub *sub, const char *room, int64_t user_id,
                  int64_t since, bool viewer, chat_join_fn done, void *arg);
/* Leaves (on its loop). Safe before the join completed. */
void chat_hub_leave(struct loop *l, struct chat_sub *sub);

struct chat_send {
    char room[STORE_ROOM_MAX + 1];
    int64_t user_id;
    char username[STORE_USERNAME_MAX + 1];
    char text[STORE_TEXT_MAX + 1];
    char client_id[STORE_KEY_MAX + 1];
    char type[16];  /* "message", "donation", "system" */
    int64_t amount; /* donations */
};

/* What became of a send or a moderation action, told on the caller's loop. */
struct chat_result {
    int rc;                 /* 0 or ONAIR_E* */
    const char *code;       /* rc != 0: the protocol's error code ("not_found",
                             * "forbidden", "banned", "rate_limited", "bad_request",
                             * "unavailable", "internal") */
    const char *message;    /* rc != 0: for people */
    int64_t seq;            /* rc == 0: the seq of the stored event */
    int64_t retry_after_ms; /* rate_limited: when a send may succeed */
    int64_t until_ms;       /* banned: end of the timeout, unix ms (0: a ban) */
};
typedef void (*chat_done_fn)(void *arg, const struct chat_result *r);

/* Stores and publishes an event. A "message" is admitted only if its
 * sender is not banned or timed out in the room, respects the room's slow
 * mode (owner and moderators are exempt) and the per-user rate limit.
 * done runs later on l once the event is durable (rc 0) or refused.
 * EAGAIN now if the writer's queue is full. */
int chat_hub_send(struct loop *l, const struct chat_send *m, chat_done_fn done, void *arg);

enum chat_mod_action {
    CHAT_MOD_DELETE,  /* seq: a message or donation */
    CHAT_MOD_TIMEOUT, /* target, seconds 1..CHAT_TIMEOUT_MAX_S */
    CHAT_MOD_BAN,     /* target */
    CHAT_MOD_UNBAN,   /* target */
    CHAT_MOD_SLOW,    /* seconds 0..STORE_SLOW_MAX (0: off) */
    CHAT_MOD_CLEAR,
};
#define CHAT_TIMEOUT_MAX_S (14 * 86400)

struct chat_mod {
    char room[STORE_ROOM_MAX + 1];
    enum chat_mod_action action;
    int64_t actor_id; /* must own the room or moderate its channel */
    char actor_name[STORE_USERNAME_MAX + 1];
    char target[STORE_USERNAME_MAX + 1];
    int64_t seq;
    int64_t seconds;
    char reason[STORE_REASON_MAX + 1];
};
/* Runs a moderation action in the room's order of events: each one adds
 * an event (a "deleted", or a "system" notice with its action) that every
 * subscriber gets and `since` replays. done gets that event's seq. Errors:
 * not_found (room, user, message, or no ban to lift), forbidden (not a
 * moderator; the owner can't be banned; only the owner bans moderators),
 * bad_request (seconds out of range). */
int chat_hub_moderate(struct loop *l, const struct chat_mod *m, chat_done_fn done, void *arg);

/* A donation, stored by the chat writer in its channel room's order:
 * batches of donations are one store transaction (donate_batch), and each
 * that goes through is published as a "donation" event of room
 * "channel:{to_name}". done runs later on l with rc 0 (the batch
 * committed: r->rc, r->replayed, r->donation and r->balance say how this
 * one went), ENOTFOUND (no such channel) or a store error (nothing moved).
 * EAGAIN now if the writer's queue is full. */
typedef void (*chat_donated_fn)(void *arg, int rc, const struct store_donate_req *r);
int chat_hub_donate(struct loop *l, const struct store_donate_req *d, chat_donated_fn done,
                    void *arg);

/* Joined connections of a room (0 if not loaded). Any thread. */
unsigned chat_hub_viewers(const char *room);

/* Every connection on loop l, joined to rooms or not, is attached once (on
 * l, no writer round trip) to receive notices meant for everyone, such as
 * room_created. Detach before freeing sub. */
void chat_hub_attach(struct loop *l, struct chat_sub *sub);
void chat_hub_detach(struct loop *l, struct chat_sub *sub);

/* Tells every attached connection that a public room opened:
 * {"type":"room_created","room":"room:17","title":"..."}. Any thread. */
void chat_hub_room_created(const char *room, const char *title);

/* Announces a channel going live/offline in its room (not stored). */
void chat_hub_live(const char *channel, bool live);

/* Renders a stored event as the protocol's JSON (for the history API). */
void chat_event_json(struct buf *out, const struct store_chat_event *ev);

void chat_hub_metrics(struct buf *out, void *arg);

#endif
