/*
** alert_sink.c: alert delivery: per-sink queues and threads, retries,
** replaying the spool (its files: alert_spool.c), and what the CT source
** may commit.
**
** Each sink has a ring of alert lines (copies) under its own lock and one
** thread (an exec sink: --alert-exec-jobs threads) that takes them in
** order and makes attempts through its kind (alert_sink_webhook.c,
** alert_sink_exec.c). Workers only copy lines into the ring; a full ring
** sends the line to the spool at once, on the worker, because waiting
** would let a dead sink stall the rules.
**
** Every queued alert gets an index, 1, 2, ... per sink. A sink has
** "settled" index k when every alert up to k was delivered, rejected
** into the spool or spooled: the smallest index still in the ring or in
** an attempt, minus one, or less if one was lost. A worker remembers the
** last index it queued on each sink (a thread-local ticket); the CT
** source is told a sequence number is done only once every sink has
** settled that worker's ticket, so a position is never committed past an
** alert that is neither delivered nor spooled.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sinks/alert_sink.h"
#include "sinks/alert_sink_kind.h"
#include "sinks/alert_spool.h"
#include "backoff.h"
#include "log.h"
#include "metrics.h"
#include "mono_clock.h"
#include "stats.h"

#define SINK_MAX_JOBS 64
#define SINK_MAX_LOGGED 16          /* distinct failures logged per sink */
#define SINK_RETRY_AFTER_MAX_MS (600u * 1000u)

static const struct backoff_policy sink_backoff = {
    .min_ms = 500,
    .max_ms = 60000,
    .jitter_pct = 20,
    .stable_ms = 0,
};

/* An idle sink with spooled alerts tries the first of them this often:
** alerts may be rare, so recovery cannot wait for the next one. */
static const struct backoff_policy probe_backoff = {
    .min_ms = 1000,
    .max_ms = 300000,
    .jitter_pct = 20,
    .stable_ms = 0,
};

struct item {
    char *line;         /* without its '\n'; owned */
    size_t len;
    uint64_t index;
};

struct sink {
    char name[32];
    const struct sink_kind *kind;
    void *impl;
    unsigned jobs;
    unsigned n_started;
    pthread_t threads[SINK_MAX_JOBS];

    pthread_mutex_t lock;           /* the ring and the fields below */
    pthread_cond_t cond;            /* pushes and stop (monotonic clock) */
    struct item *ring;
    size_t cap, head, count;
    uint64_t pushed, popped;
    uint64_t busy[SINK_MAX_JOBS];   /* index in an attempt; 0 = idle */
    uint64_t lost_at;               /* first index lost; UINT64_MAX none */
    uint64_t logged[SINK_MAX_LOGGED];
    unsigned n_logged;
    int failing, full_logged, lost_logged;

    struct alert_spool *spool;      /* NULL = no --alert-spool */
    atomic_int spool_pending;       /* the spool file may have lines */
    atomic_int replaying;

    atomic_uint_fast64_t delivered, failed, spooled, lost, replayed;
};

struct pending {
    struct pending *next;
    uint64_t seq;
    uint64_t ticket[ALERT_SINK_MAX];
};

static struct {
    struct sink *sinks[ALERT_SINK_MAX];
    size_t n;
    unsigned timeout_ms, retries;
    int spool_lock_fd;              /* flock on DIR/.lock; -1 none */
    atomic_int stopping;
    _Atomic int64_t stop_deadline_ms;

    void (*on_done)(void *arg, uint64_t seq);
    void *on_done_arg;
    pthread_mutex_t done_lock;
    struct pending *pending, **pending_tail;
    atomic_size_t n_pending;
} g = {
    .done_lock = PTHREAD_MUTEX_INITIALIZER,
    .pending_tail = &g.pending,
    .spool_lock_fd = -1,
};

static _Thread_local uint64_t tl_ticket[ALERT_SINK_MAX];

