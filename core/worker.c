/*
** worker.c: the message loop of one Lua worker thread.
*/
#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "sinks/alert_sink.h"
#include "backoff.h"
#include "log.h"
#include "rules/lua_api.h"
#include "mono_clock.h"
#include "rules/msg_table.h"
#include "rules/sandbox.h"
#include "stats.h"
#include "watchdog.h"
#include "worker.h"

#define WORKER_BATCH 32

struct worker {
    int id;
    pthread_t thread;
    int started;
    struct pipeline *p;
    struct rules_instance *cur;
    _Atomic(struct rules_instance *) pending;
    atomic_uint_fast64_t generation;
    struct json_buf alerts;
    struct certmon_ctx ctx;
    struct watchdog_slot *slot;     /* NULL = no watchdog */
};

static struct log_budget parse_log = LOG_BUDGET_INIT(5, "parse errors");
static struct log_budget decode_mem_log =
    LOG_BUDGET_INIT(1, "messages without room to decode");

static struct log_budget unwritten_log =
    LOG_BUDGET_INIT(1, "workers stopping with alerts unwritten");

enum { DECODE_OK = 0, DECODE_BAD = -1, DECODE_NO_ROOM = -2 };

/* Pushes the table of message m: DECODE_OK; or DECODE_BAD with the reason
** pushed instead; or DECODE_NO_ROOM with nothing pushed.
**
** The table lives in the rules' state, so it counts against their cap
** like everything else there: with the cap lifted, a finalizer the
** collector ran meanwhile could allocate without bound. When the rules
** left too little room the decoder fails in various ways (a failed stack
** check reads "message too large"), so a failure is told apart from a bad
** message by decoding once more with the cap lifted and the collector
** stopped (no finalizer can run; the table is dropped at once; bounded by
** the message's size): a message that fails there too is bad, one that
** decodes there gets one more capped try after a full collection. No
** collection for bad messages: a hostile feed of them costs two decodes
** each, not a full GC. */
static int decode(lua_State *L, const struct msg *m)
{
    int rc;

    if (msg_table_push(L, m->data, m->len) == 0)
        return DECODE_OK;
    lua_pop(L, 1);
    lua_gc(L, LUA_GCSTOP, 0);
    sandbox_enforce_memory(L, 0);
    rc = msg_table_push(L, m->data, m->len);
    sandbox_enforce_memory(L, 1);
    lua_gc(L, LUA_GCRESTART, 0);
    if (rc < 0)
        return DECODE_BAD;      /* its reason is on top */
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (msg_table_push(L, m->data, m->len) == 0)
        return DECODE_OK;
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return DECODE_NO_ROOM;
}

/* Makes ri the instance this worker runs: context pointer, and the
** traceback handler at stack index 1 for every call. */
static void install(struct worker *w, struct rules_instance *ri)
{
    w->cur = ri;
    lua_api_set_ctx(ri->L, &w->ctx);
    sandbox_set_interrupt(ri->L, w->slot ? &w->slot->intr : NULL);
    lua_settop(ri->L, 0);
    lua_pushcfunction(ri->L, sandbox_traceback);
    atomic_store(&w->generation, ri->rs->generation);
}

struct worker *worker_new(int id, struct pipeline *p,
                          struct rules_instance *ri)
{
    struct worker *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->id = id;
    w->p = p;
    w->ctx.alerts = &w->alerts;
    w->slot = watchdog_slot(p->watchdog, id);
    atomic_init(&w->pending, NULL);
    install(w, ri);
    return w;
}

struct rules_instance *worker_offer(struct worker *w,
                                    struct rules_instance *ri)
{
    return atomic_exchange(&w->pending, ri);
}

uint64_t worker_generation(struct worker *w)
{
    return atomic_load(&w->generation);
}

