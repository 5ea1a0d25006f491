/*
** ct_sched.c: what each log does next.
**
** pump() is the one place that decides: deliver the outbox, ask for a
** tree head when caught up, start up to `parallel` entry fetches under
** the token bucket (retries first), fetch missing issuers one at a time,
** back off after failures, give up on a backtest log that fails for
** give_up_ms, and arrange to be called again. Tree heads are checked
** here (signature, plausible size) and start a log at its position.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_sth.h"
#include "ct/ct_source_int.h"
#include "mono_clock.h"
#include "stats.h"

/* Retrying a failed request: the backoff series of backoff.h, the same
** policy as the WebSocket reconnection (delays spread by +-20 %), and a
** Retry-After longer than it honoured up to this many times the longest
** backoff. */
static const struct {
    unsigned jitter_pct;
    unsigned retry_after_cap;
} ct_retry = {
    .jitter_pct = 20,
    .retry_after_cap = 4,
};

/* The retry series of lr's request kinds, seeded apart per log (k). */
void ct_sched_init(struct log_run *lr, const struct ct_source_config *c,
                   unsigned k)
{
    for (unsigned q = 0; q < 3; q++)
        backoff_init(&lr->backoff[q], &(struct backoff_policy){
                         .min_ms = c->backoff_min_ms,
                         .max_ms = c->backoff_max_ms,
                         .jitter_pct = ct_retry.jitter_pct },
                     (uint64_t)ct_wall_ms() ^ ((uint64_t)k << 32) ^ q);
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    ct_sched_pump(lws_container_of(sul, struct log_run, wake));
}

static void schedule_wake(struct log_run *lr, int64_t in_ms)
{
    if (in_ms < 1)
        in_ms = 1;
    lws_sul_schedule(lr->src->ctx, 0, &lr->wake, wake_cb,
                     (lws_usec_t)in_ms * LWS_US_PER_MS);
}

void ct_sched_push_retry(struct log_run *lr, uint64_t start, uint64_t end)
{
    if (lr->retry_n == lr->retry_cap) {
        size_t nc = lr->retry_cap ? lr->retry_cap * 2 : 8;
        struct range *r = realloc(lr->retry, nc * sizeof *r);
        if (!r) {
            /* cannot remember it: go back, the range is fetched again */
            if (start < lr->next)
                lr->next = start;
            return;
        }
        lr->retry = r;
        lr->retry_cap = nc;
    }
    lr->retry[lr->retry_n++] = (struct range){ start, end };
}

static void give_up_cb(lws_sorted_usec_list_t *sul)
{
    ct_sched_pump(lws_container_of(sul, struct log_run, give_up_timer));
}

/* Once every log has failed and none has ever answered (no network, or
** the log hosts blocked), one line says so and what works offline. */
static void hint_if_offline(struct ct_src *src)
{
    if (src->any_answered || src->offline_hinted)
        return;
    for (size_t i = 0; i < src->n; i++)
        if (src->logs[i]->fail_total == 0)
            return;
    src->offline_hinted = 1;
    log_warn("none of the %zu CT log%s answered (last: %s: %s); certmon "
             "keeps trying. Without a network, try the bundled demo feed: "
             "certmon --replay scripts/demo/demo.jsonl", src->n,
             src->n == 1 ? "" : "s", src->logs[src->n - 1]->name,
             src->logs[src->n - 1]->last_error);
}

void ct_sched_fail(struct log_run *lr, struct slot *s, const char *why)
{
    unsigned delay = ct_retry_delay_ms(
        backoff_next_ms(&lr->backoff[s->kind], mono_ms()), s->retry_after_ms,
        lr->src->cfg.backoff_max_ms * ct_retry.retry_after_cap);
    int retiring = atomic_load(&lr->retiring);

    static const char *what[2][3] = {
        { "tree head", "get-entries", "issuer" },
        { "checkpoint", "data tile", "issuer" },
    };

    /* a retiring log asks nothing again: what fails now is not read (its
    ** position stays before it), a missing issuer is left out */
    if (s->kind == REQ_ENTRIES && retiring)
        lr->dropped += s->end - s->start + 1;
    else if (s->kind == REQ_ENTRIES)
        ct_sched_push_retry(lr, s->start, s->end);
    if (s->kind == REQ_ISSUER && lr->iss_idx >= 0) {
        lr->issuers[lr->iss_idx].state = retiring ? ISS_FAILED : ISS_MISSING;
        lr->iss_idx = -1;
        if (retiring)
            ct_iss_unpark(lr);
    }
    /* a partial tile may have been replaced by a full one: look again */
    if (s->kind == REQ_ENTRIES && s->status == 404 && lr->api == CT_API_STATIC)
        lr->next_sth_ms = 0;
    lr->not_before_ms = mono_ms() + delay;
    if (lr->fail_streak++ == 0) {
        lr->failing_since_ms = mono_ms();
        /* pump decides then, also if a request is stalled by then */
        if (lr->src->cfg.give_up_ms && lr->src->ctx)
            lws_sul_schedule(lr->src->ctx, 0, &lr->give_up_timer,
                             give_up_cb, (lws_usec_t)lr->src->cfg.give_up_ms
                             * LWS_US_PER_MS);
    }
    lr->fail_total++;
    stats_add(&stats.ct_fetch_errors, 1);
    snprintf(lr->last_error, sizeof lr->last_error, "%s %s",
             what[lr->api == CT_API_STATIC][s->kind], why);
    if (retiring)
        log_limited(&lr->errlog, LOG_WARN, "%s: %s %s; not retried: the "
                    "log is being retired", lr->name,
                    what[lr->api == CT_API_STATIC][s->kind], why);
    else
        log_limited(&lr->errlog, LOG_WARN, "%s: %s %s; retrying in %u ms",
                    lr->name, what[lr->api == CT_API_STATIC][s->kind], why,
                    delay);
    hint_if_offline(lr->src);
}

