/*
** test_redis_store.c: the parts of --store redis:// that need no server:
** the Redis key of a rule's key, the EX seconds of a TTL, the errors at
** start, and the local answers while the server is down (a real
** redis-server is in tests/integration/redis_store.sh).
*/
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "check.h"
#include "redis/redis_store.h"
#include "stats.h"
#include "store.h"

/* A TCP port on 127.0.0.1 that nothing listens on: bound, then closed. */
static int closed_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void test_key(void)
{
    char *buf = NULL;
    size_t cap = 0, n;

    n = redis_store_key("certmon:seen:", "watch\0example.com", 17, &buf,
                        &cap);
    CHECK(n == strlen("certmon:seen:watch:example.com"));
    CHECK_STR(buf, "certmon:seen:watch:example.com");
    /* ':' and '%' of the rule name are escaped, the key is kept as is */
    n = redis_store_key("p:", "a:b%c\0x:y%z", 11, &buf, &cap);
    CHECK_STR(buf, "p:a%3Ab%25c:x:y%z");
    CHECK(n == strlen("p:a%3Ab%25c:x:y%z"));
    /* so these two differ although rule ":" key read alike */
    n = redis_store_key("", "a\0b:c", 5, &buf, &cap);
    CHECK_STR(buf, "a:b:c");
    n = redis_store_key("", "a:b\0c", 5, &buf, &cap);
    CHECK_STR(buf, "a%3Ab:c");
    /* binary keys stay whole, NULs included; the buffer grows */
    {
        char big[3000];
        memset(big, 'k', sizeof(big));
        big[0] = 'r';
        big[1] = '\0';
        big[100] = '\0';
        n = redis_store_key("x:", big, sizeof(big), &buf, &cap);
        CHECK(n == 2 + 1 + 1 + (sizeof(big) - 2));
        CHECK(cap > n && buf[n] == '\0');
        CHECK(memcmp(buf, "x:r:kk", 6) == 0);
        CHECK(buf[2 + 2 + 98] == '\0');
    }
    free(buf);
}

static void test_ttl(void)
{
    CHECK(redis_store_ttl_s(0) == 0);
    CHECK(redis_store_ttl_s(-5) == 0);
    CHECK(redis_store_ttl_s(NAN) == 0);
    CHECK(redis_store_ttl_s(0.001) == 1);
    CHECK(redis_store_ttl_s(1) == 1);
    CHECK(redis_store_ttl_s(1.2) == 2);
    CHECK(redis_store_ttl_s(86400) == 86400);
    CHECK(redis_store_ttl_s(86400.5) == 86401);
    CHECK(redis_store_ttl_s(1e300) == redis_store_ttl_s(INFINITY));
    CHECK(redis_store_ttl_s(INFINITY) >= 100LL * 365 * 86400);
}

static void test_start_errors(void)
{
    struct redis_store_config c = { .url = "redis://h?stream=x" };
    char err[256] = "";

    CHECK(redis_store_start(&c, err, sizeof(err)) < 0);
    CHECK(strstr(err, "--store") && strstr(err, "stream"));
    CHECK(!redis_store_on());
    c.url = "rediss://h";
    CHECK(redis_store_start(&c, err, sizeof(err)) < 0);
    c.url = "redis://u:hunter2@h:0";
    CHECK(redis_store_start(&c, err, sizeof(err)) < 0);
    CHECK(!strstr(err, "hunter2"));
    CHECK(!redis_store_on());
}

/* Off, and with the server down: the local store answers, and only the
** calls that should have gone to Redis are counted. */
static void test_local_answers(void)
{
    char url[64];
    struct redis_store_config c = { .url = url };
    char err[256] = "";
    uint64_t before;

    store_reset();
    before = stats_get(&stats.store_redis_errors);
    CHECK(redis_store_seen("r\0a", 3, 10) == 0);
    CHECK(redis_store_seen("r\0a", 3, 10) == 1);
    CHECK(stats_get(&stats.store_redis_errors) == before);

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", closed_port());
    CHECK(redis_store_start(&c, err, sizeof(err)) == 0);  /* a warning */
    CHECK(redis_store_on());
    CHECK(redis_store_seen("r\0b", 3, 10) == 0);
    CHECK(redis_store_seen("r\0b", 3, 10) == 1);
    CHECK(redis_store_seen("r\0a", 3, 10) == 1);   /* marked while off */
    CHECK(stats_get(&stats.store_redis_errors) == before + 3);
    redis_store_stop();
    CHECK(!redis_store_on());
    /* a second start gives this thread a fresh slot (no use after free) */
    CHECK(redis_store_start(&c, err, sizeof(err)) == 0);
    CHECK(redis_store_seen("r\0c", 3, 0) == 0);
    CHECK(stats_get(&stats.store_redis_errors) == before + 4);
    redis_store_stop();
    redis_store_stop();                             /* twice is fine */
    store_reset();
}

int main(void)
{
    test_key();
    test_ttl();
    test_start_errors();
    test_local_answers();
    return check_done();
}
