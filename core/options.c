/*
** options.c: command-line parsing and --help.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "version.h"

static const struct options option_defaults = {
    .ping_interval_s = 20,
    .idle_timeout_s = 70,
    .reconnect_min_ms = 1000,
    .reconnect_max_ms = 60000,
    .queue_capacity = 1024,
    .max_message_bytes = 1u << 20,
    .on_full = FULL_DROP,
    .stats_interval_s = 60,
    .store_max_bytes = 64u << 20,
    .rule_budget = 100000000,
    .rule_memory_bytes = 256u << 20,
    .rule_fail_limit = 100,
    .ct_poll_ms = 10000,
    .ct_partial_tile_age_ms = 300000,
    .ct_give_up_s = 600,
    .serve_heartbeat_s = 30,
    .serve_ping_s = 20,
    .log_list_timeout_s = 15,
};

static const char usage_text[] =
"Usage: certmon [OPTIONS] [RULE ...]\n"
"\n"
"Watches Certificate Transparency in real time and runs Lua rules on every\n"
"certificate. RULE is a .lua file or a folder of them (default: the\n"
"scripts/ folder shipped with certmon). Alerts are JSON lines.\n"
"\n"
"Sources (one of them; default: --url " OPTIONS_DEFAULT_URL "):\n"
"  -u, --url URL              a CertStream WebSocket (ws:// or wss://;\n"
"                             /, /full-stream, /domains-only); repeat for\n"
"                             failover, tried in turn after each failure\n"
"  -r, --replay FILE          read messages from FILE, one JSON object a\n"
"                             line ('-' = stdin); never drops\n"
"      --ct                   read Certificate Transparency logs directly:\n"
"                             no aggregator, no gaps across restarts\n"
"\n"
"Live WebSocket source:\n"
"      --ca-file FILE         trust this CA (PEM) instead of the system store\n"
"                             (also for https:// CT logs)\n"
"      --insecure             do not verify the server's certificate\n"
"      --ping-interval S      send a PING after S seconds (default 20)\n"
"      --idle-timeout S       reconnect after S seconds without a frame\n"
"                             (default 70)\n"
"      --reconnect-min-ms N   first reconnection delay (default 1000)\n"
"      --reconnect-max-ms N   longest reconnection delay (default 60000)\n"
"      --stats-interval S     a status line every S seconds (default 60,\n"
"                             0 = off)\n"
"\n"
"CT logs (--ct):\n"
"      --log-list FILE        v3 log list (log_list.json / all_logs_list.json;\n"
"                             default: the snapshot in scripts/ct/)\n"
"      --ct-log URL           read this log (repeatable) instead of the list\n"
"      --state-dir DIR        where positions are kept (default\n"
"                             ~/.local/state/certmon)\n"
"      --ct-start WHERE       now, oldest or an index: where to begin in a log\n"
"                             seen for the first time (default now)\n"
"      --from N --to N        backtest: run the rules over entries N..M of\n"
"                             the logs, then exit (positions untouched)\n"
"      --full                 include chain and as_der, as /full-stream\n"
"      --ct-parallel N        concurrent requests per log\n"
"      --ct-rate R            requests per second per log\n"
"      --ct-poll S            ask each log for a new tree head every S\n"
"                             seconds when caught up (default 10)\n"
"      --ct-partial-tile-age S  caught up with a tiled log, read its partial\n"
"                             last tile once the entries in it are S seconds\n"
"                             old, unless it fills first (default 300)\n"
"      --ct-give-up S         backtest: give up on a log after S seconds\n"
"                             without an answer, finish the other logs and\n"
"                             exit 1 naming the entries not read (default\n"
"                             600, 0 = never); followed logs are retried\n"
"                             forever\n"
"\n"
"Rules:\n"
"      --check                load and validate the rules, print every\n"
"                             problem as file:line: message, exit 0 or 1\n"
"      --test                 run the test cases of the rules, exit 0 if\n"
"                             all pass\n"
"      --no-reload            do not reload rules when their files change\n"
"                             (and ignore SIGHUP)\n"
"      --rule-budget N        instructions a rule may run per call\n"
"                             (default 100000000)\n"
"      --rule-memory B        memory of each worker's Lua state (default\n"
"                             256m; k/m/g suffixes; 0 = no cap)\n"
"      --rule-fail-limit K    disable a rule that fails K calls in a row\n"
"                             until its file changes (default 100, 0 = never)\n"
"      --unsafe               give rules the full Lua standard library\n"
"                             (io, os, debug, C modules); limits still apply\n"
"\n"
"Pipeline:\n"
"  -w, --workers N            Lua worker threads (default: CPUs)\n"
"  -n, --max-messages N       exit after N certificate messages were\n"
"                             processed\n"
"      --queue N              messages buffered between source and\n"
"                             workers (default 1024)\n"
"      --max-message-size B   larger messages are counted as parse errors\n"
"                             and skipped (default 1048576; k/m suffixes)\n"
"      --on-full drop|block   when the queue is full: drop the message\n"
"                             (counted) or wait; replay always waits\n"
"      --store-max B          memory for certmon.store, oldest entries\n"
"                             evicted past it (default 64m)\n"
"\n"
"Output:\n"
"  -o, --output FILE          append alerts to FILE (default: stdout)\n"
"  -v, --verbose              debug logging\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this text\n"
"      --version              the version\n"
"\n"
"CertStream server (--serve):\n"
"      --serve ADDR:PORT      serve what the source reads as a CertStream\n"
"                             server: / (lite), /full-stream, /domains-only,\n"
"                             GET /example.json (port 0: any free port)\n"
"      --serve-alerts         also stream the alerts on /alerts\n"
"      --serve-client-buffer B  close a client more than B bytes behind\n"
"                             with 1008 (default 4m; k/m/g suffixes)\n"
"      --serve-max-clients N  WebSocket clients at once (default 1000)\n"
"      --serve-cert FILE --serve-key FILE  TLS (wss://), PEM files\n"
"      --listen-public        allow an ADDR that is not loopback\n"
"      --serve-port-file FILE write the port listened on ('-' = stdout)\n"
"      --serve-heartbeat S    a heartbeat message every S seconds\n"
"                             (default 30, 0 = none)\n"
"      --serve-ping S         ping a client silent for S seconds, hang up\n"
"                             after 3 S (default 20, 0 = never)\n"
"      --serve-wait-clients N start reading the source once N clients are\n"
"                             connected (fan-out tests and benchmarks)\n"
"\n"
"CT log list (--ct without --log-list or --ct-log):\n"
"      --log-list-url URL     fetch the list from URL at start, its\n"
"                             signature from the same URL with .sig for\n"
"                             .json (default Google's v3 log_list.json);\n"
"                             verified, kept in the state folder; on failure\n"
"                             the kept copy, then the shipped snapshot\n"
"      --log-list-key FILE    the signer's PEM public key (default\n"
"                             scripts/ct/log_list_pubkey.pem, Google's)\n"
"      --log-list-timeout S   for each of the two requests (default 15)\n"
"\n"
"At exit certmon prints one line to stderr:\n"
"  certmon: certs=N messages=N alerts=N parse_errors=N rule_errors=N\n"
"           dropped=N reconnects=N errors=N bytes=N elapsed_s=S\n"
"Exit status: 0 done, 1 a rule or source failed to start or a backtest\n"
"gave up on a log, 2 bad usage.\n";

enum {
    OPT_CHECK = 256,
    OPT_QUEUE,
    OPT_MAX_SIZE,
    OPT_ON_FULL,
    OPT_VERSION,
    OPT_STORE_MAX,
    OPT_TEST,
    OPT_NO_RELOAD,
    OPT_UNSAFE,
    OPT_RULE_BUDGET,
    OPT_RULE_MEMORY,
    OPT_RULE_FAIL_LIMIT,
    OPT_CA_FILE,
    OPT_INSECURE,
    OPT_PING,
    OPT_IDLE,
    OPT_RECONNECT_MIN,
    OPT_RECONNECT_MAX,
    OPT_STATS_INTERVAL,
    OPT_CT,
    OPT_LOG_LIST,
    OPT_CT_LOG,
    OPT_STATE_DIR,
    OPT_CT_START,
    OPT_FROM,
    OPT_TO,
    OPT_FULL,
    OPT_CT_PARALLEL,
    OPT_CT_RATE,
    OPT_CT_POLL,
    OPT_CT_PARTIAL_TILE_AGE,
    OPT_CT_GIVE_UP,
    OPT_SERVE,
    OPT_SERVE_ALERTS,
    OPT_SERVE_CLIENT_BUFFER,
    OPT_SERVE_CERT,
    OPT_SERVE_KEY,
    OPT_SERVE_MAX_CLIENTS,
    OPT_LISTEN_PUBLIC,
    OPT_SERVE_PORT_FILE,
    OPT_SERVE_HEARTBEAT,
    OPT_SERVE_PING,
    OPT_SERVE_WAIT_CLIENTS,
    OPT_LOG_LIST_URL,
    OPT_LOG_LIST_KEY,
    OPT_LOG_LIST_TIMEOUT,
};

static const struct option long_options[] = {
    { "url", required_argument, NULL, 'u' },
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "ping-interval", required_argument, NULL, OPT_PING },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "reconnect-min-ms", required_argument, NULL, OPT_RECONNECT_MIN },
    { "reconnect-max-ms", required_argument, NULL, OPT_RECONNECT_MAX },
    { "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
    { "ct", no_argument, NULL, OPT_CT },
    { "log-list", required_argument, NULL, OPT_LOG_LIST },
    { "ct-log", required_argument, NULL, OPT_CT_LOG },
    { "state-dir", required_argument, NULL, OPT_STATE_DIR },
    { "ct-start", required_argument, NULL, OPT_CT_START },
    { "from", required_argument, NULL, OPT_FROM },
    { "to", required_argument, NULL, OPT_TO },
    { "full", no_argument, NULL, OPT_FULL },
    { "ct-parallel", required_argument, NULL, OPT_CT_PARALLEL },
    { "ct-rate", required_argument, NULL, OPT_CT_RATE },
    { "ct-poll", required_argument, NULL, OPT_CT_POLL },
    { "ct-partial-tile-age", required_argument, NULL,
      OPT_CT_PARTIAL_TILE_AGE },
    { "ct-give-up", required_argument, NULL, OPT_CT_GIVE_UP },
    { "replay", required_argument, NULL, 'r' },
    { "workers", required_argument, NULL, 'w' },
    { "max-messages", required_argument, NULL, 'n' },
    { "output", required_argument, NULL, 'o' },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "check", no_argument, NULL, OPT_CHECK },
    { "queue", required_argument, NULL, OPT_QUEUE },
    { "max-message-size", required_argument, NULL, OPT_MAX_SIZE },
    { "on-full", required_argument, NULL, OPT_ON_FULL },
    { "version", no_argument, NULL, OPT_VERSION },
    { "store-max", required_argument, NULL, OPT_STORE_MAX },
    { "test", no_argument, NULL, OPT_TEST },
    { "no-reload", no_argument, NULL, OPT_NO_RELOAD },
    { "unsafe", no_argument, NULL, OPT_UNSAFE },
    { "rule-budget", required_argument, NULL, OPT_RULE_BUDGET },
    { "rule-memory", required_argument, NULL, OPT_RULE_MEMORY },
    { "rule-fail-limit", required_argument, NULL, OPT_RULE_FAIL_LIMIT },
    { "serve", required_argument, NULL, OPT_SERVE },
    { "serve-alerts", no_argument, NULL, OPT_SERVE_ALERTS },
    { "serve-client-buffer", required_argument, NULL,
      OPT_SERVE_CLIENT_BUFFER },
    { "serve-cert", required_argument, NULL, OPT_SERVE_CERT },
    { "serve-key", required_argument, NULL, OPT_SERVE_KEY },
    { "serve-max-clients", required_argument, NULL, OPT_SERVE_MAX_CLIENTS },
    { "listen-public", no_argument, NULL, OPT_LISTEN_PUBLIC },
    { "serve-port-file", required_argument, NULL, OPT_SERVE_PORT_FILE },
    { "serve-heartbeat", required_argument, NULL, OPT_SERVE_HEARTBEAT },
    { "serve-ping", required_argument, NULL, OPT_SERVE_PING },
    { "serve-wait-clients", required_argument, NULL,
      OPT_SERVE_WAIT_CLIENTS },
    { "log-list-url", required_argument, NULL, OPT_LOG_LIST_URL },
    { "log-list-key", required_argument, NULL, OPT_LOG_LIST_KEY },
    { "log-list-timeout", required_argument, NULL, OPT_LOG_LIST_TIMEOUT },
    { NULL, 0, NULL, 0 }
};

/* "--name" of the option whose getopt value is c, for messages. */
static const char *opt_name(int c)
{
    static char buf[64];

    for (const struct option *lo = long_options; lo->name; lo++)
        if (lo->val == c) {
            snprintf(buf, sizeof(buf), "--%s", lo->name);
            return buf;
        }
    return "option";
}

