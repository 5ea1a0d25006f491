/*
** ct_source.c: reading CT logs directly, as a message source.
**
** The source object (new, run, wake, destroy) and the delivery of
** entries: each batch of entries goes to the conversion pool (ct_conv.c),
** and each message it returns waits in the log's outbox and is offered to
** the queue without blocking. The rest is in ct_sched.c (what a log does next), ct_http.c (requests), ct_issuers.c
** (tiles and issuers), ct_commit.c (the saved position) and ct_status.c
** (status lines, metrics); ct_source_int.h holds what they share.
*/
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ct/ct_base64.h"
#include "ct/ct_source_int.h"
#include "log.h"
#include "mono_clock.h"
#include "stats.h"

static const struct ct_source_config defaults = {
    .start = CT_START_NOW,
    .parallel = 2,
    .requests_per_s = 2.0,
    .batch = CT_BATCH_DEFAULT,
    .poll_ms = 10000,
    .timeout_ms = 30000,
    .backoff_min_ms = 1000,
    .backoff_max_ms = 60000,
    .max_response_bytes = 64u << 20,
    .commit_interval_ms = 1000,
    .partial_tile_age_ms = 5 * 60 * 1000,   /* certspotter's choice */
    .stats_interval_s = 60,
    .user_agent = "certmon (+https://github.com/certmon)",
};

void ct_source_config_defaults(struct ct_source_config *c)
{
    *c = defaults;
}

/* Offers the outbox to the queue without waiting. Returns 1 if it is
** empty afterwards. */
int ct_src_drain_outbox(struct log_run *lr)
{
    struct ct_src *src = lr->src;

    while (lr->out_head < lr->out_n) {
        struct pending *p = &lr->out[lr->out_head];
        enum intake_result r;

        /* counted before: a worker may be done before intake returns */
        atomic_fetch_add(&lr->pending, 1);
        r = intake_deliver(src->in, p->data, p->len, p->seq, 0);
        if (r != INTAKE_QUEUED)
            atomic_fetch_sub(&lr->pending, 1);
        if (r == INTAKE_FULL || r == INTAKE_NOMEM)
            return 0;       /* on_room (or the next event) wakes us */
        if (r == INTAKE_CLOSED) {
            src->stop = 1;
            return 0;
        }
        if (r == INTAKE_TOO_BIG)        /* counted by intake; not pending */
            ct_tracker_complete(lr->tracker, ct_seq_index(p->seq));
        free(p->data);
        p->data = NULL;
        lr->out_head++;
    }
    lr->out_head = lr->out_n = 0;
    return 1;
}

/* Appends p to the outbox, which takes its data. -1 when out of memory
** (p unchanged). */
int ct_src_outbox_put(struct log_run *lr, const struct pending *p)
{
    if (lr->out_n == lr->out_cap) {
        size_t nc = lr->out_cap ? lr->out_cap * 2 : 256;
        struct pending *o = realloc(lr->out, nc * sizeof *o);
        if (!o)
            return -1;
        lr->out = o;
        lr->out_cap = nc;
    }
    lr->out[lr->out_n++] = *p;
    return 0;
}

void ct_src_on_entries(struct log_run *lr, struct slot *s, const char *body,
                       size_t len)
{
    static struct log_budget conv_log = LOG_BUDGET_INIT(5, "entry errors");
    struct ct_entry_list l;
    struct ct_conv_job *j;
    char err[256];
    uint64_t asked = s->end - s->start + 1, i;

    if (ct_entries_parse(body, len, &l, err, sizeof err) < 0) {
        ct_sched_fail(lr, s, err);
        return;
    }
    if (l.n == 0 || l.n > asked) {
        /* read l.n before the free zeroes it */
        const char *why = l.n ? "more entries than asked for"
                              : "no entries for a non-empty range";
        if (l.n)
            stats_add(&stats.net_faults, 1);
        ct_entry_list_free(&l);
        ct_sched_fail(lr, s, why);
        return;
    }
    if (l.n < asked) {
        ct_sched_push_retry(lr, s->start + l.n, s->end);
        ct_batch_observe(&lr->batch, s->start, (unsigned)asked, (unsigned)l.n);
    }
    ct_sched_ok(lr, s->kind);
    lr->entries += l.n;
    stats_add(&stats.ct_entries, l.n);
    if (!(j = ct_conv_job_new(lr, CT_API_RFC6962, s->start, l.n, &conv_log))) {
        stats_add(&stats.parse_errors, l.n);
        log_limited(&conv_log, LOG_WARN, "%s: entries %" PRIu64 "..%" PRIu64
                    ": out of memory", lr->name, s->start, s->start + l.n - 1);
        for (i = 0; i < l.n; i++)
            ct_tracker_complete(lr->tracker, s->start + i);
        ct_entry_list_free(&l);
        return;
    }
    ct_conv_submit(j, NULL, &l, 0);
}

