#include "auth/limiter.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "core/alloc.h"

/*
 * A chained hash table over a dense array: entries[0..count) are all in
 * use, buckets[] and entry.next hold indexes + 1 (0 ends a chain).
 * Removing an entry moves the last one into its place, so scans for room
 * touch only live entries and there are no tombstones.
 */
struct entry {
    uint64_t hash;
    uint32_t next;     /* index + 1 of the next entry in this bucket, 0 = end */
    uint32_t failures; /* in the current window, saturating */
    int64_t end_ms;    /* when the current window ends (saturating sum) */
    uint8_t keylen;
    char key[AUTH_LIMITER_KEY_MAX];
};

struct auth_limiter {
    pthread_mutex_t mu;
    unsigned max_failures;
    int64_t window_ms;
    size_t max_keys;
    size_t count;
    size_t mask; /* buckets - 1; the bucket count is a power of two >= max_keys */
    uint32_t *buckets;
    struct entry *entries; /* max_keys of them */
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static size_t key_len(const char *key)
{
    return strnlen(key, AUTH_LIMITER_KEY_MAX);
}

static uint64_t key_hash(const struct auth_limiter *l, const char *key, size_t n)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;

    crypto_shorthash(h, (const unsigned char *)key, n, l->hash_key);
    memcpy(&v, h, sizeof v);
    return v;
}

static size_t find(const struct auth_limiter *l, const char *key, size_t n, uint64_t h)
{
    for (uint32_t i = l->buckets[h & l->mask]; i != 0; i = l->entries[i - 1].next) {
        const struct entry *e = &l->entries[i - 1];
        if (e->hash == h && e->keylen == n && memcmp(e->key, key, n) == 0)
            return i - 1;
    }
    return SIZE_MAX;
}

static void link_entry(struct auth_limiter *l, size_t idx)
{
    struct entry *e = &l->entries[idx];
    uint32_t *head = &l->buckets[e->hash & l->mask];
    e->next = *head;
    *head = (uint32_t)(idx + 1);
}

static void unlink_entry(struct auth_limiter *l, size_t idx)
{
    uint32_t *p = &l->buckets[l->entries[idx].hash & l->mask];
    while (*p != idx + 1) {
        assert(*p != 0); /* every live entry is on its bucket's chain */
        p = &l->entries[*p - 1].next;
    }
    *p = l->entries[idx].next;
}

static void remove_entry(struct auth_limiter *l, size_t idx)
{
    size_t last = l->count - 1;

    assert(idx < l->count);
    unlink_entry(l, idx);
    if (idx != last) {
        unlink_entry(l, last);
        l->entries[idx] = l->entries[last];
        link_entry(l, idx);
    }
    l->count--;
}

/* Makes room for one more key: drops ended windows, else the oldest. */
static void make_room(struct auth_limiter *l, int64_t now_ms)
{
    if (l->count < l->max_keys)
        return;
    for (size_t i = 0; i < l->count;) {
        if (now_ms >= l->entries[i].end_ms)
            remove_entry(l, i); /* the last entry moved into i: look again */
        else
            i++;
    }
    if (l->count < l->max_keys)
        return;
    size_t oldest = 0;
    for (size_t i = 1; i < l->count; i++)
        if (l->entries[i].end_ms < l->entries[oldest].end_ms)
            oldest = i;
    remove_entry(l, oldest);
}

struct auth_limiter *auth_limiter_new(unsigned max_failures, int64_t window_ms, size_t max_keys)
{
    if (max_failures < 1 || window_ms <= 0 || max_keys < 1 || max_keys > AUTH_LIMITER_KEYS_MAX)
        return NULL;
    auth__crypto_init();

    struct auth_limiter *l = xcalloc(1, sizeof *l);
    size_t nbuckets = 1;
    while (nbuckets < max_keys)
        nbuckets <<= 1;
    l->max_failures = max_failures;
    l->window_ms = window_ms;
    l->max_keys = max_keys;
    l->mask = nbuckets - 1;
    l->buckets = xcalloc(nbuckets, sizeof *l->buckets);
    l->entries = xcalloc(max_keys, sizeof *l->entries);
    crypto_shorthash_keygen(l->hash_key);
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l->entries);
    free(l->buckets);
    free(l);
}

bool auth_limiter_blocked(struct auth_limiter *l, const char *key, int64_t now_ms,
                          int64_t *retry_after_ms)
{
    size_t n = key_len(key);
    uint64_t h = key_hash(l, key, n);
    bool blocked = false;
    int64_t retry = 0;

    pthread_mutex_lock(&l->mu);
    size_t idx = find(l, key, n, h);
    if (idx != SIZE_MAX) {
        const struct entry *e = &l->entries[idx];
        if (now_ms >= e->end_ms) {
            remove_entry(l, idx); /* its window is over: nothing to remember */
        } else if (e->failures >= l->max_failures) {
            blocked = true;
            retry = sub_sat(e->end_ms, now_ms);
        }
    }
    pthread_mutex_unlock(&l->mu);
    if (retry_after_ms != NULL)
        *retry_after_ms = retry;
    return blocked;
}

void auth_limiter_fail(struct auth_limiter *l, const char *key, int64_t now_ms)
{
    size_t n = key_len(key);
    uint64_t h = key_hash(l, key, n);

    pthread_mutex_lock(&l->mu);
    size_t idx = find(l, key, n, h);
    if (idx != SIZE_MAX) {
        struct entry *e = &l->entries[idx];
        if (now_ms >= e->end_ms) {
            e->end_ms = add_sat(now_ms, l->window_ms);
            e->failures = 1;
        } else if (e->failures < UINT32_MAX) {
            e->failures++;
        }
    } else {
        make_room(l, now_ms);
        assert(l->count < l->max_keys);
        idx = l->count++;
        struct entry *e = &l->entries[idx];
        e->hash = h;
        e->failures = 1;
        e->end_ms = add_sat(now_ms, l->window_ms);
        e->keylen = (uint8_t)n;
        memcpy(e->key, key, n);
        link_entry(l, idx);
    }
    pthread_mutex_unlock(&l->mu);
}

void auth_limiter_reset(struct auth_limiter *l, const char *key)
{
    size_t n = key_len(key);
    uint64_t h = key_hash(l, key, n);

    pthread_mutex_lock(&l->mu);
    size_t idx = find(l, key, n, h);
    if (idx != SIZE_MAX)
        remove_entry(l, idx);
    pthread_mutex_unlock(&l->mu);
}

size_t auth_limiter_count(struct auth_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    size_t n = l->count;
    pthread_mutex_unlock(&l->mu);
    return n;
}
