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
*/
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libwebsockets.h>

#include "json_buf.h"
#include "log.h"
#include "options.h"
#include "serve/serve.h"
#include "serve/serve_shape.h"

#define PATH_ALERTS SERVE_N_SHAPES       /* a fourth kind of client */
#define N_PATHS (SERVE_N_SHAPES + 1)

static const struct serve_config serve_defaults = {
    .client_buffer_bytes = 4u << 20,
    .max_clients = 1000,
    .heartbeat_s = 30,
    .ping_s = 20,
    .inbox_max = 10000,
};

/* One encoded message, shared by every client that sends it. Only the
** server thread touches refs. */
struct frame {
    unsigned refs;
    size_t len;
    unsigned char buf[];              /* LWS_PRE bytes, then the payload */
};

/* A message waiting for the server thread. */
struct inbox_item {
    struct inbox_item *next;
    int is_alert;
    size_t len;
    char data[];
};

/* Per connection (lws allocates it): a WebSocket client or an HTTP GET. */
struct client {
    struct client *next, **prevp;     /* the server's list of clients */
    struct lws *wsi;
    int path;                         /* enum serve_shape or PATH_ALERTS */
    struct frame **ring;              /* queued frames, oldest at head */
    size_t cap, head, n;
    size_t queued_bytes;
    int close_code;                   /* nonzero: close with it next */
    int listed;
    struct frame *http_body;          /* HTTP: the answer */
};

struct serve {
    struct serve_config cfg;
    struct lws_context *ctx;
    lws_retry_bo_t retry;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock;             /* inbox, n_clients, the cond */
    pthread_cond_t clients_cond;
    struct inbox_item *inbox_head, **inbox_tail;
    size_t inbox_n;
    unsigned n_clients;               /* WebSocket clients now */
    atomic_int stopping;

    /* server thread only */
    struct client *clients;
    unsigned path_clients[N_PATHS];
    struct frame *latest;             /* latest full message, for GETs */
    struct json_buf jb;
    lws_sorted_usec_list_t heartbeat_sul, deadline_sul;
    int done, deadline_set;
    unsigned drain_ms;

    /* counters: server thread, except not_served and bad (atomic) */
    unsigned long long accepted, refused, slow, frames, messages;
    atomic_ullong not_served, bad;
};

static struct log_budget slow_log = LOG_BUDGET_INIT(5, "slow clients");
static struct log_budget bad_log = LOG_BUDGET_INIT(3, "unservable messages");
static struct log_budget behind_log = LOG_BUDGET_INIT(3,
                                                      "messages not served");

void serve_config_defaults(struct serve_config *c)
{
    *c = serve_defaults;
}

static struct frame *frame_new(const char *data, size_t len)
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

static void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

/* Forgets everything c has queued. */
static void client_clear(struct client *c)
{
    while (c->n) {
        frame_unref(c->ring[c->head]);
        c->head = (c->head + 1) % c->cap;
        c->n--;
    }
    free(c->ring);
    c->ring = NULL;
    c->cap = c->head = 0;
    c->queued_bytes = 0;
}

/* The peer's address for logs, without the v4-mapped prefix. */
static const char *peer_ip(struct lws *wsi, char *buf, size_t len)
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
                    "1008", peer_ip(c->wsi, ip, sizeof(ip)),
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

static void broadcast(struct serve *s, int path, struct frame *f)
{
    for (struct client *c = s->clients; c; c = c->next)
        if (c->path == path)
            client_queue(s, c, f);
    s->frames++;
}

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
        if (!(f = frame_new(s->jb.data, s->jb.len)))
            return;
        if (shape == SERVE_FULL) {
            frame_unref(s->latest);
            s->latest = f;
            f->refs++;
        }
        broadcast(s, shape, f);
        frame_unref(f);
    }
    s->messages++;
}

static void serve_alert(struct serve *s, const char *data, size_t len)
{
    struct frame *f;

    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (!s->path_clients[PATH_ALERTS] || !(f = frame_new(data, len)))
        return;
    broadcast(s, PATH_ALERTS, f);
    frame_unref(f);
}

/* Takes the whole inbox at once and serves it in order. */
static void drain_inbox(struct serve *s)
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
    if ((f = frame_new(msg, (size_t)n))) {
        for (int path = 0; path < SERVE_N_SHAPES; path++)
            if (s->path_clients[path])
                broadcast(s, path, f);
        frame_unref(f);
    }
    lws_sul_schedule(s->ctx, 0, &s->heartbeat_sul, heartbeat,
                     (lws_usec_t)s->cfg.heartbeat_s * LWS_US_PER_SEC);
}

static void deadline(lws_sorted_usec_list_t *sul)
{
    struct serve *s = lws_container_of(sul, struct serve, deadline_sul);

    s->done = 1;
}

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
    if (!(c->http_body = frame_new(s->jb.data, s->jb.len)))
        return -1;
    if (lws_add_http_common_headers(c->wsi, HTTP_STATUS_OK,
                                    "application/json", c->http_body->len,
                                    &p, end) ||
        lws_finalize_write_http_header(c->wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(c->wsi);
    return 0;
}

/* Writes c's queue while the kernel takes it; then the close, if one is
** due (1008, or 1000 once the server stops and the queue is empty). */
static int client_write(struct serve *s, struct client *c)
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
        frame_unref(f);
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

static void client_unlist(struct serve *s, struct client *c)
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
                     "(--serve-max-clients)", peer_ip(wsi, ip, sizeof(ip)), n);
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
                 peer_ip(wsi, ip, sizeof(ip)), uri, origin);
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
        return c->listed ? client_write(s, c) : 0;

    case LWS_CALLBACK_RECEIVE:
        break;                 /* clients have nothing to say */

    case LWS_CALLBACK_CLOSED:
        if (c->listed)
            log_info("serve: client %s on %s disconnected",
                     peer_ip(wsi, ip, sizeof(ip)), path_names[c->path]);
        client_unlist(s, c);
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
        frame_unref(c->http_body);
        c->http_body = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c) {
            frame_unref(c->http_body);
            c->http_body = NULL;
        }
        break;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        drain_inbox(s);
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

static const struct lws_protocols protocols[] = {
    { "certstream", callback, sizeof(struct client), 1024, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void *serve_thread(void *arg)
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
    info.protocols = protocols;
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
    frame_unref(s->latest);
    jb_free(&s->jb);
    pthread_cond_destroy(&s->clients_cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
