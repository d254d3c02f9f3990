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

struct store_conn;

struct store_options {
    const char *data_dir; /* SQLite: the database lives at <data_dir>/onair.db */
    int busy_timeout_ms;  /* how long a writer waits for the lock before EIO */
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

/* Jobs waiting plus running right now (for /metrics). Any thread. */
unsigned store_queue_depth(const struct store *s);

/* Stops taking jobs, finishes every job already queued (their done callbacks
 * are posted as usual), joins the threads and closes the connections. */
void store_close(struct store *s);

#endif
