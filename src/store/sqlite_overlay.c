/*
 * sqlite_overlay.c - the overlay keys of channels on SQLite (issue 6). The
 * contract is in store.h ("overlays"); the helpers and conventions in
 * sqlite_internal.h.
 *
 * A channel has at most one overlay key (its row in overlay_keys). Unlike a
 * stream key it only lets a page read what any viewer may read (the
 * channel's chat and donations) and must be shown to its owner again, so it
 * is kept as it is; the API compares a presented key in constant time.
 */
#include <string.h>

#include "core/err.h"
#include "store/sqlite_internal.h"

/* Statement slots 48..63 of sqlite_internal.h's SQLITE_EXTRA_STMTS. */
#define OVERLAY_SLOT_BASE 48

enum overlay_stmt { O_GET, O_INSERT, O_SET, O__COUNT };

static const char *const overlay_sql[O__COUNT] = {
    [O_GET] = "SELECT key FROM overlay_keys WHERE channel_id = ?1",
    /* The first key wins: a second first request keeps it. A clash on `key`
     * itself is not the conflict target, so it still fails (ECONFLICT). */
    [O_INSERT] = "INSERT INTO overlay_keys (channel_id, key, created_at) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (channel_id) DO NOTHING",
    [O_SET] = "INSERT INTO overlay_keys (channel_id, key, created_at) VALUES (?1, ?2, ?3)"
              " ON CONFLICT (channel_id) DO UPDATE SET key = excluded.key,"
              " created_at = excluded.created_at",
};

_Static_assert(OVERLAY_SLOT_BASE + O__COUNT <= SQLITE_EXTRA_STMTS, "overlay statement slots");

static sqlite3_stmt *prep(struct store_conn *c, enum overlay_stmt id, const char *op)
{
    return sqlite__prep_sql(c, OVERLAY_SLOT_BASE + (unsigned)id, overlay_sql[id], op);
}

int sqlite__overlay_key_get(struct store_conn *c, int64_t channel_id, char *key_out)
{
    const char *op = "overlay_key_get";
    key_out[0] = '\0';
    sqlite3_stmt *s = prep(c, O_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, channel_id, &rc);
    return sqlite__read_one(c, s, rc, sqlite__read_key, key_out, op);
}

/* Runs O_INSERT or O_SET for (channel_id, key, now). */
static int write_key(struct store_conn *c, enum overlay_stmt id, int64_t channel_id,
                     const char *key, int64_t now, const char *op)
{
    if (!sqlite__text_fits(key, STORE_KEY_MAX, false))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, id, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, channel_id, &rc);
    sqlite__bind_text(s, 2, key, &rc);
    sqlite__bind_i64(s, 3, now, &rc);
    return sqlite__write_one(c, s, rc, op);
}

int sqlite__overlay_key_ensure(struct store_conn *c, int64_t channel_id, const char *key,
                               int64_t now, char *key_out)
{
    key_out[0] = '\0';
    int err = write_key(c, O_INSERT, channel_id, key, now, "overlay_key_ensure");
    /* Whichever key the channel holds now: ours, or the one it had. */
    return err ? err : sqlite__overlay_key_get(c, channel_id, key_out);
}

int sqlite__overlay_key_set(struct store_conn *c, int64_t channel_id, const char *key, int64_t now)
{
    return write_key(c, O_SET, channel_id, key, now, "overlay_key_set");
}
