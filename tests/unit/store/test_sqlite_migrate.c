/*
 * test_sqlite_migrate.c - what only the SQLite backend promises: where the
 * file lives and how it is opened, the schema versioning in user_version, and
 * that rows this binary would not have written (a value too long for its
 * field) fail cleanly instead of overflowing. Inspects the database file with
 * a raw sqlite3 connection of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/err.h"
#include "store/sqlite_migrations.h"
#include "store/store.h"

#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct store_backend *const B = &store_sqlite_backend;

struct fx {
    char root[64];
    char dir[128]; /* root/nested/data: open() creates both levels */
    char db[160];  /* dir/onair.db */
    struct store_options opt;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/onair-migrate-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/nested/data", f->root);
    snprintf(f->db, sizeof f->db, "%s/onair.db", f->dir);
    f->opt.data_dir = f->dir;
    f->opt.busy_timeout_ms = 10000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- raw access to the file, bypassing the backend ---- */

static sqlite3 *raw_open(struct fx *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* The first column of the first row as an integer (-1 when no row). */
static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* The schema as text, to compare before and after. */
static char *raw_schema(sqlite3 *db)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(sql, ';') FROM (SELECT sql FROM "
                                        "sqlite_schema WHERE sql IS NOT NULL ORDER BY name)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(s, 0);
    char *copy = xstrdup(t ? t : "");
    sqlite3_finalize(s);
    return copy;
}

static int64_t version_of(struct fx *f)
{
    sqlite3 *db = raw_open(f);
    int64_t v = raw_int(db, "PRAGMA user_version");
    sqlite3_close(db);
    return v;
}

static void mkdir_data(struct fx *f)
{
    char mid[160];
    snprintf(mid, sizeof mid, "%s/nested", f->root);
    assert_int_equal(mkdir(mid, 0700), 0);
    assert_int_equal(mkdir(f->dir, 0700), 0);
}

/* ---- tests ---- */

static void test_fresh_database_is_migrated_to_latest(void **state)
{
    struct fx *f = *state;
    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);

    /* open() alone creates the private data directory, not the schema. */
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(version_of(f), 0);

    assert_int_equal(B->migrate(c), 0);
    assert_true(store__sqlite_migration_count >= 1);
    assert_int_equal(version_of(f), store__sqlite_migration_count);

    sqlite3 *db = raw_open(f);
    /* WAL is a property of the file, so the raw connection sees it too. */
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    /* Tables are STRICT, indexes exist. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_list WHERE strict = 1 AND name "
                                 "IN ('users', 'channels', 'refresh_tokens')"),
                     3);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name "
                                 "IN ('refresh_tokens_family', 'refresh_tokens_revoked')"),
                     2);
    /* Strict typing: text in an integer column is refused by the schema. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO users (username, password_hash, created_at) "
                                      "VALUES ('x', 'y', 'not a number')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    B->close(c);
}

static void test_migrate_is_idempotent(void **state)
{
    struct fx *f = *state;
    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), 0);
    sqlite3 *db = raw_open(f);
    char *before = raw_schema(db);
    sqlite3_close(db);

    assert_int_equal(B->migrate(c), 0);
    B->close(c);
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), 0);
    B->close(c);

    db = raw_open(f);
    char *after = raw_schema(db);
    sqlite3_close(db);
    assert_string_equal(before, after);
    assert_int_equal(version_of(f), store__sqlite_migration_count);
    free(before);
    free(after);
}

/* A database written by a newer onair is left alone, not half-understood. */
static void test_newer_database_is_refused(void **state)
{
    struct fx *f = *state;
    mkdir_data(f);
    sqlite3 *db = raw_open(f);
    raw_exec(db, "CREATE TABLE future (x INTEGER)");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %u", store__sqlite_migration_count + 1);
    raw_exec(db, sql);
    sqlite3_close(db);

    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), ONAIR_EIO);
    B->close(c);

    assert_int_equal(version_of(f), store__sqlite_migration_count + 1);
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'users'"), 0);
    sqlite3_close(db);
}

