/*
 * limiter.h - failed-login limiter keyed by a string (a username or an IP).
 *
 * Fixed window per key: the first failure opens a window of window_ms; once
 * max_failures failures have been recorded inside it, the key is blocked
 * until that window ends. A failure after the window has ended opens a new
 * one. Failures recorded while blocked count, but never extend the block.
 *
 * Bounded: at most max_keys keys are remembered. When a new key arrives and
 * the table is full, every entry whose window has ended is dropped first;
 * if none has, the entry whose window opened earliest is dropped (so an
 * attacker spraying keys can at worst make the limiter forget old keys,
 * never grow memory). Keys longer than AUTH_LIMITER_KEY_MAX bytes are
 * truncated to that many bytes: two such keys sharing their first 64 bytes
 * share one counter (errs on the side of blocking; usernames and IP
 * addresses are far shorter).
 *
 * Ownership: the limiter owns its table; keys are copied in.
 * Threads: every function but _free may be called from any thread; one
 * mutex guards the table (login is not a hot path). Lookups are O(1) with a
 * keyed hash (SipHash, random key per limiter) so chosen keys can't collide
 * on purpose; making room in a full table scans it once.
 * Errors: none at run time; out of heap aborts (core/alloc.h).
 */
#ifndef ONAIR_AUTH_LIMITER_H
#define ONAIR_AUTH_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_LIMITER_KEY_MAX 64          /* longer keys are truncated to this many bytes */
#define AUTH_LIMITER_KEYS_MAX (1u << 24) /* the largest max_keys accepted */

struct auth_limiter;

/* A limiter that blocks a key after max_failures (>= 1) failures within
 * window_ms (> 0) of its first one, remembering at most max_keys
 * (1..AUTH_LIMITER_KEYS_MAX) keys. NULL if an argument is out of range.
 * Free it with auth_limiter_free. */
struct auth_limiter *auth_limiter_new(unsigned max_failures, int64_t window_ms, size_t max_keys);

/* Frees l and everything it holds. NULL is fine. No other thread may be
 * using l. */
void auth_limiter_free(struct auth_limiter *l);

/* True if key is blocked at now_ms; then *retry_after_ms (if not NULL) gets
 * the milliseconds until the block ends, otherwise 0. */
bool auth_limiter_blocked(struct auth_limiter *l, const char *key, int64_t now_ms,
                          int64_t *retry_after_ms);

/* Records one failed attempt for key at now_ms. */
void auth_limiter_fail(struct auth_limiter *l, const char *key, int64_t now_ms);

/* Forgets key (after a successful login). Unknown keys are fine. */
void auth_limiter_reset(struct auth_limiter *l, const char *key);

/* How many keys are remembered right now (for tests and /metrics). */
size_t auth_limiter_count(struct auth_limiter *l);

#endif
