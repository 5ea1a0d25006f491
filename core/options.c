/*
** options.c: the command line, from one table of options.
**
** Every option is one row of option_table below: its name, the field of
** struct options it sets, its type, range and default, where it applies
** and its help. The parser, the defaults, the range checks, the
** "goes with --ct" checks and --help are all derived from that table (the
** shape of Redis's static_configs[]), so they cannot disagree; a new
** option is a new row.
*/
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/ct_loglist.h"
#include "options.h"
#include "version.h"
#include "ws/ws_url.h"

#define OFF(field) offsetof(struct options, field)

/* The default --rule-memory: one budget for the rules' states of the
** whole process, split among the workers, so that more workers do not
** mean more memory (a memory-bomb rule fills every worker's state at
** once: with 256 MiB per state, two workers reached 644 MB RSS). */
static const struct {
    size_t total_bytes;         /* shared by all workers' states */
    size_t min_bytes;           /* no state gets less */
} rule_memory_auto = {
    .total_bytes = 256u << 20,
    .min_bytes = 32u << 20,
};
#define KIB 1024.0
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

static int parse_on_full(struct options *o, const char *v, char *err,
                         size_t errlen);
static int parse_ct_start(struct options *o, const char *v, char *err,
                          size_t errlen);
static int parse_alert_format(struct options *o, const char *v, char *err,
                              size_t errlen);

static const char *const section_titles[] = {
    [OPTS_SOURCE] = "Sources (one of them; default: --url "
                    OPTIONS_DEFAULT_URL ")",
    [OPTS_WS] = "Live WebSocket source (--url)",
    [OPTS_CT] = "CT logs (--ct)",
    [OPTS_RULES] = "Rules",
    [OPTS_PIPELINE] = "Pipeline",
    [OPTS_OUTPUT] = "Output",
    [OPTS_ALERTS] = "Alert delivery (besides -o; each sink has its own "
                    "queue and thread)",
    [OPTS_SERVICE] = "Metrics, health and progress",
    [OPTS_SERVE] = "CertStream server (--serve)",
};

