/*
** ws_source_int.h: what the modules of the live source share - the
** source's state and the functions one module calls in another.
**
**   ws_source.c     the source object, the connection and its protocol
**   ws_output.c     bytes for the socket: upgrade request, frames, close
**   ws_deliver.c    complete messages into the queue; the FULL_BLOCK
**                   backlog and rx flow control
**   ws_keepalive.c  the periodic tick: handshake and message bounds,
**                   idle hang-up, PINGs, the status line
**
** Everything here runs on the thread that calls the source's run().
*/
#ifndef CERTMON_WS_SOURCE_INT_H
#define CERTMON_WS_SOURCE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "backoff.h"
#include "source.h"
#include "ws/ws_frame.h"
#include "ws/ws_tls.h"
#include "ws/ws_url.h"

enum conn_state { ST_WAITING, ST_CONNECTING, ST_UP };

/* where a CONNECTING connection is */
enum conn_phase { PH_TCP, PH_TLS, PH_HTTP, PH_WS };

struct ws_tuning {
    unsigned tick_ms;             /* keepalive / status granularity */
    unsigned stable_ms;           /* up this long resets the backoff */
    unsigned close_wait_ms;       /* how long to wait for a close ack */
    unsigned handshake_ms;        /* TCP + TLS + upgrade must fit in this */
    unsigned message_ms;          /* one message, first to last frame, when
                                     there is no --idle-timeout */
    unsigned jitter_pct;
    size_t read_bytes;            /* socket and TLS read size */
};
extern const struct ws_tuning ws_tuning;

/* A complete message waiting for room in the queue (FULL_BLOCK only). */
struct parked {
    struct parked *next;
    uint64_t seq;
    size_t len;
    char *data;
};

struct ws_source {
    struct source base;           /* first: a struct source * is one of us */
    struct ws_url *urls;
    size_t n_urls;
    size_t cur;                   /* index of the URL in use or next */
    char *ca_file;
    int insecure;
    unsigned ping_interval_ms;
    unsigned idle_timeout_ms;
    unsigned stats_interval_ms;

    struct lws_context *ctx;
    struct ws_tls_ctx *tls_ctx;   /* NULL when no URL is wss:// */
    struct intake *in;
    struct backoff bo;
    lws_sorted_usec_list_t sul_connect;
    lws_sorted_usec_list_t sul_tick;

    /* the connection */
    struct lws *wsi;
    enum conn_state state;
    enum conn_phase phase;
    struct ws_tls *tls;           /* wss:// only */
    struct ws_handshake hs;
    struct ws_frame_parser parser;
    unsigned char *out;           /* bytes for the socket, after LWS_PRE */
    size_t out_len, out_cap;
    unsigned char *plain;         /* decrypted bytes (wss://) */
    uint64_t attempts;            /* connection attempts so far */
    int attempt_done;             /* conn_lost ran for this attempt */
    int idle_killed;              /* we hung up for silence */
    int closing;                  /* shutdown: send close 1000 */
    int close_sent;               /* our close frame is queued */
    int hangup;                   /* hang up once the output is written */
    char fail[320];               /* why we hang up, when we know */
    int close_code;               /* from the server's close frame; 0 none */
    char close_reason[124];
    int64_t attempt_ms;           /* when the attempt started */
    int64_t up_ms;                /* when it came up */
    int64_t last_rx_ms;           /* last frame received whole, or PONG */
    uint64_t frames_seen;         /* parser.frames_done at last_rx_ms */
    uint64_t msgs_seen;           /* parser.messages_begun at msg_since_ms */
    int64_t msg_since_ms;         /* when the open message began */
    int64_t last_ping_ms;
    int64_t lost_ms;              /* when the last connection ended; -1 */
    int ever_up;                  /* a connection came up once */
    unsigned failed_starts;       /* attempts that failed before ever_up */

    /* FULL_BLOCK backlog, oldest first */
    struct parked *park_head, *park_tail;
    int paused;                   /* rx flow control is off */

    uint64_t seq;                 /* complete messages so far */
    int64_t last_msg_ms;          /* -1 none yet */
    int64_t status_ms;
    uint64_t status_received;
    int started;
};

/* ws_source.c */
const char *ws_current_url(struct ws_source *s);
int ws_conn_fail(struct ws_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ws_send_frame(struct ws_source *s, unsigned opcode, const void *data,
                  size_t len);
void ws_note_fault(struct ws_source *s);

/* ws_output.c: each returns 0, or -1 (the connection failed) */
int ws_flush_tls(struct ws_source *s);
int ws_send_upgrade(struct ws_source *s);
int ws_send_close(struct ws_source *s);

/* ws_deliver.c */
void ws_set_paused(struct ws_source *s, int paused);
void ws_drain_parked(struct ws_source *s);
void ws_on_message(void *arg, const struct ws_message *m);

/* ws_keepalive.c */
void ws_sul_tick_cb(lws_sorted_usec_list_t *sul);

#endif
