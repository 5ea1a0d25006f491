/*
** ct_source.h: reading CT logs directly, as a message source.
**
** One libwebsockets client context on the calling thread (run). Per log:
** tree heads are polled, get-entries ranges fetched by up to `parallel`
** concurrent requests under a token bucket, each entry turned into a
** CertStream message and offered to the queue without waiting; when the
** queue is full the messages wait in the log's outbox and no new requests
** go out until queue_on_room wakes the loop, so nothing is ever dropped.
**
** Positions: message seq = (log slot << 48) | entry index; a slot is
** never reused in a run (a log added by the refresh takes a new one, up
** to MAX_LOGS), so a late ct_source_done always finds its log. Whoever
** finishes a message (a worker, after its rules ran and its alerts were
** written) calls ct_source_done(seq); a per-log ct_tracker turns those
** out-of-order completions into a watermark, committed to the state
** directory at most every commit_interval_ms and when the source is
** destroyed. Entries that cannot be converted are counted, logged and
** marked done at once, so they never hold the watermark back.
**
** Static-ct-api (tiled) logs: the checkpoint is the tree head (verified
** with the log list's key), ranges are whole data tiles (a partial tile
** only when the tree head does not allow the full one yet; gzip bodies
** are inflated), and with `full` chain fingerprints are resolved through
** issuer/ (one fetch at a time, cached under <state_dir>/issuers); tiles wait
** for their issuers, and an issuer the log does not have (404) leaves the
** chain without it instead of holding entries back. When caught up, the
** trailing partial tile is fetched only once it is partial_tile_age_ms
** old (or when a backtest range or a read-only log ends in it), not at
** every poll.
**
** Backtest: a log whose requests all fail for give_up_ms is abandoned;
** the others are finished and run() returns -1 naming the entries not
** read. Followed logs are retried forever.
**
** Log list refresh (refresh_s): a thread of the source fetches and
** verifies the list again (the loop never waits for it); the loop then
** adds the logs the list now selects, in new slots, each from its saved
** position or else its tree size, and retires those it no longer selects
** (or whose temporal_interval ended): no new requests, what is in flight
** is finished and committed, then the log is left alone. A failed fetch
** keeps the logs being read and says so once.
**
** Every stats_interval_s a status line per log (position, tree size, lag,
** and for a failing log since when and its last error) after one for all.
*/
#ifndef CERTMON_CT_SOURCE_H
#define CERTMON_CT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ct/ct_loglist.h"
#include "ct/ct_loglist_fetch.h"
#include "source.h"

enum ct_start {
    CT_START_NOW,          /* the tree size at the first tree head */
    CT_START_OLDEST,       /* index 0 */
    CT_START_INDEX,        /* start_index */
};

struct ct_source_config {
    const struct ct_log *logs;      /* copied by ct_source_new */
    size_t n_logs;
    const char *state_dir;          /* NULL: positions are not kept */
    enum ct_start start;            /* for logs without a saved position */
    uint64_t start_index;
    int backtest;                   /* read [from, to] of every log, exit */
    uint64_t from, to;              /* inclusive */
    int full;                       /* chain and as_der in messages */
    const char *ca_file;            /* --ca-file; NULL = system store */
    int insecure;                   /* skip TLS verification (tests) */
    unsigned parallel;              /* concurrent get-entries per log */
    double requests_per_s;          /* per log; <= 0 unlimited */
    unsigned batch;                 /* initial get-entries size */
    unsigned poll_ms;               /* between tree heads when caught up */
    unsigned timeout_ms;            /* per request */
    unsigned backoff_min_ms, backoff_max_ms;
    size_t max_response_bytes;
    unsigned commit_interval_ms;
    unsigned partial_tile_age_ms;   /* tiled: a partial tail tile waits */
    unsigned stats_interval_s;      /* status lines; 0 = none */
    uint64_t give_up_ms;            /* backtest: a log with no answer this
                                       long is abandoned; 0 = never */
    const char *user_agent;
    /* following the fetched list: fetch and verify it again every
    ** refresh_s (0 = never) as refresh_fetch says (its strings copied),
    ** add the logs it now selects, retire those it no longer does */
    unsigned refresh_s;
    struct ct_loglist_fetch_config refresh_fetch;
};

/* Defaults for every field but logs/n_logs/state_dir/backtest range. */
void ct_source_config_defaults(struct ct_source_config *c);

/* A source over the RFC 6962 logs of c. NULL with err set if a log URL or
** the state directory is unusable (and for OOM). */
struct source *ct_source_new(const struct ct_source_config *c, char *err,
                             size_t errlen);

/* Marks the message with this seq as processed: its alerts are written.
** Thread-safe; cheap. Unknown or repeated seqs are ignored (counted in
** the source's own log). */
void ct_source_done(struct source *s, uint64_t seq);

#define CT_SEQ_INDEX_BITS 48
static inline uint64_t ct_seq_make(unsigned slot, uint64_t index)
{
    return (uint64_t)slot << CT_SEQ_INDEX_BITS | index;
}
static inline uint64_t ct_seq_index(uint64_t seq)
{
    return seq & (((uint64_t)1 << CT_SEQ_INDEX_BITS) - 1);
}
static inline unsigned ct_seq_slot(uint64_t seq)
{
    return (unsigned)(seq >> CT_SEQ_INDEX_BITS);
}

#endif
