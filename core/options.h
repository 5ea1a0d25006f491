/*
** options.h: the command line, parsed once into one struct.
**
** Every setting of a run lives here with its default; modules receive the
** parts they need (ws_config, intake, ...) built from it by main.
*/
#ifndef CERTMON_OPTIONS_H
#define CERTMON_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

struct options {
    /* rules */
    const char **rule_paths;        /* files or folders; default scripts/ */
    size_t n_rule_paths;
    const char *lua_dir;            /* the project's lua/ (found at start) */
    int check;                      /* --check */
    int test;                       /* --test */
    int no_reload;                  /* --no-reload */
    int unsafe;                     /* --unsafe */
    uint64_t rule_budget;           /* --rule-budget, instructions/call */
    size_t rule_memory_bytes;       /* --rule-memory, per worker state */
    unsigned rule_fail_limit;       /* --rule-fail-limit, 0 = never */

    /* sources */
    const char *replay_path;        /* -r FILE, "-" = stdin; NULL = none */
    const char **urls;              /* -u URL, repeatable, failover order */
    size_t n_urls;
    const char *ca_file;            /* --ca-file */
    int insecure;                   /* --insecure */
    unsigned ping_interval_s;       /* --ping-interval, default 20 */
    unsigned idle_timeout_s;        /* --idle-timeout, default 70 */
    unsigned reconnect_min_ms;      /* --reconnect-min-ms, default 1000 */
    unsigned reconnect_max_ms;      /* --reconnect-max-ms, default 60000 */

    /* pipeline */
    int workers;                    /* -w, default: online CPUs */
    size_t queue_capacity;          /* --queue, messages */
    size_t max_message_bytes;       /* --max-message-size, default 1 MiB */
    enum full_policy on_full;       /* --on-full; default per source */
    int on_full_given;
    uint64_t max_messages;          /* -n; 0 = no limit */
    size_t store_max_bytes;         /* --store-max, default 64 MiB */

    /* outputs */
    const char *output_path;        /* -o FILE (append); NULL = stdout */
    unsigned stats_interval_s;      /* --stats-interval, default 60, 0 off */
    int verbose;                    /* -v: debug logs */
};

enum options_result {
    OPTIONS_OK,       /* run */
    OPTIONS_EXIT,     /* --help or --version was printed: exit 0 */
    OPTIONS_ERROR,    /* err holds the reason: exit 2 */
};

/* Parses argv into o (defaults first). Strings point into argv or static
** storage; the arrays are heap-owned by o until options_free. */
enum options_result options_parse(struct options *o, int argc, char **argv,
                                  char *err, size_t errlen);
void options_free(struct options *o);

#endif
