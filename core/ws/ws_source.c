/*
** ws_source.c: the live CertStream source.
**
** libwebsockets only moves bytes here: the connection is an lws RAW
** client socket, TLS (wss://) runs in ws_tls over memory BIOs and the
** WebSocket protocol in ws_frame, which takes whole socket reads at a
** time (lws 4.1.6's own client parser handles payload one byte per call,
** which capped the throughput). One lws context, one connection at a
** time, all on the thread that calls run():
**
**   WAITING --sul_connect--> CONNECTING --101--> UP
**      ^                         |                 |
**      +---- backoff delay ------+-- error/close --+
**
** CONNECTING covers TCP, the TLS handshake and the HTTP upgrade. Every
** way out of CONNECTING or UP ends in conn_lost(), which logs the cause
** once, moves to the next URL and schedules the next attempt with the
** backoff policy. A periodic tick (sul_tick) sends PINGs, hangs up a
** silent connection and prints the status line; it runs even while
** nothing else happens, so no state can stall.
**
** The delivery of messages and the backlog are in ws_deliver.c, the
** tick in ws_keepalive.c; ws_source_int.h is the state they share.
**
** Backpressure: a complete message goes to intake_deliver(wait=0). Under
** FULL_BLOCK a full queue returns INTAKE_FULL: the message is parked in a
** FIFO, reading is paused with lws_rx_flow_control, and the queue's
** on_room hook wakes the loop (lws_cancel_service) to retry. Under
** FULL_DROP the intake counts the drop and we go on.
*/
#include "mono_clock.h"
#include "ws/ws_source.h"
#include "ws/ws_source_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libwebsockets.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "backoff.h"
#include "log.h"
#include "queue.h"
#include "stats.h"
#include "ws/ws_frame.h"
#include "ws/ws_tls.h"
#include "ws/ws_url.h"

const struct ws_tuning ws_tuning = {
    .tick_ms = 200,
    .stable_ms = 60000,
    .close_wait_ms = 5000,
    .handshake_ms = 20000,
    .message_ms = 120000,
    .jitter_pct = 20,
    .read_bytes = 128 * 1024,
};

static struct log_budget partial_log =
    LOG_BUDGET_INIT(5, "partial messages lost on disconnect");

/* The server broke the protocol or the message bound: counted once per
** connection (the cause is logged by conn_lost). */
void ws_note_fault(struct ws_source *s)
{
    (void)s;
    stats_add(&stats.net_faults, 1);
}

/* ---------------------------------------------------------- connection */

static void sul_connect_cb(lws_sorted_usec_list_t *sul);

const char *ws_current_url(struct ws_source *s)
{
    return s->urls[s->cur].text;
}

/* Forgets the connection's TLS, handshake, parser and output. */
static void conn_clear(struct ws_source *s)
{
    ws_tls_free(s->tls);
    s->tls = NULL;
    ws_parser_reset(&s->parser);
    s->out_len = 0;
    s->close_sent = 0;
    s->hangup = 0;
}

/* The attempt or connection at s->cur ended for the reason in cause. Logs
** it once, moves to the next URL and schedules the next attempt. */
/* Failed first attempts before the offline hint. */
static const unsigned ws_hint_after_failures = 3;

