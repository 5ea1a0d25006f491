/*
** ws_count: the network ceiling for make bench. Runs the real WebSocket
** source (core/ws/ws_source.c) into the real queue, drained by one thread
** that only counts and frees the messages: no JSON, no Lua. What certmon
** could reach if decoding and rules cost nothing.
**
** Usage: ws_count -u URL -n N [--queue Q]
** Stops after N messages; prints certmon's bench line (stats.h) to stdout:
**   certmon: bench: msgs=N span_s=S msgs_per_s=R cpu_s=C ...
*/
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "source.h"
#include "stats.h"
#include "ws/ws_source.h"

static atomic_int stop_flag;     /* also set by the consumer thread */
static struct source *src;
static unsigned long long max_msgs;

static void *consumer(void *arg)
{
    struct queue *q = arg;
    struct msg *batch[32];
    unsigned long long seen = 0;
    size_t n;

    while ((n = queue_pop_batch(q, batch, 32))) {
        for (size_t i = 0; i < n; i++) {
            if (seen < max_msgs) {
                stats_bench_begin(batch[i]->recv_ns);
                stats_bench_end();
            }
            msg_free(batch[i]);
            if (++seen == max_msgs) {
                stop_flag = 1;
                src->wake(src);
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *urls[1];
    struct ws_config cfg = {
        .urls = urls, .ping_interval_s = 20, .idle_timeout_s = 70,
        .reconnect_min_ms = 1000, .reconnect_max_ms = 60000,
    };
    struct intake in = { .on_full = FULL_BLOCK, .max_message_bytes = 1 << 20,
                         .stop = &stop_flag };
    size_t queue_cap = 1024;
    pthread_t th;
    char err[256];
    int rc;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-u"))
            urls[cfg.n_urls = 1, 0] = argv[i + 1];
        else if (!strcmp(argv[i], "-n"))
            max_msgs = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--queue"))
            queue_cap = strtoul(argv[i + 1], NULL, 10);
    }
    if (!cfg.n_urls || !max_msgs || !queue_cap) {
        fprintf(stderr, "usage: ws_count -u URL -n N [--queue Q]\n");
        return 2;
    }
    stats_bench_init(1);
    src = ws_source_new(&cfg, err, sizeof(err));
    if (!src) {
        fprintf(stderr, "ws_count: %s\n", err);
        return 2;
    }
    in.queue = queue_new(queue_cap);
    signal(SIGPIPE, SIG_IGN);
    pthread_create(&th, NULL, consumer, in.queue);
    rc = src->run(src, &in, err, sizeof(err));
    if (rc)
        fprintf(stderr, "ws_count: %s\n", err);
    queue_close(in.queue);
    pthread_join(th, NULL);
    src->destroy(src);
    queue_free(in.queue);
    stats_bench_print(stdout);
    return rc ? 1 : 0;
}
