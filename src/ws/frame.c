#include "ws/frame.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "core/alloc.h"
#include "core/err.h"

/* Header byte 0 and 1 fields (RFC 6455 5.2). */
#define B0_FIN 0x80
#define B0_RSV 0x70
#define B0_OPCODE 0x0F
#define B1_MASK 0x80
#define B1_LEN 0x7F

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool is_control(unsigned op)
{
    return (op & 0x08) != 0;
}

static bool known_opcode(unsigned op)
{
    return op == WS_CONT || op == WS_TEXT || op == WS_BINARY || op == WS_CLOSE || op == WS_PING ||
           op == WS_PONG;
}

bool ws_close_code_valid(unsigned code)
{
    /* 1004 is reserved, 1005/1006/1015 must never be sent, 1016..2999 are
     * reserved for future protocol use; 3000..4999 belong to libraries and
     * applications. */
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

void ws_reader_init(struct ws_reader *r, size_t max_message)
{
    memset(r, 0, sizeof *r);
    r->max_message = max_message;
    utf8_init(&r->utf8);
}

void ws_reader_free(struct ws_reader *r)
{
    free(r->msg);
    r->msg = NULL;
    r->msg_len = r->msg_cap = 0;
}

/* Marks the reader dead with err and, for the peer's faults, the close code
 * to answer with. */
static int fail(struct ws_reader *r, int err, uint16_t close_code)
{
    r->err = err;
    r->close_code = close_code;
    return err;
}

/* dst[i] = src[i] ^ mask[(pos + i) % 4]. dst may equal src. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], unsigned pos)
{
    size_t i = 0;
    if (n >= 8) {
        /* Eight bytes at a time; since 8 is a multiple of 4 the rotated
         * mask repeats unchanged from word to word. */
        uint8_t m8b[8];
        uint64_t m8;
        for (unsigned k = 0; k < 8; k++)
            m8b[k] = mask[(pos + k) & 3];
        memcpy(&m8, m8b, 8);
        for (; n - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, src + i, 8);
            w ^= m8;
            memcpy(dst + i, &w, 8);
        }
    }
    for (; i < n; i++)
        dst[i] = src[i] ^ mask[(pos + i) & 3];
}

/* Room for n more message bytes. The caller has checked that msg_len + n
 * stays within max_message, so growth stops there. */
static void msg_reserve(struct ws_reader *r, size_t n)
{
    size_t need = r->msg_len + n;
    assert(need <= r->max_message);
    if (need <= r->msg_cap)
        return;
    size_t cap = r->msg_cap ? r->msg_cap * 2 : 256;
    if (cap < need)
        cap = need;
    if (cap > r->max_message)
        cap = r->max_message;
    r->msg = xrealloc(r->msg, cap);
    r->msg_cap = cap;
}

/* The message is delivered: start the next one, and give back a buffer
 * that a large message made big. */
static void msg_done(struct ws_reader *r)
{
    r->msg_opcode = 0;
    r->msg_len = 0;
    utf8_init(&r->utf8);
    if (r->msg_cap > WS_READER_KEEP) {
        free(r->msg);
        r->msg = NULL;
        r->msg_cap = 0;
    }
}

static int deliver(struct ws_reader *r, enum ws_opcode op, const uint8_t *data, size_t len,
                   uint16_t close_code, ws_message_fn fn, void *arg)
{
    struct ws_message m = {
        .opcode = op,
        .data = data ? data : r->ctl, /* never NULL, even when empty */
        .len = len,
        .close_code = close_code,
    };
    int rc = fn(&m, arg);
    if (rc < 0)
        return fail(r, rc, 0);
    return 0;
}

