/*
 * store.h - persistent state behind one interface, and the threads it runs on.
 *
 * Two layers:
 *  1. struct store_backend: a table of synchronous operations on one backend
 *     connection (struct store_conn). sqlite.c implements it today; postgres.c
 *     will implement the same table. Every operation uses prepared
 *     statements only and maps its failures onto ONAIR_E* (core/err.h).
 *     A connection is used by exactly one thread at a time.
 *  2. struct store: a pool of store threads, each owning one connection,
 *     fed by one bounded job queue. An I/O loop never touches the database:
 *     it submits a job (runs on a store thread with that thread's connection)
 *     and gets a done callback back on its own loop. Nothing blocks a loop.
 *
 * Strings inside the result structs are fixed-size and NUL-terminated so that
 * results can cross threads by value with no ownership questions.
 */
#ifndef ONAIR_STORE_STORE_H
#define ONAIR_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

#define STORE_USERNAME_MAX 24 /* [a-z0-9_]{3,24} */
#define STORE_PWHASH_MAX 128  /* argon2id encoded string, crypto_pwhash_STRBYTES */
#define STORE_TITLE_MAX 400   /* bytes of UTF-8 (140 characters at most, checked by the API) */
#define STORE_KEY_MAX 64      /* stream keys and token family ids, URL-safe base64 */
#define STORE_HASH_LEN 32     /* SHA-256 of a secret; secrets themselves are never stored */

struct store_user {
    int64_t id;
    char username[STORE_USERNAME_MAX + 1];
    char password_hash[STORE_PWHASH_MAX + 1];
    int64_t created_at; /* unix ms */
};

struct store_channel {
    int64_t id;
    int64_t owner_id;
    char name[STORE_USERNAME_MAX + 1]; /* a channel is named after its owner */
    char title[STORE_TITLE_MAX + 1];
    bool live;
    int64_t started_at; /* unix ms of going live; 0 when offline */
};

/* What signup writes: the user and their channel, in one transaction. */
struct store_new_user {
    const char *username;                    /* already validated and case-folded */
    const char *password_hash;               /* argon2id string */
    const char *channel_title;               /* initial title */
    const char *stream_key;                  /* shown to the owner on request */
    uint8_t stream_key_hash[STORE_HASH_LEN]; /* looked up by RTMP ingest */
    int64_t now;                             /* unix ms */
};

/* One refresh token. Only its hash is kept; a family is the chain of tokens
 * that descend from one login, revoked together when reuse is detected. */
struct store_refresh {
    uint8_t hash[STORE_HASH_LEN];
    char family[STORE_KEY_MAX + 1];
    int64_t user_id;
    int64_t expires_at; /* unix ms */
};

/* ---- chat (issue 4; donations of issue 5 share the event log) ---- */

#define STORE_ROOM_MAX 64               /* "channel:{name}" or "room:{id}" */
#define STORE_TEXT_MAX 2048             /* bytes of UTF-8: 500 characters of Korean fit */
#define STORE_REASON_MAX 400            /* ban reason, bytes */
#define STORE_CHAT_PAGE_MAX 1000        /* largest limit chat_since / chat_history take */
#define STORE_SEARCH_PAGE_MAX 100       /* largest limit chat_search takes */
#define STORE_SEARCH_QUERY_MAX 128      /* bytes of a search query */
#define STORE_SEARCH_SHORT_WINDOW 10000 /* events a 1-2 character query scans first */
#define STORE_SEARCH_SHORT_TERMS 128    /* trigrams a 1-2 character query may expand to */
#define STORE_SEARCH_BUDGET_MS 250      /* default budget of a search (store_options) */
#define STORE_ROOM_MEMBERS_MAX 1000     /* members room_create takes besides the owner */
#define STORE_ROOM_LIST_MAX 500         /* rooms room_list returns at most */
#define STORE_SLOW_MAX 86400            /* slow mode, seconds */