static const struct option_spec option_table[] = {
    /* sources */
    { .name = "url", .short_name = 'u', .type = OPT_LIST, .arg = "URL",
      .offset = OFF(urls), .count_offset = OFF(n_urls),
      .section = OPTS_SOURCE, .def_text = OPTIONS_DEFAULT_URL,
      .help = "a CertStream WebSocket (ws:// or wss://; /, /full-stream, "
              "/domains-only); repeat for failover, tried in turn after "
              "each failure" },
    { .name = "replay", .short_name = 'r', .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(replay_path), .section = OPTS_SOURCE,
      .help = "read messages from FILE, one JSON object a line ('-' = "
              "stdin); never drops" },
    { .name = "ct", .type = OPT_FLAG, .offset = OFF(ct),
      .section = OPTS_SOURCE,
      .help = "read Certificate Transparency logs directly: no aggregator, "
              "no gaps across restarts" },

    /* the live WebSocket source */
    { .name = "ca-file", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(ca_file), .section = OPTS_WS,
      .sources = OPTS_FROM_WS | OPTS_FROM_CT, .or_with = "alert-webhook",
      .def_text = "system store",
      .help = "trust this CA (PEM) instead of the system store (also for "
              "https:// CT logs and webhooks)" },
    { .name = "insecure", .type = OPT_FLAG, .offset = OFF(insecure),
      .section = OPTS_WS, .sources = OPTS_FROM_WS | OPTS_FROM_CT,
      .or_with = "alert-webhook",
      .help = "do not verify the server's certificate" },
    { .name = "ping-interval", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(ping_interval_s), .min = 0, .max = 3600, .def = 20,
      .section = OPTS_WS, .sources = OPTS_FROM_WS, .unit = "seconds",
      .help = "send a PING after S seconds of quiet (0 = never)" },
    { .name = "idle-timeout", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(idle_timeout_s), .min = 0, .max = 86400, .def = 70,
      .section = OPTS_WS, .sources = OPTS_FROM_WS, .unit = "seconds",
      .help = "hang up after S seconds without a frame or PONG, and "
              "reconnect (0 = never)" },
    { .name = "reconnect-min-ms", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(reconnect_min_ms), .min = 1, .max = 3600000,
      .def = 1000, .section = OPTS_WS, .sources = OPTS_FROM_WS,
      .unit = "milliseconds", .help = "first reconnection delay" },
    { .name = "reconnect-max-ms", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(reconnect_max_ms), .min = 1, .max = 3600000,
      .def = 60000, .section = OPTS_WS, .sources = OPTS_FROM_WS,
      .unit = "milliseconds", .help = "longest reconnection delay" },
    { .name = "on-full", .type = OPT_CHOICE, .arg = "drop|block",
      .parse = parse_on_full, .section = OPTS_WS, .sources = OPTS_FROM_WS,
      .def_text = "drop",
      .help = "when the queue is full: drop the message (counted) or stop "
              "reading the socket until there is room (replay and --ct "
              "always wait)" },

    /* direct CT logs */
    { .name = "log-list", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(log_list_path), .section = OPTS_CT,
      .sources = OPTS_FROM_CT, .def_text = "scripts/ct/log_list.json",
      .help = "v3 log list (log_list.json or all_logs_list.json)" },
    { .name = "log-list-url", .type = OPT_STRING, .arg = "URL",
      .offset = OFF(log_list_url), .section = OPTS_CT,
      .sources = OPTS_FROM_CT,
      .def_text = "Google's v3 log_list.json",
      .help = "without --log-list: fetch the list at start from URL and its "
              "signature from URL with .sig for .json; verified, kept in the "
              "state folder; on failure the kept copy, then the shipped "
              "snapshot" },
    { .name = "log-list-key", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(log_list_key), .section = OPTS_CT,
      .sources = OPTS_FROM_CT,
      .def_text = "Google's, scripts/ct/log_list_pubkey.pem",
      .help = "the list signer's public key (PEM)" },
    { .name = "log-list-timeout", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(log_list_timeout_s), .min = 1, .max = 3600, .def = 15,
      .section = OPTS_CT, .sources = OPTS_FROM_CT, .unit = "seconds",
      .help = "for each of the list's two requests" },
    { .name = "ct-log", .type = OPT_LIST, .arg = "URL",
      .offset = OFF(ct_logs), .count_offset = OFF(n_ct_logs),
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .help = "read this log (repeatable) instead of the list" },
    { .name = "state-dir", .type = OPT_STRING, .arg = "DIR",
      .offset = OFF(state_dir), .section = OPTS_CT, .sources = 0,
      .def_text = "$XDG_STATE_HOME/certmon, else ~/.local/state/certmon",
      .help = "where CT log positions and the certmon.store snapshot are "
              "kept" },
    { .name = "ct-start", .type = OPT_CHOICE, .arg = "WHERE",
      .parse = parse_ct_start, .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .def_text = "now",
      .help = "now, oldest or an entry index: where to begin in a log seen "
              "for the first time" },
    { .name = "from", .type = OPT_U64, .arg = "N", .offset = OFF(from),
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .help = "backtest: with --to M, run the rules over entries N..M of "
              "the logs, then exit (positions untouched)" },
    { .name = "to", .type = OPT_U64, .arg = "M", .offset = OFF(to),
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .help = "the last entry of a backtest" },
    { .name = "full", .type = OPT_FLAG, .offset = OFF(full),
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .help = "include chain and as_der, as /full-stream" },
    { .name = "ct-parallel", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(ct_parallel), .min = 1, .max = 16, .def = 2,
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .help = "concurrent requests per log" },
    { .name = "ct-rate", .type = OPT_DOUBLE, .arg = "R",
      .offset = OFF(ct_rate), .min = 0.01, .max = 100000, .def = 2,
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .unit = "requests a second",
      .help = "requests per second per log" },
    { .name = "ct-poll", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(ct_poll_ms), .min = 0.1, .max = 86400, .def = 10,
      .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .unit = "seconds between tree heads",
      .help = "ask a caught-up log for a new tree head every S seconds" },
    { .name = "ct-partial-tile-age", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(ct_partial_tile_age_ms), .min = 0, .max = 86400,
      .def = 300, .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .unit = "seconds",
      .help = "caught up with a tiled log, read its partial last tile once "
              "its entries are S seconds old, unless it fills first (0 = at "
              "once)" },
    { .name = "ct-give-up", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(ct_give_up_s), .min = 0, .max = 604800, .def = 600,
      .section = OPTS_CT, .sources = OPTS_FROM_CT, .unit = "whole seconds",
      .help = "backtest: give up on a log after S seconds without an "
              "answer, finish the other logs and exit 1 naming the entries "
              "not read (0 = never); followed logs are retried forever" },

    /* rules */
    { .name = "check", .type = OPT_FLAG, .offset = OFF(check),
      .section = OPTS_RULES,
      .help = "load and validate the rules, print every problem as "
              "file:line: message, exit 0 or 1; reads no source" },
    { .name = "test", .type = OPT_FLAG, .offset = OFF(test),
      .section = OPTS_RULES,
      .help = "run the test cases of the rules, exit 0 if all pass" },
    { .name = "sample", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(sample_path), .section = OPTS_RULES,
      .requires = "check", .def_text = "the demo feed, scripts/demo/demo.jsonl",
      .help = "with --check, run every handler on each message of FILE "
              "(JSON lines) so misspelled fields and calls fail with "
              "file:line; 'none' skips it" },
    { .name = "no-reload", .type = OPT_FLAG, .offset = OFF(no_reload),
      .section = OPTS_RULES,
      .help = "do not reload rules when their files change or on SIGHUP "
              "(SIGHUP still reopens the -o file)" },
    { .name = "rule-budget", .type = OPT_U64, .arg = "N",
      .offset = OFF(rule_budget), .min = 1000, .def = 100000000,
      .section = OPTS_RULES, .unit = "instructions",
      .help = "instructions a rule may run per call" },
    { .name = "rule-memory", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(rule_memory_bytes), .min = MIB, .max = 1024 * GIB,
      .def = 256 * MIB, .zero_ok = 1, .section = OPTS_RULES,
      .def_text = "256m shared by the workers, 32m at least",
      .help = "memory of each worker's Lua state (0 = no cap)" },
    { .name = "rule-fail-limit", .type = OPT_UNSIGNED, .arg = "K",
      .offset = OFF(rule_fail_limit), .min = 0, .max = 1 << 30, .def = 100,
      .section = OPTS_RULES,
      .help = "disable a rule that fails K calls in a row until its file "
              "changes (0 = never)" },
    { .name = "rule-timeout", .type = OPT_UNSIGNED, .arg = "MS",
      .offset = OFF(rule_timeout_ms), .min = 0, .max = 86400000,
      .def = 10000, .section = OPTS_RULES, .unit = "milliseconds",
      .help = "stop a rule call running longer than MS milliseconds (0 = "
              "never); a call stuck in C is logged and counted" },
    { .name = "stop-grace", .type = OPT_UNSIGNED, .arg = "MS",
      .offset = OFF(stop_grace_ms), .min = 0, .max = 86400000, .def = 5000,
      .section = OPTS_RULES, .unit = "milliseconds",
      .help = "on stop, wait at most MS milliseconds for a worker stuck in "
              "one call, then exit 1 without it" },
    { .name = "unsafe", .type = OPT_FLAG, .offset = OFF(unsafe),
      .section = OPTS_RULES,
      .help = "give rules the full Lua standard library (io, os, debug, C "
              "modules); the limits still apply" },

    /* pipeline */
    { .name = "workers", .short_name = 'w', .type = OPT_INT, .arg = "N",
      .offset = OFF(workers), .min = 1, .max = 256, .def_text = "CPUs",
      .section = OPTS_PIPELINE, .help = "Lua worker threads" },
    { .name = "ordered", .type = OPT_FLAG, .offset = OFF(ordered),
      .section = OPTS_PIPELINE,
      .help = "one worker, so alerts come in input order and store.seen "
              "keeps the same duplicate on every run (to compare runs); "
              "at one core's speed" },
    { .name = "max-messages", .short_name = 'n', .type = OPT_U64,
      .arg = "N", .offset = OFF(max_messages), .min = 1,
      .section = OPTS_PIPELINE,
      .help = "exit after N certificate messages were processed" },
    { .name = "queue", .type = OPT_SIZE, .arg = "N",
      .offset = OFF(queue_capacity), .min = 1, .max = 1 << 24, .def = 1024,
      .section = OPTS_PIPELINE,
      .help = "messages buffered between the source and the workers" },
    { .name = "max-message-size", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(max_message_bytes), .min = 64, .max = GIB, .def = MIB,
      .section = OPTS_PIPELINE,
      .help = "larger messages are counted as parse errors and skipped, "
              "never held in memory" },
    { .name = "store-max", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(store_max_bytes), .min = 4 * KIB, .max = 1024 * GIB,
      .def = 64 * MIB, .section = OPTS_PIPELINE,
      .help = "memory for certmon.store; the oldest entries are evicted "
              "past it" },
    { .name = "stats-interval", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(stats_interval_s), .min = 0, .max = 86400, .def = 60,
      .section = OPTS_PIPELINE, .unit = "seconds",
      .help = "a status line every S seconds (0 = off); repeated errors are "
              "logged again each interval" },

    /* output */
    { .name = "output", .short_name = 'o', .type = OPT_STRING,
      .arg = "FILE", .offset = OFF(output_path), .section = OPTS_OUTPUT,
      .def_text = "stdout",
      .help = "append alerts to FILE; SIGHUP reopens it (log rotation)" },
    { .name = "verbose", .short_name = 'v', .type = OPT_SET,
      .offset = OFF(verbose), .def = 1, .section = OPTS_OUTPUT,
      .help = "debug logging" },
    { .name = "quiet", .short_name = 'q', .type = OPT_SET,
      .offset = OFF(verbose), .def = -1, .section = OPTS_OUTPUT,
      .help = "errors only (and the exit summary line, which is always "
              "printed)" },
    /* alert delivery (alert_sink.h) */
    { .name = "alert-webhook", .type = OPT_LIST, .arg = "URL",
      .offset = OFF(alert_webhooks), .count_offset = OFF(n_alert_webhooks),
      .section = OPTS_ALERTS,
      .help = "POST each alert to URL (http:// or https://, verified as for "
              "--url, --ca-file applies; repeatable)" },
    { .name = "alert-exec", .type = OPT_LIST, .arg = "CMD",
      .offset = OFF(alert_execs), .count_offset = OFF(n_alert_execs),
      .section = OPTS_ALERTS,
      .help = "run CMD per alert, without a shell (split on blanks), the "
              "alert JSON on stdin and CERTMON_RULE, CERTMON_DOMAIN, "
              "CERTMON_ALERT_JSON, ... in the environment (repeatable)" },
    { .name = "alert-format", .type = OPT_CHOICE, .arg = "json|slack",
      .parse = parse_alert_format, .section = OPTS_ALERTS,
      .requires = "alert-webhook", .def_text = "json",
      .help = "webhook body: the alert as JSON, or {\"text\": ...} for "
              "Slack and Mattermost" },
    { .name = "alert-header", .type = OPT_LIST, .arg = "H",
      .offset = OFF(alert_headers), .count_offset = OFF(n_alert_headers),
      .section = OPTS_ALERTS, .requires = "alert-webhook",
      .help = "add header 'Name: value' to webhook requests (repeatable; "
              "never logged)" },
    { .name = "alert-header-file", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(alert_header_file), .section = OPTS_ALERTS,
      .requires = "alert-webhook",
      .help = "webhook headers from FILE, one 'Name: value' a line" },
    { .name = "alert-spool", .type = OPT_STRING, .arg = "DIR",
      .offset = OFF(alert_spool_dir), .section = OPTS_ALERTS,
      .requires = "alert-webhook|alert-exec",
      .help = "alerts a sink cannot deliver (after its retries, or with its "
              "queue full) go to DIR/SINK.jsonl and are sent again later; "
              "without it they are lost (counted, exit status 1)" },
    { .name = "alert-queue", .type = OPT_SIZE, .arg = "N",
      .offset = OFF(alert_queue), .min = 1, .max = 1 << 24, .def = 1000,
      .section = OPTS_ALERTS, .requires = "alert-webhook|alert-exec",
      .help = "alerts buffered per sink" },
    { .name = "alert-timeout", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(alert_timeout_ms), .min = 0.1, .max = 3600, .def = 10,
      .section = OPTS_ALERTS, .requires = "alert-webhook|alert-exec",
      .unit = "seconds",
      .help = "per delivery attempt, webhook or program, and the grace to "
              "drain at exit" },
    { .name = "alert-retries", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(alert_retries), .min = 0, .max = 100, .def = 5,
      .section = OPTS_ALERTS, .requires = "alert-webhook|alert-exec",
      .help = "attempts after the first, with backoff, on 5xx, 429, network "
              "errors and failed programs (other 4xx are never retried)" },
    { .name = "alert-exec-jobs", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(alert_exec_jobs), .min = 1, .max = 64, .def = 4,
      .section = OPTS_ALERTS, .requires = "alert-webhook|alert-exec",
      .help = "programs of one --alert-exec running at once" },

    /* metrics, health and progress (metrics.h, progress.h) */
    { .name = "listen", .type = OPT_STRING, .arg = "HOST:PORT",
      .offset = OFF(listen), .section = OPTS_SERVICE,
      .help = "serve /metrics (Prometheus text format) and /healthz over "
              "HTTP, e.g. 127.0.0.1:9464; loopback only unless "
              "--listen-public" },
    { .name = "listen-public", .type = OPT_FLAG, .offset = OFF(listen_public),
      .section = OPTS_SERVICE, .requires = "listen|serve",
      .help = "allow --listen and --serve on a non-loopback address" },
    { .name = "health-max-age", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(health_max_age_ms), .min = 1, .max = 86400, .def = 120,
      .section = OPTS_SERVICE, .requires = "listen", .unit = "seconds",
      .help = "/healthz answers 503 when the source has not delivered a "
              "message for S seconds" },
    { .name = "progress", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(progress_s), .min = 0, .max = 86400, .def = 10,
      .section = OPTS_SERVICE, .sources = OPTS_FROM_CT, .requires = "from",
      .requires_text = "a --ct backtest (--from N --to M)",
      .unit = "whole seconds",
      .help = "backtest progress: a line redrawn in place on a terminal, "
              "else a plain line every S seconds (0 = off)" },

    /* the CertStream server (serve.h) */
    { .name = "serve", .type = OPT_STRING, .arg = "ADDR:PORT",
      .offset = OFF(serve_addr), .section = OPTS_SERVE,
      .help = "serve what the source reads as a CertStream server: / "
              "(lite), /full-stream, /domains-only, GET /example.json (port "
              "0: any free port); loopback only unless --listen-public" },
    { .name = "serve-alerts", .type = OPT_FLAG, .offset = OFF(serve_alerts),
      .section = OPTS_SERVE, .requires = "serve",
      .help = "also stream the alerts on /alerts" },
    { .name = "serve-client-buffer", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(serve_client_buffer), .min = 4 * KIB, .max = 16 * GIB,
      .def = 4 * MIB, .section = OPTS_SERVE, .requires = "serve",
      .help = "close a client more than B bytes behind with code 1008" },
    { .name = "serve-max-clients", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(serve_max_clients), .min = 1, .max = 100000,
      .def = 1000, .section = OPTS_SERVE, .requires = "serve",
      .help = "WebSocket clients at once (more get HTTP 503)" },
    { .name = "serve-cert", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(serve_cert), .section = OPTS_SERVE, .requires = "serve",
      .help = "TLS certificate (PEM) for wss://, with --serve-key" },
    { .name = "serve-key", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(serve_key), .section = OPTS_SERVE, .requires = "serve",
      .help = "TLS private key (PEM), with --serve-cert" },
    { .name = "serve-port-file", .type = OPT_STRING, .arg = "FILE",
      .offset = OFF(serve_port_file), .section = OPTS_SERVE,
      .requires = "serve",
      .help = "write the port listened on to FILE ('-' = stdout)" },
    { .name = "serve-heartbeat", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(serve_heartbeat_s), .min = 0, .max = 86400, .def = 30,
      .section = OPTS_SERVE, .requires = "serve", .unit = "seconds",
      .help = "a heartbeat message every S seconds (0 = none)" },
    { .name = "serve-ping", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(serve_ping_s), .min = 0, .max = 3600, .def = 20,
      .section = OPTS_SERVE, .requires = "serve", .unit = "seconds",
      .help = "ping a client silent for S seconds, hang up after 3 S (0 = "
              "never)" },
    { .name = "serve-wait-clients", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(serve_wait_clients), .min = 1, .max = 100000,
      .section = OPTS_SERVE, .requires = "serve",
      .help = "start reading the source once N clients are connected "
              "(fan-out tests and benchmarks)" },

    { .name = "help", .short_name = 'h', .type = OPT_HELP,
      .section = OPTS_OUTPUT, .help = "this text" },
    { .name = "version", .type = OPT_VERSION, .section = OPTS_OUTPUT,
      .help = "the version" },

    /* Redis Streams */
    { .name = "publish", .type = OPT_STRING, .arg = "URL",
      .offset = OFF(publish_url), .section = OPTS_OUTPUT,
      .help = "instead of running rules, XADD every message to the stream "
              "redis://[user:pass@]host:port[/db]?stream=NAME; with --ct a "
              "position is committed only once Redis has the entries "
              "before it" },
    { .name = "publish-maxlen", .type = OPT_U64, .arg = "N",
      .offset = OFF(publish_maxlen), .min = 0, .def = 1000000,
      .section = OPTS_OUTPUT, .unit = "entries", .requires = "publish",
      .help = "with --publish, trim the stream to about N entries (XADD "
              "MAXLEN ~ N; 0 = never trim)" },

    /* certmon.store across restarts */
    { .name = "store-snapshot-interval", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(store_snapshot_interval_s), .min = 0, .max = 86400,
      .def = 300, .section = OPTS_PIPELINE, .unit = "seconds",
      .help = "save certmon.store to STATE_DIR/store.snap every S seconds "
              "and at exit (0 = only at exit), loaded at start; not in "
              "--check, --test, --publish or a --ct backtest, and with -r "
              "only if --state-dir is given" },
    { .name = "no-store-snapshot", .type = OPT_FLAG,
      .offset = OFF(no_store_snapshot), .section = OPTS_PIPELINE,
      .help = "neither load nor save certmon.store (it starts empty)" },
};

