/*
** log.h: diagnostics on stderr, with context and without floods.
**
** Every line starts with "certmon: LEVEL: ". Errors that can repeat once per
** message (a bad line, a failing rule) go through a log_budget: the first
** few are printed, the rest only counted by the caller, and one line says
** that further ones are suppressed.
*/
#ifndef CERTMON_LOG_H
#define CERTMON_LOG_H

#include <stdatomic.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are not printed (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A shared allowance of log lines for one kind of repeated event. */
struct log_budget {
    atomic_uint used;
    unsigned max;         /* lines printed before going quiet */
    const char *what;     /* e.g. "parse errors", for the suppression line */
};

#define LOG_BUDGET_INIT(max_lines, what_str) \
    { .used = 0, .max = (max_lines), .what = (what_str) }

/* Prints like log_msg while the budget lasts; thread-safe. Returns 1 if the
** line was printed, 0 if suppressed. */
int log_limited(struct log_budget *b, enum log_level level,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats a reason into an error buffer (the err, errlen pair of functions
** that fail with a message); does nothing if err is NULL or errlen 0. */
void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
