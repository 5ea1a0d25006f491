/*
** alert_sink_webhook.c: HTTP(S) POST of each alert (--alert-webhook).
**
** A small blocking HTTP/1.1 client of our own, on the sink's dedicated
** thread, one connection per alert ("Connection: close"). Why not
** libwebsockets' HTTP client: it needs its own event-loop context and
** service thread, and its callbacks would have to be bridged back to this
** thread for every attempt; a blocking client over a non-blocking socket
** with poll() gives each attempt a real overall deadline in ~300 lines,
** and alerts are rare enough that a connection per alert costs nothing
** that matters. TLS is OpenSSL on the socket (SSL_set_fd), verified as
** for --url: the system store or --ca-file, host name or IP checked,
** TLS 1.2 or later; --insecure turns verification off for both.
**
** Results: 2xx delivered; 429, 5xx and every network or TLS error are
** retried (Retry-After, in seconds or as an HTTP date, is passed on);
** any other status is a rejection, never retried, reported with the
** status and the start of the body. Header values are never put in a
** reason or a log line.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json_buf.h"
#include "json_parse.h"
#include "mono_clock.h"
#include "sinks/alert_sink_kind.h"
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
    SSL_CTX *ssl_ctx;
    int insecure;
};

struct conn {
    int fd;
    SSL *ssl;
    int64_t deadline_ns;
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
    free(w->host);
    free(w->path);
    free(w->host_header);
    if (w->extra_headers) {             /* may hold a secret */
        OPENSSL_cleanse(w->extra_headers, strlen(w->extra_headers));
        free(w->extra_headers);
    }
    SSL_CTX_free(w->ssl_ctx);
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
    w->insecure = c->insecure;
    if (parse_url(w, url, err, errlen) < 0)
        goto fail;
    for (size_t i = 0; i < c->n_headers; i++)
        if (add_header(&w->extra_headers, &hl, c->headers[i],
                       strlen(c->headers[i]), "--alert-header", err,
                       errlen) < 0)
            goto fail;
    if (c->header_file && load_header_file(&w->extra_headers, &hl,
                                           c->header_file, err, errlen) < 0)
        goto fail;
    if (w->tls) {
        w->ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (!w->ssl_ctx)
            goto tls_fail;
        SSL_CTX_set_min_proto_version(w->ssl_ctx, TLS1_2_VERSION);
        if (c->insecure) {
            SSL_CTX_set_verify(w->ssl_ctx, SSL_VERIFY_NONE, NULL);
        } else {
            SSL_CTX_set_verify(w->ssl_ctx, SSL_VERIFY_PEER, NULL);
            if (c->ca_file ? SSL_CTX_load_verify_locations(w->ssl_ctx,
                                                           c->ca_file,
                                                           NULL) != 1
                           : SSL_CTX_set_default_verify_paths(w->ssl_ctx)
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

/* ===== one connection ===== */

static int remaining_ms(const struct conn *c)
{
    int64_t left = (c->deadline_ns - mono_ns()) / 1000000;

    return left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(struct conn *c, short events)
{
    struct pollfd pfd = { .fd = c->fd, .events = events };
    int ms, r;

    for (;;) {
        ms = remaining_ms(c);
        if (ms == 0)
            return -1;
        r = poll(&pfd, 1, ms);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static void ssl_why(char *why, size_t whylen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[200];

    if (e) {
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(why, whylen, "%s: %s", what, buf);
    } else {
        snprintf(why, whylen, "%s", what);
    }
    ERR_clear_error();
}

/* Connects to w within the conn's deadline (the DNS lookup is bounded
** by the resolver's own timeouts, not by it). Returns 0 or -1 with why. */
static int conn_open(struct webhook *w, struct conn *c, char *why,
                     size_t whylen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM }, *res, *ai;
    int rc, saved = 0;

    c->fd = -1;
    c->ssl = NULL;
    rc = getaddrinfo(w->host, w->port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "DNS lookup of %s failed: %s", w->host,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
                        SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        c->fd = fd;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            socklen_t sl = sizeof(saved);
            if (errno != EINPROGRESS) {
                saved = errno;
                goto next;
            }
            if (wait_fd(c, POLLOUT) < 0) {
                saved = ETIMEDOUT;
                goto next;
            }
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &sl) < 0)
                saved = errno;
            if (saved)
                goto next;
        }
        break;
next:
        close(fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        snprintf(why, whylen, "cannot connect to %s port %s: %s", w->host,
                 w->port, strerror(saved ? saved : ECONNREFUSED));
        return -1;
    }
    {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (!w->tls)
        return 0;
    c->ssl = SSL_new(w->ssl_ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        goto tls_fail;
    {
        unsigned char a[16];
        int ip = inet_pton(AF_INET, w->host, a) == 1 ||
                 inet_pton(AF_INET6, w->host, a) == 1;
        if (!ip && SSL_set_tlsext_host_name(c->ssl, w->host) != 1)
            goto tls_fail;
        if (!w->insecure &&
            (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
                                                w->host) != 1
                : SSL_set1_host(c->ssl, w->host) != 1))
            goto tls_fail;
    }
    for (;;) {
        int r = SSL_connect(c->ssl), e;
        if (r == 1)
            return 0;
        e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0) {
                snprintf(why, whylen, "TLS handshake with %s timed out",
                         w->host);
                return -1;
            }
            continue;
        }
        if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
            snprintf(why, whylen, "TLS: certificate of %s not trusted: %s",
                     w->host, X509_verify_cert_error_string(
                         SSL_get_verify_result(c->ssl)));
            ERR_clear_error();
            return -1;
        }
        ssl_why(why, whylen, "TLS handshake failed");
        return -1;
    }
tls_fail:
    ssl_why(why, whylen, "TLS setup failed");
    return -1;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Writes all of buf. Returns 0 or -1 with why. */
static int conn_write(struct conn *c, const char *buf, size_t len,
                      char *why, size_t whylen)
{
    size_t off = 0;

    while (off < len) {
        if (c->ssl) {
            size_t done = 0;
            int r = SSL_write_ex(c->ssl, buf + off, len - off, &done), e;
            if (r == 1) {
                off += done;
                continue;
            }
            e = SSL_get_error(c->ssl, r);
            if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
                wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) == 0)
                continue;
            ssl_why(why, whylen, remaining_ms(c) ? "sending failed"
                                                 : "timed out sending");
            return -1;
        } else {
            ssize_t w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(c, POLLOUT) == 0)
                continue;
            snprintf(why, whylen, "%s", w < 0 && errno != EAGAIN
                     ? strerror(errno) : "timed out sending");
            return -1;
        }
    }
    return 0;
}

