/*
 * amf0.h - AMF0 values: a bounded decoder and appending encoders.
 *
 * Purpose: RTMP commands (connect, createStream, publish, ...) and data
 * messages (@setDataFrame/onMetaData) are sequences of AMF0 values. The
 * decoder turns such a payload into a tree of struct amf0_value; the
 * encoders append AMF0 bytes to a struct buf for the replies.
 *
 * Ownership: a decoded tree borrows from two places. Strings and keys point
 * into the caller's input bytes (not NUL-terminated), so they live as long as
 * that input does (for an RTMP message: only during the message callback).
 * Child arrays (props, keys, key_lens) live in an arena owned by the decoder
 * and stay valid until the next amf0_decode on the same decoder or
 * amf0_decoder_free, whichever comes first. Reusing one decoder for every
 * message of a session therefore costs bounded memory.
 *
 * Threading: pure functions, no globals. A decoder must be used by one
 * thread at a time; distinct decoders and the encoders may run anywhere.
 *
 * Errors: decoding returns ONAIR_EPROTO for malformed, truncated or
 * unsupported input (movie clip, reference, unsupported, recordset, XML
 * document, typed object, AMF3 switch), and ONAIR_ETOOBIG past the bounds
 * (nesting deeper than AMF0_MAX_DEPTH containers, more than AMF0_MAX_VALUES
 * values in one call). Encoders return 0, ONAIR_ETOOBIG when out's limit is
 * reached (out is left as it was), or ONAIR_EINVAL for a caller value AMF0
 * cannot carry (a key longer than 65535 bytes, a string longer than 4 GiB).
 */
#ifndef ONAIR_RTMP_AMF0_H
#define ONAIR_RTMP_AMF0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Most containers (objects, ECMA arrays, strict arrays) nested in one another. */
#define AMF0_MAX_DEPTH 16
/* Most values (top-level and nested together) one amf0_decode call accepts. */
#define AMF0_MAX_VALUES 4096

enum amf0_type {
    AMF0_NUMBER = 0,
    AMF0_BOOLEAN = 1,
    AMF0_STRING = 2,
    AMF0_OBJECT = 3,
    AMF0_NULL = 5,
    AMF0_UNDEFINED = 6,
    AMF0_ECMA_ARRAY = 8,
    AMF0_STRICT_ARRAY = 10,
    AMF0_DATE = 11,
    AMF0_LONG_STRING = 12,
};

struct amf0_value {
    enum amf0_type type;
    double number; /* NUMBER, DATE (ms since the epoch; the time zone is dropped) */
    bool boolean;  /* BOOLEAN */
    /* STRING, LONG_STRING: points into the decoded input, NOT NUL-terminated */
    const char *str;
    uint32_t str_len;
    /* OBJECT, ECMA_ARRAY: props[i] named keys[i]/key_lens[i] (keys point into
     * the input, not NUL-terminated); STRICT_ARRAY: props only, keys NULL.
     * props may be NULL when nprops is 0. */
    struct amf0_value *props;
    const char **keys;
    uint32_t *key_lens;
    uint32_t nprops;
};

struct amf0_decoder;

/* A new decoder with an empty arena. Free it with amf0_decoder_free. */
struct amf0_decoder *amf0_decoder_new(void);
/* Frees the decoder and its arena (every tree it decoded). NULL is fine. */
void amf0_decoder_free(struct amf0_decoder *d);

/*
 * Decodes up to max_values consecutive values from data into vals[0..].
 * Stops cleanly at the end of data or after max_values values (the rest of
 * data is then not looked at). Returns the number of top-level values decoded
 * (>= 0), or ONAIR_EPROTO / ONAIR_ETOOBIG as described above; on error vals
 * holds nothing useful. Invalidates every tree from this decoder's previous
 * call. An ECMA array's count is only a hint: its properties run up to the
 * 00 00 09 end marker like an object's.
 */
int amf0_decode(struct amf0_decoder *d, const uint8_t *data, size_t len, struct amf0_value *vals,
                unsigned max_values);

/* Looks up a key in an OBJECT/ECMA_ARRAY (first match); NULL if absent or v
 * is not one (or v is NULL). */
const struct amf0_value *amf0_get(const struct amf0_value *v, const char *key);
/* True and *s, *len set when v is a STRING/LONG_STRING (v may be NULL). */
bool amf0_string(const struct amf0_value *v, const char **s, uint32_t *len);
/* True and *n set when v is a NUMBER (v may be NULL). */
bool amf0_number(const struct amf0_value *v, double *n);
/* True when v is a STRING/LONG_STRING equal to the C string s. */
bool amf0_string_eq(const struct amf0_value *v, const char *s);

/* Encoders append one AMF0 item to out. */
int amf0_write_number(struct buf *out, double n);
int amf0_write_bool(struct buf *out, bool b);
int amf0_write_string(struct buf *out, const char *s, size_t len);      /* LONG_STRING past 65535 */
int amf0_write_long_string(struct buf *out, const char *s, size_t len); /* always LONG_STRING */
int amf0_write_null(struct buf *out);
int amf0_write_undefined(struct buf *out);
int amf0_write_date(struct buf *out, double ms); /* time zone written as 0 */
int amf0_write_object_begin(struct buf *out);
int amf0_write_prop_name(struct buf *out, const char *name); /* followed by one value */
int amf0_write_prop_name_len(struct buf *out, const char *name, size_t len);
/* Ends an object or an ECMA array (00 00 09). */
int amf0_write_object_end(struct buf *out);
int amf0_write_ecma_begin(struct buf *out, uint32_t count); /* then props, then object_end */
int amf0_write_strict_array_begin(struct buf *out, uint32_t count); /* then count values */
/* Writes a whole decoded (or hand-built) tree, keeping its types: a
 * LONG_STRING stays long, an ECMA array's count is its nprops. */
int amf0_write_value(struct buf *out, const struct amf0_value *v);

#endif
