/*
 * frame.h - WebSocket framing (RFC 6455 section 5) for the server side: a
 * reader that turns a client's bytes into whole messages, encoders for the
 * server's frames, and the handshake's Sec-WebSocket-Accept value.
 *
 * Purpose: the reader takes whatever the socket delivered, in pieces of any
 * size, checks every rule a server must enforce (client frames masked, no
 * extensions, known opcodes, control frames short and unfragmented, the
 * fragmentation sequence, close codes, UTF-8 in TEXT messages and close
 * reasons), reassembles fragmented messages and calls back once per complete
 * TEXT/BINARY message or control frame, in the order they arrived (a control
 * frame between fragments is delivered in place, before the message it
 * interrupts). The encoders write unmasked, unfragmented server frames.
 * No extensions (permessage-deflate) are supported, so RSV bits are errors.
 *
 * Ownership: struct ws_reader is embedded by its owner and freed with
 * ws_reader_free. A delivered message's bytes are borrowed from the reader:
 * they stay valid only until the callback returns (copy them to keep them).
 * The encoders append to a caller-owned buf.
 *
 * Bounds: a TEXT/BINARY message may be at most max_message bytes, decided
 * from each frame's length field before its payload is stored; the reader
 * holds at most max_message + 14 header bytes + 125 control bytes for
 * unfinished frames, whatever the peer sends. After a message is delivered
 * its buffer is kept only if it is at most WS_READER_KEEP bytes, so an idle
 * connection holds little.
 *
 * Threading: pure (no I/O, no globals). A reader is used by one thread at a
 * time; the callback must not feed the same reader again.
 *
 * Errors: ws_reader_feed returns ONAIR_EPROTO (close code 1002 or 1007) or
 * ONAIR_ETOOBIG (1009) for bad input and sets r->close_code to the code to
 * send, or passes on the callback's own negative value (close_code stays 0).
 * A reader that returned an error keeps returning it. Encoders return
 * ONAIR_EINVAL for arguments outside their contract and ONAIR_ETOOBIG when
 * out's limit would be passed; a failed encoder leaves out as it was.
 */
#ifndef ONAIR_WS_FRAME_H
#define ONAIR_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/utf8.h"

enum ws_opcode { WS_CONT = 0, WS_TEXT = 1, WS_BINARY = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never on the wire: "the close frame had no code" */
    WS_CLOSE_ABNORMAL = 1006,  /* never on the wire: "closed without a close frame" */
    WS_CLOSE_BAD_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013,
};

/* Largest payload of a control frame (CLOSE, PING, PONG). */
#define WS_CONTROL_MAX 125
/* Largest frame header: 2 bytes, 8 of extended length, 4 of mask key. */
#define WS_HEADER_MAX 14
/* A reassembly buffer up to this size is kept between messages. */
#define WS_READER_KEEP 1024

/* A complete message (fragments reassembled) or a control frame. */
struct ws_message {
    enum ws_opcode opcode; /* TEXT, BINARY, CLOSE, PING or PONG */
    const uint8_t *data;   /* unmasked payload, never NULL; valid until the callback returns.
                              CLOSE: the reason only (after the 2-byte code), valid UTF-8 */
    size_t len;
    uint16_t close_code; /* CLOSE: the code sent (1005 "none" if the payload was empty); else 0 */
};

/* Return 0 to go on; a negative value stops ws_reader_feed, which returns it. */
typedef int (*ws_message_fn)(const struct ws_message *m, void *arg);

/* Embed it; init with ws_reader_init. Fields below "private" are not for
 * callers. */
struct ws_reader {
    uint16_t close_code; /* after an EPROTO/ETOOBIG: the code to send (1002, 1007, 1009) */
    bool closed;         /* a CLOSE was delivered; later bytes are ignored */

