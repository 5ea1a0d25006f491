/*
** redis_source_int.h: the state of a --redis consumer, shared by its
** reading half (redis_source.c: connection, XREADGROUP, XAUTOCLAIM, the
** run loop) and its writing half (redis_ack.c: XACK, dead letters). Both
** run on the source's thread only; workers touch the in-flight ring.
*/
#ifndef CERTMON_REDIS_SOURCE_INT_H
#define CERTMON_REDIS_SOURCE_INT_H

#include <hiredis.h>
#include <stdint.h>

#include "backoff.h"
#include "redis/redis_inflight.h"
#include "redis/redis_source.h"
#include "redis/redis_url.h"

#define REDIS_ACK_BATCH 512         /* ids per XACK */

struct redis_source {
    struct source base;
    struct redis_source_config c;
    struct redis_url url;
    char consumer[160];
    char dead[300];                 /* the dead-letter stream */
    char claim_idle[24];
    redisContext *rc;               /* NULL while disconnected */
    struct backoff backoff;
    struct redis_inflight *inflight;
    struct intake *in;              /* while running */
    int ever_up;                    /* connected at least once */
    int lost;                       /* a connection was lost: wait first */
    int history_done;               /* own pending entries taken up */
    char history_from[REDIS_ID_MAX];
    char claim_cursor[REDIS_ID_MAX];
    int64_t next_claim_ms;
    int64_t status_ms;
    int64_t down_since_ms;          /* -1 while connected */
    uint64_t read, acked, claimed, dead_lettered, invalid, skipped;
    uint64_t redelivered;           /* read, delivered before: may repeat */
    uint64_t status_read;
};

/* A command failed: an I/O error loses the connection (retried later);
** an error reply is logged. r may be NULL. Frees r. */
void redis_src_command_failed(struct redis_source *s, const char *what,
                              redisReply *r);

/* The value of field name in a stream entry's field array, or NULL. */
const redisReply *redis_src_entry_field(const redisReply *fields,
                                        const char *name);

/* Sends entry id to the dead-letter stream and acknowledges it, counted
** and logged within a budget. Returns 0, or -1 if the connection failed
** (the entry stays pending and comes back). msg may be NULL. */
int redis_src_dead_letter(struct redis_source *s, const char *id,
                          const char *reason, long long deliveries,
                          const char *msg, size_t msg_len);

/* XACKs the settled prefix of the in-flight entries, in batches; those
** the workers found undecodable go to the dead letters instead. Returns
** -1 when the connection failed (they stay held, sent after it is back). */
int redis_src_flush_acks(struct redis_source *s);

#endif
