/*
** alert_sink.c: alert delivery: per-sink queues and threads, the retry
** loop, dispatch from the workers, start and stop. The spool side is in
** alert_sink_replay.c (its files: alert_spool.c), what the CT source may
** commit in alert_sink_settle.c, the figures in alert_sink_metrics.c;
** alert_sink_int.h is what they share.
**
** Each sink has a ring of alert lines (copies) under its own lock and one
** thread (an exec sink: --alert-exec-jobs threads) that takes them in
** order and makes attempts through its kind (alert_sink_webhook.c,
** alert_sink_exec.c, alert_sink_redis.c). Workers only copy lines into
** the ring; a full ring sends the line to the spool at once, on the
** worker, because waiting would let a dead sink stall the rules.
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

#include "sinks/alert_sink_int.h"
#include "sinks/alert_spool.h"
#include "backoff.h"
#include "log.h"
#include "mono_clock.h"
#include "stats.h"

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

struct sink_set sink_g;           /* see alert_sink_int.h */

static int spool_lock_fd = -1;      /* flock on DIR/.lock; -1 none */

int sink_past_stop_deadline(void)
{
    return atomic_load(&sink_g.stopping) &&
           sink_now_ms() >= atomic_load(&sink_g.stop_deadline_ms);
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
void sink_note_failure(struct sink *s, const char *why)
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

void sink_note_delivered(struct sink *s)
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
    int64_t until = sink_now_ms() + ms;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        int64_t ns;
        if (atomic_load(&sink_g.stopping) &&
            until > atomic_load(&sink_g.stop_deadline_ms)) {
            rc = -1;
            break;
        }
        if (sink_now_ms() >= until)
            break;
        ns = mono_ns() + (until - sink_now_ms()) * 1000000;
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
        if (sink_past_stop_deadline())
            break;              /* no time left: keep it for next start */
        why[0] = '\0';
        retry_after_ms = 0;
        r = s->kind->deliver(s->impl, line, len, sink_g.timeout_ms, why,
                             sizeof(why), &retry_after_ms);
        if (r == SINK_DELIVERED) {
            sink_note_delivered(s);
            return OUT_DELIVERED;
        }
        sink_note_failure(s, why[0] ? why : "delivery failed");
        if (r == SINK_REJECTED) {
            atomic_fetch_add(&s->failed, 1);
            stats_add(&stats.alerts_failed, 1);
            if (!s->spool) {
                sink_count_lost(s, 1, "rejected by the receiver, no spool");
                return OUT_LOST;
            }
            if (alert_spool_append_line(s->spool, ALERT_SPOOL_REJECTED, line,
                                        len) < 0) {
                snprintf(why, sizeof(why), "cannot write the rejected "
                         "spool: %s", alert_spool_why(errno));
                sink_count_lost(s, 1, why);
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
            unsigned delay = backoff_next_ms(&bo, sink_now_ms());
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
    return sink_spool_or_lose(s, line, len) ? OUT_SPOOLED : OUT_LOST;
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

    while (s->count == 0 && !atomic_load(&sink_g.stopping)) {
        if (job != 0 || !atomic_load(&s->spool_pending) || !s->spool) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        if (*next_probe_ms < 0)
            *next_probe_ms = sink_now_ms() +
                             backoff_next_ms(probe, sink_now_ms());
        if (sink_now_ms() >= *next_probe_ms) {
            *next_probe_ms = -1;
            return 2;
        }
        {
            int64_t ns = mono_ns() +
                         (*next_probe_ms - sink_now_ms()) * 1000000;
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
        sink_replay_spool(s);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        work = wait_work(s, job, &probe, &next_probe_ms);
        if (work != 1) {
            pthread_mutex_unlock(&s->lock);
            if (work == 0)
                break;
            sink_replay_spool(s);            /* the probe */
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

        out = deliver_item(s, it.line, it.len, sink_g.retries);

        pthread_mutex_lock(&s->lock);
        s->busy[job] = 0;
        if (out == OUT_LOST && it.index < s->lost_at)
            s->lost_at = it.index;
        pthread_mutex_unlock(&s->lock);
        free(it.line);
        sink_release_pending();
        if (out == OUT_DELIVERED) {
            backoff_reset(&probe);
            next_probe_ms = -1;
            if (atomic_load(&s->spool_pending) &&
                !atomic_load(&sink_g.stopping))
                sink_replay_spool(s);
        }
    }
    return NULL;
}

/* ===== dispatch ===== */

void alert_sinks_dispatch(const char *lines, size_t len)
{
    const char *end = lines + len;

    if (sink_g.n == 0 || len == 0)
        return;
    for (size_t i = 0; i < sink_g.n; i++) {
        struct sink *s = sink_g.sinks[i];
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
                sink_ticket[i] = s->pushed;
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
        errno = ENOMEM;                 /* over is NULL: no memory */
        if (s->spool && over &&
            alert_spool_append(s->spool, ALERT_SPOOL_PENDING, over,
                               over_len) == 0) {
            atomic_store(&s->spool_pending, 1);
            atomic_fetch_add(&s->spooled, n_over);
            stats_add(&stats.alerts_spooled, n_over);
        } else {
            char why[200];
            snprintf(why, sizeof(why), "queue full and the spool cannot be "
                     "written: %s", alert_spool_why(errno));
            sink_count_lost(s, n_over, s->spool ? why : "queue full, no spool");
            pthread_mutex_lock(&s->lock);
            if (s->pushed + 1 < s->lost_at)
                s->lost_at = s->pushed + 1;
            sink_ticket[i] = s->pushed + 1;
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
    if (c->spool_dir && !(s->spool = alert_spool_new(c->spool_dir, s->name,
                                                      c->spool_max_bytes)))
        goto oom;
    s->impl = kind->create(target, c, why, sizeof(why));
    if (!s->impl) {
        snprintf(err, errlen, "%s (%s): %s", s->name, kind->option, why);
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
    const struct {
        const struct sink_kind *kind;
        const char *const *targets;
        size_t n;
    } kinds[] = {
        { &webhook_sink_kind, c->webhooks, c->n_webhooks },
        { &exec_sink_kind, c->execs, c->n_execs },
        { &redis_sink_kind, c->redis, c->n_redis },
    };
    sigset_t all, old;
    size_t total = c->n_webhooks + c->n_execs + c->n_redis;

    if (total == 0)
        return 0;
    if (total > ALERT_SINK_MAX) {
        snprintf(err, errlen, "at most %d alert sinks", ALERT_SINK_MAX);
        return -1;
    }
    if (c->spool_dir &&
        (spool_lock_fd = alert_spool_lock_dir(c->spool_dir, err,
                                                errlen)) < 0)
        return -1;
    sink_g.timeout_ms = c->timeout_ms ? c->timeout_ms : 10000;
    sink_g.retries = c->retries;
    atomic_store(&sink_g.stopping, 0);
    /* in this order: the names (webhook-1, exec-1, ...) name spools */
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
        for (size_t i = 0; i < kinds[k].n; i++) {
            struct sink *s = sink_new(kinds[k].kind, (unsigned)i + 1,
                                      kinds[k].targets[i], c, err, errlen);
            if (!s)
                goto fail;
            sink_g.sinks[sink_g.n++] = s;
        }
    /* Sink threads take no signals: the main thread handles them. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < sink_g.n; i++) {
        struct sink *s = sink_g.sinks[i];
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
    for (size_t i = 0; i < sink_g.n; i++)
        log_info("alerts also go to %s%s", sink_g.sinks[i]->name,
                 c->spool_dir ? "" : " (no --alert-spool: alerts it cannot "
                 "deliver are lost)");
    return 0;
fail:
    for (size_t i = 0; i < sink_g.n; i++)
        sink_free(sink_g.sinks[i]);
    sink_g.n = 0;
    if (spool_lock_fd >= 0)
        close(spool_lock_fd);
    spool_lock_fd = -1;
    return -1;
}

void alert_sinks_stop(void)
{
    if (sink_g.n == 0)
        return;
    atomic_store(&sink_g.stop_deadline_ms, sink_now_ms() + sink_g.timeout_ms);
    atomic_store(&sink_g.stopping, 1);
    for (size_t i = 0; i < sink_g.n; i++) {
        pthread_mutex_lock(&sink_g.sinks[i]->lock);
        pthread_cond_broadcast(&sink_g.sinks[i]->cond);
        pthread_mutex_unlock(&sink_g.sinks[i]->lock);
    }
    for (size_t i = 0; i < sink_g.n; i++)
        for (unsigned j = 0; j < sink_g.sinks[i]->n_started; j++)
            pthread_join(sink_g.sinks[i]->threads[j], NULL);
    sink_settle_clear();
    for (size_t i = 0; i < sink_g.n; i++) {
        sink_free(sink_g.sinks[i]);
        sink_g.sinks[i] = NULL;
    }
    sink_g.n = 0;
    if (spool_lock_fd >= 0)
        close(spool_lock_fd);
    spool_lock_fd = -1;
}
