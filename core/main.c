/*
** main.c: certmon's entry point: options, wiring, signals, exit summary.
**
** The main thread runs the source; worker threads run the rules. Signals
** only set a flag and wake the source; everything else happens here.
*/
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "sinks/alert_sink.h"
#include "log.h"
#include "rules/lua_api.h"
#include "metrics.h"
#include "mono_clock.h"
#include "options.h"
#include "paths.h"
#include "progress.h"
#include "queue.h"
#include "redis/redis_publish.h"
#include "redis/redis_store.h"
#include "reload.h"
#include "source_select.h"
#include "rules/rule_sample.h"
#include "rules/rule_test.h"
#include "rules/rules.h"
#include "rules/sandbox.h"
#include "serve/serve.h"
#include "stats.h"
#include "store.h"
#include "store_snapshot.h"
#include "watchdog.h"
#include "worker.h"

/* Written by the signal handlers and by a worker (-n): a C11 atomic, which
** a handler may store to because it is lock-free. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop flag must be lock-free");
static atomic_int stop_requested;
static struct source *running_source;
/* Read by the SIGHUP handler; set before the handler is installed and
** cleared only after SIGHUP is ignored again (see stop:). */
static struct reloader *running_reloader;
static double start_s;      /* mono_s() at start, for the summary */

static void on_hup_signal(int sig)
{
    (void)sig;
    alert_output_request_reopen();      /* log rotation of -o */
    reload_request(running_reloader);
}

/* Set by a stop signal after the first: do not finish the queue. */
static atomic_int stop_now;
static atomic_int stop_signals;

static void on_stop_signal(int sig)
{
    struct source *s = running_source;  /* read once: main may clear it */

    (void)sig;
    if (atomic_fetch_add(&stop_signals, 1) > 0)
        atomic_store(&stop_now, 1);
    atomic_store(&stop_requested, 1);
    if (s && s->wake)
        s->wake(s);
}

/* Installs the stop handlers without SA_RESTART, so a blocking read in
** the source returns EINTR and sees the flag. */
static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup_signal;  /* reopens -o; reloads unless off */
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* Called from a worker when -n certificates were processed. */
static void on_limit(void *arg)
{
    struct queue *q = arg;
    struct source *s = running_source;

    atomic_store(&stop_requested, 1);
    queue_close(q);
    if (s && s->wake)
        s->wake(s);
}

/* The watchdog's give_up: a worker is stuck in one rule call past the
** grace period (it was logged). Alerts are written with write(2), so what
** the other workers produced is out; the stuck worker's batch is lost.
** Runs on the watchdog thread and ends the process. */
static void on_stuck_worker(void *arg)
{
    (void)arg;
    log_error("exiting with a worker still stuck in a rule call");
    stats_print_summary(stderr, mono_s() - start_s);
    _exit(1);
}

/* Waits while the workers finish the closed queue. A stop signal during
** the wait is answered with how much is left, and a second one ends the
** wait (the workers then drop the rest: pipeline.abandon). Polls: the
** main thread only waits here, and signals must reach it. */
static void wait_for_drain(struct queue *q, int n_workers)
{
    const struct timespec tick = { 0, 50 * 1000 * 1000 };
    int announced = 0;
    size_t left;

    while (q && n_workers > 0 && (left = queue_len(q)) > 0 &&
           !atomic_load(&stop_now)) {
        if (atomic_load(&stop_signals) && !announced) {
            log_info("finishing %zu queued messages; press Ctrl-C again (or "
                     "send the signal again) to stop now", left);
            announced = 1;
        }
        nanosleep(&tick, NULL);
    }
}

/* No SIGHUP handler from here on: the reloader it would touch is about to
** go. Handlers run only on the main thread (the others block the
** signals), which is here, so none is running when this returns. */
static void ignore_hup(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
}

