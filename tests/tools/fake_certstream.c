/*
** fake_certstream: a CertStream server for the tests, on libwebsockets'
** server side, listening on 127.0.0.1 only.
**
** It replays JSON lines from a file as WebSocket text messages (each ending
** in "\n", as certstream-server-go sends them) and misbehaves on cue. What
** happens on each accepted connection is a script given with --act: the
** first --act is for the first connection, the second for the second, and
** the last one for every connection after that. The message cursor is
** shared by all connections, so a client that reconnects gets the rest of
** the file, not the start again.
**
** Usage:
**   fake_certstream --messages FILE [--port-file FILE] [--port N]
**                   [--tls CERT KEY] [--act SCRIPT]...
**
** A script is a list of steps separated by ';':
**   send [N]        send the next N messages (default: all that are left)
**   frag N          send the next message in fragments of N bytes
**   big BYTES       send one text message of BYTES bytes (valid JSON)
**   junk            send one text message that is not JSON
**   binary          send one binary message of 100 bytes
**   sleep MS        send nothing for MS milliseconds
**   close CODE [R]  close with CODE and reason R (one word)
**   reset           drop the connection with a TCP reset, no close frame
**   stall           stop reading and sending; keep the socket open
**                   (pings go unanswered)
**   refuse          answer the upgrade with HTTP 503 (the whole script)
** At the end of a script the connection stays open, answering pings.
** Default script: "send".
**
** Events go to stdout, one line each, flushed, for the tests to wait on:
**   listening PORT | open N | refused N | done N | closed N | sent TOTAL
**   | client-close N CODE
** ("sent" after each send step, with the count of messages sent so far;
** "client-close" when the client sends a close frame, with its code; lws
** reports it only when the fake has no output still buffered: with bytes
** unsent it closes on the client's close frame without a callback, so a
** test that checks "client-close" must let the sending finish first).
** The port is also written to --port-file (complete when the file exists).
** Stops on SIGTERM/SIGINT.
*/
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "tool_server.h"

enum step_kind {
    STEP_SEND, STEP_FRAG, STEP_BIG, STEP_JUNK, STEP_BINARY, STEP_SLEEP,
    STEP_CLOSE, STEP_RESET, STEP_STALL, STEP_REFUSE,
};

struct step {
    enum step_kind kind;
    long arg;                 /* count, bytes, ms or close code; -1 none */
    char word[64];            /* close reason */
};

struct act {
    struct step *steps;
    size_t n;
};

struct msgline {
    char *data;               /* with the trailing "\n" */
    size_t len;
};

/* per connection */
struct session {
    int conn;                 /* 1-based connection number */
    const struct act *act;
    size_t step;
    long left;                /* messages left in a send step; -1 = not begun */
    size_t frag_off;          /* bytes of the current message sent (frag) */
    int sleeping;
};

static struct msgline *msgs;
static size_t n_msgs, next_msg;
static struct act *acts;
static size_t n_acts;
static int connections;

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("fake_certstream: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void event(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

static void load_messages(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n_cap = 0;
    ssize_t len;

    if (!f)
        die("cannot open %s", path);
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (!len)
            continue;
        if (n_msgs == n_cap) {
            n_cap = n_cap ? n_cap * 2 : 64;
            msgs = realloc(msgs, n_cap * sizeof *msgs);
            if (!msgs)
                die("out of memory");
        }
        msgs[n_msgs].data = malloc((size_t)len + 1);
        if (!msgs[n_msgs].data)
            die("out of memory");
        memcpy(msgs[n_msgs].data, line, (size_t)len);
        msgs[n_msgs].data[len] = '\n';
        msgs[n_msgs].len = (size_t)len + 1;
        n_msgs++;
    }
    free(line);
    fclose(f);
}

