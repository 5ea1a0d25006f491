/*
** ct_source.c: reading CT logs directly, as a message source.
**
** Everything here runs on the thread that calls run(), inside one
** libwebsockets client context, except ct_source_done (any thread) and
** the queue's room callback (a worker thread); both only poke the loop
** with lws_cancel_service.
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

#include "backoff.h"
#include "ct/ct_base64.h"
#include "ct/ct_entry.h"
#include "ct/ct_message.h"
#include "ct/ct_policy.h"
#include "ct/ct_source.h"
#include "ct/ct_state.h"
#include "ct/ct_sth.h"
#include "ct/ct_tiles.h"
#include "log.h"
#include "mono_clock.h"
#include "stats.h"

#define MAX_PARALLEL 16
#define TRACKER_WINDOW (1u << 16)
#define MAX_LOGS (1u << 15)
/* A tree head larger than this is refused: the largest logs hold a few
** billion entries (2^32), this leaves room for a thousand times that. */
#define CT_MAX_TREE_BITS 42
/* Issuer certificates of a tiled log: at most this many cached (real logs
** have tens to hundreds), at most CT_TILE_NEW_ISSUERS new per tile; the
** index has twice the slots, a power of two. */
#define CT_ISSUERS_MAX 4096u
#define CT_TILE_NEW_ISSUERS 128u
#define CT_ISSUER_SLOTS (2 * CT_ISSUERS_MAX)
#define CT_MAX_TREE_SIZE ((uint64_t)1 << CT_MAX_TREE_BITS)

/* A tree head (get-sth or checkpoint), entries (get-entries or a data
** tile), or an issuer certificate (static-ct-api). */
enum req_kind { REQ_STH, REQ_ENTRIES, REQ_ISSUER };

enum issuer_state { ISS_MISSING, ISS_FETCHING, ISS_OK, ISS_FAILED };

/* An issuer certificate of a tiled log, by SHA-256. */
struct issuer {
    uint8_t fp[32];
    uint8_t *der;
    size_t len;
    enum issuer_state state;
};

/* A data tile waiting for issuer certificates before its entries
** [start, end] can become messages. */
struct parked {
    struct ct_tile tile;
    uint64_t start, end;
    unsigned budget;                    /* issuers it may still add */
};

/* One request in flight (or a free slot). */
struct slot {
    struct log_run *lr;
    int busy;
    enum req_kind kind;
    uint64_t start, end;                /* entries, inclusive */
    unsigned width;                     /* tiles: entries in the tile */
    struct lws *wsi;
    char *body;
    size_t len, cap;
    int status;
    int64_t retry_after_ms;
    int gzip;
    int too_big;
    char tls_error[96];                 /* why the certificate failed */
    lws_sorted_usec_list_t timeout;
};

struct pending {
    char *data;
    size_t len;
    uint64_t seq;
};

struct range {
    uint64_t start, end;
};

struct log_run {
    struct ct_src *src;
    unsigned id;                        /* the slot in seq */
    char *name, *url, *errwhat;
    char host[256];
    char base_path[1024];
    int port, tls;
    int skip;                           /* not fetched */
    enum ct_log_api api;
    int probing;                        /* API unknown: get-sth, then
                                           checkpoint, until one answers */
    char origin[512];                   /* tiled: checkpoint origin */
    uint8_t log_id[32];
    int has_log_id;
    struct issuer *issuers;             /* the cache, by arrival */
    size_t n_issuers, cap_issuers;
    uint32_t *iss_slots;                /* index of issuers by fingerprint */
    uint64_t iss_seed;
    int warned_issuers;                 /* a bound on issuers was hit */
    struct parked *parked;
    size_t n_parked;
    struct slot iss;                    /* one issuer fetch at a time */
    long iss_idx;                       /* issuer being fetched, or -1 */
    uint8_t *key;                       /* SPKI to verify tree heads */
    size_t key_len;
    int has_saved;
    struct ct_position saved;
    int started;
    uint64_t next, target, stop_at;
    int64_t sth_timestamp_ms;
    struct ct_tracker *tracker;
    uint64_t committed;
    int64_t last_commit_ms;
    struct ct_rate rate;
    struct backoff backoff[3];          /* per enum req_kind: a tree head
                                           that answers must not reset the
                                           series of a tile that fails */
    struct ct_batch batch;
    int64_t not_before_ms, next_sth_ms;
    struct slot sth;
    struct slot fetch[MAX_PARALLEL];
    unsigned n_busy;
    struct pending *out;
    size_t out_n, out_cap, out_head;
    struct range *retry;
    size_t retry_n, retry_cap;
    struct log_budget errlog;
    struct ct_tail tail;                /* tiled: partial tile waiting */
    int warned_short;                   /* backtest past the tree said */
    int warned_shrink;                  /* a tree below the position said */
    uint64_t target_seen;               /* largest tree head of this run */
    int start_unread;                   /* the position is the "now" start
                                           point, not yet read past */
    int gave_up;                        /* backtest: abandoned (give_up_ms) */
    char gave_up_msg[400];              /* why, and which entries are unread */
    /* for the status line */
    unsigned fail_streak;               /* failed requests since a success */
    int64_t failing_since_ms;
    uint64_t fail_total;
    char last_error[160];
    uint64_t entries, entries_at_status;
    lws_sorted_usec_list_t wake;
    lws_sorted_usec_list_t give_up_timer;
    lws_sorted_usec_list_t commit_timer;
    int done;
};