#define N_OPTIONS (sizeof(option_table) / sizeof(option_table[0]))

_Static_assert(N_OPTIONS <= OPTIONS_MAX, "raise OPTIONS_MAX");

static const char usage_head[] =
"Usage: certmon [OPTIONS] [RULE ...]\n"
"\n"
"Watches Certificate Transparency in real time and runs Lua rules on every\n"
"certificate. RULE is a .lua file or a folder of them (default: the\n"
"scripts/ folder shipped with certmon). Alerts are JSON lines.\n";

static const char usage_tail[] =
"\n"
"B takes k, m and g suffixes (powers of 1024). At exit certmon prints one\n"
"line to stderr, also with -q:\n"
"  certmon: certs=N messages=N alerts=N parse_errors=N rule_errors=N ...\n"
"(every field is described in the README; alerts= counts the alerts\n"
"written to -o or stdout). Exit status: 0 done, 1 a rule or source failed\n"
"to start, a backtest gave up on a log or alerts were lost, 2 bad usage.\n"
"\n"
"Environment: CERTMON_HOME is the folder with lua/ and scripts/ when they\n"
"are not found relative to the binary; CERTMON_LUA_DIR overrides lua/.\n";

const struct option_spec *options_table(size_t *n)
{
    *n = N_OPTIONS;
    return option_table;
}

