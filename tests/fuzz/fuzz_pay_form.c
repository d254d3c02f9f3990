/*
 * fuzz_pay_form.c - libFuzzer target for src/pay/form.c: urlencoded form
 * bodies (the test provider's page posts one) and the Accept header.
 *
 * The input is a form body, looked up for a few keys with output buffers of
 * several sizes; every answer must be one of the documented codes, a found
 * value must be NUL-terminated inside its buffer and agree across buffer
 * sizes, and a body malformed for a key that can't match is malformed for
 * every key (only a repeated key depends on which key is asked for). The
 * same bytes (up to a NUL) are also an Accept header.
 * Seeds: tests/fuzz/corpus/pay_form/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pay/form.h"

static const char *const KEYS[] = {"action", "amount", "a", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan flags any read past size. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);

    /* A key longer than PAY_FORM_KEY_MAX never matches: what it finds
     * malformed is malformed for every key. */
    char never[PAY_FORM_KEY_MAX + 2];
    memset(never, 'k', sizeof never - 1);
    never[sizeof never - 1] = '\0';
    char sink[4];
    bool malformed = pay_form_get(copy, size, never, sink, sizeof sink) == ONAIR_EPROTO;
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        char big[4096], small[8];
        memset(big, 'X', sizeof big);
        int rc = pay_form_get(copy, size, KEYS[k], big, sizeof big);
        if (rc != 0 && rc != ONAIR_ENOTFOUND && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG)
            abort();
        if (memchr(big, '\0', sizeof big) == NULL)
            abort();
        if (malformed && rc != ONAIR_EPROTO)
            abort();
        int rc2 = pay_form_get(copy, size, KEYS[k], small, sizeof small);
        if (rc == 0 && rc2 == 0 && strcmp(big, small) != 0)
            abort();
        if (rc == 0 && rc2 != 0 && rc2 != ONAIR_ETOOBIG)
            abort();
        if (rc == 0 && rc2 == ONAIR_ETOOBIG && strlen(big) < sizeof small - 1)
            abort();
    }

    char *accept = malloc(size + 1);
    if (accept) {
        memcpy(accept, data, size);
        accept[size] = '\0';
        (void)pay_accept_prefers_html(accept);
        free(accept);
    }
    free(copy);
    return 0;
}
