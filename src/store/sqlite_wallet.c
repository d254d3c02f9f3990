/*
 * sqlite_wallet.c - points on SQLite: the double-entry ledger, wallets,
 * payments (charges) and donations. The contract is in store.h ("wallet");
 * the helpers and conventions in sqlite_internal.h.
 *
 * Every movement is one transaction: the conditional change that allows it
 * (a payment ready -> approved, a giver's balance >= amount), the two
 * ledger entries, both accounts' balances, and the record it belongs to.
 * Nothing reads a balance and writes it back: debits are
 * `balance = balance - ? WHERE balance >= ?`, so no race can lose or
 * double a point, on SQLite or later on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "store/sqlite_internal.h"

enum wallet_stmt {
    W_BALANCE,
    W_ACCOUNT_ADD,
    W_ACCOUNT_DEBIT,
    W_TX_INSERT,
    W_ENTRY_INSERT,
    W_PAY_INSERT,
    W_PAY_GET,
    W_PAY_SET_TID,
    W_PAY_APPROVE,
    W_PAY_CLOSE,
    W_PAY_FAIL,
    W_PAY_LIST,
    W_DON_BY_KEY,
    W_DON_INSERT,
    W_DON_LIST_SENT,
    W_DON_LIST_RECEIVED,
    W_DON_TOTALS,
    W_DON_TOP,
    W__COUNT
};

#define PAY_COLS                                                                                   \
    "id, user_id, provider, amount, status, provider_tid, created_at, expires_at, approved_at"
#define DON_COLS "id, from_user, from_name, to_user, to_name, amount, message, created_at, chat_seq"

static const char *const wallet_sql[W__COUNT] = {
    [W_BALANCE] = "SELECT balance FROM accounts WHERE id = ?1",
    [W_ACCOUNT_ADD] = "INSERT INTO accounts (id, balance) VALUES (?1, ?2)"
                      " ON CONFLICT (id) DO UPDATE SET balance = balance + excluded.balance",
    [W_ACCOUNT_DEBIT] =
        "UPDATE accounts SET balance = balance - ?2 WHERE id = ?1 AND balance >= ?2",
    [W_TX_INSERT] = "INSERT INTO ledger_tx (kind, created_at) VALUES (?1, ?2)",
    [W_ENTRY_INSERT] = "INSERT INTO ledger_entries (tx_id, account, amount) VALUES (?1, ?2, ?3)",
    [W_PAY_INSERT] = "INSERT INTO payments (id, user_id, provider, amount, status, created_at,"
                     " expires_at) VALUES (?1, ?2, ?3, ?4, 'ready', ?5, ?6)",
    [W_PAY_GET] = "SELECT " PAY_COLS " FROM payments WHERE id = ?1",
    [W_PAY_SET_TID] = "UPDATE payments SET provider_tid = ?2 WHERE id = ?1 AND status = 'ready'",
    [W_PAY_APPROVE] = "UPDATE payments SET status = 'approved', approved_at = ?2, tx_id = ?3"
                      " WHERE id = ?1 AND status = 'ready' AND expires_at > ?2 AND amount = ?4",
    [W_PAY_CLOSE] = "UPDATE payments SET status = ?2 WHERE id = ?1 AND status = 'ready'",
    [W_PAY_FAIL] = "UPDATE payments SET status = 'failed' WHERE id = ?1 AND status = 'ready'",
    [W_PAY_LIST] = "SELECT " PAY_COLS " FROM payments WHERE user_id = ?1 AND created_at < ?2"
                   " ORDER BY created_at DESC, id DESC LIMIT ?3",
    [W_DON_BY_KEY] = "SELECT " DON_COLS " FROM donations WHERE from_user = ?1"
                     " AND idempotency_key = ?2",
    [W_DON_INSERT] = "INSERT INTO donations (from_user, from_name, to_user, to_name, amount,"
                     " message, idempotency_key, created_at, tx_id, chat_seq)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [W_DON_LIST_SENT] = "SELECT " DON_COLS " FROM donations WHERE from_user = ?1 AND id < ?2"
                        " ORDER BY id DESC LIMIT ?3",
    [W_DON_LIST_RECEIVED] = "SELECT " DON_COLS " FROM donations WHERE to_user = ?1 AND id < ?2"
                            " ORDER BY id DESC LIMIT ?3",
    [W_DON_TOTALS] = "SELECT coalesce(sum(amount), 0), count(*) FROM donations WHERE to_user = ?1",
    [W_DON_TOP] = "SELECT from_user, max(from_name), sum(amount) AS total, count(*) FROM donations"
                  " WHERE to_user = ?1 GROUP BY from_user ORDER BY total DESC, from_user LIMIT ?2",
};

static sqlite3_stmt *prep(struct store_conn *c, enum wallet_stmt id, const char *op)
{
    return sqlite__prep_sql(c, (unsigned)id, wallet_sql[id], op);
}

static void user_account(char *out, size_t cap, int64_t user_id)
{
    snprintf(out, cap, "user:%lld", (long long)user_id);
}

/* Steps a statement expected to write; 0, or EIO (logged). Resets it. */
static int exec(struct store_conn *c, sqlite3_stmt *s, int bind_rc, const char *op)
{
    int rc = bind_rc == SQLITE_OK ? sqlite__run(s) : bind_rc;
    int err = rc == SQLITE_DONE ? 0 : sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

static int read_payment(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op);
static int read_donation(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op);

/* ---- balances and the ledger ---- */

static int balance_of(struct store_conn *c, const char *account, int64_t *out, const char *op)
{
    sqlite3_stmt *s = prep(c, W_BALANCE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, account, &rc);
    int err = 0;
    *out = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    return err;
}

int sqlite__wallet_balance(struct store_conn *c, int64_t user_id, int64_t *out)
{
    char acct[32];
    user_account(acct, sizeof acct, user_id);
    return balance_of(c, acct, out, "wallet_balance");
}

static int account_add(struct store_conn *c, const char *account, int64_t amount, const char *op)
{
    sqlite3_stmt *s = prep(c, W_ACCOUNT_ADD, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, account, &rc);
    sqlite__bind_i64(s, 2, amount, &rc);
    return exec(c, s, rc, op);
}

/* Takes amount from account if it holds that much: 0, EDENIED (not enough,
 * nothing changed) or EIO. */
static int account_debit(struct store_conn *c, const char *account, int64_t amount, const char *op)
{
    sqlite3_stmt *s = prep(c, W_ACCOUNT_DEBIT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, account, &rc);
    sqlite__bind_i64(s, 2, amount, &rc);
    int err = exec(c, s, rc, op);
    if (!err && sqlite__changes(c) == 0)
        err = ONAIR_EDENIED;
    return err;
}

static int entry_insert(struct store_conn *c, int64_t tx, const char *account, int64_t amount,
                        const char *op)
{
    sqlite3_stmt *s = prep(c, W_ENTRY_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, tx, &rc);
    sqlite__bind_text(s, 2, account, &rc);
    sqlite__bind_i64(s, 3, amount, &rc);
    return exec(c, s, rc, op);
}

/* Records a movement of amount from `from` to `to` (whose balances the
 * caller has already changed): a ledger transaction of two entries that sum
 * to zero. *tx gets its id. */
static int ledger_post(struct store_conn *c, const char *kind, const char *from, const char *to,
                       int64_t amount, int64_t now, int64_t *tx, const char *op)
{
    sqlite3_stmt *s = prep(c, W_TX_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, kind, &rc);
    sqlite__bind_i64(s, 2, now, &rc);
    int err = exec(c, s, rc, op);
    if (err)
        return err;
    *tx = sqlite3_last_insert_rowid(sqlite__db(c));
    err = entry_insert(c, *tx, from, -amount, op);
    if (!err)
        err = entry_insert(c, *tx, to, amount, op);
    return err;
}

/* ---- payments ---- */

static int payment_from_row(struct store_conn *c, sqlite3_stmt *s, struct store_payment *p,
                            const char *op)
{
    memset(p, 0, sizeof *p);
    int err = sqlite__col_text(c, s, 0, p->id, sizeof p->id, op);
    p->user_id = sqlite3_column_int64(s, 1);
    if (!err)
        err = sqlite__col_text(c, s, 2, p->provider, sizeof p->provider, op);
    p->amount = sqlite3_column_int64(s, 3);
    if (!err)
        err = sqlite__col_text(c, s, 4, p->status, sizeof p->status, op);
    if (!err)
        err = sqlite__col_text_opt(c, s, 5, p->provider_tid, sizeof p->provider_tid, op);
    p->created_at = sqlite3_column_int64(s, 6);
    p->expires_at = sqlite3_column_int64(s, 7);
    p->approved_at = sqlite3_column_int64(s, 8);
    return err;
}

int sqlite__payment_create(struct store_conn *c, const struct store_payment *p)
{
    const char *op = "payment_create";
    if (!sqlite__field_ok(p->id, sizeof p->id, false) ||
        !sqlite__field_ok(p->provider, sizeof p->provider, false) || p->amount <= 0 ||
        p->user_id <= 0)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, W_PAY_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, p->id, &rc);
    sqlite__bind_i64(s, 2, p->user_id, &rc);
    sqlite__bind_text(s, 3, p->provider, &rc);
    sqlite__bind_i64(s, 4, p->amount, &rc);
    sqlite__bind_i64(s, 5, p->created_at, &rc);
    sqlite__bind_i64(s, 6, p->expires_at, &rc);
    return sqlite__write_one(c, s, rc, op);
}

