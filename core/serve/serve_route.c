/*
** serve_route.c: the lws callback of the CertStream server - which path
** a WebSocket client asks for (404 otherwise, 503 past
** --serve-max-clients), its connect, writes and hang-up, and the HTTP
** GETs of the example.json of each shape.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "json_buf.h"
#include "log.h"
#include "serve/serve_int.h"
#include "serve/serve_shape.h"

static const char *const path_names[N_PATHS] = {
    [SERVE_LITE] = "/", [SERVE_FULL] = "/full-stream",
    [SERVE_DOMAINS] = "/domains-only", [PATH_ALERTS] = "/alerts",
};

/* The path a WebSocket URI asks for, or -1 (refused with 404). */
static int path_of(const struct serve *s, const char *uri)
{
    if (!strcmp(uri, "/"))
        return SERVE_LITE;
    if (!strcmp(uri, "/full-stream") || !strcmp(uri, "/full-stream/"))
        return SERVE_FULL;
    if (!strcmp(uri, "/domains-only") || !strcmp(uri, "/domains-only/"))
        return SERVE_DOMAINS;
    if (s->cfg.alerts && (!strcmp(uri, "/alerts") || !strcmp(uri, "/alerts/")))
        return PATH_ALERTS;
    return -1;
}

/* Answers an HTTP GET: the example of a shape, or 404. Returns what the
** lws callback should return. */
static int http_get(struct serve *s, struct client *c, const char *uri)
{
    unsigned char head[LWS_PRE + 512], *start = head + LWS_PRE, *p = start,
                  *end = head + sizeof(head) - 1;
    int shape = !strcmp(uri, "/example.json") ? SERVE_LITE
              : !strcmp(uri, "/full-stream/example.json") ? SERVE_FULL
              : !strcmp(uri, "/domains-only/example.json") ? SERVE_DOMAINS
              : -1;

    if (shape < 0)
        return lws_return_http_status(c->wsi, HTTP_STATUS_NOT_FOUND, NULL)
               ? -1 : lws_http_transaction_completed(c->wsi);
    jb_reset(&s->jb);
    if (!s->latest || serve_shape_write((enum serve_shape)shape,
                                        (const char *)s->latest->buf + LWS_PRE,
                                        s->latest->len, &s->jb) < 0) {
        jb_reset(&s->jb);
        jb_raw(&s->jb, "null\n", 5);
    }
    if (!(c->http_body = serve_frame_new(s->jb.data, s->jb.len)))
        return -1;
    if (lws_add_http_common_headers(c->wsi, HTTP_STATUS_OK,
                                    "application/json", c->http_body->len,
                                    &p, end) ||
        lws_finalize_write_http_header(c->wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(c->wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct serve *s = lws_context_user(lws_get_context(wsi));
    struct client *c = user;
    char uri[256], origin[256], ip[64];

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        /* refused with an HTTP status, so a client can tell why */
        unsigned n;
        if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
            path_of(s, uri) < 0) {
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
            return 1;
        }
        pthread_mutex_lock(&s->lock);
        n = s->n_clients;
        pthread_mutex_unlock(&s->lock);
        if (n >= s->cfg.max_clients || atomic_load(&s->stopping)) {
            s->refused++;
            log_warn("serve: client %s refused: %u clients already "
                     "(--serve-max-clients)",
                     serve_peer_ip(wsi, ip, sizeof(ip)), n);
            lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
                                   "too many clients");
            return 1;
        }
        return 0;
    }

    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof(*c));
        c->wsi = wsi;
        lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
        c->path = path_of(s, uri);
        if (c->path < 0)
            return -1;
        if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
            snprintf(origin, sizeof(origin), "none");
        log_info("serve: client %s connected to %s (Origin: %s)",
                 serve_peer_ip(wsi, ip, sizeof(ip)), uri, origin);
        c->next = s->clients;
        c->prevp = &s->clients;
        if (s->clients)
            s->clients->prevp = &c->next;
        s->clients = c;
        c->listed = 1;
        s->path_clients[c->path]++;
        {
            /* what the kernel holds for a client counts against its
            ** buffer too: keep it small so the bound is the option */
            int fd = lws_get_socket_fd(wsi), sndbuf = 256 << 10;
            if ((size_t)sndbuf > s->cfg.client_buffer_bytes)
                sndbuf = (int)s->cfg.client_buffer_bytes;
            if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                           sizeof(sndbuf));
        }
        s->accepted++;
        pthread_mutex_lock(&s->lock);
        s->n_clients++;
        pthread_cond_broadcast(&s->clients_cond);
        pthread_mutex_unlock(&s->lock);
        break;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c->listed ? serve_client_write(s, c) : 0;

    case LWS_CALLBACK_RECEIVE:
        break;                 /* clients have nothing to say */

    case LWS_CALLBACK_CLOSED:
        if (c->listed)
            log_info("serve: client %s on %s disconnected",
                     serve_peer_ip(wsi, ip, sizeof(ip)),
                     path_names[c->path]);
        serve_client_unlist(s, c);
        break;

    case LWS_CALLBACK_HTTP:
        memset(c, 0, sizeof(*c));
        c->wsi = wsi;
        snprintf(uri, sizeof(uri), "%.*s", (int)len, (const char *)in);
        return http_get(s, c, uri);

    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!c->http_body)
            return 0;
        if (lws_write(wsi, c->http_body->buf + LWS_PRE, c->http_body->len,
                      LWS_WRITE_HTTP_FINAL) < (int)c->http_body->len)
            return -1;
        serve_frame_unref(c->http_body);
        c->http_body = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c) {
            serve_frame_unref(c->http_body);
            c->http_body = NULL;
        }
        break;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        serve_drain_inbox(s);
        if (atomic_load(&s->stopping)) {
            if (!s->clients)
                s->done = 1;
            for (struct client *k = s->clients; k; k = k->next)
                lws_callback_on_writable(k->wsi);
        }
        break;

    default:
        break;
    }
    return 0;
}

const struct lws_protocols serve_protocols[] = {
    { "certstream", callback, sizeof(struct client), 1024, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};
