/*
** queue.c: a bounded multi-producer multi-consumer ring of messages.
**
** Bounded by a message count and, optionally, by the bytes it holds, so
** a burst of small messages is absorbed whole while a flood of large
** ones still cannot take all memory. One mutex, two condition variables. Consumers take whole batches so the
** lock is taken once per batch; producers signal "not empty" only when the
** queue was empty and consumers signal "not full" only when it was full,
** so a steady stream costs no wakeups beyond the ones that matter.
**
** Two refinements keep a saturated pipeline from paying a thread switch
** per message:
** - a producer that found the queue full is told about room (on_room)
**   only once the consumers have drained it to half, not after every pop,
**   so a paused network reader resumes for a burst, not for one message;
** - a source may hold the "not empty" wakeup while it delivers a burst
**   (queue_hold_wakeups) and release it once per burst (queue_wake), so
**   sleeping workers are woken once per socket read, not per message.
*/
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct msg **ring;
    size_t capacity;
    size_t head;            /* next to pop */
    size_t count;
    size_t max_bytes;       /* 0: only capacity bounds it */
    size_t bytes;           /* payload bytes queued */
    size_t high_water;      /* most messages queued at once */
    unsigned pushers_waiting;
    int closed;
    int want_room;          /* a producer found it full: call on_room */
    int hold_wakeups;       /* see queue_hold_wakeups */
    int wake_owed;          /* not_empty held back while hold_wakeups */
    void (*on_room)(void *arg);
    void *on_room_arg;
};

struct msg *msg_new(const char *data, size_t len)
{
    struct msg *m = malloc(sizeof(*m) + len + 1);

    if (!m)
        return NULL;
    m->seq = 0;
    m->recv_ns = 0;
    m->len = len;
    memcpy(m->data, data, len);
    m->data[len] = '\0';
    return m;
}

void msg_free(struct msg *m)
{
    free(m);
}

struct queue *queue_new(size_t capacity)
{
    struct queue *q;

    assert(capacity >= 1);
    q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->ring = calloc(capacity, sizeof(*q->ring));
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
}

void queue_free(struct queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        msg_free(q->ring[(q->head + i) % q->capacity]);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q);
}

/* Whether m does not fit now: the message cap, or the byte bound (a
** message larger than the whole bound still goes into an empty queue, so
** nothing is refused for good). The lock is held. */
static int full_for_locked(const struct queue *q, const struct msg *m)
{
    return q->count == q->capacity ||
           (q->max_bytes && q->count && q->bytes + m->len > q->max_bytes);
}

/* Appends m; the caller holds the lock and has checked for room. */
static void put_locked(struct queue *q, struct msg *m)
{
    q->ring[(q->head + q->count) % q->capacity] = m;
    q->bytes += m->len;
    if (q->count + 1 > q->high_water)
        q->high_water = q->count + 1;
    if (q->count++ == 0) {
        if (q->hold_wakeups)
            q->wake_owed = 1;
        else
            pthread_cond_broadcast(&q->not_empty);
    }
}

/* Wakes the consumers if a wakeup was held back; the lock is held. */
static void pay_wakeup_locked(struct queue *q)
{
    if (q->wake_owed) {
        q->wake_owed = 0;
        pthread_cond_broadcast(&q->not_empty);
    }
}

enum queue_push_result queue_push(struct queue *q, struct msg *m)
{
    enum queue_push_result r = QUEUE_OK;

    pthread_mutex_lock(&q->lock);
    while (!q->closed && full_for_locked(q, m)) {
        pay_wakeup_locked(q);   /* the consumers must run to make room */
        q->want_room = 1;
        q->pushers_waiting++;
        pthread_cond_wait(&q->not_full, &q->lock);
        q->pushers_waiting--;
    }
    if (q->closed)
        r = QUEUE_CLOSED;
    else
        put_locked(q, m);
    pthread_mutex_unlock(&q->lock);
    return r;
}

enum queue_push_result queue_try_push(struct queue *q, struct msg *m)
{
    enum queue_push_result r = QUEUE_OK;

    pthread_mutex_lock(&q->lock);
    if (q->closed)
        r = QUEUE_CLOSED;
    else if (full_for_locked(q, m)) {
        r = QUEUE_FULL;
        pay_wakeup_locked(q);
        q->want_room = 1;
    }
    else
        put_locked(q, m);
    pthread_mutex_unlock(&q->lock);
    return r;
}

size_t queue_pop_batch(struct queue *q, struct msg **out, size_t max)
{
    size_t n;
    int was_full;
    void (*room_fn)(void *arg) = NULL;
    void *room_arg = NULL;

    pthread_mutex_lock(&q->lock);
    while (!q->closed && q->count == 0)
        pthread_cond_wait(&q->not_empty, &q->lock);
    was_full = q->pushers_waiting > 0;
    /* With several consumers, leave work for the others: take at most
    ** half of what is there (but at least one), so one worker does not
    ** sit on a batch while another idles. */
    n = q->count > 1 ? (q->count + 1) / 2 : q->count;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        out[i] = q->ring[q->head];
        q->bytes -= out[i]->len;
        q->head = (q->head + 1) % q->capacity;
    }
    q->count -= n;
    if (was_full && n > 0)
        pthread_cond_broadcast(&q->not_full);
    if (q->want_room && q->count <= q->capacity / 2 &&
        (!q->max_bytes || q->bytes <= q->max_bytes / 2) && q->on_room) {
        q->want_room = 0;
        room_fn = q->on_room;       /* read under the lock: it may be set */
        room_arg = q->on_room_arg;  /* while workers pop */
    }
    pthread_mutex_unlock(&q->lock);
    if (room_fn)
        room_fn(room_arg);
    return n;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    q->wake_owed = 0;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t queue_len(struct queue *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t queue_capacity(struct queue *q)
{
    return q->capacity;
}

void queue_set_max_bytes(struct queue *q, size_t max_bytes)
{
    pthread_mutex_lock(&q->lock);
    q->max_bytes = max_bytes;
    pthread_mutex_unlock(&q->lock);
}

size_t queue_max_bytes(struct queue *q)
{
    return q->max_bytes;
}

void queue_usage(struct queue *q, size_t *len, size_t *bytes,
                 size_t *high_water)
{
    pthread_mutex_lock(&q->lock);
    *len = q->count;
    *bytes = q->bytes;
    *high_water = q->high_water;
    pthread_mutex_unlock(&q->lock);
}

void queue_on_room(struct queue *q, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&q->lock);
    q->on_room = fn;
    q->on_room_arg = arg;
    pthread_mutex_unlock(&q->lock);
}

void queue_hold_wakeups(struct queue *q, int hold)
{
    pthread_mutex_lock(&q->lock);
    q->hold_wakeups = hold;
    if (!hold)
        pay_wakeup_locked(q);
    pthread_mutex_unlock(&q->lock);
}

void queue_wake(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    pay_wakeup_locked(q);
    pthread_mutex_unlock(&q->lock);
}
