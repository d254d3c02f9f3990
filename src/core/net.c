#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"

int net_listen(uv_loop_t *uv, uv_tcp_t *h, const char *host, int port, int backlog,
               uv_connection_cb cb, void *data, int *bound_port, const char *subsys)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0) {
        log_err(subsys, "not an IP address", "host=%s", host);
        return ONAIR_EIO;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t alen =
        ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, alen) != 0) {
        log_err(subsys, "cannot bind", "host=%s port=%d err=\"%s\"", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ONAIR_EIO;
    }
    uv_tcp_init(uv, h);
    h->data = data;
    int rc = uv_tcp_open(h, fd);
    if (rc != 0)
        close(fd); /* not the handle's yet */
    else
        rc = uv_listen((uv_stream_t *)h, backlog, cb);
    if (rc != 0) {
        log_err(subsys, "cannot listen", "host=%s port=%d err=\"%s\"", host, port, uv_strerror(rc));
        uv_close((uv_handle_t *)h, NULL);
        return ONAIR_EIO;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (bound_port && getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
        *bound_port = ntohs(got.ss_family == AF_INET ? ((struct sockaddr_in *)&got)->sin_port
                                                     : ((struct sockaddr_in6 *)&got)->sin6_port);
    return 0;
}

void net_peer_ip(uv_tcp_t *h, char *out, size_t n)
{
    struct sockaddr_storage sa;
    int sl = sizeof sa;
    out[0] = '\0';
    if (uv_tcp_getpeername(h, (struct sockaddr *)&sa, &sl) != 0)
        return;
    if (sa.ss_family == AF_INET)
        uv_ip4_name((struct sockaddr_in *)&sa, out, n);
    else if (sa.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&sa, out, n);
}
