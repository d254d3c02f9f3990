/*
 * sqlite_internal.h - what the SQLite backend's files share (sqlite__
 * prefix): sqlite.c (connections, migrations, accounts, channels, chat),
 * sqlite_wallet.c (ledger, wallets, payments, donations) and
 * sqlite_overlay.c (overlay keys).
 *
 * Conventions (see the top of sqlite.c): every statement is prepared once
 * per connection and reset (sqlite__done) before its user returns; binds
 * keep the first failure in *rc; a failed SQLite call is logged once
 * (sqlite__fail) and becomes ONAIR_EIO.
 */
#ifndef ONAIR_STORE_SQLITE_INTERNAL_H
#define ONAIR_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Statement slots a file other than sqlite.c may use, each file its own
 * range (sqlite_wallet.c: 0..47, sqlite_overlay.c: 48..63). */
#define SQLITE_EXTRA_STMTS 64

/* The prepared statement of slot for sql, prepared on first use; NULL
 * (logged) on failure. The same slot must always get the same sql. */
sqlite3_stmt *sqlite__prep_sql(struct store_conn *c, unsigned slot, const char *sql,
                               const char *op);
void sqlite__done(sqlite3_stmt *s);
int sqlite__run(sqlite3_stmt *s);

int sqlite__fail(struct store_conn *c, int rc, const char *op);

/* Reads the row s is positioned on into out (0, or an error logged). */
typedef int (*sqlite_row_fn)(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op);
/* Steps s (bound; bind_rc the binds' result) once: a row is read into out
 * by read, no row is ENOTFOUND, a failure is logged (EIO). Resets s. */
int sqlite__read_one(struct store_conn *c, sqlite3_stmt *s, int bind_rc, sqlite_row_fn read,
                     void *out, const char *op);
/* Steps a bound INSERT (bind_rc the binds' result) once: a missing row it
 * refers to (foreign key) is ENOTFOUND, a duplicate ECONFLICT, any other
 * failure logged (EIO). Resets s. */
int sqlite__write_one(struct store_conn *c, sqlite3_stmt *s, int bind_rc, const char *op);
/* A sqlite_row_fn: column 0 as text into a char[STORE_KEY_MAX + 1]. */
int sqlite__read_key(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op);
bool sqlite__is_unique_violation(int rc);
bool sqlite__text_fits(const char *s, size_t max, bool may_be_empty);
bool sqlite__field_ok(const char *s, size_t size, bool may_be_empty);

void sqlite__bind_text(sqlite3_stmt *s, int i, const char *v, int *rc);
void sqlite__bind_i64(sqlite3_stmt *s, int i, int64_t v, int *rc);
void sqlite__bind_opt_text(sqlite3_stmt *s, int i, const char *v, int *rc);
void sqlite__bind_opt_i64(sqlite3_stmt *s, int i, int64_t v, int *rc);
int sqlite__col_text(struct store_conn *c, sqlite3_stmt *s, int col, char *dst, size_t cap,
                     const char *op);
int sqlite__col_text_opt(struct store_conn *c, sqlite3_stmt *s, int col, char *dst, size_t cap,
                         const char *op);

/* BEGIN IMMEDIATE / COMMIT (rolls back if it fails) / ROLLBACK. */
int sqlite__tx_begin(struct store_conn *c, const char *op);
int sqlite__tx_commit(struct store_conn *c, const char *op);
void sqlite__tx_rollback(struct store_conn *c, const char *op);

/* The connection's database handle (for what fits no helper). */
sqlite3 *sqlite__db(struct store_conn *c);
/* Rows changed by the last statement. */
int64_t sqlite__changes(struct store_conn *c);

/* Inserts one chat event (and, for "deleted", marks its message) inside
 * the caller's transaction; ECONFLICT if its seq is taken or not above
 * the room's last. (sqlite.c) */
int sqlite__chat_insert(struct store_conn *c, const struct store_chat_event *e, const char *op);

/* ---- sqlite_wallet.c: the wallet ops of store_backend (see store.h) ---- */

int sqlite__wallet_balance(struct store_conn *c, int64_t user_id, int64_t *out);
int sqlite__payment_create(struct store_conn *c, const struct store_payment *p);
int sqlite__payment_get(struct store_conn *c, const char *id, struct store_payment *out);
int sqlite__payment_set_tid(struct store_conn *c, const char *id, const char *tid);
int sqlite__payment_approve(struct store_conn *c, const char *id, int64_t approved_amount,
                            int64_t now, struct store_payment *out, int64_t *balance);
int sqlite__payment_close(struct store_conn *c, const char *id, const char *status,
                          struct store_payment *out);
int sqlite__payment_list(struct store_conn *c, int64_t user_id, int64_t before, size_t limit,
                         struct store_payment **out, size_t *n);
int sqlite__donate_batch(struct store_conn *c, struct store_donate_req *reqs, size_t n);
int sqlite__donation_list(struct store_conn *c, int64_t user_id, bool sent, int64_t before_id,
                          size_t limit, struct store_donation **out, size_t *n);
int sqlite__donation_totals(struct store_conn *c, int64_t to_user, int64_t *amount, int64_t *count);
int sqlite__donation_top(struct store_conn *c, int64_t to_user, size_t limit,
                         struct store_donor **out, size_t *n);
int sqlite__ledger_check(struct store_conn *c, struct store_ledger_report *out);

/* ---- sqlite_overlay.c: the overlay-key ops of store_backend (see store.h) ---- */

int sqlite__overlay_key_get(struct store_conn *c, int64_t channel_id, char *key_out);
int sqlite__overlay_key_ensure(struct store_conn *c, int64_t channel_id, const char *key,
                               int64_t now, char *key_out);
int sqlite__overlay_key_set(struct store_conn *c, int64_t channel_id, const char *key, int64_t now);

#endif
