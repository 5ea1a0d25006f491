/*
** test_ws_tls.c: the memory-BIO TLS client (core/ws/ws_tls.c) against a real
** TLS server on 127.0.0.1: an OpenSSL server thread with a self-signed
** certificate made at run time (SAN localhost and 127.0.0.1). The client
** side moves bytes between a real TCP socket and ws_tls, as ws_source
** does with libwebsockets.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ws/ws_tls.h"

#define BIG_BYTES 300000            /* server -> client, many records */

static EVP_PKEY *key;
static X509 *cert;
static char ca_path[64];

/* A self-signed certificate for localhost / 127.0.0.1, written to
** ca_path for --ca-file. */
static int make_cert(void)
{
    X509_EXTENSION *ext;
    X509_NAME *name;
    FILE *f;
    int fd;

    key = EVP_EC_gen("P-256");
    cert = X509_new();
    if (!key || !cert)
        return -1;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                              "DNS:localhost,IP:127.0.0.1");
    if (!ext)
        return -1;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (!X509_sign(cert, key, EVP_sha256()))
        return -1;
    snprintf(ca_path, sizeof ca_path, "/tmp/test_ws_tls.XXXXXX");
    fd = mkstemp(ca_path);
    if (fd < 0 || !(f = fdopen(fd, "w")))
        return -1;
    PEM_write_X509(f, cert);
    fclose(f);
    return 0;
}

/* ------------------------------------------------------------- server */

struct server {
    int listen_fd;
    int port;
    pthread_t th;
    char sni[128];                  /* what the client asked for */
    int handshake_ok;
};

/* One connection: reads a line, answers "echo:" + the line, then sends
** BIG_BYTES of a pattern, then close_notify. */
static void *server_main(void *arg)
{
    struct server *s = arg;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int fd = accept(s->listen_fd, NULL, NULL);
    SSL *ssl;
    char line[256];
    size_t n = 0;

    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        char *big = malloc(BIG_BYTES);
        s->handshake_ok = 1;
        snprintf(s->sni, sizeof s->sni, "%s", sni ? sni : "");
        while (n < sizeof line - 1) {
            int r = SSL_read(ssl, line + n, 1);
            if (r <= 0 || line[n] == '\n')
                break;
            n++;
        }
        line[n] = '\0';
        SSL_write(ssl, "echo:", 5);
        SSL_write(ssl, line, (int)n);
        SSL_write(ssl, "\n", 1);
        for (size_t i = 0; i < BIG_BYTES; i++)
            big[i] = (char)('a' + i % 26);
        SSL_write(ssl, big, BIG_BYTES);
        free(big);
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return NULL;
}

static void server_start(struct server *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;

    memset(s, 0, sizeof *s);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(s->listen_fd, (struct sockaddr *)&a, sizeof a);
    listen(s->listen_fd, 1);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, server_main, s);
}

static void server_stop(struct server *s)
{
    pthread_join(s->th, NULL);
    close(s->listen_fd);
}

/* ------------------------------------------------------------- client */

struct result {
    int handshake_done;
    char err[256];
    char echo[256];
    size_t big_ok;                  /* pattern bytes received in order */
    int clean_close;
};

/* Sends all pending ciphertext on fd. */
static int flush_out(struct ws_tls *t, int fd)
{
    char buf[4096];
    size_t n;

    while ((n = ws_tls_take_out(t, buf, sizeof buf)))
        if (write(fd, buf, n) != (ssize_t)n)
            return -1;
    return 0;
}

/* Reads ciphertext from fd into t; -1 at end of stream or error. Reads
** in small odd pieces so records arrive split. */
static int pump_in(struct ws_tls *t, int fd)
{
    char buf[1000];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;

    if (poll(&p, 1, 10000) <= 0)
        return -1;
    n = read(fd, buf, sizeof buf - 7);
    if (n <= 0)
        return -1;
    return ws_tls_feed(t, buf, (size_t)n);
}

