/*
 * fuzz_kakaopay.c - libFuzzer target for the readers of KakaoPay's answers
 * (src/pay/kakaopay.c): ready, approve, order and error bodies are bytes
 * from outside, read after every call.
 *
 * Each input is read as all four (ready, approve, order inquiry, error). A ready answer that is
 * accepted must carry a non-empty tid and a next_url that pay__url_ok accepts; an accepted approve
 * or paid order answer must have a positive total; failures must leave the outputs untouched or
 * empty as documented; the error reason must fit its buffer. Seeds: tests/fuzz/corpus/kakaopay/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pay/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);

    struct pay_ready_out r;
    int rc = pay__kakao_ready_parse(copy, size, &r);
    if (rc == 0) {
        if (!r.tid[0] || !pay__url_ok(r.next_url, true))
            abort();
    } else if (rc != ONAIR_EPROTO || r.tid[0] || r.next_url[0]) {
        abort();
    }

    int64_t total = -1;
    rc = pay__kakao_approve_parse(copy, size, "T1234567890", &total);
    if (rc == 0 ? total <= 0 : (rc != ONAIR_EPROTO || total != -1))
        abort();

    total = -1;
    rc = pay__kakao_order_parse(copy, size, "T1234567890", &total);
    if (rc == 0 ? total <= 0 : ((rc != ONAIR_EPROTO && rc != ONAIR_ENOTFOUND) || total != -1))
        abort();

    char reason[64];
    memset(reason, 'X', sizeof reason);
    pay__kakao_error_reason(copy, size, reason, sizeof reason);
    if (memchr(reason, '\0', sizeof reason) == NULL)
        abort();

    free(copy);
    return 0;
}
