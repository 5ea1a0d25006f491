/*
** alert_sink_int.h: what the modules of the alert delivery framework
** share - the sinks' state and the functions one module calls in another.
** Private to core/sinks/.
**
**   alert_sink.c          per-sink queues and threads, the retry loop,
**                         dispatch, start and stop
**   alert_sink_replay.c   giving up into the spool, replaying the spool
**   alert_sink_settle.c   what the CT source may commit (tickets,
**                         settled indexes, deferred sequence numbers)
**   alert_sink_metrics.c  per-sink figures and the /metrics families
**
** Every queued alert gets an index, 1, 2, ... per sink. A sink has
** "settled" index k when every alert up to k was delivered, rejected
** into the spool or spooled: the smallest index still in the ring or in
** an attempt, minus one, or less if one was lost.
*/
#ifndef CERTMON_ALERT_SINK_INT_H
#define CERTMON_ALERT_SINK_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sinks/alert_sink.h"
#include "sinks/alert_sink_kind.h"
#include "mono_clock.h"

#define SINK_MAX_JOBS 64
#define SINK_MAX_LOGGED 16          /* distinct failures logged per sink */

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

/* The running sinks (alert_sink.c owns them; the others read). sinks[]
** and n change only in alert_sinks_start and alert_sinks_stop. */
struct sink_set {
    struct sink *sinks[ALERT_SINK_MAX];
    size_t n;
    unsigned timeout_ms, retries;
    atomic_int stopping;
    _Atomic int64_t stop_deadline_ms;
};

extern struct sink_set sink_g;

/* The last index each sink's queue got from the calling worker
** (alert_sinks_dispatch sets it, alert_sinks_done reads it). */
extern _Thread_local uint64_t sink_ticket[ALERT_SINK_MAX];

static inline int64_t sink_now_ms(void)
{
    return mono_ns() / 1000000;
}

/* 1 once certmon is stopping and the drain deadline has passed. */
int sink_past_stop_deadline(void);

/* Failure and success bookkeeping of s (logs once per kind of failure,
** and "delivering again" after failures). */
void sink_note_failure(struct sink *s, const char *why);
void sink_note_delivered(struct sink *s);

/* alert_sink_replay.c. n alerts could be neither delivered nor spooled:
** counted, logged once. */
void sink_count_lost(struct sink *s, uint64_t n, const char *why);

/* An alert s gave up on: to the spool, or lost. Returns 1 if spooled. */
int sink_spool_or_lose(struct sink *s, const char *line, size_t len);

/* Sends s's spool file once (see alert_sink_replay.c); any sink thread,
** at most one replay of a sink at a time. */
void sink_replay_spool(struct sink *s);

/* alert_sink_settle.c. Forwards every deferred seq whose alerts are all
** settled; any thread. */
void sink_release_pending(void);

/* Drops the deferred seqs still waiting (they wait on a lost alert and
** are never reported done). At stop, after the threads are joined. */
void sink_settle_clear(void);

#endif