/* Reads up to cap bytes. Returns the count, 0 at end of stream, -1 on
** error or timeout (why set). */
static ssize_t conn_read(struct conn *c, char *buf, size_t cap, char *why,
                         size_t whylen)
{
    for (;;) {
        if (c->ssl) {
            size_t got = 0;
            int r = SSL_read_ex(c->ssl, buf, cap, &got), e;
            if (r == 1)
                return (ssize_t)got;
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
                wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) == 0)
                continue;
            if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
                remaining_ms(c))
                return 0;       /* closed without close_notify */
            ssl_why(why, whylen, remaining_ms(c) ? "reading failed"
                                                 : "timed out waiting for "
                                                   "the answer");
            return -1;
        } else {
            ssize_t n = recv(c->fd, buf, cap, 0);
            if (n >= 0)
                return n;
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(c, POLLIN) == 0)
                continue;
            snprintf(why, whylen, "%s", errno != EAGAIN
                     ? strerror(errno) : "timed out waiting for the answer");
            return -1;
        }
    }
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

static enum sink_result webhook_deliver(void *impl, const char *line,
                                        size_t len, unsigned timeout_ms,
                                        char *why, size_t whylen,
                                        unsigned *retry_ms)
{
    struct webhook *w = impl;
    struct conn c = { .fd = -1,
                      .deadline_ns = mono_ns() + (int64_t)timeout_ms * 1000000 };
    struct json_buf req = { 0 }, body = { 0 };
    char head[512], resp[WEBHOOK_MAX_HEADER_BYTES + 1], snip[WEBHOOK_BODY_SNIPPET + 1];
    size_t got = 0;
    char *eoh = NULL, *p;
    int status, n;
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
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n", w->path, w->host_header, body.len);
    if (n < 0 || n >= (int)sizeof(head) || put(&req, head, (size_t)n) < 0 ||
        (w->extra_headers &&
         put(&req, w->extra_headers, strlen(w->extra_headers)) < 0) ||
        put_lit(&req, "\r\n") < 0 || put(&req, body.data, body.len) < 0) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    if (conn_open(w, &c, why, whylen) < 0)
        goto done;
    if (conn_write(&c, req.data, req.len, head, sizeof(head)) < 0) {
        snprintf(why, whylen, "sending to %s: %s", w->host_header, head);
        goto done;
    }
    while (!eoh) {
        ssize_t r;
        if (got >= WEBHOOK_MAX_HEADER_BYTES) {
            snprintf(why, whylen, "answer headers over %d bytes",
                     WEBHOOK_MAX_HEADER_BYTES);
            goto done;
        }
        r = conn_read(&c, resp + got, WEBHOOK_MAX_HEADER_BYTES - got, head,
                      sizeof(head));
        if (r < 0) {
            snprintf(why, whylen, "%s: %s", w->host_header, head);
            goto done;
        }
        if (r == 0) {
            snprintf(why, whylen, "%s closed the connection %s",
                     w->host_header, got ? "mid-answer" : "without an answer");
            goto done;
        }
        got += (size_t)r;
        resp[got] = '\0';
        eoh = strstr(resp, "\r\n\r\n");
    }
    if (sscanf(resp, "HTTP/1.%*[01] %3d", &status) != 1 || status < 100 ||
        status > 599) {
        snippet(resp, strcspn(resp, "\r\n"), snip, sizeof(snip));
        snprintf(why, whylen, "not an HTTP answer: '%s'", snip);
        goto done;
    }
    if (status >= 200 && status < 300) {
        result = SINK_DELIVERED;
        goto done;
    }
    /* Retry-After, and the start of the body for the reason */
    *eoh = '\0';
    for (p = strstr(resp, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "Retry-After:", 12) == 0) {
            const char *v = p + 14;
            while (*v == ' ' || *v == '\t')
                v++;
            *retry_ms = retry_after_ms(v);
        }
    {
        size_t have = got - (size_t)(eoh + 4 - resp);
        memmove(resp, eoh + 4, have);
        while (have < WEBHOOK_BODY_SNIPPET) {
            ssize_t r = conn_read(&c, resp + have,
                                  WEBHOOK_BODY_SNIPPET - have, head,
                                  sizeof(head));
            if (r <= 0)
                break;
            have += (size_t)r;
        }
        snippet(resp, have < WEBHOOK_BODY_SNIPPET ? have
                                                  : WEBHOOK_BODY_SNIPPET,
                snip, sizeof(snip));
    }
    if (status == 429 || status >= 500) {
        snprintf(why, whylen, "HTTP %d from %s%s: %s", status,
                 w->host_header, *retry_ms ? " (Retry-After honoured)" : "",
                 snip[0] ? snip : "(empty body)");
    } else {
        snprintf(why, whylen, "HTTP %d from %s, not retried: %s", status,
                 w->host_header, snip[0] ? snip : "(empty body)");
        result = SINK_REJECTED;
    }
done:
    conn_close(&c);
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