static const struct option_spec *find_spec(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(option_table[i].name, name) == 0)
            return &option_table[i];
    return NULL;
}

int options_given(const struct options *o, const char *name)
{
    const struct option_spec *s = find_spec(name);

    assert(s != NULL);          /* a name that is not in the table */
    return s ? o->given[s - option_table] : 0;
}

/* Whether any option of names ("a|b") was given; --a|--b in messages. */
static int any_given(const struct options *o, const char *names)
{
    const char *p = names;

    while (*p) {
        size_t len = strcspn(p, "|");
        for (size_t i = 0; i < N_OPTIONS; i++)
            if (o->given[i] && strlen(option_table[i].name) == len &&
                strncmp(option_table[i].name, p, len) == 0)
                return 1;
        p += len + (p[len] == '|');
    }
    return 0;
}

/* ---- values ------------------------------------------------------------ */

/* A byte count as --help shows it: "256m", "4k", "1500". */
static void format_bytes(double v, char *out, size_t outlen)
{
    unsigned long long b = (unsigned long long)v;

    if (b && b % (1ull << 30) == 0)
        snprintf(out, outlen, "%llug", b >> 30);
    else if (b && b % (1ull << 20) == 0)
        snprintf(out, outlen, "%llum", b >> 20);
    else if (b && b % (1ull << 10) == 0)
        snprintf(out, outlen, "%lluk", b >> 10);
    else
        snprintf(out, outlen, "%llu", b);
}

