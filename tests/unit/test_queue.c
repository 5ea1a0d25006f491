/*
** test_queue.c: the bounded queue alone, then under threads.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "queue.h"

static struct msg *num_msg(uint64_t n)
{
    char s[32];
    int len = snprintf(s, sizeof(s), "%llu", (unsigned long long)n);
    struct msg *m = msg_new(s, (size_t)len);
    m->seq = n;
    return m;
}

static void test_fifo_and_bounds(void)
{
    struct queue *q = queue_new(3);
    struct msg *out[8], *extra = num_msg(99);
    size_t n;

    CHECK(queue_capacity(q) == 3);
    for (uint64_t i = 1; i <= 3; i++)
        CHECK(queue_try_push(q, num_msg(i)) == QUEUE_OK);
    CHECK(queue_len(q) == 3);
    CHECK(queue_try_push(q, extra) == QUEUE_FULL);
    /* A batch takes at most half (rounded up) so other workers get some. */
    n = queue_pop_batch(q, out, 8);
    CHECK(n == 2);
    CHECK(out[0]->seq == 1 && out[1]->seq == 2);
    CHECK_STR(out[0]->data, "1");
    for (size_t i = 0; i < n; i++)
        msg_free(out[i]);
    CHECK(queue_try_push(q, extra) == QUEUE_OK);
    n = queue_pop_batch(q, out, 1);
    CHECK(n == 1 && out[0]->seq == 3);
    msg_free(out[0]);
    queue_close(q);
    /* closed: the remaining message still comes out, then 0 */
    n = queue_pop_batch(q, out, 8);
    CHECK(n == 1 && out[0]->seq == 99);
    msg_free(out[0]);
    CHECK(queue_pop_batch(q, out, 8) == 0);
    queue_free(q);
}

static void test_closed_push_keeps_ownership(void)
{
    struct queue *q = queue_new(2);
    struct msg *m = num_msg(1);

    queue_close(q);
    CHECK(queue_push(q, m) == QUEUE_CLOSED);
    CHECK(queue_try_push(q, m) == QUEUE_CLOSED);
    msg_free(m);            /* still ours: ASan would flag a double free */
    queue_free(q);
}

static void test_free_with_messages(void)
{
    struct queue *q = queue_new(4);

    queue_try_push(q, num_msg(1));
    queue_try_push(q, num_msg(2));
    queue_free(q);          /* frees both: LeakSanitizer checks */
    CHECK(1);
}

#define PRODUCERS 3
#define CONSUMERS 2
#define PER_PRODUCER 20000

struct shared {
    struct queue *q;
    atomic_int seen[PRODUCERS * PER_PRODUCER];
    atomic_int popped;
    atomic_int rooms;
};

static void *producer(void *arg)
{
    struct shared *s = ((void **)arg)[0];
    int id = (int)(intptr_t)((void **)arg)[1];

    for (int i = 0; i < PER_PRODUCER; i++)
        if (queue_push(s->q, num_msg((uint64_t)(id * PER_PRODUCER + i)))
            != QUEUE_OK)
            abort();
    return NULL;
}

static void *consumer(void *arg)
{
    struct shared *s = arg;
    struct msg *out[16];
    size_t n;

    while ((n = queue_pop_batch(s->q, out, 16)) > 0)
        for (size_t i = 0; i < n; i++) {
            atomic_fetch_add(&s->seen[out[i]->seq], 1);
            atomic_fetch_add(&s->popped, 1);
            msg_free(out[i]);
        }
    return NULL;
}

static void on_room(void *arg)
{
    atomic_fetch_add(&((struct shared *)arg)->rooms, 1);
}

static void test_threads(void)
{
    static struct shared s;
    pthread_t p[PRODUCERS], c[CONSUMERS];
    void *args[PRODUCERS][2];
    int once = 1;

    s.q = queue_new(64);
    queue_on_room(s.q, on_room, &s);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, &s);
    for (int i = 0; i < PRODUCERS; i++) {
        args[i][0] = &s;
        args[i][1] = (void *)(intptr_t)i;
        pthread_create(&p[i], NULL, producer, args[i]);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    queue_close(s.q);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    CHECK(s.popped == PRODUCERS * PER_PRODUCER);
    for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        if (s.seen[i] != 1)
            once = 0;
    CHECK(once);            /* every message exactly once */
    CHECK(s.rooms > 0);     /* producers outran a 64-slot queue */
    queue_free(s.q);
}

