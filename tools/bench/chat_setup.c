/*
 * chat_setup.c - blocking REST calls for users, and /proc readers (see
 * chat_setup.h).
 */
#include "chat_setup.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"
#include "chat_scan.h"

#define TIMEOUT_MS 10000

int bench_rest(const struct sockaddr *addr, const char *host, const struct bench_rest_req *r,
               char *out, size_t out_size, char *location, size_t location_size)
{
    char req[4096];
    const char *body = r->body ? r->body : "";
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: %s\r\n%s%s%s%s%s%s"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     r->method, r->path, host, r->accept ? r->accept : "application/json",
                     r->token ? "Authorization: Bearer " : "", r->token ? r->token : "",
                     r->token ? "\r\n" : "", r->body ? "Content-Type: " : "",
                     r->body ? (r->content_type ? r->content_type : "application/json") : "",
                     r->body ? "\r\n" : "", strlen(body), body);
    if (out_size)
        out[0] = '\0';
    if (location_size)
        location[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    socklen_t alen =
        addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int status = -1;
    char resp[16384];
    size_t got = 0;
    if (connect(fd, addr, alen) < 0 || write(fd, req, (size_t)n) != n)
        goto out;
    for (;;) {
        ssize_t rd = read(fd, resp + got, sizeof resp - 1 - got);
        if (rd < 0 && errno == EINTR)
            continue;
        if (rd <= 0)
            break;
        got += (size_t)rd;
        if (got == sizeof resp - 1)
            break;
    }
    resp[got] = '\0';
    if (got < 12 || strncmp(resp, "HTTP/1.", 7) != 0)
        goto out;
    status = (int)strtol(resp + 9, NULL, 10);
    if (status <= 0)
        status = -1;
    const char *b = strstr(resp, "\r\n\r\n");
    if (out_size)
        snprintf(out, out_size, "%s", b ? b + 4 : "");
    /* Location, when asked for: the only header the scenarios need. */
    for (const char *h = strstr(resp, "\r\n"); location_size && h && (!b || h < b);
         h = strstr(h + 2, "\r\n"))
        if (strncasecmp(h + 2, "Location:", 9) == 0) {
            const char *v = h + 11 + strspn(h + 11, " ");
            snprintf(location, location_size, "%.*s", (int)strcspn(v, "\r\n"), v);
            break;
        }
out:
    close(fd);
    return status;
}

int bench_chat_user(const struct sockaddr *addr, const char *host, const char *name,
                    const char *password, char *token, size_t token_size)
{
    char body[512], resp[4096];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", name, password);
    struct bench_rest_req r = {.method = "POST", .path = "/api/auth/signup", .body = body};
    int st = bench_rest(addr, host, &r, resp, sizeof resp, NULL, 0);
    if (st != 201 && st != 409) {
        fprintf(stderr, "onair-bench: signup of %s failed (HTTP %d): %.200s\n", name, st, resp);
        return -1;
    }
    if (!token)
        return 0;
    r.path = "/api/auth/login";
    st = bench_rest(addr, host, &r, resp, sizeof resp, NULL, 0);
    const char *tok;
    size_t len;
    if (st != 200 || !bench_scan_str(resp, strlen(resp), "\"access_token\":", &tok, &len) ||
        len >= token_size) {
        fprintf(stderr, "onair-bench: login of %s failed (HTTP %d): %.200s\n", name, st, resp);
        return -1;
    }
    memcpy(token, tok, len);
    token[len] = '\0';
    return 0;
}

int64_t bench_proc_cpu_us(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* Fields after the command (which may hold spaces): state is field 3,
     * utime and stime are fields 14 and 15. */
    const char *p = strrchr(line, ')');
    if (!p)
        return -1;
    unsigned long long ut, st;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)((ut + st) * 1000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
}

long bench_proc_rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}
