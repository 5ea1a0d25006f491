/*
** test_alert_sink.c: the alert delivery framework with real programs as
** sinks (exec sinks running small shell scripts), and the webhook's
** configuration checks.
**
** What is promised and checked: a CT sequence number is forwarded only
** once the alerts its worker dispatched are settled; spooled alerts are
** replayed at the next start; a sink's failures are counted; bad URLs and
** headers are refused with a reason that never echoes a header value.
*/
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sinks/alert_sink.h"
#include "sinks/alert_sink_kind.h"
#include "check.h"
#include "mono_clock.h"
#include "stats.h"

static char dir[] = "/tmp/certmon-sink-test.XXXXXX";
static atomic_uint_fast64_t forwarded;
static atomic_int n_forwarded;

static void on_done(void *arg, uint64_t seq)
{
    (void)arg;
    atomic_store(&forwarded, seq);
    atomic_fetch_add(&n_forwarded, 1);
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
                                  .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

/* Polls cond for up to limit_s seconds. */
#define WAIT_FOR(cond, limit_s) do { \
    int64_t wf_end_ = mono_ns() + (int64_t)(limit_s) * 1000000000; \
    while (!(cond) && mono_ns() < wf_end_) sleep_ms(10); \
} while (0)

static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");

    fputs(body, f);
    fclose(f);
    chmod(path, 0755);
}

static long file_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    int c;

    if (!f)
        return 0;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static const char alert_line[] =
    "{\"rule\":\"r\",\"time\":1.000,\"domain\":\"a.example\"}\n";

/* The done callback waits for the sink to settle the worker's alert. */
static void test_done_waits_for_delivery(void)
{
    char gate[512], script[512], cmd[1100], err[256];
    const char *execs[1] = { cmd };
    struct alert_sinks_config c = {
        .execs = execs, .n_execs = 1, .queue_len = 8, .timeout_ms = 60000,
        .retries = 0, .exec_jobs = 1,
    };
    struct alert_sink_info info;

    snprintf(gate, sizeof(gate), "%s/gate", dir);
    snprintf(script, sizeof(script), "%s/wait.sh", dir);
    write_script(script, "#!/bin/sh\ncat >/dev/null\n"
                         "while [ ! -f \"$1\" ]; do sleep 0.02; done\n");
    snprintf(cmd, sizeof(cmd), "%s %s", script, gate);
    CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
    alert_sinks_set_done(on_done, NULL);
    CHECK(alert_sinks_count() == 1);

    /* nothing dispatched from this thread yet: forwarded at once */
    alert_sinks_done(NULL, 7);
    CHECK(atomic_load(&forwarded) == 7);

    alert_sinks_dispatch(alert_line, strlen(alert_line));
    alert_sinks_done(NULL, 8);
    sleep_ms(200);      /* not a race: the hook cannot finish before gate */
    CHECK(atomic_load(&forwarded) == 7);
    CHECK(alert_sink_info(0, &info) == 0 && strcmp(info.name, "exec-1") == 0);

    fclose(fopen(gate, "w"));
    WAIT_FOR(atomic_load(&forwarded) == 8, 30);
    CHECK(atomic_load(&forwarded) == 8);
    CHECK(alert_sink_info(0, &info) == 0 && info.delivered == 1);
    alert_sinks_stop();
    CHECK(alert_sinks_count() == 0);
}

/* A failing hook: spooled; a later start with a working hook replays. */
static void test_spool_and_replay(void)
{
    char spool[512], path[600], err[256];
    const char *fail[1] = { "/bin/false" }, *ok[1] = { "/bin/true" };
    struct alert_sinks_config c = {
        .execs = fail, .n_execs = 1, .queue_len = 8, .timeout_ms = 30000,
        .retries = 0, .exec_jobs = 2,
    };
    struct alert_sink_info info = { 0 };
    uint64_t failed0 = stats_get(&stats.alerts_failed);

    snprintf(spool, sizeof(spool), "%s/spool", dir);
    snprintf(path, sizeof(path), "%s/exec-1.jsonl", spool);
    c.spool_dir = spool;
    CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
    alert_sinks_dispatch(alert_line, strlen(alert_line));
    alert_sinks_dispatch(alert_line, strlen(alert_line));
    WAIT_FOR(alert_sink_info(0, &info) == 0 && info.spooled == 2, 30);
    CHECK(info.spooled == 2 && info.failed == 2 && info.delivered == 0);
    alert_sinks_stop();
    CHECK(stats_get(&stats.alerts_failed) - failed0 == 2);
    CHECK(file_lines(path) == 2);

    /* still failing: the replay at start puts both back, in one file */
    {
        char replay[640];
        snprintf(replay, sizeof(replay), "%s/exec-1.replay.jsonl", spool);
        CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
        alert_sinks_stop();     /* joins: the start-up replay has run */
        CHECK(file_lines(path) == 2);
        CHECK(access(replay, F_OK) != 0);
    }

    c.execs = ok;
    CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
    WAIT_FOR(alert_sink_info(0, &info) == 0 && info.replayed == 2, 30);
    CHECK(info.replayed == 2);
    alert_sinks_stop();
    CHECK(file_lines(path) == 0);
}