/* queue_on_room may be set after pops began (sources set it when they
** start, workers already popping): an episode of fullness seen before is
** reported to the callback set later, not lost. */
static void test_on_room_set_late(void)
{
    static struct shared s;
    struct queue *q = queue_new(4);
    struct msg *out[4], *m;
    size_t n;

    for (int i = 0; i < 4; i++)
        CHECK(queue_try_push(q, num_msg((uint64_t)i)) == QUEUE_OK);
    m = num_msg(4);
    CHECK(queue_try_push(q, m) == QUEUE_FULL);
    msg_free(m);
    n = queue_pop_batch(q, out, 4);     /* down to half, nobody to tell */
    CHECK(n == 2);
    for (size_t i = 0; i < n; i++)
        msg_free(out[i]);
    queue_on_room(q, on_room, &s);
    n = queue_pop_batch(q, out, 4);
    for (size_t i = 0; i < n; i++)
        msg_free(out[i]);
    CHECK(atomic_load(&s.rooms) == 1);
    queue_free(q);
}

static struct msg *sized_msg(size_t len, uint64_t seq)
{
    char buf[4096];
    struct msg *m;

    memset(buf, 'x', len);
    m = msg_new(buf, len);
    m->seq = seq;
    return m;
}

struct pusher {
    struct queue *q;
    struct msg *m;
    atomic_int done;
};

static void *push_thread(void *arg)
{
    struct pusher *p = arg;

    queue_push(p->q, p->m);
    atomic_store(&p->done, 1);
    return NULL;
}

/* --queue-bytes: the byte bound refuses or holds a push like the count
** does, a message larger than the bound still enters an empty queue, and
** the high-water mark remembers the deepest point. */
static void test_byte_bound(void)
{
    struct queue *q = queue_new(100);
    struct msg *out[8], *big = sized_msg(4000, 9);
    struct pusher p = { .q = q, .m = sized_msg(400, 4) };
    pthread_t t;
    size_t len, bytes, high, n;

    queue_set_max_bytes(q, 1000);
    CHECK(queue_max_bytes(q) == 1000);
    for (uint64_t i = 1; i <= 3; i++)
        CHECK(queue_try_push(q, sized_msg(300, i)) == QUEUE_OK);
    queue_usage(q, &len, &bytes, &high);
    CHECK(len == 3 && bytes == 900 && high == 3);
    CHECK(queue_try_push(q, big) == QUEUE_FULL);   /* 900 + 4000 > 1000 */
    /* a blocking push waits for bytes, not for a free slot */
    pthread_create(&t, NULL, push_thread, &p);
    n = queue_pop_batch(q, out, 1);
    CHECK(n == 1 && out[0]->seq == 1);
    msg_free(out[0]);
    pthread_join(t, NULL);          /* returns once 600 + 400 fits */
    CHECK(atomic_load(&p.done) == 1);
    queue_usage(q, &len, &bytes, &high);
    CHECK(len == 3 && bytes == 1000 && high == 3);
    while ((n = queue_pop_batch(q, out, 8)) > 0) {
        for (size_t i = 0; i < n; i++)
            msg_free(out[i]);
        queue_usage(q, &len, &bytes, &high);
        if (len == 0)
            break;
    }
    queue_usage(q, &len, &bytes, &high);
    CHECK(len == 0 && bytes == 0 && high == 3);
    /* larger than the whole bound: refused only while others are queued */
    CHECK(queue_try_push(q, big) == QUEUE_OK);
    CHECK(queue_pop_batch(q, out, 8) == 1 && out[0]->seq == 9);
    msg_free(out[0]);
    queue_free(q);
}

int main(void)
{
    test_fifo_and_bounds();
    test_closed_push_keeps_ownership();
    test_free_with_messages();
    test_threads();
    test_on_room_set_late();
    test_byte_bound();
    return check_done();
}