static int payment_read(struct store_conn *c, const char *id, struct store_payment *out,
                        const char *op)
{
    if (!id || strnlen(id, STORE_PAYMENT_ID_MAX + 1) > STORE_PAYMENT_ID_MAX)
        return ONAIR_ENOTFOUND;
    sqlite3_stmt *s = prep(c, W_PAY_GET, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, id, &rc);
    return sqlite__read_one(c, s, rc, read_payment, out, op);
}

int sqlite__payment_get(struct store_conn *c, const char *id, struct store_payment *out)
{
    return payment_read(c, id, out, "payment_get");
}

int sqlite__payment_set_tid(struct store_conn *c, const char *id, const char *tid)
{
    const char *op = "payment_set_tid";
    if (!sqlite__text_fits(tid, STORE_TID_MAX, false))
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, W_PAY_SET_TID, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, id, &rc);
    sqlite__bind_text(s, 2, tid, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite__run(s);
    int err = 0;
    if (sqlite__is_unique_violation(rc))
        err = ONAIR_ECONFLICT;
    else if (rc != SQLITE_DONE)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (!err && sqlite__changes(c) == 0)
        err = ONAIR_ENOTFOUND;
    return err;
}

/* Why a payment can't be approved, from what it is now. */
static int not_approvable(const struct store_payment *p, int64_t approved_amount, int64_t now)
{
    if (strcmp(p->status, "approved") == 0)
        return ONAIR_ESTALE;
    if (strcmp(p->status, "ready") != 0 || p->expires_at <= now)
        return ONAIR_EDENIED;
    if (p->amount != approved_amount)
        return ONAIR_ECONFLICT;
    return 0;
}

