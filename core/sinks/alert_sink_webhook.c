/*
** alert_sink_webhook.c: HTTP(S) POST of each alert (--alert-webhook).
**
** A small blocking HTTP/1.1 client of our own, on the sink's dedicated
** thread; the connection (TCP, TLS, deadlines) is webhook_conn.c. Why
** not libwebsockets' HTTP client: it needs its own event-loop context and
** service thread, and its callbacks would have to be bridged back to this
** thread for every attempt; a blocking client over a non-blocking socket
** with poll() gives each attempt a real overall deadline. TLS is OpenSSL
** on the socket (SSL_set_fd), verified as for --url: the system store or
** --ca-file, host name or IP checked, TLS 1.2 or later; --insecure turns
** verification off for both.
**
** The connection is kept for the next alert (HTTP/1.1 keep-alive: one
** TLS handshake per burst, not per alert) when the answer allows it: an
** HTTP/1.1 answer without "Connection: close", with a Content-Length of
** at most 64 KiB, and not chunked. A kept connection idle for 30 s, or
** one the receiver closed, is replaced by a new one.
**
** Results: 2xx delivered; 429, 5xx and every network or TLS error are
** retried (Retry-After, in seconds or as an HTTP date, is passed on);
** any other status is a rejection, never retried, reported with the
** status and the start of the body. Header values are never put in a
** reason or a log line.
*/
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json_buf.h"
#include "json_parse.h"
#include "mono_clock.h"
#include "sinks/alert_sink_kind.h"
#include "sinks/webhook_conn.h"
#include "url.h"

#define WEBHOOK_MAX_HEADER_BYTES 16384
#define WEBHOOK_BODY_SNIPPET 200

struct webhook {
    int tls;
    char *host;             /* without brackets */
    char port[8];
    char *path;             /* "/..." with the query */
    char *host_header;      /* host[:port] as in the URL */
    char *extra_headers;    /* "Name: value\r\n" ..., never logged */
    enum alert_format format;
    struct webhook_peer peer;   /* host and port above, the TLS context
                                ** (owned here) and --insecure */
    struct webhook_conn conn;   /* kept open between alerts; the sink has
                                ** one thread, so one user at a time */
};

/* Keep-alive: how long a kept connection waits for the next alert
** (receivers close idle ones themselves, nginx after 75 s, Node.js after
** 5 s; webhook_conn_reusable sees that before a request goes out), and
** the longest answer body read to keep the connection (a longer one is
** left unread and the connection closed). */
static const struct {
    int64_t keepalive_idle_ms;
    size_t keepalive_body_max;
} webhook_tuning = {
    .keepalive_idle_ms = 30000,
    .keepalive_body_max = 65536,
};

/* ===== configuration ===== */

