/*
** stats.c: the process-wide counters and the exit summary.
*/
#include <inttypes.h>

#include "stats.h"

struct stats stats;

void stats_print_summary(FILE *out, double elapsed_s)
{
    fprintf(out,
            "certmon: certs=%" PRIu64 " messages=%" PRIu64
            " alerts=%" PRIu64 " parse_errors=%" PRIu64
            " rule_errors=%" PRIu64 " budget_errors=%" PRIu64
            " memory_errors=%" PRIu64 " dropped=%" PRIu64
            " reconnects=%" PRIu64 " reloads=%" PRIu64 " errors=%" PRIu64
            " bytes=%" PRIu64 " elapsed_s=%.3f ct_entries=%" PRIu64
            " ct_fetch_errors=%" PRIu64 "\n",
            stats_get(&stats.certs), stats_get(&stats.messages),
            stats_get(&stats.alerts), stats_get(&stats.parse_errors),
            stats_get(&stats.rule_errors),
            stats_get(&stats.rule_budget_errors),
            stats_get(&stats.rule_memory_errors), stats_get(&stats.dropped),
            stats_get(&stats.reconnects), stats_get(&stats.reloads),
            stats_get(&stats.parse_errors) + stats_get(&stats.rule_errors),
            stats_get(&stats.bytes), elapsed_s, stats_get(&stats.ct_entries),
            stats_get(&stats.ct_fetch_errors));
    fflush(out);
}
