/*
** alert_sink_replay.c: the spool side of alert delivery (the spool files
** themselves: alert_spool.c). An alert a sink gives up on goes to the
** spool or is counted lost; the spool is sent again when the sink starts,
** when it delivers again after failures, and as an idle sink's probe.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sinks/alert_sink_int.h"
#include "sinks/alert_spool.h"
#include "log.h"
#include "stats.h"

/* n alerts could be neither delivered nor spooled: count, log once. */
void sink_count_lost(struct sink *s, uint64_t n, const char *why)
{
    int first;

    atomic_fetch_add(&s->lost, n);
    stats_add(&stats.alerts_lost, n);
    pthread_mutex_lock(&s->lock);
    first = !s->lost_logged;
    s->lost_logged = 1;
    pthread_mutex_unlock(&s->lock);
    if (first)
        log_error("%s: alerts lost (%s)%s; counted as alerts_lost", s->name,
                  why, s->spool ? "" : ": give --alert-spool DIR to "
                  "keep them");
}

/* An alert the sink gave up on: to the spool, or lost. Returns 1 if
** spooled. */
int sink_spool_or_lose(struct sink *s, const char *line, size_t len)
{
    char why[300];

    if (!s->spool) {
        sink_count_lost(s, 1, "not delivered, no spool");
        return 0;
    }
    if (alert_spool_append_line(s->spool, ALERT_SPOOL_PENDING, line,
                                len) < 0) {
        snprintf(why, sizeof(why), "cannot write %s: %s",
                 alert_spool_path(s->spool), alert_spool_why(errno));
        sink_count_lost(s, 1, why);
        return 0;
    }
    atomic_store(&s->spool_pending, 1);
    atomic_fetch_add(&s->spooled, 1);
    stats_add(&stats.alerts_spooled, 1);
    return 1;
}

/* Sends the spool file's alerts once each. The first that fails goes
** back to the spool with all after it. Lines found in a replay file left
** by a run that stopped mid-replay are sent first (so may arrive twice). */
void sink_replay_spool(struct sink *s)
{
    FILE *f;
    char *line = NULL, why[512];
    size_t cap = 0;
    ssize_t n;
    uint64_t sent = 0, kept = 0;
    int keep = 0;
    unsigned retry_after_ms;

    if (!s->spool || atomic_exchange(&s->replaying, 1))
        return;
    atomic_store(&s->spool_pending, 0);
    f = alert_spool_take(s->spool);
    if (!f) {
        if (errno)
            log_error("%s: cannot read its spool: %s", s->name,
                      strerror(errno));
        atomic_store(&s->replaying, 0);
        return;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        enum sink_result r = SINK_RETRY;
        if (line[len - 1] == '\n')
            len--;
        if (len == 0)
            continue;
        why[0] = '\0';
        if (!sink_past_stop_deadline())
            r = s->kind->deliver(s->impl, line, len, sink_g.timeout_ms, why,
                                 sizeof(why), &retry_after_ms);
        if (r == SINK_DELIVERED) {
            sink_note_delivered(s);
            atomic_fetch_add(&s->replayed, 1);
            sent++;
            continue;
        }
        if (why[0])
            sink_note_failure(s, why);
        if (r == SINK_REJECTED &&
            alert_spool_append_line(s->spool, ALERT_SPOOL_REJECTED, line,
                                    len) == 0)
            continue;
        /* failed again: this one and the rest wait for the next time */
        if (alert_spool_put_back(s->spool, line, len, f, &kept) < 0) {
            log_error("%s: could not put unsent alerts back into %s (%s); "
                      "they are sent again (some twice) next time", s->name,
                      alert_spool_path(s->spool), strerror(errno));
            keep = 1;
        }
        atomic_store(&s->spool_pending, 1);
        break;
    }
    alert_spool_finish(s->spool, f, keep);
    free(line);
    if (sent || kept)
        log_info("%s: replayed %llu spooled alerts, %llu still spooled",
                 s->name, (unsigned long long)sent, (unsigned long long)kept);
    atomic_store(&s->replaying, 0);
}
