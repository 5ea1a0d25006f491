/*
** alert_sink_redis.c: each alert XADDed to a Redis stream
** (--alert-redis redis://[user:pass@]host:port[/db]?stream=NAME), so the
** alerts of many certmon processes meet in one place.
**
** Every entry has three fields: `alert` (the alert line exactly as written
** to stdout / -o), `rule` and `domain` (the alert's fields of these names
** when they are strings or numbers, as the exec sink's CERTMON_RULE and
** CERTMON_DOMAIN get them; empty when the alert has none). No MAXLEN:
** alerts are few, and trimming is the reader's business.
**
** One blocking hiredis connection on the sink's one thread (the framework
** runs one thread for this kind, so deliver is never called twice at
** once). The connection is opened at start: a refused password or a bad
** database is a setup error (certmon exits 1); Redis down at start is
** not: the alerts are retried and spooled like a webhook's 5xx, and the
** connection is opened again on the next attempt. A lost connection or a
** reply that is a transient error (OOM, LOADING, ...) is a retryable
** failure; any other error reply (WRONGTYPE: the key is not a stream) is
** the receiver refusing the alert, never retried.
*/
#include <hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/alert_sink_kind.h"
#include "json_parse.h"
#include "log.h"
#include "redis/redis_conn.h"
#include "redis/redis_url.h"

#define REDIS_FIELD_MAX 1024        /* rule and domain values, bytes */

struct redis_sink {
    struct redis_url url;
    redisContext *rc;               /* NULL while disconnected */
};

static void redis_sink_free(void *impl)
{
    struct redis_sink *r = impl;

    if (!r)
        return;
    if (r->rc)
        redisFree(r->rc);
    free(r);
}

static struct redis_conn_timeouts timeouts_of(unsigned timeout_ms)
{
    struct redis_conn_timeouts t = { timeout_ms, timeout_ms };

    if (t.connect_ms > 5000)        /* a down server answers at once */
        t.connect_ms = 5000;
    return t;
}

void *redis_sink_new(const char *url, const struct alert_sinks_config *c,
                     char *err, size_t errlen)
{
    struct redis_sink *r = calloc(1, sizeof(*r));
    struct redis_conn_timeouts t;
    char why[512];

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (redis_url_parse(url, &r->url, err, errlen) < 0) {
        free(r);
        return NULL;
    }
    if (r->url.group[0] || r->url.consumer[0]) {
        snprintf(err, errlen, "group= and consumer= are for --redis, not "
                 "for alerts");
        free(r);
        return NULL;
    }
    t = timeouts_of(c->timeout_ms ? c->timeout_ms : 10000);
    switch (redis_conn_open(&r->url, &t, &r->rc, why, sizeof(why))) {
    case REDIS_CONN_OK:
        break;
    case REDIS_CONN_FATAL:
        snprintf(err, errlen, "%s", why);
        free(r);
        return NULL;
    case REDIS_CONN_RETRY:
        log_warn("--alert-redis: %s; alerts are retried and spooled until "
                 "it is up", why);
        break;
    }
    return r;
}

/* A field of the alert as text into out (as the exec sink's environment
** gets it); "" when absent or neither a string nor a number. Returns the
** length. */
static size_t field_of(const struct json_value *a, const char *key,
                       char *out, size_t outlen)
{
    const struct json_value *v = json_get(a, key);
    int n = 0;

    out[0] = '\0';
    if (v && v->type == JSON_STRING) {
        size_t len = v->u.str.len < outlen - 1 ? v->u.str.len : outlen - 1;
        memcpy(out, v->u.str.s, len);
        out[len] = '\0';
        return len;
    }
    if (v && v->type == JSON_NUMBER && v->u.num.is_int)
        n = snprintf(out, outlen, "%" PRId64, v->u.num.i);
    else if (v && v->type == JSON_NUMBER)
        n = snprintf(out, outlen, "%.17g", v->u.num.d);
    if (n < 0)
        n = 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

/* 1 if an error reply is the server being unable right now (retry). */
static int transient_error(const char *msg)
{
    static const char *const prefixes[] = {
        "OOM", "LOADING", "BUSY", "TRYAGAIN", "READONLY", "MASTERDOWN",
        "CLUSTERDOWN", "NOAUTH", "NOREPLICAS",
    };

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
        if (strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* One XADD of line[0..len) (see alert_sink_kind.h for the contract). */
static enum sink_result redis_deliver(void *impl, const char *line,
                                      size_t len, unsigned timeout_ms,
                                      char *why, size_t whylen,
                                      unsigned *retry_after_ms)
{
    struct redis_sink *r = impl;
    struct redis_conn_timeouts t = timeouts_of(timeout_ms);
    char err[128], rule[REDIS_FIELD_MAX], domain[REDIS_FIELD_MAX];
    struct json_value *a;
    const char *argv[9];
    size_t argl[9];
    redisReply *reply = NULL;
    enum sink_result result = SINK_RETRY;

    (void)retry_after_ms;
    if (!r->rc && redis_conn_open(&r->url, &t, &r->rc, why, whylen) !=
                      REDIS_CONN_OK)
        return SINK_RETRY;
    a = json_parse(line, len, err, sizeof(err));
    argv[0] = "XADD";
    argv[1] = r->url.stream;
    argv[2] = "*";
    argv[3] = "alert";
    argv[4] = line;
    argv[5] = "rule";
    argv[6] = rule;
    argv[7] = "domain";
    argv[8] = domain;
    for (int i = 0; i < 4; i++)
        argl[i] = strlen(argv[i]);
    argl[4] = len;
    argl[5] = 4;
    argl[6] = field_of(a, "rule", rule, sizeof(rule));
    argl[7] = 6;
    argl[8] = field_of(a, "domain", domain, sizeof(domain));
    json_free(a);
    reply = redisCommandArgv(r->rc, 9, argv, argl);
    if (!reply) {
        snprintf(why, whylen, "redis %s:%d: %s", r->url.host, r->url.port,
                 r->rc->errstr[0] ? r->rc->errstr : "connection lost");
        redisFree(r->rc);
        r->rc = NULL;
    } else if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(why, whylen, "redis %s:%d: XADD %s: %s", r->url.host,
                 r->url.port, r->url.stream, reply->str);
        result = transient_error(reply->str) ? SINK_RETRY : SINK_REJECTED;
        if (result == SINK_RETRY) {     /* a fresh connection on retry */
            redisFree(r->rc);
            r->rc = NULL;
        }
    } else {
        result = SINK_DELIVERED;
    }
    if (reply)
        freeReplyObject(reply);
    return result;
}

const struct sink_kind redis_sink_kind = {
    .prefix = "redis",
    .option = "--alert-redis",
    .create = redis_sink_new,
    .deliver = redis_deliver,
    .free = redis_sink_free,
};