/* A request of kind succeeded: its retry series starts over, and the log
** is no longer failing once no kind is (a checkpoint that answers does
** not make a data tile that keeps failing any better). */
void ct_sched_ok(struct log_run *lr, enum req_kind kind)
{
    lr->src->any_answered = 1;
    backoff_reset(&lr->backoff[kind]);
    for (unsigned k = 0; k < 3; k++)
        if (lr->backoff[k].failures)
            return;
    if (lr->fail_streak && mono_ms() - lr->failing_since_ms >= 30000)
        log_info("%s: answering again after %.0f s and %u failed requests",
                 lr->name, (mono_ms() - lr->failing_since_ms) / 1000.0,
                 lr->fail_streak);
    lr->fail_streak = 0;
}

static void start_log(struct log_run *lr, uint64_t tree_size)
{
    struct ct_src *src = lr->src;

    if (src->cfg.backtest)
        lr->next = src->cfg.from;
    else if (lr->has_saved)
        lr->next = lr->saved.next_index;
    else if (lr->start_now)
        lr->next = tree_size;   /* added while running: from now on */
    else if (src->cfg.start == CT_START_OLDEST)
        lr->next = 0;
    else if (src->cfg.start == CT_START_INDEX)
        lr->next = src->cfg.start_index;
    else {
        lr->next = tree_size;
        lr->start_unread = 1;
    }
    lr->tracker = ct_tracker_new(lr->next, TRACKER_WINDOW);
    if (!lr->tracker) {
        lr->skip = 1;
        log_error("%s: out of memory", lr->name);
        return;
    }
    ct_tracker_on_advance(lr->tracker, ct_commit_on_advance, src);
    lr->committed = lr->next;
    lr->started = 1;
    log_info("%s: reading from entry %" PRIu64 " (tree size %" PRIu64 ")",
             lr->name, lr->next, tree_size);
}

/* The first tree head of a run is smaller than the saved position: the
** log shrank, or the position was saved from a tree head it no longer
** stands by (before tree heads were checked, a lie could be saved).
** Reading waits for the log to grow past the position; the user must
** know, since the status line alone shows no lag. Said once per log. */
static void check_shrink(struct log_run *lr, uint64_t tree_size)
{
    char path[1200];

    if (lr->started || !lr->has_saved || lr->warned_shrink ||
        tree_size >= lr->saved.next_index)
        return;
    lr->warned_shrink = 1;
    stats_add(&stats.net_faults, 1);
    if (ct_state_path(lr->src->state_dir, lr->url, path, sizeof path) < 0)
        snprintf(path, sizeof path, "its file in the state directory");
    log_warn("%s: the log has %" PRIu64 " entries, fewer than the saved "
             "position %" PRIu64 "; waiting for it to grow (if that "
             "position came from a false tree head, remove %s to start "
             "over)", lr->name, tree_size, lr->saved.next_index, path);
}

