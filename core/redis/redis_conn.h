/*
** redis_conn.h: one way to open a Redis connection for every Redis user
** (--publish, the --redis source, --alert-redis, --store redis://).
**
** Connects with a timeout, authenticates (AUTH user pass, or AUTH pass),
** selects the database and sends PING, so a server that wants a password
** is found out at once. Tells a failure worth retrying (down, timeout)
** from one that retrying cannot fix (refused password, bad database).
** Blocking hiredis contexts: one per thread.
*/
#ifndef CERTMON_REDIS_CONN_H
#define CERTMON_REDIS_CONN_H

#include <hiredis.h>
#include <stdatomic.h>
#include <stddef.h>

#include "redis/redis_url.h"

enum redis_conn_result {
    REDIS_CONN_OK = 0,
    REDIS_CONN_RETRY = -1,      /* down, refused, timed out: try later */
    REDIS_CONN_FATAL = -2,      /* refused password, bad db: give up */
};

struct redis_conn_timeouts {
    unsigned connect_ms;
    unsigned reply_ms;          /* a server this slow counts as lost */
};

/* Opens a connection to u. On REDIS_CONN_OK *out holds it (free with
** redisFree); otherwise *out is NULL and err says why (host:port and
** the server's words, never the password). */
enum redis_conn_result redis_conn_open(const struct redis_url *u,
                                       const struct redis_conn_timeouts *t,
                                       redisContext **out, char *err,
                                       size_t errlen);

/* 1 if an error reply to AUTH, SELECT or PING means retrying is useless. */
int redis_conn_is_fatal(const char *reply);

/* Sleeps ms (a backoff delay, a wait for room) in steps of at most 50 ms
** and returns 1 as soon as *stop is set, 0 after the whole nap. */
int redis_nap_ms(const atomic_int *stop, unsigned ms);

#endif
