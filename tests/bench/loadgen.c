/*
** loadgen: a CertStream load generator for make bench, on libwebsockets'
** server side, listening on 127.0.0.1 only.
**
** Every connection gets the messages of --messages (JSON lines) in a
** loop, each as one WebSocket text message ending in "\n" (as
** certstream-server-go sends them), either as fast as the client drains
** them or at a fixed rate.
**
** Usage:
**   loadgen --messages FILE [--port-file FILE] [--port N] [--rate R]
**           [--count N] [--write-bytes B]
**
**   --rate R         R messages a second (default 0: as fast as the
**                    client reads; the socket's send buffer paces us)
**   --count N        stop sending after N messages per connection
**                    (default 0: never)
**   --write-bytes B  bytes of whole frames per socket write (default
**                    65536; 1 = one frame per write)
**
** Speed: the frames are encoded once at start-up (server frames are not
** masked) into one buffer holding the file's messages repeated, and each
** writable callback hands lws a run of whole frames as raw bytes, so the
** generator spends its time in send(2), not in framing, and stays ahead
** of any client on the same machine. The client sees ordinary frames.
**
** Events on stdout: "listening PORT", "open N", "closed N SENT".
** Stops on SIGTERM/SIGINT.
*/
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "../tools/tool_server.h"

/* The encoded stream: frames back to back, starts[i] = offset of frame i;
** starts[n_frames] = total length. Repeated so that one write of
** write_bytes rarely wraps. */
static unsigned char *stream;
static size_t *starts;
static size_t n_frames;
static size_t write_bytes = 65536;
static double rate;                     /* messages/s; 0 = drain speed */
static uint64_t count_max;              /* per connection; 0 = endless */
static int connections;

struct session {
    int conn;
    size_t next;            /* next frame index */
    uint64_t sent;
    int64_t start_ns;       /* rate mode: when sending began */
};

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Appends one unmasked text frame holding data[0..len) + "\n". */
static void put_frame(unsigned char **buf, size_t *len, size_t *cap,
                      const char *data, size_t dlen)
{
    size_t plen = dlen + 1, need = *len + plen + 10;
    unsigned char *p;

    if (need > *cap) {
        while (*cap < need)
            *cap = *cap ? *cap * 2 : 1 << 16;
        if (!(*buf = realloc(*buf, *cap)))
            die("out of memory");
    }
    p = *buf + *len;
    *p++ = 0x81;                            /* FIN, text */
    if (plen < 126) {
        *p++ = (unsigned char)plen;
    } else if (plen < 65536) {
        *p++ = 126;
        *p++ = (unsigned char)(plen >> 8);
        *p++ = (unsigned char)plen;
    } else {
        *p++ = 127;
        for (int i = 7; i >= 0; i--)
            *p++ = (unsigned char)((uint64_t)plen >> (8 * i));
    }
    memcpy(p, data, dlen);
    p[dlen] = '\n';
    *len = (size_t)(p + plen - *buf);
}

static void load(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **lines = NULL;
    size_t cap = 0, n = 0, ncap = 0, *lens = NULL, len = 0, bcap = 0;
    size_t one_pass = 0, scap = 0;
    ssize_t got;

    if (!f)
        die("cannot open %s", path);
    while ((got = getline(&line, &cap, f)) > 0) {
        while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            got--;
        if (!got)
            continue;
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 16;
            lines = realloc(lines, ncap * sizeof(*lines));
            lens = realloc(lens, ncap * sizeof(*lens));
            if (!lines || !lens)
                die("out of memory");
        }
        if (!(lines[n] = malloc((size_t)got)))
            die("out of memory");
        memcpy(lines[n], line, (size_t)got);
        lens[n++] = (size_t)got;
        one_pass += (size_t)got + 11;
    }
    free(line);
    fclose(f);
    if (!n)
        die("%s: no messages", path);
    /* repeat the file until the stream holds at least 4 writes */
    do {
        for (size_t i = 0; i < n; i++) {
            if (n_frames + 2 > scap) {
                scap = scap ? scap * 2 : 1024;
                if (!(starts = realloc(starts, scap * sizeof(*starts))))
                    die("out of memory");
            }
            starts[n_frames++] = len;
            put_frame(&stream, &len, &bcap, lines[i], lens[i]);
        }
    } while (len < 4 * write_bytes || len < one_pass);
    starts[n_frames] = len;
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
}

/* How many frames the session should send now. */
static uint64_t frames_due(struct session *ss)
{
    uint64_t due, target;

    if (rate <= 0) {
        due = UINT64_MAX;
    } else {
        target = (uint64_t)((double)(now_ns() - ss->start_ns) * rate / 1e9);
        due = target > ss->sent ? target - ss->sent : 0;
    }
    if (count_max && due > count_max - ss->sent)
        due = count_max - ss->sent;
    return due;
}

/* One write of whole frames, at most write_bytes (at least one frame) and
** at most 'due' frames; never wraps around the end of the stream. */
static int send_some(struct lws *wsi, struct session *ss, uint64_t due)
{
    size_t first = ss->next, last = first + 1, bytes;

    while (last < n_frames && (uint64_t)(last - first) < due &&
           starts[last + 1] - starts[first] <= write_bytes)
        last++;
    bytes = starts[last] - starts[first];
    /* LWS_WRITE_RAW: the bytes are already WebSocket frames */
    if (lws_write(wsi, stream + starts[first], bytes, LWS_WRITE_RAW) <
        (int)bytes)
        return -1;
    ss->sent += last - first;
    ss->next = last == n_frames ? 0 : last;
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct session *ss = user;
    uint64_t due;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(ss, 0, sizeof(*ss));
        ss->conn = ++connections;
        ss->start_ns = now_ns();
        printf("open %d\n", ss->conn);
        fflush(stdout);
        lws_callback_on_writable(wsi);
        break;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        due = frames_due(ss);
        if (due == 0) {
            if (count_max && ss->sent >= count_max)
                break;                       /* done; stay open */
            lws_set_timer_usecs(wsi, 500);   /* rate mode: next tick */
            break;
        }
        if (send_some(wsi, ss, due) < 0)
            return -1;
        lws_callback_on_writable(wsi);
        break;

    case LWS_CALLBACK_TIMER:
        lws_callback_on_writable(wsi);
        break;

    case LWS_CALLBACK_CLOSED:
        printf("closed %d %llu\n", ss->conn, (unsigned long long)ss->sent);
        fflush(stdout);
        break;

    default:
        break;
    }
    (void)in;
    (void)len;
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "certstream", callback, sizeof(struct session), 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    struct lws_context_creation_info info;
    const char *port_file = NULL, *messages = NULL;
    int port = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            goto usage;
        i++;
        if (!strcmp(a, "--messages"))
            messages = v;
        else if (!strcmp(a, "--port-file"))
            port_file = v;
        else if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--rate"))
            rate = atof(v);
        else if (!strcmp(a, "--count"))
            count_max = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--write-bytes"))
            write_bytes = strtoul(v, NULL, 10);
        else
            goto usage;
    }
    if (!messages)
        goto usage;
    if (!write_bytes)
        write_bytes = 1;
    load(messages);

    memset(&info, 0, sizeof(info));
    info.port = port;
    info.protocols = protocols;
    port = tool_listen("loadgen", &info);
    if (port_file)
        tool_publish_port("loadgen", port_file, port);
    printf("listening %d\n", port);
    fflush(stdout);
    tool_serve();
    free(stream);
    free(starts);
    return 0;

usage:
    die("usage: loadgen --messages FILE [--port-file FILE] [--port N] "
        "[--rate R] [--count N] [--write-bytes B]");
    return 2;
}
