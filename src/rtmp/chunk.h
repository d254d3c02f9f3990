/*
 * chunk.h - the RTMP chunk stream (RTMP 1.0 sections 5.3 and 5.4): a reader
 * that turns received bytes into whole messages, and a writer that turns
 * messages into chunks.
 *
 * Purpose: the reader takes whatever the socket delivered, in pieces of any
 * size, tracks the per-chunk-stream header state (fmt 0/1/2/3 headers,
 * timestamp deltas, extended timestamps) and calls back once per complete
 * message, in order. It applies Set Chunk Size and Abort itself (and still
 * reports them). The writer appends messages as chunks to a struct buf.
 *
 * Ownership: the reader is owned by its creator (free with
 * rtmp_chunk_reader_free). A message's payload is borrowed: it points into
 * the reader's buffers or straight into the caller's input and is valid only
 * during the callback. The writers append to a caller-owned buf.
 *
 * Bounds: a message longer than max_message is refused before any of it is
 * stored; at most max_streams chunk streams are tracked; unfinished messages
 * are stored only as their bytes arrive, and all unfinished messages together
 * may hold at most 2 * max_message bytes (ETOOBIG past it). A stream's
 * reassembly buffer above 256 KiB is released once its message is delivered.
 *
 * Threading: pure (no I/O, no globals). A reader is used by one thread at a
 * time; the callback must not feed the same reader again.
 *
 * Errors: ONAIR_EPROTO for bytes that break the protocol, ONAIR_ETOOBIG past
 * the bounds, ONAIR_EINVAL for writer arguments outside the contract, or the
 * callback's own negative value. A reader that returned an error keeps
 * returning it. A writer that fails (ETOOBIG from out's limit) leaves out as
 * it was.
 */
#ifndef ONAIR_RTMP_CHUNK_H
#define ONAIR_RTMP_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum rtmp_msg_type {
    RTMP_MSG_SET_CHUNK_SIZE = 1,
    RTMP_MSG_ABORT = 2,
    RTMP_MSG_ACK = 3,
    RTMP_MSG_USER_CONTROL = 4,
    RTMP_MSG_WINDOW_ACK_SIZE = 5,
    RTMP_MSG_SET_PEER_BANDWIDTH = 6,
    RTMP_MSG_AUDIO = 8,
    RTMP_MSG_VIDEO = 9,
    RTMP_MSG_DATA_AMF3 = 15,
    RTMP_MSG_COMMAND_AMF3 = 17,
    RTMP_MSG_DATA_AMF0 = 18,
    RTMP_MSG_COMMAND_AMF0 = 20,
    RTMP_MSG_AGGREGATE = 22,
};

/* User Control event types (section 7.1.7). */
enum rtmp_user_control {
    RTMP_UC_STREAM_BEGIN = 0,
    RTMP_UC_STREAM_EOF = 1,
    RTMP_UC_STREAM_DRY = 2,
    RTMP_UC_SET_BUFFER_LENGTH = 3,
    RTMP_UC_STREAM_IS_RECORDED = 4,
    RTMP_UC_PING_REQUEST = 6,
    RTMP_UC_PING_RESPONSE = 7,
};

/* Set Peer Bandwidth limit types. */
enum rtmp_limit_type {
    RTMP_LIMIT_HARD = 0,
    RTMP_LIMIT_SOFT = 1,
    RTMP_LIMIT_DYNAMIC = 2,
};

#define RTMP_DEFAULT_CHUNK_SIZE 128
/* Largest chunk size the reader accepts (the spec allows up to 0x7FFFFFFF). */
#define RTMP_MAX_CHUNK_SIZE (16u * 1024 * 1024)
#define RTMP_CSID_MIN 2
#define RTMP_CSID_MAX 65599
/* Largest message length a chunk header can carry. */
#define RTMP_MAX_MESSAGE_LENGTH 0xFFFFFFu

struct rtmp_message {
    uint32_t csid;
    uint8_t type;
    uint32_t stream_id;
    /* Absolute, in ms; 32-bit, wraps. From a fmt 0 absolute timestamp or the
     * sum of fmt 1/2 deltas (a fmt 3 header starting a new message repeats
     * the previous delta; after fmt 0 that delta is the fmt 0 timestamp). */
    uint32_t timestamp;
    uint32_t length;
    const uint8_t *payload; /* valid only during the callback */
};