static int64_t now_ms(void)
{
    return mono_ns() / 1000000;
}

static int past_stop_deadline(void)
{
    return atomic_load(&g.stopping) && now_ms() >= atomic_load(&g.stop_deadline_ms);
}

/* ===== giving up: the spool ===== */

/* n alerts could be neither delivered nor spooled: count, log once. */
static void count_lost(struct sink *s, uint64_t n, const char *why)
{
    int first;

    atomic_fetch_add(&s->lost, n);
    stats_add(&stats.alerts_lost, n);
    pthread_mutex_lock(&s->lock);
    first = !s->lost_logged;
    s->lost_logged = 1;
    pthread_mutex_unlock(&s->lock);
    if (first)
        log_error("%s: alerts lost (%s)%s; counted as alerts_lost", s->name,
                  why, s->spool ? "" : ": give --alert-spool DIR to "
                  "keep them");
}

/* An alert the sink gave up on: to the spool, or lost. Returns 1 if
** spooled. */
static int spool_or_lose(struct sink *s, const char *line, size_t len)
{
    char why[300];

    if (!s->spool) {
        count_lost(s, 1, "not delivered, no spool");
        return 0;
    }
    if (alert_spool_append_line(s->spool, ALERT_SPOOL_PENDING, line,
                                len) < 0) {
        snprintf(why, sizeof(why), "cannot write %s: %s",
                 alert_spool_path(s->spool), strerror(errno));
        count_lost(s, 1, why);
        return 0;
    }
    atomic_store(&s->spool_pending, 1);
    atomic_fetch_add(&s->spooled, 1);
    stats_add(&stats.alerts_spooled, 1);
    return 1;
}

/* ===== attempts ===== */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

