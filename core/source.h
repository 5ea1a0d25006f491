/*
** source.h: what every message source implements.
**
** A source (replay file, CertStream WebSocket, CT logs) runs on the main
** thread and delivers complete messages into the queue with intake_deliver.
** It never runs Lua. run() returns when its input ends, when stop was
** requested, or on a fatal setup error.
*/
#ifndef CERTMON_SOURCE_H
#define CERTMON_SOURCE_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

/* What to do with a message when the queue is full. */
enum full_policy {
    FULL_BLOCK,   /* wait (replay) or pause reading the socket (live) */
    FULL_DROP,    /* count it in stats.dropped and go on */
};

/* Where sources deliver messages; shared by all sources of a run. */
struct intake {
    struct queue *queue;
    enum full_policy on_full;
    size_t max_message_bytes;            /* larger messages are refused */
    atomic_int *stop;                    /* set by signals, by -n (from a
                                            worker); lock-free */
};

enum intake_result {
    INTAKE_QUEUED,     /* the message is in the queue */
    INTAKE_DROPPED,    /* queue full under FULL_DROP; counted */
    INTAKE_FULL,       /* queue full under FULL_BLOCK with wait=0: retry later */
    INTAKE_TOO_BIG,    /* over max_message_bytes; counted as parse error */
    INTAKE_CLOSED,     /* the pipeline is shutting down */
    INTAKE_NOMEM,
};

/* Copies data[0..len) into a new message tagged seq and offers it to the
** queue following the policy. With wait != 0 and FULL_BLOCK it waits for
** room (replay); with wait == 0 it returns INTAKE_FULL instead so an event
** loop can pause its input. Updates received/bytes/dropped/oversize. */
enum intake_result intake_deliver(struct intake *in, const char *data,
                                  size_t len, uint64_t seq, int wait);

/* Also hands every message that was queued or dropped (not one refused
** or to be retried) to fn(arg, data, len) on the source's thread, e.g.
** the --serve server; NULL to stop. Set before the source runs. */
void intake_set_tap(void (*fn)(void *arg, const char *data, size_t len),
                    void *arg);

struct source {
    const char *name;                                 /* for logs */
    /* Runs until end of input or *in->stop; 0 = clean end, -1 = error
    ** (message in err). */
    int (*run)(struct source *s, struct intake *in, char *err, size_t errlen);
    /* Asks a running source to return soon; async-signal-safe. */
    void (*wake)(struct source *s);
    void (*destroy)(struct source *s);
    /* Optional (NULL = not wanted), from worker threads: seq's rules ran
    ** and its alerts were settled (how CT commits positions and a Redis
    ** consumer acknowledges entries); seq could not be decoded (reported
    ** before its done). */
    void (*done)(struct source *s, uint64_t seq);
    void (*invalid)(struct source *s, uint64_t seq);
};

#endif
