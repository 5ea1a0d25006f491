/*
** redis_publish.h: --publish: every message of the source into a Redis
** stream, in place of the rule workers.
**
** One thread pops batches from the queue, sends one XADD per message
** (pipelined: the whole batch in one write), then reads the replies. A
** message is reported done (on_done, like a worker does for CT positions)
** only once Redis has answered its XADD, and in queue order, so a CT
** position is committed only after Redis holds every entry before it. A
** lost connection is retried with backoff (backoff.h); the entries of the
** batch not yet answered are sent again, so an entry may be in the stream
** twice (at-least-once), never missing.
**
** Each stream entry has the fields:
**   msg   the message as received (CertStream JSON)
**   type  its message_type
**   log   data.source.url, "" when absent
**   index data.cert_index, "" when absent
*/
#ifndef CERTMON_REDIS_PUBLISH_H
#define CERTMON_REDIS_PUBLISH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

struct redis_publish_config {
    const char *url;                /* redis://...?stream=NAME */
    uint64_t maxlen;                /* XADD MAXLEN ~ maxlen; 0 = no trim */
    struct queue *queue;            /* popped until closed and empty */
    void (*on_done)(void *arg, uint64_t seq);   /* NULL = nobody asks */
    void *on_done_arg;
    atomic_int *stop;               /* set: give up retrying */
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
};

struct redis_publisher;

/* Parses the URL and connects once, to fail early on what retrying cannot
** fix (bad URL, refused password, wrong database); a server that is not
** up yet is only logged and retried by the thread. Then starts the
** thread. NULL with the reason in err. */
struct redis_publisher *redis_publish_start(
    const struct redis_publish_config *c, char *err, size_t errlen);

/* Waits for the thread (it ends once the queue is closed and drained, or
** on stop while Redis is unreachable), logs what was published, frees. */
void redis_publish_free(struct redis_publisher *p);

#endif