/* Connects to the server as host and runs the exchange. */
static void run_client(struct ws_tls_ctx *c, int port, const char *host,
                       struct result *r)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    struct ws_tls *t;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    enum ws_tls_result hr;
    size_t echo_len = 0;
    char buf[777];

    memset(r, 0, sizeof *r);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        snprintf(r->err, sizeof r->err, "connect failed");
        close(fd);
        return;
    }
    t = ws_tls_new(c, host, r->err, sizeof r->err);
    if (!t) {
        close(fd);
        return;
    }
    for (;;) {
        hr = ws_tls_handshake(t, r->err, sizeof r->err);
        if (flush_out(t, fd) || hr == WS_TLS_FAIL)
            goto out;
        if (hr == WS_TLS_DONE)
            break;
        if (pump_in(t, fd)) {
            snprintf(r->err, sizeof r->err, "eof during handshake");
            goto out;
        }
    }
    r->handshake_done = 1;
    if (ws_tls_write(t, "hello tls\n", 10, r->err, sizeof r->err) ||
        flush_out(t, fd))
        goto out;
    for (;;) {
        ssize_t n = ws_tls_read(t, buf, sizeof buf, r->err, sizeof r->err);
        if (n < 0) {
            r->clean_close = strstr(r->err, "close_notify") != NULL;
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (echo_len < sizeof r->echo - 1 &&
                (echo_len == 0 || r->echo[echo_len - 1] != '\n'))
                r->echo[echo_len++] = buf[i];
            else if (buf[i] == (char)('a' + r->big_ok % 26))
                r->big_ok++;
        }
        if (n == 0 && pump_in(t, fd))
            break;
    }
out:
    ws_tls_free(t);
    close(fd);
}

/* One server, one client with the given settings. */
static void exchange(const char *ca, int insecure, const char *host,
                     struct result *r, struct server *s)
{
    char err[256] = "";
    struct ws_tls_ctx *c = ws_tls_ctx_new(ca, insecure, err, sizeof err);

    server_start(s);
    if (!c) {
        memset(r, 0, sizeof *r);
        snprintf(r->err, sizeof r->err, "ctx: %s", err);
        /* unblock the server's accept */
        {
            struct sockaddr_in a = { .sin_family = AF_INET };
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons((unsigned short)s->port);
            connect(fd, (struct sockaddr *)&a, sizeof a);
            close(fd);
        }
    } else {
        run_client(c, s->port, host, r);
    }
    server_stop(s);
    ws_tls_ctx_free(c);
}

int main(void)
{
    struct server s;
    struct result r;
    char err[256];

    if (!CHECK(make_cert() == 0))
        return check_done();

    /* --ca-file, IP literal: verified, data both ways, clean close */
    exchange(ca_path, 0, "127.0.0.1", &r, &s);
    CHECK(r.handshake_done);
    CHECK_STR(r.echo, "echo:hello tls\n");
    CHECK(r.big_ok == BIG_BYTES);
    CHECK(r.clean_close);
    CHECK_STR(s.sni, "");              /* no SNI for an IP address */

    /* --ca-file, a name: SNI sent, name checked */
    exchange(ca_path, 0, "localhost", &r, &s);
    CHECK(r.handshake_done && r.big_ok == BIG_BYTES);
    CHECK_STR(s.sni, "localhost");

    /* system store: a self-signed server is refused, with the reason */
    exchange(NULL, 0, "localhost", &r, &s);
    CHECK(!r.handshake_done);
    CHECK_STR(r.err, "server certificate rejected (self-signed certificate)");

    /* the right CA but the wrong name */
    exchange(ca_path, 0, "certmon.invalid", &r, &s);
    CHECK(!r.handshake_done);
    CHECK_STR(r.err, "server certificate rejected (hostname mismatch)");

    /* the right CA but the wrong address */
    exchange(ca_path, 0, "127.0.0.2", &r, &s);
    CHECK(!r.handshake_done);
    CHECK_STR(r.err, "server certificate rejected (IP address mismatch)");

    /* --insecure: nothing checked, everything arrives */
    exchange(NULL, 1, "certmon.invalid", &r, &s);
    CHECK(r.handshake_done && r.big_ok == BIG_BYTES);
    CHECK_STR(r.echo, "echo:hello tls\n");

    /* a CA file without a certificate fails at setup */
    {
        FILE *f = fopen(ca_path, "w");
        fputs("not a certificate\n", f);
        fclose(f);
    }
    CHECK(ws_tls_ctx_new(ca_path, 0, err, sizeof err) == NULL);
    CHECK(strstr(err, "TLS setup failed") != NULL);

    unlink(ca_path);
    X509_free(cert);
    EVP_PKEY_free(key);
    return check_done();
}