/* Takes url apart into w (host, port, Host header, path with the query;
** a fragment is dropped). Returns 0, or -1 with the reason in err, which
** repeats the URL unless it may hold a password. */
static int parse_url(struct webhook *w, const char *url, char *err,
                     size_t errlen)
{
    static const char *const schemes[] = { "http", "https", NULL };
    struct url u;
    char why[160];

    if (url_split(&u, url, schemes, URL_NO_USERINFO, why, sizeof why) < 0) {
        if (u.userinfo.p)
            snprintf(err, errlen, "%s; use --alert-header 'Authorization: "
                     "...'", why);
        else if (!u.scheme[0])
            snprintf(err, errlen, "'%s': the URL must start with http:// or "
                     "https://", strchr(url, '@') ? "..." : url);
        else
            snprintf(err, errlen, "'%s': %s; expected "
                     "http(s)://HOST[:PORT][/PATH]",
                     strchr(url, '@') ? "..." : url, why);
        return -1;
    }
    w->tls = u.tls;
    snprintf(w->port, sizeof(w->port), "%d", u.port);
    w->host = strndup(u.host.p, u.host.len);
    w->host_header = strndup(u.hostport.p, u.hostport.len);
    w->path = url_request_target(&u);       /* "http://h?x" = "/?x" */
    if (!w->host || !w->host_header || !w->path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Checks "Name: value" and appends it with CRLF to *acc. The value is
** never echoed in errors. */
static int add_header(char **acc, size_t *acc_len, const char *h,
                      size_t len, const char *where, char *err,
                      size_t errlen)
{
    const char *colon = memchr(h, ':', len);
    char *p;

    while (len && (h[len - 1] == '\r' || h[len - 1] == ' '))
        len--;
    if (!colon || colon == h) {
        snprintf(err, errlen, "%s: a header is 'Name: value'", where);
        return -1;
    }
    for (const char *c = h; c < colon; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr("()<>@,;\\\"/[]?={}", *c)) {
            snprintf(err, errlen, "%s: invalid header name '%.*s'", where,
                     (int)(colon - h), h);
            return -1;
        }
    for (const char *c = colon + 1; c < h + len; c++)
        if (*c == '\r' || *c == '\n' || *c == '\0') {
            snprintf(err, errlen, "%s: header '%.*s' has a line break in its "
                     "value", where, (int)(colon - h), h);
            return -1;
        }
    if ((size_t)(colon - h) == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
        snprintf(err, errlen, "%s: Content-Length is set by certmon", where);
        return -1;
    }
    p = realloc(*acc, *acc_len + len + 3);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *acc = p;
    memcpy(p + *acc_len, h, len);
    memcpy(p + *acc_len + len, "\r\n", 3);
    *acc_len += len + 2;
    return 0;
}

static int load_header_file(char **acc, size_t *acc_len, const char *path,
                            char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *line = NULL, where[300];
    size_t cap = 0;
    ssize_t n;
    int rc = 0, lineno = 0;

    if (!f) {
        snprintf(err, errlen, "--alert-header-file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        const char *s = line;
        lineno++;
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        if (len == 0 || *s == '#')
            continue;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        rc = add_header(acc, acc_len, s, len, where, err, errlen);
    }
    free(line);
    fclose(f);
    return rc;
}

static void webhook_free(void *impl)
{
    struct webhook *w = impl;

    if (!w)
        return;
    webhook_conn_close(&w->conn);
    free(w->host);
    free(w->path);
    free(w->host_header);
    if (w->extra_headers) {             /* may hold a secret */
        OPENSSL_cleanse(w->extra_headers, strlen(w->extra_headers));
        free(w->extra_headers);
    }
    SSL_CTX_free(w->peer.ssl_ctx);
    free(w);
}

void *webhook_sink_new(const char *url, const struct alert_sinks_config *c,
                       char *err, size_t errlen)
{
    struct webhook *w = calloc(1, sizeof(*w));
    size_t hl = 0;

    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->format = c->format;
    w->conn.fd = -1;
    if (parse_url(w, url, err, errlen) < 0)
        goto fail;
    w->peer.host = w->host;
    w->peer.port = w->port;
    w->peer.insecure = c->insecure;
    for (size_t i = 0; i < c->n_headers; i++)
        if (add_header(&w->extra_headers, &hl, c->headers[i],
                       strlen(c->headers[i]), "--alert-header", err,
                       errlen) < 0)
            goto fail;
    if (c->header_file && load_header_file(&w->extra_headers, &hl,
                                           c->header_file, err, errlen) < 0)
        goto fail;
    if (w->tls) {
        w->peer.ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (!w->peer.ssl_ctx)
            goto tls_fail;
        SSL_CTX_set_min_proto_version(w->peer.ssl_ctx, TLS1_2_VERSION);
        if (c->insecure) {
            SSL_CTX_set_verify(w->peer.ssl_ctx, SSL_VERIFY_NONE, NULL);
        } else {
            SSL_CTX_set_verify(w->peer.ssl_ctx, SSL_VERIFY_PEER, NULL);
            if (c->ca_file ? SSL_CTX_load_verify_locations(w->peer.ssl_ctx,
                                                           c->ca_file,
                                                           NULL) != 1
                           : SSL_CTX_set_default_verify_paths(w->peer.ssl_ctx)
                                 != 1)
                goto tls_fail;
        }
    }
    return w;
tls_fail: {
        unsigned long e = ERR_get_error();
        char why[200];
        ERR_error_string_n(e, why, sizeof(why));
        ERR_clear_error();
        snprintf(err, errlen, "TLS setup failed (%s)", e ? why : "?");
    }
fail:
    webhook_free(w);
    return NULL;
}

/* ===== bodies ===== */

/* Appends s[0..n) as it is. Returns 0, or -1 when out of memory. */
static int put(struct json_buf *b, const char *s, size_t n)
{
    jb_raw(b, s, n);
    return jb_failed(b) ? -1 : 0;
}

#define put_lit(b, s) put((b), (s), sizeof(s) - 1)

/* A field of the alert as text for the summary, or NULL. */
static const char *field_text(const struct json_value *a, const char *key,
                              char *tmp, size_t tmplen)
{
    const struct json_value *v = json_get(a, key);

    if (!v)
        return NULL;
    if (v->type == JSON_STRING)
        return v->u.str.s;
    if (v->type == JSON_NUMBER) {
        snprintf(tmp, tmplen, "%.15g", v->u.num.d);
        return tmp;
    }
    return NULL;
}

/* Appends s to text[*n..cap) with Slack's three escapes (&, <, >): a
** certificate's names are the attacker's text, and "<!channel>" or
** "<https://evil|bank>" must arrive as text, not as a mention or a link.
** Truncates at cap. */
static void put_escaped(char *text, size_t cap, size_t *n, const char *s)
{
    for (; *s && *n + 6 < cap; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;"
                      : *s == '>' ? "&gt;" : NULL;
        if (e) {
            memcpy(text + *n, e, strlen(e));
            *n += strlen(e);
        } else {
            text[(*n)++] = *s;
        }
    }
}

/* Slack/Mattermost: {"text":"certmon RULE: DOMAIN (brand B, technique T,
** score S, issuer I)"} from the alert's fields, those present. */
static int slack_body(const char *line, size_t len, struct json_buf *b)
{
    static const char *const extra[] = { "brand", "technique", "score",
                                         "issuer" };
    char err[128], tmp[64], text[2048];
    struct json_value *a = json_parse(line, len, err, sizeof(err));
    const char *v;
    size_t n = 0;
    int any = 0;

    if (!a)
        return -1;
    put_escaped(text, sizeof(text), &n, "certmon ");
    v = field_text(a, "rule", tmp, sizeof(tmp));
    put_escaped(text, sizeof(text), &n, v ? v : "alert");
    put_escaped(text, sizeof(text), &n, ": ");
    v = field_text(a, "domain", tmp, sizeof(tmp));
    put_escaped(text, sizeof(text), &n, v ? v : "(no domain)");
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        v = field_text(a, extra[i], tmp, sizeof(tmp));
        if (!v)
            continue;
        put_escaped(text, sizeof(text), &n, any ? ", " : " (");
        put_escaped(text, sizeof(text), &n, extra[i]);
        put_escaped(text, sizeof(text), &n, " ");
        put_escaped(text, sizeof(text), &n, v);
        any = 1;
    }
    if (any)
        put_escaped(text, sizeof(text), &n, ")");
    json_free(a);
    jb_obj_begin(b);
    jb_key(b, "text");
    jb_str(b, text, n);
    jb_obj_end(b);
    return jb_failed(b) ? -1 : 0;
}

/* ===== the answer ===== */

/* Seconds from a Retry-After value (delta-seconds or an HTTP date). */
static unsigned retry_after_ms(const char *v)
{
    char *end;
    long s = strtol(v, &end, 10);
    struct tm tm;

    if (end != v && (*end == '\0' || *end == '\r' || *end == ' '))
        return s > 0 ? (unsigned)(s > 86400 ? 86400 : s) * 1000u : 0;
    memset(&tm, 0, sizeof(tm));
    if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
        time_t when = timegm(&tm), now = time(NULL);
        if (when > now)
            return (unsigned)(when - now > 86400 ? 86400 : when - now) * 1000u;
    }
    return 0;
}

/* Makes the one-line printable copy of the start of a body. */
static void snippet(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < outlen; i++)
        out[o++] = (s[i] >= ' ' && s[i] < 0x7f) ? s[i] : ' ';
    out[o] = '\0';
}

