/*
** test_http_listen.c: the small HTTP server (core/http_listen.c) over real
** sockets on 127.0.0.1: answers, limits, the loopback rule, the tick.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "http_listen.h"

static atomic_int ticks;
static char last_path[256];

static void handler(void *ud, const char *path, struct http_reply *r)
{
    (void)ud;
    snprintf(last_path, sizeof(last_path), "%s", path);
    if (strcmp(path, "/missing") == 0)
        r->status = 404;
    http_reply_printf(r, "path=%s", path);
}

static void tick(void *ud)
{
    (void)ud;
    atomic_fetch_add(&ticks, 1);
}

static int port_of(const struct http_listen *h)
{
    const char *colon = strrchr(http_listen_address(h), ':');
    return colon ? atoi(colon + 1) : -1;
}

static int connect_to(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends req on fd and reads the answer until the server closes. */
static void exchange(int fd, const char *req, char *out, size_t outlen)
{
    size_t len = 0;
    ssize_t n;

    if (req && send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
        printf("# send failed\n");
    while (len + 1 < outlen && (n = recv(fd, out + len, outlen - 1 - len, 0)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
}

static void request(int port, const char *req, char *out, size_t outlen)
{
    int fd = connect_to(port);

    out[0] = '\0';
    if (fd >= 0)
        exchange(fd, req, out, outlen);
}

static struct http_listen *start(const char *addr, int public_ok,
                                 unsigned max_clients, char *err,
                                 size_t errlen)
{
    struct http_listen_config c;

    http_listen_config_defaults(&c);
    c.address = addr;
    c.allow_public = public_ok;
    c.handler = handler;
    c.tick = tick;
    c.tick_ms = 20;
    c.request_timeout_ms = 1000;
    if (max_clients)
        c.max_clients = max_clients;
    return http_listen_start(&c, err, errlen);
}

static void test_addresses(void)
{
    char err[512];
    struct http_listen *h;

    CHECK(start("0.0.0.0:0", 0, 0, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "not a loopback address") != NULL);
    CHECK(strstr(err, "--listen-public") != NULL);
    CHECK(start("127.0.0.1", 0, 0, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "expected HOST:PORT") != NULL);
    CHECK(start("127.0.0.1:99999", 0, 0, err, sizeof(err)) == NULL);
    CHECK(start("[::1:0", 0, 0, err, sizeof(err)) == NULL);
    /* 127.0.0.0/8 is loopback, not only 127.0.0.1 */
    h = start("127.0.0.2:0", 0, 0, err, sizeof(err));
    CHECK(h != NULL);
    if (h)
        CHECK(strncmp(http_listen_address(h), "127.0.0.2:", 10) == 0);
    http_listen_stop(h);
    h = start("[::1]:0", 0, 0, err, sizeof(err));
    if (h) {
        CHECK(strncmp(http_listen_address(h), "[::1]:", 6) == 0);
        http_listen_stop(h);
    } else {
        printf("ok - # SKIP [::1]: no IPv6 loopback here (%s)\n", err);
    }
}

static void test_answers(void)
{
    char err[512], out[4096];
    struct http_listen *h = start("127.0.0.1:0", 0, 0, err, sizeof(err));
    int port, tries = 0;

    CHECK(h != NULL);
    if (!h)
        return;
    port = port_of(h);
    CHECK(port > 0);
    request(port, "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", out,
            sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(strstr(out, "Content-Length: 13\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\npath=/metrics") != NULL);
    CHECK_STR(last_path, "/metrics");
    request(port, "HEAD /a HTTP/1.0\r\n\r\n", out, sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(strstr(out, "path=") == NULL);
    request(port, "GET /missing HTTP/1.0\n\n", out, sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
    request(port, "DELETE / HTTP/1.0\r\n\r\n", out, sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 405 ", 13) == 0);
    request(port, "GET nope HTTP/1.0\r\n\r\n", out, sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 400 ", 13) == 0);
    /* half a request: 408 once the request time is up */
    request(port, "GET /slow", out, sizeof(out));
    CHECK(strncmp(out, "HTTP/1.0 408 ", 13) == 0);
    /* the tick runs while idle (bounded wait, no timing asserted) */
    atomic_store(&ticks, 0);
    while (atomic_load(&ticks) < 2 && tries++ < 1000)
        usleep(10000);
    CHECK(atomic_load(&ticks) >= 2);
    http_listen_stop(h);
}

/* With room for two connections, a third is closed at once and the two
** are still served. The backlog is first in, first out, so the third
** connect is the third accept whenever the server gets to it. */
static void test_client_limit(void)
{
    char err[512], out[1024];
    struct http_listen *h = start("127.0.0.1:0", 0, 2, err, sizeof(err));
    int a, b, c, port;

    CHECK(h != NULL);
    if (!h)
        return;
    port = port_of(h);
    a = connect_to(port);
    b = connect_to(port);
    if (send(a, "GET /a", 6, MSG_NOSIGNAL) < 0 ||
        send(b, "GET /b", 6, MSG_NOSIGNAL) < 0)
        printf("# send failed\n");
    c = connect_to(port);
    exchange(c, NULL, out, sizeof(out));
    CHECK_STR(out, "");             /* closed without an answer */
    exchange(a, " HTTP/1.0\r\n\r\n", out, sizeof(out));
    CHECK(strstr(out, "path=/a") != NULL);
    exchange(b, " HTTP/1.0\r\n\r\n", out, sizeof(out));
    CHECK(strstr(out, "path=/b") != NULL);
    http_listen_stop(h);
}

static void test_reply_growth(void)
{
    struct http_reply r = { .status = 200 };

    for (int i = 0; i < 2000; i++)
        http_reply_printf(&r, "line %d\n", i);
    CHECK(!r.oom);
    CHECK(r.len > 4096 * 3);
    CHECK(strncmp(r.body + r.len - 10, "line 1999\n", 10) == 0);
    free(r.body);
}

int main(void)
{
    test_addresses();
    test_answers();
    test_client_limit();
    test_reply_growth();
    return check_done();
}
