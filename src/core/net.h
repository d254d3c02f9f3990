/*
 * net.h - listening sockets shared by the HTTP and RTMP servers.
 *
 * Every I/O loop gets its own listener on the same address with
 * SO_REUSEPORT, so the kernel spreads connections across loops. libuv 1.44
 * has no UV_TCP_REUSEPORT, so the socket is made here and handed to
 * uv_tcp_open. Call on the loop's thread or before its loop runs.
 */
#ifndef ONAIR_CORE_NET_H
#define ONAIR_CORE_NET_H

#include <stddef.h>
#include <uv.h>

/* Binds host:port (an IP address, or "localhost") with SO_REUSEPORT, inits
 * h on uv and starts listening with cb; h->data is set to data. *bound_port
 * (if not NULL) gets the real port, useful with port 0. 0, or ONAIR_EIO
 * with a log line under subsys. On failure h is not left initialised. */
int net_listen(uv_loop_t *uv, uv_tcp_t *h, const char *host, int port, int backlog,
               uv_connection_cb cb, void *data, int *bound_port, const char *subsys);

/* The peer's IP address as text into out ("" if unknown). */
void net_peer_ip(uv_tcp_t *h, char *out, size_t n);

#endif
