#include "http/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "http/server.h"

#define JSON_TYPE "application/json"

void http_respond_json(struct http_request *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) {
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"could not encode response\"}}";
        http_respond(req, 500, JSON_TYPE, NULL, fallback, sizeof fallback - 1);
        return;
    }
    http_respond(req, status, JSON_TYPE, NULL, text, strlen(text));
    free(text);
}

void http_respond_error_headers(struct http_request *req, int status, const char *code,
                                const char *message, const char *extra_headers)
{
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        http_respond(req, status, JSON_TYPE, extra_headers, "{}", 2);
        return;
    }
    http_respond(req, status, JSON_TYPE, extra_headers, text, strlen(text));
    free(text);
}

void http_respond_error(struct http_request *req, int status, const char *code, const char *message)
{
    http_respond_error_headers(req, status, code, message, NULL);
}

json_t *http_json_parse_object(const char *text, size_t len, bool *malformed)
{
    json_error_t err;
    /* JSON_REJECT_DUPLICATES: {"amount":1,"amount":1000} must not be
     * read one way here and another way by a proxy or a log. */
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!v) {
        *malformed = true;
        return NULL;
    }
    *malformed = false;
    if (!json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen(JSON_TYPE);
    if (strncasecmp(ct, JSON_TYPE, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

json_t *http_read_json_object(struct http_request *req)
{
    if (!is_json_type(http_request_header(req, "Content-Type"))) {
        http_respond_error(req, 415, "unsupported_media_type",
                           "send the body as Content-Type: application/json");
        return NULL;
    }
    bool malformed;
    json_t *v = http_json_parse_object(req->body, req->body_len, &malformed);
    if (!v) {
        if (malformed)
            http_respond_error(req, 400, "invalid_json", "request body is not valid JSON");
        else
            http_respond_error(req, 400, "bad_request", "request body must be a JSON object");
        return NULL;
    }
    return v;
}

bool json_get_string(json_t *obj, const char *key, const char **out, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return false;
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return true;
}

bool json_get_int(json_t *obj, const char *key, long long *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return false;
    *out = (long long)json_integer_value(v);
    return true;
}