/* One line at start: what certmon reads and which rules run, so a first
** run that then fails to connect has said what it tried. */
static void log_start_line(const struct options *o, struct ruleset *rs)
{
    char rules[512], source[512];
    size_t n = 0;

    rules[0] = '\0';
    for (size_t i = 0; i < rs->n_files && n < sizeof(rules) - 8; i++) {
        if (i == 6) {
            n += (size_t)snprintf(rules + n, sizeof(rules) - n, ", ...");
            break;
        }
        const char *path = rs->files[i].path, *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        size_t len = strlen(base);
        if (len > 4 && strcmp(base + len - 4, ".lua") == 0)
            len -= 4;
        n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%s%.*s",
                              i ? ", " : "", (int)len, base);
    }
    if (o->replay_path)
        snprintf(source, sizeof(source), "replaying %s",
                 strcmp(o->replay_path, "-") ? o->replay_path : "stdin");
    else if (o->ct)
        snprintf(source, sizeof(source), "reading CT logs directly%s",
                 o->backtest ? " (backtest)" : "");
    else if (o->redis_url)
        snprintf(source, sizeof(source), "consuming a Redis stream");
    else if (o->n_urls > 1)
        snprintf(source, sizeof(source), "connecting to %s (then %zu "
                 "more for failover)", o->urls[0], o->n_urls - 1);
    else
        snprintf(source, sizeof(source), "connecting to %s",
                 o->n_urls ? o->urls[0] : OPTIONS_DEFAULT_URL);
    log_info("%zu rule file%s (%s), %d worker%s; %s", rs->n_files,
             rs->n_files == 1 ? "" : "s", rules, o->workers,
             o->workers == 1 ? "" : "s", source);
}

static void print_problem(void *ud, size_t index, const char *problem)
{
    int *check_mode = ud;

    if (*check_mode)
        fprintf(stderr, "%s\n", problem);
    else
        log_error("%s", problem);
}

/* Loads the rules once in a scratch state: the same code path as the
** workers, so a ruleset that passes here loads in every worker. Returns
** the number of files that failed. */
static size_t validate_rules(const struct sandbox_config *sc,
                             struct ruleset *rs, int check_mode)
{
    char err[512];
    struct rule *rules;
    size_t n, failed;
    lua_State *L = sandbox_new_state(sc, err, sizeof(err));

    if (!L) {
        log_error("%s", err);
        return rs->n_files;
    }
    failed = rules_load(L, rs, &rules, &n, print_problem, &check_mode);
    rules_free(rules, n);
    sandbox_close(L);
    return failed;
}

static void log_rule_summary(struct ruleset *rs)
{
    for (size_t i = 0; i < rs->n_files; i++) {
        struct rule_file *f = &rs->files[i];
        uint64_t errors = atomic_load(&f->errors);
        if (errors)
            log_warn("%s: %llu of %llu calls failed", f->path,
                     (unsigned long long)errors,
                     (unsigned long long)atomic_load(&f->calls));
    }
}

