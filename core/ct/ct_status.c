/*
** ct_status.c: what the CT source tells about itself.
**
** Every stats_interval_s a status line for all logs and one per log
** (position, tree size, lag, rate, and for a failing log since when and
** its last error); every half second each log's figures into stats.h's
** table, read by /metrics and the backtest progress line.
*/
#include <inttypes.h>
#include <stdio.h>

#include "ct/ct_source_int.h"
#include "mono_clock.h"
#include "stats.h"

/* "42s", "7m05s", "3h12m": how long, short enough for a status line. */
void ct_status_fmt_duration(char *buf, size_t n, int64_t ms)
{
    int64_t s = ms / 1000;

    if (s < 60)
        snprintf(buf, n, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(buf, n, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else
        snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", s / 3600,
                 s / 60 % 60);
}

/* One line for all logs, then one per log: where it is (every entry
** before position processed), how far behind the tree, how fast, and
** for a failing log since when and why. */
static void report_status(struct ct_src *src)
{
    int64_t now = mono_ms();
    double dt = (double)(now - src->status_ms) / 1000.0;
    uint64_t entries = 0, delta = 0, lag_sum = 0;
    size_t logs = 0, reading = 0, failing = 0, waiting = 0;
    char fail[300], dur[32];

    if (dt <= 0)
        dt = 1;
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];
        if (lr->retired)
            continue;
        logs++;
        if (lr->skip)
            continue;
        entries += lr->entries;
        delta += lr->entries - lr->entries_at_status;
        if (lr->started && !lr->done) {
            uint64_t w = ct_tracker_watermark(lr->tracker);
            reading++;
            lag_sum += lr->target > w ? lr->target - w : 0;
        }
        failing += lr->fail_streak > 0;
        waiting += lr->out_head < lr->out_n;
    }
    log_info("status: ct logs=%zu reading=%zu failing=%zu entries=%" PRIu64
             " rate=%.1f/s lag=%" PRIu64 " fetch_errors=%" PRIu64 "%s",
             logs, reading, failing, entries, (double)delta / dt, lag_sum,
             (uint64_t)stats_get(&stats.ct_fetch_errors),
             waiting ? " paused=queue-full" : "");
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];
        uint64_t w;

        if (lr->skip || lr->retired)
            continue;
        fail[0] = '\0';
        if (lr->fail_streak) {
            ct_status_fmt_duration(dur, sizeof dur,
                                   now - lr->failing_since_ms);
            snprintf(fail, sizeof fail, " failing_for=%s errors=%u "
                     "last_error=\"%s\"", dur, lr->fail_streak,
                     lr->last_error);
        }
        if (!lr->started) {
            log_info("status: ct log=\"%s\" not_started%s", lr->name, fail);
        } else {
            w = ct_tracker_watermark(lr->tracker);
            log_info("status: ct log=\"%s\" position=%" PRIu64 " tree_size=%"
                     PRIu64 " lag=%" PRIu64 " rate=%.1f/s%s%s", lr->name, w,
                     lr->target, lr->target > w ? lr->target - w : 0,
                     (double)(lr->entries - lr->entries_at_status) / dt,
                     lr->gave_up ? " gave_up"
                     : atomic_load(&lr->retiring) ? " retiring"
                     : lr->done ? " done"
                     : lr->warned_shrink && w > lr->target_seen
                     ? " ahead_of_log" : "", fail);
        }
        lr->entries_at_status = lr->entries;
    }
    src->status_ms = now;
}

static void status_cb(lws_sorted_usec_list_t *sul)
{
    struct ct_src *src = lws_container_of(sul, struct ct_src, status_timer);

    report_status(src);
    lws_sul_schedule(src->ctx, 0, &src->status_timer, status_cb,
                     (lws_usec_t)src->cfg.stats_interval_s * LWS_USEC_PER_SEC);
}

_Static_assert(MAX_LOGS <= STATS_CT_MAX_LOGS,
               "every log slot has its figures in stats.h's table");

/* Every log's figures into stats.h's table, for /metrics and the
** backtest progress line, which read them from other threads. A log a
** refresh retired keeps its slot, shown as retired. */
void ct_status_publish(struct ct_src *src)
{
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];
        enum stats_ct_state st = lr->retired ? STATS_CT_RETIRED
                               : !lr->started ? STATS_CT_NOT_STARTED
                               : lr->gave_up ? STATS_CT_GAVE_UP
                               : lr->done ? STATS_CT_DONE : STATS_CT_READING;

        if (lr->skip)
            continue;
        stats_ct_publish(lr->id, lr->name,
                         lr->started ? ct_tracker_watermark(lr->tracker) : 0,
                         lr->target, lr->entries, lr->fail_total,
                         src->cfg.backtest ? src->cfg.from : 0,
                         src->cfg.backtest ? lr->stop_at : 0, st,
                         lr->fail_streak > 0);
    }
}

static void publish_cb(lws_sorted_usec_list_t *sul)
{
    struct ct_src *src = lws_container_of(sul, struct ct_src, publish_timer);

    ct_status_publish(src);
    lws_sul_schedule(src->ctx, 0, &src->publish_timer, publish_cb,
                     LWS_USEC_PER_SEC / 2);
}

/* Starts the status lines (if configured) and the figures of /metrics. */
void ct_status_start(struct ct_src *src)
{
    src->status_ms = mono_ms();
    if (src->cfg.stats_interval_s)
        lws_sul_schedule(src->ctx, 0, &src->status_timer, status_cb,
                         (lws_usec_t)src->cfg.stats_interval_s *
                         LWS_USEC_PER_SEC);
    publish_cb(&src->publish_timer);
}
