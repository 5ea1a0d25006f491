/*
** ws_deliver.c: complete messages of the live source into the queue.
**
** A message goes to intake_deliver without waiting. Under FULL_BLOCK a
** full queue parks it in a FIFO and pauses reading (lws rx flow
** control) until the queue's on_room hook has the loop drain the backlog;
** under FULL_DROP the intake counts the drop. Oversized and binary
** messages are counted and logged within a budget.
*/
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mono_clock.h"
#include "queue.h"
#include "stats.h"
#include "ws/ws_source_int.h"

static struct log_budget oversize_log = LOG_BUDGET_INIT(5, "oversized messages");
static struct log_budget binary_log = LOG_BUDGET_INIT(3, "binary messages");
static struct log_budget nomem_log = LOG_BUDGET_INIT(3, "out-of-memory drops");

static void park(struct ws_source *s, const char *data, size_t len,
                 uint64_t seq)
{
    struct parked *p = malloc(sizeof *p);
    char *owned = malloc(len ? len : 1);

    if (owned)
        memcpy(owned, data, len);
    if (!p || !owned) {
        free(p);
        free(owned);
        stats_add(&stats.dropped, 1);
        log_limited(&nomem_log, LOG_ERROR,
                    "out of memory: message %llu dropped",
                    (unsigned long long)seq);
        return;
    }
    p->next = NULL;
    p->seq = seq;
    p->len = len;
    p->data = owned;
    if (s->park_tail)
        s->park_tail->next = p;
    else
        s->park_head = p;
    s->park_tail = p;
}

void ws_set_paused(struct ws_source *s, int paused)
{
    if (s->paused == paused)
        return;
    s->paused = paused;
    if (s->wsi && s->state == ST_UP)
        lws_rx_flow_control(s->wsi, !paused);
    /* the silence while we do not read is ours, not the server's */
    if (!paused)
        s->last_rx_ms = mono_ms();
}

/* Offers the parked messages to the queue, oldest first, and resumes
** reading once none is left. Returns without waiting. */
void ws_drain_parked(struct ws_source *s)
{
    while (s->park_head) {
        struct parked *p = s->park_head;
        enum intake_result r = intake_deliver(s->in, p->data, p->len,
                                              p->seq, 0);
        if (r == INTAKE_FULL)
            return;
        s->park_head = p->next;
        if (!s->park_head)
            s->park_tail = NULL;
        free(p->data);
        free(p);
    }
    ws_set_paused(s, 0);
}

/* Hands one complete text message to the pipeline; parks a copy when
** the queue is full under FULL_BLOCK. */
static void deliver(struct ws_source *s, const char *data, size_t len)
{
    uint64_t seq = ++s->seq;
    enum intake_result r;

    s->last_msg_ms = mono_ms();
    /* certstream-server-go ends each message with a newline */
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (s->park_head) {             /* keep the order behind the backlog */
        park(s, data, len, seq);
        return;
    }
    r = intake_deliver(s->in, data, len, seq, 0);
    if (r == INTAKE_FULL) {
        park(s, data, len, seq);
        ws_set_paused(s, 1);
        return;
    }
    if (r == INTAKE_NOMEM) {
        stats_add(&stats.dropped, 1);
        log_limited(&nomem_log, LOG_ERROR,
                    "out of memory: message %llu dropped",
                    (unsigned long long)seq);
    }
}

/* ws_frame's verdict on one complete message: deliver it or count why
** not. */
void ws_on_message(void *arg, const struct ws_message *m)
{
    struct ws_source *s = arg;
    size_t max = s->in->max_message_bytes;

    switch (m->kind) {
    case WS_MSG_TEXT:
        deliver(s, m->data, m->len);
        break;
    case WS_MSG_BINARY:
        stats_add(&stats.binary_frames, 1);
        log_limited(&binary_log, LOG_WARN,
                    "%s: ignoring a binary message (%llu bytes)",
                    s->urls[s->cur].text, (unsigned long long)m->total);
        break;
    case WS_MSG_OVERSIZE:
        /* counted like the intake counts an oversized replay line; the
        ** log names the real size, which the intake never saw */
        stats_add(&stats.oversize, 1);
        stats_add(&stats.parse_errors, 1);
        ++s->seq;
        log_limited(&oversize_log, LOG_WARN,
                    "%s: dropped a %llu-byte message over the %zu-byte "
                    "limit (--max-message-size)",
                    s->urls[s->cur].text, (unsigned long long)m->total, max);
        break;
    case WS_MSG_NOMEM:
        stats_add(&stats.dropped, 1);
        log_limited(&nomem_log, LOG_ERROR,
                    "out of memory reassembling a message; dropped");
        break;
    }
}
