/*
** queue.h: the bounded hand-off of messages from sources to workers.
**
** A message is one heap block (struct msg plus its bytes) owned by whoever
** holds the pointer: the source until a push succeeds, the queue until a
** pop, the popper after it (who frees it with msg_free). Many producers and
** many consumers; a mutex and two condition variables, batched pops so a
** busy worker takes the lock once per batch, not once per message.
*/
#ifndef CERTMON_QUEUE_H
#define CERTMON_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct msg {
    uint64_t seq;       /* source-defined: replay line number, frame count */
    int64_t recv_ns;    /* CLOCK_MONOTONIC time the source completed it */
    size_t len;         /* bytes in data, not counting the added NUL */
    char data[];        /* payload, NUL-terminated for convenience */
};

/* Allocates a message holding a copy of data[0..len). NULL on OOM. */
struct msg *msg_new(const char *data, size_t len);
void msg_free(struct msg *m);

struct queue;

enum queue_push_result {
    QUEUE_OK = 0,       /* the queue owns the message now */
    QUEUE_FULL = 1,     /* try_push only: caller still owns the message */
    QUEUE_CLOSED = 2,   /* caller still owns the message */
};

/* A queue holding at most capacity messages (capacity >= 1). NULL on OOM.
** See queue_set_max_bytes for a bound in bytes. */
struct queue *queue_new(size_t capacity);

/* Frees the queue and any message still in it. No thread may use it. */
void queue_free(struct queue *q);

/* Waits while the queue is full; fails only when it is closed. */
enum queue_push_result queue_push(struct queue *q, struct msg *m);

/* Never waits: QUEUE_FULL when there is no room. */
enum queue_push_result queue_try_push(struct queue *q, struct msg *m);

/* Waits for at least one message, then moves up to max into out. Returns
** the number moved; 0 only when the queue is closed and empty. */
size_t queue_pop_batch(struct queue *q, struct msg **out, size_t max);

/* No more pushes: waiting pushers fail with QUEUE_CLOSED, poppers drain
** what is left and then get 0. Idempotent. */
void queue_close(struct queue *q);

size_t queue_len(struct queue *q);
size_t queue_capacity(struct queue *q);

/* Bounds the payload bytes queued as well (0: the count alone, the
** default). A message that does not fit waits (push) or is refused
** (try_push) like one finding the count full; one larger than the bound
** still enters an empty queue. Set before the first push. */
void queue_set_max_bytes(struct queue *q, size_t max_bytes);
size_t queue_max_bytes(struct queue *q);

/* Messages and payload bytes queued now, and the most messages ever
** queued at once (the high-water mark), read together. */
void queue_usage(struct queue *q, size_t *len, size_t *bytes,
                 size_t *high_water);

/* Calls fn(arg) from the popping thread when a producer found the queue
** full (try_push gave QUEUE_FULL, or push had to wait) and a pop has since
** brought it down to half its capacity or less: once per such episode. Used by sources that pause reading on a full queue
** (libwebsockets rx flow control) to be woken, e.g. via lws_cancel_service.
** fn must be cheap and thread-safe. May be set at any time, also while
** workers pop (sources set it when they start running); a full episode
** seen before it was set is reported to the first fn set. */
void queue_on_room(struct queue *q, void (*fn)(void *arg), void *arg);

/* While hold is 1, a push into an empty queue does not wake the waiting
** consumers; the wakeup is owed until queue_wake (or a full queue, or
** hold 0, or close). For a source that delivers bursts (all messages of
** one socket read) from one thread: hold once, call queue_wake after each
** burst. Messages are never hidden: only the wakeup is delayed. */
void queue_hold_wakeups(struct queue *q, int hold);

/* Wakes the consumers if a wakeup is owed. Cheap when none is. */
void queue_wake(struct queue *q);

#endif
