/*
** worker.c: the message loop of one Lua worker thread.
*/
#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "lua_api.h"
#include "mono_clock.h"
#include "msg_table.h"
#include "sandbox.h"
#include "stats.h"
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
    struct alert_buf alerts;
    struct certmon_ctx ctx;
};

static struct log_budget parse_log = LOG_BUDGET_INIT(5, "parse errors");

/* Makes ri the instance this worker runs: context pointer, and the
** traceback handler at stack index 1 for every call. */
static void install(struct worker *w, struct rules_instance *ri)
{
    w->cur = ri;
    lua_api_set_ctx(ri->L, &w->ctx);
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
    if (w->p->retire)
        w->p->retire(w->p->retire_arg, old);
    else
        rules_instance_free(old);
}

static const char *const failure_names[] = {
    [SANDBOX_RUNTIME] = "runtime error",
    [SANDBOX_MEMORY] = "exceeded its memory limit",
    [SANDBOX_BUDGET] = "exceeded its instruction budget",
};

/* Counts a failed call, logs the first of each kind per rule file, and
** disables the rule after too many failures in a row. */
static void rule_failed(struct worker *w, struct rule *r, const char *handler,
                        enum sandbox_failure kind)
{
    struct rule_file *f = r->file;
    const char *msg = lua_tostring(w->cur->L, -1);
    unsigned bit = 1u << kind, in_row;

    atomic_fetch_add_explicit(&f->errors, 1, memory_order_relaxed);
    stats_add(&stats.rule_errors, 1);
    if (kind == SANDBOX_BUDGET)
        stats_add(&stats.rule_budget_errors, 1);
    else if (kind == SANDBOX_MEMORY)
        stats_add(&stats.rule_memory_errors, 1);
    if (!(atomic_fetch_or(&f->logged, bit) & bit))
        log_error("rule '%s' %s in %s (further ones are counted, not "
                  "logged): %s", r->name, failure_names[kind], handler,
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
    status = lua_pcall(L, 1, 0, 1);
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
    L = w->cur->L;
    /* Decoding is done for the rules, not by them: outside their cap. */
    sandbox_enforce_memory(L, 0);
    rc = msg_table_push(L, m->data, m->len);
    sandbox_enforce_memory(L, 1);
    if (rc < 0) {
        stats_add(&stats.parse_errors, 1);
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

/* Writes this worker's pending alerts and counts them. Returns -1 if
** the write failed. */
static int flush_alerts(struct worker *w)
{
    if (w->ctx.alerts_made) {
        stats_add(&stats.alerts, w->ctx.alerts_made);
        w->ctx.alerts_made = 0;
    }
    return alert_flush(&w->alerts);
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
    rules_instance_free(w->cur);
    alert_buf_free(&w->alerts);
    free(w);
}
