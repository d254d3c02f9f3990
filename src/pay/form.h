/*
 * form.h - what a browser sends the payment pages: urlencoded form bodies
 * and the Accept header.
 *
 * Pure functions over bytes from outside (no I/O, no allocation, no state):
 * unit-tested and fuzzed (tests/fuzz/fuzz_pay_form.c). Any thread.
 */
#ifndef ONAIR_PAY_FORM_H
#define ONAIR_PAY_FORM_H

#include <stdbool.h>
#include <stddef.h>

#define PAY_FORM_MAX_PAIRS 64 /* more pairs than this in one body is refused */
#define PAY_FORM_KEY_MAX 64   /* longer keys are never ours: checked, then skipped */

/* Finds key in an application/x-www-form-urlencoded body (len bytes, not
 * NUL-terminated, may hold anything) and decodes its value into out (cap
 * bytes, NUL included): '+' is a space, %XX a byte. The whole body is
 * checked, not just the pair asked for, so a body is either well-formed or
 * refused whichever key is looked up (but a repeated key only when it is
 * the one looked up). Empty pairs ("a=1&&b=2") are allowed;
 * a pair without '=' is a key with an empty value. Returns
 *   0                found, out holds the value;
 *   ONAIR_ENOTFOUND  not there (out is "");
 *   ONAIR_EPROTO     malformed: a bad %-escape, a raw control byte, a NUL
 *                    (raw or %00), key repeated, more than
 *                    PAY_FORM_MAX_PAIRS pairs;
 *   ONAIR_ETOOBIG    the value does not fit in out. */
int pay_form_get(const char *body, size_t len, const char *key, char *out, size_t cap);

/* Whether an Accept header (may be NULL) asks for HTML before JSON: text/html
 * (or any text subtype) with a higher q than application/json gets (which
 * may come from an application wildcard or the any-type wildcard). A
 * browser's navigation says yes; fetch's and curl's default any-type
 * wildcard says no; ties go to JSON. Malformed ranges are skipped. */
bool pay_accept_prefers_html(const char *accept);

#endif
