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
#include "core/err.h"
#include "core/log.h"
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
};

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[S__COUNT]; /* NULL until first used */
};

/* ---- errors ---- */

/* Logs a failure of `op` with SQLite's own message and returns ONAIR_EIO.
 * rc is the code the failing call returned (sqlite3_errmsg may describe a
 * later call if something ran in between, so it is logged too). */
static int fail(struct store_conn *c, int rc, const char *op)
{
    char q[256];
    log_err(SUBSYS, "sqlite call failed", "backend=sqlite op=%s rc=%d err=%s", op, rc,
            log_quote(q, sizeof q, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
    return ONAIR_EIO;
}

static bool is_unique_violation(int rc)
{
    return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* A caller-supplied string that must fit a result field of max bytes (plus
 * NUL). Checked before writing so that every stored value can be read back
 * into its fixed-size field. */
static bool text_fits(const char *s, size_t max, bool may_be_empty)
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
            fail(c, rc, op);
            sqlite3_finalize(c->stmt[id]);
            c->stmt[id] = NULL;
            return NULL;
        }
    }
    /* Every user resets its statement before returning (see the top). */
    assert(!sqlite3_stmt_busy(c->stmt[id]));
    return c->stmt[id];
}

/* Ends one use of a statement: no open read snapshot, no borrowed pointers. */
static void done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Bind helpers keep the first failure in *rc and skip the rest, so a run of
 * binds is checked once. Strings are SQLITE_STATIC: done() clears them
 * before the caller's memory can go away. */