/* Highlight markers in search snippets (see chat_search). */
#define STORE_HL_OPEN '\x02'
#define STORE_HL_CLOSE '\x03'

/* One event of a room's log. Every event of a room (message, donation,
 * deletion, system notice) has the room's next seq: the chat writer assigns
 * it, the store only keeps it. Unset optional fields are 0 / "". */
struct store_chat_event {
    char room[STORE_ROOM_MAX + 1];
    int64_t seq;     /* > 0 */
    char type[16];   /* "message", "donation", "deleted", "system" */
    int64_t user_id; /* 0 = none (system) */
    char username[STORE_USERNAME_MAX + 1];
    char text[STORE_TEXT_MAX + 1];
    int64_t amount;  /* donation points, or a timeout's / slow mode's seconds, >= 0 */
    int64_t ts;      /* unix ms */
    int64_t ref_seq; /* "deleted": the seq of the message it deletes */
    char client_id[STORE_KEY_MAX + 1];
    char action[16]; /* "system": "ban", "timeout", "unban", "slow", "clear" or "" */
    bool deleted;    /* read back only: a later "deleted" event or a clear hid this
                      * message; its text then comes back empty */
};

/* One search result: the event, its id (the cursor for the next page) and
 * its text with every match wrapped in STORE_HL_OPEN ... STORE_HL_CLOSE. */
struct store_search_hit {
    struct store_chat_event ev;
    int64_t id;
    char snippet[STORE_TEXT_MAX + 64];
};

/* A user room ("room:{id}"). */
struct store_room {
    int64_t id;
    char title[STORE_TITLE_MAX + 1];
    bool private_;
    int64_t owner_id;
    int64_t created_at; /* unix ms */
};

/* ---- wallet (issue 5): points, payments, donations ---- */

#define STORE_MESSAGE_MAX 600   /* bytes of a donation message (200 Korean characters) */
#define STORE_PAYMENT_ID_MAX 32 /* public payment ids ("pay_" + random) */
#define STORE_PROVIDER_MAX 15   /* "test", "kakaopay" */
#define STORE_TID_MAX 64        /* the provider's transaction id */
#define STORE_WALLET_PAGE_MAX 100
#define STORE_LEDGER_REPORT_MAX 2048

/* A charge: prepared ("ready") with the amount fixed on our side, then
 * approved exactly once, or cancelled / failed. A ready payment past
 * expires_at can no longer be approved. */
struct store_payment {
    char id[STORE_PAYMENT_ID_MAX + 1];
    int64_t user_id;
    char provider[STORE_PROVIDER_MAX + 1];
    int64_t amount;                              /* points, > 0 */
    char status[12];                             /* "ready", "approved", "cancelled", "failed" */
    char provider_tid[STORE_TID_MAX + 1];        /* "" until the provider gave one */
    int64_t created_at, expires_at, approved_at; /* unix ms; approved_at 0 unless approved */
};

struct store_donation {
    int64_t id;
    int64_t from_user;
    char from_name[STORE_USERNAME_MAX + 1];
    int64_t to_user;                      /* the channel's owner */
    char to_name[STORE_USERNAME_MAX + 1]; /* = the channel's name */
    int64_t amount;
    char message[STORE_MESSAGE_MAX + 1];
    int64_t created_at; /* unix ms */
    int64_t chat_seq;   /* its event in room "channel:{to_name}" */
};

/* One donation of a donate_batch. The caller fills the "in" part. */
struct store_donate_req {
    /* in */
    int64_t from_user;
    char from_name[STORE_USERNAME_MAX + 1];
    int64_t to_user;
    char to_name[STORE_USERNAME_MAX + 1];
    int64_t amount; /* > 0 */
    char message[STORE_MESSAGE_MAX + 1];
    char idempotency_key[STORE_KEY_MAX + 1]; /* non-empty */
    int64_t now;
    int64_t room_last_seq; /* the highest seq of the channel's room before this batch */
    /* out */
    int rc;        /* 0, or ONAIR_EDENIED: not enough points (nothing moved) */
    bool replayed; /* the key was used before: donation is that first one */
    struct store_donation donation;
    int64_t balance; /* the giver's balance afterwards */
};

