/*
** ws_sink: runs the real WebSocket source (core/ws/ws_source.c) into a real
** queue drained by one consumer thread that writes each message on its own
** line to stdout, without Lua. Lets the tests look at exactly what the
** source delivers: order, content, drops, reconnects.
**
** Usage: ws_sink [-u URL]... [--ca-file F] [--insecure] [--ping-interval S]
**                [--idle-timeout S] [--reconnect-min-ms N]
**                [--reconnect-max-ms N] [--stats-interval S] [--queue N]
**                [--on-full drop|block] [--max-message-size B]
**                [--consume-delay-ms N] [-n N]
** Stops after -n messages or on SIGINT/SIGTERM, then prints to stderr
** "ws_sink: received=.. dropped=.. reconnects=.. oversize=.. binary=.."
*/
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "queue.h"
#include "source.h"
#include "stats.h"
#include "ws/ws_source.h"

static atomic_int stop_flag;     /* also set by the consumer thread */
static struct source *volatile src;   /* NULL once destroyed */
static unsigned consume_delay_ms;
static unsigned long long max_msgs;

static void on_signal(int sig)
{
    (void)sig;
    struct source *s = src;

    stop_flag = 1;
    if (s)
        s->wake(s);
}

static void *consumer(void *arg)
{
    struct queue *q = arg;
    struct msg *batch[16];
    unsigned long long seen = 0;
    size_t n, i;

    while ((n = queue_pop_batch(q, batch, consume_delay_ms ? 1 : 16))) {
        for (i = 0; i < n; i++) {
            fwrite(batch[i]->data, 1, batch[i]->len, stdout);
            fputc('\n', stdout);
            msg_free(batch[i]);
            if (consume_delay_ms) {
                struct timespec ts = { consume_delay_ms / 1000,
                                       (consume_delay_ms % 1000) * 1000000L };
                fflush(stdout);
                nanosleep(&ts, NULL);
            }
            if (max_msgs && ++seen == max_msgs && !stop_flag) {
                stop_flag = 1;
                src->wake(src);     /* src outlives this thread */
            }
        }
        fflush(stdout);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *urls[16];
    struct ws_config cfg = {
        .urls = urls, .ping_interval_s = 20, .idle_timeout_s = 70,
        .reconnect_min_ms = 1000, .reconnect_max_ms = 60000,
        .stats_interval_s = 0,
    };
    struct intake in = { .on_full = FULL_DROP, .max_message_bytes = 1 << 20,
                         .stop = &stop_flag };
    size_t queue_cap = 1024;
    struct sigaction sa;
    pthread_t th;
    char err[256];
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--insecure")) { cfg.insecure = 1; continue; }
        if (!strcmp(a, "-v")) { log_set_level(LOG_DEBUG); continue; }
        if (!v) goto usage;
        i++;
        if (!strcmp(a, "-u") && cfg.n_urls < 16) urls[cfg.n_urls++] = v;
        else if (!strcmp(a, "--ca-file")) cfg.ca_file = v;
        else if (!strcmp(a, "--ping-interval")) cfg.ping_interval_s = atoi(v);
        else if (!strcmp(a, "--idle-timeout")) cfg.idle_timeout_s = atoi(v);
        else if (!strcmp(a, "--reconnect-min-ms")) cfg.reconnect_min_ms = atoi(v);
        else if (!strcmp(a, "--reconnect-max-ms")) cfg.reconnect_max_ms = atoi(v);
        else if (!strcmp(a, "--stats-interval")) cfg.stats_interval_s = atoi(v);
        else if (!strcmp(a, "--queue")) queue_cap = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--max-message-size"))
            in.max_message_bytes = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--consume-delay-ms")) consume_delay_ms = atoi(v);
        else if (!strcmp(a, "-n")) max_msgs = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--on-full"))
            in.on_full = !strcmp(v, "block") ? FULL_BLOCK : FULL_DROP;
        else goto usage;
    }
    if (!cfg.n_urls)
        goto usage;

    src = ws_source_new(&cfg, err, sizeof err);
    if (!src) {
        fprintf(stderr, "ws_sink: %s\n", err);
        return 2;
    }
    in.queue = queue_new(queue_cap ? queue_cap : 1);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_create(&th, NULL, consumer, in.queue);

    rc = src->run(src, &in, err, sizeof err);
    if (rc)
        fprintf(stderr, "ws_sink: %s\n", err);
    queue_close(in.queue);
    pthread_join(th, NULL);
    {
        /* a late signal must not wake a destroyed source */
        struct source *dead = src;
        sigset_t stop_sigs;
        sigemptyset(&stop_sigs);
        sigaddset(&stop_sigs, SIGINT);
        sigaddset(&stop_sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
        src = NULL;
        dead->destroy(dead);
    }
    queue_free(in.queue);
    fprintf(stderr, "ws_sink: received=%llu dropped=%llu reconnects=%llu "
            "oversize=%llu binary=%llu\n",
            (unsigned long long)stats_get(&stats.received),
            (unsigned long long)stats_get(&stats.dropped),
            (unsigned long long)stats_get(&stats.reconnects),
            (unsigned long long)stats_get(&stats.oversize),
            (unsigned long long)stats_get(&stats.binary_frames));
    return rc ? 1 : 0;

usage:
    fprintf(stderr, "usage: ws_sink -u URL [options] (see the source)\n");
    return 2;
}
