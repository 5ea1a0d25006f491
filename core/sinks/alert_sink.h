/*
** alert_sink.h: alert delivery to webhooks, hook programs and Redis
** streams.
**
** Besides the -o/stdout writer (alert.c), every alert line goes to each
** configured sink: an HTTP(S) webhook (--alert-webhook), a program run
** once per alert (--alert-exec) or a Redis stream (--alert-redis). Each
** sink has its own bounded queue and its own thread(s), so a slow or dead
** sink never blocks the rules, the -o writer or the other sinks.
**
** Never silent loss: an alert a sink cannot deliver after its retries, or
** that finds the sink's queue full, is appended to the sink's spool file
** (DIR/NAME.jsonl, fsync'd) when --alert-spool DIR is given, and replayed
** when the sink starts, whenever it delivers again after a failure, and
** by an idle sink as a probe (1 s doubling to 5 min).
** Without a spool such an alert is lost, logged and counted
** (alerts_lost). Delivery is at least once: a crash during a replay can
** send some alerts twice.
**
** Sink names, used in logs and spool file names, follow the command line:
** webhook-1, webhook-2, ..., exec-1, ..., redis-1, ...
*/
#ifndef CERTMON_ALERT_SINK_H
#define CERTMON_ALERT_SINK_H

#include <stddef.h>
#include <stdint.h>

#define ALERT_SINK_MAX 16

enum alert_format { ALERT_FORMAT_JSON, ALERT_FORMAT_SLACK };

struct alert_sinks_config {
    const char *const *webhooks;    /* URLs, http:// or https:// */
    size_t n_webhooks;
    const char *const *execs;       /* command lines, split on blanks */
    size_t n_execs;
    const char *const *redis;       /* redis://...?stream=NAME URLs */
    size_t n_redis;
    size_t queue_len;               /* alerts buffered per sink */
    const char *spool_dir;          /* NULL = no spool */
    size_t spool_max_bytes;         /* cap of each spool file, 0 = none */
    enum alert_format format;       /* webhook body */
    const char *const *headers;     /* "Name: value", webhooks only */
    size_t n_headers;
    const char *header_file;        /* more of them, one a line; NULL */
    const char *ca_file;            /* NULL = system store */
    int insecure;                   /* do not verify (as --insecure) */
    unsigned timeout_ms;            /* per attempt; also the stop grace */
    unsigned retries;               /* attempts after the first */
    unsigned exec_jobs;             /* hook programs running at once */
};

/* Starts the sinks of c (none configured: nothing to do). Validates every
** URL, command, header and the spool folder first. Returns 0, or -1 with
** a reason in err and nothing started. Call before the workers start. */
int alert_sinks_start(const struct alert_sinks_config *c, char *err,
                      size_t errlen);

/* Queues copies of the whole lines in lines[0..len) on every sink;
** spools (or counts as lost) those that find a queue full. Called by
** each worker with its batch's alerts, once, on the thread that then
** reports the batch done (alert_sinks_done relies on it); never waits on
** a sink. */
void alert_sinks_dispatch(const char *lines, size_t len);

/* Stops the sinks: what is queued is delivered for up to timeout_ms more,
** the rest spooled; then the threads are joined and everything freed. */
void alert_sinks_stop(void);

/* The CT source commits a position only once every alert of that entry
** is delivered or spooled. alert_sinks_done wraps a pipeline on_done
** callback: it forwards seq at once when the sinks hold nothing the
** calling worker dispatched, else when they have settled it. Call
** alert_sinks_set_done(real, arg) first; pass NULL as alert_sinks_done's
** arg. */
void alert_sinks_set_done(void (*on_done)(void *arg, uint64_t seq),
                          void *arg);
void alert_sinks_done(void *unused, uint64_t seq);

/* How many sinks run, and per-sink figures (for metrics): any thread,
** between alert_sinks_start and alert_sinks_stop (not during the stop).
** alert_sink_info returns 0, or -1 if i is out of range. */
struct alert_sink_info {
    const char *name;               /* "webhook-1" */
    uint64_t delivered, failed, spooled, lost, replayed;
    uint64_t queued;                /* alerts waiting now */
};

size_t alert_sinks_count(void);
int alert_sink_info(size_t i, struct alert_sink_info *out);

/* Writes the per-sink families of /metrics (delivered, failed, spooled,
** lost, replayed, queue) into r: a metrics_add_writer writer, to remove
** before alert_sinks_stop. */
struct http_reply;
void alert_sinks_write_metrics(void *ud, struct http_reply *r);

#endif
