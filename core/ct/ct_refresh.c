/*
** ct_refresh.c: the log list, fetched again while the CT source runs.
**
** A thread of its own waits refresh_s, fetches and verifies the list
** (ct_loglist_fetch_verified: the same checks and the same cache as at
** start), parses it and leaves the result in a mailbox; then it wakes the
** loop with lws_cancel_service. The loop never waits for the network: at
** its next wake-up (ct_refresh_on_poke) it applies the list. Logs the
** list now selects (ct_log_selected, shard not ended) that are not read
** are added in new slots; logs it no longer selects, or whose
** temporal_interval ended, are retired: no new request, what is in flight
** is finished, and once every message read from it is done its position
** is committed a last time and the log is left alone. Its slot is never
** given to another log (the slot is in the seq of its messages).
**
** The thread touches nothing of the source but the mailbox (under lock)
** and lws_cancel_service; stopping sets a flag that ends a fetch in
** flight, so a stop does not wait for the list server.
*/
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct/ct_loglist.h"
#include "ct/ct_loglist_fetch.h"
#include "ct/ct_source_int.h"
#include "log.h"
#include "mono_clock.h"

struct ct_refresh {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cond;                /* CLOCK_MONOTONIC */
    int stop;                           /* under lock */
    atomic_int cancel;                  /* ends a fetch in flight */
    unsigned interval_s;
    struct ct_loglist_fetch_config fc;  /* its strings below */
    char *url, *key_path, *cache_dir, *ca_file;
    struct ct_http_client *http;        /* the thread's, for its GETs */
    struct lws_context *ctx;            /* the loop's, to wake it */
    /* the mailbox, under lock: the last refresh not yet applied */
    int has_mail, mail_ok;
    struct ct_loglist mail;
    char mail_why[512];
    /* the loop's own */
    int failing;                        /* said once until one works */
    size_t n_retiring;                  /* retiring, not yet retired */
    int warned_full;                    /* MAX_LOGS reached, said */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void ct_refresh_free(struct ct_refresh *r)
{
    if (!r)
        return;
    if (r->has_mail && r->mail_ok)
        ct_loglist_free(&r->mail);
    ct_http_client_free(r->http);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->url);
    free(r->key_path);
    free(r->cache_dir);
    free(r->ca_file);
    free(r);
}

/* The refresh of c (refresh_s, refresh_fetch), its strings copied, and
** its HTTP client, made here before the CT source's own context (see
** ct_http_client_new). NULL on failure. The thread starts with
** ct_refresh_start. */
struct ct_refresh *ct_refresh_new(const struct ct_source_config *c)
{
    struct ct_refresh *r = calloc(1, sizeof *r);
    const struct ct_loglist_fetch_config *f = &c->refresh_fetch;
    pthread_condattr_t ca;

    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&r->cancel, 0);
    r->interval_s = c->refresh_s;
    r->url = dup_or_null(f->url ? f->url : CT_LOGLIST_DEFAULT_URL);
    r->key_path = dup_or_null(f->key_path);
    r->cache_dir = dup_or_null(f->cache_dir);
    r->ca_file = dup_or_null(f->ca_file);
    if (!r->url || (f->key_path && !r->key_path) ||
        (f->cache_dir && !r->cache_dir) || (f->ca_file && !r->ca_file)) {
        ct_refresh_free(r);
        return NULL;
    }
    r->fc = *f;
    r->fc.url = r->url;
    r->fc.key_path = r->key_path;
    r->fc.cache_dir = r->cache_dir;
    r->fc.ca_file = r->ca_file;
    r->fc.shipped_path = NULL;
    r->fc.cancel = &r->cancel;
    if (!(r->http = ct_http_client_new(r->ca_file))) {
        ct_refresh_free(r);
        return NULL;
    }
    r->fc.http = r->http;
    return r;
}

/* One refresh, on the thread: 0 with *list parsed from the verified,
** cached copy, or -1 with why (nothing in *list). */
static int fetch_once(struct ct_refresh *r, struct ct_loglist *list,
                      char *why, size_t whylen)
{
    char path[4096];

    memset(list, 0, sizeof *list);
    if (ct_loglist_fetch_verified(&r->fc, path, sizeof path, why,
                                  whylen) < 0)
        return -1;
    if (ct_loglist_load(path, list, why, whylen) < 0) {
        memset(list, 0, sizeof *list);
        return -1;
    }
    return 0;
}

static void *refresh_main(void *arg)
{
    struct ct_refresh *r = arg;

    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        struct timespec until;
        struct ct_loglist list;
        char why[512] = "";
        int ok;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)r->interval_s;
        while (!r->stop &&
               pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
            ;
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->lock);
        ok = fetch_once(r, &list, why, sizeof why) == 0;
        pthread_mutex_lock(&r->lock);
        if (r->has_mail && r->mail_ok)  /* not applied yet: replaced */
            ct_loglist_free(&r->mail);
        r->has_mail = 1;
        r->mail_ok = ok;
        r->mail = list;
        snprintf(r->mail_why, sizeof r->mail_why, "%s", why);
        pthread_mutex_unlock(&r->lock);
        lws_cancel_service(r->ctx);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Starts the thread once src->ctx exists. 0, or -1 (no refresh). */