int main(int argc, char **argv)
{
    struct options o;
    char err[512], home[PATH_MAX], lua_dir[PATH_MAX + 8];
    char default_rules[PATH_MAX + 16], default_sample[PATH_MAX + 24];
    const char *sample;
    const char *default_paths[1];
    const char **rule_paths;
    size_t n_rule_paths;
    struct ruleset *rs = NULL;
    struct queue *q = NULL;
    struct worker **workers = NULL;
    struct source *src = NULL;
    struct watchdog *wd = NULL;
    struct serve *srv = NULL;
    struct redis_publisher *pub = NULL;
    struct pipeline p = { .seq_label = "message" };
    struct source_choice choice;
    struct sandbox_config sc;
    struct intake in;
    struct metrics *metrics = NULL;
    struct progress *progress = NULL;
    struct store_snapshotter *snap = NULL;
    sigset_t block, old;
    int status = 1, n_workers = 0;
    double t0 = mono_s();

    start_s = t0;
    switch (options_parse(&o, argc, argv, err, sizeof(err))) {
    case OPTIONS_EXIT:
        options_free(&o);
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "certmon: %s\n", err);
        options_free(&o);
        return 2;
    case OPTIONS_OK:
        break;
    }
    store_set_max_bytes(o.store_max_bytes);
    if (o.verbose > 0)
        log_set_level(LOG_DEBUG);
    else if (o.verbose < 0)
        log_set_level(LOG_ERROR);
    /* repeated errors are logged again each status interval */
    log_set_budget_window_s(o.stats_interval_s ? o.stats_interval_s : 60);
    if (paths_find_home(NULL, getenv("CERTMON_HOME"), NULL, home,
                        sizeof(home), err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto done;
    }
    log_debug("home: %s", home);
    snprintf(lua_dir, sizeof(lua_dir), "%s/lua", home);
    if (getenv("CERTMON_LUA_DIR"))
        snprintf(lua_dir, sizeof(lua_dir), "%s", getenv("CERTMON_LUA_DIR"));
    /* benchmark measurements (make bench); see stats.h */
    stats_bench_init(getenv("CERTMON_BENCH") != NULL);
    /* --check runs the handlers on the demo feed unless told otherwise */
    snprintf(default_sample, sizeof(default_sample), "%s/scripts/demo/demo.jsonl",
             home);
    sample = o.sample_path ? o.sample_path : default_sample;
    if (o.check && !o.sample_path && access(default_sample, R_OK) != 0)
        sample = "none";
    if (o.n_rule_paths == 0) {
        snprintf(default_rules, sizeof(default_rules), "%s/scripts", home);
        default_paths[0] = default_rules;
    }
    rule_paths = o.n_rule_paths ? o.rule_paths : default_paths;
    n_rule_paths = o.n_rule_paths ? o.n_rule_paths : 1;
    if (ruleset_read(rule_paths, n_rule_paths, 0, &rs, err,
                     sizeof(err)) < 0) {
        log_error("rules: %s", err);
        goto done;
    }
    rs->generation = 1;
    /* rs stays referenced until exit: sc points at its folders. */
    sc = (struct sandbox_config){
        .lua_dir = lua_dir,
        .rule_dirs = (const char *const *)rs->dirs,
        .n_rule_dirs = rs->n_dirs,
        .unsafe = o.unsafe,
        .budget_instructions = o.rule_budget,
        .memory_bytes = o.rule_memory_bytes,
    };
    lua_api_confine_reads(!o.unsafe, lua_dir, sc.rule_dirs, sc.n_rule_dirs,
                          argc, argv);
    if (o.unsafe)
        log_warn("--unsafe: rules get the full Lua standard library "
                 "(files, processes, C modules)");
    if (o.check) {
        size_t failed = validate_rules(&sc, rs, 1);
        if (!failed && strcmp(sample, "none") != 0) {
            int check_mode = 1;
            int n = rule_sample_run(&sc, rs, sample, print_problem,
                                    &check_mode, err, sizeof(err));
            if (n < 0) {
                log_error("%s", err);
                status = 1;
                goto done;
            }
            failed = (size_t)n;
        }
        if (failed)
            fprintf(stderr, "certmon: %zu of %zu rule file%s %s problems\n",
                    failed, rs->n_files, rs->n_files == 1 ? "" : "s",
                    failed == 1 ? "has" : "have");
        else
            fprintf(stderr, "certmon: %zu rule file%s OK%s%s\n",
                    rs->n_files, rs->n_files == 1 ? "" : "s",
                    strcmp(sample, "none") ? "; every handler ran on " : "",
                    strcmp(sample, "none") ? sample : "");
        status = failed ? 1 : 0;
        goto done;
    }
    if (o.test) {
        status = rule_test_run(&sc, rs, stdout);
        goto done;
    }
    if (validate_rules(&sc, rs, 0) > 0) {
        log_error("rules failed to load; fix them (certmon --check shows "
                  "every problem)");
        goto done;
    }
    /* certmon.store from the last run; a replay only with --state-dir,
    ** so replaying a file twice gives the same alerts by default */
    if (!o.no_store_snapshot && !o.backtest && !o.publish_url &&
        (!o.replay_path || o.state_dir) &&
        !(snap = store_snapshot_begin(o.state_dir,
                                      o.store_snapshot_interval_s, err,
                                      sizeof(err)))) {
        log_error("%s", err);
        goto done;
    }
    /* --store redis://: seen shared by every certmon on that Redis (not
    ** with --publish: no rule runs there) */
    if (o.store_url && !o.publish_url) {
        struct redis_store_config rsc = { .url = o.store_url };
        if (redis_store_start(&rsc, err, sizeof(err)) < 0) {
            log_error("%s", err);
            goto done;
        }
    }
    if (source_select(&o, home, &choice, err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto done;
    }
    src = choice.src;
    if (alert_output_open(o.output_path, err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto done;
    }
    {
        struct alert_sinks_config ac = {
            .webhooks = o.alert_webhooks,
            .n_webhooks = o.n_alert_webhooks,
            .execs = o.alert_execs,
            .n_execs = o.n_alert_execs,
            .redis = o.alert_redis,
            .n_redis = o.n_alert_redis,
            .queue_len = o.alert_queue,
            .spool_dir = o.alert_spool_dir,
            .spool_max_bytes = o.alert_spool_max_bytes,
            .format = o.alert_format_slack ? ALERT_FORMAT_SLACK
                                           : ALERT_FORMAT_JSON,
            .headers = o.alert_headers,
            .n_headers = o.n_alert_headers,
            .header_file = o.alert_header_file,
            .ca_file = o.ca_file,
            .insecure = o.insecure,
            .timeout_ms = o.alert_timeout_ms,
            .retries = o.alert_retries,
            .exec_jobs = o.alert_exec_jobs,
        };
        if (alert_sinks_start(&ac, err, sizeof(err)) < 0) {
            log_error("%s", err);
            goto done;
        }
    }
    if (!(srv = serve_start_options(&o, err, sizeof(err))) && err[0]) {
        log_error("%s", err);
        goto done;
    }
    alert_set_tap(srv ? serve_alert_tap : NULL, srv);
    intake_set_tap(srv ? serve_intake_tap : NULL, srv);
    q = queue_new(o.queue_capacity);
    workers = calloc((size_t)o.workers, sizeof(*workers));
    if (!q || !workers) {
        log_error("out of memory");
        goto done;
    }
    queue_set_max_bytes(q, o.queue_max_bytes);
    if (o.listen) {
        struct metrics_config mc = {
            .listen = o.listen,
            .listen_public = o.listen_public,
            .health_max_age_ms = o.health_max_age_ms,
            .queue = q,
            .source = src->name,
        };
        if (!(metrics = metrics_start(&mc, err, sizeof(err)))) {
            log_error("%s", err);
            goto done;
        }
        if (alert_sinks_count())    /* removed before the sinks stop */
            metrics_add_writer(alert_sinks_write_metrics, NULL);
    }
    if (o.ct && o.backtest)
        progress = progress_start(o.progress_s, -1);
    p.queue = q;
    p.max_certs = o.max_messages;
    p.on_limit = on_limit;
    p.on_limit_arg = q;
    p.seq_label = choice.seq_label;
    if (src->done) {
        p.on_done = source_done;
        p.on_done_arg = src;
    }
    if (src->invalid) {
        p.on_invalid = source_invalid;
        p.on_invalid_arg = src;
    }
    if (p.on_done && alert_sinks_count()) {  /* commit only settled alerts */
        alert_sinks_set_done(p.on_done, p.on_done_arg);
        p.on_done = alert_sinks_done;
        p.on_done_arg = NULL;
    }
    p.fail_limit = o.rule_fail_limit;
    p.abandon = &stop_now;
    /* Workers and the reload thread must not take the signals: the
    ** source's blocking calls on the main thread are what a signal has to
    ** interrupt. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    {
        struct watchdog_config wc = {
            .rule_timeout_ms = o.rule_timeout_ms,
            .stop_grace_ms = o.stop_grace_ms,
            .stop_flag = &stop_requested,
            .give_up = on_stuck_worker,
            .seq_label = p.seq_label,
        };
        wd = watchdog_start(&wc, o.workers, err, sizeof(err));
        if (!wd) {
            log_error("%s", err);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            goto stop;
        }
        p.watchdog = wd;
    }
    /* --publish: the publisher takes the messages instead of rules */
    for (; n_workers < (o.publish_url ? 0 : o.workers); n_workers++) {
        struct rules_instance *ri = rules_instantiate(&sc, rs, NULL, NULL,
                                                      err, sizeof(err));
        workers[n_workers] = ri ? worker_new(n_workers, &p, ri) : NULL;
        if (!workers[n_workers]) {
            log_error("worker %d: %s", n_workers, ri ? "out of memory" : err);
            rules_instance_free(ri);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            goto stop;
        }
    }
    if (!o.no_reload && !o.publish_url) {
        struct reload_config rc = {
            .rule_paths = rule_paths,
            .n_rule_paths = n_rule_paths,
            .sandbox = &sc,
            .watch = 1,
            .settle_ms = 150,
        };
        running_reloader = reload_start(&rc, workers, n_workers, rs, err,
                                        sizeof(err));
        if (!running_reloader)
            log_warn("hot reload unavailable: %s", err);
        else {
            p.retire = reload_retire;
            p.retire_arg = running_reloader;
        }
    }
    for (int i = 0; i < n_workers; i++)
        if (worker_start(workers[i]) < 0) {
            log_error("worker %d: cannot start thread", i);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            goto stop;
        }
    if (o.publish_url) {
        struct redis_publish_config rp = {
            .url = o.publish_url,
            .maxlen = o.publish_maxlen,
            .queue = q,
            .on_done = p.on_done,
            .on_done_arg = p.on_done_arg,
            .stop = &stop_requested,
            .reconnect_min_ms = o.reconnect_min_ms,
            .reconnect_max_ms = o.reconnect_max_ms,
        };
        pub = redis_publish_start(&rp, err, sizeof(err));
        if (!pub) {
            log_error("%s", err);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            goto stop;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    running_source = src;
    install_signals();
    in = (struct intake){
        .queue = q,
        .on_full = choice.on_full,
        .max_message_bytes = o.max_message_bytes,
        .stop = &stop_requested,
    };
    log_start_line(&o, rs);
    status = 0;
    if (srv && o.serve_wait_clients &&
        serve_wait_clients(srv, o.serve_wait_clients, &stop_requested) < 0)
        goto stop;
    if (src->run(src, &in, err, sizeof(err)) < 0) {
        log_error("%s", err);
        status = 1;
    }
stop:
    /* No reload from here on; then finish what is queued: workers drain
    ** the closed queue, then exit. A worker stuck in one call for longer
    ** than --stop-grace makes the watchdog end the process instead. */
    ignore_hup();
    watchdog_stopping(wd);
    /* the reload thread may be validating a rule with a huge budget */
    watchdog_enter(watchdog_main_slot(wd), "the rule reload thread", "stop",
                   mono_ns());
    reload_stop(running_reloader);
    watchdog_leave(watchdog_main_slot(wd));
    queue_close(q);
    atomic_store(&p.stopping, 1);   /* alerts that cannot be written: no
                                       more retries (worker.h) */
    wait_for_drain(q, n_workers);
    for (int i = 0; i < n_workers; i++)
        worker_free(workers[i]);
    store_snapshot_stop(snap, 1);   /* no worker writes the store now */
    snap = NULL;
    redis_store_stop();             /* nor asks Redis */
    redis_publish_free(pub);
    watchdog_free(wd);      /* after the states that point into it */
    metrics_remove_writer(alert_sinks_write_metrics, NULL);
    alert_sinks_stop();     /* every alert is dispatched: drain the sinks */
    running_source = NULL;
    alert_set_tap(NULL, NULL);
    intake_set_tap(NULL, NULL);
    serve_stop(srv, 10000);     /* after the workers: their alerts too */
    srv = NULL;
    if (stats_get(&stats.abandoned))
        log_warn("stopped at once: %llu queued messages were not processed",
                 (unsigned long long)stats_get(&stats.abandoned));
    progress_stop(progress);
    progress = NULL;
    metrics_stop(metrics);
    metrics = NULL;
    log_rule_summary(running_reloader ? reload_current(running_reloader) : rs);
    reload_free(running_reloader);
    running_reloader = NULL;
    stats_print_summary(stderr, mono_s() - t0);
    stats_bench_print(stderr);
    if (stats_get(&stats.alerts_lost)) {
        log_error("%llu alerts were lost (see alerts_lost above)",
                  (unsigned long long)stats_get(&stats.alerts_lost));
        status = 1;
    }
done:
    metrics_remove_writer(alert_sinks_write_metrics, NULL);
    alert_set_tap(NULL, NULL);
    intake_set_tap(NULL, NULL);
    serve_stop(srv, 0);
    alert_sinks_stop();
    progress_stop(progress);
    metrics_stop(metrics);
    if (src)
        src->destroy(src);
    free(workers);
    queue_free(q);
    alert_output_close();
    ruleset_unref(rs);
    store_snapshot_stop(snap, 0);   /* started, then a start-up failure */
    redis_store_stop();
    store_reset();
    lua_api_confine_reset();
    stats_rules_free();
    options_free(&o);
    return status;
}
