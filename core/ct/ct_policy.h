/*
** ct_policy.h: how politely and how much to fetch from a CT log.
**
** Pure decisions with the clock passed in, so they test without waiting:
**  - a token bucket per log (some logs allow about 0.15 requests/s);
**  - Retry-After (delta-seconds or an HTTP date) over the exponential
**    backoff after errors, when it asks for longer;
**  - the get-entries batch cap, learned from short answers (no API
**    advertises it; logs that align batches return fewer entries at a
**    misaligned start, which must not shrink the cap);
**  - the next range to ask for, aligned to the cap so answers are
**    cacheable, never past the target tree size, and a target that never
**    moves backwards when an older tree head shows up.
*/
#ifndef CERTMON_CT_POLICY_H
#define CERTMON_CT_POLICY_H

#include <stdint.h>

/* ---- rate limit ----------------------------------------------------- */

struct ct_rate {
    double per_s;           /* tokens added per second; <= 0: unlimited */
    double burst;           /* bucket size (>= 1) */
    double tokens;
    int64_t last_ms;
};

void ct_rate_init(struct ct_rate *r, double per_s, double burst,
                  int64_t now_ms);

/* Takes a token and returns 0 if one is available at now_ms; otherwise
** takes nothing and returns how many ms until one will be. */
int64_t ct_rate_take(struct ct_rate *r, int64_t now_ms);

/* ---- backoff -------------------------------------------------------- */

/* The delay after a failed request: backoff_ms, the next delay of the
** log's backoff series (backoff.h, the policy the WebSocket source uses
** too), unless the log sent a longer Retry-After (retry_after_ms >= 0),
** which wins, capped at cap_ms. */
unsigned ct_retry_delay_ms(unsigned backoff_ms, int64_t retry_after_ms,
                           unsigned cap_ms);

/* Parses a Retry-After value: delta-seconds ("120") or an IMF-fixdate
** ("Wed, 21 Oct 2015 07:28:00 GMT") relative to now_unix_ms. Returns the
** wait in ms (0 for a date in the past) or -1 if it does not parse. */
int64_t ct_retry_after_ms(const char *value, int64_t now_unix_ms);

/* ---- batches and ranges -------------------------------------------- */

struct ct_batch {
    unsigned cap;            /* entries to ask for per get-entries */
    int learned;             /* cap came from a short answer */
};

#define CT_BATCH_DEFAULT 256  /* many logs' cap; Trillian's default is 1000 */
#define CT_BATCH_MAX 1024

void ct_batch_init(struct ct_batch *b, unsigned initial_cap);

/* Learns from an answer: asked entries from start, got came back, and the
** range did not run into the tree's end. A short answer lowers the cap,
** except when it only ended at a multiple of a power of two >= got (an
** aligning log cut a misaligned request), which shows the cap is that
** power of two. Returns the new cap. */
unsigned ct_batch_observe(struct ct_batch *b, uint64_t start, unsigned asked,
                          unsigned got);

/* The next get-entries range [*start, *end] (inclusive, as the API wants)
** from next, below target (the tree size), at most cap entries and not
** crossing a multiple of cap. Returns 0, or -1 when next >= target. */
int ct_next_range(uint64_t next, uint64_t target, unsigned cap,
                  uint64_t *start, uint64_t *end);

/* Raises *target to size; a smaller size (an older tree head from another
** frontend) is ignored. Returns 1 if the target moved. */
int ct_target_update(uint64_t *target, uint64_t size);

/* ---- the tail of a tiled log --------------------------------------- */

/* Entries in a tiled log's last, partial data tile: fetching that tile at
** every poll downloads the same entries again and again while the tile
** fills (a busy log fills one in seconds). So they wait until the tile is
** full or until they are max_age_ms old (certspotter: 5 minutes), counted
** from the tree head that first showed them (or from when we first saw
** them, if the log's clock is ahead of ours). */
struct ct_tail {
    unsigned max_age_ms;
    int64_t since_ms;       /* wall ms the waiting entries appeared; 0 none */
    uint64_t next;          /* the position they wait at */
};

/* How far a tiled log may be read now: limit (the tree size, or the end
** of the range) unless only a partial tile is left and it must wait, then
** the start of that tile. The same answer until next or limit change, so
** it may be asked any number of times; reading moves next, and whatever
** is then left in the tile waits anew. final: the range ends at limit (a backtest, a
** read-only log), so nothing is gained by waiting. head_ms: timestamp of
** the tree head that made limit, 0 unknown. */
uint64_t ct_tail_limit(struct ct_tail *t, uint64_t next, uint64_t limit,
                       int final, int64_t now_ms, int64_t head_ms);

/* Milliseconds until waiting tail entries are due (0: now), or -1 if none
** are waiting. */
int64_t ct_tail_due_in_ms(const struct ct_tail *t, int64_t now_ms);

#endif
