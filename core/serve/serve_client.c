/*
** serve_client.c: refcounted frames and each client's send queue. A
** frame is encoded once and referenced by every client that sends it; a
** client queues references while what it holds stays within
** client_buffer_bytes, writes them while the kernel takes them, and past
** that bound is closed with 1008 so that it never has silent gaps.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "serve/serve_int.h"

static struct log_budget slow_log = LOG_BUDGET_INIT(5, "slow clients");

struct frame *serve_frame_new(const char *data, size_t len)
{
    struct frame *f = malloc(sizeof(*f) + LWS_PRE + len + 1);

    if (!f)
        return NULL;
    f->refs = 1;
    f->len = len;
    memcpy(f->buf + LWS_PRE, data, len);
    f->buf[LWS_PRE + len] = '\0';
    return f;
}

void serve_frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

/* Forgets everything c has queued. */
static void client_clear(struct client *c)
{
    while (c->n) {
        serve_frame_unref(c->ring[c->head]);
        c->head = (c->head + 1) % c->cap;
        c->n--;
    }
    free(c->ring);
    c->ring = NULL;
    c->cap = c->head = 0;
    c->queued_bytes = 0;
}

/* The peer's address for logs, without the v4-mapped prefix. */
const char *serve_peer_ip(struct lws *wsi, char *buf, size_t len)
{
    snprintf(buf, len, "?");
    lws_get_peer_simple(wsi, buf, len);
    return strncmp(buf, "::ffff:", 7) == 0 ? buf + 7 : buf;
}

/* Asks lws to close c with code at its next chance to write; a client
** that never becomes writable again (it reads nothing) is cut after 30 s. */
static void client_close(struct client *c, int code)
{
    if (c->close_code)
        return;
    c->close_code = code;
    client_clear(c);
    lws_callback_on_writable(c->wsi);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_LAGGING, 30);
}

/* Queues a reference to f on c, or closes c with 1008 when that would
** take it past its buffer. */
static void client_queue(struct serve *s, struct client *c, struct frame *f)
{
    if (c->close_code)
        return;
    if (c->queued_bytes + f->len > s->cfg.client_buffer_bytes) {
        char ip[64];
        s->slow++;
        log_limited(&slow_log, LOG_WARN, "serve: client %s fell more than "
                    "%zu bytes behind (--serve-client-buffer): closed with "
                    "1008", serve_peer_ip(c->wsi, ip, sizeof(ip)),
                    s->cfg.client_buffer_bytes);
        client_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
        return;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct frame **r = malloc(ncap * sizeof(*r));
        if (!r) {
            client_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
            return;
        }
        for (size_t i = 0; i < c->n; i++)
            r[i] = c->ring[(c->head + i) % c->cap];
        free(c->ring);
        c->ring = r;
        c->cap = ncap;
        c->head = 0;
    }
    c->ring[(c->head + c->n) % c->cap] = f;
    c->n++;
    f->refs++;
    c->queued_bytes += f->len;
    if (c->n == 1)
        lws_callback_on_writable(c->wsi);
}

void serve_broadcast(struct serve *s, int path, struct frame *f)
{
    for (struct client *c = s->clients; c; c = c->next)
        if (c->path == path)
            client_queue(s, c, f);
    s->frames++;
}

/* Writes c's queue while the kernel takes it; then the close, if one is
** due (1008, or 1000 once the server stops and the queue is empty). */
int serve_client_write(struct serve *s, struct client *c)
{
    int code = c->close_code, wrote = 0;

    while (!code && c->n) {
        struct frame *f = c->ring[c->head];
        if (lws_write(c->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) <
            (int)f->len)
            return -1;
        c->head = (c->head + 1) % c->cap;
        c->n--;
        c->queued_bytes -= f->len;
        serve_frame_unref(f);
        wrote = 1;
        if (c->n && lws_send_pipe_choked(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
    }
    /* the close goes in a callback of its own, once what was written
    ** has left: lws sends it only with nothing else pending */
    if (!code && atomic_load(&s->stopping)) {
        if (wrote || lws_send_pipe_choked(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
        code = LWS_CLOSE_STATUS_NORMAL;
    }
    if (!code)
        return 0;
    lws_close_reason(c->wsi, (enum lws_close_status)code,
                     (unsigned char *)(code == LWS_CLOSE_STATUS_NORMAL
                                       ? "server stopping" : "too slow"),
                     code == LWS_CLOSE_STATUS_NORMAL ? 15 : 8);
    return -1;
}

void serve_client_unlist(struct serve *s, struct client *c)
{
    if (!c->listed)
        return;
    *c->prevp = c->next;
    if (c->next)
        c->next->prevp = c->prevp;
    c->listed = 0;
    s->path_clients[c->path]--;
    client_clear(c);
    pthread_mutex_lock(&s->lock);
    s->n_clients--;
    pthread_mutex_unlock(&s->lock);
    if (atomic_load(&s->stopping) && !s->clients)
        s->done = 1;
}