struct store_donor {
    int64_t user_id;
    char name[STORE_USERNAME_MAX + 1];
    int64_t total;
    int64_t count;
};

/* What check-ledger found: ok, or the violations in words. */
struct store_ledger_report {
    bool ok;
    int64_t accounts, transactions, donations, approved_charges;
    char problems[STORE_LEDGER_REPORT_MAX];
};

struct store_conn;

struct store_options {
    const char *data_dir; /* SQLite: the database lives at <data_dir>/onair.db */
    int busy_timeout_ms;  /* how long a writer waits for the lock before EIO */
    int search_budget_ms; /* chat_search stops past this (ETOOBIG); 0: STORE_SEARCH_BUDGET_MS */
};

struct store_backend {
    const char *name; /* "sqlite", "postgres" */

    /* Opens one connection. Does not migrate. */
    int (*open)(const struct store_options *opt, struct store_conn **out);
    /* Applies every migration newer than the database's version, each in its
     * own transaction, then records the version. Idempotent. */
    int (*migrate)(struct store_conn *c);
    void (*close)(struct store_conn *c);

    /* Every write refuses strings longer than their field (or empty where a
     * value is required) with EINVAL, and answers EIO (logged) for a database
     * failure or a lock held past the busy timeout. */

    /* Users and channels. ECONFLICT when the username (or, vanishingly
     * unlikely, the stream-key hash) is taken. */
    int (*user_create)(struct store_conn *c, const struct store_new_user *in,
                       struct store_user *user_out, struct store_channel *channel_out);
    /* ENOTFOUND when there is no such user. */
    int (*user_by_name)(struct store_conn *c, const char *username, struct store_user *out);
    int (*user_by_id)(struct store_conn *c, int64_t id, struct store_user *out);

    int (*channel_by_name)(struct store_conn *c, const char *name, struct store_channel *out);
    int (*channel_by_owner)(struct store_conn *c, int64_t owner_id, struct store_channel *out);
    /* Every channel, live ones first (newest started_at first), then by name.
     * *out is malloc'd (free() it); *n may be 0 with *out NULL. */
    int (*channel_list)(struct store_conn *c, struct store_channel **out, size_t *n);
    /* ENOTFOUND for an unknown channel, EDENIED when owner_id does not own it. */
    int (*channel_set_title)(struct store_conn *c, const char *name, int64_t owner_id,
                             const char *title);
    /* Live flag and start time (started_at is stored as 0 when not live).
     * ENOTFOUND for an unknown channel. */
    int (*channel_set_live)(struct store_conn *c, int64_t channel_id, bool live,
                            int64_t started_at);
    /* Every channel offline (at startup: no stream outlives its server). */
    int (*channels_reset_live)(struct store_conn *c);

    /* The owner's current stream key, copied to key_out (STORE_KEY_MAX + 1 bytes). */
    int (*stream_key_get)(struct store_conn *c, int64_t owner_id, char *key_out);
    /* Replaces the key; the old one stops matching at once. ENOTFOUND for an
     * unknown owner, ECONFLICT if the hash belongs to another channel. */
    int (*stream_key_set)(struct store_conn *c, int64_t owner_id, const char *key,
                          const uint8_t key_hash[STORE_HASH_LEN]);
    /* The channel whose key hashes to key_hash, or ENOTFOUND. */
    int (*channel_by_key_hash)(struct store_conn *c, const uint8_t key_hash[STORE_HASH_LEN],
                               struct store_channel *out);

