/*
** stats.c: the process-wide counters and the exit summary.
*/
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mono_clock.h"
#include "stats.h"

struct stats stats;

/* The exit summary's fields, in order: a counter of struct stats, or one
** of the two derived values. A new counter is a new row. */
#define COUNTER(field) offsetof(struct stats, field)
#define SUM_ERRORS ((size_t)-1)
#define ELAPSED ((size_t)-2)

static const struct {
    const char *name;
    size_t offset;
} summary_fields[] = {
    { "certs", COUNTER(certs) },
    { "messages", COUNTER(messages) },
    { "alerts", COUNTER(alerts_written) },
    { "parse_errors", COUNTER(parse_errors) },
    { "rule_errors", COUNTER(rule_errors) },
    { "budget_errors", COUNTER(rule_budget_errors) },
    { "memory_errors", COUNTER(rule_memory_errors) },
    { "dropped", COUNTER(dropped) },
    { "reconnects", COUNTER(reconnects) },
    { "reloads", COUNTER(reloads) },
    { "errors", SUM_ERRORS },
    { "bytes", COUNTER(bytes) },
    { "elapsed_s", ELAPSED },
    { "ct_entries", COUNTER(ct_entries) },
    { "ct_fetch_errors", COUNTER(ct_fetch_errors) },
    { "timeout_errors", COUNTER(rule_timeout_errors) },
    { "net_faults", COUNTER(net_faults) },
    { "abandoned", COUNTER(abandoned) },
    { "alerts_lost", COUNTER(alerts_lost) },
    { "alerts_failed", COUNTER(alerts_failed) },
    { "alerts_spooled", COUNTER(alerts_spooled) },
    { "store_redis_errors", COUNTER(store_redis_errors) },
};

void stats_print_summary(FILE *out, double elapsed_s)
{
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof(line), "certmon:");

    for (size_t i = 0; i < sizeof(summary_fields) / sizeof(*summary_fields);
         i++) {
        size_t off = summary_fields[i].offset;
        const char *name = summary_fields[i].name;
        if (n >= sizeof(line))
            break;
        if (off == ELAPSED)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%.3f",
                                  name, elapsed_s);
        else
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
                                  name, off == SUM_ERRORS
                                  ? stats_get(&stats.parse_errors) +
                                    stats_get(&stats.rule_errors)
                                  : stats_get((atomic_uint_fast64_t *)
                                              ((char *)&stats + off)));
    }
    fprintf(out, "%s\n", line);
    fflush(out);
}

/* --------------------------------------------------------- per rule */

#include <pthread.h>

const double stats_rule_bucket_s[STATS_RULE_BUCKETS - 1] = {
    0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1,
};

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct stats_rule *) rules_head;

struct stats_rule *stats_rule_for(const char *path)
{
    struct stats_rule *sr;

    pthread_mutex_lock(&rules_lock);
    for (sr = atomic_load(&rules_head); sr; sr = atomic_load(&sr->next))
        if (strcmp(sr->path, path) == 0)
            goto done;
    sr = calloc(1, sizeof(*sr));
    if (sr && !(sr->path = strdup(path))) {
        free(sr);
        sr = NULL;
    }
    if (sr) {           /* at the end, so readers list rules in load order */
        _Atomic(struct stats_rule *) *tail = &rules_head;
        struct stats_rule *cur;
        while ((cur = atomic_load(tail)))
            tail = &cur->next;
        atomic_store(tail, sr);
    }
done:
    pthread_mutex_unlock(&rules_lock);
    return sr;
}

void stats_rule_observe(struct stats_rule *sr, uint64_t ns, uint64_t alerts,
                        int failed)
{
    double s = (double)ns / 1e9;
    int b = 0;

    if (!sr)
        return;
    while (b < STATS_RULE_BUCKETS - 1 && s > stats_rule_bucket_s[b])
        b++;
    stats_add(&sr->bucket[b], 1);
    stats_add(&sr->calls, 1);
    stats_add(&sr->time_ns, ns);
    if (alerts)
        stats_add(&sr->alerts, alerts);
    if (failed)
        stats_add(&sr->errors, 1);
}

struct stats_rule *stats_rules_first(void)
{
    return atomic_load(&rules_head);
}

struct stats_rule *stats_rules_next(const struct stats_rule *sr)
{
    return atomic_load(&((struct stats_rule *)sr)->next);
}

void stats_rules_free(void)
{
    struct stats_rule *sr, *next;

    pthread_mutex_lock(&rules_lock);
    for (sr = atomic_exchange(&rules_head, NULL); sr; sr = next) {
        next = atomic_load(&sr->next);
        free(sr->path);
        free(sr);
    }
    pthread_mutex_unlock(&rules_lock);
}

/* ----------------------------------------------------------- CT logs */

struct stats_ct_log stats_ct_logs[STATS_CT_MAX_LOGS];
static atomic_uint ct_n_slots;

unsigned stats_ct_n_slots(void)
{
    return atomic_load(&ct_n_slots);
}

