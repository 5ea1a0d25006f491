/*
** http_listen.c: the small HTTP/1.0 server of /metrics and /healthz; see
** http_listen.h.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_listen.h"
#include "log.h"
#include "mono_clock.h"

static const struct http_listen_config http_defaults = {
    .max_clients = 8,
    .max_request_bytes = 8192,
    .request_timeout_ms = 5000,
    .send_timeout_ms = 5000,
    .tick_ms = 250,
};

struct client {
    int fd;                         /* -1 = free */
    char *buf;                      /* max_request_bytes + 1 */
    size_t len;
    int64_t deadline_ms;
};

struct http_listen {
    struct http_listen_config cfg;
    int listen_fd;
    int wake[2];                    /* pipe: a byte = stop */
    pthread_t thread;
    int started;
    struct client *clients;
    char bound[96];
};

void http_listen_config_defaults(struct http_listen_config *c)
{
    *c = http_defaults;
}

/* ---- replies ------------------------------------------------------ */

void http_reply_printf(struct http_reply *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->oom)
        return;
    for (;;) {
        size_t room = r->cap - r->len;
        va_start(ap, fmt);
        n = vsnprintf(r->body ? r->body + r->len : NULL, r->body ? room : 0,
                      fmt, ap);
        va_end(ap);
        if (n < 0) {
            r->oom = 1;
            return;
        }
        if (r->body && (size_t)n < room) {
            r->len += (size_t)n;
            return;
        }
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + (size_t)n + 1)
            cap *= 2;
        char *nb = realloc(r->body, cap);
        if (!nb) {
            r->oom = 1;
            return;
        }
        r->body = nb;
        r->cap = cap;
    }
}

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default:  return "Internal Server Error";
    }
}

/* Writes the whole of data or gives up (send timeout, peer gone). */
static int send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends r on fd (blocking, under the send timeout); body left out for
** HEAD. */
static void send_reply(struct http_listen *h, int fd, struct http_reply *r,
                       int head_only)
{
    char hdr[256];
    struct timeval tv = {
        .tv_sec = h->cfg.send_timeout_ms / 1000,
        .tv_usec = (h->cfg.send_timeout_ms % 1000) * 1000,
    };
    int flags = fcntl(fd, F_GETFL);
    int n;

    if (r->oom) {
        r->status = 500;
        r->len = 0;
    }
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                 "Connection: close\r\n\r\n", r->status,
                 status_text(r->status),
                 r->content_type ? r->content_type
                                 : "text/plain; charset=utf-8", r->len);
    if (send_all(fd, hdr, (size_t)n) == 0 && !head_only && r->len)
        send_all(fd, r->body, r->len);
}

static void send_simple(struct http_listen *h, int fd, int status,
                        const char *text)
{
    struct http_reply r = { .status = status };

    http_reply_printf(&r, "%s\n", text);
    send_reply(h, fd, &r, 0);
    free(r.body);
}

/* ---- requests ----------------------------------------------------- */

/* Answers the complete request in c->buf. */
static void serve(struct http_listen *h, struct client *c)
{
    char method[16], target[1024];
    struct http_reply r = { .status = 200 };
    char *q;

    c->buf[c->len] = '\0';
    if (sscanf(c->buf, "%15s %1023s HTTP/", method, target) != 2 ||
        target[0] != '/') {
        send_simple(h, c->fd, 400, "bad request");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        send_simple(h, c->fd, 405, "only GET and HEAD");
        return;
    }
    if ((q = strchr(target, '?')))
        *q = '\0';
    h->cfg.handler(h->cfg.ud, target, &r);
    send_reply(h, c->fd, &r, strcmp(method, "HEAD") == 0);
    free(r.body);
}

static void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* After an answer to a request that was not read whole: closing with
** unread data would reset the connection and the client could lose the
** answer, so say we are done and read a little more, briefly. */
static void drain(int fd)
{
    struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
    char buf[4096];

    shutdown(fd, SHUT_WR);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < 16; i++)
        if (recv(fd, buf, sizeof(buf), 0) <= 0)
            break;
}

/* Reads what is there; answers and closes once the headers are whole. */
static void client_read(struct http_listen *h, struct client *c)
{
    size_t max = h->cfg.max_request_bytes;
    ssize_t n = recv(c->fd, c->buf + c->len, max - c->len, 0);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n")) {
        serve(h, c);
        client_close(c);
    } else if (c->len >= max) {
        send_simple(h, c->fd, 431, "request too large");
        drain(c->fd);
        client_close(c);
    }
}

static void accept_one(struct http_listen *h, int64_t now)
{
    int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    for (unsigned i = 0; i < h->cfg.max_clients; i++)
        if (h->clients[i].fd < 0) {
            h->clients[i].fd = fd;
            h->clients[i].len = 0;
            h->clients[i].deadline_ms = now + h->cfg.request_timeout_ms;
            return;
        }
    close(fd);              /* full: the scraper retries */
}

