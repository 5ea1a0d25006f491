/*
** ws_source.h: the live CertStream source: a libwebsockets RAW socket
** carrying TLS (ws_tls) and the WebSocket protocol (ws_frame).
**
** Connects to the first URL, keeps the connection alive with PINGs, hangs
** up on silence, reconnects forever with backoff and jitter, moving to the
** next URL after each failure. Reassembles fragmented messages and delivers
** each complete text message through intake_deliver; never waits on a full
** queue (drops under FULL_DROP, pauses reading under FULL_BLOCK).
**
** Counts stats.reconnects (every attempt after the first), binary_frames,
** oversize and parse_errors (messages over in->max_message_bytes, never
** buffered past the cap); logs each disconnect once with its cause; with
** stats_interval_s a "status:" line on stderr. run() returns when
** *in->stop is set, after sending close 1000 (waiting at most 2 s for
** the ack) and handing any parked message over with wait=1.
*/
#ifndef CERTMON_WS_SOURCE_H
#define CERTMON_WS_SOURCE_H

#include <stddef.h>

#include "source.h"

struct ws_config {
    const char *const *urls;        /* ws:// or wss://, failover order */
    size_t n_urls;
    const char *ca_file;            /* NULL: system CA store */
    int insecure;                   /* skip certificate verification */
    unsigned ping_interval_s;       /* send a PING after this much quiet */
    unsigned idle_timeout_s;        /* hang up after this long without a frame */
    unsigned reconnect_min_ms;      /* first backoff delay */
    unsigned reconnect_max_ms;      /* backoff cap */
    unsigned stats_interval_s;      /* status line period; 0 = none */
};
/* A zero ping_interval_s sends no PINGs, a zero idle_timeout_s never hangs
** up, zero reconnect delays mean the defaults (1000 and 60000 ms). */

/* Validates the URLs and builds the source (no connection yet). NULL with
** a reason in err on a bad URL or an lws context failure. */
struct source *ws_source_new(const struct ws_config *cfg,
                             char *err, size_t errlen);

#endif
