/*
** test_backoff.c: the reconnect delay policy (core/backoff.c).
*/
#include <stdio.h>

#include "backoff.h"
#include "check.h"

static const struct backoff_policy issue_policy = {
    .min_ms = 1000, .max_ms = 60000, .jitter_pct = 20, .stable_ms = 60000,
};

/* Without jitter the series is exactly 1, 2, 4 ... 32, 60, 60 s. */
static void test_doubling_and_cap(void)
{
    struct backoff_policy p = issue_policy;
    struct backoff b;
    static const unsigned want[] = {
        1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    };
    unsigned i, ok = 1;

    p.jitter_pct = 0;
    backoff_init(&b, &p, 1);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned got = backoff_next_ms(&b, 0);
        if (got != want[i]) {
            printf("#   step %u: got %u want %u\n", i, got, want[i]);
            ok = 0;
        }
    }
    CHECK(ok);
    /* many more failures never overflow past the cap */
    for (i = 0; i < 1000; i++)
        backoff_next_ms(&b, 0);
    CHECK(backoff_next_ms(&b, 0) == 60000);
}

/* Every delay stays within +-20 % of its base, and the jitter really
** spreads: a long series is not constant. */
static void test_jitter_bounds(void)
{
    struct backoff b;
    unsigned i, in_bounds = 1, lo_seen = 60000 * 2, hi_seen = 0;

    backoff_init(&b, &issue_policy, 42);
    for (i = 0; i < 5000; i++) {
        unsigned base = backoff_base_ms(&b);
        unsigned got = backoff_next_ms(&b, 0);
        if (got < base * 80 / 100 || got > base * 120 / 100)
            in_bounds = 0;
        if (base == 60000) {
            if (got < lo_seen) lo_seen = got;
            if (got > hi_seen) hi_seen = got;
        }
    }
    CHECK(in_bounds);
    CHECK(lo_seen < 52000);    /* the low part of [48000, 72000] is used */
    CHECK(hi_seen > 68000);    /* and so is the high part */
}

/* A connection up for stable_ms resets to min; a shorter one does not. */
static void test_reset_after_stable(void)
{
    struct backoff_policy p = issue_policy;
    struct backoff b;

    p.jitter_pct = 0;
    backoff_init(&b, &p, 7);
    CHECK(backoff_next_ms(&b, 0) == 1000);
    CHECK(backoff_next_ms(&b, 1000) == 2000);
    CHECK(backoff_next_ms(&b, 3000) == 4000);

    backoff_up(&b, 10000);                 /* up for 59.999 s: no reset */
    CHECK(backoff_next_ms(&b, 69999) == 8000);

    backoff_up(&b, 100000);                /* up for 60 s: reset */
    CHECK(backoff_next_ms(&b, 160000) == 1000);
    CHECK(backoff_next_ms(&b, 161000) == 2000);

    /* a failed attempt after the reset does not count the old up time */
    CHECK(backoff_next_ms(&b, 500000) == 4000);
}

/* An answered request resets at once (CT logs), whatever the up time. */
static void test_reset_now(void)
{
    struct backoff_policy p = issue_policy;
    struct backoff b;

    p.jitter_pct = 0;
    backoff_init(&b, &p, 9);
    CHECK(backoff_next_ms(&b, 0) == 1000);
    CHECK(backoff_next_ms(&b, 0) == 2000);
    CHECK(backoff_next_ms(&b, 0) == 4000);
    backoff_reset(&b);
    CHECK(backoff_base_ms(&b) == 1000);
    CHECK(backoff_next_ms(&b, 0) == 1000);
    CHECK(backoff_next_ms(&b, 0) == 2000);
}

/* The same seed gives the same series; different seeds differ. */
static void test_seeded(void)
{
    struct backoff a, b, c;
    unsigned i, same = 1, differ = 0;

    backoff_init(&a, &issue_policy, 99);
    backoff_init(&b, &issue_policy, 99);
    backoff_init(&c, &issue_policy, 100);
    for (i = 0; i < 20; i++) {
        unsigned x = backoff_next_ms(&a, 0), y = backoff_next_ms(&b, 0);
        unsigned z = backoff_next_ms(&c, 0);
        if (x != y) same = 0;
        if (x != z) differ = 1;
    }
    CHECK(same);
    CHECK(differ);
}

/* Out-of-range settings are clamped, never divide by zero or stall. */
static void test_clamps(void)
{
    struct backoff_policy p = { .min_ms = 0, .max_ms = 0, .jitter_pct = 300,
                                .stable_ms = 0 };
    struct backoff b;
    unsigned i, ok = 1;

    backoff_init(&b, &p, 0);
    for (i = 0; i < 100; i++) {
        unsigned d = backoff_next_ms(&b, i);
        if (d < 1 || d > 2)
            ok = 0;
    }
    CHECK(ok);

    p = (struct backoff_policy){ .min_ms = 100, .max_ms = 500,
                                 .jitter_pct = 0, .stable_ms = 1000 };
    backoff_init(&b, &p, 0);
    CHECK(backoff_next_ms(&b, 0) == 100);
    CHECK(backoff_next_ms(&b, 0) == 200);
    CHECK(backoff_next_ms(&b, 0) == 400);
    CHECK(backoff_next_ms(&b, 0) == 500);
}

int main(void)
{
    test_doubling_and_cap();
    test_jitter_bounds();
    test_reset_after_stable();
    test_reset_now();
    test_seeded();
    test_clamps();
    return check_done();
}
