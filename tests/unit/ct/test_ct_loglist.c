/*
** test_ct_loglist.c: v3 log lists and which logs are read.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ct/ct_loglist.h"
#include "test_ct_util.h"

static const struct ct_log *by_desc(const struct ct_loglist *l, const char *d)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->logs[i].description, d) == 0)
            return &l->logs[i];
    return NULL;
}

/* The real all_logs_list.json snapshot (v53.34): 175 RFC 6962 logs, 6
** tiled ones; by state 33 usable, 1 readonly, 10 pending, 3 retired,
** 100 rejected, 28 without a state (the 20 test logs among them). */
static void test_snapshot(void)
{
    const char *top = getenv("CERTMON_TOP");
    char path[1024], err[256];
    struct ct_loglist l;
    size_t i, rfc = 0, tiled = 0, selected = 0, by_state[8] = { 0 };
    const struct ct_log *g;

    snprintf(path, sizeof path, "%s/tests/fixtures/ct/loglist/"
             "x-stp-rxtls-all_logs_list-v53.34-2025-05-05.json",
             top ? top : ".");
    if (!CHECK(ct_loglist_load(path, &l, err, sizeof err) == 0)) {
        printf("#   %s\n", err);
        return;
    }
    CHECK_STR(l.version, "53.34");
    CHECK_STR(l.timestamp, "2025-05-05T12:54:12Z");
    CHECK(l.n_invalid == 0 && err[0] == '\0');
    for (i = 0; i < l.n; i++) {
        const struct ct_log *x = &l.logs[i];
        if (x->api == CT_API_RFC6962)
            rfc++;
        else
            tiled++;
        by_state[x->state]++;
        if (ct_log_selected(x)) {
            selected++;
            /* no test log is ever selected */
            CHECK(!x->log_type || strcmp(x->log_type, "test") != 0);
        }
        CHECK(x->url[strlen(x->url) - 1] == '/');
    }
    CHECK(rfc == 175 && tiled == 6);
    CHECK(by_state[CT_STATE_USABLE] == 33);
    CHECK(by_state[CT_STATE_READONLY] == 1);
    CHECK(by_state[CT_STATE_PENDING] == 10);
    CHECK(by_state[CT_STATE_RETIRED] == 3);
    CHECK(by_state[CT_STATE_REJECTED] == 100);
    CHECK(by_state[CT_STATE_NONE] == 28 + 6);
    CHECK(selected == 34);

    g = by_desc(&l, "Sectigo 'Sabre' CT log");
    CHECK(g && g->state == CT_STATE_READONLY && g->has_final_tree_size &&
          g->final_tree_size == 546099878 && ct_log_selected(g));
    g = by_desc(&l, "Let's Encrypt Twig2025h1b");
    CHECK(g && g->api == CT_API_STATIC && g->state == CT_STATE_NONE &&
          !ct_log_selected(g));
    CHECK(g && strcmp(g->url, "https://twig.ct.letsencrypt.org/2025h1b/") == 0);
    CHECK(g && strcmp(g->submission_url,
                      "https://twig.ct.letsencrypt.org/2025h1b/") == 0);
    CHECK(g && strcmp(g->operator_name, "Let's Encrypt") == 0);
    CHECK(g && g->mmd_s == 86400);
    g = by_desc(&l, "Google 'Argon2025h1' log");
    CHECK(g && g->api == CT_API_RFC6962 && g->state == CT_STATE_USABLE &&
          strcmp(g->operator_name, "Google") == 0 && g->log_id && g->key);
    /* a --ct-log URL finds its entry whatever the case and final '/' */
    CHECK(ct_loglist_find(&l, "HTTPS://CT.GoogleAPIs.com/logs/us1/argon2025h1") == g);
    CHECK(ct_loglist_find(&l, "https://ct.googleapis.com/logs/us1/argon2025h1/") == g);
    CHECK(ct_loglist_find(&l, "https://ct.googleapis.com/logs/us1/") == NULL);
    CHECK(ct_loglist_find(&l, "not a url") == NULL);
    ct_loglist_free(&l);
    CHECK(l.logs == NULL && l.n == 0);
}

