/*
** ct_loglist.c: which CT logs to read, from a v3 log list.
*/
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ct/ct_loglist.h"
#include "log.h"
#include "json_parse.h"
#include "url.h"

#define LOGLIST_MAX_BYTES (16u << 20)
#define URL_MAX 2048

static const struct {
    const char *key;
    enum ct_log_state state;
} state_names[] = {
    { "pending", CT_STATE_PENDING },
    { "qualified", CT_STATE_QUALIFIED },
    { "usable", CT_STATE_USABLE },
    { "readonly", CT_STATE_READONLY },
    { "retired", CT_STATE_RETIRED },
    { "rejected", CT_STATE_REJECTED },
};

const char *ct_log_state_name(enum ct_log_state s)
{
    size_t i;

    if (s == CT_STATE_NONE)
        return "none";
    for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (state_names[i].state == s)
            return state_names[i].key;
    return "unknown";
}

int ct_log_selected(const struct ct_log *log)
{
    return log->state == CT_STATE_USABLE ||
           log->state == CT_STATE_QUALIFIED ||
           log->state == CT_STATE_READONLY;
}

int ct_log_expired(const struct ct_log *log, int64_t now_s)
{
    return log->has_interval && log->interval_end_s <= now_s;
}

long ct_loglist_choose(const struct ct_loglist *l, int64_t now_s, int follow,
                       struct ct_log *out, size_t *n_expired)
{
    long n = 0;

    *n_expired = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!ct_log_selected(&l->logs[i]))
            continue;
        if (follow && ct_log_expired(&l->logs[i], now_s)) {
            (*n_expired)++;
            continue;
        }
        if (ct_log_copy(&l->logs[i], &out[n]) < 0) {
            while (n > 0)
                ct_log_free(&out[--n]);
            return -1;
        }
        n++;
    }
    return n;
}

int64_t ct_logs_uncovered(const struct ct_log *logs, size_t n, int64_t from_s,
                          int64_t to_s)
{
    int64_t t = from_s;

    /* walk forward through the intervals that contain t */
    while (t < to_s) {
        int64_t reach = t;
        for (size_t i = 0; i < n; i++) {
            const struct ct_log *x = &logs[i];
            if (x->state != CT_STATE_USABLE && x->state != CT_STATE_QUALIFIED)
                continue;
            if (!x->has_interval)
                return -1;
            if (x->interval_start_s <= t && x->interval_end_s > reach)
                reach = x->interval_end_s;
        }
        if (reach == t)
            return t;
        t = reach;
    }
    return -1;
}

/* The date and time at the start of an RFC 3339 string, as UTC Unix
** seconds; returns where they end, or NULL. */
static const char *parse_time_prefix(const char *s, int64_t *out_s)
{
    struct tm tm;
    const char *end;

    if (!s)
        return NULL;
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end)
        *out_s = (int64_t)timegm(&tm);
    return end;
}

int ct_parse_time(const char *s, int64_t *out_s)
{
    int64_t t;
    const char *end = parse_time_prefix(s, &t);

    if (!end)
        return -1;
    if (*end == '.') {
        end++;
        if (!isdigit((unsigned char)*end))
            return -1;
        while (isdigit((unsigned char)*end))
            end++;
    }
    if ((*end != 'Z' && *end != 'z') || end[1])
        return -1;
    *out_s = t;
    return 0;
}

int ct_url_normalize(const char *url, char *out, size_t outlen, char *err,
                     size_t errlen)
{
    static const char *const schemes[] = { "http", "https", NULL };
    struct url u;
    char why[160];
    const char *rest;
    size_t i, n, host_len, scheme_len;

    /* the one splitter first, so a URL is refused here (at option
    ** parsing, or as one bad log of a list) for the same reasons the CT
    ** client would refuse it when the source starts */
    if (url_split(&u, url, schemes, URL_NO_USERINFO, why, sizeof why) < 0) {
        err_set(err, errlen, "log URL %.200s: %s", url, why);
        return -1;
    }
    if (u.ipv6) {
        err_set(err, errlen, "log URL %.200s: IPv6 hosts are not supported",
                url);
        return -1;
    }
    if (!strncasecmp(url, "https://", 8)) {
        rest = url + 8;
        n = (size_t)snprintf(out, outlen, "https://");
    } else if (!strncasecmp(url, "http://", 7)) {
        rest = url + 7;
        n = (size_t)snprintf(out, outlen, "http://");
    } else {
        err_set(err, errlen, "log URL %.200s: not http:// or https://", url);
        return -1;
    }
    scheme_len = n;
    host_len = strcspn(rest, "/");
    if (host_len == 0) {
        err_set(err, errlen, "log URL %.200s: no host", url);
        return -1;
    }
    for (i = 0; rest[i]; i++) {
        unsigned char c = (unsigned char)rest[i];
        if (c <= ' ' || c >= 0x7F || c == '?' || c == '#') {
            err_set(err, errlen, "log URL %.200s: query, fragment, space "
                    "or non-ASCII byte", url);
            return -1;
        }
    }
    /* the URL, a '/' unless it has one, and the NUL */
    if (n >= outlen || n + i + (rest[i - 1] == '/' ? 1 : 2) > outlen) {
        err_set(err, errlen, "log URL too long");
        return -1;
    }
    memcpy(out + n, rest, i);
    n += i;
    if (out[n - 1] != '/')
        out[n++] = '/';
    out[n] = '\0';
    /* the host is case-insensitive: lower-case it so URLs compare */
    for (i = 0; i < host_len; i++)
        out[scheme_len + i] = (char)tolower((unsigned char)out[scheme_len + i]);
    return 0;
}