/* Return 0 to go on; any negative value stops rtmp_chunk_reader_feed, which returns it. */
typedef int (*rtmp_message_fn)(const struct rtmp_message *msg, void *arg);

struct rtmp_chunk_reader;

/* A reader with chunk size 128. max_message: largest message accepted
 * (ETOOBIG past it; at most RTMP_MAX_MESSAGE_LENGTH matters); max_streams:
 * most chunk stream ids tracked at once (EPROTO past it; at least 1). */
struct rtmp_chunk_reader *rtmp_chunk_reader_new(uint32_t max_message, unsigned max_streams);
/* Frees the reader and every unfinished message. NULL is fine. */
void rtmp_chunk_reader_free(struct rtmp_chunk_reader *r);

/*
 * Consumes all len bytes (partial chunks are kept inside, bounded), calling
 * fn for every complete message in order. Handles Set Chunk Size (1 ..
 * 0x7FFFFFFF in the spec; 0, a short payload or more than
 * RTMP_MAX_CHUNK_SIZE is EPROTO) and Abort itself, and also reports them to
 * fn. Returns 0 or the error; after an error the reader is unusable.
 *
 * EPROTO cases: fmt 1/2/3 on a chunk stream with no previous header (except
 * fmt 1 on csid 2, which librtmp sends for its first Acknowledgement or
 * User Control when no other protocol message went before: the stream id is
 * then 0 and the delta counts from 0), a fmt 0/1/2 header in the middle of a
 * message that changes its length, type or stream id (one that changes
 * nothing is read as a continuation), too many chunk streams, a bad Set Chunk
 * Size or Abort payload.
 *
 * Extended timestamps: a 0xFFFFFF timestamp field means four more bytes
 * follow; fmt 3 chunks on that chunk stream then carry them too (both the
 * continuation chunks of that message and later fmt 3 headers), as the spec,
 * librtmp and ffmpeg do.
 */
int rtmp_chunk_reader_feed(struct rtmp_chunk_reader *r, const uint8_t *data, size_t len,
                           rtmp_message_fn fn, void *arg);
/* Total bytes fed so far (for Acknowledgement sequence numbers, which are
 * this value truncated to 32 bits). */
uint64_t rtmp_chunk_reader_bytes(const struct rtmp_chunk_reader *r);
/* The chunk size currently in force for incoming chunks. */
uint32_t rtmp_chunk_reader_chunk_size(const struct rtmp_chunk_reader *r);
/* A lower bound on the input bytes the reader needs before it can deliver
 * a message it is in the middle of (a header partly read, or a message
 * whose header came and whose payload has not all come): for a caller that
 * would rather not be woken for less (SO_RCVLOWAT). 0 between messages. */
uint32_t rtmp_chunk_reader_wanted(const struct rtmp_chunk_reader *r);

/*
 * Appends one message as chunks: a fmt 0 first chunk, fmt 3 continuations,
 * and the extended timestamp (in every chunk) when timestamp >= 0xFFFFFF.
 * csid 2..65599 (1-, 2- and 3-byte basic headers as needed); chunk_size
 * 1..0x7FFFFFFF; len at most RTMP_MAX_MESSAGE_LENGTH; otherwise EINVAL.
 */
int rtmp_chunk_write(struct buf *out, uint32_t csid, uint32_t chunk_size, uint8_t type,
                     uint32_t stream_id, uint32_t timestamp, const uint8_t *payload, size_t len);

/* Protocol control messages (csid 2, message stream 0, timestamp 0). */
int rtmp_write_set_chunk_size(struct buf *out, uint32_t size); /* 1..0x7FFFFFFF else EINVAL */
int rtmp_write_window_ack_size(struct buf *out, uint32_t size);
int rtmp_write_peer_bandwidth(struct buf *out, uint32_t size, uint8_t limit_type);
int rtmp_write_ack(struct buf *out, uint32_t sequence);
/* User Control with a 4-byte value: Stream Begin (event 0, value = message
 * stream id), Ping Response (event 7, value = the request's timestamp), ... */
int rtmp_write_user_control(struct buf *out, uint16_t event, uint32_t value);

#endif
