/*
** check.h: the smallest test harness that does the job.
**
** CHECK(cond) prints "ok - file:line cond" or "not ok - ..." and counts;
** check_done() returns the exit status (1 if anything failed). Output is
** the line protocol tests/run.sh counts.
*/
#ifndef CHECK_H
#define CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_count;

static inline int check_report(int ok, const char *file, int line,
                               const char *what)
{
    printf("%s - %s:%d %s\n", ok ? "ok" : "not ok", file, line, what);
    if (!ok)
        check_failed_count++;
    fflush(stdout);
    return ok;
}

#define CHECK(cond) check_report(!!(cond), __FILE__, __LINE__, #cond)

/* CHECK_STR: equal C strings, printing both on failure. */
#define CHECK_STR(got, want) do { \
    const char *check_g_ = (got), *check_w_ = (want); \
    int check_ok_ = check_g_ && check_w_ && strcmp(check_g_, check_w_) == 0; \
    if (!check_report(check_ok_, __FILE__, __LINE__, #got " == " #want)) \
        printf("#   got:  %s\n#   want: %s\n", check_g_ ? check_g_ : "(null)", check_w_); \
} while (0)

/* The whole file at path, NUL-terminated, for the caller to free; its
** length in *len unless len is NULL. NULL if it cannot be read. */
static inline char *check_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* xorshift64, the high bits: the same sequence on every run from the
** same seed, so a failing generated case can be replayed. */
static inline uint32_t check_rand(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state >> 16);
}

static inline int check_done(void)
{
    return check_failed_count ? 1 : 0;
}

#endif
