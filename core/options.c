/*
** options.c: the command line, from one table of options.
**
** Every option is one row of option_table below: its name, the field of
** struct options it sets, its type, range and default, where it applies
** and its help. The parser, the defaults, the range checks, the
** "goes with --ct" checks and --help are all derived from that table (the
** shape of Redis's static_configs[]), so they cannot disagree; a new
** option is a new row. This file holds the table and the few value
** parsers of its own that rows name; options_parse.c reads argv against
** it and writes --help from it.
*/
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define OFF(field) offsetof(struct options, field)

#define KIB 1024.0
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

static int parse_on_full(struct options *o, const char *v, char *err,
                         size_t errlen);
static int parse_ct_start(struct options *o, const char *v, char *err,
                          size_t errlen);
static int parse_alert_format(struct options *o, const char *v, char *err,
                              size_t errlen);
static int parse_redis_start(struct options *o, const char *v, char *err,
                             size_t errlen);

const struct option_spec option_table[] = {
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
    { .name = "redis", .type = OPT_STRING, .arg = "URL",
      .offset = OFF(redis_url), .section = OPTS_SOURCE,
      .help = "consume a Redis stream filled by --publish as one consumer "
              "of a group: redis://HOST:PORT?stream=NAME&group=G (also "
              "user:pass@, /db, &consumer=C); each entry is acknowledged "
              "once its rules ran; never drops" },

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
      .def = 1000, .section = OPTS_WS,
      .sources = OPTS_FROM_WS | OPTS_FROM_REDIS, .or_with = "publish",
      .unit = "milliseconds",
      .help = "first reconnection delay (also of --publish)" },
    { .name = "reconnect-max-ms", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(reconnect_max_ms), .min = 1, .max = 3600000,
      .def = 60000, .section = OPTS_WS,
      .sources = OPTS_FROM_WS | OPTS_FROM_REDIS, .or_with = "publish",
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
    { .name = "log-list-refresh", .type = OPT_UNSIGNED, .arg = "S",
      .offset = OFF(log_list_refresh_s), .min = 0, .max = 31536000,
      .def = 86400, .section = OPTS_CT, .sources = OPTS_FROM_CT,
      .unit = "seconds",
      .help = "while following the fetched list: fetch and verify it again "
              "every S seconds, add the logs it now selects and retire "
              "those it no longer does (0 = never)" },
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
      .offset = OFF(queue_capacity), .min = 1, .max = 1 << 24, .def = 65536,
      .section = OPTS_PIPELINE,
      .help = "at most N messages buffered between the source and the "
              "workers" },
    { .name = "queue-bytes", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(queue_max_bytes), .min = 64 * KIB, .max = 64 * GIB,
      .def = 64 * MIB, .zero_ok = 1, .section = OPTS_PIPELINE,
      .help = "and at most B bytes of them (0 = --queue alone): bursts are "
              "absorbed, drops happen only under sustained overload" },
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
    { .name = "store", .type = OPT_STRING, .arg = "URL",
      .offset = OFF(store_url), .section = OPTS_PIPELINE,
      .help = "share certmon.store.seen with every certmon on one Redis, "
              "redis://[user:pass@]host:port[/db][?prefix=P] (SET NX EX; "
              "default prefix certmon:seen:); the local store answers while "
              "Redis cannot" },
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
    { .name = "alert-redis", .type = OPT_LIST, .arg = "URL",
      .offset = OFF(alert_redis), .count_offset = OFF(n_alert_redis),
      .section = OPTS_ALERTS,
      .help = "XADD each alert to a Redis stream: "
              "redis://[user:pass@]host:port[/db]?stream=NAME, fields alert, "
              "rule, domain (repeatable)" },
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
      .requires = "alert-webhook|alert-exec|alert-redis",
      .help = "alerts a sink cannot deliver (after its retries, or with its "
              "queue full) go to DIR/SINK.jsonl and are sent again later; "
              "without it they are lost (counted, exit status 1)" },
    { .name = "alert-spool-max", .type = OPT_BYTES, .arg = "B",
      .offset = OFF(alert_spool_max_bytes), .min = 64 * KIB,
      .max = 1024 * GIB, .def = GIB, .zero_ok = 1, .section = OPTS_ALERTS,
      .requires = "alert-spool",
      .help = "cap of each spool file (0 = none): past it an alert that "
              "cannot be delivered is lost (counted, logged once), so a "
              "receiver down for days cannot fill the disk" },
    { .name = "alert-queue", .type = OPT_SIZE, .arg = "N",
      .offset = OFF(alert_queue), .min = 1, .max = 1 << 24, .def = 1000,
      .section = OPTS_ALERTS,
      .requires = "alert-webhook|alert-exec|alert-redis",
      .help = "alerts buffered per sink" },
    { .name = "alert-timeout", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(alert_timeout_ms), .min = 0.1, .max = 3600, .def = 10,
      .section = OPTS_ALERTS,
      .requires = "alert-webhook|alert-exec|alert-redis",
      .unit = "seconds",
      .help = "per delivery attempt (webhook, program or XADD), and the "
              "grace to drain at exit" },
    { .name = "alert-retries", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(alert_retries), .min = 0, .max = 100, .def = 5,
      .section = OPTS_ALERTS,
      .requires = "alert-webhook|alert-exec|alert-redis",
      .help = "attempts after the first, with backoff, on 5xx, 429, network "
              "errors, failed programs and Redis down (other 4xx are never "
              "retried)" },
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
    { .name = "redis-start", .type = OPT_CHOICE, .arg = "0|$",
      .parse = parse_redis_start, .section = OPTS_REDIS,
      .sources = OPTS_FROM_REDIS, .def_text = "$",
      .help = "where a group that does not exist yet begins: 0 = the "
              "stream's first entry, $ = only entries added from now on" },
    { .name = "redis-claim-idle", .type = OPT_SECONDS_MS, .arg = "S",
      .offset = OFF(redis_claim_idle_ms), .min = 0.1, .max = 86400,
      .def = 60, .zero_ok = 1, .section = OPTS_REDIS,
      .sources = OPTS_FROM_REDIS, .unit = "seconds",
      .help = "take over (XAUTOCLAIM) entries another consumer left "
              "unacknowledged for S seconds, e.g. one that died (0 = never)" },
    { .name = "redis-max-deliveries", .type = OPT_UNSIGNED, .arg = "N",
      .offset = OFF(redis_max_deliveries), .min = 1, .max = 1000000,
      .def = 10, .section = OPTS_REDIS, .sources = OPTS_FROM_REDIS,
      .help = "an entry delivered more than N times goes to the "
              "dead-letter stream NAME:dead, counted, instead of being "
              "retried forever" },
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
const size_t option_count = N_OPTIONS;

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

static int parse_redis_start(struct options *o, const char *v, char *err,
                             size_t errlen)
{
    if (strcmp(v, "0") == 0)
        o->redis_start_oldest = 1;
    else if (strcmp(v, "$") == 0)
        o->redis_start_oldest = 0;
    else {
        snprintf(err, errlen, "--redis-start '%s': 0 (the first entry) or $ "
                 "(from now on)", v);
        return -1;
    }
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
    else if (options_parse_whole(v, 0, &idx) == 0) {
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
