/*
** ct_loglist_fetch.c: fetch, verify, cache, fall back.
**
** The GET is an lws client run to completion on a context of its own:
** made for the request at start, before the CT source starts; kept by
** the source's refresh thread (ct_refresh.c, struct ct_http_client)
** while it runs. Two small requests never need the CT source's scheduler
** or stall its loop.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "ct/ct_loglist_fetch.h"
#include "log.h"
#include "mono_clock.h"
#include "ws/ws_url.h"

#define LIST_MAX_BYTES (16u << 20)
#define SIG_MAX_BYTES 4096

/* ===== a plain GET ===== */

struct get {
    char *body;
    size_t len, cap, max;
    int status, done, failed;
    char why[128];
};

static int get_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len)
{
    struct get *g = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (g) {
            snprintf(g->why, sizeof(g->why), "%s",
                     in ? (const char *)in : "cannot connect");
            g->failed = g->done = 1;
            lws_set_opaque_user_data(wsi, NULL);
        }
        break;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (g)
            g->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!g)
            break;
        if (g->len + len + 1 > g->max) {
            snprintf(g->why, sizeof(g->why), "answer over %zu bytes", g->max);
            g->failed = g->done = 1;
            lws_set_opaque_user_data(wsi, NULL);
            return -1;
        }
        if (g->len + len + 1 > g->cap) {
            size_t ncap = (g->len + len + 1) * 2;
            char *nb = realloc(g->body, ncap);
            if (!nb) {
                snprintf(g->why, sizeof(g->why), "out of memory");
                g->failed = g->done = 1;
                lws_set_opaque_user_data(wsi, NULL);
                return -1;
            }
            g->body = nb;
            g->cap = ncap;
        }
        memcpy(g->body + g->len, in, len);
        g->len += len;
        g->body[g->len] = '\0';
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096], *p = buf + LWS_PRE;
        int n = sizeof(buf) - LWS_PRE;
        if (lws_http_client_read(wsi, &p, &n) < 0)
            return -1;
        break;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        /* g lives only until the request ends: the connection lets go */
        if (g) {
            g->done = 1;
            lws_set_opaque_user_data(wsi, NULL);
        }
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (g && !g->done) {
            snprintf(g->why, sizeof(g->why), "connection closed early");
            g->failed = g->done = 1;
            lws_set_opaque_user_data(wsi, NULL);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols get_protocols[] = {
    { "loglist-http", get_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void tick_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
}

int ct_http_get(const char *url, const char *ca_file, int insecure,
                unsigned timeout_ms, size_t max_bytes, char **body,
                size_t *len, int *status, char *err, size_t errlen)
{
    return ct_http_get_cancel(NULL, url, ca_file, insecure, timeout_ms,
                              max_bytes, NULL, body, len, status, err,
                              errlen);
}

struct ct_http_client {
    struct lws_context *ctx;
    SSL_CTX *tls;               /* ours: libwebsockets does not free it */
};

/* With libwebsockets 4.1, of two contexts alive at once that each made
** their client SSL_CTX, the one made first never frees it (LeakSanitizer
** shows it at exit; lws appears to find its bookkeeping through an
** ex_data slot number that every new context's global TLS set-up
** replaces). So this context, made before the CT source's, is given an
** SSL_CTX of ours, trusting the same CAs, which we free. */
struct ct_http_client *ct_http_client_new(const char *ca_file)
{
    struct lws_context_creation_info info;
    struct ct_http_client *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (!(c->tls = SSL_CTX_new(TLS_client_method())) ||
        (ca_file ? SSL_CTX_load_verify_locations(c->tls, ca_file, NULL)
                 : SSL_CTX_set_default_verify_paths(c->tls)) != 1) {
        ct_http_client_free(c);
        return NULL;
    }
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = get_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.provided_client_ssl_ctx = c->tls;
    if (!(c->ctx = lws_create_context(&info))) {
        ct_http_client_free(c);
        return NULL;
    }
    return c;
}

void ct_http_client_free(struct ct_http_client *c)
{
    if (!c)
        return;
    if (c->ctx)
        lws_context_destroy(c->ctx);
    SSL_CTX_free(c->tls);
    free(c);
}

int ct_http_get_cancel(struct ct_http_client *client, const char *url,
                       const char *ca_file, int insecure,
                       unsigned timeout_ms, size_t max_bytes,
                       const atomic_int *cancel, char **body, size_t *len,
                       int *status, char *err, size_t errlen)
{
    struct lws_client_connect_info ci;
    struct lws_context *ctx = client ? client->ctx : NULL;
    struct lws *wsi = NULL;
    lws_sorted_usec_list_t tick;
    struct ws_url u = { 0 };
    struct get g = { .max = max_bytes };
    char host[300];
    int64_t deadline = mono_ms() + timeout_ms;
    int rc = -1;

    *body = NULL;
    *len = 0;
    memset(&tick, 0, sizeof(tick));
    if (ws_url_parse_http(&u, url, err, errlen) < 0)
        goto done;
    if (!client) {
        struct lws_context_creation_info info;

        lws_set_log_level(LLL_ERR, NULL);
        memset(&info, 0, sizeof(info));
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = get_protocols;
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = ca_file;
        if (!(ctx = lws_create_context(&info))) {
            err_set(err, errlen, "cannot create an HTTP client");
            goto done;
        }
    }
    ws_url_host_header(&u, host, sizeof(host));
    memset(&ci, 0, sizeof(ci));
    ci.context = ctx;
    ci.address = u.host;
    ci.port = u.port;
    ci.path = u.path;
    ci.host = host;
    ci.origin = host;
    ci.method = "GET";
    ci.protocol = get_protocols[0].name;
    ci.alpn = "http/1.1";
    ci.opaque_user_data = &g;
    if (u.tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                 LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED;
    }
    if (!(wsi = lws_client_connect_via_info(&ci)) && !g.done) {
        err_set(err, errlen, "%s: cannot connect", url);
        goto done;
    }
    while (!g.done) {
        if (cancel && atomic_load(cancel)) {
            err_set(err, errlen, "%s: cancelled", url);
            goto done;
        }
        if (mono_ms() >= deadline) {
            err_set(err, errlen, "%s: no answer within %u s", url,
                    timeout_ms / 1000);
            goto done;
        }
        /* libwebsockets ignores the service timeout: a tick makes
        ** lws_service return, so the deadline and the flag are seen */
        lws_sul_schedule(ctx, 0, &tick, tick_cb, 100 * LWS_US_PER_MS);
        lws_service(ctx, 0);
    }
    if (g.failed) {
        err_set(err, errlen, "%s: %s", url, g.why);
        goto done;
    }
    *body = g.body ? g.body : calloc(1, 1);
    g.body = NULL;
    *len = g.len;
    *status = g.status;
    rc = *body ? 0 : -1;
done:
    if (ctx)
        lws_sul_cancel(&tick);
    if (wsi && !g.done) {
        /* cancelled or timed out on a shared context: g goes away */
        lws_set_opaque_user_data(wsi, NULL);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    if (ctx && !client)
        lws_context_destroy(ctx);
    free(g.body);
    ws_url_free(&u);
    return rc;
}

/* ===== signature ===== */

int ct_loglist_verify(const char *data, size_t len, const unsigned char *sig,
                      size_t siglen, const char *key_path, char *err,
                      size_t errlen)
{
    FILE *f = fopen(key_path, "r");
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    int rc = -1;

    if (!f) {
        err_set(err, errlen, "cannot open the log list key %s: %s",
                key_path, strerror(errno));
        return -1;
    }
    key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!key) {
        err_set(err, errlen, "%s is not a PEM public key", key_path);
        return -1;
    }
    if (!(md = EVP_MD_CTX_new()) ||
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1) {
        err_set(err, errlen, "cannot set up the signature check");
        goto done;
    }
    if (EVP_DigestVerify(md, sig, siglen, (const unsigned char *)data,
                         len) != 1) {
        err_set(err, errlen, "the signature does not verify with %s",
                key_path);
        goto done;
    }
    rc = 0;
done:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

/* ===== files ===== */

static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;

    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size >= 0 &&
        (size_t)st.st_size <= max && (buf = malloc((size_t)st.st_size + 1))) {
        *len = fread(buf, 1, (size_t)st.st_size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Writes data to path through a temporary file and a rename. */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "wb")))
        return -1;
    if (fwrite(data, 1, len, f) != len || fflush(f) || fclose(f)) {
        remove(tmp);
        return -1;
    }
    return rename(tmp, path);
}