static int all_done(struct ct_src *src)
{
    if (!src->cfg.backtest)
        return 0;
    for (size_t k = 0; k < src->n; k++)
        if (!src->logs[k]->skip && !src->logs[k]->done)
            return 0;
    return 1;
}

/* After a backtest: -1 with err naming the logs given up on (each was
** logged in full when it happened), else 0. */
static int gave_up_error(struct ct_src *src, char *err, size_t errlen)
{
    size_t n = 0, first = 0;

    for (size_t k = 0; k < src->n; k++)
        if (src->logs[k]->gave_up && n++ == 0)
            first = k;
    if (n == 0)
        return 0;
    /* the exit reason names the logs; their full error is above */
    if (n == 1)
        snprintf(err, errlen, "backtest incomplete: gave up on %s (see "
                 "above)", src->logs[first]->name);
    else
        snprintf(err, errlen, "backtest incomplete: gave up on %zu logs, "
                 "first %s (see above)", n, src->logs[first]->name);
    return -1;
}

static int src_run(struct source *s, struct intake *in, char *err,
                   size_t errlen)
{
    struct ct_src *src = (struct ct_src *)s;
    int64_t now = mono_ms();

    if (in->on_full != FULL_BLOCK) {
        snprintf(err, errlen, "CT logs need the block policy: the queue "
                 "must never drop");
        return -1;
    }
    src->in = in;
    src->ctx = ct_http_context_new(src);
    if (!src->ctx) {
        snprintf(err, errlen, "cannot create the HTTP client context");
        return -1;
    }
    queue_on_room(in->queue, ct_commit_on_room, src);
    if (ct_conv_start(src, err, errlen) < 0)
        return -1;
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];
        ct_rate_init(&lr->rate, src->cfg.requests_per_s,
                     src->cfg.requests_per_s > 1 ? src->cfg.requests_per_s : 1,
                     now);
        ct_sched_pump(lr);
    }
    ct_status_start(src);
    if (src->refresh && ct_refresh_start(src) < 0)
        log_warn("the log list will not be refreshed while running: no "
                 "thread for it");
    while (!src->stop && !*in->stop && !all_done(src))
        if (lws_service(src->ctx, 0) < 0)
            break;
    ct_refresh_stop(src);
    ct_status_publish(src);
    return gave_up_error(src, err, errlen);
}

static void src_wake(struct source *s)
{
    struct ct_src *src = (struct ct_src *)s;

    src->stop = 1;
    if (src->ctx)
        lws_cancel_service(src->ctx);
}

void ct_src_log_free(struct log_run *lr)
{
    for (size_t i = lr->out_head; i < lr->out_n; i++)
        free(lr->out[i].data);
    free(lr->out);
    free(lr->retry);
    free(lr->sth.body);
    for (unsigned k = 0; k < MAX_PARALLEL; k++)
        free(lr->fetch[k].body);
    for (size_t i = 0; i < lr->n_parked; i++)
        ct_tile_free(&lr->parked[i].tile);
    free(lr->parked);
    for (size_t i = 0; i < lr->n_issuers; i++)
        free(lr->issuers[i].der);
    free(lr->issuers);
    free(lr->iss_slots);
    free(lr->iss.body);
    ct_tracker_free(lr->tracker);
    free(lr->key);
    free(lr->name);
    free(lr->url);
    free(lr->errwhat);
}