/* Between two messages: take up a newer instance if one was offered. */
static void adopt_pending(struct worker *w)
{
    struct rules_instance *next, *old;

    if (!atomic_load_explicit(&w->pending, memory_order_relaxed))
        return;
    next = atomic_exchange(&w->pending, NULL);
    if (!next)
        return;
    old = w->cur;
    install(w, next);
    /* the watchdog may be reading a rule name of old */
    watchdog_slot_lock(w->slot);
    if (w->p->retire)
        w->p->retire(w->p->retire_arg, old);
    else
        rules_instance_free(old);
    watchdog_slot_unlock(w->slot);
}

static const char *const failure_names[] = {
    [SANDBOX_RUNTIME] = "runtime error",
    [SANDBOX_MEMORY] = "exceeded its memory limit",
    [SANDBOX_BUDGET] = "exceeded its instruction budget",
    [SANDBOX_TIMEOUT] = "exceeded --rule-timeout",
};
_Static_assert(SANDBOX_TIMEOUT == RULE_FAIL_KINDS,
               "one rule_file.fail_log per failure kind");

/* Counts a failed call, logs the first of each kind per rule file, and
** disables the rule after too many failures in a row. */
static void rule_failed(struct worker *w, struct rule *r, const char *handler,
                        enum sandbox_failure kind)
{
    struct rule_file *f = r->file;
    const char *msg = lua_tostring(w->cur->L, -1);
    unsigned in_row;

    atomic_fetch_add_explicit(&f->errors, 1, memory_order_relaxed);
    stats_add(&stats.rule_errors, 1);
    if (kind == SANDBOX_BUDGET)
        stats_add(&stats.rule_budget_errors, 1);
    else if (kind == SANDBOX_MEMORY)
        stats_add(&stats.rule_memory_errors, 1);
    log_limited(&f->fail_log[kind - 1], LOG_ERROR, "rule '%s' %s in %s: %s",
                r->name, failure_names[kind], handler,
                msg ? msg : "(no message)");
    in_row = atomic_fetch_add(&f->failures_in_row, 1) + 1;
    if (w->p->fail_limit && in_row >= w->p->fail_limit &&
        !atomic_exchange(&f->disabled, 1))
        log_error("rule '%s' (%s) disabled after %u failures in a row; it "
                  "runs again when its file changes", r->name, f->path,
                  in_row);
    if (kind == SANDBOX_MEMORY)     /* give the next call its room back */
        lua_gc(w->cur->L, LUA_GCCOLLECT, 0);
}

/* Calls handler ref of r with the message table at msg_idx. */
static void call_rule(struct worker *w, struct rule *r, int ref,
                      int msg_idx, const char *handler)
{
    lua_State *L = w->cur->L;
    int64_t t0 = mono_ns(), dt;
    unsigned long alerts0 = w->ctx.alerts_made;
    enum sandbox_failure kind;
    int status;

    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushvalue(L, msg_idx);
    w->ctx.rule = r->name;
    sandbox_begin_call(L);
    watchdog_enter(w->slot, r->name, handler, t0);
    status = lua_pcall(L, 1, 0, 1);
    watchdog_leave(w->slot);
    kind = sandbox_end_call(L, status);
    w->ctx.rule = NULL;
    if (kind != SANDBOX_OK) {
        rule_failed(w, r, handler, kind);
        lua_pop(L, 1);
    } else if (atomic_load_explicit(&r->file->failures_in_row,
                                    memory_order_relaxed)) {
        atomic_store(&r->file->failures_in_row, 0);
    }
    dt = mono_ns() - t0;
    atomic_fetch_add_explicit(&r->file->calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->file->time_ns, (uint_fast64_t)dt,
                              memory_order_relaxed);
    stats_rule_observe(r->file->stats, (uint64_t)dt,
                       w->ctx.alerts_made - alerts0, kind != SANDBOX_OK);
}