const char *ct_url_display(const char *url, char *out, size_t outlen)
{
    size_t n = strlen(url);

    if (n > 0 && url[n - 1] == '/')
        n--;
    snprintf(out, outlen, "%.*s", (int)n, url);
    return out;
}

static char *dup_str(const struct json_value *v)
{
    size_t n;
    const char *s = json_str(v, &n);
    char *d;

    if (!s || memchr(s, '\0', n))
        return NULL;
    if ((d = malloc(n + 1)))
        memcpy(d, s, n + 1);
    return d;
}

void ct_log_free(struct ct_log *l)
{
    free(l->description);
    free(l->operator_name);
    free(l->url);
    free(l->submission_url);
    free(l->log_id);
    free(l->key);
    free(l->log_type);
    memset(l, 0, sizeof *l);
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d;

    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        *oom = 1;
    return d;
}

int ct_log_copy(const struct ct_log *from, struct ct_log *to)
{
    int oom = 0;

    *to = *from;
    to->description = dup_or_null(from->description, &oom);
    to->operator_name = dup_or_null(from->operator_name, &oom);
    to->url = dup_or_null(from->url, &oom);
    to->submission_url = dup_or_null(from->submission_url, &oom);
    to->log_id = dup_or_null(from->log_id, &oom);
    to->key = dup_or_null(from->key, &oom);
    to->log_type = dup_or_null(from->log_type, &oom);
    if (oom) {
        ct_log_free(to);
        return -1;
    }
    return 0;
}

int ct_log_for_url(const struct ct_loglist *list, const char *url,
                   struct ct_log *out, char *err, size_t errlen)
{
    const struct ct_log *listed = list ? ct_loglist_find(list, url) : NULL;
    char norm[URL_MAX];