/* A migration that fails part-way leaves no trace: it runs in one
 * transaction, and the version is not bumped. */
static void test_failed_migration_rolls_back(void **state)
{
    struct fx *f = *state;
    mkdir_data(f);
    sqlite3 *db = raw_open(f);
    /* Makes migration 1's CREATE TABLE refresh_tokens (its third table)
     * fail after users and channels were already created. */
    raw_exec(db, "CREATE TABLE refresh_tokens (x INTEGER)");
    sqlite3_close(db);

    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), ONAIR_EIO);
    B->close(c);

    assert_int_equal(version_of(f), 0);
    db = raw_open(f);
    assert_int_equal(
        raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('users', 'channels')"), 0);
    /* Once the obstacle is gone, migration succeeds. */
    raw_exec(db, "DROP TABLE refresh_tokens");
    sqlite3_close(db);
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), 0);
    B->close(c);
    assert_int_equal(version_of(f), store__sqlite_migration_count);
}

struct migrator {
    struct store_options opt;
    int result;
};

static void *migrate_thread(void *arg)
{
    struct migrator *m = arg;
    struct store_conn *c;
    m->result = B->open(&m->opt, &c);
    if (m->result == 0) {
        m->result = B->migrate(c);
        B->close(c);
    }
    return NULL;
}

/* Several processes or threads starting at once on a brand-new data
 * directory: nobody fails, and the schema ends at the latest version.
 * (The first switch to WAL is the racy step; repeated to catch it.) */
static void test_concurrent_first_open_and_migrate(void **state)
{
    struct fx *f = *state;
    enum { ROUNDS = 40, N = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        char dir[160];
        snprintf(dir, sizeof dir, "%s/round%d", f->root, round);
        struct migrator m[N];
        pthread_t th[N];
        for (int i = 0; i < N; i++) {
            m[i] = (struct migrator){.opt = {.data_dir = dir, .busy_timeout_ms = 10000},
                                     .result = -100};
            assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
            assert_int_equal(m[i].result, 0);
        }
    }
    /* The schema is there: a lookup answers "not found", not an error. */
    char last[160];
    snprintf(last, sizeof last, "%s/round%d", f->root, ROUNDS - 1);
    struct store_options opt = {.data_dir = last, .busy_timeout_ms = 1000};
    struct store_conn *c;
    assert_int_equal(B->open(&opt, &c), 0);
    struct store_user u;
    assert_int_equal(B->user_by_name(c, "nobody", &u), ONAIR_ENOTFOUND);
    B->close(c);
}

/* Before migrate(), operations fail cleanly instead of crashing. */
static void test_operations_before_migrate_fail(void **state)
{
    struct fx *f = *state;
    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);
    struct store_user u;
    assert_int_equal(B->user_by_name(c, "alice", &u), ONAIR_EIO);
    struct store_channel *list;
    size_t n;
    assert_int_equal(B->channel_list(c, &list, &n), ONAIR_EIO);
    assert_int_equal(B->migrate(c), 0);
    /* The statement that failed to prepare is prepared once tables exist. */
    assert_int_equal(B->user_by_name(c, "alice", &u), ONAIR_ENOTFOUND);
    B->close(c);
}

/* A stored value longer than its result field is an error, never an
 * overflow or a silently truncated name. */