    /* private */
    int err;                     /* sticky error, 0 while alive */
    size_t max_message;          /* bound on a reassembled TEXT/BINARY message */
    uint8_t hdr[WS_HEADER_MAX];  /* the current frame's header bytes so far */
    uint8_t hdr_len;             /* bytes in hdr */
    uint8_t hdr_need;            /* full header size once known (after 2 bytes), else 0 */
    uint8_t mask_pos;            /* payload offset of the next byte, mod 4 */
    uint8_t msg_opcode;          /* TEXT/BINARY of the message in progress, or 0 */
    uint64_t remaining;          /* payload bytes of the current frame still to come */
    uint8_t *msg;                /* reassembled payload of the message in progress */
    size_t msg_len, msg_cap;     /* bytes in msg, bytes allocated */
    struct utf8_state utf8;      /* TEXT: validation state of msg so far */
    uint8_t ctl[WS_CONTROL_MAX]; /* the current control frame's payload */
    uint8_t ctl_len;             /* bytes in ctl */
};

/* Starts a server-side reader: client frames must be masked; a TEXT or
 * BINARY message longer than max_message bytes is refused with 1009. */
void ws_reader_init(struct ws_reader *r, size_t max_message);

/* Releases the reader's memory; r may then be initialized again. */
void ws_reader_free(struct ws_reader *r);

/*
 * Consumes all len bytes (keeping partial frames inside, bounded as above),
 * calling fn once per complete message or control frame, in order, and
 * returns 0. The split of the input into calls never changes what is
 * delivered or which error comes back, only when.
 *
 * On a protocol violation returns a negative error and sets r->close_code
 * to what the server should send before closing:
 *   1002 (EPROTO) for unmasked frames, RSV bits set, unknown opcodes,
 *        control frames that are fragmented or longer than 125 bytes, a
 *        64-bit length with its top bit set, a CONT without a message in
 *        progress, a new TEXT/BINARY while one is in progress, a close
 *        payload of 1 byte or with a code that may not be sent;
 *   1009 (ETOOBIG) for a message, or a single frame's length field, over
 *        max_message, decided from the length field before the payload
 *        arrives;
 *   1007 (EPROTO) for a TEXT message or close reason that is not valid
 *        UTF-8, checked as each piece of payload arrives, so an invalid
 *        prefix fails before the rest of the message is sent.
 * Each rule is checked at the first byte that can break it (an RSV bit with
 * the first header byte). Messages completed before the bad byte have been
 * delivered. After a CLOSE is delivered, r->closed is set and the rest of
 * this input and any later input is ignored (RFC 6455 5.5.1).
 * After an error the reader is dead: further feeds return the same error.
 */
int ws_reader_feed(struct ws_reader *r, const uint8_t *data, size_t len, ws_message_fn fn,
                   void *arg);

/* True when code may appear in a close frame: 1000..1003, 1007..1014 and
 * 3000..4999 (registered and application codes). */
bool ws_close_code_valid(unsigned code);

/*
 * Server frames (FIN set, never masked), appended to out.
 */

/* One final frame with the whole payload: op is TEXT, BINARY, CLOSE, PING or
 * PONG (EINVAL otherwise, or for a control payload over 125 bytes). TEXT
 * payloads are not checked; the caller sends valid UTF-8. */
int ws_frame_write(struct buf *out, enum ws_opcode op, const void *payload, size_t len);

/* Writes only the header of such a frame into out (for writing the payload
 * from elsewhere, e.g. with writev) and returns its size: 2 bytes for
 * len <= 125, 4 up to 65535, else 10. op must be valid for ws_frame_write
 * and control frames at most 125 bytes (asserted). */
size_t ws_frame_header(uint8_t out[10], enum ws_opcode op, size_t len);

/* A CLOSE frame with code and reason (NULL for none). The reason is cut to
 * fit the 125-byte payload at a UTF-8 character boundary. code 1005
 * (WS_CLOSE_NO_STATUS) writes an empty payload (the reason must then be
 * empty), so a received close can be echoed with its close_code. EINVAL for
 * any other code outside ws_close_code_valid, or a reason that is not
 * valid UTF-8. */
int ws_close_write(struct buf *out, uint16_t code, const char *reason);

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (surrounding
 * whitespace already removed): base64(SHA-1(key +
 * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). out gets 28 chars + NUL.
 * EINVAL if the key is not 24 canonical base64 chars (with "==" padding)
 * decoding to 16 bytes; ENOMEM if libcrypto fails. out is unchanged on
 * error. */
int ws_accept_key(const char *client_key, char out[29]);

#endif
