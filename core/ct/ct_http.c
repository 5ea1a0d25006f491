/*
** ct_http.c: one request to a log over libwebsockets' HTTP client.
**
** ct_http_issue builds the path for the log's API (get-sth/get-entries,
** or checkpoint/data tile/issuer), connects with the source's TLS
** settings and arms the timeout; the body is collected up to
** max_response_bytes (gzip inflated at the end). finish() ends a request
** once, whatever happened (answer, error, timeout, cancel), hands the
** body to the handler of its kind or the failure to the scheduler, and
** pumps the log.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "ct/ct_source_int.h"
#include "ct/ct_tiles.h"
#include "stats.h"
#include "url.h"

/* Ends a request once: handles its outcome, frees the slot, pumps. */
static void finish(struct slot *s, const char *error)
{
    struct log_run *lr = s->lr;
    char why[64];

    if (!s->busy)
        return;
    s->busy = 0;
    if (s->kind == REQ_ENTRIES)
        lr->n_busy--;
    lws_sul_cancel(&s->timeout);
    if (s->wsi)
        lws_set_opaque_user_data(s->wsi, NULL);
    s->wsi = NULL;
    if (lr->src->destroying) {
        /* the run is over: nothing to retry, nobody to pump */
    } else if (lr->gave_up) {
        /* cancelled by abandon(): its entries count as not read */
        if (s->kind == REQ_ENTRIES)
            ct_sched_push_retry(lr, s->start, s->end);
        goto out;
    } else if (error) {
        ct_sched_fail(lr, s, error);
    } else if (s->too_big) {
        ct_sched_fail(lr, s, "answer over the size cap");
        if (s->kind == REQ_ENTRIES && lr->batch.cap > 1)
            lr->batch.cap /= 2;
    } else if (s->kind == REQ_STH && lr->probing && s->status == 404) {
        /* not this API: try the other one at once (after both, back off) */
        int tried_both = lr->api == CT_API_STATIC;
        lr->api = lr->api == CT_API_STATIC ? CT_API_RFC6962 : CT_API_STATIC;
        if (tried_both)
            ct_sched_fail(lr, s, "answers neither get-sth nor checkpoint");
    } else if (s->kind == REQ_ISSUER && s->status == 404) {
        /* the log does not have it: chains go out without it */
        log_limited(&lr->errlog, LOG_WARN, "%s: issuer not found (404); "
                    "chains will lack it", lr->name);
        if (lr->iss_idx >= 0)
            lr->issuers[lr->iss_idx].state = ISS_FAILED;
        lr->iss_idx = -1;
        ct_iss_unpark(lr);
    } else if (s->status != 200) {
        snprintf(why, sizeof why, "HTTP %d", s->status);
        ct_sched_fail(lr, s, why);
    } else {
        const char *body = s->body ? s->body : "";
        size_t len = s->len;
        uint8_t *plain = NULL;
        size_t plen;

        if (stats_bench_on && s->kind != REQ_STH)
            stats_bench_source_start();     /* decoding and conversion count */
        if (s->gzip || ct_is_gzip((const uint8_t *)body, len)) {
            char err[128];
            if (ct_gunzip((const uint8_t *)body, len,
                          lr->src->cfg.max_response_bytes, &plain, &plen,
                          err, sizeof err) < 0) {
                ct_sched_fail(lr, s, err);
                goto out;
            }
            body = (const char *)plain;
            len = plen;
        }
        if (s->kind == REQ_STH)
            ct_sched_on_sth(lr, s, body, len);
        else if (s->kind == REQ_ISSUER)
            ct_iss_on_issuer(lr, s, body, len);
        else if (lr->api == CT_API_STATIC)
            ct_iss_on_tile(lr, s, body, len);
        else
            ct_src_on_entries(lr, s, body, len);
        free(plain);
    }
out:
    free(s->body);
    s->body = NULL;
    s->len = s->cap = 0;
    if (!lr->src->destroying && !lr->gave_up)
        ct_sched_pump(lr);
}

