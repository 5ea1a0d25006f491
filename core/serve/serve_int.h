/*
** serve_int.h: what the modules of the CertStream server share - the
** server's state, its clients and frames, and the functions one module
** calls in another.
**
**   serve.c            the server object: start (address, TLS, the lws
**                      context, the thread), wait for clients, stop
**   serve_fanout.c     the inbox: sources offer messages from any
**                      thread; the server thread cuts each into the
**                      shapes that have clients and hands out the frames
**   serve_client.c     refcounted frames and each client's send queue:
**                      queue, write, close (1008 past its buffer), unlist
**   serve_route.c      the lws callback: paths, refusals, connects and
**                      hang-ups, the HTTP GETs of example.json
**   serve_heartbeat.c  the server thread's loop and its timers: the
**                      heartbeat message, the drain deadline at stop
**
** Everything but the inbox, n_clients and the atomic counters belongs to
** the server thread.
*/
#ifndef CERTMON_SERVE_INT_H
#define CERTMON_SERVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <libwebsockets.h>

#include "json_buf.h"
#include "serve/serve.h"
#include "serve/serve_shape.h"

#define PATH_ALERTS SERVE_N_SHAPES       /* a fourth kind of client */
#define N_PATHS (SERVE_N_SHAPES + 1)

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

/* serve_client.c */
/* A frame of one reference holding a copy of data[0..len); NULL when out
** of memory. */
struct frame *serve_frame_new(const char *data, size_t len);
/* Drops one reference; the last frees f. f may be NULL. */
void serve_frame_unref(struct frame *f);
/* The peer's address for logs, without the v4-mapped prefix. */
const char *serve_peer_ip(struct lws *wsi, char *buf, size_t len);
/* Queues a reference to f on every client of path (closing those it
** would take past their buffer) and counts the frame. */
void serve_broadcast(struct serve *s, int path, struct frame *f);
/* Writes c's queue while the kernel takes it, then a due close. Returns
** what the lws callback should return. */
int serve_client_write(struct serve *s, struct client *c);
/* Takes c off the server's list and forgets its queue (once). */
void serve_client_unlist(struct serve *s, struct client *c);

/* serve_fanout.c */
/* Takes the whole inbox at once and serves it in order. */
void serve_drain_inbox(struct serve *s);

/* serve_route.c */
extern const struct lws_protocols serve_protocols[];

/* serve_heartbeat.c */
/* The server thread (arg is the struct serve): services the context
** until the server is done, with the heartbeat and, once stopping, the
** drain deadline. */
void *serve_thread(void *arg);

#endif
