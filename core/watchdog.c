/*
** watchdog.c: the thread that stops overlong rule calls and ends a
** shutdown that a stuck worker would otherwise hold forever.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mono_clock.h"
#include "stats.h"
#include "watchdog.h"

static const struct {
    unsigned tick_ms;           /* between two looks at the slots */
    unsigned min_tick_ms;
    unsigned stuck_after_ms;    /* after the stop request, at least */
} watchdog_defaults = {
    .tick_ms = 100,
    .min_tick_ms = 10,
    .stuck_after_ms = 1000,
};

struct watchdog {
    struct watchdog_config cfg;
    struct watchdog_slot *slots;
    int n_slots;
    pthread_t thread;
    pthread_mutex_t lock;       /* for quit and the condition variable */
    pthread_cond_t wake;
    int quit;
    atomic_int_fast64_t stopping_ns;    /* 0 until watchdog_stopping */
    unsigned tick_ms;
};

static struct log_budget stuck_log = LOG_BUDGET_INIT(5, "stuck rule calls");

/* What one look at a slot found. */
struct call_view {
    uint_fast64_t call;
    uint_fast64_t seq;
    int64_t age_ms;
    char rule[128];
    char handler[32];
};

/* Reads the call running in s, consistently: the call number before and
** after the other fields must agree, or the worker moved on. Returns 0
** when no call runs. The caller holds s->lock, so the names are alive. */
static int view_call(struct watchdog_slot *s, int64_t now_ns,
                     struct call_view *v)
{
    uint_fast64_t c1 = atomic_load(&s->intr.call), c2;
    int64_t since = atomic_load(&s->since_ns);
    const char *rule = atomic_load_explicit(&s->rule, memory_order_relaxed);
    const char *handler = atomic_load_explicit(&s->handler,
                                               memory_order_relaxed);
    uint_fast64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

    c2 = atomic_load(&s->intr.call);
    if (c1 != c2 || since == 0)
        return 0;       /* and the names may be stale: do not touch */
    v->call = c1;
    v->seq = seq;
    v->age_ms = (now_ns - since) / 1000000;
    snprintf(v->rule, sizeof(v->rule), "%s", rule ? rule : "?");
    snprintf(v->handler, sizeof(v->handler), "%s", handler ? handler : "?");
    return 1;
}

/* One look at every slot. Returns 1 when the process must give up. */
static int inspect(struct watchdog *wd)
{
    const struct watchdog_config *cfg = &wd->cfg;
    int64_t now = mono_ns(), stopping = atomic_load(&wd->stopping_ns);
    unsigned stuck_ms = cfg->rule_timeout_ms;
    const char *label = cfg->seq_label ? cfg->seq_label : "message";
    int give_up = 0;

    if (stuck_ms < watchdog_defaults.stuck_after_ms)
        stuck_ms = watchdog_defaults.stuck_after_ms;
    for (int i = 0; i <= wd->n_slots; i++) {
        struct watchdog_slot *s = &wd->slots[i];
        struct call_view v;
        int running;

        pthread_mutex_lock(&s->lock);
        running = view_call(s, now, &v);
        pthread_mutex_unlock(&s->lock);
        if (!running)
            continue;
        if (s->shutdown_only) {
            if (stopping && (now - stopping) / 1000000 > cfg->stop_grace_ms &&
                v.age_ms > cfg->stop_grace_ms) {
                log_error("shutdown: waiting for %s for %.1f s (grace %u ms);"
                          " exiting without it", v.rule,
                          (double)v.age_ms / 1000, cfg->stop_grace_ms);
                give_up = 1;
            }
            continue;
        }
        if (cfg->rule_timeout_ms && v.age_ms > cfg->rule_timeout_ms &&
            s->stopped_call != v.call) {
            s->stopped_call = v.call;
            stats_add(&stats.rule_timeout_errors, 1);
            atomic_store(&s->intr.stop, v.call);
        }
        if (cfg->rule_timeout_ms && s->reported_call != v.call &&
            v.age_ms > (int64_t)cfg->rule_timeout_ms + stuck_ms) {
            s->reported_call = v.call;
            log_limited(&stuck_log, LOG_ERROR, "worker %d: rule '%s' has "
                        "run %s (%s %llu) for %.1f s and does not stop: it "
                        "is inside a C function --rule-timeout cannot "
                        "interrupt", i, v.rule, v.handler, label,
                        (unsigned long long)v.seq, (double)v.age_ms / 1000);
        }
        if (stopping && (now - stopping) / 1000000 > cfg->stop_grace_ms &&
            v.age_ms > cfg->stop_grace_ms) {
            if (s->stopped_call != v.call) {    /* counted once per call */
                s->stopped_call = v.call;
                stats_add(&stats.rule_timeout_errors, 1);
            }
            log_error("worker %d: rule '%s' has run %s (%s %llu) for %.1f "
                      "s and shutdown began over %u ms ago; exiting without "
                      "it", i, v.rule, v.handler, label,
                      (unsigned long long)v.seq, (double)v.age_ms / 1000,
                      cfg->stop_grace_ms);
            give_up = 1;
        }
    }
    return give_up;
}