/* Logs a failure the first time this exact reason is seen. */
static void note_failure(struct sink *s, const char *why)
{
    uint64_t h = hash_str(why);
    int log_it = 1, last = 0;

    pthread_mutex_lock(&s->lock);
    s->failing = 1;
    for (unsigned i = 0; i < s->n_logged && log_it; i++)
        if (s->logged[i] == h)
            log_it = 0;
    if (log_it && s->n_logged < SINK_MAX_LOGGED) {
        s->logged[s->n_logged++] = h;
        last = s->n_logged == SINK_MAX_LOGGED;
    } else {
        log_it = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (log_it)
        log_warn("%s: %s%s", s->name, why, last ? " (further kinds of "
                 "failure are counted, not logged)" : "");
}

static void note_delivered(struct sink *s)
{
    int was;

    atomic_fetch_add(&s->delivered, 1);
    pthread_mutex_lock(&s->lock);
    was = s->failing;
    s->failing = 0;
    pthread_mutex_unlock(&s->lock);
    if (was)
        log_info("%s: delivering again", s->name);
}

/* Sleeps ms. Returns 0, or -1 at once (no sleep) or early when certmon
** is stopping and the sleep would end past the drain deadline: then the
** alert is spooled rather than retried. */
static int sink_wait_ms(struct sink *s, unsigned ms)
{
    struct timespec ts;
    int64_t until = now_ms() + ms;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        int64_t ns;
        if (atomic_load(&g.stopping) &&
            until > atomic_load(&g.stop_deadline_ms)) {
            rc = -1;
            break;
        }
        if (now_ms() >= until)
            break;
        ns = mono_ns() + (until - now_ms()) * 1000000;
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum outcome { OUT_DELIVERED, OUT_SPOOLED, OUT_LOST };

/* Delivers one alert with retries; gives up into the spool. */
static enum outcome deliver_item(struct sink *s, const char *line,
                                 size_t len, unsigned retries)
{
    struct backoff bo;
    char why[512];
    unsigned retry_after_ms;
    enum sink_result r;

    backoff_init(&bo, &sink_backoff, (uint64_t)mono_ns() ^ (uintptr_t)s);
    for (unsigned attempt = 0;; attempt++) {
        if (past_stop_deadline())
            break;              /* no time left: keep it for next start */
        why[0] = '\0';
        retry_after_ms = 0;
        r = s->kind->deliver(s->impl, line, len, g.timeout_ms, why,
                             sizeof(why), &retry_after_ms);
        if (r == SINK_DELIVERED) {
            note_delivered(s);
            return OUT_DELIVERED;
        }
        note_failure(s, why[0] ? why : "delivery failed");
        if (r == SINK_REJECTED) {
            atomic_fetch_add(&s->failed, 1);
            stats_add(&stats.alerts_failed, 1);
            if (!s->spool) {
                count_lost(s, 1, "rejected by the receiver, no spool");
                return OUT_LOST;
            }
            if (alert_spool_append_line(s->spool, ALERT_SPOOL_REJECTED, line,
                                        len) < 0) {
                count_lost(s, 1, "cannot write the rejected spool");
                return OUT_LOST;
            }
            atomic_fetch_add(&s->spooled, 1);
            stats_add(&stats.alerts_spooled, 1);
            return OUT_SPOOLED;
        }
        if (attempt >= retries) {
            atomic_fetch_add(&s->failed, 1);
            stats_add(&stats.alerts_failed, 1);
            break;
        }
        {
            unsigned delay = backoff_next_ms(&bo, now_ms());
            if (retry_after_ms > SINK_RETRY_AFTER_MAX_MS)
                retry_after_ms = SINK_RETRY_AFTER_MAX_MS;
            if (retry_after_ms > delay)
                delay = retry_after_ms;
            if (sink_wait_ms(s, delay) < 0) {
                atomic_fetch_add(&s->failed, 1);
                stats_add(&stats.alerts_failed, 1);
                break;
            }
        }
    }
    return spool_or_lose(s, line, len) ? OUT_SPOOLED : OUT_LOST;
}

/* Sends the spool file's alerts once each. The first that fails goes
** back to the spool with all after it. Lines found in a replay file left
** by a run that stopped mid-replay are sent first (so may arrive twice). */
static void replay_spool(struct sink *s)
{
    FILE *f;
    char *line = NULL, why[512];
    size_t cap = 0;
    ssize_t n;
    uint64_t sent = 0, kept = 0;
    int keep = 0;
    unsigned retry_after_ms;

    if (!s->spool || atomic_exchange(&s->replaying, 1))
        return;
    atomic_store(&s->spool_pending, 0);
    f = alert_spool_take(s->spool);
    if (!f) {
        if (errno)
            log_error("%s: cannot read its spool: %s", s->name,
                      strerror(errno));
        atomic_store(&s->replaying, 0);
        return;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        enum sink_result r = SINK_RETRY;
        if (line[len - 1] == '\n')
            len--;
        if (len == 0)
            continue;
        why[0] = '\0';
        if (!past_stop_deadline())
            r = s->kind->deliver(s->impl, line, len, g.timeout_ms, why,
                                 sizeof(why), &retry_after_ms);
        if (r == SINK_DELIVERED) {
            note_delivered(s);
            atomic_fetch_add(&s->replayed, 1);
            sent++;
            continue;
        }
        if (why[0])
            note_failure(s, why);
        if (r == SINK_REJECTED &&
            alert_spool_append_line(s->spool, ALERT_SPOOL_REJECTED, line,
                                    len) == 0)
            continue;
        /* failed again: this one and the rest wait for the next time */
        if (alert_spool_put_back(s->spool, line, len, f, &kept) < 0) {
            log_error("%s: could not put unsent alerts back into %s (%s); "
                      "they are sent again (some twice) next time", s->name,
                      alert_spool_path(s->spool), strerror(errno));
            keep = 1;
        }
        atomic_store(&s->spool_pending, 1);
        break;
    }
    alert_spool_finish(s->spool, f, keep);
    free(line);
    if (sent || kept)
        log_info("%s: replayed %llu spooled alerts, %llu still spooled",
                 s->name, (unsigned long long)sent, (unsigned long long)kept);
    atomic_store(&s->replaying, 0);
}

/* ===== settling and the CT done callback ===== */

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
    for (size_t i = 0; i < g.n; i++) {
        pthread_mutex_lock(&g.sinks[i]->lock);
        out[i] = settled_locked(g.sinks[i]);
        pthread_mutex_unlock(&g.sinks[i]->lock);
    }
}

static int covered(const uint64_t *ticket, const uint64_t *settled)
{
    for (size_t i = 0; i < g.n; i++)
        if (ticket[i] > settled[i])
            return 0;
    return 1;
}

/* Forwards every deferred seq whose alerts are all settled. */
static void release_pending(void)
{
    uint64_t settled[ALERT_SINK_MAX];
    struct pending **pp, *p;

    if (!atomic_load(&g.n_pending))
        return;
    pthread_mutex_lock(&g.done_lock);
    settled_all(settled);
    pp = &g.pending;
    while ((p = *pp) != NULL) {
        if (covered(p->ticket, settled)) {
            *pp = p->next;
            g.on_done(g.on_done_arg, p->seq);
            free(p);
            atomic_fetch_sub(&g.n_pending, 1);
        } else {
            pp = &p->next;
        }
    }
    g.pending_tail = pp;
    pthread_mutex_unlock(&g.done_lock);
}

void alert_sinks_set_done(void (*on_done)(void *arg, uint64_t seq),
                          void *arg)
{
    g.on_done = on_done;
    g.on_done_arg = arg;
}

void alert_sinks_done(void *unused, uint64_t seq)
{
    uint64_t settled[ALERT_SINK_MAX];
    struct pending *p;
    static struct log_budget oom_log = LOG_BUDGET_INIT(1, "out of memory");

    (void)unused;
    if (!g.on_done)
        return;
    settled_all(settled);
    if (covered(tl_ticket, settled)) {
        g.on_done(g.on_done_arg, seq);
        return;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {   /* not committed: read again after a restart */
        log_limited(&oom_log, LOG_ERROR, "alert sinks: out of memory; a "
                    "CT position will not advance");
        return;
    }
    p->seq = seq;
    memcpy(p->ticket, tl_ticket, sizeof(p->ticket));
    pthread_mutex_lock(&g.done_lock);
    *g.pending_tail = p;
    g.pending_tail = &p->next;
    atomic_fetch_add(&g.n_pending, 1);
    pthread_mutex_unlock(&g.done_lock);
    release_pending();      /* the sink may have settled meanwhile */
}

/* ===== threads ===== */

struct job_arg {
    struct sink *s;
    unsigned job;
};

/* Waits with s->lock held until an alert is queued (returns 1), certmon
** stops with the queue empty (0), or, for job 0 of a sink with spooled
** alerts, the next probe is due (2). */
static int wait_work(struct sink *s, unsigned job, struct backoff *probe,
                     int64_t *next_probe_ms)
{
    struct timespec ts;

    while (s->count == 0 && !atomic_load(&g.stopping)) {
        if (job != 0 || !atomic_load(&s->spool_pending) || !s->spool) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        if (*next_probe_ms < 0)
            *next_probe_ms = now_ms() + backoff_next_ms(probe, now_ms());
        if (now_ms() >= *next_probe_ms) {
            *next_probe_ms = -1;
            return 2;
        }
        {
            int64_t ns = mono_ns() + (*next_probe_ms - now_ms()) * 1000000;
            ts.tv_sec = ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
    }
    return s->count > 0;
}

static void *sink_main(void *arg)
{
    struct job_arg *ja = arg;
    struct sink *s = ja->s;
    unsigned job = ja->job;
    struct item it;
    enum outcome out;
    struct backoff probe;
    int64_t next_probe_ms = -1;
    int work;

    free(ja);
    backoff_init(&probe, &probe_backoff, (uint64_t)mono_ns() ^ (uintptr_t)s);
    if (job == 0)
        replay_spool(s);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        work = wait_work(s, job, &probe, &next_probe_ms);
        if (work != 1) {
            pthread_mutex_unlock(&s->lock);
            if (work == 0)
                break;
            replay_spool(s);            /* the probe */
            if (!atomic_load(&s->spool_pending))
                backoff_reset(&probe);
            continue;
        }
        it = s->ring[s->head];
        s->head = (s->head + 1) % s->cap;
        s->count--;
        s->popped++;
        s->busy[job] = it.index;
        pthread_mutex_unlock(&s->lock);

        out = deliver_item(s, it.line, it.len, g.retries);

        pthread_mutex_lock(&s->lock);
        s->busy[job] = 0;
        if (out == OUT_LOST && it.index < s->lost_at)
            s->lost_at = it.index;
        pthread_mutex_unlock(&s->lock);
        free(it.line);
        release_pending();
        if (out == OUT_DELIVERED) {
            backoff_reset(&probe);
            next_probe_ms = -1;
            if (atomic_load(&s->spool_pending) && !atomic_load(&g.stopping))
                replay_spool(s);
        }
    }
    return NULL;
}

/* ===== dispatch ===== */

void alert_sinks_dispatch(const char *lines, size_t len)
{
    const char *end = lines + len;

    if (g.n == 0 || len == 0)
        return;
    for (size_t i = 0; i < g.n; i++) {
        struct sink *s = g.sinks[i];
        char *over = NULL;
        size_t over_len = 0;
        uint64_t n_over = 0;
        int pushed = 0, first_full = 0;
        const char *p = lines;

        pthread_mutex_lock(&s->lock);
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *copy = NULL;

            if (n > 0 && s->count < s->cap && (copy = malloc(n)) != NULL) {
                struct item *it = &s->ring[(s->head + s->count) % s->cap];
                memcpy(copy, p, n);
                it->line = copy;
                it->len = n;
                it->index = ++s->pushed;
                s->count++;
                tl_ticket[i] = s->pushed;
                pushed = 1;
            } else if (n > 0) {
                char *q = realloc(over, over_len + n + 1);
                if (q) {
                    over = q;
                    memcpy(over + over_len, p, n);
                    over[over_len + n] = '\n';
                    over_len += n + 1;
                }
                n_over++;
            }
            p += n + 1;
        }
        if (pushed)
            pthread_cond_broadcast(&s->cond);
        if (n_over && !s->full_logged) {
            s->full_logged = 1;
            first_full = 1;
        }
        pthread_mutex_unlock(&s->lock);
        if (!n_over)
            continue;
        if (first_full)
            log_warn("%s: queue full (--alert-queue %zu): alerts go to %s "
                     "until it has room", s->name, s->cap,
                     s->spool ? "the spool" : "nowhere (lost)");
        if (s->spool && over &&
            alert_spool_append(s->spool, ALERT_SPOOL_PENDING, over,
                               over_len) == 0) {
            atomic_store(&s->spool_pending, 1);
            atomic_fetch_add(&s->spooled, n_over);
            stats_add(&stats.alerts_spooled, n_over);
        } else {
            count_lost(s, n_over, s->spool ? "queue full and the spool "
                       "cannot be written" : "queue full, no spool");
            pthread_mutex_lock(&s->lock);
            if (s->pushed + 1 < s->lost_at)
                s->lost_at = s->pushed + 1;
            tl_ticket[i] = s->pushed + 1;
            pthread_mutex_unlock(&s->lock);
        }
        free(over);
    }
}

/* ===== start and stop ===== */

static void sink_free(struct sink *s)
{
    if (!s)
        return;
    if (s->impl)
        s->kind->free(s->impl);
    for (size_t k = 0; k < s->count; k++)
        free(s->ring[(s->head + k) % s->cap].line);
    free(s->ring);
    alert_spool_free(s->spool);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

static struct sink *sink_new(const struct sink_kind *kind, unsigned number,
                             const char *target,
                             const struct alert_sinks_config *c,
                             char *err, size_t errlen)
{
    struct sink *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;
    char why[400];

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->name, sizeof(s->name), "%s-%u", kind->prefix, number);
    s->kind = kind;
    s->jobs = kind == &exec_sink_kind ? c->exec_jobs : 1;
    if (s->jobs < 1)
        s->jobs = 1;
    if (s->jobs > SINK_MAX_JOBS)
        s->jobs = SINK_MAX_JOBS;
    s->cap = c->queue_len ? c->queue_len : 1;
    s->lost_at = UINT64_MAX;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->spool_pending, 0);
    atomic_init(&s->replaying, 0);
    s->ring = calloc(s->cap, sizeof(*s->ring));
    if (!s->ring)
        goto oom;
    if (c->spool_dir && !(s->spool = alert_spool_new(c->spool_dir,
                                                      s->name)))
        goto oom;
    s->impl = kind == &webhook_sink_kind
                  ? webhook_sink_new(target, c, why, sizeof(why))
                  : exec_sink_new(target, c, why, sizeof(why));
    if (!s->impl) {
        snprintf(err, errlen, "%s (%s): %s", s->name,
                 kind == &webhook_sink_kind ? "--alert-webhook"
                                            : "--alert-exec", why);
        sink_free(s);
        return NULL;
    }
    return s;
oom:
    snprintf(err, errlen, "out of memory");
    sink_free(s);
    return NULL;
}