/* Claims one certificate under -n. Returns 1 if this one may run and sets
** *last when it is the final one. */
static int claim_cert(struct pipeline *p, int *last)
{
    uint64_t n;

    *last = 0;
    if (!p->max_certs)
        return 1;
    n = atomic_fetch_add(&p->certs_claimed, 1);
    if (n >= p->max_certs)
        return 0;
    *last = n + 1 == p->max_certs;
    return 1;
}

/* Runs the rules on one message. Returns 1 if the message was handled
** (also when it was a counted parse error), 0 if it was skipped. */
static int process(struct worker *w, const struct msg *m)
{
    lua_State *L;
    int msg_idx, is_cert, last = 0, rc;
    size_t tlen;
    const char *type;

    if (atomic_load(&w->p->limit_reached))
        return 0;
    adopt_pending(w);
    watchdog_message(w->slot, m->seq);
    L = w->cur->L;
    rc = decode(L, m);
    if (rc == DECODE_NO_ROOM) {
        stats_add(&stats.rule_memory_errors, 1);
        log_limited(&decode_mem_log, LOG_WARN, "%s %llu: no room to decode "
                    "it in the rules' state (%zu bytes in use, see "
                    "--rule-memory); skipped for every rule", w->p->seq_label,
                    (unsigned long long)m->seq, sandbox_memory_used(L));
        lua_settop(L, 1);
        return 1;
    }
    if (rc < 0) {
        stats_add(&stats.parse_errors, 1);
        if (w->p->on_invalid)
            w->p->on_invalid(w->p->on_invalid_arg, m->seq);
        log_limited(&parse_log, LOG_WARN, "%s %llu: invalid message: %s",
                    w->p->seq_label, (unsigned long long)m->seq,
                    lua_tostring(L, -1));
        lua_settop(L, 1);
        return 1;
    }
    msg_idx = lua_gettop(L);
    lua_getfield(L, msg_idx, "message_type");
    type = lua_tolstring(L, -1, &tlen);
    is_cert = type && tlen == 18 && memcmp(type, "certificate_update", 18) == 0;
    lua_pop(L, 1);
    if (is_cert && !claim_cert(w->p, &last)) {
        lua_settop(L, 1);
        return 0;
    }
    if (stats_bench_on)
        stats_bench_begin(m->recv_ns);
    for (size_t i = 0; i < w->cur->n_rules; i++) {
        struct rule *r = &w->cur->rules[i];
        if (atomic_load_explicit(&r->file->disabled, memory_order_relaxed))
            continue;
        if (is_cert && r->on_cert_ref != LUA_NOREF)
            call_rule(w, r, r->on_cert_ref, msg_idx, "on_cert");
        if (r->on_message_ref != LUA_NOREF)
            call_rule(w, r, r->on_message_ref, msg_idx, "on_message");
    }
    lua_settop(L, 1);
    if (stats_bench_on)
        stats_bench_end();
    stats_add(&stats.messages, 1);
    if (is_cert)
        stats_add(&stats.certs, 1);
    if (last && !atomic_exchange(&w->p->limit_reached, 1) && w->p->on_limit)
        w->p->on_limit(w->p->on_limit_arg);
    return 1;
}

/* How a worker retries alerts it could not write while positions wait
** for them (--ct): soon at first, then every few seconds. */
static const struct backoff_policy flush_retry_policy = {
    .min_ms = 100,
    .max_ms = 5000,
    .jitter_pct = 20,
    .stable_ms = 0,
};

/* One "failing" line when the output starts failing, one "recovered"
** line when it works again, whichever worker meets it first. */
static atomic_int output_failing;

