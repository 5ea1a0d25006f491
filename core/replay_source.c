/*
** replay_source.c: the replay source.
**
** Reads with read(2) into one buffer and splits lines in place, so a line
** is copied once, into its message. poll(2) with a short timeout lets a
** stop request (signal or -n) end a read from an idle stdin.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "replay_source.h"
#include "stats.h"

#define REPLAY_READ_BYTES (256u << 10)
#define REPLAY_POLL_MS 200

struct replay {
    struct source base;
    int fd;
    char *label;        /* file name for messages, "stdin" for "-" */
};

static struct log_budget long_line_log = LOG_BUDGET_INIT(5, "oversized lines");

/* Hands one line (without its newline) to the pipeline. Returns -1 when
** the pipeline is closed. */
static int deliver_line(struct replay *r, struct intake *in, char *p,
                        size_t n, uint64_t line_no)
{
    size_t i;

    if (n > 0 && p[n - 1] == '\r')
        n--;
    for (i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            break;
    if (i == n)
        return 0;   /* blank */
    switch (intake_deliver(in, p, n, line_no, 1)) {
    case INTAKE_CLOSED:
        return -1;
    case INTAKE_NOMEM:
        stats_add(&stats.parse_errors, 1);
        log_error("%s:%llu: out of memory; line skipped", r->label,
                  (unsigned long long)line_no);
        return 0;
    default:
        return 0;
    }
}

static void report_long_line(struct replay *r, uint64_t line_no, size_t max)
{
    stats_add(&stats.parse_errors, 1);
    stats_add(&stats.oversize, 1);
    log_limited(&long_line_log, LOG_WARN,
                "%s:%llu: line longer than --max-message-size (%zu bytes);"
                " skipped", r->label, (unsigned long long)line_no, max);
}

/* Waits until fd is readable or a stop is requested. Returns 1 when
** readable, 0 on stop. */
static int wait_readable(int fd, struct intake *in)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    while (!*in->stop) {
        int rc = poll(&pfd, 1, REPLAY_POLL_MS);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return 1;   /* let read() report the error */
    }
    return 0;
}

static int replay_run(struct source *s, struct intake *in, char *err,
                      size_t errlen)
{
    struct replay *r = (struct replay *)s;
    size_t max = in->max_message_bytes;
    /* Room for a maximal line plus CR and a full read. */
    size_t cap = max + 2 + REPLAY_READ_BYTES, len = 0;
    uint64_t line_no = 1;
    int skipping = 0, rc = 0, eof = 0;
    char *buf = malloc(cap);

    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", r->label);
        return -1;
    }
    while (!eof && !*in->stop) {
        ssize_t got;
        size_t start = 0;
        char *nl;

        if (!wait_readable(r->fd, in))
            break;
        got = read(r->fd, buf + len, cap - len);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(err, errlen, "%s: read error: %s", r->label,
                     strerror(errno));
            rc = -1;
            break;
        }
        if (got == 0) {
            eof = 1;
            if (len > 0 && !skipping)   /* last line without newline */
                buf[len++] = '\n';
        }
        len += (size_t)got;
        while ((nl = memchr(buf + start, '\n', len - start))) {
            size_t n = (size_t)(nl - (buf + start));
            if (*in->stop)
                goto done;  /* one read can hold thousands of lines */
            if (skipping)
                skipping = 0;   /* the rest of a long line ends here */
            else if (n > max + 1 || (n == max + 1 && nl[-1] != '\r'))
                report_long_line(r, line_no, max);
            else if (deliver_line(r, in, buf + start, n, line_no) < 0)
                goto done;
            line_no++;
            start += n + 1;
        }
        memmove(buf, buf + start, len - start);
        len -= start;
        if (!skipping && len > max + 1) {
            /* No newline in sight and already too long: report now and
            ** discard the rest of this line as it arrives. */
            report_long_line(r, line_no, max);
            skipping = 1;
        }
        if (skipping)
            len = 0;
    }
done:
    free(buf);
    return rc;
}

static void replay_wake(struct source *s)
{
    (void)s;    /* the poll timeout notices the stop flag */
}

static void replay_destroy(struct source *s)
{
    struct replay *r = (struct replay *)s;

    if (r->fd > STDIN_FILENO)
        close(r->fd);
    free(r->label);
    free(r);
}

struct source *replay_source_new(const char *path, char *err, size_t errlen)
{
    struct replay *r = calloc(1, sizeof(*r));

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->base.name = "replay";
    r->base.run = replay_run;
    r->base.wake = replay_wake;
    r->base.destroy = replay_destroy;
    if (strcmp(path, "-") == 0) {
        r->fd = STDIN_FILENO;
        r->label = strdup("stdin");
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        r->label = strdup(path);
        if (r->fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", path,
                     strerror(errno));
            r->fd = -1;
            replay_destroy(&r->base);
            return NULL;
        }
    }
    if (!r->label) {
        snprintf(err, errlen, "out of memory");
        replay_destroy(&r->base);
        return NULL;
    }
    return &r->base;
}
