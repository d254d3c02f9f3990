/*
 * api.h - the REST API: routes and their handlers (thin: validate, call the
 * store on a store thread, answer JSON). Shapes are documented in
 * docs/API.md and are contracts: add fields, never rename or remove.
 */
#ifndef ONAIR_API_API_H
#define ONAIR_API_API_H

struct http_router;
struct app;

/* Adds every /api route and /healthz, /metrics to r. */
void api_register(struct http_router *r, struct app *app);

#endif