    /* Refresh tokens. */
    int (*refresh_insert)(struct store_conn *c, const struct store_refresh *t, int64_t now);
    /* Atomically spends the token whose hash is old_hash and stores next in
     * its family (next->family and next->user_id are filled in from the old
     * token). Results:
     *   0          spent; *user_out is its owner
     *   ENOTFOUND  no such token, or it expired
     *   ESTALE     it was already spent or revoked: the whole family is now
     *              revoked (theft detection), nothing is inserted */
    int (*refresh_rotate)(struct store_conn *c, const uint8_t old_hash[STORE_HASH_LEN],
                          struct store_refresh *next, int64_t now, struct store_user *user_out);
    /* Revokes the family of the token with this hash (logout) and, if
     * family_out is not NULL, copies the family id there (STORE_KEY_MAX + 1
     * bytes) so the caller can refuse that session's access tokens too.
     * ENOTFOUND if no such token; revoking a revoked family is 0. */
    int (*refresh_revoke)(struct store_conn *c, const uint8_t hash[STORE_HASH_LEN], int64_t now,
                          char *family_out);
    /* Revokes a family by id (logout with an access token). 0 for an unknown
     * or already revoked family: logout is idempotent. A family counts as
     * revoked once any of its tokens is, including tokens inserted later. */
    int (*refresh_revoke_family)(struct store_conn *c, const char *family, int64_t now);
    /* Families revoked at or after `since` (unix ms), so a restarted server
     * keeps refusing access tokens of sessions that logged out. Calls fn for
     * each one, in family order, only after the whole read succeeded. */
    int (*revoked_families_since)(struct store_conn *c, int64_t since,
                                  void (*fn)(const char *family, void *arg), void *arg);

    /* ---- chat (issue 4) ----
     *
     * Rooms are strings ("channel:alice", "room:17"); a room argument must be
     * 1..STORE_ROOM_MAX bytes (else EINVAL). Pages are malloc'd arrays
     * (free() them; *n may be 0 with *out NULL). */

    /* Stores events (of any rooms, seqs already assigned) in ONE transaction
     * (group commit): all or nothing, durable when it returns 0.
     * ECONFLICT, and nothing of the batch stored, when an event's seq is not
     * above the highest seq stored for its room (taken, or out of order):
     * within a room seqs only grow, so seq order is storage order. Gaps are
     * the writer's business and are stored as they come.
     * EINVAL (nothing stored) for an unknown type, a seq <= 0, a negative
     * amount, a string not NUL-terminated inside its field, or a "deleted"
     * event whose ref_seq is not in 1..seq-1.
     * A "deleted" event also marks the message or donation ref_seq of its
     * room deleted (out of search, text hidden); one that names nothing
     * deletable is stored anyway (the caller checks before assigning a seq).
     * n == 0 is 0. */
    int (*chat_append)(struct store_conn *c, const struct store_chat_event *ev, size_t n);
    /* Highest seq stored for room, 0 if none. */
    int (*chat_last_seq)(struct store_conn *c, const char *room, int64_t *out);
    /* Events of room with seq > after_seq, oldest first, at most limit
     * (1..STORE_CHAT_PAGE_MAX, else EINVAL): replay for `since`. */
    int (*chat_since)(struct store_conn *c, const char *room, int64_t after_seq, size_t limit,
                      struct store_chat_event **out, size_t *n);
    /* Events of room with seq < before_seq (before_seq <= 0: from the
     * newest), newest first, at most limit (1..STORE_CHAT_PAGE_MAX). */
    int (*chat_history)(struct store_conn *c, const char *room, int64_t before_seq, size_t limit,
                        struct store_chat_event **out, size_t *n);
    /* Substring search over the text of messages and donations that are not
     * deleted, in one room or in all (room NULL), newest first, at most limit
     * (1..STORE_SEARCH_PAGE_MAX) hits with id < before_id (before_id <= 0:
     * from the newest); the next page passes the last hit's id.
     * query: 1..STORE_SEARCH_QUERY_MAX bytes (else EINVAL), matched as a
     * literal string (no operators, no wildcards), ASCII case-insensitively.
     * Queries of 3+ characters are answered by the trigram index, over
     * everything stored. A query of 1-2 characters makes no trigram of its
     * own: the newest STORE_SEARCH_SHORT_WINDOW events below the cursor (of
     * the room, or of all rooms) are scanned first; if they neither fill
     * the page nor are all there is, the index is asked for every trigram
     * that starts with the query. Only if more than STORE_SEARCH_SHORT_TERMS
     * trigrams do (a string so common it has that many different
     * continuations) is the answer limited to the scanned window.
     * The snippet is the whole text with each match (overlapping ones merged)
     * between STORE_HL_OPEN and STORE_HL_CLOSE; those two bytes never appear
     * in it otherwise (replaced by spaces). It ends early, well-formed, if
     * the markers would overflow it. Matches that differ beyond ASCII case
     * (e.g. "É" for "é") may be found but are not marked.
     * A search that works past its budget (store_options) is stopped: ETOOBIG
     * (a string so common, or a phrase so rare among common words, that
     * answering would hold a store thread for long). */
    int (*chat_search)(struct store_conn *c, const char *query, const char *room, int64_t before_id,
                       size_t limit, struct store_search_hit **out, size_t *n);
    /* Marks every message and donation of room that is stored now deleted
     * (out of search, text hidden); the writer then appends a "system" event.
     * A big room is cleared oldest first in chunks of one transaction each,
     * each recording how far it got: the chat writer waits for one chunk at
     * most, and after an error part-way the next call resumes where it
     * stopped. Events appended meanwhile are not cleared. */
    int (*chat_clear)(struct store_conn *c, const char *room);