void stats_ct_publish(unsigned slot, const char *name, uint64_t position,
                      uint64_t tree_size, uint64_t entries, uint64_t errors,
                      uint64_t first, uint64_t end, enum stats_ct_state state,
                      int failing)
{
    struct stats_ct_log *l;

    if (slot >= STATS_CT_MAX_LOGS)
        return;
    l = &stats_ct_logs[slot];
    if (!atomic_load(&l->used)) {
        unsigned n = atomic_load(&ct_n_slots);
        snprintf(l->name, sizeof(l->name), "%s", name);
        atomic_store(&l->used, 1);      /* seq_cst: name visible first */
        while (n < slot + 1 &&
               !atomic_compare_exchange_weak(&ct_n_slots, &n, slot + 1))
            ;
    }
    atomic_store_explicit(&l->position, position, memory_order_relaxed);
    atomic_store_explicit(&l->tree_size, tree_size, memory_order_relaxed);
    atomic_store_explicit(&l->entries, entries, memory_order_relaxed);
    atomic_store_explicit(&l->errors, errors, memory_order_relaxed);
    atomic_store_explicit(&l->first, first, memory_order_relaxed);
    atomic_store_explicit(&l->end, end, memory_order_relaxed);
    atomic_store_explicit(&l->state, (int)state, memory_order_relaxed);
    atomic_store_explicit(&l->failing, failing, memory_order_relaxed);
}

/* ------------------------------------------------------------- bench */

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int stats_bench_on;

static struct {
    _Atomic(uint32_t) *hist;            /* STATS_BENCH_MAX_US + 1 buckets */
    atomic_int_fast64_t first_recv_ns;  /* 0 = no message yet */
    atomic_int_fast64_t last_done_ns;
    atomic_uint_fast64_t msgs;
    atomic_int started;                 /* cpu0 taken */
    atomic_int source_started;          /* stats_bench_source_start ran */
    double cpu0_s;
} bench;

static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void stats_bench_init(int on)
{
    if (!on)
        return;
    bench.hist = calloc(STATS_BENCH_MAX_US + 1, sizeof(*bench.hist));
    stats_bench_on = bench.hist != NULL;
}

void stats_bench_source_start(void)
{
    int64_t now = mono_ns(), first;

    if (atomic_load_explicit(&bench.source_started, memory_order_relaxed) ||
        atomic_exchange(&bench.source_started, 1))
        return;
    if (!atomic_exchange(&bench.started, 1))
        bench.cpu0_s = cpu_s();
    first = atomic_load_explicit(&bench.first_recv_ns, memory_order_relaxed);
    while ((first == 0 || now < first) &&
           !atomic_compare_exchange_weak(&bench.first_recv_ns, &first, now))
        ;
}

void stats_bench_begin(int64_t recv_ns)
{
    int64_t now = mono_ns(), lat_us, first = 0;

    if (!atomic_load_explicit(&bench.started, memory_order_relaxed) &&
        !atomic_exchange(&bench.started, 1))
        bench.cpu0_s = cpu_s();     /* read after the end, by one thread */
    /* the earliest arrival seen: the start of the measured span */
    first = atomic_load_explicit(&bench.first_recv_ns, memory_order_relaxed);
    while (recv_ns && (first == 0 || recv_ns < first) &&
           !atomic_compare_exchange_weak(&bench.first_recv_ns, &first,
                                         recv_ns))
        ;
    lat_us = recv_ns ? (now - recv_ns) / 1000 : 0;
    if (lat_us < 0)
        lat_us = 0;
    if (lat_us > STATS_BENCH_MAX_US)
        lat_us = STATS_BENCH_MAX_US;
    atomic_fetch_add_explicit(&bench.hist[lat_us], 1, memory_order_relaxed);
}

void stats_bench_end(void)
{
    int64_t now = mono_ns(), last = atomic_load(&bench.last_done_ns);

    while (now > last &&
           !atomic_compare_exchange_weak(&bench.last_done_ns, &last, now))
        ;
    atomic_fetch_add_explicit(&bench.msgs, 1, memory_order_relaxed);
}

/* The value below which a fraction q of the recorded latencies lie. */
static long percentile_us(uint64_t total, double q)
{
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;

    if (want >= total)
        want = total - 1;
    for (long i = 0; i <= STATS_BENCH_MAX_US; i++) {
        seen += atomic_load(&bench.hist[i]);
        if (seen > want)
            return i;
    }
    return STATS_BENCH_MAX_US;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

void stats_bench_print(FILE *out)
{
    uint64_t n;
    double span_s, cpu;
    long max_us = 0;

    if (!stats_bench_on)
        return;
    n = atomic_load(&bench.msgs);
    span_s = (atomic_load(&bench.last_done_ns) -
              atomic_load(&bench.first_recv_ns)) / 1e9;
    cpu = atomic_load(&bench.started) ? cpu_s() - bench.cpu0_s : 0;
    for (long i = STATS_BENCH_MAX_US; i >= 0; i--)
        if (atomic_load(&bench.hist[i])) {
            max_us = i;
            break;
        }
    fprintf(out, "certmon: bench: msgs=%" PRIu64 " span_s=%.4f "
            "msgs_per_s=%.0f cpu_s=%.3f cpu_ms_per_1k=%.3f peak_rss_kb=%ld "
            "lat_p50_us=%ld lat_p99_us=%ld lat_max_us=%ld\n",
            n, span_s, span_s > 0 ? n / span_s : 0, cpu,
            n ? cpu * 1e6 / (double)n : 0, peak_rss_kb(),
            n ? percentile_us(n, 0.50) : 0, n ? percentile_us(n, 0.99) : 0,
            max_us);
    fflush(out);
    free(bench.hist);
    bench.hist = NULL;
    stats_bench_on = 0;
}