int ct_refresh_start(struct ct_src *src)
{
    struct ct_refresh *r = src->refresh;
    sigset_t all, old;
    int rc;

    r->ctx = src->ctx;
    /* the thread takes no signals: they are for the source's thread */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&r->thread, NULL, refresh_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    r->started = 1;
    return 0;
}

/* Stops and joins the thread (a fetch in flight is cancelled). Safe to
** call more than once, and without a refresh. */
void ct_refresh_stop(struct ct_src *src)
{
    struct ct_refresh *r = src->refresh;

    if (!r || !r->started)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    atomic_store(&r->cancel, 1);
    pthread_join(r->thread, NULL);
    r->started = 0;
}

/* Stops reading lr: no new requests; what is in flight finishes (and is
** not retried if it fails); retired by finish_retirements once every
** message read from it is done. why says which rule retired it. */
void ct_refresh_retire(struct log_run *lr, const char *why)
{
    struct ct_src *src = lr->src;

    if (atomic_load(&lr->retiring))
        return;
    snprintf(lr->retire_why, sizeof lr->retire_why, "%s", why);
    for (size_t i = 0; i < lr->retry_n; i++)
        lr->dropped += lr->retry[i].end - lr->retry[i].start + 1;
    lr->retry_n = 0;
    if (lr->started && lr->next < lr->stop_at)
        lr->stop_at = lr->next;
    atomic_store(&lr->retiring, 1);
    if (src->refresh)
        src->refresh->n_retiring++;
    log_info("%s: %s; retiring it once what was read from it is processed",
             lr->name, why);
    ct_sched_pump(lr);
    lws_cancel_service(src->ctx);
}

/* What a retired log no longer needs: its issuer cache and request
** buffers (nothing is in flight). Its name, URL and tracker stay for the
** status figures until the source is destroyed. */
static void release_buffers(struct log_run *lr)
{
    for (size_t i = 0; i < lr->n_issuers; i++)
        free(lr->issuers[i].der);
    free(lr->issuers);
    free(lr->iss_slots);
    lr->issuers = NULL;
    lr->iss_slots = NULL;
    lr->n_issuers = lr->cap_issuers = 0;
    free(lr->sth.body);
    free(lr->iss.body);
    lr->sth.body = lr->iss.body = NULL;
    lr->sth.len = lr->sth.cap = lr->iss.len = lr->iss.cap = 0;
    for (unsigned k = 0; k < MAX_PARALLEL; k++) {
        free(lr->fetch[k].body);
        lr->fetch[k].body = NULL;
        lr->fetch[k].len = lr->fetch[k].cap = 0;
    }
    free(lr->out);              /* empty: done needs an empty outbox */
    lr->out = NULL;
    lr->out_n = lr->out_cap = lr->out_head = 0;
    free(lr->retry);
    lr->retry = NULL;
    lr->retry_n = lr->retry_cap = 0;
}

/* Retiring logs with nothing left in flight are committed a last time and
** left alone. */
static void finish_retirements(struct ct_src *src)
{
    struct ct_refresh *r = src->refresh;

    for (size_t k = 0; k < src->n && r->n_retiring; k++) {
        struct log_run *lr = src->logs[k];
        char lost[96] = "";

        if (!atomic_load(&lr->retiring) || lr->retired || !lr->done ||
            atomic_load(&lr->pending) != 0)
            continue;
        ct_commit_maybe(lr, 1);
        lr->retired = 1;
        r->n_retiring--;
        release_buffers(lr);
        if (lr->dropped)
            snprintf(lost, sizeof lost, "; %" PRIu64 " entries past it were "
                     "not read", lr->dropped);
        if (lr->started)
            log_info("%s: retired (%s) at position %" PRIu64 "%s", lr->name,
                     lr->retire_why, ct_tracker_watermark(lr->tracker), lost);
        else
            log_info("%s: retired (%s) before its first tree head",
                     lr->name, lr->retire_why);
    }
}

/* A log of the list, new to this run, in the next slot: read from its
** saved position, else from its tree size. 0, or -1 (said). */
static int add_log(struct ct_src *src, const struct ct_log *log)
{
    struct ct_refresh *r = src->refresh;
    struct log_run *lr;
    char err[512];

    if (src->n >= MAX_LOGS) {
        if (!r->warned_full)
            log_warn("log list refresh: %s not added: %u logs were read in "
                     "this run, the most one run holds; restart certmon",
                     log->description, MAX_LOGS);
        r->warned_full = 1;
        return -1;
    }
    if (!(lr = calloc(1, sizeof *lr))) {
        log_warn("log list refresh: %s not added: out of memory",
                 log->description);
        return -1;
    }
    if (ct_src_log_init(src, lr, log, (unsigned)src->n, err,
                        sizeof err) < 0) {
        log_warn("log list refresh: %s not added: %s", log->description,
                 err);
        ct_src_log_free(lr);
        free(lr);
        return -1;
    }
    lr->start_now = 1;
    ct_rate_init(&lr->rate, src->cfg.requests_per_s,
                 src->cfg.requests_per_s > 1 ? src->cfg.requests_per_s : 1,
                 mono_ms());
    src->logs[src->n++] = lr;
    /* the slot is complete before a worker can look it up */
    atomic_store_explicit(&src->n_pub, src->n, memory_order_release);
    log_info("%s: new in the log list: reading it from %s", lr->name,
             lr->has_saved ? "its saved position" : "its current tree size");
    ct_sched_pump(lr);
    return 0;
}

