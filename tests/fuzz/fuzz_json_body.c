/*
 * fuzz_json_body.c - libFuzzer target for request-body JSON parsing
 * (http_json_parse_object and the field getters in src/http/json.c).
 *
 * Invariants (abort() when broken):
 *  - a returned value is an object and malformed is false;
 *  - NULL with malformed false means the input is valid JSON that is not an
 *    object (checked with jansson directly);
 *  - an accepted object holds no string with a NUL byte, re-serialises, and
 *    parses back through http_json_parse_object to an equal object;
 *  - json_get_string/json_get_int agree with each member's JSON type.
 * Seeds: tests/fuzz/corpus/json_body/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/json.h"

/* No string anywhere in v (keys included) may hold a NUL byte. */
static void check_no_nul(json_t *v)
{
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) != json_string_length(v))
            abort();
    } else if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach(v, key, member)
        {
            if (strlen(key) != json_object_iter_key_len(json_object_key_to_iter(key)))
                abort();
            check_no_nul(member);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) check_no_nul(item);
    }
}

static void check_getters(json_t *obj)
{
    const char *key;
    json_t *member;
    json_object_foreach(obj, key, member)
    {
        const char *s = NULL;
        size_t len = 0;
        long long n = 0;
        bool is_str = json_get_string(obj, key, &s, &len);
        if (is_str != json_is_string(member))
            abort();
        if (is_str && (s != json_string_value(member) || len != json_string_length(member)))
            abort();
        bool is_int = json_get_int(obj, key, &n);
        if (is_int != json_is_integer(member))
            abort();
        if (is_int && n != (long long)json_integer_value(member))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan flags any read past size. */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);

    bool malformed = true;
    json_t *obj = http_json_parse_object(text, size, &malformed);
    if (obj) {
        if (malformed || !json_is_object(obj))
            abort();
        check_no_nul(obj);
        check_getters(obj);
        char *out = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!out)
            abort();
        bool again_malformed = true;
        json_t *again = http_json_parse_object(out, strlen(out), &again_malformed);
        if (!again || again_malformed || !json_equal(obj, again))
            abort();
        json_decref(again);
        free(out);
        json_decref(obj);
    } else if (!malformed) {
        /* Said "valid JSON, just not an object": it must really be that. */
        json_error_t err;
        json_t *v = json_loadb(text, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        if (!v || json_is_object(v))
            abort();
        json_decref(v);
    }
    free(text);
    return 0;
}
