/*
** ct_conv.c: CT entries -> CertStream messages on a small pool of
** threads, off the network thread.
**
** The network thread parses a response (a data tile or a get-entries
** body) and hands the whole batch to the pool as one job, which owns the
** parsed entries; pool threads claim the job's entries a chunk at a time
** and convert them, so one large batch still spreads over every thread.
** Jobs are taken back in the order they were submitted (one FIFO for the
** source) once all their entries are converted: the network thread moves
** the messages into the log's outbox and from there to the queue exactly
** as before, so the queue, the --serve tap and --publish see the same
** messages in the same order as when the network thread converted them
** itself. An entry that cannot be converted is counted as a parse error
** and logged by the pool thread, and marked done when its job is taken
** back. Memory stays bounded by the log's tracker window: the scheduler
** fetches no entry past it, and an entry leaves the window only once a
** worker reported it done.
**
** Locking: one mutex guards the FIFO and every job's claimed/converted
** counts; entries and chains are read-only once submitted, and each
** entry's output slot is written by the one thread that claimed it.
*/
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/ct_source_int.h"
#include "mono_clock.h"
#include "stats.h"

#define CONV_THREADS_MAX 4
#define CONV_CHUNK 16           /* entries claimed at once */

struct ct_conv_job {
    struct ct_conv_job *next;
    struct log_run *lr;
    struct ct_tile tile;                /* what the entries point into */
    struct ct_entry_list list;
    const struct ct_entry *entries;     /* n, for indexes start.. */
    uint64_t start;
    size_t n, claimed, converted;       /* under the pool lock */
    struct ct_bytes *chain;             /* CT_CHAIN_MAX per entry, or NULL */
    uint8_t *n_chain;
    int64_t seen_ms;
    struct ct_message_log ml;
    struct log_budget *budget;
    struct pending *out;                /* n; data NULL = not converted */
};

struct ct_conv {
    struct ct_src *src;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct ct_conv_job *head, *tail;    /* submitted, not taken back */
    struct ct_conv_job *todo;           /* first job with unclaimed entries */
    int stop;
    unsigned n_threads;
    pthread_t threads[CONV_THREADS_MAX];
};

static void job_free(struct ct_conv_job *j)
{
    if (!j)
        return;
    if (j->out)
        for (size_t i = 0; i < j->n; i++)
            free(j->out[i].data);
    free(j->out);
    free(j->chain);
    free(j->n_chain);
    ct_tile_free(&j->tile);
    ct_entry_list_free(&j->list);
    free(j);
}

struct ct_conv_job *ct_conv_job_new(struct log_run *lr, enum ct_log_api api,
                                    uint64_t start, size_t n,
                                    struct log_budget *budget)
{
    struct ct_conv_job *j = calloc(1, sizeof *j);

    if (!j)
        return NULL;
    if (!(j->out = calloc(n ? n : 1, sizeof *j->out))) {
        free(j);
        return NULL;
    }
    j->lr = lr;
    j->start = start;
    j->n = n;
    j->seen_ms = ct_wall_ms();
    j->ml = (struct ct_message_log){ lr->name, lr->url, api };
    j->budget = budget;
    return j;
}

int ct_conv_job_add_chain(struct ct_conv_job *j, size_t i,
                          const struct ct_bytes *cert)
{
    if (!j->chain) {
        j->chain = malloc(j->n * CT_CHAIN_MAX * sizeof *j->chain);
        j->n_chain = calloc(j->n, 1);
        if (!j->chain || !j->n_chain)
            return -1;
    }
    if (j->n_chain[i] >= CT_CHAIN_MAX)
        return 0;
    j->chain[i * CT_CHAIN_MAX + j->n_chain[i]++] = *cert;
    return 0;
}