    /* User rooms. The owner is always a member; member_ids may repeat or
     * include the owner (at most STORE_ROOM_MEMBERS_MAX, else EINVAL).
     * title: 1..STORE_TITLE_MAX bytes. ENOTFOUND if the owner or a member is
     * not a user (nothing is created). */
    int (*room_create)(struct store_conn *c, int64_t owner_id, const char *title, bool private_,
                       const int64_t *member_ids, size_t nmembers, int64_t now,
                       struct store_room *out);
    /* ENOTFOUND for an unknown room. */
    int (*room_get)(struct store_conn *c, int64_t id, struct store_room *out);
    /* Whether user_id was made a member (the owner is). Says nothing about
     * public rooms, which anyone may join. */
    int (*room_is_member)(struct store_conn *c, int64_t room_id, int64_t user_id, bool *out);
    /* Public rooms and the private rooms user_id is a member of (user_id 0:
     * public only), newest first, at most STORE_ROOM_LIST_MAX. */
    int (*room_list)(struct store_conn *c, int64_t user_id, struct store_room **out, size_t *n);

    /* Channel moderators (the owner is not one unless added). Adding is
     * idempotent; ENOTFOUND for an unknown channel or user. */
    int (*moderator_add)(struct store_conn *c, int64_t channel_id, int64_t user_id);
    /* ENOTFOUND if user_id is not a moderator of channel_id. */
    int (*moderator_remove)(struct store_conn *c, int64_t channel_id, int64_t user_id);
    int (*moderator_check)(struct store_conn *c, int64_t channel_id, int64_t user_id, bool *out);
    /* By username; password_hash is left empty. */
    int (*moderator_list)(struct store_conn *c, int64_t channel_id, struct store_user **out,
                          size_t *n);

