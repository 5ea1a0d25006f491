/*
** test_redis_inflight.c: the in-flight ring of a Redis consumer: entries
** are released only as a settled prefix, in read order, whatever order
** the workers finish them in; the ring bounds how many are held.
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "redis/redis_inflight.h"

struct finisher {
    struct redis_inflight *f;
    uint64_t first, n, step;
};

/* Marks first, first+step, ... done: two of them interleave. */
static void *finish(void *arg)
{
    struct finisher *w = arg;

    for (uint64_t i = 0; i < w->n; i++)
        redis_inflight_done(w->f, w->first + i * w->step);
    return NULL;
}

int main(void)
{
    struct redis_inflight *f = redis_inflight_new(5);   /* rounds to 8 */
    const char *ids[16];
    unsigned char invalid[16];
    uint64_t seq[8];
    char id[REDIS_ID_MAX];

    CHECK(f != NULL);
    CHECK(redis_inflight_room(f) == 8);
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof(id), "100-%d", i);
        seq[i] = redis_inflight_add(f, id);
        CHECK(seq[i] == (uint64_t)i + 1);
    }
    CHECK(redis_inflight_add(f, "100-99") == 0);        /* full */
    CHECK(redis_inflight_len(f) == 8 && redis_inflight_room(f) == 0);
    CHECK(redis_inflight_has(f, "100-3"));
    CHECK(!redis_inflight_has(f, "100-99"));

    /* done out of order: nothing settles until the oldest is done */
    redis_inflight_done(f, seq[2]);
    redis_inflight_done(f, seq[1]);
    CHECK(redis_inflight_settled(f, ids, invalid, 16) == 0);
    redis_inflight_invalid(f, seq[0]);
    redis_inflight_done(f, seq[0]);
    CHECK(redis_inflight_settled(f, ids, invalid, 16) == 3);
    CHECK_STR(ids[0], "100-0");
    CHECK_STR(ids[2], "100-2");
    CHECK(invalid[0] == 1 && invalid[1] == 0);
    CHECK(redis_inflight_settled(f, ids, invalid, 2) == 2);  /* max */
    redis_inflight_release(f, 3);
    CHECK(redis_inflight_len(f) == 5 && redis_inflight_room(f) == 3);
    CHECK(!redis_inflight_has(f, "100-0"));

    /* released seqs are ignored; slots are reused for new entries */
    redis_inflight_done(f, seq[0]);
    CHECK(redis_inflight_add(f, "200-0") == 9);
    CHECK(redis_inflight_settled(f, ids, invalid, 16) == 0);

    /* an entry added but not queued is forgotten */
    CHECK(redis_inflight_add(f, "200-1") == 10);
    redis_inflight_unadd(f);
    CHECK(redis_inflight_len(f) == 6 && !redis_inflight_has(f, "200-1"));

    /* an id that does not fit is refused, not cut */
    {
        char long_id[REDIS_ID_MAX + 1];
        memset(long_id, '7', REDIS_ID_MAX);
        long_id[REDIS_ID_MAX] = '\0';
        CHECK(redis_inflight_add(f, long_id) == 0);
    }
    redis_inflight_free(f);

    /* two threads finishing interleaved seqs: all settle, in order */
    f = redis_inflight_new(4096);
    for (int i = 0; i < 4000; i++) {
        snprintf(id, sizeof(id), "1-%d", i);
        redis_inflight_add(f, id);
    }
    {
        struct finisher a = { f, 2, 2000, 2 }, b = { f, 1, 2000, 2 };
        pthread_t ta, tb;
        size_t total = 0, n;
        int ordered = 1;
        pthread_create(&ta, NULL, finish, &a);
        pthread_create(&tb, NULL, finish, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        while ((n = redis_inflight_settled(f, ids, invalid, 16)) > 0) {
            for (size_t i = 0; i < n; i++) {
                snprintf(id, sizeof(id), "1-%zu", total + i);
                ordered &= strcmp(ids[i], id) == 0;
            }
            total += n;
            redis_inflight_release(f, n);
        }
        CHECK(total == 4000);
        CHECK(ordered);
    }
    redis_inflight_free(f);
    return check_done();
}