/* The current frame's payload is complete: deliver what it finished. */
static int finish_frame(struct ws_reader *r, ws_message_fn fn, void *arg)
{
    unsigned op = r->hdr[0] & B0_OPCODE;
    bool fin = (r->hdr[0] & B0_FIN) != 0;

    r->hdr_len = r->hdr_need = 0;
    if (op == WS_CLOSE) {
        uint16_t code = WS_CLOSE_NO_STATUS;
        if (r->ctl_len == 1)
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL);
        if (r->ctl_len >= 2) {
            code = (uint16_t)(r->ctl[0] << 8 | r->ctl[1]);
            if (!ws_close_code_valid(code))
                return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL);
            if (!utf8_valid(r->ctl + 2, r->ctl_len - 2u))
                return fail(r, ONAIR_EPROTO, WS_CLOSE_BAD_DATA);
        }
        r->closed = true;
        size_t off = r->ctl_len >= 2 ? 2 : 0;
        return deliver(r, WS_CLOSE, r->ctl + off, r->ctl_len - off, code, fn, arg);
    }
    if (is_control(op))
        return deliver(r, (enum ws_opcode)op, r->ctl, r->ctl_len, 0, fn, arg);
    if (!fin)
        return 0; /* more fragments to come */
    if (r->msg_opcode == WS_TEXT && !utf8_complete(&r->utf8))
        return fail(r, ONAIR_EPROTO, WS_CLOSE_BAD_DATA); /* ends inside a character */
    enum ws_opcode mop = (enum ws_opcode)r->msg_opcode;
    int rc = deliver(r, mop, r->msg, r->msg_len, 0, fn, arg);
    if (rc == 0)
        msg_done(r);
    return rc;
}

/* A data frame will add len payload bytes to the message in progress. */
static int check_length(struct ws_reader *r, uint64_t len)
{
    unsigned op = r->hdr[0] & B0_OPCODE;
    if (!is_control(op) && len > (uint64_t)(r->max_message - r->msg_len))
        return fail(r, ONAIR_ETOOBIG, WS_CLOSE_TOO_BIG);
    r->remaining = len;
    return 0;
}

/* Checks the header byte just added, as early as each rule can be decided,
 * and starts the payload once the header is complete. */
static int header_byte(struct ws_reader *r, ws_message_fn fn, void *arg)
{
    unsigned op = r->hdr[0] & B0_OPCODE;

    if (r->hdr_len == 1) {
        uint8_t b0 = r->hdr[0];
        if (b0 & B0_RSV)
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* no extension negotiated */
        if (!known_opcode(op))
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL);
        if (is_control(op) && !(b0 & B0_FIN))
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* fragmented control frame */
        if (op == WS_CONT && r->msg_opcode == 0)
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* nothing to continue */
        if ((op == WS_TEXT || op == WS_BINARY) && r->msg_opcode != 0)
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* previous message unfinished */
        return 0;
    }
    if (r->hdr_len == 2) {
        uint8_t b1 = r->hdr[1];
        unsigned len7 = b1 & B1_LEN;
        if (!(b1 & B1_MASK))
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* clients must mask */
        if (is_control(op) && len7 > WS_CONTROL_MAX)
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL);
        r->hdr_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
        if (len7 <= 125)
            return check_length(r, len7);
        return 0;
    }
    unsigned ext_end = r->hdr_need - 4u;
    if (r->hdr_len == ext_end) {
        uint64_t len = 0;
        for (unsigned i = 2; i < ext_end; i++)
            len = len << 8 | r->hdr[i];
        if (ext_end == 10 && (len >> 63))
            return fail(r, ONAIR_EPROTO, WS_CLOSE_PROTOCOL); /* top bit must be 0 */
        return check_length(r, len);
    }
    if (r->hdr_len < r->hdr_need)
        return 0;

    /* Header complete. */
    r->mask_pos = 0;
    if (is_control(op)) {
        r->ctl_len = 0;
    } else if (op != WS_CONT) {
        assert(r->msg_len == 0);
        r->msg_opcode = (uint8_t)op;
        utf8_init(&r->utf8);
    }
    if (r->remaining == 0)
        return finish_frame(r, fn, arg);
    return 0;
}

/* Stores n payload bytes of the current frame (n <= remaining), unmasked. */
static int payload(struct ws_reader *r, const uint8_t *p, size_t n)
{
    const uint8_t *mask = r->hdr + r->hdr_need - 4;
    unsigned op = r->hdr[0] & B0_OPCODE;

    assert(n <= r->remaining);
    if (is_control(op)) {
        assert(r->ctl_len + n <= WS_CONTROL_MAX);
        unmask(r->ctl + r->ctl_len, p, n, mask, r->mask_pos);
        r->ctl_len = (uint8_t)(r->ctl_len + n);
    } else {
        msg_reserve(r, n);
        uint8_t *dst = r->msg + r->msg_len;
        unmask(dst, p, n, mask, r->mask_pos);
        r->msg_len += n;
        if (r->msg_opcode == WS_TEXT && !utf8_feed(&r->utf8, dst, n))
            return fail(r, ONAIR_EPROTO, WS_CLOSE_BAD_DATA);
    }
    r->remaining -= n;
    r->mask_pos = (uint8_t)((r->mask_pos + n) & 3);
    return 0;
}

