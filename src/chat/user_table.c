/*
 * user_table.c - see user_table.h.
 */
#include "chat/user_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define MIN_CAP 16

static size_t slot_of(const struct chat_user_table *t, int64_t user_id)
{
    /* Fibonacci hashing: ids are sequential, the high bits spread them. */
    uint64_t h = (uint64_t)user_id * 11400714819323198485ull;
    return (size_t)(h >> 32) & (t->cap - 1);
}

void chat_user_table_init(struct chat_user_table *t, size_t max_cap, chat_user_keep_fn keep,
                          void *keep_arg)
{
    memset(t, 0, sizeof *t);
    t->max_cap = max_cap < MIN_CAP ? MIN_CAP : max_cap;
    t->keep = keep;
    t->keep_arg = keep_arg;
}

void chat_user_table_free(struct chat_user_table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

static void insert_slot(struct chat_user_table *t, const struct chat_user_state *u)
{
    size_t i = slot_of(t, u->user_id);
    while (t->slots[i].user_id != 0)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = *u;
    t->count++;
}

/* Moves the entries that pass `keep` (all of them if keep_all) into a
 * table of new_cap slots. */
static void rebuild(struct chat_user_table *t, size_t new_cap, bool keep_all)
{
    struct chat_user_state *old = t->slots;
    size_t old_cap = t->cap;
    t->slots = xcalloc(new_cap, sizeof *t->slots);
    t->cap = new_cap;
    t->count = 0;
    for (size_t i = 0; i < old_cap; i++) {
        const struct chat_user_state *u = &old[i];
        if (u->user_id != 0 && (keep_all || (t->keep && t->keep(u, t->keep_arg))))
            insert_slot(t, u);
    }
    free(old);
}

/* Makes room for one more entry, keeping the load at most 3/4. */
static void make_room(struct chat_user_table *t)
{
    if (t->cap == 0) {
        rebuild(t, MIN_CAP, true);
        return;
    }
    if ((t->count + 1) * 4 <= t->cap * 3)
        return;
    if (t->cap < t->max_cap) {
        rebuild(t, t->cap * 2, true);
        return;
    }
    rebuild(t, t->cap, false);
    if ((t->count + 1) * 2 > t->cap) { /* most are worth keeping: forget all */
        memset(t->slots, 0, t->cap * sizeof *t->slots);
        t->count = 0;
    }
}

struct chat_user_state *chat_user_table_find(struct chat_user_table *t, int64_t user_id)
{
    if (t->cap == 0 || user_id <= 0)
        return NULL;
    for (size_t i = slot_of(t, user_id);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].user_id == user_id)
            return &t->slots[i];
        if (t->slots[i].user_id == 0)
            return NULL;
    }
}

struct chat_user_state *chat_user_table_get(struct chat_user_table *t, int64_t user_id)
{
    struct chat_user_state *u = chat_user_table_find(t, user_id);
    if (u)
        return u;
    make_room(t);
    struct chat_user_state fresh = {.user_id = user_id, .ban_until_ms = CHAT_BAN_UNKNOWN};
    insert_slot(t, &fresh);
    return chat_user_table_find(t, user_id);
}
