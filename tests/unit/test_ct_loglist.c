/*
** test_ct_loglist.c: v3 log lists and which logs are read.
*/
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ct_loglist.h"
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
    CHECK(strstr(err, "cannot open") != NULL);
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

int main(void)
{
    test_age();
    test_snapshot();
    test_ctgo_fixture();
    test_malformed();
    test_urls();
    test_for_url();
    return check_done();
}
