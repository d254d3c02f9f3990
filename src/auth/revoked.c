#include "auth/revoked.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/token.h"
#include "core/alloc.h"

/*
 * A chained hash table over a dense array, as in limiter.c: entries[0..count)
 * are all in use, buckets[] and entry.next hold indexes + 1 (0 ends a chain),
 * and removing an entry moves the last one into its place.
 */
struct entry {
    uint64_t hash;
    uint32_t next; /* index + 1 of the next entry in this bucket, 0 = end */
    uint8_t sidlen;
    int64_t until_ms;
    char sid[AUTH_REVOKED_SID_MAX];
};

struct auth_revoked {
    pthread_mutex_t mu;
    size_t max_entries;
    size_t count;
    size_t mask;           /* buckets - 1; the bucket count is a power of two >= max_entries */
    int64_t latest_now_ms; /* the latest now_ms seen: what "already expired" means in add */
    uint32_t *buckets;
    struct entry *entries; /* max_entries of them */
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

static size_t sid_len(const char *sid)
{
    return strnlen(sid, AUTH_REVOKED_SID_MAX);
}

static uint64_t sid_hash(const struct auth_revoked *r, const char *sid, size_t n)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;

    crypto_shorthash(h, (const unsigned char *)sid, n, r->hash_key);
    memcpy(&v, h, sizeof v);
    return v;
}

static size_t find(const struct auth_revoked *r, const char *sid, size_t n, uint64_t h)
{
    for (uint32_t i = r->buckets[h & r->mask]; i != 0; i = r->entries[i - 1].next) {
        const struct entry *e = &r->entries[i - 1];
        if (e->hash == h && e->sidlen == n && memcmp(e->sid, sid, n) == 0)
            return i - 1;
    }
    return SIZE_MAX;
}

static void link_entry(struct auth_revoked *r, size_t idx)
{
    struct entry *e = &r->entries[idx];
    uint32_t *head = &r->buckets[e->hash & r->mask];
    e->next = *head;
    *head = (uint32_t)(idx + 1);
}

static void unlink_entry(struct auth_revoked *r, size_t idx)
{
    uint32_t *p = &r->buckets[r->entries[idx].hash & r->mask];
    while (*p != idx + 1) {
        assert(*p != 0); /* every live entry is on its bucket's chain */
        p = &r->entries[*p - 1].next;
    }
    *p = r->entries[idx].next;
}

static void remove_entry(struct auth_revoked *r, size_t idx)
{
    size_t last = r->count - 1;

    assert(idx < r->count);
    unlink_entry(r, idx);
    if (idx != last) {
        unlink_entry(r, last);
        r->entries[idx] = r->entries[last];
        link_entry(r, idx);
    }
    r->count--;
}

static void note_now(struct auth_revoked *r, int64_t now_ms)
{
    if (now_ms > r->latest_now_ms)
        r->latest_now_ms = now_ms;
}

static void purge_locked(struct auth_revoked *r, int64_t now_ms)
{
    for (size_t i = 0; i < r->count;) {
        if (now_ms >= r->entries[i].until_ms)
            remove_entry(r, i); /* the last entry moved into i: look again */
        else
            i++;
    }
}

/* Makes room for one more id: drops expired ones, else the soonest to expire. */
static void make_room(struct auth_revoked *r)
{
    if (r->count < r->max_entries)
        return;
    purge_locked(r, r->latest_now_ms);
    if (r->count < r->max_entries)
        return;
    size_t soonest = 0;
    for (size_t i = 1; i < r->count; i++)
        if (r->entries[i].until_ms < r->entries[soonest].until_ms)
            soonest = i;
    remove_entry(r, soonest);
}

struct auth_revoked *auth_revoked_new(size_t max_entries)
{
    if (max_entries < 1 || max_entries > AUTH_REVOKED_ENTRIES_MAX)
        return NULL;
    auth__crypto_init();

    struct auth_revoked *r = xcalloc(1, sizeof *r);
    size_t nbuckets = 1;
    while (nbuckets < max_entries)
        nbuckets <<= 1;
    r->max_entries = max_entries;
    r->mask = nbuckets - 1;
    r->latest_now_ms = INT64_MIN;
    r->buckets = xcalloc(nbuckets, sizeof *r->buckets);
    r->entries = xcalloc(max_entries, sizeof *r->entries);
    crypto_shorthash_keygen(r->hash_key);
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void auth_revoked_free(struct auth_revoked *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->entries);
    free(r->buckets);
    free(r);
}

void auth_revoked_add(struct auth_revoked *r, const char *sid, int64_t until_ms)
{
    size_t n = sid_len(sid);
    uint64_t h = sid_hash(r, sid, n);

    pthread_mutex_lock(&r->mu);
    size_t idx = find(r, sid, n, h);
    if (idx != SIZE_MAX) {
        if (until_ms > r->entries[idx].until_ms)
            r->entries[idx].until_ms = until_ms;
    } else {
        make_room(r);
        assert(r->count < r->max_entries);
        idx = r->count++;
        struct entry *e = &r->entries[idx];
        e->hash = h;
        e->sidlen = (uint8_t)n;
        e->until_ms = until_ms;
        memcpy(e->sid, sid, n);
        link_entry(r, idx);
    }
    pthread_mutex_unlock(&r->mu);
}

bool auth_revoked_has(struct auth_revoked *r, const char *sid, int64_t now_ms)
{
    size_t n = sid_len(sid);
    uint64_t h = sid_hash(r, sid, n);
    bool has = false;

    pthread_mutex_lock(&r->mu);
    note_now(r, now_ms);
    size_t idx = find(r, sid, n, h);
    if (idx != SIZE_MAX) {
        if (now_ms < r->entries[idx].until_ms)
            has = true;
        else
            remove_entry(r, idx);
    }
    pthread_mutex_unlock(&r->mu);
    return has;
}

void auth_revoked_purge(struct auth_revoked *r, int64_t now_ms)
{
    pthread_mutex_lock(&r->mu);
    note_now(r, now_ms);
    purge_locked(r, now_ms);
    pthread_mutex_unlock(&r->mu);
}

size_t auth_revoked_count(struct auth_revoked *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->count;
    pthread_mutex_unlock(&r->mu);
    return n;
}
