/*
** alert_sink_metrics.c: per-sink figures (alert_sink_info) and the
** per-sink families of /metrics.
*/
#include <stddef.h>
#include <stdio.h>

#include "sinks/alert_sink_int.h"
#include "metrics.h"

size_t alert_sinks_count(void)
{
    return sink_g.n;
}

int alert_sink_info(size_t i, struct alert_sink_info *out)
{
    struct sink *s;

    if (i >= sink_g.n)
        return -1;
    s = sink_g.sinks[i];
    out->name = s->name;
    out->delivered = atomic_load(&s->delivered);
    out->failed = atomic_load(&s->failed);
    out->spooled = atomic_load(&s->spooled);
    out->lost = atomic_load(&s->lost);
    out->replayed = atomic_load(&s->replayed);
    pthread_mutex_lock(&s->lock);
    out->queued = s->count;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* /metrics families of the sinks, one sample per sink each (a
** metrics_add_writer writer; see alert_sink.h for when it may run). */
void alert_sinks_write_metrics(void *ud, struct http_reply *r)
{
    static const struct {
        const char *name, *type, *help;
        size_t offset;
    } fams[] = {
        { "certmon_sink_alerts_delivered_total", "counter",
          "Alerts a sink delivered.",
          offsetof(struct alert_sink_info, delivered) },
        { "certmon_sink_alerts_failed_total", "counter",
          "Alerts a sink gave up on after its retries.",
          offsetof(struct alert_sink_info, failed) },
        { "certmon_sink_alerts_spooled_total", "counter",
          "Alerts written to the sink's spool file.",
          offsetof(struct alert_sink_info, spooled) },
        { "certmon_sink_alerts_lost_total", "counter",
          "Alerts neither delivered nor spooled.",
          offsetof(struct alert_sink_info, lost) },
        { "certmon_sink_alerts_replayed_total", "counter",
          "Spooled alerts delivered later.",
          offsetof(struct alert_sink_info, replayed) },
        { "certmon_sink_queue_alerts", "gauge",
          "Alerts waiting in a sink's queue.",
          offsetof(struct alert_sink_info, queued) },
    };
    size_t n = alert_sinks_count();

    (void)ud;
    for (size_t f = 0; f < sizeof(fams) / sizeof(*fams); f++) {
        metrics_family(r, fams[f].name, fams[f].type, fams[f].help);
        for (size_t i = 0; i < n; i++) {
            struct alert_sink_info info;
            char label[160], value[128];
            if (alert_sink_info(i, &info) < 0)
                continue;
            metrics_label_value(value, sizeof(value), info.name);
            snprintf(label, sizeof(label), "sink=\"%s\"", value);
            metrics_sample(r, fams[f].name, label, (double)*(uint64_t *)
                           ((char *)&info + fams[f].offset));
        }
    }
}