void ct_sched_on_sth(struct log_run *lr, struct slot *s, const char *body,
                     size_t len)
{
    struct ct_sth sth;
    char err[256];

    int bad = lr->api == CT_API_STATIC
        ? ct_checkpoint_parse(body, len, lr->origin[0] ? lr->origin : NULL,
                              lr->has_log_id ? lr->log_id : NULL, &sth, NULL,
                              0, err, sizeof err)
        : ct_sth_parse_json(body, len, &sth, err, sizeof err);

    if (bad < 0) {
        ct_sched_fail(lr, s, err);
        return;
    }
    if (lr->key && ct_sth_verify(&sth, lr->key, lr->key_len, err,
                                 sizeof err) < 0) {
        ct_sched_fail(lr, s, err);
        return;
    }
    if (sth.tree_size > CT_MAX_TREE_SIZE) {
        /* no log is near this; believing it would start (and save) a
        ** position no log will ever reach */
        snprintf(err, sizeof err, "tree size %" PRIu64 " not plausible "
                 "(over 2^%d)", sth.tree_size, CT_MAX_TREE_BITS);
        stats_add(&stats.net_faults, 1);
        ct_sched_fail(lr, s, err);
        return;
    }
    ct_sched_ok(lr, s->kind);
    check_shrink(lr, sth.tree_size);
    if (sth.tree_size > lr->target_seen)
        lr->target_seen = sth.tree_size;
    if (lr->probing) {
        lr->probing = 0;
        log_info("%s: %s log", lr->name, lr->api == CT_API_STATIC
                 ? "static-ct-api" : "RFC 6962");
    }
    if (!lr->started && !atomic_load(&lr->retiring))
        start_log(lr, sth.tree_size);
    if (ct_target_update(&lr->target, sth.tree_size))
        lr->sth_timestamp_ms = (int64_t)sth.timestamp_ms;
    if (lr->src->cfg.backtest && lr->stop_at > lr->target &&
        !lr->warned_short) {
        lr->warned_short = 1;
        log_warn("%s: --to %" PRIu64 " is past the end of the log (%" PRIu64
                 " entries): waiting for it to grow", lr->name,
                 lr->stop_at - 1, lr->target);
    }
    lr->next_sth_ms = mono_ms() + lr->src->cfg.poll_ms;
}

static struct slot *free_slot(struct log_run *lr)
{
    for (unsigned k = 0; k < lr->src->cfg.parallel; k++)
        if (!lr->fetch[k].busy)
            return &lr->fetch[k];
    return NULL;
}

/* How far the log may be read now: the tree size or the end of the
** range, and for a tiled log not into a young partial tile. */
static uint64_t read_limit(struct log_run *lr)
{
    uint64_t limit;

    if (!lr->started)
        return 0;
    limit = lr->target < lr->stop_at ? lr->target : lr->stop_at;
    if (lr->api == CT_API_STATIC && !lr->probing)
        limit = ct_tail_limit(&lr->tail, lr->next, limit,
                              lr->stop_at <= lr->target, ct_wall_ms(),
                              lr->sth_timestamp_ms);
    return limit;
}

/* Backtest: the log has failed every request for give_up_ms. Stops
** reading it: requests in flight are cancelled, tiles waiting for issuers
** go out without them, and the entries of the range that were not read
** are logged as an error and kept in gave_up_msg for the exit status.
** What was read is still delivered (pump drains the outbox). */
static void abandon(struct log_run *lr, int64_t now)
{
    struct ct_src *src = lr->src;
    /* stop_at 0: a read-only log with an empty final tree, nothing to read */
    uint64_t lo = UINT64_MAX, hi = 0, unread = 0,
             last = lr->stop_at ? lr->stop_at - 1 : 0;
    char dur[32];

    lr->gave_up = 1;
    for (unsigned k = 0; k < MAX_PARALLEL; k++)
        ct_http_cancel(&lr->fetch[k]);
    ct_http_cancel(&lr->sth);
    ct_http_cancel(&lr->iss);
    lr->iss_idx = -1;
    for (size_t i = 0; i < lr->n_issuers; i++)
        if (lr->issuers[i].state != ISS_OK)
            lr->issuers[i].state = ISS_FAILED;
    ct_iss_unpark(lr);
    if (!lr->started)
        lr->next = src->cfg.from;
    for (size_t i = 0; i < lr->retry_n; i++) {
        struct range r = lr->retry[i];
        if (r.end > last)
            r.end = last;
        if (r.start > r.end || !lr->stop_at)
            continue;
        lo = r.start < lo ? r.start : lo;
        hi = r.end > hi ? r.end : hi;
        unread += r.end - r.start + 1;
    }
    lr->retry_n = 0;
    if (lr->stop_at && lr->next <= last) {
        lo = lr->next < lo ? lr->next : lo;
        hi = last;
        unread += last - lr->next + 1;
    }
    ct_status_fmt_duration(dur, sizeof dur, now - lr->failing_since_ms);
    if (unread == 0)
        snprintf(lr->gave_up_msg, sizeof lr->gave_up_msg, "%s: gave up "
                 "after %s of errors (last: %s); every entry was read",
                 lr->name, dur, lr->last_error);
    else if (unread == hi - lo + 1)
        snprintf(lr->gave_up_msg, sizeof lr->gave_up_msg, "%s: gave up "
                 "after %s of errors (last: %s); entries %" PRIu64 "..%"
                 PRIu64 " not read", lr->name, dur, lr->last_error, lo, hi);
    else
        snprintf(lr->gave_up_msg, sizeof lr->gave_up_msg, "%s: gave up "
                 "after %s of errors (last: %s); %" PRIu64 " entries "
                 "between %" PRIu64 " and %" PRIu64 " not read", lr->name,
                 dur, lr->last_error, unread, lo, hi);
    log_error("%s", lr->gave_up_msg);
}