/* Sleeps ms, in slices, unless the pipeline is stopping. Returns 0 if it
** is stopping. */
static int sleep_unless_stopping(struct pipeline *p, unsigned ms)
{
    while (ms > 0 && !atomic_load(&p->stopping)) {
        unsigned step = ms < 100 ? ms : 100;
        struct timespec ts = { 0, (long)step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return !atomic_load(&p->stopping);
}

/* Writes this worker's pending alerts and counts them. Returns 0 once
** they are written, -1 if they are not.
**
** Without on_done (replay, live stream) a failed write loses them (the
** writer logs it). With on_done, positions are committed only past
** written alerts, so dropping them would freeze the position and, after
** the source's window of outstanding entries, stop fetching for good
** without a word. Instead the worker keeps what is unwritten and tries
** again with backoff until the output takes it or the pipeline stops;
** meanwhile the queue fills and the source waits: a stall, but one that
** is logged when it starts and when it ends. */
static int flush_alerts(struct worker *w)
{
    struct backoff bo;
    unsigned tries = 0;
    int64_t t0;

    if (w->ctx.alerts_made) {
        stats_add(&stats.alerts, w->ctx.alerts_made);
        w->ctx.alerts_made = 0;
    }
    /* to the sinks first, once, on this thread (alert_sinks_done) */
    alert_sinks_dispatch(w->alerts.data, w->alerts.len);
    if (alert_flush(&w->alerts) == 0)
        return 0;
    if (!w->p->on_done) {
        alert_buf_drop(&w->alerts);
        return -1;
    }
    if (!atomic_exchange(&output_failing, 1))
        log_error("alert output failing: %zu bytes of alerts held; log "
                  "positions are not committed past them, and they are "
                  "retried until written (fetching waits meanwhile)",
                  w->alerts.len);
    backoff_init(&bo, &flush_retry_policy, (uint64_t)(uintptr_t)w);
    t0 = mono_ns();
    for (;;) {
        unsigned ms = backoff_next_ms(&bo, mono_ns() / 1000000);
        int go_on = sleep_unless_stopping(w->p, ms);

        tries++;        /* stopping: one last try, at once */
        if (alert_flush(&w->alerts) == 0) {
            if (atomic_exchange(&output_failing, 0))
                log_info("alert output recovered after %u retries "
                         "(%.1f s); held alerts written",
                         tries, (double)(mono_ns() - t0) / 1e9);
            return 0;
        }
        if (!go_on)
            break;
    }
    log_limited(&unwritten_log, LOG_ERROR, "stopping with %zu bytes of "
                "alerts unwritten; their log positions were not committed, "
                "so the next run reads those entries again", w->alerts.len);
    alert_buf_drop(&w->alerts);
    return -1;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pipeline *p = w->p;
    struct msg *batch[WORKER_BATCH];
    uint64_t done[WORKER_BATCH];
    size_t n, n_done;
    int written;

    while ((n = queue_pop_batch(p->queue, batch, WORKER_BATCH)) > 0) {
        written = 1;
        n_done = 0;
        for (size_t i = 0; i < n; i++) {
            if (p->abandon && atomic_load_explicit(p->abandon,
                                                   memory_order_relaxed)) {
                stats_add(&stats.abandoned, 1);
                msg_free(batch[i]);
                continue;
            }
            if (process(w, batch[i]))
                done[n_done++] = batch[i]->seq;
            msg_free(batch[i]);
            if (w->alerts.len >= 64 * 1024 && flush_alerts(w) < 0)
                written = 0;
        }
        if (flush_alerts(w) < 0)
            written = 0;
        /* A message is done only once its alerts are out: while alerts
        ** cannot be written, positions must not move past them. */
        if (p->on_done && written)
            for (size_t i = 0; i < n_done; i++)
                p->on_done(p->on_done_arg, done[i]);
    }
    flush_alerts(w);
    return NULL;
}

int worker_start(struct worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = 1;
    return 0;
}

void worker_join(struct worker *w)
{
    /* from here on a worker holding alerts it cannot write gives up */
    atomic_store(&w->p->stopping, 1);
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    worker_join(w);
    rules_instance_free(worker_offer(w, NULL));
    watchdog_slot_lock(w->slot);    /* it may still be reading a name */
    rules_instance_free(w->cur);
    watchdog_slot_unlock(w->slot);
    jb_free(&w->alerts);
    free(w);
}
