/*
 * internal.h - shared inside src/pay (pay__ prefix), and exposed to the unit
 * tests and fuzz targets: the providers' tables and the pure parsers of
 * KakaoPay's answers (bytes from outside).
 */
#ifndef ONAIR_PAY_INTERNAL_H
#define ONAIR_PAY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pay/provider.h"

extern const struct pay_provider pay__test_provider;
extern const struct pay_provider pay__kakaopay_provider;

#define PAY_KAKAO_ANSWER_MAX 65536 /* bytes of one KakaoPay answer we read, at most */

/* Initialises libcurl once (curl_global_init). pay_settings_init calls it
 * at startup, before any thread, when kakaopay is configured; each call
 * calls it too, in case. */
void pay__kakao_global_init(void);

/* Whether url (NUL-terminated) is a plain absolute http(s) URL we may hand
 * to a browser or call: scheme http or https, a host, no spaces, quotes,
 * angle brackets, backslashes or control bytes, at most PAY_URL_MAX bytes.
 * loopback_http: plain http is allowed only to 127.0.0.1. */
bool pay__url_ok(const char *url, bool loopback_http_only);

/* KakaoPay's ready answer (len bytes of JSON): tid and next_redirect_pc_url
 * into out. 0, or ONAIR_EPROTO when it is not JSON, a field is missing or
 * too long, or the URL is not pay__url_ok. */
int pay__kakao_ready_parse(const char *body, size_t len, struct pay_ready_out *out);

/* KakaoPay's approve answer: *total gets amount.total. 0, or ONAIR_EPROTO
 * when it is not JSON, amount.total is not a positive integer, or the
 * answer's tid is not tid. */
int pay__kakao_approve_parse(const char *body, size_t len, const char *tid, int64_t *total);

/* KakaoPay's order inquiry answer: 0 and *total (amount.total) when its
 * status is SUCCESS_PAYMENT; ONAIR_ENOTFOUND for any other status (not
 * paid, or cancelled since); ONAIR_EPROTO when it is not JSON, has no
 * status or positive amount.total, or is about another tid. */
int pay__kakao_order_parse(const char *body, size_t len, const char *tid, int64_t *total);

/* A KakaoPay error answer's reason for the log: "code=-780 msg=\"...\""
 * from error_code/error_message (or the older code/msg), quoted and cut to
 * fit out (cap bytes); "" when there is none. */
void pay__kakao_error_reason(const char *body, size_t len, char *out, size_t cap);

#endif