static void bind_text(sqlite3_stmt *s, int i, const char *v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void bind_i64(sqlite3_stmt *s, int i, int64_t v, int *rc)
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
static int col_text(struct store_conn *c, sqlite3_stmt *s, int col, char *dst, size_t cap,
                    const char *op)
{
    assert(cap > 0);
    const unsigned char *t = sqlite3_column_text(s, col);
    if (!t) {
        /* NULL in a NOT NULL column, or out of memory converting it. */
        int rc = sqlite3_errcode(c->db);
        if (rc == SQLITE_NOMEM)
            return fail(c, rc, op);
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
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    /* A write never yields rows here; a row would mean a wrong stmt_sql. */
    assert(rc != SQLITE_ROW);
    return rc;
}

/* ---- transactions ---- */

static int tx_begin(struct store_conn *c, const char *op)
{
    sqlite3_stmt *s = prep(c, S_BEGIN, op);
    if (!s)
        return ONAIR_EIO;
    int rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    done(s);
    return err;
}

static void tx_rollback(struct store_conn *c, const char *op)
{
    /* Some errors (BUSY, IOERR, FULL, NOMEM) already rolled back for us. */
    if (sqlite3_get_autocommit(c->db))
        return;
    sqlite3_stmt *s = prep(c, S_ROLLBACK, op);
    if (!s)
        return;
    int rc = run(s);
    if (rc != SQLITE_DONE)
        fail(c, rc, op);
    done(s);
}

/* Commits, or rolls back if the commit fails. Returns 0 or EIO. */
static int tx_commit(struct store_conn *c, const char *op)
{
    sqlite3_stmt *s = prep(c, S_COMMIT, op);
    if (!s) {
        tx_rollback(c, op);
        return ONAIR_EIO;
    }
    int rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    done(s);
    if (err)
        tx_rollback(c, op);
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
        return fail(c, rc, op);
    struct store_user u = {0};
    u.id = sqlite3_column_int64(s, 0);
    int err = col_text(c, s, 1, u.username, sizeof u.username, op);
    if (!err)
        err = col_text(c, s, 2, u.password_hash, sizeof u.password_hash, op);
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
    int err = col_text(c, s, 2, ch.name, sizeof ch.name, op);
    if (!err)
        err = col_text(c, s, 3, ch.title, sizeof ch.title, op);
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
        return fail(c, rc, op);
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
            return fail(c, rc, "open");
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
    /* Defensive mode forbids the SQL that can corrupt a database file
     * (writable_schema and the like); we never need it. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

    rc = sqlite3_exec(c->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
        err = fail(c, rc, "open");
        goto close;
    }
    if ((err = enable_wal(c, opt->busy_timeout_ms)))
        goto close;
    /* These two are silently ignored if unsupported, so read them back:
     * without them the durability and integrity promises do not hold. */
    char v[16];
    if ((rc = pragma_text(c, "PRAGMA foreign_keys", v, sizeof v)) != SQLITE_ROW) {
        err = fail(c, rc, "open");
        goto close;
    }
    if (strcmp(v, "1") != 0) {
        log_err(SUBSYS, "foreign keys unsupported", "backend=sqlite");
        err = ONAIR_EIO;
        goto close;
    }
    if ((rc = pragma_text(c, "PRAGMA synchronous", v, sizeof v)) != SQLITE_ROW) {
        err = fail(c, rc, "open");
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
    if (c->db) {
        int rc = sqlite3_close(c->db);
        /* BUSY here means a statement escaped stmt[]: a bug, not I/O. */
        assert(rc == SQLITE_OK);
        if (rc != SQLITE_OK)
            fail(c, rc, "close");
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
        err = fail(c, rc, "migrate");
    done(s);
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
        if ((err = tx_begin(c, "migrate")))
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
            tx_rollback(c, "migrate");
            break;
        }
        int rc = sqlite3_exec(c->db, store__sqlite_migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            log_err(SUBSYS, "migration failed", "backend=sqlite to_version=%lld",
                    (long long)version + 1);
            err = fail(c, rc, "migrate");
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
        if ((err = tx_commit(c, "migrate")))
            return err;
        log_info(SUBSYS, "migrated", "backend=sqlite version=%lld", (long long)after);
        version = after;
    }
    return 0;

rollback:
    tx_rollback(c, "migrate");
    return err;
}

/* ---- users and channels ---- */

static int user_create(struct store_conn *c, const struct store_new_user *in,
                       struct store_user *user_out, struct store_channel *channel_out)
{
    static const char op[] = "user_create";
    assert(c);
    if (!in || !user_out || !channel_out || !text_fits(in->username, STORE_USERNAME_MAX, false) ||
        !text_fits(in->password_hash, STORE_PWHASH_MAX, false) ||
        !text_fits(in->channel_title, STORE_TITLE_MAX, true) ||
        !text_fits(in->stream_key, STORE_KEY_MAX, false))
        return ONAIR_EINVAL;

    int err = tx_begin(c, op);
    if (err)
        return err;

    sqlite3_stmt *s = prep(c, S_USER_INSERT, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    int rc = SQLITE_OK;
    bind_text(s, 1, in->username, &rc);
    bind_text(s, 2, in->password_hash, &rc);
    bind_i64(s, 3, in->now, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    if (rc != SQLITE_DONE)
        err = is_unique_violation(rc) ? ONAIR_ECONFLICT : fail(c, rc, op);
    done(s);
    if (err)
        goto rollback;
    int64_t uid = sqlite3_last_insert_rowid(c->db);

    s = prep(c, S_CHANNEL_INSERT, op);
    if (!s) {
        err = ONAIR_EIO;
        goto rollback;
    }
    rc = SQLITE_OK;
    bind_i64(s, 1, uid, &rc);
    bind_text(s, 2, in->username, &rc);
    bind_text(s, 3, in->channel_title, &rc);
    bind_text(s, 4, in->stream_key, &rc);
    bind_hash(s, 5, in->stream_key_hash, &rc);
    bind_i64(s, 6, in->now, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    /* A channel named like an existing one, or a stream key hash already in
     * use: either way the signup conflicts and the user row goes too. */
    if (rc != SQLITE_DONE)
        err = is_unique_violation(rc) ? ONAIR_ECONFLICT : fail(c, rc, op);
    done(s);
    if (err)
        goto rollback;
    int64_t cid = sqlite3_last_insert_rowid(c->db);

    if ((err = tx_commit(c, op)))
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
    tx_rollback(c, op);
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
    bind_text(s, 1, username, &rc);
    int err = rc == SQLITE_OK ? read_user(c, s, out, op) : fail(c, rc, op);
    done(s);
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
    bind_i64(s, 1, id, &rc);
    int err = rc == SQLITE_OK ? read_user(c, s, out, op) : fail(c, rc, op);
    done(s);
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
    bind_text(s, 1, name, &rc);
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : fail(c, rc, op);
    done(s);
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
    bind_i64(s, 1, owner_id, &rc);
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : fail(c, rc, op);
    done(s);
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
        err = fail(c, rc, op);
    done(s);
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

static int channel_set_title(struct store_conn *c, const char *name, int64_t owner_id,
                             const char *title)
{
    static const char op[] = "channel_set_title";
    assert(c);
    if (!name || !text_fits(title, STORE_TITLE_MAX, true))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_CHANNEL_SET_TITLE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_text(s, 1, title, &rc);
    bind_text(s, 2, name, &rc);
    bind_i64(s, 3, owner_id, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    bool changed = !err && sqlite3_changes(c->db) > 0;
    done(s);
    if (err || changed)
        return err;

    /* Nothing matched name+owner: tell "no such channel" from "not yours".
     * Channels are never deleted and never change owner, so this answer
     * can't be contradicted by a write between the two statements. */
    s = prep(c, S_CHANNEL_OWNER_BY_NAME, op);
    if (!s)
        return ONAIR_EIO;
    rc = SQLITE_OK;
    bind_text(s, 1, name, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        err = ONAIR_EDENIED;
    else if (rc == SQLITE_DONE)
        err = ONAIR_ENOTFOUND;
    else
        err = fail(c, rc, op);
    done(s);
    return err;
}

static int channel_set_live(struct store_conn *c, int64_t channel_id, bool live, int64_t started_at)
{
    static const char op[] = "channel_set_live";
    assert(c);
    sqlite3_stmt *s = prep(c, S_CHANNEL_SET_LIVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_i64(s, 1, live ? 1 : 0, &rc);
    /* store.h: started_at is 0 while offline, whatever the caller passed. */
    bind_i64(s, 2, live ? started_at : 0, &rc);
    bind_i64(s, 3, channel_id, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    if (!err && sqlite3_changes(c->db) == 0)
        err = ONAIR_ENOTFOUND;
    done(s);
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
    bind_i64(s, 1, owner_id, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err;
    if (rc == SQLITE_ROW)
        err = col_text(c, s, 0, key_out, STORE_KEY_MAX + 1, op);
    else if (rc == SQLITE_DONE)
        err = ONAIR_ENOTFOUND;
    else
        err = fail(c, rc, op);
    done(s);
    return err;
}

static int channels_reset_live(struct store_conn *c)
{
    static const char op[] = "channels_reset_live";
    assert(c);
    sqlite3_stmt *s = prep(c, S_CHANNELS_RESET_LIVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    done(s);
    return err;
}

static int stream_key_set(struct store_conn *c, int64_t owner_id, const char *key,
                          const uint8_t key_hash[STORE_HASH_LEN])
{
    static const char op[] = "stream_key_set";
    assert(c);
    if (!text_fits(key, STORE_KEY_MAX, false) || !key_hash)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, S_KEY_SET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_text(s, 1, key, &rc);
    bind_hash(s, 2, key_hash, &rc);
    bind_i64(s, 3, owner_id, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    int err;
    if (rc == SQLITE_DONE)
        err = sqlite3_changes(c->db) > 0 ? 0 : ONAIR_ENOTFOUND;
    else
        err = is_unique_violation(rc) ? ONAIR_ECONFLICT : fail(c, rc, op);
    done(s);
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
    int err = rc == SQLITE_OK ? read_channel(c, s, out, op) : fail(c, rc, op);
    done(s);
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
    bind_text(s, 2, t->family, &rc);
    bind_i64(s, 3, t->user_id, &rc);
    bind_i64(s, 4, t->expires_at, &rc);
    bind_i64(s, 5, now, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    int err = 0;
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        err = ONAIR_ENOTFOUND;
    else if (is_unique_violation(rc))
        err = ONAIR_ECONFLICT;
    else if (rc != SQLITE_DONE)
        err = fail(c, rc, op);
    done(s);
    return err;
}

/* Sets revoked_at on every not-yet-revoked token of a family. */
static int revoke_family(struct store_conn *c, const char *family, int64_t now, const char *op)
{
    sqlite3_stmt *s = prep(c, S_REFRESH_REVOKE_FAMILY, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    bind_i64(s, 1, now, &rc);
    bind_text(s, 2, family, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    int err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    done(s);
    return err;
}

static int refresh_insert(struct store_conn *c, const struct store_refresh *t, int64_t now)
{
    assert(c);
    if (!t || !text_fits(t->family, STORE_KEY_MAX, false))
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
    int err = tx_begin(c, op);
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
        err = col_text(c, s, 0, family, sizeof family, op);
        user_id = sqlite3_column_int64(s, 1);
        expires_at = sqlite3_column_int64(s, 2);
        spent = sqlite3_column_int(s, 3) != 0;
    } else if (rc == SQLITE_DONE) {
        err = ONAIR_ENOTFOUND;
    } else {
        err = fail(c, rc, op);
    }
    done(s);
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
        if ((err = tx_commit(c, op)))
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
    bind_i64(s, 1, now, &rc);
    bind_hash(s, 2, old_hash, &rc);
    if (rc == SQLITE_OK)
        rc = run(s);
    err = rc == SQLITE_DONE ? 0 : fail(c, rc, op);
    /* We hold the write lock and just saw the token unspent. */
    assert(err || sqlite3_changes(c->db) == 1);
    done(s);
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
    bind_i64(s, 1, user_id, &rc);
    err = rc == SQLITE_OK ? read_user(c, s, &u, op) : fail(c, rc, op);
    done(s);
    if (err)
        goto rollback;

    if ((err = tx_commit(c, op)))
        return err;
    *next = n;
    *user_out = u;
    return 0;

rollback:
    tx_rollback(c, op);
    return err;
}

static int refresh_revoke(struct store_conn *c, const uint8_t hash[STORE_HASH_LEN], int64_t now,
                          char *family_out)
{
    static const char op[] = "refresh_revoke";
    assert(c);
    if (!hash)
        return ONAIR_EINVAL;
    int err = tx_begin(c, op);
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
        err = col_text(c, s, 0, family, sizeof family, op);
    else if (rc == SQLITE_DONE)
        err = ONAIR_ENOTFOUND;
    else
        err = fail(c, rc, op);
    done(s);
    if (err)
        goto rollback;

    /* Revoking an already revoked family is a no-op, not an error: logging
     * out twice is fine. */
    if ((err = revoke_family(c, family, now, op)))
        goto rollback;
    if ((err = tx_commit(c, op)))
        return err;
    if (family_out)
        memcpy(family_out, family, sizeof family);
    return 0;

rollback:
    tx_rollback(c, op);
    return err;
}

static int refresh_revoke_family(struct store_conn *c, const char *family, int64_t now)
{
    static const char op[] = "refresh_revoke_family";
    assert(c);
    if (!family)
        return ONAIR_EINVAL;
    /* One statement, but possibly many rows: all of them or none. */
    int err = tx_begin(c, op);
    if (err)
        return err;
    if ((err = revoke_family(c, family, now, op))) {
        tx_rollback(c, op);
        return err;
    }
    return tx_commit(c, op);
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
    bind_i64(s, 1, since, &rc);

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
            if ((err = col_text(c, s, 0, fams[len], sizeof fams[len], op)))
                break;
            len++;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = fail(c, rc, op);
    done(s);
    if (!err)
        for (size_t i = 0; i < len; i++)
            fn(fams[i], arg);
    free(fams);
    return err;
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
};