static void conn_lost(struct ws_source *s, const char *cause)
{
    int64_t now = mono_ms();
    unsigned delay_ms;
    uint64_t partial = ws_parser_partial(&s->parser);
    size_t next;

    if (s->attempt_done)
        return;
    s->attempt_done = 1;
    s->wsi = NULL;
    /* a message cut by our own stop is no news */
    if (partial && !s->closing && !*s->in->stop)
        log_limited(&partial_log, LOG_WARN,
                    "%s: a message cut off after %llu bytes was lost",
                    ws_current_url(s), (unsigned long long)partial);
    conn_clear(s);
    if (s->state == ST_UP) {
        s->lost_ms = now;
        s->ever_up = 1;
    }
    s->state = ST_WAITING;
    if (s->closing || *s->in->stop) {
        log_info("%s: closed (%s)", ws_current_url(s), cause);
        return;
    }
    delay_ms = backoff_next_ms(&s->bo, now);
    next = (s->cur + 1) % s->n_urls;
    log_warn("%s: %s; reconnecting%s%s in %.1f s", ws_current_url(s), cause,
             s->n_urls > 1 ? " to " : "",
             s->n_urls > 1 ? s->urls[next].text : "", delay_ms / 1000.0);
    s->cur = next;
    /* a first run without a network: say once what works offline */
    if (!s->ever_up && ++s->failed_starts == ws_hint_after_failures)
        log_info("no connection to the feed after %u attempts; certmon "
                 "keeps trying. Without a network, try the bundled demo "
                 "feed: certmon --replay scripts/demo/demo.jsonl; without "
                 "an aggregator, read the CT logs: certmon --ct",
                 ws_hint_after_failures);
    lws_sul_schedule(s->ctx, 0, &s->sul_connect, sul_connect_cb,
                     (lws_usec_t)delay_ms * 1000);
}

