#include "core/bytes.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct bytes *bytes_take(void *data, size_t len)
{
    return bytes_take_at(data, 0, len);
}

struct bytes *bytes_take_at(void *block, size_t off, size_t len)
{
    struct bytes *b = xmalloc(sizeof *b);
    atomic_init(&b->refs, 1);
    b->len = len;
    b->data = (uint8_t *)block + off;
    b->block = block;
    return b;
}

struct bytes *bytes_new(const void *data, size_t len)
{
    void *copy = xmalloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    return bytes_take(copy, len);
}

struct bytes *bytes_ref(struct bytes *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void bytes_unref(struct bytes *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
        free(b->block);
        free(b);
    }
}

void bytes_retain(void *b)
{
    bytes_ref(b);
}

void bytes_release(void *b)
{
    bytes_unref(b);
}