/* The .sig URL for a .json URL. */
static void sig_url(const char *url, char *out, size_t outlen)
{
    size_t n = strlen(url);

    if (n > 5 && !strcmp(url + n - 5, ".json"))
        snprintf(out, outlen, "%.*s.sig", (int)(n - 5), url);
    else
        snprintf(out, outlen, "%s.sig", url);
}

/* Fetches list and signature, verifies, caches: 0 with path = the cached
** copy, -1 with the reason. */
static int fetch(const struct ct_loglist_fetch_config *c, const char *url,
                 char *path, size_t pathlen, char *err, size_t errlen)
{
    char surl[2048], sig_path[4096];
    char *list = NULL, *sig = NULL;
    size_t list_len = 0, sig_len = 0;
    int status = 0, rc = -1;

    sig_url(url, surl, sizeof(surl));
    if (ct_http_get_cancel(c->http, url, c->ca_file, c->insecure,
                           c->timeout_ms,
                           LIST_MAX_BYTES, c->cancel, &list, &list_len,
                           &status, err, errlen) < 0)
        goto done;
    if (status != 200) {
        err_set(err, errlen, "%s: HTTP %d", url, status);
        goto done;
    }
    if (ct_http_get_cancel(c->http, surl, c->ca_file, c->insecure,
                           c->timeout_ms,
                           SIG_MAX_BYTES, c->cancel, &sig, &sig_len,
                           &status, err, errlen) < 0)
        goto done;
    if (status != 200) {
        err_set(err, errlen, "%s: HTTP %d", surl, status);
        goto done;
    }
    if (ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                          c->key_path, err, errlen) < 0)
        goto done;
    if (!c->cache_dir) {
        err_set(err, errlen, "no state folder to keep the verified list in");
        goto done;
    }
    if (mkdir(c->cache_dir, 0700) < 0 && errno != EEXIST) {
        err_set(err, errlen, "cannot create %s: %s", c->cache_dir,
                strerror(errno));
        goto done;
    }
    snprintf(path, pathlen, "%s/log_list.json", c->cache_dir);
    snprintf(sig_path, sizeof(sig_path), "%s/log_list.sig", c->cache_dir);
    /* the signature first: a list is never on disk without its own */
    if (write_file(sig_path, sig, sig_len) < 0 ||
        write_file(path, list, list_len) < 0) {
        err_set(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(list);
    free(sig);
    return rc;
}

int ct_loglist_fetch_verified(const struct ct_loglist_fetch_config *c,
                              char *path, size_t pathlen, char *err,
                              size_t errlen)
{
    return fetch(c, c->url ? c->url : CT_LOGLIST_DEFAULT_URL, path, pathlen,
                 err, errlen);
}

/* 0 if path and its .sig next to it verify. */
static int verify_file(const char *path, const char *key_path, char *err,
                       size_t errlen)
{
    char sig_path[4096 + 8];
    char *list, *sig = NULL;
    size_t list_len = 0, sig_len = 0;
    int rc = -1;
    size_t n = strlen(path);

    if (n > 5 && !strcmp(path + n - 5, ".json"))
        snprintf(sig_path, sizeof(sig_path), "%.*s.sig", (int)(n - 5), path);
    else
        snprintf(sig_path, sizeof(sig_path), "%s.sig", path);
    if (!(list = read_file(path, LIST_MAX_BYTES, &list_len))) {
        err_set(err, errlen, "cannot read %s", path);
        return -1;
    }
    if (!(sig = read_file(sig_path, SIG_MAX_BYTES, &sig_len)))
        err_set(err, errlen, "cannot read %s", sig_path);
    else
        rc = ct_loglist_verify(list, list_len, (unsigned char *)sig, sig_len,
                               key_path, err, errlen);
    free(list);
    free(sig);
    return rc;
}

int ct_loglist_current(const struct ct_loglist_fetch_config *c, char *path,
                       size_t pathlen, char *err, size_t errlen)
{
    const char *url = c->url ? c->url : CT_LOGLIST_DEFAULT_URL;
    char why[512], cwhy[512], cache[4096];
    struct stat st;

    if (fetch(c, url, path, pathlen, why, sizeof(why)) == 0) {
        log_info("log list: fetched %s, signature verified", url);
        return 0;
    }
    if (c->cache_dir) {
        snprintf(cache, sizeof(cache), "%s/log_list.json", c->cache_dir);
        if (stat(cache, &st) == 0) {
            if (verify_file(cache, c->key_path, cwhy, sizeof(cwhy)) == 0) {
                log_warn("log list: cannot use %s (%s); using the verified "
                         "copy of an earlier fetch, %s", url, why, cache);
                snprintf(path, pathlen, "%s", cache);
                return 0;
            }
            log_warn("log list: the cached %s is not used: %s", cache, cwhy);
        }
    }
    if (stat(c->shipped_path, &st) != 0) {
        err_set(err, errlen, "log list: cannot use %s (%s), and there is no "
                "cached or shipped list (%s)", url, why, c->shipped_path);
        return -1;
    }
    log_warn("log list: cannot use %s (%s); using the snapshot shipped with "
             "certmon, %s", url, why, c->shipped_path);
    snprintf(path, pathlen, "%s", c->shipped_path);
    return 0;
}