struct ct_src {
    struct source base;
    struct ct_source_config cfg;
    char *state_dir, *ca_file, *user_agent;
    char *issuer_dir;                   /* <state_dir>/issuers, or NULL */
    struct log_run *logs;
    size_t n;
    int lock_fd;
    struct lws_context *ctx;
    struct intake *in;
    volatile sig_atomic_t stop;
    atomic_int poked;
    int destroying;             /* closing connections is not an error */
    lws_sorted_usec_list_t status_timer;
    int64_t status_ms;
    lws_sorted_usec_list_t publish_timer;
    int any_answered;           /* some log answered a request */
    int offline_hinted;         /* the offline hint was given */
};

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

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pump(struct log_run *lr);
static void fmt_duration(char *buf, size_t n, int64_t ms);

/* ---- commits ------------------------------------------------------ */

static void maybe_commit(struct log_run *lr, int force);

static void commit_cb(lws_sorted_usec_list_t *sul)
{
    maybe_commit(lws_container_of(sul, struct log_run, commit_timer), 0);
}

/* Saves the watermark if it moved and the interval passed (or force);
** if it moved too soon, arranges to save it when the interval is over. */
static void maybe_commit(struct log_run *lr, int force)
{
    struct ct_src *src = lr->src;
    struct ct_position pos;
    char err[512];
    uint64_t w;
    int64_t now = mono_ms();

    if (!src->state_dir || src->cfg.backtest || !lr->started)
        return;
    w = ct_tracker_watermark(lr->tracker);
    if (w == lr->committed && lr->has_saved)
        return;
    /* the "now" start point is the log's word, not something read: saved
    ** only once entries past it were, so a false tree head is not kept */
    if (lr->start_unread && w == lr->committed)
        return;
    lr->start_unread = 0;
    if (!force && now - lr->last_commit_ms < (int64_t)src->cfg.commit_interval_ms) {
        if (src->ctx && !src->destroying)
            lws_sul_schedule(src->ctx, 0, &lr->commit_timer, commit_cb,
                             (lws_usec_t)(lr->last_commit_ms +
                                          src->cfg.commit_interval_ms - now + 1)
                             * LWS_US_PER_MS);
        return;
    }
    pos.next_index = w;
    pos.tree_size = lr->target;
    pos.sth_timestamp_ms = lr->sth_timestamp_ms;
    if (ct_state_save(src->state_dir, lr->url, &pos, err, sizeof err) < 0) {
        log_limited(&lr->errlog, LOG_ERROR, "%s: cannot save position: %s",
                    lr->name, err);
        return;
    }
    lr->committed = w;
    lr->has_saved = 1;
    lr->last_commit_ms = now;
}

/* The tracker moved: tell the loop, once until it looks. */
static void on_advance(void *arg, uint64_t watermark)
{
    struct ct_src *src = arg;

    (void)watermark;
    if (!atomic_exchange(&src->poked, 1) && src->ctx)
        lws_cancel_service(src->ctx);
}

static void on_room(void *arg)
{
    on_advance(arg, 0);
}

void ct_source_done(struct source *s, uint64_t seq)
{
    struct ct_src *src = (struct ct_src *)s;
    unsigned slot = ct_seq_slot(seq);

    if (slot >= src->n || !src->logs[slot].tracker)
        return;
    ct_tracker_complete(src->logs[slot].tracker, ct_seq_index(seq));
}

/* ---- requests ----------------------------------------------------- */

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    pump(lws_container_of(sul, struct log_run, wake));
}

static void schedule_wake(struct log_run *lr, int64_t in_ms)
{
    if (in_ms < 1)
        in_ms = 1;
    lws_sul_schedule(lr->src->ctx, 0, &lr->wake, wake_cb,
                     (lws_usec_t)in_ms * LWS_US_PER_MS);
}

static void push_retry(struct log_run *lr, uint64_t start, uint64_t end)
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
    pump(lws_container_of(sul, struct log_run, give_up_timer));
}

/* Once every log has failed and none has ever answered (no network, or
** the log hosts blocked), one line says so and what works offline. */
static void hint_if_offline(struct ct_src *src)
{
    if (src->any_answered || src->offline_hinted)
        return;
    for (size_t i = 0; i < src->n; i++)
        if (src->logs[i].fail_total == 0)
            return;
    src->offline_hinted = 1;
    log_warn("none of the %zu CT log%s answered (last: %s: %s); certmon "
             "keeps trying. Without a network, try the bundled demo feed: "
             "certmon --replay scripts/demo/demo.jsonl", src->n,
             src->n == 1 ? "" : "s", src->logs[src->n - 1].name,
             src->logs[src->n - 1].last_error);
}