/* Converts entry i of j into j->out[i] (left NULL, counted and logged, if
** it cannot be). jb is the thread's scratch buffer. */
static void convert_one(struct ct_conv_job *j, size_t i, struct json_buf *jb)
{
    const struct ct_entry *e = &j->entries[i];
    struct log_run *lr = j->lr;
    uint64_t index = j->start + i;
    struct pending *p = &j->out[i];
    enum x509_msg_result r;
    char err[256];

    if (e->n_chain_dropped)
        stats_add(&stats.net_faults, 1);
    jb_reset(jb);
    r = ct_message_build(e, index, &j->ml,
                         j->chain ? j->chain + i * CT_CHAIN_MAX : NULL,
                         j->n_chain ? j->n_chain[i] : 0, j->seen_ms,
                         lr->src->cfg.full, jb, err, sizeof err);
    if (r == X509_MSG_CHAIN_SKIPPED)
        log_limited(j->budget, LOG_WARN, "%s: %s", lr->name, err);
    if (r != X509_MSG_ERROR && (p->data = malloc(jb->len ? jb->len : 1))) {
        memcpy(p->data, jb->data, jb->len);
        p->len = jb->len;
        p->seq = ct_seq_make(lr->id, index);
        return;
    }
    stats_add(&stats.parse_errors, 1);
    log_limited(j->budget, LOG_WARN, "%s: entry %" PRIu64 ": %s", lr->name,
                index, r == X509_MSG_ERROR ? err : "out of memory");
}

/* A pool thread: claims chunks of the oldest job with unclaimed entries,
** converts them, and pokes the loop when a job is complete. */
static void *conv_main(void *arg)
{
    struct ct_conv *c = arg;
    struct json_buf jb;

    jb_init(&jb);
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        struct ct_conv_job *j = c->todo;
        size_t from, cnt;
        int complete;

        while (j && j->claimed == j->n)
            j = j->next;
        c->todo = j;
        if (!j) {
            pthread_cond_wait(&c->work, &c->lock);
            continue;
        }
        from = j->claimed;
        cnt = j->n - from < CONV_CHUNK ? j->n - from : CONV_CHUNK;
        j->claimed += cnt;
        pthread_mutex_unlock(&c->lock);
        for (size_t i = from; i < from + cnt; i++)
            convert_one(j, i, &jb);
        pthread_mutex_lock(&c->lock);
        j->converted += cnt;
        complete = j->converted == j->n;
        if (complete && j == c->head) {
            pthread_mutex_unlock(&c->lock);
            ct_commit_on_advance(c->src, 0);    /* wakes the loop */
            pthread_mutex_lock(&c->lock);
        }
    }
    pthread_mutex_unlock(&c->lock);
    jb_free(&jb);
    return NULL;
}

/* The number of pool threads: the CPUs, at most CONV_THREADS_MAX. */
static unsigned conv_threads_wanted(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > CONV_THREADS_MAX ? CONV_THREADS_MAX : (unsigned)n;
}

int ct_conv_start(struct ct_src *src, char *err, size_t errlen)
{
    struct ct_conv *c = calloc(1, sizeof *c);
    unsigned want = conv_threads_wanted();

    if (!c) {
        err_set(err, errlen, "out of memory");
        return -1;
    }
    c->src = src;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    for (; c->n_threads < want; c->n_threads++)
        if (pthread_create(&c->threads[c->n_threads], NULL, conv_main, c))
            break;
    if (c->n_threads < want && c->n_threads == 0)   /* submit converts */
        log_warn("CT: no conversion thread could start; converting on the "
                 "network thread");
    src->conv = c;
    return 0;
}

void ct_conv_stop(struct ct_src *src)
{
    struct ct_conv *c = src->conv;
    struct ct_conv_job *j;

    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->lock);
    for (unsigned k = 0; k < c->n_threads; k++)
        pthread_join(c->threads[k], NULL);
    while ((j = c->head)) {
        c->head = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&c->work);
    pthread_mutex_destroy(&c->lock);
    free(c);
    src->conv = NULL;
}

