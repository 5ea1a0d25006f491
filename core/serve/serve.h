/*
** serve.h: certmon as a CertStream server (--serve ADDR:PORT).
**
** The same paths and message shapes as certstream-server-go, so every
** CertStream client connects unchanged:
**   /               lite certificate_update (no chain, no as_der)
**   /full-stream    full certificate_update
**   /domains-only   {"message_type":"dns_entries","data":[...]}
**   /alerts         the alerts as JSON messages (with alerts = 1)
**   GET /example.json, /full-stream/example.json,
**       /domains-only/example.json: the latest message of that shape
** plus a heartbeat message every heartbeat_s seconds.
**
** The server has a thread and an lws context of its own. Sources hand it
** each message from any thread (serve_offer: a copy into a bounded inbox,
** never a wait). The server thread encodes each message once per shape
** that has clients into a refcounted frame, and every client of that path
** queues a reference. A client whose queue passes client_buffer_bytes is
** closed with 1008 and counted; the source and the other clients do not
** notice. The server pings; a client silent for three ping intervals is
** hung up.
*/
#ifndef CERTMON_SERVE_H
#define CERTMON_SERVE_H

#include <stdatomic.h>
#include <stddef.h>

struct serve_config {
    const char *addr;              /* "HOST:PORT"; port 0 = any free port */
    int listen_public;             /* allow a non-loopback HOST */
    const char *cert_path;         /* TLS when both are set (PEM files) */
    const char *key_path;
    size_t client_buffer_bytes;    /* queued per client before 1008 */
    unsigned max_clients;          /* WebSocket clients at once */
    unsigned heartbeat_s;          /* 0 = no heartbeat messages */
    unsigned ping_s;               /* PING after this much silence */
    int alerts;                    /* serve /alerts */
    const char *port_file;         /* write the bound port here ("-" stdout) */
    size_t inbox_max;              /* messages waiting for the server thread */
};

struct serve;

/* Fills c with the defaults (everything but addr). */
void serve_config_defaults(struct serve_config *c);

/* Checks c->addr (loopback unless listen_public), binds, starts the
** server thread. NULL with the reason in err. */
struct serve *serve_start(const struct serve_config *c, char *err,
                          size_t errlen);

struct options;
/* serve_start with the --serve options of o; NULL without --serve (err
** empty) or on failure (reason in err). */
struct serve *serve_start_options(const struct options *o, char *err,
                                  size_t errlen);

/* Offers one message as a source received it (any message type; only
** certificate_update is served). Copies it; never blocks: when the
** server thread is inbox_max messages behind, the message is counted as
** not served. Thread-safe. s may be NULL. */
void serve_offer(struct serve *s, const char *data, size_t len);

/* The same for alerts, as the alert writer writes them (one JSON object
** a line; several lines at once) for /alerts. */
void serve_offer_alert(struct serve *s, const char *data, size_t len);

/* serve_offer_alert and serve_offer with the signature alert_set_tap
** and intake_set_tap want. */
void serve_alert_tap(void *s, const char *lines, size_t len);
void serve_intake_tap(void *s, const char *data, size_t len);

/* Waits until n WebSocket clients are connected or *stop is set.
** Returns 0 when they are, -1 when stopped. */
int serve_wait_clients(struct serve *s, unsigned n,
                       atomic_int *stop);

/* Sends what is queued, closes every client with 1000 (a client still
** behind after drain_ms is hung up), stops the thread, logs a summary
** and frees s. s may be NULL. */
void serve_stop(struct serve *s, unsigned drain_ms);

#endif