/* Parses a whole number in [min, max] with an optional k/m/g suffix
** (powers of 1024) when suffixes is set. */
static int parse_count(const char *s, unsigned long long min,
                       unsigned long long max, int suffixes,
                       unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (suffixes && *end) {
        unsigned shift = (*end == 'k' || *end == 'K') ? 10
                       : (*end == 'm' || *end == 'M') ? 20
                       : (*end == 'g' || *end == 'G') ? 30 : 0;
        if (!shift || end[1] || v > (max >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Parses a decimal number of seconds in [min_s, max_s] ("2", "0.5") into
** whole milliseconds. */
static int parse_seconds_ms(const char *s, double min_s, double max_s,
                            unsigned *out_ms)
{
    char *end;
    double v;

    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min_s && v <= max_s))
        return -1;
    *out_ms = (unsigned)(v * 1000.0 + 0.5);
    return 0;
}

static int push_str(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof(**v));

    if (!nv)
        return -1;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* Options that make no sense together, caught before anything starts. */
static enum options_result check_combination(struct options *o, char *err,
                                             size_t errlen)
{
    int sources = (o->replay_path != NULL) + (o->n_urls > 0) + o->ct;

    if (sources > 1) {
        snprintf(err, errlen, "choose one source: --replay, --url or --ct");
        return OPTIONS_ERROR;
    }
    if (!o->ct && (o->log_list_path || o->n_ct_logs || o->state_dir ||
                   o->from_given || o->to_given || o->full)) {
        snprintf(err, errlen, "--log-list, --ct-log, --state-dir, --from, "
                 "--to and --full go with --ct");
        return OPTIONS_ERROR;
    }
    if (!o->ct && o->ct_tuning_given) {
        snprintf(err, errlen, "--ct-parallel, --ct-rate, --ct-poll, "
                 "--ct-partial-tile-age and --ct-give-up go with --ct");
        return OPTIONS_ERROR;
    }
    if (o->ct_give_up_given && !o->from_given) {
        snprintf(err, errlen, "--ct-give-up applies to a backtest (--from N "
                 "--to M): a followed log is retried until it answers");
        return OPTIONS_ERROR;
    }
    if (o->from_given != o->to_given || (o->from_given && o->from > o->to)) {
        snprintf(err, errlen, "a backtest needs --from N --to M with N <= M");
        return OPTIONS_ERROR;
    }
    o->backtest = o->from_given;
    if (o->ct && o->on_full_given && o->on_full == FULL_DROP) {
        snprintf(err, errlen, "--ct never drops: --on-full drop does not "
                 "apply");
        return OPTIONS_ERROR;
    }
    if (o->reconnect_min_ms > o->reconnect_max_ms) {
        snprintf(err, errlen, "--reconnect-min-ms is above "
                 "--reconnect-max-ms");
        return OPTIONS_ERROR;
    }
    if (o->serve_given && !o->serve_addr) {
        snprintf(err, errlen, "the --serve-* options and --listen-public "
                 "go with --serve ADDR:PORT");
        return OPTIONS_ERROR;
    }
    if ((o->log_list_url || o->log_list_key) &&
        (!o->ct || o->log_list_path)) {
        snprintf(err, errlen, "--log-list-url and --log-list-key go with "
                 "--ct, without --log-list");
        return OPTIONS_ERROR;
    }
    return OPTIONS_OK;
}

enum options_result options_parse(struct options *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    unsigned long long v;
    int c = 0;

    *o = option_defaults;
    {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        o->workers = cpus > 0 ? (int)cpus : 1;
    }
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":u:r:w:n:o:vqh", long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'u':
            if (push_str(&o->urls, &o->n_urls, optarg) < 0)
                goto oom;
            break;
        case 'r':
            o->replay_path = optarg;
            break;
        case OPT_CA_FILE:
            o->ca_file = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = 1;
            break;
        case OPT_PING:
            if (parse_count(optarg, 0, 3600, 0, &v) < 0)
                goto bad_value;
            o->ping_interval_s = (unsigned)v;
            break;
        case OPT_IDLE:
            if (parse_count(optarg, 0, 86400, 0, &v) < 0)
                goto bad_value;
            o->idle_timeout_s = (unsigned)v;
            break;
        case OPT_RECONNECT_MIN:
            if (parse_count(optarg, 1, 3600000, 0, &v) < 0)
                goto bad_value;
            o->reconnect_min_ms = (unsigned)v;
            break;
        case OPT_RECONNECT_MAX:
            if (parse_count(optarg, 1, 3600000, 0, &v) < 0)
                goto bad_value;
            o->reconnect_max_ms = (unsigned)v;
            break;
        case OPT_STATS_INTERVAL:
            if (parse_count(optarg, 0, 86400, 0, &v) < 0)
                goto bad_value;
            o->stats_interval_s = (unsigned)v;
            break;
        case OPT_CT:
            o->ct = 1;
            break;
        case OPT_LOG_LIST:
            o->log_list_path = optarg;
            break;
        case OPT_CT_LOG:
            if (push_str(&o->ct_logs, &o->n_ct_logs, optarg) < 0)
                goto oom;
            break;
        case OPT_STATE_DIR:
            o->state_dir = optarg;
            break;
        case OPT_CT_START:
            if (strcmp(optarg, "now") == 0)
                o->ct_start = 0;
            else if (strcmp(optarg, "oldest") == 0)
                o->ct_start = 1;
            else if (parse_count(optarg, 0, UINT64_MAX, 0, &v) == 0) {
                o->ct_start = 2;
                o->ct_start_index = v;
            } else
                goto bad_value;
            break;
        case OPT_FROM:
            if (parse_count(optarg, 0, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->from = v;
            o->from_given = 1;
            break;
        case OPT_TO:
            if (parse_count(optarg, 0, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->to = v;
            o->to_given = 1;
            break;
        case OPT_FULL:
            o->full = 1;
            break;
        case OPT_CT_PARALLEL:
            if (parse_count(optarg, 1, 64, 0, &v) < 0)
                goto bad_value;
            o->ct_parallel = (unsigned)v;
            o->ct_tuning_given = 1;
            break;
        case OPT_CT_RATE: {
            char *end;
            o->ct_rate = strtod(optarg, &end);
            if (*end || !(o->ct_rate > 0))
                goto bad_value;
            o->ct_tuning_given = 1;
            break;
        }
        case OPT_CT_POLL:       /* a tree head at most 10 times a second */
            if (parse_seconds_ms(optarg, 0.1, 86400, &o->ct_poll_ms) < 0) {
                snprintf(err, errlen, "--ct-poll '%s': seconds between tree "
                         "heads, from 0.1 to 86400", optarg);
                return OPTIONS_ERROR;
            }
            o->ct_tuning_given = 1;
            break;
        case OPT_CT_PARTIAL_TILE_AGE:
            if (parse_seconds_ms(optarg, 0, 86400,
                                 &o->ct_partial_tile_age_ms) < 0) {
                snprintf(err, errlen, "--ct-partial-tile-age '%s': seconds, "
                         "from 0 (read it at once) to 86400", optarg);
                return OPTIONS_ERROR;
            }
            o->ct_tuning_given = 1;
            break;
        case OPT_CT_GIVE_UP:
            if (parse_count(optarg, 0, 7 * 86400, 0, &v) < 0) {
                snprintf(err, errlen, "--ct-give-up '%s': whole seconds, from "
                         "0 (never) to 604800", optarg);
                return OPTIONS_ERROR;
            }
            o->ct_give_up_s = (unsigned)v;
            o->ct_give_up_given = 1;
            o->ct_tuning_given = 1;
            break;
        case 'w':
            if (parse_count(optarg, 1, 256, 0, &v) < 0)
                goto bad_value;
            o->workers = (int)v;
            break;
        case 'n':
            if (parse_count(optarg, 1, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->max_messages = v;
            break;
        case 'o':
            o->output_path = optarg;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'q':
            o->verbose = -1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return OPTIONS_EXIT;
        case OPT_VERSION:
            printf("certmon %s\n", CERTMON_VERSION);
            return OPTIONS_EXIT;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_QUEUE:
            if (parse_count(optarg, 1, 1u << 24, 0, &v) < 0)
                goto bad_value;
            o->queue_capacity = (size_t)v;
            break;
        case OPT_MAX_SIZE:
            if (parse_count(optarg, 64, 1ull << 30, 1, &v) < 0)
                goto bad_value;
            o->max_message_bytes = (size_t)v;
            break;
        case OPT_ON_FULL:
            if (strcmp(optarg, "drop") == 0)
                o->on_full = FULL_DROP;
            else if (strcmp(optarg, "block") == 0)
                o->on_full = FULL_BLOCK;
            else
                goto bad_value;
            o->on_full_given = 1;
            break;
        case OPT_STORE_MAX:
            if (parse_count(optarg, 4096, 1ull << 40, 1, &v) < 0)
                goto bad_value;
            o->store_max_bytes = (size_t)v;
            break;
        case OPT_TEST:
            o->test = 1;
            break;
        case OPT_NO_RELOAD:
            o->no_reload = 1;
            break;
        case OPT_UNSAFE:
            o->unsafe = 1;
            break;
        case OPT_RULE_BUDGET:
            if (parse_count(optarg, 1000, UINT64_MAX, 0, &v) < 0)
                goto bad_value;
            o->rule_budget = v;
            break;
        case OPT_RULE_MEMORY:
            if (strcmp(optarg, "0") != 0 &&
                parse_count(optarg, 1u << 20, 1ull << 40, 1, &v) < 0)
                goto bad_value;
            o->rule_memory_bytes = strcmp(optarg, "0") ? (size_t)v : 0;
            break;
        case OPT_RULE_FAIL_LIMIT:
            if (parse_count(optarg, 0, 1u << 30, 0, &v) < 0)
                goto bad_value;
            o->rule_fail_limit = (unsigned)v;
            break;
        case OPT_SERVE:
            o->serve_addr = optarg;
            break;
        case OPT_SERVE_ALERTS:
            o->serve_alerts = o->serve_given = 1;
            break;
        case OPT_SERVE_CLIENT_BUFFER:
            if (parse_count(optarg, 4096, 1ull << 34, 1, &v) < 0)
                goto bad_value;
            o->serve_client_buffer = (size_t)v;
            o->serve_given = 1;
            break;
        case OPT_SERVE_CERT:
            o->serve_cert = optarg;
            o->serve_given = 1;
            break;
        case OPT_SERVE_KEY:
            o->serve_key = optarg;
            o->serve_given = 1;
            break;
        case OPT_SERVE_MAX_CLIENTS:
            if (parse_count(optarg, 1, 100000, 0, &v) < 0)
                goto bad_value;
            o->serve_max_clients = (unsigned)v;
            o->serve_given = 1;
            break;
        case OPT_LISTEN_PUBLIC:
            o->listen_public = o->serve_given = 1;
            break;
        case OPT_SERVE_PORT_FILE:
            o->serve_port_file = optarg;
            o->serve_given = 1;
            break;
        case OPT_SERVE_HEARTBEAT:
            if (parse_count(optarg, 0, 86400, 0, &v) < 0)
                goto bad_value;
            o->serve_heartbeat_s = (unsigned)v;
            o->serve_given = 1;
            break;
        case OPT_SERVE_PING:
            if (parse_count(optarg, 0, 3600, 0, &v) < 0)
                goto bad_value;
            o->serve_ping_s = (unsigned)v;
            o->serve_given = 1;
            break;
        case OPT_SERVE_WAIT_CLIENTS:
            if (parse_count(optarg, 1, 100000, 0, &v) < 0)
                goto bad_value;
            o->serve_wait_clients = (unsigned)v;
            o->serve_given = 1;
            break;
        case OPT_LOG_LIST_URL:
            o->log_list_url = optarg;
            break;
        case OPT_LOG_LIST_KEY:
            o->log_list_key = optarg;
            break;
        case OPT_LOG_LIST_TIMEOUT:
            if (parse_count(optarg, 1, 3600, 0, &v) < 0)
                goto bad_value;
            o->log_list_timeout_s = (unsigned)v;
            break;
        case ':':
            snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
            return OPTIONS_ERROR;
        default:
            snprintf(err, errlen, "unknown option %s (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
    }
    for (int i = optind; i < argc; i++)
        if (push_str(&o->rule_paths, &o->n_rule_paths, argv[i]) < 0)
            goto oom;
    return check_combination(o, err, errlen);
oom:
    snprintf(err, errlen, "out of memory");
    return OPTIONS_ERROR;
bad_value:
    snprintf(err, errlen, "invalid value '%s' for %s (see --help)", optarg,
             opt_name(c));
    return OPTIONS_ERROR;
}

void options_free(struct options *o)
{
    free(o->rule_paths);
    free(o->urls);
    free(o->ct_logs);
    o->rule_paths = o->urls = o->ct_logs = NULL;
    o->n_rule_paths = o->n_urls = o->n_ct_logs = 0;
}
