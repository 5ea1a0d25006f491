/*
** backoff.c: exponential retry delays with jitter, cap and reset.
*/
#include "backoff.h"

void backoff_init(struct backoff *b, const struct backoff_policy *p,
                  uint64_t seed)
{
    b->policy = *p;
    if (b->policy.min_ms < 1)
        b->policy.min_ms = 1;
    if (b->policy.max_ms < b->policy.min_ms)
        b->policy.max_ms = b->policy.min_ms;
    if (b->policy.jitter_pct > 100)
        b->policy.jitter_pct = 100;
    b->failures = 0;
    b->up_since_ms = -1;
    /* splitmix64 step so that nearby seeds give unrelated series */
    seed += 0x9e3779b97f4a7c15ull;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
    seed ^= seed >> 31;
    b->rng = seed ? seed : 0x2545f4914f6cdd1dull;
}

void backoff_up(struct backoff *b, int64_t now_ms)
{
    b->up_since_ms = now_ms;
}

void backoff_reset(struct backoff *b)
{
    b->failures = 0;
    b->up_since_ms = -1;
}

unsigned backoff_base_ms(const struct backoff *b)
{
    uint64_t d = b->policy.min_ms;
    unsigned i;

    for (i = 0; i < b->failures && d < b->policy.max_ms; i++)
        d *= 2;
    return d > b->policy.max_ms ? b->policy.max_ms : (unsigned)d;
}

static uint64_t next_random(struct backoff *b)
{
    uint64_t x = b->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b->rng = x;
    return x;
}

unsigned backoff_next_ms(struct backoff *b, int64_t now_ms)
{
    uint64_t base, span, lo;

    if (b->up_since_ms >= 0 &&
        now_ms - b->up_since_ms >= (int64_t)b->policy.stable_ms)
        b->failures = 0;
    b->up_since_ms = -1;

    base = backoff_base_ms(b);
    if (b->failures < 64)
        b->failures++;

    /* uniform in [base - j, base + j], j = base * pct / 100 */
    span = base * b->policy.jitter_pct / 100;
    lo = base - span;
    base = lo + next_random(b) % (2 * span + 1);
    return base < 1 ? 1 : (unsigned)base;
}
