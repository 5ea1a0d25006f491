/*
** log.h: diagnostics on stderr, with context and without floods.
**
** Every line starts with "certmon: ", then, when stderr is not a terminal
** (a file, a pipe) and not the systemd journal (which stamps lines
** itself), the time in ISO 8601 UTC, then "LEVEL: ". A message of several
** lines (a Lua traceback) gets the same prefix on each of them, so grep
** and log shippers never see an orphan line.
**
** Errors that can repeat once per message (a bad line, a failing rule) go
** through a log_budget: the first few of each window (the status
** interval, 60 s by default) are printed, the rest only counted by the
** caller; one line says that further ones are suppressed, and the first
** event of a later window says how many were, then logs again. (The exit
** summary counts them all.)
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

/* A shared allowance of log lines for one kind of repeated event, renewed
** every window. Initialised with LOG_BUDGET_INIT (or zeroed, then max and
** what set). */
struct log_budget {
    atomic_uint used;               /* events in the current window */
    atomic_int_fast64_t window_ms;  /* when it began (monotonic), 0 = never */
    unsigned max;                   /* lines printed before going quiet */
    const char *what;               /* e.g. "parse errors" */
};

#define LOG_BUDGET_INIT(max_lines, what_str) \
    { .used = 0, .max = (max_lines), .what = (what_str) }

/* Prints like log_msg while the budget lasts; thread-safe. Returns 1 if the
** line was printed, 0 if suppressed. */
int log_limited(struct log_budget *b, enum log_level level,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* How long a budget lasts before it is renewed (default 60 s); 0 = for the
** whole run. Set once at start, before other threads log. */
void log_set_budget_window_s(unsigned window_s);

/* Timestamps on (1) or off (0); default: on unless stderr is a terminal or
** the systemd journal ($JOURNAL_STREAM). */
void log_set_timestamps(int on);

/* Formats a reason into an error buffer (the err, errlen pair of functions
** that fail with a message); does nothing if err is NULL or errlen 0. */
void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
