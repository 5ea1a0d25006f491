/*
** webhook_conn.h: the webhook sink's connection to its receiver: TCP,
** TLS when https://, every step bounded by the attempt's deadline, and
** kept open between alerts (HTTP/1.1 keep-alive) while the receiver
** allows it.
**
** Blocking calls over a non-blocking socket and poll(): the sink has one
** thread, and each attempt gets a real overall deadline. Private to
** alert_sink_webhook.c; one connection is used by one thread at a time.
*/
#ifndef CERTMON_WEBHOOK_CONN_H
#define CERTMON_WEBHOOK_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* Where to connect, owned by the sink. */
struct webhook_peer {
    const char *host;           /* name or address, without brackets */
    const char *port;           /* digits */
    SSL_CTX *ssl_ctx;           /* NULL: plain http:// */
    int insecure;               /* no certificate verification */
};

struct webhook_conn {
    int fd;                     /* -1 when closed */
    SSL *ssl;
    int64_t deadline_ns;        /* of the current attempt (mono_ns) */
    int64_t idle_since_ms;      /* kept open after an answer, since */
};

/* Connects to p within c->deadline_ns (the DNS lookup is bounded by the
** resolver's own timeouts, not by it). c must be closed. Returns 0, or
** -1 with why (c stays closed). */
int webhook_conn_open(struct webhook_conn *c, const struct webhook_peer *p,
                      char *why, size_t whylen);

/* Closes c if open; safe to call again. */
void webhook_conn_close(struct webhook_conn *c);

/* Whether the kept connection c can carry the next request: open, idle
** for less than max_idle_ms, and with nothing to read (a receiver that
** closed an idle connection has sent its FIN by now; stray bytes mean we
** lost track of the stream). Closes c and returns 0 otherwise. */
int webhook_conn_reusable(struct webhook_conn *c, int64_t now_ms,
                          int64_t max_idle_ms);

/* Writes all of buf. Returns 0 or -1 with why. */
int webhook_conn_write(struct webhook_conn *c, const char *buf, size_t len,
                       char *why, size_t whylen);

/* Reads up to cap bytes. Returns the count, 0 at end of stream, -1 on
** error or timeout (why set). */
ssize_t webhook_conn_read(struct webhook_conn *c, char *buf, size_t cap,
                          char *why, size_t whylen);

#endif
