/*
 * json.h - JSON requests and responses (jansson) on top of server.h.
 *
 * Every error onair sends is {"error":{"code":"...","message":"..."}} with
 * the matching status; these helpers are the only place that shape is made.
 * Same threading rules as server.h: call on the request's loop.
 */
#ifndef ONAIR_HTTP_JSON_H
#define ONAIR_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct http_request;

/* Answers with body serialized compactly; takes the reference to body. */
void http_respond_json(struct http_request *req, int status, json_t *body);

/* Answers {"error":{"code","message"}}. */
void http_respond_error(struct http_request *req, int status, const char *code,
                        const char *message);
/* Same, with extra "Name: value\r\n" header lines (Allow, Retry-After). */
void http_respond_error_headers(struct http_request *req, int status, const char *code,
                                const char *message, const char *extra_headers);

/* Parses the body as a JSON object. On success returns the object (caller
 * owns the reference). On failure answers the request itself (415 when the
 * Content-Type isn't JSON, 400 invalid_json when it doesn't parse, 400
 * bad_request when it isn't an object) and returns NULL. */
json_t *http_read_json_object(struct http_request *req);

/* Field getters for request objects. Each returns false when the field is
 * missing or has the wrong JSON type. */
bool json_get_string(json_t *obj, const char *key, const char **out, size_t *len);
bool json_get_int(json_t *obj, const char *key, long long *out);

/* Parses a JSON object from text (len bytes); NULL when malformed or not an
 * object. No NUL bytes inside strings, valid UTF-8 only. Exposed for the
 * fuzzer. */
json_t *http_json_parse_object(const char *text, size_t len, bool *malformed);

#endif