static void *watchdog_main(void *arg)
{
    struct watchdog *wd = arg;
    struct timespec deadline;

    pthread_mutex_lock(&wd->lock);
    while (!wd->quit) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += (long)wd->tick_ms * 1000000;
        deadline.tv_sec += deadline.tv_nsec / 1000000000;
        deadline.tv_nsec %= 1000000000;
        while (!wd->quit &&
               pthread_cond_timedwait(&wd->wake, &wd->lock, &deadline) == 0)
            ;
        if (wd->quit)
            break;
        pthread_mutex_unlock(&wd->lock);
        if (wd->cfg.stop_flag && atomic_load(wd->cfg.stop_flag))
            watchdog_stopping(wd);
        if (inspect(wd) && wd->cfg.give_up) {
            wd->cfg.give_up(wd->cfg.give_up_arg);     /* normally ends it */
            return NULL;
        }
        pthread_mutex_lock(&wd->lock);
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

struct watchdog *watchdog_start(const struct watchdog_config *cfg,
                                int n_slots, char *err, size_t errlen)
{
    struct watchdog *wd = calloc(1, sizeof(*wd));
    pthread_condattr_t ca;
    int i = 0, cond_ok = 0;
    const char *why = "out of memory";

    if (!wd || n_slots < 1 ||
        !(wd->slots = calloc((size_t)n_slots + 1, sizeof(*wd->slots))))
        goto fail;
    wd->cfg = *cfg;
    wd->n_slots = n_slots;
    n_slots++;                          /* the last one is the main's */
    wd->slots[wd->n_slots].shutdown_only = 1;
    wd->tick_ms = watchdog_defaults.tick_ms;
    if (cfg->rule_timeout_ms && cfg->rule_timeout_ms / 4 < wd->tick_ms)
        wd->tick_ms = cfg->rule_timeout_ms / 4;
    if (wd->tick_ms < watchdog_defaults.min_tick_ms)
        wd->tick_ms = watchdog_defaults.min_tick_ms;
    atomic_init(&wd->stopping_ns, 0);
    for (; i < n_slots; i++) {
        struct watchdog_slot *s = &wd->slots[i];
        atomic_init(&s->intr.call, 0);
        atomic_init(&s->intr.stop, 0);
        atomic_init(&s->since_ns, 0);
        atomic_init(&s->rule, NULL);
        atomic_init(&s->handler, NULL);
        atomic_init(&s->seq, 0);
        if (pthread_mutex_init(&s->lock, NULL) != 0)
            goto fail;
    }
    if (pthread_mutex_init(&wd->lock, NULL) != 0)
        goto fail_slots;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    cond_ok = pthread_cond_init(&wd->wake, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!cond_ok)
        goto fail_lock;
    why = "cannot create its thread";
    if (pthread_create(&wd->thread, NULL, watchdog_main, wd) != 0)
        goto fail_cond;
    return wd;

fail_cond:
    pthread_cond_destroy(&wd->wake);
fail_lock:
    pthread_mutex_destroy(&wd->lock);
fail_slots:
fail:
    err_set(err, errlen, "cannot start the watchdog: %s", why);
    while (wd && wd->slots && i-- > 0)
        pthread_mutex_destroy(&wd->slots[i].lock);
    if (wd)
        free(wd->slots);
    free(wd);
    return NULL;
}

struct watchdog_slot *watchdog_slot(struct watchdog *wd, int i)
{
    return wd && i >= 0 && i < wd->n_slots ? &wd->slots[i] : NULL;
}

struct watchdog_slot *watchdog_main_slot(struct watchdog *wd)
{
    return wd ? &wd->slots[wd->n_slots] : NULL;
}

void watchdog_stopping(struct watchdog *wd)
{
    int64_t expected = 0;

    if (wd)
        atomic_compare_exchange_strong(&wd->stopping_ns, &expected,
                                       mono_ns());
}

void watchdog_slot_lock(struct watchdog_slot *s)
{
    if (s)
        pthread_mutex_lock(&s->lock);
}

void watchdog_slot_unlock(struct watchdog_slot *s)
{
    if (s)
        pthread_mutex_unlock(&s->lock);
}

void watchdog_free(struct watchdog *wd)
{
    if (!wd)
        return;
    pthread_mutex_lock(&wd->lock);
    wd->quit = 1;
    pthread_cond_signal(&wd->wake);
    pthread_mutex_unlock(&wd->lock);
    pthread_join(wd->thread, NULL);
    pthread_cond_destroy(&wd->wake);
    pthread_mutex_destroy(&wd->lock);
    for (int i = 0; i <= wd->n_slots; i++)
        pthread_mutex_destroy(&wd->slots[i].lock);
    free(wd->slots);
    free(wd);
}