/* Does whatever the log can do now: deliver, ask for a tree head, start
** fetches; else arranges to be called again. */
void ct_sched_pump(struct log_run *lr)
{
    struct ct_src *src = lr->src;
    int64_t now, wait;
    uint64_t limit;

    if (lr->skip || lr->done || src->stop)
        return;
    if (!ct_src_drain_outbox(lr))
        return;
    now = mono_ms();
    if (!lr->gave_up && src->cfg.give_up_ms && lr->fail_streak &&
        now - lr->failing_since_ms >= (int64_t)src->cfg.give_up_ms) {
        abandon(lr, now);
        if (!ct_src_drain_outbox(lr))
            return;
    }
    if (lr->gave_up) {
        if (lr->n_parked == 0 && lr->n_converting == 0) {
            lr->done = 1;
            lws_cancel_service(src->ctx);
        }
        return;
    }
    if (!lr->started && atomic_load(&lr->retiring)) {
        /* retired before its first tree head: nothing was read */
        if (!lr->sth.busy) {
            lr->done = 1;
            lws_cancel_service(src->ctx);
        }
        return;
    }
    if (now < lr->not_before_ms) {
        schedule_wake(lr, lr->not_before_ms - now);
        return;
    }
    limit = read_limit(lr);
    if (!lr->sth.busy && now >= lr->next_sth_ms &&
        (!lr->started || (lr->next >= limit && lr->retry_n == 0 &&
                          lr->next < lr->stop_at))) {
        if ((wait = ct_rate_take(&lr->rate, now)) > 0) {
            schedule_wake(lr, wait);
            return;
        }
        ct_http_issue(lr, &lr->sth, REQ_STH, 0, 0);
        if (!lr->started)
            return;
    }
    if (!lr->started)
        return;
    if (!lr->iss.busy && lr->iss_idx < 0) {
        for (size_t i = 0; i < lr->n_issuers; i++)
            if (lr->issuers[i].state == ISS_MISSING) {
                if ((wait = ct_rate_take(&lr->rate, now)) > 0) {
                    schedule_wake(lr, wait);
                    return;
                }
                lr->issuers[i].state = ISS_FETCHING;
                lr->iss_idx = (long)i;
                ct_http_issue(lr, &lr->iss, REQ_ISSUER, 0, 0);
                if (lr->done || src->stop)
                    return;
                break;
            }
    }
    while (lr->n_busy < src->cfg.parallel) {
        struct slot *s = free_slot(lr);
        uint64_t start, end, tlimit = ct_tracker_limit(lr->tracker);
        unsigned cap = lr->api == CT_API_STATIC ? CT_TILE_WIDTH
                                                : lr->batch.cap;

        if (!s)
            break;
        if (lr->retry_n > 0) {
            struct range r = lr->retry[--lr->retry_n];
            start = r.start;
            end = r.end - r.start + 1 > cap ? r.start + cap - 1 : r.end;
            if (end < r.end)
                ct_sched_push_retry(lr, end + 1, r.end);
        } else if ((limit = read_limit(lr)) > lr->next &&
                   lr->next < tlimit) {
            ct_next_range(lr->next, limit < tlimit ? limit : tlimit, cap,
                          &start, &end);
            lr->next = end + 1;
        } else {
            break;
        }
        if ((wait = ct_rate_take(&lr->rate, now)) > 0) {
            ct_sched_push_retry(lr, start, end);
            schedule_wake(lr, wait);
            return;
        }
        ct_http_issue(lr, s, REQ_ENTRIES, start, end);
        if (lr->done || src->stop)
            return;
    }
    if (lr->n_busy == 0 && !lr->sth.busy && lr->retry_n == 0 &&
        lr->out_n == 0 && lr->n_converting == 0 && lr->n_parked == 0 &&
        !lr->iss.busy &&
        lr->next >= lr->stop_at) {
        lr->done = 1;           /* backtest range or readonly log read */
        lws_cancel_service(src->ctx);
        return;
    }
    if (!lr->sth.busy && lr->next >= limit) {
        int64_t in_ms = lr->next_sth_ms - now,
                tail_ms = ct_tail_due_in_ms(&lr->tail, ct_wall_ms());
        schedule_wake(lr, tail_ms >= 0 && tail_ms < in_ms ? tail_ms : in_ms);
    }
}
