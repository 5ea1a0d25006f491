/*
** stats.h: process-wide counters, updated from any thread.
**
** Counters are relaxed atomics: they are read for the status line and the
** exit summary, never used to synchronise anything.
*/
#ifndef CERTMON_STATS_H
#define CERTMON_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

struct stats {
    atomic_uint_fast64_t messages;      /* messages handed to the rules */
    atomic_uint_fast64_t certs;         /* certificate_update messages processed */
    atomic_uint_fast64_t alerts;        /* alerts made by the rules */
    atomic_uint_fast64_t parse_errors;  /* not JSON, not an object, too big */
    atomic_uint_fast64_t rule_errors;   /* failed rule calls, all kinds */
    atomic_uint_fast64_t rule_budget_errors; /* of which: budget exceeded */
    atomic_uint_fast64_t rule_memory_errors; /* of which: memory cap hit */
    atomic_uint_fast64_t reloads;       /* rule generations published */
    atomic_uint_fast64_t dropped;       /* lost to a full queue (drop policy) */
    atomic_uint_fast64_t reconnects;    /* source reconnections */
    atomic_uint_fast64_t received;      /* messages accepted from sources */
    atomic_uint_fast64_t bytes;         /* payload bytes accepted */
    atomic_uint_fast64_t binary_frames; /* ignored binary WebSocket messages */
    atomic_uint_fast64_t oversize;      /* messages over the size cap */
    atomic_uint_fast64_t ct_entries;    /* entries read from CT logs */
    atomic_uint_fast64_t ct_fetch_errors; /* failed CT log requests */
    atomic_uint_fast64_t rule_timeout_errors; /* calls over --rule-timeout
                                                 or stuck at shutdown */
    atomic_uint_fast64_t abandoned;     /* queued, not processed: stopped
                                           at once by a second signal */
    atomic_uint_fast64_t net_faults;    /* a server broke the protocol or a
                                           bound: connection failed, answer
                                           refused */
    /* alert delivery (alert.c, alert_sink.c) */
    atomic_uint_fast64_t alerts_written; /* written to -o / stdout */
    atomic_uint_fast64_t alerts_lost;   /* neither delivered nor spooled */
    atomic_uint_fast64_t alerts_failed; /* a sink gave up on them */
    atomic_uint_fast64_t alerts_spooled; /* written to --alert-spool */
};

/* The one instance; zero-initialised at start. */
extern struct stats stats;

static inline void stats_add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t stats_get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/*
** Benchmark measurements, off unless CERTMON_BENCH is set in the
** environment (main calls stats_bench_init). When off, the hot path pays
** one predictable branch on stats_bench_on per message.
**
** When on, the workers record for every message the time from its
** arrival (struct msg recv_ns, CLOCK_MONOTONIC) to the first rule call
** into a histogram of 1 µs buckets (up to STATS_BENCH_MAX_US, then one
** overflow bucket), and the span from the first arrival to the last
** message done; CPU time is taken from the first arrival to the end.
** stats_bench_print writes one line:
**   certmon: bench: msgs=N span_s=S msgs_per_s=R cpu_s=C
**       cpu_ms_per_1k=X peak_rss_kb=K lat_p50_us=A lat_p99_us=B
**       lat_max_us=M
*/
#define STATS_BENCH_MAX_US 100000

extern int stats_bench_on;

void stats_bench_init(int on);

/* A message's rules are about to run; recv_ns is its arrival time. */
void stats_bench_begin(int64_t recv_ns);

/* A message's rules have all run. */
void stats_bench_end(void);

/* Writes the bench line to out, if benchmarking is on. */
void stats_bench_print(FILE *out);

/* Writes the exit summary line "certmon: certs=... reconnects=...\n". */
void stats_print_summary(FILE *out, double elapsed_s);

#endif
