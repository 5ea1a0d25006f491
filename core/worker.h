/*
** worker.h: a thread with its own Lua state running every rule.
**
** Each worker pops batches of messages from the shared queue, decodes each
** once into a message table and calls each rule's handlers with it. No
** Lua state is touched by two threads: a worker's rules instance is built
** elsewhere and handed over whole, before the thread starts or, on reload,
** through worker_offer, and taken up between two messages.
*/
#ifndef CERTMON_WORKER_H
#define CERTMON_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "queue.h"
#include "rules/rules.h"

/* What the workers of one run share. */
struct pipeline {
    struct queue *queue;
    uint64_t max_certs;                 /* -n; 0 = no limit */
    atomic_uint_fast64_t certs_claimed; /* for -n: exactly max_certs run */
    atomic_int limit_reached;
    /* Called once, from a worker, when max_certs were processed: must stop
    ** the source and close the queue. */
    void (*on_limit)(void *arg);
    void *on_limit_arg;
    const char *seq_label;              /* "line" for replay, "message" */
    unsigned fail_limit;                /* disable a rule after this many
                                           failures in a row; 0 = never */
    /* Takes a rules instance a worker no longer uses, to free it off the
    ** worker's hot path; NULL = the worker frees it itself. */
    void (*retire)(void *arg, struct rules_instance *ri);
    void *retire_arg;
    /* Called with each message's seq once its rules ran and its alerts
    ** were written (counted parse errors included; messages skipped after
    ** -n excluded): how the CT source knows which positions it may
    ** commit. NULL = nobody asks. Called from worker threads. */
    void (*on_done)(void *arg, uint64_t seq);
    void *on_done_arg;
    /* Called, before its on_done, with the seq of a message that could
    ** not be decoded (a Redis consumer dead-letters it). NULL = nobody
    ** asks. Called from worker threads. */
    void (*on_invalid)(void *arg, uint64_t seq);
    void *on_invalid_arg;
    /* Watches the rule calls (watchdog.h); slot i is worker i's. NULL =
    ** no watchdog. Set before worker_new. */
    struct watchdog *watchdog;
    /* Set by the first worker_join: a worker that retries alerts it
    ** cannot write (on_done set) stops retrying. */
    atomic_int stopping;
    /* Set (by a second SIGINT) to stop at once: workers finish the call
    ** they are in and free the messages still queued unprocessed, counted
    ** in stats.abandoned and never reported done. NULL = never. */
    const atomic_int *abandon;
};

struct worker;

/* A worker that will run ri (taking ownership). NULL on OOM. */
struct worker *worker_new(int id, struct pipeline *p,
                          struct rules_instance *ri);

/* Starts the thread; it runs until the queue is closed and empty. */
int worker_start(struct worker *w);
void worker_join(struct worker *w);
void worker_free(struct worker *w);

/* Hands the worker a new rules instance (ownership passes); it switches
** before its next message. An instance offered earlier and not yet taken
** up is returned, for the caller to free; NULL otherwise. Thread-safe. */
struct rules_instance *worker_offer(struct worker *w,
                                    struct rules_instance *ri);

/* The generation of the ruleset the worker runs now. */
uint64_t worker_generation(struct worker *w);

#endif
