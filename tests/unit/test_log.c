/*
** test_log.c: diagnostics (core/log.c): the prefix on every line, the
** timestamp, and log budgets renewed each window.
*/
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

static char captured[16384];

/* Runs fn with stderr sent to a temporary file; its text in captured. */
static void capture(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    size_t n;

    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    n = fread(captured, 1, sizeof(captured) - 1, tmp);
    captured[n] = '\0';
    fclose(tmp);
}

static int count_lines(const char *s, const char *needle)
{
    int n = 0;

    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Every line of s matches the extended regular expression re. */
static int every_line_matches(const char *s, const char *re)
{
    regex_t rx;
    char line[1024];
    int ok = 1;

    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    while (*s) {
        size_t len = strcspn(s, "\n");
        snprintf(line, sizeof(line), "%.*s", (int)len, s);
        if (regexec(&rx, line, 0, NULL, 0) != 0) {
            printf("#   line: %s\n", line);
            ok = 0;
        }
        s += len + (s[len] == '\n');
    }
    regfree(&rx);
    return ok;
}

static void traceback(void)
{
    log_error("rule x: boom\nstack traceback:\n\tx.lua:3: in function 'f'\n");
}

static void plain(void)
{
    log_warn("one line");
}

static struct log_budget budget = LOG_BUDGET_INIT(2, "test events");

static void burst(void)
{
    for (int i = 0; i < 10; i++)
        log_limited(&budget, LOG_WARN, "event %d", i);
}

static void later(void)
{
    log_limited(&budget, LOG_WARN, "event later");
}

/* A multi-line message (a traceback) gets the prefix on each line; the
** trailing newline starts no empty line. */
static void test_every_line_prefixed(void)
{
    log_set_timestamps(0);
    capture(traceback);
    CHECK_STR(captured, "certmon: error: rule x: boom\n"
                        "certmon: error: stack traceback:\n"
                        "certmon: error: \tx.lua:3: in function 'f'\n");
}

/* With timestamps, ISO 8601 UTC with milliseconds after "certmon: ", so
** "^certmon: " still finds every line. */
static void test_timestamps(void)
{
    log_set_timestamps(1);
    capture(traceback);
    CHECK(count_lines(captured, "\n") == 3);
    CHECK(every_line_matches(captured, "^certmon: [0-9]{4}-[0-9]{2}-[0-9]{2}T"
                             "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z error: "));
    capture(plain);
    CHECK(every_line_matches(captured, "^certmon: [0-9-]{10}T[0-9:.]{12}Z "
                             "warning: one line$"));
    log_set_timestamps(0);
}

/* Regression: budgets lasted for the whole process, so after the fifth
** error of a kind a daemon never logged it again. Now the first event of
** a new window says how many were suppressed and is logged itself. */
static void test_budget_renewed(void)
{
    log_set_timestamps(0);
    log_set_budget_window_s(2);
    capture(burst);
    CHECK(count_lines(captured, "warning: event ") == 2);
    CHECK(count_lines(captured, "further test events are counted, not "
                      "logged until the next status interval") == 1);
    capture(later);
    CHECK(count_lines(captured, "event later") == 0);  /* same window */
    sleep(3);                       /* at least one window later */
    capture(later);
    CHECK(count_lines(captured, "certmon: warning: 8 further test events "
                      "were not logged in the last ") == 1);
    CHECK(count_lines(captured, "certmon: warning: event later\n") == 1);
    capture(burst);                 /* the new window's allowance */
    CHECK(count_lines(captured, "warning: event ") == 1);
}

/* Window 0: one allowance for the whole run, as before. */
static void test_budget_whole_run(void)
{
    static struct log_budget b0 = LOG_BUDGET_INIT(1, "rare events");

    log_set_budget_window_s(0);
    for (int i = 0; i < 3; i++)
        log_limited(&b0, LOG_DEBUG, "x");   /* below the level: not printed */
    CHECK(atomic_load(&b0.used) == 3);
    log_set_budget_window_s(60);
}

int main(void)
{
    test_every_line_prefixed();
    test_timestamps();
    test_budget_renewed();
    test_budget_whole_run();
    return check_done();
}