    /* Bans and timeouts: until_ms is the end of a timeout (unix ms) or 0 for
     * a ban. ban_set replaces any earlier ban of the user in the room;
     * reason may be NULL (stored as ""), at most STORE_REASON_MAX bytes.
     * ENOTFOUND for an unknown user, EINVAL for until_ms < 0. */
    int (*ban_set)(struct store_conn *c, const char *room, int64_t user_id, int64_t until_ms,
                   const char *reason);
    /* ENOTFOUND if user_id has no ban or timeout in room (one that has
     * ended still counts: it is cleared like any other). */
    int (*ban_clear)(struct store_conn *c, const char *room, int64_t user_id);
    /* Whether user_id is banned in room at now: a ban, or a timeout with
     * until_ms > now. *until_ms gets its end (0: permanent), or 0 when
     * not banned. */
    int (*ban_check)(struct store_conn *c, const char *room, int64_t user_id, int64_t now,
                     bool *banned, int64_t *until_ms);

    /* Slow mode of any room, channel or user room alike (the one place it is
     * kept): at most one message per `seconds` per user, 0 = off.
     * EINVAL outside 0..STORE_SLOW_MAX. A room never set reads 0. */
    int (*room_slow_set)(struct store_conn *c, const char *room, int seconds);
    int (*room_slow_get)(struct store_conn *c, const char *room, int *seconds);

    /* ---- wallet (issue 5) ----
     *
     * Double-entry: every movement of points is a ledger transaction whose
     * entries sum to zero, over accounts "user:{id}" (never negative) and
     * "provider:{name}" (where charged points come from; negative). Each
     * account's balance column is updated in the same transaction as its
     * entries, so balances always equal the ledger sums. */

    /* The user's points (0 for a user who never had any). */
    int (*wallet_balance)(struct store_conn *c, int64_t user_id, int64_t *out);

    /* Stores a new "ready" payment (all fields but approved_at / tid set
     * by the caller). ECONFLICT if the id is taken. */
    int (*payment_create)(struct store_conn *c, const struct store_payment *p);
    int (*payment_get)(struct store_conn *c, const char *id, struct store_payment *out);
    /* Records the provider's transaction id of a ready payment. */
    int (*payment_set_tid)(struct store_conn *c, const char *id, const char *tid);
    /* Approves a ready, unexpired payment whose provider approved
     * `approved_amount`, crediting the user in the same transaction, as
     * one conditional change ready -> approved: a second or concurrent
     * approve credits nothing. Errors (nothing credited; *out has the
     * payment as it is now): ENOTFOUND; ESTALE already approved; EDENIED
     * cancelled, failed or expired; ECONFLICT approved_amount differs from
     * the prepared amount (the payment is marked failed). *balance gets the
     * user's balance afterwards on success. */
    int (*payment_approve)(struct store_conn *c, const char *id, int64_t approved_amount,
                           int64_t now, struct store_payment *out, int64_t *balance);
    /* ready -> cancelled or failed (status). ENOTFOUND; ESTALE if it is not
     * ready any more (*out says what it is). */
    int (*payment_close)(struct store_conn *c, const char *id, const char *status,
                         struct store_payment *out);
    /* The user's payments, newest first, created_at < before (<= 0: from now). */
    int (*payment_list)(struct store_conn *c, int64_t user_id, int64_t before, size_t limit,
                        struct store_payment **out, size_t *n);

    /* Applies donations in order, all in ONE transaction (group commit):
     * for each, if its (from_user, idempotency_key) was used before, the
     * first donation comes back (replayed, nothing moves); else if the
     * giver has at least amount points, amount moves from giver to
     * receiver, the donation is recorded, and its chat event (type
     * "donation", room "channel:{to_name}") is stored with the room's next
     * seq: room_last_seq + 1 for the first donation of that room in the
     * batch that goes through, then +2, ... (replays and refused ones take
     * no seq); else rc EDENIED and nothing moves. Returns 0 when the batch
     * committed (each req's rc says how it went), or an error and nothing
     * stored. EINVAL (nothing stored) for an amount <= 0, a giver equal to
     * the receiver, or a string not NUL-terminated in its field. */
    int (*donate_batch)(struct store_conn *c, struct store_donate_req *reqs, size_t n);
    /* Donations the user sent (sent true) or received, newest first, with
     * id < before_id (<= 0: from the newest), at most limit. */
    int (*donation_list)(struct store_conn *c, int64_t user_id, bool sent, int64_t before_id,
                         size_t limit, struct store_donation **out, size_t *n);
    /* Totals received by to_user: amount and number of donations. */
    int (*donation_totals)(struct store_conn *c, int64_t to_user, int64_t *amount, int64_t *count);
    /* The biggest givers to to_user, by total, at most limit. */
    int (*donation_top)(struct store_conn *c, int64_t to_user, size_t limit,
                        struct store_donor **out, size_t *n);