/* certificate-transparency-go's small fixture: every state kind. */
static void test_ctgo_fixture(void)
{
    size_t len;
    char *text = ct_fixture("loglist/ctgo-testdata-loglist3.json", &len);
    char err[256];
    struct ct_loglist l;
    const struct ct_log *g;

    if (!CHECK(text && ct_loglist_parse(text, len, &l, err, sizeof err) == 0))
        goto out;
    CHECK(l.n == 6);
    g = by_desc(&l, "Google 'Aviator' log");
    CHECK(g && g->state == CT_STATE_READONLY && g->final_tree_size == 46466472
          && ct_log_selected(g));
    g = by_desc(&l, "Google 'Icarus' log");
    CHECK(g && g->state == CT_STATE_USABLE && ct_log_selected(g));
    g = by_desc(&l, "Google 'Racketeer' log");
    CHECK(g && g->state == CT_STATE_NONE && !ct_log_selected(g));
    g = by_desc(&l, "Google 'Argon2020' log");
    CHECK(g && g->state == CT_STATE_QUALIFIED && ct_log_selected(g));
    g = by_desc(&l, "Bob's Dubious Log");
    CHECK(g && g->state == CT_STATE_RETIRED && !ct_log_selected(g));
    CHECK(g && strcmp(g->url, "https://log.bob.io/") == 0);
    CHECK_STR(ct_log_state_name(CT_STATE_RETIRED), "retired");
    CHECK_STR(ct_log_state_name(CT_STATE_NONE), "none");
    ct_loglist_free(&l);
out:
    free(text);
}

static void test_malformed(void)
{
    static const char *bad_docs[] = {
        "", "[]", "{}", "{\"operators\":{}}", "<html>", "{\"operators\":[",
    };
    static const char mixed[] =
        "{\"operators\":[{\"name\":\"X\",\"logs\":["
        "{\"description\":\"no url\"},"
        "{\"description\":\"ftp\",\"url\":\"ftp://x/\"},"
        "{\"description\":\"ro\",\"url\":\"https://ro.example/\","
        " \"state\":{\"readonly\":{\"timestamp\":\"t\"}}},"
        "{\"description\":\"odd\",\"url\":\"https://odd.example\","
        " \"state\":{\"frozen\":{}}},"
        "{\"description\":\"empty\",\"url\":\"http://127.0.0.1:8080/log\","
        " \"state\":{}},"
        "{\"description\":\"ok\",\"url\":\"https://ok.example/\","
        " \"state\":{\"usable\":{}}},"
        "7],"
        "\"tiled_logs\":[{\"description\":\"t\",\"monitoring_url\":\"https://m/\"}]}]}";
    struct ct_loglist l;
    char err[256];
    size_t i;

    for (i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
        CHECK(ct_loglist_parse(bad_docs[i], strlen(bad_docs[i]), &l, err,
                               sizeof err) < 0);
        CHECK(l.n == 0 && l.logs == NULL);
    }
    CHECK(ct_loglist_parse(mixed, sizeof mixed - 1, &l, err, sizeof err) == 0);
    /* kept: odd (unknown state), empty (no state), ok; skipped: no url,
    ** ftp, readonly without final tree head, 7, tiled without
    ** submission_url */
    CHECK(l.n == 3 && l.n_invalid == 5);
    CHECK(strstr(err, "5 malformed") && strstr(err, "without a URL"));
    CHECK(by_desc(&l, "odd") && by_desc(&l, "odd")->state == CT_STATE_UNKNOWN &&
          !ct_log_selected(by_desc(&l, "odd")));
    CHECK(by_desc(&l, "empty") && !ct_log_selected(by_desc(&l, "empty")));
    CHECK(by_desc(&l, "empty") &&
          strcmp(by_desc(&l, "empty")->url, "http://127.0.0.1:8080/log/") == 0);
    CHECK(by_desc(&l, "ok") && ct_log_selected(by_desc(&l, "ok")));
    ct_loglist_free(&l);
    CHECK(ct_loglist_load("/nonexistent/list.json", &l, err, sizeof err) < 0);
    CHECK(strstr(err, "cannot open: No such file or directory") != NULL);
    /* a file that is not a log list is named in the error */
    {
        char path[] = "/tmp/certmon-loglist-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0 && write(fd, "{}", 2) == 2);
        close(fd);
        CHECK(ct_loglist_load(path, &l, err, sizeof err) < 0);
        CHECK(strncmp(err, path, strlen(path)) == 0 &&
              strstr(err, ": log list: no \"operators\" array"));
        unlink(path);
    }
}

