/*
** redis_store.c: certmon.store.seen through Redis (see redis_store.h).
**
** Every thread that calls seen gets a slot of its own (found through a
** thread-local pointer) holding its connection and its backoff; the
** slots are also on one list, under a mutex taken only to add a slot and
** to free them all at exit. A start/stop pair bumps an epoch, so a thread
** never uses a slot of an earlier start (the tests start several times).
*/
#include <hiredis.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "log.h"
#include "mono_clock.h"
#include "redis/redis_conn.h"
#include "redis/redis_store.h"
#include "redis/redis_url.h"
#include "stats.h"
#include "store.h"

/* the longest TTL sent: about 100 years (Redis refuses what overflows) */
#define MAX_TTL_S 3153600000LL

struct slot {
    struct slot *next;              /* on the list of all slots */
    redisContext *rc;               /* NULL while disconnected */
    struct backoff backoff;
    int64_t retry_at_ms;            /* while disconnected: not before */
    int lost;                       /* down since the last success */
    char *key;                      /* the Redis key being built */
    size_t key_cap;
};

static struct {
    pthread_mutex_t lock;           /* guards slots */
    struct slot *slots;
    struct redis_url url;
    const char *prefix;             /* url.prefix or the default */
    struct redis_conn_timeouts timeouts;
    struct backoff_policy policy;
    atomic_int on;
    atomic_uint epoch;              /* bumped by start and stop */
} rs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local struct slot *my_slot;
static _Thread_local unsigned my_epoch;

static struct log_budget error_log = LOG_BUDGET_INIT(1, "redis store "
                                                     "errors");
static struct log_budget up_log = LOG_BUDGET_INIT(2, "redis store "
                                                  "reconnections");

long long redis_store_ttl_s(double ttl_s)
{
    if (!(ttl_s > 0))
        return 0;
    if (ttl_s >= (double)MAX_TTL_S)
        return MAX_TTL_S;
    return ttl_s < 1 ? 1 : (long long)ceil(ttl_s);
}