/* Bench-only ceiling (CERTMON_CT_CEILING=1 with CERTMON_BENCH=1, read
** once): counts fetched, decoded entries as done without converting or
** queueing them, so make bench measures fetching and decoding alone.
** Returns 1 when j was consumed that way. */
static int ceiling_consume(struct ct_conv_job *j)
{
    static int on = -1;

    if (on < 0) {
        const char *v = getenv("CERTMON_CT_CEILING");
        on = stats_bench_on && v && strcmp(v, "1") == 0;
    }
    if (!on)
        return 0;
    for (size_t i = 0; i < j->n; i++) {
        stats_bench_begin(mono_ns());
        stats_bench_end();
        ct_tracker_complete(j->lr->tracker, j->start + i);
    }
    return 1;
}

void ct_conv_submit(struct ct_conv_job *j, struct ct_tile *tile,
                    struct ct_entry_list *list, size_t first)
{
    struct ct_src *src = j->lr->src;
    struct ct_conv *c = src->conv;

    if (tile) {
        j->tile = *tile;
        memset(tile, 0, sizeof *tile);
        j->entries = j->tile.entries + first;
    } else {
        j->list = *list;
        memset(list, 0, sizeof *list);
        j->entries = j->list.entries + first;
    }
    if (ceiling_consume(j)) {
        job_free(j);
        return;
    }
    j->lr->n_converting++;
    if (!c || c->n_threads == 0) {      /* convert here, as without a pool */
        struct json_buf jb;
        jb_init(&jb);
        for (size_t i = 0; i < j->n; i++)
            convert_one(j, i, &jb);
        jb_free(&jb);
        ct_conv_take_back(j);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (c->tail)
        c->tail->next = j;
    else
        c->head = j;
    c->tail = j;
    if (!c->todo)
        c->todo = j;
    if (j->n > CONV_CHUNK)
        pthread_cond_broadcast(&c->work);
    else
        pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
}

void ct_conv_fail(struct ct_conv_job *j, const char *why)
{
    struct log_run *lr = j->lr;

    stats_add(&stats.parse_errors, j->n);
    log_limited(j->budget, LOG_WARN, "%s: entries %" PRIu64 "..%" PRIu64
                ": %s", lr->name, j->start, j->start + j->n - 1, why);
    for (size_t i = 0; i < j->n; i++)
        ct_tracker_complete(lr->tracker, j->start + i);
    job_free(j);
}

/* Moves a converted job's messages into its log's outbox and marks the
** entries that could not be converted as done; frees the job. */
void ct_conv_take_back(struct ct_conv_job *j)
{
    struct log_run *lr = j->lr;

    lr->n_converting--;
    for (size_t i = 0; i < j->n; i++) {
        struct pending *p = &j->out[i];

        if (!p->data) {
            ct_tracker_complete(lr->tracker, j->start + i);
            continue;
        }
        if (ct_src_outbox_put(lr, p) < 0) {
            stats_add(&stats.parse_errors, 1);
            log_limited(j->budget, LOG_WARN, "%s: entry %" PRIu64 ": out of "
                        "memory", lr->name, j->start + i);
            ct_tracker_complete(lr->tracker, j->start + i);
            continue;
        }
        p->data = NULL;         /* the outbox owns it */
    }
    job_free(j);
}

int ct_conv_collect(struct ct_src *src)
{
    struct ct_conv *c = src->conv;
    int taken = 0;

    if (!c)
        return 0;
    for (;;) {
        struct ct_conv_job *j;

        pthread_mutex_lock(&c->lock);
        j = c->head;
        if (!j || j->converted < j->n) {
            pthread_mutex_unlock(&c->lock);
            break;
        }
        c->head = j->next;
        if (!c->head)
            c->tail = NULL;
        if (c->todo == j)
            c->todo = j->next;
        pthread_mutex_unlock(&c->lock);
        ct_conv_take_back(j);
        taken++;
    }
    return taken;
}
