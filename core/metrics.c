/*
** metrics.c: /metrics and /healthz over http_listen; see metrics.h.
*/
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "mono_clock.h"
#include "stats.h"
#include "version.h"

struct metrics {
    struct metrics_config cfg;
    struct http_listen *http;
    /* health, sampled by tick; tick and the handler share the thread */
    int64_t start_ms;
    uint64_t delivered;             /* received + dropped at last change */
    int64_t last_new_ms;            /* when it last changed; 0 = never */
};

static struct {
    pthread_mutex_t lock;
    metrics_write_fn fn[METRICS_MAX_WRITERS];
    void *ud[METRICS_MAX_WRITERS];
} writers = { .lock = PTHREAD_MUTEX_INITIALIZER };

int metrics_add_writer(metrics_write_fn fn, void *ud)
{
    int rc = -1;

    pthread_mutex_lock(&writers.lock);
    for (int i = 0; i < METRICS_MAX_WRITERS && rc < 0; i++)
        if (!writers.fn[i]) {
            writers.fn[i] = fn;
            writers.ud[i] = ud;
            rc = 0;
        }
    pthread_mutex_unlock(&writers.lock);
    return rc;
}

void metrics_remove_writer(metrics_write_fn fn, void *ud)
{
    pthread_mutex_lock(&writers.lock);
    for (int i = 0; i < METRICS_MAX_WRITERS; i++)
        if (writers.fn[i] == fn && writers.ud[i] == ud)
            writers.fn[i] = NULL;
    pthread_mutex_unlock(&writers.lock);
}

/* ---- text format helpers ------------------------------------------ */

void metrics_family(struct http_reply *r, const char *name, const char *type,
                    const char *help)
{
    http_reply_printf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                      type);
}

void metrics_sample(struct http_reply *r, const char *name,
                    const char *labels, double value)
{
    const char *open = labels && *labels ? "{" : "";
    const char *close = labels && *labels ? "}" : "";

    if (isinf(value))
        http_reply_printf(r, "%s%s%s%s %s\n", name, open, labels ? labels : "",
                          close, value > 0 ? "+Inf" : "-Inf");
    else if (value == floor(value) && fabs(value) < 9007199254740992.0)
        http_reply_printf(r, "%s%s%s%s %.0f\n", name, open,
                          labels ? labels : "", close, value);
    else
        http_reply_printf(r, "%s%s%s%s %.9g\n", name, open,
                          labels ? labels : "", close, value);
}

