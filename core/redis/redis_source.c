/*
** redis_source.c: a consumer of a Redis stream group (see redis_source.h).
**
** The reading half: connection, XREADGROUP (own history, then new
** entries), XAUTOCLAIM, the run loop; redis_ack.c writes the XACKs and
** dead letters. One blocking hiredis connection, used only by the thread
** that runs the source: reads, claims, acknowledgements and dead letters
** all go through it between two reads, so none waits on another. Workers
** only touch the in-flight ring. Reads block for at most read_block_ms,
** so a stop or a settled batch is seen that soon.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"
#include "mono_clock.h"
#include "redis/redis_conn.h"
#include "redis/redis_source.h"
#include "redis/redis_source_int.h"
#include "redis/redis_url.h"
#include "stats.h"

static const struct {
    unsigned batch;             /* entries per XREADGROUP / XAUTOCLAIM */
    unsigned inflight;          /* entries held unacknowledged at most */
    unsigned read_block_ms;     /* XREADGROUP BLOCK */
    unsigned full_wait_ms;      /* nap while the queue is full */
    unsigned connect_timeout_ms;
    unsigned reply_timeout_ms;
    unsigned stable_ms;
} source_limits = {
    .batch = 256,
    .inflight = 8192,
    .read_block_ms = 200,
    .full_wait_ms = 2,
    .connect_timeout_ms = 3000,
    .reply_timeout_ms = 15000,
    .stable_ms = 10000,
};


static struct log_budget reply_log = LOG_BUDGET_INIT(5, "redis errors");

/* ---- connection ---------------------------------------------------------- */

static void src_disconnect(struct redis_source *s)
{
    if (s->rc) {
        redisFree(s->rc);
        s->rc = NULL;
    }
    if (s->down_since_ms < 0)
        s->down_since_ms = mono_ms();
    s->lost = 1;
}

/* Creates the group (and the stream) unless it exists. 0, or -1. */
static int ensure_group(struct redis_source *s, char *err, size_t errlen)
{
    redisReply *r = redisCommand(s->rc, "XGROUP CREATE %s %s %s MKSTREAM",
                                 s->url.stream, s->url.group,
                                 s->c.start_oldest ? "0" : "$");
    int rc = 0;

    if (!r) {
        snprintf(err, errlen, "redis %s:%d: %s", s->url.host, s->url.port,
                 s->rc->errstr);
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9)) {
        snprintf(err, errlen, "redis %s:%d: XGROUP CREATE %s %s: %s",
                 s->url.host, s->url.port, s->url.stream, s->url.group,
                 r->str);
        rc = -1;
    } else if (r->type != REDIS_REPLY_ERROR) {
        log_info("redis: created group %s of stream %s at %s", s->url.group,
                 s->url.stream, s->c.start_oldest ? "its first entry"
                                                 : "its end");
    }
    freeReplyObject(r);
    return rc;
}

/* Connects and makes sure of the group. Returns REDIS_CONN_*. */
static int src_connect(struct redis_source *s, char *err, size_t errlen)
{
    const struct redis_conn_timeouts t = {
        .connect_ms = source_limits.connect_timeout_ms,
        .reply_ms = source_limits.reply_timeout_ms,
    };
    int rc = redis_conn_open(&s->url, &t, &s->rc, err, errlen);

    if (rc != REDIS_CONN_OK)
        return rc;
    if (ensure_group(s, err, errlen) < 0) {
        src_disconnect(s);
        s->lost = 0;        /* the caller waits for a failed connect */
        return REDIS_CONN_RETRY;
    }
    /* our own pending entries first: those of an earlier run under this
    ** name, or read just before a lost connection */
    s->history_done = 0;
    snprintf(s->history_from, sizeof(s->history_from), "0");
    return REDIS_CONN_OK;
}

void redis_src_command_failed(struct redis_source *s, const char *what,
                              redisReply *r)
{
    if (!r) {
        log_warn("redis %s:%d: connection lost (%s): %s", s->url.host,
                 s->url.port, what, s->rc ? s->rc->errstr : "?");
        src_disconnect(s);
        return;
    }
    log_limited(&reply_log, LOG_ERROR, "redis %s on stream %s: %s", what,
                s->url.stream, r->type == REDIS_REPLY_ERROR ? r->str
                                                            : "odd reply");
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0)
        src_disconnect(s);      /* the group was deleted: make it again */
    freeReplyObject(r);
}