static void test_urls(void)
{
    static const struct { const char *in, *want; } good[] = {
        { "https://ct.example/log", "https://ct.example/log/" },
        { "HTTP://127.0.0.1:8080", "http://127.0.0.1:8080/" },
        { "https://CT.Example/Path/", "https://ct.example/Path/" },
    };
    static const char *bad[] = {
        "ftp://x/", "https://", "https:///x", "https://a b/", "https://x/?q=1",
        "https://x/#f", "ct.example/log", "https://x/\xC3\xA9",
        /* regression: refused by the CT client only when the source
        ** started, after the options had been accepted */
        "https://ct.example:99999/log", "https://ct.example:8x/log",
        "https://ct.example:/log", "https://user:pw@ct.example/log",
        "https://[::1]/log", "https://ct.ex%41mple/log",
    };
    char out[256], err[256];
    size_t i;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK(ct_url_normalize(good[i].in, out, sizeof out, err, sizeof err) == 0);
        CHECK_STR(out, good[i].want);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(ct_url_normalize(bad[i], out, sizeof out, err, sizeof err) < 0);
    CHECK(ct_url_normalize("https://ct.example/log", out, 10, err, sizeof err) < 0);
    /* fuzz_ws_url: a normalised URL filling the buffer exactly normalises
    ** again (the room for a '/' it already has was demanded anyway) */
    CHECK(ct_url_normalize("https://ct.example/lo", out, 23, err, sizeof err) == 0);
    CHECK_STR(out, "https://ct.example/lo/");
    CHECK(ct_url_normalize("https://ct.example/lo/", out, 23, err, sizeof err) == 0);
    CHECK_STR(out, "https://ct.example/lo/");
    CHECK(ct_url_normalize("https://ct.example/log", out, 23, err, sizeof err) < 0);
    CHECK_STR(ct_url_display("https://ct.example/log/", out, sizeof out),
              "https://ct.example/log");
    CHECK_STR(ct_url_display("https://ct.example/log", out, sizeof out),
              "https://ct.example/log");
}

static void test_for_url(void)
{
    size_t len;
    char *text = ct_fixture("loglist/ctgo-testdata-loglist3.json", &len);
    struct ct_loglist l;
    struct ct_log log;
    char err[256];

    if (!CHECK(text && ct_loglist_parse(text, len, &l, err, sizeof err) == 0))
        goto out;
    /* listed: a private copy of the entry */
    CHECK(ct_log_for_url(&l, "https://ct.googleapis.com/icarus", &log, err,
                         sizeof err) == 0);
    CHECK(log.api == CT_API_RFC6962 && log.state == CT_STATE_USABLE);
    CHECK(strcmp(log.description, "Google 'Icarus' log") == 0 &&
          log.description != by_desc(&l, "Google 'Icarus' log")->description);
    ct_log_free(&log);
    /* not listed: named by its URL, API to be probed */
    CHECK(ct_log_for_url(&l, "http://127.0.0.1:8080/log", &log, err,
                         sizeof err) == 0);
    CHECK(log.api == CT_API_UNKNOWN && ct_log_selected(&log));
    CHECK(strcmp(log.url, "http://127.0.0.1:8080/log/") == 0 && !log.key);
    ct_log_free(&log);
    CHECK(ct_log_for_url(NULL, "https://x.example/", &log, err, sizeof err) == 0);
    ct_log_free(&log);
    CHECK(ct_log_for_url(&l, "gopher://x/", &log, err, sizeof err) < 0);
    ct_loglist_free(&l);
out:
    free(text);
}

/* How old a list is, for the warning about a stale default list. */
static void test_age(void)
{
    struct ct_loglist l;

    memset(&l, 0, sizeof l);
    CHECK(ct_loglist_age_days(&l, 1800000000) == -1);
    l.timestamp = "2025-05-05T12:54:12Z";            /* 1746449652 */
    CHECK(ct_loglist_age_days(&l, 1746449652) == 0);
    CHECK(ct_loglist_age_days(&l, 1746449652 + 86399) == 0);
    CHECK(ct_loglist_age_days(&l, 1746449652 + 90 * 86400) == 90);
    CHECK(ct_loglist_age_days(&l, 1700000000) == 0);    /* clock behind */
    l.timestamp = "2025-05-05T12:54:12.123456Z";
    CHECK(ct_loglist_age_days(&l, 1746449652 + 86400) == 1);
    l.timestamp = "May 5th";
    CHECK(ct_loglist_age_days(&l, 1800000000) == -1);
}