/* Queue full with no spool: counted as lost, and the done callback for
** that worker never fires (the position must not move past it). */
static void test_lost_blocks_done(void)
{
    char gate[512], script[512], cmd[1100], err[256];
    const char *execs[1] = { cmd };
    struct alert_sinks_config c = {
        .execs = execs, .n_execs = 1, .queue_len = 1, .timeout_ms = 60000,
        .retries = 0, .exec_jobs = 1,
    };
    uint64_t lost0 = stats_get(&stats.alerts_lost);
    int before;

    snprintf(gate, sizeof(gate), "%s/gate2", dir);
    snprintf(script, sizeof(script), "%s/wait.sh", dir);
    snprintf(cmd, sizeof(cmd), "%s %s", script, gate);
    CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
    /* three alerts in one flush: one fits the queue, two are lost */
    {
        char three[sizeof(alert_line) * 3];
        snprintf(three, sizeof(three), "%s%s%s", alert_line, alert_line,
                 alert_line);
        alert_sinks_dispatch(three, strlen(three));
    }
    CHECK(stats_get(&stats.alerts_lost) - lost0 == 2);
    before = atomic_load(&n_forwarded);
    alert_sinks_done(NULL, 99);
    fclose(fopen(gate, "w"));
    alert_sinks_stop();
    CHECK(atomic_load(&n_forwarded) == before);
    CHECK(atomic_load(&forwarded) != 99);
}

static int refused(const char *url, const char *header, const char *want)
{
    const char *urls[1] = { url }, *headers[1] = { header };
    struct alert_sinks_config c = {
        .webhooks = urls, .n_webhooks = 1, .queue_len = 4,
        .headers = headers, .n_headers = header ? 1 : 0, .timeout_ms = 1000,
    };
    char err[512] = "";
    int rc = alert_sinks_start(&c, err, sizeof(err));

    if (rc == 0) {
        alert_sinks_stop();
        printf("#   %s accepted\n", url);
        return 0;
    }
    if (!strstr(err, want)) {
        printf("#   %s: '%s' lacks '%s'\n", url, err, want);
        return 0;
    }
    if (strstr(err, "hunter2")) {
        printf("#   the URL's password was echoed: %s\n", err);
        return 0;
    }
    if (header && strstr(err, "topsecret")) {
        printf("#   the header value was echoed: %s\n", err);
        return 0;
    }
    return 1;
}

static void test_webhook_config(void)
{
    char err[256];
    struct alert_sinks_config c = { .queue_len = 4, .timeout_ms = 1000 };
    const char *good[] = { "http://127.0.0.1:8080/a?b=c", "http://[::1]:9/",
                           "https://example.org", "http://h?x=1" };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        c.webhooks = &good[i];
        c.n_webhooks = 1;
        CHECK(alert_sinks_start(&c, err, sizeof(err)) == 0);
        alert_sinks_stop();
    }
    CHECK(refused("ftp://x/", NULL, "http:// or https://"));
    CHECK(refused("http://h:0/", NULL, "expected http(s)://HOST"));
    CHECK(refused("http://h:99999/", NULL, "expected http(s)://HOST"));
    CHECK(refused("http://:80/", NULL, "expected http(s)://HOST"));
    CHECK(refused("http://u:pw@h/", NULL, "not supported"));
    /* regressions, since the one splitter (core/url.c): "+80" was read as
    ** 80, a DEL went into the request line, "[foo]" was taken for an
    ** IPv6 address; and a refused URL with a password is not echoed */
    CHECK(refused("http://h:+80/", NULL, "bad port"));
    CHECK(refused("http://h/\x7f", NULL, "control byte"));
    CHECK(refused("http://[foo]/", NULL, "not an IPv6 address"));
    CHECK(refused("http://u:hunter2@h:0/", NULL, "not supported"));
    CHECK(refused("http://u:hunter2@h/\x01", NULL, "control byte"));
    CHECK(refused("http://h/", "Authorization topsecret", "'Name: value'"));
    CHECK(refused("http://h/", "Bad Name: topsecret", "invalid header name"));
    CHECK(refused("http://h/", "X: top\r\nsecret", "line break"));
    CHECK(refused("http://h/", "Content-Length: 3", "set by certmon"));
}

static void test_exec_config(void)
{
    char err[256];
    const char *bad[1] = { "/nonexistent/hook" }, *empty[1] = { "  " };
    struct alert_sinks_config c = { .execs = bad, .n_execs = 1,
                                    .queue_len = 4, .timeout_ms = 1000 };

    CHECK(alert_sinks_start(&c, err, sizeof(err)) < 0 &&
          strstr(err, "/nonexistent/hook"));
    c.execs = empty;
    CHECK(alert_sinks_start(&c, err, sizeof(err)) < 0 &&
          strstr(err, "empty command"));
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_done_waits_for_delivery();
    test_spool_and_replay();
    test_lost_blocks_done();
    test_webhook_config();
    test_exec_config();
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return check_done();
}
