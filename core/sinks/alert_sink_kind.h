/*
** alert_sink_kind.h: what a kind of alert sink (webhook, exec, redis)
** provides to the delivery framework (alert_sink.c, alert_sink_int.h).
** Private to the alert_sink*.c files.
**
** deliver makes ONE attempt; the framework owns queueing, retries with
** backoff, spooling and counting. deliver may be called from several
** threads at once for the same sink when the kind allows jobs > 1.
*/
#ifndef CERTMON_ALERT_SINK_KIND_H
#define CERTMON_ALERT_SINK_KIND_H

#include <stddef.h>

#include "sinks/alert_sink.h"

enum sink_result {
    SINK_DELIVERED,
    SINK_RETRY,         /* network error, 5xx, 429, hook failed: try again */
    SINK_REJECTED,      /* the receiver refused it (4xx): never retried */
};

struct sink_kind {
    const char *prefix;         /* "webhook": names are webhook-1, ... */
    const char *option;         /* "--alert-webhook", for errors */
    /* A sink of this kind for target (URL, command); NULL with the
    ** reason in err. */
    void *(*create)(const char *target, const struct alert_sinks_config *c,
                    char *err, size_t errlen);
    /* One attempt to deliver line[0..len) (no '\n') within timeout_ms.
    ** why gets a one-line reason on failure, never a header value;
    ** *retry_after_ms may be set to the receiver's wish (Retry-After). */
    enum sink_result (*deliver)(void *impl, const char *line, size_t len,
                                unsigned timeout_ms, char *why,
                                size_t whylen, unsigned *retry_after_ms);
    void (*free)(void *impl);
};

extern const struct sink_kind webhook_sink_kind;
extern const struct sink_kind exec_sink_kind;
extern const struct sink_kind redis_sink_kind;

/* The kinds' create functions. */
void *webhook_sink_new(const char *url, const struct alert_sinks_config *c,
                       char *err, size_t errlen);
void *exec_sink_new(const char *cmd, const struct alert_sinks_config *c,
                    char *err, size_t errlen);
void *redis_sink_new(const char *url, const struct alert_sinks_config *c,
                     char *err, size_t errlen);

#endif