int ws_reader_feed(struct ws_reader *r, const uint8_t *data, size_t len, ws_message_fn fn,
                   void *arg)
{
    size_t i = 0;

    if (r->err)
        return r->err;
    while (i < len && !r->closed) {
        int rc;
        if (r->hdr_need == 0 || r->hdr_len < r->hdr_need) {
            r->hdr[r->hdr_len++] = data[i++];
            rc = header_byte(r, fn, arg);
        } else {
            size_t n = len - i;
            if (n > r->remaining)
                n = (size_t)r->remaining;
            rc = payload(r, data + i, n);
            i += n;
            if (rc == 0 && r->remaining == 0)
                rc = finish_frame(r, fn, arg);
        }
        if (rc)
            return rc;
    }
    return 0;
}

size_t ws_frame_header(uint8_t out[10], enum ws_opcode op, size_t len)
{
    assert(known_opcode(op) && op != WS_CONT);
    assert(!is_control(op) || len <= WS_CONTROL_MAX);
    out[0] = (uint8_t)(B0_FIN | op);
    if (len <= 125) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    uint64_t l = len;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(l >> (56 - 8 * i));
    return 10;
}

int ws_frame_write(struct buf *out, enum ws_opcode op, const void *payload, size_t len)
{
    uint8_t hdr[10];

    if (!known_opcode(op) || op == WS_CONT || (is_control(op) && len > WS_CONTROL_MAX))
        return ONAIR_EINVAL;
    size_t hlen = ws_frame_header(hdr, op, len);
    size_t old = out->len;
    int rc = buf_append(out, hdr, hlen);
    if (rc)
        return rc;
    rc = buf_append(out, payload, len);
    if (rc) {
        /* Take the header back so out is as it was. */
        out->len = old;
        out->data[old] = '\0';
    }
    return rc;
}

int ws_close_write(struct buf *out, uint16_t code, const char *reason)
{
    uint8_t p[WS_CONTROL_MAX];
    size_t rlen = reason ? strlen(reason) : 0;

    if (code == WS_CLOSE_NO_STATUS)
        return rlen ? ONAIR_EINVAL : ws_frame_write(out, WS_CLOSE, NULL, 0);
    if (!ws_close_code_valid(code))
        return ONAIR_EINVAL;
    rlen = utf8_truncate((const uint8_t *)reason, rlen, WS_CONTROL_MAX - 2);
    if (!utf8_valid((const uint8_t *)reason, rlen))
        return ONAIR_EINVAL;
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    if (rlen)
        memcpy(p + 2, reason, rlen);
    return ws_frame_write(out, WS_CLOSE, p, 2 + rlen);
}

int ws_accept_key(const char *client_key, char out[29])
{
    unsigned char nonce[18];
    size_t nonce_len = 0;
    const char *end = NULL;
    char canon[25];
    char in[24 + sizeof WS_GUID - 1];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    /* The key is base64 of 16 random bytes: exactly 22 chars + "==". The
     * round trip through the encoder refuses non-canonical spellings. */
    if (strnlen(client_key, 25) != 24)
        return ONAIR_EINVAL;
    if (sodium_base642bin(nonce, sizeof nonce, client_key, 24, NULL, &nonce_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        nonce_len != 16 || end != client_key + 24)
        return ONAIR_EINVAL;
    sodium_bin2base64(canon, sizeof canon, nonce, 16, sodium_base64_VARIANT_ORIGINAL);
    if (memcmp(canon, client_key, 24) != 0)
        return ONAIR_EINVAL;

    memcpy(in, client_key, 24);
    memcpy(in + 24, WS_GUID, sizeof WS_GUID - 1);
    if (EVP_Digest(in, sizeof in, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
        return ONAIR_ENOMEM;
    sodium_bin2base64(out, 29, md, 20, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}
