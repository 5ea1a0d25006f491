/*
** alert_sink_settle.c: what the CT source may commit while alerts are in
** the sinks' hands.
**
** A worker remembers the last index it queued on each sink (a
** thread-local ticket, set by alert_sinks_dispatch); the CT source is
** told a sequence number is done only once every sink has settled that
** worker's ticket, so a position is never committed past an alert that
** is neither delivered nor spooled. Sequence numbers that must wait are
** kept in a list, in the order they came, and released by the sink
** threads as they settle.
*/
#include <stdlib.h>
#include <string.h>

#include "sinks/alert_sink_int.h"
#include "log.h"

struct pending {
    struct pending *next;
    uint64_t seq;
    uint64_t ticket[ALERT_SINK_MAX];
};

static struct {
    void (*on_done)(void *arg, uint64_t seq);
    void *on_done_arg;
    pthread_mutex_t done_lock;
    struct pending *pending, **pending_tail;
    atomic_size_t n_pending;
} st = {
    .done_lock = PTHREAD_MUTEX_INITIALIZER,
    .pending_tail = &st.pending,
};

_Thread_local uint64_t sink_ticket[ALERT_SINK_MAX];

/* The last index up to which every alert was settled. s->lock held. */
static uint64_t settled_locked(const struct sink *s)
{
    uint64_t v = s->popped;

    for (unsigned j = 0; j < s->jobs; j++)
        if (s->busy[j] && s->busy[j] - 1 < v)
            v = s->busy[j] - 1;
    if (s->lost_at != UINT64_MAX && s->lost_at - 1 < v)
        v = s->lost_at - 1;
    return v;
}

static void settled_all(uint64_t *out)
{
    for (size_t i = 0; i < sink_g.n; i++) {
        pthread_mutex_lock(&sink_g.sinks[i]->lock);
        out[i] = settled_locked(sink_g.sinks[i]);
        pthread_mutex_unlock(&sink_g.sinks[i]->lock);
    }
}

static int covered(const uint64_t *ticket, const uint64_t *settled)
{
    for (size_t i = 0; i < sink_g.n; i++)
        if (ticket[i] > settled[i])
            return 0;
    return 1;
}

/* Forwards every deferred seq whose alerts are all settled. */
void sink_release_pending(void)
{
    uint64_t settled[ALERT_SINK_MAX];
    struct pending **pp, *p;

    if (!atomic_load(&st.n_pending))
        return;
    pthread_mutex_lock(&st.done_lock);
    settled_all(settled);
    pp = &st.pending;
    while ((p = *pp) != NULL) {
        if (covered(p->ticket, settled)) {
            *pp = p->next;
            st.on_done(st.on_done_arg, p->seq);
            free(p);
            atomic_fetch_sub(&st.n_pending, 1);
        } else {
            pp = &p->next;
        }
    }
    st.pending_tail = pp;
    pthread_mutex_unlock(&st.done_lock);
}

void alert_sinks_set_done(void (*on_done)(void *arg, uint64_t seq),
                          void *arg)
{
    st.on_done = on_done;
    st.on_done_arg = arg;
}

void alert_sinks_done(void *unused, uint64_t seq)
{
    uint64_t settled[ALERT_SINK_MAX];
    struct pending *p;
    static struct log_budget oom_log = LOG_BUDGET_INIT(1, "out of memory");

    (void)unused;
    if (!st.on_done)
        return;
    settled_all(settled);
    if (covered(sink_ticket, settled)) {
        st.on_done(st.on_done_arg, seq);
        return;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {   /* not committed: read again after a restart */
        log_limited(&oom_log, LOG_ERROR, "alert sinks: out of memory; a "
                    "CT position will not advance");
        return;
    }
    p->seq = seq;
    memcpy(p->ticket, sink_ticket, sizeof(p->ticket));
    pthread_mutex_lock(&st.done_lock);
    *st.pending_tail = p;
    st.pending_tail = &p->next;
    atomic_fetch_add(&st.n_pending, 1);
    pthread_mutex_unlock(&st.done_lock);
    sink_release_pending();      /* the sink may have settled meanwhile */
}

void sink_settle_clear(void)
{
    struct pending *p;

    sink_release_pending();
    pthread_mutex_lock(&st.done_lock);
    while ((p = st.pending) != NULL) {
        st.pending = p->next;
        free(p);
    }
    st.pending_tail = &st.pending;
    atomic_store(&st.n_pending, 0);
    pthread_mutex_unlock(&st.done_lock);
}
