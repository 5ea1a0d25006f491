/*
** watchdog.h: a thread that watches the rule calls of the workers.
**
** Each worker owns a slot and marks in it the start and end of every rule
** call (two atomic stores; no lock on the hot path). The watchdog looks
** at the slots a few times a second:
**   - a call running longer than rule_timeout_ms is asked to stop
**     (sandbox_interrupt): it fails as SANDBOX_TIMEOUT at its next count
**     hook or pattern step, and is counted in stats.rule_timeout_errors;
**   - a call that still runs a while after that is inside a C function
**     nothing can interrupt: it is logged once, naming worker, rule and
**     handler;
**   - once shutdown began (watchdog_stopping), a worker stuck in one call
**     for longer than stop_grace_ms makes the watchdog log it and call
**     give_up, which ends the process without waiting for that worker.
*/
#ifndef CERTMON_WATCHDOG_H
#define CERTMON_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/sandbox.h"

struct watchdog_config {
    unsigned rule_timeout_ms;       /* 0 = calls are never stopped */
    unsigned stop_grace_ms;         /* after watchdog_stopping */
    /* Also starts the grace period when it becomes non-zero (a signal
    ** may find the main thread unable to call watchdog_stopping, e.g.
    ** blocked on a queue a stuck worker never drains). May be NULL. */
    atomic_int *stop_flag;
    /* Called once, from the watchdog thread, when a worker does not
    ** finish within the grace period; meant to end the process. If it
    ** returns, the watchdog stops watching. */
    void (*give_up)(void *arg);
    void *give_up_arg;
    const char *seq_label;          /* what a message seq is: "line" */
};

/* One worker's slot. The worker writes call state, the watchdog reads. */
struct watchdog_slot {
    struct sandbox_interrupt intr;      /* for sandbox_set_interrupt */
    atomic_int_fast64_t since_ns;       /* start of the running call; 0 */
    _Atomic(const char *) rule;         /* name of its rule */
    _Atomic(const char *) handler;      /* "on_cert", "on_message" */
    atomic_uint_fast64_t seq;           /* of the message being handled */
    /* Held by the watchdog while it reads the names, and by the worker
    ** while it frees the instance they belong to (watchdog_slot_lock). */
    pthread_mutex_t lock;
    uint_fast64_t stopped_call;         /* watchdog thread only */
    uint_fast64_t reported_call;
    int shutdown_only;                  /* watchdog_main_slot: no timeout */
};

struct watchdog;

/* Starts the thread with n_slots slots. NULL with a reason in err. */
struct watchdog *watchdog_start(const struct watchdog_config *cfg,
                                int n_slots, char *err, size_t errlen);

/* Slot i, or NULL when wd is NULL (no watchdog). */
struct watchdog_slot *watchdog_slot(struct watchdog *wd, int i);

/* A slot for the main thread's own shutdown steps that wait on another
** thread (joining the reload thread, which may be validating a rule):
** bracket them with watchdog_enter (rule = what is waited for) and
** watchdog_leave; only the grace period applies. NULL when wd is NULL. */
struct watchdog_slot *watchdog_main_slot(struct watchdog *wd);

/* Shutdown began: the grace period runs from now. Thread-safe. */
void watchdog_stopping(struct watchdog *wd);

/* Stops and joins the thread, frees the slots; the workers must be
** joined before. NULL is ignored. */
void watchdog_free(struct watchdog *wd);

/* Brackets one rule call in the worker (after sandbox_begin_call, which
** numbers it). rule and handler must stay valid until the worker next
** takes the slot lock. s may be NULL. */
static inline void watchdog_enter(struct watchdog_slot *s, const char *rule,
                                  const char *handler, int64_t now_ns)
{
    if (!s)
        return;
    atomic_store_explicit(&s->rule, rule, memory_order_relaxed);
    atomic_store_explicit(&s->handler, handler, memory_order_relaxed);
    atomic_store(&s->since_ns, now_ns ? now_ns : 1);
}

/* The message the next calls handle, for the logs. s may be NULL. */
static inline void watchdog_message(struct watchdog_slot *s, uint64_t seq)
{
    if (s)
        atomic_store_explicit(&s->seq, seq, memory_order_relaxed);
}

static inline void watchdog_leave(struct watchdog_slot *s)
{
    if (s)
        atomic_store(&s->since_ns, 0);
}

/* Around freeing what the names given to watchdog_enter point into. */
void watchdog_slot_lock(struct watchdog_slot *s);
void watchdog_slot_unlock(struct watchdog_slot *s);

#endif