/* Inside the transaction: the conditional ready -> approved and the credit. */
static int approve_in_tx(struct store_conn *c, struct store_payment *p, int64_t approved_amount,
                         int64_t now, int64_t *balance, const char *op)
{
    int err = not_approvable(p, approved_amount, now);
    if (err == ONAIR_ECONFLICT) {
        /* Tampered or misreported: this payment can never credit. */
        sqlite3_stmt *s = prep(c, W_PAY_FAIL, op);
        if (!s)
            return ONAIR_EIO;
        int rc = SQLITE_OK;
        sqlite__bind_text(s, 1, p->id, &rc);
        int e = exec(c, s, rc, op);
        if (e)
            return e;
        snprintf(p->status, sizeof p->status, "failed");
        return ONAIR_ECONFLICT;
    }
    if (err)
        return err;
    char user[32], provider[STORE_PROVIDER_MAX + 16];
    user_account(user, sizeof user, p->user_id);
    snprintf(provider, sizeof provider, "provider:%s", p->provider);
    int64_t tx;
    err = account_add(c, provider, -p->amount, op);
    if (!err)
        err = account_add(c, user, p->amount, op);
    if (!err)
        err = ledger_post(c, "charge", provider, user, p->amount, now, &tx, op);
    if (err)
        return err;
    sqlite3_stmt *s = prep(c, W_PAY_APPROVE, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_text(s, 1, p->id, &rc);
    sqlite__bind_i64(s, 2, now, &rc);
    sqlite__bind_i64(s, 3, tx, &rc);
    sqlite__bind_i64(s, 4, approved_amount, &rc);
    err = exec(c, s, rc, op);
    if (!err && sqlite__changes(c) != 1)
        err = ONAIR_EIO; /* checked above in the same transaction: can't happen */
    if (err)
        return err;
    snprintf(p->status, sizeof p->status, "approved");
    p->approved_at = now;
    return balance_of(c, user, balance, op);
}

int sqlite__payment_approve(struct store_conn *c, const char *id, int64_t approved_amount,
                            int64_t now, struct store_payment *out, int64_t *balance)
{
    const char *op = "payment_approve";
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    err = payment_read(c, id, out, op);
    if (!err)
        err = approve_in_tx(c, out, approved_amount, now, balance, op);
    /* A refused approve that marked the payment failed is kept. */
    if (!err || err == ONAIR_ECONFLICT) {
        int cerr = sqlite__tx_commit(c, op);
        return cerr ? cerr : err;
    }
    sqlite__tx_rollback(c, op);
    return err;
}

int sqlite__payment_close(struct store_conn *c, const char *id, const char *status,
                          struct store_payment *out)
{
    const char *op = "payment_close";
    if (!status || (strcmp(status, "cancelled") != 0 && strcmp(status, "failed") != 0))
        return ONAIR_EINVAL;
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    err = payment_read(c, id, out, op);
    if (!err && strcmp(out->status, "ready") != 0)
        err = ONAIR_ESTALE;
    if (!err) {
        sqlite3_stmt *s = prep(c, W_PAY_CLOSE, op);
        int rc = SQLITE_OK;
        if (!s)
            err = ONAIR_EIO;
        else {
            sqlite__bind_text(s, 1, id, &rc);
            sqlite__bind_text(s, 2, status, &rc);
            err = exec(c, s, rc, op);
        }
        if (!err)
            snprintf(out->status, sizeof out->status, "%s", status);
    }
    if (err) {
        sqlite__tx_rollback(c, op);
        return err;
    }
    return sqlite__tx_commit(c, op);
}

/* Steps s to the end, reading rows with read(row) into a malloc'd array of
 * elements of size `size`. */
static int collect(struct store_conn *c, sqlite3_stmt *s, size_t size, sqlite_row_fn read,
                   void **out, size_t *n, const char *op)
{
    char *arr = NULL;
    size_t len = 0, cap = 0;
    int rc, err = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            arr = xrealloc(arr, cap * size);
        }
        if ((err = read(c, s, arr + len * size, op)))
            break;
        len++;
    }
    if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = sqlite__fail(c, rc, op);
    sqlite__done(s);
    if (err || len == 0) {
        free(arr);
        arr = NULL;
        len = 0;
    }
    *out = arr;
    *n = len;
    return err;
}

