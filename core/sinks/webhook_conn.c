/*
** webhook_conn.c: the webhook sink's connection (TCP, TLS, deadlines,
** keep-alive). See webhook_conn.h.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mono_clock.h"
#include "sinks/webhook_conn.h"

static int remaining_ms(const struct webhook_conn *c)
{
    int64_t left = (c->deadline_ns - mono_ns()) / 1000000;

    return left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(struct webhook_conn *c, short events)
{
    struct pollfd pfd = { .fd = c->fd, .events = events };
    int ms, r;

    for (;;) {
        ms = remaining_ms(c);
        if (ms == 0)
            return -1;
        r = poll(&pfd, 1, ms);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static void ssl_why(char *why, size_t whylen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[200];

    if (e) {
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(why, whylen, "%s: %s", what, buf);
    } else {
        snprintf(why, whylen, "%s", what);
    }
    ERR_clear_error();
}

/* webhook_conn_open without the clean-up of a failure. */
static int conn_connect(struct webhook_conn *c, const struct webhook_peer *p,
                        char *why, size_t whylen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM }, *res, *ai;
    int rc, saved = 0;

    c->fd = -1;
    c->ssl = NULL;
    rc = getaddrinfo(p->host, p->port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "DNS lookup of %s failed: %s", p->host,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
                        SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        c->fd = fd;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            socklen_t sl = sizeof(saved);
            if (errno != EINPROGRESS) {
                saved = errno;
                goto next;
            }
            if (wait_fd(c, POLLOUT) < 0) {
                saved = ETIMEDOUT;
                goto next;
            }
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &sl) < 0)
                saved = errno;
            if (saved)
                goto next;
        }
        break;
next:
        close(fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        snprintf(why, whylen, "cannot connect to %s port %s: %s", p->host,
                 p->port, strerror(saved ? saved : ECONNREFUSED));
        return -1;
    }
    {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (!p->ssl_ctx)
        return 0;
    c->ssl = SSL_new(p->ssl_ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        goto tls_fail;
    {
        unsigned char a[16];
        int ip = inet_pton(AF_INET, p->host, a) == 1 ||
                 inet_pton(AF_INET6, p->host, a) == 1;
        if (!ip && SSL_set_tlsext_host_name(c->ssl, p->host) != 1)
            goto tls_fail;
        if (!p->insecure &&
            (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
                                                p->host) != 1
                : SSL_set1_host(c->ssl, p->host) != 1))
            goto tls_fail;
    }
    for (;;) {
        int r = SSL_connect(c->ssl), e;
        if (r == 1)
            return 0;
        e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0) {
                snprintf(why, whylen, "TLS handshake with %s timed out",
                         p->host);
                return -1;
            }
            continue;
        }
        if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
            snprintf(why, whylen, "TLS: certificate of %s not trusted: %s",
                     p->host, X509_verify_cert_error_string(
                         SSL_get_verify_result(c->ssl)));
            ERR_clear_error();
            return -1;
        }
        ssl_why(why, whylen, "TLS handshake failed");
        return -1;
    }
tls_fail:
    ssl_why(why, whylen, "TLS setup failed");
    return -1;
}

int webhook_conn_open(struct webhook_conn *c, const struct webhook_peer *p,
                      char *why, size_t whylen)
{
    if (conn_connect(c, p, why, whylen) == 0)
        return 0;
    webhook_conn_close(c);
    return -1;
}

void webhook_conn_close(struct webhook_conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int webhook_conn_write(struct webhook_conn *c, const char *buf, size_t len,
                       char *why, size_t whylen)
{
    size_t off = 0;

    while (off < len) {
        if (c->ssl) {
            size_t done = 0;
            int r = SSL_write_ex(c->ssl, buf + off, len - off, &done), e;
            if (r == 1) {
                off += done;
                continue;
            }
            e = SSL_get_error(c->ssl, r);
            if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
                wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) == 0)
                continue;
            ssl_why(why, whylen, remaining_ms(c) ? "sending failed"
                                                 : "timed out sending");
            return -1;
        } else {
            ssize_t w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(c, POLLOUT) == 0)
                continue;
            snprintf(why, whylen, "%s", w < 0 && errno != EAGAIN
                     ? strerror(errno) : "timed out sending");
            return -1;
        }
    }
    return 0;
}

/* Asks the kernel to acknowledge what arrives at once rather than delay
** the ACK. A receiver that sends an answer's headers and body in two
** writes without TCP_NODELAY (Python's http.server does) holds the body
** back until the headers are acknowledged, and on a kept connection
** Linux delays that ACK by up to 40 ms: once per alert, keep-alive was
** 30 times slower than a connection per alert. Not sticky: set before
** every read. */
static void quick_ack(const struct webhook_conn *c)
{
#ifdef TCP_QUICKACK
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
    (void)c;
#endif
}

ssize_t webhook_conn_read(struct webhook_conn *c, char *buf, size_t cap,
                          char *why, size_t whylen)
{
    for (;;) {
        quick_ack(c);
        if (c->ssl) {
            size_t got = 0;
            int r = SSL_read_ex(c->ssl, buf, cap, &got), e;
            if (r == 1)
                return (ssize_t)got;
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
                wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) == 0)
                continue;
            if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
                remaining_ms(c))
                return 0;       /* closed without close_notify */
            ssl_why(why, whylen, remaining_ms(c) ? "reading failed"
                                                 : "timed out waiting for "
                                                   "the answer");
            return -1;
        } else {
            ssize_t n = recv(c->fd, buf, cap, 0);
            if (n >= 0)
                return n;
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(c, POLLIN) == 0)
                continue;
            snprintf(why, whylen, "%s", errno != EAGAIN
                     ? strerror(errno) : "timed out waiting for the answer");
            return -1;
        }
    }
}

int webhook_conn_reusable(struct webhook_conn *c, int64_t now_ms,
                          int64_t max_idle_ms)
{
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

    if (c->fd < 0)
        return 0;
    if (now_ms - c->idle_since_ms >= max_idle_ms ||
        (c->ssl && SSL_pending(c->ssl) > 0) ||
        poll(&pfd, 1, 0) != 0) {        /* EOF, a reset, stray bytes */
        webhook_conn_close(c);
        return 0;
    }
    return 1;
}