/* What the answer's head says. */
struct answer {
    int status;
    int http11;                 /* HTTP/1.1: persistent unless closed */
    int close;                  /* Connection: close */
    int chunked;                /* Transfer-Encoding: (not read, closed) */
    long long length;           /* Content-Length, -1 if none */
    unsigned retry_ms;          /* Retry-After */
};

/* The value of header name in head (NUL-terminated, ending before the
** blank line), or NULL; *len is set to its length without trailing
** blanks. */
static const char *header_value(const char *head, const char *name,
                                size_t *len)
{
    size_t nl = strlen(name);

    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl, *e;
            while (*v == ' ' || *v == '\t')
                v++;
            e = v + strcspn(v, "\r");
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
    return NULL;
}

/* Reads the status line and the headers of head into a. Returns 0, or -1
** when it is not an HTTP answer. */
static int parse_answer(const char *head, struct answer *a)
{
    const char *v;
    size_t n;
    int minor;

    memset(a, 0, sizeof *a);
    a->length = -1;
    if (sscanf(head, "HTTP/1.%1d %3d", &minor, &a->status) != 2 ||
        minor > 1 || a->status < 100 || a->status > 599)
        return -1;
    a->http11 = minor == 1;
    if ((v = header_value(head, "Connection", &n)) && n == 5 &&
        strncasecmp(v, "close", 5) == 0)
        a->close = 1;
    if ((v = header_value(head, "Transfer-Encoding", &n)) && n > 0)
        a->chunked = 1;         /* anything but identity: we do not decode */
    if ((v = header_value(head, "Content-Length", &n)) && n > 0 && n < 19 &&
        strspn(v, "0123456789") == n)
        a->length = strtoll(v, NULL, 10);
    if (a->status == 204 || a->status == 304)
        a->length = 0;
    if ((v = header_value(head, "Retry-After", &n)))
        a->retry_ms = retry_after_ms(v);
    return 0;
}