static void parse_act(struct act *a, const char *script)
{
    char *copy = strdup(script), *save = NULL, *tok;

    if (!copy)
        die("out of memory");
    memset(a, 0, sizeof *a);
    for (tok = strtok_r(copy, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char name[16] = "";
        struct step st = { .arg = -1 };
        int n = sscanf(tok, " %15s %ld %63s", name, &st.arg, st.word);

        if (n < 1)
            continue;
        if (!strcmp(name, "send"))         st.kind = STEP_SEND;
        else if (!strcmp(name, "frag"))    st.kind = STEP_FRAG;
        else if (!strcmp(name, "big"))     st.kind = STEP_BIG;
        else if (!strcmp(name, "junk"))    st.kind = STEP_JUNK;
        else if (!strcmp(name, "binary"))  st.kind = STEP_BINARY;
        else if (!strcmp(name, "sleep"))   st.kind = STEP_SLEEP;
        else if (!strcmp(name, "close"))   st.kind = STEP_CLOSE;
        else if (!strcmp(name, "reset"))   st.kind = STEP_RESET;
        else if (!strcmp(name, "stall"))   st.kind = STEP_STALL;
        else if (!strcmp(name, "refuse"))  st.kind = STEP_REFUSE;
        else die("unknown step '%s' in '%s'", name, script);
        if ((st.kind == STEP_FRAG || st.kind == STEP_BIG ||
             st.kind == STEP_SLEEP || st.kind == STEP_CLOSE) && st.arg < 1)
            die("step '%s' needs a positive number", name);
        a->steps = realloc(a->steps, (a->n + 1) * sizeof *a->steps);
        if (!a->steps)
            die("out of memory");
        a->steps[a->n++] = st;
    }
    free(copy);
}

static const struct act *act_for(int conn)
{
    static const struct step send_all = { .kind = STEP_SEND, .arg = -1 };
    static const struct act dflt = { (struct step *)&send_all, 1 };

    if (!n_acts)
        return &dflt;
    return &acts[(size_t)conn <= n_acts ? (size_t)conn - 1 : n_acts - 1];
}

/* Writes payload as one WebSocket message (or one fragment of it). */
static int ws_send(struct lws *wsi, const char *data, size_t len, int flags)
{
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    int n;

    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, data, len);
    n = lws_write(wsi, buf + LWS_PRE, len, (enum lws_write_protocol)flags);
    free(buf);
    return n < (int)len ? -1 : 0;
}