static int read_payment(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    return payment_from_row(c, s, out, op);
}

int sqlite__payment_list(struct store_conn *c, int64_t user_id, int64_t before, size_t limit,
                         struct store_payment **out, size_t *n)
{
    const char *op = "payment_list";
    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > STORE_WALLET_PAGE_MAX)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, W_PAY_LIST, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, user_id, &rc);
    sqlite__bind_i64(s, 2, before > 0 ? before : INT64_MAX, &rc);
    sqlite__bind_i64(s, 3, (int64_t)limit, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return collect(c, s, sizeof **out, read_payment, (void **)out, n, op);
}

/* ---- donations ---- */

static int donation_from_row(struct store_conn *c, sqlite3_stmt *s, struct store_donation *d,
                             const char *op)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(s, 0);
    d->from_user = sqlite3_column_int64(s, 1);
    int err = sqlite__col_text(c, s, 2, d->from_name, sizeof d->from_name, op);
    d->to_user = sqlite3_column_int64(s, 3);
    if (!err)
        err = sqlite__col_text(c, s, 4, d->to_name, sizeof d->to_name, op);
    d->amount = sqlite3_column_int64(s, 5);
    if (!err)
        err = sqlite__col_text(c, s, 6, d->message, sizeof d->message, op);
    d->created_at = sqlite3_column_int64(s, 7);
    d->chat_seq = sqlite3_column_int64(s, 8);
    return err;
}

static int read_donation(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    return donation_from_row(c, s, out, op);
}