static void format_value(const struct option_spec *s, double v, char *out,
                         size_t outlen)
{
    if (s->type == OPT_BYTES)
        format_bytes(v, out, outlen);
    else
        snprintf(out, outlen, "%.15g", v);
}

/* "from 1 to 256" / "at least 1000" / "" for the option's range. */
static void format_range(const struct option_spec *s, char *out,
                         size_t outlen)
{
    char lo[32], hi[32];

    format_value(s, s->min, lo, sizeof(lo));
    format_value(s, s->max, hi, sizeof(hi));
    if (s->max > 0)
        snprintf(out, outlen, "%s%s to %s", s->zero_ok ? "0, or from " : "",
                 lo, hi);
    else if (s->min > 0)
        snprintf(out, outlen, "at least %s", lo);
    else
        out[0] = '\0';
}

/* Parses a whole number with an optional k/m/g suffix (powers of 1024)
** when suffixes is set. 0 and *out, or -1. */
static int parse_whole(const char *s, int suffixes, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (suffixes && *end && !end[1])
        shift = (*end == 'k' || *end == 'K') ? 10
              : (*end == 'm' || *end == 'M') ? 20
              : (*end == 'g' || *end == 'G') ? 30 : 0;
    if (shift) {
        if (v > (~0ull >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int parse_decimal(const char *s, double *out)
{
    char *end;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end || *out != *out ? -1 : 0;
}

/* The error for a value outside what s accepts. */
static void bad_value(const struct option_spec *s, const char *v, char *err,
                      size_t errlen)
{
    char range[96];
    const char *what = s->unit ? s->unit
                     : s->type == OPT_BYTES ? "bytes (k/m/g suffixes)"
                     : s->type == OPT_DOUBLE ? "a number"
                     : "a whole number";

    format_range(s, range, sizeof(range));
    snprintf(err, errlen, "--%s '%s': %s%s%s", s->name, v, what,
             !range[0] ? "" : s->zero_ok || range[0] == 'a' ? ", " : ", from ",
             range);
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

static int parse_on_full(struct options *o, const char *v, char *err,
                         size_t errlen)
{
    if (strcmp(v, "drop") == 0)
        o->on_full = FULL_DROP;
    else if (strcmp(v, "block") == 0)
        o->on_full = FULL_BLOCK;
    else {
        snprintf(err, errlen, "--on-full '%s': drop or block", v);
        return -1;
    }
    return 0;
}

static int parse_ct_start(struct options *o, const char *v, char *err,
                          size_t errlen)
{
    unsigned long long idx;

    if (strcmp(v, "now") == 0)
        o->ct_start = 0;
    else if (strcmp(v, "oldest") == 0)
        o->ct_start = 1;
    else if (parse_whole(v, 0, &idx) == 0) {
        o->ct_start = 2;
        o->ct_start_index = idx;
    } else {
        snprintf(err, errlen, "--ct-start '%s': now, oldest or an entry "
                 "index", v);
        return -1;
    }
    return 0;
}

static int parse_alert_format(struct options *o, const char *v, char *err,
                              size_t errlen)
{
    if (strcmp(v, "json") == 0 || strcmp(v, "slack") == 0) {
        o->alert_format_slack = strcmp(v, "slack") == 0;
        return 0;
    }
    snprintf(err, errlen, "--alert-format '%s': json or slack", v);
    return -1;
}

/* Stores value v (NULL for options without one) as spec s says. */
static int apply(struct options *o, const struct option_spec *s,
                 const char *v, char *err, size_t errlen)
{
    char *field = (char *)o + s->offset;
    unsigned long long n = 0;
    double d = 0;

    switch (s->type) {
    case OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case OPT_SET:
        *(int *)field = (int)s->def;
        return 0;
    case OPT_STRING:
        *(const char **)field = v;
        return 0;
    case OPT_LIST:
        if (push_str((const char ***)field,
                     (size_t *)((char *)o + s->count_offset), v) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    case OPT_CHOICE:
        return s->parse(o, v, err, errlen);
    case OPT_INT: case OPT_UNSIGNED: case OPT_U64: case OPT_SIZE:
    case OPT_BYTES:
        if (parse_whole(v, s->type == OPT_BYTES, &n) < 0 ||
            !((s->zero_ok && n == 0) ||
              ((double)n >= s->min && (s->max == 0 || (double)n <= s->max))))
            goto bad;
        if (s->type == OPT_INT)
            *(int *)field = (int)n;
        else if (s->type == OPT_UNSIGNED)
            *(unsigned *)field = (unsigned)n;
        else if (s->type == OPT_U64)
            *(uint64_t *)field = (uint64_t)n;
        else
            *(size_t *)field = (size_t)n;
        return 0;
    case OPT_DOUBLE: case OPT_SECONDS_MS:
        if (parse_decimal(v, &d) < 0 || !(d >= s->min && d <= s->max))
            goto bad;
        if (s->type == OPT_DOUBLE)
            *(double *)field = d;
        else
            *(unsigned *)field = (unsigned)(d * 1000.0 + 0.5);
        return 0;
    case OPT_HELP: case OPT_VERSION:
        return 0;
    }
bad:
    bad_value(s, v, err, errlen);
    return -1;
}

/* Every default of the table, then the ones that depend on the machine. */
static void set_defaults(struct options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        char *field = (char *)o + s->offset;
        if (s->def == 0 || s->type == OPT_SET)
            continue;
        switch (s->type) {
        case OPT_INT: *(int *)field = (int)s->def; break;
        case OPT_UNSIGNED: *(unsigned *)field = (unsigned)s->def; break;
        case OPT_U64: *(uint64_t *)field = (uint64_t)s->def; break;
        case OPT_SIZE: case OPT_BYTES: *(size_t *)field = (size_t)s->def;
            break;
        case OPT_DOUBLE: *(double *)field = s->def; break;
        case OPT_SECONDS_MS:
            *(unsigned *)field = (unsigned)(s->def * 1000.0 + 0.5);
            break;
        default: break;
        }
    }
    o->on_full = FULL_DROP;
    o->workers = cpus > 0 ? (int)cpus : 1;
}

/* ---- --help ------------------------------------------------------------- */

#define HELP_COL 29
#define HELP_WIDTH 79

/* Writes text from column col, wrapped at HELP_WIDTH, continuation lines
** indented to HELP_COL. */
static void wrap(FILE *out, const char *text, int col)
{
    const char *p = text;

    while (*p) {
        const char *word = p;
        int len;
        while (*p && *p != ' ')
            p++;
        len = (int)(p - word);
        if (col > HELP_COL && col + 1 + len > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (col > HELP_COL) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", len, word);
        col += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void options_help(FILE *out)
{
    fputs(usage_head, out);
    for (int sec = 0; sec < OPTS_N_SECTIONS; sec++) {
        fprintf(out, "\n%s:\n", section_titles[sec]);
        for (size_t i = 0; i < N_OPTIONS; i++) {
            const struct option_spec *s = &option_table[i];
            char left[64], text[768], def[64] = "", range[96];
            int col;
            if ((int)s->section != sec)
                continue;
            if (s->short_name)
                snprintf(left, sizeof(left), "  -%c, --%s%s%s", s->short_name,
                         s->name, s->arg ? " " : "", s->arg ? s->arg : "");
            else
                snprintf(left, sizeof(left), "      --%s%s%s", s->name,
                         s->arg ? " " : "", s->arg ? s->arg : "");
            format_range(s, range, sizeof(range));
            if (s->def_text)
                snprintf(def, sizeof(def), "%s", s->def_text);
            else if (s->def != 0 && s->type != OPT_SET)
                format_value(s, s->def, def, sizeof(def));
            snprintf(text, sizeof(text), "%s%s%s%s%s%s%s", s->help,
                     range[0] || def[0] ? " (" : "",
                     range[0] ? range : "",
                     range[0] && def[0] ? "; " : "",
                     def[0] ? "default " : "", def,
                     range[0] || def[0] ? ")" : "");
            fputs(left, out);
            col = (int)strlen(left);
            if (col >= HELP_COL - 1) {
                fprintf(out, "\n%*s", HELP_COL, "");
                col = HELP_COL;
            } else {
                fprintf(out, "%*s", HELP_COL - col, "");
                col = HELP_COL;
            }
            wrap(out, text, col);
        }
    }
    fputs(usage_tail, out);
}

/* ---- combinations ------------------------------------------------------- */

static const char *source_name(unsigned src)
{
    return src == OPTS_FROM_CT ? "--ct"
         : src == OPTS_FROM_REPLAY ? "--replay" : "--url";
}

/* What an option that does not apply to the chosen source goes with. */
static void describe_sources(unsigned mask, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s%s%s%s",
             mask & OPTS_FROM_WS ? "--url" : "",
             (mask & OPTS_FROM_WS) && (mask & ~OPTS_FROM_WS) ? " or " : "",
             mask & OPTS_FROM_CT ? "--ct" : "",
             (mask & OPTS_FROM_CT) && (mask & OPTS_FROM_REPLAY) ? " or " : "",
             mask & OPTS_FROM_REPLAY ? "--replay" : "");
}

/* Options that make no sense together, caught before anything starts. */
static enum options_result check_combination(struct options *o, char *err,
                                             size_t errlen)
{
    int sources = (o->replay_path != NULL) + (o->n_urls > 0) + o->ct;
    unsigned src = o->ct ? OPTS_FROM_CT
                 : o->replay_path ? OPTS_FROM_REPLAY : OPTS_FROM_WS;
    int from_given = options_given(o, "from");
    int to_given = options_given(o, "to");
    char why[256];

    if (sources > 1) {
        snprintf(err, errlen, "choose one source: --replay, --url or --ct");
        return OPTIONS_ERROR;
    }
    if (o->ordered && options_given(o, "workers") && o->workers != 1) {
        snprintf(err, errlen, "--ordered runs one worker: drop -w %d",
                 o->workers);
        return OPTIONS_ERROR;
    }
    if (o->check && o->test) {
        snprintf(err, errlen, "choose --check (validate) or --test (run "
                 "the rules' test cases), not both");
        return OPTIONS_ERROR;
    }
    if (o->ct && o->on_full == FULL_DROP && options_given(o, "on-full")) {
        snprintf(err, errlen, "--ct never drops: --on-full drop does not "
                 "apply");
        return OPTIONS_ERROR;
    }
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (o->given[i] && option_table[i].requires &&
            !any_given(o, option_table[i].requires)) {
            char with[256];
            size_t w = 0;
            for (const char *p = option_table[i].requires; *p && w < 200;) {
                size_t len = strcspn(p, "|");
                w += (size_t)snprintf(with + w, sizeof(with) - w, "%s--%.*s",
                                      w ? " or " : "", (int)len, p);
                p += len + (p[len] == '|');
            }
            snprintf(err, errlen, "--%s goes with %s", option_table[i].name,
                     option_table[i].requires_text
                     ? option_table[i].requires_text : with);
            return OPTIONS_ERROR;
        }
    /* --check and --test read no source: source options are harmless */
    for (size_t i = 0; !o->check && !o->test && i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        char with[64];
        if (!o->given[i] || !s->sources || (s->sources & src) ||
            (s->or_with && any_given(o, s->or_with)))
            continue;
        if (o->ct && strcmp(s->name, "on-full") == 0)
            continue;       /* "block" is what --ct does anyway */
        describe_sources(s->sources, with, sizeof(with));
        snprintf(err, errlen, "--%s goes with %s, not %s", s->name, with,
                 source_name(src));
        return OPTIONS_ERROR;
    }
    if ((options_given(o, "log-list-url") || options_given(o, "log-list-key"))
        && options_given(o, "log-list")) {
        snprintf(err, errlen, "--log-list-url and --log-list-key go with "
                 "--ct, without --log-list");
        return OPTIONS_ERROR;
    }
    if (options_given(o, "ct-give-up") && !from_given) {
        snprintf(err, errlen, "--ct-give-up applies to a backtest (--from N "
                 "--to M): a followed log is retried until it answers");
        return OPTIONS_ERROR;
    }
    if (from_given != to_given || (from_given && o->from > o->to)) {
        snprintf(err, errlen, "a backtest needs --from N --to M with N <= M");
        return OPTIONS_ERROR;
    }
    o->backtest = from_given;
    if (o->reconnect_min_ms > o->reconnect_max_ms) {
        snprintf(err, errlen, "--reconnect-min-ms is above "
                 "--reconnect-max-ms");
        return OPTIONS_ERROR;
    }
    for (size_t i = 0; i < o->n_urls; i++) {
        struct ws_url u;
        int rc = ws_url_parse(&u, o->urls[i], why, sizeof(why));
        ws_url_free(&u);
        if (rc < 0) {
            snprintf(err, errlen, "--url '%s': %s", o->urls[i], why);
            return OPTIONS_ERROR;
        }
    }
    for (size_t i = 0; i < o->n_ct_logs; i++) {
        char norm[1024];
        if (ct_url_normalize(o->ct_logs[i], norm, sizeof(norm), why,
                             sizeof(why)) < 0) {
            snprintf(err, errlen, "--ct-log '%s': %s", o->ct_logs[i], why);
            return OPTIONS_ERROR;
        }
    }
    return OPTIONS_OK;
}

/* ---- parsing ------------------------------------------------------------ */

enum options_result options_parse(struct options *o, int argc, char **argv,
                                  char *err, size_t errlen)
{
    struct option long_options[N_OPTIONS + 1];
    char short_options[3 * N_OPTIONS + 2];
    size_t ns = 0;
    int c, idx;

    set_defaults(o);
    short_options[ns++] = ':';
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_spec *s = &option_table[i];
        int has_arg = s->arg != NULL;
        long_options[i] = (struct option){ s->name,
            has_arg ? required_argument : no_argument, NULL, 256 + (int)i };
        if (s->short_name) {
            short_options[ns++] = s->short_name;
            if (has_arg)
                short_options[ns++] = ':';
        }
    }
    memset(&long_options[N_OPTIONS], 0, sizeof(long_options[0]));
    short_options[ns] = '\0';
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, short_options, long_options,
                            &idx)) != -1) {
        const struct option_spec *s = NULL;
        if (c >= 256 && c < 256 + (int)N_OPTIONS)
            s = &option_table[c - 256];
        else
            for (size_t i = 0; i < N_OPTIONS && !s; i++)
                if (option_table[i].short_name && option_table[i].short_name == c)
                    s = &option_table[i];
        if (c == ':') {
            snprintf(err, errlen, "option %s needs a value",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (!s) {
            snprintf(err, errlen, "unknown option %s (see --help)",
                     argv[optind - 1]);
            return OPTIONS_ERROR;
        }
        if (s->type == OPT_HELP) {
            options_help(stdout);
            return OPTIONS_EXIT;
        }
        if (s->type == OPT_VERSION) {
            printf("certmon %s\n", CERTMON_VERSION);
            return OPTIONS_EXIT;
        }
        o->given[s - option_table] = 1;
        if (apply(o, s, optarg, err, errlen) < 0)
            return OPTIONS_ERROR;
    }
    for (int i = optind; i < argc; i++)
        if (push_str(&o->rule_paths, &o->n_rule_paths, argv[i]) < 0) {
            snprintf(err, errlen, "out of memory");
            return OPTIONS_ERROR;
        }
    if (o->ordered && !options_given(o, "workers"))
        o->workers = 1;
    if (!options_given(o, "rule-memory")) {
        size_t each = rule_memory_auto.total_bytes /
                      (size_t)(o->workers > 0 ? o->workers : 1);
        o->rule_memory_bytes = each > rule_memory_auto.min_bytes ?
                               each : rule_memory_auto.min_bytes;
    }
    return check_combination(o, err, errlen);
}

void options_free(struct options *o)
{
    for (size_t i = 0; i < N_OPTIONS; i++)       /* the repeatable ones */
        if (option_table[i].type == OPT_LIST) {
            const char ***v = (const char ***)((char *)o +
                                               option_table[i].offset);
            free(*v);
            *v = NULL;
            *(size_t *)((char *)o + option_table[i].count_offset) = 0;
        }
    free(o->rule_paths);
    o->rule_paths = NULL;
    o->n_rule_paths = 0;
}
