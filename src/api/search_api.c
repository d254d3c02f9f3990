/*
 * search_api.c - search over stored chat messages.
 *
 *   GET /api/search?q=&room=&before_id=&limit=  (token optional)
 *     -> {"results":[{"room","seq","user":{"id","name"},"text","ts","type",
 *                     "id","highlight"}...], "next_before_id": n|null}
 *
 * Newest first. The store does the matching (substring, ASCII
 * case-insensitive, trigram FTS5; see chat_search in store/store.h); this
 * file checks access and renders. "highlight" is the text escaped for HTML
 * with each match inside <mark>...</mark>, so a page may insert it as is.
 *
 * Access: with room=, that room must exist (404) and be readable by the
 * caller (403 for a private room they are not in). Without it, hits from
 * private rooms the caller is not a member of are dropped from the page, so
 * a page may hold fewer than `limit` results; next_before_id is still the
 * cursor after the store's whole page whenever the store filled it, so
 * paging goes on past rooms the caller can't see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "http/json.h"
#include "http/server.h"

#define SEARCH_DEFAULT 20
#define SEARCH_MAX 50
#define SEEN_ROOMS 16 /* private-room verdicts remembered within one page */

struct search_ctx {
    struct http_request *req;
    int64_t user_id; /* 0: anonymous */
    char q[STORE_SEARCH_QUERY_MAX + 1];
    char room[STORE_ROOM_MAX + 1]; /* "" for every room */
    int64_t before;
    size_t limit;
    int rc;
    struct store_search_hit *hits;
    size_t n;    /* hits the store returned */
    bool *shown; /* hits[i] readable by the caller */
};

/* Remembers which rooms of a page the caller may read, so a page of hits
 * from a few rooms costs a few lookups. */
struct seen {
    char room[SEEN_ROOMS][STORE_ROOM_MAX + 1];
    bool ok[SEEN_ROOMS];
    size_t n;
};

static int readable(struct store_conn *c, const struct store_backend *b, struct seen *seen,
                    const char *room, int64_t user_id, bool *ok)
{
    /* Channel rooms are public; only user rooms can be private. */
    if (strncmp(room, "room:", 5) != 0) {
        *ok = true;
        return 0;
    }
    for (size_t i = 0; i < seen->n; i++) {
        if (strcmp(seen->room[i], room) == 0) {
            *ok = seen->ok[i];
            return 0;
        }
    }
    int rc = api__room_readable(c, b, room, user_id);
    if (rc && rc != ONAIR_EDENIED && rc != ONAIR_ENOTFOUND)
        return rc;
    *ok = rc == 0;
    if (seen->n < SEEN_ROOMS) {
        snprintf(seen->room[seen->n], sizeof seen->room[0], "%s", room);
        seen->ok[seen->n++] = *ok;
    }
    return 0;
}

static void search_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct search_ctx *s = arg;
    const char *room = s->room[0] ? s->room : NULL;
    if (room && (s->rc = api__room_readable(c, b, room, s->user_id)) != 0)
        return;
    s->rc = b->chat_search(c, s->q, room, s->before, s->limit, &s->hits, &s->n);
    if (s->rc || s->n == 0)
        return;
    s->shown = xcalloc(s->n, sizeof *s->shown);
    struct seen seen = {.n = 0};
    for (size_t i = 0; i < s->n; i++) {
        if (room)
            s->shown[i] = true; /* checked above */
        else if ((s->rc = readable(c, b, &seen, s->hits[i].ev.room, s->user_id, &s->shown[i])))
            return;
    }
}

/* The store's snippet as HTML: everything escaped, the match markers as
 * <mark> and </mark>. */
static void highlight_html(struct buf *out, const char *snippet)
{
    for (const char *p = snippet; *p; p++) {
        switch (*p) {
        case '&':
            buf_append_str(out, "&amp;");
            break;
        case '<':
            buf_append_str(out, "&lt;");
            break;
        case '>':
            buf_append_str(out, "&gt;");
            break;
        case '"':
            buf_append_str(out, "&quot;");
            break;
        case '\'':
            buf_append_str(out, "&#39;");
            break;
        case STORE_HL_OPEN:
            buf_append_str(out, "<mark>");
            break;
        case STORE_HL_CLOSE:
            buf_append_str(out, "</mark>");
            break;
        default:
            buf_append(out, p, 1);
            break;
        }
    }
}

