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
    /* --store redis:// (redis_store.c) */
    atomic_uint_fast64_t store_redis_errors; /* seen answered locally:
                                                Redis could not */
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

/* The source read its first input (a CT log's first tile or entries):
** the span and the CPU time start here if that is before the first
** arrival, so work a source does before queueing (CT conversion) counts.
** Only the first call matters. */
void stats_bench_source_start(void);

/* A message's rules are about to run; recv_ns is its arrival time. */
void stats_bench_begin(int64_t recv_ns);

/* A message's rules have all run. */
void stats_bench_end(void);

/* Writes the bench line to out, if benchmarking is on. */
void stats_bench_print(FILE *out);

/* Writes the exit summary line "certmon: certs=... reconnects=...\n". */
void stats_print_summary(FILE *out, double elapsed_s);

/*
** Per rule file, for /metrics: counters that outlive reloads (a rule_file
** is replaced at every reload; its stats_rule, found by path, stays).
** Entries are created by stats_rule_for and live until stats_rules_free
** at exit; they are never removed, so a pointer stays valid while the
** program runs. Call times go into fixed buckets (upper bounds in
** stats_rule_bucket_s, the last is +Inf), counted once each, not
** cumulatively.
*/
#define STATS_RULE_BUCKETS 12

extern const double stats_rule_bucket_s[STATS_RULE_BUCKETS - 1];

struct stats_rule {
    _Atomic(struct stats_rule *) next;
    char *path;
    atomic_uint_fast64_t calls, errors, alerts, time_ns;
    atomic_uint_fast64_t bucket[STATS_RULE_BUCKETS];
};

/* The entry for this rule file path, created on first use; NULL on OOM
** (callers then record nothing). Thread-safe. */
struct stats_rule *stats_rule_for(const char *path);

/* One handler call of sr took ns, made alerts alerts, and failed or not.
** sr may be NULL. */
void stats_rule_observe(struct stats_rule *sr, uint64_t ns,
                        uint64_t alerts, int failed);

/* The first entry, then the next one (NULL at the end), for readers; safe
** while others add. */
struct stats_rule *stats_rules_first(void);
struct stats_rule *stats_rules_next(const struct stats_rule *sr);

void stats_rules_free(void);

/*
** Per CT log, for /metrics and the backtest progress line: the CT source
** publishes each log's figures here about once a second (from its own
** thread); readers load them without locks. name is written once, before
** used is set; figures are single relaxed atomics, so a reader may see a
** position from one publication and a tree size from the next.
*/
/* As many as the CT source has slots (MAX_LOGS, ct_source_int.h): a log
** list refreshed for months keeps adding slots, one per new log, and
** never reuses one. Untouched slots cost no memory (zero pages). */
#define STATS_CT_MAX_LOGS (1u << 15)

enum stats_ct_state {
    STATS_CT_NOT_STARTED, STATS_CT_READING, STATS_CT_DONE, STATS_CT_GAVE_UP,
    STATS_CT_RETIRED,           /* dropped by a log list refresh */
    STATS_CT_STATES
};

struct stats_ct_log {
    atomic_int used;
    char name[160];
    atomic_uint_fast64_t position;   /* every entry before it processed */
    atomic_uint_fast64_t tree_size;
    atomic_uint_fast64_t entries;    /* entries read from this log */
    atomic_uint_fast64_t errors;     /* failed requests */
    atomic_uint_fast64_t first, end; /* backtest: [first, end) to read */
    atomic_int state;                /* enum stats_ct_state */
    atomic_int failing;              /* its last request failed */
};

extern struct stats_ct_log stats_ct_logs[STATS_CT_MAX_LOGS];

/* One past the highest slot ever published: readers look at
** stats_ct_logs[0 .. stats_ct_n_slots()) only. */
unsigned stats_ct_n_slots(void);

/* Publishes the figures of log slot (ignored past STATS_CT_MAX_LOGS). */
void stats_ct_publish(unsigned slot, const char *name, uint64_t position,
                      uint64_t tree_size, uint64_t entries, uint64_t errors,
                      uint64_t first, uint64_t end, enum stats_ct_state state,
                      int failing);

#endif
