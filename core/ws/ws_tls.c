/*
** ws_tls.c: OpenSSL client over memory BIOs. See ws_tls.h.
*/
#include "ws/ws_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct ws_tls_ctx {
    SSL_CTX *ssl_ctx;
    int insecure;
};

struct ws_tls {
    SSL *ssl;
    BIO *rbio;                    /* server -> OpenSSL */
    BIO *wbio;                    /* OpenSSL -> server */
};

/* The oldest OpenSSL error as text, or fallback; clears the queue. */
static void ssl_reason(char *out, size_t outlen, const char *fallback)
{
    unsigned long e = ERR_get_error();

    if (e)
        ERR_error_string_n(e, out, outlen);
    else
        snprintf(out, outlen, "%s", fallback);
    ERR_clear_error();
}

struct ws_tls_ctx *ws_tls_ctx_new(const char *ca_file, int insecure,
                                  char *err, size_t errlen)
{
    struct ws_tls_ctx *c = calloc(1, sizeof *c);
    char why[200];

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->insecure = insecure;
    c->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ssl_ctx)
        goto ssl_fail;
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    if (insecure) {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
        if (ca_file) {
            if (SSL_CTX_load_verify_locations(c->ssl_ctx, ca_file, NULL) != 1)
                goto ssl_fail;
        } else if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
            goto ssl_fail;
        }
    }
    return c;

ssl_fail:
    ssl_reason(why, sizeof why, "unknown error");
    snprintf(err, errlen, "TLS setup failed (%s)", why);
    ws_tls_ctx_free(c);
    return NULL;
}

void ws_tls_ctx_free(struct ws_tls_ctx *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ssl_ctx);
    free(c);
}

static int is_ip_literal(const char *host)
{
    unsigned char a[16];

    return inet_pton(AF_INET, host, a) == 1 ||
           inet_pton(AF_INET6, host, a) == 1;
}

struct ws_tls *ws_tls_new(struct ws_tls_ctx *c, const char *host,
                          char *err, size_t errlen)
{
    struct ws_tls *t = calloc(1, sizeof *t);
    char why[200];
    int ip = is_ip_literal(host);

    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->ssl = SSL_new(c->ssl_ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio)
        goto fail;
    /* an empty read BIO means "wait for more", not end of stream */
    BIO_set_mem_eof_return(t->rbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);      /* t->ssl owns them now */
    SSL_set_connect_state(t->ssl);
    /* SNI carries names only (RFC 6066 3) */
    if (!ip && SSL_set_tlsext_host_name(t->ssl, host) != 1)
        goto fail;
    if (!c->insecure) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
        if (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1
               : SSL_set1_host(t->ssl, host) != 1)
            goto fail;
    }
    return t;

fail:
    ssl_reason(why, sizeof why, "out of memory");
    snprintf(err, errlen, "TLS setup failed (%s)", why);
    if (t->ssl) {
        ws_tls_free(t);
    } else {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        free(t);
    }
    return NULL;
}

void ws_tls_free(struct ws_tls *t)
{
    if (!t)
        return;
    if (SSL_get_rbio(t->ssl)) {
        SSL_free(t->ssl);             /* frees both BIOs */
    } else {
        SSL_free(t->ssl);
        BIO_free(t->rbio);
        BIO_free(t->wbio);
    }
    free(t);
}

int ws_tls_feed(struct ws_tls *t, const void *data, size_t len)
{
    while (len) {
        int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
        int n = BIO_write(t->rbio, data, chunk);
        if (n <= 0)
            return -1;
        data = (const char *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

/* Explains a failed SSL call: the certificate verdict first, since that
** is the usual reason and the one a user can act on. */
static void describe_failure(struct ws_tls *t, int rc, char *err,
                             size_t errlen)
{
    long v = SSL_get_verify_result(t->ssl);
    int e = SSL_get_error(t->ssl, rc);
    char why[200];

    if (v != X509_V_OK) {
        snprintf(err, errlen, "server certificate rejected (%s)",
                 X509_verify_cert_error_string(v));
        ERR_clear_error();
    } else if (e == SSL_ERROR_ZERO_RETURN) {
        snprintf(err, errlen, "closed by the server (TLS close_notify)");
    } else {
        ssl_reason(why, sizeof why, e == SSL_ERROR_SYSCALL
                   ? "unexpected end of stream" : "unknown error");
        snprintf(err, errlen, "TLS error (%s)", why);
    }
}

enum ws_tls_result ws_tls_handshake(struct ws_tls *t, char *err,
                                    size_t errlen)
{
    int rc = SSL_do_handshake(t->ssl);

    if (rc == 1)
        return WS_TLS_DONE;
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return WS_TLS_AGAIN;
    default:
        describe_failure(t, rc, err, errlen);
        return WS_TLS_FAIL;
    }
}

ssize_t ws_tls_read(struct ws_tls *t, void *buf, size_t cap, char *err,
                    size_t errlen)
{
    size_t got = 0;
    int rc;

    if (!cap)
        return 0;
    rc = SSL_read_ex(t->ssl, buf, cap, &got);
    if (rc == 1)
        return (ssize_t)got;
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    default:
        describe_failure(t, rc, err, errlen);
        return -1;
    }
}

int ws_tls_write(struct ws_tls *t, const void *data, size_t len, char *err,
                 size_t errlen)
{
    size_t done = 0;

    while (done < len) {
        size_t n = 0;
        /* a memory BIO takes everything, so a write is never partial
        ** except during a renegotiation-like exchange */
        if (SSL_write_ex(t->ssl, (const char *)data + done, len - done,
                         &n) != 1) {
            describe_failure(t, 0, err, errlen);
            return -1;
        }
        done += n;
    }
    return 0;
}

size_t ws_tls_pending_out(const struct ws_tls *t)
{
    return BIO_ctrl_pending(SSL_get_wbio(t->ssl));
}

size_t ws_tls_take_out(struct ws_tls *t, void *buf, size_t cap)
{
    int n;

    if (cap > (1u << 30))
        cap = 1u << 30;
    n = BIO_read(SSL_get_wbio(t->ssl), buf, (int)cap);
    return n > 0 ? (size_t)n : 0;
}