int alert_sinks_start(const struct alert_sinks_config *c, char *err,
                      size_t errlen)
{
    sigset_t all, old;
    size_t total = c->n_webhooks + c->n_execs;

    if (total == 0)
        return 0;
    if (total > ALERT_SINK_MAX) {
        snprintf(err, errlen, "at most %d alert sinks", ALERT_SINK_MAX);
        return -1;
    }
    if (c->spool_dir &&
        (g.spool_lock_fd = alert_spool_lock_dir(c->spool_dir, err,
                                                errlen)) < 0)
        return -1;
    g.timeout_ms = c->timeout_ms ? c->timeout_ms : 10000;
    g.retries = c->retries;
    atomic_store(&g.stopping, 0);
    for (size_t i = 0; i < c->n_webhooks; i++) {
        g.sinks[g.n] = sink_new(&webhook_sink_kind, (unsigned)i + 1,
                                c->webhooks[i], c, err, errlen);
        if (!g.sinks[g.n])
            goto fail;
        g.n++;
    }
    for (size_t i = 0; i < c->n_execs; i++) {
        g.sinks[g.n] = sink_new(&exec_sink_kind, (unsigned)i + 1,
                                c->execs[i], c, err, errlen);
        if (!g.sinks[g.n])
            goto fail;
        g.n++;
    }
    /* Sink threads take no signals: the main thread handles them. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < g.n; i++) {
        struct sink *s = g.sinks[i];
        for (unsigned j = 0; j < s->jobs; j++) {
            struct job_arg *ja = malloc(sizeof(*ja));
            if (ja) {
                ja->s = s;
                ja->job = j;
            }
            if (!ja || pthread_create(&s->threads[j], NULL, sink_main,
                                      ja) != 0) {
                free(ja);
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                snprintf(err, errlen, "%s: cannot start a thread", s->name);
                alert_sinks_stop();
                return -1;
            }
            s->n_started++;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (size_t i = 0; i < g.n; i++)
        log_info("alerts also go to %s%s", g.sinks[i]->name,
                 c->spool_dir ? "" : " (no --alert-spool: alerts it cannot "
                 "deliver are lost)");
    return 0;
fail:
    for (size_t i = 0; i < g.n; i++)
        sink_free(g.sinks[i]);
    g.n = 0;
    if (g.spool_lock_fd >= 0)
        close(g.spool_lock_fd);
    g.spool_lock_fd = -1;
    return -1;
}

void alert_sinks_stop(void)
{
    struct pending *p;

    if (g.n == 0)
        return;
    atomic_store(&g.stop_deadline_ms, now_ms() + g.timeout_ms);
    atomic_store(&g.stopping, 1);
    for (size_t i = 0; i < g.n; i++) {
        pthread_mutex_lock(&g.sinks[i]->lock);
        pthread_cond_broadcast(&g.sinks[i]->cond);
        pthread_mutex_unlock(&g.sinks[i]->lock);
    }
    for (size_t i = 0; i < g.n; i++)
        for (unsigned j = 0; j < g.sinks[i]->n_started; j++)
            pthread_join(g.sinks[i]->threads[j], NULL);
    release_pending();
    /* what is left waits on a lost alert: never reported done */
    while ((p = g.pending) != NULL) {
        g.pending = p->next;
        free(p);
    }
    g.pending_tail = &g.pending;
    atomic_store(&g.n_pending, 0);
    for (size_t i = 0; i < g.n; i++) {
        sink_free(g.sinks[i]);
        g.sinks[i] = NULL;
    }
    g.n = 0;
    if (g.spool_lock_fd >= 0)
        close(g.spool_lock_fd);
    g.spool_lock_fd = -1;
}

