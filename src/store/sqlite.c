/*
 * sqlite.c - the SQLite implementation of struct store_backend (store.h).
 *
 * One struct store_conn wraps one sqlite3 handle opened with
 * SQLITE_OPEN_NOMUTEX: the store gives each thread its own connection, so
 * SQLite's own per-connection mutex would only cost time.
 *
 * Durability: WAL with synchronous=FULL, so a write whose call returned 0 has
 * been fsync'd to the WAL and survives kill -9 and power loss.
 *
 * Statements: every SQL text the backend runs is in stmt_sql[] below, with
 * `?` parameters only; values are always bound, never spliced into SQL.
 * Each is prepared on first use and kept for the connection's life.
 * Invariant: every operation resets and clears the statements it used before
 * it returns, so no statement keeps a read snapshot open (which would pin the
 * WAL and stop checkpoints) or points at the caller's memory (we bind with
 * SQLITE_STATIC). prep() asserts this.
 *
 * Transactions: a write touching more than one row runs inside
 * BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the write lock up front, so a
 * writer on another connection waits out the busy timeout instead of failing
 * at once with a deadlock SQLITE_BUSY, which a read-then-write deferred
 * transaction gets in WAL mode. Single-statement writes run in autocommit
 * mode, which also takes the write lock at the start of the statement.
 *
 * Errors: expected outcomes (no row, name taken, wrong owner, token reuse)
 * come back as their ONAIR_E* codes without an error line (reuse gets a
 * warning: it may be a stolen token); anything else,
 * including SQLITE_BUSY once the timeout has passed, is ONAIR_EIO with one
 * log_err line naming the operation and sqlite3_errmsg(). Bound values are
 * never logged: some are secrets, and sqlite3_errmsg() never contains them.
 */
#include "store/store.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_migrations.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SUBSYS "store"

/* Columns every channel query selects, in the order read_channel() reads. */
#define CHANNEL_COLS "id, owner_id, name, title, live, started_at"
#define USER_COLS "id, username, password_hash, created_at"
/* Columns every chat event query selects, in the order event_from_row()
 * reads; the id comes first. */
#define EVENT_COLS                                                                                 \
    "id, room, seq, type, user_id, username, text, amount, ts, ref_seq, client_id, deleted, "      \
    "action"
#define EVENT_COLS_E                                                                               \
    "e.id, e.room, e.seq, e.type, e.user_id, e.username, e.text, e.amount, e.ts, e.ref_seq,"       \
    " e.client_id, e.deleted, e.action"
#define ROOM_COLS "id, title, private, owner_id, created_at"
/* Event types whose text is user-written: searchable, deletable, cleared. */
#define TEXT_TYPES "('message', 'donation')"

enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_USER_VERSION,
    S_USER_INSERT,
    S_USER_BY_NAME,
    S_USER_BY_ID,
    S_CHANNEL_INSERT,
    S_CHANNEL_BY_NAME,
    S_CHANNEL_BY_OWNER,
    S_CHANNEL_BY_KEY_HASH,
    S_CHANNEL_LIST,
    S_CHANNEL_SET_TITLE,
    S_CHANNEL_OWNER_BY_NAME,
    S_CHANNEL_SET_LIVE,
    S_CHANNELS_RESET_LIVE,
    S_KEY_GET,
    S_KEY_SET,
    S_REFRESH_INSERT,
    S_REFRESH_GET,
    S_REFRESH_SPEND,
    S_REFRESH_FAMILY_BY_HASH,
    S_REFRESH_REVOKE_FAMILY,
    S_REFRESH_REVOKED_SINCE,
    /* chat */
    S_CHAT_INSERT,
    S_CHAT_FTS_INDEX,
    S_CHAT_MARK_DELETED,
    S_CHAT_LAST_SEQ,
    S_CHAT_SINCE,
    S_CHAT_HISTORY,
    S_CHAT_SEARCH,
    S_CHAT_MAX_ID,
    S_CHAT_SEQ_OF_ID,
    S_CHAT_SEQ_BEFORE_ID,
    S_CHAT_SHORT_ALL,
    S_CHAT_SHORT_ROOM,
    S_CHAT_VOCAB,
    S_CHAT_ROOM_TAG,
    S_CHAT_CLEARED_GET,
    S_CHAT_CLEAR_RANGE,
    S_CHAT_CLEARED_SET,
    S_ROOM_INSERT,
    S_ROOM_MEMBER_INSERT,
    S_ROOM_GET,
    S_ROOM_IS_MEMBER,
    S_ROOM_LIST,
    S_MOD_ADD,
    S_MOD_REMOVE,
    S_MOD_CHECK,
    S_MOD_LIST,
    S_BAN_SET,
    S_BAN_CLEAR,
    S_BAN_GET,
    S_SLOW_SET,
    S_SLOW_GET,
    S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_USER_VERSION] = "PRAGMA user_version",
    [S_USER_INSERT] = "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)",
    [S_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?1",
    [S_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [S_CHANNEL_INSERT] = "INSERT INTO channels (owner_id, name, title, stream_key, stream_key_hash,"
                         " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_CHANNEL_BY_NAME] = "SELECT " CHANNEL_COLS " FROM channels WHERE name = ?1",
    [S_CHANNEL_BY_OWNER] = "SELECT " CHANNEL_COLS " FROM channels WHERE owner_id = ?1",
    [S_CHANNEL_BY_KEY_HASH] = "SELECT " CHANNEL_COLS " FROM channels WHERE stream_key_hash = ?1",
    /* Live first, newest start first among them; offline ones by name.
     * The CASE keeps a stale started_at on an offline row out of the order. */
    [S_CHANNEL_LIST] = "SELECT " CHANNEL_COLS " FROM channels ORDER BY live DESC,"
                       " CASE WHEN live THEN started_at ELSE 0 END DESC, name ASC",
    [S_CHANNEL_SET_TITLE] = "UPDATE channels SET title = ?1 WHERE name = ?2 AND owner_id = ?3",
    [S_CHANNEL_OWNER_BY_NAME] = "SELECT owner_id FROM channels WHERE name = ?1",
    [S_CHANNEL_SET_LIVE] = "UPDATE channels SET live = ?1, started_at = ?2 WHERE id = ?3",
    [S_CHANNELS_RESET_LIVE] = "UPDATE channels SET live = 0, started_at = 0 WHERE live <> 0",
    [S_KEY_GET] = "SELECT stream_key FROM channels WHERE owner_id = ?1",
    [S_KEY_SET] = "UPDATE channels SET stream_key = ?1, stream_key_hash = ?2 WHERE owner_id = ?3",
    [S_REFRESH_INSERT] =
        "INSERT INTO refresh_tokens (hash, family, user_id, expires_at, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    /* The last column is "this token can no longer be spent": it was spent,
     * it was revoked, or any token of its family was revoked (a token stored
     * into a family after the family was revoked is revoked too). */
    [S_REFRESH_GET] = "SELECT t.family, t.user_id, t.expires_at,"
                      " t.used_at IS NOT NULL OR t.revoked_at IS NOT NULL OR EXISTS ("
                      "SELECT 1 FROM refresh_tokens f WHERE f.family = t.family"
                      " AND f.revoked_at IS NOT NULL)"
                      " FROM refresh_tokens t WHERE t.hash = ?1",
    [S_REFRESH_SPEND] = "UPDATE refresh_tokens SET used_at = ?1"
                        " WHERE hash = ?2 AND used_at IS NULL AND revoked_at IS NULL",
    [S_REFRESH_FAMILY_BY_HASH] = "SELECT family FROM refresh_tokens WHERE hash = ?1",
    [S_REFRESH_REVOKE_FAMILY] = "UPDATE refresh_tokens SET revoked_at = ?1"
                                " WHERE family = ?2 AND revoked_at IS NULL",
    /* Without statistics the planner prefers walking the family index to
     * skip the DISTINCT sort, which reads every token ever issued. INDEXED BY
     * pins the small partial index of revoked tokens (and makes prepare fail
     * loudly if the index ever stops being usable). */
    [S_REFRESH_REVOKED_SINCE] = "SELECT DISTINCT family FROM refresh_tokens"
                                " INDEXED BY refresh_tokens_revoked"
                                " WHERE revoked_at >= ?1 ORDER BY family",

    /* ---- chat ---- */
    [S_CHAT_INSERT] = "INSERT INTO chat_events (room, seq, type, user_id, username, text, amount,"
                      " ts, ref_seq, client_id, action)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /* Indexes a transaction's new rows at once (chat_fts_content says
     * which are searchable): one FTS5 flush per batch, not one per row. */
    [S_CHAT_FTS_INDEX] = "INSERT INTO chat_fts (rowid, text, tag)"
                         " SELECT id, text, tag FROM chat_fts_content WHERE id BETWEEN ?1 AND ?2",
    [S_CHAT_MARK_DELETED] = "UPDATE chat_events SET deleted = 1 WHERE room = ?1 AND seq = ?2"
                            " AND deleted = 0 AND type IN " TEXT_TYPES,
    [S_CHAT_LAST_SEQ] = "SELECT max(seq) FROM chat_events WHERE room = ?1",
    [S_CHAT_SINCE] = "SELECT " EVENT_COLS " FROM chat_events WHERE room = ?1 AND seq > ?2"
                     " ORDER BY seq LIMIT ?3",
    [S_CHAT_HISTORY] = "SELECT " EVENT_COLS " FROM chat_events WHERE room = ?1 AND seq < ?2"
                       " ORDER BY seq DESC LIMIT ?3",
    /* The FTS index drives: it yields rowids newest first below the cursor,
     * so there is no sort and a page stops after `limit` rows. The room
     * itself is matched inside the index (its tag, see search_index); the
     * room and deleted tests here are a second line of defence. */
    [S_CHAT_SEARCH] = "SELECT " EVENT_COLS_E " FROM chat_fts JOIN chat_events e"
                      " ON e.id = chat_fts.rowid WHERE chat_fts MATCH ?1 AND chat_fts.rowid < ?2"
                      " AND (?3 IS NULL OR e.room = ?3) AND e.deleted = 0"
                      " ORDER BY chat_fts.rowid DESC LIMIT ?4",
    [S_CHAT_MAX_ID] = "SELECT max(id) FROM chat_events",
    [S_CHAT_SEQ_OF_ID] = "SELECT seq FROM chat_events WHERE id = ?1 AND room = ?2",
    [S_CHAT_SEQ_BEFORE_ID] = "SELECT seq FROM chat_events WHERE room = ?1 AND id < ?2"
                             " ORDER BY seq DESC LIMIT 1",
    /* Short queries: a LIKE over a bounded window of the newest rows, by id
     * for all rooms and by seq (the same order, see chat_events_seq_grows)
     * inside one room. */
    [S_CHAT_SHORT_ALL] = "SELECT " EVENT_COLS " FROM chat_events WHERE id > ?2 AND id <= ?3"
                         " AND type IN " TEXT_TYPES " AND deleted = 0"
                         " AND text LIKE ?1 ESCAPE '\\' ORDER BY id DESC LIMIT ?4",
    [S_CHAT_SHORT_ROOM] = "SELECT " EVENT_COLS " FROM chat_events WHERE room = ?5"
                          " AND seq > ?2 AND seq <= ?3 AND type IN " TEXT_TYPES
                          " AND deleted = 0 AND text LIKE ?1 ESCAPE '\\'"
                          " ORDER BY seq DESC LIMIT ?4",
    /* The indexed trigrams in [?1, ?2]: those that start with a 1-2
     * character query when ?2 is the query followed by U+10FFFF. */
    [S_CHAT_VOCAB] = "SELECT term FROM chat_fts_vocab WHERE term >= ?1 AND term <= ?2 LIMIT ?3",
    [S_CHAT_ROOM_TAG] = "SELECT id FROM chat_room_tags WHERE room = ?1",
    [S_CHAT_CLEARED_GET] = "SELECT cleared_seq FROM room_settings WHERE room = ?1",
    [S_CHAT_CLEAR_RANGE] = "UPDATE chat_events SET deleted = 1 WHERE room = ?1 AND seq > ?2"
                           " AND seq <= ?3 AND deleted = 0 AND type IN " TEXT_TYPES,
    [S_CHAT_CLEARED_SET] = "INSERT INTO room_settings (room, cleared_seq) VALUES (?1, ?2)"
                           " ON CONFLICT (room) DO UPDATE SET"
                           " cleared_seq = max(cleared_seq, excluded.cleared_seq)",
    [S_ROOM_INSERT] = "INSERT INTO chat_rooms (title, private, owner_id, created_at)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [S_ROOM_MEMBER_INSERT] = "INSERT INTO chat_room_members (room_id, user_id) VALUES (?1, ?2)"
                             " ON CONFLICT DO NOTHING",
    [S_ROOM_GET] = "SELECT " ROOM_COLS " FROM chat_rooms WHERE id = ?1",
    [S_ROOM_IS_MEMBER] = "SELECT 1 FROM chat_room_members WHERE room_id = ?1 AND user_id = ?2",
    [S_ROOM_LIST] = "SELECT " ROOM_COLS " FROM chat_rooms r WHERE r.private = 0 OR EXISTS ("
                    "SELECT 1 FROM chat_room_members m WHERE m.room_id = r.id"
                    " AND m.user_id = ?1) ORDER BY r.id DESC LIMIT ?2",
    [S_MOD_ADD] = "INSERT INTO channel_moderators (channel_id, user_id) VALUES (?1, ?2)"
                  " ON CONFLICT DO NOTHING",
    [S_MOD_REMOVE] = "DELETE FROM channel_moderators WHERE channel_id = ?1 AND user_id = ?2",
    [S_MOD_CHECK] = "SELECT 1 FROM channel_moderators WHERE channel_id = ?1 AND user_id = ?2",
    /* USER_COLS order, without the password hash. */
    [S_MOD_LIST] = "SELECT u.id, u.username, '', u.created_at FROM channel_moderators m"
                   " JOIN users u ON u.id = m.user_id WHERE m.channel_id = ?1"
                   " ORDER BY u.username",
    [S_BAN_SET] = "INSERT INTO room_bans (room, user_id, until_ms, reason) VALUES (?1, ?2, ?3, ?4)"
                  " ON CONFLICT (room, user_id) DO UPDATE SET until_ms = excluded.until_ms,"
                  " reason = excluded.reason",
    [S_BAN_CLEAR] = "DELETE FROM room_bans WHERE room = ?1 AND user_id = ?2",
    [S_BAN_GET] = "SELECT until_ms FROM room_bans WHERE room = ?1 AND user_id = ?2",
    [S_SLOW_SET] = "INSERT INTO room_settings (room, slow_seconds) VALUES (?1, ?2)"
                   " ON CONFLICT (room) DO UPDATE SET slow_seconds = excluded.slow_seconds",
    [S_SLOW_GET] = "SELECT slow_seconds FROM room_settings WHERE room = ?1",
};

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[S__COUNT];            /* NULL until first used */
    sqlite3_stmt *extra[SQLITE_EXTRA_STMTS]; /* the other files' (sqlite_internal.h) */
    int search_budget_ms;
    /* chat_events rows inserted by the open transaction and not yet in
     * chat_fts: ids fts_from..fts_to (fts_from 0: none). Indexed before
     * the commit, or before a row could be unindexed. */
    int64_t fts_from, fts_to;
};

