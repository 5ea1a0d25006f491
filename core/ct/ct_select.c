/*
** ct_select.c: the CT source the options ask for.
**
** The state folder (--state-dir, else the user's state dir), the log
** list (--log-list FILE, else a current verified one from
** --log-list-url, its cache or the shipped snapshot; a warning when it is
** stale), the logs to read (--ct-log URLs, else the list's usable ones),
** and the ct_source_config built from the options, with what the source
** needs to fetch that list again while running (--log-list-refresh).
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ct/ct_loglist.h"
#include "ct/ct_loglist_fetch.h"
#include "ct/ct_select.h"
#include "ct/ct_source.h"
#include "log.h"

/* CT log shards take certificates by expiry date, half a year or a year
** each, and new ones open ahead of time: a list much older than this has
** missed some. */
#define LOG_LIST_STALE_DAYS 90
/* Certificates issued today are valid up to 200 days (398 before March
** 2026): a list must have shards for at least the next six months, or
** some of today's certificates are in logs it does not name. */
#define LOG_LIST_HORIZON_S (180 * 86400LL)

/* mkdir -p for the default state folder. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", tmp,
                     strerror(errno));
            return -1;
        }
        *p = '/';
    }
    return 0;
}

/* One warning when the list is old or has no shard for certificates
** expiring in the coming months: either way new certificates go to logs
** certmon does not read. */
static void warn_if_stale(const struct ct_loglist *list, const char *path,
                          const struct ct_log *logs, size_t n,
                          const char *home, int64_t now_s)
{
    long age = ct_loglist_age_days(list, (long long)now_s);
    int64_t gap = ct_logs_uncovered(logs, n, now_s,
                                    now_s + LOG_LIST_HORIZON_S);
    char why[256], day[32] = "";
    struct tm tm;
    time_t t = (time_t)gap;

    if (age <= LOG_LIST_STALE_DAYS && gap < 0)
        return;
    if (gap >= 0 && gmtime_r(&t, &tm))
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
    if (age > LOG_LIST_STALE_DAYS && gap >= 0)
        snprintf(why, sizeof why, "is %ld days old and none of its logs "
                 "takes certificates expiring from %s on", age, day);
    else if (age > LOG_LIST_STALE_DAYS)
        snprintf(why, sizeof why, "is %ld days old: logs opened since are "
                 "not in it", age);
    else
        snprintf(why, sizeof why, "has no log that takes certificates "
                 "expiring from %s on", day);
    log_warn("the CT log list %s (of %s) %s: newer logs are not read and "
             "their certificates are missed; refresh it, see "
             "%s/scripts/ct/README.md", path,
             list->timestamp ? list->timestamp : "unknown date", why, home);
}

