/*
 * bytes.h - immutable, refcounted byte buffers shared across threads.
 *
 * Bytes that many readers need (a chat event's WebSocket frame) are made
 * once and handed out by reference; the last unref frees them. Refcounts
 * are atomic because buffers cross loops. Never modify data after sharing.
 */
#ifndef ONAIR_CORE_BYTES_H
#define ONAIR_CORE_BYTES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct bytes {
    atomic_int refs;
    size_t len;
    uint8_t *data;
    void *block; /* what the last unref frees: data itself, or the block data lies in */
};

/* Takes ownership of malloc'd data; one reference. */
struct bytes *bytes_take(void *data, size_t len);
/* Takes ownership of the malloc'd block, of which the bytes are [off, off +
 * len): a writer can build its output with room in front and share it
 * without moving it. One reference. */
struct bytes *bytes_take_at(void *block, size_t off, size_t len);
/* Copies data; one reference. */
struct bytes *bytes_new(const void *data, size_t len);
struct bytes *bytes_ref(struct bytes *b);
void bytes_unref(struct bytes *b);
/* Adapters for callbacks taking void *: bytes_ref and bytes_unref. */
void bytes_retain(void *b);
void bytes_release(void *b);

#endif
