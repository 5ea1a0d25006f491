/*
** ws_keepalive.c: the live source's periodic tick (every
** ws_tuning.tick_ms, connected or not), so that no state can stall: it
** gives up on a handshake that gets no answer, hangs up a silent
** connection (--idle-timeout) or a message that never completes, sends
** PINGs (--ping-interval) and prints the status line.
*/
#include <stdio.h>

#include "log.h"
#include "mono_clock.h"
#include "queue.h"
#include "stats.h"
#include "ws/ws_source_int.h"

static void print_status(struct ws_source *s, int64_t now)
{
    uint64_t received = stats_get(&stats.received);
    double span_s = (now - s->status_ms) / 1000.0;
    double rate = span_s > 0 ? (received - s->status_received) / span_s : 0;
    char age[32], up[48];

    if (s->last_msg_ms >= 0)
        snprintf(age, sizeof age, "%.1fs", (now - s->last_msg_ms) / 1000.0);
    else
        snprintf(age, sizeof age, "never");
    if (s->state == ST_UP)
        snprintf(up, sizeof up, "up=%.0fs", (now - s->up_ms) / 1000.0);
    else
        snprintf(up, sizeof up, "disconnected");
    size_t qlen, qbytes, qhigh;

    queue_usage(s->in->queue, &qlen, &qbytes, &qhigh);
    log_info("status: url=%s %s rate=%.1f/s received=%llu dropped=%llu "
             "reconnects=%llu last_message_age=%s queue=%zu queue_high=%zu "
             "queue_mib=%.1f%s",
             ws_current_url(s), up, rate, (unsigned long long)received,
             (unsigned long long)stats_get(&stats.dropped),
             (unsigned long long)stats_get(&stats.reconnects), age,
             qlen, qhigh, qbytes / 1048576.0,
             s->paused ? " paused=queue-full" : "");
    s->status_ms = now;
    s->status_received = received;
}

/* How long one message may take from its first frame to its last: the
** idle timeout, or message_ms when that is off. */
static unsigned message_bound_ms(const struct ws_source *s)
{
    return s->idle_timeout_ms ? s->idle_timeout_ms : ws_tuning.message_ms;
}

void ws_sul_tick_cb(lws_sorted_usec_list_t *sul)
{
    struct ws_source *s = lws_container_of(sul, struct ws_source, sul_tick);
    int64_t now = mono_ms();

    if (s->park_head)               /* in case a wakeup was missed */
        ws_drain_parked(s);
    /* lws times out the TCP connect only; a server that accepts and
    ** never answers the TLS or HTTP handshake is ours to give up on */
    if (s->state == ST_CONNECTING && s->wsi && s->phase != PH_TCP &&
        !s->fail[0] && now - s->attempt_ms >= ws_tuning.handshake_ms) {
        ws_conn_fail(s, "no answer to the %s handshake within %.0f s",
                  s->phase == PH_TLS ? "TLS" : "WebSocket",
                  ws_tuning.handshake_ms / 1000.0);
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    if (s->state == ST_UP && s->wsi && !s->closing) {
        if (s->paused)              /* not reading: the delay is ours */
            s->last_rx_ms = s->msg_since_ms = now;
        if (!s->idle_killed && s->idle_timeout_ms &&
            now - s->last_rx_ms >= (int64_t)s->idle_timeout_ms) {
            s->idle_killed = 1;
            ws_note_fault(s);
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
                            LWS_TO_KILL_ASYNC);
        } else if (!s->fail[0] && s->parser.in_message &&
                   now - s->msg_since_ms >= (int64_t)message_bound_ms(s)) {
            /* endless fragments, or a length no server can mean */
            ws_note_fault(s);
            ws_conn_fail(s, "a message did not complete within %.0f s "
                      "(%llu bytes so far)", message_bound_ms(s) / 1000.0,
                      (unsigned long long)s->parser.total);
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
                            LWS_TO_KILL_ASYNC);
        } else if (s->ping_interval_ms &&
                   now - s->last_ping_ms >= (int64_t)s->ping_interval_ms) {
            s->last_ping_ms = now;
            ws_send_frame(s, WS_OP_PING, "certmon", 7);
        }
    }
    if (s->stats_interval_ms &&
        now - s->status_ms >= (int64_t)s->stats_interval_ms)
        print_status(s, now);
    lws_sul_schedule(s->ctx, 0, &s->sul_tick, ws_sul_tick_cb,
                     (lws_usec_t)ws_tuning.tick_ms * 1000);
}
