/*
** test_ct_policy.c: rate limit, backoff with jitter, Retry-After, batch
** cap learning, ranges and targets. The clock is an argument: no waiting.
*/
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ct/ct_policy.h"

static void test_rate(void)
{
    struct ct_rate r;
    int64_t w;

    /* 0.15 requests/s, burst 1: one now, the next ~6.7 s later */
    ct_rate_init(&r, 0.15, 1, 1000);
    CHECK(ct_rate_take(&r, 1000) == 0);
    w = ct_rate_take(&r, 1000);
    CHECK(w >= 6666 && w <= 6668);
    CHECK(ct_rate_take(&r, 1000 + w - 10) > 0);
    CHECK(ct_rate_take(&r, 1000 + w) == 0);
    /* burst 3 at 10/s: three at once, then one per 100 ms */
    ct_rate_init(&r, 10, 3, 0);
    CHECK(ct_rate_take(&r, 0) == 0 && ct_rate_take(&r, 0) == 0 &&
          ct_rate_take(&r, 0) == 0);
    CHECK(ct_rate_take(&r, 0) > 0);
    CHECK(ct_rate_take(&r, 100) == 0);
    /* a long pause does not bank more than the burst */
    CHECK(ct_rate_take(&r, 1000000) == 0 && ct_rate_take(&r, 1000000) == 0 &&
          ct_rate_take(&r, 1000000) == 0 && ct_rate_take(&r, 1000000) > 0);
    /* clock going backwards takes nothing extra */
    CHECK(ct_rate_take(&r, 5) > 0);
    ct_rate_init(&r, 0, 1, 0);                 /* unlimited */
    for (int i = 0; i < 100; i++)
        CHECK(ct_rate_take(&r, 0) == 0);
}

/* Retry-After over the backoff delay (the series itself is backoff.c's,
** tested in test_backoff). */
static void test_retry_delay(void)
{
    CHECK(ct_retry_delay_ms(100, -1, 240000) == 100);
    CHECK(ct_retry_delay_ms(100, 7000, 240000) == 7000);
    CHECK(ct_retry_delay_ms(5000, 10, 240000) == 5000);
    CHECK(ct_retry_delay_ms(5000, 0, 240000) == 5000);
    CHECK(ct_retry_delay_ms(100, 999999999, 240000) == 240000);
}