/* ---- errors ---- */

/* Logs a failure of `op` with SQLite's own message and returns ONAIR_EIO.
 * rc is the code the failing call returned (sqlite3_errmsg may describe a
 * later call if something ran in between, so it is logged too). */
int sqlite__fail(struct store_conn *c, int rc, const char *op)
{
    if (rc == SQLITE_INTERRUPT) {
        /* A query stopped by its work budget (search): the caller's answer. */
        log_debug(SUBSYS, "query over its time budget", "backend=sqlite op=%s", op);
        return ONAIR_ETOOBIG;
    }
    char q[256];
    log_err(SUBSYS, "sqlite call failed", "backend=sqlite op=%s rc=%d err=%s", op, rc,
            log_quote(q, sizeof q, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
    return ONAIR_EIO;
}

bool sqlite__is_unique_violation(int rc)
{
    return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* A caller-supplied string that must fit a result field of max bytes (plus
 * NUL). Checked before writing so that every stored value can be read back
 * into its fixed-size field. */
bool sqlite__text_fits(const char *s, size_t max, bool may_be_empty)
{
    if (!s)
        return false;
    size_t n = strnlen(s, max + 1);
    return n <= max && (may_be_empty || n > 0);
}

/* ---- statements ---- */

/* The prepared statement for id, preparing it on first use; NULL (logged)
 * if it can't be prepared, e.g. before migrate() created the tables. */
static sqlite3_stmt *prep(struct store_conn *c, enum stmt_id id, const char *op)
{
    assert(id < S__COUNT && stmt_sql[id]);
    if (!c->stmt[id]) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            sqlite__fail(c, rc, op);
            sqlite3_finalize(c->stmt[id]);
            c->stmt[id] = NULL;
            return NULL;
        }
    }
    /* Every user resets its statement before returning (see the top). */
    assert(!sqlite3_stmt_busy(c->stmt[id]));
    return c->stmt[id];
}

sqlite3_stmt *sqlite__prep_sql(struct store_conn *c, unsigned slot, const char *sql, const char *op)
{
    assert(slot < SQLITE_EXTRA_STMTS);
    if (!c->extra[slot]) {
        int rc =
            sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->extra[slot], NULL);
        if (rc != SQLITE_OK) {
            sqlite__fail(c, rc, op);
            sqlite3_finalize(c->extra[slot]);
            c->extra[slot] = NULL;
            return NULL;
        }
    }
    assert(!sqlite3_stmt_busy(c->extra[slot]));
    return c->extra[slot];
}

sqlite3 *sqlite__db(struct store_conn *c)
{
    return c->db;
}

int64_t sqlite__changes(struct store_conn *c)
{
    return sqlite3_changes64(c->db);
}

/* Ends one use of a statement: no open read snapshot, no borrowed pointers. */
void sqlite__done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Bind helpers keep the first failure in *rc and skip the rest, so a run of
 * binds is checked once. Strings are SQLITE_STATIC: sqlite__done() clears them
 * before the caller's memory can go away. */