size_t alert_sinks_count(void)
{
    return g.n;
}

int alert_sink_info(size_t i, struct alert_sink_info *out)
{
    struct sink *s;

    if (i >= g.n)
        return -1;
    s = g.sinks[i];
    out->name = s->name;
    out->delivered = atomic_load(&s->delivered);
    out->failed = atomic_load(&s->failed);
    out->spooled = atomic_load(&s->spooled);
    out->lost = atomic_load(&s->lost);
    out->replayed = atomic_load(&s->replayed);
    pthread_mutex_lock(&s->lock);
    out->queued = s->count;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* /metrics families of the sinks, one sample per sink each (a
** metrics_add_writer writer; see alert_sink.h for when it may run). */
void alert_sinks_write_metrics(void *ud, struct http_reply *r)
{
    static const struct {
        const char *name, *type, *help;
        size_t offset;
    } fams[] = {
        { "certmon_sink_alerts_delivered_total", "counter",
          "Alerts a sink delivered.",
          offsetof(struct alert_sink_info, delivered) },
        { "certmon_sink_alerts_failed_total", "counter",
          "Alerts a sink gave up on after its retries.",
          offsetof(struct alert_sink_info, failed) },
        { "certmon_sink_alerts_spooled_total", "counter",
          "Alerts written to the sink's spool file.",
          offsetof(struct alert_sink_info, spooled) },
        { "certmon_sink_alerts_lost_total", "counter",
          "Alerts neither delivered nor spooled.",
          offsetof(struct alert_sink_info, lost) },
        { "certmon_sink_alerts_replayed_total", "counter",
          "Spooled alerts delivered later.",
          offsetof(struct alert_sink_info, replayed) },
        { "certmon_sink_queue_alerts", "gauge",
          "Alerts waiting in a sink's queue.",
          offsetof(struct alert_sink_info, queued) },
    };
    size_t n = alert_sinks_count();

    (void)ud;
    for (size_t f = 0; f < sizeof(fams) / sizeof(*fams); f++) {
        metrics_family(r, fams[f].name, fams[f].type, fams[f].help);
        for (size_t i = 0; i < n; i++) {
            struct alert_sink_info info;
            char label[160], value[128];
            if (alert_sink_info(i, &info) < 0)
                continue;
            metrics_label_value(value, sizeof(value), info.name);
            snprintf(label, sizeof(label), "sink=\"%s\"", value);
            metrics_sample(r, fams[f].name, label, (double)*(uint64_t *)
                           ((char *)&info + fams[f].offset));
        }
    }
}
