/*
** test_store.c: the shared store: semantics, expiry, the memory cap and
** atomicity of seen() across threads; the regression cases of the
** adversarial review (counter overflow, a value over the cap, keys
** crafted to collide under the old unkeyed hash).
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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
    CHECK(store_incr(K("m"), 1, 0, &v) == STORE_ERR_TYPE);  /* not a counter */
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

/* Regression (store_incr_overflow.lua): incr past INT64_MAX was signed
** overflow; now an error that leaves the counter as it was. */
static void test_incr_overflow_is_an_error(void)
{
    int64_t v = 0;

    CHECK(store_incr(K("c"), INT64_MAX, 0, &v) == 0 && v == INT64_MAX);
    CHECK(store_incr(K("c"), 1, 0, &v) == STORE_ERR_OVERFLOW);
    CHECK(store_incr(K("c"), 0, 0, &v) == 0 && v == INT64_MAX);
    CHECK(store_incr(K("d"), INT64_MIN, 0, &v) == 0 && v == INT64_MIN);
    CHECK(store_incr(K("d"), -1, 0, &v) == STORE_ERR_OVERFLOW);
    CHECK(store_incr(K("d"), INT64_MAX, 0, &v) == 0 && v == -1);
    store_reset();
}

/* Regression (store_over_cap.lua): one value larger than the whole cap
** was kept, because eviction spared the entry just written. */
static void test_cap_is_hard(void)
{
    size_t cap = 64 * 1024;
    size_t big_len = 1u << 20;
    char *big = malloc(big_len);
    struct store_value v = { .type = STORE_STR, .s = "old", .len = 3 };
    struct store_value got;
    char buf[8];

    store_set_max_bytes(cap);
    CHECK(store_set(K("k"), &v, 0) == 0);
    memset(big, 'v', big_len);
    v = (struct store_value){ .type = STORE_STR, .s = big, .len = big_len };
    CHECK(store_set(K("k"), &v, 0) == STORE_ERR_TOO_BIG);
    CHECK(store_usage().bytes <= cap);
    store_get(K("k"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_STR && got.len == 3);   /* old value kept */
    CHECK(store_seen(big, big_len, 0) == STORE_ERR_TOO_BIG);   /* big key */
    CHECK(store_usage().bytes <= cap);
    /* a value that fits only by evicting everything else still fits */
    v.len = cap / 2;
    CHECK(store_set(K("half"), &v, 0) == 0);
    CHECK(store_usage().bytes <= cap);
    store_get(K("half"), &got, buf, sizeof(buf));
    CHECK(got.type == STORE_STR && got.len == cap / 2);
    free(big);
    store_reset();
    store_set_max_bytes(64u << 20);
}

/* The reference vectors of the SipHash paper: key 00..0f. */
static void test_siphash_vectors(void)
{
    const uint64_t key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
    unsigned char in[15];

    for (int i = 0; i < 15; i++)
        in[i] = (unsigned char)i;
    CHECK(store_test_siphash(key, in, 0) == 0x726fdb47dd0e0e31ull);
    CHECK(store_test_siphash(key, in, 8) == 0x93f5f5799a932462ull);
    CHECK(store_test_siphash(key, in, 15) == 0xa129ca6149be45e5ull);
}

static uint64_t fnv1a(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Regression (hash flooding): keys chosen so that the old unkeyed FNV-1a
** put every one into the same bucket (equal low 13 bits: any table of up
** to 8,192 buckets indexes by those) must spread under the keyed hash. */
static void test_colliding_keys_spread(void)
{
    enum { N = 2000 };
    char key[32];
    int found = 0, fresh = 0;
    uint64_t want = fnv1a("rule\0k0", 7) & 0x1fff;

    for (unsigned i = 0; found < N; i++) {
        int n = snprintf(key, sizeof(key), "rule%ck%u", 0, i);
        if ((fnv1a(key, (size_t)n) & 0x1fff) != want)
            continue;
        found++;
        fresh += store_seen(key, (size_t)n, 0) == 0;
    }
    CHECK(fresh == N);
    CHECK(store_usage().entries == N);
    /* with FNV-1a the chain would hold all N; a fair hash of 2,000 keys
    ** into 4,096 buckets gives chains of a handful */
    CHECK(store_test_longest_chain() < 20);
    store_reset();
}

int main(void)
{
    test_seen_and_ttl();
    test_incr();
    test_set_get();
    test_cap_evicts_oldest();
    test_seen_is_atomic();
    test_incr_overflow_is_an_error();
    test_cap_is_hard();
    test_siphash_vectors();
    test_colliding_keys_spread();
    return check_done();
}