/* Sends req on w's connection and reads the answer's head into resp (cap
** WEBHOOK_MAX_HEADER_BYTES + 1; *got bytes, the head ending at *eoh, the
** body's first bytes after it). Returns 0, or -1 with why; *got 0 then
** means nothing came back. */
static int exchange(struct webhook *w, const struct json_buf *req,
                    char *resp, size_t *got, char **eoh, char *why,
                    size_t whylen)
{
    char e[256];

    *got = 0;
    *eoh = NULL;
    if (webhook_conn_write(&w->conn, req->data, req->len, e, sizeof e) < 0) {
        snprintf(why, whylen, "sending to %s: %s", w->host_header, e);
        return -1;
    }
    while (!*eoh) {
        ssize_t r;
        if (*got >= WEBHOOK_MAX_HEADER_BYTES) {
            snprintf(why, whylen, "answer headers over %d bytes",
                     WEBHOOK_MAX_HEADER_BYTES);
            return -1;
        }
        r = webhook_conn_read(&w->conn, resp + *got,
                              WEBHOOK_MAX_HEADER_BYTES - *got, e, sizeof e);
        if (r < 0) {
            snprintf(why, whylen, "%s: %s", w->host_header, e);
            return -1;
        }
        if (r == 0) {
            snprintf(why, whylen, "%s closed the connection %s",
                     w->host_header, *got ? "mid-answer" : "without an answer");
            return -1;
        }
        *got += (size_t)r;
        resp[*got] = '\0';
        *eoh = strstr(resp, "\r\n\r\n");
    }
    return 0;
}

/* Reads the answer's body after the have bytes of it already in buf:
** all of it when keep (the connection carries the next request), else
** only the first bytes the reason needs, and never past the body's end
** on a connection the receiver keeps open (waiting there would last the
** whole deadline): a chunked body gets one read (at least its last chunk
** follows the head), and a body of no stated length ends when the
** receiver closes. The first bytes end up in snip. Returns 1
** when keep and the whole body was read with nothing after it; 0 when
** the connection must be closed. */
static int read_body(struct webhook *w, char *buf, size_t have,
                     const struct answer *a, int keep, char *snip,
                     size_t sniplen)
{
    char e[256], tmp[4096];
    size_t kept = have;
    unsigned long long left = 0;
    int whole = 0, once = 0;

    if (a->length >= 0 && have > (unsigned long long)a->length) {
        kept = (size_t)a->length;       /* bytes beyond the answer */
    } else if (a->length >= 0) {
        left = (unsigned long long)a->length - have;
        whole = keep;
    } else if (a->chunked) {
        left = have ? 0 : WEBHOOK_BODY_SNIPPET;
        once = 1;
    } else {
        left = WEBHOOK_BODY_SNIPPET;    /* it ends when the receiver closes */
    }
    if (kept > WEBHOOK_BODY_SNIPPET)
        kept = WEBHOOK_BODY_SNIPPET;
    if (!whole && left > WEBHOOK_BODY_SNIPPET - kept)
        left = WEBHOOK_BODY_SNIPPET - kept;
    while (left > 0) {
        int to_buf = kept < WEBHOOK_BODY_SNIPPET;
        size_t room = to_buf ? WEBHOOK_BODY_SNIPPET - kept : sizeof tmp;
        ssize_t r = webhook_conn_read(&w->conn, to_buf ? buf + kept : tmp,
                                      left < room ? (size_t)left : room, e,
                                      sizeof e);
        if (r <= 0) {
            whole = 0;
            break;
        }
        if (to_buf)
            kept += (size_t)r;
        left -= (unsigned long long)r;
        if (once)
            break;
    }
    snippet(buf, kept, snip, sniplen);
    return whole;
}

