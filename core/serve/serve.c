/*
** serve.c: the CertStream server: an lws context on a thread of its own.
**
** Why lws and not ws_frame.c on raw sockets: lws already does the upgrade,
** TLS, PING/PONG with a hang-up on silence, close handshakes and partial
** writes (what the kernel does not take is kept and sent first), all on
** one poll loop; certmon already links it for the client side.
**
** Flow: serve_offer (source thread) appends a copy to the inbox and wakes
** the loop with lws_cancel_service. The loop (EVENT_WAIT_CANCELLED) takes
** the whole inbox, cuts each certificate into the shapes that have
** clients (serve_shape.c) - once per shape, not once per client - and
** queues a reference to the frame on every client of the path. A client
** writes while the kernel takes it; what it has queued is bounded by
** client_buffer_bytes, past which it is closed with 1008. The design is
** certstream-server-go's broadcast manager (one encode per message, a
** buffer per client), except that Go skips messages for a full client
** while certmon disconnects it, so that a client never has silent gaps.
**
** This file starts and stops the server; the inbox and the fan-out are in
** serve_fanout.c, client queues in serve_client.c, the lws callback in
** serve_route.c, the thread's loop and timers in serve_heartbeat.c, and
** the state they share in serve_int.h.
*/
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "json_buf.h"
#include "log.h"
#include "options.h"
#include "serve/serve.h"
#include "serve/serve_int.h"

static const struct serve_config serve_defaults = {
    .client_buffer_bytes = 4u << 20,
    .max_clients = 1000,
    .heartbeat_s = 30,
    .ping_s = 20,
    .inbox_max = 10000,
};

void serve_config_defaults(struct serve_config *c)
{
    *c = serve_defaults;
}

/* Splits "HOST:PORT" / "[V6]:PORT" and says whether HOST is loopback. */
static int parse_addr(const char *addr, char *host, size_t hostlen,
                      int *port, int *loopback, char *err, size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    char *end;
    long p;
    unsigned char a[16];

    if (!colon || colon == addr)
        goto bad;
    p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        goto bad;
    if (addr[0] == '[' && colon[-1] == ']')
        snprintf(host, hostlen, "%.*s", (int)(colon - addr - 2), addr + 1);
    else
        snprintf(host, hostlen, "%.*s", (int)(colon - addr), addr);
    if (!strcmp(host, "localhost"))
        snprintf(host, hostlen, "127.0.0.1");
    *port = (int)p;
    if (inet_pton(AF_INET, host, a) == 1)
        *loopback = a[0] == 127;
    else if (inet_pton(AF_INET6, host, a) == 1)
        *loopback = !memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
    else
        goto bad;
    return 0;
bad:
    err_set(err, errlen, "--serve '%s': expected ADDRESS:PORT, e.g. "
            "127.0.0.1:8080 or [::1]:8080", addr);
    return -1;
}

static int write_port(const char *path, int port, char *err, size_t errlen)
{
    char tmp[4096];
    FILE *f;

    if (!strcmp(path, "-")) {
        printf("%d\n", port);
        fflush(stdout);
        return 0;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", port) < 0 ||
        fclose(f) || rename(tmp, path)) {
        err_set(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

struct serve *serve_start(const struct serve_config *c, char *err,
                          size_t errlen)
{
    struct lws_context_creation_info info;
    struct serve *s;
    char host[128];
    int port, loopback, wild;

    if (parse_addr(c->addr, host, sizeof(host), &port, &loopback, err,
                   errlen) < 0)
        return NULL;
    if (!loopback && !c->listen_public) {
        err_set(err, errlen, "--serve %s is not a loopback address: add "
                "--listen-public to serve other machines", c->addr);
        return NULL;
    }
    if (!c->cert_path != !c->key_path) {
        err_set(err, errlen, "--serve-cert and --serve-key go together");
        return NULL;
    }
    if (!(s = calloc(1, sizeof(*s)))) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *c;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->clients_cond, NULL);
    s->inbox_tail = &s->inbox_head;
    jb_init(&s->jb);
    s->retry.secs_since_valid_ping = (uint16_t)c->ping_s;
    s->retry.secs_since_valid_hangup = (uint16_t)(c->ping_s * 3);
    wild = !strcmp(host, "0.0.0.0") || !strcmp(host, "::");

    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.iface = wild ? NULL : host;
    info.protocols = serve_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    if (c->ping_s)
        info.retry_and_idle_policy = &s->retry;
    if (c->cert_path) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = c->cert_path;
        info.ssl_private_key_filepath = c->key_path;
    }
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        err_set(err, errlen, "--serve %s: cannot listen there%s", c->addr,
                c->cert_path ? " (or cannot load --serve-cert/--serve-key)"
                             : "");
        goto fail;
    }
    port = lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx,
                                                           "default"));
    if (c->port_file && write_port(c->port_file, port, err, errlen) < 0)
        goto fail;
    if (pthread_create(&s->thread, NULL, serve_thread, s) != 0) {
        err_set(err, errlen, "cannot start the server thread");
        goto fail;
    }
    s->thread_started = 1;
    log_info("serving CertStream on %s://%s:%d/ (/, /full-stream, "
             "/domains-only%s)", c->cert_path ? "wss" : "ws", host, port,
             c->alerts ? ", /alerts" : "");
    return s;
fail:
    if (s->ctx)
        lws_context_destroy(s->ctx);
    jb_free(&s->jb);
    pthread_cond_destroy(&s->clients_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
}

struct serve *serve_start_options(const struct options *o, char *err,
                                  size_t errlen)
{
    struct serve_config c;

    err_set(err, errlen, "%s", "");
    if (!o->serve_addr)
        return NULL;
    serve_config_defaults(&c);
    c.addr = o->serve_addr;
    c.listen_public = o->listen_public;
    c.cert_path = o->serve_cert;
    c.key_path = o->serve_key;
    if (o->serve_client_buffer)
        c.client_buffer_bytes = o->serve_client_buffer;
    if (o->serve_max_clients)
        c.max_clients = o->serve_max_clients;
    c.heartbeat_s = o->serve_heartbeat_s;
    c.ping_s = o->serve_ping_s;
    c.alerts = o->serve_alerts;
    c.port_file = o->serve_port_file;
    return serve_start(&c, err, errlen);
}

int serve_wait_clients(struct serve *s, unsigned n,
                       atomic_int *stop)
{
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    while (s->n_clients < n) {
        struct timespec ts;
        if (stop && atomic_load(stop)) {
            rc = -1;
            break;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->clients_cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void serve_stop(struct serve *s, unsigned drain_ms)
{
    struct inbox_item *it, *next;

    if (!s)
        return;
    if (s->thread_started) {
        s->drain_ms = drain_ms ? drain_ms : 1;
        atomic_store(&s->stopping, 1);
        lws_cancel_service(s->ctx);
        pthread_join(s->thread, NULL);
    }
    log_info("serve: %llu clients served, %llu refused, %llu closed as too "
             "slow (1008); %llu messages, %llu frames; %llu not served "
             "(server behind), %llu unservable", s->accepted, s->refused,
             s->slow, s->messages, s->frames,
             (unsigned long long)atomic_load(&s->not_served),
             (unsigned long long)atomic_load(&s->bad));
    lws_context_destroy(s->ctx);
    for (it = s->inbox_head; it; it = next) {
        next = it->next;
        free(it);
    }
    serve_frame_unref(s->latest);
    jb_free(&s->jb);
    pthread_cond_destroy(&s->clients_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