/* Runs the session's script from its current step. Returns -1 to close
** the connection (after a close or reset step), 0 otherwise. Writes at
** most one message per call; asks for another WRITEABLE to go on. */
static int run_script(struct lws *wsi, struct session *ss)
{
    while (ss->step < ss->act->n) {
        const struct step *st = &ss->act->steps[ss->step];

        switch (st->kind) {
        case STEP_SEND:
            if (ss->left < 0)
                ss->left = st->arg < 0 ? (long)(n_msgs - next_msg) : st->arg;
            if (ss->left == 0 || next_msg >= n_msgs) {
                event("sent %zu", next_msg);
                ss->left = -1;
                ss->step++;
                continue;
            }
            if (ws_send(wsi, msgs[next_msg].data, msgs[next_msg].len,
                        LWS_WRITE_TEXT))
                return -1;
            next_msg++;
            ss->left--;
            lws_callback_on_writable(wsi);
            return 0;

        case STEP_FRAG: {
            const struct msgline *m;
            size_t n;
            int flags;
            if (next_msg >= n_msgs) {
                ss->step++;
                continue;
            }
            m = &msgs[next_msg];
            n = m->len - ss->frag_off;
            if (n > (size_t)st->arg)
                n = (size_t)st->arg;
            flags = ss->frag_off ? LWS_WRITE_CONTINUATION : LWS_WRITE_TEXT;
            if (ss->frag_off + n < m->len)
                flags |= LWS_WRITE_NO_FIN;
            if (ws_send(wsi, m->data + ss->frag_off, n, flags))
                return -1;
            ss->frag_off += n;
            if (ss->frag_off == m->len) {
                ss->frag_off = 0;
                next_msg++;
                event("sent %zu", next_msg);
                ss->step++;
            }
            lws_callback_on_writable(wsi);
            return 0;
        }

        case STEP_BIG: {
            size_t n = (size_t)st->arg;
            char *big = malloc(n);
            static const char head[] = "{\"message_type\":\"padding\",\"data\":\"";
            int rc;
            if (!big || n < sizeof head + 2)
                die("big: need at least %zu bytes", sizeof head + 2);
            memset(big, 'x', n);
            memcpy(big, head, sizeof head - 1);
            big[n - 2] = '"';
            big[n - 1] = '}';
            rc = ws_send(wsi, big, n, LWS_WRITE_TEXT);
            free(big);
            if (rc)
                return -1;
            ss->step++;
            lws_callback_on_writable(wsi);
            return 0;
        }

        case STEP_JUNK: {
            static const char junk[] =
                "{\"message_type\": \"certificate_update\", \"data\": {";
            if (ws_send(wsi, junk, sizeof junk - 1, LWS_WRITE_TEXT))
                return -1;
            ss->step++;
            lws_callback_on_writable(wsi);
            return 0;
        }

        case STEP_BINARY: {
            char bin[100];
            memset(bin, 0xa5, sizeof bin);
            if (ws_send(wsi, bin, sizeof bin, LWS_WRITE_BINARY))
                return -1;
            ss->step++;
            lws_callback_on_writable(wsi);
            return 0;
        }

        case STEP_SLEEP:
            if (!ss->sleeping) {
                ss->sleeping = 1;
                lws_set_timer_usecs(wsi, (lws_usec_t)st->arg * 1000);
                return 0;
            }
            return 0;             /* woken by LWS_CALLBACK_TIMER */

        case STEP_CLOSE:
            lws_close_reason(wsi, (enum lws_close_status)st->arg,
                             (unsigned char *)st->word, strlen(st->word));
            ss->step++;
            return -1;

        case STEP_RESET: {
            struct linger lg = { .l_onoff = 1, .l_linger = 0 };
            int fd = lws_get_socket_fd(wsi);
            ss->step++;
            /* with a zero linger time, closing the socket sends a RST */
            if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            return -1;
        }

        case STEP_STALL:
            lws_rx_flow_control(wsi, 0);
            ss->step = ss->act->n + 1;   /* never "done" */
            return 0;

        case STEP_REFUSE:
            ss->step++;
            continue;
        }
    }
    if (ss->step == ss->act->n) {
        event("done %d", ss->conn);
        ss->step++;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct session *ss = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        int conn = ++connections;
        const struct act *a = act_for(conn);
        if (a->n && a->steps[0].kind == STEP_REFUSE) {
            event("refused %d", conn);
            lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
                                   "refused by the test script");
            return 1;
        }
        return 0;
    }

    case LWS_CALLBACK_ESTABLISHED:
        memset(ss, 0, sizeof *ss);
        ss->conn = connections;
        ss->act = act_for(ss->conn);
        ss->left = -1;
        event("open %d", ss->conn);
        lws_callback_on_writable(wsi);
        break;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (ss->act && !ss->sleeping)
            return run_script(wsi, ss);
        break;

    case LWS_CALLBACK_TIMER:
        if (ss->act && ss->sleeping) {
            ss->sleeping = 0;
            ss->step++;
            lws_callback_on_writable(wsi);
        }
        break;

    case LWS_CALLBACK_RECEIVE:
        break;                    /* clients have nothing to say */

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (ss->act) {
            const unsigned char *p = in;
            event("client-close %d %d", ss->conn,
                  len >= 2 ? p[0] << 8 | p[1] : 0);
        }
        break;

    case LWS_CALLBACK_CLOSED:
        if (ss->act)
            event("closed %d", ss->conn);
        break;

    default:
        break;
    }
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
    const char *cert = NULL, *key = NULL;
    int port = 0, i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--messages") && i + 1 < argc) {
            messages = argv[++i];
        } else if (!strcmp(argv[i], "--port-file") && i + 1 < argc) {
            port_file = argv[++i];
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--tls") && i + 2 < argc) {
            cert = argv[++i];
            key = argv[++i];
        } else if (!strcmp(argv[i], "--act") && i + 1 < argc) {
            acts = realloc(acts, (n_acts + 1) * sizeof *acts);
            if (!acts)
                die("out of memory");
            parse_act(&acts[n_acts++], argv[++i]);
        } else {
            die("usage: fake_certstream --messages FILE [--port-file FILE] "
                "[--port N] [--tls CERT KEY] [--act SCRIPT]...");
        }
    }
    if (messages)
        load_messages(messages);

    memset(&info, 0, sizeof info);
    info.port = port;
    info.protocols = protocols;
    if (cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
    }
    port = tool_listen("fake_certstream", &info);
    if (port_file)
        tool_publish_port("fake_certstream", port_file, port);
    event("listening %d", port);
    tool_serve();
    for (size_t m = 0; m < n_msgs; m++)
        free(msgs[m].data);
    free(msgs);
    for (size_t a = 0; a < n_acts; a++)
        free(acts[a].steps);
    free(acts);
    return 0;
}
