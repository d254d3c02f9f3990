/*
 * sqlite_migrations.h - the SQLite schema as an ordered, append-only list of
 * SQL scripts. Private to the store subsystem (sqlite.c and its tests).
 *
 * Script i (0-based) takes a database from version i to version i + 1, where
 * the version is `PRAGMA user_version`. Each script ends by setting that
 * version itself, so the script and the number it records can never drift
 * apart; migrate() checks the invariant before it commits.
 *
 * Once a script has shipped it is never edited: a schema change is a new
 * script at the end. The scripts are constant text with no values in them,
 * which is why they may run through sqlite3_exec().
 */
#ifndef ONAIR_STORE_SQLITE_MIGRATIONS_H
#define ONAIR_STORE_SQLITE_MIGRATIONS_H

extern const char *const store__sqlite_migrations[];
/* How many scripts there are: the newest schema version this binary knows. */
extern const unsigned store__sqlite_migration_count;

#endif