static void test_oversized_stored_values_are_io_errors(void **state)
{
    struct fx *f = *state;
    struct store_conn *c;
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), 0);

    sqlite3 *db = raw_open(f);
    raw_exec(db, "INSERT INTO users (id, username, password_hash, created_at) VALUES"
                 " (1, 'abcdefghijklmnopqrstuvwxyz0123456789', 'h', 1),"
                 " (2, 'fine', 'h', 1),"
                 " (3, 'longhash', printf('%.*c', 200, 'x'), 1)");
    raw_exec(db, "INSERT INTO channels (owner_id, name, title, stream_key, stream_key_hash,"
                 " created_at) VALUES (2, 'fine', printf('%.*c', 500, 't'),"
                 " printf('%.*c', 100, 'k'), zeroblob(32), 1)");
    sqlite3_close(db);

    struct store_user u;
    memset(&u, 0x5a, sizeof u);
    assert_int_equal(B->user_by_id(c, 1, &u), ONAIR_EIO);
    assert_int_equal(B->user_by_id(c, 3, &u), ONAIR_EIO);
    assert_int_equal(B->user_by_id(c, 2, &u), 0);
    assert_string_equal(u.username, "fine");
    struct store_channel ch;
    assert_int_equal(B->channel_by_name(c, "fine", &ch), ONAIR_EIO);
    struct store_channel *list = NULL;
    size_t n = 7;
    assert_int_equal(B->channel_list(c, &list, &n), ONAIR_EIO);
    assert_null(list);
    assert_int_equal(n, 0);
    char key[STORE_KEY_MAX + 1];
    assert_int_equal(B->stream_key_get(c, 2, key), ONAIR_EIO);
    /* The connection is still usable afterwards. */
    assert_int_equal(B->user_by_id(c, 2, &u), 0);
    B->close(c);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = (void *)1;
    /* data_dir exists but is a file */
    char file[160];
    snprintf(file, sizeof file, "%s/plainfile", f->root);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    struct store_options opt = {.data_dir = file, .busy_timeout_ms = 100};
    assert_int_equal(B->open(&opt, &c), ONAIR_EIO);
    assert_null(c);
    opt.data_dir = "";
    assert_int_equal(B->open(&opt, &c), ONAIR_EINVAL);
    opt.data_dir = NULL;
    assert_int_equal(B->open(&opt, &c), ONAIR_EINVAL);
    opt.data_dir = f->dir;
    opt.busy_timeout_ms = -1;
    assert_int_equal(B->open(&opt, &c), ONAIR_EINVAL);
}

/* A writer that finds the database locked past the busy timeout gets EIO,
 * and the connection works again once the lock is gone. */
static void test_busy_past_timeout_is_io_error(void **state)
{
    struct fx *f = *state;
    struct store_conn *c;
    f->opt.busy_timeout_ms = 50;
    assert_int_equal(B->open(&f->opt, &c), 0);
    assert_int_equal(B->migrate(c), 0);

    sqlite3 *db = raw_open(f);
    raw_exec(db, "BEGIN IMMEDIATE");
    struct store_new_user in = {
        .username = "alice",
        .password_hash = "h",
        .channel_title = "t",
        .stream_key = "k",
        .now = 1,
    };
    struct store_user u;
    struct store_channel ch;
    assert_int_equal(B->user_create(c, &in, &u, &ch), ONAIR_EIO);
    assert_int_equal(B->channel_set_title(c, "alice", 1, "x"), ONAIR_EIO);
    /* Readers are not blocked by a writer in WAL mode. */
    assert_int_equal(B->user_by_name(c, "alice", &u), ONAIR_ENOTFOUND);
    raw_exec(db, "ROLLBACK");
    sqlite3_close(db);

    assert_int_equal(B->user_create(c, &in, &u, &ch), 0);
    B->close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_fresh_database_is_migrated_to_latest),
        T(test_migrate_is_idempotent),
        T(test_newer_database_is_refused),
        T(test_failed_migration_rolls_back),
        T(test_concurrent_first_open_and_migrate),
        T(test_operations_before_migrate_fail),
        T(test_oversized_stored_values_are_io_errors),
        T(test_open_errors),
        T(test_busy_past_timeout_is_io_error),
#undef T
    };
    return cmocka_run_group_tests_name("sqlite_migrate", tests, NULL, NULL);
}
