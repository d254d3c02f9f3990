#include "core/err.h"

const char *onair_strerror(int err)
{
    switch (err) {
    case ONAIR_OK:
        return "ok";
    case ONAIR_EAGAIN:
        return "try again";
    case ONAIR_ENOMEM:
        return "out of memory";
    case ONAIR_EPROTO:
        return "protocol error";
    case ONAIR_ETOOBIG:
        return "too big";
    case ONAIR_EIO:
        return "i/o error";
    case ONAIR_EINVAL:
        return "invalid argument";
    case ONAIR_ENOTFOUND:
        return "not found";
    case ONAIR_ECONFLICT:
        return "conflict";
    case ONAIR_EDENIED:
        return "denied";
    case ONAIR_ESTALE:
        return "already used";
    case ONAIR_ECLOSED:
        return "closed";
    }
    return "unknown error";
}
