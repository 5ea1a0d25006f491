/*
** test_metrics.c: the text-format helpers, the writer hook and the
** per-rule figures behind /metrics (core/metrics.c, core/stats.c).
*/
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"
#include "stats.h"

static void test_format(void)
{
    struct http_reply r = { .status = 200 };
    char v[64];

    metrics_label_value(v, sizeof(v), "a\"b\\c\nd");
    CHECK_STR(v, "a\\\"b\\\\c\\nd");
    metrics_label_value(v, 8, "abcdefghijkl");
    CHECK(strlen(v) < 8);
    metrics_family(&r, "x_total", "counter", "Things.");
    metrics_sample(&r, "x_total", "", 3);
    metrics_sample(&r, "x_total", "k=\"v\"", 0.25);
    metrics_sample(&r, "y_bucket", "le=\"+Inf\"", 1.0 / 0.0);
    metrics_sample(&r, "big", "", 18446744073709551615.0);
    CHECK_STR(r.body, "# HELP x_total Things.\n# TYPE x_total counter\n"
              "x_total 3\nx_total{k=\"v\"} 0.25\ny_bucket{le=\"+Inf\"} +Inf\n"
              "big 1.84467441e+19\n");
    free(r.body);
}

static int writer_calls;
static void writer(void *ud, struct http_reply *r)
{
    (void)r;
    writer_calls += *(int *)ud;
}

static void test_writers(void)
{
    int one = 1, n = 0;

    CHECK(metrics_add_writer(writer, &one) == 0);
    metrics_remove_writer(writer, &one);
    /* all slots can be taken, then it says no */
    while (n < METRICS_MAX_WRITERS + 1 && metrics_add_writer(writer, &one) == 0)
        n++;
    CHECK(n == METRICS_MAX_WRITERS);
    metrics_remove_writer(writer, &one);
    CHECK(metrics_add_writer(writer, &one) == 0);
    metrics_remove_writer(writer, &one);
}

static void test_rule_figures(void)
{
    struct stats_rule *a = stats_rule_for("rules/a.lua");
    struct stats_rule *b = stats_rule_for("rules/b.lua");
    int found_a = 0, found_b = 0;

    CHECK(a && b && a != b);
    CHECK(stats_rule_for("rules/a.lua") == a);  /* survives a reload */
    stats_rule_observe(a, 5000, 0, 0);          /* 5 us: first bucket */
    stats_rule_observe(a, 10000, 2, 0);         /* 10 us: on the bound */
    stats_rule_observe(a, 2000000, 0, 1);       /* 2 ms: le 0.005 */
    stats_rule_observe(a, 3000000000ull, 0, 0); /* 3 s: +Inf */
    stats_rule_observe(NULL, 1, 1, 1);          /* ignored */
    CHECK(stats_get(&a->calls) == 4);
    CHECK(stats_get(&a->alerts) == 2);
    CHECK(stats_get(&a->errors) == 1);
    CHECK(stats_get(&a->bucket[0]) == 2);
    CHECK(stats_get(&a->bucket[5]) == 1);       /* le 0.005 */
    CHECK(stats_get(&a->bucket[STATS_RULE_BUCKETS - 1]) == 1);
    CHECK(stats_get(&a->time_ns) == 3002015000ull);
    CHECK(stats_rules_first() == a);            /* in order of first use */
    for (struct stats_rule *sr = stats_rules_first(); sr;
         sr = stats_rules_next(sr)) {
        found_a += sr == a;
        found_b += sr == b;
    }
    CHECK(found_a == 1 && found_b == 1);
    stats_rules_free();
    CHECK(stats_rules_first() == NULL);
}

/* Log slots past the first 128 are published and read like the rest
** (regression: the table held 128 slots, and logs a refreshed list added
** later were missing from /metrics and the progress lines). */
static void test_ct_slots(void)
{
    CHECK(stats_ct_n_slots() == 0);
    stats_ct_publish(3, "log three", 10, 20, 10, 0, 0, 0, STATS_CT_READING,
                     0);
    CHECK(stats_ct_n_slots() == 4);
    stats_ct_publish(200, "log 200", 5, 9, 5, 1, 0, 0, STATS_CT_RETIRED, 0);
    CHECK(stats_ct_n_slots() == 201);
    stats_ct_publish(100, "log 100", 1, 1, 1, 0, 0, 0, STATS_CT_DONE, 0);
    CHECK(stats_ct_n_slots() == 201);
    CHECK(atomic_load(&stats_ct_logs[200].used) &&
          strcmp(stats_ct_logs[200].name, "log 200") == 0 &&
          stats_get(&stats_ct_logs[200].tree_size) == 9 &&
          atomic_load(&stats_ct_logs[200].state) == STATS_CT_RETIRED);
    stats_ct_publish(STATS_CT_MAX_LOGS - 1, "last", 0, 0, 0, 0, 0, 0,
                     STATS_CT_NOT_STARTED, 0);
    CHECK(stats_ct_n_slots() == STATS_CT_MAX_LOGS);
    stats_ct_publish(STATS_CT_MAX_LOGS, "past the end", 0, 0, 0, 0, 0, 0,
                     STATS_CT_NOT_STARTED, 0);
    CHECK(stats_ct_n_slots() == STATS_CT_MAX_LOGS);
}

int main(void)
{
    test_format();
    test_ct_slots();
    test_writers();
    test_rule_figures();
    return check_done();
}
