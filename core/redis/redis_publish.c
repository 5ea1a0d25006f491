/*
** redis_publish.c: XADD every message to a stream (see redis_publish.h).
*/
#include <hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "json_parse.h"
#include "log.h"
#include "mono_clock.h"
#include "redis/redis_conn.h"
#include "redis/redis_publish.h"
#include "redis/redis_url.h"
#include "stats.h"

static const struct {
    unsigned batch;                 /* messages per pipelined write */
    unsigned connect_timeout_ms;
    unsigned reply_timeout_ms;      /* a server this slow counts as lost */
    unsigned stable_ms;             /* up this long resets the backoff */
} publish_limits = {
    .batch = 256,
    .connect_timeout_ms = 3000,
    .reply_timeout_ms = 15000,
    .stable_ms = 10000,
};

/* The fields of one stream entry besides the message itself. */
struct entry_fields {
    char type[64];
    char log[512];
    char index[24];
};

struct redis_publisher {
    struct redis_publish_config c;
    struct redis_url url;
    redisContext *rc;               /* NULL while disconnected */
    struct backoff backoff;
    char maxlen[24];
    pthread_t thread;
    int started;
    uint64_t published;             /* XADDs answered */
    uint64_t resent;                /* sent again after a lost connection */
    uint64_t invalid;               /* not JSON objects: not published */
    int was_lost;                   /* down since the last success */
};

static struct log_budget invalid_log = LOG_BUDGET_INIT(5, "invalid messages");
static struct log_budget reply_log = LOG_BUDGET_INIT(5, "redis errors");

/* Connects (redis_conn.h). Returns 0; -1 for a failure worth retrying;
** -2 for a fatal one. The reason is in err. */
static int pub_connect(struct redis_publisher *p, char *err, size_t errlen)
{
    const struct redis_conn_timeouts t = {
        .connect_ms = publish_limits.connect_timeout_ms,
        .reply_ms = publish_limits.reply_timeout_ms,
    };
    return redis_conn_open(&p->url, &t, &p->rc, err, errlen);
}

static void pub_disconnect(struct redis_publisher *p)
{
    if (p->rc) {
        redisFree(p->rc);
        p->rc = NULL;
    }
}

/* Fills f from the message. Returns 0, or -1 if it is not a JSON object. */
static int entry_fields_of(const struct msg *m, struct entry_fields *f)
{
    char err[128];
    struct json_value *root = json_parse(m->data, m->len, err, sizeof(err));
    const struct json_value *data;
    const char *s;
    size_t len;
    uint64_t index;

    f->type[0] = f->log[0] = f->index[0] = '\0';
    if (!root || root->type != JSON_OBJECT) {
        json_free(root);
        return -1;
    }
    s = json_str(json_get(root, "message_type"), &len);
    if (s)
        snprintf(f->type, sizeof(f->type), "%.*s", (int)len, s);
    data = json_get(root, "data");
    s = json_str(json_get(json_get(data, "source"), "url"), &len);
    if (s)
        snprintf(f->log, sizeof(f->log), "%.*s", (int)len, s);
    if (json_uint(json_get(data, "cert_index"), &index))
        snprintf(f->index, sizeof(f->index), "%" PRIu64, index);
    json_free(root);
    return 0;
}

/* Appends the XADD of m to the output buffer. */
static int append_xadd(struct redis_publisher *p, const struct msg *m,
                       const struct entry_fields *f)
{
    const char *argv[16];
    size_t lens[16];
    int n = 0;

#define ARG(s, l) (argv[n] = (s), lens[n] = (l), n++)
    ARG("XADD", 4);
    ARG(p->url.stream, strlen(p->url.stream));
    if (p->c.maxlen) {
        ARG("MAXLEN", 6);
        ARG("~", 1);
        ARG(p->maxlen, strlen(p->maxlen));
    }
    ARG("*", 1);
    ARG("type", 4);
    ARG(f->type, strlen(f->type));
    ARG("log", 3);
    ARG(f->log, strlen(f->log));
    ARG("index", 5);
    ARG(f->index, strlen(f->index));
    ARG("msg", 3);
    ARG(m->data, m->len);
#undef ARG
    return redisAppendCommandArgv(p->rc, n, argv, lens) == REDIS_OK ? 0 : -1;
}