/* One attempt: the request on the kept connection if there is one, or on
** a new one. A kept connection the receiver closed just as we sent (no
** byte of an answer) is retried at once on a new connection, within the
** same deadline: it says nothing about the receiver's health. */
static enum sink_result webhook_deliver(void *impl, const char *line,
                                        size_t len, unsigned timeout_ms,
                                        char *why, size_t whylen,
                                        unsigned *retry_ms)
{
    struct webhook *w = impl;
    struct json_buf req = { 0 }, body = { 0 };
    char head[512], resp[WEBHOOK_MAX_HEADER_BYTES + 1];
    char snip[WEBHOOK_BODY_SNIPPET + 1];
    size_t got = 0;
    char *eoh = NULL;
    struct answer a;
    int n, reused, keep = 0;
    enum sink_result result = SINK_RETRY;

    if (w->format == ALERT_FORMAT_SLACK) {
        if (slack_body(line, len, &body) < 0) {
            snprintf(why, whylen, "alert is not valid JSON");
            result = SINK_REJECTED;
            goto done;
        }
    } else if (put(&body, line, len) < 0) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    n = snprintf(head, sizeof(head),
                 "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: certmon\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 w->path, w->host_header, body.len);
    if (n < 0 || n >= (int)sizeof(head) || put(&req, head, (size_t)n) < 0 ||
        (w->extra_headers &&
         put(&req, w->extra_headers, strlen(w->extra_headers)) < 0) ||
        put_lit(&req, "\r\n") < 0 || put(&req, body.data, body.len) < 0) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    reused = webhook_conn_reusable(&w->conn, mono_ms(),
                                   webhook_tuning.keepalive_idle_ms);
    w->conn.deadline_ns = mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (w->conn.fd < 0 &&
            webhook_conn_open(&w->conn, &w->peer, why, whylen) < 0)
            goto done;
        if (exchange(w, &req, resp, &got, &eoh, why, whylen) == 0)
            break;
        webhook_conn_close(&w->conn);
        if (!reused || got > 0 || mono_ns() >= w->conn.deadline_ns)
            goto done;
        reused = 0;
    }
    if (parse_answer(resp, &a) < 0) {
        snippet(resp, strcspn(resp, "\r\n"), snip, sizeof(snip));
        snprintf(why, whylen, "not an HTTP answer: '%s'", snip);
        goto done;
    }
    *eoh = '\0';
    *retry_ms = a.retry_ms;
    keep = a.http11 && !a.close && !a.chunked && a.length >= 0 &&
           (unsigned long long)a.length <= webhook_tuning.keepalive_body_max;
    {
        size_t have = got - (size_t)(eoh + 4 - resp);
        memmove(resp, eoh + 4, have);
        if (!keep && a.status >= 200 && a.status < 300)
            snip[0] = '\0';             /* delivered: the body is not needed */
        else
            keep = read_body(w, resp, have, &a, keep, snip, sizeof snip);
    }
    if (a.status >= 200 && a.status < 300) {
        result = SINK_DELIVERED;
    } else if (a.status == 429 || a.status >= 500) {
        snprintf(why, whylen, "HTTP %d from %s%s: %s", a.status,
                 w->host_header, a.retry_ms ? " (Retry-After honoured)" : "",
                 snip[0] ? snip : "(empty body)");
    } else {
        snprintf(why, whylen, "HTTP %d from %s, not retried: %s", a.status,
                 w->host_header, snip[0] ? snip : "(empty body)");
        result = SINK_REJECTED;
    }
done:
    if (keep)
        w->conn.idle_since_ms = mono_ms();
    else
        webhook_conn_close(&w->conn);
    jb_free(&req);
    jb_free(&body);
    return result;
}

const struct sink_kind webhook_sink_kind = {
    .prefix = "webhook",
    .option = "--alert-webhook",
    .create = webhook_sink_new,
    .deliver = webhook_deliver,
    .free = webhook_free,
};
