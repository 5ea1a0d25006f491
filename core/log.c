/*
** log.c: diagnostics on stderr.
**
** A message is formatted whole, with its prefix on every line, and written
** with one fputs under stdio's own FILE lock, so lines from different
** threads never mix.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono_clock.h"

static _Atomic enum log_level current_level = LOG_INFO;
static int timestamps = -1;                 /* -1: not decided yet */
static int64_t budget_window_ms = 60000;

static const char *const level_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warning",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

void log_set_timestamps(int on)
{
    timestamps = on;
}

void log_set_budget_window_s(unsigned window_s)
{
    budget_window_ms = (int64_t)window_s * 1000;
}

static int want_timestamps(void)
{
    if (timestamps < 0) {
        const char *journal = getenv("JOURNAL_STREAM");
        timestamps = !isatty(STDERR_FILENO) && !(journal && *journal);
    }
    return timestamps;
}

/* Writes "certmon: [TIME ]LEVEL: " into buf (size n); returns its length. */
static size_t format_prefix(char *buf, size_t n, enum log_level level)
{
    int len;

    if (want_timestamps()) {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        len = snprintf(buf, n, "certmon: %04d-%02d-%02dT%02d:%02d:%02d.%03dZ "
                       "%s: ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (int)(tv.tv_usec / 1000), level_names[level]);
    } else
        len = snprintf(buf, n, "certmon: %s: ", level_names[level]);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Formats the message and writes it, the prefix before each of its lines
** (a trailing newline does not start an empty line). */
static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    char text[2048], prefix[96], out[4096];
    size_t plen, o = 0;
    const char *p = text;

    vsnprintf(text, sizeof(text), fmt, ap);
    plen = format_prefix(prefix, sizeof(prefix), level);
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (o + plen + len + 2 > sizeof(out))
            len = o + plen + 2 < sizeof(out) ? sizeof(out) - o - plen - 2 : 0;
        if (o + plen + 2 > sizeof(out))
            break;
        memcpy(out + o, prefix, plen);
        memcpy(out + o + plen, p, len);
        o += plen + len;
        out[o++] = '\n';
        if (!nl || !nl[1])
            break;
        p = nl + 1;
    }
    out[o] = '\0';
    fputs(out, stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > current_level)
        return;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

/* The events of b's ended window beyond what it printed; resets it. */
static unsigned take_suppressed(struct log_budget *b)
{
    unsigned n = atomic_exchange(&b->used, 0);

    /* the slot at max was the "further ... not logged" line */
    return n > b->max + 1 ? n - b->max - 1 : 0;
}

static void say_suppressed(struct log_budget *b, enum log_level level,
                           unsigned n, int64_t span_ms)
{
    if (n && level <= current_level)
        log_msg(level, "%u further %s were not logged in the last %llds", n,
                b->what, (long long)((span_ms + 999) / 1000));
}

int log_limited(struct log_budget *b, enum log_level level,
                const char *fmt, ...)
{
    va_list ap;
    unsigned n;

    if (budget_window_ms > 0) {
        int64_t now = mono_ms(), start = atomic_load(&b->window_ms);
        if ((start == 0 || now - start >= budget_window_ms) &&
            atomic_compare_exchange_strong(&b->window_ms, &start, now) &&
            start != 0)
            say_suppressed(b, level, take_suppressed(b), now - start);
    }
    n = atomic_fetch_add(&b->used, 1);
    if (n > b->max || level > current_level)
        return 0;
    if (n == b->max) {
        log_msg(level, "further %s are counted, not logged%s", b->what,
                budget_window_ms > 0 ? " until the next status interval" : "");
        return 0;
    }
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
    return 1;
}

void err_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
