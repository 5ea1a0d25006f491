/*
** log.c: diagnostics on stderr.
**
** One fprintf per line under stdio's own FILE lock, so lines from different
** threads never mix.
*/
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static _Atomic enum log_level current_level = LOG_INFO;

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

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    char line[2048];

    vsnprintf(line, sizeof(line), fmt, ap);
    fprintf(stderr, "certmon: %s: %s\n", level_names[level], line);
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

int log_limited(struct log_budget *b, enum log_level level,
                const char *fmt, ...)
{
    va_list ap;
    unsigned n = atomic_fetch_add(&b->used, 1);

    if (n > b->max || level > current_level)
        return 0;
    if (n == b->max) {
        log_msg(level, "further %s are counted, not logged", b->what);
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
