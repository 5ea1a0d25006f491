/*
** ct_loglist.h: which CT logs to read, from a v3 log list.
**
** Reads Google's v3 schema (log_list.json / all_logs_list.json): operators
** with "logs" (RFC 6962, "url") and "tiled_logs" (static-ct-api,
** "monitoring_url" + "submission_url"). A log's "state" is an object with
** one key; it may be missing.
**
** Selection (ct_log_selected): usable, qualified and readonly logs are
** read (readonly ones only up to their final tree head); pending, retired,
** rejected and stateless logs (test logs, logs not yet in a state) are not.
**
** URLs are kept normalised: http:// or https:// only, ending in '/', so
** "<url>ct/v1/get-sth" and "<url>checkpoint" are plain concatenations.
*/
#ifndef CERTMON_CT_LOGLIST_H
#define CERTMON_CT_LOGLIST_H

#include <stddef.h>
#include <stdint.h>

enum ct_log_api {
    CT_API_RFC6962,
    CT_API_STATIC,          /* static-ct-api (tiled) */
    CT_API_UNKNOWN,         /* a --ct-log URL not in the list: probe it */
};

enum ct_log_state {
    CT_STATE_NONE,          /* no "state" in the list */
    CT_STATE_PENDING,
    CT_STATE_QUALIFIED,
    CT_STATE_USABLE,
    CT_STATE_READONLY,
    CT_STATE_RETIRED,
    CT_STATE_REJECTED,
    CT_STATE_UNKNOWN,       /* a state this code does not know */
};

struct ct_log {
    char *description;      /* "Google 'Argon2025h1' log" */
    char *operator_name;
    char *url;              /* RFC 6962 prefix / monitoring prefix, ends '/' */
    char *submission_url;   /* tiled logs; NULL otherwise */
    char *log_id;           /* base64 SHA-256 of the key, as listed */
    char *key;              /* base64 SubjectPublicKeyInfo, as listed */
    char *log_type;         /* "test", "monitoring_only", ... or NULL */
    enum ct_log_api api;
    enum ct_log_state state;
    int has_final_tree_size;        /* readonly: stop at final_tree_head */
    uint64_t final_tree_size;
    uint32_t mmd_s;
    /* temporal_interval: a shard takes only certificates whose notAfter
    ** is in [interval_start_s, interval_end_s) (Unix seconds) */
    int has_interval;
    int64_t interval_start_s, interval_end_s;
};

struct ct_loglist {
    struct ct_log *logs;    /* every well-formed log, selected or not */
    size_t n;
    size_t n_invalid;       /* log objects skipped as malformed */
    char *version;
    char *timestamp;        /* log_list_timestamp */
};

/* Parses a v3 log list. Malformed log objects (no URL, bad URL, bad
** final_tree_head) are skipped and counted in n_invalid, with the first
** reason in err; a document that is not a log list fails as a whole. */
int ct_loglist_parse(const char *text, size_t len, struct ct_loglist *out,
                     char *err, size_t errlen);

/* Reads and parses a log list file (at most 16 MiB). */
int ct_loglist_load(const char *path, struct ct_loglist *out, char *err,
                    size_t errlen);

void ct_loglist_free(struct ct_loglist *l);

/* Days from the list's log_list_timestamp ("2025-05-05T12:54:12Z") to
** now_unix_s, or -1 if it has none or it does not parse. Logs are added
** and retired every few months: an old list misses the new ones. */
long ct_loglist_age_days(const struct ct_loglist *l, long long now_unix_s);

/* 1 if the log should be read, following the rules above. */
int ct_log_selected(const struct ct_log *log);

/* 1 if log is a shard whose temporal interval ended at or before now_s:
** it can take no certificate from now on, so following it finds nothing
** new. Logs without an interval never expire. */
int ct_log_expired(const struct ct_log *log, int64_t now_s);

/* Copies into out (room for l->n logs) every log of l to read: the
** selected ones (ct_log_selected), and when following (follow != 0) not
** the expired shards (ct_log_expired), counted in *n_expired. A backtest
** keeps them: their past entries are still there. Returns how many logs
** were copied (free each with ct_log_free), or -1 on OOM (none kept). */
long ct_loglist_choose(const struct ct_loglist *l, int64_t now_s, int follow,
                       struct ct_log *out, size_t *n_expired);

/* The first instant in [from_s, to_s) for which none of logs[0..n) takes
** certificates expiring then, or -1 if there is none. A usable or
** qualified log takes the notAfter times of its temporal interval, or
** all of them without one; a read-only (or any other) log takes none. */
int64_t ct_logs_uncovered(const struct ct_log *logs, size_t n, int64_t from_s,
                          int64_t to_s);

/* Parses an RFC 3339 UTC time ("2025-05-05T12:54:12Z", fraction allowed)
** into Unix seconds. Returns 0, or -1 if it is not one. */
int ct_parse_time(const char *s, int64_t *out_s);

const char *ct_log_state_name(enum ct_log_state s);

/* The listed log whose (monitoring) URL equals url after normalisation,
** or NULL: used to give a --ct-log URL its name and API. */
const struct ct_log *ct_loglist_find(const struct ct_loglist *l,
                                     const char *url);

/* The log to read for a --ct-log URL: a copy of the listed entry when
** list (may be NULL) has it, else a log named by its URL, usable, whose
** API is found by probing (CT_API_UNKNOWN). Free with ct_log_free. */
int ct_log_for_url(const struct ct_loglist *list, const char *url,
                   struct ct_log *out, char *err, size_t errlen);

/* A copy of a log that owns its strings; ct_log_free releases them. */
int ct_log_copy(const struct ct_log *from, struct ct_log *to);
void ct_log_free(struct ct_log *log);

/* Normalises a log URL into out: scheme http:// or https:// (case-
** insensitive, written lower-case), a host url_split accepts (not IPv6,
** no user:password@, a port of plain digits in 1..65535) lower-cased, no
** query, fragment, whitespace or non-ASCII byte, and a trailing '/'.
** The normal form names the log's state file, so it must not change for
** a URL that was accepted before. Returns 0, or -1 with err set. */
int ct_url_normalize(const char *url, char *out, size_t outlen, char *err,
                     size_t errlen);

/* The URL as certstream-server-go prints source.url: without the trailing
** '/'. Writes into out and returns it. */
const char *ct_url_display(const char *url, char *out, size_t outlen);

#endif