/* ---- reading ------------------------------------------------------------- */

/* How many times each entry of a batch from the pending list (history or
** claim) was delivered, from XPENDING over its id range; 1 where unknown.
** counts[i] is for entries->element[i]. */
static void delivery_counts(struct redis_source *s, const redisReply *entries,
                            long long *counts)
{
    size_t n = entries->elements;
    const char *first = NULL, *last = NULL;
    redisReply *r;

    for (size_t i = 0; i < n; i++) {
        const redisReply *e = entries->element[i];
        counts[i] = 1;
        if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
            e->element[0]->type == REDIS_REPLY_STRING) {
            if (!first)
                first = e->element[0]->str;
            last = e->element[0]->str;
        }
    }
    if (!first)
        return;
    r = redisCommand(s->rc, "XPENDING %s %s %s %s %u %s", s->url.stream,
                     s->url.group, first, last, (unsigned)n, s->consumer);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return;     /* a lost connection shows at the next command */
    }
    for (size_t j = 0; j < r->elements; j++) {
        const redisReply *p = r->element[j];
        if (p->type != REDIS_REPLY_ARRAY || p->elements < 4 ||
            p->element[0]->type != REDIS_REPLY_STRING)
            continue;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = entries->element[i];
            if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
                strcmp(e->element[0]->str, p->element[0]->str) == 0) {
                counts[i] = p->element[3]->integer;
                break;
            }
        }
    }
    freeReplyObject(r);
}

/* Hands one entry to the queue, waiting (and acknowledging) while it is
** full. Returns 0, 1 on stop (the entry stays pending), -1 when the
** connection failed. */
static int deliver_entry(struct redis_source *s, struct intake *in,
                         const char *id, const redisReply *fields,
                         long long deliveries)
{
    const redisReply *msg = redis_src_entry_field(fields, "msg");
    size_t i = 0;
    uint64_t seq;

    if (!fields || fields->type != REDIS_REPLY_ARRAY) {
        /* deleted (trimmed) while pending: nothing left to run */
        s->skipped++;
        redisReply *r = redisCommand(s->rc, "XACK %s %s %s", s->url.stream,
                                     s->url.group, id);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            redis_src_command_failed(s, "XACK", r);
            return -1;
        }
        freeReplyObject(r);
        return 0;
    }
    if (s->c.max_deliveries && deliveries > (long long)s->c.max_deliveries) {
        char why[128];
        snprintf(why, sizeof(why), "delivered %lld times (more than "
                 "--redis-max-deliveries %u)", deliveries,
                 s->c.max_deliveries);
        return redis_src_dead_letter(s, id, why, deliveries, msg ? msg->str : NULL,
                           msg ? msg->len : 0);
    }
    while (msg && i < msg->len && strchr(" \t\r\n", msg->str[i]))
        i++;
    if (!msg || i == msg->len || msg->str[i] != '{') {
        s->invalid++;
        stats_add(&stats.parse_errors, 1);
        return redis_src_dead_letter(s, id, msg ? "field msg is not a JSON object"
                                      : "no field msg", deliveries,
                           msg ? msg->str : NULL, msg ? msg->len : 0);
    }
    for (;;) {
        while (!(seq = redis_inflight_add(s->inflight, id))) {
            if (redis_src_flush_acks(s) < 0)
                return -1;
            if (redis_nap_ms(in->stop, source_limits.full_wait_ms))
                return 1;
        }
        switch (intake_deliver(in, msg->str, msg->len, seq, 0)) {
        case INTAKE_QUEUED:
            s->read++;
            if (deliveries > 1)
                s->redelivered++;
            return 0;
        case INTAKE_FULL:
            redis_inflight_unadd(s->inflight);
            if (redis_src_flush_acks(s) < 0)
                return -1;
            if (redis_nap_ms(in->stop, source_limits.full_wait_ms))
                return 1;
            continue;
        case INTAKE_TOO_BIG:    /* counted by the intake */
            redis_inflight_unadd(s->inflight);
            s->invalid++;
            return redis_src_dead_letter(s, id, "larger than --max-message-size",
                               deliveries, NULL, 0);
        case INTAKE_CLOSED:
            redis_inflight_unadd(s->inflight);
            return 1;
        case INTAKE_DROPPED:    /* not under FULL_BLOCK */
        case INTAKE_NOMEM:
            redis_inflight_unadd(s->inflight);
            if (redis_nap_ms(in->stop, 100))
                return 1;
            continue;
        }
    }
}

