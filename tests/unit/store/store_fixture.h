/*
 * store_fixture.h - the harness the backend-contract tests share
 * (test_store_contract.c, test_store_chat.c): which backend runs, a fresh
 * data directory per test, and signup of test users.
 *
 * The harness section (B, fresh_options, drop_options) is the only
 * backend-specific part: today SQLite in a fresh temporary data directory per
 * test; a PostgreSQL run would hand out a fresh database per test instead.
 * Include after cmocka.h. Everything is static inline: a test file uses what
 * it needs.
 */
#ifndef ONAIR_TESTS_STORE_FIXTURE_H
#define ONAIR_TESTS_STORE_FIXTURE_H

#include "core/alloc.h"
#include "store/store.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness: the only backend-specific part ---- */

static const struct store_backend *const B = &store_sqlite_backend;

struct fx {
    char root[64]; /* mkdtemp directory, removed in teardown */
    char dir[128]; /* data_dir: root/data, which open() must create */
    struct store_options opt;
    struct store_conn *c;
};

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void fresh_options(struct fx *f)
{
    snprintf(f->root, sizeof f->root, "/tmp/onair-store-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/data", f->root);
    f->opt.data_dir = f->dir;
    f->opt.busy_timeout_ms = 10000;
}

static inline void drop_options(struct fx *f)
{
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- fixture ---- */

static inline int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    fresh_options(f);
    assert_int_equal(B->open(&f->opt, &f->c), 0);
    assert_int_equal(B->migrate(f->c), 0);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    if (f->c)
        B->close(f->c);
    drop_options(f);
    free(f);
    return 0;
}

/* Closes and reopens the connection on the same data (what a restart sees). */
static inline void reopen(struct fx *f)
{
    B->close(f->c);
    f->c = NULL;
    assert_int_equal(B->open(&f->opt, &f->c), 0);
    assert_int_equal(B->migrate(f->c), 0);
}

/* A stand-in for SHA-256 of a secret: distinct seeds give distinct hashes. */
static inline void fake_hash(uint8_t out[STORE_HASH_LEN], const char *seed)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = seed; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (int i = 0; i < STORE_HASH_LEN; i++) {
        h = (h ^ (uint64_t)i) * 1099511628211ull;
        out[i] = (uint8_t)(h >> 56);
    }
}

static const char PWHASH[] =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";

/* Signs up `name` with title "<name>'s stream", key "key-<name>". */
static inline int signup(struct fx *f, const char *name, int64_t now, struct store_user *u,
                         struct store_channel *ch)
{
    char title[64], key[64];
    snprintf(title, sizeof title, "%s's stream", name);
    snprintf(key, sizeof key, "key-%s", name);
    struct store_new_user in = {
        .username = name,
        .password_hash = PWHASH,
        .channel_title = title,
        .stream_key = key,
        .now = now,
    };
    fake_hash(in.stream_key_hash, key);
    struct store_user uu;
    struct store_channel cc;
    return B->user_create(f->c, &in, u ? u : &uu, ch ? ch : &cc);
}

#endif
