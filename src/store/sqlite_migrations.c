#include "store/sqlite_migrations.h"

/*
 * STRICT tables make SQLite refuse a value of the wrong type instead of
 * storing it anyway, so a bug binding text to an integer column fails loudly
 * (SQLite 3.37+). Secrets are never stored: stream_key is shown to its owner
 * on request, but ingest and refresh look things up by SHA-256 hash only.
 */
const char *const store__sqlite_migrations[] = {
    /* 1: users, channels, refresh tokens */
    "CREATE TABLE users (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    username TEXT NOT NULL UNIQUE,\n"
    "    password_hash TEXT NOT NULL,\n"
    "    created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TABLE channels (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    owner_id INTEGER NOT NULL UNIQUE REFERENCES users(id),\n"
    "    name TEXT NOT NULL UNIQUE,\n"
    "    title TEXT NOT NULL,\n"
    "    stream_key TEXT NOT NULL,\n"
    "    stream_key_hash BLOB NOT NULL UNIQUE CHECK (length(stream_key_hash) = 32),\n"
    "    live INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1)),\n"
    "    started_at INTEGER NOT NULL DEFAULT 0,\n"
    "    created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    /* used_at / revoked_at are NULL until the token is spent / revoked. */
    "CREATE TABLE refresh_tokens (\n"
    "    hash BLOB NOT NULL PRIMARY KEY CHECK (length(hash) = 32),\n"
    "    family TEXT NOT NULL,\n"
    "    user_id INTEGER NOT NULL REFERENCES users(id),\n"
    "    expires_at INTEGER NOT NULL,\n"
    "    created_at INTEGER NOT NULL,\n"
    "    used_at INTEGER,\n"
    "    revoked_at INTEGER\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family);\n"
    /* Partial: almost every token is unrevoked, and the only query on
     * revoked_at (revoked_families_since) asks for revoked ones. */
    "CREATE INDEX refresh_tokens_revoked ON refresh_tokens(revoked_at)\n"
    "    WHERE revoked_at IS NOT NULL;\n"
    "PRAGMA user_version = 1;\n",
};

const unsigned store__sqlite_migration_count =
    sizeof store__sqlite_migrations / sizeof store__sqlite_migrations[0];