/* Delivers the entries of one reply array ([id, fields] each). from_pel:
** they came from the pending list (history or claim), so they may have
** been delivered before, even to this process. Returns as deliver_entry. */
static int deliver_entries(struct redis_source *s, struct intake *in,
                           const redisReply *entries, int from_pel)
{
    long long counts_local[256];
    long long *counts = counts_local;
    int rc = 0;

    if (!entries || entries->type != REDIS_REPLY_ARRAY)
        return 0;
    if (entries->elements > 256 &&
        !(counts = calloc(entries->elements, sizeof(*counts))))
        return 0;
    for (size_t i = 0; i < entries->elements; i++)
        counts[i] = 1;
    if (from_pel)
        delivery_counts(s, entries, counts);
    for (size_t i = 0; i < entries->elements && rc == 0 && s->rc; i++) {
        const redisReply *e = entries->element[i];
        const char *id;
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        id = e->element[0]->str;
        /* the next history read goes on after this one, delivered or
        ** not, or a history of in-flight entries would be read forever */
        if (from_pel && !s->history_done)
            snprintf(s->history_from, sizeof(s->history_from), "%s", id);
        if (from_pel && redis_inflight_has(s->inflight, id))
            continue;       /* still queued here: not twice */
        rc = deliver_entry(s, in, id, e->elements > 1 ? e->element[1] : NULL,
                           counts[i]);
    }
    if (counts != counts_local)
        free(counts);
    return rc;
}

/* The entries of stream s->url.stream in an XREADGROUP reply, or NULL. */
static const redisReply *stream_entries(const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        return NULL;
    r = r->element[0];
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
        return NULL;
    return r->element[1];
}

/* One XREADGROUP: own history (from history_from) or new entries. */
static int read_some(struct redis_source *s, struct intake *in)
{
    size_t room = redis_inflight_room(s->inflight);
    size_t count = room < source_limits.batch ? room : source_limits.batch;
    const redisReply *entries;
    redisReply *r;
    int rc;

    if (count == 0)
        return redis_nap_ms(in->stop, source_limits.full_wait_ms);
    if (!s->history_done)
        r = redisCommand(s->rc, "XREADGROUP GROUP %s %s COUNT %u STREAMS "
                         "%s %s", s->url.group, s->consumer, (unsigned)count,
                         s->url.stream, s->history_from);
    else
        r = redisCommand(s->rc, "XREADGROUP GROUP %s %s COUNT %u BLOCK %u "
                         "STREAMS %s >", s->url.group, s->consumer,
                         (unsigned)count,
                         source_limits.read_block_ms, s->url.stream);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        redis_src_command_failed(s, "XREADGROUP", r);
        return -1;
    }
    entries = stream_entries(r);
    if (!s->history_done && (!entries || entries->elements == 0)) {
        s->history_done = 1;
        rc = 0;
    } else {
        rc = deliver_entries(s, in, entries, !s->history_done);
    }
    freeReplyObject(r);
    return rc;
}

/* One XAUTOCLAIM step over entries idle for claim_idle_ms, from the
** cursor; the next step is due once the whole list was walked. */
static int claim_some(struct redis_source *s, struct intake *in)
{
    size_t room = redis_inflight_room(s->inflight);
    size_t count = room < source_limits.batch ? room : source_limits.batch;
    redisReply *r;
    int rc = 0;

    if (count == 0)     /* no room: wait for acknowledgements */
        return redis_nap_ms(in->stop, source_limits.full_wait_ms);
    r = redisCommand(s->rc, "XAUTOCLAIM %s %s %s %s %s COUNT %u",
                     s->url.stream, s->url.group, s->consumer, s->claim_idle,
                     s->claim_cursor, (unsigned)count);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        redis_src_command_failed(s, "XAUTOCLAIM", r);
        return -1;
    }
    snprintf(s->claim_cursor, sizeof(s->claim_cursor), "%s",
             r->element[0]->str);
    if (r->element[1]->type == REDIS_REPLY_ARRAY) {
        uint64_t before = s->read + s->dead_lettered;
        rc = deliver_entries(s, in, r->element[1], 1);
        s->claimed += s->read + s->dead_lettered - before;
    }
    if (strcmp(s->claim_cursor, "0-0") == 0)
        s->next_claim_ms = mono_ms() + (s->c.claim_idle_ms / 2 > 1000
                                        ? s->c.claim_idle_ms / 2 : 1000);
    freeReplyObject(r);
    return rc;
}

