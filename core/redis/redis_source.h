/*
** redis_source.h: --redis: a consumer group of a Redis stream as the
** source of messages (the other end of --publish).
**
** Reads the stream with XREADGROUP into the queue in batches and XACKs
** an entry only once every rule ran on it and its alerts were settled,
** and only after every entry read before it (redis_inflight.h). At start
** it first takes up its own pending entries (a restart under the same
** consumer name resumes there), then new ones; entries another consumer
** left pending for claim_idle_ms are taken over with XAUTOCLAIM. An
** entry delivered more than max_deliveries times, or that is not a
** message (no msg field, not a JSON object, undecodable, too big), is
** added to the dead-letter stream NAME:dead and acknowledged, counted,
** never retried forever. A full queue stops the reading, never drops. A
** lost Redis is retried with backoff; what was in flight is acknowledged
** once it is back, so nothing is lost and at most what was in flight is
** delivered again (at-least-once).
*/
#ifndef CERTMON_REDIS_SOURCE_H
#define CERTMON_REDIS_SOURCE_H

#include <stddef.h>

#include "source.h"

struct redis_source_config {
    const char *url;            /* redis://...?stream=S&group=G[&consumer=C] */
    int start_oldest;           /* a new group starts at 0 (1) or at $ */
    unsigned claim_idle_ms;     /* take over entries idle this long; 0 = never */
    unsigned max_deliveries;    /* more than this: dead letter */
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
    unsigned stats_interval_s;  /* status line; 0 = none */
};

/* Parses the URL and connects once, to fail early on what retrying cannot
** fix (bad URL, no group, refused password); a server that is down is
** only logged and retried by run(). NULL with the reason in err. */
struct source *redis_source_new(const struct redis_source_config *c,
                                char *err, size_t errlen);

#endif
