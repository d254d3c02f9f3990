/*
 * static.h - files of the browser app, served from memory.
 *
 * GET/HEAD of any path that no API route takes. A file is read once into a
 * shared cache and checked against the disk (one stat of size and mtime)
 * on each request, so an edited file shows up at once and a busy page costs
 * no disk reads. Responses carry an ETag (size and mtime) and honour
 * If-None-Match with 304; Cache-Control is no-cache (revalidate each time)
 * except under /assets/, whose names change with their content.
 *
 * Safety: the decoded path may not contain "..", "." or hidden ("." first)
 * segments, and the resolved real path must stay inside the root, so no
 * request (encoded or through a symlink) reads outside it.
 *
 * Thread-safe: one http_static is shared by every loop (a mutex guards the
 * cache; responses are built outside it).
 */
#ifndef ONAIR_HTTP_STATIC_H
#define ONAIR_HTTP_STATIC_H

#include <stddef.h>

struct http_request;
struct http_static;

/* root need not exist yet; requests then get 404. */
struct http_static *http_static_new(const char *root);
void http_static_free(struct http_static *st);

/* The router fallback handler; ctx is the struct http_static. The browser
 * app's pages (/login, /signup, /wallet, /dashboard, /rooms, /search, and
 * /c/{x}, /rooms/{x} with one [A-Za-z0-9_-]{1,64} segment) get index.html,
 * since the app routes them in the browser; the overlays /overlay/{x} and
 * /overlay/{x}/chat (same segment rule) get overlay.html. */
void http_static_handle(struct http_request *req, void *ctx);
/* The document serving a request path (NUL-terminated, as received, not
 * decoded): "/index.html" for an app page, "/overlay.html" for an overlay,
 * NULL for anything else (served as the file it names). */
const char *http_static_page_for(const char *path);
/* Serves rel_path ("/a/b.txt", percent-encoded like a request path) from
 * st's root, with the same checks, caching and headers. */
void http_static_serve(struct http_static *st, struct http_request *req, const char *rel_path);

/* The Content-Type for a file name, by extension. */
const char *http_static_content_type(const char *name);

#endif