/* ---- the source ---------------------------------------------------------- */

static void log_status(struct redis_source *s, int64_t now)
{
    double span_s = (now - s->status_ms) / 1000.0;
    size_t qlen, qbytes, qhigh;
    char up[48];

    if (s->down_since_ms < 0)
        snprintf(up, sizeof(up), "up");
    else
        snprintf(up, sizeof(up), "down=%.0fs",
                 (now - s->down_since_ms) / 1000.0);
    queue_usage(s->in->queue, &qlen, &qbytes, &qhigh);
    log_info("status: redis=%s:%d stream=%s group=%s consumer=%s %s "
             "rate=%.1f/s read=%" PRIu64 " acked=%" PRIu64 " in_flight=%zu "
             "claimed=%" PRIu64 " redelivered=%" PRIu64 " dead=%" PRIu64
             " reconnects=%llu "
             "queue=%zu queue_high=%zu queue_mib=%.1f",
             s->url.host, s->url.port, s->url.stream, s->url.group,
             s->consumer, up,
             span_s > 0 ? (s->read - s->status_read) / span_s : 0.0,
             s->read, s->acked, redis_inflight_len(s->inflight), s->claimed,
             s->redelivered, s->dead_lettered,
             (unsigned long long)stats_get(&stats.reconnects), qlen, qhigh,
             qbytes / 1048576.0);
    s->status_ms = now;
    s->status_read = s->read;
}

static int src_run(struct source *base, struct intake *in, char *err,
                   size_t errlen)
{
    struct redis_source *s = (struct redis_source *)base;
    char why[512];

    s->in = in;
    s->status_ms = mono_ms();
    while (!atomic_load(in->stop)) {
        int64_t now = mono_ms();

        if (s->c.stats_interval_s &&
            now - s->status_ms >= (int64_t)s->c.stats_interval_s * 1000)
            log_status(s, now);
        if (!s->rc && s->lost) {
            s->lost = 0;
            if (redis_nap_ms(in->stop, backoff_next_ms(&s->backoff, mono_ms())))
                break;
            continue;
        }
        if (!s->rc) {
            int rc = src_connect(s, why, sizeof(why));
            if (rc == REDIS_CONN_FATAL) {
                snprintf(err, errlen, "%s", why);
                return -1;
            }
            if (rc != REDIS_CONN_OK) {
                unsigned delay = backoff_next_ms(&s->backoff, mono_ms());
                log_warn("%s; %zu entries in flight wait, retrying in %u ms",
                         why, redis_inflight_len(s->inflight), delay);
                redis_nap_ms(in->stop, delay);
                continue;
            }
            backoff_up(&s->backoff, mono_ms());
            if (s->down_since_ms >= 0 && s->ever_up) {
                stats_add(&stats.reconnects, 1);
                log_info("redis %s:%d: connected again after %.1f s",
                         s->url.host, s->url.port,
                         (mono_ms() - s->down_since_ms) / 1000.0);
            }
            s->down_since_ms = -1;
            s->ever_up = 1;
        }
        if (redis_src_flush_acks(s) < 0)
            continue;
        if (s->history_done && s->c.claim_idle_ms && now >= s->next_claim_ms) {
            if (claim_some(s, in) != 0 && atomic_load(in->stop))
                break;
            continue;
        }
        if (read_some(s, in) > 0)
            break;
    }
    if (s->rc)
        redis_src_flush_acks(s);      /* what settled meanwhile; the rest at destroy */
    return 0;
}

