/*
** metrics.h: /metrics (Prometheus text format 0.0.4) and /healthz.
**
** Served by http_listen on a thread of its own. Every figure is read from
** stats.h (relaxed atomics) at scrape time, so a scrape costs the pipeline
** nothing. Health: the listener's tick samples how many messages the
** source has delivered (queued or dropped); /healthz answers 200 while the
** last new one is at most health_max_age_ms old, else 503 with the reason.
**
** Other modules add their own families (the alert sinks: per sink
** delivered/failed/spooled/queue) with metrics_add_writer; a writer runs
** on the metrics thread at every scrape and must only read atomics or
** take locks of its own for a short time.
*/
#ifndef CERTMON_METRICS_H
#define CERTMON_METRICS_H

#include <stddef.h>

#include "http_listen.h"
#include "queue.h"

struct metrics_config {
    const char *listen;             /* --listen HOST:PORT */
    int listen_public;              /* --listen-public */
    unsigned health_max_age_ms;     /* --health-max-age */
    struct queue *queue;            /* for the queue depth; may be NULL */
    const char *source;             /* the source's name, for /healthz */
};

struct metrics;

/* Starts serving. NULL with err set if the address is refused or cannot
** be bound. Logs the address bound once. */
struct metrics *metrics_start(const struct metrics_config *c, char *err,
                              size_t errlen);

/* Stops serving and frees m; NULL is fine. */
void metrics_stop(struct metrics *m);

/* A writer of extra families, called at every scrape with its ud. Up to
** METRICS_MAX_WRITERS; returns -1 when full. Thread-safe; writers stay
** registered until metrics_remove_writer (call it before ud is freed). */
#define METRICS_MAX_WRITERS 16
typedef void (*metrics_write_fn)(void *ud, struct http_reply *r);
int metrics_add_writer(metrics_write_fn fn, void *ud);
void metrics_remove_writer(metrics_write_fn fn, void *ud);

/* Helpers for writers: "# HELP name help\n# TYPE name type\n" and one
** sample "name{labels} value\n". labels is "" or already formatted as
** key="value" pairs; metrics_label_value escapes a label value into out
** (backslash, quote, newline), truncating to outlen. */
void metrics_family(struct http_reply *r, const char *name,
                    const char *type, const char *help);
void metrics_sample(struct http_reply *r, const char *name,
                    const char *labels, double value);
void metrics_label_value(char *out, size_t outlen, const char *value);

#endif
