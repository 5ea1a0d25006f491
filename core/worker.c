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
#include "log.h"
#include "lua_api.h"
#include "msg_table.h"
#include "stats.h"
#include "worker.h"

#define WORKER_BATCH 32

/* Kinds of rule failure, each logged once per rule file. */
enum rule_error_kind {
    ERR_RUNTIME = 1 << 0,
    ERR_MEMORY = 1 << 1,
    ERR_HANDLER = 1 << 2,
};

struct worker {
    int id;
    pthread_t thread;
    int started;
    struct pipeline *p;
    lua_State *L;
    struct rule *rules;
    size_t n_rules;
    struct alert_buf alerts;
    struct certmon_ctx ctx;
};

static struct log_budget parse_log = LOG_BUDGET_INIT(5, "parse errors");

static void load_report(void *ud, const char *problem)
{
    char *err = ud;

    if (!err[0])
        snprintf(err, 512, "%s", problem);
}

struct worker *worker_new(int id, struct pipeline *p,
                          const struct sandbox_config *sc,
                          struct ruleset *rs, char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof(*w));
    char problem[512] = "";

    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->id = id;
    w->p = p;
    w->L = sandbox_new_state(sc, err, errlen);
    if (!w->L)
        goto fail;
    lua_api_set_ctx(w->L, &w->ctx);
    w->ctx.alerts = &w->alerts;
    if (rules_load(w->L, rs, &w->rules, &w->n_rules, load_report,
                   problem) > 0) {
        snprintf(err, errlen, "%s", problem);
        goto fail;
    }
    /* The traceback handler stays at stack index 1 for every call. */
    lua_pushcfunction(w->L, sandbox_traceback);
    return w;
fail:
    worker_free(w);
    return NULL;
}

/* Logs a rule failure the first time this kind happens for this file;
** counts it every time. */
static void rule_failed(struct worker *w, struct rule *r, const char *handler,
                        int status)
{
    int kind = status == LUA_ERRMEM ? ERR_MEMORY
             : status == LUA_ERRERR ? ERR_HANDLER : ERR_RUNTIME;
    const char *what = kind == ERR_MEMORY ? "out of memory"
                     : kind == ERR_HANDLER ? "error in error handling"
                     : "runtime error";
    const char *msg = lua_tostring(w->L, -1);

    atomic_fetch_add_explicit(&r->file->errors, 1, memory_order_relaxed);
    stats_add(&stats.rule_errors, 1);
    if (!(atomic_fetch_or(&r->file->logged, kind) & kind))
        log_error("rule '%s' %s in %s (further ones are counted, not "
                  "logged): %s", r->name, what, handler,
                  msg ? msg : "(no message)");
}

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Calls handler ref of r with the message table at msg_idx. */
static void call_rule(struct worker *w, struct rule *r, int ref,
                      int msg_idx, const char *handler)
{
    lua_State *L = w->L;
    int64_t t0 = mono_ns();
    int status;

    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushvalue(L, msg_idx);
    w->ctx.rule = r->name;
    status = lua_pcall(L, 1, 0, 1);
    w->ctx.rule = NULL;
    if (status != LUA_OK) {
        rule_failed(w, r, handler, status);
        lua_pop(L, 1);
    }
    atomic_fetch_add_explicit(&r->file->calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->file->time_ns,
                              (uint_fast64_t)(mono_ns() - t0),
                              memory_order_relaxed);
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

static void process(struct worker *w, const struct msg *m)
{
    lua_State *L = w->L;
    int msg_idx, is_cert, last = 0;
    size_t tlen;
    const char *type;

    if (atomic_load(&w->p->limit_reached))
        return;
    if (msg_table_push(L, m->data, m->len) < 0) {
        stats_add(&stats.parse_errors, 1);
        log_limited(&parse_log, LOG_WARN, "%s %llu: invalid message: %s",
                    w->p->seq_label, (unsigned long long)m->seq,
                    lua_tostring(L, -1));
        lua_settop(L, 1);
        return;
    }
    msg_idx = lua_gettop(L);
    lua_getfield(L, msg_idx, "message_type");
    type = lua_tolstring(L, -1, &tlen);
    is_cert = type && tlen == 18 && memcmp(type, "certificate_update", 18) == 0;
    lua_pop(L, 1);
    if (is_cert && !claim_cert(w->p, &last)) {
        lua_settop(L, 1);
        return;
    }
    for (size_t i = 0; i < w->n_rules; i++) {
        struct rule *r = &w->rules[i];
        if (is_cert && r->on_cert_ref != LUA_NOREF)
            call_rule(w, r, r->on_cert_ref, msg_idx, "on_cert");
        if (r->on_message_ref != LUA_NOREF)
            call_rule(w, r, r->on_message_ref, msg_idx, "on_message");
    }
    lua_settop(L, 1);
    stats_add(&stats.messages, 1);
    if (is_cert)
        stats_add(&stats.certs, 1);
    if (last && !atomic_exchange(&w->p->limit_reached, 1) && w->p->on_limit)
        w->p->on_limit(w->p->on_limit_arg);
}

/* Writes this worker's pending alerts and counts them. */
static void flush_alerts(struct worker *w)
{
    if (w->ctx.alerts_made) {
        stats_add(&stats.alerts, w->ctx.alerts_made);
        w->ctx.alerts_made = 0;
    }
    alert_flush(&w->alerts);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct msg *batch[WORKER_BATCH];
    size_t n;

    while ((n = queue_pop_batch(w->p->queue, batch, WORKER_BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            process(w, batch[i]);
            msg_free(batch[i]);
            if (w->alerts.len >= 64 * 1024)
                flush_alerts(w);
        }
        flush_alerts(w);
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
    rules_free(w->rules, w->n_rules);
    if (w->L)
        lua_close(w->L);
    alert_buf_free(&w->alerts);
    free(w);
}
