/*
** fuzz_ct_loglist.c: the v3 log list (core/ct/ct_loglist.c), read from disk
** (--log-list) and fetched by users from the web.
**
** A list that parses holds only logs with a normalised URL (http:// or
** https://, ending in '/', normalising it again changes nothing), which
** ct_loglist_find finds again; an interval that is present is not empty
** and backwards; and the selection helpers (choose, uncovered, age) run
** over it, with copies freed.
*/
#include "ct/ct_loglist.h"
#include "fuzz_util.h"

static void check_url(const char *url)
{
    char again[4096], err[256];
    size_t n;

    FUZZ_ASSERT(url != NULL);
    n = strlen(url);
    FUZZ_ASSERT(n > 0 && url[n - 1] == '/');
    FUZZ_ASSERT(!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8));
    FUZZ_ASSERT(ct_url_normalize(url, again, sizeof again, err,
                                 sizeof err) == 0);
    FUZZ_ASSERT(strcmp(again, url) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t len, n_expired = 0;
    char *text = (char *)fuzz_take(&in, in.left, &len);
    char err[256] = "";
    struct ct_loglist l;
    struct ct_log *chosen;
    long n;

    if (ct_loglist_parse(text, len, &l, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] != '\0');
        free(text);
        return 0;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct ct_log *log = &l.logs[i];
        struct ct_log copy;

        check_url(log->url);
        if (log->submission_url)
            check_url(log->submission_url);
        FUZZ_ASSERT(log->api == CT_API_RFC6962 || log->api == CT_API_STATIC);
        FUZZ_ASSERT(ct_loglist_find(&l, log->url) != NULL);
        if (log->has_interval)
            FUZZ_ASSERT(log->interval_start_s < log->interval_end_s);
        FUZZ_ASSERT(ct_log_state_name(log->state) != NULL);
        FUZZ_ASSERT(ct_log_copy(log, &copy) == 0);
        FUZZ_ASSERT(strcmp(copy.url, log->url) == 0);
        ct_log_free(&copy);
    }
    chosen = calloc(l.n ? l.n : 1, sizeof *chosen);
    FUZZ_ASSERT(chosen != NULL);
    n = ct_loglist_choose(&l, 1767225600, 1, chosen, &n_expired);
    FUZZ_ASSERT(n >= 0 && (size_t)n + n_expired <= l.n);
    (void)ct_logs_uncovered(chosen, (size_t)n, 1767225600,
                            1767225600 + 180 * 86400);
    for (long i = 0; i < n; i++)
        ct_log_free(&chosen[i]);
    free(chosen);
    (void)ct_loglist_age_days(&l, 1767225600);
    ct_loglist_free(&l);
    free(text);
    return 0;
}
