/*
** ct_source_int.h: what the modules of the CT source share, and only
** they (ct_source, ct_conv, ct_sched, ct_http, ct_issuers, ct_commit,
** ct_status, ct_refresh).
**
** One struct ct_src per source, one struct log_run per log, one struct
** slot per request. Everything runs on the thread of run(), inside one
** libwebsockets client context, except ct_source_done (any thread), the
** queue's room callback (a worker thread), the conversion pool's threads
** (ct_conv.c, which touch only their jobs) and the log list refresh
** thread (ct_refresh.c); they only poke the loop with lws_cancel_service
** (the refresh thread leaves its result in a mailbox under a lock).
*/
#ifndef CERTMON_CT_SOURCE_INT_H
#define CERTMON_CT_SOURCE_INT_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libwebsockets.h>

#include "backoff.h"
#include "ct/ct_entry.h"
#include "ct/ct_message.h"
#include "ct/ct_policy.h"
#include "ct/ct_source.h"
#include "ct/ct_state.h"
#include "ct/ct_tiles.h"
#include "source.h"
#include "json_buf.h"
#include "log.h"

#define MAX_PARALLEL 16
#define TRACKER_WINDOW (1u << 16)
#define MAX_LOGS (1u << 15)
/* every slot number fits in the seq (ct_seq_make) */
_Static_assert(MAX_LOGS <= (1u << (64 - CT_SEQ_INDEX_BITS)),
               "log slots must fit above the entry index in a seq");
/* A tree head larger than this is refused: the largest logs hold a few
** billion entries (2^32), this leaves room for a thousand times that. */
#define CT_MAX_TREE_BITS 42
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
    char host_header[272];              /* host[:port unless the default] */
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
    unsigned n_converting;              /* jobs in the conversion pool */
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
    /* the log list refresh (ct_refresh.c) */
    int start_now;                      /* added while running: a log
                                           without a saved position starts
                                           at its tree size */
    int has_interval;                   /* temporal_interval end, from the */
    int64_t interval_end_s;             /* list: following stops there */
    atomic_int retiring;                /* no new requests; retired once
                                           what was read is committed */
    int retired;                        /* committed for good: never
                                           saved again, slot never reused */
    uint64_t dropped;                   /* retiring: entries not read */
    char retire_why[96];
    atomic_long pending;                /* messages in the queue or the
                                           workers, not yet done */
};

struct ct_src {
    struct source base;
    struct ct_source_config cfg;
    char *state_dir, *ca_file, *user_agent;
    char *issuer_dir;                   /* <state_dir>/issuers, or NULL */
    /* logs[0..n): slot k is the log with id k. Room for MAX_LOGS
    ** pointers is made at start, so a log added while running never moves
    ** the others; ct_source_done (any thread) reads n_pub. A retired log
    ** stays until the source is destroyed: its slot is never reused. */
    struct log_run **logs;
    size_t n;
    atomic_size_t n_pub;
    struct ct_refresh *refresh;         /* NULL: the list is not refreshed */
    int lock_fd;
    struct lws_context *ctx;
    struct intake *in;
    struct ct_conv *conv;               /* the conversion pool, or NULL */
    volatile sig_atomic_t stop;
    atomic_int poked;
    int destroying;             /* closing connections is not an error */
    lws_sorted_usec_list_t status_timer;
    int64_t status_ms;
    lws_sorted_usec_list_t publish_timer;
    int any_answered;           /* some log answered a request */
    int offline_hinted;         /* the offline hint was given */
};

static inline int64_t ct_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ct_source.c: delivery to the intake. */
int ct_src_drain_outbox(struct log_run *lr);
int ct_src_outbox_put(struct log_run *lr, const struct pending *p);
void ct_src_on_entries(struct log_run *lr, struct slot *s, const char *body,
                       size_t len);

/* ct_source.c: a log of the list made ready to read in slot id (its
** saved position loaded); lr is zeroed by the caller. -1 with err. */
int ct_src_log_init(struct ct_src *src, struct log_run *lr,
                    const struct ct_log *log, unsigned id, char *err,
                    size_t errlen);
void ct_src_log_free(struct log_run *lr);

/* ct_refresh.c: the log list fetched again while running. */
struct ct_refresh *ct_refresh_new(const struct ct_source_config *c);
int ct_refresh_start(struct ct_src *src);
void ct_refresh_stop(struct ct_src *src);
void ct_refresh_free(struct ct_refresh *r);
void ct_refresh_on_poke(struct ct_src *src);
void ct_refresh_retire(struct log_run *lr, const char *why);

/* ct_conv.c: entries -> messages on the conversion pool. A job is made
** for entries [start, start + n) of lr (NULL when out of memory), given
** the chains of tiled entries (ct_conv_job_add_chain: the bytes must live
** as long as the source), then submitted with the tile or entry list its
** entries are in (the job takes it, the caller's copy is zeroed; first is
** the position of entry start in it) or failed (every entry counted as a
** parse error and marked done). Converted jobs come back, in submission
** order, through ct_conv_collect on the loop's thread, which moves their
** messages into the outboxes and returns how many jobs it took. */
struct ct_conv_job;
int ct_conv_start(struct ct_src *src, char *err, size_t errlen);
void ct_conv_stop(struct ct_src *src);
struct ct_conv_job *ct_conv_job_new(struct log_run *lr, enum ct_log_api api,
                                    uint64_t start, size_t n,
                                    struct log_budget *budget);
int ct_conv_job_add_chain(struct ct_conv_job *j, size_t i,
                          const struct ct_bytes *cert);
void ct_conv_submit(struct ct_conv_job *j, struct ct_tile *tile,
                    struct ct_entry_list *list, size_t first);
void ct_conv_fail(struct ct_conv_job *j, const char *why);
void ct_conv_take_back(struct ct_conv_job *j);
int ct_conv_collect(struct ct_src *src);

/* ct_sched.c: what a log does next. */
void ct_sched_init(struct log_run *lr, const struct ct_source_config *c,
                   unsigned k);
void ct_sched_pump(struct log_run *lr);
void ct_sched_push_retry(struct log_run *lr, uint64_t start, uint64_t end);
void ct_sched_fail(struct log_run *lr, struct slot *s, const char *why);
void ct_sched_ok(struct log_run *lr, enum req_kind kind);
void ct_sched_on_sth(struct log_run *lr, struct slot *s, const char *body,
                     size_t len);

/* ct_http.c: requests over libwebsockets. */
struct lws_context *ct_http_context_new(struct ct_src *src);
void ct_http_issue(struct log_run *lr, struct slot *s, enum req_kind kind,
                   uint64_t start, uint64_t end);
void ct_http_cancel(struct slot *s);
int ct_http_split_url(struct log_run *lr, char *err, size_t errlen);

/* ct_issuers.c: tiles and the issuer cache of static-ct-api logs. */
void ct_iss_on_tile(struct log_run *lr, struct slot *s, const char *body,
                    size_t len);
void ct_iss_on_issuer(struct log_run *lr, struct slot *s, const char *body,
                      size_t len);
void ct_iss_unpark(struct log_run *lr);

/* ct_commit.c: the watermark, saved. */
void ct_commit_maybe(struct log_run *lr, int force);
void ct_commit_on_advance(void *arg, uint64_t watermark);
void ct_commit_on_room(void *arg);

/* ct_status.c: status lines and the figures of /metrics. */
void ct_status_start(struct ct_src *src);
void ct_status_publish(struct ct_src *src);
void ct_status_fmt_duration(char *buf, size_t n, int64_t ms);

#endif
