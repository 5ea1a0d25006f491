/*
** intake.c: how a source hands a complete message to the pipeline.
**
** The one place where the size cap and the full-queue policy are applied,
** so every source (replay, WebSocket, CT) counts the same things the same
** way.
*/

#include "log.h"
#include "mono_clock.h"
#include "source.h"
#include "stats.h"

/* --serve: every message a source delivers is also offered here. */
static void (*intake_tap)(void *arg, const char *data, size_t len);
static void *intake_tap_arg;

void intake_set_tap(void (*fn)(void *arg, const char *data, size_t len),
                    void *arg)
{
    intake_tap = fn;
    intake_tap_arg = arg;
}

static struct log_budget oversize_log = LOG_BUDGET_INIT(5, "oversized messages");

enum intake_result intake_deliver(struct intake *in, const char *data,
                                  size_t len, uint64_t seq, int wait)
{
    struct msg *m;
    enum queue_push_result r;

    if (len > in->max_message_bytes) {
        stats_add(&stats.oversize, 1);
        stats_add(&stats.parse_errors, 1);
        log_limited(&oversize_log, LOG_WARN,
                    "message %llu: %zu bytes exceeds --max-message-size %zu;"
                    " skipped", (unsigned long long)seq, len,
                    in->max_message_bytes);
        return INTAKE_TOO_BIG;
    }
    m = msg_new(data, len);
    if (!m)
        return INTAKE_NOMEM;
    m->seq = seq;
    m->recv_ns = mono_ns();
    if (in->on_full == FULL_BLOCK && wait)
        r = queue_push(in->queue, m);
    else
        r = queue_try_push(in->queue, m);
    switch (r) {
    case QUEUE_OK:
        if (intake_tap)
            intake_tap(intake_tap_arg, data, len);
        stats_add(&stats.received, 1);
        stats_add(&stats.bytes, len);
        return INTAKE_QUEUED;
    case QUEUE_FULL:
        msg_free(m);
        if (in->on_full == FULL_BLOCK)
            return INTAKE_FULL;
        if (intake_tap)         /* the rules miss it, not the clients */
            intake_tap(intake_tap_arg, data, len);
        stats_add(&stats.dropped, 1);
        return INTAKE_DROPPED;
    case QUEUE_CLOSED:
    default:
        msg_free(m);
        return INTAKE_CLOSED;
    }
}