static void src_destroy(struct source *s)
{
    struct ct_src *src = (struct ct_src *)s;

    if (!src)
        return;
    ct_refresh_stop(src);
    ct_conv_stop(src);          /* before the context its threads poke */
    /* workers are done: commit what they finished */
    for (size_t k = 0; k < src->n; k++)
        ct_commit_maybe(src->logs[k], 1);
    src->destroying = 1;
    if (src->ctx)
        lws_context_destroy(src->ctx);
    for (size_t k = 0; k < src->n; k++) {
        ct_src_log_free(src->logs[k]);
        free(src->logs[k]);
    }
    free(src->logs);
    ct_refresh_free(src->refresh);
    if (src->lock_fd >= 0)
        close(src->lock_fd);
    free(src->state_dir);
    free(src->issuer_dir);
    free(src->ca_file);
    free(src->user_agent);
    free(src);
}

/* A typo in --ca-file is an error at start, not a TLS failure at every
** request. */
static int check_ca_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    if (!f) {
        snprintf(err, errlen, "--ca-file %s: %s", path, strerror(errno));
        return -1;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        snprintf(err, errlen, "--ca-file %s: no PEM certificate in it", path);
        return -1;
    }
    X509_free(x);
    return 0;
}

static void src_free_partial(struct ct_src *src)
{
    src_destroy(&src->base);
}

/* Everything a log needs before its first tree head: its URL split, its
** key decoded, its API, where reading stops (backtest, read-only), its
** saved position. Its allocations belong to lr (ct_src_log_free). */
int ct_src_log_init(struct ct_src *src, struct log_run *lr,
                    const struct ct_log *log, unsigned id, char *err,
                    size_t errlen)
{
    char lerr[512];
    size_t kl;

    lr->src = src;
    lr->id = id;
    lr->name = strdup(log->description);
    lr->url = strdup(log->url);
    if (!lr->name || !lr->url || ct_http_split_url(lr, err, errlen) < 0)
        return -1;
    if (log->key && (kl = strlen(log->key)) > 0 &&
        (lr->key = malloc(ct_b64_decoded_max(kl)))) {
        long n = ct_b64_decode(log->key, kl, lr->key);
        if (n <= 0) {
            free(lr->key);
            lr->key = NULL;
        } else {
            lr->key_len = (size_t)n;
        }
    }
    lr->errwhat = malloc(strlen(log->description) + 32);
    if (lr->errwhat)
        sprintf(lr->errwhat, "errors from %s", log->description);
    atomic_init(&lr->errlog.used, 0);
    lr->errlog.max = 5;
    lr->errlog.what = lr->errwhat ? lr->errwhat : "CT log errors";
    if (RAND_bytes((unsigned char *)&lr->iss_seed,
                   sizeof lr->iss_seed) != 1)
        lr->iss_seed = (uint64_t)ct_wall_ms() * 0x9e3779b97f4a7c15ull ^
                       (uintptr_t)lr;
    ct_sched_init(lr, &src->cfg, id);
    ct_batch_init(&lr->batch, src->cfg.batch);
    lr->tail.max_age_ms = src->cfg.partial_tile_age_ms;
    lr->stop_at = src->cfg.backtest ? src->cfg.to + 1 : UINT64_MAX;
    if (log->has_final_tree_size && log->final_tree_size < lr->stop_at)
        lr->stop_at = log->final_tree_size;
    lr->api = log->api;
    lr->iss_idx = -1;
    if (log->api == CT_API_UNKNOWN) {
        lr->probing = 1;
        lr->api = CT_API_RFC6962;
    }
    if (log->api == CT_API_STATIC) {
        /* origin: the submission prefix without scheme and final '/' */
        const char *sub = log->submission_url ? log->submission_url
                                              : log->url;
        const char *o = strstr(sub, "://");
        o = o ? o + 3 : sub;
        snprintf(lr->origin, sizeof lr->origin, "%s", o);
        if (lr->origin[0] && lr->origin[strlen(lr->origin) - 1] == '/')
            lr->origin[strlen(lr->origin) - 1] = '\0';
        if (log->log_id && ct_b64_decoded_max(strlen(log->log_id)) <= 35) {
            uint8_t raw[36];
            lr->has_log_id = ct_b64_decode(log->log_id,
                                           strlen(log->log_id), raw) == 32;
            if (lr->has_log_id)
                memcpy(lr->log_id, raw, 32);
        }
    }
    if (src->state_dir && !src->cfg.backtest) {
        enum ct_pos_result r = ct_state_load(src->state_dir, lr->url,
                                             &lr->saved, lerr,
                                             sizeof lerr);
        if (r == CT_POS_ERROR) {
            snprintf(err, errlen, "%s", lerr);
            return -1;
        }
        lr->has_saved = r == CT_POS_LOADED;
        if (lr->has_saved && (lr->saved.tree_size > CT_MAX_TREE_SIZE ||
                              lr->saved.next_index > CT_MAX_TREE_SIZE)) {
            /* saved before tree heads were checked: no log holds
            ** that many entries, so it was never read */
            stats_add(&stats.net_faults, 1);
            log_warn("%s: ignoring the saved position %" PRIu64
                     " (tree size %" PRIu64 "): no log is that large",
                     lr->name, lr->saved.next_index,
                     lr->saved.tree_size);
            lr->has_saved = 0;
        }
        if (lr->has_saved) {
            lr->target = lr->saved.tree_size;
            lr->sth_timestamp_ms = lr->saved.sth_timestamp_ms;
        }
    }
    lr->has_interval = log->has_interval;
    lr->interval_end_s = log->interval_end_s;
    atomic_init(&lr->retiring, 0);
    atomic_init(&lr->pending, 0);
    return 0;
}