static void test_retry_after(void)
{
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    int64_t now = 1445412480000 - 90000;

    CHECK(ct_retry_after_ms("120", now) == 120000);
    CHECK(ct_retry_after_ms(" 0 ", now) == 0);
    CHECK(ct_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", now) == 90000);
    CHECK(ct_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", now + 200000) == 0);
    CHECK(ct_retry_after_ms("", now) == -1);
    CHECK(ct_retry_after_ms("-5", now) == -1);
    CHECK(ct_retry_after_ms("12x", now) == -1);
    CHECK(ct_retry_after_ms("99999999999999", now) == -1);
    CHECK(ct_retry_after_ms("Wed, 21 Foo 2015 07:28:00 GMT", now) == -1);
    CHECK(ct_retry_after_ms("Wed, 21 Oct 2015 07:28:00 PST", now) == -1);
    CHECK(ct_retry_after_ms("Wed, 21 Oct 2015 25:28:00 GMT", now) == -1);
    CHECK(ct_retry_after_ms("soon", now) == -1);
}

static void test_batches(void)
{
    struct ct_batch b;

    ct_batch_init(&b, 0);
    CHECK(b.cap == CT_BATCH_DEFAULT && !b.learned);
    ct_batch_init(&b, 5000);
    CHECK(b.cap == CT_BATCH_MAX);
    ct_batch_init(&b, 256);
    CHECK(ct_batch_observe(&b, 0, 256, 256) == 256 && !b.learned);
    /* Google: 32 per call */
    CHECK(ct_batch_observe(&b, 0, 256, 32) == 32 && b.learned);
    /* a full answer does not raise it again */
    CHECK(ct_batch_observe(&b, 32, 32, 32) == 32);
    /* an aligning log cuts a misaligned request at the boundary: the cap
    ** is the power of two, not the short count */
    ct_batch_init(&b, 1000);
    CHECK(ct_batch_observe(&b, 5, 1000, 251) == 256);
    CHECK(ct_batch_observe(&b, 300, 256, 212) == 256);
    /* an unaligned short answer is the cap itself */
    ct_batch_init(&b, 256);
    CHECK(ct_batch_observe(&b, 0, 256, 100) == 100);
    /* zero entries teach nothing (the caller retries) */
    CHECK(ct_batch_observe(&b, 0, 100, 0) == 100);
}

static void test_ranges(void)
{
    uint64_t s, e, target = 0;

    CHECK(ct_next_range(0, 1000, 256, &s, &e) == 0 && s == 0 && e == 255);
    CHECK(ct_next_range(256, 1000, 256, &s, &e) == 0 && s == 256 && e == 511);
    /* after a short answer: up to the next aligned boundary only */
    CHECK(ct_next_range(300, 1000, 256, &s, &e) == 0 && s == 300 && e == 511);
    /* never past the tree: end is inclusive, so size - 1 */
    CHECK(ct_next_range(768, 1000, 256, &s, &e) == 0 && e == 999);
    CHECK(ct_next_range(999, 1000, 256, &s, &e) == 0 && s == 999 && e == 999);
    CHECK(ct_next_range(1000, 1000, 256, &s, &e) == -1);
    CHECK(ct_next_range(0, 0, 256, &s, &e) == -1);
    CHECK(ct_next_range(0, 10, 0, &s, &e) == -1);
    /* fuzz_ct_policy: a block cut by 2^64 (the log claims a tree that
    ** large) must not wrap the end below the start */
    CHECK(ct_next_range(UINT64_MAX - 1, UINT64_MAX, 1000, &s, &e) == 0 &&
          s == UINT64_MAX - 1 && e == UINT64_MAX - 1);
    CHECK(ct_next_range(UINT64_MAX - 100, UINT64_MAX - 2, 1000, &s, &e) == 0 &&
          s == UINT64_MAX - 100 && e == UINT64_MAX - 3);
    /* the target only grows */
    CHECK(ct_target_update(&target, 500) == 1 && target == 500);
    CHECK(ct_target_update(&target, 250) == 0 && target == 500);
    CHECK(ct_target_update(&target, 500) == 0);
    CHECK(ct_target_update(&target, 501) == 1 && target == 501);
}

/* The trailing partial tile of a tiled log waits until full or old. */
static void test_tail(void)
{
    struct ct_tail t = { .max_age_ms = 300000 };
    int64_t now = 1000000000;

    /* full tiles to read: go up to the tile boundary only... */
    CHECK(ct_tail_limit(&t, 0, 600, 0, now, now) == 600);
    CHECK(t.since_ms == 0);
    /* ...and once only the partial tile 2 (512..599) is left, it waits */
    CHECK(ct_tail_limit(&t, 512, 600, 0, now, now - 1000) == 512);
    CHECK(t.since_ms == now - 1000);
    CHECK(ct_tail_due_in_ms(&t, now) == 299000);
    /* more entries in the same tile do not restart the wait */
    CHECK(ct_tail_limit(&t, 512, 700, 0, now + 5000, now + 4000) == 512);
    CHECK(t.since_ms == now - 1000);
    /* the tile filled: read it, nothing waits any more */
    CHECK(ct_tail_limit(&t, 512, 768, 0, now + 6000, now + 6000) == 768);
    CHECK(t.since_ms == 0 && ct_tail_due_in_ms(&t, now) == -1);
    /* old enough: read the partial tile (the same answer when asked
    ** again: regression, a second call restarted the wait); what comes
    ** after waits anew, even before next reaches the limit again */
    CHECK(ct_tail_limit(&t, 768, 800, 0, now, now) == 768);
    CHECK(ct_tail_limit(&t, 768, 800, 0, now + 299999, now) == 768);
    CHECK(ct_tail_due_in_ms(&t, now + 299999) == 1);
    CHECK(ct_tail_limit(&t, 768, 800, 0, now + 300000, now) == 800);
    CHECK(ct_tail_limit(&t, 768, 800, 0, now + 300000, now) == 800);
    CHECK(ct_tail_due_in_ms(&t, now + 300000) == 0);
    CHECK(ct_tail_limit(&t, 800, 810, 0, now + 300001, now + 300001) == 768);
    CHECK(ct_tail_due_in_ms(&t, now + 300001) == 300000);
    /* a quiet log: its tree head is already old, no wait at all */
    t.since_ms = 0;
    CHECK(ct_tail_limit(&t, 1024, 1030, 0, now, now - 600000) == 1030);
    /* a log whose clock runs ahead waits from when we saw the entries */
    t.since_ms = 0;
    CHECK(ct_tail_limit(&t, 1024, 1030, 0, now, now + 3600000) == 1024);
    CHECK(t.since_ms == now);
    /* the range ends there (backtest, read-only log): no wait */
    t.since_ms = 0;
    CHECK(ct_tail_limit(&t, 1024, 1030, 1, now, now) == 1030);
    /* a tile boundary: nothing partial */
    CHECK(ct_tail_limit(&t, 1024, 1024, 0, now, now) == 1024);
    /* max age 0: never wait */
    t.max_age_ms = 0;
    CHECK(ct_tail_limit(&t, 1024, 1030, 0, now, now) == 1030);
}

int main(void)
{
    test_rate();
    test_retry_delay();
    test_retry_after();
    test_batches();
    test_ranges();
    test_tail();
    return check_done();
}
