/*
** serve_fanout.c: messages from the sources to the clients. serve_offer
** (any thread) appends a copy to the bounded inbox and wakes the loop
** with lws_cancel_service; the server thread takes the whole inbox and
** cuts each certificate into the shapes that have clients
** (serve_shape.c) - once per shape, not once per client - and queues a
** reference to the frame on every client of the path.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "json_buf.h"
#include "log.h"
#include "serve/serve.h"
#include "serve/serve_int.h"
#include "serve/serve_shape.h"

static struct log_budget bad_log = LOG_BUDGET_INIT(3, "unservable messages");
static struct log_budget behind_log = LOG_BUDGET_INIT(3,
                                                      "messages not served");

/* One certificate message: the latest for GETs, and each shape that has
** clients, encoded once. */
static void serve_message(struct serve *s, const char *data, size_t len)
{
    int cert = serve_shape_is_cert(data, len);

    if (cert <= 0) {
        if (cert < 0) {
            atomic_fetch_add(&s->bad, 1);
            log_limited(&bad_log, LOG_WARN, "serve: a message that is not "
                        "a JSON object was not served");
        }
        return;       /* upstream heartbeats etc.: ours are sent instead */
    }
    for (int shape = 0; shape < SERVE_N_SHAPES; shape++) {
        struct frame *f;
        if (!s->path_clients[shape] && shape != SERVE_FULL)
            continue;
        jb_reset(&s->jb);
        if (serve_shape_write((enum serve_shape)shape, data, len,
                              &s->jb) < 0) {
            atomic_fetch_add(&s->bad, 1);
            log_limited(&bad_log, LOG_WARN, "serve: a certificate_update "
                        "without data.leaf_cert was not served");
            return;
        }
        if (!(f = serve_frame_new(s->jb.data, s->jb.len)))
            return;
        if (shape == SERVE_FULL) {
            serve_frame_unref(s->latest);
            s->latest = f;
            f->refs++;
        }
        serve_broadcast(s, shape, f);
        serve_frame_unref(f);
    }
    s->messages++;
}

static void serve_alert(struct serve *s, const char *data, size_t len)
{
    struct frame *f;

    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (!s->path_clients[PATH_ALERTS] || !(f = serve_frame_new(data, len)))
        return;
    serve_broadcast(s, PATH_ALERTS, f);
    serve_frame_unref(f);
}

/* Takes the whole inbox at once and serves it in order. */
void serve_drain_inbox(struct serve *s)
{
    struct inbox_item *it, *next;

    pthread_mutex_lock(&s->lock);
    it = s->inbox_head;
    s->inbox_head = NULL;
    s->inbox_tail = &s->inbox_head;
    s->inbox_n = 0;
    pthread_mutex_unlock(&s->lock);
    for (; it; it = next) {
        next = it->next;
        if (it->is_alert)
            serve_alert(s, it->data, it->len);
        else
            serve_message(s, it->data, it->len);
        free(it);
    }
}

static void offer(struct serve *s, int is_alert, const char *data,
                  size_t len)
{
    struct inbox_item *it;

    if (!s || atomic_load(&s->stopping))
        return;
    pthread_mutex_lock(&s->lock);
    if (s->inbox_n >= s->cfg.inbox_max) {
        pthread_mutex_unlock(&s->lock);
        atomic_fetch_add(&s->not_served, 1);
        log_limited(&behind_log, LOG_WARN, "serve: the server is %zu "
                    "messages behind the source; messages are skipped",
                    s->cfg.inbox_max);
        return;
    }
    pthread_mutex_unlock(&s->lock);
    if (!(it = malloc(sizeof(*it) + len)))
        return;
    it->next = NULL;
    it->is_alert = is_alert;
    it->len = len;
    memcpy(it->data, data, len);
    pthread_mutex_lock(&s->lock);
    *s->inbox_tail = it;
    s->inbox_tail = &it->next;
    s->inbox_n++;
    pthread_mutex_unlock(&s->lock);
    lws_cancel_service(s->ctx);
}

void serve_offer(struct serve *s, const char *data, size_t len)
{
    offer(s, 0, data, len);
}

void serve_offer_alert(struct serve *s, const char *data, size_t len)
{
    const char *end = data + len, *nl;

    if (!s || !s->cfg.alerts)
        return;
    for (; data < end; data = nl + 1) {
        if (!(nl = memchr(data, '\n', (size_t)(end - data))))
            nl = end;
        if (nl > data)
            offer(s, 1, data, (size_t)(nl - data));
    }
}

void serve_alert_tap(void *s, const char *lines, size_t len)
{
    serve_offer_alert(s, lines, len);
}

void serve_intake_tap(void *s, const char *data, size_t len)
{
    serve_offer(s, data, len);
}