struct source *ct_source_new(const struct ct_source_config *c, char *err,
                             size_t errlen)
{
    struct ct_src *src = calloc(1, sizeof *src);

    if (!src) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    src->base.name = "CT logs";
    src->base.run = src_run;
    src->base.wake = src_wake;
    src->base.destroy = src_destroy;
    src->base.done = ct_source_done;
    src->cfg = *c;
    src->lock_fd = -1;
    if (src->cfg.parallel == 0)
        src->cfg.parallel = 1;
    if (src->cfg.parallel > MAX_PARALLEL)
        src->cfg.parallel = MAX_PARALLEL;
    src->user_agent = strdup(c->user_agent ? c->user_agent
                                           : defaults.user_agent);
    src->ca_file = c->ca_file ? strdup(c->ca_file) : NULL;
    src->state_dir = c->state_dir ? strdup(c->state_dir) : NULL;
    src->cfg.logs = NULL;
    if (c->n_logs == 0 || c->n_logs > MAX_LOGS) {
        snprintf(err, errlen, "no CT logs to read (or too many)");
        goto fail;
    }
    if (c->ca_file && check_ca_file(c->ca_file, err, errlen) < 0)
        goto fail;
    if (c->backtest && c->to < c->from) {
        snprintf(err, errlen, "--to is before --from");
        goto fail;
    }
    if (src->state_dir && !c->backtest &&
        (ct_state_dir_prepare(src->state_dir, err, errlen) < 0 ||
         (src->lock_fd = ct_state_lock(src->state_dir, err, errlen)) < 0))
        goto fail;
    if (src->state_dir && !c->backtest) {
        size_t n = strlen(src->state_dir) + 16;
        if ((src->issuer_dir = malloc(n))) {
            snprintf(src->issuer_dir, n, "%s/issuers", src->state_dir);
            if (ct_state_dir_prepare(src->issuer_dir, NULL, 0) < 0) {
                free(src->issuer_dir);
                src->issuer_dir = NULL;
            }
        }
    }
    src->logs = calloc(MAX_LOGS, sizeof *src->logs);
    if (!src->logs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < c->n_logs; k++) {
        struct log_run *lr = calloc(1, sizeof *lr);

        if (!lr) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        src->logs[src->n++] = lr;
        if (ct_src_log_init(src, lr, &c->logs[k], (unsigned)k, err,
                            errlen) < 0)
            goto fail;
    }
    atomic_store(&src->n_pub, src->n);
    if (c->refresh_s && !c->backtest && !(src->refresh = ct_refresh_new(c))) {
        snprintf(err, errlen, "cannot set up the log list refresh (out of "
                 "memory, or no HTTP client)");
        goto fail;
    }
    /* its strings are the caller's: the refresh holds copies */
    memset(&src->cfg.refresh_fetch, 0, sizeof src->cfg.refresh_fetch);
    return &src->base;
fail:
    src_free_partial(src);
    return NULL;
}