    memset(out, 0, sizeof *out);
    if (listed) {
        if (ct_log_copy(listed, out) < 0) {
            err_set(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (ct_url_normalize(url, norm, sizeof norm, err, errlen) < 0)
        return -1;
    out->url = strdup(norm);
    out->description = strdup(norm);
    out->operator_name = strdup("");
    if (!out->url || !out->description || !out->operator_name) {
        ct_log_free(out);
        err_set(err, errlen, "out of memory");
        return -1;
    }
    out->api = CT_API_UNKNOWN;
    out->state = CT_STATE_USABLE;       /* asked for by name: read it */
    return 0;
}

static char *normalized_dup(const struct json_value *v, char *err,
                            size_t errlen)
{
    char buf[URL_MAX];
    const char *s = json_str(v, NULL);
    char *d;

    if (!s) {
        err_set(err, errlen, "log without a URL");
        return NULL;
    }
    if (ct_url_normalize(s, buf, sizeof buf, err, errlen) < 0)
        return NULL;
    if ((d = strdup(buf)) == NULL)
        err_set(err, errlen, "out of memory");
    return d;
}

/* Fills l from one entry of "logs" or "tiled_logs". */
static int parse_log(const struct json_value *o, const char *operator_name,
                     int tiled, struct ct_log *l, char *err, size_t errlen)
{
    const struct json_value *state = json_get(o, "state");
    int64_t mmd;
    size_t i;

    memset(l, 0, sizeof *l);
    l->api = tiled ? CT_API_STATIC : CT_API_RFC6962;
    l->url = normalized_dup(json_get(o, tiled ? "monitoring_url" : "url"),
                            err, errlen);
    if (!l->url)
        goto fail;
    if (tiled && !(l->submission_url =
                   normalized_dup(json_get(o, "submission_url"), err, errlen)))
        goto fail;
    l->description = dup_str(json_get(o, "description"));
    if (!l->description)
        l->description = strdup(l->url);
    l->operator_name = strdup(operator_name ? operator_name : "");
    l->log_id = dup_str(json_get(o, "log_id"));
    l->key = dup_str(json_get(o, "key"));
    l->log_type = dup_str(json_get(o, "log_type"));
    if (!l->description || !l->operator_name) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
    if (json_int(json_get(o, "mmd"), &mmd) && mmd >= 0 && mmd <= UINT32_MAX)
        l->mmd_s = (uint32_t)mmd;
    l->state = CT_STATE_NONE;
    if (state && state->type == JSON_OBJECT && json_count(state) > 0) {
        const char *key = json_key_at(state, 0);
        l->state = CT_STATE_UNKNOWN;
        for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
            if (strcmp(key, state_names[i].key) == 0)
                l->state = state_names[i].state;
    }
    if (l->state == CT_STATE_READONLY) {
        const struct json_value *fth =
            json_get(json_get(json_get(state, "readonly"), "final_tree_head"),
                     "tree_size");
        if (!json_uint(fth, &l->final_tree_size)) {
            err_set(err, errlen, "%s: readonly without a final tree size",
                    l->url);
            goto fail;
        }
        l->has_final_tree_size = 1;
    }
    if (json_get(o, "temporal_interval")) {
        const struct json_value *ti = json_get(o, "temporal_interval");
        if (ct_parse_time(json_str(json_get(ti, "start_inclusive"), NULL),
                          &l->interval_start_s) < 0 ||
            ct_parse_time(json_str(json_get(ti, "end_exclusive"), NULL),
                          &l->interval_end_s) < 0 ||
            l->interval_end_s <= l->interval_start_s) {
            err_set(err, errlen, "%s: temporal_interval without a valid "
                    "start_inclusive and a later end_exclusive", l->url);
            goto fail;
        }
        l->has_interval = 1;
    }
    return 0;
fail:
    ct_log_free(l);
    return -1;
}

int ct_loglist_parse(const char *text, size_t len, struct ct_loglist *out,
                     char *err, size_t errlen)
{
    static const char *kinds[2] = { "logs", "tiled_logs" };
    char jerr[128], lerr[256];
    struct json_value *root;
    const struct json_value *ops;
    size_t cap = 0, i, j;
    int k;

    memset(out, 0, sizeof *out);
    lerr[0] = '\0';
    root = json_parse(text, len, jerr, sizeof jerr);
    if (!root) {
        err_set(err, errlen, "log list: %s", jerr);
        return -1;
    }
    ops = json_get(root, "operators");
    if (!ops || ops->type != JSON_ARRAY) {
        err_set(err, errlen, "log list: no \"operators\" array");
        goto fail;
    }
    out->version = dup_str(json_get(root, "version"));
    out->timestamp = dup_str(json_get(root, "log_list_timestamp"));
    for (i = 0; i < json_count(ops); i++) {
        const struct json_value *op = json_at(ops, i);
        const char *opname = json_str(json_get(op, "name"), NULL);

        for (k = 0; k < 2; k++) {
            const struct json_value *logs = json_get(op, kinds[k]);
            for (j = 0; j < json_count(logs); j++) {
                struct ct_log l;
                if (logs->type != JSON_ARRAY ||
                    parse_log(json_at(logs, j), opname, k, &l,
                              lerr[0] ? NULL : lerr, sizeof lerr) < 0) {
                    out->n_invalid++;
                    continue;
                }
                if (out->n == cap) {
                    size_t nc = cap ? cap * 2 : 32;
                    struct ct_log *p = realloc(out->logs, nc * sizeof *p);
                    if (!p) {
                        ct_log_free(&l);
                        err_set(err, errlen, "out of memory");
                        goto fail;
                    }
                    out->logs = p;
                    cap = nc;
                }
                out->logs[out->n++] = l;
            }
        }
    }
    json_free(root);
    if (out->n_invalid)
        err_set(err, errlen, "log list: %zu malformed log(s) skipped, "
                "first: %s", out->n_invalid, lerr[0] ? lerr : "not an object");
    else
        err_set(err, errlen, "%s", "");
    return 0;
fail:
    json_free(root);
    ct_loglist_free(out);
    return -1;
}

int ct_loglist_load(const char *path, struct ct_loglist *out, char *err,
                    size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!f) {
        err_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    buf = malloc(LOGLIST_MAX_BYTES + 1);
    if (!buf) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    n = fread(buf, 1, LOGLIST_MAX_BYTES + 1, f);
    if (ferror(f)) {
        err_set(err, errlen, "%s: read error", path);
    } else if (n > LOGLIST_MAX_BYTES) {
        err_set(err, errlen, "%s: larger than %u bytes", path,
                LOGLIST_MAX_BYTES);
    } else if (ct_loglist_parse(buf, n, out, err, errlen) == 0) {
        rc = 0;
    } else if (err && errlen) {         /* say which file */
        char why[512];
        snprintf(why, sizeof(why), "%s", err);
        err_set(err, errlen, "%s: %s", path, why);
    }
out:
    free(buf);
    fclose(f);
    return rc;
}

void ct_loglist_free(struct ct_loglist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        ct_log_free(&l->logs[i]);
    free(l->logs);
    free(l->version);
    free(l->timestamp);
    memset(l, 0, sizeof *l);
}

const struct ct_log *ct_loglist_find(const struct ct_loglist *l,
                                     const char *url)
{
    char norm[URL_MAX];
    size_t i;

    if (ct_url_normalize(url, norm, sizeof norm, NULL, 0) < 0)
        return NULL;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->logs[i].url, norm) == 0)
            return &l->logs[i];
    return NULL;
}

long ct_loglist_age_days(const struct ct_loglist *l, long long now_unix_s)
{
    int64_t t;

    /* the fraction and zone: ignored */
    if (!parse_time_prefix(l->timestamp, &t))
        return -1;
    if (now_unix_s < t)
        return 0;
    return (long)((now_unix_s - t) / 86400);
}