/* Makes room for need bytes in *buf. 0, or -1 on OOM (*buf kept). */
static int reserve(char **buf, size_t *cap, size_t need)
{
    char *nb;
    size_t nc;

    if (need <= *cap)
        return 0;
    nc = *cap ? *cap : 128;
    while (nc < need)
        nc *= 2;
    nb = realloc(*buf, nc);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

size_t redis_store_key(const char *prefix, const char *key, size_t klen,
                       char **buf, size_t *cap)
{
    size_t plen = strlen(prefix);
    const char *rule_end = memchr(key, '\0', klen);
    size_t rlen = rule_end ? (size_t)(rule_end - key) : 0;
    const char *rest = rule_end ? rule_end + 1 : key;
    size_t rest_len = klen - (size_t)(rest - key);
    size_t n = 0;

    /* at worst every byte of the rule name takes three */
    if (reserve(buf, cap, plen + 3 * rlen + 1 + rest_len + 1) < 0)
        return (size_t)-1;
    memcpy(*buf, prefix, plen);
    n = plen;
    for (size_t i = 0; i < rlen; i++) {
        if (key[i] == '%' || key[i] == ':') {
            memcpy(*buf + n, key[i] == '%' ? "%25" : "%3A", 3);
            n += 3;
        } else {
            (*buf)[n++] = key[i];
        }
    }
    (*buf)[n++] = ':';
    memcpy(*buf + n, rest, rest_len);
    n += rest_len;
    (*buf)[n] = '\0';
    return n;
}

/* The calling thread's slot, made on its first call; NULL on OOM. */
static struct slot *slot_get(void)
{
    unsigned epoch = atomic_load(&rs.epoch);
    struct slot *s;

    if (my_slot && my_epoch == epoch)
        return my_slot;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    backoff_init(&s->backoff, &rs.policy,
                 (uint64_t)mono_ns() ^ (uint64_t)(uintptr_t)s);
    pthread_mutex_lock(&rs.lock);
    s->next = rs.slots;
    rs.slots = s;
    pthread_mutex_unlock(&rs.lock);
    my_slot = s;
    my_epoch = epoch;
    return s;
}

/* The connection of s is gone (or never came): free it, and wait out the
** next backoff delay before trying again. */
static void slot_lost(struct slot *s, int64_t now_ms)
{
    if (s->rc) {
        redisFree(s->rc);
        s->rc = NULL;
    }
    s->lost = 1;
    s->retry_at_ms = now_ms + backoff_next_ms(&s->backoff, now_ms);
}

/* Connects s unless it is waiting out a backoff. 0 when connected; -1,
** with the reason in err ("" while waiting), when not. */
static int slot_connect(struct slot *s, char *err, size_t errlen)
{
    int64_t now_ms = mono_ms();

    err[0] = '\0';
    if (s->rc)
        return 0;
    if (s->lost && now_ms < s->retry_at_ms)
        return -1;
    if (redis_conn_open(&rs.url, &rs.timeouts, &s->rc, err, errlen) !=
        REDIS_CONN_OK) {
        slot_lost(s, mono_ms());
        return -1;
    }
    backoff_up(&s->backoff, mono_ms());
    if (s->lost)
        log_limited(&up_log, LOG_INFO, "redis store %s:%d: connected again; "
                    "certmon.store.seen is shared again", rs.url.host,
                    rs.url.port);
    s->lost = 0;
    return 0;
}

/* Redis could not answer: count it, say why once per log window, and
** answer from the local store. */
static int fall_back(const char *why, const char *key, size_t klen,
                     double ttl_s)
{
    stats_add(&stats.store_redis_errors, 1);
    if (why && why[0])
        log_limited(&error_log, LOG_WARN, "%s; certmon.store.seen answers "
                    "from the local store (alerts may repeat across "
                    "processes) until Redis is back", why);
    return store_seen(key, klen, ttl_s);
}

int redis_store_seen(const char *key, size_t klen, double ttl_s)
{
    char err[512], ex[24];
    const char *argv[6], *why = "redis store: out of memory";
    size_t lens[6], rklen;
    long long ex_s = redis_store_ttl_s(ttl_s);
    struct slot *s;
    redisReply *r;
    int argc = 0, rc = -1;

    if (!atomic_load(&rs.on))
        return store_seen(key, klen, ttl_s);
    s = slot_get();
    if (!s)
        goto local;
    if (slot_connect(s, err, sizeof(err)) < 0) {
        why = err;
        goto local;
    }
    rklen = redis_store_key(rs.prefix, key, klen, &s->key, &s->key_cap);
    if (rklen == (size_t)-1)
        goto local;
#define ARG(str, len) (argv[argc] = (str), lens[argc] = (len), argc++)
    ARG("SET", 3);
    ARG(s->key, rklen);
    ARG("1", 1);
    ARG("NX", 2);
    if (ex_s > 0) {
        ARG("EX", 2);
        ARG(ex, (size_t)snprintf(ex, sizeof(ex), "%lld", ex_s));
    }
#undef ARG
    why = err;
    r = redisCommandArgv(s->rc, argc, argv, lens);
    if (!r) {
        /* lost, or no reply within the timeout: the context is unusable */
        snprintf(err, sizeof(err), "redis store %s:%d: %s", rs.url.host,
                 rs.url.port, s->rc->errstr[0] ? s->rc->errstr
                                              : "connection lost");
        slot_lost(s, mono_ms());
        goto local;
    }
    if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
        rc = 0;                             /* set: the first sighting */
    else if (r->type == REDIS_REPLY_NIL)
        rc = 1;                             /* NX refused: already there */
    else                /* an error reply (OOM, READONLY, NOAUTH): the
                        ** connection itself is still in step; kept */
        snprintf(err, sizeof(err), "redis store %s:%d: SET refused: %.200s",
                 rs.url.host, rs.url.port,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    if (rc >= 0)
        return rc;
local:
    return fall_back(why, key, klen, ttl_s);
}

int redis_store_start(const struct redis_store_config *c, char *err,
                      size_t errlen)
{
    redisContext *rc = NULL;
    char why[512];

    redis_store_stop();
    if (redis_url_parse_server(c->url, &rs.url, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--store: %s", why);
        return -1;
    }
    rs.prefix = rs.url.prefix[0] ? rs.url.prefix : REDIS_STORE_DEFAULT_PREFIX;
    rs.timeouts = (struct redis_conn_timeouts){
        .connect_ms = c->connect_timeout_ms ? c->connect_timeout_ms : 200,
        .reply_ms = c->reply_timeout_ms ? c->reply_timeout_ms : 500,
    };
    rs.policy = (struct backoff_policy){
        .min_ms = c->reconnect_min_ms ? c->reconnect_min_ms : 500,
        .max_ms = c->reconnect_max_ms ? c->reconnect_max_ms : 10000,
        .jitter_pct = 20,
        .stable_ms = 10000,
    };
    switch (redis_conn_open(&rs.url, &rs.timeouts, &rc, why, sizeof(why))) {
    case REDIS_CONN_FATAL:
        snprintf(err, errlen, "--store: %s", why);
        return -1;
    case REDIS_CONN_RETRY:
        log_warn("--store: %s; certmon.store.seen is local until Redis is "
                 "up", why);
        break;
    case REDIS_CONN_OK:
        log_info("certmon.store.seen shared through redis %s:%d (keys %s*)",
                 rs.url.host, rs.url.port, rs.prefix);
        redisFree(rc);          /* each thread opens its own */
        break;
    }
    atomic_fetch_add(&rs.epoch, 1);
    atomic_store(&rs.on, 1);
    return 0;
}

int redis_store_on(void)
{
    return atomic_load(&rs.on);
}

void redis_store_stop(void)
{
    struct slot *s, *next;

    atomic_store(&rs.on, 0);
    pthread_mutex_lock(&rs.lock);
    for (s = rs.slots; s; s = next) {
        next = s->next;
        if (s->rc)
            redisFree(s->rc);
        free(s->key);
        free(s);
    }
    rs.slots = NULL;
    pthread_mutex_unlock(&rs.lock);
    atomic_fetch_add(&rs.epoch, 1);
}
