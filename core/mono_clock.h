/*
** mono_clock.h: the monotonic clock, in the unit each caller counts in.
**
** Time spans, deadlines and rates are measured on CLOCK_MONOTONIC, which
** neither jumps with the wall clock nor goes backwards. Inline: the
** workers read it for every message.
*/
#ifndef CERTMON_MONO_CLOCK_H
#define CERTMON_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t mono_ms(void)
{
    return mono_ns() / 1000000;
}

static inline double mono_s(void)
{
    return (double)mono_ns() / 1e9;
}

#endif