/* RFC 3339 times as the log list writes them. */
static void test_parse_time(void)
{
    static const char *bad[] = {
        "", "2025-05-05", "2025-05-05T12:54:12", "2025-05-05T12:54:12+02:00",
        "2025-05-05T12:54:12Zjunk", "2025-05-05T12:54:12.Z", "May 5th",
    };
    int64_t t = 0;

    CHECK(ct_parse_time("2025-05-05T12:54:12Z", &t) == 0 && t == 1746449652);
    CHECK(ct_parse_time("2025-05-05T12:54:12.123456Z", &t) == 0 &&
          t == 1746449652);
    CHECK(ct_parse_time("2025-01-01T00:00:00Z", &t) == 0 && t == 1735689600);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(ct_parse_time(bad[i], &t) < 0);
    CHECK(ct_parse_time(NULL, &t) < 0);
}

/* Shards by certificate expiry: temporal_interval is read, and when
** following, shards that ended are not read; a backtest keeps them. */
static void test_temporal(void)
{
    static const char doc[] =
        "{\"operators\":[{\"name\":\"X\",\"logs\":["
        "{\"description\":\"old\",\"url\":\"https://old.example/\","
        " \"state\":{\"usable\":{}},\"temporal_interval\":"
        " {\"start_inclusive\":\"2025-01-01T00:00:00Z\","
        "  \"end_exclusive\":\"2025-07-01T00:00:00Z\"}},"
        "{\"description\":\"new\",\"url\":\"https://new.example/\","
        " \"state\":{\"usable\":{}},\"temporal_interval\":"
        " {\"start_inclusive\":\"2025-07-01T00:00:00Z\","
        "  \"end_exclusive\":\"2026-01-01T00:00:00Z\"}},"
        "{\"description\":\"all\",\"url\":\"https://all.example/\","
        " \"state\":{\"qualified\":{}}},"
        "{\"description\":\"backwards\",\"url\":\"https://b.example/\","
        " \"state\":{\"usable\":{}},\"temporal_interval\":"
        " {\"start_inclusive\":\"2026-01-01T00:00:00Z\","
        "  \"end_exclusive\":\"2025-01-01T00:00:00Z\"}},"
        "{\"description\":\"no end\",\"url\":\"https://e.example/\","
        " \"state\":{\"usable\":{}},\"temporal_interval\":"
        " {\"start_inclusive\":\"2026-01-01T00:00:00Z\"}}"
        "]}]}";
    const int64_t jul1 = 1751328000;        /* 2025-07-01T00:00:00Z */
    struct ct_loglist l;
    struct ct_log out[8];
    char err[256];
    size_t expired = 99;
    long n;

    if (!CHECK(ct_loglist_parse(doc, sizeof doc - 1, &l, err,
                                sizeof err) == 0))
        return;
    /* a broken interval makes the log malformed: skipped and said */
    CHECK(l.n == 3 && l.n_invalid == 2);
    CHECK(strstr(err, "temporal_interval") != NULL);
    CHECK(by_desc(&l, "old") && by_desc(&l, "old")->has_interval &&
          by_desc(&l, "old")->interval_start_s == 1735689600 &&
          by_desc(&l, "old")->interval_end_s == jul1);
    CHECK(by_desc(&l, "all") && !by_desc(&l, "all")->has_interval);
    /* the end is exclusive */
    CHECK(!ct_log_expired(by_desc(&l, "old"), jul1 - 1));
    CHECK(ct_log_expired(by_desc(&l, "old"), jul1));
    CHECK(!ct_log_expired(by_desc(&l, "all"), 4000000000LL));
    /* following on 2025-07-01: "old" can take nothing new */
    n = ct_loglist_choose(&l, jul1, 1, out, &expired);
    CHECK(n == 2 && expired == 1);
    if (n == 2) {
        CHECK_STR(out[0].description, "new");
        CHECK_STR(out[1].description, "all");
    }
    while (n > 0)
        ct_log_free(&out[--n]);
    /* a second earlier, or in a backtest, it is read */
    n = ct_loglist_choose(&l, jul1 - 1, 1, out, &expired);
    CHECK(n == 3 && expired == 0);
    while (n > 0)
        ct_log_free(&out[--n]);
    n = ct_loglist_choose(&l, 4000000000LL, 0, out, &expired);
    CHECK(n == 3 && expired == 0);
    while (n > 0)
        ct_log_free(&out[--n]);
    ct_loglist_free(&l);
}

