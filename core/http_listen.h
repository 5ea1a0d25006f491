/*
** http_listen.h: a small HTTP/1.0 server on a thread of its own, for
** /metrics and /healthz.
**
** One thread: poll on the listening socket and at most max_clients
** connections; a request must arrive whole (headers only, no body)
** within request_timeout_ms and max_request_bytes, else the connection
** is closed (414/408 when it can be said). Each answer is built by the
** handler, written with a send timeout, and the connection closed: no
** keep-alive, no pipelining. Between events the thread calls tick (every
** tick_ms) so the owner can sample things over time without a thread of
** its own. It never runs on the source's thread and takes no lock of the
** pipeline: handlers read counters.
**
** Only loopback addresses (127.0.0.0/8, ::1) are accepted unless
** allow_public is set.
*/
#ifndef CERTMON_HTTP_LISTEN_H
#define CERTMON_HTTP_LISTEN_H

#include <stddef.h>

/* An answer being built: status, content type and a growing body. */
struct http_reply {
    int status;                     /* default 200 */
    const char *content_type;       /* default text/plain */
    char *body;
    size_t len, cap;
    int oom;                        /* a printf failed: 500 is sent */
};

/* Appends to the body, printf-style. */
void http_reply_printf(struct http_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fills r for a GET or HEAD of path (without the query string). Runs on
** the server thread. */
typedef void (*http_handler_fn)(void *ud, const char *path,
                                struct http_reply *r);
typedef void (*http_tick_fn)(void *ud);

struct http_listen_config {
    const char *address;            /* "HOST:PORT", "[::1]:PORT"; port 0
                                       = any free port */
    int allow_public;               /* permit a non-loopback address */
    http_handler_fn handler;
    http_tick_fn tick;              /* may be NULL */
    void *ud;
    unsigned max_clients;           /* connections at once */
    size_t max_request_bytes;
    unsigned request_timeout_ms;    /* for the whole request */
    unsigned send_timeout_ms;
    unsigned tick_ms;
};

/* Defaults for the limits (8 clients, 8 KiB, 5 s, 5 s, 250 ms). */
void http_listen_config_defaults(struct http_listen_config *c);

struct http_listen;

/* Binds and starts the thread. Returns NULL with err set (bad address,
** non-loopback without allow_public, bind failure, OOM). */
struct http_listen *http_listen_start(const struct http_listen_config *c,
                                      char *err, size_t errlen);

/* "127.0.0.1:9464": the address actually bound (the port chosen for 0). */
const char *http_listen_address(const struct http_listen *h);

/* Stops the thread, closes every socket, frees h. NULL is fine. */
void http_listen_stop(struct http_listen *h);

#endif
