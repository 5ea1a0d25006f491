/*
** redis_store.h: certmon.store.seen shared by every certmon on one Redis
** (--store redis://[user:pass@]host:port[/db][?prefix=P]).
**
** seen(key, ttl) becomes SET <prefix><rule>:<key> 1 NX EX <ttl>: of all
** the processes and workers asking at once, exactly one is told "not
** seen", so two consumers of one stream alert once per domain. Only seen
** is shared; incr, set and get stay in the local store (store.h).
**
** Each thread that asks has its own blocking connection (hiredis contexts
** are not thread-safe), opened on its first call with short timeouts, so
** a slow or lost server holds a worker up for about one timeout at most.
** When Redis cannot answer (down, timed out, an error reply), the call is
** answered by the local store instead: alerts still flow, and across
** processes they may repeat. Each such call is counted
** (stats.store_redis_errors), the reason is logged once per log window,
** and a thread whose connection is lost waits out a backoff (backoff.h)
** before it connects again; calls in between go to the local store at
** once, without trying the network.
*/
#ifndef CERTMON_REDIS_STORE_H
#define CERTMON_REDIS_STORE_H

#include <stddef.h>

struct redis_store_config {
    const char *url;                /* redis://...[?prefix=P] */
    unsigned connect_timeout_ms;    /* 0 = 200 */
    unsigned reply_timeout_ms;      /* 0 = 500 */
    unsigned reconnect_min_ms;      /* 0 = 500 */
    unsigned reconnect_max_ms;      /* 0 = 10000 */
};

#define REDIS_STORE_DEFAULT_PREFIX "certmon:seen:"

/* Parses the URL and connects once from the calling thread, to fail at
** start on what retrying cannot fix: -1 with the reason in err (a bad URL,
** a refused password, a bad database; never the password). A server that
** is down is only a warning (0): seen is local until it comes up. From a
** return of 0 on, seen goes to Redis. Call before the threads that ask
** start; not thread-safe against redis_store_seen. */
int redis_store_start(const struct redis_store_config *c, char *err,
                      size_t errlen);

/* 1 between a successful redis_store_start and redis_store_stop. */
int redis_store_on(void);

/* As store_seen (1 seen, 0 first sighting, a store_error < 0) for key, the
** namespaced key lua_api builds (rule name, NUL, the rule's key): asked of
** Redis when on and it answers, else of the local store. Thread-safe. */
int redis_store_seen(const char *key, size_t klen, double ttl_s);

/* Closes and frees every thread's connection; seen is local again. Call
** once the threads that asked have stopped. */
void redis_store_stop(void);

/* The Redis key of a namespaced key: prefix, the rule name with '%' and
** ':' written %25 and %3A, ':', the rule's key as it is (so two rules
** never share a key, and the usual names read plainly in redis-cli).
** Written into *buf (grown with realloc; *cap its size, the caller frees
** it); returns the length, or (size_t)-1 on OOM. Exposed for tests. */
size_t redis_store_key(const char *prefix, const char *key, size_t klen,
                       char **buf, size_t *cap);

/* The EX seconds for ttl_s: whole seconds rounded up, at least 1, at most
** about 100 years; 0 for no expiry (ttl_s <= 0 or NaN, as the local
** store). Exposed for tests. */
long long redis_store_ttl_s(double ttl_s);

#endif