static bool donate_req_ok(const struct store_donate_req *r)
{
    return r->amount > 0 && r->from_user > 0 && r->to_user > 0 && r->from_user != r->to_user &&
           sqlite__field_ok(r->from_name, sizeof r->from_name, false) &&
           sqlite__field_ok(r->to_name, sizeof r->to_name, false) &&
           sqlite__field_ok(r->message, sizeof r->message, true) &&
           sqlite__field_ok(r->idempotency_key, sizeof r->idempotency_key, false);
}

/* The donation this (giver, key) already made: 0 (found, *d set),
 * ENOTFOUND, or EIO. */
static int donation_by_key(struct store_conn *c, const struct store_donate_req *r,
                           struct store_donation *d, const char *op)
{
    sqlite3_stmt *s = prep(c, W_DON_BY_KEY, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, r->from_user, &rc);
    sqlite__bind_text(s, 2, r->idempotency_key, &rc);
    return sqlite__read_one(c, s, rc, read_donation, d, op);
}

static int donation_insert(struct store_conn *c, const struct store_donate_req *r, int64_t tx,
                           int64_t seq, int64_t *id, const char *op)
{
    sqlite3_stmt *s = prep(c, W_DON_INSERT, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, r->from_user, &rc);
    sqlite__bind_text(s, 2, r->from_name, &rc);
    sqlite__bind_i64(s, 3, r->to_user, &rc);
    sqlite__bind_text(s, 4, r->to_name, &rc);
    sqlite__bind_i64(s, 5, r->amount, &rc);
    sqlite__bind_text(s, 6, r->message, &rc);
    sqlite__bind_text(s, 7, r->idempotency_key, &rc);
    sqlite__bind_i64(s, 8, r->now, &rc);
    sqlite__bind_i64(s, 9, tx, &rc);
    sqlite__bind_i64(s, 10, seq, &rc);
    int err = exec(c, s, rc, op);
    if (!err)
        *id = sqlite3_last_insert_rowid(sqlite__db(c));
    return err;
}

/* Seqs given to donations of this batch, per room (a batch has few rooms). */
struct room_next {
    const char *to_name;
    int64_t last;
};

static int64_t next_seq(struct room_next *rooms, size_t *nrooms, const struct store_donate_req *r)
{
    for (size_t i = 0; i < *nrooms; i++)
        if (strcmp(rooms[i].to_name, r->to_name) == 0)
            return ++rooms[i].last;
    rooms[*nrooms] = (struct room_next){r->to_name, r->room_last_seq + 1};
    return rooms[(*nrooms)++].last;
}

/* One donation inside the batch's transaction; r->rc says how it went.
 * Returns only errors that must undo the whole batch (EIO). */
static int donate_one(struct store_conn *c, struct store_donate_req *r, struct room_next *rooms,
                      size_t *nrooms, const char *op)
{
    char from[32], to[32];
    user_account(from, sizeof from, r->from_user);
    user_account(to, sizeof to, r->to_user);
    r->rc = 0;
    r->replayed = false;
    int err = donation_by_key(c, r, &r->donation, op);
    if (err == 0) {
        r->replayed = true;
        return balance_of(c, from, &r->balance, op);
    }
    if (err != ONAIR_ENOTFOUND)
        return err;
    err = account_debit(c, from, r->amount, op);
    if (err == ONAIR_EDENIED) {
        r->rc = ONAIR_EDENIED;
        return balance_of(c, from, &r->balance, op);
    }
    int64_t tx, id;
    if (!err)
        err = account_add(c, to, r->amount, op);
    if (!err)
        err = ledger_post(c, "donation", from, to, r->amount, r->now, &tx, op);
    int64_t seq = next_seq(rooms, nrooms, r);
    if (!err)
        err = donation_insert(c, r, tx, seq, &id, op);
    if (!err) {
        struct store_chat_event ev;
        memset(&ev, 0, sizeof ev);
        snprintf(ev.room, sizeof ev.room, "channel:%s", r->to_name);
        ev.seq = seq;
        snprintf(ev.type, sizeof ev.type, "donation");
        ev.user_id = r->from_user;
        snprintf(ev.username, sizeof ev.username, "%s", r->from_name);
        snprintf(ev.text, sizeof ev.text, "%s", r->message);
        ev.amount = r->amount;
        ev.ts = r->now;
        err = sqlite__chat_insert(c, &ev, op);
    }
    if (err)
        return err;
    struct store_donation *d = &r->donation;
    memset(d, 0, sizeof *d);
    d->id = id;
    d->from_user = r->from_user;
    snprintf(d->from_name, sizeof d->from_name, "%s", r->from_name);
    d->to_user = r->to_user;
    snprintf(d->to_name, sizeof d->to_name, "%s", r->to_name);
    d->amount = r->amount;
    snprintf(d->message, sizeof d->message, "%s", r->message);
    d->created_at = r->now;
    d->chat_seq = seq;
    return balance_of(c, from, &r->balance, op);
}