static void *http_main(void *arg)
{
    struct http_listen *h = arg;
    unsigned nc = h->cfg.max_clients;
    struct pollfd *pfd = calloc(nc + 2, sizeof(*pfd));
    int64_t next_tick = mono_ms();

    if (!pfd) {
        log_error("metrics: out of memory; the HTTP listener stops");
        return NULL;
    }
    for (;;) {
        int64_t now = mono_ms(), wait = next_tick - now;
        nfds_t n = 2;

        if (now >= next_tick) {
            if (h->cfg.tick)
                h->cfg.tick(h->cfg.ud);
            next_tick = now + h->cfg.tick_ms;
            wait = h->cfg.tick_ms;
        }
        pfd[0] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
        pfd[1] = (struct pollfd){ .fd = h->listen_fd, .events = POLLIN };
        for (unsigned i = 0; i < nc; i++) {
            struct client *c = &h->clients[i];
            if (c->fd < 0)
                continue;
            if (c->deadline_ms <= now) {
                send_simple(h, c->fd, 408, "request timeout");
                client_close(c);
                continue;
            }
            if (c->deadline_ms - now < wait)
                wait = c->deadline_ms - now;
            pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
        }
        if (poll(pfd, n, (int)(wait > 0 ? wait : 0)) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break;
        now = mono_ms();
        for (nfds_t k = 2; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            for (unsigned i = 0; i < nc; i++)
                if (h->clients[i].fd == pfd[k].fd) {
                    client_read(h, &h->clients[i]);
                    break;
                }
        }
        if (pfd[1].revents & POLLIN)
            accept_one(h, now);
    }
    free(pfd);
    return NULL;
}

/* ---- setup -------------------------------------------------------- */

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)
                                        ->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port strings. */
static int split_address(const char *addr, char *host, size_t hostlen,
                         char *port, size_t portlen)
{
    const char *colon;

    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= hostlen)
            return -1;
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = '\0';
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen)
            return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
    }
    if (!colon[1] || strlen(colon + 1) >= portlen ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        atol(colon + 1) > 65535)
        return -1;
    snprintf(port, portlen, "%s", colon + 1);
    return 0;
}

static void describe(const struct sockaddr *sa, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(out, outlen, "%s:%u", ip, port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(out, outlen, "[%s]:%u", ip, port);
    }
}

struct http_listen *http_listen_start(const struct http_listen_config *c,
                                      char *err, size_t errlen)
{
    struct http_listen *h = calloc(1, sizeof(*h));
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char host[256], port[8];
    sigset_t all, old;
    int one = 1, rc;

    if (!h) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    h->cfg = *c;
    h->listen_fd = h->wake[0] = h->wake[1] = -1;
    if (!h->cfg.max_clients || !h->cfg.max_request_bytes) {
        err_set(err, errlen, "--listen: no room for a client");
        goto fail;
    }
    if (split_address(c->address, host, sizeof(host), port,
                      sizeof(port)) < 0) {
        err_set(err, errlen, "--listen '%s': expected HOST:PORT, e.g. "
                "127.0.0.1:9464 or [::1]:9464", c->address);
        goto fail;
    }
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        err_set(err, errlen, "--listen '%s': %s", c->address,
                gai_strerror(rc));
        goto fail;
    }
    if (!is_loopback(ai->ai_addr) && !c->allow_public) {
        err_set(err, errlen, "--listen '%s' is not a loopback address: "
                "/metrics and /healthz would be open to the network; add "
                "--listen-public if that is meant", c->address);
        goto fail;
    }
    h->listen_fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                          ai->ai_protocol);
    if (h->listen_fd < 0) {
        err_set(err, errlen, "--listen: socket: %s", strerror(errno));
        goto fail;
    }
    setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(h->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(h->listen_fd, 16) < 0) {
        err_set(err, errlen, "--listen %s: %s", c->address, strerror(errno));
        goto fail;
    }
    if (getsockname(h->listen_fd, (struct sockaddr *)&ss, &sslen) == 0)
        describe((struct sockaddr *)&ss, h->bound, sizeof(h->bound));
    fcntl(h->listen_fd, F_SETFL, fcntl(h->listen_fd, F_GETFL) | O_NONBLOCK);
    if (pipe2(h->wake, O_CLOEXEC) < 0) {
        err_set(err, errlen, "--listen: pipe: %s", strerror(errno));
        goto fail;
    }
    h->clients = calloc(h->cfg.max_clients, sizeof(*h->clients));
    if (!h->clients)
        goto oom;
    for (unsigned i = 0; i < h->cfg.max_clients; i++)
        h->clients[i].fd = -1;
    for (unsigned i = 0; i < h->cfg.max_clients; i++)
        if (!(h->clients[i].buf = malloc(h->cfg.max_request_bytes + 1)))
            goto oom;
    /* the thread takes no signals: they are for the source's thread */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&h->thread, NULL, http_main, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        err_set(err, errlen, "--listen: cannot start its thread");
        goto fail;
    }
    h->started = 1;
    freeaddrinfo(ai);
    return h;
oom:
    err_set(err, errlen, "out of memory");
fail:
    if (ai)
        freeaddrinfo(ai);
    http_listen_stop(h);
    return NULL;
}

const char *http_listen_address(const struct http_listen *h)
{
    return h->bound;
}

void http_listen_stop(struct http_listen *h)
{
    if (!h)
        return;
    if (h->started) {
        char b = 'q';
        while (write(h->wake[1], &b, 1) < 0 && errno == EINTR)
            ;
        pthread_join(h->thread, NULL);
    }
    if (h->clients)
        for (unsigned i = 0; i < h->cfg.max_clients; i++) {
            client_close(&h->clients[i]);
            free(h->clients[i].buf);
        }
    free(h->clients);
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    if (h->wake[0] >= 0)
        close(h->wake[0]);
    if (h->wake[1] >= 0)
        close(h->wake[1]);
    free(h);
}