static void src_wake(struct source *base)
{
    (void)base;     /* reads block for read_block_ms at most */
}

static void src_done(struct source *base, uint64_t seq)
{
    redis_inflight_done(((struct redis_source *)base)->inflight, seq);
}

static void src_invalid(struct source *base, uint64_t seq)
{
    redis_inflight_invalid(((struct redis_source *)base)->inflight, seq);
}

/* Called after the workers and the sinks stopped: every entry that will
** ever be settled is, so acknowledge them (one more connection attempt if
** Redis was lost); the rest stays pending for this name or a claim. */
static void src_destroy(struct source *base)
{
    struct redis_source *s = (struct redis_source *)base;
    char why[512];
    size_t left;

    if (redis_inflight_len(s->inflight) &&
        (s->rc || src_connect(s, why, sizeof(why)) == REDIS_CONN_OK))
        redis_src_flush_acks(s);
    left = redis_inflight_len(s->inflight);
    log_info("redis: %" PRIu64 " entries read from stream %s, group %s, as "
             "%s; %" PRIu64 " acknowledged, %" PRIu64 " taken over from "
             "other consumers, %" PRIu64 " delivered before (their rules "
             "may have run twice), %" PRIu64 " moved to %s (%" PRIu64 " not "
             "messages)", s->read, s->url.stream, s->url.group,
             s->consumer, s->acked, s->claimed, s->redelivered,
             s->dead_lettered, s->dead, s->invalid);
    if (left)
        log_warn("redis: %zu entries were not acknowledged and stay "
                 "pending (taken up again by consumer %s or claimed by "
                 "another)", left, s->consumer);
    if (s->rc)
        redisFree(s->rc);
    redis_inflight_free(s->inflight);
    free(s);
}

struct source *redis_source_new(const struct redis_source_config *c,
                                char *err, size_t errlen)
{
    struct redis_source *s = calloc(1, sizeof(*s));
    struct backoff_policy bp = {
        .min_ms = c->reconnect_min_ms ? c->reconnect_min_ms : 200,
        .max_ms = c->reconnect_max_ms ? c->reconnect_max_ms : 10000,
        .jitter_pct = 20,
        .stable_ms = source_limits.stable_ms,
    };
    char host[64];
    int rc;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base.name = "redis";
    s->base.run = src_run;
    s->base.wake = src_wake;
    s->base.destroy = src_destroy;
    s->base.done = src_done;
    s->base.invalid = src_invalid;
    s->c = *c;
    s->down_since_ms = -1;
    if (redis_url_parse(c->url, &s->url, err, errlen) < 0)
        goto fail;
    if (!s->url.group[0]) {
        snprintf(err, errlen, "--redis: the URL names no consumer group "
                 "(add &group=NAME)");
        goto fail;
    }
    if (s->url.consumer[0]) {
        snprintf(s->consumer, sizeof(s->consumer), "%s", s->url.consumer);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "certmon");
        host[sizeof(host) - 1] = '\0';
        snprintf(s->consumer, sizeof(s->consumer), "%s-%ld", host,
                 (long)getpid());
    }
    snprintf(s->dead, sizeof(s->dead), "%s:dead", s->url.stream);
    snprintf(s->claim_idle, sizeof(s->claim_idle), "%u", c->claim_idle_ms);
    snprintf(s->claim_cursor, sizeof(s->claim_cursor), "0-0");
    if (!(s->inflight = redis_inflight_new(source_limits.inflight))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    backoff_init(&s->backoff, &bp, (uint64_t)mono_ns());
    rc = src_connect(s, err, errlen);
    if (rc == REDIS_CONN_FATAL)
        goto fail;
    if (rc == REDIS_CONN_RETRY) {
        log_warn("%s; reading once it is up", err);
        s->down_since_ms = mono_ms();
    } else {
        s->ever_up = 1;
        log_info("reading redis %s:%d stream %s, group %s, as consumer %s",
                 s->url.host, s->url.port, s->url.stream, s->url.group,
                 s->consumer);
    }
    err[0] = '\0';
    return &s->base;
fail:
    if (s->rc)
        redisFree(s->rc);
    redis_inflight_free(s->inflight);
    free(s);
    return NULL;
}
