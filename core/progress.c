/*
** progress.c: backtest progress on stderr; see progress.h.
*/
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono_clock.h"
#include "progress.h"
#include "stats.h"

static const struct {
    unsigned tty_redraw_ms;
    unsigned default_columns;
} progress_cfg = {
    .tty_redraw_ms = 500,
    .default_columns = 100,
};

struct progress {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int tty;
    unsigned interval_ms;
    int64_t start_ms;
    int drawn;                      /* a line is on the terminal */
    int final;                      /* the pipeline has drained */
};

struct totals {
    uint64_t done, total;
    unsigned logs, finished;
};

/* done and total of one log: position past the range start, of the
** range clamped to the tree once its size is known. */
static void log_figures(const struct progress *p, struct stats_ct_log *l,
                        uint64_t *done, uint64_t *total)
{
    uint64_t first = stats_get(&l->first), end = stats_get(&l->end);
    uint64_t size = stats_get(&l->tree_size), pos = stats_get(&l->position);
    int st = atomic_load_explicit(&l->state, memory_order_relaxed);

    if (size && size < end)
        end = size;
    *total = end > first ? end - first : 0;
    *done = pos > first ? pos - first : 0;
    if (st == STATS_CT_NOT_STARTED)
        *done = 0;
    /* the source publishes before the workers finish its last entries;
    ** once they drained, a log read to its end is processed to its end */
    if (p->final && st == STATS_CT_DONE)
        *done = *total;
    if (*done > *total)
        *done = *total;
}

static void sum(const struct progress *p, struct totals *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0, n_slots = stats_ct_n_slots(); i < n_slots; i++) {
        struct stats_ct_log *l = &stats_ct_logs[i];
        uint64_t d, n;
        int st;
        if (!atomic_load(&l->used))
            continue;
        log_figures(p, l, &d, &n);
        st = atomic_load_explicit(&l->state, memory_order_relaxed);
        t->done += d;
        t->total += n;
        t->logs++;
        t->finished += st == STATS_CT_DONE || st == STATS_CT_GAVE_UP ||
                       st == STATS_CT_RETIRED;
    }
    /* positions stop moving once the source has read everything, while
    ** the workers still finish the queue; every message of a backtest is
    ** an entry of the range, so the messages processed count too */
    if (stats_get(&stats.messages) > t->done)
        t->done = stats_get(&stats.messages);
    if (t->done > t->total)
        t->done = t->total;
}

/* "42s", "7m05s", "3h12m", or "?" */
static void fmt_eta(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 1e7)
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

/* The summary for all logs: "1200/5000 entries (24.0%) 812/s ETA 4s". */
static void fmt_all(struct progress *p, const struct totals *t, char *buf,
                    size_t n)
{
    double elapsed = (double)(mono_ms() - p->start_ms) / 1000.0;
    double rate = elapsed > 0 ? (double)t->done / elapsed : 0;
    char eta[32];

    fmt_eta(eta, sizeof(eta), rate > 0 ? (double)(t->total - t->done) / rate
                                       : -1);
    snprintf(buf, n, "%" PRIu64 "/%" PRIu64 " entries (%.1f%%) %.0f/s "
             "ETA %s, logs %u/%u read", t->done, t->total,
             t->total ? 100.0 * (double)t->done / (double)t->total : 0.0,
             rate, eta, t->finished, t->logs);
}

static unsigned columns(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return progress_cfg.default_columns;
}

static void draw_tty(struct progress *p)
{
    struct totals t;
    char line[1024];
    size_t len, width = columns() - 1;

    sum(p, &t);
    if (!t.logs)
        return;
    len = (size_t)snprintf(line, sizeof(line), "backtest: ");
    fmt_all(p, &t, line + len, sizeof(line) - len);
    len = strlen(line);
    for (unsigned i = 0, n_slots = stats_ct_n_slots();
         i < n_slots && len < sizeof(line) - 1; i++) {
        struct stats_ct_log *l = &stats_ct_logs[i];
        uint64_t d, n;
        if (!atomic_load(&l->used))
            continue;
        log_figures(p, l, &d, &n);
        len += (size_t)snprintf(line + len, sizeof(line) - len, " | %.24s "
                                "%.0f%%", l->name,
                                n ? 100.0 * (double)d / (double)n : 0.0);
        if (len >= sizeof(line))
            len = sizeof(line) - 1;
    }
    if (len > width)
        line[width] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->drawn = 1;
}

static void print_plain(struct progress *p)
{
    struct totals t;
    char all[256];

    sum(p, &t);
    if (!t.logs)
        return;
    fmt_all(p, &t, all, sizeof(all));
    log_info("progress: %s", all);
    for (unsigned i = 0, n_slots = stats_ct_n_slots(); i < n_slots; i++) {
        struct stats_ct_log *l = &stats_ct_logs[i];
        static const char *const states[STATS_CT_STATES] = {
            "not started", "reading", "read", "gave up", "retired",
        };
        uint64_t d, n;
        int st;
        if (!atomic_load(&l->used))
            continue;
        log_figures(p, l, &d, &n);
        st = atomic_load_explicit(&l->state, memory_order_relaxed);
        log_info("progress: log=\"%s\" %" PRIu64 "/%" PRIu64 " entries "
                 "(%.1f%%) %s", l->name, d, n,
                 n ? 100.0 * (double)d / (double)n : 0.0,
                 states[st >= 0 && st < STATS_CT_STATES ? st : 0]);
    }
}

static void *progress_main(void *arg)
{
    struct progress *p = arg;
    unsigned wait_ms = p->tty ? progress_cfg.tty_redraw_ms : p->interval_ms;

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->lock);
        if (p->tty)
            draw_tty(p);
        else
            print_plain(p);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct progress *progress_start(unsigned interval_s, int tty)
{
    struct progress *p;
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    if (!interval_s)
        return NULL;
    if (!(p = calloc(1, sizeof(*p))))
        return NULL;
    p->tty = tty >= 0 ? tty : isatty(STDERR_FILENO);
    p->interval_ms = interval_s * 1000;
    p->start_ms = mono_ms();
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&p->thread, NULL, progress_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void progress_stop(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->final = 1;
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    print_plain(p);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