int sqlite__donate_batch(struct store_conn *c, struct store_donate_req *reqs, size_t n)
{
    const char *op = "donate_batch";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!donate_req_ok(&reqs[i]))
            return ONAIR_EINVAL;
    int err = sqlite__tx_begin(c, op);
    if (err)
        return err;
    struct room_next *rooms = xcalloc(n, sizeof *rooms);
    size_t nrooms = 0;
    for (size_t i = 0; i < n && !err; i++)
        err = donate_one(c, &reqs[i], rooms, &nrooms, op);
    free(rooms);
    if (err) {
        sqlite__tx_rollback(c, op);
        /* ECONFLICT: a chat seq was taken, the writer's idea of the room is stale. */
        return err;
    }
    return sqlite__tx_commit(c, op);
}

int sqlite__donation_list(struct store_conn *c, int64_t user_id, bool sent, int64_t before_id,
                          size_t limit, struct store_donation **out, size_t *n)
{
    const char *op = "donation_list";
    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > STORE_WALLET_PAGE_MAX)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, sent ? W_DON_LIST_SENT : W_DON_LIST_RECEIVED, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, user_id, &rc);
    sqlite__bind_i64(s, 2, before_id > 0 ? before_id : INT64_MAX, &rc);
    sqlite__bind_i64(s, 3, (int64_t)limit, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return collect(c, s, sizeof **out, read_donation, (void **)out, n, op);
}

int sqlite__donation_totals(struct store_conn *c, int64_t to_user, int64_t *amount, int64_t *count)
{
    const char *op = "donation_totals";
    sqlite3_stmt *s = prep(c, W_DON_TOTALS, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, to_user, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW) {
        *amount = sqlite3_column_int64(s, 0);
        *count = sqlite3_column_int64(s, 1);
    } else {
        err = sqlite__fail(c, rc, op);
    }
    sqlite__done(s);
    return err;
}

static int read_donor(struct store_conn *c, sqlite3_stmt *s, void *out, const char *op)
{
    struct store_donor *d = out;
    d->user_id = sqlite3_column_int64(s, 0);
    d->total = sqlite3_column_int64(s, 2);
    d->count = sqlite3_column_int64(s, 3);
    return sqlite__col_text(c, s, 1, d->name, sizeof d->name, op);
}

int sqlite__donation_top(struct store_conn *c, int64_t to_user, size_t limit,
                         struct store_donor **out, size_t *n)
{
    const char *op = "donation_top";
    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > STORE_WALLET_PAGE_MAX)
        return ONAIR_EINVAL;
    sqlite3_stmt *s = prep(c, W_DON_TOP, op);
    if (!s)
        return ONAIR_EIO;
    int rc = SQLITE_OK;
    sqlite__bind_i64(s, 1, to_user, &rc);
    sqlite__bind_i64(s, 2, (int64_t)limit, &rc);
    if (rc != SQLITE_OK) {
        sqlite__done(s);
        return sqlite__fail(c, rc, op);
    }
    return collect(c, s, sizeof **out, read_donor, (void **)out, n, op);
}

/* ---- check-ledger ---- */

/* Each check: a query whose single row's first column counts violations,
 * and what a violation means. */
