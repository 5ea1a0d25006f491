/*
** backoff.h: when to try again after a failed or lost connection, or a
** failed request (the WebSocket reconnection and every CT log use it).
**
** Exponential: the first delay is min_ms, each further failure doubles it
** up to max_ms, and each delay is spread by +-jitter_pct percent so that
** many clients of one server do not reconnect in lockstep. A connection
** that stayed up for stable_ms or more resets the series: the next failure
** waits min_ms again. Pure: no clock and no global state; the caller passes
** the time and the module keeps its own random generator, seeded by the
** caller, so the tests can replay any series.
*/
#ifndef CERTMON_BACKOFF_H
#define CERTMON_BACKOFF_H

#include <stdint.h>

struct backoff_policy {
    unsigned min_ms;        /* first delay (>= 1) */
    unsigned max_ms;        /* cap before jitter (>= min_ms) */
    unsigned jitter_pct;    /* 0..100: delay in [d*(100-j)/100, d*(100+j)/100] */
    unsigned stable_ms;     /* an up time this long resets the series */
};

struct backoff {
    struct backoff_policy policy;
    unsigned failures;      /* consecutive failures since the last reset */
    int64_t up_since_ms;    /* when the current connection came up; -1 none */
    uint64_t rng;           /* xorshift64 state, never 0 */
};

/* Starts a series with policy p (copied; out-of-range fields are clamped)
** and a seed for the jitter (any value, 0 included). */
void backoff_init(struct backoff *b, const struct backoff_policy *p,
                  uint64_t seed);

/* A connection is up as of now_ms. */
void backoff_up(struct backoff *b, int64_t now_ms);

/* A success that needs no time to prove itself (an answered request): the
** next failure starts the series again at min_ms. */
void backoff_reset(struct backoff *b);

/* A connection attempt failed or a connection was lost at now_ms: returns
** the delay in ms before the next attempt. Resets the series first if the
** connection had been up for at least stable_ms. */
unsigned backoff_next_ms(struct backoff *b, int64_t now_ms);

/* The delay before jitter that the next failure would get (for logs and
** tests). */
unsigned backoff_base_ms(const struct backoff *b);

#endif
