/*
** serve_heartbeat.c: the server thread's loop and its timers: a
** heartbeat message every heartbeat_s seconds on the three certificate
** paths, and once the server stops, the deadline after which clients
** still behind are hung up.
*/
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include <libwebsockets.h>

#include "serve/serve_int.h"

static void heartbeat(lws_sorted_usec_list_t *sul)
{
    struct serve *s = lws_container_of(sul, struct serve, heartbeat_sul);
    struct timespec ts;
    char msg[96];
    struct frame *f;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    n = snprintf(msg, sizeof(msg), "{\"message_type\":\"heartbeat\","
                 "\"timestamp\":%lld.%06ld}\n", (long long)ts.tv_sec,
                 ts.tv_nsec / 1000);
    if ((f = serve_frame_new(msg, (size_t)n))) {
        for (int path = 0; path < SERVE_N_SHAPES; path++)
            if (s->path_clients[path])
                serve_broadcast(s, path, f);
        serve_frame_unref(f);
    }
    lws_sul_schedule(s->ctx, 0, &s->heartbeat_sul, heartbeat,
                     (lws_usec_t)s->cfg.heartbeat_s * LWS_US_PER_SEC);
}

static void deadline(lws_sorted_usec_list_t *sul)
{
    struct serve *s = lws_container_of(sul, struct serve, deadline_sul);

    s->done = 1;
}

void *serve_thread(void *arg)
{
    struct serve *s = arg;

    if (s->cfg.heartbeat_s)
        lws_sul_schedule(s->ctx, 0, &s->heartbeat_sul, heartbeat,
                         (lws_usec_t)s->cfg.heartbeat_s * LWS_US_PER_SEC);
    while (!s->done) {
        if (atomic_load(&s->stopping) && !s->deadline_set) {
            s->deadline_set = 1;
            lws_sul_schedule(s->ctx, 0, &s->deadline_sul, deadline,
                             (lws_usec_t)s->drain_ms * LWS_US_PER_MS);
        }
        if (lws_service(s->ctx, 0) < 0)
            break;
    }
    return NULL;
}
