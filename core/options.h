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

#define OPTIONS_DEFAULT_URL "wss://certstream.calidog.io/"

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

    /* direct CT logs */
    int ct;                         /* --ct */
    const char *log_list_path;      /* --log-list; NULL = shipped snapshot */
    const char **ct_logs;           /* --ct-log URL, repeatable */
    size_t n_ct_logs;
    const char *state_dir;          /* --state-dir */
    int ct_start;                   /* --ct-start: 0 now, 1 oldest, 2 index */
    uint64_t ct_start_index;
    int backtest;                   /* --from and --to given */
    uint64_t from, to;              /* inclusive */
    int from_given, to_given;
    int full;                       /* --full: chain and as_der */
    unsigned ct_parallel;           /* --ct-parallel, 0 = default */
    double ct_rate;                 /* --ct-rate requests/s per log */
    unsigned ct_poll_ms;            /* --ct-poll, tree heads; default 10 s */
    unsigned ct_partial_tile_age_ms; /* --ct-partial-tile-age, default 300 s */
    unsigned ct_give_up_s;          /* --ct-give-up, backtest; 0 = never */
    int ct_tuning_given;            /* any --ct-* tuning option */
    int ct_give_up_given;

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

    /* CertStream server (--serve) */
    const char *serve_addr;         /* --serve ADDR:PORT; NULL = off */
    int serve_alerts;               /* --serve-alerts: /alerts */
    size_t serve_client_buffer;     /* --serve-client-buffer B; 0 = default */
    const char *serve_cert;         /* --serve-cert FILE */
    const char *serve_key;          /* --serve-key FILE */
    unsigned serve_max_clients;     /* --serve-max-clients; 0 = default */
    int listen_public;              /* --listen-public */
    const char *serve_port_file;    /* --serve-port-file FILE */
    unsigned serve_heartbeat_s;     /* --serve-heartbeat S, default 30 */
    unsigned serve_ping_s;          /* --serve-ping S, default 20 */
    unsigned serve_wait_clients;    /* --serve-wait-clients N */
    int serve_given;                /* any --serve-* option */

    /* the CT log list fetch (--ct without --log-list) */
    const char *log_list_url;       /* --log-list-url; NULL = Google's */
    const char *log_list_key;       /* --log-list-key PEM; NULL = shipped */
    unsigned log_list_timeout_s;    /* --log-list-timeout, default 15 */
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