/* Makes the connection fail with cause: remembered for conn_lost, which
** runs when lws has closed the socket. Returns -1 for the callback. */
int ws_conn_fail(struct ws_source *s, const char *fmt, ...)
{
    va_list ap;

    if (!s->fail[0]) {
        va_start(ap, fmt);
        vsnprintf(s->fail, sizeof s->fail, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The upgrade succeeded. */
static void conn_up(struct ws_source *s)
{
    int64_t now = mono_ms();

    s->state = ST_UP;
    s->phase = PH_WS;
    s->up_ms = s->last_rx_ms = s->last_ping_ms = now;
    s->frames_seen = s->parser.frames_done;
    s->msgs_seen = s->parser.messages_begun;
    backoff_up(&s->bo, now);
    if (s->lost_ms >= 0)
        log_info("connected to %s (%.1f s without a connection)",
                 ws_current_url(s), (now - s->lost_ms) / 1000.0);
    else
        log_info("connected to %s", ws_current_url(s));
    if (s->paused)                  /* a backlog from before is still there */
        lws_rx_flow_control(s->wsi, 0);
    if (s->closing || *s->in->stop) {
        s->closing = 1;
        ws_send_close(s);
    }
}

static void on_ping(void *arg, const unsigned char *data, size_t len)
{
    struct ws_source *s = arg;

    s->last_rx_ms = mono_ms();
    if (!s->close_sent)
        ws_send_frame(s, WS_OP_PONG, data, len);
}

static void on_pong(void *arg, const unsigned char *data, size_t len)
{
    struct ws_source *s = arg;

    (void)data;
    (void)len;
    s->last_rx_ms = mono_ms();
}

/* Keeps the printable part of a close reason for the log. */
static void copy_reason(char *out, size_t outlen, const char *in, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len && n + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

/* The server's close frame: answer it (unless it answers ours) and hang
** up once the answer is out. */
static void on_close(void *arg, unsigned code, const char *reason,
                     size_t len)
{
    struct ws_source *s = arg;

    if (!s->close_sent) {
        unsigned char body[2] = { (unsigned char)(code >> 8),
                                  (unsigned char)code };
        s->close_code = (int)code;
        copy_reason(s->close_reason, sizeof s->close_reason, reason, len);
        ws_send_frame(s, WS_OP_CLOSE, body, code == 1005 ? 0 : 2);
        s->close_sent = 1;
    }
    s->hangup = 1;
    if (s->wsi)
        lws_callback_on_writable(s->wsi);
}

/* Takes bytes of the WebSocket stream (decrypted for wss://). -1 to hang
** up. */
static int on_stream(struct ws_source *s, const unsigned char *data,
                     size_t len)
{
    char err[200];

    if (s->phase == PH_HTTP) {
        size_t used;
        switch (ws_handshake_feed(&s->hs, (const char *)data, len, &used,
                                  err, sizeof err)) {
        case WS_HS_MORE:
            return 0;
        case WS_HS_FAIL:
            return ws_conn_fail(s, "%s", err);
        case WS_HS_DONE:
            conn_up(s);
            data += used;
            len -= used;
            break;
        }
    }
    if (!len)
        return 0;
    if (ws_parser_feed(&s->parser, data, len, err, sizeof err)) {
        ws_note_fault(s);
        return ws_conn_fail(s, "%s", err);
    }
    /* liveness is a frame received whole, not any byte: a frame trickled
    ** a byte a second must not keep the connection up */
    if (s->parser.frames_done != s->frames_seen) {
        s->frames_seen = s->parser.frames_done;
        s->last_rx_ms = mono_ms();
    }
    if (s->parser.messages_begun != s->msgs_seen) {
        s->msgs_seen = s->parser.messages_begun;
        s->msg_since_ms = mono_ms();
    }
    return 0;
}

/* Ciphertext from the socket: on with the TLS handshake or decrypt. */
static int on_tls_rx(struct ws_source *s, const void *data, size_t len)
{
    char err[200];
    ssize_t n;

    if (ws_tls_feed(s->tls, data, len))
        return ws_conn_fail(s, "out of memory");
    if (s->phase == PH_TLS) {
        switch (ws_tls_handshake(s->tls, err, sizeof err)) {
        case WS_TLS_AGAIN:
            return ws_flush_tls(s) ? ws_conn_fail(s, "out of memory") : 0;
        case WS_TLS_FAIL:
            ws_flush_tls(s);
            return ws_conn_fail(s, "TLS failure: %s", err);
        case WS_TLS_DONE:
            if (ws_send_upgrade(s))
                return -1;
            break;
        }
    }
    for (;;) {
        n = ws_tls_read(s->tls, s->plain, ws_tuning.read_bytes, err,
                        sizeof err);
        if (n == 0)
            break;
        if (n < 0) {
            if (strstr(err, "close_notify"))
                return -1;          /* the cause is the missing close frame */
            return ws_conn_fail(s, "TLS failure (%s)", err);
        }
        if (on_stream(s, s->plain, (size_t)n) || s->fail[0])
            return -1;
        if (s->hangup && !s->out_len)
            return -1;
    }
    return ws_flush_tls(s) ? ws_conn_fail(s, "out of memory") : 0;
}

/* Why lws could not even start a connection to u. */
static void describe_start_failure(const struct ws_url *u, char *out,
                                   size_t outlen)
{
    struct addrinfo hints, *res = NULL;
    char port[16];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", u->port);
    rc = getaddrinfo(u->host, port, &hints, &res);
    if (rc != 0)
        snprintf(out, outlen, "DNS lookup failed for %s (%s)", u->host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    else
        snprintf(out, outlen, "could not start a connection to %s port %d",
                 u->host, u->port);
    if (res)
        freeaddrinfo(res);
}

static void sul_connect_cb(lws_sorted_usec_list_t *sul)
{
    struct ws_source *s = lws_container_of(sul, struct ws_source,
                                           sul_connect);
    struct lws_client_connect_info cc;
    const struct ws_url *u = &s->urls[s->cur];
    struct lws *w;

    if (*s->in->stop || s->closing)
        return;
    if (s->attempts++)
        stats_add(&stats.reconnects, 1);
    s->state = ST_CONNECTING;
    s->phase = PH_TCP;
    s->attempt_ms = mono_ms();
    s->attempt_done = 0;
    s->idle_killed = 0;
    s->close_code = 0;
    s->close_reason[0] = '\0';
    s->fail[0] = '\0';
    conn_clear(s);

    memset(&cc, 0, sizeof cc);
    cc.context = s->ctx;
    cc.address = u->host;
    cc.port = u->port;
    cc.path = u->path;
    cc.host = u->host;
    cc.method = "RAW";
    cc.local_protocol_name = "certmon-ws";
    s->wsi = NULL;
    w = lws_client_connect_via_info(&cc);
    /* lws may already have reported the failure through the callback;
    ** when it has not, lws 4.1 gives no reason: a failed name lookup is
    ** the usual one, so look the name up to say so */
    if (!w && !s->attempt_done) {
        char cause[300];
        describe_start_failure(u, cause, sizeof cause);
        conn_lost(s, cause);
    }
    else if (w && !s->attempt_done)
        s->wsi = w;
}

/* Builds the cause of a connection error from lws's reason string. */
static void describe_error(const char *why, char *out, size_t outlen)
{
    if (!why || !*why)
        why = "unknown error";
    if (strstr(why, "getaddrinfo") || strstr(why, "DNS") ||
        strstr(why, "dns")) {
        snprintf(out, outlen, "DNS lookup failed (%s)", why);
    } else if (strstr(why, "nable to connect") ||
               strstr(why, "connect failed") ||
               strstr(why, "onnection refused")) {
        snprintf(out, outlen, "connection refused or unreachable (%s)", why);
    } else {
        snprintf(out, outlen, "connection failed (%s)", why);
    }
}

/* The cause of a closed connection, for conn_lost. */
static void describe_close(struct ws_source *s, char *cause, size_t len)
{
    if (s->fail[0])
        snprintf(cause, len, "%s", s->fail);
    else if (s->idle_killed)
        snprintf(cause, len, "idle timeout: no frame or PONG for %.1f s",
                 s->idle_timeout_ms / 1000.0);
    else if (s->close_code == 1005)
        snprintf(cause, len, "server closed the connection (close frame "
                 "without a code)");
    else if (s->close_code)
        snprintf(cause, len, "server closed the connection with code %d%s%s%s",
                 s->close_code, s->close_reason[0] ? " \"" : "",
                 s->close_reason, s->close_reason[0] ? "\"" : "");
    else if (s->closing && s->state == ST_UP)
        snprintf(cause, len, "we sent close code 1000");
    else if (s->state != ST_UP)
        snprintf(cause, len, "connection closed during the %s handshake",
                 s->phase == PH_TLS ? "TLS" : "WebSocket");
    else
        snprintf(cause, len, "connection lost without a close frame (1006)");
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    struct ws_source *s = lws_context_user(lws_get_context(wsi));
    char cause[360];

    if (!s || !s->in)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s->state != ST_CONNECTING || s->attempt_done)
            break;
        describe_error(in, cause, sizeof cause);
        conn_lost(s, cause);
        break;

    case LWS_CALLBACK_RAW_CONNECTED: {
        char err[200];
        if (s->state != ST_CONNECTING)
            return -1;
        s->wsi = wsi;
        if (!s->urls[s->cur].tls)
            return ws_send_upgrade(s);
        s->phase = PH_TLS;
        s->tls = ws_tls_new(s->tls_ctx, s->urls[s->cur].host, err,
                            sizeof err);
        if (!s->tls)
            return ws_conn_fail(s, "TLS failure: %s", err);
        if (ws_tls_handshake(s->tls, err, sizeof err) == WS_TLS_FAIL)
            return ws_conn_fail(s, "TLS failure: %s", err);
        return ws_flush_tls(s) ? ws_conn_fail(s, "out of memory") : 0;
    }

    case LWS_CALLBACK_RAW_RX:
        if (wsi != s->wsi)
            break;
        if (s->tls) {
            if (on_tls_rx(s, in, len))
                return -1;
        } else if (on_stream(s, in, len) || s->fail[0]) {
            return -1;
        }
        if (s->hangup && !s->out_len)
            return -1;
        break;

    case LWS_CALLBACK_RAW_WRITEABLE:
        if (wsi != s->wsi)
            break;
        if (s->out_len) {
            int n = lws_write(wsi, s->out + LWS_PRE, s->out_len,
                              LWS_WRITE_RAW);
            s->out_len = 0;
            if (n < 0)
                return -1;
        }
        if (s->hangup || s->fail[0])
            return -1;
        break;

    case LWS_CALLBACK_RAW_CLOSE:
        if (s->attempt_done || (s->wsi && wsi != s->wsi))
            break;
        describe_close(s, cause, sizeof cause);
        conn_lost(s, cause);
        break;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* woken by wake() (stop) or by the queue making room */
        if (s->park_head)
            ws_drain_parked(s);
        if (*s->in->stop && !s->closing) {
            s->closing = 1;
            if (s->wsi && s->state == ST_UP)
                ws_send_close(s);
        }
        break;

    default:
        break;
    }
    (void)user;
    return 0;
}

static const struct lws_protocols ws_protocols[] = {
    { "certmon-ws", ws_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ------------------------------------------------------------- source */

/* Reads and drops what the kernel holds for wsi, without waiting. A
** socket closed with unread bytes sends a reset instead of a FIN, and a
** server that receives the reset may drop our close frame unread: a slow
** server would never learn that certmon stopped on purpose. */
static void discard_unread(struct lws *wsi)
{
    char buf[16384];
    lws_sockfd_type fd = lws_get_socket_fd(wsi);

    if (fd < 0)
        return;
    for (int i = 0; i < 256; i++)       /* bounded: the server may go on */
        if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0)
            break;
}

/* lws's own diagnostics: errors become our debug lines, since every
** failure they describe is reported by conn_lost with its cause. */
static void lws_log_emit(int level, const char *line)
{
    size_t n = strlen(line);

    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_debug("lws: %.*s", (int)n, line);
}

static void ws_wake(struct source *src)
{
    struct ws_source *s = (struct ws_source *)src;

    if (s->ctx)
        lws_cancel_service(s->ctx);
}

static void queue_room_cb(void *arg)
{
    ws_wake(arg);
}

static int ws_run(struct source *src, struct intake *in, char *err,
                  size_t errlen)
{
    struct ws_source *s = (struct ws_source *)src;
    int64_t deadline;

    if (s->started) {
        err_set(err, errlen, "the WebSocket source runs only once");
        return -1;
    }
    s->started = 1;
    s->in = in;
    s->status_ms = mono_ms();
    {
        const struct ws_frame_events ev = {
            s, ws_on_message, on_ping, on_pong, on_close,
        };
        ws_parser_init(&s->parser, &ev, in->max_message_bytes);
    }
    if (in->on_full == FULL_BLOCK)
        queue_on_room(in->queue, queue_room_cb, s);
    if (s->insecure)
        log_warn("--insecure: TLS certificates are NOT verified; anyone "
                 "on the path can pose as the server");

    lws_sul_schedule(s->ctx, 0, &s->sul_connect, sul_connect_cb, 1);
    lws_sul_schedule(s->ctx, 0, &s->sul_tick, ws_sul_tick_cb,
                     (lws_usec_t)ws_tuning.tick_ms * 1000);
    /* One wakeup of the workers per service pass (one socket read holds
    ** many messages under load, one when idle), not one per message. */
    queue_hold_wakeups(in->queue, 1);
    while (!*in->stop) {
        int rc = lws_service(s->ctx, 0);
        queue_wake(in->queue);
        if (rc < 0)
            break;
    }
    queue_hold_wakeups(in->queue, 0);

    /* stop: say goodbye with 1000 and wait a little for the ack */
    s->closing = 1;
    lws_sul_cancel(&s->sul_connect);
    if (s->wsi && s->state == ST_UP)
        ws_send_close(s);
    else if (s->wsi)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    deadline = mono_ms() + ws_tuning.close_wait_ms;
    while (s->wsi && mono_ms() < deadline)
        if (lws_service(s->ctx, 0) < 0)
            break;
    if (s->wsi) {                   /* no answer to our close: hang up */
        discard_unread(s->wsi);
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    }
    lws_sul_cancel(&s->sul_tick);

    /* under block nothing received may be lost: hand over the backlog */
    while (s->park_head) {
        struct parked *p = s->park_head;
        intake_deliver(in, p->data, p->len, p->seq, 1);
        s->park_head = p->next;
        free(p->data);
        free(p);
    }
    s->park_tail = NULL;
    return 0;
}

static void ws_destroy(struct source *src)
{
    struct ws_source *s = (struct ws_source *)src;
    size_t i;

    if (!s)
        return;
    if (s->ctx)
        lws_context_destroy(s->ctx);
    ws_tls_free(s->tls);
    ws_tls_ctx_free(s->tls_ctx);
    ws_parser_free(&s->parser);
    free(s->out);
    free(s->plain);
    while (s->park_head) {
        struct parked *p = s->park_head;
        s->park_head = p->next;
        free(p->data);
        free(p);
    }
    for (i = 0; i < s->n_urls; i++)
        ws_url_free(&s->urls[i]);
    free(s->urls);
    free(s->ca_file);
    free(s);
}

/* Checks that path holds at least one PEM certificate, so a typo in
** --ca-file is an error at start rather than a TLS failure per attempt. */
static int check_ca_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    if (!f) {
        err_set(err, errlen, "--ca-file %s: %s", path, strerror(errno));
        return -1;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        err_set(err, errlen, "--ca-file %s: no PEM certificate in it", path);
        return -1;
    }
    X509_free(x);
    return 0;
}

struct source *ws_source_new(const struct ws_config *cfg, char *err,
                             size_t errlen)
{
    struct lws_context_creation_info info;
    struct backoff_policy bp;
    struct ws_source *s;
    static const lws_retry_bo_t no_lws_keepalive = { 0 };
    size_t i;
    int any_tls = 0;

    if (!cfg->n_urls) {
        err_set(err, errlen, "no WebSocket URL");
        return NULL;
    }
    if (cfg->ca_file && check_ca_file(cfg->ca_file, err, errlen))
        return NULL;
    s = calloc(1, sizeof *s);
    if (!s || !(s->urls = calloc(cfg->n_urls, sizeof *s->urls))) {
        free(s);
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    s->base.name = "websocket";
    s->base.run = ws_run;
    s->base.wake = ws_wake;
    s->base.destroy = ws_destroy;
    s->lost_ms = -1;
    s->last_msg_ms = -1;
    for (i = 0; i < cfg->n_urls; i++) {
        s->n_urls = i + 1;
        if (ws_url_parse(&s->urls[i], cfg->urls[i], err, errlen))
            goto fail;
        any_tls |= s->urls[i].tls;
    }
    if (cfg->ca_file && !(s->ca_file = strdup(cfg->ca_file))) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
    s->insecure = cfg->insecure;
    s->ping_interval_ms = cfg->ping_interval_s * 1000;
    s->idle_timeout_ms = cfg->idle_timeout_s * 1000;
    s->stats_interval_ms = cfg->stats_interval_s * 1000;

    bp.min_ms = cfg->reconnect_min_ms ? cfg->reconnect_min_ms : 1000;
    bp.max_ms = cfg->reconnect_max_ms ? cfg->reconnect_max_ms : 60000;
    bp.jitter_pct = ws_tuning.jitter_pct;
    bp.stable_ms = ws_tuning.stable_ms;
    backoff_init(&s->bo, &bp, (uint64_t)mono_ms() ^ (uintptr_t)s);

    lws_set_log_level(log_get_level() >= LOG_DEBUG ? LLL_ERR | LLL_WARN
                                                  : LLL_ERR,
                      lws_log_emit);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = ws_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    info.retry_and_idle_policy = &no_lws_keepalive;  /* ours is the tick */
    info.pt_serv_buf_size = (unsigned)ws_tuning.read_bytes;
    if (any_tls) {
        s->tls_ctx = ws_tls_ctx_new(s->ca_file, s->insecure, err, errlen);
        s->plain = malloc(ws_tuning.read_bytes);
        if (!s->tls_ctx)
            goto fail;
        if (!s->plain) {
            err_set(err, errlen, "out of memory");
            goto fail;
        }
    }
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        err_set(err, errlen, "could not create the libwebsockets context");
        goto fail;
    }
    return &s->base;

fail:
    ws_destroy(&s->base);
    return NULL;
}
