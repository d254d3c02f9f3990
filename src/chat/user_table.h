/*
 * user_table.h - a bounded map from user id to what the chat writer
 * remembers about that user: ban state, last message time (slow mode) and
 * rate-limit bucket.
 *
 * Single-threaded (the chat writer owns every table). Open addressing with
 * linear probing; the table grows by doubling up to max_cap. When it is
 * full at max_cap, entries the caller's `keep` says are worth keeping stay
 * and the rest are forgotten; if that frees too little, everything is. So
 * what is kept here must be safe to forget: a ban is looked up again, a
 * bucket left alone has refilled, and slow mode forgets at worst one
 * user's last message.
 */
#ifndef ONAIR_CHAT_USER_TABLE_H
#define ONAIR_CHAT_USER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_BAN_UNKNOWN (-1) /* ban_until_ms: not looked up yet */
#define CHAT_BAN_FOREVER INT64_MAX

struct chat_user_state {
    int64_t user_id;      /* > 0; 0 marks an empty slot */
    int64_t ban_until_ms; /* CHAT_BAN_UNKNOWN, 0 (none), unix ms, CHAT_BAN_FOREVER */
    int64_t last_send_ms; /* last message accepted in the room, 0: none */
    double tokens;        /* rate limit bucket */
    int64_t refill_ms;    /* when tokens was last refilled, 0: never (full) */
};

typedef bool (*chat_user_keep_fn)(const struct chat_user_state *u, void *arg);

struct chat_user_table {
    struct chat_user_state *slots;
    size_t cap, count, max_cap;
    chat_user_keep_fn keep;
    void *keep_arg;
};

/* max_cap: a power of two >= 16. keep may be NULL (forget everything). */
void chat_user_table_init(struct chat_user_table *t, size_t max_cap, chat_user_keep_fn keep,
                          void *keep_arg);
void chat_user_table_free(struct chat_user_table *t);

/* The entry of user_id (> 0), added with ban_until_ms CHAT_BAN_UNKNOWN and
 * the rest 0 if absent. The pointer is valid until the next get. */
struct chat_user_state *chat_user_table_get(struct chat_user_table *t, int64_t user_id);
/* The entry, or NULL if absent (never adds). */
struct chat_user_state *chat_user_table_find(struct chat_user_table *t, int64_t user_id);

#endif
