/*
 * revoked.h - the set of revoked session ids (JWT "sid").
 *
 * Access tokens are verified without the database, so logging out could not
 * stop one before it expires. Logout (and refresh-token theft detection)
 * adds the session's id here with the time its last access token expires;
 * request handling checks every verified token's sid against the set. An id
 * is remembered until then and forgotten afterwards. A restarted server
 * refills the set from the store (store_backend.revoked_families_since).
 *
 * Bounded: at most max_entries ids. When a new id arrives and the set is
 * full, entries already expired (at the latest now_ms this set has seen)
 * are dropped first; if none has, the one that expires soonest is dropped.
 * Ids longer than AUTH_REVOKED_SID_MAX bytes are truncated to that many
 * bytes (a verified JWT's sid never is: STORE_KEY_MAX is the same 64).
 *
 * Ownership: the set owns its table; ids are copied in.
 * Threads: every function but _free may be called from any thread; one
 * mutex guards the table. Lookups are O(1) with a keyed hash (SipHash,
 * random key per set); making room in a full set scans it once.
 * Errors: none at run time; out of heap aborts (core/alloc.h).
 */
#ifndef ONAIR_AUTH_REVOKED_H
#define ONAIR_AUTH_REVOKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_REVOKED_SID_MAX 64             /* longer ids are truncated to this many bytes */
#define AUTH_REVOKED_ENTRIES_MAX (1u << 24) /* the largest max_entries accepted */

struct auth_revoked;

/* An empty set holding at most max_entries (1..AUTH_REVOKED_ENTRIES_MAX)
 * ids; NULL if max_entries is out of range. Free it with auth_revoked_free. */
struct auth_revoked *auth_revoked_new(size_t max_entries);

/* Frees r and everything it holds. NULL is fine. No other thread may be
 * using r. */
void auth_revoked_free(struct auth_revoked *r);

/* Remembers sid as revoked until until_ms (unix ms). Adding an id already
 * present keeps the later of the two times. */
void auth_revoked_add(struct auth_revoked *r, const char *sid, int64_t until_ms);

/* True if sid is revoked at now_ms (now_ms < its until_ms). An expired
 * entry met here is dropped. */
bool auth_revoked_has(struct auth_revoked *r, const char *sid, int64_t now_ms);

/* Drops every entry expired at now_ms (for a periodic timer; optional, the
 * set stays bounded without it). */
void auth_revoked_purge(struct auth_revoked *r, int64_t now_ms);

/* How many ids are held right now, expired ones not yet dropped included. */
size_t auth_revoked_count(struct auth_revoked *r);

#endif
