/*
 * system_api.c - liveness and metrics.
 */
#include <string.h>

#include "api/internal.h"
#include "core/buf.h"
#include "core/metrics.h"
#include "http/server.h"

static void healthz(struct http_request *req, void *arg)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", ok, sizeof ok - 1);
}

static void metrics(struct http_request *req, void *arg)
{
    struct buf out;
    buf_init(&out, 0);
    metrics_write_all(&out);
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                 "Cache-Control: no-store\r\n", out.data ? out.data : "", out.len);
    buf_free(&out);
}

void api__register_system(struct http_router *r, struct app *app)
{
    http_router_add(r, HTTP_GET, "/healthz", healthz, app);
    http_router_add(r, HTTP_GET, "/metrics", metrics, app);
}
