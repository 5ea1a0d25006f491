/*
** test_store.c: the shared store: semantics, expiry, the memory cap and
** atomicity of seen() across threads.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "store.h"

#define K(s) (s), strlen(s)

static void test_seen_and_ttl(void)
{
    CHECK(store_seen(K("a"), 10) == 0);
    CHECK(store_seen(K("a"), 10) == 1);
    CHECK(store_seen(K("b"), 0) == 0);      /* no expiry */
    store_test_advance_s(11);
    CHECK(store_seen(K("a"), 10) == 0);     /* expired: a new window */
    CHECK(store_seen(K("a"), 10) == 1);
    CHECK(store_seen(K("b"), 0) == 1);
    /* seen() re-marks, so a key seen often stays seen */
    store_test_advance_s(8);
    CHECK(store_seen(K("a"), 10) == 1);
    store_test_advance_s(8);
    CHECK(store_seen(K("a"), 10) == 1);
    /* keys are byte strings: embedded NUL counts */
    CHECK(store_seen("x\0y", 3, 0) == 0);
    CHECK(store_seen("x\0z", 3, 0) == 0);
    CHECK(store_seen("x", 1, 0) == 0);
    store_reset();
}

static void test_incr(void)
{
    int64_t v = 0;

    CHECK(store_incr(K("c"), 1, 5, &v) == 0 && v == 1);
    CHECK(store_incr(K("c"), 2, 5, &v) == 0 && v == 3);
    store_test_advance_s(3);
    CHECK(store_incr(K("c"), 1, 5, &v) == 0 && v == 4);
    store_test_advance_s(3);        /* 6 s after creation: window over */
    CHECK(store_incr(K("c"), 1, 5, &v) == 0 && v == 1);
    CHECK(store_seen(K("m"), 0) == 0);
    CHECK(store_incr(K("m"), 1, 0, &v) == -1);  /* not a counter */
    store_reset();
}

static void test_set_get(void)
{
    struct store_value v = { .type = STORE_STR, .s = "hello", .len = 5 };
    struct store_value got;
    char buf[8], big[100];

    CHECK(store_set(K("s"), &v, 0) == 0);
    store_get(K("s"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_STR && got.len == 5 && !memcmp(got.s, "hello", 5));
    memset(big, 'x', sizeof(big));
    v.s = big;
    v.len = sizeof(big);
    CHECK(store_set(K("s"), &v, 0) == 0);
    store_get(K("s"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_STR && got.len == 100);  /* full length told */
    v = (struct store_value){ .type = STORE_NUM, .n = 2.5 };
    CHECK(store_set(K("n"), &v, 1) == 0);
    store_get(K("n"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_NUM && got.n == 2.5);
    store_test_advance_s(1.5);
    store_get(K("n"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_NONE);
    v = (struct store_value){ .type = STORE_NONE };
    CHECK(store_set(K("s"), &v, 0) == 0);            /* delete */
    store_get(K("s"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_NONE);
    CHECK(store_usage().entries == 0);
    store_reset();
}

static void test_cap_evicts_oldest(void)
{
    char key[32];
    size_t cap = 256 * 1024, over = 0, fresh = 0;

    store_set_max_bytes(cap);
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        fresh += store_seen(K(key), 0) == 0;
        over += store_usage().bytes > cap;
    }
    CHECK(fresh == 20000);
    CHECK(over == 0);
    CHECK(store_usage().evictions > 0);
    CHECK(store_seen(K("key-19999"), 0) == 1);      /* newest kept */
    CHECK(store_seen(K("key-0"), 0) == 0);          /* oldest gone */
    store_reset();
    store_set_max_bytes(64u << 20);
}

static atomic_int first_seen[1000];

static void *seer(void *arg)
{
    char key[32];

    (void)arg;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        if (store_seen(K(key), 0) == 0)
            atomic_fetch_add(&first_seen[i], 1);
    }
    return NULL;
}

static void test_seen_is_atomic(void)
{
    pthread_t t[4];
    int exactly_once = 1;

    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, seer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 1000; i++)
        if (first_seen[i] != 1)
            exactly_once = 0;
    CHECK(exactly_once);
    store_reset();
}

int main(void)
{
    test_seen_and_ttl();
    test_incr();
    test_set_get();
    test_cap_evicts_oldest();
    test_seen_is_atomic();
    return check_done();
}
