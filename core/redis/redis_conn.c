/*
** redis_conn.c: connect, AUTH, SELECT, PING (see redis_conn.h).
*/
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "redis/redis_conn.h"

int redis_conn_is_fatal(const char *msg)
{
    return strncmp(msg, "WRONGPASS", 9) == 0 ||
           strncmp(msg, "NOAUTH", 6) == 0 ||
           strstr(msg, "invalid password") != NULL ||
           strstr(msg, "DB index") != NULL ||
           strstr(msg, "without any password") != NULL;
}

int redis_nap_ms(const atomic_int *stop, unsigned ms)
{
    while (ms > 0) {
        unsigned step = ms < 50 ? ms : 50;
        struct timespec ts = { 0, (long)step * 1000000L };
        if (atomic_load(stop))
            return 1;
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return atomic_load(stop) != 0;
}

static struct timeval timeval_of_ms(unsigned ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

enum redis_conn_result redis_conn_open(const struct redis_url *u,
                                       const struct redis_conn_timeouts *t,
                                       redisContext **out, char *err,
                                       size_t errlen)
{
    redisContext *rc = redisConnectWithTimeout(u->host, u->port,
                                               timeval_of_ms(t->connect_ms));
    redisReply *r = NULL;
    enum redis_conn_result result = REDIS_CONN_RETRY;

    *out = NULL;
    if (!rc) {
        snprintf(err, errlen, "redis %s:%d: out of memory", u->host, u->port);
        return REDIS_CONN_RETRY;
    }
    if (rc->err) {
        snprintf(err, errlen, "redis %s:%d: %s", u->host, u->port,
                 rc->errstr);
        goto done;
    }
    redisSetTimeout(rc, timeval_of_ms(t->reply_ms));
    if (u->pass[0]) {
        if (u->user[0])
            r = redisCommand(rc, "AUTH %s %s", u->user, u->pass);
        else
            r = redisCommand(rc, "AUTH %s", u->pass);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "redis %s:%d: AUTH refused: %s", u->host,
                     u->port, r ? r->str : rc->errstr);
            if (r && redis_conn_is_fatal(r->str))
                result = REDIS_CONN_FATAL;
            goto done;
        }
        freeReplyObject(r);
        r = NULL;
    }
    if (u->db) {
        r = redisCommand(rc, "SELECT %d", u->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "redis %s:%d: SELECT %d: %s", u->host,
                     u->port, u->db, r ? r->str : rc->errstr);
            if (r)
                result = REDIS_CONN_FATAL;
            goto done;
        }
        freeReplyObject(r);
        r = NULL;
    }
    /* a server with requirepass answers the first real command NOAUTH */
    r = redisCommand(rc, "PING");
    if (!r || r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "redis %s:%d: %s", u->host, u->port,
                 r ? r->str : rc->errstr);
        if (r && redis_conn_is_fatal(r->str))
            result = REDIS_CONN_FATAL;
        goto done;
    }
    result = REDIS_CONN_OK;
done:
    if (r)
        freeReplyObject(r);
    if (result == REDIS_CONN_OK)
        *out = rc;
    else
        redisFree(rc);
    return result;
}
