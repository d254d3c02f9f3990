#include "store/sqlite_migrations.h"

/*
 * STRICT tables make SQLite refuse a value of the wrong type instead of
 * storing it anyway, so a bug binding text to an integer column fails loudly
 * (SQLite 3.37+). Secrets are never stored: stream_key is shown to its owner
 * on request, but ingest and refresh look things up by SHA-256 hash only.
 */
/* Migration 2: the search tag of a room, from its chat_room_tags id: three
 * characters of the private use plane U+F0000..U+FFFFF (16 bits of the id
 * each), so exactly one trigram, distinct for every room. sqlite.c builds
 * the same string (room_tag()). */
#define ROOM_TAG(id)                                                                               \
    "char(983040 + (" id " & 65535), 983040 + ((" id " >> 16) & 65535),"                           \
    " 983040 + ((" id " >> 32) & 65535))"

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

    /* 2: chat (issue 4): the event log of every room with its trigram
     * search index, user rooms, moderators, bans, slow mode. */
    /* Every event of every room, donations included (issue 5). A rowid
     * table, not WITHOUT ROWID, so that the FTS index can point at rows by
     * id and search pages newest-first by id. Rows are append-only: only
     * `deleted` ever changes, and only from 0 to 1 (triggers below), which
     * is what keeps the external-content index exact. There is no foreign
     * key on user_id: the log keeps who spoke (with the name they had), and
     * one bad id must not fail a whole group commit. */
    "CREATE TABLE chat_events (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    room TEXT NOT NULL,\n"
    "    seq INTEGER NOT NULL CHECK (seq > 0),\n"
    "    type TEXT NOT NULL CHECK (type IN ('message', 'donation', 'deleted', 'system')),\n"
    "    user_id INTEGER,\n"
    "    username TEXT,\n"
    "    text TEXT NOT NULL DEFAULT '',\n"
    "    amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),\n"
    "    ts INTEGER NOT NULL,\n"
    "    ref_seq INTEGER,\n"
    "    client_id TEXT,\n"
    "    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),\n"
    "    UNIQUE (room, seq)\n"
    ") STRICT;\n"
    /* Within a room seqs only grow, so the (room, seq) index is also the
     * room's storage order. The check reads the end of the same index range
     * the insert is about to write. */
    "CREATE TRIGGER chat_events_seq_grows BEFORE INSERT ON chat_events\n"
    "WHEN new.seq <= (SELECT max(seq) FROM chat_events WHERE room = new.room)\n"
    "BEGIN SELECT RAISE(ABORT, 'chat seq not above the room''s last'); END;\n"
    "CREATE TRIGGER chat_events_append_only BEFORE UPDATE OF id, room, seq, type, text\n"
    "ON chat_events\n"
    "BEGIN SELECT RAISE(ABORT, 'chat events are append-only'); END;\n"
    "CREATE TRIGGER chat_events_no_undelete BEFORE UPDATE OF deleted ON chat_events\n"
    "WHEN old.deleted = 1 AND new.deleted = 0\n"
    "BEGIN SELECT RAISE(ABORT, 'a deleted chat event stays deleted'); END;\n"
    /* Substring search: trigrams of the text of messages and donations
     * that are not deleted, which is exactly what the view
     * chat_fts_content holds.
     * - Each text is indexed with two U+0001 sentinels after it, so that
     *   every character of it starts a trigram, even at the very end: a
     *   1-2 character query is the OR of the trigrams that start with it,
     *   found through chat_fts_vocab.
     * - Column `tag` holds one trigram naming the room (ROOM_TAG), so a
     *   search in one room is an AND inside the index, as cheap for a small
     *   room as for a big one, instead of a walk over every match in every
     *   room.
     * External content: the text is stored once, in chat_events, and the
     * view tells FTS5 what was indexed ('rebuild' and 'integrity-check'
     * work). columnsize=0: nothing ranks by length. The triggers index a
     * row when it is inserted, and unindex it with the very values it was
     * indexed with when it is marked deleted or removed. */
    "CREATE TABLE chat_room_tags (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    room TEXT NOT NULL UNIQUE\n"
    ") STRICT;\n"
    "CREATE TRIGGER chat_events_room_tag BEFORE INSERT ON chat_events\n"
    "BEGIN INSERT INTO chat_room_tags (room) VALUES (new.room) ON CONFLICT DO NOTHING; END;\n"
    "CREATE VIEW chat_fts_content AS\n"
    "SELECT e.id AS id, e.text || char(1, 1) AS text, " ROOM_TAG(
        "t.id") " AS tag\n"
                "FROM chat_events e JOIN chat_room_tags t ON t.room = e.room\n"
                "WHERE e.type IN ('message', 'donation') AND e.deleted = 0;\n"
                "CREATE VIRTUAL TABLE chat_fts USING fts5(\n"
                "    text, tag, content = 'chat_fts_content', content_rowid = 'id',\n"
                "    tokenize = 'trigram', columnsize = 0\n"
                ");\n"
                "CREATE VIRTUAL TABLE chat_fts_vocab USING fts5vocab(chat_fts, 'row');\n"
                "CREATE TRIGGER chat_events_fts_insert AFTER INSERT ON chat_events\n"
                "WHEN new.type IN ('message', 'donation') AND new.deleted = 0\n"
                "BEGIN INSERT INTO chat_fts (rowid, text, tag)\n"
                "    SELECT new.id, new.text || char(1, 1), " ROOM_TAG(
                    "t.id") "\n"
                            "    FROM chat_room_tags t WHERE t.room = new.room;\n"
                            "END;\n"
                            "CREATE TRIGGER chat_events_fts_unindex AFTER UPDATE OF deleted ON "
                            "chat_events\n"
                            "WHEN old.deleted = 0 AND new.deleted = 1 AND old.type IN ('message', "
                            "'donation')\n"
                            "BEGIN INSERT INTO chat_fts (chat_fts, rowid, text, tag)\n"
                            "    SELECT 'delete', old.id, old.text || char(1, 1), " ROOM_TAG(
                                "t.id") "\n"
                                        "    FROM chat_room_tags t WHERE t.room = old.room;\n"
                                        "END;\n"
                                        "CREATE TRIGGER chat_events_fts_remove AFTER DELETE ON "
                                        "chat_events\n"
                                        "WHEN old.deleted = 0 AND old.type IN ('message', "
                                        "'donation')\n"
                                        "BEGIN INSERT INTO chat_fts (chat_fts, rowid, text, tag)\n"
                                        "    SELECT 'delete', old.id, old.text || char(1, "
                                        "1), " ROOM_TAG(
                                            "t.id") "\n"
                                                    "    FROM chat_room_tags t WHERE t.room = "
                                                    "old.room;\n"
                                                    "END;\n"
                                                    /* User rooms ("room:{id}"). Their slow mode
                                                     * lives in room_settings like every other
                                                     * room's. */
                                                    "CREATE TABLE chat_rooms (\n"
                                                    "    id INTEGER PRIMARY KEY,\n"
                                                    "    title TEXT NOT NULL,\n"
                                                    "    private INTEGER NOT NULL CHECK (private "
                                                    "IN (0, 1)),\n"
                                                    "    owner_id INTEGER NOT NULL REFERENCES "
                                                    "users(id),\n"
                                                    "    created_at INTEGER NOT NULL\n"
                                                    ") STRICT;\n"
                                                    "CREATE TABLE chat_room_members (\n"
                                                    "    room_id INTEGER NOT NULL REFERENCES "
                                                    "chat_rooms(id),\n"
                                                    "    user_id INTEGER NOT NULL REFERENCES "
                                                    "users(id),\n"
                                                    "    PRIMARY KEY (room_id, user_id)\n"
                                                    ") STRICT, WITHOUT ROWID;\n"
                                                    /* room_list: the private rooms of one user. */
                                                    "CREATE INDEX chat_room_members_user ON "
                                                    "chat_room_members(user_id, room_id);\n"
                                                    "CREATE TABLE channel_moderators (\n"
                                                    "    channel_id INTEGER NOT NULL REFERENCES "
                                                    "channels(id),\n"
                                                    "    user_id INTEGER NOT NULL REFERENCES "
                                                    "users(id),\n"
                                                    "    PRIMARY KEY (channel_id, user_id)\n"
                                                    ") STRICT, WITHOUT ROWID;\n"
                                                    /* until_ms: end of a timeout, or 0 for a ban
                                                       that does not end. */
                                                    "CREATE TABLE room_bans (\n"
                                                    "    room TEXT NOT NULL,\n"
                                                    "    user_id INTEGER NOT NULL REFERENCES "
                                                    "users(id),\n"
                                                    "    until_ms INTEGER NOT NULL CHECK (until_ms "
                                                    ">= 0),\n"
                                                    "    reason TEXT NOT NULL DEFAULT '',\n"
                                                    "    PRIMARY KEY (room, user_id)\n"
                                                    ") STRICT, WITHOUT ROWID;\n"
                                                    /* Per-room settings of channel and user rooms
                                                     * alike, by room string. cleared_seq: every
                                                     * message and donation up to it is already
                                                     * marked deleted by a clear, so the next clear
                                                     * starts after it. */
                                                    "CREATE TABLE room_settings (\n"
                                                    "    room TEXT NOT NULL PRIMARY KEY,\n"
                                                    "    slow_seconds INTEGER NOT NULL DEFAULT 0 "
                                                    "CHECK (slow_seconds >= 0),\n"
                                                    "    cleared_seq INTEGER NOT NULL DEFAULT 0\n"
                                                    ") STRICT, WITHOUT ROWID;\n"
                                                    "PRAGMA user_version = 2;\n",

    /* 3: what a "system" event records ("ban", "timeout", "unban", "slow",
     * "clear"), so a client replaying the log can act on it (a "clear"
     * hides everything before it) instead of parsing its text. */
    ("ALTER TABLE chat_events ADD COLUMN action TEXT NOT NULL DEFAULT '';\n"
     "PRAGMA user_version = 3;\n"),

    /* 4: points. Double-entry: ledger_tx holds movements, ledger_entries
     * their legs (summing to zero per transaction), accounts the running
     * balance of each account, updated in the same transaction as its
     * entries. "user:{id}" accounts never go negative (CHECK); points enter
     * from "provider:{name}" accounts, which do. */
    ("CREATE TABLE accounts (\n"
     "    id TEXT PRIMARY KEY,\n"
     "    balance INTEGER NOT NULL DEFAULT 0,\n"
     "    CHECK (balance >= 0 OR id LIKE 'provider:%')\n"
     ") STRICT, WITHOUT ROWID;\n"
     "CREATE TABLE ledger_tx (\n"
     "    id INTEGER PRIMARY KEY,\n"
     "    kind TEXT NOT NULL CHECK (kind IN ('charge', 'donation')),\n"
     "    created_at INTEGER NOT NULL\n"
     ") STRICT;\n"
     "CREATE TABLE ledger_entries (\n"
     "    tx_id INTEGER NOT NULL REFERENCES ledger_tx(id),\n"
     "    account TEXT NOT NULL REFERENCES accounts(id),\n"
     "    amount INTEGER NOT NULL CHECK (amount <> 0),\n"
     "    PRIMARY KEY (tx_id, account)\n"
     ") STRICT, WITHOUT ROWID;\n"
     "CREATE INDEX ledger_entries_account ON ledger_entries(account);\n"
     /* Charges. The approve is one conditional update ready -> approved
      * that also sets tx_id, so a payment credits at most once. */
     "CREATE TABLE payments (\n"
     "    id TEXT PRIMARY KEY,\n"
     "    user_id INTEGER NOT NULL REFERENCES users(id),\n"
     "    provider TEXT NOT NULL,\n"
     "    amount INTEGER NOT NULL CHECK (amount > 0),\n"
     "    status TEXT NOT NULL CHECK (status IN ('ready', 'approved', 'cancelled', 'failed')),\n"
     "    provider_tid TEXT UNIQUE,\n"
     "    created_at INTEGER NOT NULL,\n"
     "    expires_at INTEGER NOT NULL,\n"
     "    approved_at INTEGER,\n"
     "    tx_id INTEGER UNIQUE REFERENCES ledger_tx(id),\n"
     "    CHECK ((status = 'approved') = (tx_id IS NOT NULL))\n"
     ") STRICT, WITHOUT ROWID;\n"
     "CREATE INDEX payments_user ON payments(user_id, created_at);\n"
     /* Donations, each with its ledger transaction and its chat event
      * (room "channel:{to_name}", chat_seq). (from_user, idempotency_key)
      * is unique: a retry finds the first one. */
     "CREATE TABLE donations (\n"
     "    id INTEGER PRIMARY KEY,\n"
     "    from_user INTEGER NOT NULL,\n"
     "    from_name TEXT NOT NULL,\n"
     "    to_user INTEGER NOT NULL,\n"
     "    to_name TEXT NOT NULL,\n"
     "    amount INTEGER NOT NULL CHECK (amount > 0),\n"
     "    message TEXT NOT NULL DEFAULT '',\n"
     "    idempotency_key TEXT NOT NULL,\n"
     "    created_at INTEGER NOT NULL,\n"
     "    tx_id INTEGER NOT NULL UNIQUE REFERENCES ledger_tx(id),\n"
     "    chat_seq INTEGER NOT NULL,\n"
     "    UNIQUE (from_user, idempotency_key)\n"
     ") STRICT;\n"
     "CREATE INDEX donations_to ON donations(to_user, id);\n"
     "CREATE INDEX donations_from ON donations(from_user, id);\n"
     "PRAGMA user_version = 4;\n"),

    /* 5: overlay keys (issue 6), one per channel at most. Kept as they are,
     * not hashed: the owner is shown the key again, and it only lets an OBS
     * browser source read the channel's room, which is public anyway. */
    ("CREATE TABLE overlay_keys (\n"
     "    channel_id INTEGER PRIMARY KEY REFERENCES channels(id),\n"
     "    key TEXT NOT NULL UNIQUE,\n"
     "    created_at INTEGER NOT NULL\n"
     ") STRICT;\n"
     "PRAGMA user_version = 5;\n"),

    /* 6: the writer indexes each transaction's new chat rows with one
     * INSERT ... SELECT (sqlite.c, fts_index_pending) instead of this
     * per-row trigger: FTS5 flushes its pending terms at every statement,
     * so per-row indexing wrote one index segment per event. */
    ("DROP TRIGGER chat_events_fts_insert;\n"
     "PRAGMA user_version = 6;\n"),
};

const unsigned store__sqlite_migration_count =
    sizeof store__sqlite_migrations / sizeof store__sqlite_migrations[0];