static void fail_request(struct log_run *lr, struct slot *s, const char *why)
{
    unsigned delay = ct_retry_delay_ms(
        backoff_next_ms(&lr->backoff[s->kind], mono_ms()), s->retry_after_ms,
        lr->src->cfg.backoff_max_ms * ct_retry.retry_after_cap);

    static const char *what[2][3] = {
        { "tree head", "get-entries", "issuer" },
        { "checkpoint", "data tile", "issuer" },
    };

    if (s->kind == REQ_ENTRIES)
        push_retry(lr, s->start, s->end);
    if (s->kind == REQ_ISSUER && lr->iss_idx >= 0) {
        lr->issuers[lr->iss_idx].state = ISS_MISSING;
        lr->iss_idx = -1;
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
    log_limited(&lr->errlog, LOG_WARN, "%s: %s %s; retrying in %u ms",
                lr->name, what[lr->api == CT_API_STATIC][s->kind], why,
                delay);
    hint_if_offline(lr->src);
}

/* A request of kind succeeded: its retry series starts over, and the log
** is no longer failing once no kind is (a checkpoint that answers does
** not make a data tile that keeps failing any better). */
static void note_ok(struct log_run *lr, enum req_kind kind)
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

/* Offers the outbox to the queue without waiting. Returns 1 if it is
** empty afterwards. */
static int drain_outbox(struct log_run *lr)
{
    struct ct_src *src = lr->src;

    while (lr->out_head < lr->out_n) {
        struct pending *p = &lr->out[lr->out_head];
        enum intake_result r = intake_deliver(src->in, p->data, p->len,
                                              p->seq, 0);

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

static int outbox_add(struct log_run *lr, const char *data, size_t len,
                      uint64_t seq)
{
    struct pending *p;

    if (lr->out_n == lr->out_cap) {
        size_t nc = lr->out_cap ? lr->out_cap * 2 : 256;
        p = realloc(lr->out, nc * sizeof *p);
        if (!p)
            return -1;
        lr->out = p;
        lr->out_cap = nc;
    }
    p = &lr->out[lr->out_n];
    if (!(p->data = malloc(len)))
        return -1;
    memcpy(p->data, data, len);
    p->len = len;
    p->seq = seq;
    lr->out_n++;
    return 0;
}

/* Bench-only ceiling (CERTMON_CT_CEILING=1 with CERTMON_BENCH=1, read
** once): counts a fetched, decoded entry as done without converting or
** queueing it, so make bench measures fetching and decoding alone. Returns
** 1 when the entry was consumed that way. */
static int ceiling_consume(struct log_run *lr, uint64_t index)
{
    static int on = -1;

    if (on < 0) {
        const char *v = getenv("CERTMON_CT_CEILING");
        on = stats_bench_on && v && strcmp(v, "1") == 0;
    }
    if (!on)
        return 0;
    stats_bench_begin(mono_ns());
    stats_bench_end();
    ct_tracker_complete(lr->tracker, index);
    return 1;
}

/* Turns one entry into its message and queues it in the log's outbox. An
** entry that cannot be converted (or queued) is counted, logged through
** budget, and marked done so it never holds the watermark back. jb is the
** caller's scratch buffer. */
static void deliver_entry(struct log_run *lr, const struct ct_entry *e,
                          uint64_t index, const struct ct_message_log *ml,
                          const struct ct_bytes *chain, size_t n_chain,
                          int64_t seen, struct json_buf *jb,
                          struct log_budget *budget)
{
    enum x509_msg_result r;
    char err[256];

    if (ceiling_consume(lr, index))
        return;
    if (e->n_chain_dropped)
        stats_add(&stats.net_faults, 1);
    jb_reset(jb);
    r = ct_message_build(e, index, ml, chain, n_chain, seen,
                         lr->src->cfg.full, jb, err, sizeof err);
    if (r == X509_MSG_CHAIN_SKIPPED)
        log_limited(budget, LOG_WARN, "%s: %s", lr->name, err);
    if (r == X509_MSG_ERROR ||
        outbox_add(lr, jb->data, jb->len, ct_seq_make(lr->id, index)) < 0) {
        stats_add(&stats.parse_errors, 1);
        log_limited(budget, LOG_WARN, "%s: entry %" PRIu64 ": %s", lr->name,
                    index, r == X509_MSG_ERROR ? err : "out of memory");
        ct_tracker_complete(lr->tracker, index);
    }
}

static void on_entries(struct log_run *lr, struct slot *s, const char *body,
                       size_t len)
{
    static struct log_budget conv_log = LOG_BUDGET_INIT(5, "entry errors");
    struct ct_entry_list l;
    struct ct_message_log ml = { lr->name, lr->url, CT_API_RFC6962 };
    struct json_buf jb;
    char err[256];
    uint64_t asked = s->end - s->start + 1, i;
    int64_t seen = wall_ms();

    if (ct_entries_parse_json(body, len, &l, err, sizeof err) < 0) {
        fail_request(lr, s, err);
        return;
    }
    if (l.n == 0 || l.n > asked) {
        /* read l.n before the free zeroes it */
        const char *why = l.n ? "more entries than asked for"
                              : "no entries for a non-empty range";
        if (l.n)
            stats_add(&stats.net_faults, 1);
        ct_entry_list_free(&l);
        fail_request(lr, s, why);
        return;
    }
    if (l.n < asked) {
        push_retry(lr, s->start + l.n, s->end);
        ct_batch_observe(&lr->batch, s->start, (unsigned)asked, (unsigned)l.n);
    }
    note_ok(lr, s->kind);
    lr->entries += l.n;
    stats_add(&stats.ct_entries, l.n);
    jb_init(&jb);
    for (i = 0; i < l.n; i++)
        deliver_entry(lr, &l.entries[i], s->start + i, &ml, NULL, 0, seen,
                      &jb, &conv_log);
    jb_free(&jb);
    ct_entry_list_free(&l);
}

/* Where fp's search starts in the issuer index: a hash of all 32 bytes
** under the log's secret seed, since a hostile log chooses the
** fingerprints and could otherwise pile them into one chain of slots. */
static size_t issuer_slot(const struct log_run *lr, const uint8_t *fp)
{
    uint64_t h = lr->iss_seed, w;

    for (int i = 0; i < 4; i++) {
        memcpy(&w, fp + 8 * i, 8);
        h ^= w;
        h *= 0x9e3779b97f4a7c15ull;
        h ^= h >> 31;
    }
    return (size_t)h & (CT_ISSUER_SLOTS - 1);
}

/* The cached issuer with fingerprint fp, or NULL: one probe sequence of
** the open-addressing index (slots hold index + 1, 0 is empty). */
static struct issuer *find_issuer(struct log_run *lr, const uint8_t *fp)
{
    size_t i;

    if (!lr->iss_slots)
        return NULL;
    for (i = issuer_slot(lr, fp); lr->iss_slots[i];
         i = (i + 1) & (CT_ISSUER_SLOTS - 1)) {
        struct issuer *is = &lr->issuers[lr->iss_slots[i] - 1];
        if (memcmp(is->fp, fp, 32) == 0)
            return is;
    }
    return NULL;
}

/* Adds fp (not yet cached) as ISS_MISSING. NULL when the cache is full
** (CT_ISSUERS_MAX) or out of memory. */
static struct issuer *add_issuer(struct log_run *lr, const uint8_t *fp)
{
    struct issuer *is;
    size_t i;

    if (lr->n_issuers >= CT_ISSUERS_MAX)
        return NULL;
    if (!lr->iss_slots &&
        !(lr->iss_slots = calloc(CT_ISSUER_SLOTS, sizeof *lr->iss_slots)))
        return NULL;
    if (lr->n_issuers == lr->cap_issuers) {
        size_t nc = lr->cap_issuers ? lr->cap_issuers * 2 : 16;
        struct issuer *p = realloc(lr->issuers, nc * sizeof *p);
        if (!p)
            return NULL;
        lr->issuers = p;
        lr->cap_issuers = nc;
    }
    is = &lr->issuers[lr->n_issuers++];
    memset(is, 0, sizeof *is);
    memcpy(is->fp, fp, 32);
    is->state = ISS_MISSING;
    for (i = issuer_slot(lr, fp); lr->iss_slots[i];
         i = (i + 1) & (CT_ISSUER_SLOTS - 1))
        ;
    lr->iss_slots[i] = (uint32_t)lr->n_issuers;
    return is;
}

/* Makes sure every chain fingerprint of tile entries [from, n) is known;
** loads cached ones from disk. *budget is how many issuers this tile may
** still add to the cache: past it (or past CT_ISSUERS_MAX for the log)
** a fingerprint is not fetched and the chain goes out without it, so a
** log naming thousands of issuers costs a bounded number of requests.
** Returns 1 if all are resolved (OK, FAILED or not cached), 0 if some
** must be fetched. */
static int need_issuers(struct log_run *lr, const struct ct_tile *t,
                        size_t from, unsigned *budget)
{
    int all = 1;

    for (size_t i = from; i < t->n; i++)
        for (size_t k = 0; k < t->entries[i].n_chain_fps; k++) {
            const uint8_t *fp = t->entries[i].chain_fps + 32 * k;
            struct issuer *is = find_issuer(lr, fp);

            if (!is) {
                if (*budget == 0 || !(is = add_issuer(lr, fp))) {
                    if (!lr->warned_issuers) {
                        lr->warned_issuers = 1;
                        stats_add(&stats.net_faults, 1);
                        log_warn("%s: tile names more issuers than %s (%u): "
                                 "chains will lack the others", lr->name,
                                 *budget ? "the cache holds" : "one tile may add",
                                 *budget ? CT_ISSUERS_MAX : CT_TILE_NEW_ISSUERS);
                    }
                    continue;
                }
                (*budget)--;
                if (lr->src->issuer_dir &&
                    ct_issuer_load(lr->src->issuer_dir, fp, &is->der,
                                   &is->len, NULL, 0) == 1)
                    is->state = ISS_OK;
            }
            if (is->state == ISS_MISSING || is->state == ISS_FETCHING)
                all = 0;
        }
    return all;
}

/* Turns tile entries for indexes [start, end] into messages. */
static void deliver_tile(struct log_run *lr, const struct ct_tile *t,
                         uint64_t start, uint64_t end)
{
    static struct log_budget conv_log = LOG_BUDGET_INIT(5, "entry errors");
    struct ct_message_log ml = { lr->name, lr->url, CT_API_STATIC };
    uint64_t first = start - start % CT_TILE_WIDTH;
    struct json_buf jb;
    int64_t seen = wall_ms();

    jb_init(&jb);
    for (uint64_t index = start; index <= end; index++) {
        const struct ct_entry *e = &t->entries[index - first];
        struct ct_bytes chain[CT_CHAIN_MAX];
        size_t n = 0;

        for (size_t k = 0; k < e->n_chain_fps && n < CT_CHAIN_MAX; k++) {
            struct issuer *is = find_issuer(lr, e->chain_fps + 32 * k);
            if (is && is->state == ISS_OK)
                chain[n++] = (struct ct_bytes){ is->der, is->len };
        }
        deliver_entry(lr, e, index, &ml, chain, n, seen, &jb, &conv_log);
    }
    jb_free(&jb);
}

/* Delivers the parked tiles whose issuers are all resolved. */
static void unpark(struct log_run *lr)
{
    size_t i = 0;

    while (i < lr->n_parked) {
        struct parked *pk = &lr->parked[i];
        if (need_issuers(lr, &pk->tile, (size_t)(pk->start % CT_TILE_WIDTH),
                         &pk->budget) == 0) {
            i++;
            continue;
        }
        deliver_tile(lr, &pk->tile, pk->start, pk->end);
        ct_tile_free(&pk->tile);
        lr->parked[i] = lr->parked[--lr->n_parked];
    }
}

static void on_tile(struct log_run *lr, struct slot *s, const char *body,
                    size_t len)
{
    uint64_t n = s->start / CT_TILE_WIDTH;
    unsigned width = s->width, budget = CT_TILE_NEW_ISSUERS;
    struct ct_tile t;
    char err[256];
    int r;

    if (ct_tile_parse((const uint8_t *)body, len, n, width, &t, err,
                      sizeof err) < 0) {
        fail_request(lr, s, err);
        return;
    }
    note_ok(lr, s->kind);
    lr->entries += s->end - s->start + 1;
    stats_add(&stats.ct_entries, s->end - s->start + 1);
    /* only --full messages carry the chain: lite ones need no issuer */
    r = lr->src->cfg.full ? need_issuers(lr, &t, (size_t)(s->start - n *
                                                         CT_TILE_WIDTH),
                                         &budget)
                          : 1;
    if (r == 0) {
        struct parked *p = realloc(lr->parked, (lr->n_parked + 1) * sizeof *p);
        if (p) {
            lr->parked = p;
            p[lr->n_parked++] = (struct parked){ t, s->start, s->end, budget };
            return;
        }
    }
    /* all resolved (or no memory to wait: deliver what we have) */
    deliver_tile(lr, &t, s->start, s->end);
    ct_tile_free(&t);
}

static void on_issuer(struct log_run *lr, struct slot *s, const char *body,
                      size_t len)
{
    struct issuer *is = lr->iss_idx >= 0 ? &lr->issuers[lr->iss_idx] : NULL;
    char err[256];

    lr->iss_idx = -1;
    if (!is)
        return;
    note_ok(lr, s->kind);
    is->der = malloc(len ? len : 1);
    if (!is->der) {
        is->state = ISS_MISSING;
        return;
    }
    memcpy(is->der, body, len);
    is->len = len;
    is->state = ISS_OK;
    if (lr->src->issuer_dir &&
        ct_issuer_store(lr->src->issuer_dir, is->fp, is->der, len, err,
                        sizeof err) < 0) {
        /* the log served other bytes than the fingerprint names */
        log_limited(&lr->errlog, LOG_WARN, "%s: issuer: %s", lr->name, err);
        free(is->der);
        is->der = NULL;
        is->state = ISS_FAILED;
    }
    unpark(lr);
}

static void start_log(struct log_run *lr, uint64_t tree_size)
{
    struct ct_src *src = lr->src;

    if (src->cfg.backtest)
        lr->next = src->cfg.from;
    else if (lr->has_saved)
        lr->next = lr->saved.next_index;
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
    ct_tracker_on_advance(lr->tracker, on_advance, src);
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

static void on_sth(struct log_run *lr, struct slot *s, const char *body,
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
        fail_request(lr, s, err);
        return;
    }
    if (lr->key && ct_sth_verify(&sth, lr->key, lr->key_len, err,
                                 sizeof err) < 0) {
        fail_request(lr, s, err);
        return;
    }
    if (sth.tree_size > CT_MAX_TREE_SIZE) {
        /* no log is near this; believing it would start (and save) a
        ** position no log will ever reach */
        snprintf(err, sizeof err, "tree size %" PRIu64 " not plausible "
                 "(over 2^%d)", sth.tree_size, CT_MAX_TREE_BITS);
        stats_add(&stats.net_faults, 1);
        fail_request(lr, s, err);
        return;
    }
    note_ok(lr, s->kind);
    check_shrink(lr, sth.tree_size);
    if (sth.tree_size > lr->target_seen)
        lr->target_seen = sth.tree_size;
    if (lr->probing) {
        lr->probing = 0;
        log_info("%s: %s log", lr->name, lr->api == CT_API_STATIC
                 ? "static-ct-api" : "RFC 6962");
    }
    if (!lr->started)
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

/* Ends a request once: handles its outcome, frees the slot, pumps. */
static void finish(struct slot *s, const char *error)
{
    struct log_run *lr = s->lr;
    char why[64];

    if (!s->busy)
        return;
    s->busy = 0;
    if (s->kind == REQ_ENTRIES)
        lr->n_busy--;
    lws_sul_cancel(&s->timeout);
    if (s->wsi)
        lws_set_opaque_user_data(s->wsi, NULL);
    s->wsi = NULL;
    if (lr->src->destroying) {
        /* the run is over: nothing to retry, nobody to pump */
    } else if (lr->gave_up) {
        /* cancelled by abandon(): its entries count as not read */
        if (s->kind == REQ_ENTRIES)
            push_retry(lr, s->start, s->end);
        goto out;
    } else if (error) {
        fail_request(lr, s, error);
    } else if (s->too_big) {
        fail_request(lr, s, "answer over the size cap");
        if (s->kind == REQ_ENTRIES && lr->batch.cap > 1)
            lr->batch.cap /= 2;
    } else if (s->kind == REQ_STH && lr->probing && s->status == 404) {
        /* not this API: try the other one at once (after both, back off) */
        int tried_both = lr->api == CT_API_STATIC;
        lr->api = lr->api == CT_API_STATIC ? CT_API_RFC6962 : CT_API_STATIC;
        if (tried_both)
            fail_request(lr, s, "answers neither get-sth nor checkpoint");
    } else if (s->kind == REQ_ISSUER && s->status == 404) {
        /* the log does not have it: chains go out without it */
        log_limited(&lr->errlog, LOG_WARN, "%s: issuer not found (404); "
                    "chains will lack it", lr->name);
        if (lr->iss_idx >= 0)
            lr->issuers[lr->iss_idx].state = ISS_FAILED;
        lr->iss_idx = -1;
        unpark(lr);
    } else if (s->status != 200) {
        snprintf(why, sizeof why, "HTTP %d", s->status);
        fail_request(lr, s, why);
    } else {
        const char *body = s->body ? s->body : "";
        size_t len = s->len;
        uint8_t *plain = NULL;
        size_t plen;

        if (s->gzip || ct_is_gzip((const uint8_t *)body, len)) {
            char err[128];
            if (ct_gunzip((const uint8_t *)body, len,
                          lr->src->cfg.max_response_bytes, &plain, &plen,
                          err, sizeof err) < 0) {
                fail_request(lr, s, err);
                goto out;
            }
            body = (const char *)plain;
            len = plen;
        }
        if (s->kind == REQ_STH)
            on_sth(lr, s, body, len);
        else if (s->kind == REQ_ISSUER)
            on_issuer(lr, s, body, len);
        else if (lr->api == CT_API_STATIC)
            on_tile(lr, s, body, len);
        else
            on_entries(lr, s, body, len);
        free(plain);
    }
out:
    free(s->body);
    s->body = NULL;
    s->len = s->cap = 0;
    if (!lr->src->destroying && !lr->gave_up)
        pump(lr);
}

static void timeout_cb(lws_sorted_usec_list_t *sul)
{
    struct slot *s = lws_container_of(sul, struct slot, timeout);

    if (s->wsi)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    finish(s, "timed out");
}

static void issue(struct log_run *lr, struct slot *s, enum req_kind kind,
                  uint64_t start, uint64_t end)
{
    struct ct_src *src = lr->src;
    struct lws_client_connect_info i;
    char path[1200];
    unsigned width = 0;

    if (lr->api == CT_API_STATIC) {
        char tile[128], hex[65];
        uint64_t n = start / CT_TILE_WIDTH;

        if (kind == REQ_STH) {
            snprintf(path, sizeof path, "%scheckpoint", lr->base_path);
        } else if (kind == REQ_ISSUER) {
            ct_fp_hex(lr->issuers[lr->iss_idx].fp, hex);
            snprintf(path, sizeof path, "%sissuer/%s", lr->base_path, hex);
        } else {
            /* the widest tile the tree head allows: a partial one only
            ** when the full one cannot exist yet */
            width = ct_tile_width(n, lr->target);
            if (width < end - n * CT_TILE_WIDTH + 1)
                width = (unsigned)(end - n * CT_TILE_WIDTH + 1);
            ct_tile_path(tile, sizeof tile, CT_TILE_DATA, n, width);
            snprintf(path, sizeof path, "%s%s", lr->base_path, tile);
        }
    } else if (kind == REQ_STH) {
        snprintf(path, sizeof path, "%sct/v1/get-sth", lr->base_path);
    } else {
        snprintf(path, sizeof path, "%sct/v1/get-entries?start=%" PRIu64
                 "&end=%" PRIu64, lr->base_path, start, end);
    }
    memset(s, 0, sizeof *s);
    s->lr = lr;
    s->busy = 1;
    s->kind = kind;
    s->start = start;
    s->end = end;
    s->width = width;
    s->retry_after_ms = -1;
    if (kind == REQ_ENTRIES)
        lr->n_busy++;
    memset(&i, 0, sizeof i);
    i.context = src->ctx;
    i.address = lr->host;
    i.port = lr->port;
    i.path = path;
    i.host = lr->host;
    i.origin = lr->host;
    i.method = "GET";
    i.protocol = "ct-http";
    i.alpn = "http/1.1";
    i.opaque_user_data = s;
    i.pwsi = &s->wsi;
    if (lr->tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (src->cfg.insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED;
    }
    lws_sul_schedule(src->ctx, 0, &s->timeout, timeout_cb,
                     (lws_usec_t)src->cfg.timeout_ms * LWS_US_PER_MS);
    if (!lws_client_connect_via_info(&i) && s->busy) {
        s->wsi = NULL;
        finish(s, "cannot connect");
    }
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
                              lr->stop_at <= lr->target, wall_ms(),
                              lr->sth_timestamp_ms);
    return limit;
}

/* Cancels a request in flight; finish() sees lr->gave_up. */
static void cancel(struct slot *s)
{
    if (!s->busy)
        return;
    if (s->wsi)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    finish(s, "abandoned");
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
        cancel(&lr->fetch[k]);
    cancel(&lr->sth);
    cancel(&lr->iss);
    lr->iss_idx = -1;
    for (size_t i = 0; i < lr->n_issuers; i++)
        if (lr->issuers[i].state != ISS_OK)
            lr->issuers[i].state = ISS_FAILED;
    unpark(lr);
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
    fmt_duration(dur, sizeof dur, now - lr->failing_since_ms);
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
static void pump(struct log_run *lr)
{
    struct ct_src *src = lr->src;
    int64_t now, wait;
    uint64_t limit;

    if (lr->skip || lr->done || src->stop)
        return;
    if (!drain_outbox(lr))
        return;
    now = mono_ms();
    if (!lr->gave_up && src->cfg.give_up_ms && lr->fail_streak &&
        now - lr->failing_since_ms >= (int64_t)src->cfg.give_up_ms) {
        abandon(lr, now);
        if (!drain_outbox(lr))
            return;
    }
    if (lr->gave_up) {
        if (lr->n_parked == 0) {
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
        issue(lr, &lr->sth, REQ_STH, 0, 0);
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
                issue(lr, &lr->iss, REQ_ISSUER, 0, 0);
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
                push_retry(lr, end + 1, r.end);
        } else if ((limit = read_limit(lr)) > lr->next &&
                   lr->next < tlimit) {
            ct_next_range(lr->next, limit < tlimit ? limit : tlimit, cap,
                          &start, &end);
            lr->next = end + 1;
        } else {
            break;
        }
        if ((wait = ct_rate_take(&lr->rate, now)) > 0) {
            push_retry(lr, start, end);
            schedule_wake(lr, wait);
            return;
        }
        issue(lr, s, REQ_ENTRIES, start, end);
        if (lr->done || src->stop)
            return;
    }
    if (lr->n_busy == 0 && !lr->sth.busy && lr->retry_n == 0 &&
        lr->out_n == 0 && lr->n_parked == 0 && !lr->iss.busy &&
        lr->next >= lr->stop_at) {
        lr->done = 1;           /* backtest range or readonly log read */
        lws_cancel_service(src->ctx);
        return;
    }
    if (!lr->sth.busy && lr->next >= limit) {
        int64_t in_ms = lr->next_sth_ms - now,
                tail_ms = ct_tail_due_in_ms(&lr->tail, wall_ms());
        schedule_wake(lr, tail_ms >= 0 && tail_ms < in_ms ? tail_ms : in_ms);
    }
}

/* ---- status ------------------------------------------------------- */

/* "42s", "7m05s", "3h12m": how long, short enough for a status line. */
static void fmt_duration(char *buf, size_t n, int64_t ms)
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
    size_t reading = 0, failing = 0, waiting = 0;
    char fail[300], dur[32];

    if (dt <= 0)
        dt = 1;
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = &src->logs[k];
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
             src->n, reading, failing, entries, (double)delta / dt, lag_sum,
             (uint64_t)stats_get(&stats.ct_fetch_errors),
             waiting ? " paused=queue-full" : "");
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = &src->logs[k];
        uint64_t w;

        if (lr->skip)
            continue;
        fail[0] = '\0';
        if (lr->fail_streak) {
            fmt_duration(dur, sizeof dur, now - lr->failing_since_ms);
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
                     lr->gave_up ? " gave_up" : lr->done ? " done"
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

/* Every log's figures into stats.h's table, for /metrics and the
** backtest progress line, which read them from other threads. */
static void publish_logs(struct ct_src *src)
{
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = &src->logs[k];
        enum stats_ct_state st = !lr->started ? STATS_CT_NOT_STARTED
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

    publish_logs(src);
    lws_sul_schedule(src->ctx, 0, &src->publish_timer, publish_cb,
                     LWS_USEC_PER_SEC / 2);
}

/* libwebsockets' own messages: details for -v only; what matters is
** reported through the log's errors. */
static void lws_log_emit(int level, const char *line)
{
    size_t n = strlen(line);

    (void)level;
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_debug("lws: %.*s", (int)n, line);
}

/* ---- libwebsockets callback --------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct slot *s = lws_get_opaque_user_data(wsi);
    char hdr[192];

    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        struct ct_src *src = lws_context_user(lws_get_context(wsi));
        if (!src)
            break;
        atomic_store(&src->poked, 0);
        for (size_t k = 0; k < src->n; k++) {
            maybe_commit(&src->logs[k], 0);
            pump(&src->logs[k]);
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        const char *ua;
        if (!s)
            break;
        ua = s->lr->src->user_agent;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT,
                                         (const unsigned char *)ua,
                                         (int)strlen(ua), p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING,
                                         (const unsigned char *)"gzip, identity",
                                         14, p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (!s)
            break;
        s->status = (int)lws_http_client_http_response(wsi);
        if (lws_hdr_copy(wsi, hdr, sizeof hdr, WSI_TOKEN_HTTP_RETRY_AFTER) > 0)
            s->retry_after_ms = ct_retry_after_ms(hdr, wall_ms());
        if (lws_hdr_copy(wsi, hdr, sizeof hdr,
                         WSI_TOKEN_HTTP_CONTENT_ENCODING) > 0 &&
            strcasestr(hdr, "gzip"))
            s->gzip = 1;
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 16384], *px = buf + LWS_PRE;
        int lenx = (int)sizeof buf - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!s || s->too_big)
            return 0;
        if (s->len + len > s->lr->src->cfg.max_response_bytes) {
            s->too_big = 1;
            return 0;
        }
        if (s->len + len + 1 > s->cap) {
            size_t nc = s->cap ? s->cap : 65536;
            char *p;
            while (nc < s->len + len + 1)
                nc *= 2;
            if (!(p = realloc(s->body, nc))) {
                s->too_big = 1;
                return 0;
            }
            s->body = p;
            s->cap = nc;
        }
        memcpy(s->body + s->len, in, len);
        s->len += len;
        s->body[s->len] = '\0';
        return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (s)
            finish(s, NULL);
        break;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        /* keep OpenSSL's verdict; remember why, for the log */
        if (s && !len && user && !s->tls_error[0])
            snprintf(s->tls_error, sizeof s->tls_error, "%s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(
                         (X509_STORE_CTX *)user)));
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s) {
            if (s->tls_error[0])
                snprintf(hdr, sizeof hdr, "TLS failure: server certificate "
                         "rejected (%s)", s->tls_error);
            else
                snprintf(hdr, sizeof hdr, "connection failed: %s",
                         in ? (const char *)in : "unknown");
            s->wsi = NULL;
            finish(s, hdr);
        }
        return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (s) {
            s->wsi = NULL;
            finish(s, "connection closed early");
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    { "ct-http", callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- the source --------------------------------------------------- */

static int all_done(struct ct_src *src)
{
    if (!src->cfg.backtest)
        return 0;
    for (size_t k = 0; k < src->n; k++)
        if (!src->logs[k].skip && !src->logs[k].done)
            return 0;
    return 1;
}

/* After a backtest: -1 with err naming the logs given up on (each was
** logged in full when it happened), else 0. */
static int gave_up_error(struct ct_src *src, char *err, size_t errlen)
{
    size_t n = 0, first = 0;

    for (size_t k = 0; k < src->n; k++)
        if (src->logs[k].gave_up && n++ == 0)
            first = k;
    if (n == 0)
        return 0;
    /* the exit reason names the logs; their full error is above */
    if (n == 1)
        snprintf(err, errlen, "backtest incomplete: gave up on %s (see "
                 "above)", src->logs[first].name);
    else
        snprintf(err, errlen, "backtest incomplete: gave up on %zu logs, "
                 "first %s (see above)", n, src->logs[first].name);
    return -1;
}

static int src_run(struct source *s, struct intake *in, char *err,
                   size_t errlen)
{
    struct ct_src *src = (struct ct_src *)s;
    struct lws_context_creation_info info;
    int64_t now = mono_ms();

    if (in->on_full != FULL_BLOCK) {
        snprintf(err, errlen, "CT logs need the block policy: the queue "
                 "must never drop");
        return -1;
    }
    src->in = in;
    lws_set_log_level(log_get_level() >= LOG_DEBUG ? LLL_ERR | LLL_WARN
                                                   : LLL_ERR, lws_log_emit);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = src;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = src->ca_file;
    src->ctx = lws_create_context(&info);
    if (!src->ctx) {
        snprintf(err, errlen, "cannot create the HTTP client context");
        return -1;
    }
    queue_on_room(in->queue, on_room, src);
    for (size_t k = 0; k < src->n; k++) {
        struct log_run *lr = &src->logs[k];
        ct_rate_init(&lr->rate, src->cfg.requests_per_s,
                     src->cfg.requests_per_s > 1 ? src->cfg.requests_per_s : 1,
                     now);
        pump(lr);
    }
    src->status_ms = now;
    if (src->cfg.stats_interval_s)
        lws_sul_schedule(src->ctx, 0, &src->status_timer, status_cb,
                         (lws_usec_t)src->cfg.stats_interval_s *
                         LWS_USEC_PER_SEC);
    publish_cb(&src->publish_timer);
    while (!src->stop && !*in->stop && !all_done(src))
        if (lws_service(src->ctx, 0) < 0)
            break;
    publish_logs(src);
    return gave_up_error(src, err, errlen);
}

static void src_wake(struct source *s)
{
    struct ct_src *src = (struct ct_src *)s;

    src->stop = 1;
    if (src->ctx)
        lws_cancel_service(src->ctx);
}

static void free_log(struct log_run *lr)
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
    /* workers are done: commit what they finished */
    for (size_t k = 0; k < src->n; k++)
        maybe_commit(&src->logs[k], 1);
    src->destroying = 1;
    if (src->ctx)
        lws_context_destroy(src->ctx);
    for (size_t k = 0; k < src->n; k++)
        free_log(&src->logs[k]);
    free(src->logs);
    if (src->lock_fd >= 0)
        close(src->lock_fd);
    free(src->state_dir);
    free(src->issuer_dir);
    free(src->ca_file);
    free(src->user_agent);
    free(src);
}

/* Splits a normalised URL into host, port, TLS and base path. */
static int split_url(struct log_run *lr, char *err, size_t errlen)
{
    const char *p = lr->url, *host, *slash, *colon;
    size_t hl;

    lr->tls = !strncmp(p, "https://", 8);
    host = p + (lr->tls ? 8 : 7);
    slash = strchr(host, '/');
    colon = memchr(host, ':', (size_t)(slash - host));
    hl = (size_t)((colon ? colon : slash) - host);
    if (hl == 0 || hl >= sizeof lr->host || host[0] == '[') {
        snprintf(err, errlen, "%s: unsupported host", lr->url);
        return -1;
    }
    memcpy(lr->host, host, hl);
    lr->host[hl] = '\0';
    lr->port = lr->tls ? 443 : 80;
    if (colon) {
        long port = strtol(colon + 1, NULL, 10);
        if (port <= 0 || port > 65535) {
            snprintf(err, errlen, "%s: bad port", lr->url);
            return -1;
        }
        lr->port = (int)port;
    }
    snprintf(lr->base_path, sizeof lr->base_path, "%s", slash);
    return 0;
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

struct source *ct_source_new(const struct ct_source_config *c, char *err,
                             size_t errlen)
{
    struct ct_src *src = calloc(1, sizeof *src);
    char lerr[512];

    if (!src) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    src->base.name = "CT logs";
    src->base.run = src_run;
    src->base.wake = src_wake;
    src->base.destroy = src_destroy;
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
    src->logs = calloc(c->n_logs, sizeof *src->logs);
    if (!src->logs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < c->n_logs; k++, src->n++) {
        const struct ct_log *log = &c->logs[k];
        struct log_run *lr = &src->logs[k];
        size_t kl;

        lr->src = src;
        lr->id = (unsigned)k;
        lr->name = strdup(log->description);
        lr->url = strdup(log->url);
        if (!lr->name || !lr->url || split_url(lr, err, errlen) < 0)
            goto fail;
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
            lr->iss_seed = (uint64_t)wall_ms() * 0x9e3779b97f4a7c15ull ^
                           (uintptr_t)lr;
        for (unsigned q = 0; q < 3; q++)
            backoff_init(&lr->backoff[q], &(struct backoff_policy){
                             .min_ms = c->backoff_min_ms,
                             .max_ms = c->backoff_max_ms,
                             .jitter_pct = ct_retry.jitter_pct },
                         (uint64_t)wall_ms() ^ ((uint64_t)k << 32) ^ q);
        ct_batch_init(&lr->batch, c->batch);
        lr->tail.max_age_ms = c->partial_tile_age_ms;
        lr->stop_at = c->backtest ? c->to + 1 : UINT64_MAX;
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
                uint8_t id[36];
                lr->has_log_id = ct_b64_decode(log->log_id,
                                               strlen(log->log_id), id) == 32;
                if (lr->has_log_id)
                    memcpy(lr->log_id, id, 32);
            }
        }
        if (src->state_dir && !c->backtest) {
            enum ct_pos_result r = ct_state_load(src->state_dir, lr->url,
                                                 &lr->saved, lerr,
                                                 sizeof lerr);
            if (r == CT_POS_ERROR) {
                snprintf(err, errlen, "%s", lerr);
                goto fail;
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
    }
    return &src->base;
fail:
    src_free_partial(src);
    return NULL;
}