void sqlite__bind_text(sqlite3_stmt *s, int i, const char *v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

void sqlite__bind_i64(sqlite3_stmt *s, int i, int64_t v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static void bind_hash(sqlite3_stmt *s, int i, const uint8_t *h, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_blob(s, i, h, STORE_HASH_LEN, SQLITE_STATIC);
}

/* Copies a TEXT column into a fixed field of cap bytes (NUL included).
 * A value that does not fit is EIO: the database holds something this
 * binary never writes, and truncating it (a username, a key) would be worse
 * than failing. */
int sqlite__col_text(struct store_conn *c, sqlite3_stmt *s, int col, char *dst, size_t cap,
                     const char *op)
{
    assert(cap > 0);
    const unsigned char *t = sqlite3_column_text(s, col);
    if (!t) {
        /* NULL in a NOT NULL column, or out of memory converting it. */
        int rc = sqlite3_errcode(c->db);
        if (rc == SQLITE_NOMEM)
            return sqlite__fail(c, rc, op);
        log_err(SUBSYS, "unexpected NULL in database", "backend=sqlite op=%s column=%s", op,
                sqlite3_column_name(s, col));
        return ONAIR_EIO;
    }
    int n = sqlite3_column_bytes(s, col);
    if (n < 0 || (size_t)n >= cap) {
        log_err(SUBSYS, "stored value longer than its field",
                "backend=sqlite op=%s column=%s len=%d max=%zu", op, sqlite3_column_name(s, col), n,
                cap - 1);
        return ONAIR_EIO;
    }
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    return 0;
}

/* Steps a statement that returns no rows (INSERT/UPDATE/BEGIN...) and
 * returns the SQLite code: SQLITE_DONE on success. Does not reset. */
int sqlite__run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    /* A write never yields rows here; a row would mean a wrong stmt_sql. */
    assert(rc != SQLITE_ROW);
    return rc;
}

/* ---- transactions ---- */

int sqlite__tx_begin(struct store_conn *c, const char *op)
{
    c->fts_from = c->fts_to = 0;
    sqlite3_stmt *s = prep(c, S_BEGIN, op);
    if (!s)
        return ONAIR_EIO;
    int rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

void sqlite__tx_rollback(struct store_conn *c, const char *op)
{
    /* Some errors (BUSY, IOERR, FULL, NOMEM) already rolled back for us. */
    if (sqlite3_get_autocommit(c->db))
        return;
    sqlite3_stmt *s = prep(c, S_ROLLBACK, op);
    if (!s)
        return;
    int rc = sqlite__run(s);
    if (rc != SQLITE_DONE)
        sqlite__fail(c, rc, op);
    sqlite__done(s);
}

/* Puts the transaction's new chat rows into the search index. */
static int fts_index_pending(struct store_conn *c, const char *op)
{
    if (c->fts_from == 0)
        return 0;
    sqlite3_stmt *s = prep(c, S_CHAT_FTS_INDEX, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, c->fts_from, &rc);
    sqlite__bind_i64(s, 2, c->fts_to, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (!err)
        c->fts_from = c->fts_to = 0;
    return err;
}

/* Commits, or rolls back if the commit fails. Returns 0 or EIO. */
int sqlite__tx_commit(struct store_conn *c, const char *op)
{
    int err = fts_index_pending(c, op);
    if (err) {
        sqlite__tx_rollback(c, op);
        return err;
    }
    sqlite3_stmt *s = prep(c, S_COMMIT, op);
    if (!s) {
        sqlite__tx_rollback(c, op);
        return ONAIR_EIO;
    }
    int rc = sqlite__run(s);
    err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        sqlite__tx_rollback(c, op);
    return err;
}

/* ---- row readers (statement positioned by the caller's binds) ---- */

/* Steps s once: a row fills *out, no row is ENOTFOUND. Does not reset. */
static int read_user(struct store_conn *c, sqlite3_stmt *s, struct store_user *out, const char *op)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return ONAIR_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return sqlite__fail(c, rc, op);
    struct store_user u = {0};
    u.id = sqlite3_column_int64(s, 0);
    int err = sqlite__col_text(c, s, 1, u.username, sizeof u.username, op);
    if (!err)
        err = sqlite__col_text(c, s, 2, u.password_hash, sizeof u.password_hash, op);
    u.created_at = sqlite3_column_int64(s, 3);
    if (!err)
        *out = u;
    return err;
}

/* Fills *out from the current row of a CHANNEL_COLS statement. */
static int channel_from_row(struct store_conn *c, sqlite3_stmt *s, struct store_channel *out,
                            const char *op)
{
    struct store_channel ch = {0};
    ch.id = sqlite3_column_int64(s, 0);
    ch.owner_id = sqlite3_column_int64(s, 1);
    int err = sqlite__col_text(c, s, 2, ch.name, sizeof ch.name, op);
    if (!err)
        err = sqlite__col_text(c, s, 3, ch.title, sizeof ch.title, op);
    ch.live = sqlite3_column_int(s, 4) != 0;
    ch.started_at = sqlite3_column_int64(s, 5);
    if (!err)
        *out = ch;
    return err;
}

static int read_channel(struct store_conn *c, sqlite3_stmt *s, struct store_channel *out,
                        const char *op)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return ONAIR_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return sqlite__fail(c, rc, op);
    return channel_from_row(c, s, out, op);
}

/* ---- open / migrate / close ---- */

/* mkdir -p with mode 0700 for every directory it creates. Existing
 * directories are left as they are. */
static int make_dirs(const char *dir)
{
    char path[PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path)
        return ONAIR_EINVAL;
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            /* Some systems answer EACCES or EROFS for a directory that
             * exists; only a missing one we could not make is an error. */
            int e = errno;
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                char q[PATH_MAX + 8];
                log_err(SUBSYS, "cannot create data directory", "backend=sqlite path=%s err=%s",
                        log_quote(q, sizeof q, path), strerror(e));
                return ONAIR_EIO;
            }
        }
        path[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char q[PATH_MAX + 8];
        log_err(SUBSYS, "data directory is not a directory", "backend=sqlite path=%s",
                log_quote(q, sizeof q, dir));
        return ONAIR_EIO;
    }
    return 0;
}

/* Runs a constant PRAGMA that answers one row and copies its first column
 * as text into out (truncated to fit: the answers compared are short words
 * like "wal"). One-off, so not cached. Returns the SQLite code: SQLITE_ROW
 * when out was filled. */
static int pragma_text(struct store_conn *c, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(s);
    return rc;
}

/* Puts the database in WAL mode (a property of the file, so this is a
 * no-op once any connection did it). The first switch on a brand-new file
 * writes its header under an exclusive lock, and a second opener racing it
 * gets SQLITE_BUSY at once: SQLite does not call the busy handler on that
 * path. So we retry for as long as the busy timeout allows. */
static int enable_wal(struct store_conn *c, int timeout_ms)
{
    enum { STEP_MS = 5 };
    char mode[16];
    int rc;
    for (int waited = 0;; waited += STEP_MS) {
        rc = pragma_text(c, "PRAGMA journal_mode = WAL", mode, sizeof mode);
        if (rc == SQLITE_ROW)
            break;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
            return sqlite__fail(c, rc, "open");
        sqlite3_sleep(STEP_MS);
    }
    if (strcmp(mode, "wal") != 0) {
        log_err(SUBSYS, "cannot switch to WAL", "backend=sqlite journal_mode=%s", mode);
        return ONAIR_EIO;
    }
    return 0;
}

static void conn_close(struct store_conn *c);

