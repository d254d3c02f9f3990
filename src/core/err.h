/*
 * err.h - the one project-wide error vocabulary.
 *
 * Actions return int: 0 on success or one of the negative ONAIR_E* values
 * below. Predicates return bool; constructors return a pointer or NULL.
 * Every module maps its own failures onto these so callers can switch on
 * them without knowing which backend or parser produced them.
 */
#ifndef ONAIR_CORE_ERR_H
#define ONAIR_CORE_ERR_H

enum onair_err {
    ONAIR_OK = 0,
    ONAIR_EAGAIN = -1,    /* would block / try again later */
    ONAIR_ENOMEM = -2,    /* out of memory (rare: most paths abort instead) */
    ONAIR_EPROTO = -3,    /* peer sent bytes that break the protocol */
    ONAIR_ETOOBIG = -4,   /* a peer-driven size went past its cap */
    ONAIR_EIO = -5,       /* disk, socket or database I/O failed */
    ONAIR_EINVAL = -6,    /* caller passed a value outside the contract */
    ONAIR_ENOTFOUND = -7, /* the thing asked for does not exist */
    ONAIR_ECONFLICT = -8, /* a uniqueness rule would be broken (name taken) */
    ONAIR_EDENIED = -9,   /* not allowed (wrong owner, bad credentials) */
    ONAIR_ESTALE = -10,   /* a single-use value was presented again */
    ONAIR_ECLOSED = -11,  /* the object is shutting down */
};

/* A static, human-readable name for an error code ("no memory", ...). */
const char *onair_strerror(int err);

#endif