void metrics_label_value(char *out, size_t outlen, const char *value)
{
    size_t o = 0;

    if (!outlen)
        return;
    for (const char *p = value; *p && o + 3 < outlen; p++) {
        if (*p == '\\' || *p == '"') {
            out[o++] = '\\';
            out[o++] = *p;
        } else if (*p == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* A counter or gauge family with a single unlabelled sample. */
static void one(struct http_reply *r, const char *name, const char *type,
                const char *help, double value)
{
    metrics_family(r, name, type, help);
    metrics_sample(r, name, "", value);
}

/* ---- the families --------------------------------------------------- */

static void write_pipeline(struct metrics *m, struct http_reply *r)
{
    uint64_t rule_errors = stats_get(&stats.rule_errors);
    uint64_t budget = stats_get(&stats.rule_budget_errors);
    uint64_t memory = stats_get(&stats.rule_memory_errors);
    uint64_t runtime = rule_errors - budget - memory;

    metrics_family(r, "certmon_build_info", "gauge",
                   "Always 1; the version in a label.");
    http_reply_printf(r, "certmon_build_info{version=\"%s\"} 1\n",
                      CERTMON_VERSION);
    one(r, "certmon_uptime_seconds", "gauge", "Seconds since start.",
        (double)(mono_ms() - m->start_ms) / 1000.0);
    one(r, "certmon_received_total", "counter",
        "Messages accepted from the source into the queue.",
        (double)stats_get(&stats.received));
    one(r, "certmon_received_bytes_total", "counter",
        "Payload bytes of the accepted messages.",
        (double)stats_get(&stats.bytes));
    one(r, "certmon_messages_total", "counter",
        "Messages handed to the rules.", (double)stats_get(&stats.messages));
    one(r, "certmon_certs_total", "counter",
        "certificate_update messages processed.",
        (double)stats_get(&stats.certs));
    one(r, "certmon_alerts_total", "counter", "Alerts made by the rules.",
        (double)stats_get(&stats.alerts));
    one(r, "certmon_dropped_total", "counter",
        "Messages lost to a full queue (drop policy).",
        (double)stats_get(&stats.dropped));
    one(r, "certmon_reconnects_total", "counter",
        "Source reconnections.", (double)stats_get(&stats.reconnects));
    one(r, "certmon_oversize_total", "counter",
        "Messages over --max-message-size (also counted as parse errors).",
        (double)stats_get(&stats.oversize));
    one(r, "certmon_binary_frames_total", "counter",
        "Binary WebSocket messages ignored.",
        (double)stats_get(&stats.binary_frames));
    metrics_family(r, "certmon_errors_total", "counter",
                   "Errors by kind; parse and rule_* add up to the summary's "
                   "errors=.");
    metrics_sample(r, "certmon_errors_total", "kind=\"parse\"",
                   (double)stats_get(&stats.parse_errors));
    metrics_sample(r, "certmon_errors_total", "kind=\"rule_runtime\"",
                   (double)runtime);
    metrics_sample(r, "certmon_errors_total", "kind=\"rule_budget\"",
                   (double)budget);
    metrics_sample(r, "certmon_errors_total", "kind=\"rule_memory\"",
                   (double)memory);
    metrics_sample(r, "certmon_errors_total", "kind=\"ct_fetch\"",
                   (double)stats_get(&stats.ct_fetch_errors));
    metrics_sample(r, "certmon_errors_total", "kind=\"store_redis\"",
                   (double)stats_get(&stats.store_redis_errors));
    if (m->cfg.queue) {
        size_t len, bytes, high;
        queue_usage(m->cfg.queue, &len, &bytes, &high);
        one(r, "certmon_queue_depth", "gauge",
            "Messages waiting for a worker.", (double)len);
        one(r, "certmon_queue_bytes", "gauge",
            "Payload bytes of the messages waiting.", (double)bytes);
        one(r, "certmon_queue_high_water", "gauge",
            "The most messages queued at once since the start.",
            (double)high);
        one(r, "certmon_queue_capacity", "gauge", "The queue's size (--queue).",
            (double)queue_capacity(m->cfg.queue));
        one(r, "certmon_queue_max_bytes", "gauge",
            "The queue's byte bound (--queue-bytes; 0 = none).",
            (double)queue_max_bytes(m->cfg.queue));
    }
    one(r, "certmon_reloads_total", "counter",
        "Rule generations published by hot reload.",
        (double)stats_get(&stats.reloads));
    one(r, "certmon_reload_generation", "gauge",
        "The rule generation running (1 at start).",
        (double)(1 + stats_get(&stats.reloads)));
    one(r, "certmon_last_message_age_seconds", "gauge",
        "Seconds since the source last delivered a message (-1: none yet).",
        m->last_new_ms ? (double)(mono_ms() - m->last_new_ms) / 1000.0 : -1);
}

static void write_rules(struct http_reply *r)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        { "certmon_rule_calls_total", "Handler calls per rule file.",
          offsetof(struct stats_rule, calls) },
        { "certmon_rule_errors_total", "Failed handler calls per rule file.",
          offsetof(struct stats_rule, errors) },
        { "certmon_rule_alerts_total", "Alerts made per rule file.",
          offsetof(struct stats_rule, alerts) },
    };
    char label[600], le[32];

    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        metrics_family(r, counters[c].name, "counter", counters[c].help);
        for (struct stats_rule *sr = stats_rules_first(); sr;
             sr = stats_rules_next(sr)) {
            char v[512];
            metrics_label_value(v, sizeof(v), sr->path);
            snprintf(label, sizeof(label), "rule=\"%s\"", v);
            metrics_sample(r, counters[c].name, label,
                           (double)stats_get((atomic_uint_fast64_t *)
                                             ((char *)sr + counters[c].off)));
        }
    }
    metrics_family(r, "certmon_rule_call_seconds", "histogram",
                   "Time of one handler call per rule file.");
    for (struct stats_rule *sr = stats_rules_first(); sr;
         sr = stats_rules_next(sr)) {
        uint64_t cum = 0, count;
        char v[512];

        metrics_label_value(v, sizeof(v), sr->path);
        /* _count is the +Inf bucket, both summed from the same reads, so
        ** a scrape during calls is still a coherent histogram */
        for (int b = 0; b < STATS_RULE_BUCKETS; b++) {
            cum += stats_get(&sr->bucket[b]);
            if (b < STATS_RULE_BUCKETS - 1)
                snprintf(le, sizeof(le), "%g", stats_rule_bucket_s[b]);
            else
                snprintf(le, sizeof(le), "+Inf");
            snprintf(label, sizeof(label), "rule=\"%s\",le=\"%s\"", v, le);
            metrics_sample(r, "certmon_rule_call_seconds_bucket", label,
                           (double)cum);
        }
        count = cum;
        snprintf(label, sizeof(label), "rule=\"%s\"", v);
        metrics_sample(r, "certmon_rule_call_seconds_sum", label,
                       (double)stats_get(&sr->time_ns) / 1e9);
        metrics_sample(r, "certmon_rule_call_seconds_count", label,
                       (double)count);
    }
}