static json_t *hit_json(const struct store_search_hit *h, struct buf *scratch)
{
    const struct store_chat_event *ev = &h->ev;
    buf_reset(scratch);
    highlight_html(scratch, h->snippet);
    json_t *o = json_pack("{s:s,s:I,s:o,s:s,s:I,s:s,s:I,s:s}", "room", ev->room, "seq",
                          (json_int_t)ev->seq, "user", api__user_json(ev->user_id, ev->username),
                          "text", ev->text, "ts", (json_int_t)ev->ts, "type", ev->type, "id",
                          (json_int_t)h->id, "highlight", scratch->data ? scratch->data : "");
    if (o && strcmp(ev->type, "donation") == 0)
        json_object_set_new(o, "amount", json_integer((json_int_t)ev->amount));
    return o;
}

static void search_done(void *arg)
{
    struct search_ctx *s = arg;
    if (s->rc == ONAIR_ETOOBIG) {
        http_respond_error(s->req, 422, "query_too_broad",
                           "this search would take too long; add words or pick a room");
    } else if (s->rc) {
        api__room_failed(s->req, s->rc);
    } else {
        json_t *arr = json_array();
        struct buf scratch;
        buf_init(&scratch, 0);
        for (size_t i = 0; i < s->n; i++) {
            json_t *o = s->shown[i] ? hit_json(&s->hits[i], &scratch) : NULL;
            if (o)
                json_array_append_new(arr, o);
        }
        buf_free(&scratch);
        /* The cursor follows the store's page, not what was shown of it. */
        json_t *next =
            s->n == s->limit ? json_integer((json_int_t)s->hits[s->n - 1].id) : json_null();
        http_respond_json(s->req, 200,
                          json_pack("{s:o,s:o}", "results", arr, "next_before_id", next));
    }
    free(s->hits);
    free(s->shown);
    free(s);
}

/* Reads q and room; answers the request and returns false when either is
 * malformed. */
static bool read_terms(struct http_request *req, struct search_ctx *s)
{
    bool has_q, has_room;
    if (!http_query_str(req->query, "q", s->q, sizeof s->q, &has_q) || !has_q || !s->q[0] ||
        !utf8_valid((const uint8_t *)s->q, strlen(s->q))) {
        http_respond_error(req, 400, "bad_request",
                           "q is required: 1 to 128 bytes of UTF-8 (percent-encoded)");
        return false;
    }
    /* An empty room (a form's blank filter) means every room. */
    if (!http_query_str(req->query, "room", s->room, sizeof s->room, &has_room)) {
        /* Too long, or a bad escape: a room that can't exist. */
        http_respond_error(req, 404, "not_found", "no such room");
        return false;
    }
    return true;
}

static void search(struct http_request *req, void *arg)
{
    struct app *app = arg;
    struct search_ctx *s = xcalloc(1, sizeof *s);
    s->req = req;
    uint64_t before = 0, limit = SEARCH_DEFAULT;
    bool has_before, has_limit;
    if (!read_terms(req, s))
        goto fail;
    if (!http_query_u64(req->query, "before_id", &before, &has_before) ||
        !http_query_u64(req->query, "limit", &limit, &has_limit) || limit < 1 ||
        limit > SEARCH_MAX) {
        http_respond_error(req, 400, "bad_request",
                           "before_id must be a number >= 0 and limit 1..50");
        goto fail;
    }
    s->before = (int64_t)before;
    s->limit = (size_t)limit;
    if (!api__authenticate_optional(req, app, &s->user_id) ||
        !api__store(req, app, search_job, search_done, s))
        goto fail;
    return;
fail:
    free(s);
}

void api__register_search(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/api/search", search, app);
}
