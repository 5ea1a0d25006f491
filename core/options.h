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
#include <stdio.h>

#include "source.h"

#define OPTIONS_DEFAULT_URL "wss://certstream.calidog.io/"

/* Room for the given[] flags; options.c checks the table fits. */
#define OPTIONS_MAX 128

struct options {
    /* rules */
    const char **rule_paths;        /* files or folders; default scripts/ */
    size_t n_rule_paths;
    const char *lua_dir;            /* the project's lua/ (found at start) */
    int check;                      /* --check */
    int test;                       /* --test */
    const char *sample_path;        /* --sample, with --check; "none" */
    int no_reload;                  /* --no-reload */
    int unsafe;                     /* --unsafe */
    uint64_t rule_budget;           /* --rule-budget, instructions/call */
    size_t rule_memory_bytes;       /* --rule-memory, per worker state */
    unsigned rule_fail_limit;       /* --rule-fail-limit, 0 = never */
    unsigned rule_timeout_ms;       /* --rule-timeout, 0 = never */
    unsigned stop_grace_ms;         /* --stop-grace */

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
    int full;                       /* --full: chain and as_der */
    unsigned ct_parallel;           /* --ct-parallel, default 2 */
    double ct_rate;                 /* --ct-rate requests/s per log, 2 */
    unsigned ct_poll_ms;            /* --ct-poll, tree heads; default 10 s */
    unsigned ct_partial_tile_age_ms; /* --ct-partial-tile-age, default 300 s */
    unsigned ct_give_up_s;          /* --ct-give-up, backtest; 0 = never */

    /* pipeline */
    int workers;                    /* -w, default: online CPUs */
    int ordered;                    /* --ordered: one worker */
    size_t queue_capacity;          /* --queue, messages */
    size_t queue_max_bytes;         /* --queue-bytes, 0 = no byte bound */
    size_t max_message_bytes;       /* --max-message-size, default 1 MiB */
    enum full_policy on_full;       /* --on-full; live source only */
    uint64_t max_messages;          /* -n; 0 = no limit */
    size_t store_max_bytes;         /* --store-max, default 64 MiB */
    const char *store_url;          /* --store redis://; NULL = local */

    /* outputs */
    const char *output_path;        /* -o FILE (append); NULL = stdout */
    unsigned stats_interval_s;      /* --stats-interval, default 60, 0 off */
    int verbose;                    /* -v: debug logs */

    /* alert delivery (alert_sink.h) */
    const char **alert_webhooks;    /* --alert-webhook URL, repeatable */
    size_t n_alert_webhooks;
    const char **alert_execs;       /* --alert-exec CMD, repeatable */
    size_t n_alert_execs;
    const char **alert_redis;       /* --alert-redis URL, repeatable */
    size_t n_alert_redis;
    size_t alert_queue;             /* --alert-queue, per sink */
    int alert_format_slack;         /* --alert-format slack */
    const char **alert_headers;     /* --alert-header, repeatable */
    size_t n_alert_headers;
    const char *alert_header_file;  /* --alert-header-file */
    const char *alert_spool_dir;    /* --alert-spool */
    size_t alert_spool_max_bytes;   /* --alert-spool-max, 0 = no cap */
    unsigned alert_timeout_ms;      /* --alert-timeout, default 10 s */
    unsigned alert_retries;         /* --alert-retries, default 5 */
    unsigned alert_exec_jobs;       /* --alert-exec-jobs, default 4 */

    /* metrics, health and progress */
    const char *listen;             /* --listen HOST:PORT; NULL = none */
    int listen_public;              /* --listen-public */
    unsigned health_max_age_ms;     /* --health-max-age, default 120 s */
    unsigned progress_s;            /* --progress, default 10, 0 = off */

    /* CertStream server (--serve) */
    const char *serve_addr;         /* --serve ADDR:PORT; NULL = off */
    int serve_alerts;               /* --serve-alerts: /alerts */
    size_t serve_client_buffer;     /* --serve-client-buffer B; 0 = default */
    const char *serve_cert;         /* --serve-cert FILE */
    const char *serve_key;          /* --serve-key FILE */
    unsigned serve_max_clients;     /* --serve-max-clients; 0 = default */
    const char *serve_port_file;    /* --serve-port-file FILE */
    unsigned serve_heartbeat_s;     /* --serve-heartbeat S, default 30 */
    unsigned serve_ping_s;          /* --serve-ping S, default 20 */
    unsigned serve_wait_clients;    /* --serve-wait-clients N */

