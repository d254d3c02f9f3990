#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "http/json.h"
#include "http/router.h"
#include "http/server.h"

#define MAX_FILE_BYTES (64u << 20) /* the app's files are small; refuse giants */
#define MAX_ENTRIES 512

struct entry {
    atomic_int refs; /* the cache holds one; each response in progress one */
    char *path;      /* absolute real path */
    char *data;
    size_t len;
    char etag[64];
    const char *type;
    bool immutable;
    struct timespec mtime;
    off_t size;
};

struct http_static {
    char root[PATH_MAX];
    size_t rootlen;
    bool have_root;
    pthread_mutex_t lock;
    struct entry *entries[MAX_ENTRIES]; /* guarded by lock */
    unsigned nentries;
};

static void unref(struct entry *e)
{
    if (atomic_fetch_sub(&e->refs, 1) == 1) {
        free(e->path);
        free(e->data);
        free(e);
    }
}

struct http_static *http_static_new(const char *root)
{
    struct http_static *st = xcalloc(1, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    if (realpath(root, st->root)) {
        st->rootlen = strlen(st->root);
        st->have_root = true;
    } else {
        log_warn("http", "web directory not found; static files will 404", "dir=%s", root);
    }
    return st;
}

void http_static_free(struct http_static *st)
{
    if (!st)
        return;
    for (unsigned i = 0; i < st->nentries; i++)
        unref(st->entries[i]);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

const char *http_static_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".webmanifest", "application/manifest+json"},
        {".m3u8", "application/vnd.apple.mpegurl"},
        {".m4s", "video/iso.segment"},
        {".mp4", "video/mp4"},
    };
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Checks the decoded request path segment by segment. */
static bool safe_path(const char *p)
{
    if (p[0] != '/')
        return false;
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '.') /* "..", "." and hidden files alike */
            return false;
        while (*p && *p != '/') {
            if (*p == '\\')
                return false;
            p++;
        }
    }
    return true;
}

/* Loads (or reloads) the file at real path into a new entry. */
static struct entry *load(const char *real, const struct stat *sb)
{
    if (sb->st_size > (off_t)MAX_FILE_BYTES) {
        log_warn("http", "static file too large to serve", "size=%lld", (long long)sb->st_size);
        return NULL;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t len = (size_t)sb->st_size;
    char *data = xmalloc(len ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, data + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(data);
        return NULL;
    }
    struct entry *e = xcalloc(1, sizeof *e);
    atomic_init(&e->refs, 1);
    e->path = xstrdup(real);
    e->data = data;
    e->len = len;
    e->mtime = sb->st_mtim;
    e->size = sb->st_size;
    e->type = http_static_content_type(real);
    snprintf(e->etag, sizeof e->etag, "\"%llx-%llx%09lx\"", (unsigned long long)sb->st_size,
             (unsigned long long)sb->st_mtim.tv_sec, (unsigned long)sb->st_mtim.tv_nsec);
    return e;
}

/* Finds a cached entry for real path, checking size and mtime against the
 * disk each time (one stat: cheap, and an edited file is never served
 * stale). Returns a referenced entry or NULL (not found / unreadable). */
static struct entry *lookup(struct http_static *st, const char *real)
{
    pthread_mutex_lock(&st->lock);
    for (unsigned i = 0; i < st->nentries; i++) {
        struct entry *e = st->entries[i];
        if (strcmp(e->path, real) != 0)
            continue;
        struct stat sb;
        if (stat(real, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == e->size &&
            sb.st_mtim.tv_sec == e->mtime.tv_sec && sb.st_mtim.tv_nsec == e->mtime.tv_nsec) {
            atomic_fetch_add(&e->refs, 1);
            pthread_mutex_unlock(&st->lock);
            return e;
        }
        /* Changed or gone: drop it and fall through to a fresh load. */
        st->entries[i] = st->entries[--st->nentries];
        unref(e);
        break;
    }
    struct stat sb;
    struct entry *e = NULL;
    if (stat(real, &sb) == 0 && S_ISREG(sb.st_mode))
        e = load(real, &sb);
    if (e) {
        if (st->nentries == MAX_ENTRIES) {
            /* Full: forget an arbitrary entry; it reloads on demand. */
            unref(st->entries[0]);
            st->entries[0] = st->entries[--st->nentries];
        }
        st->entries[st->nentries++] = e;
        atomic_fetch_add(&e->refs, 1);
    }
    pthread_mutex_unlock(&st->lock);
    return e;
}

static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    return strstr(inm, etag) != NULL;
}

/* "/{prefix}{segment}" with one segment of 1..64 of [A-Za-z0-9_-] and an
 * optional trailing '/'. */
static bool one_segment_after(const char *path, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(path, prefix, pl) != 0)
        return false;
    const char *p = path + pl;
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == '-')
        n++;
    return n >= 1 && n <= 64 && (p[n] == '\0' || (p[n] == '/' && p[n + 1] == '\0'));
}

