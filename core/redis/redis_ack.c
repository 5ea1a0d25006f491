/*
** redis_ack.c: what a --redis consumer sends back to Redis besides its
** reads: the XACKs of the settled entries, in read order, and the dead
** letters (see redis_source.h).
*/
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "redis/redis_inflight.h"
#include "redis/redis_source_int.h"

static struct log_budget dead_log = LOG_BUDGET_INIT(5, "dead letters");
static struct log_budget dead_reply_log =
    LOG_BUDGET_INIT(5, "redis dead-letter errors");

/* The value of field name in a stream entry's field array, or NULL. */
const redisReply *redis_src_entry_field(const redisReply *fields,
                                      const char *name)
{
    if (!fields || fields->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            return fields->element[i + 1];
    return NULL;
}

/* Appends the XADD of a dead letter for entry id (msg may be NULL). */
static void append_dead_letter(struct redis_source *s, const char *id,
                               const char *reason, long long deliveries,
                               const char *msg, size_t msg_len)
{
    char n[24];
    const char *argv[12] = { "XADD", s->dead, "*", "id", id, "stream",
                             s->url.stream, "reason", reason, "deliveries",
                             n, "msg" };
    size_t lens[13];
    const char *all[13];

    snprintf(n, sizeof(n), "%lld", deliveries);
    for (int i = 0; i < 12; i++) {
        all[i] = argv[i];
        lens[i] = strlen(argv[i]);
    }
    all[12] = msg ? msg : "";
    lens[12] = msg ? msg_len : 0;
    redisAppendCommandArgv(s->rc, 13, all, lens);
}

/* Sends entry id to the dead-letter stream and acknowledges it, counted
** and logged within a budget. Returns 0, or -1 if the connection failed
** (the entry stays pending and comes back). */
int redis_src_dead_letter(struct redis_source *s, const char *id,
                          const char *reason, long long deliveries,
                          const char *msg, size_t msg_len)
{
    redisReply *r = NULL;
    int rc = 0;

    append_dead_letter(s, id, reason, deliveries, msg, msg_len);
    redisAppendCommand(s->rc, "XACK %s %s %s", s->url.stream, s->url.group,
                       id);
    for (int i = 0; i < 2; i++) {
        if (redisGetReply(s->rc, (void **)&r) != REDIS_OK || !r) {
            redis_src_command_failed(s, "XADD to the dead letters", NULL);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            log_limited(&dead_reply_log, LOG_ERROR, "redis dead letter for %s: "
                        "%s", id, r->str);
            rc = -1;
        }
        freeReplyObject(r);
    }
    if (rc == 0) {
        s->dead_lettered++;
        log_limited(&dead_log, LOG_WARN, "redis entry %s of %s: %s; moved "
                    "to %s", id, s->url.stream, reason, s->dead);
    }
    return rc;
}

/* A settled entry the workers could not decode: its text is read back
** for the dead letter. */
static int dead_letter_invalid(struct redis_source *s, const char *id)
{
    redisReply *r = redisCommand(s->rc, "XRANGE %s %s %s", s->url.stream, id,
                                 id);
    const redisReply *msg = NULL;
    int rc;

    if (!r || r->type == REDIS_REPLY_ERROR) {
        redis_src_command_failed(s, "XRANGE", r);
        return -1;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 2)
        msg = redis_src_entry_field(r->element[0]->element[1], "msg");
    s->invalid++;
    rc = redis_src_dead_letter(s, id, "not a valid JSON message", 1,
                     msg ? msg->str : NULL, msg ? msg->len : 0);
    freeReplyObject(r);
    return rc;
}

/* XACKs the settled prefix of the in-flight entries, in batches. Entries
** the workers found undecodable go to the dead letters instead. Returns
** -1 when the connection failed. */
int redis_src_flush_acks(struct redis_source *s)
{
    const char *ids[512];
    unsigned char invalid[512];
    size_t n;

    while (s->rc && (n = redis_inflight_settled(s->inflight, ids, invalid,
                                                REDIS_ACK_BATCH)) > 0) {
        const char *argv[3 + 512];
        size_t lens[3 + 512];
        int argc = 0;
        redisReply *r;

        argv[argc] = "XACK", lens[argc++] = 4;
        argv[argc] = s->url.stream, lens[argc++] = strlen(s->url.stream);
        argv[argc] = s->url.group, lens[argc++] = strlen(s->url.group);
        for (size_t i = 0; i < n; i++) {
            if (invalid[i]) {
                if (dead_letter_invalid(s, ids[i]) < 0)
                    return -1;
                continue;
            }
            argv[argc] = ids[i], lens[argc++] = strlen(ids[i]);
        }
        if (argc > 3) {
            r = redisCommandArgv(s->rc, argc, argv, lens);
            if (!r || r->type == REDIS_REPLY_ERROR) {
                redis_src_command_failed(s, "XACK", r);
                return -1;
            }
            freeReplyObject(r);
            s->acked += (uint64_t)(argc - 3);
        }
        redis_inflight_release(s->inflight, n);
        backoff_reset(&s->backoff);
    }
    return s->rc ? 0 : -1;
}