    /* the CT log list fetch (--ct without --log-list) */
    const char *log_list_url;       /* --log-list-url; NULL = Google's */
    const char *log_list_key;       /* --log-list-key PEM; NULL = shipped */
    unsigned log_list_timeout_s;    /* --log-list-timeout, default 15 */
    unsigned log_list_refresh_s;    /* --log-list-refresh, default 86400;
                                       0 = never */

    /* Redis Streams */
    const char *redis_url;          /* --redis: the consumer source */
    int redis_start_oldest;         /* --redis-start 0 (1) or $ (0) */
    unsigned redis_claim_idle_ms;   /* --redis-claim-idle, 0 = never */
    unsigned redis_max_deliveries;  /* --redis-max-deliveries */
    const char *publish_url;        /* --publish redis://...; NULL = none */
    uint64_t publish_maxlen;        /* --publish-maxlen, 0 = no trim */

    /* certmon.store across restarts */
    unsigned store_snapshot_interval_s; /* --store-snapshot-interval */
    int no_store_snapshot;          /* --no-store-snapshot */

    unsigned char given[OPTIONS_MAX]; /* per option_table row: on the line */
};

/* Where an option is read: the help section, and the sources it applies
** to (0 = any). */
enum options_section {
    OPTS_SOURCE, OPTS_WS, OPTS_CT, OPTS_REDIS, OPTS_RULES, OPTS_PIPELINE, OPTS_OUTPUT,
    OPTS_ALERTS, OPTS_SERVICE, OPTS_SERVE, OPTS_N_SECTIONS
};

#define OPTS_FROM_WS     1u
#define OPTS_FROM_CT     2u
#define OPTS_FROM_REPLAY 4u
#define OPTS_FROM_REDIS  8u

enum option_type {
    OPT_FLAG,           /* int field = 1 */
    OPT_SET,            /* int field = def (-v, -q) */
    OPT_STRING,         /* const char * into argv */
    OPT_LIST,           /* repeatable: const char ** and a size_t count */
    OPT_INT,            /* int in [min, max] */
    OPT_UNSIGNED,       /* unsigned in [min, max] */
    OPT_U64,            /* uint64_t, max 0 = no upper bound */
    OPT_SIZE,           /* size_t, a plain count */
    OPT_BYTES,          /* size_t with k/m/g suffixes */
    OPT_DOUBLE,         /* double in [min, max] */
    OPT_SECONDS_MS,     /* decimal seconds in [min, max], kept as ms */
    OPT_CHOICE,         /* parsed by parse() */
    OPT_HELP,
    OPT_VERSION,
};

struct options;

/* One row of the option table: everything about one option. */
struct option_spec {
    const char *name;               /* long name, without "--" */
    char short_name;                /* or 0 */
    enum option_type type;
    size_t offset;                  /* field in struct options */
    size_t count_offset;            /* OPT_LIST: its size_t count */
    double min, max, def;           /* numeric range and default */
    int zero_ok;                    /* 0 accepted below min (= off) */
    const char *arg;                /* value's name in --help; NULL = none */
    const char *unit;               /* what the value is, for errors */
    const char *def_text;           /* default as --help says it */
    enum options_section section;
    unsigned sources;               /* OPTS_FROM_* it applies to; 0 = any */
    const char *requires;           /* given only with one of "a|b" */
    const char *requires_text;      /* how errors say that, if not so */
    const char *or_with;            /* also fine beside this option, with
                                       a source outside sources */
    const char *help;
    int (*parse)(struct options *o, const char *value, char *err,
                 size_t errlen);    /* OPT_CHOICE */
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

/* Whether option NAME (long name) was on the command line. */
int options_given(const struct options *o, const char *name);

/* The option table (for tests and documentation checks). */
const struct option_spec *options_table(size_t *n);

/* The table itself (options.c), for the parser and --help
** (options_parse.c); everyone else goes through options_table(). */
extern const struct option_spec option_table[];
extern const size_t option_count;

/* A whole number with an optional k/m/g suffix (powers of 1024) when
** suffixes is set: 0 and *out, or -1. For the table's value parsers. */
int options_parse_whole(const char *s, int suffixes, unsigned long long *out);

/* Writes --help to out. */
void options_help(FILE *out);

#endif