/* Which notAfter times the chosen logs cover, for the stale-list warning. */
static void test_uncovered(void)
{
    struct ct_log logs[3];

    memset(logs, 0, sizeof logs);
    logs[0] = (struct ct_log){ .state = CT_STATE_USABLE, .has_interval = 1,
                               .interval_start_s = 0, .interval_end_s = 100 };
    logs[1] = (struct ct_log){ .state = CT_STATE_QUALIFIED, .has_interval = 1,
                               .interval_start_s = 50, .interval_end_s = 200 };
    /* read-only without an interval: takes no new certificate */
    logs[2] = (struct ct_log){ .state = CT_STATE_READONLY };
    CHECK(ct_logs_uncovered(logs, 3, 0, 150) == -1);
    CHECK(ct_logs_uncovered(logs, 3, 0, 200) == -1);
    CHECK(ct_logs_uncovered(logs, 3, 0, 300) == 200);
    CHECK(ct_logs_uncovered(logs, 3, 250, 300) == 250);
    CHECK(ct_logs_uncovered(logs, 1, 0, 150) == 100);
    logs[1].interval_start_s = 150;         /* a hole from 100 to 150 */
    CHECK(ct_logs_uncovered(logs, 3, 0, 300) == 100);
    CHECK(ct_logs_uncovered(logs, 3, 160, 190) == -1);
    CHECK(ct_logs_uncovered(logs, 0, 0, 10) == 0);
    /* a usable log without an interval takes everything */
    logs[2].state = CT_STATE_USABLE;
    CHECK(ct_logs_uncovered(logs, 3, 0, 1000) == -1);
}

/* The shipped snapshot (2025-05-05) at fixed dates: when it was made,
** every selected shard is current and the next six months are covered;
** on 2025-07-01 the four 2025h1 shards that end then are expired; on
** 2026-11-24 only the 2026h2 shards and read-only Sabre are left, and
** certificates expiring from 2027-01-20 (Oak2026h2's end) have no log. */
static void test_snapshot_dates(void)
{
    const char *top = getenv("CERTMON_TOP");
    const int64_t made = 1746449652, jul1 = 1751328000,
                  late = 1795478400, oak_end = 1800403200;
    char path[1024], err[256];
    struct ct_loglist l;
    struct ct_log *out;
    size_t expired;
    long n;

    snprintf(path, sizeof path, "%s/tests/fixtures/ct/loglist/"
             "x-stp-rxtls-all_logs_list-v53.34-2025-05-05.json",
             top ? top : ".");
    if (!CHECK(ct_loglist_load(path, &l, err, sizeof err) == 0))
        return;
    out = calloc(l.n, sizeof *out);
    if (!CHECK(out != NULL)) {
        ct_loglist_free(&l);
        return;
    }
    CHECK(by_desc(&l, "Google 'Argon2025h1' log")->interval_end_s == jul1);
    CHECK(!by_desc(&l, "Sectigo 'Sabre' CT log")->has_interval);

    n = ct_loglist_choose(&l, made, 1, out, &expired);
    CHECK(n == 34 && expired == 0);
    CHECK(ct_logs_uncovered(out, (size_t)n, made, made + 180 * 86400) == -1);
    while (n > 0)
        ct_log_free(&out[--n]);

    n = ct_loglist_choose(&l, jul1, 1, out, &expired);
    CHECK(n == 30 && expired == 4);
    while (n > 0)
        ct_log_free(&out[--n]);

    n = ct_loglist_choose(&l, late, 1, out, &expired);
    CHECK(n == 11 && expired == 23);
    CHECK(ct_logs_uncovered(out, (size_t)n, late, late + 180 * 86400) ==
          oak_end);
    while (n > 0)
        ct_log_free(&out[--n]);

    n = ct_loglist_choose(&l, late, 0, out, &expired);   /* a backtest */
    CHECK(n == 34 && expired == 0);
    while (n > 0)
        ct_log_free(&out[--n]);
    free(out);
    ct_loglist_free(&l);
}

int main(void)
{
    test_age();
    test_parse_time();
    test_temporal();
    test_uncovered();
    test_snapshot_dates();
    test_snapshot();
    test_ctgo_fixture();
    test_malformed();
    test_urls();
    test_for_url();
    return check_done();
}