/* The log of src reading url, retired ones aside; NULL if none. */
static struct log_run *find_run(struct ct_src *src, const char *url)
{
    for (size_t k = 0; k < src->n; k++)
        if (!src->logs[k]->retired && strcmp(src->logs[k]->url, url) == 0)
            return src->logs[k];
    return NULL;
}

/* Applies a fresh list: retires what it no longer selects, adds what it
** selects and is not read. */
static void apply_list(struct ct_src *src, const struct ct_loglist *list)
{
    int64_t now_s = (int64_t)time(NULL);
    size_t added = 0, retired = 0, reading = 0;
    char why[96];

    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];
        const struct ct_log *l;

        if (atomic_load(&lr->retiring) || lr->skip)
            continue;
        l = ct_loglist_find(list, lr->url);
        if (!l)
            snprintf(why, sizeof why, "no longer in the log list");
        else if (!ct_log_selected(l))
            snprintf(why, sizeof why, "the log list now says it is %s",
                     ct_log_state_name(l->state));
        else if (ct_log_expired(l, now_s))
            snprintf(why, sizeof why, "its temporal_interval ended");
        else {
            /* still read: a log turned read-only stops at its end */
            if (l->has_final_tree_size && l->final_tree_size < lr->stop_at)
                lr->stop_at = l->final_tree_size;
            lr->has_interval = l->has_interval;
            lr->interval_end_s = l->interval_end_s;
            continue;
        }
        ct_refresh_retire(lr, why);
        retired++;
    }
    for (size_t i = 0; i < list->n; i++) {
        const struct ct_log *l = &list->logs[i];
        struct log_run *lr;

        if (!ct_log_selected(l) || ct_log_expired(l, now_s))
            continue;
        if ((lr = find_run(src, l->url))) {
            if (atomic_load(&lr->retiring))
                log_debug("log list refresh: %s is back in the list; read "
                          "again at a refresh after it is retired",
                          l->description);
            continue;
        }
        added += add_log(src, l) == 0;
    }
    for (size_t k = 0; k < src->n; k++)
        reading += !src->logs[k]->skip && !atomic_load(&src->logs[k]->retiring);
    if (added || retired)
        log_info("log list refresh: %zu log%s added, %zu retiring; reading "
                 "%zu (list of %s)", added, added == 1 ? "" : "s", retired,
                 reading, list->timestamp ? list->timestamp : "unknown date");
    else
        log_debug("log list refresh: no change (list of %s)",
                  list->timestamp ? list->timestamp : "unknown date");
}

/* Shards whose temporal_interval ended since the last look: nothing new
** can come, so they are retired even when the refresh failed. */
static void retire_expired(struct ct_src *src)
{
    int64_t now_s = (int64_t)time(NULL);

    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = src->logs[k];

        if (!atomic_load(&lr->retiring) && !lr->skip && lr->has_interval &&
            lr->interval_end_s <= now_s)
            ct_refresh_retire(lr, "its temporal_interval ended");
    }
}

/* At each wake-up of the loop: retirements that can end now, and the
** result of a refresh if one came. */
void ct_refresh_on_poke(struct ct_src *src)
{
    struct ct_refresh *r = src->refresh;
    struct ct_loglist list;
    char why[512];
    int has, ok;

    if (!r)
        return;
    finish_retirements(src);
    pthread_mutex_lock(&r->lock);
    has = r->has_mail;
    ok = r->mail_ok;
    list = r->mail;
    snprintf(why, sizeof why, "%s", r->mail_why);
    r->has_mail = 0;
    memset(&r->mail, 0, sizeof r->mail);
    pthread_mutex_unlock(&r->lock);
    if (!has || src->stop)
        goto done;
    if (!ok) {
        size_t n = 0;
        for (size_t k = 0; k < src->n; k++)
            n += !src->logs[k]->retired && !atomic_load(&src->logs[k]->retiring);
        if (!r->failing)
            log_warn("log list refresh: cannot use %s (%s); the %zu log%s "
                     "being read are kept (said once until a refresh works)",
                     r->url, why, n, n == 1 ? "" : "s");
        else
            log_debug("log list refresh: %s", why);
        r->failing = 1;
    } else {
        if (r->failing)
            log_info("log list refresh: %s fetched and verified again",
                     r->url);
        r->failing = 0;
        apply_list(src, &list);
    }
    retire_expired(src);
    finish_retirements(src);
done:
    if (has && ok)
        ct_loglist_free(&list);
}