    /* Checks every invariant of the ledger: no negative user balance, every
     * transaction sums to zero, every balance equals its ledger sum, the
     * points all users hold together equal the approved charges, every
     * approved charge and every donation has its transaction (and every
     * donation its chat event). Fills *out; returns 0 if it could check
     * (out->ok says whether all hold). */
    int (*ledger_check)(struct store_conn *c, struct store_ledger_report *out);

    /* ---- overlays (issue 6) ----
     *
     * Each channel may have one overlay key (STORE_KEY_MAX bytes at most):
     * what OBS's browser source shows the alerts and chat overlays with. It
     * is not the stream key and grants only reading the channel's room. */

    /* The channel's overlay key, copied to key_out (STORE_KEY_MAX + 1 bytes);
     * ENOTFOUND if it has none yet. */
    int (*overlay_key_get)(struct store_conn *c, int64_t channel_id, char *key_out);
    /* Gives the channel `key` if it has no key yet, then copies the key it
     * has now (`key`, or the one it already had) to key_out: two first
     * requests at once end up with the same key. ENOTFOUND for an unknown
     * channel, ECONFLICT if another channel holds `key`. */
    int (*overlay_key_ensure)(struct store_conn *c, int64_t channel_id, const char *key,
                              int64_t now, char *key_out);
    /* Replaces (or sets) the channel's key: the old one stops matching at
     * once. ENOTFOUND for an unknown channel, ECONFLICT if another channel
     * holds `key`. */
    int (*overlay_key_set)(struct store_conn *c, int64_t channel_id, const char *key, int64_t now);
};

extern const struct store_backend store_sqlite_backend;

/* ---- the thread pool ---- */

struct store;

/* Runs on a store thread with that thread's connection. */
typedef void (*store_job_fn)(struct store_conn *c, const struct store_backend *b, void *arg);
/* Runs afterwards on the loop the job was submitted from. */
typedef void (*store_done_fn)(void *arg);

/* Opens nthreads connections, migrates once, starts the threads.
 * queue_max bounds the jobs waiting (submit answers EAGAIN past it).
 * Returns NULL (and logs why) if the database can't be opened or migrated. */
struct store *store_open(const struct store_backend *b, const struct store_options *opt,
                         unsigned nthreads, unsigned queue_max);

/* Queues job; done runs later on `origin`. If this returns an error neither
 * callback ever runs: EAGAIN when the queue is full, ECLOSED while closing.
 * origin may be NULL: then done runs on the store thread right after job. */
int store_submit(struct store *s, struct loop *origin, store_job_fn job, store_done_fn done,
                 void *arg);

/* Runs job on the calling thread with a connection of its own (startup,
 * admin commands, tests). Blocks. */
int store_run_sync(struct store *s, store_job_fn job, void *arg);

/* A connection of the caller's own, for a thread that owns its database
 * work outright (the chat writer). Close it with store_conn_close. NULL and
 * logged on failure. */
struct store_conn *store_conn_open(struct store *s);
void store_conn_close(struct store *s, struct store_conn *c);
const struct store_backend *store_backend_of(const struct store *s);

/* Jobs waiting plus running right now (for /metrics). Any thread. */
unsigned store_queue_depth(const struct store *s);

/* Stops taking jobs, finishes every job already queued (their done callbacks
 * are posted as usual), joins the threads and closes the connections. */
void store_close(struct store *s);

#endif