/* Publishes batch[0..n), reporting each done in order once answered.
** Retries across lost connections until all are answered or stop is set
** while Redis cannot be reached (then the rest is not reported done). */
static void publish_batch(struct redis_publisher *p, struct msg **batch,
                          size_t n)
{
    struct entry_fields *fields = calloc(n, sizeof(*fields));
    unsigned char *valid = calloc(n, 1);
    size_t acked = 0, sends = 0;
    char err[512];

    if (!fields || !valid) {
        log_error("redis publish: out of memory; %zu messages not "
                  "published", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (entry_fields_of(batch[i], &fields[i]) == 0) {
            valid[i] = 1;
            continue;
        }
        p->invalid++;
        stats_add(&stats.parse_errors, 1);
        log_limited(&invalid_log, LOG_WARN, "message %" PRIu64 ": not a "
                    "JSON object, not published", batch[i]->seq);
    }
    while (acked < n) {
        size_t sent_from = acked, i;
        int lost = 0;

        if (!p->rc) {
            int rc = pub_connect(p, err, sizeof(err));
            if (rc < 0) {
                unsigned delay = backoff_next_ms(&p->backoff, mono_ms());
                log_warn("%s; %zu messages wait, retrying in %u ms", err,
                         n - acked, delay);
                if (redis_nap_ms(p->c.stop, delay)) {
                    log_error("redis publish: stopped while Redis is "
                              "unreachable: %zu messages not published",
                              n - acked);
                    goto done;
                }
                continue;
            }
            backoff_up(&p->backoff, mono_ms());
            if (p->was_lost) {
                p->was_lost = 0;
                stats_add(&stats.reconnects, 1);
                log_info("redis %s:%d: connected again, sending %zu "
                         "messages not yet acknowledged", p->url.host,
                         p->url.port, n - acked);
            }
        }
        for (i = acked; i < n; i++)
            if (valid[i] && append_xadd(p, batch[i], &fields[i]) < 0) {
                lost = 1;
                break;
            }
        if (!lost) {
            if (sends++ > 0)
                p->resent += n - sent_from;
            for (i = acked; i < n; i++) {
                redisReply *r = NULL;
                if (valid[i]) {
                    if (redisGetReply(p->rc, (void **)&r) != REDIS_OK || !r) {
                        log_warn("redis %s:%d: connection lost: %s",
                                 p->url.host, p->url.port, p->rc->errstr);
                        lost = 1;
                        break;
                    }
                    if (r->type == REDIS_REPLY_ERROR) {
                        /* e.g. WRONGTYPE, OOM: the entry is not in the
                        ** stream; keep its position uncommitted */
                        log_limited(&reply_log, LOG_ERROR, "redis XADD to "
                                    "%s refused: %s", p->url.stream, r->str);
                        freeReplyObject(r);
                        lost = 1;
                        break;
                    }
                    freeReplyObject(r);
                    p->published++;
                    stats_add(&stats.messages, 1);
                }
                if (p->c.on_done)
                    p->c.on_done(p->c.on_done_arg, batch[i]->seq);
                acked = i + 1;
            }
        }
        if (lost) {
            /* replies still due cannot be matched up: start afresh */
            pub_disconnect(p);
            p->was_lost = 1;
            if (redis_nap_ms(p->c.stop, backoff_next_ms(&p->backoff, mono_ms()))) {
                log_error("redis publish: stopped while Redis is "
                          "unreachable: %zu messages not published",
                          n - acked);
                goto done;
            }
        }
    }
done:
    free(fields);
    free(valid);
}

static void *publish_main(void *arg)
{
    struct redis_publisher *p = arg;
    struct msg **batch = calloc(publish_limits.batch, sizeof(*batch));
    size_t n;

    if (!batch) {
        log_error("redis publish: out of memory");
        return NULL;
    }
    while ((n = queue_pop_batch(p->c.queue, batch,
                                publish_limits.batch)) > 0) {
        publish_batch(p, batch, n);
        for (size_t i = 0; i < n; i++)
            msg_free(batch[i]);
    }
    free(batch);
    return NULL;
}

struct redis_publisher *redis_publish_start(
    const struct redis_publish_config *c, char *err, size_t errlen)
{
    struct redis_publisher *p = calloc(1, sizeof(*p));
    struct backoff_policy bp = {
        .min_ms = c->reconnect_min_ms ? c->reconnect_min_ms : 200,
        .max_ms = c->reconnect_max_ms ? c->reconnect_max_ms : 10000,
        .jitter_pct = 20,
        .stable_ms = publish_limits.stable_ms,
    };
    int rc;

    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->c = *c;
    if (redis_url_parse(c->url, &p->url, err, errlen) < 0)
        goto fail;
    snprintf(p->maxlen, sizeof(p->maxlen), "%" PRIu64, c->maxlen);
    backoff_init(&p->backoff, &bp, (uint64_t)mono_ns());
    rc = pub_connect(p, err, errlen);
    if (rc == -2)
        goto fail;
    if (rc == -1) {
        log_warn("%s; publishing once it is up", err);
        p->was_lost = 1;
        backoff_next_ms(&p->backoff, mono_ms());
    } else {
        backoff_up(&p->backoff, mono_ms());
        log_info("publishing to redis %s:%d stream %s", p->url.host,
                 p->url.port, p->url.stream);
    }
    if (pthread_create(&p->thread, NULL, publish_main, p) != 0) {
        snprintf(err, errlen, "redis publish: cannot start thread");
        goto fail;
    }
    p->started = 1;
    return p;
fail:
    pub_disconnect(p);
    free(p);
    return NULL;
}

void redis_publish_free(struct redis_publisher *p)
{
    if (!p)
        return;
    if (p->started)
        pthread_join(p->thread, NULL);
    log_info("redis: %" PRIu64 " entries published to stream %s (%" PRIu64
             " sent again after a lost connection, %" PRIu64 " invalid "
             "messages skipped)", p->published, p->url.stream, p->resent,
             p->invalid);
    pub_disconnect(p);
    free(p);
}
