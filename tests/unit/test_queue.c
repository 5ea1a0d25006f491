/*
** test_queue.c: the bounded queue alone, then under threads.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

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

int main(void)
{
    test_fifo_and_bounds();
    test_closed_push_keeps_ownership();
    test_free_with_messages();
    test_threads();
    test_on_room_set_late();
    return check_done();
}