/* The logs to read: the --ct-log URLs (named from the list when it has
** them, read even if their shard has expired), else every log the list
** selects, without expired shards when following. Fills *logs (owned
** copies). */
static int choose_logs(const struct options *o, const char *home,
                       const struct ct_loglist_fetch_config *fc,
                       struct ct_log **logs, size_t *n, char *err,
                       size_t errlen)
{
    char path[PATH_MAX];
    struct ct_loglist list = { 0 };
    int have_list = 0, rc = -1;
    int64_t now_s = (int64_t)time(NULL);
    size_t expired = 0;
    long got;

    *logs = NULL;
    *n = 0;
    if (o->log_list_path) {
        snprintf(path, sizeof(path), "%s", o->log_list_path);
    } else if (!o->n_ct_logs) {
        /* the list chooses the logs: a current, verified one */
        if (ct_loglist_current(fc, path, sizeof(path), err, errlen) < 0)
            return -1;
    } else {
        snprintf(path, sizeof(path), "%s/scripts/ct/log_list.json", home);
    }
    if (ct_loglist_load(path, &list, err, errlen) == 0)
        have_list = 1;
    else if (o->log_list_path || !o->n_ct_logs)
        return -1;      /* the list was asked for, or is all we have */
    if (have_list && list.n_invalid)
        log_warn("%s: %s", path, err);     /* says which and why */
    *logs = calloc(o->n_ct_logs ? o->n_ct_logs : list.n ? list.n : 1,
                   sizeof(**logs));
    if (!*logs) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (o->n_ct_logs) {
        for (size_t i = 0; i < o->n_ct_logs; i++) {
            if (ct_log_for_url(have_list ? &list : NULL, o->ct_logs[i],
                               &(*logs)[*n], err, errlen) < 0)
                goto done;
            (*n)++;
        }
        rc = 0;
        goto done;
    }
    got = ct_loglist_choose(&list, now_s, !o->backtest, *logs, &expired);
    if (got < 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    *n = (size_t)got;
    if (expired)
        log_info("%s: %zu log%s not read: shards for certificates that "
                 "expired before now (temporal_interval)", path, expired,
                 expired == 1 ? "" : "s");
    if (*n == 0) {
        if (expired)
            snprintf(err, errlen, "%s selects no log that can still take "
                     "certificates (%zu expired shards); refresh it: see "
                     "%s/scripts/ct/README.md", path, expired, home);
        else
            snprintf(err, errlen, "%s selects no log (usable, qualified or "
                     "readonly)", path);
        goto done;
    }
    log_info("reading %zu log%s from %s (list of %s)", *n,
             *n == 1 ? "" : "s", path,
             list.timestamp ? list.timestamp : "unknown date");
    warn_if_stale(&list, path, *logs, *n, home, now_s);
    rc = 0;
done:
    if (have_list)
        ct_loglist_free(&list);
    return rc;
}

struct source *ct_select_source(const struct options *o, const char *home,
                                char *err, size_t errlen)
{
    struct ct_source_config cc;
    struct ct_log *logs;
    struct source *src = NULL;
    char state[PATH_MAX], shipped[PATH_MAX], key[PATH_MAX];
    size_t n = 0;
    struct ct_loglist_fetch_config fc = {
        .url = o->log_list_url,
        .key_path = key,
        .cache_dir = state,
        .shipped_path = shipped,
        .ca_file = o->ca_file,
        .insecure = o->insecure,
        .timeout_ms = o->log_list_timeout_s * 1000u,
    };

    /* the state folder: positions (not in a backtest) and the log list */
    if (o->state_dir) {
        snprintf(state, sizeof(state), "%s", o->state_dir);
    } else {
        const char *xdg = getenv("XDG_STATE_HOME"), *hd = getenv("HOME");
        if (xdg && *xdg)
            snprintf(state, sizeof(state), "%s/certmon", xdg);
        else
            snprintf(state, sizeof(state), "%s/.local/state/certmon",
                     hd && *hd ? hd : ".");
        if (make_dirs(state, err, errlen) < 0)
            return NULL;
    }
    snprintf(shipped, sizeof(shipped), "%s/scripts/ct/log_list.json", home);
    if (o->log_list_key)
        snprintf(key, sizeof(key), "%s", o->log_list_key);
    else
        snprintf(key, sizeof(key), "%s/scripts/ct/log_list_pubkey.pem",
                 home);
    if (choose_logs(o, home, &fc, &logs, &n, err, errlen) < 0)
        goto done;
    ct_source_config_defaults(&cc);
    cc.logs = logs;
    cc.n_logs = n;
    cc.full = o->full || o->serve_addr;    /* /full-stream needs it */
    cc.ca_file = o->ca_file;
    cc.insecure = o->insecure;
    cc.start = o->ct_start == 1 ? CT_START_OLDEST
             : o->ct_start == 2 ? CT_START_INDEX : CT_START_NOW;
    cc.start_index = o->ct_start_index;
    cc.backtest = o->backtest;
    cc.from = o->from;
    cc.to = o->to;
    if (o->ct_parallel)
        cc.parallel = o->ct_parallel;
    if (o->ct_rate > 0)
        cc.requests_per_s = o->ct_rate;
    cc.stats_interval_s = o->stats_interval_s;
    cc.poll_ms = o->ct_poll_ms;
    cc.partial_tile_age_ms = o->ct_partial_tile_age_ms;
    cc.give_up_ms = o->backtest ? o->ct_give_up_s * 1000ull : 0;
    cc.state_dir = o->state_dir || !o->backtest ? state : NULL;
    /* the fetched list is fetched again while following it */
    if (!o->log_list_path && !o->n_ct_logs && !o->backtest) {
        cc.refresh_s = o->log_list_refresh_s;
        cc.refresh_fetch = fc;
    }
    src = ct_source_new(&cc, err, errlen);
    if (src && cc.state_dir)
        log_info("CT positions in %s", cc.state_dir);
done:
    for (size_t i = 0; i < n; i++)
        ct_log_free(&logs[i]);
    free(logs);
    return src;
}