static void write_ct(struct http_reply *r)
{
    static const char *const state_names[] = {
        [STATS_CT_NOT_STARTED] = "not_started", [STATS_CT_READING] = "reading",
        [STATS_CT_DONE] = "done", [STATS_CT_GAVE_UP] = "gave_up",
        [STATS_CT_RETIRED] = "retired",
    };
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        { "certmon_ct_log_position", "gauge",
          "Every entry before this index is processed." },
        { "certmon_ct_log_tree_size", "gauge", "The log's latest tree size." },
        { "certmon_ct_log_lag", "gauge", "Entries between position and tree "
          "size." },
        { "certmon_ct_log_entries_total", "counter", "Entries read." },
        { "certmon_ct_log_errors_total", "counter", "Failed requests." },
        { "certmon_ct_log_failing", "gauge", "1 while its requests fail." },
        { "certmon_ct_log_state", "gauge", "1 for the state the log is in." },
    };
    unsigned n_slots = stats_ct_n_slots();

    if (n_slots == 0)
        return;
    one(r, "certmon_ct_entries_total", "counter",
        "Entries read from all CT logs.", (double)stats_get(&stats.ct_entries));
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        metrics_family(r, fam[f].name, fam[f].type, fam[f].help);
        for (unsigned i = 0; i < n_slots; i++) {
            struct stats_ct_log *l = &stats_ct_logs[i];
            uint64_t pos, size;
            char v[400], label[500];
            double value = 0;
            int st;

            if (!atomic_load(&l->used))
                continue;
            metrics_label_value(v, sizeof(v), l->name);
            snprintf(label, sizeof(label), "log=\"%s\"", v);
            pos = stats_get(&l->position);
            size = stats_get(&l->tree_size);
            st = atomic_load_explicit(&l->state, memory_order_relaxed);
            switch (f) {
            case 0: value = (double)pos; break;
            case 1: value = (double)size; break;
            case 2: value = size > pos ? (double)(size - pos) : 0; break;
            case 3: value = (double)stats_get(&l->entries); break;
            case 4: value = (double)stats_get(&l->errors); break;
            case 5: value = atomic_load(&l->failing) ? 1 : 0; break;
            default:
                for (int s = 0; s < STATS_CT_STATES; s++) {
                    snprintf(label, sizeof(label), "log=\"%s\",state=\"%s\"",
                             v, state_names[s]);
                    metrics_sample(r, fam[f].name, label, s == st);
                }
                continue;
            }
            metrics_sample(r, fam[f].name, label, value);
        }
    }
}

static void write_metrics(struct metrics *m, struct http_reply *r)
{
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    write_pipeline(m, r);
    write_rules(r);
    write_ct(r);
    pthread_mutex_lock(&writers.lock);
    for (int i = 0; i < METRICS_MAX_WRITERS; i++)
        if (writers.fn[i])
            writers.fn[i](writers.ud[i], r);
    pthread_mutex_unlock(&writers.lock);
}

/* ---- health --------------------------------------------------------- */

static void tick(void *ud)
{
    struct metrics *m = ud;
    uint64_t n = stats_get(&stats.received) + stats_get(&stats.dropped);

    if (n != m->delivered) {
        m->delivered = n;
        m->last_new_ms = mono_ms();
    }
}

static void write_health(struct metrics *m, struct http_reply *r)
{
    int64_t now = mono_ms();
    double max_s = m->cfg.health_max_age_ms / 1000.0;

    tick(m);
    if (!m->last_new_ms) {
        r->status = 503;
        http_reply_printf(r, "unhealthy: no message from %s yet (started "
                          "%.1f s ago)\n", m->cfg.source,
                          (double)(now - m->start_ms) / 1000.0);
    } else if (now - m->last_new_ms > (int64_t)m->cfg.health_max_age_ms) {
        r->status = 503;
        http_reply_printf(r, "unhealthy: no message from %s for %.1f s "
                          "(--health-max-age %g s)\n", m->cfg.source,
                          (double)(now - m->last_new_ms) / 1000.0, max_s);
    } else {
        http_reply_printf(r, "ok: last message from %s %.1f s ago\n",
                          m->cfg.source,
                          (double)(now - m->last_new_ms) / 1000.0);
    }
}

static void handle(void *ud, const char *path, struct http_reply *r)
{
    struct metrics *m = ud;

    if (strcmp(path, "/metrics") == 0)
        write_metrics(m, r);
    else if (strcmp(path, "/healthz") == 0)
        write_health(m, r);
    else {
        r->status = 404;
        http_reply_printf(r, "not found: try /metrics or /healthz\n");
    }
}

struct metrics *metrics_start(const struct metrics_config *c, char *err,
                              size_t errlen)
{
    struct metrics *m = calloc(1, sizeof(*m));
    struct http_listen_config hc;

    if (!m) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *c;
    if (!m->cfg.source)
        m->cfg.source = "the source";
    m->start_ms = mono_ms();
    m->delivered = stats_get(&stats.received) + stats_get(&stats.dropped);
    http_listen_config_defaults(&hc);
    hc.address = c->listen;
    hc.allow_public = c->listen_public;
    hc.handler = handle;
    hc.tick = tick;
    hc.ud = m;
    m->http = http_listen_start(&hc, err, errlen);
    if (!m->http) {
        free(m);
        return NULL;
    }
    log_info("metrics: serving /metrics and /healthz on http://%s",
             http_listen_address(m->http));
    return m;
}

void metrics_stop(struct metrics *m)
{
    if (!m)
        return;
    http_listen_stop(m->http);
    free(m);
}