static void timeout_cb(lws_sorted_usec_list_t *sul)
{
    struct slot *s = lws_container_of(sul, struct slot, timeout);

    if (s->wsi)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    finish(s, "timed out");
}

void ct_http_issue(struct log_run *lr, struct slot *s, enum req_kind kind,
                   uint64_t start, uint64_t end)
{
    struct ct_src *src = lr->src;
    struct lws_client_connect_info i;
    char path[1200];
    unsigned width = 0;

    if (lr->api == CT_API_STATIC) {
        char tile[128], hex[65];
        uint64_t n = start / CT_TILE_WIDTH;

        if (kind == REQ_STH) {
            snprintf(path, sizeof path, "%scheckpoint", lr->base_path);
        } else if (kind == REQ_ISSUER) {
            ct_fp_hex(lr->issuers[lr->iss_idx].fp, hex);
            snprintf(path, sizeof path, "%sissuer/%s", lr->base_path, hex);
        } else {
            /* the widest tile the tree head allows: a partial one only
            ** when the full one cannot exist yet */
            width = ct_tile_width(n, lr->target);
            if (width < end - n * CT_TILE_WIDTH + 1)
                width = (unsigned)(end - n * CT_TILE_WIDTH + 1);
            ct_tile_path(tile, sizeof tile, CT_TILE_DATA, n, width);
            snprintf(path, sizeof path, "%s%s", lr->base_path, tile);
        }
    } else if (kind == REQ_STH) {
        snprintf(path, sizeof path, "%sct/v1/get-sth", lr->base_path);
    } else {
        snprintf(path, sizeof path, "%sct/v1/get-entries?start=%" PRIu64
                 "&end=%" PRIu64, lr->base_path, start, end);
    }
    memset(s, 0, sizeof *s);
    s->lr = lr;
    s->busy = 1;
    s->kind = kind;
    s->start = start;
    s->end = end;
    s->width = width;
    s->retry_after_ms = -1;
    if (kind == REQ_ENTRIES)
        lr->n_busy++;
    memset(&i, 0, sizeof i);
    i.context = src->ctx;
    i.address = lr->host;
    i.port = lr->port;
    i.path = path;
    i.host = lr->host_header;
    i.origin = lr->host_header;
    i.method = "GET";
    i.protocol = "ct-http";
    i.alpn = "http/1.1";
    i.opaque_user_data = s;
    i.pwsi = &s->wsi;
    if (lr->tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (src->cfg.insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED;
    }
    lws_sul_schedule(src->ctx, 0, &s->timeout, timeout_cb,
                     (lws_usec_t)src->cfg.timeout_ms * LWS_US_PER_MS);
    if (!lws_client_connect_via_info(&i) && s->busy) {
        s->wsi = NULL;
        finish(s, "cannot connect");
    }
}

/* Cancels a request in flight; finish() sees lr->gave_up. */
void ct_http_cancel(struct slot *s)
{
    if (!s->busy)
        return;
    if (s->wsi)
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    finish(s, "abandoned");
}

/* libwebsockets' own messages: details for -v only; what matters is
** reported through the log's errors. */
static void lws_log_emit(int level, const char *line)
{
    size_t n = strlen(line);

    (void)level;
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_debug("lws: %.*s", (int)n, line);
}

/* ---- libwebsockets callback --------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct slot *s = lws_get_opaque_user_data(wsi);
    char hdr[192];

    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        struct ct_src *src = lws_context_user(lws_get_context(wsi));
        if (!src)
            break;
        atomic_store(&src->poked, 0);
        ct_conv_collect(src);
        for (size_t k = 0; k < src->n; k++) {
            ct_commit_maybe(src->logs[k], 0);
            ct_sched_pump(src->logs[k]);
        }
        ct_refresh_on_poke(src);
        break;
    }
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        const char *ua;
        if (!s)
            break;
        ua = s->lr->src->user_agent;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT,
                                         (const unsigned char *)ua,
                                         (int)strlen(ua), p, end) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING,
                                         (const unsigned char *)"gzip, identity",
                                         14, p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (!s)
            break;
        s->status = (int)lws_http_client_http_response(wsi);
        if (lws_hdr_copy(wsi, hdr, sizeof hdr, WSI_TOKEN_HTTP_RETRY_AFTER) > 0)
            s->retry_after_ms = ct_retry_after_ms(hdr, ct_wall_ms());
        if (lws_hdr_copy(wsi, hdr, sizeof hdr,
                         WSI_TOKEN_HTTP_CONTENT_ENCODING) > 0 &&
            strcasestr(hdr, "gzip"))
            s->gzip = 1;
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 16384], *px = buf + LWS_PRE;
        int lenx = (int)sizeof buf - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!s || s->too_big)
            return 0;
        if (s->len + len > s->lr->src->cfg.max_response_bytes) {
            s->too_big = 1;
            return 0;
        }
        if (s->len + len + 1 > s->cap) {
            size_t nc = s->cap ? s->cap : 65536;
            char *p;
            while (nc < s->len + len + 1)
                nc *= 2;
            if (!(p = realloc(s->body, nc))) {
                s->too_big = 1;
                return 0;
            }
            s->body = p;
            s->cap = nc;
        }
        memcpy(s->body + s->len, in, len);
        s->len += len;
        s->body[s->len] = '\0';
        return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (s)
            finish(s, NULL);
        break;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        /* keep OpenSSL's verdict; remember why, for the log */
        if (s && !len && user && !s->tls_error[0])
            snprintf(s->tls_error, sizeof s->tls_error, "%s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(
                         (X509_STORE_CTX *)user)));
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s) {
            if (s->tls_error[0])
                snprintf(hdr, sizeof hdr, "TLS failure: server certificate "
                         "rejected (%s)", s->tls_error);
            else
                snprintf(hdr, sizeof hdr, "connection failed: %s",
                         in ? (const char *)in : "unknown");
            s->wsi = NULL;
            finish(s, hdr);
        }
        return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (s) {
            s->wsi = NULL;
            finish(s, "connection closed early");
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    { "ct-http", callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* The client context of src's run (NULL if it cannot be made), its
** libwebsockets messages routed to the log. */
struct lws_context *ct_http_context_new(struct ct_src *src)
{
    struct lws_context_creation_info info;

    lws_set_log_level(log_get_level() >= LOG_DEBUG ? LLL_ERR | LLL_WARN
                                                   : LLL_ERR, lws_log_emit);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = src;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = src->ca_file;
    return lws_create_context(&info);
}

/* Splits a normalised URL (ct_url_normalize) into host, port, TLS and
** base path, and the Host header it names. An IPv6 host or a
** user:password@ is refused, and so is a path that does not fit
** lr->base_path. */
int ct_http_split_url(struct log_run *lr, char *err, size_t errlen)
{
    static const char *const schemes[] = { "http", "https", NULL };
    struct url u;
    char why[160];

    if (url_split(&u, lr->url, schemes, URL_NO_USERINFO, why,
                  sizeof why) < 0) {
        snprintf(err, errlen, "%.200s: %s", lr->url, why);
        return -1;
    }
    if (u.ipv6 || url_copy(u.host, lr->host, sizeof lr->host) < 0) {
        snprintf(err, errlen, "%.200s: unsupported host", lr->url);
        return -1;
    }
    if (!u.path.p || u.query.p || u.fragment.p ||
        url_copy(u.path, lr->base_path, sizeof lr->base_path) < 0) {
        snprintf(err, errlen, "%.200s: no path, a query or fragment, or a "
                 "path over %zu bytes", lr->url, sizeof lr->base_path - 1);
        return -1;
    }
    lr->tls = u.tls;
    lr->port = u.port;
    /* RFC 9110: the Host header names a port that is not the scheme's */
    if (lr->port == (lr->tls ? 443 : 80))
        snprintf(lr->host_header, sizeof lr->host_header, "%s", lr->host);
    else
        snprintf(lr->host_header, sizeof lr->host_header, "%s:%d", lr->host,
                 lr->port);
    return 0;
}
