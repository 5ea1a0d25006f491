/*
** worker.h: a thread with its own Lua state running every rule.
**
** Each worker pops batches of messages from the shared queue, decodes each
** once into a message table and calls each rule's handlers with it. No
** Lua state is touched by two threads: a worker's state is built before
** its thread starts and used only by it afterwards.
*/
#ifndef CERTMON_WORKER_H
#define CERTMON_WORKER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "queue.h"
#include "rules.h"
#include "sandbox.h"

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
};

struct worker;

/* Builds a worker: a state per sandbox config with every rule of rs
** loaded. Fails (NULL, reason in err) if any rule fails to load: callers
** validate the ruleset first, so a failure here is unexpected. */
struct worker *worker_new(int id, struct pipeline *p,
                          const struct sandbox_config *sc,
                          struct ruleset *rs, char *err, size_t errlen);

/* Starts the thread; it runs until the queue is closed and empty. */
int worker_start(struct worker *w);
void worker_join(struct worker *w);
void worker_free(struct worker *w);

#endif