/* The browser app's own pages (client-side routes): loaded or reloaded
 * directly they get index.html, which routes in the browser. A closed list,
 * so a missing file or a traversal attempt still gets a 404. */
static bool app_route(const char *path)
{
    static const char *const pages[] = {"/login",     "/signup", "/wallet",
                                        "/dashboard", "/rooms",  "/search"};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        size_t n = strlen(pages[i]);
        if (strncmp(path, pages[i], n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0))
            return true;
    }
    return one_segment_after(path, "/c/") || one_segment_after(path, "/rooms/");
}

/* The overlays OBS shows (/overlay/{channel} and /overlay/{channel}/chat,
 * the same segment rules) are a document of their own, without the site's
 * header and with a transparent background. */
static bool overlay_route(const char *path)
{
    static const char prefix[] = "/overlay/";
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return false; /* also keeps the search below inside shorter paths */
    if (one_segment_after(path, prefix))
        return true;
    const char *chat = strstr(path + sizeof prefix - 1, "/chat");
    if (!chat || (chat[5] != '\0' && strcmp(chat + 5, "/") != 0))
        return false;
    /* "/overlay/{segment}" then exactly "/chat" or "/chat/". */
    char head[sizeof prefix + 65];
    size_t n = (size_t)(chat - path);
    if (n >= sizeof head)
        return false;
    memcpy(head, path, n);
    head[n] = '\0';
    return one_segment_after(head, prefix);
}

const char *http_static_page_for(const char *path)
{
    if (app_route(path))
        return "/index.html";
    if (overlay_route(path))
        return "/overlay.html";
    return NULL;
}

void http_static_handle(struct http_request *req, void *ctx)
{
    const char *page = http_static_page_for(req->path);
    http_static_serve(ctx, req, page ? page : req->path);
}

void http_static_serve(struct http_static *st, struct http_request *req, const char *rel_path)
{
    char decoded[1024];
    if (!st->have_root) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    if (http_percent_decode(rel_path, strlen(rel_path), decoded, sizeof decoded, 1) < 0 ||
        !safe_path(decoded)) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    char full[PATH_MAX + 1100];
    const char *rel = decoded;
    size_t dl = strlen(decoded);
    bool dir = dl == 0 || decoded[dl - 1] == '/';
    snprintf(full, sizeof full, "%s%s%s", st->root, rel, dir ? "index.html" : "");

    char real[PATH_MAX];
    if (!realpath(full, real) || strncmp(real, st->root, st->rootlen) != 0 ||
        (real[st->rootlen] != '/' && real[st->rootlen] != '\0')) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    struct stat sb;
    if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* "/dir" -> "/dir/index.html" */
        size_t rl = strlen(real);
        if (rl + sizeof "/index.html" > sizeof real) {
            http_respond_error(req, 404, "not_found", "no such file");
            return;
        }
        memcpy(real + rl, "/index.html", sizeof "/index.html");
    }
    struct entry *e = lookup(st, real);
    if (!e) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    bool immutable = strncmp(decoded, "/assets/", 8) == 0;
    char headers[256];
    snprintf(headers, sizeof headers, "ETag: %s\r\nCache-Control: %s\r\n", e->etag,
             immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (etag_matches(http_request_header(req, "If-None-Match"), e->etag))
        http_respond(req, 304, NULL, headers, NULL, 0);
    else
        http_respond(req, 200, e->type, headers, e->data, e->len);
    unref(e);
}
