/*
** test_redis_url.c: redis:// URLs for --publish and the consumer.
*/
#include <string.h>

#include "check.h"
#include "redis/redis_url.h"

static int bad(const char *text, const char *want_in_err)
{
    struct redis_url u;
    char err[256] = "";

    if (redis_url_parse(text, &u, err, sizeof(err)) == 0)
        return 0;
    return strstr(err, want_in_err) != NULL;
}

int main(void)
{
    struct redis_url u;
    char err[256];

    CHECK(redis_url_parse("redis://127.0.0.1:7000?stream=ct", &u, err,
                          sizeof(err)) == 0);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK(u.port == 7000);
    CHECK(u.db == 0);
    CHECK_STR(u.stream, "ct");
    CHECK(u.user[0] == '\0' && u.pass[0] == '\0' && u.group[0] == '\0');

    CHECK(redis_url_parse("redis://localhost?stream=s", &u, err,
                          sizeof(err)) == 0);
    CHECK(u.port == 6379);
    CHECK_STR(u.host, "localhost");

    CHECK(redis_url_parse("redis://alice:p%40ss%3Aw@h:1/3?stream=a%20b&"
                          "group=g1&consumer=c-2", &u, err,
                          sizeof(err)) == 0);
    CHECK_STR(u.user, "alice");
    CHECK_STR(u.pass, "p@ss:w");
    CHECK_STR(u.host, "h");
    CHECK(u.port == 1);
    CHECK(u.db == 3);
    CHECK_STR(u.stream, "a b");
    CHECK_STR(u.group, "g1");
    CHECK_STR(u.consumer, "c-2");

    /* password only (requirepass): AUTH with one argument */
    CHECK(redis_url_parse("redis://:secret@h:2?stream=x", &u, err,
                          sizeof(err)) == 0);
    CHECK_STR(u.user, "");
    CHECK_STR(u.pass, "secret");

    CHECK(bad("http://h?stream=x", "redis://"));
    CHECK(bad("redis://h:1", "stream"));
    CHECK(bad("redis://h:0?stream=x", "port"));
    CHECK(bad("redis://h:65536?stream=x", "port"));
    CHECK(bad("redis://h:12a?stream=x", "port"));
    CHECK(bad("redis://:1?stream=x", "host"));
    CHECK(bad("redis://h/x?stream=x", "database"));
    CHECK(bad("redis://h?stream=", "stream"));
    CHECK(bad("redis://h?stream=a%2", "stream"));
    CHECK(bad("redis://h?stream=a%00", "stream"));
    CHECK(bad("redis://h?stream=x&colour=red", "colour"));
    /* the error never repeats the password */
    CHECK(redis_url_parse("redis://u:hunter2%zz@h?stream=x", &u, err,
                          sizeof(err)) < 0 && !strstr(err, "hunter2"));
    /* regression, since the one splitter (core/url.c): a raw CR LF in a
    ** stream name went into log lines; it has to be escaped (%0D%0A) */
    CHECK(bad("redis://h?stream=a\r\nb", "space or control byte"));
    CHECK(bad("redis://h?stream=a b", "space or control byte"));
    CHECK(redis_url_parse("redis://h?stream=a%0D%0Ab", &u, err,
                          sizeof(err)) == 0);
    CHECK_STR(u.stream, "a\r\nb");
    /* '#' is an ordinary byte in a redis URL, an IPv6 host is refused */
    CHECK(redis_url_parse("redis://:pa#ss@h?stream=s#1", &u, err,
                          sizeof(err)) == 0);
    CHECK_STR(u.pass, "pa#ss");
    CHECK_STR(u.stream, "s#1");
    CHECK(bad("redis://[::1]:6379?stream=x", "IPv6"));
    /* a stream URL takes no prefix */
    CHECK(bad("redis://h?stream=x&prefix=p", "prefix"));

    /* a server URL (--store): no stream needed, only ?prefix= */
    CHECK(redis_url_parse_server("redis://h:7001/2", &u, err,
                                 sizeof(err)) == 0);
    CHECK_STR(u.host, "h");
    CHECK(u.port == 7001 && u.db == 2);
    CHECK(u.stream[0] == '\0' && u.prefix[0] == '\0');
    CHECK(redis_url_parse_server("redis://:pw@h?prefix=team%3Aa%3A", &u, err,
                                 sizeof(err)) == 0);
    CHECK_STR(u.prefix, "team:a:");
    CHECK_STR(u.pass, "pw");
    CHECK(redis_url_parse_server("redis://h?stream=x", &u, err,
                                 sizeof(err)) < 0 && strstr(err, "stream"));
    CHECK(redis_url_parse_server("redis://h?prefix=", &u, err,
                                 sizeof(err)) < 0 && strstr(err, "prefix"));
    CHECK(redis_url_parse_server("http://h", &u, err, sizeof(err)) < 0);
    CHECK(redis_url_parse_server("redis://u:hunter2%zz@h", &u, err,
                                 sizeof(err)) < 0 && !strstr(err, "hunter2"));
    return check_done();
}