static const struct {
    const char *sql;
    const char *what;
} checks[] = {
    {"SELECT count(*) FROM accounts WHERE balance < 0 AND id NOT LIKE 'provider:%'",
     "user accounts with a negative balance"},
    {"SELECT count(*) FROM (SELECT tx_id FROM ledger_entries GROUP BY tx_id"
     " HAVING sum(amount) <> 0)",
     "ledger transactions whose entries do not sum to zero"},
    {"SELECT count(*) FROM ledger_tx t WHERE (SELECT count(*) FROM ledger_entries e"
     " WHERE e.tx_id = t.id) < 2",
     "ledger transactions with fewer than two entries"},
    {"SELECT count(*) FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0)"
     " FROM ledger_entries e WHERE e.account = a.id)",
     "accounts whose balance differs from the sum of their ledger entries"},
    {"SELECT count(*) FROM (SELECT DISTINCT account FROM ledger_entries)"
     " WHERE account NOT IN (SELECT id FROM accounts)",
     "ledger entries of accounts that do not exist"},
    {"SELECT (SELECT coalesce(sum(balance), 0) FROM accounts WHERE id LIKE 'user:%') <>"
     " (SELECT coalesce(sum(amount), 0) FROM payments WHERE status = 'approved')",
     "points held by users differ from the approved charges"},
    {"SELECT count(*) FROM payments p WHERE p.status = 'approved' AND NOT EXISTS ("
     " SELECT 1 FROM ledger_tx t WHERE t.id = p.tx_id AND t.kind = 'charge')"
     " OR p.status = 'approved' AND (SELECT amount FROM ledger_entries e WHERE e.tx_id = p.tx_id"
     " AND e.account = 'user:' || p.user_id) IS NOT p.amount",
     "approved charges without a matching ledger transaction"},
    {"SELECT count(*) FROM donations d WHERE NOT EXISTS (SELECT 1 FROM ledger_tx t"
     " WHERE t.id = d.tx_id AND t.kind = 'donation')"
     " OR (SELECT amount FROM ledger_entries e WHERE e.tx_id = d.tx_id"
     " AND e.account = 'user:' || d.to_user) IS NOT d.amount"
     " OR (SELECT amount FROM ledger_entries e WHERE e.tx_id = d.tx_id"
     " AND e.account = 'user:' || d.from_user) IS NOT -d.amount",
     "donations without a matching ledger transaction"},
    {"SELECT count(*) FROM ledger_tx t WHERE t.kind = 'charge' AND NOT EXISTS ("
     " SELECT 1 FROM payments p WHERE p.tx_id = t.id)"
     " OR t.kind = 'donation' AND NOT EXISTS (SELECT 1 FROM donations d WHERE d.tx_id = t.id)",
     "ledger transactions that belong to no charge or donation"},
    {"SELECT count(*) FROM donations d WHERE NOT EXISTS (SELECT 1 FROM chat_events e"
     " WHERE e.room = 'channel:' || d.to_name AND e.seq = d.chat_seq AND e.type = 'donation'"
     " AND e.amount = d.amount AND e.user_id = d.from_user)",
     "donations without their chat event"},
};

/* Runs a one-row, one-integer query that isn't worth a prepared slot. */
static int scalar(struct store_conn *c, sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        err = sqlite__fail(c, rc, "ledger_check");
    sqlite3_finalize(s);
    return err;
}

int sqlite__ledger_check(struct store_conn *c, struct store_ledger_report *out)
{
    memset(out, 0, sizeof *out);
    out->ok = true;
    sqlite3 *db = sqlite__db(c);
    /* One read transaction: every check sees the same moment. */
    int err = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
                  ? 0
                  : sqlite__fail(c, sqlite3_errcode(db), "ledger_check");
    if (!err)
        err = scalar(c, db, "SELECT count(*) FROM accounts", &out->accounts);
    if (!err)
        err = scalar(c, db, "SELECT count(*) FROM ledger_tx", &out->transactions);
    if (!err)
        err = scalar(c, db, "SELECT count(*) FROM donations", &out->donations);
    if (!err)
        err = scalar(c, db, "SELECT count(*) FROM payments WHERE status = 'approved'",
                     &out->approved_charges);
    size_t len = 0;
    for (size_t i = 0; !err && i < sizeof checks / sizeof checks[0]; i++) {
        int64_t bad = 0;
        err = scalar(c, db, checks[i].sql, &bad);
        if (!err && bad != 0) {
            out->ok = false;
            int w = snprintf(out->problems + len, sizeof out->problems - len, "%lld %s\n",
                             (long long)bad, checks[i].what);
            if (w > 0 && (size_t)w < sizeof out->problems - len)
                len += (size_t)w;
        }
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return err;
}