static int conn_open(const struct store_options *opt, struct store_conn **out)
{
    if (!out)
        return ONAIR_EINVAL;
    *out = NULL;
    if (!opt || !opt->data_dir || !opt->data_dir[0] || opt->busy_timeout_ms < 0)
        return ONAIR_EINVAL;
    /* NOMUTEX still needs a library built thread-safe: connections on
     * different threads share SQLite's global state. */
    if (!sqlite3_threadsafe()) {
        log_err(SUBSYS, "libsqlite3 was built without thread support", "backend=sqlite");
        return ONAIR_EIO;
    }
    int err = make_dirs(opt->data_dir);
    if (err)
        return err;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/onair.db", opt->data_dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return ONAIR_EINVAL;

    struct store_conn *c = xcalloc(1, sizeof *c);
    int rc = sqlite3_open_v2(
        path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        char q[PATH_MAX + 8], e[256];
        log_err(SUBSYS, "cannot open database", "backend=sqlite path=%s err=%s",
                log_quote(q, sizeof q, path),
                log_quote(e, sizeof e, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
        err = ONAIR_EIO;
        goto close;
    }
    sqlite3_extended_result_codes(c->db, 1); /* to tell UNIQUE from FOREIGNKEY */
    /* Before anything touches the file, so that every lock we take waits
     * for other connections (see enable_wal for the one that doesn't). */
    sqlite3_busy_timeout(c->db, opt->busy_timeout_ms);
    c->search_budget_ms =
        opt->search_budget_ms > 0 ? opt->search_budget_ms : STORE_SEARCH_BUDGET_MS;
    /* Defensive mode forbids the SQL that can corrupt a database file
     * (writable_schema and the like); we never need it. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

    rc = sqlite3_exec(c->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
        err = sqlite__fail(c, rc, "open");
        goto close;
    }
    if ((err = enable_wal(c, opt->busy_timeout_ms)))
        goto close;
    /* These two are silently ignored if unsupported, so read them back:
     * without them the durability and integrity promises do not hold. */
    char v[16];
    if ((rc = pragma_text(c, "PRAGMA foreign_keys", v, sizeof v)) != SQLITE_ROW) {
        err = sqlite__fail(c, rc, "open");
        goto close;
    }
    if (strcmp(v, "1") != 0) {
        log_err(SUBSYS, "foreign keys unsupported", "backend=sqlite");
        err = ONAIR_EIO;
        goto close;
    }
    if ((rc = pragma_text(c, "PRAGMA synchronous", v, sizeof v)) != SQLITE_ROW) {
        err = sqlite__fail(c, rc, "open");
        goto close;
    }
    if (strcmp(v, "2") != 0) { /* 2 = FULL */
        log_err(SUBSYS, "cannot set synchronous=FULL", "backend=sqlite synchronous=%s", v);
        err = ONAIR_EIO;
        goto close;
    }
    *out = c;
    return 0;

close:
    conn_close(c);
    return err;
}

static void conn_close(struct store_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < S__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    for (int i = 0; i < SQLITE_EXTRA_STMTS; i++)
        sqlite3_finalize(c->extra[i]);
    if (c->db) {
        int rc = sqlite3_close(c->db);
        /* BUSY here means a statement escaped stmt[]: a bug, not I/O. */
        assert(rc == SQLITE_OK);
        if (rc != SQLITE_OK)
            sqlite__fail(c, rc, "close");
    }
    free(c);
}

static int read_version(struct store_conn *c, int64_t *version)
{
    sqlite3_stmt *s = prep(c, S_USER_VERSION, "migrate");
    if (!s)
        return ONAIR_EIO;
    int rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int64(s, 0);
    else
        err = sqlite__fail(c, rc, "migrate");
    sqlite__done(s);
    return err;
}

static int too_new(int64_t version)
{
    log_err(SUBSYS, "database schema is newer than this binary",
            "backend=sqlite version=%lld known=%u", (long long)version,
            store__sqlite_migration_count);
    return ONAIR_EIO;
}

static int conn_migrate(struct store_conn *c)
{
    assert(c);
    const int64_t known = store__sqlite_migration_count;
    int64_t version;
    int err = read_version(c, &version);
    if (err)
        return err;
    if (version > known || version < 0)
        return too_new(version);

    while (version < known) {
        if ((err = sqlite__tx_begin(c, "migrate")))
            return err;
        /* Another connection may have migrated between our read and our
         * lock; the version read under the write lock is the truth. */
        if ((err = read_version(c, &version)))
            goto rollback;
        if (version > known || version < 0) {
            err = too_new(version);
            goto rollback;
        }
        if (version == known) {
            sqlite__tx_rollback(c, "migrate");
            break;
        }
        int rc = sqlite3_exec(c->db, store__sqlite_migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            log_err(SUBSYS, "migration failed", "backend=sqlite to_version=%lld",
                    (long long)version + 1);
            err = sqlite__fail(c, rc, "migrate");
            goto rollback;
        }
        int64_t after;
        if ((err = read_version(c, &after)))
            goto rollback;
        if (after != version + 1) {
            /* The script must record its own version (sqlite_migrations.h). */
            log_err(SUBSYS, "migration recorded the wrong version",
                    "backend=sqlite expected=%lld got=%lld", (long long)version + 1,
                    (long long)after);
            err = ONAIR_EIO;
            goto rollback;
        }
        if ((err = sqlite__tx_commit(c, "migrate")))
            return err;
        log_info(SUBSYS, "migrated", "backend=sqlite version=%lld", (long long)after);
        version = after;
    }
    return 0;

rollback:
    sqlite__tx_rollback(c, "migrate");
    return err;
}

/* ---- users and channels ---- */

static int user_create(struct store_conn *c, const struct store_new_user *in,
                       struct store_user *user_out, struct store_channel *channel_out)
{
    static const char op[] = "user_create";
    assert(c);
    if (!in || !user_out || !channel_out ||
        !sqlite__text_fits(in->username, STORE_USERNAME_MAX, false) ||
        !sqlite__text_fits(in->password_hash, STORE_PWHASH_MAX, false) ||
        !sqlite__text_fits(in->channel_title, STORE_TITLE_MAX, true) ||
        !sqlite__text_fits(in->stream_key, STORE_KEY_MAX, false))
        return ONAIR_EINVAL;

    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;

    sqlite3_stmt *s = prep(c, S_USER_INSERT, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, in->username, &rc);
    sqlite__bind_text(s, 2, in->password_hash, &rc);
    sqlite__bind_i64(s, 3, in->now, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    if (rc != SQLITE_DONE)
        err = sqlite__is_unique_violation(rc) ? ONAIR_ECONFLICT : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;
    int64_t uid = sqlite3_last_insert_rowid(c->db);

    s = prep(c, S_CHANNEL_INSERT, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, uid, &rc);
    sqlite__bind_text(s, 2, in->username, &rc);
    sqlite__bind_text(s, 3, in->channel_title, &rc);
    sqlite__bind_text(s, 4, in->stream_key, &rc);
    bind_hash(s, 5, in->stream_key_hash, &rc);
    sqlite__bind_i64(s, 6, in->now, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    /* A channel named like an existing one, or a stream key hash already in
     * use: either way the signup conflicts and the user row goes too. */
    if (rc != SQLITE_DONE)
        err = sqlite__is_unique_violation(rc) ? ONAIR_ECONFLICT : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;
    int64_t cid = sqlite3_last_insert_rowid(c->db);

    if ((err = sqlite__tx_commit(c, op)))
        return err;

    /* The inputs were checked to fit these fields above. */
    struct store_user u = {.id = uid, .created_at = in->now};
    memcpy(u.username, in->username, strlen(in->username) + 1);
    memcpy(u.password_hash, in->password_hash, strlen(in->password_hash) + 1);
    struct store_channel ch = {.id = cid, .owner_id = uid, .live = false, .started_at = 0};
    memcpy(ch.name, in->username, strlen(in->username) + 1);
    memcpy(ch.title, in->channel_title, strlen(in->channel_title) + 1);
    *user_out = u;
    *channel_out = ch;
    return 0;

rollback:
    sqlite__tx_rollback(c, op);
    return err;
}

static int user_by_name(struct store_conn *c, const char *username, struct store_user *out)
{
    static const char op[] = "user_by_name";
    assert(c);
    if (!username || !out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_USER_BY_NAME, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, username, &rc);
    int err = rc == SQLITE_OK ? read_user(c, s, out, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int user_by_id(struct store_conn *c, int64_t id, struct store_user *out)
{
    static const char op[] = "user_by_id";
    assert(c);
    if (!out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_USER_BY_ID, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, id, &rc);
    int err = rc == SQLITE_OK ? read_user(c, s, out, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int channel_by_name(struct store_conn *c, const char *name, struct store_channel *out)
{
    static const char op[] = "channel_by_name";
    assert(c);
    if (!name || !out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_CHANNEL_BY_NAME, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, name, &rc);
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int channel_by_owner(struct store_conn *c, int64_t owner_id, struct store_channel *out)
{
    static const char op[] = "channel_by_owner";
    assert(c);
    if (!out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_CHANNEL_BY_OWNER, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, owner_id, &rc);
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int channel_list(struct store_conn *c, struct store_channel **out, size_t *n)
{
    static const char op[] = "channel_list";
    assert(c);
    if (!out || !n)
        return ONAIR_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(c, S_CHANNEL_LIST, op);
    if (!s)
        return ONAIR_EIO;

    struct store_channel *arr = NULL;
    size_t len = 0, cap = 0;
    int err = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            arr = xrealloc(arr, cap * sizeof *arr);
        }
        if ((err = channel_from_row(c, s, &arr[len], op)))
            break;
        len++;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err) {
        free(arr);
        return err;
    }
    if (len == 0) {
        free(arr); /* NULL when nothing was read */
        arr = NULL;
    }
    *out = arr;
    *n = len;
    return 0;
}

/* A sqlite_row_fn for "the channel exists, but not with this owner". */
static int row_means_denied(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    (void)c, (void)s, (void)out, (void)op;
    return ONAIR_EDENIED;
}

static int channel_set_title(struct store_conn *c, const char *name, int64_t owner_id,
                             const char *title)
{
    static const char op[] = "channel_set_title";
    assert(c);
    if (!name || !sqlite__text_fits(title, STORE_TITLE_MAX, true))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_CHANNEL_SET_TITLE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, title, &rc);
    sqlite__bind_text(s, 2, name, &rc);
    sqlite__bind_i64(s, 3, owner_id, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    bool changed = !err && sqlite3_changes(c->db) > 0;
    sqlite__done(s);
    if (err || changed)
        return err;

    /* Nothing matched name+owner: tell "no such channel" from "not yours".
     * Channels are never deleted and never change owner, so this answer
     * can't be contradicted by a write between the two statements. */
    s = prep(c, S_CHANNEL_OWNER_BY_NAME, op);
    if (!s)
        return ONAIR_EIO;
    rc = SQLITE_OK;
    sqlite__bind_text(s, 1, name, &rc);
    return sqlite__read_one(c, s, rc, row_means_denied, NULL, op);
}

static int channel_set_live(struct store_conn *c, int64_t channel_id, bool live, int64_t started_at)
{
    static const char op[] = "channel_set_live";
    assert(c);
    sqlite3_stmt *s = prep(c, S_CHANNEL_SET_LIVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, live ? 1 : 0, &rc);
    /* store.h: started_at is 0 while offline, whatever the caller passed. */
    sqlite__bind_i64(s, 2, live ? started_at : 0, &rc);
    sqlite__bind_i64(s, 3, channel_id, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    if (!err && sqlite3_changes(c->db) == 0)
        err = ONAIR_ENOTFOUND;
    sqlite__done(s);
    return err;
}

static int stream_key_get(struct store_conn *c, int64_t owner_id, char *key_out)
{
    static const char op[] = "stream_key_get";
    assert(c);
    if (!key_out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_KEY_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, owner_id, &rc);
    return sqlite__read_one(c, s, rc, sqlite__read_key, key_out, op);
}

static int channels_reset_live(struct store_conn *c)
{
    static const char op[] = "channels_reset_live";
    assert(c);
    sqlite3_stmt *s = prep(c, S_CHANNELS_RESET_LIVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int stream_key_set(struct store_conn *c, int64_t owner_id, const char *key,
                          const uint8_t key_hash[STORE_HASH_LEN])
{
    static const char op[] = "stream_key_set";
    assert(c);
    if (!sqlite__text_fits(key, STORE_KEY_MAX, false) || !key_hash)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_KEY_SET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, key, &rc);
    bind_hash(s, 2, key_hash, &rc);
    sqlite__bind_i64(s, 3, owner_id, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err;
    if (rc == SQLITE_DONE)
        err = sqlite3_changes(c->db) > 0 ? 0 : ONAIR_ENOTFOUND;
    else
        err = sqlite__is_unique_violation(rc) ? ONAIR_ECONFLICT : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int channel_by_key_hash(struct store_conn *c, const uint8_t key_hash[STORE_HASH_LEN],
                               struct store_channel *out)
{
    static const char op[] = "channel_by_key_hash";
    assert(c);
    if (!key_hash || !out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_CHANNEL_BY_KEY_HASH, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_hash(s, 1, key_hash, &rc);
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

/* ---- refresh tokens ---- */

/* Inserts one token row; used inside and outside transactions. An unknown
 * user is ENOTFOUND (foreign key), a hash already stored ECONFLICT. */
static int insert_refresh(struct store_conn *c, const struct store_refresh *t, int64_t now,
                          const char *op)
{
    sqlite3_stmt *s = prep(c, S_REFRESH_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_hash(s, 1, t->hash, &rc);
    sqlite__bind_text(s, 2, t->family, &rc);
    sqlite__bind_i64(s, 3, t->user_id, &rc);
    sqlite__bind_i64(s, 4, t->expires_at, &rc);
    sqlite__bind_i64(s, 5, now, &rc);
    return sqlite__write_one(c, s, rc, op);
}

/* Sets revoked_at on every not-yet-revoked token of a family. */
static int revoke_family(struct store_conn *c, const char *family, int64_t now, const char *op)
{
    sqlite3_stmt *s = prep(c, S_REFRESH_REVOKE_FAMILY, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, now, &rc);
    sqlite__bind_text(s, 2, family, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int refresh_insert(struct store_conn *c, const struct store_refresh *t, int64_t now)
{
    assert(c);
    if (!t || !sqlite__text_fits(t->family, STORE_KEY_MAX, false))
        return ONAIR_EINVAL;
    return insert_refresh(c, t, now, "refresh_insert");
}

static int refresh_rotate(struct store_conn *c, const uint8_t old_hash[STORE_HASH_LEN],
                          struct store_refresh *next, int64_t now, struct store_user *user_out)
{
    static const char op[] = "refresh_rotate";
    assert(c);
    if (!old_hash || !next || !user_out)
        return ONAIR_EINVAL;

    /* Everything below runs under the write lock, so two requests racing
     * with the same token can't both spend it: the second sees used_at. */
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;

    char family[STORE_KEY_MAX + 1];
    int64_t user_id = 0, expires_at = 0;
    bool spent = false;
    sqlite3_stmt *s = prep(c, S_REFRESH_GET, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    bind_hash(s, 1, old_hash, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        err = sqlite__col_text(c, s, 0, family, sizeof family, op);
        user_id = sqlite3_column_int64(s, 1);
        expires_at = sqlite3_column_int64(s, 2);
        spent = sqlite3_column_int(s, 3) != 0;
    } else if (rc == SQLITE_DONE) {
        err = ONAIR_ENOTFOUND;
    } else {
        err = sqlite__fail(c, rc, op);
    }
    sqlite__done(s);
    if (err)
        goto rollback;

    if (expires_at <= now) {
        err = ONAIR_ENOTFOUND;
        goto rollback;
    }
    if (spent) {
        /* Reuse: someone holds a copy of a token already rotated (or the
         * session logged out). Kill every descendant and keep that. */
        if ((err = revoke_family(c, family, now, op)))
            goto rollback;
        if ((err = sqlite__tx_commit(c, op)))
            return err;
        log_warn(SUBSYS, "refresh token reuse, family revoked", "backend=sqlite user_id=%lld",
                 (long long)user_id);
        return ONAIR_ESTALE;
    }

    s = prep(c, S_REFRESH_SPEND, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, now, &rc);
    bind_hash(s, 2, old_hash, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    /* We hold the write lock and just saw the token unspent. */
    assert(err || sqlite3_changes(c->db) == 1);
    sqlite__done(s);
    if (err)
        goto rollback;

    struct store_refresh n = *next;
    memcpy(n.family, family, sizeof family);
    n.user_id = user_id;
    if ((err = insert_refresh(c, &n, now, op)))
        goto rollback;

    struct store_user u;
    s = prep(c, S_USER_BY_ID, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, user_id, &rc);
    err = rc == SQLITE_OK ? read_user(c, s, &u, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;

    if ((err = sqlite__tx_commit(c, op)))
        return err;
    *next = n;
    *user_out = u;
    return 0;

rollback:
    sqlite__tx_rollback(c, op);
    return err;
}

static int refresh_revoke(struct store_conn *c, const uint8_t hash[STORE_HASH_LEN], int64_t now,
                          char *family_out)
{
    static const char op[] = "refresh_revoke";
    assert(c);
    if (!hash)
        return ONAIR_EINVAL;
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;

    char family[STORE_KEY_MAX + 1];
    sqlite3_stmt *s = prep(c, S_REFRESH_FAMILY_BY_HASH, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    bind_hash(s, 1, hash, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        err = sqlite__col_text(c, s, 0, family, sizeof family, op);
    else if (rc == SQLITE_DONE)
        err = ONAIR_ENOTFOUND;
    else
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;

    /* Revoking an already revoked family is a no-op, not an error: logging
     * out twice is fine. */
    if ((err = revoke_family(c, family, now, op)))
        goto rollback;
    if ((err = sqlite__tx_commit(c, op)))
        return err;
    if (family_out)
        memcpy(family_out, family, sizeof family);
    return 0;

rollback:
    sqlite__tx_rollback(c, op);
    return err;
}

static int refresh_revoke_family(struct store_conn *c, const char *family, int64_t now)
{
    static const char op[] = "refresh_revoke_family";
    assert(c);
    if (!family)
        return ONAIR_EINVAL;
    /* One statement, but possibly many rows: all of them or none. */
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    if ((err = revoke_family(c, family, now, op))) {
        sqlite__tx_rollback(c, op);
        return err;
    }
    return sqlite__tx_commit(c, op);
}

static int revoked_families_since(struct store_conn *c, int64_t since,
                                  void (*fn)(const char *family, void *arg), void *arg)
{
    static const char op[] = "revoked_families_since";
    assert(c);
    if (!fn)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_REFRESH_REVOKED_SINCE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, since, &rc);

    /* Collect first, call fn after the reset: fn may use this connection
     * again, and nothing is reported unless the whole read succeeded. */
    typedef char family_t[STORE_KEY_MAX + 1];
    family_t *fams = NULL;
    size_t len = 0, cap = 0;
    int err = 0;
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (len == cap) {
                cap = cap ? cap * 2 : 16;
                fams = xrealloc(fams, cap * sizeof *fams);
            }
            if ((err = sqlite__col_text(c, s, 0, fams[len], sizeof fams[len], op)))
                break;
            len++;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (!err)
        for (size_t i = 0; i < len; i++)
            fn(fams[i], arg);
    free(fams);
    return err;
}

/* ---- chat ---- */

/* Binds NULL for an unset optional value ("" or 0). */
void sqlite__bind_opt_text(sqlite3_stmt *s, int i, const char *v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = v && v[0] ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

void sqlite__bind_opt_i64(sqlite3_stmt *s, int i, int64_t v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = v ? sqlite3_bind_int64(s, i, (sqlite3_int64)v) : sqlite3_bind_null(s, i);
}

int sqlite__read_one(struct store_conn *c, sqlite3_stmt *s, int bind_rc, sqlite_row_fn read,
                     void *out, const char *op)
{
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(s) : bind_rc;
    int err;
    if (rc == SQLITE_ROW)
        err = read(c, s, out, op);
    else if (rc == SQLITE_DONE)
        err = ONAIR_ENOTFOUND;
    else
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

int sqlite__write_one(struct store_conn *c, sqlite3_stmt *s, int bind_rc, const char *op)
{
    int rc = bind_rc == SQLITE_OK ? sqlite__run(s) : bind_rc;
    int err = 0;
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        err = ONAIR_ENOTFOUND;
    else if (sqlite__is_unique_violation(rc))
        err = ONAIR_ECONFLICT;
    else if (rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

int sqlite__read_key(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    return sqlite__col_text(c, s, 0, out, STORE_KEY_MAX + 1, op);
}

/* col_text for a column that may be NULL, which reads as "". */
int sqlite__col_text_opt(struct store_conn *c, sqlite3_stmt *s, int col, char *dst, size_t cap,
                         const char *op)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
        dst[0] = '\0';
        return 0;
    }
    return sqlite__col_text(c, s, col, dst, cap, op);
}

/* A fixed-size field of the caller's struct holds a string of at most its
 * size - 1 bytes (NUL inside the field), and at least one if required. */
bool sqlite__field_ok(const char *s, size_t size, bool may_be_empty)
{
    size_t n = strnlen(s, size);
    return n < size && (may_be_empty || n > 0);
}

static bool room_ok(const char *room)
{
    return sqlite__text_fits(room, STORE_ROOM_MAX, false);
}

static bool page_ok(size_t limit, size_t max)
{
    return limit >= 1 && limit <= max;
}

static bool type_is(const struct store_chat_event *e, const char *type)
{
    return strcmp(e->type, type) == 0;
}

static bool event_ok(const struct store_chat_event *e)
{
    if (!sqlite__field_ok(e->room, sizeof e->room, false) ||
        !sqlite__field_ok(e->type, sizeof e->type, false) ||
        !sqlite__field_ok(e->username, sizeof e->username, true) ||
        !sqlite__field_ok(e->text, sizeof e->text, true) ||
        !sqlite__field_ok(e->client_id, sizeof e->client_id, true) ||
        !sqlite__field_ok(e->action, sizeof e->action, true))
        return false;
    if (!type_is(e, "message") && !type_is(e, "donation") && !type_is(e, "deleted") &&
        !type_is(e, "system"))
        return false;
    if (e->seq <= 0 || e->amount < 0)
        return false;
    if (type_is(e, "deleted") && (e->ref_seq <= 0 || e->ref_seq >= e->seq))
        return false;
    return true;
}

/* Fills *out from the current row of an EVENT_COLS statement; *id_out (if
 * not NULL) gets the row id. A deleted event comes back without its text. */
static int event_from_row(struct store_conn *c, sqlite3_stmt *s, struct store_chat_event *out,
                          int64_t *id_out, const char *op)
{
    /* Filled in place (it is 2 KiB): every field is set below. */
    struct store_chat_event *e = out;
    if (id_out)
        *id_out = sqlite3_column_int64(s, 0);
    int err = sqlite__col_text(c, s, 1, e->room, sizeof e->room, op);
    e->seq = sqlite3_column_int64(s, 2);
    if (!err)
        err = sqlite__col_text(c, s, 3, e->type, sizeof e->type, op);
    e->user_id = sqlite3_column_int64(s, 4); /* NULL reads as 0 */
    if (!err)
        err = sqlite__col_text_opt(c, s, 5, e->username, sizeof e->username, op);
    e->deleted = sqlite3_column_int(s, 11) != 0;
    if (!err) {
        if (e->deleted)
            e->text[0] = '\0';
        else
            err = sqlite__col_text(c, s, 6, e->text, sizeof e->text, op);
    }
    e->amount = sqlite3_column_int64(s, 7);
    e->ts = sqlite3_column_int64(s, 8);
    e->ref_seq = sqlite3_column_int64(s, 9);
    if (!err)
        err = sqlite__col_text_opt(c, s, 10, e->client_id, sizeof e->client_id, op);
    if (!err)
        err = sqlite__col_text_opt(c, s, 12, e->action, sizeof e->action, op);
    return err;
}

/* Steps s to the end, collecting events into a malloc'd array (NULL when
 * empty). Does not reset. On error nothing is returned. */
static int collect_events(struct store_conn *c, sqlite3_stmt *s, struct store_chat_event **out,
                          size_t *n, const char *op)
{
    struct store_chat_event *arr = NULL;
    size_t len = 0, cap = 0;
    int err = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            arr = xrealloc(arr, cap * sizeof *arr);
        }
        if ((err = event_from_row(c, s, &arr[len], NULL, op)))
            break;
        len++;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    if (err || len == 0) {
        free(arr);
        arr = NULL;
        len = 0;
    }
    *out = arr;
    *n = len;
    return err;
}

/* Runs one event's INSERT (and, for "deleted", its mark) inside the
 * caller's transaction. */
int sqlite__chat_insert(struct store_conn *c, const struct store_chat_event *e, const char *op)
{
    /* Inside a transaction: its commit indexes the row (fts_index_pending). */
    assert(!sqlite3_get_autocommit(c->db));
    sqlite3_stmt *s = prep(c, S_CHAT_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, e->room, &rc);
    sqlite__bind_i64(s, 2, e->seq, &rc);
    sqlite__bind_text(s, 3, e->type, &rc);
    sqlite__bind_opt_i64(s, 4, e->user_id, &rc);
    sqlite__bind_opt_text(s, 5, e->username, &rc);
    sqlite__bind_text(s, 6, e->text, &rc);
    sqlite__bind_i64(s, 7, e->amount, &rc);
    sqlite__bind_i64(s, 8, e->ts, &rc);
    sqlite__bind_opt_i64(s, 9, e->ref_seq, &rc);
    sqlite__bind_opt_text(s, 10, e->client_id, &rc);
    sqlite__bind_text(s, 11, e->action, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = 0;
    /* The (room, seq) is taken (UNIQUE), or it is not above the room's last
     * (chat_events_seq_grows): the writer's idea of the room is stale. */
    if (sqlite__is_unique_violation(rc) || rc == SQLITE_CONSTRAINT_TRIGGER)
        err = ONAIR_ECONFLICT;
    else if (rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    if (!err) {
        int64_t id = sqlite3_last_insert_rowid(c->db);
        if (c->fts_from == 0)
            c->fts_from = id;
        c->fts_to = id;
    }
    sqlite__done(s);
    if (err || !type_is(e, "deleted"))
        return err;

    /* The unindex trigger removes the target's terms: they must be in. */
    if ((err = fts_index_pending(c, op)))
        return err;
    s = prep(c, S_CHAT_MARK_DELETED, op);
    if (!s)
        return ONAIR_EIO;
    rc = SQLITE_OK;
    sqlite__bind_text(s, 1, e->room, &rc);
    sqlite__bind_i64(s, 2, e->ref_seq, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int chat_append(struct store_conn *c, const struct store_chat_event *ev, size_t n)
{
    static const char op[] = "chat_append";
    assert(c);
    if (n == 0)
        return 0;
    if (!ev)
        return ONAIR_EINVAL;
    /* All checks first: a refused batch leaves nothing behind. */
    for (size_t i = 0; i < n; i++)
        if (!event_ok(&ev[i]))
            return ONAIR_EINVAL;

    /* One transaction for the whole batch: one WAL fsync for hundreds of
     * events, and all or nothing. The INSERT is prepared once and reused. */
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        if ((err = sqlite__chat_insert(c, &ev[i], op))) {
            sqlite__tx_rollback(c, op);
            return err;
        }
    }
    return sqlite__tx_commit(c, op);
}

/* Runs a statement that answers at most one integer: *found tells whether a
 * row came back (and its first column was not NULL). Binds nothing; resets. */
static int one_i64(struct store_conn *c, sqlite3_stmt *s, int64_t *v, bool *found, const char *op)
{
    int rc = sqlite3_step(s);
    int err = 0;
    *found = false;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
            *v = sqlite3_column_int64(s, 0);
            *found = true;
        }
    } else if (rc != SQLITE_DONE) {
        err = sqlite__fail(c, rc, op);
    }
    sqlite__done(s);
    return err;
}

static int last_seq(struct store_conn *c, const char *room, int64_t *out, const char *op)
{
    sqlite3_stmt *s = prep(c, S_CHAT_LAST_SEQ, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    bool found;
    int64_t v = 0;
    int err = one_i64(c, s, &v, &found, op);
    if (!err)
        *out = found ? v : 0;
    return err;
}

static int chat_last_seq(struct store_conn *c, const char *room, int64_t *out)
{
    assert(c);
    if (!room_ok(room) || !out)
        return ONAIR_EINVAL;
    return last_seq(c, room, out, "chat_last_seq");
}

/* since and history: one room, one bound, one direction. */
static int chat_page(struct store_conn *c, enum stmt_id id, const char *room, int64_t bound,
                     size_t limit, struct store_chat_event **out, size_t *n, const char *op)
{
    if (!out || !n)
        return ONAIR_EINVAL;
    *out = NULL;
    *n = 0;
    if (!room_ok(room) || !page_ok(limit, STORE_CHAT_PAGE_MAX))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, id, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, bound, &rc);
    sqlite__bind_i64(s, 3, (int64_t)limit, &rc);
    int err = rc == SQLITE_OK ? collect_events(c, s, out, n, op) : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int chat_since(struct store_conn *c, const char *room, int64_t after_seq, size_t limit,
                      struct store_chat_event **out, size_t *n)
{
    assert(c);
    return chat_page(c, S_CHAT_SINCE, room, after_seq, limit, out, n, "chat_since");
}

static int chat_history(struct store_conn *c, const char *room, int64_t before_seq, size_t limit,
                        struct store_chat_event **out, size_t *n)
{
    assert(c);
    return chat_page(c, S_CHAT_HISTORY, room, before_seq > 0 ? before_seq : INT64_MAX, limit, out,
                     n, "chat_history");
}

/* Characters in a UTF-8 string: bytes that do not continue a sequence. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

static size_t utf8_len(unsigned char lead)
{
    if (lead >= 0xF0 && lead < 0xF8)
        return 4;
    if (lead >= 0xE0)
        return lead < 0xF0 ? 3 : 1;
    if (lead >= 0xC0)
        return 2;
    return 1;
}

static unsigned char ascii_fold(unsigned char b)
{
    return b >= 'A' && b <= 'Z' ? (unsigned char)(b + ('a' - 'A')) : b;
}

/* Writes text into out (cap bytes) with every match of query wrapped in
 * STORE_HL_OPEN ... STORE_HL_CLOSE: matches compare ASCII case-insensitively
 * and start on a character; overlapping and touching ones form one span.
 * Marker bytes inside the text become spaces, so the only markers in out are
 * ours, always closed. If the markers make it too long, out ends early on a
 * character boundary (never happens below ~32 matches). */
static void make_snippet(const char *text, const char *query, char *out, size_t cap)
{
    assert(cap >= 3);
    const unsigned char *t = (const unsigned char *)text;
    const unsigned char *q = (const unsigned char *)query;
    size_t tn = strlen(text), qn = strlen(query);
    assert(tn <= STORE_TEXT_MAX);
    bool mark[STORE_TEXT_MAX] = {0};
    for (size_t i = 0; qn && i + qn <= tn; i++) {
        if ((t[i] & 0xC0) == 0x80)
            continue;
        size_t k = 0;
        while (k < qn && ascii_fold(t[i + k]) == ascii_fold(q[k]))
            k++;
        if (k == qn)
            memset(mark + i, 1, qn);
    }
    size_t o = 0;
    bool open = false;
    for (size_t i = 0; i < tn;) {
        size_t len = utf8_len(t[i]);
        if (len > tn - i)
            len = tn - i;
        bool want = mark[i];
        /* This character, a marker before it, and room left to close the
         * span and terminate. */
        if (o + len + (want != open) + 2 > cap)
            break;
        if (want != open) {
            out[o++] = want ? STORE_HL_OPEN : STORE_HL_CLOSE;
            open = want;
        }
        for (size_t k = 0; k < len; k++) {
            char b = (char)t[i + k];
            out[o++] = b == STORE_HL_OPEN || b == STORE_HL_CLOSE ? ' ' : b;
        }
        i += len;
    }
    if (open)
        out[o++] = STORE_HL_CLOSE;
    assert(o < cap);
    out[o] = '\0';
}

/* The FTS5 query for a literal string: one phrase, the string in double
 * quotes with its own quotes doubled. With the trigram tokenizer that is a
 * substring match. out holds 2 * STORE_SEARCH_QUERY_MAX + 3 bytes. */
static void fts_phrase(const char *q, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (; *q; q++) {
        if (*q == '"')
            out[o++] = '"';
        out[o++] = *q;
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* A LIKE pattern matching q anywhere, literally: %, _ and the escape
 * character itself are escaped with a backslash (ESCAPE '\'). out holds
 * 2 * STORE_SEARCH_QUERY_MAX + 3 bytes. */
static void like_pattern(const char *q, char *out)
{
    size_t o = 0;
    out[o++] = '%';
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\')
            out[o++] = '\\';
        out[o++] = *q;
    }
    out[o++] = '%';
    out[o] = '\0';
}

/* The window a short query scans: (lo, hi] of ids (all rooms) or of the
 * room's seqs. *empty when there is nothing before the cursor. */
static int short_window(struct store_conn *c, const char *room, int64_t before_id, int64_t *lo,
                        int64_t *hi, bool *empty, const char *op)
{
    int64_t top = 0;
    bool found = true;
    int err = 0;
    int rc = SQLITE_OK;
    sqlite3_stmt *s;
    if (!room) {
        if (before_id > 0) {
            top = before_id - 1;
        } else {
            if (!(s = prep(c, S_CHAT_MAX_ID, op)))
                return ONAIR_EIO;
            err = one_i64(c, s, &top, &found, op);
        }
    } else if (before_id <= 0) {
        err = last_seq(c, room, &top, op);
    } else {
        /* Usually the cursor is the last hit of the previous page, in this
         * room: its seq bounds the window directly. Otherwise (a cursor from
         * another room), the newest event of the room below it, found by
         * walking the room's index down from the top. */
        if (!(s = prep(c, S_CHAT_SEQ_OF_ID, op)))
            return ONAIR_EIO;
        sqlite__bind_i64(s, 1, before_id, &rc);
        sqlite__bind_text(s, 2, room, &rc);
        if (rc != SQLITE_OK) {
            sqlite__done(s);
            return sqlite__fail(c, rc, op);
        }
        if ((err = one_i64(c, s, &top, &found, op)))
            return err;
        if (found) {
            top -= 1;
        } else {
            if (!(s = prep(c, S_CHAT_SEQ_BEFORE_ID, op)))
                return ONAIR_EIO;
            sqlite__bind_text(s, 1, room, &rc);
            sqlite__bind_i64(s, 2, before_id, &rc);
            if (rc != SQLITE_OK) {
                sqlite__done(s);
                return sqlite__fail(c, rc, op);
            }
            err = one_i64(c, s, &top, &found, op);
        }
    }
    if (err)
        return err;
    *empty = !found || top <= 0;
    *hi = top;
    *lo = top - STORE_SEARCH_SHORT_WINDOW; /* top > 0 when it matters: no overflow */
    return 0;
}

/* Steps a search statement the caller has bound, appending hits to
 * arr[*len..limit) with their snippets. Resets. */
static int collect_hits(struct store_conn *c, sqlite3_stmt *s, const char *query,
                        struct store_search_hit *arr, size_t *len, size_t limit, const char *op)
{
    int rc, err = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        /* Every statement has LIMIT <= what is left of the page. */
        assert(*len < limit);
        struct store_search_hit *h = &arr[*len];
        if ((err = event_from_row(c, s, &h->ev, &h->id, op)))
            break;
        make_snippet(h->ev.text, query, h->snippet, sizeof h->snippet);
        (*len)++;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

/* Appends the UTF-8 encoding of code point cp (U+10000..U+10FFFF). */
static size_t put_utf8_4(char *out, uint32_t cp)
{
    assert(cp >= 0x10000 && cp <= 0x10FFFF);
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

enum { ROOM_TAG_LEN = 12 };

/* The search tag of the room whose chat_room_tags id is id: the same three
 * characters as ROOM_TAG() in sqlite_migrations.c. out holds
 * ROOM_TAG_LEN + 1 bytes. */
static void room_tag(int64_t id, char *out)
{
    size_t o = 0;
    for (int i = 0; i < 3; i++)
        o += put_utf8_4(out + o, 0xF0000u + (uint32_t)(((uint64_t)id >> (16 * i)) & 0xFFFF));
    out[o] = '\0';
}

/* Looks up room's tag; *found is false for a room that never had events. */
static int lookup_room_tag(struct store_conn *c, const char *room, char *tag, bool *found,
                           const char *op)
{
    sqlite3_stmt *s = prep(c, S_CHAT_ROOM_TAG, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    int64_t id = 0;
    int err = one_i64(c, s, &id, found, op);
    if (!err && *found)
        room_tag(id, tag);
    return err;
}

/* Runs an FTS5 expression over the text (a phrase, or an OR of phrases)
 * from the cursor, in one room or all. */
static int search_index(struct store_conn *c, const char *expr, const char *query, const char *room,
                        int64_t before_id, size_t limit, struct store_search_hit *arr, size_t *len,
                        const char *op)
{
    char tag[ROOM_TAG_LEN + 1];
    if (room) {
        bool found = false;
        int err = lookup_room_tag(c, room, tag, &found, op);
        if (err || !found)
            return err;
    }
    /* text : (expr) [AND tag : "tag"]; the tag holds no quote. */
    size_t cap = strlen(expr) + ROOM_TAG_LEN + 32;
    char *match = xmalloc(cap);
    if (room)
        snprintf(match, cap, "text : (%s) AND tag : \"%s\"", expr, tag);
    else
        snprintf(match, cap, "text : (%s)", expr);

    int err = 0;
    sqlite3_stmt *s = prep(c, S_CHAT_SEARCH, op);
    if (!s) {
        err = ONAIR_EIO;
        goto out;
    }
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, match, &rc);
    sqlite__bind_i64(s, 2, before_id > 0 ? before_id : INT64_MAX, &rc);
    if (rc == SQLITE_OK)
        rc = room ? sqlite3_bind_text(s, 3, room, -1, SQLITE_STATIC) : sqlite3_bind_null(s, 3);
    sqlite__bind_i64(s, 4, (int64_t)limit, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        err = sqlite__fail(c, rc, op);
        goto out;
    }
    err = collect_hits(c, s, query, arr, len, limit, op);
out:
    free(match);
    return err;
}

/* LIKE over the newest STORE_SEARCH_SHORT_WINDOW events below the cursor.
 * *whole tells whether that window reached the oldest event (ids and seqs
 * start at 1), so that nothing below the cursor was left out. */
static int search_window(struct store_conn *c, const char *query, const char *room,
                         int64_t before_id, size_t limit, struct store_search_hit *arr, size_t *len,
                         bool *whole, const char *op)
{
    int64_t lo = 0, hi = 0;
    bool empty = true;
    int err = short_window(c, room, before_id, &lo, &hi, &empty, op);
    *whole = !err && (empty || lo <= 0);
    if (err || empty)
        return err;
    char pattern[2 * STORE_SEARCH_QUERY_MAX + 3];
    like_pattern(query, pattern);
    sqlite3_stmt *s = prep(c, room ? S_CHAT_SHORT_ROOM : S_CHAT_SHORT_ALL, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, pattern, &rc);
    sqlite__bind_i64(s, 2, lo, &rc);
    sqlite__bind_i64(s, 3, hi, &rc);
    sqlite__bind_i64(s, 4, (int64_t)limit, &rc);
    if (room)
        sqlite__bind_text(s, 5, room, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return collect_hits(c, s, query, arr, len, limit, op);
}

/* The FTS5 query matching every indexed trigram that starts with a 1-2
 * character query, as an OR of phrases (malloc'd), into *match; NULL when
 * there is none or more than STORE_SEARCH_SHORT_TERMS. Index terms are
 * case-folded, so the query is too (ASCII). */
static int short_terms(struct store_conn *c, const char *query, char **match, const char *op)
{
    *match = NULL;
    char lo[STORE_SEARCH_QUERY_MAX + 1], hi[STORE_SEARCH_QUERY_MAX + 5];
    size_t n = strlen(query);
    for (size_t i = 0; i <= n; i++)
        lo[i] = (char)ascii_fold((unsigned char)query[i]);
    memcpy(hi, lo, n);
    memcpy(hi + n, "\xF4\x8F\xBF\xBF", 5); /* U+10FFFF: above any continuation */

    sqlite3_stmt *s = prep(c, S_CHAT_VOCAB, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, lo, &rc);
    sqlite__bind_text(s, 2, hi, &rc);
    sqlite__bind_i64(s, 3, STORE_SEARCH_SHORT_TERMS + 1, &rc);
    /* A term is one trigram (at most 12 bytes): quoted, doubled quotes
     * and " OR " it takes at most 30. */
    enum { TERM_MAX = 30 };
    char *expr = xmalloc(STORE_SEARCH_SHORT_TERMS * TERM_MAX + 1);
    size_t o = 0, terms = 0;
    int err = 0;
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(s, 0);
            int tn = sqlite3_column_bytes(s, 0);
            if (!t || tn <= 0 || tn > 12 || ++terms > STORE_SEARCH_SHORT_TERMS)
                break; /* not a trigram (can't be), or too many */
            if (o)
                o += (size_t)snprintf(expr + o, 5, " OR ");
            expr[o++] = '"';
            for (int i = 0; i < tn; i++) {
                if (t[i] == '"')
                    expr[o++] = '"';
                expr[o++] = t[i];
            }
            expr[o++] = '"';
            assert(o <= terms * TERM_MAX);
        }
        if (rc == SQLITE_ROW)
            terms = STORE_SEARCH_SHORT_TERMS + 1; /* stopped early: treat as too many */
        else if (rc != SQLITE_DONE)
            err = sqlite__fail(c, rc, op);
    } else {
        err = sqlite__fail(c, rc, op);
    }
    sqlite__done(s);
    if (err || terms == 0 || terms > STORE_SEARCH_SHORT_TERMS) {
        free(expr);
        return err;
    }
    expr[o] = '\0';
    *match = expr;
    return 0;
}

struct search_budget {
    int64_t until_ns;
};

/* SQLite's progress callback: non-zero stops the running statement. */
static int over_budget(void *arg)
{
    const struct search_budget *b = arg;
    return clock_mono_ns() > b->until_ns;
}

static int chat_search(struct store_conn *c, const char *query, const char *room, int64_t before_id,
                       size_t limit, struct store_search_hit **out, size_t *n)
{
    static const char op[] = "chat_search";
    assert(c);
    if (!out || !n)
        return ONAIR_EINVAL;
    *out = NULL;
    *n = 0;
    if (!sqlite__text_fits(query, STORE_SEARCH_QUERY_MAX, false) || (room && !room_ok(room)) ||
        !page_ok(limit, STORE_SEARCH_PAGE_MAX))
        return ONAIR_EINVAL;

    /* A search may not hold a store thread (shared with every API call)
     * for long: past its budget SQLite stops it and the answer is ETOOBIG. */
    struct search_budget budget = {clock_mono_ns() + c->search_budget_ms * 1000000LL};
    sqlite3_progress_handler(c->db, 1000, over_budget, &budget);
    /* limit is at most STORE_SEARCH_PAGE_MAX: one allocation. */
    struct store_search_hit *arr = xmalloc(limit * sizeof *arr);
    size_t len = 0;
    int err;
    if (utf8_chars(query) >= 3) {
        char phrase[2 * STORE_SEARCH_QUERY_MAX + 3];
        fts_phrase(query, phrase);
        err = search_index(c, phrase, query, room, before_id, limit, arr, &len, op);
    } else {
        /* A common short string fills the page from the newest events
         * alone, and a small room is scanned whole: both cheaper than
         * expanding the string in the index. */
        bool whole;
        err = search_window(c, query, room, before_id, limit, arr, &len, &whole, op);
        char *match = NULL;
        if (!err && len < limit && !whole)
            err = short_terms(c, query, &match, op);
        if (!err && match) {
            /* The index sees everything the window saw, and more. */
            len = 0;
            err = search_index(c, match, query, room, before_id, limit, arr, &len, op);
        }
        free(match);
    }
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
    if (err || len == 0) {
        free(arr);
        return err;
    }
    *out = arr;
    *n = len;
    return 0;
}

enum { CLEAR_CHUNK = 1000 }; /* seqs per clear transaction */

/* One step of a clear: marks (from, to] of room and records `to` as
 * cleared, in one transaction. */
static int clear_range(struct store_conn *c, const char *room, int64_t from, int64_t to,
                       const char *op)
{
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    sqlite3_stmt *s = prep(c, S_CHAT_CLEAR_RANGE, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, from, &rc);
    sqlite__bind_i64(s, 3, to, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;

    if (!(s = prep(c, S_CHAT_CLEARED_SET, op))) {
        err = ONAIR_EIO;
        goto rollback;
    }
    rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, to, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err)
        goto rollback;
    return sqlite__tx_commit(c, op);

rollback:
    sqlite__tx_rollback(c, op);
    return err;
}

static int chat_clear(struct store_conn *c, const char *room)
{
    static const char op[] = "chat_clear";
    assert(c);
    if (!room_ok(room))
        return ONAIR_EINVAL;
    int64_t last;
    int err = last_seq(c, room, &last, op);
    if (err)
        return err;
    /* Where the previous clear stopped: everything up to it is deleted
     * already, so clearing a big room twice costs only what came since. */
    sqlite3_stmt *s = prep(c, S_CHAT_CLEARED_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    int64_t from = 0;
    bool found;
    if ((err = one_i64(c, s, &from, &found, op)))
        return err;
    /* Oldest first, one short transaction per chunk, each recording its
     * progress: the chat writer waits at most one chunk for the lock, and
     * a clear cut short resumes where it stopped. Events appended meanwhile
     * have seqs above `last` and stay. */
    while (from < last) {
        int64_t to = last - from > CLEAR_CHUNK ? from + CLEAR_CHUNK : last;
        if ((err = clear_range(c, room, from, to, op)))
            return err;
        from = to;
    }
    return 0;
}

/* ---- user rooms ---- */

static int room_from_row(struct store_conn *c, sqlite3_stmt *s, struct store_room *out,
                         const char *op)
{
    struct store_room r = {0};
    r.id = sqlite3_column_int64(s, 0);
    int err = sqlite__col_text(c, s, 1, r.title, sizeof r.title, op);
    r.private_ = sqlite3_column_int(s, 2) != 0;
    r.owner_id = sqlite3_column_int64(s, 3);
    r.created_at = sqlite3_column_int64(s, 4);
    if (!err)
        *out = r;
    return err;
}

/* room_from_row as a sqlite_row_fn. */
static int read_room(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    return room_from_row(c, s, out, op);
}

static int add_member(struct store_conn *c, int64_t room_id, int64_t user_id, const char *op)
{
    sqlite3_stmt *s = prep(c, S_ROOM_MEMBER_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, room_id, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    return sqlite__write_one(c, s, rc, op);
}

static int room_create(struct store_conn *c, int64_t owner_id, const char *title, bool private_,
                       const int64_t *member_ids, size_t nmembers, int64_t now,
                       struct store_room *out)
{
    static const char op[] = "room_create";
    assert(c);
    if (!out || !sqlite__text_fits(title, STORE_TITLE_MAX, false) ||
        nmembers > STORE_ROOM_MEMBERS_MAX || (nmembers && !member_ids))
        return ONAIR_EINVAL;
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    sqlite3_stmt *s = prep(c, S_ROOM_INSERT, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, title, &rc);
    sqlite__bind_i64(s, 2, private_ ? 1 : 0, &rc);
    sqlite__bind_i64(s, 3, owner_id, &rc);
    sqlite__bind_i64(s, 4, now, &rc);
    if ((err = sqlite__write_one(c, s, rc, op)))
        goto rollback;
    int64_t id = sqlite3_last_insert_rowid(c->db);

    if ((err = add_member(c, id, owner_id, op)))
        goto rollback;
    for (size_t i = 0; i < nmembers; i++)
        if ((err = add_member(c, id, member_ids[i], op)))
            goto rollback;
    if ((err = sqlite__tx_commit(c, op)))
        return err;

    struct store_room r = {.id = id, .private_ = private_, .owner_id = owner_id, .created_at = now};
    memcpy(r.title, title, strlen(title) + 1);
    *out = r;
    return 0;

rollback:
    sqlite__tx_rollback(c, op);
    return err;
}

static int room_get(struct store_conn *c, int64_t id, struct store_room *out)
{
    static const char op[] = "room_get";
    assert(c);
    if (!out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_ROOM_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, id, &rc);
    return sqlite__read_one(c, s, rc, read_room, out, op);
}

/* Runs an existence query bound to (a, b): *out is whether a row came back. */
static int exists2(struct store_conn *c, enum stmt_id id, int64_t a, int64_t b, bool *out,
                   const char *op)
{
    if (!out)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, id, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, a, &rc);
    sqlite__bind_i64(s, 2, b, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        *out = rc == SQLITE_ROW;
    else
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int room_is_member(struct store_conn *c, int64_t room_id, int64_t user_id, bool *out)
{
    assert(c);
    return exists2(c, S_ROOM_IS_MEMBER, room_id, user_id, out, "room_is_member");
}

static int room_list(struct store_conn *c, int64_t user_id, struct store_room **out, size_t *n)
{
    static const char op[] = "room_list";
    assert(c);
    if (!out || !n)
        return ONAIR_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(c, S_ROOM_LIST, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    /* No user has id 0, so 0 matches no membership: public rooms only. */
    sqlite__bind_i64(s, 1, user_id > 0 ? user_id : 0, &rc);
    sqlite__bind_i64(s, 2, STORE_ROOM_LIST_MAX, &rc);
    struct store_room *arr = NULL;
    size_t len = 0, cap = 0;
    int err = 0;
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (len == cap) {
                cap = cap ? cap * 2 : 16;
                arr = xrealloc(arr, cap * sizeof *arr);
            }
            if ((err = room_from_row(c, s, &arr[len], op)))
                break;
            len++;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err || len == 0) {
        free(arr);
        return err;
    }
    *out = arr;
    *n = len;
    return 0;
}

/* ---- moderators ---- */

static int moderator_add(struct store_conn *c, int64_t channel_id, int64_t user_id)
{
    static const char op[] = "moderator_add";
    assert(c);
    sqlite3_stmt *s = prep(c, S_MOD_ADD, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, channel_id, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    return sqlite__write_one(c, s, rc, op);
}

/* Steps a DELETE the caller has bound: ENOTFOUND when no row went. Resets. */
static int delete_one(struct store_conn *c, sqlite3_stmt *s, const char *op)
{
    int rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    if (!err && sqlite3_changes(c->db) == 0)
        err = ONAIR_ENOTFOUND;
    sqlite__done(s);
    return err;
}

static int moderator_remove(struct store_conn *c, int64_t channel_id, int64_t user_id)
{
    static const char op[] = "moderator_remove";
    assert(c);
    sqlite3_stmt *s = prep(c, S_MOD_REMOVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, channel_id, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return delete_one(c, s, op);
}

static int moderator_check(struct store_conn *c, int64_t channel_id, int64_t user_id, bool *out)
{
    assert(c);
    return exists2(c, S_MOD_CHECK, channel_id, user_id, out, "moderator_check");
}

static int moderator_list(struct store_conn *c, int64_t channel_id, struct store_user **out,
                          size_t *n)
{
    static const char op[] = "moderator_list";
    assert(c);
    if (!out || !n)
        return ONAIR_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(c, S_MOD_LIST, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, channel_id, &rc);
    struct store_user *arr = NULL;
    size_t len = 0, cap = 0;
    int err = rc == SQLITE_OK ? 0 : sqlite__fail(c, rc, op);
    while (!err) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            arr = xrealloc(arr, cap * sizeof *arr);
        }
        err = read_user(c, s, &arr[len], op);
        if (err == ONAIR_ENOTFOUND) { /* no more rows */
            err = 0;
            break;
        }
        if (!err)
            len++;
    }
    sqlite__done(s);
    if (err || len == 0) {
        free(arr);
        return err;
    }
    *out = arr;
    *n = len;
    return 0;
}

/* ---- bans and slow mode ---- */

static int ban_set(struct store_conn *c, const char *room, int64_t user_id, int64_t until_ms,
                   const char *reason)
{
    static const char op[] = "ban_set";
    assert(c);
    if (!reason)
        reason = "";
    if (!room_ok(room) || until_ms < 0 || !sqlite__text_fits(reason, STORE_REASON_MAX, true))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_BAN_SET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    sqlite__bind_i64(s, 3, until_ms, &rc);
    sqlite__bind_text(s, 4, reason, &rc);
    return sqlite__write_one(c, s, rc, op);
}

static int ban_clear(struct store_conn *c, const char *room, int64_t user_id)
{
    static const char op[] = "ban_clear";
    assert(c);
    if (!room_ok(room))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_BAN_CLEAR, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return delete_one(c, s, op);
}

static int ban_check(struct store_conn *c, const char *room, int64_t user_id, int64_t now,
                     bool *banned, int64_t *until_ms)
{
    static const char op[] = "ban_check";
    assert(c);
    if (!room_ok(room) || !banned || !until_ms)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_BAN_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, user_id, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    int64_t until = 0;
    bool found;
    int err = one_i64(c, s, &until, &found, op);
    if (err)
        return err;
    /* A timeout that has ended is no ban; its row stays until replaced. */
    *banned = found && (until == 0 || until > now);
    *until_ms = *banned ? until : 0;
    return 0;
}

static int room_slow_set(struct store_conn *c, const char *room, int seconds)
{
    static const char op[] = "room_slow_set";
    assert(c);
    if (!room_ok(room) || seconds < 0 || seconds > STORE_SLOW_MAX)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_SLOW_SET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    sqlite__bind_i64(s, 2, seconds, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int room_slow_get(struct store_conn *c, const char *room, int *seconds)
{
    static const char op[] = "room_slow_get";
    assert(c);
    if (!room_ok(room) || !seconds)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_SLOW_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, room, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    int64_t v = 0;
    bool found;
    int err = one_i64(c, s, &v, &found, op);
    if (err)
        return err;
    /* The schema and room_slow_set keep it in 0..STORE_SLOW_MAX. */
    *seconds = found && v > 0 && v <= STORE_SLOW_MAX ? (int)v : 0;
    return 0;
}

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .open = conn_open,
    .migrate = conn_migrate,
    .close = conn_close,
    .user_create = user_create,
    .user_by_name = user_by_name,
    .user_by_id = user_by_id,
    .channel_by_name = channel_by_name,
    .channel_by_owner = channel_by_owner,
    .channel_list = channel_list,
    .channel_set_title = channel_set_title,
    .channel_set_live = channel_set_live,
    .channels_reset_live = channels_reset_live,
    .stream_key_get = stream_key_get,
    .stream_key_set = stream_key_set,
    .channel_by_key_hash = channel_by_key_hash,
    .refresh_insert = refresh_insert,
    .refresh_rotate = refresh_rotate,
    .refresh_revoke = refresh_revoke,
    .refresh_revoke_family = refresh_revoke_family,
    .revoked_families_since = revoked_families_since,
    .chat_append = chat_append,
    .chat_last_seq = chat_last_seq,
    .chat_since = chat_since,
    .chat_history = chat_history,
    .chat_search = chat_search,
    .chat_clear = chat_clear,
    .room_create = room_create,
    .room_get = room_get,
    .room_is_member = room_is_member,
    .room_list = room_list,
    .moderator_add = moderator_add,
    .moderator_remove = moderator_remove,
    .moderator_check = moderator_check,
    .moderator_list = moderator_list,
    .ban_set = ban_set,
    .ban_clear = ban_clear,
    .ban_check = ban_check,
    .room_slow_set = room_slow_set,
    .room_slow_get = room_slow_get,
    .wallet_balance = sqlite__wallet_balance,
    .payment_create = sqlite__payment_create,
    .payment_get = sqlite__payment_get,
    .payment_set_tid = sqlite__payment_set_tid,
    .payment_approve = sqlite__payment_approve,
    .payment_close = sqlite__payment_close,
    .payment_list = sqlite__payment_list,
    .donate_batch = sqlite__donate_batch,
    .donation_list = sqlite__donation_list,
    .donation_totals = sqlite__donation_totals,
    .donation_top = sqlite__donation_top,
    .ledger_check = sqlite__ledger_check,
    .overlay_key_get = sqlite__overlay_key_get,
    .overlay_key_ensure = sqlite__overlay_key_ensure,
    .overlay_key_set = sqlite__overlay_key_set,
};
