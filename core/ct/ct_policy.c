/*
** ct_policy.c: rate limit, backoff, Retry-After, batch caps, ranges.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct/ct_policy.h"

#define CT_TAIL_TILE 256       /* entries in a full data tile */

void ct_rate_init(struct ct_rate *r, double per_s, double burst,
                  int64_t now_ms)
{
    r->per_s = per_s;
    r->burst = burst < 1 ? 1 : burst;
    r->tokens = r->burst;
    r->last_ms = now_ms;
}

int64_t ct_rate_take(struct ct_rate *r, int64_t now_ms)
{
    double missing;

    if (r->per_s <= 0)
        return 0;
    if (now_ms > r->last_ms) {
        r->tokens += (double)(now_ms - r->last_ms) * r->per_s / 1000.0;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ms = now_ms;
    }
    if (r->tokens >= 1.0) {
        r->tokens -= 1.0;
        return 0;
    }
    missing = 1.0 - r->tokens;
    return (int64_t)(missing * 1000.0 / r->per_s) + 1;
}

unsigned ct_retry_delay_ms(unsigned backoff_ms, int64_t retry_after_ms,
                           unsigned cap_ms)
{
    if (retry_after_ms < 0 || (uint64_t)retry_after_ms <= backoff_ms)
        return backoff_ms;
    return (uint64_t)retry_after_ms > cap_ms ? cap_ms
                                            : (unsigned)retry_after_ms;
}

int64_t ct_retry_after_ms(const char *value, int64_t now_unix_ms)
{
    static const char *const months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    };
    const char *p = value;
    struct tm tm;
    char wday[4], mon[4], zone[4];
    int day, year, hh, mm, ss, n = 0, i;
    int64_t secs = 0, when;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p >= '0' && *p <= '9') {
        for (; *p >= '0' && *p <= '9'; p++) {
            if (secs > 1000000000)
                return -1;
            secs = secs * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        return *p ? -1 : secs * 1000;
    }
    /* IMF-fixdate, the one form RFC 9110 requires senders to use */
    if (sscanf(p, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wday, &day, mon,
               &year, &hh, &mm, &ss, zone, &n) != 8 || p[n] != '\0' ||
        strcmp(zone, "GMT") != 0)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_mon = -1;
    for (i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            tm.tm_mon = i;
    if (tm.tm_mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 ||
        ss > 60 || year < 1970)
        return -1;
    tm.tm_mday = day;
    tm.tm_year = year - 1900;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    when = (int64_t)timegm(&tm) * 1000;
    return when > now_unix_ms ? when - now_unix_ms : 0;
}

void ct_batch_init(struct ct_batch *b, unsigned initial_cap)
{
    b->cap = initial_cap ? initial_cap : CT_BATCH_DEFAULT;
    if (b->cap > CT_BATCH_MAX)
        b->cap = CT_BATCH_MAX;
    b->learned = 0;
}

unsigned ct_batch_observe(struct ct_batch *b, uint64_t start, unsigned asked,
                          unsigned got)
{
    uint64_t p2 = 1;

    if (got == 0 || got >= asked)
        return b->cap;
    while (p2 < got)
        p2 *= 2;
    if (start % p2 != 0 && (start + got) % p2 == 0) {
        /* cut at an aligned boundary: the cap is (at least) p2 */
        if (p2 < b->cap) {
            b->cap = (unsigned)p2;
            b->learned = 1;
        }
        return b->cap;
    }
    b->cap = got;
    b->learned = 1;
    return b->cap;
}

int ct_next_range(uint64_t next, uint64_t target, unsigned cap,
                  uint64_t *start, uint64_t *end)
{
    uint64_t last;

    if (next >= target || cap == 0)
        return -1;
    /* end of this aligned block, which may be cut by 2^64 (a log can
    ** claim any tree size) */
    last = next - next % cap;
    last = last > UINT64_MAX - (cap - 1) ? UINT64_MAX : last + (cap - 1);
    if (last >= target)
        last = target - 1;
    *start = next;
    *end = last;
    return 0;
}

int ct_target_update(uint64_t *target, uint64_t size)
{
    if (size <= *target)
        return 0;
    *target = size;
    return 1;
}

uint64_t ct_tail_limit(struct ct_tail *t, uint64_t next, uint64_t limit,
                       int final, int64_t now_ms, int64_t head_ms)
{
    uint64_t full = limit - limit % CT_TAIL_TILE;

    if (final || next >= limit || next < full) {
        t->since_ms = 0;            /* nothing waits in a partial tile */
        return limit;
    }
    if (t->since_ms == 0 || t->next != next) {
        /* entries newly waiting (first time, or after a read) */
        t->since_ms = head_ms > 0 && head_ms < now_ms ? head_ms : now_ms;
        t->next = next;
    }
    return now_ms - t->since_ms >= (int64_t)t->max_age_ms ? limit : full;
}

int64_t ct_tail_due_in_ms(const struct ct_tail *t, int64_t now_ms)
{
    int64_t due;

    if (t->since_ms == 0)
        return -1;
    due = t->since_ms + (int64_t)t->max_age_ms - now_ms;
    return due > 0 ? due : 0;
}
